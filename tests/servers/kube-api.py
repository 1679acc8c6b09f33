#!/usr/bin/env python3
"""A small local Kubernetes API server for tests and the demo (python3 stdlib only).

It is not a cluster: it stores objects in memory and speaks the parts of the API
that gth-canary and gth-rollback use, exactly as the API conventions say, and it
can play Argo CD and Argo Rollouts controllers from a JSON script.

usage: kube-api.py --port-file FILE [--log REQ.jsonl] [--objects OBJS.json]
                   [--script SCRIPT.json] [--token TOKEN] [--no-status-subresource PLURAL]...
                   [--bookmark-interval SEC] [--watch-timeout SEC] [--forbid REGEX] [--conflicts N]
                   [--tls-cert C --tls-key K [--client-ca CA]]
                   [--pid-file FILE]

  --port-file F     serve on 127.0.0.1 at an ephemeral port, written to F when ready
  --log F           append every request as one JSON line: {"method","path","query"
                    (a dict of lists),"content_type","body" (text),"auth" ("bearer",
                    "basic" or null),"watch" (bool),"status","t"}
  --objects F       a JSON array (or {"items": [...]}) of objects to start with; each
                    needs apiVersion, kind, metadata.name (and metadata.namespace for
                    namespaced kinds); resourceVersion, generation, uid are assigned
  --script F        a controller script run in a thread once the server listens:
                    {"steps": [STEP, ...]}; steps below
  --token T         require "Authorization: Bearer T" (401 Status otherwise)
  --no-status-subresource P   the resource P (e.g. rollouts) has no status
                    subresource, like CRDs of Argo Rollouts before v0.10: PATCH
                    .../P/NAME/status answers 404 and a PATCH of the object may
                    change its status
  --watch-timeout S end every watch stream after at most S seconds, as API servers
                    do (clients resume from the last resourceVersion)
  --bookmark-interval S  send a BOOKMARK every S seconds on watches that allow
                    them (default 1)
  --forbid RE       requests whose path matches RE get 403 Forbidden
  --conflicts N     the first N PATCH/PUT requests answer 409 Conflict, as when
                    another writer changed the object in between (the object
                    gets a new resourceVersion each time)
  --tls-cert/--tls-key  serve HTTPS
  --client-ca F     with TLS, require a client certificate signed by F

API served (namespaced paths /api/v1/namespaces/NS/P[/NAME] and
/apis/GROUP/VERSION/namespaces/NS/P[/NAME], plus cluster-scoped ones):
  GET object, GET list (fieldSelector=metadata.name=X, labelSelector ignored)
  GET ?watch=1[&resourceVersion=RV][&allowWatchBookmarks=true][&timeoutSeconds=N]
      newline-delimited {"type","object"} events over chunked HTTP/1.1; without
      resourceVersion (or "0") every existing object comes first as ADDED; a
      resourceVersion older than the kept history gets an ERROR event with a 410
      Status ("too old resource version") and the stream ends
  PATCH object or object/status with Content-Type exactly
      application/merge-patch+json (RFC 7386) or application/json-patch+json
      (RFC 6902: add remove replace move copy test); anything else 415.
      metadata.resourceVersion in the patched result that differs from the stored
      one is a 409 Conflict; a failed "test" op is 422. The status subresource
      keeps spec and metadata, the object endpoint keeps status (unless
      --no-status-subresource). metadata.generation grows when spec changes.
  PUT object (409 when metadata.resourceVersion is stale), POST collection,
  DELETE object. Errors are Status objects with kind, status, message, reason, code.

Script steps (run in order):
  {"sleep": SEC}
  {"patch": {"resource": "rollouts", "namespace": NS, "name": N, "merge": {...}}}
      merge into the object as a controller would (status included)
  {"wait": {"resource":..., "namespace":..., "name":..., "path": "spec.paused",
            "equals": VALUE | "absent": true, "timeout": SEC}}
  {"wait_request": {"method": "PATCH", "path_re": REGEX, "watch": BOOL, "new": BOOL,
                    "timeout": SEC}}
      until such a request has been received (since the server started, or since
      this step with "new"); "watch" tells watch requests from lists
  {"expire_watches": true}   every open watch gets ERROR 410 and history is dropped
  {"application": {"namespace": NS, "name": N, "revision": SHA,
                   "wait_refresh": false, "delay": SEC}}
      plays Argo CD syncing the Application to revision: (waits for the
      argocd.argoproj.io/refresh annotation and removes it when wait_refresh) ->
      OutOfSync/Running -> Synced/Succeeded, health Healthy; "apply": [{"resource",
      "namespace", "name", "merge"}] are applied just before Succeeded (the
      manifests the sync changes, e.g. a Rollout's pod template)
  {"rollout": {"namespace": NS, "name": N, "delay": SEC, "abort_at": STEP,
               "abort_message": TEXT, "new_revision": true}}
      plays the Argo Rollouts controller through spec.strategy.canary.steps:
      a generation not yet observed (a sync changed the spec) or new_revision
      (default true) starts a new revision with a new pod template hash; setWeight
      sets status.canary weights; pause {} adds a CanaryPauseStep pause condition
      and controllerPause and waits for it to be cleared (a promote), pause with a
      duration waits it out; analysis creates an AnalysisRun (Running, then
      Successful with one measurement [0.999]);
      status.promoteFull jumps to the end; at abort_at, or when a client sets
      status.abort, the rollout aborts
      (Degraded, RolloutAborted condition); at the end stableRS = currentPodHash
      and the phase is Healthy.
  {"exit": true}             stop the server
"""
import argparse
import copy
import json
import os
import re
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Condition()
STORE = {}          # (prefix, ns, plural, name) -> object
HISTORY = []        # (rv, type, key, object)
STATE = {"rv": 100, "epoch": 0, "uid": 0, "oldest": 0}
REQUESTS = []       # (method, path) for wait_request
ARGS = None
LOG_LOCK = threading.Lock()

KINDS = {}          # plural -> kind, filled from objects


def now_rfc3339():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def plural_of(kind):
    k = kind.lower()
    if k.endswith("s"):
        return k + "es"
    if k.endswith("y"):
        return k[:-1] + "ies"
    return k + "s"


def prefix_of(api_version):
    return "/api/v1" if api_version == "v1" else "/apis/" + api_version


def status_obj(code, reason, message, details=None):
    st = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
          "message": message, "reason": reason, "code": code}
    if details:
        st["details"] = details
    return st


def parse_path(path):
    """(prefix, ns, plural, name, sub) or None."""
    parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/")]
    if len(parts) >= 2 and parts[0] == "api":
        prefix, rest = "/api/" + parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        prefix, rest = "/apis/%s/%s" % (parts[1], parts[2]), parts[3:]
    else:
        return None
    ns = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        ns, rest = rest[1], rest[2:]
    if not rest:
        return None
    plural = rest[0]
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    if len(rest) > 3:
        return None
    return prefix, ns, plural, name, sub


def group_of(prefix):
    return "" if prefix.startswith("/api/") else prefix.split("/")[2]


def record(entry):
    if not ARGS.log:
        return
    with LOG_LOCK:
        with open(ARGS.log, "a") as f:
            f.write(json.dumps(entry, sort_keys=True) + "\n")


def next_rv():
    STATE["rv"] += 1
    return str(STATE["rv"])


def emit(typ, key, obj):
    """Record an event; LOCK held."""
    HISTORY.append((int(obj["metadata"]["resourceVersion"]), typ, key, copy.deepcopy(obj)))
    LOCK.notify_all()


def store_put(key, obj, typ):
    obj.setdefault("metadata", {})
    obj["metadata"]["resourceVersion"] = next_rv()
    STORE[key] = obj
    emit(typ, key, obj)


def add_object(obj):
    md = obj.setdefault("metadata", {})
    plural = plural_of(obj["kind"])
    KINDS[plural] = obj["kind"]
    key = (prefix_of(obj["apiVersion"]), md.get("namespace"), plural, md["name"])
    STATE["uid"] += 1
    md.setdefault("uid", "00000000-0000-0000-0000-%012d" % STATE["uid"])
    md.setdefault("generation", 1)
    md.setdefault("creationTimestamp", now_rfc3339())
    store_put(key, obj, "ADDED")
    return key


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    out = dict(target)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


class PatchError(Exception):
    def __init__(self, code, reason, msg):
        Exception.__init__(self, msg)
        self.code, self.reason, self.msg = code, reason, msg


def _ptr(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(422, "Invalid", "invalid JSON pointer %r" % path)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc, toks):
    cur = doc
    for t in toks:
        if isinstance(cur, list):
            cur = cur[int(t)]
        elif isinstance(cur, dict):
            cur = cur[t]
        else:
            raise KeyError(t)
    return cur


def json_patch(doc, ops):
    doc = copy.deepcopy(doc)
    if not isinstance(ops, list):
        raise PatchError(400, "BadRequest", "a JSON patch is an array of operations")
    for op in ops:
        try:
            kind = op["op"]
            toks = _ptr(op["path"])
            if kind == "test":
                if _walk(doc, toks) != op.get("value"):
                    raise PatchError(422, "Invalid", "the server rejected our request due to an error in our request: testing value %s failed" % op["path"])
                continue
            if kind in ("move", "copy"):
                val = copy.deepcopy(_walk(doc, _ptr(op["from"])))
                if kind == "move":
                    ftoks = _ptr(op["from"])
                    parent = _walk(doc, ftoks[:-1])
                    if isinstance(parent, list):
                        parent.pop(int(ftoks[-1]))
                    else:
                        del parent[ftoks[-1]]
                kind, op = "add", {"path": op["path"], "value": val}
            parent = _walk(doc, toks[:-1]) if toks else None
            last = toks[-1] if toks else None
            if kind == "add":
                if not toks:
                    doc = copy.deepcopy(op["value"])
                elif isinstance(parent, list):
                    if last == "-":
                        parent.append(copy.deepcopy(op["value"]))
                    else:
                        parent.insert(int(last), copy.deepcopy(op["value"]))
                else:
                    parent[last] = copy.deepcopy(op["value"])
            elif kind == "remove":
                if isinstance(parent, list):
                    parent.pop(int(last))
                else:
                    del parent[last]
            elif kind == "replace":
                if isinstance(parent, list):
                    parent[int(last)] = copy.deepcopy(op["value"])
                else:
                    if last not in parent:
                        raise KeyError(last)
                    parent[last] = copy.deepcopy(op["value"])
            else:
                raise PatchError(422, "Invalid", "unknown JSON patch operation %r" % kind)
        except PatchError:
            raise
        except (KeyError, IndexError, ValueError, TypeError) as e:
            raise PatchError(422, "Invalid", "the server rejected our request due to an error in our request: %s: path %s: %s" % (op.get("op"), op.get("path"), e))
    return doc


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "gth-kube-api/1"

    def log_message(self, fmt, *args):
        pass

    # -- plumbing --
    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _log(self, status, body, watch=False):
        u = urllib.parse.urlsplit(self.path)
        auth = self.headers.get("Authorization")
        record({"method": self.command, "path": u.path,
                "query": urllib.parse.parse_qs(u.query, keep_blank_values=True),
                "content_type": self.headers.get("Content-Type"),
                "body": body.decode("utf-8", "replace") if body else "",
                "auth": auth.split(" ")[0].lower() if auth else None,
                "watch": watch, "status": status, "t": time.time()})
        with LOCK:
            REQUESTS.append((self.command, u.path, watch))
            LOCK.notify_all()

    def _send(self, code, obj):
        data = (json.dumps(obj) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _fail(self, code, reason, msg, body=b"", details=None):
        self._log(code, body)
        self._send(code, status_obj(code, reason, msg, details))

    def _auth_ok(self, body):
        if ARGS.forbid and re.search(ARGS.forbid, urllib.parse.urlsplit(self.path).path):
            self._fail(403, "Forbidden", "forbidden: User \"system:serviceaccount:gth:ci\" cannot access this resource", body)
            return False
        if ARGS.token and self.headers.get("Authorization") != "Bearer " + ARGS.token:
            self._fail(401, "Unauthorized", "Unauthorized", body)
            return False
        return True

    def _route(self, body):
        if not self._auth_ok(body):
            return None
        u = urllib.parse.urlsplit(self.path)
        p = parse_path(u.path)
        if not p:
            self._fail(404, "NotFound", "the server could not find the requested resource", body)
            return None
        return p, urllib.parse.parse_qs(u.query)

    def _notfound(self, prefix, plural, name, body=b""):
        g = group_of(prefix)
        res = plural + ("." + g if g else "")
        self._fail(404, "NotFound", '%s "%s" not found' % (res, name), body,
                   {"name": name, "group": g, "kind": plural})

    # -- verbs --
    def do_GET(self):
        r = self._route(b"")
        if not r:
            return
        (prefix, ns, plural, name, sub), q = r
        if q.get("watch", ["0"])[0] in ("1", "true") and name is None:
            return self._watch(prefix, ns, plural, q)
        with LOCK:
            if name is not None:
                obj = STORE.get((prefix, ns, plural, name))
                if obj is None or (sub and sub != "status"):
                    return self._notfound(prefix, plural, name)
                obj = copy.deepcopy(obj)
            else:
                items = [copy.deepcopy(o) for k, o in sorted(STORE.items(), key=lambda kv: kv[0][3])
                         if k[0] == prefix and k[2] == plural and (ns is None or k[1] == ns)
                         and self._selected(o, q)]
                kind = KINDS.get(plural, "Object")
                obj = {"kind": kind + "List", "apiVersion": prefix.split("/", 2)[2],
                       "metadata": {"resourceVersion": str(STATE["rv"])}, "items": items}
        self._log(200, b"")
        self._send(200, obj)

    @staticmethod
    def _selected(obj, q):
        fs = q.get("fieldSelector", [""])[0]
        for term in [t for t in fs.split(",") if t]:
            k, _, v = term.partition("=")
            v = v.lstrip("=")
            if k == "metadata.name" and obj["metadata"].get("name") != v:
                return False
            if k == "metadata.namespace" and obj["metadata"].get("namespace") != v:
                return False
        return True

    def _chunk(self, obj):
        data = (json.dumps(obj) + "\n").encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _watch(self, prefix, ns, plural, q):
        rv = q.get("resourceVersion", [""])[0]
        bookmarks = q.get("allowWatchBookmarks", ["false"])[0] == "true"
        timeout = float(q.get("timeoutSeconds", ["1800"])[0])
        if ARGS.watch_timeout:
            timeout = min(timeout, ARGS.watch_timeout)
        deadline = time.time() + timeout
        self._log(200, b"", watch=True)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        kind = KINDS.get(plural, "Object")
        api_version = prefix.split("/", 2)[2]

        def match(key, obj):
            return key[0] == prefix and key[2] == plural and (ns is None or key[1] == ns) \
                and self._selected(obj, q)
        try:
            with LOCK:
                epoch = STATE["epoch"]
                if rv in ("", "0"):
                    pending = [("ADDED", copy.deepcopy(o)) for k, o in sorted(STORE.items())
                               if match(k, o)]
                    last = STATE["rv"]
                else:
                    last = int(rv)
                    if last < STATE["oldest"]:
                        pending = None
                    else:
                        pending = [(t, copy.deepcopy(o)) for (erv, t, k, o) in HISTORY
                                   if erv > last and match(k, o)]
                        last = STATE["rv"]
            if pending is None:
                self._chunk({"type": "ERROR", "object": status_obj(
                    410, "Expired", "too old resource version: %s (%d)" % (rv, STATE["oldest"]))})
                self.wfile.write(b"0\r\n\r\n")
                return
            for t, o in pending:
                self._chunk({"type": t, "object": o})
            next_bm = time.time() + ARGS.bookmark_interval
            while True:
                with LOCK:
                    while True:
                        if STATE["epoch"] != epoch:
                            expired = True
                            break
                        expired = False
                        new = [(erv, t, k, o) for (erv, t, k, o) in HISTORY if erv > last]
                        if new or time.time() >= min(deadline, next_bm):
                            break
                        LOCK.wait(min(deadline, next_bm) - time.time())
                    if not expired:
                        events = [(t, copy.deepcopy(o)) for (erv, t, k, o) in new if match(k, o)]
                        if new:
                            last = new[-1][0]
                        cur = STATE["rv"]
                if expired:
                    self._chunk({"type": "ERROR", "object": status_obj(
                        410, "Expired", "too old resource version: %d (%d)" % (last, STATE["oldest"]))})
                    break
                for t, o in events:
                    self._chunk({"type": t, "object": o})
                if time.time() >= deadline:
                    break
                if time.time() >= next_bm:
                    if bookmarks:
                        self._chunk({"type": "BOOKMARK", "object": {
                            "kind": kind, "apiVersion": api_version,
                            "metadata": {"resourceVersion": str(max(cur, last))}}})
                    next_bm = time.time() + ARGS.bookmark_interval
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_PATCH(self):
        body = self._body()
        r = self._route(body)
        if not r:
            return
        (prefix, ns, plural, name, sub), q = r
        ct = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if ct not in ("application/merge-patch+json", "application/json-patch+json"):
            return self._fail(415, "UnsupportedMediaType",
                              "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json",
                              body)
        has_status = plural not in ARGS.no_status_subresource
        if sub is not None and (sub != "status" or not has_status):
            return self._fail(404, "NotFound", "the server could not find the requested resource", body)
        try:
            patch = json.loads(body.decode() or "null")
        except ValueError as e:
            return self._fail(400, "BadRequest", "error decoding patch: %s" % e, body)
        with LOCK:
            key = (prefix, ns, plural, name)
            old = STORE.get(key)
            if old is None:
                return self._notfound(prefix, plural, name, body)
            try:
                new = merge_patch(old, patch) if ct == "application/merge-patch+json" \
                    else json_patch(old, patch)
            except PatchError as e:
                return self._fail(e.code, e.reason, e.msg, body)
            if not isinstance(new, dict):
                return self._fail(422, "Invalid", "the patched object is not an object", body)
            res = self._commit(key, old, new, sub, has_status, body)
        if res:
            self._log(200, body)
            self._send(200, res)

    def _commit(self, key, old, new, sub, has_status, body):
        """LOCK held. Store new in place of old; None when an error was sent."""
        want_rv = new.get("metadata", {}).get("resourceVersion")
        if STATE.get("conflicts", 0) > 0:
            STATE["conflicts"] -= 1
            store_put(key, copy.deepcopy(old), "MODIFIED")
            want_rv = "stale"
        if want_rv is not None and want_rv != old["metadata"]["resourceVersion"]:
            self._fail(409, "Conflict",
                       'Operation cannot be fulfilled on %s "%s": the object has been modified; please apply your changes to the latest version and try again' % (key[2], key[3]),
                       body, {"name": key[3], "kind": key[2]})
            return None
        if sub == "status":
            merged = copy.deepcopy(old)
            if "status" in new:
                merged["status"] = new["status"]
            else:
                merged.pop("status", None)
            new = merged
        else:
            if has_status:
                if "status" in old:
                    new["status"] = copy.deepcopy(old["status"])
                else:
                    new.pop("status", None)
            for f in ("uid", "creationTimestamp", "name", "namespace"):
                if f in old["metadata"]:
                    new.setdefault("metadata", {})[f] = old["metadata"][f]
            gen = old["metadata"].get("generation", 1)
            new["metadata"]["generation"] = gen + 1 if new.get("spec") != old.get("spec") else gen
        if new == old:
            return copy.deepcopy(old)
        store_put(key, new, "MODIFIED")
        return copy.deepcopy(new)

    def do_PUT(self):
        body = self._body()
        r = self._route(body)
        if not r:
            return
        (prefix, ns, plural, name, sub), q = r
        try:
            new = json.loads(body.decode())
        except ValueError as e:
            return self._fail(400, "BadRequest", "error decoding body: %s" % e, body)
        with LOCK:
            key = (prefix, ns, plural, name)
            old = STORE.get(key)
            if old is None:
                return self._notfound(prefix, plural, name, body)
            if not new.get("metadata", {}).get("resourceVersion"):
                return self._fail(422, "Invalid", "metadata.resourceVersion: Invalid value: 0x0: must be specified for an update", body)
            res = self._commit(key, old, new, sub, plural not in ARGS.no_status_subresource, body)
        if res:
            self._log(200, body)
            self._send(200, res)

    def do_POST(self):
        body = self._body()
        r = self._route(body)
        if not r:
            return
        (prefix, ns, plural, name, sub), q = r
        try:
            obj = json.loads(body.decode())
            obj["metadata"]["name"]
        except (ValueError, KeyError, TypeError) as e:
            return self._fail(400, "BadRequest", "error decoding body: %s" % e, body)
        if ns:
            obj["metadata"]["namespace"] = ns
        with LOCK:
            key = (prefix, ns, plural, obj["metadata"]["name"])
            if key in STORE:
                return self._fail(409, "AlreadyExists", '%s "%s" already exists' % (plural, key[3]), body)
            obj.setdefault("apiVersion", prefix.split("/", 2)[2])
            add_object(obj)
            res = copy.deepcopy(obj)
        self._log(201, body)
        self._send(201, res)

    def do_DELETE(self):
        body = self._body()
        r = self._route(body)
        if not r:
            return
        (prefix, ns, plural, name, sub), q = r
        with LOCK:
            key = (prefix, ns, plural, name)
            obj = STORE.pop(key, None)
            if obj is None:
                return self._notfound(prefix, plural, name, body)
            obj["metadata"]["resourceVersion"] = next_rv()
            emit("DELETED", key, obj)
        self._log(200, body)
        self._send(200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                         "details": {"name": name, "kind": plural}})


# ---- the scripted controller ----

def find_key(spec):
    plural = spec.get("resource", "rollouts")
    for k in STORE:
        if k[2] == plural and k[3] == spec["name"] and k[1] == spec.get("namespace", k[1]):
            return k
    raise SystemExit("kube-api: script names a missing object %s/%s" % (plural, spec["name"]))


def ctl_patch(spec, merge):
    """Controller-side merge (status included); LOCK taken here."""
    with LOCK:
        key = find_key(spec)
        old = STORE[key]
        new = merge_patch(old, merge)
        if new.get("spec") != old.get("spec") and "generation" not in merge.get("metadata", {}):
            new["metadata"]["generation"] = old["metadata"].get("generation", 1) + 1
        if new != old:
            store_put(key, new, "MODIFIED")
        return copy.deepcopy(new)


def get_path(obj, path):
    cur = obj
    for p in path.split("."):
        if isinstance(cur, dict) and p in cur:
            cur = cur[p]
        elif isinstance(cur, list) and p.isdigit() and int(p) < len(cur):
            cur = cur[int(p)]
        else:
            return (False, None)
    return (True, cur)


def wait_until(pred, timeout):
    deadline = time.time() + timeout
    with LOCK:
        while not pred():
            left = deadline - time.time()
            if left <= 0:
                raise SystemExit("kube-api: script wait timed out")
            LOCK.wait(left)


def step_wait(w):
    def pred():
        key = find_key(w)
        present, val = get_path(STORE[key], w["path"])
        if w.get("absent"):
            return not present or val is None
        return present and val == w.get("equals")
    wait_until(pred, w.get("timeout", 30))


def step_wait_request(w):
    start = len(REQUESTS) if w.get("new") else 0

    def pred():
        return any(m == w.get("method", m) and re.search(w.get("path_re", ""), p)
                   and wa == w.get("watch", wa) for (m, p, wa) in REQUESTS[start:])
    wait_until(pred, w.get("timeout", 30))


def play_application(a):
    delay = a.get("delay", 0.05)
    rev = a["revision"]
    spec = dict(a, resource="applications")
    if a.get("wait_refresh"):
        def pred():
            md = STORE[find_key(spec)]["metadata"]
            return "argocd.argoproj.io/refresh" in md.get("annotations", {})
        wait_until(pred, a.get("timeout", 30))
        time.sleep(delay)
        ctl_patch(spec, {"metadata": {"annotations": {"argocd.argoproj.io/refresh": None}}})
    time.sleep(delay)
    ctl_patch(spec, {"status": {"sync": {"status": "OutOfSync", "revision": rev},
                                "health": {"status": "Healthy"}}})
    time.sleep(delay)
    ctl_patch(spec, {"status": {"operationState": {
        "phase": "Running", "message": "syncing", "startedAt": now_rfc3339(),
        "operation": {"sync": {"revision": rev}}, "syncResult": None}}})
    time.sleep(delay)
    for ap in a.get("apply", []):
        ctl_patch(ap, ap["merge"])
    ctl_patch(spec, {"status": {"sync": {"status": "Synced", "revision": rev},
                                "health": {"status": "Progressing"},
                                "operationState": {"phase": "Succeeded",
                                                   "message": "successfully synced (all tasks run)",
                                                   "finishedAt": now_rfc3339(),
                                                   "syncResult": {"revision": rev}}}})
    time.sleep(delay)
    ctl_patch(spec, {"status": {"health": {"status": "Healthy"}}})


def play_rollout(r):
    delay = r.get("delay", 0.05)
    spec = dict(r, resource="rollouts")
    with LOCK:
        ro = copy.deepcopy(STORE[find_key(spec)])
    steps = ro["spec"].get("strategy", {}).get("canary", {}).get("steps", [])
    st = ro.get("status", {})
    stable = st.get("stableRS", "stable0")
    og = str(ro.get("status", {}).get("observedGeneration", ""))
    if og.isdigit() and int(og) != ro["metadata"]["generation"]:
        # the spec changed already (an Argo CD sync applied it): a new revision
        new_hash = "%x" % (abs(hash((ro["metadata"]["name"], time.time()))) % (1 << 40))
        ann = int(ro["metadata"].get("annotations", {}).get("rollout.argoproj.io/revision", "1")) + 1
        ro = ctl_patch(spec, {"metadata": {"annotations": {"rollout.argoproj.io/revision": str(ann)}}})
    elif r.get("new_revision", True):
        new_hash = "%x" % (abs(hash((ro["metadata"]["name"], time.time()))) % (1 << 40))
        ann = int(ro["metadata"].get("annotations", {}).get("rollout.argoproj.io/revision", "1")) + 1
        ro = ctl_patch(spec, {"metadata": {"annotations": {"rollout.argoproj.io/revision": str(ann)}},
                              "spec": {"template": {"metadata": {"annotations": {"gth/restart": new_hash}}}}})
    else:
        new_hash = st.get("currentPodHash", "canary0")
    time.sleep(delay)
    gen = ro["metadata"]["generation"]
    replicas = ro["spec"].get("replicas", 1)
    ctl_patch(spec, {"status": {"observedGeneration": str(gen), "currentPodHash": new_hash,
                                "stableRS": stable, "currentStepIndex": 0, "phase": "Progressing",
                                "message": "more replicas need to be updated",
                                "replicas": replicas, "updatedReplicas": 0,
                                "availableReplicas": replicas, "abort": None,
                                "pauseConditions": None, "controllerPause": None,
                                "canary": {"weights": {"canary": {"weight": 0, "podTemplateHash": new_hash},
                                                       "stable": {"weight": 100, "podTemplateHash": stable}}}}})
    weight = 0
    i = 0
    while i < len(steps):
        time.sleep(delay)
        with LOCK:
            cur = copy.deepcopy(STORE[find_key(spec)])
        if cur.get("status", {}).get("promoteFull"):
            break
        if r.get("abort_at") == i or cur.get("status", {}).get("abort"):
            # the script's abort, or a client's (status.abort=true, as
            # `kubectl argo rollouts abort` and gth-rollback set it)
            msg = r.get("abort_message", "Rollout aborted update to revision %s" % new_hash)
            ctl_patch(spec, {"status": {
                "abort": True, "phase": "Degraded", "message": "RolloutAborted: " + msg,
                "currentStepIndex": i, "pauseConditions": None, "controllerPause": None,
                "conditions": [{"type": "Progressing", "status": "False", "reason": "RolloutAborted",
                                "message": msg, "lastUpdateTime": now_rfc3339()}],
                "canary": {"weights": {"canary": {"weight": 0, "podTemplateHash": new_hash},
                                       "stable": {"weight": 100, "podTemplateHash": stable}}}}})
            return
        s = steps[i]
        if "setWeight" in s:
            weight = s["setWeight"]
            ctl_patch(spec, {"status": {"currentStepIndex": i, "phase": "Progressing",
                                        "message": "more replicas need to be updated",
                                        "canary": {"weights": {"canary": {"weight": weight}, "stable": {"weight": 100 - weight}}}}})
        elif "pause" in s:
            dur = (s["pause"] or {}).get("duration")
            ctl_patch(spec, {"status": {"currentStepIndex": i, "phase": "Paused", "message": "CanaryPauseStep",
                                        "controllerPause": True,
                                        "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": now_rfc3339()}]}})
            if dur is not None:
                secs = float(str(dur).rstrip("s")) if str(dur).rstrip("s").replace(".", "").isdigit() else 1
                time.sleep(min(secs, 5))
            else:
                def released():
                    o = STORE[find_key(spec)]
                    return not o.get("status", {}).get("pauseConditions") \
                        or o.get("status", {}).get("promoteFull") \
                        or o.get("status", {}).get("abort") \
                        or o["status"].get("currentStepIndex", i) != i
                wait_until(released, r.get("timeout", 60))
            with LOCK:
                cur = STORE[find_key(spec)]
                jumped = cur["status"].get("currentStepIndex", i)
            ctl_patch(spec, {"status": {"controllerPause": None, "pauseConditions": None,
                                        "phase": "Progressing", "message": "more replicas need to be updated"}})
            if jumped != i:
                i = jumped
                continue
        elif "analysis" in s:
            run = "%s-%s-%d" % (ro["metadata"]["name"], new_hash, i)
            metric = ((s["analysis"].get("templates") or [{}])[0]).get("templateName", "analysis")
            with LOCK:
                add_object({"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisRun",
                            "metadata": {"name": run, "namespace": ro["metadata"].get("namespace")},
                            "spec": {"metrics": [{"name": metric}]},
                            "status": {"phase": "Running", "metricResults": [{"name": metric, "phase": "Running", "measurements": []}]}})
            ctl_patch(spec, {"status": {"currentStepIndex": i, "canary": {"currentStepAnalysisRunStatus": {"name": run, "status": "Running"}}}})
            time.sleep(delay)
            ctl_patch({"resource": "analysisruns", "namespace": ro["metadata"].get("namespace"), "name": run},
                      {"status": {"phase": "Successful", "metricResults": [{"name": metric, "phase": "Successful", "count": 1, "successful": 1,
                                  "measurements": [{"value": "[0.999]", "phase": "Successful", "startedAt": now_rfc3339(), "finishedAt": now_rfc3339()}]}]}})
            ctl_patch(spec, {"status": {"canary": {"currentStepAnalysisRunStatus": {"name": run, "status": "Successful"}}}})
        i += 1
    time.sleep(delay)
    ctl_patch(spec, {"status": {"currentStepIndex": len(steps), "stableRS": new_hash, "phase": "Healthy",
                                "message": None, "updatedReplicas": replicas, "promoteFull": None,
                                "canary": {"weights": {"canary": {"weight": 100}, "stable": {"weight": 0, "podTemplateHash": new_hash}}}}})


def run_script(steps, server):
    try:
        for s in steps:
            if "sleep" in s:
                time.sleep(s["sleep"])
            elif "patch" in s:
                ctl_patch(s["patch"], s["patch"]["merge"])
            elif "wait" in s:
                step_wait(s["wait"])
            elif "wait_request" in s:
                step_wait_request(s["wait_request"])
            elif "expire_watches" in s:
                with LOCK:
                    STATE["epoch"] += 1
                    STATE["oldest"] = STATE["rv"]
                    del HISTORY[:]
                    LOCK.notify_all()
            elif "application" in s:
                play_application(s["application"])
            elif "rollout" in s:
                play_rollout(s["rollout"])
            elif "exit" in s:
                server.shutdown()
                return
            else:
                raise SystemExit("kube-api: unknown script step %r" % s)
    except SystemExit as e:
        sys.stderr.write("%s\n" % e)


def main():
    global ARGS
    ap = argparse.ArgumentParser(description="local Kubernetes API server for tests")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--pid-file")
    ap.add_argument("--log")
    ap.add_argument("--objects")
    ap.add_argument("--script")
    ap.add_argument("--token")
    ap.add_argument("--forbid")
    ap.add_argument("--conflicts", type=int, default=0)
    ap.add_argument("--watch-timeout", type=float, default=0)
    ap.add_argument("--no-status-subresource", action="append", default=[])
    ap.add_argument("--bookmark-interval", type=float, default=1.0)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--client-ca")
    ARGS = ap.parse_args()
    STATE["conflicts"] = ARGS.conflicts
    if ARGS.objects:
        with open(ARGS.objects) as f:
            objs = json.load(f)
        if isinstance(objs, dict):
            objs = objs.get("items", [])
        with LOCK:
            for o in objs:
                add_object(o)
    steps = []
    if ARGS.script:
        with open(ARGS.script) as f:
            steps = json.load(f).get("steps", [])
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    if ARGS.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(ARGS.tls_cert, ARGS.tls_key)
        if ARGS.client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(ARGS.client_ca)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    if ARGS.pid_file:
        with open(ARGS.pid_file, "w") as f:
            f.write("%d\n" % os.getpid())
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, ARGS.port_file)
    if steps:
        threading.Thread(target=run_script, args=(steps, srv), daemon=True).start()
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
