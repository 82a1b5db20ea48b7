//! `tapir bench`: times the dispatch styles on one shape.
//!
//! Two parts:
//!
//! 1. Evaluation: single points ([`Shape::eval_point_with`]) and boxes
//!    ([`Shape::eval_interval_with`]) spread over the bounds, in nanoseconds
//!    per tape instruction, for each dispatch style. These isolate the
//!    interpreter and are the headline numbers.
//! 2. Frames: whole bitmap renders ([`Shape::render_mask`]) for every
//!    dispatch style × pruning on/off × thread count, checking that all of
//!    them produce the same mask, plus the peak memory (`VmHWM`) of a real
//!    `tapir render` child process with the same options.

use std::hint::black_box;
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use clap::Args;
use tapir::eval::Interval;
use tapir::render::{Bounds2, EvalOptions, Frame3d, Geometry, Grid2};
use tapir::{Dispatch, Shape};

use super::args::{FrameArgs, InputArgs, parse_threads};
use super::input::{self, Loaded};
use super::report::{EvalRow, FrameRow, Frames3d, Report, Stats};
use super::{Failure, interrupt, print_out};

/// Shown under `tapir bench --help`.
pub const AFTER_HELP: &str = "\
Examples:
  tapir bench ../shared/models/prospero.vm                # the full table
  tapir bench shapes/examples/gear.expr --size 256 --runs 3 --json   # for machines
  tapir bench shapes/examples/colonnade.expr --3d --no-brute   # 3D frames too (512³)

Times are best and median of K runs. Evaluation rows give nanoseconds per
tape instruction for single points and for interval boxes; frame rows give
milliseconds per whole render for pruning on and off at 1, 2, 4, … and N
threads. The tail speedup is the match-loop time over the tail-call time
(above 1: tail calls are faster). Peak RSS is measured in a child `tapir render` with
the same options (tail dispatch). Every configuration must find the same
pixels inside; if not, the command prints the table and exits with code 1.
With --3d, 3D frame rows follow (depth and normals of the default view);
every configuration must give bit-identical depths and normals.";

/// Runs of evaluation timings and pruned frames, unless `--runs` is given.
const DEFAULT_RUNS: usize = 5;

/// Most runs of a brute-force frame (pruning off), which is slow.
const MAX_BRUTE_RUNS: usize = 3;

/// Least time one evaluation timing run takes (repeating passes over the
/// sample points until then).
const EVAL_TARGET: Duration = Duration::from_millis(40);

/// Sample points per side for point evaluation, and boxes per side for
/// interval evaluation.
const POINT_GRID: usize = 64;
const BOX_GRID: usize = 16;

/// Options of `tapir bench`.
#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub frame: FrameArgs,

    /// Runs per timing (best and median are reported). Default: 5, and 1 for
    /// brute-force frames (with --runs K they get min(K, 3)). Example:
    /// --runs 10
    #[arg(long, value_name = "K", value_parser = parse_runs)]
    pub runs: Option<usize>,

    /// Most threads to time: rows for 1, 2, 4, … threads and N itself; 0
    /// means one per core. Default: 0 (all cores). Example: --threads 8
    #[arg(long, value_name = "N", default_value = "0", value_parser = parse_threads, hide_default_value = true)]
    pub threads: usize,

    /// Print JSON instead of a table. Default: a table. Example: --json
    #[arg(long)]
    pub json: bool,

    /// Skip the brute-force (pruning off) frames, which are slow. Default:
    /// included. Example: --no-brute
    #[arg(long)]
    pub no_brute: bool,

    /// Skip the peak-memory measurements (child processes). Default:
    /// measured. Example: --no-memory
    #[arg(long)]
    pub no_memory: bool,

    /// Also time 3D renders (`tapir render3d`: depth and normals, default
    /// view) of a --size-3d square picture with --depth samples per ray, for
    /// every dispatch style × thread count × pruning. Example: --3d
    #[arg(long = "3d")]
    pub three_d: bool,

    /// Side of the 3D frames in pixels. Default: 512. Example: --size-3d 1024
    #[arg(long = "size-3d", value_name = "N", default_value = "512", value_parser = super::args::parse_side, hide_default_value = true)]
    pub size_3d: usize,

    /// Samples per ray of the 3D frames. Default: the --size-3d value.
    /// Example: --depth 256
    #[arg(long, value_name = "D", value_parser = super::args::parse_side)]
    pub depth: Option<usize>,
}

fn parse_runs(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n @ 1..=1000) => Ok(n),
        _ => Err(format!(
            "`{s}` runs: expected a whole number from 1 to 1000"
        )),
    }
}

/// Runs `tapir bench`.
pub fn run(args: BenchArgs) -> Result<(), Failure> {
    let cancel = interrupt::install();
    let loaded = input::load(&args.input)?;
    let (width, height) = args.frame.dims();
    let grid = Grid2::new(args.frame.bounds, width, height);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let max_threads = if args.threads == 0 {
        cores
    } else {
        args.threads
    };
    let runs = args.runs.unwrap_or(DEFAULT_RUNS);
    let brute_runs = args.runs.map_or(1, |k| k.min(MAX_BRUTE_RUNS));
    let base = EvalOptions {
        z: args.frame.z,
        cancel: Some(cancel.clone()),
        ..EvalOptions::default()
    };
    super::render::check_memory(width, height, &base)?;

    let shape = &loaded.shape;
    let eval = vec![
        time_eval(
            shape,
            "point",
            runs,
            &cancel,
            &point_pass(shape, args.frame.bounds, args.frame.z),
        )?,
        time_eval(
            shape,
            "interval",
            runs,
            &cancel,
            &interval_pass(shape, args.frame.bounds, args.frame.z),
        )?,
    ];

    let mut frames = Vec::new();
    let mut reference: Option<Vec<bool>> = None;
    for prune in [true, false] {
        if !prune && args.no_brute {
            continue;
        }
        for threads in thread_counts(max_threads) {
            let opts = EvalOptions {
                threads,
                prune,
                ..base.clone()
            };
            let k = if prune { runs } else { brute_runs };
            let mut row = time_frames(shape, &grid, &opts, k, &mut reference, &loaded.display)?;
            if !args.no_memory {
                let (inside, kib) = child_memory(&args, &loaded, threads, prune, &cancel)?;
                row.child_inside = Some(inside);
                row.peak_rss_kib = kib;
            }
            frames.push(row);
        }
    }

    let frames3d = if args.three_d {
        Some(time_3d(
            &args,
            &loaded,
            max_threads,
            runs,
            brute_runs,
            &base,
        )?)
    } else {
        None
    };

    let report = Report {
        input: loaded.display.clone(),
        format: loaded.format.name(),
        instructions: shape.len(),
        registers: shape.reg_tape().registers_used(),
        width,
        height,
        bounds: args.frame.bounds,
        z: args.frame.z,
        cores,
        eval,
        frames,
        frames3d,
    };
    if args.json {
        print_out(&(report.json() + "\n"))?;
    } else {
        print_out(&report.table())?;
    }
    match report.disagreement() {
        None => Ok(()),
        Some(why) => Err(Failure::failed(format!("configurations disagree: {why}"))),
    }
}

/// 1, 2, 4, … below `max`, then `max`.
pub fn thread_counts(max: usize) -> Vec<usize> {
    let mut v: Vec<usize> = std::iter::successors(Some(1usize), |n| n.checked_mul(2))
        .take_while(|&n| n < max)
        .collect();
    v.push(max.max(1));
    v
}

/// One slice of an evaluation benchmark: evaluates some inputs with a
/// dispatch style and returns how many tape runs it did.
type Pass<'a> = dyn Fn(Dispatch, usize) -> usize + 'a;

/// Evaluates the points of a grid over `bounds`, a chunk at a time; the
/// second argument picks the chunk.
fn point_pass(shape: &Shape, bounds: Bounds2, z: f32) -> impl Fn(Dispatch, usize) -> usize + '_ {
    let grid = Grid2::new(bounds, POINT_GRID, POINT_GRID);
    let points: Vec<(f32, f32)> = (0..POINT_GRID)
        .flat_map(|j| (0..POINT_GRID).map(move |i| (grid.x(i), grid.y(j))))
        .collect();
    move |d, chunk| {
        let row = chunk % POINT_GRID;
        let mut acc = 0.0f32;
        for &(x, y) in &points[row * POINT_GRID..(row + 1) * POINT_GRID] {
            acc += shape.eval_point_with(d, black_box(x), black_box(y), z);
        }
        black_box(acc);
        POINT_GRID
    }
}

/// Evaluates the boxes of a grid of tiles over `bounds`, a row at a time.
fn interval_pass(shape: &Shape, bounds: Bounds2, z: f32) -> impl Fn(Dispatch, usize) -> usize + '_ {
    let (dx, dy) = (
        bounds.size().x / BOX_GRID as f64,
        bounds.size().y / BOX_GRID as f64,
    );
    let boxes: Vec<(Interval, Interval)> = (0..BOX_GRID)
        .flat_map(|j| {
            (0..BOX_GRID).map(move |i| {
                let x0 = bounds.min.x + i as f64 * dx;
                let y0 = bounds.min.y + j as f64 * dy;
                (
                    Interval::new(x0 as f32, (x0 + dx) as f32),
                    Interval::new(y0 as f32, (y0 + dy) as f32),
                )
            })
        })
        .collect();
    move |d, chunk| {
        let row = chunk % BOX_GRID;
        let mut acc = 0.0f32;
        for &(x, y) in &boxes[row * BOX_GRID..(row + 1) * BOX_GRID] {
            let (v, choices) =
                shape.eval_interval_with(d, black_box(x), black_box(y), Interval::point(z));
            acc += v.lo() + choices.len() as f32;
        }
        black_box(acc);
        BOX_GRID
    }
}

/// Times `pass` for every dispatch style, `runs` times (interleaved, so
/// drifts in clock speed hit all styles alike), in ns per instruction.
fn time_eval(
    shape: &Shape,
    kind: &'static str,
    runs: usize,
    cancel: &AtomicBool,
    pass: &Pass<'_>,
) -> Result<EvalRow, Failure> {
    let insns = shape.len().max(1) as f64;
    for d in Dispatch::ALL {
        pass(d, 0); // warm up caches and thread-local machines
    }
    let mut samples: [Vec<f64>; 3] = Default::default();
    let mut evals = 0;
    for _ in 0..runs {
        for (k, d) in Dispatch::ALL.into_iter().enumerate() {
            if interrupt::requested(cancel) {
                return Err(Failure::interrupted());
            }
            let start = Instant::now();
            let (mut n, mut chunk) = (0usize, 0usize);
            while chunk == 0 || start.elapsed() < EVAL_TARGET {
                n += pass(d, chunk);
                chunk += 1;
            }
            let ns = start.elapsed().as_nanos() as f64;
            samples[k].push(ns / (n as f64 * insns));
            evals = evals.max(n);
        }
    }
    Ok(EvalRow {
        kind,
        stats: samples.map(|s| Stats::of(&s)),
        evals,
    })
}

/// Times whole bitmap renders with `opts` for every dispatch style and
/// records what they found inside; every mask is compared with the first
/// one rendered in this benchmark.
fn time_frames(
    shape: &Shape,
    grid: &Grid2,
    opts: &EvalOptions,
    runs: usize,
    reference: &mut Option<Vec<bool>>,
    input: &str,
) -> Result<FrameRow, Failure> {
    let mut samples: [Vec<f64>; 3] = Default::default();
    let mut inside = [0usize; 3];
    let mut matches = [true; 3];
    if opts.prune {
        // Warm up: starts this thread count's pool, faults in buffers.
        shape
            .render_mask(grid, opts)
            .map_err(|e| Failure::from_lib(e, input))?;
    }
    for _ in 0..runs {
        for (k, d) in Dispatch::ALL.into_iter().enumerate() {
            let o = EvalOptions {
                dispatch: d,
                ..opts.clone()
            };
            let start = Instant::now();
            let mask = shape
                .render_mask(grid, &o)
                .map_err(|e| Failure::from_lib(e, input))?;
            samples[k].push(start.elapsed().as_secs_f64() * 1e3);
            inside[k] = mask.iter().filter(|&&b| b).count();
            match reference {
                Some(r) => matches[k] &= *r == mask,
                None => *reference = Some(mask),
            }
        }
    }
    Ok(FrameRow {
        prune: opts.prune,
        threads: opts.threads,
        stats: samples.map(|s| Stats::of(&s)),
        inside,
        matches,
        child_inside: None,
        peak_rss_kib: None,
    })
}

/// The 3D rows: every thread count × pruning, each timing all dispatch
/// styles and checking their geometry against the first frame's.
fn time_3d(
    args: &BenchArgs,
    loaded: &Loaded,
    max_threads: usize,
    runs: usize,
    brute_runs: usize,
    base: &EvalOptions,
) -> Result<Frames3d, Failure> {
    let n = args.size_3d;
    let frame = Frame3d {
        depth: args.depth.unwrap_or(n),
        ..Frame3d::square(n)
    };
    let cancel = base.cancel.clone().unwrap_or_default();
    let mut rows = Vec::new();
    let mut reference: Option<Vec<u32>> = None;
    for prune in [true, false] {
        if !prune && args.no_brute {
            continue;
        }
        for threads in thread_counts(max_threads) {
            let opts = EvalOptions {
                threads,
                prune,
                ..base.clone()
            };
            let k = if prune { runs } else { brute_runs };
            let mut row = time_geometry(
                &loaded.shape,
                &frame,
                &opts,
                k,
                &mut reference,
                &loaded.display,
            )?;
            if !args.no_memory {
                let (hit, kib) = child_memory_3d(args, loaded, &frame, threads, prune, &cancel)?;
                row.child_inside = Some(hit);
                row.peak_rss_kib = kib;
            }
            rows.push(row);
        }
    }
    Ok(((frame.width, frame.height, frame.depth), rows))
}

/// A geometry as bits, for exact comparisons.
fn geometry_bits(g: &Geometry) -> Vec<u32> {
    g.hits
        .iter()
        .map(|w| w.to_bits())
        .chain(g.normals.iter().flatten().map(|c| c.to_bits()))
        .collect()
}

/// Times 3D renders with `opts` for every dispatch style and compares each
/// geometry with the first one rendered in this benchmark.
fn time_geometry(
    shape: &Shape,
    frame: &Frame3d,
    opts: &EvalOptions,
    runs: usize,
    reference: &mut Option<Vec<u32>>,
    input: &str,
) -> Result<FrameRow, Failure> {
    let mut samples: [Vec<f64>; 3] = Default::default();
    let mut hit = [0usize; 3];
    let mut matches = [true; 3];
    if opts.prune {
        shape
            .render3d(frame, opts)
            .map_err(|e| Failure::from_lib(e, input))?;
    }
    for _ in 0..runs {
        for (k, d) in Dispatch::ALL.into_iter().enumerate() {
            let o = EvalOptions {
                dispatch: d,
                ..opts.clone()
            };
            let start = Instant::now();
            let g = shape
                .render3d(frame, &o)
                .map_err(|e| Failure::from_lib(e, input))?;
            samples[k].push(start.elapsed().as_secs_f64() * 1e3);
            hit[k] = g.covered();
            let bits = geometry_bits(&g);
            match reference {
                Some(r) => matches[k] &= *r == bits,
                None => *reference = Some(bits),
            }
        }
    }
    Ok(FrameRow {
        prune: opts.prune,
        threads: opts.threads,
        stats: samples.map(|s| Stats::of(&s)),
        inside: hit,
        matches,
        child_inside: None,
        peak_rss_kib: None,
    })
}

/// Runs `tapir render3d --bench-child` (shaded, so the picture's buffers
/// count) and returns the pixels it hit and its peak RSS in KiB.
fn child_memory_3d(
    args: &BenchArgs,
    loaded: &Loaded,
    frame: &Frame3d,
    threads: usize,
    prune: bool,
    cancel: &AtomicBool,
) -> Result<(usize, Option<u64>), Failure> {
    let mut cmd = child_command("render3d")?;
    cmd.arg(&args.input.input)
        .args(["--format", loaded.format.name()])
        .args(["--width", &frame.width.to_string()])
        .args(["--height", &frame.height.to_string()])
        .args(["--depth", &frame.depth.to_string()])
        .args([
            "--threads",
            &threads.to_string(),
            "--dispatch",
            "tail",
            "--bench-child",
        ]);
    if !prune {
        cmd.arg("--no-prune");
    }
    run_child(cmd, "covered=", cancel)
}

/// A `tapir SUBCOMMAND` child process with piped output.
fn child_command(subcommand: &str) -> Result<Command, Failure> {
    let exe = std::env::current_exe().map_err(|e| {
        Failure::failed(format!(
            "cannot find the tapir executable to measure memory: {e}"
        ))
    })?;
    let mut cmd = Command::new(exe);
    cmd.arg(subcommand)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    Ok(cmd)
}

/// Runs a memory-measuring child and reads `KEY=N peak_rss_kib=M` from it.
fn run_child(
    mut cmd: Command,
    key: &str,
    cancel: &AtomicBool,
) -> Result<(usize, Option<u64>), Failure> {
    let shown = format!("{:?}", cmd.get_program());
    let child = cmd
        .spawn()
        .map_err(|e| Failure::failed(format!("cannot start {shown} to measure memory: {e}")))?;
    let (stdout, stderr) = wait_or_cancel(child, cancel)?;
    parse_child(&stdout, key).ok_or_else(|| {
        Failure::failed(format!(
            "the memory-measuring child {shown} failed: {}",
            stderr.trim()
        ))
    })
}

/// Runs `tapir render --bench-child` with the benchmark's options and
/// returns what the child found inside and its peak RSS in KiB.
fn child_memory(
    args: &BenchArgs,
    loaded: &Loaded,
    threads: usize,
    prune: bool,
    cancel: &AtomicBool,
) -> Result<(usize, Option<u64>), Failure> {
    let (w, h) = args.frame.dims();
    let b = args.frame.bounds;
    let mut cmd = child_command("render")?;
    cmd.arg(&args.input.input)
        .args(["--format", loaded.format.name()])
        .args(["--width", &w.to_string(), "--height", &h.to_string()])
        .arg(format!(
            "--bounds={},{},{},{}",
            b.min.x, b.max.x, b.min.y, b.max.y
        ))
        .arg(format!("--z={}", args.frame.z))
        .args([
            "--threads",
            &threads.to_string(),
            "--dispatch",
            "tail",
            "--bench-child",
        ]);
    if !prune {
        cmd.arg("--no-prune");
    }
    run_child(cmd, "inside=", cancel)
}

/// Waits for `child`, killing it if Ctrl-C is pressed; returns its stdout
/// and stderr.
fn wait_or_cancel(mut child: Child, cancel: &AtomicBool) -> Result<(String, String), Failure> {
    loop {
        match child.try_wait() {
            // A terminal's Ctrl-C reaches the child too; it then exits 130.
            Ok(Some(status)) if status.code() == Some(130) || interrupt::requested(cancel) => {
                return Err(Failure::interrupted());
            }
            Ok(Some(_)) => break,
            Ok(None) if interrupt::requested(cancel) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Failure::interrupted());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                return Err(Failure::failed(format!(
                    "cannot wait for the memory-measuring child: {e}"
                )));
            }
        }
    }
    let mut out = String::new();
    let mut err = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut out);
    }
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut err);
    }
    Ok((out, err))
}

/// Reads `KEY=N peak_rss_kib=M` (M may be `unknown`; KEY ends in `=`).
fn parse_child(stdout: &str, key: &str) -> Option<(usize, Option<u64>)> {
    let line = stdout.lines().find(|l| l.starts_with(key))?;
    let mut count = None;
    let mut kib = None;
    for word in line.split_whitespace() {
        if let Some(v) = word.strip_prefix(key) {
            count = v.parse().ok();
        } else if let Some(v) = word.strip_prefix("peak_rss_kib=") {
            kib = v.parse().ok();
        }
    }
    Some((count?, kib))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_rows() {
        assert_eq!(thread_counts(1), vec![1]);
        assert_eq!(thread_counts(2), vec![1, 2]);
        assert_eq!(thread_counts(6), vec![1, 2, 4, 6]);
        assert_eq!(thread_counts(8), vec![1, 2, 4, 8]);
    }

    #[test]
    fn child_output() {
        assert_eq!(
            parse_child("inside=12 peak_rss_kib=3400\n", "inside="),
            Some((12, Some(3400)))
        );
        assert_eq!(
            parse_child("inside=12 peak_rss_kib=unknown", "inside="),
            Some((12, None))
        );
        assert_eq!(parse_child("oops", "inside="), None);
        assert_eq!(
            parse_child("covered=5 peak_rss_kib=9", "covered="),
            Some((5, Some(9)))
        );
    }

    #[test]
    fn runs() {
        assert_eq!(parse_runs("3"), Ok(3));
        assert!(parse_runs("0").is_err());
        assert!(parse_runs("x").unwrap_err().contains('x'));
    }
}
