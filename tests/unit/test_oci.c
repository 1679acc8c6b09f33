#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gth/digest.h"
#include "gth/fs.h"
#include "gth/oci.h"
#include "gth/util.h"

/* A tar entry for the fixtures: type 'f' file, 'd' dir, 'l' symlink, 'h' hard link. */
struct ent {
	char type;
	const char *path;
	const char *data; /* file contents or link target */
};

static char tmpdir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/gth-test-oci.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	gth_remove_tree(tmpdir, NULL);
	return 0;
}

static char *tpath(const char *name)
{
	return gth_strdupf("%s/%s", tmpdir, name);
}

static void write_tar(const char *path, const struct ent *e, size_t n, int gzip)
{
	struct archive *a = archive_write_new();
	size_t i;

	archive_write_set_format_pax_restricted(a);
	if (gzip)
		archive_write_add_filter_gzip(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();

		archive_entry_set_pathname(ae, e[i].path);
		archive_entry_set_mtime(ae, 0, 0);
		switch (e[i].type) {
		case 'd':
			archive_entry_set_filetype(ae, AE_IFDIR);
			archive_entry_set_perm(ae, 0755);
			break;
		case 'l':
			archive_entry_set_filetype(ae, AE_IFLNK);
			archive_entry_set_perm(ae, 0777);
			archive_entry_set_symlink(ae, e[i].data);
			break;
		case 'h':
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_perm(ae, 0644);
			archive_entry_set_hardlink(ae, e[i].data);
			break;
		default:
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_perm(ae, 0644);
			archive_entry_set_size(ae, (la_int64_t)strlen(e[i].data));
		}
		assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
		if (e[i].type == 'f')
			archive_write_data(a, e[i].data, strlen(e[i].data));
		archive_entry_free(ae);
	}
	archive_write_close(a);
	archive_write_free(a);
}

/* Iterate a layer; returns 0 when all entries pass, else -1 with err. */
static int iterate(const char *path, struct gth_error *err, char *seen, size_t seen_size)
{
	struct gth_layer *l = NULL;
	struct gth_layer_entry e;
	int r;

	seen[0] = '\0';
	if (gth_layer_open_file(&l, path, err) < 0)
		return -1;
	while ((r = gth_layer_next(l, &e, err)) == 1) {
		static const char types[] = "fdlhowO";
		size_t n = strlen(seen);

		snprintf(seen + n, seen_size - n, "%c:%s ", types[e.type], e.path);
	}
	gth_layer_close(l);
	return r < 0 ? -1 : 0;
}

struct safety_case {
	struct ent ents[3];
	size_t n;
	const char *msg;   /* NULL: accepted */
	const char *seen;  /* what the iteration reports when accepted */
};

static const struct safety_case safety[] = {
	{ { { 'f', "../etc/passwd", "x" } }, 1, "'..' in path", NULL },
	{ { { 'f', "/etc/passwd", "x" } }, 1, "absolute path", NULL },
	{ { { 'f', "a/../../b", "x" } }, 1, "'..' in path", NULL },
	{ { { 'l', "a", "../../x" } }, 1, "escapes the root", NULL },
	{ { { 'l', "d/e/l", "../../../x" } }, 1, "escapes the root", NULL },
	{ { { 'l', "d/e/l", "../../x" } }, 1, NULL, "l:d/e/l " },
	{ { { 'l', "abs", "/etc/passwd" } }, 1, NULL, "l:abs " },
	{ { { 'l', "l", "/etc" }, { 'f', "l/passwd", "x" } }, 2, "passes through a symlink", NULL },
	{ { { 'l', "l", "x" }, { 'd', "l", "" }, { 'f', "l/ok", "x" } }, 3, NULL, "l:l d:l f:l/ok " },
	{ { { 'f', "x", "1" }, { 'h', "h", "../x" } }, 2, "unsafe hard link", NULL },
	{ { { 'f', "x", "1" }, { 'h', "h", "/x" } }, 2, "unsafe hard link", NULL },
	{ { { 'f', "./usr/x", "1" }, { 'h', "./h", "./usr/x" } }, 2, NULL, "f:usr/x h:h " },
	{ { { 'd', "./", "" }, { 'f', "d/.wh.gone", "" }, { 'f', "d/.wh..wh..opq", "" } }, 3, NULL,
	  "d: w:d/gone O:d " },
};

static void test_layer_safety(void **state)
{
	size_t i;
	char *path = tpath("layer.tar");
	(void)state;
	for (i = 0; i < GTH_ARRAY_SIZE(safety); i++) {
		struct gth_error err = GTH_ERROR_INIT;
		char seen[512];
		int rc;

		write_tar(path, safety[i].ents, safety[i].n, (int)(i % 2));
		rc = iterate(path, &err, seen, sizeof(seen));
		if (safety[i].msg) {
			if (rc == 0 || !strstr(err.msg, safety[i].msg))
				print_error("case %zu: rc %d '%s', expected '%s'\n", i, rc, err.msg,
					    safety[i].msg);
			assert_int_equal(rc, -1);
			assert_int_equal(err.exit, GTH_EXIT_DATAERR);
			assert_non_null(strstr(err.msg, safety[i].msg));
		} else {
			if (rc != 0)
				print_error("case %zu: %s\n", i, err.msg);
			assert_int_equal(rc, 0);
			assert_string_equal(seen, safety[i].seen);
		}
	}
	free(path);
}

static char *slurp(const char *root, const char *rel)
{
	struct gth_buf b = GTH_BUF_INIT;
	char *p = gth_strdupf("%s/%s", root, rel);

	if (gth_buf_read_file(&b, p, 0, NULL) < 0) {
		free(p);
		gth_buf_release(&b);
		return NULL;
	}
	free(p);
	if (!b.ptr)
		return strdup("");
	return gth_buf_detach(&b);
}

static void test_layer_apply(void **state)
{
	const struct ent l1[] = {
		{ 'd', "usr/lib", "" },
		{ 'l', "lib", "usr/lib" },
		{ 'f', "a/keep", "k" },
		{ 'f', "a/gone", "g" },
		{ 'f', "o/old", "o" },
		{ 'l', "evil", "/../../../../outside" },
	};
	const struct ent l2[] = {
		{ 'f', "lib/x", "through the lower symlink" },
		{ 'f', "a/.wh.gone", "" },
		{ 'f', "o/.wh..wh..opq", "" },
		{ 'f', "o/new", "n" },
		{ 'f', "evil/pwn", "stays inside" },
		{ 'h', "a/hard", "a/keep" },
	};
	char *t1 = tpath("l1.tar"), *t2 = tpath("l2.tar.gz"), *root = tpath("root");
	char *s, *outside = tpath("outside");
	struct gth_layer *l = NULL;
	struct gth_error err = GTH_ERROR_INIT;
	(void)state;
	write_tar(t1, l1, GTH_ARRAY_SIZE(l1), 0);
	write_tar(t2, l2, GTH_ARRAY_SIZE(l2), 1);
	assert_int_equal(gth_layer_open_file(&l, t1, &err), 0);
	assert_int_equal(gth_layer_apply(root, l, &err), 0);
	gth_layer_close(l);
	assert_int_equal(gth_layer_open_file(&l, t2, &err), 0);
	if (gth_layer_apply(root, l, &err) < 0)
		print_error("%s\n", err.msg);
	gth_layer_close(l);
	assert_int_equal(err.exit, 0);
	s = slurp(root, "usr/lib/x");
	assert_non_null(s);
	assert_string_equal(s, "through the lower symlink");
	free(s);
	s = slurp(root, "a/keep");
	assert_string_equal(s, "k");
	free(s);
	s = slurp(root, "a/hard");
	assert_string_equal(s, "k");
	free(s);
	assert_null(slurp(root, "a/gone"));
	assert_null(slurp(root, "o/old"));
	s = slurp(root, "o/new");
	assert_string_equal(s, "n");
	free(s);
	/* the absolute symlink resolved inside root, never outside it */
	s = slurp(root, "outside/pwn");
	assert_non_null(s);
	free(s);
	assert_int_equal(gth_file_exists(outside), 0);
	assert_int_equal(gth_file_exists("/outside/pwn"), 0);
	free(outside);
	free(t1);
	free(t2);
	free(root);
}

static void put_blob_file(const char *dir, const char *digest, const char *data)
{
	char *p = gth_strdupf("%s/blobs/sha256/%s", dir, digest + 7);

	assert_int_equal(gth_write_file_atomic(p, data, strlen(data), 0644, NULL), 0);
	free(p);
}

/* A layout with one image tagged v1; returns the manifest digest in md. */
static void make_layout(const char *dir, char md[GTH_DIGEST_STR_LEN], char ld[GTH_DIGEST_STR_LEN])
{
	struct gth_error err = GTH_ERROR_INIT;
	char cd[GTH_DIGEST_STR_LEN];
	const char *cfg = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
	char *man;
	struct gth_oci_desc d;

	assert_int_equal(gth_oci_layout_create(dir, &err), 0);
	assert_int_equal(gth_oci_layout_put(dir, cfg, strlen(cfg), cd, &err), 0);
	assert_int_equal(gth_oci_layout_put(dir, "layer bytes", 11, ld, &err), 0);
	man = gth_strdupf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\","
			  "\"digest\":\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":\"%s\","
			  "\"digest\":\"%s\",\"size\":11}]}",
			  GTH_MT_OCI_MANIFEST, GTH_MT_OCI_CONFIG, cd, strlen(cfg), GTH_MT_OCI_LAYER, ld);
	assert_int_equal(gth_oci_layout_put(dir, man, strlen(man), md, &err), 0);
	d.media_type = (char *)GTH_MT_OCI_MANIFEST;
	d.digest = md;
	d.size = (int64_t)strlen(man);
	d.platform = NULL;
	assert_int_equal(gth_oci_layout_tag(dir, &d, "v1", &err), 0);
	/* tagging again replaces, never duplicates */
	assert_int_equal(gth_oci_layout_tag(dir, &d, "v1", &err), 0);
	free(man);
}

static void test_layout_roundtrip(void **state)
{
	char *dir = tpath("layout"), *spec, *idx;
	char md[GTH_DIGEST_STR_LEN], ld[GTH_DIGEST_STR_LEN];
	struct gth_oci_src *s = NULL;
	struct gth_error err = GTH_ERROR_INIT;
	struct gth_buf b = GTH_BUF_INIT;
	struct gth_oci_blob blob;
	char buf[16];
	(void)state;
	make_layout(dir, md, ld);
	spec = gth_strdupf("oci:%s:v1", dir);
	assert_int_equal(gth_oci_src_open(&s, spec, &err), 0);
	assert_string_equal(gth_oci_src_root(s)->digest, md);
	assert_string_equal(gth_oci_src_root(s)->media_type, GTH_MT_OCI_MANIFEST);
	assert_int_equal(gth_oci_src_read(&b, s, md, gth_oci_src_root(s)->size, 0, &err), 0);
	assert_non_null(strstr(b.ptr, ld));
	assert_int_equal(gth_oci_src_blob(&blob, s, ld, &err), 0);
	assert_int_equal(blob.size, 11);
	assert_int_equal(gth_oci_blob_pread(&blob, buf, sizeof(buf), 6), 5);
	assert_memory_equal(buf, "bytes", 5);
	/* a missing blob is bad input */
	assert_int_equal(gth_oci_src_blob(&blob, s, "sha256:0000000000000000000000000000000000000000000000000000000000000000", &err), -1);
	assert_int_equal(err.exit, GTH_EXIT_DATAERR);
	assert_non_null(strstr(err.msg, "missing"));
	gth_oci_src_close(s);
	s = NULL;
	free(spec);
	/* without a tag: the only entry; an unknown tag is missing input */
	assert_int_equal(gth_oci_src_open(&s, dir, &err), 0);
	gth_oci_src_close(s);
	s = NULL;
	spec = gth_strdupf("oci:%s:nope", dir);
	assert_int_equal(gth_oci_src_open(&s, spec, &err), -1);
	assert_int_equal(err.exit, GTH_EXIT_NOINPUT);
	free(spec);
	/* wrong digest: the manifest's bytes changed */
	put_blob_file(dir, md, "{\"tampered\":true}");
	assert_int_equal(gth_oci_src_open(&s, dir, &err), 0);
	assert_int_equal(gth_oci_src_read(&b, s, md, -1, 0, &err), -1);
	assert_int_equal(err.exit, GTH_EXIT_DATAERR);
	assert_non_null(strstr(err.msg, "does not match its digest"));
	gth_oci_src_close(s);
	s = NULL;
	/* index.json that is not JSON */
	idx = gth_strdupf("%s/index.json", dir);
	assert_int_equal(gth_write_file_atomic(idx, "{not json", 9, 0644, NULL), 0);
	assert_int_equal(gth_oci_src_open(&s, dir, &err), -1);
	assert_int_equal(err.exit, GTH_EXIT_DATAERR);
	assert_non_null(strstr(err.msg, "index.json"));
	free(idx);
	/* a missing layout */
	assert_int_equal(gth_oci_src_open(&s, "oci:/nonexistent/gth", &err), -1);
	assert_int_equal(err.exit, GTH_EXIT_NOINPUT);
	gth_buf_release(&b);
	free(dir);
}

static void test_docker_archive(void **state)
{
	const char *cfg = "{\"os\":\"linux\",\"architecture\":\"amd64\"}";
	const char *layer = "pretend this is a tar";
	char *man = gth_strdupf("[{\"Config\":\"abc.json\",\"RepoTags\":[\"acme/app:1\"],"
				"\"Layers\":[\"l1/layer.tar\"]}]");
	struct ent ents[3] = { { 'f', "manifest.json", man }, { 'f', "abc.json", cfg },
			       { 'f', "l1/layer.tar", layer } };
	char *path = tpath("save.tar"), *spec;
	struct gth_oci_src *s = NULL;
	struct gth_error err = GTH_ERROR_INIT;
	struct gth_buf b = GTH_BUF_INIT;
	char hex[65], want[80];
	struct gth_oci_blob blob;
	(void)state;
	write_tar(path, ents, 3, 0);
	spec = gth_strdupf("docker-archive:%s", path);
	if (gth_oci_src_open(&s, spec, &err) < 0)
		print_error("%s\n", err.msg);
	assert_non_null(s);
	assert_string_equal(gth_oci_src_root(s)->media_type, GTH_MT_OCI_MANIFEST);
	assert_int_equal(gth_oci_src_read(&b, s, gth_oci_src_root(s)->digest, -1, 0, &err), 0);
	gth_sha256_hex(layer, strlen(layer), hex);
	snprintf(want, sizeof(want), "sha256:%s", hex);
	assert_non_null(strstr(b.ptr, want));
	assert_int_equal(gth_oci_src_blob(&blob, s, want, &err), 0);
	assert_int_equal(blob.size, (int64_t)strlen(layer));
	gth_sha256_hex(cfg, strlen(cfg), hex);
	snprintf(want, sizeof(want), "sha256:%s", hex);
	assert_int_equal(gth_oci_src_read(&b, s, want, -1, 0, &err), 0);
	assert_string_equal(b.ptr, cfg);
	gth_oci_src_close(s);
	s = NULL;
	free(spec);
	/* by tag, and an unknown tag */
	spec = gth_strdupf("docker-archive:%s:docker.io/acme/app:1", path);
	assert_int_equal(gth_oci_src_open(&s, spec, &err), 0);
	gth_oci_src_close(s);
	s = NULL;
	free(spec);
	spec = gth_strdupf("docker-archive:%s:acme/app:2", path);
	assert_int_equal(gth_oci_src_open(&s, spec, &err), -1);
	assert_int_equal(err.exit, GTH_EXIT_NOINPUT);
	free(spec);
	gth_buf_release(&b);
	free(man);
	free(path);
}

static void test_oci_archive(void **state)
{
	char *dir = tpath("layout2"), *tar = tpath("layout.tar"), *cmd, *spec;
	char md[GTH_DIGEST_STR_LEN], ld[GTH_DIGEST_STR_LEN];
	struct gth_oci_src *s = NULL;
	struct gth_error err = GTH_ERROR_INIT;
	struct gth_buf b = GTH_BUF_INIT;
	(void)state;
	make_layout(dir, md, ld);
	cmd = gth_strdupf("tar -C %s -cf %s .", dir, tar);
	assert_int_equal(system(cmd), 0);
	spec = gth_strdupf("docker-archive:%s", tar);
	assert_int_equal(gth_oci_src_open(&s, spec, &err), 0);
	assert_string_equal(gth_oci_src_root(s)->digest, md);
	assert_int_equal(gth_oci_src_read(&b, s, ld, 11, 0, &err), 0);
	assert_string_equal(b.ptr, "layer bytes");
	gth_oci_src_close(s);
	gth_buf_release(&b);
	free(spec);
	free(cmd);
	free(tar);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layer_safety),
		cmocka_unit_test(test_layer_apply),
		cmocka_unit_test(test_layout_roundtrip),
		cmocka_unit_test(test_docker_archive),
		cmocka_unit_test(test_oci_archive),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
