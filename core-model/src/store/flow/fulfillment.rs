//! Fulfillment (pick & pack) orders: Draft (Fetching a carrier label, then Pending submit) ->
//! Warehouse processing -> Shipped; Exception when submission fails. Created by review or by
//! hand; submitted by the seller or by auto-submit; reported on by the warehouse.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::QueryBuilder;

use super::super::ledger::{self, DocumentType, MoveReason, Movement};
use super::super::outbox::enqueue_in;
use super::super::sync::TokenScope;
use super::super::tx::{on_tx, Tx};
use super::super::{db_time, on_pool, HistoryKind, OrderId, OrderStore, StoreError};
use super::{channel_in, set_flow};
use crate::fulfillment::{
    refusal, ChannelId, ChannelKind, DocumentId, FulfillmentId, FulfillmentStatus, InventoryKind,
    ProductId, ProductStatus, WarehouseId,
};
use crate::marketplace::{Shipment, ShipmentLine};
use crate::order::{Address, FlowStatus};
use crate::platform::{SellerId, StoreId};

/// Fulfillment orders submitted per transaction.
const CHUNK: usize = 500;

/// Submission refused because the platform order is no longer in Processing (cancelled on
/// the platform, or cancelled here).
pub const SUBMIT_ORDER_LEFT: &str =
    "Failed to submit to warehouse: the platform order is no longer in Processing";

/// Submission refused for stock: the warehouse cannot reserve what the order needs.
pub const SUBMIT_NO_STOCK: &str = "Failed to submit to warehouse: insufficient inventory";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FulfillmentLine {
    pub product_id: ProductId,
    pub sku: String,
    pub quantity: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FulfillmentOrder {
    pub id: FulfillmentId,
    pub seller_id: SellerId,
    /// The platform order it fulfils; `None` for a manual one.
    pub order_id: Option<OrderId>,
    pub reference: String,
    pub warehouse_id: WarehouseId,
    pub channel_id: ChannelId,
    pub channel_kind: ChannelKind,
    pub status: FulfillmentStatus,
    pub ship_to: Address,
    pub carrier_code: Option<String>,
    pub tracking_number: Option<String>,
    pub label_document_id: Option<DocumentId>,
    pub exception_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub lines: Vec<FulfillmentLine>,
}

/// A line of a new or edited fulfillment order: a system SKU and how many.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewFulfillmentLine {
    pub sku: String,
    pub quantity: u32,
}

/// A manual fulfillment order (no platform order behind it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFulfillment {
    pub seller: SellerId,
    /// The seller's own reference, unique among its live manual orders.
    pub reference: String,
    pub warehouse: WarehouseId,
    /// A warehouse channel: platform labels need a platform order.
    pub channel: ChannelId,
    pub ship_to: Address,
    pub lines: Vec<NewFulfillmentLine>,
}

/// What a draft may change. `None` keeps the field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FulfillmentPatch {
    pub ship_to: Option<Address>,
    pub lines: Option<Vec<NewFulfillmentLine>>,
    /// Manual orders only.
    pub reference: Option<String>,
}

/// The warehouse's report that a parcel left.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShipReport {
    /// Needed unless reported with the carrier label.
    pub tracking_number: Option<String>,
    /// Defaults to the label's carrier, then the channel's.
    pub carrier_code: Option<String>,
    pub shipped_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FulfillmentFilter {
    pub seller: Option<SellerId>,
    pub warehouse: Option<WarehouseId>,
    pub status: Option<FulfillmentStatus>,
    pub order: Option<OrderId>,
    pub after: Option<FulfillmentId>,
    pub limit: u32,
}

/// What submission did with one fulfillment order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubmitOutcome {
    pub fulfillment_id: FulfillmentId,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<FulfillmentStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(sqlx::FromRow)]
struct FoRow {
    id: i64,
    seller_id: i64,
    order_id: Option<i64>,
    reference: String,
    warehouse_id: i64,
    channel_id: i64,
    kind: String,
    status: String,
    ship_to: String,
    carrier_code: Option<String>,
    channel_carrier: Option<String>,
    tracking_number: Option<String>,
    label_document_id: Option<i64>,
    exception_reason: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    submitted_at: Option<DateTime<Utc>>,
    shipped_at: Option<DateTime<Utc>>,
}

const FO_COLUMNS: &str = "f.id, f.seller_id, f.order_id, f.reference, f.warehouse_id, \
    f.channel_id, c.kind, f.status, f.ship_to, f.carrier_code, c.carrier_code AS channel_carrier, \
    f.tracking_number, f.label_document_id, f.exception_reason, f.created_at, f.updated_at, \
    f.submitted_at, f.shipped_at";
const FO_FROM: &str = "fulfillment_orders f JOIN shipping_channels c ON c.id = f.channel_id";

impl FoRow {
    fn status(&self) -> Result<FulfillmentStatus, StoreError> {
        FulfillmentStatus::parse(&self.status)
            .ok_or_else(|| StoreError::corrupt("fulfillment_orders.status", "unknown status"))
    }

    fn visible_to(&self, scope: TokenScope) -> bool {
        match scope {
            TokenScope::Operator => true,
            TokenScope::Seller(s) => s.0 == self.seller_id,
            TokenScope::Warehouse(w) => w.0 == self.warehouse_id,
        }
    }

    fn into_order(self, lines: Vec<FulfillmentLine>) -> Result<FulfillmentOrder, StoreError> {
        Ok(FulfillmentOrder {
            id: FulfillmentId(self.id),
            seller_id: SellerId(self.seller_id),
            order_id: self.order_id.map(OrderId),
            status: self.status()?,
            channel_kind: ChannelKind::parse(&self.kind)
                .ok_or_else(|| StoreError::corrupt("shipping_channels.kind", "unknown kind"))?,
            reference: self.reference,
            warehouse_id: WarehouseId(self.warehouse_id),
            channel_id: ChannelId(self.channel_id),
            ship_to: serde_json::from_str(&self.ship_to)
                .map_err(|e| StoreError::corrupt("fulfillment_orders.ship_to", e))?,
            carrier_code: self.carrier_code,
            tracking_number: self.tracking_number,
            label_document_id: self.label_document_id.map(DocumentId),
            exception_reason: self.exception_reason,
            created_at: self.created_at,
            updated_at: self.updated_at,
            submitted_at: self.submitted_at,
            shipped_at: self.shipped_at,
            lines,
        })
    }
}

async fn lock_fo(tx: &mut Tx, id: FulfillmentId, scope: TokenScope) -> Result<FoRow, StoreError> {
    let lock = tx.for_update_of("f");
    let row: Option<FoRow> = on_tx!(tx, |c| {
        sqlx::query_as(&format!(
            "SELECT {FO_COLUMNS} FROM {FO_FROM} WHERE f.id = $1{lock}"
        ))
        .bind(id.0)
        .fetch_optional(c)
        .await?
    });
    row.filter(|r| r.visible_to(scope))
        .ok_or(StoreError::NotFound("fulfillment order"))
}

async fn lines_of(
    tx: &mut Tx,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<FulfillmentLine>>, StoreError> {
    let mut by_fo: HashMap<i64, Vec<FulfillmentLine>> = HashMap::new();
    for part in ids.chunks(CHUNK) {
        let rows: Vec<(i64, i64, String, i64)> = on_tx!(tx, |c| {
            let mut q = QueryBuilder::new(
                "SELECT l.fulfillment_id, l.product_id, p.sku, l.quantity FROM fulfillment_lines l \
                 JOIN products p ON p.id = l.product_id WHERE l.fulfillment_id IN (",
            );
            let mut list = q.separated(", ");
            for id in part {
                list.push_bind(*id);
            }
            q.push(") ORDER BY l.fulfillment_id, l.line_no");
            q.build_query_as().fetch_all(c).await?
        });
        for (fo, product, sku, quantity) in rows {
            by_fo.entry(fo).or_default().push(FulfillmentLine {
                product_id: ProductId(product),
                sku,
                quantity,
            });
        }
    }
    Ok(by_fo)
}

fn refused_in(status: FulfillmentStatus, action: &str) -> StoreError {
    StoreError::refused(format!(
        "a fulfillment order in {} cannot be {action}",
        status_label(status)
    ))
}

/// The status as the guide names it.
pub fn status_label(status: FulfillmentStatus) -> &'static str {
    match status {
        FulfillmentStatus::DraftFetching => "Draft (Fetching)",
        FulfillmentStatus::DraftPendingSubmit => "Draft (Pending submit)",
        FulfillmentStatus::WarehouseProcessing => "Warehouse processing",
        FulfillmentStatus::Shipped => "Shipped",
        FulfillmentStatus::Exception => "Exception",
        FulfillmentStatus::Cancelled => "Cancelled",
    }
}

/// Resolves a seller's SKU codes to approved products: the lines of a manual order or an
/// edit.
async fn resolve_lines(
    tx: &mut Tx,
    seller: SellerId,
    lines: &[NewFulfillmentLine],
) -> Result<Vec<(ProductId, i64)>, StoreError> {
    if lines.is_empty() {
        return Err(StoreError::invalid("lines must name at least one SKU"));
    }
    let mut merged: BTreeMap<&str, i64> = BTreeMap::new();
    for l in lines {
        if l.quantity == 0 {
            return Err(StoreError::invalid(format!(
                "lines: quantity of {} must be at least 1",
                l.sku
            )));
        }
        *merged.entry(l.sku.trim()).or_default() += i64::from(l.quantity);
    }
    let found: Vec<(i64, String, String)> = on_tx!(tx, |c| {
        let mut q = QueryBuilder::new("SELECT id, sku, status FROM products WHERE seller_id = ");
        q.push_bind(seller.0).push(" AND sku IN (");
        let mut list = q.separated(", ");
        for sku in merged.keys() {
            list.push_bind(*sku);
        }
        q.push(")");
        q.build_query_as().fetch_all(c).await?
    });
    let by_sku: HashMap<&str, (i64, &str)> = found
        .iter()
        .map(|(id, sku, status)| (sku.as_str(), (*id, status.as_str())))
        .collect();
    let mut out = Vec::with_capacity(merged.len());
    for (sku, quantity) in merged {
        match by_sku.get(sku) {
            None => return Err(StoreError::invalid(format!("lines: unknown SKU {sku}"))),
            Some((_, status)) if ProductStatus::parse(status) != Some(ProductStatus::Approved) => {
                return Err(StoreError::invalid(format!(
                    "lines: SKU {sku} is not approved"
                )))
            }
            Some((id, _)) => out.push((ProductId(*id), quantity)),
        }
    }
    Ok(out)
}

async fn replace_lines(tx: &mut Tx, fo: i64, lines: &[(ProductId, i64)]) -> Result<(), StoreError> {
    on_tx!(tx, |c| {
        sqlx::query("DELETE FROM fulfillment_lines WHERE fulfillment_id = $1")
            .bind(fo)
            .execute(c)
            .await?
            .rows_affected()
    });
    on_tx!(tx, |c| {
        let mut q = QueryBuilder::new(
            "INSERT INTO fulfillment_lines (fulfillment_id, line_no, product_id, quantity) ",
        );
        q.push_values(
            lines.iter().enumerate(),
            |mut b, (n, (product, quantity))| {
                b.push_bind(fo)
                    .push_bind(i64::try_from(n + 1).unwrap_or(i64::MAX))
                    .push_bind(product.0)
                    .push_bind(*quantity);
            },
        );
        q.build().execute(c).await?.rows_affected()
    });
    Ok(())
}

fn check_reference(reference: &str) -> Result<&str, StoreError> {
    let r = reference.trim();
    if r.is_empty() || r.len() > 128 {
        return Err(StoreError::invalid("reference must be 1 to 128 characters"));
    }
    Ok(r)
}

fn ship_to_json(a: &Address) -> Result<String, StoreError> {
    serde_json::to_string(a).map_err(|e| StoreError::corrupt("fulfillment_orders.ship_to", e))
}

impl OrderStore {
    /// Creates a manual fulfillment order in Draft (Fetching carrier label).
    pub async fn create_fulfillment(
        &self,
        new: &NewFulfillment,
        now: DateTime<Utc>,
    ) -> Result<FulfillmentId, StoreError> {
        let mut tx = self.write_tx().await?;
        let id = create_in(&mut tx, new, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Creates several manual fulfillment orders at once: all or none. Each failure names its
    /// position in `orders` (0-based).
    pub async fn create_fulfillments(
        &self,
        orders: &[NewFulfillment],
        now: DateTime<Utc>,
    ) -> Result<Vec<FulfillmentId>, Vec<(usize, StoreError)>> {
        let fatal = |e: StoreError| vec![(0, e)];
        let mut tx = self.write_tx().await.map_err(fatal)?;
        let mut ids = Vec::with_capacity(orders.len());
        let mut errors = Vec::new();
        let mut refs = BTreeSet::new();
        for (i, new) in orders.iter().enumerate() {
            if !refs.insert((new.seller, new.reference.trim())) {
                errors.push((i, StoreError::invalid("reference repeats an earlier order")));
                continue;
            }
            // A refused order is rolled back alone: PostgreSQL would refuse every later
            // statement of a transaction with a failed one in it.
            savepoint(&mut tx, "SAVEPOINT one_order")
                .await
                .map_err(fatal)?;
            match create_in(&mut tx, new, now).await {
                Ok(id) => {
                    savepoint(&mut tx, "RELEASE SAVEPOINT one_order")
                        .await
                        .map_err(fatal)?;
                    ids.push(id);
                }
                Err(
                    e @ (StoreError::Invalid(_) | StoreError::Refused(_) | StoreError::NotFound(_)),
                ) => {
                    savepoint(&mut tx, "ROLLBACK TO SAVEPOINT one_order")
                        .await
                        .map_err(fatal)?;
                    errors.push((i, e));
                }
                Err(e) => return Err(fatal(e)),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        tx.commit().await.map_err(fatal)?;
        Ok(ids)
    }

    pub async fn get_fulfillment(
        &self,
        id: FulfillmentId,
        scope: TokenScope,
    ) -> Result<Option<FulfillmentOrder>, StoreError> {
        let mut tx = self.read_tx().await?;
        let row: Option<FoRow> = on_tx!(&mut tx, |c| {
            sqlx::query_as(&format!(
                "SELECT {FO_COLUMNS} FROM {FO_FROM} WHERE f.id = $1"
            ))
            .bind(id.0)
            .fetch_optional(c)
            .await?
        });
        let Some(row) = row.filter(|r| r.visible_to(scope)) else {
            return Ok(None);
        };
        let mut lines = lines_of(&mut tx, &[row.id]).await?;
        let lines = lines.remove(&row.id).unwrap_or_default();
        row.into_order(lines).map(Some)
    }

    /// Fulfillment orders by ascending id.
    pub async fn list_fulfillments(
        &self,
        filter: &FulfillmentFilter,
    ) -> Result<Vec<FulfillmentOrder>, StoreError> {
        let mut tx = self.read_tx().await?;
        let rows: Vec<FoRow> = on_tx!(&mut tx, |c| {
            let mut q =
                QueryBuilder::new(format!("SELECT {FO_COLUMNS} FROM {FO_FROM} WHERE 1 = 1"));
            if let Some(s) = filter.seller {
                q.push(" AND f.seller_id = ").push_bind(s.0);
            }
            if let Some(w) = filter.warehouse {
                q.push(" AND f.warehouse_id = ").push_bind(w.0);
            }
            if let Some(s) = filter.status {
                q.push(" AND f.status = ").push_bind(s.as_str());
            }
            if let Some(o) = filter.order {
                q.push(" AND f.order_id = ").push_bind(o.0);
            }
            if let Some(a) = filter.after {
                q.push(" AND f.id > ").push_bind(a.0);
            }
            q.push(" ORDER BY f.id LIMIT ")
                .push_bind(i64::from(filter.limit));
            q.build_query_as().fetch_all(c).await?
        });
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut lines = lines_of(&mut tx, &ids).await?;
        rows.into_iter()
            .map(|r| {
                let l = lines.remove(&r.id).unwrap_or_default();
                r.into_order(l)
            })
            .collect()
    }

    /// Changes a draft: its lines, address, or (manual orders) reference.
    pub async fn edit_fulfillment(
        &self,
        id: FulfillmentId,
        scope: TokenScope,
        patch: &FulfillmentPatch,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let row = lock_fo(&mut tx, id, scope).await?;
        let status = row.status()?;
        if !status.is_draft() {
            return Err(refused_in(status, "edited; move it back to Draft first"));
        }
        if let Some(lines) = &patch.lines {
            let lines = resolve_lines(&mut tx, SellerId(row.seller_id), lines).await?;
            replace_lines(&mut tx, row.id, &lines).await?;
        }
        if let Some(address) = &patch.ship_to {
            let json = ship_to_json(address)?;
            on_tx!(&mut tx, |c| {
                sqlx::query("UPDATE fulfillment_orders SET ship_to = $2 WHERE id = $1")
                    .bind(row.id)
                    .bind(json)
                    .execute(c)
                    .await?
                    .rows_affected()
            });
        }
        if let Some(reference) = &patch.reference {
            if row.order_id.is_some() {
                return Err(StoreError::invalid(
                    "reference: a platform order's fulfillment order keeps its order number",
                ));
            }
            let reference = check_reference(reference)?;
            let done = on_tx!(&mut tx, |c| {
                sqlx::query("UPDATE fulfillment_orders SET reference = $2 WHERE id = $1")
                    .bind(row.id)
                    .bind(reference)
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected())
            });
            if let Err(e) = done {
                return Err(match StoreError::from(e) {
                    StoreError::Conflict(_) => StoreError::refused(format!(
                        "another fulfillment order already has reference {reference}"
                    )),
                    e => e,
                });
            }
        }
        touch(&mut tx, row.id, now).await?;
        tx.commit().await
    }

    /// The warehouse's carrier label for a warehouse-channel draft: Draft (Fetching) becomes
    /// Draft (Pending submit).
    pub async fn report_carrier_label(
        &self,
        id: FulfillmentId,
        scope: TokenScope,
        carrier_code: Option<&str>,
        tracking_number: &str,
        label: Option<(&str, &[u8])>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let tracking = tracking_number.trim();
        if tracking.is_empty() || tracking.len() > 64 {
            return Err(StoreError::invalid(
                "tracking_number must be 1 to 64 characters",
            ));
        }
        let mut tx = self.write_tx().await?;
        let row = lock_fo(&mut tx, id, scope).await?;
        let status = row.status()?;
        if status != FulfillmentStatus::DraftFetching {
            return Err(refused_in(status, "given a carrier label"));
        }
        let carrier = carrier_code
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .or(row.channel_carrier.clone());
        let document = match label {
            Some((format, bytes)) => Some(
                store_document(
                    &mut tx,
                    "carrier_label",
                    format,
                    bytes,
                    Some(tracking),
                    carrier.as_deref(),
                    now,
                )
                .await?,
            ),
            None => None,
        };
        let at = db_time(now);
        on_tx!(&mut tx, |c| {
            sqlx::query(
                "UPDATE fulfillment_orders SET status = $2, carrier_code = $3, \
                 tracking_number = $4, label_document_id = COALESCE($5, label_document_id), \
                 pending_submit_ms = $6, updated_at = $7 WHERE id = $1",
            )
            .bind(row.id)
            .bind(FulfillmentStatus::DraftPendingSubmit.as_str())
            .bind(carrier.as_deref())
            .bind(tracking)
            .bind(document.map(|d| d.0))
            .bind(now.timestamp_millis())
            .bind(at)
            .execute(c)
            .await?
            .rows_affected()
        });
        tx.commit().await
    }

    /// Submits drafts in Pending submit to their warehouse: each either moves to Warehouse
    /// processing with its stock reserved, or to Exception with the reason (no available
    /// amount, not enough stock). One outcome per id, in order.
    pub async fn submit_fulfillments(
        &self,
        ids: &[FulfillmentId],
        scope: TokenScope,
        now: DateTime<Utc>,
    ) -> Result<Vec<SubmitOutcome>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let mut tx = self.write_tx().await?;
            let done = submit_chunk(&mut tx, chunk, scope, now).await?;
            tx.commit().await?;
            for id in chunk {
                out.push(done.get(id).cloned().unwrap_or(SubmitOutcome {
                    fulfillment_id: *id,
                    ok: false,
                    status: None,
                    message: Some("fulfillment order not found".into()),
                    detail: None,
                }));
            }
        }
        Ok(out)
    }

    /// Moves a fulfillment order in Exception back to Draft, to be edited and resubmitted.
    pub async fn fulfillment_to_draft(
        &self,
        id: FulfillmentId,
        scope: TokenScope,
        now: DateTime<Utc>,
    ) -> Result<FulfillmentStatus, StoreError> {
        let mut tx = self.write_tx().await?;
        let row = lock_fo(&mut tx, id, scope).await?;
        let status = row.status()?;
        if status != FulfillmentStatus::Exception {
            return Err(refused_in(status, "moved back to Draft"));
        }
        let to = if row.tracking_number.is_some() || row.label_document_id.is_some() {
            FulfillmentStatus::DraftPendingSubmit
        } else {
            FulfillmentStatus::DraftFetching
        };
        on_tx!(&mut tx, |c| {
            sqlx::query(
                "UPDATE fulfillment_orders SET status = $2, exception_reason = NULL, \
                 pending_submit_ms = $3, updated_at = $4 WHERE id = $1",
            )
            .bind(row.id)
            .bind(to.as_str())
            .bind((to == FulfillmentStatus::DraftPendingSubmit).then(|| now.timestamp_millis()))
            .bind(db_time(now))
            .execute(c)
            .await?
            .rows_affected()
        });
        tx.commit().await?;
        Ok(to)
    }

    /// Cancels a fulfillment order that has not shipped; stock reserved for it is released.
    pub async fn cancel_fulfillment(
        &self,
        id: FulfillmentId,
        scope: TokenScope,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let row = lock_fo(&mut tx, id, scope).await?;
        cancel_row(&mut tx, &row, now).await?;
        tx.commit().await
    }

    /// The warehouse reports that the parcel left: stock reserved for it leaves the
    /// inventory, the platform order becomes Shipped, and for a warehouse channel the tracking
    /// number goes into the upload outbox in the same transaction.
    pub async fn ship_fulfillment(
        &self,
        id: FulfillmentId,
        scope: TokenScope,
        report: &ShipReport,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        let mut tx = self.write_tx().await?;
        let row = lock_fo(&mut tx, id, scope).await?;
        let status = row.status()?;
        if status != FulfillmentStatus::WarehouseProcessing {
            return Err(refused_in(status, "shipped"));
        }
        let kind = ChannelKind::parse(&row.kind)
            .ok_or_else(|| StoreError::corrupt("shipping_channels.kind", "unknown kind"))?;
        let tracking = report
            .tracking_number
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .or(row.tracking_number.clone());
        let carrier = report
            .carrier_code
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .or(row.carrier_code.clone())
            .or(row.channel_carrier.clone());
        if kind == ChannelKind::Warehouse && (tracking.is_none() || carrier.is_none()) {
            return Err(StoreError::invalid(
                "tracking_number and carrier_code are needed to ship on a warehouse channel",
            ));
        }
        let shipped_at = report.shipped_at.unwrap_or(now);
        let lines = lines_of(&mut tx, &[row.id])
            .await?
            .remove(&row.id)
            .unwrap_or_default();
        for l in &lines {
            let m = Movement {
                warehouse: WarehouseId(row.warehouse_id),
                product: l.product_id,
                kind: InventoryKind::Product,
                reason: MoveReason::Ship,
                available_delta: 0,
                reserved_delta: -l.quantity,
                document_type: DocumentType::Fulfillment,
                document_id: row.id,
            };
            ledger::move_stock(&mut tx, &m, now).await?;
        }
        on_tx!(&mut tx, |c| {
            sqlx::query(
                "UPDATE fulfillment_orders SET status = 'shipped', tracking_number = $2, \
                 carrier_code = $3, shipped_at = $4, updated_at = $5 WHERE id = $1",
            )
            .bind(row.id)
            .bind(tracking.as_deref())
            .bind(carrier.as_deref())
            .bind(db_time(shipped_at))
            .bind(db_time(now))
            .execute(c)
            .await?
            .rows_affected()
        });
        let mut upload = None;
        if let Some(order) = row.order_id {
            let (store, platform_order_id, flow): (i64, String, String) = on_tx!(&mut tx, |c| {
                sqlx::query_as(
                    "SELECT store_id, platform_order_id, flow_status FROM platform_orders \
                     WHERE id = $1",
                )
                .bind(order)
                .fetch_one(c)
                .await?
            });
            // An order the platform cancelled meanwhile stays in Exception: nothing to confirm.
            if FlowStatus::parse(&flow) == Some(FlowStatus::Processing) {
                set_flow(
                    &mut tx,
                    order,
                    FlowStatus::Processing,
                    FlowStatus::Shipped,
                    HistoryKind::Shipped,
                    tracking.as_deref(),
                    now,
                )
                .await?;
                if kind == ChannelKind::Warehouse {
                    let shipment = shipment_for(
                        &mut tx,
                        order,
                        platform_order_id,
                        row.id,
                        carrier.unwrap_or_default(),
                        tracking.unwrap_or_default(),
                        shipped_at,
                    )
                    .await?;
                    let (outbox, _) = enqueue_in(&mut tx, StoreId(store), &shipment, now).await?;
                    upload = Some(outbox);
                }
            }
        }
        tx.commit().await?;
        Ok(upload)
    }

    /// The label document of a fulfillment order (platform or carrier label): its format and
    /// bytes; `None` when there is none or the caller may not see the order.
    pub async fn fulfillment_label(
        &self,
        id: FulfillmentId,
        scope: TokenScope,
    ) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        let Some(fo) = self.get_fulfillment(id, scope).await? else {
            return Ok(None);
        };
        let Some(doc) = fo.label_document_id else {
            return Ok(None);
        };
        let found: Option<(String, Vec<u8>)> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT format, content FROM documents WHERE id = $1")
                .bind(doc.0)
                .fetch_optional(pool)
                .await?
        });
        Ok(found)
    }

    /// Drafts in Pending submit of sellers with auto-submit on, oldest first.
    pub async fn auto_submit_due(&self, limit: u32) -> Result<Vec<FulfillmentId>, StoreError> {
        let ids: Vec<i64> = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT f.id FROM fulfillment_orders f JOIN sellers s ON s.id = f.seller_id \
                 WHERE f.status = 'draft_pending_submit' AND s.auto_submit \
                 ORDER BY f.pending_submit_ms, f.id LIMIT $1",
            )
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        Ok(ids.into_iter().map(FulfillmentId).collect())
    }
}

async fn create_in(
    tx: &mut Tx,
    new: &NewFulfillment,
    now: DateTime<Utc>,
) -> Result<FulfillmentId, StoreError> {
    let reference = check_reference(&new.reference)?;
    match channel_in(tx, new.channel.0).await? {
        None => return Err(StoreError::invalid("channel_id names no shipping channel")),
        Some((w, _)) if w != new.warehouse.0 => {
            return Err(StoreError::invalid(
                "channel_id: the shipping channel belongs to another warehouse",
            ))
        }
        Some((_, ChannelKind::PlatformLabel)) => {
            return Err(StoreError::invalid(
                "channel_id: a manual fulfillment order ships on a warehouse channel; platform \
                 labels need a platform order",
            ))
        }
        Some((_, ChannelKind::Warehouse)) => {}
    }
    let lines = resolve_lines(tx, new.seller, &new.lines).await?;
    let at = db_time(now);
    let ship_to = ship_to_json(&new.ship_to)?;
    let id: Result<i64, sqlx::Error> = on_tx!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO fulfillment_orders (seller_id, reference, warehouse_id, channel_id, \
             status, ship_to, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'draft_fetching', $5, $6, $6) RETURNING id",
        )
        .bind(new.seller.0)
        .bind(reference)
        .bind(new.warehouse.0)
        .bind(new.channel.0)
        .bind(ship_to)
        .bind(at)
        .fetch_one(c)
        .await
    });
    let id = match id.map_err(StoreError::from) {
        Ok(id) => id,
        Err(StoreError::Conflict(_)) => {
            return Err(StoreError::refused(format!(
                "a fulfillment order with reference {reference} already exists"
            )))
        }
        Err(e) => return Err(e.missing("seller or warehouse")),
    };
    replace_lines(tx, id, &lines).await?;
    Ok(FulfillmentId(id))
}

async fn savepoint(tx: &mut Tx, sql: &'static str) -> Result<(), StoreError> {
    on_tx!(tx, |c| sqlx::query(sql).execute(c).await?.rows_affected());
    Ok(())
}

async fn touch(tx: &mut Tx, fo: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
    on_tx!(tx, |c| {
        sqlx::query("UPDATE fulfillment_orders SET updated_at = $2 WHERE id = $1")
            .bind(fo)
            .bind(db_time(now))
            .execute(c)
            .await?
            .rows_affected()
    });
    Ok(())
}

pub(super) async fn store_document(
    tx: &mut Tx,
    kind: &str,
    format: &str,
    bytes: &[u8],
    tracking: Option<&str>,
    carrier: Option<&str>,
    now: DateTime<Utc>,
) -> Result<DocumentId, StoreError> {
    let id: i64 = on_tx!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO documents (kind, format, content, tracking_number, carrier, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(kind)
        .bind(format)
        .bind(bytes)
        .bind(tracking)
        .bind(carrier)
        .bind(db_time(now))
        .fetch_one(c)
        .await?
    });
    Ok(DocumentId(id))
}

/// Cancels `row` unless it shipped; releases what its submission reserved.
async fn cancel_row(tx: &mut Tx, row: &FoRow, now: DateTime<Utc>) -> Result<(), StoreError> {
    let status = row.status()?;
    match status {
        FulfillmentStatus::Shipped | FulfillmentStatus::Cancelled => {
            return Err(refused_in(status, "cancelled"))
        }
        FulfillmentStatus::WarehouseProcessing => {
            let lines = lines_of(tx, &[row.id])
                .await?
                .remove(&row.id)
                .unwrap_or_default();
            for l in &lines {
                let m = Movement {
                    warehouse: WarehouseId(row.warehouse_id),
                    product: l.product_id,
                    kind: InventoryKind::Product,
                    reason: MoveReason::Release,
                    available_delta: l.quantity,
                    reserved_delta: -l.quantity,
                    document_type: DocumentType::Fulfillment,
                    document_id: row.id,
                };
                ledger::move_stock(tx, &m, now).await?;
            }
        }
        _ => {}
    }
    on_tx!(tx, |c| {
        sqlx::query(
            "UPDATE fulfillment_orders SET status = 'cancelled', updated_at = $2 WHERE id = $1",
        )
        .bind(row.id)
        .bind(db_time(now))
        .execute(c)
        .await?
        .rows_affected()
    });
    Ok(())
}

/// Cancels the live fulfillment order of a platform order being cancelled; one that shipped
/// stops the cancellation.
pub(super) async fn cancel_for_order(
    tx: &mut Tx,
    order: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let rows: Vec<FoRow> = on_tx!(tx, |c| {
        sqlx::query_as(&format!(
            "SELECT {FO_COLUMNS} FROM {FO_FROM} WHERE f.order_id = $1 AND f.status <> 'cancelled'"
        ))
        .bind(order)
        .fetch_all(c)
        .await?
    });
    for row in rows {
        cancel_row(tx, &row, now).await?;
    }
    Ok(())
}

/// The shipment to confirm for a platform order: its lines as the platform numbered them.
async fn shipment_for(
    tx: &mut Tx,
    order: i64,
    platform_order_id: String,
    fulfillment: i64,
    carrier_code: String,
    tracking_number: String,
    shipped_at: DateTime<Utc>,
) -> Result<Shipment, StoreError> {
    let lines: Vec<(Option<String>, String, i64)> = on_tx!(tx, |c| {
        sqlx::query_as(
            "SELECT line_id, platform_sku, quantity FROM order_lines WHERE order_id = $1 \
             ORDER BY line_no",
        )
        .bind(order)
        .fetch_all(c)
        .await?
    });
    Ok(Shipment {
        platform_order_id,
        package_ref: format!("fo-{fulfillment}"),
        carrier_code,
        carrier_name: None,
        shipping_method: None,
        tracking_number,
        shipped_at,
        lines: lines
            .into_iter()
            .map(|(line_id, platform_sku, quantity)| ShipmentLine {
                line_id,
                platform_sku,
                quantity: u32::try_from(quantity).unwrap_or(0),
            })
            .collect(),
    })
}

async fn submit_chunk(
    tx: &mut Tx,
    ids: &[FulfillmentId],
    scope: TokenScope,
    now: DateTime<Utc>,
) -> Result<HashMap<FulfillmentId, SubmitOutcome>, StoreError> {
    let mut out = HashMap::with_capacity(ids.len());
    let lock = tx.for_update_of("f");
    let rows: Vec<FoRow> = on_tx!(tx, |c| {
        let mut q = QueryBuilder::new(format!(
            "SELECT {FO_COLUMNS} FROM {FO_FROM} WHERE f.id IN ("
        ));
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(id.0);
        }
        q.push(") ORDER BY f.id");
        q.push(lock);
        q.build_query_as().fetch_all(c).await?
    });
    let rows: Vec<FoRow> = rows.into_iter().filter(|r| r.visible_to(scope)).collect();
    let row_ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut lines = lines_of(tx, &row_ids).await?;

    // Stock and funds as they stand, spent in memory as the chunk goes.
    let products: BTreeSet<i64> = lines.values().flatten().map(|l| l.product_id.0).collect();
    let products: Vec<i64> = products.into_iter().collect();
    let mut stock = ledger::product_stock(tx, &products, true).await?;
    // A platform order that left Processing meanwhile (cancelled on the platform: Exception)
    // must not reach the warehouse.
    let orders: Vec<i64> = rows.iter().filter_map(|r| r.order_id).collect();
    let mut order_flow: HashMap<i64, String> = HashMap::new();
    for part in orders.chunks(CHUNK) {
        let found: Vec<(i64, String)> = on_tx!(tx, |c| {
            let mut q =
                QueryBuilder::new("SELECT id, flow_status FROM platform_orders WHERE id IN (");
            let mut list = q.separated(", ");
            for id in part {
                list.push_bind(*id);
            }
            q.push(")");
            q.build_query_as().fetch_all(c).await?
        });
        order_flow.extend(found);
    }
    let mut funds: HashMap<i64, bool> = HashMap::new();
    for seller in rows.iter().map(|r| r.seller_id).collect::<BTreeSet<_>>() {
        let f = ledger::funds(tx, SellerId(seller)).await?;
        funds.insert(seller, f.available() > rust_decimal::Decimal::ZERO);
    }

    let at = db_time(now);
    let mut reservations = Vec::new();
    let mut submitted = Vec::new();
    for row in rows {
        let id = FulfillmentId(row.id);
        let status = row.status()?;
        if status != FulfillmentStatus::DraftPendingSubmit {
            let message = if status == FulfillmentStatus::DraftFetching {
                "the carrier label has not been fetched yet (Draft, Fetching)".to_owned()
            } else {
                format!(
                    "only a Draft in Pending submit can be submitted; this one is in {}",
                    status_label(status)
                )
            };
            out.insert(
                id,
                SubmitOutcome {
                    fulfillment_id: id,
                    ok: false,
                    status: Some(status),
                    message: Some(message),
                    detail: None,
                },
            );
            continue;
        }
        let fo_lines = lines.remove(&row.id).unwrap_or_default();
        let order_left = row
            .order_id
            .and_then(|o| order_flow.get(&o))
            .filter(|f| f.as_str() != FlowStatus::Processing.as_str());
        let failure = if let Some(flow) = order_left {
            let flow = FlowStatus::parse(flow).map_or("another status", super::flow_label);
            Some((
                SUBMIT_ORDER_LEFT,
                Some(format!("the platform order is in {flow}")),
            ))
        } else if !funds.get(&row.seller_id).copied().unwrap_or(false) {
            Some((refusal::NO_AVAILABLE_AMOUNT, None))
        } else {
            fo_lines
                .iter()
                .find(|l| {
                    stock
                        .get(&(row.warehouse_id, l.product_id.0))
                        .copied()
                        .unwrap_or(0)
                        < l.quantity
                })
                .map(|l| {
                    let have = stock
                        .get(&(row.warehouse_id, l.product_id.0))
                        .copied()
                        .unwrap_or(0);
                    (
                        SUBMIT_NO_STOCK,
                        Some(format!(
                            "system SKU {}: {} needed, {have} available",
                            l.sku, l.quantity
                        )),
                    )
                })
        };
        if let Some((message, detail)) = failure {
            let reason = match &detail {
                Some(d) => format!("{message} ({d})"),
                None => message.to_owned(),
            };
            on_tx!(tx, |c| {
                sqlx::query(
                    "UPDATE fulfillment_orders SET status = 'exception', exception_reason = $2, \
                     updated_at = $3 WHERE id = $1",
                )
                .bind(row.id)
                .bind(&reason)
                .bind(at)
                .execute(c)
                .await?
                .rows_affected()
            });
            out.insert(
                id,
                SubmitOutcome {
                    fulfillment_id: id,
                    ok: false,
                    status: Some(FulfillmentStatus::Exception),
                    message: Some(message.to_owned()),
                    detail,
                },
            );
            continue;
        }
        for l in &fo_lines {
            if let Some(have) = stock.get_mut(&(row.warehouse_id, l.product_id.0)) {
                *have -= l.quantity;
            }
            reservations.push(Movement {
                warehouse: WarehouseId(row.warehouse_id),
                product: l.product_id,
                kind: InventoryKind::Product,
                reason: MoveReason::Reserve,
                available_delta: -l.quantity,
                reserved_delta: l.quantity,
                document_type: DocumentType::Fulfillment,
                document_id: row.id,
            });
        }
        submitted.push(row.id);
        out.insert(
            id,
            SubmitOutcome {
                fulfillment_id: id,
                ok: true,
                status: Some(FulfillmentStatus::WarehouseProcessing),
                message: None,
                detail: None,
            },
        );
    }
    // What passed, written at once: the reservations, then the orders' new status.
    ledger::reserve_many(tx, &reservations, now).await?;
    for part in submitted.chunks(CHUNK) {
        on_tx!(tx, |c| {
            let mut q = QueryBuilder::new(
                "UPDATE fulfillment_orders SET status = 'warehouse_processing', \
                 exception_reason = NULL, submitted_at = ",
            );
            q.push_bind(at).push(", updated_at = ").push_bind(at);
            q.push(" WHERE id IN (");
            let mut list = q.separated(", ");
            for id in part {
                list.push_bind(*id);
            }
            q.push(")");
            q.build().execute(c).await?.rows_affected()
        });
    }
    Ok(out)
}
