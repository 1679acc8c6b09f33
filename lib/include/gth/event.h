/* The gth.event/v1 JSON event: the one thing a tool writes to stdout with --json,
 * and what gth-bump, gth-rollback and gth-notify read from another tool.
 *
 * {"schema":"gth.event/v1","tool":...,"status":success|failure|inconclusive|error,
 *  "exit":N,"app":...,"summary":...,"git":{"sha","ref","repo"},"run":{"url"},
 *  "started_at":RFC3339,"duration_ms":N,"data":{...}}
 *
 * git comes from GITHUB_SHA, GITHUB_REF and GITHUB_REPOSITORY when set, else from
 * the git repository of the current directory; run.url from GITHUB_SERVER_URL,
 * GITHUB_REPOSITORY and GITHUB_RUN_ID. */
#ifndef GTH_EVENT_H
#define GTH_EVENT_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include "error.h"

#define GTH_EVENT_SCHEMA "gth.event/v1"

struct gth_event {
	cJSON *root;
	cJSON *data;          /* the "data" object, owned by root; tools fill it */
	int64_t started_ms;   /* monotonic */
	long long started_wall;
};

#define GTH_EVENT_INIT { NULL, NULL, 0, 0 }

int gth_event_begin(struct gth_event *ev, const char *tool);
void gth_event_set_app(struct gth_event *ev, const char *app);
void gth_event_set_summary(struct gth_event *ev, const char *fmt, ...) GTH_PRINTF(2, 3);
/* Set exit, status and duration_ms. */
void gth_event_finish(struct gth_event *ev, int exit);
/* Write the event as one line of JSON followed by a newline. */
int gth_event_write(struct gth_event *ev, FILE *out, struct gth_error *err);
void gth_event_release(struct gth_event *ev);
/* The end of every run: when write_event (the tool's --json), finish ev with rc and
 * write it to stdout; then flush stdout, where a full disk or a closed pipe shows.
 * A failure is reported (gth_fail) and becomes the status when rc was 0; an earlier
 * failure's status is kept. ev may be NULL (no event was begun). Returns the status. */
int gth_event_end(struct gth_event *ev, int write_event, int rc);

/* Read events from a file or "-" (stdin): one JSON object, a JSON array of objects,
 * or JSON lines. Each must carry schema gth.event/v1 (65 otherwise, naming the line).
 * *out is a cJSON array the caller deletes. Missing file 66. */
int gth_event_read(cJSON **out, const char *path, struct gth_error *err);

#endif
