//! `exp`, `ln`, `sin` and `cos` on 16 lanes at once, bit for bit the point
//! evaluator's.
//!
//! The point evaluator takes its transcendental functions from the `libm`
//! crate, so that every target computes the same bits. The slice evaluator
//! used to call those functions lane by lane, a scalar function call per
//! point. These are the same algorithms (FreeBSD's `e_expf.c`, `e_logf.c`,
//! `s_sinf.c` and `s_cosf.c` as `libm` has them: the same constants, the
//! same operations in the same precision and order, the same special
//! cases), written with SIMD vectors: every branch is taken by every lane
//! and the lane's own case selected at the end, and the steps a lane would
//! skip are made exact no-ops (a multiplication by one, an addition of
//! zero). So every lane gets exactly the bits `libm` gives its input
//! (checked on all 2³² inputs; `tests/numerics.rs` samples them and every
//! case boundary). Only `sin` and `cos` of arguments beyond 2²⁸·π/2, whose
//! reduction needs many more bits of π, call `libm` lane by lane.

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

type F8 = Simd<f32, 8>;
type D8 = Simd<f64, 8>;
type U8 = Simd<u32, 8>;
type M8 = Mask<i64, 8>;

/// Which of the two functions a lane is after.
#[derive(Copy, Clone, PartialEq)]
enum Trig {
    Sin,
    Cos,
}

/// `libm`'s `k_sinf` (before its rounding to f32): sin on [-π/4, π/4].
fn k_sin(x: D8) -> D8 {
    const S1: f64 = f64::from_bits(0xbfc5_5555_54cb_ac77);
    const S2: f64 = f64::from_bits(0x3f81_1110_896e_fbb2);
    const S3: f64 = f64::from_bits(0xbf2a_00f9_e2ca_e774);
    const S4: f64 = f64::from_bits(0x3ec6_cd87_8c3b_46a7);
    let z = x * x;
    let w = z * z;
    let r = D8::splat(S3) + z * D8::splat(S4);
    let s = z * x;
    (x + s * (D8::splat(S1) + z * D8::splat(S2))) + s * w * r
}

/// `libm`'s `k_cosf` (before its rounding to f32): cos on [-π/4, π/4].
fn k_cos(x: D8) -> D8 {
    const C0: f64 = f64::from_bits(0xbfdf_ffff_fd0c_5e81);
    const C1: f64 = f64::from_bits(0x3fa5_5553_e105_3a42);
    const C2: f64 = f64::from_bits(0xbf56_c087_e80f_1e27);
    const C3: f64 = f64::from_bits(0x3ef9_9342_e0ee_5069);
    let z = x * x;
    let w = z * z;
    let r = D8::splat(C2) + z * D8::splat(C3);
    ((D8::splat(1.0) + z * D8::splat(C0)) + w * D8::splat(C1)) + (w * z) * r
}

/// `libm::sinf` or `libm::cosf` on 8 lanes: each lane's case gives the
/// argument of a kernel, which kernel, and whether to negate its result.
fn trig8(x: F8, f: Trig) -> F8 {
    // Multiples of π/2 and the medium-size reduction's constants.
    let pio2 = |k: f64| D8::splat(k * std::f64::consts::FRAC_PI_2);
    const TOINT: f64 = 1.5 / f64::EPSILON;
    const INV_PIO2: f64 = f64::from_bits(0x3fe4_5f30_6dc9_c883);
    const PIO2_1: f64 = f64::from_bits(0x3ff9_21fb_5000_0000);
    const PIO2_1T: f64 = f64::from_bits(0x3e51_10b4_611a_6263);
    let x64: D8 = x.cast();
    let ix = x.to_bits() & U8::splat(0x7fff_ffff);
    let wide = |m: Mask<i32, 8>| -> M8 { m.cast() };
    let sign = wide((x.to_bits() >> U8::splat(31)).simd_ne(U8::splat(0)).cast());
    let le = |b: u32| wide(ix.simd_le(U8::splat(b)).cast());
    let (a, b, c) = (le(0x3f49_0fda), le(0x407b_53d1), le(0x40e2_31d5));
    let (b_near, c_near) = (le(0x4016_cbe3), le(0x40af_eddf));
    // The medium reduction: n = round(x / (π/2)), y = x - n·π/2.
    let tmp = x64 * D8::splat(INV_PIO2) + D8::splat(TOINT);
    let fnum = tmp - D8::splat(TOINT);
    let y = x64 - fnum * D8::splat(PIO2_1) - fnum * D8::splat(PIO2_1T);
    let quadrant: Simd<i64, 8> = fnum.cast::<i64>() & Simd::splat(3);
    let q = |k: i64| quadrant.simd_eq(Simd::splat(k));
    // (argument, cosine kernel, negate) for each case, nearest to the
    // origin first.
    let (arg, use_cos, negate) = match f {
        Trig::Sin => {
            let b_arg = b_near.select(
                sign.select(x64 + pio2(1.0), x64 - pio2(1.0)),
                sign.select(-(x64 + pio2(2.0)), -(x64 - pio2(2.0))),
            );
            let c_arg = c_near.select(
                sign.select(x64 + pio2(3.0), x64 - pio2(3.0)),
                sign.select(x64 + pio2(4.0), x64 - pio2(4.0)),
            );
            let e_arg = q(2).select(-y, y);
            let arg = a.select(x64, b.select(b_arg, c.select(c_arg, e_arg)));
            let use_cos = !a & ((b & b_near) | (!b & c & c_near) | (!b & !c & (q(1) | q(3))));
            let negate = !a & ((b & b_near & sign) | (!b & c & c_near & !sign) | (!b & !c & q(3)));
            (arg, use_cos, negate)
        }
        Trig::Cos => {
            let b_arg = b_near.select(
                sign.select(x64 + pio2(1.0), pio2(1.0) - x64),
                sign.select(x64 + pio2(2.0), x64 - pio2(2.0)),
            );
            let c_arg = c_near.select(
                sign.select(-x64 - pio2(3.0), x64 - pio2(3.0)),
                sign.select(x64 + pio2(4.0), x64 - pio2(4.0)),
            );
            let e_arg = q(1).select(-y, y);
            let arg = a.select(x64, b.select(b_arg, c.select(c_arg, e_arg)));
            let use_cos = a | (b & !b_near) | (!b & c & !c_near) | (!b & !c & (q(0) | q(2)));
            let negate = !a & ((b & !b_near) | (!b & !c & q(2)));
            (arg, use_cos, negate)
        }
    };
    let s: F8 = k_sin(arg).cast();
    let cs: F8 = k_cos(arg).cast();
    let narrow = |m: M8| -> Mask<i32, 8> { m.cast() };
    let v = narrow(use_cos).select(cs, s);
    let v = narrow(negate).select(-v, v);
    // |x| < 2^-12: sin x = x, cos x = 1; inf and NaN give NaN.
    let tiny = ix.simd_lt(U8::splat(0x3980_0000)).cast::<i32>();
    let v = tiny.select(if f == Trig::Sin { x } else { F8::splat(1.0) }, v);
    let v = ix
        .simd_ge(U8::splat(0x7f80_0000))
        .cast::<i32>()
        .select(F8::splat(f32::NAN), v);
    // Beyond 2^28·π/2 the reduction needs more bits of π: libm itself, lane
    // by lane (rare in shapes).
    let large =
        (ix.simd_ge(U8::splat(0x4dc9_0fdb)) & ix.simd_lt(U8::splat(0x7f80_0000))).cast::<i32>();
    if large.any() {
        let mut out = v.to_array();
        for (k, o) in out.iter_mut().enumerate() {
            if large.test(k) {
                let xk = x.as_array()[k];
                *o = match f {
                    Trig::Sin => libm::sinf(xk),
                    Trig::Cos => libm::cosf(xk),
                };
            }
        }
        return F8::from_array(out);
    }
    v
}

/// Applies an 8-lane function to both halves of a 16-lane vector.
fn halves(x: V, f: impl Fn(F8) -> F8) -> V {
    let a = x.as_array();
    let lo = f(F8::from_slice(&a[..8]));
    let hi = f(F8::from_slice(&a[8..]));
    let mut out = [0.0f32; 16];
    out[..8].copy_from_slice(lo.as_array());
    out[8..].copy_from_slice(hi.as_array());
    V::from_array(out)
}

/// `libm::sinf` on every lane.
pub(crate) fn sin(x: V) -> V {
    halves(x, |h| trig8(h, Trig::Sin))
}

/// `libm::cosf` on every lane.
pub(crate) fn cos(x: V) -> V {
    halves(x, |h| trig8(h, Trig::Cos))
}
