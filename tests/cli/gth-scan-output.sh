#!/usr/bin/env bash
# gth-scan outputs: table, json event, SARIF 2.1.0 (validated against the schema
# with ajv-cli), GitHub annotations, Markdown, and what happens inside Actions.
. "$(dirname "$0")/lib.sh.inc"
SCHEMA=$GTH_SRC/tests/fixtures/gth-scan/sarif-schema-2.1.0.json
AJV=$(command -v ajv || echo "${GTH_NPM_PREFIX:-$HOME/.cache/gth-dev/npm}/node_modules/.bin/ajv")
SECRET="ghp_$(printf 'Mn4%.0s' $(seq 12))"
setup_repo() {
	git init -q .
	mkdir -p svc/config svc/k8s
	printf 'a=1\nGH=%s\n' "$SECRET" >svc/config/app.env
	printf 'FROM debian\nUSER app\n' >svc/Dockerfile
	cp "$GTH_SRC/tests/fixtures/gth-scan/misconfig/k8s/workloads.yaml" svc/k8s/
}

case_sarif_valid() {
	[ -x "$AJV" ] || _fail "ajv-cli is missing (scripts/bootstrap installs it from scripts/deps.npm)"
	setup_repo
	run gth-scan fs svc --format sarif -o out.sarif.json
	expect_rc 0
	"$AJV" validate --spec=draft7 --strict=false -c ajv-formats -s "$SCHEMA" -d out.sarif.json >ajv.log 2>&1 ||
		{ cat ajv.log; _fail "SARIF does not validate"; }
	jq -e '.version == "2.1.0" and (.runs[0].tool.driver.rules | length) == 12' out.sarif.json >/dev/null ||
		_fail "unexpected SARIF header or rules"
	jq -e '.runs[0].results[0] | .ruleId == "github-pat" and .level == "error"
		and .locations[0].physicalLocation.artifactLocation.uri == "svc/config/app.env"
		and .locations[0].physicalLocation.region.startLine == 2
		and (.partialFingerprints.primaryLocationLineHash | length) == 64' out.sarif.json >/dev/null ||
		_fail "first result is not the secret with a repository-relative path"
	jq -e '[.runs[0].tool.driver.rules[] | select(.id == "github-pat")][0].properties["security-severity"] == "9.5"' \
		out.sarif.json >/dev/null || _fail "no security-severity"
	jq -e '. as $r | [$r.runs[0].results[] | .ruleId == $r.runs[0].tool.driver.rules[.ruleIndex].id] | all' \
		out.sarif.json >/dev/null || _fail "ruleIndex does not point at the rule"
	grep -q "$SECRET" out.sarif.json && _fail "secret in SARIF"
	true
}
t "SARIF 2.1.0 validates against the schema; rules, security-severity, fingerprints, repo paths" case_sarif_valid

case_sarif_empty_valid() {
	mkdir clean
	printf 'nothing\n' >clean/a.txt
	run gth-scan fs clean --format sarif
	expect_rc 0
	cp "$OUT" empty.sarif.json
	"$AJV" validate --spec=draft7 --strict=false -c ajv-formats -s "$SCHEMA" -d empty.sarif.json >/dev/null 2>&1 ||
		_fail "empty SARIF does not validate"
	expect_json '.runs[0].results == [] and .runs[0].tool.driver.name == "gth-scan"'
}
t "a scan with no findings is a valid SARIF log too" case_sarif_empty_valid

case_github_format() {
	setup_repo
	run gth-scan fs svc/config --format github
	expect_rc 0
	expect_out_eq "::error file=svc/config/app.env,line=2,title=CRITICAL github-pat::GitHub personal access token (classic): ghp_…"
}
t "--format github prints workflow annotations with repository paths" case_github_format

case_markdown_and_table() {
	setup_repo
	run gth-scan fs svc/config --format markdown --fail-on HIGH
	expect_rc 1
	expect_out_contains "### gth-scan: svc/config"
	expect_out_contains "1 finding (1 CRITICAL); gate at HIGH: **failed**"
	expect_out_contains '| CRITICAL | `github-pat` | svc/config/app.env:2 | GitHub personal access token (classic) | ghp_… |'
	run gth-scan fs svc/config
	expect_out_eq "SEVERITY  ID          LOCATION   TITLE
CRITICAL  github-pat  app.env:2  GitHub personal access token (classic) (ghp_…)
1 finding (1 CRITICAL)"
	run gth-scan fs svc/config -o report.txt
	expect_out_empty
	check grep -q "github-pat" report.txt
}
t "markdown and table reports" case_markdown_and_table

case_json_format() {
	setup_repo
	run gth-scan fs svc/config --format json -o ev.json -q
	expect_out_empty
	jq -e '.schema == "gth.event/v1" and .tool == "gth-scan" and .data.findings[0].id == "github-pat"
		and .data.findings[0].package == null and .data.findings[0].path == "app.env"' ev.json >/dev/null ||
		_fail "--format json is not the event"
	run gth-scan fs svc/config --format json
	expect_json '.data.counts.CRITICAL == 1'
	check test "$(wc -l <"$OUT")" -eq 1
	run gth-scan fs svc/config --format json --json
	check test "$(wc -l <"$OUT")" -eq 1
}
t "--format json writes the event; stdout holds exactly one" case_json_format

case_actions() {
	setup_repo
	export GITHUB_ACTIONS=true GITHUB_STEP_SUMMARY=$PWD/summary.md
	: >summary.md
	run gth-scan fs svc/config --json
	expect_rc 0
	expect_err_contains "::error file=svc/config/app.env,line=2,title=github-pat::GitHub personal access token (classic): ghp_…"
	check grep -q '| CRITICAL | `github-pat` |' summary.md
	expect_json '.data.counts.CRITICAL == 1'
}
t "inside GitHub Actions: annotations on stderr and a step summary" case_actions

finish
