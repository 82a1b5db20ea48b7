//! Slice evaluation: many points per pass.
//!
//! A register holds [`Lanes`]: `N` values, one per point. Every operation is
//! the point evaluator's, applied lane by lane in a loop of fixed length that
//! the compiler turns into SIMD code; the dispatch cost of an instruction is
//! paid once per `N` points.

use super::{Choice, Value};

/// Points per slice pass used by the renderers.
pub const LANES: usize = 64;

/// `N` values, one per point, aligned for SIMD loads.
#[derive(Copy, Clone, Debug, PartialEq)]
#[repr(C, align(64))]
pub struct Lanes<const N: usize>(pub [f32; N]);

impl<const N: usize> Default for Lanes<N> {
    fn default() -> Self {
        Lanes([0.0; N])
    }
}

macro_rules! lift_unary {
    ($($f:ident)*) => {$(
        #[inline(always)]
        fn $f(self) -> Self {
            let mut out = [0.0; N];
            for (o, a) in out.iter_mut().zip(self.0) {
                *o = <f32 as Value>::$f(a);
            }
            Lanes(out)
        }
    )*};
}

macro_rules! lift_binary {
    ($($f:ident)*) => {$(
        #[inline(always)]
        fn $f(self, b: Self) -> Self {
            let mut out = [0.0; N];
            for ((o, a), b) in out.iter_mut().zip(self.0).zip(b.0) {
                *o = <f32 as Value>::$f(a, b);
            }
            Lanes(out)
        }
    )*};
}

macro_rules! lift_choice {
    ($($f:ident)*) => {$(
        #[inline(always)]
        fn $f(self, b: Self) -> (Self, Choice) {
            let mut out = [0.0; N];
            for ((o, a), b) in out.iter_mut().zip(self.0).zip(b.0) {
                *o = <f32 as Value>::$f(a, b).0;
            }
            (Lanes(out), Choice::Both)
        }
    )*};
}

impl<const N: usize> Value for Lanes<N> {
    #[inline(always)]
    fn splat(c: f32) -> Self {
        Lanes([c; N])
    }
    lift_unary!(canonical neg abs sqrt square sin cos tan asin acos atan exp ln floor ceil round recip not);
    lift_binary!(add sub mul div atan2 modulo compare);
    lift_choice!(min_choice max_choice and_choice or_choice);
}
