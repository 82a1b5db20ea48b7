//! Fidget's side: the same frames and meshes through its public API.
//!
//! Fidget maps screen to world coordinates so that pixel `i` of an `n`-wide
//! image sits at `x = (2i − n) / n`: the left edge of the pixel, not its
//! centre (and likewise down `y` and along `z`). tapir samples pixel and
//! voxel centres, `x = (2i + 1 − n) / n`. Every render here therefore gets a
//! `world_to_model` translation by half a pixel, `(1/n, 1/n[, 1/n])`, which
//! puts Fidget's samples on exactly tapir's points (for power-of-two sizes
//! the coordinates are exact in `f32` on both sides). The matrix is affine,
//! so the 3D view is orthographic: Fidget 0.5's voxel renderer has no
//! camera type of its own; its view *is* this matrix.

use fidget::eval::Function;
use fidget::raster::{effects, pixel, voxel};
use fidget::render::{ImageSize, RenderHints, ThreadPool, VoxelSize};
use fidget::shape::{BoundShape, Shape};
use nalgebra::{Matrix3, Matrix4, Vector2, Vector3};

use crate::agree::Surface;

/// What a Fidget render needs from a function type.
pub trait Evaluator: Function + RenderHints + Clone {}
impl<F: Function + RenderHints + Clone> Evaluator for F {}

fn bind<F: Evaluator>(shape: &Shape<F>) -> BoundShape<'static, F, f32> {
    shape
        .clone()
        .try_into()
        .expect("a .vm tape has no free variables")
}

/// A rayon pool of `threads` for Fidget, or `None` (Fidget's own
/// single-threaded path, on the calling thread) for one thread.
pub fn pool(threads: usize) -> Result<Option<ThreadPool>, String> {
    if threads == 1 {
        return Ok(None);
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map(|p| Some(ThreadPool::Custom(p)))
        .map_err(|e| format!("cannot start {threads} threads: {e}"))
}

/// The 2D frame: `n × n` pixels over [-1, 1]² at z = 0.
pub fn frame2d<F: Evaluator>(shape: &Shape<F>, n: u32, pool: Option<&ThreadPool>) -> pixel::Image {
    let half = 1.0 / n as f32;
    let config = pixel::RenderConfig {
        world_to_model: Matrix3::new_translation(&Vector2::new(half, half)),
        ..pixel::RenderConfig::from_size(ImageSize::from(n))
    };
    let eval = pixel::EvalConfig {
        threads: pool,
        ..Default::default()
    };
    pixel::render(bind(shape), &config, &eval).expect("nothing cancels the render")
}

/// Which pixels of a 2D frame are inside, row by row from the top.
pub fn inside(image: &pixel::Image) -> Vec<bool> {
    image.iter().map(|p| p.inside()).collect()
}

/// The 3D frame: `n × n` pixels, `n` samples deep, over [-1, 1]³ seen from
/// +z; depth and normals.
pub fn frame3d<F: Evaluator>(shape: &Shape<F>, n: u32, pool: Option<&ThreadPool>) -> voxel::Image {
    let half = 1.0 / n as f32;
    let config = voxel::RenderConfig {
        image_size: VoxelSize::new(n, n, n),
        world_to_model: Matrix4::new_translation(&Vector3::new(half, half, half)),
    };
    let eval = voxel::EvalConfig {
        threads: pool,
        ..Default::default()
    };
    voxel::render(bind(shape), &config, &eval).expect("nothing cancels the render")
}

/// Fidget's own shading of a 3D frame: three point lights and ambient,
/// optionally darkened by its screen-space ambient occlusion (64 samples,
/// then a blur). Returns the number of lit pixels, so that the work is
/// used.
pub fn shade(image: &voxel::Image, ssao: bool, pool: Option<&ThreadPool>) -> usize {
    let rgb = effects::apply_shading(image, ssao, pool);
    rgb.iter().filter(|p| p[0] > 0).count()
}

/// A 3D frame in the units of the comparison: per pixel, the depth in
/// samples from the far face, and the unit normal in camera axes.
///
/// Fidget's `depth` is whole voxels: `k + 1` where `k` is the first inside
/// sample from the viewer, i.e. the near face of that voxel (0: no hit).
/// Its normal is the gradient in screen axes (y pointing down); it is
/// turned to y up and normalised here.
pub fn surface(image: &voxel::Image, n: u32) -> Surface {
    let mut s = Surface::new(n as usize);
    for (p, px) in image.iter().enumerate() {
        if px.depth == 0 {
            continue;
        }
        s.depth[p] = f64::from(px.depth);
        s.saturated[p] = px.depth >= n;
        let [x, y, z] = px.normal.map(f64::from);
        let len = (x * x + y * y + z * z).sqrt();
        if len.is_finite() && len > 0.0 {
            s.normals[p] = [x / len, -y / len, z / len];
        }
    }
    s
}

/// Fidget's mesher (manifold dual contouring) over [-1, 1]³ at octree
/// depth `depth`; returns the triangles (vertex indices).
pub fn mesh<F: Evaluator>(
    shape: &Shape<F>,
    depth: u8,
    pool: Option<&ThreadPool>,
) -> Vec<[usize; 3]> {
    let settings = fidget::mesh::Settings {
        depth,
        threads: pool,
        ..Default::default()
    };
    let octree =
        fidget::mesh::Octree::build(&bind(shape), &settings).expect("nothing cancels meshing");
    let mesh = octree.walk_dual();
    mesh.triangles.iter().map(|t| [t.x, t.y, t.z]).collect()
}
