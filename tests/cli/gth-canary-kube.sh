#!/usr/bin/env bash
# gth-canary status, watch and promote against the local Kubernetes API server
# (tests/servers/kube-api.py), which plays Argo CD and Argo Rollouts from scripts.
# Every case asserts the exit status and the exact requests sent.
. "$(dirname "$0")/lib.sh.inc"
. "$GTH_SRC/tests/servers/canary.sh.inc"
F=$GTH_SRC/tests/fixtures/canary
REV=0123456789abcdef0123456789abcdef01234567
RO=/apis/argoproj.io/v1alpha1/namespaces/gatheraa/rollouts
APP=/apis/argoproj.io/v1alpha1/namespaces/argocd/applications

# objects.json with jq edits applied to the Rollout (its first object)
rollout_with() {
	jq "(.[0]) |= ($1)" "$F/objects.json" >objects.json
}

case_status_healthy() {
	start_kube_api "$F/objects.json"
	run gth-canary status gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --json
	expect_rc 0
	expect_json '.data.rollout == {"name":"gatheraa-backend","namespace":"gatheraa","phase":"Healthy","step":4,"steps":4,"weight":0,"stable_weight":100,"revision":"1","message":"","aborted":false}'
	expect_json '.status == "success" and .app == "gatheraa-backend"'
	expect_err_contains "Status:    Healthy"
	[ "$(kube_requests)" = "GET $RO/gatheraa-backend" ] || _fail "requests: $(kube_requests)"
}

case_status_stale_generation() {
	# a spec change the controller has not observed is Progressing, whatever status.phase says
	rollout_with '.metadata.generation = 3'
	start_kube_api objects.json
	run gth-canary status gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --json
	expect_rc 2
	expect_json '.data.rollout.phase == "Progressing" and .data.rollout.message == "waiting for rollout spec update to be observed"'
	expect_json '.status == "inconclusive"'
}

case_status_unpausing() {
	rollout_with '.status += {"phase":"Paused","message":"CanaryPauseStep","controllerPause":true,"currentStepIndex":2}'
	start_kube_api objects.json
	run gth-canary status gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --json
	expect_rc 2
	expect_json '.data.rollout.phase == "Progressing" and .data.rollout.message == "waiting for rollout to unpause"'
}

case_status_aborted_is_degraded() {
	rollout_with '.status += {"abort":true,"phase":"Progressing","message":"","currentStepIndex":1,"canary":{"weights":{"canary":{"weight":0}}}}'
	start_kube_api objects.json
	run gth-canary status gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --json
	expect_rc 1
	expect_json '.data.rollout.phase == "Degraded" and .data.rollout.aborted == true and .status == "failure"'
}

case_status_client_side_phase() {
	# controllers before v1.0 leave status.phase empty: computed as Argo's CalculateRolloutPhase
	rollout_with 'del(.status.phase) | .status.pauseConditions = [{"reason":"CanaryPauseStep","startTime":"2026-11-26T10:00:00Z"}] | .status.currentStepIndex = 2 | .status.currentPodHash = "77f9c4d5b"'
	start_kube_api objects.json
	run gth-canary status gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --json
	expect_rc 2
	expect_json '.data.rollout.phase == "Paused" and .data.rollout.message == "CanaryPauseStep" and .data.rollout.step == 2'
}

case_status_with_analysis_run() {
	rollout_with '.status.canary.currentStepAnalysisRunStatus = {"name":"gatheraa-backend-old-1","status":"Successful"}'
	start_kube_api objects.json
	run gth-canary status gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --json
	expect_rc 0
	expect_json '.data.analysis == {"name":"gatheraa-backend-old-1","phase":"Successful","metrics":[{"name":"success-rate","phase":"Successful","measurements":[{"value":"[0.999]","phase":"Successful","at":"2026-11-26T10:00:00Z"}]}]}'
	expect_err_contains "success-rate: Successful [0.999](Successful)"
	[ "$(kube_requests | tr '\n' ' ')" = "GET $RO/gatheraa-backend GET /apis/argoproj.io/v1alpha1/namespaces/gatheraa/analysisruns/gatheraa-backend-old-1 " ] ||
		_fail "requests: $(kube_requests)"
}

case_status_not_found() {
	start_kube_api "$F/objects.json"
	run gth-canary status nope --kubeconfig "$KUBECONFIG_FILE"
	expect_rc 66
	expect_err_contains 'error: rollouts.argoproj.io "nope" not found (HTTP 404)'
}

case_status_token_and_401() {
	KUBE_TOKEN=s3cret-token start_kube_api "$F/objects.json"
	run gth-canary status gatheraa-backend --kubeconfig "$KUBECONFIG_FILE"
	expect_rc 0
	[ "$(kube_requests '.auth')" = bearer ] || _fail "no bearer token sent"
	sed -i 's/s3cret-token/wrong-token/' "$KUBECONFIG_FILE"
	run gth-canary status gatheraa-backend --kubeconfig "$KUBECONFIG_FILE"
	expect_rc 77
	expect_err_contains "error: Unauthorized (HTTP 401)"
	expect_err_lacks "wrong-token"
}

case_status_403() {
	start_kube_api "$F/objects.json" - --forbid 'rollouts'
	run gth-canary status gatheraa-backend --kubeconfig "$KUBECONFIG_FILE"
	expect_rc 77
	expect_err_contains 'forbidden: User "system:serviceaccount:gth:ci" cannot access this resource (HTTP 403)'
}

case_token_file_and_kubeconfig_env() {
	KUBE_TOKEN=file-token start_kube_api "$F/objects.json"
	printf 'file-token\n' >"$KUBE_DIR/token"
	sed -i 's|user: {token: "file-token"}|user: {tokenFile: token}|' "$KUBECONFIG_FILE"
	# KUBECONFIG: a missing first file is skipped; the token file is relative to the kubeconfig
	KUBECONFIG="$PWD/none.yaml:$KUBECONFIG_FILE" run gth-canary status gatheraa-backend
	expect_rc 0
}

case_context_missing() {
	start_kube_api "$F/objects.json"
	run gth-canary status gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --context prod
	expect_rc 78
	expect_err_contains "$KUBECONFIG_FILE:5: contexts: no context named 'prod' in the kubeconfig"
	sed -i 's/current-context: local/current-context: staging/' "$KUBECONFIG_FILE"
	run gth-canary status gatheraa-backend --kubeconfig "$KUBECONFIG_FILE"
	expect_rc 78
	expect_err_contains "$KUBECONFIG_FILE:3: current-context: no context named 'staging' in the kubeconfig"
}

case_kubeconfig_errors() {
	run gth-canary status x --kubeconfig missing.yaml
	expect_rc 66
	expect_err_contains "kubeconfig 'missing.yaml' does not exist"
	printf 'clusters: [\n' >bad.yaml
	run gth-canary status x --kubeconfig bad.yaml
	expect_rc 65
	expect_err_contains "bad.yaml:"
	printf 'current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\nclusters: []\n' >nocluster.yaml
	run gth-canary status x --kubeconfig nocluster.yaml
	expect_rc 78
	expect_err_contains "nocluster.yaml:4: contexts[0].context.cluster: no cluster named 'c' in the kubeconfig"
	# no kubeconfig at all and not in a cluster
	HOME=$PWD KUBECONFIG= run env -u KUBERNETES_SERVICE_HOST gth-canary status x
	expect_rc 78
	expect_err_contains "not running in a cluster"
}

case_tls() {
	# a CA, a server certificate for 127.0.0.1 and a client certificate
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=test-ca 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout srv.key -out srv.csr -subj /CN=127.0.0.1 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
	openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt -days 2 -extfile san.ext 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout cli.key -out cli.csr -subj /CN=ci 2>/dev/null
	openssl x509 -req -in cli.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out cli.crt -days 2 2>/dev/null
	start_kube_api "$F/objects.json" - --tls-cert "$PWD/srv.crt" --tls-key "$PWD/srv.key" --client-ca "$PWD/ca.crt"
	local url=https://${KUBE_URL#http://}
	# CA and client certificate as data
	cat >kc-data.yaml <<EOF
current-context: t
contexts:
- name: t
  context: {cluster: t, user: t, namespace: gatheraa}
clusters:
- name: t
  cluster: {server: "$url", certificate-authority-data: "$(base64 -w0 ca.crt)"}
users:
- name: t
  user: {client-certificate-data: "$(base64 -w0 cli.crt)", client-key-data: "$(base64 -w0 cli.key)"}
EOF
	run gth-canary status gatheraa-backend --kubeconfig kc-data.yaml
	expect_rc 0
	# as files, relative to the kubeconfig
	mkdir sub && cp ca.crt cli.crt cli.key sub/
	cat >sub/kc-files.yaml <<EOF
current-context: t
contexts:
- name: t
  context: {cluster: t, user: t, namespace: gatheraa}
clusters:
- name: t
  cluster: {server: "$url", certificate-authority: ca.crt}
users:
- name: t
  user: {client-certificate: cli.crt, client-key: cli.key}
EOF
	run gth-canary status gatheraa-backend --kubeconfig sub/kc-files.yaml
	expect_rc 0
	# insecure-skip-tls-verify: no CA needed
	sed 's|certificate-authority: ca.crt|insecure-skip-tls-verify: true|' sub/kc-files.yaml >sub/kc-insecure.yaml
	run gth-canary status gatheraa-backend --kubeconfig sub/kc-insecure.yaml
	expect_rc 0
	# neither: the server's certificate is not trusted
	sed 's|certificate-authority: ca.crt|server: "'"$url"'"|; s|, server: "'"$url"'"||' sub/kc-files.yaml >sub/kc-untrusted.yaml
	sed -i 's|{server: "[^"]*", server:|{server:|' sub/kc-untrusted.yaml
	GTH_HTTP_BUDGET=3s run gth-canary status gatheraa-backend --kubeconfig sub/kc-untrusted.yaml
	expect_rc 69
	expect_err_lacks "BEGIN"
	[ "$(kube_requests | wc -l)" -eq 3 ] || _fail "requests: $(kube_requests)"
	# the in-cluster service account: token, CA and namespace files
	KUBE_TOKEN=sa-token start_kube_api "$F/objects.json" - --tls-cert "$PWD/srv.crt" --tls-key "$PWD/srv.key"
	mkdir sa && cp ca.crt sa/ca.crt && printf 'sa-token\n' >sa/token && printf 'gatheraa\n' >sa/namespace
	HOME=$PWD KUBECONFIG= KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=${KUBE_URL##*:} \
		GTH_KUBE_SERVICEACCOUNT_DIR=$PWD/sa run gth-canary status gatheraa-backend --json
	expect_rc 0
	expect_json '.data.rollout.namespace == "gatheraa"'
	[ "$(kube_requests '.auth')" = bearer ] || _fail "no bearer token"
}

case_in_cluster() {
	start_kube_api "$F/objects.json"
	mkdir sa && printf 'sa-token\n' >sa/token && printf 'gatheraa\n' >sa/namespace
	# the in-cluster server is https; the test server is http, so expect a TLS failure
	# after reading the service account (69), proving the files and variables were used
	HOME=$PWD KUBECONFIG= KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=${KUBE_URL##*:} \
		GTH_KUBE_SERVICEACCOUNT_DIR=$PWD/sa GTH_HTTP_BUDGET=2s run gth-canary status gatheraa-backend
	expect_rc 69
	expect_err_contains "127.0.0.1:${KUBE_URL##*:}"
	[ "$(kube_requests | wc -l)" -eq 0 ] || _fail "plain HTTP reached the server"
}

# exec_plugin TOKEN EXPIRY: a credential plugin that counts its runs in $PWD/runs
exec_plugin() {
	{
		echo '#!/bin/sh'
		echo "echo run >>'$PWD/runs'"
		echo '[ -n "$KUBERNETES_EXEC_INFO" ] || exit 3'
		echo '[ "$PLUGIN_ENV" = from-kubeconfig ] || exit 4'
		echo "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"$1\",\"expirationTimestamp\":\"$2\"}}\\n'"
	} >plugin.sh
	chmod +x plugin.sh
	: >runs
	sed -i '/^users:/,$d' "$KUBECONFIG_FILE"
	{
		echo "users:"
		echo "- name: ci"
		echo "  user:"
		echo "    exec:"
		echo "      apiVersion: client.authentication.k8s.io/v1"
		echo "      command: ./plugin.sh"
		echo "      args: [get-token]"
		echo "      env: [{name: PLUGIN_ENV, value: from-kubeconfig}]"
		echo "      interactiveMode: Never"
	} >>"$KUBECONFIG_FILE"
	cp plugin.sh "$(dirname "$KUBECONFIG_FILE")/plugin.sh"
}

case_exec_plugin_cached() {
	rollout_with '.status.canary.currentStepAnalysisRunStatus = {"name":"gatheraa-backend-old-1","status":"Successful"}'
	KUBE_TOKEN=exec-token-1 start_kube_api objects.json
	exec_plugin exec-token-1 2999-01-01T00:00:00Z
	run gth-canary status gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --json
	expect_rc 0
	expect_json '.data.analysis.phase == "Successful"'
	[ "$(wc -l <runs)" -eq 1 ] || _fail "plugin ran $(wc -l <runs) times for two requests"
	[ "$(kube_requests '.auth' | sort -u)" = bearer ] || _fail "no bearer token"
	# an expired credential is fetched again for every request
	exec_plugin exec-token-1 2000-01-01T00:00:00Z
	run gth-canary status gatheraa-backend --kubeconfig "$KUBECONFIG_FILE"
	expect_rc 0
	[ "$(wc -l <runs)" -eq 2 ] || _fail "plugin ran $(wc -l <runs) times, expected 2"
	# a 401 fetches it once more, then gives up
	exec_plugin wrong-token 2999-01-01T00:00:00Z
	run gth-canary status gatheraa-backend --kubeconfig "$KUBECONFIG_FILE"
	expect_rc 77
	[ "$(wc -l <runs)" -eq 2 ] || _fail "plugin ran $(wc -l <runs) times, expected 2"
	expect_err_lacks "wrong-token"
	# a plugin that fails
	printf '#!/bin/sh\nexit 1\n' >"$(dirname "$KUBECONFIG_FILE")/plugin.sh"
	run gth-canary status gatheraa-backend --kubeconfig "$KUBECONFIG_FILE"
	expect_rc 77
	expect_err_contains "plugin.sh' failed with status 1"
}

case_promote_pause_conditions() {
	rollout_with '.status += {"phase":"Paused","message":"CanaryPauseStep","controllerPause":true,"currentStepIndex":2,"currentPodHash":"77f9c4d5b","pauseConditions":[{"reason":"CanaryPauseStep","startTime":"2026-11-26T10:00:00Z"}]}'
	start_kube_api objects.json
	run gth-canary promote gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --json
	expect_rc 0
	expect_json '.data.rollout.phase == "Progressing" and .data.rollout.message == "waiting for rollout to unpause" and .data.status_subresource == true'
	[ "$(kube_requests '.method + " " + .path + " " + .content_type + " " + .body' | tr '\n' '|')" = \
	  "GET $RO/gatheraa-backend  |PATCH $RO/gatheraa-backend/status application/merge-patch+json {\"status\":{\"pauseConditions\":null}}|" ] ||
		_fail "requests: $(kube_requests '.method + " " + .path + " " + .body')"
}

case_promote_spec_paused_and_step() {
	# no pause condition: skip the current step (a running analysis), and unpause the spec
	rollout_with '.spec.paused = true | .status += {"currentStepIndex":1,"currentPodHash":"77f9c4d5b","phase":"Paused"}'
	start_kube_api objects.json
	run gth-canary promote gatheraa-backend --kubeconfig "$KUBECONFIG_FILE"
	expect_rc 0
	[ "$(kube_requests '.method + " " + .path + " " + .body' | tr '\n' '|')" = \
	  "GET $RO/gatheraa-backend |PATCH $RO/gatheraa-backend/status {\"status\":{\"currentStepIndex\":2}}|PATCH $RO/gatheraa-backend {\"spec\":{\"paused\":false}}|" ] ||
		_fail "requests: $(kube_requests '.method + " " + .path + " " + .body')"
}

case_promote_old_crd_fallback() {
	rollout_with '.status += {"phase":"Paused","controllerPause":true,"currentStepIndex":2,"currentPodHash":"77f9c4d5b","pauseConditions":[{"reason":"CanaryPauseStep"}]}'
	start_kube_api objects.json - --no-status-subresource rollouts
	run gth-canary promote gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --json
	expect_rc 0
	expect_json '.data.status_subresource == false'
	[ "$(kube_requests '.method + " " + .path + " " + (.status|tostring) + " " + .body' | tr '\n' '|')" = \
	  "GET $RO/gatheraa-backend 200 |PATCH $RO/gatheraa-backend/status 404 {\"status\":{\"pauseConditions\":null}}|PATCH $RO/gatheraa-backend 200 {\"spec\":{\"paused\":false},\"status\":{\"pauseConditions\":null}}|" ] ||
		_fail "requests: $(kube_requests '.method + " " + .path + " " + (.status|tostring) + " " + .body')"
	# the fallback patch changed the spec: the controller has a new generation to observe
	run gth-canary status gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --json
	expect_json '.data.rollout.message == "waiting for rollout spec update to be observed"'
}

case_promote_full() {
	rollout_with '.status += {"phase":"Paused","currentStepIndex":2,"currentPodHash":"77f9c4d5b","pauseConditions":[{"reason":"CanaryPauseStep"}]}'
	start_kube_api objects.json
	run gth-canary promote gatheraa-backend --full --kubeconfig "$KUBECONFIG_FILE" --json
	expect_rc 0
	expect_json '.data.full == true'
	[ "$(kube_requests '.method + " " + .path + " " + .body' | tr '\n' '|')" = \
	  "GET $RO/gatheraa-backend |PATCH $RO/gatheraa-backend/status {\"status\":{\"promoteFull\":true}}|" ] ||
		_fail "requests: $(kube_requests '.method + " " + .path + " " + .body')"
	# already fully promoted: nothing to send
	start_kube_api "$F/objects.json"
	run gth-canary promote gatheraa-backend --full --kubeconfig "$KUBECONFIG_FILE"
	expect_rc 0
	expect_err_contains "already fully promoted"
	[ "$(kube_requests | wc -l)" -eq 1 ] || _fail "requests: $(kube_requests)"
}

case_promote_conflict_retried() {
	rollout_with '.status += {"phase":"Paused","currentStepIndex":2,"currentPodHash":"77f9c4d5b","pauseConditions":[{"reason":"CanaryPauseStep"}]}'
	start_kube_api objects.json - --conflicts 2
	run gth-canary promote gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" -v
	expect_rc 0
	expect_err_contains "conflict promoting gatheraa-backend, reading it again"
	[ "$(kube_requests '.method + " " + (.status|tostring)' | tr '\n' '|')" = "GET 200|PATCH 409|GET 200|PATCH 409|GET 200|PATCH 200|" ] ||
		_fail "requests: $(kube_requests '.method + " " + (.status|tostring)')"
	# past the retries: 75 with the API's message
	start_kube_api objects.json - --conflicts 9
	run gth-canary promote gatheraa-backend --kubeconfig "$KUBECONFIG_FILE"
	expect_rc 75
	expect_err_contains 'Operation cannot be fulfilled on rollouts "gatheraa-backend": the object has been modified'
	[ "$(kube_requests | grep -c PATCH)" -eq 5 ] || _fail "$(kube_requests | grep -c PATCH) patches, expected 5"
}

case_promote_not_found() {
	start_kube_api "$F/objects.json"
	run gth-canary promote nope -n other --kubeconfig "$KUBECONFIG_FILE"
	expect_rc 66
	expect_err_contains 'rollouts.argoproj.io "nope" not found'
	[ "$(kube_requests)" = "GET /apis/argoproj.io/v1alpha1/namespaces/other/rollouts/nope" ] || _fail "requests: $(kube_requests)"
}

case_watch_sync_then_pause_then_promote() {
	start_kube_api "$F/objects.json" "$F/sync-then-canary.json"
	run gth-canary watch gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --app gatheraa-backend \
		--revision "$REV" --until paused --timeout 30s --json
	expect_rc 0
	expect_json '.data.rollout.phase == "Paused" and .data.rollout.step == 2 and .data.rollout.weight == 20 and .data.rollout.revision == "2"'
	expect_json '.data.app | del(.health) == {"name":"gatheraa-backend","sync":"Synced","revision":"'"$REV"'","operation":"Succeeded"}'
	expect_err_contains "application gatheraa-backend: Synced 0123456789ab, operation Succeeded"
	expect_err_contains "rollout gatheraa-backend: Paused step 2/4 weight 20: CanaryPauseStep"
	# watches, not polling: a list and a watch for each object
	[ "$(kube_requests | sed 's/rv=[0-9]*/rv=N/; s/gatheraa-backend-[0-9a-f]*-1/RUN/' | tr '\n' '|')" = \
	  "GET $APP|GET $APP?watch rv=N|GET $RO|GET $RO?watch rv=N|GET ${RO%/rollouts}/analysisruns/RUN|GET ${RO%/rollouts}/analysisruns/RUN|" ] ||
		_fail "requests: $(kube_requests)"
	expect_json '.data.analysis.phase == "Successful" and .data.analysis.metrics[0].measurements[0].value == "[0.999]"'
	run gth-canary promote gatheraa-backend --kubeconfig "$KUBECONFIG_FILE"
	expect_rc 0
	run gth-canary watch gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --timeout 30s --json
	expect_rc 0
	expect_json '.data.rollout.phase == "Healthy" and .data.rollout.step == 4 and .data.rollout.weight == 100'
	expect_json '.data.requests <= 3'
}

case_watch_live_block() {
	# on a terminal the state is redrawn in place (cursor up, erase line), not appended
	start_kube_api "$F/objects.json" "$F/sync-then-canary.json"
	TERM=xterm run script -qec "gth-canary watch gatheraa-backend --kubeconfig '$KUBECONFIG_FILE' --app gatheraa-backend --revision $REV --until paused --timeout 30s" /dev/null
	expect_rc 0
	grep -q $'\033\[1A\033\[2K' "$OUT" || _fail "no redraw sequence on the terminal"
	expect_out_contains "rollout gatheraa-backend: Paused step 2/4 weight 20: CanaryPauseStep"
	# the same with CI set: plain lines
	CI=true TERM=xterm run script -qec "gth-canary watch gatheraa-backend --kubeconfig '$KUBECONFIG_FILE' --until paused --timeout 30s" /dev/null
	expect_rc 0
	! grep -q $'\033\[1A' "$OUT" || _fail "redraw sequence in CI"
}

case_watch_paused_is_2() {
	start_kube_api "$F/objects.json" "$F/sync-then-canary.json"
	run gth-canary watch gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --app gatheraa-backend --revision "${REV:0:12}" --timeout 30s --json
	expect_rc 2
	expect_json '.status == "inconclusive" and .data.rollout.phase == "Paused"'
	expect_err_contains "rollout gatheraa-backend is paused: CanaryPauseStep"
}

case_watch_refresh() {
	start_kube_api "$F/objects.json" "$F/refresh-sync.json"
	run gth-canary watch gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --app gatheraa-backend \
		--revision "$REV" --refresh hard --until paused --timeout 30s
	expect_rc 0
	[ "$(kube_requests '.method + " " + .path + " " + .content_type + " " + .body' | head -1)" = \
	  "PATCH $APP/gatheraa-backend application/merge-patch+json {\"metadata\":{\"annotations\":{\"argocd.argoproj.io/refresh\":\"hard\"}}}" ] ||
		_fail "requests: $(kube_requests)"
	expect_err_contains "refresh requested"
}

case_watch_aborted_is_1() {
	rollout_with '.metadata.generation = 2'
	start_kube_api objects.json "$F/abort.json"
	run gth-canary watch gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --timeout 30s --json
	expect_rc 1
	expect_json '.status == "failure" and .data.rollout.phase == "Degraded" and .data.rollout.aborted == true and .data.rollout.weight == 0'
	expect_err_contains 'rollout gatheraa-backend is Degraded: RolloutAborted: Rollout aborted update to revision 2: Metric "success-rate" assessed Failed due to failed (2) > failureLimit (1)'
}

case_watch_sync_failed_is_1() {
	start_kube_api "$F/objects.json" "$F/sync-failed.json"
	run gth-canary watch gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --app gatheraa-backend --revision "$REV" --timeout 30s
	expect_rc 1
	expect_err_contains "application gatheraa-backend: sync Failed: one or more objects failed to apply: admission webhook denied"
}

case_watch_timeout_is_2() {
	rollout_with '.metadata.generation = 2'
	start_kube_api objects.json
	run gth-canary watch gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --timeout 1s --json
	expect_rc 2
	expect_json '.data.rollout.phase == "Progressing"'
	expect_err_contains "timed out: rollout gatheraa-backend is Progressing"
	run gth-canary watch gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --app gatheraa-backend --revision "$REV" --timeout 1s
	expect_rc 2
	expect_err_contains "timed out waiting for application gatheraa-backend to sync $REV"
}

case_watch_resumes_after_stream_end() {
	rollout_with '.metadata.generation = 2'
	printf '%s\n' '{"steps":[{"wait_request":{"method":"GET","path_re":"/rollouts$","watch":true}},{"sleep":1.6},{"patch":{"resource":"rollouts","namespace":"gatheraa","name":"gatheraa-backend","merge":{"status":{"observedGeneration":"2"}}}}]}' >script.json
	start_kube_api objects.json script.json --watch-timeout 0.5 --bookmark-interval 0.2
	run gth-canary watch gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --timeout 30s --json
	expect_rc 0
	expect_json '.data.relists == 0 and .data.watch_resumes >= 3'
	# each resumed watch starts from a resourceVersion at least as new as the last
	kube_requests 'select(.watch) | .query.resourceVersion[0] | tonumber' >rvs
	sort -n -c rvs || _fail "resourceVersions went back: $(cat rvs)"
	[ "$(kube_requests 'select(.watch | not) | .path' | wc -l)" -eq 1 ] || _fail "more than one list"
}

case_watch_gone_relists() {
	rollout_with '.metadata.generation = 2'
	start_kube_api objects.json "$F/expire.json" --bookmark-interval 0.2
	# a stale generation first, so the watch does not end on the first list
	run gth-canary watch gatheraa-backend --kubeconfig "$KUBECONFIG_FILE" --timeout 30s --json
	expect_rc 0
	expect_json '.data.relists == 1'
	[ "$(kube_requests | sed 's/rv=[0-9]*/rv=N/' | tr '\n' '|')" = \
	  "GET $RO|GET $RO?watch rv=N|GET $RO|GET $RO?watch rv=N|" ] || _fail "requests: $(kube_requests)"
}

case_watch_not_found() {
	start_kube_api "$F/objects.json"
	run gth-canary watch nope --kubeconfig "$KUBECONFIG_FILE" --timeout 5s
	expect_rc 66
	expect_err_contains 'rollouts.argoproj.io "nope" not found in namespace gatheraa'
	run gth-canary watch gatheraa-backend --app nope --kubeconfig "$KUBECONFIG_FILE" --timeout 5s
	expect_rc 66
	expect_err_contains 'applications.argoproj.io "nope" not found in namespace argocd'
}

case_config_file() {
	start_kube_api "$F/objects.json"
	printf 'canary:\n  namespace: other\n  kubeconfig: %s\n' "$KUBECONFIG_FILE" >gth.yaml
	run gth-canary status gatheraa-backend
	expect_rc 66
	[ "$(kube_requests)" = "GET /apis/argoproj.io/v1alpha1/namespaces/other/rollouts/gatheraa-backend" ] || _fail "requests: $(kube_requests)"
	# a flag wins over the file
	run gth-canary status gatheraa-backend -n gatheraa
	expect_rc 0
	printf 'canary:\n  namespace: other\n  namepsace: typo\n' >gth.yaml
	run gth-canary status gatheraa-backend
	expect_rc 78
	expect_err_contains "gth.yaml:3"
}

case_usage() {
	run gth-canary
	expect_rc 64
	run gth-canary frob
	expect_rc 64
	expect_err_contains "unknown command 'frob'"
	run gth-canary status
	expect_rc 64
	expect_err_contains "usage: gth-canary status ROLLOUT"
	run gth-canary watch x --until never
	expect_rc 64
	expect_err_contains "--until: expected healthy or paused"
	run gth-canary watch x --revision abc
	expect_rc 64
	run gth-canary watch x --timeout soon
	expect_rc 64
	run gth-canary --help
	expect_rc 0
	expect_out_contains "commands:"
	run gth-canary watch --help
	expect_rc 0
	expect_out_contains "--app-namespace"
	run gth-canary --version
	expect_rc 0
	expect_out_match '^gth-canary [0-9]'
}

t "status of a Healthy rollout, one GET" case_status_healthy
t "status: unobserved generation is Progressing" case_status_stale_generation
t "status: controller pause without conditions is Progressing" case_status_unpausing
t "status: aborted is Degraded (1)" case_status_aborted_is_degraded
t "status: client-side phase for old controllers" case_status_client_side_phase
t "status shows the current analysis run" case_status_with_analysis_run
t "status: API 404 is 66 with the Status message" case_status_not_found
t "bearer token, and 401 is 77" case_status_token_and_401
t "403 is 77" case_status_403
t "tokenFile and the KUBECONFIG list" case_token_file_and_kubeconfig_env
t "missing context is 78 with file:line" case_context_missing
t "kubeconfig errors: 66, 65, 78" case_kubeconfig_errors
t "TLS: CA and client certificate as data and files, insecure-skip-tls-verify, in-cluster" case_tls
t "in-cluster service account" case_in_cluster
t "exec credential plugin, cached until expiry" case_exec_plugin_cached
t "promote clears pause conditions on the status subresource" case_promote_pause_conditions
t "promote without pause conditions skips the step and unpauses" case_promote_spec_paused_and_step
t "promote falls back to one patch for CRDs without status" case_promote_old_crd_fallback
t "promote --full" case_promote_full
t "promote: 409 conflicts are read again and retried" case_promote_conflict_retried
t "promote of a missing rollout is 66" case_promote_not_found
t "watch: sync, canary to the pause, promote, healthy" case_watch_sync_then_pause_then_promote
t "watch: paused for approval is 2" case_watch_paused_is_2
t "watch: a live block on a terminal, lines in CI" case_watch_live_block
t "watch --refresh patches the annotation and waits" case_watch_refresh
t "watch: aborted is 1 with Argo's message" case_watch_aborted_is_1
t "watch: failed sync is 1" case_watch_sync_failed_is_1
t "watch: out of time is 2" case_watch_timeout_is_2
t "watch: resumes from the last resourceVersion when the server ends a stream" case_watch_resumes_after_stream_end
t "watch: 410 Gone lists again and resumes" case_watch_gone_relists
t "watch: missing rollout or application is 66" case_watch_not_found
t "gth.yaml canary section under the flags" case_config_file
t "usage errors are 64" case_usage
finish
