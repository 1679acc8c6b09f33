#!/usr/bin/env bash
# Every option that a tool's --help prints (and each of its commands' --help) must
# appear in its man page as "Fl -option" (or "Fl x" for a short one), and the page's
# SYNOPSIS must name the same commands.
set -u
tool=$1
page=$GTH_SRC/man/$tool.1
bin=$GTH_BIN/$tool
[ -f "$page" ] || { echo "no man page $page"; exit 1; }
fails=0
helps=$("$bin" --help) || { echo "$tool --help failed"; exit 1; }
verbs=$(printf '%s\n' "$helps" | awk '/^commands:/{f=1;next} f&&/^  [a-z]/{print $1} f&&/^$/{f=0}')
for v in $verbs; do
	h=$("$bin" "$v" --help) || { echo "$tool $v --help failed"; fails=$((fails+1)); continue; }
	helps+=$'\n'"$h"
	grep -q "^\.Cm $v\b\|^\.It Cm $v\b\|Cm $v\b" "$page" || { echo "$page: command $v undocumented"; fails=$((fails+1)); }
done
for opt in $(printf '%s\n' "$helps" | grep -oE '(^|[ ,\[])--[a-z][a-z0-9-]*' | sed 's/.*--//' | sort -u); do
	grep -qE "Fl (\\\\-|-)$opt\b" "$page" || { echo "$page: option --$opt undocumented"; fails=$((fails+1)); }
done
for s in $(printf '%s\n' "$helps" | grep -oE '^  -[a-zA-Z],' | sed 's/[ ,-]//g' | sort -u); do
	grep -qE "Fl $s\b" "$page" || { echo "$page: option -$s undocumented"; fails=$((fails+1)); }
done
for sec in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" ENVIRONMENT EXAMPLES "SEE ALSO"; do
	grep -q "^\.Sh $sec\$" "$page" || { echo "$page: no $sec section"; fails=$((fails+1)); }
done
[ "$fails" -eq 0 ] && echo "$tool: every option documented"
exit $((fails > 0))
