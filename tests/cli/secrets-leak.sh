#!/usr/bin/env bash
# Secrets never leak: every tool runs with known secret values in every credential
# variable and file it reads (GITHUB_TOKEN, GTH_GIT_TOKEN, SLACK_WEBHOOK_URL,
# SLACK_BOT_TOKEN, GTH_REGISTRY_PASSWORD, docker config.json auths, kubeconfig
# tokens, a webhook's signing secret), in Actions mode with GITHUB_OUTPUT and
# GITHUB_STEP_SUMMARY, in normal and failure paths, with -v. No stdout, stderr,
# event, output file or file written may hold a secret (nor its base64 forms);
# only an "::add-mask::" line may name one.
# Also: TLS verification is on by default (a self-signed server is refused with 69
# unless GTH_CA_FILE names its CA), and Authorization is not forwarded when a
# redirect leads to another host.
. "$(dirname "$0")/lib.sh.inc"
export GTH_HTTP_BUDGET=4s
. "$GTH_SRC/tests/servers/canary.sh.inc"
. "$GTH_SRC/tests/servers/git.sh"
git_identity

S_GH=ghp_SECRETgithubtoken0001
S_GIT=SECRETgittoken0002
S_HOOK=SECRETslackhook0003
S_BOT=xoxb-SECRETbottoken0004
S_REG=SECRETregpass0005
S_DOCKER=SECRETdockerauth0006
S_KUBE=SECRETkubetoken0007
S_WHSEC=SECRETwebhooksecret0008
SECRETS=("$S_GH" "$S_GIT" "$S_HOOK" "$S_BOT" "$S_REG" "$S_DOCKER" "$S_KUBE" "$S_WHSEC")
# the base64 forms a secret may take in an Authorization header
for s in "${SECRETS[@]}"; do
	SECRETS+=("$(printf 'user:%s' "$s" | base64 -w0)" "$(printf 'x-access-token:%s' "$s" | base64 -w0)"
		"$(printf 'git:%s' "$s" | base64 -w0)")
done

# A stub that fails everything with 500 and one that answers 401 with a challenge.
cat >"$T/fail.json" <<'S'
{"routes": [{"path_re": ".*", "responses": [{"status": 500, "body": "internal error"}]}]}
S
cat >"$T/ok.json" <<'S'
{"routes": [
 {"method": "POST", "path_re": "^/hook", "responses": [{"status": 200, "body": "ok"}]},
 {"method": "POST", "path": "/api/chat.postMessage", "responses": [{"status": 200, "json": {"ok": true, "ts": "1.2", "channel": "C1"}}]},
 {"method": "POST", "path_re": "^/repos/.*/deployments$", "responses": [{"status": 201, "json": {"id": 7}}]},
 {"method": "POST", "path_re": "^/repos/.*/statuses$", "responses": [{"status": 201, "json": {"id": 8}}]},
 {"path_re": "^/v2/", "responses": [{"status": 401, "headers": {"WWW-Authenticate": "Basic realm=\"r\""}, "body": "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}"}]},
 {"path_re": ".*info/refs", "responses": [{"status": 401, "headers": {"WWW-Authenticate": "Basic realm=\"git\""}}]}]}
S

# setup_env: every credential variable and file, pointing at the stub $1.
setup_env() {
	local url=$1 host=${1#http://}
	export GITHUB_TOKEN=$S_GH GTH_GIT_TOKEN=$S_GIT
	export SLACK_WEBHOOK_URL=$url/hook/services/T000/B000/$S_HOOK SLACK_BOT_TOKEN=$S_BOT
	export SLACK_API_URL=$url/api GITHUB_API_URL=$url GITHUB_REPOSITORY=acme/app GITHUB_SHA=0123456789abcdef0123456789abcdef01234567
	export GTH_REGISTRY_USER=user GTH_REGISTRY_PASSWORD=$S_REG
	export WEBHOOK_SECRET=$S_WHSEC
	mkdir -p docker
	printf '{"auths": {"%s": {"auth": "%s"}, "other.example": {"username": "user", "password": "%s"}}}\n' \
		"$host" "$(printf 'user:%s' "$S_DOCKER" | base64 -w0)" "$S_DOCKER" >docker/config.json
	export DOCKER_CONFIG=$PWD/docker
	cat >kubeconfig <<K
apiVersion: v1
kind: Config
current-context: c
contexts:
- name: c
  context: {cluster: c, user: u, namespace: ns}
clusters:
- name: c
  cluster: {server: "$url"}
users:
- name: u
  user: {token: "$S_KUBE"}
K
	export KUBECONFIG=$PWD/kubeconfig
	export GITHUB_ACTIONS=true CI=true GITHUB_OUTPUT=$PWD/gh-output GITHUB_STEP_SUMMARY=$PWD/gh-summary
	: >gh-output
	: >gh-summary
	export XDG_CACHE_HOME=$PWD/cache
}

# leak_check NAME: no secret in the output, the Actions files or any file written
# under the case folder since the marker (inputs and the stubs' request logs aside).
leak_check() {
	local f hit files=()
	printf '%s\n' "${SECRETS[@]}" >"$T/secrets.txt"
	for f in "$OUT" "$ERR"; do
		hit=$(grep -v '^::add-mask::' "$f" | grep -oF -f "$T/secrets.txt" | head -1)
		[ -z "$hit" ] || _fail "$1: $(basename "$f") holds a secret ($hit)"
	done
	while IFS= read -r -d '' f; do
		case $f in ./docker/config.json | ./kubeconfig | ./marker | ./all-output) continue ;; esac
		files+=("$f")
	done < <(find . -type f -newer marker -print0)
	[ "${#files[@]}" -gt 0 ] || return 0
	# one grep over every file: "FILE:SECRET" for the first hit
	hit=$(grep -aoHF -f "$T/secrets.txt" -- "${files[@]}" | head -1)
	[ -z "$hit" ] || _fail "$1: ${hit%%:*} holds a secret (${hit#*:})"
}
# tool NAME EXPECTED_RC CMD...: run with -v, check the status, then leaks.
tool() {
	local name=$1 want=$2
	shift 2
	run "$@"
	[ "$rc" -eq "$want" ] || _fail "$name: exit status $rc, expected $want"
	leak_check "$name"
	cat "$OUT" "$ERR" >>all-output
}

case_every_tool() {
	start_stub "$T/ok.json"
	local ok=$STUB_URL okport=$STUB_PORT
	start_stub "$T/fail.json"
	local bad=$STUB_URL
	touch marker
	sleep 0.01
	setup_env "$ok"
	# gth-test: a passing and a failing suite; the secrets are in its environment
	mkdir suite
	printf 'test:\n  gates:\n    - name: ok\n      run: "true"\n' >suite/gth.yaml
	tool "gth-test pass" 0 gth-test -C suite --json -v
	printf 'test:\n  gates:\n    - name: bad\n      run: "exit 1"\n' >suite/gth.yaml
	tool "gth-test fail" 1 gth-test -C suite --json -v
	# gth-scan: a folder, then an update from a failing mirror
	mkdir proj
	echo "hello" >proj/readme.txt
	gth-scan db import "$GTH_SRC/tests/fixtures/gth-scan/osv" -q
	tool "gth-scan fs" 0 gth-scan fs proj --json -v
	GTH_OSV_MIRROR=$bad tool "gth-scan db update" 69 gth-scan db update npm --json -v
	# gth-build: a push refused (401 with the registry password and docker auths)
	gth-build assemble --base scratch --layer proj:/p -o oci:img:v1 -q
	tool "gth-build push 401" 77 gth-build push oci:img:v1 "127.0.0.1:$okport/acme/app:v1" \
		--insecure "127.0.0.1:$okport" --json -v
	# gth-bump: a git push over HTTP refused (GTH_GIT_TOKEN, GITHUB_TOKEN), then a local bump
	tool "gth-bump http 401" 77 gth-bump --image ghcr.io/acme/app:v2 --repo "$ok/acme/gitops.git" --json -v
	mkdir -p seed/apps
	printf 'kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: ghcr.io/acme/app:v1\n' >seed/apps/app.yaml
	git_bare "$PWD/gitops.git" seed
	tool "gth-bump file" 0 gth-bump --image ghcr.io/acme/app:v2 --repo "file://$PWD/gitops.git" --json -v
	# gth-canary: the kube API with the kubeconfig's token fails; Prometheus fails
	KUBECONFIG=$PWD/kubeconfig tool "gth-canary status" 66 gth-canary status app -n ns --json -v
	tool "gth-canary judge" 69 gth-canary judge --canary 'up' --baseline 'up' --prometheus "$bad" --json -v
	# gth-notify: each destination, ok then failing
	SLACK_BOT_TOKEN= tool "gth-notify slack hook" 0 gth-notify slack --status success --title hi --json -v
	tool "gth-notify slack bot" 0 gth-notify slack --channel C1 --status success --title hi --json -v
	tool "gth-notify webhook" 0 gth-notify webhook "$ok/hook/x" --secret-env WEBHOOK_SECRET --status success --json -v
	tool "gth-notify github" 0 gth-notify github-deployment --environment prod --status success --json -v
	SLACK_BOT_TOKEN= SLACK_WEBHOOK_URL=$bad/hook/services/T000/B000/$S_HOOK tool "gth-notify slack fail" 69 \
		gth-notify slack --status failure --title hi --json -v --timeout 2s
	SLACK_API_URL=$bad/api tool "gth-notify bot fail" 69 gth-notify slack --channel C1 --status failure --json -v --timeout 2s
	GITHUB_API_URL=$bad tool "gth-notify github fail" 69 gth-notify github-deployment --environment prod \
		--status failure --json -v --timeout 2s
	tool "gth-notify webhook fail" 69 gth-notify webhook "$bad/hook/y" --secret-env WEBHOOK_SECRET --status failure --json -v --timeout 2s
	# gth-rollback: --gitops against the local Kubernetes API that requires the
	# kubeconfig's token, the revert pushed over smart HTTP with GTH_GIT_TOKEN (a
	# gth-bump commit to revert first); then the API refusing the token (77), the
	# stub's git 401 (77), the stub as API server (66) and git behind 500s (69)
	mkdir -p srv rb
	cp -a "$GTH_SRC/tests/fixtures/gth-rollback/gitops/." rb/
	git_bare "$PWD/srv/gitops.git" rb
	git_http_start "$PWD/srv" x-access-token "$S_GIT"
	gth-bump --image localhost:5000/gatheraa/backend:0.2.0 --repo "$GIT_HTTP_URL/gitops.git" \
		--app gatheraa-backend -q >/dev/null
	KUBE_TOKEN=$S_KUBE start_kube_api "$GTH_SRC/tests/fixtures/gth-rollback/objects.json"
	tool "gth-rollback --gitops" 0 gth-rollback gatheraa-backend --gitops --repo "$GIT_HTTP_URL/gitops.git" \
		--kubeconfig "$KUBECONFIG_FILE" --json -v
	check grep -q 'backend:0.1.0' <(git_show srv/gitops.git main:k8s/rollout.yaml)
	check grep -q '^POST /gitops.git/git-receive-pack 200 x-access-token$' "$GIT_HTTP_LOG"
	check [ "$(kube_requests '.auth' | sort -u)" = bearer ]
	# the same kubeconfig (its token $S_KUBE) for a server that wants another token
	KUBE_TOKEN=another-token start_kube_api "$GTH_SRC/tests/fixtures/gth-rollback/objects.json"
	sed "s/another-token/$S_KUBE/" "$KUBECONFIG_FILE" >"$T/kubeconfig-401"
	tool "gth-rollback abort 401" 77 gth-rollback abort gatheraa-backend --kubeconfig "$T/kubeconfig-401" \
		--json -v
	tool "gth-rollback undo 404" 66 gth-rollback undo gatheraa-backend -n ns --json -v
	tool "gth-rollback revert git 401" 77 gth-rollback revert --repo "$ok/acme/gitops.git" --json -v
	tool "gth-rollback revert git 500" 69 gth-rollback revert --repo "$bad/acme/gitops.git" --json -v
	# the Actions files: written, and clean
	leak_check "actions files"
	check [ -s gh-output ]
	# the masks were given
	check grep -q '^::add-mask::' all-output
}
t "every tool, ok and failing, with every credential set: no secret anywhere" case_every_tool

case_tls_verify() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null || _fail "openssl"
	start_stub "$T/ok.json" --tls-cert cert.pem --tls-key key.pem
	local url=https://127.0.0.1:$STUB_PORT
	unset GTH_CA_FILE
	SLACK_WEBHOOK_URL=$url/hook/a run gth-notify slack --status success --title hi --timeout 2s
	expect_rc 69
	check [ "$(wc -l <"$STUB_LOG")" = 0 ]
	GTH_CA_FILE=$PWD/cert.pem SLACK_WEBHOOK_URL=$url/hook/a run gth-notify slack --status success --title hi
	expect_rc 0
	check [ "$(wc -l <"$STUB_LOG")" = 1 ]
	# the registry client too
	mkdir p
	echo x >p/x
	gth-build assemble --base scratch --layer p:/p -o oci:img:v1 -q
	run gth-build push oci:img:v1 "127.0.0.1:$STUB_PORT/acme/app:v1"
	expect_rc 69
}
t "TLS is verified: a self-signed server is refused (69) unless GTH_CA_FILE names it" case_tls_verify

case_redirect_other_host() {
	# 127.0.0.1 answers chat.postMessage with a redirect to localhost (another host)
	cat >b.json <<'S'
{"routes": [{"method": "POST", "path": "/api/chat.postMessage", "responses": [{"status": 200, "json": {"ok": true, "ts": "1.2", "channel": "C1"}}]}]}
S
	start_stub b.json
	local other=$STUB_PORT other_log=$STUB_LOG
	cat >a.json <<S
{"routes": [{"method": "POST", "path": "/api/chat.postMessage", "responses": [{"status": 307, "headers": {"Location": "http://localhost:$other/api/chat.postMessage"}}]}]}
S
	start_stub a.json
	SLACK_BOT_TOKEN=$S_BOT SLACK_API_URL=$STUB_URL/api run gth-notify slack --channel C1 --status success --title hi
	check jq -e -s '.[0].headers.authorization == "Bearer '"$S_BOT"'"' "$STUB_LOG"
	if [ -s "$other_log" ]; then
		check jq -e -s 'all(.[]; .headers.authorization == null)' "$other_log"
	fi
	expect_err_lacks "$S_BOT"
}
t "Authorization is not forwarded on a redirect to another host" case_redirect_other_host

finish
