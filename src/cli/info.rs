//! `tapir info`: the size of a shape's compiled tape.

use clap::Args;

use super::args::InputArgs;
use super::{Failure, input, print_out};

/// Shown under `tapir info --help`.
pub const AFTER_HELP: &str = "\
Example:
  tapir info ../shared/models/prospero.vm

Prints the coordinates the shape reads (a shape that does not read z is 2D),
its parameters with their defaults and ranges (set them with --set on
render, render3d and export),
the number of register-tape instructions (what the interpreter runs),
SSA operations, registers used, spill slots and choice instructions (min/max
and friends, which pruning can remove).";

/// Options of `tapir info`.
#[derive(Args, Debug, Clone)]
pub struct InfoArgs {
    #[command(flatten)]
    pub input: InputArgs,
}

/// Runs `tapir info`.
pub fn run(args: InfoArgs) -> Result<(), Failure> {
    let loaded = input::load(&args.input)?;
    let shape = &loaded.shape;
    let reg = shape.reg_tape();
    // The coordinates the shape reads: a shape without z is 2D.
    let vars: Vec<&str> = ["x", "y", "z"]
        .into_iter()
        .enumerate()
        .filter(|&(k, _)| {
            reg.insns()
                .iter()
                .any(|i| i.op() == tapir::ops::Op::Input && i.imm as usize == k)
        })
        .map(|(_, v)| v)
        .collect();
    print_out(&format!(
        "input:          {} ({})\n\
         reads:          {}\n\
         instructions:   {}\n\
         ssa operations: {}\n\
         registers used: {}\n\
         spill slots:    {}\n\
         choices:        {}\n\
         parameters:     {}\n{}",
        loaded.display,
        loaded.format.name(),
        if vars.is_empty() {
            "nothing (a constant)".to_string()
        } else {
            vars.join(", ")
        },
        shape.len(),
        shape.ssa_tape().len(),
        reg.registers_used(),
        reg.mem_slots(),
        reg.choice_count(),
        shape.params().len(),
        shape
            .params()
            .iter()
            .map(|p| format!("  {} = {} in [{}, {}]\n", p.name, p.default, p.lo, p.hi))
            .collect::<String>()
    ))
}
