//! Wire types: the parts of the AliExpress open platform JSON this connector reads and writes,
//! field for field (`aliexpress.solution.order.get`, `aliexpress.solution.order.info.get`,
//! `aliexpress.logistics.querylogisticsorderdetail`,
//! `aliexpress.logistics.redefining.getprintinfo`, `aliexpress.solution.order.fulfill`,
//! `/auth/token/refresh`; see shared/marketplaces/aliexpress.md).
//!
//! Business answers come wrapped in `<method_with_underscores>_response`. With `simplify=false`
//! the gateway wraps every list in an object named after its element type
//! (`"target_list":{"order_dto":[..]}`); with `simplify=true` lists come bare. Both are read.
//! Ids come as JSON numbers or strings, amounts as decimal strings.

use std::collections::BTreeMap;
use std::str::FromStr;

use connector_kit::decode_json;
use core_model::MarketplaceError;
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

/// The payload of a `/sync` answer: the object under `<method>_response`.
pub fn response_of<T: DeserializeOwned>(body: &[u8], method: &str) -> Result<T, MarketplaceError> {
    let key = response_key(method);
    let top: BTreeMap<String, Box<RawValue>> = decode_json(body)?;
    let inner = top
        .get(&key)
        .ok_or_else(|| MarketplaceError::malformed(format!("the answer has no `{key}`")))?;
    decode_json(inner.get().as_bytes())
}

/// `aliexpress.solution.order.get` -> `aliexpress_solution_order_get_response`.
pub fn response_key(method: &str) -> String {
    format!("{}_response", method.replace('.', "_"))
}

/// `/auth/token/refresh` answer: flat, `code` "0" on success. Tokens are `SecretString`s.
#[derive(Debug, Deserialize)]
pub struct TokenResponse {
    #[serde(default)]
    pub access_token: Option<SecretString>,
    #[serde(default)]
    pub refresh_token: Option<SecretString>,
    /// Seconds until the access token expires.
    #[serde(default, deserialize_with = "opt_count")]
    pub expires_in: Option<u64>,
    /// Seconds until the refresh token expires (a refresh does not extend it).
    #[serde(default, deserialize_with = "opt_count")]
    pub refresh_expires_in: Option<u64>,
}

/// `param0` of `aliexpress.solution.order.get` (`OrderQuery`); times are US Pacific
/// `yyyy-MM-dd HH:mm:ss`.
#[derive(Debug, Serialize)]
pub struct OrderQuery {
    pub current_page: u32,
    pub page_size: u32,
    pub modified_date_start: String,
    pub modified_date_end: String,
    /// Absent: every status but `FINISH`; `FINISH` must be asked for on its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_status: Option<&'static str>,
}

/// `aliexpress_solution_order_get_response`.
#[derive(Debug, Deserialize)]
pub struct OrderListResponse {
    pub result: OrderListResult,
}

/// `PaginationResult`; the orders stay raw so each is decoded on its own.
#[derive(Debug, Deserialize)]
pub struct OrderListResult {
    #[serde(default, deserialize_with = "opt_count")]
    pub total_count: Option<u64>,
    #[serde(default, deserialize_with = "opt_count")]
    pub total_page: Option<u64>,
    #[serde(default, deserialize_with = "opt_count")]
    pub current_page: Option<u64>,
    #[serde(default, deserialize_with = "wrapped_raw")]
    pub target_list: Vec<Box<RawValue>>,
}

/// Enough of an order to name it when the rest does not decode.
#[derive(Debug, Deserialize)]
pub struct OrderIdOnly {
    #[serde(default, deserialize_with = "opt_text")]
    pub order_id: Option<String>,
}

/// `OrderDTO` of the list, with the detail (`order_detail`) joined in for orders to ship.
#[derive(Debug, Deserialize)]
pub struct Order {
    #[serde(deserialize_with = "text")]
    pub order_id: String,
    pub order_status: String,
    /// US Pacific time.
    pub gmt_create: String,
    #[serde(default)]
    pub gmt_update: Option<String>,
    #[serde(default)]
    pub pay_amount: Option<Money>,
    #[serde(default, deserialize_with = "opt_text")]
    pub end_reason: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub logistics_status: Option<String>,
    #[serde(default)]
    pub buyer_signer_fullname: Option<String>,
    #[serde(default, deserialize_with = "wrapped")]
    pub product_list: Vec<OrderProduct>,
    /// Not AliExpress's: the `aliexpress.solution.order.info.get` `result.data` this
    /// connector joins to the order.
    #[serde(default)]
    pub order_detail: Option<OrderDetail>,
}

/// `SimpleMoney`: `{"amount":"12.95","currency_code":"USD"}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Money {
    #[serde(deserialize_with = "decimal")]
    pub amount: Decimal,
    #[serde(default, deserialize_with = "opt_text")]
    pub currency_code: Option<String>,
}

/// `OrderProductDTO`: one child order (line) of the list.
#[derive(Debug, Clone, Deserialize)]
pub struct OrderProduct {
    #[serde(default, deserialize_with = "opt_text")]
    pub child_id: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub product_id: Option<String>,
    /// The seller's SKU code of the variant.
    #[serde(default)]
    pub sku_code: Option<String>,
    #[serde(default)]
    pub product_name: Option<String>,
    #[serde(deserialize_with = "count")]
    pub product_count: u64,
    pub product_unit_price: Money,
    #[serde(default, deserialize_with = "opt_text")]
    pub son_order_status: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub logistics_type: Option<String>,
}

/// `aliexpress_solution_order_info_get_response`.
#[derive(Debug, Deserialize)]
pub struct OrderInfoResponse {
    pub result: OrderInfoResult,
}

/// `BaseResult`; `data` stays raw so it is joined to the order byte for byte.
#[derive(Debug, Deserialize)]
pub struct OrderInfoResult {
    #[serde(default)]
    pub data: Option<Box<RawValue>>,
}

/// `GlobalAeopTpOrderDetailDTO`, the parts read.
#[derive(Debug, Default, Deserialize)]
pub struct OrderDetail {
    #[serde(default)]
    pub gmt_modified: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub order_status: Option<String>,
    #[serde(default)]
    pub receipt_address: Option<ReceiptAddress>,
    #[serde(default, deserialize_with = "wrapped")]
    pub logistic_info_list: Vec<LogisticInfo>,
    #[serde(default, deserialize_with = "wrapped")]
    pub child_order_list: Vec<ChildOrder>,
}

/// `GlobalAeopTpAddressDTO`: `country` is ISO 3166-1 alpha-2, `detail_address` the street.
#[derive(Debug, Default, Deserialize)]
pub struct ReceiptAddress {
    #[serde(default)]
    pub contact_person: Option<String>,
    #[serde(default)]
    pub detail_address: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub address2: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub province: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub zip: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub mobile_no: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub phone_country: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub phone_area: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub phone_number: Option<String>,
}

/// `GlobalAeopTpLogisticInfoDTO`: one declared shipment.
#[derive(Debug, Clone, Deserialize)]
pub struct LogisticInfo {
    #[serde(default, deserialize_with = "opt_text")]
    pub logistics_no: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub logistics_type_code: Option<String>,
    #[serde(default)]
    pub logistics_service_name: Option<String>,
}

/// `GlobalAeopTpChildOrderDTO`, the parts `send_type` is decided from.
#[derive(Debug, Clone, Deserialize)]
pub struct ChildOrder {
    #[serde(default, deserialize_with = "opt_text")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub child_order_id: Option<String>,
    #[serde(default)]
    pub sku_code: Option<String>,
    #[serde(default, deserialize_with = "opt_count")]
    pub product_count: Option<u64>,
    #[serde(default, deserialize_with = "opt_text")]
    pub order_status: Option<String>,
}

/// `aliexpress_logistics_querylogisticsorderdetail_response`.
#[derive(Debug, Deserialize)]
pub struct LogisticsOrdersResponse {
    pub result: LogisticsOrdersResult,
}

/// `AeopLogisticsOrderDetailQueryResult`.
#[derive(Debug, Deserialize)]
pub struct LogisticsOrdersResult {
    #[serde(default, deserialize_with = "wrapped")]
    pub result_list: Vec<LogisticsOrder>,
}

/// `AeopLogisticsOrderDetailDTO`: one online-logistics (warehouse) order of a trade order.
#[derive(Debug, Clone, Deserialize)]
pub struct LogisticsOrder {
    #[serde(default, deserialize_with = "opt_text")]
    pub international_logistics_num: Option<String>,
    /// The logistics service key (`CAINIAO_STANDARD`, ...).
    #[serde(default, deserialize_with = "opt_text")]
    pub international_logistics_type: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub logistics_order_id: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub logistics_status: Option<String>,
    #[serde(default)]
    pub gmt_create: Option<String>,
}

/// `aliexpress_logistics_redefining_getprintinfo_response`: `result` is a string holding the
/// label (see [`PrintBody`]).
#[derive(Debug, Deserialize)]
pub struct PrintInfoResponse {
    #[serde(default)]
    pub result: Option<String>,
}

/// The JSON text inside getprintinfo's `result`: `body` is the Base64 PDF.
#[derive(Debug, Deserialize)]
pub struct PrintBody {
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default, rename = "StatusCode", deserialize_with = "opt_count")]
    pub status_code: Option<u64>,
}

/// A scalar as text: `"0"`, `0`, `"LA88887777CN"`. Null, arrays and objects are refused.
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

/// A required id given as a JSON number or string.
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match scalar_text(serde_json::Value::deserialize(d)?).map_err(serde::de::Error::custom)? {
        Some(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        _ => Err(serde::de::Error::custom("expected a non-empty id")),
    }
}

/// An optional id, code or status given as a JSON number or string; empty means absent.
pub fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(scalar_text(serde_json::Value::deserialize(d)?)
        .map_err(serde::de::Error::custom)?
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty()))
}

/// A count given as a JSON number or numeric string; null or `""` is absent.
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

/// A required count.
pub fn count<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    opt_count(d)?.ok_or_else(|| serde::de::Error::custom("expected a count"))
}

/// A price from its literal text (`"12.95"` or `12.95`), never through `f64`.
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

/// The elements of a list sent bare (`[..]`) or wrapped (`{"order_dto":[..]}`); null, `{}` and
/// a wrapper without elements are empty.
fn list_values(v: serde_json::Value) -> Result<Vec<serde_json::Value>, &'static str> {
    use serde_json::Value;
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => Ok(items),
        Value::Object(map) if map.is_empty() => Ok(Vec::new()),
        Value::Object(map) if map.len() == 1 => match map.into_iter().next() {
            Some((_, Value::Array(items))) => Ok(items),
            Some((_, Value::Null)) | None => Ok(Vec::new()),
            // A wrapper holding one element as an object (XML-to-JSON style).
            Some((_, one @ Value::Object(_))) => Ok(vec![one]),
            Some(_) => Err("expected a list"),
        },
        _ => Err("expected a list"),
    }
}

/// A list of `T`, bare or wrapped.
pub fn wrapped<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let values =
        list_values(serde_json::Value::deserialize(d)?).map_err(serde::de::Error::custom)?;
    values
        .into_iter()
        .map(|v| serde_json::from_value(v).map_err(|_| serde::de::Error::custom("bad element")))
        .collect()
}

/// A list kept raw element by element, bare or wrapped: every order as received.
pub fn wrapped_raw<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Box<RawValue>>, D::Error> {
    let Some(raw) = Option::<Box<RawValue>>::deserialize(d)? else {
        return Ok(Vec::new());
    };
    if let Ok(items) = serde_json::from_str::<Vec<Box<RawValue>>>(raw.get()) {
        return Ok(items);
    }
    let wrapper: BTreeMap<String, Option<Box<RawValue>>> =
        serde_json::from_str(raw.get()).map_err(|_| serde::de::Error::custom("expected a list"))?;
    let mut values = wrapper.into_values();
    match (values.next(), values.next()) {
        (None, _) | (Some(None), None) => Ok(Vec::new()),
        (Some(Some(inner)), None) => serde_json::from_str::<Vec<Box<RawValue>>>(inner.get())
            .map_err(|_| serde::de::Error::custom("expected a list")),
        _ => Err(serde::de::Error::custom("expected a list")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn lists_are_read_bare_or_wrapped() {
        let wrapped_list: OrderListResult = decode_json(
            br#"{"total_count":2,"total_page":"1","target_list":{"order_dto":[{"order_id":1},{"order_id":"2"}]}}"#,
        )
        .unwrap();
        assert_eq!(wrapped_list.target_list.len(), 2);
        assert_eq!(wrapped_list.target_list[1].get(), r#"{"order_id":"2"}"#);
        assert_eq!(wrapped_list.total_page, Some(1));
        let bare: OrderListResult =
            decode_json(br#"{"total_count":1,"target_list":[{"order_id":1}]}"#).unwrap();
        assert_eq!(bare.target_list.len(), 1);
        for empty in [
            r#"{"total_count":0}"#,
            r#"{"total_count":0,"target_list":{}}"#,
            r#"{"total_count":0,"target_list":{"order_dto":[]}}"#,
            r#"{"total_count":0,"target_list":null}"#,
        ] {
            let r: OrderListResult = decode_json(empty.as_bytes()).unwrap();
            assert!(r.target_list.is_empty(), "{empty}");
        }
        let detail: OrderDetail = decode_json(
            br#"{"logistic_info_list":{"global_aeop_tp_logistic_info_dto":[{"logistics_no":"LA1CN"}]},
                "child_order_list":[{"id":11,"sku_code":"A","product_count":"2"}]}"#,
        )
        .unwrap();
        assert_eq!(
            detail.logistic_info_list[0].logistics_no.as_deref(),
            Some("LA1CN")
        );
        assert_eq!(detail.child_order_list[0].product_count, Some(2));
        assert_eq!(detail.child_order_list[0].id.as_deref(), Some("11"));
    }

    #[test]
    fn prices_and_counts_come_from_their_text() {
        let p: OrderProduct = decode_json(
            br#"{"child_id":8123456789022345,"sku_code":"TEE-BLK-L","product_count":2,
                "product_unit_price":{"amount":"12.95","currency_code":"USD"}}"#,
        )
        .unwrap();
        assert_eq!(p.product_unit_price.amount.to_string(), "12.95");
        assert_eq!(p.child_id.as_deref(), Some("8123456789022345"));
        let numeric: Money = decode_json(br#"{"amount":0.10,"currency_code":"EUR"}"#).unwrap();
        assert_eq!(numeric.amount.to_string(), "0.10");
        assert!(decode_json::<Money>(br#"{"amount":"N/A"}"#).is_err());
        assert!(decode_json::<OrderProduct>(
            br#"{"product_count":"two","product_unit_price":{"amount":"1"}}"#
        )
        .is_err());
    }

    #[test]
    fn the_payload_sits_under_the_method_key() {
        let body = br#"{"aliexpress_solution_order_fulfill_response":{"result":{"result_success":true},"request_id":"x"}}"#;
        #[derive(Debug, Deserialize)]
        struct R {
            result: serde_json::Value,
        }
        let r: R = response_of(body, "aliexpress.solution.order.fulfill").unwrap();
        assert_eq!(r.result["result_success"], true);
        let e = response_of::<R>(body, "aliexpress.solution.order.get").unwrap_err();
        assert_eq!(e.kind(), core_model::ErrorKind::Malformed);
        let q = OrderQuery {
            current_page: 1,
            page_size: 50,
            modified_date_start: "2026-05-09 17:00:00".into(),
            modified_date_end: "2026-05-11 17:00:00".into(),
            order_status: Some("FINISH"),
        };
        assert_eq!(
            serde_json::to_string(&q).unwrap(),
            r#"{"current_page":1,"page_size":50,"modified_date_start":"2026-05-09 17:00:00","modified_date_end":"2026-05-11 17:00:00","order_status":"FINISH"}"#
        );
    }
}
