//! Order pull: the PO list by day (`GET .../v4/vendors/{vendorId}/ordersheets`), one call per
//! status the OMS needs, folded into one cursor; and the one mapping from a PO sheet to
//! `PlatformOrder`.
//!
//! The list filters by creation date in whole KST calendar days (`createdAtFrom`/`createdAtTo`
//! as `yyyy-MM-dd`, both ends included) over at most 31 days, and by exactly one `status`.
//! A window is widened to the KST days it touches and cut into slices of at most 31 days; each
//! slice walks the statuses in flow order, following `nextToken` within each. Walking forward
//! means a box that moves on mid-pull (ACCEPT -> INSTRUCT) is met again later, never missed.
//! Orders are not filtered back to the window: Coupang does not say which timestamp its
//! `createdAt` filter reads, and a box dropped here would not come back in the next window.
//! <https://developers.coupangcorp.com/hc/en-us/articles/360033919573-PO-list-query-paging-by-day>

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Days, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use connector_kit::cursor::WindowCursor;
use connector_kit::decode_json;
use core_model::{
    Address, Cursor, MalformedOrder, MarketplaceError, NeutralStatus, Operation, OrderLine,
    OrderPage, PlatformOrder, StoreRef, Window,
};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use crate::model::{BoxIdOnly, OrderItem, OrderSheet, OrderSheetList};
use crate::CoupangConnector;

/// Every PO sheet status, in flow order; the pull asks for each (one `status` per call).
pub const STATUSES: [&str; 6] = [
    "ACCEPT",
    "INSTRUCT",
    "DEPARTURE",
    "DELIVERING",
    "FINAL_DELIVERY",
    "NONE_TRACKING",
];
/// KST calendar days one list call may span (`endTime-startTime range should less than31.`:
/// the end date is at most 30 days after the start date).
pub const MAX_DAYS: u64 = 31;
/// The longest window one call covers when it starts at KST midnight.
pub const MAX_WINDOW: Duration = Duration::from_secs(MAX_DAYS * 24 * 3600);
/// `maxPerPage`: the documented default and maximum.
pub const PAGE_SIZE: u32 = 50;
/// Korea Standard Time has no daylight saving: UTC+9 all year.
pub const KST_OFFSET_SECS: i32 = 9 * 3600;

pub const ORDERSHEETS: &str = "/ordersheets";

fn kst() -> FixedOffset {
    FixedOffset::east_opt(KST_OFFSET_SECS).unwrap_or(chrono::Offset::fix(&Utc))
}

/// One list call's date range, and where the next slice starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub next_start: Option<DateTime<Utc>>,
}

/// The slice of `window` that starts at `start`: the KST date of `start` up to 30 days later or
/// the window's last KST date, whichever comes first.
pub fn slice_at(window: &Window, start: DateTime<Utc>) -> Slice {
    let first = start.with_timezone(&kst()).date_naive();
    let window_last = (window.to - TimeDelta::nanoseconds(1))
        .with_timezone(&kst())
        .date_naive();
    let cap = first
        .checked_add_days(Days::new(MAX_DAYS - 1))
        .unwrap_or(window_last);
    let last = cap.min(window_last);
    let next_start = last
        .checked_add_days(Days::new(1))
        .map(|d| {
            d.and_time(NaiveTime::MIN).and_utc() - TimeDelta::seconds(i64::from(KST_OFFSET_SECS))
        })
        .filter(|s| *s < window.to);
    Slice {
        first,
        last,
        next_start,
    }
}

/// The status and `nextToken` a cursor's page names: `STATUS` or `STATUS:token`.
fn page_position(page: Option<&str>) -> Result<(usize, Option<String>), MarketplaceError> {
    let Some(page) = page else {
        return Ok((0, None));
    };
    let (status, token) = match page.split_once(':') {
        Some((status, token)) => (status, Some(token.to_owned())),
        None => (page, None),
    };
    let index = STATUSES
        .iter()
        .position(|s| *s == status)
        .ok_or_else(|| MarketplaceError::permanent("the cursor was not made by this connector"))?;
    Ok((index, token))
}

fn cursor_at(from: DateTime<Utc>, status: usize, token: Option<&str>) -> Option<Cursor> {
    let name = STATUSES.get(status)?;
    let page = match token {
        Some(token) => format!("{name}:{token}"),
        None => (*name).to_owned(),
    };
    serde_json::to_string(&WindowCursor {
        from,
        page: Some(page),
    })
    .ok()
    .map(Cursor)
}

/// One page: one list call for one status of one slice.
pub async fn pull_orders(
    c: &CoupangConnector,
    window: Window,
    cursor: Option<&Cursor>,
) -> Result<OrderPage, MarketplaceError> {
    let position = WindowCursor::resume(&window, cursor)?;
    let slice = slice_at(&window, position.from);
    let (status, token) = page_position(position.page.as_deref())?;
    let list = list_page(c, &slice, STATUSES[status], token.as_deref()).await?;

    let mut page = OrderPage::default();
    for raw in list.data.unwrap_or_default() {
        match to_platform_order(c.store(), &raw) {
            Ok(order) => page.orders.push(order),
            Err(error) => page.malformed.push(malformed(&raw, error)),
        }
    }
    let next_token = list.next_token.filter(|t| !t.trim().is_empty());
    if next_token.is_some() && next_token == token {
        return Err(MarketplaceError::malformed(
            "ordersheets answered the nextToken it was given",
        ));
    }
    page.next_cursor = match next_token {
        Some(next) => cursor_at(position.from, status, Some(&next)),
        None if status + 1 < STATUSES.len() => cursor_at(position.from, status + 1, None),
        None => slice.next_start.and_then(|start| cursor_at(start, 0, None)),
    };
    Ok(page)
}

async fn list_page(
    c: &CoupangConnector,
    slice: &Slice,
    status: &str,
    token: Option<&str>,
) -> Result<OrderSheetList, MarketplaceError> {
    let mut request = c
        .get(Operation::PullOrders, c.vendor_url(ORDERSHEETS)?)
        .query("createdAtFrom", slice.first.format("%Y-%m-%d").to_string())
        .query("createdAtTo", slice.last.format("%Y-%m-%d").to_string())
        .query("maxPerPage", PAGE_SIZE.to_string())
        .query("status", status);
    if let Some(token) = token {
        request = request.query("nextToken", token);
    }
    if let Some(ms) = c.extended_timeout_ms() {
        request = request.header(crate::X_EXTENDED_TIMEOUT, ms.to_string());
    }
    let response = c.send(request).await?;
    decode_json(&response.body)
}

/// A PO sheet that does not decode, kept raw with its `shipmentBoxId` when that much reads.
fn malformed(raw: &RawValue, error: MarketplaceError) -> MalformedOrder {
    let platform_order_id = serde_json::from_str::<BoxIdOnly>(raw.get())
        .ok()
        .and_then(|b| b.shipment_box_id)
        .map(|id| match id {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        });
    tracing::warn!(
        platform = "coupang",
        shipment_box_id = platform_order_id.as_deref(),
        "PO sheet does not decode: {}",
        error.message()
    );
    MalformedOrder {
        platform_order_id,
        raw: raw.get().to_owned(),
        error,
    }
}

/// The neutral status of a PO sheet `status` (coupang.md section 9).
pub fn status_of(status: &str) -> NeutralStatus {
    match status {
        // Paid (ACCEPT must be acknowledged first) and preparing: the warehouse ships these.
        "ACCEPT" | "INSTRUCT" => NeutralStatus::AwaitingFulfillment,
        // Waybill uploaded, in transit, delivered, shipped by the vendor without tracking.
        "DEPARTURE" | "DELIVERING" | "FINAL_DELIVERY" | "NONE_TRACKING" => NeutralStatus::Shipped,
        _ => NeutralStatus::Other,
    }
}

/// The neutral status of a box: cancelled once nothing is left to ship in it, else its status.
pub fn neutral_status(status: &str, items: &[OrderItem]) -> NeutralStatus {
    if !items.is_empty() && items.iter().all(|i| i.shippable() == 0) {
        NeutralStatus::Cancelled
    } else {
        status_of(status)
    }
}

/// A Wing time: v4 sends KST without an offset (`2026-05-12T10:20:16`, `2026-05-13 22:08:04`);
/// v5 and some newer fields carry one. `None` for an empty or unreadable value.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .map(|local| local.and_utc() - TimeDelta::seconds(i64::from(KST_OFFSET_SECS)))
}

/// One PO sheet, as received, to the neutral order. The shipment box is the order: it is
/// what Coupang acknowledges, ships and tracks (`orderId` stays in `raw`).
pub fn to_platform_order(
    store: StoreRef,
    raw: &RawValue,
) -> Result<PlatformOrder, MarketplaceError> {
    let o: OrderSheet = decode_json(raw.get().as_bytes())?;
    let created_at = parse_time(&o.ordered_at)
        .ok_or_else(|| MarketplaceError::malformed("`orderedAt` is not a date-time"))?;
    // Coupang keeps no update time: the latest event the sheet records stands in for it.
    let updated_at = [&o.paid_at, &o.in_trasit_date_time, &o.delivered_date]
        .into_iter()
        .filter_map(|t| t.as_deref().and_then(parse_time))
        .fold(created_at, DateTime::max);
    let lines = o
        .order_items
        .iter()
        .filter(|item| item.shippable() > 0)
        .map(order_line)
        .collect::<Result<Vec<_>, _>>()?;
    let receiver = o.receiver.clone().unwrap_or_default();
    Ok(PlatformOrder {
        store: store.id,
        platform: store.platform,
        platform_order_id: o.shipment_box_id.to_string(),
        status: neutral_status(&o.status, &o.order_items),
        platform_status: o.status.clone(),
        created_at,
        updated_at,
        currency: "KRW".to_owned(),
        buyer_name: present(o.orderer.as_ref().and_then(|b| b.name.as_deref())),
        ship_to: Address {
            name: present(receiver.name.as_deref()),
            company: None,
            lines: [receiver.addr1.as_deref(), receiver.addr2.as_deref()]
                .into_iter()
                .filter_map(present)
                .collect(),
            city: None,
            district: None,
            state: None,
            postal_code: present(receiver.post_code.as_deref()),
            country_code: Some("KR".to_owned()),
            phone: present(receiver.safe_number.as_deref())
                .or_else(|| present(receiver.receiver_number.as_deref())),
        },
        lines,
        // No label API for Korea: the seller books the courier (labels.rs).
        platform_label_hint: false,
        raw: raw.to_owned(),
    })
}

fn order_line(item: &OrderItem) -> Result<OrderLine, MarketplaceError> {
    // `salesPrice` is one unit's listing price; coupons are Coupang-funded and do not change
    // what the seller is paid (Wing FAQ on salesPrice/orderPrice/discountPrice).
    let unit_price = Decimal::from_str(&item.sales_price.to_string()).map_err(|_| {
        MarketplaceError::malformed(format!(
            "item {}: `salesPrice` is not a decimal",
            item.vendor_item_id
        ))
    })?;
    Ok(OrderLine {
        line_id: Some(item.vendor_item_id.to_string()),
        platform_sku: present(item.external_vendor_sku_code.as_deref()).unwrap_or_default(),
        platform_item_id: item.seller_product_id.map(|id| id.to_string()),
        platform_variant_id: Some(item.vendor_item_id.to_string()),
        title: present(item.vendor_item_name.as_deref()),
        quantity: item.shippable(),
        unit_price,
    })
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
    use chrono::TimeZone;
    use core_model::{Platform, StoreId};

    fn store() -> StoreRef {
        StoreRef {
            id: StoreId(7),
            platform: Platform::Coupang,
        }
    }

    fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// Every status of the v4 spec's `status` table, value by value, plus one it does not list.
    #[test]
    fn every_ordersheet_status_is_mapped() {
        use NeutralStatus::*;
        for (status, want) in [
            ("ACCEPT", AwaitingFulfillment),
            ("INSTRUCT", AwaitingFulfillment),
            ("DEPARTURE", Shipped),
            ("DELIVERING", Shipped),
            ("FINAL_DELIVERY", Shipped),
            ("NONE_TRACKING", Shipped),
            ("RETURNED", Other),
            ("", Other),
        ] {
            assert_eq!(status_of(status), want, "{status}");
        }
        assert_eq!(STATUSES.map(status_of).len(), 6);
    }

    fn item(count: u32, cancel: u32, hold: u32, canceled: bool) -> OrderItem {
        serde_json::from_value(serde_json::json!({
            "vendorItemId": 1, "shippingCount": count, "salesPrice": 1000,
            "cancelCount": cancel, "holdCountForCancel": hold, "canceled": canceled
        }))
        .unwrap()
    }

    #[test]
    fn a_box_with_nothing_left_to_ship_is_cancelled_whatever_its_status() {
        let all_gone = [item(2, 2, 0, false), item(1, 0, 1, false)];
        let flagged = [item(1, 0, 0, true)];
        let partial = [item(3, 1, 1, false), item(1, 1, 0, false)];
        for status in STATUSES {
            assert_eq!(neutral_status(status, &all_gone), NeutralStatus::Cancelled);
            assert_eq!(neutral_status(status, &flagged), NeutralStatus::Cancelled);
            assert_eq!(neutral_status(status, &partial), status_of(status));
        }
        assert_eq!(partial[0].shippable(), 1);
        assert_eq!(item(1, 5, 0, false).shippable(), 0, "never below zero");
    }

    #[test]
    fn windows_widen_to_kst_days_and_split_after_31() {
        // KST 2026-05-10 as a UTC window: one day.
        let w = Window::new(utc(2026, 5, 9, 15), utc(2026, 5, 10, 15)).unwrap();
        let s = slice_at(&w, w.from);
        assert_eq!(
            (s.first, s.last, s.next_start),
            (date(2026, 5, 10), date(2026, 5, 10), None)
        );

        // A UTC day touches two KST dates.
        let w = Window::new(utc(2026, 5, 10, 0), utc(2026, 5, 11, 0)).unwrap();
        let s = slice_at(&w, w.from);
        assert_eq!((s.first, s.last), (date(2026, 5, 10), date(2026, 5, 11)));
        assert_eq!(s.next_start, None);

        // 61 KST days: 31 + 30.
        let w = Window::new(utc(2026, 2, 28, 15), utc(2026, 4, 30, 15)).unwrap();
        let s = slice_at(&w, w.from);
        assert_eq!((s.first, s.last), (date(2026, 3, 1), date(2026, 3, 31)));
        let next = s.next_start.unwrap();
        assert_eq!(next, utc(2026, 3, 31, 15), "KST midnight of April 1st");
        let s2 = slice_at(&w, next);
        assert_eq!(
            (s2.first, s2.last, s2.next_start),
            (date(2026, 4, 1), date(2026, 4, 30), None)
        );

        // Exactly 31 KST days is one call; 31 UTC days off KST midnight is two.
        let w = Window::new(utc(2026, 2, 28, 15), utc(2026, 3, 31, 15)).unwrap();
        assert_eq!(slice_at(&w, w.from).next_start, None);
        let w = Window::new(utc(2026, 3, 1, 0), utc(2026, 4, 1, 0)).unwrap();
        let s = slice_at(&w, w.from);
        assert_eq!((s.first, s.last), (date(2026, 3, 1), date(2026, 3, 31)));
        assert_eq!(slice_at(&w, s.next_start.unwrap()).last, date(2026, 4, 1));
    }

    #[test]
    fn cursors_walk_statuses_and_refuse_strangers() {
        let from = utc(2026, 5, 9, 15);
        let c = cursor_at(from, 1, Some("448537989")).unwrap();
        let back: WindowCursor = serde_json::from_str(&c.0).unwrap();
        assert_eq!(back.from, from);
        assert_eq!(
            page_position(back.page.as_deref()).unwrap(),
            (1, Some("448537989".to_owned()))
        );
        assert_eq!(page_position(Some("NONE_TRACKING")).unwrap(), (5, None));
        assert_eq!(page_position(None).unwrap(), (0, None));
        assert!(page_position(Some("SHIPPED:1")).is_err());
        assert!(cursor_at(from, 6, None).is_none());
    }

    #[test]
    fn times_are_kst_unless_they_say_otherwise() {
        assert_eq!(
            parse_time("2026-05-12T10:20:16"),
            Some(Utc.with_ymd_and_hms(2026, 5, 12, 1, 20, 16).unwrap())
        );
        assert_eq!(
            parse_time("2026-05-13 22:08:04"),
            Some(Utc.with_ymd_and_hms(2026, 5, 13, 13, 8, 4).unwrap())
        );
        assert_eq!(
            parse_time("2025-01-15T14:17:13.973885+09:00"),
            Some(
                Utc.with_ymd_and_hms(2025, 1, 15, 5, 17, 13).unwrap()
                    + TimeDelta::microseconds(973_885)
            )
        );
        assert_eq!(parse_time(""), None);
        assert_eq!(parse_time("yesterday"), None);
    }

    /// The v4 list sample of the PO list article (one box, two lines: one partly cancelled,
    /// one fully), as the list answers it.
    const SAMPLE: &str = r#"{"shipmentBoxId":853138000012345666,"orderId":31000012345678,
        "orderedAt":"2026-05-12T10:20:16","orderer":{"name":"김*수","email":"","safeNumber":"0503-7777-1234","ordererNumber":null},
        "paidAt":"2026-05-12T10:20:30","status":"INSTRUCT","shippingPrice":3000,"remotePrice":null,"remoteArea":false,
        "parcelPrintMessage":"문 앞","splitShipping":false,"ableSplitShipping":false,
        "receiver":{"name":"김*수","safeNumber":"0503-7777-1234","receiverNumber":null,"addr1":"서울 송파구 송파대로 570","addr2":"101동 *호","postCode":"05510"},
        "orderItems":[
          {"vendorItemPackageId":0,"vendorItemPackageName":"면 티셔츠","productId":7012345678,"vendorItemId":88012345678,
           "vendorItemName":"면 티셔츠, 블랙, M","shippingCount":3,"salesPrice":15900,"orderPrice":47700,"discountPrice":null,
           "externalVendorSkuCode":"TSHIRT-BLK-M","etcInfoHeader":null,"etcInfoValue":null,"etcInfoValues":[],
           "sellerProductId":14012345678,"sellerProductName":"면 티셔츠","sellerProductItemName":"블랙 M",
           "firstSellerProductItemName":"블랙/M","cancelCount":1,"holdCountForCancel":0,"estimatedShippingDate":"2026-05-13",
           "plannedShippingDate":"","invoiceNumberUploadDate":"","extraProperties":{},"pricingBadge":false,"usedProduct":false,
           "confirmDate":"","deliveryChargeTypeName":"유료","canceled":false},
          {"vendorItemPackageId":0,"vendorItemPackageName":"양말","productId":7012345679,"vendorItemId":88012345679,
           "vendorItemName":"양말 3켤레","shippingCount":1,"salesPrice":4900,"orderPrice":4900,"discountPrice":null,
           "externalVendorSkuCode":null,"sellerProductId":14012345679,"cancelCount":1,"holdCountForCancel":0,"canceled":true}],
        "overseaShippingInfoDto":{"personalCustomsClearanceCode":"","ordererSsn":"","ordererPhoneNumber":""},
        "deliveryCompanyName":"","invoiceNumber":"","inTrasitDateTime":"","deliveredDate":"","refer":"안드로이드앱"}"#;

    #[test]
    fn maps_one_po_sheet_end_to_end() {
        let raw = RawValue::from_string(SAMPLE.to_owned()).unwrap();
        let o = to_platform_order(store(), &raw).unwrap();
        assert_eq!(
            o.platform_order_id, "853138000012345666",
            "18 digits, no float"
        );
        assert_eq!(o.platform, Platform::Coupang);
        assert_eq!(o.store, StoreId(7));
        assert_eq!(o.platform_status, "INSTRUCT");
        assert_eq!(o.status, NeutralStatus::AwaitingFulfillment);
        assert_eq!(
            o.created_at,
            Utc.with_ymd_and_hms(2026, 5, 12, 1, 20, 16).unwrap()
        );
        assert_eq!(
            o.updated_at,
            Utc.with_ymd_and_hms(2026, 5, 12, 1, 20, 30).unwrap()
        );
        assert_eq!(o.currency, "KRW");
        assert_eq!(o.buyer_name.as_deref(), Some("김*수"));
        assert_eq!(o.ship_to.name.as_deref(), Some("김*수"));
        assert_eq!(
            o.ship_to.lines,
            vec!["서울 송파구 송파대로 570", "101동 *호"]
        );
        assert_eq!(o.ship_to.postal_code.as_deref(), Some("05510"));
        assert_eq!(o.ship_to.country_code.as_deref(), Some("KR"));
        assert_eq!(o.ship_to.phone.as_deref(), Some("0503-7777-1234"));
        assert_eq!(o.lines.len(), 1, "the cancelled item is not shipped");
        let l = &o.lines[0];
        assert_eq!(l.line_id.as_deref(), Some("88012345678"));
        assert_eq!(l.platform_sku, "TSHIRT-BLK-M");
        assert_eq!(l.platform_item_id.as_deref(), Some("14012345678"));
        assert_eq!(l.platform_variant_id.as_deref(), Some("88012345678"));
        assert_eq!(l.title.as_deref(), Some("면 티셔츠, 블랙, M"));
        assert_eq!(l.quantity, 2, "3 ordered, 1 cancelled");
        assert_eq!(l.unit_price, Decimal::from(15900));
        assert!(!o.platform_label_hint);
        assert_eq!(o.raw.get(), SAMPLE);
    }

    #[test]
    fn shipped_times_and_unreadable_sheets() {
        let shipped = SAMPLE
            .replace(r#""status":"INSTRUCT""#, r#""status":"FINAL_DELIVERY""#)
            .replace(
                r#""inTrasitDateTime":"""#,
                r#""inTrasitDateTime":"2026-05-13 22:08:04""#,
            )
            .replace(
                r#""deliveredDate":"""#,
                r#""deliveredDate":"2026-05-14 17:17:52""#,
            );
        let o = to_platform_order(store(), &RawValue::from_string(shipped).unwrap()).unwrap();
        assert_eq!(o.status, NeutralStatus::Shipped);
        assert_eq!(
            o.updated_at,
            Utc.with_ymd_and_hms(2026, 5, 14, 8, 17, 52).unwrap()
        );

        let bad = SAMPLE.replace(r#""salesPrice":15900"#, r#""salesPrice":"fifteen""#);
        let raw = RawValue::from_string(bad).unwrap();
        let e = to_platform_order(store(), &raw).unwrap_err();
        assert_eq!(e.kind(), core_model::ErrorKind::Malformed);
        assert!(!e.message().contains("fifteen"));
        let m = malformed(&raw, e);
        assert_eq!(m.platform_order_id.as_deref(), Some("853138000012345666"));

        let no_date = SAMPLE.replace("2026-05-12T10:20:16", "soon");
        let e = to_platform_order(store(), &RawValue::from_string(no_date).unwrap()).unwrap_err();
        assert!(e.message().contains("orderedAt"));
    }
}
