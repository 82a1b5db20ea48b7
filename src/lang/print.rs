//! Printing a graph as a `.expr` program.
//!
//! One forward pass over the nodes in id order (children before parents), so
//! depth costs nothing. A node used more than once becomes a `let`; so does a
//! node whose inline text would be too deep or too long, which bounds the
//! nesting of the output. Leaves (x, y, z and constants) are always written
//! in place.
//!
//! The text depends only on the structure of the graph, not on its node
//! numbering: operands of commutative operations are ordered by a
//! structural key. Reading the text back gives the same structure, so
//! printing that again gives the same text.

use crate::graph::{Graph, Node, NodeId, Var};
use crate::ops::{BinaryOp, UnaryOp};

/// Deepest nesting of operations written inline before a `let` is used.
const MAX_INLINE_HEIGHT: u32 = 12;

/// Longest inline text before a `let` is used.
const MAX_INLINE_LEN: usize = 100;

/// Binding strength of printed text (what it can appear under unparenthesised).
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Level {
    Sum = 1,
    Product = 2,
    Prefix = 3,
    Atom = 4,
}

/// A number literal for `v` that reads back as exactly `v`.
fn number(v: f32) -> (String, Level) {
    let neg = v.is_sign_negative();
    let a = v.abs();
    let digits = if a.is_nan() {
        "nan".to_string()
    } else if a.is_infinite() {
        "inf".to_string()
    } else if a != 0.0 && !(1e-5..1e16).contains(&a) {
        format!("{a:e}")
    } else {
        format!("{a}")
    };
    if neg {
        (format!("-{digits}"), Level::Prefix)
    } else {
        (digits, Level::Atom)
    }
}

fn wrap(text: String, level: Level, need: Level) -> String {
    if level < need {
        format!("({text})")
    } else {
        text
    }
}

fn mix(h: u64, v: u64) -> u64 {
    let mut z = (h ^ v).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// How a node is referred to by its users.
enum Text {
    /// Not reachable (or not yet seen).
    None,
    /// Written in place: the text and its level.
    Inline(String, Level),
    /// Bound by `let vN`.
    Named(usize),
}

/// Prints `root` of `graph` as a `.expr` program that [`super::parse_expr`]
/// reads back to the same expression.
///
/// Constants are written so they read back bit for bit (`inf`, `nan` by
/// name; NaN payloads are not kept).
///
/// ```
/// use tapir::graph::{Graph, Var};
/// use tapir::ops::{BinaryOp, UnaryOp};
///
/// let mut g = Graph::new();
/// let x = g.var(Var::X);
/// let s = g.unary(UnaryOp::Sin, x);
/// let twice = g.binary(BinaryOp::Add, s, s);
/// let half = g.constant(-0.5);
/// let root = g.binary(BinaryOp::Mul, twice, half);
/// assert_eq!(tapir::lang::write_expr(&g, root), "# written by tapir\nlet v1 = sin(x);\n(v1 + v1) * (-0.5)\n");
/// ```
pub fn write_expr(graph: &Graph, root: NodeId) -> String {
    let n = root.index() + 1;
    let live = graph.reachable(root);
    let mut uses = vec![0u32; n];
    // Structural key: (height, variables used, hash).
    let mut key = vec![(0u32, 0u8, 0u64); n];
    for i in 0..n {
        if !live[i] {
            continue;
        }
        let id = NodeId::from_index(i);
        key[i] = match graph.node(id) {
            Node::Const(bits) => (0, 0, mix(1, u64::from(bits))),
            Node::Var(v) => (0, 1 << v.index().min(3), mix(2, v.index() as u64)),
            Node::Unary(op, a) => {
                uses[a.index()] += 1;
                let (h, m, k) = key[a.index()];
                (h + 1, m, mix(mix(3, op as u64), k))
            }
            Node::Binary(op, a, b) => {
                uses[a.index()] += 1;
                uses[b.index()] += 1;
                let (ka, kb) = (key[a.index()], key[b.index()]);
                let (k1, k2) = if op.is_commutative() && kb < ka {
                    (kb, ka)
                } else {
                    (ka, kb)
                };
                (
                    ka.0.max(kb.0) + 1,
                    ka.1 | kb.1,
                    mix(mix(mix(4, op as u64), k1.2), k2.2),
                )
            }
        };
    }
    let mut out = String::from("# written by tapir\n");
    // Parameters first, in order; the names of `let`s must not clash with them.
    let params = graph.params();
    for p in params {
        out.push_str(&format!(
            "param {} = {} in [{}, {}];\n",
            p.name,
            number(p.default).0,
            number(p.lo).0,
            number(p.hi).0
        ));
    }
    let mut prefix = String::from("v");
    while params.iter().any(|p| {
        p.name
            .strip_prefix(prefix.as_str())
            .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
    }) {
        prefix.push('_');
    }
    let mut texts: Vec<Text> = (0..n).map(|_| Text::None).collect();
    let mut height = vec![0u32; n];
    let mut lets = 0usize;
    for i in 0..n {
        if !live[i] {
            continue;
        }
        let id = NodeId::from_index(i);
        // The text of an operand, taking inline text (used only here).
        let operand = |texts: &mut Vec<Text>, c: NodeId| -> (String, Level, u32) {
            let t = std::mem::replace(&mut texts[c.index()], Text::None);
            match t {
                Text::Named(k) => {
                    texts[c.index()] = Text::Named(k);
                    (format!("{prefix}{k}"), Level::Atom, 0)
                }
                Text::Inline(s, l) => {
                    if matches!(graph.node(c), Node::Const(_) | Node::Var(_)) {
                        texts[c.index()] = Text::Inline(s.clone(), l);
                    }
                    (s, l, height[c.index()])
                }
                Text::None => ("nan".to_string(), Level::Atom, 0),
            }
        };
        let (text, level, h) = match graph.node(id) {
            Node::Const(bits) => {
                let (s, l) = number(f32::from_bits(bits));
                (s, l, 0)
            }
            Node::Var(Var::Param(k)) => {
                let name = params.get(k as usize).map_or("nan", |p| p.name.as_str());
                (name.to_string(), Level::Atom, 0)
            }
            Node::Var(v) => (["x", "y", "z"][v.index()].to_string(), Level::Atom, 0),
            Node::Unary(op, a) => {
                let (s, l, h) = operand(&mut texts, a);
                let text = if op == UnaryOp::Neg {
                    format!("-{}", wrap(s, l, Level::Atom))
                } else {
                    format!("{}({s})", op.name())
                };
                let level = if op == UnaryOp::Neg {
                    Level::Prefix
                } else {
                    Level::Atom
                };
                (text, level, h + 1)
            }
            Node::Binary(op, a, b) => {
                let swap = op.is_commutative()
                    && graph.const_value(a).is_none()
                    && graph.const_value(b).is_none()
                    && (key[b.index()], b) < (key[a.index()], a);
                let (a, b) = if swap { (b, a) } else { (a, b) };
                let (sa, la, ha) = operand(&mut texts, a);
                let (sb, lb, hb) = operand(&mut texts, b);
                let h = ha.max(hb) + 1;
                let infix = match op {
                    BinaryOp::Add => Some(("+", Level::Sum)),
                    BinaryOp::Sub => Some(("-", Level::Sum)),
                    BinaryOp::Mul => Some(("*", Level::Product)),
                    BinaryOp::Div => Some(("/", Level::Product)),
                    _ => None,
                };
                match infix {
                    Some((sym, level)) => {
                        let right_need = if level == Level::Sum {
                            Level::Product
                        } else {
                            Level::Prefix
                        };
                        // Negative literals on the right read better in parentheses.
                        let right_need = if lb == Level::Prefix {
                            Level::Atom
                        } else {
                            right_need
                        };
                        let text =
                            format!("{} {sym} {}", wrap(sa, la, level), wrap(sb, lb, right_need));
                        (text, level, h)
                    }
                    None => (format!("{}({sa}, {sb})", op.name()), Level::Atom, h),
                }
            }
        };
        height[i] = h;
        let leaf = h == 0;
        let named = !leaf
            && i != root.index()
            && (uses[i] > 1 || h > MAX_INLINE_HEIGHT || text.len() > MAX_INLINE_LEN);
        texts[i] = if named {
            lets += 1;
            out.push_str(&format!("let {prefix}{lets} = {text};\n"));
            Text::Named(lets)
        } else {
            Text::Inline(text, level)
        };
    }
    match std::mem::replace(&mut texts[root.index()], Text::None) {
        Text::Inline(s, _) => out.push_str(&s),
        Text::Named(k) => out.push_str(&format!("{prefix}{k}")),
        Text::None => out.push_str("nan"),
    }
    out.push('\n');
    out
}
