//! tapir evaluates implicit surfaces (signed-distance functions) with a
//! tail-call interpreter.
//!
//! The pipeline, one module per stage:
//!
//! 1. [`lang`]: `.expr` text (and Fidget's `.vm` tapes) → [`graph`]
//! 2. [`graph`]: a hash-consed, constant-folded expression DAG
//! 3. [`tape`]: the DAG lowered to an SSA tape, then register-allocated into a
//!    register tape; pruned per region by [`tape::simplify`]
//! 4. [`interp`]: runs register tapes with tail-call, match-loop or trampoline
//!    dispatch, over any [`eval::Value`] (points, slices, intervals, gradients)
//! 5. [`render`]: grids of pixels and voxels evaluated in parallel tiles
//!
//! [`Shape`] ties them together:
//!
//! ```
//! let shape = tapir::Shape::from_expr("sqrt(x*x + y*y) - 0.5").unwrap();
//! assert!(shape.eval_point(0.0, 0.0, 0.0) < 0.0);
//! assert!(shape.eval_point(1.0, 0.0, 0.0) > 0.0);
//! ```
#![feature(explicit_tail_calls, portable_simd)]
#![cfg_attr(target_arch = "x86_64", feature(rust_preserve_none_cc))]
#![allow(incomplete_features)]
#![warn(missing_docs)]

pub mod error;
pub mod eval;
pub mod graph;
pub mod interp;
pub mod lang;
pub mod ops;
pub mod render;
pub mod shape;
pub mod tape;

pub use error::{Error, SourceError};
pub use interp::Dispatch;
pub use shape::Shape;
