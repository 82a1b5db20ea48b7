//! `tapir mesh`: a shape's surface as a closed triangle mesh, written as
//! STL, OBJ, PLY or 3MF (by the output's extension).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use tapir::mesh::{MeshFormat, MeshSettings};
use tapir::render::{Bounds3, EvalOptions, RenderStats};

use super::args::{EvalArgs, InputArgs, ParamArgs, parse_bounds3};
use super::progress::{self, Progress};
use super::render::same_file;
use super::{Failure, input, interrupt, output, say};

/// Shown under `tapir mesh --help`.
pub const AFTER_HELP: &str = "\
Examples:
  tapir mesh shapes/examples/pawn.expr -o pawn.stl
  tapir mesh shapes/examples/organic.expr -o organic.3mf --depth 8
  tapir mesh part.vm -o part.obj --bounds=-2,2,-2,2,0,1 --tolerance 0
  tapir mesh vase.expr -o vase.ply --depth 9 --threads 2 --set wall=0.04

Formats (by the extension of OUT): .stl binary STL; .obj Wavefront OBJ with
vertex normals; .ply binary PLY with normals; .3mf 3D Manufacturing Format
(zipped XML, millimetres), what most slicers prefer. OBJ, PLY and 3MF share
vertices between triangles; STL repeats them.

The mesh is of the shape intersected with the --bounds box, so a shape that
leaves the box is capped at its faces and the mesh is always closed:
every edge is shared by exactly two triangles, wound counter-clockwise seen
from outside. --depth N gives 2^N cells per axis at the finest level; flat
and gently curved regions are merged into larger cells while the fit error
stays under --tolerance (model units; 0 keeps every cell fine).

The file is written to a temporary file in the same folder and renamed over
OUT only when complete: a failed or interrupted run (Ctrl-C, exit code 130)
leaves any existing OUT untouched. A one-line summary (triangles, vertices,
time) goes to stderr; runs longer than a second show a progress bar when
stderr is a terminal.

Exit codes: 0 ok; 1 the output cannot be written; 2 bad option (an unknown
extension among them, refused before any work), missing or malformed input
(shown as file:line:col), or a request over a limit (--depth above 16, more
memory than half the machine's); 130 interrupted.";

/// The deepest octree `tapir mesh` accepts.
const MAX_DEPTH: u32 = 16;

/// Options of `tapir mesh`.
#[derive(Args, Debug, Clone)]
pub struct MeshArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Output mesh: .stl, .obj, .ply or .3mf. Default: INPUT with its
    /// extension replaced by .stl. Example: -o out/part.3mf
    #[arg(short = 'o', long = "output", value_name = "OUT.{stl,obj,ply,3mf}")]
    pub output: Option<PathBuf>,

    /// Octree depth: 2^N cells per axis at the finest level. Default: 7.
    /// Example: --depth 8
    #[arg(long, value_name = "N", default_value = "7", value_parser = parse_depth, hide_default_value = true)]
    pub depth: u32,

    /// The box meshed, as x0,x1,y0,y1,z0,z1; the mesh is capped at its
    /// faces. Default: -1,1,-1,1,-1,1. Example: --bounds=-2,2,-2,2,0,1
    #[arg(long, value_name = "X0,X1,Y0,Y1,Z0,Z1", default_value = "-1,1,-1,1,-1,1", value_parser = parse_bounds3, allow_hyphen_values = true, hide_default_value = true)]
    pub bounds: Bounds3,

    /// Largest fit error (model units) at which 8 cells merge into one; 0
    /// keeps every cell at the finest level. Default: 1e-4. Example:
    /// --tolerance 0.001
    #[arg(long, value_name = "T", default_value = "1e-4", value_parser = parse_tolerance, hide_default_value = true)]
    pub tolerance: f32,

    #[command(flatten)]
    pub params: ParamArgs,

    #[command(flatten)]
    pub eval: EvalArgs,

    /// Print where the work went (interval evaluations, prunings, slice
    /// evaluations) to stderr. Example: --stats
    #[arg(long)]
    pub stats: bool,
}

/// Parses an octree depth: 1 ..= [`MAX_DEPTH`].
fn parse_depth(s: &str) -> Result<u32, String> {
    let d: u64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a whole number (the octree depth, e.g. 7)"))?;
    if d == 0 || d > u64::from(MAX_DEPTH) {
        return Err(format!(
            "depth {d} is out of range: from 1 to {MAX_DEPTH} (2^depth cells per axis)"
        ));
    }
    Ok(d as u32)
}

/// Parses a tolerance: finite and not negative.
fn parse_tolerance(s: &str) -> Result<f32, String> {
    let t: f32 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number"))?;
    if !t.is_finite() || t < 0.0 {
        return Err(format!(
            "tolerance {s} must be a finite number, 0 or more (model units)"
        ));
    }
    Ok(t)
}

/// The output path and its format, checked before any work.
pub fn destination(
    output: Option<&PathBuf>,
    input: &InputArgs,
    default_ext: &str,
) -> Result<PathBuf, Failure> {
    let out = output
        .cloned()
        .unwrap_or_else(|| input.input.with_extension(default_ext));
    if same_file(&out, &input.input) {
        return Err(Failure::bad(format!(
            "output `{}` is the input file; choose another with -o",
            out.display()
        )));
    }
    output::check_destination(&out)?;
    Ok(out)
}

/// Runs `tapir mesh`.
pub fn run(args: MeshArgs) -> Result<(), Failure> {
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| args.input.input.with_extension("stl"));
    // The format first: a bad extension is refused before any work.
    let format = MeshFormat::from_path(&out).map_err(|e| Failure::bad(e.to_string()))?;
    let out = destination(Some(&out), &args.input, "stl")?;
    let cancel = interrupt::install();
    let loaded = input::load(&args.input)?;
    args.params.check(&loaded.shape)?;
    let counters = progress::counters();
    let stats = args.stats.then(|| Arc::new(RenderStats::default()));
    let settings = MeshSettings {
        bounds: args.bounds,
        depth: args.depth,
        tolerance: args.tolerance,
        eval: EvalOptions {
            cancel: Some(cancel.clone()),
            params: args.params.set.clone(),
            progress: Some(counters.clone()),
            stats: stats.clone(),
            ..args.eval.options()
        },
    };
    let start = Instant::now();
    let mesh = {
        let _progress = Progress::start(&counters, "meshing");
        loaded
            .shape
            .mesh(&settings)
            .map_err(|e| Failure::from_lib(e, &loaded.display))?
    };
    let elapsed = start.elapsed();
    if interrupt::requested(&cancel) {
        return Err(Failure::interrupted());
    }
    if let Some(s) = &stats {
        say(&s.summary());
    }
    let write_start = Instant::now();
    output::write_atomic(&out, &cancel, |w| mesh.write(format, w))?;
    say(&format!(
        "tapir: {} → {}: {} triangles, {} vertices ({format}), depth {} in {:.3} s \
         (+{:.3} s write), {}",
        loaded.display,
        out.display(),
        mesh.triangles.len(),
        mesh.vertices.len(),
        args.depth,
        elapsed.as_secs_f64(),
        write_start.elapsed().as_secs_f64(),
        args.eval.summary(),
    ));
    if mesh.triangles.is_empty() {
        say("warning: the shape has no surface within the bounds; the mesh is empty");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsers() {
        assert_eq!(parse_depth("8"), Ok(8));
        assert!(parse_depth("0").unwrap_err().contains("1 to 16"));
        assert!(parse_depth("17").unwrap_err().contains("17"));
        assert!(parse_depth("x").is_err());
        assert_eq!(parse_tolerance("0"), Ok(0.0));
        assert!(parse_tolerance("-1").is_err());
        assert!(parse_tolerance("nan").is_err());
    }
}
