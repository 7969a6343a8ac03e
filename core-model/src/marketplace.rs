//! The `Marketplace` trait: the contract between the sync engine and every connector.
//!
//! One connector instance serves one authorized store; it owns that store's credentials and
//! token cache. Methods are object safe so the daemon holds `Arc<dyn Marketplace>`.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::MarketplaceError;
use crate::order::{Address, PlatformOrder};
use crate::platform::Platform;

/// A half-open time window `[from, to)` in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Window {
    /// A window; `None` when `to` is not after `from`.
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> Option<Self> {
        (from < to).then_some(Window { from, to })
    }

    pub fn len(&self) -> chrono::TimeDelta {
        self.to - self.from
    }

    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.from <= t && t < self.to
    }
}

/// An opaque, persistable position inside a pull. Only the connector that made it reads it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(pub String);

impl fmt::Debug for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cursor({} bytes)", self.0.len())
    }
}

/// How a shipment is confirmed to the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackingMode {
    /// The seller uploads carrier + tracking number (Amazon `confirmShipment`).
    ConfirmShipment,
    /// The seller arranges shipment on the platform's channel, supplying a tracking number for
    /// non-integrated carriers (Shopee `ship_order`).
    ArrangeShipment,
    None,
}

/// A documented request quota: a token bucket.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RateSpec {
    pub per_second: f64,
    pub burst: u32,
}

/// What a connector offers, declared rather than probed. The daemon and the testkit read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capabilities {
    /// Longest window one list call accepts; longer windows are split by the connector.
    pub max_window: Option<Duration>,
    /// Orders per list page the connector asks for.
    pub page_size: u32,
    /// Whether the order list can filter by update time (incremental pulls).
    pub filters_by_update_time: bool,
    /// Windows must end at least this long before now (Amazon: 2 minutes).
    pub window_end_lag: Duration,
    /// The documented quota of the order-list call, for sync planning.
    pub order_list_quota: Option<RateSpec>,
    pub platform_labels: bool,
    pub tracking: TrackingMode,
    /// The API version pinned, e.g. `orders/2026-01-01`.
    pub api_version: String,
}

/// Orders that could not be read: kept raw and flagged so nothing is lost.
pub struct MalformedOrder {
    pub platform_order_id: Option<String>,
    /// The order's JSON (or bytes, lossily decoded) as received.
    pub raw: String,
    pub error: MarketplaceError,
}

// The raw payload holds buyer data: Debug shows its size only.
impl fmt::Debug for MalformedOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MalformedOrder")
            .field("platform_order_id", &self.platform_order_id)
            .field("raw_bytes", &self.raw.len())
            .field("error", &self.error)
            .finish()
    }
}

/// One page of a pull.
#[derive(Debug, Default)]
pub struct OrderPage {
    pub orders: Vec<PlatformOrder>,
    pub malformed: Vec<MalformedOrder>,
    /// `None` when the window is exhausted.
    pub next_cursor: Option<Cursor>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelFormat {
    Pdf,
    Zpl,
    Png,
}

/// Where a parcel ships from and what it measures, for platforms that sell the label.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LabelSpec {
    pub ship_from: Option<ShipFrom>,
    pub parcel: Option<Parcel>,
    /// A platform shipping service id, where the caller chose one.
    pub service: Option<String>,
    pub format: Option<LabelFormat>,
}

#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShipFrom {
    pub address: Address,
    pub email: Option<String>,
}

impl fmt::Debug for ShipFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShipFrom")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

/// Parcel dimensions in centimetres and weight in grams.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Parcel {
    pub length_cm: f64,
    pub width_cm: f64,
    pub height_cm: f64,
    pub weight_g: f64,
}

/// A platform-generated shipping document.
#[derive(Clone, PartialEq)]
pub struct Label {
    pub format: LabelFormat,
    pub bytes: Bytes,
    pub tracking_number: Option<String>,
    pub carrier: Option<String>,
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Label")
            .field("format", &self.format)
            .field("bytes", &self.bytes.len())
            .field("tracking_number", &self.tracking_number)
            .field("carrier", &self.carrier)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentLine {
    /// The platform's line id (`OrderLine::line_id`).
    pub line_id: Option<String>,
    pub platform_sku: String,
    pub quantity: u32,
}

/// "Mark as shipped": what goes back to the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    pub platform_order_id: String,
    /// Our stable id for this package within the order; makes repeats idempotent.
    pub package_ref: String,
    /// The carrier's code as the platform spells it (`UPS`, `USPS`, ...).
    pub carrier_code: String,
    pub carrier_name: Option<String>,
    pub shipping_method: Option<String>,
    pub tracking_number: String,
    pub shipped_at: DateTime<Utc>,
    pub lines: Vec<ShipmentLine>,
}

/// The platform accepted the shipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackingAck {
    /// True when the platform said the shipment was already confirmed (a repeat upload).
    pub already_confirmed: bool,
}

/// A marketplace connector bound to one store.
#[async_trait]
pub trait Marketplace: Send + Sync + fmt::Debug {
    fn platform(&self) -> Platform;

    fn capabilities(&self) -> &Capabilities;

    /// One page of orders created or updated in `window`. Pass the previous page's
    /// `next_cursor` to continue; the same window must be passed with it.
    async fn pull_orders(
        &self,
        window: Window,
        cursor: Option<&Cursor>,
    ) -> Result<OrderPage, MarketplaceError>;

    /// The platform-generated shipping document for `order`.
    async fn fetch_label(
        &self,
        order: &PlatformOrder,
        spec: &LabelSpec,
    ) -> Result<Label, MarketplaceError>;

    /// Confirm a shipment. Repeating an accepted upload succeeds.
    async fn upload_tracking(&self, shipment: &Shipment) -> Result<TrackingAck, MarketplaceError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn window_is_half_open() {
        let a = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap();
        let b = Utc.with_ymd_and_hms(2024, 5, 2, 0, 0, 0).unwrap();
        let w = Window::new(a, b).unwrap();
        assert!(w.contains(a));
        assert!(!w.contains(b));
        assert!(Window::new(b, a).is_none());
        assert!(Window::new(a, a).is_none());
    }
}
