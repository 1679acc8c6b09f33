# bash completion for the gth tools: gth-test, gth-scan, gth-build, gth-bump,
# gth-canary, gth-rollback and gth-notify.
#
# Commands and options are read from the tools' own help (TOOL --help and
# TOOL VERB --help, the lists their option parser prints), so what is completed is
# always what the installed tool accepts. Installed as
# share/bash-completion/completions/gth-TOOL (loaded on first use), or source it.

# _gth_help_table TOOL [VERB]: one line per item of the help, tab-separated:
#   o SHORT LONG ARG DESCRIPTION   an option (SHORT, LONG or ARG may be empty)
#   c VERB DESCRIPTION             a command
#   e LONG VALUE...                the values the synopsis lists for LONG (a|b|c)
_gth_help_table() {
	local key="$1 ${2-}"
	if [[ -z ${_gth_help_cache[$key]+set} ]]; then
		# VERB "--gitops": gth-rollback ROLLOUT --gitops, whose options differ
		local -a cmd
		cmd=("$1")
		if [[ ${2-} == --gitops ]]; then
			cmd+=(ROLLOUT --gitops)
		elif [[ -n ${2-} ]]; then
			cmd+=("$2")
		fi
		_gth_help_cache[$key]=$("${cmd[@]}" --help 2>/dev/null | awk '
			function flush() {
				if (pend) printf "o\t%s\t%s\t%s\t%s\n", s, l, a, d
				pend = 0
			}
			/^usage: / || (m == "u" && /^       /) {
				m = "u"
				t = $0
				while (match(t, /--[a-z0-9-]+ [a-z0-9]+(\|[a-z0-9]+)+/)) {
					e = substr(t, RSTART, RLENGTH)
					t = substr(t, RSTART + RLENGTH)
					sp = index(e, " ")
					v = substr(e, sp + 1)
					gsub(/\|/, " ", v)
					printf "e\t%s\t%s\n", substr(e, 1, sp - 1), v
				}
				next
			}
			/^options:$/ { flush(); m = "o"; next }
			/^commands:$/ { flush(); m = "c"; next }
			/^$/ { flush(); m = ""; next }
			m == "o" && /^  +-/ {
				flush()
				line = $0
				sub(/^ +/, "", line)
				left = line
				d = ""
				if (match(line, /  +/)) {
					left = substr(line, 1, RSTART - 1)
					d = substr(line, RSTART + RLENGTH)
				}
				n = split(left, w, " ")
				s = ""; l = ""; a = ""; i = 1
				if (w[i] ~ /^-[^-],?$/) { s = w[i]; sub(/,$/, "", s); i++ }
				if (w[i] ~ /^--/) { l = w[i]; i++ }
				if (i <= n) a = w[i]
				pend = 1
				next
			}
			m == "o" && pend && /^ +[^ -]/ {
				d = $0
				sub(/^ +/, "", d)
				flush()
				next
			}
			m == "c" && /^  [a-z]/ {
				line = $0
				sub(/^ +/, "", line)
				v = line
				d = ""
				if (match(line, /  +/)) {
					v = substr(line, 1, RSTART - 1)
					d = substr(line, RSTART + RLENGTH)
				}
				printf "c\t%s\t%s\n", v, d
				next
			}
			END { flush() }')
	fi
	printf '%s\n' "${_gth_help_cache[$key]}"
}
declare -gA _gth_help_cache 2>/dev/null || declare -A _gth_help_cache

# Values for options whose argument is one of a few words (gth(7), CLI.md).
_gth_values() {
	case $1 in
	--format) echo "table json sarif github markdown" ;;
	--severity | --fail-on) echo "UNKNOWN LOW MEDIUM HIGH CRITICAL" ;;
	--scanners) echo "secret vuln misconfig" ;;
	--tag-policy) echo "sha branch semver latest" ;;
	--builder) echo "auto docker podman buildah" ;;
	--until) echo "healthy paused" ;;
	--status) echo "success failure inconclusive error started" ;;
	--state) echo "in_progress queued pending success failure error inactive" ;;
	esac
}

_gth() {
	local cur prev tool verb="" i w table verbs opts arg vals
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	tool=${COMP_WORDS[0]}
	COMPREPLY=()

	verbs=$(_gth_help_table "$tool" | awk -F '\t' '$1 == "c" { print $2 }')
	if [[ -n $verbs ]]; then
		for ((i = 1; i < COMP_CWORD; i++)); do
			w=${COMP_WORDS[i]}
			if [[ $'\n'$verbs$'\n' == *$'\n'$w$'\n'* ]]; then
				verb=$w
				break
			fi
		done
	fi
	if [[ -z $verb && $tool == gth-rollback ]]; then
		for ((i = 1; i < COMP_CWORD; i++)); do
			[[ ${COMP_WORDS[i]} == --gitops ]] && verb=--gitops
		done
	fi
	table=$(_gth_help_table "$tool" "$verb")

	# The argument of the option before the cursor.
	if [[ $prev == -* ]]; then
		arg=$(awk -F '\t' -v o="$prev" '$1 == "o" && ($2 == o || $3 == o) { print $4; exit }' <<<"$table")
		if [[ -n $arg ]]; then
			vals=$(awk -F '\t' -v o="$prev" '$1 == "e" && $2 == o { print $3; exit }' <<<"$table")
			[[ -n $vals ]] || vals=$(_gth_values "$prev")
			if [[ -n $vals ]]; then
				mapfile -t COMPREPLY < <(compgen -W "$vals" -- "$cur")
			else
				case $arg in
				DIR) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
				FILE | PATH | EVENT | TEMPLATE*) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
				esac
			fi
			return 0
		fi
	fi

	if [[ $cur == -* ]]; then
		opts=$(awk -F '\t' '$1 == "o" { if ($3 != "") print $3; else if ($2 != "") print $2 }' <<<"$table")
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
		return 0
	fi
	if [[ -n $verbs && -z $verb ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$verbs" -- "$cur")
		return 0
	fi
	compopt -o filenames 2>/dev/null
	mapfile -t COMPREPLY < <(compgen -f -- "$cur")
}

complete -F _gth gth-test gth-scan gth-build gth-bump gth-canary gth-rollback gth-notify
