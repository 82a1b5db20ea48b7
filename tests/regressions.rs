//! One test per crash found by the fuzzers (`fuzz/`) or by the limit tests,
//! with the failing input inline and what went wrong before the fix.

use std::process::Command;

use tapir::render::{Bounds2, EvalOptions, Grid2};
use tapir::{Error, Shape};

/// Runs the test `name` of this binary in a child process when not already
/// in one, so that a test which aborts (rather than panics) reports a
/// failure instead of taking the whole test binary down. Returns true in
/// the child, where the caller does the work.
fn in_child(name: &str) -> bool {
    const VAR: &str = "TAPIR_REGRESSION_CHILD";
    if std::env::var_os(VAR).is_some() {
        return true;
    }
    let exe = std::env::current_exe().expect("the test binary");
    let out = Command::new(exe)
        .args([name, "--exact", "--include-ignored", "--test-threads=1"])
        .env(VAR, "1")
        .output()
        .expect("running the test binary");
    assert!(
        out.status.success(),
        "{name} failed in its child process ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    false
}

// ---------------------------------------------------------------- rendering

/// A grid whose pixel count `width × height` exceeds `usize::MAX`.
///
/// Expected: `Error::Limit` (it is far over any memory budget).
/// Was: `Grid2::len` computed `self.width * self.height` unchecked, so the
/// render panicked with "attempt to multiply with overflow" in debug builds;
/// in release builds the product wrapped, and the budget check saw a wrong
/// (possibly tiny) size. Fixed: `Grid2::len` saturates, and the budget
/// check uses saturating arithmetic.
#[test]
fn pixel_count_overflow_is_a_limit_error() {
    let shape = Shape::from_expr("x").unwrap();
    let opts = EvalOptions {
        memory_budget: Some(1 << 20),
        ..Default::default()
    };
    // (2^62) × 4 wraps to 0 in release builds, which would pass the budget.
    for (w, h) in [(usize::MAX, 3), (1 << 62, 4)] {
        let grid = Grid2::new(Bounds2::default(), w, h);
        let r = std::panic::catch_unwind(|| shape.eval_grid(&grid, &opts).map(|v| v.len()));
        assert!(
            matches!(r, Ok(Err(Error::Limit(_)))),
            "{w} × {h}: expected a limit error, got {:?}",
            r.map(|r| r.map_err(|e| e.to_string()))
        );
    }
}

/// A grid of no pixels but a huge width: `1 << 40` × 0.
///
/// Expected: an empty image (or `Error::Limit`), without allocating.
/// Was: the process aborted with "memory allocation of 4398046511104 bytes
/// failed": the budget check counted only `width × height` pixels (0 here),
/// but the frame then collected one x coordinate per column and one y per
/// row. Fixed: the budget counts the coordinate arrays, and an empty grid
/// returns an empty image at once.
#[test]
fn huge_width_with_no_rows_does_not_allocate() {
    if !in_child("huge_width_with_no_rows_does_not_allocate") {
        return;
    }
    let shape = Shape::from_expr("x").unwrap();
    let opts = EvalOptions {
        memory_budget: Some(1 << 20),
        ..Default::default()
    };
    for (w, h) in [(1usize << 40, 0usize), (0, 1 << 40)] {
        let grid = Grid2::new(Bounds2::default(), w, h);
        match shape.eval_grid(&grid, &opts) {
            Ok(v) => assert!(v.is_empty()),
            Err(Error::Limit(_)) => {}
            Err(e) => panic!("{w} × {h}: unexpected error {e}"),
        }
    }
}
