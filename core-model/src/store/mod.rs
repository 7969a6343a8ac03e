//! The order store: sellers, stores and the orders pulled from them, in SQLite (the embedded
//! default: one file, WAL) or PostgreSQL (several replicas), chosen by URL.
//!
//! Each query is written once, with runtime binds, and run on whichever pool the store holds
//! through `on_pool!`: fixed queries use `$N` placeholders, which both drivers accept, and
//! multi-row ones `QueryBuilder`, which writes each backend's own. The two migration sets
//! (`migrations/sqlite`, `migrations/postgres`) are kept in step: same files, same columns.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteSynchronous};
use sqlx::{Postgres, Sqlite, Transaction};

use crate::platform::{Platform, SellerId, StoreId};

pub mod account;
pub mod catalog;
pub mod csv_import;
mod error;
pub mod flow;
pub mod ledger;
mod list;
mod malformed;
mod outbox;
mod read;
pub mod stock;
mod sync;
pub(crate) mod tx;
mod upsert;
pub mod warehouse;

pub use error::StoreError;
pub use list::OrderFilter;
pub use malformed::StoredMalformed;
pub use outbox::{TrackingUpload, UploadOutcome, UploadStatus};
pub use read::{HistoryEntry, HistoryKind, StoredOrder};
pub use sync::{
    CycleOutcome, PageProgress, RunId, RunKind, RunStatus, StoreInfo, SyncRun, TokenScope,
};
pub use upsert::UpsertStats;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// How long a SQLite connection waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A stored platform order's own id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderId(pub i64);

impl std::fmt::Display for OrderId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The order store. Cloning is cheap and shares the connection pool.
#[derive(Debug, Clone)]
pub struct OrderStore {
    backend: Backend,
}

#[derive(Debug, Clone)]
enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the store's pool, whichever backend it is. The body is
/// expanded once per backend, so one query text serves both.
macro_rules! on_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.backend {
            crate::store::Backend::Sqlite($pool) => $body,
            crate::store::Backend::Postgres($pool) => $body,
        }
    };
}
use on_pool;

/// Starting transactions, where the backends need different BEGIN statements.
trait Begin {
    type Db: sqlx::Database;

    /// A transaction that reads, then writes.
    async fn begin_write(&self) -> Result<Transaction<'static, Self::Db>, sqlx::Error>;

    /// A transaction whose reads all see one snapshot.
    async fn begin_read(&self) -> Result<Transaction<'static, Self::Db>, sqlx::Error>;
}

impl Begin for SqlitePool {
    type Db = Sqlite;

    // Take SQLite's write lock at BEGIN: a deferred transaction that read first fails with
    // SQLITE_BUSY, without waiting, if another writer committed before it writes.
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }

    // In WAL mode a deferred transaction reads one snapshot from its first read on.
    async fn begin_read(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.begin().await
    }
}

impl Begin for PgPool {
    type Db = Postgres;

    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.begin().await
    }

    // READ COMMITTED would let each statement see a different snapshot.
    async fn begin_read(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await
    }
}

/// Timestamps are kept to the microsecond: PostgreSQL's precision, so both backends store
/// and hash the same value.
fn db_time(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

impl OrderStore {
    /// Opens the store at `url`: `sqlite://PATH` (the file is created on first use) or
    /// `postgres://...`. Does not migrate; call [`OrderStore::migrate`].
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let backend = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // Durable at each WAL checkpoint rather than each commit: the usual WAL
                // pairing; a power cut may lose the last commits, which the next pull repeats.
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true);
            Backend::Sqlite(SqlitePool::connect_with(options).await?)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres(PgPoolOptions::new().connect(url).await?)
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        Ok(OrderStore { backend })
    }

    /// Applies the backend's pending migrations.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
            Backend::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Closes every connection; further calls fail.
    pub async fn close(&self) {
        on_pool!(self, |pool| pool.close().await)
    }

    pub async fn create_seller(&self, name: &str) -> Result<SellerId, StoreError> {
        let now = db_time(Utc::now());
        let id: i64 = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "INSERT INTO sellers (name, created_at) VALUES ($1, $2) RETURNING id",
            )
            .bind(name)
            .bind(now)
            .fetch_one(pool)
            .await?
        });
        Ok(SellerId(id))
    }

    /// Adds a store (one shop or seller account on one platform) for `seller`, without
    /// credentials.
    pub async fn create_store(
        &self,
        seller: SellerId,
        platform: Platform,
        name: &str,
    ) -> Result<StoreId, StoreError> {
        let now = db_time(Utc::now());
        let id: Result<i64, sqlx::Error> = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "INSERT INTO stores (seller_id, platform, name, created_at) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(seller.0)
            .bind(platform.slug())
            .bind(name)
            .bind(now)
            .fetch_one(pool)
            .await
        });
        id.map(StoreId)
            .map_err(|e| StoreError::from(e).missing("seller"))
    }
}
