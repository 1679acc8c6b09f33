/* pipe2 and posix_spawn_file_actions_addchdir_np */
#define _GNU_SOURCE
#include "gth/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gth/fs.h"
#include "gth/util.h"

extern char **environ;

enum proc_state { PROC_RUNNING, PROC_TERMINATING, PROC_KILLED, PROC_DONE };

/* Without pidfd_open(2), how often to look for the child's exit. */
#define PROC_TICK_MS 20
/* After SIGKILL, how long a process outside the group may keep the pipes open. */
#define PROC_DRAIN_MS 1000
#define PROC_READ_CHUNK 65536

struct gth_proc {
	pid_t pid;
	int pidfd;
	int fd_out, fd_err, fd_in;
	char *in_data;
	size_t in_len, in_off;
	size_t max_output;
	int keep_tail;
	struct gth_buf tail_out, tail_err; /* with keep_tail: the latest bytes past the head */
	int64_t start_ms, grace_ms;
	int64_t deadline_ms;  /* timeout; 0 for none */
	int64_t kill_at_ms;   /* SIGKILL due; 0 for none */
	int64_t drain_ms;     /* stop waiting for pipes; 0 for none */
	enum proc_state state;
	int leader_exited;
	struct gth_proc_result res;
};

void gth_proc_result_release(struct gth_proc_result *res)
{
	if (!res)
		return;
	gth_buf_release(&res->out);
	gth_buf_release(&res->err);
	memset(res, 0, sizeof(*res));
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	long fd = syscall(SYS_pidfd_open, (long)pid, 0L);
	if (fd >= 0) {
		fcntl((int)fd, F_SETFD, FD_CLOEXEC);
		return (int)fd;
	}
#else
	(void)pid;
#endif
	return -1;
}

/* The caller's environment with the extra entries set on top; pointers only. */
static char **merge_env(const char *const *extra)
{
	size_t n = 0, m = 0, k = 0, i, j;
	char **env;

	while (environ[n])
		n++;
	while (extra[m])
		m++;
	env = calloc(n + m + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t klen = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
		int overridden = 0;
		for (j = 0; j < m && !overridden; j++)
			overridden = strncmp(extra[j], environ[i], klen) == 0 &&
				     extra[j][klen] == '=';
		if (!overridden)
			env[k++] = environ[i];
	}
	for (j = 0; j < m; j++)
		env[k++] = (char *)extra[j];
	env[k] = NULL;
	return env;
}

static int spawn_error(struct gth_error *err, int e, const char *what)
{
	int code = GTH_EXIT_SOFTWARE;
	if (e == ENOENT || e == ENOTDIR)
		code = GTH_EXIT_NOINPUT;
	else if (e == EACCES || e == EPERM)
		code = GTH_EXIT_NOPERM;
	return gth_error_set(err, code, "unable to run '%s': %s", what, strerror(e));
}

void gth_proc_free(struct gth_proc *p)
{
	if (!p)
		return;
	if (p->state != PROC_DONE && p->pid > 0) {
		kill(-p->pid, SIGKILL);
		while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	close_fd(&p->fd_out);
	close_fd(&p->fd_err);
	close_fd(&p->fd_in);
	close_fd(&p->pidfd);
	free(p->in_data);
	gth_buf_release(&p->tail_out);
	gth_buf_release(&p->tail_err);
	gth_proc_result_release(&p->res);
	free(p);
}

int gth_proc_start(struct gth_proc **out, const struct gth_proc_opts *opts,
		   struct gth_error *err)
{
	struct gth_proc *p = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int fa_init = 0, attr_init = 0;
	int in_pipe[2] = { -1, -1 }, out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 };
	char **env = NULL;
	const char *sh_argv[4] = { "sh", "-c", NULL, NULL };
	const char *what;
	sigset_t none, all;
	int rc = -1, e;

	*out = NULL;
	if (!opts || (!opts->argv == !opts->sh) || (opts->argv && !opts->argv[0]) ||
	    opts->out == GTH_PROC_MERGE) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "gth_proc_start: invalid options");
		goto done;
	}
	what = opts->sh ? opts->sh : opts->argv[0];
	if (opts->dir && !gth_is_dir(opts->dir)) {
		gth_error_set(err, GTH_EXIT_NOINPUT, "unable to run '%s': no such directory '%s'",
			      what, opts->dir);
		goto done;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	p->pid = -1;
	p->pidfd = p->fd_out = p->fd_err = p->fd_in = -1;
	p->max_output = opts->max_output ? opts->max_output : GTH_PROC_DEFAULT_MAX_OUTPUT;
	p->keep_tail = opts->keep_tail;
	p->grace_ms = opts->grace_ms > 0 ? opts->grace_ms : GTH_PROC_DEFAULT_GRACE_MS;

	if (posix_spawn_file_actions_init(&fa) != 0 || posix_spawnattr_init(&attr) != 0) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	fa_init = attr_init = 1;

	if (opts->stdin_data) {
		if (pipe2(in_pipe, O_CLOEXEC) < 0)
			goto sys_fail;
		if (opts->stdin_len > 0) {
			p->in_data = malloc(opts->stdin_len);
			if (!p->in_data)
				goto sys_fail;
			memcpy(p->in_data, opts->stdin_data, opts->stdin_len);
		}
		p->in_len = opts->stdin_len;
		posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
	} else {
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	}

	if (opts->out == GTH_PROC_CAPTURE) {
		if (pipe2(out_pipe, O_CLOEXEC) < 0)
			goto sys_fail;
		posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
	} else if (opts->out == GTH_PROC_DISCARD) {
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	}
	if (opts->err == GTH_PROC_CAPTURE) {
		if (pipe2(err_pipe, O_CLOEXEC) < 0)
			goto sys_fail;
		posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
	} else if (opts->err == GTH_PROC_DISCARD) {
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	} else if (opts->err == GTH_PROC_MERGE) {
		posix_spawn_file_actions_adddup2(&fa, 1, 2);
	}
	if (opts->dir)
		posix_spawn_file_actions_addchdir_np(&fa, opts->dir);

	sigemptyset(&none);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					 POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);

	if (opts->env) {
		env = merge_env(opts->env);
		if (!env)
			goto sys_fail;
	}

	p->start_ms = gth_now_ms();
	if (opts->sh) {
		sh_argv[2] = opts->sh;
		e = posix_spawn(&p->pid, "/bin/sh", &fa, &attr, (char *const *)sh_argv,
				env ? env : environ);
	} else {
		e = posix_spawnp(&p->pid, opts->argv[0], &fa, &attr,
				 (char *const *)opts->argv, env ? env : environ);
	}
	if (e != 0) {
		p->pid = -1;
		spawn_error(err, e, what);
		goto done;
	}
	p->pidfd = open_pidfd(p->pid);
	if (opts->timeout_ms > 0)
		p->deadline_ms = p->start_ms + opts->timeout_ms;
	p->fd_out = out_pipe[0];
	out_pipe[0] = -1;
	p->fd_err = err_pipe[0];
	err_pipe[0] = -1;
	p->fd_in = in_pipe[1];
	in_pipe[1] = -1;
	if (p->fd_out >= 0)
		set_nonblock(p->fd_out);
	if (p->fd_err >= 0)
		set_nonblock(p->fd_err);
	if (p->fd_in >= 0) {
		set_nonblock(p->fd_in);
		if (p->in_len == 0)
			close_fd(&p->fd_in);
	}
	p->state = PROC_RUNNING;
	*out = p;
	p = NULL;
	rc = 0;
	goto done;

sys_fail:
	gth_error_set(err, GTH_EXIT_SOFTWARE, "unable to start a process: %s", strerror(errno));
done:
	if (fa_init)
		posix_spawn_file_actions_destroy(&fa);
	if (attr_init)
		posix_spawnattr_destroy(&attr);
	close_fd(&in_pipe[0]);
	close_fd(&in_pipe[1]);
	close_fd(&out_pipe[0]);
	close_fd(&out_pipe[1]);
	close_fd(&err_pipe[0]);
	close_fd(&err_pipe[1]);
	free(env);
	gth_proc_free(p);
	return rc;
}

/* write(2) that turns SIGPIPE into EPIPE without touching the signal disposition. */
static ssize_t write_nosigpipe(int fd, const void *data, size_t len)
{
	sigset_t pipe_set, old, pending;
	struct timespec zero = { 0, 0 };
	int was_pending, e;
	ssize_t n;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	n = write(fd, data, len);
	e = errno;
	if (n < 0 && e == EPIPE && !was_pending)
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return n;
}

static void feed_stdin(struct gth_proc *p)
{
	while (p->fd_in >= 0 && p->in_off < p->in_len) {
		ssize_t n = write_nosigpipe(p->fd_in, p->in_data + p->in_off,
					    p->in_len - p->in_off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				close_fd(&p->fd_in);
			return;
		}
		p->in_off += (size_t)n;
	}
	if (p->in_off >= p->in_len)
		close_fd(&p->fd_in);
}

/* Keep the last tail_cap bytes of what passed the head: the buffer holds at most
 * twice that, and is cut back to tail_cap when full, so each byte moves once. */
static void tail_add(struct gth_buf *tail, size_t tail_cap, const char *data, size_t n,
		      uint64_t *dropped)
{
	if (n >= tail_cap) {
		*dropped += tail->len + (n - tail_cap);
		tail->len = 0;
		data += n - tail_cap;
		n = tail_cap;
	}
	if (tail->len + n > 2 * tail_cap) {
		size_t cut = tail->len - (tail_cap - n);
		memmove(tail->ptr, tail->ptr + cut, tail->len - cut);
		tail->len -= cut;
		*dropped += cut;
	}
	if (gth_buf_put(tail, data, n) < 0)
		*dropped += n;
}

/* Read what is there; bytes past the cap are counted, not kept (or, with
 * keep_tail, the head and the latest tail are kept). */
static void drain(struct gth_proc *p, int *fd, struct gth_buf *b, struct gth_buf *tail,
		  uint64_t *dropped)
{
	char chunk[PROC_READ_CHUNK];
	size_t cap = p->keep_tail ? p->max_output / 2 : p->max_output;

	while (*fd >= 0) {
		ssize_t n = read(*fd, chunk, sizeof(chunk));
		size_t keep;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				close_fd(fd);
			return;
		}
		if (n == 0) {
			close_fd(fd);
			return;
		}
		keep = b->len < cap ? cap - b->len : 0;
		if (keep > (size_t)n)
			keep = (size_t)n;
		if (keep > 0 && gth_buf_put(b, chunk, keep) < 0)
			keep = 0;
		if (p->keep_tail && keep < (size_t)n)
			tail_add(tail, p->max_output - cap, chunk + keep, (size_t)n - keep, dropped);
		else
			*dropped += (uint64_t)n - keep;
	}
}

/* Join the head and the tail; the gap is where the dropped bytes were. */
static void join_tail(struct gth_buf *b, struct gth_buf *tail, size_t tail_cap,
		      uint64_t *dropped, size_t *gap)
{
	*gap = b->len;
	if (tail->len > tail_cap) {
		*dropped += tail->len - tail_cap;
		memmove(tail->ptr, tail->ptr + (tail->len - tail_cap), tail_cap);
		tail->len = tail_cap;
	}
	if (tail->len && gth_buf_put(b, tail->ptr, tail->len) < 0)
		*dropped += tail->len;
	gth_buf_release(tail);
}

static void signal_group(struct gth_proc *p, int sig)
{
	if (p->pid > 0)
		kill(-p->pid, sig);
}

static void begin_termination(struct gth_proc *p, int64_t now)
{
	if (p->state != PROC_RUNNING)
		return;
	signal_group(p, SIGTERM);
	p->state = PROC_TERMINATING;
	p->kill_at_ms = now + p->grace_ms;
}

/* Notice the child's exit without reaping it: while it is a zombie its process
 * group id cannot be reused, so signalling the group stays safe. */
static void check_leader(struct gth_proc *p)
{
	siginfo_t si;

	if (p->leader_exited)
		return;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
		return;
	p->leader_exited = 1;
	if (si.si_code == CLD_EXITED) {
		p->res.exited = 1;
		p->res.status = si.si_status;
	} else {
		p->res.signal = si.si_status;
		p->res.status = 128 + si.si_status;
	}
	close_fd(&p->pidfd);
	close_fd(&p->fd_in);
}

static void advance(struct gth_proc *p, int64_t now)
{
	if (p->state == PROC_DONE)
		return;
	feed_stdin(p);
	drain(p, &p->fd_out, &p->res.out, &p->tail_out, &p->res.out_dropped);
	drain(p, &p->fd_err, &p->res.err, &p->tail_err, &p->res.err_dropped);
	check_leader(p);

	if (p->state == PROC_RUNNING && !p->leader_exited && p->deadline_ms &&
	    now >= p->deadline_ms) {
		p->res.timed_out = 1;
		begin_termination(p, now);
	}
	/* Whatever the child left holding its output gets the same treatment. */
	if (p->leader_exited && (p->fd_out >= 0 || p->fd_err >= 0))
		begin_termination(p, now);
	if (p->state == PROC_TERMINATING && now >= p->kill_at_ms) {
		signal_group(p, SIGKILL);
		p->state = PROC_KILLED;
		p->drain_ms = now + PROC_DRAIN_MS;
	}
	if (p->state == PROC_KILLED && p->leader_exited && now >= p->drain_ms) {
		close_fd(&p->fd_out);
		close_fd(&p->fd_err);
	}
	if (p->leader_exited && p->fd_out < 0 && p->fd_err < 0) {
		signal_group(p, SIGKILL);
		while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
			;
		close_fd(&p->fd_in);
		join_tail(&p->res.out, &p->tail_out, p->max_output - p->max_output / 2,
			  &p->res.out_dropped, &p->res.out_gap);
		join_tail(&p->res.err, &p->tail_err, p->max_output - p->max_output / 2,
			  &p->res.err_dropped, &p->res.err_gap);
		p->res.duration_ms = gth_now_ms() - p->start_ms;
		p->state = PROC_DONE;
	}
}

static int64_t next_timer(const struct gth_proc *p)
{
	int64_t t = 0;

	if (p->state == PROC_RUNNING && p->deadline_ms && !p->leader_exited)
		t = p->deadline_ms;
	if (p->state == PROC_TERMINATING && (!t || p->kill_at_ms < t))
		t = p->kill_at_ms;
	if (p->state == PROC_KILLED && p->leader_exited && (!t || p->drain_ms < t))
		t = p->drain_ms;
	return t;
}

int gth_proc_poll(struct gth_proc *const *procs, size_t n, int64_t wait_ms,
		  struct gth_error *err)
{
	struct pollfd *fds = NULL;
	int64_t start = gth_now_ms(), end = wait_ms >= 0 ? start + wait_ms : 0;
	size_t i, ndone_before = 0;
	int rc = -1;

	for (i = 0; i < n; i++)
		if (procs[i] && procs[i]->state == PROC_DONE)
			ndone_before++;
	fds = calloc(n * 4 + 1, sizeof(*fds));
	if (!fds) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	for (;;) {
		int64_t now = gth_now_ms(), timeout = -1, t;
		size_t nfds = 0, ndone = 0, nrunning = 0;
		int tick = 0, r;

		for (i = 0; i < n; i++) {
			struct gth_proc *p = procs[i];
			if (!p)
				continue;
			advance(p, now);
			if (p->state == PROC_DONE) {
				ndone++;
				continue;
			}
			nrunning++;
			if (p->fd_out >= 0)
				fds[nfds++] = (struct pollfd){ p->fd_out, POLLIN, 0 };
			if (p->fd_err >= 0)
				fds[nfds++] = (struct pollfd){ p->fd_err, POLLIN, 0 };
			if (p->fd_in >= 0)
				fds[nfds++] = (struct pollfd){ p->fd_in, POLLOUT, 0 };
			if (!p->leader_exited) {
				if (p->pidfd >= 0)
					fds[nfds++] = (struct pollfd){ p->pidfd, POLLIN, 0 };
				else
					tick = 1;
			}
			t = next_timer(p);
			if (t && (timeout < 0 || t - now < timeout))
				timeout = t - now > 0 ? t - now : 0;
		}
		if (ndone > ndone_before || nrunning == 0) {
			rc = (int)ndone;
			goto done;
		}
		if (wait_ms >= 0) {
			if (now >= end) {
				rc = (int)ndone;
				goto done;
			}
			if (timeout < 0 || end - now < timeout)
				timeout = end - now;
		}
		if (tick && (timeout < 0 || timeout > PROC_TICK_MS))
			timeout = PROC_TICK_MS;
		r = poll(fds, (nfds_t)nfds, timeout < 0 ? -1 : (int)(timeout > 60000 ? 60000 : timeout));
		if (r < 0) {
			if (errno == EINTR) {
				/* A signal for the caller (Ctrl-C): let it look. */
				rc = (int)ndone;
				goto done;
			}
			gth_error_set(err, GTH_EXIT_SOFTWARE, "poll: %s", strerror(errno));
			goto done;
		}
	}
done:
	free(fds);
	return rc;
}

int gth_proc_done(const struct gth_proc *p)
{
	return p && p->state == PROC_DONE;
}

long gth_proc_pid(const struct gth_proc *p)
{
	return p ? (long)p->pid : -1;
}

void gth_proc_kill(struct gth_proc *p)
{
	if (!p || p->state != PROC_RUNNING)
		return;
	p->res.killed = 1;
	begin_termination(p, gth_now_ms());
}

struct gth_proc_result *gth_proc_result(struct gth_proc *p)
{
	return p && p->state == PROC_DONE ? &p->res : NULL;
}

int gth_proc_run(struct gth_proc_result *res, const struct gth_proc_opts *opts,
		 struct gth_error *err)
{
	struct gth_proc *p = NULL;
	int rc = -1;

	gth_proc_result_release(res);
	if (gth_proc_start(&p, opts, err) < 0)
		goto done;
	while (!gth_proc_done(p))
		if (gth_proc_poll(&p, 1, -1, err) < 0)
			goto done;
	*res = p->res;
	memset(&p->res, 0, sizeof(p->res));
	rc = 0;
done:
	gth_proc_free(p);
	return rc;
}
