#!/usr/bin/env bash
# gth-rollback abort and undo against the local Kubernetes API server: the exact
# requests, the event, and every exit status.
. "$(dirname "$0")/lib.sh.inc"
. "$GTH_SRC/tests/servers/canary.sh.inc"
FIX=$GTH_SRC/tests/fixtures/gth-rollback
RO=/apis/argoproj.io/v1alpha1/namespaces/gatheraa/rollouts/gatheraa-backend

case_abort_patches_status() {
	start_kube_api "$FIX/objects.json"
	run gth-rollback abort gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --json
	expect_rc 0
	expect_err_eq "gth-rollback: rollout 'gatheraa-backend' aborted"
	expect_json '.status == "success" and .data.aborted == true and .data.rollout.aborted == true and .app == "gatheraa-backend"'
	check [ "$(kube_requests)" = "GET $RO
PATCH $RO/status" ]
	check [ "$(kube_requests 'select(.method=="PATCH") | .content_type + " " + .body')" = 'application/merge-patch+json {"status":{"abort":true}}' ]
	# Running it twice is safe: no second patch.
	run gth-rollback abort gatheraa-backend --kubeconfig "$KUBECONFIG_FILE"
	expect_rc 0
	expect_err_eq "gth-rollback: rollout 'gatheraa-backend' is aborted already"
	check [ "$(kube_requests | grep -c PATCH)" = 1 ]
}
t "abort sets status.abort through the status subresource, once" case_abort_patches_status

case_abort_old_crd() {
	start_kube_api "$FIX/objects.json" - --no-status-subresource rollouts
	run gth-rollback abort gatheraa-backend --kubeconfig "$KUBECONFIG_FILE"
	expect_rc 0
	expect_err_contains "(no status subresource: patched the object)"
	check [ "$(kube_requests)" = "GET $RO
PATCH $RO/status
PATCH $RO" ]
}
t "abort falls back to the object for CRDs without a status subresource" case_abort_old_crd

case_abort_wait() {
	cat >script.json <<'JSON'
{"steps": [{"rollout": {"namespace": "gatheraa", "name": "gatheraa-backend", "delay": 0.05}}]}
JSON
	start_kube_api "$FIX/objects.json" script.json
	# Let the controller reach the pause at 20%.
	for _ in $(seq 1 100); do
		curl -s "$KUBE_URL$RO" | jq -e '.status.phase == "Paused"' >/dev/null && break
		sleep 0.05
	done
	run gth-rollback abort gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --wait --timeout 20s --json
	expect_rc 0
	expect_err_contains "the stable version has all the traffic"
	expect_json '.data.rollout.phase == "Degraded" and .data.rollout.weight == 0'
	# One list and one watch: driven by the watch, not polling.
	check [ "$(kube_requests | grep -c 'GET /apis/argoproj.io/v1alpha1/namespaces/gatheraa/rollouts$')" -le 2 ]
}
t "abort --wait follows the Rollout until the stable version has all the traffic" case_abort_wait

case_abort_wait_timeout() {
	start_kube_api "$FIX/objects.json"
	run gth-rollback abort gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --wait --timeout 1s --json
	expect_rc 2
	expect_json '.status == "inconclusive" and .exit == 2'
	expect_err_contains "does not have all the traffic yet (out of time)"
}
t "abort --wait without a controller ends with 2 at the timeout" case_abort_wait_timeout

case_missing_and_forbidden() {
	start_kube_api "$FIX/objects.json" - --forbid '/rollouts/locked'
	run gth-rollback abort nope --kubeconfig "$KUBECONFIG_FILE"
	expect_rc 66
	expect_err_contains 'not found'
	run gth-rollback abort locked --kubeconfig "$KUBECONFIG_FILE" --json
	expect_rc 77
	expect_json '.status == "error" and .exit == 77'
	run gth-rollback undo nope --kubeconfig "$KUBECONFIG_FILE"
	expect_rc 66
}
t "a Rollout that does not exist is 66, a forbidden one 77" case_missing_and_forbidden

case_undo_previous() {
	start_kube_api "$FIX/objects.json"
	run gth-rollback undo gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --json
	expect_rc 0
	expect_err_eq "gth-rollback: rollout 'gatheraa-backend': pod template of revision 2 restored"
	expect_json '.data.from_revision == 3 and .data.to_revision == 2 and .data.changed == true'
	check [ "$(kube_requests 'select(.method=="PATCH") | .content_type')" = "application/json-patch+json" ]
	check [ "$(kube_requests 'select(.method=="PATCH") | .body' | jq -c '.[0] | [.op, .path, .value.spec.containers[0].image, (.value.metadata.labels | has("rollouts-pod-template-hash"))]')" = '["replace","/spec/template","localhost:5000/gatheraa/backend:0.2.0",false]' ]
	check [ "$(curl -s "$KUBE_URL$RO" | jq -r '.spec.template.spec.containers[0].image')" = "localhost:5000/gatheraa/backend:0.2.0" ]
}
t "undo restores the previous revision's pod template with a JSON patch" case_undo_previous

case_undo_to_revision() {
	start_kube_api "$FIX/objects.json"
	run gth-rollback undo gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --to-revision 1
	expect_rc 0
	check [ "$(curl -s "$KUBE_URL$RO" | jq -r '.spec.template.spec.containers[0].image')" = "localhost:5000/gatheraa/backend:0.1.0" ]
	run gth-rollback undo gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --to-revision 1
	expect_rc 0
	expect_err_eq "gth-rollback: rollout 'gatheraa-backend' already runs the template of revision 1"
	run gth-rollback undo gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --to-revision 9
	expect_rc 66
	expect_err_eq "gth-rollback: error: rollout 'gatheraa-backend' has no ReplicaSet of revision 9"
}
t "undo --to-revision N; the same template twice is nothing to do; an unknown revision 66" case_undo_to_revision

case_usage() {
	run gth-rollback
	expect_rc 64
	run gth-rollback abort
	expect_rc 64
	expect_err_contains "abort takes one ROLLOUT"
	run gth-rollback undo x --to-revision zero
	expect_rc 64
	expect_err_contains "--to-revision: expected a number"
	run gth-rollback gatheraa-backend
	expect_rc 64
	expect_err_contains "needs --gitops"
	run gth-rollback --bogus
	expect_rc 64
	run gth-rollback abort x --kubeconfig /nonexistent/kubeconfig
	expect_rc 66
	run gth-rollback --version
	expect_rc 0
	expect_out_match '^gth-rollback [0-9]+\.[0-9]+\.[0-9]+$'
}
t "usage errors are 64, a missing kubeconfig 66" case_usage

finish
