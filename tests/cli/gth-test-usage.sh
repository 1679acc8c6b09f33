#!/usr/bin/env bash
# gth-test: options, usage errors and where the gates come from.
. "$(dirname "$0")/lib.sh.inc"

gates() { printf 'test:\n  gates:\n    - name: a\n      run: "true"\n    - name: b\n      run: "true"\n' >gth.yaml; }

case_help() {
	run gth-test --help
	expect_rc 0
	expect_out_contains "usage: gth-test [-j N] [--gate NAME]... [--list] [--timeout DUR] [--retries N]"
	expect_out_contains "--junit-out FILE"
	expect_err_empty
}
t "--help prints the usage to stdout" case_help

case_version() {
	run gth-test --version
	expect_rc 0
	expect_out_match '^gth-test [0-9]+\.[0-9]+\.[0-9]+'
}
t "--version" case_version

case_unknown_flag() {
	gates
	run gth-test --bogus
	expect_rc 64
	expect_err_contains "gth-test: error: unknown option '--bogus'"
	expect_err_contains "usage: gth-test"
	expect_out_empty
}
t "an unknown flag is a usage error (64)" case_unknown_flag

case_bad_values() {
	gates
	run gth-test -j 0
	expect_rc 64
	expect_err_contains "--jobs: expected a number from 1 to 1024"
	run gth-test -j many
	expect_rc 64
	run gth-test --retries 101
	expect_rc 64
	run gth-test --timeout soon
	expect_rc 64
	run gth-test --timeout 0
	expect_rc 64
	expect_err_contains "--timeout: expected a duration like 5m"
	run gth-test --junit-out
	expect_rc 64
	run gth-test extra
	expect_rc 64
	expect_err_contains "unexpected argument 'extra'"
}
t "bad option values and operands are usage errors (64)" case_bad_values

case_unknown_gate() {
	gates
	run gth-test --gate a --gate nope
	expect_rc 64
	expect_err_contains "no gate named 'nope' (gates: a, b)"
}
t "--gate naming no gate is a usage error (64)" case_unknown_gate

case_missing_dir() {
	run gth-test -C "$PWD/nowhere"
	expect_rc 66
	expect_err_contains "unable to enter '$PWD/nowhere': No such file or directory"
}
t "-C to a missing folder is 66" case_missing_dir

case_no_gates() {
	run gth-test
	expect_rc 66
	expect_err_contains "no gates:"
	run gth-test --json
	expect_rc 66
	expect_json '.status == "error" and .exit == 66 and (.summary | startswith("no gates"))'
}
t "nothing to run is 66" case_no_gates

case_list() {
	gates
	mkdir sub
	run gth-test --list
	expect_rc 0
	expect_out_eq "a  .            true
b  .            true"
	run gth-test --list --json
	expect_rc 0
	expect_json '.data.origin == "gth.yaml" and ([.data.gates[].name] == ["a","b"]) and .data.gates[0].source == "gth.yaml:3" and .exit == 0'
	# -C runs from another folder; --config stays relative to the start.
	cp gth.yaml other.yaml
	run gth-test -C sub --config other.yaml --list
	expect_rc 0
	expect_out_contains "a  "
}
t "--list prints the gates and runs nothing" case_list

case_detect() {
	cat >package.json <<'JSON'
{"name": "x", "scripts": {"test": "node --test", "lint": "eslint ."}}
JSON
	printf 'all:\n\techo\ncheck test: all\n\techo ok\n' >Makefile
	printf 'cmake_minimum_required(VERSION 3.18)\n' >CMakeLists.txt
	printf 'module example.com/x\n' >go.mod
	printf '[package]\nname = "x"\n' >Cargo.toml
	printf '[tool.pytest.ini_options]\n' >pyproject.toml
	run gth-test --list --json
	expect_rc 0
	expect_json '.data.origin == "detected" and ([.data.gates[].name] == ["test","lint","make-check","ctest","go-test","cargo-test","pytest"])'
	expect_json '.data.gates[3].junit == "build/gth-test/ctest-junit.xml" and .data.gates[1].run == "npm run lint"'
	expect_json '.data.gates[0].source == "package.json" and .data.gates[2].source == "Makefile"'
}
t "gates are detected from the project's files" case_detect

case_detect_some() {
	printf '{"scripts": {"test": "echo \\"Error: no test specified\\" && exit 1"}}' >package.json
	printf 'test:\n\ttrue\n' >Makefile
	printf '[project]\nname = "x"\n' >pyproject.toml
	run gth-test --list
	expect_rc 0
	expect_out_eq "make-test  .            make test"
}
t "npm's placeholder test and a pyproject without pytest are not gates" case_detect_some

case_detect_bad_package() {
	printf '{"scripts": ' >package.json
	run gth-test --list
	expect_rc 65
	expect_err_contains "package.json:1:"
}
t "a broken package.json is bad input (65)" case_detect_bad_package

case_section_without_gates() {
	printf 'test:\n  jobs: 1\n' >gth.yaml
	printf 'check:\n\ttrue\n' >Makefile
	run gth-test --list
	expect_rc 0
	expect_out_eq "make-check  .            make check"
}
t "a test section without gates still detects them" case_section_without_gates

finish
