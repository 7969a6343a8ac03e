//! Review, one order or thousands at once: each order passes every check the warehouse's guide
//! lists or is refused with its message and left exactly as it was.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::QueryBuilder;

use super::super::tx::{on_tx, Tx};
use super::super::{catalog, ledger};
use super::super::{db_time, HistoryKind, OrderId, OrderStore, StoreError};
use super::{FlowRow, FLOW_COLUMNS};
use crate::fulfillment::{
    refusal, ChannelKind, FulfillmentId, FulfillmentStatus, ProductId, ProductStatus,
};
use crate::mapping::{demand, mapping_key, Component};
use crate::order::{FlowStatus, OrderLine};
use crate::platform::SellerId;
use crate::platform::StoreId;

/// Orders reviewed per transaction.
const CHUNK: usize = 500;

/// What review did with one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewOutcome {
    pub order_id: OrderId,
    pub ok: bool,
    /// The order's flow status after review (unchanged when refused).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow_status: Option<FlowStatus>,
    /// The fulfillment order created (warehouse channels).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fulfillment_id: Option<FulfillmentId>,
    /// Why it was refused, as the warehouse's guide words it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// What the refusal is about: the platform SKU, the system SKU.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl ReviewOutcome {
    fn refused(order: OrderId, message: &str, detail: Option<String>) -> Self {
        ReviewOutcome {
            order_id: order,
            ok: false,
            flow_status: None,
            fulfillment_id: None,
            message: Some(message.to_owned()),
            detail,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ReviewLine {
    order_id: i64,
    platform_sku: String,
    platform_item_id: Option<String>,
    platform_variant_id: Option<String>,
    quantity: i64,
}

struct ProductInfo {
    sku: String,
    status: Option<ProductStatus>,
    measured: bool,
}

/// Everything one chunk's checks read, loaded up front.
#[derive(Default)]
struct Facts {
    lines: HashMap<i64, Vec<OrderLine>>,
    components: HashMap<(i64, String), Vec<Component>>,
    products: HashMap<ProductId, ProductInfo>,
    channels: HashMap<i64, (i64, ChannelKind)>,
    /// Available product units per (warehouse, product).
    stock: HashMap<(i64, i64), i64>,
    funds: HashMap<i64, Decimal>,
}

/// A passed order and what review writes for it.
struct Passed {
    row: FlowRow,
    kind: ChannelKind,
    need: BTreeMap<ProductId, u64>,
}

impl OrderStore {
    /// Reviews `orders` (each must be Pending with a warehouse and channel assigned). Returns
    /// one outcome per order, in the order given; a refused order is unchanged. A warehouse
    /// channel creates the fulfillment order in Draft (Fetching carrier label) and moves the
    /// order to Processing; a platform-label channel moves it to Waiting for platform label
    /// and queues the fetch. `seller` (when given) limits the review to its own orders.
    pub async fn review_orders(
        &self,
        orders: &[OrderId],
        seller: Option<SellerId>,
        now: DateTime<Utc>,
    ) -> Result<Vec<ReviewOutcome>, StoreError> {
        // An id given twice is reviewed once; the repeat reports the same outcome.
        let mut seen = BTreeSet::new();
        let unique: Vec<OrderId> = orders.iter().copied().filter(|o| seen.insert(*o)).collect();
        let mut done = HashMap::with_capacity(unique.len());
        for chunk in unique.chunks(CHUNK) {
            let mut tx = self.write_tx().await?;
            done.extend(review_chunk(&mut tx, chunk, seller, now).await?);
            tx.commit().await?;
        }
        Ok(orders
            .iter()
            .map(|id| {
                done.get(id)
                    .cloned()
                    .unwrap_or_else(|| ReviewOutcome::refused(*id, "order not found", None))
            })
            .collect())
    }
}

async fn review_chunk(
    tx: &mut Tx,
    ids: &[OrderId],
    seller: Option<SellerId>,
    now: DateTime<Utc>,
) -> Result<HashMap<OrderId, ReviewOutcome>, StoreError> {
    let mut outcomes = HashMap::with_capacity(ids.len());
    if ids.is_empty() {
        return Ok(outcomes);
    }
    let rows = load_orders(tx, ids).await?;
    let rows: Vec<FlowRow> = rows
        .into_iter()
        .filter(|r| seller.is_none_or(|s| s.0 == r.seller_id))
        .collect();
    let facts = load_facts(tx, &rows).await?;

    let mut passed = Vec::new();
    for row in rows {
        let id = OrderId(row.id);
        match check(&row, &facts) {
            Ok(p) => passed.push(p),
            Err((message, detail)) => {
                outcomes.insert(id, ReviewOutcome::refused(id, message, detail));
            }
        }
    }
    write_passed(tx, passed, &mut outcomes, now).await?;
    Ok(outcomes)
}

async fn load_orders(tx: &mut Tx, ids: &[OrderId]) -> Result<Vec<FlowRow>, StoreError> {
    let lock = tx.for_update_of("o");
    let rows: Vec<FlowRow> = on_tx!(tx, |c| {
        let mut q = QueryBuilder::new(format!(
            "SELECT {FLOW_COLUMNS} FROM platform_orders o JOIN stores s ON s.id = o.store_id \
             WHERE o.id IN ("
        ));
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(id.0);
        }
        q.push(")");
        q.push(lock);
        q.build_query_as().fetch_all(c).await?
    });
    Ok(rows)
}

/// Reads lines, mappings with their products, channels, stock and funds for `rows`.
async fn load_facts(tx: &mut Tx, rows: &[FlowRow]) -> Result<Facts, StoreError> {
    let mut facts = Facts::default();
    if rows.is_empty() {
        return Ok(facts);
    }
    let lines: Vec<ReviewLine> = on_tx!(tx, |c| {
        let mut q = QueryBuilder::new(
            "SELECT order_id, platform_sku, platform_item_id, platform_variant_id, quantity \
             FROM order_lines WHERE order_id IN (",
        );
        let mut list = q.separated(", ");
        for r in rows {
            list.push_bind(r.id);
        }
        q.push(") ORDER BY order_id, line_no");
        q.build_query_as().fetch_all(c).await?
    });
    let store_of: HashMap<i64, i64> = rows.iter().map(|r| (r.id, r.store_id)).collect();
    let mut keys: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for l in lines {
        let line = OrderLine {
            line_id: None,
            platform_sku: l.platform_sku,
            platform_item_id: l.platform_item_id,
            platform_variant_id: l.platform_variant_id,
            title: None,
            quantity: u32::try_from(l.quantity).unwrap_or(u32::MAX),
            unit_price: Decimal::ZERO,
        };
        if let (Some(key), Some(store)) = (mapping_key(&line), store_of.get(&l.order_id)) {
            keys.entry(*store).or_default().insert(key.to_owned());
        }
        facts.lines.entry(l.order_id).or_default().push(line);
    }

    for (store, keys) in &keys {
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let found = catalog::components_in(tx, StoreId(*store), &keys).await?;
        for (key, parts) in found {
            facts.components.insert((*store, key), parts);
        }
    }
    let product_ids: BTreeSet<i64> = facts
        .components
        .values()
        .flatten()
        .map(|c| c.product.0)
        .collect();
    let product_ids: Vec<i64> = product_ids.into_iter().collect();
    for part in product_ids.chunks(CHUNK) {
        let found: Vec<(i64, String, String, bool)> = on_tx!(tx, |c| {
            let mut q =
                QueryBuilder::new("SELECT id, sku, status, measured FROM products WHERE id IN (");
            let mut list = q.separated(", ");
            for id in part {
                list.push_bind(*id);
            }
            q.push(")");
            q.build_query_as().fetch_all(c).await?
        });
        for (id, sku, status, measured) in found {
            facts.products.insert(
                ProductId(id),
                ProductInfo {
                    sku,
                    status: ProductStatus::parse(&status),
                    measured,
                },
            );
        }
    }

    let channel_ids: BTreeSet<i64> = rows.iter().filter_map(|r| r.channel_id).collect();
    if !channel_ids.is_empty() {
        let found: Vec<(i64, i64, String)> = on_tx!(tx, |c| {
            let mut q = QueryBuilder::new(
                "SELECT id, warehouse_id, kind FROM shipping_channels WHERE id IN (",
            );
            let mut list = q.separated(", ");
            for id in &channel_ids {
                list.push_bind(*id);
            }
            q.push(")");
            q.build_query_as().fetch_all(c).await?
        });
        for (id, warehouse, kind) in found {
            let kind = ChannelKind::parse(&kind)
                .ok_or_else(|| StoreError::corrupt("shipping_channels.kind", "unknown kind"))?;
            facts.channels.insert(id, (warehouse, kind));
        }
    }

    let product_ids: Vec<i64> = facts.products.keys().map(|p| p.0).collect();
    facts.stock = ledger::product_stock(tx, &product_ids, false).await?;

    let sellers: BTreeSet<i64> = rows.iter().map(|r| r.seller_id).collect();
    for seller in sellers {
        let funds = ledger::funds(tx, SellerId(seller)).await?;
        facts.funds.insert(seller, funds.available());
    }
    Ok(facts)
}

type Refusal = (&'static str, Option<String>);

/// The guide's checks, in its order: state, assignment, SKU binding, product audit and
/// measurement, stock in the assigned warehouse, available amount.
fn check(row: &FlowRow, facts: &Facts) -> Result<Passed, Refusal> {
    let flow = row
        .flow()
        .map_err(|_| ("the order's flow status is unreadable", None))?;
    if flow != FlowStatus::Pending {
        return Err((
            "only a Pending order can be reviewed",
            Some(flow.as_str().to_owned()),
        ));
    }
    let (Some(warehouse), Some(channel)) = (row.warehouse_id, row.channel_id) else {
        return Err((
            "assign a warehouse and a shipping channel before review",
            None,
        ));
    };
    let Some(&(channel_warehouse, kind)) = facts.channels.get(&channel) else {
        return Err(("the assigned shipping channel no longer exists", None));
    };
    if channel_warehouse != warehouse {
        return Err(("the shipping channel belongs to another warehouse", None));
    }
    let lines = facts
        .lines
        .get(&row.id)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if lines.is_empty() {
        return Err(("the order has no lines", None));
    }
    let need = demand(lines, |key| {
        facts
            .components
            .get(&(row.store_id, key.to_owned()))
            .map(Vec::as_slice)
    })
    .map_err(|key| {
        let detail = (!key.is_empty()).then(|| format!("platform SKU {key}"));
        (refusal::SKU_NOT_BOUND, detail)
    })?;
    for product in need.keys() {
        let Some(info) = facts.products.get(product) else {
            return Err((refusal::SKU_NOT_BOUND, None));
        };
        if info.status != Some(ProductStatus::Approved) {
            return Err((
                refusal::NOT_APPROVED,
                Some(format!("system SKU {}", info.sku)),
            ));
        }
        if !info.measured {
            return Err((
                refusal::NOT_MEASURED,
                Some(format!("system SKU {}", info.sku)),
            ));
        }
    }
    for (product, units) in &need {
        let available = facts
            .stock
            .get(&(warehouse, product.0))
            .copied()
            .unwrap_or(0);
        if i64::try_from(*units).unwrap_or(i64::MAX) > available {
            let sku = facts.products.get(product).map_or("", |p| p.sku.as_str());
            return Err((
                refusal::INSUFFICIENT_INVENTORY,
                Some(format!(
                    "system SKU {sku}: {units} needed, {available} available"
                )),
            ));
        }
    }
    let available = facts.funds.get(&row.seller_id).copied().unwrap_or_default();
    if available <= Decimal::ZERO {
        return Err((
            refusal::NO_AVAILABLE_AMOUNT,
            Some(format!("available {available}")),
        ));
    }
    Ok(Passed {
        row: row.clone(),
        kind,
        need,
    })
}

/// Writes what review decided for the passed orders: fulfillment orders (with lines) or label
/// jobs, the flow change and its history.
async fn write_passed(
    tx: &mut Tx,
    passed: Vec<Passed>,
    outcomes: &mut HashMap<OrderId, ReviewOutcome>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let at = db_time(now);
    let (direct, labelled): (Vec<&Passed>, Vec<&Passed>) = passed
        .iter()
        .partition(|p| p.kind == ChannelKind::Warehouse);

    // Fulfillment orders in Draft (Fetching carrier label), many per statement.
    let mut fulfillment_of: HashMap<i64, i64> = HashMap::new();
    for part in direct.chunks(200) {
        let created: Vec<(i64, Option<i64>)> = on_tx!(tx, |c| {
            let mut q = QueryBuilder::new(
                "INSERT INTO fulfillment_orders (seller_id, order_id, reference, warehouse_id, \
                 channel_id, status, ship_to, created_at, updated_at) ",
            );
            q.push_values(part, |mut b, p| {
                b.push_bind(p.row.seller_id)
                    .push_bind(p.row.id)
                    .push_bind(p.row.platform_order_id.as_str())
                    .push_bind(p.row.warehouse_id)
                    .push_bind(p.row.channel_id)
                    .push_bind(FulfillmentStatus::DraftFetching.as_str())
                    .push_bind(p.row.ship_to.as_str())
                    .push_bind(at)
                    .push_bind(at);
            });
            q.push(" RETURNING id, order_id");
            q.build_query_as().fetch_all(c).await?
        });
        for (fo, order) in created {
            if let Some(order) = order {
                fulfillment_of.insert(order, fo);
            }
        }
    }
    let mut lines: Vec<(i64, i64, i64, i64)> = Vec::new();
    for p in &direct {
        let fo = fulfillment_of
            .get(&p.row.id)
            .copied()
            .ok_or(StoreError::Conflict("a fulfillment order was not created"))?;
        for (n, (product, units)) in p.need.iter().enumerate() {
            let units = i64::try_from(*units).unwrap_or(i64::MAX);
            lines.push((
                fo,
                i64::try_from(n + 1).unwrap_or(i64::MAX),
                product.0,
                units,
            ));
        }
    }
    for part in lines.chunks(1000) {
        on_tx!(tx, |c| {
            let mut q = QueryBuilder::new(
                "INSERT INTO fulfillment_lines (fulfillment_id, line_no, product_id, quantity) ",
            );
            q.push_values(part, |mut b, l| {
                b.push_bind(l.0)
                    .push_bind(l.1)
                    .push_bind(l.2)
                    .push_bind(l.3);
            });
            q.build().execute(c).await?.rows_affected()
        });
    }

    // Platform-label fetches, with the lines review computed.
    for part in labelled.chunks(200) {
        let rows: Vec<(i64, String)> = part
            .iter()
            .map(|p| {
                let lines: Vec<(i64, u64)> = p.need.iter().map(|(k, v)| (k.0, *v)).collect();
                serde_json::to_string(&lines)
                    .map(|j| (p.row.id, j))
                    .map_err(|e| StoreError::corrupt("label_jobs.lines", e))
            })
            .collect::<Result<_, _>>()?;
        on_tx!(tx, |c| {
            let mut q = QueryBuilder::new(
                "INSERT INTO label_jobs (order_id, status, attempts, next_attempt_ms, lines, \
                 created_at) ",
            );
            q.push_values(&rows, |mut b, (order, lines)| {
                b.push_bind(*order)
                    .push_bind("pending")
                    .push_bind(0_i64)
                    .push_bind(now.timestamp_millis())
                    .push_bind(lines.as_str())
                    .push_bind(at);
            });
            // A re-review after cancel and back to Pending queues the fetch afresh.
            q.push(
                " ON CONFLICT (order_id) DO UPDATE SET status = 'pending', attempts = 0, \
                 next_attempt_ms = excluded.next_attempt_ms, lines = excluded.lines, \
                 claimed_by = NULL, claim_expires_ms = NULL, last_error = NULL, \
                 created_at = excluded.created_at, finished_at = NULL",
            );
            q.build().execute(c).await?.rows_affected()
        });
    }

    // The flow change, checked against the status read, and its history.
    let mut history: Vec<(i64, FlowStatus)> = Vec::with_capacity(passed.len());
    for p in &passed {
        let to = match p.kind {
            ChannelKind::Warehouse => FlowStatus::Processing,
            ChannelKind::PlatformLabel => FlowStatus::WaitingForLabel,
        };
        let moved = on_tx!(tx, |c| {
            sqlx::query(
                "UPDATE platform_orders SET flow_status = $2, exception_reason = NULL \
                 WHERE id = $1 AND flow_status = 'pending'",
            )
            .bind(p.row.id)
            .bind(to.as_str())
            .execute(c)
            .await?
            .rows_affected()
        });
        if moved != 1 {
            return Err(StoreError::Conflict(
                "an order changed during review; try again",
            ));
        }
        history.push((p.row.id, to));
        let id = OrderId(p.row.id);
        outcomes.insert(
            id,
            ReviewOutcome {
                order_id: id,
                ok: true,
                flow_status: Some(to),
                fulfillment_id: fulfillment_of.get(&p.row.id).map(|f| FulfillmentId(*f)),
                message: None,
                detail: None,
            },
        );
    }
    for part in history.chunks(1000) {
        on_tx!(tx, |c| {
            let mut q = QueryBuilder::new(
                "INSERT INTO order_history (order_id, at, kind, from_flow_status, \
                 to_flow_status) ",
            );
            q.push_values(part, |mut b, (order, to)| {
                b.push_bind(*order)
                    .push_bind(at)
                    .push_bind(HistoryKind::Reviewed.as_str())
                    .push_bind(FlowStatus::Pending.as_str())
                    .push_bind(to.as_str());
            });
            q.build().execute(c).await?.rows_affected()
        });
    }
    Ok(())
}
