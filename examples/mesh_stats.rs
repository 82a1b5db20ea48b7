//! Meshes shapes and prints a table: triangles, vertices, time with 1 and
//! 2 threads, and the checker's counts.
//!
//! `cargo run --release --example mesh_stats -- [DEPTH] [FILES...]`
//! (default: depth 8, a sphere and every 3D example in shapes/examples).

use std::time::Instant;

use tapir::Shape;
use tapir::mesh::{MeshSettings, capped, check};
use tapir::render::EvalOptions;

fn main() {
    let mut args = std::env::args().skip(1);
    let depth: u32 = args.next().and_then(|d| d.parse().ok()).unwrap_or(8);
    let tolerance: f32 = std::env::var("TOL")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(1e-4);
    let mut files: Vec<String> = args.collect();
    let mut shapes: Vec<(String, Shape)> = Vec::new();
    if files.is_empty() {
        shapes.push((
            "sphere".into(),
            Shape::from_expr("sqrt(x^2 + y^2 + z^2) - 0.8").unwrap(),
        ));
        let mut ex: Vec<String> = std::fs::read_dir("shapes/examples")
            .unwrap()
            .map(|e| e.unwrap().path().display().to_string())
            .filter(|p| p.ends_with(".expr"))
            .collect();
        ex.sort();
        files = ex
            .into_iter()
            .filter(|p| std::fs::read_to_string(p).unwrap().contains("# view:"))
            .collect();
    }
    for f in &files {
        let src = std::fs::read_to_string(f).unwrap();
        let name = std::path::Path::new(f)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        shapes.push((name, Shape::from_expr(&src).unwrap()));
    }
    let only_threads: Option<usize> = std::env::var("THREADS").ok().and_then(|t| t.parse().ok());
    println!(
        "| shape | depth | triangles | vertices | 1 thread (s) | 2 threads (s) | boundary | non-manifold e/v | inconsistent | degenerate | self-int | volume | max dist (cells) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (name, shape) in &shapes {
        let mut times = Vec::new();
        let mut mesh = None;
        for threads in [1, 2] {
            if only_threads.is_some_and(|t| t != threads) {
                times.push(f64::NAN);
                continue;
            }
            let settings = MeshSettings {
                depth,
                tolerance,
                eval: EvalOptions {
                    threads,
                    ..EvalOptions::default()
                },
                ..MeshSettings::default()
            };
            let t = Instant::now();
            let m = shape.mesh(&settings).unwrap();
            times.push(t.elapsed().as_secs_f64());
            mesh = Some(m);
        }
        let m = mesh.unwrap();
        let set = MeshSettings {
            depth,
            ..MeshSettings::default()
        };
        let dist = check::surface_distance(&capped(shape, &set), &m) / set.cell_size()[0];
        let r = if std::env::var("NOCHECK").is_ok() {
            check::Report::default()
        } else {
            check::check(&m)
        };
        println!(
            "| {name} | {depth} | {} | {} | {:.3} | {:.3} | {} | {}/{} | {} | {} | {} | {:.4} | {:.3} |",
            m.triangles.len(),
            m.vertices.len(),
            times[0],
            times[1],
            r.boundary_edges,
            r.non_manifold_edges,
            r.non_manifold_vertices,
            r.inconsistent_edges,
            r.degenerate_triangles,
            r.self_intersections,
            r.volume,
            dist
        );
    }
}
