//! Point evaluation: the reference meaning of every operation, on one `f32`.
//!
//! These functions define tapir's arithmetic (see the numeric rules in
//! [`crate::eval`]); the graph's constant folding and the slice evaluator call
//! them, so every evaluator agrees bit for bit.

use super::{Choice, Value};

/// NaN with a fixed bit pattern, so results do not depend on which operand's
/// payload the hardware forwards.
const NAN: f32 = f32::NAN;

impl Value for f32 {
    type Forward = f32;
    const FORWARDS: bool = true;
    #[inline(always)]
    fn forward(self) -> f32 {
        self
    }
    #[inline(always)]
    fn unforward(f: f32) -> f32 {
        f
    }
    #[inline(always)]
    fn splat(c: f32) -> Self {
        c
    }
    #[inline(always)]
    fn canonical(self) -> Self {
        if self.is_nan() { NAN } else { self }
    }
    #[inline(always)]
    fn neg(self) -> Self {
        -self
    }
    #[inline(always)]
    fn abs(self) -> Self {
        f32::abs(self)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
    #[inline(always)]
    fn square(self) -> Self {
        self * self
    }
    #[inline(always)]
    fn sin(self) -> Self {
        libm::sinf(self)
    }
    #[inline(always)]
    fn cos(self) -> Self {
        libm::cosf(self)
    }
    #[inline(always)]
    fn tan(self) -> Self {
        libm::tanf(self)
    }
    #[inline(always)]
    fn asin(self) -> Self {
        libm::asinf(self)
    }
    #[inline(always)]
    fn acos(self) -> Self {
        libm::acosf(self)
    }
    #[inline(always)]
    fn atan(self) -> Self {
        libm::atanf(self)
    }
    #[inline(always)]
    fn exp(self) -> Self {
        libm::expf(self)
    }
    #[inline(always)]
    fn ln(self) -> Self {
        libm::logf(self)
    }
    #[inline(always)]
    fn floor(self) -> Self {
        f32::floor(self)
    }
    #[inline(always)]
    fn ceil(self) -> Self {
        f32::ceil(self)
    }
    #[inline(always)]
    fn round(self) -> Self {
        f32::round(self)
    }
    #[inline(always)]
    fn recip(self) -> Self {
        1.0 / self
    }
    #[inline(always)]
    fn not(self) -> Self {
        if self.is_nan() {
            NAN
        } else if self == 0.0 {
            1.0
        } else {
            0.0
        }
    }
    #[inline(always)]
    fn add(self, b: Self) -> Self {
        self + b
    }
    #[inline(always)]
    fn sub(self, b: Self) -> Self {
        self - b
    }
    #[inline(always)]
    fn mul(self, b: Self) -> Self {
        self * b
    }
    #[inline(always)]
    fn div(self, b: Self) -> Self {
        self / b
    }
    #[inline(always)]
    fn atan2(self, b: Self) -> Self {
        libm::atan2f(self, b)
    }
    #[inline(always)]
    fn modulo(self, b: Self) -> Self {
        let r = libm::fmodf(self, b);
        if r < 0.0 { r + f32::abs(b) } else { r }
    }
    #[inline(always)]
    fn compare(self, b: Self) -> Self {
        if self.is_nan() || b.is_nan() {
            NAN
        } else if self < b {
            -1.0
        } else if self > b {
            1.0
        } else {
            0.0
        }
    }
    #[inline(always)]
    fn min_choice(self, b: Self) -> (Self, Choice) {
        let v = if self < b { self } else { b };
        (if self.is_nan() { NAN } else { v }, Choice::Both)
    }
    #[inline(always)]
    fn max_choice(self, b: Self) -> (Self, Choice) {
        let v = if self > b { self } else { b };
        (if self.is_nan() { NAN } else { v }, Choice::Both)
    }
    #[inline(always)]
    fn and_choice(self, b: Self) -> (Self, Choice) {
        (if self == 0.0 { self } else { b }, Choice::Both)
    }
    #[inline(always)]
    fn or_choice(self, b: Self) -> (Self, Choice) {
        (if self != 0.0 { self } else { b }, Choice::Both)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_max_propagate_nan() {
        assert!(f32::NAN.min_choice(1.0).0.is_nan());
        assert!(1.0f32.min_choice(f32::NAN).0.is_nan());
        assert!(f32::NAN.max_choice(1.0).0.is_nan());
        assert!(1.0f32.max_choice(f32::NAN).0.is_nan());
        assert_eq!(1.0f32.min_choice(2.0).0, 1.0);
        assert_eq!(1.0f32.max_choice(2.0).0, 2.0);
    }
}
