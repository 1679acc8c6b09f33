/* lib/registry: WWW-Authenticate challenges. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gth/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct gth_auth_challenge c;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (gth_auth_challenge_parse(&c, s) == 0)
		gth_auth_challenge_release(&c);
	free(s);
	return 0;
}
