//! Gradient evaluation: forward-mode automatic differentiation.
//!
//! A [`Grad`] carries a value and its partial derivatives by x, y and z.
//! The value part is computed with exactly the point evaluator's arithmetic,
//! so it equals [`crate::Shape::eval_point`]; the derivatives follow the
//! chain rule (zero for the step functions `floor`, `ceil`, `round`,
//! `compare`, `not`; `min`, `max`, `and`, `or` take the derivatives of the
//! operand they return). Normals for shading are the normalised gradient.

use super::{Choice, Value};

/// A value and its partial derivatives.
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
pub struct Grad {
    /// The value.
    pub v: f32,
    /// ∂/∂x.
    pub dx: f32,
    /// ∂/∂y.
    pub dy: f32,
    /// ∂/∂z.
    pub dz: f32,
}

impl Grad {
    /// A constant (zero derivatives).
    pub fn constant(v: f32) -> Self {
        Grad {
            v,
            dx: 0.0,
            dy: 0.0,
            dz: 0.0,
        }
    }

    /// The input variable `axis` (0 = x, 1 = y, 2 = z) with value `v`.
    pub fn var(v: f32, axis: usize) -> Self {
        let mut g = Grad::constant(v);
        match axis {
            0 => g.dx = 1.0,
            1 => g.dy = 1.0,
            _ => g.dz = 1.0,
        }
        g
    }

    /// The four components as bits (for exact comparisons).
    pub fn to_bits(self) -> [u32; 4] {
        [
            self.v.to_bits(),
            self.dx.to_bits(),
            self.dy.to_bits(),
            self.dz.to_bits(),
        ]
    }

    /// Value `v` with derivatives `k · self'`.
    #[inline(always)]
    fn chain(self, v: f32, k: f32) -> Self {
        Grad {
            v,
            dx: self.dx * k,
            dy: self.dy * k,
            dz: self.dz * k,
        }
    }

    /// Value `v` with derivatives `ka · a' + kb · b'`.
    #[inline(always)]
    fn chain2(a: Self, b: Self, v: f32, ka: f32, kb: f32) -> Self {
        Grad {
            v,
            dx: a.dx * ka + b.dx * kb,
            dy: a.dy * ka + b.dy * kb,
            dz: a.dz * ka + b.dz * kb,
        }
    }

    /// `self` or `b` whole, as the point rule picked `v`.
    #[inline(always)]
    fn pick(self, b: Self, v: f32, choose_a: bool) -> Self {
        if v.is_nan() {
            Grad {
                v,
                dx: v,
                dy: v,
                dz: v,
            }
        } else if choose_a {
            self
        } else {
            b
        }
    }
}

// The value parts call the point evaluator's arithmetic through the trait:
// `f32`'s inherent methods would use the platform's libm instead.
impl Value for Grad {
    type Forward = ();
    const FORWARDS: bool = false;
    fn forward(self) {}
    fn unforward((): ()) -> Self {
        Grad::constant(0.0)
    }
    fn splat(c: f32) -> Self {
        Grad::constant(c)
    }
    fn canonical(self) -> Self {
        Grad {
            v: self.v.canonical(),
            dx: self.dx.canonical(),
            dy: self.dy.canonical(),
            dz: self.dz.canonical(),
        }
    }
    fn neg(self) -> Self {
        self.chain(-self.v, -1.0)
    }
    fn abs(self) -> Self {
        self.chain(
            <f32 as Value>::abs(self.v),
            if self.v < 0.0 { -1.0 } else { 1.0 },
        )
    }
    fn sqrt(self) -> Self {
        let r = <f32 as Value>::sqrt(self.v);
        self.chain(r, 0.5 / r)
    }
    fn square(self) -> Self {
        self.chain(<f32 as Value>::square(self.v), 2.0 * self.v)
    }
    fn sin(self) -> Self {
        self.chain(<f32 as Value>::sin(self.v), <f32 as Value>::cos(self.v))
    }
    fn cos(self) -> Self {
        self.chain(<f32 as Value>::cos(self.v), -<f32 as Value>::sin(self.v))
    }
    fn tan(self) -> Self {
        let t = <f32 as Value>::tan(self.v);
        self.chain(t, 1.0 + t * t)
    }
    fn asin(self) -> Self {
        self.chain(
            <f32 as Value>::asin(self.v),
            1.0 / (1.0 - self.v * self.v).sqrt(),
        )
    }
    fn acos(self) -> Self {
        self.chain(
            <f32 as Value>::acos(self.v),
            -1.0 / (1.0 - self.v * self.v).sqrt(),
        )
    }
    fn atan(self) -> Self {
        self.chain(<f32 as Value>::atan(self.v), 1.0 / (1.0 + self.v * self.v))
    }
    fn exp(self) -> Self {
        let e = <f32 as Value>::exp(self.v);
        self.chain(e, e)
    }
    fn ln(self) -> Self {
        self.chain(<f32 as Value>::ln(self.v), 1.0 / self.v)
    }
    fn floor(self) -> Self {
        Grad::constant(<f32 as Value>::floor(self.v))
    }
    fn ceil(self) -> Self {
        Grad::constant(<f32 as Value>::ceil(self.v))
    }
    fn round(self) -> Self {
        Grad::constant(<f32 as Value>::round(self.v))
    }
    fn recip(self) -> Self {
        let r = <f32 as Value>::recip(self.v);
        self.chain(r, -r * r)
    }
    fn not(self) -> Self {
        Grad::constant(<f32 as Value>::not(self.v))
    }
    fn add(self, b: Self) -> Self {
        Grad::chain2(self, b, self.v + b.v, 1.0, 1.0)
    }
    fn sub(self, b: Self) -> Self {
        Grad::chain2(self, b, self.v - b.v, 1.0, -1.0)
    }
    fn mul(self, b: Self) -> Self {
        Grad::chain2(self, b, self.v * b.v, b.v, self.v)
    }
    fn div(self, b: Self) -> Self {
        let q = self.v / b.v;
        Grad::chain2(self, b, q, 1.0 / b.v, -q / b.v)
    }
    fn atan2(self, b: Self) -> Self {
        let (y, x) = (self.v, b.v);
        let d = x * x + y * y;
        Grad::chain2(self, b, <f32 as Value>::atan2(y, x), x / d, -y / d)
    }
    fn modulo(self, b: Self) -> Self {
        let r = <f32 as Value>::modulo(self.v, b.v);
        // a = k·b + r, so r' = a' - k·b' with k = (a - r) / b.
        Grad::chain2(self, b, r, 1.0, -((self.v - r) / b.v).round())
    }
    fn compare(self, b: Self) -> Self {
        Grad::constant(<f32 as Value>::compare(self.v, b.v))
    }
    fn min_choice(self, b: Self) -> (Self, Choice) {
        let (v, _) = <f32 as Value>::min_choice(self.v, b.v);
        (self.pick(b, v, self.v < b.v), Choice::Both)
    }
    fn max_choice(self, b: Self) -> (Self, Choice) {
        let (v, _) = <f32 as Value>::max_choice(self.v, b.v);
        (self.pick(b, v, self.v > b.v), Choice::Both)
    }
    fn and_choice(self, b: Self) -> (Self, Choice) {
        (if self.v == 0.0 { self } else { b }, Choice::Both)
    }
    fn or_choice(self, b: Self) -> (Self, Choice) {
        (if self.v != 0.0 { self } else { b }, Choice::Both)
    }
}
