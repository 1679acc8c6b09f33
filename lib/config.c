#include <git2.h>
#include <stdlib.h>
#include <string.h>

#include "gth/buf.h"
#include "gth/config.h"
#include "gth/fs.h"

/* The root of the git work tree holding the current directory, or NULL. */
static char *worktree_root(void)
{
	git_buf root = { 0 };
	git_repository *repo = NULL;
	char *out = NULL;

	git_libgit2_init();
	if (git_repository_discover(&root, ".", 0, NULL) == 0 &&
	    git_repository_open(&repo, root.ptr) == 0 && !git_repository_is_bare(repo)) {
		const char *wd = git_repository_workdir(repo);

		if (wd)
			out = strdup(wd);
	}
	git_repository_free(repo);
	git_buf_dispose(&root);
	git_libgit2_shutdown();
	return out;
}

int gth_config_load(struct gth_config *cfg, const char *explicit_path, struct gth_error *err)
{
	const char *env = getenv("GTH_CONFIG");
	char *path = NULL;
	int named = 0;

	memset(cfg, 0, sizeof(*cfg));
	if (explicit_path && *explicit_path) {
		path = strdup(explicit_path);
		named = 1;
	} else if (env && *env) {
		path = strdup(env);
		named = 1;
	} else if (gth_file_exists("gth.yaml")) {
		path = strdup("gth.yaml");
	} else {
		char *root = worktree_root();

		if (root) {
			struct gth_buf b = GTH_BUF_INIT;

			gth_path_join(&b, root, "gth.yaml");
			if (gth_file_exists(b.ptr))
				path = gth_buf_detach(&b);
			gth_buf_release(&b);
			free(root);
		}
	}
	if (!path)
		return 0;
	if (named && !gth_file_exists(path)) {
		gth_error_set(err, GTH_EXIT_NOINPUT, "configuration file '%s' not found", path);
		free(path);
		return -1;
	}
	if (gth_yaml_parse_file(&cfg->doc, path, err) < 0) {
		if (err && err->exit == GTH_EXIT_DATAERR)
			err->exit = GTH_EXIT_CONFIG;
		free(path);
		return -1;
	}
	cfg->path = path;
	cfg->root = gth_yaml_root(&cfg->doc);
	if (cfg->doc.ndocs > 1) {
		gth_error_set(err, GTH_EXIT_CONFIG, "%s: expected one YAML document, found %zu",
			      path, cfg->doc.ndocs);
		gth_config_release(cfg);
		return -1;
	}
	if (cfg->root && cfg->root->kind != GTH_NODE_MAP) {
		gth_node_error(err, GTH_EXIT_CONFIG, cfg->root, "expected a mapping at the top");
		gth_config_release(cfg);
		return -1;
	}
	return 0;
}

int gth_config_section(const struct gth_node **out, const struct gth_config *cfg,
		       const char *name, struct gth_error *err)
{
	const struct gth_node *n = cfg ? gth_node_get(cfg->root, name) : NULL;

	*out = NULL;
	if (!n || gth_node_is_null(n))
		return 0;
	if (n->kind != GTH_NODE_MAP)
		return gth_node_error(err, GTH_EXIT_CONFIG, n, "expected a mapping");
	*out = n;
	return 0;
}

void gth_config_release(struct gth_config *cfg)
{
	if (!cfg)
		return;
	gth_yaml_doc_release(&cfg->doc);
	free(cfg->path);
	cfg->path = NULL;
	cfg->root = NULL;
}
