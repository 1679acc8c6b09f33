/* lib/yaml: the node tree reader, with the typed getters over whatever it built. */
#include <stdint.h>
#include <string.h>

#include "gth/yaml.h"

static void walk(const struct gth_node *n, int depth)
{
	size_t i;
	int64_t ms;
	long l;
	int b;
	const char *s;

	if (!n || depth > 64)
		return;
	if (n->kind == GTH_NODE_MAP) {
		for (i = 0; i < n->n; i++) {
			gth_node_get_duration(n, n->keys[i], &ms, 78, NULL);
			gth_node_get_long(n, n->keys[i], 0, 100, &l, 78, NULL);
			gth_node_get_bool(n, n->keys[i], &b, 78, NULL);
			gth_node_get_str(n, n->keys[i], &s, 78, NULL);
		}
	}
	for (i = 0; i < n->n; i++)
		walk(n->items[i], depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gth_yaml_doc d = GTH_YAML_DOC_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	size_t i;

	if (gth_yaml_parse(&d, (const char *)data, size, "fuzz.yaml", &err) == 0) {
		for (i = 0; i < d.ndocs; i++)
			walk(d.docs[i], 0);
		gth_node_path(gth_yaml_root(&d), "test.gates");
	}
	gth_yaml_doc_release(&d);
	return 0;
}
