#!/usr/bin/env bash
# gth-scan fs: walking. .gitignore, --skip, --git-ref, binary and huge files,
# invalid UTF-8, symlink loops and unreadable files.
. "$(dirname "$0")/lib.sh.inc"
SECRET="ghp_$(printf 'Zx9%.0s' $(seq 12))"

case_binary_huge_counted() {
	printf 'GH=%s\n' "$SECRET" >text.txt
	printf 'GH=%s\n\0\1\2' "$SECRET" >bin.dat
	truncate -s 17M huge.log
	head -c 3000 /dev/zero | tr '\0' 'a' >mid.txt
	printf 'scan:\n  max-file-size: 2000\n' >small.yaml
	run gth-scan fs . -v --json
	expect_rc 0
	expect_json '.data.files.scanned == 3 and .data.files.skipped.binary == 1 and .data.files.skipped.huge == 1'
	expect_json '[.data.findings[].path] == ["text.txt"]'
	expect_err_contains "skip bin.dat: binary"
	expect_err_contains "skip huge.log: huge, 17825792 bytes over the limit of 16777216"
	run gth-scan fs . --config small.yaml -v --json
	expect_json '.data.files.scanned == 2 and .data.files.skipped.huge == 2'
	expect_err_contains "skip mid.txt: huge, 3000 bytes over the limit of 2000"
	run gth-scan fs . -q
	expect_err_empty
}
t "binary and huge files are skipped and counted; -v says which" case_binary_huge_counted

case_invalid_utf8() {
	printf '\xff\xfe\xc3(\n api_key = "\xff\xfeQz8Lm2Rx7Tb4Nv1Wc6Yd3"\nGH=%s\n' "$SECRET" >bad.txt
	run gth-scan fs . --json -q
	expect_rc 0
	expect_json '[.data.findings[] | "\(.id):\(.line)"] | sort == ["generic-api-key:2", "github-pat:3"]'
	expect_json '[.data.findings[].match] | sort == ["??Qz…", "ghp_…"]'
}
t "invalid UTF-8 is scanned and reports stay valid UTF-8" case_invalid_utf8

case_symlink_loops() {
	mkdir -p a/b
	printf 'GH=%s\n' "$SECRET" >a/b/s.txt
	ln -s .. a/b/up
	ln -s self1 self2
	ln -s self2 self1
	ln -s missing dangling
	run gth-scan fs . --json
	expect_rc 0
	expect_json '[.data.findings[].path] == ["a/b/s.txt"]'
	expect_json '.data.files.skipped.symlink == 4'
	expect_err_contains "a/b/up: symlink loop, not scanned"
	expect_err_contains "self1: symlink loop, not scanned"
	expect_json '.data.warnings | length == 3'
}
t "symlink loops are reported, not fatal; dangling links are skipped" case_symlink_loops

case_unreadable() {
	printf 'GH=%s\n' "$SECRET" >ok.txt
	printf 'GH=%s\n' "$SECRET" >locked.txt
	mkdir closed
	printf 'x\n' >closed/f.txt
	chmod 000 locked.txt closed
	if [ "$(id -u)" -eq 0 ]; then
		# root reads anything: drop the capabilities that let it.
		run setpriv --bounding-set -dac_override,-dac_read_search gth-scan fs . --json
	else
		run gth-scan fs . --json
	fi
	chmod 755 closed
	expect_rc 0
	expect_json '[.data.findings[].path] == ["ok.txt"] and .data.files.skipped.unreadable == 2'
	expect_err_contains "locked.txt: Permission denied, not scanned"
	expect_err_contains "closed: Permission denied, not scanned"
}
t "unreadable files and folders are reported, not fatal" case_unreadable

case_gitignore_and_skip() {
	git init -q .
	mkdir -p build vendor/x
	printf 'build/\n*.secret\n' >.gitignore
	for f in build/a.txt x.secret vendor/x/v.txt keep.txt; do printf 'GH=%s\n' "$SECRET" >"$f"; done
	run gth-scan fs . --skip 'vendor/**' -v --json
	expect_rc 0
	expect_json '[.data.findings[].path] == ["keep.txt"]'
	expect_err_contains "skip build: ignored, .gitignore"
	expect_err_contains "skip x.secret: ignored, .gitignore"
	expect_err_contains "skip vendor/x: ignored, --skip"
	printf 'scan:\n  skip: ["keep.*"]\n' >gth.yaml
	run gth-scan fs . --skip 'vendor/**' --json -q
	expect_json '.data.findings == []'
}
t ".gitignore (libgit2 rules) and --skip and scan.skip leave files out" case_gitignore_and_skip

case_ignored_root() {
	git init -q .
	printf 'out/\n' >.gitignore
	mkdir -p out/copy
	printf 'GH=%s\n' "$SECRET" >out/copy/a.txt
	run gth-scan fs out/copy --json -v
	expect_rc 0
	expect_json '[.data.findings[].path] == ["a.txt"]'
	expect_err_contains "is ignored by its repository: .gitignore rules not applied"
}
t "a folder named on the command line is scanned even when its repository ignores it" case_ignored_root

case_git_ref() {
	git init -q .
	git config user.email t@example.org
	git config user.name t
	mkdir sub
	printf 'GH=%s\n' "$SECRET" >sub/leak.txt
	printf 'ok\n' >top.txt
	printf 'ok\n' >sub/keep.txt
	git add . && git commit -qm one
	git rm -q sub/leak.txt && git commit -qm two
	run gth-scan fs . --json -q
	expect_json '.data.findings == []'
	run gth-scan fs . --git-ref HEAD~1 --json -q
	expect_rc 0
	expect_json '[.data.findings[] | "\(.path):\(.line)"] == ["sub/leak.txt:1"] and .data.target == ".@HEAD~1"'
	run gth-scan fs sub --git-ref HEAD~1 --format sarif -q
	expect_json '.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri == "sub/leak.txt"'
	run gth-scan fs . --git-ref no-such-ref
	expect_rc 66
	expect_err_contains "unknown revision 'no-such-ref'"
}
t "--git-ref scans a commit's tree without a checkout" case_git_ref

case_lockfiles_with_workers() {
	mkdir -p app/sub
	cp "$GTH_SRC/examples/gatheraa/package-lock.json" app/
	cp "$GTH_SRC/examples/gatheraa/package-lock.json" app/sub/
	for i in $(seq 1 40); do printf 'x%s\n' "$i" >"app/f$i.txt"; done
	printf 'GH=%s\n' "$SECRET" >app/sub/leak.env
	# All scanners: workers scan secrets while the walking thread matches
	# lockfiles; both take the result lock, never one inside the other.
	run timeout 120 gth-scan fs app --offline --db "$PWD/empty.db" --json
	expect_rc 0
	expect_json '.data.files.scanned == 43 and [.data.findings[] | select(.kind == "secret") | .path] == ["sub/leak.env"]'
}
t "lockfiles and secrets scanned together finish (no lock taken twice)" case_lockfiles_with_workers

case_missing_path() {
	run gth-scan fs does-not-exist
	expect_rc 66
	expect_err_contains "cannot scan 'does-not-exist'"
	run gth-scan fs a b
	expect_rc 64
}
t "a missing path is 66, two paths a usage error" case_missing_path

finish
