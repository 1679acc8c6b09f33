#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gth/proc.h"
#include "gth/util.h"

/* Simple runs: a shell string, what comes out, the status. */
struct sh_case {
	const char *sh;
	enum gth_proc_stream err_mode;
	const char *out;
	const char *err;
	int exited, status, sig;
};

static const struct sh_case sh_cases[] = {
	{ "printf hello", GTH_PROC_CAPTURE, "hello", "", 1, 0, 0 },
	{ "exit 3", GTH_PROC_CAPTURE, "", "", 1, 3, 0 },
	{ "echo out; echo err >&2", GTH_PROC_CAPTURE, "out\n", "err\n", 1, 0, 0 },
	{ "echo a; echo b >&2; echo c; echo d >&2", GTH_PROC_MERGE, "a\nb\nc\nd\n", "", 1, 0, 0 },
	{ "echo hidden >&2; echo shown", GTH_PROC_DISCARD, "shown\n", "", 1, 0, 0 },
	{ "kill -9 $$", GTH_PROC_CAPTURE, "", "", 0, 137, 9 },
	{ "no-such-command-gth 2>/dev/null", GTH_PROC_CAPTURE, "", "", 1, 127, 0 },
	{ "printf '%s' \"$GTH_PROC_EXTRA\"", GTH_PROC_CAPTURE, "extra value", "", 1, 0, 0 },
	{ "printf '%s' \"$HOME\"", GTH_PROC_CAPTURE, "/nowhere", "", 1, 0, 0 },
	/* The child leads its own process group. */
	{ "[ \"$(cut -d' ' -f5 /proc/$$/stat)\" = $$ ] && printf leader", GTH_PROC_CAPTURE,
	  "leader", "", 1, 0, 0 },
	/* SIGINT ignored by no one: dispositions are reset to the defaults. */
	{ "kill -INT $$; echo survived", GTH_PROC_CAPTURE, "", "", 0, 130, 2 },
};

static const char *const extra_env[] = { "GTH_PROC_EXTRA=extra value", "HOME=/nowhere", NULL };

static void test_sh_cases(void **state)
{
	size_t i;
	(void)state;
	for (i = 0; i < GTH_ARRAY_SIZE(sh_cases); i++) {
		const struct sh_case *c = &sh_cases[i];
		struct gth_proc_opts o = GTH_PROC_OPTS_INIT;
		struct gth_proc_result r = GTH_PROC_RESULT_INIT;
		struct gth_error err = GTH_ERROR_INIT;

		o.sh = c->sh;
		o.err = c->err_mode;
		o.env = extra_env;
		assert_int_equal(gth_proc_run(&r, &o, &err), 0);
		if (strcmp(gth_buf_cstr(&r.out), c->out) != 0 ||
		    strcmp(gth_buf_cstr(&r.err), c->err) != 0 || r.exited != c->exited ||
		    r.status != c->status || r.signal != c->sig)
			fail_msg("case %zu '%s': out '%s' err '%s' exited %d status %d signal %d",
				 i, c->sh, gth_buf_cstr(&r.out), gth_buf_cstr(&r.err), r.exited,
				 r.status, r.signal);
		assert_int_equal(r.timed_out, 0);
		assert_int_equal(r.out_dropped, 0);
		gth_proc_result_release(&r);
	}
}

static void test_argv_and_dir(void **state)
{
	const char *argv[] = { "pwd", NULL };
	struct gth_proc_opts o = GTH_PROC_OPTS_INIT;
	struct gth_proc_result r = GTH_PROC_RESULT_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	(void)state;

	o.argv = argv;
	o.dir = "/tmp";
	assert_int_equal(gth_proc_run(&r, &o, &err), 0);
	assert_string_equal(gth_buf_cstr(&r.out), "/tmp\n");
	assert_int_equal(r.status, 0);
	gth_proc_result_release(&r);
}

struct start_fail {
	const char *prog;
	const char *dir;
	int code;
	const char *msg;
};

static const struct start_fail start_fails[] = {
	{ "gth-no-such-program", NULL, 66, "unable to run 'gth-no-such-program': No such file" },
	{ "pwd", "/no/such/dir", 66, "no such directory '/no/such/dir'" },
	{ "/tmp/gth-proc-noexec", NULL, 77, "unable to run '/tmp/gth-proc-noexec': Permission denied" },
};

static void test_start_failures(void **state)
{
	size_t i;
	FILE *f = fopen("/tmp/gth-proc-noexec", "w");
	(void)state;
	assert_non_null(f);
	fputs("not a program\n", f);
	fclose(f);
	chmod("/tmp/gth-proc-noexec", 0644);
	for (i = 0; i < GTH_ARRAY_SIZE(start_fails); i++) {
		const char *argv[] = { start_fails[i].prog, NULL };
		struct gth_proc_opts o = GTH_PROC_OPTS_INIT;
		struct gth_proc_result r = GTH_PROC_RESULT_INIT;
		struct gth_error err = GTH_ERROR_INIT;

		o.argv = argv;
		o.dir = start_fails[i].dir;
		assert_int_equal(gth_proc_run(&r, &o, &err), -1);
		assert_int_equal(err.exit, start_fails[i].code);
		if (!strstr(err.msg, start_fails[i].msg))
			fail_msg("case %zu: %d message '%s'", i, err.exit, err.msg);
		gth_proc_result_release(&r);
	}
	unlink("/tmp/gth-proc-noexec");
}

static void test_invalid_opts(void **state)
{
	const char *argv[] = { "true", NULL };
	struct gth_proc_opts o = GTH_PROC_OPTS_INIT;
	struct gth_proc *p = NULL;
	struct gth_error err = GTH_ERROR_INIT;
	(void)state;

	assert_int_equal(gth_proc_start(&p, &o, &err), -1);
	assert_int_equal(err.exit, 70);
	o.argv = argv;
	o.sh = "true";
	assert_int_equal(gth_proc_start(&p, &o, &err), -1);
	assert_null(p);
}

static void test_stdin(void **state)
{
	size_t big = 3 * 1024 * 1024 + 17;
	char *data = malloc(big);
	struct gth_proc_opts o = GTH_PROC_OPTS_INIT;
	struct gth_proc_result r = GTH_PROC_RESULT_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	(void)state;

	assert_non_null(data);
	memset(data, 'x', big);
	o.sh = "cat";
	o.stdin_data = "abc\ndef";
	o.stdin_len = 7;
	assert_int_equal(gth_proc_run(&r, &o, &err), 0);
	assert_string_equal(gth_buf_cstr(&r.out), "abc\ndef");

	/* More than a pipe holds, read back while it is written. */
	o.sh = "wc -c";
	o.stdin_data = data;
	o.stdin_len = big;
	assert_int_equal(gth_proc_run(&r, &o, &err), 0);
	assert_int_equal(strtol(gth_buf_cstr(&r.out), NULL, 10), (long)big);

	/* A child that never reads: no SIGPIPE for us, and no hang. */
	o.sh = "exit 4";
	assert_int_equal(gth_proc_run(&r, &o, &err), 0);
	assert_int_equal(r.status, 4);

	/* Empty stdin data: an empty pipe, not /dev/null, but end of file at once. */
	o.sh = "cat";
	o.stdin_data = "";
	o.stdin_len = 0;
	assert_int_equal(gth_proc_run(&r, &o, &err), 0);
	assert_string_equal(gth_buf_cstr(&r.out), "");
	gth_proc_result_release(&r);
	free(data);
}

static void test_output_cap(void **state)
{
	struct gth_proc_opts o = GTH_PROC_OPTS_INIT;
	struct gth_proc_result r = GTH_PROC_RESULT_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	(void)state;

	/* 100 MB through a 1000-byte cap: counted and dropped. */
	o.sh = "head -c 100000000 /dev/zero; echo tail >&2";
	o.max_output = 1000;
	assert_int_equal(gth_proc_run(&r, &o, &err), 0);
	assert_int_equal(r.out.len, 1000);
	assert_true(r.out.cap < 200000);
	assert_int_equal(r.out_dropped, 100000000 - 1000);
	assert_string_equal(gth_buf_cstr(&r.err), "tail\n");
	assert_int_equal(r.err_dropped, 0);
	assert_int_equal(r.status, 0);
	gth_proc_result_release(&r);
}

static void test_output_keep_tail(void **state)
{
	struct gth_proc_opts o = GTH_PROC_OPTS_INIT;
	struct gth_proc_result r = GTH_PROC_RESULT_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	/* seq 1 100000 writes 588895 bytes */
	static const struct {
		const char *sh;
		size_t cap, len, gap;
		uint64_t dropped;
		const char *head, *tail;
	} cases[] = {
		{ "seq 1 100000", 1000, 1000, 500, 588895 - 1000, "1\n2\n3\n", "99999\n100000\n" },
		{ "seq 1 100000", 1001, 1001, 500, 588895 - 1001, "1\n2\n3\n", "99999\n100000\n" },
		{ "seq 1 5", 1000, 10, 10, 0, "1\n2\n", "4\n5\n" },
		{ "seq 1 300", 1000, 1000, 500, 1092 - 1000, "1\n2\n", "299\n300\n" },
		{ "head -c 30000000 /dev/zero; echo end", 4096, 4096, 2048, 30000004 - 4096, "", "\0end\n" },
	};
	size_t i;
	(void)state;

	for (i = 0; i < GTH_ARRAY_SIZE(cases); i++) {
		size_t tl = strlen(cases[i].tail);
		o.sh = cases[i].sh;
		o.max_output = cases[i].cap;
		o.keep_tail = 1;
		assert_int_equal(gth_proc_run(&r, &o, &err), 0);
		if (r.out.len != cases[i].len || r.out_gap != cases[i].gap ||
		    r.out_dropped != cases[i].dropped)
			fail_msg("case %zu: len %zu gap %zu dropped %llu", i, r.out.len, r.out_gap,
				 (unsigned long long)r.out_dropped);
		assert_memory_equal(r.out.ptr, cases[i].head, strlen(cases[i].head));
		if (tl == 0) /* a tail starting with NUL */
			assert_memory_equal(r.out.ptr + r.out.len - 5, "\0end\n", 5);
		else
			assert_memory_equal(r.out.ptr + r.out.len - tl, cases[i].tail, tl);
		assert_true(r.out.cap < 4 * cases[i].cap + 70000);
		gth_proc_result_release(&r);
	}
	/* Without keep_tail the gap is the end. */
	o.sh = "seq 1 100000";
	o.max_output = 1000;
	o.keep_tail = 0;
	assert_int_equal(gth_proc_run(&r, &o, &err), 0);
	assert_int_equal(r.out_gap, 1000);
	assert_memory_equal(r.out.ptr + 995, "\n277\n", 5);
	gth_proc_result_release(&r);
}

static int proc_gone(long pid)
{
	char path[64], buf[512], *rp;
	FILE *f;
	int gone;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 1;
	gone = fgets(buf, sizeof(buf), f) && (rp = strrchr(buf, ')')) && rp[1] == ' ' &&
	       (rp[2] == 'Z' || rp[2] == 'X');
	fclose(f);
	return gone;
}

static long read_pid_file(const char *path)
{
	FILE *f = fopen(path, "r");
	long pid = -1;
	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = -1;
		fclose(f);
	}
	return pid;
}

static void test_timeout_kills_group(void **state)
{
	char pidfile[] = "/tmp/gth-proc-test.XXXXXX", sh[512];
	struct gth_proc_opts o = GTH_PROC_OPTS_INIT;
	struct gth_proc_result r = GTH_PROC_RESULT_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	int fd = mkstemp(pidfile);
	long grandchild;
	int i;
	(void)state;

	assert_true(fd >= 0);
	close(fd);
	/* The shell and its grandchild both ignore SIGTERM; only SIGKILL ends them. */
	snprintf(sh, sizeof(sh),
		 "trap '' TERM; sh -c 'trap \"\" TERM; echo $$ >%s; exec sleep 30' & wait; wait",
		 pidfile);
	o.sh = sh;
	o.timeout_ms = 300;
	o.grace_ms = 300;
	assert_int_equal(gth_proc_run(&r, &o, &err), 0);
	assert_int_equal(r.timed_out, 1);
	assert_int_equal(r.signal, SIGKILL);
	assert_int_equal(r.status, 128 + SIGKILL);
	assert_true(r.duration_ms >= 550);
	assert_true(r.duration_ms < 3000);
	grandchild = read_pid_file(pidfile);
	assert_true(grandchild > 1);
	for (i = 0; i < 50 && !proc_gone(grandchild); i++)
		gth_sleep_ms(20);
	assert_true(proc_gone(grandchild));
	gth_proc_result_release(&r);

	/* A child that goes on SIGTERM ends at the timeout, not after the grace. */
	o.sh = "sleep 30";
	o.timeout_ms = 200;
	o.grace_ms = 10000;
	assert_int_equal(gth_proc_run(&r, &o, &err), 0);
	assert_int_equal(r.timed_out, 1);
	assert_int_equal(r.signal, SIGTERM);
	assert_int_equal(r.status, 143);
	assert_true(r.duration_ms < 2000);
	gth_proc_result_release(&r);
	unlink(pidfile);
}

static void test_leftovers_stopped(void **state)
{
	char pidfile[] = "/tmp/gth-proc-test.XXXXXX", sh[256];
	struct gth_proc_opts o = GTH_PROC_OPTS_INIT;
	struct gth_proc_result r = GTH_PROC_RESULT_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	int fd = mkstemp(pidfile);
	long bg;
	int i;
	(void)state;

	assert_true(fd >= 0);
	close(fd);
	/* A background process keeps stdout open after the child exits. */
	snprintf(sh, sizeof(sh), "sleep 30 & echo $! >%s; echo done", pidfile);
	o.sh = sh;
	assert_int_equal(gth_proc_run(&r, &o, &err), 0);
	assert_string_equal(gth_buf_cstr(&r.out), "done\n");
	assert_int_equal(r.status, 0);
	assert_int_equal(r.timed_out, 0);
	assert_true(r.duration_ms < 3000);
	bg = read_pid_file(pidfile);
	assert_true(bg > 1);
	for (i = 0; i < 50 && !proc_gone(bg); i++)
		gth_sleep_ms(20);
	assert_true(proc_gone(bg));
	gth_proc_result_release(&r);

	/* And one with its output elsewhere is stopped too. */
	snprintf(sh, sizeof(sh), "sleep 30 >/dev/null 2>&1 & echo $! >%s", pidfile);
	assert_int_equal(gth_proc_run(&r, &o, &err), 0);
	bg = read_pid_file(pidfile);
	for (i = 0; i < 50 && !proc_gone(bg); i++)
		gth_sleep_ms(20);
	assert_true(proc_gone(bg));
	gth_proc_result_release(&r);
	unlink(pidfile);
}

static void test_parallel(void **state)
{
	struct gth_proc *procs[6] = { NULL };
	struct gth_error err = GTH_ERROR_INIT;
	int64_t start = gth_now_ms();
	size_t i;
	int n = 0;
	(void)state;

	for (i = 0; i < 6; i++) {
		char sh[64];
		struct gth_proc_opts o = GTH_PROC_OPTS_INIT;
		snprintf(sh, sizeof(sh), "sleep 0.3; echo %zu; exit %zu", i, i);
		o.sh = sh;
		o.err = GTH_PROC_MERGE;
		assert_int_equal(gth_proc_start(&procs[i], &o, &err), 0);
		assert_true(gth_proc_pid(procs[i]) > 0);
		assert_null(gth_proc_result(procs[i]));
	}
	procs[2] = (gth_proc_free(procs[2]), NULL); /* a killed one leaves a NULL slot */
	while (n < 5) {
		n = gth_proc_poll(procs, 6, -1, &err);
		assert_true(n >= 0);
	}
	assert_true(gth_now_ms() - start < 2000);
	for (i = 0; i < 6; i++) {
		char want[8];
		struct gth_proc_result *r;
		if (i == 2)
			continue;
		r = gth_proc_result(procs[i]);
		assert_non_null(r);
		snprintf(want, sizeof(want), "%zu\n", i);
		assert_string_equal(gth_buf_cstr(&r->out), want);
		assert_int_equal(r->status, (int)i);
	}
	/* Done ones may be polled again; it comes back at once. */
	assert_int_equal(gth_proc_poll(procs, 6, -1, &err), 5);
	for (i = 0; i < 6; i++)
		gth_proc_free(procs[i]);
}

static void test_poll_wait_and_kill(void **state)
{
	struct gth_proc_opts o = GTH_PROC_OPTS_INIT;
	struct gth_proc *p = NULL;
	struct gth_error err = GTH_ERROR_INIT;
	struct gth_proc_result *r;
	int64_t start;
	(void)state;

	o.sh = "echo started; sleep 30";
	assert_int_equal(gth_proc_start(&p, &o, &err), 0);
	start = gth_now_ms();
	assert_int_equal(gth_proc_poll(&p, 1, 150, &err), 0);
	assert_true(gth_now_ms() - start >= 140);
	assert_false(gth_proc_done(p));
	gth_proc_kill(p);
	while (!gth_proc_done(p))
		assert_true(gth_proc_poll(&p, 1, -1, &err) >= 0);
	r = gth_proc_result(p);
	assert_int_equal(r->killed, 1);
	assert_int_equal(r->timed_out, 0);
	assert_int_equal(r->signal, SIGTERM);
	assert_string_equal(gth_buf_cstr(&r->out), "started\n");
	gth_proc_free(p);

	/* Freeing a running child kills its group. */
	o.sh = "sleep 30";
	assert_int_equal(gth_proc_start(&p, &o, &err), 0);
	start = gth_now_ms();
	gth_proc_free(p);
	assert_true(gth_now_ms() - start < 1000);
	gth_proc_free(NULL);
	gth_proc_result_release(NULL);
}

static void test_inherit(void **state)
{
	struct gth_proc_opts o = GTH_PROC_OPTS_INIT;
	struct gth_proc_result r = GTH_PROC_RESULT_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	(void)state;

	o.sh = "exit 0";
	o.out = GTH_PROC_INHERIT;
	o.err = GTH_PROC_INHERIT;
	assert_int_equal(gth_proc_run(&r, &o, &err), 0);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.out.len, 0);
	gth_proc_result_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sh_cases),
		cmocka_unit_test(test_argv_and_dir),
		cmocka_unit_test(test_start_failures),
		cmocka_unit_test(test_invalid_opts),
		cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_output_cap),
		cmocka_unit_test(test_output_keep_tail),
		cmocka_unit_test(test_timeout_kills_group),
		cmocka_unit_test(test_leftovers_stopped),
		cmocka_unit_test(test_parallel),
		cmocka_unit_test(test_poll_wait_and_kill),
		cmocka_unit_test(test_inherit),
	};
	/* Orphaned grandchildren come back to us, so they can be checked and reaped. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
