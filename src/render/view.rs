//! Views: where a 3D render looks from.
//!
//! A [`View`] maps *image space* to model space with one 4 × 4 matrix
//! ([`View::matrix`]). Image space is where a 3D render samples: `u` to the
//! right and `v` up across the picture (the shorter side spans [-1, 1], so
//! pixels stay square), and `w` in [-1, 1] along the view direction, +1
//! nearest the viewer. The matrix is a perspective divide (optional), then
//! the scale, the rotation and the move to the centre:
//!
//! ```text
//! model = centre + scale · R(yaw, pitch, roll) · (u, v, w) / (1 + s·w)
//! ```
//!
//! with `s` the perspective strength (0, the default, is orthographic). The
//! view is applied as a transform of the shape's inputs
//! ([`View::apply`]), so the point, interval, slice and gradient evaluators
//! all see image-space coordinates and need no change; interval bounds stay
//! sound (the divisor `1 + s·w` is positive on [-1, 1] for `s < 1`).
//!
//! The default view looks at the cube [-1, 1]³ from the +z side, down −z,
//! with x to the right and y up: image space is model space.

use nalgebra::{Matrix4, Rotation3, Vector3};

use super::grid::{Bounds3, Grid3};
use crate::error::Error;
use crate::shape::Shape;

/// The largest perspective strength: the eye sits at `1/s` in front of the
/// centre, so `s` near 1 puts it on the near face of the view volume.
pub const MAX_PERSPECTIVE: f64 = 0.9;

/// A camera for 3D renders: what is looked at, from where, how wide.
///
/// ```
/// use tapir::render::View;
///
/// let front = View::default();
/// // The image centre, nearest the viewer, is the model point (0, 0, 1).
/// assert_eq!(front.to_model([0.0, 0.0, 1.0]), [0.0, 0.0, 1.0]);
///
/// // Turned a quarter round: the viewer is now on the +x side.
/// let side = View { yaw: 90.0, ..View::default() };
/// let p = side.to_model([0.0, 0.0, 1.0]);
/// assert!((p[0] - 1.0).abs() < 1e-12 && p[2].abs() < 1e-12);
/// ```
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct View {
    /// The model point at the centre of the image (and of the view volume).
    pub center: Vector3<f64>,
    /// Half the size of the region shown, in model units: the view volume
    /// is `center ± scale` (the default, 1, shows [-1, 1]³). Smaller is
    /// closer.
    pub scale: f64,
    /// Degrees the camera turns about the vertical (y) axis; positive moves
    /// it towards +x.
    pub yaw: f64,
    /// Degrees the camera rises above the horizontal; positive looks down.
    pub pitch: f64,
    /// Degrees the camera turns about the view direction; positive turns it
    /// counter-clockwise, so the scene appears turned clockwise.
    pub roll: f64,
    /// Perspective strength `s` in `[0, MAX_PERSPECTIVE]`: 0 is
    /// orthographic; otherwise the eye is at distance `scale / s` from the
    /// centre and near things look larger.
    pub perspective: f64,
}

impl Default for View {
    /// Orthographic, the region [-1, 1]³, seen from +z.
    fn default() -> Self {
        View {
            center: Vector3::zeros(),
            scale: 1.0,
            yaw: 0.0,
            pitch: 0.0,
            roll: 0.0,
            perspective: 0.0,
        }
    }
}

impl View {
    /// Checks the fields, with a message naming the bad value.
    pub fn validate(&self) -> Result<(), Error> {
        let finite = self.center.iter().all(|c| c.is_finite() && c.abs() <= 1e30)
            && [self.yaw, self.pitch, self.roll]
                .iter()
                .all(|a| a.is_finite() && a.abs() <= 1e6);
        if !finite {
            return Err(Error::Limit(format!(
                "view centre {:?} and angles {}, {}, {} must be finite (centre within ±1e30, \
                 angles within ±1e6 degrees)",
                self.center.as_slice(),
                self.yaw,
                self.pitch,
                self.roll
            )));
        }
        if !(self.scale.is_finite() && self.scale > 1e-30 && self.scale <= 1e30) {
            return Err(Error::Limit(format!(
                "view scale {} must be a positive number (at most 1e30)",
                self.scale
            )));
        }
        if !(0.0..=MAX_PERSPECTIVE).contains(&self.perspective) {
            return Err(Error::Limit(format!(
                "perspective {} must be between 0 (orthographic) and {MAX_PERSPECTIVE}",
                self.perspective
            )));
        }
        Ok(())
    }

    /// The rotation from image axes to model axes.
    pub fn rotation(&self) -> Rotation3<f64> {
        let r = f64::to_radians;
        Rotation3::from_axis_angle(&Vector3::y_axis(), r(self.yaw))
            * Rotation3::from_axis_angle(&Vector3::x_axis(), -r(self.pitch))
            * Rotation3::from_axis_angle(&Vector3::z_axis(), r(self.roll))
    }

    /// The half-extents of image space for a `width × height` picture:
    /// the shorter side spans [-1, 1] (square pixels).
    pub fn image_extent(width: usize, height: usize) -> [f64; 2] {
        let short = width.min(height).max(1) as f64;
        [width.max(1) as f64 / short, height.max(1) as f64 / short]
    }

    /// The image-space grid of a `width × height` render with `depth`
    /// samples along each ray: voxel `(i, j, k)` is pixel `(i, j)` at depth
    /// sample `k` (0 farthest from the viewer).
    pub fn image_grid(width: usize, height: usize, depth: usize) -> Grid3 {
        let [eu, ev] = View::image_extent(width, height);
        let bounds = Bounds3::new([-eu, eu], [-ev, ev], [-1.0, 1.0])
            .expect("image extents are finite and positive");
        Grid3::new(bounds, width, height, depth)
    }

    /// The homogeneous matrix from image space to model space (see the
    /// module documentation). The picture's size does not enter it.
    pub fn matrix(&self) -> Matrix4<f64> {
        let mut persp = Matrix4::identity();
        persp[(3, 2)] = self.perspective;
        Matrix4::new_translation(&self.center)
            * self.rotation().to_homogeneous()
            * Matrix4::new_scaling(self.scale)
            * persp
    }

    /// The model point seen at image coordinates `(u, v, w)`.
    pub fn to_model(&self, [u, v, w]: [f64; 3]) -> [f64; 3] {
        let h = self.matrix() * nalgebra::Vector4::new(u, v, w, 1.0);
        [h.x / h.w, h.y / h.w, h.z / h.w]
    }

    /// `shape` as seen through this view: a shape of image-space
    /// coordinates whose value at `(u, v, w)` is `shape`'s at
    /// [`View::to_model`]`(u, v, w)`.
    pub fn apply(&self, shape: &Shape) -> Shape {
        if *self == View::default() {
            return shape.clone();
        }
        shape.substitute(&self.matrix())
    }

    /// The unit normal in camera axes (u right, v up, w towards the viewer)
    /// of the surface at image point `(u, v, w)`, from the gradient
    /// `(gu, gv, gw)` of the image-space field there. Orthographic views
    /// need no correction; with perspective the divide's Jacobian is undone.
    /// `None` when the gradient gives no direction (zero, infinite or NaN).
    pub fn normal(&self, [u, v, w]: [f32; 3], [gu, gv, gw]: [f32; 3]) -> Option<[f32; 3]> {
        let s = self.perspective as f32;
        let n = if s == 0.0 {
            [gu, gv, gw]
        } else {
            let d = 1.0 + s * w;
            [gu, gv, d * gw + s * (u * gu + v * gv)]
        };
        normalize(n)
    }
}

/// `v / |v|`, or `None` when that is not a finite unit vector.
pub(crate) fn normalize(v: [f32; 3]) -> Option<[f32; 3]> {
    // In f64, so that tiny and huge gradients normalise without underflow
    // or overflow.
    let [x, y, z] = v.map(f64::from);
    let len = (x * x + y * y + z * z).sqrt();
    if !(len.is_finite() && len > 0.0) {
        return None;
    }
    Some([(x / len) as f32, (y / len) as f32, (z / len) as f32])
}
