//! Orders a connector could not read: kept raw and flagged, so nothing a platform sent is lost.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};

use super::{db_time, on_pool, Begin, OrderStore, StoreError};
use crate::marketplace::MalformedOrder;
use crate::platform::StoreId;

/// A flagged order as stored.
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredMalformed {
    pub platform_order_id: Option<String>,
    /// The payload exactly as received.
    pub raw: String,
    /// Why it could not be read.
    pub error: String,
    /// The error's kind (`malformed`, ...).
    pub kind: String,
    /// When it was last received.
    pub received_at: DateTime<Utc>,
}

// The raw payload holds the buyer's address: Debug shows its size only.
impl fmt::Debug for StoredMalformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredMalformed")
            .field("platform_order_id", &self.platform_order_id)
            .field("raw_bytes", &self.raw.len())
            .field("error", &self.error)
            .field("kind", &self.kind)
            .field("received_at", &self.received_at)
            .finish()
    }
}

impl OrderStore {
    /// Keeps `store`'s unreadable orders raw. An order whose id is known replaces its earlier
    /// copy, so re-pulls do not pile up; one without an id is always added. Returns the rows
    /// written.
    pub async fn record_malformed(
        &self,
        store: StoreId,
        orders: &[MalformedOrder],
    ) -> Result<u64, StoreError> {
        // Most pages have none: no transaction (on SQLite, no wait for the write lock).
        if orders.is_empty() {
            return Ok(0);
        }
        // The last copy of each known id wins: one statement may not upsert a row twice.
        let mut last: HashMap<&str, usize> = HashMap::new();
        for (i, m) in orders.iter().enumerate() {
            if let Some(id) = &m.platform_order_id {
                last.insert(id, i);
            }
        }
        let keep = orders.iter().enumerate().filter(|(i, m)| {
            m.platform_order_id
                .as_deref()
                .is_none_or(|id| last.get(id) == Some(i))
        });
        let now = db_time(Utc::now());

        let written: Result<u64, StoreError> = on_pool!(self, |pool| async {
            let mut tx = pool.begin_write().await?;
            let mut rows = 0;
            for (_, m) in keep {
                rows += sqlx::query(
                    "INSERT INTO malformed_orders \
                     (store_id, platform_order_id, raw, error, kind, received_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (store_id, platform_order_id) DO UPDATE SET \
                     raw = excluded.raw, error = excluded.error, kind = excluded.kind, \
                     received_at = excluded.received_at",
                )
                .bind(store.0)
                .bind(m.platform_order_id.as_deref())
                .bind(m.raw.as_str())
                .bind(m.error.to_string())
                .bind(m.error.kind().as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            tx.commit().await?;
            Ok(rows)
        }
        .await);
        written.map_err(|e| e.missing("store"))
    }

    /// `store`'s flagged orders, oldest first.
    pub async fn malformed_orders(
        &self,
        store: StoreId,
    ) -> Result<Vec<StoredMalformed>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT platform_order_id, raw, error, kind, received_at FROM malformed_orders \
                 WHERE store_id = $1 ORDER BY id",
            )
            .bind(store.0)
            .fetch_all(pool)
            .await?
        }))
    }
}
