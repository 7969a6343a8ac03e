//! Wire types: the parts of Shopee's Open Platform v2 JSON this connector reads and writes,
//! field for field (specs under shared/marketplaces/specs/shopee/).

use std::str::FromStr;

use rust_decimal::Decimal;
use secrecy::SecretString;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

/// The envelope every JSON answer shares; `error` is empty on success.
#[derive(Debug, Deserialize)]
pub struct Envelope<T> {
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub request_id: Option<String>,
    #[serde(default = "none")]
    pub response: Option<T>,
}

fn none<T>() -> Option<T> {
    None
}

/// `v2.order.get_order_list` `response`.
#[derive(Debug, Deserialize)]
pub struct OrderListResponse {
    #[serde(default)]
    pub more: bool,
    #[serde(default)]
    pub next_cursor: Option<String>,
    #[serde(default)]
    pub order_list: Vec<OrderListItem>,
}

#[derive(Debug, Deserialize)]
pub struct OrderListItem {
    pub order_sn: String,
    #[serde(default)]
    pub order_status: Option<String>,
}

/// `v2.order.get_order_detail` `response`: orders kept raw so each is decoded on its own.
#[derive(Debug, Deserialize)]
pub struct OrderDetailResponse {
    #[serde(default)]
    pub order_list: Vec<Box<RawValue>>,
}

/// Enough of an order to name it when the rest does not decode.
#[derive(Debug, Deserialize)]
pub struct OrderSnOnly {
    #[serde(default)]
    pub order_sn: Option<String>,
}

/// One element of `get_order_detail` `order_list`.
#[derive(Debug, Deserialize)]
pub struct OrderDetail {
    pub order_sn: String,
    #[serde(default)]
    pub region: Option<String>,
    pub currency: String,
    pub order_status: String,
    pub create_time: i64,
    pub update_time: i64,
    #[serde(default)]
    pub buyer_username: Option<String>,
    #[serde(default)]
    pub recipient_address: Option<RecipientAddress>,
    #[serde(default)]
    pub item_list: Vec<OrderItem>,
    #[serde(default)]
    pub package_list: Vec<Package>,
    #[serde(default)]
    pub fulfillment_flag: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RecipientAddress {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub town: Option<String>,
    #[serde(default)]
    pub district: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub zipcode: Option<String>,
    #[serde(default)]
    pub full_address: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OrderItem {
    pub item_id: u64,
    #[serde(default)]
    pub item_name: Option<String>,
    #[serde(default)]
    pub item_sku: Option<String>,
    #[serde(default)]
    pub model_id: u64,
    #[serde(default)]
    pub model_sku: Option<String>,
    pub model_quantity_purchased: u32,
    /// A JSON float on the wire; read from its text, never through `f64`.
    #[serde(deserialize_with = "decimal_from_number_text")]
    pub model_discounted_price: Decimal,
    #[serde(default)]
    pub order_item_id: Option<u64>,
}

#[derive(Debug, Deserialize)]
pub struct Package {
    pub package_number: String,
    #[serde(default)]
    pub logistics_status: Option<String>,
    #[serde(default)]
    pub logistics_channel_id: Option<u64>,
    #[serde(default)]
    pub shipping_carrier: Option<String>,
}

/// The parts of an order's raw detail the label flow needs.
#[derive(Debug, Deserialize)]
pub struct LabelOrder {
    pub order_sn: String,
    #[serde(default)]
    pub package_list: Vec<Package>,
    #[serde(default)]
    pub shipping_carrier: Option<String>,
}

/// Parse a JSON number from its literal text (`12.95`, `48000`, `1.5e3`), or a numeric
/// string. Shopee sends prices as floats; going through `f64` could change the amount.
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

/// `POST /api/v2/auth/access_token/get` body.
#[derive(Serialize)]
pub struct RefreshRequest<'a> {
    pub refresh_token: &'a str,
    pub partner_id: u64,
    pub shop_id: u64,
}

// The body holds the single-use refresh token: Debug shows the ids only.
impl std::fmt::Debug for RefreshRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshRequest")
            .field("partner_id", &self.partner_id)
            .field("shop_id", &self.shop_id)
            .finish_non_exhaustive()
    }
}

/// The refresh answer: flat, no `response` wrapper. Tokens are `SecretString`s (redacted Debug).
#[derive(Debug, Deserialize)]
pub struct TokenResponse {
    #[serde(default)]
    pub access_token: Option<SecretString>,
    #[serde(default)]
    pub refresh_token: Option<SecretString>,
    #[serde(default)]
    pub expire_in: Option<u64>,
}

/// `v2.logistics.get_tracking_number` `response`.
#[derive(Debug, Deserialize)]
pub struct TrackingNumberResponse {
    #[serde(default)]
    pub tracking_number: Option<String>,
    #[serde(default)]
    pub hint: Option<String>,
}

/// One `order_list` element of the shipping-document calls.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentOrder {
    pub order_sn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_document_type: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DocumentRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_document_type: Option<String>,
    pub order_list: Vec<DocumentOrder>,
}

/// `result_list` of get_shipping_document_parameter / create_shipping_document /
/// get_shipping_document_result; each call fills the fields it has.
#[derive(Debug, Deserialize)]
pub struct DocumentResults {
    #[serde(default)]
    pub result_list: Vec<DocumentResult>,
}

#[derive(Debug, Deserialize)]
pub struct DocumentResult {
    #[serde(default)]
    pub order_sn: Option<String>,
    #[serde(default)]
    pub package_number: Option<String>,
    #[serde(default)]
    pub suggest_shipping_document_type: Option<String>,
    #[serde(default)]
    pub selectable_shipping_document_type: Vec<String>,
    /// get_shipping_document_result: `READY`, `FAILED` or `PROCESSING`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub fail_error: Option<String>,
    #[serde(default)]
    pub fail_message: Option<String>,
}

/// `POST /api/v2/logistics/ship_order` body for a non-integrated channel.
#[derive(Debug, Serialize)]
pub struct ShipOrderRequest {
    pub order_sn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_number: Option<String>,
    pub non_integrated: NonIntegrated,
}

#[derive(Debug, Serialize)]
pub struct NonIntegrated {
    pub tracking_number: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(Deserialize)]
    struct P {
        #[serde(deserialize_with = "decimal_from_number_text")]
        p: Decimal,
    }

    #[test]
    fn prices_keep_their_decimal_text() {
        for (json, want) in [
            (r#"{"p": 12.95}"#, "12.95"),
            (r#"{"p": 48000}"#, "48000"),
            (r#"{"p": 0.1}"#, "0.1"),
            (r#"{"p": 19.990000000000001}"#, "19.990000000000001"),
            (r#"{"p": 1.5e3}"#, "1500"),
            (r#"{"p": "7.50"}"#, "7.50"),
        ] {
            let p: P = connector_kit::decode_json(json.as_bytes()).unwrap();
            assert_eq!(p.p.to_string(), want, "{json}");
        }
        assert!(connector_kit::decode_json::<P>(br#"{"p": true}"#).is_err());
    }
}
