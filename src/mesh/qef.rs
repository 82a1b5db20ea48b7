//! Quadratic error functions: where a cell's vertex goes.
//!
//! Each crossing of the surface with a cell edge gives a plane (the
//! crossing point and the unit normal there). The vertex is the point that
//! minimises the sum of squared distances to the planes, solved about the
//! mass point (the mean of the crossings) with a truncated eigen
//! decomposition: directions in which the planes barely constrain the
//! point (eigenvalues below [`TRUNCATE`] × the largest) stay at the mass
//! point, so flat and gently curved patches give a vertex on the surface
//! above their mass point and sharp edges and corners (planes at clear
//! angles) give the point where the planes meet. A solution outside the
//! cell falls back to the mass point, which is always inside.
//!
//! The sums are kept in absolute coordinates in f64, so the QEFs of eight
//! cells add up to the QEF of their parent (how cells merge).

use nalgebra::{Matrix3, SymmetricEigen, Vector3};

/// Eigenvalues below this fraction of the largest are dropped.
pub const TRUNCATE: f64 = 0.05;

/// A sum of squared plane distances `Σ (n·x − n·p)²`, plus the mass point
/// and normal sums.
#[derive(Copy, Clone, Debug, Default)]
pub struct Qef {
    /// `Σ n nᵀ`: xx, xy, xz, yy, yz, zz.
    a: [f64; 6],
    /// `Σ n (n·p)`.
    b: [f64; 3],
    /// `Σ (n·p)²`.
    c: f64,
    /// `Σ p`.
    mass: [f64; 3],
    /// `Σ n` (for the vertex normal).
    normal: [f64; 3],
    /// Number of planes.
    count: u32,
}

impl Qef {
    /// Adds the plane through `p` with unit normal `n`.
    pub fn add(&mut self, p: [f32; 3], n: [f32; 3]) {
        let p = p.map(f64::from);
        let n = n.map(f64::from);
        let d = n[0] * p[0] + n[1] * p[1] + n[2] * p[2];
        let a = [
            n[0] * n[0],
            n[0] * n[1],
            n[0] * n[2],
            n[1] * n[1],
            n[1] * n[2],
            n[2] * n[2],
        ];
        for k in 0..6 {
            self.a[k] += a[k];
        }
        for k in 0..3 {
            self.b[k] += n[k] * d;
            self.mass[k] += p[k];
            self.normal[k] += n[k];
        }
        self.c += d * d;
        self.count += 1;
    }

    /// Adds another QEF's planes.
    pub fn merge(&mut self, o: &Qef) {
        for k in 0..6 {
            self.a[k] += o.a[k];
        }
        for k in 0..3 {
            self.b[k] += o.b[k];
            self.mass[k] += o.mass[k];
            self.normal[k] += o.normal[k];
        }
        self.c += o.c;
        self.count += o.count;
    }

    /// Number of planes.
    pub fn count(&self) -> u32 {
        self.count
    }

    fn matrix(&self) -> Matrix3<f64> {
        let a = &self.a;
        Matrix3::new(a[0], a[1], a[2], a[1], a[3], a[4], a[2], a[4], a[5])
    }

    /// The error at `x`: the sum of squared distances to the planes.
    pub fn error(&self, x: [f64; 3]) -> f64 {
        let x = Vector3::from(x);
        let b = Vector3::from(self.b);
        (x.dot(&(self.matrix() * x)) - 2.0 * b.dot(&x) + self.c).max(0.0)
    }

    /// The mass point (mean of the crossings).
    pub fn mass_point(&self) -> [f64; 3] {
        let n = f64::from(self.count.max(1));
        self.mass.map(|m| m / n)
    }

    /// The minimiser within the box `lo..hi` (see the module docs) and the
    /// root-mean-square plane distance there.
    pub fn solve(&self, lo: [f64; 3], hi: [f64; 3]) -> ([f64; 3], f64) {
        let m = self.mass_point();
        let a = self.matrix();
        let r = Vector3::from(self.b) - a * Vector3::from(m);
        let eig = SymmetricEigen::new(a);
        let largest = eig.eigenvalues.iter().fold(0.0f64, |x, &l| x.max(l.abs()));
        let mut x = Vector3::from(m);
        if largest > 0.0 && largest.is_finite() {
            for i in 0..3 {
                let l = eig.eigenvalues[i];
                if l > TRUNCATE * largest {
                    let u = eig.eigenvectors.column(i);
                    x += u * (u.dot(&r) / l);
                }
            }
        }
        let mut p = [x[0], x[1], x[2]];
        // Outside the cell (or not a number): the mass point, clamped
        // against rounding.
        let slack = |k: usize| (hi[k] - lo[k]) * 1e-6;
        if (0..3).any(|k| !(p[k] >= lo[k] - slack(k) && p[k] <= hi[k] + slack(k))) {
            p = m;
        }
        for k in 0..3 {
            p[k] = p[k].clamp(lo[k], hi[k]);
        }
        let err = (self.error(p) / f64::from(self.count.max(1))).sqrt();
        (p, err)
    }

    /// The unit mean normal, or `None` if the normals cancel out.
    pub fn normal(&self) -> Option<[f32; 3]> {
        let n = self.normal;
        let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
        (len > 1e-12 && len.is_finite()).then(|| n.map(|v| (v / len) as f32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_planes_meet_at_a_corner() {
        let mut q = Qef::default();
        q.add([0.3, 0.1, 0.2], [1.0, 0.0, 0.0]);
        q.add([0.1, 0.25, 0.1], [0.0, 1.0, 0.0]);
        q.add([0.2, 0.1, 0.15], [0.0, 0.0, 1.0]);
        let (p, err) = q.solve([0.0; 3], [1.0; 3]);
        assert!((p[0] - 0.3).abs() < 1e-9 && (p[1] - 0.25).abs() < 1e-9);
        assert!((p[2] - 0.15).abs() < 1e-9 && err < 1e-9);
    }

    #[test]
    fn one_plane_projects_the_mass_point() {
        let mut q = Qef::default();
        q.add([0.1, 0.5, 0.2], [0.0, 1.0, 0.0]);
        q.add([0.3, 0.5, 0.4], [0.0, 1.0, 0.0]);
        let (p, _) = q.solve([0.0; 3], [1.0; 3]);
        assert!((p[0] - 0.2).abs() < 1e-9 && (p[1] - 0.5).abs() < 1e-9);
        assert!((p[2] - 0.3).abs() < 1e-9);
    }

    #[test]
    fn outside_the_cell_falls_back_to_the_mass_point() {
        // Two planes meeting below the cell.
        let mut q = Qef::default();
        let t = 1.2f32;
        q.add([0.2, 0.5, 0.5], [t.sin(), t.cos(), 0.0]);
        q.add([0.8, 0.5, 0.5], [-t.sin(), t.cos(), 0.0]);
        let (p, _) = q.solve([0.0; 3], [1.0; 3]);
        assert!((p[1] - 0.5).abs() < 1e-9, "{p:?}");
    }
}
