//! `paybell`: parse the command line, load configuration, run the command.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;
use paybell::cli::{Cli, Command, RealtimeArgs};
use paybell::config::Config;
use paybell::{listen, telemetry, trigger};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.log_json);
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("paybell: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Realtime(args) => realtime(cli.config.as_deref(), args).await,
        Command::Trigger(args) => trigger::run(args).await,
        Command::Listen(args) => listen::run(args).await,
    }
}

async fn realtime(config_path: Option<&std::path::Path>, args: RealtimeArgs) -> anyhow::Result<()> {
    let config = Config::from_process(config_path, args)?;
    if config.uses_dev_app {
        tracing::warn!(
            "no app configured: using the development app app-id/app-key/app-secret; set PAYBELL_APP_ID, PAYBELL_APP_KEY and PAYBELL_APP_SECRET for anything real"
        );
    }
    let listener = TcpListener::bind(config.realtime_addr)
        .await
        .with_context(|| format!("binding the realtime address {}", config.realtime_addr))?;
    let server = realtime::Server::build(config.realtime, listener)?;
    let addr = server.local_addr()?;
    println!("paybell realtime listening on {addr}");
    server.run_until_stopped(paybell::shutdown_signal()).await?;
    tracing::info!("realtime server stopped");
    Ok(())
}
