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
/// slot for `Load`/`Store`, and the variable (0 = x, 1 = y, 2 = z) for `Input`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[repr(C, align(8))]
pub struct Insn {
    /// What to do.
    pub op: Op,
    /// Register written.
    pub out: u8,
    /// First register read.
    pub a: u8,
    /// Second register read.
    pub b: u8,
    /// Immediate operand (see above).
    pub imm: u32,
}

impl Insn {
    /// An instruction; unused fields are zero.
    pub fn new(op: Op, out: u8, a: u8, b: u8, imm: u32) -> Self {
        Insn { op, out, a, b, imm }
    }
}

/// A validated register tape.
///
/// Invariants, checked by [`RegTape::new`]:
/// - it is not empty and its last instruction is `Output`;
/// - `Input` instructions name variable 0, 1 or 2;
/// - `Load`/`Store` slots are below [`RegTape::mem_slots`].
///
/// Register indices are `u8` and the register file has 256 entries, so they
/// need no check.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RegTape {
    insns: Vec<Insn>,
    mem_slots: usize,
    choice_count: usize,
}

impl RegTape {
    /// Validates `insns` as a tape using `mem_slots` spill slots.
    pub fn new(insns: Vec<Insn>, mem_slots: usize) -> Result<Self, Error> {
        let mut choice_count = 0;
        match insns.last() {
            Some(i) if i.op == Op::Output => {}
            _ => {
                return Err(Error::Tape(
                    "a tape must end with an Output instruction".into(),
                ));
            }
        }
        for (n, i) in insns.iter().enumerate() {
            let bad = match i.op {
                Op::Input => i.imm > 2,
                Op::Load | Op::Store => i.imm as usize >= mem_slots,
                _ => false,
            };
            if bad {
                return Err(Error::Tape(format!(
                    "instruction {n} ({:?}) is out of range",
                    i.op
                )));
            }
            choice_count += usize::from(i.op.is_choice());
        }
        Ok(RegTape {
            insns,
            mem_slots,
            choice_count,
        })
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

    /// Highest register written or read, plus one.
    pub fn registers_used(&self) -> usize {
        self.insns
            .iter()
            .map(|i| {
                let mut m = 0;
                if i.op.writes_out() {
                    m = m.max(i.out as usize + 1);
                }
                if i.op.reads_a() {
                    m = m.max(i.a as usize + 1);
                }
                if i.op.reads_b() {
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
