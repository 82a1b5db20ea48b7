//! Per-thread evaluation state shared by every grid evaluator: the pruning
//! machinery (interval evaluation of a region, then the tape simplified to
//! what can matter there) and the slice and gradient machines that evaluate
//! the points of a leaf region.
//!
//! The 2D renderer, the voxel and 3D renderers and the mesher all walk a
//! tree of regions the same way: bound the region with [`Worker::interval`],
//! stop if the bound decides it, otherwise take [`Worker::prune`]d tape into
//! the children, and give the tape back with [`Worker::recycle`] when the
//! children are done. A [`Worker`] is leased per thread ([`Worker::lease`])
//! and returns to its thread when the lease ends, so its buffers (register
//! files, spill memory, pruned tapes, the simplifier's tables) are reused
//! from region to region and from render to render: steady-state work
//! allocates nothing.

use std::cell::RefCell;
use std::sync::atomic::Ordering;

use super::{EvalOptions, RenderStats};
use crate::eval::{Choice, GRAD_LANES, GradSlice, Interval, LANES, Lanes};
use crate::interp::{Dispatch, Machine};
use crate::tape::Tape;
use crate::tape::simplify::Simplifier;

/// Work counters, in [`RenderStats`] field order.
#[derive(Copy, Clone, Debug, Default)]
pub(crate) struct Work {
    /// Interval evaluations.
    pub interval_evals: u64,
    /// Instructions run by them.
    pub interval_insns: u64,
    /// Prunings.
    pub simplify_calls: u64,
    /// Instructions of the tapes read by them.
    pub simplify_insns: u64,
    /// Slice evaluations.
    pub slice_evals: u64,
    /// Instructions run by them.
    pub slice_insns: u64,
    /// Samples filled from an interval result without evaluation.
    pub filled: u64,
}

/// Per-thread scratch space for evaluating one shape over regions.
pub(crate) struct Worker {
    /// Dispatch style of every evaluation.
    pub dispatch: Dispatch,
    /// Whether regions are bounded and pruned at all.
    pub prune: bool,
    interval: Machine<Interval>,
    slice: Machine<Lanes<LANES>>,
    grad: Machine<GradSlice>,
    choices: Vec<Choice>,
    simplifier: Simplifier,
    /// Pruned tapes not in use, whose buffers the next pruning reuses.
    spare: Vec<Tape>,
    /// Work done since the last [`Worker::report`].
    pub work: Work,
}

thread_local! {
    /// Workers not in use on this thread.
    static IDLE: RefCell<Vec<Worker>> = const { RefCell::new(Vec::new()) };
}

/// A worker borrowed from its thread's idle list (see [`Worker::lease`]).
pub(crate) struct Lease(Option<Worker>);

impl std::ops::Deref for Lease {
    type Target = Worker;
    fn deref(&self) -> &Worker {
        self.0
            .as_ref()
            .expect("a lease holds its worker until dropped")
    }
}

impl std::ops::DerefMut for Lease {
    fn deref_mut(&mut self) -> &mut Worker {
        self.0
            .as_mut()
            .expect("a lease holds its worker until dropped")
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(w) = self.0.take() {
            // At thread exit the list may be gone; the worker is then freed.
            let _ = IDLE.try_with(|idle| idle.borrow_mut().push(w));
        }
    }
}

impl Worker {
    fn new() -> Self {
        Worker {
            dispatch: Dispatch::default(),
            prune: true,
            interval: Machine::new(),
            slice: Machine::new(),
            grad: Machine::new(),
            choices: Vec::new(),
            simplifier: Simplifier::new(),
            spare: Vec::new(),
            work: Work::default(),
        }
    }

    /// A worker for this thread, set up for one evaluation with `opts` and
    /// the parameter values `params` (from [`EvalOptions::param_values`]):
    /// the thread's idle worker if it has one (its buffers already grown),
    /// else a new one. It returns to the thread when the lease is dropped.
    pub fn lease(opts: &EvalOptions, params: &[f32]) -> Lease {
        let mut w = IDLE.with_borrow_mut(Vec::pop).unwrap_or_else(Worker::new);
        w.dispatch = opts.dispatch;
        w.prune = opts.prune;
        w.interval.set_params(params);
        w.slice.set_params(params);
        w.grad.set_params(params);
        w.work = Work::default();
        Lease(Some(w))
    }

    /// Bounds `tape` over the box `xyz` and records, for [`Worker::prune`],
    /// which side of each choice can win there.
    pub fn interval(&mut self, tape: &Tape, xyz: [Interval; 3]) -> Interval {
        self.choices.clear();
        self.choices.resize(tape.reg.choice_count(), Choice::Both);
        self.work.interval_evals += 1;
        self.work.interval_insns += tape.reg.len() as u64;
        self.interval
            .run(self.dispatch, &tape.reg, xyz, &mut self.choices)
    }

    /// After [`Worker::interval`] on `tape`: `tape` without the branches
    /// that cannot win in that box, or `None` when every choice is open
    /// (`tape` is then as short as it gets). Equal to `tape` at every point
    /// of the box. Give it back with [`Worker::recycle`] when done.
    pub fn prune(&mut self, tape: &Tape) -> Option<Tape> {
        if self.choices.iter().all(|&c| c == Choice::Both) {
            return None;
        }
        let mut child = self.spare.pop().unwrap_or_default();
        self.simplifier.simplify(tape, &self.choices, &mut child);
        self.work.simplify_calls += 1;
        self.work.simplify_insns += tape.ssa.len() as u64;
        Some(child)
    }

    /// Returns a tape made by [`Worker::prune`], for its buffers to be reused.
    pub fn recycle(&mut self, tape: Option<Tape>) {
        if let Some(t) = tape {
            self.spare.push(t);
        }
    }

    /// Evaluates `tape` at `LANES` points.
    pub fn slice(&mut self, tape: &Tape, xyz: [Lanes<LANES>; 3]) -> Lanes<LANES> {
        self.work.slice_evals += 1;
        self.work.slice_insns += tape.reg.len() as u64;
        self.slice.run(self.dispatch, &tape.reg, xyz, &mut [])
    }

    /// Evaluates `tape` with its gradient at [`GradSlice`]'s points; the
    /// inputs are the coordinates (their derivatives are set here).
    pub fn grad(&mut self, tape: &Tape, xyz: [Lanes<GRAD_LANES>; 3]) -> GradSlice {
        self.work.slice_evals += 1;
        self.work.slice_insns += tape.reg.len() as u64;
        let vars = std::array::from_fn(|axis| GradSlice::var(xyz[axis], axis));
        self.grad.run(self.dispatch, &tape.reg, vars, &mut [])
    }

    /// Adds the work done since the last report to `opts.stats`, if set.
    pub fn report(&mut self, opts: &EvalOptions) {
        let w = std::mem::take(&mut self.work);
        if let Some(s) = &opts.stats {
            s.add(&w);
        }
    }
}

impl RenderStats {
    /// Adds a worker's counters.
    pub(crate) fn add(&self, w: &Work) {
        let pairs = [
            (&self.interval_evals, w.interval_evals),
            (&self.interval_insns, w.interval_insns),
            (&self.simplify_calls, w.simplify_calls),
            (&self.simplify_insns, w.simplify_insns),
            (&self.slice_evals, w.slice_evals),
            (&self.slice_insns, w.slice_insns),
            (&self.filled_pixels, w.filled),
        ];
        for (c, v) in pairs {
            c.fetch_add(v, Ordering::Relaxed);
        }
    }
}
