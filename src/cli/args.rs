//! Arguments shared by several subcommands, and the value parsers that check
//! them (each error message names the bad value; clap prints it and exits
//! with code 2).

use std::path::PathBuf;

use clap::Args;
use tapir::Dispatch;
use tapir::render::{Bounds2, Bounds3, MAX_THREADS};

use super::input::Format;

/// The largest image side accepted, in pixels.
pub const MAX_SIDE: usize = 65536;

/// The input shape.
#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// The shape: a `.expr` program or a Fidget `.vm` tape. Example:
    /// shapes/examples/gear.expr
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,

    /// Input format: expr or vm. Default: from the extension (.expr or .vm);
    /// for other names, a file whose lines look like `_0 const 2.95` is read
    /// as vm. Example: --format vm
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<Format>,
}

/// The picture's size in pixels.
#[derive(Args, Debug, Clone)]
pub struct SizeArgs {
    /// Image size in pixels: an N×N square. Default: 1024. Example: --size 512
    #[arg(long, value_name = "N", default_value = "1024", value_parser = parse_side, hide_default_value = true)]
    pub size: usize,

    /// Image width in pixels, overriding --size. Default: the --size value.
    /// Example: --width 1920
    #[arg(long, value_name = "W", value_parser = parse_side)]
    pub width: Option<usize>,

    /// Image height in pixels, overriding --size. Default: the --size value.
    /// Example: --height 1080
    #[arg(long, value_name = "H", value_parser = parse_side)]
    pub height: Option<usize>,
}

impl SizeArgs {
    /// Width and height in pixels.
    pub fn dims(&self) -> (usize, usize) {
        (
            self.width.unwrap_or(self.size),
            self.height.unwrap_or(self.size),
        )
    }
}

/// Which pixels to evaluate: image size and the region of the plane.
#[derive(Args, Debug, Clone)]
pub struct FrameArgs {
    #[command(flatten)]
    pub pixels: SizeArgs,

    /// The region of the xy plane shown, as xmin,xmax,ymin,ymax (y grows
    /// upwards in the image). Default: -1,1,-1,1. Example: --bounds=-2,2,-1,1
    #[arg(
        long,
        value_name = "XMIN,XMAX,YMIN,YMAX",
        default_value = "-1,1,-1,1",
        hide_default_value = true,
        value_parser = parse_bounds,
        allow_hyphen_values = true
    )]
    pub bounds: Bounds2,

    /// The z coordinate of the plane that is sliced. Default: 0. Example:
    /// --z 0.25
    #[arg(long, value_name = "Z", default_value = "0", value_parser = parse_z, allow_hyphen_values = true, hide_default_value = true)]
    pub z: f32,
}

impl FrameArgs {
    /// Width and height in pixels.
    pub fn dims(&self) -> (usize, usize) {
        self.pixels.dims()
    }
}

/// How to evaluate: threads, dispatch style, pruning.
#[derive(Args, Debug, Clone)]
pub struct EvalArgs {
    /// Worker threads; 0 means one per core. Default: 0 (all cores).
    /// Example: --threads 4
    #[arg(long, value_name = "N", default_value = "0", value_parser = parse_threads, hide_default_value = true)]
    pub threads: usize,

    /// Interpreter dispatch style: tail (tail calls), match (a loop over a
    /// match) or trampoline; all give identical pictures. Default: tail.
    /// Example: --dispatch match
    #[arg(long, value_name = "STYLE", default_value = "tail", value_parser = parse_dispatch, hide_default_value = true)]
    pub dispatch: Dispatch,

    /// Evaluate with the whole tape everywhere instead of pruning it per
    /// region by interval arithmetic: the same picture, much slower (for
    /// comparisons). Default: pruning on. Example: --no-prune
    #[arg(long)]
    pub no_prune: bool,
}

impl EvalArgs {
    /// The evaluation options these arguments ask for.
    pub fn options(&self) -> tapir::render::EvalOptions {
        tapir::render::EvalOptions {
            threads: self.threads,
            dispatch: self.dispatch,
            prune: !self.no_prune,
            ..Default::default()
        }
    }

    /// The threads a run uses (0 resolved to the number of cores).
    pub fn thread_count(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }

    /// How the work ran, for the one-line summaries of the commands:
    /// "dispatch tail, 2 threads, pruning on".
    pub fn summary(&self) -> String {
        let threads = self.thread_count();
        format!(
            "dispatch {}, {threads} thread{}, pruning {}",
            self.dispatch,
            if threads == 1 { "" } else { "s" },
            if self.no_prune { "off" } else { "on" },
        )
    }
}

/// Values for the shape's parameters (`param NAME = DEFAULT in [LO, HI];`).
#[derive(Args, Debug, Clone, Default)]
pub struct ParamArgs {
    /// Sets the shape's parameter NAME to VALUE (within its declared range);
    /// repeat for several. Changing a parameter needs no new tape. Default:
    /// the values declared in the shape (`tapir info` lists them). Example:
    /// --set r=0.3 --set teeth=14
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_setting)]
    pub set: Vec<(String, f32)>,
}

impl ParamArgs {
    /// Checks the settings against `shape` before any work starts: an
    /// unknown name or a value out of range is a bad request (exit 2) whose
    /// message names the known parameters or the range.
    pub fn check(&self, shape: &tapir::Shape) -> Result<Vec<f32>, super::Failure> {
        shape
            .resolve_params(&self.set)
            .map_err(|e| super::Failure::bad(format!("--set: {e}")))
    }
}

/// Parses `NAME=VALUE` with a finite number as the value.
pub fn parse_setting(s: &str) -> Result<(String, f32), String> {
    let Some((name, value)) = s.split_once('=') else {
        return Err(format!("`{s}` is not NAME=VALUE (e.g. --set r=0.3)"));
    };
    let name = name.trim();
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(format!(
            "`{name}` in `{s}` is not a parameter name (letters, digits and _, not starting with a digit)"
        ));
    }
    match value.trim().parse::<f32>() {
        Ok(v) if v.is_finite() => Ok((name.to_string(), v)),
        _ => Err(format!("`{value}` in `{s}` is not a finite number")),
    }
}

/// Parses an image side: 1 ..= [`MAX_SIDE`].
pub fn parse_side(s: &str) -> Result<usize, String> {
    let n: u64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a whole number of pixels"))?;
    if n == 0 {
        return Err(format!(
            "{n} pixels: an image needs at least 1 pixel per side"
        ));
    }
    if n > MAX_SIDE as u64 {
        return Err(format!(
            "{n} pixels is too big: at most {MAX_SIDE} pixels per side"
        ));
    }
    Ok(n as usize)
}

/// Parses a thread count: 0 (one per core) ..= [`MAX_THREADS`].
pub fn parse_threads(s: &str) -> Result<usize, String> {
    let n: u64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a whole number of threads"))?;
    if n > MAX_THREADS as u64 {
        return Err(format!("{n} threads is too many: at most {MAX_THREADS}"));
    }
    Ok(n as usize)
}

/// Parses a dispatch style: tail, match or trampoline.
pub fn parse_dispatch(s: &str) -> Result<Dispatch, String> {
    s.trim().parse()
}

/// Parses `xmin,xmax,ymin,ymax` into checked bounds.
pub fn parse_bounds(s: &str) -> Result<Bounds2, String> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    if parts.len() != 4 {
        return Err(format!(
            "`{s}` has {} value(s); expected 4 numbers xmin,xmax,ymin,ymax, e.g. -1,1,-1,1",
            parts.len()
        ));
    }
    let mut v = [0.0f64; 4];
    for (slot, p) in v.iter_mut().zip(&parts) {
        *slot = p
            .parse()
            .map_err(|_| format!("`{p}` in `{s}` is not a number; expected xmin,xmax,ymin,ymax"))?;
    }
    Bounds2::new(v[0], v[1], v[2], v[3]).map_err(|e| e.to_string())
}

/// Parses `x0,x1,y0,y1,z0,z1` into checked 3D bounds.
pub fn parse_bounds3(s: &str) -> Result<Bounds3, String> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    if parts.len() != 6 {
        return Err(format!(
            "`{s}` has {} value(s); expected 6 numbers x0,x1,y0,y1,z0,z1, e.g. -1,1,-1,1,-1,1",
            parts.len()
        ));
    }
    let mut v = [0.0f64; 6];
    for (slot, p) in v.iter_mut().zip(&parts) {
        *slot = p
            .parse()
            .map_err(|_| format!("`{p}` in `{s}` is not a number; expected x0,x1,y0,y1,z0,z1"))?;
    }
    Bounds3::new([v[0], v[1]], [v[2], v[3]], [v[4], v[5]]).map_err(|e| e.to_string())
}

/// Parses a finite z coordinate.
pub fn parse_z(s: &str) -> Result<f32, String> {
    let z: f32 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number"))?;
    if !z.is_finite() || z.abs() > 1e30 {
        return Err(format!("z = {s} must be a finite number within ±1e30"));
    }
    Ok(z)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides() {
        assert_eq!(parse_side("64"), Ok(64));
        assert!(parse_side("0").unwrap_err().contains('0'));
        assert!(parse_side("100000").unwrap_err().contains("100000"));
        assert!(parse_side("-3").unwrap_err().contains("-3"));
        assert!(parse_side("99999999999999999999999").is_err());
    }

    #[test]
    fn bounds() {
        let b = parse_bounds("-2, 2,-1,1").unwrap();
        assert_eq!((b.min.x, b.max.y), (-2.0, 1.0));
        assert!(parse_bounds("1,0,0,1").unwrap_err().contains("1,0,0,1"));
        assert!(parse_bounds("a,b").unwrap_err().contains("a,b"));
        assert!(parse_bounds("0,1,0,x").unwrap_err().contains("`x`"));
        assert!(parse_bounds("0,inf,0,1").is_err());
        assert!(parse_bounds("0,NaN,0,1").is_err());
    }

    #[test]
    fn bounds3() {
        let b = parse_bounds3("-2,2,-1,1,0,0.5").unwrap();
        assert_eq!((b.min.x, b.max.z), (-2.0, 0.5));
        assert!(parse_bounds3("0,1,0,1").unwrap_err().contains("6 numbers"));
        assert!(parse_bounds3("0,1,0,1,1,0").unwrap_err().contains("empty"));
        assert!(parse_bounds3("0,1,0,1,0,z").unwrap_err().contains("`z`"));
    }

    #[test]
    fn settings() {
        assert_eq!(parse_setting("r=0.5"), Ok(("r".to_string(), 0.5)));
        assert_eq!(
            parse_setting(" teeth = -3 "),
            Ok(("teeth".to_string(), -3.0))
        );
        assert!(parse_setting("r").unwrap_err().contains("NAME=VALUE"));
        assert!(parse_setting("2r=1").unwrap_err().contains("`2r`"));
        assert!(parse_setting("=1").is_err());
        assert!(parse_setting("r=abc").unwrap_err().contains("`abc`"));
        assert!(parse_setting("r=inf").is_err());
    }

    #[test]
    fn threads_and_z() {
        assert_eq!(parse_threads("0"), Ok(0));
        assert!(parse_threads("100000").unwrap_err().contains("100000"));
        assert_eq!(parse_z("-0.5"), Ok(-0.5));
        assert!(parse_z("nan").is_err());
        assert!(parse_z("1e40").is_err());
    }
}
