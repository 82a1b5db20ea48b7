//! Grids: evaluating a shape over pixels, in parallel tiles.
//!
//! [`Grid2`] says where the samples are; [`EvalOptions`] how to evaluate
//! them (threads, dispatch, pruning); `render2d.rs` does the work.

pub mod color;
pub mod grid;
pub mod render2d;
pub mod render3d;
pub mod shade;
pub mod view;
pub mod voxels;
pub(crate) mod worker;

pub use color::ColorMode;
pub use grid::{Bounds2, Bounds3, Grid2, Grid3};
pub use render3d::{Frame3d, Geometry};
pub use view::View;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};

use crate::error::Error;
use crate::interp::Dispatch;

/// The most threads a render may ask for.
pub const MAX_THREADS: usize = 1024;

/// How to evaluate a grid.
#[derive(Clone, Debug)]
pub struct EvalOptions {
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Interpreter dispatch style.
    pub dispatch: Dispatch,
    /// Prune tapes per tile with interval arithmetic (results are identical
    /// either way; pruning is much faster).
    pub prune: bool,
    /// The z coordinate of the plane a 2D grid samples.
    pub z: f32,
    /// Tile edge lengths in pixels, largest first; each divides the one
    /// before. Root tiles run in parallel; tiles of every size but the last
    /// are evaluated as intervals (and filled or pruned); tiles of the last
    /// size are evaluated pixel by pixel, in slices of
    /// [`crate::eval::LANES`] points (so 8 × 8 fills a slice exactly).
    pub tile_sizes: Vec<usize>,
    /// Cell edge lengths, in voxels, of 3D evaluations (voxel grids and 3D
    /// renders), largest first; each divides the one before. Root cells run
    /// in parallel; cells of every size but the last are bounded by
    /// interval arithmetic (and skipped, filled or pruned); cells of the
    /// last size are evaluated sample by sample, in slices.
    pub voxel_tile_sizes: Vec<usize>,
    /// Refuse renders whose buffers would exceed this many bytes; `None`
    /// means half the machine's memory.
    pub memory_budget: Option<usize>,
    /// When set (e.g. by a Ctrl-C handler), the render stops at the next
    /// tile and returns [`Error::Interrupted`].
    pub cancel: Option<Arc<AtomicBool>>,
    /// Progress: set to the number of root tiles when the render starts
    /// (`progress.1`), then `progress.0` counts the tiles done.
    pub progress: Option<Arc<(AtomicUsize, AtomicUsize)>>,
    /// When set, the render adds up the work it did here.
    pub stats: Option<Arc<RenderStats>>,
}

/// Work done by renders (see [`EvalOptions::stats`]): where the time goes.
#[derive(Debug, Default)]
pub struct RenderStats {
    /// Interval evaluations (one per tile visited).
    pub interval_evals: AtomicU64,
    /// Instructions run by those interval evaluations.
    pub interval_insns: AtomicU64,
    /// Tiles whose tape was pruned.
    pub simplify_calls: AtomicU64,
    /// Instructions of the tapes those prunings read.
    pub simplify_insns: AtomicU64,
    /// Slice evaluations (each `LANES` points).
    pub slice_evals: AtomicU64,
    /// Instructions run by those slice evaluations.
    pub slice_insns: AtomicU64,
    /// Pixels filled from an interval result without evaluation.
    pub filled_pixels: AtomicU64,
}

impl RenderStats {
    /// A snapshot of the counters, in field order.
    pub fn snapshot(&self) -> [u64; 7] {
        [
            &self.interval_evals,
            &self.interval_insns,
            &self.simplify_calls,
            &self.simplify_insns,
            &self.slice_evals,
            &self.slice_insns,
            &self.filled_pixels,
        ]
        .map(|c| c.load(std::sync::atomic::Ordering::Relaxed))
    }
}

impl RenderStats {
    /// The counters in words, one line per kind of work.
    pub fn summary(&self) -> String {
        let [ie, ii, sc, si, se, sl, fp] = self.snapshot();
        let per = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        format!(
            "interval evaluations: {ie} ({:.1} instructions each)\n\
             prunings:             {sc} ({:.1} instructions read each)\n\
             slice evaluations:    {se} ({:.1} instructions each)\n\
             samples filled:       {fp}",
            per(ii, ie),
            per(si, sc),
            per(sl, se),
        )
    }
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            threads: 0,
            dispatch: Dispatch::default(),
            prune: true,
            z: 0.0,
            tile_sizes: vec![256, 64, 16, 8],
            voxel_tile_sizes: vec![64, 32, 16, 8],
            memory_budget: None,
            cancel: None,
            progress: None,
            stats: None,
        }
    }
}

impl EvalOptions {
    /// True once the cancel flag (if any) is set.
    pub fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Checks the options, with a message naming the bad value.
    pub fn validate(&self) -> Result<(), Error> {
        if self.threads > MAX_THREADS {
            return Err(Error::Limit(format!(
                "{} threads requested; at most {MAX_THREADS} are allowed",
                self.threads
            )));
        }
        check_tile_sizes("tile sizes", &self.tile_sizes, 4096)?;
        check_tile_sizes("voxel tile sizes", &self.voxel_tile_sizes, 256)?;
        Ok(())
    }
}

/// Checks that `sizes` are positive, largest first, each dividing the one
/// before, the first at most `max`.
fn check_tile_sizes(what: &str, t: &[usize], max: usize) -> Result<(), Error> {
    if t.is_empty() || t.contains(&0) || t.windows(2).any(|w| w[1] > w[0] || w[0] % w[1] != 0) {
        return Err(Error::Limit(format!(
            "{what} {t:?} must be positive, largest first, each dividing the one before"
        )));
    }
    if t[0] > max {
        return Err(Error::Limit(format!(
            "root {} {} exceeds {max}",
            what.trim_end_matches('s'),
            t[0]
        )));
    }
    Ok(())
}

/// Total memory of this machine in bytes, if known.
pub fn total_memory() -> Option<usize> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// The memory budget in effect for `opts`.
pub fn memory_budget(opts: &EvalOptions) -> usize {
    opts.memory_budget
        .unwrap_or_else(|| total_memory().map_or(2 << 30, |m| m / 2))
}

/// Refuses, before anything is allocated, a render of `grid` whose buffers
/// (`per_pixel` bytes a pixel, plus the coordinate arrays) would exceed the
/// budget.
pub(crate) fn check_budget(
    grid: &Grid2,
    per_pixel: usize,
    opts: &EvalOptions,
) -> Result<(), Error> {
    let coordinates = grid.width().saturating_add(grid.height()).saturating_mul(4);
    let bytes = grid
        .len()
        .saturating_mul(per_pixel)
        .saturating_add(coordinates);
    let (w, h) = (grid.width(), grid.height());
    check_bytes(bytes, || format!("a {w}×{h} render"), opts)
}

/// Refuses work that needs `bytes` of buffers when that is over the budget
/// of `opts`; the message names the work (`what`, e.g. "a 100×100 render")
/// and both sizes.
pub(crate) fn check_bytes(
    bytes: usize,
    what: impl FnOnce() -> String,
    opts: &EvalOptions,
) -> Result<(), Error> {
    let budget = memory_budget(opts);
    if bytes > budget {
        return Err(Error::Limit(format!(
            "{} needs about {} MiB of buffers, over the memory budget of {} MiB",
            what(),
            bytes >> 20,
            budget >> 20
        )));
    }
    Ok(())
}

/// The number of threads an evaluation with `threads` (0: one per core)
/// uses.
pub(crate) fn pool_threads(threads: usize) -> usize {
    #[cfg(feature = "parallel")]
    if threads == 0 {
        return rayon::current_num_threads();
    }
    threads.max(1)
}

/// Runs `f` on a thread pool of `threads` workers (0: the global pool).
#[cfg(feature = "parallel")]
pub(crate) fn with_pool<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> Result<R, Error> {
    use std::sync::{Arc, Mutex};
    static POOLS: Mutex<Vec<(usize, Arc<rayon::ThreadPool>)>> = Mutex::new(Vec::new());
    if threads == 0 {
        return Ok(f());
    }
    let pool = {
        let mut pools = POOLS.lock().unwrap_or_else(|e| e.into_inner());
        match pools.iter().find(|(n, _)| *n == threads) {
            Some((_, p)) => p.clone(),
            None => {
                let p = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .map_err(|e| Error::Limit(format!("cannot start {threads} threads: {e}")))?;
                let p = Arc::new(p);
                pools.push((threads, p.clone()));
                p
            }
        }
    };
    Ok(pool.install(f))
}

/// Runs `f` on this thread (built without the `parallel` feature).
#[cfg(not(feature = "parallel"))]
pub(crate) fn with_pool<R>(_threads: usize, f: impl FnOnce() -> R) -> Result<R, Error> {
    Ok(f())
}
