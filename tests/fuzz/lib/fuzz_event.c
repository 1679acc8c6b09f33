/* lib/event and lib/json: events as one object, an array or JSON lines. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gth/event.h"
#include "gth/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *arr = NULL, *j = NULL;
	char path[64];
	int fd = memfd_create("event", 0);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		gth_event_read(&arr, path, NULL);
		cJSON_Delete(arr);
	}
	close(fd);
	if (gth_json_parse(&j, (const char *)data, size, "fuzz.json", NULL) == 0) {
		gth_json_path(j, "data.image.digest");
		gth_json_str(j, "schema");
	}
	cJSON_Delete(j);
	return 0;
}
