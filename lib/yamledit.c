#include "gth/yamledit.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YE_MAX_DEPTH 512

enum ye_edit_kind { YE_SET, YE_INSERT };

struct gth_ye_edit {
	enum ye_edit_kind kind;
	size_t start, end;             /* bytes replaced; start == end for an insertion */
	char *text;                    /* the bytes put there */
	const struct gth_ye_node *node; /* YE_SET: the scalar; YE_INSERT: the mapping */
	char *key;                     /* YE_INSERT */
	char *value;
	size_t seq;                    /* queue order, to keep insertions stable */
};

struct ye_parse {
	struct gth_ye_file *f;
	yaml_parser_t parser;
	size_t *off;                   /* byte offset of each character libyaml counts */
	size_t noff;
	size_t bom;
	struct gth_ye_node **anchors;  /* anchored nodes of the current document */
	size_t nanchors, capanchors;
	struct gth_error *err;
};

static size_t ye_byte(const struct ye_parse *p, size_t index)
{
	if (index >= p->noff)
		return p->f->len;
	return p->off[index];
}

/* libyaml marks count characters, not bytes, and do not count a BOM. */
static int ye_build_offsets(struct ye_parse *p)
{
	const unsigned char *s = (const unsigned char *)p->f->text;
	size_t len = p->f->len, i, n = 0;

	p->bom = (len >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf) ? 3 : 0;
	p->off = malloc((len + 1) * sizeof(*p->off));
	if (!p->off)
		return -1;
	for (i = p->bom; i < len;) {
		p->off[n++] = i;
		if (s[i] < 0x80)
			i++;
		else if ((s[i] & 0xe0) == 0xc0)
			i += 2;
		else if ((s[i] & 0xf0) == 0xe0)
			i += 3;
		else
			i += 4;
	}
	p->off[n++] = len;
	p->noff = n;
	return 0;
}

static int ye_error_at(struct gth_error *err, const struct gth_ye_file *f, int line,
		       const char *what)
{
	return gth_error_set(err, GTH_EXIT_DATAERR, "%s:%d: %s", f->name, line, what);
}

static int ye_oom(struct gth_error *err)
{
	return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
}

static struct gth_ye_node *ye_node_new(struct ye_parse *p, enum gth_ye_kind kind,
				       const yaml_event_t *ev)
{
	struct gth_ye_file *f = p->f;
	struct gth_ye_node *n;

	if (f->nnodes == f->capnodes) {
		size_t cap = f->capnodes ? f->capnodes * 2 : 64;
		struct gth_ye_node **v = realloc(f->all, cap * sizeof(*v));
		if (!v)
			return NULL;
		f->all = v;
		f->capnodes = cap;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	f->all[f->nnodes] = n;
	n->ord = f->nnodes++;
	n->kind = kind;
	n->start = ye_byte(p, ev->start_mark.index);
	n->end = ye_byte(p, ev->end_mark.index);
	n->line = (int)ev->start_mark.line + 1;
	n->col = (int)ev->start_mark.column + 1;
	return n;
}

static int ye_add_child(struct gth_ye_node *parent, struct gth_ye_node *key,
			struct gth_ye_node *item)
{
	struct gth_ye_node **items = realloc(parent->items, (parent->n + 1) * sizeof(*items));
	if (!items)
		return -1;
	parent->items = items;
	if (parent->kind == GTH_YE_MAP) {
		struct gth_ye_node **keys = realloc(parent->keys, (parent->n + 1) * sizeof(*keys));
		if (!keys)
			return -1;
		parent->keys = keys;
		keys[parent->n] = key;
	}
	items[parent->n++] = item;
	return 0;
}

static int ye_remember_anchor(struct ye_parse *p, struct gth_ye_node *n, const char *anchor)
{
	if (!anchor)
		return 0;
	n->anchor = strdup(anchor);
	if (!n->anchor)
		return -1;
	if (p->nanchors == p->capanchors) {
		size_t cap = p->capanchors ? p->capanchors * 2 : 8;
		struct gth_ye_node **v = realloc(p->anchors, cap * sizeof(*v));
		if (!v)
			return -1;
		p->anchors = v;
		p->capanchors = cap;
	}
	p->anchors[p->nanchors++] = n;
	return 0;
}

/* The start mark of a scalar with an anchor or tag points at "&a" or "!t": skip
 * those properties, the space, line ends and comments after them. */
static size_t ye_skip_properties(const struct gth_ye_file *f, size_t i, size_t end)
{
	const char *s = f->text;

	while (i < end && (s[i] == '&' || s[i] == '!')) {
		if (s[i] == '!' && i + 1 < end && s[i + 1] == '<') {
			while (i < end && s[i] != '>')
				i++;
			if (i < end)
				i++;
		} else {
			while (i < end && s[i] != ' ' && s[i] != '\t' && s[i] != '\r' &&
			       s[i] != '\n')
				i++;
		}
		for (;;) {
			while (i < end && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
					   s[i] == '\n'))
				i++;
			if (i < end && s[i] == '#') {
				while (i < end && s[i] != '\n')
					i++;
				continue;
			}
			break;
		}
	}
	return i;
}

static int ye_next(struct ye_parse *p, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&p->parser, ev)) {
		const yaml_parser_t *y = &p->parser;
		size_t line = y->problem_mark.line + 1;
		if (y->context && y->context_mark.line + 1 < line && y->problem_mark.line == 0)
			line = y->context_mark.line + 1;
		gth_error_set(p->err, GTH_EXIT_DATAERR, "%s:%zu: %s%s%s", p->f->name, line,
			      y->problem ? y->problem : "invalid YAML",
			      y->context ? " " : "", y->context ? y->context : "");
		return -1;
	}
	return 0;
}

static int ye_parse_node(struct ye_parse *p, yaml_event_t *ev, struct gth_ye_node *parent,
			 int depth, int flow, struct gth_ye_node **out);

static int ye_parse_collection(struct ye_parse *p, struct gth_ye_node *n, int depth, int flow)
{
	yaml_event_type_t end_type = n->kind == GTH_YE_MAP ? YAML_MAPPING_END_EVENT :
		YAML_SEQUENCE_END_EVENT;
	int rc = -1;

	for (;;) {
		yaml_event_t ev;
		struct gth_ye_node *key = NULL, *item = NULL;

		if (ye_next(p, &ev) < 0)
			return -1;
		if (ev.type == end_type) {
			n->end = ye_byte(p, ev.end_mark.index);
			yaml_event_delete(&ev);
			rc = 0;
			break;
		}
		if (n->kind == GTH_YE_MAP) {
			if (ye_parse_node(p, &ev, n, depth + 1, flow, &key) < 0)
				return -1;
			if (ye_next(p, &ev) < 0)
				return -1;
		}
		if (ye_parse_node(p, &ev, n, depth + 1, flow, &item) < 0)
			return -1;
		if (ye_add_child(n, key, item) < 0)
			return ye_oom(p->err);
	}
	return rc;
}

/* Consumes ev (deleting it) and the events of the node's contents. */
static int ye_parse_node(struct ye_parse *p, yaml_event_t *ev, struct gth_ye_node *parent,
			 int depth, int flow, struct gth_ye_node **out)
{
	struct gth_ye_node *n = NULL;
	const char *anchor = NULL, *tag = NULL;
	int rc = -1;

	*out = NULL;
	if (depth > YE_MAX_DEPTH) {
		ye_error_at(p->err, p->f, (int)ev->start_mark.line + 1, "nesting too deep");
		goto done;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = ye_node_new(p, GTH_YE_SCALAR, ev);
		if (!n)
			break;
		anchor = (const char *)ev->data.scalar.anchor;
		tag = (const char *)ev->data.scalar.tag;
		n->value = malloc(ev->data.scalar.length + 1);
		if (!n->value)
			break;
		memcpy(n->value, ev->data.scalar.value, ev->data.scalar.length);
		n->value[ev->data.scalar.length] = '\0';
		switch (ev->data.scalar.style) {
		case YAML_SINGLE_QUOTED_SCALAR_STYLE: n->style = GTH_YE_SINGLE; break;
		case YAML_DOUBLE_QUOTED_SCALAR_STYLE: n->style = GTH_YE_DOUBLE; break;
		case YAML_LITERAL_SCALAR_STYLE: n->style = GTH_YE_LITERAL; break;
		case YAML_FOLDED_SCALAR_STYLE: n->style = GTH_YE_FOLDED; break;
		default: n->style = GTH_YE_PLAIN; break;
		}
		if ((anchor || tag) && n->start < n->end &&
		    (p->f->text[n->start] == '&' || p->f->text[n->start] == '!'))
			n->start = ye_skip_properties(p->f, n->start, n->end);
		break;
	case YAML_ALIAS_EVENT: {
		size_t i;
		n = ye_node_new(p, GTH_YE_ALIAS, ev);
		if (!n)
			break;
		n->value = strdup((const char *)ev->data.alias.anchor);
		if (!n->value)
			break;
		for (i = p->nanchors; i > 0; i--) {
			if (strcmp(p->anchors[i - 1]->anchor, n->value) == 0) {
				n->alias_of = p->anchors[i - 1];
				break;
			}
		}
		if (!n->alias_of) {
			gth_error_set(p->err, GTH_EXIT_DATAERR, "%s:%d: unknown anchor '%s'",
				      p->f->name, n->line, n->value);
			goto done;
		}
		break;
	}
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		int is_map = ev->type == YAML_MAPPING_START_EVENT;
		int is_flow = is_map ? ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE :
			ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
		n = ye_node_new(p, is_map ? GTH_YE_MAP : GTH_YE_SEQ, ev);
		if (!n)
			break;
		n->style = is_flow ? GTH_YE_FLOW : GTH_YE_BLOCK;
		anchor = (const char *)(is_map ? ev->data.mapping_start.anchor :
					ev->data.sequence_start.anchor);
		tag = (const char *)(is_map ? ev->data.mapping_start.tag :
				     ev->data.sequence_start.tag);
		break;
	}
	default:
		ye_error_at(p->err, p->f, (int)ev->start_mark.line + 1, "unexpected YAML event");
		goto done;
	}
	if (!n)
		goto oom;
	n->parent = parent;
	n->flow = flow;
	if (tag && !(n->tag = strdup(tag)))
		goto oom;
	if (ye_remember_anchor(p, n, anchor) < 0)
		goto oom;
	if (n->kind == GTH_YE_MAP || n->kind == GTH_YE_SEQ) {
		int inner = flow || n->style == GTH_YE_FLOW;
		yaml_event_delete(ev);
		if (ye_parse_collection(p, n, depth, inner) < 0)
			return -1;
		*out = n;
		return 0;
	}
	*out = n;
	rc = 0;
	goto done;
oom:
	ye_oom(p->err);
	goto done;
done:
	yaml_event_delete(ev);
	return rc;
}

static void ye_free_edits(struct gth_ye_file *f)
{
	size_t i;

	for (i = 0; i < f->nedits; i++) {
		free(f->edits[i].text);
		free(f->edits[i].key);
		free(f->edits[i].value);
	}
	free(f->edits);
	f->edits = NULL;
	f->nedits = f->capedits = 0;
}

void gth_ye_release(struct gth_ye_file *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->nnodes; i++) {
		struct gth_ye_node *n = f->all[i];
		free(n->value);
		free(n->anchor);
		free(n->tag);
		free(n->keys);
		free(n->items);
		free(n);
	}
	free(f->all);
	ye_free_edits(f);
	free(f->docs);
	free(f->name);
	free(f->text);
	memset(f, 0, sizeof(*f));
	f->eol = "\n";
}

int gth_ye_parse(struct gth_ye_file *f, const char *text, size_t len, const char *name,
		 struct gth_error *err)
{
	struct ye_parse p;
	const char *nl;
	int rc = -1, started = 0;

	memset(f, 0, sizeof(*f));
	f->eol = "\n";
	memset(&p, 0, sizeof(p));
	p.f = f;
	p.err = err;
	f->name = strdup(name ? name : "-");
	f->text = malloc(len + 1);
	if (!f->name || !f->text)
		goto oom;
	memcpy(f->text, text, len);
	f->text[len] = '\0';
	f->len = len;
	nl = memchr(f->text, '\n', len);
	if (nl && nl > f->text && nl[-1] == '\r')
		f->eol = "\r\n";
	if (ye_build_offsets(&p) < 0)
		goto oom;
	if (!yaml_parser_initialize(&p.parser))
		goto oom;
	started = 1;
	yaml_parser_set_input_string(&p.parser, (const unsigned char *)f->text, len);
	for (;;) {
		yaml_event_t ev;
		yaml_event_type_t type;

		if (ye_next(&p, &ev) < 0)
			goto done;
		type = ev.type;
		if (type == YAML_DOCUMENT_START_EVENT) {
			struct gth_ye_node *root = NULL, **docs;
			yaml_event_delete(&ev);
			if (ye_next(&p, &ev) < 0)
				goto done;
			p.nanchors = 0;
			if (ye_parse_node(&p, &ev, NULL, 0, 0, &root) < 0)
				goto done;
			docs = realloc(f->docs, (f->ndocs + 1) * sizeof(*docs));
			if (!docs)
				goto oom;
			f->docs = docs;
			f->docs[f->ndocs++] = root;
			if (ye_next(&p, &ev) < 0)
				goto done;
			if (ev.type != YAML_DOCUMENT_END_EVENT) {
				yaml_event_delete(&ev);
				ye_error_at(err, f, (int)ev.start_mark.line + 1, "expected document end");
				goto done;
			}
		}
		yaml_event_delete(&ev);
		if (type == YAML_STREAM_END_EVENT)
			break;
	}
	rc = 0;
	goto done;
oom:
	ye_oom(err);
done:
	if (started)
		yaml_parser_delete(&p.parser);
	free(p.off);
	free(p.anchors);
	if (rc < 0)
		gth_ye_release(f);
	return rc;
}

const struct gth_ye_node *gth_ye_resolve(const struct gth_ye_node *n)
{
	int hops = 0;

	while (n && n->kind == GTH_YE_ALIAS && hops++ < 64)
		n = n->alias_of;
	return n && n->kind == GTH_YE_ALIAS ? NULL : n;
}

const struct gth_ye_node *gth_ye_get(const struct gth_ye_node *map, const char *key)
{
	size_t i;

	map = gth_ye_resolve(map);
	if (!map || map->kind != GTH_YE_MAP)
		return NULL;
	for (i = 0; i < map->n; i++) {
		const char *k = gth_ye_str(map->keys[i]);
		if (k && strcmp(k, key) == 0)
			return gth_ye_resolve(map->items[i]);
	}
	return NULL;
}

const struct gth_ye_node *gth_ye_at(const struct gth_ye_node *seq, size_t i)
{
	seq = gth_ye_resolve(seq);
	if (!seq || seq->kind != GTH_YE_SEQ || i >= seq->n)
		return NULL;
	return gth_ye_resolve(seq->items[i]);
}

const char *gth_ye_str(const struct gth_ye_node *n)
{
	n = gth_ye_resolve(n);
	return n && n->kind == GTH_YE_SCALAR ? n->value : NULL;
}

const struct gth_ye_node *gth_ye_find(const struct gth_ye_file *f, size_t doc,
				      const char *path)
{
	const struct gth_ye_node *n;
	const char *s = path;

	if (!f || doc >= f->ndocs)
		return NULL;
	n = gth_ye_resolve(f->docs[doc]);
	while (n && *s) {
		size_t klen = strcspn(s, ".[");
		if (klen > 0) {
			char *key = strndup(s, klen);
			if (!key)
				return NULL;
			n = gth_ye_get(n, key);
			free(key);
			s += klen;
		}
		while (n && *s == '[') {
			const char *close = strchr(s, ']');
			const char *eq;
			if (!close)
				return NULL;
			eq = memchr(s, '=', (size_t)(close - s));
			if (eq) {
				const struct gth_ye_node *seq = n, *found = NULL;
				char *k = strndup(s + 1, (size_t)(eq - s - 1));
				char *v = strndup(eq + 1, (size_t)(close - eq - 1));
				size_t i;
				for (i = 0; k && v && gth_ye_at(seq, i); i++) {
					const char *got = gth_ye_str(gth_ye_get(gth_ye_at(seq, i), k));
					if (got && strcmp(got, v) == 0) {
						found = gth_ye_at(seq, i);
						break;
					}
				}
				free(k);
				free(v);
				n = found;
			} else {
				char num[32];
				long idx;
				char *endp;
				size_t nl = (size_t)(close - s - 1);
				if (nl == 0 || nl >= sizeof(num))
					return NULL;
				memcpy(num, s + 1, nl);
				num[nl] = '\0';
				idx = strtol(num, &endp, 10);
				if (*endp || idx < 0)
					return NULL;
				n = gth_ye_at(n, (size_t)idx);
			}
			s = close + 1;
		}
		if (*s == '.')
			s++;
		else if (*s)
			return NULL;
	}
	return n;
}

const struct gth_ye_node *gth_ye_find_at_line(const struct gth_ye_file *f, int line,
					      const char *value)
{
	size_t i;

	for (i = 0; f && i < f->nnodes; i++) {
		const struct gth_ye_node *n = f->all[i];
		if (n->kind != GTH_YE_SCALAR || n->line != line)
			continue;
		if (!value || strcmp(n->value, value) == 0)
			return n;
	}
	return NULL;
}

const char *gth_ye_line_comment(const struct gth_ye_file *f, const struct gth_ye_node *n,
				size_t *len)
{
	size_t i, e;
	const char *s = f->text;

	*len = 0;
	if (!n)
		return NULL;
	i = n->end;
	/* a flow collection's closing brackets may stand between value and comment */
	while (i < f->len && (s[i] == ' ' || s[i] == '\t' || s[i] == ']' || s[i] == '}' ||
			      s[i] == ','))
		i++;
	if (i >= f->len || s[i] != '#')
		return NULL;
	if (i > n->end && s[i - 1] != ' ' && s[i - 1] != '\t')
		return NULL;
	i++;
	while (i < f->len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	e = i;
	while (e < f->len && s[e] != '\n')
		e++;
	while (e > i && (s[e - 1] == '\r' || s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	*len = e - i;
	return s + i;
}

static int ye_plain_ok(const char *v, int flow)
{
	size_t n = strlen(v), i;
	unsigned char c0 = (unsigned char)v[0];

	if (n == 0 || v[0] == ' ' || v[n - 1] == ' ')
		return 0;
	if (strchr("?:-", c0)) {
		if (n == 1 || v[1] == ' ' || (flow && strchr(",[]{}", v[1])))
			return 0;
	} else if (strchr(",[]{}#&*!|>'\"%@`", c0)) {
		return 0;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 0x20 || c == 0x7f)
			return 0;
		if (c == ':' && (i + 1 == n || v[i + 1] == ' ' ||
				 (flow && strchr(",[]{}", v[i + 1]))))
			return 0;
		if (c == '#' && v[i - 1] == ' ')
			return 0;
		if (flow && strchr(",[]{}", c))
			return 0;
	}
	return 1;
}

int gth_ye_quote(struct gth_buf *out, const char *value, enum gth_ye_style style, int flow)
{
	const char *s;

	if (style == GTH_YE_PLAIN && ye_plain_ok(value, flow))
		return gth_buf_puts(out, value);
	if (style == GTH_YE_SINGLE) {
		for (s = value; *s; s++)
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				break;
		if (!*s) {
			if (gth_buf_putc(out, '\'') < 0)
				return -1;
			for (s = value; *s; s++)
				if ((*s == '\'' && gth_buf_putc(out, '\'') < 0) ||
				    gth_buf_putc(out, *s) < 0)
					return -1;
			return gth_buf_putc(out, '\'');
		}
	}
	if (gth_buf_putc(out, '"') < 0)
		return -1;
	for (s = value; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int r;
		if (c == '"' || c == '\\')
			r = gth_buf_putc(out, '\\') < 0 ? -1 : gth_buf_putc(out, (char)c);
		else if (c == '\n')
			r = gth_buf_puts(out, "\\n");
		else if (c == '\t')
			r = gth_buf_puts(out, "\\t");
		else if (c == '\r')
			r = gth_buf_puts(out, "\\r");
		else if (c < 0x20 || c == 0x7f)
			r = gth_buf_printf(out, "\\x%02x", c);
		else
			r = gth_buf_putc(out, (char)c);
		if (r < 0)
			return -1;
	}
	return gth_buf_putc(out, '"');
}

static struct gth_ye_edit *ye_edit_new(struct gth_ye_file *f)
{
	struct gth_ye_edit *e;

	if (f->nedits == f->capedits) {
		size_t cap = f->capedits ? f->capedits * 2 : 8;
		struct gth_ye_edit *v = realloc(f->edits, cap * sizeof(*v));
		if (!v)
			return NULL;
		f->edits = v;
		f->capedits = cap;
	}
	e = &f->edits[f->nedits];
	memset(e, 0, sizeof(*e));
	e->seq = f->nedits;
	return e;
}

int gth_ye_set(struct gth_ye_file *f, const struct gth_ye_node *n, const char *value,
	       struct gth_error *err)
{
	struct gth_ye_edit *e;
	struct gth_buf b = GTH_BUF_INIT;
	size_t i;

	n = gth_ye_resolve(n);
	if (!n || n->kind != GTH_YE_SCALAR)
		return gth_error_set(err, GTH_EXIT_DATAERR, "%s: not a scalar", f->name);
	if (n->style == GTH_YE_LITERAL || n->style == GTH_YE_FOLDED)
		return ye_error_at(err, f, n->line, "cannot edit a block scalar");
	for (i = 0; i < f->nedits; i++) {
		if (f->edits[i].kind == YE_SET && f->edits[i].node == n) {
			if (strcmp(f->edits[i].value, value) == 0)
				return 0;
			return gth_error_set(err, GTH_EXIT_DATAERR,
					     "%s:%d: '%s' would be set to both '%s' and '%s'",
					     f->name, n->line, n->value, f->edits[i].value, value);
		}
	}
	if (gth_ye_quote(&b, value, n->style, n->flow) < 0)
		goto oom;
	e = ye_edit_new(f);
	if (!e)
		goto oom;
	e->kind = YE_SET;
	e->start = n->start;
	e->end = n->end;
	e->node = n;
	e->value = strdup(value);
	if (!e->value)
		goto oom;
	e->text = gth_buf_detach(&b);
	if (!e->text && !(e->text = strdup("")))
		goto oom;
	f->nedits++;
	return 0;
oom:
	gth_buf_release(&b);
	return ye_oom(err);
}

/* The last scalar, alias or flow collection inside n: where a block node ends. */
static const struct gth_ye_node *ye_last_leaf(const struct gth_ye_node *n)
{
	while (n && (n->kind == GTH_YE_MAP || n->kind == GTH_YE_SEQ) &&
	       n->style == GTH_YE_BLOCK && n->n > 0)
		n = n->items[n->n - 1];
	return n;
}

int gth_ye_insert(struct gth_ye_file *f, const struct gth_ye_node *map, const char *key,
		  const char *value, struct gth_error *err)
{
	struct gth_buf b = GTH_BUF_INIT;
	struct gth_ye_edit *e;
	size_t pos;

	map = gth_ye_resolve(map);
	if (!map || map->kind != GTH_YE_MAP)
		return gth_error_set(err, GTH_EXIT_DATAERR, "%s: not a mapping", f->name);
	if (map->style == GTH_YE_FLOW) {
		size_t i = map->end;
		while (i > map->start && f->text[i - 1] != '}')
			i--;
		if (i == map->start)
			return ye_error_at(err, f, map->line, "cannot find the end of the mapping");
		pos = i - 1;
		while (pos > map->start && (f->text[pos - 1] == ' ' || f->text[pos - 1] == '\t'))
			pos--;
		if (gth_buf_puts(&b, map->n ? ", " : "") < 0 ||
		    gth_ye_quote(&b, key, GTH_YE_PLAIN, 1) < 0 || gth_buf_puts(&b, ": ") < 0 ||
		    gth_ye_quote(&b, value, GTH_YE_PLAIN, 1) < 0)
			goto oom;
	} else {
		const struct gth_ye_node *last;
		int col;
		if (map->n == 0)
			return ye_error_at(err, f, map->line, "cannot add to an empty mapping");
		last = ye_last_leaf(map->items[map->n - 1]);
		if (last->kind == GTH_YE_SCALAR &&
		    (last->style == GTH_YE_LITERAL || last->style == GTH_YE_FOLDED))
			return ye_error_at(err, f, last->line,
					   "cannot add after a block scalar");
		pos = last->end;
		while (pos < f->len && f->text[pos] != '\n')
			pos++;
		if (pos > last->end && f->text[pos - 1] == '\r')
			pos--;
		col = map->keys[0]->col;
		if (gth_buf_puts(&b, f->eol) < 0 ||
		    gth_buf_printf(&b, "%*s", col - 1, "") < 0 ||
		    gth_ye_quote(&b, key, GTH_YE_PLAIN, 0) < 0 || gth_buf_puts(&b, ": ") < 0 ||
		    gth_ye_quote(&b, value, GTH_YE_PLAIN, 0) < 0)
			goto oom;
	}
	e = ye_edit_new(f);
	if (!e)
		goto oom;
	e->kind = YE_INSERT;
	e->start = e->end = pos;
	e->node = map;
	e->key = strdup(key);
	e->value = strdup(value);
	e->text = gth_buf_detach(&b);
	if (!e->key || !e->value || !e->text) {
		free(e->key);
		free(e->value);
		free(e->text);
		goto oom;
	}
	f->nedits++;
	return 0;
oom:
	gth_buf_release(&b);
	return ye_oom(err);
}

size_t gth_ye_pending(const struct gth_ye_file *f)
{
	return f ? f->nedits : 0;
}

static int ye_edit_cmp(const void *a, const void *b)
{
	const struct gth_ye_edit *x = *(const struct gth_ye_edit *const *)a;
	const struct gth_ye_edit *y = *(const struct gth_ye_edit *const *)b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	/* an insertion at the end of a replaced value goes after it */
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

static const struct gth_ye_edit *ye_find_set(const struct gth_ye_file *f,
					     const struct gth_ye_node *n)
{
	size_t i;

	for (i = 0; i < f->nedits; i++)
		if (f->edits[i].kind == YE_SET && f->edits[i].node == n)
			return &f->edits[i];
	return NULL;
}

static int ye_same(const struct gth_ye_file *f, const struct gth_ye_node *a,
		   const struct gth_ye_node *b)
{
	size_t i, extra = 0, k;

	if (!a || !b)
		return a == b;
	if (a->kind != b->kind)
		return 0;
	if (a->kind == GTH_YE_SCALAR) {
		const struct gth_ye_edit *e = ye_find_set(f, a);
		return strcmp(e ? e->value : a->value, b->value) == 0;
	}
	if (a->kind == GTH_YE_ALIAS)
		return strcmp(a->value, b->value) == 0;
	for (i = 0; i < f->nedits; i++)
		if (f->edits[i].kind == YE_INSERT && f->edits[i].node == a)
			extra++;
	if (b->n != a->n + extra)
		return 0;
	for (i = 0; i < a->n; i++) {
		if (a->kind == GTH_YE_MAP && !ye_same(f, a->keys[i], b->keys[i]))
			return 0;
		if (!ye_same(f, a->items[i], b->items[i]))
			return 0;
	}
	for (k = 0, i = a->n; k < f->nedits; k++) {
		const struct gth_ye_edit *e = &f->edits[k];
		if (e->kind != YE_INSERT || e->node != a)
			continue;
		if (!gth_ye_str(b->keys[i]) || strcmp(gth_ye_str(b->keys[i]), e->key) != 0 ||
		    !gth_ye_str(b->items[i]) || strcmp(gth_ye_str(b->items[i]), e->value) != 0)
			return 0;
		i++;
	}
	return 1;
}

int gth_ye_apply(const struct gth_ye_file *f, struct gth_buf *out, struct gth_error *err)
{
	const struct gth_ye_edit **order = NULL;
	struct gth_ye_file check = GTH_YE_FILE_INIT;
	size_t i, pos = 0;
	int rc = -1;

	gth_buf_clear(out);
	if (f->nedits == 0) {
		if (gth_buf_put(out, f->text, f->len) < 0)
			goto oom;
		if (!out->ptr && gth_buf_puts(out, "") < 0)
			goto oom;
		return 0;
	}
	order = malloc(f->nedits * sizeof(*order));
	if (!order)
		goto oom;
	for (i = 0; i < f->nedits; i++)
		order[i] = &f->edits[i];
	qsort(order, f->nedits, sizeof(*order), ye_edit_cmp);
	for (i = 0; i < f->nedits; i++) {
		const struct gth_ye_edit *e = order[i];
		if (e->start < pos) {
			gth_error_set(err, GTH_EXIT_DATAERR, "%s: overlapping edits", f->name);
			goto done;
		}
		if (gth_buf_put(out, f->text + pos, e->start - pos) < 0 ||
		    gth_buf_puts(out, e->text) < 0)
			goto oom;
		pos = e->end;
	}
	if (gth_buf_put(out, f->text + pos, f->len - pos) < 0)
		goto oom;
	if (gth_ye_parse(&check, out->ptr, out->len, f->name, err) < 0) {
		gth_error_prefix(err, "edit would break the file: ");
		err->exit = GTH_EXIT_SOFTWARE;
		goto done;
	}
	if (check.ndocs != f->ndocs)
		goto differs;
	for (i = 0; i < f->ndocs; i++)
		if (!ye_same(f, f->docs[i], check.docs[i]))
			goto differs;
	rc = 0;
	goto done;
differs:
	gth_error_set(err, GTH_EXIT_SOFTWARE,
		      "%s: edit would break the file: it does not read back as intended", f->name);
	goto done;
oom:
	ye_oom(err);
done:
	if (rc < 0)
		gth_buf_clear(out);
	gth_ye_release(&check);
	free(order);
	return rc;
}

int gth_ye_set_path(struct gth_buf *out, const char *text, size_t len, const char *name,
		    size_t doc, const char *path, const char *value, struct gth_error *err)
{
	struct gth_ye_file f = GTH_YE_FILE_INIT;
	const struct gth_ye_node *n;
	int rc = -1;

	if (gth_ye_parse(&f, text, len, name, err) < 0)
		return -1;
	n = gth_ye_find(&f, doc, path);
	if (!n || n->kind != GTH_YE_SCALAR) {
		gth_error_set(err, GTH_EXIT_NOINPUT, "%s: no scalar at '%s' in document %zu",
			      f.name, path, doc + 1);
		goto done;
	}
	if (strcmp(n->value, value) == 0) {
		rc = gth_ye_apply(&f, out, err) < 0 ? -1 : 1;
		goto done;
	}
	if (gth_ye_set(&f, n, value, err) < 0 || gth_ye_apply(&f, out, err) < 0)
		goto done;
	rc = 0;
done:
	gth_ye_release(&f);
	return rc;
}
