#!/usr/bin/env bash
# Times the wasm build on one shape in Node and in headless Chromium, for
# tail-call and match dispatch (1 thread, 1024² bitmap, pruning on), plus the
# viewer's worker-pool path in Chromium.
#
# Usage: web/bench/run.sh [SHAPE_FILE] [REPS]
# Default shape: /work/shared/models/prospero.vm (served to the page from
# its own directory; never copied into the repo).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
web="$(dirname "$here")"
shape="$(realpath "${1:-/work/shared/models/prospero.vm}")"
reps="${2:-5}"
"$web/build.sh"
echo "== Node $(node --version)"
node "$here/node-bench.mjs" "$shape" --reps "$reps"
echo "== headless Chromium"
out="$(mktemp)"
"$web/e2e/run.sh" --no-build --mount "/bench-shape=$(dirname "$shape")" \
    report "index.html?bench=1&benchshape=/bench-shape/$(basename "$shape")&reps=$reps&size=256" "$out"
cat "$out"
rm -f "$out"
