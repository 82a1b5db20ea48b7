//! The octree of cells the surface may cross, built top down with interval
//! arithmetic and merged bottom up where the surface is simple.
//!
//! Cells are addressed on the lattice of the finest level: a cell of size
//! exponent `sz` covers `2^sz` lattice steps per axis from its lowest
//! corner `pos`. Going down, every cell is bounded by interval arithmetic
//! over its closed box ([`Worker::interval`]): wholly inside or outside,
//! it stops as [`Node::Empty`]; otherwise its tape is pruned to it
//! ([`Worker::prune`]) and it splits in eight. The top levels split into
//! independent rayon jobs, each with its own leased worker.
//!
//! At blocks of `2^BLOCK` finest cells per axis the lattice points are
//! evaluated as slices, the sign-changing lattice edges refined to their
//! crossings by batched bisection (the last step a linear interpolation),
//! and the gradient taken at each crossing. Each finest cell then gets one
//! vertex per component of its patch ([`super::cell`]), at the minimiser
//! of its component's QEF ([`super::qef`]).
//!
//! Coming back up, eight children merge into one leaf when the topology is
//! safe (every child a leaf with at most one component; the parent's
//! corner signs give one component; the sign at the middle of each parent
//! edge, each parent face and the parent itself agrees with a corner of that
//! edge, face or cell: the criteria of dual contouring on octrees) and the
//! summed QEF's root-mean-square error at its minimiser is within the
//! tolerance. Eight empty children of one sign become one empty node, so
//! the tree depends only on the values, not on how far pruning got: pruned
//! and brute-force builds give the same tree.
//!
//! A merged leaf keeps its children, so that [`super::Shape::mesh`] can
//! undo a merge whose vertex makes the mesh cross itself or a triangle
//! degenerate. Only cells the surface may cross are kept, so memory grows
//! with the surface; a leaf counter stops the build when it would exceed
//! the memory budget.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use super::cell::{self, NONE, edge_corners};
use super::qef::Qef;
use crate::eval::{GRAD_LANES, Interval, LANES, Lanes};
use crate::render::EvalOptions;
use crate::render::worker::Worker;
use crate::tape::Tape;

/// Size exponent of the blocks evaluated as slices (4 × 4 × 4 cells).
pub const BLOCK: u32 = 2;

/// Bisection steps per crossing before the final interpolation.
pub const BISECT: usize = 8;

/// Bytes a live leaf costs, with its share of the output (for the budget).
pub const LEAF_BYTES: usize = 320;

/// A node of the octree.
pub(crate) enum Node {
    /// No surface: wholly inside (`true`) or outside.
    Empty(bool),
    /// A cell with a patch of surface.
    Leaf(Box<Leaf>),
    /// Eight children, indexed by `x | y << 1 | z << 2`.
    Branch(Box<[Node; 8]>),
}

/// A leaf cell the surface crosses.
pub(crate) struct Leaf {
    /// Lowest corner on the finest lattice.
    pub pos: [u32; 3],
    /// Size exponent: `2^sz` lattice steps per axis.
    pub sz: u32,
    /// Corner signs (bit `c` set: inside at corner `c`).
    pub mask: u8,
    /// Ambiguous faces paired the other way ([`cell::must_flip`]).
    pub flips: u8,
    /// Whether the leaf has (or merged) a cell with an ambiguous face:
    /// such leaves never merge.
    pub ambiguous: bool,
    /// One vertex per component of the patch, in the component order of
    /// [`cell::table`] for `mask`.
    pub comps: Vec<Comp>,
    /// Index of the first component's vertex in the mesh.
    pub first: u32,
    /// The children a merged leaf was made of, kept so that the merge can
    /// be undone where it would make the mesh cross itself.
    pub kids: Option<Box<[Node; 8]>>,
    /// Set on the children of a merge just undone, until the next check.
    pub fresh: bool,
}

/// One component of a leaf's patch and its vertex.
pub(crate) struct Comp {
    /// The planes of its crossings.
    pub qef: Qef,
    /// The vertex.
    pub pos: [f32; 3],
    /// The vertex normal (mean crossing normal).
    pub normal: [f32; 3],
}

impl Comp {
    fn new(qef: Qef, p: [f64; 3]) -> Comp {
        Comp {
            qef,
            pos: p.map(|v| v as f32),
            normal: qef.normal().unwrap_or([0.0, 0.0, 1.0]),
        }
    }
}

/// Offset of corner (or child) `c` as 0/1 per axis.
fn offset(c: usize) -> [usize; 3] {
    [c & 1, c >> 1 & 1, c >> 2 & 1]
}

/// Everything a build reads, and its stop flags.
pub(crate) struct Builder<'a> {
    /// The capped shape's tape.
    pub tape: &'a Tape,
    /// Evaluation options.
    pub opts: &'a EvalOptions,
    /// Parameter values.
    pub params: &'a [f32],
    /// Octree depth.
    pub depth: u32,
    /// Lattice coordinates per axis (`2^depth + 1` each).
    pub coords: [Vec<f32>; 3],
    /// Merge tolerance (0: never merge).
    pub tolerance: f64,
    /// Levels split into parallel jobs.
    pub par_levels: u32,
    /// Leaves made so far (merged ones keep their children).
    pub live: AtomicI64,
    /// Most leaves the budget allows.
    pub max_live: i64,
    /// Set when `live` went over `max_live`.
    pub over_budget: AtomicBool,
}

/// A block's samples: values at its lattice points and its crossings.
struct Block {
    /// Lattice points per axis (`2^sz + 1`).
    m: usize,
    values: Vec<f32>,
    /// Crossing index of the edge from lattice point `n` along axis `a`, at
    /// `3n + a` (`u32::MAX`: none).
    cross_of: Vec<u32>,
    points: Vec<[f32; 3]>,
    normals: Vec<[f32; 3]>,
    /// Values at lattice points beyond the block (by global position)
    /// that the flip decisions of its ambiguous faces need.
    extra: Vec<([u32; 3], f32)>,
}

impl Block {
    /// The value at the lattice point at `local` from the block's lowest
    /// corner `pos`, if known.
    fn value(&self, pos: [u32; 3], local: [i64; 3]) -> Option<f32> {
        let m = self.m as i64;
        if local.iter().all(|&v| (0..m).contains(&v)) {
            return Some(self.values[((local[2] * m + local[1]) * m + local[0]) as usize]);
        }
        let g: [i64; 3] = std::array::from_fn(|a| i64::from(pos[a]) + local[a]);
        self.extra
            .iter()
            .find(|(p, _)| (0..3).all(|a| i64::from(p[a]) == g[a]))
            .map(|&(_, v)| v)
    }
}

/// The lattice offset of the far face's corners of the neighbour across
/// face `f` of the cell at `o`: `(neighbour's lowest corner, axis)`.
fn neighbour(o: [i64; 3], f: usize) -> [i64; 3] {
    let mut n = o;
    n[f / 2] += if f % 2 == 1 { 1 } else { -1 };
    n
}

fn inside(v: f32) -> bool {
    v < 0.0
}

impl Builder<'_> {
    /// The size exponent of blocks.
    fn block_sz(&self) -> u32 {
        BLOCK.min(self.depth)
    }

    /// Number of progress steps ([`EvalOptions::progress`]).
    pub fn progress_total(&self) -> usize {
        1 << (3 * self.par_levels)
    }

    fn progress(&self, steps: usize) {
        if let Some(p) = &self.opts.progress {
            p.0.fetch_add(steps, Ordering::Relaxed);
        }
    }

    fn stopped(&self) -> bool {
        self.opts.cancelled() || self.over_budget.load(Ordering::Relaxed)
    }

    /// The box of a cell, in model coordinates.
    fn lo_hi(&self, pos: [u32; 3], sz: u32) -> ([f64; 3], [f64; 3]) {
        let s = 1usize << sz;
        let lo = std::array::from_fn(|a| f64::from(self.coords[a][pos[a] as usize]));
        let hi = std::array::from_fn(|a| f64::from(self.coords[a][pos[a] as usize + s]));
        (lo, hi)
    }

    fn cell_box(&self, pos: [u32; 3], sz: u32) -> [Interval; 3] {
        let s = 1usize << sz;
        std::array::from_fn(|a| {
            let c = &self.coords[a];
            Interval::new(c[pos[a] as usize], c[pos[a] as usize + s])
        })
    }

    /// Builds the whole tree.
    pub fn build(&self) -> Node {
        self.par(self.tape, self.depth, [0; 3])
    }

    /// A node of the top levels: its children run as parallel jobs.
    fn par(&self, tape: &Tape, sz: u32, pos: [u32; 3]) -> Node {
        let level = self.depth - sz;
        if level >= self.par_levels {
            let mut w = Worker::lease(self.opts, self.params);
            let n = self.node(&mut w, tape, sz, pos);
            w.report(self.opts);
            self.progress(1);
            return n;
        }
        let (cull, pruned) = {
            let mut w = Worker::lease(self.opts, self.params);
            let r = self.bound(&mut w, tape, sz, pos);
            w.report(self.opts);
            r
        };
        if let Some(n) = cull {
            self.progress(1 << (3 * (self.par_levels - level)));
            return n;
        }
        let t = pruned.as_ref().unwrap_or(tape);
        let child = |c: usize| self.par(t, sz - 1, child_pos(pos, sz, c));
        #[cfg(feature = "parallel")]
        let kids: Vec<Node> = {
            use rayon::prelude::*;
            (0..8).into_par_iter().map(child).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let kids: Vec<Node> = (0..8).map(child).collect();
        let mut it = kids.into_iter();
        let kids = std::array::from_fn(|_| it.next().expect("eight children"));
        self.merge(kids, sz, pos)
    }

    /// Bounds a cell: `Some(empty node)` if it is decided, else the tape
    /// pruned to it (`None`: nothing to prune, or pruning is off).
    fn bound(
        &self,
        w: &mut Worker,
        tape: &Tape,
        sz: u32,
        pos: [u32; 3],
    ) -> (Option<Node>, Option<Tape>) {
        if !w.prune {
            return (None, None);
        }
        let iv = w.interval(tape, self.cell_box(pos, sz));
        if iv.hi() < 0.0 {
            return (Some(Node::Empty(true)), None);
        }
        if iv.lo() > 0.0 {
            return (Some(Node::Empty(false)), None);
        }
        if sz <= self.block_sz() {
            // A block's tape serves a few slices only: not worth pruning.
            return (None, None);
        }
        (None, w.prune(tape))
    }

    /// A node below the parallel levels, on one worker.
    fn node(&self, w: &mut Worker, tape: &Tape, sz: u32, pos: [u32; 3]) -> Node {
        if self.stopped() {
            return Node::Empty(false);
        }
        let (cull, pruned) = self.bound(w, tape, sz, pos);
        if let Some(n) = cull {
            return n;
        }
        let t = pruned.as_ref().unwrap_or(tape);
        let n = if sz <= self.block_sz() {
            self.block(w, t, pos, sz)
        } else {
            let kids = std::array::from_fn(|c| self.node(w, t, sz - 1, child_pos(pos, sz, c)));
            self.merge(kids, sz, pos)
        };
        w.recycle(pruned);
        n
    }

    /// Samples a block and builds its subtree.
    fn block(&self, w: &mut Worker, tape: &Tape, pos: [u32; 3], sz: u32) -> Node {
        let m = (1usize << sz) + 1;
        let total = m * m * m;
        let point = |n: usize| -> [usize; 3] {
            let l = [n % m, n / m % m, n / (m * m)];
            std::array::from_fn(|a| pos[a] as usize + l[a])
        };
        let mut values = vec![0.0f32; total];
        let mut xyz = [Lanes::<LANES>::default(); 3];
        for start in (0..total).step_by(LANES) {
            let end = (start + LANES).min(total);
            for k in 0..LANES {
                let p = point((start + k).min(end - 1));
                for a in 0..3 {
                    xyz[a].0[k] = self.coords[a][p[a]];
                }
            }
            let v = w.slice(tape, xyz);
            values[start..end].copy_from_slice(&v.0[..end - start]);
        }
        let first = inside(values[0]);
        if values.iter().all(|&v| inside(v) == first) {
            return Node::Empty(first);
        }
        // The sign-changing lattice edges: (lower point, axis).
        let stride = [1, m, m * m];
        let mut cross_of = vec![u32::MAX; 3 * total];
        let mut edges = Vec::new();
        for n in 0..total {
            let l = [n % m, n / m % m, n / (m * m)];
            for a in 0..3 {
                if l[a] + 1 < m && inside(values[n]) != inside(values[n + stride[a]]) {
                    cross_of[3 * n + a] = edges.len() as u32;
                    edges.push((n, a));
                }
            }
        }
        let (points, normals) = self.crossings(w, tape, &values, &edges, &point, &stride);
        let mut b = Block {
            m,
            values,
            cross_of,
            points,
            normals,
            extra: Vec::new(),
        };
        b.extra = self.extra_values(w, &b, pos);
        self.sub(&b, pos, [0; 3], sz)
    }

    /// The values beyond the block that the flip decisions of its cells'
    /// ambiguous faces need, evaluated with the shape's whole tape (the
    /// block's pruned tape is only valid in the block).
    fn extra_values(&self, w: &mut Worker, b: &Block, pos: [u32; 3]) -> Vec<([u32; 3], f32)> {
        let s = b.m as i64 - 1;
        let n = (1i64 << self.depth) + 1;
        let mut want: Vec<[u32; 3]> = Vec::new();
        for k in 0..s {
            for j in 0..s {
                for i in 0..s {
                    let o = [i, j, k];
                    let Some(mask) = self.mask_at(b, pos, o) else {
                        continue;
                    };
                    let amb = cell::ambiguous_faces(mask);
                    for f in (0..6).filter(|f| amb >> f & 1 == 1) {
                        let no = neighbour(o, f);
                        for c in 0..8 {
                            let d = offset(c);
                            let l: [i64; 3] = std::array::from_fn(|a| no[a] + d[a] as i64);
                            let g: [i64; 3] = std::array::from_fn(|a| i64::from(pos[a]) + l[a]);
                            if l.iter().all(|&v| (0..=s).contains(&v))
                                || g.iter().any(|&v| !(0..n).contains(&v))
                            {
                                continue;
                            }
                            let g = g.map(|v| v as u32);
                            if !want.contains(&g) {
                                want.push(g);
                            }
                        }
                    }
                }
            }
        }
        let mut out = Vec::with_capacity(want.len());
        let mut xyz = [Lanes::<LANES>::default(); 3];
        for chunk in want.chunks(LANES) {
            for k in 0..LANES {
                let p = chunk[k.min(chunk.len() - 1)];
                for a in 0..3 {
                    xyz[a].0[k] = self.coords[a][p[a] as usize];
                }
            }
            let v = w.slice(self.tape, xyz);
            out.extend(chunk.iter().zip(v.0).map(|(&p, v)| (p, v)));
        }
        out
    }

    /// The corner mask of the finest cell at `o` (from the block's lowest
    /// corner `pos`), if its values are known.
    fn mask_at(&self, b: &Block, pos: [u32; 3], o: [i64; 3]) -> Option<u8> {
        let mut mask = 0u8;
        for c in 0..8 {
            let d = offset(c);
            let v = b.value(pos, std::array::from_fn(|a| o[a] + d[a] as i64))?;
            if inside(v) {
                mask |= 1 << c;
            }
        }
        Some(mask)
    }

    /// Crossing points and unit normals of the `edges` of a block.
    fn crossings(
        &self,
        w: &mut Worker,
        tape: &Tape,
        values: &[f32],
        edges: &[(usize, usize)],
        point: &dyn Fn(usize) -> [usize; 3],
        stride: &[usize; 3],
    ) -> (Vec<[f32; 3]>, Vec<[f32; 3]>) {
        let mut points = Vec::with_capacity(edges.len());
        let mut dirs = Vec::with_capacity(edges.len());
        let mut ends = Vec::with_capacity(edges.len());
        for chunk in edges.chunks(LANES) {
            // Per lane: the point, its axis, and the inside and outside
            // ends along it (coordinate, value).
            let mut base = [[0.0f32; 3]; LANES];
            let mut axis = [0usize; LANES];
            let mut ins = [(0.0f32, 0.0f32); LANES];
            let mut outs = [(0.0f32, 0.0f32); LANES];
            for (k, &(n, a)) in chunk.iter().enumerate() {
                let p = point(n);
                base[k] = std::array::from_fn(|i| self.coords[i][p[i]]);
                axis[k] = a;
                let e0 = (self.coords[a][p[a]], values[n]);
                let e1 = (self.coords[a][p[a] + 1], values[n + stride[a]]);
                (ins[k], outs[k]) = if inside(e0.1) { (e0, e1) } else { (e1, e0) };
            }
            let len = chunk.len();
            let mut xyz = [Lanes::<LANES>::default(); 3];
            for _ in 0..BISECT {
                for k in 0..LANES {
                    let j = k.min(len - 1);
                    for i in 0..3 {
                        xyz[i].0[k] = base[j][i];
                    }
                    xyz[axis[j]].0[k] = 0.5 * (ins[j].0 + outs[j].0);
                }
                let v = w.slice(tape, xyz);
                for k in 0..len {
                    let at = (xyz[axis[k]].0[k], v.0[k]);
                    if inside(at.1) {
                        ins[k] = at;
                    } else {
                        outs[k] = at;
                    }
                }
            }
            for k in 0..len {
                let ((xi, vi), (xo, vo)) = (ins[k], outs[k]);
                let mut x = 0.5 * (xi + xo);
                if vi.is_finite() && vo.is_finite() && vo > vi {
                    let t = vi / (vi - vo);
                    x = xi + t * (xo - xi);
                }
                let x = x.clamp(xi.min(xo), xi.max(xo));
                let mut p = base[k];
                p[axis[k]] = x;
                points.push(p);
                let mut po = base[k];
                po[axis[k]] = xo;
                let mut pi = base[k];
                pi[axis[k]] = xi;
                ends.push((po, pi));
                dirs.push((axis[k], if xo > xi { 1.0f32 } else { -1.0 }));
            }
        }
        // The gradient at each crossing; where it is zero or not a number
        // (e.g. `sqrt` of a squared distance, exactly on the surface), at
        // the outside end of the final bracket, then at the inside end,
        // then the edge's direction from inside to outside.
        let mut normals: Vec<Option<[f32; 3]>> = vec![None; points.len()];
        for pass in 0..3 {
            let todo: Vec<usize> = (0..points.len())
                .filter(|&i| normals[i].is_none())
                .collect();
            if todo.is_empty() {
                break;
            }
            let at = |i: usize| match pass {
                0 => points[i],
                1 => ends[i].0,
                _ => ends[i].1,
            };
            for chunk in todo.chunks(GRAD_LANES) {
                let mut xyz = [Lanes::<GRAD_LANES>::default(); 3];
                for k in 0..GRAD_LANES {
                    let p = at(chunk[k.min(chunk.len() - 1)]);
                    for i in 0..3 {
                        xyz[i].0[k] = p[i];
                    }
                }
                let g = w.grad(tape, xyz);
                for (k, &i) in chunk.iter().enumerate() {
                    normals[i] = unit([g.dx.0[k], g.dy.0[k], g.dz.0[k]]);
                }
            }
        }
        let normals = normals
            .into_iter()
            .zip(&dirs)
            .map(|(n, &(a, s))| {
                n.unwrap_or_else(|| {
                    let mut n = [0.0; 3];
                    n[a] = s;
                    n
                })
            })
            .collect();
        (points, normals)
    }

    /// The subtree of a block's cell at lattice offset `o` from the block.
    fn sub(&self, b: &Block, bpos: [u32; 3], o: [usize; 3], sz: u32) -> Node {
        let pos = std::array::from_fn(|a| bpos[a] + o[a] as u32);
        if sz > 0 {
            let h = 1usize << (sz - 1);
            let kids = std::array::from_fn(|c| {
                let d = offset(c);
                self.sub(b, bpos, std::array::from_fn(|a| o[a] + d[a] * h), sz - 1)
            });
            return self.merge(kids, sz, pos);
        }
        let m = b.m;
        let index = |p: [usize; 3]| (p[2] * m + p[1]) * m + p[0];
        let corner = |c: usize| {
            let d = offset(c);
            index(std::array::from_fn(|a| o[a] + d[a]))
        };
        let mut mask = 0u8;
        for c in 0..8 {
            if inside(b.values[corner(c)]) {
                mask |= 1 << c;
            }
        }
        match mask {
            0 => return Node::Empty(false),
            255 => return Node::Empty(true),
            _ => {}
        }
        let amb = cell::ambiguous_faces(mask);
        let mut flips = 0u8;
        let oi = o.map(|v| v as i64);
        for f in (0..6).filter(|f| amb >> f & 1 == 1) {
            if let Some(theirs) = self.mask_at(b, bpos, neighbour(oi, f))
                && cell::must_flip(mask, theirs, f)
            {
                flips |= 1 << f;
            }
        }
        let cfg = &cell::config_of(mask, flips);
        let mut qefs = vec![Qef::default(); usize::from(cfg.comps)];
        for e in 0..12 {
            let k = cfg.edge_comp[e];
            if k == NONE {
                continue;
            }
            let (c0, _) = edge_corners(e);
            let x = b.cross_of[3 * corner(c0) + e / 4] as usize;
            qefs[usize::from(k)].add(b.points[x], b.normals[x]);
        }
        let (lo, hi) = self.lo_hi(pos, 0);
        let comps = qefs
            .into_iter()
            .map(|q| Comp::new(q, q.solve(lo, hi).0))
            .collect();
        if self.live.fetch_add(1, Ordering::Relaxed) + 1 > self.max_live {
            self.over_budget.store(true, Ordering::Relaxed);
        }
        Node::Leaf(Box::new(Leaf {
            pos,
            sz: 0,
            mask,
            flips,
            ambiguous: amb != 0,
            comps,
            first: 0,
            kids: None,
            fresh: false,
        }))
    }

    /// The node made of eight children: one empty node, one merged leaf, or
    /// a branch.
    fn merge(&self, kids: [Node; 8], sz: u32, pos: [u32; 3]) -> Node {
        if let Node::Empty(s) = kids[0]
            && kids.iter().all(|k| matches!(k, Node::Empty(t) if *t == s))
        {
            return Node::Empty(s);
        }
        if self.tolerance > 0.0
            && let Some(leaf) = self.try_merge(&kids, sz, pos)
        {
            let mut leaf = leaf;
            leaf.kids = Some(Box::new(kids));
            return Node::Leaf(Box::new(leaf));
        }
        Node::Branch(Box::new(kids))
    }

    /// One leaf for eight children, if the topology is safe and the error
    /// small (see the module docs).
    fn try_merge(&self, kids: &[Node; 8], sz: u32, pos: [u32; 3]) -> Option<Leaf> {
        // Signs on the 3 × 3 × 3 grid of the children's corners.
        let mut signs = [false; 27];
        for (c, kid) in kids.iter().enumerate() {
            let corner_in = |d: usize| match kid {
                Node::Empty(s) => *s,
                Node::Leaf(l) => l.mask >> d & 1 == 1,
                Node::Branch(_) => false,
            };
            match kid {
                Node::Branch(_) => return None,
                Node::Leaf(l) if l.comps.len() != 1 || l.ambiguous => return None,
                _ => {}
            }
            let oc = offset(c);
            for d in 0..8 {
                let od = offset(d);
                signs[(oc[0] + od[0]) + 3 * (oc[1] + od[1]) + 9 * (oc[2] + od[2])] = corner_in(d);
            }
        }
        let g = |p: [usize; 3]| signs[p[0] + 3 * p[1] + 9 * p[2]];
        let corner = |c: usize| offset(c).map(|v| 2 * v);
        let mut mask = 0u8;
        for c in 0..8 {
            if g(corner(c)) {
                mask |= 1 << c;
            }
        }
        if cell::table()[usize::from(mask)].comps != 1 || cell::ambiguous_faces(mask) != 0 {
            return None;
        }
        for e in 0..12 {
            let (c0, c1) = edge_corners(e);
            let (p0, p1) = (corner(c0), corner(c1));
            let mid = std::array::from_fn(|a| (p0[a] + p1[a]) / 2);
            if g(mid) != g(p0) && g(mid) != g(p1) {
                return None;
            }
        }
        for a in 0..3 {
            for side in 0..2 {
                let mut centre = [1; 3];
                centre[a] = 2 * side;
                let agrees = (0..8)
                    .filter(|&c| offset(c)[a] == side)
                    .any(|c| g(corner(c)) == g(centre));
                if !agrees {
                    return None;
                }
            }
        }
        if !(0..8).any(|c| g(corner(c)) == g([1, 1, 1])) {
            return None;
        }
        let mut q = Qef::default();
        for kid in kids {
            if let Node::Leaf(l) = kid {
                q.merge(&l.comps[0].qef);
            }
        }
        let (lo, hi) = self.lo_hi(pos, sz);
        let (p, err) = q.solve(lo, hi);
        if !(err <= self.tolerance) {
            return None;
        }
        Some(Leaf {
            pos,
            sz,
            mask,
            flips: 0,
            ambiguous: false,
            comps: vec![Comp::new(q, p)],
            first: 0,
            kids: None,
            fresh: false,
        })
    }
}

/// The lowest corner of child `c` of the cell at `pos` of size exponent `sz`.
fn child_pos(pos: [u32; 3], sz: u32, c: usize) -> [u32; 3] {
    let d = offset(c);
    std::array::from_fn(|a| pos[a] + ((d[a] as u32) << (sz - 1)))
}

/// `d` scaled to unit length, or `None` if it is zero or not finite.
pub(crate) fn unit(d: [f32; 3]) -> Option<[f32; 3]> {
    let len = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
    (len > 0.0 && len.is_finite()).then(|| d.map(|v| v / len))
}
