#!/usr/bin/env bash
# Faults between gth and real local servers (tests/servers/faultproxy.py in front):
# 5xx, 429, drops, truncation and stalls; signals in the middle of a download; a
# full disk (ulimit -f); stdout closed early. Each ends with the documented exit
# status, and the state that was there before is intact.
. "$(dirname "$0")/lib.sh.inc"
export GTH_HTTP_BUDGET=4s
. "$(dirname "$0")/notify.sh.inc"
. "$(dirname "$0")/faults.sh.inc"
SFIX=$GTH_SRC/tests/fixtures/gth-scan
unset GTH_OSV_MIRROR GTH_OSV_ECOSYSTEMS GTH_OSV_MAX_AGE

api_port() { echo "${API##*:}"; }

case_notify_faults() {
	start_api
	cat >r.json <<'R'
{"rules": [{"method": "POST", "path_re": "^/services/", "count": 1, "action": "status", "status": 503},
           {"method": "POST", "path_re": "^/services/", "count": 1, "action": "status", "status": 429,
            "headers": {"Retry-After": "1"}, "body": "rate_limited"},
           {"method": "POST", "path_re": "^/services/", "count": 1, "action": "drop"}]}
R
	start_faultproxy "$(api_port)" r.json
	SLACK_WEBHOOK_URL=$FP_URL/services/T000/B000/good run gth-notify slack --status success --title hi
	expect_rc 0
	check [ "$(fp_actions)" = "status status drop pass" ]
	# the real server saw exactly one message
	check [ "$(wc -l <"$API_LOG")" = 1 ]
	# a server that always drops: 69, one line, the hook URL (a secret) never shown
	cat >r2.json <<'R'
{"rules": [{"method": "POST", "count": 0, "action": "drop"}]}
R
	start_faultproxy "$(api_port)" r2.json
	SLACK_WEBHOOK_URL=$FP_URL/services/T000/B000/good run gth-notify slack --status success --title hi --timeout 2s
	expect_rc 69
	check [ "$(wc -l <"$ERR")" = 1 ]
	expect_err_lacks "B000/good"
	# an answer cut short
	cat >r3.json <<'R'
{"rules": [{"method": "POST", "count": 0, "action": "truncate", "body_bytes": 1}]}
R
	start_faultproxy "$(api_port)" r3.json
	SLACK_WEBHOOK_URL=$FP_URL/services/T000/B000/good run gth-notify slack --status success --title hi --timeout 2s
	expect_rc 69
	expect_err_lacks "B000/good"
}
t "gth-notify through 503, 429 and a drop delivers once; always dropped or cut: 69" case_notify_faults

# osv_stub: an OSV mirror serving the npm records as all.zip (STUB_URL).
osv_stub() {
	python3 - "$SFIX/osv" <<'PY' >script.json
import base64, io, json, os, sys, zipfile
src = sys.argv[1]
b = io.BytesIO()
with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
    for f in sorted(os.listdir(src)):
        rec = json.load(open(os.path.join(src, f)))
        if any(a["package"]["ecosystem"] == "npm" for a in rec.get("affected", [])):
            z.write(os.path.join(src, f), f)
print(json.dumps({"routes": [{"method": "GET", "path": "/npm/all.zip", "responses": [
    {"status": 200, "headers": {"ETag": "\"v1\""}, "body_b64": base64.b64encode(b.getvalue()).decode()}]}]}))
PY
	start_stub script.json
}
records() { gth-scan db info --json | jq -r .data.records; }

case_db_update_faults() {
	export XDG_CACHE_HOME=$PWD/cache
	gth-scan db import "$SFIX/osv" -q || _fail "import"
	check [ "$(records)" = 8 ]
	cp cache/gth/osv.db before.db
	osv_stub
	# the zip cut short after 200 bytes, every time
	cat >r.json <<'R'
{"rules": [{"method": "GET", "count": 0, "action": "truncate", "bytes": 200}]}
R
	start_faultproxy "$STUB_PORT" r.json
	GTH_OSV_MIRROR=$FP_URL run gth-scan db update npm
	expect_rc 69
	check [ "$(records)" = 8 ]
	check cmp -s before.db cache/gth/osv.db
	# 5xx every time: 69, the cache unchanged
	cat >r2.json <<'R'
{"rules": [{"method": "GET", "count": 0, "action": "status", "status": 502, "body": "bad gateway"}]}
R
	start_faultproxy "$STUB_PORT" r2.json
	GTH_OSV_MIRROR=$FP_URL run gth-scan db update npm
	expect_rc 69
	check [ "$(records)" = 8 ]
	check cmp -s before.db cache/gth/osv.db
	# one 503 then the real answer: retried, updated
	cat >r3.json <<'R'
{"rules": [{"method": "GET", "count": 1, "action": "status", "status": 503}]}
R
	start_faultproxy "$STUB_PORT" r3.json
	GTH_OSV_MIRROR=$FP_URL run gth-scan db update npm
	expect_rc 0
	check [ "$(fp_actions)" = "status pass" ]
	check test "$(stat -c %a cache/gth/osv.db)" = 600
	check test "$(stat -c %a cache/gth)" = 700
}
t "gth-scan db update: a cut or failing download leaves the cache as it was" case_db_update_faults

# sig_during_update SIG: the download stalls in the proxy; SIG arrives; the cache
# still opens with its old count.
sig_during_update() {
	export XDG_CACHE_HOME=$PWD/cache
	gth-scan db import "$SFIX/osv" -q || _fail "import"
	cp cache/gth/osv.db before.db
	osv_stub
	cat >r.json <<'R'
{"rules": [{"method": "GET", "count": 0, "action": "delay", "seconds": 20}]}
R
	start_faultproxy "$STUB_PORT" r.json
	GTH_OSV_MIRROR=$FP_URL spawn gth-scan db update npm >out 2>err &
	local pid=$!
	fp_wait_for GET
	interrupt "$1" "$pid"
	check [ "$(records)" = 8 ]
	check cmp -s before.db cache/gth/osv.db
}
case_db_update_sigint() { sig_during_update INT; }
case_db_update_sigterm() { sig_during_update TERM; }
t "SIGINT during db update: the cache keeps its old records" case_db_update_sigint
t "SIGTERM during db update: the cache keeps its old records" case_db_update_sigterm

case_sigpipe() {
	export XDG_CACHE_HOME=$PWD/cache
	gth-scan db import "$SFIX/osv" -q || _fail "import"
	mkdir -p proj
	for i in $(seq 1 200); do echo "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY$i" >"proj/f$i.env"; done
	local st
	gth-scan fs proj --format json 2>err | head -c 10 >/dev/null
	st=${PIPESTATUS[0]}
	# killed by SIGPIPE (141) or an I/O error status, never a sanitizer report
	case $st in 0 | 1 | 74 | 141) ;; *) _fail "gth-scan fs | head: status $st: $(head -c 2000 err)" ;; esac
	! grep -q Sanitizer err || _fail "sanitizer report: $(cat err)"
	gth-scan fs proj 2>err | head -n 1 >/dev/null
	st=${PIPESTATUS[0]}
	case $st in 0 | 1 | 74 | 141) ;; *) _fail "gth-scan fs | head -1: status $st" ;; esac
	! grep -q Sanitizer err || _fail "sanitizer report: $(cat err)"
	gth-scan db info --json 2>err | head -c 5 >/dev/null
	st=${PIPESTATUS[0]}
	case $st in 0 | 74 | 141) ;; *) _fail "gth-scan db info | head: status $st" ;; esac
	! grep -q Sanitizer err || _fail "sanitizer report: $(cat err)"
}
t "stdout closed early: no crash, no sanitizer report" case_sigpipe

case_full_disk_oci() {
	mkdir app
	echo 'console.log(1)' >app/server.js
	run gth-build assemble --base scratch --layer app:/app -o oci:out:v1
	expect_rc 0
	cp out/index.json index.before
	local blobs_before
	blobs_before=$(ls out/blobs/sha256 | sort)
	head -c 3000000 /dev/urandom >app/big.bin
	rc=0
	(ulimit -f 200; exec gth-build assemble --base scratch --layer app:/app -o oci:out:v2) >"$OUT" 2>"$ERR" || rc=$?
	expect_rc 70
	expect_err_eq "gth-build: error: writing a layer: File too large"
	check cmp -s index.before out/index.json
	# nothing half-written left among the blobs
	check [ "$(ls out/blobs/sha256 | sort)" = "$blobs_before" ]
	run gth-build assemble --base oci:out:v1 --layer app/server.js:/srv/server.js -o oci:copy
	expect_rc 0
}
t "a full disk while writing an OCI layout: 70 (EFBIG, not SIGXFSZ), the layout as it was" case_full_disk_oci

case_full_disk_osv() {
	export XDG_CACHE_HOME=$PWD/cache
	gth-scan db import "$SFIX/osv" -q || _fail "import"
	cp cache/gth/osv.db before.db
	# a big export: many copies of the records
	python3 - "$SFIX/osv" big <<'PY'
import json, os, sys
src, out = sys.argv[1:3]
os.makedirs(out)
for f in sorted(os.listdir(src)):
    rec = json.load(open(os.path.join(src, f)))
    for i in range(400):
        rec["id"] = rec["id"].split("~")[0] + "~" + str(i)
        json.dump(rec, open(os.path.join(out, "%d-%s" % (i, f)), "w"))
PY
	rc=0
	(ulimit -f 64; exec gth-scan db import big) >"$OUT" 2>"$ERR" || rc=$?
	expect_rc 70
	expect_err_contains "storing a record: disk I/O error"
	check [ "$(records)" = 8 ]
	check cmp -s before.db cache/gth/osv.db
	check [ "$(ls cache/gth | grep -cv '^osv.db$' || true)" = 0 ]
}
t "a full disk while importing into the OSV cache: 70, the cache as it was" case_full_disk_osv

# big_osv: $T/big.json, 30000 small OSV records in one JSON array (made once).
big_osv() {
	[ -s "$T/big.json" ] && return 0
	python3 - "$T/big.json" 30000 <<'PY'
import json, sys
out, n = sys.argv[1], int(sys.argv[2])
json.dump([{"schema_version": "1.6.0", "id": "GTH-BIG-%06d" % i, "modified": "2026-01-02T00:00:00Z",
            "summary": "record %d" % i,
            "affected": [{"package": {"ecosystem": "npm", "name": "pkg-%d" % (i % 5000)},
                          "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.%d.0" % i}]}]}]}
           for i in range(n)], open(out + ".tmp", "w"))
PY
	mv "$T/big.json.tmp" "$T/big.json"
}
# sig_during_import SIG: a local import of 30000 records is signalled once it has
# begun writing (the -wal file grows); the cache keeps its bytes and its old count.
sig_during_import() {
	export XDG_CACHE_HOME=$PWD/cache
	gth-scan db import "$SFIX/osv" -q || _fail "import"
	check [ "$(records)" = 8 ]
	cp cache/gth/osv.db before.db
	big_osv
	ln -s "$T/big.json" big.json
	spawn gth-scan db import big.json >out 2>err &
	local pid=$! n=300
	until [ "$(stat -c %s cache/gth/osv.db-wal 2>/dev/null || echo 0)" -gt 0 ] || [ "$n" -le 0 ]; do
		sleep 0.02
		n=$((n - 1))
	done
	check [ "$n" -gt 0 ]
	interrupt "$1" "$pid"
	! grep -q "imported" err || _fail "the import finished before the signal"
	check cmp -s before.db cache/gth/osv.db
	check [ "$(records)" = 8 ]
	check cmp -s before.db cache/gth/osv.db
	check [ "$(ls cache/gth | grep -cv '^osv.db$' || true)" = 0 ]
	# (once) the same import, uninterrupted, goes through
	[ "$1" = TERM ] || return 0
	run gth-scan db import big.json
	expect_rc 0
	check [ "$(records)" = 30008 ]
}
case_import_sigint() { sig_during_import INT; }
case_import_sigterm() { sig_during_import TERM; }
t "SIGINT during db import: osv.db byte for byte as it was, the old count" case_import_sigint
t "SIGTERM during db import: osv.db byte for byte as it was, the old count" case_import_sigterm

finish
