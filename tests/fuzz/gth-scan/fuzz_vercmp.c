/* gth-scan: the version comparators. Input: two versions separated by a newline.
 * Every scheme must give a total order's answers: cmp(a, a) == 0 and
 * cmp(a, b) == -cmp(b, a), whatever the bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vercmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sgn(int x)
{
	return (x > 0) - (x < 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *a, *b, *nl;
	static const enum osv_scheme schemes[] = { OSV_SCHEME_NONE, OSV_SCHEME_SEMVER, OSV_SCHEME_GO,
						   OSV_SCHEME_PYPI, OSV_SCHEME_DEBIAN, OSV_SCHEME_ALPINE };

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	a = buf;
	nl = strchr(buf, '\n');
	b = nl ? nl + 1 : buf + strlen(buf);
	if (nl)
		*nl = '\0';
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		enum osv_scheme s = schemes[i];
		if (osv_vercmp(s, a, a) != 0 || osv_vercmp(s, b, b) != 0)
			__builtin_trap();
		if (sgn(osv_vercmp(s, a, b)) != -sgn(osv_vercmp(s, b, a)))
			__builtin_trap();
		(void)osv_version_valid(s, a);
	}
	{
		char norm[256];
		osv_pypi_normalize(norm, sizeof(norm), a);
		if (strlen(norm) >= sizeof(norm))
			__builtin_trap();
	}
	free(buf);
	return 0;
}
