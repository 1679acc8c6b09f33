/* report FILE: a Trivy JSON report (SchemaVersion 2) read into findings, so the same
 * ignores, gate and outputs apply to what Trivy found. */
#include <stdlib.h>
#include <string.h>

#include "gth/json.h"
#include "gth/util.h"
#include "scan.h"

/* Trivy's result Type to an OSV ecosystem name. */
static const char *ecosystem(const char *type)
{
	static const char *const map[][2] = {
		{ "npm", "npm" }, { "yarn", "npm" }, { "pnpm", "npm" }, { "node-pkg", "npm" },
		{ "pip", "PyPI" }, { "pipenv", "PyPI" }, { "poetry", "PyPI" }, { "python-pkg", "PyPI" },
		{ "gomod", "Go" }, { "gobinary", "Go" }, { "cargo", "crates.io" },
		{ "rustbinary", "crates.io" }, { "composer", "Packagist" }, { "bundler", "RubyGems" },
		{ "gemspec", "RubyGems" }, { "nuget", "NuGet" }, { "jar", "Maven" }, { "pom", "Maven" },
		{ "gradle", "Maven" }, { "debian", "Debian" }, { "ubuntu", "Ubuntu" },
		{ "alpine", "Alpine" }, { "redhat", "Red Hat" }, { "rocky", "Rocky Linux" },
		{ "alma", "AlmaLinux" },
	};
	size_t i;

	if (!type)
		return NULL;
	for (i = 0; i < GTH_ARRAY_SIZE(map); i++)
		if (!strcmp(type, map[i][0]))
			return map[i][1];
	return type;
}

static enum scan_severity sev(const char *s)
{
	int v = scan_severity_parse(s);

	return v < 0 ? SCAN_SEV_UNKNOWN : (enum scan_severity)v;
}

static int bad(struct gth_error *err, const char *file, const char *what)
{
	return gth_error_set(err, GTH_EXIT_DATAERR, "%s: not a Trivy JSON report: %s", file, what);
}

static int add_vulns(struct scan_result *res, const cJSON *arr, const char *target, const char *type)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, arr) {
		struct scan_finding f;
		const char *id = gth_json_str(v, "VulnerabilityID");
		const char *aliases[1];

		if (!id)
			continue;
		memset(&f, 0, sizeof(f));
		f.kind = SCAN_KIND_VULN;
		f.id = id;
		f.severity = sev(gth_json_str(v, "Severity"));
		f.title = gth_json_str(v, "Title") ? gth_json_str(v, "Title") : id;
		f.description = gth_json_str(v, "Description");
		f.target = target;
		f.path = gth_json_str(v, "PkgPath") ? gth_json_str(v, "PkgPath") : target;
		f.url = gth_json_str(v, "PrimaryURL");
		f.pkg.ecosystem = ecosystem(type);
		f.pkg.name = gth_json_str(v, "PkgName");
		f.pkg.version = gth_json_str(v, "InstalledVersion");
		f.pkg.fixed = gth_json_str(v, "FixedVersion");
		if (f.pkg.fixed && !*f.pkg.fixed)
			f.pkg.fixed = NULL;
		if (gth_json_str(v, "VendorIDs") == NULL && gth_json_arr(v, "VendorIDs") &&
		    cJSON_GetArraySize(gth_json_arr(v, "VendorIDs")) > 0 &&
		    cJSON_IsString(cJSON_GetArrayItem(gth_json_arr(v, "VendorIDs"), 0))) {
			aliases[0] = cJSON_GetArrayItem(gth_json_arr(v, "VendorIDs"), 0)->valuestring;
			f.aliases = aliases;
			f.naliases = 1;
		}
		if (scan_findings_add(&res->findings, &f) < 0)
			return -1;
	}
	return 0;
}

static int add_misconfigs(struct scan_result *res, const cJSON *arr, const char *target)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, arr) {
		struct scan_finding f;
		const char *status = gth_json_str(m, "Status");
		const cJSON *cause = gth_json_obj(m, "CauseMetadata");

		if (status && strcmp(status, "FAIL"))
			continue;
		memset(&f, 0, sizeof(f));
		f.kind = SCAN_KIND_MISCONFIG;
		f.id = gth_json_str(m, "ID") ? gth_json_str(m, "ID") : gth_json_str(m, "AVDID");
		if (!f.id)
			continue;
		f.severity = sev(gth_json_str(m, "Severity"));
		f.title = gth_json_str(m, "Title");
		f.description = gth_json_str(m, "Description");
		f.match = gth_json_str(m, "Message");
		f.url = gth_json_str(m, "PrimaryURL");
		f.target = target;
		f.path = target;
		f.line = (int)gth_json_num(cause, "StartLine", 0);
		if (scan_findings_add(&res->findings, &f) < 0)
			return -1;
	}
	return 0;
}

static int add_secrets(struct scan_result *res, const cJSON *arr, const char *target)
{
	const cJSON *s;

	cJSON_ArrayForEach(s, arr) {
		struct scan_finding f;
		const char *match = gth_json_str(s, "Match");
		char *mask = NULL;
		int rc;

		memset(&f, 0, sizeof(f));
		f.kind = SCAN_KIND_SECRET;
		f.id = gth_json_str(s, "RuleID");
		if (!f.id)
			continue;
		f.severity = sev(gth_json_str(s, "Severity"));
		f.title = gth_json_str(s, "Title");
		f.target = target;
		f.path = target;
		f.line = (int)gth_json_num(s, "StartLine", 0);
		/* Trivy masks the secret with '*'; show no more than our own masking would. */
		if (match && !(mask = scan_mask_secret(match, strlen(match))))
			return -1;
		f.match = mask;
		rc = scan_findings_add(&res->findings, &f);
		free(mask);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int scan_report_load(struct scan_result *res, const struct scan_opts *o, const char *file,
		     struct gth_error *err)
{
	cJSON *root = NULL;
	const cJSON *results, *r;
	const char *artifact;
	int rc = -1;

	if (gth_json_parse_file(&root, file, 0, err) < 0)
		return -1;
	if (!cJSON_IsObject(root)) {
		bad(err, file, "expected an object");
		goto done;
	}
	results = gth_json_arr(root, "Results");
	if (!results && cJSON_GetObjectItemCaseSensitive(root, "Results") &&
	    !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(root, "Results"))) {
		bad(err, file, "Results is not a list");
		goto done;
	}
	if (!results && !gth_json_str(root, "ArtifactName") && !cJSON_GetObjectItem(root, "SchemaVersion")) {
		bad(err, file, "no SchemaVersion, ArtifactName or Results");
		goto done;
	}
	artifact = gth_json_str(root, "ArtifactName");
	res->target = strdup(artifact ? artifact : file);
	res->root = strdup(".");
	if (!res->target || !res->root) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	cJSON_ArrayForEach(r, results) {
		const char *target = gth_json_str(r, "Target");
		const char *type = gth_json_str(r, "Type");

		if (!target)
			target = res->target;
		if (((o->scanner_mask & SCAN_KIND_BIT(SCAN_KIND_VULN)) &&
		     add_vulns(res, gth_json_arr(r, "Vulnerabilities"), target, type) < 0) ||
		    ((o->scanner_mask & SCAN_KIND_BIT(SCAN_KIND_MISCONFIG)) &&
		     add_misconfigs(res, gth_json_arr(r, "Misconfigurations"), target) < 0) ||
		    ((o->scanner_mask & SCAN_KIND_BIT(SCAN_KIND_SECRET)) &&
		     add_secrets(res, gth_json_arr(r, "Secrets"), target) < 0)) {
			gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
			goto done;
		}
		res->stats.files++;
	}
	rc = 0;
done:
	cJSON_Delete(root);
	return rc;
}
