#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gth/buf.h"
#include "gth/digest.h"
#include "gth/fs.h"
#include "gth/gha.h"
#include "gth/log.h"
#include "gth/util.h"

/* Run fn with stderr sent to a buffer; returns what it printed. */
static char *capture(void (*fn)(void))
{
	char path[] = "/tmp/gth-unit-log-XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	struct gth_buf b = GTH_BUF_INIT;

	fflush(stderr);
	dup2(fd, 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	gth_buf_read_file(&b, path, 0, NULL);
	unlink(path);
	if (!b.ptr)
		return strdup("");
	return gth_buf_detach(&b);
}

static void print_some(void)
{
	gth_note("hello %s", "world");
	gth_verbose("hidden unless -v");
	gth_warn("token is sekrit-value-123 here");
	gth_errorf("bad thing");
}

static void test_messages(void **state)
{
	char *s;

	(void)state;
	unsetenv("GITHUB_ACTIONS");
	setenv("NO_COLOR", "1", 1);
	gth_log_init("gth-x");
	gth_secret_add("sekrit-value-123");
	gth_secret_add("abc"); /* too short to redact */
	s = capture(print_some);
	assert_string_equal(s, "gth-x: hello world\n"
			       "gth-x: warning: token is *** here\n"
			       "gth-x: error: bad thing\n");
	free(s);
	gth_log_set_quiet(1);
	s = capture(print_some);
	assert_string_equal(s, "gth-x: warning: token is *** here\ngth-x: error: bad thing\n");
	free(s);
	gth_log_set_quiet(0);
	s = gth_redact("a sekrit-value-123 b sekrit-value-123");
	assert_string_equal(s, "a *** b ***");
	free(s);
	assert_int_equal(gth_log_color(stderr), 0);
}

static void annotate(void)
{
	gth_gha_annotate("error", "src/a,b.js", 12, "T: x", "line1\nline2 100%%");
	gth_gha_group_begin("gate unit");
	gth_gha_group_end();
	gth_gha_mask("multi\nline");
}

static void test_gha(void **state)
{
	char dir[] = "/tmp/gth-unit-XXXXXX";
	char out[256], sum[256];
	struct gth_buf b = GTH_BUF_INIT;
	char *s;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(sum, sizeof(sum), "%s/sum", dir);
	s = capture(annotate);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(gth_gha_output("x", "y", NULL), 0);
	setenv("GITHUB_ACTIONS", "true", 1);
	setenv("GITHUB_OUTPUT", out, 1);
	setenv("GITHUB_STEP_SUMMARY", sum, 1);
	s = capture(annotate);
	assert_string_equal(s, "::error file=src/a%2Cb.js,line=12,title=T%3A x::line1%0Aline2 100%25\n"
			       "::group::gate unit\n::endgroup::\n"
			       "::add-mask::multi\n::add-mask::line\n");
	free(s);
	assert_int_equal(gth_gha_output("digest", "sha256:abc", NULL), 0);
	assert_int_equal(gth_gha_output("notes", "a\nb", NULL), 0);
	assert_int_equal(gth_gha_summary("| a |\n", NULL), 0);
	gth_buf_read_file(&b, out, 0, NULL);
	assert_int_equal(strncmp(b.ptr, "digest=sha256:abc\nnotes<<ghadelimiter_", 38), 0);
	{
		const char *d = b.ptr + strlen("digest=sha256:abc\nnotes<<");
		size_t n = strcspn(d, "\n");
		char delim[64];

		char *want;

		assert_true(n > 13 && n < sizeof(delim));
		memcpy(delim, d, n);
		delim[n] = '\0';
		want = gth_strdupf("digest=sha256:abc\nnotes<<%s\na\nb\n%s\n", delim, delim);
		assert_string_equal(b.ptr, want);
		free(want);
	}
	gth_buf_clear(&b);
	gth_buf_read_file(&b, sum, 0, NULL);
	assert_string_equal(b.ptr, "| a |\n");
	unsetenv("GITHUB_ACTIONS");
	gth_buf_release(&b);
	gth_remove_tree(dir, NULL);
}

static void test_digest(void **state)
{
	char hex[65];
	struct gth_sha256 h;

	(void)state;
	assert_int_equal(gth_sha256_hex("abc", 3, hex), 0);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(gth_sha256_init(&h), 0);
	gth_sha256_update(&h, "a", 1);
	gth_sha256_update(&h, "bc", 2);
	assert_int_equal(gth_sha256_final(&h, hex), 0);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* RFC 4231 test case 2 */
	assert_int_equal(gth_hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28, hex), 0);
	assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	gth_sha256_release(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_gha),
		cmocka_unit_test(test_digest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
