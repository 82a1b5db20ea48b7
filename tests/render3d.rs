//! 3D rendering and voxel grids: depths against analytic values, normals
//! of flat faces, views (rotation and perspective) against hand-computed
//! cases, pruned = brute force bit for bit for every dispatch style and
//! thread count, the pictures, and the memory budget.

mod common;

use common::{Csg3, check, csg3};
use nalgebra::{Rotation3, Vector3};
use proptest::prelude::*;
use tapir::render::shade::{self, Shading};
use tapir::render::{Bounds3, EvalOptions, Frame3d, Geometry, Grid3, View};
use tapir::{Dispatch, Error, Shape};

fn opts() -> EvalOptions {
    EvalOptions::default()
}

fn ball(r: f32) -> Shape {
    Shape::from_expr(&format!("sqrt(x^2 + y^2 + z^2) - {r}")).unwrap()
}

/// Image-space centre of pixel column `i` (or row `j`, with `flip`) of an
/// `n`-pixel side spanning [-1, 1].
fn centre(i: usize, n: usize, flip: bool) -> f64 {
    let c = -1.0 + (2.0 * i as f64 + 1.0) / n as f64;
    if flip { -c } else { c }
}

/// Depth and hit set of a sphere of radius 0.6 at 256², against the exact
/// ray intersection: within a quarter of a depth sample everywhere.
#[test]
fn sphere_depth_is_accurate_to_a_quarter_voxel() {
    let n = 256;
    let r = 0.6f64;
    let g = ball(r as f32)
        .render3d(&Frame3d::square(n), &opts())
        .unwrap();
    let (mut worst, mut hits, mut silhouette_misses) = (0.0f64, 0, 0);
    for j in 0..n {
        for i in 0..n {
            let (u, v) = (centre(i, n, false), centre(j, n, true));
            let rho2 = u * u + v * v;
            match g.hit(i, j) {
                Some(w) => {
                    assert!(rho2 < r * r, "pixel {i},{j} hit outside the disc");
                    let exact = (r * r - rho2).sqrt();
                    let err = (f64::from(w) - exact).abs() * n as f64 / 2.0;
                    worst = worst.max(err);
                    hits += 1;
                }
                // Only where the sphere's chord along the ray is shorter
                // than two samples can the samples miss it.
                None if rho2 < r * r => {
                    let chord = 2.0 * (r * r - rho2).sqrt();
                    assert!(
                        chord < 4.0 / n as f64,
                        "pixel {i},{j} missed (chord {chord})"
                    );
                    silhouette_misses += 1;
                }
                None => {}
            }
        }
    }
    eprintln!(
        "{hits} hits, worst depth error {worst:.4} voxel, {silhouette_misses} silhouette misses"
    );
    assert!(worst < 0.25, "worst depth error {worst} voxels");
    // The disc covers π r² of the 2 × 2 picture.
    let disc = std::f64::consts::PI * r * r * (n as f64 / 2.0).powi(2);
    assert!(
        (hits as f64 / disc - 1.0).abs() < 0.01,
        "{hits} hits, disc {disc}"
    );
}

/// The faces of a box seen obliquely: every normal is one of the three
/// visible face normals, in camera axes, to 1e-4 — but for a few pixels on
/// the silhouette edges, whose gradient just inside belongs to a hidden face
/// and whose normal is estimated from their neighbours (to a few degrees).
#[test]
fn box_faces_have_axis_normals() {
    let shape = Shape::from_expr("max(abs(x) - 0.5, abs(y) - 0.4, abs(z) - 0.3)").unwrap();
    let view = View {
        yaw: 30.0,
        pitch: 20.0,
        ..View::default()
    };
    let frame = Frame3d {
        view,
        ..Frame3d::square(128)
    };
    let g = shape.render3d(&frame, &opts()).unwrap();
    // Camera axes of the model's +x, +y and +z face normals: Rᵀ e.
    let r = view.rotation();
    let faces: Vec<Vector3<f64>> = [Vector3::x(), Vector3::y(), Vector3::z()]
        .iter()
        .map(|e| r.inverse() * e)
        .collect();
    let mut counts = [0usize; 3];
    let mut estimated = 0;
    for (n, w) in g.normals.iter().zip(&g.hits) {
        if w.is_nan() {
            continue;
        }
        let n = Vector3::new(n[0] as f64, n[1] as f64, n[2] as f64);
        let (k, err) = faces
            .iter()
            .enumerate()
            .map(|(k, f)| (k, (n - f).norm()))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap();
        if err >= 1e-4 {
            assert!(
                err < 0.1,
                "normal {n:?} is {err} from the nearest face normal"
            );
            estimated += 1;
        } else {
            counts[k] += 1;
        }
    }
    // All three faces are in view; edge estimates are rare.
    assert!(counts.iter().all(|&c| c > 500), "{counts:?}");
    assert!(estimated <= 8, "{estimated} normals off the faces");
}

/// A sphere at the origin looks the same from every direction: depth maps
/// agree to a voxel and hit the same pixels (up to a few on the rim).
#[test]
fn sphere_is_the_same_from_every_side() {
    let n = 96;
    let shape = ball(0.7);
    let base = shape.render3d(&Frame3d::square(n), &opts()).unwrap();
    for (yaw, pitch, roll) in [
        (30.0, 0.0, 0.0),
        (0.0, 45.0, 0.0),
        (0.0, 0.0, 60.0),
        (123.0, -37.0, 211.0),
    ] {
        let frame = Frame3d {
            view: View {
                yaw,
                pitch,
                roll,
                ..View::default()
            },
            ..Frame3d::square(n)
        };
        let g = shape.render3d(&frame, &opts()).unwrap();
        let mut rim = 0;
        for (a, b) in base.hits.iter().zip(&g.hits) {
            match (a.is_nan(), b.is_nan()) {
                (false, false) => {
                    let d = (base.in_samples(*a) - g.in_samples(*b)).abs();
                    assert!(
                        d <= 1.0,
                        "view {yaw},{pitch},{roll}: depths differ by {d} voxels"
                    );
                }
                (true, true) => {}
                _ => rim += 1,
            }
        }
        assert!(
            rim <= 8,
            "view {yaw},{pitch},{roll}: {rim} pixels hit in one view only"
        );
    }
}

/// Perspective, by hand: with strength s = 0.5 the eye is at z = 2. A ball
/// of radius 0.5 at the origin is met on the axis at model z = 0.5, which is
/// image depth w = r / (1 - s·r) = 2/3; its silhouette is the cone from the
/// eye tangent to the ball (sin α = r / 2), which crosses the plane z = 0 at
/// radius 2·tan α = 0.5164 (orthographic: 0.5).
#[test]
fn perspective_matches_a_hand_computed_case() {
    let n = 256;
    let frame = Frame3d {
        view: View {
            perspective: 0.5,
            ..View::default()
        },
        ..Frame3d::square(n)
    };
    // The view maps the image point (0, 0, 2/3) to the model point (0, 0, 0.5).
    let p = frame.view.to_model([0.0, 0.0, 2.0 / 3.0]);
    assert!((p[2] - 0.5).abs() < 1e-12, "{p:?}");
    let g = ball(0.5).render3d(&frame, &opts()).unwrap();
    let mid = n / 2;
    // The centre of pixel (mid, mid) is half a pixel off the axis; the depth
    // there differs from 2/3 by far less than a voxel.
    let w = g.hit(mid, mid).unwrap();
    assert!(
        (f64::from(w) - 2.0 / 3.0).abs() * n as f64 / 2.0 < 0.25,
        "centre depth {w}"
    );
    let normal = g.normals[mid * n + mid];
    assert!(normal[2] > 0.9999, "centre normal {normal:?}");
    let alpha = (0.5f64 / 2.0).asin();
    let edge = 2.0 * alpha.tan();
    for j in 0..n {
        for i in 0..n {
            let rho = centre(i, n, false).hypot(centre(j, n, true));
            if rho < edge - 0.02 {
                assert!(g.hit(i, j).is_some(), "pixel {i},{j} (ρ {rho}) should hit");
            } else if rho > edge + 0.02 {
                assert!(g.hit(i, j).is_none(), "pixel {i},{j} (ρ {rho}) should miss");
            }
        }
    }
    // Orthographic shows the ball smaller: a pixel at ρ = 0.508 hits only
    // with perspective.
    let ortho = ball(0.5).render3d(&Frame3d::square(n), &opts()).unwrap();
    let i = (0..n)
        .find(|&i| (centre(i, n, false) - 0.508).abs() < 0.004)
        .unwrap();
    let j = (0..n).find(|&j| centre(j, n, true).abs() < 0.004).unwrap();
    assert!(g.hit(i, j).is_some() && ortho.hit(i, j).is_none());
}

/// The geometry as bits, for exact comparisons.
fn bits(g: &Geometry) -> Vec<u32> {
    g.hits
        .iter()
        .map(|w| w.to_bits())
        .chain(g.normals.iter().flatten().map(|c| c.to_bits()))
        .collect()
}

/// Pruned renders equal brute force bit for bit, for every dispatch style
/// and thread count, on random 3D CSG shapes and random views.
#[test]
fn pruned_3d_equals_brute_force() {
    check(
        "render3d pruned = brute",
        60,
        (
            csg3(7),
            -180.0f64..180.0,
            -89.0f64..89.0,
            0.0f64..0.6,
            24usize..48,
        ),
        |(c, yaw, pitch, persp, n): (Csg3, f64, f64, f64, usize)| {
            let (g, root) = c.build();
            let shape = Shape::from_graph(&g, root);
            let frame = Frame3d {
                width: n,
                height: n + 5,
                depth: n + 3,
                view: View {
                    yaw,
                    pitch,
                    perspective: persp,
                    ..View::default()
                },
            };
            let small = EvalOptions {
                voxel_tile_sizes: vec![16, 8],
                ..opts()
            };
            let brute = shape
                .render3d(
                    &frame,
                    &EvalOptions {
                        prune: false,
                        threads: 1,
                        ..small.clone()
                    },
                )
                .unwrap();
            let want = bits(&brute);
            for d in Dispatch::ALL {
                for threads in [1, 3] {
                    let o = EvalOptions {
                        dispatch: d,
                        threads,
                        ..small.clone()
                    };
                    let got = shape.render3d(&frame, &o).unwrap();
                    prop_assert!(
                        bits(&got) == want,
                        "{d}, {threads} threads differ from brute force"
                    );
                }
            }
            // The default tile sizes give the same result too.
            let got = shape.render3d(&frame, &opts()).unwrap();
            prop_assert!(bits(&got) == want, "default tiles differ");
            Ok(())
        },
    );
}

/// Every normal is a unit vector (never NaN), and every hit is inside the
/// view volume, on the examples.
#[test]
fn normals_are_unit_vectors_on_the_examples() {
    for name in ["colonnade", "organic", "gyroid_sphere", "csg3d"] {
        let path = format!("{}/shapes/examples/{name}.expr", env!("CARGO_MANIFEST_DIR"));
        let shape = Shape::from_expr(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let frame = Frame3d {
            view: View {
                yaw: 25.0,
                pitch: 20.0,
                ..View::default()
            },
            ..Frame3d::square(96)
        };
        let g = shape.render3d(&frame, &opts()).unwrap();
        assert!(g.covered() > 96 * 96 / 10, "{name}: {} hits", g.covered());
        for (n, w) in g.normals.iter().zip(&g.hits) {
            if w.is_nan() {
                assert_eq!(*n, [0.0; 3]);
                continue;
            }
            assert!((-1.0..=1.0).contains(w), "{name}: depth {w}");
            let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
            assert!((len - 1.0).abs() < 1e-5, "{name}: normal {n:?}");
        }
    }
}

/// Voxel values equal point evaluation at the voxel centres, pruned or not,
/// for any thread count and dispatch style.
#[test]
fn voxels_equal_brute_force() {
    check(
        "eval_voxels = brute",
        30,
        (csg3(6), 5usize..24, 5usize..24, 5usize..24),
        |(c, nx, ny, nz): (Csg3, usize, usize, usize)| {
            let (g, root) = c.build();
            let shape = Shape::from_graph(&g, root);
            let grid = Grid3::new(
                Bounds3::new([-1.0, 1.2], [-0.9, 1.0], [-1.1, 0.8]).unwrap(),
                nx,
                ny,
                nz,
            );
            let small = EvalOptions {
                voxel_tile_sizes: vec![8, 4, 2],
                ..opts()
            };
            let brute = shape
                .eval_voxels(
                    &grid,
                    &EvalOptions {
                        prune: false,
                        ..small.clone()
                    },
                )
                .unwrap();
            for k in 0..nz {
                for j in 0..ny {
                    for i in 0..nx {
                        let want = shape.eval_point(grid.x(i), grid.y(j), grid.z(k));
                        let got = brute[grid.index(i, j, k)];
                        prop_assert!(
                            common::same(got, want),
                            "voxel {i},{j},{k}: {got} vs {want}"
                        );
                    }
                }
            }
            for d in Dispatch::ALL {
                for threads in [1, 2, 5] {
                    let o = EvalOptions {
                        dispatch: d,
                        threads,
                        ..small.clone()
                    };
                    let v = shape.eval_voxels(&grid, &o).unwrap();
                    let same = v.iter().zip(&brute).all(|(a, b)| common::same(*a, *b));
                    prop_assert!(same, "{d}, {threads} threads");
                }
            }
            Ok(())
        },
    );
}

/// The picture makers: depth levels follow the formula, normals map to
/// colours, and the shaded picture keeps the shape (warm) apart from the
/// background (cool); ambient occlusion darkens, never brightens.
#[test]
fn pictures() {
    let g = ball(0.5).render3d(&Frame3d::square(64), &opts()).unwrap();
    let depth = shade::depth_image(&g);
    for (d, w) in depth.iter().zip(&g.hits) {
        if w.is_nan() {
            assert_eq!(*d, 0);
        } else {
            let want = (65535.0 * (f64::from(*w) + 1.0) / 2.0).round().max(1.0);
            assert_eq!(f64::from(*d), want);
        }
    }
    let normals = shade::normal_image(&g);
    for (p, (n, w)) in g.normals.iter().zip(&g.hits).enumerate() {
        let rgb = &normals[p * 3..p * 3 + 3];
        if w.is_nan() {
            assert_eq!(rgb, &[0, 0, 0]);
        } else {
            for c in 0..3 {
                let want = ((f64::from(n[c]) + 1.0) / 2.0 * 255.0).round();
                assert_eq!(f64::from(rgb[c]), want, "pixel {p}");
            }
        }
    }
    // The middle of the ball faces the viewer: blue.
    let centre = (32 * 64 + 32) * 3;
    assert!(normals[centre + 2] >= 254 && (normals[centre] as i32 - 128).abs() <= 5);

    let shape = Shape::from_expr(
        "min(max(abs(x) - 0.6, abs(y + 0.3) - 0.1, abs(z) - 0.6), \
             sqrt(x^2 + (y - 0.1)^2 + z^2) - 0.35)",
    )
    .unwrap();
    let frame = Frame3d {
        view: View {
            pitch: 35.0,
            yaw: 20.0,
            ..View::default()
        },
        ..Frame3d::square(128)
    };
    let g = shape.render3d(&frame, &opts()).unwrap();
    let plain = shade::shaded_image(
        &g,
        &Shading {
            ssao: false,
            threads: 1,
        },
    );
    let ao = shade::shaded_image(
        &g,
        &Shading {
            ssao: true,
            threads: 3,
        },
    );
    let (mut darker, mut total_plain, mut total_ao) = (0, 0u64, 0u64);
    for (p, w) in g.hits.iter().enumerate() {
        let (a, b) = (&plain[p * 3..p * 3 + 3], &ao[p * 3..p * 3 + 3]);
        if w.is_nan() {
            assert!(a[2] > a[0], "background pixel {p} is not cool: {a:?}");
            assert_eq!(a, b, "ambient occlusion changed the background");
        } else {
            assert!(
                a[0] > a[2] && b[0] > b[2],
                "shape pixel {p} is not warm: {a:?} {b:?}"
            );
            assert!(b[0] <= a[0], "ambient occlusion brightened pixel {p}");
            darker += usize::from(b[0] < a[0]);
            total_plain += u64::from(a[0]);
            total_ao += u64::from(b[0]);
        }
    }
    // The crease where the ball meets the slab is darkened.
    assert!(
        darker > 200 && total_ao < total_plain,
        "{darker} pixels darker"
    );
}

/// Requests over the memory budget are refused before allocating, with a
/// message that names the size; bad views and depths are refused too.
#[test]
fn limits() {
    let shape = ball(0.5);
    let small = EvalOptions {
        memory_budget: Some(1 << 20),
        ..opts()
    };
    let frame = Frame3d::square(1024);
    match shape.render3d(&frame, &small) {
        Err(Error::Limit(m)) => assert!(m.contains("1024×1024×1024") && m.contains("MiB"), "{m}"),
        other => panic!("expected a limit error, got {other:?}"),
    }
    // A 2048³ grid of f32 is 32 GiB: refused at once, whatever the budget.
    match shape.eval_voxels(&Grid3::cube(2048), &opts()) {
        Err(Error::Limit(m)) => assert!(m.contains("2048×2048×2048"), "{m}"),
        other => panic!("expected a limit error, got {other:?}"),
    }
    // Sizes whose product overflows are refused, not wrapped.
    let huge = Grid3::new(Bounds3::default(), usize::MAX / 2, 4, 4);
    assert!(matches!(
        shape.eval_voxels(&huge, &opts()),
        Err(Error::Limit(_))
    ));
    let bad = Frame3d {
        depth: 0,
        ..Frame3d::square(8)
    };
    assert!(matches!(
        shape.render3d(&bad, &opts()),
        Err(Error::Limit(_))
    ));
    for view in [
        View {
            perspective: 0.95,
            ..View::default()
        },
        View {
            scale: 0.0,
            ..View::default()
        },
        View {
            yaw: f64::NAN,
            ..View::default()
        },
    ] {
        let f = Frame3d {
            view,
            ..Frame3d::square(8)
        };
        assert!(
            matches!(shape.render3d(&f, &opts()), Err(Error::Limit(_))),
            "{view:?}"
        );
    }
    // Empty pictures and grids are fine.
    let empty = Frame3d {
        width: 0,
        ..Frame3d::square(8)
    };
    assert_eq!(shape.render3d(&empty, &opts()).unwrap().covered(), 0);
    assert!(
        shape
            .eval_voxels(&Grid3::cube(0), &opts())
            .unwrap()
            .is_empty()
    );
}

/// A view's rotation: yaw turns about y, pitch raises the eye, roll turns
/// the picture; the matrix is centre + scale · R.
#[test]
fn view_axes() {
    let v = View {
        center: Vector3::new(1.0, 2.0, 3.0),
        scale: 2.0,
        yaw: 90.0,
        ..View::default()
    };
    // Nearest the viewer at the image centre: 2 units towards +x.
    let p = v.to_model([0.0, 0.0, 1.0]);
    assert!((p[0] - 3.0).abs() < 1e-12 && (p[1] - 2.0).abs() < 1e-12 && (p[2] - 3.0).abs() < 1e-12);
    let up = View {
        pitch: 90.0,
        ..View::default()
    };
    // Looking straight down: the viewer is above, image up is −z.
    let eye = up.to_model([0.0, 0.0, 1.0]);
    let top = up.to_model([0.0, 1.0, 0.0]);
    assert!((eye[1] - 1.0).abs() < 1e-12, "{eye:?}");
    assert!((top[2] + 1.0).abs() < 1e-12, "{top:?}");
    let rolled = View {
        roll: 90.0,
        ..View::default()
    };
    // The camera rolled a quarter turn counter-clockwise: the image's right
    // is model +y (the scene appears turned clockwise).
    let right = rolled.to_model([1.0, 0.0, 0.0]);
    assert!((right[1] - 1.0).abs() < 1e-12, "{right:?}");
    let r = Rotation3::from_axis_angle(&Vector3::y_axis(), std::f64::consts::FRAC_PI_2);
    assert!((v.rotation().matrix() - r.matrix()).norm() < 1e-12);
}

/// A shape cut by the near face of the view volume shows the cut: depth 1
/// and a normal towards the viewer. A field that does not depend on depth
/// (a 2D shape, an infinite prism along the view) is all cut: its 3D render
/// is its 2D mask at the near face, whatever the depth resolution.
#[test]
fn near_face_cuts() {
    let disc = Shape::from_expr("sqrt(x^2 + y^2) - 0.5").unwrap();
    let n = 64;
    let mask = disc
        .render_mask(&tapir::render::Grid2::square(n), &opts())
        .unwrap();
    for depth in [1, 7, 64, 1000] {
        let frame = Frame3d {
            depth,
            ..Frame3d::square(n)
        };
        for prune in [true, false] {
            let g = disc
                .render3d(&frame, &EvalOptions { prune, ..opts() })
                .unwrap();
            for (p, inside) in mask.iter().enumerate() {
                if *inside {
                    assert_eq!(
                        (g.hits[p], g.normals[p]),
                        (1.0, [0.0, 0.0, 1.0]),
                        "pixel {p}"
                    );
                } else {
                    assert!(g.hits[p].is_nan(), "pixel {p}");
                }
            }
        }
    }
    // A ball larger than the view volume: cut in the middle, round nearer
    // its rim (where it passes behind the face).
    let big = ball(1.2);
    let g = big.render3d(&Frame3d::square(n), &opts()).unwrap();
    let centre = (n / 2) * n + n / 2;
    assert_eq!((g.hits[centre], g.normals[centre]), (1.0, [0.0, 0.0, 1.0]));
    // At ρ ≈ 0.9 the ball's surface is at w = sqrt(1.44 - 0.81) ≈ 0.79.
    let i = (0..n)
        .find(|&i| (centre_of(i, n) - 0.9).abs() < 0.02)
        .unwrap();
    let w = g.hit(i, n / 2).unwrap();
    let rho = centre_of(i, n).hypot(centre_of(n / 2, n));
    assert!(
        (f64::from(w) - (1.44 - rho * rho).sqrt()).abs() < 0.01,
        "{w}"
    );
}

fn centre_of(i: usize, n: usize) -> f64 {
    centre(i, n, false)
}

/// Bands of rows rendered apart ([`Shape::render3d_rows`], as the web
/// viewer's workers do) equal the same rows of the full render bit for bit,
/// on random CSG shapes and views, for bands cut anywhere.
#[test]
fn bands_equal_the_full_render() {
    check(
        "render3d bands = full",
        40,
        (
            csg3(6),
            -180.0f64..180.0,
            -89.0f64..89.0,
            0.0f64..0.6,
            20usize..40,
            prop::collection::vec(1usize..40, 1..6),
        ),
        |(c, yaw, pitch, persp, n, cuts): (Csg3, f64, f64, f64, usize, Vec<usize>)| {
            let (g, root) = c.build();
            let shape = Shape::from_graph(&g, root);
            let frame = Frame3d {
                width: n + 3,
                height: n,
                depth: n,
                view: View {
                    yaw,
                    pitch,
                    perspective: persp,
                    ..View::default()
                },
            };
            let o = EvalOptions {
                voxel_tile_sizes: vec![16, 8],
                threads: 1,
                ..opts()
            };
            let full = shape.render3d(&frame, &o).unwrap();
            let mut start = 0;
            let mut ends: Vec<usize> = cuts.iter().map(|c| c % n).collect();
            ends.push(n);
            ends.sort_unstable();
            for end in ends {
                let band = shape.render3d_rows(&frame, start..end, &o).unwrap();
                let w = frame.width;
                let want = Geometry {
                    height: end - start,
                    hits: full.hits[start * w..end * w].to_vec(),
                    normals: full.normals[start * w..end * w].to_vec(),
                    ..full.clone()
                };
                prop_assert!(bits(&band) == bits(&want), "rows {start}..{end} differ");
                prop_assert_eq!(band.height, end - start);
                start = end;
            }
            Ok(())
        },
    );
}

/// Bands also match where normals are estimated from the neighbouring
/// rows (a field flat inside has no gradient at its hits), on the heavy
/// example too; a row range outside the frame is refused.
#[test]
fn bands_equal_the_full_render_with_estimated_normals() {
    let flat = Shape::from_expr("max(sqrt(x^2 + y^2 + z^2) - 0.6, 0) - 0.001").unwrap();
    let path = format!(
        "{}/shapes/examples/colonnade.expr",
        env!("CARGO_MANIFEST_DIR")
    );
    let colonnade = Shape::from_expr(&std::fs::read_to_string(path).unwrap()).unwrap();
    for (shape, n) in [(&flat, 40), (&colonnade, 72)] {
        let frame = Frame3d {
            view: View {
                yaw: 30.0,
                pitch: 20.0,
                scale: 1.25,
                ..View::default()
            },
            ..Frame3d::square(n)
        };
        let full = shape.render3d(&frame, &opts()).unwrap();
        // The flat field's hits all lack a gradient: most normals were
        // estimated, and they are not all the same.
        if std::ptr::eq(shape, &flat) {
            let tilted = full.normals.iter().filter(|m| m[2] < 0.95 && m[2] > 0.0);
            assert!(tilted.count() > 100);
        }
        for band in [1, 7, 16, 64] {
            for start in (0..n).step_by(band) {
                let end = (start + band).min(n);
                let g = shape.render3d_rows(&frame, start..end, &opts()).unwrap();
                let (a, b) = (start * n, end * n);
                let same = g.hits.len() == b - a
                    && g.hits
                        .iter()
                        .zip(&full.hits[a..b])
                        .all(|(x, y)| x.to_bits() == y.to_bits())
                    && g.normals == full.normals[a..b];
                assert!(same, "rows {start}..{end} of {n} (bands of {band}) differ");
            }
        }
    }
    let frame = Frame3d::square(16);
    let err = flat.render3d_rows(&frame, 10..17, &opts()).unwrap_err();
    assert!(err.to_string().contains("16 rows"), "{err}");
    let empty = flat.render3d_rows(&frame, 5..5, &opts()).unwrap();
    assert_eq!((empty.height, empty.hits.len()), (0, 0));
}

/// A leaf cell's pruned tape is used for the refinement between its top
/// sample and the sample above it, so the cell must be bounded up to that
/// sample. Here `f = max(a, b)` with `b` below `a` everywhere in the cell
/// that holds the hit but above it just over the cell's top sample: bounding
/// only the cell would prune `b` away and put the hit where `a` alone
/// crosses, 0.4 voxel too near.
#[test]
fn cells_are_bounded_up_to_the_sample_above() {
    let n = 64;
    let step = 2.0 / n as f64;
    // Sample 39 (of 0..64, far to near) is the top of an 8-deep leaf cell.
    let top = -1.0 + (2.0 * 39.0 + 1.0) / n as f64;
    let (t, c) = (top + 0.3 * step, top + 0.7 * step);
    let shape = Shape::from_expr(&format!("max(z - {c}, (z - {c}) + 100 * (z - {t}))")).unwrap();
    let exact = (c + 100.0 * t) / 101.0;
    for tiles in [vec![64, 32, 16, 8], vec![64, 8]] {
        for prune in [true, false] {
            let options = EvalOptions {
                prune,
                voxel_tile_sizes: tiles.clone(),
                ..opts()
            };
            let g = shape.render3d(&Frame3d::square(n), &options).unwrap();
            for (p, &w) in g.hits.iter().enumerate() {
                assert!(
                    (f64::from(w) - exact).abs() < 0.02 * step,
                    "tiles {tiles:?}, prune {prune}, pixel {p}: hit at {w}, surface at {exact}"
                );
            }
        }
    }
}
