#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gth/buf.h"
#include "gth/fs.h"
#include "gth/util.h"
#include "runner.h"

#define REPORT_FILE_MAX (64u << 20)
#define WALK_MAX_ENTRIES 200000
#define WALK_MAX_DEPTH 24

struct walk {
	const char *pattern;
	int64_t newer_than_ms;
	int skip_node_modules;
	size_t seen;
	char **found;
	size_t nfound;
};

static void walk_dir(struct walk *w, struct gth_buf *abs, struct gth_buf *rel, int depth)
{
	DIR *d;
	struct dirent *e;
	size_t abs_len = abs->len, rel_len = rel->len;

	if (depth > WALK_MAX_DEPTH || !(d = opendir(gth_buf_cstr(abs))))
		return;
	while ((e = readdir(d)) != NULL && w->seen < WALK_MAX_ENTRIES) {
		struct stat st;
		const char *nm = e->d_name;

		if (!strcmp(nm, ".") || !strcmp(nm, "..") || !strcmp(nm, ".git"))
			continue;
		if (w->skip_node_modules && !strcmp(nm, "node_modules"))
			continue;
		w->seen++;
		abs->len = abs_len;
		rel->len = rel_len;
		gth_buf_printf(abs, "/%s", nm);
		gth_buf_printf(rel, "%s%s", rel_len ? "/" : "", nm);
		if (lstat(gth_buf_cstr(abs), &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			walk_dir(w, abs, rel, depth + 1);
		} else if (S_ISREG(st.st_mode) && gth_glob_match(w->pattern, gth_buf_cstr(rel))) {
			int64_t mtime = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
			char **v;
			if (mtime < w->newer_than_ms)
				continue;
			v = realloc(w->found, (w->nfound + 1) * sizeof(*v));
			if (!v)
				continue;
			w->found = v;
			w->found[w->nfound] = strdup(gth_buf_cstr(abs));
			if (w->found[w->nfound])
				w->nfound++;
		}
	}
	abs->len = abs_len;
	rel->len = rel_len;
	if (abs->ptr)
		abs->ptr[abs_len] = '\0';
	if (rel->ptr)
		rel->ptr[rel_len] = '\0';
	closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files under dir matching pattern written since the gate started (older ones are
 * stale reports of an earlier run), sorted. */
static void find_reports(struct walk *w, const char *dir)
{
	struct gth_buf abs = GTH_BUF_INIT, rel = GTH_BUF_INIT;

	gth_buf_puts(&abs, dir);
	gth_buf_puts(&rel, "");
	walk_dir(w, &abs, &rel, 0);
	gth_buf_release(&abs);
	gth_buf_release(&rel);
	if (w->nfound > 1)
		qsort(w->found, w->nfound, sizeof(*w->found), cmp_str);
}

static const char *display_name(const char *path, const char *root)
{
	size_t rl = strlen(root);

	if (!strcmp(path, root))
		return ".";
	if (!strncmp(path, root, rl) && path[rl] == '/')
		return path + rl + 1;
	return path;
}

static void parse_files(struct gate_result *r, const char *pattern, int tap, const char *root)
{
	struct walk w;
	size_t i;

	memset(&w, 0, sizeof(w));
	w.pattern = pattern;
	/* A second of slack for file systems with coarse timestamps. */
	w.newer_than_ms = r->started_wall_ms - 1000;
	w.skip_node_modules = !strstr(pattern, "node_modules");
	find_reports(&w, r->gate->dir);
	if (w.nfound == 0)
		report_problem(&r->report, "no %s report matches '%s' in %s", tap ? "TAP" : "JUnit",
			       pattern, display_name(r->gate->dir, root));
	for (i = 0; i < w.nfound; i++) {
		struct gth_buf text = GTH_BUF_INIT;
		struct gth_error err = GTH_ERROR_INIT;
		const char *name = display_name(w.found[i], root);

		if (gth_buf_read_file(&text, w.found[i], REPORT_FILE_MAX, &err) < 0)
			report_problem(&r->report, "%s", err.msg);
		else if (tap)
			tap_parse(&r->report, gth_buf_cstr(&text), text.len, name, root);
		else
			junit_parse(&r->report, gth_buf_cstr(&text), text.len, name, root);
		gth_buf_release(&text);
		free(w.found[i]);
	}
	free(w.found);
}

void collect_reports(struct gate_result *r, const char *root)
{
	const struct gate *g = r->gate;

	if (g->junit)
		parse_files(r, g->junit, 0, root);
	if (g->tap)
		parse_files(r, g->tap, 1, root);
	if (g->tap_output) {
		char *name = gth_strdupf("%s output", g->name);
		tap_parse(&r->report, gth_buf_cstr(&r->output), r->output.len,
			  name ? name : "output", root);
		free(name);
	}
}
