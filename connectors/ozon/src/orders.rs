//! Order pull: `POST /v4/posting/fbs/list` over the window (`filter.since`/`filter.to`, one year
//! at most per call, longer windows split), paged with Ozon's opaque `cursor` while `has_next`,
//! with the `with` blocks (analytics, barcodes, financial data) so no per-posting call is
//! needed; and the one mapping from the wire `Posting` to `PlatformOrder`.
//!
//! Ozon orders are split into postings and every action (assembly, label, tracking) is per
//! posting, so one posting is one `PlatformOrder` with `posting_number` as its id.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use connector_kit::cursor::WindowCursor;
use connector_kit::decode_json;
use core_model::{
    Address, Cursor, MalformedOrder, MarketplaceError, NeutralStatus, Operation, OrderLine,
    OrderPage, PlatformOrder, StoreRef, Window,
};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use crate::model::{
    Posting, PostingListFilter, PostingListRequest, PostingListResponse, PostingWith,
};
use crate::OzonConnector;

/// The v4 FBS posting list (the v3 lists are deprecated).
pub const LIST_PATH: &str = "/v4/posting/fbs/list";
/// Postings per page: the schema's maximum for `limit`.
pub const PAGE_SIZE: u32 = 100;
/// "The period must not be longer than one year" (`/v4/posting/fbs/list` description).
pub const MAX_WINDOW: Duration = Duration::from_secs(365 * 86_400);

/// Every posting status of the reference (`status` of the v4 list and v3 get, and the v4
/// list's `filter.statuses`), for the status mapping's tests.
pub const STATUSES: &[&str] = &[
    "acceptance_in_progress",
    "arbitration",
    "awaiting_approve",
    "awaiting_deliver",
    "awaiting_packaging",
    "awaiting_registration",
    "awaiting_verification",
    "cancelled",
    "cancelled_from_split_pending",
    "client_arbitration",
    "delivered",
    "delivering",
    "driver_pickup",
    "not_accepted",
    "sent_by_seller",
];

/// The substatus of a posting whose assembly failed: it must be assembled again.
pub const SHIP_FAILED: &str = "ship_failed";

/// The list request of one page of `slice`. Ozon's `to` is taken as inclusive, so the
/// half-open slice `[from, to)` asks up to one millisecond before `to`.
pub fn list_request<'a>(slice: &Window, cursor: &'a str) -> PostingListRequest<'a> {
    let last = (slice.to - TimeDelta::milliseconds(1)).max(slice.from);
    PostingListRequest {
        filter: PostingListFilter {
            since: iso(slice.from),
            to: iso(last),
        },
        limit: PAGE_SIZE,
        cursor,
        sort_dir: "ASC",
        with: PostingWith {
            analytics_data: true,
            barcodes: true,
            financial_data: true,
            // Buyer company names and tax ids: not needed to fulfil.
            legal_info: false,
        },
    }
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// One page of postings whose processing started inside the window.
pub async fn pull_orders(
    c: &OzonConnector,
    window: Window,
    cursor: Option<&Cursor>,
) -> Result<OrderPage, MarketplaceError> {
    let position = WindowCursor::resume(&window, cursor)?;
    let slice = position.slice(&window, Some(MAX_WINDOW));
    let sent = position.page.as_deref().unwrap_or("");
    let body = list_request(&slice, sent);
    let response = c.post(Operation::PullOrders, LIST_PATH, &body).await?;
    let envelope: PostingListResponse = response.json()?;

    let mut page = OrderPage::default();
    for raw in envelope.postings.unwrap_or_default() {
        match decode_json::<Posting>(raw.get().as_bytes())
            .and_then(|posting| to_platform_order(c.store(), &posting, &raw))
        {
            Ok(order) => page.orders.push(order),
            Err(error) => page.malformed.push(malformed(&raw, error)),
        }
    }
    let next = match (envelope.has_next, envelope.cursor) {
        (false, _) => None,
        (true, Some(next)) if !next.is_empty() && next != sent => Some(next),
        (true, _) => {
            return Err(MarketplaceError::malformed(
                "`has_next` is true without a new `cursor`",
            ))
        }
    };
    page.next_cursor = position.advance(&window, Some(MAX_WINDOW), next);
    Ok(page)
}

/// A posting that does not fit the wire types, kept raw with its number when it has one.
fn malformed(raw: &RawValue, error: MarketplaceError) -> MalformedOrder {
    let id = serde_json::from_str::<serde_json::Value>(raw.get())
        .ok()
        .and_then(|v| {
            v.get("posting_number")
                .and_then(|n| n.as_str())
                .map(str::to_owned)
        });
    MalformedOrder {
        platform_order_id: id,
        raw: raw.get().to_owned(),
        error,
    }
}

/// Ozon's posting status folded into the neutral four. A posting whose assembly failed
/// (`substatus` `ship_failed`) waits to be assembled again, whatever its status says, unless
/// it is cancelled.
pub fn neutral_status(status: &str, substatus: Option<&str>) -> NeutralStatus {
    let neutral = match status {
        // Needs assembly; or assembled, label printable, not yet handed over.
        "awaiting_packaging" | "awaiting_deliver" => NeutralStatus::AwaitingFulfillment,
        // Handed over: with the driver, in delivery, sent by the seller, delivered.
        "driver_pickup" | "delivering" | "sent_by_seller" | "delivered" => NeutralStatus::Shipped,
        "cancelled" | "cancelled_from_split_pending" => NeutralStatus::Cancelled,
        // Not yet actionable (registration, acceptance, approval, verification) or a dispute
        // (arbitration, client_arbitration, not_accepted at the sorting centre).
        _ => NeutralStatus::Other,
    };
    if substatus == Some(SHIP_FAILED) && neutral != NeutralStatus::Cancelled {
        return NeutralStatus::AwaitingFulfillment;
    }
    neutral
}

/// The one mapping from a posting to the neutral order. `raw` is the posting as received.
pub fn to_platform_order(
    store: StoreRef,
    p: &Posting,
    raw: &RawValue,
) -> Result<PlatformOrder, MarketplaceError> {
    if p.posting_number.trim().is_empty() {
        return Err(MarketplaceError::malformed("empty `posting_number`"));
    }
    let currency = currency(p)?;
    let mut lines = Vec::with_capacity(p.products.len());
    for product in p.products.iter().filter(|x| x.quantity > 0) {
        let unit_price = Decimal::from_str(product.price.amount.trim()).map_err(|_| {
            MarketplaceError::malformed("`products[].price.amount` is not a decimal")
        })?;
        lines.push(OrderLine {
            // The Ozon SKU is unique within a posting and is what assembly names.
            line_id: Some(product.sku.to_string()),
            platform_sku: product.offer_id.clone().unwrap_or_default(),
            platform_item_id: Some(product.sku.to_string()),
            platform_variant_id: None,
            title: non_empty(&product.name),
            quantity: product.quantity,
            unit_price,
        });
    }
    if lines.is_empty() {
        return Err(MarketplaceError::malformed("a posting without products"));
    }
    let customer = p.customer.as_ref();
    let buyer_name = customer
        .and_then(|c| non_empty(&c.name))
        .or_else(|| p.addressee.as_ref().and_then(|a| non_empty(&a.name)));
    let address = customer.and_then(|c| c.address.as_ref());
    let ship_to = Address {
        name: buyer_name.clone(),
        company: None,
        lines: address
            .and_then(|a| non_empty(&a.address_tail))
            .into_iter()
            .collect(),
        city: address.and_then(|a| non_empty(&a.city)),
        district: address.and_then(|a| non_empty(&a.district)),
        state: address.and_then(|a| non_empty(&a.region)),
        postal_code: address.and_then(|a| non_empty(&a.zip_code)),
        country_code: address
            .and_then(|a| a.country.as_deref())
            .and_then(country_code)
            .map(str::to_owned),
        phone: customer.and_then(|c| non_empty(&c.phone)),
    };
    // Ozon prints the label when it (or a partner it registers with) delivers.
    let ozon_delivers = matches!(
        p.tpl_integration_type.as_deref(),
        Some("ozon" | "aggregator")
    );
    Ok(PlatformOrder {
        store: store.id,
        platform: store.platform,
        platform_order_id: p.posting_number.clone(),
        platform_status: p.status.clone(),
        status: neutral_status(&p.status, p.substatus.as_deref()),
        created_at: p.in_process_at,
        // Postings carry no update time; the list filters by the start of processing.
        updated_at: p.in_process_at,
        currency,
        buyer_name,
        ship_to,
        lines,
        platform_label_hint: ozon_delivers || p.can("label_download"),
        raw: raw.to_owned(),
    })
}

/// The posting's currency: the one every product is priced in (`price.currency`, the
/// currency of the seller's cabinet: RUB, BYN, KZT, EUR, USD, CNY).
fn currency(p: &Posting) -> Result<String, MarketplaceError> {
    let mut found: Option<String> = None;
    for product in &p.products {
        let code = product.price.currency.trim().to_ascii_uppercase();
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(MarketplaceError::malformed(
                "`products[].price.currency` is not an ISO 4217 code",
            ));
        }
        match &found {
            Some(first) if *first != code => {
                return Err(MarketplaceError::malformed(
                    "the products of one posting are priced in different currencies",
                ))
            }
            Some(_) => {}
            None => found = Some(code),
        }
    }
    found.ok_or_else(|| MarketplaceError::malformed("a posting without products"))
}

fn non_empty(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// ISO 3166-1 alpha-2 for the country names Ozon delivers to (it sends names, not codes).
pub fn country_code(name: &str) -> Option<&'static str> {
    let n = name.trim().to_lowercase();
    Some(match n.as_str() {
        "россия" | "российская федерация" | "russia" | "russian federation" => {
            "RU"
        }
        "беларусь" | "белоруссия" | "республика беларусь" | "belarus" => {
            "BY"
        }
        "казахстан" | "республика казахстан" | "kazakhstan" => "KZ",
        "армения" | "armenia" => "AM",
        "кыргызстан" | "киргизия" | "kyrgyzstan" => "KG",
        "узбекистан" | "uzbekistan" => "UZ",
        "грузия" | "georgia" => "GE",
        "азербайджан" | "azerbaijan" => "AZ",
        "таджикистан" | "tajikistan" => "TJ",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::{Platform, StoreId};
    use serde_json::json;

    const STORE: StoreRef = StoreRef {
        id: StoreId(7),
        platform: Platform::Ozon,
    };

    #[test]
    fn every_status_of_the_reference_maps() {
        use NeutralStatus::*;
        let expected = [
            ("acceptance_in_progress", Other),
            ("arbitration", Other),
            ("awaiting_approve", Other),
            ("awaiting_deliver", AwaitingFulfillment),
            ("awaiting_packaging", AwaitingFulfillment),
            ("awaiting_registration", Other),
            ("awaiting_verification", Other),
            ("cancelled", Cancelled),
            ("cancelled_from_split_pending", Cancelled),
            ("client_arbitration", Other),
            ("delivered", Shipped),
            ("delivering", Shipped),
            ("driver_pickup", Shipped),
            ("not_accepted", Other),
            ("sent_by_seller", Shipped),
        ];
        assert_eq!(expected.len(), STATUSES.len());
        for ((status, want), listed) in expected.iter().zip(STATUSES) {
            assert_eq!(status, listed);
            assert_eq!(neutral_status(status, None), *want, "{status}");
            assert_eq!(
                neutral_status(status, Some("posting_created")),
                *want,
                "{status}"
            );
        }
        assert_eq!(neutral_status("some_future_status", None), Other);
    }

    #[test]
    fn a_failed_assembly_waits_to_be_assembled_again() {
        for status in STATUSES {
            let got = neutral_status(status, Some(SHIP_FAILED));
            if neutral_status(status, None) == NeutralStatus::Cancelled {
                assert_eq!(got, NeutralStatus::Cancelled, "{status}");
            } else {
                assert_eq!(got, NeutralStatus::AwaitingFulfillment, "{status}");
            }
        }
    }

    #[test]
    fn the_list_request_spans_the_slice_with_an_inclusive_end() {
        let from = "2026-05-10T00:00:00Z".parse().unwrap();
        let to = "2026-05-11T00:00:00Z".parse().unwrap();
        let req = list_request(&Window::new(from, to).unwrap(), "");
        assert_eq!(
            serde_json::to_value(&req).unwrap(),
            json!({
                "filter": {"since": "2026-05-10T00:00:00Z", "to": "2026-05-10T23:59:59.999Z"},
                "limit": 100,
                "cursor": "",
                "sort_dir": "ASC",
                "with": {"analytics_data": true, "barcodes": true, "financial_data": true, "legal_info": false}
            })
        );
    }

    const RFBS: &str = r#"{
      "posting_number": "0208245774-0029-1",
      "order_id": 33301885134,
      "order_number": "0208245774-0029",
      "status": "awaiting_packaging",
      "substatus": "posting_created",
      "delivery_method": {"id": 20605650762000, "name": "Курьер продавца, Казань", "warehouse_id": 20605650762000, "warehouse": "Казань Склад 2", "tpl_provider_id": 1017, "tpl_provider": "СДЭК"},
      "tracking_number": "",
      "tpl_integration_type": "non_integrated",
      "in_process_at": "2026-05-14T08:00:00.000Z",
      "shipment_date": "2026-05-15T12:00:00Z",
      "delivering_date": null,
      "customer": {
        "address": {"address_tail": "ул. Профсоюзная, д. 4, кв. 12", "city": "Казань", "comment": "", "country": "Россия", "district": "Вахитовский", "latitude": 55.79, "longitude": 49.12, "provider_pvz_code": "", "pvz_code": 0, "region": "Республика Татарстан", "zip_code": "420111"},
        "customer_id": 50412997,
        "name": "Гульнара Сафина",
        "phone": "+79171234567"
      },
      "addressee": {"name": "Гульнара Сафина"},
      "products": [
        {"sku": 1904686181, "offer_id": "TEA-GRN-100", "name": "Чай", "quantity": 2, "price": {"amount": "349.50", "currency": "RUB"}, "imei": [], "is_blr_traceable": false, "is_marketplace_buyout": false},
        {"sku": 1904686190, "offer_id": "", "name": "Mug", "quantity": 1, "price": {"amount": "1290", "currency": "RUB"}}
      ],
      "financial_data": {"cluster_from": "Казань", "cluster_to": "Казань", "products": [{"product_id": 1904686181, "price": 349.5, "old_price": 420, "payout": 300.1, "quantity": 2, "customer_price": {"amount": "349.50", "currency": "RUB"}, "commission": {"amount": 48.9, "currency": "RUB", "percent": 14}}]},
      "available_actions": ["ship", "cancel", "set_track_number"]
    }"#;

    fn map(text: &str) -> Result<PlatformOrder, MarketplaceError> {
        let raw = RawValue::from_string(text.to_owned()).unwrap();
        let posting: Posting = decode_json(raw.get().as_bytes())?;
        to_platform_order(STORE, &posting, &raw)
    }

    #[test]
    fn maps_one_rfbs_posting_end_to_end() {
        let o = map(RFBS).unwrap();
        assert_eq!(o.store, StoreId(7));
        assert_eq!(o.platform, Platform::Ozon);
        assert_eq!(o.platform_order_id, "0208245774-0029-1");
        assert_eq!(o.platform_status, "awaiting_packaging");
        assert_eq!(o.status, NeutralStatus::AwaitingFulfillment);
        let at: DateTime<Utc> = "2026-05-14T08:00:00Z".parse().unwrap();
        assert_eq!((o.created_at, o.updated_at), (at, at));
        assert_eq!(o.currency, "RUB");
        assert_eq!(o.buyer_name.as_deref(), Some("Гульнара Сафина"));
        assert_eq!(o.ship_to.name.as_deref(), Some("Гульнара Сафина"));
        assert_eq!(o.ship_to.lines, vec!["ул. Профсоюзная, д. 4, кв. 12"]);
        assert_eq!(o.ship_to.city.as_deref(), Some("Казань"));
        assert_eq!(o.ship_to.district.as_deref(), Some("Вахитовский"));
        assert_eq!(o.ship_to.state.as_deref(), Some("Республика Татарстан"));
        assert_eq!(o.ship_to.postal_code.as_deref(), Some("420111"));
        assert_eq!(o.ship_to.country_code.as_deref(), Some("RU"));
        assert_eq!(o.ship_to.phone.as_deref(), Some("+79171234567"));
        assert!(!o.platform_label_hint, "the seller's own courier delivers");
        assert_eq!(o.lines.len(), 2);
        let first = &o.lines[0];
        assert_eq!(first.platform_sku, "TEA-GRN-100");
        assert_eq!(first.line_id.as_deref(), Some("1904686181"));
        assert_eq!(first.platform_item_id.as_deref(), Some("1904686181"));
        assert_eq!(first.title.as_deref(), Some("Чай"));
        assert_eq!(first.quantity, 2);
        assert_eq!(first.unit_price, Decimal::from_str("349.50").unwrap());
        // An empty article stays empty: mapping falls back to the Ozon SKU.
        assert_eq!(o.lines[1].platform_sku, "");
        assert_eq!(o.lines[1].unit_price, Decimal::from(1290));
        assert_eq!(o.raw_json(), RFBS);
    }

    #[test]
    fn an_fbs_posting_without_customer_uses_ozon_labels() {
        let text = r#"{"posting_number": "58213907-0001-1", "status": "awaiting_deliver", "substatus": "posting_in_carriage",
            "in_process_at": "2026-05-04T06:44:37Z", "tpl_integration_type": "ozon", "customer": null, "addressee": null,
            "tracking_number": "", "available_actions": null,
            "products": [{"sku": 4116250392, "offer_id": "S5200657-28", "name": "Кроссовки", "quantity": 1, "price": {"amount": "300", "currency": "rub"}}]}"#;
        let o = map(text).unwrap();
        assert!(o.platform_label_hint);
        assert_eq!(o.buyer_name, None);
        assert_eq!(o.ship_to, Address::default());
        assert_eq!(o.currency, "RUB");
    }

    #[test]
    fn unreadable_postings_are_malformed() {
        // v3's price string where v4 sends an object.
        let v3_price = RFBS.replace(
            r#""price": {"amount": "1290", "currency": "RUB"}"#,
            r#""price": "1290.000000""#,
        );
        assert_eq!(
            map(&v3_price).unwrap_err().kind(),
            core_model::ErrorKind::Malformed
        );
        let bad_amount = RFBS.replace(r#""amount": "1290""#, r#""amount": "12,90""#);
        assert!(map(&bad_amount).unwrap_err().message().contains("decimal"));
        let two_currencies = RFBS.replace(
            r#""amount": "1290", "currency": "RUB""#,
            r#""amount": "1290", "currency": "KZT""#,
        );
        assert!(map(&two_currencies)
            .unwrap_err()
            .message()
            .contains("different currencies"));
        let no_time = RFBS.replace(r#""in_process_at": "2026-05-14T08:00:00.000Z","#, "");
        assert!(map(&no_time).is_err());
    }

    #[test]
    fn malformed_keeps_the_raw_text_and_the_number() {
        let raw =
            RawValue::from_string(r#"{"posting_number":"1-2-3","products":7}"#.into()).unwrap();
        let m = malformed(&raw, MarketplaceError::malformed("x"));
        assert_eq!(m.platform_order_id.as_deref(), Some("1-2-3"));
        assert_eq!(m.raw, r#"{"posting_number":"1-2-3","products":7}"#);
    }

    #[test]
    fn country_names() {
        assert_eq!(country_code("Россия"), Some("RU"));
        assert_eq!(country_code(" Казахстан "), Some("KZ"));
        assert_eq!(country_code("Belarus"), Some("BY"));
        assert_eq!(country_code("Атлантида"), None);
    }
}
