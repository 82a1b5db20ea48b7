//! Every dispatch style and every evaluator agrees with the reference
//! semantics, bit for bit, on thousands of random tapes (with and without
//! spills).

mod common;

use common::{Recipe, check, recipe, same, special_f32};
use proptest::prelude::*;
use tapir::eval::{Choice, Interval, Lanes};
use tapir::graph::{Graph, NodeId, Var};
use tapir::interp::{Dispatch, Machine};
use tapir::ops::{BinaryOp, UnaryOp};
use tapir::{Shape, tape::REGISTER_COUNT};

fn points() -> impl Strategy<Value = Vec<[f32; 3]>> {
    prop::collection::vec([special_f32(), special_f32(), special_f32()], 4..8)
}

/// Point evaluation of the tape (every dispatch, with and without spills)
/// equals the graph's own evaluation, bit for bit.
#[test]
fn point_dispatch_matches_reference() {
    check(
        "point",
        3000,
        (recipe(40, true), points(), 2usize..6),
        |(r, pts, limit): (Recipe, _, usize)| {
            let (g, root) = r.build();
            let full = Shape::from_graph(&g, root);
            let tight = Shape::from_graph_with_register_limit(&g, root, limit);
            for p in &pts {
                let want = g.eval(root, *p);
                for d in Dispatch::ALL {
                    for s in [&full, &tight] {
                        let got = s.eval_point_with(d, p[0], p[1], p[2]);
                        prop_assert!(
                            got.to_bits() == want.to_bits(),
                            "{d} at {p:?}: {got} != {want} (limit {limit}, {} insns)",
                            s.len()
                        );
                    }
                }
            }
            Ok(())
        },
    );
}

/// The slice evaluator gives, lane by lane, the point evaluator's values.
#[test]
fn slice_dispatch_matches_points() {
    check(
        "slice",
        800,
        (recipe(40, true), prop::collection::vec(special_f32(), 48)),
        |(r, v): (Recipe, Vec<f32>)| {
            let (g, root) = r.build();
            let shape = Shape::from_graph_with_register_limit(&g, root, 4);
            let mut xs = Lanes([0.0; 16]);
            let mut ys = Lanes([0.0; 16]);
            let mut zs = Lanes([0.0; 16]);
            for k in 0..16 {
                (xs.0[k], ys.0[k], zs.0[k]) = (v[k], v[16 + k], v[32 + k]);
            }
            let mut m = Machine::<Lanes<16>>::new();
            m.set_params(shape.param_values());
            let results: Vec<_> = Dispatch::ALL
                .iter()
                .map(|&d| m.run(d, shape.reg_tape(), [xs, ys, zs], &mut []))
                .collect();
            for k in 0..16 {
                let want = shape.eval_point(xs.0[k], ys.0[k], zs.0[k]);
                for (d, got) in Dispatch::ALL.iter().zip(&results) {
                    prop_assert!(same(got.0[k], want), "{d} lane {k}: {} != {want}", got.0[k]);
                }
            }
            prop_assert_eq!(
                results[0].0.map(f32::to_bits),
                results[1].0.map(f32::to_bits)
            );
            prop_assert_eq!(
                results[0].0.map(f32::to_bits),
                results[2].0.map(f32::to_bits)
            );
            Ok(())
        },
    );
}

/// Interval evaluation: every dispatch style gives the same bounds and the
/// same choices.
#[test]
fn interval_dispatch_agrees() {
    let bound = (-3.0f32..3.0, 0.0f32..2.0);
    check(
        "interval",
        1500,
        (recipe(40, true), [bound.clone(), bound.clone(), bound]),
        |(r, b): (Recipe, _)| {
            let (g, root) = r.build();
            let shape = Shape::from_graph_with_register_limit(&g, root, 3);
            let iv = b.map(|(lo, w): (f32, f32)| Interval::new(lo, lo + w));
            let mut m = Machine::<Interval>::new();
            m.set_params(shape.param_values());
            let mut outs = vec![];
            for d in Dispatch::ALL {
                let mut ch = vec![Choice::Both; shape.reg_tape().choice_count()];
                let v = m.run(d, shape.reg_tape(), iv, &mut ch);
                outs.push((v.lo().to_bits(), v.hi().to_bits(), ch));
            }
            prop_assert_eq!(&outs[0], &outs[1]);
            prop_assert_eq!(&outs[0], &outs[2]);
            Ok(())
        },
    );
}

/// Gradient evaluation: the value part equals the point evaluator, and
/// every dispatch style agrees.
#[test]
fn grad_dispatch_agrees() {
    use tapir::eval::{GRAD_LANES, Grad, GradSlice, Lanes};
    check(
        "grad",
        800,
        (recipe(30, true), points()),
        |(r, pts): (Recipe, Vec<[f32; 3]>)| {
            let (g, root) = r.build();
            let shape = Shape::from_graph_with_register_limit(&g, root, 3);
            let mut m = Machine::<Grad>::new();
            m.set_params(shape.param_values());
            for p in &pts {
                let vars = [Grad::var(p[0], 0), Grad::var(p[1], 1), Grad::var(p[2], 2)];
                let outs: Vec<Grad> = Dispatch::ALL
                    .iter()
                    .map(|&d| m.run(d, shape.reg_tape(), vars, &mut []))
                    .collect();
                let want = shape.eval_point(p[0], p[1], p[2]);
                prop_assert!(same(outs[0].v, want), "grad value {} != {want}", outs[0].v);
                for o in &outs[1..] {
                    prop_assert_eq!(o.to_bits(), outs[0].to_bits());
                }
            }
            // Sliced gradients: lane k is bit for bit the gradient of point k,
            // for every dispatch style (points cycled to fill the lanes).
            let lanes = |axis: usize| Lanes(std::array::from_fn(|k| pts[k % pts.len()][axis]));
            let vars = [0, 1, 2].map(|a| GradSlice::var(lanes(a), a));
            let mut sm = Machine::<GradSlice>::new();
            sm.set_params(shape.param_values());
            for d in Dispatch::ALL {
                let out = sm.run(d, shape.reg_tape(), vars, &mut []);
                for k in 0..GRAD_LANES {
                    let p = pts[k % pts.len()];
                    let vars = [Grad::var(p[0], 0), Grad::var(p[1], 1), Grad::var(p[2], 2)];
                    let one = m.run(Dispatch::Match, shape.reg_tape(), vars, &mut []);
                    prop_assert_eq!(out.lane(k).to_bits(), one.to_bits(), "lane {} ({})", k, d);
                }
            }
            Ok(())
        },
    );
}

/// A tape that keeps more than 256 values alive at once spills to memory and
/// still evaluates exactly.
#[test]
fn more_live_values_than_registers() {
    let mut g = Graph::new();
    let (x, y) = (g.var(Var::X), g.var(Var::Y));
    let mut terms: Vec<NodeId> = Vec::new();
    for i in 0..400 {
        let c = g.constant(i as f32 * 0.01);
        let t = g.binary(BinaryOp::Add, x, c);
        let s = g.unary(UnaryOp::Sin, t);
        terms.push(g.binary(BinaryOp::Mul, s, y));
    }
    // All 400 terms are made before the first sum, so all are live at once.
    let root = terms
        .iter()
        .copied()
        .reduce(|a, b| g.binary(BinaryOp::Add, a, b))
        .unwrap();
    let shape = Shape::from_graph(&g, root);
    assert!(shape.reg_tape().mem_slots() > 0, "expected spills");
    assert!(shape.reg_tape().registers_used() <= REGISTER_COUNT);
    for &(px, py) in &[(0.3f32, 0.7f32), (-1.5, 2.0), (0.0, 1.0)] {
        let want = g.eval(root, [px, py, 0.0]);
        for d in Dispatch::ALL {
            assert_eq!(
                shape.eval_point_with(d, px, py, 0.0).to_bits(),
                want.to_bits(),
                "{d}"
            );
        }
    }
    // Intervals through the spill path contain the points.
    let i = shape.eval_interval(
        Interval::new(0.25, 0.35),
        Interval::new(0.6, 0.8),
        Interval::point(0.0),
    );
    assert!(i.contains(shape.eval_point(0.3, 0.7, 0.0)), "{i:?}");
}

/// Folding constants and evaluating agree (folding uses the same rules).
#[test]
fn constant_shapes() {
    let mut g = Graph::new();
    let c = g.constant(2.5);
    let s = Shape::from_graph(&g, c);
    assert_eq!(s.eval_point(9.0, 9.0, 9.0), 2.5);
    let x = g.var(Var::X);
    let s = Shape::from_graph(&g, x);
    assert_eq!(s.eval_point(-7.0, 0.0, 0.0), -7.0);
}
