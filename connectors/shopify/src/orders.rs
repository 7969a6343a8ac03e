//! Order pull: the Admin GraphQL `orders` query filtered by `updated_at` over the half-open
//! window, sorted by `UPDATED_AT`, paged with `first`/`after` and `pageInfo`; the rest of an
//! order's line items when they do not fit its first page; and the one mapping from the wire
//! `Order` to `PlatformOrder`.
//!
//! No `fulfillment_status` term narrows the search: every fulfillment state carries news the
//! OMS must see (an order fulfilled or put on hold in the Shopify admin must not be shipped by
//! the warehouse; a cancellation must be surfaced), and `fulfillment_status:unshipped` would
//! even drop partially fulfilled orders. The neutral status decides what the OMS acts on.

use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use connector_kit::cursor::WindowCursor;
use connector_kit::decode_json;
use core_model::{
    Address, Cursor, MalformedOrder, MarketplaceError, NeutralStatus, Operation, OrderLine,
    OrderPage, PlatformOrder, StoreRef, Window,
};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use crate::model::{LineItem, MailingAddress, Order, OrderLinesData, OrdersData, PageInfo};
use crate::ShopifyConnector;

/// Orders per page. With `LINES_PER_ORDER` this keeps the requested cost of one page at
/// 1 + 2 + 10 x (3 + 1 + 2 + 10 x 7) = 763 points (objects 1, connections 2 + `first` x node),
/// under Shopify's single-query limit of 1,000.
pub const PAGE_SIZE: u32 = 10;
/// Line items fetched with each order; the rest come from `ORDER_LINES_QUERY`.
pub const LINES_PER_ORDER: u32 = 10;
/// Line items per follow-up page: 1 + 1 + 2 + 100 x 7 = 704 points.
pub const LINES_PER_PAGE: u32 = 100;

/// The `LineItem` selection shared by both queries (7 points per line: the line, two money
/// bags with their `shopMoney`, the variant and the product).
macro_rules! line_fragment {
    () => {
        "fragment OrderLine on LineItem {
  id sku title variantTitle quantity currentQuantity requiresShipping
  originalUnitPriceSet { shopMoney { amount currencyCode } }
  discountedUnitPriceSet { shopMoney { amount currencyCode } }
  variant { id }
  product { id }
}"
    };
}

/// One page of orders updated inside the window.
pub const ORDERS_QUERY: &str = concat!(
    "query OrdersPage($first: Int!, $after: String, $query: String!, $lines: Int!) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id legacyResourceId name createdAt updatedAt processedAt cancelledAt cancelReason closed test
      displayFinancialStatus displayFulfillmentStatus currencyCode
      customer { firstName lastName }
      shippingAddress { name firstName lastName company address1 address2 city province provinceCode zip country countryCodeV2 phone }
      lineItems(first: $lines) {
        pageInfo { hasNextPage endCursor }
        nodes { ...OrderLine }
      }
    }
  }
}
",
    line_fragment!()
);

/// The line items of one order after `$after`.
pub const ORDER_LINES_QUERY: &str = concat!(
    "query OrderLineItems($id: ID!, $after: String, $lines: Int!) {
  order(id: $id) {
    lineItems(first: $lines, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { ...OrderLine }
    }
  }
}
",
    line_fragment!()
);

/// The `query` argument: Shopify search syntax for `updated_at` in `[from, to)`. Creation is
/// an update, so this also finds new orders.
/// <https://shopify.dev/docs/api/usage/search-syntax>
pub fn search_filter(window: &Window) -> String {
    format!(
        "updated_at:>='{}' AND updated_at:<'{}'",
        iso(window.from),
        iso(window.to)
    )
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// One page of orders: one `orders` call, plus `OrderLineItems` calls for orders with more
/// than [`LINES_PER_ORDER`] lines. Shopify sets no longest window, so there are no slices.
pub async fn pull_orders(
    c: &ShopifyConnector,
    window: Window,
    cursor: Option<&Cursor>,
) -> Result<OrderPage, MarketplaceError> {
    let position = WindowCursor::resume(&window, cursor)?;
    let slice = position.slice(&window, None);
    let variables = json!({
        "first": PAGE_SIZE,
        "after": position.page,
        "query": search_filter(&slice),
        "lines": LINES_PER_ORDER,
    });
    let data: OrdersData = c
        .graphql(Operation::PullOrders, "OrdersPage", ORDERS_QUERY, variables)
        .await?;

    let mut page = OrderPage::default();
    for raw in data.orders.nodes {
        let joined = match complete_line_items(c, raw).await? {
            Ok(joined) => joined,
            Err(bad) => {
                page.malformed.push(bad);
                continue;
            }
        };
        match to_platform_order(c.store(), &joined) {
            Ok(order) => page.orders.push(order),
            Err(error) => page.malformed.push(malformed(&joined, error)),
        }
    }
    let next = next_page(&data.orders.page_info)?;
    page.next_cursor = position.advance(&window, None, next);
    Ok(page)
}

/// The cursor of the next page, when Shopify says there is one.
fn next_page(info: &PageInfo) -> Result<Option<String>, MarketplaceError> {
    match (info.has_next_page, info.end_cursor.as_deref()) {
        (false, _) => Ok(None),
        (true, Some(c)) if !c.is_empty() => Ok(Some(c.to_owned())),
        (true, _) => Err(MarketplaceError::malformed(
            "`pageInfo.hasNextPage` is true without an `endCursor`",
        )),
    }
}

/// Just enough of an order to page its line items.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderHead {
    id: String,
    line_items: LinesHead,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LinesHead {
    page_info: PageInfo,
}

/// The order with all of its line items: as received when they fit the first page, else the
/// received order with the later pages' line items appended to `lineItems.nodes` (and the
/// last page's `pageInfo`). The inner `Err` is an order that cannot be read; the outer one a
/// failed call, which fails the page.
async fn complete_line_items(
    c: &ShopifyConnector,
    raw: Box<RawValue>,
) -> Result<Result<Box<RawValue>, MalformedOrder>, MarketplaceError> {
    let head: OrderHead = match decode_json(raw.get().as_bytes()) {
        Ok(head) => head,
        Err(error) => return Ok(Err(malformed(&raw, error))),
    };
    if !head.line_items.page_info.has_next_page {
        return Ok(Ok(raw));
    }
    let mut order: Value = match serde_json::from_str(raw.get()) {
        Ok(v) => v,
        Err(_) => {
            return Ok(Err(malformed(
                &raw,
                MarketplaceError::malformed("not JSON"),
            )))
        }
    };
    let mut info = head.line_items.page_info;
    let mut extra: Vec<Value> = Vec::new();
    while info.has_next_page {
        let after = next_page(&info)?;
        let variables = json!({ "id": head.id, "after": after, "lines": LINES_PER_PAGE });
        let data: OrderLinesData = c
            .graphql(
                Operation::PullOrders,
                "OrderLineItems",
                ORDER_LINES_QUERY,
                variables,
            )
            .await?;
        let Some(node) = data.order else {
            let error =
                MarketplaceError::malformed("the order vanished while its lines were paged");
            return Ok(Err(malformed(&raw, error)));
        };
        for line in node.line_items.nodes {
            extra.push(serde_json::from_str(line.get()).unwrap_or(Value::Null));
        }
        info = node.line_items.page_info;
    }
    let lines = &mut order["lineItems"];
    if let Some(nodes) = lines.get_mut("nodes").and_then(Value::as_array_mut) {
        nodes.extend(extra);
    }
    lines["pageInfo"] = json!({ "hasNextPage": false, "endCursor": info.end_cursor });
    let joined = serde_json::value::to_raw_value(&order)
        .map_err(|e| MarketplaceError::malformed(format!("cannot join line item pages: {e}")))?;
    Ok(Ok(joined))
}

/// An order that does not fit the wire types, kept raw with whatever id it has.
fn malformed(raw: &RawValue, error: MarketplaceError) -> MalformedOrder {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Ids {
        legacy_resource_id: Option<Value>,
        id: Option<Value>,
    }
    let ids = serde_json::from_str::<Ids>(raw.get()).ok();
    let platform_order_id = ids.and_then(|ids| match (ids.legacy_resource_id, ids.id) {
        (Some(Value::String(s)), _) if !s.is_empty() => Some(s),
        (Some(Value::Number(n)), _) => Some(n.to_string()),
        (_, Some(Value::String(gid))) if !gid.is_empty() => Some(gid_tail(&gid).to_owned()),
        _ => None,
    });
    tracing::warn!(
        platform = "shopify",
        order = platform_order_id.as_deref(),
        "order does not decode: {}",
        error.message()
    );
    MalformedOrder {
        platform_order_id,
        raw: raw.get().to_owned(),
        error: error
            .with_platform(core_model::Platform::Shopify)
            .with_operation(Operation::PullOrders),
    }
}

/// The numeric tail of a global id: `gid://shopify/LineItem/136` -> `136`.
pub fn gid_tail(gid: &str) -> &str {
    gid.rsplit('/').next().unwrap_or(gid)
}

/// `displayFulfillmentStatus` values (every `OrderDisplayFulfillmentStatus` of 2025-01) under
/// which goods still wait to leave the warehouse.
fn fulfillment_pending(status: &str) -> bool {
    matches!(
        status,
        "UNFULFILLED" | "PARTIALLY_FULFILLED" | "OPEN" | "IN_PROGRESS" | "PENDING_FULFILLMENT"
    )
    // FULFILLED is shipped; RESTOCKED, ON_HOLD, SCHEDULED and REQUEST_DECLINED are not for
    // the warehouse to act on now.
}

/// `displayFinancialStatus` values under which an order may ship: paid, or payment
/// authorized and captured at or after fulfillment.
fn payment_allows_shipping(status: Option<&str>) -> bool {
    matches!(
        status,
        Some("PAID" | "PARTIALLY_PAID" | "AUTHORIZED" | "PARTIALLY_REFUNDED")
    )
    // PENDING, REFUNDED, VOIDED, EXPIRED and a missing status do not.
}

/// The neutral status of an order (shopify.md section 9), evaluated top-down.
pub fn neutral_status(
    fulfillment: &str,
    financial: Option<&str>,
    cancelled: bool,
) -> NeutralStatus {
    if cancelled {
        NeutralStatus::Cancelled
    } else if fulfillment == "FULFILLED" {
        NeutralStatus::Shipped
    } else if fulfillment_pending(fulfillment) && payment_allows_shipping(financial) {
        NeutralStatus::AwaitingFulfillment
    } else {
        NeutralStatus::Other
    }
}

/// `platform_status`: both display statuses as sent, `/`-joined, with `CANCELLED` appended
/// when `cancelledAt` is set (Shopify has no single order status).
pub fn platform_status(order: &Order) -> String {
    let mut parts = vec![order.display_fulfillment_status.as_str()];
    if let Some(financial) = order.display_financial_status.as_deref() {
        parts.push(financial);
    }
    if order.cancelled_at.is_some() {
        parts.push("CANCELLED");
    }
    parts.join("/")
}

/// One Shopify order, as received (line item pages joined), to the neutral order.
pub fn to_platform_order(
    store: StoreRef,
    raw: &RawValue,
) -> Result<PlatformOrder, MarketplaceError> {
    let o: Order = decode_json(raw.get().as_bytes())?;
    let lines = o
        .line_items
        .nodes
        .iter()
        // Removed or refunded lines and lines that need no shipping (gift cards, digital
        // goods) are nothing for the warehouse; `raw` keeps them.
        .filter(|l| l.current_quantity > 0 && l.requires_shipping)
        .map(order_line)
        .collect::<Result<Vec<_>, _>>()?;
    let buyer_name = o
        .customer
        .as_ref()
        .and_then(|c| full_name(c.first_name.as_deref(), c.last_name.as_deref()));
    Ok(PlatformOrder {
        store: store.id,
        platform: store.platform,
        platform_order_id: o.legacy_resource_id.clone(),
        platform_status: platform_status(&o),
        status: neutral_status(
            &o.display_fulfillment_status,
            o.display_financial_status.as_deref(),
            o.cancelled_at.is_some(),
        ),
        created_at: o.created_at,
        updated_at: o.updated_at,
        currency: o.currency_code.clone(),
        buyer_name,
        ship_to: o.shipping_address.as_ref().map(ship_to).unwrap_or_default(),
        lines,
        // Shopify sells no labels through the 2025-01 Admin API (README.md).
        platform_label_hint: false,
        raw: raw.to_owned(),
    })
}

fn order_line(l: &LineItem) -> Result<OrderLine, MarketplaceError> {
    let line = gid_tail(&l.id);
    let quantity = u32::try_from(l.current_quantity).map_err(|_| {
        MarketplaceError::malformed(format!("line {line}: `currentQuantity` is out of range"))
    })?;
    // The unit price after line-level discounts, in the shop currency (the order's
    // `currencyCode`); `Decimal` scalars are JSON strings.
    let amount = &l.discounted_unit_price_set.shop_money.amount;
    let unit_price = Decimal::from_str(amount.trim()).map_err(|_| {
        MarketplaceError::malformed(format!(
            "line {line}: `discountedUnitPriceSet.shopMoney.amount` is not a decimal"
        ))
    })?;
    Ok(OrderLine {
        line_id: Some(line.to_owned()),
        platform_sku: present(l.sku.as_deref()).unwrap_or_default(),
        platform_item_id: l.product.as_ref().map(|p| gid_tail(&p.id).to_owned()),
        platform_variant_id: l.variant.as_ref().map(|v| gid_tail(&v.id).to_owned()),
        title: line_title(l),
        quantity,
        unit_price,
    })
}

/// `Product title - Variant title`, as Shopify shows a line (`LineItem.name`, which is not
/// selected because recorders scrub every `name` key as personal data).
fn line_title(l: &LineItem) -> Option<String> {
    let title = present(Some(&l.title))?;
    Some(match present(l.variant_title.as_deref()) {
        Some(variant) => format!("{title} - {variant}"),
        None => title,
    })
}

fn ship_to(a: &MailingAddress) -> Address {
    Address {
        name: present(a.name.as_deref())
            .or_else(|| full_name(a.first_name.as_deref(), a.last_name.as_deref())),
        company: present(a.company.as_deref()),
        lines: [a.address1.as_deref(), a.address2.as_deref()]
            .into_iter()
            .filter_map(present)
            .collect(),
        city: present(a.city.as_deref()),
        district: None,
        state: present(a.province_code.as_deref()).or_else(|| present(a.province.as_deref())),
        postal_code: present(a.zip.as_deref()),
        country_code: present(a.country_code_v2.as_deref()),
        phone: present(a.phone.as_deref()),
    }
}

fn full_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    let name = [first, last]
        .into_iter()
        .filter_map(present)
        .collect::<Vec<_>>()
        .join(" ");
    (!name.is_empty()).then_some(name)
}

fn present(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::{Platform, StoreId};

    /// Every `OrderDisplayFulfillmentStatus` of admin_schema_2025-01 crossed with every
    /// `OrderDisplayFinancialStatus` (and a missing one), value by value.
    #[test]
    fn every_display_status_is_mapped() {
        use NeutralStatus::*;
        let fulfillment = [
            ("UNFULFILLED", true),
            ("PARTIALLY_FULFILLED", true),
            ("FULFILLED", false),
            ("RESTOCKED", false),
            ("PENDING_FULFILLMENT", true),
            ("OPEN", true),
            ("IN_PROGRESS", true),
            ("ON_HOLD", false),
            ("SCHEDULED", false),
            ("REQUEST_DECLINED", false),
        ];
        let financial = [
            (Some("PENDING"), false),
            (Some("AUTHORIZED"), true),
            (Some("PARTIALLY_PAID"), true),
            (Some("PARTIALLY_REFUNDED"), true),
            (Some("VOIDED"), false),
            (Some("PAID"), true),
            (Some("REFUNDED"), false),
            (Some("EXPIRED"), false),
            (None, false),
        ];
        for (f, pending) in fulfillment {
            for (p, payable) in financial {
                let want = if f == "FULFILLED" {
                    Shipped
                } else if pending && payable {
                    AwaitingFulfillment
                } else {
                    Other
                };
                assert_eq!(neutral_status(f, p, false), want, "{f} {p:?}");
                assert_eq!(neutral_status(f, p, true), Cancelled, "{f} {p:?} cancelled");
            }
        }
        // The table spelled out for the common cases.
        assert_eq!(
            neutral_status("UNFULFILLED", Some("PAID"), false),
            AwaitingFulfillment
        );
        assert_eq!(neutral_status("UNFULFILLED", Some("PENDING"), false), Other);
        assert_eq!(neutral_status("ON_HOLD", Some("PAID"), false), Other);
        assert_eq!(
            neutral_status("FULFILLED", Some("REFUNDED"), false),
            Shipped
        );
        assert_eq!(neutral_status("SOMETHING_NEW", Some("PAID"), false), Other);
    }

    #[test]
    fn the_search_filter_is_the_half_open_window() {
        let w = Window::new(
            "2026-05-10T00:00:00Z".parse().unwrap(),
            "2026-05-11T00:00:00Z".parse().unwrap(),
        )
        .unwrap();
        assert_eq!(
            search_filter(&w),
            "updated_at:>='2026-05-10T00:00:00Z' AND updated_at:<'2026-05-11T00:00:00Z'"
        );
    }

    fn store() -> StoreRef {
        StoreRef {
            id: StoreId(3),
            platform: Platform::Shopify,
        }
    }

    /// The order of shopify.md section 10 in this connector's selection (`nodes`), with a
    /// second, discounted line, a removed line and a gift card.
    const SAMPLE: &str = r##"{"id":"gid://shopify/Order/5512345678901","legacyResourceId":"5512345678901",
        "name":"#1042","createdAt":"2026-05-01T14:22:08Z","updatedAt":"2026-05-01T14:25:40Z",
        "processedAt":"2026-05-01T14:22:07Z","cancelledAt":null,"cancelReason":null,"closed":false,"test":false,
        "displayFinancialStatus":"PAID","displayFulfillmentStatus":"UNFULFILLED","currencyCode":"USD",
        "customer":{"firstName":"Jane","lastName":"Doe"},
        "shippingAddress":{"name":"Jane Doe","firstName":"Jane","lastName":"Doe","company":null,
            "address1":"123 Main St","address2":"Apt 4","city":"San Jose","province":"California",
            "provinceCode":"CA","zip":"95125","country":"United States","countryCodeV2":"US","phone":"+14085551234"},
        "lineItems":{"pageInfo":{"hasNextPage":false,"endCursor":"eyJsYXN0X2lkIjozfQ=="},"nodes":[
            {"id":"gid://shopify/LineItem/13612345678901","sku":"TSHIRT-BLK-M","title":"Cotton T-Shirt","variantTitle":"Black / M",
             "quantity":2,"currentQuantity":2,"requiresShipping":true,
             "originalUnitPriceSet":{"shopMoney":{"amount":"19.99","currencyCode":"USD"}},
             "discountedUnitPriceSet":{"shopMoney":{"amount":"19.99","currencyCode":"USD"}},
             "variant":{"id":"gid://shopify/ProductVariant/44012345678901"},"product":{"id":"gid://shopify/Product/8012345678901"}},
            {"id":"gid://shopify/LineItem/13612345678902","sku":null,"title":"Canvas Tote","variantTitle":null,
             "quantity":1,"currentQuantity":1,"requiresShipping":true,
             "originalUnitPriceSet":{"shopMoney":{"amount":"12.00","currencyCode":"USD"}},
             "discountedUnitPriceSet":{"shopMoney":{"amount":"9.6","currencyCode":"USD"}},
             "variant":null,"product":null},
            {"id":"gid://shopify/LineItem/13612345678903","sku":"MUG-01","title":"Mug","variantTitle":null,
             "quantity":1,"currentQuantity":0,"requiresShipping":true,
             "originalUnitPriceSet":{"shopMoney":{"amount":"8.00","currencyCode":"USD"}},
             "discountedUnitPriceSet":{"shopMoney":{"amount":"8.00","currencyCode":"USD"}},
             "variant":null,"product":null},
            {"id":"gid://shopify/LineItem/13612345678904","sku":"GIFT-25","title":"Gift card","variantTitle":"$25",
             "quantity":1,"currentQuantity":1,"requiresShipping":false,
             "originalUnitPriceSet":{"shopMoney":{"amount":"25.00","currencyCode":"USD"}},
             "discountedUnitPriceSet":{"shopMoney":{"amount":"25.00","currencyCode":"USD"}},
             "variant":null,"product":null}]}}"##;

    #[test]
    fn maps_one_order_end_to_end() {
        let raw = RawValue::from_string(SAMPLE.to_owned()).unwrap();
        let o = to_platform_order(store(), &raw).unwrap();
        assert_eq!(o.platform_order_id, "5512345678901");
        assert_eq!(o.platform_status, "UNFULFILLED/PAID");
        assert_eq!(o.status, NeutralStatus::AwaitingFulfillment);
        assert_eq!(o.created_at.to_rfc3339(), "2026-05-01T14:22:08+00:00");
        assert_eq!(o.updated_at.to_rfc3339(), "2026-05-01T14:25:40+00:00");
        assert_eq!(o.currency, "USD");
        assert_eq!(o.buyer_name.as_deref(), Some("Jane Doe"));
        assert_eq!(o.ship_to.name.as_deref(), Some("Jane Doe"));
        assert_eq!(o.ship_to.lines, vec!["123 Main St", "Apt 4"]);
        assert_eq!(o.ship_to.state.as_deref(), Some("CA"));
        assert_eq!(o.ship_to.postal_code.as_deref(), Some("95125"));
        assert_eq!(o.ship_to.country_code.as_deref(), Some("US"));
        assert_eq!(o.ship_to.phone.as_deref(), Some("+14085551234"));
        assert_eq!(
            o.lines.len(),
            2,
            "removed and non-shipping lines are dropped"
        );
        let a = &o.lines[0];
        assert_eq!(a.line_id.as_deref(), Some("13612345678901"));
        assert_eq!(a.platform_sku, "TSHIRT-BLK-M");
        assert_eq!(a.platform_item_id.as_deref(), Some("8012345678901"));
        assert_eq!(a.platform_variant_id.as_deref(), Some("44012345678901"));
        assert_eq!(a.title.as_deref(), Some("Cotton T-Shirt - Black / M"));
        assert_eq!(
            (a.quantity, a.unit_price),
            (2, Decimal::from_str("19.99").unwrap())
        );
        let b = &o.lines[1];
        assert_eq!(
            b.platform_sku, "",
            "a line without a SKU keeps an empty one"
        );
        assert_eq!(b.title.as_deref(), Some("Canvas Tote"));
        assert_eq!(b.unit_price, Decimal::from_str("9.60").unwrap());
        assert_eq!(
            b.unit_price.to_string(),
            "9.6",
            "the decimal as sent, no float"
        );
        assert!(!o.platform_label_hint);
        assert_eq!(o.raw.get(), SAMPLE, "raw is the order as received");
    }

    #[test]
    fn cancelled_and_malformed_orders() {
        let cancelled = SAMPLE
            .replace(
                r#""cancelledAt":null"#,
                r#""cancelledAt":"2026-05-01T15:00:00Z""#,
            )
            .replace(
                r#""displayFinancialStatus":"PAID""#,
                r#""displayFinancialStatus":"REFUNDED""#,
            );
        let raw = RawValue::from_string(cancelled).unwrap();
        let o = to_platform_order(store(), &raw).unwrap();
        assert_eq!(o.status, NeutralStatus::Cancelled);
        assert_eq!(o.platform_status, "UNFULFILLED/REFUNDED/CANCELLED");

        let bad = SAMPLE.replace(r#""amount":"9.6""#, r#""amount":"nine""#);
        let e = to_platform_order(store(), &RawValue::from_string(bad).unwrap()).unwrap_err();
        assert_eq!(e.kind(), core_model::ErrorKind::Malformed);
        assert!(!e.message().contains("nine"));

        let broken = RawValue::from_string(
            r#"{"id":"gid://shopify/Order/77","legacyResourceId":"77","createdAt":"yesterday"}"#
                .to_owned(),
        )
        .unwrap();
        let m = malformed(&broken, to_platform_order(store(), &broken).unwrap_err());
        assert_eq!(m.platform_order_id.as_deref(), Some("77"));
        assert!(!m.error.message().contains("yesterday"));
    }

    #[test]
    fn requested_query_costs_stay_under_the_single_query_limit() {
        let lines = crate::cost::estimate(ORDER_LINES_QUERY, &[("lines", LINES_PER_PAGE)]);
        let page = crate::cost::estimate(
            ORDERS_QUERY,
            &[("first", PAGE_SIZE), ("lines", LINES_PER_ORDER)],
        );
        assert_eq!(lines, 704);
        assert_eq!(page, 763);
        assert!(
            page <= crate::cost::SINGLE_QUERY_LIMIT && lines <= crate::cost::SINGLE_QUERY_LIMIT
        );
    }
}
