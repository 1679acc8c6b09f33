#!/usr/bin/env bash
# gth-test: gth.yaml errors, each with its exact message and exit status.
. "$(dirname "$0")/lib.sh.inc"

# bad_config EXPECTED_MESSAGE: gth.yaml already written.
bad_config() {
	run gth-test
	expect_rc 78
	expect_err_eq "gth-test: error: $1"
	expect_out_empty
}

case_bad_duration() {
	cat >gth.yaml <<'YAML'
app: demo
# the gates
test:
  gates:
    - name: lint
      run: "true"
    - name: unit
      run: "true"



      timeout: 5 minutes
YAML
	bad_config "gth.yaml:12: test.gates[1].timeout: expected a duration like 5m"
	run gth-test --json
	expect_rc 78
	expect_json '.status == "error" and .exit == 78 and .summary == "gth.yaml:12: test.gates[1].timeout: expected a duration like 5m"'
}
t "a bad timeout names file, line and key (78)" case_bad_duration

case_config_errors() {
	local yaml msg
	while IFS='|' read -r yaml msg; do
		printf '%b' "$yaml" >gth.yaml
		bad_config "$msg"
	done <<'TABLE'
test: [1, 2]\n|gth.yaml:1: test: expected a mapping
test:\n  gates: {a: 1}\n|gth.yaml:2: test.gates: expected a list of gates
test:\n  gates:\n    - run: "true"\n|gth.yaml:3: test.gates[0]: missing key 'name'
test:\n  gates:\n    - name: a\n|gth.yaml:3: test.gates[0]: missing key 'run'
test:\n  gates:\n    - just a string\n|gth.yaml:3: test.gates[0]: expected a mapping with name and run
test:\n  gates:\n    - name: a b\n      run: x\n|gth.yaml:3: test.gates[0].name: expected a name of letters, digits, '.', '_' or '-'
test:\n  gates:\n    - {name: a, run: x}\n    - {name: a, run: y}\n|gth.yaml:4: test.gates[1].name: duplicate gate name 'a'
test:\n  gates:\n    - {name: a, run: x, dir: nowhere}\n|gth.yaml:3: test.gates[0].dir: no such directory 'nowhere'
test:\n  gates:\n    - {name: a, run: x, retries: -1}\n|gth.yaml:3: test.gates[0].retries: expected a number from 0 to 100
test:\n  gates:\n    - {name: a, run: x, allow-failure: maybe}\n|gth.yaml:3: test.gates[0].allow-failure: expected true or false
test:\n  gates:\n    - {name: a, run: x, env: [A=1]}\n|gth.yaml:3: test.gates[0].env: expected a mapping of NAME: value
test:\n  gates:\n    - {name: a, run: x, env: {1A: x}}\n|gth.yaml:3: test.gates[0].env.1A: invalid variable name '1A'
test:\n  gates:\n    - {name: a, run: x, tap: [1]}\n|gth.yaml:3: test.gates[0].tap: expected true, false or a glob of TAP files
test:\n  gates:\n    - {name: a, run: x, timeot: 5m}\n|gth.yaml:3: test.gates[0].timeot: unknown key 'timeot'
test:\n  jobs: 0\n|gth.yaml:2: test.jobs: expected a number from 1 to 1024
test:\n  timeout: 0s\n|gth.yaml:2: test.timeout: expected a duration like 5m
test:\n  gate: []\n|gth.yaml:2: test.gate: unknown key 'gate'
TABLE
}
t "each bad value of the test section is a 78 with file:line" case_config_errors

case_malformed_yaml() {
	printf 'test:\n  gates:\n    - name: a\n      run: [unclosed\n' >gth.yaml
	run gth-test
	expect_rc 78
	expect_err_match '^gth-test: error: gth.yaml:[0-9]+: '
	printf 'test:\n\tgates: x\n' >gth.yaml
	run gth-test
	expect_rc 78
	expect_err_match '^gth-test: error: gth.yaml:2: '
	printf -- '- a\n- b\n' >gth.yaml
	run gth-test
	expect_rc 78
	expect_err_contains "gth.yaml:1: "
}
t "malformed YAML is a 78 with file:line" case_malformed_yaml

case_missing_config() {
	run gth-test --config nowhere.yaml
	expect_rc 66
	expect_err_eq "gth-test: error: configuration file 'nowhere.yaml' not found"
	GTH_CONFIG=$PWD/also-nowhere.yaml run gth-test
	expect_rc 66
	expect_err_contains "also-nowhere.yaml' not found"
	mkdir dir.yaml
	run gth-test --config dir.yaml
	expect_rc 66
	expect_err_contains "dir.yaml"
}
t "a missing or unreadable config is 66" case_missing_config

case_env_values() {
	printf 'test:\n  gates:\n    - {name: a, run: "true"}\n' >gth.yaml
	GTH_TEST_TIMEOUT=soon run gth-test
	expect_rc 78
	expect_err_eq "gth-test: error: GTH_TEST_TIMEOUT: expected a duration like 5m"
	GTH_TEST_JOBS=0 run gth-test
	expect_rc 78
	expect_err_eq "gth-test: error: GTH_TEST_JOBS: expected a number from 1 to 1024"
	GTH_TEST_RETRIES=x run gth-test
	expect_rc 78
}
t "bad GTH_TEST_* values are 78" case_env_values

case_config_found_at_git_root() {
	git init -q .
	printf 'test:\n  gates:\n    - {name: top, run: "true"}\n' >gth.yaml
	mkdir -p deep/er
	cd deep/er
	run gth-test --list
	expect_rc 0
	expect_out_match '^top +\. +true$'
}
t "gth.yaml at the root of the git work tree is found" case_config_found_at_git_root

finish
