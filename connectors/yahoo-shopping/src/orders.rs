//! Pulling orders: `orderList` (注文検索API) pages through the window by order time, then one
//! `orderInfo` (注文詳細API) per order reads its lines, amounts and ship-to; and the one
//! mapping from the two to `PlatformOrder`.
//!
//! orderList filters by `OrderTimeFrom`/`OrderTimeTo` (JST, `YYYYMMDDHHmmss`, both inclusive),
//! so the half-open window `[from, to)` is sent as `[from, to - 1 s]` in Japan time. It has no
//! update-time filter, hence `filters_by_update_time: false`. Paging is by offset: `Start`
//! (1-based) and `Result` rows, sorted `+order_time` so orders created while paging land
//! after the last page instead of shifting earlier ones; the last page is reached when
//! `Start + Result > TotalCount`. No longest range is documented (public clients query 30 to
//! 62 days at once), so windows are not split.
//!
//! orderList returns no lines: orderInfo takes one order id per call, and is asked for every
//! field the mapping needs in that one call. A document that does not fit the wire types
//! becomes a `MalformedOrder`; the rest of the page goes on.

use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeDelta, Timelike, Utc};
use connector_kit::cursor::WindowCursor;
use connector_kit::RawResponse;
use core_model::{
    Address, Cursor, MalformedOrder, MarketplaceError, NeutralStatus, Operation, OrderLine,
    OrderPage, Platform, PlatformOrder, StoreRef, Window,
};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use crate::model::{
    to_xml, Condition, Document, InfoTarget, Node, OrderInfo, OrderInfoRequest, OrderInfoResultSet,
    OrderListRequest, OrderListResult, Search,
};
use crate::YahooShoppingConnector;

/// `.../V1/orderList`.
pub const ORDER_LIST: &str = "orderList";
/// `.../V1/orderInfo`.
pub const ORDER_INFO: &str = "orderInfo";
/// Rows per orderList page. Each page is followed by one orderInfo call per order, so pages
/// are kept small enough that a page (and its checkpoint) completes within the quota's pace.
pub const PAGE_SIZE: u32 = 20;
/// Ascending order time: new orders append after the last page.
pub const SORT: &str = "+order_time";
/// What orderList returns per order (kept in `raw`; the mapping reads orderInfo).
pub const LIST_FIELDS: &str =
    "OrderId,Version,OrderTime,LastUpdateTime,OrderStatus,ShipStatus,PayStatus,StoreStatus,IsSeen,TotalPrice";
/// Everything the mapping reads, asked of orderInfo in one call.
pub const INFO_FIELDS: &str = "OrderId,Version,OrderTime,LastUpdateTime,OrderStatus,StoreStatus,\
PayStatus,PayMethod,BillFirstName,BillLastName,ShipStatus,ShipMethod,ShipCompanyCode,\
ShipInvoiceNumber1,ShipInvoiceNumber2,ShipDate,ShipFirstName,ShipLastName,ShipZipCode,\
ShipPrefecture,ShipCity,ShipAddress1,ShipAddress2,ShipPhoneNumber,TotalPrice,ShipCharge,\
PayCharge,Discount,UsePoint,LineId,ItemId,Title,SubCode,SubCodeOption,Quantity,UnitPrice,\
ItemTaxRatio,SellerId";
/// Every amount is in yen.
pub const CURRENCY: &str = "JPY";

/// Japan Standard Time (UTC+9), in which the store APIs take and give times.
pub const JST: FixedOffset = match FixedOffset::east_opt(9 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+9 is a valid offset"),
};

/// The first whole second at or after `t`.
fn ceil_second(t: DateTime<Utc>) -> DateTime<Utc> {
    let floor = t.with_nanosecond(0).unwrap_or(t);
    if floor < t {
        floor + TimeDelta::seconds(1)
    } else {
        floor
    }
}

/// `OrderTimeFrom`/`OrderTimeTo` for the half-open `window`: JST, inclusive, whole seconds.
/// `None` when no whole second lies inside the window.
pub fn order_time_range(window: &Window) -> Option<(String, String)> {
    let from = ceil_second(window.from);
    let to = ceil_second(window.to) - TimeDelta::seconds(1);
    (from <= to).then(|| {
        let fmt = |t: DateTime<Utc>| t.with_timezone(&JST).format("%Y%m%d%H%M%S").to_string();
        (fmt(from), fmt(to))
    })
}

/// The orderList `<Req>` for the page starting at row `start`.
pub fn order_list_xml(
    seller_id: &str,
    start: u32,
    from: String,
    to: String,
) -> Result<String, MarketplaceError> {
    to_xml(&OrderListRequest {
        search: Search {
            result: PAGE_SIZE,
            start,
            sort: SORT,
            condition: Condition {
                order_time_from: from,
                order_time_to: to,
            },
            field: LIST_FIELDS,
        },
        seller_id,
    })
    .map_err(|e| MarketplaceError::permanent(format!("cannot write the orderList request: {e}")))
}

/// The orderInfo `<Req>` for one order.
pub fn order_info_xml(
    seller_id: &str,
    order_id: &str,
    fields: &str,
) -> Result<String, MarketplaceError> {
    to_xml(&OrderInfoRequest {
        target: InfoTarget {
            order_id,
            field: fields,
        },
        seller_id,
    })
    .map_err(|e| MarketplaceError::permanent(format!("cannot write the orderInfo request: {e}")))
}

/// A quick-xml failure as a message that names what broke, never the payload.
pub fn xml_error(what: &str, e: &quick_xml::DeError) -> MarketplaceError {
    let detail = match e {
        quick_xml::DeError::Custom(m) if m.starts_with("missing field") => m.clone(),
        quick_xml::DeError::InvalidXml(_) => "not well-formed XML".to_owned(),
        _ => "unexpected structure or value".to_owned(),
    };
    MarketplaceError::malformed(format!("{what}: {detail}"))
}

/// The body as UTF-8 text.
pub fn body_text<'a>(what: &str, response: &'a RawResponse) -> Result<&'a str, MarketplaceError> {
    std::str::from_utf8(&response.body)
        .map_err(|_| MarketplaceError::malformed(format!("{what}: the body is not UTF-8")))
}

/// The `<Search>` of an orderList answer.
fn read_list(response: &RawResponse) -> Result<(u32, Vec<Node>), MarketplaceError> {
    let text = body_text("orderList", response)?;
    let doc = quick_xml::de::from_str::<Document<OrderListResult>>(text)
        .map_err(|e| xml_error("orderList", &e))?;
    let (Document::Result(result) | Document::ResultSet(result)) = doc else {
        return Err(MarketplaceError::malformed(
            "orderList: the answer is not a <Result> document",
        ));
    };
    let Some(search) = result.search else {
        return Ok((0, Vec::new()));
    };
    let total = search
        .total_count
        .trim()
        .parse::<u32>()
        .map_err(|_| MarketplaceError::malformed("orderList: <TotalCount> is not a number"))?;
    Ok((total, search.orders))
}

/// orderInfo's `<OrderInfo>`, generically (for `raw`) and typed (for the mapping).
pub struct Detail {
    pub json: Option<serde_json::Value>,
    pub order: Result<OrderInfo, MarketplaceError>,
}

// The JSON holds the buyer's name and address: show what was read, not its content.
impl std::fmt::Debug for Detail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detail")
            .field("json", &self.json.is_some())
            .field("order", &self.order)
            .finish()
    }
}

/// Read one orderInfo answer.
pub fn read_detail(response: &RawResponse) -> Detail {
    let text = match body_text("orderInfo", response) {
        Ok(text) => text,
        Err(e) => {
            return Detail {
                json: None,
                order: Err(e),
            }
        }
    };
    let json = match quick_xml::de::from_str::<Document<Node>>(text) {
        Ok(Document::ResultSet(Node::Element(children))) => children
            .iter()
            .find(|(name, _)| name == "Result")
            .map(|(_, result)| result.to_json())
            .and_then(|result| result.get("OrderInfo").cloned()),
        _ => None,
    };
    let order = match quick_xml::de::from_str::<Document<OrderInfoResultSet>>(text) {
        Ok(Document::ResultSet(set)) => Ok(set.result.order),
        Ok(_) => Err(MarketplaceError::malformed(
            "orderInfo: the answer is not a <ResultSet> document",
        )),
        Err(e) => Err(xml_error("orderInfo", &e)),
    };
    Detail { json, order }
}

/// One page of orderList for `window`, continuing at `cursor`, with each order's orderInfo.
pub async fn pull(
    conn: &YahooShoppingConnector,
    window: Window,
    cursor: Option<&Cursor>,
) -> Result<OrderPage, MarketplaceError> {
    let position = WindowCursor::resume(&window, cursor)?;
    let start = match &position.page {
        Some(page) => page
            .parse::<u32>()
            .ok()
            .filter(|s| *s >= 1)
            .ok_or_else(|| {
                MarketplaceError::permanent("the cursor was not made by this connector")
            })?,
        None => 1,
    };
    let slice = position.slice(&window, None);
    let Some((from, to)) = order_time_range(&slice) else {
        return Ok(OrderPage::default());
    };
    let body = order_list_xml(conn.seller_id(), start, from, to)?;
    let response = conn
        .post_xml(Operation::PullOrders, ORDER_LIST, body)
        .await?;
    let (total, listed) = read_list(&response)?;

    let mut page = OrderPage::default();
    for node in &listed {
        let list_json = node.to_json();
        let Some(id) = list_json
            .get("OrderId")
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
        else {
            page.malformed.push(malformed_order(
                None,
                &list_json,
                None,
                MarketplaceError::malformed("orderList: an <OrderInfo> has no <OrderId>"),
            ));
            continue;
        };
        let body = order_info_xml(conn.seller_id(), &id, INFO_FIELDS)?;
        let response = conn
            .post_xml(Operation::PullOrders, ORDER_INFO, body)
            .await?;
        let detail = read_detail(&response);
        let mapped = match (&detail.order, &detail.json) {
            (Ok(order), Some(info_json)) if order.order_id.trim() == id => {
                to_platform_order(conn.store(), &list_json, info_json, order)
            }
            (Ok(_), Some(_)) => Err(MarketplaceError::malformed(
                "orderInfo answered for another order id",
            )),
            (Ok(_), None) => Err(MarketplaceError::malformed(
                "orderInfo: no <Result><OrderInfo> in the answer",
            )),
            (Err(e), _) => Err(MarketplaceError::malformed(e.message().to_owned())),
        };
        match mapped {
            Ok(order) => page.orders.push(order),
            Err(error) => page.malformed.push(malformed_order(
                Some(id),
                &list_json,
                detail.json.as_ref(),
                error,
            )),
        }
    }
    tracing::debug!(
        start,
        total,
        orders = page.orders.len(),
        malformed = page.malformed.len(),
        "orderList page read"
    );
    let next_start = start.saturating_add(PAGE_SIZE);
    let more = !listed.is_empty() && next_start <= total;
    page.next_cursor = position.advance(&window, None, more.then(|| next_start.to_string()));
    Ok(page)
}

/// The joined raw document of one order: `{"orderList": ..., "orderInfo": ...}`.
fn joined(list: &serde_json::Value, info: Option<&serde_json::Value>) -> serde_json::Value {
    let mut raw = serde_json::Map::new();
    raw.insert("orderList".to_owned(), list.clone());
    if let Some(info) = info {
        raw.insert("orderInfo".to_owned(), info.clone());
    }
    serde_json::Value::Object(raw)
}

fn malformed_order(
    id: Option<String>,
    list: &serde_json::Value,
    info: Option<&serde_json::Value>,
    error: MarketplaceError,
) -> MalformedOrder {
    MalformedOrder {
        platform_order_id: id,
        raw: joined(list, info).to_string(),
        error: MarketplaceError::malformed(error.message().to_owned())
            .with_platform(Platform::YahooShopping)
            .with_operation(Operation::PullOrders),
    }
}

/// `OrderStatus` and `ShipStatus` folded into the OMS's four values.
///
/// OrderStatus: 1 予約中 (pre-order), 2 処理中 (processing), 3 保留 (on hold), 4 キャンセル
/// (cancelled), 5 完了 (completed). ShipStatus: 0 出荷不可 (not shippable yet, e.g. unpaid
/// prepayment), 1 出荷可 (shippable), 2 出荷処理中 (being shipped), 3 出荷済み (shipped),
/// 4 着荷済み (delivered).
pub fn neutral_status(order_status: &str, ship_status: &str) -> NeutralStatus {
    match (order_status, ship_status) {
        ("4", _) => NeutralStatus::Cancelled,
        ("1" | "2" | "3" | "5", "3" | "4") => NeutralStatus::Shipped,
        ("2", "1" | "2") => NeutralStatus::AwaitingFulfillment,
        // Processing but not shippable yet, pre-orders, holds, orders completed without a
        // shipment (store pickup) and values Yahoo adds later.
        _ => NeutralStatus::Other,
    }
}

fn present(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn required(s: &Option<String>, field: &str) -> Result<String, MarketplaceError> {
    present(s).ok_or_else(|| MarketplaceError::malformed(format!("<{field}> is missing or empty")))
}

/// A store API time: ISO 8601 with offset (`2026-05-10T14:22:08+09:00`), or
/// `YYYY-MM-DD HH:MM:SS` in JST.
pub fn parse_time(value: &str, field: &str) -> Result<DateTime<Utc>, MarketplaceError> {
    let value = value.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M:%S")
        .ok()
        .and_then(|t| t.and_local_timezone(JST).single())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| MarketplaceError::malformed(format!("<{field}> is not a time")))
}

/// `{last} {first}`, the Japanese order of a name.
fn full_name(last: &Option<String>, first: &Option<String>) -> Option<String> {
    let parts: Vec<String> = [present(last), present(first)]
        .into_iter()
        .flatten()
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// Map one order (its orderList row and its orderInfo) to the neutral form.
pub fn to_platform_order(
    store: StoreRef,
    list: &serde_json::Value,
    info: &serde_json::Value,
    order: &OrderInfo,
) -> Result<PlatformOrder, MarketplaceError> {
    let order_status = required(&order.order_status, "OrderStatus")?;
    let ship = order.ship.as_ref();
    let ship_status = required(&ship.and_then(|s| s.ship_status.clone()), "ShipStatus")?;
    let created_at = parse_time(&required(&order.order_time, "OrderTime")?, "OrderTime")?;
    let updated_at = match present(&order.last_update_time) {
        Some(t) => parse_time(&t, "LastUpdateTime")?.max(created_at),
        None => created_at,
    };

    let mut lines = Vec::with_capacity(order.items.len());
    for item in &order.items {
        let line = present(&item.line_id).unwrap_or_default();
        let at = |what: &str| MarketplaceError::malformed(format!("<Item> {line}: {what}"));
        let quantity = required(&item.quantity, "Quantity")?
            .parse::<u32>()
            .ok()
            .filter(|q| *q > 0)
            .ok_or_else(|| at("<Quantity> is not a positive whole number"))?;
        let unit_price = Decimal::from_str(&required(&item.unit_price, "UnitPrice")?)
            .map_err(|_| at("<UnitPrice> is not a number"))?;
        let item_id = present(&item.item_id);
        let sub_code = present(&item.sub_code);
        lines.push(OrderLine {
            line_id: present(&item.line_id),
            // The seller's SKU: the variation's SubCode, else the item code.
            platform_sku: sub_code
                .clone()
                .or_else(|| item_id.clone())
                .unwrap_or_default(),
            platform_item_id: item_id,
            platform_variant_id: sub_code,
            title: present(&item.title),
            quantity,
            unit_price,
        });
    }
    if lines.is_empty() {
        return Err(MarketplaceError::malformed("the order has no <Item>"));
    }

    let ship_to = match ship {
        Some(s) => Address {
            name: full_name(&s.ship_last_name, &s.ship_first_name),
            company: None,
            lines: [&s.ship_address1, &s.ship_address2]
                .into_iter()
                .filter_map(present)
                .collect(),
            city: present(&s.ship_city),
            district: None,
            state: present(&s.ship_prefecture),
            postal_code: present(&s.ship_zip_code),
            country_code: Some("JP".to_owned()),
            phone: present(&s.ship_phone_number),
        },
        None => Address::default(),
    };
    let buyer_name = order
        .pay
        .as_ref()
        .and_then(|p| full_name(&p.bill_last_name, &p.bill_first_name));
    let raw = RawValue::from_string(joined(list, Some(info)).to_string())
        .map_err(|e| MarketplaceError::malformed(format!("cannot keep the raw order: {e}")))?;

    Ok(PlatformOrder {
        store: store.id,
        platform: Platform::YahooShopping,
        platform_order_id: order.order_id.trim().to_owned(),
        platform_status: format!("{order_status}/{ship_status}"),
        status: neutral_status(&order_status, &ship_status),
        created_at,
        updated_at,
        currency: CURRENCY.to_owned(),
        buyer_name,
        ship_to,
        lines,
        platform_label_hint: false,
        raw,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use core_model::{StoreId, Window};

    #[test]
    fn every_documented_status_pair_maps() {
        use NeutralStatus::*;
        // Rows: OrderStatus 1..=5; columns: ShipStatus 0..=4.
        let table = [
            ("1", [Other, Other, Other, Shipped, Shipped]),
            (
                "2",
                [
                    Other,
                    AwaitingFulfillment,
                    AwaitingFulfillment,
                    Shipped,
                    Shipped,
                ],
            ),
            ("3", [Other, Other, Other, Shipped, Shipped]),
            ("4", [Cancelled, Cancelled, Cancelled, Cancelled, Cancelled]),
            ("5", [Other, Other, Other, Shipped, Shipped]),
        ];
        for (order_status, row) in table {
            for (ship_status, want) in ["0", "1", "2", "3", "4"].into_iter().zip(row) {
                assert_eq!(
                    neutral_status(order_status, ship_status),
                    want,
                    "OrderStatus {order_status}, ShipStatus {ship_status}"
                );
            }
        }
        // Values Yahoo may add later are kept, not acted on.
        assert_eq!(neutral_status("6", "1"), Other);
        assert_eq!(neutral_status("2", "9"), Other);
        assert_eq!(neutral_status("4", "9"), Cancelled);
    }

    #[test]
    fn windows_become_inclusive_jst_seconds() {
        let from = Utc.with_ymd_and_hms(2026, 5, 10, 0, 0, 0).unwrap();
        let w = Window::new(from, from + TimeDelta::days(2)).unwrap();
        assert_eq!(
            order_time_range(&w).unwrap(),
            ("20260510090000".to_owned(), "20260512085959".to_owned())
        );
        let odd = Window::new(
            from + TimeDelta::milliseconds(250),
            from + TimeDelta::milliseconds(2500),
        )
        .unwrap();
        assert_eq!(
            order_time_range(&odd).unwrap(),
            ("20260510090001".to_owned(), "20260510090002".to_owned())
        );
        let tiny = Window::new(
            from + TimeDelta::milliseconds(100),
            from + TimeDelta::milliseconds(900),
        )
        .unwrap();
        assert!(order_time_range(&tiny).is_none());
    }

    #[test]
    fn the_list_request_is_the_documented_req() {
        let xml = order_list_xml(
            "kiriya-zakka",
            21,
            "20260510090000".into(),
            "20260512085959".into(),
        )
        .unwrap();
        assert_eq!(
            xml,
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Req><Search><Result>20</Result>\
                 <Start>21</Start><Sort>+order_time</Sort><Condition>\
                 <OrderTimeFrom>20260510090000</OrderTimeFrom>\
                 <OrderTimeTo>20260512085959</OrderTimeTo></Condition>\
                 <Field>{LIST_FIELDS}</Field></Search><SellerId>kiriya-zakka</SellerId></Req>"
            )
        );
        let info = order_info_xml("kiriya-zakka", "kiriya-zakka-10000101", "OrderId").unwrap();
        assert!(info.ends_with(
            "<Req><Target><OrderId>kiriya-zakka-10000101</OrderId><Field>OrderId</Field></Target>\
             <SellerId>kiriya-zakka</SellerId></Req>"
        ));
    }

    const INFO: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ResultSet totalResultsAvailable="1" totalResultsReturned="1" firstResultPosition="1">
  <Result>
    <Status>OK</Status>
    <OrderInfo>
      <OrderId>kiriya-zakka-10000101</OrderId>
      <Version>3</Version>
      <OrderTime>2026-05-10T14:22:08+09:00</OrderTime>
      <LastUpdateTime>2026-05-10T15:01:40+09:00</LastUpdateTime>
      <OrderStatus>2</OrderStatus>
      <StoreStatus></StoreStatus>
      <Pay><PayStatus>1</PayStatus><PayMethod>payment_a1</PayMethod>
        <BillFirstName>Hanako</BillFirstName><BillLastName>Sakurai</BillLastName></Pay>
      <Ship><ShipStatus>1</ShipStatus><ShipMethod>postage1</ShipMethod>
        <ShipFirstName>Hanako</ShipFirstName><ShipLastName>Sakurai</ShipLastName>
        <ShipZipCode>1500001</ShipZipCode><ShipPrefecture>東京都</ShipPrefecture>
        <ShipCity>渋谷区</ShipCity><ShipAddress1>神宮前9-99-99</ShipAddress1>
        <ShipAddress2>フィクスチャ荘 101</ShipAddress2><ShipPhoneNumber>090-0000-0101</ShipPhoneNumber></Ship>
      <Detail><TotalPrice>4360</TotalPrice><ShipCharge>600</ShipCharge></Detail>
      <Seller><SellerId>kiriya-zakka</SellerId></Seller>
      <Item><LineId>1</LineId><ItemId>mug-ss</ItemId><Title>Stoneware mug</Title>
        <SubCode>mug-ss-ivory</SubCode><Quantity>2</Quantity><UnitPrice>1280</UnitPrice></Item>
      <Item><LineId>2</LineId><ItemId>coaster-4</ItemId><Title>Cork coaster set</Title>
        <SubCode></SubCode><Quantity>1</Quantity><UnitPrice>1200</UnitPrice></Item>
    </OrderInfo>
  </Result>
</ResultSet>"#;

    #[test]
    fn one_order_maps_end_to_end() {
        let response = RawResponse::new(200, "application/xml", INFO);
        let detail = read_detail(&response);
        let order = detail.order.unwrap();
        let info = detail.json.unwrap();
        let list = serde_json::json!({"Index": "1", "OrderId": "kiriya-zakka-10000101"});
        let store = StoreRef {
            id: StoreId(7),
            platform: Platform::YahooShopping,
        };
        let o = to_platform_order(store, &list, &info, &order).unwrap();
        assert_eq!(o.platform_order_id, "kiriya-zakka-10000101");
        assert_eq!(o.platform_status, "2/1");
        assert_eq!(o.status, NeutralStatus::AwaitingFulfillment);
        assert_eq!(
            o.created_at,
            Utc.with_ymd_and_hms(2026, 5, 10, 5, 22, 8).unwrap()
        );
        assert_eq!(
            o.updated_at,
            Utc.with_ymd_and_hms(2026, 5, 10, 6, 1, 40).unwrap()
        );
        assert_eq!(o.currency, "JPY");
        assert_eq!(o.buyer_name.as_deref(), Some("Sakurai Hanako"));
        assert_eq!(o.ship_to.name.as_deref(), Some("Sakurai Hanako"));
        assert_eq!(o.ship_to.lines, ["神宮前9-99-99", "フィクスチャ荘 101"]);
        assert_eq!(o.ship_to.state.as_deref(), Some("東京都"));
        assert_eq!(o.ship_to.postal_code.as_deref(), Some("1500001"));
        assert_eq!(o.ship_to.country_code.as_deref(), Some("JP"));
        assert_eq!(o.lines.len(), 2);
        assert_eq!(o.lines[0].platform_sku, "mug-ss-ivory");
        assert_eq!(o.lines[0].platform_item_id.as_deref(), Some("mug-ss"));
        assert_eq!(o.lines[0].unit_price, Decimal::from(1280));
        assert_eq!(o.lines[0].quantity, 2);
        // No SubCode: the item code is the SKU.
        assert_eq!(o.lines[1].platform_sku, "coaster-4");
        assert_eq!(o.lines[1].platform_variant_id, None);
        let raw: serde_json::Value = serde_json::from_str(o.raw_json()).unwrap();
        assert_eq!(raw["orderList"]["Index"], "1");
        assert_eq!(raw["orderInfo"]["Item"][1]["ItemId"], "coaster-4");
        assert_eq!(raw["orderInfo"]["Ship"]["ShipCity"], "渋谷区");
        let shown = format!("{o:?}");
        assert!(
            !shown.contains("Sakurai") && !shown.contains("神宮前"),
            "{shown}"
        );
    }

    #[test]
    fn a_bad_field_is_malformed_and_named() {
        let bad = INFO.replace(
            "<UnitPrice>1280</UnitPrice>",
            "<UnitPrice>1,280</UnitPrice>",
        );
        let detail = read_detail(&RawResponse::new(200, "application/xml", bad));
        let store = StoreRef {
            id: StoreId(7),
            platform: Platform::YahooShopping,
        };
        let e = to_platform_order(
            store,
            &serde_json::Value::Null,
            detail.json.as_ref().unwrap(),
            detail.order.as_ref().unwrap(),
        )
        .unwrap_err();
        assert_eq!(e.kind(), core_model::ErrorKind::Malformed);
        assert_eq!(e.message(), "<Item> 1: <UnitPrice> is not a number");

        let broken = read_detail(&RawResponse::new(
            200,
            "application/xml",
            "<ResultSet><Result>",
        ));
        assert!(broken.json.is_none());
        assert_eq!(
            broken.order.unwrap_err().message(),
            "orderInfo: not well-formed XML"
        );
        let no_id = read_detail(&RawResponse::new(
            200,
            "application/xml",
            "<ResultSet><Result><Status>OK</Status><OrderInfo><Version>1</Version></OrderInfo></Result></ResultSet>",
        ));
        assert_eq!(
            no_id.order.unwrap_err().message(),
            "orderInfo: missing field `OrderId`"
        );
    }

    #[test]
    fn times_are_read_in_both_forms() {
        let want = Utc.with_ymd_and_hms(2026, 5, 10, 5, 22, 8).unwrap();
        assert_eq!(
            parse_time("2026-05-10T14:22:08+09:00", "OrderTime").unwrap(),
            want
        );
        assert_eq!(
            parse_time("2026-05-10 14:22:08", "OrderTime").unwrap(),
            want
        );
        assert!(parse_time("2026/05/10", "OrderTime").is_err());
    }
}
