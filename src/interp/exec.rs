//! What each instruction does to the register file, written once for every
//! value type and every dispatch style.
//!
//! [`step`] is generated from [`crate::for_each_op!`]: one match arm per
//! instruction, each calling the operand-form helper named in the op list with
//! the [`Value`] method that gives the meaning. The three dispatchers call it:
//! the match loop with the opcode it just read, the tail-call and trampoline
//! handlers with their opcode as a constant, so the match folds away.

use super::Ctx;
use crate::eval::{Choice, Value};
use crate::ops::Op;
use crate::tape::Insn;

/// Register `r` of the file at `regs`.
///
/// # Safety
/// `regs` points at a register file of [`crate::tape::REGISTER_COUNT`] values;
/// every `u8` index is in range.
#[inline(always)]
unsafe fn reg<V>(regs: *mut V, r: u8) -> *mut V {
    // SAFETY: the register file has 256 entries and `r` is a u8.
    unsafe { regs.add(r as usize) }
}

#[inline(always)]
unsafe fn input<V: Value>(i: Insn, regs: *mut V, ctx: *mut Ctx<V>, _: &mut *mut Choice) {
    // SAFETY: a validated tape's `Input` names variable 0, 1 or 2 in `imm`.
    unsafe { *reg(regs, i.out) = *(*ctx).vars.as_ptr().add(i.imm as usize) }
}

#[inline(always)]
unsafe fn constant<V: Value>(i: Insn, regs: *mut V, _: *mut Ctx<V>, _: &mut *mut Choice) {
    // SAFETY: register indices are always in range (see `reg`).
    unsafe { *reg(regs, i.out) = V::splat(f32::from_bits(i.imm)) }
}

#[inline(always)]
unsafe fn load<V: Value>(i: Insn, regs: *mut V, ctx: *mut Ctx<V>, _: &mut *mut Choice) {
    // SAFETY: a validated tape's memory slots are below `mem_slots`, and the
    // caller provides at least that many (checked in `interp::run`).
    unsafe { *reg(regs, i.out) = *(*ctx).mem.add(i.imm as usize) }
}

#[inline(always)]
unsafe fn store<V: Value>(i: Insn, regs: *mut V, ctx: *mut Ctx<V>, _: &mut *mut Choice) {
    // SAFETY: as for `load`.
    unsafe { *(*ctx).mem.add(i.imm as usize) = *reg(regs, i.a) }
}

#[inline(always)]
unsafe fn unary<V: Value>(
    i: Insn,
    regs: *mut V,
    _: *mut Ctx<V>,
    _: &mut *mut Choice,
    f: impl Fn(V) -> V,
) {
    // SAFETY: register indices are always in range (see `reg`).
    unsafe { *reg(regs, i.out) = f(*reg(regs, i.a)) }
}

#[inline(always)]
unsafe fn binary<V: Value>(
    i: Insn,
    regs: *mut V,
    _: *mut Ctx<V>,
    _: &mut *mut Choice,
    f: impl Fn(V, V) -> V,
) {
    // SAFETY: register indices are always in range (see `reg`).
    unsafe { *reg(regs, i.out) = f(*reg(regs, i.a), *reg(regs, i.b)) }
}

#[inline(always)]
unsafe fn binary_imm<V: Value>(
    i: Insn,
    regs: *mut V,
    _: *mut Ctx<V>,
    _: &mut *mut Choice,
    f: impl Fn(V, V) -> V,
) {
    let imm = V::splat(f32::from_bits(i.imm));
    // SAFETY: register indices are always in range (see `reg`).
    unsafe { *reg(regs, i.out) = f(*reg(regs, i.a), imm) }
}

#[inline(always)]
unsafe fn imm_binary<V: Value>(
    i: Insn,
    regs: *mut V,
    _: *mut Ctx<V>,
    _: &mut *mut Choice,
    f: impl Fn(V, V) -> V,
) {
    let imm = V::splat(f32::from_bits(i.imm));
    // SAFETY: register indices are always in range (see `reg`).
    unsafe { *reg(regs, i.out) = f(imm, *reg(regs, i.a)) }
}

/// Stores a choice and advances the cursor (interval evaluation only).
///
/// # Safety
/// The choice buffer holds one entry per choice instruction of the tape
/// (checked in `interp::run`), and each instruction runs once.
#[inline(always)]
unsafe fn record<V: Value>(ch: &mut *mut Choice, c: Choice) {
    if V::RECORDS_CHOICES {
        // SAFETY: see above: the cursor never passes the buffer's end.
        unsafe {
            **ch = c;
            *ch = ch.add(1);
        }
    }
}

#[inline(always)]
unsafe fn choice<V: Value>(
    i: Insn,
    regs: *mut V,
    _: *mut Ctx<V>,
    ch: &mut *mut Choice,
    f: impl Fn(V, V) -> (V, Choice),
) {
    // SAFETY: register indices are always in range (see `reg`); `record` as documented.
    unsafe {
        let (v, c) = f(*reg(regs, i.a), *reg(regs, i.b));
        *reg(regs, i.out) = v;
        record::<V>(ch, c);
    }
}

#[inline(always)]
unsafe fn choice_imm<V: Value>(
    i: Insn,
    regs: *mut V,
    _: *mut Ctx<V>,
    ch: &mut *mut Choice,
    f: impl Fn(V, V) -> (V, Choice),
) {
    let imm = V::splat(f32::from_bits(i.imm));
    // SAFETY: register indices are always in range (see `reg`); `record` as documented.
    unsafe {
        let (v, c) = f(*reg(regs, i.a), imm);
        *reg(regs, i.out) = v;
        record::<V>(ch, c);
    }
}

macro_rules! define_step {
    (output: $out:ident; ops: $($name:ident = $form:ident($($method:ident)?);)*) => {
        /// Executes instruction `i` (whose opcode is `op`); returns false after
        /// `Output`, which stores the result in `ctx.out`.
        ///
        /// # Safety
        /// `i` comes from a validated tape, `regs` is a full register file and
        /// `ctx`/`ch` satisfy the conditions checked in `interp::run`.
        #[inline(always)]
        pub(super) unsafe fn step<V: Value>(
            op: Op,
            i: Insn,
            regs: *mut V,
            ctx: *mut Ctx<V>,
            ch: &mut *mut Choice,
        ) -> bool {
            // SAFETY: forwarded from this function's contract.
            unsafe {
                match op {
                    Op::$out => {
                        (*ctx).out = (*reg(regs, i.a)).canonical();
                        false
                    }
                    $(Op::$name => {
                        $form::<V>(i, regs, ctx, ch $(, V::$method)?);
                        true
                    })*
                }
            }
        }
    };
}
crate::for_each_op!(define_step);
