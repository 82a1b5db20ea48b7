//! The standard library: `.expr` files embedded in the binary and defined
//! before every program (see `shapes/std/` and `shapes/README.md`).

use super::lexer::{Lexer, Tok};

/// The library's files, in definition order: `(name, text)`.
pub(crate) const FILES: [(&str, &str); 6] = [
    ("std/math.expr", include_str!("../../shapes/std/math.expr")),
    (
        "std/transforms.expr",
        include_str!("../../shapes/std/transforms.expr"),
    ),
    (
        "std/booleans.expr",
        include_str!("../../shapes/std/booleans.expr"),
    ),
    (
        "std/shapes2d.expr",
        include_str!("../../shapes/std/shapes2d.expr"),
    ),
    (
        "std/shapes3d.expr",
        include_str!("../../shapes/std/shapes3d.expr"),
    ),
    (
        "std/modifiers.expr",
        include_str!("../../shapes/std/modifiers.expr"),
    ),
];

/// One function of the standard library.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StdlibFunction {
    /// Its name.
    pub name: &'static str,
    /// Its parameter names.
    pub params: Vec<&'static str>,
    /// The comment above its definition (without the `#`s), as one line:
    /// what it makes, and whether its value is exact or a bound.
    pub doc: String,
    /// A program using it, from the `# Example:` line of its comment.
    pub example: String,
    /// The library file that defines it (e.g. `std/shapes2d.expr`).
    pub file: &'static str,
}

impl StdlibFunction {
    /// `name(a, b)`.
    pub fn signature(&self) -> String {
        format!("{}({})", self.name, self.params.join(", "))
    }

    /// The group it is listed in: `2D shapes`, `3D shapes`, `Booleans`,
    /// `Modifiers`, `Transforms` or `Helpers` (by its file).
    pub fn group(&self) -> &'static str {
        group_of(self.file)
    }
}

/// The group of the functions of a library file.
fn group_of(file: &str) -> &'static str {
    match file {
        "std/shapes2d.expr" => "2D shapes",
        "std/shapes3d.expr" => "3D shapes",
        "std/booleans.expr" => "Booleans",
        "std/modifiers.expr" => "Modifiers",
        "std/transforms.expr" => "Transforms",
        _ => "Helpers",
    }
}

/// The groups of [`StdlibFunction::group`], in the order they are listed.
pub const GROUPS: [&str; 6] = [
    "2D shapes",
    "3D shapes",
    "Booleans",
    "Modifiers",
    "Transforms",
    "Helpers",
];

/// The comment lines just above offset `at` (the start of a line): the
/// description (joined into one line) and the example.
fn doc_above(text: &str, at: usize) -> (String, String) {
    let mut lines: Vec<&str> = Vec::new();
    let mut example = String::new();
    for line in text.get(..at).unwrap_or("").lines().rev() {
        let t = line.trim();
        match t.strip_prefix('#') {
            Some(c) => match c.trim().strip_prefix("Example:") {
                Some(e) => example = e.trim().to_string(),
                None => lines.push(c.trim()),
            },
            None => break,
        }
    }
    lines.reverse();
    (lines.join(" "), example)
}

/// Every function of the standard library, in definition order, except
/// the internal helpers (whose names start with `_`).
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
            if name.starts_with('_') {
                continue;
            }
            let mut params = Vec::new();
            for p in toks.iter().skip(i + 3) {
                match p.tok {
                    Tok::Ident => params.push(&text[p.start..p.end]),
                    Tok::Comma => {}
                    _ => break,
                }
            }
            let line_start = text[..t.start].rfind('\n').map_or(0, |k| k + 1);
            let (doc, example) = doc_above(text, line_start);
            out.push(StdlibFunction {
                name,
                params,
                doc,
                example,
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
