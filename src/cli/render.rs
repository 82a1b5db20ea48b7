//! `tapir render`: a shape's z-slice to a PNG.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;
use tapir::Shape;
use tapir::render::{ColorMode, EvalOptions, Grid2, memory_budget};

use super::args::{EvalArgs, FrameArgs, InputArgs, ParamArgs};
use super::progress::{self, Progress};
use super::{Failure, input, interrupt, output, print_out, say};

/// Shown under `tapir render --help`.
pub const AFTER_HELP: &str = "\
Examples:
  tapir render shapes/examples/gear.expr           # writes shapes/examples/gear.png
  tapir render prospero.vm -o p.png --size 2048 --threads 2 --dispatch match
  tapir render flower.expr -o f.png --mode field --bounds=-2,2,-1.5,1.5 --width 800 --height 600

The PNG is 8-bit greyscale. It is written to a temporary file in the same
folder and renamed over OUT only when complete: a failed or interrupted run
(Ctrl-C or SIGTERM, exit code 130) leaves any existing OUT untouched and no temporary
file behind. A one-line summary goes to stderr; renders longer than a second
show progress when stderr is a terminal.

Exit codes: 0 ok; 1 the output cannot be written; 2 bad option, missing or
malformed input (shown as file:line:col), or a request over a limit (sides
above 65536 pixels, more memory than half the machine's); 130 interrupted.";

/// Bytes of memory a render needs per pixel, all buffers counted: the
/// library's tiles and values (9), the RGBA picture (4), the grey copy (1)
/// and the encoded PNG (at most about 1, plus slack).
const BYTES_PER_PIXEL: usize = 16;

/// Options of `tapir render`.
#[derive(Args, Debug, Clone)]
pub struct RenderArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Output PNG file. Default: INPUT with its extension replaced by .png,
    /// in the same folder. Example: -o out/shape.png
    #[arg(short = 'o', long = "output", value_name = "OUT.png")]
    pub output: Option<PathBuf>,

    #[command(flatten)]
    pub frame: FrameArgs,

    #[command(flatten)]
    pub eval: EvalArgs,

    #[command(flatten)]
    pub params: ParamArgs,

    /// What the pixels show: bitmap (inside black, outside white) or field
    /// (grey levels by distance, with contour lines). Default: bitmap.
    /// Example: --mode field
    #[arg(long, value_name = "MODE", default_value = "bitmap", value_parser = parse_mode, hide_default_value = true)]
    pub mode: ColorMode,

    /// For `tapir bench`: render without writing a file, then print
    /// `inside=N peak_rss_kib=M` on stdout.
    #[arg(long, hide = true)]
    pub bench_child: bool,
}

fn parse_mode(s: &str) -> Result<ColorMode, String> {
    s.trim().parse()
}

/// A rendered picture.
pub struct Picture {
    /// Grey levels, row by row from the top.
    pub grey: Vec<u8>,
    /// Pixels inside the shape (value < 0).
    pub inside: usize,
    /// Time spent evaluating.
    pub elapsed: Duration,
}

/// Checks that a `width × height` render fits the memory budget of `opts`
/// with all of the CLI's buffers, before anything is allocated.
pub fn check_memory(width: usize, height: usize, opts: &EvalOptions) -> Result<(), Failure> {
    let budget = memory_budget(opts);
    let need = width
        .checked_mul(height)
        .and_then(|n| n.checked_mul(BYTES_PER_PIXEL));
    match need {
        Some(n) if n <= budget => Ok(()),
        _ => Err(Failure::bad(format!(
            "a {width}×{height} render needs about {} MiB of memory, over the budget of {} MiB \
             (half the machine's memory); use a smaller --size",
            need.map_or(u64::MAX, |n| n as u64) >> 20,
            budget >> 20
        ))),
    }
}

/// Renders `grid` to grey levels, showing progress on a terminal.
pub fn render_picture(
    shape: &Shape,
    grid: &Grid2,
    opts: &EvalOptions,
    mode: ColorMode,
    input: &str,
) -> Result<Picture, Failure> {
    check_memory(grid.width(), grid.height(), opts)?;
    let counters = opts.progress.clone().unwrap_or_else(progress::counters);
    let opts = EvalOptions {
        progress: Some(counters.clone()),
        ..opts.clone()
    };
    let start = Instant::now();
    let rgba = {
        let _progress = Progress::start(&counters, "rendering");
        shape.render_rgba(grid, &opts, mode)
    }
    .map_err(|e| Failure::from_lib(e, input))?;
    let grey: Vec<u8> = rgba.chunks_exact(4).map(|p| p[0]).collect();
    drop(rgba);
    let inside = match mode {
        ColorMode::Bitmap => grey.iter().filter(|&&g| g == 0).count(),
        // Field pictures do not show the sign exactly; count with a (pruned,
        // cheap) mask, which is the same as comparing the values with zero.
        ColorMode::Field => {
            let mask_opts = EvalOptions {
                prune: true,
                progress: None,
                ..opts.clone()
            };
            let mask = shape
                .render_mask(grid, &mask_opts)
                .map_err(|e| Failure::from_lib(e, input))?;
            mask.into_iter().filter(|&b| b).count()
        }
    };
    Ok(Picture {
        grey,
        inside,
        elapsed: start.elapsed(),
    })
}

/// The default output: `input` with the extension `.png`.
fn default_output(input: &Path) -> PathBuf {
    input.with_extension("png")
}

/// True if `a` and `b` name the same existing file.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Peak resident memory of this process in KiB (`VmHWM`), if known.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `tapir render`.
pub fn run(args: RenderArgs) -> Result<(), Failure> {
    let cancel = interrupt::install();
    let loaded = input::load(&args.input)?;
    args.params.check(&loaded.shape)?;
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| default_output(&args.input.input));
    if !args.bench_child {
        if same_file(&out, &args.input.input) {
            return Err(Failure::bad(format!(
                "output `{}` is the input file; choose another with -o",
                out.display()
            )));
        }
        output::check_destination(&out)?;
    }
    let (width, height) = args.frame.dims();
    let grid = Grid2::new(args.frame.bounds, width, height);
    let opts = EvalOptions {
        z: args.frame.z,
        cancel: Some(cancel.clone()),
        params: args.params.set.clone(),
        ..args.eval.options()
    };
    let pic = render_picture(&loaded.shape, &grid, &opts, args.mode, &loaded.display)?;
    if interrupt::requested(&cancel) {
        return Err(Failure::interrupted());
    }
    let encode_start = Instant::now();
    if args.bench_child {
        let mut sink = std::io::sink();
        output::encode_png(&mut sink, &pic.grey, width, height)
            .map_err(|e| Failure::failed(format!("cannot encode the PNG: {e}")))?;
        let peak = peak_rss_kib().map_or("unknown".to_string(), |k| k.to_string());
        return print_out(&format!("inside={} peak_rss_kib={peak}\n", pic.inside));
    }
    output::write_atomic(&out, &cancel, |w| {
        output::encode_png(w, &pic.grey, width, height)
    })?;
    say(&format!(
        "tapir: {} → {}: {width}×{height} in {:.3} s (+{:.3} s png), {} pixels inside ({:.2}%), \
         {}",
        loaded.display,
        out.display(),
        pic.elapsed.as_secs_f64(),
        encode_start.elapsed().as_secs_f64(),
        pic.inside,
        100.0 * pic.inside as f64 / (width * height) as f64,
        args.eval.summary(),
    ));
    Ok(())
}
