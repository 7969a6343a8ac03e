//! Pulling purchase orders with Order Management v3 `getAllOrders` (`GET /v3/orders`), and the
//! one mapping from the wire `Order` to `PlatformOrder`.
//!
//! One query per slice of at most a day: `lastModifiedStartDate`/`lastModifiedEndDate` (an
//! order's creation is its first modification), `createdStartDate` 179 days back (the spec
//! defaults it to 7 days back, which would hide updates of older orders; orders older than 180
//! days cannot be fetched at all), `limit=200` (the maximum) and `shipNodeType=SellerFulfilled`.
//! Later pages are `GET /v3/orders` + `meta.nextCursor`, a query string that already carries
//! every filter. `/v3/orders/released` is not used for syncing: it only lists lines still in
//! `Created` and filters by creation date only, so it would miss acknowledgements, shipments and
//! cancellations. When nothing matches, Walmart answers 404 `CONTENT_NOT_FOUND.GMP_ORDER_API`.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use connector_kit::cursor::WindowCursor;
use connector_kit::{decode_json, ApiRequest, RawResponse, ResponseClassifier};
use core_model::{
    Address, Cursor, MalformedOrder, MarketplaceError, NeutralStatus, Operation, OrderLine,
    OrderPage, Platform, PlatformOrder, StoreRef, Window,
};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::{first_error, parse_error};
use crate::model::{Order, OrderLine as WireLine, OrderListResponse, PostalAddress};
use crate::{WalmartConnector, ORDERS_LIST_CLASS};

pub const ORDERS_PATH: &str = "/v3/orders";
/// `limit` cannot be larger than 200.
pub const PAGE_SIZE: u32 = 200;
/// One day per query keeps every query far below Walmart's per-query order cap (documented
/// as 20,000; 10,000 and 50,000 appear elsewhere).
pub const MAX_WINDOW: Duration = Duration::from_secs(86_400);
/// Only orders created in the last 180 days can be fetched; a day of margin.
pub const CREATED_LOOKBACK: TimeDelta = TimeDelta::days(179);
/// Walmart's answer to a query that matches no order (404).
pub const CONTENT_NOT_FOUND: &str = "CONTENT_NOT_FOUND.GMP_ORDER_API";
/// US Marketplace sells in dollars; used only when an order carries no priced charge.
const MARKETPLACE_CURRENCY: &str = "USD";

/// `yyyy-MM-dd'T'HH:mm:ssZ` in UTC, without fractions (Walmart rejects milliseconds).
pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `createdStartDate` for a query made at `now`: a date, 179 days back.
pub fn created_start(now: DateTime<Utc>) -> String {
    (now - CREATED_LOOKBACK).format("%Y-%m-%d").to_string()
}

/// The list classifier: "no orders" (404 `CONTENT_NOT_FOUND`) is an empty page, not an error.
#[derive(Debug)]
struct ListClassifier;

impl ResponseClassifier for ListClassifier {
    fn classify(&self, response: &RawResponse) -> Result<(), MarketplaceError> {
        if is_no_orders(response) {
            return Ok(());
        }
        parse_error(response)
    }
}

pub fn is_no_orders(response: &RawResponse) -> bool {
    response.status.as_u16() == 404
        && first_error(response).is_some_and(|e| e.code == CONTENT_NOT_FOUND)
}

/// One page of `getAllOrders` for `window`, continuing at `cursor`.
pub async fn pull(
    conn: &WalmartConnector,
    window: Window,
    cursor: Option<&Cursor>,
) -> Result<OrderPage, MarketplaceError> {
    let position = WindowCursor::resume(&window, cursor)?;
    let slice = position.slice(&window, Some(MAX_WINDOW));
    let mut url = conn.api_url(ORDERS_PATH)?;
    let request = match &position.page {
        // The cursor is the query of the next page, filters included: append it as it is.
        Some(next) => {
            url.set_query(Some(next.trim_start_matches('?')));
            ApiRequest::get(Operation::PullOrders, ORDERS_LIST_CLASS, url)
        }
        None => ApiRequest::get(Operation::PullOrders, ORDERS_LIST_CLASS, url)
            .query("createdStartDate", created_start(Utc::now()))
            .query("lastModifiedStartDate", iso(slice.from))
            .query("lastModifiedEndDate", iso(slice.to))
            .query("limit", PAGE_SIZE.to_string())
            .query("shipNodeType", "SellerFulfilled"),
    };
    let response = conn
        .http()
        .send_classified(request, Some(conn.auth()), &ListClassifier)
        .await?;
    let mut page = OrderPage::default();
    if is_no_orders(&response) {
        page.next_cursor = position.advance(&window, Some(MAX_WINDOW), None);
        return Ok(page);
    }
    let envelope: OrderListResponse = response.json().map_err(|e| {
        e.with_platform(Platform::Walmart)
            .with_operation(Operation::PullOrders)
    })?;
    let orders = envelope.list.elements.map(|e| e.order).unwrap_or_default();
    for raw in orders {
        match to_platform_order(conn.store(), &raw) {
            Ok(order) => page.orders.push(order),
            Err(error) => page.malformed.push(MalformedOrder {
                platform_order_id: order_id_of(&raw),
                raw: raw.get().to_owned(),
                error: error
                    .with_platform(Platform::Walmart)
                    .with_operation(Operation::PullOrders),
            }),
        }
    }
    let next = envelope
        .list
        .meta
        .and_then(|m| m.next_cursor)
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.trim_start_matches('?').is_empty());
    page.next_cursor = position.advance(&window, Some(MAX_WINDOW), next);
    Ok(page)
}

/// The `purchaseOrderId` of an order that did not decode, if it has a readable one.
fn order_id_of(raw: &RawValue) -> Option<String> {
    #[derive(Deserialize)]
    struct Id {
        #[serde(rename = "purchaseOrderId")]
        id: Option<serde_json::Value>,
    }
    match serde_json::from_str::<Id>(raw.get()).ok()?.id? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Every value of the spec's `orderLineStatus.status` enum.
pub const LINE_STATUSES: [&str; 6] = [
    "Created",
    "Acknowledged",
    "Shipped",
    "Delivered",
    "Cancelled",
    "Refund",
];

/// One line status folded into the OMS's four values.
pub fn neutral_status(status: &str) -> NeutralStatus {
    match status {
        // Released to the seller (to acknowledge), or acknowledged: both wait for shipment.
        "Created" | "Acknowledged" => NeutralStatus::AwaitingFulfillment,
        // Walmart marks lines Delivered from carrier scans; both are past the warehouse.
        "Shipped" | "Delivered" => NeutralStatus::Shipped,
        "Cancelled" => NeutralStatus::Cancelled,
        // A refunded line (after shipment or a partial refund), and anything Walmart adds.
        _ => NeutralStatus::Other,
    }
}

/// The status of a purchase order, whose lines each carry their own: the least advanced line
/// decides. Any line still to ship -> that status (`Created` before `Acknowledged`); then a
/// status the spec does not list (kept, not acted on); then `Shipped`, `Delivered`, `Refund`;
/// `Cancelled` only when every line is cancelled.
pub fn order_status<'a>(statuses: &[&'a str]) -> Option<(&'a str, NeutralStatus)> {
    let find = |wanted: &str| statuses.iter().copied().find(|s| *s == wanted);
    let chosen = find("Created")
        .or_else(|| find("Acknowledged"))
        .or_else(|| {
            statuses
                .iter()
                .copied()
                .find(|s| !LINE_STATUSES.contains(s))
        })
        .or_else(|| find("Shipped"))
        .or_else(|| find("Delivered"))
        .or_else(|| find("Refund"))
        .or_else(|| find("Cancelled"))?;
    Some((chosen, neutral_status(chosen)))
}

/// A decimal from a JSON number's exact text (or a quoted number).
pub fn decimal(raw: &RawValue) -> Option<Decimal> {
    let text = raw.get().trim().trim_matches('"');
    Decimal::from_str(text)
        .or_else(|_| Decimal::from_scientific(text))
        .ok()
}

pub fn quantity(text: &str) -> Option<u32> {
    let t = text.trim();
    t.parse::<u32>().ok().or_else(|| {
        // "2.0" can come from XML-to-JSON bridges; only whole numbers are quantities.
        Decimal::from_str(t)
            .ok()
            .filter(|d| d.fract().is_zero())
            .and_then(|d| d.to_u32())
    })
}

fn millis(ms: i64, field: &str) -> Result<DateTime<Utc>, MarketplaceError> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| MarketplaceError::malformed(format!("`{field}` is not a valid time")))
}

fn present(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Walmart writes the country as `USA`; the neutral address wants ISO 3166-1 alpha-2.
fn country_code(country: &str) -> String {
    match country.trim() {
        "USA" | "US" => "US".to_owned(),
        other => other.to_owned(),
    }
}

fn ship_to(address: &PostalAddress, phone: &Option<String>) -> Address {
    Address {
        name: present(&address.name),
        company: None,
        lines: [&address.address1, &address.address2]
            .into_iter()
            .filter_map(present)
            .collect(),
        city: present(&address.city),
        district: None,
        state: present(&address.state),
        postal_code: present(&address.postal_code),
        country_code: present(&address.country).map(|c| country_code(&c)),
        phone: present(phone),
    }
}

/// Quantity still on a line: ordered minus cancelled, unless the whole order is cancelled
/// (then the line is kept as ordered, so a cancelled order still names what it was).
fn open_quantity(line: &WireLine, ordered: u32, order_cancelled: bool) -> u32 {
    if order_cancelled {
        return ordered;
    }
    let cancelled: u32 = line
        .order_line_statuses
        .order_line_status
        .iter()
        .filter(|s| s.status == "Cancelled")
        .filter_map(|s| s.status_quantity.as_ref())
        .filter_map(|q| quantity(&q.amount))
        .sum();
    ordered.saturating_sub(cancelled)
}

/// The line's item price: the PRODUCT `ItemPrice` charge (else the first PRODUCT charge).
fn item_price(line: &WireLine) -> Option<&crate::model::Money> {
    let charges = &line.charges.as_ref()?.charge;
    let product = |c: &&crate::model::Charge| c.charge_type == "PRODUCT";
    charges
        .iter()
        .filter(product)
        .find(|c| c.charge_name.as_deref() == Some("ItemPrice"))
        .or_else(|| charges.iter().find(product))
        .map(|c| &c.charge_amount)
}

/// Map one purchase order to the neutral form.
pub fn to_platform_order(
    store: StoreRef,
    raw: &RawValue,
) -> Result<PlatformOrder, MarketplaceError> {
    let order: Order = decode_json(raw.get().as_bytes())?;
    let statuses: Vec<&str> = order
        .order_lines
        .order_line
        .iter()
        .flat_map(|l| l.order_line_statuses.order_line_status.iter())
        .map(|s| s.status.as_str())
        .collect();
    let (platform_status, status) = order_status(&statuses)
        .ok_or_else(|| MarketplaceError::malformed("the order has no line status"))?;

    let created_at = millis(order.order_date, "orderDate")?;
    let mut updated_at = created_at;
    let mut currency = None;
    let mut lines = Vec::with_capacity(order.order_lines.order_line.len());
    for line in &order.order_lines.order_line {
        if let Some(ms) = line.status_date {
            updated_at = updated_at.max(millis(ms, "statusDate")?);
        }
        let ordered = quantity(&line.order_line_quantity.amount).ok_or_else(|| {
            MarketplaceError::malformed(format!(
                "line {}: `orderLineQuantity.amount` is not a whole number",
                line.line_number
            ))
        })?;
        let open = open_quantity(line, ordered, status == NeutralStatus::Cancelled);
        if open == 0 {
            continue;
        }
        // The charge is for the whole line; Walmart usually sends one unit per line.
        let unit_price = match item_price(line) {
            Some(money) => {
                currency.get_or_insert_with(|| money.currency.clone());
                let total = decimal(&money.amount).ok_or_else(|| {
                    MarketplaceError::malformed(format!(
                        "line {}: `chargeAmount.amount` is not a number",
                        line.line_number
                    ))
                })?;
                if ordered <= 1 {
                    total
                } else {
                    (total / Decimal::from(ordered)).round_dp(2)
                }
            }
            None => Decimal::ZERO,
        };
        lines.push(OrderLine {
            line_id: Some(line.line_number.clone()),
            platform_sku: line.item.sku.clone(),
            platform_item_id: None,
            platform_variant_id: None,
            title: present(&line.item.product_name),
            quantity: open,
            unit_price,
        });
    }
    if lines.is_empty() {
        return Err(MarketplaceError::malformed("the order has no order line"));
    }

    let raw = RawValue::from_string(raw.get().to_owned())
        .map_err(|e| MarketplaceError::malformed(format!("order JSON: {e}")))?;
    Ok(PlatformOrder {
        store: store.id,
        platform: Platform::Walmart,
        platform_order_id: order.purchase_order_id.clone(),
        platform_status: platform_status.to_owned(),
        status,
        created_at,
        updated_at,
        currency: currency.unwrap_or_else(|| MARKETPLACE_CURRENCY.to_owned()),
        // Walmart gives no buyer name apart from the ship-to name (the e-mail is a relay).
        buyer_name: None,
        ship_to: ship_to(
            &order.shipping_info.postal_address,
            &order.shipping_info.phone,
        ),
        lines,
        // Ship With Walmart is the seller's choice per shipment; the order does not ask for it.
        platform_label_hint: false,
        raw,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use core_model::{StoreId, StoreRef};

    const STORE: StoreRef = StoreRef {
        id: StoreId(3),
        platform: Platform::Walmart,
    };

    fn raw(json: &str) -> Box<RawValue> {
        RawValue::from_string(json.to_owned()).unwrap()
    }

    #[test]
    fn every_line_status_of_the_spec_is_mapped() {
        // The `orderLineStatus.status` enum of walmart-marketplace-orders-openapi, in order.
        let cases = [
            ("Created", NeutralStatus::AwaitingFulfillment),
            ("Acknowledged", NeutralStatus::AwaitingFulfillment),
            ("Shipped", NeutralStatus::Shipped),
            ("Delivered", NeutralStatus::Shipped),
            ("Cancelled", NeutralStatus::Cancelled),
            ("Refund", NeutralStatus::Other),
        ];
        assert_eq!(cases.map(|(s, _)| s), LINE_STATUSES);
        for (status, want) in cases {
            assert_eq!(neutral_status(status), want, "{status}");
            assert_eq!(order_status(&[status]), Some((status, want)), "{status}");
        }
        assert_eq!(neutral_status("InTransit"), NeutralStatus::Other);
    }

    #[test]
    fn the_least_advanced_line_decides_the_order_status() {
        let os = |s: &[&'static str]| order_status(s).map(|(s, _)| s);
        assert_eq!(os(&["Shipped", "Created", "Acknowledged"]), Some("Created"));
        assert_eq!(os(&["Cancelled", "Acknowledged"]), Some("Acknowledged"));
        assert_eq!(os(&["Delivered", "Shipped"]), Some("Shipped"));
        assert_eq!(os(&["Cancelled", "Delivered"]), Some("Delivered"));
        assert_eq!(os(&["Cancelled", "Refund"]), Some("Refund"));
        assert_eq!(os(&["Cancelled", "Cancelled"]), Some("Cancelled"));
        assert_eq!(os(&["Shipped", "InTransit"]), Some("InTransit"));
        assert_eq!(os(&[]), None);
        assert_eq!(
            order_status(&["Shipped", "Cancelled"]).map(|(_, n)| n),
            Some(NeutralStatus::Shipped)
        );
    }

    // Shaped like the getAllOrders 200 example of the orders spec.
    const ORDER: &str = r#"{
        "purchaseOrderId": "108921034567812",
        "customerOrderId": "200011223344556",
        "customerEmailId": "5D2C0A7B91E84F6A9C3B2E1D0F4A5B6C@relay.walmart.com",
        "orderType": "REGULAR",
        "orderDate": 1778412600000,
        "shippingInfo": {
            "phone": "6145550142",
            "estimatedDeliveryDate": 1778844000000,
            "estimatedShipDate": 1778500800000,
            "methodCode": "Standard",
            "postalAddress": {"name": "Dana Whitfield", "address1": "4410 Larkspur Ct", "address2": "",
                "city": "Columbus", "state": "OH", "postalCode": "43215", "country": "USA", "addressType": "RESIDENTIAL"}
        },
        "orderLines": {"orderLine": [
            {"lineNumber": "1", "item": {"productName": "Ceramic Mug 12oz Blue", "sku": "MUG-BLUE-12OZ"},
             "charges": {"charge": [
                {"chargeType": "PRODUCT", "chargeName": "ItemPrice", "chargeAmount": {"currency": "USD", "amount": 29.90},
                 "tax": {"taxName": "Tax1", "taxAmount": {"currency": "USD", "amount": 2.39}}},
                {"chargeType": "SHIPPING", "chargeName": "Shipping", "chargeAmount": {"currency": "USD", "amount": 4.99}}]},
             "orderLineQuantity": {"unitOfMeasurement": "EACH", "amount": "2"},
             "statusDate": 1778416200000,
             "orderLineStatuses": {"orderLineStatus": [
                {"status": "Acknowledged", "statusQuantity": {"unitOfMeasurement": "EACH", "amount": "2"}}]},
             "fulfillment": {"fulfillmentOption": "S2H", "shipMethod": "STANDARD", "pickUpDateTime": 1778500800000}},
            {"lineNumber": "2", "item": {"productName": "Tea Towel", "sku": "TOWEL-SAGE"},
             "charges": {"charge": [{"chargeType": "PRODUCT", "chargeName": "ItemPrice", "chargeAmount": {"currency": "USD", "amount": 8.5}}]},
             "orderLineQuantity": {"unitOfMeasurement": "EACH", "amount": "1"},
             "statusDate": 1778414400000,
             "orderLineStatuses": {"orderLineStatus": [
                {"status": "Cancelled", "cancellationReason": "CUSTOMER_REQUESTED_SELLER_TO_CANCEL",
                 "statusQuantity": {"unitOfMeasurement": "EACH", "amount": "1"}}]}}
        ]},
        "shipNode": {"type": "SellerFulfilled", "name": "Reno DC", "id": "10001234567"}
    }"#;

    #[test]
    fn maps_one_order_end_to_end() {
        let order = to_platform_order(STORE, &raw(ORDER)).unwrap();
        assert_eq!(order.store, StoreId(3));
        assert_eq!(order.platform, Platform::Walmart);
        assert_eq!(order.platform_order_id, "108921034567812");
        assert_eq!(order.platform_status, "Acknowledged");
        assert_eq!(order.status, NeutralStatus::AwaitingFulfillment);
        assert_eq!(
            order.created_at,
            Utc.with_ymd_and_hms(2026, 5, 10, 11, 30, 0).unwrap()
        );
        assert_eq!(
            order.updated_at,
            Utc.with_ymd_and_hms(2026, 5, 10, 12, 30, 0).unwrap()
        );
        assert_eq!(order.currency, "USD");
        assert_eq!(order.buyer_name, None);
        let to = &order.ship_to;
        assert_eq!(to.name.as_deref(), Some("Dana Whitfield"));
        assert_eq!(to.lines, vec!["4410 Larkspur Ct".to_owned()]);
        assert_eq!(to.country_code.as_deref(), Some("US"));
        assert_eq!(to.phone.as_deref(), Some("6145550142"));
        // The cancelled line is not for the warehouse; the open one is priced per unit.
        assert_eq!(order.lines.len(), 1);
        let line = &order.lines[0];
        assert_eq!(line.line_id.as_deref(), Some("1"));
        assert_eq!(line.platform_sku, "MUG-BLUE-12OZ");
        assert_eq!(line.title.as_deref(), Some("Ceramic Mug 12oz Blue"));
        assert_eq!(line.quantity, 2);
        assert_eq!(line.unit_price.to_string(), "14.95");
        assert_eq!(order.raw_json(), ORDER);
    }

    #[test]
    fn a_cancelled_order_keeps_its_lines_and_bad_orders_are_malformed() {
        let cancelled = ORDER.replace(r#""status": "Acknowledged""#, r#""status": "Cancelled""#);
        let order = to_platform_order(STORE, &raw(&cancelled)).unwrap();
        assert_eq!(order.status, NeutralStatus::Cancelled);
        assert_eq!(order.lines.len(), 2);
        assert_eq!(order.lines[1].unit_price.to_string(), "8.5");

        let bad = ORDER.replace(r#""amount": "2"}"#, r#""amount": "two"}"#);
        let e = to_platform_order(STORE, &raw(&bad)).unwrap_err();
        assert_eq!(e.kind(), core_model::ErrorKind::Malformed);
        let no_id = r#"{"purchaseOrderId": 5, "orderLines": 1}"#;
        assert!(to_platform_order(STORE, &raw(no_id)).is_err());
        assert_eq!(order_id_of(&raw(no_id)).as_deref(), Some("5"));
    }

    #[test]
    fn numbers_and_dates_as_walmart_writes_them() {
        assert_eq!(decimal(&raw("29.90")).unwrap().to_string(), "29.90");
        assert_eq!(decimal(&raw("\"0.8\"")).unwrap().to_string(), "0.8");
        assert_eq!(decimal(&raw("1e2")).unwrap(), Decimal::from(100));
        assert!(decimal(&raw("null")).is_none());
        assert_eq!(quantity("3"), Some(3));
        assert_eq!(quantity("2.0"), Some(2));
        assert_eq!(quantity("1.5"), None);
        let t = Utc.with_ymd_and_hms(2026, 5, 10, 0, 0, 0).unwrap();
        assert_eq!(iso(t), "2026-05-10T00:00:00Z");
        assert_eq!(created_start(t), "2025-11-12");
    }
}
