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
        if self.dirty {
            self.new_id.fill(NONE);
        }
        if self.new_id.len() < ssa.value_count() {
            self.new_id.resize(ssa.value_count(), NONE);
        }
        self.dirty = true;
        self.assigned.clear();
        let mut ops = std::mem::take(&mut out.ssa.ops);
        ops.clear();
        self.alloc
            .begin(ssa.value_count(), std::mem::take(&mut self.spare));
        let mut count = 0u32;
        let mut choice_count = 0u32;
        let new_id = &mut self.new_id;
        let assigned = &mut self.assigned;
        let mut fresh = |v: u32, new_id: &mut [u32], assigned: &mut Vec<u32>| -> u32 {
            let n = &mut new_id[v as usize];
            if *n == NONE {
                *n = count;
                count += 1;
                assigned.push(v);
            }
            *n
        };
        let mut emit = |op: SsaOp, ops: &mut Vec<SsaOp>, alloc: &mut RegAlloc| {
            choice_count += u32::from(op.op.is_choice());
            alloc.op(&op);
            ops.push(op);
        };
        for op in ssa.ops.iter().rev() {
            if op.op == Op::Output {
                let a = fresh(op.a, new_id, assigned);
                emit(SsaOp { a, ..*op }, &mut ops, &mut self.alloc);
                continue;
            }
            let choice = if op.op.is_choice() {
                ci -= 1;
                choices[ci]
            } else {
                Choice::Both
            };
            let n = new_id[op.out as usize];
            if n == NONE {
                continue;
            }
            let survivor = match choice {
                Choice::Left => Some(op.a),
                Choice::Right if op.op.reads_b() => Some(op.b),
                Choice::Right => {
                    emit(
                        SsaOp {
                            op: Op::Const,
                            out: n,
                            a: 0,
                            b: 0,
                            imm: op.imm,
                        },
                        &mut ops,
                        &mut self.alloc,
                    );
                    continue;
                }
                Choice::Both => None,
            };
            match survivor {
                Some(s) if new_id[s as usize] == NONE => {
                    new_id[s as usize] = n;
                    assigned.push(s);
                }
                Some(s) => {
                    let a = new_id[s as usize];
                    emit(
                        SsaOp {
                            op: Op::Copy,
                            out: n,
                            a,
                            b: 0,
                            imm: 0,
                        },
                        &mut ops,
                        &mut self.alloc,
                    );
                }
                None => {
                    let a = if op.op.reads_a() {
                        fresh(op.a, new_id, assigned)
                    } else {
                        0
                    };
                    let b = if op.op.reads_b() {
                        fresh(op.b, new_id, assigned)
                    } else {
                        0
                    };
                    emit(
                        SsaOp {
                            op: op.op,
                            out: n,
                            a,
                            b,
                            imm: op.imm,
                        },
                        &mut ops,
                        &mut self.alloc,
                    );
                }
            }
        }
        for &v in assigned.iter() {
            new_id[v as usize] = NONE;
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
