//! PostgreSQL: a pool of connections; changes lock their invoice row with `FOR UPDATE`.

use sqlx::migrate::Migrator;

/// The PostgreSQL migrations, embedded.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Pool size.
pub(super) const CONNECTIONS: u32 = 5;
