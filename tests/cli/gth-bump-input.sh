#!/usr/bin/env bash
# gth-bump's inputs: the image from --image or a gth-build event, bad references,
# malformed YAML, usage errors, and --pr through a recording GitHub API stub.
. "$(dirname "$0")/lib.sh.inc"
. "$GTH_SRC/tests/servers/git.sh"
git_identity

repo() {
	mkdir -p seed/k8s
	cat >seed/k8s/app.yaml <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: gatheraa-backend}
spec:
  template:
    spec:
      containers:
        - name: backend
          image: ghcr.io/acme/gatheraa-backend:1.0.0
YAML
	git_bare "$PWD/gitops.git" seed
	URL=file://$PWD/gitops.git
}

case_from_event() {
	repo
	d=sha256:$(printf 'cd%.0s' {1..32})
	cat >build.json <<JSON
{"schema":"gth.event/v1","tool":"gth-build","status":"success","exit":0,"app":"gatheraa-backend",
 "git":{"sha":"5f2e9c1d","ref":"refs/heads/main","repo":"acme/gatheraa"},
 "data":{"image":{"name":"ghcr.io/acme/gatheraa-backend","digest":"$d",
         "tags":["latest","sha-5f2e9c1","1.1.0"],"refs":[]}}}
JSON
	run_in build.json gth-bump --from - --repo "$URL" --json
	expect_rc 0
	expect_json '.app == "gatheraa-backend" and .data.image.tag == "sha-5f2e9c1"'
	expect_json ".data.changes[0].new == \"ghcr.io/acme/gatheraa-backend:sha-5f2e9c1@$d\""
	git --git-dir=gitops.git log -1 --format=%B main >msg
	printf '%s\n' 'Bump gatheraa-backend to sha-5f2e9c1' '' 'Gth-App: gatheraa-backend' \
		"Gth-Image: ghcr.io/acme/gatheraa-backend:sha-5f2e9c1@$d" 'Gth-Source-Commit: 5f2e9c1d' '' >want
	expect_file_eq msg want
}
t "--from a gth-build event: tag, digest, app and source commit" case_from_event

case_bad_reference() {
	repo
	run gth-bump --image 'ghcr.io/Acme/API:v1' --repo "$URL"
	expect_rc 65
	expect_err_contains "invalid reference 'ghcr.io/Acme/API:v1'"
	run gth-bump --image 'ghcr.io/acme/api:v1@sha256:xyz' --repo "$URL"
	expect_rc 65
	run gth-bump --image 'ghcr.io/acme/api' --repo "$URL"
	expect_rc 65
	expect_err_contains "names no tag or digest"
	echo '{"schema":"gth.event/v1","tool":"gth-test","data":{}}' >ev.json
	run gth-bump --from ev.json --repo "$URL"
	expect_rc 65
	expect_err_contains "no event with data.image"
	run gth-bump --from missing.json --repo "$URL"
	expect_rc 66
}
t "a reference that does not parse is 65; an event without an image too" case_bad_reference

case_malformed_yaml() {
	repo
	printf 'apiVersion: v1\nkind: Pod\nspec:\n  containers: [{name: a, image: ghcr.io/acme/gatheraa-backend:1.0.0}\n' >seed/k8s/broken.yaml
	git_seed_commit "$PWD/gitops.git" seed "add a broken file"
	before=$(git --git-dir=gitops.git rev-parse main)
	run gth-bump --image ghcr.io/acme/gatheraa-backend:2.0.0 --repo "$URL" --json
	expect_rc 65
	expect_err_match "error: k8s/broken.yaml:[45]: "
	expect_json '.exit == 65 and .status == "error"'
	check [ "$(git --git-dir=gitops.git rev-parse main)" = "$before" ]
}
t "malformed YAML is 65 naming file and line; nothing committed" case_malformed_yaml

case_usage() {
	run gth-bump
	expect_rc 64
	expect_err_contains "--image REF or --from EVENT"
	run gth-bump --image a:1 --bogus
	expect_rc 64
	run gth-bump --image a:1 --retries 1000
	expect_rc 64
	run gth-bump --help
	expect_rc 0
	expect_out_contains "usage: gth-bump (--image REF | --from EVENT)"
	run gth-bump --image a:1 --repo "$PWD/nowhere"
	expect_rc 66
	mkdir plain
	run gth-bump --image a:1 --repo plain
	expect_rc 66
}
t "usage errors are 64, a missing repository 66" case_usage

case_pr() {
	repo
	cat >gh.json <<'JSON'
{"routes": [
 {"method": "POST", "path": "/repos/acme/gitops/pulls",
  "responses": [{"status": 201, "json": {"number": 42, "html_url": "https://github.example/acme/gitops/pull/42"}},
                {"status": 422, "json": {"message": "Validation Failed", "errors": [{"message": "A pull request already exists for acme:gth/bump-gatheraa-backend-2.0.0."}]}}]},
 {"method": "GET", "path": "/repos/acme/gitops/pulls",
  "responses": [{"status": 200, "json": [{"number": 42, "html_url": "https://github.example/acme/gitops/pull/42"}]}]}
]}
JSON
	start_stub gh.json
	mkdir -p acme && mv gitops.git acme/
	export GITHUB_API_URL=$STUB_URL GITHUB_TOKEN=ghs_test_token_1234
	run gth-bump --image ghcr.io/acme/gatheraa-backend:2.0.0 --repo "file://$PWD/acme/gitops.git" --pr --json
	expect_rc 0
	expect_json '.data.pr == {"number": 42, "url": "https://github.example/acme/gitops/pull/42"}'
	expect_json '.data.branch == "gth/bump-gatheraa-backend-2.0.0"'
	check grep -q '2.0.0' <(git_show acme/gitops.git gth/bump-gatheraa-backend-2.0.0:k8s/app.yaml)
	check grep -q '1.0.0' <(git_show acme/gitops.git main:k8s/app.yaml)
	jq -e -s '.[0] | .method == "POST" and .headers.authorization == "Bearer ghs_test_token_1234"
		and (.body | fromjson) == {"title": "Bump gatheraa-backend to 2.0.0", "head": "gth/bump-gatheraa-backend-2.0.0",
		"base": "main", "body": "Gth-App: gatheraa-backend\nGth-Image: ghcr.io/acme/gatheraa-backend:2.0.0"}' "$STUB_LOG" >/dev/null ||
		_fail "unexpected request: $(head -1 "$STUB_LOG")"
	# the same bump again: the branch already has it, nothing to commit, no new PR
	run gth-bump --image ghcr.io/acme/gatheraa-backend:2.0.0 --repo "file://$PWD/acme/gitops.git" --pr --json
	expect_rc 0
	expect_json '.data.commit == null'
	check [ "$(wc -l <"$STUB_LOG")" = 1 ]
	# a new version on the same branch name: the PR exists, found by GET
	run gth-bump --image ghcr.io/acme/gatheraa-backend:2.0.0@sha256:$(printf 'ef%.0s' {1..32}) \
		--repo "file://$PWD/acme/gitops.git" --pr --push-branch gth/bump-gatheraa-backend-2.0.0 --json
	expect_rc 0
	expect_json '.data.pr.number == 42 and .data.pushed == true'
	check [ "$(wc -l <"$STUB_LOG")" = 3 ]
	unset GITHUB_TOKEN
	run gth-bump --image ghcr.io/acme/gatheraa-backend:3.0.0 --repo "file://$PWD/acme/gitops.git" --pr
	expect_rc 78
}
t "--pr pushes a branch and opens a pull request through the GitHub API" case_pr

finish
