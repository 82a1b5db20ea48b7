//! Reading the input shape: `.expr` or `.vm`, told apart by the extension,
//! by `--format`, or by sniffing the text.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use clap::ValueEnum;
use tapir::Shape;
use tapir::graph::{Graph, NodeId};
use tapir::lang;

use super::Failure;
use super::args::InputArgs;

/// Input files larger than this are refused (a shape, not a data dump).
const MAX_INPUT_BYTES: u64 = 256 << 20;

/// The two input languages.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A `.expr` program.
    Expr,
    /// A Fidget `.vm` tape.
    Vm,
}

impl Format {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Format::Expr => "expr",
            Format::Vm => "vm",
        }
    }
}

/// A compiled input shape.
pub struct Loaded {
    /// The shape.
    pub shape: Shape,
    /// The language it was read as.
    pub format: Format,
    /// The path as the user gave it, for messages.
    pub display: String,
}

/// A parsed input, before compilation.
pub struct Parsed {
    /// The expression graph.
    pub graph: Graph,
    /// The shape's node in it.
    pub root: NodeId,
    /// The language it was read as.
    pub format: Format,
    /// The path as the user gave it, for messages.
    pub display: String,
}

/// Reads and parses the input named by `args`.
pub fn parse(args: &InputArgs) -> Result<Parsed, Failure> {
    let path = &args.input;
    let display = path.display().to_string();
    let src = read_text(path, &display)?;
    let format = match args.format {
        Some(f) => f,
        None => detect(path, &src, &display)?,
    };
    let (graph, root) = match format {
        Format::Expr => lang::parse_expr(&src),
        Format::Vm => lang::parse_vm(&src),
    }
    .map_err(|e| Failure::from_lib(tapir::Error::Source(e), &display))?;
    Ok(Parsed {
        graph,
        root,
        format,
        display,
    })
}

/// Reads, parses and compiles the input named by `args`.
pub fn load(args: &InputArgs) -> Result<Loaded, Failure> {
    let p = parse(args)?;
    let shape = Shape::from_graph(&p.graph, p.root);
    Ok(Loaded {
        shape,
        format: p.format,
        display: p.display,
    })
}

/// Reads a file as UTF-8 text, refusing directories, huge files and binary
/// data with a message that names the file.
fn read_text(path: &Path, display: &str) -> Result<String, Failure> {
    let file = File::open(path)
        .map_err(|e| Failure::bad(format!("cannot read input `{display}`: {e}")))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(Failure::bad(format!(
            "input `{display}` is a folder, not a shape file"
        )));
    }
    let mut bytes = Vec::new();
    file.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::bad(format!("cannot read input `{display}`: {e}")))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(Failure::bad(format!(
            "input `{display}` is larger than {} MiB; is it really a shape?",
            MAX_INPUT_BYTES >> 20
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        Failure::bad(format!(
            "input `{display}` is not UTF-8 text (bad byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// The format of `path`: by extension, else by sniffing `src`.
fn detect(path: &Path, src: &str, display: &str) -> Result<Format, Failure> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("expr") => Ok(Format::Expr),
        Some("vm") => Ok(Format::Vm),
        _ if looks_like_vm(src) => Ok(Format::Vm),
        _ => {
            let what = match &ext {
                Some(e) => format!("its extension `.{e}`"),
                None => "its name (no extension)".to_string(),
            };
            Err(Failure::bad(format!(
                "cannot tell the format of `{display}` from {what}: name it `.expr` or `.vm`, or pass --format expr|vm"
            )))
        }
    }
}

/// True if the first line that is not blank or a `#` comment looks like a
/// `.vm` instruction: `_<id> <opcode> ...`, e.g. `_0 const 2.95`.
pub fn looks_like_vm(src: &str) -> bool {
    let Some(line) = src
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
    else {
        return false;
    };
    let mut words = line.split_whitespace();
    let (Some(id), Some(op)) = (words.next(), words.next()) else {
        return false;
    };
    id.len() > 1
        && id.starts_with('_')
        && id[1..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        && op.chars().all(|c| c.is_ascii_lowercase() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert!(looks_like_vm("# comment\n\n_0 const 2.95\n_1 var-x\n"));
        assert!(looks_like_vm("_a1 var-x"));
        assert!(!looks_like_vm("sqrt(x*x + y*y) - 0.5"));
        assert!(!looks_like_vm("let _a = x;"));
        assert!(!looks_like_vm(""));
        assert!(!looks_like_vm("_ const 1"));
        assert!(!looks_like_vm("\u{0}\u{1}"));
    }

    #[test]
    fn detection_by_extension() {
        let d = |p: &str, s: &str| detect(Path::new(p), s, p).map_err(|f| f.message);
        assert_eq!(d("a.expr", "_0 const 1"), Ok(Format::Expr));
        assert_eq!(d("a.VM", "x"), Ok(Format::Vm));
        assert_eq!(d("a.txt", "_0 const 1"), Ok(Format::Vm));
        let e = d("a.txt", "x + y").unwrap_err();
        assert!(e.contains(".txt") && e.contains(".expr"), "{e}");
        assert!(d("noext", "x").unwrap_err().contains("no extension"));
    }
}
