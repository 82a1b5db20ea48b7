//! `tapir export`: converts a shape between `.expr` and `.vm`.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use tapir::{Shape, lang};

use super::args::{InputArgs, ParamArgs};
use super::input::{self, Format};
use super::{Failure, interrupt, output};

/// Shown under `tapir export --help`.
pub const AFTER_HELP: &str = "\
Examples:
  tapir export shapes/examples/gear.expr -o gear.vm
  tapir export ../shared/models/prospero.vm --to expr > prospero.expr
  tapir export part.expr -o part.vm --set r=0.3       # parameters bound to values

A .vm file is the compiled SSA tape in Fidget's format (constants folded,
common parts shared); .expr output is a readable program with `let`s for
shared parts. The .vm format has no parameters: each is written as a
constant at its value (the default, or the --set one) with a comment naming
it. In .expr output parameters stay parameters, with the --set values as
their defaults. The output file is replaced atomically, as with `render`.";

/// Options of `tapir export`.
#[derive(Args, Debug, Clone)]
pub struct ExportArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Output file. Default: standard output (then --to is required).
    /// Example: -o shape.vm
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: Option<PathBuf>,

    /// Output format: vm or expr. Default: from the extension of -o.
    /// Example: --to expr
    #[arg(long, value_name = "FORMAT")]
    pub to: Option<Format>,

    #[command(flatten)]
    pub params: ParamArgs,
}

/// The output format named by `--to` or by the extension of `out`.
fn target(to: Option<Format>, out: Option<&Path>) -> Result<Format, Failure> {
    if let Some(f) = to {
        return Ok(f);
    }
    let Some(out) = out else {
        return Err(Failure::bad(
            "writing to standard output needs --to vm or --to expr",
        ));
    };
    match out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("vm") => Ok(Format::Vm),
        Some("expr") => Ok(Format::Expr),
        _ => Err(Failure::bad(format!(
            "cannot tell the output format from `{}`: name it `.vm` or `.expr`, or pass --to vm|expr",
            out.display()
        ))),
    }
}

/// Runs `tapir export`.
pub fn run(args: ExportArgs) -> Result<(), Failure> {
    let to = target(args.to, args.output.as_deref())?;
    if let Some(out) = &args.output {
        output::check_destination(out)?;
        if let (Ok(a), Ok(b)) = (out.canonicalize(), args.input.input.canonicalize())
            && a == b
        {
            return Err(Failure::bad(format!(
                "output `{}` is the input file; choose another",
                out.display()
            )));
        }
    }
    let mut parsed = input::parse(&args.input)?;
    let shape = Shape::from_graph(&parsed.graph, parsed.root);
    let values = args.params.check(&shape)?;
    let text = match to {
        Format::Vm => lang::write_vm_with_params(shape.ssa_tape(), shape.params(), &values),
        Format::Expr => {
            let params = shape
                .params()
                .iter()
                .zip(&values)
                .map(|(p, &v)| tapir::graph::Param {
                    default: v,
                    ..p.clone()
                })
                .collect();
            parsed.graph.set_params(params);
            lang::write_expr(&parsed.graph, parsed.root)
        }
    };
    match &args.output {
        Some(out) => {
            let cancel = interrupt::install();
            output::write_atomic(out, &cancel, |w| w.write_all(text.as_bytes()))
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|e| Failure::failed(format!("cannot write to standard output: {e}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(target(Some(Format::Expr), None).ok(), Some(Format::Expr));
        assert_eq!(target(None, Some(Path::new("a.VM"))).ok(), Some(Format::Vm));
        assert_eq!(
            target(Some(Format::Vm), Some(Path::new("a.expr"))).ok(),
            Some(Format::Vm)
        );
        assert!(target(None, None).unwrap_err().message.contains("--to"));
        assert!(
            target(None, Some(Path::new("a.txt")))
                .unwrap_err()
                .message
                .contains("a.txt")
        );
    }
}
