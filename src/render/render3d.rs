//! 3D rendering: what a shape looks like through a [`View`], as a depth and
//! a normal per pixel ([`Geometry`]).
//!
//! The view is applied to the shape's inputs ([`View::apply`]), so the
//! renderer works in *image space*: a grid of `width × height` pixels with
//! `depth` samples along each ray ([`View::image_grid`]; sample 0 is the
//! farthest). The image is cut into root tiles (`voxel_tile_sizes[0]`
//! pixels square) that run in parallel; each is walked front to back, slab
//! by slab from the viewer, as an octree of cells:
//!
//! - a cell whose pixels all have a hit already is skipped (occlusion: it
//!   lies wholly behind them);
//! - otherwise it is bounded by interval arithmetic: entirely outside, it
//!   is skipped; entirely inside, its open columns are hit at its near
//!   face; otherwise its tape is pruned and it is split, nearest children
//!   first;
//! - in cells of the last size, open columns are evaluated as slices from
//!   the near side, stopping at each column's first inside sample.
//!
//! Each hit is then refined along its ray by bisection between the last
//! outside and the first inside sample, to 1/128 of a sample step, and its
//! normal is the normalised gradient there ([`crate::eval::GradSlice`]),
//! turned into camera axes by [`View::normal`]. Where the gradient gives no
//! direction, the normal is estimated from the neighbouring pixels' depths.
//!
//! Cell bounds reach one sample towards the viewer beyond the cell, so that
//! a pruned tape is exact over every refinement bracket that starts in the
//! cell. Every decision is made from sample values (intervals only skip
//! work whose outcome they prove), so pruned renders equal brute force bit
//! for bit, for any thread count and dispatch style. No voxel buffer is
//! kept: memory is a few bytes per pixel.

use std::sync::atomic::Ordering;

use super::view::normalize;
use super::voxels::{Centres, root_sizes_3d};
use super::worker::Worker;
use super::{EvalOptions, View, check_bytes, pool_threads, with_pool};
use crate::error::Error;
use crate::eval::{GRAD_LANES, Interval, LANES, Lanes};
use crate::shape::Shape;
use crate::tape::Tape;

/// Bisection steps refining each hit: the depth is then within 2⁻⁷ of a
/// sample step of the crossing.
const REFINE_STEPS: usize = 6;

/// What a 3D render shows: picture size, samples along each ray, and the
/// view.
///
/// ```
/// use tapir::render::Frame3d;
/// let f = Frame3d::square(256);
/// assert_eq!((f.width, f.height, f.depth), (256, 256, 256));
/// ```
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Frame3d {
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Samples along each ray, spread over the view volume's depth.
    pub depth: usize,
    /// Where the camera is.
    pub view: View,
}

impl Frame3d {
    /// An `n × n` picture with `n` depth samples and the default view.
    pub fn square(n: usize) -> Self {
        Frame3d {
            width: n,
            height: n,
            depth: n,
            view: View::default(),
        }
    }

    /// Checks the view and the depth, with a message naming the bad value.
    pub fn validate(&self) -> Result<(), Error> {
        self.view.validate()?;
        if self.depth == 0 && self.width > 0 && self.height > 0 {
            return Err(Error::Limit(
                "a 3D render needs at least 1 depth sample".into(),
            ));
        }
        Ok(())
    }
}

/// A 3D render's result: per pixel, where the ray first meets the shape and
/// the surface normal there.
#[derive(Clone, Debug, PartialEq)]
pub struct Geometry {
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Depth samples per ray the render used.
    pub depth: usize,
    /// Per pixel, row by row from the top: the image-space depth `w` of the
    /// hit (in [-1, 1], +1 nearest the viewer; the largest `w` along the ray
    /// at which the shape is inside), or NaN where the ray meets nothing.
    pub hits: Vec<f32>,
    /// Per pixel: the unit surface normal at the hit, in camera axes (x to
    /// the right, y up, z towards the viewer); zero where there is no hit.
    pub normals: Vec<[f32; 3]>,
}

impl Geometry {
    /// The hit depth of pixel `(i, j)`, if its ray meets the shape.
    pub fn hit(&self, i: usize, j: usize) -> Option<f32> {
        let w = self.hits[j * self.width + i];
        (!w.is_nan()).then_some(w)
    }

    /// Pixels whose ray meets the shape.
    pub fn covered(&self) -> usize {
        self.hits.iter().filter(|w| !w.is_nan()).count()
    }

    /// A hit depth `w` in units of depth samples from the far face (sample
    /// `k`'s centre is at `k + 0.5`).
    pub fn in_samples(&self, w: f32) -> f64 {
        (f64::from(w) + 1.0) / 2.0 * self.depth as f64
    }
}

/// A column's state while its root tile is rendered.
#[derive(Copy, Clone, Debug)]
struct Column {
    /// Depth sample of the first inside sample, or -1 while none is known.
    k: i32,
    /// Refined hit depth.
    w: f32,
    /// Unit normal; zero while unknown (then estimated from neighbours).
    n: [f32; 3],
}

const OPEN: Column = Column {
    k: -1,
    w: f32::NAN,
    n: [0.0; 3],
};

/// One render's fixed inputs.
struct Job<'a> {
    tape: &'a Tape,
    opts: &'a EvalOptions,
    view: View,
    at: Centres,
    dims: [usize; 3],
    sizes: Vec<usize>,
}

/// A root tile's columns: `stride` wide, starting at image pixel `origin`.
struct Tile<'a> {
    cols: &'a mut [Column],
    origin: [usize; 2],
    stride: usize,
}

impl Tile<'_> {
    fn col(&mut self, i: usize, j: usize) -> &mut Column {
        &mut self.cols[(j - self.origin[1]) * self.stride + (i - self.origin[0])]
    }

    /// True when every column of the block at `pos` of size `size` has a hit.
    fn covered(&self, pos: [usize; 3], size: [usize; 3]) -> bool {
        (0..size[1]).all(|dj| {
            let row = (pos[1] + dj - self.origin[1]) * self.stride + (pos[0] - self.origin[0]);
            self.cols[row..row + size[0]].iter().all(|c| c.k >= 0)
        })
    }
}

/// A hit waiting for refinement: pixel and first inside sample.
#[derive(Copy, Clone, Debug, Default)]
struct Hit {
    i: usize,
    j: usize,
    k: usize,
}

impl Job<'_> {
    /// Renders the root tile at pixel `(x0, y0)` into `cols`.
    fn root(&self, w: &mut Worker, [x0, y0]: [usize; 2], cols: &mut [Column]) {
        let r = self.sizes[0];
        let (tw, th) = (r.min(self.dims[0] - x0), r.min(self.dims[1] - y0));
        let mut tile = Tile {
            cols,
            origin: [x0, y0],
            stride: r,
        };
        let mut top = self.dims[2];
        while top > 0 {
            let lo = top.saturating_sub(r);
            let (pos, size) = ([x0, y0, lo], [tw, th, top - lo]);
            if tile.covered(pos, size) {
                break;
            }
            self.cell(w, self.tape, 0, pos, size, &mut tile);
            top = lo;
        }
        if let Some(p) = &self.opts.progress {
            p.0.fetch_add(1, Ordering::Relaxed);
        }
        w.report(self.opts);
    }

    /// The interval box of a cell, reaching one sample nearer the viewer
    /// (or to the near face, w = 1) beyond its top.
    fn bounds(&self, pos: [usize; 3], size: [usize; 3]) -> [Interval; 3] {
        let mut b = self.at.cell(pos, size);
        let top = pos[2] + size[2] - 1;
        b[2] = Interval::new(b[2].lo(), self.above(top));
        b
    }

    /// The depth just above sample `k`: sample `k + 1`, or the near face.
    fn above(&self, k: usize) -> f32 {
        self.at.axes[2].get(k + 1).copied().unwrap_or(1.0)
    }

    fn cell(
        &self,
        w: &mut Worker,
        tape: &Tape,
        level: usize,
        pos: [usize; 3],
        size: [usize; 3],
        tile: &mut Tile,
    ) {
        if self.opts.cancelled() || tile.covered(pos, size) {
            return;
        }
        let leaf = level + 1 == self.sizes.len();
        let mut pruned = None;
        if w.prune {
            let v = w.interval(tape, self.bounds(pos, size));
            if !v.is_unknown() && v.lo() >= 0.0 {
                return;
            }
            pruned = w.prune(tape);
            if !v.is_unknown() && v.hi() < 0.0 {
                let t = pruned.as_ref().unwrap_or(tape);
                self.fill(w, t, pos, size, tile);
                w.recycle(pruned);
                return;
            }
        }
        let t = pruned.as_ref().unwrap_or(tape);
        if leaf {
            self.columns(w, t, pos, size, tile);
        } else {
            let step = self.sizes[level + 1];
            let top = pos[2] + size[2];
            let mut hi = top;
            while hi > pos[2] {
                let lo = hi.saturating_sub(step).max(pos[2]);
                for dj in (0..size[1]).step_by(step) {
                    for di in (0..size[0]).step_by(step) {
                        let at = [pos[0] + di, pos[1] + dj, lo];
                        let sub = [step.min(size[0] - di), step.min(size[1] - dj), hi - lo];
                        self.cell(w, t, level + 1, at, sub, tile);
                    }
                }
                hi = lo;
            }
        }
        w.recycle(pruned);
    }

    /// A cell proven entirely inside: its open columns are hit at its top.
    fn fill(
        &self,
        w: &mut Worker,
        tape: &Tape,
        pos: [usize; 3],
        size: [usize; 3],
        tile: &mut Tile,
    ) {
        let k = pos[2] + size[2] - 1;
        let mut hits = [Hit::default(); LANES];
        let mut n = 0;
        for j in pos[1]..pos[1] + size[1] {
            for i in pos[0]..pos[0] + size[0] {
                if tile.col(i, j).k < 0 {
                    hits[n] = Hit { i, j, k };
                    n += 1;
                    if n == LANES {
                        self.finish(w, tape, &hits, tile);
                        n = 0;
                    }
                }
            }
        }
        self.finish(w, tape, &hits[..n], tile);
        w.work.filled += (size[0] * size[1]) as u64;
    }

    /// Evaluates the open columns of a leaf cell from its top down, up to
    /// [`LANES`] columns at a time.
    fn columns(
        &self,
        w: &mut Worker,
        tape: &Tape,
        pos: [usize; 3],
        size: [usize; 3],
        tile: &mut Tile,
    ) {
        let span = (pos[2], pos[2] + size[2]);
        let mut batch = [(0usize, 0usize); LANES];
        let mut n = 0;
        for j in pos[1]..pos[1] + size[1] {
            for i in pos[0]..pos[0] + size[0] {
                if tile.col(i, j).k < 0 {
                    batch[n] = (i, j);
                    n += 1;
                    if n == LANES {
                        self.search(w, tape, span, &batch, tile);
                        n = 0;
                    }
                }
            }
        }
        self.search(w, tape, span, &batch[..n], tile);
    }

    /// Finds the first inside sample of each column of `cols` among depth
    /// samples `bottom..top`, nearest first, then refines the hits. Each
    /// pass packs the next `LANES / open` samples of every open column into
    /// one slice, so that few open columns still fill the lanes.
    fn search(
        &self,
        w: &mut Worker,
        tape: &Tape,
        (bottom, top): (usize, usize),
        cols: &[(usize, usize)],
        tile: &mut Tile,
    ) {
        let [ax, ay, az] = &self.at.axes;
        // Open columns and the sample below the last one evaluated (so
        // `next - 1` is the next to evaluate).
        let mut open = [(0usize, 0usize, 0usize); LANES];
        for (o, &(i, j)) in open.iter_mut().zip(cols) {
            *o = (i, j, top);
        }
        let mut m = cols.len();
        let mut hits = [Hit::default(); LANES];
        let mut nh = 0;
        let mut xyz = [Lanes::default(); 3];
        while m > 0 {
            let per = LANES / m;
            let mut n = 0;
            for &(i, j, next) in &open[..m] {
                for k in (next.saturating_sub(per).max(bottom)..next).rev() {
                    (xyz[0].0[n], xyz[1].0[n], xyz[2].0[n]) = (ax[i], ay[j], az[k]);
                    n += 1;
                }
            }
            for pad in n..LANES {
                for a in &mut xyz {
                    a.0[pad] = a.0[n - 1];
                }
            }
            let v = w.slice(tape, xyz);
            // Lanes of one column are consecutive, nearest first: the first
            // inside one is its hit.
            let (mut lane, mut still) = (0, 0);
            for c in 0..m {
                let (i, j, next) = open[c];
                let low = next.saturating_sub(per).max(bottom);
                let hit = (low..next)
                    .rev()
                    .zip(&v.0[lane..])
                    .find(|&(_, v)| *v < 0.0)
                    .map(|(k, _)| k);
                lane += next - low;
                if let Some(k) = hit {
                    hits[nh] = Hit { i, j, k };
                    nh += 1;
                } else if low > bottom {
                    open[still] = (i, j, low);
                    still += 1;
                }
            }
            m = still;
        }
        self.finish(w, tape, &hits[..nh], tile);
    }

    /// Refines up to [`LANES`] hits along their rays and sets their depths
    /// and normals.
    fn finish(&self, w: &mut Worker, tape: &Tape, hits: &[Hit], tile: &mut Tile) {
        if hits.is_empty() {
            return;
        }
        let [ax, ay, az] = &self.at.axes;
        let mut xyz = [Lanes::default(); 3];
        let (mut lo, mut hi) = ([0f32; LANES], [0f32; LANES]);
        for (n, h) in hits.iter().enumerate() {
            (xyz[0].0[n], xyz[1].0[n]) = (ax[h.i], ay[h.j]);
            (lo[n], hi[n]) = (az[h.k], self.above(h.k));
        }
        let m = hits.len();
        for n in m..LANES {
            (xyz[0].0[n], xyz[1].0[n]) = (xyz[0].0[m - 1], xyz[1].0[m - 1]);
            (lo[n], hi[n]) = (lo[m - 1], hi[m - 1]);
        }
        // Bisection: `lo` stays inside, `hi` outside.
        for _ in 0..REFINE_STEPS {
            for n in 0..LANES {
                xyz[2].0[n] = lo[n] + (hi[n] - lo[n]) * 0.5;
            }
            let v = w.slice(tape, xyz);
            for n in 0..LANES {
                if v.0[n] < 0.0 {
                    lo[n] = xyz[2].0[n];
                } else {
                    hi[n] = xyz[2].0[n];
                }
            }
        }
        let depth: [f32; LANES] = std::array::from_fn(|n| lo[n] + (hi[n] - lo[n]) * 0.5);
        // Gradients at the refined hits, GRAD_LANES at a time.
        for start in (0..m).step_by(GRAD_LANES) {
            let pick = |src: &[f32]| Lanes(std::array::from_fn(|k| src[(start + k).min(m - 1)]));
            let g = w.grad(tape, [pick(&xyz[0].0), pick(&xyz[1].0), pick(&depth)]);
            for k in 0..GRAD_LANES.min(m - start) {
                let n = start + k;
                let h = hits[n];
                let p = [xyz[0].0[n], xyz[1].0[n], depth[n]];
                let normal = self
                    .view
                    .normal(p, [g.dx.0[k], g.dy.0[k], g.dz.0[k]])
                    .unwrap_or([0.0; 3]);
                let col = tile.col(h.i, h.j);
                (col.k, col.w, col.n) = (h.k as i32, depth[n], normal);
            }
        }
    }
}

impl Shape {
    /// Renders this shape in 3D: for each pixel of `frame`, the depth of the
    /// first hit along its ray and the surface normal there.
    ///
    /// With `opts.prune` (the default) cells are skipped, filled and pruned
    /// by interval arithmetic; the result is bit-identical to brute force.
    ///
    /// ```
    /// use tapir::Shape;
    /// use tapir::render::{EvalOptions, Frame3d};
    ///
    /// let ball = Shape::from_expr("sqrt(x^2 + y^2 + z^2) - 0.5").unwrap();
    /// let g = ball.render3d(&Frame3d::square(64), &EvalOptions::default()).unwrap();
    /// // The ray through the middle meets the ball at z = 0.5, facing the viewer.
    /// let w = g.hit(32, 32).unwrap();
    /// assert!((w - 0.5).abs() < 1e-3, "{w}");
    /// assert!(g.normals[32 * 64 + 32][2] > 0.99);
    /// // About π/16 of the picture is covered.
    /// let share = g.covered() as f64 / (64.0 * 64.0);
    /// assert!((share - std::f64::consts::PI / 16.0).abs() < 0.01);
    /// ```
    pub fn render3d(&self, frame: &Frame3d, opts: &EvalOptions) -> Result<Geometry, Error> {
        opts.validate()?;
        frame.validate()?;
        let params = opts.param_values(self)?;
        let (width, height, depth) = (frame.width, frame.height, frame.depth);
        let grid = View::image_grid(width, height, depth);
        // Per pixel: a column while rendering (20 bytes), the depth and the
        // normal of the result (16); plus the coordinate arrays.
        let pixels = width.saturating_mul(height);
        let coords = width
            .saturating_add(height)
            .saturating_add(depth)
            .saturating_mul(4);
        let bytes = pixels.saturating_mul(36).saturating_add(coords);
        check_bytes(
            bytes,
            || format!("a {width}×{height}×{depth} 3D render"),
            opts,
        )?;
        let mut geometry = Geometry {
            width,
            height,
            depth,
            hits: Vec::new(),
            normals: Vec::new(),
        };
        if pixels == 0 {
            return Ok(geometry);
        }
        let seen = frame.view.apply(self);
        let sizes = root_sizes_3d(
            &opts.voxel_tile_sizes,
            [width, height, 1],
            pool_threads(opts.threads),
        );
        let r = sizes[0];
        let job = Job {
            tape: seen.tape(),
            opts,
            view: frame.view,
            at: Centres::of(&grid),
            dims: grid.dims(),
            sizes,
        };
        let roots: Vec<[usize; 2]> = (0..height)
            .step_by(r)
            .flat_map(|y| (0..width).step_by(r).map(move |x| [x, y]))
            .collect();
        let mut tiled = vec![OPEN; roots.len() * r * r];
        if let Some(p) = &opts.progress {
            p.0.store(0, Ordering::Relaxed);
            p.1.store(roots.len(), Ordering::Relaxed);
        }
        with_pool(opts.threads, || {
            #[cfg(feature = "parallel")]
            {
                use rayon::prelude::*;
                tiled.par_chunks_mut(r * r).zip(&roots).for_each_init(
                    || Worker::lease(opts, &params),
                    |w, (chunk, &t)| job.root(w, t, chunk),
                );
            }
            #[cfg(not(feature = "parallel"))]
            {
                let mut w = Worker::lease(opts, &params);
                for (chunk, &t) in tiled.chunks_mut(r * r).zip(&roots) {
                    job.root(&mut w, t, chunk);
                }
            }
        })?;
        if opts.cancelled() {
            return Err(Error::Interrupted);
        }
        geometry.hits = vec![f32::NAN; pixels];
        geometry.normals = vec![[0.0; 3]; pixels];
        for (chunk, &[x0, y0]) in tiled.chunks(r * r).zip(&roots) {
            let (tw, th) = (r.min(width - x0), r.min(height - y0));
            for j in 0..th {
                for i in 0..tw {
                    let c = chunk[j * r + i];
                    let p = (y0 + j) * width + x0 + i;
                    if c.k >= 0 {
                        geometry.hits[p] = c.w;
                        geometry.normals[p] = c.n;
                    }
                }
            }
        }
        drop(tiled);
        estimate_missing_normals(&mut geometry);
        Ok(geometry)
    }
}

/// Gives every hit whose gradient had no direction a normal from the
/// depths of its neighbours (facing the viewer where they are missing too).
fn estimate_missing_normals(g: &mut Geometry) {
    let (wd, ht) = (g.width, g.height);
    let [eu, ev] = View::image_extent(wd, ht);
    // Image-space size of a pixel.
    let (du, dv) = (2.0 * eu / wd as f64, 2.0 * ev / ht as f64);
    for j in 0..ht {
        for i in 0..wd {
            let p = j * wd + i;
            if g.hits[p].is_nan() || g.normals[p] != [0.0; 3] {
                continue;
            }
            // Slope of the depth along one axis from the neighbours that
            // have hits: central where both do, one-sided otherwise.
            let slope = |a: Option<f32>, b: Option<f32>, here: f32, step: f64| -> f64 {
                match (a, b) {
                    (Some(a), Some(b)) => f64::from(b - a) / (2.0 * step),
                    (Some(a), None) => f64::from(here - a) / step,
                    (None, Some(b)) => f64::from(b - here) / step,
                    (None, None) => 0.0,
                }
            };
            let here = g.hits[p];
            let left = (i > 0).then(|| g.hit(i - 1, j)).flatten();
            let right = (i + 1 < wd).then(|| g.hit(i + 1, j)).flatten();
            // Row j - 1 is above (larger v).
            let below = (j + 1 < ht).then(|| g.hit(i, j + 1)).flatten();
            let above = (j > 0).then(|| g.hit(i, j - 1)).flatten();
            let su = slope(left, right, here, du);
            let sv = slope(below, above, here, dv);
            g.normals[p] = normalize([-su as f32, -sv as f32, 1.0]).unwrap_or([0.0, 0.0, 1.0]);
        }
    }
}
