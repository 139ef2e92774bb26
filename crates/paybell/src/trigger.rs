//! `paybell trigger`: a signed event to any Pusher-compatible HTTP API.
//!
//! Also home of [`TargetArgs`], the flags naming the server and app, shared with
//! `paybell listen`.

use std::io::Read as _;

use anyhow::{Context as _, bail};
use clap::builder::BoolishValueParser;
use pusher_client::{Endpoint, PusherClient, Secret, Target, TargetError};
use pusher_protocol::{ChannelName, SocketId};

/// Which server and app to talk to. Shared by `trigger` and `listen`.
#[derive(Debug, Clone, clap::Args)]
pub struct TargetArgs {
    /// App id, as in the HTTP API path /apps/{id}.
    #[arg(long, env = "PUSHER_APP_ID", default_value = "app-id", value_name = "ID")]
    pub app_id: String,

    /// App key, the public half of the credentials.
    #[arg(long, env = "PUSHER_KEY", default_value = "app-key", value_name = "KEY")]
    pub key: String,

    /// App secret, used to sign HTTP requests and private/presence subscriptions; no
    /// default (`paybell app show` prints the one of this server).
    #[arg(long, env = "PUSHER_SECRET", hide_env_values = true, value_name = "SECRET")]
    pub secret: Option<Secret>,

    /// Pusher Cloud cluster (e.g. eu, mt1, us2): use api-/ws-{cluster}.pusher.com over TLS
    /// instead of --host.
    #[arg(long, env = "PUSHER_CLUSTER", value_name = "CLUSTER")]
    pub cluster: Option<String>,

    /// Host of a self-hosted server (Paybell, soketi…) [default: 127.0.0.1].
    #[arg(long, env = "PUSHER_HOST", value_name = "HOST")]
    pub host: Option<String>,

    /// Port of a self-hosted server [default: 6001, or 443 with --tls].
    #[arg(long, env = "PUSHER_PORT", value_name = "PORT")]
    pub port: Option<u16>,

    /// Speak https/wss to the self-hosted server.
    #[arg(long, env = "PUSHER_USE_TLS", value_parser = BoolishValueParser::new())]
    pub tls: bool,
}

impl TargetArgs {
    /// Validates the flags into a [`Target`] that can sign.
    ///
    /// # Errors
    /// A message naming the flag (and its environment variable) that is wrong or missing.
    pub fn target(&self) -> anyhow::Result<Target> {
        let Some(secret) = &self.secret else {
            bail!(
                "--secret (PUSHER_SECRET) is needed to sign; `paybell app show` prints the app \
                 of a Paybell server"
            );
        };
        self.target_with(secret.clone())
    }

    /// A [`Target`] for what needs no signature (public channels): the secret is optional.
    ///
    /// # Errors
    /// As [`TargetArgs::target`], but a missing secret is no error.
    pub fn unsigned_target(&self) -> anyhow::Result<Target> {
        self.target_with(self.secret.clone().unwrap_or_else(|| Secret::new("")))
    }

    fn target_with(&self, secret: Secret) -> anyhow::Result<Target> {
        let target = Target::new(&self.app_id, &self.key, secret).map_err(|err| match err {
            TargetError::AppId(_) => flag_error("--app-id (PUSHER_APP_ID)", &err),
            other => flag_error("--key (PUSHER_KEY)", &other),
        })?;
        Ok(target.with_endpoint(self.endpoint()?))
    }

    fn endpoint(&self) -> anyhow::Result<Endpoint> {
        if let Some(cluster) = &self.cluster {
            if self.host.is_some() || self.port.is_some() {
                bail!(
                    "--cluster (PUSHER_CLUSTER) means Pusher Cloud and cannot be combined with \
                     --host (PUSHER_HOST) or --port (PUSHER_PORT); set one or the other"
                );
            }
            return Endpoint::cluster(cluster)
                .map_err(|err| flag_error("--cluster (PUSHER_CLUSTER)", &err));
        }
        let host = self.host.as_deref().unwrap_or(pusher_client::target::LOCAL_HOST);
        let default_port = if self.tls { 443 } else { pusher_client::target::LOCAL_PORT };
        let port = self.port.unwrap_or(default_port);
        Endpoint::host(host, port, self.tls).map_err(|err| match err {
            TargetError::Port => flag_error("--port (PUSHER_PORT)", &err),
            other => flag_error("--host (PUSHER_HOST)", &other),
        })
    }
}

fn flag_error(flag: &str, err: &TargetError) -> anyhow::Error {
    anyhow::anyhow!("{flag}: {err}")
}

/// Flags of `paybell trigger`.
#[derive(Debug, clap::Args)]
pub struct TriggerArgs {
    /// Channel to publish on; repeat for several (e.g. --channel invoice.1 --channel user.2.invoices).
    #[arg(long = "channel", short = 'c', required = true, value_name = "CHANNEL")]
    pub channels: Vec<String>,

    /// Event name (e.g. payment.received).
    #[arg(long, short = 'e', value_name = "NAME")]
    pub event: String,

    /// Payload as JSON text, @FILE to read it from a file, or - to read it from stdin.
    #[arg(long, short = 'd', default_value = "{}", value_name = "JSON|@FILE|-")]
    pub data: String,

    /// Connection (socket id) that must not receive the event.
    #[arg(long, value_name = "SOCKET_ID")]
    pub socket_id: Option<String>,

    /// Channel attributes to return, comma-separated (user_count, subscription_count).
    #[arg(long, value_name = "ATTRIBUTES")]
    pub info: Option<String>,

    /// Server and app.
    #[command(flatten)]
    pub target: TargetArgs,
}

/// Runs the command: prints the server's answer (`{}`, or the attributes asked for with
/// `--info`) on stdout.
///
/// # Errors
/// Invalid flags (named), unreadable or invalid `--data`, a transport failure, or the
/// server's refusal with its status and message.
pub async fn run(args: TriggerArgs) -> anyhow::Result<()> {
    let target = args.target.target()?;
    for channel in &args.channels {
        ChannelName::parse(channel).with_context(|| format!("--channel {channel:?}"))?;
    }
    if args.event.is_empty() {
        bail!("--event: the event name is empty");
    }
    if let Some(socket_id) = &args.socket_id {
        SocketId::parse(socket_id).context("--socket-id")?;
    }
    let data = read_data(&args.data)?;
    let url = format!("{}/apps/{}/events", target.endpoint().api_base(), target.app_id());
    let client = PusherClient::new(target)?;
    let response = client
        .trigger(
            &args.channels,
            &args.event,
            &data,
            args.socket_id.as_deref(),
            args.info.as_deref(),
        )
        .await
        .with_context(|| format!("POST {url}"))?;
    println!("{}", serde_json::to_string(&response)?);
    Ok(())
}

/// The payload text from `--data`: inline, `@file` or `-` (stdin); it must be JSON.
fn read_data(arg: &str) -> anyhow::Result<String> {
    let text = if arg == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).context("--data -: reading stdin")?;
        text
    } else if let Some(path) = arg.strip_prefix('@') {
        std::fs::read_to_string(path)
            .with_context(|| format!("--data @{path}: reading the file"))?
    } else {
        arg.to_owned()
    };
    let text = text.trim();
    serde_json::from_str::<serde_json::Value>(text)
        .with_context(|| format!("--data is not valid JSON: {}", preview(text)))?;
    Ok(text.to_owned())
}

fn preview(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{:?}…", &text[..end]),
        None => format!("{text:?}"),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn args() -> TargetArgs {
        TargetArgs {
            app_id: "app-id".to_owned(),
            key: "app-key".to_owned(),
            secret: Some(Secret::new("test-secret")),
            cluster: None,
            host: None,
            port: None,
            tls: false,
        }
    }

    #[test]
    fn defaults_point_at_the_built_in_server() {
        let target = args().target().unwrap();
        assert_eq!(target.endpoint().api_base(), "http://127.0.0.1:6001");
        let tls = TargetArgs { tls: true, host: Some("rt.example.com".to_owned()), ..args() };
        assert_eq!(tls.target().unwrap().endpoint().api_base(), "https://rt.example.com:443");
        let cloud = TargetArgs { cluster: Some("eu".to_owned()), ..args() };
        assert_eq!(cloud.target().unwrap().endpoint().api_base(), "https://api-eu.pusher.com");
    }

    #[test]
    fn bad_flags_are_named() {
        let message = |args: TargetArgs| args.target().unwrap_err().to_string();
        let both =
            TargetArgs { cluster: Some("eu".to_owned()), host: Some("x".to_owned()), ..args() };
        assert!(message(both).starts_with("--cluster (PUSHER_CLUSTER)"));
        let cluster = TargetArgs { cluster: Some("E U".to_owned()), ..args() };
        assert!(message(cluster).starts_with("--cluster (PUSHER_CLUSTER): invalid cluster"));
        let host = TargetArgs { host: Some("http://x".to_owned()), ..args() };
        assert!(message(host).starts_with("--host (PUSHER_HOST): invalid host"));
        let port = TargetArgs { port: Some(0), ..args() };
        assert!(message(port).starts_with("--port (PUSHER_PORT)"));
        let app = TargetArgs { app_id: "a/b".to_owned(), ..args() };
        assert!(message(app).starts_with("--app-id (PUSHER_APP_ID)"));
        let key = TargetArgs { key: String::new(), ..args() };
        assert!(message(key).starts_with("--key (PUSHER_KEY)"));
    }

    #[test]
    fn the_secret_never_prints() {
        let debug = format!("{:?}", args());
        assert!(!debug.contains("test-secret"), "{debug}");
    }

    #[test]
    fn signing_needs_a_secret() {
        let error = TargetArgs { secret: None, ..args() }.target().unwrap_err().to_string();
        assert!(error.starts_with("--secret (PUSHER_SECRET) is needed"), "{error}");
        assert!(TargetArgs { secret: None, ..args() }.unsigned_target().is_ok());
    }

    #[test]
    fn data_is_inline_or_a_file_and_must_be_json() {
        assert_eq!(read_data(" {\"a\":1}\n").unwrap(), "{\"a\":1}");
        let path =
            std::env::temp_dir().join(format!("paybell-trigger-{}.json", std::process::id()));
        std::fs::write(&path, "{\"from\":\"file\"}\n").unwrap();
        let from_file = read_data(&format!("@{}", path.display()));
        std::fs::remove_file(&path).unwrap();
        assert_eq!(from_file.unwrap(), "{\"from\":\"file\"}");
        let err = read_data("{oops").unwrap_err();
        assert!(err.to_string().starts_with("--data is not valid JSON"), "{err}");
        let err = read_data("@/nonexistent/paybell.json").unwrap_err();
        assert!(err.to_string().starts_with("--data @/nonexistent"), "{err}");
    }

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        trigger: TriggerArgs,
    }

    #[test]
    fn flags_parse() {
        let parsed = Wrapper::try_parse_from([
            "trigger",
            "-c",
            "invoice.1",
            "--channel",
            "user.2.invoices",
            "--event",
            "payment.received",
            "--data",
            "{}",
            "--host",
            "h",
            "--port",
            "7000",
            "--tls",
        ])
        .unwrap()
        .trigger;
        assert_eq!(parsed.channels, ["invoice.1", "user.2.invoices"]);
        assert_eq!(parsed.event, "payment.received");
        assert_eq!(parsed.target.port, Some(7000));
        assert!(parsed.target.tls);
        assert!(Wrapper::try_parse_from(["trigger", "--event", "e"]).is_err());
    }
}
