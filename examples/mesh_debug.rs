use tapir::Shape;
use tapir::mesh::{Mesh, MeshSettings, capped, check};
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let src = std::fs::read_to_string(&a[1]).unwrap();
    let depth: u32 = a[2].parse().unwrap();
    let tol: f32 = a[3].parse().unwrap();
    let s = Shape::from_expr(&src).unwrap();
    let set = MeshSettings {
        depth,
        tolerance: tol,
        ..MeshSettings::default()
    };
    let m = s.mesh(&set).unwrap();
    let c = capped(&s, &set);
    let mut d: Vec<(f64, usize)> = m
        .vertices
        .iter()
        .enumerate()
        .map(|(i, v)| {
            (
                check::surface_distance(
                    &c,
                    &Mesh {
                        vertices: vec![*v],
                        ..Default::default()
                    },
                ),
                i,
            )
        })
        .collect();
    d.sort_by(|a, b| b.0.total_cmp(&a.0));
    let cell = set.cell_size()[0];
    for &(dist, i) in d.iter().take(6) {
        let v = m.vertices[i];
        let lo: Vec<f64> = (0..3)
            .map(|k| ((v[k] as f64 + 1.0) / cell).floor())
            .collect();
        println!(
            "{:.3} cells at {v:?} (cell {lo:?}) f {} n {:?}",
            dist / cell,
            c.eval_point(v[0], v[1], v[2]),
            m.normals[i]
        );
    }
}
