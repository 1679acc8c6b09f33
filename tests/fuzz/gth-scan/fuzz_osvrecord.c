/* gth-scan: OSV record parsing and matching. A record that parses must match
 * without crashing for any version, and give a known severity. */
#include <stdint.h>
#include <string.h>

#include "osv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct osv_record *r = NULL;
	static const char *const versions[] = { "0", "1.0.0", "1.0.0-rc.1", "1:2.3-4~deb12u1", "1.2.3-r4",
						"1.0.post1", "v0.0.0-2020", "" };

	if (osv_record_parse(&r, (const char *)data, size, "fuzz", NULL) < 0) {
		if (r != NULL)
			__builtin_trap();
		return 0;
	}
	for (size_t i = 0; i < r->naffected; i++) {
		const struct osv_affected *a = &r->affected[i];
		for (size_t k = 0; k < sizeof(versions) / sizeof(versions[0]); k++) {
			const char *fixed = NULL;
			const struct osv_affected *hit = NULL;
			double score;
			int sev;
			(void)osv_affected_match(a, versions[k], &fixed);
			if (a->ecosystem && a->name &&
			    osv_record_match(r, a->ecosystem, a->name, versions[k], &hit, &fixed) && hit == NULL)
				__builtin_trap();
			sev = osv_record_severity(r, hit, &score);
			if (sev < 0 || sev > 4)
				__builtin_trap();
		}
	}
	osv_record_free(r);
	return 0;
}
