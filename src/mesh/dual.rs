//! Triangles: the dual of the octree's sign-changing edges.
//!
//! Every *minimal* edge that changes sign (an edge of a leaf that no
//! smaller leaf subdivides) is surrounded by four cells: the four cubes of
//! the edge's leaf size around it, each either a leaf of that size or part
//! of a larger (merged, single-component) leaf. Each supplies one vertex:
//! a leaf of the edge's size the vertex of its component containing the
//! edge, a larger leaf its only vertex. The quad they make is emitted once,
//! by the first of the equal-size leaves in counter-clockwise order, and is
//! oriented so that its normal points from the inside end of the edge to
//! the outside end (towards increasing f). A larger leaf in two of the
//! places makes the quad a triangle; there are no cracks between cells of
//! different sizes because every quad is built around the finest edge.
//!
//! Neighbours are found by descending the tree from the root (a cell of
//! the edge's size either is a leaf, lies in a larger leaf, or is a branch:
//! then the edge is not minimal). Leaves are independent, so they run in
//! parallel; the triangles are concatenated in leaf order, so the mesh is
//! the same for any thread count.

use super::cell::{self, NONE, across, edge_corners, edge_index};
use super::octree::{Leaf, Node};

/// Gives every component vertex its index (depth first, child order).
pub(crate) fn number(root: &mut Node) {
    fn walk(n: &mut Node, next: &mut u32) {
        match n {
            Node::Empty(_) => {}
            Node::Leaf(l) => {
                l.first = *next;
                *next += l.comps.len() as u32;
            }
            Node::Branch(kids) => kids.iter_mut().for_each(|k| walk(k, next)),
        }
    }
    walk(root, &mut 0);
}

/// The leaves in vertex order.
pub(crate) fn leaves(root: &Node) -> Vec<&Leaf> {
    fn collect<'a>(n: &'a Node, out: &mut Vec<&'a Leaf>) {
        match n {
            Node::Empty(_) => {}
            Node::Leaf(l) => out.push(l),
            Node::Branch(kids) => kids.iter().for_each(|k| collect(k, out)),
        }
    }
    let mut out = Vec::new();
    collect(root, &mut out);
    out
}

/// Replaces the merged leaves at `keys` (lowest corner, size exponent) by
/// the children they were merged from.
pub(crate) fn split(node: &mut Node, keys: &std::collections::HashSet<([u32; 3], u32)>) {
    match node {
        Node::Leaf(l) if l.kids.is_some() && keys.contains(&(l.pos, l.sz)) => {
            let mut kids = l.kids.take().expect("checked");
            for k in kids.iter_mut() {
                if let Node::Leaf(l) = k {
                    l.fresh = true;
                }
            }
            *node = Node::Branch(kids);
            split(node, keys);
        }
        Node::Branch(kids) => kids.iter_mut().for_each(|k| split(k, keys)),
        _ => {}
    }
}

/// Clears the [`Leaf::fresh`] flags.
pub(crate) fn settle(node: &mut Node) {
    match node {
        Node::Leaf(l) => l.fresh = false,
        Node::Branch(kids) => kids.iter_mut().for_each(settle),
        Node::Empty(_) => {}
    }
}

/// What lies at a cell of a given size.
enum Found<'a> {
    /// A leaf of that size or larger.
    Leaf(&'a Leaf),
    /// Smaller leaves.
    Smaller,
    /// Nothing with a surface (or outside the tree).
    Missing,
}

/// The node at the cell of size exponent `sz` whose lowest corner is `p`.
fn locate(root: &Node, depth: u32, p: [u32; 3], sz: u32) -> Found<'_> {
    let mut node = root;
    let mut s = depth;
    loop {
        match node {
            Node::Empty(_) => return Found::Missing,
            Node::Leaf(l) => return Found::Leaf(l),
            Node::Branch(kids) => {
                if s <= sz {
                    return Found::Smaller;
                }
                s -= 1;
                let c = (p[0] >> s & 1) | (p[1] >> s & 1) << 1 | (p[2] >> s & 1) << 2;
                node = &kids[c as usize];
            }
        }
    }
}

/// The four cells around an edge, counter-clockwise seen from the edge's
/// positive end: offsets (in cells) across it along `b` and `c`.
const AROUND: [(i64, i64); 4] = [(0, 0), (-1, 0), (-1, -1), (0, -1)];

/// The triangles whose quads `leaf` owns, appended to `out`.
pub(crate) fn leaf_triangles(
    root: &Node,
    depth: u32,
    leaf: &Leaf,
    vertices: &[[f32; 3]],
    normals: &[[f32; 3]],
    out: &mut Vec<[u32; 3]>,
) {
    let n = 1i64 << depth;
    let s = 1i64 << leaf.sz;
    let cfg = &cell::config_of(leaf.mask, leaf.flips);
    'edges: for e in 0..12 {
        let comp = cfg.edge_comp[e];
        if comp == NONE {
            continue;
        }
        let a = e / 4;
        let (b, c) = across(a);
        let (ob, oc) = ((e & 1) as i64, (e >> 1 & 1) as i64);
        let mine = AROUND
            .iter()
            .position(|&d| d == (-ob, -oc))
            .expect("the leaf is one of the four");
        let mut quad = [0u32; 4];
        for (q, &(db, dc)) in AROUND.iter().enumerate() {
            if q == mine {
                quad[q] = leaf.first + u32::from(comp);
                continue;
            }
            let mut p = leaf.pos.map(i64::from);
            p[b] += (ob + db) * s;
            p[c] += (oc + dc) * s;
            if p.iter().any(|&v| v < 0 || v + s > n) {
                continue 'edges;
            }
            match locate(root, depth, p.map(|v| v as u32), leaf.sz) {
                Found::Smaller | Found::Missing => continue 'edges,
                Found::Leaf(m) if m.sz == leaf.sz => {
                    if q < mine {
                        continue 'edges;
                    }
                    let e2 = edge_index(a, (-db) as usize, (-dc) as usize);
                    let k = cell::config_of(m.mask, m.flips).edge_comp[e2];
                    if k == NONE {
                        continue 'edges;
                    }
                    quad[q] = m.first + u32::from(k);
                }
                Found::Leaf(m) => quad[q] = m.first,
            }
        }
        let (c0, _) = edge_corners(e);
        if leaf.mask >> c0 & 1 == 0 {
            quad.reverse();
        }
        polygon(&quad, vertices, normals, out);
    }
}

/// Triangulates the quad `v` (counter-clockwise; a vertex may repeat where
/// a larger cell fills two places), splitting four distinct vertices along
/// the diagonal whose triangles agree best with the vertex normals.
fn polygon(v: &[u32; 4], vertices: &[[f32; 3]], normals: &[[f32; 3]], out: &mut Vec<[u32; 3]>) {
    let mut d: Vec<u32> = Vec::with_capacity(4);
    for k in 0..4 {
        if v[k] != v[(k + 3) % 4] {
            d.push(v[k]);
        }
    }
    match d.len() {
        3 => out.push([d[0], d[1], d[2]]),
        4 => {
            let score = |t: [u32; 3]| facing(t, vertices, normals);
            let a = [[d[0], d[1], d[2]], [d[0], d[2], d[3]]];
            let b = [[d[0], d[1], d[3]], [d[1], d[2], d[3]]];
            let sa = score(a[0]).min(score(a[1]));
            let sb = score(b[0]).min(score(b[1]));
            out.extend_from_slice(if sb > sa { &b } else { &a });
        }
        _ => {}
    }
}

/// How well triangle `t` faces the way its vertex normals do: the cosine
/// between its normal and their sum (-2 for a degenerate triangle).
fn facing(t: [u32; 3], vertices: &[[f32; 3]], normals: &[[f32; 3]]) -> f64 {
    let p = t.map(|i| vertices[i as usize].map(f64::from));
    let u = sub(p[1], p[0]);
    let w = sub(p[2], p[0]);
    let n = cross(u, w);
    let mut m = [0.0; 3];
    for &i in &t {
        for k in 0..3 {
            m[k] += f64::from(normals[i as usize][k]);
        }
    }
    let (ln, lm) = (dot(n, n).sqrt(), dot(m, m).sqrt());
    if ln == 0.0 {
        return -2.0;
    }
    if lm == 0.0 {
        return -1.0;
    }
    dot(n, m) / (ln * lm)
}

pub(crate) fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

pub(crate) fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

pub(crate) fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
