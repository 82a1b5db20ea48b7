//! Agreement checks: do the two libraries see the same shape?
//!
//! Depths are compared in *voxels* (depth samples), counted from the far
//! face of the view volume: sample `k` (0 farthest from the viewer) spans
//! `[k, k + 1]` and has its centre at `k + 0.5`. tapir's hit depth `w` is
//! refined along the ray between the first inside sample `k` and the
//! outside sample above it, so it lands in `[k + 0.5, k + 1.5]`
//! ([`tapir::render::Geometry::in_samples`]). Fidget reports the whole
//! number `k + 1`, the near face of that voxel (the middle of tapir's
//! bracket). Where both find the same first inside sample the difference
//! is therefore at most half a voxel, about a quarter on average.

use std::fmt::Write as _;

use tapir::render::Geometry;

/// A 3D frame in common units: per pixel (row by row from the top), the
/// depth of the hit in voxels from the far face (NaN: no hit), the unit
/// normal in camera axes (x right, y up, z towards the viewer; zero when
/// unknown), and whether the pixel is full up to the near face.
pub struct Surface {
    pub size: usize,
    pub depth: Vec<f64>,
    pub normals: Vec<[f64; 3]>,
    pub saturated: Vec<bool>,
}

impl Surface {
    /// An `n × n` frame with no hits.
    pub fn new(n: usize) -> Surface {
        Surface {
            size: n,
            depth: vec![f64::NAN; n * n],
            normals: vec![[0.0; 3]; n * n],
            saturated: vec![false; n * n],
        }
    }

    /// tapir's geometry in these units.
    pub fn of_tapir(g: &Geometry) -> Surface {
        let mut s = Surface::new(g.width);
        for (p, &w) in g.hits.iter().enumerate() {
            if w.is_nan() {
                continue;
            }
            s.depth[p] = g.in_samples(w);
            // A hit in the nearest sample: full up to the near face.
            s.saturated[p] = s.depth[p] > g.depth as f64 - 0.5;
            s.normals[p] = g.normals[p].map(f64::from);
        }
        s
    }

    /// Pixels with a hit.
    pub fn hits(&self) -> usize {
        self.depth.iter().filter(|d| !d.is_nan()).count()
    }
}

/// How two 3D frames of the same size compare.
pub struct Comparison {
    /// Pixels hit in one frame and not in the other.
    pub coverage_mismatch: usize,
    /// Pixels hit in both.
    pub both: usize,
    /// Mean and largest |depth difference| in voxels over pixels hit in both.
    pub mean_depth: f64,
    pub max_depth: f64,
    /// Share of the pixels hit in both whose first inside sample is the
    /// same (|difference| ≤ 0.5 voxel).
    pub same_voxel: f64,
    /// Mean angle between the normals, in degrees, over pixels hit in both
    /// with known normals and not full up to the near face (`angles` of
    /// them).
    pub mean_angle: f64,
    pub angles: usize,
}

/// Compares `a` (tapir, refined depths) with `b` (Fidget, whole voxels).
pub fn compare(a: &Surface, b: &Surface) -> Comparison {
    assert_eq!(a.size, b.size);
    let (mut mismatch, mut both, mut same) = (0, 0, 0);
    let (mut sum, mut max) = (0.0, 0.0f64);
    let (mut angles, mut angle_sum) = (0usize, 0.0);
    for p in 0..a.depth.len() {
        let (da, db) = (a.depth[p], b.depth[p]);
        match (da.is_nan(), db.is_nan()) {
            (true, true) => continue,
            (false, false) => {}
            _ => {
                mismatch += 1;
                continue;
            }
        }
        both += 1;
        let d = (da - db).abs();
        sum += d;
        max = max.max(d);
        if d <= 0.5 {
            same += 1;
        }
        let (na, nb) = (a.normals[p], b.normals[p]);
        if !(a.saturated[p] || b.saturated[p]) && na != [0.0; 3] && nb != [0.0; 3] {
            let dot = na[0] * nb[0] + na[1] * nb[1] + na[2] * nb[2];
            angle_sum += dot.clamp(-1.0, 1.0).acos().to_degrees();
            angles += 1;
        }
    }
    let per = |x: f64, n: usize| if n == 0 { 0.0 } else { x / n as f64 };
    Comparison {
        coverage_mismatch: mismatch,
        both,
        mean_depth: per(sum, both),
        max_depth: max,
        same_voxel: per(same as f64, both),
        mean_angle: per(angle_sum, angles),
        angles,
    }
}

/// Pixels that differ between two masks.
pub fn mask_mismatch(a: &[bool], b: &[bool]) -> usize {
    a.iter().zip(b).filter(|(x, y)| x != y).count()
}

/// The lines on a 3D frame: the hit fractions, and how tapir compares with
/// each Fidget evaluator (`vm`, `jit` when they ran).
pub fn report3d(n: usize, tapir: &Surface, vm: Option<&Surface>, jit: Option<&Surface>) -> String {
    let px = (n * n) as f64;
    let pct = |s: &Surface| format!("{:.3}%", 100.0 * s.hits() as f64 / px);
    let mut out = format!("- 3D {n}³: pixels hit: tapir {}", pct(tapir));
    for (name, s) in [("VM", vm), ("JIT", jit)] {
        if let Some(s) = s {
            let _ = write!(out, ", Fidget {name} {}", pct(s));
        }
    }
    for (name, s) in [("JIT", jit), ("VM", vm)] {
        let Some(s) = s else { continue };
        let c = compare(tapir, s);
        let angle = if c.angles == 0 {
            "no pixels to compare normals on (all full up to the near face)".to_string()
        } else {
            format!(
                "normals {:.2}° apart on average over {} pixels",
                c.mean_angle, c.angles
            )
        };
        let _ = write!(
            out,
            "\n  - tapir vs Fidget {name}: {} pixels hit by one only; over the {} hit by both, \
             |depth difference| mean {:.3} voxel, max {:.3}, same first inside voxel {:.2}%; {angle}",
            c.coverage_mismatch,
            c.both,
            c.mean_depth,
            c.max_depth,
            100.0 * c.same_voxel,
        );
    }
    if let (Some(v), Some(j)) = (vm, jit) {
        let differ = v
            .depth
            .iter()
            .zip(&j.depth)
            .filter(|(a, b)| !(a == b || a.is_nan() && b.is_nan()))
            .count();
        let _ = write!(
            out,
            "\n  - Fidget VM vs JIT: {differ} pixels of different depth"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_voxel_apart_is_the_same_voxel() {
        let mut a = Surface::new(2);
        let mut b = Surface::new(2);
        a.depth[0] = 10.7;
        b.depth[0] = 11.0;
        a.depth[1] = 3.0; // tapir only
        a.normals[0] = [0.0, 0.0, 1.0];
        b.normals[0] = [0.0, 1.0, 0.0];
        let c = compare(&a, &b);
        assert_eq!((c.coverage_mismatch, c.both), (1, 1));
        assert!((c.mean_depth - 0.3).abs() < 1e-12);
        assert_eq!(c.same_voxel, 1.0);
        assert!((c.mean_angle - 90.0).abs() < 1e-9);
    }
}

/// What a mesh's edges say about it: closed and manifold means every edge
/// is used by exactly two triangles, once in each direction.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct MeshCounts {
    /// Triangles.
    pub triangles: usize,
    /// Edges used by one triangle only (holes).
    pub boundary: usize,
    /// Edges used by more than two triangles.
    pub non_manifold: usize,
    /// Edges used twice in the same direction (flipped neighbours).
    pub misoriented: usize,
}

impl MeshCounts {
    /// Counts the edges of `triangles` (vertex indices).
    pub fn of(triangles: impl Iterator<Item = [usize; 3]>) -> Self {
        let mut edges: std::collections::HashMap<(usize, usize), (u32, u32)> =
            std::collections::HashMap::new();
        let mut n = 0;
        for t in triangles {
            n += 1;
            for k in 0..3 {
                let (a, b) = (t[k], t[(k + 1) % 3]);
                let e = edges.entry((a.min(b), a.max(b))).or_default();
                if a < b { e.0 += 1 } else { e.1 += 1 }
            }
        }
        let mut c = MeshCounts { triangles: n, ..MeshCounts::default() };
        for &(fwd, back) in edges.values() {
            match fwd + back {
                1 => c.boundary += 1,
                2 if fwd != 1 => c.misoriented += 1,
                2 => {}
                _ => c.non_manifold += 1,
            }
        }
        c
    }
}

impl std::fmt::Display for MeshCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} triangles ({} boundary, {} non-manifold, {} misoriented edges)",
            self.triangles, self.boundary, self.non_manifold, self.misoriented
        )
    }
}
