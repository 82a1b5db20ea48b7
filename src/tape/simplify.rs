//! Pruning: a shorter tape for a region, from the choices an interval
//! evaluation recorded there.
//!
//! One backward pass over the SSA tape does everything: it follows liveness
//! from the output, drops the operand of every `min`/`max`/`and`/`or` that
//! cannot win in the region (the operation becomes its surviving operand, or a
//! `Copy` of it when that value is also needed elsewhere), drops code that is
//! no longer needed, renumbers values densely, and feeds each kept
//! instruction straight into the register allocator (which also works
//! backwards). The result is a new [`Tape`] whose value, at every point of the
//! region, is exactly the original tape's.
//!
//! The workspace and the output tape's buffers are reused from call to call,
//! so steady-state pruning does not allocate.

use super::regalloc::RegAlloc;
use super::{Insn, REGISTER_COUNT, SsaOp, Tape};
use crate::eval::Choice;
use crate::ops::Op;

const NONE: u32 = u32::MAX;

/// Reusable workspace for [`Simplifier::simplify`].
#[derive(Clone, Debug)]
pub struct Simplifier {
    /// New number of each old value, or `NONE`; all `NONE` between calls.
    new_id: Vec<u32>,
    /// Old values given a new number in this call (to clear them after).
    assigned: Vec<u32>,
    /// True while `new_id` may hold numbers (a call did not finish).
    dirty: bool,
    alloc: RegAlloc,
    /// The instruction buffer of the last tape replaced, reused next time.
    spare: Vec<Insn>,
}

impl Default for Simplifier {
    fn default() -> Self {
        Self::new()
    }
}

impl Simplifier {
    /// A workspace allocating into the full register file.
    pub fn new() -> Self {
        Self::with_register_limit(REGISTER_COUNT)
    }

    /// A workspace allocating into registers `0..limit`.
    pub fn with_register_limit(limit: usize) -> Self {
        Simplifier {
            new_id: Vec::new(),
            assigned: Vec::new(),
            dirty: false,
            alloc: RegAlloc::new(limit),
            spare: Vec::new(),
        }
    }

    /// Writes into `out` the tape `tape` reduced by `choices` (one per choice
    /// instruction, in tape order, as recorded by interval evaluation).
    ///
    /// # Panics
    /// If `choices` is shorter than the tape's choice count.
    pub fn simplify(&mut self, tape: &Tape, choices: &[Choice], out: &mut Tape) {
        let ssa = &tape.ssa;
        let mut ci = ssa.choice_count();
        assert!(choices.len() >= ci, "one choice per choice instruction");
        let (last, body) = ssa.ops.split_last().expect("a tape ends with Output");
        if self.dirty {
            self.new_id.fill(NONE);
        }
        if self.new_id.len() < ssa.value_count() {
            self.new_id.resize(ssa.value_count(), NONE);
        }
        self.dirty = true;
        let mut ops = std::mem::take(&mut out.ssa.ops);
        ops.clear();
        ops.reserve(ssa.len());
        self.alloc
            .begin(ssa.value_count(), std::mem::take(&mut self.spare));
        let mut w = Renumber {
            new_id: &mut self.new_id,
            assigned: &mut self.assigned,
            count: 0,
            choice_count: 0,
            ops,
            alloc: &mut self.alloc,
        };
        w.assigned.clear();
        let a = w.fresh(last.a);
        w.emit(SsaOp { a, ..*last });
        for op in body.iter().rev() {
            let choice = if op.op.is_choice() {
                ci -= 1;
                choices[ci]
            } else {
                Choice::Both
            };
            let n = w.new_id[op.out as usize];
            if n == NONE {
                continue;
            }
            let survivor = match choice {
                Choice::Both => {
                    let a = if op.op.reads_a() { w.fresh(op.a) } else { 0 };
                    let b = if op.op.reads_b() { w.fresh(op.b) } else { 0 };
                    w.emit(SsaOp {
                        out: n,
                        a,
                        b,
                        ..*op
                    });
                    continue;
                }
                Choice::Left => op.a,
                Choice::Right if op.op.reads_b() => op.b,
                Choice::Right => {
                    w.emit(SsaOp {
                        op: Op::Const,
                        out: n,
                        a: 0,
                        b: 0,
                        imm: op.imm,
                    });
                    continue;
                }
            };
            // The operation is its surviving operand: that value takes this
            // one's number, unless it already has one (it is also used
            // elsewhere), in which case this becomes a copy.
            let s = &mut w.new_id[survivor as usize];
            if *s == NONE {
                *s = n;
                w.assigned.push(survivor);
            } else {
                let a = *s;
                w.emit(SsaOp {
                    op: Op::Copy,
                    out: n,
                    a,
                    b: 0,
                    imm: 0,
                });
            }
        }
        let (count, choice_count, mut ops) = (w.count, w.choice_count, w.ops);
        for &v in self.assigned.iter() {
            self.new_id[v as usize] = NONE;
        }
        self.dirty = false;
        ops.reverse();
        out.ssa.ops = ops;
        out.ssa.value_count = count;
        out.ssa.choice_count = choice_count;
        // The new tape replaces the old, whose buffer is kept for next time:
        // `out` stays a valid tape throughout, and nothing is allocated once
        // the buffers are large enough.
        let old = std::mem::replace(&mut out.reg, self.alloc.finish());
        self.spare = old.into_insns();
    }
}

/// The state of one [`Simplifier::simplify`] pass.
struct Renumber<'a> {
    new_id: &'a mut [u32],
    assigned: &'a mut Vec<u32>,
    count: u32,
    choice_count: u32,
    ops: Vec<SsaOp>,
    alloc: &'a mut RegAlloc,
}

impl Renumber<'_> {
    /// The new number of old value `v`, given one if it has none yet.
    #[inline(always)]
    fn fresh(&mut self, v: u32) -> u32 {
        let n = &mut self.new_id[v as usize];
        if *n == NONE {
            *n = self.count;
            self.count += 1;
            self.assigned.push(v);
        }
        *n
    }

    /// Keeps an instruction (already renumbered): into the new SSA tape and
    /// through the register allocator.
    #[inline(always)]
    fn emit(&mut self, op: SsaOp) {
        self.choice_count += u32::from(op.op.is_choice());
        self.alloc.op(&op);
        self.ops.push(op);
    }
}
