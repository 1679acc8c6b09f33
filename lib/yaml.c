#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "gth/buf.h"
#include "gth/util.h"
#include "gth/yaml.h"

/* Nodes copied for aliases and merges; past this a document is refused (alias bombs). */
#define MAX_ALIAS_NODES 100000
#define MAX_DEPTH 256

struct anchor {
	char *name;
	struct gth_node *node;
};

struct parser {
	yaml_parser_t p;
	const char *file;
	struct anchor *anchors;
	size_t nanchors;
	size_t nodes;
	struct gth_node **orphans; /* merged-away nodes that anchors may still name */
	size_t norphans;
	struct gth_error *err;
};

static void node_free(struct gth_node *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->n; i++) {
		if (n->keys)
			free(n->keys[i]);
		node_free(n->items[i]);
	}
	free(n->keys);
	free(n->items);
	free(n->value);
	free(n->tag);
	free(n->path);
	free(n);
}

static char *child_path(const char *parent, const char *key, long index)
{
	if (key)
		return *parent ? gth_strdupf("%s.%s", parent, key) : strdup(key);
	return gth_strdupf("%s[%ld]", parent, index);
}

static struct gth_node *node_copy(struct parser *ps, const struct gth_node *src,
				  const char *path)
{
	struct gth_node *n;
	size_t i;

	if (++ps->nodes > MAX_ALIAS_NODES)
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = src->kind;
	n->quoted = src->quoted;
	n->line = src->line;
	n->col = src->col;
	n->file = src->file;
	n->value = src->value ? strdup(src->value) : NULL;
	n->tag = src->tag ? strdup(src->tag) : NULL;
	n->path = strdup(path);
	if (src->n) {
		n->items = calloc(src->n, sizeof(*n->items));
		if (src->keys)
			n->keys = calloc(src->n, sizeof(*n->keys));
		if (!n->items || (src->keys && !n->keys)) {
			node_free(n);
			return NULL;
		}
		for (i = 0; i < src->n; i++) {
			char *cp = child_path(path, src->keys ? src->keys[i] : NULL, (long)i);

			if (src->keys)
				n->keys[i] = strdup(src->keys[i]);
			n->items[i] = node_copy(ps, src->items[i], cp ? cp : "");
			free(cp);
			n->n = i + 1;
			if (!n->items[i]) {
				node_free(n);
				return NULL;
			}
		}
	}
	return n;
}

static int add_child(struct gth_node *parent, char *key, struct gth_node *child)
{
	struct gth_node **items = realloc(parent->items, (parent->n + 1) * sizeof(*items));

	if (!items)
		return -1;
	parent->items = items;
	if (parent->kind == GTH_NODE_MAP) {
		char **keys = realloc(parent->keys, (parent->n + 1) * sizeof(*keys));

		if (!keys)
			return -1;
		parent->keys = keys;
		parent->keys[parent->n] = key;
	}
	parent->items[parent->n++] = child;
	return 0;
}

static int parse_error(struct parser *ps)
{
	const char *what = ps->p.problem ? ps->p.problem : "malformed YAML";
	size_t line = ps->p.problem_mark.line + 1;

	if (ps->p.context)
		return gth_error_set(ps->err, GTH_EXIT_DATAERR, "%s:%zu: %s %s", ps->file, line,
				     what, ps->p.context);
	return gth_error_set(ps->err, GTH_EXIT_DATAERR, "%s:%zu: %s", ps->file, line, what);
}

static int next_event(struct parser *ps, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&ps->p, ev))
		return parse_error(ps);
	return 0;
}

static int remember_anchor(struct parser *ps, const unsigned char *anchor, struct gth_node *n)
{
	struct anchor *a;

	if (!anchor)
		return 0;
	a = realloc(ps->anchors, (ps->nanchors + 1) * sizeof(*a));
	if (!a)
		return -1;
	ps->anchors = a;
	a[ps->nanchors].name = strdup((const char *)anchor);
	a[ps->nanchors].node = n;
	ps->nanchors++;
	return 0;
}

static struct gth_node *find_anchor(struct parser *ps, const char *name)
{
	size_t i;

	for (i = ps->nanchors; i > 0; i--)
		if (!strcmp(ps->anchors[i - 1].name, name))
			return ps->anchors[i - 1].node;
	return NULL;
}

static int parse_node(struct parser *ps, yaml_event_t *ev, const char *path, int depth,
		      struct gth_node **out);

static int keep_orphan(struct parser *ps, struct gth_node *n)
{
	struct gth_node **o = realloc(ps->orphans, (ps->norphans + 1) * sizeof(*o));

	if (!o)
		return -1;
	ps->orphans = o;
	o[ps->norphans++] = n;
	return 0;
}

/* Apply a "<<" merge: copy the pairs of src (a map, or a sequence of maps) whose keys
 * the target does not have yet. */
static int merge_into(struct parser *ps, struct gth_node *map, const struct gth_node *src)
{
	size_t i, j;

	if (src->kind == GTH_NODE_SEQ) {
		for (i = 0; i < src->n; i++)
			if (merge_into(ps, map, src->items[i]) < 0)
				return -1;
		return 0;
	}
	if (src->kind != GTH_NODE_MAP)
		return gth_error_set(ps->err, GTH_EXIT_DATAERR, "%s:%d: '<<' needs a mapping",
				     ps->file, src->line);
	for (i = 0; i < src->n; i++) {
		char *cp;
		struct gth_node *c;

		for (j = 0; j < map->n; j++)
			if (!strcmp(map->keys[j], src->keys[i]))
				break;
		if (j < map->n)
			continue;
		cp = child_path(map->path, src->keys[i], 0);
		c = node_copy(ps, src->items[i], cp ? cp : "");
		free(cp);
		if (!c || add_child(map, strdup(src->keys[i]), c) < 0) {
			node_free(c);
			return gth_error_set(ps->err, GTH_EXIT_DATAERR, "%s: too many nodes",
					     ps->file);
		}
	}
	return 0;
}

static int parse_collection(struct parser *ps, struct gth_node *n, int depth)
{
	yaml_event_t ev;
	long index = 0;
	size_t first_orphan = ps->norphans, merges = 0;

	for (;;) {
		struct gth_node *child = NULL, *keynode = NULL;
		char *cp;

		if (next_event(ps, &ev) < 0)
			return -1;
		if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
			size_t i;

			yaml_event_delete(&ev);
			/* Merged keys never override the map's own keys. */
			for (i = first_orphan; merges && i < ps->norphans; i++) {
				if (ps->orphans[i]->tag && !strcmp(ps->orphans[i]->tag, "<<") &&
				    ps->orphans[i] != n) {
					free(ps->orphans[i]->tag);
					ps->orphans[i]->tag = NULL;
					if (merge_into(ps, n, ps->orphans[i]) < 0)
						return -1;
					merges--;
				}
			}
			return 0;
		}
		if (n->kind == GTH_NODE_SEQ) {
			cp = child_path(n->path, NULL, index++);
			if (parse_node(ps, &ev, cp ? cp : "", depth + 1, &child) < 0) {
				free(cp);
				return -1;
			}
			free(cp);
			if (add_child(n, NULL, child) < 0) {
				node_free(child);
				return gth_error_set(ps->err, GTH_EXIT_SOFTWARE, "out of memory");
			}
			continue;
		}
		/* A mapping key: only scalars are keys here. */
		if (ev.type != YAML_SCALAR_EVENT) {
			size_t line = ev.start_mark.line + 1;

			yaml_event_delete(&ev);
			return gth_error_set(ps->err, GTH_EXIT_DATAERR,
					     "%s:%zu: only scalar keys are supported", ps->file, line);
		}
		keynode = calloc(1, sizeof(*keynode));
		if (!keynode) {
			yaml_event_delete(&ev);
			return gth_error_set(ps->err, GTH_EXIT_SOFTWARE, "out of memory");
		}
		keynode->kind = GTH_NODE_SCALAR;
		keynode->line = (int)ev.start_mark.line + 1;
		keynode->quoted = ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		keynode->value = strndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
		yaml_event_delete(&ev);
		if (!keynode->value) {
			node_free(keynode);
			return gth_error_set(ps->err, GTH_EXIT_SOFTWARE, "out of memory");
		}
		if (next_event(ps, &ev) < 0) {
			node_free(keynode);
			return -1;
		}
		cp = child_path(n->path, keynode->value, 0);
		if (parse_node(ps, &ev, cp ? cp : "", depth + 1, &child) < 0) {
			free(cp);
			node_free(keynode);
			return -1;
		}
		free(cp);
		if (!keynode->quoted && !strcmp(keynode->value, "<<")) {
			node_free(keynode);
			/* Merged when the map ends; child may be anchored, so it lives until
			 * the document ends. The "<<" tag marks it as pending. */
			free(child->tag);
			child->tag = strdup("<<");
			if (!child->tag || keep_orphan(ps, child) < 0) {
				node_free(child);
				return gth_error_set(ps->err, GTH_EXIT_SOFTWARE, "out of memory");
			}
			merges++;
			continue;
		}
		{
			size_t i;

			for (i = 0; i < n->n; i++) {
				if (!strcmp(n->keys[i], keynode->value)) {
					int line = keynode->line;
					char *path = gth_strdupf("%s", child->path);

					node_free(keynode);
					node_free(child);
					gth_error_set(ps->err, GTH_EXIT_DATAERR,
						      "%s:%d: %s: duplicate key", ps->file, line,
						      path ? path : "");
					free(path);
					return -1;
				}
			}
		}
		if (add_child(n, keynode->value, child) < 0) {
			node_free(keynode);
			node_free(child);
			return gth_error_set(ps->err, GTH_EXIT_SOFTWARE, "out of memory");
		}
		keynode->value = NULL;
		node_free(keynode);
	}
}

/* ev is consumed. */
static int parse_node(struct parser *ps, yaml_event_t *ev, const char *path, int depth,
		      struct gth_node **out)
{
	struct gth_node *n = NULL;
	int r = -1;

	*out = NULL;
	if (depth > MAX_DEPTH) {
		gth_error_set(ps->err, GTH_EXIT_DATAERR, "%s:%zu: nested too deeply", ps->file,
			      ev->start_mark.line + 1);
		goto done;
	}
	if (ev->type == YAML_ALIAS_EVENT) {
		struct gth_node *target = find_anchor(ps, (const char *)ev->data.alias.anchor);

		if (!target) {
			gth_error_set(ps->err, GTH_EXIT_DATAERR, "%s:%zu: unknown alias '*%s'",
				      ps->file, ev->start_mark.line + 1, ev->data.alias.anchor);
			goto done;
		}
		n = node_copy(ps, target, path);
		if (!n) {
			gth_error_set(ps->err, GTH_EXIT_DATAERR,
				      "%s:%zu: too many nodes (alias expansion)", ps->file,
				      ev->start_mark.line + 1);
			goto done;
		}
		r = 0;
		goto done;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		goto done;
	n->line = (int)ev->start_mark.line + 1;
	n->col = (int)ev->start_mark.column + 1;
	n->file = ps->file;
	n->path = strdup(path);
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n->kind = GTH_NODE_SCALAR;
		n->value = malloc(ev->data.scalar.length + 1);
		if (!n->value)
			goto done;
		memcpy(n->value, ev->data.scalar.value, ev->data.scalar.length);
		n->value[ev->data.scalar.length] = '\0';
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		if (ev->data.scalar.tag)
			n->tag = strdup((const char *)ev->data.scalar.tag);
		if (remember_anchor(ps, ev->data.scalar.anchor, n) < 0)
			goto done;
		r = 0;
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		const unsigned char *anchor, *tag;

		n->kind = ev->type == YAML_SEQUENCE_START_EVENT ? GTH_NODE_SEQ : GTH_NODE_MAP;
		anchor = n->kind == GTH_NODE_SEQ ? ev->data.sequence_start.anchor
						 : ev->data.mapping_start.anchor;
		tag = n->kind == GTH_NODE_SEQ ? ev->data.sequence_start.tag
					      : ev->data.mapping_start.tag;
		if (tag)
			n->tag = strdup((const char *)tag);
		r = parse_collection(ps, n, depth);
		/* Anchored after its content is complete, so aliases copy it whole. */
		if (r == 0 && remember_anchor(ps, anchor, n) < 0)
			r = -1;
		break;
	}
	default:
		gth_error_set(ps->err, GTH_EXIT_DATAERR, "%s:%zu: unexpected YAML event",
			      ps->file, ev->start_mark.line + 1);
		break;
	}
done:
	yaml_event_delete(ev);
	if (r < 0) {
		if (ps->err && !ps->err->exit)
			gth_error_set(ps->err, GTH_EXIT_SOFTWARE, "out of memory");
		node_free(n);
		return -1;
	}
	*out = n;
	return 0;
}

static void clear_anchors(struct parser *ps)
{
	size_t i;

	for (i = 0; i < ps->norphans; i++)
		node_free(ps->orphans[i]);
	free(ps->orphans);
	ps->orphans = NULL;
	ps->norphans = 0;

	for (i = 0; i < ps->nanchors; i++)
		free(ps->anchors[i].name);
	free(ps->anchors);
	ps->anchors = NULL;
	ps->nanchors = 0;
}

int gth_yaml_parse(struct gth_yaml_doc *doc, const char *text, size_t len, const char *name,
		   struct gth_error *err)
{
	struct parser ps;
	yaml_event_t ev;
	int r = -1;

	memset(&ps, 0, sizeof(ps));
	memset(doc, 0, sizeof(*doc));
	doc->file = strdup(name);
	ps.file = doc->file;
	ps.err = err;
	if (!yaml_parser_initialize(&ps.p))
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	yaml_parser_set_input_string(&ps.p, (const unsigned char *)text, len);
	for (;;) {
		if (next_event(&ps, &ev) < 0)
			goto done;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT) {
			struct gth_node *root = NULL, **docs;

			yaml_event_delete(&ev);
			if (next_event(&ps, &ev) < 0)
				goto done;
			if (parse_node(&ps, &ev, "", 0, &root) < 0)
				goto done;
			/* An empty document is a null scalar: keep it as NULL. */
			if (root->kind == GTH_NODE_SCALAR && !root->quoted && !*root->value &&
			    !root->tag) {
				node_free(root);
				root = NULL;
			}
			docs = realloc(doc->docs, (doc->ndocs + 1) * sizeof(*docs));
			if (!docs) {
				node_free(root);
				gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
				goto done;
			}
			doc->docs = docs;
			doc->docs[doc->ndocs++] = root;
			if (next_event(&ps, &ev) < 0)
				goto done;
			yaml_event_delete(&ev); /* DOCUMENT_END */
			clear_anchors(&ps);
			continue;
		}
		yaml_event_delete(&ev);
	}
	r = 0;
done:
	clear_anchors(&ps);
	yaml_parser_delete(&ps.p);
	if (r < 0) {
		char *file = doc->file;

		doc->file = NULL;
		gth_yaml_doc_release(doc);
		doc->file = NULL;
		free(file);
	}
	return r;
}

int gth_yaml_parse_file(struct gth_yaml_doc *doc, const char *path, struct gth_error *err)
{
	struct gth_buf b = GTH_BUF_INIT;
	int r;

	memset(doc, 0, sizeof(*doc));
	if (!strcmp(path, "-"))
		r = gth_buf_read_fd(&b, STDIN_FILENO, "<stdin>", 64u << 20, err);
	else
		r = gth_buf_read_file(&b, path, 64u << 20, err);
	if (r == 0)
		r = gth_yaml_parse(doc, gth_buf_cstr(&b), b.len,
				   strcmp(path, "-") ? path : "<stdin>", err);
	gth_buf_release(&b);
	return r;
}

void gth_yaml_doc_release(struct gth_yaml_doc *doc)
{
	size_t i;

	if (!doc)
		return;
	for (i = 0; i < doc->ndocs; i++)
		node_free(doc->docs[i]);
	free(doc->docs);
	free(doc->file);
	memset(doc, 0, sizeof(*doc));
}

const struct gth_node *gth_yaml_root(const struct gth_yaml_doc *doc)
{
	return doc && doc->ndocs ? doc->docs[0] : NULL;
}

const struct gth_node *gth_node_get(const struct gth_node *map, const char *key)
{
	size_t i;

	if (!map || map->kind != GTH_NODE_MAP)
		return NULL;
	for (i = 0; i < map->n; i++)
		if (!strcmp(map->keys[i], key))
			return map->items[i];
	return NULL;
}

const struct gth_node *gth_node_at(const struct gth_node *seq, size_t i)
{
	if (!seq || seq->kind != GTH_NODE_SEQ || i >= seq->n)
		return NULL;
	return seq->items[i];
}

const struct gth_node *gth_node_path(const struct gth_node *root, const char *dotted)
{
	const char *p = dotted;

	while (root && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char key[256];

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		root = gth_node_get(root, key);
		p += n;
		if (*p == '.')
			p++;
	}
	return root;
}

int gth_node_is_null(const struct gth_node *n)
{
	if (!n)
		return 1;
	if (n->kind != GTH_NODE_SCALAR || n->quoted)
		return 0;
	return !*n->value || !strcmp(n->value, "~") || !strcmp(n->value, "null") ||
	       !strcmp(n->value, "Null") || !strcmp(n->value, "NULL");
}

const char *gth_node_str(const struct gth_node *n)
{
	if (!n || n->kind != GTH_NODE_SCALAR || gth_node_is_null(n))
		return NULL;
	return n->value;
}

int gth_node_error(struct gth_error *err, int code, const struct gth_node *n,
		   const char *fmt, ...)
{
	char msg[GTH_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!n)
		return gth_error_set(err, code, "%s", msg);
	if (n->path && *n->path)
		return gth_error_set(err, code, "%s:%d: %s: %s", n->file ? n->file : "?",
				     n->line, n->path, msg);
	return gth_error_set(err, code, "%s:%d: %s", n->file ? n->file : "?", n->line, msg);
}

int gth_node_get_str(const struct gth_node *map, const char *key, const char **out,
		     int code, struct gth_error *err)
{
	const struct gth_node *n = gth_node_get(map, key);

	if (!n || gth_node_is_null(n))
		return 0;
	if (n->kind != GTH_NODE_SCALAR)
		return gth_node_error(err, code, n, "expected a string");
	*out = n->value;
	return 1;
}

int gth_node_get_bool(const struct gth_node *map, const char *key, int *out,
		      int code, struct gth_error *err)
{
	static const char *yes[] = { "true", "True", "TRUE", "yes", "on", NULL };
	static const char *no[] = { "false", "False", "FALSE", "no", "off", NULL };
	const struct gth_node *n = gth_node_get(map, key);
	size_t i;

	if (!n || gth_node_is_null(n))
		return 0;
	if (n->kind == GTH_NODE_SCALAR && !n->quoted) {
		for (i = 0; yes[i]; i++)
			if (!strcmp(n->value, yes[i])) {
				*out = 1;
				return 1;
			}
		for (i = 0; no[i]; i++)
			if (!strcmp(n->value, no[i])) {
				*out = 0;
				return 1;
			}
	}
	return gth_node_error(err, code, n, "expected true or false");
}

int gth_node_get_long(const struct gth_node *map, const char *key, long min, long max,
		      long *out, int code, struct gth_error *err)
{
	const struct gth_node *n = gth_node_get(map, key);

	if (!n || gth_node_is_null(n))
		return 0;
	if (n->kind != GTH_NODE_SCALAR || gth_parse_long(n->value, min, max, out) < 0)
		return gth_node_error(err, code, n, "expected a number from %ld to %ld", min, max);
	return 1;
}

int gth_node_get_duration(const struct gth_node *map, const char *key, int64_t *ms,
			  int code, struct gth_error *err)
{
	const struct gth_node *n = gth_node_get(map, key);

	if (!n || gth_node_is_null(n))
		return 0;
	if (n->kind != GTH_NODE_SCALAR || gth_parse_duration(n->value, ms) < 0)
		return gth_node_error(err, code, n, "expected a duration like 5m");
	return 1;
}

int gth_node_check_keys(const struct gth_node *map, const char *const *known,
			int code, struct gth_error *err)
{
	size_t i, j;

	if (!map || map->kind != GTH_NODE_MAP)
		return 0;
	for (i = 0; i < map->n; i++) {
		for (j = 0; known[j]; j++)
			if (!strcmp(map->keys[i], known[j]))
				break;
		if (!known[j])
			return gth_node_error(err, code, map->items[i], "unknown key '%s'",
					      map->keys[i]);
	}
	return 0;
}
