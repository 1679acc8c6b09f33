#!/usr/bin/env zsh
# zsh -f zsh-complete.zsh FPATH_DIR 'COMMAND LINE': print the matches zsh's completion
# system offers at the end of the line, one per line ("match -- description").
# It runs an interactive zsh in a pseudo-terminal with compinit, captures compadd's
# matches instead of showing them, and presses Tab once.
zmodload zsh/zpty || exit 2
setopt rcquotes
zdump=$(mktemp "${TMPDIR:-/tmp}/gth-zcompdump.XXXXXX")
init=$(mktemp "${TMPDIR:-/tmp}/gth-zinit.XXXXXX")
trap 'rm -f $zdump $zdump.zwc $init' EXIT
cat >$init <<INIT
PROMPT=
fpath=($1 \$fpath)
autoload -U compinit
compinit -u -d $zdump
bindkey '^M' undefined
bindkey '^J' undefined
bindkey '^I' complete-word
_gth_null_line() { echo -E - \$'\0' }
compprefuncs=( _gth_null_line )
comppostfuncs=( _gth_null_line exit )
zstyle ':completion:*' list-grouped false
zstyle ':completion:*' insert-tab false
zstyle ':completion:*' list-separator ''
zmodload zsh/zutil
compadd () {
	if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
		builtin compadd "\$@"
		return \$?
	fi
	typeset -a __hits __dscr __tmp
	if (( \$@[(I)-d] )); then
		__tmp=\${@[\$[\${@[(i)-d]}+1]]}
		if [[ \$__tmp == \(* ]]; then
			eval "__dscr=\$__tmp"
		else
			__dscr=( "\${(@P)__tmp}" )
		fi
	fi
	builtin compadd -A __hits -D __dscr "\$@"
	[[ -n \$__hits ]] || return 1
	local i
	for i in {1..\$#__hits}; do
		if (( \$#__dscr >= i )); then
			echo -E - "\$__hits[\$i] -- \$__dscr[\$i]"
		else
			echo -E - "\$__hits[\$i]"
		fi
	done
}
echo ok
INIT
zpty z zsh -f -i
zpty -w z "source $init"
repeat 8; do
	zpty -r z line
	[[ $line == ok* ]] && break
done
[[ $line == ok* ]] || { echo 'zsh did not start' >&2; exit 2 }
zpty -w z "$2"$'\t'
integer tog=0
while zpty -r z; do :; done | tr -d "\r" | while IFS= read -r line; do
	if [[ $line == *$'\0' ]]; then
		(( tog++ )) && exit 0 || continue
	fi
	(( tog )) && echo -E - $line
done
exit 0
