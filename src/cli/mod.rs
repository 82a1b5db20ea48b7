//! The command line: argument definitions, dispatch to the subcommands, and
//! the mapping from failures to messages and exit codes.
//!
//! Exit codes (also listed in `tapir --help`):
//!
//! - 0: success;
//! - 1: a failure while running: the output could not be written, or the
//!   benchmark's configurations disagreed;
//! - 2: the request is wrong: a bad option, an input file that is missing,
//!   unreadable or malformed, or a request over a limit;
//! - 130: interrupted by Ctrl-C (SIGINT).

mod args;
mod bench;
mod contour;
mod export;
mod info;
mod input;
mod interrupt;
mod mesh;
mod output;
mod progress;
mod render;
mod render3d;
mod report;
mod shapes;

use std::fmt;
use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Shown under every `--help`: how to start, and what the exit codes mean.
const AFTER_HELP: &str = "\
Examples:
  tapir render shapes/examples/gear.expr -o gear.png --size 512
  tapir render shapes/examples/gear.expr -o gear.png --mode field
  tapir render3d shapes/examples/colonnade.expr -o colonnade.png --yaw 30 --pitch 20
  tapir mesh shapes/examples/pawn.expr -o pawn.stl --depth 8     # also .obj, .ply, .3mf
  tapir contour shapes/examples/gear.expr -o gear.svg --size 1024
  tapir shapes                      # the standard library: circle, star, torus, smooth_union, ...
  tapir shapes polygon              # one function with an example
  tapir info shapes/examples/gear.expr
  tapir bench ../shared/models/prospero.vm --size 512 --runs 3

Exit codes:
  0    success
  1    failure while running (cannot write the output; bench configurations disagree)
  2    bad request: bad option, missing/unreadable/malformed input, over a limit
  130  interrupted (Ctrl-C)";

/// tapir: evaluates implicit surfaces (signed-distance functions) with a
/// tail-call interpreter.
///
/// A shape is a `.expr` program (e.g. `sqrt(x*x + y*y) - 0.5`, negative
/// inside) or a Fidget `.vm` tape. Render it to a PNG, mesh it (STL, OBJ,
/// PLY, 3MF), outline it as SVG, benchmark the
/// interpreter's dispatch styles on it, look at its compiled tape, or
/// convert it.
#[derive(Parser, Debug)]
#[command(name = "tapir", version, after_help = AFTER_HELP, arg_required_else_help = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Render a shape's z-slice to a PNG (inside black, outside white).
    #[command(after_help = render::AFTER_HELP)]
    Render(render::RenderArgs),
    /// Render a shape in 3D to a PNG: shaded, normals or depth.
    #[command(name = "render3d", after_help = render3d::AFTER_HELP)]
    Render3d(render3d::Render3dArgs),
    /// Mesh a shape's surface: a closed STL, OBJ, PLY or 3MF file.
    #[command(after_help = mesh::AFTER_HELP)]
    Mesh(mesh::MeshArgs),
    /// Outline a shape's z-slice: closed, oriented polylines as SVG.
    #[command(after_help = contour::AFTER_HELP)]
    Contour(contour::ContourArgs),
    /// Time the dispatch styles, pruning and thread counts on one shape.
    #[command(after_help = bench::AFTER_HELP)]
    Bench(bench::BenchArgs),
    /// Print the size of a shape's compiled tape.
    #[command(after_help = info::AFTER_HELP)]
    Info(info::InfoArgs),
    /// Convert a shape between .expr and .vm.
    #[command(after_help = export::AFTER_HELP)]
    Export(export::ExportArgs),
    /// List the standard library's shapes and operations, or show one.
    #[command(after_help = shapes::AFTER_HELP)]
    Shapes(shapes::ShapesArgs),
}

/// Why a command failed: a message for the user and the exit code.
#[derive(Debug)]
pub struct Failure {
    /// Exit code (see the module documentation).
    pub code: u8,
    /// The full message, printed to stderr as is (ends without a newline).
    pub message: String,
}

/// Exit code for a failure while running.
pub const EXIT_FAILED: u8 = 1;
/// Exit code for a bad request.
pub const EXIT_BAD_REQUEST: u8 = 2;
/// Exit code after Ctrl-C.
pub const EXIT_INTERRUPTED: u8 = 130;

impl Failure {
    /// A bad request (exit 2); `message` is one sentence.
    pub fn bad(message: impl fmt::Display) -> Self {
        Failure {
            code: EXIT_BAD_REQUEST,
            message: format!("error: {message}"),
        }
    }

    /// A failure while running (exit 1).
    pub fn failed(message: impl fmt::Display) -> Self {
        Failure {
            code: EXIT_FAILED,
            message: format!("error: {message}"),
        }
    }

    /// Interrupted by Ctrl-C (exit 130).
    pub fn interrupted() -> Self {
        Failure {
            code: EXIT_INTERRUPTED,
            message: "interrupted".to_string(),
        }
    }

    /// Maps a library error; `path` names the input file for source errors.
    pub fn from_lib(e: tapir::Error, path: &str) -> Self {
        match e {
            tapir::Error::Source(s) => Failure {
                code: EXIT_BAD_REQUEST,
                message: s.render(path).trim_end().to_string(),
            },
            tapir::Error::Limit(m) | tapir::Error::Param(m) => Failure::bad(m),
            tapir::Error::Tape(m) => {
                Failure::failed(format!("internal error in the compiled tape: {m}"))
            }
            tapir::Error::Io(e) => Failure::failed(e),
            tapir::Error::Interrupted => Failure::interrupted(),
        }
    }
}

/// Writes `text` to stdout. A reader that went away (`tapir info x | head
/// -1`) is not an error; other write failures are.
pub fn print_out(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::failed(format!(
            "cannot write to standard output: {e}"
        ))),
        _ => Ok(()),
    }
}

/// Writes a line to stderr, ignoring failures (there is nowhere else to
/// report them).
pub fn say(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// Parses the command line, runs the command, and turns its outcome into an
/// exit code (printing any failure to stderr).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Render(a) => render::run(a),
        Command::Render3d(a) => render3d::run(a),
        Command::Mesh(a) => mesh::run(a),
        Command::Contour(a) => contour::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Info(a) => info::run(a),
        Command::Export(a) => export::run(a),
        Command::Shapes(a) => shapes::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            say(&f.message);
            ExitCode::from(f.code)
        }
    }
}
