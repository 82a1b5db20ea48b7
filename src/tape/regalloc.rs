//! Register allocation: SSA tape → register tape, in one backward pass.
//!
//! Walking the SSA tape from its output back to its inputs, a value is first
//! met at its *last* use: that is where it gets a register, which stays bound
//! to it until its definition is met, where the register is released. So each
//! value holds a register exactly over its live range, and a released register
//! is reused at once (most recently freed first, keeping the hot set small).
//!
//! When every register is bound, the least recently used value is evicted to a
//! spill slot: in forward order the tape then reloads it (`Load`) right after
//! the instruction that needed the register, and its definition stores it
//! (`Store`) to the slot. Instructions are produced in reverse and flipped at
//! the end.
//!
//! The allocator is a reusable workspace: [`RegAlloc::begin`], then
//! [`RegAlloc::op`] for each SSA instruction from last to first, then
//! [`RegAlloc::finish`]. Its per-value tables are left clean by a finished
//! tape (every binding made is undone at the value's definition), so a new
//! tape costs nothing to start, and nothing is allocated once the tables are
//! as large as the largest tape seen.

use super::{Insn, REGISTER_COUNT, RegTape, SsaOp, SsaTape};
use crate::ops::Op;

const NO_REG: u16 = u16::MAX;
const NONE: u32 = u32::MAX;

/// Backward linear-scan register allocator (see the module docs).
#[derive(Clone, Debug)]
pub struct RegAlloc {
    limit: usize,
    /// Register bound to each value, or `NO_REG`.
    reg_of: Vec<u16>,
    /// Spill slot of each value, or `NONE`.
    home_of: Vec<u32>,
    /// True when `reg_of`/`home_of` hold bindings (a tape was begun and not
    /// finished) and must be cleared before reuse.
    dirty: bool,
    /// Value bound to each register, or `NONE` (registers below `fresh`).
    holds: [u32; REGISTER_COUNT],
    /// When each register was last used (registers below `fresh`).
    touched: [u32; REGISTER_COUNT],
    /// Registers `fresh..limit` have never been used in this tape.
    fresh: usize,
    /// Released registers, most recent last.
    free: Vec<u8>,
    free_mem: Vec<u32>,
    mem_slots: u32,
    time: u32,
    out: Vec<Insn>,
}

impl RegAlloc {
    /// An allocator using registers `0..limit` (2 ≤ limit ≤ 256).
    pub fn new(limit: usize) -> Self {
        assert!(
            (2..=REGISTER_COUNT).contains(&limit),
            "register limit must be in 2..=256"
        );
        RegAlloc {
            limit,
            reg_of: Vec::new(),
            home_of: Vec::new(),
            dirty: false,
            holds: [NONE; REGISTER_COUNT],
            touched: [0; REGISTER_COUNT],
            fresh: 0,
            free: Vec::with_capacity(REGISTER_COUNT),
            free_mem: Vec::new(),
            mem_slots: 0,
            time: 0,
            out: Vec::new(),
        }
    }

    /// Starts a tape whose values are numbered below `value_count`, writing
    /// into `buf` (cleared; its capacity is reused).
    pub fn begin(&mut self, value_count: usize, mut buf: Vec<Insn>) {
        if self.dirty {
            self.reg_of.fill(NO_REG);
            self.home_of.fill(NONE);
        }
        if self.reg_of.len() < value_count {
            self.reg_of.resize(value_count, NO_REG);
            self.home_of.resize(value_count, NONE);
        }
        self.dirty = true;
        self.fresh = 0;
        self.free.clear();
        self.free_mem.clear();
        self.mem_slots = 0;
        self.time = 0;
        buf.clear();
        self.out = buf;
    }

    /// Takes the next SSA instruction, going backwards from the `Output`.
    #[inline(always)]
    pub fn op(&mut self, op: &SsaOp) {
        self.time += 1;
        if op.op == Op::Output {
            let r = self.use_value(op.a);
            self.out.push(Insn::new(Op::Output, 0, r, 0, 0));
            return;
        }
        let v = op.out as usize;
        let home = self.home_of[v];
        let out = match self.reg_of[v] {
            NO_REG if home == NONE => {
                debug_assert!(false, "value {v} is defined but never read");
                return;
            }
            NO_REG => {
                // Only in memory: compute into a free register, then store.
                let r = self.take_register();
                self.free.push(r);
                r
            }
            r => {
                let r = r as u8;
                self.holds[r as usize] = NONE;
                self.reg_of[v] = NO_REG;
                self.free.push(r);
                r
            }
        };
        if home != NONE {
            self.out.push(Insn::new(Op::Store, 0, out, 0, home));
            self.free_mem.push(home);
            self.home_of[v] = NONE;
        }
        let a = if op.op.reads_a() {
            self.use_value(op.a)
        } else {
            0
        };
        let b = if op.op.reads_b() {
            self.use_value(op.b)
        } else {
            0
        };
        self.out.push(Insn::new(op.op, out, a, b, op.imm));
    }

    /// Finishes the tape begun with [`RegAlloc::begin`].
    pub fn finish(&mut self) -> RegTape {
        // Every binding was undone at its value's definition.
        self.dirty = false;
        let mut insns = std::mem::take(&mut self.out);
        insns.reverse();
        RegTape::new(insns, self.mem_slots as usize).expect("the allocator builds valid tapes")
    }

    /// The register holding `v` at this point, binding one if needed.
    #[inline(always)]
    fn use_value(&mut self, v: u32) -> u8 {
        let r = self.reg_of[v as usize];
        let r = if r != NO_REG {
            r as u8
        } else {
            let r = self.take_register();
            self.holds[r as usize] = v;
            self.reg_of[v as usize] = r as u16;
            r
        };
        self.touched[r as usize] = self.time;
        r
    }

    /// A register bound to nothing: the last released, else one never used,
    /// else one freed by eviction.
    #[inline(always)]
    fn take_register(&mut self) -> u8 {
        if let Some(r) = self.free.pop() {
            r
        } else if self.fresh < self.limit {
            self.fresh += 1;
            (self.fresh - 1) as u8
        } else {
            self.evict()
        }
    }

    /// Frees the least recently used register not used by the current
    /// instruction, spilling its value.
    #[cold]
    fn evict(&mut self) -> u8 {
        let r = (0..self.limit)
            .filter(|&r| self.touched[r] != self.time && self.holds[r] != NONE)
            .min_by_key(|&r| self.touched[r])
            .expect("at least two registers") as u8;
        let w = self.holds[r as usize] as usize;
        if self.home_of[w] == NONE {
            self.home_of[w] = self.free_mem.pop().unwrap_or_else(|| {
                self.mem_slots += 1;
                self.mem_slots - 1
            });
        }
        // Forward order: right after the current instruction, `w` comes back
        // into `r` for its later uses.
        self.out.push(Insn::new(Op::Load, r, 0, 0, self.home_of[w]));
        self.holds[r as usize] = NONE;
        self.reg_of[w] = NO_REG;
        r
    }
}

/// Allocates registers for a whole SSA tape, using registers `0..limit`.
pub fn allocate(ssa: &SsaTape, limit: usize) -> RegTape {
    let mut alloc = RegAlloc::new(limit);
    alloc.begin(ssa.value_count(), Vec::with_capacity(ssa.len()));
    for op in ssa.ops.iter().rev() {
        alloc.op(op);
    }
    alloc.finish()
}
