//! The `paybell` binary as a library: CLI definitions, configuration and wiring.
//!
//! # Layout
//! - [`cli`]: the command line.
//! - [`config`]: one typed configuration, layered defaults → file → environment → flags.
//! - [`serve`]: `paybell serve`, the web app and API with the realtime server; [`web`] the
//!   embedded web app; [`demo`] the `--demo` data; [`builtin_sink`] publishes the outbox to
//!   the built-in server.
//! - [`app`]: the realtime app used when none is configured (kept in the data directory by
//!   [`app_file`]) and `paybell app show`.
//! - [`user`]: `paybell user add`, `paybell user passwd` and `paybell migrate`; [`password`]
//!   reads their passwords (no-echo prompt or standard input).
//! - [`trigger`], [`listen`]: client commands against any Pusher-compatible server.
//! - [`cli_docs`]: `paybell completions` and `paybell man`, generated from [`cli`].
//! - [`telemetry`]: logging set-up.
#![deny(missing_docs)]

pub mod app;
pub mod app_cli;
pub mod app_file;
pub mod app_store;
pub mod builtin_sink;
pub mod cli;
pub mod cli_docs;
pub mod config;
pub mod demo;
pub mod listen;
pub mod password;
pub mod serve;
pub mod telemetry;
pub mod trigger;
pub mod user;
pub mod web;

/// Completes on Ctrl-C or SIGTERM: the one shutdown signal of every command.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
