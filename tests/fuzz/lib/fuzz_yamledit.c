/* lib/yamledit: parse, then set scalars to a hostile new value and apply. apply
 * re-parses its output and refuses an edit that would change anything else ("edit
 * would break the file", nothing written); any other 70 is a bug. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gth/yamledit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gth_ye_file f = GTH_YE_FILE_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	struct gth_buf out = GTH_BUF_INIT;
	size_t i, edits = 0;

	if (gth_ye_parse(&f, (const char *)data, size, "fuzz.yaml", &err) < 0)
		goto done;
	for (i = 0; i < f.nnodes && edits < 8; i++) {
		const struct gth_ye_node *n = f.all[i];

		if (n->kind == GTH_YE_SCALAR && n->style != GTH_YE_LITERAL &&
		    n->style != GTH_YE_FOLDED && gth_ye_set(&f, n, "new: 'v'\"#", &err) == 0)
			edits++;
	}
	if (gth_ye_apply(&f, &out, &err) < 0 && err.exit == 70 &&
	    !strstr(err.msg, "out of memory") && !strstr(err.msg, "would break the file"))
		abort();
done:
	gth_buf_release(&out);
	gth_ye_release(&f);
	return 0;
}
