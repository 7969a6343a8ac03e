//! Listing orders with filters, a page at a time by order id: what the admin API and
//! `omsync orders` read through.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::read::{LineRow, OrderRow, ORDER_COLUMNS};
use super::{db_time, on_pool, Begin, OrderId, OrderStore, StoreError, StoredOrder};
use crate::order::{FlowStatus, NeutralStatus};
use crate::platform::{SellerId, StoreId};

/// Which orders [`OrderStore::list_orders`] returns. Every `None` is "any"; the filters that
/// are set all apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFilter {
    /// Only this seller's stores: how a seller-scoped caller is kept to its own orders.
    pub seller: Option<SellerId>,
    pub store: Option<StoreId>,
    pub status: Option<NeutralStatus>,
    pub flow_status: Option<FlowStatus>,
    /// The platform's update time is at or after this.
    pub updated_from: Option<DateTime<Utc>>,
    /// The platform's update time is before this.
    pub updated_to: Option<DateTime<Utc>>,
    /// Keyset pagination: only orders with a greater id (the last id of the previous page).
    pub after: Option<OrderId>,
    /// At most this many orders.
    pub limit: u32,
}

impl Default for OrderFilter {
    /// Every order, the first 50.
    fn default() -> Self {
        OrderFilter {
            seller: None,
            store: None,
            status: None,
            flow_status: None,
            updated_from: None,
            updated_to: None,
            after: None,
            limit: 50,
        }
    }
}

/// One line, with the order it belongs to.
#[derive(sqlx::FromRow)]
struct ListedLine {
    order_id: i64,
    #[sqlx(flatten)]
    line: LineRow,
}

/// Appends `filter`'s conditions (and `only`'s id) to a query ending in `WHERE TRUE`; a
/// macro so one text serves both backends' query builders.
macro_rules! push_filter {
    ($q:ident, $filter:expr, $only:expr) => {{
        let (filter, only): (&OrderFilter, Option<OrderId>) = ($filter, $only);
        if let Some(id) = only {
            $q.push(" AND id = ").push_bind(id.0);
        }
        if let Some(seller) = filter.seller {
            $q.push(" AND store_id IN (SELECT id FROM stores WHERE seller_id = ")
                .push_bind(seller.0)
                .push(")");
        }
        if let Some(store) = filter.store {
            $q.push(" AND store_id = ").push_bind(store.0);
        }
        if let Some(status) = filter.status {
            $q.push(" AND status = ").push_bind(status.as_str());
        }
        if let Some(flow) = filter.flow_status {
            $q.push(" AND flow_status = ").push_bind(flow.as_str());
        }
        // SQLite compares these as RFC 3339 text. Every stored time is UTC, written the
        // same way, so text order is time order.
        if let Some(from) = filter.updated_from {
            $q.push(" AND updated_at >= ").push_bind(db_time(from));
        }
        if let Some(to) = filter.updated_to {
            $q.push(" AND updated_at < ").push_bind(db_time(to));
        }
        if let Some(after) = filter.after {
            $q.push(" AND id > ").push_bind(after.0);
        }
    }};
}

impl OrderStore {
    /// The orders `filter` selects, by ascending id, at most `filter.limit` of them, each with
    /// its lines in platform order.
    pub async fn list_orders(&self, filter: &OrderFilter) -> Result<Vec<StoredOrder>, StoreError> {
        self.select_orders(filter, None).await
    }

    /// The ids of the orders `filter` selects, ascending, at most `filter.limit`: for bulk
    /// steps that need no order bodies.
    pub async fn order_ids(&self, filter: &OrderFilter) -> Result<Vec<OrderId>, StoreError> {
        let ids: Vec<i64> = on_pool!(self, |pool| {
            let mut q = QueryBuilder::new("SELECT id FROM platform_orders WHERE TRUE");
            push_filter!(q, filter, None);
            q.push(" ORDER BY id LIMIT ")
                .push_bind(i64::from(filter.limit));
            q.build_query_scalar().fetch_all(pool).await?
        });
        Ok(ids.into_iter().map(OrderId).collect())
    }

    /// The order with this id, whichever store it belongs to.
    pub async fn order_by_id(&self, id: OrderId) -> Result<Option<StoredOrder>, StoreError> {
        let filter = OrderFilter {
            limit: 1,
            ..OrderFilter::default()
        };
        Ok(self.select_orders(&filter, Some(id)).await?.pop())
    }

    async fn select_orders(
        &self,
        filter: &OrderFilter,
        only: Option<OrderId>,
    ) -> Result<Vec<StoredOrder>, StoreError> {
        if filter.limit == 0 {
            return Ok(Vec::new());
        }
        let (rows, lines): (Vec<OrderRow>, Vec<ListedLine>) = on_pool!(self, |pool| {
            // One snapshot, so the lines belong to the versions of the orders read.
            let mut tx = pool.begin_read().await?;
            let mut q = QueryBuilder::new(format!(
                "SELECT {ORDER_COLUMNS} FROM platform_orders WHERE TRUE"
            ));
            push_filter!(q, filter, only);
            q.push(" ORDER BY id LIMIT ")
                .push_bind(i64::from(filter.limit));
            let rows: Vec<OrderRow> = q.build_query_as().fetch_all(&mut *tx).await?;

            let lines: Vec<ListedLine> = if rows.is_empty() {
                Vec::new()
            } else {
                let mut q = QueryBuilder::new(
                    "SELECT order_id, line_id, platform_sku, platform_item_id, \
                     platform_variant_id, title, quantity, unit_price FROM order_lines \
                     WHERE order_id IN (",
                );
                let mut ids = q.separated(", ");
                for row in &rows {
                    ids.push_bind(row.id);
                }
                q.push(") ORDER BY order_id, line_no");
                q.build_query_as().fetch_all(&mut *tx).await?
            };
            tx.commit().await?;
            (rows, lines)
        });

        let mut lines_by_order: HashMap<i64, Vec<LineRow>> = HashMap::new();
        for l in lines {
            lines_by_order.entry(l.order_id).or_default().push(l.line);
        }
        rows.into_iter()
            .map(|row| {
                let lines = lines_by_order.remove(&row.id).unwrap_or_default();
                row.into_stored(lines)
            })
            .collect()
    }
}
