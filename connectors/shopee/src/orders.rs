//! Order pull: `get_order_list` by `update_time` in slices of at most 15 days, then
//! `get_order_detail` for the page's order numbers in batches of 50, and the one mapping from
//! Shopee's order detail to `PlatformOrder`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use connector_kit::cursor::WindowCursor;
use connector_kit::{decode_json, ApiRequest};
use core_model::{
    Address, Cursor, MalformedOrder, MarketplaceError, NeutralStatus, Operation, OrderLine,
    OrderPage, PlatformOrder, StoreRef, Window,
};
use serde_json::value::RawValue;

use crate::model::{Envelope, OrderDetail, OrderDetailResponse, OrderListResponse, OrderSnOnly};
use crate::ShopeeConnector;

/// `time_to - time_from` may not exceed 15 days (`order.order_list_invalid_time`).
pub const MAX_WINDOW: Duration = Duration::from_secs(15 * 24 * 3600);
/// The largest `page_size` get_order_list accepts.
pub const PAGE_SIZE: u32 = 100;
/// The most `order_sn_list` entries get_order_detail accepts.
pub const DETAIL_BATCH: usize = 50;
/// The endpoint class of the order APIs.
pub const ORDERS_CLASS: &str = "orders";

pub const LIST_PATH: &str = "/api/v2/order/get_order_list";
pub const DETAIL_PATH: &str = "/api/v2/order/get_order_detail";

/// Every optional detail field the mapping or the label flow reads, and the buyer and
/// payment context an operator looks at in `raw`.
pub const DETAIL_FIELDS: &str = "buyer_user_id,buyer_username,estimated_shipping_fee,recipient_address,\
actual_shipping_fee,goods_to_declare,note,note_update_time,item_list,pay_time,dropshipper,\
dropshipper_phone,split_up,buyer_cancel_reason,cancel_by,cancel_reason,actual_shipping_fee_confirmed,\
buyer_cpf_id,fulfillment_flag,pickup_done_time,package_list,shipping_carrier,payment_method,\
total_amount,invoice_data,order_chargeable_weight_gram,return_request_due_date,edt";

/// One page: one list call and the detail call(s) for its orders.
pub async fn pull_orders(
    c: &ShopeeConnector,
    window: Window,
    cursor: Option<&Cursor>,
) -> Result<OrderPage, MarketplaceError> {
    let position = WindowCursor::resume(&window, cursor)?;
    let slice = position.slice(&window, Some(MAX_WINDOW));
    let list = list_page(c, &slice, position.page.as_deref()).await?;

    let next_page = match (list.more, list.next_cursor.filter(|n| !n.is_empty())) {
        (true, Some(next)) => Some(next),
        (true, None) => {
            return Err(MarketplaceError::malformed(
                "get_order_list said `more` without a `next_cursor`",
            ))
        }
        (false, _) => None,
    };
    let order_sns: Vec<String> = list.order_list.into_iter().map(|o| o.order_sn).collect();
    let mut page = OrderPage::default();
    for batch in order_sns.chunks(DETAIL_BATCH) {
        for raw in order_details(c, batch).await? {
            match to_platform_order(c.store(), &raw) {
                Ok(order) => page.orders.push(order),
                Err(error) => {
                    let platform_order_id = serde_json::from_str::<OrderSnOnly>(raw.get())
                        .ok()
                        .and_then(|o| o.order_sn);
                    tracing::warn!(
                        platform = "shopee",
                        order_sn = platform_order_id.as_deref(),
                        "order detail does not decode: {}",
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
    page.next_cursor = position.advance(&window, Some(MAX_WINDOW), next_page);
    Ok(page)
}

async fn list_page(
    c: &ShopeeConnector,
    slice: &Window,
    cursor: Option<&str>,
) -> Result<OrderListResponse, MarketplaceError> {
    let mut request = ApiRequest::get(Operation::PullOrders, ORDERS_CLASS, c.url(LIST_PATH)?)
        .query("time_range_field", "update_time")
        .query("time_from", slice.from.timestamp().to_string())
        .query("time_to", slice.to.timestamp().to_string())
        .query("page_size", PAGE_SIZE.to_string())
        .query("response_optional_fields", "order_status")
        .query("request_order_status_pending", "true");
    if let Some(cursor) = cursor {
        request = request.query("cursor", cursor);
    }
    let response = c.http().send(request, Some(c.auth())).await?;
    response_of(
        decode_json::<Envelope<OrderListResponse>>(&response.body)?,
        LIST_PATH,
    )
}

async fn order_details(
    c: &ShopeeConnector,
    order_sns: &[String],
) -> Result<Vec<Box<RawValue>>, MarketplaceError> {
    let request = ApiRequest::get(Operation::PullOrders, ORDERS_CLASS, c.url(DETAIL_PATH)?)
        .query("order_sn_list", order_sns.join(","))
        .query("request_order_status_pending", "true")
        .query("response_optional_fields", DETAIL_FIELDS);
    let response = c.http().send(request, Some(c.auth())).await?;
    // The list is decoded element by element below, so one bad order cannot fail the page.
    let details = response_of(
        decode_json::<Envelope<OrderDetailResponse>>(&response.body)?,
        DETAIL_PATH,
    )?;
    if details.order_list.len() < order_sns.len() {
        tracing::warn!(
            platform = "shopee",
            asked = order_sns.len(),
            got = details.order_list.len(),
            "get_order_detail returned fewer orders than listed"
        );
    }
    Ok(details.order_list)
}

/// The `response` object of a successful envelope.
pub fn response_of<T>(envelope: Envelope<T>, path: &str) -> Result<T, MarketplaceError> {
    envelope
        .response
        .ok_or_else(|| MarketplaceError::malformed(format!("{path} answered without `response`")))
}

/// Shopee `order_status` folded into the neutral status (shopee.md section 9).
pub fn neutral_status(order_status: &str) -> NeutralStatus {
    match order_status {
        "READY_TO_SHIP" | "PROCESSED" | "RETRY_SHIP" => NeutralStatus::AwaitingFulfillment,
        "SHIPPED" | "TO_CONFIRM_RECEIVE" | "COMPLETED" => NeutralStatus::Shipped,
        "CANCELLED" => NeutralStatus::Cancelled,
        // UNPAID, PENDING, IN_CANCEL (do not ship), TO_RETURN, INVOICE_PENDING, and anything new.
        _ => NeutralStatus::Other,
    }
}

/// Shopee's order detail, as received, to the neutral order.
pub fn to_platform_order(
    store: StoreRef,
    raw: &RawValue,
) -> Result<PlatformOrder, MarketplaceError> {
    let o: OrderDetail = decode_json(raw.get().as_bytes())?;
    let time = |secs: i64, field: &str| {
        DateTime::<Utc>::from_timestamp(secs, 0)
            .ok_or_else(|| MarketplaceError::malformed(format!("`{field}` is not a Unix time")))
    };
    let address = o.recipient_address.unwrap_or_default();
    let lines = o
        .item_list
        .into_iter()
        .map(|item| OrderLine {
            line_id: item.order_item_id.map(|id| id.to_string()),
            platform_sku: non_empty(item.model_sku)
                .or(non_empty(item.item_sku))
                .unwrap_or_default(),
            platform_item_id: Some(item.item_id.to_string()),
            platform_variant_id: Some(item.model_id.to_string()),
            title: item.item_name,
            quantity: item.model_quantity_purchased,
            unit_price: item.model_discounted_price,
        })
        .collect();
    Ok(PlatformOrder {
        store: store.id,
        platform: store.platform,
        platform_order_id: o.order_sn,
        status: neutral_status(&o.order_status),
        platform_status: o.order_status,
        created_at: time(o.create_time, "create_time")?,
        updated_at: time(o.update_time, "update_time")?,
        currency: o.currency,
        buyer_name: non_empty(o.buyer_username),
        ship_to: Address {
            name: non_empty(address.name),
            company: None,
            lines: non_empty(address.full_address).into_iter().collect(),
            city: non_empty(address.city),
            district: non_empty(address.district).or(non_empty(address.town)),
            state: non_empty(address.state),
            postal_code: non_empty(address.zipcode),
            country_code: non_empty(address.region).or(o.region),
            phone: non_empty(address.phone),
        },
        lines,
        // Shopee prints the AWB for its integrated channels; a package exists once the order is
        // paid. Orders fulfilled by Shopee never reach the seller's warehouse.
        platform_label_hint: !o.package_list.is_empty()
            && o.fulfillment_flag.as_deref() != Some("fulfilled_by_shopee"),
        raw: raw.to_owned(),
    })
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::{Platform, StoreId};
    use rust_decimal::Decimal;
    use std::str::FromStr;

    /// Every value of `order_status` in v2.order.get_order_detail / get_order_list and the
    /// Data Definition, with its neutral mapping.
    #[test]
    fn every_order_status_is_mapped() {
        use NeutralStatus::*;
        for (status, want) in [
            ("UNPAID", Other),
            ("PENDING", Other),
            ("READY_TO_SHIP", AwaitingFulfillment),
            ("PROCESSED", AwaitingFulfillment),
            ("RETRY_SHIP", AwaitingFulfillment),
            ("SHIPPED", Shipped),
            ("TO_CONFIRM_RECEIVE", Shipped),
            ("COMPLETED", Shipped),
            ("IN_CANCEL", Other),
            ("CANCELLED", Cancelled),
            ("TO_RETURN", Other),
            ("INVOICE_PENDING", Other),
            ("SOMETHING_NEW", Other),
        ] {
            assert_eq!(neutral_status(status), want, "{status}");
        }
    }

    #[test]
    fn detail_fields_are_one_comma_separated_list() {
        assert!(!DETAIL_FIELDS.contains(char::is_whitespace));
        for needed in [
            "item_list",
            "recipient_address",
            "package_list",
            "buyer_username",
            "total_amount",
            "fulfillment_flag",
        ] {
            assert!(DETAIL_FIELDS.split(',').any(|f| f == needed), "{needed}");
        }
    }

    fn store() -> StoreRef {
        StoreRef {
            id: StoreId(7),
            platform: Platform::Shopee,
        }
    }

    /// The get_order_detail response sample's order (spec), reduced to what is mapped.
    const SAMPLE: &str = r#"{"order_sn":"2404098R48U37H","region":"VN","currency":"VND","cod":true,
        "order_status":"COMPLETED","create_time":1712601591,"update_time":1713139948,
        "buyer_username":"xt4fdsf96j","buyer_cpf_id":null,"dropshipper":null,
        "recipient_address":{"city":"Huyện Phước Long","district":"Xã Phong Thạnh Tây B","full_address":"Ấp******",
            "name":"P******n","phone":"******64","region":"VN","state":"Bạc Liêu","town":"","zipcode":""},
        "item_list":[{"item_id":23620853561,"item_name":"Kem","item_sku":"","model_id":221404189791,
            "model_name":"60g","model_sku":"QAZ-SADOER-05","model_quantity_purchased":1,
            "model_original_price":300000,"model_discounted_price":48000,"order_item_id":23620853561,
            "product_location_id":["VN10XX2UZ"],"promotion_group_id":0,"weight":0.01},
            {"item_id":555,"item_name":"Tee","item_sku":"TEE","model_id":0,"model_sku":"",
            "model_quantity_purchased":2,"model_discounted_price":12.95,"order_item_id":555}],
        "package_list":[{"package_number":"OFG166300791210964","logistics_status":"LOGISTICS_DELIVERY_DONE",
            "shipping_carrier":"5-Day Delivery (SPX)","logistics_channel_id":18080,"allow_self_design_awb":true}],
        "fulfillment_flag":"fulfilled_by_local_seller","total_amount":32119}"#;

    #[test]
    fn maps_one_order_end_to_end() {
        let raw = RawValue::from_string(SAMPLE.to_owned()).unwrap();
        let o = to_platform_order(store(), &raw).unwrap();
        assert_eq!(o.platform_order_id, "2404098R48U37H");
        assert_eq!(
            (o.platform_status.as_str(), o.status),
            ("COMPLETED", NeutralStatus::Shipped)
        );
        assert_eq!(o.created_at.timestamp(), 1712601591);
        assert_eq!(o.updated_at.timestamp(), 1713139948);
        assert_eq!(o.currency, "VND");
        assert_eq!(o.buyer_name.as_deref(), Some("xt4fdsf96j"));
        assert_eq!(o.ship_to.country_code.as_deref(), Some("VN"));
        assert_eq!(o.ship_to.lines, vec!["Ấp******".to_owned()]);
        assert_eq!(o.ship_to.postal_code, None);
        assert_eq!(o.lines.len(), 2);
        let a = &o.lines[0];
        assert_eq!(a.platform_sku, "QAZ-SADOER-05");
        assert_eq!(a.platform_item_id.as_deref(), Some("23620853561"));
        assert_eq!(a.platform_variant_id.as_deref(), Some("221404189791"));
        assert_eq!(a.line_id.as_deref(), Some("23620853561"));
        assert_eq!((a.quantity, a.unit_price), (1, Decimal::from(48000)));
        let b = &o.lines[1];
        assert_eq!(b.platform_sku, "TEE", "item_sku when model_sku is empty");
        assert_eq!(
            (b.quantity, b.unit_price),
            (2, Decimal::from_str("12.95").unwrap())
        );
        assert!(o.platform_label_hint);
        assert_eq!(o.raw.get(), SAMPLE, "raw is the detail object as received");
        assert_eq!(o.store, StoreId(7));
    }

    #[test]
    fn an_order_that_does_not_fit_is_malformed() {
        let raw = RawValue::from_string(r#"{"order_sn":"X1","currency":"SGD","order_status":"READY_TO_SHIP","create_time":"yesterday","update_time":1}"#.to_owned()).unwrap();
        let e = to_platform_order(store(), &raw).unwrap_err();
        assert_eq!(e.kind(), core_model::ErrorKind::Malformed);
        assert!(e.message().contains("create_time"), "{}", e.message());
        assert!(!e.message().contains("yesterday"));
    }
}
