//! The apps store on a SQLite file written by two processes at once, as `paybell app add`
//! does beside a running `paybell serve`.

use super::{AppRecord, AppStore};
use crate::app_file;

/// A new app with generated credentials.
fn app(n: usize) -> AppRecord {
    let generated = app_file::generate().expect("credentials");
    AppRecord::new(generated.id, generated.key, format!("app {n}"), generated.secret)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_sqlite_file_write_at_once_without_locked_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("paybell.db").display());
    // Two pools stand for two processes: each has its own connections to the file.
    let stores =
        [AppStore::open(&url).await.expect("open"), AppStore::open(&url).await.expect("open")];
    let writers = stores.iter().enumerate().flat_map(|(s, store)| {
        (0..2).map(move |w| async move {
            for i in 0..15 {
                // Each insert reads (is the id or key taken?) before it writes, as does
                // the update after it: the shape that failed with "database is locked".
                let mut record = app(s * 100 + w * 20 + i);
                store.insert(&record).await.map_err(|e| format!("insert: {e}"))?;
                record.name.push_str(" renamed");
                store.update(&record).await.map_err(|e| format!("update: {e}"))?;
            }
            Ok::<_, String>(())
        })
    });
    let results = futures_util::future::join_all(writers).await;
    let failures: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(failures.is_empty(), "writes failed: {failures:?}");
    let listed = stores[0].list().await.expect("list");
    assert_eq!(listed.len(), 60);
    assert!(listed.iter().all(|a| a.name.ends_with(" renamed")));
}
