/* gth-test: the JUNIT reader, which must keep whatever it read sane on any input. */
#include <stdint.h>
#include <string.h>

#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct test_report r = TEST_REPORT_INIT;
	size_t i;

	junit_parse(&r, (const char *)data, size, "fuzz", "/work/app");
	for (i = 0; i < r.n; i++) {
		const struct test_case *c = &r.cases[i];
		if (!c->name || (c->file && c->file[0] == '/') || c->line < 0 ||
		    (c->detail && strlen(c->detail) > REPORT_DETAIL_MAX))
			__builtin_trap();
	}
	if (report_count(&r, CASE_PASSED) + report_count(&r, CASE_FAILED) +
	    report_count(&r, CASE_SKIPPED) != r.n)
		__builtin_trap();
	report_release(&r);
	return 0;
}
