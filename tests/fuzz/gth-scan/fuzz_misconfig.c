/* gth-scan: the Dockerfile instruction reader and the Kubernetes workload checks
 * over arbitrary bytes; the first byte picks the file name. Every finding is a
 * known check with a line inside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "misconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "Dockerfile", "k8s/deploy.yaml", "a.dockerfile", "x.yml" };
	struct scan_findings l = SCAN_FINDINGS_INIT;
	size_t lines = 1;

	if (size == 0)
		return 0;
	for (size_t i = 1; i < size; i++)
		lines += data[i] == '\n' || data[i] == '\r';
	if (scan_misconfig_scan(&l, "t", names[data[0] % 4], (const char *)data + 1, size - 1,
				NULL) < 0)
		__builtin_trap();
	for (size_t i = 0; i < l.n; i++) {
		const struct scan_finding *f = &l.v[i];

		if (!scan_misconfig_known(f->id) || f->line < 1 || (size_t)f->line > lines + 1)
			__builtin_trap();
	}
	scan_findings_release(&l);
	return 0;
}
