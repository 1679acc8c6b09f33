/* The analysis condition language: a parser into a small tree and an evaluator
 * that follows expr-lang's rules as Argo Rollouts uses it. See expr.h. */
#include "expr.h"
#include "gth/util.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ---- */

struct xblock {
	struct xblock *next;
	max_align_t align[];
};

struct xarena {
	struct xblock *blocks;
};

struct xarena *xarena_new(void)
{
	return calloc(1, sizeof(struct xarena));
}

void xarena_free(struct xarena *a)
{
	struct xblock *b, *n;
	if (!a)
		return;
	for (b = a->blocks; b; b = n) {
		n = b->next;
		free(b);
	}
	free(a);
}

static void *aalloc(struct xarena *a, size_t size)
{
	struct xblock *b = calloc(1, sizeof(*b) + (size ? size : 1));
	if (!b)
		return NULL;
	b->next = a->blocks;
	a->blocks = b;
	return b->align;
}

/* ---- values ---- */

struct xv xv_nil(void)
{
	struct xv v;
	memset(&v, 0, sizeof(v));
	return v;
}

struct xv xv_float(double f)
{
	struct xv v = xv_nil();
	v.t = XV_FLOAT;
	v.f = f;
	return v;
}

static struct xv xv_int(int64_t i)
{
	struct xv v = xv_nil();
	v.t = XV_INT;
	v.i = i;
	return v;
}

static struct xv xv_bool(int b)
{
	struct xv v = xv_nil();
	v.t = XV_BOOL;
	v.b = !!b;
	return v;
}

static struct xv xv_str(const char *s, size_t n)
{
	struct xv v = xv_nil();
	v.t = XV_STR;
	v.s = s;
	v.n = n;
	return v;
}

struct xv xv_floats(struct xarena *a, const double *f, size_t n)
{
	struct xv v = xv_nil();
	size_t i;
	v.t = XV_ARR;
	v.b = 1; /* []float64 */
	v.items = aalloc(a, n * sizeof(struct xv));
	if (!v.items)
		return xv_nil();
	for (i = 0; i < n; i++)
		v.items[i] = xv_float(f[i]);
	v.n = n;
	return v;
}

struct xv xv_from_json(struct xarena *a, const cJSON *j)
{
	struct xv v = xv_nil();
	const cJSON *c;
	size_t i = 0;
	if (!j || cJSON_IsNull(j))
		return v;
	if (cJSON_IsBool(j))
		return xv_bool(cJSON_IsTrue(j));
	if (cJSON_IsNumber(j))
		return xv_float(j->valuedouble);
	if (cJSON_IsString(j))
		return xv_str(j->valuestring, strlen(j->valuestring));
	v.n = (size_t)cJSON_GetArraySize(j);
	v.items = aalloc(a, v.n * sizeof(struct xv));
	if (!v.items)
		return xv_nil();
	if (cJSON_IsArray(j)) {
		v.t = XV_ARR;
		cJSON_ArrayForEach(c, j)
			v.items[i++] = xv_from_json(a, c);
		return v;
	}
	v.t = XV_MAP;
	v.keys = aalloc(a, v.n * sizeof(char *));
	if (!v.keys)
		return xv_nil();
	cJSON_ArrayForEach(c, j) {
		v.keys[i] = c->string;
		v.items[i++] = xv_from_json(a, c);
	}
	return v;
}

const char *xv_type_name(const struct xv *v)
{
	switch (v->t) {
	case XV_NIL: return "<nil>";
	case XV_BOOL: return "bool";
	case XV_INT: return "int";
	case XV_FLOAT: return "float64";
	case XV_STR: return "string";
	case XV_ARR: return v->b ? "[]float64" : "[]interface {}";
	case XV_MAP: return "map[string]interface {}";
	}
	return "?";
}

/* ---- lexer ---- */

enum tok { T_EOF, T_INT, T_FLOAT, T_STR, T_IDENT, T_OP };

struct lexer {
	const char *src;
	size_t pos;
	enum tok t;
	size_t start;
	char text[256];          /* identifier or operator */
	char *str;               /* decoded string literal (malloc'd) */
	size_t strlen_;
	int64_t ival;
	double fval;
	char *err;
	size_t errsize;
	int failed;
};

static int lex_error(struct lexer *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int lex_error(struct lexer *l, const char *fmt, ...)
{
	va_list ap;
	int n;
	if (l->failed)
		return -1;
	l->failed = 1;
	n = snprintf(l->err, l->errsize, "position %zu: ", l->start + 1);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < l->errsize)
		vsnprintf(l->err + n, l->errsize - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *const ops2[] = { "==", "!=", "<=", ">=", "&&", "||", "**", NULL };

static int lex_next(struct lexer *l)
{
	const char *s = l->src;
	size_t i;
	free(l->str);
	l->str = NULL;
	while (s[l->pos] && isspace((unsigned char)s[l->pos]))
		l->pos++;
	l->start = l->pos;
	if (!s[l->pos]) {
		l->t = T_EOF;
		return 0;
	}
	if (isdigit((unsigned char)s[l->pos]) ||
	    (s[l->pos] == '.' && isdigit((unsigned char)s[l->pos + 1]))) {
		size_t b = l->pos;
		int is_float = 0;
		char num[128];
		char *end;
		while (isdigit((unsigned char)s[l->pos]) || s[l->pos] == '_')
			l->pos++;
		if (s[l->pos] == '.' && isdigit((unsigned char)s[l->pos + 1])) {
			is_float = 1;
			l->pos++;
			while (isdigit((unsigned char)s[l->pos]))
				l->pos++;
		}
		if (s[l->pos] == 'e' || s[l->pos] == 'E') {
			size_t p = l->pos + 1;
			if (s[p] == '+' || s[p] == '-')
				p++;
			if (isdigit((unsigned char)s[p])) {
				is_float = 1;
				l->pos = p;
				while (isdigit((unsigned char)s[l->pos]))
					l->pos++;
			}
		}
		if (l->pos - b >= sizeof(num))
			return lex_error(l, "number too long");
		for (i = 0; b < l->pos; b++)
			if (s[b] != '_')
				num[i++] = s[b];
		num[i] = '\0';
		errno = 0;
		if (is_float) {
			l->fval = strtod(num, &end);
			l->t = T_FLOAT;
		} else {
			l->ival = strtoll(num, &end, 10);
			l->t = T_INT;
			if (errno == ERANGE)
				return lex_error(l, "integer %s out of range", num);
		}
		if (*end)
			return lex_error(l, "invalid number %s", num);
		return 0;
	}
	if (s[l->pos] == '"' || s[l->pos] == '\'' || s[l->pos] == '`') {
		char q = s[l->pos++];
		size_t cap = strlen(s + l->pos) + 1, n = 0;
		l->str = malloc(cap);
		if (!l->str)
			return lex_error(l, "out of memory");
		while (s[l->pos] && s[l->pos] != q) {
			char c = s[l->pos++];
			if (c == '\\' && q != '`') {
				c = s[l->pos++];
				switch (c) {
				case 'n': c = '\n'; break;
				case 't': c = '\t'; break;
				case 'r': c = '\r'; break;
				case '\\': case '"': case '\'': break;
				case '\0': return lex_error(l, "unterminated string");
				default: return lex_error(l, "unknown escape \\%c", c);
				}
			}
			l->str[n++] = c;
		}
		if (s[l->pos] != q)
			return lex_error(l, "literal not terminated");
		l->pos++;
		l->str[n] = '\0';
		l->strlen_ = n;
		l->t = T_STR;
		return 0;
	}
	if (isalpha((unsigned char)s[l->pos]) || s[l->pos] == '_' || s[l->pos] == '$') {
		size_t b = l->pos;
		while (isalnum((unsigned char)s[l->pos]) || s[l->pos] == '_' || s[l->pos] == '$')
			l->pos++;
		if (l->pos - b >= sizeof(l->text))
			return lex_error(l, "name too long");
		memcpy(l->text, s + b, l->pos - b);
		l->text[l->pos - b] = '\0';
		l->t = T_IDENT;
		return 0;
	}
	for (i = 0; ops2[i]; i++) {
		if (!strncmp(s + l->pos, ops2[i], 2)) {
			memcpy(l->text, ops2[i], 3);
			l->pos += 2;
			l->t = T_OP;
			return 0;
		}
	}
	if (strchr("+-*/%^<>!?:.,()[]{}#", s[l->pos])) {
		l->text[0] = s[l->pos++];
		l->text[1] = '\0';
		l->t = T_OP;
		return 0;
	}
	return lex_error(l, "unexpected character '%c'", s[l->pos]);
}

/* ---- tree ---- */

enum nkind {
	N_NIL, N_BOOL, N_INT, N_FLOAT, N_STR, N_RESULT, N_POINTER, N_ARRAY,
	N_UNARY, N_BINARY, N_TERNARY, N_INDEX, N_MEMBER, N_CALL, N_CLOSURE
};

struct xnode {
	enum nkind k;
	char op[12];
	int64_t i;
	double f;
	char *s;
	size_t slen;
	struct xnode **kids;
	size_t n;
	int builtin;
	int depth;           /* levels of nodes below this one */
};

struct expr {
	struct xnode *root;
};

static void node_free(struct xnode *n)
{
	size_t i;
	if (!n)
		return;
	for (i = 0; i < n->n; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->s);
	free(n);
}

static struct xnode *node_new(enum nkind k)
{
	struct xnode *n = calloc(1, sizeof(*n));
	if (n)
		n->k = k;
	return n;
}


enum builtin {
	B_LEN = 1, B_ALL, B_ANY, B_NONE, B_ONE, B_FILTER, B_MAP, B_COUNT, B_ABS,
	B_ISNAN, B_ISINF, B_ISNIL, B_DEFAULT, B_ASINT, B_ASFLOAT
};

static const struct {
	const char *name;
	int id;
	int nargs;
	int closure;   /* the second argument is a predicate */
} builtins[] = {
	{ "len", B_LEN, 1, 0 }, { "all", B_ALL, 2, 1 }, { "any", B_ANY, 2, 1 },
	{ "none", B_NONE, 2, 1 }, { "one", B_ONE, 2, 1 }, { "filter", B_FILTER, 2, 1 },
	{ "map", B_MAP, 2, 1 }, { "count", B_COUNT, 2, 1 }, { "abs", B_ABS, 1, 0 },
	{ "isNaN", B_ISNAN, 1, 0 }, { "isInf", B_ISINF, 1, 0 }, { "isNil", B_ISNIL, 1, 0 },
	{ "default", B_DEFAULT, 2, 0 }, { "asInt", B_ASINT, 1, 0 }, { "asFloat", B_ASFLOAT, 1, 0 },
};

struct parser {
	struct lexer l;
	int in_closure;
	int nest;            /* parse functions entered recursively */
};

/* Conditions are short; a hostile one must not exhaust the stack of the parser,
 * the evaluator or node_free, which all recurse. */
#define EXPR_MAX_DEPTH 100

static struct xnode *parse_expr(struct parser *p);

static int too_deep(struct parser *p)
{
	return lex_error(&p->l, "condition nested more than %d deep", EXPR_MAX_DEPTH);
}

static int node_add(struct parser *p, struct xnode *n, struct xnode *kid)
{
	struct xnode **k;
	if (!kid)
		return -1;
	if (kid->depth + 1 > EXPR_MAX_DEPTH) {
		node_free(kid);
		return too_deep(p);
	}
	k = realloc(n->kids, (n->n + 1) * sizeof(*k));
	if (!k) {
		node_free(kid);
		return -1;
	}
	n->kids = k;
	n->kids[n->n++] = kid;
	if (n->depth < kid->depth + 1)
		n->depth = kid->depth + 1;
	return 0;
}

/* fn(p), one level deeper. */
static struct xnode *nested(struct parser *p, struct xnode *(*fn)(struct parser *))
{
	struct xnode *n;
	if (p->nest >= EXPR_MAX_DEPTH) {
		too_deep(p);
		return NULL;
	}
	p->nest++;
	n = fn(p);
	p->nest--;
	return n;
}

static int is_op(struct parser *p, const char *op)
{
	return p->l.t == T_OP && !strcmp(p->l.text, op);
}

static int is_word(struct parser *p, const char *w)
{
	return p->l.t == T_IDENT && !strcmp(p->l.text, w);
}

static int expect_op(struct parser *p, const char *op)
{
	if (!is_op(p, op))
		return lex_error(&p->l, "expected '%s'", op);
	return lex_next(&p->l);
}

static struct xnode *parse_args(struct parser *p, struct xnode *call, int closure_arg)
{
	int idx = 0;
	if (lex_next(&p->l) < 0) /* '(' */
		goto fail;
	while (!is_op(p, ")")) {
		struct xnode *a;
		if (idx == 1 && closure_arg) {
			int braces = is_op(p, "{");
			struct xnode *c = node_new(N_CLOSURE);
			if (!c)
				goto fail;
			if (braces && lex_next(&p->l) < 0) {
				node_free(c);
				goto fail;
			}
			p->in_closure++;
			a = parse_expr(p);
			p->in_closure--;
			if (node_add(p, c, a) < 0) {
				node_free(c);
				goto fail;
			}
			if (braces && expect_op(p, "}") < 0) {
				node_free(c);
				goto fail;
			}
			a = c;
		} else {
			a = parse_expr(p);
		}
		if (node_add(p, call, a) < 0)
			goto fail;
		idx++;
		if (is_op(p, ",")) {
			if (lex_next(&p->l) < 0)
				goto fail;
			continue;
		}
		if (!is_op(p, ")")) {
			lex_error(&p->l, "expected ',' or ')'");
			goto fail;
		}
	}
	if (lex_next(&p->l) < 0)
		goto fail;
	return call;
fail:
	node_free(call);
	return NULL;
}

static struct xnode *parse_primary(struct parser *p)
{
	struct xnode *n = NULL;
	struct lexer *l = &p->l;
	if (l->failed)
		return NULL;
	if (l->t == T_INT || l->t == T_FLOAT) {
		n = node_new(l->t == T_INT ? N_INT : N_FLOAT);
		if (n) {
			n->i = l->ival;
			n->f = l->fval;
		}
		if (lex_next(l) < 0)
			goto fail;
		return n;
	}
	if (l->t == T_STR) {
		n = node_new(N_STR);
		if (!n)
			return NULL;
		n->s = l->str;
		n->slen = l->strlen_;
		l->str = NULL;
		if (lex_next(l) < 0)
			goto fail;
		return n;
	}
	if (is_op(p, "(")) {
		if (lex_next(l) < 0)
			return NULL;
		n = parse_expr(p);
		if (!n || expect_op(p, ")") < 0)
			goto fail;
		return n;
	}
	if (is_op(p, "[")) {
		n = node_new(N_ARRAY);
		if (!n || lex_next(l) < 0)
			goto fail;
		while (!is_op(p, "]")) {
			if (node_add(p, n, parse_expr(p)) < 0)
				goto fail;
			if (is_op(p, ",")) {
				if (lex_next(l) < 0)
					goto fail;
			} else if (!is_op(p, "]")) {
				lex_error(l, "expected ',' or ']'");
				goto fail;
			}
		}
		if (lex_next(l) < 0)
			goto fail;
		return n;
	}
	if (is_op(p, "#")) {
		if (!p->in_closure) {
			lex_error(l, "# is only allowed in a predicate");
			return NULL;
		}
		n = node_new(N_POINTER);
		if (lex_next(l) < 0)
			goto fail;
		return n;
	}
	if (is_op(p, ".") && p->in_closure) {
		/* .field in a predicate is #.field */
		n = node_new(N_POINTER);
		return n;
	}
	if (l->t == T_IDENT) {
		char name[256];
		size_t i;
		memcpy(name, l->text, sizeof(name));
		if (!strcmp(name, "true") || !strcmp(name, "false")) {
			n = node_new(N_BOOL);
			if (n)
				n->i = !strcmp(name, "true");
			if (lex_next(l) < 0)
				goto fail;
			return n;
		}
		if (!strcmp(name, "nil")) {
			n = node_new(N_NIL);
			if (lex_next(l) < 0)
				goto fail;
			return n;
		}
		if (lex_next(l) < 0)
			return NULL;
		if (is_op(p, "(")) {
			for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
				if (!strcmp(builtins[i].name, name))
					break;
			if (i == sizeof(builtins) / sizeof(builtins[0])) {
				lex_error(l, "unknown func %s", name);
				return NULL;
			}
			n = node_new(N_CALL);
			if (!n)
				return NULL;
			n->builtin = builtins[i].id;
			n = parse_args(p, n, builtins[i].closure);
			if (n && (int)n->n != builtins[i].nargs) {
				lex_error(l, "%s takes %d argument%s, not %zu", name, builtins[i].nargs,
					  builtins[i].nargs == 1 ? "" : "s", n->n);
				goto fail;
			}
			return n;
		}
		if (!strcmp(name, "result"))
			return node_new(N_RESULT);
		lex_error(l, "unknown name %s", name);
		return NULL;
	}
	if (l->t == T_EOF)
		lex_error(l, "unexpected end of condition");
	else
		lex_error(l, "unexpected token '%s'", l->t == T_OP ? l->text : "?");
	return NULL;
fail:
	node_free(n);
	return NULL;
}

static struct xnode *parse_postfix(struct parser *p)
{
	struct xnode *n = parse_primary(p), *m;
	while (n && !p->l.failed) {
		if (is_op(p, "[")) {
			m = node_new(N_INDEX);
			if (!m)
				node_free(n);
			if (!m || node_add(p, m, n) < 0 || lex_next(&p->l) < 0) {
				node_free(m);
				return NULL;
			}
			if (node_add(p, m, parse_expr(p)) < 0 || expect_op(p, "]") < 0) {
				node_free(m);
				return NULL;
			}
			n = m;
		} else if (is_op(p, ".")) {
			if (lex_next(&p->l) < 0 || p->l.t != T_IDENT) {
				lex_error(&p->l, "expected a name after '.'");
				node_free(n);
				return NULL;
			}
			m = node_new(N_MEMBER);
			if (!m)
				node_free(n);
			if (!m || node_add(p, m, n) < 0) {
				node_free(m);
				return NULL;
			}
			m->s = strdup(p->l.text);
			m->slen = strlen(p->l.text);
			n = m;
			if (lex_next(&p->l) < 0) {
				node_free(n);
				return NULL;
			}
		} else {
			break;
		}
	}
	if (p->l.failed) {
		node_free(n);
		return NULL;
	}
	return n;
}

static struct xnode *parse_unary(struct parser *p)
{
	if (is_op(p, "!") || is_op(p, "-") || is_op(p, "+") || is_word(p, "not")) {
		struct xnode *n = node_new(N_UNARY);
		if (!n)
			return NULL;
		gth_strlcpy(n->op, is_word(p, "not") ? "!" : p->l.text, sizeof(n->op));
		if (lex_next(&p->l) < 0 || node_add(p, n, nested(p, parse_unary)) < 0) {
			node_free(n);
			return NULL;
		}
		return n;
	}
	return parse_postfix(p);
}

static struct xnode *binary(struct parser *p, struct xnode *l, const char *op, struct xnode *r)
{
	struct xnode *n;
	if (!l || !r) {
		node_free(l);
		node_free(r);
		return NULL;
	}
	n = node_new(N_BINARY);
	if (!n) {
		node_free(l);
		node_free(r);
		return NULL;
	}
	gth_strlcpy(n->op, op, sizeof(n->op));
	if (node_add(p, n, l) < 0) {
		node_free(r);
		node_free(n);
		return NULL;
	}
	if (node_add(p, n, r) < 0) {
		node_free(n);
		return NULL;
	}
	return n;
}

static struct xnode *parse_pow(struct parser *p)
{
	struct xnode *l = parse_unary(p);
	if (l && (is_op(p, "**") || is_op(p, "^"))) {
		if (lex_next(&p->l) < 0) {
			node_free(l);
			return NULL;
		}
		return binary(p, l, "**", nested(p, parse_pow));
	}
	return l;
}

static struct xnode *parse_mul(struct parser *p)
{
	struct xnode *l = parse_pow(p);
	while (l && (is_op(p, "*") || is_op(p, "/") || is_op(p, "%"))) {
		char op[4];
		gth_strlcpy(op, p->l.text, sizeof(op));
		if (lex_next(&p->l) < 0) {
			node_free(l);
			return NULL;
		}
		l = binary(p, l, op, parse_pow(p));
	}
	return l;
}

static struct xnode *parse_add(struct parser *p)
{
	struct xnode *l = parse_mul(p);
	while (l && (is_op(p, "+") || is_op(p, "-"))) {
		char op[4];
		gth_strlcpy(op, p->l.text, sizeof(op));
		if (lex_next(&p->l) < 0) {
			node_free(l);
			return NULL;
		}
		l = binary(p, l, op, parse_mul(p));
	}
	return l;
}

static struct xnode *parse_cmp(struct parser *p)
{
	static const char *const words[] = { "in", "contains", "startsWith", "endsWith", "matches", NULL };
	struct xnode *l = parse_add(p);
	for (;;) {
		char op[12] = "";
		int negate = 0;
		size_t i;
		if (!l)
			return NULL;
		if (p->l.t == T_OP && (!strcmp(p->l.text, "==") || !strcmp(p->l.text, "!=") ||
				       !strcmp(p->l.text, "<") || !strcmp(p->l.text, ">") ||
				       !strcmp(p->l.text, "<=") || !strcmp(p->l.text, ">=")))
			gth_strlcpy(op, p->l.text, sizeof(op));
		if (is_word(p, "not")) {
			/* "not in" */
			size_t save = p->l.pos;
			if (lex_next(&p->l) < 0 || !is_word(p, "in")) {
				p->l.pos = save;
				lex_error(&p->l, "expected 'in' after 'not'");
				node_free(l);
				return NULL;
			}
			negate = 1;
		}
		for (i = 0; words[i] && !op[0]; i++)
			if (is_word(p, words[i]))
				snprintf(op, sizeof(op), "%s", words[i]);
		if (!op[0])
			return l;
		if (lex_next(&p->l) < 0) {
			node_free(l);
			return NULL;
		}
		l = binary(p, l, op, parse_add(p));
		if (l && negate) {
			struct xnode *n = node_new(N_UNARY);
			if (!n) {
				node_free(l);
				return NULL;
			}
			snprintf(n->op, sizeof(n->op), "!");
			if (node_add(p, n, l) < 0) {
				node_free(n);
				return NULL;
			}
			l = n;
		}
	}
}

static struct xnode *parse_and(struct parser *p)
{
	struct xnode *l = parse_cmp(p);
	while (l && (is_op(p, "&&") || is_word(p, "and"))) {
		if (lex_next(&p->l) < 0) {
			node_free(l);
			return NULL;
		}
		l = binary(p, l, "&&", parse_cmp(p));
	}
	return l;
}

static struct xnode *parse_or(struct parser *p)
{
	struct xnode *l = parse_and(p);
	while (l && (is_op(p, "||") || is_word(p, "or"))) {
		if (lex_next(&p->l) < 0) {
			node_free(l);
			return NULL;
		}
		l = binary(p, l, "||", parse_and(p));
	}
	return l;
}

static struct xnode *parse_ternary(struct parser *p)
{
	struct xnode *c = parse_or(p), *n;
	if (!c || !is_op(p, "?"))
		return c;
	n = node_new(N_TERNARY);
	if (!n || node_add(p, n, c) < 0 || lex_next(&p->l) < 0) {
		node_free(n);
		return NULL;
	}
	if (node_add(p, n, parse_expr(p)) < 0 || expect_op(p, ":") < 0 ||
	    node_add(p, n, parse_expr(p)) < 0) {
		node_free(n);
		return NULL;
	}
	return n;
}

static struct xnode *parse_expr(struct parser *p)
{
	return nested(p, parse_ternary);
}

int expr_compile(struct expr **out, const char *src, char *errbuf, size_t errsize)
{
	struct parser p;
	struct xnode *root;
	*out = NULL;
	memset(&p, 0, sizeof(p));
	p.l.src = src;
	p.l.err = errbuf;
	p.l.errsize = errsize;
	if (lex_next(&p.l) < 0)
		goto fail;
	if (p.l.t == T_EOF) {
		lex_error(&p.l, "empty condition");
		goto fail;
	}
	root = parse_expr(&p);
	if (!root)
		goto fail;
	if (p.l.failed) {
		node_free(root);
		goto fail;
	}
	if (p.l.t != T_EOF) {
		lex_error(&p.l, "unexpected token '%s'", p.l.t == T_OP || p.l.t == T_IDENT ? p.l.text : "literal");
		node_free(root);
		goto fail;
	}
	*out = calloc(1, sizeof(**out));
	if (!*out) {
		node_free(root);
		snprintf(errbuf, errsize, "out of memory");
		goto fail;
	}
	(*out)->root = root;
	free(p.l.str);
	return 0;
fail:
	if (!p.l.failed)
		snprintf(errbuf, errsize, "out of memory");
	free(p.l.str);
	return -1;
}

void expr_free(struct expr *e)
{
	if (!e)
		return;
	node_free(e->root);
	free(e);
}

/* ---- evaluation ---- */

struct ev {
	struct xarena *a;
	const struct xv *result;
	struct xv ptr[16];
	int depth;
	char *err;
	size_t errsize;
	int failed;
};

static int ev_error(struct ev *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int ev_error(struct ev *e, const char *fmt, ...)
{
	va_list ap;
	if (e->failed)
		return -1;
	e->failed = 1;
	va_start(ap, fmt);
	vsnprintf(e->err, e->errsize, fmt, ap);
	va_end(ap);
	return -1;
}

static int is_num(const struct xv *v)
{
	return v->t == XV_INT || v->t == XV_FLOAT;
}

static double num(const struct xv *v)
{
	return v->t == XV_INT ? (double)v->i : v->f;
}

static int equal(const struct xv *a, const struct xv *b)
{
	size_t i;
	if (is_num(a) && is_num(b)) {
		if (a->t == XV_INT && b->t == XV_INT)
			return a->i == b->i;
		return num(a) == num(b);
	}
	if (a->t != b->t)
		return 0;
	switch (a->t) {
	case XV_NIL: return 1;
	case XV_BOOL: return a->b == b->b;
	case XV_STR: return a->n == b->n && !memcmp(a->s, b->s, a->n);
	case XV_ARR:
		if (a->n != b->n)
			return 0;
		for (i = 0; i < a->n; i++)
			if (!equal(&a->items[i], &b->items[i]))
				return 0;
		return 1;
	case XV_MAP:
		if (a->n != b->n)
			return 0;
		for (i = 0; i < a->n; i++)
			if (strcmp(a->keys[i], b->keys[i]) || !equal(&a->items[i], &b->items[i]))
				return 0;
		return 1;
	default:
		return 0;
	}
}

static int eval(struct ev *e, const struct xnode *n, struct xv *out);

static int mismatch(struct ev *e, const char *op, const struct xv *a, const struct xv *b)
{
	return ev_error(e, "invalid operation: %s (mismatched types %s and %s)", op,
			xv_type_name(a), xv_type_name(b));
}

static char *astrndup(struct xarena *a, const char *s, size_t n)
{
	char *d = aalloc(a, n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static int eval_binary(struct ev *e, const struct xnode *n, struct xv *out)
{
	struct xv a, b;
	const char *op = n->op;
	if (eval(e, n->kids[0], &a) < 0)
		return -1;
	if (!strcmp(op, "&&") || !strcmp(op, "||")) {
		int isand = op[0] == '&';
		if (a.t != XV_BOOL)
			return ev_error(e, "invalid operation: %s (non-bool %s)", op, xv_type_name(&a));
		if (isand ? !a.b : a.b) {
			*out = xv_bool(a.b);
			return 0;
		}
		if (eval(e, n->kids[1], &b) < 0)
			return -1;
		if (b.t != XV_BOOL)
			return ev_error(e, "invalid operation: %s (non-bool %s)", op, xv_type_name(&b));
		*out = xv_bool(b.b);
		return 0;
	}
	if (eval(e, n->kids[1], &b) < 0)
		return -1;
	if (!strcmp(op, "==") || !strcmp(op, "!=")) {
		int eq = equal(&a, &b);
		*out = xv_bool(op[0] == '=' ? eq : !eq);
		return 0;
	}
	if (!strcmp(op, "<") || !strcmp(op, ">") || !strcmp(op, "<=") || !strcmp(op, ">=")) {
		int c;
		if (is_num(&a) && is_num(&b)) {
			if (a.t == XV_INT && b.t == XV_INT)
				c = a.i < b.i ? -1 : a.i > b.i;
			else {
				double x = num(&a), y = num(&b);
				if (isnan(x) || isnan(y)) {
					*out = xv_bool(0);
					return 0;
				}
				c = x < y ? -1 : x > y;
			}
		} else if (a.t == XV_STR && b.t == XV_STR) {
			size_t m = a.n < b.n ? a.n : b.n;
			c = memcmp(a.s, b.s, m);
			if (!c)
				c = a.n < b.n ? -1 : a.n > b.n;
		} else {
			return mismatch(e, op, &a, &b);
		}
		if (!strcmp(op, "<")) *out = xv_bool(c < 0);
		else if (!strcmp(op, ">")) *out = xv_bool(c > 0);
		else if (!strcmp(op, "<=")) *out = xv_bool(c <= 0);
		else *out = xv_bool(c >= 0);
		return 0;
	}
	if (!strcmp(op, "in")) {
		size_t i;
		if (b.t == XV_ARR) {
			for (i = 0; i < b.n; i++)
				if (equal(&a, &b.items[i])) {
					*out = xv_bool(1);
					return 0;
				}
			*out = xv_bool(0);
			return 0;
		}
		if (b.t == XV_MAP && a.t == XV_STR) {
			for (i = 0; i < b.n; i++)
				if (strlen(b.keys[i]) == a.n && !memcmp(b.keys[i], a.s, a.n)) {
					*out = xv_bool(1);
					return 0;
				}
			*out = xv_bool(0);
			return 0;
		}
		return mismatch(e, op, &a, &b);
	}
	if (!strcmp(op, "contains") || !strcmp(op, "startsWith") || !strcmp(op, "endsWith") ||
	    !strcmp(op, "matches")) {
		if (a.t != XV_STR || b.t != XV_STR)
			return mismatch(e, op, &a, &b);
		if (op[0] == 'c') {
			char *h = astrndup(e->a, a.s, a.n), *nd = astrndup(e->a, b.s, b.n);
			*out = xv_bool(h && nd && strstr(h, nd) != NULL);
		} else if (op[0] == 's') {
			*out = xv_bool(a.n >= b.n && !memcmp(a.s, b.s, b.n));
		} else if (op[0] == 'e') {
			*out = xv_bool(a.n >= b.n && !memcmp(a.s + a.n - b.n, b.s, b.n));
		} else {
			regex_t re;
			char *pat = astrndup(e->a, b.s, b.n), *subj = astrndup(e->a, a.s, a.n);
			int rc;
			if (!pat || !subj || regcomp(&re, pat, REG_EXTENDED | REG_NOSUB) != 0)
				return ev_error(e, "invalid regular expression %s", pat ? pat : "");
			rc = regexec(&re, subj, 0, NULL, 0);
			regfree(&re);
			*out = xv_bool(rc == 0);
		}
		return 0;
	}
	/* arithmetic */
	if (!strcmp(op, "+") && a.t == XV_STR && b.t == XV_STR) {
		char *s = aalloc(e->a, a.n + b.n + 1);
		if (!s)
			return ev_error(e, "out of memory");
		memcpy(s, a.s, a.n);
		memcpy(s + a.n, b.s, b.n);
		*out = xv_str(s, a.n + b.n);
		return 0;
	}
	if (!is_num(&a) || !is_num(&b))
		return mismatch(e, op, &a, &b);
	if (!strcmp(op, "/")) {
		*out = xv_float(num(&a) / num(&b));
		return 0;
	}
	if (!strcmp(op, "**")) {
		*out = xv_float(pow(num(&a), num(&b)));
		return 0;
	}
	if (!strcmp(op, "%")) {
		if (a.t != XV_INT || b.t != XV_INT)
			return mismatch(e, op, &a, &b);
		if (b.i == 0)
			return ev_error(e, "integer divide by zero");
		*out = xv_int(a.i % b.i);
		return 0;
	}
	if (a.t == XV_INT && b.t == XV_INT) {
		if (op[0] == '+') *out = xv_int(a.i + b.i);
		else if (op[0] == '-') *out = xv_int(a.i - b.i);
		else *out = xv_int(a.i * b.i);
		return 0;
	}
	if (op[0] == '+') *out = xv_float(num(&a) + num(&b));
	else if (op[0] == '-') *out = xv_float(num(&a) - num(&b));
	else *out = xv_float(num(&a) * num(&b));
	return 0;
}

static int map_get(const struct xv *m, const char *key, size_t klen, struct xv *out)
{
	size_t i;
	for (i = 0; i < m->n; i++)
		if (strlen(m->keys[i]) == klen && !memcmp(m->keys[i], key, klen)) {
			*out = m->items[i];
			return 0;
		}
	*out = xv_nil();
	return 0;
}

static int eval_call(struct ev *e, const struct xnode *n, struct xv *out)
{
	struct xv a, r;
	size_t i;
	int id = n->builtin;
	if (id == B_ISNIL) {
		/* Argo binds isNil to the result, whatever the argument */
		if (eval(e, n->kids[0], &a) < 0)
			return -1;
		*out = xv_bool(e->result->t == XV_NIL);
		return 0;
	}
	if (id == B_DEFAULT) {
		if (eval(e, n->kids[0], &a) < 0 || eval(e, n->kids[1], &r) < 0)
			return -1;
		*out = e->result->t == XV_NIL ? r : *e->result;
		return 0;
	}
	if (eval(e, n->kids[0], &a) < 0)
		return -1;
	switch (id) {
	case B_LEN:
		if (a.t == XV_STR || a.t == XV_ARR || a.t == XV_MAP) {
			*out = xv_int((int64_t)a.n);
			return 0;
		}
		return ev_error(e, "invalid argument for len (type %s)", xv_type_name(&a));
	case B_ABS:
		if (a.t == XV_INT) {
			*out = xv_int(a.i < 0 ? -a.i : a.i);
			return 0;
		}
		if (a.t == XV_FLOAT) {
			*out = xv_float(fabs(a.f));
			return 0;
		}
		return ev_error(e, "invalid argument for abs (type %s)", xv_type_name(&a));
	case B_ISNAN:
	case B_ISINF:
		if (!is_num(&a))
			return ev_error(e, "cannot use %s as argument (type float64) to call %s",
					xv_type_name(&a), id == B_ISNAN ? "isNaN" : "isInf");
		*out = xv_bool(id == B_ISNAN ? isnan(num(&a)) : isinf(num(&a)));
		return 0;
	case B_ASINT:
	case B_ASFLOAT:
		if (a.t == XV_INT) {
			*out = id == B_ASINT ? a : xv_float((double)a.i);
			return 0;
		}
		if (a.t == XV_FLOAT) {
			*out = id == B_ASINT ? xv_int((int64_t)a.f) : a;
			return 0;
		}
		if (a.t == XV_STR) {
			char *s = astrndup(e->a, a.s, a.n), *end;
			if (!s)
				return ev_error(e, "out of memory");
			errno = 0;
			if (id == B_ASINT) {
				long long v = strtoll(s, &end, 10);
				if (!*s || *end || errno)
					return ev_error(e, "strconv.ParseInt: parsing \"%s\": invalid syntax", s);
				*out = xv_int(v);
			} else {
				double v = strtod(s, &end);
				if (!*s || *end)
					return ev_error(e, "strconv.ParseFloat: parsing \"%s\": invalid syntax", s);
				*out = xv_float(v);
			}
			return 0;
		}
		return ev_error(e, "%s() not supported on %s", id == B_ASINT ? "asInt" : "asFloat",
				xv_type_name(&a));
	default:
		break;
	}
	/* predicates over an array */
	{
		const struct xnode *body = n->kids[1]->kids[0];
		size_t hits = 0, m = 0;
		struct xv *items = NULL;
		if (a.t != XV_ARR)
			return ev_error(e, "cannot iterate over %s", xv_type_name(&a));
		if (e->depth >= 16)
			return ev_error(e, "predicates nested too deep");
		if (id == B_FILTER || id == B_MAP) {
			items = aalloc(e->a, a.n * sizeof(struct xv));
			if (!items)
				return ev_error(e, "out of memory");
		}
		for (i = 0; i < a.n; i++) {
			int rc;
			e->ptr[e->depth++] = a.items[i];
			rc = eval(e, body, &r);
			e->depth--;
			if (rc < 0)
				return -1;
			if (id == B_MAP) {
				items[m++] = r;
				continue;
			}
			if (r.t != XV_BOOL)
				return ev_error(e, "predicate should return boolean (got %s)", xv_type_name(&r));
			if (r.b) {
				hits++;
				if (id == B_FILTER)
					items[m++] = a.items[i];
			}
			if (id == B_ALL && !r.b) {
				*out = xv_bool(0);
				return 0;
			}
			if (id == B_ANY && r.b) {
				*out = xv_bool(1);
				return 0;
			}
		}
		switch (id) {
		case B_ALL: *out = xv_bool(1); break;
		case B_ANY: *out = xv_bool(0); break;
		case B_NONE: *out = xv_bool(hits == 0); break;
		case B_ONE: *out = xv_bool(hits == 1); break;
		case B_COUNT: *out = xv_int((int64_t)hits); break;
		default:
			*out = xv_nil();
			out->t = XV_ARR;
			out->items = items;
			out->n = m;
		}
		return 0;
	}
}

static int eval(struct ev *e, const struct xnode *n, struct xv *out)
{
	struct xv a, b;
	size_t i;
	switch (n->k) {
	case N_NIL: *out = xv_nil(); return 0;
	case N_BOOL: *out = xv_bool((int)n->i); return 0;
	case N_INT: *out = xv_int(n->i); return 0;
	case N_FLOAT: *out = xv_float(n->f); return 0;
	case N_STR: *out = xv_str(n->s, n->slen); return 0;
	case N_RESULT: *out = *e->result; return 0;
	case N_POINTER:
		if (!e->depth)
			return ev_error(e, "# outside a predicate");
		*out = e->ptr[e->depth - 1];
		return 0;
	case N_ARRAY:
		*out = xv_nil();
		out->t = XV_ARR;
		out->n = n->n;
		out->items = aalloc(e->a, n->n * sizeof(struct xv));
		if (!out->items)
			return ev_error(e, "out of memory");
		for (i = 0; i < n->n; i++)
			if (eval(e, n->kids[i], &out->items[i]) < 0)
				return -1;
		return 0;
	case N_UNARY:
		if (eval(e, n->kids[0], &a) < 0)
			return -1;
		if (n->op[0] == '!') {
			if (a.t != XV_BOOL)
				return ev_error(e, "invalid operation: ! (mismatched type %s)", xv_type_name(&a));
			*out = xv_bool(!a.b);
		} else if (a.t == XV_INT) {
			*out = xv_int(n->op[0] == '-' ? -a.i : a.i);
		} else if (a.t == XV_FLOAT) {
			*out = xv_float(n->op[0] == '-' ? -a.f : a.f);
		} else {
			return ev_error(e, "invalid operation: %s (mismatched type %s)", n->op, xv_type_name(&a));
		}
		return 0;
	case N_BINARY:
		return eval_binary(e, n, out);
	case N_TERNARY:
		if (eval(e, n->kids[0], &a) < 0)
			return -1;
		if (a.t != XV_BOOL)
			return ev_error(e, "non-bool %s used as condition", xv_type_name(&a));
		return eval(e, n->kids[a.b ? 1 : 2], out);
	case N_INDEX:
		if (eval(e, n->kids[0], &a) < 0 || eval(e, n->kids[1], &b) < 0)
			return -1;
		if (a.t == XV_MAP) {
			if (b.t != XV_STR)
				return ev_error(e, "cannot use %s to get an element from map", xv_type_name(&b));
			return map_get(&a, b.s, b.n, out);
		}
		if (a.t == XV_ARR || a.t == XV_STR) {
			int64_t idx;
			if (b.t == XV_INT)
				idx = b.i;
			else if (b.t == XV_FLOAT && b.f == floor(b.f))
				idx = (int64_t)b.f;
			else
				return ev_error(e, "non-integer index %s", xv_type_name(&b));
			if (idx < 0)
				idx += (int64_t)a.n;
			if (idx < 0 || (size_t)idx >= a.n)
				return ev_error(e, "index out of range: %" PRId64 " (array length is %zu)",
						b.t == XV_INT ? b.i : (int64_t)b.f, a.n);
			if (a.t == XV_STR)
				*out = xv_str(a.s + idx, 1);
			else
				*out = a.items[idx];
			return 0;
		}
		return ev_error(e, "cannot fetch %s from %s",
				b.t == XV_STR ? "key" : "index", xv_type_name(&a));
	case N_MEMBER:
		if (eval(e, n->kids[0], &a) < 0)
			return -1;
		if (a.t != XV_MAP)
			return ev_error(e, "cannot fetch %s from %s", n->s, xv_type_name(&a));
		return map_get(&a, n->s, n->slen, out);
	case N_CALL:
		return eval_call(e, n, out);
	case N_CLOSURE:
		return ev_error(e, "a predicate is not a value");
	}
	return ev_error(e, "unknown node");
}

int expr_eval_bool(const struct expr *x, const struct xv *result, int *out, char *errbuf,
		   size_t errsize)
{
	struct ev e;
	struct xv v;
	int rc = -1;
	memset(&e, 0, sizeof(e));
	e.a = xarena_new();
	e.result = result;
	e.err = errbuf;
	e.errsize = errsize;
	if (!e.a) {
		snprintf(errbuf, errsize, "out of memory");
		return -1;
	}
	if (eval(&e, x->root, &v) < 0)
		goto done;
	if (v.t != XV_BOOL) {
		ev_error(&e, "expected bool, but got %s", xv_type_name(&v));
		goto done;
	}
	*out = v.b;
	rc = 0;
done:
	xarena_free(e.a);
	return rc;
}
