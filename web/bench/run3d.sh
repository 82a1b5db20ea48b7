#!/usr/bin/env bash
# Times 3D frames of one shape in headless Chromium against the native
# renderer on the same machine, in the same run:
#   - native: `tapir bench SHAPE --3d` at the same size, 1 thread (its 3D
#     rows: depth and normals of the default view, pruning on);
#   - wasm: one render_band over the whole frame on the page thread, tail and
#     match dispatch (bench.js, bench3d=1), and the viewer's reduced frames
#     while dragging on WORKERS workers.
# Wrap it in `flock /tmp/tapir-bench.lock` when others share the machine.
#
# Usage: web/bench/run3d.sh [SHAPE_FILE] [SIZE] [REPS] [WORKERS]
# Default: shapes/examples/colonnade.expr, 512, 5, 2.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
web="$(dirname "$here")"
root="$(dirname "$web")"
shape="$(realpath "${1:-$root/shapes/examples/colonnade.expr}")"
size="${2:-512}"
reps="${3:-5}"
workers="${4:-2}"
"$web/build.sh"
echo "== native (tapir bench --3d, 1 thread)"
(cd "$root" && cargo build --release --quiet)
"$root/target/release/tapir" bench "$shape" --3d --no-brute --threads 1 --size "$size" --runs "$reps" |
    grep -iE '3d|frame|tail|match' || true
echo "== headless Chromium"
out="$(mktemp)"
"$web/e2e/run.sh" --no-build --mount "/bench-shape=$(dirname "$shape")" \
    report "index.html?bench=1&bench3d=1&benchshape=/bench-shape/$(basename "$shape")&reps=$reps&benchsize=$size&workers=$workers&size=$size" "$out"
cat "$out"
rm -f "$out"
