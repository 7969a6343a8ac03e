//! Wire types mirroring SHEIN's JSON ("客单" APIs: order-list, order-detail, export-address,
//! express-channel, import-batch-multiple-express, print-express-info). Only the fields the
//! connector reads are typed; an order's `raw` keeps everything else.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

/// `null` reads as the type's default (SHEIN sends `null` for empty lists).
pub fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// An integer sent as a JSON number or a numeric string (`"orderStatus": "1"` in the list,
/// `1` in the detail); `null` and `""` read as absent.
pub fn opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom("expected an integer")),
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(serde_json::Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom("expected an integer")),
        Some(_) => Err(serde::de::Error::custom("expected an integer")),
    }
}

/// A 64-bit id (`goodsId`, `productId`) sent as a number or a string. Kept as `u64`:
/// `5230236437987443003` does not survive a trip through `f64`.
pub fn id<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let raw = Box::<RawValue>::deserialize(d)?;
    let text = raw.get().trim();
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    text.trim()
        .parse()
        .map_err(|_| serde::de::Error::custom("expected a numeric id"))
}

/// A money amount from a JSON number's literal text (`12.98`) or a numeric string, without
/// going through `f64`; `null` reads as absent.
pub fn opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    let Some(raw) = Option::<Box<RawValue>>::deserialize(d)? else {
        return Ok(None);
    };
    let text = raw.get().trim();
    if text == "null" {
        return Ok(None);
    }
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text)
        .trim();
    if text.is_empty() {
        return Ok(None);
    }
    Decimal::from_str(text)
        .or_else(|_| Decimal::from_scientific(text))
        .map(Some)
        .map_err(|_| serde::de::Error::custom("expected a decimal number"))
}

/// The envelope of every answer; `info` is the API's payload.
#[derive(Debug, Deserialize)]
pub struct Envelope<T> {
    #[serde(alias = "Info")]
    pub info: Option<T>,
}

/// `/open-api/order/order-list` request.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListRequest<'a> {
    /// 1: by order (issue) time; 2: by update time.
    pub query_type: i64,
    /// `yyyy-MM-dd HH:mm:ss`, UTC+8; the end is inclusive.
    pub start_time: &'a str,
    pub end_time: &'a str,
    /// 1-based.
    pub page: u32,
    /// 1 to 30.
    pub page_size: u32,
}

/// `/open-api/order/order-list` `info`. Orders stay raw so one bad item cannot fail the page.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderListInfo {
    #[serde(default, deserialize_with = "opt_int")]
    pub count: Option<i64>,
    #[serde(default, deserialize_with = "null_default")]
    pub order_list: Vec<Box<RawValue>>,
}

/// One `orderList` item.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListItem {
    pub order_no: String,
    #[serde(default, deserialize_with = "opt_int")]
    pub order_status: Option<i64>,
    /// `yyyy-MM-dd HH:mm:ss`, Beijing time.
    #[serde(default)]
    pub order_create_time: Option<String>,
    #[serde(default)]
    pub order_update_time: Option<String>,
}

/// Just the order number, to name an order that does not decode.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderHead {
    #[serde(default)]
    pub order_no: Option<serde_json::Value>,
}

/// `/open-api/order/order-detail` `info[]`: the fields this connector reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderDetail {
    pub order_no: String,
    #[serde(deserialize_with = "opt_int")]
    pub order_status: Option<i64>,
    /// How the order may ship: 1 SHEIN partner logistics, 2 the merchant ships itself.
    #[serde(default, deserialize_with = "null_default")]
    pub optional_logistics_list: Vec<i64>,
    /// 1: the merchant chose SHEIN's partner logistics (online order).
    #[serde(default, deserialize_with = "opt_int")]
    pub order_logistics_type: Option<i64>,
    /// 1: SHEIN-designated logistics; 2: the merchant may choose.
    #[serde(default, deserialize_with = "opt_int")]
    pub order_place_type: Option<i64>,
    /// 1: the order can be processed; 2: see `unProcessReason`.
    #[serde(default, deserialize_with = "opt_int")]
    pub print_order_status: Option<i64>,
    #[serde(default, deserialize_with = "null_default")]
    pub un_process_reason: Vec<i64>,
    #[serde(default)]
    pub receive_msg: Option<ReceiveMsg>,
    #[serde(default, deserialize_with = "null_default")]
    pub order_goods_info_list: Vec<Goods>,
    #[serde(default, deserialize_with = "null_default")]
    pub package_waybill_list: Vec<PackageWaybill>,
    #[serde(default)]
    pub order_currency: Option<String>,
    /// `2025-07-25T17:22:11.000+0800` (the documents also show `yyyy-MM-dd HH:mm:ss`).
    #[serde(default)]
    pub order_time: Option<String>,
    #[serde(default)]
    pub order_msg_update_time: Option<String>,
    #[serde(default)]
    pub sales_site: Option<String>,
}

/// The coarse destination the detail shows before the address is exported.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiveMsg {
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub province: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub post_code: Option<String>,
}

/// One physical unit (`orderGoodsInfoList[]`): there is no quantity field.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Goods {
    #[serde(deserialize_with = "id")]
    pub goods_id: u64,
    #[serde(default)]
    pub sku_code: Option<String>,
    #[serde(default)]
    pub seller_sku: Option<String>,
    #[serde(default)]
    pub skc: Option<String>,
    #[serde(default)]
    pub spu_name: Option<String>,
    #[serde(default)]
    pub goods_title: Option<String>,
    #[serde(default, deserialize_with = "opt_int")]
    pub new_goods_status: Option<i64>,
    /// 1 not exchanged, 2 exchanged away, 3 exchanged in, 4 exchange removed.
    #[serde(default, deserialize_with = "opt_int")]
    pub goods_exchange_tag: Option<i64>,
    #[serde(default)]
    pub order_currency: Option<String>,
    /// One unit's price; the units' prices add up to the order's `productTotalPrice`.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub seller_currency_price: Option<Decimal>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageWaybill {
    #[serde(default)]
    pub package_no: Option<String>,
    #[serde(default)]
    pub delivery_no: Option<String>,
    #[serde(default)]
    pub waybill_no: Option<String>,
    #[serde(default)]
    pub carrier: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub product_inventory_list: Vec<ProductInventory>,
}

/// A unit in a package; `productId` is the unit's `goodsId`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductInventory {
    #[serde(deserialize_with = "id")]
    pub product_id: u64,
}

/// `/open-api/order/order-detail` request.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DetailRequest<'a> {
    pub order_no_list: &'a [&'a str],
}

/// `/open-api/order/export-address` request.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportAddressRequest<'a> {
    pub order_no: &'a str,
    /// 1: export only; 2: export and move the order from 1 (pending) to 2 (to be shipped).
    pub handle_type: i64,
}

/// `/open-api/order/export-address` `info`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressInfo {
    #[serde(default, deserialize_with = "null_default")]
    pub receive_msg_list: Vec<Box<RawValue>>,
}

/// One `receiveMsgList` entry: the full recipient address.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiveAddress {
    #[serde(default)]
    pub order_no: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub middle_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub province: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub district: Option<String>,
    #[serde(default)]
    pub street: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub address_ext: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub post_code: Option<String>,
}

/// `/open-api/order/express-channel` `info`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpressChannels {
    #[serde(default, deserialize_with = "null_default")]
    pub express_channels: Vec<ExpressChannel>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpressChannel {
    #[serde(default)]
    pub site: Option<String>,
    pub express_id_code: String,
}

/// `/open-api/order/import-batch-multiple-express` request.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportRequest<'a> {
    pub order_no: &'a str,
    pub info_list: Vec<ImportLine<'a>>,
}

/// One unit's waybill.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportLine<'a> {
    pub goods_id: u64,
    /// The tracking number.
    pub express_code: &'a str,
    /// The carrier as `/open-api/order/express-channel` names it.
    pub express_id_code: &'a str,
    /// 2: add or update the waybill (1 deletes it).
    pub status: i64,
}

/// One `info[]` entry of the import answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportResult {
    #[serde(default, deserialize_with = "opt_int")]
    pub goods_id: Option<i64>,
    #[serde(default)]
    pub error_msg: Option<String>,
}

/// `/open-api/order/print-express-info` request.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrintRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_no: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_no: Option<Vec<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_no: Option<&'a str>,
}

/// One `info[]` entry of the print answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrintedLabel {
    #[serde(default)]
    pub file_pdf_url: Option<String>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "opt_int")]
        n: Option<i64>,
        #[serde(default, deserialize_with = "opt_decimal")]
        d: Option<Decimal>,
    }

    #[test]
    fn lenient_numbers() {
        let p: Probe = serde_json::from_str(r#"{"n":"1","d":12.98}"#).unwrap();
        assert_eq!(
            (p.n, p.d),
            (Some(1), Some(Decimal::from_str("12.98").unwrap()))
        );
        let p: Probe = serde_json::from_str(r#"{"n":null,"d":null}"#).unwrap();
        assert_eq!((p.n, p.d), (None, None));
        let p: Probe = serde_json::from_str(r#"{"n":"","d":"0.10"}"#).unwrap();
        assert_eq!((p.n, p.d), (None, Some(Decimal::from_str("0.10").unwrap())));
        assert!(serde_json::from_str::<Probe>(r#"{"d":"abc"}"#).is_err());
        assert!(serde_json::from_str::<Probe>(r#"{"n":1.5}"#).is_err());
    }

    #[test]
    fn big_goods_ids_stay_exact() {
        let p: ProductInventory =
            serde_json::from_str(r#"{"productId":"5230236437987443003"}"#).unwrap();
        assert_eq!(p.product_id, 5230236437987443003);
        let line = ImportLine {
            goods_id: 5230236437987443003,
            express_code: "1Z",
            express_id_code: "UPS",
            status: 2,
        };
        assert_eq!(
            serde_json::to_string(&line).unwrap(),
            r#"{"goodsId":5230236437987443003,"expressCode":"1Z","expressIdCode":"UPS","status":2}"#
        );
    }
}
