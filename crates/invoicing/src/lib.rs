//! Paybell's invoicing backend: invoices, payments, the REST API, and the transactional outbox
//! that tells the realtime side about every change.
//!
//! # Layout
//! - [`domain`]: money, the status machine, invoices, users, the events of each change.
//! - [`store`]: SQLite or PostgreSQL through one SQL dialect; each change commits with its
//!   outbox rows.
//! - [`durable`]: durable work (claims with a lease, order per key, give-back, fast
//!   takeover) and its one worker loop; the relay is its first user.
//! - [`relay`]: publishes the outbox in order per invoice, with retries and back-off, through an
//!   [`EventSink`] ([`sink::PusherSink`] for any Pusher-compatible API; the binary provides
//!   the built-in server's); rows are claimed, so relays on several nodes can share one
//!   PostgreSQL database.
//! - [`mail`]: e-mail (invoice, receipt, owner notice, reminders) rendered into rows in the
//!   change's transaction and delivered over SMTP (or to the local mailbox) by a durable worker.
//! - [`pdf`]: invoice and receipt PDFs (krilla, an embedded DejaVu Sans subset), from a plain
//!   [`pdf::Document`] that [`pdf::mapping`] builds from an invoice.
//! - [`scheduler`]: periodic passes: invoices past their due date move to `overdue`;
//!   housekeeping purges ended sessions, old idempotency keys, published outbox rows and
//!   forgotten sign-in failure counts.
//! - [`usecases`]: each change the API asks for (record a payment, checkout, edit…), between
//!   the routes and the store, with one error type.
//! - [`routes`]: the REST API; [`ApiError`] maps every failure to a status.
//! - [`auth`]: password hashing and session tokens; [`throttle`]: when failed sign-ins are
//!   refused; [`net`]: the client address behind trusted proxies; [`clock`]: the time they
//!   go by; [`provider`]: the payment-provider seam; [`stripe`]: Stripe (webhook signatures).
//! - [`startup`]: [`Application::build`] → [`Application::port`] →
//!   [`Application::run_until_stopped`]; [`settings`]: what it needs.
#![deny(missing_docs)]

pub mod auth;
pub mod clock;
pub mod data_dir;
pub mod domain;
pub mod durable;
pub mod mail;
pub mod net;
pub mod pdf;
pub mod provider;
pub mod push;
pub mod relay;
pub mod routes;
pub mod scheduler;
pub mod settings;
pub mod sink;
pub mod startup;
pub mod store;
pub mod stripe;
pub mod throttle;
pub mod usecases;

pub use clock::Clock;
pub use routes::ApiError;
pub use settings::{
    BrowserEndpoint, DEMO_EMAIL, DatabaseUrl, RealtimeAccess, Settings, Signer, WsHost,
};
pub use sink::{EventSink, PublishError};
pub use startup::{Application, StartupError};
pub use store::{Store, StoreError};
