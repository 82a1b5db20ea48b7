//! The interpreter: runs a register tape over any [`Value`] type.
//!
//! Three dispatch styles run the same tapes from the same instruction bodies
//! (`exec.rs`, generated from [`crate::for_each_op!`]):
//!
//! - [`Dispatch::TailCall`] (`tail_call.rs`): each instruction a handler that
//!   ends in `become` to the next one;
//! - [`Dispatch::Match`] (`match_loop.rs`): the classic `loop { match }`;
//! - [`Dispatch::Trampoline`] (`trampoline.rs`): handlers return the next
//!   handler to a driver loop.
//!
//! All three give bit-identical results. This module is the only place with
//! `unsafe` code: the dispatchers index registers and memory without bounds
//! checks, relying on the invariants of [`RegTape`] (checked when it is built)
//! and on [`Machine`] (a full register file, enough spill memory and choice
//! slots, checked in [`Machine::run`]).

mod exec;
mod match_loop;
mod tail_call;
mod trampoline;

use std::fmt;
use std::str::FromStr;

use crate::eval::{Choice, Value};
use crate::tape::{REGISTER_COUNT, RegTape};

/// How the interpreter moves from one instruction to the next.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum Dispatch {
    /// Every handler ends with `become` to the next (the default).
    #[default]
    TailCall,
    /// A `loop { match }` over opcodes: the portable baseline.
    Match,
    /// Handlers return the next handler to a driver loop.
    Trampoline,
}

impl Dispatch {
    /// Every dispatch style.
    pub const ALL: [Dispatch; 3] = [Dispatch::TailCall, Dispatch::Match, Dispatch::Trampoline];

    /// The name used on the command line: `tail`, `match` or `trampoline`.
    pub fn name(self) -> &'static str {
        match self {
            Dispatch::TailCall => "tail",
            Dispatch::Match => "match",
            Dispatch::Trampoline => "trampoline",
        }
    }
}

impl fmt::Display for Dispatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Dispatch {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "tail" | "tailcall" | "tail-call" => Ok(Dispatch::TailCall),
            "match" => Ok(Dispatch::Match),
            "trampoline" => Ok(Dispatch::Trampoline),
            _ => Err(format!(
                "unknown dispatch `{s}` (expected tail, match or trampoline)"
            )),
        }
    }
}

/// What handlers share besides the register file.
#[repr(C)]
pub(crate) struct Ctx<V> {
    /// x, y, z.
    vars: [V; 3],
    /// Parameter values, at least the tape's `param_count` of them.
    params: *const V,
    /// Spill memory, at least `mem_slots` long.
    mem: *mut V,
    /// Where `Output` puts the result.
    out: V,
}

/// Scratch space for running tapes over one value type: a register file of
/// [`REGISTER_COUNT`] values and spill memory. Reuse one per thread; running a
/// tape allocates only when the tape needs more spill memory than any before.
///
/// ```
/// use tapir::{Dispatch, Shape};
/// use tapir::interp::Machine;
///
/// let shape = Shape::from_expr("x * y + 1").unwrap();
/// let mut m = Machine::<f32>::new();
/// let v = m.run(Dispatch::TailCall, shape.reg_tape(), [2.0, 3.0, 0.0], &mut []);
/// assert_eq!(v, 7.0);
/// ```
pub struct Machine<V: Value> {
    regs: Box<[V]>,
    mem: Vec<V>,
    /// Parameter values (see [`Machine::set_params`]).
    params: Vec<V>,
    /// Threaded forms of recently run tapes, by tape id, most recent first
    /// (for tail-call dispatch; see [`Machine::threaded`]).
    threaded: Vec<(u64, Vec<tail_call::Threaded<V>>)>,
}

/// How many threaded tapes a machine keeps: enough for every level of a
/// tiled render to keep its tape.
const THREADED_CACHE: usize = 8;

impl<V: Value> Default for Machine<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V: Value> Machine<V> {
    /// A machine with a zeroed register file.
    pub fn new() -> Self {
        Machine {
            regs: vec![V::splat(0.0); REGISTER_COUNT].into_boxed_slice(),
            mem: Vec::new(),
            params: Vec::new(),
            threaded: Vec::new(),
        }
    }

    /// Sets the values of the shape's parameters for the runs that follow:
    /// parameter k (the tape input `3 + k`) is `values[k]`, as a constant
    /// of this machine's value type (a point interval for intervals, with
    /// zero derivatives for gradients). Parameters without a value read as
    /// NaN. Allocates only when there are more values than ever before.
    ///
    /// ```
    /// use tapir::{Dispatch, Shape};
    /// use tapir::interp::Machine;
    ///
    /// let shape = Shape::from_expr("param r = 1 in [0, 2];\nx - r").unwrap();
    /// let mut m = Machine::<f32>::new();
    /// m.set_params(&[0.25]);
    /// assert_eq!(m.run(Dispatch::TailCall, shape.reg_tape(), [1.0, 0.0, 0.0], &mut []), 0.75);
    /// ```
    pub fn set_params(&mut self, values: &[f32]) {
        self.params.clear();
        self.params.extend(values.iter().map(|&v| V::splat(v)));
    }

    /// The threaded form of `tape` (each instruction's handler, which the
    /// tail-call handlers read to jump to the next one), from the cache or
    /// made now. The cache keeps the most recent tapes; its buffers are
    /// reused, so nothing is allocated once they are large enough.
    fn threaded(&mut self, tape: &RegTape) -> &[tail_call::Threaded<V>] {
        let id = tape.id();
        match self.threaded.iter().position(|(t, _)| *t == id) {
            Some(0) => {}
            Some(k) => self.threaded[..=k].rotate_right(1),
            None => {
                if self.threaded.len() < THREADED_CACHE {
                    self.threaded.push((0, Vec::new()));
                }
                self.threaded.rotate_right(1);
                let (t, buf) = &mut self.threaded[0];
                *t = id;
                tail_call::thread(tape.insns(), buf);
            }
        }
        &self.threaded[0].1
    }

    /// Runs `tape` at the inputs `vars` (x, y, z) and returns its output.
    /// Parameters have the values last given to [`Machine::set_params`].
    ///
    /// When `V` records choices (intervals), `choices` receives one
    /// [`Choice`] per choice instruction, in tape order; it must hold at least
    /// [`RegTape::choice_count`] entries. Other value types ignore it.
    ///
    /// # Panics
    /// If `choices` is too short for an interval evaluation.
    #[inline]
    pub fn run(
        &mut self,
        dispatch: Dispatch,
        tape: &RegTape,
        vars: [V; 3],
        choices: &mut [Choice],
    ) -> V {
        if V::RECORDS_CHOICES {
            assert!(
                choices.len() >= tape.choice_count(),
                "choice buffer too short: {} < {}",
                choices.len(),
                tape.choice_count()
            );
        }
        if self.mem.len() < tape.mem_slots() {
            self.mem.resize(tape.mem_slots(), V::splat(0.0));
        }
        if self.params.len() < tape.param_count() {
            self.params.resize(tape.param_count(), V::splat(f32::NAN));
        }
        let mut ctx = Ctx {
            vars,
            params: self.params.as_ptr(),
            mem: self.mem.as_mut_ptr(),
            out: V::splat(f32::NAN),
        };
        let insns = tape.insns();
        let regs = self.regs.as_mut_ptr();
        let ch = choices.as_mut_ptr();
        // SAFETY: `tape` is a `RegTape`, validated when built (non-empty, ends
        // in `Output`, inputs name x/y/z or a parameter below `param_count`,
        // memory slots below `mem_slots`); `regs` has REGISTER_COUNT (256)
        // entries, so every u8 register index is in range; `mem` has at least
        // `mem_slots` entries and `params` at least `param_count` (resized
        // above);
        // `choices` has room for every choice instruction when they are
        // recorded (asserted above); the threaded form was made from the
        // tape with this id, and tapes never change after they are built.
        unsafe {
            match dispatch {
                Dispatch::TailCall => {
                    let threaded = self.threaded(tape);
                    tail_call::run(insns, threaded, regs, &mut ctx, ch)
                }
                Dispatch::Match => match_loop::run(insns, regs, &mut ctx, ch),
                Dispatch::Trampoline => trampoline::run(insns, regs, &mut ctx, ch),
            }
        }
        ctx.out
    }
}
