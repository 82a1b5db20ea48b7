//! The opcode set: the one definition that every stage shares.
//!
//! Two layers live here:
//!
//! - [`UnaryOp`] and [`BinaryOp`] are the *mathematical* operations a shape is
//!   built from. The graph ([`crate::graph`]) stores them, the `.vm` reader and
//!   writer name them, and [`crate::eval::Value`] gives each one its meaning for
//!   every value type (f32, f32 lanes, interval, gradient).
//! - [`Op`] is the *instruction* set of the register tape: the mathematical
//!   operations in their register/immediate forms plus the housekeeping
//!   instructions (inputs, constants, spills, output). It is generated, together
//!   with every interpreter, from the single list in [`for_each_op!`](crate::for_each_op).
//!
//! An opcode's semantics are therefore written once per value type (in
//! `eval/*.rs`), and an instruction's operand handling once for all value types
//! and all dispatch styles (in `interp/exec.rs`).

/// Calls `$mac!` with the complete list of register-tape instructions.
///
/// Each line reads `Name = form(method);`:
///
/// - `form` names the operand shape, implemented once in `interp::exec`:
///   `input` (out ← variable `a`), `constant` (out ← imm), `load` (out ← memory
///   slot imm), `store` (memory slot imm ← a), `unary` (out ← f(a)), `binary`
///   (out ← f(a, b)), `binary_imm` (out ← f(a, imm)), `imm_binary`
///   (out ← f(imm, a)), and the `choice*` forms, which are the binary forms of
///   the operations whose interval evaluation records which operand won.
/// - `method` is the [`crate::eval::Value`] method that gives the meaning.
///
/// `Output` (return register `a`) is listed apart, as the one instruction that
/// ends a tape. The interpreters in `interp/` (tail calls, match loop,
/// trampoline) each expand this list once, so adding an instruction here adds
/// it everywhere.
#[macro_export]
#[doc(hidden)]
macro_rules! for_each_op {
    ($mac:ident) => {
        $mac! {
            output: Output;
            ops:
            Input = input();
            Const = constant();
            Load = load();
            Store = store();
            Copy = unary(copy);
            Neg = unary(neg);
            Abs = unary(abs);
            Sqrt = unary(sqrt);
            Square = unary(square);
            Sin = unary(sin);
            Cos = unary(cos);
            Tan = unary(tan);
            Asin = unary(asin);
            Acos = unary(acos);
            Atan = unary(atan);
            Exp = unary(exp);
            Ln = unary(ln);
            Floor = unary(floor);
            Ceil = unary(ceil);
            Round = unary(round);
            Recip = unary(recip);
            Not = unary(not);
            Add = binary(add);
            Sub = binary(sub);
            Mul = binary(mul);
            Div = binary(div);
            Atan2 = binary(atan2);
            Mod = binary(modulo);
            Compare = binary(compare);
            Min = choice(min_choice);
            Max = choice(max_choice);
            And = choice(and_choice);
            Or = choice(or_choice);
            AddImm = binary_imm(add);
            SubImm = binary_imm(sub);
            MulImm = binary_imm(mul);
            DivImm = binary_imm(div);
            Atan2Imm = binary_imm(atan2);
            ModImm = binary_imm(modulo);
            CompareImm = binary_imm(compare);
            MinImm = choice_imm(min_choice);
            MaxImm = choice_imm(max_choice);
            AndImm = choice_imm(and_choice);
            OrImm = choice_imm(or_choice);
            ImmSub = imm_binary(sub);
            ImmDiv = imm_binary(div);
            ImmAtan2 = imm_binary(atan2);
            ImmMod = imm_binary(modulo);
            ImmCompare = imm_binary(compare);
        }
    };
}

/// Maps an operand-form name from the op list to its [`Form`].
macro_rules! form_of {
    (input) => {
        Form::Input
    };
    (constant) => {
        Form::Constant
    };
    (load) => {
        Form::Load
    };
    (store) => {
        Form::Store
    };
    (unary) => {
        Form::Unary
    };
    (binary) => {
        Form::Binary
    };
    (binary_imm) => {
        Form::BinaryImm
    };
    (imm_binary) => {
        Form::ImmBinary
    };
    (choice) => {
        Form::Choice
    };
    (choice_imm) => {
        Form::ChoiceImm
    };
}

/// The operand form of an instruction (see [`for_each_op!`](crate::for_each_op)).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Form {
    /// Returns register `a`.
    Output,
    /// out ← variable `imm`.
    Input,
    /// out ← `imm` (an f32).
    Constant,
    /// out ← memory slot `imm`.
    Load,
    /// memory slot `imm` ← a.
    Store,
    /// out ← f(a).
    Unary,
    /// out ← f(a, b).
    Binary,
    /// out ← f(a, imm).
    BinaryImm,
    /// out ← f(imm, a).
    ImmBinary,
    /// out ← f(a, b), recording which side won.
    Choice,
    /// out ← f(a, imm), recording which side won.
    ChoiceImm,
}

macro_rules! define_op_enum {
    (output: $out:ident; ops: $($name:ident = $form:ident($($method:ident)?);)*) => {
        /// One register-tape instruction kind (generated from [`for_each_op!`](crate::for_each_op)).
        #[repr(u8)]
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
        pub enum Op {
            /// Ends the tape, returning register `a`.
            $out,
            $(
                #[doc = concat!("`", stringify!($form), "` form of `", stringify!($($method)?), "`.")]
                $name,
            )*
        }

        impl Op {
            /// Number of instruction kinds.
            pub const COUNT: usize = [$(Op::$name,)* Op::$out].len();

            /// Every instruction kind, in opcode order.
            pub const ALL: [Op; Op::COUNT] = [Op::$out, $(Op::$name,)*];

            const FORMS: [Form; Op::COUNT] = [Form::Output, $(form_of!($form),)*];

            /// The opcode in the low 6 bits of an instruction's code byte
            /// (see [`crate::tape::Insn`]); codes beyond the set read as `Output`.
            #[inline(always)]
            #[allow(non_upper_case_globals)]
            pub const fn from_code(code: u8) -> Op {
                const OUT: u8 = Op::$out as u8;
                $(const $name: u8 = Op::$name as u8;)*
                match code & 63 {
                    OUT => Op::$out,
                    $($name => Op::$name,)*
                    _ => Op::$out,
                }
            }

            /// The operand form, as written in the op list.
            #[inline(always)]
            pub const fn form(self) -> Form {
                Op::FORMS[self as usize]
            }
        }
    };
}
for_each_op!(define_op_enum);

const _: () = assert!(
    Op::COUNT <= 64,
    "opcodes must fit in 6 bits (see tape::Insn)"
);

impl Op {
    /// True for instructions whose interval evaluation records a [`crate::eval::Choice`].
    #[inline(always)]
    pub fn is_choice(self) -> bool {
        matches!(self.form(), Form::Choice | Form::ChoiceImm)
    }

    /// True when the instruction reads register `a`.
    #[inline(always)]
    pub fn reads_a(self) -> bool {
        !matches!(self.form(), Form::Input | Form::Constant | Form::Load)
    }

    /// True when the instruction reads register `b`.
    #[inline(always)]
    pub fn reads_b(self) -> bool {
        matches!(self.form(), Form::Binary | Form::Choice)
    }

    /// True when the instruction writes register `out`.
    #[inline(always)]
    pub fn writes_out(self) -> bool {
        !matches!(self, Op::Output | Op::Store)
    }

    /// The register/register form of a unary operation.
    pub fn unary(op: UnaryOp) -> Op {
        match op {
            UnaryOp::Neg => Op::Neg,
            UnaryOp::Abs => Op::Abs,
            UnaryOp::Sqrt => Op::Sqrt,
            UnaryOp::Square => Op::Square,
            UnaryOp::Sin => Op::Sin,
            UnaryOp::Cos => Op::Cos,
            UnaryOp::Tan => Op::Tan,
            UnaryOp::Asin => Op::Asin,
            UnaryOp::Acos => Op::Acos,
            UnaryOp::Atan => Op::Atan,
            UnaryOp::Exp => Op::Exp,
            UnaryOp::Ln => Op::Ln,
            UnaryOp::Floor => Op::Floor,
            UnaryOp::Ceil => Op::Ceil,
            UnaryOp::Round => Op::Round,
            UnaryOp::Recip => Op::Recip,
            UnaryOp::Not => Op::Not,
        }
    }

    /// The three instruction forms of a binary operation: register/register,
    /// register/immediate and immediate/register (the last only for operations
    /// that the graph does not reorder, see [`BinaryOp::is_commutative`]).
    pub fn binary(op: BinaryOp) -> (Op, Op, Option<Op>) {
        match op {
            BinaryOp::Add => (Op::Add, Op::AddImm, None),
            BinaryOp::Mul => (Op::Mul, Op::MulImm, None),
            BinaryOp::Min => (Op::Min, Op::MinImm, None),
            BinaryOp::Max => (Op::Max, Op::MaxImm, None),
            BinaryOp::And => (Op::And, Op::AndImm, None),
            BinaryOp::Or => (Op::Or, Op::OrImm, None),
            BinaryOp::Sub => (Op::Sub, Op::SubImm, Some(Op::ImmSub)),
            BinaryOp::Div => (Op::Div, Op::DivImm, Some(Op::ImmDiv)),
            BinaryOp::Atan2 => (Op::Atan2, Op::Atan2Imm, Some(Op::ImmAtan2)),
            BinaryOp::Mod => (Op::Mod, Op::ModImm, Some(Op::ImmMod)),
            BinaryOp::Compare => (Op::Compare, Op::CompareImm, Some(Op::ImmCompare)),
        }
    }

    /// The mathematical operation behind an instruction, if it has one.
    pub fn math(self) -> Option<MathOp> {
        for &u in UnaryOp::ALL {
            if Op::unary(u) == self && self != Op::Copy {
                return Some(MathOp::Unary(u));
            }
        }
        for &b in BinaryOp::ALL {
            let (rr, ri, ir) = Op::binary(b);
            if self == rr {
                return Some(MathOp::Binary(b, Operands::RegReg));
            }
            if self == ri {
                return Some(MathOp::Binary(b, Operands::RegImm));
            }
            if Some(self) == ir {
                return Some(MathOp::Binary(b, Operands::ImmReg));
            }
        }
        None
    }
}

/// Where a binary instruction finds its operands.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Operands {
    /// Both in registers.
    RegReg,
    /// Left in a register, right is the immediate.
    RegImm,
    /// Left is the immediate, right in a register.
    ImmReg,
}

/// The mathematical meaning of an instruction (see [`Op::math`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum MathOp {
    /// A unary operation.
    Unary(UnaryOp),
    /// A binary operation and where its operands live.
    Binary(BinaryOp, Operands),
}

macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal,)* }) => {
        $(#[$m])*
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vm])* $v,)*
        }
        impl $name {
            /// Every variant.
            pub const ALL: &'static [$name] = &[$($name::$v,)*];
            /// The name used in `.vm` files and in `.expr` calls.
            pub fn name(self) -> &'static str {
                match self { $($name::$v => $s,)* }
            }
            /// Looks a variant up by [`Self::name`].
            pub fn from_name(s: &str) -> Option<Self> {
                match s { $($s => Some($name::$v),)* _ => None }
            }
        }
    };
}

named_enum! {
    /// A one-argument operation (see [`crate::eval`] for the numeric rules).
    UnaryOp {
        /// `-a`
        Neg = "neg",
        /// `|a|`
        Abs = "abs",
        /// Square root; NaN below zero.
        Sqrt = "sqrt",
        /// `a * a`
        Square = "square",
        /// Sine (radians).
        Sin = "sin",
        /// Cosine (radians).
        Cos = "cos",
        /// Tangent (radians).
        Tan = "tan",
        /// Arc sine; NaN outside [-1, 1].
        Asin = "asin",
        /// Arc cosine; NaN outside [-1, 1].
        Acos = "acos",
        /// Arc tangent.
        Atan = "atan",
        /// `e^a`
        Exp = "exp",
        /// Natural logarithm; NaN below zero, -inf at zero.
        Ln = "ln",
        /// Round down.
        Floor = "floor",
        /// Round up.
        Ceil = "ceil",
        /// Round to nearest, halves away from zero.
        Round = "round",
        /// `1 / a`
        Recip = "recip",
        /// 1 where `a == 0`, else 0 (NaN stays NaN).
        Not = "not",
    }
}

named_enum! {
    /// A two-argument operation (see [`crate::eval`] for the numeric rules).
    BinaryOp {
        /// `a + b`
        Add = "add",
        /// `a - b`
        Sub = "sub",
        /// `a * b`
        Mul = "mul",
        /// `a / b`
        Div = "div",
        /// The smaller; NaN if either is NaN.
        Min = "min",
        /// The larger; NaN if either is NaN.
        Max = "max",
        /// Angle of the point (b, a): `atan2(y, x)`.
        Atan2 = "atan2",
        /// Euclidean remainder: in `[0, |b|]` (`|b|` only by rounding).
        Mod = "mod",
        /// -1, 0 or 1 as `a` is less than, equal to or greater than `b`; NaN if either is NaN.
        Compare = "compare",
        /// `a` if `a == 0`, else `b`.
        And = "and",
        /// `a` if `a != 0`, else `b`.
        Or = "or",
    }
}

impl BinaryOp {
    /// Operations whose operands the graph may swap (it puts constants on the
    /// right and orders the rest), so that `a + b` and `b + a` are one node.
    ///
    /// `min` and `max` count as commutative: they differ from their swapped form
    /// only in which zero they return for `min(-0, +0)`.
    pub fn is_commutative(self) -> bool {
        matches!(
            self,
            BinaryOp::Add | BinaryOp::Mul | BinaryOp::Min | BinaryOp::Max
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_math_op_maps_back() {
        for &u in UnaryOp::ALL {
            assert_eq!(Op::unary(u).math(), Some(MathOp::Unary(u)));
        }
        for &b in BinaryOp::ALL {
            let (rr, ri, ir) = Op::binary(b);
            assert_eq!(rr.math(), Some(MathOp::Binary(b, Operands::RegReg)));
            assert_eq!(ri.math(), Some(MathOp::Binary(b, Operands::RegImm)));
            if let Some(ir) = ir {
                assert_eq!(ir.math(), Some(MathOp::Binary(b, Operands::ImmReg)));
            }
            assert_eq!(
                ir.is_none(),
                b.is_commutative() || matches!(b, BinaryOp::And | BinaryOp::Or)
            );
        }
    }

    #[test]
    fn op_table_is_dense() {
        for (i, op) in Op::ALL.iter().enumerate() {
            assert_eq!(*op as usize, i);
        }
    }
}
