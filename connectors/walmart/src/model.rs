//! Wire types mirroring Walmart's JSON: the Token API, Order Management v3 (list, order,
//! acknowledge, ship) and Ship With Walmart labels. Field names follow the OpenAPI files in
//! `shared/marketplaces/specs/walmart/`; only the fields omsync reads or sends are declared, and
//! enums Walmart may extend are kept as strings. Money amounts stay raw JSON text so they
//! become decimals without passing through a float.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

/// Text of a field Walmart sends as a string in one place and a number in another
/// (`lineNumber`, quantities).
pub fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        S(String),
        N(serde_json::Number),
    }
    Ok(match Text::deserialize(d)? {
        Text::S(s) => s,
        Text::N(n) => n.to_string(),
    })
}

// ---- Token API --------------------------------------------------------------------------

/// `POST /v3/token` 200 (`OAuthToken`). `SecretString` keeps the token out of `Debug`.
#[derive(Debug, Deserialize)]
pub struct TokenResponse {
    pub access_token: secrecy::SecretString,
    #[serde(default)]
    pub token_type: Option<String>,
    #[serde(default)]
    pub expires_in: Option<u64>,
}

// ---- Orders -----------------------------------------------------------------------------

/// `GET /v3/orders` 200. Orders stay raw so one unreadable order cannot sink the page.
#[derive(Debug, Deserialize)]
pub struct OrderListResponse {
    pub list: OrderList,
}

#[derive(Debug, Deserialize)]
pub struct OrderList {
    #[serde(default)]
    pub meta: Option<ListMeta>,
    #[serde(default)]
    pub elements: Option<Elements>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListMeta {
    #[serde(default)]
    pub total_count: Option<i64>,
    #[serde(default)]
    pub limit: Option<i64>,
    /// A query string (`?limit=..&hasMoreElements=true&soIndex=..`) for the next page.
    #[serde(default)]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Elements {
    #[serde(default)]
    pub order: Vec<Box<RawValue>>,
}

/// `{"order": {...}}`: getAnOrder, acknowledgeOrders and shippingUpdates answers.
#[derive(Debug, Deserialize)]
pub struct OrderResponse {
    pub order: Order,
}

/// A purchase order (`elements.order[]`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub purchase_order_id: String,
    pub customer_order_id: String,
    /// Epoch milliseconds.
    pub order_date: i64,
    pub shipping_info: ShippingInfo,
    pub order_lines: OrderLines,
    #[serde(default)]
    pub order_type: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippingInfo {
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub estimated_delivery_date: Option<i64>,
    #[serde(default)]
    pub estimated_ship_date: Option<i64>,
    /// `Standard`, `Express`, `OneDay`, `Freight`, `WhiteGlove`, `Value`.
    #[serde(default)]
    pub method_code: Option<String>,
    pub postal_address: PostalAddress,
}

// Buyer name, street and phone: Debug shows the coarse parts only.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostalAddress {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub address1: Option<String>,
    #[serde(default)]
    pub address2: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    /// `USA`.
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub address_type: Option<String>,
}

impl std::fmt::Debug for PostalAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostalAddress")
            .field("city", &self.city)
            .field("state", &self.state)
            .field("country", &self.country)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderLines {
    #[serde(default)]
    pub order_line: Vec<OrderLine>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderLine {
    #[serde(deserialize_with = "string_or_number")]
    pub line_number: String,
    pub item: Item,
    #[serde(default)]
    pub charges: Option<Charges>,
    pub order_line_quantity: Quantity,
    /// Epoch milliseconds of the line's latest status.
    #[serde(default)]
    pub status_date: Option<i64>,
    pub order_line_statuses: OrderLineStatuses,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    #[serde(default)]
    pub product_name: Option<String>,
    /// The seller's SKU: omsync's platform SKU.
    pub sku: String,
}

#[derive(Debug, Deserialize)]
pub struct Charges {
    #[serde(default)]
    pub charge: Vec<Charge>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Charge {
    /// `PRODUCT` or `SHIPPING`.
    pub charge_type: String,
    /// `ItemPrice`, `SubscriptionDiscount`, `Shipping`.
    #[serde(default)]
    pub charge_name: Option<String>,
    pub charge_amount: Money,
}

#[derive(Debug, Deserialize)]
pub struct Money {
    pub currency: String,
    /// The JSON number exactly as sent.
    pub amount: Box<RawValue>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quantity {
    #[serde(default)]
    pub unit_of_measurement: Option<String>,
    #[serde(deserialize_with = "string_or_number")]
    pub amount: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderLineStatuses {
    #[serde(default)]
    pub order_line_status: Vec<LineStatus>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineStatus {
    /// `Created`, `Acknowledged`, `Shipped`, `Delivered`, `Cancelled`, `Refund`.
    pub status: String,
    #[serde(default)]
    pub status_quantity: Option<Quantity>,
    #[serde(default)]
    pub tracking_info: Option<TrackingInfo>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackingInfo {
    #[serde(default)]
    pub tracking_number: Option<String>,
}

// ---- Ship order lines (request) ----------------------------------------------------------

/// `POST /v3/orders/{purchaseOrderId}/shipping` body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipRequest {
    pub order_shipment: OrderShipment,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderShipment {
    /// `PARTIAL_UPDATE` corrects the tracking of lines already shipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process_mode: Option<&'static str>,
    pub order_lines: ShipLines,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipLines {
    pub order_line: Vec<ShipLine>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipLine {
    pub line_number: String,
    pub seller_order_id: String,
    pub order_line_statuses: ShipStatuses,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipStatuses {
    pub order_line_status: Vec<ShipStatus>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipStatus {
    pub status: &'static str,
    pub status_quantity: QuantityOut,
    pub tracking_info: TrackingInfoOut,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_tracking_info: Option<CurrentTrackingInfo>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuantityOut {
    pub unit_of_measurement: &'static str,
    pub amount: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackingInfoOut {
    /// Epoch milliseconds.
    pub ship_date_time: i64,
    pub carrier_name: CarrierName,
    pub method_code: String,
    pub tracking_number: String,
    #[serde(rename = "trackingURL", skip_serializing_if = "Option::is_none")]
    pub tracking_url: Option<String>,
}

/// Either one of Walmart's carrier names, or free text (then `trackingURL` is required).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CarrierName {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_carrier: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CurrentTrackingInfo {
    pub tracking_number: String,
}

// ---- Ship With Walmart --------------------------------------------------------------------

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BoxDimensions {
    pub box_length: f64,
    pub box_width: f64,
    pub box_height: f64,
    pub box_weight: f64,
    pub box_dimension_unit: &'static str,
    pub box_weight_unit: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BoxItem {
    pub sku: String,
    pub quantity: u32,
    #[serde(deserialize_with = "string_or_number")]
    pub line_number: String,
}

/// `fromAddress` of createLabel: a contact, not a buyer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelAddress {
    pub contact_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    pub address_line1: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line2: Option<String>,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    pub country: String,
    pub phone: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl std::fmt::Debug for LabelAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabelAddress")
            .field("city", &self.city)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// `fromAddress` / `toAddress` of getShippingEstimate.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EstimateAddress {
    pub address_lines: Vec<String>,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    pub country_code: String,
}

impl std::fmt::Debug for EstimateAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EstimateAddress")
            .field("city", &self.city)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// `POST /v3/shipping/labels/shipping-estimates` body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EstimateRequest {
    pub package_type: &'static str,
    pub purchase_order_id: String,
    pub box_items: Vec<BoxItem>,
    pub box_dimensions: BoxDimensions,
    pub ship_by_date: String,
    pub deliver_by_date: String,
    pub from_address: EstimateAddress,
    pub to_address: EstimateAddress,
    pub include_services_not_meeting_delivery_promise: bool,
}

#[derive(Debug, Deserialize)]
pub struct EstimateResponse {
    #[serde(default)]
    pub data: Option<EstimateData>,
}

#[derive(Debug, Deserialize)]
pub struct EstimateData {
    #[serde(default)]
    pub estimates: Vec<Estimate>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Estimate {
    /// The carrier service type createLabel wants (`FEDEX_GROUND`).
    pub name: String,
    /// The carrier's short name (`FedEx`, `USPS`).
    pub carrier_name: String,
    #[serde(default)]
    pub estimated_rate: Option<Money>,
    #[serde(default)]
    pub is_delivery_promise_fulfilled: Option<bool>,
}

/// `POST /v3/shipping/labels` body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateLabelRequest {
    pub package_type: &'static str,
    pub box_dimensions: BoxDimensions,
    pub box_items: Vec<BoxItem>,
    pub from_address: LabelAddress,
    pub purchase_order_id: String,
    pub carrier_name: String,
    pub carrier_service_type: String,
}

/// createLabel's JSON answer.
#[derive(Debug, Deserialize)]
pub struct CreateLabelResponse {
    #[serde(default)]
    pub data: Option<LabelData>,
}

/// `GET /v3/shipping/labels/purchase-orders/{purchaseOrderId}`.
#[derive(Debug, Default, Deserialize)]
pub struct PurchaseOrderLabels {
    #[serde(default)]
    pub data: Vec<LabelData>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelData {
    #[serde(default)]
    pub purchase_order_id: Option<String>,
    pub tracking_no: String,
    #[serde(default)]
    pub box_items: Vec<BoxItem>,
    pub carrier_name: String,
    #[serde(default)]
    pub carrier_service_type: Option<String>,
    #[serde(default)]
    pub tracking_url: Option<String>,
}
