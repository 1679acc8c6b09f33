/* cJSON helpers: parsing with file:line errors and typed getters. */
#ifndef GTH_JSON_H
#define GTH_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include "error.h"

/* Parse JSON; on failure a 65 error "NAME:LINE:COL: invalid JSON". */
int gth_json_parse(cJSON **out, const char *text, size_t len, const char *name,
		   struct gth_error *err);
/* Read and parse a file ("-" is stdin); at most max bytes (0: 64 MiB). */
int gth_json_parse_file(cJSON **out, const char *path, size_t max, struct gth_error *err);

/* Members by key; NULL when absent or of another type. Keys are case-sensitive. */
const char *gth_json_str(const cJSON *obj, const char *key);
const cJSON *gth_json_obj(const cJSON *obj, const char *key);
const cJSON *gth_json_arr(const cJSON *obj, const char *key);
/* Number member or def. */
double gth_json_num(const cJSON *obj, const char *key, double def);
/* Follow a dotted path of object keys ("metadata.name"); NULL when absent. */
const cJSON *gth_json_path(const cJSON *obj, const char *dotted);

/* Compact serialisation; malloc'd. */
char *gth_json_print(const cJSON *item);

#endif
