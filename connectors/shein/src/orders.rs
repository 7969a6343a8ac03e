//! Order pull: `/open-api/order/order-list` by update time (`queryType` 2; `startTime` and
//! `endTime` as `yyyy-MM-dd HH:mm:ss` in Beijing time, UTC+8, the end inclusive), page by page
//! (`page`, `pageSize` at most 30, `info.count`), in slices of at most 48 hours; then one
//! `/open-api/order/order-detail` for the page's orders (up to 30 numbers per call; the list
//! carries no items), and `/open-api/order/export-address` (`handleType` 1, export only) for
//! the orders the seller still has to ship. The answers are joined into the order's `raw` and
//! mapped to `PlatformOrder` by one function.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDateTime, Offset, TimeZone, Utc};
use connector_kit::cursor::WindowCursor;
use connector_kit::decode_json;
use core_model::{
    Address, Cursor, MalformedOrder, MarketplaceError, NeutralStatus, Operation, OrderLine,
    OrderPage, PlatformOrder, StoreRef, Window,
};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::is_business_refusal;
use crate::model::{
    AddressInfo, DetailRequest, ExportAddressRequest, Goods, ListItem, ListRequest, OrderDetail,
    OrderHead, OrderListInfo, ReceiveAddress,
};
use crate::SheinConnector;

/// The longest `startTime`..`endTime` one list call accepts (integrators' specs and clients:
/// "no more than 48 hours"; SHEIN's own page does not state it).
pub const MAX_WINDOW: Duration = Duration::from_secs(48 * 3600);
/// The largest `pageSize` ("Please set an integer between 1 and 30").
pub const PAGE_SIZE: u32 = 30;
/// The endpoint class of the order APIs.
pub const ORDERS_CLASS: &str = "orders";

pub const LIST_PATH: &str = "/open-api/order/order-list";
pub const DETAIL_PATH: &str = "/open-api/order/order-detail";
pub const ADDRESS_PATH: &str = "/open-api/order/export-address";

/// `queryType` 2: by order update time (an order's issue time counts as its first update).
const BY_UPDATE_TIME: i64 = 2;
/// `handleType` 1: export the address only, leave the order's status alone.
pub const EXPORT_ONLY: i64 = 1;

/// The keys under which the joined answers sit in an order's `raw`, next to the detail's own.
pub const LIST_ITEM_KEY: &str = "orderListItem";
pub const ADDRESS_KEY: &str = "exportAddress";

/// Every time SHEIN's APIs take or return is Beijing time ("所有接口内返回的时间是北京时间
/// (GMT+8)", "ERP订单履约方案" FAQ), without daylight saving.
pub fn beijing() -> FixedOffset {
    // Eight hours is within the valid range, so the fallback is never taken.
    FixedOffset::east_opt(8 * 3600).unwrap_or(Utc.fix())
}

/// One page: one list call, one detail call for its orders and the address exports.
pub async fn pull_orders(
    c: &SheinConnector,
    window: Window,
    cursor: Option<&Cursor>,
) -> Result<OrderPage, MarketplaceError> {
    let op = Operation::PullOrders;
    let position = WindowCursor::resume(&window, cursor)?;
    let slice = position.slice(&window, Some(MAX_WINDOW));
    let page_no: u32 =
        match position.page.as_deref() {
            None => 1,
            Some(p) => p.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                MarketplaceError::permanent("the cursor's page is not a page number")
            })?,
        };
    let (start, end) = time_filter(&slice);
    let request = ListRequest {
        query_type: BY_UPDATE_TIME,
        start_time: &start,
        end_time: &end,
        page: page_no,
        page_size: PAGE_SIZE,
    };
    let list: OrderListInfo = c.call(op, ORDERS_CLASS, LIST_PATH, &request).await?;
    let count = list.count.unwrap_or_default().max(0) as u64;
    let more = !list.order_list.is_empty() && u64::from(page_no) * u64::from(PAGE_SIZE) < count;

    let mut page = OrderPage::default();
    let mut items: Vec<(ListItem, &RawValue)> = Vec::with_capacity(list.order_list.len());
    for raw in &list.order_list {
        match decode_item(raw) {
            Ok(item) if items.iter().any(|(i, _)| i.order_no == item.order_no) => {}
            Ok(item) => items.push((item, raw)),
            Err(error) => page.malformed.push(malformed(raw, error)),
        }
    }

    if !items.is_empty() {
        let numbers: Vec<&str> = items.iter().map(|(i, _)| i.order_no.as_str()).collect();
        let details: Vec<Box<RawValue>> = c
            .call(
                op,
                ORDERS_CLASS,
                DETAIL_PATH,
                &DetailRequest {
                    order_no_list: &numbers,
                },
            )
            .await?;
        let by_number: HashMap<String, &RawValue> = details
            .iter()
            .filter_map(|d| Some((order_no_of(d)?, d.as_ref())))
            .collect();
        for (item, raw_item) in items {
            let Some(detail_raw) = by_number.get(&item.order_no) else {
                let error = MarketplaceError::malformed(format!(
                    "{DETAIL_PATH} did not return the listed order"
                ));
                page.malformed.push(malformed(raw_item, error));
                continue;
            };
            let mut extras: Vec<(&str, Box<RawValue>)> = vec![(LIST_ITEM_KEY, raw_item.to_owned())];
            if let Ok(detail) = decode_json::<OrderDetail>(detail_raw.get().as_bytes()) {
                if needs_address(&detail) {
                    if let Some(address) = export_address(c, &detail.order_no).await? {
                        extras.push((ADDRESS_KEY, address));
                    }
                }
            }
            let joined = match join_raw(detail_raw, &extras) {
                Ok(joined) => joined,
                Err(error) => {
                    page.malformed.push(malformed(detail_raw, error));
                    continue;
                }
            };
            match to_platform_order(c.store(), &joined) {
                Ok(order) => page.orders.push(order),
                Err(error) => page.malformed.push(malformed(&joined, error)),
            }
        }
    }
    let next_page = more.then(|| (page_no + 1).to_string());
    page.next_cursor = position.advance(&window, Some(MAX_WINDOW), next_page);
    Ok(page)
}

/// A fresh `/open-api/order/order-detail` of one order (labels and waybill uploads).
pub async fn order_detail(
    c: &SheinConnector,
    operation: Operation,
    order_no: &str,
) -> Result<OrderDetail, MarketplaceError> {
    let numbers = [order_no];
    let details: Vec<Box<RawValue>> = c
        .call(
            operation,
            ORDERS_CLASS,
            DETAIL_PATH,
            &DetailRequest {
                order_no_list: &numbers,
            },
        )
        .await?;
    let raw = details
        .iter()
        .find(|d| order_no_of(d).as_deref() == Some(order_no))
        .ok_or_else(|| {
            MarketplaceError::permanent(format!("{DETAIL_PATH} does not know the order"))
        })?;
    decode_json(raw.get().as_bytes())
}

/// A list item whose number and times can be read.
fn decode_item(raw: &RawValue) -> Result<ListItem, MarketplaceError> {
    let item: ListItem = decode_json(raw.get().as_bytes())?;
    if item.order_no.trim().is_empty() {
        return Err(MarketplaceError::malformed("`orderNo` is empty"));
    }
    for (field, value) in [
        ("orderCreateTime", &item.order_create_time),
        ("orderUpdateTime", &item.order_update_time),
    ] {
        if let Some(text) = value.as_deref().filter(|t| !t.trim().is_empty()) {
            parse_time(text, field)?;
        }
    }
    Ok(item)
}

/// The orders whose full address the warehouse needs: still to ship (1 pending, 2 to be
/// shipped) and processable (`printOrderStatus` 1; otherwise SHEIN refuses the export).
fn needs_address(d: &OrderDetail) -> bool {
    matches!(d.order_status, Some(1 | 2)) && d.print_order_status == Some(1)
}

/// The order's `receiveMsgList` entry, or `None` when SHEIN refuses the export for this order.
async fn export_address(
    c: &SheinConnector,
    order_no: &str,
) -> Result<Option<Box<RawValue>>, MarketplaceError> {
    let request = ExportAddressRequest {
        order_no,
        handle_type: EXPORT_ONLY,
    };
    let info = match c
        .call::<AddressInfo, _>(Operation::PullOrders, ORDERS_CLASS, ADDRESS_PATH, &request)
        .await
    {
        Ok(info) => info,
        // A business refusal about this order leaves it with the coarse destination of the
        // detail rather than stopping the store's sync; the next pull tries again.
        Err(e) if is_business_refusal(&e) => {
            tracing::warn!(
                platform = "shein",
                order_no,
                code = e.code(),
                "no shipping address: {}",
                e.message()
            );
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    Ok(info
        .receive_msg_list
        .into_iter()
        .find(|entry| order_no_of(entry).is_none_or(|n| n == order_no)))
}

/// `startTime`/`endTime` for a half-open slice: Beijing time, whole seconds, the end
/// inclusive, so the last second of the slice is the end.
pub fn time_filter(slice: &Window) -> (String, String) {
    let from = slice.from.timestamp();
    let to = slice.to.timestamp() + i64::from(slice.to.timestamp_subsec_nanos() > 0);
    let end = (to - 1).max(from);
    let text = |secs: i64| {
        DateTime::<Utc>::from_timestamp(secs, 0)
            .unwrap_or_default()
            .with_timezone(&beijing())
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    (text(from), text(end))
}

/// A SHEIN time: `yyyy-MM-dd HH:mm:ss` in Beijing time, or ISO 8601 with its offset
/// (`2025-07-25T17:22:11.000+0800`, as the detail sends them).
pub fn parse_time(text: &str, field: &str) -> Result<DateTime<Utc>, MarketplaceError> {
    let t = text.trim();
    if let Ok(naive) = NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S") {
        if let Some(at) = beijing().from_local_datetime(&naive).single() {
            return Ok(at.with_timezone(&Utc));
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(at) = DateTime::parse_from_str(t, format) {
            return Ok(at.with_timezone(&Utc));
        }
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        return Ok(at.with_timezone(&Utc));
    }
    Err(MarketplaceError::malformed(format!(
        "`{field}` is not a SHEIN time"
    )))
}

fn order_no_of(raw: &RawValue) -> Option<String> {
    match serde_json::from_str::<OrderHead>(raw.get())
        .ok()?
        .order_no?
    {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn malformed(raw: &RawValue, error: MarketplaceError) -> MalformedOrder {
    let platform_order_id = order_no_of(raw);
    tracing::warn!(
        platform = "shein",
        order_no = platform_order_id.as_deref(),
        "order does not decode: {}",
        error.message()
    );
    MalformedOrder {
        platform_order_id,
        raw: raw.get().to_owned(),
        error,
    }
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

/// SHEIN `orderStatus` ("ERP订单履约方案", 订单状态说明; the order-list filter enum) folded into
/// the neutral status. `still_with_seller` says, for 7 (pending collection), whether the
/// parcel is still the warehouse's to hand over: a SHEIN-logistics label was printed but the
/// carrier has not collected it, or units are still unshipped.
pub fn neutral_status(order_status: i64, still_with_seller: bool) -> NeutralStatus {
    match order_status {
        // Pending (paid; the seller may process it) and To Be Shipped.
        1 | 2 => NeutralStatus::AwaitingFulfillment,
        7 if still_with_seller => NeutralStatus::AwaitingFulfillment,
        // To Be Picked Up after a waybill upload, Shipped, Delivered.
        7 | 4 | 5 => NeutralStatus::Shipped,
        // Refunded: every unit refunded (by the buyer, or confirmed out of stock).
        6 => NeutralStatus::Cancelled,
        // 3 To Be Shipped by SHEIN (SHEIN fulfils from its own stock), 8 reported damaged or
        // lost, 9 rejected by the buyer, and anything new: nothing for the warehouse to do.
        _ => NeutralStatus::Other,
    }
}

/// Whether SHEIN's logistics carries the order (its label, its carrier): SHEIN-designated
/// logistics (`orderPlaceType` 1), the merchant chose SHEIN's partner logistics
/// (`orderLogisticsType` 1), or self-shipping is not an option.
pub fn ships_with_shein(d: &OrderDetail) -> bool {
    d.order_place_type == Some(1)
        || d.order_logistics_type == Some(1)
        || (!d.optional_logistics_list.is_empty() && !d.optional_logistics_list.contains(&2))
}

/// The units still to fulfil: not exchanged away (`goodsExchangeTag` 2, 4) and not refunded
/// (`newGoodsStatus` 6). When nothing is left, every unit, so the order still says what it was.
pub fn units_to_fulfil(units: &[Goods]) -> Vec<&Goods> {
    let kept: Vec<&Goods> = units
        .iter()
        .filter(|g| !matches!(g.goods_exchange_tag, Some(2 | 4)))
        .collect();
    let live: Vec<&Goods> = kept
        .iter()
        .copied()
        .filter(|g| g.new_goods_status != Some(6))
        .collect();
    match (live.is_empty(), kept.is_empty()) {
        (false, _) => live,
        (true, false) => kept,
        (true, true) => units.iter().collect(),
    }
}

/// The extras joined into an order's raw.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Joined {
    #[serde(default)]
    order_list_item: Option<ListItem>,
    #[serde(default)]
    export_address: Option<ReceiveAddress>,
}

/// SHEIN's order, as joined from the detail, the list item and the exported address, to the
/// neutral order.
pub fn to_platform_order(
    store: StoreRef,
    raw: &RawValue,
) -> Result<PlatformOrder, MarketplaceError> {
    let d: OrderDetail = decode_json(raw.get().as_bytes())?;
    let joined: Joined = decode_json(raw.get().as_bytes())?;
    let item = joined.order_list_item;
    let order_status = d
        .order_status
        .or(item.as_ref().and_then(|i| i.order_status))
        .ok_or_else(|| MarketplaceError::malformed("the order has no `orderStatus`"))?;

    let time = |list: Option<&String>, detail: Option<&String>, names: (&str, &str)| {
        let non_empty = |t: Option<&String>| t.filter(|t| !t.trim().is_empty()).cloned();
        match (non_empty(list), non_empty(detail)) {
            (Some(t), _) => parse_time(&t, names.0).map(Some),
            (None, Some(t)) => parse_time(&t, names.1).map(Some),
            (None, None) => Ok(None),
        }
    };
    let created_at = time(
        item.as_ref().and_then(|i| i.order_create_time.as_ref()),
        d.order_time.as_ref(),
        ("orderCreateTime", "orderTime"),
    )?
    .ok_or_else(|| MarketplaceError::malformed("the order has no creation time"))?;
    let updated_at = time(
        item.as_ref().and_then(|i| i.order_update_time.as_ref()),
        d.order_msg_update_time.as_ref(),
        ("orderUpdateTime", "orderMsgUpdateTime"),
    )?
    .unwrap_or(created_at)
    .max(created_at);

    let units = units_to_fulfil(&d.order_goods_info_list);
    let currency = non_empty(d.order_currency.clone())
        .or_else(|| {
            units
                .iter()
                .find_map(|g| non_empty(g.order_currency.clone()))
        })
        .map(|c| c.to_ascii_uppercase())
        .filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
        .ok_or_else(|| MarketplaceError::malformed("the order names no ISO 4217 currency"))?;

    let shein_logistics = ships_with_shein(&d);
    let unshipped = units
        .iter()
        .any(|g| matches!(g.new_goods_status, Some(1 | 2)));
    Ok(PlatformOrder {
        store: store.id,
        platform: store.platform,
        platform_order_id: d.order_no.clone(),
        platform_status: order_status.to_string(),
        status: neutral_status(order_status, shein_logistics || unshipped),
        created_at,
        updated_at,
        currency,
        buyer_name: None,
        ship_to: address(joined.export_address, &d),
        lines: lines(&units, &d.order_no),
        platform_label_hint: shein_logistics,
        raw: raw.to_owned(),
    })
}

/// One line per SKU and unit price: SHEIN lists one entry per physical unit (each with its own
/// `goodsId`), so the quantity is the count of units and the line id lists their `goodsId`s,
/// comma-separated, for the waybill upload.
fn lines(units: &[&Goods], order_no: &str) -> Vec<OrderLine> {
    let mut out: Vec<(OrderLine, Vec<String>)> = Vec::new();
    for g in units {
        let sku = non_empty(g.seller_sku.clone()).unwrap_or_default();
        let variant = non_empty(g.sku_code.clone());
        let unit_price = g.seller_currency_price.unwrap_or_else(|| {
            tracing::warn!(
                platform = "shein",
                order_no,
                goods_id = g.goods_id,
                "no sellerCurrencyPrice; 0 until the next update"
            );
            Decimal::ZERO
        });
        let same = out.iter_mut().find(|(l, _)| {
            l.platform_sku == sku && l.platform_variant_id == variant && l.unit_price == unit_price
        });
        match same {
            Some((line, ids)) => {
                line.quantity += 1;
                ids.push(g.goods_id.to_string());
            }
            None => out.push((
                OrderLine {
                    line_id: None,
                    platform_sku: sku,
                    platform_item_id: non_empty(g.spu_name.clone())
                        .or_else(|| non_empty(g.skc.clone())),
                    platform_variant_id: variant,
                    title: non_empty(g.goods_title.clone()),
                    quantity: 1,
                    unit_price,
                },
                vec![g.goods_id.to_string()],
            )),
        }
    }
    out.into_iter()
        .map(|(mut line, ids)| {
            line.line_id = Some(ids.join(","));
            line
        })
        .collect()
}

/// The exported address when there is one, else the detail's coarse destination.
fn address(exported: Option<ReceiveAddress>, d: &OrderDetail) -> Address {
    let Some(a) = exported else {
        let r = d.receive_msg.as_ref();
        let field = |f: fn(&crate::model::ReceiveMsg) -> &Option<String>| {
            r.and_then(|r| non_empty(f(r).clone()))
        };
        return Address {
            city: field(|r| &r.city),
            state: field(|r| &r.province),
            postal_code: field(|r| &r.post_code),
            country_code: field(|r| &r.country).and_then(|c| country_code(&c)),
            ..Address::default()
        };
    };
    let name = [a.first_name, a.middle_name, a.last_name]
        .into_iter()
        .filter_map(non_empty)
        .collect::<Vec<_>>()
        .join(" ");
    Address {
        name: non_empty(Some(name)),
        company: None,
        lines: [a.street, a.address, a.address_ext]
            .into_iter()
            .filter_map(non_empty)
            .collect(),
        city: non_empty(a.city),
        district: non_empty(a.district),
        state: non_empty(a.province),
        postal_code: non_empty(a.post_code),
        country_code: non_empty(a.country).and_then(|c| country_code(&c)),
        phone: non_empty(a.phone),
    }
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// ISO 3166-1 alpha-2 of a country as SHEIN spells it in addresses ("United States"), for the
/// markets SHEIN's marketplace sells in; a two-letter code passes as it is.
pub fn country_code(name: &str) -> Option<String> {
    #[rustfmt::skip]
    const COUNTRIES: &[(&str, &str)] = &[
        ("united states", "US"), ("usa", "US"), ("mexico", "MX"), ("brazil", "BR"),
        ("canada", "CA"), ("united kingdom", "GB"), ("great britain", "GB"), ("germany", "DE"),
        ("france", "FR"), ("spain", "ES"), ("italy", "IT"), ("netherlands", "NL"),
        ("poland", "PL"), ("portugal", "PT"), ("sweden", "SE"), ("belgium", "BE"),
        ("austria", "AT"), ("ireland", "IE"), ("denmark", "DK"), ("finland", "FI"),
        ("czech republic", "CZ"), ("czechia", "CZ"), ("greece", "GR"), ("romania", "RO"),
        ("hungary", "HU"), ("switzerland", "CH"), ("norway", "NO"), ("australia", "AU"),
        ("new zealand", "NZ"), ("saudi arabia", "SA"), ("united arab emirates", "AE"),
        ("kuwait", "KW"), ("qatar", "QA"), ("bahrain", "BH"), ("oman", "OM"),
        ("thailand", "TH"), ("chile", "CL"), ("colombia", "CO"), ("peru", "PE"),
        ("japan", "JP"), ("south korea", "KR"), ("israel", "IL"), ("turkey", "TR"),
        ("philippines", "PH"), ("malaysia", "MY"), ("singapore", "SG"), ("vietnam", "VN"),
    ];
    let t = name.trim();
    if t.len() == 2 && t.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Some(t.to_ascii_uppercase());
    }
    let lower = t.to_ascii_lowercase();
    COUNTRIES
        .iter()
        .find(|(n, _)| *n == lower)
        .map(|(_, code)| (*code).to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::TimeDelta;
    use core_model::{ErrorKind, Platform, StoreId};
    use std::str::FromStr;

    /// Every `orderStatus` the documents enumerate (order-list `orderStatus` filter: 1 pending
    /// processing ... 9 rejected; "ERP订单履约方案" 订单状态说明) and an unknown value, with both
    /// answers for 7 (pending collection).
    #[test]
    fn every_order_status_is_mapped() {
        use NeutralStatus::*;
        for (status, still_with_seller, want) in [
            (1, false, AwaitingFulfillment),
            (2, false, AwaitingFulfillment),
            (3, false, Other),
            (3, true, Other),
            (4, false, Shipped),
            (5, false, Shipped),
            (6, false, Cancelled),
            (7, false, Shipped),
            (7, true, AwaitingFulfillment),
            (8, false, Other),
            (9, false, Other),
            (0, false, Other),
            (99, false, Other),
        ] {
            assert_eq!(
                neutral_status(status, still_with_seller),
                want,
                "{status} {still_with_seller}"
            );
        }
    }

    #[test]
    fn time_filter_is_beijing_time_with_an_inclusive_end() {
        let from = DateTime::parse_from_rfc3339("2026-05-10T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let w = Window::new(from, from + TimeDelta::hours(48)).unwrap();
        assert_eq!(
            time_filter(&w),
            (
                "2026-05-10 08:00:00".to_owned(),
                "2026-05-12 07:59:59".to_owned()
            )
        );
        let frac = Window::new(from, from + TimeDelta::milliseconds(1500)).unwrap();
        assert_eq!(time_filter(&frac).1, "2026-05-10 08:00:01");
    }

    #[test]
    fn parses_both_time_formats() {
        let want = DateTime::parse_from_rfc3339("2025-07-25T09:22:11Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(parse_time("2025-07-25 17:22:11", "t").unwrap(), want);
        assert_eq!(
            parse_time("2025-07-25T17:22:11.000+0800", "t").unwrap(),
            want
        );
        let e = parse_time("yesterday", "orderTime").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Malformed);
        assert!(e.message().contains("orderTime"));
    }

    #[test]
    fn countries_by_name_or_code() {
        assert_eq!(country_code("United States").as_deref(), Some("US"));
        assert_eq!(country_code(" mexico ").as_deref(), Some("MX"));
        assert_eq!(country_code("fr").as_deref(), Some("FR"));
        assert_eq!(country_code("Atlantis"), None);
    }

    fn store() -> StoreRef {
        StoreRef {
            id: StoreId(7),
            platform: Platform::Shein,
        }
    }

    /// The order-detail response example of the API reference (two units of one SKU, an
    /// order-list item and an export-address entry shaped like their examples), joined.
    const SAMPLE: &str = r#"{"orderNo":"GSO1CL53800M5D4","orderType":1,"orderPlaceType":2,
        "optionalLogisticsList":[1,2],"orderLogisticsType":0,
        "receiveMsg":{"country":"United States","province":"puerto rico","city":"Jeddah","postCode":"39900-000"},
        "performanceType":2,"orderStatus":1,"isCod":2,"printOrderStatus":1,"unProcessReason":[],
        "orderGoodsInfoList":[
          {"goodsId":5230236437987443003,"skuCode":"I73dnsqbbier","skc":"sa25060976623960851","goodsSn":"dangao wen 01",
           "sellerSku":"TEE-NVY-M","goodsStatus":1,"newGoodsStatus":1,"goodsTitle":"Tee","goodsExchangeTag":1,
           "orderCurrency":"USD","sellerCurrencyPrice":12.98,"spuName":"a250609766239"},
          {"goodsId":5230236437987443004,"skuCode":"I73dnsqbbier","skc":"sa25060976623960851","goodsSn":"dangao wen 01",
           "sellerSku":"TEE-NVY-M","goodsStatus":1,"newGoodsStatus":1,"goodsTitle":"Tee","goodsExchangeTag":1,
           "orderCurrency":"USD","sellerCurrencyPrice":12.98,"spuName":"a250609766239"},
          {"goodsId":5230236437987443005,"skuCode":"I73dnsqbbiex","sellerSku":"","newGoodsStatus":6,
           "orderCurrency":"USD","sellerCurrencyPrice":3.10}],
        "packageWaybillList":[],"orderCurrency":"USD","productTotalPrice":25.96,
        "orderTime":"2025-07-25T17:22:11.000+0800","orderMsgUpdateTime":"2025-07-25T17:28:40.319+0800",
        "salesSite":"shein-us","stockMode":3,
        "orderListItem":{"orderNo":"GSO1CL53800M5D4","orderStatus":"1","orderCreateTime":"2025-07-25 17:22:11","orderUpdateTime":"2025-07-25 17:29:34"},
        "exportAddress":{"orderNo":"GSO1CL53800M5D4","lastName":"Fixture","middleName":null,"firstName":"Jordan",
          "country":"United States","province":"MARYLAND","city":"Port Deposit","district":"","street":"",
          "address":"127 Fixture Avenue","addressExt":"Unit 4","phone":"5550100123","postCode":"21904","taxNo":""}}"#;

    #[test]
    fn maps_one_order_end_to_end() {
        let raw = RawValue::from_string(SAMPLE.to_owned()).unwrap();
        let o = to_platform_order(store(), &raw).unwrap();
        assert_eq!(o.platform_order_id, "GSO1CL53800M5D4");
        assert_eq!(
            (o.platform_status.as_str(), o.status),
            ("1", NeutralStatus::AwaitingFulfillment)
        );
        assert_eq!(o.created_at.to_rfc3339(), "2025-07-25T09:22:11+00:00");
        assert_eq!(o.updated_at.to_rfc3339(), "2025-07-25T09:29:34+00:00");
        assert_eq!(o.currency, "USD");
        assert_eq!(o.ship_to.name.as_deref(), Some("Jordan Fixture"));
        assert_eq!(o.ship_to.lines, vec!["127 Fixture Avenue", "Unit 4"]);
        assert_eq!(o.ship_to.city.as_deref(), Some("Port Deposit"));
        assert_eq!(o.ship_to.state.as_deref(), Some("MARYLAND"));
        assert_eq!(o.ship_to.postal_code.as_deref(), Some("21904"));
        assert_eq!(o.ship_to.country_code.as_deref(), Some("US"));
        assert_eq!(o.ship_to.phone.as_deref(), Some("5550100123"));
        assert_eq!(o.lines.len(), 1, "the refunded unit is left out");
        let l = &o.lines[0];
        assert_eq!(
            l.line_id.as_deref(),
            Some("5230236437987443003,5230236437987443004")
        );
        assert_eq!(l.platform_sku, "TEE-NVY-M");
        assert_eq!(l.platform_item_id.as_deref(), Some("a250609766239"));
        assert_eq!(l.platform_variant_id.as_deref(), Some("I73dnsqbbier"));
        assert_eq!(l.title.as_deref(), Some("Tee"));
        assert_eq!(
            (l.quantity, l.unit_price),
            (2, Decimal::from_str("12.98").unwrap())
        );
        assert!(!o.platform_label_hint, "self-shipping is an option");
        assert_eq!(o.raw.get(), SAMPLE, "raw is the joined JSON as received");
        assert!(!format!("{o:?}").contains("Jordan"));
    }

    #[test]
    fn shein_logistics_orders_waiting_for_collection_still_await_fulfillment() {
        let text = SAMPLE
            .replace(r#""orderPlaceType":2"#, r#""orderPlaceType":1"#)
            .replace(
                r#""optionalLogisticsList":[1,2]"#,
                r#""optionalLogisticsList":[1]"#,
            )
            .replace(r#""orderStatus":1,"#, r#""orderStatus":7,"#)
            .replace(r#""newGoodsStatus":1"#, r#""newGoodsStatus":7"#);
        let raw = RawValue::from_string(text.clone()).unwrap();
        let o = to_platform_order(store(), &raw).unwrap();
        assert!(o.platform_label_hint);
        assert_eq!(o.status, NeutralStatus::AwaitingFulfillment);
        // Self-shipped with a waybill on every unit: shipped.
        let text = text
            .replace(r#""orderPlaceType":1"#, r#""orderPlaceType":2"#)
            .replace(
                r#""optionalLogisticsList":[1]"#,
                r#""optionalLogisticsList":[2]"#,
            );
        let o = to_platform_order(store(), &RawValue::from_string(text).unwrap()).unwrap();
        assert!(!o.platform_label_hint);
        assert_eq!(o.status, NeutralStatus::Shipped);
    }

    #[test]
    fn a_refunded_order_keeps_its_units_and_the_detail_address_is_coarse() {
        let text = SAMPLE
            .replace(r#""orderStatus":1,"#, r#""orderStatus":6,"#)
            .replace(r#""newGoodsStatus":1"#, r#""newGoodsStatus":6"#);
        let key = text.find(r#""exportAddress""#).unwrap();
        let comma = text[..key].rfind(',').unwrap();
        let text = format!("{}}}", &text[..comma]);
        let o = to_platform_order(store(), &RawValue::from_string(text).unwrap()).unwrap();
        assert_eq!(o.status, NeutralStatus::Cancelled);
        assert_eq!(o.lines.iter().map(|l| l.quantity).sum::<u32>(), 3);
        assert_eq!(o.ship_to.name, None);
        assert_eq!(o.ship_to.city.as_deref(), Some("Jeddah"));
        assert_eq!(o.ship_to.country_code.as_deref(), Some("US"));
    }

    #[test]
    fn an_order_that_does_not_fit_is_malformed() {
        let text = SAMPLE.replace(
            r#""sellerCurrencyPrice":12.98"#,
            r#""sellerCurrencyPrice":"12,98""#,
        );
        let raw = RawValue::from_string(text).unwrap();
        let e = to_platform_order(store(), &raw).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Malformed);
        assert!(
            e.message().contains("sellerCurrencyPrice"),
            "{}",
            e.message()
        );
        assert!(!e.message().contains("12,98"));
        let m = malformed(&raw, e);
        assert_eq!(m.platform_order_id.as_deref(), Some("GSO1CL53800M5D4"));
        let no_currency = SAMPLE.replace(r#""orderCurrency":"USD""#, r#""orderCurrency":null"#);
        assert_eq!(
            to_platform_order(store(), &RawValue::from_string(no_currency).unwrap())
                .unwrap_err()
                .kind(),
            ErrorKind::Malformed
        );
    }

    #[test]
    fn join_keeps_the_detail_and_appends_answers() {
        let item = RawValue::from_string(r#"{"orderNo":"A", "x":[]}"#.into()).unwrap();
        let extra = RawValue::from_string(r#"{"y":1}"#.into()).unwrap();
        assert_eq!(
            join_raw(&item, &[("orderListItem", extra)]).unwrap().get(),
            r#"{"orderNo":"A", "x":[],"orderListItem":{"y":1}}"#
        );
        let array = RawValue::from_string("[1]".into()).unwrap();
        assert!(join_raw(&array, &[]).is_err());
    }
}
