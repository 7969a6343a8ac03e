//! `upsert_orders`: the one write path for pulled orders, applying the upsert rules of
//! DESIGN.md ("The order store").
//!
//! A batch is planned against one lookup per chunk that sends each order's key and content
//! hash and gets back only the orders that are new or differ from the stored copy, so an
//! unchanged re-pull costs an indexed read, returns no rows and writes nothing. What remains is
//! written with multi-row statements, in one transaction.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;
use xxhash_rust::xxh3::xxh3_128;

use super::{db_time, on_pool, Backend, Begin, HistoryKind, OrderStore, StoreError};
use crate::order::{FlowStatus, NeutralStatus, OrderLine, PlatformOrder};
use crate::platform::StoreId;

/// The reason recorded when a platform cancels an order the warehouse is already working on.
pub(crate) use crate::fulfillment::refusal::CANCELLED_ON_PLATFORM;

/// Bind parameters per statement: SQLite's default ceiling (PostgreSQL's is 65535).
const MAX_BINDS: usize = 32_766;
/// Rows per multi-row INSERT: a page or two of orders, keeping each statement moderate.
const MAX_ROWS_PER_INSERT: usize = 500;
/// Orders per lookup. PostgreSQL's cost model rates a few hundred index probes about equal to
/// scanning a table of ~100k orders and may switch to the scan; 100 probes stay well clear.
const KEYS_PER_LOOKUP: usize = 100;
/// Orders per line DELETE.
const KEYS_PER_DELETE: usize = 1_000;

const ORDER_COLUMNS: usize = 16;
const LINE_COLUMNS: usize = 9;
const HISTORY_COLUMNS: usize = 8;

/// What one [`OrderStore::upsert_orders`] call did. An order that appears more than once in
/// the batch counts once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpsertStats {
    /// Orders the store did not have.
    pub new: u64,
    /// Orders whose content changed since they were stored.
    pub changed: u64,
    /// Orders identical to the stored copy: nothing written.
    pub unchanged: u64,
    /// Orders older (by the platform's update time) than the stored copy: nothing written.
    pub stale: u64,
    /// Rows inserted, updated or deleted, across every table.
    pub rows_written: u64,
}

/// Adds up the pages of a pull.
impl std::ops::AddAssign for UpsertStats {
    fn add_assign(&mut self, other: Self) {
        self.new += other.new;
        self.changed += other.changed;
        self.unchanged += other.unchanged;
        self.stale += other.stale;
        self.rows_written += other.rows_written;
    }
}

impl OrderStore {
    /// Stores a batch of pulled orders atomically: new orders are inserted, changed ones
    /// updated, unchanged and stale ones left alone, and every change is recorded in the
    /// order's history. Orders may belong to several stores; an order given twice keeps the
    /// newest copy (by platform `updated_at`, then position).
    ///
    /// Fails with [`StoreError::Conflict`] if another writer changed one of the batch's
    /// orders meanwhile; nothing is written then, and retrying the batch is safe.
    pub async fn upsert_orders(&self, orders: &[PlatformOrder]) -> Result<UpsertStats, StoreError> {
        let incoming: Vec<Incoming<'_>> = newest_per_order(orders)
            .into_iter()
            .map(Incoming::new)
            .collect::<Result<_, _>>()?;
        if incoming.is_empty() {
            return Ok(UpsertStats::default());
        }
        let mut by_store: BTreeMap<StoreId, Vec<&Incoming<'_>>> = BTreeMap::new();
        for i in &incoming {
            by_store.entry(i.order.store).or_default().push(i);
        }
        let now = db_time(Utc::now());
        // PostgreSQL plans the lookup afresh each time: a cached generic plan made while the
        // table was small joins on the store alone and scans all its orders per lookup.
        // SQLite's plan does not depend on table size, and re-preparing would cost it more.
        let cache_lookup = matches!(self.backend, Backend::Sqlite(_));

        let written: Result<UpsertStats, StoreError> = on_pool!(self, |pool| async {
            let mut tx = pool.begin_write().await?;

            // Unchanged orders come back as no row at all: materialising one row per order
            // was most of an unchanged re-pull's cost.
            let mut differing = Differing::default();
            for (store, batch) in &by_store {
                for chunk in batch.chunks(KEYS_PER_LOOKUP) {
                    let mut q =
                        QueryBuilder::new("WITH batch (platform_order_id, content_hash) AS (");
                    q.push_values(chunk, |mut row, i| {
                        row.push_bind(i.order.platform_order_id.as_str())
                            .push_bind(&i.hash[..]);
                    });
                    q.push(
                        ") SELECT b.platform_order_id, o.id, o.updated_at, o.content_hash, \
                         o.flow_status FROM batch b LEFT JOIN platform_orders o \
                         ON o.store_id = ",
                    );
                    q.push_bind(store.0).push(
                        " AND o.platform_order_id = b.platform_order_id \
                         WHERE o.id IS NULL OR o.content_hash <> b.content_hash",
                    );
                    let rows: Vec<LookupRow> = q
                        .build_query_as()
                        .persistent(cache_lookup)
                        .fetch_all(&mut *tx)
                        .await?;
                    differing.insert(*store, rows)?;
                }
            }

            let (mut plan, mut stats) = Plan::new(&incoming, &differing);
            if plan.is_empty() {
                // Nothing to write: end the transaction without touching the database.
                tx.rollback().await?;
                return Ok(stats);
            }

            for chunk in plan.new.chunks_mut(rows_per_statement(ORDER_COLUMNS)) {
                let mut q = QueryBuilder::new(
                    "INSERT INTO platform_orders (store_id, platform, platform_order_id, \
                     platform_status, status, flow_status, created_at, updated_at, currency, \
                     buyer_name, ship_to, platform_label_hint, raw, content_hash, \
                     first_seen_at, last_changed_at) ",
                );
                q.push_values(chunk.iter(), |mut row, w| {
                    let (i, o) = (w.incoming, w.incoming.order);
                    row.push_bind(o.store.0)
                        .push_bind(o.platform.slug())
                        .push_bind(o.platform_order_id.as_str())
                        .push_bind(o.platform_status.as_str())
                        .push_bind(o.status.as_str())
                        .push_bind(w.to_flow.as_str())
                        .push_bind(i.created_at)
                        .push_bind(i.updated_at)
                        .push_bind(o.currency.as_str())
                        .push_bind(o.buyer_name.as_deref())
                        .push_bind(i.ship_to.as_str())
                        .push_bind(o.platform_label_hint)
                        .push_bind(o.raw.get())
                        .push_bind(&i.hash[..])
                        .push_bind(now)
                        .push_bind(now);
                });
                // RETURNING gives rows in no promised order, so ids are matched back by key.
                q.push(" RETURNING id, store_id, platform_order_id");
                let ids: Vec<(i64, i64, String)> = q.build_query_as().fetch_all(&mut *tx).await?;
                stats.rows_written += ids.len() as u64;
                assign_ids(chunk, ids)?;
            }

            for c in &plan.changed {
                let (w, i, o) = (&c.write, c.write.incoming, c.write.incoming.order);
                let done = sqlx::query(
                    "UPDATE platform_orders SET platform = $1, platform_status = $2, \
                     status = $3, flow_status = $4, created_at = $5, updated_at = $6, \
                     currency = $7, buyer_name = $8, ship_to = $9, platform_label_hint = $10, \
                     raw = $11, content_hash = $12, last_changed_at = $13, \
                     exception_reason = COALESCE($17, exception_reason) \
                     WHERE id = $14 AND content_hash = $15 AND flow_status = $16",
                )
                .bind(o.platform.slug())
                .bind(o.platform_status.as_str())
                .bind(o.status.as_str())
                .bind(w.to_flow.as_str())
                .bind(i.created_at)
                .bind(i.updated_at)
                .bind(o.currency.as_str())
                .bind(o.buyer_name.as_deref())
                .bind(i.ship_to.as_str())
                .bind(o.platform_label_hint)
                .bind(o.raw.get())
                .bind(&i.hash[..])
                .bind(now)
                .bind(w.id)
                .bind(c.stored_hash.as_slice())
                .bind(c.stored_flow.as_str())
                .bind(w.detail)
                .execute(&mut *tx)
                .await?;
                // The row moved since the lookup (PostgreSQL replicas, or an OMS step on the
                // same order): applying this plan could move its flow backwards.
                if done.rows_affected() != 1 {
                    return Err(StoreError::Conflict(
                        "an order changed while the batch was being written",
                    ));
                }
                stats.rows_written += 1;
            }

            // A changed order's lines are replaced whole: platforms renumber and split lines.
            let changed_ids: Vec<i64> = plan.changed.iter().map(|c| c.write.id).collect();
            for chunk in changed_ids.chunks(KEYS_PER_DELETE) {
                let mut q = QueryBuilder::new("DELETE FROM order_lines WHERE order_id IN (");
                let mut list = q.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                list.push_unseparated(")");
                stats.rows_written += q.build().execute(&mut *tx).await?.rows_affected();
            }

            let lines = plan.lines();
            for chunk in lines.chunks(rows_per_statement(LINE_COLUMNS)) {
                let mut q = QueryBuilder::new(
                    "INSERT INTO order_lines (order_id, line_no, line_id, platform_sku, \
                     platform_item_id, platform_variant_id, title, quantity, unit_price) ",
                );
                q.push_values(chunk.iter(), |mut row, (order_id, line_no, line)| {
                    row.push_bind(*order_id)
                        .push_bind(*line_no)
                        .push_bind(line.line_id.as_deref())
                        .push_bind(line.platform_sku.as_str())
                        .push_bind(line.platform_item_id.as_deref())
                        .push_bind(line.platform_variant_id.as_deref())
                        .push_bind(line.title.as_deref())
                        .push_bind(i64::from(line.quantity))
                        .push_bind(line.unit_price.to_string());
                });
                stats.rows_written += q.build().execute(&mut *tx).await?.rows_affected();
            }

            let history = plan.history();
            for chunk in history.chunks(rows_per_statement(HISTORY_COLUMNS)) {
                let mut q = QueryBuilder::new(
                    "INSERT INTO order_history (order_id, at, kind, from_flow_status, \
                     to_flow_status, platform_status, platform_updated_at, detail) ",
                );
                q.push_values(chunk.iter(), |mut row, w| {
                    row.push_bind(w.id)
                        .push_bind(now)
                        .push_bind(w.kind().as_str())
                        .push_bind(w.from_flow.map(FlowStatus::as_str))
                        .push_bind(w.to_flow.as_str())
                        .push_bind(w.incoming.order.platform_status.as_str())
                        .push_bind(w.incoming.updated_at)
                        .push_bind(w.detail);
                });
                stats.rows_written += q.build().execute(&mut *tx).await?.rows_affected();
            }

            // An order that now arrives readable is no longer flagged as malformed.
            let mut readable: BTreeMap<StoreId, Vec<&str>> = BTreeMap::new();
            for w in plan.new.iter().chain(plan.changed.iter().map(|c| &c.write)) {
                let o = w.incoming.order;
                readable
                    .entry(o.store)
                    .or_default()
                    .push(o.platform_order_id.as_str());
            }
            for (store, ids) in &readable {
                for chunk in ids.chunks(KEYS_PER_DELETE) {
                    let mut q = QueryBuilder::new("DELETE FROM malformed_orders WHERE store_id = ");
                    q.push_bind(store.0).push(" AND platform_order_id IN (");
                    let mut list = q.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    list.push_unseparated(")");
                    stats.rows_written += q.build().execute(&mut *tx).await?.rows_affected();
                }
            }

            tx.commit().await?;
            Ok(stats)
        }
        .await);
        written.map_err(|e| e.missing("store"))
    }
}

/// Where a pull moves an order's flow status, and the reason to record when a person must
/// look: a pull only moves an order forward, except that the platform cancelling an order the
/// warehouse already works on surfaces it as an exception rather than cancelling it.
pub(crate) fn flow_after_pull(
    current: FlowStatus,
    status: NeutralStatus,
) -> (FlowStatus, Option<&'static str>) {
    if status == NeutralStatus::Cancelled && current.in_flight() {
        return (FlowStatus::Exception, Some(CANCELLED_ON_PLATFORM));
    }
    let pulled = FlowStatus::initial(status);
    if pulled.rank() > current.rank() {
        (pulled, None)
    } else {
        (current, None)
    }
}

/// The newest copy of each order in the batch (by platform `updated_at`; on a tie the later
/// one), in batch order.
fn newest_per_order(orders: &[PlatformOrder]) -> Vec<&PlatformOrder> {
    let mut newest: HashMap<(StoreId, &str), usize> = HashMap::with_capacity(orders.len());
    for (i, o) in orders.iter().enumerate() {
        newest
            .entry((o.store, o.platform_order_id.as_str()))
            .and_modify(|kept| {
                if o.updated_at >= orders[*kept].updated_at {
                    *kept = i;
                }
            })
            .or_insert(i);
    }
    let mut keep: Vec<usize> = newest.into_values().collect();
    keep.sort_unstable();
    keep.into_iter().map(|i| &orders[i]).collect()
}

fn rows_per_statement(columns: usize) -> usize {
    (MAX_BINDS / columns).min(MAX_ROWS_PER_INSERT)
}

/// One order of the batch, with the values the store derives from it.
struct Incoming<'a> {
    order: &'a PlatformOrder,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// The ship-to address as JSON.
    ship_to: String,
    hash: [u8; 16],
}

impl<'a> Incoming<'a> {
    fn new(order: &'a PlatformOrder) -> Result<Self, StoreError> {
        let created_at = db_time(order.created_at);
        let updated_at = db_time(order.updated_at);
        let ship_to = serde_json::to_string(&order.ship_to)
            .map_err(|e| StoreError::Database(sqlx::Error::Encode(e.into())))?;
        let hash = content_hash(order, created_at, updated_at, &ship_to);
        Ok(Incoming {
            order,
            created_at,
            updated_at,
            ship_to,
            hash,
        })
    }
}

/// xxh3-128 over every stored field of the order and its raw payload, each length-prefixed so
/// that no two different orders feed the same bytes. Changing what is hashed makes every order
/// look changed once, on its next pull.
fn content_hash(
    o: &PlatformOrder,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    ship_to: &str,
) -> [u8; 16] {
    let raw = o.raw.get();
    // One contiguous buffer and a one-shot hash: far cheaper than streaming many small fields.
    let mut h = Fields(Vec::with_capacity(256 + ship_to.len() + raw.len()));
    h.text(o.platform.slug())
        .text(&o.platform_status)
        .text(o.status.as_str())
        .int(created_at.timestamp_micros())
        .int(updated_at.timestamp_micros())
        .text(&o.currency)
        .opt(o.buyer_name.as_deref())
        .text(ship_to)
        .int(i64::from(o.platform_label_hint))
        .int(o.lines.len() as i64);
    for line in &o.lines {
        h.opt(line.line_id.as_deref())
            .text(&line.platform_sku)
            .opt(line.platform_item_id.as_deref())
            .opt(line.platform_variant_id.as_deref())
            .opt(line.title.as_deref())
            .int(i64::from(line.quantity))
            // Value and scale: "1.50" and "1.5" are stored as different text.
            .bytes(&line.unit_price.serialize());
    }
    h.text(raw);
    xxh3_128(&h.0).to_le_bytes()
}

struct Fields(Vec<u8>);

impl Fields {
    fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.0.extend_from_slice(b);
        self
    }

    fn text(&mut self, s: &str) -> &mut Self {
        self.bytes(&(s.len() as u64).to_le_bytes())
            .bytes(s.as_bytes())
    }

    fn opt(&mut self, s: Option<&str>) -> &mut Self {
        match s {
            None => self.bytes(&[0]),
            Some(s) => self.bytes(&[1]).text(s),
        }
    }

    fn int(&mut self, n: i64) -> &mut Self {
        self.bytes(&n.to_le_bytes())
    }
}

/// An order of the batch that is new (no stored columns) or differs from its stored copy.
#[derive(sqlx::FromRow)]
struct LookupRow {
    platform_order_id: String,
    id: Option<i64>,
    updated_at: Option<DateTime<Utc>>,
    content_hash: Option<Vec<u8>>,
    flow_status: Option<String>,
}

/// What the store holds for an order whose content differs from the batch's copy.
struct Stored {
    id: i64,
    updated_at: DateTime<Utc>,
    content_hash: Vec<u8>,
    flow: FlowStatus,
}

/// The lookup's answer, by store and platform order id: `None` for a new order. Orders it does
/// not name are stored with the same content.
#[derive(Default)]
struct Differing(HashMap<StoreId, HashMap<String, Option<Stored>>>);

impl Differing {
    fn insert(&mut self, store: StoreId, rows: Vec<LookupRow>) -> Result<(), StoreError> {
        let held = self.0.entry(store).or_default();
        for row in rows {
            let stored = match (row.id, row.updated_at, row.content_hash, row.flow_status) {
                (Some(id), Some(updated_at), Some(content_hash), Some(flow)) => Some(Stored {
                    id,
                    updated_at,
                    content_hash,
                    flow: FlowStatus::parse(&flow)
                        .ok_or_else(|| StoreError::corrupt("flow_status", "unknown flow status"))?,
                }),
                _ => None,
            };
            held.insert(row.platform_order_id, stored);
        }
        Ok(())
    }

    fn get(&self, store: StoreId, platform_order_id: &str) -> Option<&Option<Stored>> {
        self.0.get(&store)?.get(platform_order_id)
    }
}

/// One order to write, with what its history row records.
struct Write<'a> {
    incoming: &'a Incoming<'a>,
    /// The order's row id; a new order gets it from its INSERT.
    id: i64,
    /// The flow status before this write; `None` for a new order.
    from_flow: Option<FlowStatus>,
    to_flow: FlowStatus,
    detail: Option<&'static str>,
}

impl Write<'_> {
    fn kind(&self) -> HistoryKind {
        match self.from_flow {
            None => HistoryKind::Created,
            Some(_) => HistoryKind::PlatformUpdate,
        }
    }
}

/// A changed order, with the stored state its UPDATE expects to find still there.
struct Changed<'a> {
    write: Write<'a>,
    stored_hash: Vec<u8>,
    stored_flow: FlowStatus,
}

/// What a batch will write, decided before anything is.
struct Plan<'a> {
    new: Vec<Write<'a>>,
    changed: Vec<Changed<'a>>,
}

impl<'a> Plan<'a> {
    /// The plan for `incoming` given the lookup's answer, and the batch's counts so far.
    fn new(incoming: &'a [Incoming<'a>], differing: &Differing) -> (Self, UpsertStats) {
        let mut plan = Plan {
            new: Vec::new(),
            changed: Vec::new(),
        };
        let mut stats = UpsertStats::default();
        for i in incoming {
            let o = i.order;
            match differing.get(o.store, &o.platform_order_id) {
                None => stats.unchanged += 1,
                Some(None) => {
                    stats.new += 1;
                    plan.new.push(Write {
                        incoming: i,
                        id: 0,
                        from_flow: None,
                        to_flow: FlowStatus::initial(o.status),
                        detail: None,
                    });
                }
                Some(Some(stored)) if i.updated_at < stored.updated_at => stats.stale += 1,
                Some(Some(stored)) => {
                    let (to_flow, detail) = flow_after_pull(stored.flow, o.status);
                    stats.changed += 1;
                    plan.changed.push(Changed {
                        write: Write {
                            incoming: i,
                            id: stored.id,
                            from_flow: Some(stored.flow),
                            to_flow,
                            detail,
                        },
                        stored_hash: stored.content_hash.clone(),
                        stored_flow: stored.flow,
                    });
                }
            }
        }
        (plan, stats)
    }

    fn is_empty(&self) -> bool {
        self.new.is_empty() && self.changed.is_empty()
    }

    /// Every written order, each of which gets one history row.
    fn history(&self) -> Vec<&Write<'a>> {
        self.new
            .iter()
            .chain(self.changed.iter().map(|c| &c.write))
            .collect()
    }

    /// `(order id, line number, line)` for every line of every written order.
    fn lines(&self) -> Vec<(i64, i32, &'a OrderLine)> {
        self.history()
            .into_iter()
            .flat_map(|w| {
                let id = w.id;
                w.incoming
                    .order
                    .lines
                    .iter()
                    .zip(1..)
                    .map(move |(line, no)| (id, no, line))
            })
            .collect()
    }
}

/// Gives each newly inserted order of `chunk` the id its INSERT returned.
fn assign_ids(
    chunk: &mut [Write<'_>],
    returned: Vec<(i64, i64, String)>,
) -> Result<(), StoreError> {
    let mut ids: HashMap<(i64, String), i64> = returned
        .into_iter()
        .map(|(id, store, poid)| ((store, poid), id))
        .collect();
    for w in chunk {
        let o = w.incoming.order;
        w.id = ids
            .remove(&(o.store.0, o.platform_order_id.clone()))
            .ok_or_else(|| StoreError::corrupt("id", "INSERT returned no id for an order"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pull_moves_the_flow_forward_only() {
        use FlowStatus as F;
        use NeutralStatus as N;
        let cases = [
            (F::Pending, N::AwaitingFulfillment, F::Pending, None),
            (F::Other, N::AwaitingFulfillment, F::Pending, None),
            (F::Processing, N::AwaitingFulfillment, F::Processing, None),
            (F::Pending, N::Other, F::Pending, None),
            (F::Pending, N::Shipped, F::Shipped, None),
            (F::Cancelled, N::AwaitingFulfillment, F::Cancelled, None),
            (F::Pending, N::Cancelled, F::Cancelled, None),
            (F::Other, N::Cancelled, F::Cancelled, None),
            (
                F::WaitingForLabel,
                N::Cancelled,
                F::Exception,
                Some(CANCELLED_ON_PLATFORM),
            ),
            (
                F::Processing,
                N::Cancelled,
                F::Exception,
                Some(CANCELLED_ON_PLATFORM),
            ),
            (
                F::Exception,
                N::Cancelled,
                F::Exception,
                Some(CANCELLED_ON_PLATFORM),
            ),
        ];
        for (current, status, flow, detail) in cases {
            assert_eq!(
                flow_after_pull(current, status),
                (flow, detail),
                "{current:?} + {status:?}"
            );
        }
    }
}
