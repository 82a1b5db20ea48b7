//! Evaluators: what each operation means for each kind of value.
//!
//! A tape is run by the interpreter in [`crate::interp`], which is generic over
//! [`Value`]. This module defines that trait and one file per value type:
//!
//! - [`point`]: `f32`, one point at a time. This is the reference meaning of
//!   every operation, also used by the graph's constant folding.
//! - [`slice`](mod@slice): [`Lanes`], many points per pass (each operation applied lane by
//!   lane, sized for autovectorization).
//! - [`interval`]: [`Interval`], a range of inputs at once, recording which side
//!   of every `min`/`max`/`and`/`or` can win so tapes can be pruned.
//! - [`grad`]: [`Grad`] and [`GradSlice`], a value with its partial derivatives (forward-mode
//!   automatic differentiation), for normals and shading.
//!
//! # Numeric semantics
//!
//! Every rule below is tested in `tests/numerics.rs`. Results are bit-identical
//! across dispatch styles, thread counts and targets (native and wasm32): the
//! transcendental functions come from the `libm` crate on every target (the
//! slice evaluator's `exp`, `ln`, `sin` and `cos` are `libm`'s algorithms on
//! SIMD vectors, bit for bit the same), and no fused multiply-add is ever
//! formed.
//!
//! - Arithmetic is IEEE 754 single precision, round to nearest even.
//!   Division by zero gives ±inf (`0/0` is NaN); overflow gives ±inf.
//! - Every NaN a tape returns is `f32::NAN` (the bits of NaNs made along the
//!   way are unspecified, so the output is canonicalised).
//! - NaN propagates through every operation except `and` and `or`, which test
//!   `a == 0` (NaN is not zero): `and(NaN, b) = b`, `or(NaN, b) = NaN`.
//! - `min`/`max` return NaN if either side is NaN; otherwise
//!   `min(a, b) = if a < b { a } else { b }` and
//!   `max(a, b) = if a > b { a } else { b }` (so `min(-0, +0) = +0`,
//!   `min(+0, -0) = -0`; the graph may swap operands of `min` and `max`, so
//!   which zero comes back is not part of the contract).
//! - Domain errors give NaN: `sqrt` and `ln` below zero (`sqrt(-0) = -0`,
//!   `ln(±0) = -inf`), `asin`/`acos` outside [-1, 1], `mod` by zero and `mod`
//!   of ±inf.
//! - `mod(a, b)` is the Euclidean remainder `r = fmod(a, b)`, plus `|b|` when
//!   `r < 0`; it lies in `[0, |b|]` (the upper end only when rounding `r + |b|`
//!   reaches it). For finite `a`, `fmod(a, ±inf) = a`, so `mod(a, ±inf)` is
//!   `a` for `a ≥ 0` and `+inf` for `a < 0`.
//! - `compare(a, b)` is -1, 0 or 1; NaN if either side is NaN; `-0 == +0`.
//! - `not(a)` is 1 when `a == 0`, 0 otherwise, NaN for NaN.
//! - `round` rounds halves away from zero; `floor`, `ceil` as usual.
//! - Constant folding uses exactly these rules. The graph rewrites `x * 1`,
//!   `x / 1`, `x - 0`, `x + (-0)`, `--x`, `min(x, x)` and `max(x, x)` to `x`,
//!   `x * -1` to `-x`, and `and`/`or` with a constant left operand to the
//!   operand the rule picks (all exact for every `x`, NaN bits aside), and
//!   also `x + 0` to `x`, which differs only for `x = -0` (`-0 + 0 = +0`).
//! - Intervals: an interval `[lo, hi]` contains every value the point
//!   evaluator can produce for inputs in the input intervals. When NaN is
//!   possible the result is the *unknown* interval (both bounds NaN), which
//!   contains everything, NaN included. Bounds may be infinite.

pub mod grad;
pub mod interval;
pub mod point;
mod simd_math;
pub mod slice;

pub use grad::{Dual, GRAD_LANES, Grad, GradSlice, Real};
pub use interval::Interval;
pub use slice::{LANES, Lanes};

/// Which operand of a `min`, `max`, `and` or `or` can be the result over a
/// region, as found by interval evaluation.
#[repr(u8)]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Choice {
    /// Only the left operand (the register `a`) can be the result.
    Left = 1,
    /// Only the right operand (register `b` or the immediate) can be the result.
    Right = 2,
    /// Either can; the operation must stay.
    Both = 3,
}

/// A kind of value that tapes can be evaluated over.
///
/// The methods give the meaning of each [`crate::ops::UnaryOp`] and
/// [`crate::ops::BinaryOp`] for this type; the interpreter applies them to
/// registers. See the [module documentation](self) for the numeric rules.
pub trait Value: Copy + Send + Sync + 'static {
    /// Whether evaluation records [`Choice`]s (only intervals do).
    const RECORDS_CHOICES: bool = false;

    /// What the tail-call interpreter forwards from one instruction to the
    /// next in machine registers: `Self` for small values, `()` for values
    /// too large to pass in registers (which are then always read from the
    /// register file).
    type Forward: Copy;
    /// Whether [`Value::Forward`] carries the value.
    const FORWARDS: bool;
    /// The value as forwarded.
    fn forward(self) -> Self::Forward;
    /// The value back from its forwarded form (only called when
    /// [`Value::FORWARDS`]).
    fn unforward(f: Self::Forward) -> Self;

    /// The value of a constant.
    fn splat(c: f32) -> Self;
    /// The same value with every NaN replaced by `f32::NAN`. Results pass
    /// through this, since the bits of a NaN made by arithmetic are not
    /// specified (they may differ between two compilations of one
    /// operation); with it, results are bit-identical everywhere.
    fn canonical(self) -> Self;
    /// The identity (register copies).
    #[inline(always)]
    fn copy(self) -> Self {
        self
    }
    /// See [`crate::ops::UnaryOp::Neg`].
    fn neg(self) -> Self;
    /// See [`crate::ops::UnaryOp::Abs`].
    fn abs(self) -> Self;
    /// See [`crate::ops::UnaryOp::Sqrt`].
    fn sqrt(self) -> Self;
    /// See [`crate::ops::UnaryOp::Square`].
    fn square(self) -> Self;
    /// See [`crate::ops::UnaryOp::Sin`].
    fn sin(self) -> Self;
    /// See [`crate::ops::UnaryOp::Cos`].
    fn cos(self) -> Self;
    /// See [`crate::ops::UnaryOp::Tan`].
    fn tan(self) -> Self;
    /// See [`crate::ops::UnaryOp::Asin`].
    fn asin(self) -> Self;
    /// See [`crate::ops::UnaryOp::Acos`].
    fn acos(self) -> Self;
    /// See [`crate::ops::UnaryOp::Atan`].
    fn atan(self) -> Self;
    /// See [`crate::ops::UnaryOp::Exp`].
    fn exp(self) -> Self;
    /// See [`crate::ops::UnaryOp::Ln`].
    fn ln(self) -> Self;
    /// See [`crate::ops::UnaryOp::Floor`].
    fn floor(self) -> Self;
    /// See [`crate::ops::UnaryOp::Ceil`].
    fn ceil(self) -> Self;
    /// See [`crate::ops::UnaryOp::Round`].
    fn round(self) -> Self;
    /// See [`crate::ops::UnaryOp::Recip`].
    fn recip(self) -> Self;
    /// See [`crate::ops::UnaryOp::Not`].
    fn not(self) -> Self;
    /// See [`crate::ops::BinaryOp::Add`].
    fn add(self, b: Self) -> Self;
    /// See [`crate::ops::BinaryOp::Sub`].
    fn sub(self, b: Self) -> Self;
    /// See [`crate::ops::BinaryOp::Mul`].
    fn mul(self, b: Self) -> Self;
    /// See [`crate::ops::BinaryOp::Div`].
    fn div(self, b: Self) -> Self;
    /// See [`crate::ops::BinaryOp::Atan2`] (`self` is y, `b` is x).
    fn atan2(self, b: Self) -> Self;
    /// See [`crate::ops::BinaryOp::Mod`].
    fn modulo(self, b: Self) -> Self;
    /// See [`crate::ops::BinaryOp::Compare`].
    fn compare(self, b: Self) -> Self;
    /// See [`crate::ops::BinaryOp::Min`]; also says which side can win.
    fn min_choice(self, b: Self) -> (Self, Choice);
    /// See [`crate::ops::BinaryOp::Max`]; also says which side can win.
    fn max_choice(self, b: Self) -> (Self, Choice);
    /// See [`crate::ops::BinaryOp::And`]; also says which side can win.
    fn and_choice(self, b: Self) -> (Self, Choice);
    /// See [`crate::ops::BinaryOp::Or`]; also says which side can win.
    fn or_choice(self, b: Self) -> (Self, Choice);
}

/// Applies a [`crate::ops::UnaryOp`] through [`Value`].
pub fn apply_unary<V: Value>(op: crate::ops::UnaryOp, a: V) -> V {
    use crate::ops::UnaryOp as U;
    match op {
        U::Neg => a.neg(),
        U::Abs => a.abs(),
        U::Sqrt => a.sqrt(),
        U::Square => a.square(),
        U::Sin => a.sin(),
        U::Cos => a.cos(),
        U::Tan => a.tan(),
        U::Asin => a.asin(),
        U::Acos => a.acos(),
        U::Atan => a.atan(),
        U::Exp => a.exp(),
        U::Ln => a.ln(),
        U::Floor => a.floor(),
        U::Ceil => a.ceil(),
        U::Round => a.round(),
        U::Recip => a.recip(),
        U::Not => a.not(),
    }
}

/// Applies a [`crate::ops::BinaryOp`] through [`Value`].
pub fn apply_binary<V: Value>(op: crate::ops::BinaryOp, a: V, b: V) -> V {
    use crate::ops::BinaryOp as B;
    match op {
        B::Add => a.add(b),
        B::Sub => a.sub(b),
        B::Mul => a.mul(b),
        B::Div => a.div(b),
        B::Atan2 => a.atan2(b),
        B::Mod => a.modulo(b),
        B::Compare => a.compare(b),
        B::Min => a.min_choice(b).0,
        B::Max => a.max_choice(b).0,
        B::And => a.and_choice(b).0,
        B::Or => a.or_choice(b).0,
    }
}
