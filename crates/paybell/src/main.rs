//! `paybell`: parse the command line, load configuration, run the command.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;
use paybell::cli::{Cli, Command, ConfigCommand, RealtimeArgs, UserCommand};
use paybell::config::Config;
use paybell::{app, app_cli, cli_docs, listen, serve, telemetry, trigger, user};
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
            serve::run(Config::from_process(path, args.flags())?, args.demo).await
        }
        Command::Realtime(args) => realtime(path, args).await,
        Command::Trigger(args) => trigger::run(args).await,
        Command::Listen(args) => listen::run(args).await,
        Command::User(UserCommand::Add(args)) => {
            let config = Config::from_process(path, args.data.flags())?;
            user::add(config.serve(), args).await
        }
        Command::User(UserCommand::Passwd(args)) => {
            let config = Config::from_process(path, args.data.flags())?;
            user::passwd(config.serve(), args).await
        }
        Command::Migrate(args) => {
            user::migrate(Config::from_process(path, args.flags())?.serve()).await
        }
        Command::App(command) => app_cli::run(path, command).await,
        Command::Config(ConfigCommand::Check(args)) => {
            let config = Config::from_process(path, args.flags())?;
            print!("{}", config.masked());
            println!("# configuration is valid");
            Ok(())
        }
        Command::Completions(args) => cli_docs::completions(args.shell, &mut std::io::stdout()),
        Command::Man => cli_docs::man(&mut std::io::stdout()),
    }
}

async fn realtime(config_path: Option<&std::path::Path>, args: RealtimeArgs) -> anyhow::Result<()> {
    let (mut config, soketi) = Config::from_process_with_soketi(config_path, args.flags())?;
    // Once, before anything starts: which soketi variables were taken and which were not.
    print!("{soketi}");
    let addr = config.realtime_addr();
    let started = app::start(&mut config, &[addr]).await?;
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding the realtime address {addr}"))?;
    let server = realtime::Server::build(config.realtime().clone(), listener)?
        .with_console_assets(paybell::web::console_assets());
    let addr = server.local_addr()?;
    app::announce(&config, &started.source);
    let stop_watching = tokio_util::sync::CancellationToken::new();
    started.watch(&config, server.apps(), None, stop_watching.clone());
    println!("paybell realtime listening on {addr}");
    let stopped = server.run_until_stopped(paybell::shutdown_signal()).await;
    stop_watching.cancel();
    stopped?;
    tracing::info!("realtime server stopped");
    Ok(())
}
