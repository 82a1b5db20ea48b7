//! The mesher, verified by the mesh checker: closed, manifold, consistently
//! oriented meshes without self-intersections, of the right volume and
//! genus, with vertices on the surface and sharp corners where they are.

mod common;

use std::f64::consts::PI;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize};

use proptest::prelude::*;
use tapir::mesh::check::{Report, check, nearest_vertex, surface_distance};
use tapir::mesh::{Mesh, MeshSettings, capped};
use tapir::render::{Bounds3, EvalOptions};
use tapir::{Dispatch, Error, Shape};

fn shape(src: &str) -> Shape {
    Shape::from_expr(src).unwrap_or_else(|e| panic!("{}", e.render("test")))
}

fn settings(depth: u32) -> MeshSettings {
    MeshSettings {
        depth,
        ..MeshSettings::default()
    }
}

/// Meshes and checks; panics with the report unless the mesh is clean.
fn clean(s: &Shape, set: &MeshSettings, what: &str) -> (Mesh, Report) {
    let mesh = s.mesh(set).unwrap();
    let r = check(&mesh);
    assert!(r.is_clean(), "{what}: {r:?}");
    (mesh, r)
}

fn cell(set: &MeshSettings) -> f64 {
    set.cell_size()[0]
}

#[test]
fn sphere_is_closed_genus_zero_and_accurate() {
    let s = shape("sqrt(x^2 + y^2 + z^2) - 0.7");
    let set = settings(7);
    let (mesh, r) = clean(&s, &set, "sphere");
    assert_eq!(r.euler, 2, "{r:?}");
    let exact = 4.0 / 3.0 * PI * 0.7f64.powi(3);
    assert!(
        (r.volume / exact - 1.0).abs() < 0.005,
        "volume {} vs {exact}",
        r.volume
    );
    let d = surface_distance(&s, &mesh);
    assert!(d < 0.1 * cell(&set), "vertex {d} from the surface");
    // Normals: unit, pointing outwards.
    for (p, n) in mesh.vertices.iter().zip(&mesh.normals) {
        let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
        assert!((len - 1.0).abs() < 1e-4);
        assert!(
            p[0] * n[0] + p[1] * n[1] + p[2] * n[2] > 0.0,
            "normal {n:?} at {p:?}"
        );
    }
}

#[test]
fn torus_has_genus_one() {
    let s = shape("sqrt((sqrt(x^2 + y^2) - 0.6)^2 + z^2) - 0.25");
    let set = settings(7);
    let (mesh, r) = clean(&s, &set, "torus");
    assert_eq!(r.euler, 0, "{r:?}");
    let exact = 2.0 * PI * PI * 0.6 * 0.25 * 0.25;
    assert!(
        (r.volume / exact - 1.0).abs() < 0.005,
        "volume {} vs {exact}",
        r.volume
    );
    assert!(surface_distance(&s, &mesh) < 0.1 * cell(&set));
}

#[test]
fn box_corners_are_exact_and_its_mesh_small() {
    let (hx, hy, hz) = (0.5, 0.3, 0.4);
    let src = format!("max(abs(x - 0.1) - {hx}, abs(y + 0.05) - {hy}, abs(z - 0.02) - {hz})");
    let s = shape(&src);
    let set = settings(8);
    let (mesh, r) = clean(&s, &set, "box");
    assert_eq!(r.euler, 2);
    let exact = 8.0 * hx * hy * hz;
    assert!(
        (r.volume / exact - 1.0).abs() < 0.005,
        "volume {} vs {exact}",
        r.volume
    );
    for c in 0..8 {
        let p = [
            0.1 + if c & 1 == 1 { hx } else { -hx },
            -0.05 + if c & 2 == 2 { hy } else { -hy },
            0.02 + if c & 4 == 4 { hz } else { -hz },
        ];
        let d = nearest_vertex(&mesh, p);
        assert!(d < 1e-3, "corner {p:?}: nearest vertex {d} away");
    }
    assert!(surface_distance(&s, &mesh) < 0.1 * cell(&set));
    assert!(
        mesh.triangles.len() < 1000,
        "{} triangles",
        mesh.triangles.len()
    );
    // Without merging: the same box, many more triangles.
    let fine = s
        .mesh(&MeshSettings {
            tolerance: 0.0,
            ..settings(6)
        })
        .unwrap();
    assert!(check(&fine).is_clean());
    assert!(fine.triangles.len() > 10 * mesh.triangles.len() / 4);
}

#[test]
fn shapes_leaving_the_region_are_capped() {
    // Everything below z = 0.3: the region's lower part, a box.
    let half = shape("z - 0.3");
    let set = settings(6);
    let (mesh, r) = clean(&half, &set, "half space");
    assert_eq!(r.euler, 2);
    let exact = 2.0 * 2.0 * 1.3;
    assert!(
        (r.volume / exact - 1.0).abs() < 1e-4,
        "volume {} vs {exact}",
        r.volume
    );
    for &z in &[-1.0, 0.3] {
        assert!(nearest_vertex(&mesh, [1.0, 1.0, z]) < 1e-4);
        assert!(nearest_vertex(&mesh, [-1.0, 1.0, z]) < 1e-4);
    }
    // Half a ball, cut by the region at z = 0: the analytic volume.
    let ball = shape("sqrt(x^2 + y^2 + z^2) - 0.8");
    let set = MeshSettings {
        bounds: Bounds3::new([-1.0, 1.0], [-1.0, 1.0], [0.0, 1.0]).unwrap(),
        ..settings(7)
    };
    let (mesh, r) = clean(&ball, &set, "half ball");
    assert_eq!(r.euler, 2);
    let exact = 2.0 / 3.0 * PI * 0.8f64.powi(3);
    assert!(
        (r.volume / exact - 1.0).abs() < 0.005,
        "volume {} vs {exact}",
        r.volume
    );
    assert!(mesh.vertices.iter().all(|v| v[2] >= 0.0));
    // A ball larger than the region, in off-centre bounds.
    let ball = shape("sqrt(x^2 + y^2 + z^2) - 1.2");
    let set = MeshSettings {
        bounds: Bounds3::new([-0.5, 1.0], [-1.0, 1.0], [0.0, 2.0]).unwrap(),
        ..settings(5)
    };
    let (mesh, r) = clean(&ball, &set, "ball beyond the region");
    assert_eq!(r.euler, 2);
    // Where the ball meets two faces of the cap at a shallow angle (34°
    // to the y face) the QEF drops the weakest direction: within 0.2 cells.
    let c = capped(&ball, &set);
    let d = surface_distance(&c, &mesh);
    assert!(d < 0.2 * cell(&set), "vertex {d} from the capped surface");
    // Everything inside: the capped region itself.
    let all = shape("-1");
    let (_, r) = clean(&all, &settings(4), "everything");
    assert!((r.volume / 8.0 - 1.0).abs() < 1e-5, "volume {}", r.volume);
    // Nothing: an empty mesh.
    assert!(shape("1").mesh(&settings(4)).unwrap().is_empty());
}

/// A union, a difference and a blend: the shape for the equivalence tests.
const CSG: &str = "let a = sqrt((x - 0.2)^2 + y^2 + z^2) - 0.5;\n\
                   let b = max(abs(x + 0.3) - 0.3, abs(y - 0.1) - 0.4, abs(z) - 0.35);\n\
                   let c = sqrt(x^2 + (y - 0.3)^2 + (z - 0.2)^2) - 0.25;\n\
                   max(min(a, b), -c)";

#[test]
fn pruned_equals_brute_force() {
    let s = shape(CSG);
    for depth in [4, 6] {
        let set = settings(depth);
        let pruned = clean(&s, &set, "pruned").0;
        let brute = s
            .mesh(&MeshSettings {
                eval: EvalOptions {
                    prune: false,
                    ..EvalOptions::default()
                },
                ..set.clone()
            })
            .unwrap();
        assert!(pruned == brute, "depth {depth}: pruning changes the mesh");
    }
}

#[test]
fn every_dispatch_and_thread_count_gives_the_same_mesh() {
    let s = shape(CSG);
    let one = |dispatch: Dispatch, threads: usize| {
        s.mesh(&MeshSettings {
            eval: EvalOptions {
                dispatch,
                threads,
                ..EvalOptions::default()
            },
            ..settings(6)
        })
        .unwrap()
    };
    let reference = one(Dispatch::default(), 1);
    assert!(check(&reference).is_clean());
    for d in Dispatch::ALL {
        for threads in [1, 2, 3] {
            assert!(one(d, threads) == reference, "{d}, {threads} threads");
        }
    }
}

#[test]
fn parameters_change_the_mesh() {
    let s = shape("param r = 0.3 in [0.1, 0.9];\nsqrt(x^2 + y^2 + z^2) - r");
    let vol = |r: f32| {
        let set = MeshSettings {
            eval: EvalOptions {
                params: vec![("r".into(), r)],
                ..EvalOptions::default()
            },
            ..settings(6)
        };
        clean(&s, &set, "parameter").1.volume
    };
    let (small, big) = (vol(0.3), vol(0.6));
    assert!((big / small - 8.0).abs() < 0.1, "{small} {big}");
    let bad = MeshSettings {
        eval: EvalOptions {
            params: vec![("r".into(), 2.0)],
            ..EvalOptions::default()
        },
        ..settings(4)
    };
    assert!(matches!(s.mesh(&bad), Err(Error::Param(_))));
}

#[test]
fn over_budget_and_bad_settings_are_refused() {
    let s = shape("sqrt(x^2 + y^2 + z^2) - 0.5");
    let set = MeshSettings {
        eval: EvalOptions {
            memory_budget: Some(1 << 20),
            ..EvalOptions::default()
        },
        ..settings(7)
    };
    let e = s.mesh(&set).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, Error::Limit(_)), "{e:?}");
    assert!(
        msg.contains("depth-7 mesh") && msg.contains("memory budget of 1 MiB"),
        "{msg}"
    );
    let deep = settings(40);
    assert!(s.mesh(&deep).unwrap_err().to_string().contains("depth 40"));
    let bad = MeshSettings {
        tolerance: f32::NAN,
        ..settings(4)
    };
    assert!(matches!(s.mesh(&bad), Err(Error::Limit(_))));
    // Fits the estimate, but not the budget once the surface is counted:
    // the build stops with a message.
    let tight = MeshSettings {
        eval: EvalOptions {
            memory_budget: Some(settings(5).estimated_bytes()),
            ..EvalOptions::default()
        },
        tolerance: 0.0,
        ..settings(5)
    };
    let gyroid = shape("sin(20*x)*cos(20*y) + sin(20*y)*cos(20*z) + sin(20*z)*cos(20*x)");
    let r = gyroid.mesh(&tight);
    assert!(
        r.as_ref().is_ok_and(|m| check(m).is_closed_manifold())
            || matches!(&r, Err(Error::Limit(m)) if m.contains("memory budget")),
        "{:?}",
        r.map(|m| m.triangles.len())
    );
}

#[test]
fn cancel_and_progress() {
    let s = shape("sqrt(x^2 + y^2 + z^2) - 0.5");
    let cancel = Arc::new(AtomicBool::new(true));
    let set = MeshSettings {
        eval: EvalOptions {
            cancel: Some(cancel),
            ..EvalOptions::default()
        },
        ..settings(6)
    };
    assert!(matches!(s.mesh(&set), Err(Error::Interrupted)));
    let progress = Arc::new((AtomicUsize::new(0), AtomicUsize::new(0)));
    let set = MeshSettings {
        eval: EvalOptions {
            progress: Some(progress.clone()),
            ..EvalOptions::default()
        },
        ..settings(6)
    };
    s.mesh(&set).unwrap();
    let (done, total) = (
        progress.0.load(std::sync::atomic::Ordering::Relaxed),
        progress.1.load(std::sync::atomic::Ordering::Relaxed),
    );
    assert!(total > 1 && done == total, "{done} of {total}");
}

#[test]
fn random_csg_shapes_mesh_clean() {
    common::check(
        "random_csg_shapes_mesh_clean",
        200,
        (common::csg3(6), 4u32..=6, prop::bool::ANY),
        |(csg, depth, merge)| {
            let (g, root) = csg.build();
            let s = Shape::from_graph(&g, root);
            let set = MeshSettings {
                tolerance: if merge { 1e-3 } else { 0.0 },
                ..settings(depth)
            };
            let mesh = s.mesh(&set).unwrap();
            let r = check(&mesh);
            prop_assert!(r.is_clean(), "depth {depth}, merge {merge}: {r:?}");
            prop_assert!(r.volume >= 0.0);
            Ok(())
        },
    );
}

#[test]
fn random_csg_shapes_at_depth_7() {
    common::check("random_csg_shapes_at_depth_7", 12, common::csg3(5), |csg| {
        let (g, root) = csg.build();
        let s = Shape::from_graph(&g, root);
        let r = check(&s.mesh(&settings(7)).unwrap());
        prop_assert!(r.is_clean(), "{r:?}");
        Ok(())
    });
}

#[test]
fn every_3d_example_meshes_clean() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/shapes/examples");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let src = std::fs::read_to_string(&p).unwrap();
        if p.extension().and_then(|e| e.to_str()) != Some("expr") || !src.contains("# view:") {
            continue;
        }
        let s = shape(&src);
        let (mesh, r) = clean(&s, &settings(6), &p.display().to_string());
        assert!(
            r.triangles > 100 && r.volume > 0.0,
            "{}: {r:?}",
            p.display()
        );
        // Features thinner than a cell (grooves, fillets) are not resolved
        // at this depth; every vertex is still near the surface.
        let c = capped(&s, &settings(6));
        let d = surface_distance(&c, &mesh);
        assert!(
            d < cell(&settings(6)),
            "{}: vertex {d} from the surface",
            p.display()
        );
        n += 1;
    }
    assert!(n >= 6, "only {n} 3D examples");
}
