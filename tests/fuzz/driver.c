/* Runs a libFuzzer harness over files, so seed corpora run as ordinary ctest cases in
 * builds without libFuzzer: driver DIR|FILE... feeds every file to
 * LLVMFuzzerTestOneInput, in name order. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gth/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	struct gth_buf b = GTH_BUF_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	uint8_t *copy;

	if (gth_buf_read_file(&b, path, 0, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	/* An exact-size copy, so reads past the end are caught. */
	copy = malloc(b.len ? b.len : 1);
	if (b.len)
		memcpy(copy, b.ptr, b.len);
	LLVMFuzzerTestOneInput(copy, b.len);
	free(copy);
	gth_buf_release(&b);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	int i, n = 0, bad = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "no corpus '%s'\n", argv[i]);
			return 1;
		}
		if (S_ISDIR(st.st_mode)) {
			struct dirent *de;
			DIR *d = opendir(argv[i]);
			char **names = NULL;
			size_t k, count = 0;

			while (d && (de = readdir(d))) {
				char path[4096];

				if (de->d_name[0] == '.')
					continue;
				snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
				names = realloc(names, (count + 1) * sizeof(*names));
				names[count++] = strdup(path);
			}
			if (d)
				closedir(d);
			qsort(names, count, sizeof(*names), by_name);
			for (k = 0; k < count; k++) {
				bad |= run_file(names[k]) < 0;
				n++;
				free(names[k]);
			}
			free(names);
		} else {
			bad |= run_file(argv[i]) < 0;
			n++;
		}
	}
	printf("%d inputs ran\n", n);
	return bad || n == 0;
}
