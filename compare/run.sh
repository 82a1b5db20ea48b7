#!/usr/bin/env bash
# Builds the comparison (release) and runs it on the Prospero challenge (when
# ../shared/models/prospero.vm is there) and on the 3D examples, exported to
# .vm with `tapir export`. The tables go to stdout; progress to stderr.
#
#   compare/run.sh                      # 3 timed runs per measurement
#   RUNS=9 compare/run.sh --threads 2   # extra options go to tapir-compare
#
# Timings take /tmp/tapir-bench.lock, so they never overlap with another
# benchmark on this machine.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
runs="${RUNS:-3}"

echo "== building tapir and tapir-compare (release)" >&2
cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin tapir
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
tapir="$root/target/release/tapir"
compare="$here/target/release/tapir-compare"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

inputs=()
prospero="$root/../shared/models/prospero.vm"
if [[ -f "$prospero" ]]; then
    inputs+=("$prospero")
else
    echo "== $prospero is absent: skipping the Prospero comparison" >&2
fi
for name in colonnade organic gyroid_sphere; do
    "$tapir" export "$root/shapes/examples/$name.expr" -o "$tmp/$name.vm"
    inputs+=("$tmp/$name.vm")
done

echo "== comparing on ${#inputs[@]} models, $runs timed runs each (this takes a while)" >&2
if command -v flock > /dev/null; then
    flock /tmp/tapir-bench.lock "$compare" --runs "$runs" "$@" "${inputs[@]}"
else
    "$compare" --runs "$runs" "$@" "${inputs[@]}"
fi
