//! Inventory as sellers and warehouses read it (levels per warehouse, product and kind; the
//! transaction history with the document behind each movement; the age of what is on the
//! shelf), the warehouse's own adjustments, and inbound orders (ASN), which add inventory when
//! the warehouse receives them. Every count changes through [`ledger::move_stock`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ledger::{self, DocumentType, Level, MoveReason, Movement};
use super::tx::{on_tx, Tx};
use super::warehouse::check_code;
use super::{db_time, on_pool, OrderStore, StoreError};
use crate::fulfillment::{
    str_enum, InboundId, InventoryKind, ProductId, ProductStatus, WarehouseId,
};
use crate::platform::SellerId;

/// The most lines one inbound order holds, and the most units (or cartons) one line declares.
pub const MAX_INBOUND_LINES: usize = 500;
pub const MAX_LINE_QUANTITY: i64 = 1_000_000;
/// The largest single adjustment, either way.
pub const MAX_ADJUSTMENT: i64 = 1_000_000;

// ---------------------------------------------------------------------------------------------
// Inventory levels, transactions, age

/// Which inventory rows to read; every field narrows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InventoryFilter {
    pub seller: Option<SellerId>,
    pub warehouse: Option<WarehouseId>,
    pub kind: Option<InventoryKind>,
    pub sku: Option<String>,
}

/// One warehouse/product/kind row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InventoryLevel {
    pub warehouse_id: WarehouseId,
    pub product_id: ProductId,
    pub seller_id: SellerId,
    pub sku: String,
    pub kind: InventoryKind,
    pub available: i64,
    pub reserved: i64,
}

/// Which movements to read, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionFilter {
    pub seller: Option<SellerId>,
    pub warehouse: Option<WarehouseId>,
    pub product: Option<ProductId>,
    pub document: Option<(DocumentType, i64)>,
    pub limit: u32,
}

/// One inventory movement with its document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InventoryTransaction {
    pub id: i64,
    pub warehouse_id: WarehouseId,
    pub product_id: ProductId,
    pub seller_id: SellerId,
    pub sku: String,
    pub kind: InventoryKind,
    pub reason: MoveReason,
    pub available_delta: i64,
    pub reserved_delta: i64,
    pub available_after: i64,
    pub reserved_after: i64,
    pub document_type: DocumentType,
    pub document_id: i64,
    pub at: DateTime<Utc>,
}

/// What is on the shelf for one warehouse/product/kind, by days since receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InventoryAge {
    pub warehouse_id: WarehouseId,
    pub product_id: ProductId,
    pub seller_id: SellerId,
    pub sku: String,
    pub kind: InventoryKind,
    pub days_0_30: i64,
    pub days_31_60: i64,
    pub days_61_90: i64,
    pub days_91_180: i64,
    pub days_over_180: i64,
    pub total: i64,
    pub oldest_received_at: DateTime<Utc>,
}

/// An adjustment: the document behind a count the warehouse corrected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Adjustment {
    pub id: i64,
    pub warehouse_id: WarehouseId,
    pub product_id: ProductId,
    pub kind: InventoryKind,
    pub delta: i64,
    pub note: String,
    pub created_at: DateTime<Utc>,
    /// The row's counts after it.
    pub level: Level,
}

fn parse_kind(column: &'static str, s: &str) -> Result<InventoryKind, StoreError> {
    InventoryKind::parse(s).ok_or_else(|| StoreError::corrupt(column, "unknown inventory kind"))
}

type LevelRow = (i64, i64, i64, String, String, i64, i64);

type TransactionRow = (
    i64,
    i64,
    i64,
    i64,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    String,
    i64,
    DateTime<Utc>,
);

impl OrderStore {
    /// Inventory rows, by warehouse, then SKU, then kind.
    pub async fn list_inventory(
        &self,
        f: &InventoryFilter,
    ) -> Result<Vec<InventoryLevel>, StoreError> {
        let rows: Vec<LevelRow> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT i.warehouse_id, i.product_id, p.seller_id, p.sku, i.kind, i.available, \
                 i.reserved FROM inventory i JOIN products p ON p.id = i.product_id \
                 WHERE ($1 IS NULL OR p.seller_id = $1) AND ($2 IS NULL OR i.warehouse_id = $2) \
                 AND ($3 IS NULL OR i.kind = $3) AND ($4 IS NULL OR p.sku = $4) \
                 ORDER BY i.warehouse_id, p.sku, p.seller_id, i.kind",
            )
            .bind(f.seller.map(|s| s.0))
            .bind(f.warehouse.map(|w| w.0))
            .bind(f.kind.map(InventoryKind::as_str))
            .bind(f.sku.as_deref())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(w, p, s, sku, kind, available, reserved)| {
                Ok(InventoryLevel {
                    warehouse_id: WarehouseId(w),
                    product_id: ProductId(p),
                    seller_id: SellerId(s),
                    sku,
                    kind: parse_kind("inventory.kind", &kind)?,
                    available,
                    reserved,
                })
            })
            .collect()
    }

    /// Movements, newest first.
    pub async fn inventory_transactions(
        &self,
        f: &TransactionFilter,
    ) -> Result<Vec<InventoryTransaction>, StoreError> {
        let (doc_type, doc_id) = match f.document {
            Some((t, id)) => (Some(t.as_str()), Some(id)),
            None => (None, None),
        };
        let rows: Vec<TransactionRow> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT t.id, t.warehouse_id, t.product_id, p.seller_id, p.sku, t.kind, t.reason, \
                 t.available_delta, t.reserved_delta, t.available_after, t.reserved_after, \
                 t.document_type, t.document_id, t.at \
                 FROM inventory_transactions t JOIN products p ON p.id = t.product_id \
                 WHERE ($1 IS NULL OR p.seller_id = $1) AND ($2 IS NULL OR t.warehouse_id = $2) \
                 AND ($3 IS NULL OR t.product_id = $3) AND ($4 IS NULL OR t.document_type = $4) \
                 AND ($5 IS NULL OR t.document_id = $5) \
                 ORDER BY t.id DESC LIMIT $6",
            )
            .bind(f.seller.map(|s| s.0))
            .bind(f.warehouse.map(|w| w.0))
            .bind(f.product.map(|p| p.0))
            .bind(doc_type)
            .bind(doc_id)
            .bind(i64::from(f.limit))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|r| {
                Ok(InventoryTransaction {
                    id: r.0,
                    warehouse_id: WarehouseId(r.1),
                    product_id: ProductId(r.2),
                    seller_id: SellerId(r.3),
                    sku: r.4,
                    kind: parse_kind("inventory_transactions.kind", &r.5)?,
                    reason: MoveReason::parse(&r.6).ok_or_else(|| {
                        StoreError::corrupt("inventory_transactions.reason", "unknown reason")
                    })?,
                    available_delta: r.7,
                    reserved_delta: r.8,
                    available_after: r.9,
                    reserved_after: r.10,
                    document_type: DocumentType::parse(&r.11).ok_or_else(|| {
                        StoreError::corrupt("inventory_transactions.document_type", "unknown")
                    })?,
                    document_id: r.12,
                    at: r.13,
                })
            })
            .collect()
    }

    /// The age of what is on the shelf at `now`, from the receipt lots not yet consumed:
    /// buckets of whole days since receipt (0-30, 31-60, 61-90, 91-180, over 180).
    pub async fn inventory_age(
        &self,
        f: &InventoryFilter,
        now: DateTime<Utc>,
    ) -> Result<Vec<InventoryAge>, StoreError> {
        type LotRow = (i64, i64, i64, String, String, DateTime<Utc>, i64);
        let rows: Vec<LotRow> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT l.warehouse_id, l.product_id, p.seller_id, p.sku, l.kind, l.received_at, \
                 l.remaining FROM inventory_lots l JOIN products p ON p.id = l.product_id \
                 WHERE l.remaining > 0 \
                 AND ($1 IS NULL OR p.seller_id = $1) AND ($2 IS NULL OR l.warehouse_id = $2) \
                 AND ($3 IS NULL OR l.kind = $3) AND ($4 IS NULL OR p.sku = $4) \
                 ORDER BY l.warehouse_id, p.sku, p.seller_id, l.kind, l.id",
            )
            .bind(f.seller.map(|s| s.0))
            .bind(f.warehouse.map(|w| w.0))
            .bind(f.kind.map(InventoryKind::as_str))
            .bind(f.sku.as_deref())
            .fetch_all(pool)
            .await?
        });
        let mut out: Vec<InventoryAge> = Vec::new();
        for (w, p, s, sku, kind, received_at, remaining) in rows {
            let kind = parse_kind("inventory_lots.kind", &kind)?;
            let same = out
                .last()
                .is_some_and(|a| a.warehouse_id.0 == w && a.product_id.0 == p && a.kind == kind);
            if !same {
                out.push(InventoryAge {
                    warehouse_id: WarehouseId(w),
                    product_id: ProductId(p),
                    seller_id: SellerId(s),
                    sku,
                    kind,
                    days_0_30: 0,
                    days_31_60: 0,
                    days_61_90: 0,
                    days_91_180: 0,
                    days_over_180: 0,
                    total: 0,
                    oldest_received_at: received_at,
                });
            }
            let Some(age) = out.last_mut() else { continue };
            let days = (now - received_at).num_days();
            let bucket = match days {
                ..=30 => &mut age.days_0_30,
                31..=60 => &mut age.days_31_60,
                61..=90 => &mut age.days_61_90,
                91..=180 => &mut age.days_91_180,
                _ => &mut age.days_over_180,
            };
            *bucket += remaining;
            age.total += remaining;
            age.oldest_received_at = age.oldest_received_at.min(received_at);
        }
        Ok(out)
    }

    /// A count the warehouse corrects by `delta` (positive: found or returned; negative: lost,
    /// damaged): the adjustment document and its movement, in one transaction. A count cannot
    /// go below zero.
    pub async fn adjust_inventory(
        &self,
        warehouse: WarehouseId,
        product: ProductId,
        kind: InventoryKind,
        delta: i64,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<Adjustment, StoreError> {
        if delta == 0 || delta.abs() > MAX_ADJUSTMENT {
            return Err(StoreError::invalid(format!(
                "delta must be a non-zero whole number between -{MAX_ADJUSTMENT} and \
                 {MAX_ADJUSTMENT}"
            )));
        }
        let note = note.trim();
        if note.is_empty() || note.chars().count() > 500 {
            return Err(StoreError::invalid(
                "note must say why the count changed (1 to 500 characters)",
            ));
        }
        let at = db_time(now);
        let mut tx = self.write_tx().await?;
        if !exists(
            &mut tx,
            "SELECT COUNT(*) FROM warehouses WHERE id = $1",
            warehouse.0,
        )
        .await?
        {
            return Err(StoreError::invalid("warehouse_id names no warehouse"));
        }
        if !exists(
            &mut tx,
            "SELECT COUNT(*) FROM products WHERE id = $1",
            product.0,
        )
        .await?
        {
            return Err(StoreError::invalid("product_id names no product"));
        }
        let lock = tx.for_update();
        let current: Option<i64> = on_tx!(&mut tx, |c| {
            sqlx::query_scalar(&format!(
                "SELECT available FROM inventory \
                 WHERE warehouse_id = $1 AND product_id = $2 AND kind = $3{lock}"
            ))
            .bind(warehouse.0)
            .bind(product.0)
            .bind(kind.as_str())
            .fetch_optional(c)
            .await?
        });
        let available = current.unwrap_or(0);
        if available + delta < 0 {
            return Err(StoreError::refused(format!(
                "the adjustment would take available {kind} inventory below zero \
                 (available: {available}, delta: {delta})"
            )));
        }
        let id: i64 = on_tx!(&mut tx, |c| {
            sqlx::query_scalar(
                "INSERT INTO inventory_adjustments (warehouse_id, product_id, kind, delta, note, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(warehouse.0)
            .bind(product.0)
            .bind(kind.as_str())
            .bind(delta)
            .bind(note)
            .bind(at)
            .fetch_one(c)
            .await?
        });
        let level = ledger::move_stock(
            &mut tx,
            &Movement {
                warehouse,
                product,
                kind,
                reason: MoveReason::Adjust,
                available_delta: delta,
                reserved_delta: 0,
                document_type: DocumentType::Adjustment,
                document_id: id,
            },
            at,
        )
        .await?;
        tx.commit().await?;
        Ok(Adjustment {
            id,
            warehouse_id: warehouse,
            product_id: product,
            kind,
            delta,
            note: note.to_owned(),
            created_at: at,
            level,
        })
    }
}

async fn exists(tx: &mut Tx, sql: &str, id: i64) -> Result<bool, StoreError> {
    let n: i64 = on_tx!(tx, |c| {
        sqlx::query_scalar(sql).bind(id).fetch_one(c).await?
    });
    Ok(n > 0)
}

// ---------------------------------------------------------------------------------------------
// Inbound orders (ASN)

str_enum!(
    /// How an inbound order is stored.
    InboundKind {
        /// Per unit: received into product inventory (pick & pack).
        Standard = "standard",
        /// Per carton: received into carton inventory.
        Transfer = "transfer",
    }
);

str_enum!(
    /// Where an inbound order stands.
    InboundStatus {
        /// The seller's draft: editable, deletable.
        Draft = "draft",
        /// Announced to the warehouse: it receives it, or the seller cancels it.
        Submitted = "submitted",
        /// Received: its inventory is on the shelf.
        Received = "received",
        Cancelled = "cancelled",
    }
);

/// A line as the seller declares it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NewInboundLine {
    pub sku: String,
    /// Units (standard) or cartons (transfer).
    pub quantity: i64,
    /// Transfer lines only: units in each carton.
    #[serde(default)]
    pub units_per_carton: Option<i64>,
}

/// A new inbound order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInbound {
    pub seller: SellerId,
    pub warehouse: WarehouseId,
    pub kind: InboundKind,
    pub reference: String,
    pub lines: Vec<NewInboundLine>,
    /// Submitted at once instead of saved as a draft.
    pub submit: bool,
}

/// Changes to a draft; `None` keeps the field. Lines given replace all lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboundEdit {
    pub warehouse: Option<WarehouseId>,
    pub kind: Option<InboundKind>,
    pub reference: Option<String>,
    pub lines: Option<Vec<NewInboundLine>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboundLine {
    pub line_no: i64,
    pub product_id: ProductId,
    pub sku: String,
    pub quantity: i64,
    pub units_per_carton: Option<i64>,
    /// What the warehouse received; `None` until then.
    pub received: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inbound {
    pub id: InboundId,
    pub seller_id: SellerId,
    pub warehouse_id: WarehouseId,
    pub kind: InboundKind,
    pub status: InboundStatus,
    pub reference: String,
    pub created_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub received_at: Option<DateTime<Utc>>,
    pub lines: Vec<InboundLine>,
}

/// Which inbound orders to list, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundFilter {
    pub seller: Option<SellerId>,
    pub warehouse: Option<WarehouseId>,
    pub status: Option<InboundStatus>,
    pub limit: u32,
}

/// What the warehouse received on one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct ReceivedLine {
    pub line_no: i64,
    pub received: i64,
}

type InboundRow = (
    i64,
    i64,
    i64,
    String,
    String,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

const INBOUND_COLUMNS: &str = "id, seller_id, warehouse_id, kind, status, reference, created_at, \
                               submitted_at, received_at";

type LineRow = (i64, i64, i64, String, i64, Option<i64>, Option<i64>);

fn inbound_from_row(r: InboundRow) -> Result<Inbound, StoreError> {
    Ok(Inbound {
        id: InboundId(r.0),
        seller_id: SellerId(r.1),
        warehouse_id: WarehouseId(r.2),
        kind: InboundKind::parse(&r.3)
            .ok_or_else(|| StoreError::corrupt("inbound_orders.kind", "unknown kind"))?,
        status: InboundStatus::parse(&r.4)
            .ok_or_else(|| StoreError::corrupt("inbound_orders.status", "unknown status"))?,
        reference: r.5,
        created_at: r.6,
        submitted_at: r.7,
        received_at: r.8,
        lines: Vec::new(),
    })
}

fn line_from_row(r: LineRow) -> InboundLine {
    InboundLine {
        line_no: r.1,
        product_id: ProductId(r.2),
        sku: r.3,
        quantity: r.4,
        units_per_carton: r.5,
        received: r.6,
    }
}

const LINE_SELECT: &str = "SELECT l.inbound_id, l.line_no, l.product_id, p.sku, l.quantity, \
                           l.units_per_carton, l.received \
                           FROM inbound_lines l JOIN products p ON p.id = l.product_id";

fn check_reference(reference: &str) -> Result<(), StoreError> {
    let r = reference.trim();
    if r.is_empty() || r.chars().count() > 64 {
        return Err(StoreError::invalid("reference must be 1 to 64 characters"));
    }
    Ok(())
}

/// Checks the lines' shape for `kind` (no database needed).
fn check_lines(kind: InboundKind, lines: &[NewInboundLine]) -> Result<(), StoreError> {
    if lines.is_empty() || lines.len() > MAX_INBOUND_LINES {
        return Err(StoreError::invalid(format!(
            "lines must hold 1 to {MAX_INBOUND_LINES} lines"
        )));
    }
    for (i, line) in lines.iter().enumerate() {
        check_code(&format!("lines[{i}].sku"), &line.sku)?;
        if lines[..i].iter().any(|l| l.sku == line.sku) {
            return Err(StoreError::invalid(format!(
                "lines[{i}].sku {} appears twice: declare each SKU on one line",
                line.sku
            )));
        }
        if !(1..=MAX_LINE_QUANTITY).contains(&line.quantity) {
            return Err(StoreError::invalid(format!(
                "lines[{i}].quantity must be between 1 and {MAX_LINE_QUANTITY}"
            )));
        }
        match (kind, line.units_per_carton) {
            (InboundKind::Standard, Some(_)) => {
                return Err(StoreError::invalid(format!(
                    "lines[{i}].units_per_carton is for transfer inbound orders only"
                )))
            }
            (InboundKind::Transfer, None) => {
                return Err(StoreError::invalid(format!(
                    "lines[{i}].units_per_carton is required on a transfer inbound order"
                )))
            }
            (InboundKind::Transfer, Some(n)) if !(1..=MAX_LINE_QUANTITY).contains(&n) => {
                return Err(StoreError::invalid(format!(
                    "lines[{i}].units_per_carton must be between 1 and {MAX_LINE_QUANTITY}"
                )))
            }
            _ => {}
        }
    }
    Ok(())
}

/// The lines' products: each SKU must be an approved product of `seller`.
async fn resolve_lines(
    tx: &mut Tx,
    seller: SellerId,
    lines: &[NewInboundLine],
) -> Result<Vec<ProductId>, StoreError> {
    let mut ids = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let row: Option<(i64, String)> = on_tx!(&mut *tx, |c| {
            sqlx::query_as("SELECT id, status FROM products WHERE seller_id = $1 AND sku = $2")
                .bind(seller.0)
                .bind(&line.sku)
                .fetch_optional(c)
                .await?
        });
        let Some((id, status)) = row else {
            return Err(StoreError::invalid(format!(
                "lines[{i}].sku {} is not a product of this seller: create it in Products first",
                line.sku
            )));
        };
        if ProductStatus::parse(&status) != Some(ProductStatus::Approved) {
            return Err(StoreError::refused(format!(
                "lines[{i}].sku {} has not been approved: ensure the SKU has been created and \
                 approved in Products before creating an inbound order",
                line.sku
            )));
        }
        ids.push(ProductId(id));
    }
    Ok(ids)
}

async fn insert_lines(
    tx: &mut Tx,
    inbound: i64,
    lines: &[NewInboundLine],
    products: &[ProductId],
) -> Result<(), StoreError> {
    for (i, (line, product)) in lines.iter().zip(products).enumerate() {
        let line_no = i as i64 + 1;
        on_tx!(&mut *tx, |c| {
            sqlx::query(
                "INSERT INTO inbound_lines (inbound_id, line_no, product_id, quantity, \
                 units_per_carton) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(inbound)
            .bind(line_no)
            .bind(product.0)
            .bind(line.quantity)
            .bind(line.units_per_carton)
            .execute(c)
            .await?
            .rows_affected()
        });
    }
    Ok(())
}

async fn warehouse_exists(tx: &mut Tx, warehouse: WarehouseId) -> Result<(), StoreError> {
    if exists(
        tx,
        "SELECT COUNT(*) FROM warehouses WHERE id = $1",
        warehouse.0,
    )
    .await?
    {
        Ok(())
    } else {
        Err(StoreError::invalid("warehouse_id names no warehouse"))
    }
}

/// The inbound order with its lines, its row locked for the rest of the transaction.
async fn lock_inbound(tx: &mut Tx, id: InboundId) -> Result<Inbound, StoreError> {
    let lock = tx.for_update();
    load_inbound(tx, id, lock).await
}

async fn load_inbound(tx: &mut Tx, id: InboundId, lock: &str) -> Result<Inbound, StoreError> {
    let row: Option<InboundRow> = on_tx!(&mut *tx, |c| {
        sqlx::query_as(&format!(
            "SELECT {INBOUND_COLUMNS} FROM inbound_orders WHERE id = $1{lock}"
        ))
        .bind(id.0)
        .fetch_optional(c)
        .await?
    });
    let mut inbound = inbound_from_row(row.ok_or(StoreError::NotFound("inbound order"))?)?;
    let lines: Vec<LineRow> = on_tx!(&mut *tx, |c| {
        sqlx::query_as(&format!(
            "{LINE_SELECT} WHERE l.inbound_id = $1 ORDER BY l.line_no"
        ))
        .bind(id.0)
        .fetch_all(c)
        .await?
    });
    inbound.lines = lines.into_iter().map(line_from_row).collect();
    Ok(inbound)
}

impl OrderStore {
    /// Creates an inbound order, as a draft or submitted at once. Every SKU must be an
    /// approved product of the seller.
    pub async fn create_inbound(
        &self,
        new: &NewInbound,
        now: DateTime<Utc>,
    ) -> Result<Inbound, StoreError> {
        check_reference(&new.reference)?;
        check_lines(new.kind, &new.lines)?;
        let at = db_time(now);
        let mut tx = self.write_tx().await?;
        if !exists(
            &mut tx,
            "SELECT COUNT(*) FROM sellers WHERE id = $1",
            new.seller.0,
        )
        .await?
        {
            return Err(StoreError::invalid("seller_id names no seller"));
        }
        warehouse_exists(&mut tx, new.warehouse).await?;
        let products = resolve_lines(&mut tx, new.seller, &new.lines).await?;
        let (status, submitted_at) = if new.submit {
            (InboundStatus::Submitted, Some(at))
        } else {
            (InboundStatus::Draft, None)
        };
        let id: i64 = on_tx!(&mut tx, |c| {
            sqlx::query_scalar(
                "INSERT INTO inbound_orders (seller_id, warehouse_id, kind, status, reference, \
                 created_at, submitted_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(new.seller.0)
            .bind(new.warehouse.0)
            .bind(new.kind.as_str())
            .bind(status.as_str())
            .bind(new.reference.trim())
            .bind(at)
            .bind(submitted_at)
            .fetch_one(c)
            .await?
        });
        insert_lines(&mut tx, id, &new.lines, &products).await?;
        let inbound = lock_inbound(&mut tx, InboundId(id)).await?;
        tx.commit().await?;
        Ok(inbound)
    }

    pub async fn get_inbound(&self, id: InboundId) -> Result<Option<Inbound>, StoreError> {
        let mut tx = self.read_tx().await?;
        match load_inbound(&mut tx, id, "").await {
            Ok(inbound) => Ok(Some(inbound)),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Inbound orders with their lines, newest first.
    pub async fn list_inbound(&self, f: &InboundFilter) -> Result<Vec<Inbound>, StoreError> {
        let mut tx = self.read_tx().await?;
        let filter = "($1 IS NULL OR seller_id = $1) AND ($2 IS NULL OR warehouse_id = $2) \
                      AND ($3 IS NULL OR status = $3)";
        let rows: Vec<InboundRow> = on_tx!(&mut tx, |c| {
            sqlx::query_as(&format!(
                "SELECT {INBOUND_COLUMNS} FROM inbound_orders WHERE {filter} \
                 ORDER BY id DESC LIMIT $4"
            ))
            .bind(f.seller.map(|s| s.0))
            .bind(f.warehouse.map(|w| w.0))
            .bind(f.status.map(InboundStatus::as_str))
            .bind(i64::from(f.limit))
            .fetch_all(c)
            .await?
        });
        let Some(oldest) = rows.last().map(|r| r.0) else {
            return Ok(Vec::new());
        };
        let lines: Vec<LineRow> = on_tx!(&mut tx, |c| {
            sqlx::query_as(&format!(
                "{LINE_SELECT} WHERE l.inbound_id IN \
                 (SELECT id FROM inbound_orders WHERE {filter} AND id >= $4) \
                 ORDER BY l.inbound_id, l.line_no"
            ))
            .bind(f.seller.map(|s| s.0))
            .bind(f.warehouse.map(|w| w.0))
            .bind(f.status.map(InboundStatus::as_str))
            .bind(oldest)
            .fetch_all(c)
            .await?
        });
        let mut out = rows
            .into_iter()
            .map(inbound_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let at: HashMap<i64, usize> = out.iter().enumerate().map(|(n, i)| (i.id.0, n)).collect();
        for line in lines {
            if let Some(&n) = at.get(&line.0) {
                out[n].lines.push(line_from_row(line));
            }
        }
        Ok(out)
    }

    /// Edits a draft.
    pub async fn update_inbound(
        &self,
        id: InboundId,
        edit: &InboundEdit,
    ) -> Result<Inbound, StoreError> {
        if let Some(r) = &edit.reference {
            check_reference(r)?;
        }
        let mut tx = self.write_tx().await?;
        let current = lock_inbound(&mut tx, id).await?;
        if current.status != InboundStatus::Draft {
            return Err(StoreError::refused(format!(
                "inbound order {id} is {}: only a draft can be edited",
                current.status
            )));
        }
        let kind = edit.kind.unwrap_or(current.kind);
        match &edit.lines {
            Some(lines) => check_lines(kind, lines)?,
            None if kind != current.kind => {
                return Err(StoreError::invalid(
                    "lines must be given again when kind changes",
                ))
            }
            None => {}
        }
        if let Some(w) = edit.warehouse {
            warehouse_exists(&mut tx, w).await?;
        }
        let products = match &edit.lines {
            Some(lines) => Some(resolve_lines(&mut tx, current.seller_id, lines).await?),
            None => None,
        };
        on_tx!(&mut tx, |c| {
            sqlx::query(
                "UPDATE inbound_orders SET warehouse_id = $2, kind = $3, reference = $4 \
                 WHERE id = $1",
            )
            .bind(id.0)
            .bind(edit.warehouse.unwrap_or(current.warehouse_id).0)
            .bind(kind.as_str())
            .bind(
                edit.reference
                    .as_deref()
                    .map_or(current.reference.as_str(), str::trim),
            )
            .execute(c)
            .await?
            .rows_affected()
        });
        if let (Some(lines), Some(products)) = (&edit.lines, products) {
            on_tx!(&mut tx, |c| {
                sqlx::query("DELETE FROM inbound_lines WHERE inbound_id = $1")
                    .bind(id.0)
                    .execute(c)
                    .await?
                    .rows_affected()
            });
            insert_lines(&mut tx, id.0, lines, &products).await?;
        }
        let inbound = lock_inbound(&mut tx, id).await?;
        tx.commit().await?;
        Ok(inbound)
    }

    /// Deletes a draft.
    pub async fn delete_inbound(&self, id: InboundId) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let current = lock_inbound(&mut tx, id).await?;
        if current.status != InboundStatus::Draft {
            return Err(StoreError::refused(format!(
                "inbound order {id} is {}: only a draft can be deleted",
                current.status
            )));
        }
        on_tx!(&mut tx, |c| {
            sqlx::query("DELETE FROM inbound_lines WHERE inbound_id = $1")
                .bind(id.0)
                .execute(c)
                .await?
                .rows_affected()
        });
        on_tx!(&mut tx, |c| {
            sqlx::query("DELETE FROM inbound_orders WHERE id = $1")
                .bind(id.0)
                .execute(c)
                .await?
                .rows_affected()
        });
        tx.commit().await
    }

    /// Draft -> Submitted: announced to the warehouse.
    pub async fn submit_inbound(
        &self,
        id: InboundId,
        now: DateTime<Utc>,
    ) -> Result<Inbound, StoreError> {
        self.move_inbound(id, InboundStatus::Draft, InboundStatus::Submitted, now)
            .await
    }

    /// Submitted (not received) -> Cancelled.
    pub async fn cancel_inbound(
        &self,
        id: InboundId,
        now: DateTime<Utc>,
    ) -> Result<Inbound, StoreError> {
        self.move_inbound(id, InboundStatus::Submitted, InboundStatus::Cancelled, now)
            .await
    }

    async fn move_inbound(
        &self,
        id: InboundId,
        from: InboundStatus,
        to: InboundStatus,
        now: DateTime<Utc>,
    ) -> Result<Inbound, StoreError> {
        let mut tx = self.write_tx().await?;
        let current = lock_inbound(&mut tx, id).await?;
        if current.status != from {
            let verb = match to {
                InboundStatus::Submitted => "submitted",
                _ => "cancelled",
            };
            return Err(StoreError::refused(format!(
                "inbound order {id} is {}: only a {from} inbound order can be {verb}",
                current.status
            )));
        }
        let submitted_at = match to {
            InboundStatus::Submitted => Some(db_time(now)),
            _ => current.submitted_at,
        };
        on_tx!(&mut tx, |c| {
            sqlx::query("UPDATE inbound_orders SET status = $2, submitted_at = $3 WHERE id = $1")
                .bind(id.0)
                .bind(to.as_str())
                .bind(submitted_at)
                .execute(c)
                .await?
                .rows_affected()
        });
        let inbound = lock_inbound(&mut tx, id).await?;
        tx.commit().await?;
        Ok(inbound)
    }

    /// The warehouse received a submitted inbound order: each line's received quantity
    /// (`received`, by line number; a line not named was received as declared) goes on the
    /// shelf, standard lines as product units and transfer lines as cartons, with the inbound
    /// order as the document, all in one transaction.
    pub async fn receive_inbound(
        &self,
        id: InboundId,
        received: &[ReceivedLine],
        now: DateTime<Utc>,
    ) -> Result<Inbound, StoreError> {
        let at = db_time(now);
        let mut tx = self.write_tx().await?;
        let current = lock_inbound(&mut tx, id).await?;
        match current.status {
            InboundStatus::Submitted => {}
            InboundStatus::Draft => {
                return Err(StoreError::refused(format!(
                    "inbound order {id} is a draft: the seller submits it before it is received"
                )))
            }
            InboundStatus::Received => {
                return Err(StoreError::refused(format!(
                    "inbound order {id} was already received"
                )))
            }
            InboundStatus::Cancelled => {
                return Err(StoreError::refused(format!(
                    "inbound order {id} was cancelled"
                )))
            }
        }
        for (i, r) in received.iter().enumerate() {
            if !current.lines.iter().any(|l| l.line_no == r.line_no) {
                return Err(StoreError::invalid(format!(
                    "lines[{i}].line_no {} is not a line of inbound order {id}",
                    r.line_no
                )));
            }
            if received[..i].iter().any(|o| o.line_no == r.line_no) {
                return Err(StoreError::invalid(format!(
                    "lines[{i}].line_no {} appears twice",
                    r.line_no
                )));
            }
            if !(0..=MAX_LINE_QUANTITY).contains(&r.received) {
                return Err(StoreError::invalid(format!(
                    "lines[{i}].received must be between 0 and {MAX_LINE_QUANTITY}"
                )));
            }
        }
        let kind = match current.kind {
            InboundKind::Standard => InventoryKind::Product,
            InboundKind::Transfer => InventoryKind::Carton,
        };
        for line in &current.lines {
            let qty = received
                .iter()
                .find(|r| r.line_no == line.line_no)
                .map_or(line.quantity, |r| r.received);
            on_tx!(&mut tx, |c| {
                sqlx::query(
                    "UPDATE inbound_lines SET received = $3 WHERE inbound_id = $1 AND line_no = $2",
                )
                .bind(id.0)
                .bind(line.line_no)
                .bind(qty)
                .execute(c)
                .await?
                .rows_affected()
            });
            if qty > 0 {
                ledger::move_stock(
                    &mut tx,
                    &Movement {
                        warehouse: current.warehouse_id,
                        product: line.product_id,
                        kind,
                        reason: MoveReason::Inbound,
                        available_delta: qty,
                        reserved_delta: 0,
                        document_type: DocumentType::Inbound,
                        document_id: id.0,
                    },
                    at,
                )
                .await?;
            }
        }
        on_tx!(&mut tx, |c| {
            sqlx::query("UPDATE inbound_orders SET status = $2, received_at = $3 WHERE id = $1")
                .bind(id.0)
                .bind(InboundStatus::Received.as_str())
                .bind(at)
                .execute(c)
                .await?
                .rows_affected()
        });
        let inbound = lock_inbound(&mut tx, id).await?;
        tx.commit().await?;
        Ok(inbound)
    }
}
