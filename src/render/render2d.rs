//! 2D rendering: a shape over a [`Grid2`], in parallel tiles, pruned by
//! interval arithmetic.
//!
//! The image is cut into root tiles (`tile_sizes[0]` pixels square) that run
//! in parallel. Each tile is evaluated as an interval over its pixel centres:
//! for a mask, a tile entirely inside or outside is filled at once; otherwise
//! the tape is pruned to what can matter in the tile
//! ([`crate::tape::simplify`]) and the tile is split into the next size.
//! Tiles of the last size are not evaluated as intervals: their pixels are
//! evaluated as slices with the shortest tape found above them (at that size
//! a slice pass costs about what an interval pass does). Values rendered this way are bit-identical to brute force (a pruned
//! tape is exact in its region), and tiles never depend on each other, so the
//! result does not depend on the thread count.

use std::sync::atomic::Ordering;

use super::worker::Worker;
use super::{EvalOptions, Grid2, check_budget, pool_threads, with_pool};
use crate::error::Error;
use crate::eval::{Interval, LANES, Lanes};
use crate::shape::Shape;
use crate::tape::Tape;

/// What a render produces per pixel.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Want {
    /// The exact value.
    Values,
    /// Only the sign: tiles known to be inside (or outside) are filled with
    /// -1 (or +1) without evaluating pixels.
    Sign,
}

/// One render's fixed inputs.
struct Frame<'a> {
    shape: &'a Shape,
    opts: &'a EvalOptions,
    want: Want,
    xs: Vec<f32>,
    ys: Vec<f32>,
    z: f32,
    sizes: Vec<usize>,
}

impl Frame<'_> {
    /// Renders the root tile at pixel `(x0, y0)` into `out` (row-major, a
    /// root tile wide).
    fn root(&self, w: &mut Worker, (x0, y0): (usize, usize), out: &mut [f32]) {
        let size = self.sizes[0];
        let tw = size.min(self.xs.len() - x0);
        let th = size.min(self.ys.len() - y0);
        let mut t = Target {
            out,
            root: (x0, y0),
            stride: size,
        };
        self.tile(w, self.shape.tape(), 0, (x0, y0), (tw, th), &mut t);
        if let Some(p) = &self.opts.progress {
            p.0.fetch_add(1, Ordering::Relaxed);
        }
        w.report(self.opts);
    }

    /// Renders the `w × h` tile at `pos` with `tape`, at subdivision `level`.
    fn tile(
        &self,
        wk: &mut Worker,
        tape: &Tape,
        level: usize,
        pos: (usize, usize),
        (w, h): (usize, usize),
        out: &mut Target,
    ) {
        if self.opts.cancelled() {
            return;
        }
        if level + 1 == self.sizes.len() {
            self.pixels(wk, tape, pos, (w, h), out);
            return;
        }
        let mut pruned = None;
        if wk.prune {
            let x = Interval::new(self.xs[pos.0], self.xs[pos.0 + w - 1]);
            let y = Interval::new(self.ys[pos.1 + h - 1], self.ys[pos.1]);
            let v = wk.interval(tape, [x, y, Interval::point(self.z)]);
            if self.want == Want::Sign && !v.is_unknown() && (v.hi() < 0.0 || v.lo() >= 0.0) {
                let fill = if v.hi() < 0.0 { -1.0 } else { 1.0 };
                out.fill(pos, (w, h), fill);
                wk.work.filled += (w * h) as u64;
                return;
            }
            pruned = wk.prune(tape);
        }
        let t = pruned.as_ref().unwrap_or(tape);
        let step = self.sizes[level + 1];
        for ty in (0..h).step_by(step) {
            for tx in (0..w).step_by(step) {
                let sub = (step.min(w - tx), step.min(h - ty));
                self.tile(wk, t, level + 1, (pos.0 + tx, pos.1 + ty), sub, out);
            }
        }
        wk.recycle(pruned);
    }

    /// Evaluates every pixel of a tile, `LANES` at a time.
    fn pixels(
        &self,
        wk: &mut Worker,
        tape: &Tape,
        pos: (usize, usize),
        (w, h): (usize, usize),
        out: &mut Target,
    ) {
        let (mut xs, mut ys) = (Lanes::default(), Lanes::default());
        let zs = Lanes([self.z; LANES]);
        // Tile-local column and row of each lane's pixel.
        let mut at = [(0usize, 0usize); LANES];
        let mut k = 0;
        for j in 0..h {
            let y = self.ys[pos.1 + j];
            for i in 0..w {
                (xs.0[k], ys.0[k], at[k]) = (self.xs[pos.0 + i], y, (i, j));
                k += 1;
                if k == LANES || (i + 1 == w && j + 1 == h) {
                    // Pad a last, partial pass with copies of its last point.
                    for pad in k..LANES {
                        (xs.0[pad], ys.0[pad]) = (xs.0[k - 1], ys.0[k - 1]);
                    }
                    let v = wk.slice(tape, [xs, ys, zs]);
                    for (&(i, j), &v) in at[..k].iter().zip(&v.0) {
                        *out.at(pos.0 + i, pos.1 + j) = v;
                    }
                    k = 0;
                }
            }
        }
    }
}

/// A root tile's output buffer.
struct Target<'a> {
    out: &'a mut [f32],
    /// Image position of the buffer's first pixel.
    root: (usize, usize),
    /// Buffer row length.
    stride: usize,
}

impl Target<'_> {
    fn at(&mut self, x: usize, y: usize) -> &mut f32 {
        &mut self.out[(y - self.root.1) * self.stride + (x - self.root.0)]
    }

    fn fill(&mut self, pos: (usize, usize), (w, h): (usize, usize), v: f32) {
        for j in 0..h {
            let row = (pos.1 - self.root.1 + j) * self.stride + (pos.0 - self.root.0);
            self.out[row..row + w].fill(v);
        }
    }
}

/// Renders `grid`. `extra_per_pixel` is what the caller will allocate per
/// pixel on top (for the memory budget).
fn render(
    shape: &Shape,
    grid: &Grid2,
    opts: &EvalOptions,
    want: Want,
    extra_per_pixel: usize,
) -> Result<Vec<f32>, Error> {
    opts.validate()?;
    let params = opts.param_values(shape)?;
    // The tile-major buffer and the image: 4 bytes a pixel each.
    check_budget(grid, 8 + extra_per_pixel, opts)?;
    if grid.is_empty() {
        return Ok(Vec::new());
    }
    let sizes = root_sizes(&opts.tile_sizes, grid, pool_threads(opts.threads));
    let frame = Frame {
        shape,
        opts,
        want,
        xs: (0..grid.width()).map(|i| grid.x(i)).collect(),
        ys: (0..grid.height()).map(|j| grid.y(j)).collect(),
        z: opts.z,
        sizes,
    };
    let root = frame.sizes[0];
    let tiles: Vec<(usize, usize)> = (0..grid.height())
        .step_by(root)
        .flat_map(|y| (0..grid.width()).step_by(root).map(move |x| (x, y)))
        .collect();
    // Tiles are rendered into a tile-major buffer (each root tile a
    // contiguous chunk, so threads write disjoint slices), then copied into
    // row-major order.
    let mut tiled = vec![0.0f32; tiles.len() * root * root];
    if let Some(p) = &opts.progress {
        p.0.store(0, Ordering::Relaxed);
        p.1.store(tiles.len(), Ordering::Relaxed);
    }
    with_pool(opts.threads, || {
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            tiled.par_chunks_mut(root * root).zip(&tiles).for_each_init(
                || Worker::lease(opts, &params),
                |w, (chunk, &t)| frame.root(w, t, chunk),
            );
        }
        #[cfg(not(feature = "parallel"))]
        {
            let mut w = Worker::lease(opts, &params);
            for (chunk, &t) in tiled.chunks_mut(root * root).zip(&tiles) {
                frame.root(&mut w, t, chunk);
            }
        }
    })?;
    if opts.cancelled() {
        return Err(Error::Interrupted);
    }
    let mut image = vec![0.0f32; grid.len()];
    for (chunk, &(x0, y0)) in tiled.chunks(root * root).zip(&tiles) {
        let w = root.min(grid.width() - x0);
        let h = root.min(grid.height() - y0);
        for j in 0..h {
            let dst = (y0 + j) * grid.width() + x0;
            image[dst..dst + w].copy_from_slice(&chunk[j * root..j * root + w]);
        }
    }
    Ok(image)
}

/// The tile sizes to use for `grid` on `threads` threads: the configured
/// ones, less leading sizes while the image has too few root tiles to keep
/// every thread busy (two per thread), so small images run in parallel too.
/// Results do not depend on tile sizes.
fn root_sizes(sizes: &[usize], grid: &Grid2, threads: usize) -> Vec<usize> {
    let tiles = |s: usize| grid.width().div_ceil(s) * grid.height().div_ceil(s);
    let mut first = 0;
    while first + 2 < sizes.len() && tiles(sizes[first]) < 2 * threads {
        first += 1;
    }
    sizes[first..].to_vec()
}

impl Shape {
    /// The value at every pixel centre of `grid`, row by row from the top.
    ///
    /// With `opts.prune` (the default) tiles are evaluated with tapes pruned
    /// to what matters there; the values are bit-identical to brute force.
    ///
    /// ```
    /// use tapir::Shape;
    /// use tapir::render::{EvalOptions, Grid2};
    ///
    /// let disc = Shape::from_expr("sqrt(x^2 + y^2) - 0.5").unwrap();
    /// let grid = Grid2::square(64);
    /// let values = disc.eval_grid(&grid, &EvalOptions::default()).unwrap();
    /// assert_eq!(values.len(), 64 * 64);
    /// let inside = values.iter().filter(|v| **v < 0.0).count();
    /// assert!((inside as f64 - 64.0 * 64.0 * std::f64::consts::PI / 16.0).abs() < 40.0);
    /// ```
    pub fn eval_grid(&self, grid: &Grid2, opts: &EvalOptions) -> Result<Vec<f32>, Error> {
        render(self, grid, opts, Want::Values, 0)
    }

    /// Which pixels of `grid` are inside (value < 0), row by row from the top.
    ///
    /// Regions that interval arithmetic proves inside or outside are filled
    /// without evaluating their pixels; the answer is the same as comparing
    /// [`Shape::eval_grid`] with zero.
    pub fn render_mask(&self, grid: &Grid2, opts: &EvalOptions) -> Result<Vec<bool>, Error> {
        Ok(render(self, grid, opts, Want::Sign, 1)?
            .into_iter()
            .map(|v| v < 0.0)
            .collect())
    }
}
