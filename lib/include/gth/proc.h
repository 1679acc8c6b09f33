/* Child processes. Each child runs in its own process group; at its timeout the
 * whole group gets SIGTERM, then after a grace period SIGKILL, so grandchildren that
 * ignore SIGTERM die too. When the child itself ends, whatever it left running in
 * its group is stopped: with SIGTERM, the grace period and SIGKILL while it still
 * holds the captured output pipes, with SIGKILL at once otherwise; so nothing
 * outlives a finished process (one that moved to another session with setsid(2) is
 * out of reach; its hold on the output pipes is dropped 1 s after the SIGKILL).
 *
 * Output is captured into buffers up to a cap; bytes past the cap are counted and
 * dropped, never held in memory (with keep_tail, the first and the last half of the
 * cap are kept and the middle dropped). stdin is /dev/null or the bytes given.
 *
 * Two interfaces: gth_proc_run() starts one child and waits for it; gth_proc_start()
 * and gth_proc_poll() run many at once from one thread. Spawning is thread-safe
 * (descriptors are close-on-exec); a struct gth_proc belongs to one thread. The
 * library changes no signal disposition: a tool that wants Ctrl-C to stop its
 * children catches SIGINT itself and calls gth_proc_kill(). */
#ifndef GTH_PROC_H
#define GTH_PROC_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "error.h"

/* What becomes of the child's stdout or stderr. */
enum gth_proc_stream {
	GTH_PROC_CAPTURE = 0, /* into the result's buffer (out or err) */
	GTH_PROC_INHERIT,     /* the caller's own stdout or stderr */
	GTH_PROC_DISCARD,     /* /dev/null */
	GTH_PROC_MERGE        /* stderr only: into the stdout capture, in order */
};

#define GTH_PROC_DEFAULT_GRACE_MS 5000
#define GTH_PROC_DEFAULT_MAX_OUTPUT (1024 * 1024)

struct gth_proc_opts {
	/* Exactly one of argv (argv[0] found in the caller's PATH, NULL-terminated)
	 * or sh (run as /bin/sh -c sh). */
	const char *const *argv;
	const char *sh;
	const char *dir;              /* working directory, NULL for the caller's */
	const char *const *env;       /* "NAME=value" entries set on top of the
				       * caller's environment, NULL-terminated */
	const char *stdin_data;       /* NULL: stdin is /dev/null */
	size_t stdin_len;
	int64_t timeout_ms;           /* 0: none */
	int64_t grace_ms;             /* SIGTERM to SIGKILL; 0: the default 5 s */
	size_t max_output;            /* cap per captured stream; 0: the default 1 MiB */
	enum gth_proc_stream out;     /* CAPTURE, INHERIT or DISCARD */
	enum gth_proc_stream err;     /* any of the four */
	int keep_tail;                /* keep the head and the tail, drop the middle */
};

#define GTH_PROC_OPTS_INIT { NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, \
			     GTH_PROC_CAPTURE, GTH_PROC_CAPTURE, 0 }

struct gth_proc_result {
	int exited;            /* 1 when the child called exit */
	int status;            /* its exit status, or 128 + the signal that ended it */
	int signal;            /* the ending signal, 0 when it exited */
	int timed_out;         /* 1 when stopped at its timeout */
	int killed;            /* 1 when stopped by gth_proc_kill() */
	int64_t duration_ms;   /* from start to the end of the whole group */
	struct gth_buf out;    /* captured stdout (and stderr when merged) */
	struct gth_buf err;    /* captured stderr */
	uint64_t out_dropped;  /* bytes past the cap, counted and dropped */
	uint64_t err_dropped;
	size_t out_gap;        /* offset in out where the dropped bytes were: its end,
				* or between head and tail with keep_tail */
	size_t err_gap;
};

#define GTH_PROC_RESULT_INIT { 0, 0, 0, 0, 0, 0, GTH_BUF_INIT, GTH_BUF_INIT, 0, 0, 0, 0 }

void gth_proc_result_release(struct gth_proc_result *res);

/* Run one child to the end. Returns 0 when it ran, whatever its status (look at
 * res); -1 when it could not be started: a 66 error when the program or directory
 * does not exist, 77 when not permitted, 70 otherwise. res is released first. */
int gth_proc_run(struct gth_proc_result *res, const struct gth_proc_opts *opts,
		 struct gth_error *err);

struct gth_proc;

/* Start a child; the same errors as gth_proc_run. The strings in opts are not kept. */
int gth_proc_start(struct gth_proc **out, const struct gth_proc_opts *opts,
		   struct gth_error *err);
/* Move every running child of procs forward: read output, feed stdin, enforce
 * timeouts, reap. Waits at most wait_ms (-1: until something happens) for
 * something to happen and returns the number of children of procs that are done
 * (finished ones may be passed again; NULL entries are skipped), or -1 with a 70
 * error when poll(2) fails. */
int gth_proc_poll(struct gth_proc *const *procs, size_t n, int64_t wait_ms,
		  struct gth_error *err);
int gth_proc_done(const struct gth_proc *p);
/* The child's process id (also its process group id). */
long gth_proc_pid(const struct gth_proc *p);
/* Stop a running child now: SIGTERM to the group, SIGKILL after the grace period.
 * The stopping happens in gth_proc_poll(); the result says killed. */
void gth_proc_kill(struct gth_proc *p);
/* The result once done, NULL before; owned by p. */
struct gth_proc_result *gth_proc_result(struct gth_proc *p);
/* Free p. A child still running has its group killed with SIGKILL and is reaped. */
void gth_proc_free(struct gth_proc *p);

#endif
