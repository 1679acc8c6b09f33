/* lib/kube: any kubeconfig text, with and without a context asked for. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gth/kube.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gth_kube_options o = GTH_KUBE_OPTIONS_INIT;
	struct gth_kube *k = NULL;
	char path[64];
	int fd = memfd_create("kubeconfig", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		o.kubeconfig = path;
		if (gth_kube_open(&k, &o, NULL) == 0)
			gth_kube_free(k);
		o.context = "prod";
		k = NULL;
		if (gth_kube_open(&k, &o, NULL) == 0)
			gth_kube_free(k);
	}
	close(fd);
	return 0;
}
