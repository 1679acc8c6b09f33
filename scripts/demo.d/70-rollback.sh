#!/usr/bin/env bash
# Stage rollback: a bad release bumped into the GitOps repository, Argo CD syncing it,
# a canary whose analysis fails so Argo Rollouts aborts it, then gth-rollback --gitops:
# abort, revert the deploy commit in git, and wait until Argo CD has synced the
# revert. Argo CD and Argo Rollouts are PLAYED by a local server
# (tests/servers/kube-api.py) and a small loop below; no cluster runs here.
set -euo pipefail
root=${GTH_DEMO_ROOT:?run through scripts/demo}
work=${GTH_DEMO_WORK:?run through scripts/demo}
dir=$work/rollback
mkdir -p "$dir"
summary=${GTH_DEMO_SUMMARY:-/dev/null}
export GIT_AUTHOR_NAME="gth demo" GIT_AUTHOR_EMAIL="demo@gth.invalid"
export GIT_COMMITTER_NAME="gth demo" GIT_COMMITTER_EMAIL="demo@gth.invalid"
export XDG_CACHE_HOME=$work/cache

# The GitOps repository of the bump stage, or one seeded from the example's manifests.
gitops=$work/gitops.git
if [ ! -d "$gitops" ]; then
	git init -q --bare -b main "$gitops"
	seed=$dir/seed
	mkdir -p "$seed"
	cp -a "$root/examples/gatheraa/infrastructure/." "$seed/"
	git -C "$seed" init -q -b main
	git -C "$seed" add -A
	git -C "$seed" commit -q -m "Initial manifests"
	git -C "$seed" push -q "$gitops" main
fi
repo=file://$gitops
image_now() { git --git-dir="$gitops" show main:k8s/rollout.yaml | sed -n 's/^ *image: *//p' | head -1; }
before=$(image_now)
echo "GitOps repository: $repo, backend image now $before"

echo
echo "\$ gth-bump --image localhost:5000/gatheraa/backend:0.2.0-bad --repo $repo --app gatheraa-backend"
gth-bump --image localhost:5000/gatheraa/backend:0.2.0-bad --repo "$repo" --app gatheraa-backend \
	--json >"$dir/bump.json"
bad=$(jq -r .data.commit "$dir/bump.json")
echo "  deploy commit ${bad:0:12}: $(image_now)"

echo
echo "NOTE: Argo CD and Argo Rollouts are PLAYED by a local server (tests/servers/kube-api.py):"
echo "      it syncs the bad commit and runs the canary, whose analysis fails at 5% errors,"
echo "      so the Rollout aborts as Argo Rollouts would. No cluster runs here."
jq -n --arg rev "$bad" '{steps: [
	{wait_request: {method: "GET", path_re: "/applications$", watch: true}},
	{application: {namespace: "argocd", name: "gatheraa-backend", revision: $rev, delay: 0.1,
	               apply: [{resource: "rollouts", namespace: "gatheraa", name: "gatheraa-backend",
	                        merge: {spec: {template: {spec: {containers: [
	                          {name: "backend", image: "localhost:5000/gatheraa/backend:0.2.0-bad"}]}}}}}]}},
	{wait_request: {method: "GET", path_re: "/rollouts$", watch: true}},
	{rollout: {namespace: "gatheraa", name: "gatheraa-backend", delay: 0.1, abort_at: 1,
	           abort_message: "Metric \"success-rate\" assessed Failed due to failed (1) > failureLimit (0): error rate 5% is over 1%"}}]}' \
	>"$dir/script.json"
python3 "$root/tests/servers/kube-api.py" --port-file "$dir/kube.port" --log "$dir/kube-requests.jsonl" \
	--objects "$root/tests/fixtures/canary/objects.json" --script "$dir/script.json" \
	--pid-file "$work/rollback-kube-api.pid" 2>"$dir/kube-api.log" &
for _ in $(seq 100); do [ -s "$dir/kube.port" ] && break; sleep 0.05; done
kube=http://127.0.0.1:$(cat "$dir/kube.port")
cat >"$dir/kubeconfig" <<KC
apiVersion: v1
kind: Config
current-context: demo
contexts:
- name: demo
  context: {cluster: local, user: demo, namespace: gatheraa}
clusters:
- name: local
  cluster: {server: "$kube"}
users:
- name: demo
  user: {}
KC
export KUBECONFIG=$dir/kubeconfig

echo
echo "\$ gth-canary watch gatheraa-backend --app gatheraa-backend --revision ${bad:0:12}"
rc=0
gth-canary watch gatheraa-backend --app gatheraa-backend --revision "$bad" --timeout 2m \
	--json >"$dir/watch.json" || rc=$?
echo "  exit $rc: $(jq -r '.data.rollout.phase + ": " + (.data.rollout.message // "")' "$dir/watch.json")"
[ "$rc" -eq 1 ] || { echo "expected the bad canary to be aborted (exit 1)" >&2; exit 1; }
printf 'rollback\tgth-canary watch\tbad release %s: %s, aborted by its analysis (exit 1)\n' \
	"${bad:0:12}" "$(jq -r .data.rollout.phase "$dir/watch.json")" >>"$summary"

# Playing Argo CD once more: when the revert lands in git, report it synced.
(
	for _ in $(seq 1 600); do
		head=$(git --git-dir="$gitops" rev-parse main)
		[ "$head" != "$bad" ] && break
		sleep 0.05
	done
	sleep 0.3
	curl -s -X PATCH -H 'Content-Type: application/merge-patch+json' \
		-d "{\"status\":{\"sync\":{\"status\":\"Synced\",\"revision\":\"$head\"},\"operationState\":{\"phase\":\"Succeeded\",\"syncResult\":{\"revision\":\"$head\"}}}}" \
		"$kube/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/gatheraa-backend/status" >/dev/null
) &
argocd=$!

echo
echo "\$ gth-rollback gatheraa-backend --gitops --repo $repo --app gatheraa-backend"
rc=0
gth-rollback gatheraa-backend --gitops --repo "$repo" --app gatheraa-backend --timeout 1m \
	--json >"$dir/rollback.json" || rc=$?
wait "$argocd" || true
jq -r '.data.steps[] | "  " + .step + ": exit " + (.exit|tostring) + "  " + (.summary // (.application.sync // "") )' "$dir/rollback.json"
[ "$rc" -eq 0 ] || { echo "gth-rollback --gitops failed (exit $rc)" >&2; exit 1; }
after=$(image_now)
echo "  GitOps repository: backend image back to $after"
[ "$after" = "$before" ] || { echo "expected $before back in git, found $after" >&2; exit 1; }
printf 'rollback\tgth-rollback\t--gitops: aborted, reverted %s in git, Argo CD synced; image back to %s\n' \
	"${bad:0:12}" "$after" >>"$summary"

# Twice is safe.
gth-rollback gatheraa-backend --gitops --repo "$repo" -q --json >"$dir/rollback-again.out"
echo "  a second run: $(jq -r .summary "$dir/rollback-again.out")"
