//! tapir in the browser: the bindings the web viewer's workers call.
//!
//! JavaScript compiles a shape's source text once with [`compile`] (or
//! [`compile_as`]) and gets a [`Compiled`] handle, then asks it for tiles of a
//! 2D view with [`Compiled::render_tile`]. Nothing here traps on user input:
//! a bad source gives a handle whose `ok` is false and whose `error_*`
//! getters say where and what; a bad render request gives a [`Tile`] whose
//! `error` is set.
//!
//! Rendering runs on the calling thread (the wasm build has no threads); the
//! page gets its parallelism from a pool of Web Workers, each with its own
//! instance of this module, each rendering whole tiles. A tile is a window of
//! the full view's grid ([`Grid2::crop`]), so tiles rendered apart match a
//! render in one piece bit for bit.

use std::str::FromStr;

use tapir::ops::{BinaryOp, UnaryOp};
use tapir::render::color::field_grey;
use tapir::render::{Bounds2, ColorMode, EvalOptions, Grid2};
use tapir::{Dispatch, Shape, SourceError};
use wasm_bindgen::prelude::*;

/// The largest image edge (in pixels) a render may ask for.
pub const MAX_EDGE: u32 = 16384;

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
        },
    }
}

fn compile_with(src: &str, format: Format) -> Compiled {
    let result = match format {
        Format::Expr => Shape::from_expr(src),
        Format::Vm => Shape::from_vm(src),
    };
    Compiled { result, format }
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
        if width == 0 || height == 0 || width > MAX_EDGE || height > MAX_EDGE {
            return Err(format!(
                "image size {width}×{height} must be between 1 and {MAX_EDGE} on each side"
            ));
        }
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
        let opts = EvalOptions {
            threads: 1,
            dispatch,
            ..EvalOptions::default()
        };
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
    fn bad_requests_are_errors() {
        let c = compile_as("x", "pascal");
        assert!(!c.ok());
        assert_eq!((c.error_line(), c.error_col()), (1, 1));
        let t = c.render_tile(8, 8, -1.0, 1.0, -1.0, 1.0, 0, 0, 8, 8, "bitmap", "tail");
        assert!(!t.ok());
    }
}
