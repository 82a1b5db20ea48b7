//! Random graphs from structured input (the `tape` target's recipes),
//! meshed at a low depth over a box from the input, pruned and brute
//! force: both meshes must be equal, and the mesh closed, manifold and
//! consistently oriented (see `tapir::mesh::check`).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use tapir::Shape;
use tapir::mesh::{MeshSettings, check};
use tapir::render::{Bounds3, EvalOptions};
use tapir_fuzz::build;

/// Most steps (nodes) per input, so that each run stays fast.
const MAX_STEPS: usize = 48;

#[derive(Arbitrary, Debug)]
struct Input {
    /// Depth 1..=5 and whether cells merge.
    mode: u8,
    /// The region: centre and half-size per axis, in 1/64ths.
    centre: [i8; 3],
    half: [u8; 3],
    steps: Vec<(u8, u8, u8, u8, f32)>,
    params: Vec<f32>,
}

fuzz_target!(|input: Input| {
    let steps = &input.steps[..input.steps.len().min(MAX_STEPS)];
    let params = &input.params[..input.params.len().min(2)];
    let (g, root) = build(steps, params);
    let shape = Shape::from_graph(&g, root);
    let axis = |a: usize| {
        let c = f64::from(input.centre[a]) / 64.0;
        let h = (f64::from(input.half[a]) + 1.0) / 64.0;
        [c - h, c + h]
    };
    let Ok(bounds) = Bounds3::new(axis(0), axis(1), axis(2)) else {
        return;
    };
    let depth = 1 + u32::from(input.mode % 5);
    let settings = MeshSettings {
        bounds,
        depth,
        tolerance: if input.mode & 8 == 0 { 0.0 } else { 1e-3 },
        eval: EvalOptions {
            threads: 1,
            ..EvalOptions::default()
        },
    };
    let mesh = shape.mesh(&settings).expect("a small mesh");
    let brute = shape
        .mesh(&MeshSettings {
            eval: EvalOptions {
                prune: false,
                ..settings.eval.clone()
            },
            ..settings.clone()
        })
        .expect("a small mesh");
    assert!(mesh == brute, "pruning changes the mesh");
    let r = check::check(&mesh);
    assert!(
        r.boundary_edges == 0
            && r.non_manifold_edges == 0
            && r.inconsistent_edges == 0
            && r.non_manifold_vertices == 0,
        "{r:?}"
    );
    assert!(r.volume >= -1e-9, "{r:?}");
});
