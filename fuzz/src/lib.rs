//! Checks shared by the fuzz targets: what every compiled shape must satisfy,
//! whatever the input.
//!
//! [`check`] compiles a graph twice (the full register file and a small
//! register limit, which forces spills) and asserts, at sample points of a
//! box:
//!
//! - every dispatch style gives bit-identical results, for every evaluator;
//! - point values equal the graph's own reference evaluation, bit for bit;
//! - slice lanes equal point values;
//! - the value part of gradients equals point values;
//! - the interval over the box contains every sample's point value, and the
//!   recorded choices are the same for every dispatch style;
//! - the tape pruned for the box (with both register limits) gives the same
//!   point and slice values at the samples, and its interval still contains
//!   them.
//!
//! [`check_render`] renders a small grid over the box, pruned at several
//! tile sizes and brute force, and compares every pixel with the point
//! evaluator. [`check_render3d`] renders a small 3D view of the box and a
//! voxel grid over it, pruned and brute force, and compares them bit for
//! bit (and the voxels with the point evaluator).

#[path = "../../tests/common/recipe.rs"]
mod recipe;

use tapir::Shape;
use tapir::eval::{Choice, Grad, Interval, Lanes};
use tapir::graph::{Graph, NodeId, Var};
use tapir::interp::{Dispatch, Machine};
use tapir::render::{Bounds2, Bounds3, EvalOptions, Frame3d, Grid2, Grid3, View};
use tapir::tape::simplify::Simplifier;
use tapir::tape::{REGISTER_COUNT, Tape};

/// Lanes per slice evaluation in the checks (a multiple of 16, as
/// `Lanes` requires).
pub const N: usize = 16;

/// Constants worth trying often: the ordinary and the special.
pub const SPECIAL: [f32; 14] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    2.0,
    -3.0,
    std::f32::consts::PI,
    1e-30,
    3e38,
    -3e38,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::NAN,
];

/// Equal bits, or both NaN.
pub fn same(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// A box of inputs and sample points inside it.
#[derive(Clone, Debug)]
pub struct Region {
    /// The box, one interval per input.
    pub iv: [Interval; 3],
    /// Points of the box.
    pub points: Vec<[f32; 3]>,
}

/// The point at fraction `t / 255` of `[lo, hi]` (the ends exactly at 0
/// and 255), never outside.
fn along(lo: f32, hi: f32, t: u8) -> f32 {
    match t {
        0 => lo,
        255 => hi,
        _ => {
            let v = lo + (hi - lo) * (f32::from(t) / 255.0);
            if v.is_nan() { lo } else { v.clamp(lo, hi) }
        }
    }
}

impl Region {
    /// The box with corners `ends` (each pair in any order; a NaN end
    /// counts as 0), sampled at its corners, its centre, the origin when it
    /// is inside, and at the fractions `ts` (0..=255 along each axis).
    pub fn new(ends: [(f32, f32); 3], ts: &[[u8; 3]]) -> Region {
        let ends = ends.map(|(a, b)| {
            let (a, b) = (
                if a.is_nan() { 0.0 } else { a },
                if b.is_nan() { 0.0 } else { b },
            );
            if a <= b { (a, b) } else { (b, a) }
        });
        let iv = ends.map(|(lo, hi)| Interval::new(lo, hi));
        let mut fractions = vec![[0u8; 3], [255; 3], [128; 3], [0, 255, 0], [255, 0, 255]];
        fractions.extend_from_slice(ts);
        let mut points: Vec<[f32; 3]> = fractions
            .iter()
            .map(|t| std::array::from_fn(|k| along(ends[k].0, ends[k].1, t[k])))
            .collect();
        if ends.iter().all(|&(lo, hi)| lo <= 0.0 && 0.0 <= hi) {
            points.push([0.0; 3]);
        }
        Region { iv, points }
    }
}

/// Builds a graph from a recipe: each step `(kind, a, b, mode, c)` makes one
/// node from the last few (`a` and `b` pick operands, `kind` the operation;
/// constants are `c` itself or, depending on `mode`, one of [`SPECIAL`]).
/// The last node made is the root.
pub fn build(steps: &[(u8, u8, u8, u8, f32)]) -> (Graph, NodeId) {
    let mut g = Graph::new();
    let mut nodes = vec![g.var(Var::X), g.var(Var::Y), g.var(Var::Z)];
    for &(kind, a, b, mode, c) in steps {
        let c = if mode % 4 == 0 {
            c
        } else {
            SPECIAL[usize::from(mode / 4) % SPECIAL.len()]
        };
        let ops = (usize::from(kind), usize::from(a), usize::from(b));
        recipe::step(&mut g, &mut nodes, ops, c, 40, b % 2 == 1);
    }
    let root = *nodes.last().expect("x, y and z at least");
    (g, root)
}

/// Everything [`check`] found about one compilation, for comparing two.
#[derive(PartialEq, Debug)]
struct Outcome {
    interval: (u32, u32),
    choices: Vec<Choice>,
}

/// Runs every check of the module docs on `root` of `g` over `region`;
/// `limit` (2..=256) is the small register limit.
///
/// # Panics
/// When a check fails, with a message saying which and where.
pub fn check(g: &Graph, root: NodeId, limit: usize, region: &Region) {
    let want: Vec<f32> = region.points.iter().map(|p| g.eval(root, *p)).collect();
    let full = Shape::from_graph(g, root);
    let tight = Shape::from_graph_with_register_limit(g, root, limit);
    let a = check_shape(&full, REGISTER_COUNT, region, &want);
    let b = check_shape(&tight, limit, region, &want);
    assert_eq!(
        a, b,
        "register limit {limit} changes the interval or the choices"
    );
}

fn check_shape(shape: &Shape, limit: usize, region: &Region, want: &[f32]) -> Outcome {
    check_values(shape, region, want, "tape");
    let outcome = check_intervals(shape, region, want, "tape");
    // Pruning with the allocator limited like the tape, and with the full
    // register file (`Shape::simplify`).
    let mut pruned = Tape::default();
    Simplifier::with_register_limit(limit).simplify(shape.tape(), &outcome.choices, &mut pruned);
    let pruned = Shape::from_tape(pruned);
    assert!(
        pruned.ssa_tape().len() <= shape.ssa_tape().len(),
        "pruning grew the tape: {} > {}",
        pruned.ssa_tape().len(),
        shape.ssa_tape().len()
    );
    check_values(&pruned, region, want, "pruned tape");
    check_intervals(&pruned, region, want, "pruned tape");
    let [x, y, z] = region.iv;
    let simplified = shape.simplify(x, y, z);
    check_values(&simplified, region, want, "Shape::simplify");
    outcome
}

/// Point, slice and gradient values equal `want` for every dispatch.
fn check_values(shape: &Shape, region: &Region, want: &[f32], what: &str) {
    for (p, &w) in region.points.iter().zip(want) {
        for d in Dispatch::ALL {
            let v = shape.eval_point_with(d, p[0], p[1], p[2]);
            assert!(
                v.to_bits() == w.to_bits(),
                "{what}, {d}: point {p:?} gives {v}, reference {w}"
            );
        }
    }
    let mut slices = Machine::<Lanes<N>>::new();
    for (chunk, wants) in region.points.chunks(N).zip(want.chunks(N)) {
        let lane = |k: usize| chunk[k.min(chunk.len() - 1)];
        let vars: [Lanes<N>; 3] =
            std::array::from_fn(|axis| Lanes(std::array::from_fn(|k| lane(k)[axis])));
        for d in Dispatch::ALL {
            let v = slices.run(d, shape.reg_tape(), vars, &mut []);
            for (k, &w) in wants.iter().enumerate() {
                assert!(
                    v.0[k].to_bits() == w.to_bits(),
                    "{what}, {d}: lane {k} at {:?} gives {}, point {w}",
                    chunk[k],
                    v.0[k]
                );
            }
        }
    }
    let mut grads = Machine::<Grad>::new();
    for (p, &w) in region.points.iter().zip(want) {
        let vars = [Grad::var(p[0], 0), Grad::var(p[1], 1), Grad::var(p[2], 2)];
        let outs = Dispatch::ALL.map(|d| grads.run(d, shape.reg_tape(), vars, &mut []));
        assert!(
            outs[0].v.to_bits() == w.to_bits(),
            "{what}: gradient value {} at {p:?}, point {w}",
            outs[0].v
        );
        for (d, o) in Dispatch::ALL.iter().zip(&outs) {
            assert_eq!(
                o.to_bits(),
                outs[0].to_bits(),
                "{what}: gradient differs with {d} at {p:?}"
            );
        }
    }
}

/// The interval over the box contains every sample, with bounds and choices
/// identical for every dispatch; returns them.
fn check_intervals(shape: &Shape, region: &Region, want: &[f32], what: &str) -> Outcome {
    let mut m = Machine::<Interval>::new();
    let tape = shape.reg_tape();
    let outs: Vec<Outcome> = Dispatch::ALL
        .iter()
        .map(|&d| {
            let mut choices = vec![Choice::Both; tape.choice_count()];
            let v = m.run(d, tape, region.iv, &mut choices);
            Outcome {
                interval: (v.lo().to_bits(), v.hi().to_bits()),
                choices,
            }
        })
        .collect();
    for (d, o) in Dispatch::ALL.iter().zip(&outs) {
        assert_eq!(o, &outs[0], "{what}: interval evaluation differs with {d}");
    }
    let (lo, hi) = outs[0].interval;
    let iv = Interval::new(f32::from_bits(lo), f32::from_bits(hi));
    for (p, &w) in region.points.iter().zip(want) {
        assert!(
            iv.contains(w),
            "{what}: {w} at {p:?} is not in {iv:?} over {:?}",
            region.iv
        );
    }
    outs.into_iter().next().expect("three dispatch styles")
}

/// Renders an 8 × 8 grid over the box's x and y extent (when that is a
/// valid [`Bounds2`]) in the plane z = the box's lower z: pruned (intervals
/// and pruning on 8- and 4-pixel tiles, the second pruning the tape pruned
/// by the first; slices on 2-pixel tiles) and brute force, with `dispatch`. Every pixel equals the point
/// evaluator's value at its centre, and the mask is the sign of the values.
pub fn check_render(g: &Graph, root: NodeId, region: &Region, dispatch: Dispatch) {
    let [x, y, z] = region.iv;
    let b = (
        f64::from(x.lo()),
        f64::from(x.hi()),
        f64::from(y.lo()),
        f64::from(y.hi()),
    );
    let Ok(bounds) = Bounds2::new(b.0, b.1, b.2, b.3) else {
        return;
    };
    let shape = Shape::from_graph(g, root);
    let grid = Grid2::new(bounds, 8, 8);
    let zv = z.lo();
    let want: Vec<f32> = (0..64)
        .map(|k| shape.eval_point(grid.x(k % 8), grid.y(k / 8), zv))
        .collect();
    let pruned = EvalOptions {
        dispatch,
        tile_sizes: vec![8, 4, 2],
        z: zv,
        threads: 1,
        ..Default::default()
    };
    let brute = EvalOptions {
        prune: false,
        tile_sizes: vec![8],
        ..pruned.clone()
    };
    for (opts, what) in [(&pruned, "pruned"), (&brute, "brute force")] {
        let v = shape.eval_grid(&grid, opts).expect("a small render");
        for (k, (got, w)) in v.iter().zip(&want).enumerate() {
            assert!(
                got.to_bits() == w.to_bits(),
                "{what} render, {dispatch}: pixel {k} is {got}, point {w} (bounds {bounds:?}, z {zv})"
            );
        }
    }
    let mask = shape.render_mask(&grid, &pruned).expect("a small render");
    for (k, (m, w)) in mask.iter().zip(&want).enumerate() {
        assert_eq!(
            *m,
            *w < 0.0,
            "mask, {dispatch}: pixel {k} (value {w}, bounds {bounds:?})"
        );
    }
}

/// Renders an 8 × 8 picture with 8 depth samples of the box (the view's
/// centre and scale from the box; yaw, pitch and perspective from `turn`),
/// pruned at small cell sizes and brute force, with `dispatch`: depths and
/// normals must be bit-identical, normals unit vectors. Then evaluates a
/// 5 × 4 × 3 voxel grid over the box, pruned and brute force, against the
/// point evaluator.
pub fn check_render3d(g: &Graph, root: NodeId, region: &Region, dispatch: Dispatch, turn: u8) {
    let [x, y, z] = region.iv;
    let ends = [x, y, z].map(|i| [f64::from(i.lo()), f64::from(i.hi())]);
    let Ok(bounds) = Bounds3::new(ends[0], ends[1], ends[2]) else {
        return;
    };
    let shape = Shape::from_graph(g, root);
    let size = bounds.size();
    let view = View {
        center: nalgebra::center(&bounds.min, &bounds.max).coords,
        scale: size.x.max(size.y).max(size.z) / 2.0,
        yaw: f64::from(turn) * 7.0,
        pitch: f64::from(turn % 16) * 5.0 - 40.0,
        perspective: f64::from(turn % 4) * 0.2,
        ..View::default()
    };
    if view.validate().is_err() {
        return;
    }
    let frame = Frame3d {
        view,
        ..Frame3d::square(8)
    };
    let pruned = EvalOptions {
        dispatch,
        voxel_tile_sizes: vec![4, 2],
        threads: 1,
        ..Default::default()
    };
    let brute = EvalOptions {
        prune: false,
        ..pruned.clone()
    };
    let a = shape.render3d(&frame, &pruned).expect("a small 3D render");
    let b = shape.render3d(&frame, &brute).expect("a small 3D render");
    for k in 0..64 {
        assert!(
            same(a.hits[k], b.hits[k]) && a.normals[k].map(f32::to_bits) == b.normals[k].map(f32::to_bits),
            "3D render, {dispatch}: pixel {k} pruned {} {:?}, brute {} {:?} (view {view:?})",
            a.hits[k],
            a.normals[k],
            b.hits[k],
            b.normals[k]
        );
        if !a.hits[k].is_nan() {
            let n = a.normals[k];
            let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
            assert!((len - 1.0).abs() < 1e-4, "3D render: normal {n:?} at pixel {k}");
        }
    }
    let grid = Grid3::new(bounds, 5, 4, 3);
    let voxels = shape.eval_voxels(&grid, &pruned).expect("a small grid");
    let voxels_brute = shape.eval_voxels(&grid, &brute).expect("a small grid");
    for k in 0..3 {
        for j in 0..4 {
            for i in 0..5 {
                let want = shape.eval_point(grid.x(i), grid.y(j), grid.z(k));
                let n = grid.index(i, j, k);
                assert!(
                    same(voxels[n], want) && same(voxels_brute[n], want),
                    "voxel {i},{j},{k}, {dispatch}: {} / {} vs point {want}",
                    voxels[n],
                    voxels_brute[n]
                );
            }
        }
    }
}
