#!/usr/bin/env python3
"""Checks of the pipeline files for tests/cli/pipeline-files.sh.

  pipeline-files.py manifests EXAMPLE_DIR       the Kubernetes and Argo CD manifests
  pipeline-files.py refs EXAMPLE_DIR            what the workflow and gth.yaml name exists
  pipeline-files.py workflow WORKFLOW           permissions, secrets, triggers, jobs
  pipeline-files.py flags WORKFLOW CLI.md BIN   every gth command line of the workflow uses
                                                verbs of CLI.md and flags of the tool's
                                                --help (tools built in BIN) or of CLI.md
  pipeline-files.py readme README CLI.md BIN    the same for the README's sh and yaml blocks
  pipeline-files.py action ACTION DEPS_APT OUT  action.yml's keys; writes OUT, a workflow
                                                holding its steps, for actionlint

Each prints one line per problem and exits 1 when there is one, 0 otherwise.
"""
import os
import re
import shlex
import subprocess
import sys

import yaml

problems = []


def bad(msg):
    problems.append(msg)


def load_all(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def load_one(path):
    docs = load_all(path)
    if len(docs) != 1:
        bad(f"{path}: expected one YAML document, found {len(docs)}")
        return {}
    return docs[0]


def get(d, *keys):
    for k in keys:
        if isinstance(d, dict):
            d = d.get(k)
        elif isinstance(d, list) and isinstance(k, int) and k < len(d):
            d = d[k]
        else:
            return None
    return d


def expect(path, what, got, want):
    if got != want:
        bad(f"{path}: {what} is {got!r}, expected {want!r}")


def k8s_docs(example):
    out = {}
    kdir = os.path.join(example, "infrastructure", "k8s")
    for name in sorted(os.listdir(kdir)):
        if not name.endswith((".yaml", ".yml")):
            continue
        path = os.path.join(kdir, name)
        for d in load_all(path):
            for key in ("apiVersion", "kind", "metadata"):
                if key not in d:
                    bad(f"{path}: a document without {key}")
            out[(d.get("kind"), get(d, "metadata", "name"))] = (path, d)
    return out


def the_rollout(docs):
    rs = [v for k, v in docs.items() if k[0] == "Rollout"]
    if len(rs) != 1:
        bad(f"infrastructure/k8s: expected one Rollout, found {len(rs)}")
        return None, {}
    return rs[0]


def image_repo(image):
    # repository of NAME[:TAG][@DIGEST]: the tag's colon comes after the last slash
    name = image.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    return name[:colon] if colon > slash else name


def check_manifests(example):
    docs = k8s_docs(example)
    rpath, ro = the_rollout(docs)
    if not ro:
        return
    expect(rpath, "apiVersion", ro.get("apiVersion"), "argoproj.io/v1alpha1")
    expect(rpath, "metadata.name", get(ro, "metadata", "name"), "gatheraa-backend")
    ns = get(ro, "metadata", "namespace")
    expect(rpath, "metadata.namespace", ns, "gatheraa")
    for (kind, name), (path, d) in docs.items():
        if get(d, "metadata", "namespace") != ns:
            bad(f"{path}: {kind} {name} is not in namespace {ns}")
    pod_labels = get(ro, "spec", "template", "metadata", "labels") or {}
    sel = get(ro, "spec", "selector", "matchLabels") or {}
    if not sel or any(pod_labels.get(k) != v for k, v in sel.items()):
        bad(f"{rpath}: spec.selector.matchLabels does not match the pod labels")
    canary = get(ro, "spec", "strategy", "canary") or {}
    steps = canary.get("steps") or []
    shape = [sorted(s.keys())[0] if isinstance(s, dict) and len(s) == 1 else repr(s)
             for s in steps]
    expect(rpath, "the canary steps", shape, ["setWeight", "analysis", "pause", "setWeight"])
    if shape == ["setWeight", "analysis", "pause", "setWeight"]:
        expect(rpath, "the first weight", steps[0]["setWeight"], 20)
        expect(rpath, "the last weight", steps[3]["setWeight"], 100)
        tmpl = [t.get("templateName") for t in get(steps[1], "analysis", "templates") or []]
        expect(rpath, "the analysis templates", tmpl, ["success-rate"])
        args = {a.get("name"): a.get("value") for a in get(steps[1], "analysis", "args") or []}
        expect(rpath, "the analysis args", args, {"service-name": canary.get("canaryService")})
    for key in ("canaryService", "stableService"):
        svc = canary.get(key)
        if ("Service", svc) not in docs:
            bad(f"{rpath}: {key} {svc!r} is not a Service of infrastructure/k8s")
        else:
            spath, s = docs[("Service", svc)]
            ssel = get(s, "spec", "selector") or {}
            if not ssel or any(pod_labels.get(k) != v for k, v in ssel.items()):
                bad(f"{spath}: the selector of {svc} does not select the Rollout's pods")
    ing = get(canary, "trafficRouting", "nginx", "stableIngress")
    if ("Ingress", ing) not in docs:
        bad(f"{rpath}: trafficRouting.nginx.stableIngress {ing!r} is not an Ingress")
    else:
        ipath, i = docs[("Ingress", ing)]
        backends = {get(p, "backend", "service", "name")
                    for r in get(i, "spec", "rules") or []
                    for p in get(r, "http", "paths") or []}
        expect(ipath, "the ingress backends", backends, {canary.get("stableService")})
    containers = get(ro, "spec", "template", "spec", "containers") or []
    if not containers:
        bad(f"{rpath}: no containers")
    for c in containers:
        where = f"{rpath}: container {c.get('name')}"
        img = c.get("image", "")
        if ":" not in img.rsplit("/", 1)[-1] or img.endswith(":latest"):
            bad(f"{where}: image {img!r} has no pinned tag")
        sc = c.get("securityContext") or {}
        for key, want in (("runAsNonRoot", True), ("readOnlyRootFilesystem", True),
                          ("allowPrivilegeEscalation", False)):
            expect(where, f"securityContext.{key}", sc.get(key), want)
        for kind in ("requests", "limits"):
            for res in ("cpu", "memory"):
                if not get(c, "resources", kind, res):
                    bad(f"{where}: no resources.{kind}.{res}")
        for probe in ("readinessProbe", "livenessProbe"):
            if not c.get(probe):
                bad(f"{where}: no {probe}")

    apath, at = docs.get(("AnalysisTemplate", "success-rate"), (None, None))
    if not at:
        bad("infrastructure/k8s: no AnalysisTemplate success-rate")
    else:
        expect(apath, "spec.args", [a.get("name") for a in get(at, "spec", "args") or []],
               ["service-name"])
        metrics = get(at, "spec", "metrics") or []
        expect(apath, "the number of metrics", len(metrics), 1)
        if metrics:
            m = metrics[0]
            for key, want in (("interval", "1m"), ("count", 5), ("failureLimit", 1),
                              ("successCondition", "result[0] >= 0.99")):
                expect(apath, key, m.get(key), want)
            prom = get(m, "provider", "prometheus") or {}
            expect(apath, "the Prometheus address", prom.get("address"),
                   "http://prometheus.monitoring:9090")
            q = prom.get("query") or ""
            if q.count("{{args.service-name}}") != 2 or '=~"2.."' not in q or "[2m]" not in q:
                bad(f"{apath}: the query is not the 2xx/total ratio of the service over 2m")

    app_path = os.path.join(example, "infrastructure", "argocd", "application.yaml")
    app = load_one(app_path)
    expect(app_path, "kind", app.get("kind"), "Application")
    expect(app_path, "spec.destination.namespace", get(app, "spec", "destination", "namespace"), ns)
    auto = get(app, "spec", "syncPolicy", "automated") or {}
    expect(app_path, "automated.prune", auto.get("prune"), True)
    expect(app_path, "automated.selfHeal", auto.get("selfHeal"), True)
    src = get(app, "spec", "source", "path") or ""
    if os.path.realpath(os.path.join(example, src)) != os.path.realpath(os.path.dirname(rpath)):
        bad(f"{app_path}: spec.source.path {src!r} is not the folder of the Rollout")


def workflow_env(wf):
    return wf.get("env") or {}


def check_refs(example):
    docs = k8s_docs(example)
    rpath, ro = the_rollout(docs)
    wpath = os.path.join(example, ".github", "workflows", "ci-cd.yaml")
    wf = load_one(wpath)
    env = workflow_env(wf)
    app_path = os.path.join(example, "infrastructure", "argocd", "application.yaml")
    app = load_one(app_path)
    gth = load_one(os.path.join(example, "gth.yaml"))
    if not ro:
        return
    ns = get(ro, "metadata", "namespace")
    expect(wpath, "env.ROLLOUT", env.get("ROLLOUT"), get(ro, "metadata", "name"))
    expect(wpath, "env.NAMESPACE", env.get("NAMESPACE"), ns)
    expect(wpath, "env.ARGOCD_APP", env.get("ARGOCD_APP"), get(app, "metadata", "name"))
    expect(wpath, "env.GITOPS_PATH", env.get("GITOPS_PATH"), get(app, "spec", "source", "path"))
    m = re.search(r"'([^']+)'\s*}}$", str(env.get("IMAGE_REPOSITORY", "")))
    default_repo = m.group(1) if m else env.get("IMAGE_REPOSITORY")
    containers = {c.get("name"): c.get("image", "")
                  for c in get(ro, "spec", "template", "spec", "containers") or []}
    repos = {image_repo(i) for i in containers.values()}
    if default_repo not in repos:
        bad(f"{wpath}: IMAGE_REPOSITORY {default_repo!r} is not the image of {rpath} ({sorted(repos)})")
    text = open(wpath, encoding="utf-8").read()
    for c in re.findall(r"--container\s+(\S+)", text):
        if c not in containers:
            bad(f"{wpath}: --container {c} is not a container of the Rollout")
    for p in re.findall(r"--path\s+(\S+)", text):
        p = env.get(p.strip('"').lstrip("$"), p) if p.strip('"').startswith("$") else p
        if not os.path.isdir(os.path.join(example, p)):
            bad(f"{wpath}: --path {p} is not a folder of the example")
    expect("gth.yaml", "canary.namespace", get(gth, "canary", "namespace"), ns)
    if get(gth, "build", "image") is not None:
        if get(gth, "build", "image") not in repos:
            bad(f"gth.yaml: build.image {get(gth, 'build', 'image')!r} is not the image of {rpath}")
    if get(gth, "canary", "prometheus") is not None:
        at = docs.get(("AnalysisTemplate", "success-rate"), (None, {}))[1]
        expect("gth.yaml", "canary.prometheus", get(gth, "canary", "prometheus"),
               get(at, "spec", "metrics", 0, "provider", "prometheus", "address"))
    for f in re.findall(r"(?:-f|--file)\s+(\S+)", text):
        if not os.path.isfile(os.path.join(example, f)):
            bad(f"{wpath}: -f {f} is not a file of the example")
    gates = {g.get("run") for g in get(gth, "test", "gates") or []}
    pkg = os.path.join(example, "package.json")
    if os.path.exists(pkg):
        import json
        scripts = (json.load(open(pkg, encoding="utf-8")).get("scripts") or {})
        for run in gates:
            mm = re.fullmatch(r"npm (?:run )?(\S+)", run or "")
            if mm and mm.group(1) not in scripts:
                bad(f"gth.yaml: gate '{run}' names no script of package.json")


SECRETS_ALLOWED = {"DOCKERHUB_USERNAME", "DOCKERHUB_TOKEN", "SLACK_WEBHOOK_URL",
                   "GITOPS_TOKEN", "KUBECONFIG", "GITHUB_TOKEN"}
PUSH_JOBS = ["test", "scan", "build", "image-scan", "bump", "canary", "promote",
             "rollback", "notify"]


def check_workflow(wpath):
    wf = load_one(wpath)
    text = open(wpath, encoding="utf-8").read()
    on = wf.get("on", wf.get(True)) or {}
    if "pull_request" not in on or "push" not in on:
        bad(f"{wpath}: not triggered by both pull_request and push")
    expect(wpath, "push branches", get(on, "push", "branches"), ["main"])
    expect(wpath, "top-level permissions", wf.get("permissions"), {})
    jobs = wf.get("jobs") or {}
    expect(wpath, "jobs", list(jobs), PUSH_JOBS)
    for name, job in jobs.items():
        if not isinstance(job.get("permissions"), dict) or not job["permissions"]:
            bad(f"{wpath}: job {name} declares no permissions")
    for name in ("test", "scan"):
        if name in jobs and jobs[name].get("if"):
            bad(f"{wpath}: job {name} must run on pull requests too")
    for name in PUSH_JOBS[2:]:
        job = jobs.get(name) or {}
        cond = str(job.get("if", ""))
        if name == "build" and "push" not in cond:
            bad(f"{wpath}: job build does not run only on push")
    expect(wpath, "scan permissions security-events", get(jobs, "scan", "permissions",
           "security-events"), "write")
    uses = re.findall(r"uses:\s*(\S+)", text)
    if "github/codeql-action/upload-sarif@v3" not in uses:
        bad(f"{wpath}: SARIF is not uploaded to code scanning")
    for s in re.findall(r"secrets\.([A-Za-z_][A-Za-z0-9_]*)", text):
        if s not in SECRETS_ALLOWED:
            bad(f"{wpath}: secret {s} is not one of {sorted(SECRETS_ALLOWED)}")
    for s in ("DOCKERHUB_USERNAME", "DOCKERHUB_TOKEN", "SLACK_WEBHOOK_URL", "GITOPS_TOKEN"):
        if f"secrets.{s}" not in text:
            bad(f"{wpath}: secrets.{s} is never used")
    # the environment variables the tools read for credentials must come from secrets
    for var in ("GTH_REGISTRY_PASSWORD", "GTH_GIT_TOKEN", "SLACK_WEBHOOK_URL", "GITHUB_TOKEN"):
        for m in re.finditer(rf"^\s*{var}:\s*(.*)$", text, re.M):
            if not re.fullmatch(r"\$\{\{\s*secrets\.[A-Z_]+\s*}}", m.group(1).strip()):
                bad(f"{wpath}: {var} is set from {m.group(1)!r}, not from secrets")
    rb = jobs.get("rollback") or {}
    if "failure()" not in str(rb.get("if", "")):
        bad(f"{wpath}: job rollback does not run on failure")
    if not re.search(r"gth-rollback\s+\S+.*--gitops", text):
        bad(f"{wpath}: no gth-rollback --gitops")
    if not re.search(r"gth-canary watch ", text):
        bad(f"{wpath}: no gth-canary watch")
    for stage in ("test", "scan", "build", "image-scan", "bump", "canary", "promote", "rollback"):
        if f"events/{stage}.json" not in text or f"name: event-{stage}" not in text:
            bad(f"{wpath}: the {stage} event is not kept as the artifact event-{stage}")


def gth_commands(script):
    """(tool, words) for every gth-* command in a shell script."""
    script = script.replace("\\\n", " ")
    out = []
    for line in script.splitlines():
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        cur = None
        for w in words:
            if w in ("|", "||", "&&", ";", "then", "do") or w.startswith(">"):
                if cur:
                    out.append(cur)
                cur = None
                continue
            if w.endswith(";"):
                w = w[:-1]
            if cur is None:
                if re.fullmatch(r"(\S*/)?gth-[a-z]+", w) and not w.endswith(".json"):
                    cur = (os.path.basename(w), [])
                continue
            cur[1].append(w)
        if cur:
            out.append(cur)
    return out


COMMON = {"-h", "--help", "--version", "--json", "-q", "--quiet", "-v", "--verbose",
          "--config"}


def cli_sections(cli_md):
    text = open(cli_md, encoding="utf-8").read()
    parts = re.split(r"^## (gth-[a-z]+)", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def help_text(bin_dir, tool, verb, gitops=False):
    exe = os.path.join(bin_dir, tool)
    if not os.access(exe, os.X_OK):
        return None
    if gitops:  # gth-rollback ROLLOUT --gitops has options of its own
        args = [exe, "ROLLOUT", "--gitops", "--help"]
    else:
        args = [exe] + ([verb] if verb else []) + ["--help"]
    p = subprocess.run(args, capture_output=True, text=True, timeout=30)
    return p.stdout + p.stderr


def verbs_of(section, tool):
    return set(re.findall(rf"^{tool} ([a-z][a-z-]+)", section, re.M))


def check_flags(wpath, cli_md, bin_dir):
    wf = load_one(wpath)
    scripts = [(f"{wpath}: job {jname}", step.get("run") or "")
               for jname, job in (wf.get("jobs") or {}).items()
               for step in job.get("steps") or []]
    check_scripts(scripts, cli_md, bin_dir, 10)


def check_readme(readme, cli_md, bin_dir):
    text = open(readme, encoding="utf-8").read()
    blocks = re.findall(r"^```(?:sh|yaml)\n(.*?)^```", text, re.M | re.S)
    scripts = []
    for b in blocks:
        # a yaml block's run: lines are shell too
        lines = [re.sub(r"^\s*-?\s*run:\s*", "", l) for l in b.splitlines()]
        scripts.append((readme, "\n".join(lines)))
    check_scripts(scripts, cli_md, bin_dir, 10)


def check_scripts(scripts, cli_md, bin_dir, at_least):
    sections = cli_sections(cli_md)
    n = 0
    for origin, script in scripts:
            for tool, words in gth_commands(script):
                n += 1
                where = f"{origin}: {tool} {' '.join(words)}"
                sec = sections.get(tool)
                if sec is None:
                    bad(f"{where}: {tool} is not in CLI.md")
                    continue
                verbs = verbs_of(sec, tool)
                verb = words[0] if words and words[0] in verbs else None
                if verbs and verb is None and not (tool == "gth-rollback" and "--gitops" in words):
                    bad(f"{where}: no verb of {sorted(verbs)}")
                helptext = help_text(bin_dir, tool, verb,
                                     tool == "gth-rollback" and verb is None and "--gitops" in words)
                for w in words:
                    if not w.startswith("-") or w == "-":
                        continue
                    flag = w.split("=", 1)[0]
                    if flag in COMMON:
                        continue
                    pat = rf"(?<![\w-]){re.escape(flag)}(?![\w-])"
                    # a tool on main is checked against its own --help (CLI.md plus
                    # what it added); one not built yet against CLI.md
                    if helptext is not None:
                        if not re.search(pat, helptext):
                            bad(f"{where}: {flag} is not in '{tool} {verb or ''} --help'")
                    elif not re.search(pat, sec):
                        bad(f"{where}: {flag} is not in CLI.md's {tool}")
    if n < at_least:
        bad(f"only {n} gth command lines found")


def check_action(apath, deps_apt, out):
    act = load_one(apath)
    for key in ("name", "description", "runs"):
        if not act.get(key):
            bad(f"{apath}: no {key}")
    runs = act.get("runs") or {}
    expect(apath, "runs.using", runs.get("using"), "composite")
    steps = runs.get("steps") or []
    text = open(apath, encoding="utf-8").read()
    for i, s in enumerate(steps):
        if "run" in s and not s.get("shell"):
            bad(f"{apath}: step {i + 1} runs a script without shell (composite steps need one)")
        if "run" not in s and "uses" not in s:
            bad(f"{apath}: step {i + 1} has neither run nor uses")
    if not any(str(s.get("uses", "")).startswith("actions/cache@") for s in steps):
        bad(f"{apath}: the build is not cached with actions/cache")
    if "GITHUB_PATH" not in text:
        bad(f"{apath}: the tools are not added to GITHUB_PATH")
    if "cmake --build" not in text or "cmake --install" not in text:
        bad(f"{apath}: does not build and install with cmake")
    deps = {l.strip() for l in open(deps_apt, encoding="utf-8")
            if l.strip() and not l.startswith("#")}
    m = re.search(r"apt-get install[^\n]*\\\n((?:.*\\\n)*.*)", text)
    pkgs = set(m.group(1).replace("\\", " ").split()) if m else set()
    if not pkgs:
        bad(f"{apath}: no apt-get install of the build dependencies")
    for p in sorted(pkgs - deps):
        bad(f"{apath}: package {p} is not in scripts/deps.apt")
    for p in sorted(d for d in deps if d.startswith("lib") and d.endswith("-dev")
                    and d != "libcmocka-dev"):
        if p not in pkgs:
            bad(f"{apath}: build dependency {p} of scripts/deps.apt is not installed")
    # actionlint checks workflows only: give it the action's steps as a reusable
    # workflow whose inputs are the action's inputs.
    inputs = {k: {"type": "string", "required": False, "default": str(v.get("default", ""))}
              for k, v in (act.get("inputs") or {}).items()}
    wf = {"name": "action-steps",
          "on": {"workflow_call": {"inputs": inputs}},
          "permissions": {},
          "jobs": {"action": {"runs-on": "ubuntu-24.04", "steps": steps}}}
    with open(out, "w", encoding="utf-8") as f:
        yaml.safe_dump(wf, f, sort_keys=False)


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 64
    cmd, args = sys.argv[1], sys.argv[2:]
    try:
        if cmd == "manifests":
            check_manifests(*args)
        elif cmd == "refs":
            check_refs(*args)
        elif cmd == "workflow":
            check_workflow(*args)
        elif cmd == "flags":
            check_flags(*args)
        elif cmd == "readme":
            check_readme(*args)
        elif cmd == "action":
            check_action(*args)
        else:
            print(__doc__, file=sys.stderr)
            return 64
    except (OSError, yaml.YAMLError) as e:
        bad(str(e))
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
