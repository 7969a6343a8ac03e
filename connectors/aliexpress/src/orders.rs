//! Order pull: `aliexpress.solution.order.get` by modified time (US Pacific), page by page
//! (`current_page`/`page_size`), in slices of at most [`MAX_WINDOW`]. Each slice is walked twice:
//! once with no status filter (every status but `FINISH`) and once with `order_status=FINISH`,
//! which the list only returns when asked for on its own. The list carries the lines
//! (`product_list` with `sku_code`, `product_count`, `product_unit_price`); only orders to ship
//! need the receipt address, so only they get one `aliexpress.solution.order.info.get` each.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc, Weekday};
use connector_kit::cursor::WindowCursor;
use connector_kit::decode_json;
use core_model::{
    Address, Cursor, MalformedOrder, MarketplaceError, NeutralStatus, Operation, OrderLine,
    OrderPage, PlatformOrder, StoreRef, Window,
};
use serde_json::value::RawValue;

use crate::model::{
    response_of, Order, OrderIdOnly, OrderInfoResponse, OrderListResponse, OrderListResult,
    OrderProduct, OrderQuery, ReceiptAddress,
};
use crate::AliexpressConnector;

/// No longest window is documented for `aliexpress.solution.order.get`; 7-day slices keep one
/// slice's page walk short (aliexpress.md section 3, **unverified**).
pub const MAX_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);
/// "Number of pages per page, max 50" on the order list APIs of the family (the solution API
/// states no maximum).
pub const PAGE_SIZE: u32 = 50;
/// The endpoint class of the order APIs.
pub const ORDERS_CLASS: &str = "orders";

pub const LIST_METHOD: &str = "aliexpress.solution.order.get";
pub const DETAIL_METHOD: &str = "aliexpress.solution.order.info.get";

/// Which walk of a slice a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// No status filter: every order status except `FINISH`.
    Open,
    /// `order_status=FINISH`: closed orders (delivered, or cancelled before shipping).
    Finished,
}

impl Pass {
    fn name(self) -> &'static str {
        match self {
            Pass::Open => "open",
            Pass::Finished => "finish",
        }
    }

    fn status_filter(self) -> Option<&'static str> {
        match self {
            Pass::Open => None,
            Pass::Finished => Some("FINISH"),
        }
    }
}

/// The page part of the cursor: `open:2`, `finish:1`; none is the first page of the slice.
fn parse_page(page: Option<&str>) -> Result<(Pass, u32), MarketplaceError> {
    let Some(page) = page else {
        return Ok((Pass::Open, 1));
    };
    let bad = || MarketplaceError::permanent("the cursor was not made by this connector");
    let (pass, number) = page.split_once(':').ok_or_else(bad)?;
    let pass = match pass {
        "open" => Pass::Open,
        "finish" => Pass::Finished,
        _ => return Err(bad()),
    };
    let number: u32 = number.parse().map_err(|_| bad())?;
    if number == 0 {
        return Err(bad());
    }
    Ok((pass, number))
}

/// One page: one list call, then one detail call per order still to ship.
pub async fn pull_orders(
    c: &AliexpressConnector,
    window: Window,
    cursor: Option<&Cursor>,
) -> Result<OrderPage, MarketplaceError> {
    let position = WindowCursor::resume(&window, cursor)?;
    let slice = position.slice(&window, Some(MAX_WINDOW));
    let (pass, page_number) = parse_page(position.page.as_deref())?;
    let list = list_page(c, &slice, pass, page_number).await?;

    let mut page = OrderPage::default();
    for raw in &list.target_list {
        let id = serde_json::from_str::<OrderIdOnly>(raw.get())
            .ok()
            .and_then(|o| o.order_id);
        match read_order(c, raw).await? {
            Ok(order) => page.orders.push(order),
            Err(error) => {
                tracing::warn!(
                    platform = "aliexpress",
                    order_id = id.as_deref(),
                    "order does not decode: {}",
                    error.message()
                );
                page.malformed.push(MalformedOrder {
                    platform_order_id: id,
                    raw: raw.get().to_owned(),
                    error,
                });
            }
        }
    }

    let returned = list.target_list.len() as u64;
    let more = returned > 0
        && match list.total_page {
            Some(total) => u64::from(page_number) < total,
            None => returned >= u64::from(PAGE_SIZE),
        };
    let next = if more {
        Some(format!("{}:{}", pass.name(), page_number + 1))
    } else if pass == Pass::Open {
        Some(format!("{}:1", Pass::Finished.name()))
    } else {
        None
    };
    page.next_cursor = position.advance(&window, Some(MAX_WINDOW), next);
    Ok(page)
}

/// One list order to the neutral form, joined with its detail when it is to be shipped. The
/// outer error fails the page (network, token, throttle); the inner one flags the order.
async fn read_order(
    c: &AliexpressConnector,
    raw: &RawValue,
) -> Result<Result<PlatformOrder, MarketplaceError>, MarketplaceError> {
    let order: Order = match decode_json(raw.get().as_bytes()) {
        Ok(order) => order,
        Err(e) => return Ok(Err(e)),
    };
    if order_status(&order.order_status, None, None) != NeutralStatus::AwaitingFulfillment {
        return Ok(to_platform_order(c.store(), raw));
    }
    let detail = match order_detail(c, Operation::PullOrders, &order.order_id).await {
        Ok(detail) => detail,
        Err(e) if e.kind() == core_model::ErrorKind::Malformed => return Ok(Err(e)),
        Err(e) => return Err(e),
    };
    Ok(join(raw, &detail).and_then(|joined| to_platform_order(c.store(), &joined)))
}

async fn list_page(
    c: &AliexpressConnector,
    slice: &Window,
    pass: Pass,
    page: u32,
) -> Result<OrderListResult, MarketplaceError> {
    let query = OrderQuery {
        current_page: page,
        page_size: PAGE_SIZE,
        modified_date_start: pacific_text(slice.from),
        modified_date_end: pacific_text(slice.to),
        order_status: pass.status_filter(),
    };
    let param0 = serde_json::to_string(&query)
        .map_err(|e| MarketplaceError::permanent(format!("cannot encode `param0`: {e}")))?;
    let response = c
        .call(
            Operation::PullOrders,
            ORDERS_CLASS,
            LIST_METHOD,
            vec![("param0".to_owned(), param0)],
        )
        .await?;
    let list: OrderListResponse = response_of(&response.body, LIST_METHOD)?;
    Ok(list.result)
}

/// `aliexpress.solution.order.info.get` for one order: its `result.data` as received. No
/// `ext_info_bit_flag`: "leaving this field blank means return all information".
pub(crate) async fn order_detail(
    c: &AliexpressConnector,
    op: Operation,
    order_id: &str,
) -> Result<Box<RawValue>, MarketplaceError> {
    let id: u64 = order_id
        .trim()
        .parse()
        .map_err(|_| MarketplaceError::permanent("AliExpress order ids are numbers"))?;
    let param1 = serde_json::json!({ "order_id": id }).to_string();
    let response = c
        .call(
            op,
            ORDERS_CLASS,
            DETAIL_METHOD,
            vec![("param1".to_owned(), param1)],
        )
        .await?;
    let info: OrderInfoResponse = response_of(&response.body, DETAIL_METHOD)?;
    info.result
        .data
        .ok_or_else(|| MarketplaceError::malformed("the order detail has no `result.data`"))
}

/// The list order with the detail appended as `order_detail`, byte for byte otherwise.
fn join(order: &RawValue, detail: &RawValue) -> Result<Box<RawValue>, MarketplaceError> {
    let text = order.get().trim();
    let body = text
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .ok_or_else(|| MarketplaceError::malformed("order is not a JSON object"))?;
    let separator = if body.trim().is_empty() { "" } else { "," };
    RawValue::from_string(format!(
        "{{{body}{separator}\"order_detail\":{}}}",
        detail.get()
    ))
    .map_err(|_| MarketplaceError::malformed("order does not join with its detail"))
}

/// US daylight saving time (since 2007): from the second Sunday of March, 02:00 PST (10:00
/// UTC), to the first Sunday of November, 02:00 PDT (09:00 UTC).
fn pacific_daylight(utc: NaiveDateTime) -> bool {
    let year = chrono::Datelike::year(&utc.date());
    let at = |month, n, hour| {
        NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Sun, n)
            .and_then(|d| d.and_hms_opt(hour, 0, 0))
    };
    match (at(3, 2, 10), at(11, 1, 9)) {
        (Some(start), Some(end)) => start <= utc && utc < end,
        _ => false,
    }
}

/// A time as the order APIs want it: `yyyy-MM-dd HH:mm:ss` in US Pacific time (PST or PDT),
/// whole seconds.
pub fn pacific_text(t: DateTime<Utc>) -> String {
    let hours = if pacific_daylight(t.naive_utc()) {
        7
    } else {
        8
    };
    (t.naive_utc() - TimeDelta::hours(hours))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// An order time (`gmt_create`, `gmt_update`: "it's US Pacific time"). In the repeated hour of
/// November the earlier (daylight) reading wins. RFC 3339 text is read as such.
pub fn parse_pacific(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        return Some(at.with_timezone(&Utc));
    }
    let local = NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").ok()?;
    let daylight = local + TimeDelta::hours(7);
    let utc = if pacific_daylight(daylight) {
        daylight
    } else {
        local + TimeDelta::hours(8)
    };
    Some(utc.and_utc())
}

/// `end_reason` values that close a delivered order (integrator code; the enumeration is not
/// published, **unverified**).
const DELIVERED_REASONS: &[&str] = &[
    "buyer_confirm_goods",
    "buyer_confirm_goods_timeout",
    "buyer_accept_goods",
    "buyer_accept_goods_timeout",
];

/// `end_reason` values that close an order without delivery.
const CANCELLED_REASONS: &[&str] = &[
    "buyer_cancel_order",
    "buyer_cancel_notpay_order",
    "buyer_cancel_order_in_risk",
    "pay_timeout",
    "buyer_pay_timeout",
    "risk_closed",
    "risk_reject_closed",
    "security_close",
    "suspicious_trade",
    "confirm_payamount_timeout",
    "reject_payamount",
    "send_goods_timeout",
    "seller_send_goods_timeout",
    "cancel_order_close_trade",
    "trade_close",
    "seller_accept_issue_no_goods_return",
    "seller_response_issue_timeout",
];

/// Logistics states after the seller declared shipment.
const SENT_LOGISTICS: &[&str] = &[
    "SELLER_SEND_GOODS",
    "SELLER_SEND_PART_GOODS",
    "BUYER_ACCEPT_GOODS",
];

/// The neutral status of an order (`order_status` as documented for `OrderQuery`).
pub fn order_status(
    status: &str,
    end_reason: Option<&str>,
    logistics_status: Option<&str>,
) -> NeutralStatus {
    match status {
        "WAIT_SELLER_SEND_GOODS" | "SELLER_PART_SEND_GOODS" => NeutralStatus::AwaitingFulfillment,
        // Shipped and waiting for receipt; received, funds being settled.
        "WAIT_BUYER_ACCEPT_GOODS" | "FUND_PROCESSING" => NeutralStatus::Shipped,
        "FINISH" => finished(end_reason, logistics_status),
        // PLACE_ORDER_SUCCESS (unpaid), RISK_CONTROL (24 h check after payment), IN_CANCEL
        // (buyer asked to cancel: do not ship), IN_ISSUE, IN_FROZEN, WAIT_SELLER_EXAMINE_MONEY,
        // and anything new.
        _ => NeutralStatus::Other,
    }
}

/// A closed order was delivered or cancelled: its `end_reason` says which; without a known
/// reason, whether the seller ever declared shipment decides.
fn finished(end_reason: Option<&str>, logistics_status: Option<&str>) -> NeutralStatus {
    let reason = end_reason.map(str::trim).unwrap_or_default();
    if DELIVERED_REASONS.contains(&reason) {
        return NeutralStatus::Shipped;
    }
    if CANCELLED_REASONS.contains(&reason) {
        return NeutralStatus::Cancelled;
    }
    match logistics_status {
        Some(s) if SENT_LOGISTICS.contains(&s) => NeutralStatus::Shipped,
        _ => NeutralStatus::Cancelled,
    }
}

/// A list order (with `order_detail` joined for orders to ship) to the neutral order.
pub fn to_platform_order(
    store: StoreRef,
    raw: &RawValue,
) -> Result<PlatformOrder, MarketplaceError> {
    let o: Order = decode_json(raw.get().as_bytes())?;
    let time = |text: &str, field: &str| {
        parse_pacific(text)
            .ok_or_else(|| MarketplaceError::malformed(format!("`{field}` is not a time")))
    };
    let created_at = time(&o.gmt_create, "gmt_create")?;
    let detail = o.order_detail.unwrap_or_default();
    let mut updated_at = created_at;
    for (text, field) in [
        (o.gmt_update.as_deref(), "gmt_update"),
        (detail.gmt_modified.as_deref(), "order_detail.gmt_modified"),
    ] {
        if let Some(text) = text.filter(|t| !t.trim().is_empty()) {
            updated_at = updated_at.max(time(text, field)?);
        }
    }
    if o.product_list.is_empty() {
        return Err(MarketplaceError::malformed("the order has no products"));
    }
    let currency = o
        .pay_amount
        .as_ref()
        .and_then(|m| m.currency_code.clone())
        .or_else(|| {
            o.product_list
                .iter()
                .find_map(|p| p.product_unit_price.currency_code.clone())
        })
        .ok_or_else(|| MarketplaceError::malformed("the order names no currency"))?;
    let status = order_status(
        &o.order_status,
        o.end_reason.as_deref(),
        o.logistics_status.as_deref(),
    );
    // A partly shipped order: the child orders already on their way are not to be shipped again.
    let still_to_ship: Vec<&OrderProduct> = o
        .product_list
        .iter()
        .filter(|p| {
            o.order_status != "SELLER_PART_SEND_GOODS"
                || !matches!(
                    p.son_order_status.as_deref(),
                    Some("WAIT_BUYER_ACCEPT_GOODS" | "FUND_PROCESSING" | "FINISH")
                )
        })
        .collect();
    let products = if still_to_ship.is_empty() {
        o.product_list.iter().collect()
    } else {
        still_to_ship
    };
    let lines = products
        .into_iter()
        .map(line)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PlatformOrder {
        store: store.id,
        platform: store.platform,
        platform_order_id: o.order_id,
        platform_status: o.order_status,
        status,
        created_at,
        updated_at,
        currency,
        buyer_name: non_empty(o.buyer_signer_fullname),
        ship_to: address(detail.receipt_address.unwrap_or_default()),
        lines,
        // AliExpress prints labels for its own (Cainiao) online logistics services.
        platform_label_hint: o.product_list.iter().any(|p| {
            p.logistics_type
                .as_deref()
                .is_some_and(|t| t.to_ascii_uppercase().starts_with("CAINIAO"))
        }),
        raw: raw.to_owned(),
    })
}

/// One child order: `sku_code` is the seller's SKU, `product_count` units at
/// `product_unit_price` each.
fn line(p: &OrderProduct) -> Result<OrderLine, MarketplaceError> {
    Ok(OrderLine {
        line_id: p.child_id.clone(),
        platform_sku: p.sku_code.clone().unwrap_or_default().trim().to_owned(),
        platform_item_id: p.product_id.clone(),
        platform_variant_id: None,
        title: non_empty(p.product_name.clone()),
        quantity: u32::try_from(p.product_count)
            .map_err(|_| MarketplaceError::malformed("`product_count` is out of range"))?,
        unit_price: p.product_unit_price.amount,
    })
}

/// `receipt_address`: `detail_address` is the street (`address` when it is empty), `country`
/// ISO-2, the phone `mobile_no` else `phone_country` + `phone_area` + `phone_number`.
fn address(a: ReceiptAddress) -> Address {
    let street = non_empty(a.detail_address).or(non_empty(a.address));
    let second = non_empty(a.address2).filter(|s| Some(s) != street.as_ref());
    let country_code = |cc: &Option<String>| {
        cc.as_deref()
            .map(|c| c.trim().trim_start_matches('+'))
            .filter(|c| !c.is_empty())
            .map(|c| format!("+{c}"))
    };
    let phone = match non_empty(a.mobile_no) {
        Some(mobile) => Some(
            [country_code(&a.phone_country), Some(mobile)]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
        ),
        None => non_empty(a.phone_number).map(|number| {
            [
                country_code(&a.phone_country),
                non_empty(a.phone_area),
                Some(number),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
        }),
    };
    Address {
        name: non_empty(a.contact_person),
        company: None,
        lines: [street, second].into_iter().flatten().collect(),
        city: non_empty(a.city),
        district: None,
        state: non_empty(a.province),
        postal_code: non_empty(a.zip),
        country_code: non_empty(a.country).map(|c| c.to_ascii_uppercase()),
        phone,
    }
}

pub(crate) fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::TimeZone;
    use core_model::{Platform, StoreId};
    use rust_decimal::Decimal;
    use std::str::FromStr;

    /// Every `order_status` value `OrderQuery` documents, value by value.
    #[test]
    fn every_documented_status_is_mapped() {
        use NeutralStatus::*;
        for (status, want) in [
            ("PLACE_ORDER_SUCCESS", Other),
            ("IN_CANCEL", Other),
            ("WAIT_SELLER_SEND_GOODS", AwaitingFulfillment),
            ("SELLER_PART_SEND_GOODS", AwaitingFulfillment),
            ("WAIT_BUYER_ACCEPT_GOODS", Shipped),
            ("FUND_PROCESSING", Shipped),
            ("IN_ISSUE", Other),
            ("IN_FROZEN", Other),
            ("WAIT_SELLER_EXAMINE_MONEY", Other),
            ("RISK_CONTROL", Other),
            ("SOMETHING_NEW", Other),
        ] {
            assert_eq!(order_status(status, None, None), want, "{status}");
        }
    }

    #[test]
    fn finished_orders_follow_their_end_reason() {
        use NeutralStatus::*;
        for reason in DELIVERED_REASONS {
            assert_eq!(
                order_status("FINISH", Some(reason), None),
                Shipped,
                "{reason}"
            );
        }
        for reason in CANCELLED_REASONS {
            let got = order_status("FINISH", Some(reason), Some("SELLER_SEND_GOODS"));
            assert_eq!(got, Cancelled, "{reason}");
        }
        // No or an unknown reason (`end_issue`): a declared shipment means it went out.
        for logistics in SENT_LOGISTICS {
            assert_eq!(
                order_status("FINISH", Some("end_issue"), Some(logistics)),
                Shipped
            );
        }
        assert_eq!(
            order_status("FINISH", None, Some("NO_LOGISTICS")),
            Cancelled
        );
        assert_eq!(order_status("FINISH", Some(""), None), Cancelled);
    }

    #[test]
    fn pacific_time_follows_daylight_saving() {
        // May: PDT (UTC-7).
        let may = Utc.with_ymd_and_hms(2026, 5, 10, 0, 0, 0).unwrap();
        assert_eq!(pacific_text(may), "2026-05-09 17:00:00");
        // January: PST (UTC-8).
        let jan = Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 30).unwrap();
        assert_eq!(pacific_text(jan), "2026-01-15 04:00:30");
        // 2026: DST from Sunday 8 March 10:00 UTC to Sunday 1 November 09:00 UTC.
        let before = Utc.with_ymd_and_hms(2026, 3, 8, 9, 59, 59).unwrap();
        assert_eq!(pacific_text(before), "2026-03-08 01:59:59");
        let after = Utc.with_ymd_and_hms(2026, 3, 8, 10, 0, 0).unwrap();
        assert_eq!(pacific_text(after), "2026-03-08 03:00:00");
        let last = Utc.with_ymd_and_hms(2026, 11, 1, 8, 59, 59).unwrap();
        assert_eq!(pacific_text(last), "2026-11-01 01:59:59");
        let back = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
        assert_eq!(pacific_text(back), "2026-11-01 01:00:00");
        let fraction = may + TimeDelta::milliseconds(900);
        assert_eq!(pacific_text(fraction), "2026-05-09 17:00:00");

        for t in [may, jan, before, after, back + TimeDelta::hours(1)] {
            assert_eq!(parse_pacific(&pacific_text(t)), Some(t), "{t}");
        }
        assert_eq!(
            parse_pacific("2026-11-01 01:30:00"),
            Some(Utc.with_ymd_and_hms(2026, 11, 1, 8, 30, 0).unwrap()),
            "the repeated hour reads as daylight time"
        );
        assert_eq!(
            parse_pacific("2026-05-10T08:00:00Z"),
            Some(Utc.with_ymd_and_hms(2026, 5, 10, 8, 0, 0).unwrap())
        );
        assert_eq!(parse_pacific("yesterday"), None);
    }

    #[test]
    fn cursor_pages_name_their_pass() {
        assert_eq!(parse_page(None).unwrap(), (Pass::Open, 1));
        assert_eq!(parse_page(Some("open:3")).unwrap(), (Pass::Open, 3));
        assert_eq!(parse_page(Some("finish:1")).unwrap(), (Pass::Finished, 1));
        for bad in ["3", "open:0", "open:x", "done:1"] {
            assert!(parse_page(Some(bad)).is_err(), "{bad}");
        }
    }

    fn store() -> StoreRef {
        StoreRef {
            id: StoreId(7),
            platform: Platform::Aliexpress,
        }
    }

    /// The `aliexpress.solution.order.get` response sample's `order_dto` fields, joined with an
    /// `aliexpress.solution.order.info.get` `data` as the pull joins them.
    const SAMPLE: &str = r#"{"order_id":8123456789012345,"order_status":"WAIT_SELLER_SEND_GOODS",
        "biz_type":"AE_COMMON","gmt_create":"2024-05-28 18:02:11","gmt_update":"2024-05-28 18:05:40",
        "gmt_pay_time":"2024-05-28 18:02:30","pay_amount":{"amount":"31.85","currency_code":"USD"},
        "fund_status":"PAY_SUCCESS","frozen_status":"NO_FROZEN","issue_status":"NO_ISSUE",
        "logistics_status":"NO_LOGISTICS","end_reason":"","buyer_login_id":"us1234567890abcd",
        "buyer_signer_fullname":"Jane Doe","product_list":{"order_product_dto":[
            {"child_id":8123456789022345,"order_id":8123456789012345,"product_id":1005006123456789,
             "sku_code":"TEE-BLK-L","product_name":"Cotton Tee","product_count":2,"product_unit":"piece",
             "product_unit_price":{"amount":"12.95","currency_code":"USD"},
             "total_product_amount":{"amount":"25.90","currency_code":"USD"},
             "logistics_type":"CAINIAO_STANDARD","son_order_status":"WAIT_SELLER_SEND_GOODS"},
            {"child_id":"8123456789032345","product_id":1005006123456790,"sku_code":" MUG-1 ",
             "product_name":"Mug","product_count":"1","product_unit_price":{"amount":5.95,"currency_code":"USD"}}]},
        "order_detail":{"id":8123456789012345,"gmt_modified":"2024-05-28 18:06:00",
            "order_status":"WAIT_SELLER_SEND_GOODS","receipt_address":{"contact_person":"Jane Doe",
            "detail_address":"12 Harbor Street","address2":"Apt 4","city":"Seattle","province":"Washington",
            "zip":"98101","country":"US","mobile_no":"2065550100","phone_country":"+1"}}}"#;

    #[test]
    fn maps_one_order_end_to_end() {
        let raw = RawValue::from_string(SAMPLE.to_owned()).unwrap();
        let o = to_platform_order(store(), &raw).unwrap();
        assert_eq!(o.platform_order_id, "8123456789012345");
        assert_eq!(o.platform_status, "WAIT_SELLER_SEND_GOODS");
        assert_eq!(o.status, NeutralStatus::AwaitingFulfillment);
        // May: PDT, so 18:02:11 Pacific is 01:02:11 UTC the next day.
        assert_eq!(
            o.created_at,
            Utc.with_ymd_and_hms(2024, 5, 29, 1, 2, 11).unwrap()
        );
        assert_eq!(
            o.updated_at,
            Utc.with_ymd_and_hms(2024, 5, 29, 1, 6, 0).unwrap(),
            "the detail's gmt_modified is newer than the list's gmt_update"
        );
        assert_eq!(o.currency, "USD");
        assert_eq!(o.buyer_name.as_deref(), Some("Jane Doe"));
        assert_eq!(o.ship_to.name.as_deref(), Some("Jane Doe"));
        assert_eq!(o.ship_to.lines, ["12 Harbor Street", "Apt 4"]);
        assert_eq!(o.ship_to.city.as_deref(), Some("Seattle"));
        assert_eq!(o.ship_to.state.as_deref(), Some("Washington"));
        assert_eq!(o.ship_to.postal_code.as_deref(), Some("98101"));
        assert_eq!(o.ship_to.country_code.as_deref(), Some("US"));
        assert_eq!(o.ship_to.phone.as_deref(), Some("+1 2065550100"));
        assert_eq!(o.lines.len(), 2);
        let a = &o.lines[0];
        assert_eq!(a.line_id.as_deref(), Some("8123456789022345"));
        assert_eq!(a.platform_sku, "TEE-BLK-L");
        assert_eq!(a.platform_item_id.as_deref(), Some("1005006123456789"));
        assert_eq!(a.title.as_deref(), Some("Cotton Tee"));
        assert_eq!(
            (a.quantity, a.unit_price),
            (2, Decimal::from_str("12.95").unwrap())
        );
        let b = &o.lines[1];
        assert_eq!(b.platform_sku, "MUG-1");
        assert_eq!((b.quantity, b.unit_price.to_string().as_str()), (1, "5.95"));
        assert!(o.platform_label_hint);
        assert_eq!(o.raw.get(), SAMPLE, "raw is the joined order as received");
        assert_eq!(o.store, StoreId(7));
    }

    #[test]
    fn a_partly_shipped_order_keeps_only_what_is_left() {
        let text = SAMPLE
            .replacen(
                r#""order_status":"WAIT_SELLER_SEND_GOODS""#,
                r#""order_status":"SELLER_PART_SEND_GOODS""#,
                1,
            )
            .replace(
                r#""son_order_status":"WAIT_SELLER_SEND_GOODS""#,
                r#""son_order_status":"WAIT_BUYER_ACCEPT_GOODS""#,
            );
        let raw = RawValue::from_string(text).unwrap();
        let o = to_platform_order(store(), &raw).unwrap();
        assert_eq!(o.status, NeutralStatus::AwaitingFulfillment);
        assert_eq!(o.lines.len(), 1);
        assert_eq!(o.lines[0].platform_sku, "MUG-1");
    }

    #[test]
    fn join_appends_the_detail_and_keeps_the_order_bytes() {
        let order = RawValue::from_string(r#"{"order_id": 1, "x": 1.10 }"#.to_owned()).unwrap();
        let detail = RawValue::from_string(r#"{"id":1}"#.to_owned()).unwrap();
        assert_eq!(
            join(&order, &detail).unwrap().get(),
            r#"{"order_id": 1, "x": 1.10 ,"order_detail":{"id":1}}"#
        );
        let array = RawValue::from_string("[1]".to_owned()).unwrap();
        assert!(join(&array, &detail).is_err());
    }

    #[test]
    fn an_order_that_does_not_fit_is_malformed() {
        let raw = RawValue::from_string(
            r#"{"order_id":1,"order_status":"FINISH","gmt_create":1778400000,"product_list":[]}"#
                .to_owned(),
        )
        .unwrap();
        let e = to_platform_order(store(), &raw).unwrap_err();
        assert_eq!(e.kind(), core_model::ErrorKind::Malformed);
        assert!(e.message().contains("gmt_create"), "{}", e.message());
        assert!(!e.message().contains("1778400000"));
    }
}
