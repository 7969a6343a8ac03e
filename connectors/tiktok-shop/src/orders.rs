//! Order pull: `POST /order/202309/orders/search` by update time in slices of at most one day,
//! `page_token` / `next_page_token` inside a slice; the list returns full orders, so no detail
//! call is needed. `GET /order/202309/orders` reads one order's current state for the label
//! and tracking flows. And the one mapping from TikTok's order to `PlatformOrder`.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use connector_kit::cursor::WindowCursor;
use connector_kit::{decode_json, ApiRequest};
use core_model::{
    Address, Cursor, MalformedOrder, MarketplaceError, NeutralStatus, Operation, OrderLine,
    OrderPage, PlatformOrder, StoreRef, Window,
};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use crate::model::{
    DetailData, Envelope, LineItem, Order, OrderIdOnly, RecipientAddress, SearchBody, SearchData,
};
use crate::TiktokShopConnector;

/// TikTok documents no longest window for the order search. One day per call keeps the
/// `page_token` walk short, as the platform note advises for incremental pulls; the times are
/// Unix seconds, so no time zone applies.
pub const MAX_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// `page_size`: valid range 1-100.
pub const PAGE_SIZE: u32 = 100;
/// The endpoint class of the order APIs.
pub const ORDERS_CLASS: &str = "orders";

pub const SEARCH_PATH: &str = "/order/202309/orders/search";
pub const DETAIL_PATH: &str = "/order/202309/orders";

/// One page: one search call.
pub async fn pull_orders(
    c: &TiktokShopConnector,
    window: Window,
    cursor: Option<&Cursor>,
) -> Result<OrderPage, MarketplaceError> {
    let position = WindowCursor::resume(&window, cursor)?;
    let slice = position.slice(&window, Some(MAX_WINDOW));
    // Sorted by update time, oldest first, so a page token walks the slice forwards.
    let mut request = ApiRequest::post(Operation::PullOrders, ORDERS_CLASS, c.url(SEARCH_PATH)?)
        .query("page_size", PAGE_SIZE.to_string())
        .query("sort_field", "update_time")
        .query("sort_order", "ASC")
        .json(&SearchBody {
            update_time_ge: slice.from.timestamp(),
            update_time_lt: slice.to.timestamp(),
        })?;
    if let Some(token) = &position.page {
        request = request.query("page_token", token.clone());
    }
    let response = c.http().send(request, Some(c.auth())).await?;
    // Orders stay raw here and are decoded one by one, so one bad order cannot fail the page.
    let data = data_of(
        decode_json::<Envelope<SearchData>>(&response.body)?,
        SEARCH_PATH,
    )?;

    let next_page = data.next_page_token.filter(|t| !t.is_empty());
    if next_page.is_some() && next_page == position.page {
        return Err(MarketplaceError::malformed(
            "orders/search answered the page token it was given",
        ));
    }
    let mut page = OrderPage::default();
    for raw in data.orders {
        match to_platform_order(c.store(), &raw) {
            Ok(order) => page.orders.push(order),
            Err(error) => {
                let platform_order_id = serde_json::from_str::<OrderIdOnly>(raw.get())
                    .ok()
                    .and_then(|o| o.id);
                tracing::warn!(
                    platform = "tiktok-shop",
                    order_id = platform_order_id.as_deref(),
                    "order does not decode: {}",
                    error.message()
                );
                page.malformed.push(MalformedOrder {
                    platform_order_id,
                    raw: raw.get().to_owned(),
                    error,
                });
            }
        }
    }
    page.next_cursor = position.advance(&window, Some(MAX_WINDOW), next_page);
    Ok(page)
}

/// One order's current state (`GET /order/202309/orders?ids=`), for the label and tracking
/// flows: packages and line items change after the pull (split, shipped, cancelled).
pub async fn order_detail(
    c: &TiktokShopConnector,
    operation: Operation,
    order_id: &str,
) -> Result<Order, MarketplaceError> {
    let request =
        ApiRequest::get(operation, ORDERS_CLASS, c.url(DETAIL_PATH)?).query("ids", order_id);
    let response = c.http().send(request, Some(c.auth())).await?;
    let data = data_of(
        decode_json::<Envelope<DetailData>>(&response.body)?,
        DETAIL_PATH,
    )?;
    data.orders
        .into_iter()
        .find(|o| o.id == order_id)
        .ok_or_else(|| MarketplaceError::permanent(format!("order {order_id} was not found")))
}

/// The `data` object of a successful envelope.
pub fn data_of<T>(envelope: Envelope<T>, path: &str) -> Result<T, MarketplaceError> {
    envelope
        .data
        .ok_or_else(|| MarketplaceError::malformed(format!("{path} answered without `data`")))
}

/// TikTok `status` (order status reference, 650b1b4bbace3e02b76d1011) folded into the neutral
/// status. `AWAITING_COLLECTION` means the shipment is arranged and the carrier has not
/// collected: for a seller-shipped order that happens once tracking is uploaded (shipped), but
/// for TikTok Shipping it is the state right after the label is arranged, with the parcel still
/// in the warehouse (as Shopee's PROCESSED), so it still awaits fulfillment there.
pub fn neutral_status(status: &str, shipping_type: Option<&str>) -> NeutralStatus {
    match status {
        "AWAITING_SHIPMENT" | "PARTIALLY_SHIPPING" => NeutralStatus::AwaitingFulfillment,
        "AWAITING_COLLECTION" if shipping_type == Some("TIKTOK") => {
            NeutralStatus::AwaitingFulfillment
        }
        "AWAITING_COLLECTION" | "IN_TRANSIT" | "DELIVERED" | "COMPLETED" => NeutralStatus::Shipped,
        "CANCELLED" => NeutralStatus::Cancelled,
        // UNPAID, ON_HOLD (the buyer may still cancel: do not ship), and anything new.
        _ => NeutralStatus::Other,
    }
}

/// One TikTok order, as received, to the neutral order.
pub fn to_platform_order(
    store: StoreRef,
    raw: &RawValue,
) -> Result<PlatformOrder, MarketplaceError> {
    let o: Order = decode_json(raw.get().as_bytes())?;
    let time = |secs: i64, field: &str| {
        DateTime::<Utc>::from_timestamp(secs, 0)
            .ok_or_else(|| MarketplaceError::malformed(format!("`{field}` is not a Unix time")))
    };
    let currency = o
        .payment
        .as_ref()
        .and_then(|p| non_empty(p.currency.clone()))
        .or_else(|| {
            o.line_items
                .iter()
                .find_map(|l| non_empty(l.currency.clone()))
        })
        .ok_or_else(|| MarketplaceError::malformed("order without `payment.currency`"))?;
    let status = neutral_status(&o.status, o.shipping_type.as_deref());
    let lines = order_lines(&o.line_items, status == NeutralStatus::Cancelled);
    if lines.is_empty() {
        return Err(MarketplaceError::malformed("order without `line_items`"));
    }
    Ok(PlatformOrder {
        store: store.id,
        platform: store.platform,
        platform_order_id: o.id,
        platform_status: o.status,
        status,
        created_at: time(o.create_time, "create_time")?,
        updated_at: time(o.update_time, "update_time")?,
        currency,
        // TikTok exposes no buyer name apart from the recipient's (`user_id` is an id).
        buyer_name: None,
        ship_to: ship_to(o.recipient_address.unwrap_or_default()),
        lines,
        // TikTok prints the label for TikTok Shipping; FBT orders never reach the warehouse.
        platform_label_hint: o.shipping_type.as_deref() == Some("TIKTOK")
            && o.fulfillment_type.as_deref() != Some("FULFILLMENT_BY_TIKTOK"),
        raw: raw.to_owned(),
    })
}

/// Line items are single units: one line per SKU and price, its quantity the number of units,
/// its `line_id` the first unit's id (the tracking upload finds the others by SKU). Cancelled
/// units of an order that is not cancelled are left out: they will not ship.
fn order_lines(items: &[LineItem], order_cancelled: bool) -> Vec<OrderLine> {
    let mut groups: BTreeMap<(String, String, Decimal), (usize, OrderLine)> = BTreeMap::new();
    for (position, item) in items.iter().enumerate() {
        if !order_cancelled && item.display_status.as_deref() == Some("CANCELLED") {
            continue;
        }
        let key = (
            item.sku_id.clone().unwrap_or_default(),
            item.seller_sku.clone().unwrap_or_default(),
            item.sale_price,
        );
        groups
            .entry(key)
            .and_modify(|(_, line)| line.quantity += 1)
            .or_insert_with(|| {
                (
                    position,
                    OrderLine {
                        line_id: Some(item.id.clone()),
                        platform_sku: item
                            .seller_sku
                            .clone()
                            .unwrap_or_default()
                            .trim()
                            .to_owned(),
                        platform_item_id: non_empty(item.product_id.clone()),
                        platform_variant_id: non_empty(item.sku_id.clone()),
                        title: non_empty(item.product_name.clone()),
                        quantity: 1,
                        unit_price: item.sale_price,
                    },
                )
            });
    }
    let mut lines: Vec<(usize, OrderLine)> = groups.into_values().collect();
    // Keep the order in which the platform listed the units.
    lines.sort_by_key(|(position, _)| *position);
    lines.into_iter().map(|(_, line)| line).collect()
}

fn ship_to(a: RecipientAddress) -> Address {
    let level = |wanted: &str| {
        a.district_info
            .iter()
            .find(|d| d.address_level.as_deref() == Some(wanted))
            .and_then(|d| non_empty(d.address_name.clone()))
    };
    let named = |wanted: &[&str]| {
        a.district_info
            .iter()
            .find(|d| {
                d.address_level_name
                    .as_deref()
                    .is_some_and(|n| wanted.iter().any(|w| n.eq_ignore_ascii_case(w)))
            })
            .and_then(|d| non_empty(d.address_name.clone()))
    };
    let mut lines: Vec<String> = [
        &a.address_line1,
        &a.address_line2,
        &a.address_line3,
        &a.address_line4,
    ]
    .into_iter()
    .filter_map(|l| non_empty(l.clone()))
    .collect();
    if lines.is_empty() {
        lines.extend(non_empty(a.address_detail.clone()));
    }
    let name = non_empty(a.name.clone()).or_else(|| {
        let joined = [a.first_name.as_deref(), a.last_name.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        non_empty(Some(joined))
    });
    Address {
        name,
        company: None,
        lines,
        city: non_empty(a.post_town.clone())
            .or_else(|| named(&["City", "Post town"]))
            .or_else(|| level("L3")),
        district: level("L4"),
        state: named(&["State", "Province", "County"]).or_else(|| level("L1")),
        postal_code: non_empty(a.postal_code.clone()),
        country_code: non_empty(a.region_code.clone()).map(|c| c.to_ascii_uppercase()),
        phone: non_empty(a.phone_number.clone()),
    }
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::{Platform, StoreId};
    use std::str::FromStr;

    /// Every `status` value the order status reference and the `order_status` filter document,
    /// under both shipping types.
    #[test]
    fn every_order_status_is_mapped() {
        use NeutralStatus::*;
        for (status, seller, tiktok) in [
            ("UNPAID", Other, Other),
            ("ON_HOLD", Other, Other),
            (
                "AWAITING_SHIPMENT",
                AwaitingFulfillment,
                AwaitingFulfillment,
            ),
            (
                "PARTIALLY_SHIPPING",
                AwaitingFulfillment,
                AwaitingFulfillment,
            ),
            ("AWAITING_COLLECTION", Shipped, AwaitingFulfillment),
            ("IN_TRANSIT", Shipped, Shipped),
            ("DELIVERED", Shipped, Shipped),
            ("COMPLETED", Shipped, Shipped),
            ("CANCELLED", Cancelled, Cancelled),
            ("SOMETHING_NEW", Other, Other),
        ] {
            assert_eq!(neutral_status(status, Some("SELLER")), seller, "{status}");
            assert_eq!(neutral_status(status, Some("TIKTOK")), tiktok, "{status}");
            assert_eq!(neutral_status(status, None), seller, "{status}");
        }
    }

    fn store() -> StoreRef {
        StoreRef {
            id: StoreId(7),
            platform: Platform::TiktokShop,
        }
    }

    /// The order of tiktok-shop.md section 10 (spec shape), one unit cancelled, a gift added.
    const SAMPLE: &str = r#"{"id":"576461413038785752","status":"AWAITING_SHIPMENT",
        "create_time":1716950000,"update_time":1716950321,"paid_time":1716950100,
        "shipping_type":"SELLER","fulfillment_type":"FULFILLMENT_BY_SELLER",
        "delivery_option_id":"7091146663229654785","user_id":"7021436810468230477",
        "payment":{"currency":"GBP","sub_total":"25.90","total_amount":"28.89"},
        "recipient_address":{"name":"Jane Doe","first_name":"Jane","last_name":"Doe",
            "phone_number":"(+44)7700900123","address_line1":"1 High Street","address_line2":"Flat 2",
            "address_line3":"","address_line4":"","address_detail":"Flat 2",
            "full_address":"1 High Street, Flat 2, London, SW1A 1AA","postal_code":"SW1A 1AA",
            "region_code":"GB","post_town":"London","district_info":[
              {"address_level":"L0","address_level_name":"Country","address_name":"United Kingdom"},
              {"address_level":"L1","address_level_name":"County","address_name":"Greater London"},
              {"address_level":"L3","address_level_name":"Post town","address_name":"London"}]},
        "line_items":[
          {"id":"577087614418520000","sku_id":"1729582718312380000","seller_sku":"TEE-BLK-L",
           "product_id":"1729582718312300000","product_name":"Cotton Tee","sku_name":"Black, L",
           "sale_price":"12.95","original_price":"12.95","currency":"GBP","display_status":"AWAITING_SHIPMENT",
           "package_id":"1153132168123859000","package_status":"TO_FULFILL","is_gift":false},
          {"id":"577087614418520001","sku_id":"1729582718312380000","seller_sku":"TEE-BLK-L",
           "product_id":"1729582718312300000","product_name":"Cotton Tee","sku_name":"Black, L",
           "sale_price":"12.95","original_price":"12.95","currency":"GBP","display_status":"AWAITING_SHIPMENT",
           "package_id":"1153132168123859000","package_status":"TO_FULFILL","is_gift":false},
          {"id":"577087614418520002","sku_id":"1729582718312389999","seller_sku":"CAP-RED",
           "product_id":"1729582718312309999","product_name":"Cap","sale_price":"8.00","currency":"GBP",
           "display_status":"CANCELLED","package_status":"CANCELLED"},
          {"id":"577087614418520003","sku_id":"1729582718312381111","seller_sku":"",
           "product_id":"1729582718312301111","product_name":"Sticker","sale_price":"0","currency":"GBP",
           "display_status":"AWAITING_SHIPMENT","package_id":"1153132168123859000","is_gift":true}],
        "packages":[{"id":"1153132168123859000"}]}"#;

    #[test]
    fn maps_one_order_end_to_end() {
        let raw = RawValue::from_string(SAMPLE.to_owned()).unwrap();
        let o = to_platform_order(store(), &raw).unwrap();
        assert_eq!(o.platform_order_id, "576461413038785752");
        assert_eq!(
            (o.platform_status.as_str(), o.status),
            ("AWAITING_SHIPMENT", NeutralStatus::AwaitingFulfillment)
        );
        assert_eq!(o.created_at.timestamp(), 1716950000);
        assert_eq!(o.updated_at.timestamp(), 1716950321);
        assert_eq!(o.currency, "GBP");
        assert_eq!(o.buyer_name, None);
        let a = &o.ship_to;
        assert_eq!(a.name.as_deref(), Some("Jane Doe"));
        assert_eq!(
            a.lines,
            vec!["1 High Street".to_owned(), "Flat 2".to_owned()]
        );
        assert_eq!(a.city.as_deref(), Some("London"));
        assert_eq!(a.state.as_deref(), Some("Greater London"));
        assert_eq!(a.postal_code.as_deref(), Some("SW1A 1AA"));
        assert_eq!(a.country_code.as_deref(), Some("GB"));
        assert_eq!(a.phone.as_deref(), Some("(+44)7700900123"));
        assert_eq!(
            o.lines.len(),
            2,
            "two tees are one line; the cancelled cap is left out"
        );
        let tee = &o.lines[0];
        assert_eq!(tee.platform_sku, "TEE-BLK-L");
        assert_eq!(tee.line_id.as_deref(), Some("577087614418520000"));
        assert_eq!(tee.platform_item_id.as_deref(), Some("1729582718312300000"));
        assert_eq!(
            tee.platform_variant_id.as_deref(),
            Some("1729582718312380000")
        );
        assert_eq!(tee.title.as_deref(), Some("Cotton Tee"));
        assert_eq!(
            (tee.quantity, tee.unit_price),
            (2, Decimal::from_str("12.95").unwrap())
        );
        let gift = &o.lines[1];
        assert_eq!(gift.platform_sku, "", "an empty seller_sku stays empty");
        assert_eq!((gift.quantity, gift.unit_price), (1, Decimal::ZERO));
        assert!(!o.platform_label_hint, "seller shipping");
        assert_eq!(o.raw.get(), SAMPLE, "raw is the order as received");
        assert_eq!(o.store, StoreId(7));
    }

    #[test]
    fn an_order_that_does_not_fit_is_malformed() {
        let raw = RawValue::from_string(
            r#"{"id":"X1","status":"AWAITING_SHIPMENT","create_time":"yesterday","update_time":1,"line_items":[]}"#
                .to_owned(),
        )
        .unwrap();
        let e = to_platform_order(store(), &raw).unwrap_err();
        assert_eq!(e.kind(), core_model::ErrorKind::Malformed);
        assert!(e.message().contains("create_time"), "{}", e.message());
        assert!(!e.message().contains("yesterday"));
    }
}
