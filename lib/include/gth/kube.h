/* A small Kubernetes API client: kubeconfig and in-cluster configuration, GET,
 * merge-patch and JSON-patch (with the status subresource and its fallback for
 * CRDs that lack it), and watches that resume from the last resourceVersion,
 * follow bookmarks and list again after 410 Gone.
 *
 * Configuration (gth_kube_open):
 *   - opts->kubeconfig, else $KUBECONFIG (a ':'-separated list, merged: the first
 *     file that names a cluster, user, context or current-context wins), else
 *     ~/.kube/config when it exists, else the in-cluster service account
 *     (KUBERNETES_SERVICE_HOST/_PORT, the token, ca.crt and namespace files in
 *     /var/run/secrets/kubernetes.io/serviceaccount, or $GTH_KUBE_SERVICEACCOUNT_DIR).
 *   - opts->context, else current-context. A missing context, cluster or user is a
 *     78 error naming the kubeconfig file and line; malformed YAML is 65; a named
 *     kubeconfig that does not exist is 66.
 *   - users: token, tokenFile (read once when opened), username/password,
 *     client-certificate(-data), client-key(-data), exec (client.authentication.
 *     k8s.io/v1 and v1beta1 ExecCredential; the credential is kept in memory until
 *     its expirationTimestamp and fetched again after it, or after a 401).
 *   - clusters: server, certificate-authority(-data), insecure-skip-tls-verify.
 *   - namespace: opts->ns, else the context's, else the in-cluster namespace,
 *     else "default".
 * Every token, password and key read is registered with gth_secret_add().
 *
 * Errors: an API answer that is not 2xx becomes an error carrying the API Status
 * message ("rollouts.argoproj.io \"x\" not found") with exit status 404 -> 66,
 * 401/403 -> 77, 409 -> 75 (returned as GTH_KUBE_CONFLICT so callers can read the
 * object again and retry), 410 -> 75, 422/400 -> 65, 429/5xx -> 69; transport failures
 * 69. Within the HTTP budget (gth/http.h), GETs and PATCHes are retried after a
 * dropped connection, 429 (Retry-After honoured) and 5xx: the patches sent here give
 * the same object when applied twice. A watch request whose stream breaks or that
 * is answered 429 or 5xx is resumed from the last resourceVersion instead, up to 5
 * times in a row with doubling waits (never past the watch's deadline). Every function returns 0 or a negative value and fills err. A
 * struct gth_kube is not thread-safe. */
#ifndef GTH_KUBE_H
#define GTH_KUBE_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include "error.h"

#define GTH_KUBE_CONFLICT (-2)  /* 409: the object changed; read it again and retry */
#define GTH_KUBE_TIMEOUT  (-3)  /* a watch reached its deadline (exit status 2) */

struct gth_kube_options {
	const char *kubeconfig;  /* --kubeconfig FILE or NULL */
	const char *context;     /* --context NAME or NULL */
	const char *ns;          /* -n NS or NULL */
};

#define GTH_KUBE_OPTIONS_INIT { NULL, NULL, NULL }

struct gth_kube;

int gth_kube_open(struct gth_kube **out, const struct gth_kube_options *opts,
		  struct gth_error *err);
void gth_kube_free(struct gth_kube *k);

/* The namespace chosen at open, the server URL, the context name ("" in-cluster). */
const char *gth_kube_namespace(const struct gth_kube *k);
const char *gth_kube_server(const struct gth_kube *k);
const char *gth_kube_context(const struct gth_kube *k);
/* HTTP requests sent so far (each retry counts), and exec plugin runs. */
unsigned long gth_kube_requests(const struct gth_kube *k);
unsigned long gth_kube_exec_runs(const struct gth_kube *k);

/* "/apis/GROUP/VERSION/namespaces/NS/RESOURCE[/NAME]" ("/api/v1/..." when
 * group_version has no '/'); ns NULL for cluster-scoped resources, name NULL for
 * the collection. Path segments are escaped. malloc'd, NULL when out of memory. */
char *gth_kube_path(const char *group_version, const char *ns, const char *resource,
		    const char *name);

/* GET path (with an optional query "a=b&c=d", may be NULL); *out is the object. */
int gth_kube_get(cJSON **out, struct gth_kube *k, const char *path, const char *query,
		 struct gth_error *err);

enum gth_kube_patch_type {
	GTH_KUBE_MERGE_PATCH,   /* application/merge-patch+json (RFC 7386) */
	GTH_KUBE_JSON_PATCH     /* application/json-patch+json (RFC 6902) */
};

/* PATCH path with body; *out (may be NULL) is the object the server returned.
 * 409 gives GTH_KUBE_CONFLICT. */
int gth_kube_patch(cJSON **out, struct gth_kube *k, const char *path,
		   enum gth_kube_patch_type type, const char *body, struct gth_error *err);

/* PATCH path + "/status" with body. When the API answers 404 there (a CRD without
 * the status subresource, as with Argo Rollouts before v0.10), PATCH path itself
 * with fallback_body (body when NULL) and set *fell_back (may be NULL) to 1. */
int gth_kube_patch_status(cJSON **out, struct gth_kube *k, const char *path,
			  enum gth_kube_patch_type type, const char *body,
			  const char *fallback_body, int *fell_back, struct gth_error *err);

/* Watches. The callback gets "ADDED", "MODIFIED" or "DELETED" and the object (owned
 * by the watch; copy what you keep). It returns 0 to go on, 1 to stop the watch
 * (gth_kube_watch then returns 0), or -1 with err set to abort. */
typedef int (*gth_kube_watch_fn)(void *ctx, const char *type, const cJSON *object,
				 struct gth_error *err);

struct gth_kube_watch {
	const char *path;             /* the collection, e.g. .../namespaces/NS/rollouts */
	const char *field_selector;   /* e.g. "metadata.name=NAME", or NULL */
	int64_t deadline_ms;          /* gth_now_ms() deadline; 0: none */
	int must_exist;               /* an empty first list is a 66 "not found" error */
	gth_kube_watch_fn fn;
	void *ctx;
	/* Kept up to date: the last resourceVersion seen (malloc'd, freed by
	 * gth_kube_watch_release), and counters. */
	char *resource_version;
	unsigned long lists;          /* LIST requests (the first, and after 410) */
	unsigned long watches;        /* watch requests (each resume counts) */
	unsigned long bookmarks;
	unsigned long gone;           /* 410 Gone answers */
	unsigned long events;
};

#define GTH_KUBE_WATCH_INIT { NULL, NULL, 0, 0, NULL, NULL, NULL, 0, 0, 0, 0, 0 }

/* List the collection (each item goes to fn as "ADDED"), then watch from the
 * list's resourceVersion with allowWatchBookmarks, resuming after each stream ends
 * from the last resourceVersion seen (a bookmark's included). On 410 Gone (an HTTP
 * answer or an ERROR event) list again and go on from there. Returns 0 when fn
 * stopped it, GTH_KUBE_TIMEOUT (with a 2 error) at the deadline, -1 on errors. */
int gth_kube_watch(struct gth_kube *k, struct gth_kube_watch *w, struct gth_error *err);
void gth_kube_watch_release(struct gth_kube_watch *w);

/* Set err from an API answer: the Status object's message when the body is one,
 * else the body's first line; exit status as described above. Returns -1, or
 * GTH_KUBE_CONFLICT for 409. what prefixes the message (may be NULL). */
int gth_kube_status_error(struct gth_error *err, long http_status, const char *body,
			  const char *what);

#endif
