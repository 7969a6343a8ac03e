//! Warehouses and their shipping channels.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{db_time, on_pool, OrderStore, StoreError};
use crate::fulfillment::{ChannelId, ChannelKind, WarehouseId};
use crate::order::Address;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warehouse {
    pub id: WarehouseId,
    pub code: String,
    pub name: String,
    /// The standard transaction currency: top-ups are made in it.
    pub currency: String,
    /// Where parcels ship from: platforms that sell the label need it.
    pub address: Option<Address>,
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Channel {
    pub id: ChannelId,
    pub warehouse_id: WarehouseId,
    pub code: String,
    pub name: String,
    pub kind: ChannelKind,
    /// The carrier code uploaded with tracking numbers (warehouse channels).
    pub carrier_code: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A new shipping channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChannel<'a> {
    pub warehouse: WarehouseId,
    pub code: &'a str,
    pub name: &'a str,
    pub kind: ChannelKind,
    pub carrier_code: Option<&'a str>,
}

#[derive(sqlx::FromRow)]
struct WarehouseRow {
    id: i64,
    code: String,
    name: String,
    currency: String,
    address: Option<String>,
    email: Option<String>,
    created_at: DateTime<Utc>,
}

const WAREHOUSE_COLUMNS: &str = "id, code, name, currency, address, email, created_at";

impl TryFrom<WarehouseRow> for Warehouse {
    type Error = StoreError;

    fn try_from(r: WarehouseRow) -> Result<Self, StoreError> {
        let address = r
            .address
            .map(|a| serde_json::from_str(&a))
            .transpose()
            .map_err(|e| StoreError::corrupt("warehouses.address", e))?;
        Ok(Warehouse {
            id: WarehouseId(r.id),
            code: r.code,
            name: r.name,
            currency: r.currency,
            address,
            email: r.email,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct ChannelRow {
    id: i64,
    warehouse_id: i64,
    code: String,
    name: String,
    kind: String,
    carrier_code: Option<String>,
    created_at: DateTime<Utc>,
}

pub(super) const CHANNEL_COLUMNS: &str =
    "id, warehouse_id, code, name, kind, carrier_code, created_at";

impl TryFrom<ChannelRow> for Channel {
    type Error = StoreError;

    fn try_from(r: ChannelRow) -> Result<Self, StoreError> {
        Ok(Channel {
            id: ChannelId(r.id),
            warehouse_id: WarehouseId(r.warehouse_id),
            code: r.code,
            name: r.name,
            kind: ChannelKind::parse(&r.kind)
                .ok_or_else(|| StoreError::corrupt("shipping_channels.kind", "unknown kind"))?,
            carrier_code: r.carrier_code,
            created_at: r.created_at,
        })
    }
}

/// A code: 1 to 64 visible characters, no spaces.
pub(super) fn check_code(field: &str, code: &str) -> Result<(), StoreError> {
    if code.is_empty() || code.len() > 64 || code.chars().any(|c| c.is_whitespace()) {
        return Err(StoreError::invalid(format!(
            "{field} must be 1 to 64 characters without spaces"
        )));
    }
    Ok(())
}

/// A ship-from address has lines, city, postal code and country; an email has an `@`.
pub fn check_address(address: &Address, email: Option<&str>) -> Result<(), StoreError> {
    if address.lines.is_empty()
        || address.city.is_none()
        || address.postal_code.is_none()
        || address.country_code.is_none()
    {
        return Err(StoreError::invalid(
            "address needs lines, city, postal_code and country_code",
        ));
    }
    if email
        .map(str::trim)
        .is_some_and(|e| !e.is_empty() && !e.contains('@'))
    {
        return Err(StoreError::invalid("email is not an email address"));
    }
    Ok(())
}

/// An ISO 4217 code: three ASCII capitals.
pub(super) fn check_currency(currency: &str) -> Result<(), StoreError> {
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(StoreError::invalid(
            "currency must be an ISO 4217 code such as USD",
        ));
    }
    Ok(())
}

impl OrderStore {
    pub async fn create_warehouse(
        &self,
        code: &str,
        name: &str,
        currency: &str,
    ) -> Result<WarehouseId, StoreError> {
        check_code("code", code)?;
        check_currency(currency)?;
        if name.trim().is_empty() {
            return Err(StoreError::invalid("name must not be empty"));
        }
        let now = db_time(Utc::now());
        let id: Result<i64, sqlx::Error> = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "INSERT INTO warehouses (code, name, currency, created_at) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(code)
            .bind(name)
            .bind(currency)
            .bind(now)
            .fetch_one(pool)
            .await
        });
        match id.map_err(StoreError::from) {
            Ok(id) => Ok(WarehouseId(id)),
            Err(StoreError::Conflict(_)) => Err(StoreError::refused(format!(
                "a warehouse with code {code} already exists"
            ))),
            Err(e) => Err(e),
        }
    }

    pub async fn list_warehouses(&self) -> Result<Vec<Warehouse>, StoreError> {
        let rows: Vec<WarehouseRow> = on_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {WAREHOUSE_COLUMNS} FROM warehouses ORDER BY id"
            ))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Warehouse::try_from).collect()
    }

    pub async fn get_warehouse(&self, id: WarehouseId) -> Result<Option<Warehouse>, StoreError> {
        let row: Option<WarehouseRow> = on_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {WAREHOUSE_COLUMNS} FROM warehouses WHERE id = $1"
            ))
            .bind(id.0)
            .fetch_optional(pool)
            .await?
        });
        row.map(Warehouse::try_from).transpose()
    }

    /// Sets where the warehouse's parcels ship from, and its contact email: what platforms
    /// that sell the label (Amazon, eBay, Walmart, Temu) put on it.
    pub async fn set_warehouse_address(
        &self,
        id: WarehouseId,
        address: &Address,
        email: Option<&str>,
    ) -> Result<(), StoreError> {
        check_address(address, email)?;
        let email = email.map(str::trim).filter(|e| !e.is_empty());
        let json = serde_json::to_string(address)
            .map_err(|e| StoreError::corrupt("warehouses.address", e))?;
        let n = on_pool!(self, |pool| {
            sqlx::query("UPDATE warehouses SET address = $2, email = $3 WHERE id = $1")
                .bind(id.0)
                .bind(json)
                .bind(email)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::NotFound("warehouse"));
        }
        Ok(())
    }

    pub async fn create_channel(&self, new: &NewChannel<'_>) -> Result<ChannelId, StoreError> {
        check_code("code", new.code)?;
        if new.name.trim().is_empty() {
            return Err(StoreError::invalid("name must not be empty"));
        }
        let carrier = new.carrier_code.map(str::trim).filter(|c| !c.is_empty());
        if new.kind == ChannelKind::Warehouse && carrier.is_none() {
            return Err(StoreError::invalid(
                "carrier_code is required for a warehouse channel: it is uploaded with the \
                 tracking number",
            ));
        }
        let now = db_time(Utc::now());
        let id: Result<i64, sqlx::Error> = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "INSERT INTO shipping_channels (warehouse_id, code, name, kind, carrier_code, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(new.warehouse.0)
            .bind(new.code)
            .bind(new.name)
            .bind(new.kind.as_str())
            .bind(carrier)
            .bind(now)
            .fetch_one(pool)
            .await
        });
        match id.map_err(StoreError::from) {
            Ok(id) => Ok(ChannelId(id)),
            Err(StoreError::Conflict(_)) => Err(StoreError::refused(format!(
                "the warehouse already has a channel with code {}",
                new.code
            ))),
            Err(e) => Err(e.missing("warehouse")),
        }
    }

    /// The channels of one warehouse, or of all.
    pub async fn list_channels(
        &self,
        warehouse: Option<WarehouseId>,
    ) -> Result<Vec<Channel>, StoreError> {
        let rows: Vec<ChannelRow> = on_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {CHANNEL_COLUMNS} FROM shipping_channels \
                 WHERE $1 IS NULL OR warehouse_id = $1 ORDER BY id"
            ))
            .bind(warehouse.map(|w| w.0))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Channel::try_from).collect()
    }

    pub async fn get_channel(&self, id: ChannelId) -> Result<Option<Channel>, StoreError> {
        let row: Option<ChannelRow> = on_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {CHANNEL_COLUMNS} FROM shipping_channels WHERE id = $1"
            ))
            .bind(id.0)
            .fetch_optional(pool)
            .await?
        });
        row.map(Channel::try_from).transpose()
    }
}
