//! `paybell`: parse the command line, load configuration, run the command.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;
use paybell::cli::{Cli, Command, DataArgs, RealtimeArgs, ServeArgs, UserCommand};
use paybell::config::{Config, HttpFlags};
use paybell::{listen, serve, telemetry, trigger, user};
use tokio::net::TcpListener;

/// jemalloc gives memory back after a burst of connections where glibc keeps it
/// (BENCHMARKS.md, churn: +15 % RSS after churn with glibc, under 6 % with jemalloc).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
    let path = cli.config.as_deref();
    match cli.command {
        Command::Serve(args) => {
            let demo = args.demo;
            serve::run(serve_config(path, args)?, demo).await
        }
        Command::Realtime(args) => realtime(path, args).await,
        Command::Trigger(args) => trigger::run(args).await,
        Command::Listen(args) => listen::run(args).await,
        Command::User(UserCommand::Add(args)) => {
            let config = data_config(path, &args.data)?;
            user::add(&config.serve, args).await
        }
        Command::Migrate(args) => user::migrate(&data_config(path, &args)?.serve).await,
    }
}

fn serve_config(path: Option<&std::path::Path>, args: ServeArgs) -> anyhow::Result<Config> {
    let realtime = RealtimeArgs { addr: args.realtime_addr, tls: args.tls };
    let http = HttpFlags { http_addr: args.http_addr, data_dir: args.data.data_dir };
    Config::from_process(path, realtime, http)
}

fn data_config(path: Option<&std::path::Path>, args: &DataArgs) -> anyhow::Result<Config> {
    let http = HttpFlags { data_dir: args.data_dir.clone(), ..HttpFlags::default() };
    Config::from_process(path, RealtimeArgs::default(), http)
}

async fn realtime(config_path: Option<&std::path::Path>, args: RealtimeArgs) -> anyhow::Result<()> {
    let config = Config::from_process(config_path, args, HttpFlags::default())?;
    config.warn_if_dev_app();
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
