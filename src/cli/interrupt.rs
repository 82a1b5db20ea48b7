//! Ctrl-C (and SIGTERM, SIGHUP): the first signal sets a flag that renders
//! and benchmarks poll ([`tapir::render::EvalOptions::cancel`]), so they
//! stop cleanly, remove
//! their temporary file and exit with code 130. A second signal exits at
//! once, still removing the temporary file being written, if any.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::EXIT_INTERRUPTED;

/// The flag set by Ctrl-C (one per process).
static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// The temporary output file being written, if any (removed on a hard exit).
static PENDING: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Installs the SIGINT handler (once) and returns its flag. If the handler
/// cannot be installed, Ctrl-C keeps its default effect (the process ends at
/// once; a temporary output file may then be left behind) and a warning says
/// so.
pub fn install() -> Arc<AtomicBool> {
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let seen = flag.clone();
        let installed = ctrlc::set_handler(move || {
            if seen.swap(true, Ordering::SeqCst) {
                // Second Ctrl-C: the user does not want to wait.
                remove_pending();
                super::say("interrupted");
                std::process::exit(EXIT_INTERRUPTED.into());
            }
        });
        if let Err(e) = installed {
            super::say(&format!(
                "warning: cannot handle Ctrl-C ({e}); interrupting may leave a temporary file"
            ));
        }
        flag
    })
    .clone()
}

/// True once Ctrl-C was pressed.
pub fn requested(flag: &AtomicBool) -> bool {
    flag.load(Ordering::SeqCst)
}

/// Records the temporary file being written (`None` when done), so that a
/// hard exit can remove it.
pub fn set_pending(path: Option<PathBuf>) {
    *PENDING.lock().unwrap_or_else(|e| e.into_inner()) = path;
}

/// Removes the pending temporary file, if any.
fn remove_pending() {
    let pending = PENDING.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(p) = pending {
        let _ = std::fs::remove_file(p);
    }
}
