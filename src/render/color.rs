//! Turning rendered values into RGBA pixels (shared by the CLI and the web
//! viewer, so both show the same picture).

use std::str::FromStr;

use super::{EvalOptions, Grid2};
use crate::error::Error;
use crate::shape::Shape;

/// How values become pixels.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum ColorMode {
    /// Inside (value < 0) black, outside white.
    #[default]
    Bitmap,
    /// A greyscale distance picture: dark inside, light outside, with
    /// contour lines at regular distances and a white line on the surface.
    Field,
}

impl FromStr for ColorMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "bitmap" => Ok(ColorMode::Bitmap),
            "field" => Ok(ColorMode::Field),
            _ => Err(format!("unknown mode `{s}` (expected bitmap or field)")),
        }
    }
}

/// The grey level of a value in [`ColorMode::Field`].
///
/// `pixel` is the size of a pixel in world units (line widths) and
/// `spacing` the distance between contour lines.
pub fn field_grey(v: f32, pixel: f32, spacing: f32) -> u8 {
    if v.is_nan() {
        return 128;
    }
    if v.abs() < pixel {
        return 255;
    }
    let d = v.abs() / spacing;
    // Shade by distance: outside from 0.62 up to 0.95, inside from 0.38 down to 0.08.
    let t = 1.0 - libm::expf(-0.25 * d);
    let mut g = if v > 0.0 {
        0.62 + 0.33 * t
    } else {
        0.38 - 0.30 * t
    };
    let near_line = (d - d.round()).abs() * spacing < 0.6 * pixel;
    if near_line {
        g += if v > 0.0 { -0.18 } else { 0.18 };
    }
    (g.clamp(0.0, 1.0) * 255.0).round() as u8
}

impl Shape {
    /// Renders `grid` to RGBA bytes (4 per pixel, row by row from the top).
    ///
    /// ```
    /// use tapir::Shape;
    /// use tapir::render::{ColorMode, EvalOptions, Grid2};
    ///
    /// let s = Shape::from_expr("x").unwrap(); // left half inside
    /// let px = s.render_rgba(&Grid2::square(4), &EvalOptions::default(), ColorMode::Bitmap).unwrap();
    /// assert_eq!(&px[0..8], &[0, 0, 0, 255, 0, 0, 0, 255]);
    /// assert_eq!(&px[8..12], &[255, 255, 255, 255]);
    /// ```
    pub fn render_rgba(
        &self,
        grid: &Grid2,
        opts: &EvalOptions,
        mode: ColorMode,
    ) -> Result<Vec<u8>, Error> {
        // The render's own buffers (8 bytes a pixel, plus a mask byte), then
        // a grey byte and four RGBA bytes.
        super::check_budget(grid, 8 + 1 + 1 + 4, opts)?;
        let greys: Vec<u8> = match mode {
            ColorMode::Bitmap => self
                .render_mask(grid, opts)?
                .into_iter()
                .map(|inside| if inside { 0 } else { 255 })
                .collect(),
            ColorMode::Field => {
                let b = grid.bounds();
                let pixel = grid.pixel_size().x as f32;
                let spacing = (b.size().x.max(b.size().y) / 20.0) as f32;
                self.eval_grid(grid, opts)?
                    .into_iter()
                    .map(|v| field_grey(v, pixel, spacing))
                    .collect()
            }
        };
        Ok(greys.into_iter().flat_map(|g| [g, g, g, 255]).collect())
    }
}
