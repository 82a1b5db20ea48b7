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
//! Each hit is then refined along its ray: bisection between the first
//! inside sample and the one above it narrows the bracket to 1/32 of a
//! sample step, and a secant step in it gives the depth. The normal is the
//! normalised gradient ([`crate::eval::GradSlice`]) at the bracket's inside
//! end, turned into camera axes by [`View::normal`]; where the gradient
//! gives no direction, it is estimated from the neighbouring pixels'
//! depths.
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
use super::worker::{Lease, Worker};
use super::{EvalOptions, View, check_bytes, pool_threads, with_pool};
use crate::error::Error;
use crate::eval::{GRAD_LANES, Interval, LANES, Lanes};
use crate::shape::Shape;
use crate::tape::Tape;

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

/// Bisection steps refining each hit before the final secant step: the
/// bracket is then 2⁻⁵ of a sample step wide.
const BISECTIONS: usize = 5;

/// One render's fixed inputs.
struct Job<'a> {
    tape: &'a Tape,
    opts: &'a EvalOptions,
    view: View,
    at: Centres,
    dims: [usize; 3],
    sizes: Vec<usize>,
}

/// The pixels of one root tile: a segment of each of its rows of the
/// picture (so that tiles rendered in parallel own disjoint parts of it),
/// the first at pixel `(x0, y0)`. A pixel whose hit is NaN is still open.
struct Tile<'a> {
    hits: Vec<&'a mut [f32]>,
    normals: Vec<&'a mut [[f32; 3]]>,
    x0: usize,
    y0: usize,
}

impl Tile<'_> {
    /// The pixels `i..i + n` of row `j`.
    fn run(&self, i: usize, j: usize, n: usize) -> &[f32] {
        let x = i - self.x0;
        &self.hits[j - self.y0][x..x + n]
    }

    fn is_open(&self, i: usize, j: usize) -> bool {
        self.hits[j - self.y0][i - self.x0].is_nan()
    }

    fn set(&mut self, i: usize, j: usize, w: f32, n: [f32; 3]) {
        let (x, y) = (i - self.x0, j - self.y0);
        self.hits[y][x] = w;
        self.normals[y][x] = n;
    }

    /// True when every pixel of the block at `pos` of size `size` has a hit.
    fn covered(&self, pos: [usize; 3], size: [usize; 3]) -> bool {
        (0..size[1]).all(|dj| {
            self.run(pos[0], pos[1] + dj, size[0])
                .iter()
                .all(|w| !w.is_nan())
        })
    }

    /// The smallest block of the same depth inside the one at `pos` of size
    /// `size` that holds all its open pixels, or `None` when it has none.
    fn open_part(&self, pos: [usize; 3], size: [usize; 3]) -> Option<([usize; 3], [usize; 3])> {
        let (mut x0, mut x1, mut y0, mut y1) = (usize::MAX, 0, usize::MAX, 0);
        for dj in 0..size[1] {
            let line = self.run(pos[0], pos[1] + dj, size[0]);
            let Some(first) = line.iter().position(|w| w.is_nan()) else {
                continue;
            };
            let last = line.iter().rposition(|w| w.is_nan()).unwrap_or(first);
            (x0, x1) = (x0.min(first), x1.max(last));
            (y0, y1) = (y0.min(dj), dj);
        }
        (y0 != usize::MAX).then(|| {
            (
                [pos[0] + x0, pos[1] + y0, pos[2]],
                [x1 - x0 + 1, y1 - y0 + 1, size[2]],
            )
        })
    }
}

/// A hit waiting for refinement: pixel and first inside sample.
#[derive(Copy, Clone, Debug, Default)]
struct Hit {
    i: u32,
    j: u32,
    k: u32,
}

/// Buffers reused from cell to cell (one per worker thread).
struct Scratch {
    /// Open columns of the cell being searched.
    open: [(u32, u32); LANES],
    /// Hits waiting for refinement.
    hits: [Hit; LANES],
    /// Sample positions of a slice.
    xyz: [Lanes<LANES>; 3],
    /// Refinement brackets and the values at their ends.
    lo: [f32; LANES],
    hi: [f32; LANES],
    flo: [f32; LANES],
    fhi: [f32; LANES],
}

impl Scratch {
    fn new() -> Self {
        Scratch {
            open: [(0, 0); LANES],
            hits: [Hit::default(); LANES],
            xyz: [Lanes::default(); 3],
            lo: [0.0; LANES],
            hi: [0.0; LANES],
            flo: [0.0; LANES],
            fhi: [0.0; LANES],
        }
    }
}

/// The state of one root tile's walk: its worker, pixels and scratch space.
struct Walk<'a, 'w> {
    w: &'w mut Worker,
    tile: Tile<'a>,
    s: &'w mut Scratch,
}

impl Job<'_> {
    /// Renders a root tile: its slabs of cells, nearest first, until every
    /// pixel has a hit.
    fn root(&self, walk: &mut Walk) {
        let r = self.sizes[0];
        let (x0, y0) = (walk.tile.x0, walk.tile.y0);
        let (tw, th) = (r.min(self.dims[0] - x0), r.min(self.dims[1] - y0));
        let mut top = self.dims[2];
        while top > 0 {
            let lo = top.saturating_sub(r);
            let (pos, size) = ([x0, y0, lo], [tw, th, top - lo]);
            if walk.tile.covered(pos, size) {
                break;
            }
            self.cell(walk, self.tape, 0, pos, size);
            top = lo;
        }
        if let Some(p) = &self.opts.progress {
            p.0.fetch_add(1, Ordering::Relaxed);
        }
        walk.w.report(self.opts);
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

    /// Renders a cell: only the part of it that holds open pixels (so that
    /// its bounds are as tight as they can be).
    fn cell(&self, walk: &mut Walk, tape: &Tape, level: usize, pos: [usize; 3], size: [usize; 3]) {
        if self.opts.cancelled() {
            return;
        }
        let Some((pos, size)) = walk.tile.open_part(pos, size) else {
            return;
        };
        // A tape that does not read the depth w (exact over the cell and the
        // sample above it) has each open column's value there — outside —
        // all through the cell: nothing to find. (Only the top slab, whose
        // sample above is the near face, can hold hits then.)
        let top = pos[2] + size[2];
        if top < self.dims[2] && !tape.reg.reads_input(2) {
            return;
        }
        let leaf = level + 1 == self.sizes.len();
        let mut pruned = None;
        if walk.w.prune {
            let v = walk.w.interval(tape, self.bounds(pos, size));
            if !v.is_unknown() && v.lo() >= 0.0 {
                return;
            }
            pruned = walk.w.prune(tape);
            if top < self.dims[2] && pruned.as_ref().is_some_and(|t| !t.reg.reads_input(2)) {
                walk.w.recycle(pruned);
                return;
            }
            if !v.is_unknown() && v.hi() < 0.0 {
                let t = pruned.as_ref().unwrap_or(tape);
                self.fill(walk, t, pos, size);
                walk.w.recycle(pruned);
                return;
            }
        }
        let t = pruned.as_ref().unwrap_or(tape);
        if leaf {
            self.columns(walk, t, pos, size);
        } else {
            let step = self.sizes[level + 1];
            let mut hi = pos[2] + size[2];
            while hi > pos[2] {
                let lo = hi.saturating_sub(step).max(pos[2]);
                for dj in (0..size[1]).step_by(step) {
                    for di in (0..size[0]).step_by(step) {
                        let at = [pos[0] + di, pos[1] + dj, lo];
                        let sub = [step.min(size[0] - di), step.min(size[1] - dj), hi - lo];
                        self.cell(walk, t, level + 1, at, sub);
                    }
                }
                hi = lo;
            }
        }
        walk.w.recycle(pruned);
    }

    /// Calls `each` with batches of up to [`LANES`] open columns of the
    /// block at `pos` of size `size`, gathered in `walk.s.open`.
    fn open_columns(
        &self,
        walk: &mut Walk,
        pos: [usize; 3],
        size: [usize; 3],
        mut each: impl FnMut(&Self, &mut Walk, usize),
    ) {
        let mut n = 0;
        for j in pos[1]..pos[1] + size[1] {
            for di in 0..size[0] {
                if walk.tile.is_open(pos[0] + di, j) {
                    walk.s.open[n] = ((pos[0] + di) as u32, j as u32);
                    n += 1;
                    if n == LANES {
                        each(self, walk, n);
                        n = 0;
                    }
                }
            }
        }
        if n > 0 {
            each(self, walk, n);
        }
    }

    /// A cell proven entirely inside: its open columns are hit at its top.
    fn fill(&self, walk: &mut Walk, tape: &Tape, pos: [usize; 3], size: [usize; 3]) {
        let k = (pos[2] + size[2] - 1) as u32;
        self.open_columns(walk, pos, size, |job, walk, n| {
            for c in 0..n {
                let (i, j) = walk.s.open[c];
                walk.s.hits[c] = Hit { i, j, k };
            }
            job.finish(walk, tape, n);
        });
        walk.w.work.filled += (size[0] * size[1]) as u64;
    }

    /// Evaluates the open columns of a leaf cell from its top down.
    fn columns(&self, walk: &mut Walk, tape: &Tape, pos: [usize; 3], size: [usize; 3]) {
        let span = (pos[2], pos[2] + size[2]);
        self.open_columns(walk, pos, size, |job, walk, n| {
            job.search(walk, tape, span, n)
        });
    }

    /// Finds the first inside sample of each of the `m` columns in
    /// `walk.s.open` among depth samples `bottom..top`, nearest first, then
    /// refines the hits.
    ///
    /// The open columns go down together: each pass evaluates the next
    /// `per = LANES / open` samples of every open column in one slice
    /// (lanes `c·per .. c·per + per` for column `c`, nearest first), so
    /// that few open columns still fill the lanes.
    fn search(&self, walk: &mut Walk, tape: &Tape, (bottom, top): (usize, usize), mut m: usize) {
        let [ax, ay, az] = &self.at.axes;
        let s = &mut *walk.s;
        let mut next = top;
        let mut nh = 0;
        // The (open columns, samples per column) the x and y lanes hold.
        let mut layout = (0, 0);
        while m > 0 && next > bottom {
            let per = (LANES / m).min(next - bottom);
            let used = m * per;
            let [xs, ys, zs] = &mut s.xyz;
            if layout != (m, per) {
                for (c, &(i, j)) in s.open[..m].iter().enumerate() {
                    xs.0[c * per..(c + 1) * per].fill(ax[i as usize]);
                    ys.0[c * per..(c + 1) * per].fill(ay[j as usize]);
                }
                let (x, y) = (xs.0[used - 1], ys.0[used - 1]);
                xs.0[used..].fill(x);
                ys.0[used..].fill(y);
                layout = (m, per);
            }
            let depths = &az[next - per..next];
            if per == 1 {
                zs.0.fill(depths[0]);
            } else {
                for chunk in zs.0[..used].chunks_exact_mut(per) {
                    for (z, &d) in chunk.iter_mut().zip(depths.iter().rev()) {
                        *z = d;
                    }
                }
                zs.0[used..].fill(depths[0]);
            }
            let inside = walk.w.slice(tape, s.xyz).negative_mask();
            next -= per;
            if inside == 0 {
                continue;
            }
            let group = if per == 64 {
                u64::MAX
            } else {
                (1u64 << per) - 1
            };
            let mut still = 0;
            for c in 0..m {
                let bits = (inside >> (c * per)) & group;
                let (i, j) = s.open[c];
                if bits != 0 {
                    let k = (next + per - 1 - bits.trailing_zeros() as usize) as u32;
                    s.hits[nh] = Hit { i, j, k };
                    nh += 1;
                } else {
                    s.open[still] = (i, j);
                    still += 1;
                }
            }
            m = still;
        }
        self.finish(walk, tape, nh);
    }

    /// Refines the first `m` hits of `walk.s.hits` along their rays and
    /// sets their depths and normals.
    ///
    /// Each hit's bracket, from its first inside sample (`lo`) to the one
    /// above (`hi`, outside), is halved [`BISECTIONS`] times; then a secant
    /// step between the two ends' values (when both were evaluated) gives
    /// the depth. A hit in the nearest sample has the near face of the view
    /// volume above it: the first step looks there, and if the shape is
    /// inside at the face it is cut by it — depth 1, normal towards the
    /// viewer. Every lane is independent of the others, so a hit's depth
    /// does not depend on which hits share its batch.
    // Each lane's state is spread over several arrays, indexed together.
    #[allow(clippy::needless_range_loop)]
    fn finish(&self, walk: &mut Walk, tape: &Tape, m: usize) {
        if m == 0 {
            return;
        }
        let [ax, ay, az] = &self.at.axes;
        let s = &mut *walk.s;
        let mut near = [false; LANES];
        for n in 0..LANES {
            let h = s.hits[n.min(m - 1)];
            s.xyz[0].0[n] = ax[h.i as usize];
            s.xyz[1].0[n] = ay[h.j as usize];
            s.lo[n] = az[h.k as usize];
            s.hi[n] = self.above(h.k as usize);
            near[n] = h.k as usize + 1 == self.dims[2];
        }
        s.flo = [f32::NAN; LANES];
        s.fhi = [f32::NAN; LANES];
        for step in 0..BISECTIONS {
            for n in 0..LANES {
                s.xyz[2].0[n] = if step == 0 && near[n] {
                    s.hi[n]
                } else {
                    s.lo[n] + (s.hi[n] - s.lo[n]) * 0.5
                };
            }
            let v = walk.w.slice(tape, s.xyz);
            for n in 0..LANES {
                let (z, f) = (s.xyz[2].0[n], v.0[n]);
                if f < 0.0 {
                    (s.lo[n], s.flo[n]) = (z, f);
                } else {
                    (s.hi[n], s.fhi[n]) = (z, f);
                    if step == 0 {
                        near[n] = false;
                    }
                }
            }
        }
        // The depth: a secant step in the final bracket. The normal: the
        // gradient at the bracket's inside end, where (unlike exactly on the
        // surface, where the secant may land) every min/max takes the
        // branch that shapes the surface.
        let depth: [f32; LANES] = std::array::from_fn(|n| {
            let (a, b) = (s.flo[n], s.fhi[n]);
            let t = if a.is_finite() && b.is_finite() && b >= 0.0 {
                a / (a - b)
            } else {
                0.5
            };
            if near[n] {
                1.0
            } else {
                s.lo[n] + (s.hi[n] - s.lo[n]) * t
            }
        });
        for start in (0..m).step_by(GRAD_LANES) {
            let pick = |src: &[f32; LANES]| Lanes(std::array::from_fn(|k| src[start + k]));
            let g = walk
                .w
                .grad(tape, [pick(&s.xyz[0].0), pick(&s.xyz[1].0), pick(&s.lo)]);
            for k in 0..GRAD_LANES.min(m - start) {
                let n = start + k;
                let h = s.hits[n];
                let p = [s.xyz[0].0[n], s.xyz[1].0[n], s.lo[n]];
                // A first hit faces the viewer; a normal that does not
                // belongs to a hidden surface just behind an edge, and is
                // estimated from the neighbours instead.
                let normal = if near[n] {
                    [0.0, 0.0, 1.0]
                } else {
                    self.view
                        .normal(p, [g.dx.0[k], g.dy.0[k], g.dz.0[k]])
                        .filter(|n| n[2] >= 0.0)
                        .unwrap_or([0.0; 3])
                };
                walk.tile.set(h.i as usize, h.j as usize, depth[n], normal);
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
        self.render3d_rows(frame, 0..frame.height, opts)
    }

    /// Renders the rows `rows` (0 at the top) of `frame` only: the result is
    /// those rows of [`Shape::render3d`]`(frame, opts)`, bit for bit, as a
    /// [`Geometry`] of `rows.len()` rows. Bands of a frame can so be
    /// rendered apart (by the web viewer's workers) and stacked.
    ///
    /// A row range that does not fit in the frame is [`Error::Limit`].
    ///
    /// ```
    /// use tapir::Shape;
    /// use tapir::render::{EvalOptions, Frame3d};
    ///
    /// let ball = Shape::from_expr("sqrt(x^2 + y^2 + z^2) - 0.5").unwrap();
    /// let frame = Frame3d::square(48);
    /// let opts = EvalOptions::default();
    /// let full = ball.render3d(&frame, &opts).unwrap();
    /// let band = ball.render3d_rows(&frame, 20..30, &opts).unwrap();
    /// assert_eq!(band.height, 10);
    /// let same = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
    /// assert!(same(&band.hits, &full.hits[20 * 48..30 * 48]));
    /// assert_eq!(band.normals, full.normals[20 * 48..30 * 48]);
    /// ```
    pub fn render3d_rows(
        &self,
        frame: &Frame3d,
        rows: std::ops::Range<usize>,
        opts: &EvalOptions,
    ) -> Result<Geometry, Error> {
        opts.validate()?;
        frame.validate()?;
        let params = opts.param_values(self)?;
        let (width, height, depth) = (frame.width, frame.height, frame.depth);
        if rows.start > rows.end || rows.end > height {
            return Err(Error::Limit(format!(
                "rows {}..{} are not within the {height} rows of the frame",
                rows.start, rows.end
            )));
        }
        if rows.is_empty() {
            return Ok(Geometry {
                width,
                height: 0,
                depth,
                hits: Vec::new(),
                normals: Vec::new(),
            });
        }
        // Missing normals are estimated from the rows above and below: the
        // band is rendered with one more row on each side (where the frame
        // has them), then cut back.
        let first = rows.start.saturating_sub(1);
        let end = (rows.end + 1).min(height);
        let band = end - first;
        let grid = View::image_grid(width, height, depth);
        // Per pixel: the depth and the normal (16 bytes); plus the
        // coordinate arrays.
        let pixels = width.saturating_mul(band);
        let coords = width
            .saturating_add(height)
            .saturating_add(depth)
            .saturating_mul(4);
        let bytes = pixels.saturating_mul(16).saturating_add(coords);
        check_bytes(
            bytes,
            || {
                if band == height {
                    format!("a {width}×{height}×{depth} 3D render")
                } else {
                    format!("{band} rows of a {width}×{height}×{depth} 3D render")
                }
            },
            opts,
        )?;
        let mut geometry = Geometry {
            width,
            height: band,
            depth,
            hits: Vec::new(),
            normals: Vec::new(),
        };
        if pixels == 0 {
            geometry.height = rows.len();
            return Ok(geometry);
        }
        let seen = frame.view.apply(self);
        // Root tiles run in parallel: enough of them to keep every thread
        // busy.
        let sizes = root_sizes_3d(
            &opts.voxel_tile_sizes,
            [width, band, 1],
            pool_threads(opts.threads),
        );
        let r = sizes[0];
        let [gw, _, gd] = grid.dims();
        let job = Job {
            tape: seen.tape(),
            opts,
            view: frame.view,
            at: Centres::of(&grid),
            // The band ends at row `end` (rows are absolute).
            dims: [gw, end, gd],
            sizes,
        };
        geometry.hits = vec![f32::NAN; pixels];
        geometry.normals = vec![[0.0; 3]; pixels];
        // Root tiles run in parallel, each owning a segment of each of its
        // rows of the picture.
        let across = width.div_ceil(r);
        let mut tiles: Vec<Tile> = (0..band.div_ceil(r) * across)
            .map(|t| Tile {
                hits: Vec::with_capacity(r),
                normals: Vec::with_capacity(r),
                x0: (t % across) * r,
                y0: first + (t / across) * r,
            })
            .collect();
        let rows_out = geometry
            .hits
            .chunks_mut(width)
            .zip(geometry.normals.chunks_mut(width));
        for (j, (hits, normals)) in rows_out.enumerate() {
            let row0 = (j / r) * across;
            for (t, (h, n)) in hits.chunks_mut(r).zip(normals.chunks_mut(r)).enumerate() {
                tiles[row0 + t].hits.push(h);
                tiles[row0 + t].normals.push(n);
            }
        }
        if let Some(p) = &opts.progress {
            p.0.store(0, Ordering::Relaxed);
            p.1.store(tiles.len(), Ordering::Relaxed);
        }
        let run = |(w, s): &mut (Lease, Box<Scratch>), tile: Tile| {
            let mut walk = Walk { w, tile, s };
            job.root(&mut walk);
        };
        let init = || (Worker::lease(opts, &params), Box::new(Scratch::new()));
        with_pool(opts.threads, || {
            #[cfg(feature = "parallel")]
            {
                use rayon::prelude::*;
                tiles.into_par_iter().for_each_init(init, run);
            }
            #[cfg(not(feature = "parallel"))]
            {
                let mut state = init();
                for tile in tiles {
                    run(&mut state, tile);
                }
            }
        })?;
        if opts.cancelled() {
            return Err(Error::Interrupted);
        }
        estimate_missing_normals(&mut geometry, height);
        // Cut the extra rows off again.
        let (skip, keep) = ((rows.start - first) * width, rows.len() * width);
        if skip > 0 || keep < pixels {
            geometry.hits.drain(..skip);
            geometry.hits.truncate(keep);
            geometry.normals.drain(..skip);
            geometry.normals.truncate(keep);
        }
        geometry.height = rows.len();
        Ok(geometry)
    }
}

/// Gives every hit whose gradient had no direction a normal from the
/// depths of its neighbours (facing the viewer where they are missing too).
/// `g` may be a band of rows of a frame `frame_height` rows high (whose
/// image extent gives the pixel size); rows outside the band count as
/// missing.
fn estimate_missing_normals(g: &mut Geometry, frame_height: usize) {
    let (wd, ht) = (g.width, g.height);
    let [eu, ev] = View::image_extent(wd, frame_height);
    // Image-space size of a pixel.
    let (du, dv) = (2.0 * eu / wd as f64, 2.0 * ev / frame_height as f64);
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
