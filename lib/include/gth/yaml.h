/* YAML read into a small tree that remembers where every node came from, so any
 * error can say "FILE:LINE: PATH: expected ...". Built on libyaml. Aliases are
 * resolved by copying the anchored node (with a cap against alias bombs); "<<"
 * merge keys are applied. This is for reading; for byte-exact edits of YAML files
 * see yamledit.h. */
#ifndef GTH_YAML_H
#define GTH_YAML_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

enum gth_node_kind { GTH_NODE_SCALAR, GTH_NODE_SEQ, GTH_NODE_MAP };

struct gth_node {
	enum gth_node_kind kind;
	char *value;        /* scalar text; NULL for sequences and maps */
	int quoted;         /* scalar was single- or double-quoted (or a block scalar) */
	char *tag;          /* explicit tag or NULL */
	int line, col;      /* 1-based position of the node's start */
	char *path;         /* "test.gates[1].timeout"; "" for the root */
	const char *file;   /* name used in errors; owned by the document */
	size_t n;           /* items in a sequence, pairs in a map */
	char **keys;        /* map keys (scalars), n of them */
	struct gth_node **items; /* sequence items or map values, n of them */
};

struct gth_yaml_doc {
	char *file;
	size_t ndocs;
	struct gth_node **docs; /* one root per "---" document; an empty document is NULL */
};

#define GTH_YAML_DOC_INIT { NULL, 0, NULL }

/* Parse text (all documents). name is used in errors. Malformed YAML is a 65 error
 * "NAME:LINE: what libyaml said". */
int gth_yaml_parse(struct gth_yaml_doc *doc, const char *text, size_t len, const char *name,
		   struct gth_error *err);
/* Read and parse a file ("-" is stdin). Missing is 66. */
int gth_yaml_parse_file(struct gth_yaml_doc *doc, const char *path, struct gth_error *err);
void gth_yaml_doc_release(struct gth_yaml_doc *doc);
/* The first document's root or NULL. */
const struct gth_node *gth_yaml_root(const struct gth_yaml_doc *doc);

/* Map member by key, sequence item by index; NULL when absent or not that kind. */
const struct gth_node *gth_node_get(const struct gth_node *map, const char *key);
const struct gth_node *gth_node_at(const struct gth_node *seq, size_t i);
/* Dotted path of map keys: "test.gates". */
const struct gth_node *gth_node_path(const struct gth_node *root, const char *dotted);
/* Scalar text or NULL (null-like scalars "~", "null", "" unquoted give NULL). */
const char *gth_node_str(const struct gth_node *n);
int gth_node_is_null(const struct gth_node *n);

/* Set a 'code' error located at the node: "FILE:LINE: PATH: message". Returns -1. */
int gth_node_error(struct gth_error *err, int code, const struct gth_node *n,
		   const char *fmt, ...) GTH_PRINTF(4, 5);

/* Typed reads of an optional member of map: 0 when absent (output untouched),
 * 1 when read, -1 with a 'code'-status error naming file, line and path when the
 * value has the wrong type ("expected a duration like 5m"). */
int gth_node_get_str(const struct gth_node *map, const char *key, const char **out,
		     int code, struct gth_error *err);
int gth_node_get_bool(const struct gth_node *map, const char *key, int *out,
		      int code, struct gth_error *err);
int gth_node_get_long(const struct gth_node *map, const char *key, long min, long max,
		      long *out, int code, struct gth_error *err);
int gth_node_get_duration(const struct gth_node *map, const char *key, int64_t *ms,
			  int code, struct gth_error *err);
/* Reject keys of map not in the NULL-terminated list (a typo in a config file). */
int gth_node_check_keys(const struct gth_node *map, const char *const *known,
			int code, struct gth_error *err);

#endif
