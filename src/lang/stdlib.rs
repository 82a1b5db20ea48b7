//! The standard library: `.expr` files embedded in the binary and defined
//! before every program (see `shapes/std/` and `shapes/README.md`).

use super::lexer::{Lexer, Tok};

/// The library's files, in definition order: `(name, text)`.
pub(crate) const FILES: [(&str, &str); 4] = [
    ("std/math.expr", include_str!("../../shapes/std/math.expr")),
    (
        "std/shapes2d.expr",
        include_str!("../../shapes/std/shapes2d.expr"),
    ),
    (
        "std/shapes3d.expr",
        include_str!("../../shapes/std/shapes3d.expr"),
    ),
    ("std/ops.expr", include_str!("../../shapes/std/ops.expr")),
];

/// One function of the standard library.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StdlibFunction {
    /// Its name.
    pub name: &'static str,
    /// Its parameter names.
    pub params: Vec<&'static str>,
    /// The comment above its definition (without the `#`s), as one line.
    pub doc: String,
    /// The library file that defines it (e.g. `std/shapes2d.expr`).
    pub file: &'static str,
}

impl StdlibFunction {
    /// `name(a, b)`.
    pub fn signature(&self) -> String {
        format!("{}({})", self.name, self.params.join(", "))
    }
}

/// The comment lines just above offset `at` (the start of a line).
fn doc_above(text: &str, at: usize) -> String {
    let mut lines: Vec<&str> = Vec::new();
    for line in text.get(..at).unwrap_or("").lines().rev() {
        let t = line.trim();
        match t.strip_prefix('#') {
            Some(c) => lines.push(c.trim()),
            None => break,
        }
    }
    lines.reverse();
    lines.join(" ")
}

/// Every function of the standard library, in definition order.
pub fn stdlib_functions() -> Vec<StdlibFunction> {
    let mut out = Vec::new();
    for &(file, text) in FILES.iter() {
        let mut lex = Lexer::new(text, 0);
        let mut toks = Vec::new();
        while let Ok(t) = lex.next_token() {
            if t.tok == Tok::Eof {
                break;
            }
            toks.push(t);
        }
        for (i, t) in toks.iter().enumerate() {
            if t.tok != Tok::Fn {
                continue;
            }
            let Some(name_tok) = toks.get(i + 1).filter(|n| n.tok == Tok::Ident) else {
                continue;
            };
            let name = &text[name_tok.start..name_tok.end];
            let mut params = Vec::new();
            for p in toks.iter().skip(i + 3) {
                match p.tok {
                    Tok::Ident => params.push(&text[p.start..p.end]),
                    Tok::Comma => {}
                    _ => break,
                }
            }
            let line_start = text[..t.start].rfind('\n').map_or(0, |k| k + 1);
            out.push(StdlibFunction {
                name,
                params,
                doc: doc_above(text, line_start),
                file,
            });
        }
    }
    out
}

/// The names of the standard library's functions, in definition order.
pub fn stdlib_names() -> Vec<&'static str> {
    stdlib_functions().into_iter().map(|f| f.name).collect()
}
