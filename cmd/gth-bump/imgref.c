#include "imgref.h"

#include <stdlib.h>
#include <string.h>

#include "gth/buf.h"
#include "gth/ref.h"

void bump_ref_release(struct bump_ref *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->tag);
	free(r->digest);
	r->name = r->tag = r->digest = NULL;
}

size_t bump_ref_repo_len(const char *s)
{
	size_t at = strcspn(s, "@");
	size_t slash = 0, i;

	for (i = 0; i < at; i++)
		if (s[i] == '/')
			slash = i + 1;
	for (i = slash; i < at; i++)
		if (s[i] == ':')
			return i;
	return at;
}

int bump_ref_parse(struct bump_ref *r, const char *s, struct gth_error *err)
{
	struct gth_ref ref = GTH_REF_INIT;
	struct gth_buf name = GTH_BUF_INIT;
	int rc = -1;

	bump_ref_release(r);
	if (gth_ref_parse(&ref, s, err) < 0)
		return -1;
	if (gth_ref_format_name(&name, &ref) < 0)
		goto oom;
	r->name = gth_buf_detach(&name);
	r->tag = ref.tag;
	r->digest = ref.digest;
	ref.tag = ref.digest = NULL;
	if (!r->name)
		goto oom;
	rc = 0;
	goto done;
oom:
	gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
done:
	if (rc < 0)
		bump_ref_release(r);
	gth_ref_release(&ref);
	return rc;
}
