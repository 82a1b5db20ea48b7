//! The `tapir` command-line tool: renders, benchmarks and inspects shapes.
//!
//! Everything lives in [`cli`]; run `tapir --help` for the user's guide.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
