#!/usr/bin/env bash
# gth-bump changes only the bytes of the values it bumps: golden files full of
# comments, blank lines, "---", quotes, flow collections, CRLF and anchors.
. "$(dirname "$0")/lib.sh.inc"
. "$GTH_SRC/tests/servers/git.sh"
G=$GTH_SRC/tests/fixtures/gth-bump/golden
git_identity

seed() {
	mkdir -p seed
	for f in "$G"/*.in.yaml; do cp "$f" "seed/$(basename "$f" .in.yaml).yaml"; done
	git_bare "$PWD/gitops.git" "$PWD/seed"
}

case_golden() {
	seed
	run gth-bump --image ghcr.io/acme/api:v2.0.0 --repo "file://$PWD/gitops.git" --json
	expect_rc 0
	for f in "$G"/*.out.yaml; do
		b=$(basename "$f" .out.yaml)
		git_show gitops.git "main:$b.yaml" >"got-$b.yaml"
		expect_file_eq "got-$b.yaml" "$f"
	done
	expect_json '.data.pushed == true and .data.attempts == 1 and (.data.changes | length) == 13'
	expect_json '[.data.changes[] | select(.file == "workloads.yaml") | .line] == [17, 21, 25, 48, 59]'
	expect_json '.data.changes[0] == {"file": "crlf.yaml", "line": 11, "old": "ghcr.io/acme/api:v1.0.0", "new": "ghcr.io/acme/api:v2.0.0"}'
	check [ "$(git_count gitops.git)" = 2 ]
	# a second run finds nothing to do: success, no commit
	run gth-bump --image ghcr.io/acme/api:v2.0.0 --repo "file://$PWD/gitops.git" --json
	expect_rc 0
	expect_json '.data.commit == null and .data.changes == [] and .data.pushed == false'
	check [ "$(git_count gitops.git)" = 2 ]
}
t "only value bytes change; a re-run commits nothing" case_golden

case_digest_pin() {
	seed
	d=sha256:$(printf 'ab%.0s' {1..32})
	run gth-bump --image "ghcr.io/acme/api:v2.0.0@$d" --repo "file://$PWD/gitops.git" \
		--path workloads.yaml --path kustomization.yaml
	expect_rc 0
	git_show gitops.git main:workloads.yaml >got.yaml
	sed "s|ghcr.io/acme/api:v1.0.0|ghcr.io/acme/api:v2.0.0@$d|; s|ghcr.io/acme/api@sha256:0*|ghcr.io/acme/api:v2.0.0@$d|; s|ghcr.io/acme/api:v0.9.0|ghcr.io/acme/api:v2.0.0@$d|" \
		"$G/workloads.in.yaml" >want.yaml
	expect_file_eq got.yaml want.yaml
	git_show gitops.git main:kustomization.yaml >got-k.yaml
	check grep -qx "    digest: $d" got-k.yaml
	check grep -qx "  - {name: api-alias, newName: ghcr.io/acme/api, newTag: v2.0.0, digest: $d}" got-k.yaml
	# the files outside --path stay
	git_show gitops.git main:values.yaml >got-v.yaml
	expect_file_eq got-v.yaml "$G/values.in.yaml"
}
t "a digest pins repo:tag@digest; --path limits the files" case_digest_pin

case_container() {
	seed
	run gth-bump --image ghcr.io/acme/api:v3 --repo "file://$PWD/gitops.git" --container migrate \
		--path workloads.yaml --json
	expect_rc 0
	expect_json '[.data.changes[].line] == [17]'
}
t "--container narrows to one container" case_container

case_docker_hub() {
	seed
	run gth-bump --image docker.io/library/nginx:1.27 --repo "file://$PWD/gitops.git" --json
	expect_rc 0
	expect_json '[.data.changes[] | "\(.file):\(.line):\(.new)"] == ["crlf.yaml:13:nginx:1.27", "kustomization.yaml:12:1.27", "values.yaml:13:1.27"]'
	git_show gitops.git main:values.yaml >got.yaml
	check grep -qF '  image: {repository: nginx, tag: "1.27"}' got.yaml
}
t "nginx matches docker.io/library/nginx, spelling kept" case_docker_hub

case_dry_run() {
	seed
	run gth-bump --image ghcr.io/acme/api:v2.0.0 --repo "file://$PWD/gitops.git" --dry-run \
		--path values.yaml
	expect_rc 0
	expect_out_contains '--- a/values.yaml'
	expect_out_contains '-  tag: "v1.0.0"        # set by CI'
	expect_out_contains '+  tag: "v2.0.0"        # set by CI'
	expect_out_contains "+    tag: 'v2.0.0'"
	check [ "$(grep -c '^[-+] ' "$OUT")" = 4 ]
	expect_err_contains 'dry run: 2 changes, nothing committed'
	check [ "$(git_count gitops.git)" = 1 ]
}
t "--dry-run prints a unified diff and commits nothing" case_dry_run

finish
