#!/usr/bin/env python3
"""A small token service for Debian's docker-registry (auth: token), for tests.

    registry-token.py --key KEY.pem --issuer ISS --service SVC --port-file F
                      --log REQ.jsonl [--user U --password P] [--stingy N]
                      [--field token|access_token]

Answers GET /token?service=S&scope=S1&scope=S2... with {FIELD, "expires_in",
"issued_at"} (FIELD is "token" or "access_token"): an RS256 JWT whose "kid" is the libtrust key id of the
public key (what the registry looks up in its rootcertbundle), signed with openssl.
With --user/--password, Basic credentials must match (else 401) and every action
asked for is granted; anonymous requests are granted "pull" only. --stingy N
grants nothing to the first N requests that ask for push (so clients must answer
the registry's insufficient_scope). Each request is appended to the log as JSON:
{"scopes": [...], "user": "...", "granted": [...]}. SIGTERM stops it.
"""
import argparse
import base64
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def libtrust_kid(key_path):
    der = subprocess.run(["openssl", "pkey", "-in", key_path, "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    s = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(s[i:i + 4] for i in range(0, len(s), 4))


def sign(key_path, data):
    return subprocess.run(["openssl", "dgst", "-sha256", "-sign", key_path], input=data,
                          check=True, capture_output=True).stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--stingy", type=int, default=0)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--field", default="token", choices=["token", "access_token"])
    args = ap.parse_args()
    kid = libtrust_kid(args.key)
    state = {"stingy": args.stingy}

    class H(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            u = urllib.parse.urlsplit(self.path)
            if u.path != "/token":
                self.send_error(404)
                return
            q = urllib.parse.parse_qs(u.query)
            user = None
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                try:
                    user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
                except Exception:
                    user, pw = None, None
                if args.user is not None and (user != args.user or pw != args.password):
                    self.send_response(401)
                    self.send_header("Content-Type", "application/json")
                    body = b'{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}'
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    self._log(q, user, [], 401)
                    return
            elif args.user is not None and q.get("account"):
                user = None
            access = []
            for scope in q.get("scope", []):
                for one in scope.split(" "):
                    parts = one.split(":")
                    if len(parts) < 3:
                        continue
                    typ, name, actions = parts[0], ":".join(parts[1:-1]), parts[-1].split(",")
                    if user is None and args.user is not None:
                        actions = [a for a in actions if a == "pull"]
                    access.append({"type": typ, "name": name, "actions": actions})
            wants_push = any("push" in a["actions"] for a in access)
            if wants_push and state["stingy"] > 0:
                state["stingy"] -= 1
                access = [{"type": a["type"], "name": a["name"], "actions": ["pull"]}
                          for a in access]
            now = int(time.time())
            header = {"typ": "JWT", "alg": "RS256", "kid": kid}
            claims = {"iss": args.issuer, "sub": user or "", "aud": args.service,
                      "exp": now + 600, "nbf": now - 10, "iat": now,
                      "jti": b64url(os.urandom(12)), "access": access}
            signing = (b64url(json.dumps(header).encode()) + "." +
                       b64url(json.dumps(claims).encode())).encode()
            token = signing.decode() + "." + b64url(sign(args.key, signing))
            body = json.dumps({args.field: token,
                               "expires_in": 600,
                               "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                          time.gmtime(now))}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self._log(q, user, access, 200)

        def _log(self, q, user, access, status):
            with open(args.log, "a") as f:
                f.write(json.dumps({"scopes": q.get("scope", []), "service": q.get("service"),
                                    "user": user, "granted": access,
                                    "status": status}) + "\n")

    srv = ThreadingHTTPServer(("127.0.0.1", args.port), H)
    signal.signal(signal.SIGTERM, lambda *a: (srv.server_close(), sys.exit(0)))
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
