//! Interval evaluation: bounds on a shape over a whole region at once.
//!
//! An [`Interval`] `[lo, hi]` holds every value the point evaluator can give
//! for inputs in the input intervals (soundness, checked by property tests in
//! `tests/interval.rs`). When a NaN is possible the result is
//! [`Interval::UNKNOWN`] (both bounds NaN), which contains everything.
//!
//! Basic arithmetic and `sqrt` are correctly rounded, hence monotone, so their
//! bounds use the same operations at the endpoints. The `libm` functions are
//! accurate to about one ulp but not guaranteed monotone, so their bounds are
//! widened outwards by [`SLACK_ULPS`] ulps.
//!
//! The `*_choice` operations also report which operand can be the result over
//! the region ([`Choice`]); [`crate::tape::simplify`] uses that to prune.

use std::f64::consts::{FRAC_PI_2, PI, TAU};

use super::{Choice, Value};

/// Ulps by which bounds computed with `libm` functions are widened.
pub const SLACK_ULPS: u32 = 4;

/// Beyond this magnitude, trigonometric bounds are not refined.
const TRIG_LIMIT: f32 = 1.0e4;

/// A closed range of `f32` values, or "unknown" (NaN possible).
#[derive(Copy, Clone, Debug)]
pub struct Interval {
    lo: f32,
    hi: f32,
}

impl PartialEq for Interval {
    fn eq(&self, o: &Self) -> bool {
        (self.is_unknown() && o.is_unknown()) || (self.lo == o.lo && self.hi == o.hi)
    }
}

impl Interval {
    /// The interval that contains every value, NaN included.
    pub const UNKNOWN: Interval = Interval {
        lo: f32::NAN,
        hi: f32::NAN,
    };

    /// `[lo, hi]`; [`Interval::UNKNOWN`] if either bound is NaN.
    ///
    /// # Panics
    /// If `lo > hi`.
    pub fn new(lo: f32, hi: f32) -> Self {
        assert!(
            lo.partial_cmp(&hi) != Some(std::cmp::Ordering::Greater),
            "interval bounds out of order: [{lo}, {hi}]"
        );
        Self::checked(lo, hi)
    }

    /// `[v, v]`.
    pub fn point(v: f32) -> Self {
        Self::checked(v, v)
    }

    #[inline(always)]
    fn checked(lo: f32, hi: f32) -> Self {
        if lo.is_nan() || hi.is_nan() {
            Self::UNKNOWN
        } else {
            Interval { lo, hi }
        }
    }

    /// Lower bound (NaN if unknown).
    pub fn lo(self) -> f32 {
        self.lo
    }

    /// Upper bound (NaN if unknown).
    pub fn hi(self) -> f32 {
        self.hi
    }

    /// True for [`Interval::UNKNOWN`].
    #[inline(always)]
    pub fn is_unknown(self) -> bool {
        self.lo.is_nan()
    }

    /// True if the point evaluator's value `v` is allowed by this interval.
    pub fn contains(self, v: f32) -> bool {
        self.is_unknown() || (self.lo <= v && v <= self.hi)
    }

    /// True if zero is in the interval (or it is unknown).
    #[inline(always)]
    fn has_zero(self) -> bool {
        !(self.lo > 0.0 || self.hi < 0.0)
    }

    #[inline(always)]
    fn has_inf(self) -> bool {
        self.lo == f32::NEG_INFINITY || self.hi == f32::INFINITY
    }

    /// The smallest interval holding both.
    fn hull(self, o: Self) -> Self {
        if self.is_unknown() || o.is_unknown() {
            Self::UNKNOWN
        } else {
            Interval {
                lo: self.lo.min(o.lo),
                hi: self.hi.max(o.hi),
            }
        }
    }

    /// Bounds from `libm` values at the ends, widened and clamped to `[min, max]`.
    fn widened(lo: f32, hi: f32, min: f32, max: f32) -> Self {
        if lo.is_nan() || hi.is_nan() {
            return Self::UNKNOWN;
        }
        Interval {
            lo: down(lo).max(min),
            hi: up(hi).min(max),
        }
    }

    /// Bounds of `f` on `self`, where `f` is non-decreasing.
    fn increasing(self, f: fn(f32) -> f32, min: f32, max: f32) -> Self {
        Self::widened(f(self.lo), f(self.hi), min, max)
    }
}

/// `v` moved `SLACK_ULPS` ulps towards -inf.
fn down(v: f32) -> f32 {
    (0..SLACK_ULPS).fold(v, |v, _| v.next_down())
}

/// `v` moved `SLACK_ULPS` ulps towards +inf.
fn up(v: f32) -> f32 {
    (0..SLACK_ULPS).fold(v, |v, _| v.next_up())
}

/// True if some `x = offset + k·period` (any integer k) may lie in
/// `[lo, hi]`; errs towards true.
fn hits(lo: f32, hi: f32, offset: f64, period: f64) -> bool {
    let slack = 1e-6 * (1.0 + f64::from(lo.abs().max(hi.abs())));
    let k = ((f64::from(lo) - slack - offset) / period).ceil();
    offset + k * period <= f64::from(hi) + slack
}

/// Bounds of sin (phase 0) or cos (phase π/2) on `a`.
fn periodic(a: Interval, f: fn(f32) -> f32, peak: f64) -> Interval {
    if a.is_unknown() || a.has_inf() {
        return Interval::UNKNOWN;
    }
    if a.lo.abs() > TRIG_LIMIT
        || a.hi.abs() > TRIG_LIMIT
        || f64::from(a.hi) - f64::from(a.lo) >= TAU
    {
        return Interval { lo: -1.0, hi: 1.0 };
    }
    let (fl, fh) = (f(a.lo), f(a.hi));
    let lo = if hits(a.lo, a.hi, peak + PI, TAU) {
        -1.0
    } else {
        down(fl.min(fh)).max(-1.0)
    };
    let hi = if hits(a.lo, a.hi, peak, TAU) {
        1.0
    } else {
        up(fl.max(fh)).min(1.0)
    };
    Interval { lo, hi }
}

/// The choice when only the left side (`left`) or only the right side
/// (`right`) can win; never both.
#[inline(always)]
fn choice(left: bool, right: bool) -> Choice {
    const TABLE: [Choice; 4] = [Choice::Both, Choice::Left, Choice::Right, Choice::Both];
    TABLE[usize::from(left) | (usize::from(right) << 1)]
}

impl Value for Interval {
    const RECORDS_CHOICES: bool = true;
    type Forward = Interval;
    const FORWARDS: bool = true;
    #[inline(always)]
    fn forward(self) -> Interval {
        self
    }
    #[inline(always)]
    fn unforward(f: Interval) -> Interval {
        f
    }

    #[inline(always)]
    fn splat(c: f32) -> Self {
        Self::point(c)
    }

    fn canonical(self) -> Self {
        if self.is_unknown() {
            Self::UNKNOWN
        } else {
            self
        }
    }

    fn neg(self) -> Self {
        Interval {
            lo: -self.hi,
            hi: -self.lo,
        }
    }

    fn abs(self) -> Self {
        if self.lo >= 0.0 {
            self
        } else if self.hi <= 0.0 {
            self.neg()
        } else {
            Self::checked(0.0, self.hi.max(-self.lo))
        }
    }

    fn sqrt(self) -> Self {
        if self.lo < 0.0 {
            Self::UNKNOWN
        } else {
            Self::checked(self.lo.sqrt(), self.hi.sqrt())
        }
    }

    fn square(self) -> Self {
        let (l, h) = (self.lo * self.lo, self.hi * self.hi);
        if self.lo >= 0.0 {
            Self::checked(l, h)
        } else if self.hi <= 0.0 {
            Self::checked(h, l)
        } else {
            Self::checked(0.0, l.max(h))
        }
    }

    fn sin(self) -> Self {
        periodic(self, libm::sinf, FRAC_PI_2)
    }

    fn cos(self) -> Self {
        periodic(self, libm::cosf, 0.0)
    }

    fn tan(self) -> Self {
        if self.is_unknown() || self.has_inf() {
            Self::UNKNOWN
        } else if self.lo.abs() > TRIG_LIMIT
            || self.hi.abs() > TRIG_LIMIT
            || f64::from(self.hi) - f64::from(self.lo) >= PI
            || hits(self.lo, self.hi, FRAC_PI_2, PI)
        {
            Interval {
                lo: f32::NEG_INFINITY,
                hi: f32::INFINITY,
            }
        } else {
            self.increasing(libm::tanf, f32::NEG_INFINITY, f32::INFINITY)
        }
    }

    fn asin(self) -> Self {
        if self.lo < -1.0 || self.hi > 1.0 || self.is_unknown() {
            Self::UNKNOWN
        } else {
            self.increasing(libm::asinf, -2.0, 2.0)
        }
    }

    fn acos(self) -> Self {
        if self.lo < -1.0 || self.hi > 1.0 || self.is_unknown() {
            Self::UNKNOWN
        } else {
            Self::widened(libm::acosf(self.hi), libm::acosf(self.lo), 0.0, 4.0)
        }
    }

    fn atan(self) -> Self {
        self.increasing(libm::atanf, -2.0, 2.0)
    }

    fn exp(self) -> Self {
        self.increasing(libm::expf, 0.0, f32::INFINITY)
    }

    fn ln(self) -> Self {
        if self.lo < 0.0 {
            Self::UNKNOWN
        } else {
            self.increasing(libm::logf, f32::NEG_INFINITY, f32::INFINITY)
        }
    }

    fn floor(self) -> Self {
        Self::checked(self.lo.floor(), self.hi.floor())
    }

    fn ceil(self) -> Self {
        Self::checked(self.lo.ceil(), self.hi.ceil())
    }

    fn round(self) -> Self {
        Self::checked(self.lo.round(), self.hi.round())
    }

    fn recip(self) -> Self {
        Self::point(1.0).div(self)
    }

    fn not(self) -> Self {
        if self.is_unknown() {
            Self::UNKNOWN
        } else if self.lo == 0.0 && self.hi == 0.0 {
            Self::point(1.0)
        } else if !self.has_zero() {
            Self::point(0.0)
        } else {
            Interval { lo: 0.0, hi: 1.0 }
        }
    }

    fn add(self, b: Self) -> Self {
        // inf + -inf is NaN.
        if (self.hi == f32::INFINITY && b.lo == f32::NEG_INFINITY)
            || (self.lo == f32::NEG_INFINITY && b.hi == f32::INFINITY)
        {
            return Self::UNKNOWN;
        }
        Self::checked(self.lo + b.lo, self.hi + b.hi)
    }

    fn sub(self, b: Self) -> Self {
        self.add(b.neg())
    }

    fn mul(self, b: Self) -> Self {
        // 0 * inf is NaN.
        if self.is_unknown()
            || b.is_unknown()
            || (self.has_zero() && b.has_inf())
            || (b.has_zero() && self.has_inf())
        {
            return Self::UNKNOWN;
        }
        let p = [
            self.lo * b.lo,
            self.lo * b.hi,
            self.hi * b.lo,
            self.hi * b.hi,
        ];
        Self::checked(
            p.iter().copied().fold(f32::INFINITY, f32::min),
            p.iter().copied().fold(f32::NEG_INFINITY, f32::max),
        )
    }

    fn div(self, b: Self) -> Self {
        // x / 0 is ±inf or NaN; inf / inf is NaN.
        if b.has_zero() || (self.has_inf() && b.has_inf()) || self.is_unknown() {
            return Self::UNKNOWN;
        }
        let p = [
            self.lo / b.lo,
            self.lo / b.hi,
            self.hi / b.lo,
            self.hi / b.hi,
        ];
        Self::checked(
            p.iter().copied().fold(f32::INFINITY, f32::min),
            p.iter().copied().fold(f32::NEG_INFINITY, f32::max),
        )
    }

    fn atan2(self, x: Self) -> Self {
        let y = self;
        if y.is_unknown() || x.is_unknown() {
            return Self::UNKNOWN;
        }
        // Away from the branch cut (the negative x axis) atan2 is monotone in
        // each argument, so its extremes are at the corners.
        if x.lo > 0.0 || y.lo > 0.0 || y.hi < 0.0 {
            let c = [
                libm::atan2f(y.lo, x.lo),
                libm::atan2f(y.lo, x.hi),
                libm::atan2f(y.hi, x.lo),
                libm::atan2f(y.hi, x.hi),
            ];
            let lo = c.iter().copied().fold(f32::INFINITY, f32::min);
            let hi = c.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            return Self::widened(lo, hi, -4.0, 4.0);
        }
        Self::widened(-std::f32::consts::PI, std::f32::consts::PI, -4.0, 4.0)
    }

    fn modulo(self, b: Self) -> Self {
        if self.is_unknown() || b.is_unknown() || b.has_zero() || self.has_inf() {
            return Self::UNKNOWN;
        }
        let m = b.lo.abs().max(b.hi.abs());
        if b.lo == b.hi && f64::from(self.hi) - f64::from(self.lo) < f64::from(m) {
            let (l, h) = (self.lo.modulo(b.lo), self.hi.modulo(b.lo));
            if l <= h {
                // No wrap-around inside the range: mod is increasing there.
                return Interval { lo: l, hi: h };
            }
        }
        Interval { lo: 0.0, hi: m }
    }

    fn compare(self, b: Self) -> Self {
        if self.is_unknown() || b.is_unknown() {
            return Self::UNKNOWN;
        }
        let less = self.lo < b.hi;
        let greater = self.hi > b.lo;
        let equal = self.lo <= b.hi && b.lo <= self.hi;
        let lo = if less {
            -1.0
        } else if equal {
            0.0
        } else {
            1.0
        };
        let hi = if greater {
            1.0
        } else if equal {
            0.0
        } else {
            -1.0
        };
        Interval { lo, hi }
    }

    // `min` and `max` are branch-free: the bounds are the same whichever side
    // wins (if `a` is entirely below `b`, the lower bounds' minimum is `a.lo`
    // and the upper bounds' minimum is `a.hi`), and the choice is read from
    // two comparisons, which are both false when a bound is NaN.
    #[inline(always)]
    fn min_choice(self, b: Self) -> (Self, Choice) {
        let unknown = self.is_unknown() | b.is_unknown();
        let lo = if self.lo < b.lo { self.lo } else { b.lo };
        let hi = if self.hi < b.hi { self.hi } else { b.hi };
        let v = if unknown {
            Self::UNKNOWN
        } else {
            Interval { lo, hi }
        };
        (v, choice(self.hi < b.lo, b.hi < self.lo))
    }

    #[inline(always)]
    fn max_choice(self, b: Self) -> (Self, Choice) {
        let unknown = self.is_unknown() | b.is_unknown();
        let lo = if self.lo > b.lo { self.lo } else { b.lo };
        let hi = if self.hi > b.hi { self.hi } else { b.hi };
        let v = if unknown {
            Self::UNKNOWN
        } else {
            Interval { lo, hi }
        };
        (v, choice(self.lo > b.hi, b.lo > self.hi))
    }

    fn and_choice(self, b: Self) -> (Self, Choice) {
        // Point rule: `a` if a == 0, else `b` (NaN is not zero).
        if self.is_unknown() {
            (Self::UNKNOWN, Choice::Both)
        } else if self.lo == 0.0 && self.hi == 0.0 {
            (self, Choice::Left)
        } else if !self.has_zero() {
            (b, Choice::Right)
        } else {
            (b.hull(Self::point(0.0)), Choice::Both)
        }
    }

    fn or_choice(self, b: Self) -> (Self, Choice) {
        // Point rule: `a` if a != 0 (NaN included), else `b`.
        if self.is_unknown() {
            (Self::UNKNOWN, Choice::Both)
        } else if !self.has_zero() {
            (self, Choice::Left)
        } else if self.lo == 0.0 && self.hi == 0.0 {
            (b, Choice::Right)
        } else {
            (self.hull(b), Choice::Both)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mul_with_infinity_and_zero_is_unknown() {
        let a = Interval::new(0.0, 1.0);
        let b = Interval::new(1.0, f32::INFINITY);
        assert!(a.mul(b).is_unknown());
        assert!(!Interval::new(1.0, 2.0).mul(b).is_unknown());
    }

    #[test]
    fn sin_bounds() {
        let s = Interval::new(0.0, 3.0).sin();
        assert_eq!(s.hi(), 1.0);
        assert!(s.lo() <= 0.0 && s.lo() > -0.01);
        let c = Interval::new(-0.5, 0.5).cos();
        assert_eq!(c.hi(), 1.0);
    }

    #[test]
    fn min_choices() {
        let a = Interval::new(0.0, 1.0);
        let b = Interval::new(2.0, 3.0);
        assert_eq!(a.min_choice(b).1, Choice::Left);
        assert_eq!(b.min_choice(a).1, Choice::Right);
        assert_eq!(a.max_choice(b).1, Choice::Right);
        assert_eq!(a.min_choice(a).1, Choice::Both);
    }
}
