//! Order pull: GetOrders (`/orders/get`) by update time, oldest first, offset/limit pages in
//! slices of at most [`MAX_WINDOW`]; then GetMultipleOrderItems (`/orders/items/get`) for the
//! page's orders in batches of 50; and the one mapping from an order joined with its items to
//! `PlatformOrder`.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use connector_kit::cursor::WindowCursor;
use connector_kit::{decode_json, ApiRequest};
use core_model::{
    Address, Cursor, MalformedOrder, MarketplaceError, NeutralStatus, Operation, OrderLine,
    OrderPage, PlatformOrder, StoreRef, Window,
};
use serde_json::value::RawValue;

use crate::config::Region;
use crate::model::{Envelope, Order, OrderIdOnly, OrderItem, OrderItemsEntry, OrderList};
use crate::LazadaConnector;

/// Lazada documents no longest window for GetOrders; slices of 7 days keep one slice's result
/// set well under the offset cap (lazada.md section 3, **unverified**).
pub const MAX_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);
/// "The supported maximum number is 100" (GetOrders `limit`).
pub const PAGE_SIZE: u32 = 100;
/// GetOrders `offset`: "Max Size: 4500" on the doc page's parameter table.
pub const MAX_OFFSET: u64 = 4500;
/// GetMultipleOrderItems: "No more than 50 at a time".
pub const ITEMS_BATCH: usize = 50;
/// The endpoint class of the order APIs.
pub const ORDERS_CLASS: &str = "orders";

pub const LIST_PATH: &str = "/orders/get";
pub const ITEMS_PATH: &str = "/orders/items/get";

/// One page: one GetOrders call and the GetMultipleOrderItems call(s) for its orders.
pub async fn pull_orders(
    c: &LazadaConnector,
    window: Window,
    cursor: Option<&Cursor>,
) -> Result<OrderPage, MarketplaceError> {
    let position = WindowCursor::resume(&window, cursor)?;
    let slice = position.slice(&window, Some(MAX_WINDOW));
    let offset: u64 = match position.page.as_deref() {
        None => 0,
        Some(p) => p.parse().map_err(|_| {
            MarketplaceError::permanent("the cursor was not made by this connector")
        })?,
    };
    let list = list_page(c, &slice, offset).await?;
    let returned = list.orders.len() as u64;

    let ids: Vec<Option<String>> = list
        .orders
        .iter()
        .map(|raw| {
            serde_json::from_str::<OrderIdOnly>(raw.get())
                .ok()
                .and_then(|o| o.order_id)
        })
        .collect();
    let wanted: Vec<String> = ids.iter().flatten().cloned().collect();
    let mut items = HashMap::new();
    for batch in wanted.chunks(ITEMS_BATCH) {
        items.extend(items_of(c, batch).await?);
    }

    let mut page = OrderPage::default();
    let mut last_updated = None;
    for (raw, id) in list.orders.iter().zip(ids) {
        let joined = match &id {
            None => Err(MarketplaceError::malformed("order without `order_id`")),
            Some(id) => match items.get(id) {
                None => Err(MarketplaceError::malformed(
                    "GetMultipleOrderItems returned no items for this order",
                )),
                Some(order_items) => join(raw, order_items),
            },
        };
        match joined.and_then(|joined| to_platform_order(c.store(), c.region(), &joined)) {
            Ok(order) => {
                last_updated = Some(order.updated_at);
                page.orders.push(order);
            }
            Err(error) => {
                tracing::warn!(
                    platform = "lazada",
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

    let next_offset = offset + returned;
    let more = returned > 0
        && match list.count_total {
            Some(total) => next_offset < total,
            None => returned >= u64::from(PAGE_SIZE),
        };
    page.next_cursor = if !more {
        position.advance(&window, Some(MAX_WINDOW), None)
    } else if next_offset <= MAX_OFFSET {
        position.advance(&window, Some(MAX_WINDOW), Some(next_offset.to_string()))
    } else {
        restart_after(&window, &position, last_updated)?
    };
    Ok(page)
}

/// Past the offset cap, the slice restarts at the last update time seen (orders come oldest
/// first), so deep windows are walked by moving `update_after` rather than the offset. Orders
/// updated in that second come again; duplicates are harmless, gaps are not.
fn restart_after(
    window: &Window,
    position: &WindowCursor,
    last_updated: Option<DateTime<Utc>>,
) -> Result<Option<Cursor>, MarketplaceError> {
    let Some(from) = last_updated else {
        return Err(MarketplaceError::malformed(
            "no readable order on a full page to continue from",
        ));
    };
    if from <= position.from {
        return Err(MarketplaceError::permanent(format!(
            "more than {MAX_OFFSET} orders were updated in the same second; GetOrders cannot page past them"
        )));
    }
    if from >= window.to {
        return Ok(None);
    }
    let next = WindowCursor { from, page: None };
    Ok(serde_json::to_string(&next).ok().map(Cursor))
}

async fn list_page(
    c: &LazadaConnector,
    slice: &Window,
    offset: u64,
) -> Result<OrderList, MarketplaceError> {
    let region = c.region();
    let request = ApiRequest::get(Operation::PullOrders, ORDERS_CLASS, c.url(LIST_PATH)?)
        .query("update_after", lazada_time(slice.from, region))
        .query(
            "update_before",
            lazada_time(inclusive_end(slice.to), region),
        )
        .query("sort_by", "updated_at")
        .query("sort_direction", "ASC")
        .query("offset", offset.to_string())
        .query("limit", PAGE_SIZE.to_string());
    let response = c.http().send(request, Some(c.auth())).await?;
    let envelope: Envelope<OrderList> = decode_json(&response.body)?;
    envelope
        .data
        .ok_or_else(|| MarketplaceError::malformed("GetOrders answered without `data`"))
}

/// The items of `order_ids` (at most 50), each order's `order_items` array as received.
async fn items_of(
    c: &LazadaConnector,
    order_ids: &[String],
) -> Result<HashMap<String, Box<RawValue>>, MarketplaceError> {
    let request = ApiRequest::get(Operation::PullOrders, ORDERS_CLASS, c.url(ITEMS_PATH)?)
        .query("order_ids", format!("[{}]", order_ids.join(",")));
    let response = c.http().send(request, Some(c.auth())).await?;
    let envelope: Envelope<Vec<Box<RawValue>>> = decode_json(&response.body)?;
    let mut out = HashMap::new();
    for entry in envelope.data.unwrap_or_default() {
        // An entry that does not fit leaves its order without items; that order alone is
        // reported malformed.
        match serde_json::from_str::<OrderItemsEntry>(entry.get()) {
            Ok(OrderItemsEntry {
                order_id,
                order_items: Some(items),
            }) => {
                out.insert(order_id, items);
            }
            _ => tracing::warn!(
                platform = "lazada",
                "GetMultipleOrderItems entry without readable order_id/order_items"
            ),
        }
    }
    Ok(out)
}

/// The order object as received with `"order_items": [...]` appended, byte for byte otherwise.
fn join(order: &RawValue, items: &RawValue) -> Result<Box<RawValue>, MarketplaceError> {
    let text = order.get().trim();
    let body = text
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .ok_or_else(|| MarketplaceError::malformed("order is not a JSON object"))?;
    let separator = if body.trim().is_empty() { "" } else { "," };
    RawValue::from_string(format!(
        "{{{body}{separator}\"order_items\":{}}}",
        items.get()
    ))
    .map_err(|_| MarketplaceError::malformed("order does not join with its items"))
}

/// A GetOrders time parameter: `YYYY-MM-DDTHH:mm:ss±HH:MM` in the seller country's time.
pub fn lazada_time(t: DateTime<Utc>, region: Region) -> String {
    t.with_timezone(&region.offset())
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// `update_before` is inclusive ("before or on") and second-grained: the last second inside
/// the half-open window.
fn inclusive_end(to: DateTime<Utc>) -> DateTime<Utc> {
    let whole = to.timestamp() + i64::from(to.timestamp_subsec_nanos() > 0);
    DateTime::from_timestamp(whole - 1, 0).unwrap_or(to)
}

/// Lazada times: `2014-10-15 19:12:15 +0800` (items, most order samples) or
/// `2018-02-09T22:44:30+08:00` (the GetOrders sample); a time without offset is the country's.
pub fn parse_time(text: &str, region: Region) -> Option<DateTime<Utc>> {
    let t = text.trim();
    let with_offset = DateTime::parse_from_rfc3339(t)
        .or_else(|_| DateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S %z"))
        .or_else(|_| DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%z"));
    if let Ok(at) = with_offset {
        return Some(at.with_timezone(&Utc));
    }
    let naive = NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    region
        .offset()
        .from_local_datetime(&naive)
        .single()
        .map(|at| at.with_timezone(&Utc))
}

/// One item `status` (order `statuses[]` holds the distinct item statuses) folded into the
/// neutral status (lazada.md section 9).
pub fn item_status(status: &str) -> NeutralStatus {
    match status {
        // Paid and not yet with the carrier: to pack, packed (AWB printable), ready to ship
        // (waiting for pickup).
        "pending" | "topack" | "packed" | "toship" | "ready_to_ship" => {
            NeutralStatus::AwaitingFulfillment
        }
        "shipping" | "shipped" | "delivered" => NeutralStatus::Shipped,
        "canceled" | "cancelled" => NeutralStatus::Cancelled,
        // unpaid; failed / failed_delivery; returned and the shipped_back family; lost,
        // lost_by_3pl, damaged_by_3pl, package_scrapped; and anything new.
        _ => NeutralStatus::Other,
    }
}

/// An order's status from its items': cancelled only when every item is; otherwise the items
/// still to ship decide, and a buyer cancellation awaiting the seller or the carrier blocks
/// fulfillment.
pub fn order_status(statuses: &[&str], cancel_pending: bool) -> NeutralStatus {
    let live: Vec<NeutralStatus> = statuses
        .iter()
        .map(|s| item_status(s))
        .filter(|s| *s != NeutralStatus::Cancelled)
        .collect();
    if live.is_empty() {
        return if statuses.is_empty() {
            NeutralStatus::Other
        } else {
            NeutralStatus::Cancelled
        };
    }
    if live.contains(&NeutralStatus::AwaitingFulfillment) {
        if cancel_pending {
            NeutralStatus::Other
        } else {
            NeutralStatus::AwaitingFulfillment
        }
    } else if live.contains(&NeutralStatus::Shipped) {
        NeutralStatus::Shipped
    } else {
        NeutralStatus::Other
    }
}

/// A GetOrders order joined with its GetMultipleOrderItems `order_items`, to the neutral order.
pub fn to_platform_order(
    store: StoreRef,
    region: Region,
    raw: &RawValue,
) -> Result<PlatformOrder, MarketplaceError> {
    let o: Order = decode_json(raw.get().as_bytes())?;
    let time = |text: &str, field: &str| {
        parse_time(text, region)
            .ok_or_else(|| MarketplaceError::malformed(format!("`{field}` is not a time")))
    };
    if o.order_items.is_empty() {
        return Err(MarketplaceError::malformed("the order has no items"));
    }
    let item_statuses: Vec<&str> = o.order_items.iter().map(|i| i.status.as_str()).collect();
    let cancel_pending = o.need_cancel_confirm == Some(true)
        || o.is_cancel_pending == Some(true)
        || o.order_items.iter().any(|i| {
            i.status != "canceled"
                && (i.need_cancel_confirm == Some(true) || i.is_cancel_pending == Some(true))
        });
    let platform_status = if o.statuses.is_empty() {
        let mut distinct: Vec<&str> = Vec::new();
        for s in &item_statuses {
            if !distinct.contains(s) {
                distinct.push(s);
            }
        }
        distinct.join(",")
    } else {
        o.statuses.join(",")
    };
    // Cancelled units are not shipped; an order cancelled whole keeps them as its lines.
    let live: Vec<&OrderItem> = o
        .order_items
        .iter()
        .filter(|i| item_status(&i.status) != NeutralStatus::Cancelled)
        .collect();
    let line_items: Vec<&OrderItem> = if live.is_empty() {
        o.order_items.iter().collect()
    } else {
        live
    };
    let currency = o
        .order_items
        .iter()
        .find_map(|i| non_empty(i.currency.clone()))
        .unwrap_or_else(|| region.currency().to_owned());
    let address = o.address_shipping.unwrap_or_default();
    let district = non_empty(address.address5)
        .or(non_empty(address.address_dsitrict))
        .or(non_empty(address.address_district));
    Ok(PlatformOrder {
        store: store.id,
        platform: store.platform,
        platform_order_id: o.order_id,
        status: order_status(&item_statuses, cancel_pending),
        platform_status,
        created_at: time(&o.created_at, "created_at")?,
        updated_at: time(&o.updated_at, "updated_at")?,
        currency,
        buyer_name: full_name(o.customer_first_name, o.customer_last_name),
        ship_to: Address {
            name: full_name(address.first_name, address.last_name),
            company: None,
            lines: [address.address1, address.address2]
                .into_iter()
                .filter_map(non_empty)
                .collect(),
            city: non_empty(address.address4).or(non_empty(address.city)),
            district,
            state: non_empty(address.address3),
            postal_code: non_empty(address.post_code),
            country_code: Some(region.country_code().to_owned()),
            phone: non_empty(address.phone),
        },
        lines: line_items.into_iter().map(line).collect(),
        // Lazada prints the AWB for its own logistics; seller-own-fleet (DBS) items have none
        // and Fulfilled-by-Lazada items never reach the seller's warehouse.
        platform_label_hint: o
            .order_items
            .iter()
            .any(|i| i.delivery_option_sof != Some(true) && i.is_fbl != Some(true)),
        raw: raw.to_owned(),
    })
}

/// One order item is one unit: Lazada repeats the row for each unit bought.
fn line(item: &OrderItem) -> OrderLine {
    OrderLine {
        line_id: Some(item.order_item_id.clone()),
        platform_sku: item.sku.clone().unwrap_or_default().trim().to_owned(),
        platform_item_id: item.product_id.clone(),
        platform_variant_id: item.sku_id.clone().or(non_empty(item.shop_sku.clone())),
        title: non_empty(item.name.clone()),
        quantity: 1,
        unit_price: item.item_price,
    }
}

fn full_name(first: Option<String>, last: Option<String>) -> Option<String> {
    let name = [first, last]
        .into_iter()
        .filter_map(non_empty)
        .collect::<Vec<_>>()
        .join(" ");
    non_empty(Some(name))
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

    /// Every item status GetOrders documents (its `status` filter values and the error-6
    /// enumeration), value by value.
    #[test]
    fn every_documented_status_is_mapped() {
        use NeutralStatus::*;
        for (status, want) in [
            ("unpaid", Other),
            ("pending", AwaitingFulfillment),
            ("topack", AwaitingFulfillment),
            ("packed", AwaitingFulfillment),
            ("toship", AwaitingFulfillment),
            ("ready_to_ship", AwaitingFulfillment),
            ("shipping", Shipped),
            ("shipped", Shipped),
            ("delivered", Shipped),
            ("canceled", Cancelled),
            ("returned", Other),
            ("failed", Other),
            ("failed_delivery", Other),
            ("lost", Other),
            ("lost_by_3pl", Other),
            ("damaged_by_3pl", Other),
            ("shipped_back", Other),
            ("shipped_back_success", Other),
            ("shipped_back_failed", Other),
            ("package_scrapped", Other),
            ("something_new", Other),
        ] {
            assert_eq!(item_status(status), want, "{status}");
        }
    }

    #[test]
    fn order_status_follows_the_items_still_to_ship() {
        use NeutralStatus::*;
        assert_eq!(order_status(&["pending"], false), AwaitingFulfillment);
        assert_eq!(
            order_status(&["pending", "canceled"], false),
            AwaitingFulfillment
        );
        assert_eq!(order_status(&["canceled", "canceled"], false), Cancelled);
        assert_eq!(
            order_status(&["shipped", "ready_to_ship"], false),
            AwaitingFulfillment
        );
        assert_eq!(order_status(&["shipped", "returned"], false), Shipped);
        assert_eq!(order_status(&["unpaid"], false), Other);
        assert_eq!(
            order_status(&["pending"], true),
            Other,
            "buyer cancel pending"
        );
        assert_eq!(order_status(&[], false), Other);
    }

    #[test]
    fn times_in_every_documented_shape() {
        let want = Utc.with_ymd_and_hms(2014, 10, 15, 11, 12, 15).unwrap();
        for text in [
            "2014-10-15 19:12:15 +0800",
            "2014-10-15T19:12:15+08:00",
            "2014-10-15T19:12:15+0800",
            "2014-10-15 19:12:15",
        ] {
            assert_eq!(parse_time(text, Region::Sg), Some(want), "{text}");
        }
        assert_eq!(parse_time("yesterday", Region::Sg), None);
        let from = Utc.with_ymd_and_hms(2026, 5, 10, 0, 0, 0).unwrap();
        assert_eq!(lazada_time(from, Region::Sg), "2026-05-10T08:00:00+08:00");
        assert_eq!(lazada_time(from, Region::Vn), "2026-05-10T07:00:00+07:00");
        assert_eq!(
            lazada_time(inclusive_end(from), Region::Sg),
            "2026-05-10T07:59:59+08:00"
        );
        let fraction = from + chrono::TimeDelta::milliseconds(500);
        assert_eq!(inclusive_end(fraction), from);
    }

    fn store() -> StoreRef {
        StoreRef {
            id: StoreId(7),
            platform: Platform::Lazada,
        }
    }

    /// The GetOrders and GetMultipleOrderItems response samples' fields, joined as the pull
    /// joins them; one unit cancelled.
    const SAMPLE: &str = r#"{"order_id":491253082180001,"order_number":491253082180001,
        "created_at":"2018-02-09T22:44:30+08:00","updated_at":"2018-02-09 23:01:00 +0800",
        "price":"106.00","statuses":["pending","canceled"],"customer_first_name":"Ha Hung",
        "customer_last_name":"","need_cancel_confirm":false,"is_cancel_pending":"false",
        "address_shipping":{"first_name":"Ha Hung","last_name":"","phone":"6****67","phone2":"",
            "address1":"1 CHANGI VILLAGE ROAD, 11","address2":"","address3":"Singapore",
            "address4":"Singapore","address5":"East","city":"Singapore-Singapore-500001",
            "post_code":"500001","country":"Singapore","addressDsitrict":""},
        "order_items":[
            {"order_item_id":491253082280001,"order_id":491253082180001,"sku":"BRSD#02",
             "shop_sku":"BE494HLAAUE3SGAMZ-39898","sku_id":"666","product_id":"12345",
             "name":"Bean Rester Dooby Red","item_price":"99.00","paid_price":"99.00",
             "currency":"SGD","status":"pending","package_id":"","tracking_code":"",
             "delivery_option_sof":"0","is_fbl":"0"},
            {"order_item_id":"491253082280002","order_id":491253082180001,"sku":"BRSD#02",
             "item_price":"99.00","currency":"SGD","status":"pending"},
            {"order_item_id":491253082280003,"sku":"SOCK-3","item_price":"7.00",
             "currency":"SGD","status":"canceled"}]}"#;

    #[test]
    fn maps_one_order_end_to_end() {
        let raw = RawValue::from_string(SAMPLE.to_owned()).unwrap();
        let o = to_platform_order(store(), Region::Sg, &raw).unwrap();
        assert_eq!(o.platform_order_id, "491253082180001");
        assert_eq!(o.platform_status, "pending,canceled");
        assert_eq!(o.status, NeutralStatus::AwaitingFulfillment);
        assert_eq!(
            o.created_at,
            Utc.with_ymd_and_hms(2018, 2, 9, 14, 44, 30).unwrap()
        );
        assert_eq!(
            o.updated_at,
            Utc.with_ymd_and_hms(2018, 2, 9, 15, 1, 0).unwrap()
        );
        assert_eq!(o.currency, "SGD");
        assert_eq!(o.buyer_name.as_deref(), Some("Ha Hung"));
        assert_eq!(o.ship_to.name.as_deref(), Some("Ha Hung"));
        assert_eq!(
            o.ship_to.lines,
            vec!["1 CHANGI VILLAGE ROAD, 11".to_owned()]
        );
        assert_eq!(o.ship_to.city.as_deref(), Some("Singapore"));
        assert_eq!(o.ship_to.district.as_deref(), Some("East"));
        assert_eq!(o.ship_to.postal_code.as_deref(), Some("500001"));
        assert_eq!(o.ship_to.country_code.as_deref(), Some("SG"));
        assert_eq!(o.lines.len(), 2, "the cancelled unit is not a line");
        let a = &o.lines[0];
        assert_eq!(a.line_id.as_deref(), Some("491253082280001"));
        assert_eq!(a.platform_sku, "BRSD#02");
        assert_eq!(a.platform_item_id.as_deref(), Some("12345"));
        assert_eq!(a.platform_variant_id.as_deref(), Some("666"));
        assert_eq!(a.title.as_deref(), Some("Bean Rester Dooby Red"));
        assert_eq!(
            (a.quantity, a.unit_price),
            (1, Decimal::from_str("99.00").unwrap())
        );
        assert_eq!(o.lines[1].line_id.as_deref(), Some("491253082280002"));
        assert!(o.platform_label_hint);
        assert_eq!(o.raw.get(), SAMPLE, "raw is the joined order as received");
        assert_eq!(o.store, StoreId(7));
    }

    #[test]
    fn a_cancel_request_blocks_fulfillment() {
        let text = SAMPLE.replace(
            r#""is_cancel_pending":"false""#,
            r#""is_cancel_pending":"true""#,
        );
        let raw = RawValue::from_string(text).unwrap();
        let o = to_platform_order(store(), Region::Sg, &raw).unwrap();
        assert_eq!(o.status, NeutralStatus::Other);
    }

    #[test]
    fn join_appends_the_items_and_keeps_the_order_bytes() {
        let order = RawValue::from_string(r#"{"order_id": 1, "price": 1.10 }"#.to_owned()).unwrap();
        let items = RawValue::from_string(r#"[{"sku":"A"}]"#.to_owned()).unwrap();
        assert_eq!(
            join(&order, &items).unwrap().get(),
            r#"{"order_id": 1, "price": 1.10 ,"order_items":[{"sku":"A"}]}"#
        );
        let empty = RawValue::from_string("{}".to_owned()).unwrap();
        assert_eq!(
            join(&empty, &items).unwrap().get(),
            r#"{"order_items":[{"sku":"A"}]}"#
        );
        let array = RawValue::from_string("[1]".to_owned()).unwrap();
        assert!(join(&array, &items).is_err());
    }

    #[test]
    fn an_order_that_does_not_fit_is_malformed() {
        let raw = RawValue::from_string(
            r#"{"order_id":1,"created_at":1778400000,"updated_at":"2026-05-10 16:00:00 +0800","order_items":[]}"#
                .to_owned(),
        )
        .unwrap();
        let e = to_platform_order(store(), Region::Sg, &raw).unwrap_err();
        assert_eq!(e.kind(), core_model::ErrorKind::Malformed);
        assert!(e.message().contains("created_at"), "{}", e.message());
        assert!(!e.message().contains("1778400000"));
    }

    #[test]
    fn past_the_offset_cap_the_slice_restarts_at_the_last_update() {
        let from = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
        let window = Window::new(from, from + chrono::TimeDelta::days(3)).unwrap();
        let position = WindowCursor {
            from,
            page: Some("4400".into()),
        };
        let last = from + chrono::TimeDelta::hours(5);
        let next = restart_after(&window, &position, Some(last))
            .unwrap()
            .unwrap();
        let next = WindowCursor::resume(&window, Some(&next)).unwrap();
        assert_eq!((next.from, next.page), (last, None));
        assert!(restart_after(&window, &position, Some(from)).is_err());
        assert!(restart_after(&window, &position, None).is_err());
    }
}
