//! Pulling orders with Orders API v2026-01-01 `searchOrders`, and the one mapping from the
//! wire `Order` to `PlatformOrder`.
//!
//! One query per window: `lastUpdatedAfter`/`lastUpdatedBefore` (an update includes creation),
//! `fulfilledBy=MERCHANT`, and `includedData=BUYER,RECIPIENT,FULFILLMENT` so no per-order call
//! is needed (items and products, with the unit price, are always included). Amazon documents no
//! longest window. Pages follow `pagination.nextToken` -> `paginationToken` with every other
//! parameter unchanged, so the cursor also remembers the `lastUpdatedBefore` it was made with.

use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use connector_kit::cursor::WindowCursor;
use connector_kit::{decode_json, ApiRequest};
use core_model::{
    Address, Cursor, MalformedOrder, MarketplaceError, NeutralStatus, Operation, OrderLine,
    OrderPage, Platform, PlatformOrder, StoreRef, Window,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::model::{CustomerAddress, Order, SearchOrdersResponse};
use crate::{AmazonConnector, SEARCH_ORDERS_CLASS};

pub const SEARCH_ORDERS_PATH: &str = "/orders/2026-01-01/orders";
/// Datasets requested with every page; `product` (SKU, ASIN, unit price) comes without asking.
pub const INCLUDED_DATA: &str = "BUYER,RECIPIENT,FULFILLMENT";
pub const PAGE_SIZE: u32 = 100;
/// `createdBefore`/`lastUpdatedBefore` must be at least two minutes before the request.
pub const WINDOW_END_LAG: TimeDelta = TimeDelta::minutes(2);

/// Amazon's page token plus the `lastUpdatedBefore` the first page was asked with.
#[derive(Debug, Serialize, Deserialize)]
struct PageState {
    token: String,
    before: DateTime<Utc>,
}

/// ISO 8601 as Amazon writes it: `2026-05-10T00:00:00Z`.
pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The window end Amazon accepts now: no later than two minutes before `now`.
pub fn clamp_end(to: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    to.min(now - WINDOW_END_LAG)
}

/// One page of `searchOrders` for `window`, continuing at `cursor`.
pub async fn pull(
    conn: &AmazonConnector,
    window: Window,
    cursor: Option<&Cursor>,
) -> Result<OrderPage, MarketplaceError> {
    let position = WindowCursor::resume(&window, cursor)?;
    let state = match &position.page {
        Some(page) => Some(serde_json::from_str::<PageState>(page).map_err(|_| {
            MarketplaceError::permanent("the cursor was not made by this connector")
        })?),
        None => None,
    };
    let before = state
        .as_ref()
        .map_or_else(|| clamp_end(window.to, Utc::now()), |s| s.before);
    if before <= position.from {
        // The whole window lies in Amazon's last two minutes: the next, overlapping pull gets it.
        return Ok(OrderPage::default());
    }

    let mut request = ApiRequest::get(
        Operation::PullOrders,
        SEARCH_ORDERS_CLASS,
        conn.api_url(SEARCH_ORDERS_PATH)?,
    )
    .query("lastUpdatedAfter", iso(position.from))
    .query("lastUpdatedBefore", iso(before))
    .query("marketplaceIds", conn.marketplace_ids().join(","))
    .query("fulfilledBy", "MERCHANT")
    .query("includedData", INCLUDED_DATA)
    .query("maxResultsPerPage", PAGE_SIZE.to_string());
    if let Some(s) = &state {
        request = request.query("paginationToken", s.token.clone());
    }
    let response = conn.http().send(request, Some(conn.auth())).await?;
    let envelope: SearchOrdersResponse = response.json().map_err(|e| {
        e.with_platform(Platform::Amazon)
            .with_operation(Operation::PullOrders)
    })?;

    let mut page = OrderPage::default();
    for raw in envelope.orders {
        match to_platform_order(conn.store(), &raw) {
            Ok(Some(order)) => page.orders.push(order),
            Ok(None) => {}
            Err(error) => page.malformed.push(MalformedOrder {
                platform_order_id: order_id_of(&raw),
                raw: raw.get().to_owned(),
                error: error
                    .with_platform(Platform::Amazon)
                    .with_operation(Operation::PullOrders),
            }),
        }
    }
    let next = envelope
        .pagination
        .and_then(|p| p.next_token)
        .filter(|t| !t.is_empty())
        .map(|token| serde_json::to_string(&PageState { token, before }))
        .transpose()
        .map_err(|e| MarketplaceError::permanent(format!("cannot encode the cursor: {e}")))?;
    page.next_cursor = position.advance(&window, None, next);
    Ok(page)
}

/// The order id of an order that did not decode, if it has a readable one.
fn order_id_of(raw: &RawValue) -> Option<String> {
    #[derive(Deserialize)]
    struct Id {
        #[serde(rename = "orderId")]
        order_id: Option<serde_json::Value>,
    }
    let id = serde_json::from_str::<Id>(raw.get()).ok()?.order_id?;
    match id {
        serde_json::Value::String(s) if !s.is_empty() => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Amazon's `fulfillmentStatus` folded into the OMS's four values.
pub fn neutral_status(fulfillment_status: &str) -> NeutralStatus {
    match fulfillment_status {
        // Paid and waiting for the seller; a partly shipped order still has lines to ship.
        "UNSHIPPED" | "PARTIALLY_SHIPPED" => NeutralStatus::AwaitingFulfillment,
        "SHIPPED" => NeutralStatus::Shipped,
        "CANCELLED" => NeutralStatus::Cancelled,
        // PENDING_AVAILABILITY (pre-order), PENDING (payment not authorized: do not ship),
        // UNFULFILLABLE (Amazon-fulfilled only), and anything Amazon adds later.
        _ => NeutralStatus::Other,
    }
}

/// The currency of a marketplace, for an order none of whose lines carries a price yet.
fn marketplace_currency(marketplace_id: &str) -> Option<&'static str> {
    Some(match marketplace_id {
        "ATVPDKIKX0DER" => "USD",
        "A2EUQ1WTGCTBG2" => "CAD",
        "A1AM78C64UM0Y8" => "MXN",
        "A2Q3Y263D00KWC" => "BRL",
        "A1F83G8C2ARO7P" => "GBP",
        "A1PA6795UKMFR9" | "A13V1IB3VIYZZH" | "APJ6JRA9NG5V4" | "A1RKKUPIHCS9HS"
        | "A1805IZSGTT6HS" | "AMEN7PMS3EDWL" | "A28R8C7NBKEWEA" => "EUR",
        "A1VC38T7YXB528" => "JPY",
        "A39IBJ37TRP1C6" => "AUD",
        "A19VAU5U5O7RUS" => "SGD",
        "A21TJRUUN4KGV" => "INR",
        _ => return None,
    })
}

fn present(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn ship_to(address: &CustomerAddress) -> Address {
    Address {
        name: present(&address.name),
        company: present(&address.company_name),
        lines: [
            &address.address_line1,
            &address.address_line2,
            &address.address_line3,
        ]
        .into_iter()
        .filter_map(present)
        .collect(),
        city: present(&address.city),
        district: present(&address.district_or_county).or_else(|| present(&address.municipality)),
        state: present(&address.state_or_region),
        postal_code: present(&address.postal_code),
        country_code: present(&address.country_code),
        phone: present(&address.phone),
    }
}

/// Map one `searchOrders` order to the neutral form. `Ok(None)` for an Amazon-fulfilled (FBA)
/// order, which is read-only for a seller and never the warehouse's to ship.
pub fn to_platform_order(
    store: StoreRef,
    raw: &RawValue,
) -> Result<Option<PlatformOrder>, MarketplaceError> {
    let order: Order = decode_json(raw.get().as_bytes())?;
    let fulfillment = order.fulfillment.as_ref().ok_or_else(|| {
        MarketplaceError::malformed("`fulfillment` is missing although FULFILLMENT was requested")
    })?;
    if fulfillment.fulfilled_by.as_deref() == Some("AMAZON") {
        tracing::debug!(order = %order.order_id, "skipping an Amazon-fulfilled order");
        return Ok(None);
    }

    let mut currency = None;
    let mut lines = Vec::with_capacity(order.order_items.len());
    for item in &order.order_items {
        let product = &item.product;
        let unit = product.price.as_ref().and_then(|p| p.unit_price.as_ref());
        let unit_price = match unit {
            Some(money) => {
                currency.get_or_insert_with(|| money.currency_code.clone());
                Decimal::from_str(money.amount.trim()).map_err(|_| {
                    MarketplaceError::malformed(format!(
                        "item {}: `product.price.unitPrice.amount` is not a decimal",
                        item.order_item_id
                    ))
                })?
            }
            // A pending order may not be priced yet; its next update brings the price.
            None => Decimal::ZERO,
        };
        lines.push(OrderLine {
            line_id: Some(item.order_item_id.clone()),
            platform_sku: product.seller_sku.clone().unwrap_or_default(),
            platform_item_id: product.asin.clone(),
            platform_variant_id: None,
            title: product.title.clone(),
            quantity: item.quantity_ordered,
            unit_price,
        });
    }
    let currency = currency
        .or_else(|| {
            let marketplace = order.sales_channel.marketplace_id.as_deref()?;
            marketplace_currency(marketplace).map(str::to_owned)
        })
        .ok_or_else(|| {
            MarketplaceError::malformed(
                "no line price and no known marketplace to tell the currency",
            )
        })?;

    let raw = RawValue::from_string(raw.get().to_owned())
        .map_err(|e| MarketplaceError::malformed(format!("order JSON: {e}")))?;
    Ok(Some(PlatformOrder {
        store: store.id,
        platform: Platform::Amazon,
        platform_order_id: order.order_id.clone(),
        platform_status: fulfillment.fulfillment_status.clone(),
        status: neutral_status(&fulfillment.fulfillment_status),
        created_at: order.created_time,
        updated_at: order.last_updated_time,
        currency,
        buyer_name: order.buyer.as_ref().and_then(|b| present(&b.buyer_name)),
        ship_to: order
            .recipient
            .as_ref()
            .and_then(|r| r.delivery_address.as_ref())
            .map(ship_to)
            .unwrap_or_default(),
        lines,
        // Seller-fulfilled Prime must ship on Buy Shipping labels; Easy Ship labels are Amazon's.
        platform_label_hint: order
            .programs
            .iter()
            .any(|p| p == "PRIME" || p == "AMAZON_EASY_SHIP"),
        raw,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use core_model::{StoreId, StoreRef};

    const STORE: StoreRef = StoreRef {
        id: StoreId(7),
        platform: Platform::Amazon,
    };

    fn raw(json: &str) -> Box<RawValue> {
        RawValue::from_string(json.to_owned()).unwrap()
    }

    #[test]
    fn every_fulfillment_status_of_the_spec_is_mapped() {
        // The `FulfillmentStatus` enum of orders_2026-01-01.json, in the spec's order.
        let cases = [
            ("PENDING_AVAILABILITY", NeutralStatus::Other),
            ("PENDING", NeutralStatus::Other),
            ("UNSHIPPED", NeutralStatus::AwaitingFulfillment),
            ("PARTIALLY_SHIPPED", NeutralStatus::AwaitingFulfillment),
            ("SHIPPED", NeutralStatus::Shipped),
            ("CANCELLED", NeutralStatus::Cancelled),
            ("UNFULFILLABLE", NeutralStatus::Other),
        ];
        for (status, want) in cases {
            assert_eq!(neutral_status(status), want, "{status}");
        }
        assert_eq!(neutral_status("SOMETHING_NEW"), NeutralStatus::Other);
    }

    // Shaped like the searchOrders response example of orders_2026-01-01.json.
    const ORDER: &str = r#"{
        "orderId": "113-4820193-7715402",
        "orderAliases": [{"aliasId": "113-4820193-7715402", "aliasType": "SELLER_ORDER_ID"}],
        "createdTime": "2026-05-10T08:12:31Z",
        "lastUpdatedTime": "2026-05-10T09:01:02Z",
        "programs": ["PRIME"],
        "salesChannel": {"channelName": "AMAZON", "marketplaceId": "ATVPDKIKX0DER", "marketplaceName": "Amazon.com"},
        "buyer": {"buyerName": "Dana Whitfield", "buyerEmail": "x1@marketplace.amazon.com"},
        "recipient": {"deliveryAddress": {
            "name": "Dana Whitfield", "addressLine1": "4410 Larkspur Ct", "addressLine2": "", "city": "Columbus",
            "stateOrRegion": "OH", "postalCode": "43215-1204", "countryCode": "US", "phone": "+1 614-555-0142",
            "addressType": "RESIDENTIAL"}},
        "fulfillment": {"fulfillmentStatus": "UNSHIPPED", "fulfilledBy": "MERCHANT", "fulfillmentServiceLevel": "STANDARD"},
        "orderItems": [
            {"orderItemId": "40817263549102", "quantityOrdered": 2,
             "product": {"asin": "B0C7HX2QK1", "title": "Mug", "sellerSku": "MUG-BLUE-12OZ",
                         "price": {"unitPrice": {"amount": "14.99", "currencyCode": "USD"}}},
             "fulfillment": {"quantityFulfilled": 0, "quantityUnfulfilled": 2}},
            {"orderItemId": "40817263549103", "quantityOrdered": 1,
             "product": {"asin": "B0C7HX2QK9", "price": {"unitPrice": {"amount": "5.10", "currencyCode": "USD"}}}}
        ]
    }"#;

    #[test]
    fn maps_one_order_end_to_end() {
        let order = to_platform_order(STORE, &raw(ORDER)).unwrap().unwrap();
        assert_eq!(order.store, StoreId(7));
        assert_eq!(order.platform_order_id, "113-4820193-7715402");
        assert_eq!(order.platform_status, "UNSHIPPED");
        assert_eq!(order.status, NeutralStatus::AwaitingFulfillment);
        assert_eq!(
            order.created_at,
            Utc.with_ymd_and_hms(2026, 5, 10, 8, 12, 31).unwrap()
        );
        assert_eq!(
            order.updated_at,
            Utc.with_ymd_and_hms(2026, 5, 10, 9, 1, 2).unwrap()
        );
        assert_eq!(order.currency, "USD");
        assert_eq!(order.buyer_name.as_deref(), Some("Dana Whitfield"));
        assert_eq!(order.ship_to.lines, vec!["4410 Larkspur Ct".to_owned()]);
        assert_eq!(order.ship_to.state.as_deref(), Some("OH"));
        assert_eq!(order.ship_to.phone.as_deref(), Some("+1 614-555-0142"));
        assert!(order.platform_label_hint);
        let first = &order.lines[0];
        assert_eq!(first.line_id.as_deref(), Some("40817263549102"));
        assert_eq!(first.platform_sku, "MUG-BLUE-12OZ");
        assert_eq!(first.platform_item_id.as_deref(), Some("B0C7HX2QK1"));
        assert_eq!(first.quantity, 2);
        assert_eq!(first.unit_price, Decimal::from_str("14.99").unwrap());
        assert_eq!(order.lines[1].platform_sku, "");
        assert_eq!(order.lines[1].unit_price.to_string(), "5.10");
        assert_eq!(order.raw_json(), ORDER);
    }

    #[test]
    fn amazon_fulfilled_orders_are_skipped_and_bad_ones_are_malformed() {
        let fba = ORDER.replace(r#""fulfilledBy": "MERCHANT""#, r#""fulfilledBy": "AMAZON""#);
        assert!(to_platform_order(STORE, &raw(&fba)).unwrap().is_none());

        let bad_price = ORDER.replace(r#""14.99""#, r#""14,99""#);
        let e = to_platform_order(STORE, &raw(&bad_price)).unwrap_err();
        assert_eq!(e.kind(), core_model::ErrorKind::Malformed);

        let bad_qty = ORDER.replace(r#""quantityOrdered": 2"#, r#""quantityOrdered": "two""#);
        let bad = raw(&bad_qty);
        let e = to_platform_order(STORE, &bad).unwrap_err();
        assert!(
            e.message().contains("orderItems[0].quantityOrdered"),
            "{}",
            e.message()
        );
        assert!(!e.message().contains("Whitfield"));
        assert_eq!(order_id_of(&bad).as_deref(), Some("113-4820193-7715402"));
    }

    #[test]
    fn unpriced_pending_order_takes_the_marketplace_currency() {
        let pending = r#"{"orderId": "113-0000000-0000001", "createdTime": "2026-05-10T08:00:00Z",
            "lastUpdatedTime": "2026-05-10T08:00:00Z", "salesChannel": {"channelName": "AMAZON", "marketplaceId": "A1PA6795UKMFR9"},
            "fulfillment": {"fulfillmentStatus": "PENDING", "fulfilledBy": "MERCHANT"},
            "orderItems": [{"orderItemId": "1", "quantityOrdered": 1, "product": {"sellerSku": "X"}}]}"#;
        let order = to_platform_order(STORE, &raw(pending)).unwrap().unwrap();
        assert_eq!(order.currency, "EUR");
        assert_eq!(order.status, NeutralStatus::Other);
        assert_eq!(order.lines[0].unit_price, Decimal::ZERO);
    }

    #[test]
    fn window_end_is_kept_two_minutes_before_now() {
        let now = Utc.with_ymd_and_hms(2026, 5, 12, 0, 0, 0).unwrap();
        assert_eq!(clamp_end(now, now), now - TimeDelta::minutes(2));
        let past = now - TimeDelta::days(1);
        assert_eq!(clamp_end(past, now), past);
        assert_eq!(iso(past), "2026-05-11T00:00:00Z");
    }
}
