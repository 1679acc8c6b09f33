#!/usr/bin/env bash
# gth-scan: the OSV cache (db import/update/info), lockfiles in fs, and images.
. "$(dirname "$0")/lib.sh.inc"
FIX=$GTH_SRC/tests/fixtures/gth-scan
unset GTH_OSV_MIRROR GTH_OSV_ECOSYSTEMS GTH_OSV_MAX_AGE

# A zip of the fixture records of one ecosystem, as osv.dev publishes them.
make_zip() { # OUT ECOSYSTEM
	python3 - "$1" "$2" "$FIX/osv" <<'PY'
import json, os, sys, zipfile
out, eco, src = sys.argv[1:4]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for f in sorted(os.listdir(src)):
        rec = json.load(open(os.path.join(src, f)))
        if any(a["package"]["ecosystem"].split(":")[0] == eco for a in rec.get("affected", [])):
            z.write(os.path.join(src, f), f)
PY
}
# A route script serving a zip with an ETag, then 304 when it is sent back.
zip_script() { # ZIP ETAG
	python3 - "$1" "$2" <<'PY'
import base64, json, sys
z, etag = sys.argv[1:3]
print(json.dumps({"routes": [
  {"method": "GET", "path": "/npm/all.zip", "responses": [
     {"status": 200, "headers": {"ETag": etag, "Last-Modified": "Wed, 25 Nov 2026 10:00:00 GMT"},
      "body_b64": base64.b64encode(open(z, "rb").read()).decode()},
     {"status": 304, "headers": {"ETag": etag}}]},
  {"method": "GET", "path": "/Maven/all.zip", "responses": [{"status": 404, "body": "no such ecosystem\n"}]}]}))
PY
}

case_import_info() {
	export XDG_CACHE_HOME=$PWD/cache
	run gth-scan db import "$FIX/osv"
	expect_rc 0
	expect_err_eq "gth-scan: imported 8 records from $FIX/osv (9 files, 1 withdrawn dropped)"
	check test "$(stat -c %a "$XDG_CACHE_HOME/gth/osv.db")" = 600
	check test "$(stat -c %a "$XDG_CACHE_HOME/gth")" = 700
	run gth-scan db info
	expect_rc 0
	expect_out_contains "cache      $XDG_CACHE_HOME/gth/osv.db"
	expect_out_contains "records    8"
	expect_out_match '^Debian:12 +1 +1$'
	run gth-scan db info --json
	expect_rc 0
	expect_json '.data.records == 8 and .data.path == "'"$XDG_CACHE_HOME"'/gth/osv.db" and (.data.ecosystems | length) == 8 and .data.age_s >= 0 and .data.stale == false'
	# The cache keeps its update time in whole seconds: let one pass.
	sleep 1.1
	GTH_OSV_MAX_AGE=1ms run gth-scan db info --json
	expect_json '.data.stale == true'
	expect_json '[.data.ecosystems[] | select(.name == "npm")][0] == {"name": "npm", "records": 2, "packages": 1}'
}
t "db import fills the cache (0600 in 0700) and db info reports it" case_import_info

case_bad_imports_keep_cache() {
	export XDG_CACHE_HOME=$PWD/cache
	gth-scan db import "$FIX/osv" -q
	run gth-scan db import "$FIX/osv-bad/truncated.json"
	expect_rc 65
	expect_err_contains "error: $FIX/osv-bad/truncated.json:1:"
	expect_err_contains "invalid JSON"
	run gth-scan db import "$FIX/osv-bad/wrong-type.json"
	expect_rc 65
	expect_err_contains "OSV record GTH-BAD-0002: \"affected\" is not an array"
	# a zip bomb: 200 MiB of zeros in one entry
	python3 -c '
import zipfile
with zipfile.ZipFile("bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
    with z.open("bomb.json", "w", force_zip64=True) as f:
        block = b"\0" * (1 << 20)
        for _ in range(200): f.write(block)'
	check test "$(stat -c %s bomb.zip)" -lt 1000000
	run gth-scan db import bomb.zip
	expect_rc 65
	expect_err_contains "bomb.zip: bomb.json:"
	expect_err_contains "(a zip bomb?)"
	head -c 300 bomb.zip >broken.zip
	run gth-scan db import broken.zip
	expect_rc 65
	run gth-scan db import nothing-here.json
	expect_rc 66
	run gth-scan db info --json
	expect_json '.data.records == 8'
}
t "bad records, a zip bomb and a broken zip fail clearly and leave the cache as it was" case_bad_imports_keep_cache

case_update_conditional() {
	export XDG_CACHE_HOME=$PWD/cache
	make_zip npm.zip npm
	zip_script npm.zip '"v1"' >script.json
	start_stub script.json
	export GTH_OSV_MIRROR=$STUB_URL
	run gth-scan db update npm
	expect_rc 0
	expect_err_eq "gth-scan: npm: 2 records"
	run gth-scan db update npm --json
	expect_rc 0
	expect_json '.data.ecosystems == [{"name": "npm", "url": "'"$STUB_URL"'/npm/all.zip", "status": "unchanged", "records": null}]'
	check test "$(wc -l <"$STUB_LOG")" -eq 2
	check jq -e -s '.[0].headers["if-none-match"] == null and .[1].headers["if-none-match"] == "\"v1\"" and .[1].headers["if-modified-since"] == "Wed, 25 Nov 2026 10:00:00 GMT"' "$STUB_LOG"
	run gth-scan db info --json
	expect_json '.data.records == 2 and .data.sources[0].name == "npm" and .data.sources[0].etag == "\"v1\""'
	run gth-scan db update Maven
	expect_rc 66
	expect_err_contains "no OSV export for ecosystem 'Maven' at $STUB_URL/Maven/all.zip (HTTP 404)"
	run gth-scan db update --offline
	expect_rc 64
	expect_err_contains "--offline"
}
t "db update downloads per-ecosystem zips with conditional requests" case_update_conditional

case_fs_lockfiles() {
	export XDG_CACHE_HOME=$PWD/cache
	gth-scan db import "$FIX/osv" -q
	mkdir app
	cp "$FIX/lock/npm-v3/package-lock.json" "$FIX/lock/py/requirements.txt" "$FIX/lock/go/go.mod" app/
	run gth-scan fs app --offline --scanners vuln --json --fail-on CRITICAL
	expect_rc 1
	expect_json '[.data.findings[] | "\(.id) \(.severity) \(.path):\(.line) \(.package.name)@\(.package.version) \(.package.fixed) [\(.resource)]"] | sort == [
	  "GTH-TEST-0001 CRITICAL package-lock.json:27 left-pad@1.2.0 1.3.0 [left-pad]",
	  "GTH-TEST-0001 CRITICAL package-lock.json:31 left-pad@1.1.0 1.3.0 [lp]",
	  "GTH-TEST-0003 HIGH requirements.txt:2 Django_Rest.Thing@1.0 1.0.post1 [Django_Rest.Thing]",
	  "GTH-TEST-0004 HIGH go.mod:5 example.com/mod@v1.4.9 null [example.com/mod]"]'
	# GTH-TEST-0002 shares CVE-2099-0001 with GTH-TEST-0001: merged, not a second finding
	expect_json '[.data.findings[] | select(.line == 31)][0].aliases == ["CVE-2099-0001", "GTH-TEST-0002"]'
	run gth-scan fs app --offline --scanners vuln --ignore-unfixed --severity HIGH --json
	expect_rc 0
	expect_json '[.data.findings[].id] == ["GTH-TEST-0003"]'
}
t "fs matches lockfiles: paths, lines, fixes, merged aliases, --ignore-unfixed" case_fs_lockfiles

case_missing_cache() {
	export XDG_CACHE_HOME=$PWD/cache
	mkdir app
	cp "$FIX/lock/npm-v3/package-lock.json" app/
	run gth-scan fs app --offline --scanners vuln
	expect_rc 66
	expect_err_contains "no OSV cache at '$XDG_CACHE_HOME/gth/osv.db'"
	# online, a missing cache is filled for the ecosystems the scan needs
	make_zip npm.zip npm
	zip_script npm.zip '"v2"' >script.json
	start_stub script.json
	GTH_OSV_MIRROR=$STUB_URL run gth-scan fs app --scanners vuln --json
	expect_rc 0
	expect_err_contains "fetching the OSV records of npm from $STUB_URL"
	expect_json '(.data.findings | length) == 2'
	check test "$(wc -l <"$STUB_LOG")" -eq 1
	# a stale cache is warned about
	GTH_OSV_MAX_AGE=1ms run gth-scan fs app --scanners vuln --offline
	expect_rc 0
	expect_err_contains "warning: the OSV cache '$XDG_CACHE_HOME/gth/osv.db' was last updated 0 days ago: run 'gth-scan db update'"
}
t "a missing cache: 66 offline, fetched online; a stale one is warned about" case_missing_cache

case_image() {
	export XDG_CACHE_HOME=$PWD/cache
	gth-scan db import "$FIX/osv" -q
	python3 "$FIX/image/mkimage.py" "$FIX/image/debian.json" img
	python3 "$FIX/image/mkimage.py" "$FIX/image/debian.json" img.tar --docker-archive
	run gth-scan image oci:img --offline --json
	expect_rc 0
	# the secret in srv/old went with the opaque folder; the one in app/config stays
	expect_json '[.data.findings[] | select(.kind == "secret") | "\(.id) \(.path):\(.line)"] == ["github-pat app/config/leak.env:1"]'
	expect_json '[.data.findings[] | select(.kind == "vuln") | "\(.id) \(.package.ecosystem) \(.package.name)@\(.package.version) \(.path)"] | sort == [
	  "GTH-TEST-0004 Go example.com/mod@v1.4.9 srv/api/go.mod",
	  "GTH-TEST-0005 Debian:12 openssl@3.0.11-1~deb12u1 var/lib/dpkg/status",
	  "GTH-TEST-0009 Debian:12 zlib@1:1.2.13.dfsg-1 var/lib/dpkg/status"]'
	expect_json '.data.findings[0].target == "oci:img"'
	run gth-scan image docker-archive:img.tar --offline --ignore-unfixed --fail-on HIGH --scanners vuln
	expect_rc 0
	expect_out_contains "openssl 3.0.11-1~deb12u1 -> 1:3.0.11-1~deb12u2"
	expect_out_lacks "zlib"
}
t "image: OCI layout and docker archive, dpkg by source package, lockfiles inside" case_image

case_image_broken() {
	export XDG_CACHE_HOME=$PWD/cache
	gth-scan db import "$FIX/osv" -q
	python3 "$FIX/image/mkimage.py" "$FIX/image/debian.json" trunc --truncate-layer 1
	python3 "$FIX/image/mkimage.py" "$FIX/image/debian.json" evil --evil-layer 1
	run gth-scan image oci:trunc --offline
	expect_rc 65
	expect_err_contains "truncated gzip input"
	run gth-scan image oci:evil --offline
	expect_rc 65
	expect_err_contains "unsafe entry '../escape'"
	run gth-scan image oci:nothing --offline
	expect_rc 66
}
t "image: a truncated gzip layer and a ../ path are clear errors" case_image_broken

case_image_assembled() {
	export XDG_CACHE_HOME=$PWD/cache
	gth-scan db import "$FIX/osv" -q
	# a root file system with a dpkg database, then a layer whose whiteout removes
	# the status.d entry of a vulnerable package
	gth-build assemble --base scratch --layer "$FIX/image/rootfs:/" -o oci:base:1 -q
	gth-build assemble --base oci:base:1 --layer "$FIX/image/rootfs-2:/" -o oci:img:1 -q
	run gth-scan image oci:base:1 --offline --json
	expect_rc 0
	expect_json '[.data.findings[] | "\(.id) \(.package.name)@\(.package.version) \(.path) [\(.resource)]"] | sort == [
	  "GTH-TEST-0005 openssl@3.0.11-1~deb12u1 var/lib/dpkg/status [installed: libssl3, openssl]",
	  "GTH-TEST-0005 openssl@3.0.9-1 var/lib/dpkg/status.d/libssl-old [installed: libssl-old]",
	  "GTH-TEST-0009 zlib@1:1.2.13.dfsg-1 var/lib/dpkg/status [installed: zlib1g]"]'
	run gth-scan image oci:img:1 --offline --json
	expect_rc 0
	expect_json '[.data.findings[] | .package.version] | sort == ["1:1.2.13.dfsg-1", "3.0.11-1~deb12u1"]'
	expect_err_contains "oci:img:1: 2 layers, Debian GNU/Linux 12 (bookworm)"
}
t "image: assembled by gth-build, a whiteout removes a vulnerable package" case_image_assembled

case_image_registry() {
	export XDG_CACHE_HOME=$PWD/cache
	. "$GTH_SRC/tests/servers/registry.sh"
	registry_start "$PWD/reg" open >/dev/null
	at_exit "registry_stop $PWD/reg"
	gth-scan db import "$FIX/osv" -q
	python3 "$FIX/image/mkimage.py" "$FIX/image/debian.json" img
	gth-build push oci:img:latest "$REGISTRY_HOST/scan/fixture:1" --insecure "$REGISTRY_HOST" -q
	run gth-scan image "$REGISTRY_HOST/scan/fixture:1" --offline --json --scanners vuln
	expect_rc 0
	expect_json '[.data.findings[] | "\(.id) \(.package.name)@\(.package.version)"] | sort == [
	  "GTH-TEST-0004 example.com/mod@v1.4.9", "GTH-TEST-0005 openssl@3.0.11-1~deb12u1",
	  "GTH-TEST-0009 zlib@1:1.2.13.dfsg-1"]'
	expect_json '.data.findings[0].target == "'"$REGISTRY_HOST"'/scan/fixture:1"'
	run gth-scan image "$REGISTRY_HOST/scan/nothing:1" --offline
	expect_rc 66
}
t "image: pulled from a registry layer by layer" case_image_registry

# The shared real advisories and lockfiles, when ../shared/data/osv is beside the checkout.
OSVDATA=
for d in "$GTH_SRC/../shared/data/osv" "$GTH_SRC/../../shared/data/osv"; do
	[ -d "$d" ] && OSVDATA=$(cd "$d" && pwd) && break
done
case_real_data() {
	export XDG_CACHE_HOME=$PWD/cache
	run gth-scan db import "$OSVDATA/npm"
	expect_rc 0
	expect_err_contains "imported 121 records"
	gth-scan db import "$OSVDATA/withdrawn" -q
	for lock in NodeGoat-lockfile-v1-package-lock.json:95 NodeGoat-package-lock.json:95 \
		docs.nestjs.com-package-lock.json:4 hackathon-starter-package-lock.json:0; do
		rm -rf app && mkdir app
		cp "$OSVDATA/lockfiles/${lock%:*}" app/package-lock.json
		run gth-scan fs app --offline --scanners vuln --json
		expect_rc 0
		# distinct (package@version, advisory) pairs, merged aliases counted
		got=$(jq '[.data.findings[] | "\(.package.name)@\(.package.version)" as $p | ([.id] + (.aliases // []))[] | select(startswith("GHSA-")) | "\($p) \(.)"] | unique | length' "$OUT")
		[ "$got" = "${lock#*:}" ] || _fail "${lock%:*}: $got affected, expected ${lock#*:}"
	done
}
if [ -n "$OSVDATA" ]; then
	t "the shared advisories against the shared lockfiles: 95, 95, 4, 0" case_real_data
else
	echo "ok - the shared advisories against the shared lockfiles # SKIP no shared/data/osv"
fi
finish
