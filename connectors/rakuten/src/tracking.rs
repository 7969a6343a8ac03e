//! "Mark as shipped": `getOrder` for the order's destinations (`basketId`) and shipping rows,
//! `confirmOrder` when the order still awaits the shop's confirmation (100), then
//! `updateOrderShipping` (発送完了報告) with the carrier's numeric `deliveryCompany` code, the
//! tracking number and the ship date.
//!
//! Repeats: a row already carrying the tracking number is sent again as an update of that row
//! (`shippingDetailId` set), which RMS answers `ORDER_EXT_API_UPDATE_ORDERSHIPPING_INFO_102`
//! ("発送情報の更新設定が完了しました。"): the second upload succeeds with the platform's own
//! answer and adds no duplicate row. A row RMS pre-created without a number is filled rather
//! than left blank beside a new one.

use core_model::{MarketplaceError, Operation, Shipment, TrackingAck};

use crate::error::PerOrderClassifier;
use crate::model::{
    BasketidModel, ConfirmOrderRequest, GetOrderRequest, GetOrderResponse, MessageModel,
    OrderModel, PackageModel, ShippingModelUpdate, UpdateOrderShippingRequest,
};
use crate::orders::{GET_ORDER_PATH, GET_ORDER_VERSION};
use crate::{RakutenConnector, JST};

pub const CONFIRM_ORDER_PATH: &str = "/es/2.0/order/confirmOrder/";
pub const UPDATE_ORDER_SHIPPING_PATH: &str = "/es/2.0/order/updateOrderShipping/";

/// confirmOrder's answer for an order that already left 100 (a race with the shop or RMS).
pub const CONFIRM_ALREADY_MOVED: &str = "ORDER_EXT_API_CONFIRM_ORDER_ERROR_103";
const UPDATE_ADDED: &str = "ORDER_EXT_API_UPDATE_ORDERSHIPPING_INFO_101";
const UPDATE_UPDATED: &str = "ORDER_EXT_API_UPDATE_ORDERSHIPPING_INFO_102";

/// `deliveryCompany` codes of the updateOrderShipping page (list of 2025-06), with the names
/// RMS shows and the names callers commonly use. Codes are what RMS takes; a name is refused
/// with `ORDER_EXT_API_UPDATE_ORDERSHIPPING_ERROR_011`.
pub const DELIVERY_COMPANIES: &[(&str, &str, &[&str])] = &[
    ("1000", "その他", &["other"]),
    (
        "1001",
        "ヤマト運輸",
        &["yamato", "yamato transport", "kuroneko", "クロネコヤマト"],
    ),
    ("1002", "佐川急便", &["sagawa", "sagawa express"]),
    (
        "1003",
        "日本郵便",
        &[
            "japan post",
            "japanpost",
            "jp post",
            "yu-pack",
            "ゆうパック",
        ],
    ),
    ("1004", "西濃運輸", &["seino", "seino transportation"]),
    (
        "1005",
        "セイノースーパーエクスプレス",
        &["seino super express"],
    ),
    ("1006", "福山通運", &["fukuyama", "fukuyama transporting"]),
    ("1007", "名鉄運輸", &["meitetsu", "meitetsu transportation"]),
    ("1008", "トナミ運輸", &["tonami", "tonami transportation"]),
    ("1009", "第一貨物", &["daiichi", "daiichi freight"]),
    ("1010", "新潟運輸", &["niigata unyu"]),
    ("1011", "中越運送", &["chuetsu unso"]),
    ("1012", "岡山県貨物運送", &["okayamaken kamotsu"]),
    ("1013", "久留米運送", &["kurume unso"]),
    ("1014", "山陽自動車運送", &["sanyo jidosha unso"]),
    ("1015", "NXトランスポート", &["nx transport"]),
    ("1016", "エコ配", &["ecohai"]),
    ("1017", "EMS", &[]),
    ("1018", "DHL", &[]),
    ("1019", "FedEx", &[]),
    ("1020", "UPS", &[]),
    ("1021", "日本通運", &["nippon express", "nittsu"]),
    ("1022", "TNT", &[]),
    ("1023", "OCS", &[]),
    ("1024", "USPS", &[]),
    ("1025", "SFエクスプレス", &["sf express"]),
    ("1026", "Aramex", &[]),
    ("1027", "SGHグローバル・ジャパン", &["sgh global japan"]),
    ("1028", "Rakuten EXPRESS", &[]),
    ("1029", "日本郵便 楽天倉庫出荷", &[]),
    (
        "1030",
        "ヤマト運輸 クロネコゆうパケット",
        &["kuroneko yu-packet"],
    ),
    ("1031", "名鉄NX運輸", &["meitetsu nx"]),
];

/// The `deliveryCompany` code for a shipment's carrier: its code as given (`"1001"`), or the
/// code of a name in [`DELIVERY_COMPANIES`] (`carrier_code`, then `carrier_name`).
pub fn delivery_company(code: &str, name: Option<&str>) -> Result<&'static str, MarketplaceError> {
    let key = |s: &str| {
        s.chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '_' | '・' | '.'))
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    let find = |given: &str| {
        let k = key(given);
        if k.is_empty() {
            return None;
        }
        DELIVERY_COMPANIES.iter().find_map(|(code, ja, aliases)| {
            (key(code) == k || key(ja) == k || aliases.iter().any(|a| key(a) == k)).then_some(*code)
        })
    };
    find(code).or_else(|| name.and_then(find)).ok_or_else(|| {
        MarketplaceError::permanent(format!(
            "carrier `{code}` is not one of RMS's deliveryCompany codes (1000-1031, e.g. 1001 \
             ヤマト運輸, 1002 佐川急便, 1003 日本郵便; 1000 その他 for any other carrier)"
        ))
    })
}

pub async fn upload_tracking(
    c: &RakutenConnector,
    shipment: &Shipment,
) -> Result<TrackingAck, MarketplaceError> {
    let company = delivery_company(&shipment.carrier_code, shipment.carrier_name.as_deref())?;
    let number = shipment.tracking_number.trim();
    if number.is_empty() || number.chars().count() > 120 {
        return Err(MarketplaceError::permanent(
            "the tracking number must hold 1 to 120 characters (shippingNumber)",
        ));
    }
    let order = fetch_order(c, &shipment.platform_order_id).await?;
    match order.order_progress {
        900 => return Err(MarketplaceError::permanent("the order is cancelled (900)")),
        800 => {
            return Err(MarketplaceError::permanent(
                "the order awaits cancellation (800 キャンセル確定待ち); do not ship",
            ))
        }
        100 => confirm_order(c, &order.order_number).await?,
        _ => {}
    }
    let date = shipment
        .shipped_at
        .with_timezone(&JST)
        .format("%Y-%m-%d")
        .to_string();
    let (baskets, already_confirmed) = plan(&order, shipment, company, number, &date)?;
    let body = UpdateOrderShippingRequest {
        order_number: order.order_number.clone(),
        basketid_model_list: baskets,
    };
    let response = c
        .post(Operation::UploadTracking, UPDATE_ORDER_SHIPPING_PATH, &body)
        .await?;
    // ERROR items fail in the classifier; what is left is INFO (added/updated) or WARNING.
    for m in crate::error::messages(&response) {
        if m.is_warning() {
            tracing::warn!(
                platform = "rakuten",
                code = m.message_code.as_str(),
                "updateOrderShipping warned: {}",
                m.message
            );
        } else if m.message_code != UPDATE_ADDED && m.message_code != UPDATE_UPDATED {
            tracing::info!(
                platform = "rakuten",
                code = m.message_code.as_str(),
                "updateOrderShipping answered"
            );
        }
    }
    Ok(TrackingAck { already_confirmed })
}

/// The destinations and rows to send, and whether every row was already registered.
pub fn plan(
    order: &OrderModel,
    shipment: &Shipment,
    company: &str,
    number: &str,
    date: &str,
) -> Result<(Vec<BasketidModel>, bool), MarketplaceError> {
    let packages = packages_of(order, shipment)?;
    let mut already = true;
    let baskets = packages
        .into_iter()
        .map(|p| {
            let rows = p.shipping_model_list.as_deref().unwrap_or_default();
            let same = rows
                .iter()
                .find(|r| r.shipping_number.as_deref().map(str::trim) == Some(number));
            let blank = rows.iter().find(|r| {
                r.shipping_number
                    .as_deref()
                    .is_none_or(|n| n.trim().is_empty())
            });
            already &= same.is_some();
            BasketidModel {
                basket_id: p.basket_id,
                shipping_model_list: vec![ShippingModelUpdate {
                    shipping_detail_id: same.or(blank).map(|r| r.shipping_detail_id),
                    delivery_company: company.to_owned(),
                    shipping_number: number.to_owned(),
                    shipping_date: date.to_owned(),
                }],
            }
        })
        .collect();
    Ok((baskets, already))
}

/// The destinations the shipment's lines are in (by `itemDetailId`); without lines, the only
/// destination.
fn packages_of<'a>(
    order: &'a OrderModel,
    shipment: &Shipment,
) -> Result<Vec<&'a PackageModel>, MarketplaceError> {
    let ids: Vec<&str> = shipment
        .lines
        .iter()
        .filter_map(|l| l.line_id.as_deref())
        .collect();
    let matched: Vec<&PackageModel> = order
        .package_model_list
        .iter()
        .filter(|p| {
            p.item_model_list
                .iter()
                .any(|i| ids.contains(&i.item_detail_id.to_string().as_str()))
        })
        .collect();
    if !matched.is_empty() {
        return Ok(matched);
    }
    match order.package_model_list.as_slice() {
        [only] => Ok(vec![only]),
        [] => Err(MarketplaceError::malformed(
            "the order has no destination (PackageModelList)",
        )),
        many => Err(MarketplaceError::permanent(format!(
            "the order has {} destinations; the shipment's lines must name their itemDetailId",
            many.len()
        ))),
    }
}

async fn fetch_order(c: &RakutenConnector, number: &str) -> Result<OrderModel, MarketplaceError> {
    let numbers = [number.to_owned()];
    let body = GetOrderRequest {
        order_number_list: &numbers,
        version: GET_ORDER_VERSION,
    };
    let response = c
        .post(Operation::UploadTracking, GET_ORDER_PATH, &body)
        .await?;
    let answer: GetOrderResponse = connector_kit::decode_json(&response.body)?;
    let refused = answer
        .message_model_list
        .iter()
        .find(|m| m.is_error() && m.order_number.as_deref() == Some(number));
    if let Some(m) = refused {
        return Err(order_error(m));
    }
    for raw in answer.order_model_list.unwrap_or_default() {
        let order: OrderModel = connector_kit::decode_json(raw.get().as_bytes())?;
        if order.order_number == number {
            return Ok(order);
        }
    }
    Err(MarketplaceError::permanent(
        "getOrder did not return the order (unknown or older than 730 days)",
    ))
}

async fn confirm_order(c: &RakutenConnector, number: &str) -> Result<(), MarketplaceError> {
    let numbers = [number.to_owned()];
    let body = ConfirmOrderRequest {
        order_number_list: &numbers,
    };
    let response = c
        .post_with(
            Operation::UploadTracking,
            CONFIRM_ORDER_PATH,
            &body,
            &PerOrderClassifier,
        )
        .await?;
    let messages = crate::error::messages(&response);
    match messages
        .iter()
        .find(|m| m.is_error() && m.order_number.as_deref().is_none_or(|n| n == number))
    {
        Some(m) if m.message_code == CONFIRM_ALREADY_MOVED => {
            tracing::info!(platform = "rakuten", "the order was already confirmed");
            Ok(())
        }
        Some(m) => Err(order_error(m)),
        None => Ok(()),
    }
}

fn order_error(m: &MessageModel) -> MarketplaceError {
    let err = MarketplaceError::permanent(m.describe());
    if m.message_code.is_empty() {
        err
    } else {
        err.with_code(m.message_code.clone())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::ShipmentLine;
    use serde_json::json;

    #[test]
    fn carrier_codes_and_names() {
        for (given, name, want) in [
            ("1001", None, "1001"),
            ("yamato", None, "1001"),
            ("ヤマト運輸", None, "1001"),
            ("Sagawa Express", None, "1002"),
            ("JP-Post", None, "1003"),
            ("NX トランスポート", None, "1015"),
            ("ups", None, "1020"),
            ("1031", None, "1031"),
            ("", Some("日本郵便"), "1003"),
            ("custom", Some("FedEx"), "1019"),
        ] {
            assert_eq!(delivery_company(given, name).unwrap(), want, "{given}");
        }
        let e = delivery_company("Kangaroo Express", None).unwrap_err();
        assert!(e.message().contains("1000"), "{}", e.message());
        assert_eq!(DELIVERY_COMPANIES.len(), 32);
    }

    fn order(rows: serde_json::Value, packages: usize) -> OrderModel {
        let package = |basket: u64, item: u64| {
            json!({"basketId": basket, "SenderModel": {}, "ShippingModelList": rows.clone(),
                "ItemModelList": [{"itemDetailId": item, "itemName": "x", "itemId": 1,
                    "manageNumber": "m", "price": 100, "units": 1}]})
        };
        let list: Vec<_> = (0..packages as u64)
            .map(|i| package(10746402 + i, 555000111 + i))
            .collect();
        serde_json::from_value(json!({"orderNumber": "391402-20260512-0000000301",
            "orderProgress": 300, "orderDatetime": "2026-05-12T09:00:00+0900",
            "PackageModelList": list}))
        .unwrap()
    }

    fn shipment(line: Option<&str>) -> Shipment {
        Shipment {
            platform_order_id: "391402-20260512-0000000301".into(),
            package_ref: "PKG-1".into(),
            carrier_code: "1001".into(),
            carrier_name: None,
            shipping_method: None,
            tracking_number: "4321-0987-6543".into(),
            shipped_at: "2026-05-13T16:00:00Z".parse().unwrap(),
            lines: line
                .map(|l| ShipmentLine {
                    line_id: Some(l.into()),
                    platform_sku: "X".into(),
                    quantity: 1,
                })
                .into_iter()
                .collect(),
        }
    }

    fn rows_of(b: &[BasketidModel]) -> serde_json::Value {
        serde_json::to_value(b).unwrap()
    }

    #[test]
    fn first_upload_adds_and_a_repeat_updates_the_same_row() {
        let s = shipment(None);
        let (b, already) = plan(
            &order(json!([]), 1),
            &s,
            "1001",
            "4321-0987-6543",
            "2026-05-14",
        )
        .unwrap();
        assert!(!already);
        assert_eq!(
            rows_of(&b),
            json!([{"basketId": 10746402, "ShippingModelList": [{"deliveryCompany": "1001",
                "shippingNumber": "4321-0987-6543", "shippingDate": "2026-05-14"}]}])
        );
        let registered = json!([{"shippingDetailId": 20873001, "shippingNumber": "4321-0987-6543",
            "deliveryCompany": "1001", "deliveryCompanyName": "ヤマト運輸", "shippingDate": "2026-05-14"}]);
        let (b, already) = plan(
            &order(registered, 1),
            &s,
            "1001",
            "4321-0987-6543",
            "2026-05-14",
        )
        .unwrap();
        assert!(already);
        assert_eq!(
            b[0].shipping_model_list[0].shipping_detail_id,
            Some(20873001)
        );
        // A blank row RMS made is filled, not left beside a new one.
        let blank = json!([{"shippingDetailId": 20873000, "shippingNumber": null,
            "deliveryCompany": "1001", "shippingDate": null}]);
        let (b, already) =
            plan(&order(blank, 1), &s, "1001", "4321-0987-6543", "2026-05-14").unwrap();
        assert!(!already);
        assert_eq!(
            b[0].shipping_model_list[0].shipping_detail_id,
            Some(20873000)
        );
    }

    #[test]
    fn destinations_follow_the_shipment_lines() {
        let two = order(json!([]), 2);
        let (b, _) = plan(
            &two,
            &shipment(Some("555000112")),
            "1001",
            "N",
            "2026-05-14",
        )
        .unwrap();
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].basket_id, 10746403);
        let e = plan(&two, &shipment(None), "1001", "N", "2026-05-14").unwrap_err();
        assert!(e.message().contains("2 destinations"));
    }
}
