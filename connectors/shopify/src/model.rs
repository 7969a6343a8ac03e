//! Wire types of the Admin GraphQL API 2025-01, mirroring the JSON of the selections this
//! connector sends (field names as in `admin_schema_2025-01.json`, camelCase on the wire).
//! Only what the mapping reads is typed; `raw` keeps the rest.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The GraphQL response envelope: `data`, `errors` (classified in `error.rs`), `extensions`.
#[derive(Debug, Deserialize)]
pub struct GraphqlResponse<T> {
    pub data: Option<T>,
}

/// A GraphQL request body as Shopify takes it (GraphQL over HTTP: `query`, `operationName`,
/// `variables`).
#[derive(Debug, Serialize)]
pub struct GraphqlRequest<'a, V> {
    pub query: &'a str,
    #[serde(rename = "operationName")]
    pub operation_name: &'a str,
    pub variables: V,
}

/// Relay `PageInfo`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    pub has_next_page: bool,
    #[serde(default)]
    pub end_cursor: Option<String>,
}

/// A connection selected as `pageInfo { .. } nodes { .. }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection<T> {
    pub page_info: PageInfo,
    pub nodes: Vec<T>,
}

/// `data` of the `OrdersPage` query. Orders stay raw so each one decodes on its own.
#[derive(Debug, Deserialize)]
pub struct OrdersData {
    pub orders: Connection<Box<RawValue>>,
}

/// `data` of the `OrderLineItems` query (the pages after an order's first line items).
#[derive(Debug, Deserialize)]
pub struct OrderLinesData {
    pub order: Option<OrderLinesNode>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderLinesNode {
    pub line_items: Connection<Box<RawValue>>,
}

/// `Order`, as selected by `ORDER_FIELDS`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// GID, `gid://shopify/Order/<n>`.
    pub id: String,
    /// `UnsignedInt64`: a JSON string of digits.
    pub legacy_resource_id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub cancelled_at: Option<DateTime<Utc>>,
    /// `OrderDisplayFinancialStatus`, nullable in the schema.
    #[serde(default)]
    pub display_financial_status: Option<String>,
    /// `OrderDisplayFulfillmentStatus!`.
    pub display_fulfillment_status: String,
    /// `CurrencyCode!`: the shop currency, the currency of every `shopMoney`.
    pub currency_code: String,
    #[serde(default)]
    pub customer: Option<Customer>,
    #[serde(default)]
    pub shipping_address: Option<MailingAddress>,
    pub line_items: Connection<LineItem>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
}

/// `MailingAddress`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailingAddress {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub address1: Option<String>,
    #[serde(default)]
    pub address2: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub province: Option<String>,
    #[serde(default)]
    pub province_code: Option<String>,
    #[serde(default)]
    pub zip: Option<String>,
    #[serde(default)]
    pub country_code_v2: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

/// `LineItem`, as selected by `LINE_FIELDS`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineItem {
    pub id: String,
    #[serde(default)]
    pub sku: Option<String>,
    /// The product title.
    pub title: String,
    #[serde(default)]
    pub variant_title: Option<String>,
    /// Units ordered, including refunded and removed ones.
    pub quantity: i64,
    /// Units ordered, excluding refunded and removed ones.
    pub current_quantity: i64,
    pub requires_shipping: bool,
    pub original_unit_price_set: MoneyBag,
    pub discounted_unit_price_set: MoneyBag,
    #[serde(default)]
    pub variant: Option<Node>,
    #[serde(default)]
    pub product: Option<Node>,
}

/// `MoneyBag`; only the shop-currency half is selected.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MoneyBag {
    pub shop_money: MoneyV2,
}

/// `MoneyV2`: `amount` is the `Decimal` scalar, a JSON string.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MoneyV2 {
    pub amount: String,
    pub currency_code: String,
}

/// Any object selected as `{ id }`.
#[derive(Debug, Deserialize)]
pub struct Node {
    pub id: String,
}

/// `data` of the `OrderFulfillmentOrders` query.
#[derive(Debug, Deserialize)]
pub struct FulfillmentOrdersData {
    pub order: Option<FulfillmentState>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FulfillmentState {
    pub id: String,
    #[serde(default)]
    pub cancelled_at: Option<DateTime<Utc>>,
    /// `[Fulfillment!]!`: the order's shipments so far.
    pub fulfillments: Vec<Fulfillment>,
    pub fulfillment_orders: Connection<FulfillmentOrder>,
}

/// `Fulfillment`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fulfillment {
    pub id: String,
    /// `FulfillmentStatus!`: `SUCCESS`, `CANCELLED`, ...
    pub status: String,
    pub tracking_info: Vec<TrackingInfo>,
}

/// `FulfillmentTrackingInfo`.
#[derive(Debug, Deserialize)]
pub struct TrackingInfo {
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub number: Option<String>,
}

/// `FulfillmentOrder`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FulfillmentOrder {
    pub id: String,
    /// `FulfillmentOrderStatus!`.
    pub status: String,
    pub assigned_location: AssignedLocation,
    pub line_items: Connection<FulfillmentOrderLineItem>,
}

/// `FulfillmentOrderAssignedLocation`; `location` is null once the location was deleted.
#[derive(Debug, Deserialize)]
pub struct AssignedLocation {
    #[serde(default)]
    pub location: Option<Node>,
}

/// `FulfillmentOrderLineItem`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FulfillmentOrderLineItem {
    pub id: String,
    pub remaining_quantity: i64,
    pub total_quantity: i64,
    #[serde(default)]
    pub sku: Option<String>,
    pub line_item: FoLineItemRef,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FoLineItemRef {
    pub id: String,
    #[serde(default)]
    pub sku: Option<String>,
}

/// `data` of the `FulfillmentOrderLineItems` query (pages after a fulfillment order's first).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FulfillmentOrderLinesData {
    pub fulfillment_order: Option<FulfillmentOrderLines>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FulfillmentOrderLines {
    pub line_items: Connection<FulfillmentOrderLineItem>,
}

/// `data` of the `FulfillmentCreate` mutation.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FulfillmentCreateData {
    pub fulfillment_create: Option<FulfillmentCreatePayload>,
}

/// `FulfillmentCreatePayload`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FulfillmentCreatePayload {
    #[serde(default)]
    pub fulfillment: Option<CreatedFulfillment>,
    pub user_errors: Vec<UserError>,
}

#[derive(Debug, Deserialize)]
pub struct CreatedFulfillment {
    pub id: String,
    pub status: String,
}

/// `UserError`: business errors, sent with HTTP 200.
#[derive(Debug, Deserialize)]
pub struct UserError {
    #[serde(default)]
    pub field: Option<Vec<String>>,
    pub message: String,
}

/// `FulfillmentInput` (2025-01).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FulfillmentInput {
    pub line_items_by_fulfillment_order: Vec<FulfillmentOrderLineItemsInput>,
    pub tracking_info: FulfillmentTrackingInput,
    pub notify_customer: bool,
}

/// `FulfillmentOrderLineItemsInput`; no line items means "all remaining items".
#[derive(Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FulfillmentOrderLineItemsInput {
    pub fulfillment_order_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fulfillment_order_line_items: Option<Vec<FulfillmentOrderLineItemInput>>,
}

/// `FulfillmentOrderLineItemInput`.
#[derive(Debug, PartialEq, Serialize)]
pub struct FulfillmentOrderLineItemInput {
    pub id: String,
    pub quantity: i64,
}

/// `FulfillmentTrackingInput`.
#[derive(Debug, Serialize)]
pub struct FulfillmentTrackingInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    pub number: String,
}

/// `extensions.cost` of every Admin GraphQL response.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryCost {
    pub requested_query_cost: f64,
    pub throttle_status: ThrottleStatus,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThrottleStatus {
    pub maximum_available: f64,
    pub currently_available: f64,
    pub restore_rate: f64,
}
