#!/usr/bin/env bash
# Stage bump: gth-bump points the example's GitOps manifests at the image the build
# stage pushed, in a local bare GitOps repository (file://), the way the workflow
# does against the real one. It shows the dry-run diff, the commit with its
# trailers, that nothing but the image value changed, and that a re-run changes
# nothing. Leaves $GTH_DEMO_WORK/gitops.git for the rollback stage.
#
# The manifests deploy localhost:5000/gatheraa/backend (IMAGE_REPOSITORY in the
# workflow); the demo's registry listens on another port, so the build event's tag
# and digest are applied to that repository name.
set -euo pipefail
root=${GTH_DEMO_ROOT:?run through scripts/demo}
work=${GTH_DEMO_WORK:?run through scripts/demo}
dir=$work/bump
rm -rf "$dir"
mkdir -p "$dir"
summary=${GTH_DEMO_SUMMARY:-/dev/null}
export GIT_AUTHOR_NAME="gth demo" GIT_AUTHOR_EMAIL="demo@gth.invalid"
export GIT_COMMITTER_NAME="gth demo" GIT_COMMITTER_EMAIL="demo@gth.invalid"
export XDG_CACHE_HOME=$work/cache
repo_name=localhost:5000/gatheraa/backend

# The GitOps repository: the example's infrastructure/ folder as its first commit.
gitops=$work/gitops.git
rm -rf "$gitops"
git init -q --bare -b main "$gitops"
seed=$dir/seed
mkdir -p "$seed"
cp -a "$root/examples/gatheraa/infrastructure/." "$seed/"
git -C "$seed" init -q -b main
git -C "$seed" add -A
git -C "$seed" commit -q -m "Initial manifests"
git -C "$seed" push -q "$gitops" main
repo=file://$gitops
echo "GitOps repository $repo: $(git --git-dir="$gitops" ls-tree -r --name-only main | tr '\n' ' ')"

# The image: the build stage's event, renamed to the manifests' repository.
event=$work/build/build.event.json
if [ -s "$event" ] && jq -e '.data.image.digest' "$event" >/dev/null 2>&1; then
	jq --arg n "$repo_name" '.data.image.name = $n | .app = "gatheraa-backend"' "$event" >"$dir/build.event.json"
	echo "image from the build stage: $(jq -r '.data.image | "\(.tags | join(",")) @ \(.digest)"' "$event")"
else
	jq -n --arg n "$repo_name" '{schema: "gth.event/v1", tool: "gth-build", status: "success", exit: 0,
		app: "gatheraa-backend", git: {sha: "0000000demo"},
		data: {image: {name: $n, tags: ["0.1.1"],
		digest: "sha256:5d2f3bd1c4fb8b6f0c7d5b6a1e6b2c9f3e7a8d4c2b1a0f9e8d7c6b5a4f3e2d1c"}}}' >"$dir/build.event.json"
	echo "no build stage event: using a made-up 0.1.1 image"
fi

echo
echo "\$ gth-bump --from build.event.json --repo $repo --dry-run"
gth-bump --from "$dir/build.event.json" --repo "$repo" --dry-run | sed 's/^/  /'

echo
echo "\$ gth-bump --from build.event.json --repo $repo --json"
gth-bump --from "$dir/build.event.json" --repo "$repo" --json >"$dir/bump.event.json"
jq -c '.data | {commit, branch, pushed, attempts, changes}' "$dir/bump.event.json" | sed 's/^/  /'
echo "  the commit:"
git --git-dir="$gitops" log -1 --format='%B' main | sed 's/^/    /'
# only the image value changed: the diff has one line out and one line in
git --git-dir="$gitops" diff --numstat main~1 main | sed 's/^/  numstat: /'
changed=$(git --git-dir="$gitops" diff -U0 main~1 main | grep -c '^[-+] ' || true)
if [ "$changed" != 2 ]; then
	echo "expected exactly one line changed, got $changed changed lines" >&2
	exit 1
fi

echo
echo "\$ gth-bump --from build.event.json --repo $repo   (again)"
gth-bump --from "$dir/build.event.json" --repo "$repo" --json >"$dir/again.event.json"
echo "  $(jq -r .summary "$dir/again.event.json"); commits on main: $(git --git-dir="$gitops" rev-list --count main)"

printf 'bump\tgth-bump\t%s\n' "$(jq -r '.summary + " (exit " + (.exit | tostring) + ", " +
	(.data.attempts | tostring) + " attempt, pushed " + (.data.pushed | tostring) + ")"' "$dir/bump.event.json")" \
	>>"$summary"
