use tapir::Shape;
use tapir::mesh::{MeshSettings, check};
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let src = std::fs::read_to_string(&a[1]).unwrap();
    let depth: u32 = a[2].parse().unwrap();
    let tol: f32 = a[3].parse().unwrap();
    let s = Shape::from_expr(&src).unwrap();
    let set = MeshSettings { depth, tolerance: tol, ..MeshSettings::default() };
    let m = s.mesh(&set).unwrap();
    let pairs = check::intersecting_pairs(&m);
    println!("{} pairs", pairs.len());
    for (a, b) in pairs.iter().take(4) {
        for t in [*a, *b] {
            let tri = m.triangles[t];
            let p: Vec<[f32;3]> = tri.iter().map(|&i| m.vertices[i as usize]).collect();
            let f: Vec<f32> = p.iter().map(|v| s.eval_point(v[0], v[1], v[2])).collect();
            let n: Vec<[f32;3]> = tri.iter().map(|&i| m.normals[i as usize]).collect();
            println!("tri {t} {tri:?} {p:?}\n   f {f:?} n {n:?}");
        }
        println!();
    }
}
