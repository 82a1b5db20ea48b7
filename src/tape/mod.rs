//! Tapes: the graph lowered to straight-line code.
//!
//! Two forms, both ending in an `Output` instruction:
//!
//! - [`SsaTape`] (`lower.rs`): one instruction per graph node, each writing a
//!   fresh value number. Pruning ([`simplify`]) works on this form.
//! - [`RegTape`]: the SSA tape after register allocation (`regalloc.rs`) into a
//!   file of [`REGISTER_COUNT`] registers, with spill slots in memory when more
//!   values are live at once. This is what the interpreter runs.
//!
//! [`RegTape`] is validated when built (see [`RegTape::new`]); the interpreter
//! relies on it to index without bounds checks.

pub mod lift;
pub mod lower;
pub mod regalloc;
pub mod simplify;

use crate::error::Error;
use crate::ops::Op;

/// Size of the register file: registers are named by `u8`.
pub const REGISTER_COUNT: usize = 256;

/// One register-tape instruction: 8 bytes.
///
/// `imm` holds an `f32` (as bits) for constant and immediate forms, a spill
/// slot for `Load`/`Store`, and the input number for `Input` (0 = x, 1 = y,
/// 2 = z, 3 + k = parameter k; see [`crate::graph::Var::index`]).
///
/// The code byte holds the opcode in its low 6 bits and, in its high 2 bits,
/// the *forwarding mode* set by [`RegTape::new`]: bit 6 when operand `a` is
/// the register the previous instruction wrote, bit 7 likewise for `b`. The
/// tail-call interpreter passes each result to the next handler in a machine
/// register and reads such operands from there instead of from the register
/// file (see `interp/tail_call.rs`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[repr(C, align(8))]
pub struct Insn {
    /// Opcode (low 6 bits) and forwarding mode (high 2 bits).
    pub(crate) code: u8,
    /// Register written.
    pub out: u8,
    /// First register read.
    pub a: u8,
    /// Second register read.
    pub b: u8,
    /// Immediate operand (see above).
    pub imm: u32,
}

/// The opcode bits of an instruction's code byte.
pub(crate) const OPCODE_MASK: u8 = 63;
/// Forwarding mode bit: operand `a` is the previous instruction's result.
pub(crate) const FORWARD_A: u8 = 1 << 6;
/// Forwarding mode bit: operand `b` is the previous instruction's result.
pub(crate) const FORWARD_B: u8 = 1 << 7;

impl Insn {
    /// An instruction; unused fields are zero.
    pub fn new(op: Op, out: u8, a: u8, b: u8, imm: u32) -> Self {
        Insn {
            code: op as u8,
            out,
            a,
            b,
            imm,
        }
    }

    /// What the instruction does.
    #[inline(always)]
    pub fn op(self) -> Op {
        Op::from_code(self.code)
    }
}

/// A validated register tape.
///
/// Invariants, checked by [`RegTape::new`]:
/// - it is not empty and its last instruction is `Output`;
/// - `Input` instructions name x, y, z (0, 1, 2) or a parameter below
///   [`RegTape::param_count`] (3 + k), which is at most
///   [`crate::graph::MAX_PARAMS`];
/// - `Load`/`Store` slots are below [`RegTape::mem_slots`].
///
/// Register indices are `u8` and the register file has 256 entries, so they
/// need no check.
///
/// A tape cannot be changed once built; each gets a unique [`RegTape::id`]
/// (shared by its clones), by which the interpreter caches derived forms.
#[derive(Clone, Debug)]
pub struct RegTape {
    insns: Vec<Insn>,
    mem_slots: usize,
    choice_count: usize,
    param_count: usize,
    /// Bit `v` set when an `Input` reads variable `v` (bit 31: any of 31
    /// and beyond).
    inputs: u32,
    id: u64,
}

impl PartialEq for RegTape {
    /// Same instructions and spill slots (the id is not compared).
    fn eq(&self, o: &Self) -> bool {
        self.insns == o.insns && self.mem_slots == o.mem_slots
    }
}

/// A number no other tape built in this process has.
fn next_tape_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Default for RegTape {
    /// The tape that returns register 0 (zero in a fresh machine).
    fn default() -> Self {
        RegTape {
            insns: vec![Insn::new(Op::Output, 0, 0, 0, 0)],
            mem_slots: 0,
            choice_count: 0,
            param_count: 0,
            inputs: 0,
            id: next_tape_id(),
        }
    }
}

impl RegTape {
    /// Validates `insns` as a tape using `mem_slots` spill slots, and sets
    /// each instruction's forwarding mode. The tape reads as many
    /// parameters as its highest `Input` names.
    pub fn new(mut insns: Vec<Insn>, mem_slots: usize) -> Result<Self, Error> {
        let mut choice_count = 0;
        let mut param_count = 0;
        let mut inputs = 0u32;
        match insns.last() {
            Some(i) if i.op() == Op::Output => {}
            _ => {
                return Err(Error::Tape(
                    "a tape must end with an Output instruction".into(),
                ));
            }
        }
        // The register the previous instruction wrote, if it wrote one.
        let mut prev: Option<u8> = None;
        for (n, i) in insns.iter_mut().enumerate() {
            let op = i.op();
            let bad = match op {
                Op::Input => i.imm as usize >= 3 + crate::graph::MAX_PARAMS,
                Op::Load | Op::Store => i.imm as usize >= mem_slots,
                _ => false,
            };
            if op == Op::Input && i.imm >= 3 {
                param_count = param_count.max(i.imm as usize - 2);
            }
            if bad {
                return Err(Error::Tape(format!(
                    "instruction {n} ({op:?}) is out of range"
                )));
            }
            choice_count += usize::from(op.is_choice());
            if op == Op::Input {
                inputs |= 1 << i.imm.min(31);
            }
            let mut code = op as u8;
            if op.reads_a() && Some(i.a) == prev {
                code |= FORWARD_A;
            }
            if op.reads_b() && Some(i.b) == prev {
                code |= FORWARD_B;
            }
            i.code = code;
            prev = op.writes_out().then_some(i.out);
        }
        Ok(RegTape {
            insns,
            mem_slots,
            choice_count,
            param_count,
            inputs,
            id: next_tape_id(),
        })
    }

    /// This tape's identity: unique among tapes built in this process, and
    /// shared by its clones (which are equal, as tapes never change).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The instructions.
    pub fn insns(&self) -> &[Insn] {
        &self.insns
    }

    /// Number of instructions.
    pub fn len(&self) -> usize {
        self.insns.len()
    }

    /// Always false: a valid tape has at least its `Output`.
    pub fn is_empty(&self) -> bool {
        self.insns.is_empty()
    }

    /// Spill slots the tape uses.
    pub fn mem_slots(&self) -> usize {
        self.mem_slots
    }

    /// Number of choice instructions (`min`, `max`, `and`, `or` forms).
    pub fn choice_count(&self) -> usize {
        self.choice_count
    }

    /// Number of parameter values the tape may read: one past the highest
    /// parameter its `Input` instructions name (0 if none).
    pub fn param_count(&self) -> usize {
        self.param_count
    }

    /// True when the tape reads input variable `v` (0 = x, 1 = y, 2 = z):
    /// a tape that does not read z has the same value all along each line
    /// parallel to the z axis.
    ///
    /// ```
    /// let s = tapir::Shape::from_expr("min(x, y + 1)").unwrap();
    /// assert!(s.reg_tape().reads_input(1) && !s.reg_tape().reads_input(2));
    /// ```
    pub fn reads_input(&self, v: usize) -> bool {
        self.inputs & (1 << v.min(31)) != 0
    }

    /// Highest register written or read, plus one.
    pub fn registers_used(&self) -> usize {
        self.insns
            .iter()
            .map(|i| {
                let mut m = 0;
                let op = i.op();
                if op.writes_out() {
                    m = m.max(i.out as usize + 1);
                }
                if op.reads_a() {
                    m = m.max(i.a as usize + 1);
                }
                if op.reads_b() {
                    m = m.max(i.b as usize + 1);
                }
                m
            })
            .max()
            .unwrap_or(0)
    }

    /// Gives the instruction buffer back, for reuse.
    pub fn into_insns(self) -> Vec<Insn> {
        self.insns
    }
}

/// One SSA instruction: like [`Insn`] but naming values, not registers.
///
/// `out`, `a` and `b` are value numbers (below [`SsaTape::value_count`]);
/// `imm` as in [`Insn`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SsaOp {
    /// What to do (never `Load`, `Store`).
    pub op: Op,
    /// Value defined.
    pub out: u32,
    /// First value read.
    pub a: u32,
    /// Second value read.
    pub b: u32,
    /// Immediate operand.
    pub imm: u32,
}

/// A tape in SSA form: every instruction defines a new value.
///
/// Invariants (kept by the builders in this module, which are the only ones):
/// every value is defined once, before it is read; value numbers are below
/// `value_count`; the last instruction is `Output`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SsaTape {
    pub(crate) ops: Vec<SsaOp>,
    pub(crate) value_count: u32,
    pub(crate) choice_count: u32,
}

impl SsaTape {
    /// The instructions.
    pub fn ops(&self) -> &[SsaOp] {
        &self.ops
    }

    /// Number of instructions.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Always false: a tape has at least its `Output`.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Number of values defined.
    pub fn value_count(&self) -> usize {
        self.value_count as usize
    }

    /// Number of choice instructions.
    pub fn choice_count(&self) -> usize {
        self.choice_count as usize
    }
}

/// A shape's code in both forms.
#[derive(Clone, Debug, Default)]
pub struct Tape {
    /// The SSA form, for pruning and export.
    pub ssa: SsaTape,
    /// The register form, for evaluation.
    pub reg: RegTape,
}
