//! A mesh checker: meshes are verified, never trusted.
//!
//! [`check`] counts what would make a mesh unprintable: edges not used by
//! exactly two triangles (boundary and non-manifold edges), edges used
//! twice in the same direction (inconsistent orientation), vertices whose
//! triangles do not form one fan (non-manifold vertices), degenerate
//! triangles (a repeated vertex or zero area), and pairs of triangles that
//! cross each other (found with a bounding-volume hierarchy over the
//! triangles and exact-sign segment–triangle tests in f64). It also gives
//! the signed volume and the Euler characteristic `V − E + F` (2 for a
//! sphere, 0 for a torus). [`surface_distance`] and [`nearest_vertex`]
//! compare a mesh with its shape.
//!
//! ```
//! use tapir::mesh::Mesh;
//! use tapir::mesh::check::check;
//!
//! // A tetrahedron: closed, manifold, genus 0.
//! let m = Mesh {
//!     vertices: vec![[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
//!     normals: vec![[0.0, 0.0, 1.0]; 4],
//!     triangles: vec![[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]],
//! };
//! let r = check(&m);
//! assert!(r.is_clean() && r.euler == 2 && r.volume > 0.0);
//! // Without one face it is open.
//! let open = Mesh { triangles: m.triangles[1..].to_vec(), ..m };
//! assert_eq!(check(&open).boundary_edges, 3);
//! ```

use std::collections::HashMap;

use super::Mesh;
use super::dual::{cross, dot, sub};
use crate::eval::Grad;
use crate::interp::{Dispatch, Machine};
use crate::shape::Shape;

/// What [`check`] found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// Vertices used by some triangle.
    pub vertices: usize,
    /// Triangles.
    pub triangles: usize,
    /// Distinct edges.
    pub edges: usize,
    /// Edges used by one triangle only (holes).
    pub boundary_edges: usize,
    /// Edges used by more than two triangles.
    pub non_manifold_edges: usize,
    /// Edges used by two triangles in the same direction.
    pub inconsistent_edges: usize,
    /// Vertices whose triangles do not form a single fan.
    pub non_manifold_vertices: usize,
    /// Triangles with a repeated or out-of-range vertex, or zero area.
    pub degenerate_triangles: usize,
    /// Pairs of triangles that cross each other.
    pub self_intersections: usize,
    /// Signed enclosed volume.
    pub volume: f64,
    /// Euler characteristic `V − E + F`.
    pub euler: i64,
}

impl Report {
    /// Closed, manifold (at edges and vertices), consistently oriented,
    /// without degenerate triangles.
    pub fn is_closed_manifold(&self) -> bool {
        self.boundary_edges == 0
            && self.non_manifold_edges == 0
            && self.inconsistent_edges == 0
            && self.non_manifold_vertices == 0
            && self.degenerate_triangles == 0
    }

    /// [`Report::is_closed_manifold`] and no self-intersections.
    pub fn is_clean(&self) -> bool {
        self.is_closed_manifold() && self.self_intersections == 0
    }
}

/// Checks `mesh` (see the module docs).
pub fn check(mesh: &Mesh) -> Report {
    let nv = mesh.vertices.len();
    let mut r = Report {
        triangles: mesh.triangles.len(),
        volume: mesh.volume_checked(),
        ..Report::default()
    };
    // Edge uses, by direction.
    let mut edges: HashMap<(u32, u32), (u32, u32)> = HashMap::new();
    let mut used = vec![false; nv];
    let mut links: Vec<Vec<(u32, u32)>> = vec![Vec::new(); nv];
    for t in &mesh.triangles {
        if t.iter().any(|&i| i as usize >= nv) || t[0] == t[1] || t[1] == t[2] || t[0] == t[2] {
            r.degenerate_triangles += 1;
            continue;
        }
        if is_degenerate(mesh, t) {
            r.degenerate_triangles += 1;
        }
        for k in 0..3 {
            let (a, b) = (t[k], t[(k + 1) % 3]);
            let e = edges.entry((a.min(b), a.max(b))).or_default();
            if a < b {
                e.0 += 1;
            } else {
                e.1 += 1;
            }
            used[a as usize] = true;
            links[t[k] as usize].push((t[(k + 1) % 3], t[(k + 2) % 3]));
        }
    }
    r.edges = edges.len();
    for &(f, b) in edges.values() {
        match f + b {
            1 => r.boundary_edges += 1,
            2 if f != 1 => r.inconsistent_edges += 1,
            2 => {}
            _ => r.non_manifold_edges += 1,
        }
    }
    r.non_manifold_vertices = links.iter().filter(|l| !l.is_empty() && !is_fan(l)).count();
    r.vertices = used.iter().filter(|&&u| u).count();
    r.euler = r.vertices as i64 - r.edges as i64 + r.triangles as i64;
    r.self_intersections = self_intersections(mesh);
    r
}

/// True when triangle `t` (with valid indices) has a repeated vertex or
/// zero area.
pub fn is_degenerate(mesh: &Mesh, t: &[u32; 3]) -> bool {
    if t[0] == t[1] || t[1] == t[2] || t[0] == t[2] {
        return true;
    }
    let p = t.map(|i| mesh.vertices[i as usize].map(f64::from));
    let n = cross(sub(p[1], p[0]), sub(p[2], p[0]));
    dot(n, n) == 0.0
}

/// True when the link edges of a vertex (`(b, c)` of each triangle
/// `(v, b, c)`) form one closed cycle.
fn is_fan(link: &[(u32, u32)]) -> bool {
    let mut next: HashMap<u32, u32> = HashMap::with_capacity(link.len());
    for &(b, c) in link {
        if next.insert(b, c).is_some() {
            return false;
        }
    }
    let start = link[0].0;
    let mut at = start;
    for steps in 1..=link.len() {
        match next.get(&at) {
            Some(&n) => at = n,
            None => return false,
        }
        if at == start {
            return steps == link.len();
        }
    }
    false
}

impl Mesh {
    /// [`Mesh::volume`] skipping triangles with out-of-range indices.
    fn volume_checked(&self) -> f64 {
        let nv = self.vertices.len();
        self.triangles
            .iter()
            .filter(|t| t.iter().all(|&i| (i as usize) < nv))
            .map(|t| {
                let [a, b, c] = t.map(|i| self.vertices[i as usize].map(f64::from));
                dot(a, cross(b, c)) / 6.0
            })
            .sum()
    }
}

/// A node of the bounding-volume hierarchy: a box and either two children
/// or a range of triangles.
struct BvhNode {
    lo: [f64; 3],
    hi: [f64; 3],
    /// The children, for an inner node.
    kids: Option<(usize, usize)>,
    /// The triangles of a leaf: `order[first..first + count]`.
    first: usize,
    count: usize,
}

/// Number of pairs of triangles that cross (see the module docs). Pairs
/// sharing a vertex are tested only away from it (the edge opposite it
/// against the other triangle); pairs sharing an edge are not tested.
pub fn self_intersections(mesh: &Mesh) -> usize {
    intersecting_pairs(mesh).len()
}

/// The pairs of triangles (indices into `mesh.triangles`, the smaller
/// first) that cross, as counted by [`self_intersections`].
pub fn intersecting_pairs(mesh: &Mesh) -> Vec<(usize, usize)> {
    intersecting_pairs_among(mesh, None)
}

/// [`intersecting_pairs`] with at least one triangle among `candidates`
/// (a flag per triangle; `None`: all).
pub fn intersecting_pairs_among(mesh: &Mesh, candidates: Option<&[bool]>) -> Vec<(usize, usize)> {
    let is_candidate = |t: usize| candidates.is_none_or(|c| c[t]);
    let nv = mesh.vertices.len();
    let kept: Vec<usize> = (0..mesh.triangles.len())
        .filter(|&t| mesh.triangles[t].iter().all(|&i| (i as usize) < nv))
        .collect();
    let tris: Vec<[u32; 3]> = kept.iter().map(|&t| mesh.triangles[t]).collect();
    if tris.len() < 2 {
        return Vec::new();
    }
    let pts: Vec<[[f64; 3]; 3]> = tris
        .iter()
        .map(|t| t.map(|i| mesh.vertices[i as usize].map(f64::from)))
        .collect();
    let boxes: Vec<([f64; 3], [f64; 3])> = pts
        .iter()
        .map(|p| {
            let lo = std::array::from_fn(|k| p[0][k].min(p[1][k]).min(p[2][k]));
            let hi = std::array::from_fn(|k| p[0][k].max(p[1][k]).max(p[2][k]));
            (lo, hi)
        })
        .collect();
    // The hierarchy holds the candidates; every triangle is queried
    // against it, and a pair of two candidates is tested from its larger
    // index only.
    let mut order: Vec<usize> = (0..tris.len()).filter(|&i| is_candidate(kept[i])).collect();
    if order.is_empty() {
        return Vec::new();
    }
    let mut nodes = Vec::new();
    build(&mut nodes, &mut order, 0, &boxes);
    let query = |i: usize| {
        let mut pairs = Vec::new();
        let (lo, hi) = boxes[i];
        let mut stack = vec![0usize];
        while let Some(n) = stack.pop() {
            let node = &nodes[n];
            if (0..3).any(|k| node.lo[k] > hi[k] || node.hi[k] < lo[k]) {
                continue;
            }
            if let Some((a, b)) = node.kids {
                stack.push(a);
                stack.push(b);
                continue;
            }
            for &j in &order[node.first..node.first + node.count] {
                if (j >= i && is_candidate(kept[i]))
                    || (0..3).any(|k| boxes[j].0[k] > hi[k] || boxes[j].1[k] < lo[k])
                {
                    continue;
                }
                if crosses(&tris[i], &pts[i], &tris[j], &pts[j]) {
                    pairs.push((kept[i].min(kept[j]), kept[i].max(kept[j])));
                }
            }
        }
        pairs
    };
    #[cfg(feature = "parallel")]
    let mut pairs: Vec<(usize, usize)> = {
        use rayon::prelude::*;
        (0..tris.len())
            .into_par_iter()
            .flat_map_iter(query)
            .collect()
    };
    #[cfg(not(feature = "parallel"))]
    let mut pairs: Vec<(usize, usize)> = (0..tris.len()).flat_map(query).collect();
    pairs.sort_unstable();
    pairs
}

/// Builds the hierarchy over `order` (which starts at `start` of the whole
/// order array) by median splits on the widest axis; returns the node.
fn build(
    nodes: &mut Vec<BvhNode>,
    order: &mut [usize],
    start: usize,
    boxes: &[([f64; 3], [f64; 3])],
) -> usize {
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    for &t in order.iter() {
        for k in 0..3 {
            lo[k] = lo[k].min(boxes[t].0[k]);
            hi[k] = hi[k].max(boxes[t].1[k]);
        }
    }
    let me = nodes.len();
    nodes.push(BvhNode {
        lo,
        hi,
        kids: None,
        first: start,
        count: order.len(),
    });
    if order.len() <= 4 {
        return me;
    }
    let axis = (0..3)
        .max_by(|&a, &b| (hi[a] - lo[a]).total_cmp(&(hi[b] - lo[b])))
        .unwrap_or(0);
    let centre = |t: usize| boxes[t].0[axis] + boxes[t].1[axis];
    let mid = order.len() / 2;
    order.select_nth_unstable_by(mid, |&a, &b| centre(a).total_cmp(&centre(b)));
    let (left, right) = order.split_at_mut(mid);
    let a = build(nodes, left, start, boxes);
    let b = build(nodes, right, start + mid, boxes);
    nodes[me].kids = Some((a, b));
    me
}

/// Whether triangles `a` and `b` (indices and points) cross.
fn crosses(ta: &[u32; 3], a: &[[f64; 3]; 3], tb: &[u32; 3], b: &[[f64; 3]; 3]) -> bool {
    let shared: Vec<(usize, usize)> = (0..3)
        .flat_map(|i| (0..3).map(move |j| (i, j)))
        .filter(|&(i, j)| ta[i] == tb[j])
        .collect();
    match shared.len() {
        0 => {
            (0..3).any(|k| segment_crosses(a[k], a[(k + 1) % 3], b))
                || (0..3).any(|k| segment_crosses(b[k], b[(k + 1) % 3], a))
        }
        1 => {
            let (i, j) = shared[0];
            segment_crosses(a[(i + 1) % 3], a[(i + 2) % 3], b)
                || segment_crosses(b[(j + 1) % 3], b[(j + 2) % 3], a)
        }
        2 => false,
        _ => true,
    }
}

/// `det[b − a, c − a, d − a]`: the side of plane `abc` that `d` is on.
fn orient(a: [f64; 3], b: [f64; 3], c: [f64; 3], d: [f64; 3]) -> f64 {
    dot(sub(d, a), cross(sub(b, a), sub(c, a)))
}

/// Whether segment `pq` passes strictly through the interior of triangle
/// `t` (touching does not count).
fn segment_crosses(p: [f64; 3], q: [f64; 3], t: &[[f64; 3]; 3]) -> bool {
    let (d1, d2) = (orient(t[0], t[1], t[2], p), orient(t[0], t[1], t[2], q));
    if !(d1 * d2 < 0.0) {
        return false;
    }
    let s = [
        orient(p, q, t[0], t[1]),
        orient(p, q, t[1], t[2]),
        orient(p, q, t[2], t[0]),
    ];
    s.iter().all(|&v| v > 0.0) || s.iter().all(|&v| v < 0.0)
}

/// The largest distance estimate `|f| / |∇f|` of `shape` over the mesh's
/// vertices (the distance to the surface, to first order).
pub fn surface_distance(shape: &Shape, mesh: &Mesh) -> f64 {
    let mut m = Machine::<Grad>::new();
    m.set_params(shape.param_values());
    mesh.vertices
        .iter()
        .map(|p| {
            let vars = [Grad::var(p[0], 0), Grad::var(p[1], 1), Grad::var(p[2], 2)];
            let g = m.run(Dispatch::default(), shape.reg_tape(), vars, &mut []);
            let len = f64::from(g.dx * g.dx + g.dy * g.dy + g.dz * g.dz).sqrt();
            let v = f64::from(g.v).abs();
            if len > 0.0 { v / len } else { v }
        })
        .fold(0.0, f64::max)
}

/// The distance from `p` to the nearest vertex of the mesh (infinite for
/// an empty one).
pub fn nearest_vertex(mesh: &Mesh, p: [f64; 3]) -> f64 {
    mesh.vertices
        .iter()
        .map(|v| {
            let d = sub(v.map(f64::from), p);
            dot(d, d).sqrt()
        })
        .fold(f64::INFINITY, f64::min)
}
