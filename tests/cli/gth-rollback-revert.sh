#!/usr/bin/env bash
# gth-rollback revert and ROLLOUT --gitops against real git repositories: the
# revert of a gth-bump commit, conflicting later commits, races, reruns.
. "$(dirname "$0")/lib.sh.inc"
. "$GTH_SRC/tests/servers/git.sh"
. "$GTH_SRC/tests/servers/canary.sh.inc"
FIX=$GTH_SRC/tests/fixtures/gth-rollback
IMG=localhost:5000/gatheraa/backend
git_identity

gitops() {
	git_bare "$T/$1.git" "$FIX/gitops"
	REPO=file://$T/$1.git
}
bump() { gth-bump --image "$1" --repo "$REPO" --app "${2:-gatheraa-backend}" -q; }
show() { git_show "$T/$1.git" "main:k8s/rollout.yaml"; }

case_revert_last_bump() {
	gitops r1
	bump $IMG:0.2.0
	check [ "$(git_count "$T/r1.git")" = 2 ]
	run gth-rollback revert --repo "$REPO" --json
	expect_rc 0
	expect_json '.status == "success" and .data.revert.pushed == true and .data.revert.app == "gatheraa-backend"'
	expect_json ".data.revert.from == \"$IMG:0.2.0\" and .data.revert.to == \"$IMG:0.1.0\""
	expect_json '.data.revert.changes == [{"file":"k8s/rollout.yaml","line":13,"old":"localhost:5000/gatheraa/backend:0.2.0","new":"localhost:5000/gatheraa/backend:0.1.0"}]'
	check [ "$(git_count "$T/r1.git")" = 3 ]
	show r1 >now.yaml
	expect_file_eq now.yaml "$FIX/gitops/k8s/rollout.yaml"
	msg=$(git --git-dir="$T/r1.git" log -1 --format=%B main)
	bumped=$(git --git-dir="$T/r1.git" rev-parse main~1)
	check [ "$(printf '%s\n' "$msg" | head -1)" = "Revert gatheraa-backend to $IMG:0.1.0" ]
	check grep -qx "Gth-Revert-Of: $bumped" <<<"$msg"
	check grep -qx "Gth-Reverted-Image: $IMG:0.2.0" <<<"$msg"
	check grep -qx "Gth-Image: $IMG:0.1.0" <<<"$msg"
}
t "revert undoes the last gth-bump commit byte for byte, with trailers" case_revert_last_bump

case_twice_and_nothing() {
	gitops r2
	run gth-rollback revert --repo "$REPO" --json
	expect_rc 0
	expect_err_eq "gth-rollback: nothing to revert: no gth-bump commit"
	expect_json '.data.revert.commit == null and .data.revert.note == "no gth-bump commit"'
	bump $IMG:0.2.0
	run gth-rollback revert --repo "$REPO" --service gatheraa-backend
	expect_rc 0
	run gth-rollback revert --repo "$REPO" --service gatheraa-backend
	expect_rc 0
	expect_err_eq "gth-rollback: nothing to revert: the last gth-bump commit is reverted already"
	check [ "$(git_count "$T/r2.git")" = 3 ]
	run gth-rollback revert --repo "$REPO" --service someone-else
	expect_rc 0
	expect_err_eq "gth-rollback: nothing to revert: no gth-bump commit for this app"
}
t "nothing to revert is 0 with a note; running it twice is safe" case_twice_and_nothing

case_later_commit_other_lines() {
	gitops r3
	bump $IMG:0.2.0
	mkdir -p edit/k8s
	show r3 | sed 's/replicas: 2/replicas: 5/' >edit/k8s/rollout.yaml
	git_seed_commit "$T/r3.git" edit "Scale the backend to 5"
	run gth-rollback revert --repo "$REPO" --json
	expect_rc 0
	show r3 >now.yaml
	sed 's/replicas: 2/replicas: 5/' "$FIX/gitops/k8s/rollout.yaml" >want.yaml
	expect_file_eq now.yaml want.yaml
	expect_json '.data.revert.changes[0].line == 13'
}
t "a later commit on other lines stays; only the image value goes back" case_later_commit_other_lines

case_later_commit_same_value() {
	gitops r4
	bump $IMG:0.2.0
	mkdir -p edit/k8s
	show r4 | sed 's/backend:0.2.0/backend:0.2.1/' >edit/k8s/rollout.yaml
	git_seed_commit "$T/r4.git" edit "Hotfix by hand"
	run gth-rollback revert --repo "$REPO"
	expect_rc 0
	expect_err_contains "was changed again since; left as it is"
	expect_err_contains "nothing to revert"
	check [ "$(git_count "$T/r4.git")" = 3 ]
	check grep -q 'backend:0.2.1' <(show r4)
}
t "a value changed again since is left alone, and nothing is committed" case_later_commit_same_value

case_dry_run_and_paths() {
	gitops r5
	bump $IMG:0.2.0
	run gth-rollback revert --repo "$REPO" --dry-run
	expect_rc 0
	expect_out_contains "--- a/k8s/rollout.yaml"
	expect_out_contains "-          image: \"$IMG:0.2.0\"   # pinned by CI"
	expect_out_contains "+          image: \"$IMG:0.1.0\"   # pinned by CI"
	check [ "$(git_count "$T/r5.git")" = 2 ]
	run gth-rollback revert --repo "$REPO" --path apps/
	expect_rc 0
	expect_err_contains "nothing to revert"
	run gth-rollback revert --repo "$REPO" --commit deadbeef
	expect_rc 66
	run gth-rollback revert --repo "$REPO" --commit HEAD --last
	expect_rc 64
}
t "--dry-run prints the diff; --path narrows; a bad --commit is 66" case_dry_run_and_paths

case_race_with_bump() {
	gitops r6
	bump $IMG:0.2.0
	# A revert and a bump of another app at once: both land, nothing lost.
	gth-rollback revert --repo "$REPO" --service gatheraa-backend -q &
	p1=$!
	gth-bump --image localhost:5000/gatheraa/frontend:1.1.0 --repo "$REPO" --app gatheraa-frontend -q &
	p2=$!
	wait $p1; r1=$?
	wait $p2; r2=$?
	check [ "$r1" = 0 ]
	check [ "$r2" = 0 ]
	check [ "$(git_count "$T/r6.git")" = 4 ]
	check grep -q 'backend:0.1.0' <(show r6)
	check grep -q 'frontend:1.1.0' <(git_show "$T/r6.git" main:k8s/frontend.yaml)
}
t "a revert racing a gth-bump of another app: both land" case_race_with_bump

case_config_app() {
	# gth.yaml's top-level app names the bump's Gth-App, so --gitops finds it by
	# the Rollout's name without --app anywhere.
	gitops r9
	printf 'app: gatheraa-backend\n' >gth.yaml
	gth-bump --image $IMG:0.2.0 --repo "$REPO" -q
	check grep -qx "Gth-App: gatheraa-backend" <(git --git-dir="$T/r9.git" log -1 --format=%B main)
	run gth-rollback revert --repo "$REPO" --service gatheraa-backend --json
	expect_rc 0
	expect_json '.data.revert.app == "gatheraa-backend" and .data.revert.pushed == true'
}
t "gth.yaml's app names the bump, and the revert finds it" case_config_app

case_unreachable() {
	run gth-rollback revert --repo git://127.0.0.1:1/none.git
	expect_rc 69
	run gth-rollback revert --repo "$T/not-a-repo"
	expect_rc 66
}
t "an unreachable remote is 69, a missing work tree 66" case_unreachable

case_gitops() {
	gitops r7
	bump $IMG:0.2.0
	start_kube_api "$FIX/objects.json"
	APP=/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/gatheraa
	# Play Argo CD: once the revert lands, report it synced.
	(
		for _ in $(seq 1 200); do
			[ "$(git_count "$T/r7.git")" = 3 ] && break
			sleep 0.05
		done
		sha=$(git --git-dir="$T/r7.git" rev-parse main)
		curl -s -X PATCH -H 'Content-Type: application/merge-patch+json' \
			-d "{\"status\":{\"sync\":{\"status\":\"Synced\",\"revision\":\"$sha\"},\"operationState\":{\"phase\":\"Succeeded\",\"syncResult\":{\"revision\":\"$sha\"}}}}" \
			"$KUBE_URL$APP/status" >/dev/null
	) &
	argocd=$!
	run gth-rollback gatheraa-backend --gitops --repo "$REPO" --kubeconfig "$KUBECONFIG_FILE" \
		--app gatheraa --timeout 20s --json
	wait $argocd
	expect_rc 0
	expect_json '[.data.steps[].step] == ["abort","revert","sync"] and ([.data.steps[].exit] | all(. == 0))'
	expect_json '.data.steps[2].application.sync == "Synced"'
	check grep -q 'backend:0.1.0' <(show r7)
	check [ "$(curl -s "$KUBE_URL/apis/argoproj.io/v1alpha1/namespaces/gatheraa/rollouts/gatheraa-backend" | jq .status.abort)" = true ]
	# Twice is safe: aborted already, reverted already.
	run gth-rollback gatheraa-backend --gitops --repo "$REPO" --kubeconfig "$KUBECONFIG_FILE" --json
	expect_rc 0
	expect_json '.data.steps[1].revert.commit == null'
	check [ "$(git_count "$T/r7.git")" = 3 ]
}
t "ROLLOUT --gitops: abort, revert, wait for Argo CD; twice is safe" case_gitops

case_gitops_sync_timeout() {
	gitops r8
	bump $IMG:0.2.0
	start_kube_api "$FIX/objects.json"
	run gth-rollback gatheraa-backend --gitops --repo "$REPO" --kubeconfig "$KUBECONFIG_FILE" \
		--app gatheraa --timeout 1s --json
	expect_rc 2
	expect_json '.status == "inconclusive" and [.data.steps[].step] == ["abort","revert","sync"]'
}
t "--gitops with an Application that never syncs ends with 2" case_gitops_sync_timeout

finish
