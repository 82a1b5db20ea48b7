//! Trampoline dispatch: every handler returns the next handler to a small
//! driver loop, which calls it.
//!
//! Portable and stack-safe without tail calls; each step costs an indirect
//! call and a return.

use super::{Ctx, exec};
use crate::eval::{Choice, Value};
use crate::ops::Op;
use crate::tape::{Insn, OPCODE_MASK};

/// Interpreter state, passed by reference between handlers.
struct State<V> {
    ip: *const Insn,
    regs: *mut V,
    ctx: *mut Ctx<V>,
    ch: *mut Choice,
}

/// What a handler returns: the next handler, or `None` after `Output`.
struct Next<V>(Option<Handler<V>>);
type Handler<V> = unsafe fn(&mut State<V>) -> Next<V>;

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

/// Runs instruction `*st.ip` (opcode `OP`) and returns the next handler.
///
/// # Safety
/// As for [`run`].
unsafe fn handler<V: Value, const OP: u8>(st: &mut State<V>) -> Next<V> {
    // Plain opcodes: no forwarding between handlers.
    let fwd = V::splat(0.0).forward();
    // SAFETY: `st.ip` points into a validated tape, which ends with `Output`,
    // where `step` returns `None`; so `ip + 1` is only read inside the tape.
    unsafe {
        if exec::step::<V>(OP, *st.ip, st.regs, st.ctx, &mut st.ch, fwd).is_some() {
            st.ip = st.ip.add(1);
            Next(Some(table::<V>()[((*st.ip).code & OPCODE_MASK) as usize]))
        } else {
            Next(None)
        }
    }
}

/// Runs a tape from its first instruction.
///
/// # Safety
/// As for [`super::tail_call::run`].
pub(super) unsafe fn run<V: Value>(tape: &[Insn], regs: *mut V, ctx: *mut Ctx<V>, ch: *mut Choice) {
    let mut st = State {
        ip: tape.as_ptr(),
        regs,
        ctx,
        ch,
    };
    // SAFETY: a validated tape is not empty; the rest is the caller's contract.
    unsafe {
        let mut next = table::<V>()[((*st.ip).code & OPCODE_MASK) as usize];
        while let Some(h) = next(&mut st).0 {
            next = h;
        }
    }
}
