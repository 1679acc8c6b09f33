#!/usr/bin/env bash
# gth-build tags: docker/metadata-action's rules from the GitHub environment and
# from a git repository.
. "$(dirname "$0")/lib.sh.inc"
unset GITHUB_SHA GITHUB_REF GITHUB_REPOSITORY GITHUB_SERVER_URL GITHUB_EVENT_PATH GTH_DEFAULT_BRANCH

SHA=0123456789abcdef0123456789abcdef01234567

# tags_case REF DEFAULT_BRANCH POLICY EXPECTED (space-separated, in order)
tags_case() {
	local ref=$1 def=$2 policy=$3 want=$4 args=()
	[ -n "$policy" ] && args=(--tag-policy "$policy")
	GITHUB_SHA=$SHA GITHUB_REF=$ref GTH_DEFAULT_BRANCH=$def run gth-build tags "${args[@]}"
	expect_rc 0
	[ "$(tr '\n' ' ' <"$OUT" | sed 's/ $//')" = "$want" ] || _fail "$ref ($policy): got '$(tr '\n' ' ' <"$OUT")', want '$want'"
}

case_table() {
	tags_case refs/heads/main main "" "main sha-0123456 latest"
	tags_case refs/heads/feature/login main "" "feature-login sha-0123456"
	tags_case refs/heads/develop develop "" "develop sha-0123456 latest"
	tags_case refs/tags/v1.2.3 main "" "1.2.3 1.2 1 sha-0123456 latest"
	tags_case refs/tags/v0.3.1 main "" "0.3.1 0.3 sha-0123456 latest"
	tags_case refs/tags/v2.0.0-rc.1 main "" "2.0.0-rc.1 sha-0123456"
	tags_case refs/tags/nightly main "" "nightly sha-0123456"
	tags_case refs/pull/42/merge main "" "pr-42 sha-0123456"
	tags_case refs/heads/main main sha "sha-0123456"
	tags_case refs/tags/v1.2.3 main semver,latest "1.2.3 1.2 1 latest"
	tags_case refs/heads/main main branch "main"
}
t "metadata-action's rules, table-driven" case_table

case_image_json() {
	GITHUB_SHA=$SHA GITHUB_REF=refs/tags/v3.1.0 run gth-build tags --image ghcr.io/acme/api
	expect_rc 0
	expect_out_eq "$(printf 'ghcr.io/acme/api:3.1.0\nghcr.io/acme/api:3.1\nghcr.io/acme/api:3\nghcr.io/acme/api:sha-0123456\nghcr.io/acme/api:latest')"
	GITHUB_SHA=$SHA GITHUB_REF=refs/heads/main run gth-build tags --image ghcr.io/acme/api --json
	expect_rc 0
	expect_json '.data.image.tags == ["main","sha-0123456","latest"]'
	expect_json '.data.image.refs[0] == "ghcr.io/acme/api:main"'
	expect_json '.summary == "3 tags"'
	# the default branch from the event file
	echo '{"repository":{"default_branch":"trunk"}}' >event.json
	GITHUB_SHA=$SHA GITHUB_REF=refs/heads/trunk GITHUB_EVENT_PATH=$PWD/event.json run gth-build tags
	expect_rc 0
	expect_out_contains latest
	run gth-build tags --tag-policy sha,colour
	expect_rc 64
	expect_err_contains "unknown kind 'colour'"
	run gth-build tags extra
	expect_rc 64
}
t "--image, --json, the event's default branch, bad policy" case_image_json

case_git() {
	git init -q -b main repo
	cd repo
	git -c user.name=t -c user.email=t@t commit -q --allow-empty -m one
	local sha
	sha=$(git rev-parse HEAD)
	run gth-build tags
	expect_rc 0
	expect_out_eq "$(printf 'main\nsha-%s\nlatest' "${sha:0:7}")"
	git tag v1.0.0
	git checkout -q -b topic/x
	run gth-build tags
	expect_rc 0
	expect_out_eq "$(printf 'topic-x\n1.0.0\n1.0\n1\nsha-%s\nlatest' "${sha:0:7}")"
	git checkout -q --detach v1.0.0
	run gth-build tags
	expect_rc 0
	expect_out_eq "$(printf '1.0.0\n1.0\n1\nsha-%s\nlatest' "${sha:0:7}")"
}
t "tags from a git repository: branch, tags at HEAD, detached at a tag" case_git

finish
