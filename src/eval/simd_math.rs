//! `exp` and `ln` on 16 lanes at once, bit for bit the point evaluator's.
//!
//! The point evaluator takes its transcendental functions from the `libm`
//! crate, so that every target computes the same bits. The slice evaluator
//! used to call those functions lane by lane, which made `exp` and `ln` a
//! scalar function call per point. These are the same algorithms (FreeBSD's
//! `e_expf.c` and `e_logf.c`, as `libm` has them: the same constants, the
//! same single-precision operations in the same order, the same special
//! cases), written with SIMD vectors: every branch is taken by every lane
//! and the lane's own case selected at the end, and the steps a lane would
//! skip are made exact no-ops (a multiplication by one, an addition of
//! zero). So every lane gets exactly the bits `libm::expf` or `libm::logf`
//! gives its input, which `tests/numerics.rs` checks on millions of inputs
//! and every special case.

use std::simd::prelude::*;
// `select` is a method of this trait, which older std::simd leaves out of
// the prelude (see `slice.rs`).
use std::simd::Select;

/// The vector these functions work on.
pub(crate) type V = Simd<f32, 16>;
type U = Simd<u32, 16>;
type I = Simd<i32, 16>;

fn bits(x: V) -> U {
    x.to_bits()
}

fn float(u: U) -> V {
    V::from_bits(u)
}

/// `x · 2ⁿ` exactly as `libm`'s `scalbnf` computes it, for `n` in
/// [-252, 254] (what `exp` needs: its `n` lies in [-150, 128]).
fn scalbn(x: V, n: I) -> V {
    let one = V::splat(1.0);
    // n > 127: pre-multiply by 2^127.
    let big = n.simd_gt(I::splat(127));
    let x = x * big.select(float(U::splat(0x7f00_0000)), one);
    let n = big.select(n - I::splat(127), n);
    // n < -126: pre-multiply by 2^-126 · 2^24 (twice if need be), which
    // never makes x subnormal before the last step.
    let mut x = x;
    let mut n = n;
    let down = float(U::splat(0x0080_0000)) * float(U::splat(0x4b80_0000));
    for _ in 0..2 {
        let small = n.simd_lt(I::splat(-126));
        x *= small.select(down, one);
        n = small.select(n + I::splat(126 - 24), n);
    }
    let n = n.simd_max(I::splat(-126)).simd_min(I::splat(127));
    x * float(((n + I::splat(0x7f)).cast::<u32>()) << U::splat(23))
}

/// `libm::expf` on every lane. (Constants are given by their bits: they
/// are exactly `libm`'s.)
pub(crate) fn exp(x: V) -> V {
    const HALF: [f32; 2] = [0.5, -0.5];
    const LN2_HI: f32 = f32::from_bits(0x3f31_7200);
    const LN2_LO: f32 = f32::from_bits(0x35bf_be8e);
    const INV_LN2: f32 = f32::from_bits(0x3fb8_aa3b);
    const P1: f32 = f32::from_bits(0x3e2a_aa8f);
    const P2: f32 = f32::from_bits(0xbb35_5215);
    let ux = bits(x);
    let negative = (ux >> U::splat(31)).simd_ne(U::splat(0));
    let hx = ux & U::splat(0x7fff_ffff);
    let nan = hx.simd_gt(U::splat(0x7f80_0000));
    let overflow = hx.simd_ge(U::splat(0x42b1_7218)) & !negative;
    let underflow = hx.simd_ge(U::splat(0x42cf_f1b5)) & negative;
    let tiny = hx.simd_le(U::splat(0x3900_0000));
    // Argument reduction: k = round(x / ln 2) (|x| > 1.5 ln 2), ±1
    // (|x| > 0.5 ln 2) or 0.
    let half = negative.select(V::splat(HALF[1]), V::splat(HALF[0]));
    let far = (V::splat(INV_LN2) * x + half).cast::<i32>();
    let near = negative.select(I::splat(-1), I::splat(1));
    let k = hx.simd_gt(U::splat(0x3f85_1592)).select(
        far,
        hx.simd_gt(U::splat(0x3eb1_7218)).select(near, I::splat(0)),
    );
    let kf = k.cast::<f32>();
    // With k = 0 these are exactly hi = x, lo = 0, r = x.
    let hi = x - kf * V::splat(LN2_HI);
    let lo = kf * V::splat(LN2_LO);
    let r = hi - lo;
    let rr = r * r;
    let c = r - rr * (V::splat(P1) + rr * V::splat(P2));
    let y = V::splat(1.0) + (r * c / (V::splat(2.0) - c) - lo + hi);
    let general = scalbn(y, k);
    // The special cases, as libm returns them.
    let v = tiny.select(V::splat(1.0) + x, general);
    let v = underflow.select(V::splat(0.0), v);
    let v = overflow.select(x * float(U::splat(0x7f00_0000)), v);
    nan.select(x, v)
}

/// `libm::logf` on every lane.
pub(crate) fn ln(x: V) -> V {
    const LN2_HI: f32 = f32::from_bits(0x3f31_7180);
    const LN2_LO: f32 = f32::from_bits(0x3717_f7d1);
    const LG1: f32 = f32::from_bits(0x3f2a_aaaa);
    const LG2: f32 = f32::from_bits(0x3ecc_ce13);
    const LG3: f32 = f32::from_bits(0x3e91_e9ee);
    const LG4: f32 = f32::from_bits(0x3e78_9e26);
    let ix = bits(x);
    let negative = (ix >> U::splat(31)).simd_ne(U::splat(0));
    let zero = (ix << U::splat(1)).simd_eq(U::splat(0));
    let subnormal = ix.simd_lt(U::splat(0x0080_0000)) & !negative & !zero;
    let inf_or_nan = ix.simd_ge(U::splat(0x7f80_0000)) & !negative;
    let one = ix.simd_eq(U::splat(0x3f80_0000));
    // Subnormals are scaled up by 2^25 first.
    let x = subnormal.select(x * float(U::splat(0x4c00_0000)), x);
    let k0 = subnormal.select(I::splat(-25), I::splat(0));
    // Reduce x into [sqrt(2)/2, sqrt(2)].
    let ix = bits(x) + U::splat(0x3f80_0000 - 0x3f35_04f3);
    let k = k0 + (ix >> U::splat(23)).cast::<i32>() - I::splat(0x7f);
    let f = float((ix & U::splat(0x007f_ffff)) + U::splat(0x3f35_04f3)) - V::splat(1.0);
    let s = f / (V::splat(2.0) + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (V::splat(LG2) + w * V::splat(LG4));
    let t2 = z * (V::splat(LG1) + w * V::splat(LG3));
    let r = t2 + t1;
    let hfsq = V::splat(0.5) * f * f;
    let dk = k.cast::<f32>();
    let general = s * (hfsq + r) + dk * V::splat(LN2_LO) - hfsq + f + dk * V::splat(LN2_HI);
    // The special cases, as libm returns them.
    let v = one.select(V::splat(0.0), general);
    let v = inf_or_nan.select(x, v);
    let v = (negative & !zero).select(V::splat(f32::NAN), v);
    zero.select(V::splat(f32::NEG_INFINITY), v)
}
