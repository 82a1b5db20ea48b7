//! `tapir info`: the size of a shape's compiled tape.

use clap::Args;

use super::args::InputArgs;
use super::{Failure, input, print_out};

/// Shown under `tapir info --help`.
pub const AFTER_HELP: &str = "\
Example:
  tapir info ../shared/models/prospero.vm

Prints the number of register-tape instructions (what the interpreter runs),
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
    print_out(&format!(
        "input:          {} ({})\n\
         instructions:   {}\n\
         ssa operations: {}\n\
         registers used: {}\n\
         spill slots:    {}\n\
         choices:        {}\n",
        loaded.display,
        loaded.format.name(),
        shape.len(),
        shape.ssa_tape().len(),
        reg.registers_used(),
        reg.mem_slots(),
        reg.choice_count()
    ))
}
