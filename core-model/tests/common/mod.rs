//! The order store's test harness: each case runs on SQLite (a temp file) and, when
//! `DATABASE_URL` is set, on PostgreSQL in a database of its own, dropped afterwards even when
//! the case fails. Each suite adds its own helpers to [`TestDb`].
#![allow(dead_code, reason = "each suite uses part of the harness")]

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::Utc;
use core_model::store::OrderStore;
use sqlx::{Connection, Executor, PgConnection, PgPool, SqlitePool};

/// A fresh, migrated store for one case, plus direct SQL for what the API does not offer
/// (counting rows, injecting a failure) and the URL for cases that connect again.
pub struct TestDb {
    pub store: OrderStore,
    pub sql: Sql,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

pub enum Sql {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl TestDb {
    async fn open(url: &str, dir: Option<tempfile::TempDir>) -> Self {
        let store = OrderStore::connect(url).await.unwrap();
        store.migrate().await.unwrap();
        let sql = if url.starts_with("sqlite:") {
            Sql::Sqlite(SqlitePool::connect(url).await.unwrap())
        } else {
            Sql::Postgres(PgPool::connect(url).await.unwrap())
        };
        TestDb {
            store,
            sql,
            url: url.to_owned(),
            _dir: dir,
        }
    }

    /// Runs one or more statements.
    pub async fn exec(&self, sql: &str) {
        match &self.sql {
            Sql::Sqlite(pool) => {
                pool.execute(sqlx::raw_sql(sql)).await.unwrap();
            }
            Sql::Postgres(pool) => {
                pool.execute(sqlx::raw_sql(sql)).await.unwrap();
            }
        }
    }

    /// Runs SQLite's or PostgreSQL's spelling of the same statements.
    pub async fn exec_per_backend(&self, sqlite: &str, postgres: &str) {
        match &self.sql {
            Sql::Sqlite(_) => self.exec(sqlite).await,
            Sql::Postgres(_) => self.exec(postgres).await,
        }
    }

    pub async fn count(&self, sql: &str) -> i64 {
        match &self.sql {
            Sql::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
            Sql::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        }
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self.sql, Sql::Sqlite(_))
    }
}

pub async fn on_sqlite<F, Fut>(case: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("omsync.db").display());
    case(TestDb::open(&url, Some(dir)).await).await;
}

/// Runs `case` in a database of its own, created from `DATABASE_URL` and dropped afterwards
/// even when the case fails.
pub async fn on_postgres<F, Fut>(case: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    // Without a server the PostgreSQL twin of each case passes vacuously.
    let Ok(base) = std::env::var("DATABASE_URL") else {
        return;
    };
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = Utc::now().timestamp_subsec_nanos();
    let name = format!(
        "omsync_test_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = PgConnection::connect(&base).await.unwrap();
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    let mut url = url::Url::parse(&base).unwrap();
    url.set_path(&name);

    let db = TestDb::open(url.as_str(), None).await;
    let outcome = tokio::spawn(case(db)).await;
    admin
        .execute(format!("DROP DATABASE {name} WITH (FORCE)").as_str())
        .await
        .unwrap();
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// One `#[tokio::test]` per case and backend: `sqlite::<case>` and `postgres::<case>`, on the
/// multi-threaded runtime so concurrent cases really run at once.
#[macro_export]
macro_rules! store_tests {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                $crate::common::on_sqlite(super::$case).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                $crate::common::on_postgres(super::$case).await;
            })*
        }
    };
}
