//! `tapir contour`: the outline of a shape's z-slice as closed, oriented
//! polylines in an SVG file.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use tapir::render::{EvalOptions, Grid2};

use super::args::{EvalArgs, FrameArgs, InputArgs, ParamArgs};
use super::mesh::destination;
use super::progress::{self, Progress};
use super::{Failure, input, interrupt, output, say};

/// Shown under `tapir contour --help`.
pub const AFTER_HELP: &str = "\
Examples:
  tapir contour shapes/examples/gear.expr -o gear.svg
  tapir contour shapes/examples/wrench.expr -o wrench.svg --size 2048
  tapir contour part.vm -o part.svg --bounds=-2,2,-1,1 --width 2000 --height 1000
  tapir contour vase.expr -o slice.svg --z 0.3 --set wall=0.04

The outline is found on the pixel centres of a --size × --size grid (the
samples `tapir render` colours at that size), with sub-pixel precision:
smooth stretches lie on the true boundary to float precision and sharp
corners are kept. Loops are closed; outer boundaries run counter-clockwise
and holes clockwise (y up). A shape that leaves --bounds is cut along its
edge.

The SVG is in model units (its viewBox is the bounds, one unit drawn as a
millimetre), y up like the render, with all loops in one <path> filled with
fill-rule=\"evenodd\": ready for laser cutters and plotters.

The file is written to a temporary file in the same folder and renamed over
OUT only when complete: a failed or interrupted run (Ctrl-C, exit code 130)
leaves any existing OUT untouched.

Exit codes: 0 ok; 1 the output cannot be written; 2 bad option (an output
not named .svg among them), missing or malformed input (shown as
file:line:col), or a request over a limit; 130 interrupted.";

/// Options of `tapir contour`.
#[derive(Args, Debug, Clone)]
pub struct ContourArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Output SVG file. Default: INPUT with its extension replaced by .svg.
    /// Example: -o out/gear.svg
    #[arg(short = 'o', long = "output", value_name = "OUT.svg")]
    pub output: Option<PathBuf>,

    #[command(flatten)]
    pub frame: FrameArgs,

    #[command(flatten)]
    pub params: ParamArgs,

    #[command(flatten)]
    pub eval: EvalArgs,
}

/// Runs `tapir contour`.
pub fn run(args: ContourArgs) -> Result<(), Failure> {
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| args.input.input.with_extension("svg"));
    let is_svg = out
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    if !is_svg {
        return Err(Failure::bad(format!(
            "`{}`: contours are written as SVG; name the output .svg",
            out.display()
        )));
    }
    let out = destination(Some(&out), &args.input, "svg")?;
    let cancel = interrupt::install();
    let loaded = input::load(&args.input)?;
    args.params.check(&loaded.shape)?;
    let (width, height) = args.frame.dims();
    let grid = Grid2::new(args.frame.bounds, width, height);
    let counters = progress::counters();
    let opts = EvalOptions {
        z: args.frame.z,
        cancel: Some(cancel.clone()),
        params: args.params.set.clone(),
        progress: Some(counters.clone()),
        ..args.eval.options()
    };
    let start = Instant::now();
    let contours = {
        let _progress = Progress::start(&counters, "contouring");
        loaded
            .shape
            .contours(&grid, &opts)
            .map_err(|e| Failure::from_lib(e, &loaded.display))?
    };
    let elapsed = start.elapsed();
    if interrupt::requested(&cancel) {
        return Err(Failure::interrupted());
    }
    output::write_atomic(&out, &cancel, |w| contours.write_svg(w))?;
    let loops = contours.loops.len();
    say(&format!(
        "tapir: {} → {}: {loops} loop{}, {} points, area {:.6}, {width}×{height} in {:.3} s, \
         {}",
        loaded.display,
        out.display(),
        if loops == 1 { "" } else { "s" },
        contours.point_count(),
        contours.area(),
        elapsed.as_secs_f64(),
        args.eval.summary(),
    ));
    if loops == 0 {
        say("warning: the shape has no boundary within the bounds; the SVG is empty");
    }
    Ok(())
}
