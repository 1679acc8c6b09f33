# Git servers for CLI tests: bare repositories reached over file:// and a real
# `git daemon` over git://. Source it after tests/cli/lib.sh.inc (it uses at_exit,
# free_port and wait_port). Used by gth-bump's and gth-rollback's tests.
#
#   git_identity                      commit identity for the git command and gth
#   git_bare REPO [SEED_DIR]          a bare repository (branch main) at REPO, with
#                                     SEED_DIR's files as its first commit
#   git_seed_commit REPO DIR MSG      commit DIR's files on top of main (a plain push)
#   git_daemon_start BASE             serve every repository under BASE with push
#                                     enabled; sets GIT_DAEMON_URL=git://127.0.0.1:PORT
#   git_refuse_pushes REPO MESSAGE    a pre-receive hook that prints MESSAGE and refuses
#   git_show REPO REV:PATH            a file's content at a revision
#   git_count REPO                    the number of commits on main
#   git_http_start BASE USER PASSWORD smart HTTP with Basic auth; sets GIT_HTTP_URL, GIT_HTTP_LOG

git_identity() {
	export GIT_AUTHOR_NAME="Gth Test" GIT_AUTHOR_EMAIL="test@gth.invalid"
	export GIT_COMMITTER_NAME="Gth Test" GIT_COMMITTER_EMAIL="test@gth.invalid"
	export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=$T/gitconfig
	: >"$T/gitconfig"
	export XDG_CACHE_HOME=${XDG_CACHE_HOME:-$T/cache}
}

git_bare() {
	local repo=$1 seed=${2:-} tmp
	git init -q --bare -b main "$repo"
	if [ -n "$seed" ]; then
		tmp=$(mktemp -d "$T/seed.XXXXXX")
		cp -a "$seed/." "$tmp/"
		git -C "$tmp" init -q -b main
		git -C "$tmp" add -A
		git -C "$tmp" commit -q -m "Initial manifests"
		git -C "$tmp" push -q "$repo" main
		rm -rf "$tmp"
	fi
}

git_seed_commit() {
	local repo=$1 dir=$2 msg=$3 tmp
	tmp=$(mktemp -d "$T/clone.XXXXXX")
	git clone -q "$repo" "$tmp/w"
	cp -a "$dir/." "$tmp/w/"
	git -C "$tmp/w" add -A
	git -C "$tmp/w" commit -q -m "$msg"
	git -C "$tmp/w" push -q origin main
	rm -rf "$tmp"
}

git_daemon_start() {
	local base=$1 port pid
	port=$(free_port)
	git daemon --reuseaddr --listen=127.0.0.1 --port="$port" --base-path="$base" \
		--export-all --enable=receive-pack --informative-errors "$base" \
		>"$T/git-daemon.log" 2>&1 &
	pid=$!
	at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
	wait_port "$port" 10
	GIT_DAEMON_URL="git://127.0.0.1:$port"
}

git_refuse_pushes() {
	local repo=$1 msg=$2
	mkdir -p "$repo/hooks"
	printf '#!/bin/sh\necho "%s" >&2\nexit 1\n' "$msg" >"$repo/hooks/pre-receive"
	chmod +x "$repo/hooks/pre-receive"
}

git_show() { git --git-dir="$1" show "$2"; }
git_count() { git --git-dir="$1" rev-list --count main; }

# git_http_start BASE USER PASSWORD: git's smart HTTP (git http-backend) behind Basic
# authentication for every repository under BASE; sets GIT_HTTP_URL and GIT_HTTP_LOG.
git_http_start() {
	local base=$1 user=$2 password=$3 dir pid n=100
	dir=$(mktemp -d "$T/git-http.XXXXXX")
	GIT_HTTP_LOG=$dir/requests.log
	: >"$GIT_HTTP_LOG"
	python3 "$GTH_SRC/tests/servers/git-http.py" --root "$base" --port-file "$dir/port" \
		--user "$user" --password "$password" --log "$GIT_HTTP_LOG" >"$dir/server.log" 2>&1 &
	pid=$!
	at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
	while [ ! -s "$dir/port" ] && [ "$n" -gt 0 ]; do sleep 0.05; n=$((n - 1)); done
	[ -s "$dir/port" ] || { cat "$dir/server.log"; return 1; }
	GIT_HTTP_URL=http://127.0.0.1:$(cat "$dir/port")
}
