#!/usr/bin/env bash
# gth-notify github-deployment against the local GitHub deployments API
# (tests/servers/slack-api.py): bodies, ids, Enterprise URLs and GitHub's errors.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/notify.sh.inc"

gh() { GITHUB_TOKEN=${TOKEN:-$GH_TOKEN} GITHUB_REPOSITORY=${REPO:-acme/api} GITHUB_API_URL=$API "$@"; }

case_create_and_status() {
	start_api
	export GITHUB_ACTIONS=true GITHUB_OUTPUT=$PWD/gh-output
	: >gh-output
	run gh gth-notify github-deployment --from "$EV/canary.json" --url https://api.example.com --json
	expect_rc 0
	expect_json '.data.service == "github-deployment" and .data.deployment_id == 1000 and .data.status_id == 1001'
	expect_json '.data.state == "failure" and .data.delivered == true'
	expect_err_contains "gth-notify: deployment 1000: failure"
	expect_err_contains "::add-mask::$GH_TOKEN"
	check [ "$(nreq "$API_LOG")" = 2 ]
	expect_req_golden 0 "$API_LOG" github-deployment.json
	expect_req_golden 1 "$API_LOG" github-status.json
	jq -se '.[0].path == "/repos/acme/api/deployments" and .[1].path == "/repos/acme/api/deployments/1000/statuses"
		and .[0].headers.authorization == "Bearer ghs-test-token"
		and .[0].headers.accept == "application/vnd.github+json"
		and .[0].headers["x-github-api-version"] == "2022-11-28"' "$API_LOG" >/dev/null || _fail "requests"
	grep -qx 'deployment_id=1000' gh-output || _fail "no deployment_id in GITHUB_OUTPUT"
	# --dry-run prints both bodies, exactly
	run gth-notify github-deployment --from "$EV/canary.json" --url https://api.example.com -n
	expect_rc 0
	cat "$GOLDEN/github-deployment.json" "$GOLDEN/github-status.json" >both.json
	expect_file_eq "$OUT" both.json
}
t "creates the deployment, then its status; ids to the event and GITHUB_OUTPUT" case_create_and_status

case_existing_deployment() {
	start_api
	run gh gth-notify github-deployment --status started --environment staging --ref main-sha-1 --json
	expect_rc 0
	expect_json '.data.deployment_id == 1000 and .data.state == "in_progress"'
	run gh gth-notify github-deployment --deployment-id 1000 --from "$EV/stages.jsonl" --environment staging \
		--state success --url https://staging.example.com --json
	expect_rc 0
	expect_json '.data.deployment_id == 1000 and .data.status_id == 1002 and .data.state == "success"'
	check [ "$(nreq "$API_LOG")" = 3 ]
	jq -se '.[2].path == "/repos/acme/api/deployments/1000/statuses"' "$API_LOG" >/dev/null || _fail path
	curl -fsS -H "Authorization: Bearer $GH_TOKEN" "$API/repos/acme/api/deployments/1000/statuses" >st.json
	jq -e 'map(.state) == ["success", "in_progress"]' st.json >/dev/null || _fail "statuses: $(cat st.json)"
}
t "--deployment-id adds a status to an existing deployment" case_existing_deployment

case_enterprise() {
	start_api
	GITHUB_TOKEN=$GH_TOKEN GITHUB_REPOSITORY=acme/api GITHUB_API_URL=$API/api/v3/ \
		run gth-notify github-deployment --from "$EV/build.json" --json
	expect_rc 0
	jq -se '.[0].path == "/api/v3/repos/acme/api/deployments" and
		.[1].path == "/api/v3/repos/acme/api/deployments/1000/statuses"' "$API_LOG" >/dev/null ||
		_fail "paths: $(jq -c .path "$API_LOG")"
}
t "GITHUB_API_URL of GitHub Enterprise (/api/v3) is used as given" case_enterprise

case_description_cut() {
	start_api
	long=$(printf 'd%.0s' $(seq 300))
	run gh gth-notify github-deployment --ref abc --status success --text "$long"
	expect_rc 0
	body 1 "$API_LOG" | jq -e '(.description | length) == 140 and (.description | endswith("…"))' >/dev/null ||
		_fail "description"
}
t "the description is cut at GitHub's 140 characters" case_description_cut

case_errors() {
	start_api
	TOKEN=ghs-wrong run gh gth-notify github-deployment --ref abc --status success
	expect_rc 77
	expect_err_eq "gth-notify: error: github deployment: HTTP 401: Bad credentials"
	REPO=acme/other run gh gth-notify github-deployment --ref abc --status success
	expect_rc 66
	expect_err_eq "gth-notify: error: github deployment: HTTP 404: Not Found"
	run gh gth-notify github-deployment --ref no-such-ref --status success
	expect_rc 65
	expect_err_eq "gth-notify: error: github deployment: HTTP 422: No ref found for: no-such-ref"
	run gh gth-notify github-deployment --deployment-id 4242 --status success
	expect_rc 66
	expect_err_eq "gth-notify: error: github deployment status: HTTP 404: Not Found"
	run gh gth-notify github-deployment --ref abc --state shipped
	expect_rc 64
	expect_err_contains "--state 'shipped': expected error, failure, inactive, in_progress, queued, pending or success"
	run env GITHUB_REPOSITORY=acme/api gth-notify github-deployment --ref abc --status success
	expect_rc 78
	expect_err_eq "gth-notify: error: github-deployment: GITHUB_TOKEN is not set"
	run env GITHUB_TOKEN=x1234 gth-notify github-deployment --ref abc --status success
	expect_rc 78
	expect_err_eq "gth-notify: error: github-deployment: no repository: set GITHUB_REPOSITORY or give --repo OWNER/NAME"
	run gh gth-notify github-deployment --status success
	expect_rc 64
	expect_err_contains "no ref to deploy"
	run gh gth-notify github-deployment --ref abc --status success --repo 'not a repo'
	expect_rc 64
	expect_err_contains "repository 'not a repo': expected OWNER/NAME"
}
t "GitHub's errors and missing configuration end with their statuses" case_errors

case_rate_limit() {
	cat >f.json <<'F'
[{"path_re": "/deployments$", "status": 403,
  "headers": {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1764000000"},
  "json": {"message": "API rate limit exceeded for installation ID 1.", "documentation_url": "https://docs.github.com/rest"}}]
F
	start_api --faults f.json
	run gh gth-notify github-deployment --ref abc --status success
	expect_rc 75
	expect_err_eq "gth-notify: error: github deployment: HTTP 403: API rate limit exceeded for installation ID 1."
	cat >g.json <<'F'
[{"path_re": "/deployments$", "times": 2, "status": 502, "body": "Bad Gateway"}]
F
	start_api --faults g.json
	run gh gth-notify github-deployment --ref abc --status success --json
	expect_rc 0
	expect_json '.data.deployment_id == 1000'
	check [ "$(nreq "$API_LOG")" = 4 ]
}
t "403 with the rate limit spent is 75; 502 is retried" case_rate_limit

finish
