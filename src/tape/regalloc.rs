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
//! [`RegAlloc::finish`]. It allocates only when a tape is larger than any
//! before.

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
    /// Value bound to each register, or `NONE`.
    holds: [u32; REGISTER_COUNT],
    /// When each register was last used (for eviction).
    touched: [u32; REGISTER_COUNT],
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
            holds: [NONE; REGISTER_COUNT],
            touched: [0; REGISTER_COUNT],
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
        self.reg_of.clear();
        self.reg_of.resize(value_count, NO_REG);
        self.home_of.clear();
        self.home_of.resize(value_count, NONE);
        self.holds = [NONE; REGISTER_COUNT];
        self.touched = [0; REGISTER_COUNT];
        self.free.clear();
        self.free
            .extend((0..self.limit as u16).rev().map(|r| r as u8));
        self.free_mem.clear();
        self.mem_slots = 0;
        self.time = 0;
        buf.clear();
        self.out = buf;
    }

    /// Takes the next SSA instruction, going backwards from the `Output`.
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
                if self.free.is_empty() {
                    let r = self.evict();
                    self.free.push(r);
                }
                *self.free.last().expect("a register was just freed")
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
        let mut insns = std::mem::take(&mut self.out);
        insns.reverse();
        RegTape::new(insns, self.mem_slots as usize).expect("the allocator builds valid tapes")
    }

    /// The register holding `v` at this point, binding one if needed.
    fn use_value(&mut self, v: u32) -> u8 {
        let r = self.reg_of[v as usize];
        let r = if r != NO_REG {
            r as u8
        } else {
            let r = match self.free.pop() {
                Some(r) => r,
                None => self.evict(),
            };
            self.holds[r as usize] = v;
            self.reg_of[v as usize] = r as u16;
            r
        };
        self.touched[r as usize] = self.time;
        r
    }

    /// Frees the least recently used register not used by the current
    /// instruction, spilling its value.
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
