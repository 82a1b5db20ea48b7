//! Voxel grids: a shape's value at every voxel centre of a [`Grid3`], in
//! parallel cells pruned by interval arithmetic.
//!
//! The grid is cut into cubic root cells (`voxel_tile_sizes[0]` voxels on a
//! side) that run in parallel. Each cell is bounded by interval arithmetic
//! over its voxel centres, its tape pruned to what can matter there, and
//! split into the next size (an octree); cells of the last size are
//! evaluated voxel by voxel in slices of [`LANES`] points. A pruned tape is
//! exact in its cell, so the values are bit-identical to brute force for any
//! thread count and dispatch style.

use std::sync::atomic::Ordering;

use super::worker::Worker;
use super::{EvalOptions, Grid3, check_bytes, pool_threads, with_pool};
use crate::error::Error;
use crate::eval::{Interval, LANES, Lanes};
use crate::shape::Shape;
use crate::tape::Tape;

/// Sample positions of a grid, and box bounds over index ranges of them.
pub(crate) struct Centres {
    /// x of each column, y of each row (top first), z of each slice.
    pub axes: [Vec<f32>; 3],
}

impl Centres {
    /// The centres of `grid`.
    pub fn of(grid: &Grid3) -> Self {
        Centres {
            axes: grid.centres(),
        }
    }

    /// The interval spanned by centres `lo..=hi` along `axis` (y runs
    /// downwards with its index).
    pub fn span(&self, axis: usize, lo: usize, hi: usize) -> Interval {
        let (a, b) = (self.axes[axis][lo], self.axes[axis][hi]);
        if a <= b {
            Interval::new(a, b)
        } else {
            Interval::new(b, a)
        }
    }

    /// The box spanned by the voxels at `pos` of size `size`.
    pub fn cell(&self, pos: [usize; 3], size: [usize; 3]) -> [Interval; 3] {
        std::array::from_fn(|a| self.span(a, pos[a], pos[a] + size[a] - 1))
    }
}

/// One evaluation's fixed inputs.
struct Job<'a> {
    shape: &'a Shape,
    opts: &'a EvalOptions,
    at: Centres,
    dims: [usize; 3],
    sizes: Vec<usize>,
}

impl Job<'_> {
    /// Evaluates the root cell at `pos` into `out` (cell-major: x fastest,
    /// a root cell on a side).
    fn root(&self, w: &mut Worker, pos: [usize; 3], out: &mut [f32]) {
        let r = self.sizes[0];
        let size = std::array::from_fn(|a| r.min(self.dims[a] - pos[a]));
        self.cell(w, self.shape.tape(), 0, pos, size, pos, out);
        if let Some(p) = &self.opts.progress {
            p.0.fetch_add(1, Ordering::Relaxed);
        }
        w.report(self.opts);
    }

    #[allow(clippy::too_many_arguments)]
    fn cell(
        &self,
        w: &mut Worker,
        tape: &Tape,
        level: usize,
        pos: [usize; 3],
        size: [usize; 3],
        root: [usize; 3],
        out: &mut [f32],
    ) {
        if self.opts.cancelled() {
            return;
        }
        if level + 1 == self.sizes.len() {
            self.voxels(w, tape, pos, size, root, out);
            return;
        }
        let pruned = if w.prune {
            w.interval(tape, self.at.cell(pos, size));
            w.prune(tape)
        } else {
            None
        };
        let t = pruned.as_ref().unwrap_or(tape);
        let step = self.sizes[level + 1];
        for dk in (0..size[2]).step_by(step) {
            for dj in (0..size[1]).step_by(step) {
                for di in (0..size[0]).step_by(step) {
                    let d = [di, dj, dk];
                    let sub = std::array::from_fn(|a| step.min(size[a] - d[a]));
                    let at = std::array::from_fn(|a| pos[a] + d[a]);
                    self.cell(w, t, level + 1, at, sub, root, out);
                }
            }
        }
        w.recycle(pruned);
    }

    /// Evaluates every voxel of a leaf cell, `LANES` at a time.
    fn voxels(
        &self,
        w: &mut Worker,
        tape: &Tape,
        pos: [usize; 3],
        size: [usize; 3],
        root: [usize; 3],
        out: &mut [f32],
    ) {
        let r = self.sizes[0];
        let [ax, ay, az] = &self.at.axes;
        let mut xyz = [Lanes::default(); 3];
        let mut slot = [0usize; LANES];
        let total = size[0] * size[1] * size[2];
        let mut k = 0;
        for n in 0..total {
            let (i, j, l) = (
                n % size[0],
                (n / size[0]) % size[1],
                n / (size[0] * size[1]),
            );
            let p = [pos[0] + i, pos[1] + j, pos[2] + l];
            (xyz[0].0[k], xyz[1].0[k], xyz[2].0[k]) = (ax[p[0]], ay[p[1]], az[p[2]]);
            slot[k] = ((p[2] - root[2]) * r + (p[1] - root[1])) * r + (p[0] - root[0]);
            k += 1;
            if k == LANES || n + 1 == total {
                for pad in k..LANES {
                    for c in &mut xyz {
                        c.0[pad] = c.0[k - 1];
                    }
                }
                let v = w.slice(tape, xyz);
                for (&s, &v) in slot[..k].iter().zip(&v.0) {
                    out[s] = v;
                }
                k = 0;
            }
        }
    }
}

impl Shape {
    /// The value at every voxel centre of `grid`, stored slice by slice
    /// ([`Grid3::index`]: x fastest, then rows from the top, then z from
    /// the low end).
    ///
    /// With `opts.prune` (the default) each octree cell is evaluated with
    /// its tape pruned by interval arithmetic; the values are bit-identical
    /// to brute force. A grid whose buffers would exceed the memory budget
    /// is refused before anything is allocated.
    ///
    /// ```
    /// use tapir::Shape;
    /// use tapir::render::{EvalOptions, Grid3};
    ///
    /// let ball = Shape::from_expr("sqrt(x^2 + y^2 + z^2) - 0.5").unwrap();
    /// let grid = Grid3::cube(32);
    /// let values = ball.eval_voxels(&grid, &EvalOptions::default()).unwrap();
    /// let inside = values.iter().filter(|v| **v < 0.0).count() as f64;
    /// let expected = 32f64.powi(3) * std::f64::consts::PI / 48.0; // (4/3)π(1/4)³ of 8
    /// assert!((inside / expected - 1.0).abs() < 0.05);
    /// ```
    pub fn eval_voxels(&self, grid: &Grid3, opts: &EvalOptions) -> Result<Vec<f32>, Error> {
        opts.validate()?;
        let params = opts.param_values(self)?;
        let [nx, ny, nz] = grid.dims();
        // The cell-major buffer and the result: 4 bytes a voxel each, plus
        // the coordinate arrays.
        let coords = nx.saturating_add(ny).saturating_add(nz).saturating_mul(4);
        let bytes = grid.len().saturating_mul(8).saturating_add(coords);
        check_bytes(bytes, || format!("a {nx}×{ny}×{nz} voxel grid"), opts)?;
        if grid.is_empty() {
            return Ok(Vec::new());
        }
        let sizes = root_sizes_3d(
            &opts.voxel_tile_sizes,
            grid.dims(),
            pool_threads(opts.threads),
        );
        let r = sizes[0];
        let job = Job {
            shape: self,
            opts,
            at: Centres::of(grid),
            dims: grid.dims(),
            sizes,
        };
        let roots: Vec<[usize; 3]> = (0..nz)
            .step_by(r)
            .flat_map(|k| (0..ny).step_by(r).map(move |j| (j, k)))
            .flat_map(|(j, k)| (0..nx).step_by(r).map(move |i| [i, j, k]))
            .collect();
        let mut tiled = vec![0.0f32; roots.len() * r * r * r];
        if let Some(p) = &opts.progress {
            p.0.store(0, Ordering::Relaxed);
            p.1.store(roots.len(), Ordering::Relaxed);
        }
        with_pool(opts.threads, || {
            #[cfg(feature = "parallel")]
            {
                use rayon::prelude::*;
                tiled.par_chunks_mut(r * r * r).zip(&roots).for_each_init(
                    || Worker::lease(opts, &params),
                    |w, (chunk, &p)| job.root(w, p, chunk),
                );
            }
            #[cfg(not(feature = "parallel"))]
            {
                let mut w = Worker::lease(opts, &params);
                for (chunk, &p) in tiled.chunks_mut(r * r * r).zip(&roots) {
                    job.root(&mut w, p, chunk);
                }
            }
        })?;
        if opts.cancelled() {
            return Err(Error::Interrupted);
        }
        let mut values = vec![0.0f32; grid.len()];
        for (chunk, &[i0, j0, k0]) in tiled.chunks(r * r * r).zip(&roots) {
            let (w, h, d) = (r.min(nx - i0), r.min(ny - j0), r.min(nz - k0));
            for l in 0..d {
                for j in 0..h {
                    let src = (l * r + j) * r;
                    let dst = grid.index(i0, j0 + j, k0 + l);
                    values[dst..dst + w].copy_from_slice(&chunk[src..src + w]);
                }
            }
        }
        Ok(values)
    }
}

/// The 3D tile sizes to use for a grid of `dims` on `threads` threads: the
/// configured ones, less leading sizes while there are too few root cells
/// to keep every thread busy (two per thread). Results do not depend on
/// tile sizes.
pub(crate) fn root_sizes_3d(sizes: &[usize], dims: [usize; 3], threads: usize) -> Vec<usize> {
    let cells = |s: usize| dims.iter().map(|d| d.div_ceil(s)).product::<usize>();
    let mut first = 0;
    while first + 2 < sizes.len() && cells(sizes[first]) < 2 * threads {
        first += 1;
    }
    sizes[first..].to_vec()
}
