#!/usr/bin/env bash
# gth-test: running gates: results, parallel output, timeouts that kill the whole
# process group, output caps, retries, interruption.
. "$(dirname "$0")/lib.sh.inc"

# pid_gone PID: the process no longer exists (a zombie counts as gone).
pid_gone() {
	local st
	[ -r "/proc/$1/stat" ] || return 0
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || return 0
	[ -z "$st" ] || [ "$st" = Z ] || [ "$st" = X ]
}

case_pass_fail() {
	cat >gth.yaml <<'YAML'
test:
  gates:
    - name: ok
      run: echo fine
    - name: bad
      run: echo broken; exit 3
    - name: allowed
      run: exit 4
      allow-failure: true
YAML
	run gth-test -j 3
	expect_rc 1
	expect_err_contains "gth-test: ok: passed in"
	expect_err_contains "gth-test: error: bad: failed (exit 3) in"
	expect_err_contains "gth-test: warning: allowed: failed (exit 4) in"
	expect_err_contains "(allowed to fail)"
	expect_err_contains "gth-test: error: 1 of 3 gates passed, 1 failed but allowed; failed: bad"
	expect_err_match '^bad +failed +3 +- +- +- +[0-9.]+m?s$'
	expect_out_empty
	run gth-test --json
	expect_rc 1
	expect_json '.status == "failure" and .exit == 1 and .tool == "gth-test"'
	expect_json '[.data.gates[] | [.name, .status, .exit]] == [["ok","passed",0],["bad","failed",3],["allowed","failed",4]]'
	expect_json '.data.gates[2].allow_failure == true and .data.gates[0].tests == {"total":0,"failed":0,"skipped":0}'
	expect_json '.data.gates[0] | (.duration_ms | type) == "number" and .attempts == 1 and .failures == [] and .output_dropped == 0'
	run gth-test --gate ok --gate allowed --json
	expect_rc 0
	expect_json '.status == "success" and ([.data.gates[].name] == ["ok","allowed"]) and .summary == "1 of 2 gates passed, 1 failed but allowed"'
}
t "exit statuses of gates decide the run; allow-failure does not fail it" case_pass_fail

case_not_found() {
	printf 'test:\n  gates:\n    - name: missing\n      run: gth-no-such-command --flag\n' >gth.yaml
	run gth-test --json
	expect_rc 1
	expect_json '.data.gates[0].status == "failed" and .data.gates[0].exit == 127'
	expect_err_contains "gth-no-such-command"
	expect_err_contains "not found"
}
t "a gate command that does not exist fails the gate with 127" case_not_found

case_whole_output() {
	# Two gates writing at the same time, line by line: each block comes out whole.
	cat >gth.yaml <<'YAML'
test:
  gates:
    - name: one
      run: for i in 1 2 3 4 5; do echo "one-$i"; sleep 0.05; done
    - name: two
      run: for i in 1 2 3 4 5; do echo "two-$i" >&2; sleep 0.05; done
YAML
	run gth-test -j 2
	expect_rc 0
	grep -E '^(one|two)-[0-9]$' "$ERR" >lines
	check test "$(grep -n one- lines | cut -d: -f1 | tr '\n' ' ')" = "1 2 3 4 5 " -o \
		"$(grep -n one- lines | cut -d: -f1 | tr '\n' ' ')" = "6 7 8 9 10 "
	check test "$(grep -c . lines)" = 10
	grep -A5 'gth-test: one: passed' "$ERR" | tail -5 >block
	printf 'one-%s\n' 1 2 3 4 5 >want
	expect_file_eq block want
}
t "each gate's output is printed whole, never interleaved" case_whole_output

case_parallel() {
	cat >gth.yaml <<'YAML'
test:
  gates:
    - {name: a, run: sleep 2}
    - {name: b, run: sleep 2}
    - {name: c, run: sleep 2}
YAML
	local start end
	# Wide margins: one after another would take 6 s, at once 2 s.
	start=$(date +%s%N)
	run gth-test -j 3
	end=$(date +%s%N)
	expect_rc 0
	check test $(( (end - start) / 1000000 )) -lt 5000
	start=$(date +%s%N)
	run gth-test -j 1 --gate a --gate b
	end=$(date +%s%N)
	expect_rc 0
	check test $(( (end - start) / 1000000 )) -ge 4000
}
t "-j runs gates at the same time, -j 1 one after another" case_parallel

case_timeout_kills_group() {
	# The gate's shell and its grandchild both ignore SIGTERM: only SIGKILL of the
	# whole group ends them, after the grace period.
	cat >gth.yaml <<'YAML'
test:
  grace: 500ms
  gates:
    - name: stuck
      run: |
        trap '' TERM
        sh -c 'trap "" TERM; echo $$ > grandchild.pid; exec sleep 60' &
        echo started
        wait
      timeout: 1s
YAML
	run gth-test --json
	expect_rc 1
	expect_json '.data.gates[0].status == "timeout" and .data.gates[0].exit == 137'
	expect_json '.data.gates[0].duration_ms >= 1400 and .data.gates[0].duration_ms < 5000'
	expect_err_contains "gth-test: error: stuck: timed out after 1.0s"
	expect_err_contains "started"
	local pid
	pid=$(cat grandchild.pid)
	check test -n "$pid"
	for _ in 1 2 3 4 5 6 7 8 9 10; do pid_gone "$pid" && break; sleep 0.2; done
	check pid_gone "$pid"
}
t "a gate past its timeout dies with its grandchildren, even those ignoring SIGTERM" case_timeout_kills_group

case_timeout_flag_overrides() {
	printf 'test:\n  gates:\n    - {name: slow, run: sleep 30, timeout: 1h}\n' >gth.yaml
	run gth-test --timeout 300ms --json
	expect_rc 1
	expect_json '.data.gates[0].status == "timeout" and .data.gates[0].exit == 143'
	GTH_TEST_TIMEOUT=200ms run gth-test --json
	expect_rc 1
	expect_json '.data.gates[0].status == "timeout"'
}
t "--timeout and GTH_TEST_TIMEOUT override gth.yaml" case_timeout_flag_overrides

case_leftovers_stopped() {
	printf 'test:\n  gates:\n    - name: bg\n      run: sleep 60 & echo $! > bg.pid; echo done\n' >gth.yaml
	local start end pid
	start=$(date +%s%N)
	run gth-test
	end=$(date +%s%N)
	expect_rc 0
	check test $(( (end - start) / 1000000 )) -lt 4000
	pid=$(cat bg.pid)
	for _ in 1 2 3 4 5 6 7 8 9 10; do pid_gone "$pid" && break; sleep 0.2; done
	check pid_gone "$pid"
}
t "what a gate leaves running is stopped when it ends" case_leftovers_stopped

case_huge_output() {
	cat >gth.yaml <<'YAML'
test:
  gates:
    - name: flood
      run: head -c 100000000 /dev/zero | tr '\0' x; echo; echo the end
YAML
	/usr/bin/time -f '%M' -o rss.kb gth-test --json >"$OUT" 2>"$ERR" </dev/null && rc=0 || rc=$?
	expect_rc 0
	expect_json '.data.gates[0].status == "passed" and .data.gates[0].output_dropped == 100000009 - 1048576'
	expect_err_contains "gth-test: warning: flood: output capped: $((100000009 - 1048576)) bytes dropped here"
	check test "$(wc -c <"$ERR")" -lt 1200000
	# The head and the tail are kept: the end of a log says most.
	check test "$(tail -c 5000 "$ERR" | grep -c '^the end$')" = 1
	# Peak memory stays far below the 100 MB the gate wrote.
	check test "$(tail -1 rss.kb)" -lt 60000
	printf 'test:\n  max-output: 2048\n  gates:\n    - {name: f, run: "seq 1 100000"}\n' >gth.yaml
	run gth-test --json
	expect_rc 0
	expect_json '.data.gates[0].output_dropped == (588895 - 2048)'
	expect_err_contains "gth-test: warning: f: output capped: $((588895 - 2048)) bytes dropped here"
	check grep -qx 100000 "$ERR"
	check grep -qx 1 "$ERR"
}
t "a gate writing 100 MB is capped, counted, and costs no memory" case_huge_output

case_retries() {
	cat >gth.yaml <<'YAML'
test:
  gates:
    - name: flaky
      run: n=$(cat count 2>/dev/null || echo 0); echo $((n + 1)) > count; [ "$n" -ge 2 ]
      retries: 2
    - name: hopeless
      run: exit 5
      retries: 1
YAML
	run gth-test --json
	expect_rc 1
	expect_json '.data.gates[0] | .status == "passed" and .attempts == 3'
	expect_json '.data.gates[1] | .status == "failed" and .attempts == 2 and .exit == 5'
	expect_err_contains "gth-test: warning: flaky: failed (exit 1)"
	expect_err_contains "retrying (attempt 2 of 3)"
	expect_err_contains "retrying (attempt 3 of 3)"
	rm count
	run gth-test --retries 0 --gate flaky --json
	expect_rc 1
	expect_json '.data.gates[0].attempts == 1'
}
t "failing gates are retried; --retries overrides" case_retries

case_dir_env() {
	git init -q .
	mkdir -p sub/dir
	cat >gth.yaml <<'YAML'
test:
  gates:
    - name: where
      dir: sub/dir
      run: echo "in=$(basename "$PWD") gate=$GTH_TEST_GATE mode=$MODE x=$X"
      env:
        MODE: test
        X: "a b"
YAML
	cd sub
	run gth-test
	expect_rc 0
	expect_err_contains "in=dir gate=where mode=test x=a b"
}
t "dir is relative to gth.yaml; env and GTH_TEST_GATE are set" case_dir_env

case_interrupt() {
	cat >gth.yaml <<'YAML'
test:
  jobs: 1
  gates:
    - name: long
      run: echo $$ > long.pid; sleep 60
    - name: never
      run: touch ran
YAML
	gth-test --json >"$OUT" 2>"$ERR" </dev/null &
	local pid=$! gate
	for _ in $(seq 50); do [ -s long.pid ] && break; sleep 0.1; done
	gate=$(cat long.pid)
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	expect_rc 2
	expect_json '.status == "inconclusive" and ([.data.gates[].status] == ["not-run","not-run"])'
	expect_err_contains "gth-test: error: interrupted"
	check test ! -e ran
	check pid_gone "$gate"
}
t "SIGTERM stops the running gates, starts no more, exits 2" case_interrupt

case_quiet() {
	printf 'test:\n  gates:\n    - {name: ok, run: echo quiet-ok}\n    - {name: bad, run: echo loud-bad; false}\n' >gth.yaml
	run gth-test -q
	expect_rc 1
	expect_err_lacks "quiet-ok"
	expect_err_lacks "GATE"
	expect_err_contains "loud-bad"
	expect_err_contains "gth-test: error: 1 of 2 gates passed; failed: bad"
}
t "-q prints only what failed" case_quiet

case_binary_output() {
	printf 'test:\n  gates:\n    - {name: bin, run: "printf \x27before\\\\000after\x27"}\n' >gth.yaml
	run gth-test
	expect_rc 0
	tr '\000' @ <"$ERR" | grep -q '^before@after$' || _fail "the NUL byte was lost"
	check test "$(grep -ac after "$ERR")" = 1
}
t "output with NUL bytes is printed whole" case_binary_output

finish
