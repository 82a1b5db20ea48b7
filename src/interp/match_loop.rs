//! Match-loop dispatch: the baseline `loop { match }` interpreter.
//!
//! One function reads an instruction, matches on its opcode (the arms are
//! `exec::step`, generated from the op list) and loops. It is the portable
//! fallback and the yardstick for the other dispatch styles.

use super::{Ctx, exec};
use crate::eval::{Choice, Value};
use crate::tape::{Insn, OPCODE_MASK};

/// Runs a tape from its first instruction.
///
/// # Safety
/// As for [`super::tail_call::run`].
pub(super) unsafe fn run<V: Value>(
    tape: &[Insn],
    regs: *mut V,
    ctx: *mut Ctx<V>,
    mut ch: *mut Choice,
) {
    let mut ip = tape.as_ptr();
    // Plain opcodes (forwarding bits masked off): every operand is read from
    // the register file, so the forwarded value is never used.
    let fwd = V::splat(0.0).forward();
    // SAFETY: a validated tape ends with `Output`, where `step` returns
    // `None`, so `ip` never leaves the tape.
    unsafe {
        loop {
            let i = *ip;
            if exec::step::<V>(i.code & OPCODE_MASK, i, regs, ctx, &mut ch, fwd).is_none() {
                return;
            }
            ip = ip.add(1);
        }
    }
}
