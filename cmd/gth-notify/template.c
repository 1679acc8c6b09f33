/* Template files: the user's own JSON body with {{placeholders}}. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "gth/json.h"
#include "notify.h"

/* Expand the placeholders of one string into out. */
static int expand(struct gth_buf *out, const char *s, const struct notify_msg *msg,
		  const char *path, struct gth_error *err)
{
	const char *p = s, *open, *close;

	while ((open = strstr(p, "{{")) != NULL) {
		const char *a, *z;
		char *name, *val;
		int known;

		close = strstr(open + 2, "}}");
		if (!close)
			break;
		if (gth_buf_put(out, p, (size_t)(open - p)) < 0)
			goto oom;
		for (a = open + 2; a < close && isspace((unsigned char)*a); a++)
			;
		for (z = close; z > a && isspace((unsigned char)z[-1]); z--)
			;
		name = strndup(a, (size_t)(z - a));
		if (!name)
			goto oom;
		val = notify_template_var(msg, name, &known);
		if (!known) {
			gth_error_set(err, GTH_EXIT_DATAERR, "%s: unknown placeholder '{{%s}}'", path, name);
			free(name);
			return -1;
		}
		free(name);
		if (!val || gth_buf_puts(out, val) < 0) {
			free(val);
			goto oom;
		}
		free(val);
		p = close + 2;
	}
	if (gth_buf_puts(out, p) < 0)
		goto oom;
	return 0;
oom:
	return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
}

/* Put repl where child was in parent, under the same key. */
static int replace_item(cJSON *parent, cJSON *child, cJSON *repl)
{
	if (!repl)
		return -1;
	if (child->string) {
		repl->string = strdup(child->string);
		if (!repl->string) {
			cJSON_Delete(repl);
			return -1;
		}
		repl->type &= ~cJSON_StringIsConst;
	}
	if (!cJSON_ReplaceItemViaPointer(parent, child, repl)) {
		cJSON_Delete(repl);
		return -1;
	}
	return 0;
}

static int walk(cJSON *node, const struct notify_msg *msg, const char *path, struct gth_error *err)
{
	cJSON *child, *next;

	for (child = node->child; child; child = next) {
		next = child->next;
		if (cJSON_IsString(child)) {
			struct gth_buf b = GTH_BUF_INIT;
			const char *v = child->valuestring;
			char *t = strdup(v), *a = t, *z;

			if (!t)
				return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
			while (isspace((unsigned char)*a))
				a++;
			z = a + strlen(a);
			while (z > a && isspace((unsigned char)z[-1]))
				*--z = '\0';
			if (strncmp(a, "{{", 2) == 0 && z - a >= 4 && strcmp(z - 2, "}}") == 0) {
				char *inner = a + 2;
				z[-2] = '\0';
				while (isspace((unsigned char)*inner))
					inner++;
				for (z = inner + strlen(inner); z > inner && isspace((unsigned char)z[-1]);)
					*--z = '\0';
				if (strcmp(inner, "events") == 0) {
					free(t);
					if (replace_item(node, child, cJSON_Duplicate(msg->events, 1)) < 0)
						return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
					continue;
				}
			}
			free(t);
			if (expand(&b, v, msg, path, err) < 0) {
				gth_buf_release(&b);
				return -1;
			}
			if (replace_item(node, child, cJSON_CreateString(gth_buf_cstr(&b))) < 0) {
				gth_buf_release(&b);
				return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
			}
			gth_buf_release(&b);
		} else if (cJSON_IsObject(child) || cJSON_IsArray(child)) {
			if (walk(child, msg, path, err) < 0)
				return -1;
		}
	}
	return 0;
}

int notify_render_template(cJSON **out, const char *path, const struct notify_msg *msg,
			   struct gth_error *err)
{
	cJSON *root = NULL;

	*out = NULL;
	if (gth_json_parse_file(&root, path, 1 << 20, err) < 0)
		return -1;
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return gth_error_set(err, GTH_EXIT_DATAERR, "%s: a template must be a JSON object", path);
	}
	if (walk(root, msg, path, err) < 0) {
		cJSON_Delete(root);
		return -1;
	}
	*out = root;
	return 0;
}
