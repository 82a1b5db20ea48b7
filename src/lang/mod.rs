//! Front ends: text → [`crate::graph::Graph`].
//!
//! (Being written: the `.expr` language and Fidget's `.vm` format.)

use crate::error::SourceError;
use crate::graph::{Graph, NodeId};

/// Parses a `.expr` program; returns its graph and the shape's node.
pub fn parse_expr(src: &str) -> Result<(Graph, NodeId), SourceError> {
    let _ = src;
    Err(SourceError::at(src, 0, "the .expr parser is not written yet"))
}

/// Parses a Fidget `.vm` tape; returns its graph and the output node.
pub fn parse_vm(src: &str) -> Result<(Graph, NodeId), SourceError> {
    let _ = src;
    Err(SourceError::at(src, 0, "the .vm parser is not written yet"))
}
