#!/usr/bin/env bash
# gth-build push against skopeo copy: the same OCI layout of about 200 MB in several
# layers to the same local docker-registry, first push (fresh repository) and
# re-push, wall time and peak RSS (/usr/bin/time -v). Prints the ratios.
#   scripts/bench/gth-build-push.sh [BUILD_DIR]   (default build/release)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
build=${1:-build/release}
if [ ! -x "$build/bin/gth-build" ]; then
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DGTH_TESTS=OFF >/dev/null
	cmake --build "$build" -j2 --target gth-build >/dev/null
fi
bin=$root/$build/bin
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

# measure NAME CMD...: wall seconds and peak RSS (KB) into $secs and $rss
measure() {
	local name=$1
	shift
	/usr/bin/time -v "$@" >"$work/$name.out" 2>"$work/$name.time" || {
		cat "$work/$name.out" "$work/$name.time" >&2
		exit 1
	}
	secs=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$work/$name.time")
	rss=$(awk -F': ' '/Maximum resident set size/{print $2}' "$work/$name.time")
}

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
	measure grepush "$bin/gth-build" push "oci:$work/image:v1" "$H/bench/app:v1" --insecure "$H" -q
	sum[grepush]=$(echo "${sum[grepush]} + $secs" | bc -l); [ "$rss" -gt "$grss" ] && grss=$rss
	registry_stop "$work/reg"
	rm -rf "$work/reg" "$work/home"
	mkdir -p "$work/home"
	registry_start "$work/reg" open
	H=$REGISTRY_HOST
	measure sfirst env HOME="$work/home" skopeo copy -q --dest-tls-verify=false "oci:$work/image:v1" "docker://$H/bench/app:v1"
	sum[sfirst]=$(echo "${sum[sfirst]} + $secs" | bc -l); [ "$rss" -gt "$srss" ] && srss=$rss
	measure srepush env HOME="$work/home" skopeo copy -q --dest-tls-verify=false "oci:$work/image:v1" "docker://$H/bench/app:v1"
	sum[srepush]=$(echo "${sum[srepush]} + $secs" | bc -l); [ "$rss" -gt "$srss" ] && srss=$rss
	registry_stop "$work/reg"
done
avg() { echo "scale=3; ${sum[$1]} / $runs" | bc -l; }
gf=$(avg gfirst); gr=$(avg grepush); sf=$(avg sfirst); sr=$(avg srepush)
printf '%-22s %10s %10s %8s\n' "" gth-build skopeo ratio
printf '%-22s %9.2fs %9.2fs %8.2f\n' "first push (mean of $runs)" "$gf" "$sf" "$(echo "$gf / $sf" | bc -l)"
printf '%-22s %9.2fs %9.2fs %8.2f\n' "re-push (mean of $runs)" "$gr" "$sr" "$(echo "$gr / $sr" | bc -l)"
printf '%-22s %8d MB %7d MB\n' "peak RSS" $((grss / 1024)) $((srss / 1024))
echo "goals: first push <= 0.70, re-push <= 0.20, gth-build peak RSS < 64 MB"
