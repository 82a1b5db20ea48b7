//! Resource limits: deep and huge inputs go through every stage without
//! exhausting the stack, and requests beyond the limits are refused before
//! any work or allocation.

use std::time::{Duration, Instant};

use tapir::eval::{Choice, Grad, Interval, Lanes};
use tapir::interp::{Dispatch, Machine};
use tapir::lang::parse_vm;
use tapir::render::{Bounds2, ColorMode, EvalOptions, Frame3d, Grid2, Grid3, MAX_THREADS, View};
use tapir::{Error, Shape};

const N: usize = 16;

/// Evaluates `shape` with every evaluator and dispatch style at `points`,
/// over the box around them, and pruned to that box; asserts that they
/// agree with the reference (the point evaluator) and returns the values.
fn every_evaluator(shape: &Shape, points: &[[f32; 3]]) -> Vec<f32> {
    let want: Vec<f32> = points
        .iter()
        .map(|p| shape.eval_point(p[0], p[1], p[2]))
        .collect();
    for (p, w) in points.iter().zip(&want) {
        for d in Dispatch::ALL {
            let v = shape.eval_point_with(d, p[0], p[1], p[2]);
            assert_eq!(v.to_bits(), w.to_bits(), "point, {d}, at {p:?}");
        }
    }
    // Slices: the points in the first lanes, the rest padded.
    assert!(points.len() <= N);
    let lane = |k: usize| points[k.min(points.len() - 1)];
    let vars: [Lanes<N>; 3] = std::array::from_fn(|a| Lanes(std::array::from_fn(|k| lane(k)[a])));
    let mut slices = Machine::<Lanes<N>>::new();
    for d in Dispatch::ALL {
        let out = slices.run(d, shape.reg_tape(), vars, &mut []);
        for (k, w) in want.iter().enumerate() {
            assert_eq!(out.0[k].to_bits(), w.to_bits(), "slice lane {k}, {d}");
        }
    }
    // Gradients.
    let mut grads = Machine::<Grad>::new();
    for (p, w) in points.iter().zip(&want) {
        let gv = [Grad::var(p[0], 0), Grad::var(p[1], 1), Grad::var(p[2], 2)];
        for d in Dispatch::ALL {
            let out = grads.run(d, shape.reg_tape(), gv, &mut []);
            assert_eq!(out.v.to_bits(), w.to_bits(), "gradient value, {d}");
        }
    }
    // Intervals with choices over the box of the points, then pruning.
    let bounds: [Interval; 3] = std::array::from_fn(|a| {
        let lo = points.iter().map(|p| p[a]).fold(f32::INFINITY, f32::min);
        let hi = points
            .iter()
            .map(|p| p[a])
            .fold(f32::NEG_INFINITY, f32::max);
        Interval::new(lo, hi)
    });
    let [x, y, z] = bounds;
    let mut intervals = Machine::<Interval>::new();
    let mut first: Option<(Interval, Vec<Choice>)> = None;
    for d in Dispatch::ALL {
        let mut choices = vec![Choice::Both; shape.reg_tape().choice_count()];
        let iv = intervals.run(d, shape.reg_tape(), bounds, &mut choices);
        for w in &want {
            assert!(iv.contains(*w), "{w} not in {iv:?}, {d}");
        }
        match &first {
            None => first = Some((iv, choices)),
            Some(f) => assert!(f.0 == iv && f.1 == choices, "interval differs with {d}"),
        }
    }
    let pruned = shape.simplify(x, y, z);
    assert!(pruned.len() <= shape.len() + shape.reg_tape().choice_count());
    for (p, w) in points.iter().zip(&want) {
        for d in Dispatch::ALL {
            let v = pruned.eval_point_with(d, p[0], p[1], p[2]);
            assert_eq!(v.to_bits(), w.to_bits(), "pruned, {d}, at {p:?}");
        }
    }
    want
}

const POINTS: [[f32; 3]; 4] = [
    [1.0, 1.0, 0.0],
    [0.5, 1.25, 0.0],
    [0.75, 1.0, 0.5],
    [0.9, 1.1, 0.25],
];

// ---------------------------------------------------------------- depth

/// 100,000 nested parentheses, each around an operation: a graph (and a
/// tape) 200,000 operations deep.
#[test]
fn hundred_thousand_nested_parentheses() {
    let n = 100_000;
    // v ← v * 0.5 + y, from v = x: at y = 1 it settles at exactly 2.
    let src = format!("{}x{}", "(".repeat(n), " * 0.5 + y)".repeat(n));
    let shape = Shape::from_expr(&src).unwrap();
    assert!(shape.len() >= 2 * n, "{} instructions", shape.len());
    let v = every_evaluator(&shape, &POINTS);
    assert_eq!(v[0], 2.0);
    // A grid render: intervals, pruning and slices per tile.
    let opts = EvalOptions {
        tile_sizes: vec![16, 8],
        threads: 1,
        ..Default::default()
    };
    let image = shape.eval_grid(&Grid2::square(16), &opts).unwrap();
    assert_eq!(image.len(), 256);
    // In 3D too: a turned view (the tape is lifted to a graph, moved and
    // lowered again), and a voxel grid.
    deep_3d(&shape, 30.0, 4);
}

/// A small (`n`² × `n`) 3D render through a view turned by `yaw` degrees (when not 0,
/// the tape is lifted to a graph, moved and lowered again) and a voxel
/// grid, with the results checked against point evaluation.
fn deep_3d(shape: &Shape, yaw: f64, n: usize) {
    let opts = EvalOptions {
        voxel_tile_sizes: vec![n],
        threads: 1,
        ..Default::default()
    };
    let view = View {
        yaw,
        pitch: yaw / 2.0,
        ..View::default()
    };
    let frame = Frame3d {
        view,
        ..Frame3d::square(n)
    };
    let g = shape.render3d(&frame, &opts).unwrap();
    assert_eq!(g.hits.len(), n * n);
    let grid = Grid3::cube(n);
    let v = shape.eval_voxels(&grid, &opts).unwrap();
    for (i, j, k) in [(0, 0, 0), (1, 1, 0), (n - 1, 0, n - 1)] {
        let want = shape.eval_point(grid.x(i), grid.y(j), grid.z(k));
        let got = v[grid.index(i, j, k)];
        assert!(
            got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
            "voxel {i},{j},{k}: {got} vs {want}"
        );
    }
}

/// 100,000 nested calls: `sin(sin(...(x)...))`, and nested `min`s, whose
/// interval evaluation records 100,000 choices and whose pruning drops the
/// branches that cannot win.
#[test]
fn hundred_thousand_nested_calls() {
    let n = 100_000;
    let src = format!("{}x{}", "sin(".repeat(n), ")".repeat(n));
    let shape = Shape::from_expr(&src).unwrap();
    assert_eq!(shape.len(), n + 2);
    let v = every_evaluator(&shape, &POINTS);
    // sin applied n times to 1 is about sqrt(3 / n).
    assert!((v[0] - (3.0f32 / n as f32).sqrt()).abs() < 1e-3, "{}", v[0]);

    // min(x + 0, min(y + 1, min(x + 2, ...))): x and y near 1 make the
    // outermost terms win, so pruning over the box keeps only a few.
    let mut src = String::new();
    for i in 0..n {
        let var = if i % 2 == 0 { "x" } else { "y" };
        src.push_str(&format!("min({var} + {}, ", i.min(60)));
    }
    src.push('z');
    src.push_str(&")".repeat(n));
    let shape = Shape::from_expr(&src).unwrap();
    assert_eq!(shape.reg_tape().choice_count(), n);
    let points = [[1.0, 1.0, 5.0], [0.5, 1.5, 4.0], [1.5, 0.5, 6.0]];
    let v = every_evaluator(&shape, &points);
    assert_eq!(v, [1.0, 0.5, 1.5]);
    let small = shape.simplify(
        Interval::new(0.5, 1.5),
        Interval::new(0.5, 1.5),
        Interval::new(4.0, 6.0),
    );
    assert!(small.len() < 32, "pruned to {} instructions", small.len());
}

/// The text of a `.vm` tape of `n` instructions: chains of sin, products
/// and mins. In the first [`SPILL_REGION`] instructions their operands come
/// from far back, so more than 256 values are live at once and the register
/// allocator spills; after that they are near (each eviction scans the
/// register file, which is slow in a debug build).
fn big_vm(n: usize) -> String {
    let mut s = String::with_capacity(n * 24);
    s.push_str("_0 var-x\n_1 var-y\n_2 var-z\n");
    for i in 3..n {
        let (d1, d2) = if i < SPILL_REGION { (700, 650) } else { (7, 5) };
        let far = |d: usize| i.saturating_sub(d).max(2);
        let line = match i % 4 {
            0 => format!("_{i:x} sin _{:x}\n", i - 1),
            1 => format!("_{i:x} mul _{:x} _{:x}\n", i - 1, far(d1)),
            2 => format!("_{i:x} min _{:x} _{:x}\n", i - 1, far(d2)),
            _ => format!("_{i:x} add _{:x} _1\n", i - 1),
        };
        s.push_str(&line);
    }
    s
}

/// See [`big_vm`].
const SPILL_REGION: usize = 20_000;

/// A 1,000,000-instruction `.vm` tape parses, lowers, allocates (with
/// spills), and evaluates with every evaluator.
#[test]
fn million_instruction_vm_tape() {
    let n = 1_000_000;
    let src = big_vm(n);
    let (g, root) = parse_vm(&src).unwrap();
    let shape = Shape::from_graph(&g, root);
    assert!(
        shape.ssa_tape().len() >= n - 3,
        "{} SSA instructions",
        shape.ssa_tape().len()
    );
    assert!(shape.reg_tape().mem_slots() > 0, "expected spills");
    let v = every_evaluator(&shape, &POINTS[..2]);
    for (p, v) in POINTS.iter().zip(&v) {
        assert_eq!(v.to_bits(), g.eval(root, *p).to_bits());
    }
    deep_3d(&shape, 0.0, 2);
}

// ---------------------------------------------------------------- memory

/// The number of MiB `msg` says the render needs (the number after
/// "needs about").
fn first_number(msg: &str) -> u64 {
    let after = msg.split("needs about ").nth(1).unwrap_or(msg);
    let digits: String = after
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number in {msg:?}"))
}

/// Asserts that `r` is a quick `Error::Limit` about the memory budget that
/// names at least `min_mib` MiB.
fn assert_refused<T>(r: Result<T, Error>, started: Instant, min_mib: u64, what: &str) {
    let elapsed = started.elapsed();
    match r {
        Err(Error::Limit(msg)) => {
            assert!(
                msg.contains("MiB") && msg.contains("budget"),
                "{what}: {msg}"
            );
            let need = first_number(&msg);
            assert!(
                need >= min_mib,
                "{what}: {msg} names {need} MiB, below {min_mib}"
            );
        }
        Err(e) => panic!("{what}: expected a limit error, got {e}"),
        Ok(_) => panic!("{what}: a render over the budget was accepted"),
    }
    assert!(
        elapsed < Duration::from_secs(2),
        "{what}: refusing took {elapsed:?}"
    );
}

/// Renders whose buffers exceed the memory budget are refused with
/// `Error::Limit`, before anything is allocated (so at once).
#[test]
fn images_over_the_memory_budget_are_refused() {
    let shape = Shape::from_expr("sqrt(x*x + y*y) - 0.5").unwrap();
    let (w, h) = (100_000usize, 100_000usize);
    let grid = Grid2::new(Bounds2::default(), w, h);
    // At the very least the f32 values: 4 bytes a pixel.
    let min_mib = ((w * h * 4) >> 20) as u64;
    let opts = EvalOptions {
        memory_budget: Some(64 << 20),
        ..Default::default()
    };
    let t = Instant::now();
    assert_refused(shape.eval_grid(&grid, &opts), t, min_mib, "eval_grid");
    // The message names the image size.
    match shape.eval_grid(&grid, &opts) {
        Err(Error::Limit(msg)) => assert!(msg.contains("100000×100000"), "{msg}"),
        other => panic!("expected a limit error, got {:?}", other.map(|v| v.len())),
    }
    let t = Instant::now();
    assert_refused(shape.render_mask(&grid, &opts), t, min_mib, "render_mask");
    for mode in [ColorMode::Bitmap, ColorMode::Field] {
        let t = Instant::now();
        assert_refused(
            shape.render_rgba(&grid, &opts, mode),
            t,
            min_mib,
            "render_rgba",
        );
    }
    // The default budget (half the machine's memory) refuses a
    // 1,000,000 × 1,000,000 image (4 TB of values) as well.
    let huge = Grid2::new(Bounds2::default(), 1_000_000, 1_000_000);
    let t = Instant::now();
    let r = shape.eval_grid(&huge, &EvalOptions::default());
    assert_refused(r, t, 4_000_000_000_000 >> 20, "default budget");
    // Just over a small budget is refused; comfortably under is rendered.
    let opts = EvalOptions {
        memory_budget: Some(1 << 20),
        ..Default::default()
    };
    let t = Instant::now();
    assert_refused(
        shape.eval_grid(&Grid2::square(1024), &opts),
        t,
        4,
        "1024² in 1 MiB",
    );
    assert_eq!(
        shape.eval_grid(&Grid2::square(64), &opts).unwrap().len(),
        64 * 64
    );
    // An empty image needs nothing.
    assert!(
        shape
            .eval_grid(&Grid2::new(Bounds2::default(), 0, 0), &opts)
            .unwrap()
            .is_empty()
    );
}

// ---------------------------------------------------------------- options

fn assert_limit(r: Result<(), Error>, needle: &str) {
    match r {
        Err(Error::Limit(msg)) => assert!(msg.contains(needle), "{msg:?} lacks {needle:?}"),
        Err(e) => panic!("expected a limit error, got {e}"),
        Ok(()) => panic!("accepted; expected a refusal naming {needle:?}"),
    }
}

/// More threads than `MAX_THREADS` are refused by `EvalOptions::validate`
/// (and so by every render), naming the number.
#[test]
fn absurd_thread_counts_are_refused() {
    for threads in [MAX_THREADS + 1, 1 << 20, usize::MAX] {
        let opts = EvalOptions {
            threads,
            ..Default::default()
        };
        assert_limit(opts.validate(), &threads.to_string());
        let shape = Shape::from_expr("x").unwrap();
        let t = Instant::now();
        let r = shape.eval_grid(&Grid2::square(8), &opts).map(|_| ());
        assert_limit(r, &threads.to_string());
        assert!(t.elapsed() < Duration::from_secs(2));
    }
    for threads in [0, 1, 2, MAX_THREADS] {
        let opts = EvalOptions {
            threads,
            ..Default::default()
        };
        assert!(opts.validate().is_ok(), "{threads} threads");
    }
}

/// Voxel tile sizes follow the same rules, with a root cell of at most 256.
#[test]
fn bad_voxel_tile_sizes_are_refused() {
    let shape = Shape::from_expr("x").unwrap();
    for sizes in [&[][..], &[0], &[8, 16], &[64, 24], &[512, 8]] {
        let opts = EvalOptions {
            voxel_tile_sizes: sizes.to_vec(),
            ..Default::default()
        };
        assert!(matches!(opts.validate(), Err(Error::Limit(_))), "{sizes:?}");
        let r = shape.eval_voxels(&Grid3::cube(4), &opts);
        assert!(matches!(r, Err(Error::Limit(_))), "{sizes:?} evaluated");
        let r = shape.render3d(&Frame3d::square(4), &opts);
        assert!(matches!(r, Err(Error::Limit(_))), "{sizes:?} rendered");
    }
}

/// Tile sizes must be positive, largest first, each dividing the one
/// before, with a root tile of at most 4096.
#[test]
fn bad_tile_sizes_are_refused() {
    let bad: [&[usize]; 8] = [
        &[],
        &[0],
        &[8, 0],
        &[8, 16],
        &[64, 24],
        &[64, 16, 32],
        &[8192, 8],
        &[usize::MAX, 1],
    ];
    let shape = Shape::from_expr("x").unwrap();
    for sizes in bad {
        let opts = EvalOptions {
            tile_sizes: sizes.to_vec(),
            ..Default::default()
        };
        assert!(
            matches!(opts.validate(), Err(Error::Limit(_))),
            "{sizes:?} accepted"
        );
        let r = shape.eval_grid(&Grid2::square(8), &opts);
        assert!(matches!(r, Err(Error::Limit(_))), "{sizes:?} rendered");
    }
    let good: [&[usize]; 5] = [&[256, 64, 16, 8], &[8], &[1], &[4096, 8], &[24, 12, 6, 3]];
    for sizes in good {
        let opts = EvalOptions {
            tile_sizes: sizes.to_vec(),
            threads: 1,
            ..Default::default()
        };
        assert!(opts.validate().is_ok(), "{sizes:?} refused");
        let v = shape.eval_grid(&Grid2::square(10), &opts).unwrap();
        assert_eq!(v.len(), 100);
    }
}

/// `Bounds2::new` refuses non-finite, huge, empty and reversed bounds.
#[test]
fn bad_bounds_are_refused() {
    let nan = f64::NAN;
    let inf = f64::INFINITY;
    let bad = [
        (nan, 1.0, -1.0, 1.0),
        (-1.0, nan, -1.0, 1.0),
        (-1.0, 1.0, nan, 1.0),
        (-1.0, 1.0, -1.0, nan),
        (-inf, 1.0, -1.0, 1.0),
        (-1.0, inf, -1.0, 1.0),
        (-1.0, 1.0, -inf, inf),
        (-1e31, 1.0, -1.0, 1.0),
        (-1.0, 1.0, -1.0, 2e30),
        (1.0, 1.0, -1.0, 1.0),
        (-1.0, 1.0, 0.5, 0.5),
        (1.0, -1.0, -1.0, 1.0),
        (-1.0, 1.0, 1.0, -1.0),
    ];
    for (a, b, c, d) in bad {
        assert!(
            matches!(Bounds2::new(a, b, c, d), Err(Error::Limit(_))),
            "{a}, {b}, {c}, {d} accepted"
        );
    }
    assert!(Bounds2::new(-1e30, 1e30, -1e30, 1e30).is_ok());
    assert!(Bounds2::new(0.0, 1e-300, -1.0, 1.0).is_ok());
}
