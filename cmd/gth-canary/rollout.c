/* Reading Rollouts and Applications as Argo's own tools do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canary.h"
#include "gth/json.h"
#include "gth/util.h"

static const char *str_or(const char *s, const char *def)
{
	return s ? s : def;
}

static int json_true(const cJSON *obj, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

static long json_long(const cJSON *obj, const char *key, long def)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsNumber(n) ? (long)n->valuedouble : def;
}

/* utils/rollout.isGenerationObserved: a non-numeric observedGeneration (v0.9 hash)
 * counts as observed. */
static int generation_observed(const cJSON *ro)
{
	const cJSON *og = cJSON_GetObjectItemCaseSensitive(gth_json_obj(ro, "status"),
							  "observedGeneration");
	long gen = json_long(gth_json_obj(ro, "metadata"), "generation", 0);
	long obs;
	if (cJSON_IsNumber(og))
		obs = (long)og->valuedouble;
	else if (!cJSON_IsString(og) || gth_parse_long(og->valuestring, 0, 1L << 62, &obs) < 0)
		return 1;
	return obs >= gen;
}

/* replicasetutil.GetCurrentSetWeight for a basic canary. */
static long steps_weight(const cJSON *steps, long idx, int aborted)
{
	long i, n = cJSON_GetArraySize(steps);
	if (aborted)
		return 0;
	if (idx >= n)
		return 100;
	for (i = idx; i >= 0; i--) {
		const cJSON *s = cJSON_GetArrayItem(steps, (int)i);
		const cJSON *w = cJSON_GetObjectItemCaseSensitive(s, "setWeight");
		if (cJSON_IsNumber(w))
			return (long)w->valuedouble;
	}
	return 0;
}

/* CalculateRolloutPhase, for controllers that leave status.phase empty. */
static void calculate_phase(struct ro_info *ri, const cJSON *ro)
{
	const cJSON *spec = gth_json_obj(ro, "spec"), *st = gth_json_obj(ro, "status");
	const cJSON *c, *pcs = gth_json_arr(st, "pauseConditions");
	long replicas = json_long(spec, "replicas", 1);
	cJSON_ArrayForEach(c, gth_json_arr(st, "conditions")) {
		const char *type = str_or(gth_json_str(c, "type"), "");
		const char *reason = str_or(gth_json_str(c, "reason"), "");
		const char *msg = str_or(gth_json_str(c, "message"), "");
		if (!strcmp(type, "InvalidSpec")) {
			gth_strlcpy(ri->phase, "Degraded", sizeof(ri->phase));
			snprintf(ri->message, sizeof(ri->message), "InvalidSpec: %s", msg);
			return;
		}
		if (!strcmp(reason, "RolloutAborted") || !strcmp(reason, "ProgressDeadlineExceeded")) {
			gth_strlcpy(ri->phase, "Degraded", sizeof(ri->phase));
			snprintf(ri->message, sizeof(ri->message), "%s: %s", reason, msg);
			return;
		}
	}
	if (json_true(spec, "paused")) {
		gth_strlcpy(ri->phase, "Paused", sizeof(ri->phase));
		gth_strlcpy(ri->message, "manually paused", sizeof(ri->message));
		return;
	}
	if (cJSON_GetArraySize(pcs) > 0) {
		gth_strlcpy(ri->phase, "Paused", sizeof(ri->phase));
		gth_strlcpy(ri->message, str_or(gth_json_str(cJSON_GetArrayItem(pcs, 0), "reason"), ""),
			    sizeof(ri->message));
		return;
	}
	gth_strlcpy(ri->phase, "Progressing", sizeof(ri->phase));
	if (json_long(st, "updatedReplicas", 0) < replicas) {
		gth_strlcpy(ri->message, "more replicas need to be updated", sizeof(ri->message));
		return;
	}
	if (json_long(st, "availableReplicas", 0) < json_long(st, "updatedReplicas", 0)) {
		gth_strlcpy(ri->message, "updated replicas are still becoming available",
			    sizeof(ri->message));
		return;
	}
	if (gth_json_obj(gth_json_obj(spec, "strategy"), "canary")) {
		const cJSON *canary = gth_json_obj(gth_json_obj(spec, "strategy"), "canary");
		if (!gth_json_obj(canary, "trafficRouting") &&
		    json_long(st, "replicas", 0) > json_long(st, "updatedReplicas", 0)) {
			gth_strlcpy(ri->message, "old replicas are pending termination",
				    sizeof(ri->message));
			return;
		}
		if (!ri->fully_promoted) {
			gth_strlcpy(ri->message, "waiting for all steps to complete", sizeof(ri->message));
			return;
		}
	}
	gth_strlcpy(ri->phase, "Healthy", sizeof(ri->phase));
	ri->message[0] = '\0';
}

void ro_info_from(struct ro_info *ri, const cJSON *ro)
{
	const cJSON *spec = gth_json_obj(ro, "spec"), *st = gth_json_obj(ro, "status");
	const cJSON *canary = gth_json_obj(gth_json_obj(spec, "strategy"), "canary");
	const cJSON *steps = gth_json_arr(canary, "steps");
	const cJSON *weights = gth_json_obj(gth_json_obj(st, "canary"), "weights");
	const cJSON *ar, *pcs = gth_json_arr(st, "pauseConditions");
	const char *cur = gth_json_str(st, "currentPodHash");
	const char *stable = gth_json_str(st, "stableRS");
	const char *rev = gth_json_str(gth_json_obj(gth_json_obj(ro, "metadata"), "annotations"),
				       "rollout.argoproj.io/revision");
	memset(ri, 0, sizeof(*ri));
	ri->aborted = json_true(st, "abort");
	ri->fully_promoted = cur && stable && !strcmp(cur, stable);
	gth_strlcpy(ri->revision, str_or(rev, ""), sizeof(ri->revision));
	ri->steps = canary ? cJSON_GetArraySize(steps) : -1;
	ri->step = canary ? json_long(st, "currentStepIndex", 0) : -1;
	if (ri->steps >= 0 && ri->step > ri->steps)
		ri->step = ri->steps;

	if (!generation_observed(ro)) {
		gth_strlcpy(ri->phase, "Progressing", sizeof(ri->phase));
		gth_strlcpy(ri->message, "waiting for rollout spec update to be observed",
			    sizeof(ri->message));
	} else if (json_true(st, "controllerPause") && cJSON_GetArraySize(pcs) == 0) {
		gth_strlcpy(ri->phase, "Progressing", sizeof(ri->phase));
		gth_strlcpy(ri->message, "waiting for rollout to unpause", sizeof(ri->message));
	} else if (gth_json_str(st, "phase") && *gth_json_str(st, "phase")) {
		gth_strlcpy(ri->phase, gth_json_str(st, "phase"), sizeof(ri->phase));
		gth_strlcpy(ri->message, str_or(gth_json_str(st, "message"), ""), sizeof(ri->message));
	} else {
		calculate_phase(ri, ro);
	}
	if (ri->aborted && strcmp(ri->phase, "Degraded") != 0 &&
	    generation_observed(ro)) {
		/* the controller sets Degraded with the abort; an abort it has not
		 * reported yet is still an abort */
		gth_strlcpy(ri->phase, "Degraded", sizeof(ri->phase));
		if (!ri->message[0])
			gth_strlcpy(ri->message, "RolloutAborted", sizeof(ri->message));
	}
	ri->paused = !strcmp(ri->phase, "Paused");

	if (weights && cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(gth_json_obj(weights, "canary"), "weight")))
		ri->weight = json_long(gth_json_obj(weights, "canary"), "weight", 0);
	else if (canary)
		ri->weight = ri->fully_promoted && ri->step >= ri->steps ? 100
			     : steps_weight(steps, ri->step, ri->aborted);
	else
		ri->weight = ri->fully_promoted ? 100 : 0;
	if (ri->aborted)
		ri->weight = 0;
	ri->stable_weight = 100 - ri->weight;

	ar = gth_json_obj(gth_json_obj(st, "canary"), "currentStepAnalysisRunStatus");
	if (!gth_json_str(ar, "name"))
		ar = gth_json_obj(gth_json_obj(st, "canary"), "currentBackgroundAnalysisRunStatus");
	if (gth_json_str(ar, "name")) {
		gth_strlcpy(ri->analysis_run, gth_json_str(ar, "name"), sizeof(ri->analysis_run));
		gth_strlcpy(ri->analysis_status, str_or(gth_json_str(ar, "status"), ""),
			    sizeof(ri->analysis_status));
	}

	if (ri->paused) {
		/* A pause only a person (or a promote) ends: spec.paused, an
		 * inconclusive analysis, or a canary pause step without a duration. */
		const cJSON *pc = cJSON_GetArrayItem(pcs, 0);
		const char *reason = str_or(gth_json_str(pc, "reason"), "");
		ri->waits_for_approval = 1;
		if (!strcmp(reason, "CanaryPauseStep") && !json_true(spec, "paused")) {
			const cJSON *s = cJSON_GetArrayItem(steps, (int)ri->step);
			const cJSON *p = gth_json_obj(s, "pause");
			if (p && cJSON_GetObjectItemCaseSensitive(p, "duration"))
				ri->waits_for_approval = 0;
		}
	}
}

void ro_info_line(const struct ro_info *ri, char *buf, size_t size)
{
	char step[64] = "";
	if (ri->steps >= 0)
		snprintf(step, sizeof(step), " step %ld/%ld", ri->step, ri->steps);
	snprintf(buf, size, "%s%s weight %ld%s%s", ri->phase, step, ri->weight,
		 ri->message[0] ? ": " : "", ri->message);
}

cJSON *ro_info_json(const struct ro_info *ri, const char *name, const char *ns)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, "namespace", ns);
	cJSON_AddStringToObject(o, "phase", ri->phase);
	if (ri->steps >= 0) {
		cJSON_AddNumberToObject(o, "step", (double)ri->step);
		cJSON_AddNumberToObject(o, "steps", (double)ri->steps);
	} else {
		cJSON_AddNullToObject(o, "step");
		cJSON_AddNullToObject(o, "steps");
	}
	cJSON_AddNumberToObject(o, "weight", (double)ri->weight);
	cJSON_AddNumberToObject(o, "stable_weight", (double)ri->stable_weight);
	cJSON_AddStringToObject(o, "revision", ri->revision);
	cJSON_AddStringToObject(o, "message", ri->message);
	cJSON_AddBoolToObject(o, "aborted", ri->aborted);
	if (ri->analysis_run[0]) {
		cJSON *a = cJSON_AddObjectToObject(o, "analysis_run");
		cJSON_AddStringToObject(a, "name", ri->analysis_run);
		cJSON_AddStringToObject(a, "phase", ri->analysis_status);
	}
	return o;
}

void ro_promote_patches(const cJSON *ro, int full, char **spec_patch, char **status_patch,
			char **unified_patch)
{
	const cJSON *spec = gth_json_obj(ro, "spec"), *st = gth_json_obj(ro, "status");
	const cJSON *canary = gth_json_obj(gth_json_obj(spec, "strategy"), "canary");
	*spec_patch = *status_patch = *unified_patch = NULL;
	if (full) {
		const char *cur = gth_json_str(st, "currentPodHash");
		const char *stable = gth_json_str(st, "stableRS");
		if (!cur || !stable || strcmp(cur, stable) != 0)
			*status_patch = strdup("{\"status\":{\"promoteFull\":true}}");
		return;
	}
	*unified_patch = strdup("{\"spec\":{\"paused\":false},\"status\":{\"pauseConditions\":null}}");
	if (json_true(spec, "paused"))
		*spec_patch = strdup("{\"spec\":{\"paused\":false}}");
	if (cJSON_GetArraySize(gth_json_arr(st, "pauseConditions")) > 0) {
		*status_patch = strdup("{\"status\":{\"pauseConditions\":null}}");
	} else if (canary) {
		/* No pause condition: move past the current step (a running analysis or
		 * experiment), never both. */
		long n = cJSON_GetArraySize(gth_json_arr(canary, "steps"));
		long idx = json_long(st, "currentStepIndex", 0);
		if (idx < 0)
			idx = 0;
		if (idx < n)
			idx++;
		*status_patch = gth_strdupf("{\"status\":{\"currentStepIndex\":%ld}}", idx);
		free(*unified_patch);
		*unified_patch = gth_strdupf("{\"spec\":{\"paused\":false},\"status\":"
					     "{\"pauseConditions\":null,\"currentStepIndex\":%ld}}", idx);
	}
}

