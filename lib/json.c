#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gth/buf.h"
#include "gth/json.h"

int gth_json_parse(cJSON **out, const char *text, size_t len, const char *name,
		   struct gth_error *err)
{
	const char *end = NULL;
	cJSON *j;

	*out = NULL;
	j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!j) {
		const char *p;
		int line = 1, col = 1;

		if (!end || end < text || end > text + len)
			end = text + len;
		for (p = text; p < end; p++) {
			if (*p == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		if (len == 0 || end >= text + len)
			return gth_error_set(err, GTH_EXIT_DATAERR,
					     "%s:%d:%d: invalid JSON (truncated)", name, line, col);
		return gth_error_set(err, GTH_EXIT_DATAERR, "%s:%d:%d: invalid JSON", name, line,
				     col);
	}
	/* Trailing garbage after the value is an error too. */
	if (end) {
		const char *p = end;

		while (p < text + len && strchr(" \t\r\n", *p))
			p++;
		if (p < text + len && *p) {
			cJSON_Delete(j);
			return gth_error_set(err, GTH_EXIT_DATAERR,
					     "%s: invalid JSON: trailing data after the value", name);
		}
	}
	*out = j;
	return 0;
}

int gth_json_parse_file(cJSON **out, const char *path, size_t max, struct gth_error *err)
{
	struct gth_buf b = GTH_BUF_INIT;
	const char *name = path;
	int r;

	if (!max)
		max = 64u << 20;
	if (!strcmp(path, "-")) {
		name = "<stdin>";
		r = gth_buf_read_fd(&b, STDIN_FILENO, name, max, err);
	} else {
		r = gth_buf_read_file(&b, path, max, err);
	}
	if (r == 0)
		r = gth_json_parse(out, gth_buf_cstr(&b), b.len, name, err);
	gth_buf_release(&b);
	return r;
}

const char *gth_json_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const cJSON *gth_json_obj(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsObject(v) ? v : NULL;
}

const cJSON *gth_json_arr(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsArray(v) ? v : NULL;
}

double gth_json_num(const cJSON *obj, const char *key, double def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(v) ? v->valuedouble : def;
}

const cJSON *gth_json_path(const cJSON *obj, const char *dotted)
{
	const char *p = dotted;

	while (obj && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char key[256];

		if (n >= sizeof(key) || !cJSON_IsObject(obj))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		obj = cJSON_GetObjectItemCaseSensitive(obj, key);
		p += n;
		if (*p == '.')
			p++;
	}
	return obj;
}

char *gth_json_print(const cJSON *item)
{
	return cJSON_PrintUnformatted(item);
}
