//! Wire types mirroring eBay's JSON: Sell Fulfillment API v1 (`sell_fulfillment_v1_oas3.json`,
//! v1.20.7) and Sell Logistics API v1_beta. Field names follow the contracts; only the fields
//! omsync reads or sends are declared, and enums eBay may extend are kept as strings.
//! Types that hold buyer data hand-write `Debug` so names, streets and phones never print.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

// ---- Fulfillment API: getOrders -------------------------------------------------------------

/// `OrderSearchPagedCollection`. Orders stay raw so one unreadable order cannot sink the page.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderSearchPagedCollection {
    #[serde(default)]
    pub href: Option<String>,
    #[serde(default)]
    pub limit: Option<u32>,
    /// The next page's URI, "only returned if there is a next page".
    #[serde(default)]
    pub next: Option<String>,
    #[serde(default)]
    pub offset: Option<u32>,
    #[serde(default)]
    pub orders: Vec<Box<RawValue>>,
    #[serde(default)]
    pub prev: Option<String>,
    /// All orders matching the filter (0 when none).
    #[serde(default)]
    pub total: Option<u32>,
    #[serde(default)]
    pub warnings: Vec<ErrorDetail>,
}

/// `Order`, the fields omsync reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub order_id: String,
    pub creation_date: DateTime<Utc>,
    pub last_modified_date: DateTime<Utc>,
    /// `OrderFulfillmentStatus`: NOT_STARTED, IN_PROGRESS, FULFILLED.
    pub order_fulfillment_status: String,
    /// `OrderPaymentStatusEnum`: FAILED, FULLY_REFUNDED, PAID, PARTIALLY_REFUNDED, PENDING.
    pub order_payment_status: String,
    #[serde(default)]
    pub cancel_status: Option<CancelStatus>,
    #[serde(default)]
    pub buyer: Option<Buyer>,
    #[serde(default)]
    pub fulfillment_start_instructions: Vec<FulfillmentStartInstruction>,
    pub line_items: Vec<LineItem>,
    #[serde(default)]
    pub pricing_summary: Option<PricingSummary>,
}

/// `CancelStatus`. In getOrders `cancelRequests` is always empty.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelStatus {
    /// `CancelStateEnum`: CANCELED, IN_PROGRESS, NONE_REQUESTED.
    #[serde(default)]
    pub cancel_state: Option<String>,
    #[serde(default)]
    pub cancelled_date: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Buyer {
    /// The buyer's eBay user id.
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub buyer_registration_address: Option<ExtendedContact>,
}

impl std::fmt::Debug for Buyer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Buyer").finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FulfillmentStartInstruction {
    /// `FulfillmentInstructionsType`: DIGITAL, PREPARE_FOR_PICKUP, SELLER_DEFINED, SHIP_TO,
    /// FULFILLED_BY_EBAY.
    #[serde(default)]
    pub fulfillment_instructions_type: Option<String>,
    /// True for eBay International Shipping / Global Shipping Program / Authenticity
    /// Guarantee: `shipTo` is then eBay's partner warehouse, which is where the parcel goes.
    #[serde(default)]
    pub ebay_supported_fulfillment: Option<bool>,
    #[serde(default)]
    pub shipping_step: Option<ShippingStep>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippingStep {
    #[serde(default)]
    pub shipping_carrier_code: Option<String>,
    #[serde(default)]
    pub shipping_service_code: Option<String>,
    #[serde(default)]
    pub ship_to: Option<ExtendedContact>,
}

/// `ExtendedContact` (ship-to and buyer contact). Also the shape of the Logistics API's
/// `Contact`, whose fields are a subset.
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtendedContact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_address: Option<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_phone: Option<PhoneNumber>,
    /// Not part of the Logistics `Contact`: never sent.
    #[serde(default, skip_serializing)]
    pub email: Option<String>,
}

impl std::fmt::Debug for ExtendedContact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExtendedContact")
            .field("contact_address", &self.contact_address)
            .finish_non_exhaustive()
    }
}

/// `Address` (Fulfillment) / `ContactAddress` (Logistics): the same field names.
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_line1: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_line2: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub county: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_or_province: Option<String>,
}

// Streets stay out of Debug output.
impl std::fmt::Debug for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Address")
            .field("city", &self.city)
            .field("country_code", &self.country_code)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneNumber {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
}

impl std::fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PhoneNumber(..)")
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineItem {
    /// The id createShippingFulfillment takes.
    pub line_item_id: String,
    /// The listing id.
    #[serde(default)]
    pub legacy_item_id: Option<String>,
    #[serde(default)]
    pub legacy_variation_id: Option<String>,
    /// The seller's SKU; optional on eBay listings.
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    pub quantity: u32,
    /// Unit price times quantity, before discounts.
    pub line_item_cost: Amount,
    /// `LineItemFulfillmentStatusEnum`: FULFILLED, IN_PROGRESS, NOT_STARTED.
    #[serde(default)]
    pub line_item_fulfillment_status: Option<String>,
    #[serde(default)]
    pub listing_marketplace_id: Option<String>,
    #[serde(default)]
    pub purchase_marketplace_id: Option<String>,
}

/// `Amount`: `value` is a decimal string in `currency` (ISO 4217).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Amount {
    pub value: String,
    pub currency: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PricingSummary {
    #[serde(default)]
    pub total: Option<Amount>,
}

// ---- Fulfillment API: shipping fulfillments --------------------------------------------------

/// `ShippingFulfillmentDetails`, the createShippingFulfillment body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippingFulfillmentDetails {
    pub line_items: Vec<LineItemReference>,
    pub shipped_date: String,
    pub shipping_carrier_code: String,
    pub tracking_number: String,
}

/// `LineItemReference`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LineItemReference {
    pub line_item_id: String,
    pub quantity: u32,
}

/// `ShippingFulfillmentPagedCollection` (getShippingFulfillments).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippingFulfillmentPagedCollection {
    #[serde(default)]
    pub fulfillments: Vec<ShippingFulfillment>,
    #[serde(default)]
    pub total: Option<u32>,
}

/// `ShippingFulfillment`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippingFulfillment {
    #[serde(default)]
    pub fulfillment_id: Option<String>,
    #[serde(default)]
    pub line_items: Vec<LineItemReference>,
    #[serde(default)]
    pub shipment_tracking_number: Option<String>,
    #[serde(default)]
    pub shipping_carrier_code: Option<String>,
}

// ---- Errors ---------------------------------------------------------------------------------

/// The common REST error envelope `{"errors": [Error]}`.
#[derive(Debug, Deserialize)]
pub struct ErrorResponse {
    #[serde(default)]
    pub errors: Vec<ErrorDetail>,
}

/// `Error`: `errorId`, `domain`, `category` (REQUEST, APPLICATION, BUSINESS), messages.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    #[serde(default)]
    pub error_id: Option<i64>,
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub long_message: Option<String>,
}

// ---- Logistics API v1_beta (labels) ---------------------------------------------------------

/// `ShippingQuoteRequest`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippingQuoteRequest {
    pub orders: Vec<LogisticsOrder>,
    pub package_specification: PackageSpecification,
    pub ship_from: ExtendedContact,
    pub ship_to: ExtendedContact,
}

/// `Order` of the Logistics API: `channel` `EBAY` and the Fulfillment API's `orderId`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogisticsOrder {
    pub channel: String,
    pub order_id: String,
}

/// `PackageSpecification`; every number is a string in the contract.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageSpecification {
    pub dimensions: Dimensions,
    pub weight: Weight,
}

#[derive(Debug, Serialize)]
pub struct Dimensions {
    pub height: String,
    pub length: String,
    pub width: String,
    /// `LengthUnitOfMeasureEnum`.
    pub unit: String,
}

#[derive(Debug, Serialize)]
pub struct Weight {
    /// `WeightUnitOfMeasureEnum`: POUND, OUNCE, KILOGRAM, GRAM.
    pub unit: String,
    pub value: String,
}

/// `ShippingQuote`, the fields omsync reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippingQuote {
    pub shipping_quote_id: String,
    #[serde(default)]
    pub rates: Vec<Rate>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rate {
    pub rate_id: String,
    #[serde(default)]
    pub base_shipping_cost: Option<Amount>,
    #[serde(default)]
    pub shipping_carrier_code: Option<String>,
    #[serde(default)]
    pub shipping_service_code: Option<String>,
}

/// `CreateShipmentFromQuoteRequest`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateShipmentFromQuoteRequest {
    pub shipping_quote_id: String,
    pub rate_id: String,
    pub label_size: String,
}

/// `Shipment`, the fields omsync reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shipment {
    pub shipment_id: String,
    #[serde(default)]
    pub shipment_tracking_number: Option<String>,
    #[serde(default)]
    pub label_download_url: Option<String>,
    #[serde(default)]
    pub rate: Option<PurchasedRate>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PurchasedRate {
    #[serde(default)]
    pub shipping_carrier_code: Option<String>,
    #[serde(default)]
    pub shipping_service_code: Option<String>,
}
