/* memmem */
#define _GNU_SOURCE
#include "manifests.h"

#include <stdlib.h>
#include <string.h>

#include "gth/json.h"
#include "gth/util.h"
#include "gth/yamledit.h"
#include "imgref.h"

enum marker { MARK_NONE, MARK_FULL, MARK_NAME, MARK_TAG };

struct policy {
	char *id;
	int name_seen, name_matched;
};

struct scan {
	const struct bump_target *t;
	struct gth_ye_file *f;
	struct bump_changes *ch;
	const char *file;
	struct gth_error *err;
	const struct gth_ye_node **done; /* scalars already decided */
	size_t ndone, capdone;
	struct policy *pol;
	size_t npol;
};

void bump_changes_clear(struct bump_changes *ch)
{
	size_t i;

	if (!ch)
		return;
	for (i = 0; i < ch->n; i++) {
		free(ch->v[i].file);
		free(ch->v[i].old);
		free(ch->v[i].new_value);
		free(ch->v[i].old_version);
	}
	free(ch->v);
	memset(ch, 0, sizeof(*ch));
}

static const char *last_component(const char *name)
{
	const char *s = strrchr(name, '/');

	return s ? s + 1 : name;
}

int bump_text_may_match(const struct bump_target *t, const char *text, size_t len)
{
	const char *needle = last_component(t->name);

	return memmem(text, len, needle, strlen(needle)) != NULL ||
		memmem(text, len, "$imagepolicy", 12) != NULL ||
		memmem(text, len, "gth:image", 9) != NULL;
}

static int oom(struct gth_error *err)
{
	return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
}

static int is_done(const struct scan *s, const struct gth_ye_node *n)
{
	size_t i;

	for (i = 0; i < s->ndone; i++)
		if (s->done[i] == n)
			return 1;
	return 0;
}

static int mark_done(struct scan *s, const struct gth_ye_node *n)
{
	if (s->ndone == s->capdone) {
		size_t cap = s->capdone ? s->capdone * 2 : 16;
		const struct gth_ye_node **v = realloc(s->done, cap * sizeof(*v));
		if (!v)
			return -1;
		s->done = v;
		s->capdone = cap;
	}
	s->done[s->ndone++] = n;
	return 0;
}

/* The normalised repository of a written repository name equals the target's. */
static int same_repo(const struct bump_target *t, const char *written, size_t len)
{
	struct bump_ref r = BUMP_REF_INIT;
	char *s = strndup(written, len);
	int same;

	if (!s)
		return 0;
	same = bump_ref_parse(&r, s, NULL) == 0 && strcmp(r.name, t->name) == 0;
	bump_ref_release(&r);
	free(s);
	return same;
}

/* The version part of a reference ("v1" of "a:v1", the digest of "a@sha256:..."). */
static char *version_of(const char *value)
{
	size_t rl = bump_ref_repo_len(value);

	if (value[rl] == ':' || value[rl] == '@')
		return strdup(value + rl + 1);
	return strdup(value);
}

static int record(struct scan *s, const struct gth_ye_node *n, int line, const char *old,
		  const char *new_value, const char *old_version)
{
	struct bump_changes *ch = s->ch;
	struct bump_change *c;

	(void)n;
	if (ch->n == ch->cap) {
		size_t cap = ch->cap ? ch->cap * 2 : 8;
		struct bump_change *v = realloc(ch->v, cap * sizeof(*v));
		if (!v)
			return oom(s->err);
		ch->v = v;
		ch->cap = cap;
	}
	c = &ch->v[ch->n];
	c->file = strdup(s->file);
	c->line = line;
	c->old = strdup(old);
	c->new_value = strdup(new_value);
	c->old_version = old_version ? strdup(old_version) : version_of(old);
	if (!c->file || !c->old || !c->new_value || !c->old_version) {
		free(c->file);
		free(c->old);
		free(c->new_value);
		free(c->old_version);
		return oom(s->err);
	}
	ch->n++;
	return 0;
}

/* Set scalar n (through aliases) to value and record the change. */
static int set(struct scan *s, const struct gth_ye_node *n, const char *value,
	       const char *old_version)
{
	const struct gth_ye_node *r = gth_ye_resolve(n);

	if (!r || r->kind != GTH_YE_SCALAR || is_done(s, r))
		return 0;
	if (mark_done(s, r) < 0)
		return oom(s->err);
	if (strcmp(r->value, value) == 0)
		return 0;
	if (gth_ye_set(s->f, r, value, s->err) < 0)
		return -1;
	return record(s, r, r->line, r->value, value, old_version);
}

/* "repo:tag@digest" for a reference written as old, keeping its repository. */
static char *new_reference(const struct bump_target *t, const char *old)
{
	struct gth_buf b = GTH_BUF_INIT;

	if (gth_buf_put(&b, old, bump_ref_repo_len(old)) < 0 ||
	    (t->tag && gth_buf_printf(&b, ":%s", t->tag) < 0) ||
	    (t->digest && gth_buf_printf(&b, "@%s", t->digest) < 0)) {
		gth_buf_release(&b);
		return NULL;
	}
	return gth_buf_detach(&b);
}

/* A scalar holding a whole image reference. */
static int set_reference(struct scan *s, const struct gth_ye_node *n)
{
	const char *v = gth_ye_str(n);
	char *nv;
	int rc;

	if (!v || is_done(s, gth_ye_resolve(n)) || !same_repo(s->t, v, bump_ref_repo_len(v)))
		return 0;
	nv = new_reference(s->t, v);
	if (!nv)
		return oom(s->err);
	rc = set(s, n, nv, NULL);
	free(nv);
	return rc;
}

static enum marker parse_marker(const char *c, size_t len, char **policy)
{
	enum marker m = MARK_NONE;

	*policy = NULL;
	if (len >= 9 && strncmp(c, "gth:image", 9) == 0 &&
	    (len == 9 || c[9] == ' ' || c[9] == '\t'))
		return MARK_FULL;
	if (len && c[0] == '{' && memmem(c, len, "$imagepolicy", 12)) {
		cJSON *j = NULL;
		const char *p;
		size_t pl, colons = 0, i;
		if (gth_json_parse(&j, c, len, "comment", NULL) < 0)
			return MARK_NONE;
		p = gth_json_str(j, "$imagepolicy");
		if (p) {
			pl = strlen(p);
			for (i = 0; i < pl; i++)
				colons += p[i] == ':';
			if (colons >= 2 && gth_ends_with(p, ":tag")) {
				m = MARK_TAG;
				pl -= 4;
			} else if (colons >= 2 && gth_ends_with(p, ":name")) {
				m = MARK_NAME;
				pl -= 5;
			} else {
				m = MARK_FULL;
			}
			*policy = strndup(p, pl);
			if (!*policy)
				m = MARK_NONE;
		}
		cJSON_Delete(j);
	}
	return m;
}

static struct policy *policy_get(struct scan *s, const char *id)
{
	size_t i;
	struct policy *v;

	for (i = 0; i < s->npol; i++)
		if (strcmp(s->pol[i].id, id) == 0)
			return &s->pol[i];
	v = realloc(s->pol, (s->npol + 1) * sizeof(*v));
	if (!v)
		return NULL;
	s->pol = v;
	memset(&v[s->npol], 0, sizeof(*v));
	if (!(v[s->npol].id = strdup(id)))
		return NULL;
	return &v[s->npol++];
}

static int scan_markers(struct scan *s)
{
	size_t i, pass;

	/* pass 0: whole references and names; pass 1: tags of the matched policies */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < s->f->nnodes; i++) {
			const struct gth_ye_node *n = s->f->all[i];
			const char *c;
			size_t len;
			char *policy = NULL;
			enum marker m;
			int rc = 0;

			if (n->kind != GTH_YE_SCALAR && n->kind != GTH_YE_ALIAS)
				continue;
			if (n->parent && n->parent->kind == GTH_YE_MAP) {
				size_t k;
				int is_key = 0;
				for (k = 0; k < n->parent->n; k++)
					if (n->parent->keys[k] == n)
						is_key = 1;
				if (is_key)
					continue;
			}
			c = gth_ye_line_comment(s->f, n, &len);
			if (!c)
				continue;
			m = parse_marker(c, len, &policy);
			if (pass == 0 && m == MARK_FULL) {
				rc = set_reference(s, n);
			} else if (pass == 0 && m == MARK_NAME) {
				struct policy *p = policy_get(s, policy);
				const char *v = gth_ye_str(n);
				if (!p)
					rc = oom(s->err);
				else {
					p->name_seen = 1;
					if (v && same_repo(s->t, v, strlen(v)))
						p->name_matched = 1;
					if (mark_done(s, gth_ye_resolve(n)) < 0)
						rc = oom(s->err);
				}
			} else if (pass == 1 && m == MARK_TAG && s->t->tag) {
				struct policy *p = policy_get(s, policy);
				const char *pname = strrchr(policy, ':');
				pname = pname ? pname + 1 : policy;
				if (!p)
					rc = oom(s->err);
				else if (p->name_matched ||
					 (!p->name_seen && (strcmp(pname, last_component(s->t->name)) == 0 ||
							    (s->t->app && strcmp(pname, s->t->app) == 0))))
					rc = set(s, n, s->t->tag, gth_ye_str(n));
			}
			free(policy);
			if (rc < 0)
				return -1;
		}
	}
	return 0;
}

static const char *const workload_kinds[] = {
	"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "Rollout", NULL
};

static int scan_pod_spec(struct scan *s, const struct gth_ye_node *spec)
{
	static const char *const lists[] = { "containers", "initContainers", "ephemeralContainers" };
	size_t l, i;

	for (l = 0; l < GTH_ARRAY_SIZE(lists); l++) {
		const struct gth_ye_node *seq = gth_ye_get(spec, lists[l]);
		const struct gth_ye_node *c;
		for (i = 0; (c = gth_ye_at(seq, i)) != NULL; i++) {
			const char *name = gth_ye_str(gth_ye_get(c, "name"));
			if (s->t->container && (!name || strcmp(name, s->t->container) != 0))
				continue;
			if (set_reference(s, gth_ye_get(c, "image")) < 0)
				return -1;
		}
	}
	return 0;
}

static int scan_workload(struct scan *s, const struct gth_ye_node *root, int depth)
{
	const char *kind = gth_ye_str(gth_ye_get(root, "kind"));
	size_t i;

	if (!kind || depth > 4)
		return 0;
	if (strcmp(kind, "List") == 0 || gth_ends_with(kind, "List")) {
		const struct gth_ye_node *it;
		for (i = 0; (it = gth_ye_at(gth_ye_get(root, "items"), i)) != NULL; i++)
			if (scan_workload(s, it, depth + 1) < 0)
				return -1;
		return 0;
	}
	if (strcmp(kind, "Pod") == 0)
		return scan_pod_spec(s, gth_ye_get(root, "spec"));
	if (strcmp(kind, "CronJob") == 0)
		return scan_pod_spec(s, gth_ye_get(gth_ye_get(gth_ye_get(gth_ye_get(gth_ye_get(
			root, "spec"), "jobTemplate"), "spec"), "template"), "spec"));
	for (i = 0; workload_kinds[i]; i++)
		if (strcmp(kind, workload_kinds[i]) == 0)
			return scan_pod_spec(s, gth_ye_get(gth_ye_get(gth_ye_get(root, "spec"),
								      "template"), "spec"));
	return 0;
}

static int add_key(struct scan *s, const struct gth_ye_node *map, const char *key,
		   const char *value)
{
	if (gth_ye_insert(s->f, map, key, value, s->err) < 0)
		return -1;
	return record(s, map, gth_ye_resolve(map)->line, "", value, "");
}

static int scan_kustomization(struct scan *s, const struct gth_ye_node *root)
{
	const struct gth_ye_node *e;
	size_t i;

	for (i = 0; (e = gth_ye_at(gth_ye_get(root, "images"), i)) != NULL; i++) {
		const char *name = gth_ye_str(gth_ye_get(e, "newName"));
		const struct gth_ye_node *tag = gth_ye_get(e, "newTag");
		const struct gth_ye_node *dig = gth_ye_get(e, "digest");
		const char *old_tag = gth_ye_str(tag);
		if (!name)
			name = gth_ye_str(gth_ye_get(e, "name"));
		if (!name || !same_repo(s->t, name, strlen(name)))
			continue;
		if (s->t->tag) {
			if (tag ? set(s, tag, s->t->tag, NULL) < 0 :
			    add_key(s, e, "newTag", s->t->tag) < 0)
				return -1;
		}
		if (s->t->digest) {
			if (dig ? set(s, dig, s->t->digest, NULL) < 0 :
			    add_key(s, e, "digest", s->t->digest) < 0)
				return -1;
		} else if (dig && gth_ye_str(dig) && *gth_ye_str(dig)) {
			if (old_tag && s->t->tag && strcmp(old_tag, s->t->tag) == 0)
				continue;
			return gth_error_set(s->err, GTH_EXIT_DATAERR,
					     "%s:%d: the images entry for '%s' pins a digest and the "
					     "new image has none", s->file, dig->line, name);
		}
	}
	return 0;
}

/* Helm values: any mapping with "repository" and "tag" (and maybe "registry"). */
static int scan_helm(struct scan *s, const struct gth_ye_node *n, int depth)
{
	size_t i;

	n = gth_ye_resolve(n);
	if (!n || depth > 64)
		return 0;
	if (n->kind == GTH_YE_SEQ) {
		for (i = 0; i < n->n; i++)
			if (scan_helm(s, n->items[i], depth + 1) < 0)
				return -1;
		return 0;
	}
	if (n->kind != GTH_YE_MAP)
		return 0;
	{
		const char *repo = gth_ye_str(gth_ye_get(n, "repository"));
		const char *registry = gth_ye_str(gth_ye_get(n, "registry"));
		const struct gth_ye_node *tag = gth_ye_get(n, "tag");
		const struct gth_ye_node *dig = gth_ye_get(n, "digest");
		if (repo && *repo && tag && tag->kind == GTH_YE_SCALAR && s->t->tag) {
			char *full = registry && *registry ? gth_strdupf("%s/%s", registry, repo) :
				strdup(repo);
			int match;
			if (!full)
				return oom(s->err);
			match = same_repo(s->t, full, strlen(full));
			free(full);
			if (match) {
				char *tv = !dig && s->t->digest ?
					gth_strdupf("%s@%s", s->t->tag, s->t->digest) :
					strdup(s->t->tag);
				int rc;
				if (!tv)
					return oom(s->err);
				rc = set(s, tag, tv, tag->value);
				free(tv);
				if (rc < 0)
					return -1;
				if (dig && s->t->digest && set(s, dig, s->t->digest, NULL) < 0)
					return -1;
			}
		}
	}
	for (i = 0; i < n->n; i++)
		if (scan_helm(s, n->items[i], depth + 1) < 0)
			return -1;
	return 0;
}

static int change_cmp(const void *a, const void *b)
{
	const struct bump_change *x = a, *y = b;

	return (x->line > y->line) - (x->line < y->line);
}

int bump_text(struct gth_buf *out, struct bump_changes *ch, const struct bump_target *t,
	      const char *file, const char *text, size_t len, struct gth_error *err)
{
	struct gth_ye_file f = GTH_YE_FILE_INIT;
	struct scan s;
	size_t d, before = ch->n;
	int rc = -1;

	memset(&s, 0, sizeof(s));
	s.t = t;
	s.f = &f;
	s.ch = ch;
	s.file = file;
	s.err = err;
	if (gth_ye_parse(&f, text, len, file, err) < 0)
		return -1;
	if (scan_markers(&s) < 0)
		goto done;
	for (d = 0; d < f.ndocs; d++) {
		const struct gth_ye_node *root = gth_ye_resolve(f.docs[d]);
		const char *kind = gth_ye_str(gth_ye_get(root, "kind"));
		if (!root || root->kind != GTH_YE_MAP)
			continue;
		if (scan_workload(&s, root, 0) < 0)
			goto done;
		if ((!kind || strcmp(kind, "Kustomization") == 0) && gth_ye_get(root, "images") &&
		    scan_kustomization(&s, root) < 0)
			goto done;
		if (!kind && scan_helm(&s, root, 0) < 0)
			goto done;
	}
	if (gth_ye_pending(&f) == 0) {
		rc = 0;
		goto done;
	}
	if (gth_ye_apply(&f, out, err) < 0)
		goto done;
	qsort(ch->v + before, ch->n - before, sizeof(*ch->v), change_cmp);
	rc = 1;
done:
	if (rc < 0) {
		while (ch->n > before) {
			struct bump_change *c = &ch->v[--ch->n];
			free(c->file);
			free(c->old);
			free(c->new_value);
			free(c->old_version);
		}
	}
	for (d = 0; d < s.npol; d++)
		free(s.pol[d].id);
	free(s.pol);
	free(s.done);
	gth_ye_release(&f);
	return rc;
}
