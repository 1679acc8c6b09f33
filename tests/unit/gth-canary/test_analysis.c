/* Argo's decisions, table-driven: measurement phases (EvaluateResult), metric
 * phases (assessMetricStatus), value formatting, Rollout phases and promote
 * patches, Application sync. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "canary.h"
#include "gth/util.h"

static void test_format_go_float(void **state)
{
	static const struct { double f; const char *s; } cases[] = {
		{ 0.999, "0.999" }, { 0.95, "0.95" }, { 1, "1" }, { 100, "100" }, { 1e21, "1000000000000000000000" },
		{ 0.1 + 0.2, "0.30000000000000004" }, { 1e-7, "0.0000001" }, { -2.5, "-2.5" },
		{ 123456.789, "123456.789" }, { 0, "0" },
	};
	char buf[64];
	size_t i;
	(void)state;
	for (i = 0; i < GTH_ARRAY_SIZE(cases); i++) {
		format_go_float(buf, sizeof(buf), cases[i].f);
		assert_string_equal(buf, cases[i].s);
	}
	format_go_float(buf, sizeof(buf), NAN);
	assert_string_equal(buf, "NaN");
	format_go_float(buf, sizeof(buf), INFINITY);
	assert_string_equal(buf, "+Inf");
	format_go_float(buf, sizeof(buf), -INFINITY);
	assert_string_equal(buf, "-Inf");
}

static void test_evaluate_result(void **state)
{
	static const struct { const char *ok, *bad; double v; enum phase want; } cases[] = {
		{ NULL, NULL, 0.5, PH_SUCCESSFUL },
		{ "result > 0.9", NULL, 0.95, PH_SUCCESSFUL },
		{ "result > 0.9", NULL, 0.5, PH_FAILED },
		{ NULL, "result < 0.9", 0.5, PH_FAILED },
		{ NULL, "result < 0.9", 0.95, PH_SUCCESSFUL },
		{ "result > 0.9", "result < 0.5", 0.7, PH_INCONCLUSIVE },
		{ "result > 0.9", "result < 0.5", 0.3, PH_FAILED },
		{ "result > 0.1", "result < 0.5", 0.3, PH_FAILED },  /* failure wins */
		{ "result[0] > 0.9", NULL, 0.95, PH_ERROR },
		{ "result > 0.9", "result > 0.5", NAN, PH_INCONCLUSIVE },
	};
	size_t i;
	char msg[128];
	(void)state;
	for (i = 0; i < GTH_ARRAY_SIZE(cases); i++) {
		struct metric m;
		struct xv r = xv_float(cases[i].v);
		char *message = NULL;
		memset(&m, 0, sizeof(m));
		if (cases[i].ok)
			assert_int_equal(expr_compile(&m.success, cases[i].ok, msg, sizeof(msg)), 0);
		if (cases[i].bad)
			assert_int_equal(expr_compile(&m.failure, cases[i].bad, msg, sizeof(msg)), 0);
		assert_int_equal(evaluate_result(&m, &r, &message), cases[i].want);
		assert_true((message != NULL) == (cases[i].want == PH_ERROR));
		free(message);
		expr_free(m.success);
		expr_free(m.failure);
	}
}

/* A metric result from a phase string: S F I E, one letter a measurement. */
static void make_result(struct metric_result *r, struct measurement *ms, const char *seq)
{
	size_t i;
	memset(r, 0, sizeof(*r));
	r->m = ms;
	for (i = 0; seq[i]; i++) {
		memset(&ms[i], 0, sizeof(ms[i]));
		switch (seq[i]) {
		case 'S': ms[i].phase = PH_SUCCESSFUL; r->successful++; r->count++; r->consecutive_error = 0; r->consecutive_success++; break;
		case 'F': ms[i].phase = PH_FAILED; r->failed++; r->count++; r->consecutive_error = 0; r->consecutive_success = 0; break;
		case 'I': ms[i].phase = PH_INCONCLUSIVE; r->inconclusive++; r->count++; r->consecutive_error = 0; r->consecutive_success = 0; break;
		default: ms[i].phase = PH_ERROR; r->error++; r->consecutive_error++; r->consecutive_success = 0; break;
		}
		r->n++;
	}
	r->phase = r->n ? PH_RUNNING : PH_PENDING;
}

static void test_assess_metric(void **state)
{
	static const struct {
		long count, failure_limit, inconclusive_limit, error_limit, success_limit;
		int interval, terminating;
		const char *seq;
		enum phase want;
	} cases[] = {
		/* count fl il el csl interval term */
		{ -1, 0, 0, 4, 0, 0, 0, "", PH_PENDING },
		{ -1, 0, 0, 4, 0, 0, 1, "", PH_SUCCESSFUL },
		{ -1, 0, 0, 4, 0, 0, 0, "S", PH_SUCCESSFUL },          /* no interval: count 1 */
		{ -1, 0, 0, 4, 0, 0, 0, "F", PH_FAILED },
		{ -1, 0, 0, 4, 0, 0, 0, "I", PH_INCONCLUSIVE },
		{ -1, 0, 0, 4, 0, 0, 0, "E", PH_RUNNING },             /* errors do not count */
		{ -1, 0, 0, 4, 0, 0, 0, "EEEEE", PH_ERROR },
		{ -1, 0, 0, 4, 0, 0, 0, "EEEES", PH_SUCCESSFUL },
		{ -1, 0, 0, 4, 0, 1, 0, "SSSS", PH_RUNNING },          /* interval, no count: forever */
		{ -1, 0, 0, 4, 0, 1, 1, "SSSS", PH_SUCCESSFUL },
		{ 5, 1, 0, 4, 0, 1, 0, "SF", PH_RUNNING },
		{ 5, 1, 0, 4, 0, 1, 0, "SFF", PH_FAILED },
		{ 5, 1, 0, 4, 0, 1, 0, "SFSSS", PH_SUCCESSFUL },
		{ 3, -1, 0, 4, 0, 1, 0, "FFF", PH_SUCCESSFUL },        /* failureLimit -1 */
		{ 5, 0, 1, 4, 0, 1, 0, "SII", PH_INCONCLUSIVE },
		{ 5, 3, 0, 4, 0, 1, 0, "FI", PH_INCONCLUSIVE },       /* inconclusive over failed */
		{ 5, 0, 5, 1, 0, 1, 0, "IEE", PH_ERROR },             /* error over inconclusive */
		{ 5, 0, 0, 4, 2, 1, 0, "SS", PH_SUCCESSFUL },         /* consecutiveSuccessLimit */
		{ 5, 2, 0, 4, 2, 1, 0, "SFS", PH_RUNNING },
		{ 3, 2, 0, 4, 2, 1, 0, "SFS", PH_INCONCLUSIVE },      /* both apply, count reached */
		{ 3, -1, 0, 4, 2, 1, 0, "SFS", PH_FAILED },           /* only success applies */
		{ 3, -1, 0, 4, 2, 1, 0, "SFSS", PH_SUCCESSFUL },
		{ 5, 0, 0, 4, 0, 1, 1, "SS", PH_SUCCESSFUL },         /* terminated before count */
		{ 5, 0, 0, 4, 0, 1, 1, "SF", PH_FAILED },
	};
	struct measurement ms[16];
	size_t i;
	(void)state;
	for (i = 0; i < GTH_ARRAY_SIZE(cases); i++) {
		struct metric m;
		struct metric_result r;
		char *msg = NULL;
		enum phase p;
		memset(&m, 0, sizeof(m));
		m.count = cases[i].count;
		m.failure_limit = cases[i].failure_limit;
		m.inconclusive_limit = cases[i].inconclusive_limit;
		m.consecutive_error_limit = cases[i].error_limit;
		m.consecutive_success_limit = cases[i].success_limit;
		m.interval_ms = cases[i].interval ? 1000 : 0;
		make_result(&r, ms, cases[i].seq);
		p = assess_metric(&m, &r, cases[i].terminating, &msg);
		if (p != cases[i].want)
			fail_msg("case %zu (%s): %s, expected %s", i, cases[i].seq, phase_name(p),
				 phase_name(cases[i].want));
		free(msg);
	}
}

static void test_failure_message(void **state)
{
	struct metric m;
	struct metric_result r;
	struct measurement ms[4];
	char *msg = NULL;
	(void)state;
	memset(&m, 0, sizeof(m));
	m.count = 5;
	m.failure_limit = 1;
	m.consecutive_error_limit = 4;
	m.interval_ms = 1000;
	make_result(&r, ms, "FF");
	assert_int_equal(assess_metric(&m, &r, 0, &msg), PH_FAILED);
	assert_string_equal(msg, "failed (2) > failureLimit (1)");
	free(msg);
}

static cJSON *rollout(const char *json)
{
	cJSON *j = cJSON_Parse(json);
	assert_non_null(j);
	return j;
}

static void test_rollout_phase(void **state)
{
	static const struct { const char *json; const char *phase, *message; long weight; int approval; } cases[] = {
		{ "{\"metadata\":{\"generation\":2},\"status\":{\"observedGeneration\":\"1\",\"phase\":\"Healthy\"}}",
		  "Progressing", "waiting for rollout spec update to be observed", 0, 0 },
		{ "{\"metadata\":{\"generation\":2},\"status\":{\"observedGeneration\":\"abc123\",\"phase\":\"Healthy\"}}",
		  "Healthy", "", 0, 0 },
		{ "{\"metadata\":{\"generation\":1},\"status\":{\"observedGeneration\":\"1\",\"controllerPause\":true,\"phase\":\"Paused\"}}",
		  "Progressing", "waiting for rollout to unpause", 0, 0 },
		{ "{\"spec\":{\"strategy\":{\"canary\":{\"steps\":[{\"setWeight\":20},{\"pause\":{}},{\"setWeight\":60},{\"pause\":{\"duration\":\"1m\"}}]}}},"
		  "\"status\":{\"phase\":\"Paused\",\"message\":\"CanaryPauseStep\",\"currentStepIndex\":1,\"pauseConditions\":[{\"reason\":\"CanaryPauseStep\"}]}}",
		  "Paused", "CanaryPauseStep", 20, 1 },
		{ "{\"spec\":{\"strategy\":{\"canary\":{\"steps\":[{\"setWeight\":20},{\"pause\":{}},{\"setWeight\":60},{\"pause\":{\"duration\":\"1m\"}}]}}},"
		  "\"status\":{\"phase\":\"Paused\",\"message\":\"CanaryPauseStep\",\"currentStepIndex\":3,\"pauseConditions\":[{\"reason\":\"CanaryPauseStep\"}]}}",
		  "Paused", "CanaryPauseStep", 60, 0 },
		{ "{\"spec\":{\"paused\":true,\"strategy\":{\"canary\":{\"steps\":[{\"setWeight\":20}]}}},\"status\":{\"currentStepIndex\":0}}",
		  "Paused", "manually paused", 20, 1 },
		{ "{\"spec\":{\"strategy\":{\"canary\":{\"steps\":[{\"setWeight\":20}]}}},\"status\":{\"conditions\":[{\"type\":\"Progressing\",\"reason\":\"RolloutAborted\",\"message\":\"metric failed\"}],\"abort\":true}}",
		  "Degraded", "RolloutAborted: metric failed", 0, 0 },
		{ "{\"spec\":{\"replicas\":2,\"strategy\":{\"canary\":{\"steps\":[{\"setWeight\":20}]}}},\"status\":{\"replicas\":2,\"updatedReplicas\":2,\"availableReplicas\":2,\"stableRS\":\"a\",\"currentPodHash\":\"a\",\"currentStepIndex\":1}}",
		  "Healthy", "", 100, 0 },
		{ "{\"spec\":{\"replicas\":2,\"strategy\":{\"canary\":{\"steps\":[{\"setWeight\":20}]}}},\"status\":{\"replicas\":3,\"updatedReplicas\":2,\"availableReplicas\":2,\"stableRS\":\"a\",\"currentPodHash\":\"b\",\"currentStepIndex\":1}}",
		  "Progressing", "old replicas are pending termination", 100, 0 },
		{ "{\"spec\":{\"replicas\":2,\"strategy\":{\"canary\":{\"steps\":[{\"setWeight\":20}]}}},\"status\":{\"replicas\":2,\"updatedReplicas\":1,\"availableReplicas\":1,\"currentStepIndex\":0}}",
		  "Progressing", "more replicas need to be updated", 20, 0 },
		{ "{\"status\":{\"phase\":\"Progressing\",\"canary\":{\"weights\":{\"canary\":{\"weight\":35}}}}}",
		  "Progressing", "", 35, 0 },
	};
	size_t i;
	(void)state;
	for (i = 0; i < GTH_ARRAY_SIZE(cases); i++) {
		cJSON *j = rollout(cases[i].json);
		struct ro_info ri;
		ro_info_from(&ri, j);
		print_message("case %zu\n", i);
		assert_string_equal(ri.phase, cases[i].phase);
		assert_string_equal(ri.message, cases[i].message);
		assert_int_equal(ri.weight, cases[i].weight);
		assert_int_equal(ri.waits_for_approval, cases[i].approval);
		cJSON_Delete(j);
	}
}

static void test_promote_patches(void **state)
{
	static const struct { const char *json; int full; const char *spec, *status, *unified; } cases[] = {
		{ "{\"spec\":{\"strategy\":{\"canary\":{\"steps\":[{\"pause\":{}}]}}},\"status\":{\"pauseConditions\":[{\"reason\":\"CanaryPauseStep\"}]}}", 0,
		  NULL, "{\"status\":{\"pauseConditions\":null}}", "{\"spec\":{\"paused\":false},\"status\":{\"pauseConditions\":null}}" },
		{ "{\"spec\":{\"paused\":true,\"strategy\":{\"canary\":{\"steps\":[{\"setWeight\":1},{\"analysis\":{}}]}}},\"status\":{\"currentStepIndex\":1}}", 0,
		  "{\"spec\":{\"paused\":false}}", "{\"status\":{\"currentStepIndex\":2}}",
		  "{\"spec\":{\"paused\":false},\"status\":{\"pauseConditions\":null,\"currentStepIndex\":2}}" },
		{ "{\"spec\":{\"strategy\":{\"canary\":{\"steps\":[{\"setWeight\":1}]}}},\"status\":{\"currentStepIndex\":1}}", 0,
		  NULL, "{\"status\":{\"currentStepIndex\":1}}",
		  "{\"spec\":{\"paused\":false},\"status\":{\"pauseConditions\":null,\"currentStepIndex\":1}}" },
		{ "{\"spec\":{\"strategy\":{\"blueGreen\":{}}},\"status\":{}}", 0,
		  NULL, NULL, "{\"spec\":{\"paused\":false},\"status\":{\"pauseConditions\":null}}" },
		{ "{\"status\":{\"currentPodHash\":\"b\",\"stableRS\":\"a\"}}", 1, NULL, "{\"status\":{\"promoteFull\":true}}", NULL },
		{ "{\"status\":{\"currentPodHash\":\"a\",\"stableRS\":\"a\"}}", 1, NULL, NULL, NULL },
	};
	size_t i;
	(void)state;
	for (i = 0; i < GTH_ARRAY_SIZE(cases); i++) {
		cJSON *j = rollout(cases[i].json);
		char *sp, *st, *un;
		ro_promote_patches(j, cases[i].full, &sp, &st, &un);
		print_message("case %zu\n", i);
		if (cases[i].spec) assert_string_equal(sp, cases[i].spec); else assert_null(sp);
		if (cases[i].status) assert_string_equal(st, cases[i].status); else assert_null(st);
		if (cases[i].unified) assert_string_equal(un, cases[i].unified); else assert_null(un);
		free(sp);
		free(st);
		free(un);
		cJSON_Delete(j);
	}
}

static void test_app_synced(void **state)
{
	static const struct { const char *json; const char *rev; int want; } cases[] = {
		{ "{\"status\":{\"sync\":{\"status\":\"Synced\",\"revision\":\"abcdef1234567\"}}}", "abcdef1", 1 },
		{ "{\"status\":{\"sync\":{\"status\":\"Synced\",\"revision\":\"abcdef1234567\"}}}", "abcdef", 0 },
		{ "{\"status\":{\"sync\":{\"status\":\"Synced\",\"revision\":\"abcdef1234567\"}}}", "1234567", 0 },
		{ "{\"status\":{\"sync\":{\"status\":\"OutOfSync\",\"revision\":\"abcdef1234567\"}}}", "abcdef1", 0 },
		{ "{\"status\":{\"sync\":{\"status\":\"Synced\",\"revision\":\"abcdef1234567\"},\"operationState\":{\"phase\":\"Running\"}}}", "abcdef1", 0 },
		{ "{\"status\":{\"sync\":{\"status\":\"Synced\",\"revisions\":[\"abcdef1234567\"]},\"operationState\":{\"phase\":\"Succeeded\",\"syncResult\":{\"revision\":\"abcdef1234567\"}}}}", "abcdef1", 1 },
		{ "{\"status\":{\"sync\":{\"status\":\"OutOfSync\"},\"operationState\":{\"phase\":\"Failed\",\"syncResult\":{\"revision\":\"abcdef1234567\"}}}}", "abcdef1", -1 },
		{ "{\"status\":{\"sync\":{\"status\":\"OutOfSync\"},\"operationState\":{\"phase\":\"Error\",\"operation\":{\"sync\":{\"revision\":\"abcdef1234567\"}}}}}", "abcdef1234567", -1 },
		{ "{\"metadata\":{\"annotations\":{\"argocd.argoproj.io/refresh\":\"normal\"}},\"status\":{\"sync\":{\"status\":\"Synced\",\"revision\":\"abcdef1234567\"}}}", "abcdef1", 0 },
		{ "{\"status\":{\"sync\":{\"status\":\"Synced\",\"revision\":\"x\"}}}", NULL, 1 },
	};
	size_t i;
	(void)state;
	for (i = 0; i < GTH_ARRAY_SIZE(cases); i++) {
		cJSON *j = rollout(cases[i].json);
		struct gth_argo_app ai;
		gth_argo_app_from(&ai, j);
		print_message("case %zu\n", i);
		assert_int_equal(gth_argo_app_synced(&ai, cases[i].rev), cases[i].want);
		cJSON_Delete(j);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_go_float), cmocka_unit_test(test_evaluate_result),
		cmocka_unit_test(test_assess_metric), cmocka_unit_test(test_failure_message),
		cmocka_unit_test(test_rollout_phase), cmocka_unit_test(test_promote_patches),
		cmocka_unit_test(test_app_synced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
