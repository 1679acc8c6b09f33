/* gth-scan: the lockfile parsers. The first byte picks the format; every package
 * that comes back has its strings set. */
#include <stdint.h>
#include <string.h>

#include "lockfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "go.mod",
					     "Cargo.lock", "poetry.lock", "requirements.txt", "Pipfile.lock" };
	struct lock_pkgs l = LOCK_PKGS_INIT;

	if (size == 0)
		return 0;
	lockfile_parse(&l, names[data[0] % 8], (const char *)data + 1, size - 1, NULL);
	for (size_t i = 0; i < l.n; i++) {
		const struct lock_pkg *p = &l.v[i];
		if (!p->ecosystem || !p->name || !p->version || !p->path || p->line < 0)
			__builtin_trap();
	}
	lock_pkgs_release(&l);
	return 0;
}
