//! tapir's side: the same work through its public API, with its defaults
//! (tail-call dispatch, pruning on, default tile sizes).

use tapir::Shape;
use tapir::mesh::{Mesh, MeshSettings};
use tapir::render::shade::{self, Shading};
use tapir::render::{EvalOptions, Frame3d, Geometry, Grid2};

fn options(threads: usize) -> EvalOptions {
    EvalOptions {
        threads,
        ..EvalOptions::default()
    }
}

/// The 2D frame: which of the `n × n` pixel centres over [-1, 1]² are
/// inside, at z = 0.
pub fn frame2d(shape: &Shape, n: u32, threads: usize) -> Result<Vec<bool>, String> {
    shape
        .render_mask(&Grid2::square(n as usize), &options(threads))
        .map_err(|e| format!("tapir 2D {n}²: {e}"))
}

/// The 3D frame: `n × n` pixels, `n` samples deep, the default view
/// (orthographic, [-1, 1]³ seen from +z).
pub fn frame3d(shape: &Shape, n: u32, threads: usize) -> Result<Geometry, String> {
    shape
        .render3d(&Frame3d::square(n as usize), &options(threads))
        .map_err(|e| format!("tapir 3D {n}³: {e}"))
}

/// tapir's shading (directional lights, specular, ambient; optionally
/// SSAO) on `threads` threads. Returns the size of the picture, so that the
/// work is used.
pub fn shade(g: &Geometry, ssao: bool, threads: usize) -> usize {
    shade::shaded_image(g, &Shading { ssao, threads }).len()
}

/// tapir's mesher over [-1, 1]³ at octree depth `depth` with `threads`
/// threads, with its default tolerance: the mesh.
pub fn mesh(shape: &Shape, depth: u8, threads: usize) -> Result<Mesh, String> {
    let settings = MeshSettings {
        depth: u32::from(depth),
        eval: options(threads),
        ..MeshSettings::default()
    };
    shape
        .mesh(&settings)
        .map_err(|e| format!("tapir mesh depth {depth}: {e}"))
}
