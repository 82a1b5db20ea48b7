//! The example shapes of `shapes/examples/`: each has a comment header,
//! renders in 2D (its z = 0 slice), and, if it is 3D (depends on z),
//! renders in 3D from the view named in its header. There are at least 16,
//! 6 of them 3D.

use std::path::PathBuf;

use tapir::Shape;
use tapir::ops::Op;
use tapir::render::{EvalOptions, Frame3d, Grid2, View};

struct Example {
    name: String,
    src: String,
    shape: Shape,
}

fn examples() -> Vec<Example> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/shapes/examples"));
    let mut v: Vec<Example> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("expr"))
        .map(|p| {
            let src = std::fs::read_to_string(&p).unwrap();
            let shape = Shape::from_expr(&src)
                .unwrap_or_else(|e| panic!("{}", e.render(&p.display().to_string())));
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            Example { name, src, shape }
        })
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

/// True if the shape reads z: a 3D shape.
fn is_3d(shape: &Shape) -> bool {
    shape
        .reg_tape()
        .insns()
        .iter()
        .any(|i| i.op() == Op::Input && i.imm == 2)
}

/// The view of a `# view: --yaw A --pitch B [--roll C] [--scale S]` header
/// line (the gallery scripts pass the same line to `tapir render3d`), else
/// yaw 30 and pitch 25.
fn view_of(src: &str) -> View {
    let mut view = View {
        yaw: 30.0,
        pitch: 25.0,
        ..View::default()
    };
    if let Some(line) = src.lines().find_map(|l| l.strip_prefix("# view:")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        for pair in words.chunks(2) {
            let value: f64 = pair[1].parse().unwrap();
            match pair[0] {
                "--yaw" => view.yaw = value,
                "--pitch" => view.pitch = value,
                "--roll" => view.roll = value,
                "--scale" => view.scale = value,
                other => panic!("unknown view option {other}"),
            }
        }
    }
    view
}

#[test]
fn enough_examples_with_headers() {
    let all = examples();
    let three_d = all.iter().filter(|e| is_3d(&e.shape)).count();
    assert!(all.len() >= 16, "{} examples", all.len());
    assert!(three_d >= 6, "{three_d} 3D examples");
    for e in &all {
        // A header: the file starts with a comment of at least two lines.
        let header = e.src.lines().take_while(|l| l.starts_with('#')).count();
        assert!(header >= 2, "{}: no comment header", e.name);
    }
}

#[test]
fn every_example_renders_in_2d() {
    let opts = EvalOptions::default();
    for e in examples() {
        let grid = Grid2::square(96);
        let mask = e.shape.render_mask(&grid, &opts).unwrap();
        let inside = mask.iter().filter(|&&b| b).count();
        let share = inside as f64 / mask.len() as f64;
        assert!(
            (0.03..0.9).contains(&share),
            "{}: {:.1}% of its z = 0 slice is inside",
            e.name,
            100.0 * share
        );
        // The values agree with the point evaluator.
        let values = e.shape.eval_grid(&grid, &opts).unwrap();
        for (k, &v) in values.iter().enumerate().step_by(37) {
            let (i, j) = (k % 96, k / 96);
            assert_eq!(
                v.to_bits(),
                e.shape.eval_point(grid.x(i), grid.y(j), 0.0).to_bits(),
                "{}",
                e.name
            );
            assert_eq!(v < 0.0, mask[k], "{}", e.name);
        }
    }
}

#[test]
fn every_3d_example_renders_in_3d() {
    let opts = EvalOptions::default();
    let mut count = 0;
    for e in examples().into_iter().filter(|e| is_3d(&e.shape)) {
        let frame = Frame3d {
            view: view_of(&e.src),
            ..Frame3d::square(64)
        };
        let g = e.shape.render3d(&frame, &opts).unwrap();
        let share = g.covered() as f64 / (64.0 * 64.0);
        assert!(
            (0.05..0.95).contains(&share),
            "{}: the 3D view covers {:.1}% of the picture",
            e.name,
            100.0 * share
        );
        // Where a ray hits, the normal is a unit vector.
        for (w, n) in g.hits.iter().zip(&g.normals) {
            if !w.is_nan() {
                let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
                assert!((len - 1.0).abs() < 1e-3, "{}: normal {n:?}", e.name);
            }
        }
        count += 1;
    }
    assert!(count >= 6);
}
