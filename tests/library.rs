//! The standard library against geometry: every shape and operation of
//! `shapes/std/` is evaluated at sample points and compared with an
//! independent reference written here in f64 (distances to segments,
//! polygons, triangles and arcs; rotations from nalgebra), and every one
//! documented as exact or a bound is checked to be 1-Lipschitz on random
//! pairs of points (so it never overestimates the distance to its surface).
//!
//! Kinds of check, per case:
//! - `Exact`: the value is the reference distance, to 1e-5;
//! - `ExactOutside`: exact where the reference is positive; inside, the sign
//!   is right and the magnitude is at most the reference's (a bound);
//! - `Bound`: right sign, magnitude at most the reference distance;
//! - `SignOf`: the reference is only an inside/outside function (its sign),
//!   e.g. for the triply periodic surfaces; with the Lipschitz test this
//!   makes the value a bound of the surface;
//! - `Formula`: the value equals a reference formula (booleans of known
//!   shapes), to 1e-5;
//! - `Distorted`: equals the reference, but is not a distance (no Lipschitz
//!   test): twist and bend.

mod common;

use std::f64::consts::{FRAC_PI_2, PI};

use common::Rng;

use nalgebra::{Rotation3, Unit, Vector3};
use tapir::Shape;
use tapir::lang::stdlib_functions;

type P = [f64; 3];

// ---------------------------------------------------------------- geometry

fn hypot2(x: f64, y: f64) -> f64 {
    (x * x + y * y).sqrt()
}

fn norm3(p: P) -> f64 {
    (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt()
}

fn sub3(a: P, b: P) -> P {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn dot3(a: P, b: P) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross3(a: P, b: P) -> P {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// Distance from `p` to the segment `a`–`b` (any dimension up to 3).
fn seg3(p: P, a: P, b: P) -> f64 {
    let ab = sub3(b, a);
    let t = (dot3(sub3(p, a), ab) / dot3(ab, ab)).clamp(0.0, 1.0);
    norm3(sub3(
        p,
        [a[0] + ab[0] * t, a[1] + ab[1] * t, a[2] + ab[2] * t],
    ))
}

fn seg2(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    seg3([p[0], p[1], 0.0], [a[0], a[1], 0.0], [b[0], b[1], 0.0])
}

/// True if `p` is inside the polygon (ray casting, even-odd).
fn in_poly(pts: &[[f64; 2]], p: [f64; 2]) -> bool {
    let mut inside = false;
    let n = pts.len();
    for i in 0..n {
        let (a, b) = (pts[i], pts[(i + 1) % n]);
        if (a[1] > p[1]) != (b[1] > p[1]) {
            let xc = a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
            if p[0] < xc {
                inside = !inside;
            }
        }
    }
    inside
}

/// Signed distance to a polygon.
fn poly(pts: &[[f64; 2]], p: [f64; 2]) -> f64 {
    let n = pts.len();
    let d = (0..n)
        .map(|i| seg2(p, pts[i], pts[(i + 1) % n]))
        .fold(f64::INFINITY, f64::min);
    if in_poly(pts, p) { -d } else { d }
}

/// The points of a star: `n` tips at radius `r` (one up), notches at `ri`.
fn star_pts(r: f64, ri: f64, n: usize) -> Vec<[f64; 2]> {
    (0..2 * n)
        .map(|k| {
            let a = FRAC_PI_2 + k as f64 * PI / n as f64;
            let rad = if k % 2 == 0 { r } else { ri };
            [rad * a.cos(), rad * a.sin()]
        })
        .collect()
}

/// Signed distance to a box with half-sizes `h`, by clamping.
fn boxr(p: P, h: P) -> f64 {
    let q: Vec<f64> = (0..3).map(|i| p[i].abs()).collect();
    let inside = (0..3).all(|i| q[i] <= h[i]);
    if inside {
        -(0..3).map(|i| h[i] - q[i]).fold(f64::INFINITY, f64::min)
    } else {
        let c: Vec<f64> = (0..3).map(|i| q[i] - q[i].min(h[i])).collect();
        (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]).sqrt()
    }
}

fn box2r(p: [f64; 2], hx: f64, hy: f64) -> f64 {
    boxr([p[0], p[1], 0.0], [hx, hy, 1.0])
}

/// Distance from `p` to the arc of the circle (centre `c`, radius `r`)
/// between angles `a0` and `a1` (counterclockwise, radians).
fn arc_dist(p: [f64; 2], c: [f64; 2], r: f64, a0: f64, a1: f64) -> f64 {
    let (dx, dy) = (p[0] - c[0], p[1] - c[1]);
    let mut phi = dy.atan2(dx);
    while phi < a0 {
        phi += 2.0 * PI;
    }
    while phi > a0 + 2.0 * PI {
        phi -= 2.0 * PI;
    }
    if phi <= a1 {
        (hypot2(dx, dy) - r).abs()
    } else {
        let e0 = [c[0] + r * a0.cos(), c[1] + r * a0.sin()];
        let e1 = [c[0] + r * a1.cos(), c[1] + r * a1.sin()];
        hypot2(p[0] - e0[0], p[1] - e0[1]).min(hypot2(p[0] - e1[0], p[1] - e1[1]))
    }
}

/// Unsigned distance from `p` to the triangle `a b c`: to the plane where
/// `p` projects inside (barycentric coordinates), else to the nearest edge.
fn tri3(p: P, a: P, b: P, c: P) -> f64 {
    let n = cross3(sub3(b, a), sub3(c, a));
    let nn = dot3(n, n);
    let h = dot3(sub3(p, a), n) / nn;
    let q = sub3(p, [n[0] * h, n[1] * h, n[2] * h]);
    // Barycentric coordinates of the projection q.
    let area = |u: P, v: P, w: P| dot3(cross3(sub3(v, u), sub3(w, u)), n) / nn;
    let (la, lb, lc) = (area(q, b, c), area(a, q, c), area(a, b, q));
    if la >= 0.0 && lb >= 0.0 && lc >= 0.0 {
        (h * h * nn).sqrt()
    } else {
        seg3(p, a, b).min(seg3(p, b, c)).min(seg3(p, c, a))
    }
}

/// Distance to the ellipse with half-axes `a`, `b` (sign by the implicit
/// equation): the nearest of a dense sample of the first quadrant, refined
/// by golden-section search.
fn ellipse_ref(p: [f64; 2], a: f64, b: f64) -> f64 {
    let (u, v) = (p[0].abs(), p[1].abs());
    let d2 = |t: f64| (a * t.cos() - u).powi(2) + (b * t.sin() - v).powi(2);
    let n = 4000;
    let best = (0..=n)
        .map(|i| FRAC_PI_2 * i as f64 / n as f64)
        .min_by(|&s, &t| d2(s).total_cmp(&d2(t)))
        .unwrap();
    let (mut lo, mut hi) = (
        (best - FRAC_PI_2 / n as f64).max(0.0),
        (best + FRAC_PI_2 / n as f64).min(FRAC_PI_2),
    );
    for _ in 0..100 {
        let m1 = lo + (hi - lo) * 0.382;
        let m2 = lo + (hi - lo) * 0.618;
        if d2(m1) < d2(m2) {
            hi = m2;
        } else {
            lo = m1;
        }
    }
    let d = d2(0.5 * (lo + hi)).sqrt();
    if (u / a).powi(2) + (v / b).powi(2) < 1.0 {
        -d
    } else {
        d
    }
}

/// The signed distance to a convex polyhedron given by triangles (for the
/// distance) and by an inside test.
fn polyhedron(p: P, tris: &[[P; 3]], inside: bool) -> f64 {
    let d = tris
        .iter()
        .map(|t| tri3(p, t[0], t[1], t[2]))
        .fold(f64::INFINITY, f64::min);
    if inside { -d } else { d }
}

/// The meridian-plane coordinates of `p` about the y axis: (ρ, y).
fn meridian(p: P) -> [f64; 2] {
    [hypot2(p[0], p[2]), p[1]]
}

/// The convex hull of two discs on the y axis (centres (0, 0) and (0, h),
/// radii r1 and r2), mirrored in x: its signed distance, from its
/// boundary's arcs and tangent segments.
fn disc_hull(q: [f64; 2], r1: f64, r2: f64, h: f64) -> f64 {
    // The outer tangent's normal n = (c, s): n·(0,0) - r1 = n·(0,h) - r2.
    let s = (r1 - r2) / h;
    let c = (1.0 - s * s).sqrt();
    let t1 = [r1 * c, r1 * s];
    let t2 = [r2 * c, h + r2 * s];
    let m = |p: [f64; 2]| [-p[0], p[1]];
    let th = s.atan2(c); // angle of n
    let d = seg2(q, t1, t2)
        .min(seg2(q, m(t1), m(t2)))
        .min(arc_dist(q, [0.0, h], r2, th, PI - th))
        .min(arc_dist(q, [0.0, 0.0], r1, PI - th, 2.0 * PI + th));
    let inside = hypot2(q[0], q[1]) < r1
        || hypot2(q[0], q[1] - h) < r2
        || in_poly(&[t1, t2, m(t2), m(t1)], q);
    if inside { -d } else { d }
}

/// p rotated by `a` about `axis` (right-hand rule), with nalgebra.
fn rotated(p: P, axis: [f64; 3], a: f64) -> P {
    let r = Rotation3::from_axis_angle(&Unit::new_normalize(Vector3::from(axis)), a);
    let v = r * Vector3::from(p);
    [v.x, v.y, v.z]
}

// ---------------------------------------------------------------- cases

#[derive(Copy, Clone, Debug, PartialEq)]
enum Kind {
    Exact,
    ExactOutside,
    Bound,
    SignOf,
    Formula,
    Distorted,
}
use Kind::*;

struct Case {
    /// The program.
    src: String,
    kind: Kind,
    /// The reference at a point.
    reference: Box<dyn Fn(P) -> f64>,
    /// Half-size of the sampling box.
    extent: f64,
}

fn case(src: &str, kind: Kind, reference: impl Fn(P) -> f64 + 'static) -> Case {
    Case {
        src: src.to_string(),
        kind,
        reference: Box::new(reference),
        extent: 1.2,
    }
}

fn xy(p: P) -> [f64; 2] {
    [p[0], p[1]]
}

fn circ(p: [f64; 2], c: [f64; 2], r: f64) -> f64 {
    hypot2(p[0] - c[0], p[1] - c[1]) - r
}

fn sphere_at(p: P, c: P, r: f64) -> f64 {
    norm3(sub3(p, c)) - r
}

/// Every case; each public function of the library appears in at least one.
fn cases() -> Vec<Case> {
    let s3 = 3f64.sqrt();
    let mut v = vec![
        // ------------------------------------------------ 2D
        case("circle(0.6)", Exact, |p| hypot2(p[0], p[1]) - 0.6),
        case("box2(0.7, 0.3)", Exact, |p| box2r(xy(p), 0.7, 0.3)),
        case("rect(1.2, 0.5)", Exact, |p| box2r(xy(p), 0.6, 0.25)),
        case("rounded_box2(0.7, 0.4, 0.15)", Exact, |p| {
            box2r(xy(p), 0.55, 0.25) - 0.15
        }),
        case("rounded_rect(1, 0.6, 0.2)", Exact, |p| {
            box2r(xy(p), 0.3, 0.1) - 0.2
        }),
        case("segment(-0.5, -0.2, 0.6, 0.4, 0.1)", Exact, |p| {
            seg2(xy(p), [-0.5, -0.2], [0.6, 0.4]) - 0.1
        }),
        case(
            "polygon([[-0.6, -0.5], [0.7, -0.4], [0.2, 0.1], [0.5, 0.7], [-0.4, 0.3]])",
            Exact,
            |p| {
                poly(
                    &[
                        [-0.6, -0.5],
                        [0.7, -0.4],
                        [0.2, 0.1],
                        [0.5, 0.7],
                        [-0.4, 0.3],
                    ],
                    xy(p),
                )
            },
        ),
        // Clockwise order, and a polygon given by a `let`.
        case(
            "let pts = [[0.5, 0.5], [0.5, -0.5], [-0.5, -0.5], [-0.5, 0.5], [0, 0.2]];\npolygon(pts)",
            Exact,
            |p| {
                poly(
                    &[
                        [0.5, 0.5],
                        [0.5, -0.5],
                        [-0.5, -0.5],
                        [-0.5, 0.5],
                        [0.0, 0.2],
                    ],
                    xy(p),
                )
            },
        ),
        case("triangle(-0.6, -0.4, 0.7, -0.2, 0.1, 0.8)", Exact, |p| {
            poly(&[[-0.6, -0.4], [0.7, -0.2], [0.1, 0.8]], xy(p))
        }),
        case("triangle(0.1, 0.8, 0.7, -0.2, -0.6, -0.4)", Exact, |p| {
            poly(&[[-0.6, -0.4], [0.7, -0.2], [0.1, 0.8]], xy(p))
        }),
        case("equilateral_triangle(0.5)", Exact, move |p| {
            let r = 1.0 / s3; // circumradius of a side-1 triangle
            let pts: Vec<[f64; 2]> = [90.0f64, 210.0, 330.0]
                .iter()
                .map(|a| [r * a.to_radians().cos(), r * a.to_radians().sin()])
                .collect();
            poly(&pts, xy(p))
        }),
        case("ring(0.5, 0.1)", Exact, |p| {
            (hypot2(p[0], p[1]) - 0.5).abs() - 0.1
        }),
        case("star(0.8, 0.35, 5)", Exact, |p| {
            poly(&star_pts(0.8, 0.35, 5), xy(p))
        }),
        case("star(0.7, 0.5, 8)", Exact, |p| {
            poly(&star_pts(0.7, 0.5, 8), xy(p))
        }),
        case("star5(0.8, 0.4)", Exact, |p| {
            poly(&star_pts(0.8, 0.32, 5), xy(p))
        }),
        case("regular_polygon(0.7, 5)", Exact, |p| {
            let n = 5;
            let pts: Vec<[f64; 2]> = (0..n)
                .map(|k| {
                    let a = FRAC_PI_2 + k as f64 * 2.0 * PI / n as f64;
                    [0.7 * a.cos(), 0.7 * a.sin()]
                })
                .collect();
            poly(&pts, xy(p))
        }),
        case("regular_polygon(0.6, 3)", Exact, |p| {
            let pts: Vec<[f64; 2]> = (0..3)
                .map(|k| {
                    let a = FRAC_PI_2 + k as f64 * 2.0 * PI / 3.0;
                    [0.6 * a.cos(), 0.6 * a.sin()]
                })
                .collect();
            poly(&pts, xy(p))
        }),
        case("hexagon(0.5)", Exact, move |p| {
            let r = 0.5 * 2.0 / s3;
            let pts: Vec<[f64; 2]> = (0..6)
                .map(|k| {
                    let a = k as f64 * PI / 3.0;
                    [r * a.cos(), r * a.sin()]
                })
                .collect();
            poly(&pts, xy(p))
        }),
        case("arc(0.6, 2.2, 0.08)", Exact, |p| {
            arc_dist(xy(p), [0.0, 0.0], 0.6, FRAC_PI_2 - 2.2, FRAC_PI_2 + 2.2) - 0.08
        }),
        case("arc(0.5, 0.7, 0.1)", Exact, |p| {
            arc_dist(xy(p), [0.0, 0.0], 0.5, FRAC_PI_2 - 0.7, FRAC_PI_2 + 0.7) - 0.1
        }),
        case("ellipse(0.8, 0.4)", Exact, |p| ellipse_ref(xy(p), 0.8, 0.4)),
        case("ellipse(0.3, 0.9)", Exact, |p| ellipse_ref(xy(p), 0.3, 0.9)),
        case("ellipse(0.5, 0.5)", Exact, |p| hypot2(p[0], p[1]) - 0.5),
        case("vesica(0.8, 0.5)", Exact, |p| {
            // Two arcs: the circle at (-d, 0) gives the right side.
            let (r, d) = (0.8f64, 0.5f64);
            let half = (d / r).acos();
            let q = xy(p);
            let dist = arc_dist(q, [-d, 0.0], r, -half, half).min(arc_dist(
                q,
                [d, 0.0],
                r,
                PI - half,
                PI + half,
            ));
            let inside = circ(q, [-d, 0.0], r) < 0.0 && circ(q, [d, 0.0], r) < 0.0;
            if inside { -dist } else { dist }
        }),
        case("cross(0.7, 0.2)", Exact, |p| {
            let (l, t) = (0.7, 0.2);
            let pts = [
                [t, t],
                [l, t],
                [l, -t],
                [t, -t],
                [t, -l],
                [-t, -l],
                [-t, -t],
                [-l, -t],
                [-l, t],
                [-t, t],
                [-t, l],
                [t, l],
            ];
            poly(&pts, xy(p))
        }),
        case("rounded_x(1.2, 0.1)", ExactOutside, |p| {
            let q = xy(p);
            seg2(q, [-0.6, -0.6], [0.6, 0.6]).min(seg2(q, [-0.6, 0.6], [0.6, -0.6])) - 0.1
        }),
        // ------------------------------------------------ 3D
        case("sphere(0.7)", Exact, |p| norm3(p) - 0.7),
        case("box(0.6, 0.4, 0.3)", Exact, |p| boxr(p, [0.6, 0.4, 0.3])),
        case("rounded_box(0.6, 0.4, 0.3, 0.1)", Exact, |p| {
            boxr(p, [0.5, 0.3, 0.2]) - 0.1
        }),
        case("box_frame(0.6, 0.5, 0.4, 0.05)", ExactOutside, |p| {
            // Twelve bars, each a box 0.1 thick along one axis.
            let h = [0.6, 0.5, 0.4];
            let e = 0.05;
            let mut d = f64::INFINITY;
            for axis in 0..3 {
                for sa in [-1.0, 1.0] {
                    for sb in [-1.0, 1.0] {
                        let (i, j) = ((axis + 1) % 3, (axis + 2) % 3);
                        let mut c = [0.0; 3];
                        let mut half = [0.0; 3];
                        half[axis] = h[axis];
                        c[i] = sa * (h[i] - e);
                        c[j] = sb * (h[j] - e);
                        half[i] = e;
                        half[j] = e;
                        d = d.min(boxr(sub3(p, c), half));
                    }
                }
            }
            d
        }),
        case("cylinder(0.5, 0.7)", Exact, |p| {
            box2r(meridian(p), 0.5, 0.7)
        }),
        case("rounded_cylinder(0.5, 0.7, 0.15)", Exact, |p| {
            box2r(meridian(p), 0.35, 0.55) - 0.15
        }),
        case(
            "capsule(-0.4, -0.5, 0.2, 0.5, 0.4, -0.3, 0.2)",
            Exact,
            |p| seg3(p, [-0.4, -0.5, 0.2], [0.5, 0.4, -0.3]) - 0.2,
        ),
        case("cone(0.6, 0.25, 0.7)", Exact, |p| {
            poly(
                &[[-0.6, -0.7], [0.6, -0.7], [0.25, 0.7], [-0.25, 0.7]],
                meridian(p),
            )
        }),
        case("cone(0.5, 0, 0.6)", Exact, |p| {
            poly(&[[-0.5, -0.6], [0.5, -0.6], [0.0, 0.6]], meridian(p))
        }),
        case("rounded_cone(0.4, 0.15, 0.8)", Exact, |p| {
            disc_hull(meridian(p), 0.4, 0.15, 0.8)
        }),
        case("rounded_cone(0.2, 0.35, 0.6)", Exact, |p| {
            disc_hull(meridian(p), 0.2, 0.35, 0.6)
        }),
        case("torus(0.6, 0.2)", Exact, |p| {
            hypot2(hypot2(p[0], p[2]) - 0.6, p[1]) - 0.2
        }),
        case("capped_torus(0.6, 0.15, 2.2)", Exact, |p| {
            // The arc of radius 0.6 in the xz plane within 2.2 rad of +x.
            let (r, a) = (0.6f64, 2.2f64);
            let phi = p[2].atan2(p[0]);
            let d = if phi.abs() <= a {
                hypot2(hypot2(p[0], p[2]) - r, p[1])
            } else {
                let e = [r * a.cos(), 0.0, r * a.sin()];
                norm3(sub3(p, e)).min(norm3(sub3(p, [e[0], 0.0, -e[2]])))
            };
            d - 0.15
        }),
        case("link(0.3, 0.4, 0.1)", Exact, |p| {
            // A stadium-shaped curve in the xy plane, then a tube around it.
            let (l, r) = (0.3f64, 0.4f64);
            let segs = seg3(p, [r, -l, 0.0], [r, l, 0.0]).min(seg3(p, [-r, -l, 0.0], [-r, l, 0.0]));
            let arc = |cy: f64, up: bool| {
                let (dx, dy) = (p[0], p[1] - cy);
                if (dy >= 0.0) == up {
                    hypot2(hypot2(dx, dy) - r, p[2])
                } else {
                    f64::INFINITY
                }
            };
            segs.min(arc(l, true)).min(arc(-l, false)) - 0.1
        }),
        case("ellipsoid(0.8, 0.5, 0.3)", SignOf, |p| {
            (p[0] / 0.8).powi(2) + (p[1] / 0.5).powi(2) + (p[2] / 0.3).powi(2) - 1.0
        }),
        case("ellipsoid(0.5, 0.5, 0.5)", Exact, |p| norm3(p) - 0.5),
        case("octahedron(0.8)", Exact, |p| {
            let s = 0.8;
            let mut tris = Vec::new();
            for sx in [-s, s] {
                for sy in [-s, s] {
                    for sz in [-s, s] {
                        tris.push([[sx, 0.0, 0.0], [0.0, sy, 0.0], [0.0, 0.0, sz]]);
                    }
                }
            }
            let inside = p[0].abs() + p[1].abs() + p[2].abs() < s;
            polyhedron(p, &tris, inside)
        }),
        case("pyramid(0.5, 0.9)", Exact, |p| {
            let (b, h) = (0.5, 0.9);
            let apex = [0.0, h, 0.0];
            let c = [[b, 0.0, b], [-b, 0.0, b], [-b, 0.0, -b], [b, 0.0, -b]];
            let mut tris: Vec<[P; 3]> = (0..4).map(|i| [c[i], c[(i + 1) % 4], apex]).collect();
            tris.push([c[0], c[1], c[2]]);
            tris.push([c[0], c[2], c[3]]);
            let inside = p[1] > 0.0
                && (0..4).all(|i| {
                    let n = cross3(sub3(c[(i + 1) % 4], c[i]), sub3(apex, c[i]));
                    dot3(n, sub3(p, c[i])) * dot3(n, sub3([0.0, 0.1, 0.0], c[i])) > 0.0
                });
            polyhedron(p, &tris, inside)
        }),
        case("plane(1, 2, -2, 0.3)", Exact, |p| {
            (p[0] + 2.0 * p[1] - 2.0 * p[2]) / 3.0 + 0.3
        }),
        case("slab(0, 3, 4, 0.2)", Exact, |p| {
            ((3.0 * p[1] + 4.0 * p[2]) / 5.0).abs() - 0.2
        }),
        case("gyroid(0.8)", SignOf, |p| {
            let k = 2.0 * PI / 0.8;
            let (x, y, z) = (k * p[0], k * p[1], k * p[2]);
            x.sin() * y.cos() + y.sin() * z.cos() + z.sin() * x.cos()
        }),
        case("schwarz_p(0.9)", SignOf, |p| {
            let k = 2.0 * PI / 0.9;
            (k * p[0]).cos() + (k * p[1]).cos() + (k * p[2]).cos()
        }),
        case("diamond(1.1)", SignOf, |p| {
            let k = 2.0 * PI / 1.1;
            let (x, y, z) = (k * p[0], k * p[1], k * p[2]);
            x.sin() * y.sin() * z.sin()
                + x.sin() * y.cos() * z.cos()
                + x.cos() * y.sin() * z.cos()
                + x.cos() * y.cos() * z.sin()
        }),
    ];
    v.extend(operation_cases());
    v
}

/// The booleans, modifiers and transforms, applied to known shapes.
fn operation_cases() -> Vec<Case> {
    let a = |p: P| circ(xy(p), [-0.2, 0.0], 0.5);
    let b = |p: P| box2r([p[0] - 0.3, p[1] - 0.1], 0.35, 0.45);
    let (sa, sb) = (
        "translate(circle(0.5), -0.2, 0)",
        "translate(box2(0.35, 0.45), 0.3, 0.1)",
    );
    let smin = |a: f64, b: f64, k: f64| {
        // The quadratic smooth minimum in its other usual form.
        let h = (0.5 + 0.5 * (b - a) / k).clamp(0.0, 1.0);
        b + (a - b) * h - k * h * (1.0 - h)
    };
    let bin = |f: &str| format!("{f}({sa}, {sb})");
    let bin_k = |f: &str, k: f64| format!("{f}({sa}, {sb}, {k})");
    let mut v = vec![
        // ------------------------------------------------ booleans
        case(&bin("union"), Formula, move |p| a(p).min(b(p))),
        case(&bin("intersection"), Formula, move |p| a(p).max(b(p))),
        case(&bin("difference"), Formula, move |p| a(p).max(-b(p))),
        case(&bin("xor"), Formula, move |p| {
            a(p).min(b(p)).max(-a(p).max(b(p)))
        }),
        case(&bin_k("smooth_union", 0.2), Formula, move |p| {
            smin(a(p), b(p), 0.2)
        }),
        case(&bin_k("smooth_intersection", 0.2), Formula, move |p| {
            -smin(-a(p), -b(p), 0.2)
        }),
        case(&bin_k("smooth_difference", 0.2), Formula, move |p| {
            -smin(-a(p), b(p), 0.2)
        }),
        case(&bin_k("chamfer_union", 0.15), Formula, move |p| {
            a(p).min(b(p)).min((a(p) + b(p) - 0.15) * 0.5)
        }),
        case(&bin_k("chamfer_intersection", 0.15), Formula, move |p| {
            a(p).max(b(p)).max((a(p) + b(p) + 0.15) * 0.5)
        }),
        case(&bin_k("chamfer_difference", 0.15), Formula, move |p| {
            a(p).max(-b(p)).max((a(p) - b(p) + 0.15) * 0.5)
        }),
        // Union of two touching-free discs is exact outside.
        case(
            "union(translate(circle(0.3), -0.5, 0), translate(circle(0.3), 0.5, 0))",
            ExactOutside,
            |p| circ(xy(p), [-0.5, 0.0], 0.3).min(circ(xy(p), [0.5, 0.0], 0.3)),
        ),
        // ------------------------------------------------ modifiers
        case("offset(box2(0.5, 0.3), 0.1)", Exact, |p| {
            box2r(xy(p), 0.5, 0.3) - 0.1
        }),
        case("offset(box2(0.5, 0.3), -0.1)", Bound, |p| {
            box2r(xy(p), 0.4, 0.2)
        }),
        case("rounded(star(0.7, 0.3, 5), 0.05)", Exact, |p| {
            poly(&star_pts(0.7, 0.3, 5), xy(p)) - 0.05
        }),
        case("dilate(segment(-0.5, 0, 0.5, 0, 0), 0.2)", Exact, |p| {
            seg2(xy(p), [-0.5, 0.0], [0.5, 0.0]) - 0.2
        }),
        case("erode(box2(0.6, 0.4), 0.15)", Bound, |p| {
            box2r(xy(p), 0.45, 0.25)
        }),
        case("onion(circle(0.5), 0.1)", Exact, |p| {
            (hypot2(p[0], p[1]) - 0.5).abs() - 0.1
        }),
        case("shell(box2(0.6, 0.4), 0.1)", ExactOutside, |p| {
            box2r(xy(p), 0.6, 0.4).max(-box2r(xy(p), 0.5, 0.3))
        }),
        case("elongate(circle(0.3), 0.4, 0, 0)", Exact, |p| {
            seg2(xy(p), [-0.4, 0.0], [0.4, 0.0]) - 0.3
        }),
        case("elongate(sphere(0.3), 0.2, 0.3, 0.1)", ExactOutside, |p| {
            boxr(p, [0.2, 0.3, 0.1]) - 0.3
        }),
        case("twist(box(0.3, 0.8, 0.3), 1.5)", Distorted, |p| {
            let q = rotated(p, [0.0, 1.0, 0.0], -1.5 * p[1]);
            boxr(q, [0.3, 0.8, 0.3])
        }),
        case("bend(box2(0.8, 0.1), 0.8)", Distorted, |p| {
            let q = rotated(p, [0.0, 0.0, 1.0], 0.8 * p[0]);
            box2r(xy(q), 0.8, 0.1)
        }),
        case("extrude(circle(0.5), 0.2)", Exact, |p| {
            box2r([hypot2(p[0], p[1]), p[2]], 0.5, 0.2)
        }),
        case("extrude(star(0.7, 0.3, 5), 0.3)", Exact, |p| {
            let d = poly(&star_pts(0.7, 0.3, 5), xy(p));
            let w = p[2].abs() - 0.3;
            if d > 0.0 && w > 0.0 {
                hypot2(d, w)
            } else {
                d.max(w)
            }
        }),
        case("revolve(box2(0.1, 0.3), 0.5)", Exact, |p| {
            box2r([hypot2(p[0], p[2]) - 0.5, p[1]], 0.1, 0.3)
        }),
        case("revolve(circle(0.15), 0.5)", Exact, |p| {
            hypot2(hypot2(p[0], p[2]) - 0.5, p[1]) - 0.15
        }),
        // ------------------------------------------------ transforms
        case("translate(star(0.5, 0.2, 6), 0.3, -0.2)", Exact, |p| {
            poly(&star_pts(0.5, 0.2, 6), [p[0] - 0.3, p[1] + 0.2])
        }),
        case(
            "translate3(box(0.3, 0.2, 0.4), 0.2, -0.3, 0.1)",
            Exact,
            |p| boxr(sub3(p, [0.2, -0.3, 0.1]), [0.3, 0.2, 0.4]),
        ),
        case("scale(hexagon(0.3), 2)", Exact, |p| {
            let r = 0.6 * 2.0 / 3f64.sqrt();
            let pts: Vec<[f64; 2]> = (0..6)
                .map(|k| {
                    [
                        r * (k as f64 * PI / 3.0).cos(),
                        r * (k as f64 * PI / 3.0).sin(),
                    ]
                })
                .collect();
            poly(&pts, xy(p))
        }),
        case("scale3(sphere(1), 0.8, 0.5, 0.3)", SignOf, |p| {
            (p[0] / 0.8).powi(2) + (p[1] / 0.5).powi(2) + (p[2] / 0.3).powi(2) - 1.0
        }),
        case("rotate(box2(0.6, 0.2), 0.5)", Exact, |p| {
            let q = rotated(p, [0.0, 0.0, 1.0], -0.5);
            box2r(xy(q), 0.6, 0.2)
        }),
        case("rotate_x(box(0.2, 0.6, 0.3), 0.7)", Exact, |p| {
            boxr(rotated(p, [1.0, 0.0, 0.0], -0.7), [0.2, 0.6, 0.3])
        }),
        case("rotate_y(box(0.2, 0.6, 0.3), 0.7)", Exact, |p| {
            boxr(rotated(p, [0.0, 1.0, 0.0], -0.7), [0.2, 0.6, 0.3])
        }),
        case("rotate_z(box(0.2, 0.6, 0.3), 0.7)", Exact, |p| {
            boxr(rotated(p, [0.0, 0.0, 1.0], -0.7), [0.2, 0.6, 0.3])
        }),
        case(
            "rotate_axis(box(0.2, 0.6, 0.3), 1, 2, -1, 0.9)",
            Exact,
            |p| boxr(rotated(p, [1.0, 2.0, -1.0], -0.9), [0.2, 0.6, 0.3]),
        ),
        case("mirror_x(translate(circle(0.2), 0.5, 0.1))", Exact, |p| {
            circ(xy(p), [0.5, 0.1], 0.2).min(circ(xy(p), [-0.5, 0.1], 0.2))
        }),
        case("mirror_y(translate(circle(0.2), 0.1, 0.5))", Exact, |p| {
            circ(xy(p), [0.1, 0.5], 0.2).min(circ(xy(p), [0.1, -0.5], 0.2))
        }),
        case(
            "mirror_z(translate3(sphere(0.2), 0.1, 0, 0.5))",
            Exact,
            |p| sphere_at(p, [0.1, 0.0, 0.5], 0.2).min(sphere_at(p, [0.1, 0.0, -0.5], 0.2)),
        ),
        case(
            "mirror(translate3(sphere(0.2), 0.4, 0.5, 0.1), 1, 1, 0)",
            Exact,
            |p| sphere_at(p, [0.4, 0.5, 0.1], 0.2).min(sphere_at(p, [-0.5, -0.4, 0.1], 0.2)),
        ),
        // A disc straddling x = 0: its right half and that half mirrored
        // make the union of the disc and its mirror image.
        case(
            "mirror_x(translate(circle(0.3), 0.1, 0))",
            ExactOutside,
            |p| circ(xy(p), [0.1, 0.0], 0.3).min(circ(xy(p), [-0.1, 0.0], 0.3)),
        ),
        case(
            "symmetry(translate3(sphere(0.2), 0.5, 0.4, 0.3))",
            Exact,
            |p| {
                let mut d = f64::INFINITY;
                for sx in [-1.0, 1.0] {
                    for sy in [-1.0, 1.0] {
                        for sz in [-1.0, 1.0] {
                            d = d.min(sphere_at(p, [0.5 * sx, 0.4 * sy, 0.3 * sz], 0.2));
                        }
                    }
                }
                d
            },
        ),
        case("repeat(circle(0.15), 0.5, 0.4)", Exact, |p| {
            let c = [(p[0] / 0.5).round() * 0.5, (p[1] / 0.4).round() * 0.4];
            circ(xy(p), c, 0.15)
        }),
        case("repeat(box2(0.1, 0.15), 0.5, 0.4)", Exact, |p| {
            let mut d = f64::INFINITY;
            for i in -4..=4 {
                for j in -4..=4 {
                    d = d.min(box2r(
                        [p[0] - i as f64 * 0.5, p[1] - j as f64 * 0.4],
                        0.1,
                        0.15,
                    ));
                }
            }
            d
        }),
        case("repeat3(sphere(0.1), 0.4, 0.5, 0.3)", Exact, |p| {
            let c = [
                (p[0] / 0.4).round() * 0.4,
                (p[1] / 0.5).round() * 0.5,
                (p[2] / 0.3).round() * 0.3,
            ];
            sphere_at(p, c, 0.1)
        }),
        case("repeat_limited(circle(0.1), 0.3, 0.4, 2, 1)", Exact, |p| {
            let mut d = f64::INFINITY;
            for i in -2..=2 {
                for j in -1..=1 {
                    d = d.min(circ(xy(p), [i as f64 * 0.3, j as f64 * 0.4], 0.1));
                }
            }
            d
        }),
        case(
            "repeat_limited3(sphere(0.1), 0.3, 0.4, 0.5, 1, 2, 1)",
            Exact,
            |p| {
                let mut d = f64::INFINITY;
                for i in -1..=1 {
                    for j in -2..=2 {
                        for k in -1..=1 {
                            let c = [i as f64 * 0.3, j as f64 * 0.4, k as f64 * 0.5];
                            d = d.min(sphere_at(p, c, 0.1));
                        }
                    }
                }
                d
            },
        ),
        case(
            "repeat_polar(translate(circle(0.12), 0.6, 0), 7)",
            Exact,
            |p| {
                (0..7)
                    .map(|k| {
                        let a = k as f64 * 2.0 * PI / 7.0;
                        circ(xy(p), [0.6 * a.cos(), 0.6 * a.sin()], 0.12)
                    })
                    .fold(f64::INFINITY, f64::min)
            },
        ),
        case(
            "repeat_polar_y(translate3(sphere(0.15), 0.6, 0.1, 0), 9)",
            Exact,
            |p| {
                (0..9)
                    .map(|k| {
                        let a = k as f64 * 2.0 * PI / 9.0;
                        sphere_at(p, [0.6 * a.cos(), 0.1, 0.6 * a.sin()], 0.15)
                    })
                    .fold(f64::INFINITY, f64::min)
            },
        ),
    ];
    for c in &mut v {
        if c.src.contains("repeat3") || c.src.contains("repeat_limited3") {
            c.extent = 1.0;
        }
    }
    v
}

// ---------------------------------------------------------------- checking

/// The point as f32 (what is evaluated) and back, so that references see
/// exactly the evaluated point.
fn f32_point(p: P) -> ([f32; 3], P) {
    let q = p.map(|c| c as f32);
    (q, q.map(f64::from))
}

/// Sample points: random in the case's box, plus points at and near the
/// surface found by bisection between random points of opposite sign.
fn samples(c: &Case, rng: &mut Rng) -> Vec<P> {
    let mut pts: Vec<P> = (0..400).map(|_| rng.point(c.extent)).collect();
    let mut tries = 0;
    let mut near = 0;
    while near < 200 && tries < 4000 {
        tries += 1;
        let (p, q) = (rng.point(c.extent), rng.point(c.extent));
        let (fp, fq) = ((c.reference)(p), (c.reference)(q));
        if fp.signum() == fq.signum() {
            continue;
        }
        let (mut lo, mut hi) = (p, q);
        for _ in 0..50 {
            let m = [
                0.5 * (lo[0] + hi[0]),
                0.5 * (lo[1] + hi[1]),
                0.5 * (lo[2] + hi[2]),
            ];
            if (c.reference)(m).signum() == fp.signum() {
                lo = m;
            } else {
                hi = m;
            }
        }
        let d = rng.direction();
        for eps in [0.0, 1e-3, -1e-3, 0.02, -0.02] {
            pts.push([lo[0] + eps * d[0], lo[1] + eps * d[1], lo[2] + eps * d[2]]);
        }
        near += 1;
    }
    pts
}

fn compile(src: &str) -> Shape {
    Shape::from_expr(src).unwrap_or_else(|e| panic!("{}", e.render(src)))
}

/// Checks one case's values against its reference; returns the failures.
fn check_values(c: &Case, shape: &Shape, rng: &mut Rng) -> Vec<String> {
    const TOL: f64 = 1e-5;
    let mut bad = Vec::new();
    for p in samples(c, rng) {
        let (q, p) = f32_point(p);
        let v = f64::from(shape.eval_point(q[0], q[1], q[2]));
        let r = (c.reference)(p);
        let ok = match c.kind {
            Exact | Formula | Distorted => (v - r).abs() <= TOL,
            ExactOutside if r > 0.0 => (v - r).abs() <= TOL,
            ExactOutside | Bound => {
                let sign_ok = r.abs() < TOL || v.signum() == r.signum();
                sign_ok && v.abs() <= r.abs() + TOL
            }
            SignOf => r.abs() < 1e-3 || v.signum() == r.signum(),
        };
        if !ok && bad.len() < 5 {
            bad.push(format!("{}: at {p:?} value {v}, reference {r}", c.src));
        }
    }
    bad
}

/// Checks |f(p) - f(q)| <= |p - q| on random pairs, near and far apart.
fn check_lipschitz(c: &Case, shape: &Shape, rng: &mut Rng) -> Vec<String> {
    let mut bad = Vec::new();
    for i in 0..600 {
        let delta = [1e-3, 1e-2, 0.1, 0.6][i % 4];
        let p = rng.point(c.extent);
        let d = rng.direction();
        let (pf, p) = f32_point(p);
        let (qf, q) = f32_point([
            p[0] + delta * d[0],
            p[1] + delta * d[1],
            p[2] + delta * d[2],
        ]);
        let fp = f64::from(shape.eval_point(pf[0], pf[1], pf[2]));
        let fq = f64::from(shape.eval_point(qf[0], qf[1], qf[2]));
        let dist = norm3(sub3(p, q));
        if (fp - fq).abs() > dist * (1.0 + 1e-4) + 4e-6 && bad.len() < 5 {
            bad.push(format!(
                "{}: |f({p:?}) - f({q:?})| = {} > {dist}",
                c.src,
                (fp - fq).abs()
            ));
        }
    }
    bad
}

#[test]
fn every_case_matches_its_reference() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut failures = Vec::new();
    let all = cases();
    for c in &all {
        let shape = compile(&c.src);
        failures.extend(check_values(c, &shape, &mut rng));
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(all.len() > 80, "only {} cases", all.len());
}

#[test]
fn exact_and_bounded_functions_are_1_lipschitz() {
    let mut rng = Rng(0x5eed_1234_abcd_0002);
    let mut failures = Vec::new();
    let mut checked = 0;
    for c in cases().iter().filter(|c| c.kind != Distorted) {
        let shape = compile(&c.src);
        failures.extend(check_lipschitz(c, &shape, &mut rng));
        checked += 1;
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 80);
}

/// The name of the function a case's program calls last (its outermost
/// call in the shape expression).
fn outer_function(src: &str) -> &str {
    let shape = src.lines().last().unwrap_or(src);
    shape.split('(').next().unwrap_or("").trim()
}

#[test]
fn every_library_function_is_checked_and_classified() {
    let cases = cases();
    for f in stdlib_functions() {
        if f.name.starts_with('_') || f.file == "std/math.expr" {
            continue;
        }
        let call = format!("{}(", f.name);
        let used: Vec<&Case> = cases
            .iter()
            .filter(|c| {
                c.src.match_indices(&call).any(|(i, _)| {
                    i == 0
                        || !c.src.as_bytes()[i - 1].is_ascii_alphanumeric()
                            && c.src.as_bytes()[i - 1] != b'_'
                })
            })
            .collect();
        assert!(!used.is_empty(), "no test case uses `{}`", f.name);
        // The doc line says what the value is, and the cases agree.
        let doc = f.doc.to_lowercase();
        let exact = doc.contains("exact");
        let bound = doc.contains("bound");
        let distorted = doc.contains("not a distance");
        assert!(
            exact || bound || distorted,
            "`{}`'s doc does not say exact, bound or not a distance: {}",
            f.name,
            f.doc
        );
        for c in used.iter().filter(|c| outer_function(&c.src) == f.name) {
            let agrees = match c.kind {
                Exact => doc.contains("exact"),
                ExactOutside | Bound | SignOf | Formula => bound,
                Distorted => distorted,
            };
            assert!(
                agrees,
                "`{}` is documented as {:?} but tested as {:?}",
                f.name, f.doc, c.kind
            );
        }
    }
}

#[test]
fn every_function_has_a_working_example() {
    for f in stdlib_functions() {
        assert!(
            f.example.contains(&format!("{}(", f.name)),
            "`{}` has no example using it: {:?}",
            f.name,
            f.example
        );
        let shape = compile(&f.example);
        let (mut inside, mut outside) = (0, 0);
        for j in 0..32 {
            for i in 0..32 {
                let x = -1.0 + (i as f32 + 0.5) / 16.0;
                let y = -1.0 + (j as f32 + 0.5) / 16.0;
                let v = shape.eval_point(x, y, 0.0);
                assert!(!v.is_nan(), "{}: NaN at ({x}, {y})", f.example);
                if v < 0.0 {
                    inside += 1;
                } else {
                    outside += 1;
                }
            }
        }
        assert!(
            inside > 0 && outside > 0,
            "{}: {inside} inside, {outside} outside",
            f.example
        );
    }
}
