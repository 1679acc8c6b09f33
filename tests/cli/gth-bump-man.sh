#!/usr/bin/env bash
# The EXAMPLES of man/gth-bump.1 run as written, against local repositories put
# where they say (/srv/... inside the sandbox).
. "$(dirname "$0")/lib.sh.inc"
. "$GTH_SRC/tests/servers/git.sh"
git_identity

# The "$ " command lines of the EXAMPLES section, continuation lines joined.
examples() {
	awk '/^\.Sh EXAMPLES/ { f = 1; next } /^\.Sh / { f = 0 }
		!f { next }
		cont { line = line " " $0 } /^\$ / && !cont { line = substr($0, 3) }
		(cont || /^\$ /) { cont = sub(/ *\\e$/, "", line); if (!cont) print line }' \
		"$GTH_SRC/man/gth-bump.1"
}

case_examples() {
	S=$PWD
	mkdir -p seed/apps/api srv/git
	cat >seed/apps/api/deployment.yaml <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.1  # bumped by CI
YAML
	git_bare "$S/srv/git/gitops.git" seed
	git clone -q "$S/srv/git/gitops.git" srv/checkout
	cat >build.json <<'JSON'
{"schema":"gth.event/v1","tool":"gth-build","status":"success","exit":0,"app":"api",
 "data":{"image":{"name":"ghcr.io/acme/api","tags":["1.4.3","latest"]}}}
JSON
	examples >cmds
	check [ "$(wc -l <cmds)" = 3 ]
	n=0
	while IFS= read -r cmd; do
		n=$((n + 1))
		cmd=${cmd//\/srv\//$S/srv/}
		rc=0
		bash -c "$cmd" >"out$n" 2>"err$n" || rc=$?
		[ "$rc" = 0 ] || { cat "err$n"; _fail "example $n exited $rc: $cmd"; }
	done <cmds
	check grep -q 'ghcr.io/acme/api:1.4.2  # bumped by CI' <(git_show srv/git/gitops.git main:apps/api/deployment.yaml)
	check grep -qx '+          image: ghcr.io/acme/api:1.4.3  # bumped by CI' out2
	check [ "$(git_count srv/git/gitops.git)" = 2 ]
	check grep -q '^          image: ghcr.io/acme/api:1.4.3@sha256:9b2a' srv/checkout/apps/api/deployment.yaml
	check [ "$(git -C srv/checkout log -1 --format=%s)" = "deploy api 1.4.1 -> 1.4.3" ]
}
t "the man page's examples run" case_examples

finish
