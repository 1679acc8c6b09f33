/* gth-scan db update|import PATH|info: the local OSV cache. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gth/log.h"
#include "gth/util.h"
#include "osvdb.h"
#include "scan.h"
#include "vuln.h"

static const char *const default_ecosystems[] = { "npm", "PyPI", "Go", "crates.io", "Debian", "Alpine" };

/* Ecosystems for update: operands, else GTH_OSV_ECOSYSTEMS, else scan.ecosystems
 * (a list or a comma-separated string), else the default set. *buf owns what
 * the strings point into. */
static int pick_ecosystems(const struct scan_opts *o, const struct gth_strlist *ops,
			   struct gth_strlist *out, char **buf, struct gth_error *err)
{
	const char *list = getenv("GTH_OSV_ECOSYSTEMS");
	const struct gth_node *n = o->cfg ? gth_node_get(o->cfg, "ecosystems") : NULL;

	*buf = NULL;
	if (ops->n > 1) {
		for (size_t i = 1; i < ops->n; i++)
			if (gth_strlist_add(out, ops->v[i]) < 0)
				return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		return 0;
	}
	if ((list == NULL || *list == '\0') && n != NULL) {
		if (n->kind == GTH_NODE_SEQ) {
			for (size_t i = 0; i < n->n; i++) {
				const char *s = gth_node_str(n->items[i]);
				if (s == NULL || n->items[i]->kind != GTH_NODE_SCALAR)
					return gth_node_error(err, GTH_EXIT_CONFIG, n->items[i], "expected an ecosystem name");
				if (gth_strlist_add(out, s) < 0)
					return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
			}
			return 0;
		}
		if (n->kind != GTH_NODE_SCALAR || gth_node_str(n) == NULL)
			return gth_node_error(err, GTH_EXIT_CONFIG, n, "expected a list of ecosystems");
		list = gth_node_str(n);
	}
	if (list && *list) {
		char *p;
		*buf = strdup(list);
		if (*buf == NULL)
			return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		for (p = *buf; *p;) {
			size_t k = strcspn(p, ", ");
			char *tok = p;
			p += k;
			if (*p)
				*p++ = '\0';
			if (k > 0 && gth_strlist_add(out, tok) < 0)
				return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		}
		if (out->n == 0)
			return gth_error_set(err, GTH_EXIT_CONFIG, "no ecosystems named in '%s'", list);
		return 0;
	}
	for (size_t i = 0; i < GTH_ARRAY_SIZE(default_ecosystems); i++)
		if (gth_strlist_add(out, default_ecosystems[i]) < 0)
			return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	return 0;
}

static void print_info(const cJSON *info)
{
	const cJSON *ecos = cJSON_GetObjectItem(info, "ecosystems"), *e;
	const cJSON *upd = cJSON_GetObjectItem(info, "updated_at");
	const cJSON *age = cJSON_GetObjectItem(info, "age_s");

	printf("cache      %s\n", cJSON_GetObjectItem(info, "path")->valuestring);
	if (cJSON_IsString(upd)) {
		char d[32];
		printf("updated    %s (%s ago)\n", upd->valuestring,
		       gth_format_duration((int64_t)age->valuedouble * 1000, d, sizeof(d)));
	} else {
		printf("updated    never\n");
	}
	printf("records    %.0f\n", cJSON_GetObjectItem(info, "records")->valuedouble);
	if (cJSON_GetArraySize(ecos) > 0)
		printf("\n%-24s %8s %8s\n", "ECOSYSTEM", "RECORDS", "PACKAGES");
	cJSON_ArrayForEach(e, ecos)
		printf("%-24s %8.0f %8.0f\n", cJSON_GetObjectItem(e, "name")->valuestring,
		       cJSON_GetObjectItem(e, "records")->valuedouble,
		       cJSON_GetObjectItem(e, "packages")->valuedouble);
}

int scan_db(const struct scan_opts *o, const struct gth_strlist *operands, struct gth_event *ev,
	    struct gth_error *err)
{
	struct osv_db *db = NULL;
	const char *sub = operands->n ? operands->v[0] : NULL;
	int rc = -1;

	if (sub == NULL) {
		gth_error_set(err, GTH_EXIT_USAGE, "db needs a command: update, import PATH or info");
		return GTH_EXIT_USAGE;
	}
	if (strcmp(sub, "import") == 0) {
		struct osv_import_stats st;
		if (operands->n != 2) {
			gth_error_set(err, GTH_EXIT_USAGE, "db import takes one PATH");
			return GTH_EXIT_USAGE;
		}
		if (osv_db_open(&db, o->db, 1, err) < 0)
			goto done;
		if (osv_db_import(db, operands->v[1], NULL, &st, err) < 0)
			goto done;
		gth_note("imported %ld records from %s (%ld files, %ld withdrawn dropped)", st.records,
			 operands->v[1], st.files, st.withdrawn);
		cJSON_AddStringToObject(ev->data, "db", osv_db_path(db));
		cJSON_AddStringToObject(ev->data, "path", operands->v[1]);
		cJSON_AddNumberToObject(ev->data, "files", (double)st.files);
		cJSON_AddNumberToObject(ev->data, "records", (double)st.records);
		cJSON_AddNumberToObject(ev->data, "withdrawn", (double)st.withdrawn);
		gth_event_set_summary(ev, "imported %ld OSV records", st.records);
		rc = 0;
	} else if (strcmp(sub, "update") == 0) {
		struct gth_strlist ecos = GTH_STRLIST_INIT;
		char *buf = NULL;
		cJSON *results;
		if (o->offline) {
			gth_error_set(err, GTH_EXIT_USAGE, "db update needs the network, and --offline was given");
			return GTH_EXIT_USAGE;
		}
		if (pick_ecosystems(o, operands, &ecos, &buf, err) < 0 || osv_db_open(&db, o->db, 1, err) < 0) {
			gth_strlist_release(&ecos);
			free(buf);
			goto done;
		}
		cJSON_AddStringToObject(ev->data, "db", osv_db_path(db));
		cJSON_AddStringToObject(ev->data, "mirror", vuln_mirror(o));
		results = cJSON_AddArrayToObject(ev->data, "ecosystems");
		rc = vuln_db_update(db, vuln_mirror(o), ecos.v, ecos.n, results, err);
		if (rc == 0)
			gth_event_set_summary(ev, "OSV cache up to date for %zu ecosystems", ecos.n);
		gth_strlist_release(&ecos);
		free(buf);
	} else if (strcmp(sub, "info") == 0) {
		cJSON *info = NULL, *it;
		if (operands->n != 1) {
			gth_error_set(err, GTH_EXIT_USAGE, "db info takes no operand");
			return GTH_EXIT_USAGE;
		}
		if (osv_db_open(&db, o->db, 0, err) < 0 || osv_db_info(db, &info, err) < 0)
			goto done;
		{
			const cJSON *age = cJSON_GetObjectItem(info, "age_s");
			cJSON_AddBoolToObject(info, "stale", !cJSON_IsNumber(age) ||
							     age->valuedouble * 1000 > (double)vuln_max_age_ms());
		}
		if (!o->common.json)
			print_info(info);
		while ((it = info->child) != NULL) {
			cJSON_DetachItemViaPointer(info, it);
			cJSON_AddItemToObject(ev->data, it->string, it);
		}
		cJSON_Delete(info);
		gth_event_set_summary(ev, "%ld OSV records", osv_db_count(db));
		rc = 0;
	} else {
		gth_error_set(err, GTH_EXIT_USAGE, "unknown db command '%s' (update, import PATH, info)", sub);
		return GTH_EXIT_USAGE;
	}
done:
	osv_db_close(db);
	if (rc < 0)
		return err->exit ? err->exit : GTH_EXIT_SOFTWARE;
	return 0;
}
