#!/usr/bin/env bash
# Drives the viewer in headless Chromium, served by web/e2e/server.py on a
# free port of 127.0.0.1.
#
#   web/e2e/run.sh test SPEC.json OUT.txt
#       Loads index.html?test=SPEC (see testmode.js), writes the page's result
#       lines to OUT.txt; fails unless the page got to its `done` line.
#   web/e2e/run.sh dump PAGE OUT.txt
#       Loads PAGE (a path with query, e.g. 'bench/?x=1'), writes the text of
#       its <pre id="result"> to OUT.txt.
#   web/e2e/run.sh report PAGE OUT.txt [SECONDS]
#       Loads PAGE with real time (no virtual time budget, so the page's
#       clocks run: for benchmarks) and waits, at most SECONDS (default 600),
#       for the page to POST its results to /report; writes them to OUT.txt.
#   web/e2e/run.sh screenshot PAGE OUT.png [WIDTHxHEIGHT]
#       Screenshot of PAGE (default size 1200x800) once the viewer has
#       rendered, with real time (e2e/shot.py).
#
# Options (before the command): --mount /PREFIX=DIR (served under /PREFIX/,
# may repeat), --no-build (skip web/build.sh), --budget MS (Chromium's
# virtual time budget, default 30000).
# Installs Debian's chromium if it is missing. Builds first with build.sh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
web="$(dirname "$here")"
say() { printf '[web/e2e/run.sh] %s\n' "$*" >&2; }

mounts=()
build=1
budget=30000
while [[ $# -gt 0 ]]; do
    case "$1" in
        --mount) mounts+=(--mount "$2"); shift 2 ;;
        --no-build) build=0; shift ;;
        --budget) budget="$2"; shift 2 ;;
        *) break ;;
    esac
done
cmd="${1:-}"
case "$cmd" in
    test) [[ $# -eq 3 ]] || { say "usage: run.sh test SPEC.json OUT.txt"; exit 2; } ;;
    dump) [[ $# -eq 3 ]] || { say "usage: run.sh dump PAGE OUT.txt"; exit 2; } ;;
    report) [[ $# -ge 3 ]] || { say "usage: run.sh report PAGE OUT.txt [SECONDS]"; exit 2; } ;;
    screenshot) [[ $# -ge 3 ]] || { say "usage: run.sh screenshot PAGE OUT.png [WxH]"; exit 2; } ;;
    *) say "usage: run.sh [--mount /P=DIR]... [--no-build] test|dump|report|screenshot ..."; exit 2 ;;
esac

if [[ $build -eq 1 ]]; then
    "$web/build.sh"
fi

if ! command -v chromium >/dev/null; then
    say "installing Debian's chromium"
    if [[ $(id -u) -eq 0 ]]; then sudo=(); else sudo=(sudo); fi
    "${sudo[@]}" apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/tapir-e2e.XXXXXX")"
server_pid=""
chrome_pid=""
cleanup() {
    if [[ -n "$chrome_pid" ]]; then kill "$chrome_pid" 2>/dev/null || true; wait "$chrome_pid" 2>/dev/null || true; fi
    if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

page="$2"
if [[ "$cmd" == test ]]; then
    spec="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
    mounts+=(--mount "/e2e-spec=$(dirname "$spec")")
    page="index.html?test=/e2e-spec/$(basename "$spec")"
fi

python3 "$here/server.py" --root "$web" --port 0 --port-file "$tmp/port" --quiet "${mounts[@]}" \
    --report-file "$tmp/report.txt" \
    >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
    [[ -s "$tmp/port" ]] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/server.log" >&2; say "the server did not start"; exit 1; }
    sleep 0.1
done
[[ -s "$tmp/port" ]] || { say "the server did not report its port"; exit 1; }
url="http://127.0.0.1:$(cat "$tmp/port")/${page#/}"

chrome=(chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
        --disable-background-networking --disable-component-update --disable-sync
        --disable-dev-shm-usage --user-data-dir="$tmp/profile")

case "$cmd" in
    test|dump)
        out="$3"
        say "loading $url"
        if ! timeout 600 "${chrome[@]}" --virtual-time-budget="$budget" --dump-dom "$url" \
                >"$tmp/dom.html" 2>"$tmp/chrome.log"; then
            tail -20 "$tmp/chrome.log" >&2
            say "chromium failed"
            exit 1
        fi
        # The text of <pre id="result">, unescaped.
        python3 - "$tmp/dom.html" "$out" <<'EOF'
import html, re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'<pre id="result"[^>]*>(.*?)</pre>', dom, re.S)
text = html.unescape(m.group(1)) if m else ""
open(sys.argv[2], "w", encoding="utf-8").write(text)
EOF
        if [[ ! -s "$out" ]]; then
            say "the page wrote no result; its status line and log:"
            python3 -c 'import re,sys,html; m=re.search(r"<div id=\"status\">(.*?)</div>", open(sys.argv[1]).read(), re.S); print(html.unescape(m.group(1)) if m else "(no status)")' "$tmp/dom.html" >&2
            tail -20 "$tmp/chrome.log" >&2
            exit 1
        fi
        if [[ "$cmd" == test ]] && ! grep -qx done "$out"; then
            cat "$out" >&2
            say "the test page did not finish"
            exit 1
        fi
        ;;
    report)
        out="$3"
        secs="${4:-600}"
        say "loading $url (real time, up to $secs s)"
        timeout "$secs" "${chrome[@]}" "$url" >"$tmp/chrome.log" 2>&1 &
        chrome_pid=$!
        while [[ ! -f "$tmp/report.txt" ]]; do
            if ! kill -0 "$chrome_pid" 2>/dev/null; then
                tail -20 "$tmp/chrome.log" >&2
                say "chromium stopped before the page reported"
                exit 1
            fi
            sleep 0.2
        done
        cp "$tmp/report.txt" "$out"
        ;;
    screenshot)
        out="$(cd "$(dirname "$3")" && pwd)/$(basename "$3")"
        size="${4:-1200x800}"
        say "screenshot of $url"
        # Real time (not --virtual-time-budget), so the page shows real timings.
        python3 "$here/shot.py" "$url" "$out" --size "$size" \
            --ready 'window.tapirApp && window.tapirApp.lastRender' >&2
        ;;
esac
