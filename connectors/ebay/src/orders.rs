//! Pulling orders with Fulfillment API v1 `getOrders`, and the one mapping from the wire
//! `Order` to `PlatformOrder`.
//!
//! One query per window: `filter=lastmodifieddate:[start..end]` (a modification includes
//! creation; `creationdate` would win if both were given, so only one is sent), `limit=200`
//! (the documented maximum) and `offset`. eBay's bounds are inclusive and in milliseconds, so
//! the half-open window `[from, to)` is sent as `[from..to - 1 ms]`. The brackets must be
//! percent-encoded (`%5B`, `%5D`) as the getOrders reference requires. Dates may not lie in the
//! future (error 30850), so the end is also kept [`END_LAG`] behind now and remembered in the
//! cursor: the filter must stay identical while paging by offset. eBay documents no longest
//! range, only that orders older than two years are not returned (error 30830 on a start date
//! beyond that), so windows are not split. Orders are complete in the list (line items, ship-to,
//! cancel state): no per-order call is made.

use std::str::FromStr;

use chrono::{DateTime, TimeDelta, Utc};
use connector_kit::cursor::WindowCursor;
use connector_kit::{decode_json, ApiRequest};
use core_model::{
    Address, Cursor, MalformedOrder, MarketplaceError, NeutralStatus, Operation, OrderLine,
    OrderPage, Platform, PlatformOrder, StoreRef, Window,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use url::Url;

use crate::model::{ExtendedContact, Order, OrderSearchPagedCollection};
use crate::{EbayConnector, FULFILLMENT_CLASS};

pub const ORDERS_PATH: &str = "/sell/fulfillment/v1/order";
/// `limit`: "Maximum: 200", more fails with error 31100.
pub const PAGE_SIZE: u32 = 200;
/// How far behind now a window's end is kept, so clock skew cannot put it in eBay's future.
pub const END_LAG: TimeDelta = TimeDelta::seconds(10);

/// The offset of the next page and the inclusive end the first page was asked with.
#[derive(Debug, Serialize, Deserialize)]
struct PageState {
    offset: u32,
    end: DateTime<Utc>,
}

/// eBay's timestamp form: ISO 8601 UTC with milliseconds, `2026-05-10T00:00:00.000Z`.
pub fn ebay_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The inclusive end eBay is asked for: one millisecond before `to`, and not after now.
pub fn inclusive_end(to: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    (to - TimeDelta::milliseconds(1)).min(now - END_LAG)
}

/// The `filter` value for orders modified in `[start, end]` (both inclusive).
pub fn modified_filter(start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    format!(
        "lastmodifieddate:[{}..{}]",
        ebay_time(start),
        ebay_time(end)
    )
}

/// Percent-encode a query value the way eBay's examples are written: `[ ] { | }` always
/// (the getOrders reference requires it), any other reserved byte too, and the characters
/// the examples show bare (`: , .`) left as they are.
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b':' | b',') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The getOrders URL for one page: `?filter=...&limit=200&offset=N`.
pub fn orders_url(mut base: Url, filter: &str, offset: u32) -> Url {
    base.set_query(Some(&format!(
        "filter={}&limit={PAGE_SIZE}&offset={offset}",
        encode_query_value(filter)
    )));
    base
}

/// One page of `getOrders` for `window`, continuing at `cursor`.
pub async fn pull(
    conn: &EbayConnector,
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
    let (offset, end) = match &state {
        Some(s) => (s.offset, s.end),
        None => (0, inclusive_end(window.to, Utc::now())),
    };
    if end < position.from {
        // The whole window lies in the last seconds: the next, overlapping pull gets it.
        return Ok(OrderPage::default());
    }

    let url = orders_url(
        conn.api_url(ORDERS_PATH)?,
        &modified_filter(position.from, end),
        offset,
    );
    let request = ApiRequest::get(Operation::PullOrders, FULFILLMENT_CLASS, url);
    let response = conn.http().send(request, Some(conn.auth())).await?;
    let envelope: OrderSearchPagedCollection = response.json()?;

    let mut page = OrderPage::default();
    for raw in &envelope.orders {
        match to_platform_order(conn.store(), raw) {
            Ok(order) => page.orders.push(order),
            Err(error) => page.malformed.push(MalformedOrder {
                platform_order_id: order_id_of(raw),
                raw: raw.get().to_owned(),
                error: error
                    .with_platform(Platform::Ebay)
                    .with_operation(Operation::PullOrders),
            }),
        }
    }
    let next_offset = offset.saturating_add(PAGE_SIZE);
    let more = !envelope.orders.is_empty()
        && (envelope.next.as_deref().is_some_and(|n| !n.is_empty())
            || envelope.total.is_some_and(|t| next_offset < t));
    let next = if more {
        Some(
            serde_json::to_string(&PageState {
                offset: next_offset,
                end,
            })
            .map_err(|e| MarketplaceError::permanent(format!("cannot encode the cursor: {e}")))?,
        )
    } else {
        None
    };
    page.next_cursor = position.advance(&window, None, next);
    Ok(page)
}

/// The order id of an order that did not decode, if it has a readable one.
fn order_id_of(raw: &RawValue) -> Option<String> {
    #[derive(Deserialize)]
    struct Id {
        #[serde(rename = "orderId")]
        order_id: Option<String>,
    }
    serde_json::from_str::<Id>(raw.get())
        .ok()?
        .order_id
        .filter(|s| !s.is_empty())
}

/// eBay's three status fields folded into the OMS's four values.
///
/// `ships` is false when no fulfillment instruction asks the seller to ship (digital gift
/// cards, in-store pickup, eBay-fulfilled, seller-defined delivery).
pub fn neutral_status(
    fulfillment: &str,
    payment: &str,
    cancel_state: &str,
    ships: bool,
) -> NeutralStatus {
    if cancel_state == "CANCELED" {
        return NeutralStatus::Cancelled;
    }
    if payment == "FULLY_REFUNDED" {
        // Refunded before it left: cancelled. Refunded after shipping (a return): nothing for
        // the warehouse to do any more.
        return if fulfillment == "FULFILLED" {
            NeutralStatus::Other
        } else {
            NeutralStatus::Cancelled
        };
    }
    if fulfillment == "FULFILLED" {
        return NeutralStatus::Shipped;
    }
    let paid = matches!(payment, "PAID" | "PARTIALLY_REFUNDED");
    // A buyer's cancellation request (IN_PROGRESS) holds the order until the seller answers.
    let not_cancelling = cancel_state == "NONE_REQUESTED";
    // IN_PROGRESS: some line items shipped, the rest still to ship.
    let open = matches!(fulfillment, "NOT_STARTED" | "IN_PROGRESS");
    if paid && not_cancelling && open && ships {
        NeutralStatus::AwaitingFulfillment
    } else {
        // PENDING or FAILED payment, a pending cancel request, nothing to ship, or a value
        // eBay adds later.
        NeutralStatus::Other
    }
}

/// Whether the seller ships any part of the order.
fn seller_ships(order: &Order) -> bool {
    order.fulfillment_start_instructions.is_empty()
        || order.fulfillment_start_instructions.iter().any(|i| {
            match i.fulfillment_instructions_type.as_deref() {
                Some("SHIP_TO") | None => true,
                // Click and Collect: the seller ships to the store named in shippingStep.
                Some("PREPARE_FOR_PICKUP") => i.shipping_step.is_some(),
                _ => false,
            }
        })
}

fn present(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn ship_to(contact: &ExtendedContact) -> Address {
    let address = contact.contact_address.clone().unwrap_or_default();
    Address {
        name: present(&contact.full_name),
        company: present(&contact.company_name),
        lines: [&address.address_line1, &address.address_line2]
            .into_iter()
            .filter_map(present)
            .collect(),
        city: present(&address.city),
        district: present(&address.county),
        state: present(&address.state_or_province),
        postal_code: present(&address.postal_code),
        country_code: present(&address.country_code),
        phone: contact
            .primary_phone
            .as_ref()
            .and_then(|p| present(&p.phone_number)),
    }
}

/// The ship-to contact of the first instruction that has one.
pub fn ship_to_contact(order: &Order) -> Option<&ExtendedContact> {
    order
        .fulfillment_start_instructions
        .iter()
        .find_map(|i| i.shipping_step.as_ref()?.ship_to.as_ref())
}

/// One unit's price: `lineItemCost` is the unit price times the quantity, before discounts.
/// Kept at the scale eBay sent (`39.98` for 2 -> `19.99`).
pub fn unit_price(line_cost: &str, quantity: u32) -> Result<Decimal, MarketplaceError> {
    let cost = Decimal::from_str(line_cost.trim())
        .map_err(|_| MarketplaceError::malformed("`lineItemCost.value` is not a decimal"))?;
    if quantity == 0 {
        return Err(MarketplaceError::malformed("a line item has quantity 0"));
    }
    let scale = cost.scale();
    let mut unit = cost
        .checked_div(Decimal::from(quantity))
        .ok_or_else(|| MarketplaceError::malformed("`lineItemCost.value` is out of range"))?
        .round_dp(scale);
    unit.rescale(scale);
    Ok(unit)
}

/// The composite platform status: `orderFulfillmentStatus/orderPaymentStatus/cancelState`,
/// each exactly as eBay sent it.
pub fn platform_status(order: &Order) -> String {
    format!(
        "{}/{}/{}",
        order.order_fulfillment_status,
        order.order_payment_status,
        cancel_state(order)
    )
}

fn cancel_state(order: &Order) -> &str {
    order
        .cancel_status
        .as_ref()
        .and_then(|c| c.cancel_state.as_deref())
        .unwrap_or("NONE_REQUESTED")
}

/// Map one getOrders order to the neutral form.
pub fn to_platform_order(
    store: StoreRef,
    raw: &RawValue,
) -> Result<PlatformOrder, MarketplaceError> {
    let order: Order = decode_json(raw.get().as_bytes())?;

    let mut lines = Vec::with_capacity(order.line_items.len());
    for item in &order.line_items {
        let unit_price = unit_price(&item.line_item_cost.value, item.quantity).map_err(|e| {
            MarketplaceError::malformed(format!("line item {}: {}", item.line_item_id, e.message()))
        })?;
        lines.push(OrderLine {
            line_id: Some(item.line_item_id.clone()),
            platform_sku: present(&item.sku).unwrap_or_default(),
            platform_item_id: present(&item.legacy_item_id),
            platform_variant_id: present(&item.legacy_variation_id),
            title: present(&item.title),
            quantity: item.quantity,
            unit_price,
        });
    }
    let currency = order
        .line_items
        .first()
        .map(|i| i.line_item_cost.currency.clone())
        .or_else(|| {
            order
                .pricing_summary
                .as_ref()
                .and_then(|p| p.total.as_ref())
                .map(|t| t.currency.clone())
        })
        .filter(|c| c.len() == 3)
        .ok_or_else(|| MarketplaceError::malformed("the order carries no ISO 4217 currency"))?;

    let contact = ship_to_contact(&order);
    let buyer_name = order
        .buyer
        .as_ref()
        .and_then(|b| b.buyer_registration_address.as_ref())
        .and_then(|c| present(&c.full_name))
        .or_else(|| contact.and_then(|c| present(&c.full_name)));
    let status = neutral_status(
        &order.order_fulfillment_status,
        &order.order_payment_status,
        cancel_state(&order),
        seller_ships(&order),
    );
    let raw = RawValue::from_string(raw.get().to_owned())
        .map_err(|e| MarketplaceError::malformed(format!("order JSON: {e}")))?;
    Ok(PlatformOrder {
        store: store.id,
        platform: Platform::Ebay,
        platform_order_id: order.order_id.clone(),
        platform_status: platform_status(&order),
        status,
        created_at: order.creation_date,
        updated_at: order.last_modified_date,
        currency,
        buyer_name,
        ship_to: contact.map(ship_to).unwrap_or_default(),
        lines,
        // Labels are the seller's own choice on eBay; nothing in the order asks for one.
        platform_label_hint: false,
        raw,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use core_model::{ErrorKind, StoreId};

    const STORE: StoreRef = StoreRef {
        id: StoreId(7),
        platform: Platform::Ebay,
    };

    fn raw(json: &str) -> Box<RawValue> {
        RawValue::from_string(json.to_owned()).unwrap()
    }

    #[test]
    fn every_fulfillment_status_is_mapped() {
        // `OrderFulfillmentStatus` (sel:OrderFulfillmentStatus), paid, no cancel request.
        for (value, want) in [
            ("NOT_STARTED", NeutralStatus::AwaitingFulfillment),
            ("IN_PROGRESS", NeutralStatus::AwaitingFulfillment),
            ("FULFILLED", NeutralStatus::Shipped),
            ("SOMETHING_NEW", NeutralStatus::Other),
        ] {
            assert_eq!(
                neutral_status(value, "PAID", "NONE_REQUESTED", true),
                want,
                "{value}"
            );
        }
    }

    #[test]
    fn every_payment_status_is_mapped() {
        // `OrderPaymentStatusEnum`, for an unshipped and a shipped order.
        for (value, unshipped, shipped) in [
            ("FAILED", NeutralStatus::Other, NeutralStatus::Shipped),
            (
                "FULLY_REFUNDED",
                NeutralStatus::Cancelled,
                NeutralStatus::Other,
            ),
            (
                "PAID",
                NeutralStatus::AwaitingFulfillment,
                NeutralStatus::Shipped,
            ),
            (
                "PARTIALLY_REFUNDED",
                NeutralStatus::AwaitingFulfillment,
                NeutralStatus::Shipped,
            ),
            ("PENDING", NeutralStatus::Other, NeutralStatus::Shipped),
            (
                "SOMETHING_NEW",
                NeutralStatus::Other,
                NeutralStatus::Shipped,
            ),
        ] {
            assert_eq!(
                neutral_status("NOT_STARTED", value, "NONE_REQUESTED", true),
                unshipped,
                "{value} unshipped"
            );
            assert_eq!(
                neutral_status("FULFILLED", value, "NONE_REQUESTED", true),
                shipped,
                "{value} shipped"
            );
        }
    }

    #[test]
    fn every_cancel_state_is_mapped() {
        // `CancelStateEnum`: a cancellation wins over everything; a request holds the order.
        for (value, open, shipped) in [
            (
                "CANCELED",
                NeutralStatus::Cancelled,
                NeutralStatus::Cancelled,
            ),
            ("IN_PROGRESS", NeutralStatus::Other, NeutralStatus::Shipped),
            (
                "NONE_REQUESTED",
                NeutralStatus::AwaitingFulfillment,
                NeutralStatus::Shipped,
            ),
            (
                "SOMETHING_NEW",
                NeutralStatus::Other,
                NeutralStatus::Shipped,
            ),
        ] {
            assert_eq!(
                neutral_status("IN_PROGRESS", "PAID", value, true),
                open,
                "{value} open"
            );
            assert_eq!(
                neutral_status("FULFILLED", "PAID", value, true),
                shipped,
                "{value} shipped"
            );
        }
        // Paid and unshipped, but nothing for the seller to ship (digital, pickup, eBay).
        assert_eq!(
            neutral_status("NOT_STARTED", "PAID", "NONE_REQUESTED", false),
            NeutralStatus::Other
        );
    }

    fn order_with(instructions: &str) -> Order {
        serde_json::from_str(&format!(
            r#"{{"orderId": "1", "creationDate": "2026-05-10T00:00:00.000Z",
                "lastModifiedDate": "2026-05-10T00:00:00.000Z", "orderFulfillmentStatus": "NOT_STARTED",
                "orderPaymentStatus": "PAID", "fulfillmentStartInstructions": [{instructions}], "lineItems": []}}"#
        ))
        .unwrap()
    }

    #[test]
    fn every_fulfillment_instructions_type_is_read() {
        // `FulfillmentInstructionsType`, with and without a shipping step.
        for (value, with_step, ships) in [
            ("SHIP_TO", true, true),
            ("PREPARE_FOR_PICKUP", true, true),
            ("PREPARE_FOR_PICKUP", false, false),
            ("DIGITAL", false, false),
            ("SELLER_DEFINED", false, false),
            ("FULFILLED_BY_EBAY", false, false),
        ] {
            let step = if with_step {
                r#", "shippingStep": {}"#
            } else {
                ""
            };
            let order = order_with(&format!(
                r#"{{"fulfillmentInstructionsType": "{value}"{step}}}"#
            ));
            assert_eq!(seller_ships(&order), ships, "{value} {with_step}");
        }
        assert!(seller_ships(&order_with("")));
        let mixed = order_with(
            r#"{"fulfillmentInstructionsType": "DIGITAL"}, {"fulfillmentInstructionsType": "SHIP_TO"}"#,
        );
        assert!(seller_ships(&mixed));
    }

    // Shaped like the getOrders example of the platform note (OrderSearchPagedCollection).
    const ORDER: &str = r#"{
        "orderId": "14-11223-44556",
        "creationDate": "2026-05-10T14:22:08.000Z",
        "lastModifiedDate": "2026-05-10T14:25:40.000Z",
        "orderFulfillmentStatus": "NOT_STARTED",
        "orderPaymentStatus": "PAID",
        "sellerId": "northgate_outlet",
        "buyer": {"username": "m***n", "taxAddress": {"stateOrProvince": "OH", "postalCode": "43215", "countryCode": "US"},
                  "buyerRegistrationAddress": {"fullName": "Dana Whitfield"}},
        "pricingSummary": {"total": {"value": "48.28", "currency": "USD"}},
        "cancelStatus": {"cancelState": "NONE_REQUESTED", "cancelRequests": []},
        "fulfillmentStartInstructions": [{
            "fulfillmentInstructionsType": "SHIP_TO",
            "ebaySupportedFulfillment": false,
            "shippingStep": {"shippingCarrierCode": "USPS", "shippingServiceCode": "USPSPriority",
                "shipTo": {"fullName": "Dana Whitfield",
                    "contactAddress": {"addressLine1": "4410 Larkspur Ct", "addressLine2": "Apt 2", "city": "Columbus",
                        "stateOrProvince": "OH", "postalCode": "43215-1204", "countryCode": "US", "county": "Franklin"},
                    "primaryPhone": {"phoneNumber": "6145550142"}, "email": "a1b2c3@members.ebay.com"}}
        }],
        "lineItems": [
            {"lineItemId": "10061234567801", "legacyItemId": "256123456789", "legacyVariationId": "556123456789",
             "sku": "TSHIRT-BLK-M", "title": "Cotton T-Shirt Black", "quantity": 2,
             "lineItemCost": {"value": "39.98", "currency": "USD"}, "lineItemFulfillmentStatus": "NOT_STARTED",
             "listingMarketplaceId": "EBAY_US", "purchaseMarketplaceId": "EBAY_US"},
            {"lineItemId": "10061234567802", "legacyItemId": "256123456790", "title": "Sticker", "quantity": 3,
             "lineItemCost": {"value": "10.00", "currency": "USD"}}
        ]
    }"#;

    #[test]
    fn maps_one_order_end_to_end() {
        let order = to_platform_order(STORE, &raw(ORDER)).unwrap();
        assert_eq!(order.store, StoreId(7));
        assert_eq!(order.platform, Platform::Ebay);
        assert_eq!(order.platform_order_id, "14-11223-44556");
        assert_eq!(order.platform_status, "NOT_STARTED/PAID/NONE_REQUESTED");
        assert_eq!(order.status, NeutralStatus::AwaitingFulfillment);
        assert_eq!(
            order.created_at,
            Utc.with_ymd_and_hms(2026, 5, 10, 14, 22, 8).unwrap()
        );
        assert_eq!(
            order.updated_at,
            Utc.with_ymd_and_hms(2026, 5, 10, 14, 25, 40).unwrap()
        );
        assert_eq!(order.currency, "USD");
        assert_eq!(order.buyer_name.as_deref(), Some("Dana Whitfield"));
        assert_eq!(order.ship_to.name.as_deref(), Some("Dana Whitfield"));
        assert_eq!(
            order.ship_to.lines,
            vec!["4410 Larkspur Ct".to_owned(), "Apt 2".to_owned()]
        );
        assert_eq!(order.ship_to.city.as_deref(), Some("Columbus"));
        assert_eq!(order.ship_to.district.as_deref(), Some("Franklin"));
        assert_eq!(order.ship_to.state.as_deref(), Some("OH"));
        assert_eq!(order.ship_to.postal_code.as_deref(), Some("43215-1204"));
        assert_eq!(order.ship_to.country_code.as_deref(), Some("US"));
        assert_eq!(order.ship_to.phone.as_deref(), Some("6145550142"));
        assert!(!order.platform_label_hint);
        let first = &order.lines[0];
        assert_eq!(first.line_id.as_deref(), Some("10061234567801"));
        assert_eq!(first.platform_sku, "TSHIRT-BLK-M");
        assert_eq!(first.platform_item_id.as_deref(), Some("256123456789"));
        assert_eq!(first.platform_variant_id.as_deref(), Some("556123456789"));
        assert_eq!(first.quantity, 2);
        assert_eq!(first.unit_price.to_string(), "19.99");
        let second = &order.lines[1];
        assert_eq!(second.platform_sku, "");
        assert_eq!(second.unit_price.to_string(), "3.33");
        assert_eq!(order.raw_json(), ORDER);
    }

    #[test]
    fn unit_prices_keep_the_scale_and_never_use_floats() {
        assert_eq!(unit_price("40.00", 2).unwrap().to_string(), "20.00");
        assert_eq!(unit_price("1500", 2).unwrap().to_string(), "750");
        assert_eq!(unit_price("0.30", 3).unwrap().to_string(), "0.10");
        assert_eq!(unit_price("12.5", 1).unwrap().to_string(), "12.5");
        assert!(unit_price("12,50", 1).is_err());
        assert!(unit_price("12.50", 0).is_err());
    }

    #[test]
    fn bad_orders_are_malformed_without_echoing_values() {
        let bad_qty = ORDER.replace(r#""quantity": 2"#, r#""quantity": "two""#);
        let bad = raw(&bad_qty);
        let e = to_platform_order(STORE, &bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Malformed);
        assert!(
            e.message().contains("lineItems[0].quantity"),
            "{}",
            e.message()
        );
        assert!(!e.message().contains("Whitfield"));
        assert_eq!(order_id_of(&bad).as_deref(), Some("14-11223-44556"));

        let bad_price = ORDER.replace(r#""39.98""#, r#""39,98""#);
        let e = to_platform_order(STORE, &raw(&bad_price)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Malformed);
        assert!(e.message().contains("10061234567801"), "{}", e.message());
    }

    #[test]
    fn cancelled_and_digital_orders_keep_their_raw_status() {
        let cancelled = ORDER.replace(
            r#""cancelState": "NONE_REQUESTED""#,
            r#""cancelState": "CANCELED""#,
        );
        let order = to_platform_order(STORE, &raw(&cancelled)).unwrap();
        assert_eq!(order.status, NeutralStatus::Cancelled);
        assert_eq!(order.platform_status, "NOT_STARTED/PAID/CANCELED");

        let digital = ORDER.replace(r#""SHIP_TO""#, r#""DIGITAL""#);
        let order = to_platform_order(STORE, &raw(&digital)).unwrap();
        assert_eq!(order.status, NeutralStatus::Other);
    }

    #[test]
    fn filter_uses_ebay_syntax_milliseconds_and_encoded_brackets() {
        let from = Utc.with_ymd_and_hms(2026, 5, 10, 0, 0, 0).unwrap();
        let to = Utc.with_ymd_and_hms(2026, 5, 11, 0, 0, 0).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let end = inclusive_end(to, now);
        let filter = modified_filter(from, end);
        assert_eq!(
            filter,
            "lastmodifieddate:[2026-05-10T00:00:00.000Z..2026-05-10T23:59:59.999Z]"
        );
        let url = orders_url(
            Url::parse("https://api.ebay.com/sell/fulfillment/v1/order").unwrap(),
            &filter,
            200,
        );
        assert_eq!(
            url.as_str(),
            "https://api.ebay.com/sell/fulfillment/v1/order?filter=lastmodifieddate:%5B2026-05-10T00:00:00.000Z..2026-05-10T23:59:59.999Z%5D&limit=200&offset=200"
        );
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs[0].1, filter);
        assert_eq!(
            encode_query_value("orderfulfillmentstatus:{NOT_STARTED|IN_PROGRESS}"),
            "orderfulfillmentstatus:%7BNOT_STARTED%7CIN_PROGRESS%7D"
        );
        // A window reaching into the present stops just behind now.
        assert_eq!(inclusive_end(now, now), now - END_LAG);
    }
}
