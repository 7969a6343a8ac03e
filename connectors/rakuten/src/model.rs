//! Wire types of the RakutenPay Order API (楽天ペイ受注API, `es/2.0/order`), mirroring the RMS
//! WEB SERVICE pages field by field. RMS spells list and model keys in PascalCase
//! (`MessageModelList`, `PaginationRequestModel`) and scalars in camelCase. Only the fields the
//! connector reads are typed; `raw` keeps the rest of every order.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

// ---- requests ----

/// `searchOrder` request (Level 1: base).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchOrderRequest {
    /// 期間検索種別: 1 注文日, 2 注文確認日, 3 注文確定日, 4 発送日, 5 発送完了報告日, 6 決済確定日.
    pub date_type: u8,
    /// `yyyy-MM-ddTHH:mm:ss+0900`.
    pub start_datetime: String,
    pub end_datetime: String,
    #[serde(rename = "PaginationRequestModel")]
    pub pagination: PaginationRequestModel,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaginationRequestModel {
    /// At most 1000.
    pub request_records_amount: u32,
    /// 1-based.
    pub request_page: u32,
    #[serde(rename = "SortModelList")]
    pub sort_model_list: Vec<SortModel>,
}

/// `sortColumn` 1 = 注文日時 (the only one); `sortDirection` 1 ascending, 2 descending.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SortModel {
    pub sort_column: u8,
    pub sort_direction: u8,
}

/// `getOrder` request: at most 100 order numbers and the response model version.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetOrderRequest<'a> {
    pub order_number_list: &'a [String],
    pub version: u32,
}

/// `confirmOrder` request: at most 100 order numbers.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmOrderRequest<'a> {
    pub order_number_list: &'a [String],
}

/// `updateOrderShipping` request: one order, its destinations and their shipping rows.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateOrderShippingRequest {
    pub order_number: String,
    #[serde(rename = "BasketidModelList")]
    pub basketid_model_list: Vec<BasketidModel>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BasketidModel {
    pub basket_id: u64,
    /// At most 20 rows per destination.
    #[serde(rename = "ShippingModelList")]
    pub shipping_model_list: Vec<ShippingModelUpdate>,
}

/// One shipping row: without `shippingDetailId` it is added, with it that row is updated.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippingModelUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_detail_id: Option<u64>,
    /// The numeric carrier code as a string (`"1001"`); a carrier name is refused.
    pub delivery_company: String,
    pub shipping_number: String,
    /// `YYYY-MM-DD`.
    pub shipping_date: String,
}

// ---- responses ----

/// One entry of `MessageModelList`: `messageType` INFO, WARNING or ERROR. Order-scoped answers
/// add `orderNumber`; `updateOrderShipping` adds `dataNumber` (1-based row) and the row's
/// `shippingDetailId`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageModel {
    #[serde(default)]
    pub message_type: String,
    #[serde(default)]
    pub message_code: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub order_number: Option<String>,
    #[serde(default)]
    pub data_number: Option<u32>,
    #[serde(default)]
    pub shipping_detail_id: Option<u64>,
}

impl MessageModel {
    pub fn is_error(&self) -> bool {
        self.message_type.eq_ignore_ascii_case("ERROR")
    }

    pub fn is_warning(&self) -> bool {
        self.message_type.eq_ignore_ascii_case("WARNING")
    }

    /// `CODE: message`, for error texts (RMS messages name fields, never buyer data).
    pub fn describe(&self) -> String {
        match (self.message_code.is_empty(), self.message.is_empty()) {
            (false, false) => format!("{}: {}", self.message_code, self.message),
            (false, true) => self.message_code.clone(),
            _ => self.message.clone(),
        }
    }
}

/// Every answer of the order API carries `MessageModelList`.
#[derive(Debug, Default, Deserialize)]
pub struct MessagesOnly {
    #[serde(rename = "MessageModelList", default)]
    pub message_model_list: Option<Vec<MessageModel>>,
}

#[derive(Debug, Deserialize)]
pub struct SearchOrderResponse {
    /// `[]` (or `null`) when nothing matched (`ORDER_EXT_API_SEARCH_ORDER_INFO_102`).
    #[serde(rename = "orderNumberList", default)]
    pub order_number_list: Option<Vec<String>>,
    #[serde(rename = "MessageModelList", default)]
    pub message_model_list: Vec<MessageModel>,
    #[serde(rename = "PaginationResponseModel", default)]
    pub pagination: Option<PaginationResponseModel>,
}

/// Every field is `null` when the search found nothing.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaginationResponseModel {
    #[serde(default)]
    pub total_records_amount: Option<u64>,
    #[serde(default)]
    pub total_pages: Option<u32>,
    #[serde(default)]
    pub request_page: Option<u32>,
}

/// `getOrder` answer, orders kept raw so each one decodes (or fails) on its own.
#[derive(Debug, Deserialize)]
pub struct GetOrderResponse {
    #[serde(rename = "MessageModelList", default)]
    pub message_model_list: Vec<MessageModel>,
    #[serde(rename = "OrderModelList", default)]
    pub order_model_list: Option<Vec<Box<RawValue>>>,
}

/// Just the id of an order that does not decode.
#[derive(Debug, Deserialize)]
pub struct OrderNumberOnly {
    #[serde(rename = "orderNumber", default)]
    pub order_number: Option<String>,
}

/// `OrderModel` (getOrder Level 2), the fields the mapping and the tracking flow read.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderModel {
    pub order_number: String,
    /// 100 ... 900 (rakuten.md section 9).
    pub order_progress: u16,
    #[serde(default)]
    pub sub_status_id: Option<i64>,
    #[serde(default)]
    pub sub_status_name: Option<String>,
    #[serde(deserialize_with = "rms_datetime")]
    pub order_datetime: DateTime<Utc>,
    #[serde(default, deserialize_with = "rms_datetime_opt")]
    pub shop_order_cfm_datetime: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "rms_datetime_opt")]
    pub order_fix_datetime: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "rms_datetime_opt")]
    pub shipping_inst_datetime: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "rms_datetime_opt")]
    pub shipping_cmpl_rpt_datetime: Option<DateTime<Utc>>,
    #[serde(rename = "OrdererModel", default)]
    pub orderer_model: Option<PersonModel>,
    #[serde(rename = "PackageModelList")]
    pub package_model_list: Vec<PackageModel>,
    #[serde(rename = "ChangeReasonModelList", default)]
    pub change_reason_model_list: Option<Vec<ChangeReasonModel>>,
}

/// `OrdererModel` and `SenderModel` (the ship-to of a destination, despite its name) share
/// these fields.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonModel {
    #[serde(default)]
    pub zip_code1: Option<String>,
    #[serde(default)]
    pub zip_code2: Option<String>,
    #[serde(default)]
    pub prefecture: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub sub_address: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub phone_number1: Option<String>,
    #[serde(default)]
    pub phone_number2: Option<String>,
    #[serde(default)]
    pub phone_number3: Option<String>,
}

/// `PackageModel`: one destination (送付先) of the order.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageModel {
    /// 送付先ID, the key `updateOrderShipping` takes.
    pub basket_id: u64,
    #[serde(rename = "SenderModel", default)]
    pub sender_model: Option<PersonModel>,
    #[serde(rename = "ItemModelList")]
    pub item_model_list: Vec<ItemModel>,
    #[serde(rename = "ShippingModelList", default)]
    pub shipping_model_list: Option<Vec<ShippingModel>>,
}

/// `ItemModel`: one line.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemModel {
    pub item_detail_id: u64,
    pub item_name: String,
    pub item_id: u64,
    /// 商品番号 (pre-SKU orders append the option ids).
    #[serde(default)]
    pub item_number: Option<String>,
    /// 商品管理番号, the item's key in RMS.
    pub manage_number: String,
    /// 単価: tax-excluded for 税別 items (`includeTaxFlag` 0).
    pub price: serde_json::Number,
    /// 商品毎税込価格: one unit with tax.
    #[serde(default)]
    pub price_tax_incl: Option<serde_json::Number>,
    pub units: u32,
    #[serde(rename = "SkuModelList", default)]
    pub sku_model_list: Option<Vec<SkuModel>>,
}

/// `skuModel` (version 7 and later; empty values for orders placed before the SKU migration).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkuModel {
    /// SKU管理番号.
    #[serde(default)]
    pub variant_id: Option<String>,
    /// システム連携用SKU番号: the seller's own SKU code.
    #[serde(default)]
    pub merchant_defined_sku_id: Option<String>,
    #[serde(default)]
    pub sku_info: Option<String>,
}

/// `ShippingModel` of an order: one registered parcel.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippingModel {
    pub shipping_detail_id: u64,
    #[serde(default)]
    pub shipping_number: Option<String>,
    #[serde(default)]
    pub delivery_company: Option<String>,
    #[serde(default)]
    pub delivery_company_name: Option<String>,
    #[serde(default)]
    pub shipping_date: Option<String>,
}

/// `ChangeReasonModel`: a change or cancellation and when it was applied, fixed, completed.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeReasonModel {
    #[serde(default, deserialize_with = "rms_datetime_opt")]
    pub change_apply_datetime: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "rms_datetime_opt")]
    pub change_fix_datetime: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "rms_datetime_opt")]
    pub change_cmpl_datetime: Option<DateTime<Utc>>,
}

/// The ESA gateway's own error envelope (auth, disabled API), unlike the order API's
/// `MessageModelList`: `{"Results":{"errorCode":"ES01-01","message":"Un-Authorised"}}`.
#[derive(Debug, Deserialize)]
pub struct GatewayError {
    #[serde(rename = "Results")]
    pub results: GatewayResults,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayResults {
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

// ---- datetimes ----

/// An RMS `Datetime`: `2017-09-25T20:03:43+0900` (the pages' samples; `+09:00` is read too).
pub fn parse_rms_datetime(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M:%S%z")
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn rms_datetime<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let text = String::deserialize(d)?;
    parse_rms_datetime(&text)
        .ok_or_else(|| serde::de::Error::custom("expected yyyy-MM-ddTHH:mm:ss+0900"))
}

fn rms_datetime_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(t) if t.trim().is_empty() => Ok(None),
        Some(t) => parse_rms_datetime(&t)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom("expected yyyy-MM-ddTHH:mm:ss+0900")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_use_the_documented_names() {
        let search = SearchOrderRequest {
            date_type: 1,
            start_datetime: "2017-12-14T00:00:00+0900".into(),
            end_datetime: "2018-01-14T00:00:00+0900".into(),
            pagination: PaginationRequestModel {
                request_records_amount: 30,
                request_page: 1,
                sort_model_list: vec![SortModel {
                    sort_column: 1,
                    sort_direction: 1,
                }],
            },
        };
        // The searchOrder page's curl sample, field for field.
        assert_eq!(
            serde_json::to_value(&search).unwrap(),
            json!({"dateType": 1, "startDatetime": "2017-12-14T00:00:00+0900",
                "endDatetime": "2018-01-14T00:00:00+0900",
                "PaginationRequestModel": {"requestRecordsAmount": 30, "requestPage": 1,
                    "SortModelList": [{"sortColumn": 1, "sortDirection": 1}]}})
        );
        let numbers = vec!["502763-20171027-00006701".to_owned()];
        assert_eq!(
            serde_json::to_value(GetOrderRequest {
                order_number_list: &numbers,
                version: 10
            })
            .unwrap(),
            json!({"orderNumberList": ["502763-20171027-00006701"], "version": 10})
        );
        let ship = UpdateOrderShippingRequest {
            order_number: "123456-20180101-00001801".into(),
            basketid_model_list: vec![BasketidModel {
                basket_id: 10746402,
                shipping_model_list: vec![ShippingModelUpdate {
                    shipping_detail_id: None,
                    delivery_company: "1001".into(),
                    shipping_number: "SN111111".into(),
                    shipping_date: "2018-01-25".into(),
                }],
            }],
        };
        assert_eq!(
            serde_json::to_value(&ship).unwrap(),
            json!({"orderNumber": "123456-20180101-00001801", "BasketidModelList": [
                {"basketId": 10746402, "ShippingModelList": [
                    {"deliveryCompany": "1001", "shippingNumber": "SN111111", "shippingDate": "2018-01-25"}]}]})
        );
    }

    #[test]
    fn datetimes_in_both_offset_forms() {
        let a = parse_rms_datetime("2017-09-25T20:03:43+0900").unwrap();
        let b = parse_rms_datetime("2017-09-25T20:03:43+09:00").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_rfc3339(), "2017-09-25T11:03:43+00:00");
        assert!(parse_rms_datetime("2017/09/25 20:03").is_none());
    }

    #[test]
    fn empty_search_answer_has_null_pagination() {
        let r: SearchOrderResponse = serde_json::from_value(json!({
            "orderNumberList": [],
            "MessageModelList": [{"messageType": "INFO",
                "messageCode": "ORDER_EXT_API_SEARCH_ORDER_INFO_102",
                "message": "注文検索に成功しました。(検索結果０件)"}],
            "PaginationResponseModel": {"totalRecordsAmount": null, "totalPages": null, "requestPage": null}
        }))
        .unwrap();
        assert_eq!(r.order_number_list, Some(vec![]));
        assert_eq!(r.pagination.unwrap().total_pages, None);
    }
}
