//! The two ledgers every OMS step writes through: inventory (each movement changes one
//! warehouse/product/kind row and is recorded as a transaction with its document; stock
//! leaving or arriving updates the receipt lots the age report reads) and the seller's
//! available amount. Steps call these inside their own transaction.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::QueryBuilder;

use super::tx::{on_tx, Tx};
use super::{db_time, StoreError};
use crate::fulfillment::{str_enum, InventoryKind, ProductId, WarehouseId};
use crate::platform::SellerId;

str_enum!(
    /// Why inventory moved.
    MoveReason {
        /// Received from an inbound order: available up.
        Inbound = "inbound",
        /// A fulfillment order was submitted: available down, reserved up.
        Reserve = "reserve",
        /// A submitted fulfillment order was cancelled: reserved down, available up.
        Release = "release",
        /// A fulfillment order shipped: reserved down, out of the warehouse.
        Ship = "ship",
        /// A count the warehouse corrected or imported (returns, stocktakes).
        Adjust = "adjust",
    }
);

str_enum!(
    /// The kind of document behind an inventory movement.
    DocumentType {
        Inbound = "inbound",
        Fulfillment = "fulfillment",
        Adjustment = "adjustment",
    }
);

/// One inventory movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Movement {
    pub warehouse: WarehouseId,
    pub product: ProductId,
    pub kind: InventoryKind,
    pub reason: MoveReason,
    pub available_delta: i64,
    pub reserved_delta: i64,
    pub document_type: DocumentType,
    pub document_id: i64,
}

/// A row's counts after a movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Level {
    pub available: i64,
    pub reserved: i64,
}

/// Applies `m` at `at`. Fails with [`StoreError::Refused`] (insufficient inventory) when a
/// count would go below zero; nothing is written then, but the caller's transaction decides
/// whether the rest stands.
pub(crate) async fn move_stock(
    tx: &mut Tx,
    m: &Movement,
    at: DateTime<Utc>,
) -> Result<Level, StoreError> {
    let at = db_time(at);
    let growing = m.available_delta >= 0 && m.reserved_delta >= 0;
    let level: Option<(i64, i64)> = if growing {
        on_tx!(tx, |c| {
            sqlx::query_as(
                "INSERT INTO inventory (warehouse_id, product_id, kind, available, reserved) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (warehouse_id, product_id, kind) DO UPDATE SET \
                 available = inventory.available + excluded.available, \
                 reserved = inventory.reserved + excluded.reserved \
                 RETURNING available, reserved",
            )
            .bind(m.warehouse.0)
            .bind(m.product.0)
            .bind(m.kind.as_str())
            .bind(m.available_delta)
            .bind(m.reserved_delta)
            .fetch_optional(c)
            .await
            .map_err(|e| StoreError::from(e).missing("warehouse or product"))?
        })
    } else {
        on_tx!(tx, |c| {
            sqlx::query_as(
                "UPDATE inventory SET available = available + $4, reserved = reserved + $5 \
                 WHERE warehouse_id = $1 AND product_id = $2 AND kind = $3 \
                 AND available + $4 >= 0 AND reserved + $5 >= 0 \
                 RETURNING available, reserved",
            )
            .bind(m.warehouse.0)
            .bind(m.product.0)
            .bind(m.kind.as_str())
            .bind(m.available_delta)
            .bind(m.reserved_delta)
            .fetch_optional(c)
            .await?
        })
    };
    let Some((available, reserved)) = level else {
        return Err(StoreError::refused(
            crate::fulfillment::refusal::INSUFFICIENT_INVENTORY,
        ));
    };
    on_tx!(tx, |c| {
        sqlx::query(
            "INSERT INTO inventory_transactions (warehouse_id, product_id, kind, reason, \
             available_delta, reserved_delta, available_after, reserved_after, document_type, \
             document_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(m.warehouse.0)
        .bind(m.product.0)
        .bind(m.kind.as_str())
        .bind(m.reason.as_str())
        .bind(m.available_delta)
        .bind(m.reserved_delta)
        .bind(available)
        .bind(reserved)
        .bind(m.document_type.as_str())
        .bind(m.document_id)
        .bind(at)
        .execute(c)
        .await?
        .rows_affected()
    });
    // Lots follow what is physically on the shelf: reserving and releasing move nothing.
    let on_shelf = match m.reason {
        MoveReason::Reserve | MoveReason::Release => 0,
        _ => m.available_delta + m.reserved_delta,
    };
    if on_shelf > 0 {
        on_tx!(tx, |c| {
            sqlx::query(
                "INSERT INTO inventory_lots (warehouse_id, product_id, kind, received_at, \
                 remaining) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(m.warehouse.0)
            .bind(m.product.0)
            .bind(m.kind.as_str())
            .bind(at)
            .bind(on_shelf)
            .execute(c)
            .await?
            .rows_affected()
        });
    } else if on_shelf < 0 {
        consume_lots(tx, m, -on_shelf).await?;
    }
    Ok(Level {
        available,
        reserved,
    })
}

/// Applies many reservations or releases at once, in order, as [`move_stock`] would one by
/// one: each inventory row is read (locked) once and written once, and the transactions go in
/// multi-row INSERTs. Only for moves that put nothing on or off the shelf (reserve, release):
/// lots stay as they are. Fails with [`StoreError::Refused`] if a count would go below zero,
/// having written nothing.
pub(crate) async fn reserve_many(
    tx: &mut Tx,
    moves: &[Movement],
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    if moves.is_empty() {
        return Ok(());
    }
    if moves
        .iter()
        .any(|m| !matches!(m.reason, MoveReason::Reserve | MoveReason::Release))
    {
        return Err(StoreError::invalid(
            "reserve_many takes reservations and releases only",
        ));
    }
    let at = db_time(at);
    let lock = tx.for_update();
    let mut keys: Vec<(i64, i64, &'static str)> = moves
        .iter()
        .map(|m| (m.warehouse.0, m.product.0, m.kind.as_str()))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let mut levels: HashMap<(i64, i64, &'static str), (i64, i64)> = HashMap::new();
    for part in keys.chunks(300) {
        let found: Vec<(i64, i64, String, i64, i64)> = on_tx!(tx, |c| {
            let mut q = QueryBuilder::new(
                "SELECT warehouse_id, product_id, kind, available, reserved FROM inventory \
                 WHERE (warehouse_id, product_id, kind) IN (",
            );
            let mut list = q.separated(", ");
            for (w, p, k) in part {
                list.push("(")
                    .push_bind_unseparated(*w)
                    .push_unseparated(", ")
                    .push_bind_unseparated(*p)
                    .push_unseparated(", ")
                    .push_bind_unseparated(*k)
                    .push_unseparated(")");
            }
            q.push(")");
            q.push(lock);
            q.build_query_as().fetch_all(c).await?
        });
        for (w, p, k, available, reserved) in found {
            if let Some(kind) = InventoryKind::parse(&k) {
                levels.insert((w, p, kind.as_str()), (available, reserved));
            }
        }
    }
    let mut rows = Vec::with_capacity(moves.len());
    for m in moves {
        let level = levels
            .get_mut(&(m.warehouse.0, m.product.0, m.kind.as_str()))
            .ok_or_else(|| {
                StoreError::refused(crate::fulfillment::refusal::INSUFFICIENT_INVENTORY)
            })?;
        level.0 += m.available_delta;
        level.1 += m.reserved_delta;
        if level.0 < 0 || level.1 < 0 {
            return Err(StoreError::refused(
                crate::fulfillment::refusal::INSUFFICIENT_INVENTORY,
            ));
        }
        rows.push((m, *level));
    }
    for part in rows.chunks(2_000) {
        on_tx!(tx, |c| {
            let mut q = QueryBuilder::new(
                "INSERT INTO inventory_transactions (warehouse_id, product_id, kind, reason, \
                 available_delta, reserved_delta, available_after, reserved_after, \
                 document_type, document_id, at) ",
            );
            q.push_values(part, |mut b, (m, (available, reserved))| {
                b.push_bind(m.warehouse.0)
                    .push_bind(m.product.0)
                    .push_bind(m.kind.as_str())
                    .push_bind(m.reason.as_str())
                    .push_bind(m.available_delta)
                    .push_bind(m.reserved_delta)
                    .push_bind(*available)
                    .push_bind(*reserved)
                    .push_bind(m.document_type.as_str())
                    .push_bind(m.document_id)
                    .push_bind(at);
            });
            q.build().execute(c).await?.rows_affected()
        });
    }
    for ((w, p, k), (available, reserved)) in &levels {
        on_tx!(tx, |c| {
            sqlx::query(
                "UPDATE inventory SET available = $4, reserved = $5 \
                 WHERE warehouse_id = $1 AND product_id = $2 AND kind = $3",
            )
            .bind(*w)
            .bind(*p)
            .bind(*k)
            .bind(*available)
            .bind(*reserved)
            .execute(c)
            .await?
            .rows_affected()
        });
    }
    Ok(())
}

/// Takes `units` out of the oldest lots first.
async fn consume_lots(tx: &mut Tx, m: &Movement, mut units: i64) -> Result<(), StoreError> {
    let lots: Vec<(i64, i64)> = on_tx!(tx, |c| {
        sqlx::query_as(
            "SELECT id, remaining FROM inventory_lots \
             WHERE warehouse_id = $1 AND product_id = $2 AND kind = $3 AND remaining > 0 \
             ORDER BY id",
        )
        .bind(m.warehouse.0)
        .bind(m.product.0)
        .bind(m.kind.as_str())
        .fetch_all(c)
        .await?
    });
    for (id, remaining) in lots {
        if units == 0 {
            break;
        }
        let take = remaining.min(units);
        units -= take;
        on_tx!(tx, |c| {
            sqlx::query("UPDATE inventory_lots SET remaining = remaining - $2 WHERE id = $1")
                .bind(id)
                .bind(take)
                .execute(c)
                .await?
                .rows_affected()
        });
    }
    Ok(())
}

/// Available product units of `products` in every warehouse, by (warehouse id, product id).
/// With `lock` the rows stay locked (PostgreSQL) until the transaction ends: for a step that
/// spends them.
pub(crate) async fn product_stock(
    tx: &mut Tx,
    products: &[i64],
    lock: bool,
) -> Result<HashMap<(i64, i64), i64>, StoreError> {
    let suffix = if lock { tx.for_update() } else { "" };
    let mut stock = HashMap::new();
    for part in products.chunks(500) {
        let found: Vec<(i64, i64, i64)> = on_tx!(tx, |c| {
            let mut q = QueryBuilder::new(
                "SELECT warehouse_id, product_id, available FROM inventory \
                 WHERE kind = 'product' AND product_id IN (",
            );
            let mut list = q.separated(", ");
            for id in part {
                list.push_bind(*id);
            }
            q.push(")");
            q.push(suffix);
            q.build_query_as().fetch_all(c).await?
        });
        for (warehouse, product, available) in found {
            stock.insert((warehouse, product), available);
        }
    }
    Ok(stock)
}

/// A seller's account as the ledger sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Funds {
    pub currency: Option<String>,
    #[serde(with = "rust_decimal::serde::str")]
    pub balance: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub credit_limit: Decimal,
}

impl Funds {
    /// Balance + credit limit: orders are submitted only while it is above zero.
    pub fn available(&self) -> Decimal {
        self.balance + self.credit_limit
    }
}

/// The seller's funds; a seller without an account has none.
pub(crate) async fn funds(tx: &mut Tx, seller: SellerId) -> Result<Funds, StoreError> {
    let lock = tx.for_update();
    let row: Option<(String, String, String)> = on_tx!(tx, |c| {
        sqlx::query_as(&format!(
            "SELECT currency, balance, credit_limit FROM seller_accounts WHERE seller_id = $1{lock}"
        ))
        .bind(seller.0)
        .fetch_optional(c)
        .await?
    });
    let Some((currency, balance, credit_limit)) = row else {
        return Ok(Funds {
            currency: None,
            balance: Decimal::ZERO,
            credit_limit: Decimal::ZERO,
        });
    };
    let parse = |column: &'static str, v: &str| {
        Decimal::from_str(v).map_err(|e| StoreError::corrupt(column, e))
    };
    Ok(Funds {
        currency: Some(currency),
        balance: parse("seller_accounts.balance", &balance)?,
        credit_limit: parse("seller_accounts.credit_limit", &credit_limit)?,
    })
}
