//! Wire types: the parts of Temu's partner API JSON this connector reads and writes, field
//! for field (camelCase as Temu sends it; see the API reference of each `type`).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

/// `null` and absence both mean "empty" for lists and flags Temu may leave out.
pub fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// The envelope of every router answer; `result` is the API's payload.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<T> {
    #[serde(default)]
    pub success: bool,
    #[serde(default)]
    pub request_id: Option<String>,
    #[serde(default = "none")]
    pub result: Option<T>,
}

fn none<T>() -> Option<T> {
    None
}

// ---- bg.order.list.v2.get / bg.order.detail.v2.get ----

/// `result` of bg.order.list.v2.get: the page items stay raw so each decodes on its own.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderListResult {
    #[serde(default, deserialize_with = "null_default")]
    pub total_item_num: u64,
    #[serde(default, deserialize_with = "null_default")]
    pub page_items: Vec<Box<RawValue>>,
}

/// One page item of bg.order.list.v2.get, and the `result` of bg.order.detail.v2.get: a
/// parent order (PO) and its orders (one Temu SKU each).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageItem {
    pub parent_order_map: ParentOrder,
    #[serde(default, deserialize_with = "null_default")]
    pub order_list: Vec<Order>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParentOrder {
    pub parent_order_sn: String,
    /// 1 PENDING, 2 UN_SHIPPING, 3 CANCELED, 4 SHIPPED, 41 PARTIALLY_SHIPPED, 5 DELIVERED,
    /// 51 PARTIALLY_DELIVERED.
    pub parent_order_status: i64,
    /// Unix seconds, like every Temu time.
    pub parent_order_time: i64,
    #[serde(default)]
    pub update_time: Option<i64>,
    #[serde(default)]
    pub region_id: Option<u64>,
    #[serde(default)]
    pub site_id: Option<u64>,
    /// `PPD` or `COD`.
    #[serde(default)]
    pub order_payment_type: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub fulfillment_warning: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub order_sn: String,
    #[serde(default)]
    pub order_status: Option<i64>,
    /// Temu's product id.
    #[serde(default)]
    pub goods_id: Option<u64>,
    /// Temu's SKU id (local sellers).
    #[serde(default)]
    pub sku_id: Option<u64>,
    /// What the seller must ship: `originalOrderQuantity - canceledQuantityBeforeShipment`.
    pub quantity: u32,
    #[serde(default)]
    pub original_order_quantity: Option<u32>,
    #[serde(default)]
    pub goods_name: Option<String>,
    #[serde(default)]
    pub original_goods_name: Option<String>,
    #[serde(default)]
    pub inventory_deduction_warehouse_id: Option<String>,
    /// The seller's SKU codes (semi-managed sellers).
    #[serde(default, deserialize_with = "null_default")]
    pub product_list: Vec<Product>,
    /// bg.order.detail.v2.get only: the packages bought for the order.
    #[serde(default, deserialize_with = "null_default")]
    pub package_sn_info: Vec<PackageSnInfo>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    #[serde(default)]
    pub product_sku_id: Option<u64>,
    #[serde(default)]
    pub product_id: Option<u64>,
    /// The seller's own SKU code ("Item code"): omsync's platform SKU.
    #[serde(default)]
    pub ext_code: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageSnInfo {
    #[serde(default)]
    pub package_sn: Option<String>,
    #[serde(default)]
    pub call_success: Option<bool>,
}

/// Enough of a page item to name it when the rest does not decode.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemHead {
    #[serde(default)]
    pub parent_order_map: Option<ParentHead>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParentHead {
    #[serde(default)]
    pub parent_order_sn: Option<String>,
}

// ---- bg.order.shippinginfo.v2.get ----

/// `result` of bg.order.shippinginfo.v2.get: the (masked) delivery address.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippingInfo {
    #[serde(default)]
    pub receipt_name: Option<String>,
    #[serde(default)]
    pub address_extra: Option<AddressExtra>,
    #[serde(default)]
    pub mobile: Option<String>,
    /// Country, state, city, district level names.
    #[serde(default)]
    pub region_name1: Option<String>,
    #[serde(default)]
    pub region_name2: Option<String>,
    #[serde(default)]
    pub region_name3: Option<String>,
    #[serde(default)]
    pub region_name4: Option<String>,
    #[serde(default)]
    pub address_line1: Option<String>,
    #[serde(default)]
    pub address_line2: Option<String>,
    #[serde(default)]
    pub address_line3: Option<String>,
    #[serde(default)]
    pub address_line_all: Option<String>,
    #[serde(default)]
    pub post_code: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressExtra {
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
}

// ---- bg.order.amount.query ----

/// `result` of bg.order.amount.query.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AmountResult {
    #[serde(default)]
    pub parent_order_map: Option<AmountParent>,
    #[serde(default, deserialize_with = "null_default")]
    pub order_list: Vec<AmountLine>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AmountParent {
    #[serde(default)]
    pub retail_price_total: Option<Money>,
    #[serde(default)]
    pub customer_paid: Option<Money>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AmountLine {
    pub order_sn: String,
    #[serde(default)]
    pub unit_retail_price: Option<Money>,
    #[serde(default)]
    pub unit_retail_price_vat_incl: Option<Money>,
    #[serde(default)]
    pub unit_base_price: Option<Money>,
}

/// An amount in the currency's minor unit ("United States: Cents").
#[derive(Debug, Clone, Deserialize)]
pub struct Money {
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub amount: Option<serde_json::Value>,
}

// ---- logistics: buy shipping ----

/// `result` of bg.logistics.warehouse.list.get.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WarehouseList {
    #[serde(default, deserialize_with = "null_default")]
    pub warehouse_list: Vec<Warehouse>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Warehouse {
    pub warehouse_id: String,
    #[serde(default)]
    pub default_warehouse: Option<bool>,
    #[serde(default)]
    pub enable_buy_shipping_label: Option<bool>,
}

/// An order and quantity of bg.logistics.shippingservices.get.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipOrderInfo {
    pub parent_order_sn: String,
    pub order_sn: String,
    pub quantity: u32,
}

/// `result` of bg.logistics.shippingservices.get.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippingServices {
    #[serde(default, deserialize_with = "null_default")]
    pub online_channel_dto_list: Vec<Channel>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Channel {
    pub ship_company_id: u64,
    pub channel_id: u64,
    #[serde(default)]
    pub shipping_company_name: Option<String>,
    #[serde(default)]
    pub estimated_amount: Option<String>,
}

/// The parcel fields shared by bg.logistics.shippingservices.get and shipment.create.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParcelSize {
    pub weight: String,
    pub weight_unit: &'static str,
    pub length: String,
    pub width: String,
    pub height: String,
    pub dimension_unit: &'static str,
}

/// One order line of a package (shipment.create and shipment.v2.confirm).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderSendInfo {
    pub parent_order_sn: String,
    pub order_sn: String,
    pub goods_id: u64,
    pub sku_id: u64,
    pub quantity: u32,
}

/// One package of bg.logistics.shipment.create.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateSendRequest {
    pub ship_company_id: u64,
    pub channel_id: u64,
    pub warehouse_id: String,
    #[serde(flatten)]
    pub parcel: ParcelSize,
    pub order_send_info_list: Vec<OrderSendInfo>,
}

/// `result` of bg.logistics.shipment.create.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateResult {
    #[serde(default, deserialize_with = "null_default")]
    pub package_sn_list: Vec<String>,
}

/// `result` of bg.logistics.shipment.result.get.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentResults {
    #[serde(default, deserialize_with = "null_default")]
    pub package_info_result_list: Vec<PackageResult>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageResult {
    #[serde(default)]
    pub package_sn: Option<String>,
    /// 0 in application, 1 successful, 2 failed.
    #[serde(default)]
    pub shipping_label_status: Option<i64>,
    #[serde(default)]
    pub tracking_number: Option<String>,
    #[serde(default)]
    pub shipping_company_name: Option<String>,
    #[serde(default)]
    pub fail_reason_text: Option<String>,
    #[serde(default)]
    pub solution_text: Option<String>,
}

/// `result` of bg.logistics.shipment.document.get.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Documents {
    #[serde(default, deserialize_with = "null_default")]
    pub shipping_label_url_list: Vec<DocumentUrl>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentUrl {
    #[serde(default)]
    pub package_sn: Option<String>,
    pub url: String,
}

// ---- logistics: self-fulfilled shipment ----

/// One element of bg.logistics.companies.get `result`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Carrier {
    pub logistics_service_provider_id: u64,
    #[serde(default)]
    pub logistics_service_provider_name: Option<String>,
    #[serde(default)]
    pub logistics_brand_name: Option<String>,
}

/// One package of bg.logistics.shipment.v2.confirm.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmSendRequest {
    pub carrier_id: u64,
    pub tracking_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub self_shipping_warehouse_id: Option<String>,
    pub order_send_info_list: Vec<OrderSendInfo>,
}

/// `result` of bg.logistics.shipment.v2.get.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentsOfOrder {
    #[serde(default, rename = "shipmentInfoDTO", deserialize_with = "null_default")]
    pub shipment_info_dto: Vec<ShipmentInfo>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentInfo {
    #[serde(default)]
    pub tracking_number: Option<String>,
    #[serde(default)]
    pub carrier_id: Option<u64>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn nulls_read_as_empty() {
        let item: PageItem = serde_json::from_str(
            r#"{"parentOrderMap":{"parentOrderSn":"PO-211-1","parentOrderStatus":2,"parentOrderTime":1,"fulfillmentWarning":null},"orderList":null}"#,
        )
        .unwrap();
        assert!(item.order_list.is_empty());
        assert!(item.parent_order_map.fulfillment_warning.is_empty());
    }

    #[test]
    fn create_request_flattens_the_parcel_in_field_order() {
        let r = CreateSendRequest {
            ship_company_id: 1,
            channel_id: 2,
            warehouse_id: "WH-1".into(),
            parcel: ParcelSize {
                weight: "2".into(),
                weight_unit: "lb",
                length: "3.94".into(),
                width: "3.94".into(),
                height: "1.00".into(),
                dimension_unit: "in",
            },
            order_send_info_list: vec![],
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"shipCompanyId":1,"channelId":2,"warehouseId":"WH-1","weight":"2","weightUnit":"lb","length":"3.94","width":"3.94","height":"1.00","dimensionUnit":"in","orderSendInfoList":[]}"#
        );
    }
}
