/* lib/oci: tar layers (any compression) read entry by entry with the safety
 * checks, and the same bytes opened as a docker-save or OCI archive. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gth/buf.h"
#include "gth/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], spec[96], buf[4096];
	struct gth_layer *l = NULL;
	struct gth_layer_entry e;
	struct gth_oci_src *s = NULL;
	int fd = memfd_create("layer", 0), n = 0;

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size)
		goto done;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (gth_layer_open_file(&l, path, NULL) == 0) {
		while (n++ < 10000 && gth_layer_next(l, &e, NULL) == 1)
			while (gth_layer_read(l, buf, sizeof(buf), NULL) > 0)
				;
		gth_layer_close(l);
	}
	snprintf(spec, sizeof(spec), "docker-archive:%s", path);
	if (gth_oci_src_open(&s, spec, NULL) == 0) {
		struct gth_buf b = GTH_BUF_INIT;
		const struct gth_oci_desc *root = gth_oci_src_root(s);

		gth_oci_src_read(&b, s, root->digest, root->size, 0, NULL);
		gth_buf_release(&b);
		gth_oci_src_close(s);
	}
done:
	close(fd);
	return 0;
}
