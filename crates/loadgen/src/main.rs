//! `paybell-loadgen`: parse the command line, run the scenario on a multi-threaded runtime.

use std::process::ExitCode;

use clap::Parser as _;
use loadgen::cli::{self, Cli};

fn main() -> ExitCode {
    let cli = Cli::parse();
    loadgen::clock::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("paybell-loadgen: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        tokio::select! {
            result = cli::run(cli) => result,
            () = cli::shutdown_signal() => Err(loadgen::Error::Refused("interrupted".to_owned())),
        }
    });
    // Connections still open are simply dropped with the runtime.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("paybell-loadgen: {error}");
            ExitCode::FAILURE
        }
    }
}
