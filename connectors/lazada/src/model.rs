//! Wire types: the parts of the Lazada Open Platform JSON this connector reads and writes, field
//! for field (GetOrders, GetMultipleOrderItems, GetOrderItems, GetShipmentProvider, Pack,
//! PrintAWB, ReadyToShip, /auth/token/refresh; see shared/marketplaces/lazada.md).
//!
//! Lazada is loose with JSON types: ids come as numbers or strings, booleans as `true` or
//! `"true"`, counts and error codes as numbers or strings. The helpers at the end accept both.

use std::str::FromStr;

use rust_decimal::Decimal;
use secrecy::SecretString;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

/// The top level of every API answer: `code` is `"0"` on success; errors carry `type`, `code`,
/// `message` and no `data`.
#[derive(Debug, Deserialize)]
pub struct Envelope<T> {
    #[serde(default, deserialize_with = "opt_text")]
    pub code: Option<String>,
    #[serde(default = "none")]
    pub data: Option<T>,
    #[serde(default)]
    pub request_id: Option<String>,
}

/// The top level of the fulfillment APIs, which nest a second envelope under `result`.
#[derive(Debug, Deserialize)]
pub struct ResultEnvelope<T> {
    #[serde(default, deserialize_with = "opt_text")]
    pub code: Option<String>,
    #[serde(default = "none")]
    pub result: Option<FulfillResult<T>>,
    #[serde(default)]
    pub request_id: Option<String>,
}

/// `result` of Pack, ReadyToShip, PrintAWB and GetShipmentProvider. The field tables say
/// `error_code`/`error_msg`, the doc samples `errorCode`/`errorMsg`: both are read.
#[derive(Debug, Deserialize)]
pub struct FulfillResult<T> {
    #[serde(default, deserialize_with = "opt_bool")]
    pub success: Option<bool>,
    #[serde(default, deserialize_with = "opt_text")]
    pub error_code: Option<String>,
    #[serde(default, rename = "errorCode", deserialize_with = "opt_text")]
    pub error_code_camel: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub error_msg: Option<String>,
    #[serde(default, rename = "errorMsg", deserialize_with = "opt_text")]
    pub error_msg_camel: Option<String>,
    #[serde(default = "none")]
    pub data: Option<T>,
}

impl<T> FulfillResult<T> {
    pub fn code(&self) -> Option<&str> {
        self.error_code
            .as_deref()
            .or(self.error_code_camel.as_deref())
            .filter(|c| !c.is_empty())
    }

    pub fn message(&self) -> Option<&str> {
        self.error_msg
            .as_deref()
            .or(self.error_msg_camel.as_deref())
            .filter(|m| !m.is_empty())
    }
}

fn none<T>() -> Option<T> {
    None
}

/// GetOrders `data`. Orders stay raw so each is decoded on its own.
#[derive(Debug, Deserialize)]
pub struct OrderList {
    #[serde(default, deserialize_with = "opt_count")]
    pub count: Option<u64>,
    #[serde(default, rename = "countTotal", deserialize_with = "opt_count")]
    pub count_total: Option<u64>,
    #[serde(default)]
    pub orders: Vec<Box<RawValue>>,
}

/// Enough of an order to name it (and to ask for its items) when the rest does not decode.
#[derive(Debug, Deserialize)]
pub struct OrderIdOnly {
    #[serde(default, deserialize_with = "opt_text")]
    pub order_id: Option<String>,
}

/// One element of GetMultipleOrderItems `data`.
#[derive(Debug, Deserialize)]
pub struct OrderItemsEntry {
    #[serde(deserialize_with = "text")]
    pub order_id: String,
    #[serde(default)]
    pub order_items: Option<Box<RawValue>>,
}

/// A GetOrders order joined with its `order_items` (from GetMultipleOrderItems).
#[derive(Debug, Deserialize)]
pub struct Order {
    #[serde(deserialize_with = "text")]
    pub order_id: String,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default)]
    pub statuses: Vec<String>,
    #[serde(default)]
    pub customer_first_name: Option<String>,
    #[serde(default)]
    pub customer_last_name: Option<String>,
    #[serde(default)]
    pub address_shipping: Option<Address>,
    #[serde(default, deserialize_with = "opt_bool")]
    pub need_cancel_confirm: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool")]
    pub is_cancel_pending: Option<bool>,
    pub order_items: Vec<OrderItem>,
}

/// `address_shipping`: `address1` is the street, `address3` the state, `address4` the city,
/// `address5` the district; `country` is a country name. `addressDsitrict` is Lazada's spelling
/// in GetOrders, `addressDistrict` in GetOrder.
#[derive(Debug, Default, Deserialize)]
pub struct Address {
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub address1: Option<String>,
    #[serde(default)]
    pub address2: Option<String>,
    #[serde(default)]
    pub address3: Option<String>,
    #[serde(default)]
    pub address4: Option<String>,
    #[serde(default)]
    pub address5: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub post_code: Option<String>,
    #[serde(default, rename = "addressDsitrict")]
    pub address_dsitrict: Option<String>,
    #[serde(default, rename = "addressDistrict")]
    pub address_district: Option<String>,
}

/// One order item: one unit of one SKU (Lazada has no quantity field).
#[derive(Debug, Clone, Deserialize)]
pub struct OrderItem {
    #[serde(deserialize_with = "text")]
    pub order_item_id: String,
    /// The seller SKU.
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default)]
    pub shop_sku: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub sku_id: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub product_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// A decimal string (`"99.00"`); read from its text, never through `f64`.
    #[serde(deserialize_with = "decimal")]
    pub item_price: Decimal,
    #[serde(default)]
    pub currency: Option<String>,
    pub status: String,
    #[serde(default, deserialize_with = "opt_text")]
    pub package_id: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub tracking_code: Option<String>,
    #[serde(default)]
    pub shipment_provider: Option<String>,
    #[serde(default, deserialize_with = "opt_bool")]
    pub delivery_option_sof: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool")]
    pub is_fbl: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool")]
    pub need_cancel_confirm: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool")]
    pub is_cancel_pending: Option<bool>,
}

/// `/auth/token/refresh` answer: flat, no `data`. Tokens are `SecretString`s (redacted Debug).
#[derive(Debug, Deserialize)]
pub struct TokenResponse {
    #[serde(default)]
    pub access_token: Option<SecretString>,
    #[serde(default)]
    pub refresh_token: Option<SecretString>,
    /// Seconds.
    #[serde(default, deserialize_with = "opt_count")]
    pub expires_in: Option<u64>,
    #[serde(default)]
    pub country: Option<String>,
}

/// GetShipmentProvider `result.data`.
#[derive(Debug, Deserialize)]
pub struct ProvidersData {
    /// 1: the platform allocates the carrier; 0: the seller must pass a provider to Pack.
    #[serde(default, deserialize_with = "opt_count")]
    pub platform_default: Option<u64>,
    #[serde(default)]
    pub shipment_providers: Vec<Provider>,
    /// `TFS` (local) or `NTFS` (cross-border): passed through to Pack.
    #[serde(default)]
    pub shipping_allocate_type: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Provider {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub provider_code: Option<String>,
}

/// Pack `result.data`.
#[derive(Debug, Deserialize)]
pub struct PackData {
    #[serde(default)]
    pub pack_order_list: Vec<PackOrderResult>,
}

#[derive(Debug, Deserialize)]
pub struct PackOrderResult {
    #[serde(default)]
    pub order_item_list: Vec<ItemResult>,
}

/// One element's outcome in Pack (per item) and ReadyToShip (per package): `item_err_code`
/// `"0"` is success, whatever `success` said for the batch.
#[derive(Debug, Deserialize)]
pub struct ItemResult {
    #[serde(default, deserialize_with = "opt_text")]
    pub order_item_id: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub package_id: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub item_err_code: Option<String>,
    #[serde(default)]
    pub msg: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub tracking_number: Option<String>,
    #[serde(default)]
    pub shipment_provider: Option<String>,
    #[serde(default, deserialize_with = "opt_bool")]
    pub retry: Option<bool>,
}

impl ItemResult {
    pub fn ok(&self) -> bool {
        self.item_err_code.as_deref().map(str::trim) == Some("0")
    }
}

/// ReadyToShip `result.data`.
#[derive(Debug, Deserialize)]
pub struct PackagesData {
    #[serde(default)]
    pub packages: Vec<ItemResult>,
}

/// PrintAWB `result.data`: `file` is base64 (for PDF, of an HTML `<iframe>` pointing at the
/// document), `pdf_url` the PDF itself, valid for ten minutes.
#[derive(Debug, Deserialize)]
pub struct DocumentData {
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub doc_type: Option<String>,
    #[serde(default)]
    pub pdf_url: Option<String>,
}

/// `getShipmentProvidersReq`.
#[derive(Debug, Serialize)]
pub struct ProvidersRequest {
    pub orders: Vec<ProvidersOrder>,
}

#[derive(Debug, Serialize)]
pub struct ProvidersOrder {
    pub order_id: u64,
    pub order_item_ids: Vec<u64>,
}

/// `packReq`, field order as in the doc's request sample.
#[derive(Debug, Serialize)]
pub struct PackRequest {
    pub pack_order_list: Vec<PackOrder>,
    pub delivery_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipment_provider_code: Option<String>,
    pub shipping_allocate_type: String,
}

#[derive(Debug, Serialize)]
pub struct PackOrder {
    pub order_item_list: Vec<u64>,
    pub order_id: u64,
}

/// `readyToShipReq`.
#[derive(Debug, Serialize)]
pub struct ReadyToShipRequest {
    pub packages: Vec<PackageRef>,
}

/// `getDocumentReq`.
#[derive(Debug, Serialize)]
pub struct DocumentRequest {
    pub doc_type: &'static str,
    pub packages: Vec<PackageRef>,
}

#[derive(Debug, Serialize)]
pub struct PackageRef {
    pub package_id: String,
}

/// A scalar as text: `"0"`, `0`, `"FP123"`, `712345678901234`. Null, arrays and objects are
/// refused.
fn scalar_text(v: serde_json::Value) -> Result<Option<String>, &'static str> {
    use serde_json::Value;
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        _ => Err("expected a string or a number"),
    }
}

/// A required id or code given as a JSON number or string.
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match scalar_text(serde_json::Value::deserialize(d)?).map_err(serde::de::Error::custom)? {
        Some(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        _ => Err(serde::de::Error::custom("expected a non-empty id")),
    }
}

/// An optional id, code or message given as a JSON number or string; empty means absent.
pub fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(scalar_text(serde_json::Value::deserialize(d)?)
        .map_err(serde::de::Error::custom)?
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty()))
}

/// `true`, `"true"`, `"True"`, `1`, `"1"` (and their negations); null or `""` is absent.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let Some(text) =
        scalar_text(serde_json::Value::deserialize(d)?).map_err(serde::de::Error::custom)?
    else {
        return Ok(None);
    };
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(Some(true)),
        "false" | "0" => Ok(Some(false)),
        "" | "null" => Ok(None),
        _ => Err(serde::de::Error::custom("expected a boolean")),
    }
}

/// A count given as a JSON number or numeric string.
pub fn opt_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match scalar_text(serde_json::Value::deserialize(d)?).map_err(serde::de::Error::custom)? {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom("expected a count")),
    }
}

/// A price from its literal text (`"99.00"` or `99.00`), never through `f64`.
pub fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let raw = Box::<RawValue>::deserialize(d)?;
    let text = raw.get().trim();
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text)
        .trim();
    Decimal::from_str(text)
        .or_else(|_| Decimal::from_scientific(text))
        .map_err(|_| serde::de::Error::custom("expected a decimal amount"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use connector_kit::decode_json;

    #[test]
    fn ids_booleans_and_prices_are_read_leniently() {
        let item: OrderItem = decode_json(
            br#"{"order_item_id": 98108, "sku": "BRSD#02", "item_price": "99.00", "status": "pending",
                "is_fbl": "0", "delivery_option_sof": 1, "need_cancel_confirm": "True",
                "is_cancel_pending": false, "package_id": "", "sku_id": 666}"#,
        )
        .unwrap();
        assert_eq!(item.order_item_id, "98108");
        assert_eq!(item.item_price.to_string(), "99.00");
        assert_eq!(item.is_fbl, Some(false));
        assert_eq!(item.delivery_option_sof, Some(true));
        assert_eq!(item.need_cancel_confirm, Some(true));
        assert_eq!(item.is_cancel_pending, Some(false));
        assert_eq!(item.package_id, None, "an empty package id is no package");
        assert_eq!(item.sku_id.as_deref(), Some("666"));

        let numeric: OrderItem =
            decode_json(br#"{"order_item_id": "1", "item_price": 12.90, "status": "packed"}"#)
                .unwrap();
        assert_eq!(numeric.item_price.to_string(), "12.90");
        assert!(decode_json::<OrderItem>(
            br#"{"order_item_id": "1", "item_price": "N/A", "status": "packed"}"#
        )
        .is_err());
        assert!(decode_json::<OrderItem>(
            br#"{"order_item_id": [1], "item_price": "1", "status": "packed"}"#
        )
        .is_err());
    }

    #[test]
    fn counts_and_error_codes_as_numbers_or_strings() {
        let list: Envelope<OrderList> =
            decode_json(br#"{"code":"0","data":{"count":"10","countTotal":500,"orders":[]}}"#)
                .unwrap();
        let data = list.data.unwrap();
        assert_eq!((data.count, data.count_total), (Some(10), Some(500)));
        let e: ResultEnvelope<PackData> = decode_json(
            br#"{"code":"0","result":{"success":"false","errorCode":700022,"errorMsg":"batch size out of limit"}}"#,
        )
        .unwrap();
        let r = e.result.unwrap();
        assert_eq!(r.success, Some(false));
        assert_eq!(r.code(), Some("700022"));
        assert_eq!(r.message(), Some("batch size out of limit"));
    }

    #[test]
    fn pack_request_serializes_like_the_doc_sample() {
        let req = PackRequest {
            pack_order_list: vec![PackOrder {
                order_item_list: vec![560694402292001],
                order_id: 560694402192001,
            }],
            delivery_type: "dropship",
            shipment_provider_code: Some("FM50".into()),
            shipping_allocate_type: "NTFS".into(),
        };
        assert_eq!(
            serde_json::to_string(&req).unwrap(),
            r#"{"pack_order_list":[{"order_item_list":[560694402292001],"order_id":560694402192001}],"delivery_type":"dropship","shipment_provider_code":"FM50","shipping_allocate_type":"NTFS"}"#
        );
    }
}
