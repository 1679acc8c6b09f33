#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gth/buf.h"
#include "gth/config.h"
#include "gth/fs.h"

/* The root of the git work tree holding the current directory, or NULL: the
 * nearest folder upward with a ".git" entry (a folder, or a file for worktrees and
 * submodules). Found by hand, so a tool that never touches git does not pay for
 * starting libgit2. */
static char *worktree_root(void)
{
	char *dir = getcwd(NULL, 0);
	struct gth_buf b = GTH_BUF_INIT;

	while (dir) {
		char *slash;

		gth_path_join(&b, dir, ".git");
		if (gth_file_exists(b.ptr)) {
			gth_buf_release(&b);
			return dir;
		}
		slash = strrchr(dir, '/');
		if (!slash || slash == dir) {
			if (slash && dir[1]) {
				dir[1] = '\0';
				continue;
			}
			break;
		}
		*slash = '\0';
	}
	gth_buf_release(&b);
	free(dir);
	return NULL;
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

const char *gth_config_app(const struct gth_config *cfg)
{
	return cfg ? gth_node_str(gth_node_get(cfg->root, "app")) : NULL;
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
