#!/usr/bin/env bash
# gth-scan fs: the secret rules against a generated corpus (a planted fake secret
# of every rule, and negatives), masking, custom and disabled rules.
. "$(dirname "$0")/lib.sh.inc"
CORPUS=$GTH_SRC/tests/fixtures/gth-scan/corpus.py
python3 "$CORPUS" planted "$T/corpus"

case_every_rule_has_a_planted_secret() {
	run gth-scan fs --list-rules
	expect_rc 0
	awk -F'\t' '$2 == "secret" {print $1}' "$OUT" | sort >rules.txt
	check test "$(wc -l <rules.txt)" -ge 60
	diff rules.txt "$T/corpus/templates.txt" || _fail "rules and corpus templates differ"
	awk -F'\t' '$2 == "misconfig" {print $1}' "$OUT" | grep -q '^GTH-K8S-001$' || _fail "no checks listed"
}
t "every secret rule has a planted secret in the corpus (60 or more rules)" case_every_rule_has_a_planted_secret

case_planted_found_exactly() {
	cd "$T/corpus"
	run gth-scan fs . --json -q --scanners secret
	expect_rc 0
	jq -r '.data.findings[] | "\(.path):\(.line):\(.id)"' "$OUT" | sort >"$T/got.txt"
	diff "$T/corpus/expected.txt" "$T/got.txt" || _fail "findings differ from the planted secrets"
	expect_json '.data.findings | all(.kind == "secret" and (.fingerprint | length) == 64)'
	expect_json '.data.counts.CRITICAL > 10 and .status == "success"'
}
t "every planted secret is found once, on its line, with its rule id" case_planted_found_exactly

case_negatives_clean() {
	run gth-scan fs "$T/corpus/negatives" --fail-on LOW --json
	expect_rc 0
	expect_json '.data.findings == [] and .data.files.scanned == 18'
}
t "placeholders, low entropy, allow comments and look-alikes are not findings" case_negatives_clean

case_values_never_whole() {
	cd "$T/corpus"
	gth-scan fs . >"$T/table.txt" 2>&1 || true
	gth-scan fs . --format sarif -o "$T/out.sarif" -q
	gth-scan fs . --format github >"$T/gh.txt" 2>/dev/null || true
	gth-scan fs . --format markdown >"$T/md.txt" 2>/dev/null || true
	gth-scan fs . --json -q >"$T/ev.json" || true
	python3 - "$T" <<'PY' || _fail "a secret value appears whole"
import glob, re, sys
t = sys.argv[1]
out = "".join(open("%s/%s" % (t, f), encoding="utf-8").read()
              for f in ("table.txt", "out.sarif", "gh.txt", "md.txt", "ev.json"))
leaks = 0
for f in glob.glob("planted/*.txt"):
    for tok in re.findall(r"[A-Za-z0-9_+/=.~\-]{12,}", open(f).read().split("\n")[2]):
        if tok[-10:] in out:
            print("leak:", f, tok[:4]); leaks += 1
sys.exit(1 if leaks else 0)
PY
	grep -q 'ghp_…' "$T/table.txt" || _fail "masked value missing from the table"
}
t "secret values are never printed whole (first four characters, then …)" case_values_never_whole

case_custom_and_disabled_rules() {
	mkdir src
	printf 'x = 1\nid: ACME-0123456789abcdef\nGH=ghp_%s\n' "$(printf 'Ab1%.0s' $(seq 12))" >src/a.txt
	cat >gth.yaml <<'Y'
scan:
  disable: [github-pat]
  rules:
    - id: acme-internal-key
      title: ACME internal key
      severity: critical
      keywords: [acme-]
      regex: '\b(ACME-[0-9a-f]{16})\b'
      secret-group: 1
Y
	run gth-scan fs src --json -q
	expect_rc 0
	expect_json '[.data.findings[] | "\(.id):\(.line):\(.severity)"] == ["acme-internal-key:2:CRITICAL"]'
	run gth-scan fs --list-rules
	expect_out_contains "acme-internal-key	secret	CRITICAL	ACME internal key"
	expect_out_lacks "github-pat"
}
t "custom rules and disabled rules come from gth.yaml" case_custom_and_disabled_rules

case_bad_custom_rule() {
	printf 'scan:\n  rules:\n    - id: broken\n      keywords: [x]\n      regex: "(unclosed"\n' >gth.yaml
	run gth-scan fs .
	expect_rc 78
	expect_err_match 'gth\.yaml:5: .*invalid regex'
	printf 'scan:\n  disable:\n    - no-such-rule\n' >gth.yaml
	run gth-scan fs .
	expect_rc 78
	expect_err_contains "gth.yaml:3"
	expect_err_contains "unknown rule or check id 'no-such-rule'"
}
t "a broken custom rule or an unknown disabled id is a configuration error (78)" case_bad_custom_rule

case_generic_yields_to_specific() {
	printf 'aws_secret_access_key = %s\n' "$(printf 'Zq9/Kx+Lm%.0s' $(seq 5) | head -c 40)" >a.env
	run gth-scan fs . --json -q
	expect_json '[.data.findings[].id] == ["aws-secret-access-key"]'
}
t "a generic assignment yields to the specific rule on the same bytes" case_generic_yields_to_specific

finish
