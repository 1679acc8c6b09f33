#!/usr/bin/env bash
# Faults between gth-canary / gth-rollback and the Kubernetes API: the local API
# server (tests/servers/kube-api.py) behind tests/servers/faultproxy.py. 503 and 429
# (Retry-After) on a GET or a PATCH are retried; a dropped watch is resumed; 5xx
# every time is 69 with the Rollout untouched; an answer cut short or malformed is
# an error (69 or 65), never a crash.
. "$(dirname "$0")/lib.sh.inc"
export GTH_HTTP_BUDGET=4s
. "$GTH_SRC/tests/servers/canary.sh.inc"
. "$(dirname "$0")/faults.sh.inc"
F=$GTH_SRC/tests/fixtures/canary
RB=$GTH_SRC/tests/fixtures/gth-rollback
RO=/apis/argoproj.io/v1alpha1/namespaces/gatheraa/rollouts/gatheraa-backend

# paused_rollout: the canary fixture with its Rollout paused for approval at step 2.
paused_rollout() {
	jq '(.[0].status) += {"phase":"Paused","message":"CanaryPauseStep","controllerPause":true,"currentStepIndex":2,"currentPodHash":"77f9c4d5b","pauseConditions":[{"reason":"CanaryPauseStep","startTime":"2026-11-26T10:00:00Z"}]}' \
		"$F/objects.json" >objects.json
}
no_sanitizer() { ! grep -q Sanitizer "$ERR" || _fail "sanitizer report"; }

case_canary_retried() {
	paused_rollout
	start_kube_api objects.json
	# status: a 503 then a 429 with Retry-After on the GET, then through
	cat >r.json <<'R'
{"rules": [{"method": "GET", "count": 1, "action": "status", "status": 503, "body": "{\"kind\":\"Status\",\"message\":\"etcd leader changed\"}"},
           {"method": "GET", "count": 1, "action": "status", "status": 429, "headers": {"Retry-After": "1"}}]}
R
	kube_via_faultproxy r.json
	run gth-canary status gatheraa-backend --kubeconfig "$KC" --json
	expect_rc 2
	expect_json '.data.rollout.phase == "Paused" and .data.rollout.step == 2 and .data.requests == 3'
	check [ "$(fp_actions)" = "status status pass" ]
	# promote: the status PATCH answered 503 then 429, then through: applied once
	cat >r2.json <<'R'
{"rules": [{"method": "PATCH", "count": 1, "action": "status", "status": 503},
           {"method": "PATCH", "count": 1, "action": "status", "status": 429, "headers": {"Retry-After": "1"}}]}
R
	kube_via_faultproxy r2.json
	run gth-canary promote gatheraa-backend --kubeconfig "$KC" --json
	expect_rc 0
	no_sanitizer
	check [ "$(fp_actions)" = "pass status status pass" ]
	check [ "$(kube_requests 'select(.method == "PATCH") | .path + " " + .body')" = \
		"$RO/status {\"status\":{\"pauseConditions\":null}}" ]
	check [ "$(kube_object "$RO" | jq -c '.status.pauseConditions')" = null ]
}
t "gth-canary status and promote through 503 and 429: retried, applied once" case_canary_retried

case_canary_unavailable() {
	paused_rollout
	start_kube_api objects.json
	kube_object "$RO" >before.json
	# every PATCH answered 503: 69, the Rollout as it was (same resourceVersion)
	cat >r.json <<'R'
{"rules": [{"method": "PATCH", "count": 0, "action": "status", "status": 503, "body": "{\"kind\":\"Status\",\"message\":\"the server is currently unable to handle the request\"}"}]}
R
	kube_via_faultproxy r.json
	run gth-canary promote gatheraa-backend --kubeconfig "$KC" --json
	expect_rc 69
	expect_json '.status == "error" and .exit == 69'
	expect_err_contains "the server is currently unable to handle the request"
	check [ "$(grep -c PATCH "$FP_LOG")" -ge 2 ]
	kube_object "$RO" >after.json
	expect_file_eq after.json before.json
	# every GET dropped: 69
	cat >r2.json <<'R'
{"rules": [{"method": "GET", "count": 0, "action": "drop"}]}
R
	kube_via_faultproxy r2.json
	run gth-canary status gatheraa-backend --kubeconfig "$KC"
	expect_rc 69
	expect_err_contains "gth-canary: error:"
	no_sanitizer
	# the answer cut short after 20 bytes of its body, every time: 69
	cat >r3.json <<'R'
{"rules": [{"method": "GET", "count": 0, "action": "truncate", "body_bytes": 20}]}
R
	kube_via_faultproxy r3.json
	run gth-canary status gatheraa-backend --kubeconfig "$KC"
	expect_rc 69
	no_sanitizer
	# a whole answer whose JSON stops half-way: 65, a malformed API answer
	cat >r4.json <<'R'
{"rules": [{"method": "GET", "count": 0, "action": "status", "status": 200,
            "headers": {"Content-Type": "application/json"}, "body": "{\"kind\":\"Rollout\",\"metadata\":{\"name\":\"gath"}]}
R
	kube_via_faultproxy r4.json
	run gth-canary promote gatheraa-backend --kubeconfig "$KC" --json
	expect_rc 65
	expect_json '.exit == 65'
	no_sanitizer
	check [ "$(grep -c PATCH "$FP_LOG" || true)" = 0 ]
	kube_object "$RO" >after.json
	expect_file_eq after.json before.json
}
t "the API always failing, cut short or malformed: 69 or 65, the Rollout untouched" case_canary_unavailable

case_watch_dropped() {
	# an unobserved generation: the watch runs until the controller observes it
	jq '(.[0].metadata.generation) = 2' "$F/objects.json" >objects.json
	printf '%s\n' '{"steps":[{"wait_request":{"method":"GET","path_re":"/rollouts$","watch":true}},{"sleep":0.3},{"patch":{"resource":"rollouts","namespace":"gatheraa","name":"gatheraa-backend","merge":{"status":{"observedGeneration":"2"}}}}]}' >script.json
	start_kube_api objects.json script.json
	# the list dropped once, then the watch request dropped twice, answered 503
	# (retried by the HTTP layer) and 502 (resumed by the watch)
	cat >r.json <<'R'
{"rules": [{"method": "GET", "path_re": "^[^?]*/rollouts(\\?fieldSelector=[^&]*)?$", "count": 1, "action": "drop"},
           {"method": "GET", "path_re": "watch=1", "count": 2, "action": "drop"},
           {"method": "GET", "path_re": "watch=1", "count": 1, "action": "status", "status": 503},
           {"method": "GET", "path_re": "watch=1", "count": 1, "action": "status", "status": 502,
            "body": "{\"kind\":\"Status\",\"message\":\"upstream connect error\"}"}]}
R
	kube_via_faultproxy r.json
	run gth-canary watch gatheraa-backend --kubeconfig "$KC" --timeout 30s --json
	expect_rc 0
	expect_json '.data.rollout.phase == "Healthy" and .data.watch_resumes >= 2'
	check [ "$(fp_actions)" = "drop pass drop drop status status pass" ]
	no_sanitizer
	# a watch cut short every time: given up after its retries, 69, no crash
	jq '(.[0].metadata.generation) = 2' "$F/objects.json" >objects2.json
	start_kube_api objects2.json
	cat >r2.json <<'R'
{"rules": [{"method": "GET", "path_re": "watch=1", "count": 0, "action": "truncate", "body_bytes": 30}]}
R
	kube_via_faultproxy r2.json
	run gth-canary watch gatheraa-backend --kubeconfig "$KC" --timeout 30s
	expect_rc 69
	no_sanitizer
}
t "gth-canary watch: a dropped list, dropped, 503 and 502 watches resumed; always cut: 69" case_watch_dropped

case_rollback_api_faults() {
	start_kube_api "$RB/objects.json"
	kube_object "$RO" >before.json
	# abort: every status PATCH 502: 69, status.abort not set
	cat >r.json <<'R'
{"rules": [{"method": "PATCH", "count": 0, "action": "status", "status": 502}]}
R
	kube_via_faultproxy r.json
	run gth-rollback abort gatheraa-backend --kubeconfig "$KC" --json
	expect_rc 69
	expect_json '.exit == 69'
	no_sanitizer
	kube_object "$RO" >after.json
	expect_file_eq after.json before.json
	# undo: the template PATCH fails every time: 69, the template as it was
	kube_via_faultproxy r.json
	run gth-rollback undo gatheraa-backend --kubeconfig "$KC"
	expect_rc 69
	kube_object "$RO" >after.json
	expect_file_eq after.json before.json
	# abort: one 503 and one dropped PATCH, then through: aborted once
	cat >r2.json <<'R'
{"rules": [{"method": "PATCH", "count": 1, "action": "status", "status": 503},
           {"method": "PATCH", "count": 1, "action": "drop"}]}
R
	kube_via_faultproxy r2.json
	run gth-rollback abort gatheraa-backend --kubeconfig "$KC" --json
	expect_rc 0
	expect_json '.data.aborted == true'
	check [ "$(fp_actions)" = "pass status drop pass" ]
	check [ "$(kube_object "$RO" | jq .status.abort)" = true ]
	# undo: the PATCH applied but its answer cut short: sent again (the same JSON
	# patch gives the same object), 0 and not a false 69
	cat >r4.json <<'R'
{"rules": [{"method": "PATCH", "count": 1, "action": "truncate", "body_bytes": 10}]}
R
	kube_via_faultproxy r4.json
	run gth-rollback undo gatheraa-backend --to-revision 1 --kubeconfig "$KC" --json
	expect_rc 0
	expect_json '.data.to_revision == 1'
	check [ "$(jq -r 'select(.method == "PATCH") | .action' "$FP_LOG" | tr '\n' ' ')" = "truncate pass " ]
	check [ "$(kube_object "$RO" | jq -r '.spec.template.spec.containers[0].image')" = localhost:5000/gatheraa/backend:0.1.0 ]
	# undo: the ReplicaSet list answered 429 (Retry-After) once: retried, undone
	cat >r3.json <<'R'
{"rules": [{"method": "GET", "path_re": "/replicasets", "count": 1, "action": "status", "status": 429, "headers": {"Retry-After": "1"}}]}
R
	kube_via_faultproxy r3.json
	run gth-rollback undo gatheraa-backend --kubeconfig "$KC" --json
	expect_rc 0
	expect_json '.data.changed == true and .data.to_revision == 2'
	check grep -q '"status"' "$FP_LOG"
	check [ "$(kube_object "$RO" | jq -r '.spec.template.spec.containers[0].image')" = localhost:5000/gatheraa/backend:0.2.0 ]
}
t "gth-rollback abort and undo: 5xx every time is 69 with the Rollout untouched; 503, drop, 429 retried" \
	case_rollback_api_faults

case_rollback_sync_wait_faults() {
	# --gitops with --app: the Application's list answered 503 and its watch
	# dropped once; the wait resumes and sees Argo CD sync the revert
	. "$GTH_SRC/tests/servers/git.sh"
	git_identity
	export XDG_CACHE_HOME=$PWD/cache
	git_bare "$PWD/gitops.git" "$RB/gitops"
	gth-bump --image localhost:5000/gatheraa/backend:0.2.0 --repo "file://$PWD/gitops.git" \
		--app gatheraa-backend -q
	start_kube_api "$RB/objects.json"
	cat >r.json <<'R'
{"rules": [{"method": "GET", "path_re": "/applications\\?fieldSelector", "count": 1, "action": "status", "status": 503},
           {"method": "GET", "path_re": "/applications\\?watch=1", "count": 1, "action": "drop"}]}
R
	kube_via_faultproxy r.json
	# Argo CD, played: once the revert lands and the wait has begun, report it synced
	(
		for _ in $(seq 1 300); do
			[ "$(git_count "$PWD/gitops.git")" = 3 ] && grep -q 'applications?watch' "$FP_LOG" && break
			sleep 0.05
		done
		sha=$(git --git-dir="$PWD/gitops.git" rev-parse main)
		curl -s -X PATCH -H 'Content-Type: application/merge-patch+json' \
			-d "{\"status\":{\"sync\":{\"status\":\"Synced\",\"revision\":\"$sha\"},\"operationState\":{\"phase\":\"Succeeded\",\"syncResult\":{\"revision\":\"$sha\"}}}}" \
			"$KUBE_URL/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/gatheraa/status" >/dev/null
	) &
	local argocd=$!
	run gth-rollback gatheraa-backend --gitops --repo "file://$PWD/gitops.git" --kubeconfig "$KC" \
		--app gatheraa --timeout 30s --json
	wait "$argocd"
	expect_rc 0
	expect_json '[.data.steps[] | [.step, .exit]] == [["abort", 0], ["revert", 0], ["sync", 0]]'
	check [ "$(jq -r 'select(.path | test("applications")) | .action' "$FP_LOG" | head -2 | tr '\n' ' ')" = "status pass " ]
	check grep -q '"drop"' "$FP_LOG"
	no_sanitizer
}
t "gth-rollback --gitops --app: the Argo CD wait through a 503 and a dropped watch" case_rollback_sync_wait_faults

finish
