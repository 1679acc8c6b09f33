#!/usr/bin/env python3
"""A local stand-in for the services gth-notify talks to, answering as they
document it, with state, and recording every request.

  slack-api.py --port-file F --log REQ.jsonl [--faults FAULTS.json]
               [--token T] [--github-token T] [--repo OWNER/NAME] [--hook-secret S]

Routes (HTTP/1.1 on 127.0.0.1, ephemeral port written to F):
  POST /services/T000/B000/KEY      Slack incoming webhook. KEY good posts to
        #deploys; archived 410 channel_is_archived; prohibited 403
        action_prohibited; nochannel 404 channel_not_found; invalidtoken 403
        invalid_token; anything else 404 no_service. Bad JSON 400 invalid_payload,
        no text 400 missing_text_or_fallback_or_attachments, Block Kit limits
        broken 400 invalid_blocks (plain text bodies, as Slack answers).
  POST /api/chat.postMessage, /api/chat.update   Slack Web API: HTTP 200 with
        {"ok":false,"error":...} for not_authed, invalid_auth, invalid_json,
        no_text, invalid_blocks, channel_not_found (chat.update takes IDs only),
        is_archived, not_in_channel, thread_not_found, message_not_found; ok
        answers carry channel and ts. Channels: C0DEPLOYS #deploys, C0ARCHIVE
        #old-deploys (archived), C0PRIVATE #private (the bot is not a member).
  POST [/api/v3]/repos/O/R/deployments, .../deployments/ID/statuses, and GET of
        the statuses: GitHub's deployments API (401 Bad credentials, 404 Not
        Found, 422 Validation Failed, 201 with the object).
  POST /teams/KEY       Teams Workflows: 202 for KEY good; 400 for a body
        that is not an Adaptive Card message; 404 otherwise.
  POST /discord/api/webhooks/ID/TOKEN[?wait=true]   Discord: 200 with the
        message (wait) or 204; 401 Invalid Webhook Token, 404 Unknown Webhook,
        400 for an empty message or broken embed limits.
  POST /hook/ANY        a generic receiver: 200; with --hook-secret it checks
        X-Gth-Signature-256 and answers 401 when it does not match.
  GET  /_state          Slack messages and GitHub deployments, as JSON.

Faults (--faults): a JSON list of {"path_re", "method", "times", "status",
"headers", "body", "delay", "drop"} tried in order before the route: the first
matching fault with times left is used once ("times" absent: forever); "delay"
alone only delays; "drop" closes the connection without an answer.

Every request is appended to the log as one JSON line: {"method", "path",
"query", "headers" (lower-cased names), "body", "t"}.
"""
import argparse
import hashlib
import hmac
import json
import re
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
ARGS = None
FAULTS = []
STATE = {"slack": {}, "deployments": {}, "next_ts": 1, "next_id": 1000}

CHANNELS = {
    "C0DEPLOYS": {"name": "deploys", "archived": False, "member": True},
    "C0ARCHIVE": {"name": "old-deploys", "archived": True, "member": True},
    "C0PRIVATE": {"name": "private", "archived": False, "member": False},
}
HOOKS = {
    "good": None,
    "archived": (410, "channel_is_archived"),
    "prohibited": (403, "action_prohibited"),
    "nochannel": (404, "channel_not_found"),
    "invalidtoken": (403, "invalid_token"),
}
GITHUB_DOC = "https://docs.github.com/rest"


def blocks_ok(blocks):
    """Slack's Block Kit limits for the blocks gth-notify uses."""
    if not isinstance(blocks, list) or len(blocks) > 50:
        return False
    for b in blocks:
        if not isinstance(b, dict):
            return False
        t = b.get("type")
        if t == "header":
            txt = b.get("text", {})
            if txt.get("type") != "plain_text" or not (1 <= len(txt.get("text", "")) <= 150):
                return False
        elif t == "section":
            if "text" in b and not (1 <= len(b["text"].get("text", "")) <= 3000):
                return False
            if "fields" in b:
                f = b["fields"]
                if not (1 <= len(f) <= 10) or any(len(x.get("text", "")) > 2000 for x in f):
                    return False
            if "text" not in b and "fields" not in b:
                return False
        elif t == "context":
            els = b.get("elements", [])
            if not (1 <= len(els) <= 10):
                return False
        elif t not in ("divider", "image", "actions", "rich_text"):
            return False
    return True


def message_ok(msg):
    """None, or Slack's error string for a message body."""
    if not isinstance(msg, dict):
        return "invalid_payload"
    if "blocks" in msg and not blocks_ok(msg["blocks"]):
        return "invalid_blocks"
    for a in msg.get("attachments", []) or []:
        if "blocks" in a and not blocks_ok(a["blocks"]):
            return "invalid_blocks"
    if len(msg.get("attachments", []) or []) > 100:
        return "too_many_attachments"
    if not (msg.get("text") or msg.get("blocks") or msg.get("attachments")):
        return "no_text"
    if len(msg.get("text", "") or "") > 40000:
        return "msg_too_long"
    return None


def resolve_channel(name, ids_only):
    if name in CHANNELS:
        return name
    if ids_only:
        return None
    n = name[1:] if name.startswith("#") else name
    for cid, c in CHANNELS.items():
        if c["name"] == n:
            return cid
    return None


def new_ts():
    n = STATE["next_ts"]
    STATE["next_ts"] += 1
    return "%d.%06d" % (1764000000 + n, n)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "slack-api/1"

    def log_message(self, fmt, *args):
        pass

    # -- plumbing -------------------------------------------------------
    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def record(self, body):
        u = urlsplit(self.path)
        entry = {
            "method": self.command,
            "path": u.path,
            "query": u.query,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "t": time.time(),
        }
        try:
            entry["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            import base64
            entry["body_b64"] = base64.b64encode(body).decode()
        with LOCK:
            with open(ARGS.log, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def send(self, status, body=b"", ctype="text/plain; charset=utf-8", headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            ctype = "application/json; charset=utf-8"
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if status not in (204, 304):
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status not in (204, 304):
            self.wfile.write(body)
        self.wfile.flush()

    def fault(self):
        """Apply the first matching fault: True when it answered."""
        with LOCK:
            hit = None
            for f in FAULTS:
                if f.get("method") and f["method"] != self.command:
                    continue
                if not re.search(f.get("path_re", ""), urlsplit(self.path).path):
                    continue
                if "times" in f:
                    if f["times"] <= 0:
                        continue
                    f["times"] -= 1
                hit = dict(f)
                break
        if not hit:
            return False
        if hit.get("delay"):
            time.sleep(hit["delay"])
        if hit.get("drop"):
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return True
        if "status" not in hit:
            return False
        body = hit.get("json", hit.get("body", ""))
        self.send(hit["status"], body, headers=hit.get("headers"))
        return True

    def do_GET(self):
        self.record(b"")
        if self.fault():
            return
        path = urlsplit(self.path).path
        if path == "/_state":
            with LOCK:
                self.send(200, {"slack": STATE["slack"], "deployments": STATE["deployments"]})
            return
        m = re.match(r"^(?:/api/v3)?/repos/([^/]+/[^/]+)/deployments/(\d+)/statuses$", path)
        if m:
            if not self.github_auth():
                return
            with LOCK:
                d = STATE["deployments"].get(m.group(2))
                if not d:
                    self.send(404, {"message": "Not Found", "documentation_url": GITHUB_DOC})
                else:
                    self.send(200, list(reversed(d["statuses"])))
            return
        self.send(404, "not found")

    def do_POST(self):
        body = self.read_body()
        self.record(body)
        if self.fault():
            return
        path = urlsplit(self.path).path
        if path.startswith("/services/"):
            return self.slack_webhook(path, body)
        if path in ("/api/chat.postMessage", "/api/chat.update"):
            return self.slack_api(path[5:], body)
        m = re.match(r"^(?:/api/v3)?/repos/([^/]+/[^/]+)/deployments(?:/(\d+)/statuses)?$", path)
        if m:
            return self.github(m.group(1), m.group(2), body)
        if path.startswith("/teams/"):
            return self.teams(path[7:], body)
        m = re.match(r"^/discord/api/webhooks/([^/]+)/([^/]+)$", path)
        if m:
            return self.discord(m.group(1), m.group(2), body)
        if path.startswith("/hook/"):
            return self.hook(body)
        self.send(404, "not found")

    # -- Slack ----------------------------------------------------------
    def slack_webhook(self, path, body):
        key = path.rsplit("/", 1)[-1]
        if len(path.split("/")) != 5:
            return self.send(400, "no_service_id")
        if key not in HOOKS:
            return self.send(404, "no_service")
        if HOOKS[key]:
            return self.send(HOOKS[key][0], HOOKS[key][1])
        try:
            msg = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return self.send(400, "invalid_payload")
        if not isinstance(msg, dict):
            return self.send(400, "invalid_payload")
        e = message_ok(msg)
        if e == "no_text":
            return self.send(400, "missing_text_or_fallback_or_attachments")
        if e:
            return self.send(400, e)
        with LOCK:
            ts = new_ts()
            STATE["slack"].setdefault("C0DEPLOYS", []).append(
                {"ts": ts, "text": msg.get("text"), "blocks": msg.get("blocks"),
                 "attachments": msg.get("attachments"), "via": "webhook"})
        self.send(200, "ok")

    def slack_api(self, method, body):
        auth = self.headers.get("Authorization", "")
        if not auth:
            return self.send(200, {"ok": False, "error": "not_authed"})
        if auth != "Bearer " + ARGS.token:
            return self.send(200, {"ok": False, "error": "invalid_auth"})
        ctype = self.headers.get("Content-Type", "")
        try:
            msg = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return self.send(200, {"ok": False, "error": "invalid_json"})
        if not isinstance(msg, dict):
            return self.send(200, {"ok": False, "error": "json_not_object"})
        e = message_ok(msg)
        if e:
            return self.send(200, {"ok": False, "error": e})
        update = method == "chat.update"
        cid = resolve_channel(str(msg.get("channel", "")), update)
        if not cid:
            return self.send(200, {"ok": False, "error": "channel_not_found"})
        ch = CHANNELS[cid]
        if ch["archived"]:
            return self.send(200, {"ok": False, "error": "is_archived"})
        if not ch["member"]:
            return self.send(200, {"ok": False, "error": "not_in_channel"})
        warn = {} if "charset=" in ctype.lower() else {
            "warning": "missing_charset",
            "response_metadata": {"warnings": ["missing_charset"]}}
        with LOCK:
            msgs = STATE["slack"].setdefault(cid, [])
            if update:
                old = next((m for m in msgs if m["ts"] == msg.get("ts")), None)
                if not old:
                    return self.send(200, {"ok": False, "error": "message_not_found"})
                old.update({"text": msg.get("text"), "blocks": msg.get("blocks"),
                            "attachments": msg.get("attachments"), "edited": True})
                out = {"ok": True, "channel": cid, "ts": old["ts"], "text": old["text"],
                       "message": {"type": "message", "bot_id": "B0GTH", "text": old["text"],
                                   "blocks": old["blocks"]}}
            else:
                thread = msg.get("thread_ts")
                if thread and not any(m["ts"] == thread for m in msgs):
                    return self.send(200, {"ok": False, "error": "thread_not_found"})
                ts = new_ts()
                m = {"ts": ts, "text": msg.get("text"), "blocks": msg.get("blocks"),
                     "attachments": msg.get("attachments"), "via": "api"}
                if thread:
                    m["thread_ts"] = thread
                    m["reply_broadcast"] = bool(msg.get("reply_broadcast"))
                msgs.append(m)
                out = {"ok": True, "channel": cid, "ts": ts,
                       "message": {"type": "message", "bot_id": "B0GTH", "text": m["text"],
                                   "ts": ts, "blocks": m["blocks"]}}
        out.update(warn)
        self.send(200, out)

    # -- GitHub ---------------------------------------------------------
    def github_auth(self):
        auth = self.headers.get("Authorization", "")
        if auth not in ("Bearer " + ARGS.github_token, "token " + ARGS.github_token):
            self.send(401, {"message": "Bad credentials", "documentation_url": GITHUB_DOC,
                            "status": "401"})
            return False
        return True

    def github(self, repo, dep_id, body):
        if not self.github_auth():
            return
        if repo != ARGS.repo:
            return self.send(404, {"message": "Not Found", "documentation_url": GITHUB_DOC,
                                   "status": "404"})
        try:
            req = json.loads(body.decode("utf-8"))
            if not isinstance(req, dict):
                raise ValueError
        except (ValueError, UnicodeDecodeError):
            return self.send(400, {"message": "Problems parsing JSON",
                                   "documentation_url": GITHUB_DOC, "status": "400"})
        base = "http://%s:%d/repos/%s" % (self.server.server_address[0],
                                          self.server.server_address[1], repo)
        with LOCK:
            if dep_id is None:
                ref = req.get("ref")
                if not isinstance(ref, str) or not ref:
                    return self.send(422, {"message": "Validation Failed", "errors": [
                        {"resource": "Deployment", "code": "missing_field", "field": "ref"}],
                        "documentation_url": GITHUB_DOC, "status": "422"})
                if ref == "no-such-ref":
                    return self.send(422, {"message": "No ref found for: " + ref,
                                           "documentation_url": GITHUB_DOC, "status": "422"})
                if req.get("auto_merge", True) and ref in ("main", "master"):
                    return self.send(202, {"message": "Auto-merged main into topic branch."})
                did = STATE["next_id"]
                STATE["next_id"] += 1
                env = req.get("environment", "production")
                d = {"id": did, "node_id": "DE_%d" % did, "sha": ref if len(ref) == 40 else "0" * 40,
                     "ref": ref, "task": req.get("task", "deploy"), "environment": env,
                     "original_environment": env, "description": req.get("description"),
                     "payload": req.get("payload", {}), "creator": {"login": "github-actions[bot]"},
                     "created_at": "2026-11-26T10:00:00Z", "updated_at": "2026-11-26T10:00:00Z",
                     "statuses_url": "%s/deployments/%d/statuses" % (base, did),
                     "repository_url": base, "url": "%s/deployments/%d" % (base, did),
                     "transient_environment": False,
                     "production_environment": env == "production",
                     "required_contexts": req.get("required_contexts"), "statuses": []}
                STATE["deployments"][str(did)] = d
                out = {k: v for k, v in d.items() if k not in ("statuses", "required_contexts")}
                return self.send(201, out)
            d = STATE["deployments"].get(dep_id)
            if not d:
                return self.send(404, {"message": "Not Found", "documentation_url": GITHUB_DOC,
                                       "status": "404"})
            states = ("error", "failure", "inactive", "in_progress", "queued", "pending", "success")
            errors = []
            if req.get("state") not in states:
                errors.append({"resource": "DeploymentStatus", "code": "custom", "field": "state",
                               "message": "state is not included in the list"})
            if len(req.get("description") or "") > 140:
                errors.append({"resource": "DeploymentStatus", "code": "custom",
                               "field": "description",
                               "message": "description is too long (maximum is 140 characters)"})
            if errors:
                return self.send(422, {"message": "Validation Failed", "errors": errors,
                                       "documentation_url": GITHUB_DOC, "status": "422"})
            sid = STATE["next_id"]
            STATE["next_id"] += 1
            s = {"id": sid, "state": req["state"], "description": req.get("description", ""),
                 "environment": req.get("environment", d["environment"]),
                 "environment_url": req.get("environment_url", ""),
                 "log_url": req.get("log_url", ""), "target_url": req.get("log_url", ""),
                 "creator": {"login": "github-actions[bot]"},
                 "deployment_url": d["url"], "repository_url": base,
                 "created_at": "2026-11-26T10:00:01Z", "updated_at": "2026-11-26T10:00:01Z"}
            d["statuses"].append(s)
            return self.send(201, s)

    # -- Teams, Discord, generic ----------------------------------------
    def teams(self, key, body):
        if key != "good":
            return self.send(404, {"error": {"code": "WorkflowTriggerNotFound",
                                             "message": "The workflow trigger was not found."}})
        try:
            msg = json.loads(body.decode("utf-8"))
            att = msg["attachments"][0]
            ok = (msg.get("type") == "message"
                  and att["contentType"] == "application/vnd.microsoft.card.adaptive"
                  and att["content"]["type"] == "AdaptiveCard"
                  and isinstance(att["content"].get("body"), list))
        except (ValueError, UnicodeDecodeError, KeyError, IndexError, TypeError):
            ok = False
        if not ok:
            return self.send(400, {"error": {"code": "InvalidRequestContent",
                                             "message": "The request content is not an Adaptive Card message."}})
        self.send(202, "")

    def discord(self, hook_id, token, body):
        if hook_id != "1":
            return self.send(404, {"message": "Unknown Webhook", "code": 10015})
        if token != "good":
            return self.send(401, {"message": "Invalid Webhook Token", "code": 50027})
        try:
            msg = json.loads(body.decode("utf-8"))
            if not isinstance(msg, dict):
                raise ValueError
        except (ValueError, UnicodeDecodeError):
            return self.send(400, {"message": "Cannot send an empty message", "code": 50006})
        embeds = msg.get("embeds") or []
        if not msg.get("content") and not embeds:
            return self.send(400, {"message": "Cannot send an empty message", "code": 50006})
        bad = len(embeds) > 10
        for e in embeds:
            total = len(e.get("title", "")) + len(e.get("description", "")) + \
                len(e.get("footer", {}).get("text", ""))
            fields = e.get("fields", [])
            bad |= len(e.get("title", "")) > 256 or len(e.get("description", "")) > 4096
            bad |= len(fields) > 25
            for f in fields:
                bad |= len(f.get("name", "")) > 256 or len(f.get("value", "")) > 1024
                bad |= not f.get("name") or not f.get("value")
                total += len(f.get("name", "")) + len(f.get("value", ""))
            bad |= total > 6000
        if bad:
            return self.send(400, {"code": 50035, "errors": {"embeds": {}},
                                   "message": "Invalid Form Body"})
        if parse_qs(urlsplit(self.path).query).get("wait") == ["true"]:
            return self.send(200, {"id": "1100000000000000001", "type": 0,
                                   "channel_id": "900000000000000001",
                                   "content": msg.get("content", ""), "embeds": embeds,
                                   "webhook_id": hook_id})
        self.send(204)

    def hook(self, body):
        if ARGS.hook_secret:
            want = "sha256=" + hmac.new(ARGS.hook_secret.encode(), body, hashlib.sha256).hexdigest()
            got = self.headers.get("X-Gth-Signature-256", "")
            if not hmac.compare_digest(want, got):
                return self.send(401, {"message": "signature mismatch"})
        self.send(200, {"ok": True})


def main():
    global ARGS, FAULTS
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--faults")
    p.add_argument("--token", default="xoxb-test-token")
    p.add_argument("--github-token", default="ghs-test-token")
    p.add_argument("--repo", default="acme/api")
    p.add_argument("--hook-secret")
    p.add_argument("--port", type=int, default=0)
    ARGS = p.parse_args()
    if ARGS.faults:
        with open(ARGS.faults, encoding="utf-8") as f:
            FAULTS = json.load(f)
    open(ARGS.log, "a").close()
    srv = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    srv.daemon_threads = True
    with open(ARGS.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.replace(ARGS.port_file + ".tmp", ARGS.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
