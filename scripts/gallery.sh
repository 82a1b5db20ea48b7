#!/usr/bin/env bash
# Renders the gallery of shapes/README.md: one picture per example of
# shapes/examples/, written to shapes/gallery/NAME.png, and the gallery table
# between the `<!-- gallery -->` markers of shapes/README.md. It also
# refreshes the library's tables there (between `<!-- library -->` markers)
# from `tapir shapes --markdown`.
#
# 2D examples (those that do not read z, per `tapir info`) are rendered with
# `tapir render` as bitmaps; 3D ones with `tapir render3d`, shaded, from the
# view given by a `# view: --yaw A --pitch B` line of their header (default
# --yaw 30 --pitch 25). If this tapir has no `render3d` command, 3D examples
# fall back to their z = 0 slice.
#
# Usage: scripts/gallery.sh [SIZE]      (from anywhere; SIZE defaults to 256)
#
# Works from a fresh clone: it builds tapir in release mode first.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
size=${1:-256}
cd "$repo"
cargo build --release --quiet
tapir="$repo/target/release/tapir"
out=shapes/gallery
mkdir -p "$out"
rm -f "$out"/*.png

have3d=no
if "$tapir" render3d --help >/dev/null 2>&1; then
  have3d=yes
fi

table=$(mktemp)
trap 'rm -f "$table"' EXIT
{
  echo "| example | picture | example | picture |"
  echo "| --- | --- | --- | --- |"
} >"$table"

row=""
n=0
for src in shapes/examples/*.expr; do
  name=$(basename "$src" .expr)
  png="$out/$name.png"
  if "$tapir" info "$src" | grep -q '^reads: .*z'; then
    kind=3D
  else
    kind=2D
  fi
  if [ "$kind" = 3D ] && [ "$have3d" = yes ]; then
    view=$(sed -n 's/^# view://p' "$src" | head -n 1)
    [ -n "$view" ] || view="--yaw 30 --pitch 25"
    # shellcheck disable=SC2086 # the view is a list of options
    "$tapir" render3d "$src" -o "$png" --size "$size" $view
  else
    "$tapir" render "$src" -o "$png" --size "$size"
  fi
  # The caption: the header comment up to its first colon or full stop.
  caption=$(sed -n '1,/^[^#]/p' "$src" | sed -n 's/^# \{0,1\}//p' | tr '\n' ' ' |
    sed 's/[:.].*//' | sed 's/|/\\|/g')
  cell="**$name** ($kind): $caption | ![$name](gallery/$name.png)"
  if [ -z "$row" ]; then
    row="| $cell"
  else
    echo "$row | $cell |" >>"$table"
    row=""
  fi
  n=$((n + 1))
done
if [ -n "$row" ]; then
  echo "$row | | |" >>"$table"
fi

# Replaces the text between the markers <!-- $1 --> and <!-- /$1 --> of
# shapes/README.md by the file $2.
replace_between() {
  awk -v mark="$1" -v file="$2" '
    $0 == "<!-- " mark " -->" { print; while ((getline line < file) > 0) print line; skip = 1; next }
    $0 == "<!-- /" mark " -->" { skip = 0 }
    !skip { print }
  ' shapes/README.md >shapes/README.md.new
  mv shapes/README.md.new shapes/README.md
}
replace_between gallery "$table"
"$tapir" shapes --markdown >"$table"
replace_between library "$table"
echo "gallery: $n pictures in $out (3D renders: $have3d)"
