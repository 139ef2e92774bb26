//! The messages nodes send each other over Redis pub/sub: frames and presence news on their
//! channel's own pub/sub channel (`interest`), everything else on the node-wide bus. A
//! message names the node that sent it, the app, and what to do. Lines separated by `\n`;
//! the free text (a frame, a user id) comes last, so it may hold anything.
//!
//! A frame says whether its sender delivered it to its own subscribers when it published it
//! (kind `f`/`m` rather than `F`/`M`): the sender then drops the copy that comes back.

use pusher_protocol::{ChannelName, SocketId, WatchlistChange};

/// What one node asks the others to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Message<'a> {
    /// Hand a frame to the channel's subscribers, but `except`; `delivered` when the
    /// sender's own subscribers already have it.
    Frame { channel: ChannelName, except: Option<SocketId>, frame: &'a str, delivered: bool },
    /// Presence news of a member-list version, for subscribers whose list is older.
    Member {
        channel: ChannelName,
        except: Option<SocketId>,
        version: u64,
        frame: &'a str,
        delivered: bool,
    },
    /// Close the user's connections with 4009.
    Terminate { user_id: &'a str },
    /// Tell the user's watchers that it came online or went offline.
    Watch { change: WatchlistChange, user_id: &'a str },
    /// A node's message to itself, to know it still hears the bus.
    Echo,
    /// A debug record for the consoles watching the app (`console`).
    Record { record: &'a str },
    /// How many debug records the sender left out.
    Skipped { count: u64 },
    /// A console on the sender just started watching the app.
    Watching,
}

/// A decoded message with its sender and app.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Envelope<'a> {
    pub(super) node: &'a str,
    pub(super) app: &'a str,
    pub(super) message: Message<'a>,
}

pub(super) fn encode(node: &str, app: &str, message: &Message<'_>) -> Vec<u8> {
    let mut out = format!("{node}\n{app}\n");
    match message {
        Message::Frame { channel, except, frame, delivered } => {
            let except = except.map(|s| s.to_string()).unwrap_or_default();
            out.reserve(channel.as_str().len() + except.len() + frame.len() + 4);
            out.push_str(if *delivered { "f\n" } else { "F\n" });
            out.push_str(channel.as_str());
            out.push('\n');
            out.push_str(&except);
            out.push('\n');
            out.push_str(frame);
        }
        Message::Member { channel, except, version, frame, delivered } => {
            let except = except.map(|s| s.to_string()).unwrap_or_default();
            let kind = if *delivered { 'm' } else { 'M' };
            out.push_str(&format!("{kind}\n{channel}\n{except}\n{version}\n"));
            out.push_str(frame);
        }
        Message::Terminate { user_id } => {
            out.push_str("T\n");
            out.push_str(user_id);
        }
        Message::Watch { change, user_id } => {
            out.push_str(match change {
                WatchlistChange::Online => "W\n1\n",
                WatchlistChange::Offline => "W\n0\n",
            });
            out.push_str(user_id);
        }
        Message::Echo => out.push_str("E\n"),
        Message::Record { record } => {
            out.push_str("D\n");
            out.push_str(record);
        }
        Message::Skipped { count } => out.push_str(&format!("K\n{count}")),
        Message::Watching => out.push_str("C\n"),
    }
    out.into_bytes()
}

/// `None` for anything malformed (another program on the same channel, a bad prefix).
pub(super) fn decode(bytes: &[u8]) -> Option<Envelope<'_>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut parts = text.splitn(4, '\n');
    let node = parts.next()?;
    let app = parts.next()?;
    let kind = parts.next()?;
    let rest = parts.next()?;
    let message = match kind {
        "F" | "f" => {
            let mut fields = rest.splitn(3, '\n');
            let channel = ChannelName::parse(fields.next()?).ok()?;
            let except = match fields.next()? {
                "" => None,
                id => Some(SocketId::parse(id).ok()?),
            };
            Message::Frame { channel, except, frame: fields.next()?, delivered: kind == "f" }
        }
        "M" | "m" => {
            let mut fields = rest.splitn(4, '\n');
            let channel = ChannelName::parse(fields.next()?).ok()?;
            let except = match fields.next()? {
                "" => None,
                id => Some(SocketId::parse(id).ok()?),
            };
            let version = fields.next()?.parse().ok()?;
            let delivered = kind == "m";
            Message::Member { channel, except, version, frame: fields.next()?, delivered }
        }
        "T" => Message::Terminate { user_id: rest },
        "E" => Message::Echo,
        "D" => Message::Record { record: rest },
        "K" => Message::Skipped { count: rest.parse().ok()? },
        "C" => Message::Watching,
        "W" => {
            let (flag, user_id) = rest.split_once('\n')?;
            let change = match flag {
                "1" => WatchlistChange::Online,
                "0" => WatchlistChange::Offline,
                _ => return None,
            };
            Message::Watch { change, user_id }
        }
        _ => return None,
    };
    Some(Envelope { node, app, message })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(message: Message<'_>) {
        let bytes = encode("node-1", "app-1", &message);
        let envelope = decode(&bytes).unwrap();
        assert_eq!(envelope, Envelope { node: "node-1", app: "app-1", message });
    }

    #[test]
    fn every_message_survives_a_round_trip() {
        let channel = ChannelName::parse("presence-room").unwrap();
        let frame = "{\"event\":\"e\",\"data\":\"line\\none\\n\"}\nraw newline";
        round_trip(Message::Frame {
            channel: channel.clone(),
            except: None,
            frame,
            delivered: false,
        });
        let except = Some(SocketId::new(12, 34));
        round_trip(Message::Frame { channel, except, frame: "", delivered: true });
        let channel = ChannelName::parse("presence-room").unwrap();
        let frame = "{\"event\":\"pusher_internal:member_added\"}";
        round_trip(Message::Member {
            channel,
            except: None,
            version: 1_764_000_000_000_001,
            frame,
            delivered: false,
        });
        round_trip(Message::Member {
            channel: ChannelName::parse("presence-room").unwrap(),
            except: None,
            version: 2,
            frame,
            delivered: true,
        });
        round_trip(Message::Terminate { user_id: "user\nwith newline" });
        round_trip(Message::Watch { change: WatchlistChange::Online, user_id: "u-1" });
        round_trip(Message::Watch { change: WatchlistChange::Offline, user_id: "" });
        round_trip(Message::Echo);
        round_trip(Message::Record {
            record: "{\"kind\":\"api_message\",\"data\":\"a\\nb\"}\nraw",
        });
        round_trip(Message::Skipped { count: 12 });
        round_trip(Message::Watching);
    }

    #[test]
    fn malformed_messages_are_refused() {
        for bad in [
            &b""[..],
            b"node\napp",
            b"node\napp\nX\nwhat",
            b"node\napp\nF\nbad channel!\n\n{}",
            b"node\napp\nF\nok\nnot-a-socket\n{}",
            b"node\napp\nW\n2\nu",
            b"node\napp\nM\npresence-a\n\nnot-a-version\n{}",
            b"node\napp\nK\nmany",
            b"\xff\xfe",
        ] {
            assert!(decode(bad).is_none(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
