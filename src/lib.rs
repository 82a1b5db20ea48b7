//! tapir evaluates implicit surfaces (signed-distance functions: negative
//! inside, zero on the surface, positive outside) with a tail-call
//! interpreter.
//!
//! # The pipeline
//!
//! Data flows forward through one module per stage:
//!
//! 1. [`lang`] reads `.expr` programs (the language and its standard
//!    library of shapes are specified in `shapes/README.md`) and Fidget's
//!    `.vm` tapes into a [`graph`];
//! 2. [`graph`] is a hash-consed, constant-folded expression DAG: identical
//!    subexpressions are stored once;
//! 3. [`tape`] lowers the DAG to an SSA tape and allocates registers into a
//!    register tape, the straight-line code the interpreter runs;
//!    [`tape::simplify`] prunes it per region;
//! 4. [`interp`] runs register tapes with tail-call, match-loop or
//!    trampoline dispatch over any [`eval::Value`]: single points (`f32`),
//!    slices of points ([`eval::Lanes`]), intervals ([`eval::Interval`],
//!    which also record which side of each `min`/`max` can win) and
//!    gradients ([`eval::Grad`]); [`eval`] says what each operation means
//!    for each of them;
//! 5. [`render`] evaluates grids of pixels and voxels in parallel tiles,
//!    pruning the tape per tile by interval arithmetic, and renders 3D views.
//!
//! [`Shape`] ties the stages together.
//!
//! # A walk through it
//!
//! ```
//! use tapir::eval::Interval;
//! use tapir::interp::Machine;
//! use tapir::render::{EvalOptions, Grid2};
//! use tapir::{Dispatch, Shape};
//!
//! // 1–2. Text to graph: a program using the standard library.
//! let src = "let disc = circle(0.6);\ndifference(disc, translate(box2(0.2, 0.2), 0.5, 0))";
//! let (graph, root) = tapir::lang::parse_expr(src).unwrap();
//! assert!(graph.eval(root, [0.0, 0.0, 0.0]) < 0.0); // the reference evaluation
//!
//! // 3. Graph to tapes.
//! let shape = Shape::from_graph(&graph, root);
//! assert!(shape.len() > 5 && shape.reg_tape().choice_count() >= 1);
//!
//! // 4. Run the register tape at a point, with a machine you keep ...
//! let mut m = Machine::<f32>::new();
//! let v = m.run(Dispatch::TailCall, shape.reg_tape(), [0.0, 0.0, 0.0], &mut []);
//! assert!((v + 0.3).abs() < 1e-6); // 0.3 from the bite
//! // ... or through the shape's own per-thread machines.
//! assert_eq!(shape.eval_point(0.0, 0.0, 0.0), v);
//!
//! // Intervals bound the value over a box; this one is all outside, and the
//! // tape pruned for a box far from the bite no longer has the box in it.
//! let far = Interval::new(2.0, 3.0);
//! assert!(shape.eval_interval(far, far, Interval::point(0.0)).lo() > 0.0);
//! let left = shape.simplify(Interval::new(-1.0, -0.5), Interval::new(-0.2, 0.2), Interval::point(0.0));
//! assert!(left.len() < shape.len());
//!
//! // 5. A grid: 64 × 64 pixel centres over [-1, 1]², row 0 at the top.
//! let grid = Grid2::square(64);
//! let values = shape.eval_grid(&grid, &EvalOptions::default()).unwrap();
//! let inside = values.iter().filter(|v| **v < 0.0).count();
//! // The disc covers π·0.36/4 of the square, less the bite.
//! let disc = std::f64::consts::PI * 0.36 / 4.0 * 4096.0;
//! assert!(inside < disc as usize && inside as f64 > disc * 0.85);
//! // Pruned tiles give exactly the values of the whole tape.
//! assert_eq!(values[32 * 64 + 10], shape.eval_point(grid.x(10), grid.y(32), 0.0));
//! ```
//!
//! The command-line tool (`tapir`, in `src/cli/`) renders, benchmarks,
//! describes and converts shapes with this library; `tapir shapes` lists
//! the standard library.
#![feature(explicit_tail_calls, portable_simd)]
#![cfg_attr(target_arch = "x86_64", feature(rust_preserve_none_cc))]
#![allow(incomplete_features)]
#![warn(missing_docs)]

pub mod contour;
pub mod error;
pub mod eval;
pub mod graph;
pub mod interp;
pub mod lang;
pub mod mesh;
pub mod ops;
pub mod render;
pub mod shape;
pub mod tape;

pub use error::{Error, SourceError};
pub use interp::Dispatch;
pub use shape::Shape;
