//! Shared helpers for the integration tests: random shapes and a
//! deterministic property-test runner.
#![allow(dead_code)]

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
mod recipe;

use tapir::graph::{Graph, NodeId, Var};
use tapir::ops::{BinaryOp, UnaryOp};

/// Runs `test` on `cases` inputs drawn from `strategy`, with a fixed seed so
/// that every run of the suite checks the same cases.
pub fn check<S: Strategy>(
    name: &str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let mut seed = [0u8; 32];
    for (i, b) in name.bytes().enumerate() {
        seed[i % 32] ^= b;
    }
    // TAPIR_PROPTEST_SCALE=N runs N times as many cases (for deeper searches).
    let scale: u32 = std::env::var("TAPIR_PROPTEST_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let config = Config {
        cases: cases.saturating_mul(scale),
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
    if let Err(e) = runner.run(&strategy, test) {
        panic!("{name}: {e}");
    }
}

/// Interesting f32 values: ordinary numbers and the special cases.
pub fn special_f32() -> impl Strategy<Value = f32> {
    prop_oneof![
        6 => -4.0f32..4.0,
        1 => Just(0.0f32),
        1 => Just(-0.0f32),
        1 => Just(1.0f32),
        1 => Just(-1.0f32),
        1 => Just(0.5f32),
        1 => prop::sample::select(vec![f32::INFINITY, f32::NEG_INFINITY, f32::NAN, 1e30, -1e30, 1e-30, 3.0e38]),
    ]
}

/// A recipe for a random expression: each step makes a node from earlier ones.
#[derive(Clone, Debug)]
pub struct Recipe {
    pub steps: Vec<(u8, u16, u16, f32)>,
}

/// Random recipes of up to `max_len` steps.
pub fn recipe(max_len: usize, constants: bool) -> impl Strategy<Value = Recipe> {
    let c = if constants {
        special_f32().boxed()
    } else {
        (-3.0f32..3.0).boxed()
    };
    prop::collection::vec((any::<u8>(), any::<u16>(), any::<u16>(), c), 1..max_len)
        .prop_map(|steps| Recipe { steps })
}

impl Recipe {
    /// Builds the expression; the last node made is the root.
    pub fn build(&self) -> (Graph, NodeId) {
        let mut g = Graph::new();
        let mut nodes = vec![g.var(Var::X), g.var(Var::Y), g.var(Var::Z)];
        for &(kind, a, b, c) in &self.steps {
            let (a, b) = (usize::from(a), usize::from(b));
            recipe::step(
                &mut g,
                &mut nodes,
                (usize::from(kind), a, b),
                c,
                8,
                a % 2 == 1,
            );
        }
        let root = *nodes.last().unwrap();
        (g, root)
    }
}

/// A random constructive-solid-geometry shape in the plane: circles and
/// boxes combined with min/max (and some arithmetic), the kind of tape
/// pruning is for.
#[derive(Clone, Debug)]
pub struct Csg {
    pub parts: Vec<(u8, f32, f32, f32, f32)>,
}

pub fn csg(max_parts: usize) -> impl Strategy<Value = Csg> {
    prop::collection::vec(
        (
            any::<u8>(),
            -1.0f32..1.0,
            -1.0f32..1.0,
            0.05f32..0.6,
            0.05f32..0.6,
        ),
        1..max_parts,
    )
    .prop_map(|parts| Csg { parts })
}

impl Csg {
    pub fn build(&self) -> (Graph, NodeId) {
        use BinaryOp::*;
        use UnaryOp::*;
        let mut g = Graph::new();
        let (x, y) = (g.var(Var::X), g.var(Var::Y));
        let mut acc: Option<NodeId> = None;
        for &(kind, cx, cy, r, s) in &self.parts {
            let (ccx, ccy) = (g.constant(cx), g.constant(cy));
            let dx = g.binary(Sub, x, ccx);
            let dy = g.binary(Sub, y, ccy);
            let shape = if kind % 2 == 0 {
                let dx2 = g.unary(Square, dx);
                let dy2 = g.unary(Square, dy);
                let s2 = g.binary(Add, dx2, dy2);
                let d = g.unary(Sqrt, s2);
                let rc = g.constant(r);
                g.binary(Sub, d, rc)
            } else {
                let ax = g.unary(Abs, dx);
                let ay = g.unary(Abs, dy);
                let (rc, sc) = (g.constant(r), g.constant(s));
                let qx = g.binary(Sub, ax, rc);
                let qy = g.binary(Sub, ay, sc);
                g.binary(Max, qx, qy)
            };
            acc = Some(match acc {
                None => shape,
                Some(a) => match (kind / 2) % 4 {
                    0 | 1 => g.binary(Min, a, shape),
                    2 => {
                        let n = g.unary(Neg, shape);
                        g.binary(Max, a, n)
                    }
                    _ => g.binary(Max, a, shape),
                },
            });
        }
        (g, acc.unwrap())
    }
}

/// A random constructive-solid-geometry shape in space: balls and boxes
/// combined with min/max, for the 3D renderer and voxel grids.
#[derive(Clone, Debug)]
pub struct Csg3 {
    pub parts: Vec<(u8, [f32; 3], f32, f32)>,
}

pub fn csg3(max_parts: usize) -> impl Strategy<Value = Csg3> {
    prop::collection::vec(
        (
            any::<u8>(),
            [-0.9f32..0.9, -0.9f32..0.9, -0.9f32..0.9],
            0.05f32..0.6,
            0.05f32..0.6,
        ),
        1..max_parts,
    )
    .prop_map(|parts| Csg3 { parts })
}

impl Csg3 {
    pub fn build(&self) -> (Graph, NodeId) {
        use BinaryOp::*;
        use UnaryOp::*;
        let mut g = Graph::new();
        let vars = [g.var(Var::X), g.var(Var::Y), g.var(Var::Z)];
        let mut acc: Option<NodeId> = None;
        for &(kind, c, r, s) in &self.parts {
            let d: Vec<NodeId> = (0..3)
                .map(|a| {
                    let ca = g.constant(c[a]);
                    g.binary(Sub, vars[a], ca)
                })
                .collect();
            let shape = if kind % 2 == 0 {
                let sq: Vec<NodeId> = d.iter().map(|&v| g.unary(Square, v)).collect();
                let s01 = g.binary(Add, sq[0], sq[1]);
                let s2 = g.binary(Add, s01, sq[2]);
                let len = g.unary(Sqrt, s2);
                let rc = g.constant(r);
                g.binary(Sub, len, rc)
            } else {
                let half = [r, s, (r + s) / 2.0];
                let q: Vec<NodeId> = (0..3)
                    .map(|a| {
                        let ab = g.unary(Abs, d[a]);
                        let h = g.constant(half[a]);
                        g.binary(Sub, ab, h)
                    })
                    .collect();
                let m = g.binary(Max, q[0], q[1]);
                g.binary(Max, m, q[2])
            };
            acc = Some(match acc {
                None => shape,
                Some(a) => match (kind / 2) % 4 {
                    0 | 1 => g.binary(Min, a, shape),
                    2 => {
                        let n = g.unary(Neg, shape);
                        g.binary(Max, a, n)
                    }
                    _ => g.binary(Max, a, shape),
                },
            });
        }
        (g, acc.unwrap())
    }
}

/// Equal bit patterns, or both NaN (NaN payloads are not part of the
/// contract between different value types).
pub fn same(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Path of the Prospero challenge tape, if present.
pub fn prospero() -> Option<String> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/models/prospero.vm");
    match std::fs::read_to_string(&p) {
        Ok(s) => Some(s),
        Err(_) => {
            eprintln!(
                "SKIPPED: {} is absent; prospero checks not run",
                p.display()
            );
            None
        }
    }
}
