#!/usr/bin/env bash
# gth-build push against Debian's docker-registry (open, htpasswd and token auth),
# checked with skopeo, and its failures with their exit statuses.
. "$(dirname "$0")/lib.sh.inc"
. "$GTH_SRC/tests/servers/registry.sh"

REG_OPEN=$T/reg-open
REG_HTP=$T/reg-htpasswd
REG_TOK=$T/reg-token
registry_start "$REG_OPEN" open || exit 1
OPEN=$REGISTRY_HOST
at_exit "registry_stop $REG_OPEN"
registry_start "$REG_HTP" htpasswd || exit 1
HTP=$REGISTRY_HOST
at_exit "registry_stop $REG_HTP"
REGISTRY_TOKEN_STINGY=0 registry_start "$REG_TOK" token || exit 1
TOK=$REGISTRY_HOST
TOK_LOG=$TOKEN_LOG
at_exit "registry_stop $REG_TOK"
unset REGISTRY_USER REGISTRY_PASSWORD GTH_REGISTRY_USER GTH_REGISTRY_PASSWORD
export DOCKER_CONFIG=$T/no-docker-config XDG_RUNTIME_DIR=$T/no-runtime
unset REGISTRY_AUTH_FILE
export SOURCE_DATE_EPOCH=1700000000

# make_image DIR [PLATFORM]: an OCI layout DIR tagged v1 with three layers.
make_image() {
	local dir=$1 plat=${2:-linux/amd64} w
	w=$(mktemp -d "$T/src.XXXXXX")
	mkdir -p "$w/a" "$w/b"
	echo "alpha $dir $plat" >"$w/a/one.txt"
	head -c 300000 /dev/urandom >"$w/b/blob.bin"
	echo "#!/bin/sh" >"$w/run.sh"
	chmod +x "$w/run.sh"
	gth-build assemble --base scratch --layer "$w/a:/a" --layer "$w/b:/b" \
		--layer "$w/run.sh:/usr/bin/" --platform "$plat" -o "oci:$dir:v1" -q
}

IMG=$T/image
make_image "$IMG" || exit 1
DIGEST=$(jq -r '.manifests[0].digest' "$IMG/index.json")

inspect_digest() { skopeo inspect --tls-verify=false "$@" | jq -r .Digest; }

case_push_open() {
	run gth-build push "oci:$IMG:v1" "$OPEN/acme/app:v1" --insecure "$OPEN" --json \
		--digest-file d.txt
	expect_rc 0
	expect_json ".status == \"success\" and .exit == 0"
	expect_json ".data.image.digest == \"$DIGEST\""
	expect_json ".data.image.name == \"$OPEN/acme/app\""
	expect_json ".data.image.refs == [\"$OPEN/acme/app:v1@$DIGEST\"]"
	expect_json '.data.image.tags == ["v1"]'
	expect_json '[.data.image.layers[].action] == ["uploaded","uploaded","uploaded"]'
	expect_json '.data.image.bytes_uploaded > 300000'
	check [ "$(cat d.txt)" = "$DIGEST" ]
	check [ "$(inspect_digest "docker://$OPEN/acme/app:v1")" = "$DIGEST" ]
	skopeo copy -q --src-tls-verify=false "docker://$OPEN/acme/app:v1" oci:copy:v1
	check [ "$(jq -r '.manifests[0].digest' copy/index.json)" = "$DIGEST" ]
	# re-push: everything exists, nothing is sent
	run gth-build push "oci:$IMG:v1" "docker://$OPEN/acme/app:v1" --insecure "$OPEN" --json
	expect_rc 0
	expect_json '[.data.image.layers[].action] == ["exists","exists","exists"]'
	expect_json '.data.image.bytes_uploaded == 0'
	expect_err_lacks $'\r'
}
t "push to an open registry; skopeo reads it back; a re-push sends nothing" case_push_open

case_mount() {
	run gth-build push "oci:$IMG:v1" "$OPEN/acme/first:v1" "$OPEN/acme/second:v2" \
		--insecure "$OPEN" -j 2 -v --json
	expect_rc 0
	expect_err_contains "mounted from acme/first"
	expect_json '(.data.image.refs | length) == 2'
	check [ "$(inspect_digest "docker://$OPEN/acme/second:v2")" = "$DIGEST" ]
	run gth-build push "oci:$IMG:v1" "$OPEN/acme/third:v1" --insecure "$OPEN" --no-mount -v
	expect_rc 0
	expect_err_lacks "mounted"
	# gth.yaml's build section: insecure hosts and jobs; GitHub Actions step output
	printf 'build:\n  insecure: ["%s"]\n  jobs: 1\n' "$OPEN" >gth.yaml
	: >gh-out
	GITHUB_ACTIONS=true GITHUB_OUTPUT=$PWD/gh-out run gth-build push "oci:$IMG:v1" \
		"$OPEN/acme/fourth:v1" --config gth.yaml
	expect_rc 0
	check grep -qx "digest=$DIGEST" gh-out
	printf 'build:\n  insecure: nope\n' >bad.yaml
	run gth-build push "oci:$IMG:v1" "$OPEN/acme/fourth:v1" --config bad.yaml
	expect_rc 78
	expect_err_contains "bad.yaml:2"
}
t "a second destination mounts the first one's blobs" case_mount

case_htpasswd() {
	run gth-build push "oci:$IMG:v1" "$HTP/acme/app:v1" --insecure "$HTP"
	expect_rc 77
	expect_err_contains "no credentials found"
	GTH_REGISTRY_USER=gth GTH_REGISTRY_PASSWORD=nope run gth-build push "oci:$IMG:v1" \
		"$HTP/acme/app:v1" --insecure "$HTP"
	expect_rc 77
	expect_err_contains "credentials refused"
	expect_err_lacks "nope"
	GTH_REGISTRY_USER=gth GTH_REGISTRY_PASSWORD=gth-secret run gth-build push \
		"oci:$IMG:v1" "$HTP/acme/app:v1" --insecure "$HTP" --json
	expect_rc 0
	check [ "$(inspect_digest --creds gth:gth-secret "docker://$HTP/acme/app:v1")" = "$DIGEST" ]
	# docker config.json auths
	mkdir -p dc
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$HTP" "$(printf gth:gth-secret | base64)" \
		>dc/config.json
	DOCKER_CONFIG=$PWD/dc run gth-build push "oci:$IMG:v1" "$HTP/acme/dc:v1" --insecure "$HTP" -v
	expect_rc 0
	expect_err_contains "from $PWD/dc/config.json"
	# a credential helper named by credHelpers
	mkdir -p bin
	cat >bin/docker-credential-gthtest <<-'EOF'
	#!/bin/sh
	read -r server
	echo "$server" >>"$(dirname "$0")/asked"
	printf '{"ServerURL":"%s","Username":"gth","Secret":"gth-secret"}\n' "$server"
	EOF
	chmod +x bin/docker-credential-gthtest
	printf '{"credHelpers":{"%s":"gthtest"}}' "$HTP" >dc/config.json
	PATH=$PWD/bin:$PATH DOCKER_CONFIG=$PWD/dc run gth-build push "oci:$IMG:v1" \
		"$HTP/acme/helper:v1" --insecure "$HTP" -v
	expect_rc 0
	expect_err_contains "from docker-credential-gthtest"
	check [ "$(cat bin/asked)" = "$HTP" ]
	# or by credsStore, for every host
	printf '{"credsStore":"gthtest"}' >dc/config.json
	PATH=$PWD/bin:$PATH DOCKER_CONFIG=$PWD/dc run gth-build push "oci:$IMG:v1" \
		"$HTP/acme/store:v1" --insecure "$HTP" -v
	expect_rc 0
	expect_err_contains "from docker-credential-gthtest"
	# a helper that fails is a permission error; one that is missing a configuration error
	printf '#!/bin/sh\necho boom >&2\nexit 1\n' >bin/docker-credential-broken
	chmod +x bin/docker-credential-broken
	printf '{"credsStore":"broken"}' >dc/config.json
	PATH=$PWD/bin:$PATH DOCKER_CONFIG=$PWD/dc run gth-build push "oci:$IMG:v1" \
		"$HTP/acme/store:v1" --insecure "$HTP"
	expect_rc 77
	printf '{"credsStore":"absent"}' >dc/config.json
	DOCKER_CONFIG=$PWD/dc run gth-build push "oci:$IMG:v1" "$HTP/acme/store:v1" --insecure "$HTP"
	expect_rc 78
	expect_err_contains "docker-credential-absent"
	# REGISTRY_AUTH_FILE comes before docker's config
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$HTP" "$(printf gth:wrong | base64)" \
		>auth.json
	REGISTRY_AUTH_FILE=$PWD/auth.json DOCKER_CONFIG=$PWD/dc PATH=$PWD/bin:$PATH \
		run gth-build push "oci:$IMG:v1" "$HTP/acme/helper:v1" --insecure "$HTP"
	expect_rc 77
	# a broken auth file is a configuration error
	echo '{' >auth.json
	REGISTRY_AUTH_FILE=$PWD/auth.json run gth-build push "oci:$IMG:v1" "$HTP/acme/x:v1" \
		--insecure "$HTP"
	expect_rc 78
}
t "htpasswd (bcrypt): env, config.json, credential helper, auth file" case_htpasswd

case_token() {
	: >"$TOK_LOG"
	run gth-build push "oci:$IMG:v1" "$TOK/acme/app:v1" --insecure "$TOK"
	expect_rc 77
	GTH_REGISTRY_USER=gth GTH_REGISTRY_PASSWORD=gth-secret run gth-build push "oci:$IMG:v1" \
		"$TOK/acme/app:v1" "$TOK/acme/copy:v1" --insecure "$TOK" --json
	expect_rc 0
	expect_json '[.data.image.layers[].action] == ["uploaded","uploaded","uploaded"]'
	check [ "$(inspect_digest --creds gth:gth-secret "docker://$TOK/acme/copy:v1")" = "$DIGEST" ]
	# the mount asked for pull on the source repository
	check grep -q '"repository:acme/copy:pull,push", "repository:acme/app:pull"' "$TOK_LOG"
	check grep -q '"user": "gth"' "$TOK_LOG"
}
t "token auth: anonymous refused, credentials work, mount scope" case_token

case_token_stingy() {
	local dir=$PWD/reg
	REGISTRY_TOKEN_STINGY=1 REGISTRY_TOKEN_FIELD=access_token registry_start "$dir" token
	at_exit "registry_stop $dir"
	GTH_REGISTRY_USER=gth GTH_REGISTRY_PASSWORD=gth-secret run gth-build push "oci:$IMG:v1" \
		"$REGISTRY_HOST/acme/app:v1" --insecure "$REGISTRY_HOST" -j 1
	expect_rc 0
	# the first token lacked push; insufficient_scope made a second request
	check [ "$(grep -c 'acme/app:pull,push' "$TOKEN_LOG")" -ge 2 ]
	check [ "$(inspect_digest --creds gth:gth-secret "docker://$REGISTRY_HOST/acme/app:v1")" = "$DIGEST" ]
}
t "token auth: insufficient_scope gets a new token; access_token is read" case_token_stingy

case_docker_archive() {
	skopeo copy -q "oci:$IMG:v1" docker-archive:save.tar:acme/app:v1
	run gth-build push docker-archive:save.tar "$OPEN/acme/archive:v1" --insecure "$OPEN" --json
	expect_rc 0
	local d
	d=$(jq -r .data.image.digest "$OUT")
	check [ "$(inspect_digest "docker://$OPEN/acme/archive:v1")" = "$d" ]
	skopeo copy -q --src-tls-verify=false "docker://$OPEN/acme/archive:v1" oci:back:v1
	run gth-build push docker-archive:save.tar:acme/app:v1 "$OPEN/acme/archive:v2" --insecure "$OPEN"
	expect_rc 0
	run gth-build push docker-archive:save.tar:acme/app:v9 "$OPEN/acme/archive:v3" --insecure "$OPEN"
	expect_rc 66
	# an archive that holds an OCI layout
	tar -C "$IMG" -cf layout.tar .
	run gth-build push docker-archive:layout.tar "$OPEN/acme/archive:v4" --insecure "$OPEN" --json
	expect_rc 0
	expect_json ".data.image.digest == \"$DIGEST\""
}
t "docker-save archives, old and OCI-holding" case_docker_archive

case_index() {
	make_image amd linux/amd64
	make_image arm linux/arm64
	python3 - <<-'EOF'
	import hashlib, json, os, shutil
	os.makedirs("multi/blobs/sha256")
	mans = []
	for d, arch in (("amd", "amd64"), ("arm", "arm64")):
	    for b in os.listdir(d + "/blobs/sha256"):
	        shutil.copy(d + "/blobs/sha256/" + b, "multi/blobs/sha256/" + b)
	    m = json.load(open(d + "/index.json"))["manifests"][0]
	    mans.append({"mediaType": m["mediaType"], "digest": m["digest"], "size": m["size"],
	                 "platform": {"os": "linux", "architecture": arch}})
	idx = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
	                  "manifests": mans}).encode()
	h = hashlib.sha256(idx).hexdigest()
	open("multi/blobs/sha256/" + h, "wb").write(idx)
	json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json",
	           "digest": "sha256:" + h, "size": len(idx),
	           "annotations": {"org.opencontainers.image.ref.name": "multi"}}]},
	          open("multi/index.json", "w"))
	open("multi/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
	print("sha256:" + h, file=open("want", "w"))
	EOF
	run gth-build push oci:multi:multi "$OPEN/acme/multi:v1" --insecure "$OPEN" --json
	expect_rc 0
	expect_json ".data.image.digest == \"$(cat want)\""
	expect_json '.data.image.platforms == ["linux/amd64","linux/arm64"]'
	check [ "$(skopeo inspect --tls-verify=false --raw "docker://$OPEN/acme/multi:v1" | sha256sum | cut -d' ' -f1)" = "$(cut -d: -f2 want)" ]
	check [ "$(skopeo inspect --tls-verify=false --override-arch arm64 "docker://$OPEN/acme/multi:v1" | jq -r .Architecture)" = arm64 ]
	# assemble on it picks the platform's manifest out of the index
	echo hi >extra.txt
	run gth-build assemble --base "$OPEN/acme/multi:v1" --insecure "$OPEN" --platform linux/arm64 \
		--layer extra.txt:/extra.txt -o oci:onarm --json
	expect_rc 0
	local armman
	armman=$(jq -r '.manifests[0].digest' arm/index.json)
	check [ "$(jq -r '.manifests[0].digest' onarm/index.json)" != "$armman" ]
	check [ "$(skopeo inspect --config oci:onarm | jq -r .architecture)" = arm64 ]
	check [ "$(skopeo inspect --raw oci:onarm | jq -r '.layers[0].digest')" = "$(jq -r '.layers[0].digest' "arm/blobs/sha256/${armman#sha256:}")" ]
	run gth-build assemble --base "$OPEN/acme/multi:v1" --insecure "$OPEN" --platform linux/s390x \
		--layer extra.txt -o oci:nope
	expect_rc 66
	expect_err_contains "no image for linux/s390x"
}
t "a multi-platform index: children first, then the index" case_index

case_faults_input() {
	cp -r "$IMG" bad
	# a blob whose bytes do not match its digest
	local layer
	layer=$(jq -r '.layers[1].digest' "bad/blobs/sha256/${DIGEST#sha256:}")
	chmod u+w "bad/blobs/sha256/${layer#sha256:}"
	head -c 1000 /dev/urandom >>"bad/blobs/sha256/${layer#sha256:}"
	run gth-build push oci:bad:v1 "$OPEN/acme/bad:v1" --insecure "$OPEN"
	expect_rc 65
	expect_err_contains "bytes, its descriptor says"
	# the same size, other bytes
	cp -r "$IMG" bad2
	layer=$(jq -r '.layers[0].digest' "bad2/blobs/sha256/${DIGEST#sha256:}")
	python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[-1]^=1; open(p,"wb").write(b)' \
		"bad2/blobs/sha256/${layer#sha256:}"
	run gth-build push oci:bad2:v1 "$OPEN/acme/bad:v2" --insecure "$OPEN"
	expect_rc 65
	expect_err_contains "does not match its digest"
	# a missing blob
	cp -r "$IMG" missing
	rm "missing/blobs/sha256/${layer#sha256:}"
	run gth-build push oci:missing:v1 "$OPEN/acme/bad:v3" --insecure "$OPEN"
	expect_rc 65
	expect_err_contains "is missing"
	# an index that is not JSON
	cp -r "$IMG" notjson
	echo '{"manifests": [' >notjson/index.json
	run gth-build push oci:notjson "$OPEN/acme/bad:v4" --insecure "$OPEN"
	expect_rc 65
	expect_err_contains "index.json"
	run gth-build push oci:nowhere "$OPEN/acme/bad:v5" --insecure "$OPEN"
	expect_rc 66
	run gth-build push "oci:$IMG:v2" "$OPEN/acme/bad:v6" --insecure "$OPEN"
	expect_rc 66
	run gth-build push "oci:$IMG:v1" "$OPEN/Acme/bad:v6" --insecure "$OPEN"
	expect_rc 65
	expect_err_contains "must be lowercase"
	run gth-build push "oci:$IMG:v1"
	expect_rc 64
	run gth-build push "oci:$IMG:v1" "$OPEN/acme/bad:v1" -j 0
	expect_rc 64
}
t "bad input: wrong digest, missing blob, index not JSON, bad reference" case_faults_input

case_unreachable() {
	local port
	port=$(free_port)
	GTH_HTTP_BUDGET=2s run gth-build push "oci:$IMG:v1" "127.0.0.1:$port/acme/app:v1" \
		--insecure "127.0.0.1:$port"
	expect_rc 69
	# TLS to a plain HTTP registry without --insecure
	GTH_HTTP_BUDGET=2s run gth-build push "oci:$IMG:v1" "$OPEN/acme/app:v1"
	expect_rc 69
}
t "an unreachable registry is 69" case_unreachable

case_patch_500() {
	cat >script.json <<-'EOF'
	{"routes": [
	 {"method": "GET", "path": "/v2/", "responses": [{"status": 200, "body": "{}"}]},
	 {"method": "HEAD", "path_re": "^/v2/acme/app/blobs/", "responses": [{"status": 404}]},
	 {"method": "POST", "path": "/v2/acme/app/blobs/uploads/",
	  "responses": [{"status": 202, "headers": {"Location": "/v2/acme/app/blobs/uploads/u1?_state=abc"}}]},
	 {"method": "PATCH", "path": "/v2/acme/app/blobs/uploads/u1",
	  "responses": [{"status": 500, "body": "boom"},
	                {"status": 202, "headers": {"Location": "/v2/acme/app/blobs/uploads/u1?_state=def"}}]},
	 {"method": "PUT", "path": "/v2/acme/app/blobs/uploads/u1", "responses": [{"status": 201}]},
	 {"method": "PUT", "path_re": "^/v2/acme/app/manifests/", "responses": [{"status": 201}]}
	]}
	EOF
	start_stub script.json
	run gth-build push "oci:$IMG:v1" "127.0.0.1:$STUB_PORT/acme/app:v1" \
		--insecure "127.0.0.1:$STUB_PORT" -j 1 -v
	expect_rc 0
	expect_err_contains "restarting"
	check [ "$(jq -r 'select(.method=="PATCH") | .query' "$STUB_LOG" | sort -u)" = "_state=abc" ]
	check [ "$(jq -s '[.[] | select(.method=="POST")] | length' "$STUB_LOG")" -eq 5 ]
	jq -r 'select(.method=="PUT" and (.path | test("uploads"))) | .query' "$STUB_LOG" >puts
	check grep -q '^_state=def&digest=sha256%3A' puts
	check [ "$(jq -r 'select(.method=="PATCH") | .headers["content-type"]' "$STUB_LOG" | sort -u)" = application/octet-stream ]
	check [ "$(jq -r 'select(.method=="PUT" and (.path | test("manifests"))) | .path' "$STUB_LOG")" = /v2/acme/app/manifests/v1 ]
}
t "500 on PATCH restarts the upload; Location's query is kept" case_patch_500

case_patch_always_500() {
	cat >script.json <<-'EOF'
	{"routes": [
	 {"method": "HEAD", "path_re": "^/v2/", "responses": [{"status": 404}]},
	 {"method": "POST", "path_re": "^/v2/acme/app/blobs/uploads/",
	  "responses": [{"status": 202, "headers": {"Location": "/v2/acme/app/blobs/uploads/u2"}}]},
	 {"method": "PATCH", "path_re": "^/v2/acme/app/blobs/uploads/", "responses": [{"status": 500}]}
	]}
	EOF
	start_stub script.json
	GTH_HTTP_BUDGET=5s run gth-build push "oci:$IMG:v1" "127.0.0.1:$STUB_PORT/acme/app:v1" \
		--insecure "127.0.0.1:$STUB_PORT" -j 1
	expect_rc 69
	expect_err_contains "failed 5 times"
}
t "an upload that keeps failing is 69" case_patch_always_500

case_registry_restart() {
	local dir=$PWD/reg
	registry_start "$dir" open
	at_exit "registry_stop $dir"
	# a layout with one 150 MB blob, big enough to be caught mid-upload on a fast machine
	python3 - <<-'PY'
	import hashlib, json, os
	os.makedirs("big/blobs/sha256")
	def put(b):
	    h = hashlib.sha256(b).hexdigest(); open("big/blobs/sha256/" + h, "wb").write(b); return "sha256:" + h
	layer = os.urandom(150 * 1024 * 1024)
	ld = put(layer)
	cfg = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [ld]}}).encode()
	man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
	    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(cfg), "size": len(cfg)},
	    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ld, "size": len(layer)}]}).encode()
	json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
	    "digest": put(man), "size": len(man), "annotations": {"org.opencontainers.image.ref.name": "v1"}}]},
	    open("big/index.json", "w"))
	PY
	(gth-build push oci:big:v1 "$REGISTRY_HOST/acme/big:v1" --insecure "$REGISTRY_HOST" -j 1 -v \
		>push.out 2>push.err; echo $? >push.rc) &
	local pid=$! n=200
	# stop the registry once an upload has begun, start it again a moment later
	while [ "$n" -gt 0 ] && ! find "$dir/data" -path '*_uploads*' -name data -size +1k 2>/dev/null | grep -q .; do
		sleep 0.05
		n=$((n - 1))
	done
	kill -9 "$(cat "$dir/registry.pid")"
	sleep 1
	registry_restart "$dir"
	wait "$pid"
	OUT=push.out ERR=push.err
	check [ "$(cat push.rc)" -eq 0 ] || cat push.err
	expect_err_contains "restarting"
	check [ "$(inspect_digest "docker://$REGISTRY_HOST/acme/big:v1")" = "$(jq -r '.manifests[0].digest' big/index.json)" ]
}
t "the registry stopped mid-upload and started again" case_registry_restart

case_progress_tty() {
	# on a terminal (script(1) gives one) a progress bar is drawn; in CI it is not
	TERM=xterm script -qefc "gth-build push oci:$IMG:v1 $OPEN/acme/tty:v1 --insecure $OPEN" \
		/dev/null >tty.out 2>&1 </dev/null
	check grep -q "pushing $OPEN/acme/tty \[##############################\]" tty.out
	check grep -q $'\r' tty.out
	CI=true TERM=xterm script -qefc "gth-build push oci:$IMG:v1 $OPEN/acme/tty2:v1 --insecure $OPEN" \
		/dev/null >ci.out 2>&1 </dev/null
	check grep -q "pushed $OPEN/acme/tty2:v1" ci.out
	! grep -q "pushing" ci.out || _fail "a progress bar in CI"
}
t "a progress bar only on a terminal" case_progress_tty

finish
