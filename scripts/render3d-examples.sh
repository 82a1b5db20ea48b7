#!/usr/bin/env bash
# Renders the three 3D examples (shaded with ambient occlusion, normals and
# 16-bit depth) into docs/images/, the pictures README.md shows.
# Usage: scripts/render3d-examples.sh [SIZE]   (default 512)
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-512}"
cargo build --release --quiet
tapir=target/release/tapir
out=docs/images
mkdir -p "$out"
# name and camera: yaw, pitch, scale (the half-size of the view cube)
for spec in "colonnade 30 20 1.25" "organic 25 15 1" "gyroid_sphere 20 25 1"; do
    set -- $spec
    name=$1
    view=(--yaw "$2" --pitch "$3" --scale "$4" --size "$size")
    "$tapir" render3d "shapes/examples/$name.expr" -o "$out/$name-shaded.png" "${view[@]}" --ssao
    "$tapir" render3d "shapes/examples/$name.expr" -o "$out/$name-normals.png" "${view[@]}" --mode normals
    "$tapir" render3d "shapes/examples/$name.expr" -o "$out/$name-depth.png" "${view[@]}" --mode depth
done
