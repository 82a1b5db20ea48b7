//! A progress line on stderr for long renders, drawn by a helper thread from
//! the counters in [`tapir::render::EvalOptions::progress`].
//!
//! Nothing is shown unless stderr is a terminal and the work has taken more
//! than a second; the line is erased when the work ends.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Shared counters: (root tiles done, root tiles in total).
pub type Counters = Arc<(AtomicUsize, AtomicUsize)>;

/// How long work must run before a progress line appears.
const QUIET_FOR: Duration = Duration::from_secs(1);

/// Time between updates of the line.
const TICK: Duration = Duration::from_millis(100);

/// Draws progress until dropped.
pub struct Progress {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts watching `counters` (when stderr is a terminal), labelling the
    /// line with `label`.
    pub fn start(counters: &Counters, label: &str) -> Progress {
        let stop = Arc::new(AtomicBool::new(false));
        if !std::io::stderr().is_terminal() {
            return Progress { stop, thread: None };
        }
        let (c, s, label) = (counters.clone(), stop.clone(), label.to_string());
        let thread = thread::Builder::new()
            .name("progress".into())
            .spawn(move || draw(&c, &s, &label))
            .ok();
        Progress { stop, thread }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

/// The helper thread's loop.
fn draw(counters: &Counters, stop: &AtomicBool, label: &str) {
    let start = Instant::now();
    let mut shown = false;
    while !stop.load(Ordering::SeqCst) {
        thread::park_timeout(TICK);
        if stop.load(Ordering::SeqCst) {
            break;
        }
        if start.elapsed() < QUIET_FOR {
            continue;
        }
        let done = counters.0.load(Ordering::Relaxed);
        let total = counters.1.load(Ordering::Relaxed);
        let pct = (done.min(total) * 100).checked_div(total).unwrap_or(0);
        let secs = start.elapsed().as_secs_f64();
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[K{label}: {pct:3}% ({done}/{total} tiles, {secs:.1} s)"
        );
        let _ = err.flush();
        shown = true;
    }
    if shown {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[K");
        let _ = err.flush();
    }
}
