//! The command line. Values are read here and become the top layer of
//! [`crate::config`] as [`Flags`].

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Flags;
use crate::listen::ListenArgs;
use crate::trigger::TriggerArgs;

/// `paybell --version`: the crate version and the git commit it was built from.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("PAYBELL_GIT_COMMIT"), ")");

/// Paybell: real-time invoice notifications.
#[derive(Debug, Parser)]
#[command(name = "paybell", version = VERSION, about)]
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
    /// Run everything: the web app and REST API, and the realtime server.
    Serve(ServeArgs),
    /// Run the Pusher-compatible realtime server alone.
    Realtime(RealtimeArgs),
    /// Send a signed event through any Pusher-compatible HTTP API.
    Trigger(TriggerArgs),
    /// Connect as a client and print events as they arrive.
    Listen(ListenArgs),
    /// Manage owners (the people who sign in and send invoices).
    #[command(subcommand)]
    User(UserCommand),
    /// Create or update the database schema, then exit.
    Migrate(DataArgs),
    /// The realtime app's credentials.
    #[command(subcommand)]
    App(AppCommand),
    /// The effective configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print a shell completion script (bash, zsh or fish) to standard output.
    Completions(CompletionsArgs),
    /// Print the man page (roff) to standard output.
    Man,
}

/// `paybell config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Load and check the configuration as `paybell serve` would (file, environment, flags),
    /// then print it with secrets masked. Exits non-zero naming the first bad key.
    Check(DataArgs),
}

/// Flags of `paybell completions`.
#[derive(Debug, Clone, clap::Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

/// The shells `paybell completions` writes for.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum CompletionShell {
    /// GNU bash.
    Bash,
    /// Z shell.
    Zsh,
    /// fish.
    Fish,
}

/// `paybell app …`.
#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Print the app `serve` and `realtime` use (id, key, secret) and the PUSHER_* lines
    /// another service would set to publish to this server.
    Show(DataArgs),
}

/// Use the development app when none is configured; shared by `serve` and `realtime`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DevArgs {
    /// Without a configured app, use the development credentials app-id/app-key/app-secret
    /// (published: loopback addresses only, for tests and benchmarks) instead of the data
    /// directory's generated app [env: PAYBELL_DEV_CREDENTIALS].
    #[arg(long)]
    pub dev_credentials: bool,
}

/// Flags of `paybell serve`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// Address of the web app and REST API [env: PAYBELL_HTTP_ADDR] [default: 0.0.0.0:8080].
    #[arg(long, value_name = "HOST:PORT")]
    pub http_addr: Option<String>,

    /// Address of the realtime server (WebSocket and Pusher HTTP API)
    /// [env: PAYBELL_REALTIME_ADDR] [default: 0.0.0.0:6001].
    #[arg(long, value_name = "HOST:PORT")]
    pub realtime_addr: Option<String>,

    /// Data.
    #[command(flatten)]
    pub data: DataArgs,

    /// TLS for the realtime address.
    #[command(flatten)]
    pub tls: TlsArgs,

    /// Development credentials.
    #[command(flatten)]
    pub dev: DevArgs,

    /// Add a demo owner with a few invoices, and print the login and URLs.
    #[arg(long)]
    pub demo: bool,
}

/// Where data lives; shared by `serve`, `realtime`, `user add`, `migrate` and `app show`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DataArgs {
    /// Directory of the SQLite database (unless DATABASE_URL names another database) and of
    /// the generated realtime app (app.toml) [env: PAYBELL_DATA_DIR] [default: ./paybell-data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

/// `paybell user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an owner who can sign in. The password is asked for (not shown) in a
    /// terminal, or read from standard input with --password-stdin.
    Add(UserAddArgs),
    /// Change an owner's password and sign them out everywhere. The password is asked for
    /// (not shown) in a terminal, or read from standard input with --password-stdin.
    Passwd(UserPasswdArgs),
}

/// Flags of `paybell user add`.
#[derive(Debug, Clone, clap::Args)]
pub struct UserAddArgs {
    /// Sign-in e-mail address.
    #[arg(long, value_name = "EMAIL")]
    pub email: String,

    /// The password itself, at least 8 characters. Visible to other users in `ps` and kept
    /// in shell history: prefer the prompt or --password-stdin.
    #[arg(long, value_name = "PASSWORD", conflicts_with = "password_stdin")]
    pub password: Option<String>,

    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,

    /// Display name, also shown as the business name on payment pages [default: the part
    /// of the e-mail address before the @].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Data.
    #[command(flatten)]
    pub data: DataArgs,
}

/// Flags of `paybell user passwd`.
#[derive(Debug, Clone, clap::Args)]
pub struct UserPasswdArgs {
    /// The owner's sign-in e-mail address.
    #[arg(value_name = "EMAIL")]
    pub email: String,

    /// Read the new password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,

    /// Data.
    #[command(flatten)]
    pub data: DataArgs,
}

/// Flags of `paybell realtime`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RealtimeArgs {
    /// Address for WebSocket clients and the HTTP API [default: 0.0.0.0:6001].
    #[arg(long, env = "PAYBELL_REALTIME_ADDR", value_name = "HOST:PORT")]
    pub addr: Option<String>,

    /// Data (the generated app's file).
    #[command(flatten)]
    pub data: DataArgs,

    /// Development credentials.
    #[command(flatten)]
    pub dev: DevArgs,

    /// TLS.
    #[command(flatten)]
    pub tls: TlsArgs,
}

/// Serve `wss://` and `https://` on the realtime address directly, without a proxy.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TlsArgs {
    /// PEM certificate chain (with --tls-key) [env: PAYBELL_TLS_CERT].
    #[arg(long, value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key of --tls-cert [env: PAYBELL_TLS_KEY].
    #[arg(long, value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
}

impl ServeArgs {
    /// The flags that override configuration.
    pub fn flags(&self) -> Flags {
        Flags {
            realtime_addr: self.realtime_addr.clone(),
            tls_cert: self.tls.tls_cert.clone(),
            tls_key: self.tls.tls_key.clone(),
            http_addr: self.http_addr.clone(),
            data_dir: self.data.data_dir.clone(),
            dev_credentials: self.dev.dev_credentials,
        }
    }
}

impl DataArgs {
    /// The flags that override configuration.
    pub fn flags(&self) -> Flags {
        Flags { data_dir: self.data_dir.clone(), ..Flags::default() }
    }
}

impl RealtimeArgs {
    /// The flags that override configuration.
    pub fn flags(&self) -> Flags {
        Flags {
            realtime_addr: self.addr.clone(),
            tls_cert: self.tls.tls_cert.clone(),
            tls_key: self.tls.tls_key.clone(),
            data_dir: self.data.data_dir.clone(),
            dev_credentials: self.dev.dev_credentials,
            ..Flags::default()
        }
    }
}
