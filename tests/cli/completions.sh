#!/usr/bin/env bash
# contrib/completions: for every built tool, each command and each option its --help
# prints (and each command's --help) is offered by the bash completion and by the zsh
# one, option values and file arguments complete, and zsh's completion system, driven
# in a pseudo-terminal, offers what _gth says.
. "$(dirname "$0")/lib.sh.inc"

COMP=$GTH_SRC/contrib/completions
ZC=$GTH_SRC/tests/cli/zsh-complete.zsh

tools() {
	local f
	for f in "$GTH_BIN"/gth-*; do [ -x "$f" ] && basename "$f"; done
}
# help_verbs TOOL: the commands block of TOOL --help.
help_verbs() {
	"$1" --help | awk '/^commands:$/ { f = 1; next } f && /^$/ { f = 0 } f && /^  [a-z]/ { print $1 }'
}
# help_options TOOL [VERB]: each option of the list, its long name or, when it has
# none, its short one.
help_options() {
	local args=("$@")
	[ "${2-}" = --gitops ] && args=("$1" ROLLOUT --gitops)
	[ -z "${2-}" ] && args=("$1")
	"${args[@]}" --help | sed -n '/^options:$/,/^$/p' |
		sed -nE 's/^  (-[A-Za-z0-9], )?(--[a-z0-9][a-z0-9-]*).*/\2/p; s/^  (-[A-Za-z0-9])( .*)?$/\1/p'
}

# bash_complete WORD...: the completions of the last word, one per line, in $OUT.
bash_complete() {
	rc=0
	bash -c '
		. "$1"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		_gth
		[ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}"
	' bash "$COMP/gth.bash" "$@" >"$OUT" 2>"$ERR" || rc=$?
}

case_tools_built() {
	# the cases below loop over the built tools: there must be some
	run tools
	expect_rc 0
	[ "$(wc -l <"$OUT")" -ge 1 ] || _fail "no tools in $GTH_BIN"
}

case_bash_every_verb_and_option() {
	local tool verb opt n=0
	for tool in $(tools); do
		bash_complete "$tool" ""
		expect_rc 0
		[ "$(cat "$OUT")" = "$(help_verbs "$tool")" ] || _fail "$tool: the commands completed are not those of --help"
		for verb in "" $(help_verbs "$tool") $([ "$tool" = gth-rollback ] && echo --gitops); do
			if [ "$verb" = --gitops ]; then
				bash_complete "$tool" gatheraa-backend --gitops -
			else
				bash_complete "$tool" $verb -
			fi
			expect_rc 0
			for opt in $(help_options "$tool" "$verb"); do
				grep -qxF -- "$opt" "$OUT" || _fail "bash: '$tool $verb -' does not offer $opt"
				n=$((n + 1))
			done
		done
	done
	[ "$n" -ge 20 ] || _fail "only $n options checked"
}

case_bash_values_and_files() {
	touch report.sarif notes.txt
	mkdir subdir
	bash_complete gth-scan fs --format s
	expect_out_eq sarif
	bash_complete gth-scan fs --fail-on ""
	expect_out_eq "$(printf '%s\n' UNKNOWN LOW MEDIUM HIGH CRITICAL)"
	bash_complete gth-scan fs -o report.s
	expect_out_eq report.sarif
	bash_complete gth-scan fs --js
	expect_out_eq --json
	# an option's argument is not a command
	bash_complete gth-scan --config ""
	expect_out_contains notes.txt
	expect_out_lacks image
}

case_bash_before_the_command() {
	# before its command a tool takes only its own options, not a command's
	bash_complete gth-scan --form
	expect_rc 0
	expect_out_empty
	bash_complete gth-scan --js
	expect_out_eq --json
	bash_complete gth-scan nosuch --form
	expect_rc 0
	expect_out_empty
}

case_zsh_every_option() {
	command -v zsh >/dev/null || _fail "zsh missing: run scripts/bootstrap"
	local tool verb opt specs n=0
	for tool in $(tools); do
		for verb in "" $(help_verbs "$tool") $([ "$tool" = gth-rollback ] && echo --gitops); do
			specs=$(zsh -fc '. "$1"; _gth_specs "$2" "$3"; print -rl -- $reply' zsh "$COMP/_gth" "$tool" "$verb")
			for opt in $(help_options "$tool" "$verb"); do
				grep -qE -- "^(\*|\([^)]*\))?$opt\[" <<<"$specs" || _fail "zsh: '$tool $verb' has no spec for $opt"
				n=$((n + 1))
			done
		done
	done
	[ "$n" -ge 20 ] || _fail "only $n options checked"
}

# zsh_complete LINE: the matches zsh offers at the end of LINE, in $OUT ("match -- ...").
zsh_complete() {
	rc=0
	timeout 30 zsh -f "$ZC" "$COMP" "$1" >"$OUT" 2>"$ERR" || rc=$?
	sed -i 's/ -- .*//' "$OUT"
}

case_zsh_completes() {
	command -v zsh >/dev/null || _fail "zsh missing: run scripts/bootstrap"
	touch events.json
	zsh_complete "gth-scan "
	expect_rc 0
	[ "$(sort "$OUT")" = "$(help_verbs gth-scan | sort)" ] || _fail "zsh: the commands of gth-scan"
	zsh_complete "gth-scan fs --fa"
	expect_out_eq --fail-on
	zsh_complete "gth-scan fs --fail-on C"
	expect_out_eq CRITICAL
	zsh_complete "gth-scan fs --ignore-file ev"
	expect_out_eq events.json
}

t "tools are built" case_tools_built
t "bash: every command and every option of every --help" case_bash_every_verb_and_option
t "bash: option values, file arguments, option names" case_bash_values_and_files
t "bash: before the command, only the tool's own options" case_bash_before_the_command
t "zsh: a spec for every option of every --help" case_zsh_every_option
t "zsh: the completion system offers commands, options, values and files" case_zsh_completes
finish
