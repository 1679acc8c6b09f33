#!/usr/bin/env bash
# tests/servers/kube-api.py itself, with curl as the client: the API behaviour that
# gth-canary's and gth-rollback's tests rely on (Status errors, patch types,
# resourceVersion conflicts, the status subresource, watches, bookmarks, 410).
. "$(dirname "$0")/lib.sh.inc"
. "$GTH_SRC/tests/servers/canary.sh.inc"
F=$GTH_SRC/tests/fixtures/canary
RO=/apis/argoproj.io/v1alpha1/namespaces/gatheraa/rollouts

# req METHOD PATH [CONTENT_TYPE BODY]: status in $code, body in $OUT
req() {
	local args=(-s -o "$OUT" -w '%{http_code}' -X "$1" "$KUBE_URL$2")
	[ $# -lt 4 ] || args+=(-H "Content-Type: $3" --data-binary "$4")
	code=$(curl "${args[@]}")
}
expect_code() { [ "$code" = "$1" ] || _fail "HTTP $code, expected $1"; }

case_status_errors() {
	start_kube_api "$F/objects.json"
	req GET "$RO/nope"
	expect_code 404
	expect_json '.kind == "Status" and .reason == "NotFound" and .code == 404 and .message == "rollouts.argoproj.io \"nope\" not found"'
	req PATCH "$RO/gatheraa-backend" application/json '{}'
	expect_code 415
	req PATCH "$RO/gatheraa-backend" application/strategic-merge-patch+json '{}'
	expect_code 415
	expect_json '.reason == "UnsupportedMediaType"'
	req GET /apis/argoproj.io/v1alpha1
	expect_code 404
}

case_merge_patch() {
	start_kube_api "$F/objects.json"
	req GET "$RO/gatheraa-backend"
	local rv gen
	rv=$(jq -r .metadata.resourceVersion "$OUT")
	gen=$(jq -r .metadata.generation "$OUT")
	req PATCH "$RO/gatheraa-backend" application/merge-patch+json '{"metadata":{"labels":{"a":"b"}}}'
	expect_code 200
	expect_json ".metadata.labels.a == \"b\" and .metadata.generation == $gen and (.metadata.resourceVersion | tonumber) > $rv"
	req PATCH "$RO/gatheraa-backend" application/merge-patch+json '{"spec":{"paused":true},"metadata":{"labels":null}}'
	expect_json ".spec.paused == true and .metadata.generation == $((gen + 1)) and (.metadata | has(\"labels\") | not)"
	# a stale resourceVersion is a conflict
	req PATCH "$RO/gatheraa-backend" application/merge-patch+json "{\"metadata\":{\"resourceVersion\":\"$rv\"},\"spec\":{\"paused\":false}}"
	expect_code 409
	expect_json '.reason == "Conflict" and (.message | contains("the object has been modified"))'
	# PUT needs the current resourceVersion
	req GET "$RO/gatheraa-backend"
	jq '.spec.replicas = 5' "$OUT" >put.json
	req PUT "$RO/gatheraa-backend" application/json "$(cat put.json)"
	expect_code 200
	req PUT "$RO/gatheraa-backend" application/json "$(cat put.json)"
	expect_code 409
}

case_json_patch() {
	start_kube_api "$F/objects.json"
	req PATCH "$RO/gatheraa-backend" application/json-patch+json \
		'[{"op":"test","path":"/spec/replicas","value":3},{"op":"replace","path":"/spec/replicas","value":4},{"op":"add","path":"/metadata/labels","value":{"x":"y"}},{"op":"remove","path":"/spec/strategy/canary/steps/0"}]'
	expect_code 200
	expect_json '.spec.replicas == 4 and .metadata.labels.x == "y" and (.spec.strategy.canary.steps | length) == 3'
	req PATCH "$RO/gatheraa-backend" application/json-patch+json '[{"op":"test","path":"/spec/replicas","value":3}]'
	expect_code 422
	req PATCH "$RO/gatheraa-backend" application/json-patch+json '[{"op":"replace","path":"/spec/nope/x","value":1}]'
	expect_code 422
	req PATCH "$RO/gatheraa-backend" application/json-patch+json '{"op":"add"}'
	expect_code 400
}

case_status_subresource() {
	start_kube_api "$F/objects.json"
	req PATCH "$RO/gatheraa-backend/status" application/merge-patch+json '{"status":{"phase":"Paused"},"spec":{"replicas":9}}'
	expect_code 200
	expect_json '.status.phase == "Paused" and .spec.replicas == 3'
	req PATCH "$RO/gatheraa-backend" application/merge-patch+json '{"status":{"phase":"Healthy"},"spec":{"replicas":2}}'
	expect_json '.status.phase == "Paused" and .spec.replicas == 2'
	start_kube_api "$F/objects.json" - --no-status-subresource rollouts
	req PATCH "$RO/gatheraa-backend/status" application/merge-patch+json '{"status":{"phase":"Paused"}}'
	expect_code 404
	req PATCH "$RO/gatheraa-backend" application/merge-patch+json '{"status":{"phase":"Paused"}}'
	expect_code 200
	expect_json '.status.phase == "Paused"'
}

case_watch() {
	start_kube_api "$F/objects.json" - --bookmark-interval 0.3
	req GET "$RO?fieldSelector=metadata.name%3Dgatheraa-backend"
	expect_json '.kind == "RolloutList" and (.items | length) == 1'
	local rv
	rv=$(jq -r .metadata.resourceVersion "$OUT")
	curl -sN "$KUBE_URL$RO?watch=1&resourceVersion=$rv&allowWatchBookmarks=true&timeoutSeconds=2" >"$T/w1" &
	local pid=$!
	sleep 0.5
	req PATCH "$RO/gatheraa-backend/status" application/merge-patch+json '{"status":{"phase":"Paused"}}'
	wait "$pid"
	cp "$T/w1" "$OUT"
	jq -se 'map(.type) | index("MODIFIED") != null and index("BOOKMARK") != null' "$OUT" >/dev/null || _fail "events: $(cat "$OUT")"
	jq -se '[.[] | select(.type == "MODIFIED")][0].object.status.phase == "Paused"' "$OUT" >/dev/null || _fail "no MODIFIED Paused"
	# from the beginning: every object as ADDED first
	curl -sN "$KUBE_URL$RO?watch=1&timeoutSeconds=1" >"$OUT"
	jq -se '.[0].type == "ADDED" and .[0].object.metadata.name == "gatheraa-backend"' "$OUT" >/dev/null || _fail "no ADDED: $(cat "$OUT")"
	# the log says which requests were watches
	[ "$(kube_requests 'select(.watch) | .query.resourceVersion[0] // "none"' | head -1)" = "$rv" ] || _fail "log: $(cat "$KUBE_LOG")"
}

case_watch_gone() {
	printf '{"steps":[{"expire_watches":true}]}\n' >expire.json
	start_kube_api "$F/objects.json" expire.json
	sleep 0.3
	curl -sN "$KUBE_URL$RO?watch=1&resourceVersion=101&timeoutSeconds=2" >"$OUT"
	expect_json '.type == "ERROR" and .object.code == 410 and .object.reason == "Expired"'
}

t "Status errors: 404, 415" case_status_errors
t "merge patch, generation, 409 on a stale resourceVersion, PUT" case_merge_patch
t "JSON patch: test, replace, add, remove; 422 and 400" case_json_patch
t "the status subresource, and CRDs without it" case_status_subresource
t "watches: events after a resourceVersion, bookmarks, ADDED first" case_watch
t "a watch from a compacted resourceVersion gets 410" case_watch_gone
finish
