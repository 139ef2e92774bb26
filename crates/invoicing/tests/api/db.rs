//! The test databases: a temp SQLite file, or a fresh PostgreSQL database dropped
//! afterwards, and `on_both!`, which runs a test on each.

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Db {
    Sqlite,
    Postgres,
}

/// Runs `$name(Db)` once per backend, as `$name::sqlite` and `$name::postgres`.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::db::Db::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::db::Db::Postgres).await;
            }
        }
    )*};
}
pub(crate) use on_both;

/// The PostgreSQL server the tests use; `PAYBELL_TEST_POSTGRES_URL` overrides it.
fn postgres_admin_url() -> String {
    std::env::var("PAYBELL_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// An isolated database, removed on drop.
pub(crate) struct TestDb {
    pub(crate) url: String,
    postgres: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub(crate) async fn new(db: Db) -> Self {
        match db {
            Db::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = invoicing::store::sqlite::url_for_file(&dir.path().join("test.db"));
                Self { url, postgres: None, _dir: Some(dir) }
            }
            Db::Postgres => {
                let name = format!("paybell_test_{}", uuid::Uuid::new_v4().simple());
                let admin = postgres_admin_url();
                sqlx::any::install_default_drivers();
                let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
                    .await
                    .expect("PostgreSQL on 127.0.0.1:5432 (set PAYBELL_TEST_POSTGRES_URL)");
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("create the test database");
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
                Self { url: format!("{base}/{name}"), postgres: Some(name), _dir: None }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.postgres.take() else { return };
        // Drop runs inside the test's runtime: do the async clean-up on a thread of its own.
        let admin = postgres_admin_url();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await?;
                Ok::<_, sqlx::Error>(())
            })?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop a test database");
        }
    }
}
