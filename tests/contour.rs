//! 2D contours (`Shape::contours`): accuracy against analytic curves,
//! exact corners, orientation, closure, agreement with the render mask, and
//! identical results with and without pruning, for every dispatch style and
//! thread count.

mod common;

use std::f64::consts::PI;
use std::path::PathBuf;

use proptest::prelude::*;
use tapir::contour::{Contours, signed_area};
use tapir::render::{Bounds2, EvalOptions, Grid2};
use tapir::{Dispatch, Shape};

fn shape(src: &str) -> Shape {
    Shape::from_expr(src).unwrap()
}

fn contours(s: &Shape, grid: &Grid2) -> Contours {
    s.contours(grid, &EvalOptions::default()).unwrap()
}

/// Cell (pixel) edge of a square grid.
fn cell(grid: &Grid2) -> f64 {
    grid.pixel_size().x
}

/// Every loop is closed and continuous: at least 3 points, each step
/// (including last → first) shorter than two cell diagonals, every point in
/// the bounds.
fn assert_closed(c: &Contours, grid: &Grid2) {
    let h = grid.pixel_size();
    // (a corner put back at a narrow tip may be four cells from its
    // neighbours)
    let max_step = 4.0 * h.x.hypot(h.y) + 1e-6;
    let b = grid.bounds();
    for (k, l) in c.loops.iter().enumerate() {
        assert!(l.len() >= 3, "loop {k} has {} points", l.len());
        for i in 0..l.len() {
            let (p, q) = (l[i], l[(i + 1) % l.len()]);
            let step = f64::from(p[0] - q[0]).hypot(f64::from(p[1] - q[1]));
            assert!(
                step <= max_step,
                "loop {k} jumps {step} at {i}: {p:?} → {q:?}"
            );
            assert!(step > 0.0, "loop {k} repeats {p:?}");
            let [x, y] = p.map(f64::from);
            assert!(
                x >= b.min.x - 1e-6
                    && x <= b.max.x + 1e-6
                    && y >= b.min.y - 1e-6
                    && y <= b.max.y + 1e-6,
                "{p:?} outside the bounds"
            );
        }
    }
}

/// Which pixel centres of `grid` the loops enclose (even-odd rule), row
/// by row from the top: each row's crossings with every segment, sorted.
fn enclosed(c: &Contours, grid: &Grid2) -> Vec<bool> {
    let mut out = Vec::with_capacity(grid.len());
    let mut xs = Vec::new();
    for j in 0..grid.height() {
        let y = grid.y(j);
        xs.clear();
        for l in &c.loops {
            for i in 0..l.len() {
                let (a, b) = (l[i], l[(i + 1) % l.len()]);
                if (a[1] > y) != (b[1] > y) {
                    let t = f64::from(y - a[1]) / f64::from(b[1] - a[1]);
                    xs.push(f64::from(a[0]) + t * f64::from(b[0] - a[0]));
                }
            }
        }
        xs.sort_by(f64::total_cmp);
        for i in 0..grid.width() {
            let x = f64::from(grid.x(i));
            out.push(xs.iter().filter(|&&xc| x < xc).count() % 2 == 1);
        }
    }
    out
}

/// Distance from `(x, y)` to the nearest segment of `c`.
fn distance_to(c: &Contours, x: f32, y: f32) -> f64 {
    let (x, y) = (f64::from(x), f64::from(y));
    let mut best = f64::INFINITY;
    for l in &c.loops {
        for i in 0..l.len() {
            let [ax, ay] = l[i].map(f64::from);
            let [bx, by] = l[(i + 1) % l.len()].map(f64::from);
            let (dx, dy) = (bx - ax, by - ay);
            let len2 = dx * dx + dy * dy;
            let t = if len2 > 0.0 {
                (((x - ax) * dx + (y - ay) * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            best = best.min((x - ax - t * dx).hypot(y - ay - t * dy));
        }
    }
    best
}

/// The contours enclose the pixel centres the render finds inside: a
/// sample may fall on the other side only where the polyline passes within
/// a tenth of a cell of it (a chord cutting a sample that is nearly on the
/// curve).
fn assert_matches_mask(s: &Shape, c: &Contours, grid: &Grid2) {
    let mask = s.render_mask(grid, &EvalOptions::default()).unwrap();
    let h = cell(grid);
    let ours = enclosed(c, grid);
    let mut wrong = Vec::new();
    for j in 0..grid.height() {
        for i in 0..grid.width() {
            let (x, y) = (grid.x(i), grid.y(j));
            if ours[j * grid.width() + i] != mask[j * grid.width() + i] {
                let d = distance_to(c, x, y);
                if d > 0.1 * h {
                    wrong.push((x, y, d / h));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} pixels on the wrong side (x, y, cells away): {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(5)]
    );
}

#[test]
fn circle_points_are_on_the_circle() {
    let (cx, cy, r) = (0.031f64, -0.047f64, 0.537f64);
    let s = shape(&format!("sqrt((x - {cx})^2 + (y - {cy})^2) - {r}"));
    for n in [64, 256, 1000] {
        let grid = Grid2::square(n);
        let c = contours(&s, &grid);
        assert_eq!(c.loops.len(), 1);
        let h = cell(&grid);
        let worst = c.loops[0]
            .iter()
            .map(|p| ((f64::from(p[0]) - cx).hypot(f64::from(p[1]) - cy) - r).abs())
            .fold(0.0, f64::max);
        assert!(
            worst < 1e-3 * h,
            "{n}: off the circle by {worst} = {} cells",
            worst / h
        );
        let area = c.area();
        let exact = PI * r * r;
        assert!(area > 0.0, "counter-clockwise");
        assert!(
            (area / exact - 1.0).abs() < 0.005,
            "{n}: area {area} vs {exact}"
        );
        // Polygon inscribed in a circle: the area error shrinks with the cell.
        if n >= 256 {
            assert!(
                (area / exact - 1.0).abs() < 1e-3,
                "{n}: area {area} vs {exact}"
            );
        }
        assert_closed(&c, &grid);
        println!(
            "circle at {n}²: {} points, worst radial error {:.2e} ({:.2e} cells), area error {:.2e}",
            c.point_count(),
            worst,
            worst / h,
            area / exact - 1.0
        );
    }
}

#[test]
fn ring_outer_counter_clockwise_hole_clockwise() {
    let s = shape("abs(sqrt(x*x + y*y) - 0.6) - 0.25"); // radii 0.35 and 0.85
    let grid = Grid2::square(300);
    let c = contours(&s, &grid);
    assert_eq!(c.loops.len(), 2);
    let mut areas: Vec<f64> = c.loops.iter().map(|l| signed_area(l)).collect();
    areas.sort_by(f64::total_cmp);
    let (hole, outer) = (areas[0], areas[1]);
    assert!(
        (outer / (PI * 0.85 * 0.85) - 1.0).abs() < 1e-3,
        "outer {outer}"
    );
    assert!(
        (hole / (-PI * 0.35 * 0.35) - 1.0).abs() < 1e-3,
        "hole {hole}"
    );
    assert_closed(&c, &grid);
    assert_matches_mask(&s, &c, &grid);
    // An island in the hole runs counter-clockwise again.
    let s = shape("min(abs(sqrt(x*x + y*y) - 0.6) - 0.25, sqrt(x*x + y*y) - 0.15)");
    let c = contours(&s, &grid);
    let mut signs: Vec<bool> = c.loops.iter().map(|l| signed_area(l) > 0.0).collect();
    signs.sort();
    assert_eq!(signs, [false, true, true]);
    let exact = PI * (0.85f64.powi(2) - 0.35f64.powi(2) + 0.15f64.powi(2));
    assert!(
        (c.area() / exact - 1.0).abs() < 2e-3,
        "{} vs {exact}",
        c.area()
    );
}

/// The point of `c` nearest to `p`, and its distance.
fn nearest(c: &Contours, p: [f64; 2]) -> f64 {
    c.loops
        .iter()
        .flatten()
        .map(|q| (f64::from(q[0]) - p[0]).hypot(f64::from(q[1]) - p[1]))
        .fold(f64::INFINITY, f64::min)
}

#[test]
fn square_corners_are_exact() {
    // An axis-aligned rectangle off the lattice, and a rotated square.
    let (cx, cy, a, b) = (0.0123, -0.0311, 0.4321, 0.2789);
    // The same rectangle as the standard library's exact box, whose min
    // and max tie exactly on the boundary (zero gradient right there).
    let srcs = [
        format!("max(abs(x - {cx}) - {a}, abs(y - {cy}) - {b})"),
        format!("translate(box2({a}, {b}), {cx}, {cy})"),
    ];
    let mut worst = 0.0f64;
    for (src, n) in srcs.iter().flat_map(|s| [37, 128, 512].map(|n| (s, n))) {
        let s = shape(src);
        let grid = Grid2::square(n);
        let c = contours(&s, &grid);
        assert_eq!(c.loops.len(), 1);
        for (sx, sy) in [(1.0, 1.0), (-1.0, 1.0), (-1.0, -1.0), (1.0, -1.0)] {
            let corner = [cx + sx * a, cy + sy * b];
            let d = nearest(&c, corner);
            assert!(d < 1e-4, "{src} at {n}: corner {corner:?} missed by {d}");
            worst = worst.max(d);
        }
        // Every point is on the boundary.
        for p in &c.loops[0] {
            let (x, y) = (f64::from(p[0]) - cx, f64::from(p[1]) - cy);
            let f = (x.abs() - a).max(y.abs() - b);
            assert!(f.abs() < 1e-5, "{src}: {p:?} is {f} off the rectangle");
        }
        let area = c.area();
        assert!(
            (area / (4.0 * a * b) - 1.0).abs() < 1e-4,
            "{n}: area {area}"
        );
        assert_closed(&c, &grid);
    }
    println!("rectangle corners: worst miss {worst:.2e}");
    let t = 0.3f64; // radians
    let (ct, st) = (t.cos(), t.sin());
    let s = shape(&format!(
        "let u = {ct}*x + {st}*y; let v = -{st}*x + {ct}*y; max(abs(u), abs(v)) - 0.55"
    ));
    let grid = Grid2::square(200);
    let c = contours(&s, &grid);
    for (su, sv) in [(1.0, 1.0), (-1.0, 1.0), (-1.0, -1.0), (1.0, -1.0)] {
        let (u, v) = (0.55 * su, 0.55 * sv);
        let corner = [ct * u - st * v, st * u + ct * v];
        let d = nearest(&c, corner);
        assert!(d < 1e-4, "rotated corner {corner:?} missed by {d}");
        println!("rotated corner {corner:?}: missed by {d:.2e}");
    }
    assert!((c.area() / (1.1f64 * 1.1) - 1.0).abs() < 1e-4);
}

#[test]
fn shapes_leaving_the_region_are_capped() {
    // A disc centred on the right edge: half of it is inside the region.
    let s = shape("sqrt((x - 1)^2 + y*y) - 0.8");
    let grid = Grid2::square(256);
    let c = contours(&s, &grid);
    assert_eq!(c.loops.len(), 1);
    let exact = PI * 0.64 / 2.0;
    assert!(
        (c.area() / exact - 1.0).abs() < 1e-3,
        "{} vs {exact}",
        c.area()
    );
    // The cap's ends are where the circle meets x = 1.
    for y in [0.8, -0.8] {
        assert!(nearest(&c, [1.0, y]) < 1e-4, "cap corner at y = {y}");
    }
    assert_closed(&c, &grid);
    // Everything inside: the loop is the region's border.
    let c = contours(
        &shape("-1"),
        &Grid2::new(Bounds2::new(-2.0, 3.0, 0.0, 1.0).unwrap(), 50, 10),
    );
    assert_eq!(c.loops.len(), 1);
    assert!((c.area() - 5.0).abs() < 1e-5, "{}", c.area());
    for corner in [[-2.0, 0.0], [3.0, 0.0], [3.0, 1.0], [-2.0, 1.0]] {
        assert!(nearest(&c, corner) < 1e-5);
    }
    // Nothing inside: nothing.
    assert!(contours(&shape("1"), &Grid2::square(16)).loops.is_empty());
}

#[test]
fn saddles_and_thin_features_stay_closed() {
    // Checkerboard-like fields have saddle cells everywhere.
    let grid = Grid2::square(97);
    for src in [
        "sin(20*x + 0.1) * sin(20*y + 0.2)",
        "sin(31*x + 0.3) * sin(29*y) + 0.1",
        "abs(x - y) - 0.003",
        "min(sqrt(x*x + y*y) - 0.004, abs(y - 0.5) - 0.001)",
    ] {
        let s = shape(src);
        let c = contours(&s, &grid);
        assert!(!c.loops.is_empty(), "{src}");
        assert_closed(&c, &grid);
        assert_matches_mask(&s, &c, &grid);
    }
}

fn example_shapes() -> Vec<(String, Shape)> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/shapes/examples"));
    let mut v: Vec<(String, Shape)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("expr"))
        .map(|p| {
            let src = std::fs::read_to_string(&p).unwrap();
            (
                p.file_stem().unwrap().to_string_lossy().into_owned(),
                Shape::from_expr(&src).unwrap(),
            )
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn every_example_contours_closed_and_matches_its_render() {
    let grid = Grid2::square(192);
    let examples = example_shapes();
    assert!(examples.len() >= 16);
    for (name, s) in &examples {
        let c = s
            .contours(&grid, &EvalOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!c.loops.is_empty(), "{name}: no contour");
        assert_closed(&c, &grid);
        assert_matches_mask(s, &c, &grid);
        // Points are on the boundary (|f| / |∇f|, in cells): nearly all to a
        // hundredth of a cell, corners between curves and tangent contacts
        // (gear_pair's meshing teeth) within three quarters of one.
        let mut m = tapir::interp::Machine::<tapir::eval::Grad>::new();
        m.set_params(&s.resolve_params(&[]).unwrap());
        let offs: Vec<f64> = c
            .loops
            .iter()
            .flatten()
            .map(|p| {
                let v = [0, 1, 2].map(|a| tapir::eval::Grad::var([p[0], p[1], 0.0][a], a));
                let g = m.run(Dispatch::TailCall, s.reg_tape(), v, &mut []);
                let len = f64::from(g.dx).hypot(f64::from(g.dy));
                // Points on the region's edge cap the shape there.
                let edge = [p[0].abs(), p[1].abs()]
                    .iter()
                    .any(|&c| (c - 1.0).abs() < 1e-6);
                // (|f| under 1e-6: on the boundary, whatever the gradient)
                if edge || len == 0.0 || g.v.abs() < 1e-6 {
                    0.0
                } else {
                    f64::from(g.v.abs()) / len / cell(&grid)
                }
            })
            .collect();
        let worst = offs.iter().copied().fold(0.0, f64::max);
        let close = offs.iter().filter(|&&d| d <= 0.01).count() as f64 / offs.len() as f64;
        assert!(
            worst < 0.75,
            "{name}: a point {worst} cells off the boundary"
        );
        assert!(
            close >= 0.99,
            "{name}: only {close} of the points within 0.01 cells"
        );

        let inside = s
            .render_mask(&grid, &EvalOptions::default())
            .unwrap()
            .iter()
            .filter(|&&b| b)
            .count() as f64
            * cell(&grid).powi(2);
        // The area enclosed is the render's, to about a pixel per boundary pixel.
        let perimeter_cells = c.point_count() as f64;
        assert!(
            (c.area() - inside).abs() <= perimeter_cells * cell(&grid).powi(2),
            "{name}: area {} vs {inside}",
            c.area()
        );
        println!(
            "{name}: {} loops, {} points, area {:.4}, {:.2}% of points within 0.01 cells, farthest {worst:.3} cells off",
            c.loops.len(),
            c.point_count(),
            c.area(),
            100.0 * close
        );
    }
}

#[test]
fn pruned_equals_brute_force_for_every_dispatch_and_thread_count() {
    let grid = Grid2::new(Bounds2::new(-1.1, 0.9, -0.8, 1.2).unwrap(), 151, 139);
    for (name, s) in example_shapes().iter().step_by(4) {
        let reference = s
            .contours(
                &grid,
                &EvalOptions {
                    prune: false,
                    threads: 1,
                    dispatch: Dispatch::Match,
                    ..EvalOptions::default()
                },
            )
            .unwrap();
        for (dispatch, threads, prune) in [
            (Dispatch::TailCall, 1, true),
            (Dispatch::TailCall, 3, true),
            (Dispatch::Match, 2, true),
            (Dispatch::Trampoline, 2, true),
            (Dispatch::TailCall, 2, false),
        ] {
            let opts = EvalOptions {
                prune,
                threads,
                dispatch,
                ..EvalOptions::default()
            };
            let c = s.contours(&grid, &opts).unwrap();
            assert!(
                c == reference,
                "{name}: {dispatch:?}, {threads} threads, prune {prune} differs"
            );
        }
    }
}

#[test]
fn random_csg_contours_are_closed_and_match_the_mask() {
    let grid = Grid2::square(80);
    common::check("contour-csg", 48, common::csg(8), |csg| {
        let (g, root) = csg.build();
        let s = Shape::from_graph(&g, root);
        let pruned = s.contours(&grid, &EvalOptions::default()).unwrap();
        let brute = s
            .contours(
                &grid,
                &EvalOptions {
                    prune: false,
                    ..EvalOptions::default()
                },
            )
            .unwrap();
        prop_assert!(pruned == brute);
        assert_closed(&pruned, &grid);
        assert_matches_mask(&s, &pruned, &grid);
        Ok(())
    });
}

#[test]
fn parameters_and_z_are_used() {
    let s = shape("param r = 0.3 in [0, 1];\nsqrt(x*x + y*y + z*z) - r");
    let grid = Grid2::square(128);
    let area = |opts: EvalOptions| s.contours(&grid, &opts).unwrap().area();
    let a = area(EvalOptions::default());
    assert!((a / (PI * 0.09) - 1.0).abs() < 1e-3);
    let b = area(EvalOptions {
        params: vec![("r".into(), 0.6)],
        ..EvalOptions::default()
    });
    assert!((b / (PI * 0.36) - 1.0).abs() < 1e-3);
    let c = area(EvalOptions {
        z: 0.18,
        ..EvalOptions::default()
    });
    assert!((c / (PI * (0.09 - 0.0324)) - 1.0).abs() < 1e-3);
    let bad = s.contours(
        &grid,
        &EvalOptions {
            params: vec![("q".into(), 0.6)],
            ..EvalOptions::default()
        },
    );
    assert!(matches!(bad, Err(tapir::Error::Param(_))));
}

#[test]
fn svg_is_in_model_units_with_even_odd_fill() {
    let s = shape("abs(sqrt(x*x + y*y) - 0.5) - 0.2");
    let grid = Grid2::new(Bounds2::new(-2.0, 2.0, -1.0, 1.5).unwrap(), 200, 125);
    let c = contours(&s, &grid);
    let mut out = Vec::new();
    c.write_svg(&mut out).unwrap();
    let svg = String::from_utf8(out).unwrap();
    assert!(svg.contains(r#"viewBox="-2 -1.5 4 2.5""#), "{svg:.400}");
    assert!(svg.contains(r#"width="4mm" height="2.5mm""#));
    assert!(svg.contains(r#"transform="scale(1,-1)""#));
    assert!(svg.contains(r#"fill-rule="evenodd""#));
    assert_eq!(svg.matches("<path").count(), 1);
    // The path lists every point of every loop, each loop closed with Z.
    let d = &svg[svg.find(" d=\"").unwrap() + 4..];
    let d = &d[..d.find('"').unwrap()];
    assert_eq!(d.matches('Z').count(), c.loops.len());
    assert_eq!(d.matches('M').count(), c.loops.len());
    assert_eq!(d.matches('L').count(), c.point_count() - c.loops.len());
    let first = c.loops[0][0];
    assert!(d.starts_with(&format!("M{} {}L", first[0], first[1])));
}

#[test]
fn readme_example() {
    let washer = Shape::from_expr("difference(circle(0.8), circle(0.3))").unwrap();
    let c = washer
        .contours(&Grid2::square(256), &EvalOptions::default())
        .unwrap();
    assert_eq!(c.loops.len(), 2);
    let area = PI * (0.64 - 0.09);
    assert!((c.area() - area).abs() < 1e-4, "{} vs {area}", c.area());
}

#[test]
fn narrow_and_turned_corners_are_put_back() {
    // Wedges opening to -x with their apex off the lattice: for most sizes
    // and angles no sample of the apex's cell is inside, so the corner is
    // restored from the neighbours' tangent lines (checked on the shape).
    let (ax, ay) = (0.3011f64, 0.1013f64);
    for deg in [10.0f64, 20.0, 30.0, 45.0, 60.0, 75.0] {
        let (s, c) = (deg.to_radians().sin(), deg.to_radians().cos());
        let src = format!(
            "max(max({s}*(x - {ax}) + {c}*(y - {ay}), {s}*(x - {ax}) - {c}*(y - {ay})), -0.8 - x)"
        );
        let wedge = shape(&src);
        for n in [64, 100, 256, 333] {
            let grid = Grid2::square(n);
            let c = contours(&wedge, &grid);
            assert_eq!(c.loops.len(), 1);
            let d = nearest(&c, [ax, ay]) / cell(&grid);
            // The narrowest tip, and the bluntest corner, may stay a tenth
            // of a cell short.
            let allowed = if (15.0..70.0).contains(&deg) {
                1e-3
            } else {
                0.1
            };
            assert!(
                d < allowed,
                "half-angle {deg}° at {n}: apex missed by {d} cells"
            );
            assert_closed(&c, &grid);
            assert_matches_mask(&wedge, &c, &grid);
        }
    }
}
