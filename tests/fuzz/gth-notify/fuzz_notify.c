/* gth-notify: events into the message model and every rendering, Slack's limits
 * checked on the result; the same bytes as a template. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gth/json.h"
#include "notify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t text_len(const cJSON *obj)
{
	return notify_utf8_len(gth_json_str(gth_json_obj(obj, "text"), "text"));
}

/* Abort when a rendering breaks one of Slack's documented limits. */
static void check_slack(const cJSON *msg)
{
	const cJSON *blocks = gth_json_arr(msg, "blocks");
	const cJSON *att = cJSON_GetArrayItem(gth_json_arr(msg, "attachments"), 0);
	const cJSON *b, *f;
	int n = cJSON_GetArraySize(blocks) + cJSON_GetArraySize(gth_json_arr(att, "blocks"));

	if (n > NOTIFY_SLACK_BLOCKS_MAX || text_len(cJSON_GetArrayItem(blocks, 0)) > NOTIFY_SLACK_HEADER_MAX ||
	    notify_utf8_len(gth_json_str(msg, "text")) > NOTIFY_SLACK_TEXT_MAX)
		abort();
	cJSON_ArrayForEach(b, gth_json_arr(att, "blocks")) {
		if (gth_json_obj(b, "text") && text_len(b) > NOTIFY_SLACK_SECTION_MAX)
			abort();
		if (cJSON_GetArraySize(gth_json_arr(b, "fields")) > NOTIFY_SLACK_FIELDS_MAX)
			abort();
		cJSON_ArrayForEach(f, gth_json_arr(b, "fields"))
			if (notify_utf8_len(gth_json_str(f, "text")) > NOTIFY_SLACK_FIELD_MAX)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct notify_input in;
	struct notify_msg msg;
	struct gth_error err = GTH_ERROR_INIT;
	const char *fields[] = { "k=v" };
	const char *from[1];
	char path[64];
	cJSON *out = NULL;
	int fd = memfd_create("notify", 0);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	from[0] = path;
	memset(&in, 0, sizeof(in));
	in.from = from;
	in.nfrom = 1;
	if (notify_msg_build(&msg, &in, &err) == 0) {
		if (notify_render_slack(&out, &msg, &err) == 0)
			check_slack(out);
		cJSON_Delete(out);
		out = NULL;
		notify_render_teams(&out, &msg, &err);
		cJSON_Delete(out);
		out = NULL;
		notify_render_discord(&out, &msg, &err);
		cJSON_Delete(out);
		out = NULL;
		notify_render_webhook(&out, &msg, &err);
		cJSON_Delete(out);
		out = NULL;
	}
	notify_msg_release(&msg);

	/* the input as a template over a message without events */
	memset(&in, 0, sizeof(in));
	in.status = "failure";
	in.title = "fuzz";
	in.fields = fields;
	in.nfields = 1;
	if (notify_msg_build(&msg, &in, &err) == 0) {
		notify_render_template(&out, path, &msg, &err);
		cJSON_Delete(out);
	}
	notify_msg_release(&msg);
	close(fd);
	return 0;
}
