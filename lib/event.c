#include <git2.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gth/buf.h"
#include "gth/event.h"
#include "gth/json.h"
#include "gth/log.h"
#include "gth/util.h"

/* "owner/name" from a remote URL (https, ssh or scp-like), or NULL. */
static char *repo_slug(const char *url)
{
	const char *p = url, *end;
	size_t n;

	if (strstr(p, "://"))
		p = strstr(p, "://") + 3;
	end = p + strlen(p);
	if (end - p > 4 && !strcmp(end - 4, ".git"))
		end -= 4;
	while (end > p && end[-1] == '/')
		end--;
	/* the last two path segments */
	{
		const char *s = end, *first = NULL;
		int slashes = 0;

		while (s > p) {
			s--;
			if (*s == '/' || *s == ':') {
				slashes++;
				if (slashes == 2) {
					first = s + 1;
					break;
				}
			}
		}
		if (!first)
			return NULL;
		n = (size_t)(end - first);
		return strndup(first, n);
	}
}

static void git_from_repo(cJSON *git)
{
	git_buf root = { 0 };
	git_repository *repo = NULL;
	git_reference *head = NULL;
	git_remote *origin = NULL;

	git_libgit2_init();
	if (git_repository_discover(&root, ".", 0, NULL) != 0 ||
	    git_repository_open(&repo, root.ptr) != 0)
		goto done;
	if (git_repository_head(&head, repo) == 0) {
		char sha[GIT_OID_HEXSZ + 1];
		const git_oid *oid = git_reference_target(head);

		if (oid) {
			git_oid_tostr(sha, sizeof(sha), oid);
			cJSON_AddStringToObject(git, "sha", sha);
		}
		cJSON_AddStringToObject(git, "ref", git_reference_name(head));
	}
	if (git_remote_lookup(&origin, repo, "origin") == 0 && git_remote_url(origin)) {
		char *slug = repo_slug(git_remote_url(origin));

		if (slug)
			cJSON_AddStringToObject(git, "repo", slug);
		free(slug);
	}
done:
	git_remote_free(origin);
	git_reference_free(head);
	git_repository_free(repo);
	git_buf_dispose(&root);
	git_libgit2_shutdown();
}

int gth_event_begin(struct gth_event *ev, const char *tool)
{
	const char *sha = getenv("GITHUB_SHA");
	const char *ref = getenv("GITHUB_REF");
	const char *repo = getenv("GITHUB_REPOSITORY");
	const char *server = getenv("GITHUB_SERVER_URL");
	const char *run_id = getenv("GITHUB_RUN_ID");
	cJSON *git, *run;

	memset(ev, 0, sizeof(*ev));
	ev->started_ms = gth_now_ms();
	ev->started_wall = (long long)time(NULL);
	ev->root = cJSON_CreateObject();
	if (!ev->root)
		return -1;
	cJSON_AddStringToObject(ev->root, "schema", GTH_EVENT_SCHEMA);
	cJSON_AddStringToObject(ev->root, "tool", tool);
	cJSON_AddStringToObject(ev->root, "status", "error");
	cJSON_AddNumberToObject(ev->root, "exit", GTH_EXIT_SOFTWARE);
	cJSON_AddNullToObject(ev->root, "app");
	cJSON_AddStringToObject(ev->root, "summary", "");
	git = cJSON_AddObjectToObject(ev->root, "git");
	if (sha && *sha) {
		cJSON_AddStringToObject(git, "sha", sha);
		if (ref && *ref)
			cJSON_AddStringToObject(git, "ref", ref);
		if (repo && *repo)
			cJSON_AddStringToObject(git, "repo", repo);
	}
	run = cJSON_AddObjectToObject(ev->root, "run");
	if (repo && *repo && run_id && *run_id) {
		char *url = gth_strdupf("%s/%s/actions/runs/%s",
					server && *server ? server : "https://github.com", repo,
					run_id);

		if (url)
			cJSON_AddStringToObject(run, "url", url);
		free(url);
	}
	{
		char ts[32];

		cJSON_AddStringToObject(ev->root, "started_at",
					gth_format_time((time_t)ev->started_wall, ts, sizeof(ts)));
	}
	cJSON_AddNumberToObject(ev->root, "duration_ms", 0);
	ev->data = cJSON_AddObjectToObject(ev->root, "data");
	return ev->data ? 0 : -1;
}

void gth_event_set_app(struct gth_event *ev, const char *app)
{
	if (!ev->root || !app)
		return;
	cJSON_ReplaceItemInObjectCaseSensitive(ev->root, "app", cJSON_CreateString(app));
}

void gth_event_set_summary(struct gth_event *ev, const char *fmt, ...)
{
	struct gth_buf b = GTH_BUF_INIT;
	va_list ap;

	if (!ev->root)
		return;
	va_start(ap, fmt);
	gth_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	cJSON_ReplaceItemInObjectCaseSensitive(ev->root, "summary",
					       cJSON_CreateString(gth_buf_cstr(&b)));
	gth_buf_release(&b);
}

void gth_event_finish(struct gth_event *ev, int exit)
{
	if (!ev->root)
		return;
	cJSON_ReplaceItemInObjectCaseSensitive(ev->root, "status",
					       cJSON_CreateString(gth_exit_status(exit)));
	cJSON_ReplaceItemInObjectCaseSensitive(ev->root, "exit", cJSON_CreateNumber(exit));
	cJSON_ReplaceItemInObjectCaseSensitive(
		ev->root, "duration_ms", cJSON_CreateNumber((double)(gth_now_ms() - ev->started_ms)));
}

int gth_event_write(struct gth_event *ev, FILE *out, struct gth_error *err)
{
	char *s;

	if (!ev->root)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "no event to write");
	/* Outside Actions the git fields come from the repository, read only now so a
	 * run without --json never starts libgit2. */
	{
		cJSON *git = cJSON_GetObjectItemCaseSensitive(ev->root, "git");

		if (cJSON_IsObject(git) && !cJSON_GetObjectItemCaseSensitive(git, "sha"))
			git_from_repo(git);
	}
	s = cJSON_PrintUnformatted(ev->root);
	if (!s)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	fputs(s, out);
	fputc('\n', out);
	free(s);
	if (fflush(out) != 0 || ferror(out))
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "unable to write the event");
	return 0;
}

int gth_event_end(struct gth_event *ev, int write_event, int rc)
{
	struct gth_error err = GTH_ERROR_INIT;
	int frc;

	if (ev && ev->root && write_event) {
		gth_event_finish(ev, rc);
		if (gth_event_write(ev, stdout, &err) < 0) {
			/* stdout is broken: closing it would say so a second time. */
			frc = gth_fail(&err);
			return rc ? rc : frc;
		}
	}
	if (gth_close_stdout(&err) < 0) {
		frc = gth_fail(&err);
		if (!rc)
			rc = frc;
	}
	return rc;
}

void gth_event_release(struct gth_event *ev)
{
	if (!ev)
		return;
	cJSON_Delete(ev->root);
	ev->root = NULL;
	ev->data = NULL;
}

static int check_event(const cJSON *e, const char *name, int line, struct gth_error *err)
{
	const char *schema = gth_json_str(e, "schema");

	if (!cJSON_IsObject(e))
		return gth_error_set(err, GTH_EXIT_DATAERR, "%s:%d: expected a gth event object",
				     name, line);
	if (!schema || strcmp(schema, GTH_EVENT_SCHEMA))
		return gth_error_set(err, GTH_EXIT_DATAERR,
				     "%s:%d: not a gth event (schema is not %s)", name, line,
				     GTH_EVENT_SCHEMA);
	return 0;
}

int gth_event_read(cJSON **out, const char *path, struct gth_error *err)
{
	struct gth_buf b = GTH_BUF_INIT;
	const char *name = strcmp(path, "-") ? path : "<stdin>";
	cJSON *arr = NULL, *one = NULL;
	int r = -1;

	*out = NULL;
	if (!strcmp(path, "-")) {
		if (gth_buf_read_fd(&b, 0, name, 64u << 20, err) < 0)
			goto done;
	} else if (gth_buf_read_file(&b, path, 64u << 20, err) < 0) {
		goto done;
	}
	arr = cJSON_CreateArray();
	/* One value (an object or an array), or JSON lines. */
	if (gth_json_parse(&one, gth_buf_cstr(&b), b.len, name, NULL) == 0) {
		if (cJSON_IsArray(one)) {
			cJSON *e;

			cJSON_ArrayForEach(e, one) {
				if (check_event(e, name, 1, err) < 0)
					goto done;

			}
			cJSON_Delete(arr);
			arr = one;
			one = NULL;
		} else {
			if (check_event(one, name, 1, err) < 0)
				goto done;
			cJSON_AddItemToArray(arr, one);
			one = NULL;
		}
	} else {
		const char *p = gth_buf_cstr(&b);
		int line = 0;

		while (*p) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			char lname[512];

			line++;
			if (strspn(p, " \t\r") >= n) {
				p += n + (nl ? 1 : 0);
				continue;
			}
			snprintf(lname, sizeof(lname), "%s:%d", name, line);
			if (gth_json_parse(&one, p, n, lname, NULL) < 0) {
				gth_error_set(err, GTH_EXIT_DATAERR, "%s:%d: invalid JSON", name, line);
				goto done;
			}
			if (check_event(one, name, line, err) < 0)
				goto done;
			cJSON_AddItemToArray(arr, one);
			one = NULL;
			p += n + (nl ? 1 : 0);
		}
		if (cJSON_GetArraySize(arr) == 0) {
			gth_error_set(err, GTH_EXIT_DATAERR, "%s: no event found", name);
			goto done;
		}
	}
	*out = arr;
	arr = NULL;
	r = 0;
done:
	cJSON_Delete(one);
	cJSON_Delete(arr);
	gth_buf_release(&b);
	return r;
}
