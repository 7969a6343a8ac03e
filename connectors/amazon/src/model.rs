//! Wire types mirroring Amazon's JSON: Orders API v2026-01-01 (`searchOrders`, `getOrder`),
//! Orders API v0 `confirmShipment` and Merchant Fulfillment API v0. Field names follow the
//! models in `amzn/selling-partner-api-models`; only the fields omsync reads are declared, and
//! enums Amazon may extend are kept as strings.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

// ---- Orders API v2026-01-01 -------------------------------------------------------------

/// `SearchOrdersResponse`. Orders stay raw so one unreadable order cannot sink the page.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchOrdersResponse {
    pub orders: Vec<Box<RawValue>>,
    #[serde(default)]
    pub pagination: Option<Pagination>,
    #[serde(default)]
    pub last_updated_before: Option<String>,
    #[serde(default)]
    pub created_before: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    #[serde(default)]
    pub next_token: Option<String>,
}

/// `GetOrderResponse`.
#[derive(Debug, Deserialize)]
pub struct GetOrderResponse {
    pub order: OrderHeader,
}

/// Just enough of an order to name it and place it in a marketplace.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderHeader {
    #[serde(default)]
    pub order_id: Option<String>,
    #[serde(default)]
    pub sales_channel: Option<SalesChannel>,
}

/// `Order`, with the datasets omsync requests (`BUYER`, `RECIPIENT`, `FULFILLMENT`); items and
/// products are always included.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub order_id: String,
    pub created_time: DateTime<Utc>,
    pub last_updated_time: DateTime<Utc>,
    #[serde(default)]
    pub programs: Vec<String>,
    pub sales_channel: SalesChannel,
    #[serde(default)]
    pub buyer: Option<Buyer>,
    #[serde(default)]
    pub recipient: Option<Recipient>,
    #[serde(default)]
    pub fulfillment: Option<OrderFulfillment>,
    pub order_items: Vec<OrderItem>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SalesChannel {
    pub channel_name: String,
    #[serde(default)]
    pub marketplace_id: Option<String>,
    #[serde(default)]
    pub marketplace_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Buyer {
    #[serde(default)]
    pub buyer_name: Option<String>,
}

impl std::fmt::Debug for Buyer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Buyer").finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recipient {
    #[serde(default)]
    pub delivery_address: Option<CustomerAddress>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerAddress {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub company_name: Option<String>,
    #[serde(default)]
    pub address_line1: Option<String>,
    #[serde(default)]
    pub address_line2: Option<String>,
    #[serde(default)]
    pub address_line3: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub district_or_county: Option<String>,
    #[serde(default)]
    pub state_or_region: Option<String>,
    #[serde(default)]
    pub municipality: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    #[serde(default)]
    pub country_code: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

// Names, streets and phones stay out of Debug output.
impl std::fmt::Debug for CustomerAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerAddress")
            .field("city", &self.city)
            .field("country_code", &self.country_code)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderFulfillment {
    /// `FulfillmentStatus`: PENDING_AVAILABILITY, PENDING, UNSHIPPED, PARTIALLY_SHIPPED,
    /// SHIPPED, CANCELLED, UNFULFILLABLE.
    pub fulfillment_status: String,
    /// `AMAZON` or `MERCHANT`.
    #[serde(default)]
    pub fulfilled_by: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderItem {
    pub order_item_id: String,
    pub quantity_ordered: u32,
    pub product: ItemProduct,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemProduct {
    #[serde(default)]
    pub asin: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub seller_sku: Option<String>,
    #[serde(default)]
    pub price: Option<ItemPrice>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemPrice {
    /// The price of one unit (unlike v0 `ItemPrice`, which was the line total).
    #[serde(default)]
    pub unit_price: Option<Money>,
}

/// `Money`; `amount` is the spec's `Decimal`, a string.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Money {
    pub amount: String,
    pub currency_code: String,
}

/// The SP-API error envelope (`ErrorList`).
#[derive(Debug, Deserialize)]
pub struct ErrorList {
    #[serde(default)]
    pub errors: Vec<ApiError>,
}

#[derive(Debug, Deserialize)]
pub struct ApiError {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub details: Option<String>,
}

// ---- Orders API v0 confirmShipment -----------------------------------------------------

/// `ConfirmShipmentRequest`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmShipmentRequest {
    pub marketplace_id: String,
    pub package_detail: PackageDetail,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageDetail {
    /// A positive number, sent as a JSON string.
    pub package_reference_id: String,
    pub carrier_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_method: Option<String>,
    pub tracking_number: String,
    pub ship_date: String,
    pub order_items: Vec<ConfirmShipmentOrderItem>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmShipmentOrderItem {
    pub order_item_id: String,
    pub quantity: u32,
}

// ---- Merchant Fulfillment API v0 -------------------------------------------------------

/// `GetEligibleShipmentServicesRequest`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetEligibleShipmentServicesRequest<'a> {
    pub shipment_request_details: &'a ShipmentRequestDetails,
}

/// `CreateShipmentRequest`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateShipmentRequest<'a> {
    pub shipment_request_details: &'a ShipmentRequestDetails,
    pub shipping_service_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_service_offer_id: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ShipmentRequestDetails {
    pub amazon_order_id: String,
    pub item_list: Vec<MfnItem>,
    pub ship_from_address: MfnAddress,
    pub package_dimensions: PackageDimensions,
    pub weight: Weight,
    pub shipping_service_options: ShippingServiceOptions,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MfnItem {
    pub order_item_id: String,
    pub quantity: u32,
}

/// MFN `Address`: `Name`, `AddressLine1`, `City`, `PostalCode`, `CountryCode`, `Email` and
/// `Phone` are required.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MfnAddress {
    pub name: String,
    pub address_line1: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line2: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line3: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district_or_county: Option<String>,
    pub email: String,
    pub city: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_or_province_code: Option<String>,
    pub postal_code: String,
    pub country_code: String,
    pub phone: String,
}

// The ship-from address names a person and a phone: Debug shows the coarse parts only.
impl std::fmt::Debug for MfnAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MfnAddress")
            .field("city", &self.city)
            .field("country_code", &self.country_code)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PackageDimensions {
    pub length: f64,
    pub width: f64,
    pub height: f64,
    /// `UnitOfLength`: `inches` or `centimeters`.
    pub unit: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Weight {
    pub value: f64,
    /// `UnitOfWeight`: `oz` or `g`.
    pub unit: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ShippingServiceOptions {
    pub delivery_experience: &'static str,
    pub carrier_will_pick_up: bool,
    /// The seller's preferred label format (`LabelFormat`); omitted for the service default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_format: Option<&'static str>,
}

/// `GetEligibleShipmentServicesResponse`.
#[derive(Debug, Deserialize)]
pub struct GetEligibleShipmentServicesResponse {
    #[serde(default)]
    pub payload: Option<EligibleServices>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EligibleServices {
    #[serde(default)]
    pub shipping_service_list: Vec<ShippingService>,
}

/// `ShippingService`: one offer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ShippingService {
    pub shipping_service_id: String,
    #[serde(default)]
    pub shipping_service_offer_id: Option<String>,
    #[serde(default)]
    pub carrier_name: Option<String>,
    #[serde(default)]
    pub rate: Option<CurrencyAmount>,
    #[serde(default)]
    pub available_label_formats: Option<Vec<String>>,
    #[serde(default)]
    pub requires_additional_seller_inputs: bool,
}

/// `CurrencyAmount`; `Amount` is a JSON number here, kept as its text.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CurrencyAmount {
    pub amount: serde_json::Number,
    pub currency_code: String,
}

/// `CreateShipmentResponse`.
#[derive(Debug, Deserialize)]
pub struct CreateShipmentResponse {
    #[serde(default)]
    pub payload: Option<MfnShipment>,
}

/// MFN `Shipment`, the fields a label needs.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MfnShipment {
    pub shipment_id: String,
    #[serde(default)]
    pub tracking_id: Option<String>,
    #[serde(default)]
    pub shipping_service: Option<ShippingService>,
    pub label: MfnLabel,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MfnLabel {
    pub file_contents: FileContents,
    #[serde(default)]
    pub label_format: Option<String>,
}

/// `FileContents`: `Contents` is base64 of a GZIP-compressed document.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FileContents {
    pub contents: String,
    /// `application/pdf`, `application/zpl` or `image/png`.
    pub file_type: String,
    #[serde(default)]
    pub checksum: Option<String>,
}

impl std::fmt::Debug for FileContents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileContents")
            .field("contents_bytes", &self.contents.len())
            .field("file_type", &self.file_type)
            .finish_non_exhaustive()
    }
}
