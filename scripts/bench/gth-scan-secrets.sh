#!/usr/bin/env bash
# Secret scanning throughput: gth-scan against secretlint (npm, its recommended
# preset) and against rg searching the same keyword set case-insensitively (the
# floor: reading every byte once), on one tree of about 200 MB: generated source
# with planted fake secrets plus a copy of /usr/include. Prints time, throughput,
# peak RSS and the ratios against the goals (20x secretlint, half of rg's
# throughput, RSS under 50 MB).
#   GTH_BENCH_MB     generated megabytes (default 80; /usr/include adds ~130)
#   GTH_BENCH_WORK   scratch folder (default $TMPDIR/gth-bench-scan, kept for reruns)
#   GTH_BIN          folder with gth-scan (default build/release/bin, built if missing)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${GTH_BIN:-$root/build/release/bin}
work=${GTH_BENCH_WORK:-${TMPDIR:-/tmp}/gth-bench-scan}
mb=${GTH_BENCH_MB:-80}
npm_prefix=${GTH_NPM_PREFIX:-$HOME/.cache/gth-dev/npm}

if [ ! -x "$bin/gth-scan" ]; then
	cmake -S "$root" -B "$root/build/release" -DCMAKE_BUILD_TYPE=Release -DGTH_TESTS=OFF >/dev/null
	cmake --build "$root/build/release" -j "$(nproc)" --target gth-scan >/dev/null
	bin=$root/build/release/bin
fi
[ -x "$npm_prefix/node_modules/.bin/secretlint" ] || "$root/scripts/bootstrap"
command -v rg >/dev/null || { echo "bench: rg (ripgrep) is missing" >&2; exit 69; }

mkdir -p "$work"
tree=$work/tree
if [ ! -f "$work/tree.done" ] || [ "$(cat "$work/tree.done")" != "$mb" ]; then
	rm -rf "$tree"
	echo "bench: generating ${mb} MB of source with planted secrets, plus /usr/include" >&2
	python3 "$root/tests/fixtures/gth-scan/corpus.py" bench "$tree" "$mb" >&2
	mv "$tree/expected-bench.txt" "$work/expected.txt"
	cp -r /usr/include "$tree/usr-include"
	echo "$mb" >"$work/tree.done"
fi
# The keywords of the built-in rules, for rg.
python3 - "$root/cmd/gth-scan/rules.c" >"$work/keywords.txt" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
kws = set()
for m in re.finditer(r'SCAN_SEV_[A-Z]+,\n\t  "((?:[^"\\]|\\.)*)",', s):
    kws.update(m.group(1).split("|"))
print("\n".join(sorted(kws)))
PY
bytes=$(find "$tree" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
files=$(find "$tree" -type f | wc -l)
echo "bench: $files files, $((bytes / 1048576)) MB, $(wc -l <"$work/keywords.txt") keywords" >&2
cat $(find "$tree" -type f) >/dev/null 2>&1 || true # warm the page cache for everyone

# measure NAME CMD...: wall seconds, CPU seconds (user + system) and peak RSS (KB)
# into $work/NAME.time
measure() {
	local name=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err" || true
}
measure gth "$bin/gth-scan" fs "$tree" --scanners secret -q --format json -o "$work/gth.json"
jq -r '.data.findings[] | select(.path | startswith("src/")) | "\(.path):\(.line):\(.id)"' \
	"$work/gth.json" | sort >"$work/gth-found.txt"
if ! diff -q "$work/expected.txt" "$work/gth-found.txt" >/dev/null; then
	echo "bench: gth-scan did not find exactly the planted secrets" >&2
	diff "$work/expected.txt" "$work/gth-found.txt" | head >&2
	exit 1
fi
measure rg rg -i -F -f "$work/keywords.txt" --count-matches "$tree"
ln -sfn "$npm_prefix/node_modules" "$work/node_modules"
echo '{"rules":[{"id":"@secretlint/secretlint-rule-preset-recommend"}]}' >"$work/.secretlintrc.json"
echo "bench: secretlint takes a few minutes" >&2
(cd "$work" && measure secretlint node_modules/.bin/secretlint --secretlintrc .secretlintrc.json "tree/**/*")

# time -o starts with "Command exited with non-zero status N" when a tool says it found something.
read -r gt gu gs grss < <(tail -n 1 "$work/gth.time")
read -r rt ru rs rrss < <(tail -n 1 "$work/rg.time")
read -r st su ss srss < <(tail -n 1 "$work/secretlint.time")
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (wall times suffer, CPU times less)"
printf '%-11s %8s %8s %9s %8s\n' tool wall-s cpu-s "MB/s" "RSS MB"
for row in "gth-scan $gt $gu $gs $grss" "rg $rt $ru $rs $rrss" "secretlint $st $su $ss $srss"; do
	set -- $row
	awk -v n="$1" -v t="$2" -v c="$(echo "$3 $4" | awk '{print $1 + $2}')" -v r="$5" -v b="$bytes" \
		'BEGIN {printf "%-11s %8.2f %8.2f %9.1f %8.1f\n", n, t, c, b / 1048576 / t, r / 1024}'
done
awk -v g="$gt" -v r="$rt" -v sl="$st" -v gc="$(echo "$gu $gs" | awk '{print $1 + $2}')" \
	-v rc="$(echo "$ru $rs" | awk '{print $1 + $2}')" -v sc="$(echo "$su $ss" | awk '{print $1 + $2}')" \
	-v rss="$grss" 'BEGIN {
	printf "gth-scan vs secretlint: %.1fx faster in wall time, %.1fx in CPU time (goal 20x: %s)\n",
		(sl / g), (sc / gc), (sl / g >= 20) ? "met" : "NOT met"
	printf "gth-scan throughput / rg: %.2f in wall time, %.2f in CPU time (goal 0.5: %s)\n",
		(r / g), (rc / gc), (r / g >= 0.5) ? "met" : "NOT met"
	printf "gth-scan peak RSS: %.1f MB (goal < 50 MB: %s)\n", (rss / 1024), (rss < 51200) ? "met" : "NOT met"
}'
