#!/usr/bin/env bash
# The EXAMPLES of gth-rollback(1) run as written, against a local GitOps repository
# (in place of the GitHub URL) and the local Kubernetes API server (KUBECONFIG).
. "$(dirname "$0")/lib.sh.inc"
. "$GTH_SRC/tests/servers/git.sh"
. "$GTH_SRC/tests/servers/canary.sh.inc"
FIX=$GTH_SRC/tests/fixtures/gth-rollback
git_identity

# Each literal block of EXAMPLES, continuation lines joined, one command per line.
examples() {
	awk '/^\.Sh EXAMPLES/{e=1;next} /^\.Sh /{e=0} e&&/^\.Bd -literal/{b=1;next} e&&/^\.Ed/{b=0;print "";next} e&&b{print}' \
		"$GTH_SRC/man/gth-rollback.1" |
		sed 's/\\e$/\\/' | sed -e ':a' -e '/\\$/N; s/\\\n *//; ta' | grep -v '^$'
}

case_examples() {
	git_bare "$T/gitops.git" "$FIX/gitops"
	gth-bump --image localhost:5000/gatheraa/backend:0.2.0 --repo "file://$T/gitops.git" \
		--app gatheraa-backend -q
	cat >script.json <<'JSON'
{"steps": [{"rollout": {"namespace": "gatheraa", "name": "gatheraa-backend", "delay": 0.05}}]}
JSON
	start_kube_api "$FIX/objects.json" script.json
	export KUBECONFIG=$KUBECONFIG_FILE
	# Let the controller reach the pause at 20% first: it starts the new revision
	# with status.abort cleared, so an abort sent before that would be undone and
	# the example's --wait would run into its 2m timeout (a race on a busy machine).
	for _ in $(seq 1 200); do
		curl -s "$KUBE_URL/apis/argoproj.io/v1alpha1/namespaces/gatheraa/rollouts/gatheraa-backend" |
			jq -e '.status.phase == "Paused"' >/dev/null && break
		sleep 0.05
	done
	n=0
	while IFS= read -r cmd; do
		cmd=${cmd//https:\/\/github.com\/acme\/gitops.git/file://$T/gitops.git}
		case $cmd in
		*--app\ gatheraa*)
			# Play Argo CD: report the revert synced once it lands.
			(
				for _ in $(seq 1 200); do
					[ "$(git_count "$T/gitops.git")" = 3 ] && break
					sleep 0.05
				done
				sha=$(git --git-dir="$T/gitops.git" rev-parse main)
				curl -s -X PATCH -H 'Content-Type: application/merge-patch+json' \
					-d "{\"status\":{\"sync\":{\"status\":\"Synced\",\"revision\":\"$sha\"}}}" \
					"$KUBE_URL/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/gatheraa/status" >/dev/null
			) &
			;;
		esac
		echo "\$ $cmd"
		run bash -c "$cmd"
		expect_rc 0
		n=$((n + 1))
	done < <(examples)
	check [ "$n" = 3 ]
	check grep -q 'backend:0.1.0' <(git_show "$T/gitops.git" main:k8s/rollout.yaml)
}
t "every example of gth-rollback(1) runs and succeeds" case_examples

finish
