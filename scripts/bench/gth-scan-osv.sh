#!/usr/bin/env bash
# OSV matching: import of a 50,000-record osv.dev-style zip into the cache (goal
# under 30 s), then a 1,500-package package-lock.json matched against it (goal
# under 150 ms and 64 MB peak RSS), each run N times (default 5, the best kept).
# The peer is the same lookup done by Python's sqlite3 and json modules on the same
# cache (index query, parse the candidate records, compare SemVer events): the
# floor of what any OSV matcher over this cache pays; the ratio is printed.
#   scripts/bench/gth-scan-osv.sh [N]     (GTH_BENCH_BUILD=build/release)
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-5}
build=${GTH_BENCH_BUILD:-build/release}
if [ ! -x "$build/bin/gth-scan" ]; then
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DGTH_TESTS=OFF >/dev/null
	cmake --build "$build" -j2 --target gth-scan >/dev/null
fi
bin=$(pwd)/$build/bin/gth-scan
work=$(mktemp -d "${TMPDIR:-/tmp}/gth-bench-osv.XXXXXX")
trap 'rm -rf "$work"' EXIT

# 50,000 records over 25,000 npm packages (two each), shaped like GitHub's: a
# summary, a ~600-byte details text, aliases, a CVSS vector, two ranges, references.
# The lockfile: 1,500 packages, every other one with two records in the cache.
python3 - "$work" <<'PY'
import json, os, random, sys, zipfile
work = sys.argv[1]
random.seed(7)
words = "prototype pollution in the merge function allows an attacker to inject properties".split()
with zipfile.ZipFile(os.path.join(work, "all.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    for i in range(50000):
        pkg = "bench-pkg-%d" % (i % 25000)
        fixed = "%d.%d.%d" % (1 + i % 3, i % 7, i % 11)
        rec = {
            "schema_version": "1.6.0", "id": "GHSA-bench-%06d" % i,
            "modified": "2026-01-01T00:00:00Z", "published": "2025-01-01T00:00:00Z",
            "aliases": ["CVE-2099-%05d" % i],
            "summary": " ".join(random.choice(words) for _ in range(6)),
            "details": " ".join(random.choice(words) for _ in range(90)),
            "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:%s" % "HLN"[i % 3]}],
            "affected": [{"package": {"ecosystem": "npm", "name": pkg, "purl": "pkg:npm/" + pkg},
                          "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.%d.0" % (i % 5)},
                                                                  {"introduced": "1.0.0"}, {"fixed": fixed}]}],
                          "database_specific": {"source": "bench"}}],
            "references": [{"type": "ADVISORY", "url": "https://example.com/%d" % i},
                           {"type": "WEB", "url": "https://example.com/web/%d" % i}],
            "database_specific": {"severity": "HIGH", "cwe_ids": ["CWE-1321"]},
        }
        z.writestr("GHSA-bench-%06d.json" % i, json.dumps(rec, indent=2))
os.makedirs(os.path.join(work, "app"))
pk = {"": {"name": "app", "version": "1.0.0", "dependencies": {}}}
for k in range(1500):
    name = "bench-pkg-%d" % (k * 2 if k % 2 == 0 else 30000 + k)
    pk[""]["dependencies"][name] = "^1.0.0"
    pk["node_modules/" + name] = {"version": "1.%d.%d" % (k % 9, k % 4)}
json.dump({"name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": True, "packages": pk},
          open(os.path.join(work, "app", "package-lock.json"), "w"), indent=2)
PY
printf 'data: %s zip, %s lockfile\n' "$(du -h "$work/all.zip" | cut -f1)" "$(du -h "$work/app/package-lock.json" | cut -f1)"

best() { sort -n | head -1; }
ms() { awk '/Elapsed \(wall clock\)/ { n = split($NF, a, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]; printf "%.0f\n", s * 1000 }' "$1"; }
rss() { awk '/Maximum resident set size/ { printf "%.1f\n", $NF / 1024 }' "$1"; }
cpu() { awk '/User time|System time/ { s += $NF } END { printf "%.0f\n", s * 1000 }' "$1"; }

import_ms=()
for i in $(seq "$n"); do
	rm -f "$work/osv.db"*
	/usr/bin/time -v "$bin" db import "$work/all.zip" --db "$work/osv.db" -q 2>"$work/time.txt"
	import_ms+=("$(ms "$work/time.txt")")
done
imp=$(printf '%s\n' "${import_ms[@]}" | best)
imp_rss=$(rss "$work/time.txt")
printf 'import of 50,000 records: best %s ms of %d (goal < 30000 ms), %s MB peak RSS, cache %s\n' \
	"$imp" "$n" "$imp_rss" "$(du -h "$work/osv.db" | cut -f1)"

scan_ms=() scan_rss=() scan_cpu=()
for i in $(seq "$n"); do
	rc=0
	/usr/bin/time -v "$bin" fs "$work/app" --scanners vuln --offline --db "$work/osv.db" \
		--json >"$work/scan.json" 2>"$work/time.txt" || rc=$?
	[ "$rc" -eq 0 ] || { cat "$work/time.txt"; exit 1; }
	scan_ms+=("$(ms "$work/time.txt")")
	scan_rss+=("$(rss "$work/time.txt")")
	scan_cpu+=("$(cpu "$work/time.txt")")
done
sc=$(printf '%s\n' "${scan_ms[@]}" | best)
sc_rss=$(printf '%s\n' "${scan_rss[@]}" | sort -n | tail -1)
found=$(jq '.data.findings | length' "$work/scan.json")
printf 'scan of 1,500 packages: best %s ms of %d (goal < 150 ms; CPU user+sys best %s ms), %s MB peak RSS (goal < 64 MB), %s findings\n' \
	"$sc" "$n" "$(printf '%s\n' "${scan_cpu[@]}" | best)" "$sc_rss" "$found"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (wall times grow with it)"

# the peer: the same lookups in Python
cat >"$work/peer.py" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
lock = json.load(open(sys.argv[2]))
def key(v):
    core = v.split("-")[0].split("+")[0]
    return tuple(int(x) for x in core.split("."))
hits = 0
for loc, p in lock["packages"].items():
    if not loc:
        continue
    name, ver = loc.split("node_modules/")[-1], p["version"]
    for (text,) in db.execute("SELECT v.json FROM affected a JOIN vulns v ON v.rowid = a.vid"
                              " WHERE a.ecosystem = 'npm' AND a.name = ?", (name,)):
        rec = json.loads(text)
        for aff in rec["affected"]:
            for rg in aff.get("ranges", []):
                vuln = False
                for ev in rg["events"]:
                    if "introduced" in ev and (ev["introduced"] == "0" or key(ver) >= key(ev["introduced"])):
                        vuln = True
                    elif "fixed" in ev and key(ver) >= key(ev["fixed"]):
                        vuln = False
                if vuln:
                    hits += 1
print(hits)
PY
peer_ms=()
for i in $(seq "$n"); do
	/usr/bin/time -v python3 "$work/peer.py" "$work/osv.db" "$work/app/package-lock.json" >"$work/peer.out" 2>"$work/time.txt"
	peer_ms+=("$(ms "$work/time.txt")")
done
pe=$(printf '%s\n' "${peer_ms[@]}" | best)
printf 'peer (python3 sqlite3+json, same cache): best %s ms, %s MB peak RSS, %s matches\n' "$pe" "$(rss "$work/time.txt")" "$(cat "$work/peer.out")"
awk -v g="$sc" -v p="$pe" 'BEGIN { if (p > 0) printf "ratio gth-scan/peer: %.2f\n", g / p }'
[ "$imp" -lt 30000 ] && [ "$sc" -lt 150 ] && awk -v r="$sc_rss" 'BEGIN { exit !(r < 64) }' &&
	echo "goals met" || { echo "goals NOT met"; exit 1; }
