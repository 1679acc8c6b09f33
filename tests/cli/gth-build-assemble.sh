#!/usr/bin/env bash
# gth-build assemble: reproducible layers and configs, bases from a registry, a
# layout or scratch, unsafe base layers refused, and the man page's examples.
. "$(dirname "$0")/lib.sh.inc"
. "$GTH_SRC/tests/servers/registry.sh"

REG=$T/reg
registry_start "$REG" open || exit 1
R=$REGISTRY_HOST
at_exit "registry_stop $REG"
unset GITHUB_SHA GITHUB_REF GITHUB_REPOSITORY GITHUB_SERVER_URL GTH_REGISTRY_USER
export DOCKER_CONFIG=$T/no-docker-config XDG_RUNTIME_DIR=$T/no-runtime

make_app() {
	mkdir -p app/lib app/empty
	printf 'console.log("hi")\n' >app/server.js
	printf 'x\n' >app/lib/b.txt
	printf 'y\n' >app/lib/a.txt
	printf '#!/bin/sh\n' >app/run
	chmod 0700 app/run
	chmod 0600 app/lib/a.txt
	ln -s server.js app/main.js
}

manifest_of() { # LAYOUT [TAG] -> the manifest JSON
	local d
	d=$(jq -r '.manifests[-1].digest' "$1/index.json")
	cat "$1/blobs/sha256/${d#sha256:}"
}

config_of() {
	local d
	d=$(manifest_of "$1" | jq -r .config.digest)
	cat "$1/blobs/sha256/${d#sha256:}"
}

case_reproducible() {
	make_app
	SOURCE_DATE_EPOCH=1700000000 run gth-build assemble --base scratch --layer app:/app \
		--entrypoint '["node","/app/server.js"]' -o oci:one:v1 --json
	expect_rc 0
	local d1 d2 layer
	d1=$(jq -r .data.image.digest "$OUT")
	# other mtimes, owners and umask on disk change nothing
	touch -d '2001-01-01' app/server.js app/lib
	chmod 0664 app/lib/b.txt
	chmod 0750 app/run
	SOURCE_DATE_EPOCH=1700000000 run gth-build assemble --base scratch --layer app:/app \
		--entrypoint '["node","/app/server.js"]' -o oci:two:v1 --json
	expect_rc 0
	d2=$(jq -r .data.image.digest "$OUT")
	check [ "$d1" = "$d2" ]
	layer=$(manifest_of one | jq -r '.layers[0].digest')
	tar -tvzf "one/blobs/sha256/${layer#sha256:}" --numeric-owner --full-time >listing
	cat >want <<-'EOF'
	drwxr-xr-x 0/0 0 2023-11-14 22:13:20 app/
	drwxr-xr-x 0/0 0 2023-11-14 22:13:20 app/empty/
	drwxr-xr-x 0/0 0 2023-11-14 22:13:20 app/lib/
	-rw-r--r-- 0/0 2 2023-11-14 22:13:20 app/lib/a.txt
	-rw-r--r-- 0/0 2 2023-11-14 22:13:20 app/lib/b.txt
	lrwxrwxrwx 0/0 0 2023-11-14 22:13:20 app/main.js -> server.js
	-rwxr-xr-x 0/0 10 2023-11-14 22:13:20 app/run
	-rw-r--r-- 0/0 18 2023-11-14 22:13:20 app/server.js
	EOF
	TZ=UTC tar -tvzf "one/blobs/sha256/${layer#sha256:}" --numeric-owner --full-time |
		awk '{print $1, $2, $3, $4, $5, $6, $7, $8}' | sed 's/ *$//' >listing
	expect_file_eq listing want
	# gzip: no name, no timestamp, OS 255
	check [ "$(head -c 10 "one/blobs/sha256/${layer#sha256:}" | od -An -tx1 | tr -d ' \n')" = 1f8b08000000000000ff ]
	# without SOURCE_DATE_EPOCH every time is 0
	run gth-build assemble --base scratch --layer app/server.js -o oci:three --json
	expect_rc 0
	check [ "$(config_of three | jq -r .created)" = 1970-01-01T00:00:00Z ]
	TZ=UTC tar -tvzf three/blobs/sha256/$(manifest_of three | jq -r '.layers[0].digest' | cut -d: -f2) --full-time >l3
	check grep -q '1970-01-01 00:00:00 server.js' l3
	check [ "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' three/index.json)" = latest ]
}
t "the same inputs give the same digest; entries sorted and normalised" case_reproducible

case_config() {
	make_app
	GITHUB_SHA=0123456789abcdef0123456789abcdef01234567 GITHUB_REF=refs/tags/v1.4.2 \
		GITHUB_SERVER_URL=https://github.com GITHUB_REPOSITORY=acme/api \
		run gth-build assemble --base scratch --layer app:/srv --layer app/run:/usr/local/bin/ \
		--entrypoint 'node /srv/server.js' --cmd '["--port","8080"]' --env A=1 --env B=x=y \
		--env A=2 --workdir /srv --user 1000:1000 --expose 8080 --expose 9090/udp \
		--label team=web --annotation org.example.note=hi --platform linux/arm64/v8 \
		-o oci:img:v2 --json
	expect_rc 0
	expect_json '.data.image.platforms == ["linux/arm64/v8"]'
	expect_json '.data.image.tags == ["v2"]'
	expect_json '[.data.image.layers[].action] == ["built","built"]'
	skopeo inspect --config oci:img:v2 >cfg.json
	check [ "$(jq -c .config.Entrypoint cfg.json)" = '["node","/srv/server.js"]' ]
	check [ "$(jq -c .config.Cmd cfg.json)" = '["--port","8080"]' ]
	check [ "$(jq -c .config.Env cfg.json)" = '["B=x=y","A=2"]' ]
	check [ "$(jq -r .config.WorkingDir cfg.json)" = /srv ]
	check [ "$(jq -r .config.User cfg.json)" = 1000:1000 ]
	check [ "$(jq -c '.config.ExposedPorts | keys' cfg.json)" = '["8080/tcp","9090/udp"]' ]
	check [ "$(jq -r .config.Labels.team cfg.json)" = web ]
	check [ "$(jq -r '.config.Labels["org.opencontainers.image.version"]' cfg.json)" = 1.4.2 ]
	check [ "$(jq -r .architecture cfg.json)/$(jq -r .variant cfg.json)" = arm64/v8 ]
	check [ "$(jq -r '.rootfs.diff_ids | length' cfg.json)" = 2 ]
	manifest_of img >man.json
	check [ "$(jq -r '.annotations["org.opencontainers.image.revision"]' man.json)" = 0123456789abcdef0123456789abcdef01234567 ]
	check [ "$(jq -r '.annotations["org.opencontainers.image.source"]' man.json)" = https://github.com/acme/api ]
	check [ "$(jq -r '.annotations["org.opencontainers.image.version"]' man.json)" = 1.4.2 ]
	check [ "$(jq -r '.annotations["org.example.note"]' man.json)" = hi ]
	# a layer's file lands at DEST/ + its name
	layer=$(jq -r '.layers[1].digest' man.json)
	check [ "$(tar -tzf "img/blobs/sha256/${layer#sha256:}" | tr '\n' ' ')" = "usr/ usr/local/ usr/local/bin/ usr/local/bin/run " ]
}
t "config, labels and annotations from flags and the GitHub environment" case_config

case_registry_base() {
	make_app
	SOURCE_DATE_EPOCH=1 gth-build assemble --base scratch --layer app/lib:/lib --env PATH=/bin \
		--cmd sh --push "$R/base/os:1" --insecure "$R" -q
	run gth-build assemble --base "$R/base/os:1" --insecure "$R" --layer app:/app \
		--entrypoint '["node","/app/server.js"]' --push "$R/acme/app:v1" -o oci:out:v1 --json \
		--digest-file digest.txt
	expect_rc 0
	expect_json '[.data.image.layers[].action] == ["mounted","uploaded"]'
	expect_json ".data.image.refs[0] | startswith(\"$R/acme/app:v1@sha256:\")"
	local d
	d=$(jq -r .data.image.digest "$OUT")
	check [ "$(cat digest.txt)" = "$d" ]
	check [ "$(skopeo inspect --tls-verify=false "docker://$R/acme/app:v1" | jq -r .Digest)" = "$d" ]
	skopeo inspect --tls-verify=false --config "docker://$R/acme/app:v1" >cfg.json
	# the base's env is kept; a new entrypoint clears the base's command
	check [ "$(jq -c .config.Env cfg.json)" = '["PATH=/bin"]' ]
	check [ "$(jq -c .config.Cmd cfg.json)" = null ]
	manifest_of out >man.json
	check [ "$(jq -r '.annotations["org.opencontainers.image.base.name"]' man.json)" = "$R/base/os" ]
	# skopeo copies it
	skopeo copy -q --src-tls-verify=false "docker://$R/acme/app:v1" oci:copied:v1
	# a base from a layout, pushed to the registry with nothing to mount
	run gth-build assemble --base oci:out:v1 --layer app/run:/bin/run --push "$R/acme/app2:v1" \
		--insecure "$R" --json
	expect_rc 0
	expect_json '[.data.image.layers[].action] == ["uploaded","uploaded","uploaded"]'
	expect_json '.data.image.oci == null'
	# an unknown base is 66
	run gth-build assemble --base "$R/base/none:1" --insecure "$R" --layer app:/app -o oci:x
	expect_rc 66
}
t "a base from the registry is mounted; a base from a layout" case_registry_base

# unsafe_base DIR KIND: an OCI layout whose only layer is unsafe in the given way.
unsafe_base() {
	python3 - "$1" "$2" <<-'EOF'
	import hashlib, io, json, os, sys, tarfile
	out, kind = sys.argv[1], sys.argv[2]
	os.makedirs(out + "/blobs/sha256")
	buf = io.BytesIO()
	with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
	    def add(name, data=b"x", typ=tarfile.REGTYPE, link=""):
	        ti = tarfile.TarInfo(name); ti.type = typ; ti.linkname = link
	        ti.size = len(data) if typ == tarfile.REGTYPE else 0
	        t.addfile(ti, io.BytesIO(data) if typ == tarfile.REGTYPE else None)
	    if kind == "dotdot": add("etc/../../escape")
	    elif kind == "absolute": add("/etc/passwd")
	    elif kind == "symlink":
	        add("etc/link", typ=tarfile.SYMTYPE, link="../../../../tmp")
	    elif kind == "through":
	        add("etc", typ=tarfile.SYMTYPE, link="/tmp"); add("etc/pwned")
	    else: add("etc/ok")
	layer = buf.getvalue()
	def put(b):
	    h = hashlib.sha256(b).hexdigest(); open(out + "/blobs/sha256/" + h, "wb").write(b); return "sha256:" + h
	ld = put(layer)
	cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
	                  "rootfs": {"type": "layers", "diff_ids": [ld]}}).encode()
	cd = put(cfg)
	man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
	                  "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": len(cfg)},
	                  "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ld, "size": len(layer)}]}).encode()
	md = put(man)
	json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
	           "digest": md, "size": len(man)}]}, open(out + "/index.json", "w"))
	open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
	EOF
}

case_unsafe_base() {
	make_app
	local k
	for k in dotdot absolute symlink through; do
		unsafe_base "base-$k" "$k"
		run gth-build assemble --base "oci:base-$k" --layer app:/app -o "oci:out-$k"
		expect_rc 65
		expect_err_contains "unsafe"
	done
	unsafe_base base-ok ok
	run gth-build assemble --base oci:base-ok --layer app:/app -o oci:out-ok --json
	expect_rc 0
	expect_json '[.data.image.layers[].action] == ["base","built"]'
	# an index.json that is not JSON
	mkdir -p broken
	echo 'nope' >broken/index.json
	run gth-build assemble --base oci:broken --layer app:/app -o oci:x
	expect_rc 65
}
t "a base layer with '..', an absolute path or an escaping symlink is refused" case_unsafe_base

case_usage() {
	make_app
	run gth-build assemble --layer app:/app -o oci:x
	expect_rc 64
	run gth-build assemble --base scratch --layer app:/app
	expect_rc 64
	run gth-build assemble --base scratch --layer app:/app -o dir:x
	expect_rc 64
	run gth-build assemble --base scratch --layer nothere:/x -o oci:x
	expect_rc 66
	run gth-build assemble --base scratch --layer app:/app --expose 99999 -o oci:x
	expect_rc 64
	run gth-build assemble --base scratch --layer app:/app --env NOEQUALS -o oci:x
	expect_rc 64
	SOURCE_DATE_EPOCH=yesterday run gth-build assemble --base scratch --layer app:/app -o oci:x
	expect_rc 78
	run gth-build assemble --base 'Bad Ref' --layer app:/app -o oci:x
	expect_rc 65
	run gth-build assemble --help
	expect_rc 0
	expect_out_contains "usage: gth-build assemble"
}
t "usage errors" case_usage

case_man_examples() {
	make_app
	# run the EXAMPLES section of the man page, with the test registry's address
	awk '/^\.Sh EXAMPLES/{f=1;next} /^\.Sh/{f=0} f&&/^\.Bd/{b=1;next} f&&/^\.Ed/{b=0;next} b' \
		"$GTH_SRC/man/gth-build.1" | sed 's/\\e$/\\/; s/\\e/\\/g' |
		sed "s/127\.0\.0\.1:5000/$R/g" >examples.sh
	check [ "$(grep -c gth-build examples.sh)" -ge 4 ]
	git init -q -b main repo-for-tags
	(cd repo-for-tags && git -c user.name=t -c user.email=t@t commit -q --allow-empty -m one)
	cp examples.sh repo-for-tags/
	mv app repo-for-tags/
	cd repo-for-tags
	run bash -e examples.sh
	expect_rc 0
	check [ "$(cat digest.txt)" = "$(cat one.txt)" ]
	expect_out_contains "$R/acme/app:main"
	expect_out_contains "$R/acme/app:latest"
	check [ "$(skopeo inspect --tls-verify=false "docker://$R/acme/app:v1" | jq -r .Digest)" = "$(cat digest.txt)" ]
}
t "the man page's examples run" case_man_examples

case_redirect_auth() {
	# a registry (stub A) that asks for Basic auth and redirects a layer download to
	# storage on another port (stub B): B must never see the credentials
	make_app
	python3 - <<-'PY'
	import hashlib, io, json, tarfile
	buf = io.BytesIO()
	with tarfile.open(fileobj=buf, mode="w") as t:
	    ti = tarfile.TarInfo("etc/hello"); data = b"hi\n"; ti.size = len(data)
	    t.addfile(ti, io.BytesIO(data))
	raw = buf.getvalue()
	layer = raw  # uncompressed: plain ASCII, so the stub can serve it as text
	sha = lambda b: "sha256:" + hashlib.sha256(b).hexdigest()
	cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Env": ["FROM_BASE=1"]},
	                  "rootfs": {"type": "layers", "diff_ids": [sha(raw)]}}).encode()
	man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
	                  "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": sha(cfg), "size": len(cfg)},
	                  "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar", "digest": sha(layer), "size": len(layer)}]})
	open("layer.b64", "w").write(__import__("base64").b64encode(layer).decode())
	json.dump({"man": man, "cfg": cfg.decode(), "cfg_digest": sha(cfg), "layer_digest": sha(layer)}, open("parts.json", "w"))
	PY
	python3 - <<-'PY'
	import json
	p = json.load(open("parts.json"))
	json.dump({"routes": [{"method": "GET", "path": "/storage/layer",
	    "responses": [{"status": 200, "body": __import__("base64").b64decode(open("layer.b64").read()).decode("ascii")}]}]},
	    open("b.json", "w"))
	PY
	start_stub b.json
	local b_log=$STUB_LOG b_port=$STUB_PORT
	python3 - "$b_port" <<-'PY'
	import json, sys
	p = json.load(open("parts.json"))
	chal = {"status": 401, "headers": {"WWW-Authenticate": 'Basic realm="stub"'}, "body": "{}"}
	json.dump({"routes": [
	  {"method": "GET", "path": "/v2/base/img/manifests/1", "responses": [chal,
	    {"status": 200, "headers": {"Content-Type": "application/vnd.docker.distribution.manifest.v2+json"}, "body": p["man"]}]},
	  {"method": "GET", "path": "/v2/base/img/blobs/" + p["cfg_digest"], "responses": [{"status": 200, "body": p["cfg"]}]},
	  {"method": "GET", "path": "/v2/base/img/blobs/" + p["layer_digest"],
	   "responses": [{"status": 307, "headers": {"Location": "http://127.0.0.1:%s/storage/layer" % sys.argv[1]}}]}]},
	  open("a.json", "w"))
	PY
	start_stub a.json
	GTH_REGISTRY_USER=gth GTH_REGISTRY_PASSWORD=sekrit-pw run gth-build assemble \
		--base "127.0.0.1:$STUB_PORT/base/img:1" --insecure "127.0.0.1:$STUB_PORT" \
		--insecure "127.0.0.1:$b_port" --layer app:/app -o oci:out --json
	expect_rc 0
	expect_json '[.data.image.layers[].action] == ["base","built"]'
	check [ "$(config_of out | jq -c .config.Env)" = '["FROM_BASE=1"]' ]
	check [ "$(manifest_of out | jq -r '.layers[0].mediaType')" = application/vnd.oci.image.layer.v1.tar ]
	# A got the credentials after its challenge; B, on another port, never did
	check [ "$(jq -r 'select(.path | test("blobs")) | .headers.authorization' "$STUB_LOG" | sort -u)" = "Basic $(printf gth:sekrit-pw | base64)" ]
	check [ "$(jq -r '.headers.authorization // "none"' "$b_log" | sort -u)" = none ]
	check [ "$(jq -s length "$b_log")" -eq 1 ]
}
t "Authorization never follows a redirect to another host" case_redirect_auth

finish
