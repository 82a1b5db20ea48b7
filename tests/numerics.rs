//! The numeric rules of `tapir::eval` (its module documentation is the
//! specification), one test per rule.
//!
//! Each rule is checked through every evaluator it applies to, by
//! [`eval_all`]: points with every dispatch style (full register file and
//! two registers, so spills too), slices (`Lanes`), the value part of
//! gradients, intervals over the point (which must contain the value, and be
//! the canonical unknown interval for NaN), the graph's reference
//! evaluation, and the graph's constant folding. Binary operations are also
//! checked in their register/immediate and immediate/register forms
//! ([`bin`]).

use tapir::Shape;
use tapir::eval::{Grad, Interval, Lanes};
use tapir::graph::{Graph, NodeId, Var};
use tapir::interp::{Dispatch, Machine};
use tapir::ops::{BinaryOp, UnaryOp};
use tapir::render::{EvalOptions, Grid2};

const INF: f32 = f32::INFINITY;
const NAN: f32 = f32::NAN;

/// Lanes per slice in these tests; the checked point goes in [`LANE_A`]
/// and [`LANE_B`], other lanes hold unrelated values.
const N: usize = 16;
const LANE_A: usize = 5;
const LANE_B: usize = 11;

/// Values every operation is tried on.
const SPECIAL: [f32; 20] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -0.5,
    1.5,
    2.5,
    -2.5,
    3.0,
    100.0,
    std::f32::consts::PI,
    1e-30,
    -1e-30,
    1e30,
    3e38,
    -3e38,
    INF,
    -INF,
    NAN,
];

/// An expression of x, y and z, built on a graph.
type Build<'a> = &'a dyn Fn(&mut Graph, [NodeId; 3]) -> NodeId;

/// Same bits, or both NaN (for values that have not been through a tape's
/// output, whose NaN bits are unspecified).
fn same(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fn assert_bits(got: f32, want: f32, what: &str) {
    assert!(
        got.to_bits() == want.to_bits(),
        "{what}: {got:?} ({:#010x}) != {want:?} ({:#010x})",
        got.to_bits(),
        want.to_bits()
    );
}

/// Evaluates `build` at `p` with every evaluator (see the module docs),
/// asserts that they agree bit for bit, and returns the value.
fn eval_all(build: Build, p: [f32; 3]) -> f32 {
    let v = eval_tapes(build, p);
    // Constant folding: the same expression of constants folds to the
    // value (up to NaN bits), and a tape of the folded graph returns it.
    let mut g = Graph::new();
    let consts = p.map(|c| g.constant(c));
    let root = build(&mut g, consts);
    let folded = g
        .const_value(root)
        .expect("an expression of constants folds to a constant");
    assert!(
        same(folded, v),
        "folding at {p:?} gives {folded:?}, evaluation {v:?}"
    );
    let s = Shape::from_graph(&g, root);
    for d in Dispatch::ALL {
        assert_bits(s.eval_point_with(d, 7.0, 7.0, 7.0), v, "folded tape");
    }
    v
}

/// [`eval_all`] without the constant-folding check.
fn eval_tapes(build: Build, p: [f32; 3]) -> f32 {
    let mut g = Graph::new();
    let vars = Var::ALL.map(|v| g.var(v));
    let root = build(&mut g, vars);
    let full = Shape::from_graph(&g, root);
    let tight = Shape::from_graph_with_register_limit(&g, root, 2);
    let v = g.eval(root, p);
    let at = format!("at {p:?}");
    for s in [&full, &tight] {
        for d in Dispatch::ALL {
            let got = s.eval_point_with(d, p[0], p[1], p[2]);
            assert_bits(got, v, &format!("point, {d}, {at}"));
        }
    }
    // Slices.
    let mut vars: [Lanes<N>; 3] = [Lanes([0.25; N]), Lanes([-3.0; N]), Lanes([NAN; N])];
    for (axis, lanes) in vars.iter_mut().enumerate() {
        lanes.0[LANE_A] = p[axis];
        lanes.0[LANE_B] = p[axis];
    }
    let mut slices = Machine::<Lanes<N>>::new();
    for s in [&full, &tight] {
        for d in Dispatch::ALL {
            let out = slices.run(d, s.reg_tape(), vars, &mut []);
            assert_bits(out.0[LANE_A], v, &format!("slice, {d}, {at}"));
            assert_bits(out.0[LANE_B], v, &format!("slice, {d}, {at}"));
        }
    }
    // Gradients: the value part.
    let mut grads = Machine::<Grad>::new();
    let gvars = [Grad::var(p[0], 0), Grad::var(p[1], 1), Grad::var(p[2], 2)];
    for d in Dispatch::ALL {
        let out = grads.run(d, full.reg_tape(), gvars, &mut []);
        assert_bits(out.v, v, &format!("gradient value, {d}, {at}"));
    }
    // Intervals of the point: contain the value; canonical when unknown.
    let [x, y, z] = p.map(Interval::point);
    let mut first = None;
    for d in Dispatch::ALL {
        let (iv, choices) = full.eval_interval_with(d, x, y, z);
        assert!(iv.contains(v), "interval {iv:?} lacks {v:?}, {d}, {at}");
        if iv.is_unknown() {
            assert_bits(iv.lo(), NAN, "unknown interval's lower bound");
            assert_bits(iv.hi(), NAN, "unknown interval's upper bound");
        }
        let key = (iv.lo().to_bits(), iv.hi().to_bits(), choices);
        match &first {
            None => first = Some(key),
            Some(f) => assert_eq!(f, &key, "interval differs with {d}, {at}"),
        }
    }
    v
}

/// `op(a)` through every evaluator.
fn un(op: UnaryOp, a: f32) -> f32 {
    eval_all(&|g, [x, _, _]| g.unary(op, x), [a, 0.0, 0.0])
}

/// `op(a, b)` through every evaluator, in all three operand forms (the
/// value of each is the same, except where the graph's documented rewrites
/// allow otherwise: `x + 0` for `x = -0`, and which zero `min`/`max` of two
/// zeros returns once operands are swapped).
fn bin(op: BinaryOp, a: f32, b: f32) -> f32 {
    let v = eval_all(&|g, [x, y, _]| g.binary(op, x, y), [a, b, 0.0]);
    let zeros = a == 0.0 && b == 0.0;
    if zeros && matches!(op, BinaryOp::Add | BinaryOp::Min | BinaryOp::Max) {
        return v;
    }
    let reg_imm = eval_all(
        &|g, [x, _, _]| {
            let c = g.constant(b);
            g.binary(op, x, c)
        },
        [a, 0.0, 0.0],
    );
    let imm_reg = eval_all(
        &|g, [_, y, _]| {
            let c = g.constant(a);
            g.binary(op, c, y)
        },
        [0.0, b, 0.0],
    );
    let what = format!("{}({a:?}, {b:?})", op.name());
    assert_bits(reg_imm, v, &format!("{what}, register/immediate form"));
    assert_bits(imm_reg, v, &format!("{what}, immediate/register form"));
    v
}

fn assert_nan(v: f32, what: &str) {
    // Tape outputs are canonical, so NaN means exactly `f32::NAN`.
    assert_bits(v, NAN, what);
}

// ---------------------------------------------------------------- arithmetic

/// Arithmetic is IEEE 754 single precision, round to nearest even;
/// overflow gives ±inf; no fused multiply-add is formed.
#[test]
fn arithmetic_is_ieee_single_precision() {
    let e = f32::EPSILON; // 2^-23
    // Ties round to even.
    assert_bits(bin(BinaryOp::Add, 1.0, e / 2.0), 1.0, "1 + 2^-24");
    assert_bits(
        bin(BinaryOp::Add, 1.0 + e, e / 2.0),
        1.0 + 2.0 * e,
        "(1 + 2^-23) + 2^-24",
    );
    assert_bits(bin(BinaryOp::Sub, 1.0, e / 4.0), 1.0, "1 - 2^-25");
    // Every operation of IEEE arithmetic is the hardware's correctly
    // rounded one (Rust's f32 operators are IEEE 754).
    for &a in &SPECIAL {
        for &b in &SPECIAL {
            let what = format!("({a:?}, {b:?})");
            assert!(same(bin(BinaryOp::Add, a, b), a + b), "add {what}");
            assert!(same(bin(BinaryOp::Sub, a, b), a - b), "sub {what}");
            assert!(same(bin(BinaryOp::Mul, a, b), a * b), "mul {what}");
            assert!(same(bin(BinaryOp::Div, a, b), a / b), "div {what}");
        }
        assert!(same(un(UnaryOp::Sqrt, a), a.sqrt()), "sqrt({a:?})");
        assert!(same(un(UnaryOp::Square, a), a * a), "square({a:?})");
        assert!(same(un(UnaryOp::Neg, a), -a), "neg({a:?})");
        assert!(same(un(UnaryOp::Abs, a), a.abs()), "abs({a:?})");
    }
    // Overflow.
    assert_bits(bin(BinaryOp::Add, 3e38, 3e38), INF, "3e38 + 3e38");
    assert_bits(bin(BinaryOp::Mul, -3e38, 10.0), -INF, "-3e38 * 10");
    assert_bits(bin(BinaryOp::Div, 3e38, 1e-10), INF, "3e38 / 1e-10");
    assert_bits(un(UnaryOp::Square, 1e20), INF, "square(1e20)");
    assert_bits(un(UnaryOp::Exp, 100.0), INF, "exp(100)");
    // No fused multiply-add: (a * b) - c with a = b = 1 + 2^-12 and
    // c = 1 + 2^-11 is 0 when the product is rounded, 2^-24 when fused.
    let a = 1.0 + 2f32.powi(-12);
    let c = 1.0 + 2f32.powi(-11);
    let fma_shape = |g: &mut Graph, [x, y, z]: [NodeId; 3]| {
        let p = g.binary(BinaryOp::Mul, x, y);
        g.binary(BinaryOp::Sub, p, z)
    };
    assert_bits(eval_all(&fma_shape, [a, a, c]), 0.0, "a * b - c (no fma)");
    assert_eq!(a.mul_add(a, -c), 2f32.powi(-24), "the fused value differs");
}

/// Division by zero gives ±inf; `0/0` is NaN.
#[test]
fn division_by_zero() {
    assert_bits(bin(BinaryOp::Div, 1.0, 0.0), INF, "1 / 0");
    assert_bits(bin(BinaryOp::Div, -1.0, 0.0), -INF, "-1 / 0");
    assert_bits(bin(BinaryOp::Div, 1.0, -0.0), -INF, "1 / -0");
    assert_bits(bin(BinaryOp::Div, -2.5, -0.0), INF, "-2.5 / -0");
    assert_bits(bin(BinaryOp::Div, INF, 0.0), INF, "inf / 0");
    assert_nan(bin(BinaryOp::Div, 0.0, 0.0), "0 / 0");
    assert_nan(bin(BinaryOp::Div, -0.0, 0.0), "-0 / 0");
    assert_bits(un(UnaryOp::Recip, 0.0), INF, "recip(0)");
    assert_bits(un(UnaryOp::Recip, -0.0), -INF, "recip(-0)");
    assert_bits(un(UnaryOp::Recip, -INF), -0.0, "recip(-inf)");
}

// ---------------------------------------------------------------- NaN

/// NaN propagates through every operation except `and` and `or`.
#[test]
fn nan_propagates_through_every_operation_but_and_or() {
    for &op in UnaryOp::ALL {
        assert_nan(un(op, NAN), &format!("{}(NaN)", op.name()));
    }
    for &op in BinaryOp::ALL {
        if matches!(op, BinaryOp::And | BinaryOp::Or) {
            continue;
        }
        for &v in &SPECIAL {
            let name = op.name();
            assert_nan(bin(op, NAN, v), &format!("{name}(NaN, {v:?})"));
            assert_nan(bin(op, v, NAN), &format!("{name}({v:?}, NaN)"));
        }
    }
}

/// `and` and `or` test `a == 0` (NaN is not zero): `and(NaN, b) = b`,
/// `or(NaN, b) = NaN`; `and(a, b)` is `a` if `a == 0`, else `b`; `or(a, b)`
/// is `a` if `a != 0`, else `b`.
#[test]
fn and_or_test_equality_with_zero() {
    use BinaryOp::{And, Or};
    for &b in &SPECIAL {
        assert!(same(bin(And, NAN, b), b), "and(NaN, {b:?})");
        assert_nan(bin(Or, NAN, b), &format!("or(NaN, {b:?})"));
        // Zero of either sign is zero: `and` returns it, `or` passes on.
        assert_bits(bin(And, 0.0, b), 0.0, "and(0, b)");
        assert_bits(bin(And, -0.0, b), -0.0, "and(-0, b)");
        assert!(same(bin(Or, 0.0, b), b), "or(0, {b:?})");
        assert!(same(bin(Or, -0.0, b), b), "or(-0, {b:?})");
        for a in [1.0, -2.5, INF, -INF, 1e-30] {
            assert!(same(bin(And, a, b), b), "and({a:?}, {b:?})");
            assert_bits(bin(Or, a, b), a, &format!("or({a:?}, {b:?})"));
        }
    }
}

/// Every NaN a tape returns is `f32::NAN`, whatever NaN was made on the
/// way (payloads, sign bits, signalling NaNs).
#[test]
fn nan_outputs_are_canonical() {
    let odd_nans = [
        f32::from_bits(0x7fc0_1234),
        f32::from_bits(0xffc0_0000),
        f32::from_bits(0xff80_0001),
        f32::from_bits(0x7f80_0001),
        -NAN,
    ];
    for n in odd_nans {
        // The input itself, and through operations that keep payloads.
        assert_nan(eval_all(&|_, [x, _, _]| x, [n, 0.0, 0.0]), "x");
        for op in [UnaryOp::Neg, UnaryOp::Abs, UnaryOp::Floor, UnaryOp::Sqrt] {
            assert_nan(un(op, n), op.name());
        }
        assert_nan(bin(BinaryOp::Add, n, 1.0), "NaN + 1");
        assert_nan(bin(BinaryOp::Min, 1.0, n), "min(1, NaN)");
        assert_nan(bin(BinaryOp::And, 1.0, n), "and(1, NaN)");
        assert_nan(bin(BinaryOp::Or, n, 2.0), "or(NaN, 2)");
    }
    // NaNs made by arithmetic (x86 makes the negative default NaN).
    assert_nan(bin(BinaryOp::Div, 0.0, 0.0), "0 / 0");
    assert_nan(bin(BinaryOp::Sub, INF, INF), "inf - inf");
    assert_nan(bin(BinaryOp::Mul, 0.0, -INF), "0 * -inf");
    assert_nan(un(UnaryOp::Sqrt, -1.0), "sqrt(-1)");
    assert_nan(un(UnaryOp::Sin, INF), "sin(inf)");
    // A gradient's derivatives, where NaN, are canonical too.
    let s = Shape::from_expr("sqrt(x)").unwrap();
    let mut m = Machine::<Grad>::new();
    for d in Dispatch::ALL {
        let g = m.run(
            d,
            s.reg_tape(),
            [Grad::var(-1.0, 0), Grad::var(0.0, 1), Grad::var(0.0, 2)],
            &mut [],
        );
        assert_bits(g.v, NAN, "gradient value");
        assert_bits(g.dx, NAN, "gradient dx");
    }
    // The unknown interval's bounds are f32::NAN.
    let iv = s.eval_interval(
        Interval::new(-1.0, 1.0),
        Interval::point(0.0),
        Interval::point(0.0),
    );
    assert!(iv.is_unknown());
    assert_bits(iv.lo(), NAN, "unknown lo");
    assert_bits(iv.hi(), NAN, "unknown hi");
}

// ---------------------------------------------------------------- min, max

/// `min`/`max` return NaN if either side is NaN; otherwise
/// `min(a, b) = if a < b { a } else { b }` (and `max` likewise with `>`),
/// which fixes which zero comes back; the graph may swap the operands, so
/// that is not part of the contract for user expressions.
#[test]
fn min_max_nan_and_zero_rules() {
    use BinaryOp::{Max, Min};
    for &v in &SPECIAL {
        for op in [Min, Max] {
            assert_nan(bin(op, NAN, v), "NaN left");
            assert_nan(bin(op, v, NAN), "NaN right");
        }
    }
    for &a in &SPECIAL {
        for &b in &SPECIAL {
            if a.is_nan() || b.is_nan() {
                continue;
            }
            assert_bits(
                bin(Min, a, b),
                if a < b { a } else { b },
                &format!("min({a:?}, {b:?})"),
            );
            assert_bits(
                bin(Max, a, b),
                if a > b { a } else { b },
                &format!("max({a:?}, {b:?})"),
            );
        }
    }
    // The zero rules, in the operand order the graph keeps (x before y).
    assert_bits(bin(Min, -0.0, 0.0), 0.0, "min(-0, +0)");
    assert_bits(bin(Min, 0.0, -0.0), -0.0, "min(+0, -0)");
    assert_bits(bin(Max, -0.0, 0.0), 0.0, "max(-0, +0)");
    assert_bits(bin(Max, 0.0, -0.0), -0.0, "max(+0, -0)");
    // Written the other way round, the graph swaps the operands (min is
    // stored once for both orders), so the other zero may come back.
    let mut g = Graph::new();
    let (x, y) = (g.var(Var::X), g.var(Var::Y));
    assert_eq!(g.binary(Min, y, x), g.binary(Min, x, y));
    let swapped = eval_tapes(&|g, [x, y, _]| g.binary(Min, y, x), [0.0, -0.0, 0.0]);
    assert_eq!(swapped, 0.0, "a zero either way");
}

// ---------------------------------------------------------------- domains

/// Domain errors give NaN: `sqrt` and `ln` below zero (`sqrt(-0) = -0`,
/// `ln(0) = -inf`), `asin`/`acos` outside [-1, 1], `mod` by zero.
#[test]
fn domain_errors_give_nan() {
    use UnaryOp::{Acos, Asin, Ln, Sqrt};
    for a in [-1.0, -1e-30, -3e38, -INF, -0.5] {
        assert_nan(un(Sqrt, a), &format!("sqrt({a:?})"));
        assert_nan(un(Ln, a), &format!("ln({a:?})"));
    }
    assert_bits(un(Sqrt, -0.0), -0.0, "sqrt(-0)");
    assert_bits(un(Sqrt, 0.0), 0.0, "sqrt(0)");
    assert_bits(un(Ln, 0.0), -INF, "ln(0)");
    assert_bits(un(Ln, -0.0), -INF, "ln(-0)");
    assert_bits(un(Ln, 1.0), 0.0, "ln(1)");
    for a in [1.0001, -1.0001, 2.0, -2.0, INF, -INF, 3e38] {
        assert_nan(un(Asin, a), &format!("asin({a:?})"));
        assert_nan(un(Acos, a), &format!("acos({a:?})"));
    }
    for a in [1.0f32, -1.0, 0.0, -0.0, 0.999] {
        assert!(un(Asin, a).is_finite(), "asin({a:?})");
        assert!(un(Acos, a).is_finite(), "acos({a:?})");
    }
    for &a in &SPECIAL {
        assert_nan(bin(BinaryOp::Mod, a, 0.0), &format!("mod({a:?}, 0)"));
        assert_nan(bin(BinaryOp::Mod, a, -0.0), &format!("mod({a:?}, -0)"));
    }
    // An infinite dividend has no remainder either.
    for b in [1.0, -2.5, INF, -INF] {
        assert_nan(bin(BinaryOp::Mod, INF, b), &format!("mod(inf, {b:?})"));
        assert_nan(bin(BinaryOp::Mod, -INF, b), &format!("mod(-inf, {b:?})"));
    }
}

/// `mod(a, b)` is the Euclidean remainder `r = fmod(a, b)`, plus `|b|` when
/// `r < 0`; it lies in `[0, |b|]`, the upper end only when rounding
/// `r + |b|` reaches it.
#[test]
fn mod_is_euclidean_and_in_range() {
    use BinaryOp::Mod;
    assert_bits(bin(Mod, 5.0, 3.0), 2.0, "mod(5, 3)");
    assert_bits(bin(Mod, -5.0, 3.0), 1.0, "mod(-5, 3)");
    assert_bits(bin(Mod, 5.0, -3.0), 2.0, "mod(5, -3)");
    assert_bits(bin(Mod, -5.0, -3.0), 1.0, "mod(-5, -3)");
    assert_bits(bin(Mod, 7.5, 2.5), 0.0, "mod(7.5, 2.5)");
    // r = -1e-10, and -1e-10 + 1 rounds to 1: the upper end.
    assert_bits(bin(Mod, -1e-10, 1.0), 1.0, "mod(-1e-10, 1)");
    let mut k = 0u32;
    for &b in &[0.3f32, -0.7, 2.5, 1e-3, -1e4, 1e-30] {
        for i in -200..=200 {
            let a = i as f32 * 0.173 + (k % 7) as f32 * 1e-3;
            k += 1;
            let r = bin(Mod, a, b);
            let f = libm::fmodf(a, b);
            let want = if f < 0.0 { f + b.abs() } else { f };
            assert_bits(r, want, &format!("mod({a:?}, {b:?})"));
            assert!(
                (0.0..=b.abs()).contains(&r),
                "mod({a:?}, {b:?}) = {r:?} out of range"
            );
        }
    }
}

/// `mod(a, ±inf)`: for finite `a`, `fmod(a, ±inf) = a`, so the result is
/// `a` for `a ≥ 0` and `a + inf = +inf` for `a < 0` (still within
/// `[0, |b|]`); an infinite `a` is a domain error (NaN).
#[test]
fn mod_by_infinity() {
    use BinaryOp::Mod;
    for b in [INF, -INF] {
        for a in [0.0, 2.5, 1e-30, 3e38] {
            assert_bits(bin(Mod, a, b), a, &format!("mod({a:?}, {b:?})"));
        }
        assert_bits(bin(Mod, -0.0, b), -0.0, "mod(-0, inf)");
        for a in [-2.5, -1e-30, -3e38] {
            assert_bits(bin(Mod, a, b), INF, &format!("mod({a:?}, {b:?})"));
        }
        assert_nan(bin(Mod, INF, b), "mod(inf, inf)");
        assert_nan(bin(Mod, -INF, b), "mod(-inf, inf)");
    }
}

// ---------------------------------------------------------------- compare, not, rounding

/// `compare(a, b)` is -1, 0 or 1; NaN if either side is NaN; `-0 == +0`.
#[test]
fn compare_rule() {
    for &a in &SPECIAL {
        for &b in &SPECIAL {
            let v = bin(BinaryOp::Compare, a, b);
            let want = if a.is_nan() || b.is_nan() {
                NAN
            } else if a < b {
                -1.0
            } else if a > b {
                1.0
            } else {
                0.0
            };
            assert_bits(v, want, &format!("compare({a:?}, {b:?})"));
        }
    }
    assert_bits(bin(BinaryOp::Compare, -0.0, 0.0), 0.0, "compare(-0, 0)");
    assert_bits(
        bin(BinaryOp::Compare, -INF, INF),
        -1.0,
        "compare(-inf, inf)",
    );
    assert_bits(
        bin(BinaryOp::Compare, 1.0 + f32::EPSILON, 1.0),
        1.0,
        "compare by one ulp",
    );
}

/// `not(a)` is 1 when `a == 0`, 0 otherwise, NaN for NaN.
#[test]
fn not_rule() {
    assert_bits(un(UnaryOp::Not, 0.0), 1.0, "not(0)");
    assert_bits(un(UnaryOp::Not, -0.0), 1.0, "not(-0)");
    assert_nan(un(UnaryOp::Not, NAN), "not(NaN)");
    for &a in &SPECIAL {
        if a != 0.0 && !a.is_nan() {
            assert_bits(un(UnaryOp::Not, a), 0.0, &format!("not({a:?})"));
        }
    }
}

/// `round` rounds halves away from zero; `floor` and `ceil` as usual.
#[test]
fn round_halves_away_from_zero() {
    use UnaryOp::{Ceil, Floor, Round};
    let cases = [
        (0.5, 1.0),
        (1.5, 2.0),
        (2.5, 3.0),
        (-0.5, -1.0),
        (-1.5, -2.0),
        (-2.5, -3.0),
        (0.49999997, 0.0),
        (-0.49999997, -0.0),
        (8388609.0, 8388609.0),
        (1e30, 1e30),
        (INF, INF),
        (-INF, -INF),
        (-0.0, -0.0),
    ];
    for (a, want) in cases {
        assert_bits(un(Round, a), want, &format!("round({a:?})"));
    }
    assert_bits(un(Floor, -0.5), -1.0, "floor(-0.5)");
    assert_bits(un(Floor, 2.7), 2.0, "floor(2.7)");
    assert_bits(un(Ceil, -0.5), -0.0, "ceil(-0.5)");
    assert_bits(un(Ceil, 2.1), 3.0, "ceil(2.1)");
    for &a in &SPECIAL {
        assert!(same(un(Floor, a), a.floor()), "floor({a:?})");
        assert!(same(un(Ceil, a), a.ceil()), "ceil({a:?})");
        assert!(same(un(Round, a), a.round()), "round({a:?})");
    }
}

/// The transcendental functions are the `libm` crate's, bit for bit, in
/// every evaluator.
#[test]
fn transcendentals_come_from_libm() {
    type F = fn(f32) -> f32;
    let unary: [(UnaryOp, F); 8] = [
        (UnaryOp::Sin, libm::sinf),
        (UnaryOp::Cos, libm::cosf),
        (UnaryOp::Tan, libm::tanf),
        (UnaryOp::Asin, libm::asinf),
        (UnaryOp::Acos, libm::acosf),
        (UnaryOp::Atan, libm::atanf),
        (UnaryOp::Exp, libm::expf),
        (UnaryOp::Ln, libm::logf),
    ];
    let values: Vec<f32> = SPECIAL
        .iter()
        .copied()
        .chain((-40..40).map(|i| i as f32 * 0.0917))
        .collect();
    for (op, f) in unary {
        for &a in &values {
            assert!(same(un(op, a), f(a)), "{}({a:?})", op.name());
        }
    }
    for &a in &SPECIAL {
        for &b in &SPECIAL {
            assert!(
                same(bin(BinaryOp::Atan2, a, b), libm::atan2f(a, b)),
                "atan2({a:?}, {b:?})"
            );
        }
    }
}

// ---------------------------------------------------------------- the graph

/// Constant folding uses exactly these rules: every operation on every
/// pair of special values folds to what evaluation gives (checked by
/// `eval_all` in every form).
#[test]
fn constant_folding_equals_evaluation() {
    for &op in UnaryOp::ALL {
        for &a in &SPECIAL {
            un(op, a);
        }
    }
    for &op in BinaryOp::ALL {
        for &a in &SPECIAL {
            for &b in &SPECIAL {
                bin(op, a, b);
            }
        }
    }
    // Deeper expressions fold step by step to the same value.
    let deep = |g: &mut Graph, [x, y, z]: [NodeId; 3]| {
        let s = g.unary(UnaryOp::Sin, x);
        let m = g.binary(BinaryOp::Mod, s, y);
        let a = g.binary(BinaryOp::Atan2, m, z);
        let e = g.unary(UnaryOp::Exp, a);
        let c = g.binary(BinaryOp::Compare, e, x);
        let o = g.binary(BinaryOp::Or, c, y);
        g.binary(BinaryOp::Max, o, z)
    };
    for &a in &SPECIAL {
        for &b in &[0.3f32, -2.0, INF, NAN] {
            eval_all(&deep, [a, b, 0.7]);
        }
    }
}

/// The graph rewrites `x * 1`, `x / 1`, `x - 0`, `x + (-0)`, `--x`,
/// `min(x, x)` and `max(x, x)` to `x`, `x * -1` to `-x`, `and`/`or` with a
/// constant left operand to the operand the rule picks (exact for every
/// `x`), and also `x + 0` to `x`, which differs only for `x = -0`
/// (`-0 + 0 = +0`).
#[test]
fn identity_rewrites_and_the_x_plus_zero_caveat() {
    let mut g = Graph::new();
    let x = g.var(Var::X);
    let (zero, neg_zero, one) = (g.constant(0.0), g.constant(-0.0), g.constant(1.0));
    assert_eq!(g.binary(BinaryOp::Mul, x, one), x);
    assert_eq!(g.binary(BinaryOp::Div, x, one), x);
    assert_eq!(g.binary(BinaryOp::Sub, x, zero), x);
    assert_eq!(g.binary(BinaryOp::Add, x, neg_zero), x);
    let n = g.unary(UnaryOp::Neg, x);
    assert_eq!(g.unary(UnaryOp::Neg, n), x);
    assert_eq!(g.binary(BinaryOp::Add, x, zero), x);
    assert_eq!(g.binary(BinaryOp::Add, zero, x), x);
    // The other rewrites: `x * -1`, `min(x, x)`, `max(x, x)`, and `and`/`or`
    // with a constant on the left.
    let minus_one = g.constant(-1.0);
    assert_eq!(g.binary(BinaryOp::Mul, x, minus_one), n);
    assert_eq!(g.binary(BinaryOp::Min, x, x), x);
    assert_eq!(g.binary(BinaryOp::Max, n, n), n);
    let two = g.constant(2.0);
    assert_eq!(g.binary(BinaryOp::And, neg_zero, x), neg_zero);
    assert_eq!(g.binary(BinaryOp::And, two, x), x);
    assert_eq!(g.binary(BinaryOp::Or, two, x), two);
    assert_eq!(g.binary(BinaryOp::Or, zero, x), x);
    // `x - (-0)` is `x + 0` in IEEE terms and is kept.
    assert_ne!(g.binary(BinaryOp::Sub, x, neg_zero), x);
    // The exact ones are exact for every x (IEEE arithmetic).
    for &v in &SPECIAL {
        if v.is_nan() {
            continue;
        }
        assert_bits(v * 1.0, v, "x * 1");
        assert_bits(v / 1.0, v, "x / 1");
        assert_bits(v - 0.0, v, "x - 0");
        assert_bits(v + -0.0, v, "x + (-0)");
        assert_bits(-(-v), v, "--x");
        if v.to_bits() != (-0.0f32).to_bits() {
            assert_bits(v + 0.0, v, "x + 0 for x != -0");
        }
    }
    // The caveat, through every evaluator: `x + 0` at x = -0 gives -0 (it
    // is `x`), while folding `-0 + 0` gives +0, as does `x - (-0)`.
    let plus_zero = |g: &mut Graph, [x, _, _]: [NodeId; 3]| {
        let c = g.constant(0.0);
        g.binary(BinaryOp::Add, x, c)
    };
    assert_bits(
        eval_tapes(&plus_zero, [-0.0, 0.0, 0.0]),
        -0.0,
        "x + 0 at x = -0",
    );
    let mut g = Graph::new();
    let (a, b) = (g.constant(-0.0), g.constant(0.0));
    let folded = g.binary(BinaryOp::Add, a, b);
    assert_bits(g.const_value(folded).unwrap(), 0.0, "folded -0 + 0");
    let minus_neg_zero = |g: &mut Graph, [x, _, _]: [NodeId; 3]| {
        let c = g.constant(-0.0);
        g.binary(BinaryOp::Sub, x, c)
    };
    assert_bits(
        eval_all(&minus_neg_zero, [-0.0, 0.0, 0.0]),
        0.0,
        "x - (-0) at x = -0",
    );
}

// ---------------------------------------------------------------- intervals

/// Asserts that `build` over the box `b` is the unknown interval for every
/// dispatch style, and that the point evaluator gives NaN at `p` in the box.
fn assert_unknown_over(build: Build, b: [(f32, f32); 3], p: [f32; 3]) {
    let mut g = Graph::new();
    let vars = Var::ALL.map(|v| g.var(v));
    let root = build(&mut g, vars);
    let s = Shape::from_graph(&g, root);
    let [x, y, z] = b.map(|(lo, hi)| Interval::new(lo, hi));
    assert!(
        x.contains(p[0]) && y.contains(p[1]) && z.contains(p[2]),
        "{p:?} not in the box"
    );
    assert_nan(eval_tapes(build, p), &format!("the point value at {p:?}"));
    for d in Dispatch::ALL {
        let (iv, _) = s.eval_interval_with(d, x, y, z);
        assert!(iv.is_unknown(), "{d}: {iv:?} over {b:?} should be unknown");
        assert!(iv.contains(NAN) && iv.contains(-INF) && iv.contains(12.0));
    }
}

/// When NaN is possible the result is the unknown interval (both bounds
/// NaN), which contains everything, NaN included.
#[test]
fn unknown_interval_contains_nan() {
    assert!(Interval::UNKNOWN.contains(NAN));
    assert!(Interval::UNKNOWN.contains(INF) && Interval::UNKNOWN.contains(-0.0));
    assert!(Interval::new(NAN, 1.0).is_unknown());
    assert!(!Interval::new(-INF, INF).contains(NAN));
    assert!(!Interval::new(0.0, 1.0).contains(NAN));
    let un_op = |op: UnaryOp| move |g: &mut Graph, [x, _, _]: [NodeId; 3]| g.unary(op, x);
    let bin_op = |op: BinaryOp| move |g: &mut Graph, [x, y, _]: [NodeId; 3]| g.binary(op, x, y);
    let unit = (-1.0, 1.0);
    let zero = (0.0, 0.0);
    assert_unknown_over(&un_op(UnaryOp::Sqrt), [unit, zero, zero], [-1.0, 0.0, 0.0]);
    assert_unknown_over(&un_op(UnaryOp::Ln), [unit, zero, zero], [-0.5, 0.0, 0.0]);
    assert_unknown_over(
        &un_op(UnaryOp::Asin),
        [(0.0, 2.0), zero, zero],
        [1.5, 0.0, 0.0],
    );
    assert_unknown_over(
        &un_op(UnaryOp::Acos),
        [(-3.0, 0.0), zero, zero],
        [-2.0, 0.0, 0.0],
    );
    assert_unknown_over(
        &un_op(UnaryOp::Sin),
        [(0.0, INF), zero, zero],
        [INF, 0.0, 0.0],
    );
    assert_unknown_over(&bin_op(BinaryOp::Div), [unit, unit, zero], [0.0, 0.0, 0.0]);
    assert_unknown_over(
        &bin_op(BinaryOp::Mod),
        [(1.0, 2.0), unit, zero],
        [1.5, 0.0, 0.0],
    );
    assert_unknown_over(
        &bin_op(BinaryOp::Mod),
        [(0.0, INF), (1.0, 2.0), zero],
        [INF, 1.0, 0.0],
    );
    assert_unknown_over(
        &bin_op(BinaryOp::Add),
        [(0.0, INF), (-INF, 0.0), zero],
        [INF, -INF, 0.0],
    );
    assert_unknown_over(
        &bin_op(BinaryOp::Mul),
        [(0.0, 1.0), (1.0, INF), zero],
        [0.0, INF, 0.0],
    );
    // NaN from one operand reaches through min, max, compare and `or`'s
    // NaN-is-not-zero rule.
    let through = |op: BinaryOp| {
        move |g: &mut Graph, [x, y, _]: [NodeId; 3]| {
            let s = g.unary(UnaryOp::Sqrt, x);
            g.binary(op, s, y)
        }
    };
    for op in [
        BinaryOp::Min,
        BinaryOp::Max,
        BinaryOp::Compare,
        BinaryOp::Or,
    ] {
        assert_unknown_over(&through(op), [unit, unit, zero], [-1.0, 0.5, 0.0]);
    }
}

/// Interval bounds may be infinite, and stay sound.
#[test]
fn intervals_may_have_infinite_bounds() {
    struct Case {
        src: &'static str,
        b: [(f32, f32); 3],
        lo: Option<f32>,
        hi: Option<f32>,
    }
    let case = |src, b, lo, hi| Case { src, b, lo, hi };
    let z = (0.0, 0.0);
    let cases = [
        case("exp(x)", [(0.0, 100.0), z, z], None, Some(INF)),
        case("x + y", [(1.0, 2.0), (0.0, INF), z], None, Some(INF)),
        case("x * y", [(1.0, 2.0), (-INF, -1.0), z], Some(-INF), None),
        case("1 / x", [(1.0, INF), z, z], Some(0.0), None),
        case("square(x)", [(-INF, 1.0), z, z], Some(0.0), Some(INF)),
        case("atan(x)", [(-INF, INF), z, z], None, None),
        case("tan(x)", [(1.5, 1.6), z, z], Some(-INF), Some(INF)),
        case(
            "compare(x, y)",
            [(-INF, INF), (0.0, 1.0), z],
            Some(-1.0),
            Some(1.0),
        ),
        case(
            "min(x, y)",
            [(-INF, 0.0), (1.0, INF), z],
            Some(-INF),
            Some(0.0),
        ),
        case(
            "max(x, y) - 1",
            [(-INF, 0.0), (1.0, INF), z],
            Some(0.0),
            Some(INF),
        ),
        case("abs(x)", [(-INF, -1.0), z, z], Some(1.0), Some(INF)),
        case("-x", [(-INF, INF), z, z], Some(-INF), Some(INF)),
        case("ln(x)", [(0.0, INF), z, z], Some(-INF), Some(INF)),
    ];
    for c in cases {
        let s = Shape::from_expr(c.src).unwrap();
        let [x, y, zz] = c.b.map(|(lo, hi)| Interval::new(lo, hi));
        for d in Dispatch::ALL {
            let (iv, _) = s.eval_interval_with(d, x, y, zz);
            assert!(!iv.is_unknown(), "{}: unknown over {:?}", c.src, c.b);
            if let Some(lo) = c.lo {
                assert_eq!(iv.lo(), lo, "{}: {iv:?}", c.src);
            }
            if let Some(hi) = c.hi {
                assert_eq!(iv.hi(), hi, "{}: {iv:?}", c.src);
            }
            // Sound at the corners (infinite ones included) and inside.
            for t in [0.0f32, 0.25, 0.5, 1.0] {
                let p: [f32; 3] = std::array::from_fn(|k| {
                    let (lo, hi) = c.b[k];
                    if t == 0.0 {
                        lo
                    } else if t == 1.0 {
                        hi
                    } else {
                        (lo.max(-1e30) + t * (hi.min(1e30) - lo.max(-1e30))).clamp(lo, hi)
                    }
                });
                let v = s.eval_point_with(d, p[0], p[1], p[2]);
                assert!(iv.contains(v), "{}: {v:?} at {p:?} not in {iv:?}", c.src);
            }
        }
    }
    // atan stays within its range over the whole line.
    let s = Shape::from_expr("atan(x)").unwrap();
    let iv = s.eval_interval(
        Interval::new(-INF, INF),
        Interval::point(0.0),
        Interval::point(0.0),
    );
    assert!(
        iv.lo() >= -2.0 && iv.hi() <= 2.0 && iv.contains(libm::atanf(INF)),
        "{iv:?}"
    );
}

// ---------------------------------------------------------------- grids

/// Results are bit-identical across dispatch styles and thread counts.
#[test]
fn grids_are_bit_identical_across_dispatch_and_threads() {
    let s = Shape::from_expr("mod(atan2(y, x) * 3, 1) - sqrt(x*x + y*y) + sin(7 * x) / (y - 0.1)")
        .unwrap();
    let grid = Grid2::square(48);
    let mut reference: Option<Vec<u32>> = None;
    for dispatch in Dispatch::ALL {
        for threads in [1, 2, 3] {
            for prune in [false, true] {
                let opts = EvalOptions {
                    dispatch,
                    threads,
                    prune,
                    tile_sizes: vec![32, 16, 16],
                    ..Default::default()
                };
                let v: Vec<u32> = s
                    .eval_grid(&grid, &opts)
                    .unwrap()
                    .into_iter()
                    .map(f32::to_bits)
                    .collect();
                match &reference {
                    None => reference = Some(v),
                    Some(r) => assert!(r == &v, "{dispatch}, {threads} threads, prune {prune}"),
                }
            }
        }
    }
    // And equal to point evaluation.
    let r = reference.unwrap();
    for j in (0..48).step_by(7) {
        for i in (0..48).step_by(5) {
            let want = s.eval_point(grid.x(i), grid.y(j), 0.0);
            assert_bits(f32::from_bits(r[j * 48 + i]), want, "grid pixel");
        }
    }
}

/// The slice evaluator's `exp`, `ln`, `sin` and `cos` (vectorised `libm`
/// algorithms) give exactly `libm`'s bits, lane by lane: on a spread of bit
/// patterns over the whole f32 range and on every boundary of the
/// algorithms' cases.
/// `TAPIR_EXHAUSTIVE=1` checks all 2³² inputs (run it with `--release`).
#[test]
fn slice_exp_ln_sin_cos_are_libm_bit_for_bit() {
    use tapir::eval::Value;
    type F = fn(Lanes<16>) -> Lanes<16>;
    type Libm = fn(f32) -> f32;
    let functions: [(&str, F, Libm); 4] = [
        ("exp", Value::exp, libm::expf),
        ("ln", Value::ln, libm::logf),
        ("sin", Value::sin, libm::sinf),
        ("cos", Value::cos, libm::cosf),
    ];
    let check = |inputs: &[f32]| {
        for chunk in inputs.chunks(16) {
            let mut l = Lanes::<16>([0.0; 16]);
            l.0[..chunk.len()].copy_from_slice(chunk);
            for (name, lanes, scalar) in functions {
                let got = lanes(l);
                for (k, &x) in chunk.iter().enumerate() {
                    let want = scalar(x);
                    assert!(
                        got.0[k].to_bits() == want.to_bits()
                            || (got.0[k].is_nan() && want.is_nan()),
                        "{name}({x:e}) [{:#x}]: {} vs libm {want}",
                        x.to_bits(),
                        got.0[k],
                    );
                }
            }
        }
    };
    // The thresholds of both algorithms, each with its neighbours.
    let edges: [u32; 12] = [
        0x42aeac50,
        0x42b17218,
        0x42cff1b5,
        0x3eb17218,
        0x3f851592,
        0x39000000,
        0x0080_0000,
        0x7f80_0000,
        0x3f80_0000,
        0x3f35_04f3,
        0x0000_0001,
        0x7f7f_ffff,
    ];
    let mut inputs = Vec::new();
    for e in edges {
        for d in -3i64..=3 {
            for sign in [0u32, 0x8000_0000] {
                let b = (i64::from(e) + d).clamp(0, 0x7fff_ffff) as u32 | sign;
                inputs.push(f32::from_bits(b));
            }
        }
    }
    inputs.extend([
        0.0,
        -0.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        1.0,
        -1.0,
        88.7,
        -103.9,
    ]);
    // Where exp's reduction changes k (x near (k ± 1/2)·ln 2), a few ulps
    // either side.
    for k in -151i32..=129 {
        let x = ((f64::from(k) + 0.5) * std::f64::consts::LN_2) as f32;
        for d in -40i32..=40 {
            inputs.push(f32::from_bits(x.to_bits().wrapping_add_signed(d)));
        }
    }
    // Where sin and cos change quadrant (x near (k + 1/2)·π/2), for small
    // and large k.
    for k in (-2000i32..=2000).chain([1 << 20, 1 << 26, -(1 << 27)]) {
        let x = ((f64::from(k) + 0.5) * std::f64::consts::FRAC_PI_2) as f32;
        for d in -20i32..=20 {
            inputs.push(f32::from_bits(x.to_bits().wrapping_add_signed(d)));
        }
    }
    check(&inputs);
    let exhaustive = std::env::var_os("TAPIR_EXHAUSTIVE").is_some();
    let step: usize = if exhaustive { 1 } else { 4099 };
    let mut batch = Vec::with_capacity(1 << 16);
    for b in (0..=u32::MAX).step_by(step) {
        batch.push(f32::from_bits(b));
        if batch.len() == batch.capacity() {
            check(&batch);
            batch.clear();
        }
    }
    check(&batch);
}
