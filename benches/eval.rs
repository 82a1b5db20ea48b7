//! Criterion benchmarks on the Prospero challenge tape
//! (`../shared/models/prospero.vm`; skipped with a message when absent).
//!
//! - `point/<dispatch>`: one point, the whole tape;
//! - `interval/<dispatch>`: one interval evaluation (with choices);
//! - `slice/<dispatch>`: one pass of `LANES` points;
//! - `render1024/<dispatch>`: a pruned 1024² mask on one thread;
//! - `brute256/<dispatch>`: a brute-force 256² grid on one thread.
//!
//! Compare dispatch styles within one run: `cargo bench --bench eval`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tapir::Shape;
use tapir::eval::{Choice, Interval, LANES, Lanes};
use tapir::interp::{Dispatch, Machine};
use tapir::render::{EvalOptions, Grid2};

fn prospero() -> Option<Shape> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/models/prospero.vm");
    match std::fs::read_to_string(&path) {
        Ok(src) => Some(Shape::from_vm(&src).expect("prospero parses")),
        Err(_) => {
            eprintln!(
                "SKIPPED: {} is absent; no prospero benchmarks",
                path.display()
            );
            None
        }
    }
}

fn benches(c: &mut Criterion) {
    let Some(shape) = prospero() else { return };
    let tape = shape.reg_tape();

    let mut g = c.benchmark_group("point");
    g.throughput(Throughput::Elements(tape.len() as u64));
    for d in Dispatch::ALL {
        let mut m = Machine::<f32>::new();
        g.bench_function(d.name(), |b| {
            let mut x = -1.0f32;
            b.iter(|| {
                x = if x > 1.0 { -1.0 } else { x + 0.001 };
                m.run(d, tape, [black_box(x), 0.3, 0.0], &mut [])
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("interval");
    g.throughput(Throughput::Elements(tape.len() as u64));
    for d in Dispatch::ALL {
        let mut m = Machine::<Interval>::new();
        let mut choices = vec![Choice::Both; tape.choice_count()];
        g.bench_function(d.name(), |b| {
            let mut x = -1.0f32;
            b.iter(|| {
                x = if x > 1.0 { -1.0 } else { x + 0.001 };
                let vars = [
                    Interval::new(x, x + 0.125),
                    Interval::new(0.25, 0.375),
                    Interval::point(0.0),
                ];
                m.run(d, tape, black_box(vars), &mut choices)
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("slice");
    g.throughput(Throughput::Elements((tape.len() * LANES) as u64));
    for d in Dispatch::ALL {
        let mut m = Machine::<Lanes<LANES>>::new();
        let xs = Lanes(std::array::from_fn(|i| i as f32 / LANES as f32 - 0.5));
        let ys = Lanes([0.3; LANES]);
        g.bench_function(d.name(), |b| {
            b.iter(|| m.run(d, tape, black_box([xs, ys, Lanes([0.0; LANES])]), &mut []))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("render1024");
    g.sample_size(20);
    for d in Dispatch::ALL {
        let opts = EvalOptions {
            threads: 1,
            dispatch: d,
            ..Default::default()
        };
        let grid = Grid2::square(1024);
        g.bench_function(d.name(), |b| {
            b.iter(|| shape.render_mask(&grid, &opts).unwrap())
        });
    }
    g.finish();

    let mut g = c.benchmark_group("brute256");
    g.sample_size(10);
    for d in Dispatch::ALL {
        let opts = EvalOptions {
            threads: 1,
            dispatch: d,
            prune: false,
            ..Default::default()
        };
        let grid = Grid2::square(256);
        g.bench_function(d.name(), |b| {
            b.iter(|| shape.render_mask(&grid, &opts).unwrap())
        });
    }
    g.finish();
}

criterion_group!(eval, benches);
criterion_main!(eval);
