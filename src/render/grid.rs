//! Sampling grids: which points of space a render evaluates.

use nalgebra::{Point2, Point3, Vector2, Vector3};

use crate::error::Error;

/// An axis-aligned rectangle of the xy plane.
///
/// ```
/// use tapir::render::Bounds2;
/// let b = Bounds2::new(-1.0, 1.0, -2.0, 2.0).unwrap();
/// assert_eq!(b.size().x, 2.0);
/// assert!(Bounds2::new(1.0, -1.0, 0.0, 1.0).is_err());
/// ```
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Bounds2 {
    /// Lower-left corner (smallest x and y).
    pub min: Point2<f64>,
    /// Upper-right corner (largest x and y).
    pub max: Point2<f64>,
}

impl Default for Bounds2 {
    /// The square [-1, 1]².
    fn default() -> Self {
        Bounds2 {
            min: Point2::new(-1.0, -1.0),
            max: Point2::new(1.0, 1.0),
        }
    }
}

impl Bounds2 {
    /// The rectangle `[xmin, xmax] × [ymin, ymax]`; finite, non-empty and
    /// within ±1e30 (so pixel coordinates stay finite in f32).
    pub fn new(xmin: f64, xmax: f64, ymin: f64, ymax: f64) -> Result<Self, Error> {
        let all = [xmin, xmax, ymin, ymax];
        if all.iter().any(|v| !v.is_finite() || v.abs() > 1e30) {
            return Err(Error::Limit(format!(
                "bounds {xmin},{xmax},{ymin},{ymax} must be finite numbers within ±1e30"
            )));
        }
        if !(xmin < xmax && ymin < ymax) {
            return Err(Error::Limit(format!(
                "bounds {xmin},{xmax},{ymin},{ymax} are empty: need xmin < xmax and ymin < ymax"
            )));
        }
        Ok(Bounds2 {
            min: Point2::new(xmin, ymin),
            max: Point2::new(xmax, ymax),
        })
    }

    /// Width and height.
    pub fn size(&self) -> Vector2<f64> {
        self.max - self.min
    }
}

/// A grid of `width × height` pixels over [`Bounds2`], or a window of one.
///
/// Pixel `(i, j)` (column `i`, row `j`) is sampled at its centre:
/// `x = xmin + (i + 0.5)·dx`, `y = ymax - (j + 0.5)·dy`, so row 0 is at the
/// top (the +y side), as in an image. Coordinates are computed in f64 and
/// rounded once to f32.
///
/// [`Grid2::crop`] gives a window that samples exactly the same points as
/// the matching pixels of the whole grid (renders split into tiles match a
/// render in one piece).
///
/// ```
/// use tapir::render::{Bounds2, Grid2};
/// let g = Grid2::new(Bounds2::default(), 4, 2);
/// assert_eq!(g.x(0), -0.75);
/// assert_eq!(g.y(0), 0.5);
/// let w = g.crop(2, 1, 2, 1).unwrap();
/// assert_eq!((w.width(), w.height()), (2, 1));
/// assert_eq!(w.x(0), g.x(2));
/// assert_eq!(w.y(0), g.y(1));
/// ```
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Grid2 {
    bounds: Bounds2,
    width: usize,
    height: usize,
    /// Column and row of this window's first pixel in the whole grid.
    origin: (usize, usize),
    /// Columns and rows of the whole grid.
    full: (usize, usize),
}

impl Grid2 {
    /// A grid of `width × height` pixels over `bounds`.
    pub fn new(bounds: Bounds2, width: usize, height: usize) -> Self {
        Grid2 {
            bounds,
            width,
            height,
            origin: (0, 0),
            full: (width, height),
        }
    }

    /// A square grid of `size × size` pixels over [-1, 1]².
    pub fn square(size: usize) -> Self {
        Grid2::new(Bounds2::default(), size, size)
    }

    /// The `w × h` window whose top-left pixel is `(x0, y0)` of this grid;
    /// `None` if it does not fit.
    pub fn crop(&self, x0: usize, y0: usize, w: usize, h: usize) -> Option<Self> {
        if x0.checked_add(w)? > self.width || y0.checked_add(h)? > self.height {
            return None;
        }
        Some(Grid2 {
            width: w,
            height: h,
            origin: (self.origin.0 + x0, self.origin.1 + y0),
            ..*self
        })
    }

    /// The region covered by the whole grid (not just this window).
    pub fn bounds(&self) -> Bounds2 {
        self.bounds
    }

    /// Width and height of one pixel in world units.
    pub fn pixel_size(&self) -> Vector2<f64> {
        let s = self.bounds.size();
        Vector2::new(s.x / self.full.0 as f64, s.y / self.full.1 as f64)
    }

    /// Pixels per row.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Rows.
    pub fn height(&self) -> usize {
        self.height
    }

    /// x of column `i`'s centre.
    pub fn x(&self, i: usize) -> f32 {
        let dx = self.bounds.size().x / self.full.0 as f64;
        (self.bounds.min.x + ((self.origin.0 + i) as f64 + 0.5) * dx) as f32
    }

    /// y of row `j`'s centre.
    pub fn y(&self, j: usize) -> f32 {
        let dy = self.bounds.size().y / self.full.1 as f64;
        (self.bounds.max.y - ((self.origin.1 + j) as f64 + 0.5) * dy) as f32
    }

    /// Number of pixels.
    /// Saturates at `usize::MAX` (such a grid is far over any memory
    /// budget).
    pub fn len(&self) -> usize {
        self.width.saturating_mul(self.height)
    }

    /// True if the grid has no pixels.
    pub fn is_empty(&self) -> bool {
        self.width == 0 || self.height == 0
    }
}

/// An axis-aligned box of space.
///
/// ```
/// use tapir::render::Bounds3;
/// let b = Bounds3::new([-1.0, 1.0], [-2.0, 2.0], [0.0, 1.0]).unwrap();
/// assert_eq!(b.size().y, 4.0);
/// assert!(Bounds3::new([0.0, 0.0], [0.0, 1.0], [0.0, 1.0]).is_err());
/// ```
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Bounds3 {
    /// The corner with the smallest x, y and z.
    pub min: Point3<f64>,
    /// The corner with the largest x, y and z.
    pub max: Point3<f64>,
}

impl Default for Bounds3 {
    /// The cube [-1, 1]³.
    fn default() -> Self {
        Bounds3 {
            min: Point3::new(-1.0, -1.0, -1.0),
            max: Point3::new(1.0, 1.0, 1.0),
        }
    }
}

impl Bounds3 {
    /// The box `x × y × z` (each `[min, max]`); finite, non-empty and within
    /// ±1e30.
    pub fn new(x: [f64; 2], y: [f64; 2], z: [f64; 2]) -> Result<Self, Error> {
        let all = [x, y, z];
        let text = || format!("{},{},{},{},{},{}", x[0], x[1], y[0], y[1], z[0], z[1]);
        if all
            .iter()
            .flatten()
            .any(|v| !v.is_finite() || v.abs() > 1e30)
        {
            return Err(Error::Limit(format!(
                "bounds {} must be finite numbers within ±1e30",
                text()
            )));
        }
        if !all.iter().all(|r| r[0] < r[1]) {
            return Err(Error::Limit(format!(
                "bounds {} are empty: need xmin < xmax, ymin < ymax and zmin < zmax",
                text()
            )));
        }
        Ok(Bounds3 {
            min: Point3::new(x[0], y[0], z[0]),
            max: Point3::new(x[1], y[1], z[1]),
        })
    }

    /// Extent along each axis.
    pub fn size(&self) -> Vector3<f64> {
        self.max - self.min
    }
}

/// A grid of `nx × ny × nz` voxels over [`Bounds3`].
///
/// Voxel `(i, j, k)` is sampled at its centre: `x = xmin + (i + 0.5)·dx`,
/// `y = ymax - (j + 0.5)·dy` (row 0 at the top, the +y side, as in
/// [`Grid2`]), `z = zmin + (k + 0.5)·dz` (index 0 at the low end).
/// Coordinates are computed in f64 and rounded once to f32. Values of a
/// whole grid are stored slice by slice: voxel `(i, j, k)` at
/// [`Grid3::index`]` = (k·ny + j)·nx + i`, so each z-slice is an image in
/// [`Grid2`]'s order.
///
/// ```
/// use tapir::render::{Bounds3, Grid3};
/// let g = Grid3::new(Bounds3::default(), 4, 2, 2);
/// assert_eq!((g.x(0), g.y(0), g.z(0)), (-0.75, 0.5, -0.5));
/// assert_eq!(g.index(1, 1, 1), 13);
/// ```
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Grid3 {
    bounds: Bounds3,
    n: [usize; 3],
}

impl Grid3 {
    /// A grid of `nx × ny × nz` voxels over `bounds`.
    pub fn new(bounds: Bounds3, nx: usize, ny: usize, nz: usize) -> Self {
        Grid3 {
            bounds,
            n: [nx, ny, nz],
        }
    }

    /// A cube of `n³` voxels over [-1, 1]³.
    pub fn cube(n: usize) -> Self {
        Grid3::new(Bounds3::default(), n, n, n)
    }

    /// The region covered.
    pub fn bounds(&self) -> Bounds3 {
        self.bounds
    }

    /// Voxels along x, y and z.
    pub fn dims(&self) -> [usize; 3] {
        self.n
    }

    /// Edge lengths of one voxel.
    pub fn voxel_size(&self) -> Vector3<f64> {
        let s = self.bounds.size();
        Vector3::new(
            s.x / self.n[0] as f64,
            s.y / self.n[1] as f64,
            s.z / self.n[2] as f64,
        )
    }

    /// x of column `i`'s centre.
    pub fn x(&self, i: usize) -> f32 {
        let b = &self.bounds;
        (b.min.x + (i as f64 + 0.5) * self.voxel_size().x) as f32
    }

    /// y of row `j`'s centre (row 0 at the top).
    pub fn y(&self, j: usize) -> f32 {
        let b = &self.bounds;
        (b.max.y - (j as f64 + 0.5) * self.voxel_size().y) as f32
    }

    /// z of slice `k`'s centre (slice 0 at the low end).
    pub fn z(&self, k: usize) -> f32 {
        let b = &self.bounds;
        (b.min.z + (k as f64 + 0.5) * self.voxel_size().z) as f32
    }

    /// The centres along each axis: `[x(0..nx), y(0..ny), z(0..nz)]`.
    pub fn centres(&self) -> [Vec<f32>; 3] {
        [
            (0..self.n[0]).map(|i| self.x(i)).collect(),
            (0..self.n[1]).map(|j| self.y(j)).collect(),
            (0..self.n[2]).map(|k| self.z(k)).collect(),
        ]
    }

    /// Where voxel `(i, j, k)` is stored in a whole grid's values.
    pub fn index(&self, i: usize, j: usize, k: usize) -> usize {
        (k * self.n[1] + j) * self.n[0] + i
    }

    /// Number of voxels; saturates at `usize::MAX` (such a grid is far over
    /// any memory budget).
    pub fn len(&self) -> usize {
        self.n.iter().fold(1usize, |acc, &n| acc.saturating_mul(n))
    }

    /// True if the grid has no voxels.
    pub fn is_empty(&self) -> bool {
        self.n.contains(&0)
    }
}
