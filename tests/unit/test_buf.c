#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gth/buf.h"
#include "gth/error.h"
#include "gth/fs.h"
#include "gth/util.h"

static void test_grow_and_print(void **state)
{
	struct gth_buf b = GTH_BUF_INIT;
	char *p;
	int i;

	(void)state;
	assert_string_equal(gth_buf_cstr(&b), "");
	for (i = 0; i < 1000; i++)
		assert_int_equal(gth_buf_printf(&b, "%d,", i), 0);
	assert_int_equal(strncmp(b.ptr, "0,1,2,", 6), 0);
	assert_int_equal(b.ptr[b.len], '\0');
	gth_buf_clear(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(gth_buf_cstr(&b), "");
	gth_buf_put(&b, "a\0b", 3);
	assert_int_equal(b.len, 3);
	gth_buf_putc(&b, 'c');
	gth_buf_puts(&b, "de");
	assert_memory_equal(b.ptr, "a\0bcde", 6);
	p = gth_buf_detach(&b);
	assert_null(b.ptr);
	free(p);
	gth_buf_release(&b);
	gth_buf_release(NULL);
	/* A long printf that needs a second pass. */
	{
		char big[5000];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		gth_buf_printf(&b, "<%s>", big);
		assert_int_equal(b.len, sizeof(big) + 1);
		gth_buf_release(&b);
	}
}

static void test_read_file(void **state)
{
	struct gth_buf b = GTH_BUF_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	char dir[] = "/tmp/gth-unit-XXXXXX";
	char path[256];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	assert_int_equal(gth_write_file_atomic(path, "hello", 5, 0600, &err), 0);
	assert_int_equal(gth_buf_read_file(&b, path, 0, &err), 0);
	assert_string_equal(b.ptr, "hello");
	gth_buf_clear(&b);
	assert_int_equal(gth_buf_read_file(&b, path, 3, &err), -1);
	assert_int_equal(err.exit, GTH_EXIT_DATAERR);
	assert_int_equal(gth_buf_read_file(&b, "/nonexistent/x", 0, &err), -1);
	assert_int_equal(err.exit, GTH_EXIT_NOINPUT);
	assert_non_null(strstr(err.msg, "unable to open '/nonexistent/x'"));
	assert_int_equal(gth_buf_read_file(&b, dir, 0, &err), -1);
	assert_int_equal(err.exit, GTH_EXIT_NOINPUT);
	{
		struct stat st;

		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
	}
	unlink(path);
	rmdir(dir);
	gth_buf_release(&b);
}

static void test_fs(void **state)
{
	struct gth_error err = GTH_ERROR_INIT;
	struct gth_buf b = GTH_BUF_INIT;
	char dir[] = "/tmp/gth-unit-XXXXXX";
	char sub[256];
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/a/b/c", dir);
	assert_int_equal(gth_mkdir_p(sub, 0700, &err), 0);
	assert_true(gth_is_dir(sub));
	assert_int_equal(gth_mkdir_p(sub, 0700, &err), 0);
	setenv("XDG_CACHE_HOME", dir, 1);
	assert_int_equal(gth_cache_dir(&b, "osv", &err), 0);
	assert_int_equal(strncmp(b.ptr, dir, strlen(dir)), 0);
	assert_true(gth_ends_with(b.ptr, "/gth/osv"));
	assert_int_equal(stat(b.ptr, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	gth_path_join(&b, "/a/", "b");
	assert_string_equal(b.ptr, "/a/b");
	gth_path_join(&b, "a", "/abs");
	assert_string_equal(b.ptr, "/abs");
	gth_path_join(&b, "a", "b");
	assert_string_equal(b.ptr, "a/b");
	assert_int_equal(gth_remove_tree(dir, &err), 0);
	assert_false(gth_file_exists(dir));
	assert_int_equal(gth_remove_tree(dir, &err), 0);
	gth_buf_release(&b);
}

/* Writing "atomically" to a FIFO or a device must write into it, not rename a file
 * over it (as root that replaced /dev/null with a regular file). */
static void test_write_special(void **state)
{
	struct gth_error err = GTH_ERROR_INIT;
	char dir[] = "/tmp/gth-unit-XXXXXX", fifo[256], got[16];
	struct stat st;
	int rd;
	ssize_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	rd = open(fifo, O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	assert_int_equal(gth_write_file_atomic(fifo, "through", 7, 0644, &err), 0);
	n = read(rd, got, sizeof(got));
	assert_int_equal(n, 7);
	assert_memory_equal(got, "through", 7);
	close(rd);
	assert_int_equal(lstat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(unlink(fifo), 0);
	assert_int_equal(gth_write_file_atomic("/dev/null", "x", 1, 0644, &err), 0);
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(rmdir(dir), 0);
}

static void test_error(void **state)
{
	struct gth_error err = GTH_ERROR_INIT;
	char big[2000];

	(void)state;
	assert_int_equal(gth_error_set(&err, GTH_EXIT_CONFIG, "bad %s", "thing"), -1);
	assert_string_equal(err.msg, "bad thing");
	gth_error_prefix(&err, "gth.yaml: ");
	assert_string_equal(err.msg, "gth.yaml: bad thing");
	assert_int_equal(err.exit, GTH_EXIT_CONFIG);
	memset(big, 'p', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	gth_error_prefix(&err, "%s", big);
	assert_int_equal(strlen(err.msg), GTH_ERROR_MSG_MAX - 1);
	gth_error_clear(&err);
	assert_int_equal(err.exit, 0);
	assert_int_equal(gth_error_set(NULL, 1, "x"), -1);
	assert_string_equal(gth_exit_status(0), "success");
	assert_string_equal(gth_exit_status(1), "failure");
	assert_string_equal(gth_exit_status(2), "inconclusive");
	assert_string_equal(gth_exit_status(65), "error");
	assert_string_equal(gth_exit_name(78), "configuration error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grow_and_print), cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_fs), cmocka_unit_test(test_error),
		cmocka_unit_test(test_write_special),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
