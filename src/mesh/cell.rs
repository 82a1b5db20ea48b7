//! The fixed geometry of one octree cell: its corners, edges and faces, and
//! the table that splits a cell's surface patch into connected components.
//!
//! Corner `c` (0..8) sits at offset `(c & 1, c >> 1 & 1, c >> 2 & 1)` from
//! the cell's lowest corner; its bit in a corner mask is set when the shape
//! is inside there (value below zero). Edge `4·a + ob + 2·oc` runs along
//! axis `a` at offsets `ob`, `oc` along the two other axes
//! `b = (a + 1) % 3`, `c = (a + 2) % 3` (so `b × c = a`).
//!
//! The components of a cell's patch come from its faces: on each face the
//! crossings pair up into segments (two crossings: one segment; four, an
//! ambiguous face: each inside corner is cut off by its own segment, so the
//! inside corners stay apart). The rule reads only the face's four corner
//! signs, so the two cells sharing a face always pair its crossings alike,
//! and every crossing lies on exactly two segments: the segments close into
//! loops, one per component. Giving each loop its own vertex is what keeps
//! the dual mesh manifold.

use std::sync::OnceLock;

/// No component: the edge does not cross the surface.
pub const NONE: u8 = 0xff;

/// The axes across an edge along `a`: `(b, c)` with `b × c = a`.
pub const fn across(a: usize) -> (usize, usize) {
    ((a + 1) % 3, (a + 2) % 3)
}

/// The two corners of edge `e`, the lower one first.
pub const fn edge_corners(e: usize) -> (usize, usize) {
    let a = e / 4;
    let (b, c) = across(a);
    let (ob, oc) = (e & 1, (e >> 1) & 1);
    let lo = (ob << b) | (oc << c);
    (lo, lo | (1 << a))
}

/// The edge along `a` at offsets `ob`, `oc` across it.
pub const fn edge_index(a: usize, ob: usize, oc: usize) -> usize {
    4 * a + ob + 2 * oc
}

/// How the surface crosses a cell with a given corner mask.
#[derive(Copy, Clone, Debug)]
pub struct Config {
    /// Number of connected components of the patch (0 to 4).
    pub comps: u8,
    /// For each edge, the component it belongs to, or [`NONE`].
    pub edge_comp: [u8; 12],
}

/// The configuration of every corner mask, with the default pairing on
/// every face.
pub fn table() -> &'static [Config; 256] {
    static TABLE: OnceLock<[Config; 256]> = OnceLock::new();
    TABLE.get_or_init(|| std::array::from_fn(|m| config_with(m as u8, 0)))
}

/// The configuration of corner mask `mask` with the faces in `flips`
/// (bit `2a + side`) paired the other way: on those ambiguous faces the
/// *outside* corners are cut off, so the inside corners connect across.
pub fn config_of(mask: u8, flips: u8) -> Config {
    if flips == 0 {
        table()[usize::from(mask)]
    } else {
        config_with(mask, flips)
    }
}

/// The corners of face `f = 2a + side` in order around it.
pub fn face_corners(f: usize) -> [usize; 4] {
    let (a, side) = (f / 2, f % 2);
    let (b, c) = across(a);
    let base = side << a;
    [
        base,
        base | (1 << b),
        base | (1 << b) | (1 << c),
        base | (1 << c),
    ]
}

/// The edges of face `f`, edge `k` from corner `k` to corner `k + 1` of
/// [`face_corners`].
pub fn face_edges(f: usize) -> [usize; 4] {
    let corners = face_corners(f);
    std::array::from_fn(|k| {
        let (p, q) = (corners[k], corners[(k + 1) % 4]);
        let ax = (p ^ q).trailing_zeros() as usize;
        let lo = p & q;
        let (eb, ec) = across(ax);
        edge_index(ax, lo >> eb & 1, lo >> ec & 1)
    })
}

/// The faces (bit `2a + side`) of a cell with corner mask `mask` that the
/// surface crosses four times (ambiguous faces).
pub fn ambiguous_faces(mask: u8) -> u8 {
    let mut out = 0;
    for f in 0..6 {
        let c = face_corners(f).map(|c| mask >> c & 1);
        if c[0] == c[2] && c[1] == c[3] && c[0] != c[1] {
            out |= 1 << f;
        }
    }
    out
}

fn config_with(mask: u8, flips: u8) -> Config {
    let inside = |c: usize| mask >> c & 1 == 1;
    let crosses = |e: usize| {
        let (c0, c1) = edge_corners(e);
        inside(c0) != inside(c1)
    };
    let mut parent: [usize; 12] = std::array::from_fn(|e| e);
    fn find(p: &mut [usize; 12], mut e: usize) -> usize {
        while p[e] != e {
            p[e] = p[p[e]];
            e = p[e];
        }
        e
    }
    let union = |p: &mut [usize; 12], a: usize, b: usize| {
        let (ra, rb) = (find(p, a), find(p, b));
        if ra != rb {
            p[ra.max(rb)] = ra.min(rb);
        }
    };
    for f in 0..6 {
        let corners = face_corners(f);
        let edges = face_edges(f);
        let crossing: Vec<usize> = edges.iter().copied().filter(|&e| crosses(e)).collect();
        match crossing.len() {
            2 => union(&mut parent, crossing[0], crossing[1]),
            4 => {
                // Ambiguous: cut off each inside corner on its own (or each
                // outside corner, on a flipped face).
                let cut = flips >> f & 1 == 0;
                for k in 0..4 {
                    if inside(corners[k]) == cut {
                        union(&mut parent, edges[(k + 3) % 4], edges[k]);
                    }
                }
            }
            _ => {}
        }
    }
    let mut edge_comp = [NONE; 12];
    let mut label = [NONE; 12];
    let mut comps = 0u8;
    for e in 0..12 {
        if crosses(e) {
            let r = find(&mut parent, e);
            if label[r] == NONE {
                label[r] = comps;
                comps += 1;
            }
            edge_comp[e] = label[r];
        }
    }
    Config { comps, edge_comp }
}

/// Whether the ambiguous face `f` of a cell with mask `mine`, shared with
/// the neighbour across it (mask `theirs`), must be flipped: with the
/// default pairing, both cells would join the face's two segments into one
/// component, and the two vertices could not make a manifold around the
/// face (a handle thinner than a cell). Flipping splits both components.
/// Symmetric: the neighbour reaches the same answer for the same face.
pub fn must_flip(mine: u8, theirs: u8, f: usize) -> bool {
    let joined = |mask: u8, f: usize| {
        let cfg = &table()[usize::from(mask)];
        let e = face_edges(f).map(|e| cfg.edge_comp[e]);
        e[0] != NONE && e.iter().all(|&k| k == e[0])
    };
    joined(mine, f) && joined(theirs, f ^ 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_and_corners_agree() {
        for e in 0..12 {
            let (c0, c1) = edge_corners(e);
            assert_eq!(c1 - c0, 1 << (e / 4));
        }
    }

    #[test]
    fn components_of_simple_masks() {
        let t = table();
        assert_eq!(t[0].comps, 0);
        assert_eq!(t[255].comps, 0);
        // One corner in: one triangle.
        assert_eq!(t[1].comps, 1);
        // Two opposite corners in (0 and 7): two separate pieces.
        assert_eq!(t[0b1000_0001].comps, 2);
        // Two diagonal corners of one face in (0 and 3): the inside
        // corners are cut off apart.
        assert_eq!(t[0b0000_1001].comps, 2);
        // Their complement: one piece (the outside corners connected
        // through the inside).
        assert_eq!(t[!0b0000_1001u8 as usize].comps, 1);
        // Four corners of the x = 0 face in: a flat cut, one piece.
        assert_eq!(t[0b0101_0101].comps, 1);
        // Every crossing edge has a component, and only those.
        for (m, cfg) in t.iter().enumerate() {
            for e in 0..12 {
                let (c0, c1) = edge_corners(e);
                let crosses = (m >> c0 & 1) != (m >> c1 & 1);
                assert_eq!(cfg.edge_comp[e] != NONE, crosses);
            }
            assert!(cfg.comps <= 4);
        }
    }
}
