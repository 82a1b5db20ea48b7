#!/usr/bin/env python3
"""Screenshot of a page in headless Chromium with real time.

Chromium's own --screenshot needs --virtual-time-budget to wait for the
page, which freezes the page's clocks (so the viewer would show 0 ms
timings). This drives Chromium over --remote-debugging-pipe instead (no
port is opened): it loads the page, waits until the JavaScript expression
--ready is true, waits --settle seconds more, and saves a PNG.

Usage: shot.py URL OUT.png [--size 1200x800] [--ready EXPR] [--timeout S]
"""

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time


class Chrome:
    def __init__(self, args):
        # Chromium reads commands from fd 3 and writes replies to fd 4.
        cmd_r, self.cmd_w = os.pipe()
        self.rep_r, rep_w = os.pipe()

        def child():
            # Via fresh copies, so neither end is clobbered when a pipe end
            # already is fd 3 or 4; dup2 makes the targets inheritable.
            a, b = os.dup(cmd_r), os.dup(rep_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            args, preexec_fn=child, close_fds=False,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(cmd_r)
        os.close(rep_w)
        self.buf = b""
        self.next_id = 0

    def call(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.cmd_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self.buf:
                raw, self.buf = self.buf.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self.next_id:
                    if "error" in reply:
                        raise RuntimeError(f"{method}: {reply['error']}")
                    return reply.get("result", {})
            if time.monotonic() > deadline:
                raise TimeoutError(method)
            chunk = os.read(self.rep_r, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buf += chunk

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url")
    ap.add_argument("out")
    ap.add_argument("--size", default="1200x800")
    ap.add_argument("--ready", default="true")
    ap.add_argument("--settle", type=float, default=0.5)
    ap.add_argument("--timeout", type=float, default=60)
    args = ap.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    with tempfile.TemporaryDirectory(prefix="tapir-shot.") as profile:
        chrome = Chrome([
            "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars",
            f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank",
        ])
        try:
            target = chrome.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = chrome.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            chrome.call("Emulation.setDeviceMetricsOverride",
                        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                        session)
            chrome.call("Page.enable", session=session)
            chrome.call("Page.navigate", {"url": args.url}, session)
            deadline = time.monotonic() + args.timeout
            while True:
                r = chrome.call("Runtime.evaluate",
                                {"expression": f"!!({args.ready})", "returnByValue": True}, session)
                if r.get("result", {}).get("value") is True:
                    break
                if time.monotonic() > deadline:
                    sys.exit(f"shot.py: the page was not ready after {args.timeout} s ({args.ready})")
                time.sleep(0.2)
            time.sleep(args.settle)
            png = chrome.call("Page.captureScreenshot", {"format": "png"}, session)["data"]
            with open(args.out, "wb") as f:
                f.write(base64.b64decode(png))
        finally:
            chrome.close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
