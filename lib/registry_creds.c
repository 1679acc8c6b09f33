/* Registry credentials: GTH_REGISTRY_USER/PASSWORD, containers auth.json, docker
 * config.json with credential helpers (see gth/registry.h). */
#include "gth/registry.h"

#include <stdlib.h>
#include <string.h>

#include "gth/fs.h"
#include "gth/json.h"
#include "gth/log.h"
#if __has_include("gth/proc.h")
#include "gth/proc.h"
#define HAVE_PROC 1
#endif
#include "gth/util.h"

void gth_registry_creds_release(struct gth_registry_creds *c)
{
	if (!c)
		return;
	if (c->password) {
		memset(c->password, 0, strlen(c->password));
		free(c->password);
	}
	free(c->user);
	free(c->source);
	c->user = c->password = c->source = NULL;
}

static int set_creds(struct gth_registry_creds *c, const char *user, const char *pass,
		     const char *source)
{
	c->user = strdup(user);
	c->password = strdup(pass);
	c->source = strdup(source);
	if (!c->user || !c->password || !c->source) {
		gth_registry_creds_release(c);
		return -1;
	}
	gth_secret_add(pass);
	return 1;
}

/* The keys a host may be stored under, most specific first. */
static void host_keys(const char *host, char keys[4][300])
{
	if (!strcmp(host, "docker.io") || !strcmp(host, "index.docker.io") ||
	    !strcmp(host, "registry-1.docker.io")) {
		snprintf(keys[0], 300, "https://index.docker.io/v1/");
		snprintf(keys[1], 300, "index.docker.io");
		snprintf(keys[2], 300, "docker.io");
		snprintf(keys[3], 300, "registry-1.docker.io");
	} else {
		snprintf(keys[0], 300, "%s", host);
		snprintf(keys[1], 300, "https://%s", host);
		snprintf(keys[2], 300, "http://%s", host);
		snprintf(keys[3], 300, "https://%s/v1/", host);
	}
}

/* "auth" base64 user:password, or "username" and "password". */
static int from_auths(struct gth_registry_creds *c, const cJSON *auths, const char *host,
		      const char *file, struct gth_error *err)
{
	char keys[4][300];
	int i;

	host_keys(host, keys);
	for (i = 0; i < 4; i++) {
		const cJSON *e = gth_json_obj(auths, keys[i]);
		const char *a, *u, *p;

		if (!e)
			continue;
		a = gth_json_str(e, "auth");
		u = gth_json_str(e, "username");
		p = gth_json_str(e, "password");
		if (a && *a) {
			struct gth_buf dec = GTH_BUF_INIT;
			char *colon;
			int r;

			if (gth_base64_decode(&dec, a, strlen(a)) < 0 || !dec.ptr ||
			    !(colon = strchr(dec.ptr, ':'))) {
				gth_buf_release(&dec);
				return gth_error_set(err, GTH_EXIT_CONFIG,
						     "%s: auths.\"%s\".auth is not base64 of user:password",
						     file, keys[i]);
			}
			*colon = '\0';
			r = set_creds(c, dec.ptr, colon + 1, file);
			memset(dec.ptr, 0, dec.len);
			gth_buf_release(&dec);
			return r < 0 ? gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory") : 1;
		}
		if (u && p)
			return set_creds(c, u, p, file) < 0
				       ? gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory")
				       : 1;
	}
	return 0;
}

/* docker-credential-NAME get, the server URL on stdin. */
static int from_helper(struct gth_registry_creds *c, const char *name, const char *host,
		       struct gth_error *err)
{
#ifndef HAVE_PROC
	(void)c;
	(void)host;
	return gth_error_set(err, GTH_EXIT_CONFIG, "credential helper docker-credential-%s: child processes are not available in this build", name);
#else
	char prog[200], keys[4][300];
	const char *argv[3];
	struct gth_proc_opts o = GTH_PROC_OPTS_INIT;
	struct gth_proc_result res = GTH_PROC_RESULT_INIT;
	cJSON *j = NULL;
	int ret = -1;
	const char *u, *s;

	snprintf(prog, sizeof(prog), "docker-credential-%s", name);
	host_keys(host, keys);
	argv[0] = prog;
	argv[1] = "get";
	argv[2] = NULL;
	o.argv = argv;
	o.stdin_data = keys[0];
	o.stdin_len = strlen(keys[0]);
	o.timeout_ms = 30000;
	o.max_output = 64 * 1024;
	if (gth_proc_run(&res, &o, err) < 0) {
		gth_error_prefix(err, "credential helper %s: ", prog);
		if (err)
			err->exit = GTH_EXIT_CONFIG;
		goto done;
	}
	if (res.status != 0) {
		/* "credentials not found" is no credentials, not an error */
		if (strstr(gth_buf_cstr(&res.out), "not found") ||
		    strstr(gth_buf_cstr(&res.err), "not found")) {
			ret = 0;
			goto done;
		}
		gth_error_set(err, GTH_EXIT_NOPERM, "credential helper %s failed with status %d",
			      prog, res.status);
		goto done;
	}
	if (gth_json_parse(&j, res.out.ptr, res.out.len, prog, err) < 0) {
		if (err)
			err->exit = GTH_EXIT_CONFIG;
		goto done;
	}
	u = gth_json_str(j, "Username");
	s = gth_json_str(j, "Secret");
	if (!u || !s) {
		gth_error_set(err, GTH_EXIT_CONFIG, "credential helper %s gave no Username/Secret",
			      prog);
		goto done;
	}
	ret = set_creds(c, u, s, prog) < 0 ? gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory")
					   : 1;
done:
	if (res.out.ptr)
		memset(res.out.ptr, 0, res.out.len);
	cJSON_Delete(j);
	gth_proc_result_release(&res);
	return ret;
#endif
}

static int from_file(struct gth_registry_creds *c, const char *path, const char *host,
		     int docker, struct gth_error *err)
{
	cJSON *j = NULL;
	int ret = 0;

	if (!gth_file_exists(path))
		return 0;
	if (gth_json_parse_file(&j, path, 1 << 20, err) < 0) {
		if (err)
			err->exit = GTH_EXIT_CONFIG;
		return -1;
	}
	if (docker) {
		const cJSON *helpers = gth_json_obj(j, "credHelpers");
		char keys[4][300];
		int i;

		host_keys(host, keys);
		for (i = 0; helpers && i < 4; i++) {
			const char *h = gth_json_str(helpers, keys[i]);

			if (h) {
				ret = from_helper(c, h, host, err);
				goto done;
			}
		}
	}
	ret = from_auths(c, gth_json_obj(j, "auths"), host, path, err);
	if (ret == 0 && docker && gth_json_str(j, "credsStore"))
		ret = from_helper(c, gth_json_str(j, "credsStore"), host, err);
done:
	cJSON_Delete(j);
	return ret;
}

int gth_registry_creds_find(struct gth_registry_creds *c, const char *host, struct gth_error *err)
{
	const char *u = getenv("GTH_REGISTRY_USER"), *p = getenv("GTH_REGISTRY_PASSWORD");
	const char *v;
	char *path = NULL;
	int r;

	memset(c, 0, sizeof(*c));
	if (u && *u && p) {
		if (set_creds(c, u, p, "GTH_REGISTRY_USER") < 0)
			return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		return 1;
	}
	v = getenv("REGISTRY_AUTH_FILE");
	if (v && *v) {
		r = from_file(c, v, host, 0, err);
		if (r != 0)
			return r;
	} else if ((v = getenv("XDG_RUNTIME_DIR")) && *v) {
		path = gth_strdupf("%s/containers/auth.json", v);
		r = from_file(c, path, host, 0, err);
		free(path);
		if (r != 0)
			return r;
	}
	v = getenv("DOCKER_CONFIG");
	if (v && *v)
		path = gth_strdupf("%s/config.json", v);
	else if ((v = getenv("HOME")) && *v)
		path = gth_strdupf("%s/.docker/config.json", v);
	if (!path)
		return 0;
	r = from_file(c, path, host, 1, err);
	free(path);
	return r;
}
