#!/usr/bin/env python3
"""A small static server for the tapir viewer, its tests and benchmarks.

Serves --root (web/) on 127.0.0.1, plus:
  --mount /prefix=DIR   extra directories (test specs, models) under /prefix/
  GET /now              this server's monotonic clock in ms (JSON number), for
                        timing pages whose own clock is frozen by Chromium's
                        --virtual-time-budget
  GET /hold?ms=N        answers after N ms (at most 5000); a page keeps one
                        pending while it works, which stops virtual time
                        from running out meanwhile
  POST /report          writes the request body to --report-file (how a page
                        run without virtual time hands back its results)
With --port 0 a free port is chosen; --port-file receives the port number.
Standard library only; no caching, so a rebuilt pkg/ is picked up at once.
"""

import argparse
import http.server
import os
import posixpath
import sys
import time
import urllib.parse

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".wasm": "application/wasm",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".expr": "text/plain; charset=utf-8",
    ".vm": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}


def make_handler(root, mounts, quiet, report_file):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            if not quiet:
                sys.stderr.write("[server] " + (fmt % args) + "\n")

        def send_bytes(self, code, body, ctype):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_POST(self):
            path = urllib.parse.urlsplit(self.path).path
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, 16 << 20))
            if path != "/report" or not report_file:
                return self.send_bytes(404, b"not found\n", "text/plain")
            tmp = report_file + ".tmp"
            with open(tmp, "wb") as f:
                f.write(body)
            os.replace(tmp, report_file)
            self.send_bytes(200, b"{}", "application/json")

        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            path = urllib.parse.unquote(url.path)
            if path == "/now":
                now = "%.3f" % (time.perf_counter() * 1000.0)
                return self.send_bytes(200, now.encode(), "application/json")
            if path == "/hold":
                q = urllib.parse.parse_qs(url.query)
                try:
                    ms = min(5000.0, max(0.0, float(q.get("ms", ["100"])[0])))
                except ValueError:
                    ms = 100.0
                time.sleep(ms / 1000.0)
                return self.send_bytes(200, b"{}", "application/json")
            file = self.resolve(path)
            if file is None:
                return self.send_bytes(404, b"not found\n", "text/plain")
            if os.path.isdir(file):
                if not path.endswith("/"):
                    self.send_response(301)
                    self.send_header("Location", path + "/")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                file = os.path.join(file, "index.html")
            try:
                with open(file, "rb") as f:
                    body = f.read()
            except OSError:
                return self.send_bytes(404, b"not found\n", "text/plain")
            ext = os.path.splitext(file)[1].lower()
            self.send_bytes(200, body, TYPES.get(ext, "application/octet-stream"))

        def resolve(self, path):
            norm = posixpath.normpath(path)
            if ".." in norm.split("/"):
                return None
            for prefix, base in mounts:
                if norm == prefix or norm.startswith(prefix + "/"):
                    rest = norm[len(prefix):].lstrip("/")
                    return os.path.join(base, rest)
            return os.path.join(root, norm.lstrip("/"))

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", required=True)
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--port-file")
    ap.add_argument("--mount", action="append", default=[], metavar="/PREFIX=DIR")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--report-file", help="where POST /report bodies go")
    args = ap.parse_args()
    mounts = []
    for m in args.mount:
        prefix, _, d = m.partition("=")
        if not prefix.startswith("/") or not d:
            ap.error(f"bad --mount {m!r}: expected /PREFIX=DIR")
        mounts.append((prefix.rstrip("/"), os.path.abspath(d)))
    handler = make_handler(os.path.abspath(args.root), mounts, args.quiet, args.report_file)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    server.daemon_threads = True
    port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, args.port_file)
    print(f"serving {args.root} on http://127.0.0.1:{port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
