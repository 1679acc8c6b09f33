#!/usr/bin/env bash
# gth-test: JUnit XML and TAP results, malformed reports, --junit-out, and the
# GitHub Actions output.
. "$(dirname "$0")/lib.sh.inc"

junit_ok() {
	cat <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
  <testsuite name="calc" tests="3">
    <testcase classname="calc" name="adds" time="0.01"/>
    <testcase classname="calc" name="divides" file="src/calc.test.js" line="17" time="0.02">
      <failure message="expected 2, got 3">AssertionError: expected 2, got 3
    at Context.&lt;anonymous&gt; (src/calc.test.js:17:5)</failure>
    </testcase>
    <testcase classname="calc" name="later"><skipped/></testcase>
  </testsuite>
</testsuites>
XML
}

case_junit() {
	cat >gth.yaml <<'YAML'
test:
  gates:
    - name: unit
      run: mkdir -p out/deep && cp ../report.xml out/deep/TEST-calc.xml && exit 1
      dir: app
      junit: "out/**/TEST-*.xml"
YAML
	mkdir app
	junit_ok >report.xml
	run gth-test --json
	expect_rc 1
	expect_json '.data.gates[0].tests == {"total":3,"failed":1,"skipped":1}'
	expect_json '.data.gates[0].failures == [{"name":"divides","classname":"calc","file":"src/calc.test.js","line":17,"message":"expected 2, got 3"}]'
	expect_err_contains "gth-test: error: unit: failed (exit 1) in"
	expect_err_contains ", 3 tests, 1 failed"
	expect_err_contains "FAIL unit: src/calc.test.js:17: calc > divides: expected 2, got 3"
	expect_err_match '^unit +failed +1 +3 +1 +1 '
}
t "JUnit reports matching the glob become tests and failures" case_junit

case_failed_tests_fail_gate() {
	printf 'test:\n  gates:\n    - {name: lies, run: "cp report.xml r.xml", junit: r.xml}\n' >gth.yaml
	junit_ok >report.xml
	run gth-test --json
	expect_rc 1
	expect_json '.data.gates[0].status == "failed" and .data.gates[0].exit == 0'
}
t "a gate whose reports hold a failed test fails even when it exits 0" case_failed_tests_fail_gate

case_stale_and_missing() {
	printf 'test:\n  gates:\n    - {name: u, run: "true", junit: "r*.xml"}\n' >gth.yaml
	junit_ok >r1.xml
	touch -d '2020-01-01' r1.xml
	run gth-test --json
	expect_rc 0
	expect_json '.data.gates[0].tests.total == 0 and .data.gates[0].report_problems == ["no JUnit report matches '"'r*.xml'"' in ."]'
	expect_err_contains "gth-test: warning: u: no JUnit report matches 'r*.xml' in ."
}
t "reports older than the gate are stale; none found is a warning" case_stale_and_missing

case_malformed_junit() {
	cat >gth.yaml <<'YAML'
test:
  gates:
    - name: truncated
      run: head -c 260 ../report.xml > t.xml
      dir: a
      junit: t.xml
    - name: malformed
      run: printf '<testsuites>\n<testcase name="x">\n</testsuite>\n' > m.xml
      junit: m.xml
    - name: failing-malformed
      run: echo '<testsuite><oops' > f.xml; exit 2
      junit: f.xml
YAML
	mkdir a
	junit_ok >report.xml
	run gth-test --json
	expect_rc 1
	expect_json '[.data.gates[] | .status] == ["passed","passed","failed"]'
	expect_json '.data.gates[0].tests.total == 2 and .data.gates[0].tests.failed == 0'
	expect_json '.data.gates[0].report_problems[0] | test("^a/t.xml:[0-9]+: truncated JUnit XML: ")'
	expect_json '.data.gates[1].report_problems == ["m.xml:3: malformed JUnit XML: mismatched tag"]'
	expect_json '.data.gates[2].exit == 2 and (.data.gates[2].report_problems | length) == 1'
	expect_err_contains "gth-test: warning: malformed: m.xml:3: malformed JUnit XML: mismatched tag"
	expect_err_contains "gth-test: warning: truncated: a/t.xml:"
}
t "malformed or truncated JUnit is reported and the gate's result still counts" case_malformed_junit

case_tap() {
	cat >tap.txt <<'TAP'
TAP version 13
# Subtest: api
    # Subtest: GET /healthz
    ok 1 - GET /healthz
    # Subtest: GET /api/events
    not ok 2 - GET /api/events
      ---
      location: 'test/api.test.js:31:3'
      error: |-
        Expected values to be strictly equal:
        500 !== 200
      ...
    1..2
not ok 1 - api
1..1
TAP
	mkdir t
	printf 'ok 1 - a\nok 2 - b # SKIP slow\n1..3\n' >t/x.tap
	cat >gth.yaml <<'YAML'
test:
  gates:
    - name: tap-out
      run: cat tap.txt
      tap: true
    - name: tap-files
      run: "true"
      tap: "t/*.tap"
YAML
	run gth-test --json
	expect_rc 1
	expect_json '.data.gates[0].failures == [{"name":"GET /api/events","classname":"api","file":"test/api.test.js","line":31,"message":"Expected values to be strictly equal:"}]'
	expect_json '.data.gates[0].tests == {"total":2,"failed":1,"skipped":0}'
	expect_json '.data.gates[1].tests == {"total":2,"failed":0,"skipped":1} and .data.gates[1].status == "passed"'
	expect_json '.data.gates[1].report_problems == ["t/x.tap:3: planned 3 tests, ran 2"]'
}
t "TAP from the output or from files" case_tap

case_detected_ctest() {
	cat >CMakeLists.txt <<'CMAKE'
cmake_minimum_required(VERSION 3.18)
project(x NONE)
enable_testing()
add_test(NAME passes COMMAND true)
add_test(NAME fails COMMAND false)
CMAKE
	run gth-test --json
	expect_rc 1
	expect_json '.data.gates[0].name == "ctest" and .data.gates[0].tests == {"total":2,"failed":1,"skipped":0}'
	expect_json '.data.gates[0].failures[0].name == "fails" and .data.gates[0].report_problems == []'
	expect_err_contains "FAIL ctest: fails"
	check test -s build/gth-test/ctest-junit.xml
}
t "a detected CMake project runs ctest and reads its JUnit report" case_detected_ctest

case_junit_out() {
	cat >gth.yaml <<'YAML'
test:
  gates:
    - {name: unit, run: "cp report.xml r.xml", junit: r.xml}
    - {name: lint, run: "echo 'src/a.js:3: <bad> & \"worse\"'; exit 1"}
    - {name: fine, run: "true"}
YAML
	junit_ok >report.xml
	mkdir sub
	run gth-test --junit-out merged.xml
	expect_rc 1
	python3 - merged.xml <<'PY' || _fail "merged.xml is wrong"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("5", "2", "1"), root.attrib
suites = {s.get("name"): s for s in root.findall("testsuite")}
assert list(suites) == ["unit", "lint", "fine"], list(suites)
unit = suites["unit"].findall("testcase")
assert [c.get("name") for c in unit] == ["adds", "divides", "later"]
f = unit[1].find("failure")
assert f.get("message") == "expected 2, got 3" and "src/calc.test.js:17:5" in f.text
assert unit[1].get("file") == "src/calc.test.js" and unit[1].get("line") == "17"
lint = suites["lint"].findall("testcase")
assert len(lint) == 1 and lint[0].get("name") == "lint"
lf = lint[0].find("failure")
assert lf.get("message").startswith("failed (exit 1)"), lf.get("message")
assert lf.text == 'src/a.js:3: <bad> & "worse"\n', repr(lf.text)
fine = suites["fine"].findall("testcase")
assert len(fine) == 1 and fine[0].find("failure") is None
PY
	# With -C, --junit-out stays relative to where gth-test started.
	cp gth.yaml report.xml sub/
	run gth-test -C sub --gate fine --junit-out from-top.xml
	expect_rc 0
	check test -s from-top.xml
	check test ! -e sub/from-top.xml
}
t "--junit-out merges every gate into one valid report" case_junit_out

case_github_actions() {
	cat >gth.yaml <<'YAML'
test:
  gates:
    - {name: unit, run: "echo unit-output; cp report.xml r.xml", junit: r.xml}
    - {name: lint, run: "exit 3"}
    - {name: docs, run: "exit 1", allow-failure: true}
YAML
	junit_ok >report.xml
	: >gh-out
	: >gh-summary
	GITHUB_ACTIONS=true GITHUB_OUTPUT=$PWD/gh-out GITHUB_STEP_SUMMARY=$PWD/gh-summary run gth-test -j 1
	expect_rc 1
	expect_err_contains "::group::unit: failed (exit 0) in"
	expect_err_contains "::endgroup::"
	expect_err_contains "::error file=src/calc.test.js,line=17,title=unit%3A calc > divides::AssertionError: expected 2, got 3%0A    at Context.<anonymous> (src/calc.test.js:17:5)"
	expect_err_contains "::error title=lint::gate lint failed (exit 3) in"
	expect_err_contains "::warning title=docs::gate docs failed (exit 1) in"
	check grep -qx 'result=failure' gh-out
	check grep -qx 'failed-gates=unit,lint' gh-out
	check grep -qx 'tests=3' gh-out
	check grep -qx 'failed-tests=1' gh-out
	check grep -qF '### gth-test: 0 of 3 gates passed, 1 failed but allowed; failed: unit, lint' gh-summary
	check grep -qF '| unit | ❌ failed | 0 | 3 | 1 | 1 |' gh-summary
	check grep -qF '| docs | ⚠️ failed (allowed) | 1 | – | – | – |' gh-summary
	check grep -qF -- '- `unit` src/calc.test.js:17 **divides**: expected 2, got 3' gh-summary
	# Outside Actions none of it appears.
	run gth-test -j 1
	expect_err_lacks "::"
}
t "GitHub Actions: groups, annotations, outputs and the step summary" case_github_actions

finish
