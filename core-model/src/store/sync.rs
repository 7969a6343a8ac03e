//! What the sync engine keeps in the store: each store's schedule, lease and sync state, the
//! sealed credentials, and every sync run with its per-page checkpoint.
//!
//! Leases are rows, not a coordinator: a replica claims due stores with one UPDATE (on
//! PostgreSQL over `FOR UPDATE SKIP LOCKED`), renews the lease while it pulls, and a dead
//! replica's stores become claimable when its lease expires.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{db_time, on_pool, OrderStore, StoreError};
use crate::fulfillment::WarehouseId;
use crate::marketplace::{Cursor, Window};
use crate::platform::{Platform, SellerId, StoreId};

/// A sync run's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RunId(pub i64);

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Why a run pulls what it pulls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// After authorization: orders of the last 5 days.
    Initial,
    /// The 15-minute cycle: the last 2 days, or for a quota-bound store everything updated
    /// since its committed cursor.
    Incremental,
    /// A quota-bound store's full 2-day re-pull, as often as its quota allows.
    Sweep,
    /// Asked for by a person (CLI or admin API).
    Manual,
}

impl RunKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Initial => "initial",
            RunKind::Incremental => "incremental",
            RunKind::Sweep => "sweep",
            RunKind::Manual => "manual",
        }
    }
}

impl FromStr for RunKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "initial" => RunKind::Initial,
            "incremental" => RunKind::Incremental,
            "sweep" => RunKind::Sweep,
            "manual" => RunKind::Manual,
            other => return Err(format!("unknown run kind `{other}`")),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Asked for, not started.
    Queued,
    /// Started; a run killed mid-way stays here with its cursor and is resumed.
    Running,
    Succeeded,
    Failed,
    /// The store was removed before the run finished.
    Cancelled,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }

    pub fn is_open(self) -> bool {
        matches!(self, RunStatus::Queued | RunStatus::Running)
    }
}

impl FromStr for RunStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "queued" => RunStatus::Queued,
            "running" => RunStatus::Running,
            "succeeded" => RunStatus::Succeeded,
            "failed" => RunStatus::Failed,
            "cancelled" => RunStatus::Cancelled,
            other => return Err(format!("unknown run status `{other}`")),
        })
    }
}

/// One sync run as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncRun {
    pub id: RunId,
    pub store_id: StoreId,
    pub kind: RunKind,
    pub status: RunStatus,
    pub window: Option<Window>,
    /// Where a resumed run continues; `None` before the first page and after the last.
    #[serde(skip)]
    pub cursor: Option<Cursor>,
    pub pages: i64,
    pub orders_new: i64,
    pub orders_changed: i64,
    pub orders_unchanged: i64,
    pub malformed: i64,
    pub api_calls: i64,
    pub throttles: i64,
    pub errors: i64,
    pub error: Option<String>,
    pub owner: Option<String>,
    pub requested_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
}

/// What one page added to a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageProgress {
    pub orders_new: u64,
    pub orders_changed: u64,
    pub orders_unchanged: u64,
    pub malformed: u64,
    pub api_calls: u64,
    pub throttles: u64,
    pub errors: u64,
}

/// A store with its sync state, as listed by the CLI and the admin API.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoreInfo {
    pub id: StoreId,
    pub seller_id: SellerId,
    pub platform: Platform,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// Credentials are stored.
    pub authorized: bool,
    /// Scheduled pulls are on.
    pub active: bool,
    pub initial_done: bool,
    pub next_due: Option<DateTime<Utc>>,
    /// Orders updated before this are in the store.
    pub synced_to: Option<DateTime<Utc>>,
    pub last_sweep_at: Option<DateTime<Utc>>,
    pub last_sweep_orders: Option<i64>,
    pub lease_owner: Option<String>,
}

/// What a finished run tells the schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleOutcome {
    /// The next scheduled pull.
    pub next_due: DateTime<Utc>,
    pub initial_done: bool,
    /// A new high-water mark, when the run completed a window reaching it.
    pub synced_to: Option<DateTime<Utc>>,
    /// A completed full sweep: when, and how many orders it saw.
    pub sweep: Option<(DateTime<Utc>, i64)>,
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_ms(v: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(v)
}

#[derive(sqlx::FromRow)]
struct RunRow {
    id: i64,
    store_id: i64,
    kind: String,
    status: String,
    window_from: Option<DateTime<Utc>>,
    window_to: Option<DateTime<Utc>>,
    cursor: Option<String>,
    pages: i64,
    orders_new: i64,
    orders_changed: i64,
    orders_unchanged: i64,
    malformed: i64,
    api_calls: i64,
    throttles: i64,
    errors: i64,
    error: Option<String>,
    owner: Option<String>,
    requested_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    duration_ms: Option<i64>,
}

const RUN_COLUMNS: &str = "id, store_id, kind, status, window_from, window_to, cursor, pages, \
     orders_new, orders_changed, orders_unchanged, malformed, api_calls, throttles, errors, \
     error, owner, requested_at, started_at, finished_at, duration_ms";

impl RunRow {
    fn into_run(self) -> Result<SyncRun, StoreError> {
        let window = match (self.window_from, self.window_to) {
            (Some(from), Some(to)) => Window::new(from, to),
            _ => None,
        };
        Ok(SyncRun {
            id: RunId(self.id),
            store_id: StoreId(self.store_id),
            kind: self
                .kind
                .parse()
                .map_err(|e: String| StoreError::corrupt("sync_runs.kind", e))?,
            status: self
                .status
                .parse()
                .map_err(|e: String| StoreError::corrupt("sync_runs.status", e))?,
            window,
            cursor: self.cursor.map(Cursor),
            pages: self.pages,
            orders_new: self.orders_new,
            orders_changed: self.orders_changed,
            orders_unchanged: self.orders_unchanged,
            malformed: self.malformed,
            api_calls: self.api_calls,
            throttles: self.throttles,
            errors: self.errors,
            error: self.error,
            owner: self.owner,
            requested_at: self.requested_at,
            started_at: self.started_at,
            finished_at: self.finished_at,
            duration_ms: self.duration_ms,
        })
    }
}

#[derive(sqlx::FromRow)]
struct StoreInfoRow {
    id: i64,
    seller_id: i64,
    platform: String,
    name: String,
    created_at: DateTime<Utc>,
    authorized: bool,
    active: Option<bool>,
    initial_done: Option<bool>,
    next_due_ms: Option<i64>,
    synced_to: Option<DateTime<Utc>>,
    last_sweep_at: Option<DateTime<Utc>>,
    last_sweep_orders: Option<i64>,
    lease_owner: Option<String>,
}

const STORE_INFO_SELECT: &str = "SELECT s.id, s.seller_id, s.platform, s.name, s.created_at, \
     s.credentials IS NOT NULL AS authorized, y.active, y.initial_done, y.next_due_ms, \
     y.synced_to, y.last_sweep_at, y.last_sweep_orders, y.lease_owner \
     FROM stores s LEFT JOIN store_sync y ON y.store_id = s.id";

impl StoreInfoRow {
    fn into_info(self) -> Result<StoreInfo, StoreError> {
        Ok(StoreInfo {
            id: StoreId(self.id),
            seller_id: SellerId(self.seller_id),
            platform: Platform::from_str(&self.platform)
                .map_err(|e| StoreError::corrupt("stores.platform", e.to_string()))?,
            name: self.name,
            created_at: self.created_at,
            authorized: self.authorized,
            active: self.active.unwrap_or(false),
            initial_done: self.initial_done.unwrap_or(false),
            next_due: self.next_due_ms.and_then(from_ms),
            synced_to: self.synced_to,
            last_sweep_at: self.last_sweep_at,
            last_sweep_orders: self.last_sweep_orders,
            lease_owner: self.lease_owner,
        })
    }
}

impl OrderStore {
    /// Stores `sealed` credentials for `store` and turns its scheduled pulls on, the first due
    /// at `first_due`. A store authorized again keeps its sync state (its initial pull is not
    /// repeated) and gets the new credentials.
    pub async fn authorize_store(
        &self,
        store: StoreId,
        sealed: &[u8],
        first_due: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let found: bool = on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let updated = sqlx::query("UPDATE stores SET credentials = $1 WHERE id = $2")
                .bind(sealed)
                .bind(store.0)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if updated == 1 {
                sqlx::query(
                    "INSERT INTO store_sync (store_id, active, next_due_ms, initial_done) \
                     VALUES ($1, TRUE, $2, FALSE) \
                     ON CONFLICT (store_id) DO UPDATE SET active = TRUE, \
                     next_due_ms = CASE WHEN store_sync.initial_done \
                         THEN store_sync.next_due_ms ELSE excluded.next_due_ms END",
                )
                .bind(store.0)
                .bind(ms(first_due))
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
            }
            updated == 1
        });
        if !found {
            return Err(StoreError::NotFound("store"));
        }
        Ok(())
    }

    /// The sealed credentials of `store`; `None` when it is not authorized.
    pub async fn store_credentials(&self, store: StoreId) -> Result<Option<Vec<u8>>, StoreError> {
        let row: Option<Option<Vec<u8>>> = on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT credentials FROM stores WHERE id = $1")
                .bind(store.0)
                .fetch_optional(pool)
                .await?
        });
        row.ok_or(StoreError::NotFound("store"))
    }

    /// Replaces the sealed credentials (a rotated refresh token) of an authorized store.
    pub async fn update_store_credentials(
        &self,
        store: StoreId,
        sealed: &[u8],
    ) -> Result<(), StoreError> {
        let n = on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE stores SET credentials = $1 WHERE id = $2 AND credentials IS NOT NULL",
            )
            .bind(sealed)
            .bind(store.0)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::NotFound("authorized store"));
        }
        Ok(())
    }

    /// Stops syncing `store` and forgets its credentials. Its orders and runs stay; an
    /// unfinished run is cancelled.
    pub async fn deactivate_store(
        &self,
        store: StoreId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = db_time(now);
        let found: bool = on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let updated = sqlx::query("UPDATE stores SET credentials = NULL WHERE id = $1")
                .bind(store.0)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if updated == 1 {
                sqlx::query("UPDATE store_sync SET active = FALSE WHERE store_id = $1")
                    .bind(store.0)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "UPDATE sync_runs SET status = 'cancelled', finished_at = $2, \
                     error = 'store removed' \
                     WHERE store_id = $1 AND status IN ('queued', 'running')",
                )
                .bind(store.0)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
            }
            updated == 1
        });
        if !found {
            return Err(StoreError::NotFound("store"));
        }
        Ok(())
    }

    /// Every store of `seller` (all sellers' when `None`), by id.
    pub async fn list_stores(
        &self,
        seller: Option<SellerId>,
    ) -> Result<Vec<StoreInfo>, StoreError> {
        let rows: Vec<StoreInfoRow> = on_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "{STORE_INFO_SELECT} WHERE ($1 IS NULL OR s.seller_id = $1) ORDER BY s.id"
            ))
            .bind(seller.map(|s| s.0))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(StoreInfoRow::into_info).collect()
    }

    pub async fn get_store(&self, store: StoreId) -> Result<Option<StoreInfo>, StoreError> {
        let row: Option<StoreInfoRow> = on_pool!(self, |pool| {
            sqlx::query_as(&format!("{STORE_INFO_SELECT} WHERE s.id = $1"))
                .bind(store.0)
                .fetch_optional(pool)
                .await?
        });
        row.map(StoreInfoRow::into_info).transpose()
    }

    /// Leases up to `limit` active stores that are due at `now` or have a run waiting, and are
    /// not leased by a live replica, to `owner` until `now + ttl`. Returns their ids, most
    /// overdue first.
    pub async fn claim_due_stores(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        ttl: chrono::TimeDelta,
        limit: usize,
    ) -> Result<Vec<StoreId>, StoreError> {
        const CANDIDATES: &str = "SELECT y.store_id FROM store_sync y \
             WHERE y.active AND (y.lease_expires_ms IS NULL OR y.lease_expires_ms < $2) \
             AND (y.next_due_ms <= $2 OR EXISTS (SELECT 1 FROM sync_runs r \
                  WHERE r.store_id = y.store_id AND r.status IN ('queued', 'running'))) \
             ORDER BY y.next_due_ms LIMIT $4";
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut ids: Vec<(i64, i64)> = match &self.backend {
            super::Backend::Sqlite(pool) => {
                // One process per SQLite file: the UPDATE alone is atomic.
                sqlx::query_as(&format!(
                    "UPDATE store_sync SET lease_owner = $1, lease_expires_ms = $3 \
                     WHERE store_id IN ({CANDIDATES}) RETURNING store_id, next_due_ms"
                ))
                .bind(owner)
                .bind(ms(now))
                .bind(ms(now + ttl))
                .bind(limit)
                .fetch_all(pool)
                .await?
            }
            super::Backend::Postgres(pool) => {
                // Replicas claiming at once skip each other's locked rows instead of waiting
                // for them and then taking the same stores.
                sqlx::query_as(&format!(
                    "UPDATE store_sync SET lease_owner = $1, lease_expires_ms = $3 \
                     WHERE store_id IN ({CANDIDATES} FOR UPDATE OF y SKIP LOCKED) \
                     RETURNING store_id, next_due_ms"
                ))
                .bind(owner)
                .bind(ms(now))
                .bind(ms(now + ttl))
                .bind(limit)
                .fetch_all(pool)
                .await?
            }
        };
        // RETURNING comes back in the order rows were updated, not the candidates' order.
        ids.sort_unstable_by_key(|&(id, due)| (due, id));
        Ok(ids.into_iter().map(|(id, _)| StoreId(id)).collect())
    }

    /// Extends `owner`'s lease on `store`; `false` when the lease was lost (expired and taken).
    pub async fn renew_lease(
        &self,
        store: StoreId,
        owner: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let n = on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE store_sync SET lease_expires_ms = $3 \
                 WHERE store_id = $1 AND lease_owner = $2",
            )
            .bind(store.0)
            .bind(owner)
            .bind(ms(until))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// Gives up `owner`'s lease on `store`, recording what the run told the schedule.
    pub async fn release_store(
        &self,
        store: StoreId,
        owner: &str,
        outcome: Option<&CycleOutcome>,
    ) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            match outcome {
                None => {
                    sqlx::query(
                        "UPDATE store_sync SET lease_owner = NULL, lease_expires_ms = NULL \
                         WHERE store_id = $1 AND lease_owner = $2",
                    )
                    .bind(store.0)
                    .bind(owner)
                    .execute(pool)
                    .await?;
                }
                Some(o) => {
                    sqlx::query(
                        "UPDATE store_sync SET lease_owner = NULL, lease_expires_ms = NULL, \
                         next_due_ms = $3, initial_done = $4, \
                         synced_to = COALESCE($5, synced_to), \
                         last_sweep_at = COALESCE($6, last_sweep_at), \
                         last_sweep_orders = COALESCE($7, last_sweep_orders) \
                         WHERE store_id = $1 AND lease_owner = $2",
                    )
                    .bind(store.0)
                    .bind(owner)
                    .bind(ms(o.next_due))
                    .bind(o.initial_done)
                    .bind(o.synced_to.map(db_time))
                    .bind(o.sweep.map(|(at, _)| db_time(at)))
                    .bind(o.sweep.map(|(_, n)| n))
                    .execute(pool)
                    .await?;
                }
            }
        });
        Ok(())
    }

    /// Drops every lease and every claim on uploads and label fetches. Only for a SQLite
    /// daemon that holds the file's process lock: any lease or claim left is a dead
    /// process's, and its work is due again at once.
    pub async fn clear_leases(&self) -> Result<u64, StoreError> {
        let mut n = 0;
        for sql in [
            "UPDATE store_sync SET lease_owner = NULL, lease_expires_ms = NULL \
             WHERE lease_owner IS NOT NULL",
            "UPDATE tracking_outbox SET claimed_by = NULL, claim_expires_ms = NULL \
             WHERE claimed_by IS NOT NULL",
            "UPDATE label_jobs SET claimed_by = NULL, claim_expires_ms = NULL \
             WHERE claimed_by IS NOT NULL",
        ] {
            n += on_pool!(self, |pool| sqlx::query(sql)
                .execute(pool)
                .await?
                .rows_affected());
        }
        Ok(n)
    }

    /// Asks for a run of `store`. When the store already has an unfinished run, that run's id
    /// comes back with `false` and nothing is added.
    pub async fn request_run(
        &self,
        store: StoreId,
        kind: RunKind,
        window: Option<Window>,
        now: DateTime<Utc>,
    ) -> Result<(RunId, bool), StoreError> {
        // A store that is not active can't run.
        let info = self
            .get_store(store)
            .await?
            .ok_or(StoreError::NotFound("store"))?;
        if !info.active {
            return Err(StoreError::NotFound("active store"));
        }
        loop {
            if let Some(open) = self.open_run(store).await? {
                return Ok((open.id, false));
            }
            match self
                .insert_run(store, kind, RunStatus::Queued, window, None, now)
                .await
            {
                Ok(id) => return Ok((id, true)),
                // Another caller queued one between our look and our insert: return theirs.
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Starts a scheduled run of `store` (the caller holds its lease).
    pub async fn start_run(
        &self,
        store: StoreId,
        kind: RunKind,
        window: Window,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<RunId, StoreError> {
        self.insert_run(
            store,
            kind,
            RunStatus::Running,
            Some(window),
            Some(owner),
            now,
        )
        .await
    }

    async fn insert_run(
        &self,
        store: StoreId,
        kind: RunKind,
        status: RunStatus,
        window: Option<Window>,
        owner: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<RunId, StoreError> {
        let now = db_time(now);
        let started = (status == RunStatus::Running).then_some(now);
        let id: i64 = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "INSERT INTO sync_runs (store_id, kind, status, window_from, window_to, pages, \
                 orders_new, orders_changed, orders_unchanged, malformed, api_calls, throttles, \
                 errors, owner, requested_at, started_at) \
                 VALUES ($1, $2, $3, $4, $5, 0, 0, 0, 0, 0, 0, 0, 0, $6, $7, $8) RETURNING id",
            )
            .bind(store.0)
            .bind(kind.as_str())
            .bind(status.as_str())
            .bind(window.map(|w| db_time(w.from)))
            .bind(window.map(|w| db_time(w.to)))
            .bind(owner)
            .bind(now)
            .bind(started)
            .fetch_one(pool)
            .await
            .map_err(|e| StoreError::from(e).missing("store"))?
        });
        Ok(RunId(id))
    }

    /// Turns a queued run into a running one over `window`.
    pub async fn begin_run(
        &self,
        run: RunId,
        window: Window,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let n = on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE sync_runs SET status = 'running', window_from = $2, window_to = $3, \
                 owner = $4, started_at = $5 WHERE id = $1 AND status = 'queued'",
            )
            .bind(run.0)
            .bind(db_time(window.from))
            .bind(db_time(window.to))
            .bind(owner)
            .bind(db_time(now))
            .execute(pool)
            .await?
            .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::NotFound("queued run"));
        }
        Ok(())
    }

    /// Takes over a running run (resumed after a crash or by another replica).
    pub async fn adopt_run(&self, run: RunId, owner: &str) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE sync_runs SET owner = $2 WHERE id = $1 AND status = 'running'")
                .bind(run.0)
                .bind(owner)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    /// Records one committed page: the cursor to continue from and what the page added. Only
    /// the run's current owner checkpoints it; `NotFound` when the run was finished or taken
    /// over meanwhile.
    pub async fn checkpoint_run(
        &self,
        run: RunId,
        owner: &str,
        next_cursor: Option<&Cursor>,
        page: &PageProgress,
    ) -> Result<(), StoreError> {
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let updated = on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE sync_runs SET cursor = $2, pages = pages + 1, \
                 orders_new = orders_new + $3, orders_changed = orders_changed + $4, \
                 orders_unchanged = orders_unchanged + $5, malformed = malformed + $6, \
                 api_calls = api_calls + $7, throttles = throttles + $8, errors = errors + $9 \
                 WHERE id = $1 AND status = 'running' AND owner = $10",
            )
            .bind(run.0)
            .bind(next_cursor.map(|c| c.0.as_str()))
            .bind(n(page.orders_new))
            .bind(n(page.orders_changed))
            .bind(n(page.orders_unchanged))
            .bind(n(page.malformed))
            .bind(n(page.api_calls))
            .bind(n(page.throttles))
            .bind(n(page.errors))
            .bind(owner)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if updated == 0 {
            return Err(StoreError::NotFound("running run of this owner"));
        }
        Ok(())
    }

    /// Closes a run. `extra` counts calls made since the last checkpoint (the failing page).
    pub async fn finish_run(
        &self,
        run: RunId,
        status: RunStatus,
        error: Option<&str>,
        extra: &PageProgress,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let now = db_time(now);
        let started: Option<Option<DateTime<Utc>>> = on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT started_at FROM sync_runs WHERE id = $1")
                .bind(run.0)
                .fetch_optional(pool)
                .await?
        });
        let duration = started
            .flatten()
            .map(|s| (now - s).num_milliseconds().max(0));
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE sync_runs SET status = $2, error = $3, finished_at = $4, \
                 duration_ms = $5, cursor = NULL, api_calls = api_calls + $6, \
                 throttles = throttles + $7, errors = errors + $8 \
                 WHERE id = $1 AND status IN ('queued', 'running')",
            )
            .bind(run.0)
            .bind(status.as_str())
            .bind(error)
            .bind(now)
            .bind(duration)
            .bind(n(extra.api_calls))
            .bind(n(extra.throttles))
            .bind(n(extra.errors))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    /// The unfinished (queued or running) run of `store`, if any.
    pub async fn open_run(&self, store: StoreId) -> Result<Option<SyncRun>, StoreError> {
        let row: Option<RunRow> = on_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {RUN_COLUMNS} FROM sync_runs \
                 WHERE store_id = $1 AND status IN ('queued', 'running')"
            ))
            .bind(store.0)
            .fetch_optional(pool)
            .await?
        });
        row.map(RunRow::into_run).transpose()
    }

    pub async fn get_run(&self, run: RunId) -> Result<Option<SyncRun>, StoreError> {
        let row: Option<RunRow> = on_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {RUN_COLUMNS} FROM sync_runs WHERE id = $1"
            ))
            .bind(run.0)
            .fetch_optional(pool)
            .await?
        });
        row.map(RunRow::into_run).transpose()
    }

    /// The latest runs, newest first: of one store, or of one seller's stores, or all.
    pub async fn list_runs(
        &self,
        store: Option<StoreId>,
        seller: Option<SellerId>,
        limit: u32,
    ) -> Result<Vec<SyncRun>, StoreError> {
        let rows: Vec<RunRow> = on_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {RUN_COLUMNS} FROM sync_runs WHERE ($1 IS NULL OR store_id = $1) \
                 AND ($2 IS NULL OR store_id IN (SELECT id FROM stores WHERE seller_id = $2)) \
                 ORDER BY id DESC LIMIT $3"
            ))
            .bind(store.map(|s| s.0))
            .bind(seller.map(|s| s.0))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(RunRow::into_run).collect()
    }

    pub async fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT value FROM daemon_meta WHERE key = $1")
                .bind(key)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// Sets `key` unless it is set; returns the value now stored.
    pub async fn init_meta(&self, key: &str, value: &[u8]) -> Result<Vec<u8>, StoreError> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO daemon_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            )
            .bind(key)
            .bind(value)
            .execute(pool)
            .await?
            .rows_affected()
        });
        self.get_meta(key)
            .await?
            .ok_or(StoreError::NotFound("daemon_meta row"))
    }
}

/// Who an admin API token speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "scope", content = "id")]
pub enum TokenScope {
    /// The 3PL's staff: every seller; audits products, approves top-ups, sets credit limits.
    Operator,
    /// One seller: its stores, orders, products and account.
    Seller(SellerId),
    /// One warehouse's own systems: report labels, shipments and receipts for the
    /// documents addressed to that warehouse.
    Warehouse(WarehouseId),
}

impl OrderStore {
    /// Keeps a token's hash (the caller hashes; the token itself is never stored).
    pub async fn add_api_token(
        &self,
        scope: TokenScope,
        token_hash: &[u8],
        label: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (seller, warehouse, missing) = match scope {
            TokenScope::Operator => (None, None, "seller"),
            TokenScope::Seller(s) => (Some(s.0), None, "seller"),
            TokenScope::Warehouse(w) => (None, Some(w.0), "warehouse"),
        };
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO api_tokens (seller_id, warehouse_id, token_hash, label, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(seller)
            .bind(warehouse)
            .bind(token_hash)
            .bind(label)
            .bind(db_time(now))
            .execute(pool)
            .await
            .map_err(|e| StoreError::from(e).missing(missing))?
            .rows_affected()
        });
        Ok(())
    }

    /// The scope of the token with this hash; `None` for an unknown token.
    pub async fn token_scope(&self, token_hash: &[u8]) -> Result<Option<TokenScope>, StoreError> {
        let row: Option<(Option<i64>, Option<i64>)> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT seller_id, warehouse_id FROM api_tokens WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|ids| match ids {
            (Some(seller), _) => TokenScope::Seller(SellerId(seller)),
            (None, Some(warehouse)) => TokenScope::Warehouse(WarehouseId(warehouse)),
            (None, None) => TokenScope::Operator,
        }))
    }
}
