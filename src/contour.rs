//! 2D contours: the boundary of a shape's z-slice as closed, oriented
//! polylines, by dual contouring on a quadtree pruned by interval
//! arithmetic.
//!
//! # The lattice
//!
//! [`Shape::contours`] samples the pixel centres of a [`Grid2`] (the very
//! points `tapir render` colours) plus a ring of one extra sample on every
//! side, half a pixel outside the grid's rectangle. What is contoured is
//! `g = max(f, box)`, with `box` the exact distance to that rectangle, so the
//! ring is always outside and the contours are of the shape *intersected
//! with the rectangle*: a shape that leaves the region is capped along its
//! edge, and every loop is closed. Inside means `g < 0` (NaN is outside), as
//! in [`Shape::render_mask`]: the sign of every lattice sample inside the
//! rectangle is the render's.
//!
//! # The walk
//!
//! Lattice cells (the squares between four samples) are grouped into root
//! blocks evaluated in parallel (rayon). A block is bounded by interval
//! arithmetic; if `g` cannot change sign in it, it holds no contour and is
//! dropped, otherwise its tape is pruned to the block and it is split in
//! four, down to leaf blocks of 8 × 8 cells, exactly as the 2D renderer
//! walks tiles (the same per-thread `Worker`). A leaf evaluates its
//! samples as slices, finds the crossing on each lattice edge whose ends
//! differ in sign (bisection, batched through the slice evaluator, ending
//! with a secant step), and takes the normal there from the gradient
//! evaluator.
//!
//! # Vertices and segments
//!
//! Each cell gets one vertex per connected piece of contour in it: one,
//! or two in a saddle cell (two opposite corners inside, two outside), which
//! is split by a fixed rule: the inside corners are joined when the mean of
//! the four samples is inside, else each is cut off on its own. A vertex is
//! placed by a quadratic error function over its two crossings (mass-point
//! centred, with the eigen decomposition of the 2 × 2 normal matrix truncated
//! below a tenth of its largest eigenvalue) and kept inside its cell. When
//! both directions are kept, the two tangent lines meet at a corner, and
//! that is where the vertex goes: sharp corners stay sharp. When only one is
//! kept (a smooth stretch), the vertex is then moved onto the curve by two
//! Newton steps along the gradient, which put it within float precision of
//! the true boundary.
//!
//! A corner whose cell has no inside sample (a narrow tip, or a corner
//! turned against the lattice) gets no vertex of its own; after the loops
//! are joined, such corners are put back: where two neighbouring smooth
//! vertices have normals more than 10° apart (or a cell's QEF corner fell
//! outside it), the tangent lines' meeting point is taken if the shape is
//! zero there (checked with the whole tape) and moving the outline there
//! puts every lattice sample it sweeps over on its own side. Every sign-change edge joins the vertices of its two
//! cells with a segment directed so that the inside is on its left; every
//! vertex has one segment in and one out, so the segments form closed
//! loops, outer boundaries counter-clockwise and holes clockwise (in model
//! coordinates, y up).
//!
//! Every result is a function of the lattice samples and of points inside a
//! cell's own edges (the corner checks use the whole tape), and pruned
//! tapes are exact in their block, so contours
//! are bit-identical with or without pruning, for any thread count and
//! dispatch style. Vertices are numbered by cell and loops start at their
//! lowest-numbered vertex, so the output order is deterministic too.

use std::io::{self, BufWriter, Write};
use std::sync::atomic::Ordering;

use crate::error::Error;
use crate::eval::{GRAD_LANES, Interval, LANES, Lanes};
use crate::render::worker::Worker;
use crate::render::{Bounds2, EvalOptions, Grid2, with_pool};
use crate::shape::Shape;
use crate::tape::Tape;

/// Cells per side of a leaf block.
const LEAF: usize = 8;

/// Cells per side of a root block (the unit of parallel work).
const ROOT: usize = 64;

/// Bisection steps per crossing before the final secant step: the bracket
/// shrinks to 2⁻¹⁶ of a cell.
const BISECTIONS: usize = 16;

/// Newton steps that move a smooth vertex onto the curve.
const NEWTON_STEPS: usize = 2;

/// Eigenvalues below this fraction of the largest are dropped from the QEF.
const QEF_TRUNCATION: f64 = 0.1;

/// The contours of a shape: closed, oriented polylines.
///
/// ```
/// use tapir::Shape;
/// use tapir::render::{EvalOptions, Grid2};
///
/// let ring = Shape::from_expr("abs(sqrt(x*x + y*y) - 0.6) - 0.2").unwrap();
/// let c = ring.contours(&Grid2::square(128), &EvalOptions::default()).unwrap();
/// assert_eq!(c.loops.len(), 2); // the outer boundary and the hole
/// let area = std::f64::consts::PI * (0.8f64.powi(2) - 0.4f64.powi(2));
/// assert!((c.area() - area).abs() < 1e-3 * area);
/// // Outer counter-clockwise (positive area), hole clockwise (negative).
/// let signs: Vec<bool> = c.loops.iter().map(|l| tapir::contour::signed_area(l) > 0.0).collect();
/// assert_eq!(signs.iter().filter(|&&s| s).count(), 1);
///
/// let mut svg = Vec::new();
/// c.write_svg(&mut svg).unwrap();
/// assert!(String::from_utf8(svg).unwrap().contains("fill-rule=\"evenodd\""));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Contours {
    /// Closed loops of points `[x, y]` in model coordinates; the last point
    /// of each joins back to its first (not repeated). Outer boundaries run
    /// counter-clockwise, holes clockwise.
    pub loops: Vec<Vec<[f32; 2]>>,
    /// The rectangle contoured (the grid's bounds): every point lies in it.
    pub bounds: Bounds2,
}

/// The signed area of a closed polyline by the shoelace
/// formula, positive when it runs counter-clockwise (y up).
pub fn signed_area(points: &[[f32; 2]]) -> f64 {
    let n = points.len();
    let mut twice = 0.0f64;
    for k in 0..n {
        let [x0, y0] = points[k].map(f64::from);
        let [x1, y1] = points[(k + 1) % n].map(f64::from);
        twice += x0 * y1 - x1 * y0;
    }
    twice / 2.0
}

impl Contours {
    /// Points in all loops.
    pub fn point_count(&self) -> usize {
        self.loops.iter().map(Vec::len).sum()
    }

    /// The area enclosed: outer boundaries count positive, holes negative.
    pub fn area(&self) -> f64 {
        self.loops.iter().map(|l| signed_area(l)).sum()
    }

    /// Writes the contours as SVG in model units: the view box is the
    /// bounds, one model unit is drawn as a millimetre, y is flipped (by a
    /// transform) so that the picture looks like `tapir render`'s, and all
    /// loops are one black `<path>` filled with `fill-rule="evenodd"`.
    pub fn write_svg(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut w = BufWriter::with_capacity(1 << 16, out);
        let b = &self.bounds;
        let (x0, y0, x1, y1) = (b.min.x, b.min.y, b.max.x, b.max.y);
        let (width, height) = (x1 - x0, y1 - y0);
        writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(
            w,
            r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width}mm" height="{height}mm" viewBox="{x0} {} {width} {height}">"#,
            -y1
        )?;
        writeln!(
            w,
            "<!-- written by tapir: {} loops, {} points; model units, y up -->",
            self.loops.len(),
            self.point_count()
        )?;
        write!(
            w,
            r#"<g transform="scale(1,-1)"><path fill="black" stroke="none" fill-rule="evenodd" d=""#
        )?;
        for (k, l) in self.loops.iter().enumerate() {
            if k > 0 {
                w.write_all(b"\n")?;
            }
            for (i, [x, y]) in l.iter().enumerate() {
                let cmd = if i == 0 { "M" } else { "L" };
                write!(w, "{cmd}{x} {y}")?;
            }
            w.write_all(b"Z")?;
        }
        writeln!(w, "\"/></g>\n</svg>")?;
        w.flush()
    }
}

/// The sample positions: pixel centres plus a ring outside, increasing
/// along both axes.
struct Lattice {
    /// x of each sample column (`width + 2`).
    xs: Vec<f32>,
    /// y of each sample row, bottom first (`height + 2`).
    ys: Vec<f32>,
    z: f32,
    /// The rectangle `[lo, hi]`: halfway between the ring and the first
    /// pixel centres.
    lo: [f32; 2],
    hi: [f32; 2],
}

impl Lattice {
    fn of(grid: &Grid2, z: f32) -> Self {
        let (w, h) = (grid.width(), grid.height());
        let px = grid.pixel_size();
        let mut xs = Vec::with_capacity(w + 2);
        xs.push((f64::from(grid.x(0)) - px.x) as f32);
        xs.extend((0..w).map(|i| grid.x(i)));
        xs.push((f64::from(grid.x(w - 1)) + px.x) as f32);
        let mut ys = Vec::with_capacity(h + 2);
        ys.push((f64::from(grid.y(h - 1)) - px.y) as f32);
        ys.extend((0..h).rev().map(|j| grid.y(j)));
        ys.push((f64::from(grid.y(0)) + px.y) as f32);
        let lo = [
            (f64::from(grid.x(0)) - px.x / 2.0) as f32,
            (f64::from(grid.y(h - 1)) - px.y / 2.0) as f32,
        ];
        let hi = [
            (f64::from(grid.x(w - 1)) + px.x / 2.0) as f32,
            (f64::from(grid.y(0)) + px.y / 2.0) as f32,
        ];
        Lattice { xs, ys, z, lo, hi }
    }

    /// Cell `(i, j)` within the rectangle: where its vertices may go.
    fn cell(&self, i: usize, j: usize) -> ([f32; 2], [f32; 2]) {
        (
            [self.xs[i].max(self.lo[0]), self.ys[j].max(self.lo[1])],
            [
                self.xs[i + 1].min(self.hi[0]),
                self.ys[j + 1].min(self.hi[1]),
            ],
        )
    }

    /// The lattice samples in the closed triangle `t`, appended to `out`.
    fn samples_in(&self, t: &[[f32; 2]; 3], out: &mut Vec<[f32; 2]>) {
        let t = t.map(|p| p.map(f64::from));
        let lo = [0, 1].map(|a| t.iter().map(|p| p[a]).fold(f64::INFINITY, f64::min));
        let hi = [0, 1].map(|a| t.iter().map(|p| p[a]).fold(f64::NEG_INFINITY, f64::max));
        let range = |axis: &[f32], a: usize| {
            axis.partition_point(|&v| f64::from(v) < lo[a])
                ..axis.partition_point(|&v| f64::from(v) <= hi[a])
        };
        for j in range(&self.ys, 1) {
            for i in range(&self.xs, 0) {
                let s = [self.xs[i], self.ys[j]];
                let sf = s.map(f64::from);
                let d = [
                    side(t[0], t[1], sf),
                    side(t[1], t[2], sf),
                    side(t[2], t[0], sf),
                ];
                let (neg, pos) = (d.iter().any(|&v| v < 0.0), d.iter().any(|&v| v > 0.0));
                if !(neg && pos) {
                    out.push(s);
                }
            }
        }
    }

    /// Cells along x and y.
    fn cells(&self) -> (usize, usize) {
        (self.xs.len() - 1, self.ys.len() - 1)
    }

    /// The distance to the rectangle (negative inside) and, for the side
    /// that decides it, its outward normal.
    fn box_distance(&self, x: f32, y: f32) -> (f32, [f32; 2]) {
        let terms = [
            (self.lo[0] - x, [-1.0, 0.0]),
            (x - self.hi[0], [1.0, 0.0]),
            (self.lo[1] - y, [0.0, -1.0]),
            (y - self.hi[1], [0.0, 1.0]),
        ];
        let mut best = terms[0];
        for t in &terms[1..] {
            if t.0 > best.0 {
                best = *t;
            }
        }
        best
    }

    /// The distance to the rectangle over the box `x × y`.
    fn box_interval(&self, x: Interval, y: Interval) -> Interval {
        let lo = (self.lo[0] - x.hi())
            .max(x.lo() - self.hi[0])
            .max(self.lo[1] - y.hi())
            .max(y.lo() - self.hi[1]);
        let hi = (self.lo[0] - x.lo())
            .max(x.hi() - self.hi[0])
            .max(self.lo[1] - y.lo())
            .max(y.hi() - self.hi[1]);
        Interval::new(lo, hi)
    }

    /// `g = max(f, box)`, NaN when `f` is.
    fn g(&self, f: f32, x: f32, y: f32) -> f32 {
        if f.is_nan() {
            f
        } else {
            f.max(self.box_distance(x, y).0)
        }
    }
}

/// Twice the signed area of the triangle `p q r` (positive when `r` is
/// left of `p → q`).
fn side(p: [f64; 2], q: [f64; 2], r: [f64; 2]) -> f64 {
    (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])
}

/// Whether `s` is on the inside (left) of the chain `p → a → n`, near `a`;
/// `None` when it is on the chain.
fn left_of_chain(p: [f32; 2], a: [f32; 2], n: [f32; 2], s: [f32; 2]) -> Option<bool> {
    let [p, a, n, s] = [p, a, n, s].map(|v| v.map(f64::from));
    let (l1, l2) = (side(p, a, s), side(a, n, s));
    if l1 == 0.0 || l2 == 0.0 {
        return None;
    }
    Some(if side(p, a, n) > 0.0 {
        l1 > 0.0 && l2 > 0.0
    } else {
        l1 > 0.0 || l2 > 0.0
    })
}

/// Inside, as the renderer decides it.
fn inside(g: f32) -> bool {
    g < 0.0
}

/// A point where the contour crosses a lattice edge, and the unit normal
/// there (zero when the gradient is unusable).
#[derive(Copy, Clone, Debug)]
struct Crossing {
    p: [f32; 2],
    n: [f32; 2],
}

/// A vertex placed in a leaf: its key, position, whether it is a corner,
/// and its cell.
struct Placed {
    key: u64,
    p: [f32; 2],
    /// The unit normal of a smooth vertex (zero for a corner).
    n: [f32; 2],
    sharp: bool,
    /// A corner outside the cell that this vertex may move to.
    corner: Option<[f32; 2]>,
    cell: (usize, usize),
}

/// A vertex as the leaves leave it.
#[derive(Copy, Clone, Debug)]
struct Vertex {
    /// Cell and component (the vertex's number).
    key: u64,
    p: [f32; 2],
    /// Unit normal of a smooth vertex on the curve, else zero.
    n: [f32; 2],
    /// A corner outside the vertex's cell that it may move to.
    corner: Option<[f32; 2]>,
}

/// What one root block contributes.
#[derive(Default)]
struct Piece {
    vertices: Vec<Vertex>,
    /// (edge key, vertex key, whether the segment through the edge starts
    /// at that vertex).
    ends: Vec<(u64, u64, bool)>,
}

/// One contouring's fixed inputs.
struct Job<'a> {
    shape: &'a Shape,
    opts: &'a EvalOptions,
    at: Lattice,
}

/// Cell edges: 0 bottom, 1 right, 2 top, 3 left. Cell corners: 0
/// bottom-left, 1 bottom-right, 2 top-right, 3 top-left. The corners at the
/// ends of each edge, and the edges at each corner.
const EDGE_CORNERS: [(usize, usize); 4] = [(0, 1), (1, 2), (3, 2), (0, 3)];
const CORNER_EDGES: [[usize; 2]; 4] = [[0, 3], [0, 1], [1, 2], [2, 3]];

impl Job<'_> {
    /// Key of the horizontal (`vertical == false`) or vertical lattice edge
    /// starting at sample `(i, j)`.
    fn edge_key(&self, i: usize, j: usize, vertical: bool) -> u64 {
        let row = self.at.xs.len() as u64;
        ((j as u64 * row + i as u64) << 1) | vertical as u64
    }

    /// Key of component `comp` (0 or 1) of cell `(i, j)`.
    fn vertex_key(&self, i: usize, j: usize, comp: usize) -> u64 {
        let row = self.at.cells().0 as u64;
        ((j as u64 * row + i as u64) << 1) | comp as u64
    }

    /// Contours the root block whose first cell is `(i0, j0)`.
    fn root(&self, wk: &mut Worker, (i0, j0): (usize, usize)) -> Piece {
        let mut piece = Piece::default();
        self.block(wk, self.shape.tape(), (i0, j0), ROOT, &mut piece);
        if let Some(p) = &self.opts.progress {
            p.0.fetch_add(1, Ordering::Relaxed);
        }
        wk.report(self.opts);
        piece
    }

    /// The block of `n × n` cells (clipped to the lattice) at `(i0, j0)`.
    fn block(
        &self,
        wk: &mut Worker,
        tape: &Tape,
        (i0, j0): (usize, usize),
        n: usize,
        out: &mut Piece,
    ) {
        if self.opts.cancelled() {
            return;
        }
        let (ncx, ncy) = self.at.cells();
        let (i1, j1) = ((i0 + n).min(ncx), (j0 + n).min(ncy));
        if i0 >= i1 || j0 >= j1 {
            return;
        }
        let x = Interval::new(self.at.xs[i0], self.at.xs[i1]);
        let y = Interval::new(self.at.ys[j0], self.at.ys[j1]);
        if self.at.box_interval(x, y).lo() >= 0.0 {
            return; // all outside the rectangle: no contour
        }
        let mut pruned = None;
        if wk.prune {
            let v = wk.interval(tape, [x, y, Interval::point(self.at.z)]);
            if !v.is_unknown() {
                let b = self.at.box_interval(x, y);
                let (lo, hi) = (v.lo().max(b.lo()), v.hi().max(b.hi()));
                if lo >= 0.0 || hi < 0.0 {
                    wk.work.filled += ((i1 - i0) * (j1 - j0)) as u64;
                    return; // no sign change: no contour
                }
            }
            pruned = wk.prune(tape);
        }
        let t = pruned.as_ref().unwrap_or(tape);
        if n <= LEAF {
            self.leaf(wk, t, (i0, j0), (i1, j1), out);
        } else {
            let h = n / 2;
            for (di, dj) in [(0, 0), (h, 0), (0, h), (h, h)] {
                self.block(wk, t, (i0 + di, j0 + dj), h, out);
            }
        }
        wk.recycle(pruned);
    }

    /// Evaluates `g` at `points` with `tape`, `LANES` at a time.
    fn values(&self, wk: &mut Worker, tape: &Tape, points: &[[f32; 2]], out: &mut Vec<f32>) {
        out.clear();
        let zs = Lanes([self.at.z; LANES]);
        for chunk in points.chunks(LANES) {
            let (mut xs, mut ys) = (Lanes([chunk[0][0]; LANES]), Lanes([chunk[0][1]; LANES]));
            for (k, p) in chunk.iter().enumerate() {
                (xs.0[k], ys.0[k]) = (p[0], p[1]);
            }
            let v = wk.slice(tape, [xs, ys, zs]);
            for (k, p) in chunk.iter().enumerate() {
                out.push(self.at.g(v.0[k], p[0], p[1]));
            }
        }
    }

    /// Values, unit normals and gradient lengths of `g` at `points` (normal
    /// and length zero where the gradient is not usable).
    fn normals(
        &self,
        wk: &mut Worker,
        tape: &Tape,
        points: &[[f32; 2]],
    ) -> Vec<(f32, [f32; 2], f32)> {
        let mut out = Vec::with_capacity(points.len());
        let zs = Lanes([self.at.z; GRAD_LANES]);
        for chunk in points.chunks(GRAD_LANES) {
            let (mut xs, mut ys) = (
                Lanes([chunk[0][0]; GRAD_LANES]),
                Lanes([chunk[0][1]; GRAD_LANES]),
            );
            for (k, p) in chunk.iter().enumerate() {
                (xs.0[k], ys.0[k]) = (p[0], p[1]);
            }
            let g = wk.grad(tape, [xs, ys, zs]);
            for (k, p) in chunk.iter().enumerate() {
                let (f, dx, dy) = (g.v.0[k], g.dx.0[k], g.dy.0[k]);
                let (d, box_n) = self.at.box_distance(p[0], p[1]);
                if f.is_nan() {
                    out.push((f, [0.0; 2], 0.0));
                } else if d > f {
                    out.push((d, box_n, 1.0));
                } else {
                    let len = f64::from(dx).hypot(f64::from(dy));
                    if len > 0.0 && len.is_finite() {
                        let n = [(f64::from(dx) / len) as f32, (f64::from(dy) / len) as f32];
                        out.push((f, n, len as f32));
                    } else {
                        out.push((f, [0.0; 2], 0.0));
                    }
                }
            }
        }
        out
    }

    /// Contours the cells `[i0, i1) × [j0, j1)` with `tape`.
    fn leaf(
        &self,
        wk: &mut Worker,
        tape: &Tape,
        (i0, j0): (usize, usize),
        (i1, j1): (usize, usize),
        out: &mut Piece,
    ) {
        let (xs, ys) = (&self.at.xs, &self.at.ys);
        let (w, h) = (i1 - i0, j1 - j0);
        let row = w + 1;
        let samples: Vec<[f32; 2]> = (j0..=j1)
            .flat_map(|j| (i0..=i1).map(move |i| [xs[i], ys[j]]))
            .collect();
        let mut g = Vec::with_capacity(samples.len());
        self.values(wk, tape, &samples, &mut g);
        let at = |i: usize, j: usize| g[(j - j0) * row + (i - i0)];
        let mask = |i: usize, j: usize| -> u8 {
            [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)]
                .iter()
                .enumerate()
                .map(|(k, &(a, b))| (inside(at(a, b)) as u8) << k)
                .sum()
        };
        // Sign-change edges of the block: (sample at the inside end, sample
        // at the outside end). Horizontal edges first, then vertical; the
        // slot of each edge is kept per cell side below.
        let mut brackets: Vec<([f32; 2], [f32; 2], f32, f32)> = Vec::new();
        let mut slot_h = vec![u32::MAX; row * (h + 1)];
        let mut slot_v = vec![u32::MAX; row * (h + 1)];
        for j in j0..=j1 {
            for i in i0..=i1 {
                let here = at(i, j);
                for ((a, b), slots) in [((i + 1, j), &mut slot_h), ((i, j + 1), &mut slot_v)] {
                    if a > i1 || b > j1 {
                        continue;
                    }
                    let there = at(a, b);
                    if inside(here) == inside(there) {
                        continue;
                    }
                    let (p, q) = ([xs[i], ys[j]], [xs[a], ys[b]]);
                    slots[(j - j0) * row + (i - i0)] = brackets.len() as u32;
                    brackets.push(if inside(here) {
                        (p, q, here, there)
                    } else {
                        (q, p, there, here)
                    });
                }
            }
        }
        if brackets.is_empty() {
            return;
        }
        let crossings = self.crossings(wk, tape, &brackets);
        // Vertices, one per component of each cell.
        let mut placed: Vec<Placed> = Vec::new();
        for j in j0..j1 {
            for i in i0..i1 {
                let m = mask(i, j);
                if m == 0 || m == 15 {
                    continue;
                }
                let corner_in = |k: usize| m & (1 << k) != 0;
                let edge_slot = |e: usize| -> usize {
                    let (si, sj, slots) = match e {
                        0 => (i, j, &slot_h),
                        1 => (i + 1, j, &slot_v),
                        2 => (i, j + 1, &slot_h),
                        _ => (i, j, &slot_v),
                    };
                    slots[(sj - j0) * row + (si - i0)] as usize
                };
                let edge_key = |e: usize| match e {
                    0 => self.edge_key(i, j, false),
                    1 => self.edge_key(i + 1, j, true),
                    2 => self.edge_key(i, j + 1, false),
                    _ => self.edge_key(i, j, true),
                };
                // Whether the segment through edge e starts in this cell.
                let source = |e: usize| match e {
                    0 => !corner_in(0),
                    1 => corner_in(2),
                    2 => corner_in(3),
                    _ => !corner_in(3),
                };
                let changes: Vec<usize> = (0..4)
                    .filter(|&e| {
                        let (a, b) = EDGE_CORNERS[e];
                        corner_in(a) != corner_in(b)
                    })
                    .collect();
                let components: Vec<[usize; 2]> = if changes.len() == 2 {
                    vec![[changes[0], changes[1]]]
                } else {
                    // A saddle: join the inside corners when the mean of
                    // the four samples is inside, else cut each off.
                    let mean = (at(i, j) + at(i + 1, j) + at(i + 1, j + 1) + at(i, j + 1)) / 4.0;
                    let cut_inside = !inside(mean);
                    (0..4)
                        .filter(|&k| corner_in(k) == cut_inside)
                        .map(|k| CORNER_EDGES[k])
                        .collect()
                };
                let cell = self.at.cell(i, j);
                for (comp, edges) in components.iter().enumerate() {
                    let c = edges.map(|e| crossings[edge_slot(e)]);
                    let (p, sharp, corner) = match qef(&c, cell) {
                        Placement::Corner(p) => (p, true, None),
                        Placement::Smooth(p, corner) => (p, false, corner),
                    };
                    let key = self.vertex_key(i, j, comp);
                    placed.push(Placed {
                        key,
                        p,
                        n: [0.0; 2],
                        sharp,
                        corner,
                        cell: (i, j),
                    });
                    for e in *edges {
                        out.ends.push((edge_key(e), key, source(e)));
                    }
                }
            }
        }
        // Smooth vertices: Newton steps onto the curve, kept in the cell.
        let smooth: Vec<usize> = (0..placed.len()).filter(|&k| !placed[k].sharp).collect();
        for _ in 0..NEWTON_STEPS {
            let points: Vec<[f32; 2]> = smooth.iter().map(|&k| placed[k].p).collect();
            let at_points = self.normals(wk, tape, &points);
            for (&k, &(v, n, len)) in smooth.iter().zip(&at_points) {
                if !v.is_finite() || len == 0.0 {
                    continue;
                }
                let (i, j) = placed[k].cell;
                let p = placed[k].p;
                // x - g ∇g / |∇g|²
                let step = f64::from(v) / f64::from(len);
                let moved = [0, 1].map(|a| (f64::from(p[a]) - step * f64::from(n[a])) as f32);
                placed[k].p = clamp(moved, self.at.cell(i, j));
                if placed[k].corner.is_none() {
                    placed[k].n = n;
                }
            }
        }
        out.vertices.extend(placed.into_iter().map(|v| Vertex {
            key: v.key,
            p: v.p,
            n: v.n,
            corner: v.corner,
        }));
    }

    /// The crossing on each bracket `(inside point, outside point, g there,
    /// g there)`: bisection, a secant step, then the normal.
    fn crossings(
        &self,
        wk: &mut Worker,
        tape: &Tape,
        brackets: &[([f32; 2], [f32; 2], f32, f32)],
    ) -> Vec<Crossing> {
        let mut b = brackets.to_vec();
        let mut mids = Vec::with_capacity(b.len());
        let mut vals = Vec::with_capacity(b.len());
        for _ in 0..BISECTIONS {
            mids.clear();
            mids.extend(b.iter().map(|(p, q, _, _)| mid(*p, *q)));
            self.values(wk, tape, &mids, &mut vals);
            for ((br, &m), &v) in b.iter_mut().zip(&mids).zip(&vals) {
                if inside(v) {
                    (br.0, br.2) = (m, v);
                } else {
                    (br.1, br.3) = (m, v);
                }
            }
        }
        let points: Vec<[f32; 2]> = b
            .iter()
            .map(|&(p, q, gp, gq)| {
                if gp.is_finite() && gq.is_finite() && gq > gp {
                    let t = f64::from(gp) / (f64::from(gp) - f64::from(gq));
                    let lerp =
                        |a: f32, c: f32| (f64::from(a) + t * (f64::from(c) - f64::from(a))) as f32;
                    clamp_segment([lerp(p[0], q[0]), lerp(p[1], q[1])], p, q)
                } else {
                    mid(p, q)
                }
            })
            .collect();
        let mut crossings: Vec<Crossing> = points
            .iter()
            .zip(self.normals(wk, tape, &points))
            .map(|(&p, (_, n, _))| Crossing { p, n })
            .collect();
        // Where the gradient is unusable at the crossing itself (typically
        // a min or max tied exactly there, as on an exact box's side), take
        // it at the inside end of the final bracket, then at the outside
        // end: 2⁻¹⁶ of a cell away, on one branch.
        for end in [0, 1] {
            let missing: Vec<usize> = (0..crossings.len())
                .filter(|&k| crossings[k].n == [0.0; 2])
                .collect();
            if missing.is_empty() {
                break;
            }
            let at: Vec<[f32; 2]> = missing
                .iter()
                .map(|&k| if end == 0 { b[k].0 } else { b[k].1 })
                .collect();
            for (&k, (_, n, _)) in missing.iter().zip(self.normals(wk, tape, &at)) {
                crossings[k].n = n;
            }
        }
        crossings
    }
}

/// The midpoint of `p` and `q` (within the segment in f32).
fn mid(p: [f32; 2], q: [f32; 2]) -> [f32; 2] {
    clamp_segment(
        [p[0] + (q[0] - p[0]) / 2.0, p[1] + (q[1] - p[1]) / 2.0],
        p,
        q,
    )
}

/// `v` clamped to the box spanned by `p` and `q`.
fn clamp_segment(v: [f32; 2], p: [f32; 2], q: [f32; 2]) -> [f32; 2] {
    clamp(
        v,
        (
            [p[0].min(q[0]), p[1].min(q[1])],
            [p[0].max(q[0]), p[1].max(q[1])],
        ),
    )
}

/// `v` clamped to the cell `(lo, hi)`.
fn clamp(v: [f32; 2], (lo, hi): ([f32; 2], [f32; 2])) -> [f32; 2] {
    [v[0].clamp(lo[0], hi[0]), v[1].clamp(lo[1], hi[1])]
}

/// Where [`qef`] puts a vertex.
enum Placement {
    /// At a corner of the boundary, inside the cell.
    Corner([f32; 2]),
    /// On a smooth stretch (to be moved onto the curve), with the tangent
    /// lines' meeting point when that falls outside the cell.
    Smooth([f32; 2], Option<[f32; 2]>),
}

/// Places a vertex from its crossings: the QEF minimum (mass-point
/// centred, truncated eigen decomposition) and whether both directions were
/// kept (a sharp corner, only when it lies in `cell`); else the minimum
/// along the main direction alone, clamped to `cell`.
fn qef(c: &[Crossing; 2], cell: ([f32; 2], [f32; 2])) -> Placement {
    let m = [0, 1].map(|a| (f64::from(c[0].p[a]) + f64::from(c[1].p[a])) / 2.0);
    // A = Σ n nᵀ, r = Σ n (n · (p - m)).
    let (mut a11, mut a12, mut a22) = (0.0f64, 0.0f64, 0.0f64);
    let mut r = [0.0f64; 2];
    for x in c {
        let n = x.n.map(f64::from);
        let d = n[0] * (f64::from(x.p[0]) - m[0]) + n[1] * (f64::from(x.p[1]) - m[1]);
        a11 += n[0] * n[0];
        a12 += n[0] * n[1];
        a22 += n[1] * n[1];
        r[0] += n[0] * d;
        r[1] += n[1] * d;
    }
    // Eigen decomposition of the symmetric [[a11, a12], [a12, a22]].
    let mean = (a11 + a22) / 2.0;
    let diff = (a11 - a22) / 2.0;
    let rad = diff.hypot(a12);
    let (l1, l2) = (mean + rad, mean - rad);
    let e1 = if rad > 0.0 {
        // (a12, l1 - a11) or (l1 - a22, a12), whichever is longer.
        let u = [a12, l1 - a11];
        let v = [l1 - a22, a12];
        let pick = if u[0].hypot(u[1]) >= v[0].hypot(v[1]) {
            u
        } else {
            v
        };
        let len = pick[0].hypot(pick[1]);
        [pick[0] / len, pick[1] / len]
    } else {
        [1.0, 0.0]
    };
    let e2 = [-e1[1], e1[0]];
    let mut x = m;
    if l1 > 1e-12 {
        let k = (e1[0] * r[0] + e1[1] * r[1]) / l1;
        x = [x[0] + k * e1[0], x[1] + k * e1[1]];
        if l2 > QEF_TRUNCATION * l1 {
            let k = (e2[0] * r[0] + e2[1] * r[1]) / l2;
            let corner = [x[0] + k * e2[0], x[1] + k * e2[1]];
            let inside = (0..2)
                .all(|a| corner[a] >= f64::from(cell.0[a]) && corner[a] <= f64::from(cell.1[a]));
            let corner = [corner[0] as f32, corner[1] as f32];
            if inside {
                return Placement::Corner(corner);
            }
            // A corner outside the cell lies in a cell without a vertex:
            // this vertex goes there if `Job::finish` finds the shape's
            // boundary at that point.
            return Placement::Smooth(clamp([x[0] as f32, x[1] as f32], cell), Some(corner));
        }
    }
    Placement::Smooth(clamp([x[0] as f32, x[1] as f32], cell), None)
}

/// A corner that may go into loop `li`: in place of vertex `k`
/// (`replace`) or after it.
#[derive(Copy, Clone, Debug)]
struct Candidate {
    li: usize,
    k: usize,
    a: [f32; 2],
    replace: bool,
}

/// A loop of vertices before corners are put back.
type RawLoop = Vec<Vertex>;

/// Joins the pieces' segments into loops.
fn assemble(pieces: Vec<Piece>) -> Vec<RawLoop> {
    let mut vertices: Vec<Vertex> = Vec::new();
    let mut ends: Vec<(u64, u64, bool)> = Vec::new();
    for p in pieces {
        vertices.extend(p.vertices);
        ends.extend(p.ends);
    }
    vertices.sort_unstable_by_key(|v| v.key);
    let index = |key: u64| vertices.binary_search_by_key(&key, |v| v.key).ok();
    let mut next = vec![usize::MAX; vertices.len()];
    ends.sort_unstable();
    for pair in ends.chunk_by(|a, b| a.0 == b.0) {
        // Each sign-change edge is seen from its two cells, once as the
        // start of its segment and once as the end.
        if let [a, b] = pair
            && a.2 != b.2
        {
            let (from, to) = if a.2 { (a.1, b.1) } else { (b.1, a.1) };
            if let (Some(f), Some(t)) = (index(from), index(to)) {
                next[f] = t;
            }
        }
    }
    let mut loops = Vec::new();
    let mut seen = vec![false; vertices.len()];
    for start in 0..vertices.len() {
        if seen[start] {
            continue;
        }
        let mut l: RawLoop = Vec::new();
        let mut v = start;
        while v != usize::MAX && !seen[v] {
            seen[v] = true;
            l.push(vertices[v]);
            v = next[v];
        }
        loops.push(l);
    }
    loops
}

/// Cosine of the smallest angle between the normals of two neighbouring
/// smooth vertices at which a corner between them is looked for.
const CORNER_COS: f64 = 0.985;

impl Job<'_> {
    /// Puts back corners that no cell holds (a tip too narrow, or turned
    /// so, that none of its cell's samples is inside): where two
    /// neighbouring smooth vertices have normals more than 10° apart, their
    /// tangent lines meet within four cells of both, inside the rectangle,
    /// and the shape is zero there (|g| / |∇g| under a thousandth of a
    /// cell, evaluated with the whole tape), that point goes between them.
    /// Then repeated points are dropped and loops of fewer than 3 points
    /// too.
    fn finish(&self, wk: &mut Worker, raw: Vec<RawLoop>) -> Vec<Vec<[f32; 2]>> {
        let h =
            f64::from(self.at.xs[1] - self.at.xs[0]).min(f64::from(self.at.ys[1] - self.at.ys[0]));
        let within = |a: [f64; 2]| {
            (0..2).all(|i| a[i] >= f64::from(self.at.lo[i]) && a[i] <= f64::from(self.at.hi[i]))
        };
        // (loop, vertex, point, whether it replaces the vertex or goes after it)
        let mut candidates: Vec<Candidate> = Vec::new();
        for (li, l) in raw.iter().enumerate() {
            for k in 0..l.len() {
                if let Some(c) = l[k].corner {
                    let p = l[k].p;
                    let d = f64::from(c[0] - p[0]).hypot(f64::from(c[1] - p[1]));
                    if d <= 4.0 * h && within(c.map(f64::from)) {
                        candidates.push(Candidate {
                            li,
                            k,
                            a: c,
                            replace: true,
                        });
                    }
                }
                let (Vertex { p: u, n: nu, .. }, Vertex { p: v, n: nv, .. }) =
                    (l[k], l[(k + 1) % l.len()]);
                if nu == [0.0; 2] || nv == [0.0; 2] {
                    continue;
                }
                let (nu, nv) = (nu.map(f64::from), nv.map(f64::from));
                if nu[0] * nv[0] + nu[1] * nv[1] > CORNER_COS {
                    continue;
                }
                let det = nu[0] * nv[1] - nu[1] * nv[0];
                if det.abs() < 1e-3 {
                    continue;
                }
                let (u, v) = (u.map(f64::from), v.map(f64::from));
                let (cu, cv) = (nu[0] * u[0] + nu[1] * u[1], nv[0] * v[0] + nv[1] * v[1]);
                let a = [
                    (cu * nv[1] - cv * nu[1]) / det,
                    (nu[0] * cv - nv[0] * cu) / det,
                ];
                let near = |p: [f64; 2]| (a[0] - p[0]).hypot(a[1] - p[1]) <= 4.0 * h;
                if near(u) && near(v) && within(a) {
                    candidates.push(Candidate {
                        li,
                        k,
                        a: a.map(|c| c as f32),
                        replace: false,
                    });
                }
            }
        }
        let points: Vec<[f32; 2]> = candidates.iter().map(|c| c.a).collect();
        let checked = self.normals(wk, self.shape.tape(), &points);
        // Verified corners, with the samples their change sweeps over and
        // which side of the new outline each then falls on.
        let mut accepted: Vec<(Candidate, std::ops::Range<usize>)> = Vec::new();
        let mut swept: Vec<([f32; 2], Option<bool>)> = Vec::new();
        let mut found = Vec::new();
        for (&cand, &(g, _, len)) in candidates.iter().zip(&checked) {
            let Candidate { li, k, a, replace } = cand;
            if !(len > 0.0 && g.is_finite() && f64::from(g.abs()) <= 1e-3 * h * f64::from(len)) {
                continue;
            }
            let l = &raw[li];
            let at = |i: usize| l[i % l.len()].p;
            let (prev, next) = if replace {
                (at(k + l.len() - 1), at(k + 1))
            } else {
                (at(k), at(k + 1))
            };
            found.clear();
            if replace {
                self.at.samples_in(&[prev, at(k), a], &mut found);
                self.at.samples_in(&[at(k), next, a], &mut found);
            } else {
                self.at.samples_in(&[prev, a, next], &mut found);
            }
            let start = swept.len();
            swept.extend(found.iter().map(|&s| (s, left_of_chain(prev, a, next, s))));
            accepted.push((cand, start..swept.len()));
        }
        // A change may move the outline across samples only to put them on
        // their side: the loops never enclose a sample they did not before
        // unless it is inside, nor drop one unless it is outside.
        let points: Vec<[f32; 2]> = swept.iter().map(|s| s.0).collect();
        let mut signs = Vec::new();
        self.values(wk, self.shape.tape(), &points, &mut signs);
        let mut raw = raw;
        let mut insert: Vec<Vec<(usize, [f32; 2])>> = vec![Vec::new(); raw.len()];
        for (Candidate { li, k, a, replace }, range) in accepted {
            let agrees = range
                .into_iter()
                .all(|i| swept[i].1 == Some(inside(signs[i])));
            if !agrees {
                continue;
            }
            if replace {
                raw[li][k].p = a;
            } else {
                insert[li].push((k, a));
            }
        }
        let mut loops = Vec::with_capacity(raw.len());
        for (l, extra) in raw.into_iter().zip(insert) {
            let mut out: Vec<[f32; 2]> = Vec::with_capacity(l.len() + extra.len());
            let mut extra = extra.into_iter().peekable();
            for (k, Vertex { p, .. }) in l.into_iter().enumerate() {
                let points = std::iter::once(p).chain(std::iter::from_fn(|| {
                    extra.next_if(|&(at, _)| at == k).map(|(_, a)| a)
                }));
                for q in points.collect::<Vec<_>>() {
                    if out.last() != Some(&q) {
                        out.push(q);
                    }
                }
            }
            while out.len() > 1 && out.first() == out.last() {
                out.pop();
            }
            if out.len() >= 3 {
                loops.push(out);
            }
        }
        loops
    }
}

impl Shape {
    /// The boundary of this shape's slice at `z = opts.z`, within the
    /// bounds of `grid`, as closed polylines (see the [module
    /// docs](crate::contour)): outer boundaries counter-clockwise, holes
    /// clockwise, sharp corners kept, smooth stretches within float
    /// precision of the boundary. The grid's pixel centres are the samples,
    /// so the contours enclose the pixels [`Shape::render_mask`] finds
    /// inside (but for centres a small fraction of a pixel from the
    /// boundary), and a shape that leaves the grid is capped along its edge.
    ///
    /// ```
    /// use tapir::Shape;
    /// use tapir::render::{EvalOptions, Grid2};
    ///
    /// let square = Shape::from_expr("max(abs(x), abs(y)) - 0.5").unwrap();
    /// let c = square.contours(&Grid2::square(50), &EvalOptions::default()).unwrap();
    /// assert_eq!(c.loops.len(), 1);
    /// for corner in [[0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5], [0.5, -0.5]] {
    ///     let near = c.loops[0].iter().any(|p| (p[0] - corner[0]).abs() < 1e-4 && (p[1] - corner[1]).abs() < 1e-4);
    ///     assert!(near, "corner {corner:?}");
    /// }
    /// ```
    pub fn contours(&self, grid: &Grid2, opts: &EvalOptions) -> Result<Contours, Error> {
        opts.validate()?;
        let params = opts.param_values(self)?;
        let bounds = grid.bounds();
        if grid.is_empty() {
            return Ok(Contours {
                loops: Vec::new(),
                bounds,
            });
        }
        let job = Job {
            shape: self,
            opts,
            at: Lattice::of(grid, opts.z),
        };
        let (ncx, ncy) = job.at.cells();
        let roots: Vec<(usize, usize)> = (0..ncy)
            .step_by(ROOT)
            .flat_map(|j| (0..ncx).step_by(ROOT).map(move |i| (i, j)))
            .collect();
        if let Some(p) = &opts.progress {
            p.0.store(0, Ordering::Relaxed);
            p.1.store(roots.len(), Ordering::Relaxed);
        }
        let pieces: Vec<Piece> = with_pool(opts.threads, || {
            #[cfg(feature = "parallel")]
            {
                use rayon::prelude::*;
                roots
                    .par_iter()
                    .map_init(|| Worker::lease(opts, &params), |w, &r| job.root(w, r))
                    .collect()
            }
            #[cfg(not(feature = "parallel"))]
            {
                let mut w = Worker::lease(opts, &params);
                roots.iter().map(|&r| job.root(&mut w, r)).collect()
            }
        })?;
        if opts.cancelled() {
            return Err(Error::Interrupted);
        }
        let raw = assemble(pieces);
        let mut w = Worker::lease(opts, &params);
        let loops = job.finish(&mut w, raw);
        w.report(opts);
        Ok(Contours { loops, bounds })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_sides() {
        // A left (convex) turn: inside is the wedge between the segments.
        let (p, a, n) = ([0.0, 0.0], [1.0, 0.0], [1.0, 1.0]);
        assert_eq!(left_of_chain(p, a, n, [0.5, 0.5]), Some(true));
        assert_eq!(left_of_chain(p, a, n, [2.0, 0.5]), Some(false));
        assert_eq!(left_of_chain(p, a, n, [0.5, -0.5]), Some(false));
        assert_eq!(left_of_chain(p, a, n, [0.5, 0.0]), None);
        // A right (reflex) turn: inside is everything but the wedge.
        let (p, a, n) = ([0.0, 0.0], [1.0, 0.0], [1.0, -1.0]);
        assert_eq!(left_of_chain(p, a, n, [0.5, 0.5]), Some(true));
        assert_eq!(left_of_chain(p, a, n, [2.0, -0.5]), Some(true));
        assert_eq!(left_of_chain(p, a, n, [0.5, -0.5]), Some(false));
    }

    #[test]
    fn samples_in_a_triangle() {
        let at = Lattice::of(&Grid2::square(4), 0.0); // centres ±0.25, ±0.75
        let mut found = Vec::new();
        at.samples_in(&[[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]], &mut found);
        assert_eq!(found, [[0.25, 0.25], [0.75, 0.25], [0.25, 0.75]]); // closed
        found.clear();
        at.samples_in(&[[0.0, 0.0], [0.9, 0.0], [0.0, 0.9]], &mut found);
        assert_eq!(found, [[0.25, 0.25]]);
        found.clear();
        at.samples_in(&[[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0]], &mut found);
        assert_eq!(found.len(), 10); // on or below the diagonal
        assert_eq!(at.xs.len(), 6);
        assert_eq!((at.xs[0], at.xs[5]), (-1.25, 1.25));
        assert_eq!(at.lo, [-1.0, -1.0]);
    }

    #[test]
    fn qef_corners_and_lines() {
        let cell = ([0.0, 0.0], [1.0, 1.0]);
        let c = |p: [f32; 2], n: [f32; 2]| Crossing { p, n };
        // Two perpendicular sides meeting at (0.3, 0.6).
        let corner = qef(
            &[c([0.3, 0.0], [1.0, 0.0]), c([0.0, 0.6], [0.0, 1.0])],
            cell,
        );
        assert!(
            matches!(corner, Placement::Corner(p) if (p[0] - 0.3).abs() < 1e-6 && (p[1] - 0.6).abs() < 1e-6)
        );
        // One straight side: on it, between the crossings.
        let s = std::f32::consts::FRAC_1_SQRT_2;
        let line = qef(&[c([0.2, 0.0], [s, s]), c([0.0, 0.2], [s, s])], cell);
        assert!(
            matches!(line, Placement::Smooth(p, None) if (p[0] - 0.1).abs() < 1e-6 && (p[1] - 0.1).abs() < 1e-6)
        );
        // Sides meeting outside the cell: smooth here, the corner remembered.
        // (sides through (1.2, 1.2), crossing the top and the right edge)
        let (a, b) = (0.316_227_77, 0.948_683_3);
        let out = qef(&[c([0.6, 1.0], [-a, b]), c([1.0, 0.6], [b, -a])], cell);
        assert!(
            matches!(out, Placement::Smooth(_, Some(q)) if (q[0] - 1.2).abs() < 1e-5 && (q[1] - 1.2).abs() < 1e-5)
        );
    }
}
