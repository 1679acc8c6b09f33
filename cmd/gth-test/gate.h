/* Gates: the commands gth-test runs, from test.gates in gth.yaml or detected from
 * the project's files. */
#ifndef GTH_TEST_GATE_H
#define GTH_TEST_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "gth/config.h"
#include "gth/error.h"

#define GATE_DEFAULT_TIMEOUT_MS (30 * 60 * 1000)

struct gate {
	char *name;
	char *run;          /* a shell command (sh -c) */
	char *dir;          /* working directory, absolute */
	char **env;         /* "NAME=value", NULL-terminated; never NULL */
	int64_t timeout_ms; /* 0: the run's default */
	long retries;       /* -1: the run's default */
	char *junit;        /* glob of JUnit XML reports relative to dir, or NULL */
	char *tap;          /* glob of TAP files relative to dir, or NULL */
	int tap_output;     /* the gate's output is TAP */
	int allow_failure;
	const char *source; /* "gth.yaml:12" or "package.json" (static or in origins) */
};

/* Settings of the test section beside the gates; 0/-1 when not given. */
struct gate_defaults {
	int64_t timeout_ms;
	long retries;
	long jobs;
	int64_t grace_ms;
	size_t max_output;
};

struct gate_list {
	struct gate *v;
	size_t n;
	char *root;         /* the project root: the folder of gth.yaml or the current one */
	char *origin;       /* where the gates came from: "gth.yaml" or "detected" */
	char **sources;     /* strings that gate.source points into */
	size_t nsources;
	struct gate_defaults defaults;
};

#define GATE_LIST_INIT { NULL, 0, NULL, NULL, NULL, 0, { 0, -1, 0, 0, 0 } }

void gate_list_release(struct gate_list *l);

/* Gates from the test section of a loaded gth.yaml. 1 when the section defines
 * gates, 0 when it has none (defaults may still be set), -1 with a 78 error naming
 * file, line and key ("gth.yaml:12: test.gates[1].timeout: expected a duration
 * like 5m"). */
int gates_from_config(struct gate_list *l, const struct gth_config *cfg,
		      struct gth_error *err);
/* Gates detected in root: package.json scripts test and lint, a Makefile check or
 * test target, CMakeLists.txt (ctest), go.mod, Cargo.toml, pyproject.toml/pytest.
 * Returns the number found, or -1 (65 for an unreadable package.json). */
int gates_detect(struct gate_list *l, const char *root, struct gth_error *err);

/* Keep only the gates named in names (n of them); 64 error for an unknown name. */
int gates_select(struct gate_list *l, const char *const *names, size_t n,
		 struct gth_error *err);

#endif
