//! Match-loop dispatch: the baseline `loop { match }` interpreter.
//!
//! One function reads an instruction, matches on its opcode (the arms are
//! `exec::step`, generated from the op list) and loops. It is the portable
//! fallback and the yardstick for the other dispatch styles.

use super::{Ctx, exec};
use crate::eval::{Choice, Value};
use crate::tape::Insn;

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
    // SAFETY: a validated tape ends with `Output`, where `step` returns false,
    // so `ip` never leaves the tape.
    unsafe {
        loop {
            let i = *ip;
            if !exec::step::<V>(i.op, i, regs, ctx, &mut ch) {
                return;
            }
            ip = ip.add(1);
        }
    }
}
