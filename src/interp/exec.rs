//! What each instruction does to the register file, written once for every
//! value type and every dispatch style.
//!
//! [`step`] is generated from [`crate::for_each_op!`]: one match arm per
//! instruction, each calling the operand-form helper named in the op list with
//! the [`Value`] method that gives the meaning. The three dispatchers call it:
//! the match loop and the trampoline with the opcode they read, the tail-call
//! handlers with their whole code byte as a constant, so the match (and the
//! forwarding mode, below) fold away.
//!
//! Forwarding: every step returns the value it wrote, and takes the value
//! the previous step wrote (`fwd`). When the code's forwarding bits say an
//! operand is that value (see [`crate::tape::Insn`]) and the value type
//! forwards ([`Value::FORWARDS`]), the operand is taken from `fwd` — a machine
//! register in the tail-call interpreter — rather than loaded back from the
//! register file. The register file is written either way, so ignoring the
//! bits (as the match loop and trampoline do, passing mode 0) gives the same
//! results.

use super::Ctx;
use crate::eval::{Choice, Value};
use crate::ops::Op;
use crate::tape::{FORWARD_A, FORWARD_B, Insn};

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

/// The operands of one instruction, as a step sees them.
struct Args<V: Value> {
    i: Insn,
    mode: u8,
    fwd: V::Forward,
    regs: *mut V,
}

impl<V: Value> Args<V> {
    /// Operand `a`: forwarded, or read from the register file.
    #[inline(always)]
    unsafe fn a(&self) -> V {
        if V::FORWARDS && self.mode & FORWARD_A != 0 {
            V::unforward(self.fwd)
        } else {
            // SAFETY: register indices are always in range (see `reg`).
            unsafe { *reg(self.regs, self.i.a) }
        }
    }

    /// Operand `b`: forwarded, or read from the register file.
    #[inline(always)]
    unsafe fn b(&self) -> V {
        if V::FORWARDS && self.mode & FORWARD_B != 0 {
            V::unforward(self.fwd)
        } else {
            // SAFETY: register indices are always in range (see `reg`).
            unsafe { *reg(self.regs, self.i.b) }
        }
    }

    /// The immediate as a value.
    #[inline(always)]
    fn imm(&self) -> V {
        V::splat(f32::from_bits(self.i.imm))
    }

    /// Writes the result to register `out` and returns it for forwarding.
    #[inline(always)]
    unsafe fn write(&self, v: V) -> V::Forward {
        // SAFETY: register indices are always in range (see `reg`).
        unsafe { *reg(self.regs, self.i.out) = v };
        v.forward()
    }
}

#[inline(always)]
unsafe fn input<V: Value>(x: &Args<V>, ctx: *mut Ctx<V>, _: &mut *mut Choice) -> V::Forward {
    let k = x.i.imm as usize;
    // SAFETY: a validated tape's `Input` names x, y or z (0, 1, 2) or a
    // parameter 3 + j with j below the tape's `param_count`, and
    // `Machine::run` provides at least that many parameter values.
    unsafe {
        let v = if k < 3 {
            *(*ctx).vars.as_ptr().add(k)
        } else {
            *(*ctx).params.add(k - 3)
        };
        x.write(v)
    }
}

#[inline(always)]
unsafe fn constant<V: Value>(x: &Args<V>, _: *mut Ctx<V>, _: &mut *mut Choice) -> V::Forward {
    // SAFETY: see `Args::write`.
    unsafe { x.write(x.imm()) }
}

#[inline(always)]
unsafe fn load<V: Value>(x: &Args<V>, ctx: *mut Ctx<V>, _: &mut *mut Choice) -> V::Forward {
    // SAFETY: a validated tape's memory slots are below `mem_slots`, and the
    // caller provides at least that many (checked in `Machine::run`).
    unsafe { x.write(*(*ctx).mem.add(x.i.imm as usize)) }
}

#[inline(always)]
unsafe fn store<V: Value>(x: &Args<V>, ctx: *mut Ctx<V>, _: &mut *mut Choice) -> V::Forward {
    // SAFETY: as for `load`; register indices are always in range.
    unsafe {
        let v = x.a();
        *(*ctx).mem.add(x.i.imm as usize) = v;
        // Nothing is written to a register: the next instruction never
        // forwards from a store (see `RegTape::new`).
        x.fwd
    }
}

#[inline(always)]
unsafe fn unary<V: Value>(
    x: &Args<V>,
    _: *mut Ctx<V>,
    _: &mut *mut Choice,
    f: impl Fn(V) -> V,
) -> V::Forward {
    // SAFETY: see `Args`.
    unsafe { x.write(f(x.a())) }
}

#[inline(always)]
unsafe fn binary<V: Value>(
    x: &Args<V>,
    _: *mut Ctx<V>,
    _: &mut *mut Choice,
    f: impl Fn(V, V) -> V,
) -> V::Forward {
    // SAFETY: see `Args`.
    unsafe { x.write(f(x.a(), x.b())) }
}

#[inline(always)]
unsafe fn binary_imm<V: Value>(
    x: &Args<V>,
    _: *mut Ctx<V>,
    _: &mut *mut Choice,
    f: impl Fn(V, V) -> V,
) -> V::Forward {
    // SAFETY: see `Args`.
    unsafe { x.write(f(x.a(), x.imm())) }
}

#[inline(always)]
unsafe fn imm_binary<V: Value>(
    x: &Args<V>,
    _: *mut Ctx<V>,
    _: &mut *mut Choice,
    f: impl Fn(V, V) -> V,
) -> V::Forward {
    // SAFETY: see `Args`.
    unsafe { x.write(f(x.imm(), x.a())) }
}

/// Stores a choice and advances the cursor (interval evaluation only).
///
/// # Safety
/// The choice buffer holds one entry per choice instruction of the tape
/// (checked in `Machine::run`), and each instruction runs once.
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
    x: &Args<V>,
    _: *mut Ctx<V>,
    ch: &mut *mut Choice,
    f: impl Fn(V, V) -> (V, Choice),
) -> V::Forward {
    // SAFETY: see `Args` and `record`.
    unsafe {
        let (v, c) = f(x.a(), x.b());
        record::<V>(ch, c);
        x.write(v)
    }
}

#[inline(always)]
unsafe fn choice_imm<V: Value>(
    x: &Args<V>,
    _: *mut Ctx<V>,
    ch: &mut *mut Choice,
    f: impl Fn(V, V) -> (V, Choice),
) -> V::Forward {
    // SAFETY: see `Args` and `record`.
    unsafe {
        let (v, c) = f(x.a(), x.imm());
        record::<V>(ch, c);
        x.write(v)
    }
}

macro_rules! define_step {
    (output: $out:ident; ops: $($name:ident = $form:ident($($method:ident)?);)*) => {
        /// Executes instruction `i`, whose code byte is `code` (opcode and
        /// forwarding mode; pass the plain opcode to ignore forwarding), given
        /// the value the previous instruction wrote. Returns the value this
        /// one wrote, or `None` after `Output`, which stores the result in
        /// `ctx.out`.
        ///
        /// # Safety
        /// `i` comes from a validated tape, `regs` is a full register file,
        /// `ctx`/`ch` satisfy the conditions checked in `Machine::run`, and
        /// when `code` has forwarding bits, `fwd` is the previous
        /// instruction's result.
        #[inline(always)]
        pub(super) unsafe fn step<V: Value>(
            code: u8,
            i: Insn,
            regs: *mut V,
            ctx: *mut Ctx<V>,
            ch: &mut *mut Choice,
            fwd: V::Forward,
        ) -> Option<V::Forward> {
            let x = Args { i, mode: code, fwd, regs };
            // SAFETY: forwarded from this function's contract.
            unsafe {
                match Op::from_code(code) {
                    Op::$out => {
                        (*ctx).out = x.a().canonical();
                        None
                    }
                    $(Op::$name => Some($form::<V>(&x, ctx, ch $(, V::$method)?)),)*
                }
            }
        }
    };
}
crate::for_each_op!(define_step);
