//! tapir in the browser: the bindings the web viewer's workers call.
//!
//! JavaScript compiles a shape's source text once with [`compile`] (or
//! [`compile_as`]) and gets a [`Compiled`] handle, sets its parameters
//! ([`Compiled::set_params`]: tape inputs, so no recompilation), then asks it
//! for tiles of a 2D view with [`Compiled::render_tile`] or for bands of rows
//! of a 3D view with [`Compiled::render_band`]; [`shade`] turns the stacked
//! bands into the picture. Nothing here traps on user input: a bad source
//! gives a handle whose `ok` is false and whose `error_*` getters say where
//! and what; a bad render request (or one over [`MEMORY_BUDGET`]) gives a
//! result whose `error` is set.
//!
//! Rendering runs on the calling thread (the wasm build has no threads); the
//! page gets its parallelism from a pool of Web Workers, each with its own
//! instance of this module, each rendering whole tiles or bands. A tile is a
//! window of the full view's grid ([`Grid2::crop`]) and a band is rows of the
//! full 3D frame ([`Shape::render3d_rows`]), so pieces rendered apart match a
//! render in one piece bit for bit. Shading (whose ambient occlusion reaches
//! across rows) runs once, on the assembled geometry, so the picture is the
//! native `tapir render3d`'s.

use std::str::FromStr;

use tapir::ops::{BinaryOp, UnaryOp};
use tapir::render::color::field_grey;
use tapir::render::shade::{self, Shading};
use tapir::render::{Bounds2, ColorMode, EvalOptions, Frame3d, Geometry, Grid2, View};
use tapir::{Dispatch, Shape, SourceError};
use wasm_bindgen::prelude::*;

/// The largest image edge (in pixels) a render may ask for.
pub const MAX_EDGE: u32 = 16384;

/// Bytes of buffers one view may need, in a worker or on the page (a wasm32
/// instance has at most 4 GiB, and browsers often give less): renders
/// asking for more are refused with a message.
pub const MEMORY_BUDGET: usize = 512 << 20;

/// Bytes per pixel a 3D view needs on the page: the stacked depths and
/// normals (16), their copy into the module (16), ambient occlusion (8), the
/// picture (3) and the canvas's RGBA (4).
const BYTES_PER_PIXEL_3D: usize = 47;

/// Bytes per pixel a 2D view needs on the page: the RGBA frame, the canvas
/// and its preview snapshot.
const BYTES_PER_PIXEL_2D: usize = 12;

/// Refuses a view over [`MEMORY_BUDGET`], naming its size.
fn check_view(what: &str, pixels: u64, per_pixel: usize) -> Result<(), String> {
    let need = pixels.saturating_mul(per_pixel as u64);
    if need > MEMORY_BUDGET as u64 {
        return Err(format!(
            "a {what} view needs about {} MiB of memory, over the viewer's budget of {} MiB; \
             choose a smaller size",
            need >> 20,
            MEMORY_BUDGET >> 20
        ));
    }
    Ok(())
}

/// Checks that a `width × height` 2D view fits the memory budget (and the
/// size limits): the error's message, or an empty string.
#[wasm_bindgen]
pub fn check_view2d(width: u32, height: u32) -> String {
    check_size(width, height)
        .and_then(|()| {
            check_view(
                &format!("{width}×{height} 2D"),
                u64::from(width) * u64::from(height),
                BYTES_PER_PIXEL_2D,
            )
        })
        .err()
        .unwrap_or_default()
}

/// Checks that a `width × height` 3D view with `depth` samples per ray fits
/// the memory budget (and the size limits): the error's message, or an
/// empty string.
#[wasm_bindgen]
pub fn check_view3d(width: u32, height: u32, depth: u32) -> String {
    check_size(width, height)
        .and_then(|()| check_size(depth, 1))
        .and_then(|()| {
            check_view(
                &format!("{width}×{height}×{depth} 3D"),
                u64::from(width) * u64::from(height),
                BYTES_PER_PIXEL_3D,
            )
        })
        .err()
        .unwrap_or_default()
}

fn check_size(width: u32, height: u32) -> Result<(), String> {
    if width == 0 || height == 0 || width > MAX_EDGE || height > MAX_EDGE {
        return Err(format!(
            "image size {width}×{height} must be between 1 and {MAX_EDGE} on each side"
        ));
    }
    Ok(())
}

/// Evaluation options for one render on this thread.
fn options(dispatch: Dispatch, params: &[(String, f32)]) -> EvalOptions {
    EvalOptions {
        threads: 1,
        dispatch,
        memory_budget: Some(MEMORY_BUDGET),
        params: params.to_vec(),
        ..EvalOptions::default()
    }
}

/// Which front end reads a source text.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Format {
    /// The `.expr` language.
    Expr,
    /// Fidget's `.vm` tapes (`_0 var-x`, `_1 const 2.5`, `_2 add _0 _1`…).
    Vm,
}

impl Format {
    /// Guesses the format of `src`: `.vm` when its first line that is neither
    /// blank nor a `#` comment is a name followed by a `.vm` opcode
    /// (`_3 var-x`, `a2 add a0 a1`), `.expr` otherwise.
    pub fn detect(src: &str) -> Format {
        let first = src
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'));
        let Some(line) = first else {
            return Format::Expr;
        };
        let mut words = line.split_whitespace();
        let (Some(name), Some(op)) = (words.next(), words.next()) else {
            return Format::Expr;
        };
        let keyword = matches!(name, "let" | "fn");
        let opcode = matches!(op, "const" | "var-x" | "var-y" | "var-z" | "copy")
            || UnaryOp::from_name(op).is_some()
            || BinaryOp::from_name(op).is_some();
        if opcode && !keyword {
            Format::Vm
        } else {
            Format::Expr
        }
    }

    fn name(self) -> &'static str {
        match self {
            Format::Expr => "expr",
            Format::Vm => "vm",
        }
    }
}

/// A compiled shape, or the error that stopped its compilation.
#[wasm_bindgen]
pub struct Compiled {
    result: Result<Shape, SourceError>,
    format: Format,
    /// Parameter values set by [`Compiled::set_params`] (by name).
    params: Vec<(String, f32)>,
}

/// Compiles `src`, guessing whether it is `.expr` or `.vm` text
/// (see [`Format::detect`]).
#[wasm_bindgen]
pub fn compile(src: &str) -> Compiled {
    compile_with(src, Format::detect(src))
}

/// Compiles `src` as `format`: `"expr"`, `"vm"` or `"auto"` (anything else is
/// reported as an error at line 1, column 1).
#[wasm_bindgen]
pub fn compile_as(src: &str, format: &str) -> Compiled {
    match format {
        "auto" | "" => compile(src),
        "expr" => compile_with(src, Format::Expr),
        "vm" => compile_with(src, Format::Vm),
        other => Compiled {
            result: Err(SourceError {
                message: format!("unknown source format `{other}` (expected expr, vm or auto)"),
                line: 1,
                col: 1,
                line_text: src.lines().next().unwrap_or("").to_string(),
            }),
            format: Format::Expr,
            params: Vec::new(),
        },
    }
}

fn compile_with(src: &str, format: Format) -> Compiled {
    let result = match format {
        Format::Expr => Shape::from_expr(src),
        Format::Vm => Shape::from_vm(src),
    };
    Compiled {
        result,
        format,
        params: Vec::new(),
    }
}

#[wasm_bindgen]
impl Compiled {
    /// True if the source compiled.
    #[wasm_bindgen(getter)]
    pub fn ok(&self) -> bool {
        self.result.is_ok()
    }

    /// The front end used: `"expr"` or `"vm"`.
    #[wasm_bindgen(getter)]
    pub fn format(&self) -> String {
        self.format.name().to_string()
    }

    /// Register-tape instructions (0 after an error).
    #[wasm_bindgen(getter)]
    pub fn tape_len(&self) -> u32 {
        self.result.as_ref().map_or(0, |s| s.len() as u32)
    }

    /// 1-based line of the error (0 when there is none).
    #[wasm_bindgen(getter)]
    pub fn error_line(&self) -> u32 {
        self.error().map_or(0, |e| e.line as u32)
    }

    /// 1-based column of the error, in characters (0 when there is none).
    #[wasm_bindgen(getter)]
    pub fn error_col(&self) -> u32 {
        self.error().map_or(0, |e| e.col as u32)
    }

    /// What is wrong (empty when nothing is).
    #[wasm_bindgen(getter)]
    pub fn error_message(&self) -> String {
        self.error().map_or_else(String::new, |e| e.message.clone())
    }

    /// The text of the offending line (empty when there is no error).
    #[wasm_bindgen(getter)]
    pub fn error_line_text(&self) -> String {
        self.error()
            .map_or_else(String::new, |e| e.line_text.clone())
    }

    fn error(&self) -> Option<&SourceError> {
        self.result.as_ref().err()
    }

    fn param(&self, i: u32) -> Option<&tapir::graph::Param> {
        self.result.as_ref().ok()?.params().get(i as usize)
    }

    /// Declared parameters (`param NAME = DEFAULT in [LO, HI];`), 0 after
    /// an error.
    #[wasm_bindgen(getter)]
    pub fn param_count(&self) -> u32 {
        self.result.as_ref().map_or(0, |s| s.params().len() as u32)
    }

    /// The name of parameter `i` (in declaration order; empty if none).
    pub fn param_name(&self, i: u32) -> String {
        self.param(i).map_or_else(String::new, |p| p.name.clone())
    }

    /// The declared value of parameter `i` (NaN if none).
    pub fn param_default(&self, i: u32) -> f32 {
        self.param(i).map_or(f32::NAN, |p| p.default)
    }

    /// The lower end of parameter `i`'s range (NaN if none).
    pub fn param_lo(&self, i: u32) -> f32 {
        self.param(i).map_or(f32::NAN, |p| p.lo)
    }

    /// The upper end of parameter `i`'s range (NaN if none).
    pub fn param_hi(&self, i: u32) -> f32 {
        self.param(i).map_or(f32::NAN, |p| p.hi)
    }

    /// Sets the parameters' values, in declaration order (fewer values
    /// leave the rest at their defaults). No recompilation: parameters are
    /// tape inputs. Returns the error's message (a value out of its range,
    /// too many values) or an empty string; on error nothing changes.
    pub fn set_params(&mut self, values: &[f32]) -> String {
        let Ok(shape) = &self.result else {
            return "the shape did not compile".into();
        };
        let declared = shape.params();
        if values.len() > declared.len() {
            return format!(
                "{} parameter values given, but the shape declares {}",
                values.len(),
                declared.len()
            );
        }
        let set: Vec<(String, f32)> = declared
            .iter()
            .zip(values)
            .map(|(p, &v)| (p.name.clone(), v))
            .collect();
        match shape.resolve_params(&set) {
            Ok(_) => {
                self.params = set;
                String::new()
            }
            Err(e) => e.to_string(),
        }
    }

    /// The value of the shape at one point (NaN if it did not compile).
    pub fn eval_point(&self, x: f32, y: f32, dispatch: &str) -> f32 {
        let (Ok(shape), Ok(d)) = (&self.result, Dispatch::from_str(dispatch)) else {
            return f32::NAN;
        };
        shape.eval_point_with(d, x, y, 0.0)
    }

    /// Renders the `w × h` window at pixel `(x0, y0)` of a `width × height`
    /// view of `[xmin, xmax] × [ymin, ymax]` (row 0 at the top, +y up).
    ///
    /// `mode` is `"bitmap"` or `"field"`, `dispatch` is `"tail"`, `"match"` or
    /// `"trampoline"`. Returns RGBA pixels (4 bytes per pixel, row by row) and
    /// the number of pixels inside the shape (value < 0), or an error.
    #[allow(clippy::too_many_arguments)]
    pub fn render_tile(
        &self,
        width: u32,
        height: u32,
        xmin: f64,
        xmax: f64,
        ymin: f64,
        ymax: f64,
        x0: u32,
        y0: u32,
        w: u32,
        h: u32,
        mode: &str,
        dispatch: &str,
    ) -> Tile {
        match self.try_render(
            width,
            height,
            [xmin, xmax, ymin, ymax],
            [x0, y0, w, h],
            mode,
            dispatch,
        ) {
            Ok((pixels, inside)) => Tile {
                pixels,
                inside,
                error: None,
            },
            Err(e) => Tile {
                pixels: Vec::new(),
                inside: 0,
                error: Some(e),
            },
        }
    }

    fn try_render(
        &self,
        width: u32,
        height: u32,
        [xmin, xmax, ymin, ymax]: [f64; 4],
        [x0, y0, w, h]: [u32; 4],
        mode: &str,
        dispatch: &str,
    ) -> Result<(Vec<u8>, u32), String> {
        let shape = match &self.result {
            Ok(s) => s,
            Err(e) => return Err(format!("the shape did not compile: {e}")),
        };
        let mode = ColorMode::from_str(mode)?;
        let dispatch = Dispatch::from_str(dispatch)?;
        check_size(width, height)?;
        if w == 0 || h == 0 {
            return Err(format!("tile size {w}×{h} is empty"));
        }
        let bounds = Bounds2::new(xmin, xmax, ymin, ymax).map_err(|e| e.to_string())?;
        let full = Grid2::new(bounds, width as usize, height as usize);
        let grid = full
            .crop(x0 as usize, y0 as usize, w as usize, h as usize)
            .ok_or_else(|| {
                format!("tile {w}×{h} at ({x0}, {y0}) does not fit in the {width}×{height} image")
            })?;
        let opts = options(dispatch, &self.params);
        match mode {
            ColorMode::Bitmap => {
                let mask = shape.render_mask(&grid, &opts).map_err(|e| e.to_string())?;
                let inside = mask.iter().filter(|&&m| m).count() as u32;
                let mut px = Vec::with_capacity(mask.len() * 4);
                for m in mask {
                    let g = if m { 0 } else { 255 };
                    px.extend_from_slice(&[g, g, g, 255]);
                }
                Ok((px, inside))
            }
            ColorMode::Field => {
                // The same colouring as `Shape::render_rgba` (the end-to-end
                // test compares the two bit for bit), done here so that the
                // values also give the inside count without a second pass.
                let values = shape.eval_grid(&grid, &opts).map_err(|e| e.to_string())?;
                let b = grid.bounds();
                let pixel = grid.pixel_size().x as f32;
                let spacing = (b.size().x.max(b.size().y) / 20.0) as f32;
                let inside = values.iter().filter(|&&v| v < 0.0).count() as u32;
                let mut px = Vec::with_capacity(values.len() * 4);
                for v in values {
                    let g = field_grey(v, pixel, spacing);
                    px.extend_from_slice(&[g, g, g, 255]);
                }
                Ok((px, inside))
            }
        }
    }
}

#[wasm_bindgen]
impl Compiled {
    /// Renders rows `y0 .. y0 + rows` of a `width × height` 3D view with
    /// `depth` samples along each ray, seen through the camera `view` =
    /// `[cx, cy, cz, scale, yaw, pitch, roll, perspective]` (as
    /// [`View`]; `tapir render3d --center cx,cy,cz --scale … --yaw …`).
    ///
    /// The band is those rows of the native `render3d`, bit for bit. Returns
    /// per pixel the hit depth (NaN for none) and the normal, or an error.
    #[allow(clippy::too_many_arguments)]
    pub fn render_band(
        &self,
        width: u32,
        height: u32,
        depth: u32,
        view: &[f64],
        y0: u32,
        rows: u32,
        dispatch: &str,
    ) -> Band {
        match self.try_band(width, height, depth, view, y0, rows, dispatch) {
            Ok(g) => Band {
                covered: g.covered() as u32,
                hits: g.hits,
                normals: g.normals.into_iter().flatten().collect(),
                error: None,
            },
            Err(e) => Band {
                hits: Vec::new(),
                normals: Vec::new(),
                covered: 0,
                error: Some(e),
            },
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn try_band(
        &self,
        width: u32,
        height: u32,
        depth: u32,
        view: &[f64],
        y0: u32,
        rows: u32,
        dispatch: &str,
    ) -> Result<Geometry, String> {
        let shape = match &self.result {
            Ok(s) => s,
            Err(e) => return Err(format!("the shape did not compile: {e}")),
        };
        let dispatch = Dispatch::from_str(dispatch)?;
        let frame = frame3d(width, height, depth, view)?;
        let end = y0.checked_add(rows).filter(|&e| e <= height && rows > 0);
        let Some(end) = end else {
            return Err(format!(
                "band of {rows} rows at row {y0} does not fit in the {height} rows of the view"
            ));
        };
        shape
            .render3d_rows(
                &frame,
                y0 as usize..end as usize,
                &options(dispatch, &self.params),
            )
            .map_err(|e| e.to_string())
    }
}

/// The deepest octree a mesh may ask for (2⁹ = 512 cells a side).
pub const MAX_MESH_DEPTH: u32 = 9;

#[wasm_bindgen]
impl Compiled {
    /// Meshes the shape (at its current parameter values) inside the box
    /// `bounds` = `[xmin, xmax, ymin, ymax, zmin, zmax]` with an octree of
    /// `depth` levels, by the library's mesher ([`Shape::mesh`]).
    pub fn mesh(&self, depth: u32, bounds: &[f64]) -> MeshResult {
        match self.try_mesh(depth, bounds) {
            Ok(mesh) => MeshResult {
                mesh: Some(mesh),
                error: None,
            },
            Err(e) => MeshResult {
                mesh: None,
                error: Some(e),
            },
        }
    }

    fn try_mesh(&self, depth: u32, bounds: &[f64]) -> Result<tapir::mesh::Mesh, String> {
        let shape = match &self.result {
            Ok(s) => s,
            Err(e) => return Err(format!("the shape did not compile: {e}")),
        };
        if !(1..=MAX_MESH_DEPTH).contains(&depth) {
            return Err(format!(
                "mesh depth {depth} must be between 1 and {MAX_MESH_DEPTH}"
            ));
        }
        let &[x0, x1, y0, y1, z0, z1] = bounds else {
            return Err(format!(
                "the mesh box has {} numbers, expected 6",
                bounds.len()
            ));
        };
        let bounds =
            tapir::render::Bounds3::new([x0, x1], [y0, y1], [z0, z1]).map_err(|e| e.to_string())?;
        let settings = tapir::mesh::MeshSettings {
            bounds,
            depth,
            eval: options(Dispatch::default(), &self.params),
            ..tapir::mesh::MeshSettings::default()
        };
        shape.mesh(&settings).map_err(|e| e.to_string())
    }
}

/// A mesh built by [`Compiled::mesh`], or why it was not.
#[wasm_bindgen]
pub struct MeshResult {
    mesh: Option<tapir::mesh::Mesh>,
    error: Option<String>,
}

#[wasm_bindgen]
impl MeshResult {
    /// True if the mesh was built.
    #[wasm_bindgen(getter)]
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }

    /// Why it was not (empty if it was).
    #[wasm_bindgen(getter)]
    pub fn error(&self) -> String {
        self.error.clone().unwrap_or_default()
    }

    /// Triangles of the mesh (0 if none).
    #[wasm_bindgen(getter)]
    pub fn triangles(&self) -> u32 {
        self.mesh.as_ref().map_or(0, |m| m.triangles.len() as u32)
    }

    /// The mesh as a file: `"stl"` (binary STL) or `"3mf"`, by the
    /// library's writers; an empty array and `error` set on failure.
    pub fn write(&mut self, format: &str) -> Vec<u8> {
        let Some(mesh) = &self.mesh else {
            return Vec::new();
        };
        match write_mesh(mesh, format) {
            Ok(bytes) => bytes,
            Err(e) => {
                self.error = Some(e);
                Vec::new()
            }
        }
    }
}

/// Encodes `mesh` as `format` with the library's writers.
fn write_mesh(mesh: &tapir::mesh::Mesh, format: &str) -> Result<Vec<u8>, String> {
    use tapir::mesh::write::MeshFormat;
    let format = match format {
        "stl" => MeshFormat::Stl,
        "3mf" => MeshFormat::ThreeMf,
        other => {
            return Err(format!(
                "unknown mesh format `{other}` (expected stl or 3mf)"
            ));
        }
    };
    let mut bytes = Vec::new();
    mesh.write(format, &mut bytes)
        .map_err(|e| format!("cannot write the {}: {e}", format.extension()))?;
    Ok(bytes)
}

/// The frame of a 3D view (see [`Compiled::render_band`]), checked.
fn frame3d(width: u32, height: u32, depth: u32, view: &[f64]) -> Result<Frame3d, String> {
    check_size(width, height)?;
    check_size(depth, 1).map_err(|_| format!("depth {depth} must be between 1 and {MAX_EDGE}"))?;
    let &[cx, cy, cz, scale, yaw, pitch, roll, perspective] = view else {
        return Err(format!(
            "the camera has {} numbers, expected 8 (cx, cy, cz, scale, yaw, pitch, roll, perspective)",
            view.len()
        ));
    };
    let mut frame = Frame3d {
        width: width as usize,
        height: height as usize,
        depth: depth as usize,
        view: View {
            scale,
            yaw,
            pitch,
            roll,
            perspective,
            ..View::default()
        },
    };
    (
        frame.view.center.x,
        frame.view.center.y,
        frame.view.center.z,
    ) = (cx, cy, cz);
    frame.validate().map_err(|e| e.to_string())?;
    Ok(frame)
}

/// Rows of a 3D view: per pixel the hit depth and the normal, or an error.
#[wasm_bindgen]
pub struct Band {
    hits: Vec<f32>,
    normals: Vec<f32>,
    covered: u32,
    error: Option<String>,
}

#[wasm_bindgen]
impl Band {
    /// True if the band rendered.
    #[wasm_bindgen(getter)]
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }

    /// Pixels whose ray meets the shape.
    #[wasm_bindgen(getter)]
    pub fn covered(&self) -> u32 {
        self.covered
    }

    /// Why the band did not render (empty if it did).
    #[wasm_bindgen(getter)]
    pub fn error(&self) -> String {
        self.error.clone().unwrap_or_default()
    }

    /// Moves the hit depths out (one per pixel, NaN where the ray misses).
    pub fn take_hits(&mut self) -> Vec<f32> {
        std::mem::take(&mut self.hits)
    }

    /// Moves the normals out (three per pixel: x, y, z in camera axes).
    pub fn take_normals(&mut self) -> Vec<f32> {
        std::mem::take(&mut self.normals)
    }
}

/// The picture of a 3D view from its stacked bands: `hits` (one per pixel)
/// and `normals` (three per pixel) of a `width × height` view with `depth`
/// samples per ray. `mode` is `"shaded"` (with ambient occlusion if
/// `ssao`), `"normals"` or `"depth"`, exactly as `tapir render3d --mode`.
#[wasm_bindgen]
pub fn shade(
    width: u32,
    height: u32,
    depth: u32,
    hits: Vec<f32>,
    normals: Vec<f32>,
    mode: &str,
    ssao: bool,
) -> Picture {
    match try_shade(width, height, depth, hits, normals, mode, ssao) {
        Ok((rgba, native)) => Picture {
            hash: fnv1a(&native),
            rgba,
            error: None,
        },
        Err(e) => Picture {
            rgba: Vec::new(),
            hash: String::new(),
            error: Some(e),
        },
    }
}

/// The canvas's RGBA and the bytes of the native picture (RGB, or 16-bit
/// depth in little-endian order).
fn try_shade(
    width: u32,
    height: u32,
    depth: u32,
    hits: Vec<f32>,
    normals: Vec<f32>,
    mode: &str,
    ssao: bool,
) -> Result<(Vec<u8>, Vec<u8>), String> {
    let e = check_view3d(width, height, depth);
    if !e.is_empty() {
        return Err(e);
    }
    let pixels = width as usize * height as usize;
    if hits.len() != pixels || normals.len() != 3 * pixels {
        return Err(format!(
            "{} depths and {} normal components for {pixels} pixels",
            hits.len(),
            normals.len()
        ));
    }
    let g = Geometry {
        width: width as usize,
        height: height as usize,
        depth: depth as usize,
        hits,
        normals: normals
            .chunks_exact(3)
            .map(|n| [n[0], n[1], n[2]])
            .collect(),
    };
    let shading = Shading { ssao, threads: 1 };
    let rgb_to_rgba = |rgb: &[u8]| -> Vec<u8> {
        rgb.chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect()
    };
    match mode {
        "shaded" => {
            let rgb = shade::shaded_image(&g, &shading);
            Ok((rgb_to_rgba(&rgb), rgb))
        }
        "normals" => {
            let rgb = shade::normal_image(&g);
            Ok((rgb_to_rgba(&rgb), rgb))
        }
        "depth" => {
            let d = shade::depth_image(&g);
            let rgba = d
                .iter()
                .flat_map(|&v| {
                    let g = (v >> 8) as u8;
                    [g, g, g, 255]
                })
                .collect();
            Ok((rgba, d.iter().flat_map(|v| v.to_le_bytes()).collect()))
        }
        other => Err(format!(
            "unknown 3D mode `{other}` (expected shaded, normals or depth)"
        )),
    }
}

/// FNV-1a (32 bits) as 8 hex digits, as the end-to-end test hashes.
fn fnv1a(bytes: &[u8]) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for &b in bytes {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{h:08x}")
}

/// A 3D view's picture: RGBA for the canvas (depth shown by its high byte)
/// and the hash of the native picture's bytes, or an error.
#[wasm_bindgen]
pub struct Picture {
    rgba: Vec<u8>,
    hash: String,
    error: Option<String>,
}

#[wasm_bindgen]
impl Picture {
    /// True if the picture was made.
    #[wasm_bindgen(getter)]
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }

    /// Why it was not (empty if it was).
    #[wasm_bindgen(getter)]
    pub fn error(&self) -> String {
        self.error.clone().unwrap_or_default()
    }

    /// FNV-1a of the bytes `tapir render3d` would encode as PNG: RGB for
    /// shaded and normals, 16-bit little-endian grey for depth.
    #[wasm_bindgen(getter)]
    pub fn hash(&self) -> String {
        self.hash.clone()
    }

    /// Moves the RGBA pixels out.
    pub fn take_rgba(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.rgba)
    }
}

/// A rendered tile: RGBA pixels and the inside count, or an error.
#[wasm_bindgen]
pub struct Tile {
    pixels: Vec<u8>,
    inside: u32,
    error: Option<String>,
}

#[wasm_bindgen]
impl Tile {
    /// True if the tile rendered.
    #[wasm_bindgen(getter)]
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }

    /// Pixels inside the shape.
    #[wasm_bindgen(getter)]
    pub fn inside(&self) -> u32 {
        self.inside
    }

    /// Why the tile did not render (empty if it did).
    #[wasm_bindgen(getter)]
    pub fn error(&self) -> String {
        self.error.clone().unwrap_or_default()
    }

    /// Moves the RGBA pixels out (as a fresh `Uint8Array` whose buffer the
    /// worker can transfer); later calls return an empty array.
    pub fn take_pixels(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.pixels)
    }
}

/// The tapir-web version, for the page's status line.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_formats() {
        assert_eq!(Format::detect("# c\n_0 var-x\n_1 square _0\n"), Format::Vm);
        assert_eq!(Format::detect("\n\n_a1 const 2.5"), Format::Vm);
        assert_eq!(Format::detect("sqrt(x*x + y*y) - 0.5"), Format::Expr);
        assert_eq!(Format::detect("# comment\nlet r = 1;\nx - r"), Format::Expr);
        assert_eq!(Format::detect(""), Format::Expr);
        assert_eq!(Format::detect("_x"), Format::Expr);
        assert_eq!(Format::detect("a0 var-y\na1 neg a0"), Format::Vm);
        assert_eq!(Format::detect("let min = 2;\nx - min"), Format::Expr);
    }

    #[test]
    fn bands_stack_into_the_native_picture() {
        let src = "param r = 0.5 in [0.1, 0.9];\nsphere(r)";
        let mut c = compile(src);
        assert_eq!(c.param_count(), 1);
        assert_eq!(c.param_name(0), "r");
        assert!(c.set_params(&[2.0]).contains("[0.1, 0.9]"));
        assert_eq!(c.set_params(&[0.3]), "");
        assert!(c.set_params(&[0.3, 1.0]).contains("declares 1"));
        let view = [0.0, 0.0, 0.0, 1.0, 30.0, 20.0, 0.0, 0.0];
        let n = 40u32;
        let (mut hits, mut normals) = (Vec::new(), Vec::new());
        for (y0, rows) in [(0, 13), (13, 13), (26, 14)] {
            let mut b = c.render_band(n, n, n, &view, y0, rows, "tail");
            assert!(b.ok(), "{}", b.error());
            hits.extend(b.take_hits());
            normals.extend(b.take_normals());
        }
        let mut pic = shade(n, n, n, hits, normals, "shaded", true);
        assert!(pic.ok(), "{}", pic.error());
        // The native picture of the same frame, with r = 0.3.
        let shape = Shape::from_expr(src).unwrap();
        let frame = frame3d(n, n, n, &view).unwrap();
        let opts = EvalOptions {
            params: vec![("r".into(), 0.3)],
            ..EvalOptions::default()
        };
        let g = shape.render3d(&frame, &opts).unwrap();
        let rgb = shade::shaded_image(
            &g,
            &Shading {
                ssao: true,
                threads: 1,
            },
        );
        assert_eq!(pic.hash(), fnv1a(&rgb));
        assert_eq!(pic.take_rgba().len(), (n * n * 4) as usize);
        // Bad requests are errors, never traps.
        assert!(!c.render_band(n, n, n, &view, 30, 20, "tail").ok());
        assert!(!c.render_band(n, n, n, &view[..7], 0, 1, "tail").ok());
        assert!(!shade(n, n, n, vec![0.0; 3], vec![], "shaded", false).ok());
        assert!(check_view3d(8192, 8192, 8192).contains("budget"));
        assert_eq!(check_view3d(1024, 1024, 1024), "");
        assert!(check_view2d(16384, 16384).contains("budget"));
    }

    #[test]
    fn bad_requests_are_errors() {
        let c = compile_as("x", "pascal");
        assert!(!c.ok());
        assert_eq!((c.error_line(), c.error_col()), (1, 1));
        let t = c.render_tile(8, 8, -1.0, 1.0, -1.0, 1.0, 0, 0, 8, 8, "bitmap", "tail");
        assert!(!t.ok());
    }
}
