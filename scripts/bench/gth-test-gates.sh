#!/usr/bin/env bash
# Overhead: gth-test running N gates of `true` (default 200) against a plain shell
# loop running the same N commands the same way (sh -c 'true'), each R times
# (default 5); the ratio of the best runs. gth-test runs with -j 1 (like the loop)
# and with -j of the CPUs.
#   scripts/bench/gth-test-gates.sh [N] [R]     (GTH_BENCH_BUILD=build/release)
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-200}
reps=${2:-5}
build=${GTH_BENCH_BUILD:-build/release}
if [ ! -x "$build/bin/gth-test" ]; then
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DGTH_TESTS=OFF >/dev/null
	cmake --build "$build" -j2 --target gth-test >/dev/null
fi
bin=$(pwd)/$build/bin/gth-test
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset GITHUB_ACTIONS

{
	echo "test:"
	echo "  gates:"
	for i in $(seq "$n"); do printf '    - {name: g%d, run: "true"}\n' "$i"; done
} >"$work/gth.yaml"
cd "$work"
now_ns() { date +%s%N; }
best() { sort -n | head -1; }

run_gth() {
	local t0 t1
	t0=$(now_ns)
	"$bin" -q "$@" >/dev/null
	t1=$(now_ns)
	echo $((t1 - t0))
}
run_loop() {
	local t0 t1
	t0=$(now_ns)
	for _ in $(seq "$n"); do sh -c 'true'; done
	t1=$(now_ns)
	echo $((t1 - t0))
}

"$bin" -q -j 1 >/dev/null # warm up
g1=$(for _ in $(seq "$reps"); do run_gth -j 1; done | best)
gj=$(for _ in $(seq "$reps"); do run_gth; done | best)
l=$(for _ in $(seq "$reps"); do run_loop; done | best)
awk -v g1="$g1" -v gj="$gj" -v l="$l" -v n="$n" -v cpus="$(nproc)" 'BEGIN {
	printf "%d gates of true, best of runs:\n", n
	printf "  gth-test -j 1          %8.1f ms  (%.2f ms/gate)\n", g1 / 1e6, g1 / n / 1e6
	printf "  gth-test -j %-3d        %8.1f ms  (%.2f ms/gate)\n", cpus, gj / 1e6, gj / n / 1e6
	printf "  shell loop (sh -c)     %8.1f ms  (%.2f ms/gate)\n", l / 1e6, l / n / 1e6
	printf "  ratio gth-test -j 1 / loop: %.2f\n", g1 / l
	printf "  ratio gth-test -j %d / loop: %.2f\n", cpus, gj / l }'
