//! One connection's protocol state and a handler per client message.
//!
//! Replies to the client itself are collected in `replies` and written by the connection
//! task; frames for other connections, and shared state, go through the app.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pusher_protocol::limits::MAX_WATCHLIST_IDS;
use pusher_protocol::sign;
use pusher_protocol::{
    ChannelKind, ChannelName, ClientMessage, ErrorCode, Member, PresenceData, ServerMessage,
    SocketId, Subscribe, SubscribeRefused, UserData, WatchlistChange, WatchlistEvent,
};

use serde_json::json;

use crate::app::{App, JoinRefused};
use crate::conn::{ConnHandle, frame};
use crate::rate::TokenBucket;
use crate::small_map::SmallMap;
use crate::tap::Kind;
use crate::webhooks::WebhookEvent;

/// An error that closes the connection: `pusher:error` with the code, then a close frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fatal {
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
}

#[derive(Debug)]
struct SignedIn {
    id: Arc<str>,
    watchlist: Vec<Arc<str>>,
}

/// How many client events were sent in the current one-second window.
#[derive(Debug)]
struct RateWindow {
    started: Instant,
    count: u32,
}

/// The protocol state of one connection.
#[derive(Debug)]
pub(crate) struct Session {
    app: Arc<App>,
    conn: ConnHandle,
    /// Subscribed channels, with the presence user id where there is one.
    subscriptions: SmallMap<ChannelName, Option<Arc<str>>>,
    /// Boxed: most connections never sign in, and every byte here is in every task.
    user: Option<Box<SignedIn>>,
    client_events: RateWindow,
    /// Subscriptions asked for: bursts up to the channel limit, then the app's rate.
    subscribes: TokenBucket,
    /// Frames for this client, in order.
    pub(crate) replies: Vec<String>,
}

impl Session {
    pub(crate) fn new(app: Arc<App>, conn: ConnHandle) -> Self {
        let burst = app.config().max_channels_per_connection as f64;
        Self {
            subscribes: TokenBucket::full(burst, Instant::now()),
            app,
            conn,
            subscriptions: SmallMap::default(),
            user: None,
            client_events: RateWindow { started: Instant::now(), count: 0 },
            replies: Vec::new(),
        }
    }

    pub(crate) fn signed_in(&self) -> bool {
        self.user.is_some()
    }

    /// The connection's handle.
    pub(crate) fn conn(&self) -> &ConnHandle {
        &self.conn
    }

    pub(crate) fn app(&self) -> &App {
        &self.app
    }

    fn socket_id(&self) -> SocketId {
        self.conn.socket_id()
    }

    fn reply(&mut self, message: &ServerMessage<'_>) {
        self.replies.push(message.to_json());
    }

    fn reply_error(
        &mut self,
        code: Option<ErrorCode>,
        message: &str,
        channel: Option<&ChannelName>,
    ) {
        self.reply(&ServerMessage::Error { code, message, channel });
    }

    /// Handles one text frame.
    pub(crate) async fn handle_text(&mut self, text: &str) -> Result<(), Fatal> {
        match ClientMessage::decode(text) {
            Err(error) => {
                self.reply_error(None, &error.to_string(), None);
                Ok(())
            }
            Ok(message) => self.handle(message).await,
        }
    }

    async fn handle(&mut self, message: ClientMessage) -> Result<(), Fatal> {
        match message {
            ClientMessage::Ping => self.reply(&ServerMessage::Pong),
            ClientMessage::Pong => {}
            ClientMessage::Subscribe(subscribe) => self.subscribe(subscribe).await,
            ClientMessage::Unsubscribe { channel } => self.unsubscribe(&channel).await,
            ClientMessage::Signin { auth, user_data } => {
                return self.sign_in(&auth, &user_data).await;
            }
            ClientMessage::ClientEvent { event, channel, data } => {
                self.client_event(&event, &channel, &data)
            }
        }
        Ok(())
    }

    /// Tells the client why `channel` was not joined; the connection stays open.
    fn refuse(&mut self, channel: &ChannelName, reason: &SubscribeRefused) {
        let frame = reason.to_json(channel);
        self.app.tap().record(Kind::Refused, || {
            json!({
                "what": "subscribe", "channel": channel.as_str(),
                "socket_id": self.socket_id().to_string(),
                "code": reason.code().map(ErrorCode::code), "reason": reason.message(channel),
            })
        });
        self.replies.push(frame);
    }

    /// Tells the client why its client event was refused, and the console.
    fn refuse_event(&mut self, code: Option<ErrorCode>, message: &str, channel: &ChannelName) {
        self.app.tap().record(Kind::Refused, || {
            json!({
                "what": "client_event", "channel": channel.as_str(),
                "socket_id": self.socket_id().to_string(),
                "code": code.map(ErrorCode::code), "reason": message,
            })
        });
        self.reply_error(code, message, Some(channel));
    }

    async fn subscribe(&mut self, request: Subscribe) {
        let channel = request.channel.clone();
        if let Err(reason) = self.within_limits(&channel) {
            return self.refuse(&channel, &reason);
        }
        let member = match self.authorize(&request) {
            Ok(member) => member,
            Err(reason) => return self.refuse(&channel, &reason),
        };
        let kind = channel.kind();
        let user_id = member.as_ref().map(|m| Arc::<str>::from(m.user_id.as_str()));
        let max_members = self.app.config().max_presence_members;
        let members = match self.app.join(&self.conn, &channel, member).await {
            Ok(members) => members,
            Err(JoinRefused::AlreadySubscribed) => {
                return self.refuse(&channel, &SubscribeRefused::AlreadySubscribed);
            }
            Err(JoinRefused::PresenceFull) => {
                let reason = SubscribeRefused::PresenceFull { max: max_members };
                return self.refuse(&channel, &reason);
            }
        };
        self.app.tap().record(Kind::Subscribed, || {
            json!({
                "channel": channel.as_str(), "socket_id": self.socket_id().to_string(),
                "user_id": user_id.as_deref(),
            })
        });
        self.subscriptions.insert(channel.clone(), user_id);
        self.reply(&ServerMessage::SubscriptionSucceeded {
            channel: &channel,
            members: members.as_deref(),
        });
        if kind.is_cache() {
            self.replay_cache(&channel).await;
        }
    }

    /// The connection's own limits, checked before any work. A request that would do work
    /// takes from the rate even if its signature then fails, so a flood of bad requests is
    /// slowed too; one answered from the session alone (already there, over the channel
    /// limit) costs nothing and takes nothing.
    fn within_limits(&mut self, channel: &ChannelName) -> Result<(), SubscribeRefused> {
        let config = self.app.config();
        let (rate, max) = (config.max_subscriptions_per_second, config.max_channels_per_connection);
        if self.subscriptions.contains_key(channel) {
            return Err(SubscribeRefused::AlreadySubscribed);
        }
        if self.subscriptions.len() >= max {
            return Err(SubscribeRefused::TooManyChannels { max });
        }
        if !self.subscribes.take(Instant::now(), f64::from(rate), max as f64) {
            return Err(SubscribeRefused::RateLimited { per_second: rate });
        }
        Ok(())
    }

    /// Checks the signature a channel kind needs; on presence channels returns the member.
    fn authorize(&self, request: &Subscribe) -> Result<Option<Member>, SubscribeRefused> {
        let channel = &request.channel;
        let kind = channel.kind();
        if kind == ChannelKind::ServerToUser {
            let allowed =
                self.user.as_ref().is_some_and(|u| Some(&*u.id) == channel.server_to_user_id());
            return if allowed { Ok(None) } else { Err(SubscribeRefused::NotThatUser) };
        }
        if !kind.needs_signature() {
            return Ok(None);
        }
        let auth = request.auth.as_deref().ok_or(SubscribeRefused::MissingAuth)?;
        let channel_data = if kind.is_presence() {
            Some(request.channel_data.as_deref().ok_or(SubscribeRefused::MissingChannelData)?)
        } else {
            None
        };
        let socket_id = self.socket_id().to_string();
        let to_sign = sign::channel_string_to_sign(&socket_id, channel.as_str(), channel_data);
        let config = self.app.config();
        config
            .check_signed(|secret| sign::verify_auth(config.key.as_str(), secret, &to_sign, auth))
            .map_err(SubscribeRefused::Auth)?;
        channel_data.map(|data| self.parse_member(data)).transpose()
    }

    /// The signed presence data, within the app's limits.
    fn parse_member(&self, channel_data: &str) -> Result<Member, SubscribeRefused> {
        let config = self.app.config();
        let data = PresenceData::parse(channel_data).map_err(SubscribeRefused::ChannelData)?;
        if data.user_id().chars().count() > config.max_presence_user_id_len {
            return Err(SubscribeRefused::UserIdTooLong { max: config.max_presence_user_id_len });
        }
        if data.user_info().to_string().len() > config.max_presence_user_info_bytes {
            let max = config.max_presence_user_info_bytes;
            return Err(SubscribeRefused::UserInfoTooLarge { max });
        }
        Ok(data.into_member())
    }

    async fn replay_cache(&mut self, channel: &ChannelName) {
        match self.app.cached(channel).await {
            Some(cached) => self.reply(&ServerMessage::Event {
                event: &cached.event,
                channel,
                data: &cached.data,
                user_id: None,
            }),
            None => {
                self.reply(&ServerMessage::CacheMiss { channel });
                if self.app.first_cache_miss(channel).await {
                    self.app.webhook(WebhookEvent::CacheMiss { channel: channel.clone() });
                }
            }
        }
    }

    async fn unsubscribe(&mut self, channel: &ChannelName) {
        if self.subscriptions.remove(channel).is_some() {
            self.app.tap().record(Kind::Unsubscribed, || {
                json!({ "channel": channel.as_str(), "socket_id": self.socket_id().to_string() })
            });
            self.app.leave(self.socket_id(), channel).await;
        }
    }

    async fn sign_in(&mut self, auth: &str, user_data: &str) -> Result<(), Fatal> {
        let unauthorized = |message: String| Fatal { code: ErrorCode::Unauthorized, message };
        if self.user.is_some() {
            self.reply_error(None, "Already signed in", None);
            return Ok(());
        }
        let socket_id = self.socket_id().to_string();
        let to_sign = sign::user_string_to_sign(&socket_id, user_data);
        let config = self.app.config();
        config
            .check_signed(|secret| sign::verify_auth(config.key.as_str(), secret, &to_sign, auth))
            .map_err(|e| unauthorized(e.client_message()))?;
        drop(config);
        let (id, watchlist) =
            UserData::parse(user_data).map_err(|e| unauthorized(e.to_string()))?.into_parts();
        let id = Arc::<str>::from(id);
        let mut watchlist: Vec<Arc<str>> = watchlist.into_iter().map(Arc::from).collect();
        let over_limit = watchlist.len() > MAX_WATCHLIST_IDS;
        watchlist.truncate(MAX_WATCHLIST_IDS);
        let online = self.app.sign_in(&self.conn, &id, &watchlist).await;
        self.user = Some(Box::new(SignedIn { id, watchlist }));
        self.reply(&ServerMessage::SigninSuccess { user_data });
        if over_limit {
            let message = format!(
                "Watchlist is over its limit of {MAX_WATCHLIST_IDS} ids; the first {MAX_WATCHLIST_IDS} are kept"
            );
            self.reply_error(Some(ErrorCode::WatchlistOverLimit), &message, None);
        }
        if !online.is_empty() {
            let events = [WatchlistEvent { name: WatchlistChange::Online, user_ids: online }];
            self.reply(&ServerMessage::WatchlistEvents { events: &events });
        }
        Ok(())
    }

    fn client_event(&mut self, event: &str, channel: &ChannelName, data: &str) {
        let config = self.app.config();
        let refusal = if !config.client_events {
            Some("Client events are not enabled for this app".to_owned())
        } else if !channel.kind().allows_client_events() {
            Some(
                "Client event rejected - only supported on private and presence channels"
                    .to_owned(),
            )
        } else if !self.subscriptions.contains_key(channel) {
            Some(format!("Client event rejected - not subscribed to channel {channel}"))
        } else if data.len() > config.max_event_bytes {
            Some(format!(
                "Client event rejected - data is larger than {} bytes",
                config.max_event_bytes
            ))
        } else {
            None
        };
        if let Some(message) = refusal {
            return self.refuse_event(None, &message, channel);
        }
        if !self.within_rate() {
            let message = format!(
                "Client event rejected - no more than {} per second",
                self.app.config().max_client_events_per_second
            );
            return self.refuse_event(Some(ErrorCode::RateLimited), &message, channel);
        }
        let user_id = self.subscriptions.get(channel).cloned().flatten();
        let relayed =
            frame(&ServerMessage::Event { event, channel, data, user_id: user_id.as_deref() });
        self.app.broadcast(channel, &relayed, Some(self.socket_id()));
        self.app.tap().record(Kind::ClientEvent, || {
            json!({
                "channel": channel.as_str(), "event": event, "data": data, "size": data.len(),
                "socket_id": self.socket_id().to_string(), "user_id": user_id.as_deref(),
            })
        });
        self.app.webhook(WebhookEvent::ClientEvent {
            channel: channel.clone(),
            event: event.to_owned(),
            data: data.to_owned(),
            socket_id: self.socket_id(),
            user_id,
        });
    }

    fn within_rate(&mut self) -> bool {
        let now = Instant::now();
        if now.duration_since(self.client_events.started) >= Duration::from_secs(1) {
            self.client_events = RateWindow { started: now, count: 0 };
        }
        self.client_events.count += 1;
        self.client_events.count <= self.app.config().max_client_events_per_second
    }

    /// Leaves every channel and signs out; called once when the connection ends.
    pub(crate) fn finish(&mut self) {
        let channels = std::mem::take(&mut self.subscriptions).into_keys();
        let user = self.user.take().map(|user| (user.id, user.watchlist));
        self.app.disconnect(self.socket_id(), channels, user);
    }
}
