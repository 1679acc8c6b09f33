/* gth-bump's manifest analysis: any input either gives an edit that lib/yamledit
 * verified, nothing, or a 65 (malformed YAML, an unbumpable kustomize pin). A 70
 * other than "would break the file" is a bug. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifests.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char digest[] =
		"sha256:2222222222222222222222222222222222222222222222222222222222222222";
	const struct bump_target targets[] = {
		{ "ghcr.io/acme/api", "v2.0.0", NULL, NULL, "api" },
		{ "docker.io/library/nginx", "1.27", digest, NULL, NULL },
		{ "ghcr.io/acme/api", NULL, digest, "api", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		struct bump_changes ch = BUMP_CHANGES_INIT;
		struct gth_buf out = GTH_BUF_INIT;
		struct gth_error err = GTH_ERROR_INIT;
		int rc = bump_text(&out, &ch, &targets[i], "fuzz.yaml", (const char *)data, size, &err);

		if (rc < 0 && err.exit != 65 && !strstr(err.msg, "would break the file") &&
		    !strstr(err.msg, "out of memory"))
			abort();
		if (rc == 1 && ch.n == 0)
			abort();
		bump_changes_clear(&ch);
		gth_buf_release(&out);
	}
	return 0;
}
