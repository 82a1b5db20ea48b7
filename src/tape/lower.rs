//! Lowering: graph → SSA tape.
//!
//! One forward pass over the nodes the root depends on, in id order (which
//! is topological, see [`crate::graph`]). Constants become immediate operands
//! (`x + 2` is one `AddImm`); a constant is materialised with `Const` only
//! where no immediate form exists (a constant output).

use super::{SsaOp, SsaTape};
use crate::graph::{Graph, Node, NodeId};
use crate::ops::Op;

const NONE: u32 = u32::MAX;

/// Lowers the expression `root` of `graph` to an SSA tape.
pub fn lower(graph: &Graph, root: NodeId) -> SsaTape {
    let live = graph.reachable(root);
    let mut value_of = vec![NONE; live.len()];
    let mut tape = SsaTape::default();
    // Gives a node's value number, materialising constants on demand.
    fn value(graph: &Graph, tape: &mut SsaTape, value_of: &mut [u32], id: NodeId) -> u32 {
        if value_of[id.index()] == NONE {
            let c = graph
                .const_value(id)
                .expect("operands are lowered before their users");
            value_of[id.index()] = tape.push(Op::Const, 0, 0, c.to_bits());
        }
        value_of[id.index()]
    }
    for (i, _) in live.iter().enumerate().filter(|(_, l)| **l) {
        let id = NodeId::from_index(i);
        let v = match graph.node(id) {
            Node::Const(_) => continue,
            Node::Var(var) => tape.push(Op::Input, 0, 0, var.index() as u32),
            Node::Unary(op, a) => {
                let a = value(graph, &mut tape, &mut value_of, a);
                tape.push(Op::unary(op), a, 0, 0)
            }
            Node::Binary(op, a, b) => {
                let (rr, ri, ir) = Op::binary(op);
                match (graph.const_value(a), graph.const_value(b), ir) {
                    (None, Some(c), _) => {
                        let a = value(graph, &mut tape, &mut value_of, a);
                        tape.push(ri, a, 0, c.to_bits())
                    }
                    (Some(c), None, Some(ir)) => {
                        let b = value(graph, &mut tape, &mut value_of, b);
                        tape.push(ir, b, 0, c.to_bits())
                    }
                    _ => {
                        let a = value(graph, &mut tape, &mut value_of, a);
                        let b = value(graph, &mut tape, &mut value_of, b);
                        tape.push(rr, a, b, 0)
                    }
                }
            }
        };
        value_of[i] = v;
    }
    let out = value(graph, &mut tape, &mut value_of, root);
    tape.ops.push(SsaOp {
        op: Op::Output,
        out: 0,
        a: out,
        b: 0,
        imm: 0,
    });
    tape
}

impl SsaTape {
    /// Appends an instruction defining a new value; returns its number.
    pub(crate) fn push(&mut self, op: Op, a: u32, b: u32, imm: u32) -> u32 {
        let out = self.value_count;
        self.value_count += 1;
        self.choice_count += u32::from(op.is_choice());
        self.ops.push(SsaOp { op, out, a, b, imm });
        out
    }
}
