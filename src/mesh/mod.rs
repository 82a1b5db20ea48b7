//! Meshes: the surface of a shape as triangles, by dual contouring on an
//! adaptive octree pruned by interval arithmetic.
//!
//! [`Shape::mesh`] builds a [`Mesh`] of the shape intersected with a region
//! box ([`MeshSettings::bounds`]), so every mesh is closed. The stages:
//!
//! 1. **Cap** ([`capped`]): the shape is intersected with the region box,
//!    as one more `max` in its graph: on the region's faces the value is
//!    at least 0, so every lattice point there is outside and the surface
//!    is cut exactly at the faces, a flat cap with sharp edges, pruned and
//!    sharpened like any other part of the shape.
//! 2. **Octree** (`octree.rs`): cells subdivided where interval arithmetic
//!    says the surface may pass, tapes pruned per cell, blocks of finest
//!    cells sampled as slices; crossings found by batched bisection, with
//!    gradients; one vertex per connected component of each cell's patch
//!    (`cell.rs`), placed by a QEF solve (`qef.rs`); cells merged bottom up
//!    where the topology is safe and the error within
//!    [`MeshSettings::tolerance`].
//! 3. **Triangles** (`dual.rs`): one quad (or triangle) around every
//!    minimal sign-changing edge, from the vertices of the cells around
//!    it, oriented towards increasing f.
//!
//! [`check`] verifies meshes: closed, manifold, consistently oriented, no
//! degenerate or self-intersecting triangles.
//!
//! ```
//! use tapir::Shape;
//! use tapir::mesh::{MeshSettings, check};
//!
//! let ball = Shape::from_expr("sqrt(x^2 + y^2 + z^2) - 0.5").unwrap();
//! let mesh = ball.mesh(&MeshSettings { depth: 5, ..MeshSettings::default() }).unwrap();
//! let report = check::check(&mesh);
//! assert!(report.is_closed_manifold() && report.euler == 2);
//! let exact = 4.0 / 3.0 * std::f64::consts::PI * 0.125;
//! assert!((mesh.volume() / exact - 1.0).abs() < 0.02);
//! ```

pub mod cell;
pub mod check;
mod dual;
mod octree;
pub mod qef;

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

pub mod write;

pub use write::MeshFormat;

use crate::error::Error;
use crate::graph::Var;
use crate::ops::{BinaryOp, UnaryOp};
use crate::render::{Bounds3, EvalOptions, check_bytes, memory_budget, with_pool};
use crate::shape::Shape;

/// The deepest octree allowed (the memory budget usually refuses sooner).
pub const MAX_DEPTH: u32 = 16;

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

impl MeshSettings {
    /// The edge length of a finest cell along each axis.
    pub fn cell_size(&self) -> [f64; 3] {
        let n = (1u64 << self.depth.min(63)) as f64;
        let s = self.bounds.size();
        [s.x / n, s.y / n, s.z / n]
    }

    /// Checks the settings, with a message naming the bad value.
    pub fn validate(&self) -> Result<(), Error> {
        self.eval.validate()?;
        if self.depth > MAX_DEPTH {
            return Err(Error::Limit(format!(
                "mesh depth {} exceeds the maximum of {MAX_DEPTH}",
                self.depth
            )));
        }
        if !(self.tolerance.is_finite() && self.tolerance >= 0.0) {
            return Err(Error::Limit(format!(
                "mesh tolerance {} must be a finite number ≥ 0",
                self.tolerance
            )));
        }
        Ok(())
    }

    /// The estimated peak memory of a mesh at this depth, in bytes: the
    /// leaves of a surface crossing the region like a box filling it
    /// (6 · 4^depth cells) with their share of the output.
    pub fn estimated_bytes(&self) -> usize {
        let cells = 6usize.saturating_mul(1usize << (2 * self.depth.min(30)));
        cells.saturating_mul(octree::LEAF_BYTES)
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

impl Mesh {
    /// The enclosed volume (signed: positive for a closed mesh oriented
    /// outwards), by the divergence theorem.
    ///
    /// ```
    /// use tapir::mesh::Mesh;
    /// // One tetrahedron with corners at the origin and the unit points.
    /// let m = Mesh {
    ///     vertices: vec![[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    ///     normals: vec![[0.0, 0.0, 1.0]; 4],
    ///     triangles: vec![[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]],
    /// };
    /// assert!((m.volume() - 1.0 / 6.0).abs() < 1e-12);
    /// ```
    pub fn volume(&self) -> f64 {
        self.triangles
            .iter()
            .map(|t| {
                let [a, b, c] = t.map(|i| self.vertices[i as usize].map(f64::from));
                dual::dot(a, dual::cross(b, c)) / 6.0
            })
            .sum()
    }

    /// True when the mesh has no triangles.
    pub fn is_empty(&self) -> bool {
        self.triangles.is_empty()
    }
}

/// The shape a mesh with `settings` is of: `shape` intersected with the
/// region box, `max(shape, box)`. Its value on the region's faces is at
/// least 0 (outside), so no sign-changing lattice edge lies on them and the
/// mesh is closed, with the cut exactly on the faces.
///
/// ```
/// use tapir::Shape;
/// use tapir::mesh::{MeshSettings, capped};
///
/// let half = Shape::from_expr("z").unwrap(); // everything below z = 0
/// let c = capped(&half, &MeshSettings { depth: 4, ..MeshSettings::default() });
/// assert!(c.eval_point(0.0, 0.0, -0.5) < 0.0);
/// assert!(c.eval_point(0.0, 0.0, -1.0) >= 0.0); // on the cap
/// assert!(c.eval_point(0.0, 0.0, -1.5) > 0.0); // beyond it
/// ```
pub fn capped(shape: &Shape, settings: &MeshSettings) -> Shape {
    let (mut g, root) = shape.to_graph();
    let b = &settings.bounds;
    let mut faces = Vec::with_capacity(3);
    for (a, var) in Var::ALL.into_iter().enumerate() {
        let centre = (b.min[a] + b.max[a]) / 2.0;
        let half = (b.max[a] - b.min[a]) / 2.0;
        let v = g.var(var);
        let c = g.constant(centre as f32);
        let d = g.binary(BinaryOp::Sub, v, c);
        let d = g.unary(UnaryOp::Abs, d);
        let h = g.constant(half as f32);
        faces.push(g.binary(BinaryOp::Sub, d, h));
    }
    let xy = g.binary(BinaryOp::Max, faces[0], faces[1]);
    let region = g.binary(BinaryOp::Max, xy, faces[2]);
    let top = g.binary(BinaryOp::Max, root, region);
    Shape::from_graph(&g, top)
}

impl Shape {
    /// The surface of this shape within `settings.bounds`, as a closed mesh:
    /// manifold, oriented outwards (triangles counter-clockwise seen from
    /// outside), of the shape intersected with the region (see
    /// [`capped`]), at octree depth `settings.depth`, with cells merged
    /// where the error stays within `settings.tolerance`.
    ///
    /// Refused before any work when the estimated memory
    /// ([`MeshSettings::estimated_bytes`]) is over the budget, and stopped
    /// if the surface turns out larger still; [`Error::Interrupted`] when
    /// `settings.eval.cancel` is set. The mesh is the same for every thread
    /// count, dispatch style and with or without pruning.
    ///
    /// ```
    /// use tapir::Shape;
    /// use tapir::mesh::{MeshSettings, check};
    ///
    /// let cube = Shape::from_expr("max(abs(x), abs(y), abs(z)) - 0.5").unwrap();
    /// let mesh = cube.mesh(&MeshSettings { depth: 6, ..MeshSettings::default() }).unwrap();
    /// assert!(check::check(&mesh).is_closed_manifold());
    /// // Sharp corners, and few triangles on the flat faces.
    /// assert!(check::nearest_vertex(&mesh, [0.5, 0.5, 0.5]) < 1e-3);
    /// assert!(mesh.triangles.len() < 1000);
    /// ```
    pub fn mesh(&self, settings: &MeshSettings) -> Result<Mesh, Error> {
        settings.validate()?;
        let opts = &settings.eval;
        let params = opts.param_values(self)?;
        let depth = settings.depth;
        check_bytes(
            settings.estimated_bytes(),
            || {
                let n = 1u64 << depth;
                format!("a depth-{depth} mesh ({n}×{n}×{n} cells)")
            },
            opts,
        )?;
        let shape = capped(self, settings);
        let n = 1usize << depth;
        let b = &settings.bounds;
        let coords = std::array::from_fn(|a| {
            (0..=n)
                .map(|i| (b.min[a] + (b.max[a] - b.min[a]) * (i as f64 / n as f64)) as f32)
                .collect()
        });
        let budget = memory_budget(opts);
        let builder = octree::Builder {
            tape: shape.tape(),
            opts,
            params: &params,
            depth,
            coords,
            tolerance: f64::from(settings.tolerance),
            par_levels: 2.min(depth - octree::BLOCK.min(depth)),
            live: AtomicI64::new(0),
            max_live: (budget / octree::LEAF_BYTES) as i64,
            over_budget: AtomicBool::new(false),
        };
        if let Some(p) = &opts.progress {
            p.0.store(0, Ordering::Relaxed);
            p.1.store(builder.progress_total(), Ordering::Relaxed);
        }
        // Timings for TAPIR_MESH_TRACE only: the clock is never read
        // otherwise (wasm32-unknown-unknown has none: Instant::now panics).
        let trace = std::env::var("TAPIR_MESH_TRACE").is_ok();
        let now = || trace.then(std::time::Instant::now);
        with_pool(opts.threads, || {
            let t0 = now();
            let mut tree = builder.build();
            if let Some(t0) = t0 {
                eprintln!("build {:?}", t0.elapsed());
            }
            if opts.cancelled() {
                return Err(Error::Interrupted);
            }
            if builder.over_budget.load(Ordering::Relaxed) {
                return Err(Error::Limit(format!(
                    "the depth-{depth} mesh has more surface cells than the memory budget of {} MiB allows",
                    budget >> 20
                )));
            }
            // Dual contour; undo merges that make triangles cross or
            // degenerate, until none do.
            for round in 0.. {
                let t1 = now();
                let mesh = contour(&mut tree, depth, opts)?;
                let t2 = now();
                let split = unsafe_merges(&tree, &mesh, round == 0);
                if let (Some(t1), Some(t2)) = (t1, t2) {
                    eprintln!(
                        "{} triangles, {} merges undone; contour {:?} check {:?}",
                        mesh.triangles.len(),
                        split.len(),
                        t2 - t1,
                        t2.elapsed()
                    );
                }
                if split.is_empty() {
                    return Ok(mesh);
                }
                dual::settle(&mut tree);
                dual::split(&mut tree, &split);
            }
            unreachable!("the rounds end when no merge is undone")
        })?
    }
}

/// The vertices and triangles of the octree.
fn contour(tree: &mut octree::Node, depth: u32, opts: &EvalOptions) -> Result<Mesh, Error> {
    dual::number(tree);
    let tree = &*tree;
    let leaves = dual::leaves(tree);
    let mut mesh = Mesh::default();
    for l in &leaves {
        for c in &l.comps {
            mesh.vertices.push(c.pos);
            mesh.normals.push(c.normal);
        }
    }
    let chunk = |ls: &[&octree::Leaf]| {
        let mut out = Vec::new();
        if !opts.cancelled() {
            for l in ls {
                dual::leaf_triangles(tree, depth, l, &mesh.vertices, &mesh.normals, &mut out);
            }
        }
        out
    };
    #[cfg(feature = "parallel")]
    let parts: Vec<Vec<[u32; 3]>> = {
        use rayon::prelude::*;
        leaves.par_chunks(4096).map(chunk).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let parts: Vec<Vec<[u32; 3]>> = leaves.chunks(4096).map(chunk).collect();
    if opts.cancelled() {
        return Err(Error::Interrupted);
    }
    mesh.triangles = parts.concat();
    Ok(mesh)
}

/// The merged leaves (lowest corner, size exponent) with a vertex on a
/// triangle that crosses another or has zero area. The first time
/// (`all`), every triangle with a vertex of a merged leaf is tested; after
/// that only those near the leaves just split ([`octree::Leaf::fresh`]),
/// the only ones that changed.
fn unsafe_merges(
    tree: &octree::Node,
    mesh: &Mesh,
    all: bool,
) -> std::collections::HashSet<([u32; 3], u32)> {
    let mut owner: Vec<Option<([u32; 3], u32)>> = Vec::with_capacity(mesh.vertices.len());
    let mut fresh: Vec<bool> = Vec::with_capacity(mesh.vertices.len());
    for l in dual::leaves(tree) {
        for _ in &l.comps {
            owner.push(l.kids.is_some().then_some((l.pos, l.sz)));
            fresh.push(l.fresh);
        }
    }
    let candidates: Vec<bool> = if all {
        let merged = |t: &[u32; 3]| t.iter().any(|&v| owner[v as usize].is_some());
        mesh.triangles.iter().map(merged).collect()
    } else {
        // The triangles around the fresh vertices, and their neighbours.
        let mut near = fresh.clone();
        for t in &mesh.triangles {
            if t.iter().any(|&v| fresh[v as usize]) {
                for &v in t {
                    near[v as usize] = true;
                }
            }
        }
        mesh.triangles
            .iter()
            .map(|t| t.iter().any(|&v| near[v as usize]))
            .collect()
    };
    let mut bad: Vec<usize> = Vec::new();
    if candidates.iter().any(|&c| c) {
        for (a, b) in check::intersecting_pairs_among(mesh, Some(&candidates)) {
            bad.extend([a, b]);
        }
        for (t, tri) in mesh.triangles.iter().enumerate() {
            if candidates[t] && check::is_degenerate(mesh, tri) {
                bad.push(t);
            }
        }
    }
    bad.iter()
        .flat_map(|&t| mesh.triangles[t])
        .filter_map(|v| owner[v as usize])
        .collect()
}
