//! Tokens of the `.expr` language.
//!
//! The lexer is a cursor over the source that hands out one token at a time;
//! it skips white space and comments (`#` or `//` to the end of the line).

use super::Fail;

/// What a token is.
#[derive(Copy, Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    /// A number literal, already converted.
    Num(f32),
    /// A name (its text is the token's span).
    Ident,
    /// `let`
    Let,
    /// `fn`
    Fn,
    /// `fold`
    Fold,
    /// `for`
    For,
    /// `in`
    In,
    /// `param`
    Param,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `/`
    Slash,
    /// `^`
    Caret,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `,`
    Comma,
    /// `;`
    Semi,
    /// `=`
    Eq,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `..`
    DotDot,
    /// `:`
    Colon,
    /// The end of the source.
    Eof,
}

/// A token and where it is (byte offsets into the source).
#[derive(Copy, Clone, Debug)]
pub(crate) struct Token {
    /// The kind.
    pub tok: Tok,
    /// Offset of the first byte.
    pub start: usize,
    /// Offset just past the last byte.
    pub end: usize,
}

/// A cursor handing out tokens.
pub(crate) struct Lexer<'s> {
    src: &'s str,
    pos: usize,
    /// Which source this is (for errors).
    src_id: usize,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl<'s> Lexer<'s> {
    /// A lexer at the start of `src`.
    pub fn new(src: &'s str, src_id: usize) -> Self {
        Lexer {
            src,
            pos: 0,
            src_id,
        }
    }

    fn byte(&self, i: usize) -> Option<u8> {
        self.src.as_bytes().get(i).copied()
    }

    fn skip_trivia(&mut self) {
        while let Some(b) = self.byte(self.pos) {
            if b.is_ascii_whitespace() {
                self.pos += 1;
            } else if b == b'#' || (b == b'/' && self.byte(self.pos + 1) == Some(b'/')) {
                while let Some(b) = self.byte(self.pos) {
                    if b == b'\n' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.byte(self.pos).is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// The next token.
    pub fn next_token(&mut self) -> Result<Token, Fail> {
        self.skip_trivia();
        let start = self.pos;
        let Some(b) = self.byte(start) else {
            return Ok(Token {
                tok: Tok::Eof,
                start,
                end: start,
            });
        };
        let single = match b {
            b'+' => Some(Tok::Plus),
            b'-' => Some(Tok::Minus),
            b'*' => Some(Tok::Star),
            b'/' => Some(Tok::Slash),
            b'^' => Some(Tok::Caret),
            b'(' => Some(Tok::LParen),
            b')' => Some(Tok::RParen),
            b'{' => Some(Tok::LBrace),
            b'}' => Some(Tok::RBrace),
            b',' => Some(Tok::Comma),
            b';' => Some(Tok::Semi),
            b'=' => Some(Tok::Eq),
            b'[' => Some(Tok::LBracket),
            b']' => Some(Tok::RBracket),
            b':' => Some(Tok::Colon),
            _ => None,
        };
        if let Some(tok) = single {
            self.pos += 1;
            return Ok(Token {
                tok,
                start,
                end: self.pos,
            });
        }
        if b == b'.' && self.byte(start + 1) == Some(b'.') {
            self.pos += 2;
            return Ok(Token {
                tok: Tok::DotDot,
                start,
                end: self.pos,
            });
        }
        if is_ident_start(b) {
            while self.byte(self.pos).is_some_and(is_ident_char) {
                self.pos += 1;
            }
            let tok = match &self.src[start..self.pos] {
                "let" => Tok::Let,
                "fn" => Tok::Fn,
                "fold" => Tok::Fold,
                "for" => Tok::For,
                "in" => Tok::In,
                "param" => Tok::Param,
                _ => Tok::Ident,
            };
            return Ok(Token {
                tok,
                start,
                end: self.pos,
            });
        }
        if b.is_ascii_digit()
            || (b == b'.' && self.byte(start + 1).is_some_and(|c| c.is_ascii_digit()))
        {
            return self.number(start);
        }
        let c = self.src[start..].chars().next().unwrap_or('?');
        let shown = if c.is_control() || c.is_whitespace() {
            format!("{:?}", c)
        } else {
            format!("`{c}`")
        };
        Err(Fail::new(
            self.src_id,
            start,
            format!("unexpected character {shown}"),
        ))
    }

    /// True if the source continues with `..` at `i` (a range, not a
    /// decimal point: `0..n`).
    fn range_at(&self, i: usize) -> bool {
        self.byte(i) == Some(b'.') && self.byte(i + 1) == Some(b'.')
    }

    fn number(&mut self, start: usize) -> Result<Token, Fail> {
        self.digits();
        if self.byte(self.pos) == Some(b'.') && !self.range_at(self.pos) {
            self.pos += 1;
            self.digits();
        }
        if matches!(self.byte(self.pos), Some(b'e' | b'E')) {
            // An exponent only if digits follow (optionally signed).
            let mark = self.pos;
            self.pos += 1;
            if matches!(self.byte(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                self.pos = mark;
            }
        }
        let text = &self.src[start..self.pos];
        if self.byte(self.pos).is_some_and(is_ident_char)
            || (self.byte(self.pos) == Some(b'.') && !self.range_at(self.pos))
        {
            // `2x`, `1e`, `1.2.3`: report the whole run as one bad number.
            let mut end = self.pos;
            while self
                .byte(end)
                .is_some_and(|b| is_ident_char(b) || b == b'.')
            {
                end += 1;
            }
            return Err(Fail::new(
                self.src_id,
                start,
                format!("invalid number `{}`", &self.src[start..end]),
            ));
        }
        match text.parse::<f32>() {
            Ok(v) if v.is_finite() => Ok(Token {
                tok: Tok::Num(v),
                start,
                end: self.pos,
            }),
            Ok(_) => Err(Fail::new(
                self.src_id,
                start,
                format!(
                    "number `{text}` is too large (the largest f32 is about 3.4e38; write `inf` for infinity)"
                ),
            )),
            Err(_) => Err(Fail::new(
                self.src_id,
                start,
                format!("invalid number `{text}`"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        let mut l = Lexer::new(src, 0);
        let mut out = Vec::new();
        loop {
            let t = l.next_token().map_err(|f| f.msg).unwrap();
            out.push(t.tok);
            if t.tok == Tok::Eof {
                return out;
            }
        }
    }

    #[test]
    fn numbers_and_comments() {
        assert_eq!(
            toks("1 0.5 2e-3 .5 1. 3E+2 # c\n// d\nx"),
            vec![
                Tok::Num(1.0),
                Tok::Num(0.5),
                Tok::Num(2e-3),
                Tok::Num(0.5),
                Tok::Num(1.0),
                Tok::Num(300.0),
                Tok::Ident,
                Tok::Eof
            ]
        );
        assert_eq!(
            toks("a/b"),
            vec![Tok::Ident, Tok::Slash, Tok::Ident, Tok::Eof]
        );
        assert_eq!(
            toks("let fn letter"),
            vec![Tok::Let, Tok::Fn, Tok::Ident, Tok::Eof]
        );
        assert_eq!(
            toks("0..n 1. ..2 [a]:"),
            vec![
                Tok::Num(0.0),
                Tok::DotDot,
                Tok::Ident,
                Tok::Num(1.0),
                Tok::DotDot,
                Tok::Num(2.0),
                Tok::LBracket,
                Tok::Ident,
                Tok::RBracket,
                Tok::Colon,
                Tok::Eof
            ]
        );
        assert_eq!(
            toks("fold for in folder"),
            vec![Tok::Fold, Tok::For, Tok::In, Tok::Ident, Tok::Eof]
        );
    }

    #[test]
    fn bad_numbers() {
        for src in ["2x", "1e", "1.2.3", "1e99"] {
            assert!(Lexer::new(src, 0).next_token().is_err(), "{src}");
        }
    }
}
