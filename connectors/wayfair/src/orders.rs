//! Pulling purchase orders with `getDropshipPurchaseOrders`, and the one mapping from the wire
//! `PurchaseOrder` to `PlatformOrder`.
//!
//! The query has no cursor, offset or end date: `fromDate` returns POs with `poDate` on or
//! after it, `sortOrder: ASC` orders them by `poDate`, `limit` caps the page. A window is
//! therefore walked forward by `fromDate`: each full page moves `fromDate` to the last
//! `poDate` it held and remembers the PO numbers seen at that instant (they come back on the
//! next page and are skipped); POs at or after the window's end stop the walk. Should a whole
//! page share one instant already seen, `fromDate` steps one microsecond past it.
//!
//! A PO carries no status field. What the API tells is whether the supplier has responded
//! (`hasResponse`, "the Purchase Order open status") and, per product, `isCancelled`. So each
//! window is walked twice, first `hasResponse: false` (open POs), then `hasResponse: true`
//! (responded), and the phase is part of the cursor and of the PO's platform status.

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use connector_kit::cursor::WindowCursor;
use connector_kit::decode_json;
use core_model::{
    Address, Cursor, MalformedOrder, MarketplaceError, NeutralStatus, Operation, OrderLine,
    OrderPage, Platform, PlatformOrder, StoreRef, Window,
};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::model::{
    DropshipOrdersData, GraphQlResponse, PoAddress, Product, PurchaseOrder, PurchaseOrderVariables,
};
use crate::{WayfairConnector, GRAPHQL_CLASS};

/// POs per page. Wayfair documents no maximum; its own connector pages by 50.
pub const PAGE_SIZE: u32 = 50;

/// The purchase-order selection, as the orders reference writes it. `isCancelled` is left out
/// in the sandbox, which does not offer it.
pub fn purchase_order_query(with_cancellation: bool) -> String {
    let cancelled = if with_cancellation {
        " isCancelled"
    } else {
        ""
    };
    format!(
        "query getDropshipPurchaseOrders($limit: Int32, $hasResponse: Boolean, \
$fromDate: IsoDateTime, $poNumbers: [String], $sortOrder: SortOrder) {{ \
getDropshipPurchaseOrders(limit: $limit, hasResponse: $hasResponse, fromDate: $fromDate, \
poNumbers: $poNumbers, sortOrder: $sortOrder) {{ \
id storePrefix poNumber poDate orderId supplierId supplierName \
estimatedShipDate scheduledDeliveryDate deliveryMethodCode orderType salesChannelName \
customerName customerAddress1 customerAddress2 customerCity customerState customerPostalCode \
customerCountry customerEmail \
shippingInfo {{ shipSpeed carrierCode }} packingSlipUrl \
warehouse {{ id name address {{ name address1 address2 address3 city state country postalCode \
phoneNumber }} supplier {{ id name currency }} }} \
products {{ partNumber quantity price pieceCount totalCost name weight totalWeight estShipDate \
fillDate sku{cancelled} customComment }} \
shipTo {{ name address1 address2 address3 city state country postalCode phoneNumber }} \
billTo {{ name address1 address2 address3 city state country postalCode phoneNumber }} \
billingInfo {{ vatNumber }} }} }}"
    )
}

/// Which half of a window is being walked: the `hasResponse` value sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// `hasResponse: false`: the supplier has not yet answered the PO.
    #[default]
    Open,
    /// `hasResponse: true`: the PO was answered (accepted, shipped, rejected).
    Responded,
}

impl Phase {
    pub fn has_response(self) -> bool {
        self == Phase::Responded
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Open => "open",
            Phase::Responded => "responded",
        }
    }
}

/// The part of the cursor beside `fromDate`.
#[derive(Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct PageState {
    phase: Phase,
    /// PO numbers already returned at exactly `fromDate`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    seen: Vec<String>,
}

/// Wayfair's date-time form, as `poDate` comes: `2026-05-10 00:00:00.000000 +00:00`.
pub fn wayfair_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.6f +00:00").to_string()
}

/// A `poDate`: Wayfair's `2026-05-10 10:15:30.000000 -04:00`, or ISO 8601. A value without an
/// offset is read as UTC.
pub fn parse_wayfair_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S%.f %:z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f %z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .map(|t| t.and_utc())
}

/// The next `fromDate` of a phase and the PO numbers already returned at exactly that instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub from: DateTime<Utc>,
    pub seen: Vec<String>,
}

/// Where the walk of one phase goes after a full page.
///
/// `heads` are the `(poDate, poNumber)` of the page's readable POs. `None` ends the phase.
pub fn next_from(
    from: DateTime<Utc>,
    seen: &[String],
    heads: &[(DateTime<Utc>, Option<String>)],
    window_to: DateTime<Utc>,
) -> Result<Option<Position>, MarketplaceError> {
    let Some(last) = heads.iter().map(|(at, _)| *at).max() else {
        return Err(MarketplaceError::malformed(
            "a full page of purchase orders without one readable poDate: cannot page on",
        ));
    };
    let numbers_at = |at: DateTime<Utc>| {
        heads
            .iter()
            .filter(move |(t, _)| *t == at)
            .filter_map(|(_, n)| n.clone())
    };
    if last > from {
        let mut at_last: Vec<String> = numbers_at(last).collect();
        at_last.sort();
        at_last.dedup();
        return Ok(Some(Position {
            from: last,
            seen: at_last,
        }));
    }
    let mut grown: Vec<String> = seen.iter().cloned().chain(numbers_at(from)).collect();
    grown.sort();
    grown.dedup();
    if grown.len() > seen.len() {
        return Ok(Some(Position { from, seen: grown }));
    }
    // A whole page at one instant already seen: more POs share it than a page holds.
    tracing::warn!("a full page of purchase orders shares one poDate; stepping past it");
    let stepped = from + TimeDelta::microseconds(1);
    Ok((stepped < window_to).then(|| Position {
        from: stepped,
        seen: Vec::new(),
    }))
}

#[derive(Deserialize)]
struct Head {
    #[serde(rename = "poNumber", default)]
    po_number: Option<serde_json::Value>,
    #[serde(rename = "poDate", default)]
    po_date: Option<serde_json::Value>,
}

/// The PO number and date of a PO, even one that does not fit the wire type.
fn head_of(raw: &RawValue) -> (Option<String>, Option<DateTime<Utc>>) {
    let Ok(head) = serde_json::from_str::<Head>(raw.get()) else {
        return (None, None);
    };
    let number = head
        .po_number
        .and_then(|v| v.as_str().map(str::to_owned))
        .filter(|n| !n.is_empty());
    let date = head
        .po_date
        .and_then(|v| v.as_str().and_then(parse_wayfair_time));
    (number, date)
}

/// One page of `window`, continuing at `cursor`.
pub async fn pull(
    conn: &WayfairConnector,
    window: Window,
    cursor: Option<&Cursor>,
) -> Result<OrderPage, MarketplaceError> {
    let position = WindowCursor::resume(&window, cursor)?;
    let state = match position.page.as_deref() {
        Some(page) => serde_json::from_str::<PageState>(page).map_err(|_| {
            MarketplaceError::permanent("the cursor was not made by this connector")
        })?,
        None => PageState::default(),
    };
    let from = position.from;
    let variables = PurchaseOrderVariables {
        limit: Some(PAGE_SIZE),
        has_response: Some(state.phase.has_response()),
        from_date: Some(wayfair_time(from)),
        po_numbers: None,
        sort_order: Some("ASC"),
    };
    let response = conn
        .graphql(
            Operation::PullOrders,
            GRAPHQL_CLASS,
            conn.po_query(),
            &variables,
        )
        .await?;
    let envelope: GraphQlResponse<DropshipOrdersData> = response.json()?;
    let list = envelope.data.and_then(|d| d.orders).ok_or_else(|| {
        MarketplaceError::malformed("the answer holds no getDropshipPurchaseOrders list")
    })?;

    let mut page = OrderPage::default();
    let mut heads = Vec::with_capacity(list.len());
    let mut reached_end = false;
    for raw in &list {
        let (number, date) = head_of(raw);
        if let Some(at) = date {
            // Sorted by poDate: this PO and every later one lie past the window.
            if at >= window.to {
                reached_end = true;
                break;
            }
            heads.push((at, number.clone()));
            let repeat = at == from && number.as_ref().is_some_and(|n| state.seen.contains(n));
            if at < from || repeat {
                continue;
            }
        }
        match to_platform_order(conn.store(), state.phase, raw) {
            Ok(order) => page.orders.push(order),
            Err(error) => page.malformed.push(MalformedOrder {
                platform_order_id: number,
                raw: raw.get().to_owned(),
                error: error
                    .with_platform(Platform::Wayfair)
                    .with_operation(Operation::PullOrders),
            }),
        }
    }

    let full = list.len() >= PAGE_SIZE as usize;
    let next = if reached_end || !full {
        None
    } else {
        next_from(from, &state.seen, &heads, window.to)?
    };
    let cursor = match (next, state.phase) {
        (Some(Position { from, seen }), phase) => Some(WindowCursor {
            from,
            page: Some(encode(&PageState { phase, seen })?),
        }),
        (None, Phase::Open) => Some(WindowCursor {
            from: window.from,
            page: Some(encode(&PageState {
                phase: Phase::Responded,
                seen: Vec::new(),
            })?),
        }),
        (None, Phase::Responded) => None,
    };
    page.next_cursor = match cursor {
        Some(c) => Some(Cursor(encode(&c)?)),
        None => None,
    };
    Ok(page)
}

fn encode(value: &impl Serialize) -> Result<String, MarketplaceError> {
    serde_json::to_string(value)
        .map_err(|e| MarketplaceError::permanent(format!("cannot encode the cursor: {e}")))
}

/// The platform status: the phase, and `/cancelled` when every product is cancelled or
/// `/partially_cancelled` when some are.
pub fn platform_status(phase: Phase, products: &[Product]) -> String {
    let cancelled = products
        .iter()
        .filter(|p| p.is_cancelled == Some(true))
        .count();
    match cancelled {
        0 => phase.as_str().to_owned(),
        n if n == products.len() => format!("{}/cancelled", phase.as_str()),
        _ => format!("{}/partially_cancelled", phase.as_str()),
    }
}

/// Every platform status the connector reports, folded into the OMS's four values.
pub fn neutral_status(platform_status: &str) -> NeutralStatus {
    match platform_status {
        // New and unanswered: the supplier must ship it.
        "open" => NeutralStatus::AwaitingFulfillment,
        "open/cancelled" | "responded/cancelled" => NeutralStatus::Cancelled,
        // Part of the PO was cancelled: a person decides what still ships.
        "open/partially_cancelled" | "responded/partially_cancelled" => NeutralStatus::Other,
        // Answered already (accepted, rejected or shipped elsewhere): Wayfair does not say
        // which, so it is kept, not acted on.
        "responded" => NeutralStatus::Other,
        _ => NeutralStatus::Other,
    }
}

fn present(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// ISO 3166-1 alpha-2 for the countries Wayfair sells and ships in; POs spell them `USA`.
pub fn country_alpha2(country: &str) -> Option<String> {
    let c = country.trim().to_ascii_uppercase();
    let two = match c.as_str() {
        "USA" | "US" => "US",
        "CAN" | "CA" => "CA",
        "GBR" | "GB" | "UK" => "GB",
        "DEU" | "DE" => "DE",
        "AUT" | "AT" => "AT",
        "IRL" | "IE" => "IE",
        "FRA" | "FR" => "FR",
        "PRI" | "PR" => "PR",
        "MEX" | "MX" => "MX",
        other if other.len() == 2 && other.bytes().all(|b| b.is_ascii_uppercase()) => {
            return Some(other.to_owned());
        }
        _ => return None,
    };
    Some(two.to_owned())
}

/// The PO's currency: the supplier account's, else the one of the store the address is in.
fn currency_of(po: &PurchaseOrder) -> Result<String, MarketplaceError> {
    let supplier = po
        .warehouse
        .as_ref()
        .and_then(|w| w.supplier.as_ref())
        .and_then(|s| present(&s.currency))
        .map(|c| c.to_ascii_uppercase())
        .filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()));
    if let Some(c) = supplier {
        return Ok(c);
    }
    let country = po
        .warehouse
        .as_ref()
        .and_then(|w| w.address.as_ref())
        .and_then(|a| present(&a.country))
        .or_else(|| po.ship_to.as_ref().and_then(|a| present(&a.country)))
        .and_then(|c| country_alpha2(&c));
    let currency = match country.as_deref() {
        Some("US" | "PR") => "USD",
        Some("CA") => "CAD",
        Some("GB") => "GBP",
        Some("DE" | "AT" | "IE" | "FR") => "EUR",
        _ => {
            return Err(MarketplaceError::malformed(
                "the PO names no supplier currency and no known country",
            ))
        }
    };
    Ok(currency.to_owned())
}

fn address(a: &PoAddress) -> Address {
    Address {
        name: present(&a.name),
        company: None,
        lines: [&a.address1, &a.address2, &a.address3]
            .into_iter()
            .filter_map(present)
            .collect(),
        city: present(&a.city),
        district: None,
        state: present(&a.state),
        postal_code: present(&a.postal_code),
        country_code: a.country.as_deref().and_then(country_alpha2),
        phone: present(&a.phone_number),
    }
}

/// `shipTo`, or the customer fields when a PO comes without it.
pub fn ship_to_of(po: &PurchaseOrder) -> PoAddress {
    match &po.ship_to {
        Some(a) if present(&a.address1).is_some() => a.clone(),
        _ => PoAddress {
            name: po.customer_name.clone(),
            address1: po.customer_address1.clone(),
            address2: po.customer_address2.clone(),
            address3: None,
            city: po.customer_city.clone(),
            state: po.customer_state.clone(),
            country: po.customer_country.clone(),
            postal_code: po.customer_postal_code.clone(),
            phone_number: po.ship_to.as_ref().and_then(|a| a.phone_number.clone()),
        },
    }
}

/// Map one PO to the neutral form.
pub fn to_platform_order(
    store: StoreRef,
    phase: Phase,
    raw: &RawValue,
) -> Result<PlatformOrder, MarketplaceError> {
    let po: PurchaseOrder = decode_json(raw.get().as_bytes())?;
    if po.po_number.trim().is_empty() {
        return Err(MarketplaceError::malformed("the PO has an empty poNumber"));
    }
    let created_at = parse_wayfair_time(&po.po_date)
        .ok_or_else(|| MarketplaceError::malformed("`poDate` is not a date-time"))?;
    if po.products.is_empty() {
        return Err(MarketplaceError::malformed("the PO has no products"));
    }
    let lines = po
        .products
        .iter()
        .map(|p| OrderLine {
            line_id: None,
            platform_sku: p.part_number.trim().to_owned(),
            platform_item_id: present(&p.sku),
            platform_variant_id: None,
            title: present(&p.name),
            quantity: p.quantity,
            unit_price: p.price,
        })
        .collect();
    let platform_status = platform_status(phase, &po.products);
    let ship_to = ship_to_of(&po);
    let raw = RawValue::from_string(raw.get().to_owned())
        .map_err(|e| MarketplaceError::malformed(format!("PO JSON: {e}")))?;
    Ok(PlatformOrder {
        store: store.id,
        platform: Platform::Wayfair,
        platform_order_id: po.po_number.trim().to_owned(),
        status: neutral_status(&platform_status),
        platform_status,
        created_at,
        // Wayfair exposes no update time on a PO.
        updated_at: created_at,
        currency: currency_of(&po)?,
        buyer_name: present(&po.customer_name).or_else(|| present(&ship_to.name)),
        ship_to: address(&ship_to),
        lines,
        // A carrier Wayfair assigned means labels come from `register` on its account.
        platform_label_hint: po
            .shipping_info
            .as_ref()
            .is_some_and(|s| present(&s.carrier_code).is_some()),
        raw,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use core_model::{ErrorKind, StoreId};
    use rust_decimal::Decimal;
    use std::str::FromStr;

    const STORE: StoreRef = StoreRef {
        id: StoreId(7),
        platform: Platform::Wayfair,
    };

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 10, h, m, s).unwrap()
    }

    fn product(cancelled: Option<bool>) -> Product {
        serde_json::from_value(serde_json::json!({
            "partNumber": "P-1", "quantity": 1, "price": 10.0, "isCancelled": cancelled
        }))
        .unwrap()
    }

    #[test]
    fn every_platform_status_is_mapped() {
        for (value, want) in [
            ("open", NeutralStatus::AwaitingFulfillment),
            ("open/partially_cancelled", NeutralStatus::Other),
            ("open/cancelled", NeutralStatus::Cancelled),
            ("responded", NeutralStatus::Other),
            ("responded/partially_cancelled", NeutralStatus::Other),
            ("responded/cancelled", NeutralStatus::Cancelled),
            ("something_new", NeutralStatus::Other),
        ] {
            assert_eq!(neutral_status(value), want, "{value}");
        }
    }

    #[test]
    fn platform_status_follows_has_response_and_is_cancelled() {
        let live = product(Some(false));
        let unknown = product(None);
        let gone = product(Some(true));
        assert_eq!(platform_status(Phase::Open, &[live]), "open");
        assert_eq!(platform_status(Phase::Open, &[unknown]), "open");
        assert_eq!(
            platform_status(Phase::Open, &[product(Some(true)), product(Some(false))]),
            "open/partially_cancelled"
        );
        assert_eq!(
            platform_status(Phase::Responded, &[gone, product(Some(true))]),
            "responded/cancelled"
        );
        assert_eq!(
            platform_status(Phase::Responded, &[product(None)]),
            "responded"
        );
    }

    #[test]
    fn wayfair_times_round_trip() {
        let t =
            Utc.with_ymd_and_hms(2026, 5, 10, 14, 15, 30).unwrap() + TimeDelta::microseconds(250);
        assert_eq!(wayfair_time(t), "2026-05-10 14:15:30.000250 +00:00");
        assert_eq!(parse_wayfair_time(&wayfair_time(t)), Some(t));
        let eastern = Utc.with_ymd_and_hms(2026, 5, 10, 14, 15, 30).unwrap();
        for text in [
            "2026-05-10 10:15:30.000000 -04:00",
            "2026-05-10 10:15:30 -04:00",
            "2026-05-10T10:15:30-04:00",
            "2026-05-10T14:15:30Z",
            "2026-05-10 14:15:30.000000",
            "2026-05-10 10:15:30.000000-04:00",
        ] {
            assert_eq!(parse_wayfair_time(text), Some(eastern), "{text}");
        }
        assert_eq!(parse_wayfair_time("yesterday"), None);
    }

    #[test]
    fn the_walk_moves_to_the_last_date_and_skips_what_it_saw() {
        let end = at(23, 0, 0);
        let heads = vec![
            (at(1, 0, 0), Some("CS1".into())),
            (at(2, 0, 0), Some("CS2".into())),
            (at(2, 0, 0), Some("CS3".into())),
        ];
        assert_eq!(
            next_from(at(0, 0, 0), &[], &heads, end).unwrap(),
            Some(Position {
                from: at(2, 0, 0),
                seen: vec!["CS2".into(), "CS3".into()]
            })
        );
        // The next page starts with the two already seen and adds one more at that instant.
        let same = vec![
            (at(2, 0, 0), Some("CS2".into())),
            (at(2, 0, 0), Some("CS3".into())),
            (at(2, 0, 0), Some("CS4".into())),
        ];
        let seen = vec!["CS2".to_owned(), "CS3".to_owned()];
        assert_eq!(
            next_from(at(2, 0, 0), &seen, &same, end).unwrap(),
            Some(Position {
                from: at(2, 0, 0),
                seen: vec!["CS2".into(), "CS3".into(), "CS4".into()]
            })
        );
        // Nothing new at that instant: step one microsecond past it.
        let all_seen = vec!["CS2".into(), "CS3".into(), "CS4".into()];
        assert_eq!(
            next_from(at(2, 0, 0), &all_seen, &same, end).unwrap(),
            Some(Position {
                from: at(2, 0, 0) + TimeDelta::microseconds(1),
                seen: vec![]
            })
        );
        assert_eq!(
            next_from(end - TimeDelta::microseconds(1), &[], &[], end)
                .unwrap_err()
                .kind(),
            ErrorKind::Malformed
        );
    }

    const PO: &str = r#"{
        "id": "UG9OdW1iZXI6Q1MzMDAwMDAwMDE=", "storePrefix": "CS", "poNumber": "CS300000001",
        "poDate": "2026-05-10 08:15:30.000000 -04:00", "orderId": "4300000001",
        "supplierId": 58211, "supplierName": "Northgate Home Goods",
        "estimatedShipDate": "2026-05-12 00:00:00.000000 -04:00", "deliveryMethodCode": "SP",
        "orderType": "Dropship", "salesChannelName": "Wayfair",
        "customerName": "Priya Achterberg", "customerAddress1": "174 Millrace Dr",
        "customerAddress2": null, "customerCity": "Tacoma", "customerState": "WA",
        "customerPostalCode": "98402", "customerCountry": "USA", "customerEmail": null,
        "shippingInfo": {"shipSpeed": "GROUND", "carrierCode": "UPSN"},
        "packingSlipUrl": "https://api.wayfair.com/v1/packing_slip/CS300000001",
        "warehouse": {"id": "58211", "name": "Reno DC",
            "address": {"name": "Reno DC", "address1": "1850 Depot Rd", "address2": null,
                "address3": null, "city": "Reno", "state": "NV", "country": "USA",
                "postalCode": "89502", "phoneNumber": "7755550100"},
            "supplier": {"id": 58211, "name": "Northgate", "currency": "USD"}},
        "products": [
            {"partNumber": "NG-LAMP-BRS", "quantity": 2, "price": 48.75, "pieceCount": 1,
             "totalCost": 97.5, "name": "Lamp", "weight": 6.2, "totalWeight": 12.4,
             "estShipDate": "2026-05-12 00:00:00.000000 -04:00", "fillDate": null,
             "sku": "NGHG1021", "isCancelled": false, "customComment": null},
            {"partNumber": "NG-RUG-58", "quantity": "1", "price": 129.99, "name": "Rug",
             "sku": "NGHG2210", "isCancelled": false}
        ],
        "shipTo": {"name": "Priya Achterberg", "address1": "174 Millrace Dr",
            "address2": "Unit 2", "address3": null, "city": "Tacoma", "state": "WA",
            "country": "USA", "postalCode": "98402", "phoneNumber": "2535550142"},
        "billTo": {"name": "Wayfair LLC", "address1": "4 Copley Place", "city": "Boston",
            "state": "MA", "country": "USA", "postalCode": "02116"},
        "billingInfo": {"vatNumber": null}
    }"#;

    #[test]
    fn maps_one_po_end_to_end() {
        let raw = RawValue::from_string(PO.to_owned()).unwrap();
        let o = to_platform_order(STORE, Phase::Open, &raw).unwrap();
        assert_eq!(o.platform_order_id, "CS300000001");
        assert_eq!(o.platform_status, "open");
        assert_eq!(o.status, NeutralStatus::AwaitingFulfillment);
        assert_eq!(o.created_at, at(12, 15, 30));
        assert_eq!(o.updated_at, o.created_at);
        assert_eq!(o.currency, "USD");
        assert_eq!(o.buyer_name.as_deref(), Some("Priya Achterberg"));
        assert_eq!(o.ship_to.lines, ["174 Millrace Dr", "Unit 2"]);
        assert_eq!(o.ship_to.city.as_deref(), Some("Tacoma"));
        assert_eq!(o.ship_to.country_code.as_deref(), Some("US"));
        assert_eq!(o.ship_to.phone.as_deref(), Some("2535550142"));
        assert!(o.platform_label_hint);
        assert_eq!(o.lines.len(), 2);
        assert_eq!(o.lines[0].platform_sku, "NG-LAMP-BRS");
        assert_eq!(o.lines[0].platform_item_id.as_deref(), Some("NGHG1021"));
        assert_eq!(o.lines[0].title.as_deref(), Some("Lamp"));
        assert_eq!(o.lines[0].quantity, 2);
        assert_eq!(o.lines[0].unit_price, Decimal::from_str("48.75").unwrap());
        assert_eq!(o.lines[1].quantity, 1);
        assert_eq!(o.lines[1].unit_price.to_string(), "129.99");
        assert_eq!(o.raw_json(), PO);

        let responded = to_platform_order(STORE, Phase::Responded, &raw).unwrap();
        assert_eq!(responded.status, NeutralStatus::Other);
    }

    #[test]
    fn currency_falls_back_to_the_store_country_and_bad_pos_are_malformed() {
        let mut v: serde_json::Value = serde_json::from_str(PO).unwrap();
        v["warehouse"]["supplier"]["currency"] = serde_json::Value::Null;
        v["warehouse"]["address"]["country"] = "CAN".into();
        let raw = RawValue::from_string(v.to_string()).unwrap();
        assert_eq!(
            to_platform_order(STORE, Phase::Open, &raw)
                .unwrap()
                .currency,
            "CAD"
        );

        for (field, value) in [
            ("products", serde_json::json!("none")),
            ("poDate", serde_json::json!("soon")),
            ("products", serde_json::json!([])),
        ] {
            let mut bad: serde_json::Value = serde_json::from_str(PO).unwrap();
            bad[field] = value;
            let raw = RawValue::from_string(bad.to_string()).unwrap();
            let e = to_platform_order(STORE, Phase::Open, &raw).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Malformed, "{field}");
            assert_eq!(head_of(&raw).0.as_deref(), Some("CS300000001"));
        }
    }

    #[test]
    fn countries_become_alpha2() {
        assert_eq!(country_alpha2("USA").as_deref(), Some("US"));
        assert_eq!(country_alpha2("gbr").as_deref(), Some("GB"));
        assert_eq!(country_alpha2("NL").as_deref(), Some("NL"));
        assert_eq!(country_alpha2("Narnia"), None);
    }

    #[test]
    fn the_query_asks_for_cancellation_only_in_production() {
        let prod = purchase_order_query(true);
        assert!(prod.contains("getDropshipPurchaseOrders(limit: $limit, hasResponse: $hasResponse, fromDate: $fromDate"));
        assert!(prod.contains("sku isCancelled customComment"));
        assert!(!purchase_order_query(false).contains("isCancelled"));
        assert_eq!(prod.matches('{').count(), prod.matches('}').count());
    }
}
