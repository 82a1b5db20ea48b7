//! Steady-state rendering allocates nothing per tile: the number of heap
//! allocations of a render does not grow with the number of tiles.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use tapir::Shape;
use tapir::render::{EvalOptions, Grid2};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_of(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    f();
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

#[test]
fn allocations_do_not_grow_with_tiles() {
    // Many small circles: every tile level prunes.
    let mut src = String::from("let s = circle(0.02);\n");
    let mut terms = Vec::new();
    for i in 0..40 {
        let (x, y) = ((i % 8) as f32 * 0.24 - 0.84, (i / 8) as f32 * 0.35 - 0.7);
        terms.push(format!("translate(s, {x}, {y})"));
    }
    src.push_str(&format!("min({})", terms.join(", ")));
    let shape = Shape::from_expr(&src).unwrap();
    let opts = EvalOptions {
        threads: 1,
        ..Default::default()
    };
    for want_values in [false, true] {
        let render = |size: usize| {
            let grid = Grid2::square(size);
            if want_values {
                shape.eval_grid(&grid, &opts).map(|_| ()).unwrap();
            } else {
                shape.render_mask(&grid, &opts).map(|_| ()).unwrap();
            }
        };
        render(256);
        render(1024);
        let small = allocations_of(|| render(256));
        let large = allocations_of(|| render(1024));
        // 16 times the tiles; only the per-render buffers (coordinates,
        // output) are allocated, and workers are reused from render to render.
        eprintln!("256²: {small} allocations, 1024²: {large}");
        assert!(
            large <= small + 16,
            "256²: {small} allocations, 1024²: {large}"
        );
    }
}
