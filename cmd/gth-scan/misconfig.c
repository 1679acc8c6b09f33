#define _GNU_SOURCE /* memmem, strcasestr */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gth/buf.h"
#include "gth/util.h"
#include "gth/yaml.h"
#include "misconfig.h"
#include "secrets.h"

const struct scan_check_def scan_checks[] = {
	{ "GTH-K8S-001", SCAN_SEV_HIGH, "Container runs privileged",
	  "securityContext.privileged is true: the container has every capability of the host." },
	{ "GTH-K8S-002", SCAN_SEV_MEDIUM, "Privilege escalation allowed",
	  "securityContext.allowPrivilegeEscalation is not set to false." },
	{ "GTH-K8S-003", SCAN_SEV_MEDIUM, "Container may run as root",
	  "securityContext.runAsNonRoot is not true on the container or its pod." },
	{ "GTH-K8S-004", SCAN_SEV_MEDIUM, "hostPath volume",
	  "A hostPath volume mounts a folder of the node into the pod." },
	{ "GTH-K8S-005", SCAN_SEV_HIGH, "Pod uses the host network",
	  "hostNetwork is true: the pod sees every interface of the node." },
	{ "GTH-K8S-006", SCAN_SEV_MEDIUM, "Image tag is latest or missing",
	  "The image has no tag, or the tag latest, and no digest: what runs can change under the same manifest." },
	{ "GTH-K8S-007", SCAN_SEV_LOW, "No resource limits",
	  "resources.limits.cpu or resources.limits.memory is missing." },
	{ "GTH-K8S-008", SCAN_SEV_LOW, "Root file system is writable",
	  "securityContext.readOnlyRootFilesystem is not true." },
	{ "GTH-K8S-009", SCAN_SEV_HIGH, "Pod shares the host's process or IPC namespace",
	  "hostPID or hostIPC is true." },
	{ "GTH-K8S-010", SCAN_SEV_HIGH, "Container runs as UID 0",
	  "securityContext.runAsUser is 0." },
	{ "GTH-DF-001", SCAN_SEV_HIGH, "Image runs as root",
	  "The last stage has no USER instruction, or its last USER is root or 0." },
	{ "GTH-DF-002", SCAN_SEV_MEDIUM, "ADD from a URL",
	  "ADD downloads a URL without a checksum; use curl with a checked digest, or ADD --checksum." },
	{ "GTH-DF-003", SCAN_SEV_MEDIUM, "Base image not pinned",
	  "FROM names an image without a tag, or with the tag latest, and no digest." },
	{ "GTH-DF-004", SCAN_SEV_HIGH, "Secret in ENV or ARG",
	  "An ENV value or ARG default with a secret-like name is stored in the image's configuration." },
};

const size_t scan_check_count = sizeof(scan_checks) / sizeof(scan_checks[0]);

int scan_misconfig_known(const char *id)
{
	size_t i;

	for (i = 0; i < scan_check_count; i++)
		if (!strcmp(scan_checks[i].id, id))
			return 1;
	return 0;
}

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

static int is_dockerfile(const char *path)
{
	const char *b = base_name(path);

	return !strcmp(b, "Dockerfile") || !strcmp(b, "Containerfile") ||
	       gth_starts_with(b, "Dockerfile.") || gth_starts_with(b, "Dockerfile-") ||
	       gth_ends_with(b, ".dockerfile") || gth_ends_with(b, ".Dockerfile");
}

int scan_misconfig_wants(const char *path)
{
	return gth_ends_with(path, ".yaml") || gth_ends_with(path, ".yml") || is_dockerfile(path);
}

struct mc {
	struct scan_findings *out;
	const char *target, *path;
	const struct gth_node *disable;
	int oom;
};

static int disabled(const struct mc *m, const char *id)
{
	size_t i;

	if (!m->disable || m->disable->kind != GTH_NODE_SEQ)
		return 0;
	for (i = 0; i < m->disable->n; i++) {
		const char *d = gth_node_str(m->disable->items[i]);

		if (d && !strcmp(d, id))
			return 1;
	}
	return 0;
}

static void report(struct mc *m, const char *id, int line, const char *resource, const char *match)
{
	const struct scan_check_def *c = NULL;
	struct scan_finding f;
	size_t i;

	for (i = 0; i < scan_check_count; i++)
		if (!strcmp(scan_checks[i].id, id))
			c = &scan_checks[i];
	if (!c || disabled(m, id))
		return;
	memset(&f, 0, sizeof(f));
	f.kind = SCAN_KIND_MISCONFIG;
	f.id = c->id;
	f.severity = c->severity;
	f.title = c->title;
	f.description = c->description;
	f.target = m->target;
	f.path = m->path;
	f.line = line;
	f.resource = resource;
	f.match = match;
	if (scan_findings_add(m->out, &f) < 0)
		m->oom = 1;
}

/* ---- Kubernetes ---- */

static int is_true(const struct gth_node *n)
{
	const char *s = gth_node_str(n);

	return s && !strcasecmp(s, "true");
}

static int is_false(const struct gth_node *n)
{
	const char *s = gth_node_str(n);

	return s && !strcasecmp(s, "false");
}

/* "latest" or no tag, and no digest. */
static int image_unpinned(const char *image)
{
	const char *last = strrchr(image, '/'), *colon;

	if (strchr(image, '@'))
		return 0;
	last = last ? last + 1 : image;
	colon = strchr(last, ':');
	return !colon || !strcmp(colon + 1, "latest");
}

static void check_container(struct mc *m, const struct gth_node *c, const struct gth_node *podsc,
			    const char *kind, const char *name)
{
	const struct gth_node *sc = gth_node_get(c, "securityContext"), *n, *res, *lim;
	const char *cname = gth_node_str(gth_node_get(c, "name"));
	char *resource = gth_strdupf("%s/%s container %s", kind, name ? name : "?",
				     cname ? cname : "?");
	const char *image;

	if (!resource) {
		m->oom = 1;
		return;
	}
	if (sc && sc->kind != GTH_NODE_MAP)
		sc = NULL;
	if ((n = gth_node_get(sc, "privileged")) && is_true(n))
		report(m, "GTH-K8S-001", n->line, resource, "privileged: true");
	n = gth_node_get(sc, "allowPrivilegeEscalation");
	if (!n || !is_false(n))
		report(m, "GTH-K8S-002", n ? n->line : c->line, resource,
		       n ? "allowPrivilegeEscalation: true" : "allowPrivilegeEscalation not set");
	n = gth_node_get(sc, "runAsNonRoot");
	if (n ? !is_true(n) : !is_true(gth_node_get(podsc, "runAsNonRoot")))
		report(m, "GTH-K8S-003", n ? n->line : c->line, resource,
		       n ? "runAsNonRoot: false" : "runAsNonRoot not set");
	n = gth_node_get(sc, "runAsUser");
	if (!n)
		n = gth_node_get(podsc, "runAsUser");
	if (n && gth_node_str(n) && !strcmp(gth_node_str(n), "0"))
		report(m, "GTH-K8S-010", n->line, resource, "runAsUser: 0");
	n = gth_node_get(c, "image");
	image = gth_node_str(n);
	if (n && image && !strchr(image, '$') && !strstr(image, "{{") && image_unpinned(image))
		report(m, "GTH-K8S-006", n->line, resource, image);
	res = gth_node_get(c, "resources");
	lim = gth_node_get(res, "limits");
	if (!lim || lim->kind != GTH_NODE_MAP || !gth_node_get(lim, "cpu") ||
	    !gth_node_get(lim, "memory"))
		report(m, "GTH-K8S-007", lim ? lim->line : c->line, resource,
		       lim ? "limits.cpu or limits.memory missing" : "no resources.limits");
	n = gth_node_get(sc, "readOnlyRootFilesystem");
	if (!n || !is_true(n))
		report(m, "GTH-K8S-008", n ? n->line : c->line, resource,
		       n ? "readOnlyRootFilesystem: false" : "readOnlyRootFilesystem not set");
	free(resource);
}

static void check_pod_spec(struct mc *m, const struct gth_node *spec, const char *kind,
			   const char *name)
{
	static const char *const lists[] = { "initContainers", "containers" };
	const struct gth_node *podsc = gth_node_get(spec, "securityContext"), *n, *vols;
	char *resource = gth_strdupf("%s/%s", kind, name ? name : "?");
	size_t i, j;

	if (!resource) {
		m->oom = 1;
		return;
	}
	if (podsc && podsc->kind != GTH_NODE_MAP)
		podsc = NULL;
	if ((n = gth_node_get(spec, "hostNetwork")) && is_true(n))
		report(m, "GTH-K8S-005", n->line, resource, "hostNetwork: true");
	if ((n = gth_node_get(spec, "hostPID")) && is_true(n))
		report(m, "GTH-K8S-009", n->line, resource, "hostPID: true");
	if ((n = gth_node_get(spec, "hostIPC")) && is_true(n))
		report(m, "GTH-K8S-009", n->line, resource, "hostIPC: true");
	vols = gth_node_get(spec, "volumes");
	for (i = 0; vols && vols->kind == GTH_NODE_SEQ && i < vols->n; i++) {
		const struct gth_node *v = vols->items[i], *hp = gth_node_get(v, "hostPath");

		if (hp) {
			const char *p = gth_node_str(gth_node_get(hp, "path"));
			char *match = gth_strdupf("hostPath %s", p ? p : "");

			report(m, "GTH-K8S-004", v->line, resource, match);
			free(match);
		}
	}
	for (j = 0; j < GTH_ARRAY_SIZE(lists); j++) {
		const struct gth_node *cs = gth_node_get(spec, lists[j]);

		for (i = 0; cs && cs->kind == GTH_NODE_SEQ && i < cs->n; i++)
			if (cs->items[i] && cs->items[i]->kind == GTH_NODE_MAP)
				check_container(m, cs->items[i], podsc, kind, name);
	}
	free(resource);
}

static void check_k8s_doc(struct mc *m, const struct gth_node *root)
{
	static const char *const templated[] = {
		"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job",
		"ReplicationController", "Rollout", NULL
	};
	const char *kind, *name;
	const struct gth_node *spec = NULL;
	size_t i;

	if (!root || root->kind != GTH_NODE_MAP || !gth_node_get(root, "apiVersion"))
		return;
	kind = gth_node_str(gth_node_get(root, "kind"));
	name = gth_node_str(gth_node_path(root, "metadata.name"));
	if (!kind)
		return;
	if (!strcmp(kind, "Pod"))
		spec = gth_node_get(root, "spec");
	else if (!strcmp(kind, "CronJob"))
		spec = gth_node_path(root, "spec.jobTemplate.spec.template.spec");
	else
		for (i = 0; templated[i]; i++)
			if (!strcmp(kind, templated[i]))
				spec = gth_node_path(root, "spec.template.spec");
	if (spec && spec->kind == GTH_NODE_MAP)
		check_pod_spec(m, spec, kind, name);
}

/* ---- Dockerfile ---- */

struct instr {
	int line;
	char cmd[16];
	struct gth_buf args;
};

static int secretish(const char *key)
{
	static const char *const words[] = {
		"password", "passwd", "secret", "token", "api_key", "apikey", "access_key",
		"private_key", "credential", NULL
	};
	size_t i;

	for (i = 0; words[i]; i++)
		if (strcasestr(key, words[i]))
			return 1;
	return 0;
}

static void check_env_pair(struct mc *m, int line, const char *key, const char *val)
{
	char *mask, *match;
	size_t vl = strlen(val);

	if (vl >= 2 && (val[0] == '"' || val[0] == '\'') && val[vl - 1] == val[0]) {
		val++;
		vl -= 2;
	}
	if (!vl || !secretish(key) || scan_is_placeholder(val, vl))
		return;
	mask = scan_mask_secret(val, vl);
	match = mask ? gth_strdupf("%s=%s", key, mask) : NULL;
	if (!match)
		m->oom = 1;
	else
		report(m, "GTH-DF-004", line, NULL, match);
	free(mask);
	free(match);
}

/* ENV a=b c="d e" | ENV a b | ARG a=b */
static void check_env(struct mc *m, const struct instr *in, int is_arg)
{
	const char *p = gth_buf_cstr(&in->args);
	char key[256];
	struct gth_buf val = GTH_BUF_INIT;

	while (*p) {
		size_t k = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		while (*p && *p != '=' && *p != ' ' && *p != '\t' && k < sizeof(key) - 1)
			key[k++] = *p++;
		key[k] = '\0';
		gth_buf_clear(&val);
		if (*p == '=') {
			char q = 0;

			p++;
			while (*p && (q || (*p != ' ' && *p != '\t'))) {
				if (!q && (*p == '"' || *p == '\''))
					q = *p;
				else if (q && *p == q)
					q = 0;
				else if (*p == '\\' && p[1])
					p++;
				else if (gth_buf_putc(&val, *p) < 0)
					m->oom = 1;
				p++;
			}
			check_env_pair(m, in->line, key, gth_buf_cstr(&val));
		} else if (!is_arg) {
			/* Legacy "ENV key the rest is the value". */
			while (*p == ' ' || *p == '\t')
				p++;
			check_env_pair(m, in->line, key, p);
			break;
		}
	}
	gth_buf_release(&val);
}

static void check_dockerfile(struct mc *m, const char *data, size_t len)
{
	struct instr in = { 0, "", GTH_BUF_INIT };
	const char *p = data, *end = data + len;
	int line = 0, in_cont = 0;
	char stages[32][64];
	size_t nstages = 0;
	int last_from = 0, user_line = 0, user_root = 0, have_from = 0;

	memset(stages, 0, sizeof(stages));
	while (p < end || in_cont) {
		const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
		const char *le = nl ? nl : end, *s = p;
		size_t l;
		int cont;

		if (p >= end && !in_cont)
			break;
		line++;
		while (s < le && (*s == ' ' || *s == '\t'))
			s++;
		l = (size_t)(le - s);
		while (l && (s[l - 1] == '\r' || s[l - 1] == ' ' || s[l - 1] == '\t'))
			l--;
		p = nl ? nl + 1 : end;
		if (l && s[0] == '#') {
			if (p >= end && in_cont)
				in_cont = 0;
			else
				continue;
		} else {
			cont = l && s[l - 1] == '\\';
			if (cont)
				l--;
			if (!in_cont) {
				size_t k = 0;

				if (!l) {
					if (p >= end)
						break;
					continue;
				}
				gth_buf_clear(&in.args);
				in.line = line;
				while (k < l && k < sizeof(in.cmd) - 1 && !isspace((unsigned char)s[k])) {
					in.cmd[k] = (char)toupper((unsigned char)s[k]);
					k++;
				}
				in.cmd[k] = '\0';
				while (k < l && !isspace((unsigned char)s[k]))
					k++;
				if (gth_buf_put(&in.args, s + k, l - k) < 0)
					m->oom = 1;
			} else if (gth_buf_putc(&in.args, ' ') < 0 || gth_buf_put(&in.args, s, l) < 0) {
				m->oom = 1;
			}
			in_cont = cont && p < end;
			if (in_cont)
				continue;
		}
		if (!in.line)
			continue;
		/* A complete instruction. */
		if (!strcmp(in.cmd, "FROM")) {
			char img[512], as[64];
			const char *a = gth_buf_cstr(&in.args);
			size_t i;
			int known = 0;

			img[0] = as[0] = '\0';
			while (*a) {
				char word[512];
				size_t k = 0;

				while (*a == ' ' || *a == '\t')
					a++;
				while (*a && *a != ' ' && *a != '\t' && k < sizeof(word) - 1)
					word[k++] = *a++;
				word[k] = '\0';
				if (!k)
					break;
				if (gth_starts_with(word, "--"))
					continue;
				if (!img[0])
					gth_strlcpy(img, word, sizeof(img));
				else if (!strcasecmp(word, "as"))
					continue;
				else
					gth_strlcpy(as, word, sizeof(as));
			}
			for (i = 0; i < nstages; i++)
				if (!strcasecmp(stages[i], img))
					known = 1;
			if (img[0] && !known && strcmp(img, "scratch") && !strchr(img, '$') &&
			    image_unpinned(img))
				report(m, "GTH-DF-003", in.line, NULL, img);
			if (as[0] && nstages < 32)
				gth_strlcpy(stages[nstages++], as, sizeof(stages[0]));
			last_from = in.line;
			have_from = 1;
			user_line = 0;
			user_root = 0;
		} else if (!strcmp(in.cmd, "USER")) {
			const char *u = gth_buf_cstr(&in.args);

			while (*u == ' ')
				u++;
			user_line = in.line;
			user_root = !strcmp(u, "root") || !strcmp(u, "0") || gth_starts_with(u, "root:") ||
				    gth_starts_with(u, "0:");
		} else if (!strcmp(in.cmd, "ADD")) {
			const char *a = gth_buf_cstr(&in.args);

			if (strstr(a, "http://") || strstr(a, "https://")) {
				const char *u = strstr(a, "http");
				char url[256];
				size_t k = 0;

				while (u[k] && u[k] != ' ' && k < sizeof(url) - 1) {
					url[k] = u[k];
					k++;
				}
				url[k] = '\0';
				if (!strstr(a, "--checksum="))
					report(m, "GTH-DF-002", in.line, NULL, url);
			}
		} else if (!strcmp(in.cmd, "ENV") || !strcmp(in.cmd, "ARG")) {
			check_env(m, &in, !strcmp(in.cmd, "ARG"));
		}
		in.line = 0;
		if (p >= end)
			break;
	}
	if (have_from) {
		if (!user_line)
			report(m, "GTH-DF-001", last_from, NULL, "no USER in the last stage");
		else if (user_root)
			report(m, "GTH-DF-001", user_line, NULL, "USER root");
	}
	gth_buf_release(&in.args);
}

int scan_misconfig_scan(struct scan_findings *out, const char *target, const char *path,
			const char *data, size_t len, const struct gth_node *disable)
{
	struct mc m = { out, target, path, disable, 0 };

	if (is_dockerfile(path)) {
		check_dockerfile(&m, data, len);
	} else {
		struct gth_yaml_doc doc = GTH_YAML_DOC_INIT;
		struct gth_error err = GTH_ERROR_INIT;
		size_t i;

		if (!memmem(data, len, "apiVersion", 10))
			return 0;
		if (gth_yaml_parse(&doc, data, len, path, &err) < 0) {
			gth_yaml_doc_release(&doc);
			return 1;
		}
		for (i = 0; i < doc.ndocs; i++)
			check_k8s_doc(&m, doc.docs[i]);
		gth_yaml_doc_release(&doc);
	}
	return m.oom ? -1 : 0;
}
