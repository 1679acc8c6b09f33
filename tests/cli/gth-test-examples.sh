#!/usr/bin/env bash
# gth-test on the example service, and the EXAMPLES of gth-test(1) run as written.
. "$(dirname "$0")/lib.sh.inc"

command -v node >/dev/null || { echo "node is missing"; exit 1; }

copy_example() {
	mkdir -p examples
	cp -r "$GTH_SRC/examples/gatheraa" examples/
	rm -rf examples/gatheraa/reports examples/gatheraa/node_modules
}

case_man_examples() {
	copy_example
	awk '/^\.Sh EXAMPLES/{f=1} /^\.Sh SEE ALSO/{f=0} f' "$GTH_SRC/man/gth-test.1" |
		awk '/^\.Bd -literal/{b=1; n++; next} /^\.Ed/{b=0; next} b{print > ("example" n ".sh")}'
	check test -s example3.sh
	local ex
	for ex in example*.sh; do
		sed -i 's/\\e/\\/g; s/\\-/-/g' "$ex"
		rc=0
		bash -o pipefail "$ex" >"$OUT" 2>"$ERR" </dev/null || rc=$?
		[ "$rc" -eq 0 ] || _fail "$(cat "$ex") exited $rc"
	done
	check test -s junit.xml
	python3 -c 'import sys, xml.etree.ElementTree as ET; r = ET.parse("junit.xml").getroot(); assert r.get("failures") == "0" and int(r.get("tests")) > 5, r.attrib'
}
t "the EXAMPLES of gth-test(1) run" case_man_examples

case_gatheraa() {
	copy_example
	run gth-test -C examples/gatheraa --json
	expect_rc 0
	expect_json '.app == "gatheraa-backend" and ([.data.gates[] | [.name, .status]] == [["unit","passed"],["lint","passed"]])'
	expect_json '.data.gates[0].tests.total == 9 and .data.gates[0].tests.failed == 0 and .data.gates[0].report_problems == []'
	expect_err_contains "lint: 5 files, 0 problems"
}
t "the example service's gates pass" case_gatheraa

case_gatheraa_failing() {
	copy_example
	cat >examples/gatheraa/test/broken.test.js <<'JS'
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');

test('a broken expectation', () => {
  assert.equal(1 + 1, 3);
});
JS
	printf 'var x = 1;\n' >examples/gatheraa/src/sloppy.js
	run gth-test -C examples/gatheraa --json
	expect_rc 1
	expect_json '[.data.gates[] | .status] == ["failed","failed"]'
	expect_json '.data.gates[1].exit == 1'
	expect_json '.data.gates[0].failures == [{"name":"a broken expectation","classname":"test","file":"test/broken.test.js","line":7,"message":"Expected values to be strictly equal:2 !== 3"}]'
	expect_err_contains "src/sloppy.js:1:1: var; use const or let"
}
t "a failing test and a lint problem fail the example's gates with file and line" case_gatheraa_failing

finish
