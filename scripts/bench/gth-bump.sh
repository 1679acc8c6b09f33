#!/usr/bin/env bash
# gth-bump against the floor: a generated GitOps repository of N manifest files
# (default 2000) where one image appears in M of them (default 300). The peer edits
# the same lines with `sed -i`, then `git commit -a` and `git push`; gth-bump does
# the same edit in its work tree (commit, push to the upstream). Each side runs R
# times (default 3) on fresh copies; the ratio of the best runs is printed. The
# pushed trees must be identical: gth-bump may not change a byte that sed does not.
# CPU time (user + system, children included) is printed beside the wall time: on
# a loaded machine the multi-process peer gets more of the CPUs than one process.
# A last line times gth-bump on the remote URL (cache fetched, no work tree).
#   scripts/bench/gth-bump.sh [N] [M] [R]     (GTH_BENCH_BUILD=build/release)
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-2000}
m=${2:-300}
reps=${3:-3}
build=${GTH_BENCH_BUILD:-build/release}
if [ ! -x "$build/bin/gth-bump" ]; then
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DGTH_TESTS=OFF >/dev/null
	cmake --build "$build" -j2 --target gth-bump >/dev/null
fi
bin=$(pwd)/$build/bin/gth-bump
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset GITHUB_ACTIONS CI
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@gth.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@gth.invalid
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=$work/gitconfig XDG_CACHE_HOME=$work/cache
: >"$work/gitconfig"
old=ghcr.io/acme/shared:v1.0.0
new_tag=v1.1.0
new=ghcr.io/acme/shared:$new_tag

# The repository: every 2000/300th app runs the shared image in a container; the
# rest run their own. Comments, quotes and a flow list make the files realistic.
mkdir -p "$work/seed"
every=$(( n / m ))
hits=0
for i in $(seq 1 "$n"); do
	d="$work/seed/apps/app$i"
	mkdir -p "$d"
	img="ghcr.io/acme/app$i:v1.0.0"
	if [ $(( i % every )) -eq 0 ] && [ "$hits" -lt "$m" ]; then
		img=$old
		hits=$((hits + 1))
	fi
	cat >"$d/deployment.yaml" <<YAML
# app$i: generated for the gth-bump benchmark
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app$i
  labels: {app: app$i, tier: "web"}
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: app
          image: $img   # bumped by CI
          args: ["--port", "8080"]
          resources:
            limits: {cpu: 500m, memory: 256Mi}
---
apiVersion: v1
kind: Service
metadata:
  name: app$i
spec:
  ports: [{port: 80, targetPort: 8080}]
YAML
done
git init -q --bare -b main "$work/seed.git"
git -C "$work/seed" init -q -b main
git -C "$work/seed" add -A
git -C "$work/seed" commit -q -m "generated manifests"
git -C "$work/seed" push -q "$work/seed.git" main
echo "repository: $n manifests, $old in $hits of them"

fresh() {
	rm -rf "$work/run"
	mkdir -p "$work/run"
	cp -a "$work/seed.git" "$work/run/remote.git"
	git clone -q "$work/run/remote.git" "$work/run/w"
}
now_ns() { date +%s%N; }
best() { sort -n | head -1; }

cpu_ms() { awk '{ printf "%d\n", ($1 + $2) * 1000 }' "$work/cpu"; }
run_sed() {
	local t0 t1
	fresh
	cd "$work/run/w"
	t0=$(now_ns)
	/usr/bin/time -o "$work/cpu" -f "%U %S" sh -c "grep -rlF '$old' apps | xargs sed -i 's|$old|$new|g' &&
		git commit -q -a -m 'Bump shared to $new_tag' && git push -q origin main"
	t1=$(now_ns)
	cpu_ms >>"$work/cpu.sed"
	cd - >/dev/null
	git --git-dir="$work/run/remote.git" rev-parse 'main^{tree}' >"$work/tree.sed"
	echo $((t1 - t0))
}
run_gth() {
	local t0 t1
	fresh
	t0=$(now_ns)
	/usr/bin/time -o "$work/cpu" -f "%U %S" "$bin" -q --image "$new" --repo "$work/run/w"
	t1=$(now_ns)
	cpu_ms >>"$work/cpu.gth"
	git --git-dir="$work/run/remote.git" rev-parse 'main^{tree}' >"$work/tree.gth"
	[ -z "$(git -C "$work/run/w" status --porcelain)" ] || { echo "work tree not clean"; exit 1; }
	echo $((t1 - t0))
}
run_cache() {
	local t0 t1
	fresh
	"$bin" -q --image ghcr.io/acme/nothing:v1 --repo "file://$work/run/remote.git" # fill the cache
	t0=$(now_ns)
	"$bin" -q --image "$new" --repo "file://$work/run/remote.git"
	t1=$(now_ns)
	echo $((t1 - t0))
}

sed_t=()
gth_t=()
for _ in $(seq "$reps"); do
	sed_t+=("$(run_sed)")
	gth_t+=("$(run_gth)")
	cmp -s "$work/tree.sed" "$work/tree.gth" || {
		echo "FAIL: gth-bump's tree differs from sed's"
		exit 1
	}
done
cache_t=$(run_cache)
s=$(printf '%s\n' "${sed_t[@]}" | best)
g=$(printf '%s\n' "${gth_t[@]}" | best)
ms() { awk -v ns="$1" 'BEGIN { printf "%.0f ms", ns / 1e6 }'; }
sc=$(best <"$work/cpu.sed")
gc=$(best <"$work/cpu.gth")
echo "sed -i + git commit + git push: $(ms "$s") (best of $reps), CPU $sc ms"
echo "gth-bump (work tree):           $(ms "$g") (best of $reps), CPU $gc ms"
echo "gth-bump (remote, cached):      $(ms "$cache_t")"
echo "pushed trees identical: yes ($(cat "$work/tree.gth"))"
awk -v g="$g" -v s="$s" -v gc="$gc" -v sc="$sc" 'BEGIN {
	printf "ratio gth-bump/sed: %.2fx wall, %.2fx CPU (goal: within 2x)\n", g / s, gc / (sc ? sc : 1) }'
