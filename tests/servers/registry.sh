# Start and stop Debian's docker-registry on 127.0.0.1 for tests, demos and
# benchmarks. Source this file; it needs bash, python3, docker-registry, and for
# the auth modes htpasswd (apache2-utils) and openssl.
#
#   registry_start DIR [open|htpasswd|token]
#       Starts a registry storing under DIR/data, on a free port (or $REGISTRY_PORT).
#       Sets REGISTRY_HOST (127.0.0.1:PORT) and REGISTRY_URL (http://...).
#       htpasswd: user "gth" with password $REGISTRY_PASSWORD (default "gth-secret"),
#                 bcrypt (htpasswd -B); sets REGISTRY_USER and REGISTRY_PASSWORD.
#       token:    also starts tests/servers/registry-token.py (same user and password)
#                 and sets TOKEN_URL and TOKEN_LOG (one JSON line per token request).
#                 $REGISTRY_TOKEN_STINGY=N: the first N push tokens grant pull only;
#                 $REGISTRY_TOKEN_FIELD=access_token: answer with that field.
#   registry_stop DIR      stops what registry_start started in DIR (storage is kept)
#   registry_restart DIR   starts it again on the same port with the same storage
#
# The servers' pids are in DIR/registry.pid and DIR/token.pid.

_gth_servers_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

_registry_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

_registry_wait() {
	local port=$1 n=100
	while [ "$n" -gt 0 ]; do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	echo "registry: nothing listens on port $port" >&2
	return 1
}

_registry_run() {
	local dir=$1
	docker-registry serve "$dir/config.yml" >>"$dir/registry.log" 2>&1 &
	echo $! >"$dir/registry.pid"
	_registry_wait "$(cat "$dir/port")"
}

registry_start() {
	local dir=$1 mode=${2:-open} port
	mkdir -p "$dir/data"
	port=${REGISTRY_PORT:-$(_registry_free_port)}
	echo "$port" >"$dir/port"
	echo "$mode" >"$dir/mode"
	REGISTRY_HOST=127.0.0.1:$port
	REGISTRY_URL=http://$REGISTRY_HOST
	cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
  secret: gth-test-secret
YAML
	case $mode in
	open) ;;
	htpasswd)
		REGISTRY_USER=gth
		REGISTRY_PASSWORD=${REGISTRY_PASSWORD:-gth-secret}
		htpasswd -Bbn "$REGISTRY_USER" "$REGISTRY_PASSWORD" >"$dir/htpasswd" 2>/dev/null
		cat >>"$dir/config.yml" <<YAML
auth:
  htpasswd:
    realm: gth-test
    path: $dir/htpasswd
YAML
		;;
	token)
		REGISTRY_USER=gth
		REGISTRY_PASSWORD=${REGISTRY_PASSWORD:-gth-secret}
		openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/token.key" \
			-out "$dir/token.crt" -days 2 -subj /CN=gth-token >/dev/null 2>&1
		TOKEN_LOG=$dir/token.jsonl
		: >"$TOKEN_LOG"
		rm -f "$dir/token.port"
		python3 "$_gth_servers_dir/registry-token.py" --key "$dir/token.key" \
			--issuer gth-token-issuer --service gth-registry --port-file "$dir/token.port" \
			--log "$TOKEN_LOG" --user "$REGISTRY_USER" --password "$REGISTRY_PASSWORD" \
			--stingy "${REGISTRY_TOKEN_STINGY:-0}" --field "${REGISTRY_TOKEN_FIELD:-token}" \
			>"$dir/token.out" 2>&1 &
		echo $! >"$dir/token.pid"
		local n=100
		while [ ! -s "$dir/token.port" ] && [ "$n" -gt 0 ]; do sleep 0.05; n=$((n - 1)); done
		[ -s "$dir/token.port" ] || { echo "token server did not start" >&2; cat "$dir/token.out" >&2; return 1; }
		TOKEN_URL=http://127.0.0.1:$(cat "$dir/token.port")/token
		cat >>"$dir/config.yml" <<YAML
auth:
  token:
    realm: $TOKEN_URL
    service: gth-registry
    issuer: gth-token-issuer
    rootcertbundle: $dir/token.crt
YAML
		export TOKEN_URL TOKEN_LOG
		;;
	*)
		echo "registry_start: unknown mode $mode" >&2
		return 64
		;;
	esac
	export REGISTRY_HOST REGISTRY_URL
	[ "$mode" = open ] || export REGISTRY_USER REGISTRY_PASSWORD
	_registry_run "$dir"
}

registry_stop() {
	local dir=$1 f pid
	for f in "$dir/registry.pid" "$dir/token.pid"; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		kill "$pid" 2>/dev/null || true
		local n=50
		while kill -0 "$pid" 2>/dev/null && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
		kill -9 "$pid" 2>/dev/null || true
		rm -f "$f"
	done
}

registry_restart() {
	local dir=$1
	[ -f "$dir/registry.pid" ] && { kill "$(cat "$dir/registry.pid")" 2>/dev/null || true; }
	_registry_run "$dir"
}
