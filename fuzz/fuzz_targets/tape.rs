//! Random graphs from structured input, compiled with a register limit
//! taken from the input (2..=256, so small limits spill), evaluated with
//! every evaluator and every dispatch style, and rendered over the box in
//! 2D and 3D: see `tapir_fuzz::check`, `check_render` and `check_render3d`.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use tapir::Dispatch;
use tapir_fuzz::{Region, build, check, check_render, check_render3d};

/// Most steps (nodes) per input, so that each run stays fast.
const MAX_STEPS: usize = 96;

/// One axis of the box: `mode` 0 takes the raw ends `a`, `b` (any f32,
/// infinities included); otherwise `lo / 4096` with width `w / 8192`
/// (width 0 for mode 1, a degenerate box).
#[derive(Arbitrary, Debug)]
struct Axis {
    mode: u8,
    lo: i16,
    w: u16,
    a: f32,
    b: f32,
}

impl Axis {
    fn ends(&self) -> (f32, f32) {
        match self.mode % 8 {
            0 => (self.a, self.b),
            m => {
                let lo = f32::from(self.lo) / 4096.0;
                let w = if m == 1 {
                    0.0
                } else {
                    f32::from(self.w) / 8192.0
                };
                (lo, lo + w)
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    limit: u8,
    axes: [Axis; 3],
    samples: Vec<[u8; 3]>,
    steps: Vec<(u8, u8, u8, u8, f32)>,
}

fuzz_target!(|input: Input| {
    let steps = &input.steps[..input.steps.len().min(MAX_STEPS)];
    let samples = &input.samples[..input.samples.len().min(16)];
    let (g, root) = build(steps);
    let region = Region::new(input.axes.each_ref().map(Axis::ends), samples);
    check(&g, root, 2 + usize::from(input.limit) % 255, &region);
    let dispatch = Dispatch::ALL[usize::from(input.limit) % 3];
    check_render(&g, root, &region, dispatch);
    check_render3d(&g, root, &region, dispatch, input.limit);
});
