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
# Usage: [CAM=yaw,pitch,scale] web/bench/run3d.sh [SHAPE_FILE] [SIZE] [REPS] [WORKERS]
# Default: shapes/examples/colonnade.expr, 512, 5, 2, the default camera
# (the one `tapir bench --3d` uses).
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
    sed -n '/^3D frames/,/^$/p'
# The same frame at the shape's own camera (CAM=yaw,pitch,scale, as the
# page's cam=), through `tapir render3d`, best of REPS.
if [[ -n "${CAM:-}" ]]; then
    IFS=, read -r yaw pitch scale <<<"$CAM"
    for d in tail match; do
        best=$(for _ in $(seq "$reps"); do
            "$root/target/release/tapir" render3d "$shape" -o /dev/null --yaw "$yaw" --pitch "$pitch" \
                --scale "$scale" --size "$size" --threads 1 --dispatch "$d" --bench-child >/dev/null
            /usr/bin/time -f %e "$root/target/release/tapir" render3d "$shape" --bench-child --yaw "$yaw" \
                --pitch "$pitch" --scale "$scale" --size "$size" --threads 1 --dispatch "$d" 2>&1 >/dev/null | tail -1
        done | sort -n | head -1)
        echo "  render3d at cam=$CAM, $d: best $best s (whole process)"
    done
fi
echo "== headless Chromium"
out="$(mktemp)"
"$web/e2e/run.sh" --no-build --mount "/bench-shape=$(dirname "$shape")" \
    report "index.html?bench=1&bench3d=1&benchshape=/bench-shape/$(basename "$shape")&reps=$reps&benchsize=$size&workers=$workers&size=$size${CAM:+&cam=$CAM}" "$out"
cat "$out"
rm -f "$out"
