//! Interval arithmetic is sound, pruned tapes are exact in their region,
//! and pruned renders are pixel-identical to brute force.

mod common;

use common::{Csg, Recipe, check, csg, prospero, recipe, same};
use proptest::prelude::*;
use tapir::Shape;
use tapir::eval::{Interval, Value};
use tapir::render::{EvalOptions, Grid2};

/// A box given as (lo, width) per axis, and sample positions in it (0..=1).
fn region() -> impl Strategy<Value = ([(f32, f32); 3], Vec<[f32; 3]>)> {
    let axis = (
        -4.0f32..4.0,
        prop_oneof![Just(0.0f32), 0.0f32..0.01, 0.0f32..3.0],
    );
    let t = prop_oneof![Just(0.0f32), Just(1.0f32), 0.0f32..=1.0];
    (
        [axis.clone(), axis.clone(), axis],
        prop::collection::vec([t.clone(), t.clone(), t], 6..12),
    )
}

fn boxed(b: [(f32, f32); 3]) -> [Interval; 3] {
    b.map(|(lo, w)| Interval::new(lo, lo + w))
}

fn at(b: [(f32, f32); 3], t: [f32; 3]) -> [f32; 3] {
    // A point of the box: interpolate, then clamp against rounding.
    std::array::from_fn(|k| (b[k].0 + t[k] * b[k].1).clamp(b[k].0, b[k].0 + b[k].1))
}

/// Every point value lies in the interval of a box containing the point.
#[test]
fn intervals_contain_point_samples() {
    check(
        "interval soundness",
        4000,
        (recipe(30, true), region()),
        |(r, (b, ts)): (Recipe, _)| {
            let (g, root) = r.build();
            let shape = Shape::from_graph(&g, root);
            let [x, y, z] = boxed(b);
            let i = shape.eval_interval(x, y, z);
            for t in ts {
                let p = at(b, t);
                let v = shape.eval_point(p[0], p[1], p[2]);
                prop_assert!(i.contains(v), "{v} at {p:?} not in {i:?} over {b:?}");
            }
            Ok(())
        },
    );
}

/// Each operation alone, on random intervals including infinite ends.
#[test]
fn each_operation_is_sound() {
    use tapir::ops::{BinaryOp, UnaryOp};
    let end = prop_oneof![8 => -5.0f32..5.0, 1 => Just(0.0f32), 1 => Just(f32::INFINITY), 1 => Just(f32::NEG_INFINITY), 1 => -1.0f32..1.0];
    let iv = (end.clone(), end).prop_map(|(a, b)| if a <= b { (a, b) } else { (b, a) });
    check(
        "ops",
        20000,
        (0usize..64, iv.clone(), iv, 0.0f32..=1.0, 0.0f32..=1.0),
        |(k, a, b, s, t)| {
            let (ia, ib) = (Interval::new(a.0, a.1), Interval::new(b.0, b.1));
            let pick = |(lo, hi): (f32, f32), t: f32| {
                let v = (lo + t * (hi - lo)).clamp(lo, hi);
                if t == 0.0 || v.is_nan() {
                    lo
                } else if t == 1.0 {
                    hi
                } else {
                    v
                }
            };
            let (pa, pb) = (pick(a, s), pick(b, t));
            for (pa, pb) in [(pa, pb), (a.0, b.0), (a.1, b.1), (a.0, b.1), (a.1, b.0)] {
                let (want, got) = if k < UnaryOp::ALL.len() {
                    let op = UnaryOp::ALL[k];
                    (
                        tapir::eval::apply_unary(op, pa),
                        tapir::eval::apply_unary(op, ia),
                    )
                } else {
                    let op = BinaryOp::ALL[k % BinaryOp::ALL.len()];
                    (
                        tapir::eval::apply_binary(op, pa, pb),
                        tapir::eval::apply_binary(op, ia, ib),
                    )
                };
                prop_assert!(
                    got.contains(want),
                    "op {k}: {want} from ({pa}, {pb}) not in {got:?} from {a:?} {b:?}"
                );
            }
            Ok(())
        },
    );
}

/// A tape simplified for a box gives exactly the full tape's value at every
/// point of the box.
#[test]
fn simplified_tapes_are_exact_in_their_region() {
    check(
        "simplify",
        3000,
        (recipe(40, true), region()),
        |(r, (b, ts)): (Recipe, _)| {
            let (g, root) = r.build();
            let shape = Shape::from_graph(&g, root);
            let [x, y, z] = boxed(b);
            let small = shape.simplify(x, y, z);
            prop_assert!(small.len() <= shape.len() + shape.reg_tape().choice_count());
            for t in ts {
                let p = at(b, t);
                let (want, got) = (
                    shape.eval_point(p[0], p[1], p[2]),
                    small.eval_point(p[0], p[1], p[2]),
                );
                prop_assert!(got.to_bits() == want.to_bits(), "{got} != {want} at {p:?}");
            }
            Ok(())
        },
    );
}

/// Pruned and brute-force renders of random CSG shapes agree on every
/// pixel, values and masks, for any thread count.
#[test]
fn pruned_renders_match_brute_force() {
    check("csg", 60, csg(12), |c: Csg| {
        let (g, root) = c.build();
        let shape = Shape::from_graph(&g, root);
        let grid = Grid2::square(96);
        let brute = EvalOptions {
            prune: false,
            threads: 1,
            ..Default::default()
        };
        let pruned = EvalOptions {
            tile_sizes: vec![32, 16, 4, 4],
            threads: 2,
            ..Default::default()
        };
        let a = shape.eval_grid(&grid, &brute).unwrap();
        let b = shape.eval_grid(&grid, &pruned).unwrap();
        prop_assert!(a.iter().zip(&b).all(|(p, q)| same(*p, *q)));
        let ma = shape.render_mask(&grid, &brute).unwrap();
        let mb = shape.render_mask(&grid, &pruned).unwrap();
        prop_assert_eq!(&ma, &mb);
        prop_assert_eq!(ma, a.iter().map(|v| *v < 0.0).collect::<Vec<_>>());
        Ok(())
    });
}

/// The Prospero challenge: exactly 132,816 inside pixels at 1024², the same
/// for every dispatch style and thread count, pruned or not (brute force
/// only on a window, to keep the debug test quick).
#[test]
fn prospero_inside_count() {
    let Some(src) = prospero() else { return };
    let shape = Shape::from_vm(&src).unwrap();
    let grid = Grid2::square(1024);
    let mut reference = None;
    for dispatch in tapir::Dispatch::ALL {
        for threads in [1, 2] {
            let opts = EvalOptions {
                dispatch,
                threads,
                ..Default::default()
            };
            let mask = shape.render_mask(&grid, &opts).unwrap();
            assert_eq!(
                mask.iter().filter(|m| **m).count(),
                132_816,
                "{dispatch} {threads} threads"
            );
            match &reference {
                None => reference = Some(mask),
                Some(r) => assert!(r == &mask, "{dispatch}, {threads} threads differ"),
            }
        }
    }
    let window = grid.crop(448, 448, 64, 64).unwrap();
    let brute = shape
        .eval_grid(
            &window,
            &EvalOptions {
                prune: false,
                ..Default::default()
            },
        )
        .unwrap();
    let pruned = shape.eval_grid(&window, &EvalOptions::default()).unwrap();
    assert!(
        brute
            .iter()
            .zip(&pruned)
            .all(|(a, b)| a.to_bits() == b.to_bits())
    );
    let r = reference.unwrap();
    for j in 0..64 {
        for i in 0..64 {
            assert_eq!(brute[j * 64 + i] < 0.0, r[(448 + j) * 1024 + 448 + i]);
        }
    }
}

#[test]
fn unknown_contains_nan() {
    assert!(Interval::UNKNOWN.contains(f32::NAN));
    assert!(!Interval::new(0.0, 1.0).contains(f32::NAN));
    assert!(Interval::new(-1.0, 1.0).sqrt().is_unknown());
    assert!(
        Interval::new(-0.0, 4.0)
            .sqrt()
            .contains(Value::sqrt(-0.0f32))
    );
}
