//! Lifting: SSA tape → graph, the inverse of [`super::lower`].
//!
//! A compiled [`crate::Shape`] keeps only its tapes; transforms that work on
//! graphs (a view's projective map of the inputs, say) lift the tape back
//! into a [`Graph`], change it there and lower it again. One forward pass;
//! the graph hash-conses and folds as it is rebuilt, so lifting a lowered
//! graph gives the same expression.

use super::SsaTape;
use crate::graph::{Graph, NodeId, Var};
use crate::ops::{MathOp, Op, Operands};

/// The expression computed by `tape`, as a node of a new graph. Parameter
/// inputs become `Var::Param` nodes without declarations (the tape does not
/// keep names; see [`crate::Shape::to_graph`], which restores them).
///
/// ```
/// use tapir::Shape;
/// use tapir::tape::lift::lift;
///
/// let s = Shape::from_expr("min(x * 2, y) + 1").unwrap();
/// let (g, root) = lift(s.ssa_tape());
/// assert_eq!(g.eval(root, [0.25, 3.0, 0.0]), 1.5);
/// ```
pub fn lift(tape: &SsaTape) -> (Graph, NodeId) {
    let mut g = Graph::new();
    let mut node: Vec<Option<NodeId>> = vec![None; tape.value_count()];
    let get =
        |node: &[Option<NodeId>], v: u32| node[v as usize].expect("values are defined before use");
    for op in tape.ops() {
        let imm = f32::from_bits(op.imm);
        let id = match op.op {
            Op::Output => return (g, get(&node, op.a)),
            Op::Input => g.var(Var::from_index(op.imm as usize)),
            Op::Const => g.constant(imm),
            Op::Copy => get(&node, op.a),
            other => match other.math() {
                Some(MathOp::Unary(u)) => {
                    let a = get(&node, op.a);
                    g.unary(u, a)
                }
                Some(MathOp::Binary(b, form)) => {
                    let a = get(&node, op.a);
                    let (l, r) = match form {
                        Operands::RegReg => (a, get(&node, op.b)),
                        Operands::RegImm => (a, g.constant(imm)),
                        Operands::ImmReg => (g.constant(imm), a),
                    };
                    g.binary(b, l, r)
                }
                None => unreachable!("SSA tapes hold no {other:?}"),
            },
        };
        node[op.out as usize] = Some(id);
    }
    unreachable!("an SSA tape ends with Output")
}
