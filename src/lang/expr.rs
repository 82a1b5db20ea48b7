//! The `.expr` language: parsing, name resolution and instantiation.
//!
//! A program is read item by item. Each expression is parsed by an
//! operator-precedence (shunting-yard) parser with an explicit operator stack,
//! so nesting depth costs heap, not native stack. Names are resolved while
//! parsing, and the parser emits *stack code* ([`Instr`], in post-order):
//! evaluating an expression is then a forward loop over its code.
//!
//! Top-level `let`s are evaluated as soon as they are read, into nodes of the
//! program's [`Graph`]. Functions keep their code; a call instantiates the
//! body with the arguments bound to graph nodes. Calls run on an explicit frame
//! stack (no recursion in the evaluator either), and are memoised on
//! `(function, argument nodes)`, so a function called twice with the same
//! arguments is instantiated once.

use std::collections::HashMap;

use super::Fail;
use super::lexer::{Lexer, Tok, Token};
use super::suggest;
use crate::graph::{Graph, MAX_PARAMS, NodeId, Param, Var};
use crate::ops::{BinaryOp, UnaryOp};

/// Most instructions a program may execute while being instantiated
/// (function bodies count once per instantiation).
pub(crate) const MAX_STEPS: usize = 1 << 24;

/// Most nodes a program's graph may have.
pub(crate) const MAX_NODES: usize = 1 << 22;

/// Largest exponent magnitude accepted by `^`.
pub(crate) const MAX_EXPONENT: f32 = 16_777_216.0;

/// Names of the predefined constants and their values.
pub(crate) const CONSTANTS: [(&str, f32); 5] = [
    ("pi", std::f32::consts::PI),
    ("tau", std::f32::consts::TAU),
    ("e", std::f32::consts::E),
    ("inf", f32::INFINITY),
    ("nan", f32::NAN),
];

/// A value of the evaluator: a graph node (a number, depending on x, y and
/// z or not) or a list of values (see [`Compiler::lists`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Val {
    /// A number.
    Node(NodeId),
    /// A list, by its index in [`Compiler::lists`].
    List(u32),
}

/// One instruction of stack code. `pos` fields are source offsets, where
/// an error found while running the instruction is reported.
#[derive(Copy, Clone, Debug)]
enum Instr {
    /// Push a constant.
    Const(f32),
    /// Push an input variable.
    Var(Var),
    /// Push an existing value (a top-level `let`).
    Val(Val),
    /// Push parameter or local number `k` of the current call.
    Slot(u32),
    /// Pop a value into a new local of the current call.
    Bind,
    /// Pop one, push `op` of it.
    Unary(UnaryOp, u32),
    /// Pop two, push `op` of them.
    Binary(BinaryOp, u32),
    /// Pop `n`, push them folded left with `op` (`min`, `max`).
    Chain(BinaryOp, u32, u32),
    /// Pop exponent and base, push the power; the exponent starts at this offset.
    Pow(u32),
    /// Pop shape, X, Y, Z, push the remapped shape; the call is at this offset.
    Remap(u32),
    /// Call function `func`; the call is at offset `pos`.
    Call { func: u32, pos: u32 },
    /// Pop `n` values, push the list of them.
    List(u32),
    /// Pop an index and a list, push the list's element.
    Index(u32),
    /// Pop a list, push its length.
    Len(u32),
    /// Pop a range end, a range start and an initial value. If the range
    /// is empty, push the initial value and skip `len` instructions (past
    /// the matching `LoopNext`); otherwise bind the accumulator, the loop
    /// variable and the range end as three new locals.
    LoopStart { len: u32, from: u32, to: u32 },
    /// Pop the body's value into the accumulator (local `acc`) and step the
    /// loop variable; while it is below the end, jump back `len`
    /// instructions to the start of the body, else drop the three locals
    /// and push the accumulator.
    LoopNext { len: u32, acc: u32 },
}

/// A user or standard-library function.
#[derive(Clone, Debug)]
struct Func {
    name: String,
    arity: usize,
    code: Vec<Instr>,
    src: usize,
    pos: usize,
}

/// What a top-level name stands for.
#[derive(Copy, Clone, Debug)]
enum Global {
    Val(Val),
    Const(f32),
}

/// A source text and its name (for errors in the standard library).
#[derive(Copy, Clone, Debug)]
pub(crate) struct Source<'s> {
    pub name: &'s str,
    pub text: &'s str,
}

/// The state of one program being compiled.
pub(crate) struct Compiler<'s> {
    pub sources: Vec<Source<'s>>,
    pub graph: Graph,
    funcs: Vec<Func>,
    func_names: HashMap<String, u32>,
    globals: HashMap<String, Global>,
    memo: HashMap<(u32, Vec<Val>), Val>,
    /// Every list made so far, stored once each (so equal lists have equal
    /// [`Val`]s, which keeps memoisation working).
    lists: Lists,
    /// Declared parameters: their nodes and the lines they are declared on.
    param_names: HashMap<String, (NodeId, usize)>,
    steps: usize,
    /// The source that is the user's program (errors are reported there).
    user: usize,
}

/// The built-in functions: `(name, arity)`, with `None` for "two or more".
pub(crate) fn builtin_arity(name: &str) -> Option<Option<usize>> {
    if name == "min" || name == "max" {
        return Some(None);
    }
    if name == "remap" {
        return Some(Some(4));
    }
    if name == "len" {
        return Some(Some(1));
    }
    if UnaryOp::from_name(name).is_some() {
        return Some(Some(1));
    }
    if BinaryOp::from_name(name).is_some() {
        return Some(Some(2));
    }
    None
}

/// Every built-in function name.
pub(crate) fn builtin_names() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = UnaryOp::ALL.iter().map(|u| u.name()).collect();
    v.extend(BinaryOp::ALL.iter().map(|b| b.name()));
    v.push("remap");
    v.push("len");
    v
}

fn is_input(name: &str) -> Option<Var> {
    match name {
        "x" => Some(Var::X),
        "y" => Some(Var::Y),
        "z" => Some(Var::Z),
        _ => None,
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

fn offset32(pos: usize) -> u32 {
    u32::try_from(pos).unwrap_or(u32::MAX)
}

impl<'s> Compiler<'s> {
    /// A compiler with the given sources; `user` is the index of the user's
    /// program among them.
    pub fn new(sources: Vec<Source<'s>>, user: usize) -> Self {
        let globals = CONSTANTS
            .iter()
            .map(|&(n, v)| (n.to_string(), Global::Const(v)))
            .collect();
        Compiler {
            sources,
            graph: Graph::new(),
            funcs: Vec::new(),
            func_names: HashMap::new(),
            globals,
            memo: HashMap::new(),
            lists: Lists::default(),
            param_names: HashMap::new(),
            steps: 0,
            user,
        }
    }

    /// Reads source `src_id`: only `fn` items when `library`, otherwise a full
    /// program ending in the shape expression, whose node is returned.
    pub fn compile(&mut self, src_id: usize, library: bool) -> Result<Option<NodeId>, Fail> {
        let text = self.sources.get(src_id).map_or("", |s| s.text);
        let mut p = Parser::new(self, text, src_id)?;
        p.program(library)
    }

    /// Evaluates stack code from source `src` into a value.
    fn run(&mut self, code: &[Instr], src: usize, stmt_pos: usize) -> Result<Val, Fail> {
        struct Frame {
            func: u32,
            pc: usize,
            slot_base: usize,
            stack_base: usize,
            site: usize,
            site_src: usize,
        }
        const TOP: u32 = u32::MAX;
        let user = self.user;
        let Compiler {
            graph,
            funcs,
            memo,
            lists,
            steps,
            ..
        } = self;
        let mut frames = vec![Frame {
            func: TOP,
            pc: 0,
            slot_base: 0,
            stack_base: 0,
            site: stmt_pos,
            site_src: src,
        }];
        let mut stack: Vec<Val> = Vec::new();
        let mut slots: Vec<Val> = Vec::new();
        // Where to report a problem found at `pos` of `body_src`: there if it
        // is the user's text, else at the innermost call made from it.
        let locate = |frames: &[Frame], body_src: usize, pos: Option<usize>, msg: String| -> Fail {
            if body_src == user
                && let Some(pos) = pos
            {
                return Fail::new(user, pos, msg);
            }
            for (i, f) in frames.iter().enumerate().rev() {
                if f.site_src == user {
                    let msg = match frames.get(i).filter(|f| f.func != TOP) {
                        Some(callee) => {
                            let name = funcs
                                .get(callee.func as usize)
                                .map_or("?", |f| f.name.as_str());
                            format!("{msg} (inside this call of `{name}`)")
                        }
                        None => msg,
                    };
                    return Fail::new(user, f.site, msg);
                }
            }
            Fail::new(body_src, pos.unwrap_or(stmt_pos), msg)
        };
        let internal = || {
            Fail::new(
                user,
                stmt_pos,
                "internal error: malformed stack code".to_string(),
            )
        };
        loop {
            let Some(top) = frames.last() else {
                return Err(internal());
            };
            let (func, pc, slot_base) = (top.func, top.pc, top.slot_base);
            let (body, body_src): (&[Instr], usize) = if func == TOP {
                (code, src)
            } else {
                match funcs.get(func as usize) {
                    Some(f) => (&f.code, f.src),
                    None => return Err(internal()),
                }
            };
            let Some(&ins) = body.get(pc) else {
                // The frame is done: its value is on top of the stack.
                let result = stack.pop().ok_or_else(internal)?;
                let Some(done) = frames.pop() else {
                    return Err(internal());
                };
                if frames.is_empty() {
                    return Ok(result);
                }
                let arity = funcs.get(func as usize).map_or(0, |f| f.arity);
                let args = slots
                    .get(done.slot_base..done.slot_base + arity)
                    .ok_or_else(internal)?;
                memo.insert((func, args.to_vec()), result);
                slots.truncate(done.slot_base);
                stack.truncate(done.stack_base);
                stack.push(result);
                continue;
            };
            if let Some(f) = frames.last_mut() {
                f.pc += 1;
            }
            *steps += 1;
            if *steps > MAX_STEPS || graph.len() > MAX_NODES {
                let msg = format!(
                    "the program is too large: it expands to more than {} steps or {} nodes",
                    MAX_STEPS, MAX_NODES
                );
                // Reported at the outermost call of the statement.
                return Err(locate(
                    frames.get(..2).unwrap_or(&frames),
                    body_src,
                    None,
                    msg,
                ));
            }
            // A number popped from the stack, or an error at `pos` saying
            // what `what` needed.
            macro_rules! number {
                ($pos:expr, $what:expr) => {
                    match stack.pop().ok_or_else(internal)? {
                        Val::Node(n) => n,
                        Val::List(l) => {
                            let msg = format!(
                                "{} must be a number, but it is {}",
                                $what,
                                lists.describe(l)
                            );
                            return Err(locate(&frames, body_src, Some($pos as usize), msg));
                        }
                    }
                };
            }
            // A constant integer popped from the stack (see `const_int`).
            macro_rules! integer {
                ($pos:expr, $what:expr) => {{
                    let n = number!($pos, $what);
                    match const_int(graph, n, $what) {
                        Ok(v) => v,
                        Err(msg) => {
                            return Err(locate(&frames, body_src, Some($pos as usize), msg));
                        }
                    }
                }};
            }
            match ins {
                Instr::Const(v) => stack.push(Val::Node(graph.constant(v))),
                Instr::Var(v) => stack.push(Val::Node(graph.var(v))),
                Instr::Val(v) => stack.push(v),
                Instr::Slot(k) => {
                    let v = slots
                        .get(slot_base + k as usize)
                        .copied()
                        .ok_or_else(internal)?;
                    stack.push(v);
                }
                Instr::Bind => {
                    let v = stack.pop().ok_or_else(internal)?;
                    slots.push(v);
                }
                Instr::Unary(op, pos) => {
                    let a = number!(pos, format!("the operand of `{}`", op.name()));
                    stack.push(Val::Node(graph.unary(op, a)));
                }
                Instr::Binary(op, pos) => {
                    let b = number!(pos, format!("the right operand of `{}`", op.name()));
                    let a = number!(pos, format!("the left operand of `{}`", op.name()));
                    stack.push(Val::Node(graph.binary(op, a, b)));
                }
                Instr::Chain(op, n, pos) => {
                    let at = stack.len().checked_sub(n as usize).ok_or_else(internal)?;
                    let mut args = Vec::with_capacity(n as usize);
                    for _ in 0..n {
                        args.push(number!(pos, format!("every argument of `{}`", op.name())));
                    }
                    debug_assert_eq!(stack.len(), at);
                    let mut rest = args.into_iter().rev();
                    let mut acc = rest.next().ok_or_else(internal)?;
                    for v in rest {
                        acc = graph.binary(op, acc, v);
                    }
                    stack.push(Val::Node(acc));
                }
                Instr::Pow(pos) => {
                    let e = number!(pos, "the exponent");
                    let b = number!(pos, "the base of `^`");
                    let pos = Some(pos as usize);
                    let n = match graph.const_value(e) {
                        None => {
                            let msg = "the exponent must be a constant integer, but this depends on x, y, z or a parameter \
                                       (use `exp` and `ln`, or multiply)";
                            return Err(locate(&frames, body_src, pos, msg.to_string()));
                        }
                        Some(v) if v.fract() != 0.0 || !v.is_finite() => {
                            let msg = format!("the exponent must be an integer, but it is {v}");
                            return Err(locate(&frames, body_src, pos, msg));
                        }
                        Some(v) if v.abs() > MAX_EXPONENT => {
                            let msg = format!(
                                "the exponent {v} is too large (at most {MAX_EXPONENT} in magnitude)"
                            );
                            return Err(locate(&frames, body_src, pos, msg));
                        }
                        Some(v) => v as i64,
                    };
                    stack.push(Val::Node(power(graph, b, n)));
                }
                Instr::Remap(pos) => {
                    let z = number!(pos, "the z of `remap`");
                    let y = number!(pos, "the y of `remap`");
                    let x = number!(pos, "the x of `remap`");
                    let s = number!(pos, "the shape of `remap`");
                    if graph.len() + s.index() + 1 > MAX_NODES {
                        let msg = format!(
                            "the program is too large: it expands to more than {MAX_NODES} nodes"
                        );
                        return Err(locate(&frames, body_src, Some(pos as usize), msg));
                    }
                    stack.push(Val::Node(graph.remap(s, [x, y, z])));
                }
                Instr::Call { func: id, pos } => {
                    let arity = funcs.get(id as usize).map_or(0, |f| f.arity);
                    let at = stack.len().checked_sub(arity).ok_or_else(internal)?;
                    if let Some(&r) = memo.get(&(id, stack[at..].to_vec())) {
                        stack.truncate(at);
                        stack.push(r);
                        continue;
                    }
                    let base = slots.len();
                    slots.extend_from_slice(&stack[at..]);
                    stack.truncate(at);
                    frames.push(Frame {
                        func: id,
                        pc: 0,
                        slot_base: base,
                        stack_base: at,
                        site: pos as usize,
                        site_src: body_src,
                    });
                }
                Instr::List(n) => {
                    let at = stack.len().checked_sub(n as usize).ok_or_else(internal)?;
                    let id = lists.intern(&stack[at..]);
                    stack.truncate(at);
                    stack.push(Val::List(id));
                }
                Instr::Index(pos) => {
                    let i = integer!(pos, "a list index");
                    let l = stack.pop().ok_or_else(internal)?;
                    let Val::List(l) = l else {
                        let msg = "only a list can be indexed, but this is a number".to_string();
                        return Err(locate(&frames, body_src, Some(pos as usize), msg));
                    };
                    let items = lists.get(l);
                    let Some(&v) = usize::try_from(i).ok().and_then(|i| items.get(i)) else {
                        let msg = format!(
                            "index {i} is out of range for {} (indices start at 0)",
                            lists.describe(l)
                        );
                        return Err(locate(&frames, body_src, Some(pos as usize), msg));
                    };
                    stack.push(v);
                }
                Instr::Len(pos) => {
                    let Val::List(l) = stack.pop().ok_or_else(internal)? else {
                        let msg = "`len` needs a list, but this is a number".to_string();
                        return Err(locate(&frames, body_src, Some(pos as usize), msg));
                    };
                    let n = lists.get(l).len() as f32;
                    stack.push(Val::Node(graph.constant(n)));
                }
                Instr::LoopStart { len, from, to } => {
                    let end = integer!(to, "the end of the range of `fold`");
                    let start = integer!(from, "the start of the range of `fold`");
                    let init = stack.pop().ok_or_else(internal)?;
                    if start >= end {
                        stack.push(init);
                        if let Some(f) = frames.last_mut() {
                            f.pc += len as usize;
                        }
                    } else {
                        slots.push(init);
                        slots.push(Val::Node(graph.constant(start as f32)));
                        slots.push(Val::Node(graph.constant(end as f32)));
                    }
                }
                Instr::LoopNext { len, acc } => {
                    let v = stack.pop().ok_or_else(internal)?;
                    let k = slot_base + acc as usize;
                    let (Some(Val::Node(i)), Some(Val::Node(end))) =
                        (slots.get(k + 1).copied(), slots.get(k + 2).copied())
                    else {
                        return Err(internal());
                    };
                    let next = graph.const_value(i).ok_or_else(internal)? + 1.0;
                    let end = graph.const_value(end).ok_or_else(internal)?;
                    if next < end {
                        slots[k] = v;
                        slots[k + 1] = Val::Node(graph.constant(next));
                        if let Some(f) = frames.last_mut() {
                            f.pc -= len as usize;
                        }
                    } else {
                        slots.truncate(k);
                        stack.push(v);
                    }
                }
            }
        }
    }
}

/// The lists made while compiling, each stored once.
#[derive(Default)]
pub(crate) struct Lists {
    items: Vec<Vec<Val>>,
    ids: HashMap<Vec<Val>, u32>,
}

impl Lists {
    /// The id of the list `items`, stored now if it is new.
    fn intern(&mut self, items: &[Val]) -> u32 {
        if let Some(&id) = self.ids.get(items) {
            return id;
        }
        let id = u32::try_from(self.items.len()).unwrap_or(u32::MAX);
        self.items.push(items.to_vec());
        self.ids.insert(items.to_vec(), id);
        id
    }

    /// The elements of list `id`.
    fn get(&self, id: u32) -> &[Val] {
        self.items.get(id as usize).map_or(&[], Vec::as_slice)
    }

    /// "a list of 3 values", for messages.
    fn describe(&self, id: u32) -> String {
        match self.get(id).len() {
            1 => "a list of 1 value".to_string(),
            n => format!("a list of {n} values"),
        }
    }
}

/// The value of `n` as an integer, if it is a constant integer of at most
/// [`MAX_EXPONENT`] in magnitude; else a message about `what`.
fn const_int(graph: &Graph, n: NodeId, what: impl std::fmt::Display) -> Result<i64, String> {
    match graph.const_value(n) {
        None => Err(format!(
            "{what} must be a constant integer, but this depends on x, y, z or a parameter"
        )),
        Some(v) if v.fract() != 0.0 || !v.is_finite() => {
            Err(format!("{what} must be an integer, but it is {v}"))
        }
        Some(v) if v.abs() > MAX_EXPONENT => Err(format!(
            "{what} is {v}, too large (at most {MAX_EXPONENT} in magnitude)"
        )),
        Some(v) => Ok(v as i64),
    }
}

/// `b^n` by repeated squaring.
fn power(graph: &mut Graph, b: NodeId, n: i64) -> NodeId {
    if n == 0 {
        return graph.constant(1.0);
    }
    let mut m = n.unsigned_abs();
    let mut base = b;
    let mut acc: Option<NodeId> = None;
    loop {
        if m & 1 == 1 {
            acc = Some(match acc {
                None => base,
                Some(a) => graph.binary(BinaryOp::Mul, a, base),
            });
        }
        m >>= 1;
        if m == 0 {
            break;
        }
        base = graph.unary(UnaryOp::Square, base);
    }
    let r = acc.unwrap_or(b);
    if n < 0 {
        graph.unary(UnaryOp::Recip, r)
    } else {
        r
    }
}

/// An operator or group waiting on the parser's stack. Offsets say where
/// the operator or group starts.
#[derive(Copy, Clone, Debug)]
enum Pending<'s> {
    /// Unary minus.
    Neg(usize),
    /// `+ - * /`.
    Bin(BinaryOp, usize),
    /// `^`, with the offset where its exponent starts.
    Pow(usize),
    /// `(` at this offset.
    Paren(usize),
    /// A call of `name` (at `pos`) with `argc` arguments complete so far.
    Call {
        name: &'s str,
        pos: usize,
        argc: usize,
    },
    /// A list literal `[` at `pos`, with `argc` elements complete so far.
    List { pos: usize, argc: usize },
    /// An index `[` at this offset, after a value.
    Index(usize),
    /// `fold ACC =` at `pos`: the initial value is being read.
    FoldInit { pos: usize, acc: &'s str },
    /// `for VAR in`: the start of the range (at `from`) is being read.
    FoldFrom {
        pos: usize,
        acc: &'s str,
        var: &'s str,
        from: usize,
    },
    /// `..`: the end of the range (at `to`) is being read.
    FoldTo {
        pos: usize,
        acc: &'s str,
        var: &'s str,
        from: usize,
        to: usize,
    },
    /// `:`: the body is being read; it extends as far as possible. `start`
    /// is the index of its `LoopStart` in the code, `acc` the accumulator's
    /// slot.
    FoldBody { start: usize, acc: u32 },
}

impl Pending<'_> {
    /// Binding strength; `None` for groups.
    fn prec(self) -> Option<u8> {
        match self {
            Pending::FoldBody { .. } => Some(0),
            Pending::Bin(BinaryOp::Add | BinaryOp::Sub, _) => Some(1),
            Pending::Bin(..) => Some(2),
            Pending::Neg(_) => Some(3),
            Pending::Pow(_) => Some(4),
            Pending::Paren(_)
            | Pending::Call { .. }
            | Pending::List { .. }
            | Pending::Index(_)
            | Pending::FoldInit { .. }
            | Pending::FoldFrom { .. }
            | Pending::FoldTo { .. } => None,
        }
    }

    /// The instruction an operator emits when it is reduced (`None` for
    /// groups and for a fold's body, which [`Parser::reduce`] handles).
    fn instr(self) -> Option<Instr> {
        Some(match self {
            Pending::Neg(pos) => Instr::Unary(UnaryOp::Neg, offset32(pos)),
            Pending::Bin(op, pos) => Instr::Binary(op, offset32(pos)),
            Pending::Pow(pos) => Instr::Pow(offset32(pos)),
            _ => return None,
        })
    }
}

/// Names visible inside a function body or a top-level statement.
struct FnScope<'s> {
    /// The function being defined (`None` at the top level).
    name: Option<&'s str>,
    /// Parameters, then locals and loop variables, in binding order (later
    /// ones shadow). A fold's hidden range end is the empty name.
    slots: Vec<&'s str>,
}

impl FnScope<'_> {
    fn top() -> Self {
        FnScope {
            name: None,
            slots: Vec::new(),
        }
    }
}

struct Parser<'c, 's> {
    c: &'c mut Compiler<'s>,
    src: &'s str,
    src_id: usize,
    lex: Lexer<'s>,
    tok: Token,
    prev_end: usize,
    /// The kind of the token before `tok`.
    prev_tok: Tok,
    scope: FnScope<'s>,
}

impl<'c, 's> Parser<'c, 's> {
    fn new(c: &'c mut Compiler<'s>, src: &'s str, src_id: usize) -> Result<Self, Fail> {
        let mut lex = Lexer::new(src, src_id);
        let tok = lex.next_token()?;
        Ok(Parser {
            c,
            src,
            src_id,
            lex,
            tok,
            prev_end: 0,
            prev_tok: Tok::Eof,
            scope: FnScope::top(),
        })
    }

    fn bump(&mut self) -> Result<(), Fail> {
        self.prev_end = self.tok.end;
        self.prev_tok = self.tok.tok;
        self.tok = self.lex.next_token()?;
        Ok(())
    }

    fn text(&self, t: Token) -> &'s str {
        self.src.get(t.start..t.end).unwrap_or("")
    }

    fn fail(&self, pos: usize, msg: impl Into<String>) -> Fail {
        Fail::new(self.src_id, pos, msg.into())
    }

    fn describe(&self, t: Token) -> String {
        match t.tok {
            Tok::Num(_) => format!("number `{}`", self.text(t)),
            Tok::Let | Tok::Fn | Tok::Fold | Tok::For | Tok::In | Tok::Param => {
                format!("keyword `{}`", self.text(t))
            }
            Tok::Eof => "end of input".to_string(),
            _ => format!("`{}`", self.text(t)),
        }
    }

    fn line_of(&self, src_id: usize, pos: usize) -> usize {
        let text = self.c.sources.get(src_id).map_or("", |s| s.text);
        text.get(..pos).map_or(1, |t| t.matches('\n').count() + 1)
    }

    /// Expects token `want` (described as `what`).
    fn expect(&mut self, want: Tok, what: &str) -> Result<(), Fail> {
        if self.tok.tok == want {
            return self.bump();
        }
        Err(self.fail(
            self.tok.start,
            format!("expected {what}, found {}", self.describe(self.tok)),
        ))
    }

    /// Expects a name (not a keyword); returns it and its offset.
    fn name(&mut self, what: &str) -> Result<(&'s str, usize), Fail> {
        if self.tok.tok == Tok::Ident {
            let t = self.tok;
            self.bump()?;
            return Ok((self.text(t), t.start));
        }
        Err(self.fail(
            self.tok.start,
            format!("expected {what}, found {}", self.describe(self.tok)),
        ))
    }

    fn expect_semi(&mut self, what: &str) -> Result<(), Fail> {
        if self.tok.tok == Tok::Semi {
            return self.bump();
        }
        Err(self.fail(
            self.prev_end,
            format!(
                "expected `;` after {what}, found {}",
                self.describe(self.tok)
            ),
        ))
    }

    fn program(&mut self, library: bool) -> Result<Option<NodeId>, Fail> {
        let mut items = 0;
        loop {
            match self.tok.tok {
                Tok::Fn => self.function()?,
                Tok::Let if !library => self.global_let()?,
                Tok::Param if !library => self.param()?,
                Tok::Eof if library => return Ok(None),
                Tok::Eof if items == 0 => {
                    return Err(self.fail(
                        0,
                        "empty program: write an expression for the shape, such as `sqrt(x*x + y*y) - 1`",
                    ));
                }
                Tok::Eof => {
                    return Err(self.fail(
                        self.tok.start,
                        "missing the shape: the program must end with an expression (after its `let`, `param` and `fn` items)",
                    ));
                }
                _ if library => {
                    return Err(self.fail(
                        self.tok.start,
                        "the standard library may only define functions",
                    ));
                }
                _ => return self.shape().map(Some),
            }
            items += 1;
        }
    }

    /// The final expression.
    fn shape(&mut self) -> Result<NodeId, Fail> {
        let start = self.tok.start;
        let code = self.expr("the end of the program")?;
        if self.tok.tok == Tok::Semi {
            self.bump()?;
        }
        if self.tok.tok != Tok::Eof {
            return Err(self.fail(
                self.tok.start,
                format!(
                    "expected the end of the program after the shape expression, found {} \
                     (the shape must be the last item; name intermediate results with `let`)",
                    self.describe(self.tok)
                ),
            ));
        }
        match self.c.run(&code, self.src_id, start)? {
            Val::Node(n) => Ok(n),
            Val::List(l) => Err(self.fail(
                start,
                format!(
                    "the shape must be a number, but it is {} (pick an element with `[i]`)",
                    self.c.lists.describe(l)
                ),
            )),
        }
    }

    fn check_bindable(&self, name: &str, pos: usize, what: &str) -> Result<(), Fail> {
        if is_input(name).is_some() {
            return Err(self.fail(
                pos,
                format!("`{name}` is an input variable and cannot be used as {what}"),
            ));
        }
        Ok(())
    }

    fn global_let(&mut self) -> Result<(), Fail> {
        let start = self.tok.start;
        self.bump()?;
        let (name, pos) = self.name("a name after `let`")?;
        self.check_bindable(name, pos, "a `let` name")?;
        self.expect(Tok::Eq, "`=`")?;
        let code = self.expr("`;`")?;
        self.expect_semi(&format!("the definition of `{name}`"))?;
        let v = self.c.run(&code, self.src_id, start)?;
        self.c.globals.insert(name.to_string(), Global::Val(v));
        Ok(())
    }

    /// `param NAME = DEFAULT in [LO, HI];`
    fn param(&mut self) -> Result<(), Fail> {
        let start = self.tok.start;
        self.bump()?;
        let (name, pos) = self.name("a parameter name after `param`")?;
        self.check_bindable(name, pos, "a parameter name")?;
        if let Some(&(_, line)) = self.c.param_names.get(name) {
            return Err(self.fail(
                pos,
                format!("parameter `{name}` is already declared on line {line}"),
            ));
        }
        if self.c.graph.params().len() >= MAX_PARAMS {
            return Err(self.fail(pos, format!("too many parameters (at most {MAX_PARAMS})")));
        }
        self.expect(Tok::Eq, "`=` after the parameter's name")?;
        let default_pos = self.tok.start;
        let default_code = self.expr("`in`")?;
        self.expect(
            Tok::In,
            "`in` and the parameter's range, as in `param r = 0.5 in [0, 1];`",
        )?;
        let range_pos = self.tok.start;
        let range_code = self.expr("`;`")?;
        self.expect_semi(&format!("the declaration of `{name}`"))?;
        // The default and the range are constants, evaluated now.
        let constant = |c: &mut Compiler<'s>, v: Val| match v {
            Val::Node(n) => c.graph.const_value(n).filter(|v| v.is_finite()),
            Val::List(_) => None,
        };
        let v = self.c.run(&default_code, self.src_id, start)?;
        let Some(default) = constant(self.c, v) else {
            return Err(self.fail(
                default_pos,
                format!(
                    "the default of `{name}` must be a finite constant number (it cannot depend on x, y, z or parameters)"
                ),
            ));
        };
        let range = self.c.run(&range_code, self.src_id, start)?;
        let bounds = match range {
            Val::List(l) => match *self.c.lists.get(l) {
                [lo, hi] => constant(self.c, lo).zip(constant(self.c, hi)),
                _ => None,
            },
            Val::Node(_) => None,
        };
        let Some((lo, hi)) = bounds.filter(|(lo, hi)| lo <= hi) else {
            return Err(self.fail(
                range_pos,
                format!(
                    "the range of `{name}` must be `[lo, hi]`: two finite constant numbers with lo <= hi"
                ),
            ));
        };
        if !(lo..=hi).contains(&default) {
            return Err(self.fail(
                default_pos,
                format!("the default {default} of `{name}` is outside its range [{lo}, {hi}]"),
            ));
        }
        let node = self.c.graph.param(Param {
            name: name.to_string(),
            default,
            lo,
            hi,
        });
        let line = self.line_of(self.src_id, pos);
        self.c.param_names.insert(name.to_string(), (node, line));
        self.c
            .globals
            .insert(name.to_string(), Global::Val(Val::Node(node)));
        Ok(())
    }

    fn function(&mut self) -> Result<(), Fail> {
        self.bump()?;
        let (name, pos) = self.name("a function name after `fn`")?;
        if builtin_arity(name).is_some() {
            return Err(self.fail(
                pos,
                format!("`{name}` is a builtin function and cannot be redefined"),
            ));
        }
        self.check_bindable(name, pos, "a function name")?;
        if let Some(&id) = self.c.func_names.get(name)
            && let Some(f) = self.c.funcs.get(id as usize)
            && f.src == self.src_id
        {
            let line = self.line_of(f.src, f.pos);
            return Err(self.fail(
                pos,
                format!("function `{name}` is already defined on line {line}"),
            ));
        }
        self.expect(Tok::LParen, "`(` after the function name")?;
        let mut params: Vec<&'s str> = Vec::new();
        if self.tok.tok != Tok::RParen {
            loop {
                let (p, ppos) = self.name("a parameter name")?;
                self.check_bindable(p, ppos, "a parameter name")?;
                if params.contains(&p) {
                    return Err(self.fail(ppos, format!("duplicate parameter `{p}`")));
                }
                params.push(p);
                if self.tok.tok == Tok::Comma {
                    self.bump()?;
                } else {
                    break;
                }
            }
        }
        self.expect(Tok::RParen, "`,` or `)` in the parameter list")?;
        let arity = params.len();
        let outer = std::mem::replace(
            &mut self.scope,
            FnScope {
                name: Some(name),
                slots: params,
            },
        );
        let body = self.body(name);
        self.scope = outer;
        let code = body?;
        let id =
            u32::try_from(self.c.funcs.len()).map_err(|_| self.fail(pos, "too many functions"))?;
        self.c.funcs.push(Func {
            name: name.to_string(),
            arity,
            code,
            src: self.src_id,
            pos,
        });
        self.c.func_names.insert(name.to_string(), id);
        Ok(())
    }

    /// `= expr ;` or `{ let a = e; ... expr }`.
    fn body(&mut self, name: &str) -> Result<Vec<Instr>, Fail> {
        match self.tok.tok {
            Tok::Eq => {
                self.bump()?;
                let code = self.expr("`;`")?;
                self.expect_semi(&format!("the body of `{name}`"))?;
                Ok(code)
            }
            Tok::LBrace => {
                self.bump()?;
                let mut code = Vec::new();
                while self.tok.tok == Tok::Let {
                    self.bump()?;
                    let (local, pos) = self.name("a name after `let`")?;
                    self.check_bindable(local, pos, "a `let` name")?;
                    self.expect(Tok::Eq, "`=`")?;
                    code.extend(self.expr("`;`")?);
                    self.expect_semi(&format!("the definition of `{local}`"))?;
                    code.push(Instr::Bind);
                    self.scope.slots.push(local);
                }
                code.extend(self.expr("`}`")?);
                if self.tok.tok == Tok::Semi {
                    self.bump()?;
                }
                self.expect(Tok::RBrace, "`}` at the end of the function body")?;
                if self.tok.tok == Tok::Semi {
                    self.bump()?;
                }
                Ok(code)
            }
            _ => Err(self.fail(
                self.tok.start,
                format!(
                    "expected `=` or `{{` to start the body of `{name}`, found {}",
                    self.describe(self.tok)
                ),
            )),
        }
    }

    /// Parses one expression into stack code. `after` says what may follow
    /// it (for the error when an operator is missing).
    fn expr(&mut self, after: &str) -> Result<Vec<Instr>, Fail> {
        let mut code: Vec<Instr> = Vec::new();
        let mut ops: Vec<Pending<'s>> = Vec::new();
        let mut want_operand = true;
        loop {
            let t = self.tok;
            if want_operand {
                match t.tok {
                    Tok::Num(v) => {
                        code.push(Instr::Const(v));
                        self.bump()?;
                        want_operand = false;
                    }
                    Tok::Ident => {
                        let name = self.text(t);
                        self.bump()?;
                        if self.tok.tok == Tok::LParen {
                            self.bump()?;
                            if self.tok.tok == Tok::RParen {
                                self.bump()?;
                                code.push(self.call(name, t.start, 0)?);
                                want_operand = false;
                            } else {
                                ops.push(Pending::Call {
                                    name,
                                    pos: t.start,
                                    argc: 0,
                                });
                            }
                        } else {
                            code.push(self.variable(name, t.start)?);
                            want_operand = false;
                        }
                    }
                    Tok::LBracket => {
                        self.bump()?;
                        if self.tok.tok == Tok::RBracket {
                            self.bump()?;
                            code.push(Instr::List(0));
                            want_operand = false;
                        } else {
                            ops.push(Pending::List {
                                pos: t.start,
                                argc: 0,
                            });
                        }
                    }
                    Tok::Fold => {
                        self.bump()?;
                        let (acc, apos) = self.name("a name for the accumulator after `fold`")?;
                        self.check_bindable(acc, apos, "an accumulator name")?;
                        self.expect(Tok::Eq, "`=` after the accumulator's name")?;
                        ops.push(Pending::FoldInit { pos: t.start, acc });
                    }
                    Tok::Minus => {
                        ops.push(Pending::Neg(t.start));
                        self.bump()?;
                    }
                    Tok::LParen => {
                        ops.push(Pending::Paren(t.start));
                        self.bump()?;
                    }
                    _ => {
                        return Err(self.fail(
                            t.start,
                            format!("expected an expression, found {}", self.describe(t)),
                        ));
                    }
                }
                continue;
            }
            let incoming = match t.tok {
                Tok::Plus => Some(Pending::Bin(BinaryOp::Add, t.start)),
                Tok::Minus => Some(Pending::Bin(BinaryOp::Sub, t.start)),
                Tok::Star => Some(Pending::Bin(BinaryOp::Mul, t.start)),
                Tok::Slash => Some(Pending::Bin(BinaryOp::Div, t.start)),
                Tok::Caret => None,
                // A number cannot be indexed: `0.5 [0, 1]` is a missing word.
                Tok::LBracket if !matches!(self.prev_tok, Tok::Num(_)) => {
                    // Indexing binds tighter than any operator.
                    ops.push(Pending::Index(t.start));
                    self.bump()?;
                    want_operand = true;
                    continue;
                }
                _ => {
                    // Close what is open, or end the expression.
                    while let Some(&top) = ops.last() {
                        if !self.reduce(top, &mut code) {
                            break;
                        }
                        ops.pop();
                    }
                    self.close(&mut ops, &mut code, t, after, &mut want_operand)?;
                    if ops.is_empty() && !want_operand && self.ends_expression(t.tok) {
                        return Ok(code);
                    }
                    continue;
                }
            };
            // A binary operator: reduce what binds at least as tightly
            // (`^` is right-associative, so it reduces only tighter ones).
            let op = incoming.unwrap_or(Pending::Pow(0));
            let p = op.prec().unwrap_or(0);
            let right_assoc = incoming.is_none();
            while let Some(&top) = ops.last() {
                let Some(tp) = top.prec() else { break };
                if tp > p || (tp == p && !right_assoc) {
                    self.reduce(top, &mut code);
                    ops.pop();
                } else {
                    break;
                }
            }
            self.bump()?;
            ops.push(if right_assoc {
                Pending::Pow(self.tok.start)
            } else {
                op
            });
            want_operand = true;
        }
    }

    /// True for the tokens that end an expression when nothing is open.
    fn ends_expression(&self, tok: Tok) -> bool {
        !matches!(
            tok,
            Tok::RParen | Tok::RBracket | Tok::Comma | Tok::For | Tok::DotDot | Tok::Colon
        )
    }

    /// Emits the instruction of operator `top` and returns true, or returns
    /// false if `top` is a group (which only its closing token ends).
    fn reduce(&mut self, top: Pending<'s>, code: &mut Vec<Instr>) -> bool {
        if let Pending::FoldBody { start, acc } = top {
            // Both jumps span from the `LoopStart` to the `LoopNext`.
            let len = offset32(code.len() - start);
            if let Some(Instr::LoopStart { len: l, .. }) = code.get_mut(start) {
                *l = len;
            }
            code.push(Instr::LoopNext { len, acc });
            self.scope.slots.truncate(acc as usize);
            return true;
        }
        match top.instr() {
            Some(i) => {
                code.push(i);
                true
            }
            None => false,
        }
    }

    /// Handles token `t`, which is not an operator, after an operand: it
    /// closes or continues the group on top of `ops` (consuming `t`), or,
    /// with nothing open, ends the expression (leaving `t`). Errors for a
    /// token that does neither.
    fn close(
        &mut self,
        ops: &mut Vec<Pending<'s>>,
        code: &mut Vec<Instr>,
        t: Token,
        after: &str,
        want_operand: &mut bool,
    ) -> Result<(), Fail> {
        let found = self.describe(t);
        let at = |p: &Self, open: usize| {
            let (l, c) = p.line_col(open);
            format!("{l}:{c}")
        };
        match (ops.last().copied(), t.tok) {
            (Some(Pending::Paren(_)), Tok::RParen) => {
                ops.pop();
                self.bump()?;
            }
            (Some(Pending::Call { name, pos, argc }), Tok::RParen) => {
                ops.pop();
                self.bump()?;
                code.push(self.call(name, pos, argc + 1)?);
            }
            (Some(Pending::Call { name, pos, argc }), Tok::Comma) => {
                ops.pop();
                ops.push(Pending::Call {
                    name,
                    pos,
                    argc: argc + 1,
                });
                self.bump()?;
                *want_operand = true;
            }
            (Some(Pending::List { pos, argc }), Tok::Comma) => {
                ops.pop();
                ops.push(Pending::List {
                    pos,
                    argc: argc + 1,
                });
                self.bump()?;
                *want_operand = true;
            }
            (Some(Pending::List { pos, argc }), Tok::RBracket) => {
                ops.pop();
                self.bump()?;
                let n = u32::try_from(argc + 1).map_err(|_| self.fail(pos, "too many elements"))?;
                code.push(Instr::List(n));
            }
            (Some(Pending::Index(pos)), Tok::RBracket) => {
                ops.pop();
                self.bump()?;
                code.push(Instr::Index(offset32(pos)));
            }
            (Some(Pending::FoldInit { pos, acc }), Tok::For) => {
                ops.pop();
                self.bump()?;
                let (var, vpos) = self.name("a loop variable after `for`")?;
                self.check_bindable(var, vpos, "a loop variable")?;
                if var == acc {
                    return Err(self.fail(
                        vpos,
                        format!(
                            "the loop variable `{var}` has the name of the accumulator; use another"
                        ),
                    ));
                }
                self.expect(Tok::In, "`in` after the loop variable")?;
                let from = self.tok.start;
                ops.push(Pending::FoldFrom {
                    pos,
                    acc,
                    var,
                    from,
                });
                *want_operand = true;
            }
            (
                Some(Pending::FoldFrom {
                    pos,
                    acc,
                    var,
                    from,
                }),
                Tok::DotDot,
            ) => {
                ops.pop();
                self.bump()?;
                let to = self.tok.start;
                ops.push(Pending::FoldTo {
                    pos,
                    acc,
                    var,
                    from,
                    to,
                });
                *want_operand = true;
            }
            (
                Some(Pending::FoldTo {
                    pos,
                    acc,
                    var,
                    from,
                    to,
                }),
                Tok::Colon,
            ) => {
                ops.pop();
                self.bump()?;
                let start = code.len();
                code.push(Instr::LoopStart {
                    len: 0,
                    from: offset32(from),
                    to: offset32(to),
                });
                let slot = u32::try_from(self.scope.slots.len())
                    .map_err(|_| self.fail(pos, "too many names"))?;
                self.scope.slots.extend([acc, var, ""]);
                ops.push(Pending::FoldBody { start, acc: slot });
                *want_operand = true;
            }
            (Some(open), _) => {
                // A group that this token neither continues nor closes.
                let expected = match open {
                    Pending::Paren(pos) => format!("`)` to close the `(` at {}", at(self, pos)),
                    Pending::Call { name, .. } => format!("`,` or `)` in the call of `{name}`"),
                    Pending::List { pos, .. } => {
                        format!("`,` or `]` in the list started at {}", at(self, pos))
                    }
                    Pending::Index(pos) => {
                        format!("`]` to close the index `[` at {}", at(self, pos))
                    }
                    Pending::FoldInit { pos, .. } => format!(
                        "`for` after the initial value of the `fold` at {}",
                        at(self, pos)
                    ),
                    Pending::FoldFrom { pos, .. } => {
                        format!("`..` in the range of the `fold` at {}", at(self, pos))
                    }
                    Pending::FoldTo { pos, .. } => {
                        format!("`:` after the range of the `fold` at {}", at(self, pos))
                    }
                    // Operators were reduced before this is called.
                    _ => "an operator".to_string(),
                };
                return Err(self.fail(t.start, format!("expected {expected}, found {found}")));
            }
            (_, Tok::RParen) => return Err(self.fail(t.start, "unmatched `)`")),
            (_, Tok::RBracket) => return Err(self.fail(t.start, "unmatched `]`")),
            (_, Tok::Comma) => {
                return Err(self.fail(
                    t.start,
                    format!("unexpected `,` outside of a function call or list (expected {after})"),
                ));
            }
            (_, Tok::For | Tok::DotDot | Tok::Colon) => {
                return Err(self.fail(
                    t.start,
                    format!(
                        "unexpected {found} outside of a `fold` (written `fold acc = init for i in a .. b: body`; expected {after})"
                    ),
                ));
            }
            _ => {}
        }
        Ok(())
    }

    fn line_col(&self, pos: usize) -> (usize, usize) {
        let e = crate::error::SourceError::at(self.src, pos, "");
        (e.line, e.col)
    }

    /// Resolves a name used as a value.
    fn variable(&self, name: &str, pos: usize) -> Result<Instr, Fail> {
        if let Some(v) = is_input(name) {
            return Ok(Instr::Var(v));
        }
        if let Some(k) = self.scope.slots.iter().rposition(|s| *s == name) {
            return Ok(Instr::Slot(u32::try_from(k).unwrap_or(u32::MAX)));
        }
        match self.c.globals.get(name) {
            Some(Global::Val(v)) => return Ok(Instr::Val(*v)),
            Some(Global::Const(v)) => return Ok(Instr::Const(*v)),
            None => {}
        }
        if builtin_arity(name).is_some() || self.c.func_names.contains_key(name) {
            return Err(self.fail(
                pos,
                format!("`{name}` is a function, not a value: call it with arguments, like `{name}(...)`"),
            ));
        }
        let mut candidates: Vec<&str> = vec!["x", "y", "z"];
        candidates.extend(self.scope.slots.iter().copied().filter(|s| !s.is_empty()));
        candidates.extend(self.c.globals.keys().map(|k| k.as_str()));
        let hint = suggest::did_you_mean(name, candidates);
        Err(self.fail(pos, format!("unknown variable `{name}`{hint}")))
    }

    /// Resolves a call with `argc` arguments.
    fn call(&self, name: &str, pos: usize, argc: usize) -> Result<Instr, Fail> {
        let args = |n: usize| plural(n, "argument", "arguments");
        let given = |n: usize| {
            if n == 1 {
                "1 was given".to_string()
            } else {
                format!("{n} were given")
            }
        };
        if let Some(arity) = builtin_arity(name) {
            return match arity {
                None if argc >= 2 => {
                    let op = if name == "min" {
                        BinaryOp::Min
                    } else {
                        BinaryOp::Max
                    };
                    Ok(Instr::Chain(
                        op,
                        u32::try_from(argc).unwrap_or(u32::MAX),
                        offset32(pos),
                    ))
                }
                None => Err(self.fail(
                    pos,
                    format!("`{name}` takes 2 or more arguments, but {}", given(argc)),
                )),
                Some(n) if n != argc => Err(self.fail(
                    pos,
                    format!("`{name}` takes {}, but {}", args(n), given(argc)),
                )),
                Some(_) => Ok(if name == "remap" {
                    Instr::Remap(offset32(pos))
                } else if name == "len" {
                    Instr::Len(offset32(pos))
                } else if let Some(u) = UnaryOp::from_name(name) {
                    Instr::Unary(u, offset32(pos))
                } else if let Some(b) = BinaryOp::from_name(name) {
                    Instr::Binary(b, offset32(pos))
                } else {
                    return Err(self.fail(pos, format!("unknown function `{name}`")));
                }),
            };
        }
        if self.scope.name == Some(name) {
            return Err(self.fail(
                pos,
                format!("`{name}` calls itself: recursion is not supported (a function may only call functions defined before it)"),
            ));
        }
        if let Some(&id) = self.c.func_names.get(name)
            && let Some(f) = self.c.funcs.get(id as usize)
        {
            if f.arity != argc {
                return Err(self.fail(
                    pos,
                    format!("`{name}` takes {}, but {}", args(f.arity), given(argc)),
                ));
            }
            return Ok(Instr::Call {
                func: id,
                pos: offset32(pos),
            });
        }
        let is_value = is_input(name).is_some()
            || self.c.globals.contains_key(name)
            || self.scope.slots.contains(&name);
        if is_value {
            return Err(self.fail(pos, format!("`{name}` is a value, not a function")));
        }
        let mut candidates = builtin_names();
        let user: Vec<&str> = self.c.func_names.keys().map(|k| k.as_str()).collect();
        candidates.extend(user.iter().copied());
        let hint = suggest::did_you_mean(name, candidates);
        Err(self.fail(pos, format!("unknown function `{name}`{hint}")))
    }
}
