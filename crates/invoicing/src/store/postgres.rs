//! PostgreSQL: a pool of connections; changes lock their invoice row with `FOR UPDATE`, and
//! relays on several nodes claim outbox rows with `FOR UPDATE SKIP LOCKED`.

use sqlx::migrate::Migrator;

/// The PostgreSQL migrations, embedded.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Pool size.
pub(super) const CONNECTIONS: u32 = 5;

/// Outbox claims skip rows another node's claim is locking instead of waiting for them.
pub(super) const SKIP_LOCKED: &str = " FOR UPDATE SKIP LOCKED";
