/* lib/oci: an OCI layout directory. The input is split at "\n@@\n": the first
 * part becomes index.json, every other part a blob stored under its own digest.
 * The layout is opened, its root read and, as a puller would, each index entry,
 * manifest, config and layer descriptor parsed and read (layers entry by entry). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gth/buf.h"
#include "gth/digest.h"
#include "gth/fs.h"
#include "gth/json.h"
#include "gth/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64];

static void cleanup(void)
{
	if (root[0])
		gth_remove_tree(root, NULL);
}

static void put(const char *name, const void *p, size_t n)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(p, 1, n, f);
	fclose(f);
}

static void walk(struct gth_oci_src *s, const struct gth_oci_desc *d, int depth)
{
	struct gth_buf b = GTH_BUF_INIT;
	struct gth_oci_desc sub;
	const cJSON *e;
	cJSON *j = NULL;
	char buf[4096];

	if (depth > 3 || !d->digest)
		return;
	if (!gth_oci_is_index(d->media_type) && !gth_oci_is_manifest(d->media_type)) {
		/* a layer or config: read it as a tar layer */
		struct gth_oci_blob blob;
		struct gth_layer *l = NULL;
		struct gth_layer_entry ent;
		int n = 0;

		if (gth_oci_src_blob(&blob, s, d->digest, NULL) == 0 &&
		    gth_layer_open_blob(&l, &blob, d->digest, NULL) == 0) {
			while (n++ < 1000 && gth_layer_next(l, &ent, NULL) == 1)
				while (gth_layer_read(l, buf, sizeof(buf), NULL) > 0)
					;
			gth_layer_close(l);
		}
		return;
	}
	if (gth_oci_src_read(&b, s, d->digest, d->size, 1u << 20, NULL) < 0)
		goto done;
	if (gth_json_parse(&j, b.ptr ? b.ptr : "", b.len, "manifest", NULL) < 0)
		goto done;
	cJSON_ArrayForEach(e, gth_json_arr(j, "manifests")) {
		if (gth_oci_desc_from_json(&sub, e, "manifest", NULL) == 0) {
			walk(s, &sub, depth + 1);
			gth_oci_desc_release(&sub);
		}
	}
	if (gth_oci_desc_from_json(&sub, gth_json_obj(j, "config"), "config", NULL) == 0) {
		gth_oci_src_read(&b, s, sub.digest, sub.size, 1u << 20, NULL);
		gth_oci_desc_release(&sub);
	}
	cJSON_ArrayForEach(e, gth_json_arr(j, "layers")) {
		if (gth_oci_desc_from_json(&sub, e, "layer", NULL) == 0) {
			walk(s, &sub, depth + 1);
			gth_oci_desc_release(&sub);
		}
	}
done:
	cJSON_Delete(j);
	gth_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sep[] = "\n@@\n";
	const char *p = (const char *)data, *end = p + size, *q;
	struct gth_oci_src *s = NULL;
	char spec[96], hex[GTH_SHA256_HEX_LEN + 1], name[128];
	int part = 0;

	if (!root[0]) {
		snprintf(root, sizeof(root), "/tmp/fuzz-ocilayout.%ld", (long)getpid());
		gth_remove_tree(root, NULL);
		if (gth_mkdir_p(root, 0700, NULL) < 0) {
			root[0] = '\0';
			return 0;
		}
		snprintf(name, sizeof(name), "%s/blobs/sha256", root);
		gth_mkdir_p(name, 0700, NULL);
		atexit(cleanup);
		put("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
	}
	while (p <= end && part < 16) {
		q = memmem(p, (size_t)(end - p), sep, sizeof(sep) - 1);
		if (!q)
			q = end;
		if (part == 0) {
			put("index.json", p, (size_t)(q - p));
		} else {
			gth_sha256_hex(p, (size_t)(q - p), hex);
			snprintf(name, sizeof(name), "blobs/sha256/%s", hex);
			put(name, p, (size_t)(q - p));
		}
		part++;
		p = q + sizeof(sep) - 1;
	}
	snprintf(spec, sizeof(spec), "oci:%s", root);
	if (gth_oci_src_open(&s, spec, NULL) == 0) {
		walk(s, gth_oci_src_root(s), 0);
		gth_oci_src_close(s);
	}
	snprintf(name, sizeof(name), "%s/blobs/sha256", root);
	gth_remove_tree(name, NULL);
	gth_mkdir_p(name, 0700, NULL);
	return 0;
}
