#!/usr/bin/env python3
"""A fault-injecting proxy for tests: listens on 127.0.0.1 and forwards to a real
server (--upstream HOST:PORT), spoiling chosen requests.

  faultproxy.py --upstream 127.0.0.1:PORT --rules RULES.json --port-file F [--log L]
                [--tcp]

HTTP mode (default): each request is read whole (Content-Length or chunked body),
matched against the rules in order, and forwarded on a fresh upstream connection
(the client connection is closed after each answer). RULES.json:
  {"rules": [{"method": "PUT", "path_re": "^/v2/.*/manifests/", "skip": 0,
              "count": 1, "action": "status", "status": 503,
              "headers": {"Retry-After": "1"}, "body": "..."}]}
  action: "status" (answer STATUS without forwarding), "drop" (close without an
  answer), "truncate" (forward, pass only "bytes" bytes of the answer, close),
  "delay" (sleep "seconds", then forward), "pass".
  skip: matching requests let through before the rule acts; count: how many it
  acts on after that (0: every one). A rule that has acted count times is spent.
TCP mode (--tcp, e.g. in front of git daemon): a connection's first bytes from
the client are matched with "data_re" (git's request line names the service,
e.g. "git-receive-pack"); actions "drop", "delay", "truncate" (bytes from the
server to the client), "lose_reply" (pass the server's first pkt-line section,
git's ref advertisement up to its flush-pkt, then swallow the rest: the server
acts on the push, the client never hears how it went), "pass".
Every request (or connection) is logged to L as JSON lines: {"method","path",
"action"} ({"data","action"} in TCP mode)."""
import argparse
import json
import os
import re
import socket
import threading
import time

lock = threading.Lock()


class Rule:
    def __init__(self, d):
        self.method = d.get("method")
        self.path_re = re.compile(d["path_re"]) if "path_re" in d else None
        self.data_re = re.compile(d["data_re"].encode()) if "data_re" in d else None
        self.skip = int(d.get("skip", 0))
        self.count = int(d.get("count", 1))
        self.acted = 0
        self.d = d

    def take(self, method, path, data=b""):
        """The action for this request if the rule matches and is not spent."""
        if self.method and self.method != method:
            return None
        if self.path_re and not self.path_re.search(path or ""):
            return None
        if self.data_re and not self.data_re.search(data):
            return None
        if self.skip > 0:
            self.skip -= 1
            return None
        if self.count and self.acted >= self.count:
            return None
        self.acted += 1
        return self.d


def log(args, rec):
    if not args.log:
        return
    with lock:
        with open(args.log, "a") as f:
            f.write(json.dumps(rec) + "\n")


def pick(rules, *a):
    with lock:
        for r in rules:
            d = r.take(*a)
            if d is not None:
                return d
    return {"action": "pass"}


def read_until(sock, buf, sep):
    while sep not in buf:
        b = sock.recv(65536)
        if not b:
            return None, buf
        buf += b
    i = buf.index(sep) + len(sep)
    return buf[:i], buf[i:]


def read_exact(sock, buf, n):
    while len(buf) < n:
        b = sock.recv(65536)
        if not b:
            raise EOFError
        buf += b
    return buf[:n], buf[n:]


def read_request(sock):
    head, rest = read_until(sock, b"", b"\r\n\r\n")
    if head is None:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path = lines[0].split(" ")[:2]
    headers = []
    clen, chunked = 0, False
    for ln in lines[1:]:
        if not ln:
            continue
        k, _, v = ln.partition(":")
        kl = k.strip().lower()
        if kl == "content-length":
            clen = int(v.strip())
        elif kl == "transfer-encoding" and "chunked" in v.lower():
            chunked = True
        if kl in ("connection", "proxy-connection", "keep-alive"):
            continue
        headers.append(ln)
    body = b""
    if chunked:
        while True:
            line, rest = read_until(sock, rest, b"\r\n")
            size = int(line.split(b";")[0].strip(), 16)
            body += line
            data, rest = read_exact(sock, rest, size + 2)
            body += data
            if size == 0:
                break
    elif clen:
        body, rest = read_exact(sock, rest, clen)
    return method, path, lines[0], headers, body


def answer(sock, d):
    status = int(d.get("status", 503))
    body = d.get("body", "").encode()
    hdrs = "".join("%s: %s\r\n" % kv for kv in d.get("headers", {}).items())
    sock.sendall(("HTTP/1.1 %d Fault\r\nContent-Length: %d\r\nConnection: close\r\n%s\r\n"
                  % (status, len(body), hdrs)).encode() + body)


def pump(src, dst, limit=None, body_limit=None):
    sent = 0
    head = b""
    try:
        while body_limit is not None:
            b = src.recv(65536)
            if not b:
                dst.sendall(head)
                return True
            head += b
            if b"\r\n\r\n" in head:
                limit = head.index(b"\r\n\r\n") + 4 + body_limit
                dst.sendall(head[:limit])
                if len(head) >= limit:
                    return False
                sent = len(head)
                break
        while True:
            b = src.recv(65536)
            if not b:
                break
            if limit is not None and sent + len(b) > limit:
                dst.sendall(b[:limit - sent])
                return False
            dst.sendall(b)
            sent += len(b)
    except OSError:
        return False
    return True


def pump_advert_then_swallow(src, dst):
    """Forward pkt-lines from src up to and including the first flush-pkt, then
    read and drop everything else until src closes."""
    buf, pos = b"", 0
    try:
        while True:
            while len(buf) - pos >= 4:
                n = int(buf[pos:pos + 4], 16)
                if n == 0:
                    dst.sendall(buf[:pos + 4])
                    while src.recv(65536):
                        pass
                    return
                if len(buf) - pos < n:
                    break
                pos += n
            b = src.recv(65536)
            if not b:
                dst.sendall(buf)
                return
            buf += b
    except (OSError, ValueError):
        return


def http_conn(args, rules, client):
    try:
        req = read_request(client)
        if req is None:
            return
        method, path, first, headers, body = req
        d = pick(rules, method, path)
        act = d.get("action", "pass")
        log(args, {"method": method, "path": path, "action": act})
        if act == "drop":
            return
        if act == "status":
            answer(client, d)
            return
        if act == "delay":
            time.sleep(float(d.get("seconds", 1)))
        up = socket.create_connection(args.upstream)
        with up:
            up.sendall((first + "\r\n" + "".join(h + "\r\n" for h in headers) +
                        "Connection: close\r\n\r\n").encode("latin-1") + body)
            if act == "truncate" and "body_bytes" in d:
                pump(up, client, body_limit=int(d["body_bytes"]))
            else:
                pump(up, client, int(d["bytes"]) if act == "truncate" else None)
    except (OSError, EOFError, ValueError) as e:
        log(args, {"error": repr(e)})
    finally:
        try:
            client.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        client.close()


def tcp_conn(args, rules, client):
    try:
        client.settimeout(2)
        try:
            first = client.recv(65536)
        except socket.timeout:
            first = b""
        client.settimeout(None)
        d = pick(rules, None, None, first)
        act = d.get("action", "pass")
        log(args, {"data": first[:200].decode("latin-1"), "action": act})
        if act == "drop":
            return
        if act == "delay":
            time.sleep(float(d.get("seconds", 1)))
        up = socket.create_connection(args.upstream)
        with up:
            up.sendall(first)
            t = threading.Thread(target=lambda: (pump(client, up), up.shutdown(socket.SHUT_WR)),
                                 daemon=True)
            t.start()
            if act == "lose_reply":
                pump_advert_then_swallow(up, client)
            else:
                pump(up, client, int(d["bytes"]) if act == "truncate" else None)
    except OSError:
        pass
    finally:
        try:
            client.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        client.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--rules")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--tcp", action="store_true")
    args = ap.parse_args()
    host, _, port = args.upstream.rpartition(":")
    args.upstream = (host or "127.0.0.1", int(port))
    rules = []
    if args.rules:
        with open(args.rules) as f:
            rules = [Rule(d) for d in json.load(f).get("rules", [])]
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.rename(tmp, args.port_file)
    handler = tcp_conn if args.tcp else http_conn
    while True:
        c, _ = srv.accept()
        threading.Thread(target=handler, args=(args, rules, c), daemon=True).start()


if __name__ == "__main__":
    main()
