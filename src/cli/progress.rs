//! A progress bar on stderr for long work, fed by a helper thread from the
//! counters in [`tapir::render::EvalOptions::progress`] and drawn with
//! indicatif.
//!
//! Nothing is shown unless stderr is a terminal and the work has taken more
//! than a second; the bar is cleared when the work ends.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Shared counters: (units of work done, units in total).
pub type Counters = Arc<(AtomicUsize, AtomicUsize)>;

/// New counters at zero, for [`tapir::render::EvalOptions::progress`] and
/// [`Progress::start`].
pub fn counters() -> Counters {
    Arc::new((AtomicUsize::new(0), AtomicUsize::new(0)))
}

/// How long work must run before the bar appears.
const QUIET_FOR: Duration = Duration::from_secs(1);

/// Time between updates of the bar.
const TICK: Duration = Duration::from_millis(100);

/// Shows progress until dropped.
pub struct Progress {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts watching `counters` (when stderr is a terminal), labelling the
    /// bar with `label` (e.g. "rendering").
    pub fn start(counters: &Counters, label: &str) -> Progress {
        let stop = Arc::new(AtomicBool::new(false));
        if !std::io::stderr().is_terminal() {
            return Progress { stop, thread: None };
        }
        let (c, s, label) = (counters.clone(), stop.clone(), label.to_string());
        let thread = thread::Builder::new()
            .name("progress".into())
            .spawn(move || watch(&c, &s, label))
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

/// The helper thread's loop: waits out the quiet second, then keeps the bar
/// in step with the counters until told to stop.
fn watch(counters: &Counters, stop: &AtomicBool, label: String) {
    let start = Instant::now();
    let mut bar: Option<ProgressBar> = None;
    while !stop.load(Ordering::SeqCst) {
        thread::park_timeout(TICK);
        if stop.load(Ordering::SeqCst) {
            break;
        }
        if start.elapsed() < QUIET_FOR {
            continue;
        }
        let total = counters.1.load(Ordering::Relaxed) as u64;
        let done = (counters.0.load(Ordering::Relaxed) as u64).min(total);
        let bar = bar.get_or_insert_with(|| {
            let b = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template(
                    "{msg} [{bar:30}] {percent:>3}% {pos}/{len} tiles, {elapsed} so far, ~{eta} left",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b.set_message(label.clone());
            b
        });
        bar.set_length(total);
        bar.set_position(done);
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
}
