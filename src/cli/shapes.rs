//! `tapir shapes`: the standard library, listed or one function in full.

use clap::Args;
use tapir::Shape;
use tapir::lang::{self, GROUPS, StdlibFunction, stdlib_functions};

use super::{Failure, print_out};

/// Shown under `tapir shapes --help`.
pub const AFTER_HELP: &str = "\
Examples:
  tapir shapes                 # every function, grouped, with its doc line
  tapir shapes star            # one function: signature, doc, an example and a preview
  tapir shapes --markdown      # the list as the Markdown tables of shapes/README.md

Every function says whether its value is the exact distance to the surface or
a bound (never more than the distance), which is what sphere tracing and
pruning need. The language itself is described in shapes/README.md.";

/// Options of `tapir shapes`.
#[derive(Args, Debug, Clone)]
pub struct ShapesArgs {
    /// A function to show in full, with an example. Default: list them all.
    /// Example: tapir shapes capped_torus
    #[arg(value_name = "NAME")]
    pub name: Option<String>,

    /// Print the list as Markdown tables (the ones in shapes/README.md).
    #[arg(long, conflicts_with = "name")]
    pub markdown: bool,
}

/// Runs `tapir shapes`.
pub fn run(args: ShapesArgs) -> Result<(), Failure> {
    let all = stdlib_functions();
    match &args.name {
        None if args.markdown => print_out(&markdown(&all)),
        None => print_out(&listing(&all)),
        Some(name) => match all.iter().find(|f| f.name == name) {
            Some(f) => print_out(&details(f)),
            None if lang::builtin_names().contains(&name.as_str()) => Err(Failure::bad(format!(
                "`{name}` is a builtin operation, not a library function: see the Builtins table in shapes/README.md"
            ))),
            None => {
                let mut names: Vec<&str> = all.iter().map(|f| f.name).collect();
                names.extend(lang::builtin_names());
                let hint = match lang::closest_name(name, names) {
                    Some(c) => format!("; did you mean `{c}`?"),
                    None => String::new(),
                };
                Err(Failure::bad(format!(
                    "no library function is called `{name}`{hint} (`tapir shapes` lists them all)"
                )))
            }
        },
    }
}

/// Every function, by group: signature and doc line.
fn listing(all: &[StdlibFunction]) -> String {
    let mut out = String::new();
    for group in GROUPS {
        let fs: Vec<&StdlibFunction> = all.iter().filter(|f| f.group() == group).collect();
        let width = fs.iter().map(|f| f.signature().len()).max().unwrap_or(0);
        out.push_str(&format!("{group}:\n"));
        for f in fs {
            out.push_str(&format!("  {:width$}  {}\n", f.signature(), f.doc));
        }
        out.push('\n');
    }
    out.push_str("`tapir shapes NAME` shows one function with an example.\n");
    out
}

/// The Markdown tables of `shapes/README.md`, one per group.
pub fn markdown(all: &[StdlibFunction]) -> String {
    let mut out = String::new();
    for group in GROUPS {
        out.push_str(&format!(
            "### {group}\n\n| function | description |\n| --- | --- |\n"
        ));
        for f in all.iter().filter(|f| f.group() == group) {
            out.push_str(&format!(
                "| `{}` | {} |\n",
                f.signature(),
                f.doc.replace('|', "\\|")
            ));
        }
        out.push('\n');
    }
    out
}

/// One function: signature, doc, file, example and a preview of the
/// example's z = 0 slice.
fn details(f: &StdlibFunction) -> String {
    let mut out = format!(
        "{}    ({}, {})\n\n{}\n\nExample:\n  {}\n",
        f.signature(),
        f.group(),
        f.file,
        f.doc,
        f.example
    );
    if let Ok(shape) = Shape::from_expr(&f.example) {
        out.push_str("\nThe example in [-1, 1]² (z = 0; # inside):\n");
        out.push_str(&preview(&shape, 48, 24));
    }
    out
}

/// A text picture of the shape's z = 0 slice over [-1, 1]²: `#` inside,
/// `.` outside.
fn preview(shape: &Shape, w: usize, h: usize) -> String {
    let mut out = String::new();
    for j in 0..h {
        out.push_str("  ");
        let y = 1.0 - 2.0 * (j as f32 + 0.5) / h as f32;
        for i in 0..w {
            let x = -1.0 + 2.0 * (i as f32 + 0.5) / w as f32;
            out.push(if shape.eval_point(x, y, 0.0) < 0.0 {
                '#'
            } else {
                '.'
            });
        }
        out.push('\n');
    }
    out
}
