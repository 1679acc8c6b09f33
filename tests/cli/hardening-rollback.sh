#!/usr/bin/env bash
# Faults in gth-rollback's git push: `ROLLOUT --gitops` (abort through the local
# Kubernetes API, then the revert of the gth-bump commit pushed to git daemon
# behind tests/servers/faultproxy.py --tcp). A dropped or cut push is 69 with the
# remote branch unchanged; one drop is retried; SIGINT and SIGTERM while
# receive-pack stalls leave the branch unchanged and the cache usable. And the git
# cache's modes after gth-bump and gth-rollback: folders 0700, gth's files 0600.
. "$(dirname "$0")/lib.sh.inc"
export GTH_HTTP_BUDGET=4s
. "$(dirname "$0")/faults.sh.inc"
. "$GTH_SRC/tests/servers/git.sh"
. "$GTH_SRC/tests/servers/canary.sh.inc"
FIX=$GTH_SRC/tests/fixtures/gth-rollback
IMG=localhost:5000/gatheraa/backend
git_identity

# rollback_repo: the fixture's GitOps repository served by git daemon, with a
# gth-bump commit to revert (GIT_PORT, BEFORE), and the local Kubernetes API
# (KUBECONFIG_FILE); each case has its own cache.
rollback_repo() {
	export XDG_CACHE_HOME=$PWD/cache
	mkdir srv
	git_bare "$PWD/srv/gitops.git" "$FIX/gitops"
	git_daemon_start "$PWD/srv"
	GIT_PORT=${GIT_DAEMON_URL##*:}
	gth-bump --image $IMG:0.2.0 --repo "$GIT_DAEMON_URL/gitops.git" --app gatheraa-backend -q ||
		_fail "bump"
	BEFORE=$(git --git-dir=srv/gitops.git rev-parse main)
	start_kube_api "$FIX/objects.json"
}
main_now() { git --git-dir=srv/gitops.git rev-parse main; }
# rollback_via_proxy: --gitops with the push through the fault proxy, into $OUT/$ERR/$rc.
rollback_via_proxy() {
	run gth-rollback gatheraa-backend --gitops --repo "git://127.0.0.1:$FP_PORT/gitops.git" \
		--kubeconfig "$KUBECONFIG_FILE" --json
}

case_rollback_push_faults() {
	rollback_repo
	# every receive-pack connection dropped: 69, main unchanged, the abort recorded
	cat >r.json <<'R'
{"rules": [{"data_re": "git-receive-pack", "count": 0, "action": "drop"}]}
R
	start_faultproxy "$GIT_PORT" r.json --tcp
	rollback_via_proxy
	expect_rc 69
	expect_err_contains "gth-rollback: error: pushing to"
	expect_json '.exit == 69 and [.data.steps[] | [.step, .exit]] == [["abort", 0], ["revert", 69]]'
	check [ "$(main_now)" = "$BEFORE" ]
	# the push was tried again before giving up
	check [ "$(grep -c receive-pack "$FP_LOG")" -ge 2 ]
	# the server's answer to the push cut short: 69, main unchanged
	cat >r2.json <<'R'
{"rules": [{"data_re": "git-receive-pack", "count": 0, "action": "truncate", "bytes": 40}]}
R
	start_faultproxy "$GIT_PORT" r2.json --tcp
	rollback_via_proxy
	expect_rc 69
	check [ "$(main_now)" = "$BEFORE" ]
	# one dropped push, then through: retried, the revert pushed
	cat >r3.json <<'R'
{"rules": [{"data_re": "git-receive-pack", "count": 1, "action": "drop"}]}
R
	start_faultproxy "$GIT_PORT" r3.json --tcp
	rollback_via_proxy
	expect_rc 0
	expect_json '.data.steps[1].revert.pushed == true'
	check [ "$(grep -c receive-pack "$FP_LOG")" = 2 ]
	check [ "$(git --git-dir=srv/gitops.git rev-parse main~1)" = "$BEFORE" ]
	check grep -q "backend:0.1.0" <(git_show srv/gitops.git main:k8s/rollout.yaml)
}
t "gth-rollback --gitops push dropped or cut: 69 and the branch unchanged; one drop is retried" \
	case_rollback_push_faults

case_rollback_report_lost() {
	rollback_repo
	# the server takes the push but its report never reaches gth-rollback, on
	# every try: a fetch shows the branch at the revert; 0, and one revert commit
	cat >r.json <<'R'
{"rules": [{"data_re": "git-receive-pack", "count": 0, "action": "lose_reply"}]}
R
	start_faultproxy "$GIT_PORT" r.json --tcp
	rollback_via_proxy
	expect_rc 0
	expect_json '.data.steps[1].revert.pushed == true'
	check [ "$(grep -c lose_reply "$FP_LOG")" -ge 1 ]
	check [ "$(git --git-dir=srv/gitops.git rev-parse main~1)" = "$BEFORE" ]
	check grep -q "backend:0.1.0" <(git_show srv/gitops.git main:k8s/rollout.yaml)
	# run again: nothing left to revert
	rollback_via_proxy
	expect_rc 0
	expect_json '.data.steps[1].revert.commit == null'
	check [ "$(git --git-dir=srv/gitops.git rev-parse main~1)" = "$BEFORE" ]
}
t "gth-rollback's push taken but every report lost: 0, one revert commit" case_rollback_report_lost

sig_during_rollback() {
	rollback_repo
	cat >r.json <<'R'
{"rules": [{"data_re": "git-receive-pack", "count": 0, "action": "delay", "seconds": 30}]}
R
	start_faultproxy "$GIT_PORT" r.json --tcp
	spawn gth-rollback gatheraa-backend --gitops --repo "git://127.0.0.1:$FP_PORT/gitops.git" \
		--kubeconfig "$KUBECONFIG_FILE" >out 2>err &
	local pid=$!
	fp_wait_for receive-pack
	interrupt "$1" "$pid"
	check [ "$(main_now)" = "$BEFORE" ]
	# the same cache, straight to the daemon: the rollback goes through
	run gth-rollback gatheraa-backend --gitops --repo "$GIT_DAEMON_URL/gitops.git" \
		--kubeconfig "$KUBECONFIG_FILE" --json
	expect_rc 0
	expect_json '.data.steps[1].revert.pushed == true'
	check [ "$(git --git-dir=srv/gitops.git rev-parse main~1)" = "$BEFORE" ]
}
case_rollback_sigint() { sig_during_rollback INT; }
case_rollback_sigterm() { sig_during_rollback TERM; }
t "SIGINT in the middle of a rollback's push: the branch unchanged, the cache usable" case_rollback_sigint
t "SIGTERM in the middle of a rollback's push: the branch unchanged, the cache usable" case_rollback_sigterm

case_cache_modes() {
	umask 022
	rollback_repo
	run gth-rollback gatheraa-backend --gitops --repo "$GIT_DAEMON_URL/gitops.git" \
		--kubeconfig "$KUBECONFIG_FILE"
	expect_rc 0
	expect_cache_modes
}
t "the git cache after gth-bump and gth-rollback: folders 0700, lock files 0600" case_cache_modes

finish
