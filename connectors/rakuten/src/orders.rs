//! Order pull: `searchOrder` (order numbers only) by order date over slices of at most 63 days,
//! page by page (`PaginationRequestModel`), then `getOrder` (version 10) for each page's
//! numbers in batches of at most 100; and the one mapping from `OrderModel` to `PlatformOrder`.
//!
//! No `orderProgressList` narrows the search: every status is news the OMS must see (a
//! cancellation must be surfaced), and the neutral status decides what it acts on. RMS has no
//! update-time search (`dateType` 1-6 are order, confirmation, fix, shipping, shipping-report and
//! payment dates), so the window selects orders by order date (`dateType` 1); the overlapping
//! incremental pulls re-read recent orders and so see their changes.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Timelike, Utc};
use connector_kit::cursor::WindowCursor;
use connector_kit::decode_json;
use core_model::{
    Address, Cursor, MalformedOrder, MarketplaceError, NeutralStatus, Operation, OrderLine,
    OrderPage, PlatformOrder, StoreRef, Window,
};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use crate::model::{
    GetOrderRequest, GetOrderResponse, ItemModel, OrderModel, OrderNumberOnly,
    PaginationRequestModel, PaginationResponseModel, PersonModel, SearchOrderRequest,
    SearchOrderResponse, SortModel,
};
use crate::{RakutenConnector, JST};

/// `endDatetime` may be at most 63 days after `startDatetime` (searchOrder Level 1 No. 5).
pub const MAX_WINDOW: Duration = Duration::from_secs(63 * 24 * 3600);
/// Numbers per search page (`requestRecordsAmount`, at most 1000): one page is then exactly
/// one `getOrder` call, so a checkpoint never needs more than two requests at ~1 request/s.
pub const PAGE_SIZE: u32 = 100;
/// `orderNumberList` of getOrder: at most 100 numbers.
pub const GET_ORDER_BATCH: usize = 100;
/// getOrder's response model: 10 (ソーシャルギフト対応), the newest on the getOrder page; RMS asks
/// for the largest number and retires old ones. 7 added `SkuModelList`, 8 dropped `goodsTax`.
pub const GET_ORDER_VERSION: u32 = 10;
/// A search reaches at most 15,000 order numbers ("15001 件目以降の受注番号は取得できません").
pub const SEARCH_CAP: u64 = 15_000;
/// 期間検索種別 1: 注文日 (order date).
pub const DATE_TYPE_ORDER_DATE: u8 = 1;
/// The endpoint class of the order API (one documented budget for all of it).
pub const ORDER_CLASS: &str = "rms.order";

pub const SEARCH_PATH: &str = "/es/2.0/order/searchOrder/";
pub const GET_ORDER_PATH: &str = "/es/2.0/order/getOrder/";

/// A slice is not halved below this; past the cap in so short a time, orders are lost.
const MIN_SLICE: TimeDelta = TimeDelta::minutes(1);

/// The position inside a slice: the search page, and the slice's own end when it was narrowed
/// because it held more than [`SEARCH_CAP`] orders. Encoded in `WindowCursor::page` as `3` or
/// `1@1778400000` (page @ Unix seconds of the narrowed end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PagePos {
    pub page: u32,
    pub until: Option<DateTime<Utc>>,
}

impl PagePos {
    const FIRST: PagePos = PagePos {
        page: 1,
        until: None,
    };

    fn parse(text: Option<&str>) -> Result<Self, MarketplaceError> {
        let Some(text) = text else {
            return Ok(Self::FIRST);
        };
        let bad = || MarketplaceError::permanent("the cursor was not made by this connector");
        let (page, until) = match text.split_once('@') {
            Some((p, u)) => (p, Some(u)),
            None => (text, None),
        };
        let page: u32 = page.parse().ok().filter(|p| *p >= 1).ok_or_else(bad)?;
        let until = match until {
            Some(u) => Some(
                u.parse::<i64>()
                    .ok()
                    .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
                    .ok_or_else(bad)?,
            ),
            None => None,
        };
        Ok(PagePos { page, until })
    }

    fn encode(&self) -> String {
        match self.until {
            Some(u) => format!("{}@{}", self.page, u.timestamp()),
            None => self.page.to_string(),
        }
    }
}

/// What to do after a search page.
#[derive(Debug, PartialEq)]
pub enum Step {
    /// Too many orders in the slice: skip fetching and continue at the narrowed slice.
    Narrow(Option<Cursor>),
    /// Fetch this page's orders; then continue at the cursor (or end).
    Fetch(Option<Cursor>),
}

/// One page: one search call and the getOrder call for its numbers.
pub async fn pull_orders(
    c: &RakutenConnector,
    window: Window,
    cursor: Option<&Cursor>,
) -> Result<OrderPage, MarketplaceError> {
    let position = WindowCursor::resume(&window, cursor)?;
    let pos = PagePos::parse(position.page.as_deref())?;
    let slice = slice_of(&window, &position, &pos);
    let mut page = OrderPage::default();
    let Some((start, end)) = search_bounds(&slice) else {
        // Less than one whole second: nothing RMS could match.
        page.next_cursor = next_slice(&window, &slice);
        return Ok(page);
    };
    let found = search(c, start, end, pos.page).await?;
    let pagination = found.pagination.unwrap_or_default();
    let numbers = found.order_number_list.unwrap_or_default();
    let next = match after_search(&window, &slice, &pos, numbers.len(), &pagination) {
        Step::Narrow(next) => {
            tracing::warn!(
                platform = "rakuten",
                total = pagination.total_records_amount,
                "searchOrder slice holds more than {SEARCH_CAP} orders; halving it"
            );
            page.next_cursor = next;
            return Ok(page);
        }
        Step::Fetch(next) => next,
    };
    for batch in numbers.chunks(GET_ORDER_BATCH) {
        for raw in order_details(c, batch).await? {
            match to_platform_order(c.store(), &raw) {
                Ok(order) => page.orders.push(order),
                Err(error) => {
                    let platform_order_id = serde_json::from_str::<OrderNumberOnly>(raw.get())
                        .ok()
                        .and_then(|o| o.order_number);
                    tracing::warn!(
                        platform = "rakuten",
                        order_number = platform_order_id.as_deref(),
                        "OrderModel does not decode: {}",
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
    }
    page.next_cursor = next;
    Ok(page)
}

/// The slice this position searches: from the position, at most 63 days, and no further than
/// a narrowed end.
fn slice_of(window: &Window, position: &WindowCursor, pos: &PagePos) -> Window {
    let mut slice = position.slice(window, Some(MAX_WINDOW));
    if let Some(until) = pos.until.filter(|u| *u > slice.from) {
        slice.to = slice.to.min(until);
    }
    slice
}

/// The next page of this slice, the next slice, a narrowed slice, or the end.
pub fn after_search(
    window: &Window,
    slice: &Window,
    pos: &PagePos,
    got: usize,
    pagination: &PaginationResponseModel,
) -> Step {
    let total = pagination.total_records_amount.unwrap_or(0);
    if pos.page == 1 && total > SEARCH_CAP {
        if let Some(mid) = halve(slice) {
            let narrowed = PagePos {
                page: 1,
                until: Some(mid),
            };
            return Step::Narrow(cursor_at(slice.from, Some(narrowed)));
        }
        tracing::warn!(platform = "rakuten", total,
            "more than {SEARCH_CAP} orders within one minute: RMS returns only the first {SEARCH_CAP}");
    }
    let more_pages = pagination.total_pages.is_some_and(|pages| pos.page < pages);
    let reachable = u64::from(pos.page) * u64::from(PAGE_SIZE) < SEARCH_CAP;
    if more_pages && got > 0 && reachable {
        let next = PagePos {
            page: pos.page + 1,
            until: pos.until,
        };
        Step::Fetch(cursor_at(slice.from, Some(next)))
    } else {
        Step::Fetch(next_slice(window, slice))
    }
}

/// The midpoint of a slice in whole seconds, or `None` when it is too short to halve.
fn halve(slice: &Window) -> Option<DateTime<Utc>> {
    if slice.len() < MIN_SLICE * 2 {
        return None;
    }
    let mid = slice.from + slice.len() / 2;
    mid.with_nanosecond(0).filter(|m| *m > slice.from)
}

fn next_slice(window: &Window, slice: &Window) -> Option<Cursor> {
    (slice.to < window.to)
        .then(|| cursor_at(slice.to, None))
        .flatten()
}

fn cursor_at(from: DateTime<Utc>, pos: Option<PagePos>) -> Option<Cursor> {
    let position = WindowCursor {
        from,
        page: pos.map(|p| p.encode()),
    };
    serde_json::to_string(&position).ok().map(Cursor)
}

/// `startDatetime` and `endDatetime` for the half-open slice: RMS takes whole seconds and an
/// inclusive end (the page's sample ends at `23:59:59`), so `[from, to)` becomes
/// `[ceil(from), ceil(to) - 1s]`, in JST with the documented `+0900` offset.
pub fn search_bounds(slice: &Window) -> Option<(String, String)> {
    let start = ceil_second(slice.from);
    let end = ceil_second(slice.to) - TimeDelta::seconds(1);
    (start <= end).then(|| (rms_time(start), rms_time(end)))
}

fn ceil_second(t: DateTime<Utc>) -> DateTime<Utc> {
    match t.with_nanosecond(0) {
        Some(whole) if whole == t => t,
        Some(whole) => whole + TimeDelta::seconds(1),
        None => t,
    }
}

/// `2026-05-11T00:00:00+0900`.
pub fn rms_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&JST)
        .format("%Y-%m-%dT%H:%M:%S%z")
        .to_string()
}

async fn search(
    c: &RakutenConnector,
    start: String,
    end: String,
    page: u32,
) -> Result<SearchOrderResponse, MarketplaceError> {
    let body = SearchOrderRequest {
        date_type: DATE_TYPE_ORDER_DATE,
        start_datetime: start,
        end_datetime: end,
        pagination: PaginationRequestModel {
            request_records_amount: PAGE_SIZE,
            request_page: page,
            // Oldest first, so orders placed during the pull only append to the last page.
            sort_model_list: vec![SortModel {
                sort_column: 1,
                sort_direction: 1,
            }],
        },
    };
    let response = c.post(Operation::PullOrders, SEARCH_PATH, &body).await?;
    decode_json(&response.body)
}

/// The `OrderModel`s of up to 100 numbers, each kept raw.
async fn order_details(
    c: &RakutenConnector,
    numbers: &[String],
) -> Result<Vec<Box<RawValue>>, MarketplaceError> {
    let body = GetOrderRequest {
        order_number_list: numbers,
        version: GET_ORDER_VERSION,
    };
    let response = c.post(Operation::PullOrders, GET_ORDER_PATH, &body).await?;
    // The list is decoded element by element later, so one bad order cannot fail the page.
    let answer: GetOrderResponse = decode_json(&response.body)?;
    for m in answer.message_model_list.iter().filter(|m| m.is_error()) {
        tracing::warn!(
            platform = "rakuten",
            order_number = m.order_number.as_deref(),
            code = m.message_code.as_str(),
            "getOrder refused one order"
        );
    }
    let orders = answer.order_model_list.unwrap_or_default();
    if orders.len() < numbers.len() {
        tracing::warn!(
            platform = "rakuten",
            asked = numbers.len(),
            got = orders.len(),
            "getOrder returned fewer orders than searchOrder listed"
        );
    }
    Ok(orders)
}

/// `orderProgress` folded into the neutral status (rakuten.md section 9).
pub fn neutral_status(order_progress: u16) -> NeutralStatus {
    match order_progress {
        // 100 注文確認待ち: the shop's to confirm (upload_tracking calls confirmOrder first);
        // 300 発送待ち.
        100 | 300 => NeutralStatus::AwaitingFulfillment,
        // 500 発送済, 600 支払手続き中, 700 支払手続き済.
        500 | 600 | 700 => NeutralStatus::Shipped,
        // 900 キャンセル確定.
        900 => NeutralStatus::Cancelled,
        // 200 楽天処理中 (Rakuten's checks), 400 変更確定待ち (re-read before shipping),
        // 800 キャンセル確定待ち (stop), and any new code.
        _ => NeutralStatus::Other,
    }
}

/// One `OrderModel`, as received, to the neutral order.
pub fn to_platform_order(
    store: StoreRef,
    raw: &RawValue,
) -> Result<PlatformOrder, MarketplaceError> {
    let o: OrderModel = decode_json(raw.get().as_bytes())?;
    let lines = o
        .package_model_list
        .iter()
        .flat_map(|p| p.item_model_list.iter())
        // A line with no units left (changed away) is nothing to ship; `raw` keeps it.
        .filter(|item| item.units > 0)
        .map(order_line)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PlatformOrder {
        store: store.id,
        platform: store.platform,
        platform_order_id: o.order_number.clone(),
        platform_status: o.order_progress.to_string(),
        status: neutral_status(o.order_progress),
        created_at: o.order_datetime,
        updated_at: last_change(&o),
        // Rakuten Ichiba sells in yen only; money fields are integer JPY.
        currency: "JPY".to_owned(),
        buyer_name: o.orderer_model.as_ref().and_then(full_name),
        // The first destination; multi-destination orders keep the others in `raw`.
        ship_to: o
            .package_model_list
            .first()
            .and_then(|p| p.sender_model.as_ref())
            .map(ship_to)
            .unwrap_or_default(),
        lines,
        // RMS has no label API (README.md).
        platform_label_hint: false,
        raw: raw.to_owned(),
    })
}

/// RMS has no last-modified field: the latest event time the order records (confirmation,
/// fix, shipping instruction and report, changes and cancellations), never before creation.
fn last_change(o: &OrderModel) -> DateTime<Utc> {
    let changes = o.change_reason_model_list.iter().flatten().flat_map(|c| {
        [
            c.change_apply_datetime,
            c.change_fix_datetime,
            c.change_cmpl_datetime,
        ]
    });
    [
        o.shop_order_cfm_datetime,
        o.order_fix_datetime,
        o.shipping_inst_datetime,
        o.shipping_cmpl_rpt_datetime,
    ]
    .into_iter()
    .chain(changes)
    .flatten()
    .fold(o.order_datetime, DateTime::max)
}

fn order_line(item: &ItemModel) -> Result<OrderLine, MarketplaceError> {
    let sku = item
        .sku_model_list
        .iter()
        .flatten()
        .find(|s| present(s.merchant_defined_sku_id.as_deref()).is_some());
    let variant = item
        .sku_model_list
        .iter()
        .flatten()
        .find_map(|s| present(s.variant_id.as_deref()));
    // One unit with tax, as the buyer paid it; `price` alone is tax-excluded for 税別 items.
    let price = item.price_tax_incl.as_ref().unwrap_or(&item.price);
    let unit_price = Decimal::from_str(&price.to_string()).map_err(|_| {
        MarketplaceError::malformed(format!(
            "item {}: `priceTaxIncl` is not a decimal",
            item.item_detail_id
        ))
    })?;
    Ok(OrderLine {
        line_id: Some(item.item_detail_id.to_string()),
        // システム連携用SKU番号; empty when the seller set none (pre-SKU orders): mapping then
        // falls back to the item and variant ids beside it.
        platform_sku: sku
            .and_then(|s| present(s.merchant_defined_sku_id.as_deref()))
            .unwrap_or_default(),
        platform_item_id: present(Some(&item.manage_number)).or(Some(item.item_id.to_string())),
        platform_variant_id: variant,
        title: present(Some(&item.item_name)),
        quantity: item.units,
        unit_price,
    })
}

fn ship_to(p: &PersonModel) -> Address {
    let postal_code = match (
        present(p.zip_code1.as_deref()),
        present(p.zip_code2.as_deref()),
    ) {
        (Some(a), Some(b)) => Some(format!("{a}-{b}")),
        (a, b) => a.or(b),
    };
    let phone = [&p.phone_number1, &p.phone_number2, &p.phone_number3]
        .into_iter()
        .filter_map(|s| present(s.as_deref()))
        .collect::<Vec<_>>()
        .join("-");
    Address {
        name: full_name(p),
        company: None,
        lines: present(p.sub_address.as_deref()).into_iter().collect(),
        city: present(p.city.as_deref()),
        district: None,
        state: present(p.prefecture.as_deref()),
        postal_code,
        country_code: Some("JP".to_owned()),
        phone: (!phone.is_empty()).then_some(phone),
    }
}

/// `familyName firstName`, the Japanese order.
fn full_name(p: &PersonModel) -> Option<String> {
    let name = [p.family_name.as_deref(), p.first_name.as_deref()]
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
    use core_model::{ErrorKind, Platform, StoreId};

    /// Every `orderProgress` of the getOrder and searchOrder pages, value by value.
    #[test]
    fn every_order_progress_is_mapped() {
        use NeutralStatus::*;
        for (progress, want) in [
            (100, AwaitingFulfillment),
            (200, Other),
            (300, AwaitingFulfillment),
            (400, Other),
            (500, Shipped),
            (600, Shipped),
            (700, Shipped),
            (800, Other),
            (900, Cancelled),
            (0, Other),
            (1000, Other),
        ] {
            assert_eq!(neutral_status(progress), want, "{progress}");
        }
    }

    fn window(from: &str, to: &str) -> Window {
        Window::new(from.parse().unwrap(), to.parse().unwrap()).unwrap()
    }

    #[test]
    fn search_bounds_are_inclusive_whole_seconds_in_jst() {
        let w = window("2026-05-10T15:00:00Z", "2026-05-12T15:00:00Z");
        assert_eq!(
            search_bounds(&w),
            Some((
                "2026-05-11T00:00:00+0900".to_owned(),
                "2026-05-12T23:59:59+0900".to_owned()
            ))
        );
        let frac = window("2026-05-10T15:00:00.250Z", "2026-05-10T15:00:05.5Z");
        assert_eq!(
            search_bounds(&frac),
            Some((
                "2026-05-11T00:00:01+0900".to_owned(),
                "2026-05-11T00:00:05+0900".to_owned()
            ))
        );
        let none = window("2026-05-10T15:00:00.2Z", "2026-05-10T15:00:00.7Z");
        assert_eq!(search_bounds(&none), None);
    }

    fn pages(total: Option<u64>, pages: Option<u32>) -> PaginationResponseModel {
        PaginationResponseModel {
            total_records_amount: total,
            total_pages: pages,
            request_page: Some(1),
        }
    }

    fn resume(w: &Window, c: &Option<Cursor>) -> (WindowCursor, PagePos) {
        let p = WindowCursor::resume(w, c.as_ref()).unwrap();
        let pos = PagePos::parse(p.page.as_deref()).unwrap();
        (p, pos)
    }

    #[test]
    fn pages_then_slices_then_the_end() {
        let w = window("2026-03-01T00:00:00Z", "2026-05-10T00:00:00Z");
        let (p, pos) = resume(&w, &None);
        let slice = slice_of(&w, &p, &pos);
        assert_eq!(slice.len(), TimeDelta::days(63));
        // Page 1 of 2: next page, same slice.
        let Step::Fetch(next) = after_search(&w, &slice, &pos, 100, &pages(Some(150), Some(2)))
        else {
            panic!("fetch");
        };
        let (p2, pos2) = resume(&w, &next);
        assert_eq!((p2.from, pos2.page), (w.from, 2));
        // Last page: the next slice starts where this one ended.
        let Step::Fetch(next) = after_search(&w, &slice, &pos2, 50, &pages(Some(150), Some(2)))
        else {
            panic!("fetch");
        };
        let (p3, pos3) = resume(&w, &next);
        assert_eq!((p3.from, pos3), (slice.to, PagePos::FIRST));
        let last = slice_of(&w, &p3, &pos3);
        assert_eq!(last.to, w.to);
        // Nothing found (pagination all null): the end.
        assert_eq!(
            after_search(&w, &last, &pos3, 0, &pages(None, None)),
            Step::Fetch(None)
        );
    }

    #[test]
    fn a_slice_over_the_search_cap_is_halved() {
        let w = window("2026-05-01T00:00:00Z", "2026-05-03T00:00:00Z");
        let (p, pos) = resume(&w, &None);
        let slice = slice_of(&w, &p, &pos);
        let Step::Narrow(next) =
            after_search(&w, &slice, &pos, 100, &pages(Some(20_000), Some(200)))
        else {
            panic!("narrow");
        };
        let (p2, pos2) = resume(&w, &next);
        let narrowed = slice_of(&w, &p2, &pos2);
        assert_eq!(narrowed.from, w.from);
        assert_eq!(narrowed.to.to_rfc3339(), "2026-05-02T00:00:00+00:00");
        // Its pages keep the narrowed end; after it, the rest of the window.
        let Step::Fetch(next) =
            after_search(&w, &narrowed, &pos2, 100, &pages(Some(9_000), Some(90)))
        else {
            panic!("fetch");
        };
        let (p3, pos3) = resume(&w, &next);
        assert_eq!(pos3.page, 2);
        assert_eq!(slice_of(&w, &p3, &pos3), narrowed);
        let Step::Fetch(next) = after_search(
            &w,
            &narrowed,
            &PagePos {
                page: 90,
                until: pos2.until,
            },
            100,
            &pages(Some(9_000), Some(90)),
        ) else {
            panic!("fetch");
        };
        let (p4, pos4) = resume(&w, &next);
        assert_eq!(slice_of(&w, &p4, &pos4).from, narrowed.to);
        assert_eq!(slice_of(&w, &p4, &pos4).to, w.to);
        // Page 150 is the last RMS serves (150 x 100 = 15,000).
        let tiny = window("2026-05-01T00:00:00Z", "2026-05-01T00:01:00Z");
        let Step::Fetch(end) = after_search(
            &tiny,
            &tiny,
            &PagePos {
                page: 150,
                until: None,
            },
            100,
            &pages(Some(16_000), Some(160)),
        ) else {
            panic!("fetch");
        };
        assert_eq!(end, None);
    }

    #[test]
    fn cursors_from_elsewhere_are_refused() {
        assert!(PagePos::parse(Some("0")).is_err());
        assert!(PagePos::parse(Some("x")).is_err());
        assert!(PagePos::parse(Some("2@soon")).is_err());
        assert_eq!(
            PagePos::parse(Some("3")).unwrap(),
            PagePos {
                page: 3,
                until: None
            }
        );
    }

    fn store() -> StoreRef {
        StoreRef {
            id: StoreId(7),
            platform: Platform::Rakuten,
        }
    }

    /// rakuten.md section 10's trimmed getOrder order, with a second, tax-excluded line from
    /// before the SKU migration and a change record.
    const SAMPLE: &str = r#"{"orderNumber":"312345-20250715-0123456789","orderProgress":300,
        "subStatusId":null,"subStatusName":null,"orderDatetime":"2025-07-15T10:51:17+0900",
        "shopOrderCfmDatetime":"2025-07-15T11:02:03+0900","orderFixDatetime":"2025-07-15T11:30:00+0900",
        "shippingInstDatetime":null,"shippingCmplRptDatetime":null,"deliveryDate":null,
        "goodsPrice":4080,"postagePrice":0,"deliveryPrice":0,"paymentCharge":0,"totalPrice":4080,"requestPrice":4080,
        "OrdererModel":{"zipCode1":"158","zipCode2":"0094","prefecture":"東京都","city":"世田谷区","subAddress":"玉川1-14-1",
            "familyName":"楽天","firstName":"太郎","familyNameKana":"ラクテン","firstNameKana":"タロウ",
            "phoneNumber1":"03","phoneNumber2":"0000","phoneNumber3":"0000","emailAddress":"a1b2c3@fw.rakuten.ne.jp"},
        "PackageModelList":[{"basketId":10746402,"postagePrice":0,"goodsPrice":4080,"totalPrice":4080,
            "SenderModel":{"zipCode1":"150","zipCode2":"0001","prefecture":"東京都","city":"渋谷区","subAddress":"神宮前3-1-1",
                "familyName":"楽天","firstName":"花子","phoneNumber1":"090","phoneNumber2":"1111","phoneNumber3":"2222","isolatedIslandFlag":0},
            "ItemModelList":[
                {"itemDetailId":555000111,"itemName":"コットンTシャツ","itemId":10000085,"itemNumber":"tshirt-001",
                 "manageNumber":"tshirt-001","price":2980,"priceTaxIncl":2980,"taxRate":0.1,"includeTaxFlag":1,"units":1,
                 "selectedChoice":"カラー:ブラック\nサイズ:M",
                 "SkuModelList":[{"variantId":"blk-m","merchantDefinedSkuId":"TSHIRT-BLK-M","skuInfo":"カラー:ブラック サイズ:M"}]},
                {"itemDetailId":555000112,"itemName":"ソックス","itemId":10000086,"itemNumber":"socks-001",
                 "manageNumber":"socks-001","price":1000,"priceTaxIncl":1100,"taxRate":0.1,"includeTaxFlag":0,"units":2,
                 "selectedChoice":"","SkuModelList":[{"variantId":"","merchantDefinedSkuId":null,"skuInfo":""}]},
                {"itemDetailId":555000113,"itemName":"ギフト","itemId":10000087,"itemNumber":null,
                 "manageNumber":"gift","price":0,"priceTaxIncl":0,"taxRate":0.1,"includeTaxFlag":1,"units":0,
                 "SkuModelList":[]}],
            "ShippingModelList":[]}],
        "ChangeReasonModelList":[{"changeId":12345,"changeType":4,"changeApplyDatetime":"2025-07-15T12:00:00+0900",
            "changeFixDatetime":"2025-07-15T12:10:00+0900","changeCmplDatetime":null}]}"#;

    #[test]
    fn maps_one_order_end_to_end() {
        let raw = RawValue::from_string(SAMPLE.to_owned()).unwrap();
        let o = to_platform_order(store(), &raw).unwrap();
        assert_eq!(o.platform_order_id, "312345-20250715-0123456789");
        assert_eq!(o.platform, Platform::Rakuten);
        assert_eq!(o.platform_status, "300");
        assert_eq!(o.status, NeutralStatus::AwaitingFulfillment);
        assert_eq!(o.created_at.to_rfc3339(), "2025-07-15T01:51:17+00:00");
        // The latest recorded event: the change fixed at 12:10 JST.
        assert_eq!(o.updated_at.to_rfc3339(), "2025-07-15T03:10:00+00:00");
        assert_eq!(o.currency, "JPY");
        assert_eq!(o.buyer_name.as_deref(), Some("楽天 太郎"));
        let a = &o.ship_to;
        assert_eq!(a.name.as_deref(), Some("楽天 花子"));
        assert_eq!(a.lines, vec!["神宮前3-1-1"]);
        assert_eq!(a.city.as_deref(), Some("渋谷区"));
        assert_eq!(a.state.as_deref(), Some("東京都"));
        assert_eq!(a.postal_code.as_deref(), Some("150-0001"));
        assert_eq!(a.country_code.as_deref(), Some("JP"));
        assert_eq!(a.phone.as_deref(), Some("090-1111-2222"));
        assert_eq!(o.lines.len(), 2, "the line with no units is left out");
        let t = &o.lines[0];
        assert_eq!(t.line_id.as_deref(), Some("555000111"));
        assert_eq!(t.platform_sku, "TSHIRT-BLK-M");
        assert_eq!(t.platform_item_id.as_deref(), Some("tshirt-001"));
        assert_eq!(t.platform_variant_id.as_deref(), Some("blk-m"));
        assert_eq!(t.title.as_deref(), Some("コットンTシャツ"));
        assert_eq!((t.quantity, t.unit_price), (1, Decimal::from(2980)));
        let s = &o.lines[1];
        assert_eq!(
            s.platform_sku, "",
            "no merchantDefinedSkuId: empty, ids beside it"
        );
        assert_eq!(s.platform_item_id.as_deref(), Some("socks-001"));
        assert_eq!(s.platform_variant_id, None);
        assert_eq!(
            (s.quantity, s.unit_price),
            (2, Decimal::from(1100)),
            "one unit with tax"
        );
        assert!(!o.platform_label_hint);
        assert_eq!(o.raw.get(), SAMPLE, "raw is the order as received");
    }

    #[test]
    fn malformed_orders_name_the_field_not_the_value() {
        let bad = SAMPLE.replace(r#""units":2"#, r#""units":"2個""#);
        let e = to_platform_order(store(), &RawValue::from_string(bad).unwrap()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Malformed);
        assert!(e.message().contains("units"), "{}", e.message());
        assert!(!e.message().contains("2個"));
        let date = SAMPLE.replace("2025-07-15T10:51:17+0900", "2025/07/15 10:51");
        let e = to_platform_order(store(), &RawValue::from_string(date).unwrap()).unwrap_err();
        assert!(e.message().contains("orderDatetime"), "{}", e.message());
        assert!(!e.message().contains("2025/07/15"));
    }
}
