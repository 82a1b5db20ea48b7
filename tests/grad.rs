//! Gradients: every operation's derivative, and the chain rule through a
//! composed shape, checked against analytic derivatives and finite
//! differences.

mod common;

use common::check;
use proptest::prelude::*;
use tapir::Dispatch;
use tapir::Shape;
use tapir::eval::Grad;
use tapir::graph::{Graph, Var};
use tapir::interp::Machine;
use tapir::ops::{BinaryOp, UnaryOp};

fn grad_at(shape: &Shape, p: [f32; 3]) -> Grad {
    let mut m = Machine::<Grad>::new();
    m.run(
        Dispatch::TailCall,
        shape.reg_tape(),
        [Grad::var(p[0], 0), Grad::var(p[1], 1), Grad::var(p[2], 2)],
        &mut [],
    )
}

fn close(got: f32, want: f64) -> bool {
    (f64::from(got) - want).abs() <= 1e-4 * (1.0 + want.abs())
}

/// d/dx of each unary operation at x, where it is differentiable.
fn unary_derivative(op: UnaryOp, x: f64) -> f64 {
    use UnaryOp::*;
    match op {
        Neg => -1.0,
        Abs => x.signum(),
        Sqrt => 0.5 / x.sqrt(),
        Square => 2.0 * x,
        Sin => x.cos(),
        Cos => -x.sin(),
        Tan => 1.0 / (x.cos() * x.cos()),
        Asin => 1.0 / (1.0 - x * x).sqrt(),
        Acos => -1.0 / (1.0 - x * x).sqrt(),
        Atan => 1.0 / (1.0 + x * x),
        Exp => x.exp(),
        Ln => 1.0 / x,
        Recip => -1.0 / (x * x),
        Floor | Ceil | Round | Not => 0.0,
    }
}

#[test]
fn unary_derivatives() {
    check(
        "unary grad",
        2000,
        (0..UnaryOp::ALL.len(), 0.05f32..0.95, any::<bool>()),
        |(k, x, neg)| {
            let op = UnaryOp::ALL[k];
            // Stay inside every domain (asin, acos, ln, sqrt) and away from kinks.
            let x = if neg && !matches!(op, UnaryOp::Sqrt | UnaryOp::Ln) {
                -x
            } else {
                x
            };
            let mut g = Graph::new();
            let v = g.var(Var::X);
            let root = g.unary(op, v);
            let d = grad_at(&Shape::from_graph(&g, root), [x, 0.0, 0.0]);
            let want = unary_derivative(op, f64::from(x));
            prop_assert!(close(d.dx, want), "{op:?}'({x}) = {} != {want}", d.dx);
            prop_assert!(d.dy == 0.0 && d.dz == 0.0);
            Ok(())
        },
    );
}

#[test]
fn binary_derivatives() {
    check(
        "binary grad",
        2000,
        (0..BinaryOp::ALL.len(), 0.1f32..2.0, 0.1f32..2.0),
        |(k, a, b)| {
            use BinaryOp::*;
            let op = BinaryOp::ALL[k];
            let mut g = Graph::new();
            let (x, y) = (g.var(Var::X), g.var(Var::Y));
            let root = g.binary(op, x, y);
            let d = grad_at(&Shape::from_graph(&g, root), [a, b, 0.0]);
            let (a64, b64) = (f64::from(a), f64::from(b));
            let (da, db) = match op {
                Add => (1.0, 1.0),
                Sub => (1.0, -1.0),
                Mul => (b64, a64),
                Div => (1.0 / b64, -a64 / (b64 * b64)),
                Atan2 => (
                    b64 / (a64 * a64 + b64 * b64),
                    -a64 / (a64 * a64 + b64 * b64),
                ),
                Mod => (1.0, -(a64 / b64).floor()),
                Min => {
                    if a < b {
                        (1.0, 0.0)
                    } else {
                        (0.0, 1.0)
                    }
                }
                Max => {
                    if a > b {
                        (1.0, 0.0)
                    } else {
                        (0.0, 1.0)
                    }
                }
                // Non-zero `a`: `and` gives b, `or` gives a.
                And => (0.0, 1.0),
                Or => (1.0, 0.0),
                Compare => (0.0, 0.0),
            };
            prop_assert!(
                close(d.dx, da) && close(d.dy, db),
                "{op:?}({a}, {b}): ({}, {}) != ({da}, {db})",
                d.dx,
                d.dy
            );
            Ok(())
        },
    );
}

/// The chain rule through a smooth composed shape agrees with central
/// differences of the point evaluator.
#[test]
fn chain_rule_matches_finite_differences() {
    let shape = Shape::from_expr(
        "sin(x*y) + sqrt(x^2 + z^2 + 1) * exp(-y) - atan2(y, x + 3) / (2 + cos(z))",
    )
    .unwrap();
    check(
        "chain",
        300,
        [-1.0f32..1.0, -1.0f32..1.0, -1.0f32..1.0],
        |p: [f32; 3]| {
            let d = grad_at(&shape, p);
            let h = 1e-2f32;
            for (axis, got) in [d.dx, d.dy, d.dz].into_iter().enumerate() {
                let (mut hi, mut lo) = (p, p);
                hi[axis] += h;
                lo[axis] -= h;
                let fd = (f64::from(shape.eval_point(hi[0], hi[1], hi[2]))
                    - f64::from(shape.eval_point(lo[0], lo[1], lo[2])))
                    / (f64::from(hi[axis]) - f64::from(lo[axis]));
                prop_assert!(
                    (f64::from(got) - fd).abs() < 2e-3,
                    "axis {axis} at {p:?}: {got} vs {fd}"
                );
            }
            Ok(())
        },
    );
}

/// Where an operation's own derivative is infinite (sqrt and ln at 0, 1/x
/// and division by 0, asin/acos at ±1, atan2 at the origin), an operand
/// with zero derivatives gives zero derivatives: so the exact box distance
/// has a finite gradient inside the box, where `length(max(q, 0))` is
/// `sqrt(0)`.
#[test]
fn zero_derivatives_stay_zero_through_infinite_slopes() {
    // The operands are constant along every axis at the point (their
    // derivatives are exactly zero there); the operations' slopes are not
    // finite.
    for src in [
        "sqrt(max(x, 0))",
        "ln(max(x, 0))",
        "recip(max(x, 0))",
        "2 / max(x, 0)",
        "asin(min(max(x, 1), 1))",
        "acos(min(max(x, 1), 1))",
        "atan2(max(x, 0), max(x, 0))",
    ] {
        let s = Shape::from_expr(src).unwrap();
        let g = grad_at(&s, [-0.5, 2.0, 0.0]);
        assert_eq!((g.dx, g.dy, g.dz), (0.0, 0.0, 0.0), "{src}: {g:?}");
    }
    // A slope that is infinite with a non-zero operand derivative stays
    // infinite (or NaN): the rule only keeps zeros.
    let s = Shape::from_expr("sqrt(x)").unwrap();
    assert!(!grad_at(&s, [0.0, 0.0, 0.0]).dx.is_finite());
    // Inside a box: the gradient of the nearest face.
    let b = Shape::from_expr(
        "sqrt(max(abs(x) - 0.5, 0)^2 + max(abs(y) - 0.4, 0)^2 + max(abs(z) - 0.3, 0)^2) \
         + min(max(abs(x) - 0.5, abs(y) - 0.4, abs(z) - 0.3), 0)",
    )
    .unwrap();
    let g = grad_at(&b, [0.1, 0.35, 0.0]);
    assert_eq!((g.dx, g.dy, g.dz), (0.0, 1.0, 0.0), "{g:?}");
}
