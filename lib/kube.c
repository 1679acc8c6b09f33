/* Kubernetes API client: configuration, requests, watches. See gth/kube.h. */
#include "gth/kube.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gth/buf.h"
#include "gth/fs.h"
#include "gth/http.h"
#include "gth/json.h"
#include "gth/log.h"
#if defined(__has_include)
#if __has_include("gth/proc.h")
#include "gth/proc.h"
#define HAVE_PROC 1
#endif
#endif
#include "gth/util.h"
#include "gth/yaml.h"

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define WATCH_MAX_LINE (16 * 1024 * 1024)

struct kube_exec {
	char *command;
	char **argv;             /* NULL-terminated, argv[0] = command */
	char **env;              /* NULL-terminated NAME=value */
	char *api_version;
	char *token;             /* the cached credential */
	char *cert_pem, *key_pem;
	time_t expires;          /* 0: no expiry given */
	int have;
};

struct gth_kube {
	char *server;
	char *context;
	char *ns;
	char *token;
	char *basic;             /* "Basic ..." */
	char *ca_pem;
	char *ca_file;
	char *cert_pem, *key_pem;
	char *cert_file, *key_file;
	char *insecure_host;
	const char *insecure_hosts[2];
	int insecure_skip_verify;
	struct kube_exec *exec;
	unsigned long exec_runs;
	struct gth_http_client http;
	struct gth_http_client side;   /* requests made while a watch streams on http */
	int streaming;
	int http_ready;
};

/* ---- small helpers ---- */

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* A path from a kubeconfig, relative to the folder of the file that named it. */
static char *resolve_path(const char *file, const char *p)
{
	char *dir, *out;
	struct gth_buf b = GTH_BUF_INIT;
	if (!p)
		return NULL;
	if (p[0] == '/' || !file)
		return strdup(p);
	if (p[0] == '~' && p[1] == '/' && getenv("HOME"))
		return gth_strdupf("%s/%s", getenv("HOME"), p + 2);
	dir = dir_of(file);
	if (!dir)
		return NULL;
	gth_path_join(&b, dir, p);
	free(dir);
	out = gth_buf_detach(&b);
	return out ? out : strdup(p);
}

static int decode_b64(char **out, const struct gth_node *n, const char *what,
		      struct gth_error *err)
{
	struct gth_buf b = GTH_BUF_INIT;
	const char *s = gth_node_str(n);
	if (!s)
		return gth_node_error(err, GTH_EXIT_CONFIG, n, "%s: expected base64 data", what);
	if (gth_base64_decode(&b, s, strlen(s)) < 0 || b.len == 0) {
		gth_buf_release(&b);
		return gth_node_error(err, GTH_EXIT_CONFIG, n, "%s: invalid base64 data", what);
	}
	*out = gth_buf_detach(&b);
	return 0;
}

static int read_text_file(char **out, const char *path, struct gth_error *err)
{
	struct gth_buf b = GTH_BUF_INIT;
	if (gth_buf_read_file(&b, path, 1024 * 1024, err) < 0) {
		gth_buf_release(&b);
		return -1;
	}
	while (b.len && (b.ptr[b.len - 1] == '\n' || b.ptr[b.len - 1] == '\r'))
		b.ptr[--b.len] = '\0';
	*out = b.ptr ? gth_buf_detach(&b) : strdup("");
	return 0;
}

/* ---- kubeconfig ---- */

struct kcfg {
	struct gth_yaml_doc *docs;
	char **files;
	size_t n;
};

static void kcfg_release(struct kcfg *c)
{
	size_t i;
	for (i = 0; i < c->n; i++) {
		gth_yaml_doc_release(&c->docs[i]);
		free(c->files[i]);
	}
	free(c->docs);
	free(c->files);
	memset(c, 0, sizeof(*c));
}

static int kcfg_add(struct kcfg *c, const char *path, int must_exist, struct gth_error *err)
{
	struct gth_yaml_doc *docs;
	char **files;
	const struct gth_node *root;
	if (!gth_file_exists(path)) {
		if (must_exist)
			return gth_error_set(err, GTH_EXIT_NOINPUT, "kubeconfig '%s' does not exist", path);
		return 0;
	}
	docs = realloc(c->docs, (c->n + 1) * sizeof(*docs));
	if (!docs)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	c->docs = docs;
	files = realloc(c->files, (c->n + 1) * sizeof(*files));
	if (!files)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	c->files = files;
	memset(&c->docs[c->n], 0, sizeof(c->docs[c->n]));
	c->files[c->n] = strdup(path);
	if (gth_yaml_parse_file(&c->docs[c->n], path, err) < 0) {
		gth_yaml_doc_release(&c->docs[c->n]);
		free(c->files[c->n]);
		return -1;
	}
	c->n++;
	root = gth_yaml_root(&c->docs[c->n - 1]);
	if (root && root->kind != GTH_NODE_MAP)
		return gth_node_error(err, GTH_EXIT_CONFIG, root, "expected a kubeconfig (a map)");
	return 0;
}

/* The named entry of a list (clusters, users, contexts) across the files; the
 * first file wins. *file is the file it came from. */
static const struct gth_node *kcfg_named(const struct kcfg *c, const char *list,
					 const char *name, const char *inner,
					 const char **file)
{
	size_t i, j;
	for (i = 0; i < c->n; i++) {
		const struct gth_node *seq = gth_node_get(gth_yaml_root(&c->docs[i]), list);
		if (!seq || seq->kind != GTH_NODE_SEQ)
			continue;
		for (j = 0; j < seq->n; j++) {
			const struct gth_node *it = seq->items[j];
			const char *nm = gth_node_str(gth_node_get(it, "name"));
			if (nm && strcmp(nm, name) == 0) {
				const struct gth_node *in = gth_node_get(it, inner);
				*file = c->files[i];
				return in ? in : it;
			}
		}
	}
	return NULL;
}

/* Where an error about a missing entry points: the list in the first file, or the
 * first file's root. */
static const struct gth_node *kcfg_anchor(const struct kcfg *c, const char *list)
{
	size_t i;
	for (i = 0; i < c->n; i++) {
		const struct gth_node *seq = gth_node_get(gth_yaml_root(&c->docs[i]), list);
		if (seq)
			return seq;
	}
	for (i = 0; i < c->n; i++)
		if (gth_yaml_root(&c->docs[i]))
			return gth_yaml_root(&c->docs[i]);
	return NULL;
}

static int missing_entry(struct gth_error *err, const struct kcfg *c, const char *list,
			 const char *what, const char *name)
{
	const struct gth_node *at = kcfg_anchor(c, list);
	if (at)
		return gth_node_error(err, GTH_EXIT_CONFIG, at, "no %s named '%s' in the kubeconfig",
				      what, name);
	return gth_error_set(err, GTH_EXIT_CONFIG, "%s: no %s named '%s' in the kubeconfig",
			     c->n ? c->files[0] : "kubeconfig", what, name);
}

static int load_exec(struct gth_kube *k, const struct gth_node *ex, const char *file,
		     struct gth_error *err)
{
	struct kube_exec *e;
	const struct gth_node *args = gth_node_get(ex, "args");
	const struct gth_node *env = gth_node_get(ex, "env");
	const char *cmd = gth_node_str(gth_node_get(ex, "command"));
	size_t i, na = args && args->kind == GTH_NODE_SEQ ? args->n : 0;
	size_t ne = env && env->kind == GTH_NODE_SEQ ? env->n : 0;
	if (!cmd)
		return gth_node_error(err, GTH_EXIT_CONFIG, ex, "exec: expected a command");
	e = calloc(1, sizeof(*e));
	if (!e)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	k->exec = e;
	e->command = strchr(cmd, '/') && cmd[0] != '/' ? resolve_path(file, cmd) : strdup(cmd);
	e->api_version = xstrdup(gth_node_str(gth_node_get(ex, "apiVersion")));
	if (!e->api_version)
		e->api_version = strdup("client.authentication.k8s.io/v1");
	e->argv = calloc(na + 2, sizeof(char *));
	e->env = calloc(ne + 2, sizeof(char *));
	if (!e->command || !e->argv || !e->env || !e->api_version)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	e->argv[0] = strdup(e->command);
	for (i = 0; i < na; i++) {
		const char *a = gth_node_str(args->items[i]);
		e->argv[i + 1] = strdup(a ? a : "");
	}
	for (i = 0; i < ne; i++) {
		const char *n = gth_node_str(gth_node_get(env->items[i], "name"));
		const char *v = gth_node_str(gth_node_get(env->items[i], "value"));
		if (!n)
			return gth_node_error(err, GTH_EXIT_CONFIG, env->items[i],
					      "exec env: expected a name");
		e->env[i] = gth_strdupf("%s=%s", n, v ? v : "");
	}
	e->env[ne] = gth_strdupf("KUBERNETES_EXEC_INFO={\"apiVersion\":\"%s\","
				 "\"kind\":\"ExecCredential\",\"spec\":{\"interactive\":false}}",
				 e->api_version);
	return 0;
}

static int load_user(struct gth_kube *k, const struct gth_node *u, const char *file,
		     struct gth_error *err)
{
	const char *s;
	const struct gth_node *n;
	if (!u || u->kind != GTH_NODE_MAP)
		return 0;
	if ((s = gth_node_str(gth_node_get(u, "token"))) != NULL)
		k->token = strdup(s);
	if (!k->token && (s = gth_node_str(gth_node_get(u, "tokenFile"))) != NULL) {
		char *p = resolve_path(file, s);
		int rc = p ? read_text_file(&k->token, p, err) : -1;
		free(p);
		if (rc < 0)
			return gth_error_prefix(err, "kubeconfig tokenFile: ");
	}
	if (k->token)
		gth_secret_add(k->token);
	if ((n = gth_node_get(u, "client-certificate-data")) != NULL) {
		if (decode_b64(&k->cert_pem, n, "client-certificate-data", err) < 0)
			return -1;
	} else if ((s = gth_node_str(gth_node_get(u, "client-certificate"))) != NULL) {
		k->cert_file = resolve_path(file, s);
	}
	if ((n = gth_node_get(u, "client-key-data")) != NULL) {
		if (decode_b64(&k->key_pem, n, "client-key-data", err) < 0)
			return -1;
		gth_secret_add(k->key_pem);
	} else if ((s = gth_node_str(gth_node_get(u, "client-key"))) != NULL) {
		k->key_file = resolve_path(file, s);
	}
	if ((s = gth_node_str(gth_node_get(u, "username"))) != NULL) {
		const char *pw = gth_node_str(gth_node_get(u, "password"));
		struct gth_buf b = GTH_BUF_INIT;
		if (gth_http_basic_auth(&b, s, pw ? pw : "") < 0) {
			gth_buf_release(&b);
			return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		}
		k->basic = gth_buf_detach(&b);
		if (pw)
			gth_secret_add(pw);
	}
	if ((n = gth_node_get(u, "exec")) != NULL && n->kind == GTH_NODE_MAP)
		return load_exec(k, n, file, err);
	return 0;
}

static int load_cluster(struct gth_kube *k, const struct gth_node *cl, const char *file,
			struct gth_error *err)
{
	const char *s;
	const struct gth_node *n;
	int insecure = 0;
	s = gth_node_str(gth_node_get(cl, "server"));
	if (!s)
		return gth_node_error(err, GTH_EXIT_CONFIG, cl, "expected a server URL");
	k->server = strdup(s);
	if ((n = gth_node_get(cl, "certificate-authority-data")) != NULL) {
		if (decode_b64(&k->ca_pem, n, "certificate-authority-data", err) < 0)
			return -1;
	} else if ((s = gth_node_str(gth_node_get(cl, "certificate-authority"))) != NULL) {
		k->ca_file = resolve_path(file, s);
	}
	if (gth_node_get_bool(cl, "insecure-skip-tls-verify", &insecure, GTH_EXIT_CONFIG, err) < 0)
		return -1;
	k->insecure_skip_verify = insecure;
	return 0;
}

static int load_kubeconfig(struct gth_kube *k, struct kcfg *c, const char *want_ctx,
			   struct gth_error *err)
{
	const char *ctx_name = want_ctx, *file = NULL, *cfile = NULL, *ufile = NULL;
	const struct gth_node *ctx, *cl, *u, *curnode = NULL;
	const char *cluster, *user, *ns;
	size_t i;
	if (!ctx_name) {
		for (i = 0; i < c->n && !ctx_name; i++) {
			curnode = gth_node_get(gth_yaml_root(&c->docs[i]), "current-context");
			ctx_name = gth_node_str(curnode);
		}
		if (!ctx_name)
			return gth_error_set(err, GTH_EXIT_CONFIG,
					     "%s: no current-context and no --context given",
					     c->files[0]);
	}
	ctx = kcfg_named(c, "contexts", ctx_name, "context", &file);
	if (!ctx) {
		if (curnode)
			return gth_node_error(err, GTH_EXIT_CONFIG, curnode,
					      "no context named '%s' in the kubeconfig", ctx_name);
		return missing_entry(err, c, "contexts", "context", ctx_name);
	}
	k->context = strdup(ctx_name);
	cluster = gth_node_str(gth_node_get(ctx, "cluster"));
	user = gth_node_str(gth_node_get(ctx, "user"));
	ns = gth_node_str(gth_node_get(ctx, "namespace"));
	if (!cluster)
		return gth_node_error(err, GTH_EXIT_CONFIG, ctx, "context '%s' names no cluster",
				      ctx_name);
	cl = kcfg_named(c, "clusters", cluster, "cluster", &cfile);
	if (!cl) {
		const struct gth_node *at = gth_node_get(ctx, "cluster");
		return gth_node_error(err, GTH_EXIT_CONFIG, at ? at : ctx,
				      "no cluster named '%s' in the kubeconfig", cluster);
	}
	if (load_cluster(k, cl, cfile, err) < 0)
		return -1;
	if (user) {
		u = kcfg_named(c, "users", user, "user", &ufile);
		if (!u) {
			const struct gth_node *at = gth_node_get(ctx, "user");
			return gth_node_error(err, GTH_EXIT_CONFIG, at ? at : ctx,
					      "no user named '%s' in the kubeconfig", user);
		}
		if (load_user(k, u, ufile, err) < 0)
			return -1;
	}
	if (ns && !k->ns)
		k->ns = strdup(ns);
	return 0;
}

static int load_in_cluster(struct gth_kube *k, struct gth_error *err)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	const char *dir = getenv("GTH_KUBE_SERVICEACCOUNT_DIR");
	char *p;
	int rc;
	if (!dir || !*dir)
		dir = SA_DIR;
	if (!host || !*host)
		return gth_error_set(err, GTH_EXIT_CONFIG,
				     "no kubeconfig (--kubeconfig, $KUBECONFIG, ~/.kube/config) "
				     "and not running in a cluster");
	if (!port || !*port)
		port = "443";
	k->server = strchr(host, ':') ? gth_strdupf("https://[%s]:%s", host, port)
				       : gth_strdupf("https://%s:%s", host, port);
	k->context = strdup("");
	p = gth_strdupf("%s/token", dir);
	rc = read_text_file(&k->token, p, err);
	free(p);
	if (rc < 0)
		return gth_error_prefix(err, "in-cluster service account: ");
	gth_secret_add(k->token);
	p = gth_strdupf("%s/ca.crt", dir);
	if (gth_file_exists(p))
		k->ca_file = p;
	else
		free(p);
	if (!k->ns) {
		p = gth_strdupf("%s/namespace", dir);
		if (gth_file_exists(p)) {
			struct gth_error e2 = GTH_ERROR_INIT;
			if (read_text_file(&k->ns, p, &e2) < 0)
				k->ns = NULL;
		}
		free(p);
	}
	return 0;
}

static int setup_http(struct gth_kube *k, struct gth_error *err)
{
	size_t len = strlen(k->server);
	while (len > 0 && k->server[len - 1] == '/')
		k->server[--len] = '\0';
	if (!gth_starts_with(k->server, "https://") && !gth_starts_with(k->server, "http://"))
		return gth_error_set(err, GTH_EXIT_CONFIG, "kubeconfig server '%s' is not an "
				     "http(s) URL", k->server);
	if (gth_starts_with(k->server, "http://")) {
		const char *h = k->server + 7;
		const char *end = strchr(h, '/');
		k->insecure_host = end ? strndup(h, (size_t)(end - h)) : strdup(h);
		k->insecure_hosts[0] = k->insecure_host;
		k->insecure_hosts[1] = NULL;
		k->http.insecure_hosts = k->insecure_hosts;
	}
	k->http.ca_pem = k->ca_pem;
	k->http.ca_file = k->ca_file;
	k->http.client_cert_pem = k->cert_pem;
	k->http.client_key_pem = k->key_pem;
	k->http.client_cert_file = k->cert_file;
	k->http.client_key_file = k->key_file;
	k->http.insecure_skip_verify = k->insecure_skip_verify;
	k->side = k->http;
	k->http_ready = 1;
	return 0;
}

int gth_kube_open(struct gth_kube **out, const struct gth_kube_options *opts,
		  struct gth_error *err)
{
	struct gth_kube *k;
	struct kcfg c = { NULL, NULL, 0 };
	const char *env = getenv("KUBECONFIG");
	int rc = -1;
	*out = NULL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	if (opts && opts->ns && *opts->ns)
		k->ns = strdup(opts->ns);
	if (opts && opts->kubeconfig) {
		if (kcfg_add(&c, opts->kubeconfig, 1, err) < 0)
			goto done;
	} else if (env && *env) {
		char *list = strdup(env), *p = list, *colon;
		if (!list) {
			gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
			goto done;
		}
		for (; p; p = colon ? colon + 1 : NULL) {
			colon = strchr(p, ':');
			if (colon)
				*colon = '\0';
			if (*p && kcfg_add(&c, p, 0, err) < 0) {
				free(list);
				goto done;
			}
		}
		free(list);
	} else if (getenv("HOME")) {
		char *p = gth_strdupf("%s/.kube/config", getenv("HOME"));
		int r = p ? kcfg_add(&c, p, 0, err) : -1;
		free(p);
		if (r < 0)
			goto done;
	}
	if (c.n > 0) {
		if (load_kubeconfig(k, &c, opts ? opts->context : NULL, err) < 0)
			goto done;
	} else if (opts && opts->context) {
		gth_error_set(err, GTH_EXIT_CONFIG, "--context '%s' given but no kubeconfig found",
			      opts->context);
		goto done;
	} else if (load_in_cluster(k, err) < 0) {
		goto done;
	}
	if (!k->ns)
		k->ns = strdup("default");
	if (setup_http(k, err) < 0)
		goto done;
	*out = k;
	rc = 0;
done:
	kcfg_release(&c);
	if (rc < 0)
		gth_kube_free(k);
	return rc;
}

static void exec_free(struct kube_exec *e)
{
	size_t i;
	if (!e)
		return;
	for (i = 0; e->argv && e->argv[i]; i++)
		free(e->argv[i]);
	for (i = 0; e->env && e->env[i]; i++)
		free(e->env[i]);
	free(e->argv);
	free(e->env);
	free(e->command);
	free(e->api_version);
	free(e->token);
	free(e->cert_pem);
	free(e->key_pem);
	free(e);
}

void gth_kube_free(struct gth_kube *k)
{
	if (!k)
		return;
	if (k->http_ready) {
		gth_http_client_release(&k->http);
		gth_http_client_release(&k->side);
	}
	free(k->server);
	free(k->context);
	free(k->ns);
	free(k->token);
	free(k->basic);
	free(k->ca_pem);
	free(k->ca_file);
	free(k->cert_pem);
	free(k->key_pem);
	free(k->cert_file);
	free(k->key_file);
	free(k->insecure_host);
	exec_free(k->exec);
	free(k);
}

const char *gth_kube_namespace(const struct gth_kube *k)
{
	return k->ns;
}

const char *gth_kube_server(const struct gth_kube *k)
{
	return k->server;
}

const char *gth_kube_context(const struct gth_kube *k)
{
	return k->context ? k->context : "";
}

unsigned long gth_kube_requests(const struct gth_kube *k)
{
	return k->http.requests + k->side.requests;
}

unsigned long gth_kube_exec_runs(const struct gth_kube *k)
{
	return k->exec_runs;
}

/* ---- exec credential plugins ---- */

#ifndef HAVE_PROC
static int exec_fetch(struct gth_kube *k, struct gth_error *err)
{
	k->exec_runs++;
	return gth_error_set(err, GTH_EXIT_CONFIG, "kubeconfig exec plugin '%s': this build "
			     "cannot run child processes", k->exec->command);
}
#else
static int exec_fetch(struct gth_kube *k, struct gth_error *err)
{
	struct kube_exec *e = k->exec;
	struct gth_proc_opts po = GTH_PROC_OPTS_INIT;
	struct gth_proc_result res = GTH_PROC_RESULT_INIT;
	cJSON *doc = NULL;
	const cJSON *st;
	const char *tok, *exp, *kind;
	int rc = -1;
	po.argv = (const char *const *)e->argv;
	po.env = (const char *const *)e->env;
	po.timeout_ms = 60000;
	po.err = GTH_PROC_INHERIT;
	k->exec_runs++;
	if (gth_proc_run(&res, &po, err) < 0) {
		gth_error_prefix(err, "kubeconfig exec plugin '%s': ", e->command);
		goto done;
	}
	if (res.timed_out || !res.exited || res.status != 0) {
		gth_error_set(err, GTH_EXIT_NOPERM, "kubeconfig exec plugin '%s' %s %d",
			      e->command, res.timed_out ? "timed out, status" : "failed with status",
			      res.status);
		goto done;
	}
	if (gth_json_parse(&doc, gth_buf_cstr(&res.out), res.out.len, "exec plugin output",
			   err) < 0)
		goto done;
	kind = gth_json_str(doc, "kind");
	st = gth_json_obj(doc, "status");
	if (!kind || strcmp(kind, "ExecCredential") != 0 || !st) {
		gth_error_set(err, GTH_EXIT_DATAERR, "kubeconfig exec plugin '%s' did not print "
			      "an ExecCredential with a status", e->command);
		goto done;
	}
	free(e->token);
	free(e->cert_pem);
	free(e->key_pem);
	e->token = e->cert_pem = e->key_pem = NULL;
	tok = gth_json_str(st, "token");
	if (tok) {
		e->token = strdup(tok);
		gth_secret_add(tok);
	}
	if (gth_json_str(st, "clientCertificateData") && gth_json_str(st, "clientKeyData")) {
		e->cert_pem = strdup(gth_json_str(st, "clientCertificateData"));
		e->key_pem = strdup(gth_json_str(st, "clientKeyData"));
		gth_secret_add(e->key_pem);
	}
	if (!e->token && !e->cert_pem) {
		gth_error_set(err, GTH_EXIT_DATAERR, "kubeconfig exec plugin '%s' gave neither a "
			      "token nor a client certificate", e->command);
		goto done;
	}
	e->expires = 0;
	exp = gth_json_str(st, "expirationTimestamp");
	if (exp && gth_parse_time(exp, &e->expires) < 0) {
		gth_error_set(err, GTH_EXIT_DATAERR, "kubeconfig exec plugin '%s': invalid "
			      "expirationTimestamp '%s'", e->command, exp);
		goto done;
	}
	e->have = 1;
	k->http.client_cert_pem = e->cert_pem ? e->cert_pem : k->cert_pem;
	k->http.client_key_pem = e->key_pem ? e->key_pem : k->key_pem;
	k->side.client_cert_pem = k->http.client_cert_pem;
	k->side.client_key_pem = k->http.client_key_pem;
	rc = 0;
done:
	cJSON_Delete(doc);
	gth_proc_result_release(&res);
	return rc;
}
#endif

static int exec_ensure(struct gth_kube *k, int force, struct gth_error *err)
{
	struct kube_exec *e = k->exec;
	if (!e)
		return 0;
	if (e->have && !force && (e->expires == 0 || time(NULL) < e->expires))
		return 0;
	e->have = 0;
	return exec_fetch(k, err);
}

/* ---- requests ---- */

static char *auth_value(struct gth_kube *k)
{
	if (k->exec && k->exec->token)
		return gth_strdupf("Bearer %s", k->exec->token);
	if (k->token)
		return gth_strdupf("Bearer %s", k->token);
	if (k->basic)
		return strdup(k->basic);
	return NULL;
}

char *gth_kube_path(const char *group_version, const char *ns, const char *resource,
		    const char *name)
{
	struct gth_buf b = GTH_BUF_INIT;
	int bad = 0;
	bad |= gth_buf_puts(&b, strchr(group_version, '/') ? "/apis/" : "/api/");
	bad |= gth_buf_puts(&b, group_version);
	if (ns) {
		bad |= gth_buf_puts(&b, "/namespaces/");
		bad |= gth_url_escape(&b, ns);
	}
	bad |= gth_buf_putc(&b, '/');
	bad |= gth_buf_puts(&b, resource);
	if (name) {
		bad |= gth_buf_putc(&b, '/');
		bad |= gth_url_escape(&b, name);
	}
	if (bad) {
		gth_buf_release(&b);
		return NULL;
	}
	return gth_buf_detach(&b);
}

int gth_kube_status_error(struct gth_error *err, long http_status, const char *body,
			  const char *what)
{
	cJSON *st = NULL;
	const char *msg = NULL;
	char line[512];
	int code;
	struct gth_error ignore = GTH_ERROR_INIT;
	if (body && *body == '{' && gth_json_parse(&st, body, strlen(body), "status", &ignore) == 0) {
		const char *kind = gth_json_str(st, "kind");
		if (kind && strcmp(kind, "Status") == 0)
			msg = gth_json_str(st, "message");
	}
	if (!msg) {
		size_t n = 0;
		if (body)
			while (body[n] && body[n] != '\n' && n < sizeof(line) - 1)
				n++;
		memcpy(line, body ? body : "", n);
		line[n] = '\0';
		msg = n ? line : "no message";
	}
	switch (http_status) {
	case 401: case 403: code = GTH_EXIT_NOPERM; break;
	case 404: code = GTH_EXIT_NOINPUT; break;
	case 409: case 410: code = GTH_EXIT_TEMPFAIL; break;
	case 400: case 415: case 422: code = GTH_EXIT_DATAERR; break;
	default: code = http_status >= 500 || http_status == 429 ? GTH_EXIT_UNAVAILABLE
								: GTH_EXIT_DATAERR;
	}
	if (what)
		gth_error_set(err, code, "%s: %s (HTTP %ld)", what, msg, http_status);
	else
		gth_error_set(err, code, "%s (HTTP %ld)", msg, http_status);
	cJSON_Delete(st);
	return http_status == 409 ? GTH_KUBE_CONFLICT : -1;
}

struct kreq {
	const char *method;
	const char *path;
	const char *query;
	const char *content_type;
	const char *body;
	int (*sink)(void *, const char *, size_t);
	void *sink_ctx;
	int64_t timeout_ms;
	enum gth_http_retry retry;
};

/* One API request with credentials; an exec credential is fetched again once
 * after a 401. Returns 0 with the answer in resp (any status). */
static int kube_do(struct gth_http_response *resp, struct gth_kube *k, const struct kreq *r,
		   struct gth_error *err)
{
	struct gth_http_request req;
	struct gth_buf url = GTH_BUF_INIT;
	const char *headers[3];
	char *ct = NULL, *auth = NULL;
	int attempt, rc = -1;
	if (gth_buf_puts(&url, k->server) < 0 || gth_buf_puts(&url, r->path) < 0 ||
	    (r->query && *r->query && gth_buf_printf(&url, "?%s", r->query) < 0)) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	for (attempt = 0; attempt < 2; attempt++) {
		size_t nh = 0;
		if (exec_ensure(k, attempt > 0, err) < 0)
			goto done;
		free(auth);
		auth = auth_value(k);
		memset(&req, 0, sizeof(req));
		req.method = r->method;
		req.url = gth_buf_cstr(&url);
		headers[nh++] = "Accept: application/json";
		if (r->content_type) {
			free(ct);
			ct = gth_strdupf("Content-Type: %s", r->content_type);
			headers[nh++] = ct;
		}
		headers[nh] = NULL;
		req.headers = headers;
		req.authorization = auth;
		if (r->body) {
			req.body = r->body;
			req.body_len = strlen(r->body);
		}
		req.sink = r->sink;
		req.sink_ctx = r->sink_ctx;
		req.retry = r->retry;
		if (r->timeout_ms > 0) {
			req.timeout_ms = r->timeout_ms;
			req.budget_ms = r->timeout_ms + 5000;
		}
		gth_http_response_release(resp);
		if (gth_http_do(resp, r->sink ? &k->http : (k->streaming ? &k->side : &k->http), &req,
				err) < 0)
			goto done;
		if (resp->status != 401 || !k->exec)
			break;
	}
	rc = 0;
done:
	free(ct);
	free(auth);
	gth_buf_release(&url);
	return rc;
}

static int parse_object(cJSON **out, const struct gth_http_response *resp, const char *what,
			struct gth_error *err)
{
	if (!out)
		return 0;
	if (gth_json_parse(out, gth_buf_cstr(&resp->body), resp->body.len, what, err) < 0)
		return -1;
	return 0;
}

int gth_kube_get(cJSON **out, struct gth_kube *k, const char *path, const char *query,
		 struct gth_error *err)
{
	struct gth_http_response resp = GTH_HTTP_RESPONSE_INIT;
	struct kreq r = { "GET", path, query, NULL, NULL, NULL, NULL, 0, GTH_HTTP_RETRY_AUTO };
	int rc = -1;
	*out = NULL;
	if (kube_do(&resp, k, &r, err) < 0)
		goto done;
	if (resp.status < 200 || resp.status > 299) {
		rc = gth_kube_status_error(err, resp.status, gth_buf_cstr(&resp.body), NULL);
		goto done;
	}
	rc = parse_object(out, &resp, path, err);
done:
	gth_http_response_release(&resp);
	return rc;
}

static const char *patch_ct(enum gth_kube_patch_type type)
{
	return type == GTH_KUBE_JSON_PATCH ? "application/json-patch+json"
					   : "application/merge-patch+json";
}

static int do_patch(cJSON **out, long *status, struct gth_kube *k, const char *path,
		    enum gth_kube_patch_type type, const char *body, struct gth_error *err)
{
	struct gth_http_response resp = GTH_HTTP_RESPONSE_INIT;
	struct kreq r = { "PATCH", path, NULL, patch_ct(type), body, NULL, NULL, 0,
			  GTH_HTTP_RETRY_ALWAYS };
	int rc = -1;
	if (out)
		*out = NULL;
	*status = 0;
	/* PATCH is not idempotent in general; these patches are (same result when
	 * applied twice), so connection errors and 5xx may be retried. */
	if (kube_do(&resp, k, &r, err) < 0)
		goto done;
	*status = resp.status;
	if (resp.status < 200 || resp.status > 299) {
		rc = gth_kube_status_error(err, resp.status, gth_buf_cstr(&resp.body), NULL);
		goto done;
	}
	rc = parse_object(out, &resp, path, err);
done:
	gth_http_response_release(&resp);
	return rc;
}

int gth_kube_patch(cJSON **out, struct gth_kube *k, const char *path,
		   enum gth_kube_patch_type type, const char *body, struct gth_error *err)
{
	long status;
	return do_patch(out, &status, k, path, type, body, err);
}

int gth_kube_patch_status(cJSON **out, struct gth_kube *k, const char *path,
			  enum gth_kube_patch_type type, const char *body,
			  const char *fallback_body, int *fell_back, struct gth_error *err)
{
	long status;
	int rc;
	char *spath = gth_strdupf("%s/status", path);
	if (fell_back)
		*fell_back = 0;
	if (!spath)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	rc = do_patch(out, &status, k, spath, type, body, err);
	free(spath);
	if (rc < 0 && status == 404) {
		gth_error_clear(err);
		if (fell_back)
			*fell_back = 1;
		rc = do_patch(out, &status, k, path, type, fallback_body ? fallback_body : body, err);
	}
	return rc;
}

/* ---- watches ---- */

struct wstate {
	struct gth_kube_watch *w;
	struct gth_buf line;
	struct gth_error *err;
	int stopped;     /* the callback said stop */
	int failed;      /* the callback or parsing failed; err is set */
	int gone;        /* an ERROR event with 410 */
	int error_event; /* another ERROR event; err is set */
};

static void set_rv(struct gth_kube_watch *w, const cJSON *obj)
{
	const char *rv = gth_json_str(gth_json_obj(obj, "metadata"), "resourceVersion");
	if (rv && *rv) {
		char *c = strdup(rv);
		if (c) {
			free(w->resource_version);
			w->resource_version = c;
		}
	}
}

static int handle_line(struct wstate *s, const char *text, size_t len)
{
	cJSON *ev = NULL;
	const char *type;
	const cJSON *obj;
	int r = 0;
	if (len == 0)
		return 0;
	if (gth_json_parse(&ev, text, len, "watch event", s->err) < 0) {
		s->failed = 1;
		return -1;
	}
	type = gth_json_str(ev, "type");
	obj = gth_json_obj(ev, "object");
	if (!type || !obj) {
		gth_error_set(s->err, GTH_EXIT_DATAERR, "watch event without type or object");
		s->failed = 1;
		r = -1;
	} else if (strcmp(type, "BOOKMARK") == 0) {
		s->w->bookmarks++;
		set_rv(s->w, obj);
	} else if (strcmp(type, "ERROR") == 0) {
		long code = (long)gth_json_num(obj, "code", 0);
		if (code == 410) {
			s->gone = 1;
			s->w->gone++;
		} else {
			char *body = gth_json_print(obj);
			gth_kube_status_error(s->err, code ? code : 500, body, "watch");
			free(body);
			s->error_event = 1;
		}
		r = -1;
	} else {
		s->w->events++;
		set_rv(s->w, obj);
		r = s->w->fn(s->w->ctx, type, obj, s->err);
		if (r > 0) {
			s->stopped = 1;
			r = -1;
		} else if (r < 0) {
			s->failed = 1;
		}
	}
	cJSON_Delete(ev);
	return r;
}

static int watch_sink(void *ctx, const char *data, size_t len)
{
	struct wstate *s = ctx;
	size_t i, start = 0;
	for (i = 0; i < len; i++) {
		if (data[i] != '\n')
			continue;
		if (s->line.len) {
			if (gth_buf_put(&s->line, data + start, i - start) < 0)
				return -1;
			if (handle_line(s, s->line.ptr, s->line.len) < 0)
				return -1;
			gth_buf_clear(&s->line);
		} else if (handle_line(s, data + start, i - start) < 0) {
			return -1;
		}
		start = i + 1;
	}
	if (start < len) {
		if (s->line.len + (len - start) > WATCH_MAX_LINE) {
			gth_error_set(s->err, GTH_EXIT_DATAERR, "watch event larger than %d bytes",
				      WATCH_MAX_LINE);
			s->failed = 1;
			return -1;
		}
		if (gth_buf_put(&s->line, data + start, len - start) < 0)
			return -1;
	}
	return 0;
}

static int do_list(struct gth_kube *k, struct gth_kube_watch *w, struct gth_error *err)
{
	cJSON *list = NULL;
	struct gth_buf q = GTH_BUF_INIT;
	const cJSON *items, *it;
	int rc = -1;
	if (w->field_selector) {
		gth_buf_puts(&q, "fieldSelector=");
		gth_url_escape(&q, w->field_selector);
	}
	w->lists++;
	if (gth_kube_get(&list, k, w->path, q.len ? q.ptr : NULL, err) < 0)
		goto done;
	set_rv(w, list);
	items = gth_json_arr(list, "items");
	if (w->must_exist && w->lists == 1 && cJSON_GetArraySize(items) == 0) {
		gth_error_set(err, GTH_EXIT_NOINPUT, "%s: nothing matches %s", w->path,
			      w->field_selector ? w->field_selector : "the list");
		goto done;
	}
	cJSON_ArrayForEach(it, items) {
		int r = w->fn(w->ctx, "ADDED", it, err);
		w->events++;
		if (r < 0)
			goto done;
		if (r > 0) {
			rc = 1;
			goto done;
		}
	}
	rc = 0;
done:
	gth_buf_release(&q);
	cJSON_Delete(list);
	return rc;
}

int gth_kube_watch(struct gth_kube *k, struct gth_kube_watch *w, struct gth_error *err)
{
	struct wstate s;
	struct gth_buf q = GTH_BUF_INIT;
	int rc = -1, r, failures = 0;
	memset(&s, 0, sizeof(s));
	s.w = w;
	s.err = err;
	r = do_list(k, w, err);
	if (r != 0) {
		rc = r > 0 ? 0 : -1;
		goto done;
	}
	for (;;) {
		struct gth_http_response resp = GTH_HTTP_RESPONSE_INIT;
		struct kreq req = { "GET", w->path, NULL, NULL, NULL, watch_sink, &s, 0,
				    GTH_HTTP_RETRY_NEVER };
		int64_t left = 300000;
		long secs;
		if (w->deadline_ms) {
			left = w->deadline_ms - gth_now_ms();
			if (left <= 0) {
				rc = gth_error_set(err, GTH_EXIT_UNDECIDED, "timed out");
				rc = GTH_KUBE_TIMEOUT;
				goto done;
			}
			if (left > 300000)
				left = 300000;
		}
		secs = (long)((left + 999) / 1000);
		gth_buf_clear(&q);
		gth_buf_printf(&q, "watch=1&allowWatchBookmarks=true&timeoutSeconds=%ld", secs);
		if (w->resource_version)
			gth_buf_printf(&q, "&resourceVersion=%s", w->resource_version);
		if (w->field_selector) {
			gth_buf_puts(&q, "&fieldSelector=");
			gth_url_escape(&q, w->field_selector);
		}
		req.query = q.ptr;
		req.timeout_ms = left + 2000;
		s.stopped = s.failed = s.gone = s.error_event = 0;
		gth_buf_clear(&s.line);
		w->watches++;
		k->streaming = 1;
		r = kube_do(&resp, k, &req, err);
		k->streaming = 0;
		if (s.stopped) {
			gth_error_clear(err);
			gth_http_response_release(&resp);
			rc = 0;
			goto done;
		}
		if (s.failed || s.error_event) {
			gth_http_response_release(&resp);
			goto done;
		}
		if (!s.gone && r == 0 && resp.status == 410) {
			s.gone = 1;
			w->gone++;
		}
		if (s.gone) {
			gth_http_response_release(&resp);
			gth_error_clear(err);
			r = do_list(k, w, err);
			if (r != 0) {
				rc = r > 0 ? 0 : -1;
				goto done;
			}
			continue;
		}
		if (r < 0 || resp.status == 429 || resp.status >= 500) {
			/* the stream broke (or the deadline cut it), or the server could not
			 * serve the watch just now: resume, a few times in a row */
			int64_t pause;
			if (r == 0)
				gth_kube_status_error(err, resp.status, gth_buf_cstr(&resp.body),
						      "watch");
			gth_http_response_release(&resp);
			if (w->deadline_ms && gth_now_ms() >= w->deadline_ms)
				continue;
			if (++failures > 5)
				goto done;
			gth_error_clear(err);
			pause = 200LL << failures;
			if (w->deadline_ms && gth_now_ms() + pause > w->deadline_ms)
				pause = w->deadline_ms - gth_now_ms();
			if (pause > 0)
				gth_sleep_ms(pause);
			continue;
		}
		if (resp.status < 200 || resp.status > 299) {
			gth_kube_status_error(err, resp.status, gth_buf_cstr(&resp.body), "watch");
			gth_http_response_release(&resp);
			goto done;
		}
		failures = 0;
		/* the server ended the stream (timeoutSeconds): resume from the last version */
		if (s.line.len && handle_line(&s, s.line.ptr, s.line.len) < 0 && s.stopped) {
			gth_http_response_release(&resp);
			gth_error_clear(err);
			rc = 0;
			goto done;
		}
		gth_http_response_release(&resp);
	}
done:
	gth_buf_release(&q);
	gth_buf_release(&s.line);
	return rc;
}

void gth_kube_watch_release(struct gth_kube_watch *w)
{
	if (!w)
		return;
	free(w->resource_version);
	w->resource_version = NULL;
}
