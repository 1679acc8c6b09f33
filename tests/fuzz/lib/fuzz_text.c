/* lib/util and lib/http text helpers: durations, times, globs, base64, URLs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gth/http.h"
#include "gth/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *split;
	struct gth_buf b = GTH_BUF_INIT;
	int64_t ms;
	time_t t;
	long l;
	char *u;

	memcpy(text, data, size);
	text[size] = '\0';
	gth_parse_duration(text, &ms);
	gth_parse_time(text, &t);
	gth_parse_long(text, -100, 100, &l);
	split = strchr(text, '\n');
	if (split) {
		*split = '\0';
		gth_glob_match(text, split + 1);
		u = gth_url_resolve(text, split + 1);
		free(u);
	}
	gth_base64_decode(&b, text, strlen(text));
	gth_buf_clear(&b);
	gth_base64_encode(&b, data, size);
	gth_buf_clear(&b);
	gth_url_escape(&b, text);
	gth_buf_release(&b);
	free(text);
	return 0;
}
