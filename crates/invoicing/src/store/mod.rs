//! The store: users, sessions, invoices, payments, the outbox and sign-in failure counts, on
//! SQLite or PostgreSQL.
//!
//! One SQL dialect serves both through sqlx's `Any` driver: `$N` parameters, `BIGINT` unix
//! milliseconds for times, `TEXT` for ids and dates, `RETURNING`, `ON CONFLICT`. What differs
//! lives in [`sqlite`] (file, single writer) and [`postgres`] (pool, row locks).
//!
//! Every change to an invoice runs in one transaction that locks the invoice row (PostgreSQL
//! `FOR UPDATE`; SQLite has one writer connection), applies a domain function to the loaded
//! invoice, writes it back and inserts its outbox rows. So two concurrent payments that would
//! together overpay cannot both succeed, and an event exists exactly when its change does.
//! Relays on several nodes share the outbox through claims ([`claims`], [`outbox`]); mail
//! workers share the mail table the same way ([`mail`]), push workers the push deliveries
//! ([`push`]); pages that were disconnected read
//! the outbox back per channel ([`event_log`]). Sign-in failures are counted here too
//! (`throttle`), so every node sees them; [`housekeeping`] purges what has served its time.
//! The owner's business profile and logo (`profile`) and customer directory ([`customers`])
//! live here too; an invoice links to its customer in its own transaction.

mod attempts;
pub mod claims;
pub mod customers;
pub mod event_log;
pub mod housekeeping;
mod intents;
mod invoices;
pub mod mail;
pub mod outbox;
pub mod postgres;
mod profile;
pub mod push;
mod reminders;
mod rows;
pub mod sqlite;
mod throttle;
mod users;

use std::sync::Arc;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use tokio::sync::Notify;

use crate::domain::DomainError;

pub use attempts::{ATTEMPT_TTL, Reservation, Reserved};
pub use claims::{Claimed, WorkQueue, WorkTable};
pub use event_log::{Cursor, LogRead, LoggedEvent};
pub use housekeeping::{Purged, Retention};
pub use intents::{ExpiredIntent, IntentRecord};
pub use invoices::{PaymentOutcome, PaymentRequest, Written};
pub use mail::{MAIL, MailRow};
pub use outbox::{OUTBOX, PendingEvent};
pub use profile::StoredLogo;
pub use push::{NewPushSubscription, PUSH, PushRow, PushSubscriptionRow, Registered};
pub use reminders::ReminderCandidate;

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such row (or not the caller's).
    #[error("not found")]
    NotFound,
    /// The domain refused the change.
    #[error(transparent)]
    Rejected(#[from] DomainError),
    /// Another user has this e-mail address.
    #[error("a user with this e-mail address exists")]
    EmailTaken,
    /// The `Idempotency-Key` was used before for a different request.
    #[error("this Idempotency-Key was used for a different payment")]
    IdempotencyKeyReused,
    /// A request with this `Idempotency-Key` is still being charged (HTTP 409).
    #[error("a payment with this Idempotency-Key is in progress; retry when it has finished")]
    IdempotencyInProgress,
    /// Other payers' attempts hold what is left of the balance (HTTP 409).
    #[error("another payment of this invoice is in progress; try again in a moment")]
    PaymentInProgress,
    /// The `Idempotency-Key`'s payment was removed by the owner since.
    #[error("the payment made with this Idempotency-Key was removed")]
    PaymentRemoved,
    /// The database URL is neither `sqlite:` nor `postgres:`.
    #[error("unsupported database URL (use sqlite://… or postgres://…)")]
    UnsupportedUrl,
    /// The SQLite file's directory could not be created.
    #[error("cannot create the data directory")]
    DataDir(#[source] std::io::Error),
    /// The database failed.
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("database migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored row does not hold what the schema promises.
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

/// The store handle: cheap to clone, one pool inside.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    outbox_written: Arc<Notify>,
    mail_written: Arc<Notify>,
    push_written: Arc<Notify>,
}

impl Store {
    /// Connects to `url` (`sqlite://path` or `postgres://…`); a SQLite file and its directory
    /// are created when missing. Does not migrate: call [`Store::migrate`].
    ///
    /// # Errors
    /// [`StoreError::UnsupportedUrl`], [`StoreError::DataDir`] or [`StoreError::Database`].
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let (backend, url, connections) = if url.starts_with("sqlite:") {
            (Backend::Sqlite, sqlite::prepare_url(url)?, sqlite::CONNECTIONS)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            (Backend::Postgres, url.to_owned(), postgres::CONNECTIONS)
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let pool = AnyPoolOptions::new()
            .max_connections(connections)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect(&url)
            .await?;
        Ok(Self {
            pool,
            backend,
            outbox_written: Arc::new(Notify::new()),
            mail_written: Arc::new(Notify::new()),
            push_written: Arc::new(Notify::new()),
        })
    }

    /// Applies the migrations of this backend that have not run yet.
    ///
    /// # Errors
    /// [`StoreError::Migrate`].
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => sqlite::MIGRATOR.run(&self.pool).await?,
            Backend::Postgres => postgres::MIGRATOR.run(&self.pool).await?,
        }
        Ok(())
    }

    /// A transaction that writes. On SQLite it takes the write lock at `BEGIN` (`IMMEDIATE`),
    /// because the file is shared with other processes (`paybell app add` writes the apps
    /// store while `serve` runs): a deferred transaction that read first and then wants to
    /// write fails at once with "database is locked" when another connection writes, where
    /// an immediate one waits its turn (the busy timeout).
    pub(crate) async fn begin_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Notified after every commit that wrote outbox rows, so the relay need not poll fast.
    pub fn outbox_written(&self) -> Arc<Notify> {
        self.outbox_written.clone()
    }

    /// Whether the database answers a trivial query.
    ///
    /// # Errors
    /// [`StoreError::Database`] when it does not.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool, waiting for connections in use.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The clause that locks the selected row until the transaction ends.
    fn lock_clause(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    /// The clause that locks the selected rows, skipping those another transaction holds.
    fn skip_locked_clause(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => sqlite::SKIP_LOCKED,
            Backend::Postgres => postgres::SKIP_LOCKED,
        }
    }
}

/// Whether `error` is a unique-constraint violation.
fn is_unique_violation(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => db.kind() == sqlx::error::ErrorKind::UniqueViolation,
        _ => false,
    }
}
