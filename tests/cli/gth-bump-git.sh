#!/usr/bin/env bash
# gth-bump against real git: a work tree with an upstream, bare repositories over
# file:// and git:// (git daemon), a refusing pre-receive hook, eight concurrent
# bumps of one repository, an unreachable remote.
. "$(dirname "$0")/lib.sh.inc"
. "$GTH_SRC/tests/servers/git.sh"
git_identity

# manifests DIR N: N apps, each a Deployment of ghcr.io/acme/appI:v1 in apps/appI.yaml
manifests() {
	local dir=$1 n=$2 i
	mkdir -p "$dir/apps"
	for i in $(seq 1 "$n"); do
		cat >"$dir/apps/app$i.yaml" <<YAML
# app $i
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app$i
spec:
  template:
    spec:
      containers:
        - name: app
          image: ghcr.io/acme/app$i:v1   # bumped by CI
YAML
	done
}

case_worktree() {
	manifests seed 2
	git_bare "$PWD/gitops.git" seed
	git clone -q gitops.git work
	cd work/apps
	run gth-bump --image ghcr.io/acme/app1:v2 --source-sha 0123abc --author "Bot <bot@example.com>" \
		--message 'deploy {{app}} {{old}} -> {{new}} ({{image}}, {{source_sha}})'
	expect_rc 0
	cd ../..
	check grep -q 'image: ghcr.io/acme/app1:v2   # bumped by CI' work/apps/app1.yaml
	check [ -z "$(git -C work status --porcelain)" ]
	check [ "$(git -C work rev-parse HEAD)" = "$(git --git-dir=gitops.git rev-parse main)" ]
	git --git-dir=gitops.git log -1 --format='%an <%ae>%n%B' main >msg
	printf '%s\n' 'Bot <bot@example.com>' 'deploy app1 v1 -> v2 (ghcr.io/acme/app1:v2, 0123abc)' '' \
		'Gth-App: app1' 'Gth-Image: ghcr.io/acme/app1:v2' 'Gth-Source-Commit: 0123abc' '' >want
	expect_file_eq msg want
}
t "a work tree: commit on its branch, push to its upstream, files updated" case_worktree

case_worktree_behind() {
	manifests seed 2
	git_bare "$PWD/gitops.git" seed
	git clone -q gitops.git work
	manifests other 0
	echo "# someone else" >other/NOTES
	git_seed_commit "$PWD/gitops.git" other "someone else's commit"
	run gth-bump --repo work --image ghcr.io/acme/app2:v7 --json
	expect_rc 0
	expect_json '.data.attempts == 2 and .data.pushed == true'
	check [ "$(git_count gitops.git)" = 3 ]
	check [ -f work/NOTES ]
	check grep -q 'app2:v7' work/apps/app2.yaml
}
t "a work tree behind its upstream: re-applied on the new tip" case_worktree_behind

case_no_push_and_local_changes() {
	manifests seed 1
	git_bare "$PWD/gitops.git" seed
	git clone -q gitops.git work
	run gth-bump --repo work --image ghcr.io/acme/app1:v2 --no-push --json
	expect_rc 0
	expect_json '.data.pushed == false and (.data.commit | length) == 40'
	check [ "$(git_count gitops.git)" = 1 ]
	check [ "$(git -C work rev-list --count HEAD)" = 2 ]
	echo "# local edit" >>work/apps/app1.yaml
	run gth-bump --repo work --image ghcr.io/acme/app1:v3 --no-push
	expect_rc 65
	expect_err_contains "'apps/app1.yaml' has local changes"
	check [ "$(git -C work rev-list --count HEAD)" = 2 ]
}
t "--no-push commits locally; local edits to a changed file are refused" case_no_push_and_local_changes

case_owner() {
	# a checkout that belongs to another user, as in a CI container: gth-bump runs
	# as nobody on a clone owned by uid 4242 (readable and writable by all)
	if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
		echo "skipped: needs root and setpriv"
		return 0
	fi
	manifests seed 1
	git_bare "$PWD/gitops.git" seed
	git clone -q gitops.git work
	chmod -R a+rwX . "$T"
	chown -R 4242:4242 work
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$PWD" XDG_CACHE_HOME="$PWD/nc" "$@"; }
	cd work
	CI= GITHUB_ACTIONS= run as_nobody gth-bump --image ghcr.io/acme/app1:v2 --no-push
	expect_rc 77
	expect_err_contains "safe.directory"
	CI=true run as_nobody gth-bump --image ghcr.io/acme/app1:v2 --no-push
	expect_rc 0
	cd ..
	CI= GITHUB_ACTIONS= run as_nobody gth-bump --image ghcr.io/acme/app1:v3 --repo work --no-push
	expect_rc 0
	check grep -q 'app1:v3' work/apps/app1.yaml
}
t "another user's checkout: refused from the current folder, opened in CI or with --repo" case_owner

case_git_daemon() {
	mkdir srv
	manifests seed 2
	git_bare "$PWD/srv/gitops.git" seed
	git_daemon_start "$PWD/srv"
	run gth-bump --image ghcr.io/acme/app2:v2 --repo "$GIT_DAEMON_URL/gitops.git" --json
	expect_rc 0
	expect_json '.data.pushed == true and .data.branch == "main"'
	check grep -q 'app2:v2' <(git_show srv/gitops.git main:apps/app2.yaml)
	# --push-branch leaves main alone
	run gth-bump --image ghcr.io/acme/app1:v3 --repo "$GIT_DAEMON_URL/gitops.git" --push-branch bump/app1
	expect_rc 0
	check grep -q 'app1:v3' <(git_show srv/gitops.git bump/app1:apps/app1.yaml)
	check grep -q 'app1:v1' <(git_show srv/gitops.git main:apps/app1.yaml)
}
t "git:// through git daemon, and --push-branch" case_git_daemon

case_hook_refuses() {
	mkdir srv
	manifests seed 1
	git_bare "$PWD/srv/gitops.git" seed
	git_refuse_pushes "$PWD/srv/gitops.git" "main is frozen for the release"
	git_daemon_start "$PWD/srv"
	run gth-bump --image ghcr.io/acme/app1:v2 --repo "$GIT_DAEMON_URL/gitops.git" --json
	expect_rc 77
	expect_err_contains "refused"
	expect_err_contains "main is frozen for the release"
	expect_json '.status == "error" and .exit == 77'
	check [ "$(git_count srv/gitops.git)" = 1 ]
}
t "a pre-receive hook that refuses: 77 with the server's message" case_hook_refuses

case_concurrent() {
	manifests seed 8
	git_bare "$PWD/gitops.git" seed
	for i in 1 2 3 4 5 6 7 8; do
		gth-bump --image "ghcr.io/acme/app$i:v2" --repo "file://$PWD/gitops.git" --json \
			>"out$i" 2>"err$i" &
		pids[$i]=$!
	done
	fails=0
	for i in 1 2 3 4 5 6 7 8; do wait "${pids[$i]}" || { fails=1; cat "err$i"; }; done
	check [ "$fails" = 0 ]
	check [ "$(git_count gitops.git)" = 9 ]
	for i in 1 2 3 4 5 6 7 8; do
		check grep -q "image: ghcr.io/acme/app$i:v2" <(git_show gitops.git "main:apps/app$i.yaml")
	done
	attempts=$(cat out1 out2 out3 out4 out5 out6 out7 out8 | jq -s 'map(.data.attempts) | add')
	echo "attempts in all: $attempts"
	check [ "$attempts" -ge 8 ]
}
t "eight gth-bump processes at once on one repository: all eight land" case_concurrent

case_concurrent_daemon() {
	mkdir srv
	manifests seed 8
	git_bare "$PWD/srv/gitops.git" seed
	git_daemon_start "$PWD/srv"
	for i in 1 2 3 4 5 6 7 8; do
		XDG_CACHE_HOME=$PWD/cache$i gth-bump --image "ghcr.io/acme/app$i:v2" \
			--repo "$GIT_DAEMON_URL/gitops.git" --json >"out$i" 2>"err$i" &
		pids[$i]=$!
	done
	fails=0
	for i in 1 2 3 4 5 6 7 8; do wait "${pids[$i]}" || { fails=1; cat "err$i"; }; done
	check [ "$fails" = 0 ]
	check [ "$(git_count srv/gitops.git)" = 9 ]
	for i in 1 2 3 4 5 6 7 8; do
		check grep -q "image: ghcr.io/acme/app$i:v2" <(git_show srv/gitops.git "main:apps/app$i.yaml")
	done
}
t "eight at once over git:// with separate caches: all eight land" case_concurrent_daemon

case_http_token() {
	mkdir srv
	manifests seed 1
	git_bare "$PWD/srv/gitops.git" seed
	git_http_start "$PWD/srv" x-access-token ghs_right_token_42
	GITHUB_TOKEN=ghs_wrong_token run gth-bump --image ghcr.io/acme/app1:v2 --repo "$GIT_HTTP_URL/gitops.git"
	expect_rc 77
	expect_err_lacks ghs_wrong_token
	GITHUB_TOKEN=ghs_right_token_42 run gth-bump --image ghcr.io/acme/app1:v2 --repo "$GIT_HTTP_URL/gitops.git" --json
	expect_rc 0
	expect_json '.data.pushed == true'
	check grep -q 'app1:v2' <(git_show srv/gitops.git main:apps/app1.yaml)
	check grep -q '^POST /gitops.git/git-receive-pack 200 x-access-token$' "$GIT_HTTP_LOG"
}
t "HTTPS-style remote: GITHUB_TOKEN is sent as x-access-token; a wrong one is 77" case_http_token

case_unreachable() {
	port=$(free_port)
	run gth-bump --image ghcr.io/acme/app1:v2 --repo "git://127.0.0.1:$port/gitops.git"
	expect_rc 69
	expect_err_contains "fetching 'git://127.0.0.1:$port/gitops.git'"
}
t "an unreachable remote is 69" case_unreachable

finish
