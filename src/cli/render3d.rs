//! `tapir render3d`: a shape seen in 3D, as a shaded, normal or depth PNG.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use image::ExtendedColorType;
use nalgebra::Vector3;
use tapir::render::shade::{self, Shading};
use tapir::render::view::MAX_PERSPECTIVE;
use tapir::render::{EvalOptions, Frame3d, Geometry, RenderStats, View, memory_budget};

use super::args::{EvalArgs, InputArgs, ParamArgs, SizeArgs, parse_side};
use super::progress::{self, Progress};
use super::render::{peak_rss_kib, same_file};
use super::{Failure, input, interrupt, output, print_out, say};

/// Shown under `tapir render3d --help`.
pub const AFTER_HELP: &str = "\
Examples:
  tapir render3d shapes/examples/colonnade.expr -o colonnade.png --yaw 30 --pitch 20
  tapir render3d shapes/examples/organic.expr -o organic.png --size 512 --ssao
  tapir render3d shape.expr -o depth.png --mode depth          # 16-bit depth map
  tapir render3d shape.expr -o n.png --mode normals --perspective 0.3
  tapir render3d part.vm -o part.png --center 0,0.5,0 --scale 2 --width 1280 --height 720

The view: by default the camera looks at the cube [-1,1]³ from the +z side
(x to the right, y up), orthographically. --center and --scale choose the
cube (centre ± scale); --yaw turns the camera about the vertical y axis,
--pitch raises it (looking down), --roll turns it about the view direction; --perspective S
(0 to 0.9) puts the eye at scale/S in front of the centre.

Modes: shaded (lights and shadows of the surface; --ssao adds ambient
occlusion in creases), normals (RGB = (n + 1)/2 of the surface normal in
camera axes: x right, y up, z towards the viewer), depth (16-bit grey: 0
where the ray misses, else max(1, round(65535·(w + 1)/2)) with w the hit's
depth in the view volume, -1 far to +1 near).

The PNG is written to a temporary file in the same folder and renamed over
OUT only when complete: a failed or interrupted run (Ctrl-C, exit code 130)
leaves any existing OUT untouched. A one-line summary goes to stderr;
renders longer than a second show a progress bar when stderr is a terminal.

Exit codes: 0 ok; 1 the output cannot be written; 2 bad option, missing or
malformed input (shown as file:line:col), or a request over a limit (sides
above 65536 pixels, more memory than half the machine's); 130 interrupted.";

/// What a 3D picture shows.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Mode3d {
    /// Lit surface (8-bit RGB).
    Shaded,
    /// Surface normals as colours (8-bit RGB).
    Normals,
    /// Depth (16-bit grey).
    Depth,
}

fn parse_mode(s: &str) -> Result<Mode3d, String> {
    match s.trim() {
        "shaded" => Ok(Mode3d::Shaded),
        "normals" | "normal" => Ok(Mode3d::Normals),
        "depth" => Ok(Mode3d::Depth),
        other => Err(format!(
            "unknown mode `{other}` (expected shaded, normals or depth)"
        )),
    }
}

/// Options of `tapir render3d`.
#[derive(Args, Debug, Clone)]
pub struct Render3dArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Output PNG file. Default: INPUT with its extension replaced by
    /// `-3d.png`, in the same folder. Example: -o out/shape.png
    #[arg(short = 'o', long = "output", value_name = "OUT.png")]
    pub output: Option<PathBuf>,

    #[command(flatten)]
    pub size: SizeArgs,

    /// Samples along each ray. Default: the shorter image side (cubic
    /// voxels). Example: --depth 256
    #[arg(long, value_name = "D", value_parser = parse_side)]
    pub depth: Option<usize>,

    /// What the picture shows: shaded, normals or depth. Default: shaded.
    /// Example: --mode depth
    #[arg(long, value_name = "MODE", default_value = "shaded", value_parser = parse_mode, hide_default_value = true)]
    pub mode: Mode3d,

    /// Darken creases with screen-space ambient occlusion (shaded mode).
    /// Example: --ssao
    #[arg(long)]
    pub ssao: bool,

    /// Degrees the camera turns about the vertical (y) axis; positive moves
    /// it to the right (+x). Default: 0. Example: --yaw 30
    #[arg(long, value_name = "DEG", default_value = "0", value_parser = parse_angle, allow_hyphen_values = true, hide_default_value = true)]
    pub yaw: f64,

    /// Degrees the camera rises above the horizontal, looking down.
    /// Default: 0. Example: --pitch 20
    #[arg(long, value_name = "DEG", default_value = "0", value_parser = parse_angle, allow_hyphen_values = true, hide_default_value = true)]
    pub pitch: f64,

    /// Degrees the camera turns about the view direction, counter-clockwise
    /// (the scene appears turned clockwise). Default: 0. Example: --roll -10
    #[arg(long, value_name = "DEG", default_value = "0", value_parser = parse_angle, allow_hyphen_values = true, hide_default_value = true)]
    pub roll: f64,

    /// Perspective strength from 0 (orthographic) to 0.9; the eye is at
    /// scale/S in front of the centre. Default: 0. Example: --perspective 0.3
    #[arg(long, value_name = "S", default_value = "0", value_parser = parse_perspective, hide_default_value = true)]
    pub perspective: f64,

    /// Half the size of the region shown, in model units (the view cube is
    /// centre ± scale); smaller zooms in. Default: 1. Example: --scale 2.5
    #[arg(long, value_name = "S", default_value = "1", value_parser = parse_scale, hide_default_value = true)]
    pub scale: f64,

    /// The model point at the middle of the view, as x,y,z. Default:
    /// 0,0,0. Example: --center=0,0.5,0
    #[arg(long, value_name = "X,Y,Z", default_value = "0,0,0", value_parser = parse_center, allow_hyphen_values = true, hide_default_value = true)]
    pub center: Vector3<f64>,

    #[command(flatten)]
    pub params: ParamArgs,

    #[command(flatten)]
    pub eval: EvalArgs,

    /// Print where the work went (interval evaluations, prunings, slice
    /// evaluations, samples filled) to stderr. Example: --stats
    #[arg(long)]
    pub stats: bool,

    /// For `tapir bench --3d`: render without writing a file, then print
    /// `covered=N peak_rss_kib=M` on stdout.
    #[arg(long, hide = true)]
    pub bench_child: bool,
}

impl Render3dArgs {
    /// The frame these arguments describe.
    pub fn frame(&self) -> Frame3d {
        let (width, height) = self.size.dims();
        Frame3d {
            width,
            height,
            depth: self.depth.unwrap_or(width.min(height)),
            view: View {
                center: self.center,
                scale: self.scale,
                yaw: self.yaw,
                pitch: self.pitch,
                roll: self.roll,
                perspective: self.perspective,
            },
        }
    }
}

/// Parses an angle in degrees: finite, within ±1e6.
fn parse_angle(s: &str) -> Result<f64, String> {
    let a: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of degrees"))?;
    if !a.is_finite() || a.abs() > 1e6 {
        return Err(format!("{s} degrees: expected a finite angle within ±1e6"));
    }
    Ok(a)
}

/// Parses a perspective strength in [0, MAX_PERSPECTIVE].
fn parse_perspective(s: &str) -> Result<f64, String> {
    let p: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number"))?;
    if !(0.0..=MAX_PERSPECTIVE).contains(&p) {
        return Err(format!(
            "perspective {s} is out of range: from 0 (orthographic) to {MAX_PERSPECTIVE}"
        ));
    }
    Ok(p)
}

/// Parses a positive, finite scale.
fn parse_scale(s: &str) -> Result<f64, String> {
    let k: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number"))?;
    if !(k.is_finite() && k > 1e-30 && k <= 1e30) {
        return Err(format!(
            "scale {s} must be a positive number (the half-size of the view, e.g. 1)"
        ));
    }
    Ok(k)
}

/// Parses `x,y,z`.
fn parse_center(s: &str) -> Result<Vector3<f64>, String> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    if parts.len() != 3 {
        return Err(format!(
            "`{s}` has {} value(s); expected 3 numbers x,y,z, e.g. 0,0.5,0",
            parts.len()
        ));
    }
    let mut v = [0.0f64; 3];
    for (slot, p) in v.iter_mut().zip(&parts) {
        *slot = p
            .parse()
            .map_err(|_| format!("`{p}` in `{s}` is not a number; expected x,y,z"))?;
        if !slot.is_finite() || slot.abs() > 1e30 {
            return Err(format!("`{p}` in `{s}` must be finite, within ±1e30"));
        }
    }
    Ok(Vector3::new(v[0], v[1], v[2]))
}

/// Bytes per pixel a 3D render needs with the CLI's buffers: the library's
/// (36, see `Shape::render3d`), the picture (up to 3), ambient occlusion
/// (8) and the encoded PNG (at most about 3, plus slack).
const BYTES_PER_PIXEL: usize = 56;

/// Refuses a render over the memory budget before allocating.
fn check_memory(frame: &Frame3d, opts: &EvalOptions) -> Result<(), Failure> {
    let budget = memory_budget(opts);
    let (w, h, d) = (frame.width, frame.height, frame.depth);
    let need = w
        .checked_mul(h)
        .and_then(|n| n.checked_mul(BYTES_PER_PIXEL));
    match need {
        Some(n) if n <= budget => Ok(()),
        _ => Err(Failure::bad(format!(
            "a {w}×{h}×{d} 3D render needs about {} MiB of memory, over the budget of {} MiB \
             (half the machine's memory); use a smaller --size",
            need.map_or(u64::MAX, |n| n as u64) >> 20,
            budget >> 20
        ))),
    }
}

/// Renders `frame` and shows progress on a terminal.
pub fn render_geometry(
    shape: &tapir::Shape,
    frame: &Frame3d,
    opts: &EvalOptions,
    input: &str,
) -> Result<Geometry, Failure> {
    check_memory(frame, opts)?;
    let counters = progress::counters();
    let opts = EvalOptions {
        progress: Some(counters.clone()),
        ..opts.clone()
    };
    let _progress = Progress::start(&counters, "rendering");
    shape
        .render3d(frame, &opts)
        .map_err(|e| Failure::from_lib(e, input))
}

/// The PNG of `g` in `mode` (shaded on `threads` threads, 0: all cores):
/// pixel bytes and their colour type.
pub fn picture(
    g: &Geometry,
    mode: Mode3d,
    ssao: bool,
    threads: usize,
) -> (Vec<u8>, ExtendedColorType) {
    match mode {
        Mode3d::Shaded => (
            shade::shaded_image(g, &Shading { ssao, threads }),
            ExtendedColorType::Rgb8,
        ),
        Mode3d::Normals => (shade::normal_image(g), ExtendedColorType::Rgb8),
        Mode3d::Depth => (
            shade::depth_image(g)
                .into_iter()
                .flat_map(u16::to_ne_bytes)
                .collect(),
            ExtendedColorType::L16,
        ),
    }
}

/// Runs `tapir render3d`.
pub fn run(args: Render3dArgs) -> Result<(), Failure> {
    let cancel = interrupt::install();
    let loaded = input::load(&args.input)?;
    args.params.check(&loaded.shape)?;
    let out = args.output.clone().unwrap_or_else(|| {
        let stem = args.input.input.file_stem().unwrap_or_default();
        let mut name = stem.to_os_string();
        name.push("-3d.png");
        args.input.input.with_file_name(name)
    });
    if !args.bench_child {
        if same_file(&out, &args.input.input) {
            return Err(Failure::bad(format!(
                "output `{}` is the input file; choose another with -o",
                out.display()
            )));
        }
        output::check_destination(&out)?;
    }
    let frame = args.frame();
    let stats = args.stats.then(|| Arc::new(RenderStats::default()));
    let opts = EvalOptions {
        cancel: Some(cancel.clone()),
        params: args.params.set.clone(),
        stats: stats.clone(),
        ..args.eval.options()
    };
    let start = Instant::now();
    let g = render_geometry(&loaded.shape, &frame, &opts, &loaded.display)?;
    let elapsed = start.elapsed();
    if interrupt::requested(&cancel) {
        return Err(Failure::interrupted());
    }
    if let Some(s) = &stats {
        say(&s.summary());
    }
    let encode_start = Instant::now();
    let (pixels, color) = picture(&g, args.mode, args.ssao, args.eval.threads);
    let (width, height) = (frame.width, frame.height);
    if args.bench_child {
        output::encode_png_as(&mut std::io::sink(), &pixels, width, height, color)
            .map_err(|e| Failure::failed(format!("cannot encode the PNG: {e}")))?;
        let peak = peak_rss_kib().map_or("unknown".to_string(), |k| k.to_string());
        return print_out(&format!("covered={} peak_rss_kib={peak}\n", g.covered()));
    }
    output::write_atomic(&out, &cancel, |w| {
        output::encode_png_as(w, &pixels, width, height, color)
    })?;
    say(&format!(
        "tapir: {} → {}: {width}×{height}×{} in {:.3} s (+{:.3} s png), {:.1}% of pixels hit, \
         {}",
        loaded.display,
        out.display(),
        frame.depth,
        elapsed.as_secs_f64(),
        encode_start.elapsed().as_secs_f64(),
        100.0 * g.covered() as f64 / (width * height) as f64,
        args.eval.summary(),
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsers() {
        assert_eq!(parse_angle("-30"), Ok(-30.0));
        assert!(parse_angle("nan").is_err());
        assert!(parse_angle("1e9").unwrap_err().contains("1e9"));
        assert_eq!(parse_perspective("0.3"), Ok(0.3));
        assert!(parse_perspective("1").unwrap_err().contains("0.9"));
        assert!(parse_perspective("-0.1").is_err());
        assert!(parse_scale("0").is_err());
        assert_eq!(parse_scale("2"), Ok(2.0));
        assert_eq!(parse_center("1,-2,3"), Ok(Vector3::new(1.0, -2.0, 3.0)));
        assert!(parse_center("1,2").unwrap_err().contains("3 numbers"));
        assert!(parse_center("1,x,2").unwrap_err().contains("`x`"));
        assert_eq!(parse_mode("depth"), Ok(Mode3d::Depth));
        assert!(parse_mode("wire").unwrap_err().contains("shaded"));
    }
}
