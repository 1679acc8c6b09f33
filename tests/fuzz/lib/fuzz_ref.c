/* lib/ref: the image reference grammar; a parsed reference formats to a string that
 * parses to the same reference. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gth/ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gth_ref a = GTH_REF_INIT, b = GTH_REF_INIT;
	struct gth_buf s = GTH_BUF_INIT, t = GTH_BUF_INIT;
	char *text = malloc(size + 1);

	memcpy(text, data, size);
	text[size] = '\0';
	if (gth_ref_parse(&a, text, NULL) == 0) {
		gth_ref_format(&s, &a);
		if (gth_ref_parse(&b, s.ptr, NULL) < 0)
			abort();
		gth_ref_format(&t, &b);
		if (strcmp(s.ptr, t.ptr))
			abort();
		gth_ref_api_host(&a);
		gth_ref_selector(&a);
	}
	gth_ref_check_tag(text, NULL);
	gth_ref_check_digest(text, NULL);
	gth_ref_release(&a);
	gth_ref_release(&b);
	gth_buf_release(&s);
	gth_buf_release(&t);
	free(text);
	return 0;
}
