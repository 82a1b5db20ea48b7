//! Tail-call dispatch: every instruction is a handler function that ends by
//! `become`-ing the handler of the next instruction.
//!
//! Each handler is one instantiation of [`handler`] for a constant code byte
//! (opcode and forwarding mode), so `exec::step` folds to that instruction's
//! body; the table of handlers, indexed by code byte, is an associated
//! constant per value type. Handlers take only flat arguments (pointers, and
//! the forwarded value), hold nothing that needs dropping, and, on x86-64,
//! use the `rust-preserve-none` calling convention so that nothing is saved
//! and restored between instructions.
//!
//! What this buys over the match loop:
//!
//! - each handler ends in its own indirect jump (predicted per instruction
//!   kind);
//! - the tape is *threaded*: [`thread`] stores each instruction's handler
//!   pointer in an array walked in step with the instructions, so the jump
//!   target is one load away instead of two (code byte, then table), which
//!   shortens every misprediction; [`super::Machine`] caches threaded forms
//!   by tape id;
//! - each result travels to the next handler in a machine register (`fwd`:
//!   an `f32` in `xmm0`, an interval in `xmm0`/`xmm1`). Two thirds of
//!   Prospero's instructions read the result of the one before; with
//!   forwarding they skip the store-to-load round trip through the register
//!   file on that dependency chain.

use super::{Ctx, exec};
use crate::eval::{Choice, Value};
use crate::ops::Op;
use crate::tape::Insn;

/// A handler pointer as stored in a threaded tape.
#[repr(transparent)]
pub(super) struct Threaded<V: Value>(Handler<V>);

#[cfg(target_arch = "x86_64")]
type Handler<V> = unsafe extern "rust-preserve-none" fn(
    *const Insn,
    *const Threaded<V>,
    *mut V,
    *mut Ctx<V>,
    *mut Choice,
    <V as Value>::Forward,
);
#[cfg(not(target_arch = "x86_64"))]
type Handler<V> = unsafe fn(
    *const Insn,
    *const Threaded<V>,
    *mut V,
    *mut Ctx<V>,
    *mut Choice,
    <V as Value>::Forward,
);

/// The handler table of a value type, indexed by an instruction's whole
/// code byte (opcode and forwarding mode).
trait Table: Value {
    const TABLE: [Handler<Self>; 256];
}

macro_rules! define_table {
    (output: $out:ident; ops: $($name:ident = $form:ident($($method:ident)?);)*) => {
        impl<V: Value> Table for V {
            const TABLE: [Handler<V>; 256] = {
                // Codes that no validated tape holds run `Output`'s handler.
                let mut t = [handler::<V, { Op::$out as u8 }> as Handler<V>; 256];
                // Forwarding variants exist only for value types that forward;
                // for the others every mode maps to the plain handler.
                if V::FORWARDS {
                    t[Op::$out as usize | 64] = handler::<V, { Op::$out as u8 | 64 }>;
                    $(
                        t[Op::$name as usize] = handler::<V, { Op::$name as u8 }>;
                        t[Op::$name as usize | 64] = handler::<V, { Op::$name as u8 | 64 }>;
                        t[Op::$name as usize | 128] = handler::<V, { Op::$name as u8 | 128 }>;
                        t[Op::$name as usize | 192] = handler::<V, { Op::$name as u8 | 192 }>;
                    )*
                } else {
                    $(
                        let h = handler::<V, { Op::$name as u8 }> as Handler<V>;
                        t[Op::$name as usize] = h;
                        t[Op::$name as usize | 64] = h;
                        t[Op::$name as usize | 128] = h;
                        t[Op::$name as usize | 192] = h;
                    )*
                }
                t
            };
        }
    };
}
crate::for_each_op!(define_table);

#[inline(always)]
fn table<V: Value>() -> &'static [Handler<V>; 256] {
    const { &<V as Table>::TABLE }
}

/// Declares the handler once per calling convention.
macro_rules! handler {
    ($($abi:literal)?, $cfg:meta) => {
        /// Runs instruction `*ip` (code byte `CODE`: opcode and forwarding
        /// mode), given `fwd`, the previous instruction's result; then becomes
        /// the next handler, read from the threaded tape at `hp + 1`, passing
        /// on this one's result.
        ///
        /// # Safety
        /// As for [`run`].
        #[cfg($cfg)]
        unsafe $(extern $abi)? fn handler<V: Value, const CODE: u8>(
            ip: *const Insn,
            hp: *const Threaded<V>,
            regs: *mut V,
            ctx: *mut Ctx<V>,
            mut ch: *mut Choice,
            fwd: V::Forward,
        ) {
            // SAFETY: `ip` points into a validated tape, which ends with
            // `Output`; `step` returns `None` there, so `ip + 1` is only read
            // while it is still inside the tape, and `hp` walks the threaded
            // form of the same tape, which has the same length. The
            // forwarding bits of a validated tape are exact, and `fwd` is the
            // previous result.
            unsafe {
                if let Some(fwd) = exec::step::<V>(CODE, *ip, regs, ctx, &mut ch, fwd) {
                    let ip = ip.add(1);
                    let hp = hp.add(1);
                    become ((*hp).0)(ip, hp, regs, ctx, ch, fwd)
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
/// `tape` is validated (see [`crate::tape::RegTape`]), `threaded` is its
/// threaded form (made by [`thread`] from this tape), `regs` is a full
/// register file, and `ctx`/`ch` meet the conditions checked in
/// [`super::Machine::run`].
pub(super) unsafe fn run<V: Value>(
    tape: &[Insn],
    threaded: &[Threaded<V>],
    regs: *mut V,
    ctx: *mut Ctx<V>,
    ch: *mut Choice,
) {
    debug_assert_eq!(tape.len(), threaded.len());
    let ip = tape.as_ptr();
    // The first instruction has no predecessor, so its mode never forwards.
    let fwd = V::splat(0.0).forward();
    let hp = threaded.as_ptr();
    // SAFETY: a validated tape is not empty, and `threaded` holds the handler
    // of each of its instructions (the caller's contract); the rest is the
    // caller's contract too.
    unsafe { ((*hp).0)(ip, hp, regs, ctx, ch, fwd) }
}

/// Writes into `out` the handler of each instruction of `tape`: the tape in
/// threaded form, which the handlers walk in step with the instructions.
pub(super) fn thread<V: Value>(tape: &[Insn], out: &mut Vec<Threaded<V>>) {
    out.clear();
    out.extend(tape.iter().map(|i| Threaded(table::<V>()[i.code as usize])));
}
