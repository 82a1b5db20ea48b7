//! Random expressions from small numbers: one step makes one node from the
//! last few made. Shared by the property tests (`tests/common/mod.rs`) and
//! the fuzz targets (`fuzz/src/lib.rs`, which includes this file by path).

use tapir::graph::{Graph, NodeId};
use tapir::ops::{BinaryOp, UnaryOp};

/// Appends to `nodes` one node made by `kind` (a unary operation, a binary
/// operation, a binary operation with the constant `c`, or `c` itself) from
/// the operands `a` and `b`, counted back from the last of the `window` most
/// recent nodes. `const_left` puts `c` on the left of a binary operation.
pub fn step(
    g: &mut Graph,
    nodes: &mut Vec<NodeId>,
    (kind, a, b): (usize, usize, usize),
    c: f32,
    window: usize,
    const_left: bool,
) {
    let (un, bin) = (UnaryOp::ALL, BinaryOp::ALL);
    let pick = |i: usize| nodes[nodes.len() - 1 - i % nodes.len().min(window)];
    let (na, nb) = (pick(a), pick(b));
    let k = kind % (un.len() + 2 * bin.len() + 1);
    let node = if k < un.len() {
        g.unary(un[k], na)
    } else if k < un.len() + bin.len() {
        g.binary(bin[k - un.len()], na, nb)
    } else if k < un.len() + 2 * bin.len() {
        let cn = g.constant(c);
        let op = bin[k - un.len() - bin.len()];
        if const_left {
            g.binary(op, cn, na)
        } else {
            g.binary(op, na, cn)
        }
    } else {
        g.constant(c)
    };
    nodes.push(node);
}
