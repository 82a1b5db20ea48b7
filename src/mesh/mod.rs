//! Meshes: the surface of a shape as triangles, by dual contouring on an
//! adaptive octree pruned by interval arithmetic.
//!
//! [`Shape::mesh`] builds a [`Mesh`] of the shape intersected with a region
//! box ([`MeshSettings::bounds`]), so every mesh is closed; the writers in
//! writers (issue 10) save it as STL, OBJ, PLY or 3MF.
//!
//! (Skeleton: the mesher itself lands with issue 10.)

pub mod write;

pub use write::MeshFormat;

use crate::error::Error;
use crate::render::{Bounds3, EvalOptions};
use crate::shape::Shape;

/// How to mesh a shape.
#[derive(Clone, Debug)]
pub struct MeshSettings {
    /// The region meshed; the mesh is of the shape intersected with it.
    pub bounds: Bounds3,
    /// Octree depth: 2^depth cells per axis at the finest level.
    pub depth: u32,
    /// Largest QEF error (in model units) at which 8 cells merge into one;
    /// 0 keeps every cell at the finest level.
    pub tolerance: f32,
    /// Threads, dispatch, pruning, parameters, cancellation, progress.
    pub eval: EvalOptions,
}

impl Default for MeshSettings {
    fn default() -> Self {
        MeshSettings {
            bounds: Bounds3::default(),
            depth: 7,
            tolerance: 1e-4,
            eval: EvalOptions::default(),
        }
    }
}

/// An indexed triangle mesh.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mesh {
    /// Vertex positions in model space.
    pub vertices: Vec<[f32; 3]>,
    /// Unit normal per vertex (towards increasing f).
    pub normals: Vec<[f32; 3]>,
    /// Triangles as vertex indices, counter-clockwise seen from outside.
    pub triangles: Vec<[u32; 3]>,
}

impl Shape {
    /// The surface of this shape within `settings.bounds`, as a closed mesh.
    pub fn mesh(&self, settings: &MeshSettings) -> Result<Mesh, Error> {
        let _ = settings;
        Err(Error::Tape("the mesher is not built yet".into()))
    }
}
