/* gth-scan: the secret scanner (keyword automaton, candidate regions, PCRE2,
 * masking) over arbitrary bytes. Every finding has a line, a column, a masked
 * match that is valid UTF-8 and not longer than four characters and an ellipsis. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "finding.h"
#include "secrets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct scan_secrets *set;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scan_findings l = SCAN_FINDINGS_INIT;
	struct gth_error err = GTH_ERROR_INIT;

	/* Compiled once and kept: 80 patterns per input would be the whole cost. */
	if (!set && scan_secrets_new(&set, NULL, &err) < 0)
		__builtin_trap();
	if (scan_secrets_scan(set, &l, "t", "f", (const char *)data, size) < 0)
		__builtin_trap();
	for (size_t i = 0; i < l.n; i++) {
		const struct scan_finding *f = &l.v[i];

		if (f->line < 1 || f->col < 1 || !f->match || !f->fingerprint ||
		    strlen(f->match) > 4 * 4 + 3)
			__builtin_trap();
	}
	scan_findings_release(&l);
	return 0;
}
