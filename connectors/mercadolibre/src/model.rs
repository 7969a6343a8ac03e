//! Wire types mirroring Mercado Libre's JSON: the order (`/orders/search` results and
//! `GET /orders/{id}`), the shipment (`GET /shipments/{id}` with `x-format-new: true`, and the
//! legacy shapes some orders still embed), ME1 seller notifications and the error envelope.
//! Only the fields omsync reads are declared; status strings stay strings.

use std::str::FromStr;

use chrono::{DateTime, FixedOffset};
use connector_kit::ids::number_or_string;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

// ---- orders ------------------------------------------------------------------------------

/// `GET /orders/search`. Results stay raw so one unreadable order cannot sink the page.
#[derive(Debug, Deserialize)]
pub struct OrderSearch {
    #[serde(default)]
    pub paging: Paging,
    #[serde(default)]
    pub results: Vec<Box<RawValue>>,
}

#[derive(Debug, Default, Clone, Copy, Deserialize)]
pub struct Paging {
    #[serde(default)]
    pub total: u64,
    #[serde(default)]
    pub offset: u64,
    #[serde(default)]
    pub limit: u64,
}

/// An order, as one `/orders/search` result or `GET /orders/{id}`.
#[derive(Debug, Deserialize)]
pub struct Order {
    #[serde(deserialize_with = "number_or_string")]
    pub id: String,
    pub status: String,
    pub date_created: DateTime<FixedOffset>,
    #[serde(default)]
    pub date_closed: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub last_updated: Option<DateTime<FixedOffset>>,
    /// What `order.date_last_updated.from/to` filters on.
    #[serde(default)]
    pub date_last_updated: Option<DateTime<FixedOffset>>,
    /// Cart purchases: several orders share a pack and one shipment.
    #[serde(default, deserialize_with = "optional_id")]
    pub pack_id: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub currency_id: String,
    pub order_items: Vec<OrderItem>,
    #[serde(default)]
    pub shipping: Option<OrderShipping>,
    #[serde(default)]
    pub buyer: Option<Buyer>,
}

#[derive(Debug, Deserialize)]
pub struct OrderItem {
    pub item: Item,
    pub quantity: u32,
    /// One unit's price in `currency_id`; a JSON number read from its text.
    #[serde(deserialize_with = "decimal_from_number_text")]
    pub unit_price: Decimal,
    #[serde(default)]
    pub currency_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Item {
    /// The listing id, `MLA1398765432`.
    pub id: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "optional_id")]
    pub variation_id: Option<String>,
    /// The seller's SKU of the listing or variation (newer listings).
    #[serde(default)]
    pub seller_sku: Option<String>,
    /// The seller's own code on older listings.
    #[serde(default)]
    pub seller_custom_field: Option<String>,
}

/// `shipping` of an order: `{id}` in the current format; older orders (and custom shipping)
/// still carry the status and the receiver's address here.
#[derive(Debug, Default, Deserialize)]
pub struct OrderShipping {
    #[serde(default, deserialize_with = "optional_id")]
    pub id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub shipping_mode: Option<String>,
    #[serde(default)]
    pub logistic_type: Option<String>,
    #[serde(default)]
    pub receiver_address: Option<ShippingAddress>,
}

#[derive(Deserialize)]
pub struct Buyer {
    #[serde(default)]
    pub nickname: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
}

// The buyer's names never reach a log line.
impl std::fmt::Debug for Buyer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Buyer").finish_non_exhaustive()
    }
}

// ---- shipments ---------------------------------------------------------------------------

/// `GET /shipments/{id}` with `x-format-new: true`. The legacy fields (`mode`,
/// `logistic_type`, `receiver_address`) are read when Mercado Libre answers the old format.
#[derive(Debug, Deserialize)]
pub struct Shipment {
    #[serde(deserialize_with = "number_or_string")]
    pub id: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub substatus: Option<String>,
    #[serde(default)]
    pub tracking_number: Option<String>,
    #[serde(default)]
    pub tracking_method: Option<String>,
    #[serde(default)]
    pub logistic: Option<Logistic>,
    #[serde(default)]
    pub destination: Option<Destination>,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub logistic_type: Option<String>,
    #[serde(default)]
    pub receiver_address: Option<ShippingAddress>,
}

impl Shipment {
    /// `me2`, `me1`, `custom`, ... in either format.
    pub fn mode(&self) -> Option<&str> {
        self.logistic
            .as_ref()
            .and_then(|l| l.mode.as_deref())
            .or(self.mode.as_deref())
    }

    /// `drop_off`, `xd_drop_off`, `cross_docking`, `self_service` (Flex), `fulfillment` (Full).
    pub fn logistic_type(&self) -> Option<&str> {
        self.logistic
            .as_ref()
            .and_then(|l| l.kind.as_deref())
            .or(self.logistic_type.as_deref())
    }
}

#[derive(Debug, Deserialize)]
pub struct Logistic {
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub direction: Option<String>,
}

/// Where the shipment goes; the address is hidden until the payment is confirmed.
#[derive(Deserialize)]
pub struct Destination {
    #[serde(default)]
    pub receiver_name: Option<String>,
    #[serde(default)]
    pub receiver_phone: Option<String>,
    #[serde(default)]
    pub shipping_address: Option<ShippingAddress>,
}

impl std::fmt::Debug for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Destination")
            .field("shipping_address", &self.shipping_address)
            .finish_non_exhaustive()
    }
}

/// `destination.shipping_address` (and the legacy `receiver_address`).
#[derive(Deserialize)]
pub struct ShippingAddress {
    #[serde(default)]
    pub address_line: Option<String>,
    #[serde(default)]
    pub street_name: Option<String>,
    /// A string in examples, a number in the schema.
    #[serde(default, deserialize_with = "optional_text")]
    pub street_number: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default, deserialize_with = "optional_text")]
    pub zip_code: Option<String>,
    #[serde(default)]
    pub city: Option<Named>,
    #[serde(default)]
    pub state: Option<Named>,
    #[serde(default)]
    pub country: Option<Named>,
    #[serde(default)]
    pub neighborhood: Option<Named>,
    #[serde(default)]
    pub municipality: Option<Named>,
    /// Legacy `receiver_address` carries the receiver here.
    #[serde(default)]
    pub receiver_name: Option<String>,
    #[serde(default)]
    pub receiver_phone: Option<String>,
}

// Streets and receivers stay out of Debug; the coarse location is enough to diagnose.
impl std::fmt::Debug for ShippingAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShippingAddress")
            .field(
                "country",
                &self.country.as_ref().and_then(|c| c.id.as_deref()),
            )
            .finish_non_exhaustive()
    }
}

/// `{id, name}` pairs: city, state, country, neighborhood, municipality.
#[derive(Debug, Deserialize)]
pub struct Named {
    #[serde(default, deserialize_with = "optional_text")]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

// ---- ME1 seller notifications ---------------------------------------------------------------

/// `POST /v2/shipments/{shipment_id}/seller_notifications`.
#[derive(Debug, Serialize)]
pub struct SellerNotification<'a> {
    pub payload: NotificationPayload<'a>,
    pub tracking_number: &'a str,
    pub tracking_url: String,
    pub status: &'static str,
    /// v2 wants the key present, with JSON `null` (not the string "null") when none applies.
    pub substatus: Option<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct NotificationPayload<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<&'a str>,
    pub date: String,
}

// ---- errors ------------------------------------------------------------------------------

/// The error envelope: `{"message", "error", "status", "cause": []}`; the OAuth endpoint uses
/// `error_description` instead of `message`.
#[derive(Debug, Default, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub cause: Option<serde_json::Value>,
    /// `/shipment_labels` names the shipments it could not print.
    #[serde(default)]
    pub failed_shipments: Option<serde_json::Value>,
}

// ---- helpers -----------------------------------------------------------------------------

/// A JSON number read from its literal text (`25999.0`, `3379.87`, `1.5e3`), or a numeric
/// string: going through `f64` could change an amount.
pub fn decimal_from_number_text<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let raw = Box::<RawValue>::deserialize(d)?;
    let text = raw.get().trim();
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    Decimal::from_str(text)
        .or_else(|_| Decimal::from_scientific(text))
        .map_err(|_| serde::de::Error::custom("expected a decimal number"))
}

/// An id given as a number, a numeric string or `null`.
pub fn optional_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) if n.is_u64() => Ok(Some(n.to_string())),
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(serde_json::Value::String(s)) if s.trim().bytes().all(|b| b.is_ascii_digit()) => {
            Ok(Some(s.trim().to_owned()))
        }
        Some(_) => Err(serde::de::Error::custom("expected a numeric id")),
    }
}

/// A string or a number as text; `null` is `None`.
pub fn optional_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s)),
        Some(serde_json::Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(serde::de::Error::custom("expected a string or a number")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(Deserialize)]
    struct P {
        #[serde(deserialize_with = "decimal_from_number_text")]
        p: Decimal,
        #[serde(default, deserialize_with = "optional_id")]
        id: Option<String>,
    }

    #[test]
    fn prices_keep_their_text_and_ids_take_either_form() {
        for (json, want) in [
            (r#"{"p": 25999.0}"#, "25999.0"),
            (r#"{"p": 3379.87}"#, "3379.87"),
            (r#"{"p": 499}"#, "499"),
            (r#"{"p": 0.1}"#, "0.1"),
            (r#"{"p": 1.5e3}"#, "1500"),
            (r#"{"p": "129.95"}"#, "129.95"),
        ] {
            let p: P = connector_kit::decode_json(json.as_bytes()).unwrap();
            assert_eq!(p.p.to_string(), want, "{json}");
        }
        let p: P = connector_kit::decode_json(br#"{"p": 1, "id": 43712345678}"#).unwrap();
        assert_eq!(p.id.as_deref(), Some("43712345678"));
        let p: P = connector_kit::decode_json(br#"{"p": 1, "id": "2000003508553677"}"#).unwrap();
        assert_eq!(p.id.as_deref(), Some("2000003508553677"));
        let p: P = connector_kit::decode_json(br#"{"p": 1, "id": null}"#).unwrap();
        assert_eq!(p.id, None);
        assert!(connector_kit::decode_json::<P>(br#"{"p": true}"#).is_err());
        assert!(connector_kit::decode_json::<P>(br#"{"p": 1, "id": "MLA1"}"#).is_err());
    }

    #[test]
    fn shipment_reads_both_formats() {
        let new: Shipment = connector_kit::decode_json(
            br#"{"id": 43712345678, "status": "ready_to_ship", "logistic": {"mode": "me2", "type": "drop_off", "direction": "forward"}}"#,
        )
        .unwrap();
        assert_eq!(
            (new.mode(), new.logistic_type()),
            (Some("me2"), Some("drop_off"))
        );
        let old: Shipment = connector_kit::decode_json(
            br#"{"id": 28264263908, "mode": "me1", "logistic_type": "default", "status": "pending"}"#,
        )
        .unwrap();
        assert_eq!(old.mode(), Some("me1"));
        assert_eq!(old.id, "28264263908");
    }

    #[test]
    fn a_notification_sends_substatus_as_json_null() {
        let body = SellerNotification {
            payload: NotificationPayload {
                service_id: Some(154),
                comment: None,
                date: "2026-05-12T13:03:51.175-00:00".into(),
            },
            tracking_number: "OP123456789AR",
            tracking_url: "https://carrier.example/t/OP123456789AR".into(),
            status: "shipped",
            substatus: None,
        };
        let v = serde_json::to_value(&body).unwrap();
        assert!(v["substatus"].is_null());
        assert_eq!(v["payload"]["service_id"], 154);
        assert!(v["payload"].get("comment").is_none());
    }
}
