#!/usr/bin/env bash
# Serves web/ on http://127.0.0.1:8080/ (PORT=... to change) for the viewer.
# Run web/build.sh first (it makes web/pkg/). Ctrl-C stops it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
port="${PORT:-8080}"
if [[ ! -f "$here/pkg/tapir_web.js" ]]; then
    echo "web/pkg/ is missing: run web/build.sh first" >&2
    exit 1
fi
echo "tapir viewer: http://127.0.0.1:$port/"
exec python3 "$here/e2e/server.py" --root "$here" --port "$port" --quiet "$@"
