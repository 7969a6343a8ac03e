//! Order pull: `bg.order.list.v2.get` by update time (Unix seconds, a closed interval), page
//! by page (`pageNumber`/`pageSize`, `totalItemNum`), in slices of at most one day; then, per
//! parent order, `bg.order.amount.query` (the list carries no prices or currency) and, for
//! orders the seller must ship, `bg.order.shippinginfo.v2.get` (the address is deliberately
//! kept out of the order APIs). The three answers are joined into the order's `raw` and mapped
//! to `PlatformOrder` by one function.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use connector_kit::cursor::WindowCursor;
use connector_kit::decode_json;
use core_model::{
    Address, Cursor, MalformedOrder, MarketplaceError, NeutralStatus, Operation, OrderLine,
    OrderPage, PlatformOrder, StoreRef, Window,
};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::auth::Call;
use crate::error::is_business_refusal;
use crate::model::{
    null_default, AmountResult, ItemHead, Money, Order, OrderListResult, PageItem, ParentOrder,
    ShippingInfo,
};
use crate::TemuConnector;

/// No maximum is documented ("the time window can be customized"); Temu's own guidance is to
/// poll by update time in short windows, so one list call spans at most a day.
pub const MAX_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// The largest `pageSize` bg.order.list.v2.get accepts (default 10, maximum 100).
pub const PAGE_SIZE: u32 = 100;
/// The endpoint class of the order APIs.
pub const ORDERS_CLASS: &str = "orders";

pub const LIST: &str = "bg.order.list.v2.get";
pub const DETAIL: &str = "bg.order.detail.v2.get";
pub const SHIPPING_INFO: &str = "bg.order.shippinginfo.v2.get";
pub const AMOUNT: &str = "bg.order.amount.query";

/// The keys under which the joined answers sit in an order's `raw`, next to the list item's
/// own `parentOrderMap` and `orderList`.
pub const SHIPPING_INFO_KEY: &str = "shippingInfo";
pub const AMOUNT_KEY: &str = "amountInfo";

/// `parentOrderStatus` values whose address is fetched: the orders the seller ships. Shipped
/// and cancelled orders no longer expose it, pending ones may still change it.
const NEEDS_ADDRESS: [i64; 2] = [2, 41];

/// One page: one list call and the amount (and address) calls of its parent orders.
pub async fn pull_orders(
    c: &TemuConnector,
    window: Window,
    cursor: Option<&Cursor>,
) -> Result<OrderPage, MarketplaceError> {
    let position = WindowCursor::resume(&window, cursor)?;
    let slice = position.slice(&window, Some(MAX_WINDOW));
    let page_number: u32 =
        match position.page.as_deref() {
            None => 1,
            Some(p) => p.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                MarketplaceError::permanent("the cursor's page is not a page number")
            })?,
        };
    let (start, end) = time_filter(&slice);
    let call = Call::new(LIST)
        .param("pageNumber", &page_number)?
        .param("pageSize", &PAGE_SIZE)?
        .param("updateAtStart", &start)?
        .param("updateAtEnd", &end)?;
    let list: OrderListResult = c.call(Operation::PullOrders, ORDERS_CLASS, call).await?;
    let more = !list.page_items.is_empty()
        && u64::from(page_number) * u64::from(PAGE_SIZE) < list.total_item_num;

    let mut page = OrderPage::default();
    for item in &list.page_items {
        let decoded = match decode_json::<PageItem>(item.get().as_bytes()) {
            Ok(decoded) => decoded,
            Err(error) => {
                page.malformed.push(malformed(item, error));
                continue;
            }
        };
        let joined = match join(c, &decoded.parent_order_map, item).await {
            Ok(joined) => joined,
            // Temu refused this order's amounts (a business error about the order itself):
            // keep the order raw and flagged rather than stop the store's sync on it.
            Err(e) if is_business_refusal(&e) => {
                let reason = MarketplaceError::malformed(format!(
                    "{AMOUNT} refused the order: {}",
                    e.message()
                ));
                let reason = match e.code() {
                    Some(code) => reason.with_code(code),
                    None => reason,
                };
                page.malformed.push(malformed(item, reason));
                continue;
            }
            Err(e) => return Err(e),
        };
        match to_platform_order(c.store(), &joined) {
            Ok(order) => page.orders.push(order),
            Err(error) => page.malformed.push(malformed(&joined, error)),
        }
    }
    let next_page = more.then(|| (page_number + 1).to_string());
    page.next_cursor = position.advance(&window, Some(MAX_WINDOW), next_page);
    Ok(page)
}

/// `updateAtStart`/`updateAtEnd` for a half-open slice: Temu's end is inclusive and in whole
/// seconds, so the last second of the slice is the end.
pub fn time_filter(slice: &Window) -> (i64, i64) {
    let start = slice.from.timestamp();
    let to = slice.to.timestamp() + i64::from(slice.to.timestamp_subsec_nanos() > 0);
    (start, (to - 1).max(start))
}

fn malformed(raw: &RawValue, error: MarketplaceError) -> MalformedOrder {
    let platform_order_id = serde_json::from_str::<ItemHead>(raw.get())
        .ok()
        .and_then(|h| h.parent_order_map)
        .and_then(|p| p.parent_order_sn);
    tracing::warn!(
        platform = "temu",
        parent_order_sn = platform_order_id.as_deref(),
        "order does not decode: {}",
        error.message()
    );
    MalformedOrder {
        platform_order_id,
        raw: raw.get().to_owned(),
        error,
    }
}

/// The list item with the amount and address answers joined in.
async fn join(
    c: &TemuConnector,
    parent: &ParentOrder,
    item: &RawValue,
) -> Result<Box<RawValue>, MarketplaceError> {
    let sn = parent.parent_order_sn.as_str();
    let mut extras: Vec<(&str, Box<RawValue>)> = Vec::with_capacity(2);
    if NEEDS_ADDRESS.contains(&parent.parent_order_status) {
        let call = Call::new(SHIPPING_INFO).param("parentOrderSn", sn)?;
        match c
            .call::<Box<RawValue>>(Operation::PullOrders, ORDERS_CLASS, call)
            .await
        {
            Ok(address) => extras.push((SHIPPING_INFO_KEY, address)),
            // A business refusal (region without address query, DPA not signed) leaves the
            // order without an address rather than stopping the store's sync.
            Err(e) if is_business_refusal(&e) => tracing::warn!(
                platform = "temu",
                parent_order_sn = sn,
                code = e.code(),
                "no shipping address: {}",
                e.message()
            ),
            Err(e) => return Err(e),
        }
    }
    let call = Call::new(AMOUNT).param("parentOrderSn", sn)?;
    let amount = c
        .call::<Box<RawValue>>(Operation::PullOrders, ORDERS_CLASS, call)
        .await?;
    extras.push((AMOUNT_KEY, amount));
    join_raw(item, &extras)
}

/// `item` (a JSON object, kept byte for byte) with `extras` appended as further keys.
pub fn join_raw(
    item: &RawValue,
    extras: &[(&str, Box<RawValue>)],
) -> Result<Box<RawValue>, MarketplaceError> {
    let text = item.get().trim();
    let inner = text
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .ok_or_else(|| MarketplaceError::malformed("an order is not a JSON object"))?;
    let mut out = String::with_capacity(text.len() + 512);
    out.push('{');
    out.push_str(inner);
    let mut first = inner.trim().is_empty();
    for (key, value) in extras {
        if !first {
            out.push(',');
        }
        first = false;
        out.push('"');
        out.push_str(key);
        out.push_str("\":");
        out.push_str(value.get());
    }
    out.push('}');
    RawValue::from_string(out)
        .map_err(|e| MarketplaceError::malformed(format!("cannot join an order's answers: {e}")))
}

/// Temu `parentOrderStatus` (the same codes as `orderStatus`) folded into the neutral status.
pub fn neutral_status(parent_order_status: i64) -> NeutralStatus {
    match parent_order_status {
        // UN_SHIPPING, and PARTIALLY_SHIPPED: the rest is still to ship.
        2 | 41 => NeutralStatus::AwaitingFulfillment,
        // SHIPPED, DELIVERED (receipted), PARTIALLY_DELIVERED.
        4 | 5 | 51 => NeutralStatus::Shipped,
        3 => NeutralStatus::Cancelled,
        // PENDING (the buyer may still change address or quantity; do not ship), 0 (only a
        // filter value: all) and anything new.
        _ => NeutralStatus::Other,
    }
}

/// An order's raw JSON as `to_platform_order` reads it: the list item plus the joined answers.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JoinedOrder {
    parent_order_map: ParentOrder,
    #[serde(default, deserialize_with = "null_default")]
    order_list: Vec<Order>,
    #[serde(default)]
    shipping_info: Option<ShippingInfo>,
    #[serde(default)]
    amount_info: Option<AmountResult>,
}

/// Temu's parent order, as joined from the list, amount and address answers, to the neutral
/// order.
pub fn to_platform_order(
    store: StoreRef,
    raw: &RawValue,
) -> Result<PlatformOrder, MarketplaceError> {
    let o: JoinedOrder = decode_json(raw.get().as_bytes())?;
    let p = &o.parent_order_map;
    let amounts = o.amount_info.unwrap_or_default();
    let currency = currency_of(&amounts).ok_or_else(|| {
        MarketplaceError::malformed("bg.order.amount.query answered no currency for the order")
    })?;
    let time = |secs: i64, field: &str| {
        DateTime::<Utc>::from_timestamp(secs, 0)
            .ok_or_else(|| MarketplaceError::malformed(format!("`{field}` is not a Unix time")))
    };
    let created_at = time(p.parent_order_time, "parentOrderTime")?;
    let updated_at =
        time(p.update_time.unwrap_or(p.parent_order_time), "updateTime")?.max(created_at);

    // Lines cancelled before shipment have quantity 0 and are left out; an order cancelled
    // whole keeps what was ordered so it still says what it was.
    let shipping: Vec<&Order> = o.order_list.iter().filter(|l| l.quantity > 0).collect();
    let kept: Vec<(&Order, u32)> = if shipping.is_empty() {
        o.order_list
            .iter()
            .map(|l| (l, l.original_order_quantity.unwrap_or(l.quantity)))
            .filter(|(_, q)| *q > 0)
            .collect()
    } else {
        shipping.into_iter().map(|l| (l, l.quantity)).collect()
    };
    let mut lines = Vec::with_capacity(kept.len());
    for (line, quantity) in kept {
        let price = amounts
            .order_list
            .iter()
            .find(|a| a.order_sn == line.order_sn)
            .and_then(|a| {
                a.unit_retail_price
                    .as_ref()
                    .or(a.unit_retail_price_vat_incl.as_ref())
                    .or(a.unit_base_price.as_ref())
            });
        let unit_price = match price {
            Some(money) => money_to_decimal(money, &currency)?,
            None => {
                tracing::warn!(platform = "temu", order_sn = %line.order_sn,
                    "no unit price in bg.order.amount.query; 0 until the next update");
                Decimal::ZERO
            }
        };
        let product = line.product_list.first();
        lines.push(OrderLine {
            line_id: Some(line.order_sn.clone()),
            platform_sku: line
                .product_list
                .iter()
                .find_map(|p| non_empty(p.ext_code.clone()))
                .unwrap_or_default(),
            platform_item_id: line
                .goods_id
                .or(product.and_then(|p| p.product_id))
                .map(|id| id.to_string()),
            platform_variant_id: line
                .sku_id
                .or(product.and_then(|p| p.product_sku_id))
                .map(|id| id.to_string()),
            title: non_empty(line.original_goods_name.clone())
                .or_else(|| non_empty(line.goods_name.clone())),
            quantity,
            unit_price,
        });
    }

    Ok(PlatformOrder {
        store: store.id,
        platform: store.platform,
        platform_order_id: p.parent_order_sn.clone(),
        platform_status: p.parent_order_status.to_string(),
        status: neutral_status(p.parent_order_status),
        created_at,
        updated_at,
        currency,
        buyer_name: None,
        ship_to: address(o.shipping_info, p.region_id),
        lines,
        // COD orders ship on Temu labels only, and some stores or orders are barred from
        // confirming shipment with their own tracking numbers.
        platform_label_hint: p.order_payment_type.as_deref() == Some("COD")
            || p.fulfillment_warning
                .iter()
                .any(|w| w == "RESTRICT_SELF_SHIPPING"),
        raw: raw.to_owned(),
    })
}

fn address(info: Option<ShippingInfo>, region_id: Option<u64>) -> Address {
    let country_code = region_id.and_then(country_of).map(str::to_owned);
    let Some(s) = info else {
        return Address {
            country_code,
            ..Address::default()
        };
    };
    let extra = s.address_extra.unwrap_or_default();
    let full_name = [extra.first_name, extra.last_name]
        .into_iter()
        .filter_map(non_empty)
        .collect::<Vec<_>>()
        .join(" ");
    let mut lines: Vec<String> = [s.address_line1, s.address_line2, s.address_line3]
        .into_iter()
        .filter_map(non_empty)
        .collect();
    if lines.is_empty() {
        lines.extend(non_empty(s.address_line_all));
    }
    Address {
        name: non_empty(s.receipt_name).or(non_empty(Some(full_name))),
        company: None,
        lines,
        city: non_empty(s.region_name3),
        district: non_empty(s.region_name4),
        state: non_empty(s.region_name2),
        postal_code: non_empty(s.post_code),
        country_code,
        phone: non_empty(s.mobile),
    }
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// The order's currency: the first one the amount answer names.
fn currency_of(a: &AmountResult) -> Option<String> {
    let lines = a.order_list.iter().flat_map(|l| {
        [
            &l.unit_retail_price,
            &l.unit_retail_price_vat_incl,
            &l.unit_base_price,
        ]
    });
    let parent = a
        .parent_order_map
        .iter()
        .flat_map(|p| [&p.retail_price_total, &p.customer_paid]);
    lines
        .chain(parent)
        .filter_map(|m| m.as_ref()?.currency.as_deref())
        .map(|c| c.trim().to_ascii_uppercase())
        .find(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
}

/// Temu amounts are integers in the currency's minor unit ("United States: Cents").
pub fn money_to_decimal(money: &Money, currency: &str) -> Result<Decimal, MarketplaceError> {
    let bad = || {
        MarketplaceError::malformed("an amount of bg.order.amount.query is not whole minor units")
    };
    let minor: i64 = match &money.amount {
        None | Some(serde_json::Value::Null) => return Ok(Decimal::ZERO),
        Some(serde_json::Value::Number(n)) => n.as_i64().ok_or_else(bad)?,
        Some(serde_json::Value::String(s)) => i64::from_str(s.trim()).map_err(|_| bad())?,
        Some(_) => return Err(bad()),
    };
    let currency = money.currency.as_deref().unwrap_or(currency);
    Ok(Decimal::new(minor, minor_unit_digits(currency)))
}

/// ISO 4217 minor-unit digits: 2 unless listed.
pub fn minor_unit_digits(currency: &str) -> u32 {
    const ZERO: &[&str] = &[
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
        "VUV", "XAF", "XOF", "XPF",
    ];
    const THREE: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
    let c = currency.trim().to_ascii_uppercase();
    if ZERO.contains(&c.as_str()) {
        0
    } else if THREE.contains(&c.as_str()) {
        3
    } else {
        2
    }
}

/// ISO 3166-1 alpha-2 of a Temu `regionId` (the regionId table of "Order Retrieve and
/// Management"), for the countries Temu sells in.
pub fn country_of(region_id: u64) -> Option<&'static str> {
    #[rustfmt::skip]
    const REGIONS: &[(u64, &str)] = &[
        (9, "AR"), (12, "AU"), (13, "AT"), (16, "BH"), (20, "BE"), (29, "BR"), (32, "BG"),
        (37, "CA"), (42, "CL"), (45, "CO"), (49, "CR"), (50, "HR"), (52, "CY"), (53, "CZ"),
        (54, "DK"), (57, "DO"), (59, "EC"), (64, "EE"), (68, "FI"), (69, "FR"), (76, "DE"),
        (79, "GR"), (90, "HU"), (91, "IS"), (96, "IE"), (97, "IL"), (98, "IT"), (100, "JP"),
        (101, "JO"), (102, "KZ"), (105, "KW"), (108, "LV"), (112, "LI"), (113, "LT"), (114, "LU"),
        (119, "MY"), (122, "MT"), (128, "MX"), (141, "NL"), (144, "NZ"), (151, "NO"), (152, "OM"),
        (156, "PA"), (159, "PE"), (160, "PH"), (162, "PL"), (163, "PT"), (165, "QA"), (167, "RO"),
        (174, "SA"), (175, "RS"), (179, "SG"), (180, "SK"), (181, "SI"), (184, "ZA"), (185, "KR"),
        (186, "ES"), (191, "SE"), (192, "CH"), (194, "TW"), (197, "TH"), (203, "TR"), (209, "AE"),
        (210, "GB"), (211, "US"), (212, "UY"), (226, "HK"),
    ];
    REGIONS
        .iter()
        .find(|(id, _)| *id == region_id)
        .map(|(_, code)| *code)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::{ErrorKind, Platform, StoreId};

    /// Every `parentOrderStatus` value bg.order.list.v2.get documents (output enum), the
    /// filter-only 0, and an unknown value.
    #[test]
    fn every_parent_order_status_is_mapped() {
        use NeutralStatus::*;
        for (status, want) in [
            (1, Other),
            (2, AwaitingFulfillment),
            (3, Cancelled),
            (4, Shipped),
            (41, AwaitingFulfillment),
            (5, Shipped),
            (51, Shipped),
            (0, Other),
            (99, Other),
        ] {
            assert_eq!(neutral_status(status), want, "{status}");
        }
    }

    #[test]
    fn time_filter_covers_the_half_open_slice() {
        let from = DateTime::<Utc>::from_timestamp(1778371200, 0).unwrap();
        let to = DateTime::<Utc>::from_timestamp(1778457600, 0).unwrap();
        let w = Window::new(from, to).unwrap();
        assert_eq!(time_filter(&w), (1778371200, 1778457599));
        let frac = Window::new(from, to + chrono::TimeDelta::milliseconds(500)).unwrap();
        assert_eq!(time_filter(&frac), (1778371200, 1778457600));
    }

    #[test]
    fn money_is_minor_units_of_the_currency() {
        let m = |amount: serde_json::Value, c: &str| Money {
            currency: Some(c.to_owned()),
            amount: Some(amount),
        };
        assert_eq!(
            money_to_decimal(&m(1299.into(), "USD"), "USD").unwrap(),
            Decimal::from_str("12.99").unwrap()
        );
        assert_eq!(
            money_to_decimal(&m(1500.into(), "JPY"), "JPY").unwrap(),
            Decimal::from(1500)
        );
        assert_eq!(
            money_to_decimal(&m("12500".into(), "KWD"), "KWD").unwrap(),
            Decimal::from_str("12.5").unwrap()
        );
        let float = serde_json::json!(12.5);
        assert_eq!(
            money_to_decimal(&m(float, "EUR"), "EUR")
                .unwrap_err()
                .kind(),
            ErrorKind::Malformed
        );
        assert_eq!(minor_unit_digits("eur"), 2);
        assert_eq!(country_of(211), Some("US"));
        assert_eq!(country_of(76), Some("DE"));
        assert_eq!(country_of(2), None);
    }

    #[test]
    fn join_keeps_the_item_and_appends_answers() {
        let item =
            RawValue::from_string(r#"{"parentOrderMap":{"a":1}, "orderList":[]}"#.into()).unwrap();
        let extra = RawValue::from_string(r#"{"x":1}"#.into()).unwrap();
        let joined = join_raw(&item, &[("amountInfo", extra)]).unwrap();
        assert_eq!(
            joined.get(),
            r#"{"parentOrderMap":{"a":1}, "orderList":[],"amountInfo":{"x":1}}"#
        );
        let empty = RawValue::from_string("{}".into()).unwrap();
        let extra = RawValue::from_string("[]".into()).unwrap();
        assert_eq!(
            join_raw(&empty, &[("k", extra)]).unwrap().get(),
            r#"{"k":[]}"#
        );
        let array = RawValue::from_string("[1]".into()).unwrap();
        assert!(join_raw(&array, &[]).is_err());
    }

    fn store() -> StoreRef {
        StoreRef {
            id: StoreId(7),
            platform: Platform::Temu,
        }
    }

    /// The list example of the platform note (real structure) joined with an amount answer
    /// and a shipping-info answer shaped like their API reference samples.
    const SAMPLE: &str = r#"{"parentOrderMap":{"parentOrderSn":"PO-211-01234567890123456","parentOrderStatus":2,
        "parentOrderTime":1716950000,"parentConfirmTime":1716950600,"updateTime":1716950900,
        "expectShipLatestTime":1717209300,"regionId":211,"siteId":100,"shippingMethod":1,
        "orderPaymentType":"PPD","hasShippingFee":false,
        "parentOrderLabel":[{"name":"soon_to_be_overdue","value":0}],"fulfillmentWarning":[]},
      "orderList":[
        {"orderSn":"211-01234567890123457","orderStatus":2,"goodsId":601099548666279,"skuId":17592352673534,
         "quantity":2,"originalOrderQuantity":2,"canceledQuantityBeforeShipment":0,"goodsName":"Cotton Tee",
         "spec":"Black, L","fulfillmentType":"fulfillBySeller","orderCreateTime":1716950000,
         "productList":[{"productSkuId":17592352673534,"productId":601099548666279,"soldFactor":1,"extCode":"TEE-BLK-L"}]},
        {"orderSn":"211-01234567890123458","orderStatus":2,"goodsId":601099548666300,"skuId":17592352673600,
         "quantity":1,"originalOrderQuantity":1,"goodsName":"Socks","productList":[]},
        {"orderSn":"211-01234567890123459","orderStatus":3,"goodsId":601099548666301,"skuId":17592352673601,
         "quantity":0,"originalOrderQuantity":1,"canceledQuantityBeforeShipment":1,"goodsName":"Cap","productList":[]}],
      "shippingInfo":{"receiptName":"Jordan Fixture","mobile":"+1 555-0100 ext 4821","regionName1":"United States",
        "regionName2":"Washington","regionName3":"Seattle","regionName4":"","addressLine1":"1200 Fixture Ave",
        "addressLine2":"Apt 5","addressLineAll":"1200 Fixture Ave Apt 5 Seattle WA","postCode":"98101"},
      "amountInfo":{"parentOrderMap":{"parentOrderSn":"PO-211-01234567890123456","retailPriceTotal":{"currency":"USD","amount":3197}},
        "orderList":[
          {"orderSn":"211-01234567890123457","quantity":2,"unitRetailPrice":{"currency":"USD","amount":1299},
           "unitBasePrice":{"currency":"USD","amount":800}},
          {"orderSn":"211-01234567890123458","quantity":1,"unitRetailPrice":{"currency":"USD","amount":599}}],
        "warning":[]}}"#;

    #[test]
    fn maps_one_order_end_to_end() {
        let raw = RawValue::from_string(SAMPLE.to_owned()).unwrap();
        let o = to_platform_order(store(), &raw).unwrap();
        assert_eq!(o.platform_order_id, "PO-211-01234567890123456");
        assert_eq!(
            (o.platform_status.as_str(), o.status),
            ("2", NeutralStatus::AwaitingFulfillment)
        );
        assert_eq!(o.created_at.timestamp(), 1716950000);
        assert_eq!(o.updated_at.timestamp(), 1716950900);
        assert_eq!(o.currency, "USD");
        assert_eq!(o.ship_to.name.as_deref(), Some("Jordan Fixture"));
        assert_eq!(o.ship_to.lines, vec!["1200 Fixture Ave", "Apt 5"]);
        assert_eq!(o.ship_to.city.as_deref(), Some("Seattle"));
        assert_eq!(o.ship_to.state.as_deref(), Some("Washington"));
        assert_eq!(o.ship_to.district, None);
        assert_eq!(o.ship_to.country_code.as_deref(), Some("US"));
        assert_eq!(o.ship_to.postal_code.as_deref(), Some("98101"));
        assert_eq!(
            o.lines.len(),
            2,
            "the line cancelled before shipment is left out"
        );
        let a = &o.lines[0];
        assert_eq!(a.line_id.as_deref(), Some("211-01234567890123457"));
        assert_eq!(a.platform_sku, "TEE-BLK-L");
        assert_eq!(a.platform_item_id.as_deref(), Some("601099548666279"));
        assert_eq!(a.platform_variant_id.as_deref(), Some("17592352673534"));
        assert_eq!(a.title.as_deref(), Some("Cotton Tee"));
        assert_eq!(
            (a.quantity, a.unit_price),
            (2, Decimal::from_str("12.99").unwrap())
        );
        let b = &o.lines[1];
        assert_eq!(
            b.platform_sku, "",
            "no extCode: mapping falls back to the Temu ids"
        );
        assert_eq!(b.platform_variant_id.as_deref(), Some("17592352673600"));
        assert_eq!(
            (b.quantity, b.unit_price),
            (1, Decimal::from_str("5.99").unwrap())
        );
        assert!(!o.platform_label_hint);
        assert_eq!(o.raw.get(), SAMPLE, "raw is the joined JSON as received");
        assert!(!format!("{o:?}").contains("Jordan"));
    }

    #[test]
    fn a_cancelled_order_keeps_its_ordered_lines_and_cod_hints_a_temu_label() {
        let raw = RawValue::from_string(
            r#"{"parentOrderMap":{"parentOrderSn":"PO-211-9","parentOrderStatus":3,"parentOrderTime":100,
            "updateTime":200,"regionId":211,"orderPaymentType":"COD"},
            "orderList":[{"orderSn":"211-9","goodsId":1,"skuId":2,"quantity":0,"originalOrderQuantity":3}],
            "amountInfo":{"orderList":[{"orderSn":"211-9","unitRetailPrice":{"currency":"usd","amount":250}}]}}"#
                .to_owned(),
        )
        .unwrap();
        let o = to_platform_order(store(), &raw).unwrap();
        assert_eq!(o.status, NeutralStatus::Cancelled);
        assert_eq!(o.lines.len(), 1);
        assert_eq!(o.lines[0].quantity, 3);
        assert_eq!(o.lines[0].unit_price, Decimal::from_str("2.50").unwrap());
        assert_eq!(o.currency, "USD");
        assert!(o.platform_label_hint);
        assert_eq!(o.ship_to.country_code.as_deref(), Some("US"));
    }

    #[test]
    fn an_order_that_does_not_fit_is_malformed() {
        let raw = RawValue::from_string(
            r#"{"parentOrderMap":{"parentOrderSn":"PO-211-1","parentOrderStatus":2,"parentOrderTime":"yesterday"},"orderList":[]}"#
                .to_owned(),
        )
        .unwrap();
        let e = to_platform_order(store(), &raw).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Malformed);
        assert!(e.message().contains("parentOrderTime"), "{}", e.message());
        assert!(!e.message().contains("yesterday"));
        let m = malformed(&raw, e);
        assert_eq!(m.platform_order_id.as_deref(), Some("PO-211-1"));
        let no_amount = RawValue::from_string(
            r#"{"parentOrderMap":{"parentOrderSn":"PO-211-2","parentOrderStatus":2,"parentOrderTime":1},"orderList":[]}"#
                .to_owned(),
        )
        .unwrap();
        assert_eq!(
            to_platform_order(store(), &no_amount).unwrap_err().kind(),
            ErrorKind::Malformed
        );
    }
}
