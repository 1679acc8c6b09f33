#include <stdarg.h>
#include <stdlib.h>

#include "gth/buf.h"
#include "gth/log.h"
#include "scan.h"

void scan_result_release(struct scan_result *r)
{
	if (!r)
		return;
	scan_vuln_end(r);
	scan_findings_release(&r->findings);
	free(r->target);
	free(r->root);
	free(r->repo_prefix);
	r->repo_prefix = NULL;
	cJSON_Delete(r->warnings);
	r->target = r->root = NULL;
	r->warnings = NULL;
}

void scan_result_warn(struct scan_result *r, const char *fmt, ...)
{
	struct gth_buf b = GTH_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	if (gth_buf_vprintf(&b, fmt, ap) < 0) {
		va_end(ap);
		gth_buf_release(&b);
		return;
	}
	va_end(ap);
	gth_warn("%s", gth_buf_cstr(&b));
	if (!r->warnings)
		r->warnings = cJSON_CreateArray();
	if (r->warnings)
		cJSON_AddItemToArray(r->warnings, cJSON_CreateString(gth_buf_cstr(&b)));
	gth_buf_release(&b);
}
