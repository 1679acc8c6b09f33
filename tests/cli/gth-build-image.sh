#!/usr/bin/env bash
# gth-build image: no container engine runs here, so stand-in docker, podman and
# buildah programs on PATH record their arguments (one line each, NUL-free) and
# write the digest a real builder would; the tests check the exact command lines.
. "$(dirname "$0")/lib.sh.inc"
unset GITHUB_REPOSITORY GITHUB_SERVER_URL GITHUB_EVENT_PATH GTH_DEFAULT_BRANCH
export GITHUB_SHA=0123456789abcdef0123456789abcdef01234567 GITHUB_REF=refs/heads/main
export SOURCE_DATE_EPOCH=1700000000
DIG=sha256:1111111111111111111111111111111111111111111111111111111111111111

# stand_in NAME: a fake builder in ./bin that logs "NAME ARGS..." to ./calls and
# writes $DIG where --metadata-file or --digestfile asks.
stand_in() {
	mkdir -p bin
	cat >"bin/$1" <<-EOF
	#!/bin/bash
	printf '%s' "\$(basename "\$0")" >>"$PWD/calls"
	for a in "\$@"; do printf ' %s' "\$a" >>"$PWD/calls"; done
	echo >>"$PWD/calls"
	prev=
	for a in "\$@"; do
		case \$prev in
		--metadata-file) printf '{"containerimage.digest": "$DIG"}' >"\$a" ;;
		--digestfile) printf '$DIG' >"\$a" ;;
		esac
		prev=\$a
	done
	[ -n "\${STAND_IN_FAIL:-}" ] && { echo "build failed" >&2; exit 3; }
	echo "building..."
	exit 0
	EOF
	chmod +x "bin/$1"
}

L="--label org.opencontainers.image.created=2023-11-14T22:13:20Z --label org.opencontainers.image.revision=$GITHUB_SHA"

case_docker() {
	stand_in docker
	PATH=$PWD/bin:$GTH_BIN:/usr/bin:/bin run gth-build image --image ghcr.io/acme/api -f Dockerfile.prod \
		--context app --platform linux/amd64,linux/arm64 --build-arg V=1 --label team=web --push \
		--json --digest-file d.txt
	expect_rc 0
	# auto asked "docker buildx version" first
	check [ "$(sed -n 1p calls)" = "docker buildx version" ]
	local mf
	mf=$(sed -n 2p calls | grep -o -- '--metadata-file [^ ]*' | cut -d' ' -f2)
	check [ "$(sed -n 2p calls)" = "docker buildx build --file Dockerfile.prod --platform linux/amd64,linux/arm64 --tag ghcr.io/acme/api:main --tag ghcr.io/acme/api:sha-0123456 --tag ghcr.io/acme/api:latest $L --label team=web --build-arg V=1 --push --metadata-file $mf app" ]
	expect_json ".data.image.digest == \"$DIG\""
	expect_json '.data.image.builder == "docker"'
	expect_json '.data.image.tags == ["main","sha-0123456","latest"]'
	expect_json ".data.image.refs[0] == \"ghcr.io/acme/api:main@$DIG\""
	expect_json '.data.image.platforms == ["linux/amd64","linux/arm64"]'
	check [ "$(cat d.txt)" = "$DIG" ]
	expect_err_contains "building..."
	expect_out_lacks "building..."
}
t "docker buildx: tags, labels, build args, push, metadata digest" case_docker

case_podman() {
	stand_in podman
	PATH=$PWD/bin:$GTH_BIN:/usr/bin:/bin run gth-build image --image 127.0.0.1:5000/acme/api --tag v1 \
		--tag v1.0 --push --insecure 127.0.0.1:5000 --json
	expect_rc 0
	cat >want <<-EOF
	podman build --tag 127.0.0.1:5000/acme/api:v1 --tag 127.0.0.1:5000/acme/api:v1.0 $L .
	EOF
	local df
	df=$(sed -n 2p calls | grep -o -- '--digestfile [^ ]*' | cut -d' ' -f2)
	cat >>want <<-EOF
	podman push --tls-verify=false --digestfile $df 127.0.0.1:5000/acme/api:v1
	podman push --tls-verify=false 127.0.0.1:5000/acme/api:v1.0
	EOF
	expect_file_eq calls want
	expect_json ".data.image.digest == \"$DIG\""
	expect_json '.data.image.builder == "podman"'
}
t "podman when docker is absent: build, then push each tag" case_podman

case_buildah_multi() {
	stand_in buildah
	PATH=$PWD/bin:$GTH_BIN:/usr/bin:/bin run gth-build image --builder buildah --image ghcr.io/acme/api \
		--tag v2 --platform linux/amd64,linux/arm64 --push
	expect_rc 0
	check [ "$(sed -n 1p calls)" = "buildah build --platform linux/amd64,linux/arm64 --manifest ghcr.io/acme/api:v2 $L ." ]
	check grep -q '^buildah manifest push --all --digestfile [^ ]* ghcr.io/acme/api:v2 docker://ghcr.io/acme/api:v2$' calls
}
t "buildah with several platforms: a manifest list pushed with --all" case_buildah_multi

case_no_push() {
	stand_in docker
	PATH=$PWD/bin:$GTH_BIN:/usr/bin:/bin run gth-build image --builder docker --image acme/api --tag dev --json
	expect_rc 0
	check grep -q -- '--load --metadata-file' calls
	expect_json '.data.image.digest == null'
	expect_json '.data.image.refs == []'
}
t "without --push docker loads the image and there is no digest" case_no_push

case_failures() {
	stand_in docker
	STAND_IN_FAIL=1 PATH=$PWD/bin:$GTH_BIN:/usr/bin:/bin run gth-build image --builder docker \
		--image acme/api --tag x --json
	expect_rc 1
	expect_err_contains "build failed"
	expect_json '.status == "failure" and .exit == 1'
	mkdir -p empty
	PATH=$PWD/empty run "$GTH_BIN/gth-build" image --image acme/api --tag x
	expect_rc 69
	expect_err_contains "no builder found"
	PATH=$PWD/empty run "$GTH_BIN/gth-build" image --builder podman --image acme/api --tag x
	expect_rc 69
	PATH=$PWD/bin:$GTH_BIN:/usr/bin:/bin run gth-build image --builder kaniko --image acme/api --tag x
	expect_rc 64
	PATH=$PWD/bin:$GTH_BIN:/usr/bin:/bin run gth-build image --tag x
	expect_rc 64
	PATH=$PWD/bin:$GTH_BIN:/usr/bin:/bin run gth-build image --image acme/api:v1 --tag x
	expect_rc 64
	PATH=$PWD/bin:$GTH_BIN:/usr/bin:/bin run gth-build image --image acme/api --tag 'bad tag'
	expect_rc 65
}
t "a failing builder is 1; no builder 69; usage errors" case_failures

finish
