//! The `paybell` binary as a library: CLI definitions, configuration and wiring.
//!
//! # Layout
//! - [`cli`]: the command line.
//! - [`config`]: one typed configuration, layered defaults → file → environment → flags.
//! - [`trigger`], [`listen`]: client commands against any Pusher-compatible server.
//! - [`telemetry`]: logging set-up.
#![deny(missing_docs)]

pub mod cli;
pub mod config;
pub mod listen;
pub mod telemetry;
pub mod trigger;

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
