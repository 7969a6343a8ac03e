//! Platform-label fetches: review queues one per order on a platform-label channel; the daemon
//! claims due ones, calls the connector, and records the outcome here. A fetched label becomes
//! the fulfillment order's document and the order moves to Processing; a permanent refusal
//! moves the order to Exception with the platform's reason.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::super::tx::{on_tx, Tx};
use super::super::{db_time, on_pool, HistoryKind, OrderId, OrderStore, StoreError};
use super::fulfillment::store_document;
use super::set_flow;
use crate::fulfillment::{FulfillmentId, FulfillmentStatus};
use crate::marketplace::{Label, LabelSpec, Parcel, ShipFrom};
use crate::order::Address;
use crate::order::FlowStatus;
use crate::platform::StoreId;

/// A product's weight (g), length, width and height (mm), as measured.
type Measures = (Option<i64>, Option<i64>, Option<i64>, Option<i64>);

/// One order's label fetch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelJob {
    pub order_id: OrderId,
    /// pending | done | failed
    pub status: String,
    pub attempts: i64,
    /// When the next attempt is due (pending fetches).
    pub next_attempt: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// A claimed fetch, for the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedLabel {
    pub order_id: OrderId,
    pub store_id: StoreId,
    pub attempts: i64,
}

/// How a fetch attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum LabelOutcome {
    Fetched(Label),
    /// Try again at `at` (throttled, a network fault, a token to refresh, label not ready).
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    /// The platform refused for good: the order goes to Exception with this reason.
    Failed {
        error: String,
    },
}

#[derive(sqlx::FromRow)]
struct JobRow {
    order_id: i64,
    status: String,
    attempts: i64,
    next_attempt_ms: i64,
    last_error: Option<String>,
}

pub(super) async fn job_of(tx: &mut Tx, order: i64) -> Result<Option<LabelJob>, StoreError> {
    let row: Option<JobRow> = on_tx!(tx, |c| {
        sqlx::query_as(
            "SELECT order_id, status, attempts, next_attempt_ms, last_error FROM label_jobs \
             WHERE order_id = $1",
        )
        .bind(order)
        .fetch_optional(c)
        .await?
    });
    Ok(row.map(|r| LabelJob {
        order_id: OrderId(r.order_id),
        next_attempt: (r.status == "pending")
            .then(|| DateTime::from_timestamp_millis(r.next_attempt_ms))
            .flatten(),
        status: r.status,
        attempts: r.attempts,
        last_error: r.last_error,
    }))
}

impl OrderStore {
    /// Claims up to `limit` label fetches due at `now` for `owner` until `now + ttl`.
    pub async fn claim_label_jobs(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        ttl: TimeDelta,
        limit: usize,
    ) -> Result<Vec<ClaimedLabel>, StoreError> {
        const DUE: &str = "SELECT order_id FROM label_jobs WHERE status = 'pending' \
             AND next_attempt_ms <= $2 AND (claim_expires_ms IS NULL OR claim_expires_ms < $2) \
             ORDER BY next_attempt_ms, order_id LIMIT $4";
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let lock = match &self.backend {
            super::super::Backend::Sqlite(_) => "",
            super::super::Backend::Postgres(_) => " FOR UPDATE SKIP LOCKED",
        };
        let sql = format!(
            "UPDATE label_jobs SET claimed_by = $1, claim_expires_ms = $3 \
             WHERE order_id IN ({DUE}{lock}) RETURNING order_id, attempts, next_attempt_ms"
        );
        let mut rows: Vec<(i64, i64, i64)> = on_pool!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(owner)
                .bind(now.timestamp_millis())
                .bind((now + ttl).timestamp_millis())
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        rows.sort_unstable_by_key(|&(order, _, due)| (due, order));
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let stores: Vec<(i64, i64)> = on_pool!(self, |pool| {
            let mut q =
                sqlx::QueryBuilder::new("SELECT id, store_id FROM platform_orders WHERE id IN (");
            let mut list = q.separated(", ");
            for (order, _, _) in &rows {
                list.push_bind(*order);
            }
            q.push(")");
            q.build_query_as().fetch_all(pool).await?
        });
        let store_of: std::collections::HashMap<i64, i64> = stores.into_iter().collect();
        let mut out = Vec::with_capacity(rows.len());
        for (order, attempts, _) in rows {
            let store = store_of
                .get(&order)
                .copied()
                .ok_or(StoreError::NotFound("order"))?;
            out.push(ClaimedLabel {
                order_id: OrderId(order),
                store_id: StoreId(store),
                attempts,
            });
        }
        Ok(out)
    }

    /// Records how `owner`'s fetch for `order` ended. A fetched label creates the
    /// fulfillment order (Draft, Pending submit) and moves the order to Processing; a
    /// permanent failure moves it to Exception. Returns the fulfillment order created. A
    /// claim that was lost (expired and taken) records nothing.
    pub async fn finish_label_job(
        &self,
        order: OrderId,
        owner: &str,
        outcome: &LabelOutcome,
        now: DateTime<Utc>,
    ) -> Result<Option<FulfillmentId>, StoreError> {
        let mut tx = self.write_tx().await?;
        let lock = tx.for_update();
        let job: Option<(String, i64, String)> = on_tx!(&mut tx, |c| {
            sqlx::query_as(&format!(
                "SELECT status, attempts, lines FROM label_jobs \
                 WHERE order_id = $1 AND claimed_by = $2{lock}"
            ))
            .bind(order.0)
            .bind(owner)
            .fetch_optional(c)
            .await?
        });
        let Some((status, attempts, lines)) = job else {
            return Ok(None);
        };
        if status != "pending" {
            return Ok(None);
        }
        let at = db_time(now);
        let flow: String = on_tx!(&mut tx, |c| {
            sqlx::query_scalar("SELECT flow_status FROM platform_orders WHERE id = $1")
                .bind(order.0)
                .fetch_one(c)
                .await?
        });
        let waiting = FlowStatus::parse(&flow) == Some(FlowStatus::WaitingForLabel);
        let mut created = None;
        let (job_status, error, next_ms) = match outcome {
            LabelOutcome::Retry { at: due, error } => {
                ("pending", Some(error.as_str()), due.timestamp_millis())
            }
            // The order moved on meanwhile (cancelled on the platform, cancelled here).
            _ if !waiting => ("failed", Some("the order no longer waits for its label"), 0),
            LabelOutcome::Failed { error } => {
                set_flow(
                    &mut tx,
                    order.0,
                    FlowStatus::WaitingForLabel,
                    FlowStatus::Exception,
                    HistoryKind::LabelFailed,
                    Some(error),
                    now,
                )
                .await?;
                ("failed", Some(error.as_str()), 0)
            }
            LabelOutcome::Fetched(label) => {
                let lines: Vec<(i64, i64)> = serde_json::from_str(&lines)
                    .map_err(|e| StoreError::corrupt("label_jobs.lines", e))?;
                let format = serde_json::to_value(label.format)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_else(|| "pdf".to_owned());
                let document = store_document(
                    &mut tx,
                    "platform_label",
                    &format,
                    &label.bytes,
                    label.tracking_number.as_deref(),
                    label.carrier.as_deref(),
                    now,
                )
                .await?;
                let fo: i64 = on_tx!(&mut tx, |c| {
                    sqlx::query_scalar(
                        "INSERT INTO fulfillment_orders (seller_id, order_id, reference, \
                         warehouse_id, channel_id, status, ship_to, carrier_code, \
                         tracking_number, label_document_id, pending_submit_ms, created_at, \
                         updated_at) \
                         SELECT s.seller_id, o.id, o.platform_order_id, o.warehouse_id, \
                         o.channel_id, $2, o.ship_to, $3, $4, $5, $6, $7, $7 \
                         FROM platform_orders o JOIN stores s ON s.id = o.store_id \
                         WHERE o.id = $1 RETURNING id",
                    )
                    .bind(order.0)
                    .bind(FulfillmentStatus::DraftPendingSubmit.as_str())
                    .bind(label.carrier.as_deref())
                    .bind(label.tracking_number.as_deref())
                    .bind(document.0)
                    .bind(now.timestamp_millis())
                    .bind(at)
                    .fetch_one(c)
                    .await?
                });
                for (n, (product, quantity)) in lines.iter().enumerate() {
                    on_tx!(&mut tx, |c| {
                        sqlx::query(
                            "INSERT INTO fulfillment_lines (fulfillment_id, line_no, \
                             product_id, quantity) VALUES ($1, $2, $3, $4)",
                        )
                        .bind(fo)
                        .bind(i64::try_from(n + 1).unwrap_or(i64::MAX))
                        .bind(*product)
                        .bind(*quantity)
                        .execute(c)
                        .await?
                        .rows_affected()
                    });
                }
                set_flow(
                    &mut tx,
                    order.0,
                    FlowStatus::WaitingForLabel,
                    FlowStatus::Processing,
                    HistoryKind::LabelFetched,
                    None,
                    now,
                )
                .await?;
                created = Some(FulfillmentId(fo));
                ("done", None, 0)
            }
        };
        let attempts = attempts + 1;
        on_tx!(&mut tx, |c| {
            sqlx::query(
                "UPDATE label_jobs SET status = $2, attempts = $3, next_attempt_ms = $4, \
                 last_error = $5, claimed_by = NULL, claim_expires_ms = NULL, \
                 finished_at = CASE WHEN $2 = 'pending' THEN NULL ELSE $6 END \
                 WHERE order_id = $1",
            )
            .bind(order.0)
            .bind(job_status)
            .bind(attempts)
            .bind(next_ms)
            .bind(error)
            .bind(at)
            .execute(c)
            .await?
            .rows_affected()
        });
        tx.commit().await?;
        Ok(created)
    }

    /// What the platform needs to sell the label of `order`: the assigned warehouse's address
    /// as ship-from, and one parcel from the products review put on it (weights added,
    /// heights stacked, the largest length and width), when the warehouse measured them all.
    /// Platforms that print their own labels ignore it.
    pub async fn label_spec(&self, order: OrderId) -> Result<LabelSpec, StoreError> {
        let mut tx = self.read_tx().await?;
        let row: Option<(Option<String>, Option<String>, Option<String>)> = on_tx!(&mut tx, |c| {
            sqlx::query_as(
                "SELECT w.address, w.email, j.lines FROM platform_orders o \
                 LEFT JOIN warehouses w ON w.id = o.warehouse_id \
                 LEFT JOIN label_jobs j ON j.order_id = o.id WHERE o.id = $1",
            )
            .bind(order.0)
            .fetch_optional(c)
            .await?
        });
        let Some((address, email, lines)) = row else {
            return Err(StoreError::NotFound("order"));
        };
        let ship_from = address
            .map(|a| serde_json::from_str::<Address>(&a))
            .transpose()
            .map_err(|e| StoreError::corrupt("warehouses.address", e))?
            .map(|address| ShipFrom { address, email });
        let lines: Vec<(i64, i64)> = match lines {
            Some(l) => {
                serde_json::from_str(&l).map_err(|e| StoreError::corrupt("label_jobs.lines", e))?
            }
            None => Vec::new(),
        };
        let mut parcel = (!lines.is_empty()).then(Parcel::default);
        for (product, quantity) in &lines {
            let dims: Option<Measures> = on_tx!(&mut tx, |c| {
                sqlx::query_as(
                    "SELECT weight_g, length_mm, width_mm, height_mm FROM products \
                         WHERE id = $1",
                )
                .bind(*product)
                .fetch_optional(c)
                .await?
            });
            parcel = match (parcel, dims) {
                (Some(p), Some((Some(g), Some(l), Some(w), Some(h)))) => {
                    let q = *quantity as f64;
                    Some(Parcel {
                        weight_g: p.weight_g + g as f64 * q,
                        length_cm: p.length_cm.max(l as f64 / 10.0),
                        width_cm: p.width_cm.max(w as f64 / 10.0),
                        height_cm: p.height_cm + h as f64 / 10.0 * q,
                    })
                }
                _ => None,
            };
        }
        Ok(LabelSpec {
            ship_from,
            parcel,
            service: None,
            format: None,
        })
    }

    /// Label fetches waiting, for the backlog gauge.
    pub async fn label_backlog(&self) -> Result<u64, StoreError> {
        let n: i64 = on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM label_jobs WHERE status = 'pending'")
                .fetch_one(pool)
                .await?
        });
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
