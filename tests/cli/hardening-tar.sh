#!/usr/bin/env bash
# Hostile tar layers: an OCI layout whose layer holds "../escape", an absolute
# path, a symlink that escapes the root with a file written through it, a file
# written through an absolute symlink, a hard link that climbs out. gth-build
# assemble (base from a layout, and from a registry) and gth-scan image refuse
# each with 65; nothing is written outside, and the output layout is left as it
# was: not created when it was not there, the same index and blobs when it was.
. "$(dirname "$0")/lib.sh.inc"
. "$GTH_SRC/tests/servers/registry.sh"
unset REGISTRY_USER REGISTRY_PASSWORD GTH_REGISTRY_USER GTH_REGISTRY_PASSWORD REGISTRY_AUTH_FILE
export DOCKER_CONFIG=$T/no-docker-config XDG_RUNTIME_DIR=$T/no-runtime
export SOURCE_DATE_EPOCH=1700000000
KINDS="dotdot absolute symlink-escape through-symlink hardlink"

# hostile DIR KIND: an OCI layout with two layers, a safe one, then one whose
# entries are: a safe file, then the hostile ones of KIND. Absolute names and link
# targets point into $PWD/outside, so a tool that wrote them would leave files there.
hostile() {
	python3 - "$1" "$2" "$PWD/outside" <<'PY'
import hashlib, io, json, os, sys, tarfile
out, kind, outside = sys.argv[1:4]
os.makedirs(out + "/blobs/sha256")
def tar(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, typ, link in entries:
            ti = tarfile.TarInfo(name)
            ti.type, ti.linkname, ti.mode, ti.mtime = typ, link, 0o644, 1700000000
            data = b"pwned\n" if typ == tarfile.REGTYPE else b""
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data) if data else None)
    return buf.getvalue()
F, L, H, D = tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.DIRTYPE
up = "../" * 40
bad = {
    "dotdot": [("../escape", F, "")],
    "absolute": [(outside + "/abs/path", F, "")],
    "symlink-escape": [("app/link", L, up + outside.lstrip("/")), ("app/link/escaped", F, "")],
    "through-symlink": [("app/abs", L, outside), ("app/abs/through", F, "")],
    "hardlink": [("app/hard", H, up + outside.lstrip("/") + "/target")],
}[kind]
layers = [tar([("base/", D, ""), ("base/ok.txt", F, "")]),
          tar([("app/", D, ""), ("app/ok.txt", F, "")] + bad)]
def put(b):
    h = hashlib.sha256(b).hexdigest()
    open(out + "/blobs/sha256/" + h, "wb").write(b)
    return "sha256:" + h
lds = [put(l) for l in layers]
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                  "rootfs": {"type": "layers", "diff_ids": lds}}).encode()
cd = put(cfg)
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": len(cfg)},
                  "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d, "size": len(l)}
                             for d, l in zip(lds, layers)]}).encode()
md = put(man)
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
           "digest": md, "size": len(man), "annotations": {"org.opencontainers.image.ref.name": "v1"}}]},
          open(out + "/index.json", "w"))
open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
PY
}
# nothing_outside: no file the hostile entries name exists anywhere in the case
# folder but inside the hostile layouts' blobs (and no escape next to it).
nothing_outside() {
	local f
	f=$(find . .. -path '*/blobs/*' -prune -o \( -name escape -o -name path -o -name escaped \
		-o -name through -o -name target -o -name pwned \) -print -quit 2>/dev/null)
	[ -z "$f" ] || _fail "written outside: $f"
	[ ! -e outside ] || _fail "outside/ exists: $(find outside)"
}
# layout_state DIR: its index and the names of its blobs.
layout_state() { cat "$1/index.json"; ls "$1/blobs/sha256" | sort; }

case_assemble_layout_base() {
	mkdir app
	echo 'console.log(1)' >app/server.js
	run gth-build assemble --base scratch --layer app:/app -o oci:have:v1
	expect_rc 0
	layout_state have >have.before
	local k
	for k in $KINDS; do
		hostile "base-$k" "$k"
		# a fresh output: refused, and no layout left behind
		run gth-build assemble --base "oci:base-$k:v1" --layer app:/app -o "oci:out-$k:v1" --json
		expect_rc 65
		expect_err_contains "unsafe"
		expect_json '.status == "error" and .exit == 65'
		[ ! -e "out-$k" ] || _fail "$k: a partial output layout: $(find "out-$k")"
		# an existing output: its index and blobs as they were
		run gth-build assemble --base "oci:base-$k:v1" --layer app:/app -o oci:have:v2
		expect_rc 65
		layout_state have >have.after
		expect_file_eq have.after have.before
		nothing_outside
	done
}
t "assemble on a hostile base layout: 65, nothing outside, no partial output layout" case_assemble_layout_base

case_assemble_registry_base() {
	local reg=$PWD/reg k
	registry_start "$reg" open || _fail "registry"
	at_exit "registry_stop $reg"
	for k in dotdot through-symlink; do
		hostile "base-$k" "$k"
		gth-build push "oci:base-$k:v1" "$REGISTRY_HOST/hostile/$k:v1" --insecure "$REGISTRY_HOST" -q ||
			_fail "push $k"
		run gth-build assemble --base "$REGISTRY_HOST/hostile/$k:v1" --insecure "$REGISTRY_HOST" \
			--layer base-"$k"/oci-layout:/x -o "oci:out-$k:v1"
		expect_rc 65
		expect_err_contains "unsafe"
		[ ! -e "out-$k" ] || _fail "$k: a partial output layout: $(find "out-$k")"
		nothing_outside
	done
}
t "assemble on a hostile base from a registry: 65, no partial output layout" case_assemble_registry_base

case_scan_image() {
	export XDG_CACHE_HOME=$PWD/cache
	gth-scan db import "$GTH_SRC/tests/fixtures/gth-scan/osv" -q
	local k
	for k in $KINDS; do
		hostile "img-$k" "$k"
		run gth-scan image "oci:img-$k:v1" --offline
		expect_rc 65
		expect_err_contains "unsafe"
		nothing_outside
	done
}
t "gth-scan image of a hostile layout: 65, nothing outside" case_scan_image

finish
