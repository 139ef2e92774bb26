//! What the invoicing backend needs to run, built and validated by the binary's configuration.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use http_serve::Timeouts;
use pusher_client::Target;
use url::Url;

use crate::auth::HashingLimits;
use crate::clock::Clock;
use crate::domain::Email;
use crate::mail::MailSettings;
use crate::net::TrustedProxies;
use crate::provider::Provider;
use crate::push::{PushSettings, VapidKey};
use crate::relay::RelayOptions;
use crate::store::Retention;
use crate::throttle::ThrottlePolicy;

/// Everything [`crate::Application::build`] needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `sqlite://…` or `postgres://…`.
    pub database_url: DatabaseUrl,
    /// Base of payment links; `None` derives `http://{bound address}` (localhost for 0.0.0.0).
    pub public_url: Option<Url>,
    /// Whether channels are `private-` and authorised by `POST /pusher/auth` (the default);
    /// `false` gives the integration guide's public names.
    pub private_channels: bool,
    /// What browsers are told by `GET /api/config`, and the credentials signing their auth.
    pub realtime: RealtimeAccess,
    /// How often the overdue scheduler runs.
    pub overdue_interval: Duration,
    /// Timing of the outbox relay.
    pub relay: RelayOptions,
    /// How long a session lasts at most, used or not.
    pub session_ttl: Duration,
    /// What housekeeping keeps; its `session_idle` also ends an unused session at once.
    pub retention: Retention,
    /// How often housekeeping purges.
    pub housekeeping_interval: Duration,
    /// When failed sign-ins are refused, and for how long.
    pub login_throttle: ThrottlePolicy,
    /// Proxies whose `X-Forwarded-For` names the client (for sign-in throttling).
    pub trusted_proxies: TrustedProxies,
    /// The time sessions, sign-in throttling and housekeeping go by.
    pub clock: Clock,
    /// How many sign-ins hash at once, and how long the others wait.
    pub hashing: HashingLimits,
    /// Whether the demo owner ([`DEMO_EMAIL`]) may sign in (`paybell serve --demo`).
    pub demo_mode: bool,
    /// How long the web port waits for a request head, first and between requests.
    pub http_timeouts: Timeouts,
    /// Where e-mail goes: an SMTP server, or the local mailbox.
    pub mail: MailSettings,
    /// How often payment reminders are looked for.
    pub reminder_interval: Duration,
    /// Who charges cards: the `test` provider unless configured otherwise.
    pub provider: Provider,
    /// Web Push: the VAPID key and contact.
    pub push: PushSettings,
}

/// The demo owner's address. Its password is published, so outside demo mode the account
/// signs in like an unknown address (401) and its sessions count as signed out.
pub const DEMO_EMAIL: &str = "demo@paybell.local";

impl Settings {
    /// Settings with the defaults: private channels, checks every minute, sessions of at most
    /// 30 days ending after 7 idle days, housekeeping hourly, sign-ins throttled after 5
    /// failures, no trusted proxy, one password check per core, no demo mode, and a fresh
    /// VAPID key (the binary keeps one with the app credentials instead).
    pub fn new(database_url: DatabaseUrl, realtime: RealtimeAccess) -> Self {
        Self {
            database_url,
            public_url: None,
            private_channels: true,
            realtime,
            overdue_interval: Duration::from_secs(60),
            relay: RelayOptions::default(),
            session_ttl: Duration::from_secs(30 * 24 * 3600),
            retention: Retention::default(),
            housekeeping_interval: Duration::from_secs(3600),
            login_throttle: ThrottlePolicy::default(),
            trusted_proxies: TrustedProxies::none(),
            clock: Clock::system(),
            hashing: HashingLimits::default(),
            demo_mode: false,
            http_timeouts: Timeouts::default(),
            mail: MailSettings::default(),
            reminder_interval: Duration::from_secs(3600),
            provider: Provider::default(),
            push: PushSettings::new(VapidKey::generate()),
        }
    }

    /// Whether the owner with `email` may sign in, or use a session, now.
    pub fn may_sign_in(&self, email: &Email) -> bool {
        self.demo_mode || email.as_str() != DEMO_EMAIL
    }
}

/// A database URL; `Debug` hides a PostgreSQL password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// Wraps a URL (checked when connecting).
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match Url::parse(&self.0) {
            Ok(mut url) if url.password().is_some() => {
                // Setting a password only fails for URLs that cannot have one.
                let _ = url.set_password(Some("***"));
                write!(f, "DatabaseUrl({url})")
            }
            Ok(_) | Err(_) => write!(f, "DatabaseUrl({})", self.0),
        }
    }
}

/// The realtime server browsers connect to, and the app that signs their channel auth.
#[derive(Debug, Clone)]
pub struct RealtimeAccess {
    /// App id, key and secret (only key and secret are used here).
    pub signer: Signer,
    /// Where browsers connect.
    pub browser: BrowserEndpoint,
}

/// The app that signs channel auth, shared with whoever may replace it: `paybell serve`
/// swaps in a rotated secret (`paybell app rotate-secret`) without a restart.
#[derive(Debug, Clone)]
pub struct Signer(Arc<RwLock<Arc<Target>>>);

impl Signer {
    /// Signs with `target` until [`Signer::replace`].
    #[must_use]
    pub fn new(target: Target) -> Self {
        Self(Arc::new(RwLock::new(Arc::new(target))))
    }

    /// The app signing now.
    #[must_use]
    pub fn current(&self) -> Arc<Target> {
        // A panic elsewhere cannot leave a half-written `Arc`, so a poisoned lock is fine.
        self.0.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Signs with `target` from now on, for every clone.
    pub fn replace(&self, target: Target) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(target);
    }
}

impl From<Target> for Signer {
    fn from(target: Target) -> Self {
        Self::new(target)
    }
}

/// `{key, cluster, wsHost, wsPort, forceTLS}` of `GET /api/config`, minus the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserEndpoint {
    /// pusher-js insists on a cluster; Pusher Cloud's, or `mt1` for self-hosted servers.
    pub cluster: String,
    /// The WebSocket host.
    pub ws_host: WsHost,
    /// The WebSocket port.
    pub ws_port: u16,
    /// Whether browsers must use `wss`.
    pub force_tls: bool,
}

/// Where the WebSocket host name comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsHost {
    /// The host the browser used to reach the web app (its `Host` header): right when the
    /// realtime server listens on all interfaces of the same machine.
    FromRequest,
    /// A fixed name or address.
    Fixed(String),
}
