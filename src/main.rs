//! The `batchscope` binary: the command line, or the viewer when no command is given.

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = batchscope::cli::Cli::parse();
    if let Some(result) = batchscope::cli::run(&cli) {
        batchscope::cli::report(result)
    } else {
        eprintln!(
            "batchscope: the viewer is not built yet; use `batchscope export` or `batchscope inspect`"
        );
        ExitCode::from(2)
    }
}
