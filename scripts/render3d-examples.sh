#!/usr/bin/env bash
# Renders the three 3D examples (shaded with ambient occlusion, normals and
# 16-bit depth) into docs/images/, the pictures README.md shows, each from
# the camera of its `# view:` header line (as scripts/gallery.sh does).
# Usage: scripts/render3d-examples.sh [SIZE]   (default 512)
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-512}"
cargo build --release --quiet
tapir=target/release/tapir
out=docs/images
mkdir -p "$out"
for name in colonnade organic gyroid_sphere; do
    src="shapes/examples/$name.expr"
    view=$(sed -n 's/^# view://p' "$src" | head -n 1)
    # shellcheck disable=SC2086 # the view is a list of options
    "$tapir" render3d "$src" -o "$out/$name-shaded.png" --size "$size" $view --ssao
    # shellcheck disable=SC2086
    "$tapir" render3d "$src" -o "$out/$name-normals.png" --size "$size" $view --mode normals
    # shellcheck disable=SC2086
    "$tapir" render3d "$src" -o "$out/$name-depth.png" --size "$size" $view --mode depth
done
