//! The command line. Values are parsed here and validated by [`crate::config`].

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::listen::ListenArgs;
use crate::trigger::TriggerArgs;

/// Paybell: real-time invoice notifications.
#[derive(Debug, Parser)]
#[command(name = "paybell", version, about)]
pub struct Cli {
    /// A TOML configuration file. Flags beat environment variables, which beat the file.
    #[arg(long, global = true, env = "PAYBELL_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Log as JSON lines instead of text.
    #[arg(long, global = true, env = "PAYBELL_LOG_JSON")]
    pub log_json: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the Pusher-compatible realtime server alone.
    Realtime(RealtimeArgs),
    /// Send a signed event through any Pusher-compatible HTTP API.
    Trigger(TriggerArgs),
    /// Connect as a client and print events as they arrive.
    Listen(ListenArgs),
}

/// Flags of `paybell realtime`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RealtimeArgs {
    /// Address for WebSocket clients and the HTTP API [default: 0.0.0.0:6001].
    #[arg(long, env = "PAYBELL_REALTIME_ADDR", value_name = "HOST:PORT")]
    pub addr: Option<String>,
}
