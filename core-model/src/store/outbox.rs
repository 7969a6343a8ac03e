//! The tracking-upload outbox: a shipment is written here when it ships, and the daemon
//! confirms it to the platform, retrying until the platform accepts or refuses for good. Rows
//! stay as each order's upload status. Replicas claim rows the way they claim stores.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::tx::{on_tx, Tx};
use super::{db_time, on_pool, OrderStore, StoreError};
use crate::marketplace::Shipment;
use crate::platform::StoreId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadStatus {
    Pending,
    Uploaded,
    /// The platform refused it for good; `last_error` says why.
    Failed,
}

impl UploadStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UploadStatus::Pending => "pending",
            UploadStatus::Uploaded => "uploaded",
            UploadStatus::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => UploadStatus::Pending,
            "uploaded" => UploadStatus::Uploaded,
            "failed" => UploadStatus::Failed,
            _ => return None,
        })
    }
}

/// One shipment in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackingUpload {
    pub id: i64,
    pub store_id: StoreId,
    pub shipment: Shipment,
    pub status: UploadStatus,
    pub attempts: i64,
    pub next_attempt: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// The platform said it already had this shipment.
    pub already_confirmed: Option<bool>,
    pub created_at: DateTime<Utc>,
    pub uploaded_at: Option<DateTime<Utc>>,
}

/// How an upload attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum UploadOutcome {
    Uploaded {
        already_confirmed: bool,
    },
    /// Try again at `at` (throttled, a network fault, a token to refresh).
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    Failed {
        error: String,
    },
}

#[derive(sqlx::FromRow)]
struct UploadRow {
    id: i64,
    store_id: i64,
    shipment: String,
    status: String,
    attempts: i64,
    next_attempt_ms: i64,
    last_error: Option<String>,
    already_confirmed: Option<bool>,
    created_at: DateTime<Utc>,
    uploaded_at: Option<DateTime<Utc>>,
}

const UPLOAD_COLUMNS: &str = "id, store_id, shipment, status, attempts, next_attempt_ms, \
     last_error, already_confirmed, created_at, uploaded_at";

impl UploadRow {
    fn into_upload(self) -> Result<TrackingUpload, StoreError> {
        let status = UploadStatus::parse(&self.status)
            .ok_or_else(|| StoreError::corrupt("tracking_outbox.status", "unknown status"))?;
        Ok(TrackingUpload {
            id: self.id,
            store_id: StoreId(self.store_id),
            shipment: serde_json::from_str(&self.shipment)
                .map_err(|e| StoreError::corrupt("tracking_outbox.shipment", e))?,
            status,
            attempts: self.attempts,
            next_attempt: (status == UploadStatus::Pending)
                .then(|| DateTime::from_timestamp_millis(self.next_attempt_ms))
                .flatten(),
            last_error: self.last_error,
            already_confirmed: self.already_confirmed,
            created_at: self.created_at,
            uploaded_at: self.uploaded_at,
        })
    }
}

impl OrderStore {
    /// Puts a shipment in the outbox, due now. The same package of the same order is kept
    /// once: enqueueing it again returns the existing row's id with `false`.
    pub async fn enqueue_tracking(
        &self,
        store: StoreId,
        shipment: &Shipment,
        now: DateTime<Utc>,
    ) -> Result<(i64, bool), StoreError> {
        let mut tx = self.write_tx().await?;
        let queued = enqueue_in(&mut tx, store, shipment, now).await?;
        tx.commit().await?;
        Ok(queued)
    }

    /// Claims up to `limit` pending uploads due at `now` for `owner` until `now + ttl`, oldest
    /// due first.
    pub async fn claim_tracking_uploads(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        ttl: TimeDelta,
        limit: usize,
    ) -> Result<Vec<TrackingUpload>, StoreError> {
        const DUE: &str = "SELECT id FROM tracking_outbox WHERE status = 'pending' \
             AND next_attempt_ms <= $2 AND (claim_expires_ms IS NULL OR claim_expires_ms < $2) \
             ORDER BY next_attempt_ms, id LIMIT $4";
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let lock = match &self.backend {
            super::Backend::Sqlite(_) => "",
            super::Backend::Postgres(_) => " FOR UPDATE SKIP LOCKED",
        };
        let sql = format!(
            "UPDATE tracking_outbox SET claimed_by = $1, claim_expires_ms = $3 \
             WHERE id IN ({DUE}{lock}) RETURNING {UPLOAD_COLUMNS}"
        );
        let mut rows: Vec<UploadRow> = on_pool!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(owner)
                .bind(now.timestamp_millis())
                .bind((now + ttl).timestamp_millis())
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        rows.sort_unstable_by_key(|r| (r.next_attempt_ms, r.id));
        rows.into_iter().map(UploadRow::into_upload).collect()
    }

    /// Records how `owner`'s attempt at upload `id` ended and gives up the claim.
    pub async fn finish_tracking_upload(
        &self,
        id: i64,
        owner: &str,
        outcome: &UploadOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (status, next_ms, error, already, uploaded) = match outcome {
            UploadOutcome::Uploaded { already_confirmed } => (
                UploadStatus::Uploaded,
                now.timestamp_millis(),
                None,
                Some(*already_confirmed),
                Some(db_time(now)),
            ),
            UploadOutcome::Retry { at, error } => (
                UploadStatus::Pending,
                at.timestamp_millis(),
                Some(error.as_str()),
                None,
                None,
            ),
            UploadOutcome::Failed { error } => (
                UploadStatus::Failed,
                now.timestamp_millis(),
                Some(error.as_str()),
                None,
                None,
            ),
        };
        let n = on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE tracking_outbox SET status = $3, attempts = attempts + 1, \
                 next_attempt_ms = $4, last_error = $5, already_confirmed = $6, uploaded_at = $7, \
                 claimed_by = NULL, claim_expires_ms = NULL \
                 WHERE id = $1 AND claimed_by = $2",
            )
            .bind(id)
            .bind(owner)
            .bind(status.as_str())
            .bind(next_ms)
            .bind(error)
            .bind(already)
            .bind(uploaded)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::NotFound(
                "tracking upload claimed by this owner",
            ));
        }
        Ok(())
    }

    /// Shipments not yet accepted by their platform.
    pub async fn tracking_backlog(&self) -> Result<u64, StoreError> {
        let n: i64 = on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM tracking_outbox WHERE status = 'pending'")
                .fetch_one(pool)
                .await?
        });
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The uploads of one order (its upload status), oldest first.
    pub async fn tracking_uploads(
        &self,
        store: StoreId,
        platform_order_id: &str,
    ) -> Result<Vec<TrackingUpload>, StoreError> {
        let rows: Vec<UploadRow> = on_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {UPLOAD_COLUMNS} FROM tracking_outbox \
                 WHERE store_id = $1 AND platform_order_id = $2 ORDER BY id"
            ))
            .bind(store.0)
            .bind(platform_order_id)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(UploadRow::into_upload).collect()
    }
}

/// [`OrderStore::enqueue_tracking`] inside the caller's transaction: the shipment and its
/// upload commit together.
pub(crate) async fn enqueue_in(
    tx: &mut Tx,
    store: StoreId,
    shipment: &Shipment,
    now: DateTime<Utc>,
) -> Result<(i64, bool), StoreError> {
    let body = serde_json::to_string(shipment)
        .map_err(|e| StoreError::corrupt("tracking_outbox.shipment", e))?;
    let inserted: Option<i64> = on_tx!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO tracking_outbox (store_id, platform_order_id, package_ref, shipment, \
             status, attempts, next_attempt_ms, created_at) \
             VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6) \
             ON CONFLICT (store_id, platform_order_id, package_ref) DO NOTHING RETURNING id",
        )
        .bind(store.0)
        .bind(&shipment.platform_order_id)
        .bind(&shipment.package_ref)
        .bind(&body)
        .bind(now.timestamp_millis())
        .bind(db_time(now))
        .fetch_optional(c)
        .await
        .map_err(|e| StoreError::from(e).missing("store"))?
    });
    if let Some(id) = inserted {
        return Ok((id, true));
    }
    let id: i64 = on_tx!(tx, |c| {
        sqlx::query_scalar(
            "SELECT id FROM tracking_outbox \
             WHERE store_id = $1 AND platform_order_id = $2 AND package_ref = $3",
        )
        .bind(store.0)
        .bind(&shipment.platform_order_id)
        .bind(&shipment.package_ref)
        .fetch_one(c)
        .await?
    });
    Ok((id, false))
}
