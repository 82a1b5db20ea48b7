//! Slice evaluation: many points per pass.
//!
//! A register holds [`Lanes`]: `N` values, one per point. Every operation is
//! the point evaluator's, applied lane by lane — with explicit SIMD vectors
//! of 16 lanes (`std::simd`) for the arithmetic, so the compiler uses the
//! widest registers the target has; `exp`, `ln`, `sin` and `cos` are `libm`'s algorithms
//! on vectors (`simd_math.rs`), the other `libm` functions go lane by lane
//! through the point evaluator. The dispatch cost of an instruction
//! is paid once per `N` points. The results are the point evaluator's, bit
//! for bit (tested in `tests/dispatch.rs`).

use std::simd::StdFloat;
use std::simd::prelude::*;
// `select` is a method of this trait, which older std::simd (Debian's rustc
// 1.96, used for the wasm build) leaves out of the prelude.
use std::simd::Select;

use super::{Choice, Value};

/// Points per slice pass used by the renderers.
pub const LANES: usize = 64;

/// Width of the SIMD vectors the operations use.
const W: usize = 16;
type V = Simd<f32, W>;

/// `N` values, one per point, aligned for SIMD loads. `N` must be a multiple
/// of 16.
#[derive(Copy, Clone, Debug, PartialEq)]
#[repr(C, align(64))]
pub struct Lanes<const N: usize>(pub [f32; N]);

impl<const N: usize> Default for Lanes<N> {
    fn default() -> Self {
        Lanes([0.0; N])
    }
}

impl<const N: usize> Lanes<N> {
    /// Bit `k` set where lane `k` is below zero (inside a shape); NaN is
    /// not. Only the first 64 lanes count.
    ///
    /// ```
    /// use tapir::eval::Lanes;
    /// let mut v = Lanes([1.0f32; 64]);
    /// (v.0[0], v.0[5], v.0[6]) = (-1.0, -0.0, f32::NAN);
    /// assert_eq!(v.negative_mask(), 1);
    /// ```
    #[inline]
    pub fn negative_mask(&self) -> u64 {
        let mut mask = 0u64;
        for (c, chunk) in self.0.chunks_exact(W).take(64 / W).enumerate() {
            let m = V::from_slice(chunk).simd_lt(V::splat(0.0)).to_bitmask();
            mask |= m << (c * W);
        }
        mask
    }

    /// Applies a vector operation to each group of 16 lanes.
    #[inline(always)]
    fn map(self, f: impl Fn(V) -> V) -> Self {
        const {
            assert!(
                N.is_multiple_of(W),
                "Lanes<N> needs N to be a multiple of 16"
            )
        };
        let mut out = [0.0; N];
        for (o, a) in out.chunks_exact_mut(W).zip(self.0.chunks_exact(W)) {
            f(V::from_slice(a)).copy_to_slice(o);
        }
        Lanes(out)
    }

    /// Applies a vector operation to each group of 16 lane pairs.
    #[inline(always)]
    fn zip(self, b: Self, f: impl Fn(V, V) -> V) -> Self {
        const {
            assert!(
                N.is_multiple_of(W),
                "Lanes<N> needs N to be a multiple of 16"
            )
        };
        let mut out = [0.0; N];
        for ((o, a), b) in out
            .chunks_exact_mut(W)
            .zip(self.0.chunks_exact(W))
            .zip(b.0.chunks_exact(W))
        {
            f(V::from_slice(a), V::from_slice(b)).copy_to_slice(o);
        }
        Lanes(out)
    }

    /// Applies a point operation lane by lane.
    #[inline(always)]
    fn each(self, f: impl Fn(f32) -> f32) -> Self {
        Lanes(self.0.map(f))
    }

    /// Applies a two-argument point operation lane by lane.
    #[inline(always)]
    fn each2(self, b: Self, f: impl Fn(f32, f32) -> f32) -> Self {
        let mut out = [0.0; N];
        for ((o, a), b) in out.iter_mut().zip(self.0).zip(b.0) {
            *o = f(a, b);
        }
        Lanes(out)
    }
}

/// NaN where `a` is NaN, else `v` (the point rules' NaN propagation).
#[inline(always)]
fn nan_where_nan(a: V, v: V) -> V {
    a.is_nan().select(V::splat(f32::NAN), v)
}

macro_rules! per_lane {
    ($($f:ident)*) => {$(
        #[inline(always)]
        fn $f(self) -> Self {
            self.each(<f32 as Value>::$f)
        }
    )*};
}

impl<const N: usize> Value for Lanes<N> {
    type Forward = ();
    const FORWARDS: bool = false;
    #[inline(always)]
    fn forward(self) {}
    #[inline(always)]
    fn unforward((): ()) -> Self {
        Self::splat(0.0)
    }
    #[inline(always)]
    fn splat(c: f32) -> Self {
        Lanes([c; N])
    }
    #[inline(always)]
    fn canonical(self) -> Self {
        self.map(|a| nan_where_nan(a, a))
    }
    #[inline(always)]
    fn neg(self) -> Self {
        self.map(|a| -a)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        self.map(|a| a.abs())
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        self.map(|a| a.sqrt())
    }
    #[inline(always)]
    fn square(self) -> Self {
        self.map(|a| a * a)
    }
    per_lane!(tan asin acos atan);
    #[inline(always)]
    fn sin(self) -> Self {
        self.map(super::simd_math::sin)
    }
    #[inline(always)]
    fn cos(self) -> Self {
        self.map(super::simd_math::cos)
    }
    #[inline(always)]
    fn exp(self) -> Self {
        self.map(super::simd_math::exp)
    }
    #[inline(always)]
    fn ln(self) -> Self {
        self.map(super::simd_math::ln)
    }
    #[inline(always)]
    fn floor(self) -> Self {
        self.map(|a| a.floor())
    }
    #[inline(always)]
    fn ceil(self) -> Self {
        self.map(|a| a.ceil())
    }
    #[inline(always)]
    fn round(self) -> Self {
        self.map(|a| a.round())
    }
    #[inline(always)]
    fn recip(self) -> Self {
        self.map(|a| V::splat(1.0) / a)
    }
    #[inline(always)]
    fn not(self) -> Self {
        self.map(|a| {
            nan_where_nan(
                a,
                a.simd_eq(V::splat(0.0))
                    .select(V::splat(1.0), V::splat(0.0)),
            )
        })
    }
    #[inline(always)]
    fn add(self, b: Self) -> Self {
        self.zip(b, |a, b| a + b)
    }
    #[inline(always)]
    fn sub(self, b: Self) -> Self {
        self.zip(b, |a, b| a - b)
    }
    #[inline(always)]
    fn mul(self, b: Self) -> Self {
        self.zip(b, |a, b| a * b)
    }
    #[inline(always)]
    fn div(self, b: Self) -> Self {
        self.zip(b, |a, b| a / b)
    }
    #[inline(always)]
    fn atan2(self, b: Self) -> Self {
        self.each2(b, <f32 as Value>::atan2)
    }
    #[inline(always)]
    fn modulo(self, b: Self) -> Self {
        self.each2(b, <f32 as Value>::modulo)
    }
    #[inline(always)]
    fn compare(self, b: Self) -> Self {
        self.zip(b, |a, b| {
            let v = a.simd_lt(b).select(
                V::splat(-1.0),
                a.simd_gt(b).select(V::splat(1.0), V::splat(0.0)),
            );
            (a.is_nan() | b.is_nan()).select(V::splat(f32::NAN), v)
        })
    }
    #[inline(always)]
    fn min_choice(self, b: Self) -> (Self, Choice) {
        (
            self.zip(b, |a, b| nan_where_nan(a, a.simd_lt(b).select(a, b))),
            Choice::Both,
        )
    }
    #[inline(always)]
    fn max_choice(self, b: Self) -> (Self, Choice) {
        (
            self.zip(b, |a, b| nan_where_nan(a, a.simd_gt(b).select(a, b))),
            Choice::Both,
        )
    }
    #[inline(always)]
    fn and_choice(self, b: Self) -> (Self, Choice) {
        (
            self.zip(b, |a, b| a.simd_eq(V::splat(0.0)).select(a, b)),
            Choice::Both,
        )
    }
    #[inline(always)]
    fn or_choice(self, b: Self) -> (Self, Choice) {
        (
            self.zip(b, |a, b| a.simd_ne(V::splat(0.0)).select(a, b)),
            Choice::Both,
        )
    }
}
