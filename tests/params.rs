//! Parameters (`param NAME = DEFAULT in [LO, HI];`) through every evaluator
//! and dispatch style: a shape with a parameter set to a value gives, bit
//! for bit, what the same shape gives with the value written as a constant
//! (for values and shapes where constant folding cannot change a result);
//! pruning with parameters equals brute force; new values need no new tape.

use tapir::Shape;
use tapir::eval::{Choice, Grad, GradSlice, Interval, Lanes};
use tapir::interp::{Dispatch, Machine};
use tapir::ops::Op;
use tapir::render::{EvalOptions, Frame3d, Grid2, Grid3, RenderStats, View};
use tapir::tape::{Insn, RegTape};

/// Shapes with parameters, and values to try (none 0 or ±1, so that folding
/// the constant version cannot apply an identity such as `x + 0`). The last
/// two compute sines and cosines of parameters: an interval of the sine of a
/// point is not always a point, so their interval bounds may be wider than
/// with the folded constant (but are still sound).
const EXACT_INTERVALS: usize = 3;
/// Value sets: each a list of (name, value).
type Sets = &'static [&'static [(&'static str, f32)]];
const CASES: [(&str, Sets); 5] = [
    (
        "param r = 0.5 in [0.1, 0.9];\nsqrt(x * x + y * y) - r",
        &[&[("r", 0.3)], &[("r", 0.77)]],
    ),
    (
        "param r = 0.6 in [0.2, 0.9];\nparam k = 0.15 in [0.05, 0.4];\n\
         smooth_union(circle(r), translate(box2(r / 2, 0.3), 0.4, 0.1), k)",
        &[&[("r", 0.45), ("k", 0.3)], &[("k", 0.07)]],
    ),
    (
        "param teeth = 12 in [6, 24];\nparam depth = 0.1 in [0.03, 0.2];\n\
         let tooth = translate(box2(depth, 0.05), 0.6, 0);\n\
         difference(union(circle(0.6), repeat_polar(tooth, teeth)), circle(0.2))",
        &[&[("teeth", 9.0)], &[("teeth", 17.0), ("depth", 0.15)]],
    ),
    (
        "param a = 0.7 in [0.2, 1.5];\nparam t = 0.35 in [0.1, 0.6];\n\
         rotate_y(rotate_x(intersection(sphere(0.8), rounded_box(t, t + 0.2, 0.5, 0.05)), a), a / 2)",
        &[&[("a", 0.4), ("t", 0.5)], &[("a", 1.2)]],
    ),
    (
        "param r = 0.3 in [0.1, 0.6];\nparam s = 2.5 in [1.5, 4];\n\
         min(torus(0.5, r / 3), max(abs(sin(x * s) * cos(y * s)) / s - 0.02, sphere(0.9)))",
        &[&[("r", 0.55), ("s", 3.25)], &[("s", 1.75)]],
    ),
];

/// The program with each `param NAME = ... ;` replaced by `let NAME = V;`.
fn with_constants(src: &str, shape: &Shape) -> String {
    src.lines()
        .map(|line| match line.strip_prefix("param ") {
            Some(rest) => {
                let name = rest.split_whitespace().next().unwrap();
                let k = shape.params().iter().position(|p| p.name == name).unwrap();
                format!("let {name} = {};", shape.param_values()[k])
            }
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Each case at each of its value sets: (shape with parameters set, the
/// same with constants).
fn pairs() -> Vec<(Shape, Shape, String, bool)> {
    let mut out = Vec::new();
    for (n, (src, sets)) in CASES.into_iter().enumerate() {
        let base = Shape::from_expr(src).unwrap_or_else(|e| panic!("{}", e.render(src)));
        for set in sets {
            let mut s = base.clone();
            for &(name, v) in *set {
                s = s.with_param(name, v).unwrap();
            }
            let konst = with_constants(src, &s);
            let c = Shape::from_expr(&konst).unwrap_or_else(|e| panic!("{}", e.render(&konst)));
            assert_eq!(c.reg_tape().param_count(), 0);
            out.push((s, c, format!("{src} with {set:?}"), n < EXACT_INTERVALS));
        }
    }
    out
}

fn points() -> Vec<[f32; 3]> {
    let mut v = Vec::new();
    for i in 0..7 {
        for j in 0..7 {
            let (x, y) = (-0.95 + 0.31 * i as f32, -0.93 + 0.3 * j as f32);
            v.push([x, y, 0.05 * (i as f32 - j as f32)]);
        }
    }
    v
}

#[test]
fn points_slices_and_gradients_match_constants() {
    let pts = points();
    for (s, c, what, _) in pairs() {
        for d in Dispatch::ALL {
            for p in &pts {
                let (a, b) = (
                    s.eval_point_with(d, p[0], p[1], p[2]),
                    c.eval_point_with(d, p[0], p[1], p[2]),
                );
                assert_eq!(
                    a.to_bits(),
                    b.to_bits(),
                    "{what}, {d}, point {p:?}: {a} vs {b}"
                );
            }
        }
        // Slices and gradients through machines of their own.
        let lanes = |axis: usize, k0: usize| {
            Lanes(std::array::from_fn(|k| pts[(k0 + k) % pts.len()][axis]))
        };
        let mut ms = Machine::<Lanes<16>>::new();
        let mut mc = Machine::<Lanes<16>>::new();
        ms.set_params(s.param_values());
        let mut gs = Machine::<Grad>::new();
        let mut gc = Machine::<Grad>::new();
        gs.set_params(s.param_values());
        let mut ss = Machine::<GradSlice>::new();
        let mut sc = Machine::<GradSlice>::new();
        ss.set_params(s.param_values());
        for d in Dispatch::ALL {
            for k0 in [0, 16, 33] {
                let xyz = [0, 1, 2].map(|a| lanes(a, k0));
                let (a, b) = (
                    ms.run(d, s.reg_tape(), xyz, &mut []),
                    mc.run(d, c.reg_tape(), xyz, &mut []),
                );
                assert_eq!(
                    a.0.map(f32::to_bits),
                    b.0.map(f32::to_bits),
                    "{what}, {d}, slice"
                );
                let gxyz = [0, 1, 2].map(|a| GradSlice::var(lanes(a, k0), a));
                let (a, b) = (
                    ss.run(d, s.reg_tape(), gxyz, &mut []),
                    sc.run(d, c.reg_tape(), gxyz, &mut []),
                );
                for k in 0..tapir::eval::GRAD_LANES {
                    assert_eq!(
                        a.lane(k).to_bits(),
                        b.lane(k).to_bits(),
                        "{what}, {d}, grad slice"
                    );
                }
            }
            for p in &pts {
                let vars = [0, 1, 2].map(|a| Grad::var(p[a], a));
                let (a, b) = (
                    gs.run(d, s.reg_tape(), vars, &mut []),
                    gc.run(d, c.reg_tape(), vars, &mut []),
                );
                assert_eq!(a.to_bits(), b.to_bits(), "{what}, {d}, gradient at {p:?}");
            }
        }
    }
}

#[test]
fn intervals_and_pruning_match_constants() {
    let boxes = [
        [
            Interval::new(-1.0, 1.0),
            Interval::new(-1.0, 1.0),
            Interval::point(0.0),
        ],
        [
            Interval::new(0.2, 0.45),
            Interval::new(-0.1, 0.15),
            Interval::new(-0.2, 0.1),
        ],
        [
            Interval::new(-0.9, -0.6),
            Interval::new(0.5, 0.95),
            Interval::point(0.3),
        ],
    ];
    let pts = points();
    for (s, c, what, exact) in pairs() {
        let mut ms = Machine::<Interval>::new();
        let mut mc = Machine::<Interval>::new();
        ms.set_params(s.param_values());
        for d in Dispatch::ALL {
            for b in &boxes {
                let mut chs = vec![Choice::Both; s.reg_tape().choice_count()];
                let mut chc = vec![Choice::Both; c.reg_tape().choice_count()];
                let (a, v) = (
                    ms.run(d, s.reg_tape(), *b, &mut chs),
                    mc.run(d, c.reg_tape(), *b, &mut chc),
                );
                if exact {
                    assert_eq!(
                        (a.lo().to_bits(), a.hi().to_bits()),
                        (v.lo().to_bits(), v.hi().to_bits()),
                        "{what}, {d}: interval over {b:?}"
                    );
                    assert_eq!(chs, chc, "{what}, {d}: choices over {b:?}");
                } else {
                    assert!(
                        a.lo() <= v.lo() && v.hi() <= a.hi(),
                        "{what}: {a:?} within {v:?}"
                    );
                }
                for p in pts.iter().filter(|p| (0..3).all(|k| b[k].contains(p[k]))) {
                    assert!(
                        a.contains(s.eval_point(p[0], p[1], p[2])),
                        "{what}: sound at {p:?}"
                    );
                }
                // Through the shape: the same bounds, and the pruned shape
                // keeps the parameter values and equals the whole one inside.
                assert_eq!(s.eval_interval_with(d, b[0], b[1], b[2]).1, chs);
                let pruned = s.simplify(b[0], b[1], b[2]);
                assert_eq!(pruned.param_values(), s.param_values());
                for p in pts.iter().filter(|p| (0..3).all(|k| b[k].contains(p[k]))) {
                    let (u, w) = (
                        pruned.eval_point(p[0], p[1], p[2]),
                        s.eval_point(p[0], p[1], p[2]),
                    );
                    assert_eq!(u.to_bits(), w.to_bits(), "{what}: pruned at {p:?}");
                }
            }
        }
    }
}

#[test]
fn grids_voxels_and_3d_match_constants() {
    let grid = Grid2::square(48);
    let voxels = Grid3::cube(16);
    for (s, c, what, _) in pairs() {
        for prune in [true, false] {
            for d in Dispatch::ALL {
                let opts = EvalOptions {
                    prune,
                    dispatch: d,
                    z: 0.1,
                    tile_sizes: vec![16, 8],
                    ..EvalOptions::default()
                };
                let (a, b) = (
                    s.eval_grid(&grid, &opts).unwrap(),
                    c.eval_grid(&grid, &opts).unwrap(),
                );
                assert_eq!(bits(&a), bits(&b), "{what}: grid, prune {prune}, {d}");
                assert_eq!(
                    s.render_mask(&grid, &opts).unwrap(),
                    c.render_mask(&grid, &opts).unwrap(),
                    "{what}: mask"
                );
                let (a, b) = (
                    s.eval_voxels(&voxels, &opts).unwrap(),
                    c.eval_voxels(&voxels, &opts).unwrap(),
                );
                assert_eq!(bits(&a), bits(&b), "{what}: voxels, prune {prune}, {d}");
            }
        }
        let frame = Frame3d {
            view: View {
                yaw: 30.0,
                pitch: 20.0,
                ..View::default()
            },
            ..Frame3d::square(32)
        };
        let opts = EvalOptions::default();
        let (a, b) = (
            s.render3d(&frame, &opts).unwrap(),
            c.render3d(&frame, &opts).unwrap(),
        );
        assert_eq!(bits(&a.hits), bits(&b.hits), "{what}: 3D hits");
        assert_eq!(a.normals, b.normals, "{what}: 3D normals");
    }
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Values set in the evaluation options, over the shape's own: the same
/// result as setting them on the shape, pruning equal to brute force, and
/// pruning still pruning.
#[test]
fn options_set_values_and_pruning_still_works() {
    let src = "param r = 0.3 in [0.1, 0.5];\nparam n = 6 in [3, 12];\n\
               let petal = translate(circle(r / 2), 0.6, 0);\n\
               union(circle(r), repeat_polar(petal, n))";
    let shape = Shape::from_expr(src).unwrap();
    let grid = Grid2::square(128);
    let set = vec![("r".to_string(), 0.45), ("n".to_string(), 9.0)];
    let stats = std::sync::Arc::new(RenderStats::default());
    let pruned = EvalOptions {
        params: set.clone(),
        stats: Some(stats.clone()),
        ..EvalOptions::default()
    };
    let brute = EvalOptions {
        prune: false,
        params: set.clone(),
        ..EvalOptions::default()
    };
    let a = shape.eval_grid(&grid, &pruned).unwrap();
    let b = shape.eval_grid(&grid, &brute).unwrap();
    assert_eq!(bits(&a), bits(&b), "pruned = brute force with parameters");
    let [_, _, calls, ..] = stats.snapshot();
    assert!(calls > 0, "tiles were pruned");
    let on_shape = shape
        .with_param("r", 0.45)
        .unwrap()
        .with_param("n", 9.0)
        .unwrap();
    let c = on_shape.eval_grid(&grid, &EvalOptions::default()).unwrap();
    assert_eq!(bits(&a), bits(&c));
    // The picture changed as it should: at the defaults, a disc of radius
    // 0.3 and six separate petals of radius 0.15; with the values, nine
    // overlapping petals of radius 0.225 around a disc of radius 0.45, the
    // same pixels as the program with those numbers written in.
    let count = |v: &[f32]| v.iter().filter(|v| **v < 0.0).count();
    let area = |v: &[f32]| count(v) as f64 / v.len() as f64 * 4.0;
    let before = area(&shape.eval_grid(&grid, &EvalOptions::default()).unwrap());
    let pi = std::f64::consts::PI;
    assert!(
        (before - pi * (0.09 + 6.0 * 0.0225)).abs() < 0.03,
        "{before}"
    );
    let konst = Shape::from_expr(
        &src.replace("param r = 0.3 in [0.1, 0.5]", "let r = 0.45")
            .replace("param n = 6 in [3, 12]", "let n = 9"),
    )
    .unwrap();
    assert_eq!(
        count(&a),
        count(&konst.eval_grid(&grid, &EvalOptions::default()).unwrap())
    );
    let after = area(&a);
    assert!(
        after > pi * 0.2025 + 0.3 && after < pi * (0.2025 + 9.0 * 0.050625),
        "{after}"
    );
    // Bad values are refused by every evaluator, before any work.
    for (name, v, needle) in [
        ("r", 0.6, "outside the range of parameter `r`: [0.1, 0.5]"),
        ("n", 2.0, "[3, 12]"),
        (
            "m",
            5.0,
            "unknown parameter `m`; did you mean `n`? (the parameters are: r, n)",
        ),
    ] {
        let opts = EvalOptions {
            params: vec![(name.to_string(), v)],
            ..EvalOptions::default()
        };
        let msgs = [
            shape.eval_grid(&grid, &opts).unwrap_err().to_string(),
            shape
                .eval_voxels(&Grid3::cube(4), &opts)
                .unwrap_err()
                .to_string(),
            shape
                .render3d(&Frame3d::square(4), &opts)
                .unwrap_err()
                .to_string(),
            shape.with_param(name, v).unwrap_err().to_string(),
        ];
        for m in msgs {
            assert!(m.contains(needle), "{m}");
        }
    }
}

/// Changing a value needs no new tape: the shape with another value shares
/// the compiled tape, and a machine runs the same tape with new values.
#[test]
fn new_values_reuse_the_tape() {
    let shape = Shape::from_expr("param r = 0.5 in [0, 2];\nx - r").unwrap();
    let other = shape.with_param("r", 1.5).unwrap();
    assert!(std::ptr::eq(shape.tape(), other.tape()));
    assert_eq!(shape.reg_tape().id(), other.reg_tape().id());
    let mut m = Machine::<f32>::new();
    let tape = shape.reg_tape();
    for v in [0.0f32, 0.25, 1.75] {
        m.set_params(&[v]);
        assert_eq!(
            m.run(Dispatch::TailCall, tape, [1.0, 0.0, 0.0], &mut []),
            1.0 - v
        );
    }
    // Intervals see a parameter as the point interval at its value.
    let mut mi = Machine::<Interval>::new();
    mi.set_params(&[0.25]);
    let v = mi.run(
        Dispatch::Match,
        tape,
        [
            Interval::new(1.0, 2.0),
            Interval::point(0.0),
            Interval::point(0.0),
        ],
        &mut [],
    );
    assert_eq!((v.lo(), v.hi()), (0.75, 1.75));
    // Values not given read as NaN.
    let mut fresh = Machine::<f32>::new();
    assert!(
        fresh
            .run(Dispatch::Trampoline, tape, [1.0, 0.0, 0.0], &mut [])
            .is_nan()
    );
}

/// The register tape checks its inputs: parameters up to the limit, and it
/// knows how many it reads.
#[test]
fn tapes_validate_parameter_inputs() {
    let input = |k: u32| Insn::new(Op::Input, 0, 0, 0, k);
    let out = Insn::new(Op::Output, 0, 0, 0, 0);
    let t = RegTape::new(vec![input(2), input(7), out], 0).unwrap();
    assert_eq!(t.param_count(), 5);
    assert_eq!(
        RegTape::new(vec![input(0), out], 0).unwrap().param_count(),
        0
    );
    let max = 3 + tapir::graph::MAX_PARAMS as u32;
    assert!(RegTape::new(vec![input(max - 1), out], 0).is_ok());
    let e = RegTape::new(vec![input(max), out], 0).unwrap_err();
    assert!(e.to_string().contains("out of range"), "{e}");
    // A machine gives a tape that reads parameter 4 a value for it.
    let mut m = Machine::<f32>::new();
    m.set_params(&[1.0, 2.0, 3.0, 4.0, 5.0]);
    let t = RegTape::new(vec![input(7), out], 0).unwrap();
    assert_eq!(m.run(Dispatch::TailCall, &t, [0.0; 3], &mut []), 5.0);
}

/// The 3D view keeps the parameters: a view of a shape with a parameter set
/// is the view of the shape with the value as a constant.
#[test]
fn views_keep_parameters() {
    let s = Shape::from_expr("param r = 0.5 in [0.1, 0.9];\nsphere(r)").unwrap();
    let view = View {
        yaw: 40.0,
        ..View::default()
    };
    let seen = view.apply(&s.with_param("r", 0.3).unwrap());
    assert_eq!(seen.params(), s.params());
    assert_eq!(seen.param_values(), &[0.3]);
    let konst = view.apply(&Shape::from_expr("sphere(0.3)").unwrap());
    for p in points() {
        let (a, b) = (
            seen.eval_point(p[0], p[1], p[2]),
            konst.eval_point(p[0], p[1], p[2]),
        );
        assert_eq!(a.to_bits(), b.to_bits());
    }
}
