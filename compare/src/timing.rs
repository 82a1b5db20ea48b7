//! Timings: interleaved rounds, best and median, and the table they make.

use std::fmt::Write as _;
use std::time::Duration;

/// The three evaluators compared.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// tapir's tail-call interpreter.
    Tapir,
    /// Fidget's bytecode interpreter (`fidget::vm::VmShape`).
    Vm,
    /// Fidget's JIT (`fidget::jit::JitShape`).
    Jit,
}

/// Column order of the table.
pub const ENGINES: [Engine; 3] = [Engine::Tapir, Engine::Vm, Engine::Jit];

impl Engine {
    /// Index of this engine's column.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Best and median of a set of timed runs.
#[derive(Copy, Clone, Debug)]
pub struct Timing {
    pub best: Duration,
    pub median: Duration,
    /// How many runs these come from.
    pub runs: usize,
}

impl Timing {
    /// The best and the median of `times` (at least one).
    pub fn of(times: &mut [Duration]) -> Timing {
        assert!(!times.is_empty());
        times.sort();
        let n = times.len();
        let median = if n % 2 == 1 {
            times[n / 2]
        } else {
            (times[n / 2 - 1] + times[n / 2]) / 2
        };
        Timing {
            best: times[0],
            median,
            runs: n,
        }
    }

    /// Two timings one after the other (best with best, median with
    /// median): the cost of a pipeline timed in parts.
    pub fn then(self, other: Timing) -> Timing {
        Timing {
            best: self.best + other.best,
            median: self.median + other.median,
            runs: self.runs.min(other.runs),
        }
    }
}

/// How measurements are repeated.
#[derive(Copy, Clone, Debug)]
pub struct Plan {
    /// Timed runs after the warm-up.
    pub runs: u32,
    /// An engine whose warm-up run takes longer than this is not run
    /// again: that one run is its timing (marked in the table).
    pub single_run_above: Duration,
}

/// Runs `op` for each engine of `engines` in turn, round after round: one
/// warm-up round, then `plan.runs` timed ones. Interleaving keeps a drift
/// in the machine's load from favouring one engine. `op` returns the time
/// of the work it was asked to do, `None` when that engine cannot do it,
/// or an error.
pub fn interleaved(
    plan: Plan,
    engines: &[Engine],
    mut op: impl FnMut(Engine) -> Result<Option<Duration>, String>,
) -> Result<[Option<Timing>; 3], String> {
    let mut times: [Vec<Duration>; 3] = Default::default();
    let mut active = [true; 3];
    for round in 0..=plan.runs {
        for &e in engines {
            let i = e.index();
            if !active[i] {
                continue;
            }
            match op(e)? {
                Some(t) if round == 0 && t > plan.single_run_above => {
                    times[i].push(t);
                    active[i] = false;
                }
                Some(t) if round > 0 => times[i].push(t),
                Some(_) => {}
                None => active[i] = false,
            }
        }
    }
    Ok(times.map(|mut t| (!t.is_empty()).then(|| Timing::of(&mut t))))
}

/// One line of the table: what was done, with how many threads, and the
/// timings per engine (in [`ENGINES`] order).
pub struct Row {
    pub work: String,
    pub threads: usize,
    pub times: [Option<Timing>; 3],
}

/// A duration in milliseconds with about three significant digits.
pub fn ms(d: Duration) -> String {
    let m = d.as_secs_f64() * 1e3;
    if m >= 10_000.0 {
        format!("{:.2} s", m / 1e3)
    } else if m >= 100.0 {
        format!("{m:.0} ms")
    } else if m >= 10.0 {
        format!("{m:.1} ms")
    } else {
        format!("{m:.2} ms")
    }
}

fn ratio(a: Option<Timing>, b: Option<Timing>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if !b.best.is_zero() => {
            format!("{:.2}", a.best.as_secs_f64() / b.best.as_secs_f64())
        }
        _ => "n/a".into(),
    }
}

/// The rows as a Markdown table: best and median per engine, and the
/// ratios tapir / Fidget JIT and tapir / Fidget VM of the best times.
/// Timings from a single run (the warm-up of a slow engine) are marked †.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| work | threads | tapir best | tapir median | VM best | VM median | JIT best | \
         JIT median | tapir/JIT | tapir/VM |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
    );
    for r in rows {
        let cell = |t: Option<Timing>, best: bool| {
            t.map_or("n/a".into(), |t| {
                let mark = if t.runs == 1 { " †" } else { "" };
                format!("{}{mark}", ms(if best { t.best } else { t.median }))
            })
        };
        let [t, v, j] = r.times;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.work,
            r.threads,
            cell(t, true),
            cell(t, false),
            cell(v, true),
            cell(v, false),
            cell(j, true),
            cell(j, false),
            ratio(t, j),
            ratio(t, v),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_and_median() {
        let ms = Duration::from_millis;
        let t = Timing::of(&mut [ms(5), ms(1), ms(3)]);
        assert_eq!((t.best, t.median), (ms(1), ms(3)));
        let t = Timing::of(&mut [ms(4), ms(1), ms(3), ms(2)]);
        assert_eq!((t.best, t.median), (ms(1), Duration::from_micros(2500)));
    }

    #[test]
    fn warm_up_round_is_not_counted() {
        let mut calls = 0;
        let plan = Plan {
            runs: 3,
            single_run_above: Duration::from_secs(1),
        };
        let t = interleaved(plan, &ENGINES, |e| {
            calls += 1;
            Ok((e != Engine::Vm).then(|| Duration::from_millis(calls)))
        })
        .unwrap();
        // tapir and JIT: 4 rounds; VM: asked once, then left out.
        assert_eq!(calls, 4 * 2 + 1);
        assert_eq!(t[0].unwrap().best, Duration::from_millis(4));
        assert!(t[1].is_none());
        assert_eq!(t[2].unwrap().best, Duration::from_millis(5));
    }

    #[test]
    fn slow_engines_run_once() {
        let plan = Plan {
            runs: 5,
            single_run_above: Duration::from_millis(10),
        };
        let mut vm_calls = 0;
        let t = interleaved(plan, &ENGINES, |e| {
            vm_calls += usize::from(e == Engine::Vm);
            let ms = if e == Engine::Vm { 20 } else { 1 };
            Ok(Some(Duration::from_millis(ms)))
        })
        .unwrap();
        assert_eq!(vm_calls, 1);
        assert_eq!(t[1].unwrap().runs, 1);
        assert_eq!(t[0].unwrap().runs, 5);
    }
}
