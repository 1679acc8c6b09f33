#!/usr/bin/env bash
# Stage image-scan: gth-scan fills its OSV cache from a local mirror with 'db update'
# (conditional downloads of per-ecosystem zips, the way it would from osv.dev), then
# scans the example service's lockfile and the image 30-build.sh assembled: from the
# OCI layout, and from the local registry it was pushed to, layer by layer.
#
# No internet here: the mirror serves zips made from the real OSV records in
# ../shared/data/osv when they are beside the checkout, else from the test fixtures.
# A last scan of a real, old lockfile (NodeGoat's) shows what findings look like;
# it is not gated.
set -euo pipefail
root=${GTH_DEMO_ROOT:?run through scripts/demo}
work=${GTH_DEMO_WORK:?run through scripts/demo}
dir=$work/image-scan
rm -rf "$dir"
mkdir -p "$dir/mirror"
export XDG_CACHE_HOME=$dir/cache
app=$root/examples/gatheraa

# The mirror: ECOSYSTEM/all.zip, as osv-vulnerabilities.storage.googleapis.com lays it out.
data=
for d in "$root/../shared/data/osv" "$root/../../shared/data/osv"; do
	[ -d "$d" ] && data=$(cd "$d" && pwd) && break
done
python3 - "$dir/mirror" "$root/tests/fixtures/gth-scan/osv" ${data:+"$data"} <<'PY'
import json, os, sys, zipfile
out, fixtures = sys.argv[1], sys.argv[2]
srcs = [fixtures]
if len(sys.argv) > 3:
    d = sys.argv[3]
    srcs += [os.path.join(d, "npm"), os.path.join(d, "debian", "osv"), os.path.join(d, "alpine", "osv")]
zips = {}
for src in srcs:
    for f in sorted(os.listdir(src)):
        if not f.endswith(".json"):
            continue
        rec = json.load(open(os.path.join(src, f)))
        for eco in sorted({a["package"]["ecosystem"].split(":")[0] for a in rec.get("affected", []) if "package" in a}):
            if eco not in zips:
                os.makedirs(os.path.join(out, eco), exist_ok=True)
                zips[eco] = zipfile.ZipFile(os.path.join(out, eco, "all.zip"), "w", zipfile.ZIP_DEFLATED)
            zips[eco].write(os.path.join(src, f), f)
for z in zips.values():
    z.close()
print("mirror:", ", ".join("%s (%d records)" % (e, len(z.namelist())) for e, z in sorted(zips.items())))
PY
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$dir/mirror" "$port" >"$dir/mirror.log" 2>&1 &
echo $! >"$work/osv-mirror.pid"
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
export GTH_OSV_MIRROR=http://127.0.0.1:$port

echo "gth-scan db update npm Debian Alpine (from $GTH_OSV_MIRROR):"
gth-scan db update npm Debian Alpine --json >"$dir/db-update.event.json"
echo "again: conditional requests, nothing to download"
gth-scan db update npm Debian Alpine
gth-scan db info

rc=0
echo
echo "the service's lockfile:"
gth-scan fs "$app" --scanners vuln --offline --fail-on HIGH --json >"$dir/lockfile.event.json" || rc=$?
jq -r '"  " + .summary' "$dir/lockfile.event.json"

image=$work/build/image
echo
echo "the image, from its OCI layout:"
gth-scan image "oci:$image:demo" --offline --fail-on HIGH --json >"$dir/image.event.json" || rc=$?
jq -r '"  " + .summary' "$dir/image.event.json"

if [ -s "$work/build/registry.host" ] && [ -s "$work/build/digest.txt" ]; then
	ref=$(cat "$work/build/registry.host")/acme/gatheraa-backend@$(cat "$work/build/digest.txt")
	echo
	echo "the image, from the registry: $ref"
	gth-scan image "$ref" --offline --fail-on HIGH --json >"$dir/registry.event.json" || rc=$?
	jq -r '"  " + .summary' "$dir/registry.event.json"
fi

if [ -n "$data" ]; then
	echo
	echo "for comparison, an old real lockfile (OWASP NodeGoat), not gated:"
	mkdir -p "$dir/nodegoat"
	cp "$data/lockfiles/NodeGoat-package-lock.json" "$dir/nodegoat/package-lock.json"
	gth-scan fs "$dir/nodegoat" --scanners vuln --offline --severity CRITICAL 2>&1 | tail -n 6 | sed 's/^/  /' || true
fi

printf 'image-scan\tgth-scan\t%s\n' "$(jq -r '.summary + " (exit " + (.exit | tostring) + ", " +
	(.data.findings | length | tostring) + " findings)"' "$dir/image.event.json")" \
	>>"${GTH_DEMO_SUMMARY:-/dev/null}"
exit "$rc"
