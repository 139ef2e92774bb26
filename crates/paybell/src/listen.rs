//! `paybell listen`: connect as a client and print events as they arrive.
//!
//! stdout carries one JSON line per application event, `{"channel","event","data"}`, so it
//! can be piped; everything else (subscriptions, errors, the close) goes to stderr.

use std::time::Duration;

use anyhow::{Context as _, bail};
use pusher_client::{Connection, Frame, Target, WsError, presence_channel_data};
use pusher_protocol::{ChannelKind, ChannelName, sign};
use serde::Serialize;
use tokio::time::Instant;

use crate::trigger::TargetArgs;

/// How long one wait for a frame lasts when no `--timeout` is set; the wait simply repeats.
const IDLE_WAIT: Duration = Duration::from_secs(3600);

/// Flags of `paybell listen`.
#[derive(Debug, clap::Args)]
pub struct ListenArgs {
    /// Channels to subscribe to. private- and presence- channels are signed locally with
    /// --secret (presence as user listen-<pid>); encrypted payloads are printed as received.
    #[arg(required = true, value_name = "CHANNEL")]
    pub channels: Vec<String>,

    /// Print only events with this name; repeat for several.
    #[arg(long = "event", short = 'e', value_name = "NAME")]
    pub events: Vec<String>,

    /// Exit successfully after printing N events.
    #[arg(long, short = 'n', value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,

    /// Stop after SECS seconds: exit 0, or non-zero if --count events have not all arrived.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: Option<u64>,

    /// Server and app.
    #[command(flatten)]
    pub target: TargetArgs,
}

/// One line on stdout.
#[derive(Serialize)]
struct Line<'a> {
    channel: &'a str,
    event: &'a str,
    data: &'a serde_json::Value,
}

/// Runs the command until Ctrl-C, `--count` events, `--timeout`, or the server's close.
///
/// # Errors
/// Invalid flags or channel names, a failed connection, a close by the server (with its
/// code), or a `--timeout` before `--count` events arrived.
pub async fn run(args: ListenArgs) -> anyhow::Result<()> {
    let channels = parse_channels(&args.channels)?;
    let target = if channels.iter().any(|channel| channel.kind().needs_signature()) {
        args.target.target()?
    } else {
        args.target.unsigned_target()?
    };
    let deadline = args.timeout.map(|secs| Instant::now() + Duration::from_secs(secs));
    let url = target.ws_url();
    let mut connection = tokio::select! {
        connection = Connection::connect(&url) => {
            connection.with_context(|| format!("connecting to {url}"))?
        }
        () = sleep_until(deadline) => bail!("timed out connecting to {url}"),
    };
    subscribe_all(&mut connection, &target, &channels).await?;

    let mut listener = Listener { filter: args.events, wanted: args.count, printed: 0 };
    tokio::select! {
        result = listener.listen(&mut connection, deadline) => {
            result?;
            // The goal is met: say goodbye properly; a failure to do so changes nothing.
            let _ = connection.close().await;
            Ok(())
        }
        signal = tokio::signal::ctrl_c() => {
            signal.context("listening for Ctrl-C")?;
            eprintln!("interrupted");
            Ok(())
        }
    }
}

fn parse_channels(names: &[String]) -> anyhow::Result<Vec<ChannelName>> {
    names
        .iter()
        .map(|name| {
            let channel = ChannelName::parse(name).with_context(|| format!("channel {name:?}"))?;
            if channel.kind() == ChannelKind::ServerToUser {
                bail!("channel {name:?}: #server-to-user- channels need a signed-in user");
            }
            Ok(channel)
        })
        .collect()
}

/// Subscribes to every channel, signing private, encrypted and presence ones with the secret.
async fn subscribe_all(
    connection: &mut Connection,
    target: &Target,
    channels: &[ChannelName],
) -> anyhow::Result<()> {
    let socket_id = connection.socket_id().to_string();
    let user_id = format!("listen-{}", std::process::id());
    for channel in channels {
        let kind = channel.kind();
        let channel_data = kind.is_presence().then(|| presence_channel_data(&user_id, None));
        // Signed directly: `Target::authorize_channel` would insist on the encryption master
        // key for encrypted channels, which listening without decrypting does not need.
        let auth = kind.needs_signature().then(|| {
            sign::channel_auth(
                target.key(),
                target.secret().expose(),
                &socket_id,
                channel.as_str(),
                channel_data.as_deref(),
            )
        });
        connection
            .subscribe(channel.as_str(), auth.as_deref(), channel_data.as_deref())
            .await
            .with_context(|| format!("subscribing to {channel}"))?;
    }
    Ok(())
}

/// What to print and when to stop.
struct Listener {
    filter: Vec<String>,
    wanted: Option<u64>,
    printed: u64,
}

impl Listener {
    /// Prints events until `wanted` have been printed or the deadline passes.
    async fn listen(
        &mut self,
        connection: &mut Connection,
        deadline: Option<Instant>,
    ) -> anyhow::Result<()> {
        loop {
            if self.wanted.is_some_and(|wanted| self.printed >= wanted) {
                return Ok(());
            }
            let wait = deadline.map_or(IDLE_WAIT, |d| d.saturating_duration_since(Instant::now()));
            match connection.next_frame(wait).await {
                Ok(frame) => self.handle(&frame),
                Err(WsError::Timeout(_)) if deadline.is_none() => {}
                Err(WsError::Timeout(_)) => return self.timed_out(),
                Err(WsError::Closed(close)) => {
                    let code = close.code.map_or("none".to_owned(), |c| c.to_string());
                    bail!(
                        "the server closed the connection: code {code}, reason {:?}",
                        close.reason
                    );
                }
                Err(other) => return Err(other).context("reading from the server"),
            }
        }
    }

    fn timed_out(&self) -> anyhow::Result<()> {
        match self.wanted {
            Some(wanted) if self.printed < wanted => {
                bail!("timed out with {} of {wanted} events", self.printed)
            }
            _ => Ok(()),
        }
    }

    fn handle(&mut self, frame: &Frame) {
        let channel = frame.channel.as_deref().unwrap_or("");
        match frame.event.as_str() {
            "pusher_internal:subscription_succeeded" => eprintln!("subscribed to {channel}"),
            "pusher:cache_miss" => eprintln!("{channel}: nothing cached"),
            "pusher:error" | "pusher:subscription_error" => {
                let message = frame.data.get("message").map_or_else(
                    || frame.data.to_string(),
                    |m| m.as_str().map_or_else(|| m.to_string(), str::to_owned),
                );
                let code = frame.data.get("code").filter(|c| !c.is_null());
                match (frame.channel.as_deref(), code) {
                    (Some(channel), _) => eprintln!("error on {channel}: {message}"),
                    (None, Some(code)) => eprintln!("error {code}: {message}"),
                    (None, None) => eprintln!("error: {message}"),
                }
            }
            event if event.starts_with("pusher:") || event.starts_with("pusher_internal:") => {}
            event => {
                if frame.channel.is_none()
                    || !(self.filter.is_empty() || self.filter.iter().any(|f| f == event))
                {
                    return;
                }
                let line = Line { channel, event, data: &frame.data };
                // A struct of strings and a `Value` always serialises.
                if let Ok(text) = serde_json::to_string(&line) {
                    println!("{text}");
                    self.printed += 1;
                }
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        listen: ListenArgs,
    }

    #[test]
    fn flags_parse() {
        let parsed = Wrapper::try_parse_from([
            "listen",
            "invoice.1",
            "private-user.2.invoices",
            "--event",
            "payment.received",
            "--count",
            "2",
            "--timeout",
            "10",
        ])
        .unwrap()
        .listen;
        assert_eq!(parsed.channels, ["invoice.1", "private-user.2.invoices"]);
        assert_eq!(parsed.events, ["payment.received"]);
        assert_eq!(parsed.count, Some(2));
        assert_eq!(parsed.timeout, Some(10));
        assert!(Wrapper::try_parse_from(["listen"]).is_err());
        assert!(Wrapper::try_parse_from(["listen", "a", "--count", "0"]).is_err());
    }

    #[test]
    fn channels_are_checked_before_connecting() {
        assert!(parse_channels(&["invoice.1".to_owned()]).is_ok());
        let err = parse_channels(&["a b".to_owned()]).unwrap_err();
        assert!(err.to_string().starts_with("channel \"a b\""), "{err}");
        assert!(parse_channels(&["#server-to-user-1".to_owned()]).is_err());
    }

    #[test]
    fn only_matching_application_events_count() {
        let mut listener =
            Listener { filter: vec!["payment.received".to_owned()], wanted: Some(1), printed: 0 };
        let frame = |text: &str| Frame::parse(text).unwrap();
        listener.handle(&frame(
            r#"{"event":"pusher_internal:subscription_succeeded","channel":"a","data":"{}"}"#,
        ));
        listener.handle(&frame(r#"{"event":"invoice.updated","channel":"a","data":"{}"}"#));
        assert_eq!(listener.printed, 0);
        assert!(listener.timed_out().is_err());
        listener.handle(&frame(r#"{"event":"payment.received","channel":"a","data":"{}"}"#));
        assert_eq!(listener.printed, 1);
        assert!(listener.timed_out().is_ok());
    }
}
