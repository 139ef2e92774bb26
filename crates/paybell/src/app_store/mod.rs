//! Realtime apps kept in a database, changed at run time by `paybell app …`: the same
//! database as the rest for `paybell serve`, for `paybell realtime` the SQLite file of its
//! data directory or the PostgreSQL of `DATABASE_URL` its nodes share.
//!
//! The schema is self-managed (`CREATE TABLE IF NOT EXISTS`), not a sqlx migration:
//! `paybell realtime` uses this store on a database where invoicing's migrations never ran
//! (or on the same one as `serve`), and sqlx keeps one migration table per database, so two
//! migration sets there would each see the other's versions as unknown.
//!
//! Every write bumps one version counter in the same transaction, so a running server
//! notices any change with one cheap read (see [`watch`]).

mod record;
pub mod watch;

#[cfg(test)]
mod tests;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row as _};

pub use record::{AppRecord, Settings};

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum AppStoreError {
    /// The database URL is neither `sqlite:` nor `postgres:`.
    #[error("unsupported database URL (use sqlite://… or postgres://…)")]
    UnsupportedUrl,
    /// The SQLite file's directory could not be created.
    #[error("the database: {0}")]
    Prepare(#[from] invoicing::store::StoreError),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Another stored app has this id or key.
    #[error("an app with this {0} already exists")]
    Duplicate(&'static str),
    /// A stored row does not hold what the schema promises.
    #[error("stored app {id}: {problem}")]
    Corrupt {
        /// The app's id.
        id: String,
        /// What is wrong.
        problem: String,
    },
}

const SCHEMA: [&str; 3] = [
    "CREATE TABLE IF NOT EXISTS realtime_apps (
        id TEXT PRIMARY KEY,
        app_key TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        secret TEXT NOT NULL,
        previous_secret TEXT,
        previous_secret_until BIGINT,
        enabled BIGINT NOT NULL,
        settings TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS realtime_apps_version (
        id BIGINT PRIMARY KEY,
        version BIGINT NOT NULL
    )",
    "INSERT INTO realtime_apps_version (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING",
];

/// The advisory lock key the schema is created under on PostgreSQL (any constant unused by
/// sqlx's migrator, whose key is derived from the database name).
const SCHEMA_LOCK: i64 = 0x7061_7962_656c_6c41; // "paybellA"

const COLUMNS: &str = "id, app_key, name, secret, previous_secret, previous_secret_until, \
                       enabled, settings, created_at";

/// The apps store: cheap to clone, a small pool inside.
#[derive(Debug, Clone)]
pub struct AppStore {
    pool: AnyPool,
    /// Whether the store is a SQLite file (shared with other processes), else PostgreSQL.
    sqlite: bool,
}

impl AppStore {
    /// Connects to `url` (`sqlite://path` or `postgres://…`) and creates the tables when
    /// missing.
    ///
    /// # Errors
    /// [`AppStoreError`] when the database cannot be reached or set up.
    pub async fn open(url: &str) -> Result<Self, AppStoreError> {
        sqlx::any::install_default_drivers();
        let url = if url.starts_with("sqlite:") {
            invoicing::store::sqlite::prepare_url(url)?
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            url.to_owned()
        } else {
            return Err(AppStoreError::UnsupportedUrl);
        };
        let pool = AnyPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect(&url)
            .await?;
        let sqlite = url.starts_with("sqlite:");
        let store = Self { pool, sqlite };
        store.create_schema().await?;
        Ok(store)
    }

    /// Creates the tables in one transaction. On PostgreSQL, concurrent `CREATE TABLE IF NOT
    /// EXISTS` of two nodes starting together can still collide in the catalog
    /// (`pg_type_typname_nsp_index`), so they take turns under an advisory lock.
    async fn create_schema(&self) -> Result<(), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        if !self.sqlite {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(SCHEMA_LOCK)
                .execute(&mut *tx)
                .await?;
        }
        for statement in SCHEMA {
            sqlx::query(statement).execute(&mut *tx).await?;
        }
        tx.commit().await
    }

    /// A transaction that writes. The SQLite file is written by every `paybell app` command
    /// and by the server beside it, so the write lock is taken at `BEGIN` (`IMMEDIATE`): a
    /// deferred transaction that read first fails at once with "database is locked" when
    /// another process writes, where an immediate one waits its turn (the busy timeout).
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        if self.sqlite {
            self.pool.begin_with("BEGIN IMMEDIATE").await
        } else {
            self.pool.begin().await
        }
    }

    /// Every stored app, oldest first.
    ///
    /// # Errors
    /// [`AppStoreError::Database`], or a row that does not parse.
    pub async fn list(&self) -> Result<Vec<AppRecord>, AppStoreError> {
        let sql = format!("SELECT {COLUMNS} FROM realtime_apps ORDER BY created_at, id");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        rows.iter().map(record_of).collect()
    }

    /// The stored app `id`.
    ///
    /// # Errors
    /// [`AppStoreError::Database`], or a row that does not parse.
    pub async fn get(&self, id: &str) -> Result<Option<AppRecord>, AppStoreError> {
        let sql = format!("SELECT {COLUMNS} FROM realtime_apps WHERE id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(record_of).transpose()
    }

    /// Adds an app.
    ///
    /// # Errors
    /// [`AppStoreError::Duplicate`] when its id or key is taken.
    pub async fn insert(&self, app: &AppRecord) -> Result<(), AppStoreError> {
        let mut tx = self.begin_write().await?;
        let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM realtime_apps WHERE id = $1")
            .bind(app.id.as_str())
            .fetch_one(&mut *tx)
            .await?;
        if taken > 0 {
            return Err(AppStoreError::Duplicate("id"));
        }
        let taken: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM realtime_apps WHERE app_key = $1")
                .bind(app.key.as_str())
                .fetch_one(&mut *tx)
                .await?;
        if taken > 0 {
            return Err(AppStoreError::Duplicate("key"));
        }
        let sql = format!(
            "INSERT INTO realtime_apps ({COLUMNS}, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)"
        );
        sqlx::query(&sql)
            .bind(app.id.as_str())
            .bind(app.key.as_str())
            .bind(app.name.as_str())
            .bind(app.secret.expose())
            .bind(app.previous_secret.as_ref().map(|s| s.expose().to_owned()))
            .bind(app.previous_secret_until)
            .bind(i64::from(app.enabled))
            .bind(app.settings.to_json())
            .bind(app.created_at)
            .execute(&mut *tx)
            .await
            .map_err(|e| unique_as(e, "id or key"))?;
        bump(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Writes an app's changeable parts (everything but its id, key and creation time).
    ///
    /// # Errors
    /// [`AppStoreError::Database`]; `Ok(false)` when no app has this id.
    pub async fn update(&self, app: &AppRecord) -> Result<bool, AppStoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE realtime_apps SET name = $2, secret = $3, previous_secret = $4, \
             previous_secret_until = $5, enabled = $6, settings = $7, updated_at = $8 \
             WHERE id = $1",
        )
        .bind(app.id.as_str())
        .bind(app.name.as_str())
        .bind(app.secret.expose())
        .bind(app.previous_secret.as_ref().map(|s| s.expose().to_owned()))
        .bind(app.previous_secret_until)
        .bind(i64::from(app.enabled))
        .bind(app.settings.to_json())
        .bind(record::now_ms())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        bump(&mut tx).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The counter every write bumps.
    ///
    /// # Errors
    /// [`AppStoreError::Database`].
    pub async fn version(&self) -> Result<i64, AppStoreError> {
        let version = sqlx::query_scalar("SELECT version FROM realtime_apps_version WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(version)
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

async fn bump(tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE realtime_apps_version SET version = version + 1 WHERE id = 1")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn unique_as(error: sqlx::Error, what: &'static str) -> AppStoreError {
    match &error {
        sqlx::Error::Database(db) if db.kind() == sqlx::error::ErrorKind::UniqueViolation => {
            AppStoreError::Duplicate(what)
        }
        _ => AppStoreError::Database(error),
    }
}

fn record_of(row: &AnyRow) -> Result<AppRecord, AppStoreError> {
    let id: String = row.try_get("id")?;
    let corrupt = |problem: String| AppStoreError::Corrupt { id: id.clone(), problem };
    let settings: String = row.try_get("settings")?;
    let previous: Option<String> = row.try_get("previous_secret")?;
    let enabled: i64 = row.try_get("enabled")?;
    AppRecord::from_parts(record::Parts {
        id: id.clone(),
        key: row.try_get("app_key")?,
        name: row.try_get("name")?,
        secret: row.try_get("secret")?,
        previous_secret: previous,
        previous_secret_until: row.try_get("previous_secret_until")?,
        enabled: enabled != 0,
        settings: Settings::from_json(&settings).map_err(|e| corrupt(e.to_string()))?,
        created_at: row.try_get("created_at")?,
    })
    .map_err(|e| corrupt(e.to_string()))
}
