#!/usr/bin/env bash
# gth-build push against skopeo copy: the same OCI layout of about 200 MB in several
# layers to the same local docker-registry, first push (fresh repository, wall time
# and peak RSS from /usr/bin/time -v) and re-push (ten in a row, mean wall time).
# Prints the ratios.
#   scripts/bench/gth-build-push.sh [BUILD_DIR]   (default build/release)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
build=${1:-build/release}
if [ ! -x "$build/bin/gth-build" ]; then
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DGTH_TESTS=OFF >/dev/null
	cmake --build "$build" -j2 --target gth-build >/dev/null
fi
case $build in /*) bin=$build/bin ;; *) bin=$root/$build/bin ;; esac
. tests/servers/registry.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/gth-bench.XXXXXX")
trap 'registry_stop "$work/reg"; rm -rf "$work"' EXIT
registry_start "$work/reg" open

# about 200 MB: six layers of incompressible data of different sizes
mkdir -p "$work/src"
layers=()
i=0
for mb in 60 50 40 25 15 10; do
	mkdir -p "$work/src/l$i"
	head -c $((mb * 1024 * 1024)) /dev/urandom >"$work/src/l$i/data.bin"
	layers+=(--layer "$work/src/l$i:/data/l$i")
	i=$((i + 1))
done
"$bin/gth-build" assemble --base scratch "${layers[@]}" -o "oci:$work/image:v1" -q
size=$(du -sm "$work/image" | cut -f1)
echo "image: $size MB in $((${#layers[@]} / 2)) layers ($(nproc) CPUs)"

# measure NAME CMD...: wall seconds (clock_gettime through date, not the 10 ms steps
# of time(1), which a re-push of a few milliseconds needs) and peak RSS (KB) into
# $secs and $rss
measure() {
	local name=$1 t0 t1
	shift
	t0=$(date +%s%N)
	/usr/bin/time -v "$@" >"$work/$name.out" 2>"$work/$name.time" || {
		cat "$work/$name.out" "$work/$name.time" >&2
		exit 1
	}
	t1=$(date +%s%N)
	secs=$(echo "scale=6; ($t1 - $t0) / 1000000000" | bc -l)
	rss=$(awk -F': ' '/Maximum resident set size/{print $2}' "$work/$name.time")
}
. scripts/bench/lib.sh

# Each tool pushes to a registry of its own, new for every run, so neither finds
# the blobs there already; skopeo gets an empty HOME (no blob-info cache, which
# would otherwise turn its uploads into mounts from an earlier run).
registry_stop "$work/reg"
runs=${GTH_BENCH_RUNS:-3}
declare -A sum
for k in gfirst grepush sfirst srepush; do sum[$k]=0; done
grss=0
srss=0
for r in $(seq 1 "$runs"); do
	rm -rf "$work/reg"
	registry_start "$work/reg" open
	H=$REGISTRY_HOST
	measure gfirst "$bin/gth-build" push "oci:$work/image:v1" "$H/bench/app:v1" --insecure "$H" -q
	sum[gfirst]=$(echo "${sum[gfirst]} + $secs" | bc -l); [ "$rss" -gt "$grss" ] && grss=$rss
	ms=$(wall_ms 10 "$bin/gth-build" push "oci:$work/image:v1" "$H/bench/app:v1" --insecure "$H" -q)
	sum[grepush]=$(echo "${sum[grepush]} + $ms / 1000" | bc -l)
	registry_stop "$work/reg"
	rm -rf "$work/reg" "$work/home"
	mkdir -p "$work/home"
	registry_start "$work/reg" open
	H=$REGISTRY_HOST
	measure sfirst env HOME="$work/home" skopeo copy -q --dest-tls-verify=false "oci:$work/image:v1" "docker://$H/bench/app:v1"
	sum[sfirst]=$(echo "${sum[sfirst]} + $secs" | bc -l); [ "$rss" -gt "$srss" ] && srss=$rss
	ms=$(HOME=$work/home wall_ms 10 skopeo copy -q --dest-tls-verify=false "oci:$work/image:v1" "docker://$H/bench/app:v1")
	sum[srepush]=$(echo "${sum[srepush]} + $ms / 1000" | bc -l)
	registry_stop "$work/reg"
done
avg() { echo "scale=6; ${sum[$1]} / $runs" | bc -l; }
gf=$(avg gfirst); gr=$(avg grepush); sf=$(avg sfirst); sr=$(avg srepush)
printf '%-22s %10s %10s %8s\n' "" gth-build skopeo ratio
printf '%-22s %9.2fs %9.2fs %8.2f\n' "first push (mean of $runs)" "$gf" "$sf" "$(echo "$gf / $sf" | bc -l)"
printf '%-22s %8.1fms %8.1fms %8.2f\n' "re-push (mean of $((runs * 10)))" "$(echo "$gr * 1000" | bc -l)" "$(echo "$sr * 1000" | bc -l)" "$(echo "$gr / $sr" | bc -l)"
printf '%-22s %8d MB %7d MB\n' "peak RSS" $((grss / 1024)) $((srss / 1024))
echo "goals: first push <= 0.70, re-push <= 0.20, gth-build peak RSS < 64 MB"
