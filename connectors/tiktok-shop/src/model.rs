//! Wire types: the parts of TikTok Shop's 202309 JSON this connector reads and writes, field
//! for field (schemas `Order202309*`, `Fulfillment202309*`, `Logistics202309*` in
//! shared/marketplaces/specs/tiktok-shop/tiktok-shop-openapi.json).

use std::str::FromStr;

use rust_decimal::Decimal;
use secrecy::SecretString;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

/// The envelope every answer shares; `code` 0 is success.
#[derive(Debug, Deserialize)]
pub struct Envelope<T> {
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub request_id: Option<String>,
    #[serde(default = "none")]
    pub data: Option<T>,
}

fn none<T>() -> Option<T> {
    None
}

/// `POST /order/202309/orders/search` body: the update-time filter of one slice.
#[derive(Debug, Serialize)]
pub struct SearchBody {
    pub update_time_ge: i64,
    pub update_time_lt: i64,
}

/// `Order202309GetOrderListResponseData`: orders kept raw so each is decoded on its own.
#[derive(Debug, Deserialize)]
pub struct SearchData {
    #[serde(default)]
    pub next_page_token: Option<String>,
    #[serde(default)]
    pub total_count: Option<u64>,
    #[serde(default)]
    pub orders: Vec<Box<RawValue>>,
}

/// `Order202309GetOrderDetailResponseData`.
#[derive(Debug, Deserialize)]
pub struct DetailData {
    #[serde(default)]
    pub orders: Vec<Order>,
}

/// Enough of an order to name it when the rest does not decode.
#[derive(Debug, Deserialize)]
pub struct OrderIdOnly {
    #[serde(default)]
    pub id: Option<String>,
}

/// One order of the list or detail call (`...ResponseDataOrders`); the same fields in both.
#[derive(Debug, Deserialize)]
pub struct Order {
    pub id: String,
    pub status: String,
    pub create_time: i64,
    pub update_time: i64,
    /// `TIKTOK` (platform label) or `SELLER`.
    #[serde(default)]
    pub shipping_type: Option<String>,
    /// `FULFILLMENT_BY_SELLER`, `FULFILLMENT_BY_TIKTOK`, ...
    #[serde(default)]
    pub fulfillment_type: Option<String>,
    #[serde(default)]
    pub delivery_option_id: Option<String>,
    #[serde(default)]
    pub shipping_provider: Option<String>,
    #[serde(default)]
    pub shipping_provider_id: Option<String>,
    #[serde(default)]
    pub tracking_number: Option<String>,
    #[serde(default)]
    pub payment: Option<Payment>,
    #[serde(default)]
    pub recipient_address: Option<RecipientAddress>,
    pub line_items: Vec<LineItem>,
    #[serde(default)]
    pub packages: Vec<PackageRef>,
}

/// `payment`: every amount is a decimal string; only the currency is read.
#[derive(Debug, Default, Deserialize)]
pub struct Payment {
    #[serde(default)]
    pub currency: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RecipientAddress {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub address_line1: Option<String>,
    #[serde(default)]
    pub address_line2: Option<String>,
    #[serde(default)]
    pub address_line3: Option<String>,
    #[serde(default)]
    pub address_line4: Option<String>,
    #[serde(default)]
    pub address_detail: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    #[serde(default)]
    pub region_code: Option<String>,
    #[serde(default)]
    pub post_town: Option<String>,
    #[serde(default)]
    pub district_info: Vec<DistrictInfo>,
}

/// One administrative level: `L0` (country) to `L4`.
#[derive(Debug, Deserialize)]
pub struct DistrictInfo {
    #[serde(default)]
    pub address_level: Option<String>,
    #[serde(default)]
    pub address_level_name: Option<String>,
    #[serde(default)]
    pub address_name: Option<String>,
}

/// One unit of one SKU: TikTok has no quantity field, each line item is one unit.
#[derive(Debug, Clone, Deserialize)]
pub struct LineItem {
    pub id: String,
    #[serde(default)]
    pub sku_id: Option<String>,
    #[serde(default)]
    pub seller_sku: Option<String>,
    #[serde(default)]
    pub product_id: Option<String>,
    #[serde(default)]
    pub product_name: Option<String>,
    #[serde(default)]
    pub sku_name: Option<String>,
    /// A decimal string in the order currency.
    #[serde(deserialize_with = "decimal_text")]
    pub sale_price: Decimal,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub display_status: Option<String>,
    #[serde(default)]
    pub package_id: Option<String>,
    /// `TO_FULFILL`, `PROCESSING`, `FULFILLING`, `COMPLETED`, `CANCELLED`.
    #[serde(default)]
    pub package_status: Option<String>,
    #[serde(default)]
    pub tracking_number: Option<String>,
    #[serde(default)]
    pub shipping_provider_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PackageRef {
    pub id: String,
}

/// `POST /fulfillment/202309/packages/{package_id}/ship` body.
#[derive(Debug, Default, Serialize)]
pub struct ShipPackageBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handover_method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub self_shipment: Option<SelfShipment>,
}

#[derive(Debug, Serialize)]
pub struct SelfShipment {
    pub tracking_number: String,
    pub shipping_provider_id: String,
}

/// `POST /fulfillment/202309/orders/{order_id}/packages` (Mark Package As Shipped) body.
#[derive(Debug, Serialize)]
pub struct MarkShippedBody {
    pub order_line_item_ids: Vec<String>,
    pub tracking_number: String,
    pub shipping_provider_id: String,
}

/// `Fulfillment202309GetPackageShippingDocumentResponseData`.
#[derive(Debug, Deserialize)]
pub struct ShippingDocument {
    #[serde(default)]
    pub doc_url: Option<String>,
    #[serde(default)]
    pub tracking_number: Option<String>,
}

/// `Logistics202309GetShippingProvidersResponseData`.
#[derive(Debug, Deserialize)]
pub struct ShippingProviders {
    #[serde(default)]
    pub shipping_providers: Vec<ShippingProvider>,
}

#[derive(Debug, Deserialize)]
pub struct ShippingProvider {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// `GET /api/v2/token/refresh` `data`. Both `*_expire_in` are Unix times, not durations.
#[derive(Debug, Deserialize)]
pub struct TokenData {
    #[serde(default)]
    pub access_token: Option<SecretString>,
    #[serde(default)]
    pub access_token_expire_in: Option<i64>,
    #[serde(default)]
    pub refresh_token: Option<SecretString>,
    #[serde(default)]
    pub refresh_token_expire_in: Option<i64>,
}

/// A decimal from its text: the spec's decimal strings (`"12.95"`), or a JSON number read from
/// its literal so no amount ever passes through `f64`.
pub fn decimal_text<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
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

    #[test]
    fn prices_are_decimal_strings() {
        let item: LineItem = connector_kit::decode_json(
            br#"{"id":"1","sale_price":"12.95","seller_sku":"TEE-BLK-L"}"#,
        )
        .unwrap();
        assert_eq!(item.sale_price.to_string(), "12.95");
        let number: LineItem =
            connector_kit::decode_json(br#"{"id":"1","sale_price":19.990000000000001}"#).unwrap();
        assert_eq!(number.sale_price.to_string(), "19.990000000000001");
        let bad = connector_kit::decode_json::<LineItem>(br#"{"id":"1","sale_price":"free"}"#);
        assert!(bad.is_err());
    }

    #[test]
    fn ship_body_leaves_out_what_is_not_set() {
        let body = ShipPackageBody {
            self_shipment: Some(SelfShipment {
                tracking_number: "JX12345".into(),
                shipping_provider_id: "6617675021119438849".into(),
            }),
            ..ShipPackageBody::default()
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"self_shipment":{"tracking_number":"JX12345","shipping_provider_id":"6617675021119438849"}}"#
        );
    }
}
