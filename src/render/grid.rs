//! Sampling grids: which points of space a render evaluates.

use nalgebra::{Point2, Vector2};

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
