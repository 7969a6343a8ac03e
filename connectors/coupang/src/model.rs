//! Wire types of the Wing Open API v4 order endpoints, mirroring Coupang's JSON exactly.
//! Optional fields are `Option` or defaulted: the PO sheet has grown fields over the years
//! and older ones are sometimes `null`.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Number;

/// `GET .../ordersheets` (day paging). Each PO sheet is kept raw and decoded on its own.
#[derive(Debug, Deserialize)]
pub struct OrderSheetList {
    /// `200` (a number here; a string in the status-change responses).
    #[serde(default)]
    pub code: Option<serde_json::Value>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub data: Option<Vec<Box<RawValue>>>,
    /// Empty (or absent in older answers) on the last page.
    #[serde(default, rename = "nextToken")]
    pub next_token: Option<String>,
}

/// `GET .../ordersheets/{shipmentBoxId}`: one PO sheet in `data`.
#[derive(Debug, Deserialize)]
pub struct OrderSheetOne {
    #[serde(default)]
    pub code: Option<serde_json::Value>,
    #[serde(default)]
    pub message: Option<String>,
    pub data: Option<OrderSheet>,
}

/// One PO sheet ("발주서"): one shipment box of one order.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderSheet {
    pub shipment_box_id: u64,
    pub order_id: u64,
    /// v4: `yyyy-MM-dd'T'HH:mm:ss` in KST without an offset.
    pub ordered_at: String,
    #[serde(default)]
    pub orderer: Option<Orderer>,
    #[serde(default)]
    pub paid_at: Option<String>,
    pub status: String,
    #[serde(default)]
    pub shipping_price: Option<Number>,
    #[serde(default)]
    pub remote_price: Option<Number>,
    #[serde(default)]
    pub remote_area: Option<bool>,
    #[serde(default)]
    pub parcel_print_message: Option<String>,
    #[serde(default)]
    pub split_shipping: Option<bool>,
    #[serde(default)]
    pub able_split_shipping: Option<bool>,
    #[serde(default)]
    pub receiver: Option<Receiver>,
    pub order_items: Vec<OrderItem>,
    #[serde(default)]
    pub delivery_company_name: Option<String>,
    #[serde(default)]
    pub invoice_number: Option<String>,
    /// Coupang's spelling. `yyyy-MM-dd HH:mm:ss`.
    #[serde(default, rename = "inTrasitDateTime")]
    pub in_trasit_date_time: Option<String>,
    /// `yyyy-MM-dd HH:mm:ss`.
    #[serde(default)]
    pub delivered_date: Option<String>,
    #[serde(default)]
    pub refer: Option<String>,
    #[serde(default)]
    pub shipment_type: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Orderer {
    /// Masked by Coupang (`김*수`).
    #[serde(default)]
    pub name: Option<String>,
    /// Always `""` since 2024-08-06.
    #[serde(default)]
    pub email: Option<String>,
    /// The relay ("안심번호") phone number.
    #[serde(default)]
    pub safe_number: Option<String>,
    #[serde(default)]
    pub orderer_number: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Receiver {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub safe_number: Option<String>,
    #[serde(default)]
    pub receiver_number: Option<String>,
    #[serde(default)]
    pub addr1: Option<String>,
    #[serde(default)]
    pub addr2: Option<String>,
    #[serde(default)]
    pub post_code: Option<String>,
}

/// One option (`vendorItemId`) of a PO sheet.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderItem {
    #[serde(default)]
    pub vendor_item_package_id: Option<u64>,
    #[serde(default)]
    pub vendor_item_package_name: Option<String>,
    #[serde(default)]
    pub product_id: Option<u64>,
    pub vendor_item_id: u64,
    #[serde(default)]
    pub vendor_item_name: Option<String>,
    /// The quantity first ordered; cancellations are in `cancelCount`.
    pub shipping_count: u32,
    /// One unit's price in KRW (v4: a plain number).
    pub sales_price: Number,
    #[serde(default)]
    pub order_price: Option<Number>,
    #[serde(default)]
    pub discount_price: Option<Number>,
    /// The seller's own SKU code: the platform SKU.
    #[serde(default)]
    pub external_vendor_sku_code: Option<String>,
    #[serde(default)]
    pub seller_product_id: Option<u64>,
    #[serde(default)]
    pub seller_product_name: Option<String>,
    #[serde(default)]
    pub seller_product_item_name: Option<String>,
    #[serde(default)]
    pub cancel_count: Option<u32>,
    #[serde(default)]
    pub hold_count_for_cancel: Option<u32>,
    #[serde(default)]
    pub estimated_shipping_date: Option<String>,
    #[serde(default)]
    pub planned_shipping_date: Option<String>,
    #[serde(default)]
    pub invoice_number_upload_date: Option<String>,
    #[serde(default)]
    pub canceled: Option<bool>,
}

impl OrderItem {
    /// What is left to ship: `shippingCount - (cancelCount + holdCountForCancel)`.
    pub fn shippable(&self) -> u32 {
        let gone = self
            .cancel_count
            .unwrap_or(0)
            .saturating_add(self.hold_count_for_cancel.unwrap_or(0));
        if self.canceled == Some(true) {
            0
        } else {
            self.shipping_count.saturating_sub(gone)
        }
    }
}

/// Just the id of a PO sheet, for naming one that does not decode.
#[derive(Debug, Deserialize)]
pub struct BoxIdOnly {
    #[serde(default, rename = "shipmentBoxId")]
    pub shipment_box_id: Option<serde_json::Value>,
}

/// `PUT .../ordersheets/acknowledgement`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AcknowledgeRequest<'a> {
    pub vendor_id: &'a str,
    pub shipment_box_ids: Vec<u64>,
}

/// `POST .../orders/invoices`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceRequest<'a> {
    pub vendor_id: &'a str,
    pub order_sheet_invoice_apply_dtos: Vec<InvoiceApplyDto<'a>>,
}

/// One `vendorItemId` of the box and the waybill it leaves with.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceApplyDto<'a> {
    pub shipment_box_id: u64,
    pub order_id: u64,
    pub vendor_item_id: u64,
    pub delivery_company_code: &'a str,
    pub invoice_number: &'a str,
    pub split_shipping: bool,
    pub pre_split_shipped: bool,
    /// `""` unless an item of a split shipment leaves later.
    pub estimated_shipping_date: &'a str,
}

/// The answer of the acknowledgement and invoice APIs (`code` is a string here).
#[derive(Debug, Deserialize)]
pub struct StatusChangeResponse {
    #[serde(default)]
    pub code: Option<serde_json::Value>,
    #[serde(default)]
    pub message: Option<String>,
    pub data: Option<StatusChangeData>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusChangeData {
    /// -1 NONE, 0 SUCCESS, 1 PARTIAL_ERROR, 99 FAILED.
    #[serde(default)]
    pub response_code: Option<i64>,
    #[serde(default)]
    pub response_message: Option<String>,
    #[serde(default)]
    pub response_list: Vec<StatusChangeResult>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusChangeResult {
    #[serde(default)]
    pub shipment_box_id: Option<u64>,
    #[serde(default)]
    pub succeed: bool,
    #[serde(default)]
    pub result_code: Option<String>,
    #[serde(default)]
    pub result_message: Option<String>,
    #[serde(default)]
    pub retry_required: bool,
}
