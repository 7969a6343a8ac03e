//! The neutral order every connector produces, and the local OMS flow it moves through.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::platform::{Platform, StoreId};

/// The platform's order status folded into the four values the OMS acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NeutralStatus {
    /// Paid and waiting for the seller to ship.
    AwaitingFulfillment,
    Shipped,
    Cancelled,
    /// Anything else (unpaid, pending review, returns, ...): kept, not acted on.
    Other,
}

impl NeutralStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NeutralStatus::AwaitingFulfillment => "awaiting_fulfillment",
            NeutralStatus::Shipped => "shipped",
            NeutralStatus::Cancelled => "cancelled",
            NeutralStatus::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "awaiting_fulfillment" => NeutralStatus::AwaitingFulfillment,
            "shipped" => NeutralStatus::Shipped,
            "cancelled" => NeutralStatus::Cancelled,
            "other" => NeutralStatus::Other,
            _ => return None,
        })
    }
}

/// Where an order stands in the warehouse's own flow (the OMS quick-start guide). A pull may
/// only move an order forward along [`FlowStatus::rank`]; the OMS steps move it otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowStatus {
    /// Synced and waiting for warehouse + channel assignment and review.
    Pending,
    /// Reviewed with a platform-label channel: "Waiting for platform label (Fetching)".
    WaitingForLabel,
    /// A fulfillment order exists.
    Processing,
    Shipped,
    /// Needs a person; the reason is in the order's history.
    Exception,
    Cancelled,
    /// Not for the OMS to act on (unpaid, on hold, ...): kept so a later pull can promote it.
    Other,
}

impl FlowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FlowStatus::Pending => "pending",
            FlowStatus::WaitingForLabel => "waiting_for_label",
            FlowStatus::Processing => "processing",
            FlowStatus::Shipped => "shipped",
            FlowStatus::Exception => "exception",
            FlowStatus::Cancelled => "cancelled",
            FlowStatus::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => FlowStatus::Pending,
            "waiting_for_label" => FlowStatus::WaitingForLabel,
            "processing" => FlowStatus::Processing,
            "shipped" => FlowStatus::Shipped,
            "exception" => FlowStatus::Exception,
            "cancelled" => FlowStatus::Cancelled,
            "other" => FlowStatus::Other,
            _ => return None,
        })
    }

    /// Order along the flow. Terminal states rank highest so nothing a pull says reopens them.
    pub fn rank(self) -> u8 {
        match self {
            FlowStatus::Other => 0,
            FlowStatus::Pending => 1,
            FlowStatus::WaitingForLabel => 2,
            FlowStatus::Processing => 3,
            FlowStatus::Exception => 4,
            FlowStatus::Shipped => 5,
            FlowStatus::Cancelled => 6,
        }
    }

    /// True once the warehouse has started work on the order (a label or fulfillment order
    /// exists), so a platform cancellation must be surfaced rather than applied.
    pub fn in_flight(self) -> bool {
        matches!(
            self,
            FlowStatus::WaitingForLabel | FlowStatus::Processing | FlowStatus::Exception
        )
    }

    /// The flow status a newly pulled order starts in.
    pub fn initial(status: NeutralStatus) -> Self {
        match status {
            NeutralStatus::AwaitingFulfillment => FlowStatus::Pending,
            NeutralStatus::Shipped => FlowStatus::Shipped,
            NeutralStatus::Cancelled => FlowStatus::Cancelled,
            NeutralStatus::Other => FlowStatus::Other,
        }
    }
}

/// A postal address as the platform sent it. Every field is optional because platforms mask
/// or omit parts of it depending on status and region.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 where the platform gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

// Buyer names, streets and phones never reach a log line: Debug shows only the coarse parts.
impl std::fmt::Debug for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Address")
            .field("city", &self.city)
            .field("state", &self.state)
            .field("country_code", &self.country_code)
            .finish_non_exhaustive()
    }
}

/// One order line: the seller's SKU on the platform, how many, at what unit price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// The platform's id for this line, where it has one (Amazon `orderItemId`, Shopee
    /// `order_item_id`); needed to confirm shipment of some lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_id: Option<String>,
    /// The seller's own SKU code: the key product mappings use. Empty when the seller left it
    /// empty on the listing; mapping then falls back to the platform ids.
    pub platform_sku: String,
    /// The platform's product id (ASIN, item_id, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_item_id: Option<String>,
    /// The platform's variant id (model_id, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_variant_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub quantity: u32,
    /// Price of one unit in the order's currency; a decimal, never minor units or a float.
    #[serde(with = "rust_decimal::serde::str")]
    pub unit_price: Decimal,
}

/// The neutral form of a marketplace order.
#[derive(Clone, Serialize, Deserialize)]
pub struct PlatformOrder {
    pub store: StoreId,
    pub platform: Platform,
    pub platform_order_id: String,
    /// The platform's status string exactly as sent.
    pub platform_status: String,
    pub status: NeutralStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// ISO 4217.
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_name: Option<String>,
    pub ship_to: Address,
    pub lines: Vec<OrderLine>,
    /// True when the platform will generate the label for this order (Shopee integrated
    /// channels, Amazon Buy Shipping): a hint for channel assignment.
    #[serde(default)]
    pub platform_label_hint: bool,
    /// The order's JSON exactly as received (after joining list and detail calls).
    pub raw: Box<serde_json::value::RawValue>,
}

impl PartialEq for PlatformOrder {
    fn eq(&self, other: &Self) -> bool {
        self.store == other.store
            && self.platform == other.platform
            && self.platform_order_id == other.platform_order_id
            && self.platform_status == other.platform_status
            && self.status == other.status
            && self.created_at == other.created_at
            && self.updated_at == other.updated_at
            && self.currency == other.currency
            && self.buyer_name == other.buyer_name
            && self.ship_to == other.ship_to
            && self.lines == other.lines
            && self.platform_label_hint == other.platform_label_hint
            && self.raw.get() == other.raw.get()
    }
}

// The buyer's name and the raw payload (which holds the address) stay out of Debug output.
impl std::fmt::Debug for PlatformOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformOrder")
            .field("store", &self.store)
            .field("platform", &self.platform)
            .field("platform_order_id", &self.platform_order_id)
            .field("platform_status", &self.platform_status)
            .field("status", &self.status)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .field("currency", &self.currency)
            .field("ship_to", &self.ship_to)
            .field("lines", &self.lines)
            .field("raw_bytes", &self.raw.get().len())
            .finish_non_exhaustive()
    }
}

impl PlatformOrder {
    /// The order's raw JSON as text.
    pub fn raw_json(&self) -> &str {
        self.raw.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_debug_hides_personal_data() {
        let a = Address {
            name: Some("Jane Buyer".into()),
            lines: vec!["1 Secret Lane".into()],
            phone: Some("+1 555 0100".into()),
            city: Some("Seattle".into()),
            ..Address::default()
        };
        let shown = format!("{a:?}");
        assert!(shown.contains("Seattle"));
        for secret in ["Jane", "Secret Lane", "555"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn flow_rank_keeps_terminal_states_last() {
        assert!(FlowStatus::Pending.rank() < FlowStatus::Processing.rank());
        assert!(FlowStatus::Processing.rank() < FlowStatus::Shipped.rank());
        assert!(FlowStatus::Shipped.rank() < FlowStatus::Cancelled.rank());
        for s in [
            FlowStatus::Pending,
            FlowStatus::WaitingForLabel,
            FlowStatus::Processing,
            FlowStatus::Shipped,
            FlowStatus::Exception,
            FlowStatus::Cancelled,
            FlowStatus::Other,
        ] {
            assert_eq!(FlowStatus::parse(s.as_str()), Some(s));
        }
    }
}
