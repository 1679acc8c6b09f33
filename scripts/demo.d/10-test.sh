#!/usr/bin/env bash
# Stage test: gth-test runs the example service's gates (lint, and node's test
# runner with its JUnit report) in parallel, prints each gate's output whole, the
# summary table, and leaves its event and one merged JUnit report for the later
# stages.
set -euo pipefail
root=${GTH_DEMO_ROOT:?run through scripts/demo}
work=${GTH_DEMO_WORK:?run through scripts/demo}
dir=$work/test
mkdir -p "$dir"

# A copy, so the demo never writes reports into the source tree.
rm -rf "$dir/gatheraa"
cp -r "$root/examples/gatheraa" "$dir/gatheraa"
rm -rf "$dir/gatheraa/reports" "$dir/gatheraa/node_modules"

echo "gth-test --list:"
gth-test -C "$dir/gatheraa" --list | sed 's/^/  /'
rc=0
gth-test -C "$dir/gatheraa" --junit-out "$dir/junit.xml" --json >"$dir/test.event.json" || rc=$?
echo "merged JUnit report: $dir/junit.xml ($(grep -c '<testcase' "$dir/junit.xml") cases)"

printf 'test\tgth-test\t%s\n' "$(jq -r '.summary + " (exit " + (.exit | tostring) + ", " +
	([.data.gates[].tests.total] | add | tostring) + " tests)"' "$dir/test.event.json")" \
	>>"${GTH_DEMO_SUMMARY:-/dev/null}"
exit "$rc"
