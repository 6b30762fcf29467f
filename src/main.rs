//! The `batchscope` binary: the command line, or the viewer when no command is given.

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = batchscope::cli::Cli::parse();
    match batchscope::cli::run(&cli) {
        Some(result) => batchscope::cli::report(result),
        None => batchscope::cli::report(
            batchscope::app::run(cli.dir.as_deref().map(batchscope::cli::dataset_path))
                .map_err(batchscope::cli::Failure::Failed),
        ),
    }
}
