//! [`Shape`]: a compiled shape, ready to evaluate.
//!
//! A shape owns its tape (both forms, see [`crate::tape`]) behind an `Arc`,
//! so cloning is cheap and shapes can be shared between threads.

use std::cell::RefCell;
use std::sync::Arc;

use crate::error::{Error, SourceError};
use crate::eval::{Choice, Interval};
use crate::graph::{Graph, NodeId, Param};
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
///
/// A shape may have named parameters (`param r = 0.5 in [0, 1];`): they are
/// inputs of the tape like x, y and z, so [`Shape::with_param`] gives the
/// same shape with another value without compiling anything (the tape is
/// shared). Every evaluation of a shape uses its current values.
///
/// ```
/// use tapir::Shape;
///
/// let disc = Shape::from_expr("param r = 0.5 in [0.1, 2];\nsqrt(x^2 + y^2) - r").unwrap();
/// assert_eq!(disc.params()[0].name, "r");
/// assert_eq!(disc.eval_point(1.0, 0.0, 0.0), 0.5);
/// let big = disc.with_param("r", 1.5).unwrap();
/// assert_eq!(big.eval_point(1.0, 0.0, 0.0), -0.5);
/// assert!(std::ptr::eq(big.tape(), disc.tape())); // no new tape
/// // Out of range, or unknown: an error that says what is allowed.
/// assert!(disc.with_param("r", 3.0).unwrap_err().to_string().contains("[0.1, 2]"));
/// assert!(disc.with_param("R", 1.0).unwrap_err().to_string().contains("did you mean `r`?"));
/// ```
#[derive(Clone, Debug)]
pub struct Shape {
    tape: Arc<Tape>,
    /// The declared parameters, in input order.
    params: Arc<[Param]>,
    /// Their current values (the defaults unless set).
    values: Arc<[f32]>,
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
        Shape::with_tape(Tape { ssa, reg }, graph.params().into())
    }

    /// Wraps an existing tape, whose parameters (if it reads any) are
    /// `params`, at their defaults.
    pub fn from_tape_with_params(tape: Tape, params: Vec<Param>) -> Shape {
        Shape::with_tape(tape, params.into())
    }

    /// Wraps an existing tape without parameter declarations (parameters it
    /// reads are NaN).
    pub fn from_tape(tape: Tape) -> Shape {
        Shape::with_tape(tape, Arc::new([]))
    }

    fn with_tape(tape: Tape, params: Arc<[Param]>) -> Shape {
        let values = params.iter().map(|p| p.default).collect();
        Shape {
            tape: Arc::new(tape),
            params,
            values,
        }
    }

    /// The declared parameters: names, defaults and ranges, in order.
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// The current value of each parameter, in the order of
    /// [`Shape::params`].
    pub fn param_values(&self) -> &[f32] {
        &self.values
    }

    /// This shape with parameter `name` set to `value` (the same tape).
    /// Errors if there is no such parameter or the value is outside its
    /// range.
    pub fn with_param(&self, name: &str, value: f32) -> Result<Shape, Error> {
        let values = self.resolve_params(&[(name.to_string(), value)])?;
        Ok(Shape {
            values: values.into(),
            ..self.clone()
        })
    }

    /// The values of the parameters with `overrides` (by name) applied over
    /// the current ones, checked: each name must be declared and each value
    /// within its range. What grid evaluators use (see
    /// [`crate::render::EvalOptions::params`]).
    pub fn resolve_params(&self, overrides: &[(String, f32)]) -> Result<Vec<f32>, Error> {
        let mut values = self.values.to_vec();
        for (name, value) in overrides {
            let Some(k) = self.params.iter().position(|p| &p.name == name) else {
                return Err(Error::Param(unknown_param(name, &self.params)));
            };
            let p = &self.params[k];
            if !(p.lo..=p.hi).contains(value) {
                return Err(Error::Param(format!(
                    "{name} = {value} is outside the range of parameter `{name}`: [{}, {}]",
                    p.lo, p.hi
                )));
            }
            values[k] = *value;
        }
        Ok(values)
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
        POINT.with_borrow_mut(|m| {
            m.set_params(&self.values);
            m.run(dispatch, &self.tape.reg, [x, y, z], &mut [])
        })
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
            m.set_params(&self.values);
            let v = m.run(dispatch, &self.tape.reg, [x, y, z], choices);
            (v, choices.clone())
        })
    }

    /// The expression this shape computes, as a graph (lifted from its
    /// tape; see [`crate::tape::lift`]), with its parameters declared at
    /// their current values.
    pub fn to_graph(&self) -> (Graph, NodeId) {
        let (mut g, root) = crate::tape::lift::lift(&self.tape.ssa);
        g.set_params(self.current_params());
        (g, root)
    }

    /// The parameter declarations with the current values as defaults.
    fn current_params(&self) -> Vec<Param> {
        self.params
            .iter()
            .zip(self.values.iter())
            .map(|(p, &v)| Param {
                default: v,
                ..p.clone()
            })
            .collect()
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
        // The same parameters (declarations and current values).
        Shape {
            params: self.params.clone(),
            values: self.values.clone(),
            ..Shape::from_graph(&g, seen)
        }
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
        Shape {
            tape: Arc::new(out),
            ..self.clone()
        }
    }
}

/// "unknown parameter `R`; did you mean `r`? (the parameters are: r, t)".
fn unknown_param(name: &str, params: &[Param]) -> String {
    if params.is_empty() {
        return format!("unknown parameter `{name}`: this shape has no parameters");
    }
    let names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
    let hint = match crate::lang::closest_name(name, names.iter().copied()) {
        Some(c) => format!("; did you mean `{c}`?"),
        None => String::new(),
    };
    format!(
        "unknown parameter `{name}`{hint} (the parameters are: {})",
        names.join(", ")
    )
}
