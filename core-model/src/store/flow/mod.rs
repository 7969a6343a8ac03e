//! The platform order's side of the OMS flow: warehouse and channel assignment, review, the
//! platform-label fetch, cancelling and moving back to Pending; and the fulfillment orders
//! review creates (see `fulfillment.rs`).
//!
//! Every step is one transaction that checks the order's flow status as it writes it, so a
//! pull or another replica changing the order meanwhile makes the step refuse rather than
//! overwrite.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::tx::{on_tx, Tx};
use super::{db_time, on_pool, HistoryKind, OrderId, OrderStore, StoreError};
use crate::fulfillment::{refusal, ChannelId, ChannelKind, FulfillmentId, WarehouseId};
use crate::order::{FlowStatus, NeutralStatus};
use crate::platform::{SellerId, StoreId};

mod fulfillment;
mod import;
mod labels;
mod review;

pub use fulfillment::{
    status_label, FulfillmentFilter, FulfillmentLine, FulfillmentOrder, FulfillmentPatch,
    NewFulfillment, NewFulfillmentLine, ShipReport, SubmitOutcome, SUBMIT_NO_STOCK,
    SUBMIT_ORDER_LEFT,
};
pub use import::FulfillmentImport;
pub use labels::{ClaimedLabel, LabelJob, LabelOutcome};
pub use review::ReviewOutcome;

/// Where a platform order stands in the OMS beyond its flow status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderFlow {
    pub order_id: OrderId,
    pub store_id: StoreId,
    pub seller_id: SellerId,
    pub flow_status: FlowStatus,
    pub warehouse_id: Option<WarehouseId>,
    pub channel_id: Option<ChannelId>,
    /// Why the order is in Exception.
    pub exception_reason: Option<String>,
    /// The platform-label fetch, for orders reviewed on a platform-label channel.
    pub label: Option<LabelJob>,
    /// Its fulfillment orders, newest first (earlier ones were cancelled).
    pub fulfillment_ids: Vec<FulfillmentId>,
}

/// The order row an OMS step reads first, locked for the step's transaction.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct FlowRow {
    pub(super) id: i64,
    pub(super) store_id: i64,
    pub(super) seller_id: i64,
    pub(super) platform_order_id: String,
    pub(super) status: String,
    pub(super) flow_status: String,
    pub(super) warehouse_id: Option<i64>,
    pub(super) channel_id: Option<i64>,
    pub(super) exception_reason: Option<String>,
    pub(super) ship_to: String,
}

pub(super) const FLOW_COLUMNS: &str = "o.id, o.store_id, s.seller_id, o.platform_order_id, \
    o.status, o.flow_status, o.warehouse_id, o.channel_id, o.exception_reason, o.ship_to";

impl FlowRow {
    pub(super) fn flow(&self) -> Result<FlowStatus, StoreError> {
        FlowStatus::parse(&self.flow_status)
            .ok_or_else(|| StoreError::corrupt("platform_orders.flow_status", "unknown status"))
    }
}

/// The order `id` if `seller` (when given) owns it; another seller's order is not found.
pub(super) async fn lock_order(
    tx: &mut Tx,
    id: OrderId,
    seller: Option<SellerId>,
) -> Result<FlowRow, StoreError> {
    let lock = tx.for_update_of("o");
    let row: Option<FlowRow> = on_tx!(tx, |c| {
        sqlx::query_as(&format!(
            "SELECT {FLOW_COLUMNS} FROM platform_orders o JOIN stores s ON s.id = o.store_id \
             WHERE o.id = $1{lock}"
        ))
        .bind(id.0)
        .fetch_optional(c)
        .await?
    });
    match row {
        Some(r) if seller.is_none_or(|s| s.0 == r.seller_id) => Ok(r),
        _ => Err(StoreError::NotFound("order")),
    }
}

/// Moves an order's flow from `from` to `to`, recording why. `exception` is the reason kept
/// on the order (cleared otherwise).
pub(super) async fn set_flow(
    tx: &mut Tx,
    order: i64,
    from: FlowStatus,
    to: FlowStatus,
    kind: HistoryKind,
    detail: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let exception = (to == FlowStatus::Exception).then_some(detail).flatten();
    let moved = on_tx!(tx, |c| {
        sqlx::query(
            "UPDATE platform_orders SET flow_status = $2, exception_reason = $3 \
             WHERE id = $1 AND flow_status = $4",
        )
        .bind(order)
        .bind(to.as_str())
        .bind(exception)
        .bind(from.as_str())
        .execute(c)
        .await?
        .rows_affected()
    });
    if moved != 1 {
        return Err(StoreError::Conflict(
            "the order changed meanwhile; try again",
        ));
    }
    record(tx, order, kind, Some(from), to, detail, now).await
}

pub(super) async fn record(
    tx: &mut Tx,
    order: i64,
    kind: HistoryKind,
    from: Option<FlowStatus>,
    to: FlowStatus,
    detail: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    on_tx!(tx, |c| {
        sqlx::query(
            "INSERT INTO order_history (order_id, at, kind, from_flow_status, to_flow_status, \
             detail) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(order)
        .bind(db_time(now))
        .bind(kind.as_str())
        .bind(from.map(FlowStatus::as_str))
        .bind(to.as_str())
        .bind(detail)
        .execute(c)
        .await?
        .rows_affected()
    });
    Ok(())
}

fn not_in(flow: FlowStatus, action: &str) -> StoreError {
    StoreError::refused(format!(
        "an order in {} cannot be {action}",
        flow_label(flow)
    ))
}

/// The flow status as the guide names it.
pub fn flow_label(flow: FlowStatus) -> &'static str {
    match flow {
        FlowStatus::Pending => "Pending",
        FlowStatus::WaitingForLabel => "Waiting for platform label (Fetching)",
        FlowStatus::Processing => "Processing",
        FlowStatus::Shipped => "Shipped",
        FlowStatus::Exception => "Exception",
        FlowStatus::Cancelled => "Cancelled",
        FlowStatus::Other => "Other (not for fulfillment)",
    }
}

impl OrderStore {
    /// Assigns the fulfillment warehouse and shipping channel of a Pending order. The channel
    /// must belong to the warehouse.
    pub async fn assign_order(
        &self,
        order: OrderId,
        seller: Option<SellerId>,
        warehouse: WarehouseId,
        channel: ChannelId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut out = self
            .assign_orders(&[order], seller, warehouse, channel, now)
            .await?;
        match out.pop() {
            Some((_, Err(e))) => Err(e),
            _ => Ok(()),
        }
    }

    /// [`OrderStore::assign_order`] for many orders, a few hundred per transaction: one
    /// result per order, in order; an order that is not Pending (or not the seller's) is
    /// refused and left alone.
    pub async fn assign_orders(
        &self,
        orders: &[OrderId],
        seller: Option<SellerId>,
        warehouse: WarehouseId,
        channel: ChannelId,
        now: DateTime<Utc>,
    ) -> Result<Vec<(OrderId, Result<(), StoreError>)>, StoreError> {
        self.check_channel(warehouse, channel).await?;
        let detail = format!("warehouse {warehouse}, channel {channel}");
        let mut out = Vec::with_capacity(orders.len());
        for chunk in orders.chunks(500) {
            let mut tx = self.write_tx().await?;
            let mut assigned = Vec::new();
            for id in chunk {
                let row = match lock_order(&mut tx, *id, seller).await {
                    Ok(row) => row,
                    Err(e @ StoreError::NotFound(_)) => {
                        out.push((*id, Err(e)));
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                let flow = row.flow()?;
                if flow != FlowStatus::Pending {
                    out.push((*id, Err(not_in(flow, "assigned a warehouse"))));
                    continue;
                }
                on_tx!(&mut tx, |c| {
                    sqlx::query(
                        "UPDATE platform_orders SET warehouse_id = $2, channel_id = $3 \
                         WHERE id = $1",
                    )
                    .bind(row.id)
                    .bind(warehouse.0)
                    .bind(channel.0)
                    .execute(c)
                    .await?
                    .rows_affected()
                });
                assigned.push(row.id);
                out.push((*id, Ok(())));
            }
            for part in assigned.chunks(1000) {
                on_tx!(&mut tx, |c| {
                    let mut q = sqlx::QueryBuilder::new(
                        "INSERT INTO order_history (order_id, at, kind, from_flow_status, \
                         to_flow_status, detail) ",
                    );
                    q.push_values(part, |mut b, order| {
                        b.push_bind(*order)
                            .push_bind(db_time(now))
                            .push_bind(HistoryKind::Assigned.as_str())
                            .push_bind(FlowStatus::Pending.as_str())
                            .push_bind(FlowStatus::Pending.as_str())
                            .push_bind(detail.as_str());
                    });
                    q.build().execute(c).await?.rows_affected()
                });
            }
            tx.commit().await?;
        }
        Ok(out)
    }

    /// The channel exists and belongs to the warehouse.
    async fn check_channel(
        &self,
        warehouse: WarehouseId,
        channel: ChannelId,
    ) -> Result<(), StoreError> {
        let channel_warehouse = self.get_channel(channel).await?.map(|c| c.warehouse_id.0);
        match channel_warehouse {
            None => Err(StoreError::NotFound("shipping channel")),
            Some(w) if w != warehouse.0 => Err(StoreError::invalid(
                "the shipping channel belongs to another warehouse",
            )),
            Some(_) => Ok(()),
        }
    }

    /// Cancels an order in the OMS: Pending, Waiting for label, Processing (its fulfillment
    /// order is cancelled and reserved stock released; a shipped one cannot be) or Exception.
    pub async fn cancel_order(
        &self,
        order: OrderId,
        seller: Option<SellerId>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let row = lock_order(&mut tx, order, seller).await?;
        let flow = row.flow()?;
        if !matches!(
            flow,
            FlowStatus::Pending
                | FlowStatus::WaitingForLabel
                | FlowStatus::Processing
                | FlowStatus::Exception
        ) {
            return Err(not_in(flow, "cancelled"));
        }
        fulfillment::cancel_for_order(&mut tx, row.id, now).await?;
        on_tx!(&mut tx, |c| {
            sqlx::query(
                "UPDATE label_jobs SET status = 'failed', last_error = 'order cancelled', \
                 finished_at = $2 WHERE order_id = $1 AND status = 'pending'",
            )
            .bind(row.id)
            .bind(db_time(now))
            .execute(c)
            .await?
            .rows_affected()
        });
        set_flow(
            &mut tx,
            row.id,
            flow,
            FlowStatus::Cancelled,
            HistoryKind::Cancelled,
            None,
            now,
        )
        .await?;
        tx.commit().await
    }

    /// Moves a cancelled order back to Pending, to be edited and reviewed again. An order the
    /// platform itself cancelled stays cancelled: the guide's "Failed to move to pending,
    /// please update order info in store".
    pub async fn move_to_pending(
        &self,
        order: OrderId,
        seller: Option<SellerId>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let row = lock_order(&mut tx, order, seller).await?;
        let flow = row.flow()?;
        match flow {
            FlowStatus::Cancelled => {}
            FlowStatus::Exception => {
                return Err(StoreError::refused(
                    "an order in Exception can only be cancelled; cancel it, then move it to \
                     Pending",
                ))
            }
            other => return Err(not_in(other, "moved to Pending")),
        }
        if NeutralStatus::parse(&row.status) != Some(NeutralStatus::AwaitingFulfillment) {
            return Err(StoreError::refused(refusal::UPDATE_IN_STORE));
        }
        set_flow(
            &mut tx,
            row.id,
            flow,
            FlowStatus::Pending,
            HistoryKind::MovedToPending,
            None,
            now,
        )
        .await?;
        tx.commit().await
    }

    /// The OMS side of one order; `None` when it does not exist or `seller` does not own it.
    pub async fn order_flow(
        &self,
        order: OrderId,
        seller: Option<SellerId>,
    ) -> Result<Option<OrderFlow>, StoreError> {
        let mut tx = self.read_tx().await?;
        let row: Option<FlowRow> = on_tx!(&mut tx, |c| {
            sqlx::query_as(&format!(
                "SELECT {FLOW_COLUMNS} FROM platform_orders o JOIN stores s ON s.id = o.store_id \
                 WHERE o.id = $1"
            ))
            .bind(order.0)
            .fetch_optional(c)
            .await?
        });
        let Some(row) = row.filter(|r| seller.is_none_or(|s| s.0 == r.seller_id)) else {
            return Ok(None);
        };
        let label = labels::job_of(&mut tx, row.id).await?;
        let fulfillment_ids: Vec<i64> = on_tx!(&mut tx, |c| {
            sqlx::query_scalar(
                "SELECT id FROM fulfillment_orders WHERE order_id = $1 ORDER BY id DESC",
            )
            .bind(row.id)
            .fetch_all(c)
            .await?
        });
        Ok(Some(OrderFlow {
            order_id: OrderId(row.id),
            store_id: StoreId(row.store_id),
            seller_id: SellerId(row.seller_id),
            flow_status: row.flow()?,
            warehouse_id: row.warehouse_id.map(WarehouseId),
            channel_id: row.channel_id.map(ChannelId),
            exception_reason: row.exception_reason,
            label,
            fulfillment_ids: fulfillment_ids.into_iter().map(FulfillmentId).collect(),
        }))
    }

    /// "Auto-submit to warehouse after review" for one seller.
    pub async fn set_auto_submit(&self, seller: SellerId, on: bool) -> Result<(), StoreError> {
        let n = on_pool!(self, |pool| {
            sqlx::query("UPDATE sellers SET auto_submit = $2 WHERE id = $1")
                .bind(seller.0)
                .bind(on)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::NotFound("seller"));
        }
        Ok(())
    }

    pub async fn auto_submit(&self, seller: SellerId) -> Result<bool, StoreError> {
        let on: Option<bool> = on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT auto_submit FROM sellers WHERE id = $1")
                .bind(seller.0)
                .fetch_optional(pool)
                .await?
        });
        on.ok_or(StoreError::NotFound("seller"))
    }
}

/// A channel's warehouse and kind, read inside a step; `None` for no such channel.
pub(super) async fn channel_in(
    tx: &mut Tx,
    channel: i64,
) -> Result<Option<(i64, ChannelKind)>, StoreError> {
    let row: Option<(i64, String)> = on_tx!(tx, |c| {
        sqlx::query_as("SELECT warehouse_id, kind FROM shipping_channels WHERE id = $1")
            .bind(channel)
            .fetch_optional(c)
            .await?
    });
    row.map(|(warehouse, kind)| {
        ChannelKind::parse(&kind)
            .map(|k| (warehouse, k))
            .ok_or_else(|| StoreError::corrupt("shipping_channels.kind", "unknown kind"))
    })
    .transpose()
}
