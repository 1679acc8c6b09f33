/* Byte-exact edits of YAML files. The text is parsed once with libyaml's event API
 * into a tree whose nodes remember the byte range they came from; edits replace only
 * the bytes of a scalar's value (keeping its quoting style) or insert one "key: value"
 * pair into a mapping. A document is never re-emitted: comments, blank lines, "---",
 * flow collections, anchors, CRLF line ends and a UTF-8 BOM stay as they were.
 *
 * Multi-document files, block and flow styles, plain, single- and double-quoted
 * scalars are supported; block scalars ("|", ">") can be read but not edited (65).
 * Aliases are kept as alias nodes (gth_ye_resolve follows them), so editing through
 * an alias edits the anchored scalar once, wherever the alias is used.
 *
 * gth_ye_apply re-parses its result and checks that every scalar reads back as
 * before except the edited ones, which read back as their new values; anything else
 * is a 70 error and no output. Errors: malformed YAML 65 "NAME:LINE: problem";
 * unsupported edits 65 naming file and line; memory 70. Nodes belong to the file
 * and live until gth_ye_release. No global state; one file per thread. */
#ifndef GTH_YAMLEDIT_H
#define GTH_YAMLEDIT_H

#include <stddef.h>
#include "buf.h"
#include "error.h"

enum gth_ye_kind { GTH_YE_SCALAR, GTH_YE_SEQ, GTH_YE_MAP, GTH_YE_ALIAS };

enum gth_ye_style {
	GTH_YE_PLAIN, GTH_YE_SINGLE, GTH_YE_DOUBLE, GTH_YE_LITERAL, GTH_YE_FOLDED,
	GTH_YE_BLOCK,  /* a block sequence or mapping */
	GTH_YE_FLOW    /* a flow sequence [..] or mapping {..} */
};

struct gth_ye_node {
	enum gth_ye_kind kind;
	enum gth_ye_style style;
	char *value;              /* scalars: the value as YAML reads it */
	char *anchor;             /* "&name" without "&", or NULL */
	char *tag;                /* explicit tag, or NULL */
	size_t start, end;        /* byte range of the node in the text; for scalars the
				   * value with its quotes, without anchor or tag */
	int line, col;            /* 1-based position of start */
	int flow;                 /* inside a flow collection */
	size_t n;                 /* items of a sequence, pairs of a mapping */
	struct gth_ye_node **keys;   /* mappings: n keys */
	struct gth_ye_node **items;  /* mappings: n values; sequences: n items */
	struct gth_ye_node *alias_of; /* aliases: the anchored node, NULL if unknown */
	struct gth_ye_node *parent;
	size_t ord;               /* position in document order (for verification) */
};

struct gth_ye_edit;

struct gth_ye_file {
	char *name;
	char *text;               /* a copy of the input, NUL-terminated */
	size_t len;
	size_t ndocs;
	struct gth_ye_node **docs;   /* one root per document; NULL for an empty one */
	const char *eol;          /* "\r\n" when the text's first line end is CRLF, else "\n" */
	struct gth_ye_edit *edits;
	size_t nedits, capedits;
	struct gth_ye_node **all; /* every node in document order (private) */
	size_t nnodes, capnodes;
};

#define GTH_YE_FILE_INIT { NULL, NULL, 0, 0, NULL, "\n", NULL, 0, 0, NULL, 0, 0 }

/* Parse text (copied) into f. name is used in error messages. */
int gth_ye_parse(struct gth_ye_file *f, const char *text, size_t len, const char *name,
		 struct gth_error *err);
void gth_ye_release(struct gth_ye_file *f);

/* Follow aliases; NULL for NULL or an alias of an unknown anchor. */
const struct gth_ye_node *gth_ye_resolve(const struct gth_ye_node *n);
/* Map member by scalar key, sequence item; both resolve aliases; NULL when absent. */
const struct gth_ye_node *gth_ye_get(const struct gth_ye_node *map, const char *key);
const struct gth_ye_node *gth_ye_at(const struct gth_ye_node *seq, size_t i);
/* Scalar value (through aliases) or NULL. */
const char *gth_ye_str(const struct gth_ye_node *n);
/* Find by path in document doc: keys separated by '.', "[N]" for a sequence item,
 * "[key=value]" for the first mapping item of a sequence whose key reads value:
 * "spec.template.spec.containers[name=web].image". NULL when absent. */
const struct gth_ye_node *gth_ye_find(const struct gth_ye_file *f, size_t doc,
				      const char *path);
/* The scalar that starts on 1-based line and reads value (any value when NULL):
 * how gth-rollback finds again a value that gth-bump reported as {file, line}. */
const struct gth_ye_node *gth_ye_find_at_line(const struct gth_ye_file *f, int line,
					      const char *value);
/* The comment after node on its last line ("# text" -> "text", spaces trimmed),
 * as a pointer into f->text and its length; NULL when there is none. */
const char *gth_ye_line_comment(const struct gth_ye_file *f, const struct gth_ye_node *n,
				size_t *len);

/* Queue setting scalar n (an alias edits its anchored scalar) to value. The quoting
 * style stays; a plain scalar becomes double-quoted only when value cannot be
 * written plain there (the old value is then still read the same way). Setting a
 * scalar twice to the same value is one edit; to two values a 65 error. */
int gth_ye_set(struct gth_ye_file *f, const struct gth_ye_node *n, const char *value,
	       struct gth_error *err);
/* Queue adding "key: value" as the last pair of mapping map (block or flow style),
 * indented like its other keys and ended with the file's line end. */
int gth_ye_insert(struct gth_ye_file *f, const struct gth_ye_node *map, const char *key,
		  const char *value, struct gth_error *err);
/* Number of queued edits. */
size_t gth_ye_pending(const struct gth_ye_file *f);
/* The edited text into out (cleared first), verified as described above. The
 * queued edits stay (f itself is unchanged); with none, out is the input. */
int gth_ye_apply(const struct gth_ye_file *f, struct gth_buf *out, struct gth_error *err);

/* One call for a single edit: the scalar found by path (gth_ye_find) in document doc
 * of text set to value, result into out. 0 when set, 1 when it already read value
 * (out is the input), -1 with 66 when the path is absent, or another error. */
int gth_ye_set_path(struct gth_buf *out, const char *text, size_t len, const char *name,
		    size_t doc, const char *path, const char *value, struct gth_error *err);

/* How value is written in style (GTH_YE_PLAIN, _SINGLE, _DOUBLE) inside a flow
 * collection or not, appended to out; plain falls back to double quotes when it
 * must. Exposed for tests. */
int gth_ye_quote(struct gth_buf *out, const char *value, enum gth_ye_style style, int flow);

#endif
