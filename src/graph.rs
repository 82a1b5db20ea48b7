//! The expression graph: a hash-consed DAG with constant folding.
//!
//! Every front end (the `.expr` language, the `.vm` reader, library users)
//! builds a [`Graph`]; [`crate::tape`] lowers it to a register tape.
//!
//! Invariants (relied on by every pass, none of which recurses):
//! - a node's children are created before it, so they have smaller
//!   [`NodeId`]s and ascending id order is a topological order;
//! - identical nodes are stored once (`a + b` and `b + a` too, for the
//!   operations of [`BinaryOp::is_commutative`]);
//! - no operation has only constant inputs (it is folded, with exactly the
//!   point evaluator's arithmetic), and commutative operations keep a constant
//!   operand on the right.

use std::collections::HashMap;

use crate::eval::{apply_binary, apply_unary};
use crate::ops::{BinaryOp, UnaryOp};

/// An input variable: a coordinate, or a named parameter of the shape.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Var {
    /// The x coordinate.
    X,
    /// The y coordinate.
    Y,
    /// The z coordinate.
    Z,
    /// Parameter `k` of the graph (see [`Graph::param`]). Like a coordinate,
    /// it is an input of the tape, never folded into a constant, so its
    /// value can change without compiling again.
    Param(u32),
}

impl Var {
    /// The coordinates x, y and z, in order.
    pub const ALL: [Var; 3] = [Var::X, Var::Y, Var::Z];

    /// Its input number: 0, 1, 2 for x, y, z; 3 + k for parameter k (the
    /// `imm` of the tape's `Input` instruction).
    pub fn index(self) -> usize {
        match self {
            Var::X => 0,
            Var::Y => 1,
            Var::Z => 2,
            Var::Param(k) => 3 + k as usize,
        }
    }

    /// The variable with input number `i` (see [`Var::index`]).
    pub fn from_index(i: usize) -> Var {
        match i {
            0 => Var::X,
            1 => Var::Y,
            2 => Var::Z,
            _ => Var::Param(u32::try_from(i - 3).unwrap_or(u32::MAX)),
        }
    }
}

/// The most parameters a shape may have.
pub const MAX_PARAMS: usize = 1 << 16;

/// A named parameter of a shape: `param NAME = DEFAULT in [LO, HI];` in the
/// `.expr` language.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// Its name.
    pub name: String,
    /// The value it has unless set.
    pub default: f32,
    /// The smallest value it accepts.
    pub lo: f32,
    /// The largest value it accepts.
    pub hi: f32,
}

/// Names a node of a [`Graph`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(u32);

impl NodeId {
    /// The position of the node in its graph.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The id of the node at position `i` (which must exist in the graph it is used with).
    pub fn from_index(i: usize) -> Self {
        NodeId(u32::try_from(i).expect("node index exceeds u32"))
    }
}

/// One node of a [`Graph`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    /// A constant, stored as its bit pattern (so NaN and -0 hash exactly).
    Const(u32),
    /// An input variable.
    Var(Var),
    /// A one-argument operation.
    Unary(UnaryOp, NodeId),
    /// A two-argument operation.
    Binary(BinaryOp, NodeId, NodeId),
}

/// A deduplicated expression DAG.
///
/// ```
/// use tapir::graph::{Graph, Var};
/// use tapir::ops::BinaryOp;
///
/// let mut g = Graph::new();
/// let x = g.var(Var::X);
/// let y = g.var(Var::Y);
/// let a = g.binary(BinaryOp::Add, x, y);
/// let b = g.binary(BinaryOp::Add, y, x);
/// assert_eq!(a, b); // stored once
/// let two = g.constant(2.0);
/// let three = g.constant(3.0);
/// let five = g.binary(BinaryOp::Add, two, three);
/// assert_eq!(g.const_value(five), Some(5.0)); // folded
/// ```
#[derive(Clone, Debug, Default)]
pub struct Graph {
    nodes: Vec<Node>,
    index: HashMap<Node, NodeId>,
    params: Vec<Param>,
}

impl Graph {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True if the graph has no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The node behind an id.
    pub fn node(&self, id: NodeId) -> Node {
        self.nodes[id.index()]
    }

    /// The value of a constant node.
    pub fn const_value(&self, id: NodeId) -> Option<f32> {
        match self.node(id) {
            Node::Const(bits) => Some(f32::from_bits(bits)),
            _ => None,
        }
    }

    fn intern(&mut self, node: Node) -> NodeId {
        if let Some(&id) = self.index.get(&node) {
            return id;
        }
        let id = NodeId(u32::try_from(self.nodes.len()).expect("graph exceeds 2^32 nodes"));
        self.nodes.push(node);
        self.index.insert(node, id);
        id
    }

    /// A constant.
    pub fn constant(&mut self, value: f32) -> NodeId {
        self.intern(Node::Const(value.to_bits()))
    }

    /// An input variable.
    pub fn var(&mut self, var: Var) -> NodeId {
        self.intern(Node::Var(var))
    }

    /// Declares a parameter and returns its variable (`Var::Param(k)` for
    /// the k-th declared). Names are not checked here; the `.expr` language
    /// refuses duplicates.
    ///
    /// ```
    /// use tapir::graph::{Graph, Param, Var};
    /// use tapir::ops::BinaryOp;
    ///
    /// let mut g = Graph::new();
    /// let r = g.param(Param { name: "r".into(), default: 0.5, lo: 0.0, hi: 1.0 });
    /// let x = g.var(Var::X);
    /// let d = g.binary(BinaryOp::Sub, x, r);
    /// assert_eq!(g.eval(d, [2.0, 0.0, 0.0]), 1.5); // at the default
    /// assert_eq!(g.eval_with(d, [2.0, 0.0, 0.0], &[1.0]), 1.0);
    /// ```
    pub fn param(&mut self, p: Param) -> NodeId {
        let k = u32::try_from(self.params.len()).expect("parameter count exceeds u32");
        self.params.push(p);
        self.var(Var::Param(k))
    }

    /// The declared parameters, in order (parameter k is `Var::Param(k)`).
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// Replaces the parameter declarations (for a graph rebuilt from a tape,
    /// whose `Var::Param` nodes have lost theirs).
    pub fn set_params(&mut self, params: Vec<Param>) {
        self.params = params;
    }

    /// A one-argument operation, folded when possible.
    pub fn unary(&mut self, op: UnaryOp, a: NodeId) -> NodeId {
        if let Some(c) = self.const_value(a) {
            return self.constant(apply_unary(op, c));
        }
        if op == UnaryOp::Neg
            && let Node::Unary(UnaryOp::Neg, inner) = self.node(a)
        {
            return inner;
        }
        self.intern(Node::Unary(op, a))
    }

    /// A two-argument operation, folded and simplified when possible.
    pub fn binary(&mut self, op: BinaryOp, a: NodeId, b: NodeId) -> NodeId {
        let (ca, cb) = (self.const_value(a), self.const_value(b));
        if let (Some(ca), Some(cb)) = (ca, cb) {
            return self.constant(apply_binary(op, ca, cb));
        }
        let (a, b, cb) = if op.is_commutative() && (ca.is_some() || (cb.is_none() && b < a)) {
            (b, a, ca)
        } else {
            (a, b, cb)
        };
        if let Some(c) = ca.filter(|_| !op.is_commutative()) {
            // Constant on the left of an order-sensitive operation.
            match op {
                BinaryOp::And => return if c == 0.0 { a } else { b },
                BinaryOp::Or => return if c != 0.0 { a } else { b },
                _ => {}
            }
        }
        if let Some(c) = cb {
            let bits = c.to_bits();
            let identity = match op {
                BinaryOp::Add => c == 0.0,
                BinaryOp::Sub => bits == 0,
                BinaryOp::Mul | BinaryOp::Div => c == 1.0,
                _ => false,
            };
            if identity {
                return a;
            }
            if op == BinaryOp::Mul && c == -1.0 {
                return self.unary(UnaryOp::Neg, a);
            }
        }
        if a == b && matches!(op, BinaryOp::Min | BinaryOp::Max) {
            return a;
        }
        self.intern(Node::Binary(op, a, b))
    }

    /// Replaces x, y and z in the expression `root` by the expressions `xyz`
    /// (the basis of every transform). Iterative: depth is not limited by the
    /// stack.
    ///
    /// ```
    /// use tapir::graph::{Graph, Var};
    /// use tapir::ops::BinaryOp;
    ///
    /// let mut g = Graph::new();
    /// let (x, y, z) = (g.var(Var::X), g.var(Var::Y), g.var(Var::Z));
    /// let sum = g.binary(BinaryOp::Add, x, y);
    /// let one = g.constant(1.0);
    /// let shifted = g.binary(BinaryOp::Sub, x, one);
    /// let moved = g.remap(sum, [shifted, y, z]);
    /// assert_ne!(moved, sum);
    /// ```
    pub fn remap(&mut self, root: NodeId, xyz: [NodeId; 3]) -> NodeId {
        let mut done: HashMap<NodeId, NodeId> = HashMap::new();
        let mut stack = vec![root];
        while let Some(&id) = stack.last() {
            if done.contains_key(&id) {
                stack.pop();
                continue;
            }
            let node = self.node(id);
            let ready = |c: NodeId, stack: &mut Vec<NodeId>| -> bool {
                if done.contains_key(&c) {
                    true
                } else {
                    stack.push(c);
                    false
                }
            };
            let new = match node {
                Node::Const(_) | Node::Var(Var::Param(_)) => id,
                Node::Var(v) => xyz[v.index()],
                Node::Unary(op, a) => {
                    if !ready(a, &mut stack) {
                        continue;
                    }
                    let a = done[&a];
                    self.unary(op, a)
                }
                Node::Binary(op, a, b) => {
                    let ra = ready(a, &mut stack);
                    let rb = ready(b, &mut stack);
                    if !(ra && rb) {
                        continue;
                    }
                    let (a, b) = (done[&a], done[&b]);
                    self.binary(op, a, b)
                }
            };
            done.insert(id, new);
            stack.pop();
        }
        done[&root]
    }

    /// Moves the shape `root` by the affine map `m` (a 4 × 4 homogeneous
    /// matrix): the result at `p` is the shape's value at `m⁻¹ p`. Returns
    /// `None` if `m` is not invertible or not affine.
    ///
    /// Rotations and translations keep distances; a scale by `k` multiplies
    /// them by `1/k` (multiply the result by `k` to keep a distance field).
    /// Coordinates with a zero coefficient are left out of each new
    /// coordinate.
    ///
    /// ```
    /// use nalgebra::{Matrix4, Vector3};
    /// use tapir::graph::{Graph, Var};
    ///
    /// let mut g = Graph::new();
    /// let x = g.var(Var::X);
    /// // The plane x = 0, moved to x = 2.
    /// let moved = g.transform(x, &Matrix4::new_translation(&Vector3::new(2.0, 0.0, 0.0))).unwrap();
    /// assert_eq!(g.eval(moved, [2.0, 5.0, 0.0]), 0.0);
    /// ```
    pub fn transform(&mut self, root: NodeId, m: &nalgebra::Matrix4<f64>) -> Option<NodeId> {
        let affine = m[(3, 0)] == 0.0 && m[(3, 1)] == 0.0 && m[(3, 2)] == 0.0 && m[(3, 3)] == 1.0;
        let inv = m.try_inverse().filter(|_| affine)?;
        Some(self.substitute(root, &inv))
    }

    /// The shape `root` seen through the projective map `m` (a 4 × 4
    /// homogeneous matrix): the result at `p` is the shape's value at
    /// `(m p)_xyz / (m p)_w`. This is how a view maps image space to model
    /// space (see `render::View`); with an affine `m` (last row
    /// `0 0 0 1`) no division is made. Coefficients that are zero leave
    /// their coordinate out.
    ///
    /// ```
    /// use nalgebra::Matrix4;
    /// use tapir::graph::{Graph, Var};
    ///
    /// let mut g = Graph::new();
    /// let x = g.var(Var::X);
    /// let mut m = Matrix4::identity();
    /// m[(3, 2)] = 0.5; // divide by 1 + z/2
    /// let seen = g.substitute(x, &m);
    /// assert_eq!(g.eval(seen, [3.0, 0.0, 2.0]), 1.5);
    /// ```
    pub fn substitute(&mut self, root: NodeId, m: &nalgebra::Matrix4<f64>) -> NodeId {
        let vars = Var::ALL.map(|v| self.var(v));
        let row = |g: &mut Graph, r: usize| {
            // Σ m[r, k]·p_k + m[r, 3], leaving out zero coefficients (rather
            // than multiplying their variable by zero, which is not zero for
            // ±inf).
            let mut acc = g.constant(m[(r, 3)] as f32);
            for (k, &v) in vars.iter().enumerate() {
                if m[(r, k)] == 0.0 {
                    continue;
                }
                let c = g.constant(m[(r, k)] as f32);
                let term = g.binary(BinaryOp::Mul, v, c);
                acc = g.binary(BinaryOp::Add, acc, term);
            }
            acc
        };
        let mut xyz = [0, 1, 2].map(|r| row(self, r));
        let affine = m[(3, 0)] == 0.0 && m[(3, 1)] == 0.0 && m[(3, 2)] == 0.0 && m[(3, 3)] == 1.0;
        if !affine {
            let w = row(self, 3);
            xyz = xyz.map(|c| self.binary(BinaryOp::Div, c, w));
        }
        self.remap(root, xyz)
    }

    /// Marks the nodes `root` depends on (including itself), indexed by id.
    pub fn reachable(&self, root: NodeId) -> Vec<bool> {
        let mut live = vec![false; root.index() + 1];
        live[root.index()] = true;
        for i in (0..=root.index()).rev() {
            if !live[i] {
                continue;
            }
            match self.nodes[i] {
                Node::Unary(_, a) => live[a.index()] = true,
                Node::Binary(_, a, b) => {
                    live[a.index()] = true;
                    live[b.index()] = true;
                }
                Node::Const(_) | Node::Var(_) => {}
            }
        }
        live
    }

    /// Evaluates `root` at one point with the reference (f32) semantics, by a
    /// plain pass over the graph, with parameters at their defaults. Slow;
    /// meant for tests and checks.
    pub fn eval(&self, root: NodeId, xyz: [f32; 3]) -> f32 {
        let defaults: Vec<f32> = self.params.iter().map(|p| p.default).collect();
        self.eval_with(root, xyz, &defaults)
    }

    /// [`Graph::eval`] with parameter k at `params[k]` (NaN if `params` is
    /// shorter).
    pub fn eval_with(&self, root: NodeId, xyz: [f32; 3], params: &[f32]) -> f32 {
        let live = self.reachable(root);
        let mut vals = vec![0.0f32; live.len()];
        for (i, &l) in live.iter().enumerate() {
            if !l {
                continue;
            }
            vals[i] = match self.nodes[i] {
                Node::Const(bits) => f32::from_bits(bits),
                Node::Var(Var::Param(k)) => params.get(k as usize).copied().unwrap_or(f32::NAN),
                Node::Var(v) => xyz[v.index()],
                Node::Unary(op, a) => apply_unary(op, vals[a.index()]),
                Node::Binary(op, a, b) => apply_binary(op, vals[a.index()], vals[b.index()]),
            };
        }
        crate::eval::Value::canonical(vals[root.index()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_are_exact() {
        let mut g = Graph::new();
        let x = g.var(Var::X);
        let one = g.constant(1.0);
        let zero = g.constant(0.0);
        let neg_zero = g.constant(-0.0);
        assert_eq!(g.binary(BinaryOp::Mul, x, one), x);
        assert_eq!(g.binary(BinaryOp::Mul, one, x), x);
        assert_eq!(g.binary(BinaryOp::Add, zero, x), x);
        assert_eq!(g.binary(BinaryOp::Sub, x, zero), x);
        // x - (-0) is x + 0, which is not exact for x = -0: kept.
        assert_ne!(g.binary(BinaryOp::Sub, x, neg_zero), x);
        // 0 - x is not -x for x = 0: kept.
        assert_ne!(g.binary(BinaryOp::Sub, zero, x), x);
        let n = g.unary(UnaryOp::Neg, x);
        assert_eq!(g.unary(UnaryOp::Neg, n), x);
        assert_eq!(g.binary(BinaryOp::Min, x, x), x);
    }

    #[test]
    fn and_or_with_constant_left_fold() {
        let mut g = Graph::new();
        let x = g.var(Var::X);
        let zero = g.constant(0.0);
        let two = g.constant(2.0);
        assert_eq!(g.binary(BinaryOp::And, zero, x), zero);
        assert_eq!(g.binary(BinaryOp::And, two, x), x);
        assert_eq!(g.binary(BinaryOp::Or, two, x), two);
        assert_eq!(g.binary(BinaryOp::Or, zero, x), x);
    }

    #[test]
    fn affine_transforms() {
        use nalgebra::{Matrix4, Rotation3, Vector3};
        let mut g = Graph::new();
        let (x, y) = (g.var(Var::X), g.var(Var::Y));
        // A disc of radius 0.5 around (1, 0).
        let one = g.constant(1.0);
        let dx = g.binary(BinaryOp::Sub, x, one);
        let (dx2, y2) = (g.unary(UnaryOp::Square, dx), g.unary(UnaryOp::Square, y));
        let r2 = g.binary(BinaryOp::Add, dx2, y2);
        let r = g.unary(UnaryOp::Sqrt, r2);
        let half = g.constant(0.5);
        let disc = g.binary(BinaryOp::Sub, r, half);
        // Rotated a quarter turn about z: now around (0, 1).
        let rot = Rotation3::from_axis_angle(&Vector3::z_axis(), std::f64::consts::FRAC_PI_2);
        let turned = g.transform(disc, &rot.to_homogeneous()).unwrap();
        assert!((g.eval(turned, [0.0, 1.0, 0.0]) + 0.5).abs() < 1e-6);
        assert!((g.eval(turned, [0.0, 1.5, 0.0])).abs() < 1e-6);
        // Not invertible, or not affine: refused.
        assert!(g.transform(disc, &Matrix4::zeros()).is_none());
        let mut projective = Matrix4::identity();
        projective[(3, 0)] = 1.0;
        assert!(g.transform(disc, &projective).is_none());
    }

    #[test]
    fn remap_of_long_chain_is_iterative() {
        let mut g = Graph::new();
        let x = g.var(Var::X);
        let mut acc = x;
        for _ in 0..200_000 {
            acc = g.unary(UnaryOp::Sin, acc);
        }
        let y = g.var(Var::Y);
        let z = g.var(Var::Z);
        let moved = g.remap(acc, [y, y, z]);
        assert_eq!(
            g.eval(moved, [5.0, 0.25, 0.0]),
            g.eval(acc, [0.25, 0.0, 0.0])
        );
    }
}
