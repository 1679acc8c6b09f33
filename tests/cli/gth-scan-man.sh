#!/usr/bin/env bash
# man/gth-scan.1: lists every rule and check id, and its EXAMPLES run.
. "$(dirname "$0")/lib.sh.inc"
PAGE=$GTH_SRC/man/gth-scan.1

case_every_id_in_man() {
	run gth-scan fs --list-rules
	expect_rc 0
	missing=0
	for id in $(cut -f1 "$OUT"); do
		grep -qx "\.It Li $id" "$PAGE" || { echo "not in the man page: $id"; missing=1; }
	done
	check test "$missing" -eq 0
	check test "$(grep -c '^\.It Li ' "$PAGE")" -ge "$(wc -l <"$OUT")"
}
t "the man page lists every rule id and check id" case_every_id_in_man

case_examples_run() {
	git init -q .
	git config user.email t@example.org
	git config user.name t
	printf 'GH=ghp_%s\n' "$(printf 'Pl0%.0s' $(seq 12))" >leak.env
	git add . && git commit -qm one
	git rm -q leak.env
	printf 'FROM debian:12\nRUN true\n' >Dockerfile
	git add . && git commit -qm two
	cp "$GTH_SRC/tests/fixtures/gth-scan/trivy-report.json" trivy.json
	export XDG_CACHE_HOME=$PWD/cache
	cp -r "$GTH_SRC/tests/fixtures/gth-scan/osv" osv-records
	python3 "$GTH_SRC/tests/fixtures/gth-scan/image/mkimage.py" \
		"$GTH_SRC/tests/fixtures/gth-scan/image/debian.json" build/image
	awk '/^\.Sh EXAMPLES/{e=1;next} /^\.Sh/{e=0} e&&/^\.Bd/{b=1;next} e&&/^\.Ed/{b=0;next} e&&b{print}' \
		"$PAGE" >examples.txt
	check test "$(wc -l <examples.txt)" -eq 8
	want=(1 0 0 0 1 0 0 1)
	i=0
	while IFS= read -r cmd; do
		rc=0
		eval "$cmd" >"ex$i.out" 2>"ex$i.err" || rc=$?
		[ "$rc" -eq "${want[$i]}" ] || { cat "ex$i.err"; _fail "example '$cmd': exit $rc, expected ${want[$i]}"; }
		i=$((i + 1))
	done <examples.txt
	check grep -q 'GTH-DF-001' ex0.out
	check jq -e '.runs[0].results | length == 1' gth-scan.sarif
	check grep -q 'leak.env:1' ex2.out
	check grep -q 'ghp_…' ex2.out
	check grep -q '^aws-access-key-id' ex3.out
	check grep -q 'gate at CRITICAL: \*\*failed\*\*' ex4.out
	check grep -q 'imported 8 records from osv-records' ex5.err
	check grep -q '^records    8$' ex6.out
	check grep -q 'openssl 3.0.11-1~deb12u1 -> 1:3.0.11-1~deb12u2' ex7.out
	check grep -q 'github-pat  *app/config/leak.env:1' ex7.out
}
t "the EXAMPLES of the man page run as documented" case_examples_run

finish
