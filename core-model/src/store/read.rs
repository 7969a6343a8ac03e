//! Reading orders back: one order with its lines and flow status, its history, counts.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use super::{on_pool, Begin, OrderId, OrderStore, StoreError};
use crate::order::{FlowStatus, NeutralStatus, OrderLine, PlatformOrder};
use crate::platform::{Platform, StoreId};

/// An order as stored: the neutral order, where it stands in the local flow, and when we saw
/// it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredOrder {
    pub id: OrderId,
    pub order: PlatformOrder,
    pub flow_status: FlowStatus,
    /// When a pull first brought the order.
    pub first_seen_at: DateTime<Utc>,
    /// When a pull last changed the stored order.
    pub last_changed_at: DateTime<Utc>,
}

/// What caused a history entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HistoryKind {
    /// A pull brought the order for the first time.
    Created,
    /// A pull brought a newer version of the order.
    PlatformUpdate,
    /// A warehouse and shipping channel were assigned.
    Assigned,
    /// Review passed: a fulfillment order or a platform-label fetch followed.
    Reviewed,
    /// The platform label arrived and the fulfillment order was created.
    LabelFetched,
    /// The platform refused the label for good.
    LabelFailed,
    /// Cancelled in the OMS.
    Cancelled,
    /// Moved back to Pending to be edited and reviewed again.
    MovedToPending,
    /// Its fulfillment order shipped.
    Shipped,
}

impl HistoryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryKind::Created => "created",
            HistoryKind::PlatformUpdate => "platform_update",
            HistoryKind::Assigned => "assigned",
            HistoryKind::Reviewed => "reviewed",
            HistoryKind::LabelFetched => "label_fetched",
            HistoryKind::LabelFailed => "label_failed",
            HistoryKind::Cancelled => "cancelled",
            HistoryKind::MovedToPending => "moved_to_pending",
            HistoryKind::Shipped => "shipped",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "created" => HistoryKind::Created,
            "platform_update" => HistoryKind::PlatformUpdate,
            "assigned" => HistoryKind::Assigned,
            "reviewed" => HistoryKind::Reviewed,
            "label_fetched" => HistoryKind::LabelFetched,
            "label_failed" => HistoryKind::LabelFailed,
            "cancelled" => HistoryKind::Cancelled,
            "moved_to_pending" => HistoryKind::MovedToPending,
            "shipped" => HistoryKind::Shipped,
            _ => return None,
        })
    }
}

/// One change to an order, oldest first in [`OrderStore::order_history`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// When we recorded the change.
    pub at: DateTime<Utc>,
    pub kind: HistoryKind,
    /// The flow status before the change; `None` for a new order.
    pub from_flow_status: Option<FlowStatus>,
    pub to_flow_status: FlowStatus,
    /// The platform's status and update time the change came with, for pulled changes.
    pub platform_status: Option<String>,
    pub platform_updated_at: Option<DateTime<Utc>>,
    /// Why, where the flow moved for a reason a person should see ("cancelled on platform").
    pub detail: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(super) struct OrderRow {
    pub(super) id: i64,
    store_id: i64,
    platform: String,
    platform_order_id: String,
    platform_status: String,
    status: String,
    flow_status: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    currency: String,
    buyer_name: Option<String>,
    ship_to: String,
    platform_label_hint: bool,
    raw: String,
    first_seen_at: DateTime<Utc>,
    last_changed_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(super) struct LineRow {
    line_id: Option<String>,
    platform_sku: String,
    platform_item_id: Option<String>,
    platform_variant_id: Option<String>,
    title: Option<String>,
    quantity: i64,
    unit_price: String,
}

#[derive(sqlx::FromRow)]
struct HistoryRow {
    at: DateTime<Utc>,
    kind: String,
    from_flow_status: Option<String>,
    to_flow_status: String,
    platform_status: Option<String>,
    platform_updated_at: Option<DateTime<Utc>>,
    detail: Option<String>,
}

pub(super) const ORDER_COLUMNS: &str =
    "id, store_id, platform, platform_order_id, platform_status, status, \
    flow_status, created_at, updated_at, currency, buyer_name, ship_to, platform_label_hint, \
    raw, first_seen_at, last_changed_at";

impl OrderStore {
    /// The order `platform_order_id` of `store`, with its lines in platform order.
    pub async fn get_order(
        &self,
        store: StoreId,
        platform_order_id: &str,
    ) -> Result<Option<StoredOrder>, StoreError> {
        let sql = format!(
            "SELECT {ORDER_COLUMNS} FROM platform_orders \
             WHERE store_id = $1 AND platform_order_id = $2"
        );
        let found: Option<(OrderRow, Vec<LineRow>)> = on_pool!(self, |pool| {
            // One snapshot, so the lines belong to the version of the order read.
            let mut tx = pool.begin_read().await?;
            let order: Option<OrderRow> = sqlx::query_as(&sql)
                .bind(store.0)
                .bind(platform_order_id)
                .fetch_optional(&mut *tx)
                .await?;
            let lines = match &order {
                None => Vec::new(),
                Some(order) => {
                    sqlx::query_as(
                        "SELECT line_id, platform_sku, platform_item_id, platform_variant_id, \
                         title, quantity, unit_price FROM order_lines \
                         WHERE order_id = $1 ORDER BY line_no",
                    )
                    .bind(order.id)
                    .fetch_all(&mut *tx)
                    .await?
                }
            };
            tx.commit().await?;
            order.map(|order| (order, lines))
        });
        found
            .map(|(order, lines)| order.into_stored(lines))
            .transpose()
    }

    /// Every change recorded for `order`, oldest first.
    pub async fn order_history(&self, order: OrderId) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows: Vec<HistoryRow> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT at, kind, from_flow_status, to_flow_status, platform_status, \
                 platform_updated_at, detail FROM order_history WHERE order_id = $1 ORDER BY id",
            )
            .bind(order.0)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(HistoryRow::into_entry).collect()
    }

    /// How many orders `store` has.
    pub async fn count_orders(&self, store: StoreId) -> Result<u64, StoreError> {
        let n: i64 = on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM platform_orders WHERE store_id = $1")
                .bind(store.0)
                .fetch_one(pool)
                .await?
        });
        u64::try_from(n).map_err(|e| StoreError::corrupt("count", e))
    }
}

fn parse_flow(s: &str, column: &'static str) -> Result<FlowStatus, StoreError> {
    FlowStatus::parse(s).ok_or_else(|| StoreError::corrupt(column, "unknown flow status"))
}

impl OrderRow {
    pub(super) fn into_stored(self, lines: Vec<LineRow>) -> Result<StoredOrder, StoreError> {
        let lines = lines
            .into_iter()
            .map(LineRow::into_line)
            .collect::<Result<_, _>>()?;
        let order = PlatformOrder {
            store: StoreId(self.store_id),
            platform: Platform::from_str(&self.platform)
                .map_err(|e| StoreError::corrupt("platform", e))?,
            platform_order_id: self.platform_order_id,
            platform_status: self.platform_status,
            status: NeutralStatus::parse(&self.status)
                .ok_or_else(|| StoreError::corrupt("status", "unknown neutral status"))?,
            created_at: self.created_at,
            updated_at: self.updated_at,
            currency: self.currency,
            buyer_name: self.buyer_name,
            ship_to: serde_json::from_str(&self.ship_to)
                .map_err(|e| StoreError::corrupt("ship_to", e))?,
            lines,
            platform_label_hint: self.platform_label_hint,
            raw: RawValue::from_string(self.raw).map_err(|e| StoreError::corrupt("raw", e))?,
        };
        Ok(StoredOrder {
            id: OrderId(self.id),
            order,
            flow_status: parse_flow(&self.flow_status, "flow_status")?,
            first_seen_at: self.first_seen_at,
            last_changed_at: self.last_changed_at,
        })
    }
}

impl LineRow {
    pub(super) fn into_line(self) -> Result<OrderLine, StoreError> {
        Ok(OrderLine {
            line_id: self.line_id,
            platform_sku: self.platform_sku,
            platform_item_id: self.platform_item_id,
            platform_variant_id: self.platform_variant_id,
            title: self.title,
            quantity: u32::try_from(self.quantity)
                .map_err(|e| StoreError::corrupt("quantity", e))?,
            unit_price: Decimal::from_str(&self.unit_price)
                .map_err(|e| StoreError::corrupt("unit_price", e))?,
        })
    }
}

impl HistoryRow {
    fn into_entry(self) -> Result<HistoryEntry, StoreError> {
        Ok(HistoryEntry {
            at: self.at,
            kind: HistoryKind::parse(&self.kind)
                .ok_or_else(|| StoreError::corrupt("kind", "unknown history kind"))?,
            from_flow_status: self
                .from_flow_status
                .map(|s| parse_flow(&s, "from_flow_status"))
                .transpose()?,
            to_flow_status: parse_flow(&self.to_flow_status, "to_flow_status")?,
            platform_status: self.platform_status,
            platform_updated_at: self.platform_updated_at,
            detail: self.detail,
        })
    }
}
