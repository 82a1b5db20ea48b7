//! Front ends: text ↔ [`crate::graph::Graph`].
//!
//! - [`parse_expr`] reads the `.expr` language (specified in
//!   `shapes/README.md`), with its standard library ([`stdlib_functions`])
//!   available to every program;
//! - [`parse_vm`] and [`write_vm`] read and write Fidget's `.vm` tapes;
//! - [`write_expr`] prints a graph back as a `.expr` program.
//!
//! Nothing here recurses on the depth of the input: expressions are parsed
//! with an explicit operator stack, function calls are instantiated on an
//! explicit frame stack, and printing walks the graph in id order. Every
//! problem with the input is a [`SourceError`] with its line and column.
//!
//! ```
//! use tapir::lang::{parse_expr, write_expr};
//!
//! let (g, root) = parse_expr("let r = 0.5;\nsmooth_union(circle(r), translate(circle(r), 0.6, 0), 0.1)").unwrap();
//! assert!(g.eval(root, [0.0, 0.0, 0.0]) < 0.0);
//! let text = write_expr(&g, root);
//! let (g2, root2) = parse_expr(&text).unwrap();
//! assert_eq!(g2.eval(root2, [0.3, 0.1, 0.0]), g.eval(root, [0.3, 0.1, 0.0]));
//! ```

mod expr;
mod lexer;
mod print;
mod stdlib;
mod suggest;
pub mod vm;

use crate::error::SourceError;
use crate::graph::{Graph, NodeId};

pub use print::write_expr;
pub use stdlib::{GROUPS, StdlibFunction, stdlib_functions, stdlib_names};
pub use suggest::closest_name;
pub use vm::{write_vm, write_vm_with_params};

/// Limits of the `.expr` evaluator (see `shapes/README.md`).
pub mod limits {
    /// Most instructions a program may execute while its functions are
    /// instantiated (a function body counts once per distinct call).
    pub const MAX_STEPS: usize = super::expr::MAX_STEPS;
    /// Most nodes a program's graph may reach.
    pub const MAX_NODES: usize = super::expr::MAX_NODES;
    /// Largest exponent magnitude accepted by `^`.
    pub const MAX_EXPONENT: f32 = super::expr::MAX_EXPONENT;
}

/// The names of the built-in functions of `.expr` (every
/// [`crate::ops::UnaryOp`] and [`crate::ops::BinaryOp`] name, `remap` and `len`).
pub fn builtin_names() -> Vec<&'static str> {
    expr::builtin_names()
}

/// The predefined constants of `.expr` and their values.
pub fn constants() -> Vec<(&'static str, f32)> {
    expr::CONSTANTS.to_vec()
}

/// An error found in one of the sources of a compilation, by index.
#[derive(Clone, Debug)]
pub(crate) struct Fail {
    /// Which source (see `expr::Compiler::sources`).
    pub src: usize,
    /// Byte offset into it.
    pub pos: usize,
    /// The message.
    pub msg: String,
}

impl Fail {
    /// A failure at `pos` of source `src`.
    pub fn new(src: usize, pos: usize, msg: String) -> Self {
        Fail { src, pos, msg }
    }
}

/// Parses a `.expr` program; returns its graph and the shape's node.
///
/// The standard library is defined first; the program may use it without
/// importing anything.
pub fn parse_expr(src: &str) -> Result<(Graph, NodeId), SourceError> {
    let mut sources: Vec<expr::Source<'_>> = stdlib::FILES
        .iter()
        .map(|&(name, text)| expr::Source { name, text })
        .collect();
    let user = sources.len();
    sources.push(expr::Source {
        name: "<input>",
        text: src,
    });
    let mut c = expr::Compiler::new(sources, user);
    let to_error = |c: &expr::Compiler<'_>, f: Fail| -> SourceError {
        match c.sources.get(f.src) {
            Some(s) if f.src != user => SourceError::at(
                s.text,
                f.pos,
                format!("in the standard library ({}): {}", s.name, f.msg),
            ),
            _ => SourceError::at(src, f.pos, f.msg),
        }
    };
    for i in 0..user {
        if let Err(f) = c.compile(i, true) {
            return Err(to_error(&c, f));
        }
    }
    match c.compile(user, false) {
        Ok(Some(root)) => Ok((c.graph, root)),
        Ok(None) => Err(SourceError::at(
            src,
            src.len(),
            "missing the shape expression",
        )),
        Err(f) => Err(to_error(&c, f)),
    }
}

/// Parses a Fidget `.vm` tape; returns its graph and the output node.
///
/// See [`vm`] for the format.
pub fn parse_vm(src: &str) -> Result<(Graph, NodeId), SourceError> {
    vm::parse_vm(src)
}
