#!/usr/bin/env bash
# Start-up: wall time of `gth-test --version` against `kubectl version --client`,
# N runs each (default 200), and the ratio gth-test/kubectl.
#   scripts/bench/gth-test-startup.sh [N]     (GTH_BENCH_BUILD=build/release)
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-200}
build=${GTH_BENCH_BUILD:-build/release}
if [ ! -x "$build/bin/gth-test" ]; then
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DGTH_TESTS=OFF >/dev/null
	cmake --build "$build" -j2 --target gth-test >/dev/null
fi
bin=$(pwd)/$build/bin/gth-test
command -v kubectl >/dev/null || { echo "kubectl is not installed" >&2; exit 1; }
now_ns() { date +%s%N; }

"$bin" --version >/dev/null
kubectl version --client >/dev/null
t0=$(now_ns)
for _ in $(seq "$n"); do "$bin" --version >/dev/null; done
t1=$(now_ns)
for _ in $(seq "$n"); do kubectl version --client >/dev/null; done
t2=$(now_ns)
awk -v g=$((t1 - t0)) -v k=$((t2 - t1)) -v n="$n" 'BEGIN {
	printf "start-up, %d runs each:\n", n
	printf "  gth-test --version          %8.2f ms/run\n", g / n / 1e6
	printf "  kubectl version --client    %8.2f ms/run\n", k / n / 1e6
	printf "  ratio gth-test/kubectl: %.3f (kubectl/gth-test: %.1fx)\n", g / k, k / g }'
