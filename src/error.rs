//! Errors: every failure is a value with a message a user can act on.
//!
//! Input errors ([`SourceError`]) carry a 1-based line and column and the text
//! of the offending line, and render as `file:line:col` with a caret under the
//! spot. Nothing in tapir panics on bad input.

use std::fmt;

/// A problem at a place in some source text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceError {
    /// What is wrong, as one sentence without a trailing period.
    pub message: String,
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub col: usize,
    /// The text of the line (without its newline), for the caret display.
    pub line_text: String,
}

impl SourceError {
    /// An error at byte offset `offset` of `src`.
    pub fn at(src: &str, offset: usize, message: impl Into<String>) -> Self {
        let offset = offset.min(src.len());
        let offset = (0..=offset)
            .rev()
            .find(|&o| src.is_char_boundary(o))
            .unwrap_or(0);
        let line_start = src[..offset].rfind('\n').map_or(0, |i| i + 1);
        let line_end = src[offset..].find('\n').map_or(src.len(), |i| offset + i);
        let line = src[..line_start].matches('\n').count() + 1;
        let col = src[line_start..offset].chars().count() + 1;
        SourceError {
            message: message.into(),
            line,
            col,
            line_text: src[line_start..line_end].trim_end_matches('\r').to_string(),
        }
    }

    /// Renders the error for a terminal, naming `path`:
    ///
    /// ```text
    /// error: unknown function `sqr`
    ///  --> shape.expr:2:9
    ///   |
    /// 2 | let r = sqr(x);
    ///   |         ^
    /// ```
    pub fn render(&self, path: &str) -> String {
        let num = self.line.to_string();
        let pad = " ".repeat(num.len());
        let caret_pad: String = self
            .line_text
            .chars()
            .take(self.col.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        format!(
            "error: {}\n{pad}--> {path}:{}:{}\n{pad} |\n{num} | {}\n{pad} | {caret_pad}^\n",
            self.message, self.line, self.col, self.line_text
        )
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.message)
    }
}

impl std::error::Error for SourceError {}

/// Any error tapir reports.
#[derive(Debug)]
pub enum Error {
    /// Bad input text.
    Source(SourceError),
    /// A request that exceeds a limit (image size, memory budget, threads…).
    Limit(String),
    /// A tape that breaks an invariant (see [`crate::tape::RegTape`]).
    Tape(String),
    /// Reading or writing a file failed.
    Io(std::io::Error),
    /// The operation was interrupted (Ctrl-C).
    Interrupted,
    /// A parameter value that the shape does not accept: an unknown name,
    /// or a value outside the declared range (the message says which).
    Param(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Source(e) => e.fmt(f),
            Error::Limit(m) | Error::Tape(m) | Error::Param(m) => f.write_str(m),
            Error::Io(e) => e.fmt(f),
            Error::Interrupted => f.write_str("interrupted"),
        }
    }
}

impl std::error::Error for Error {}

impl From<SourceError> for Error {
    fn from(e: SourceError) -> Self {
        Error::Source(e)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column() {
        let src = "let a = 1;\nlet b = foo(x);\n";
        let e = SourceError::at(src, src.find("foo").unwrap(), "unknown function `foo`");
        assert_eq!((e.line, e.col), (2, 9));
        assert_eq!(e.line_text, "let b = foo(x);");
        let r = e.render("s.expr");
        assert!(r.contains("s.expr:2:9"), "{r}");
        assert!(r.contains("2 | let b = foo(x);\n  |         ^\n"), "{r}");
    }

    #[test]
    fn offset_at_end() {
        let e = SourceError::at("x +", 3, "expected an expression");
        assert_eq!((e.line, e.col), (1, 4));
    }
}
