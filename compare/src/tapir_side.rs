//! tapir's side: the same work through its public API, with its defaults
//! (tail-call dispatch, pruning on, default tile sizes).

use tapir::Shape;
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

/// Shown in place of tapir's mesh figures until `Shape::mesh` exists.
pub const MESH_MISSING: &str = "tapir mesh not available yet";

/// tapir's mesher over [-1, 1]³ at octree depth `depth` with `threads`
/// threads: the number of triangles, or `None` while tapir has no mesher.
pub fn mesh(shape: &Shape, depth: u8, threads: usize) -> Option<Result<usize, String>> {
    // Once `Shape::mesh(&MeshSettings)` is on main, replace the two lines
    // below by the call: settings with depth `depth`, the region [-1, 1]³
    // and `threads` threads, then
    // `Some(shape.mesh(&settings).map(|m| m.triangles.len()).map_err(|e| e.to_string()))`.
    let _ = (shape, depth, threads);
    None
}
