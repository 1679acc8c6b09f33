#!/usr/bin/env bash
# Stage scan: gth-scan fs checks the example service for secrets and
# misconfigurations (the gate of its gth.yaml closes at HIGH) and writes SARIF for
# code scanning; then a fake key is planted in a copy to show the gate failing
# with exit 1, the secret masked in every report.
set -euo pipefail
root=${GTH_DEMO_ROOT:?run through scripts/demo}
work=${GTH_DEMO_WORK:?run through scripts/demo}
dir=$work/scan
mkdir -p "$dir"
rm -rf "$dir/gatheraa" "$dir/leaky"
cp -r "$root/examples/gatheraa" "$dir/gatheraa"
rm -rf "$dir/gatheraa/node_modules" "$dir/gatheraa/reports"

echo "gth-scan fs gatheraa (gate at HIGH from its gth.yaml):"
rc=0
(cd "$dir/gatheraa" && gth-scan fs . --scanners secret,misconfig \
	--format sarif -o "$dir/gth-scan.sarif" --json -q >"$dir/scan.event.json") || rc=$?
(cd "$dir/gatheraa" && gth-scan fs . --scanners secret,misconfig -q) | sed 's/^/  /' || true
echo "  SARIF for code scanning: $dir/gth-scan.sarif ($(jq '.runs[0].results | length' "$dir/gth-scan.sarif") results)"
if [ "$rc" -ne 0 ]; then
	echo "demo: the example service should pass the gate, got exit $rc" >&2
	exit 1
fi

# A copy with a fake AWS key and GitHub token: random strings of the right shape.
cp -r "$dir/gatheraa" "$dir/leaky"
rand() { python3 -c 'import random, sys; print("".join(random.choice(sys.argv[1]) for _ in range(int(sys.argv[2]))))' "$@"; }
key="AKIA$(rand ABCDEFGHIJKLMNOPQRSTUVWXYZ234567 16)"
tok="ghp_$(rand ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 36)"
printf 'AWS_ACCESS_KEY_ID=%s\nGITHUB_TOKEN=%s\n' "$key" "$tok" >"$dir/leaky/src/.env.production"
echo
echo "gth-scan fs on a copy with a planted fake key:"
lrc=0
(cd "$dir/leaky" && gth-scan fs . --scanners secret,misconfig --json -q >"$dir/leaky.event.json") || lrc=$?
(cd "$dir/leaky" && gth-scan fs . --scanners secret,misconfig -q) | sed 's/^/  /' || true
echo "  exit status: $lrc (1: the gate said no)"
if [ "$lrc" -ne 1 ]; then
	echo "demo: the planted key should fail the gate with 1, got $lrc" >&2
	exit 1
fi
if grep -q -e "$key" -e "$tok" "$dir/leaky.event.json"; then
	echo "demo: a planted secret appears whole in the event" >&2
	exit 1
fi

printf 'scan\tgth-scan\t%s; with a planted key: %s (exit %s)\n' \
	"$(jq -r '.summary' "$dir/scan.event.json")" \
	"$(jq -r '.data.counts | "\(.CRITICAL) critical, \(.HIGH) high"' "$dir/leaky.event.json")" "$lrc" \
	>>"${GTH_DEMO_SUMMARY:-/dev/null}"
