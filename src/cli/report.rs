//! The results of `tapir bench`, as a table for people or JSON for machines
//! (written by hand; the format is documented on [`Report::json`]).

use std::fmt::Write;

use tapir::Dispatch;
use tapir::render::Bounds2;

/// Best and median of some timings.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Stats {
    /// The smallest sample.
    pub best: f64,
    /// The median sample (mean of the middle two for an even count).
    pub median: f64,
    /// Number of samples.
    pub runs: usize,
}

impl Stats {
    /// Summarizes `samples` (all zero if there are none).
    pub fn of(samples: &[f64]) -> Stats {
        let mut s = samples.to_vec();
        s.sort_by(f64::total_cmp);
        let n = s.len();
        let median = match n {
            0 => 0.0,
            _ if n % 2 == 1 => s[n / 2],
            _ => (s[n / 2 - 1] + s[n / 2]) / 2.0,
        };
        Stats {
            best: s.first().copied().unwrap_or(0.0),
            median,
            runs: n,
        }
    }
}

/// Evaluation timings of one kind (points or intervals), in nanoseconds per
/// tape instruction, one [`Stats`] per entry of [`Dispatch::ALL`].
#[derive(Clone, Debug)]
pub struct EvalRow {
    /// `point` or `interval`.
    pub kind: &'static str,
    /// Per dispatch style, in the order of [`Dispatch::ALL`].
    pub stats: [Stats; 3],
    /// Tape runs in one timing run (the most of any style).
    pub evals: usize,
}

/// Frame timings for one (pruning, threads) configuration, in milliseconds.
#[derive(Clone, Debug)]
pub struct FrameRow {
    /// Pruning on or off (brute force).
    pub prune: bool,
    /// Worker threads.
    pub threads: usize,
    /// Per dispatch style, in the order of [`Dispatch::ALL`].
    pub stats: [Stats; 3],
    /// Pixels inside, per dispatch style.
    pub inside: [usize; 3],
    /// Whether each style's masks equalled the benchmark's first mask.
    pub matches: [bool; 3],
    /// Pixels inside according to the memory-measuring child, if run.
    pub child_inside: Option<usize>,
    /// The child's peak resident memory in KiB, if measured.
    pub peak_rss_kib: Option<u64>,
}

/// 3D frame timings: picture size (width, height, depth samples) and rows,
/// whose `inside` counts the pixels whose ray hits the shape.
pub type Frames3d = ((usize, usize, usize), Vec<FrameRow>);

/// Everything `tapir bench` measured.
#[derive(Clone, Debug)]
pub struct Report {
    /// The input path as given.
    pub input: String,
    /// `expr` or `vm`.
    pub format: &'static str,
    /// Register-tape instructions.
    pub instructions: usize,
    /// Registers the tape uses.
    pub registers: usize,
    /// Frame width in pixels.
    pub width: usize,
    /// Frame height in pixels.
    pub height: usize,
    /// The region rendered.
    pub bounds: Bounds2,
    /// The z plane.
    pub z: f32,
    /// Cores available.
    pub cores: usize,
    /// Point and interval timings.
    pub eval: Vec<EvalRow>,
    /// Frame timings.
    pub frames: Vec<FrameRow>,
    /// 3D frames: size (width, height, depth samples) and timings, where
    /// `inside` counts the pixels whose ray hits the shape.
    pub frames3d: Option<Frames3d>,
}

/// How many times faster tail calls are than the match loop: match-loop
/// time over tail-call time, best runs (NaN if unknown).
fn ratio(stats: &[Stats; 3]) -> f64 {
    let (tail, matcher) = (
        stats[index(Dispatch::TailCall)].best,
        stats[index(Dispatch::Match)].best,
    );
    if tail > 0.0 { matcher / tail } else { f64::NAN }
}

/// Position of `d` in [`Dispatch::ALL`].
fn index(d: Dispatch) -> usize {
    Dispatch::ALL.iter().position(|&x| x == d).unwrap_or(0)
}

/// A number with about four significant digits.
fn num(v: f64) -> String {
    match v.abs() {
        a if !a.is_finite() => "-".to_string(),
        a if a < 10.0 => format!("{v:.3}"),
        a if a < 100.0 => format!("{v:.2}"),
        _ => format!("{v:.1}"),
    }
}

/// A JSON number (`null` if not finite).
fn json_num(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.6}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    } else {
        "null".into()
    }
}

/// A JSON string literal.
pub fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl FrameRow {
    /// True if every style found the same pixels as the first mask (and the
    /// child the same count).
    fn agrees(&self, reference: usize) -> bool {
        self.matches.iter().all(|&m| m)
            && self.inside.iter().all(|&n| n == reference)
            && self.child_inside.is_none_or(|n| n == reference)
    }

    fn label(&self) -> String {
        format!(
            "pruning {}, {} thread(s)",
            if self.prune { "on" } else { "off" },
            self.threads
        )
    }
}

impl Report {
    /// The pixel count inside of the first frame rendered (all must match).
    pub fn inside(&self) -> Option<usize> {
        self.frames.first().map(|f| f.inside[0])
    }

    /// The 3D frames, if any were timed.
    fn rows3d(&self) -> &[FrameRow] {
        self.frames3d.as_ref().map_or(&[], |(_, rows)| rows)
    }

    /// Why the configurations disagree, if they do.
    pub fn disagreement(&self) -> Option<String> {
        let mut why = Vec::new();
        for (rows, what) in [(&self.frames[..], "inside"), (self.rows3d(), "hit")] {
            let Some(reference) = rows.first().map(|f| f.inside[0]) else {
                continue;
            };
            let bad: Vec<String> = rows
                .iter()
                .filter(|f| !f.agrees(reference))
                .map(|f| {
                    let mut s = format!("{}: {what}", f.label());
                    for (k, d) in Dispatch::ALL.iter().enumerate() {
                        let note = if f.matches[k] { "" } else { " (other pixels)" };
                        let _ = write!(s, " {d} {}{note}", f.inside[k]);
                    }
                    if let Some(c) = f.child_inside {
                        let _ = write!(s, ", render child {c}");
                    }
                    s
                })
                .collect();
            if !bad.is_empty() {
                why.push(format!(
                    "the first frame had {reference} pixels {what}, but {}",
                    bad.join("; ")
                ));
            }
        }
        (!why.is_empty()).then(|| why.join("; "))
    }

    /// Appends a frame table (`count` names the pixel-count column).
    fn frame_table(t: &mut String, rows: &[FrameRow], count: &str) {
        let names: Vec<&str> = Dispatch::ALL.iter().map(|d| d.name()).collect();
        let _ = writeln!(
            t,
            "{:<6}{:>8}{:>6}{:>20}{:>20}{:>20}{:>14}{:>12}{:>12}",
            "prune",
            "threads",
            "runs",
            names[0],
            names[1],
            names[2],
            "tail speedup",
            count,
            "peak RSS"
        );
        let reference = rows.first().map_or(0, |f| f.inside[0]);
        for f in rows {
            let _ = write!(
                t,
                "{:<6}{:>8}{:>6}",
                if f.prune { "on" } else { "off" },
                f.threads,
                f.stats[0].runs
            );
            for s in &f.stats {
                let _ = write!(t, "{:>20}", format!("{} / {}", num(s.best), num(s.median)));
            }
            let inside = if f.agrees(reference) {
                f.inside[0].to_string()
            } else {
                "DISAGREE".to_string()
            };
            let rss = f
                .peak_rss_kib
                .map_or("-".to_string(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
            let _ = writeln!(t, "{:>14}{:>12}{:>12}", num(ratio(&f.stats)), inside, rss);
        }
    }

    /// The human-readable table.
    pub fn table(&self) -> String {
        let mut t = String::new();
        let b = self.bounds;
        let _ = writeln!(
            t,
            "tapir bench: {} ({}): {} instructions, {} registers",
            self.input, self.format, self.instructions, self.registers
        );
        let _ = writeln!(
            t,
            "frames {}×{} over x {}..{}, y {}..{} at z = {}; {} core(s)",
            self.width, self.height, b.min.x, b.max.x, b.min.y, b.max.y, self.z, self.cores
        );
        let names: Vec<&str> = Dispatch::ALL.iter().map(|d| d.name()).collect();
        if let Some(first) = self.eval.first() {
            let _ = writeln!(
                t,
                "\nEvaluation: ns per instruction, best / median of {} runs",
                first.stats[0].runs
            );
            let _ = writeln!(
                t,
                "{:<10}{:>20}{:>20}{:>20}{:>14}",
                "", names[0], names[1], names[2], "tail speedup"
            );
            for row in &self.eval {
                let _ = write!(t, "{:<10}", row.kind);
                for s in &row.stats {
                    let _ = write!(t, "{:>20}", format!("{} / {}", num(s.best), num(s.median)));
                }
                let _ = writeln!(t, "{:>14}", num(ratio(&row.stats)));
            }
        }
        if !self.frames.is_empty() {
            let _ = writeln!(t, "\nFrames: ms per frame, best / median");
            Report::frame_table(&mut t, &self.frames, "inside");
        }
        if let Some(((w, h, d), rows)) = &self.frames3d {
            let _ = writeln!(
                t,
                "\n3D frames, {w}×{h}×{d} (depth and normals, default view): ms per frame, best / median"
            );
            Report::frame_table(&mut t, rows, "hit");
        }
        let _ = writeln!(
            t,
            "\ntail speedup: match-loop time over tail-call time (best runs; above 1 means tail calls win).\n\
             peak RSS: VmHWM of a `tapir render` (or `render3d`) child with the row's options (tail dispatch)."
        );
        t
    }

    /// The report as JSON:
    ///
    /// ```text
    /// { "input", "format", "instructions", "registers", "width", "height",
    ///   "bounds": [xmin, xmax, ymin, ymax], "z", "cores",
    ///   "eval": [ { "kind": "point" | "interval", "evals_per_run",
    ///               "dispatch": { "tail" | "match" | "trampoline":
    ///                 { "best_ns_per_insn", "median_ns_per_insn", "runs" } },
    ///               "tail_speedup" } ],
    ///   "frames": [ { "prune", "threads",
    ///                 "dispatch": { STYLE: { "best_ms", "median_ms", "runs",
    ///                                        "inside", "same_pixels" } },
    ///                 "tail_speedup", "child_inside", "peak_rss_kib" } ],
    ///   "size3d": [width, height, depth], "frames3d": [ like "frames",
    ///                 with "inside" the pixels hit ],   (with --3d only)
    ///   "inside", "agree" }
    /// ```
    ///
    /// Unknown numbers are `null`.
    pub fn json(&self) -> String {
        let mut j = String::from("{\n");
        let b = self.bounds;
        let _ = writeln!(j, "  \"input\": {},", json_str(&self.input));
        let _ = writeln!(j, "  \"format\": {},", json_str(self.format));
        let _ = writeln!(j, "  \"instructions\": {},", self.instructions);
        let _ = writeln!(j, "  \"registers\": {},", self.registers);
        let _ = writeln!(j, "  \"width\": {},", self.width);
        let _ = writeln!(j, "  \"height\": {},", self.height);
        let _ = writeln!(
            j,
            "  \"bounds\": [{}, {}, {}, {}],",
            json_num(b.min.x),
            json_num(b.max.x),
            json_num(b.min.y),
            json_num(b.max.y)
        );
        let _ = writeln!(j, "  \"z\": {},", json_num(self.z.into()));
        let _ = writeln!(j, "  \"cores\": {},", self.cores);
        j.push_str("  \"eval\": [");
        for (i, row) in self.eval.iter().enumerate() {
            j.push_str(if i == 0 { "\n" } else { ",\n" });
            let _ = write!(
                j,
                "    {{\"kind\": {}, \"evals_per_run\": {}, \"dispatch\": {{",
                json_str(row.kind),
                row.evals
            );
            for (k, (d, s)) in Dispatch::ALL.iter().zip(&row.stats).enumerate() {
                let _ = write!(
                    j,
                    "{}{}: {{\"best_ns_per_insn\": {}, \"median_ns_per_insn\": {}, \"runs\": {}}}",
                    if k == 0 { "" } else { ", " },
                    json_str(d.name()),
                    json_num(s.best),
                    json_num(s.median),
                    s.runs
                );
            }
            let _ = write!(j, "}}, \"tail_speedup\": {}}}", json_num(ratio(&row.stats)));
        }
        j.push_str("\n  ],\n  \"frames\": ");
        frames_json(&mut j, &self.frames);
        if let Some(((w, h, d), rows)) = &self.frames3d {
            let _ = write!(j, ",\n  \"size3d\": [{w}, {h}, {d}],\n  \"frames3d\": ");
            frames_json(&mut j, rows);
        }
        let inside = self.inside().map_or("null".to_string(), |n| n.to_string());
        let _ = write!(
            j,
            ",\n  \"inside\": {inside},\n  \"agree\": {}\n}}",
            self.disagreement().is_none()
        );
        j
    }
}

/// Appends a JSON array of frame rows.
fn frames_json(j: &mut String, rows: &[FrameRow]) {
    j.push('[');
    for (i, f) in rows.iter().enumerate() {
        j.push_str(if i == 0 { "\n" } else { ",\n" });
        let _ = write!(
            j,
            "    {{\"prune\": {}, \"threads\": {}, \"dispatch\": {{",
            f.prune, f.threads
        );
        for (k, (d, s)) in Dispatch::ALL.iter().zip(&f.stats).enumerate() {
            let _ = write!(
                j,
                "{}{}: {{\"best_ms\": {}, \"median_ms\": {}, \"runs\": {}, \"inside\": {}, \"same_pixels\": {}}}",
                if k == 0 { "" } else { ", " },
                json_str(d.name()),
                json_num(s.best),
                json_num(s.median),
                s.runs,
                f.inside[k],
                f.matches[k]
            );
        }
        let opt = |v: Option<u64>| v.map_or("null".to_string(), |v| v.to_string());
        let _ = write!(
            j,
            "}}, \"tail_speedup\": {}, \"child_inside\": {}, \"peak_rss_kib\": {}}}",
            json_num(ratio(&f.stats)),
            opt(f.child_inside.map(|n| n as u64)),
            opt(f.peak_rss_kib)
        );
    }
    j.push_str("\n  ]");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats() {
        let s = Stats::of(&[3.0, 1.0, 2.0, 10.0]);
        assert_eq!((s.best, s.median, s.runs), (1.0, 2.5, 4));
        assert_eq!(Stats::of(&[5.0]).median, 5.0);
        assert_eq!(Stats::of(&[]).runs, 0);
    }

    #[test]
    fn json_strings_and_numbers() {
        assert_eq!(json_str("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u0001\"");
        assert_eq!(json_num(1.5), "1.5");
        assert_eq!(json_num(2.0), "2");
        assert_eq!(json_num(f64::NAN), "null");
        assert_eq!(json_num(0.0), "0");
    }

    fn sample(inside: [usize; 3]) -> Report {
        let st = Stats {
            best: 1.0,
            median: 1.0,
            runs: 1,
        };
        Report {
            input: "s.expr".into(),
            format: "expr",
            instructions: 5,
            registers: 3,
            width: 8,
            height: 8,
            bounds: Bounds2::default(),
            z: 0.0,
            cores: 2,
            eval: vec![EvalRow {
                kind: "point",
                stats: [st; 3],
                evals: 64,
            }],
            frames: vec![FrameRow {
                prune: true,
                threads: 1,
                stats: [st, Stats { best: 2.0, ..st }, st],
                inside,
                matches: [true; 3],
                child_inside: Some(inside[0]),
                peak_rss_kib: Some(2048),
            }],
            frames3d: None,
        }
    }

    #[test]
    fn reports() {
        let r = sample([7, 7, 7]);
        assert!(r.disagreement().is_none());
        let j = r.json();
        assert!(
            j.contains("\"agree\": true") && j.contains("\"trampoline\""),
            "{j}"
        );
        assert!(j.contains("\"tail_speedup\": 2"), "{j}");
        let t = r.table();
        assert!(t.contains("2.0 MiB") && t.contains("2.000"), "{t}");
        let bad = sample([7, 8, 7]);
        assert!(bad.disagreement().unwrap().contains("match 8"));
        assert!(bad.table().contains("DISAGREE"));
        assert!(bad.json().contains("\"agree\": false"));
    }
}
