#!/usr/bin/env python3
"""A scriptable HTTP/1.1 server for tests: canned answers, recorded requests.

    httpstub.py --script SCRIPT.json --log REQ.jsonl --port-file F
                [--port N] [--tls-cert C --tls-key K]

Listens on 127.0.0.1 (port 0 picks a free one, written to F once listening).

SCRIPT.json:
  {"routes": [{"method": "POST", "path": "/hook",        # or "path_re": "^/v2/.*"
               "responses": [{"status": 429, "headers": {"Retry-After": "1"},
                              "body": "text"} | {"json": {...}} | {"body_b64": "..."},
                             {"status": 200, "delay": 0.5},
                             {"drop": true},            # close without answering
                             {"status": 200, "body": "0123456789", "truncate": 4}]}]}

Responses of a route are used in order; the last one repeats. A route without
"method" matches every method. Unmatched requests get 404. Every request is appended
to REQ.jsonl as one JSON object: method, path, query, headers (lower-cased names),
body (text) or body_b64 (when not UTF-8), t (Unix time, float).
SIGTERM stops it.
"""
import argparse
import base64
import json
import os
import re
import signal
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class Stub:
    def __init__(self, script, log):
        self.routes = script.get("routes", [])
        self.counts = [0] * len(self.routes)
        self.log = log
        self.lock = threading.Lock()

    def pick(self, method, path):
        with self.lock:
            for i, r in enumerate(self.routes):
                if r.get("method") and r["method"].upper() != method:
                    continue
                if "path" in r and r["path"] != path:
                    continue
                if "path_re" in r and not re.search(r["path_re"], path):
                    continue
                resp = r.get("responses") or [{"status": 200}]
                n = self.counts[i]
                self.counts[i] += 1
                return resp[min(n, len(resp) - 1)]
        return {"status": 404, "body": "no route\n"}

    def record(self, entry):
        with self.lock, open(self.log, "a") as f:
            f.write(json.dumps(entry) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    stub = None

    def log_message(self, fmt, *args):
        pass

    def read_body(self):
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            chunks = []
            while True:
                line = self.rfile.readline().strip()
                size = int(line.split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def handle_any(self):
        body = self.read_body()
        parts = urlsplit(self.path)
        entry = {
            "method": self.command,
            "path": parts.path,
            "query": parts.query,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "t": time.time(),
        }
        try:
            entry["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            entry["body_b64"] = base64.b64encode(body).decode()
        self.stub.record(entry)
        r = self.stub.pick(self.command, parts.path)
        if r.get("delay"):
            time.sleep(float(r["delay"]))
        if r.get("drop"):
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if "json" in r:
            payload = json.dumps(r["json"]).encode()
            ctype = "application/json"
        elif "body_b64" in r:
            payload = base64.b64decode(r["body_b64"])
            ctype = "application/octet-stream"
        else:
            payload = r.get("body", "").encode()
            ctype = "text/plain; charset=utf-8"
        self.send_response(int(r.get("status", 200)))
        headers = dict(r.get("headers", {}))
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = ctype
        for k, v in headers.items():
            self.send_header(k, str(v))
        if self.command != "HEAD" or "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if "truncate" in r:
            self.wfile.write(payload[: int(r["truncate"])])
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = handle_any


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--script", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    a = ap.parse_args()
    with open(a.script) as f:
        Handler.stub = Stub(json.load(f), a.log)
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    if a.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
