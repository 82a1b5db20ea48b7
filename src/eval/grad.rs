//! Gradient evaluation (forward-mode automatic differentiation).

/// A value and its partial derivatives.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct Grad {
    /// The value.
    pub v: f32,
    /// ∂/∂x.
    pub dx: f32,
    /// ∂/∂y.
    pub dy: f32,
    /// ∂/∂z.
    pub dz: f32,
}
