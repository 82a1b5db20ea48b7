//! Gradient evaluation: forward-mode automatic differentiation.
//!
//! A [`Dual`] carries a value and its partial derivatives by x, y and z. The
//! chain rule is written once, generic over the numbers it is made of
//! ([`Real`]): [`Grad`] is one point (`f32`), [`GradSlice`] is
//! [`GRAD_LANES`] points at once (a [`Lanes`] vector per component, so one
//! pass over the tape gives many gradients). The value part is computed
//! with exactly the point (or slice) evaluator's arithmetic, so it equals
//! [`crate::Shape::eval_point`]; the derivatives follow the chain rule (zero
//! for the step functions `floor`, `ceil`, `round`, `compare`, `not`; `min`,
//! `max`, `and`, `or` take the derivatives of the operand they return).
//! Where an operation's own derivative is infinite or undefined (`sqrt` and
//! `ln` at 0, `1/x` and division by 0, `asin`/`acos` at ±1, `atan2` at the
//! origin), an operand whose derivative is zero contributes zero: a
//! constant input gives a constant output. So the exact box distance, whose
//! `length(max(q, 0))` term is `sqrt(0)` with zero derivatives inside the
//! box, still has a finite gradient there.
//! Normals for shading are the normalised gradient. Lane `k` of a
//! [`GradSlice`] is bit for bit the [`Grad`] of point `k`.

use std::simd::prelude::*;
// `select` is a method of this trait, which older std::simd leaves out of
// the prelude (see `slice.rs`).
use std::simd::Select;

use super::{Choice, Lanes, Value};

/// Points per [`GradSlice`]: one SIMD vector of f32 per component.
pub const GRAD_LANES: usize = 16;

/// The numbers a [`Dual`] is made of: [`Value`] arithmetic plus the
/// comparisons and selects the chain rule needs, lane by lane.
pub trait Real: Value {
    /// The result of a comparison (one flag per lane).
    type Mask: Copy;
    /// `self < b`.
    fn lt(self, b: Self) -> Self::Mask;
    /// `self > b`.
    fn gt(self, b: Self) -> Self::Mask;
    /// `self == 0`.
    fn is_zero(self) -> Self::Mask;
    /// `self` is NaN.
    fn nan(self) -> Self::Mask;
    /// `a` where `m` is set, else `b`.
    fn select(m: Self::Mask, a: Self, b: Self) -> Self;
}

impl Real for f32 {
    type Mask = bool;
    #[inline(always)]
    fn lt(self, b: Self) -> bool {
        self < b
    }
    #[inline(always)]
    fn gt(self, b: Self) -> bool {
        self > b
    }
    #[inline(always)]
    fn is_zero(self) -> bool {
        self == 0.0
    }
    #[inline(always)]
    fn nan(self) -> bool {
        self.is_nan()
    }
    #[inline(always)]
    fn select(m: bool, a: Self, b: Self) -> Self {
        if m { a } else { b }
    }
}

type Vec16 = Simd<f32, GRAD_LANES>;

impl Real for Lanes<GRAD_LANES> {
    type Mask = Mask<i32, GRAD_LANES>;
    #[inline(always)]
    fn lt(self, b: Self) -> Self::Mask {
        Vec16::from_array(self.0).simd_lt(Vec16::from_array(b.0))
    }
    #[inline(always)]
    fn gt(self, b: Self) -> Self::Mask {
        Vec16::from_array(self.0).simd_gt(Vec16::from_array(b.0))
    }
    #[inline(always)]
    fn is_zero(self) -> Self::Mask {
        Vec16::from_array(self.0).simd_eq(Vec16::splat(0.0))
    }
    #[inline(always)]
    fn nan(self) -> Self::Mask {
        Vec16::from_array(self.0).is_nan()
    }
    #[inline(always)]
    fn select(m: Self::Mask, a: Self, b: Self) -> Self {
        Lanes(
            m.select(Vec16::from_array(a.0), Vec16::from_array(b.0))
                .to_array(),
        )
    }
}

/// A value and its partial derivatives, over one point ([`Grad`]) or many
/// ([`GradSlice`]).
///
/// ```
/// use tapir::Shape;
/// use tapir::eval::Grad;
/// use tapir::interp::Machine;
///
/// let s = Shape::from_expr("x*x + 3*y").unwrap();
/// let mut m = Machine::<Grad>::new();
/// let g = m.run(tapir::Dispatch::TailCall, s.reg_tape(), [Grad::var(2.0, 0), Grad::var(1.0, 1), Grad::var(0.0, 2)], &mut []);
/// assert_eq!((g.v, g.dx, g.dy, g.dz), (7.0, 4.0, 3.0, 0.0));
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct Dual<S> {
    /// The value.
    pub v: S,
    /// ∂/∂x.
    pub dx: S,
    /// ∂/∂y.
    pub dy: S,
    /// ∂/∂z.
    pub dz: S,
}

/// The gradient at one point.
pub type Grad = Dual<f32>;

/// Gradients at [`GRAD_LANES`] points.
///
/// ```
/// use tapir::Shape;
/// use tapir::eval::{GradSlice, Lanes};
/// use tapir::interp::Machine;
///
/// let s = Shape::from_expr("x*x + 3*y").unwrap();
/// let xs = Lanes(std::array::from_fn(|k| k as f32));
/// let vars = [GradSlice::var(xs, 0), GradSlice::var(Lanes([1.0; 16]), 1), GradSlice::var(Lanes([0.0; 16]), 2)];
/// let g = Machine::<GradSlice>::new().run(tapir::Dispatch::TailCall, s.reg_tape(), vars, &mut []);
/// assert_eq!((g.v.0[5], g.dx.0[5], g.dy.0[5]), (28.0, 10.0, 3.0));
/// ```
pub type GradSlice = Dual<Lanes<GRAD_LANES>>;

impl<S: Real> Dual<S> {
    /// A constant (zero derivatives).
    pub fn constant(v: S) -> Self {
        let zero = S::splat(0.0);
        Dual {
            v,
            dx: zero,
            dy: zero,
            dz: zero,
        }
    }

    /// The input variable `axis` (0 = x, 1 = y, 2 = z) with value `v`.
    pub fn var(v: S, axis: usize) -> Self {
        let mut g = Dual::constant(v);
        let one = S::splat(1.0);
        match axis {
            0 => g.dx = one,
            1 => g.dy = one,
            _ => g.dz = one,
        }
        g
    }

    /// Value `v` with derivatives `k · self'`.
    #[inline(always)]
    fn chain(self, v: S, k: S) -> Self {
        Dual {
            v,
            dx: self.dx.mul(k),
            dy: self.dy.mul(k),
            dz: self.dz.mul(k),
        }
    }

    /// `k · d`, but `d` itself where `d` is zero (even for an infinite or
    /// NaN `k`).
    #[inline(always)]
    fn scaled_or_zero(d: S, k: S) -> S {
        S::select(d.is_zero(), d, d.mul(k))
    }

    /// Like [`Dual::chain`], for operations whose derivative `k` can be
    /// infinite: a derivative that is zero stays zero.
    #[inline(always)]
    fn chain_or_zero(self, v: S, k: S) -> Self {
        Dual {
            v,
            dx: Self::scaled_or_zero(self.dx, k),
            dy: Self::scaled_or_zero(self.dy, k),
            dz: Self::scaled_or_zero(self.dz, k),
        }
    }

    /// Like [`Dual::chain2`], for operations whose factors `ka`, `kb` can be
    /// infinite: a term whose derivative is zero adds zero.
    #[inline(always)]
    fn chain2_or_zero(a: Self, b: Self, v: S, ka: S, kb: S) -> Self {
        let term = |da: S, db: S| Self::scaled_or_zero(da, ka).add(Self::scaled_or_zero(db, kb));
        Dual {
            v,
            dx: term(a.dx, b.dx),
            dy: term(a.dy, b.dy),
            dz: term(a.dz, b.dz),
        }
    }

    /// Value `v` with derivatives `ka · a' + kb · b'`.
    #[inline(always)]
    fn chain2(a: Self, b: Self, v: S, ka: S, kb: S) -> Self {
        Dual {
            v,
            dx: a.dx.mul(ka).add(b.dx.mul(kb)),
            dy: a.dy.mul(ka).add(b.dy.mul(kb)),
            dz: a.dz.mul(ka).add(b.dz.mul(kb)),
        }
    }

    /// Each component from `a` where `m` is set, else from `b`.
    #[inline(always)]
    fn select(m: S::Mask, a: Self, b: Self) -> Self {
        Dual {
            v: S::select(m, a.v, b.v),
            dx: S::select(m, a.dx, b.dx),
            dy: S::select(m, a.dy, b.dy),
            dz: S::select(m, a.dz, b.dz),
        }
    }

    /// `self` or `b` whole, as the point rule picked `v`: all NaN where `v`
    /// is NaN.
    #[inline(always)]
    fn pick(self, b: Self, v: S, choose_a: S::Mask) -> Self {
        let nan = S::splat(f32::NAN);
        let all_nan = Dual {
            v,
            dx: nan,
            dy: nan,
            dz: nan,
        };
        Dual::select(v.nan(), all_nan, Dual::select(choose_a, self, b))
    }
}

impl Grad {
    /// The four components as bits (for exact comparisons).
    pub fn to_bits(self) -> [u32; 4] {
        [
            self.v.to_bits(),
            self.dx.to_bits(),
            self.dy.to_bits(),
            self.dz.to_bits(),
        ]
    }
}

impl GradSlice {
    /// The gradient of lane `k`.
    pub fn lane(&self, k: usize) -> Grad {
        Dual {
            v: self.v.0[k],
            dx: self.dx.0[k],
            dy: self.dy.0[k],
            dz: self.dz.0[k],
        }
    }
}

// The value parts call the point (or slice) evaluator's arithmetic through
// the trait: `f32`'s inherent methods would use the platform's libm instead.
// Derivative factors use the same trait arithmetic, so every lane of a
// `GradSlice` is computed exactly as the `Grad` of its point.
impl<S: Real> Value for Dual<S> {
    type Forward = ();
    const FORWARDS: bool = false;
    #[inline(always)]
    fn forward(self) {}
    #[inline(always)]
    fn unforward((): ()) -> Self {
        Dual::constant(S::splat(0.0))
    }
    #[inline(always)]
    fn splat(c: f32) -> Self {
        Dual::constant(S::splat(c))
    }
    #[inline(always)]
    fn canonical(self) -> Self {
        Dual {
            v: self.v.canonical(),
            dx: self.dx.canonical(),
            dy: self.dy.canonical(),
            dz: self.dz.canonical(),
        }
    }
    #[inline(always)]
    fn neg(self) -> Self {
        self.chain(self.v.neg(), S::splat(-1.0))
    }
    #[inline(always)]
    fn abs(self) -> Self {
        let sign = S::select(self.v.lt(S::splat(0.0)), S::splat(-1.0), S::splat(1.0));
        self.chain(self.v.abs(), sign)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        let r = self.v.sqrt();
        self.chain_or_zero(r, S::splat(0.5).div(r))
    }
    #[inline(always)]
    fn square(self) -> Self {
        self.chain(self.v.square(), S::splat(2.0).mul(self.v))
    }
    #[inline(always)]
    fn sin(self) -> Self {
        self.chain(self.v.sin(), self.v.cos())
    }
    #[inline(always)]
    fn cos(self) -> Self {
        self.chain(self.v.cos(), self.v.sin().neg())
    }
    #[inline(always)]
    fn tan(self) -> Self {
        let t = self.v.tan();
        self.chain(t, S::splat(1.0).add(t.mul(t)))
    }
    #[inline(always)]
    fn asin(self) -> Self {
        let one = S::splat(1.0);
        let k = one.div(one.sub(self.v.mul(self.v)).sqrt());
        self.chain_or_zero(self.v.asin(), k)
    }
    #[inline(always)]
    fn acos(self) -> Self {
        let one = S::splat(1.0);
        let k = S::splat(-1.0).div(one.sub(self.v.mul(self.v)).sqrt());
        self.chain_or_zero(self.v.acos(), k)
    }
    #[inline(always)]
    fn atan(self) -> Self {
        let one = S::splat(1.0);
        self.chain(self.v.atan(), one.div(one.add(self.v.mul(self.v))))
    }
    #[inline(always)]
    fn exp(self) -> Self {
        let e = self.v.exp();
        self.chain(e, e)
    }
    #[inline(always)]
    fn ln(self) -> Self {
        self.chain_or_zero(self.v.ln(), S::splat(1.0).div(self.v))
    }
    #[inline(always)]
    fn floor(self) -> Self {
        Dual::constant(self.v.floor())
    }
    #[inline(always)]
    fn ceil(self) -> Self {
        Dual::constant(self.v.ceil())
    }
    #[inline(always)]
    fn round(self) -> Self {
        Dual::constant(self.v.round())
    }
    #[inline(always)]
    fn recip(self) -> Self {
        let r = self.v.recip();
        self.chain_or_zero(r, r.neg().mul(r))
    }
    #[inline(always)]
    fn not(self) -> Self {
        Dual::constant(self.v.not())
    }
    #[inline(always)]
    fn add(self, b: Self) -> Self {
        let one = S::splat(1.0);
        Dual::chain2(self, b, self.v.add(b.v), one, one)
    }
    #[inline(always)]
    fn sub(self, b: Self) -> Self {
        Dual::chain2(self, b, self.v.sub(b.v), S::splat(1.0), S::splat(-1.0))
    }
    #[inline(always)]
    fn mul(self, b: Self) -> Self {
        Dual::chain2(self, b, self.v.mul(b.v), b.v, self.v)
    }
    #[inline(always)]
    fn div(self, b: Self) -> Self {
        let q = self.v.div(b.v);
        Dual::chain2_or_zero(self, b, q, S::splat(1.0).div(b.v), q.neg().div(b.v))
    }
    #[inline(always)]
    fn atan2(self, b: Self) -> Self {
        let (y, x) = (self.v, b.v);
        let d = x.mul(x).add(y.mul(y));
        Dual::chain2_or_zero(self, b, y.atan2(x), x.div(d), y.neg().div(d))
    }
    #[inline(always)]
    fn modulo(self, b: Self) -> Self {
        let r = self.v.modulo(b.v);
        // a = k·b + r, so r' = a' - k·b' with k = (a - r) / b.
        let k = self.v.sub(r).div(b.v).round();
        Dual::chain2(self, b, r, S::splat(1.0), k.neg())
    }
    #[inline(always)]
    fn compare(self, b: Self) -> Self {
        Dual::constant(self.v.compare(b.v))
    }
    #[inline(always)]
    fn min_choice(self, b: Self) -> (Self, Choice) {
        let (v, _) = self.v.min_choice(b.v);
        (self.pick(b, v, self.v.lt(b.v)), Choice::Both)
    }
    #[inline(always)]
    fn max_choice(self, b: Self) -> (Self, Choice) {
        let (v, _) = self.v.max_choice(b.v);
        (self.pick(b, v, self.v.gt(b.v)), Choice::Both)
    }
    #[inline(always)]
    fn and_choice(self, b: Self) -> (Self, Choice) {
        (Dual::select(self.v.is_zero(), self, b), Choice::Both)
    }
    #[inline(always)]
    fn or_choice(self, b: Self) -> (Self, Choice) {
        (Dual::select(self.v.is_zero(), b, self), Choice::Both)
    }
}
