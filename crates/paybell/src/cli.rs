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

/// `paybell app …`: the realtime apps. Apps added here live in the apps store (the
/// database of DATABASE_URL or the data directory's) and running servers pick up every change
/// within seconds; apps of the config file or PAYBELL_APP_* are listed as read-only.
#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Add an app to the store; prints its id, key and a generated secret.
    Add(AppAddArgs),
    /// List every app: the configured ones (read-only) and the store's.
    List(DataArgs),
    /// Print an app (id, key, secret) and the PUSHER_* lines another service would set to
    /// publish to it; without an id, the app `serve` publishes to (the first).
    Show(AppShowArgs),
    /// Give an app a new secret; the old one keeps working for the grace period.
    RotateSecret(AppRotateArgs),
    /// Disable an app: its sockets close with 4003, new connections are refused, its HTTP
    /// API answers 403.
    Disable(AppIdArgs),
    /// Enable a disabled app.
    Enable(AppIdArgs),
    /// Change an app's settings (the keys an app has in the config file).
    Set(AppSetArgs),
}

/// Flags of `paybell app add`.
#[derive(Debug, Clone, clap::Args)]
pub struct AppAddArgs {
    /// A label for people [default: the id].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// The app id: letters, digits, '-', '_' or '.' [default: a random number].
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,

    /// The key clients connect with: letters, digits, '-', '_' or '.' [default: random].
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,

    /// Data.
    #[command(flatten)]
    pub data: DataArgs,
}

/// Flags of `paybell app show`.
#[derive(Debug, Clone, clap::Args)]
pub struct AppShowArgs {
    /// The app [default: the first, the one `serve` publishes to].
    #[arg(value_name = "ID")]
    pub id: Option<String>,

    /// Data.
    #[command(flatten)]
    pub data: DataArgs,
}

/// An app of the store.
#[derive(Debug, Clone, clap::Args)]
pub struct AppIdArgs {
    /// The app's id.
    #[arg(value_name = "ID")]
    pub id: String,

    /// Data.
    #[command(flatten)]
    pub data: DataArgs,
}

/// Flags of `paybell app rotate-secret`.
#[derive(Debug, Clone, clap::Args)]
pub struct AppRotateArgs {
    /// The app's id.
    #[arg(value_name = "ID")]
    pub id: String,

    /// How long the old secret keeps being accepted: a number with s, m, h or d.
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_duration)]
    pub grace_period: std::time::Duration,

    /// Data.
    #[command(flatten)]
    pub data: DataArgs,
}

/// Flags of `paybell app set`.
#[derive(Debug, Clone, clap::Args)]
pub struct AppSetArgs {
    /// The app's id.
    #[arg(value_name = "ID")]
    pub id: String,

    /// A new label.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Most connections at once (over it: 4004).
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,

    /// A webhook URL receiving every event; repeat for several. Replaces the app's webhooks.
    #[arg(long, value_name = "URL")]
    pub webhook: Vec<String>,

    /// Remove every webhook.
    #[arg(long, conflicts_with = "webhook")]
    pub no_webhooks: bool,

    /// Whether clients may send client- events.
    #[arg(long, value_name = "BOOL")]
    pub client_events: Option<bool>,

    /// HTTP API requests per second (over it: 429).
    #[arg(long, value_name = "N")]
    pub max_api_requests_per_second: Option<u32>,

    /// An origin allowed to connect; repeat for several. Replaces the app's list.
    #[arg(long, value_name = "ORIGIN")]
    pub allowed_origin: Vec<String>,

    /// Any other key an app has in the config file, its value in TOML
    /// (`max_presence_members=50`, `console=false`); repeatable.
    #[arg(long, value_name = "KEY=VALUE")]
    pub setting: Vec<String>,

    /// A key to remove, so its default applies again; repeatable.
    #[arg(long, value_name = "KEY")]
    pub unset: Vec<String>,

    /// Data.
    #[command(flatten)]
    pub data: DataArgs,
}

/// A duration such as `90s`, `30m`, `24h` or `7d`.
///
/// # Errors
/// When the text is not a whole number followed by s, m, h or d.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let bad = || format!("{text:?} is not a duration such as 90s, 30m, 24h or 7d");
    let split = text.len().checked_sub(1).ok_or_else(bad)?;
    let (number, unit) = text.split_at_checked(split).ok_or_else(bad)?;
    let number: u64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    number.checked_mul(seconds).map(std::time::Duration::from_secs).ok_or_else(bad)
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

/// Where data lives; shared by `serve`, `realtime`, `user add`, `migrate` and `app …`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DataArgs {
    /// Directory of the SQLite database (unless DATABASE_URL names another database; the
    /// apps store is in it too) and of the generated realtime app (app.toml)
    /// [env: PAYBELL_DATA_DIR] [default: ./paybell-data].
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::parse_duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        for bad in ["", "h", "5", "5x", "-1h", "1.5h", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }
}
