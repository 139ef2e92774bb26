//! SQLite: a file, created on first use, with a single connection.
//!
//! One connection makes every transaction of this process exclusive, which is what a
//! single-writer database gives anyway. Other processes may still write the file (the
//! `paybell app` commands write the apps store beside a running `serve`), so write
//! transactions begin `IMMEDIATE` (`Store::begin_write`) and wait their turn rather than
//! fail with `SQLITE_BUSY` half-way.

use std::path::Path;

use sqlx::migrate::Migrator;

use super::StoreError;

/// The SQLite migrations, embedded.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Pool size: one writer.
pub(super) const CONNECTIONS: u32 = 1;

/// SQLite has no row locks; with one writer connection (and one process owning the file)
/// outbox claims cannot overlap.
pub(super) const SKIP_LOCKED: &str = "";

/// The URL of the database file `path`.
pub fn url_for_file(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// Creates the file's directory and asks for the file to be created when missing.
///
/// # Errors
/// [`StoreError::DataDir`] when the directory cannot be created.
pub fn prepare_url(url: &str) -> Result<String, StoreError> {
    let (path, query) =
        url.trim_start_matches("sqlite:").trim_start_matches("//").split_once('?').map_or(
            (url.trim_start_matches("sqlite:").trim_start_matches("//"), None),
            |(p, q)| (p, Some(q)),
        );
    if path != ":memory:"
        && let Some(dir) = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty())
    {
        crate::data_dir::create(dir).map_err(StoreError::DataDir)?;
    }
    Ok(match query {
        Some(query) if query.split('&').any(|p| p.starts_with("mode=")) => url.to_owned(),
        Some(query) => format!("sqlite://{path}?{query}&mode=rwc"),
        None => format!("sqlite://{path}?mode=rwc"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_ask_for_creation() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sub/paybell.db");
        let url = prepare_url(&url_for_file(&file)).unwrap();
        assert_eq!(url, format!("sqlite://{}?mode=rwc", file.display()));
        assert!(dir.path().join("sub").is_dir());
        assert_eq!(
            prepare_url("sqlite::memory:?mode=memory").unwrap(),
            "sqlite::memory:?mode=memory"
        );
    }

    /// Two processes on one file (two stores here), each transaction reading before it
    /// writes: deferred transactions fail with "database is locked", immediate ones wait.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn write_transactions_of_two_stores_on_one_file_take_turns() {
        let dir = tempfile::tempdir().unwrap();
        let url = url_for_file(&dir.path().join("paybell.db"));
        let first = crate::store::Store::connect(&url).await.unwrap();
        first.migrate().await.unwrap();
        let second = crate::store::Store::connect(&url).await.unwrap();
        let writers = [&first, &second].into_iter().enumerate().map(|(s, store)| async move {
            for i in 0..150 {
                let mut tx = store.begin_write().await.map_err(|e| e.to_string())?;
                let seen: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM login_failures")
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| e.to_string())?;
                sqlx::query(
                    "INSERT INTO login_failures (throttle_key, failures, locked_until, expires_at) \
                     VALUES ($1, $2, 0, 0)",
                )
                .bind(format!("{s}-{i}"))
                .bind(seen)
                .execute(&mut *tx)
                .await
                .map_err(|e| e.to_string())?;
                tx.commit().await.map_err(|e| e.to_string())?;
            }
            Ok::<_, String>(())
        });
        let results = futures_util::future::join_all(writers).await;
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM login_failures")
            .fetch_one(&first.pool)
            .await
            .unwrap();
        assert_eq!(rows, 300);
    }
}
