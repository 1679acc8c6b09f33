/* gth.yaml: found with --config, then $GTH_CONFIG, then ./gth.yaml, then gth.yaml at
 * the root of the git work tree holding the current directory. No tool needs one:
 * when none is found the configuration is empty. Flags and GTH_* variables override
 * what it says; each tool reads its own section (test, scan, build, bump, canary,
 * rollback, notify) and checks it with the gth_node_get_* readers, which give 78
 * errors naming file, line and key. */
#ifndef GTH_CONFIG_H
#define GTH_CONFIG_H

#include "error.h"
#include "yaml.h"

struct gth_config {
	char *path;              /* the file read, or NULL when none */
	struct gth_yaml_doc doc;
	const struct gth_node *root; /* a map, or NULL when there is no file */
};

#define GTH_CONFIG_INIT { NULL, GTH_YAML_DOC_INIT, NULL }

/* explicit_path is --config (may be NULL). A named file that is missing is 66; a
 * file that is not YAML, or whose top level is not a map, is 78 with file:line. */
int gth_config_load(struct gth_config *cfg, const char *explicit_path, struct gth_error *err);
/* The tool's section ("test", "scan", ...) or NULL. A section that is not a map is
 * a 78 error. */
int gth_config_section(const struct gth_node **out, const struct gth_config *cfg,
		       const char *name, struct gth_error *err);
/* The top-level "app" (the application's name every tool puts in its event), or
 * NULL when the file has none. */
const char *gth_config_app(const struct gth_config *cfg);
void gth_config_release(struct gth_config *cfg);

#endif
