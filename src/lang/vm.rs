//! Fidget's `.vm` tape format: reading ([`parse_vm`]) and writing
//! ([`write_vm`]).
//!
//! One instruction per line: `name opcode args...`, fields separated by
//! white space. `name` is any run of non-blank characters; each may be
//! defined once, and arguments must name earlier instructions. A `#` at the
//! start of a field starts a comment to the end of the line; blank lines are
//! ignored. The last instruction is the output.
//!
//! Opcodes:
//!
//! | opcode | arguments | meaning |
//! | --- | --- | --- |
//! | `const` | a number | the constant (Rust's `f32` syntax; `inf`, `-inf`, `NaN` too) |
//! | `var-x`, `var-y`, `var-z` | none | an input |
//! | `copy` | 1 | the argument itself (an extension; Fidget does not emit it) |
//! | any [`UnaryOp`] name (`neg`, `square`, `sqrt`, …) | 1 | the operation |
//! | any [`BinaryOp`] name (`add`, `min`, `atan2`, …) | 2 | the operation |
//!
//! ```
//! use tapir::lang::parse_vm;
//!
//! let (g, out) = parse_vm("# a disc\n_0 var-x\n_1 var-y\n_2 square _0\n_3 square _1\n_4 add _2 _3\n_5 sqrt _4\n_6 const 1\n_7 sub _5 _6\n").unwrap();
//! assert_eq!(g.eval(out, [3.0, 4.0, 0.0]), 4.0);
//! ```

use std::collections::HashMap;
use std::fmt::Write as _;

use super::suggest;
use crate::error::SourceError;
use crate::graph::{Graph, NodeId, Param, Var};
use crate::ops::{BinaryOp, MathOp, Op, Operands, UnaryOp};
use crate::tape::SsaTape;

/// Splits a line into `(byte offset in the line, field)`, stopping at a
/// field that starts with `#`.
fn fields(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in line.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                out.push((s, &line[s..i]));
            }
        } else if start.is_none() {
            if c == '#' {
                return out;
            }
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push((s, &line[s..]));
    }
    out
}

fn opcode_names() -> Vec<&'static str> {
    let mut v = vec!["const", "var-x", "var-y", "var-z", "copy"];
    v.extend(UnaryOp::ALL.iter().map(|u| u.name()));
    v.extend(BinaryOp::ALL.iter().map(|b| b.name()));
    v
}

fn arguments(n: usize) -> String {
    if n == 1 {
        "1 argument".to_string()
    } else {
        format!("{n} arguments")
    }
}

/// Parses a `.vm` tape; returns its graph and the output (last) node.
pub fn parse_vm(src: &str) -> Result<(Graph, NodeId), SourceError> {
    let mut g = Graph::new();
    let mut names: HashMap<&str, (NodeId, usize)> = HashMap::new();
    let mut last = None;
    let mut offset = 0;
    for (lineno, raw) in src.split_inclusive('\n').enumerate() {
        let line_start = offset;
        offset += raw.len();
        let f = fields(raw);
        let Some(&(npos, name)) = f.first() else {
            continue;
        };
        let at = |pos: usize, msg: String| SourceError::at(src, line_start + pos, msg);
        if let Some(&(_, line)) = names.get(name) {
            return Err(at(
                npos,
                format!("`{name}` is already defined on line {line}"),
            ));
        }
        let Some(&(opos, opcode)) = f.get(1) else {
            return Err(at(
                npos + name.len(),
                format!("expected an opcode after `{name}`"),
            ));
        };
        let args = &f[2..];
        let want = match opcode {
            "const" | "copy" => 1,
            "var-x" | "var-y" | "var-z" => 0,
            _ if UnaryOp::from_name(opcode).is_some() => 1,
            _ if BinaryOp::from_name(opcode).is_some() => 2,
            _ => {
                let hint = suggest::did_you_mean(opcode, opcode_names());
                return Err(at(opos, format!("unknown opcode `{opcode}`{hint}")));
            }
        };
        if args.len() != want {
            let (pos, what) = match args.get(want) {
                Some(&(p, _)) => (p, "too many arguments"),
                None => {
                    let (p, s) = f.last().copied().unwrap_or((opos, opcode));
                    (p + s.len(), "missing argument")
                }
            };
            return Err(at(
                pos,
                format!(
                    "{what}: `{opcode}` takes {}, found {}",
                    arguments(want),
                    args.len()
                ),
            ));
        }
        let mut operands = Vec::with_capacity(2);
        if opcode != "const" {
            for &(apos, arg) in args {
                match names.get(arg) {
                    Some(&(n, _)) => operands.push(n),
                    None => return Err(at(apos, format!("undefined name `{arg}`"))),
                }
            }
        }
        let node = match opcode {
            "const" => {
                let (cpos, text) = args[0];
                match text.parse::<f32>() {
                    Ok(v) => g.constant(v),
                    Err(_) => return Err(at(cpos, format!("invalid number `{text}`"))),
                }
            }
            "var-x" => g.var(Var::X),
            "var-y" => g.var(Var::Y),
            "var-z" => g.var(Var::Z),
            "copy" => operands[0],
            _ => match (UnaryOp::from_name(opcode), BinaryOp::from_name(opcode)) {
                (Some(u), _) => g.unary(u, operands[0]),
                (None, Some(b)) => g.binary(b, operands[0], operands[1]),
                (None, None) => return Err(at(opos, format!("unknown opcode `{opcode}`"))),
            },
        };
        names.insert(name, (node, lineno + 1));
        last = Some(node);
    }
    match last {
        Some(n) => Ok((g, n)),
        None => Err(SourceError::at(
            src,
            src.len(),
            "empty .vm file: expected at least one instruction",
        )),
    }
}

/// Writes an SSA tape as a `.vm` file that [`parse_vm`] (and Fidget) can read.
///
/// Values are named `_` and their number in hex; immediates become `const`
/// lines named `k0`, `k1`, … (one per distinct value, written just before
/// first use); `Copy` instructions are resolved by aliasing names, so they
/// write nothing. The output is the last line (an extra `min v v`, which is
/// `v` exactly, named `out`, when it would not be). Floats are written with
/// Rust's shortest round-trip formatting, so they read back bit for bit
/// (NaN payloads aside). Parameters have no value here and are written as
/// NaN: use [`write_vm_with_params`] for a shape with parameters.
pub fn write_vm(tape: &SsaTape) -> String {
    write_vm_with_params(tape, &[], &[])
}

/// [`write_vm`] for a tape with parameters: the `.vm` format has none, so
/// parameter k is bound to `values[k]`, a `const` line with a comment that
/// names it (`_3 const 0.5 # param r in [0, 1]`).
///
/// ```
/// use tapir::Shape;
/// use tapir::lang::{parse_vm, write_vm_with_params};
///
/// let s = Shape::from_expr("param r = 0.5 in [0, 1];\nx - r").unwrap();
/// let text = write_vm_with_params(s.ssa_tape(), s.params(), &[0.25]);
/// assert!(text.contains("const 0.25 # param r in [0, 1]"), "{text}");
/// let (g, out) = parse_vm(&text).unwrap();
/// assert_eq!(g.eval(out, [1.0, 0.0, 0.0]), 0.75);
/// ```
pub fn write_vm_with_params(tape: &SsaTape, params: &[Param], values: &[f32]) -> String {
    let mut out = String::from("# written by tapir\n");
    let mut alias: HashMap<u32, String> = HashMap::new();
    let mut consts: HashMap<u32, String> = HashMap::new();
    let mut last_line: Option<String> = None;
    let name = |alias: &HashMap<u32, String>, v: u32| {
        alias.get(&v).cloned().unwrap_or_else(|| format!("_{v:x}"))
    };
    let mut konst = |out: &mut String, last: &mut Option<String>, bits: u32| -> String {
        if let Some(k) = consts.get(&bits) {
            return k.clone();
        }
        let k = format!("k{:x}", consts.len());
        let _ = writeln!(out, "{k} const {}", f32::from_bits(bits));
        *last = Some(k.clone());
        consts.insert(bits, k.clone());
        k
    };
    for op in tape.ops() {
        let me = format!("_{:x}", op.out);
        let line = match op.op {
            Op::Output => {
                let v = name(&alias, op.a);
                if last_line.as_deref() != Some(v.as_str()) {
                    let _ = writeln!(out, "out min {v} {v}");
                }
                break;
            }
            Op::Copy => {
                let a = name(&alias, op.a);
                alias.insert(op.out, a);
                continue;
            }
            Op::Input if op.imm >= 3 => {
                let k = op.imm as usize - 3;
                let value = values.get(k).copied().unwrap_or(f32::NAN);
                match params.get(k) {
                    Some(p) => format!(
                        "{me} const {value} # param {} in [{}, {}]",
                        p.name, p.lo, p.hi
                    ),
                    None => format!("{me} const {value} # parameter {k}"),
                }
            }
            Op::Input => {
                let var = match op.imm {
                    0 => "var-x",
                    1 => "var-y",
                    _ => "var-z",
                };
                format!("{me} {var}")
            }
            Op::Const => format!("{me} const {}", f32::from_bits(op.imm)),
            _ => match op.op.math() {
                Some(MathOp::Unary(u)) => format!("{me} {} {}", u.name(), name(&alias, op.a)),
                Some(MathOp::Binary(b, Operands::RegReg)) => {
                    format!(
                        "{me} {} {} {}",
                        b.name(),
                        name(&alias, op.a),
                        name(&alias, op.b)
                    )
                }
                Some(MathOp::Binary(b, Operands::RegImm)) => {
                    let k = konst(&mut out, &mut last_line, op.imm);
                    format!("{me} {} {} {k}", b.name(), name(&alias, op.a))
                }
                Some(MathOp::Binary(b, Operands::ImmReg)) => {
                    let k = konst(&mut out, &mut last_line, op.imm);
                    format!("{me} {} {k} {}", b.name(), name(&alias, op.a))
                }
                // Load/Store never appear in SSA tapes.
                None => continue,
            },
        };
        out.push_str(&line);
        out.push('\n');
        last_line = Some(me);
    }
    out
}
