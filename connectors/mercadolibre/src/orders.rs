//! Pulling orders with `GET /orders/search?seller=` by `order.date_last_updated`, the
//! shipments the orders point at, and the one mapping from Mercado Libre's order (+ shipment)
//! to `PlatformOrder`.
//!
//! Pages are `offset`/`limit` (50 at most) sorted `date_asc`. Deep offsets are refused past
//! about 10,000 results, so a window whose first page reports more is narrowed and walked in
//! slices. Orders carry only `shipping.id`: the address, the logistic mode and the shipment
//! status come from `GET /shipments/{id}` (`x-format-new: true`), fetched once per shipment
//! per page (cart orders of one pack share it) and only for orders the status depends on.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use connector_kit::cursor::WindowCursor;
use connector_kit::{decode_json, ApiRequest};
use core_model::{
    Address, Cursor, MalformedOrder, MarketplaceError, NeutralStatus, Operation, OrderLine,
    OrderPage, Platform, PlatformOrder, StoreRef, Window,
};
use http::HeaderName;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::model::{Order, OrderSearch, Shipment, ShippingAddress};
use crate::{MercadolibreConnector, ORDERS_CLASS, SHIPMENTS_CLASS};

pub const SEARCH_PATH: &str = "/orders/search";
/// The default and largest `limit` of `/orders/search`.
pub const PAGE_SIZE: u32 = 50;
/// Offsets past this are refused (the number integrators report; Mercado Libre documents
/// none), so slices are kept to fewer results.
pub const OFFSET_CEILING: u64 = 10_000;
/// A slice is never narrowed below this.
const MIN_SLICE: TimeDelta = TimeDelta::minutes(1);
/// The shipments resource answers its current JSON only with this header.
pub const FORMAT_NEW_HEADER: &str = "x-format-new";

/// The key under which `raw` carries the order's shipment, as `GET /shipments/{id}` sent it.
pub const RAW_SHIPMENT_KEY: &str = "shipment";

/// The position inside a slice: the offset, and the slice's end when it was narrowed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct PageState {
    #[serde(default)]
    offset: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    to: Option<DateTime<Utc>>,
}

/// Times as Mercado Libre's filters take them: `2026-05-10T00:00:00.000-00:00`.
pub fn ml_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f-00:00").to_string()
}

fn cursor_at(from: DateTime<Utc>, state: Option<PageState>) -> Option<Cursor> {
    let page = match state {
        Some(s) => Some(serde_json::to_string(&s).ok()?),
        None => None,
    };
    serde_json::to_string(&WindowCursor { from, page })
        .ok()
        .map(Cursor)
}

/// The end of a slice from `from` that should hold about half the offset ceiling, given that
/// `[from, to)` holds `total` orders; `None` when the slice cannot shrink any further.
fn narrowed_end(from: DateTime<Utc>, to: DateTime<Utc>, total: u64) -> Option<DateTime<Utc>> {
    let len = to - from;
    if len <= MIN_SLICE || total == 0 {
        return None;
    }
    let millis = len.num_milliseconds();
    let share = i64::try_from(OFFSET_CEILING / 2).unwrap_or(i64::MAX);
    let total = i64::try_from(total).unwrap_or(i64::MAX);
    let narrowed = TimeDelta::milliseconds(millis.saturating_mul(share) / total).max(MIN_SLICE);
    (narrowed < len).then_some(from + narrowed)
}

/// One page of `/orders/search` for `window`, continuing at `cursor`.
pub async fn pull(
    conn: &MercadolibreConnector,
    window: Window,
    cursor: Option<&Cursor>,
) -> Result<OrderPage, MarketplaceError> {
    let position = WindowCursor::resume(&window, cursor)?;
    let state = match &position.page {
        Some(page) => serde_json::from_str::<PageState>(page).map_err(|_| {
            MarketplaceError::permanent("the cursor was not made by this connector")
        })?,
        None => PageState::default(),
    };
    let slice_to = state
        .to
        .filter(|t| *t > position.from && *t <= window.to)
        .unwrap_or(window.to);
    let search = search(conn, position.from, slice_to, state.offset).await?;

    if state.offset == 0 && search.paging.total > OFFSET_CEILING {
        match narrowed_end(position.from, slice_to, search.paging.total) {
            Some(to) => {
                tracing::info!(platform = "mercadolibre", total = search.paging.total,
                    "more orders than the offset ceiling allows; narrowing the slice");
                return Ok(OrderPage {
                    next_cursor: cursor_at(position.from, Some(PageState { offset: 0, to: Some(to) })),
                    ..OrderPage::default()
                });
            }
            None => tracing::warn!(platform = "mercadolibre", total = search.paging.total,
                "a minimal slice holds more orders than the offset ceiling; the rest is unreachable"),
        }
    }

    let returned = u64::try_from(search.results.len()).unwrap_or(u64::MAX);
    let next_offset = state.offset.saturating_add(returned);
    let more = returned > 0 && next_offset < search.paging.total && next_offset < OFFSET_CEILING;
    let mut page = orders_of(conn, search.results).await?;
    page.next_cursor = if more {
        cursor_at(
            position.from,
            Some(PageState {
                offset: next_offset,
                to: state.to,
            }),
        )
    } else if slice_to < window.to {
        cursor_at(slice_to, None)
    } else {
        None
    };
    Ok(page)
}

async fn search(
    conn: &MercadolibreConnector,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    offset: u64,
) -> Result<OrderSearch, MarketplaceError> {
    // `.to` is inclusive: stop a millisecond early so windows stay half-open.
    let last = (to - TimeDelta::milliseconds(1)).max(from);
    let request = ApiRequest::get(
        Operation::PullOrders,
        ORDERS_CLASS,
        conn.api_url(SEARCH_PATH)?,
    )
    .query("seller", conn.seller_id())
    .query("order.date_last_updated.from", ml_time(from))
    .query("order.date_last_updated.to", ml_time(last))
    .query("sort", "date_asc")
    .query("offset", offset.to_string())
    .query("limit", PAGE_SIZE.to_string());
    let response = conn.http().send(request, Some(conn.auth())).await?;
    response.json().map_err(|e| {
        e.with_platform(Platform::Mercadolibre)
            .with_operation(Operation::PullOrders)
    })
}

/// `GET /shipments/{id}` in the current format, as received.
pub(crate) async fn fetch_shipment(
    conn: &MercadolibreConnector,
    shipment_id: &str,
    operation: Operation,
) -> Result<Box<RawValue>, MarketplaceError> {
    let url = conn.api_url(&format!(
        "/shipments/{}",
        numeric(shipment_id, "shipment id")?
    ))?;
    let request = ApiRequest::get(operation, SHIPMENTS_CLASS, url)
        .header(HeaderName::from_static(FORMAT_NEW_HEADER), "true");
    let response = conn.http().send(request, Some(conn.auth())).await?;
    let text = String::from_utf8(response.body.to_vec())
        .map_err(|_| MarketplaceError::malformed("the shipment is not UTF-8 JSON"))?;
    RawValue::from_string(text).map_err(|e| {
        MarketplaceError::malformed(format!(
            "the shipment is not JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

/// An id that goes into a path: digits only.
pub(crate) fn numeric<'a>(id: &'a str, what: &str) -> Result<&'a str, MarketplaceError> {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(id)
    } else {
        Err(MarketplaceError::permanent(format!(
            "the {what} is not numeric"
        )))
    }
}

/// Decode the page's orders, fetch each needed shipment once, and map them.
async fn orders_of(
    conn: &MercadolibreConnector,
    results: Vec<Box<RawValue>>,
) -> Result<OrderPage, MarketplaceError> {
    let mut page = OrderPage::default();
    let mut readable = Vec::with_capacity(results.len());
    for raw in results {
        match decode_json::<Order>(raw.get().as_bytes()) {
            Ok(order) => readable.push((raw, order)),
            Err(error) => page.malformed.push(malformed(&raw, None, error)),
        }
    }
    let mut shipments: HashMap<String, Box<RawValue>> = HashMap::new();
    for (_, order) in &readable {
        let Some(id) = shipment_to_fetch(order) else {
            continue;
        };
        if !shipments.contains_key(id) {
            let shipment = fetch_shipment(conn, id, Operation::PullOrders).await?;
            shipments.insert(id.to_owned(), shipment);
        }
    }
    for (raw, order) in readable {
        let shipment = shipment_to_fetch(&order).and_then(|id| shipments.get(id));
        match to_platform_order(conn.store(), &raw, shipment.map(|s| &**s)) {
            Ok(mapped) => page.orders.push(mapped),
            Err(error) => page
                .malformed
                .push(malformed(&raw, shipment.map(|s| &**s), error)),
        }
    }
    Ok(page)
}

fn malformed(
    raw: &RawValue,
    shipment: Option<&RawValue>,
    error: MarketplaceError,
) -> MalformedOrder {
    let platform_order_id = order_id_of(raw);
    tracing::warn!(
        platform = "mercadolibre",
        order = platform_order_id.as_deref(),
        "order does not decode: {}",
        error.message()
    );
    MalformedOrder {
        platform_order_id,
        raw: join_raw(raw, shipment).map_or_else(|_| raw.get().to_owned(), |j| j.get().to_owned()),
        error: error
            .with_platform(Platform::Mercadolibre)
            .with_operation(Operation::PullOrders),
    }
}

/// The id of an order that did not decode, if it has a readable one.
fn order_id_of(raw: &RawValue) -> Option<String> {
    #[derive(Deserialize)]
    struct Id {
        id: Option<serde_json::Value>,
    }
    match serde_json::from_str::<Id>(raw.get()).ok()?.id? {
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::String(s) if !s.is_empty() => Some(s),
        _ => None,
    }
}

/// The shipment to fetch for `order`: only where the order omits the shipment's facts and
/// its status depends on them (paid orders not yet delivered). Unpaid and cancelled orders
/// map without it, and Mercado Libre hides the address until payment anyway.
pub fn shipment_to_fetch(order: &Order) -> Option<&str> {
    let shipping = order.shipping.as_ref()?;
    let id = shipping.id.as_deref()?;
    let embedded = shipping.status.is_some() && shipping.receiver_address.is_some();
    let depends = matches!(order.status.as_str(), "paid" | "partially_refunded")
        && !order.tags.iter().any(|t| t == "delivered");
    (depends && !embedded).then_some(id)
}

/// What the shipment says, from `GET /shipments/{id}` or the order's own `shipping`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ShippingFacts<'a> {
    /// The order has a Mercado Envíos / custom shipment at all.
    pub exists: bool,
    pub status: Option<&'a str>,
    pub mode: Option<&'a str>,
    pub logistic_type: Option<&'a str>,
}

/// Mercado Libre's order status (and the shipment's) folded into the OMS's four values.
pub fn neutral_status(
    order_status: &str,
    tags: &[String],
    shipping: ShippingFacts,
) -> NeutralStatus {
    if matches!(order_status, "cancelled" | "invalid") || shipping.status == Some("cancelled") {
        return NeutralStatus::Cancelled;
    }
    if matches!(shipping.status, Some("shipped" | "delivered"))
        || tags.iter().any(|t| t == "delivered")
    {
        return NeutralStatus::Shipped;
    }
    match order_status {
        // Paid (a partial refund leaves the rest to ship): the shipment decides. Mercado Libre
        // ships Full (fulfillment) orders itself; not_delivered is a failed delivery coming back.
        "paid" | "partially_refunded" => match shipping.status {
            Some("pending" | "handling" | "ready_to_ship")
                if shipping.exists && shipping.logistic_type != Some("fulfillment") =>
            {
                NeutralStatus::AwaitingFulfillment
            }
            _ => NeutralStatus::Other,
        },
        // confirmed, payment_required, payment_in_process, partially_paid (not payable yet),
        // pending_cancel (cancellation in progress: do not ship), and anything new.
        _ => NeutralStatus::Other,
    }
}

fn present(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn ship_to(address: &ShippingAddress, receiver: Option<&str>, phone: Option<&str>) -> Address {
    let street = present(address.address_line.as_deref()).or_else(|| {
        let joined = [
            address.street_name.as_deref(),
            address.street_number.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        present(Some(&joined))
    });
    let name_of =
        |n: &Option<crate::model::Named>| n.as_ref().and_then(|n| present(n.name.as_deref()));
    Address {
        name: present(receiver).or_else(|| present(address.receiver_name.as_deref())),
        company: None,
        lines: street
            .into_iter()
            .chain(present(address.comment.as_deref()))
            .collect(),
        city: name_of(&address.city),
        district: name_of(&address.neighborhood).or_else(|| name_of(&address.municipality)),
        state: name_of(&address.state).or_else(|| {
            address
                .state
                .as_ref()
                .and_then(|s| present(s.id.as_deref()))
        }),
        postal_code: present(address.zip_code.as_deref()),
        country_code: address
            .country
            .as_ref()
            .and_then(|c| present(c.id.as_deref())),
        phone: present(phone).or_else(|| present(address.receiver_phone.as_deref())),
    }
}

/// `raw` joined with its shipment: the order object with `"shipment": {...}` appended.
fn join_raw(
    order: &RawValue,
    shipment: Option<&RawValue>,
) -> Result<Box<RawValue>, MarketplaceError> {
    let Some(shipment) = shipment else {
        return Ok(order.to_owned());
    };
    let text = order.get().trim_end();
    let head = text
        .strip_suffix('}')
        .ok_or_else(|| MarketplaceError::malformed("the order is not a JSON object"))?;
    let empty = head
        .trim_start()
        .strip_prefix('{')
        .is_some_and(|inner| inner.trim().is_empty());
    let separator = if empty { "" } else { "," };
    RawValue::from_string(format!(
        "{head}{separator}\"{RAW_SHIPMENT_KEY}\":{}}}",
        shipment.get()
    ))
    .map_err(|_| MarketplaceError::malformed("the order and its shipment do not join"))
}

/// One order (and its shipment, where it was fetched), as received, to the neutral order.
pub fn to_platform_order(
    store: StoreRef,
    raw: &RawValue,
    shipment_raw: Option<&RawValue>,
) -> Result<PlatformOrder, MarketplaceError> {
    let order: Order = decode_json(raw.get().as_bytes())?;
    let shipment: Option<Shipment> = shipment_raw
        .map(|s| decode_json(s.get().as_bytes()))
        .transpose()?;
    let embedded = order.shipping.as_ref();

    let facts = ShippingFacts {
        exists: embedded.is_some_and(|s| s.id.is_some()),
        status: shipment
            .as_ref()
            .and_then(|s| s.status.as_deref())
            .or_else(|| embedded.and_then(|s| s.status.as_deref())),
        mode: shipment
            .as_ref()
            .and_then(Shipment::mode)
            .or_else(|| embedded.and_then(|s| s.shipping_mode.as_deref())),
        logistic_type: shipment
            .as_ref()
            .and_then(Shipment::logistic_type)
            .or_else(|| embedded.and_then(|s| s.logistic_type.as_deref())),
    };
    let destination = shipment.as_ref().and_then(|s| s.destination.as_ref());
    let address = destination
        .and_then(|d| d.shipping_address.as_ref())
        .or_else(|| shipment.as_ref().and_then(|s| s.receiver_address.as_ref()))
        .or_else(|| embedded.and_then(|s| s.receiver_address.as_ref()));
    let ship_to = address
        .map(|a| {
            ship_to(
                a,
                destination.and_then(|d| d.receiver_name.as_deref()),
                destination.and_then(|d| d.receiver_phone.as_deref()),
            )
        })
        .unwrap_or_default();

    let lines = order
        .order_items
        .iter()
        .map(|line| OrderLine {
            line_id: None,
            platform_sku: present(line.item.seller_sku.as_deref())
                .or_else(|| present(line.item.seller_custom_field.as_deref()))
                .unwrap_or_default(),
            platform_item_id: Some(line.item.id.clone()),
            platform_variant_id: line.item.variation_id.clone(),
            title: line.item.title.clone(),
            quantity: line.quantity,
            unit_price: line.unit_price,
        })
        .collect();

    let created_at = order.date_created.with_timezone(&Utc);
    let updated_at = order
        .date_last_updated
        .or(order.last_updated)
        .or(order.date_closed)
        .map_or(created_at, |t| t.with_timezone(&Utc))
        .max(created_at);
    let buyer_name = order.buyer.as_ref().and_then(|b| {
        let full = [b.first_name.as_deref(), b.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        present(Some(&full)).or_else(|| present(b.nickname.as_deref()))
    });

    Ok(PlatformOrder {
        store: store.id,
        platform: store.platform,
        platform_order_id: order.id.clone(),
        status: neutral_status(&order.status, &order.tags, facts),
        platform_status: order.status.clone(),
        created_at,
        updated_at,
        currency: order.currency_id.clone(),
        buyer_name,
        ship_to,
        lines,
        // Mercado Envíos 2 prints the carrier's label; Full and Flex have no seller label.
        platform_label_hint: facts.mode == Some("me2")
            && !matches!(facts.logistic_type, Some("fulfillment" | "self_service")),
        raw: join_raw(raw, shipment_raw)?,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::TimeZone;
    use core_model::StoreId;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    const STORE: StoreRef = StoreRef {
        id: StoreId(7),
        platform: Platform::Mercadolibre,
    };

    fn facts(status: &str) -> ShippingFacts<'_> {
        ShippingFacts {
            exists: true,
            status: Some(status),
            mode: Some("me2"),
            logistic_type: Some("drop_off"),
        }
    }

    /// Every order status Mercado Libre documents, with a shipment still to be sent.
    #[test]
    fn every_order_status_is_mapped() {
        use NeutralStatus::*;
        for (status, want) in [
            ("confirmed", Other),
            ("payment_required", Other),
            ("payment_in_process", Other),
            ("partially_paid", Other),
            ("paid", AwaitingFulfillment),
            ("partially_refunded", AwaitingFulfillment),
            ("pending_cancel", Other),
            ("cancelled", Cancelled),
            ("invalid", Cancelled),
            ("something_new", Other),
        ] {
            assert_eq!(
                neutral_status(status, &[], facts("ready_to_ship")),
                want,
                "{status}"
            );
        }
    }

    /// Every shipment status, for a paid order: the shipment decides shipped and cancelled.
    #[test]
    fn every_shipment_status_is_mapped() {
        use NeutralStatus::*;
        for (status, want) in [
            ("pending", AwaitingFulfillment),
            ("handling", AwaitingFulfillment),
            ("ready_to_ship", AwaitingFulfillment),
            ("shipped", Shipped),
            ("delivered", Shipped),
            ("not_delivered", Other),
            ("cancelled", Cancelled),
            ("to_be_agreed", Other),
            ("not_verified", Other),
            ("closed", Other),
            ("error", Other),
            ("active", Other),
        ] {
            assert_eq!(neutral_status("paid", &[], facts(status)), want, "{status}");
        }
        // A shipped shipment wins over an order that is still cancelling or unpaid.
        assert_eq!(
            neutral_status("pending_cancel", &[], facts("shipped")),
            Shipped
        );
        assert_eq!(
            neutral_status("cancelled", &[], facts("shipped")),
            Cancelled
        );
    }

    #[test]
    fn tags_full_and_missing_shipments() {
        use NeutralStatus::*;
        let delivered = vec!["paid".to_owned(), "delivered".to_owned()];
        assert_eq!(
            neutral_status("paid", &delivered, ShippingFacts::default()),
            Shipped
        );
        let full = ShippingFacts {
            logistic_type: Some("fulfillment"),
            ..facts("ready_to_ship")
        };
        assert_eq!(neutral_status("paid", &[], full), Other);
        let custom = ShippingFacts {
            mode: Some("custom"),
            logistic_type: None,
            ..facts("pending")
        };
        assert_eq!(neutral_status("paid", &[], custom), AwaitingFulfillment);
        // Paid without any shipment: pickup or "to agree"; nothing for the warehouse to send.
        assert_eq!(neutral_status("paid", &[], ShippingFacts::default()), Other);
    }

    // Shaped like the `/orders/search` result of mercadolibre.md section 10 and the
    // x-format-new shipment of the shipments guide (invented values).
    const ORDER: &str = r#"{"id": 2000008123456789, "date_created": "2026-05-10T10:15:30.000-03:00",
        "date_closed": "2026-05-10T10:15:34.000-03:00", "last_updated": "2026-05-10T10:16:02.000-03:00",
        "date_last_updated": "2026-05-10T13:16:02.000Z", "status": "paid", "status_detail": null,
        "pack_id": 2000004123456001, "tags": ["order_has_discount", "paid", "not_delivered", "pack_order"],
        "currency_id": "ARS", "total_amount": 31998.0,
        "order_items": [
          {"item": {"id": "MLA1398765432", "title": "Remera Algodón Negra Talle M", "variation_id": 182345678901,
                    "seller_custom_field": "OLD-CODE", "seller_sku": "TSHIRT-BLK-M",
                    "variation_attributes": [{"id": "SIZE", "name": "Talle", "value_id": "3259478", "value_name": "M"}]},
           "quantity": 2, "unit_price": 12999.5, "full_unit_price": 15999.0, "currency_id": "ARS"},
          {"item": {"id": "MLA1398765999", "title": "Gorra", "variation_id": null, "seller_custom_field": "CAP-01",
                    "seller_sku": null},
           "quantity": 1, "unit_price": 5999, "currency_id": "ARS"}],
        "shipping": {"id": 43712345678},
        "buyer": {"id": 987654321, "nickname": "COMPRADOR123", "first_name": "Lucía", "last_name": "Ferreyra"},
        "seller": {"id": 1287654321}}"#;

    const SHIPMENT: &str = r#"{"id": 43712345678, "status": "ready_to_ship", "substatus": "ready_to_print",
        "tracking_number": "TRK43712345678", "tracking_method": "MEL Distribution",
        "logistic": {"direction": "forward", "mode": "me2", "type": "drop_off"},
        "destination": {"type": "buying_address", "receiver_id": 987654321, "receiver_name": "Lucía Ferreyra",
          "receiver_phone": "XXXXXXX", "comments": null,
          "shipping_address": {"address_id": 1150000001, "address_line": "Av. Belgrano 1452", "street_name": "Av. Belgrano",
            "street_number": 1452, "comment": "Piso 3 Dto B", "zip_code": "4400",
            "city": {"id": "TUxBQ1NBTDVhNGIx", "name": "Salta"}, "state": {"id": "AR-A", "name": "Salta"},
            "country": {"id": "AR", "name": "Argentina"}, "neighborhood": {"id": null, "name": "Centro"},
            "municipality": {"id": null, "name": null}}}}"#;

    fn raw(json: &str) -> Box<RawValue> {
        RawValue::from_string(json.to_owned()).unwrap()
    }

    #[test]
    fn maps_one_order_end_to_end() {
        let o = to_platform_order(STORE, &raw(ORDER), Some(&raw(SHIPMENT))).unwrap();
        assert_eq!(o.store, StoreId(7));
        assert_eq!(o.platform_order_id, "2000008123456789");
        assert_eq!(
            (o.platform_status.as_str(), o.status),
            ("paid", NeutralStatus::AwaitingFulfillment)
        );
        assert_eq!(
            o.created_at,
            Utc.with_ymd_and_hms(2026, 5, 10, 13, 15, 30).unwrap()
        );
        assert_eq!(
            o.updated_at,
            Utc.with_ymd_and_hms(2026, 5, 10, 13, 16, 2).unwrap()
        );
        assert_eq!(o.currency, "ARS");
        assert_eq!(o.buyer_name.as_deref(), Some("Lucía Ferreyra"));
        assert_eq!(o.ship_to.name.as_deref(), Some("Lucía Ferreyra"));
        assert_eq!(o.ship_to.lines, ["Av. Belgrano 1452", "Piso 3 Dto B"]);
        assert_eq!(o.ship_to.city.as_deref(), Some("Salta"));
        assert_eq!(o.ship_to.district.as_deref(), Some("Centro"));
        assert_eq!(o.ship_to.state.as_deref(), Some("Salta"));
        assert_eq!(o.ship_to.postal_code.as_deref(), Some("4400"));
        assert_eq!(o.ship_to.country_code.as_deref(), Some("AR"));
        assert!(o.platform_label_hint);

        let a = &o.lines[0];
        assert_eq!(a.platform_sku, "TSHIRT-BLK-M", "seller_sku first");
        assert_eq!(a.platform_item_id.as_deref(), Some("MLA1398765432"));
        assert_eq!(a.platform_variant_id.as_deref(), Some("182345678901"));
        assert_eq!(
            (a.quantity, a.unit_price),
            (2, Decimal::from_str("12999.5").unwrap())
        );
        let b = &o.lines[1];
        assert_eq!(
            b.platform_sku, "CAP-01",
            "seller_custom_field when seller_sku is null"
        );
        assert_eq!(b.platform_variant_id, None);
        assert_eq!(b.unit_price, Decimal::from(5999));

        // raw is the order as received with the shipment appended, both intact.
        let joined: serde_json::Value = serde_json::from_str(o.raw_json()).unwrap();
        assert_eq!(joined["shipment"]["id"], 43712345678u64);
        assert!(o
            .raw_json()
            .starts_with(ORDER.trim_end().strip_suffix('}').unwrap()));
        assert!(o.raw_json().contains(SHIPMENT));
    }

    #[test]
    fn orders_without_a_fetched_shipment_and_legacy_shipping() {
        let o = to_platform_order(STORE, &raw(ORDER), None).unwrap();
        assert_eq!(
            o.status,
            NeutralStatus::Other,
            "a paid order's shipment is unknown"
        );
        assert_eq!(o.ship_to, Address::default());
        assert_eq!(o.raw_json(), ORDER);

        let legacy = ORDER.replace(
            r#""shipping": {"id": 43712345678}"#,
            r#""shipping": {"id": 20176304039, "status": "pending", "shipping_mode": "custom",
                "receiver_address": {"id": 1, "address_line": "Rua Júlio 262", "zip_code": "01310-000",
                  "city": {"id": "BR-SP-44", "name": "Bauru"}, "state": {"id": "BR-SP", "name": "SP"},
                  "country": {"id": "BR", "name": "Brasil"}, "receiver_name": "Ana", "receiver_phone": "11 5555"}}"#,
        );
        let order: Order = decode_json(legacy.as_bytes()).unwrap();
        assert_eq!(
            shipment_to_fetch(&order),
            None,
            "the order carries its shipment"
        );
        let o = to_platform_order(STORE, &raw(&legacy), None).unwrap();
        assert_eq!(o.status, NeutralStatus::AwaitingFulfillment);
        assert_eq!(o.ship_to.name.as_deref(), Some("Ana"));
        assert_eq!(o.ship_to.phone.as_deref(), Some("11 5555"));
        assert!(
            !o.platform_label_hint,
            "custom shipping has no platform label"
        );
    }

    #[test]
    fn only_paid_undelivered_orders_need_their_shipment() {
        let order = |status: &str, tags: &str| {
            let json = ORDER
                .replace(r#""status": "paid""#, &format!(r#""status": "{status}""#))
                .replace(
                    r#""tags": ["order_has_discount", "paid", "not_delivered", "pack_order"]"#,
                    &format!(r#""tags": [{tags}]"#),
                );
            decode_json::<Order>(json.as_bytes()).unwrap()
        };
        assert_eq!(
            shipment_to_fetch(&order("paid", r#""paid""#)),
            Some("43712345678")
        );
        assert_eq!(
            shipment_to_fetch(&order("partially_refunded", r#""paid""#)),
            Some("43712345678")
        );
        assert_eq!(
            shipment_to_fetch(&order("paid", r#""paid","delivered""#)),
            None
        );
        for unpaid in [
            "confirmed",
            "payment_required",
            "cancelled",
            "pending_cancel",
            "invalid",
        ] {
            assert_eq!(shipment_to_fetch(&order(unpaid, "")), None, "{unpaid}");
        }
    }

    #[test]
    fn a_broken_order_or_shipment_is_malformed_and_names_no_values() {
        let bad = ORDER.replace(r#""quantity": 2"#, r#""quantity": "two""#);
        let e = to_platform_order(STORE, &raw(&bad), None).unwrap_err();
        assert_eq!(e.kind(), core_model::ErrorKind::Malformed);
        assert!(
            e.message().contains("order_items[0].quantity"),
            "{}",
            e.message()
        );
        assert!(!e.message().contains("two"));
        assert_eq!(order_id_of(&raw(&bad)).as_deref(), Some("2000008123456789"));

        let bad_shipment = SHIPMENT.replace(r#""id": 43712345678"#, r#""id": {"x": 1}"#);
        let e = to_platform_order(STORE, &raw(ORDER), Some(&raw(&bad_shipment))).unwrap_err();
        assert_eq!(e.kind(), core_model::ErrorKind::Malformed);
    }

    #[test]
    fn times_and_slices() {
        let t = Utc.with_ymd_and_hms(2026, 5, 10, 0, 0, 0).unwrap();
        assert_eq!(ml_time(t), "2026-05-10T00:00:00.000-00:00");
        assert_eq!(
            ml_time(t + TimeDelta::milliseconds(86_399_999)),
            "2026-05-10T23:59:59.999-00:00"
        );
        // 40 days holding 20,000 orders: a slice of about a quarter holds half the ceiling.
        let to = t + TimeDelta::days(40);
        assert_eq!(narrowed_end(t, to, 20_000), Some(t + TimeDelta::days(10)));
        assert_eq!(narrowed_end(t, t + TimeDelta::seconds(30), 50_000), None);
        assert_eq!(
            narrowed_end(t, t + TimeDelta::minutes(2), 1_000_000),
            Some(t + MIN_SLICE)
        );
        assert_eq!(
            narrowed_end(t, to, 4_000),
            None,
            "already under half the ceiling"
        );
    }

    #[test]
    fn joining_keeps_both_texts() {
        let joined = join_raw(&raw("{ }"), Some(&raw(r#"{"id": 1}"#))).unwrap();
        assert_eq!(joined.get(), r#"{ "shipment":{"id": 1}}"#);
        let joined = join_raw(&raw(r#"{"id": 5} "#), Some(&raw(r#"{"id": 1}"#))).unwrap();
        assert_eq!(joined.get(), r#"{"id": 5,"shipment":{"id": 1}}"#);
        assert!(join_raw(&raw("[1]"), Some(&raw("{}"))).is_err());
    }

    #[test]
    fn cursors_round_trip() {
        let t = Utc.with_ymd_and_hms(2026, 5, 10, 0, 0, 0).unwrap();
        let window = Window::new(t, t + TimeDelta::days(2)).unwrap();
        let c = cursor_at(
            t,
            Some(PageState {
                offset: 50,
                to: None,
            }),
        )
        .unwrap();
        let back = WindowCursor::resume(&window, Some(&c)).unwrap();
        let state: PageState = serde_json::from_str(back.page.as_deref().unwrap()).unwrap();
        assert_eq!(
            state,
            PageState {
                offset: 50,
                to: None
            }
        );
    }

    /// The `offset-ceiling` fixture: the whole day reports 10,240 orders, so the first page is
    /// dropped and the day is walked in a narrowed slice, then the rest.
    #[tokio::test]
    async fn a_crowded_window_is_narrowed() {
        use connector_testkit::conformance::{pull_all, Target};
        let target = Target::new(std::sync::Arc::new(crate::MercadolibreFactory));
        let (server, loaded) = target.serve("offset-ceiling").await;
        let window = Window::new(
            Utc.with_ymd_and_hms(2026, 5, 10, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 5, 11, 0, 0, 0).unwrap(),
        )
        .unwrap();
        let pulled = pull_all(target.connector(&server, &loaded).as_ref(), window, None)
            .await
            .unwrap();
        assert_eq!(pulled.pages, 3);
        let mut got: Vec<String> = pulled
            .orders
            .iter()
            .map(|o| o.platform_order_id.clone())
            .collect();
        got.sort();
        let mut want = loaded.expect.orders.clone();
        want.sort();
        assert_eq!(got, want);
        server.verify().await;
    }
}
