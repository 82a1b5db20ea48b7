//! [`Shape`]: a compiled shape, ready to evaluate.
//!
//! A shape owns its tape (both forms, see [`crate::tape`]) behind an `Arc`,
//! so cloning is cheap and shapes can be shared between threads.

use std::cell::RefCell;
use std::sync::Arc;

use crate::error::SourceError;
use crate::eval::{Choice, Interval};
use crate::graph::{Graph, NodeId};
use crate::interp::{Dispatch, Machine};
use crate::tape::simplify::Simplifier;
use crate::tape::{REGISTER_COUNT, RegTape, SsaTape, Tape, lower, regalloc};

/// A shape compiled to a register tape.
///
/// ```
/// use tapir::Shape;
/// use tapir::eval::Interval;
///
/// let disc = Shape::from_expr("sqrt(x^2 + y^2) - 1").unwrap();
/// assert_eq!(disc.eval_point(3.0, 4.0, 0.0), 4.0);
///
/// // Bounds over a region: this square is entirely outside the disc.
/// let i = disc.eval_interval(Interval::new(2.0, 3.0), Interval::new(2.0, 3.0), Interval::point(0.0));
/// assert!(i.lo() > 0.0);
/// ```
#[derive(Clone, Debug)]
pub struct Shape {
    tape: Arc<Tape>,
}

thread_local! {
    static POINT: RefCell<Machine<f32>> = RefCell::new(Machine::new());
    static INTERVAL: RefCell<(Machine<Interval>, Vec<Choice>)> =
        RefCell::new((Machine::new(), Vec::new()));
}

impl Shape {
    /// Compiles a `.expr` program (see `shapes/README.md`).
    pub fn from_expr(src: &str) -> Result<Shape, SourceError> {
        let (graph, root) = crate::lang::parse_expr(src)?;
        Ok(Shape::from_graph(&graph, root))
    }

    /// Compiles a Fidget `.vm` tape.
    pub fn from_vm(src: &str) -> Result<Shape, SourceError> {
        let (graph, root) = crate::lang::parse_vm(src)?;
        Ok(Shape::from_graph(&graph, root))
    }

    /// Compiles the expression `root` of `graph`.
    pub fn from_graph(graph: &Graph, root: NodeId) -> Shape {
        Shape::from_graph_with_register_limit(graph, root, REGISTER_COUNT)
    }

    /// Compiles using only registers `0..limit` (2 ≤ limit ≤ 256), spilling
    /// the rest to memory. Meant for testing the spill path.
    pub fn from_graph_with_register_limit(graph: &Graph, root: NodeId, limit: usize) -> Shape {
        let ssa = lower::lower(graph, root);
        let reg = regalloc::allocate(&ssa, limit);
        Shape {
            tape: Arc::new(Tape { ssa, reg }),
        }
    }

    /// Wraps an existing tape.
    pub fn from_tape(tape: Tape) -> Shape {
        Shape {
            tape: Arc::new(tape),
        }
    }

    /// Both forms of the tape.
    pub fn tape(&self) -> &Tape {
        &self.tape
    }

    /// The register tape (what the interpreter runs).
    pub fn reg_tape(&self) -> &RegTape {
        &self.tape.reg
    }

    /// The SSA tape (what pruning works on).
    pub fn ssa_tape(&self) -> &SsaTape {
        &self.tape.ssa
    }

    /// Number of register-tape instructions.
    pub fn len(&self) -> usize {
        self.tape.reg.len()
    }

    /// Always false: a tape has at least its output instruction.
    pub fn is_empty(&self) -> bool {
        self.tape.reg.is_empty()
    }

    /// The value at one point (tail-call dispatch).
    pub fn eval_point(&self, x: f32, y: f32, z: f32) -> f32 {
        self.eval_point_with(Dispatch::default(), x, y, z)
    }

    /// The value at one point, with the given dispatch style.
    pub fn eval_point_with(&self, dispatch: Dispatch, x: f32, y: f32, z: f32) -> f32 {
        POINT.with_borrow_mut(|m| m.run(dispatch, &self.tape.reg, [x, y, z], &mut []))
    }

    /// Bounds on the value over a box of inputs.
    pub fn eval_interval(&self, x: Interval, y: Interval, z: Interval) -> Interval {
        self.eval_interval_with(Dispatch::default(), x, y, z).0
    }

    /// Bounds over a box, with the given dispatch style; also returns the
    /// choices recorded (one per choice instruction).
    pub fn eval_interval_with(
        &self,
        dispatch: Dispatch,
        x: Interval,
        y: Interval,
        z: Interval,
    ) -> (Interval, Vec<Choice>) {
        INTERVAL.with_borrow_mut(|(m, choices)| {
            choices.clear();
            choices.resize(self.tape.reg.choice_count(), Choice::Both);
            let v = m.run(dispatch, &self.tape.reg, [x, y, z], choices);
            (v, choices.clone())
        })
    }

    /// The expression this shape computes, as a graph (lifted from its
    /// tape; see [`crate::tape::lift`]).
    pub fn to_graph(&self) -> (Graph, NodeId) {
        crate::tape::lift::lift(&self.tape.ssa)
    }

    /// This shape seen through the projective map `m`: the new shape's
    /// value at `p` is this one's at `(m p)_xyz / (m p)_w` (see
    /// [`Graph::substitute`]). Views apply themselves this way.
    ///
    /// ```
    /// use nalgebra::{Matrix4, Vector3};
    /// use tapir::Shape;
    ///
    /// let ball = Shape::from_expr("sqrt(x^2 + y^2 + z^2) - 1").unwrap();
    /// // Seen from a point moved by +2 along x.
    /// let moved = ball.substitute(&Matrix4::new_translation(&Vector3::new(2.0, 0.0, 0.0)));
    /// assert_eq!(moved.eval_point(-2.0, 0.0, 0.0), -1.0);
    /// ```
    pub fn substitute(&self, m: &nalgebra::Matrix4<f64>) -> Shape {
        let (mut g, root) = self.to_graph();
        let seen = g.substitute(root, m);
        Shape::from_graph(&g, seen)
    }

    /// A shape equal to this one everywhere in the box `x × y × z`, with the
    /// branches that cannot matter there removed.
    ///
    /// ```
    /// use tapir::Shape;
    /// use tapir::eval::Interval;
    ///
    /// let two = Shape::from_expr("min(sqrt((x-2)^2 + y^2) - 1, sqrt((x+2)^2 + y^2) - 1)").unwrap();
    /// let right = two.simplify(Interval::new(1.0, 3.0), Interval::new(-1.0, 1.0), Interval::point(0.0));
    /// assert!(right.len() < two.len());
    /// assert_eq!(right.eval_point(2.0, 0.5, 0.0), two.eval_point(2.0, 0.5, 0.0));
    /// ```
    pub fn simplify(&self, x: Interval, y: Interval, z: Interval) -> Shape {
        let (_, choices) = self.eval_interval_with(Dispatch::default(), x, y, z);
        let mut out = Tape::default();
        Simplifier::new().simplify(&self.tape, &choices, &mut out);
        Shape::from_tape(out)
    }
}
