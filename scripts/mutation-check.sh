#!/usr/bin/env bash
# Mutation check: do the tests notice when an evaluator is broken?
#
# Copies the working tree (tracked and untracked-but-not-ignored files) to a
# scratch directory, then for each mutation below: applies it with sed,
# runs the test suite there, records which tests failed, and restores the
# file. A mutation that no test catches is a hole in the tests.
#
# Usage: scripts/mutation-check.sh [SCRATCH_DIR]
#
#   SCRATCH_DIR   where to copy the repository (default: a fresh mktemp dir);
#                 it gets its own target directory, so the repository's build
#                 is left alone.
#
# Environment:
#   MUTATION_TEST_ARGS   arguments for `cargo test` (default: `--tests`, i.e.
#                        unit and integration tests, no doctests)
#   MUTATIONS            space-separated names to run only some mutations
#   TAPIR_SKIP_WEB       defaults to 1: the web viewer's end-to-end test
#                        (tests/web.rs) builds a wasm module and runs a
#                        browser, too slow to repeat per mutation
#
# The Prospero model (../shared/models/prospero.vm) is not copied, so the
# tests that use it are skipped in the scratch copy.
#
# Exit status: 0 if every mutation was caught, 1 otherwise.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
scratch=${1:-$(mktemp -d /tmp/tapir-mutation.XXXXXX)}
test_args=${MUTATION_TEST_ARGS:---tests}
export TAPIR_SKIP_WEB=${TAPIR_SKIP_WEB:-1}

# name | file | sed expression | what it breaks
mutations=(
  "interval-add|src/eval/interval.rs|s/Self::checked(self.lo + b.lo, self.hi + b.hi)/Self::checked(self.lo + b.lo, self.hi + b.lo)/|interval add: upper bound from the wrong end"
  "point-min|src/eval/point.rs|s/let v = if self < b { self } else { b };/let v = if self <= b { self } else { b };/|point min: which zero min(-0, +0) returns"
  "tail-call-subimm|src/interp/tail_call.rs|s/exec::step::<V>(CODE, \*ip,/exec::step::<V>(if CODE \& 63 == Op::SubImm as u8 { (CODE \& 192) + Op::AddImm as u8 } else { CODE }, *ip,/|tail-call dispatch only: SubImm runs as AddImm"
  "regalloc-evict|src/tape/regalloc.rs|s/self.reg_of\[w\] = NO_REG;//|register allocator: an evicted value still thinks it is in its register"
  "simplify-left|src/tape/simplify.rs|s/Choice::Left => op.a,/Choice::Left => op.b,/|pruning: a Left choice keeps the right operand"
  "slice-max|src/eval/slice.rs|s/nan_where_nan(a, a.simd_gt(b).select(a, b))/nan_where_nan(a, a.simd_ge(b).select(a, b))/|slice max: which zero max(+0, -0) returns"
  "grad-mul|src/eval/grad.rs|s/Dual::chain2(self, b, self.v.mul(b.v), b.v, self.v)/Dual::chain2(self, b, self.v.mul(b.v), b.v, b.v)/|gradient of a product"
  "param-input|src/interp/exec.rs|s/\*(\*ctx).params.add(k - 3)/*(*ctx).params/|parameters: every parameter reads the first one's value"
  "param-range|src/shape.rs|s/if !(p.lo..=p.hi).contains(value)/if !(p.lo..=p.hi + 1.0).contains(value)/|parameters: values above the range are accepted"
  "fold-step|src/lang/expr.rs|s/let next = graph.const_value(i).ok_or_else(internal)? + 1.0;/let next = graph.const_value(i).ok_or_else(internal)? + 2.0;/|language: a fold skips every other round"
  "list-index|src/lang/expr.rs|s/usize::try_from(i).ok()/usize::try_from(i \/ 2).ok()/|language: l[i] picks element i \/ 2"
  "std-cone|shapes/std/shapes3d.expr|s/let outward = 2 \* h \* (q - r1)/let outward = h * (q - r1)/|library: the cone's inside test uses the wrong side line"
  "std-ellipse|shapes/std/shapes2d.expr|s/for i in 0 .. 6: _ellipse_step/for i in 0 .. 2: _ellipse_step/|library: the ellipse iterates too few times to be exact"
  "std-chamfer|shapes/std/booleans.expr|s/fn chamfer_union(a, b, r) = min(a, b, (a + b - r) \* 0.5);/fn chamfer_union(a, b, r) = min(a, b, (a + b - r) * 0.7071);/|library: the chamfer is steeper than a distance allows"
  "grad-sqrt-zero|src/eval/grad.rs|s/self.chain_or_zero(r, S::splat(0.5).div(r))/self.chain(r, S::splat(0.5).div(r))/|gradient: zero derivatives through sqrt at 0 become NaN"
  "simd-exp|src/eval/simd_math.rs|s/f32::from_bits(0x3fb8_aa3b)/f32::from_bits(0x3fb8_aa3c)/|slice exp: 1/ln 2 one ulp off"
  "simd-sin|src/eval/simd_math.rs|s/let e_arg = q(2).select(-y, y);/let e_arg = q(3).select(-y, y);/|slice sin: wrong sign in one quadrant"
  "render3d-bounds|src/render/render3d.rs|s/b\[2\] = Interval::new(b\[2\].lo(), self.above(top));/b[2] = Interval::new(b[2].lo(), b[2].hi());/|3D cells bounded without the sample above: pruned tapes used outside their box"
  "render3d-refine|src/render/render3d.rs|s/(s.lo\[n\], s.flo\[n\]) = (z, f);/(s.hi[n], s.fhi[n]) = (z, f);/|3D refinement: an inside midpoint moves the outside end"
  "render3d-band-halo|src/render/render3d.rs|s/let first = rows.start.saturating_sub(1);/let first = rows.start;/|3D bands: no row above the band for estimating normals (bands differ from the full render)"
  "render3d-band-pixel|src/render/render3d.rs|s/2.0 \* ev \/ frame_height as f64/2.0 * ev \/ ht as f64/|3D bands: estimated normals use the band's height for the pixel size"
  "view-pitch|src/render/view.rs|s/Vector3::x_axis(), -r(self.pitch)/Vector3::x_axis(), r(self.pitch)/|view: pitch looks up instead of down"
  "mesh-orientation|src/mesh/dual.rs|s/if leaf.mask >> c0 \& 1 == 0 {/if leaf.mask >> c0 \& 1 == 1 {/|mesh: quads face the inside"
  "mesh-components|src/mesh/cell.rs|s/if inside(corners\[k\]) == cut {/if true {/|mesh: an ambiguous face joins all four crossings into one component"
  "mesh-flip|src/mesh/cell.rs|s/joined(mine, f) \&\& joined(theirs, f ^ 1)/false/|mesh: thin handles keep one vertex per side (non-manifold)"
  "mesh-qef-fallback|src/mesh/qef.rs|s/            p = m;/            p = [p[0], p[1], p[2]];/|mesh: a QEF solution outside its cell is clamped to the cell instead of using the mass point"
  "mesh-cap|src/mesh/mod.rs|s/let half = (b.max\[a\] - b.min\[a\]) \/ 2.0;/let half = (b.max[a] - b.min[a]) \/ 2.0 * 0.99;/|mesh: the cap is inset from the region's faces"
  "mesh-undo-merges|src/mesh/mod.rs|s/let split = unsafe_merges(\&tree, \&mesh, round == 0);/let split = std::collections::HashSet::new();/|mesh: merges that make the mesh cross itself stay"
  "contour-tie-normal|src/contour.rs|s/crossings\[k\].n = n;/crossings[k].n = [0.0; 2];/|contours: no fallback normal where a min\/max ties on the boundary (box corners cut)"
  "contour-orientation|src/contour.rs|s/1 => corner_in(2),/1 => !corner_in(2),/|contours: segments through right cell sides run the wrong way"
  "contour-newton|src/contour.rs|s/let step = f64::from(v) \/ f64::from(len);/let step = 0.0 * f64::from(v) \/ f64::from(len);/|contours: smooth vertices stay at the QEF point, off the curve"
  "contour-qef-rank|src/contour.rs|s/const QEF_TRUNCATION: f64 = 0.1;/const QEF_TRUNCATION: f64 = 1.1;/|contours: the QEF always drops its second direction (no sharp corners)"
  "contour-prune-skip|src/contour.rs|s/v.hi().max(b.hi()));/v.hi().max(b.hi()) - 0.05);/|contours: blocks the interval does not prove empty are skipped"
  "contour-cap|src/contour.rs|s/(x - self.hi\[0\], \[1.0, 0.0\]),/(x - self.hi[0] - 0.25, [1.0, 0.0]),/|contours: the right cap is not at the region's edge"
  "contour-corners|src/contour.rs|s/^const CORNER_COS: f64 = 0.985;/const CORNER_COS: f64 = -2.0;/|contours: corners no cell holds are not put back"
  "stl-normal|src/mesh/write.rs|s/u\[0\] as f64 \* v\[1\] as f64 - u\[1\] as f64 \* v\[0\] as f64,/u[1] as f64 * v[0] as f64 - u[0] as f64 * v[1] as f64,/|STL: facet normals with a wrong z"
  "obj-winding|src/mesh/write.rs|s/f {a}\/\/{a} {b}\/\/{b}/f {b}\/\/{b} {a}\/\/{a}/|OBJ: faces written inside out"
  "ply-normals|src/mesh/write.rs|s/put_f32s(\&mut w, \&mesh.normals\[i\])?;/put_f32s(\&mut w, \&mesh.vertices[i])?;/|PLY: positions written as normals"
  "zip-crc|src/mesh/write.rs|s/crc: d.crc.sum(),/crc: d.crc.sum() ^ 1,/|3MF: a wrong CRC-32 in the zip"
  "output-cancel|src/cli/output.rs|s/if interrupt::requested(cancel) {/if false \&\& interrupt::requested(cancel) {/|atomic output: Ctrl-C during the write still replaces the file"
  "output-mode|src/cli/output.rs|s/Some(std::fs::Permissions::from_mode(0o644))/Some(std::fs::Permissions::from_mode(0o600))/|atomic output: new files private to their owner"
)

echo "copying $repo to $scratch/main"
mkdir -p "$scratch/main"
(cd "$repo" && git ls-files -z -co --exclude-standard | xargs -0 cp --parents -t "$scratch/main")
export CARGO_TARGET_DIR="$scratch/target"
cd "$scratch/main"

echo "baseline: cargo test $test_args"
if ! cargo test $test_args --no-fail-fast >"$scratch/baseline.log" 2>&1; then
  echo "the unmutated tests fail; see $scratch/baseline.log" >&2
  grep -E '^test .* FAILED$' "$scratch/baseline.log" >&2 || true
  exit 2
fi

# Prints `target::test` for every failed test in a cargo test log.
failed_tests() {
  awk '
    /^ *Running / { t = $2; sub(/^.*\//, "", t); sub(/\.rs$/, "", t); if (t == "") t = $2 }
    / *Running unittests/ { t = "lib" }
    /^test .* \.\.\. FAILED$/ { print t "::" $2 }
  ' "$1"
}

status=0
summary="$scratch/summary.txt"
: >"$summary"
for m in "${mutations[@]}"; do
  IFS='|' read -r name file expr what <<<"$m"
  if [ -n "${MUTATIONS:-}" ] && [[ " $MUTATIONS " != *" $name "* ]]; then
    continue
  fi
  cp "$file" "$file.orig"
  sed -i "$expr" "$file"
  if cmp -s "$file" "$file.orig"; then
    echo "$name: the mutation did not apply (the code changed?)" | tee -a "$summary"
    mv "$file.orig" "$file"
    status=1
    continue
  fi
  log="$scratch/$name.log"
  echo "== $name: $what"
  if cargo test $test_args --no-fail-fast >"$log" 2>&1; then
    echo "$name: NOT CAUGHT ($what)" | tee -a "$summary"
    status=1
  elif grep -q '^error\(\[E[0-9]*\]\)\?:' "$log" && ! grep -q '^test .* FAILED$' "$log"; then
    echo "$name: does not compile, see $log" | tee -a "$summary"
    status=1
  else
    caught=$(failed_tests "$log" | sort -u)
    echo "$name: caught by $(echo "$caught" | wc -l) tests ($what)" | tee -a "$summary"
    echo "$caught" | sed 's/^/    /' | tee -a "$summary"
  fi
  mv "$file.orig" "$file"
done
echo
echo "summary in $summary; logs in $scratch"
exit $status
