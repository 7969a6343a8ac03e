//! Products (system SKUs) with the warehouse's product audit, and product mappings: per store,
//! platform SKU -> system SKU x quantity (several rows make a bundle). Both can be imported
//! from CSV, all or nothing, with every bad row reported.
//!
//! Audit: Draft -> (submit) Submitted -> (approve) Approved | (reject, with a reason)
//! Rejected -> (submit) Submitted. Drafts and rejected products may be edited in full and
//! deleted; a submitted one waits for the audit (no edits, no delete). An approved product
//! keeps its SKU code and hazardous-goods classification and cannot be deleted; its other
//! fields stay editable.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};

use super::csv_import::read_csv;
pub use super::csv_import::{ImportError, RowError};
use super::tx::{on_tx, Tx};
use super::{db_time, on_pool, OrderStore, StoreError};
use crate::fulfillment::{ProductId, ProductStatus};
use crate::mapping::Component;
use crate::platform::{SellerId, StoreId};

/// Most values one `IN (...)` list binds: well under SQLite's and PostgreSQL's bind limits.
const IN_CHUNK: usize = 500;
/// Rows one multi-row INSERT writes (5 binds each).
const INSERT_CHUNK: usize = 200;
/// The largest mapped quantity: units of one system SKU per unit of a platform SKU.
pub const MAX_MAPPING_QUANTITY: u32 = 100_000;
const MAX_NAME_CHARS: usize = 255;
const MAX_PLATFORM_SKU_CHARS: usize = 255;

// ---------------------------------------------------------------------------------------------
// Types

/// A product mapping row's own id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MappingId(pub i64);

impl fmt::Display for MappingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A product (system SKU) of one seller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    pub id: ProductId,
    pub seller_id: SellerId,
    pub sku: String,
    pub name: String,
    pub status: ProductStatus,
    /// The hazardous-goods classification; fixed once approved.
    pub hazard_class: Option<String>,
    pub barcode: Option<String>,
    pub weight_g: Option<i64>,
    pub length_mm: Option<i64>,
    pub width_mm: Option<i64>,
    pub height_mm: Option<i64>,
    pub declared_value: Option<Decimal>,
    /// The warehouse has measured it as a new product.
    pub measured: bool,
    /// Why the audit rejected it (status `rejected` only).
    pub reject_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new product, created as a Draft.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewProduct {
    pub sku: String,
    pub name: String,
    #[serde(default)]
    pub hazard_class: Option<String>,
    #[serde(default)]
    pub barcode: Option<String>,
    #[serde(default)]
    pub weight_g: Option<i64>,
    #[serde(default)]
    pub length_mm: Option<i64>,
    #[serde(default)]
    pub width_mm: Option<i64>,
    #[serde(default)]
    pub height_mm: Option<i64>,
    #[serde(default)]
    pub declared_value: Option<Decimal>,
}

/// Changes to a product: an absent field stays as it is; for the optional ones `Some(None)`
/// (JSON `null`, or an empty text) clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductPatch {
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub hazard_class: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub barcode: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub weight_g: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    pub length_mm: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    pub width_mm: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    pub height_mm: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    pub declared_value: Option<Option<Decimal>>,
}

/// A field that is present in the JSON, possibly `null`.
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// What the warehouse measured; absent values keep what the product has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measurement {
    #[serde(default)]
    pub weight_g: Option<i64>,
    #[serde(default)]
    pub length_mm: Option<i64>,
    #[serde(default)]
    pub width_mm: Option<i64>,
    #[serde(default)]
    pub height_mm: Option<i64>,
}

/// Which products to list, oldest id first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductFilter {
    pub seller: Option<SellerId>,
    pub status: Option<ProductStatus>,
    /// Part of the SKU code, case-insensitive.
    pub sku: Option<String>,
    /// Ids above this one (paging).
    pub after: Option<ProductId>,
    pub limit: u32,
}

/// One mapping row: `quantity` units of the system SKU per unit of the platform SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mapping {
    pub id: MappingId,
    pub store_id: StoreId,
    pub platform_sku: String,
    pub product_id: ProductId,
    /// The system SKU code of `product_id`.
    pub system_sku: String,
    pub quantity: u32,
    pub created_at: DateTime<Utc>,
}

/// What a mapping import wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MappingImport {
    /// Platform SKUs whose components were (re)placed.
    pub platform_skus: u64,
    /// Mapping rows written.
    pub rows: u64,
    /// Rows of those platform SKUs that were deleted first (replaced).
    pub replaced: u64,
}

/// What a product import created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductImport {
    pub created: u64,
    pub ids: Vec<ProductId>,
}

// ---------------------------------------------------------------------------------------------
// Rows

const PRODUCT_COLUMNS: &str = "id, seller_id, sku, name, status, hazard_class, barcode, \
    weight_g, length_mm, width_mm, height_mm, declared_value, measured, reject_reason, \
    created_at, updated_at";

#[derive(sqlx::FromRow)]
struct ProductRow {
    id: i64,
    seller_id: i64,
    sku: String,
    name: String,
    status: String,
    hazard_class: Option<String>,
    barcode: Option<String>,
    weight_g: Option<i64>,
    length_mm: Option<i64>,
    width_mm: Option<i64>,
    height_mm: Option<i64>,
    declared_value: Option<String>,
    measured: bool,
    reject_reason: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<ProductRow> for Product {
    type Error = StoreError;

    fn try_from(r: ProductRow) -> Result<Self, StoreError> {
        let declared_value = r
            .declared_value
            .map(|v| v.parse::<Decimal>())
            .transpose()
            .map_err(|e| StoreError::corrupt("products.declared_value", e))?;
        Ok(Product {
            id: ProductId(r.id),
            seller_id: SellerId(r.seller_id),
            sku: r.sku,
            name: r.name,
            status: ProductStatus::parse(&r.status)
                .ok_or_else(|| StoreError::corrupt("products.status", "unknown status"))?,
            hazard_class: r.hazard_class,
            barcode: r.barcode,
            weight_g: r.weight_g,
            length_mm: r.length_mm,
            width_mm: r.width_mm,
            height_mm: r.height_mm,
            declared_value,
            measured: r.measured,
            reject_reason: r.reject_reason,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

const MAPPING_SELECT: &str = "SELECT m.id, m.store_id, m.platform_sku, m.product_id, \
    p.sku AS system_sku, m.quantity, m.created_at \
    FROM product_mappings m JOIN products p ON p.id = m.product_id";

#[derive(sqlx::FromRow)]
struct MappingRow {
    id: i64,
    store_id: i64,
    platform_sku: String,
    product_id: i64,
    system_sku: String,
    quantity: i64,
    created_at: DateTime<Utc>,
}

impl TryFrom<MappingRow> for Mapping {
    type Error = StoreError;

    fn try_from(r: MappingRow) -> Result<Self, StoreError> {
        Ok(Mapping {
            id: MappingId(r.id),
            store_id: StoreId(r.store_id),
            platform_sku: r.platform_sku,
            product_id: ProductId(r.product_id),
            system_sku: r.system_sku,
            quantity: mapped_quantity(r.quantity)?,
            created_at: r.created_at,
        })
    }
}

fn mapped_quantity(q: i64) -> Result<u32, StoreError> {
    u32::try_from(q)
        .ok()
        .filter(|q| *q >= 1)
        .ok_or_else(|| StoreError::corrupt("product_mappings.quantity", "not a positive u32"))
}

// ---------------------------------------------------------------------------------------------
// Validation

/// A product as it will be stored, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fields {
    sku: String,
    name: String,
    hazard_class: Option<String>,
    barcode: Option<String>,
    weight_g: Option<i64>,
    length_mm: Option<i64>,
    width_mm: Option<i64>,
    height_mm: Option<i64>,
    declared_value: Option<Decimal>,
}

impl Fields {
    fn new(p: &NewProduct) -> Result<Self, StoreError> {
        let fields = Fields {
            sku: p.sku.trim().to_owned(),
            name: p.name.trim().to_owned(),
            hazard_class: text(p.hazard_class.as_deref()),
            barcode: text(p.barcode.as_deref()),
            weight_g: p.weight_g,
            length_mm: p.length_mm,
            width_mm: p.width_mm,
            height_mm: p.height_mm,
            declared_value: p.declared_value,
        };
        fields.check()?;
        Ok(fields)
    }

    fn of(p: &Product) -> Self {
        Fields {
            sku: p.sku.clone(),
            name: p.name.clone(),
            hazard_class: p.hazard_class.clone(),
            barcode: p.barcode.clone(),
            weight_g: p.weight_g,
            length_mm: p.length_mm,
            width_mm: p.width_mm,
            height_mm: p.height_mm,
            declared_value: p.declared_value,
        }
    }

    fn apply(&mut self, patch: &ProductPatch) {
        if let Some(sku) = &patch.sku {
            sku.trim().clone_into(&mut self.sku);
        }
        if let Some(name) = &patch.name {
            name.trim().clone_into(&mut self.name);
        }
        if let Some(v) = &patch.hazard_class {
            self.hazard_class = text(v.as_deref());
        }
        if let Some(v) = &patch.barcode {
            self.barcode = text(v.as_deref());
        }
        if let Some(v) = patch.weight_g {
            self.weight_g = v;
        }
        if let Some(v) = patch.length_mm {
            self.length_mm = v;
        }
        if let Some(v) = patch.width_mm {
            self.width_mm = v;
        }
        if let Some(v) = patch.height_mm {
            self.height_mm = v;
        }
        if let Some(v) = patch.declared_value {
            self.declared_value = v;
        }
    }

    fn check(&self) -> Result<(), StoreError> {
        check_sku("sku", &self.sku)?;
        if self.name.is_empty() {
            return Err(StoreError::invalid("name must not be empty"));
        }
        if self.name.chars().count() > MAX_NAME_CHARS {
            return Err(StoreError::invalid(format!(
                "name must be at most {MAX_NAME_CHARS} characters"
            )));
        }
        if let Some(h) = &self.hazard_class {
            if h.chars().count() > 64 {
                return Err(StoreError::invalid(
                    "hazard_class must be at most 64 characters",
                ));
            }
        }
        if let Some(b) = &self.barcode {
            check_sku("barcode", b)?;
        }
        check_measures(&Measurement {
            weight_g: self.weight_g,
            length_mm: self.length_mm,
            width_mm: self.width_mm,
            height_mm: self.height_mm,
        })?;
        if self
            .declared_value
            .is_some_and(|v| v.is_sign_negative() && !v.is_zero())
        {
            return Err(StoreError::invalid(
                "declared_value must be a decimal of at least 0",
            ));
        }
        Ok(())
    }
}

/// Trimmed text; empty is none.
fn text(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// A SKU code: 1 to 64 visible characters, no spaces.
fn check_sku(field: &str, sku: &str) -> Result<(), StoreError> {
    let n = sku.chars().count();
    if n == 0 || n > 64 || sku.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(StoreError::invalid(format!(
            "{field} must be 1 to 64 visible characters without spaces"
        )));
    }
    Ok(())
}

fn check_measures(m: &Measurement) -> Result<(), StoreError> {
    for (field, v) in [
        ("weight_g", m.weight_g),
        ("length_mm", m.length_mm),
        ("width_mm", m.width_mm),
        ("height_mm", m.height_mm),
    ] {
        if v.is_some_and(|v| v <= 0) {
            return Err(StoreError::invalid(format!(
                "{field} must be a positive whole number"
            )));
        }
    }
    Ok(())
}

fn check_platform_sku(sku: &str) -> Result<&str, String> {
    let sku = sku.trim();
    if sku.is_empty() {
        return Err("platform_sku must not be empty".into());
    }
    if sku.chars().count() > MAX_PLATFORM_SKU_CHARS || sku.chars().any(char::is_control) {
        return Err(format!(
            "platform_sku must be at most {MAX_PLATFORM_SKU_CHARS} characters, none of them \
             control characters"
        ));
    }
    Ok(sku)
}

fn check_quantity(q: u32) -> Result<(), StoreError> {
    if q == 0 || q > MAX_MAPPING_QUANTITY {
        return Err(StoreError::invalid(format!(
            "quantity must be a whole number from 1 to {MAX_MAPPING_QUANTITY}"
        )));
    }
    Ok(())
}

fn sku_taken(sku: &str) -> StoreError {
    StoreError::refused(format!(
        "the seller already has a product with SKU {sku}: SKUs are unique per seller"
    ))
}

/// `%` and `_` match themselves in a LIKE pattern escaped with `\`.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('%');
    for c in s.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

// ---------------------------------------------------------------------------------------------
// Statements inside a transaction

async fn product_in(tx: &mut Tx, id: ProductId) -> Result<Option<Product>, StoreError> {
    let lock = tx.for_update();
    let row: Option<ProductRow> = on_tx!(tx, |c| {
        sqlx::query_as(&format!(
            "SELECT {PRODUCT_COLUMNS} FROM products WHERE id = $1{lock}"
        ))
        .bind(id.0)
        .fetch_optional(c)
        .await?
    });
    row.map(Product::try_from).transpose()
}

async fn store_seller_in(tx: &mut Tx, store: StoreId) -> Result<SellerId, StoreError> {
    let seller: Option<i64> = on_tx!(tx, |c| {
        sqlx::query_scalar("SELECT seller_id FROM stores WHERE id = $1")
            .bind(store.0)
            .fetch_optional(c)
            .await?
    });
    seller.map(SellerId).ok_or(StoreError::NotFound("store"))
}

/// The seller's products with these SKU codes, by SKU.
async fn skus_in(
    tx: &mut Tx,
    seller: SellerId,
    skus: &[&str],
) -> Result<HashMap<String, Product>, StoreError> {
    let mut found = HashMap::new();
    for chunk in skus.chunks(IN_CHUNK) {
        let rows: Vec<ProductRow> = on_tx!(tx, |c| {
            let mut q = sqlx::QueryBuilder::new(format!(
                "SELECT {PRODUCT_COLUMNS} FROM products WHERE seller_id = "
            ));
            q.push_bind(seller.0).push(" AND sku IN (");
            let mut list = q.separated(", ");
            for sku in chunk {
                list.push_bind(*sku);
            }
            q.push(")");
            q.build_query_as().fetch_all(&mut *c).await?
        });
        for row in rows {
            let p = Product::try_from(row)?;
            found.insert(p.sku.clone(), p);
        }
    }
    Ok(found)
}

/// The mapping components of these platform SKUs in `store`, for a step that reads them in
/// its own transaction (review). Keys without a mapping are absent from the answer; the IN
/// list goes out in chunks, so any number of keys is fine.
pub(crate) async fn components_in(
    tx: &mut Tx,
    store: StoreId,
    keys: &[&str],
) -> Result<HashMap<String, Vec<Component>>, StoreError> {
    let mut unique: Vec<&str> = keys.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let mut out: HashMap<String, Vec<Component>> = HashMap::new();
    for chunk in unique.chunks(IN_CHUNK) {
        let rows: Vec<(String, i64, i64)> = on_tx!(tx, |c| {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT platform_sku, product_id, quantity FROM product_mappings \
                 WHERE store_id = ",
            );
            q.push_bind(store.0).push(" AND platform_sku IN (");
            let mut list = q.separated(", ");
            for key in chunk {
                list.push_bind(*key);
            }
            q.push(") ORDER BY platform_sku, id");
            q.build_query_as().fetch_all(&mut *c).await?
        });
        for (sku, product, quantity) in rows {
            out.entry(sku).or_default().push(Component {
                product: ProductId(product),
                quantity: mapped_quantity(quantity)?,
            });
        }
    }
    Ok(out)
}

async fn insert_product(
    tx: &mut Tx,
    seller: SellerId,
    f: &Fields,
    now: DateTime<Utc>,
) -> Result<ProductId, StoreError> {
    let id: Result<i64, sqlx::Error> = on_tx!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO products (seller_id, sku, name, status, hazard_class, barcode, \
             weight_g, length_mm, width_mm, height_mm, declared_value, measured, reject_reason, \
             created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, FALSE, NULL, $12, $12) \
             RETURNING id",
        )
        .bind(seller.0)
        .bind(&f.sku)
        .bind(&f.name)
        .bind(ProductStatus::Draft.as_str())
        .bind(&f.hazard_class)
        .bind(&f.barcode)
        .bind(f.weight_g)
        .bind(f.length_mm)
        .bind(f.width_mm)
        .bind(f.height_mm)
        .bind(f.declared_value.map(|v| v.to_string()))
        .bind(now)
        .fetch_one(&mut *c)
        .await
    });
    match id.map_err(StoreError::from) {
        Ok(id) => Ok(ProductId(id)),
        Err(StoreError::Conflict(_)) => Err(sku_taken(&f.sku)),
        Err(e) => Err(e.missing("seller")),
    }
}

// ---------------------------------------------------------------------------------------------
// Products

impl OrderStore {
    /// Creates a Draft product for `seller`.
    pub async fn create_product(
        &self,
        seller: SellerId,
        new: &NewProduct,
    ) -> Result<Product, StoreError> {
        let fields = Fields::new(new)?;
        let now = db_time(Utc::now());
        let mut tx = self.write_tx().await?;
        let id = insert_product(&mut tx, seller, &fields, now).await?;
        let product = product_in(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound("product"))?;
        tx.commit().await?;
        Ok(product)
    }

    pub async fn get_product(&self, id: ProductId) -> Result<Option<Product>, StoreError> {
        let row: Option<ProductRow> = on_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {PRODUCT_COLUMNS} FROM products WHERE id = $1"
            ))
            .bind(id.0)
            .fetch_optional(pool)
            .await?
        });
        row.map(Product::try_from).transpose()
    }

    pub async fn list_products(&self, filter: &ProductFilter) -> Result<Vec<Product>, StoreError> {
        let pattern = filter
            .sku
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(like_escape);
        let rows: Vec<ProductRow> = on_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {PRODUCT_COLUMNS} FROM products \
                 WHERE ($1 IS NULL OR seller_id = $1) AND ($2 IS NULL OR status = $2) \
                 AND ($3 IS NULL OR LOWER(sku) LIKE $3 ESCAPE '\\') AND id > $4 \
                 ORDER BY id LIMIT $5"
            ))
            .bind(filter.seller.map(|s| s.0))
            .bind(filter.status.map(ProductStatus::as_str))
            .bind(&pattern)
            .bind(filter.after.map_or(0, |a| a.0))
            .bind(i64::from(filter.limit))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Product::try_from).collect()
    }

    /// The seller's products with these SKU codes, by SKU; codes with no product are absent.
    pub async fn products_by_sku(
        &self,
        seller: SellerId,
        skus: &[&str],
    ) -> Result<HashMap<String, Product>, StoreError> {
        let mut tx = self.read_tx().await?;
        let found = skus_in(&mut tx, seller, skus).await?;
        tx.commit().await?;
        Ok(found)
    }

    /// Edits a product. Drafts and rejected products change freely; an approved one keeps
    /// its SKU and hazardous-goods classification; a submitted one waits for the audit.
    pub async fn update_product(
        &self,
        id: ProductId,
        patch: &ProductPatch,
    ) -> Result<Product, StoreError> {
        let mut tx = self.write_tx().await?;
        let current = product_in(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound("product"))?;
        let mut fields = Fields::of(&current);
        fields.apply(patch);
        fields.check()?;
        match current.status {
            ProductStatus::Submitted => {
                return Err(StoreError::refused(format!(
                    "product {} is waiting for the warehouse's audit and cannot be edited \
                     until it is approved or rejected",
                    current.sku
                )))
            }
            ProductStatus::Approved if fields.sku != current.sku => {
                return Err(StoreError::refused(format!(
                    "product {} is approved: its SKU cannot be changed",
                    current.sku
                )))
            }
            ProductStatus::Approved if fields.hazard_class != current.hazard_class => {
                return Err(StoreError::refused(format!(
                    "product {} is approved: its hazardous-goods classification cannot be \
                     changed",
                    current.sku
                )))
            }
            _ => {}
        }
        let now = db_time(Utc::now());
        let done: Result<u64, sqlx::Error> = on_tx!(&mut tx, |c| {
            sqlx::query(
                "UPDATE products SET sku = $2, name = $3, hazard_class = $4, barcode = $5, \
                 weight_g = $6, length_mm = $7, width_mm = $8, height_mm = $9, \
                 declared_value = $10, updated_at = $11 WHERE id = $1",
            )
            .bind(id.0)
            .bind(&fields.sku)
            .bind(&fields.name)
            .bind(&fields.hazard_class)
            .bind(&fields.barcode)
            .bind(fields.weight_g)
            .bind(fields.length_mm)
            .bind(fields.width_mm)
            .bind(fields.height_mm)
            .bind(fields.declared_value.map(|v| v.to_string()))
            .bind(now)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
        });
        match done.map_err(StoreError::from) {
            Ok(_) => {}
            Err(StoreError::Conflict(_)) => return Err(sku_taken(&fields.sku)),
            Err(e) => return Err(e),
        }
        let product = product_in(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound("product"))?;
        tx.commit().await?;
        Ok(product)
    }

    /// Deletes a draft or rejected product that no mapping uses.
    pub async fn delete_product(&self, id: ProductId) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let current = product_in(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound("product"))?;
        match current.status {
            ProductStatus::Approved => {
                return Err(StoreError::refused(format!(
                    "product {} is approved and cannot be deleted",
                    current.sku
                )))
            }
            ProductStatus::Submitted => {
                return Err(StoreError::refused(format!(
                    "product {} is waiting for the warehouse's audit and cannot be deleted",
                    current.sku
                )))
            }
            ProductStatus::Draft | ProductStatus::Rejected => {}
        }
        let used: i64 = on_tx!(&mut tx, |c| {
            sqlx::query_scalar("SELECT COUNT(*) FROM product_mappings WHERE product_id = $1")
                .bind(id.0)
                .fetch_one(&mut *c)
                .await?
        });
        if used > 0 {
            return Err(StoreError::refused(format!(
                "product {} is used by {used} product mapping(s); delete those mappings first",
                current.sku
            )));
        }
        let done: Result<u64, sqlx::Error> = on_tx!(&mut tx, |c| {
            sqlx::query("DELETE FROM products WHERE id = $1")
                .bind(id.0)
                .execute(&mut *c)
                .await
                .map(|r| r.rows_affected())
        });
        if let Err(e) = done {
            // Another document (inventory, an order line) still points at it.
            return Err(match StoreError::from(e) {
                StoreError::NotFound(_) => StoreError::refused(format!(
                    "product {} is used by other documents and cannot be deleted",
                    current.sku
                )),
                e => e,
            });
        }
        tx.commit().await
    }

    /// Draft or rejected -> submitted (for the warehouse's audit).
    pub async fn submit_product(&self, id: ProductId) -> Result<Product, StoreError> {
        self.audit(id, Audit::Submit).await
    }

    /// Submitted -> approved (the warehouse's audit).
    pub async fn approve_product(&self, id: ProductId) -> Result<Product, StoreError> {
        self.audit(id, Audit::Approve).await
    }

    /// Submitted -> rejected, with the reason the seller sees.
    pub async fn reject_product(&self, id: ProductId, reason: &str) -> Result<Product, StoreError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::invalid("reason must not be empty"));
        }
        self.audit(id, Audit::Reject(reason)).await
    }

    async fn audit(&self, id: ProductId, step: Audit<'_>) -> Result<Product, StoreError> {
        let mut tx = self.write_tx().await?;
        let current = product_in(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound("product"))?;
        let (from, to, reason): (&[ProductStatus], ProductStatus, Option<&str>) = match step {
            Audit::Submit => (
                &[ProductStatus::Draft, ProductStatus::Rejected],
                ProductStatus::Submitted,
                None,
            ),
            Audit::Approve => (&[ProductStatus::Submitted], ProductStatus::Approved, None),
            Audit::Reject(r) => (
                &[ProductStatus::Submitted],
                ProductStatus::Rejected,
                Some(r),
            ),
        };
        if !from.contains(&current.status) {
            let allowed: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
            return Err(StoreError::refused(format!(
                "product {} is {}: only a {} product can be {}",
                current.sku,
                current.status,
                allowed.join(" or "),
                step.done()
            )));
        }
        let now = db_time(Utc::now());
        on_tx!(&mut tx, |c| {
            sqlx::query(
                "UPDATE products SET status = $2, reject_reason = $3, updated_at = $4 \
                 WHERE id = $1",
            )
            .bind(id.0)
            .bind(to.as_str())
            .bind(reason)
            .bind(now)
            .execute(&mut *c)
            .await?;
        });
        let product = product_in(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound("product"))?;
        tx.commit().await?;
        Ok(product)
    }

    /// The warehouse measured the product (WMS > New Product Maintenance): it is marked
    /// measured, with the weight and dimensions given (others stay as they are).
    pub async fn set_measured(
        &self,
        id: ProductId,
        m: &Measurement,
    ) -> Result<Product, StoreError> {
        check_measures(m)?;
        let now = db_time(Utc::now());
        let mut tx = self.write_tx().await?;
        let done: u64 = on_tx!(&mut tx, |c| {
            sqlx::query(
                "UPDATE products SET measured = TRUE, weight_g = COALESCE($2, weight_g), \
                 length_mm = COALESCE($3, length_mm), width_mm = COALESCE($4, width_mm), \
                 height_mm = COALESCE($5, height_mm), updated_at = $6 WHERE id = $1",
            )
            .bind(id.0)
            .bind(m.weight_g)
            .bind(m.length_mm)
            .bind(m.width_mm)
            .bind(m.height_mm)
            .bind(now)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        if done == 0 {
            return Err(StoreError::NotFound("product"));
        }
        let product = product_in(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound("product"))?;
        tx.commit().await?;
        Ok(product)
    }

    /// Creates Draft products from CSV (header `sku,name,hazard_class,barcode,weight_g,
    /// length_mm,width_mm,height_mm,declared_value`, only `sku` and `name` required, any
    /// order), all or nothing.
    pub async fn import_products(
        &self,
        seller: SellerId,
        csv: &[u8],
    ) -> Result<ProductImport, ImportError> {
        const COLUMNS: &[&str] = &[
            "sku",
            "name",
            "hazard_class",
            "barcode",
            "weight_g",
            "length_mm",
            "width_mm",
            "height_mm",
            "declared_value",
        ];
        let (rows, mut errors) = read_csv(csv, COLUMNS, &["sku", "name"])?;
        let mut products: Vec<(u64, Fields)> = Vec::with_capacity(rows.len());
        let mut seen: HashMap<String, u64> = HashMap::new();
        for row in &rows {
            match product_row(&row.cells) {
                Ok(fields) => {
                    if let Some(first) = seen.get(&fields.sku) {
                        errors.push(row.error(format!(
                            "duplicate SKU {} (already on line {first})",
                            fields.sku
                        )));
                        continue;
                    }
                    seen.insert(fields.sku.clone(), row.line);
                    products.push((row.line, fields));
                }
                Err(message) => errors.push(row.error(message)),
            }
        }
        let mut tx = self.write_tx().await?;
        let skus: Vec<&str> = products.iter().map(|(_, f)| f.sku.as_str()).collect();
        let existing = skus_in(&mut tx, seller, &skus).await?;
        for (line, f) in &products {
            if existing.contains_key(&f.sku) {
                errors.push(RowError {
                    line: *line,
                    message: format!("the seller already has a product with SKU {}", f.sku),
                });
            }
        }
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.line);
            return Err(ImportError::Rows(errors));
        }
        let now = db_time(Utc::now());
        let mut ids = Vec::with_capacity(products.len());
        for (_, f) in &products {
            ids.push(insert_product(&mut tx, seller, f, now).await?);
        }
        tx.commit().await?;
        Ok(ProductImport {
            created: ids.len() as u64,
            ids,
        })
    }
}

#[derive(Debug, Clone, Copy)]
enum Audit<'a> {
    Submit,
    Approve,
    Reject(&'a str),
}

impl Audit<'_> {
    fn done(self) -> &'static str {
        match self {
            Audit::Submit => "submitted",
            Audit::Approve => "approved",
            Audit::Reject(_) => "rejected",
        }
    }
}

/// One product CSV row (cells in `COLUMNS` order), checked as `create_product` checks it.
fn product_row(cells: &[String]) -> Result<Fields, String> {
    let number = |i: usize, field: &str| -> Result<Option<i64>, String> {
        let v = cells[i].as_str();
        if v.is_empty() {
            return Ok(None);
        }
        v.parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| format!("{field} `{v}` is not a positive whole number"))
    };
    let declared_value = match cells[8].as_str() {
        "" => None,
        v => Some(
            v.parse::<Decimal>()
                .map_err(|_| format!("declared_value `{v}` is not a decimal number"))?,
        ),
    };
    let new = NewProduct {
        sku: cells[0].clone(),
        name: cells[1].clone(),
        hazard_class: Some(cells[2].clone()),
        barcode: Some(cells[3].clone()),
        weight_g: number(4, "weight_g")?,
        length_mm: number(5, "length_mm")?,
        width_mm: number(6, "width_mm")?,
        height_mm: number(7, "height_mm")?,
        declared_value,
    };
    Fields::new(&new).map_err(|e| e.to_string())
}

// ---------------------------------------------------------------------------------------------
// Mappings

impl OrderStore {
    /// Adds one component to a platform SKU's mapping in `store`. The product must belong to
    /// the store's seller; it need not be approved yet (review refuses unapproved ones).
    pub async fn add_mapping(
        &self,
        store: StoreId,
        platform_sku: &str,
        product: ProductId,
        quantity: u32,
    ) -> Result<Mapping, StoreError> {
        let platform_sku = check_platform_sku(platform_sku).map_err(StoreError::Invalid)?;
        check_quantity(quantity)?;
        let mut tx = self.write_tx().await?;
        let seller = store_seller_in(&mut tx, store).await?;
        let p = product_in(&mut tx, product).await?;
        let Some(p) = p.filter(|p| p.seller_id == seller) else {
            return Err(StoreError::invalid(format!(
                "product {product} is not a product of the store's seller"
            )));
        };
        let now = db_time(Utc::now());
        let id: Result<i64, sqlx::Error> = on_tx!(&mut tx, |c| {
            sqlx::query_scalar(
                "INSERT INTO product_mappings (store_id, platform_sku, product_id, quantity, \
                 created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(store.0)
            .bind(platform_sku)
            .bind(product.0)
            .bind(i64::from(quantity))
            .bind(now)
            .fetch_one(&mut *c)
            .await
        });
        let id = match id.map_err(StoreError::from) {
            Ok(id) => MappingId(id),
            Err(StoreError::Conflict(_)) => {
                return Err(StoreError::refused(format!(
                    "platform SKU {platform_sku} already maps to system SKU {} in this store; \
                     delete that mapping to change its quantity",
                    p.sku
                )))
            }
            Err(e) => return Err(e),
        };
        tx.commit().await?;
        Ok(Mapping {
            id,
            store_id: store,
            platform_sku: platform_sku.to_owned(),
            product_id: product,
            system_sku: p.sku,
            quantity,
            created_at: now,
        })
    }

    /// A store's mappings, by id, optionally of one platform SKU.
    pub async fn list_mappings(
        &self,
        store: StoreId,
        platform_sku: Option<&str>,
        after: Option<MappingId>,
        limit: u32,
    ) -> Result<Vec<Mapping>, StoreError> {
        let platform_sku = platform_sku.map(str::trim);
        let rows: Vec<MappingRow> = on_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "{MAPPING_SELECT} WHERE m.store_id = $1 \
                 AND ($2 IS NULL OR m.platform_sku = $2) AND m.id > $3 ORDER BY m.id LIMIT $4"
            ))
            .bind(store.0)
            .bind(platform_sku)
            .bind(after.map_or(0, |a| a.0))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Mapping::try_from).collect()
    }

    pub async fn get_mapping(&self, id: MappingId) -> Result<Option<Mapping>, StoreError> {
        let row: Option<MappingRow> = on_pool!(self, |pool| {
            sqlx::query_as(&format!("{MAPPING_SELECT} WHERE m.id = $1"))
                .bind(id.0)
                .fetch_optional(pool)
                .await?
        });
        row.map(Mapping::try_from).transpose()
    }

    /// Deletes one mapping row of `store`.
    pub async fn delete_mapping(&self, store: StoreId, id: MappingId) -> Result<(), StoreError> {
        let done: u64 = on_pool!(self, |pool| {
            sqlx::query("DELETE FROM product_mappings WHERE id = $1 AND store_id = $2")
                .bind(id.0)
                .bind(store.0)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if done == 0 {
            return Err(StoreError::NotFound("mapping"));
        }
        Ok(())
    }

    /// Deletes every component of one platform SKU in `store`; returns how many rows went.
    pub async fn delete_platform_sku(
        &self,
        store: StoreId,
        platform_sku: &str,
    ) -> Result<u64, StoreError> {
        let platform_sku = check_platform_sku(platform_sku).map_err(StoreError::Invalid)?;
        Ok(on_pool!(self, |pool| {
            sqlx::query("DELETE FROM product_mappings WHERE store_id = $1 AND platform_sku = $2")
                .bind(store.0)
                .bind(platform_sku)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    /// The components of each platform SKU in `store` that has a mapping (others are
    /// absent). Another store's mappings never apply.
    pub async fn mapping_components(
        &self,
        store: StoreId,
        platform_skus: &[&str],
    ) -> Result<HashMap<String, Vec<Component>>, StoreError> {
        let mut tx = self.read_tx().await?;
        let out = components_in(&mut tx, store, platform_skus).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Imports mappings for `store` from CSV (header `platform_sku,system_sku,quantity`, any
    /// order and case), all or nothing. Each platform SKU in the file gets exactly the
    /// components the file lists: its rows already in the store are replaced.
    pub async fn import_mappings(
        &self,
        store: StoreId,
        csv: &[u8],
    ) -> Result<MappingImport, ImportError> {
        const COLUMNS: &[&str] = &["platform_sku", "system_sku", "quantity"];
        let (rows, mut errors) = read_csv(csv, COLUMNS, COLUMNS)?;
        struct Wanted<'a> {
            line: u64,
            platform_sku: &'a str,
            system_sku: &'a str,
            quantity: u32,
        }
        let mut wanted: Vec<Wanted<'_>> = Vec::with_capacity(rows.len());
        let mut seen: HashMap<(&str, &str), u64> = HashMap::new();
        for row in &rows {
            let mut problems: Vec<String> = Vec::new();
            let platform_sku = match check_platform_sku(&row.cells[0]) {
                Ok(s) => s,
                Err(m) => {
                    problems.push(m);
                    ""
                }
            };
            let system_sku = row.cells[1].as_str();
            if system_sku.is_empty() {
                problems.push("system_sku must not be empty".into());
            }
            let q = row.cells[2].as_str();
            let quantity = match q.parse::<u32>() {
                Ok(n) if (1..=MAX_MAPPING_QUANTITY).contains(&n) => n,
                _ => {
                    problems.push(format!(
                        "quantity `{q}` is not a whole number from 1 to {MAX_MAPPING_QUANTITY}"
                    ));
                    0
                }
            };
            if problems.is_empty() {
                if let Some(first) = seen.get(&(platform_sku, system_sku)) {
                    problems.push(format!(
                        "duplicate row: platform SKU {platform_sku} -> system SKU {system_sku} \
                         is already on line {first}"
                    ));
                } else {
                    seen.insert((platform_sku, system_sku), row.line);
                    wanted.push(Wanted {
                        line: row.line,
                        platform_sku,
                        system_sku,
                        quantity,
                    });
                }
            }
            if !problems.is_empty() {
                errors.push(row.error(problems.join("; ")));
            }
        }
        let mut tx = self.write_tx().await?;
        let seller = store_seller_in(&mut tx, store).await?;
        let mut skus: Vec<&str> = wanted.iter().map(|w| w.system_sku).collect();
        skus.sort_unstable();
        skus.dedup();
        let products = skus_in(&mut tx, seller, &skus).await?;
        let mut resolved: Vec<(&str, ProductId, u32)> = Vec::with_capacity(wanted.len());
        for w in &wanted {
            match products.get(w.system_sku) {
                Some(p) => resolved.push((w.platform_sku, p.id, w.quantity)),
                None => errors.push(RowError {
                    line: w.line,
                    message: format!(
                        "unknown system SKU {}: the store's seller has no such product",
                        w.system_sku
                    ),
                }),
            }
        }
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.line);
            return Err(ImportError::Rows(errors));
        }
        let mut keys: Vec<&str> = resolved.iter().map(|r| r.0).collect();
        keys.sort_unstable();
        keys.dedup();
        let mut replaced = 0;
        for chunk in keys.chunks(IN_CHUNK) {
            replaced += on_tx!(&mut tx, |c| {
                let mut q =
                    sqlx::QueryBuilder::new("DELETE FROM product_mappings WHERE store_id = ");
                q.push_bind(store.0).push(" AND platform_sku IN (");
                let mut list = q.separated(", ");
                for key in chunk {
                    list.push_bind(*key);
                }
                q.push(")");
                q.build().execute(&mut *c).await?.rows_affected()
            });
        }
        let now = db_time(Utc::now());
        for chunk in resolved.chunks(INSERT_CHUNK) {
            on_tx!(&mut tx, |c| {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO product_mappings (store_id, platform_sku, product_id, \
                     quantity, created_at) ",
                );
                q.push_values(chunk, |mut b, (sku, product, quantity)| {
                    b.push_bind(store.0)
                        .push_bind(*sku)
                        .push_bind(product.0)
                        .push_bind(i64::from(*quantity))
                        .push_bind(now);
                });
                q.build().execute(&mut *c).await?;
            });
        }
        tx.commit().await?;
        Ok(MappingImport {
            platform_skus: keys.len() as u64,
            rows: resolved.len() as u64,
            replaced,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_escape("A_b%"), "%a\\_b\\%%");
    }
}
