//! Pictures of a 3D render: its [`Geometry`] turned into pixels, shared by
//! the CLI and the viewer.
//!
//! - [`depth_image`]: 16-bit grey levels, 0 where the ray meets nothing,
//!   otherwise `max(1, round(65535 · (w + 1) / 2))` (w the hit's depth in
//!   the view volume, +1 nearest the viewer);
//! - [`normal_image`]: RGB = (n + 1) / 2 of the camera-space normal, black
//!   where there is no hit;
//! - [`shaded_image`]: a few directional lights, a specular highlight and
//!   ambient light, optionally darkened in creases by screen-space ambient
//!   occlusion ([`Shading::ssao`]), over a background gradient that the
//!   shape never takes.
//!
//! All three are deterministic functions of the geometry.

use super::Geometry;

/// How [`shaded_image`] lights a render.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct Shading {
    /// Darken creases and corners with screen-space ambient occlusion.
    pub ssao: bool,
    /// Threads shading rows in parallel; 0 (the default) means one per
    /// core. The picture does not depend on it.
    pub threads: usize,
}

/// Fills `out` row by row (`stride` items a row) with `f(row, items)`, in
/// parallel on `threads` threads when the crate is built with rayon.
fn by_rows<T: Send>(
    out: &mut [T],
    stride: usize,
    threads: usize,
    f: impl Fn(usize, &mut [T]) + Sync,
) {
    if stride == 0 {
        return;
    }
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        let run = || {
            out.par_chunks_mut(stride)
                .enumerate()
                .for_each(|(j, row)| f(j, row))
        };
        if super::with_pool(threads, run).is_ok() {
            return;
        }
    }
    let _ = threads;
    for (j, row) in out.chunks_mut(stride).enumerate() {
        f(j, row);
    }
}

/// The 16-bit depth picture of `g`, row by row from the top.
///
/// ```
/// use tapir::Shape;
/// use tapir::render::{EvalOptions, Frame3d, shade};
///
/// let ball = Shape::from_expr("sqrt(x^2 + y^2 + z^2) - 0.5").unwrap();
/// let g = ball.render3d(&Frame3d::square(32), &EvalOptions::default()).unwrap();
/// let d = shade::depth_image(&g);
/// assert_eq!(d[0], 0); // a corner: no hit
/// assert!((d[16 * 32 + 16] as f64 - 0.75 * 65535.0).abs() < 70.0); // w ≈ 0.5
/// ```
pub fn depth_image(g: &Geometry) -> Vec<u16> {
    g.hits
        .iter()
        .map(|&w| {
            if w.is_nan() {
                0
            } else {
                let t = ((f64::from(w) + 1.0) / 2.0).clamp(0.0, 1.0);
                (65535.0 * t).round().max(1.0) as u16
            }
        })
        .collect()
}

/// The normal picture of `g`: RGB bytes, `(n + 1) / 2` per component,
/// black where there is no hit.
pub fn normal_image(g: &Geometry) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(g.normals.len() * 3);
    for (n, w) in g.normals.iter().zip(&g.hits) {
        if w.is_nan() {
            rgb.extend([0, 0, 0]);
        } else {
            rgb.extend(n.map(|c| to_byte((f64::from(c) + 1.0) / 2.0)));
        }
    }
    rgb
}

/// Directional lights in camera axes (towards the light) and their
/// strengths: a key light from the upper left, a fill from the right, a
/// soft light from above.
const LIGHTS: [([f64; 3], f64); 3] = [
    ([-0.45, 0.6, 0.66], 0.72),
    ([0.8, 0.1, 0.6], 0.28),
    ([0.0, 1.0, 0.1], 0.16),
];

/// Light that reaches everywhere (scaled by ambient occlusion).
const AMBIENT: f64 = 0.2;

/// The shape's colour (linear RGB): a warm light grey.
const ALBEDO: [f64; 3] = [0.82, 0.78, 0.7];

/// The background at the top and at the bottom of the picture (linear
/// RGB): dark blue-greys, darker than any lit part of the shape.
const BACKGROUND: [[f64; 3]; 2] = [[0.05, 0.06, 0.08], [0.012, 0.014, 0.02]];

/// The shaded picture of `g`: RGB bytes, row by row from the top.
///
/// ```
/// use tapir::Shape;
/// use tapir::render::{EvalOptions, Frame3d, shade};
///
/// let ball = Shape::from_expr("sqrt(x^2 + y^2 + z^2) - 0.5").unwrap();
/// let g = ball.render3d(&Frame3d::square(32), &EvalOptions::default()).unwrap();
/// let rgb = shade::shaded_image(&g, &shade::Shading { ssao: true, ..Default::default() });
/// let centre = &rgb[(16 * 32 + 16) * 3..][..3];
/// let corner = &rgb[..3];
/// assert!(centre[0] > 3 * corner[0]); // the lit ball stands out
/// ```
pub fn shaded_image(g: &Geometry, shading: &Shading) -> Vec<u8> {
    let ao = shading.ssao.then(|| ambient_occlusion(g, shading.threads));
    // Each light's direction, strength, and half vector with the viewer on +z
    // (for a Blinn–Phong highlight).
    let lights = LIGHTS.map(|(d, s)| {
        let l = unit(d);
        (l, s, unit([l[0], l[1], l[2] + 1.0]))
    });
    let srgb = srgb_table();
    let encode = |c: f64| srgb[(c.clamp(0.0, 1.0) * SRGB_STEPS as f64).round() as usize];
    let (wd, ht) = (g.width.max(1), g.height.max(1));
    let mut rgb = vec![0u8; g.hits.len() * 3];
    by_rows(&mut rgb, wd * 3, shading.threads, |j, row| {
        let t = (j as f64 + 0.5) / ht as f64;
        let background: [u8; 3] =
            std::array::from_fn(|c| encode(BACKGROUND[0][c] * (1.0 - t) + BACKGROUND[1][c] * t));
        for (i, px) in row.chunks_exact_mut(3).enumerate() {
            let p = j * wd + i;
            if g.hits[p].is_nan() {
                px.copy_from_slice(&background);
                continue;
            }
            let n = g.normals[p].map(f64::from);
            let occlusion = ao.as_ref().map_or(1.0, |a| f64::from(a[p]));
            let mut diffuse = AMBIENT * occlusion;
            let mut specular = 0.0;
            for (l, s, h) in &lights {
                diffuse += s * dot(n, *l).max(0.0) * (0.35 + 0.65 * occlusion);
                let c = dot(n, *h).max(0.0);
                // c⁴⁰ by squaring.
                let c8 = (c * c) * (c * c);
                let c8 = c8 * c8;
                let c32 = (c8 * c8) * (c8 * c8);
                specular += 0.18 * s * (c32 * c8) * occlusion;
            }
            for (o, a) in px.iter_mut().zip(ALBEDO) {
                *o = encode(a * diffuse + specular);
            }
        }
    });
    rgb
}

/// Screen-space ambient occlusion, in [0, 1] per pixel (1: open), blurred.
///
/// For each hit, a fixed spiral of neighbours within a radius of about 2%
/// of the picture is compared: a neighbour nearer the viewer than the
/// pixel's tangent plane predicts occludes it, in proportion to how steeply
/// it rises, and less the farther in front it is (so that a foreground
/// object does not darken the background behind it).
fn ambient_occlusion(g: &Geometry, threads: usize) -> Vec<f32> {
    let (wd, ht) = (g.width, g.height);
    let side = wd.min(ht).max(1) as f64;
    // Image space spans 2 units across the shorter side.
    let pixel = 2.0 / side;
    let radius = (side * 0.02).max(3.0);
    const SAMPLES: usize = 16;
    let offsets: Vec<(isize, isize, f64)> = (0..SAMPLES)
        .map(|s| {
            let t = (s as f64 + 0.5) / SAMPLES as f64;
            let a = s as f64 * 2.399_963; // the golden angle
            let r = radius * t.sqrt();
            let (dx, dy) = ((r * a.cos()).round(), (r * a.sin()).round());
            (
                dx as isize,
                dy as isize,
                (dx * dx + dy * dy).sqrt().max(1.0),
            )
        })
        .collect();
    let mut raw = vec![1.0f32; g.hits.len()];
    by_rows(&mut raw, wd, threads, |j, row| {
        for (i, out) in row.iter_mut().enumerate() {
            let p = j * wd + i;
            let w = g.hits[p];
            if w.is_nan() {
                continue;
            }
            let n = g.normals[p].map(f64::from);
            let mut occ = 0.0;
            for &(dx, dy, dist) in &offsets {
                let (x, y) = (i as isize + dx, j as isize + dy);
                if x < 0 || y < 0 || x >= wd as isize || y >= ht as isize {
                    continue;
                }
                let q = g.hits[y as usize * wd + x as usize];
                if q.is_nan() {
                    continue;
                }
                // Height of the neighbour above the tangent plane, relative
                // to its distance across the picture (image-space units;
                // rows grow downwards, v upwards).
                let (du, dv) = (dx as f64 * pixel, -(dy as f64) * pixel);
                let plane = if n[2] > 1e-3 {
                    -(n[0] * du + n[1] * dv) / n[2]
                } else {
                    0.0
                };
                let rise = f64::from(q - w) - plane;
                let span = dist * pixel;
                if rise > 0.02 * span {
                    let steep = (rise / span).min(1.0);
                    let falloff = 1.0 / (1.0 + (rise / (4.0 * radius * pixel)).powi(2));
                    occ += steep * falloff;
                }
            }
            *out = (1.0 - 0.9 * occ / SAMPLES as f64).clamp(0.0, 1.0) as f32;
        }
    });
    blur_hits(g, &raw, threads)
}

/// A 5 × 5 box blur of `v` over hit pixels only (background pixels neither
/// contribute nor change).
fn blur_hits(g: &Geometry, v: &[f32], threads: usize) -> Vec<f32> {
    let (wd, ht) = (g.width, g.height);
    let mut out = v.to_vec();
    by_rows(&mut out, wd, threads, |j, row| {
        for (i, o) in row.iter_mut().enumerate() {
            if g.hits[j * wd + i].is_nan() {
                continue;
            }
            let (mut sum, mut count) = (0.0f32, 0.0f32);
            for y in j.saturating_sub(2)..(j + 3).min(ht) {
                for x in i.saturating_sub(2)..(i + 3).min(wd) {
                    let q = y * wd + x;
                    if !g.hits[q].is_nan() {
                        sum += v[q];
                        count += 1.0;
                    }
                }
            }
            *o = sum / count;
        }
    });
    out
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn unit(v: [f64; 3]) -> [f64; 3] {
    let l = dot(v, v).sqrt();
    v.map(|c| c / l)
}

/// Entries of the linear → sRGB byte table, less one: fine enough that
/// neighbouring entries never differ by more than one level.
const SRGB_STEPS: usize = 4095;

/// The sRGB byte of each linear intensity `i / SRGB_STEPS`, made once.
fn srgb_table() -> &'static [u8] {
    static TABLE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (0..=SRGB_STEPS)
            .map(|i| to_byte(linear_to_srgb(i as f64 / SRGB_STEPS as f64)))
            .collect()
    })
}

/// The sRGB encoding of a linear intensity.
fn linear_to_srgb(c: f64) -> f64 {
    let c = c.clamp(0.0, 1.0);
    if c <= 0.003_130_8 {
        12.92 * c
    } else {
        1.055 * c.powf(1.0 / 2.4) - 0.055
    }
}

/// [0, 1] to a byte, rounding.
fn to_byte(c: f64) -> u8 {
    (c.clamp(0.0, 1.0) * 255.0).round() as u8
}
