//! Tail-call dispatch: every instruction is a handler function that ends by
//! `become`-ing the handler of the next instruction.
//!
//! Each handler is one instantiation of [`handler`] for a constant opcode, so
//! `exec::step` folds to that instruction's body; the table of handlers is an
//! associated constant per value type. Handlers take only flat arguments
//! (pointers), hold nothing that needs dropping, and, on x86-64, use the
//! `rust-preserve-none` calling convention so that no registers are saved and
//! restored between instructions.

use super::{Ctx, exec};
use crate::eval::{Choice, Value};
use crate::ops::Op;
use crate::tape::Insn;

#[cfg(target_arch = "x86_64")]
type Handler<V> =
    unsafe extern "rust-preserve-none" fn(*const Insn, *mut V, *mut Ctx<V>, *mut Choice);
#[cfg(not(target_arch = "x86_64"))]
type Handler<V> = unsafe fn(*const Insn, *mut V, *mut Ctx<V>, *mut Choice);

/// The handler table of a value type, indexed by opcode.
trait Table: Value {
    const TABLE: [Handler<Self>; Op::COUNT];
}

macro_rules! define_table {
    (output: $out:ident; ops: $($name:ident = $form:ident($($method:ident)?);)*) => {
        impl<V: Value> Table for V {
            const TABLE: [Handler<V>; Op::COUNT] = [
                handler::<V, { Op::$out as u8 }>,
                $(handler::<V, { Op::$name as u8 }>,)*
            ];
        }
    };
}
crate::for_each_op!(define_table);

#[inline(always)]
fn table<V: Value>() -> &'static [Handler<V>; Op::COUNT] {
    const { &<V as Table>::TABLE }
}

/// Declares the handler once per calling convention.
macro_rules! handler {
    ($($abi:literal)?, $cfg:meta) => {
        /// Runs instruction `*ip` (opcode `OP`), then becomes the next handler.
        ///
        /// # Safety
        /// As for [`run`].
        #[cfg($cfg)]
        unsafe $(extern $abi)? fn handler<V: Value, const OP: u8>(
            ip: *const Insn,
            regs: *mut V,
            ctx: *mut Ctx<V>,
            mut ch: *mut Choice,
        ) {
            // SAFETY: `ip` points into a validated tape, which ends with
            // `Output`; `step` returns false there, so `ip + 1` is only read
            // while it is still inside the tape.
            unsafe {
                if exec::step::<V>(const { Op::ALL[OP as usize] }, *ip, regs, ctx, &mut ch) {
                    let ip = ip.add(1);
                    become table::<V>()[(*ip).op as usize](ip, regs, ctx, ch)
                }
            }
        }
    };
}
handler!("rust-preserve-none", target_arch = "x86_64");
handler!(, not(target_arch = "x86_64"));

/// Runs a tape from its first instruction.
///
/// # Safety
/// `tape` is validated (see [`crate::tape::RegTape`]), `regs` is a full
/// register file, and `ctx`/`ch` meet the conditions checked in
/// [`super::run`].
pub(super) unsafe fn run<V: Value>(tape: &[Insn], regs: *mut V, ctx: *mut Ctx<V>, ch: *mut Choice) {
    let ip = tape.as_ptr();
    // SAFETY: a validated tape is not empty; the rest is the caller's contract.
    unsafe { table::<V>()[(*ip).op as usize](ip, regs, ctx, ch) }
}
