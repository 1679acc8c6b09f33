#!/usr/bin/env bash
# Faults in the pushes: gth-build push to a real registry and gth-bump's git push
# to git daemon, each behind tests/servers/faultproxy.py. A failing or interrupted
# push ends with its documented status and leaves the remote as it was (the tag's
# manifest, the branch).
. "$(dirname "$0")/lib.sh.inc"
export GTH_HTTP_BUDGET=4s
. "$(dirname "$0")/faults.sh.inc"
. "$GTH_SRC/tests/servers/registry.sh"
. "$GTH_SRC/tests/servers/git.sh"
git_identity
unset REGISTRY_USER REGISTRY_PASSWORD GTH_REGISTRY_USER GTH_REGISTRY_PASSWORD REGISTRY_AUTH_FILE
export DOCKER_CONFIG=$T/no-docker-config XDG_RUNTIME_DIR=$T/no-runtime
export SOURCE_DATE_EPOCH=1700000000

REG=$T/reg
registry_start "$REG" open || exit 1
at_exit "registry_stop $REG"
REG_PORT=${REGISTRY_HOST##*:}

# image DIR TEXT: a one-layer OCI layout DIR tagged v1.
image() {
	local w
	w=$(mktemp -d "$T/src.XXXXXX")
	echo "$2" >"$w/one.txt"
	head -c 200000 /dev/urandom >"$w/blob.bin"
	gth-build assemble --base scratch --layer "$w:/data" -o "oci:$1:v1" -q
}
# tag_digest REPO TAG: the digest the registry holds for REPO:TAG (empty if none).
tag_digest() {
	curl -fsI -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
		"http://$REGISTRY_HOST/v2/$1/manifests/$2" 2>/dev/null |
		tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}

image "$T/old" old || exit 1
image "$T/new" new || exit 1
OLD=$(jq -r '.manifests[0].digest' "$T/old/index.json")
NEW=$(jq -r '.manifests[0].digest' "$T/new/index.json")
gth-build push "oci:$T/old:v1" "$REGISTRY_HOST/acme/app:v1" --insecure "$REGISTRY_HOST" -q || exit 1

case_push_5xx() {
	check [ "$(tag_digest acme/app v1)" = "$OLD" ]
	# the manifest PUT fails every time: 69, the tag still names the old image
	cat >r.json <<'R'
{"rules": [{"method": "PUT", "path_re": "/manifests/", "count": 0, "action": "status", "status": 500,
            "body": "{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"boom\"}]}"}]}
R
	start_faultproxy "$REG_PORT" r.json
	run gth-build push "oci:$T/new:v1" "127.0.0.1:$FP_PORT/acme/app:v1" --insecure "127.0.0.1:$FP_PORT"
	expect_rc 69
	expect_err_contains "gth-build: error:"
	check [ "$(tag_digest acme/app v1)" = "$OLD" ]
	# (the blobs went up before the manifest failed) the manifest PUT's connection
	# dropped every time: 69, nothing changed
	cat >r2.json <<'R'
{"rules": [{"method": "PUT", "path_re": "/manifests/", "count": 0, "action": "drop"}]}
R
	start_faultproxy "$REG_PORT" r2.json
	run gth-build push "oci:$T/new:v1" "127.0.0.1:$FP_PORT/acme/app:v1" --insecure "127.0.0.1:$FP_PORT"
	expect_rc 69
	check [ "$(tag_digest acme/app v1)" = "$OLD" ]
	# a fresh image: its blob uploads dropped every time: 69
	image "$PWD/fresh" fresh
	cat >r4.json <<'R'
{"rules": [{"method": "PATCH", "count": 0, "action": "drop"},
           {"method": "PUT", "path_re": "/blobs/uploads/", "count": 0, "action": "drop"}]}
R
	start_faultproxy "$REG_PORT" r4.json
	run gth-build push "oci:$PWD/fresh:v1" "127.0.0.1:$FP_PORT/acme/app:v1" --insecure "127.0.0.1:$FP_PORT"
	expect_rc 69
	check grep -q PATCH "$FP_LOG"
	check [ "$(tag_digest acme/app v1)" = "$OLD" ]
	# one 503 on the manifest and one 429 on a blob HEAD: retried, pushed
	cat >r3.json <<'R'
{"rules": [{"method": "PUT", "path_re": "/manifests/", "count": 1, "action": "status", "status": 503},
           {"method": "HEAD", "path_re": "/blobs/", "count": 1, "action": "status", "status": 429,
            "headers": {"Retry-After": "1"}}]}
R
	start_faultproxy "$REG_PORT" r3.json
	run gth-build push "oci:$T/new:v1" "127.0.0.1:$FP_PORT/acme/app:v2" --insecure "127.0.0.1:$FP_PORT"
	expect_rc 0
	check [ "$(tag_digest acme/app v2)" = "$NEW" ]
	check [ "$(grep -c '"status"' "$FP_LOG")" = 2 ]
}
t "gth-build push through 5xx, drops and 429: the tag moves only on success" case_push_5xx

sig_during_push() {
	cat >r.json <<'R'
{"rules": [{"method": "PUT", "path_re": "/manifests/", "count": 0, "action": "delay", "seconds": 30}]}
R
	start_faultproxy "$REG_PORT" r.json
	spawn gth-build push "oci:$T/new:v1" "127.0.0.1:$FP_PORT/acme/app:v1" --insecure "127.0.0.1:$FP_PORT" \
		>out 2>err &
	local pid=$!
	fp_wait_for manifests
	interrupt "$1" "$pid"
	check [ "$(tag_digest acme/app v1)" = "$OLD" ]
}
case_push_sigint() { sig_during_push INT; }
case_push_sigterm() { sig_during_push TERM; }
t "SIGINT in the middle of a push: the registry's tag unchanged" case_push_sigint
t "SIGTERM in the middle of a push: the registry's tag unchanged" case_push_sigterm

# A bare repository with one app, served by git daemon; GIT_PORT set.
bump_repo() {
	mkdir -p seed/apps srv
	cat >seed/apps/app.yaml <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  template:
    spec:
      containers:
        - name: app
          image: ghcr.io/acme/app:v1
YAML
	git_bare "$PWD/srv/gitops.git" seed
	git_daemon_start "$PWD/srv"
	GIT_PORT=${GIT_DAEMON_URL##*:}
	BEFORE=$(git --git-dir=srv/gitops.git rev-parse main)
}

case_bump_push_faults() {
	umask 022
	bump_repo
	# every receive-pack connection dropped: the push fails, main unchanged
	cat >r.json <<'R'
{"rules": [{"data_re": "git-receive-pack", "count": 0, "action": "drop"}]}
R
	start_faultproxy "$GIT_PORT" r.json --tcp
	run gth-bump --image ghcr.io/acme/app:v2 --repo "git://127.0.0.1:$FP_PORT/gitops.git"
	expect_rc 69
	expect_err_contains "gth-bump: error:"
	check [ "$(git --git-dir=srv/gitops.git rev-parse main)" = "$BEFORE" ]
	# the server's answer to the push cut short: main unchanged or the bump whole
	cat >r2.json <<'R'
{"rules": [{"data_re": "git-receive-pack", "count": 0, "action": "truncate", "bytes": 40}]}
R
	start_faultproxy "$GIT_PORT" r2.json --tcp
	run gth-bump --image ghcr.io/acme/app:v3 --repo "git://127.0.0.1:$FP_PORT/gitops.git"
	expect_rc 69
	check [ "$(git --git-dir=srv/gitops.git rev-parse main)" = "$BEFORE" ]
	# one dropped push, then through: retried, pushed
	cat >r3.json <<'R'
{"rules": [{"data_re": "git-receive-pack", "count": 1, "action": "drop"}]}
R
	start_faultproxy "$GIT_PORT" r3.json --tcp
	run gth-bump --image ghcr.io/acme/app:v4 --repo "git://127.0.0.1:$FP_PORT/gitops.git"
	expect_rc 0
	check grep -q 'app:v4' <(git_show srv/gitops.git main:apps/app.yaml)
	# the server takes the push, its report is lost every time: a fetch shows the
	# branch at the bump, so 0 and exactly one commit
	local n
	n=$(git_count srv/gitops.git)
	cat >r4.json <<'R'
{"rules": [{"data_re": "git-receive-pack", "count": 0, "action": "lose_reply"}]}
R
	start_faultproxy "$GIT_PORT" r4.json --tcp
	run gth-bump --image ghcr.io/acme/app:v6 --repo "git://127.0.0.1:$FP_PORT/gitops.git" --json
	expect_rc 0
	expect_json '.data.pushed == true'
	check grep -q lose_reply "$FP_LOG"
	check [ "$(git_count srv/gitops.git)" = $((n + 1)) ]
	check grep -q 'app:v6' <(git_show srv/gitops.git main:apps/app.yaml)
	# the cache these bumps used is private
	expect_cache_modes
}
t "gth-bump's git push dropped or cut: 69 and the branch unchanged; one drop is retried; a lost report is 0" case_bump_push_faults

sig_during_bump() {
	bump_repo
	cat >r.json <<'R'
{"rules": [{"data_re": "git-receive-pack", "count": 0, "action": "delay", "seconds": 30}]}
R
	start_faultproxy "$GIT_PORT" r.json --tcp
	spawn gth-bump --image ghcr.io/acme/app:v2 --repo "git://127.0.0.1:$FP_PORT/gitops.git" >out 2>err &
	local pid=$!
	fp_wait_for receive-pack
	interrupt "$1" "$pid"
	check [ "$(git --git-dir=srv/gitops.git rev-parse main)" = "$BEFORE" ]
	# the cache still works: the next bump goes through
	run gth-bump --image ghcr.io/acme/app:v5 --repo "$GIT_DAEMON_URL/gitops.git"
	expect_rc 0
}
case_bump_sigint() { sig_during_bump INT; }
case_bump_sigterm() { sig_during_bump TERM; }
t "SIGINT in the middle of a bump's push: the branch unchanged, the cache usable" case_bump_sigint
t "SIGTERM in the middle of a bump's push: the branch unchanged, the cache usable" case_bump_sigterm

finish
