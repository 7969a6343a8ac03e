//! Self-fulfilled shipment ("Order Fulfillment Guide", Self-Fulfilled Shipments):
//! `bg.logistics.shipment.v2.confirm` with the carrier's `logisticsServiceProviderId`
//! (`bg.logistics.companies.get` for the order's region resolves a carrier given by name; free
//! text is not accepted), the tracking number, and every order line with Temu's `goodsId` and
//! `skuId`, which come from `bg.order.detail.v2.get`.
//!
//! A repeat is success. For an order already shipped Temu answers 120012004 ("The order has
//! been shipped. This submission is not effective for the shipped order."); a tracking number
//! already used answers 120014003/120014004, which is a repeat only when
//! `bg.logistics.shipment.v2.get` shows that number recorded on this order.

use connector_kit::{decode_json, RawResponse, ResponseClassifier};
use core_model::{MarketplaceError, Operation, Shipment, TrackingAck};

use crate::auth::Call;
use crate::error::{
    code_of, parse_error, DUPLICATE_TRACKING_NUMBER, ORDER_ALREADY_SHIPPED, SUCCESS,
    TRACKING_NUMBER_USED,
};
use crate::labels::LOGISTICS_CLASS;
use crate::model::{Carrier, ConfirmSendRequest, OrderSendInfo, PageItem, ShipmentsOfOrder};
use crate::orders::{DETAIL, ORDERS_CLASS};
use crate::TemuConnector;

pub const COMPANIES: &str = "bg.logistics.companies.get";
pub const CONFIRM: &str = "bg.logistics.shipment.v2.confirm";
pub const SHIPMENTS: &str = "bg.logistics.shipment.v2.get";

pub async fn upload_tracking(
    c: &TemuConnector,
    shipment: &Shipment,
) -> Result<TrackingAck, MarketplaceError> {
    let op = Operation::UploadTracking;
    let tracking_number = shipment.tracking_number.trim();
    if tracking_number.is_empty() {
        return Err(MarketplaceError::permanent(
            "Temu needs a tracking number to confirm a shipment",
        ));
    }
    let parent_sn = shipment.platform_order_id.trim();
    let call = Call::new(DETAIL).param("parentOrderSn", parent_sn)?;
    let detail: PageItem = c.call(op, ORDERS_CLASS, call).await?;
    let lines = send_infos(&detail, shipment)?;
    let region = detail
        .parent_order_map
        .region_id
        .or_else(|| region_of(parent_sn));
    let carrier_id = carrier_id(c, shipment, region).await?;
    // Required for some stores (120015527); the warehouse the order's stock was taken from.
    let warehouse = lines.iter().find_map(|l| {
        detail
            .order_list
            .iter()
            .find(|o| o.order_sn == l.order_sn)
            .and_then(|o| o.inventory_deduction_warehouse_id.clone())
            .filter(|w| !w.trim().is_empty())
    });
    let package = ConfirmSendRequest {
        carrier_id,
        tracking_number: tracking_number.to_owned(),
        self_shipping_warehouse_id: warehouse,
        order_send_info_list: lines,
    };
    let call = Call::new(CONFIRM)
        .param("sendType", &0)?
        .param("sendRequestList", &[&package])?;
    let response = c
        .send(op, LOGISTICS_CLASS, call, Some(&ConfirmClassifier))
        .await?;
    match answer_code(&response) {
        Some(ORDER_ALREADY_SHIPPED) => Ok(TrackingAck {
            already_confirmed: true,
        }),
        Some(code @ (DUPLICATE_TRACKING_NUMBER | TRACKING_NUMBER_USED)) => {
            if recorded(c, parent_sn, tracking_number).await? {
                Ok(TrackingAck {
                    already_confirmed: true,
                })
            } else {
                Err(parse_error(&response)
                    .err()
                    .unwrap_or_else(|| MarketplaceError::permanent("tracking number refused"))
                    .with_code(code.to_string()))
            }
        }
        _ => Ok(TrackingAck {
            already_confirmed: false,
        }),
    }
}

/// The orders of the shipment, with the ids Temu wants back. A line names its order by
/// `line_id` (the `orderSn`), else by its SKU (`extCode`); no lines means the whole PO.
fn send_infos(
    detail: &PageItem,
    shipment: &Shipment,
) -> Result<Vec<OrderSendInfo>, MarketplaceError> {
    let parent = &detail.parent_order_map.parent_order_sn;
    let info = |o: &crate::model::Order, quantity: u32| {
        let missing =
            |what: &str| MarketplaceError::malformed(format!("order {} has no {what}", o.order_sn));
        Ok(OrderSendInfo {
            parent_order_sn: parent.clone(),
            order_sn: o.order_sn.clone(),
            goods_id: o.goods_id.ok_or_else(|| missing("goodsId"))?,
            sku_id: o
                .sku_id
                .or(o.product_list.first().and_then(|p| p.product_sku_id))
                .ok_or_else(|| missing("skuId"))?,
            quantity,
        })
    };
    if shipment.lines.is_empty() {
        return detail
            .order_list
            .iter()
            .filter(|o| o.quantity > 0)
            .map(|o| info(o, o.quantity))
            .collect();
    }
    shipment
        .lines
        .iter()
        .map(|line| {
            let by_id = line
                .line_id
                .as_deref()
                .and_then(|id| detail.order_list.iter().find(|o| o.order_sn == id));
            let by_sku = || {
                let mut matches = detail.order_list.iter().filter(|o| {
                    !line.platform_sku.is_empty()
                        && o.product_list
                            .iter()
                            .any(|p| p.ext_code.as_deref() == Some(line.platform_sku.as_str()))
                });
                match (matches.next(), matches.next()) {
                    (Some(one), None) => Some(one),
                    _ => None,
                }
            };
            let order = by_id.or_else(by_sku).ok_or_else(|| {
                MarketplaceError::permanent(format!(
                    "shipment line {} is not an order of {parent}",
                    line.line_id.as_deref().unwrap_or(&line.platform_sku)
                ))
            })?;
            if line.quantity == 0 {
                return Err(MarketplaceError::permanent(format!(
                    "shipment line {} ships nothing",
                    order.order_sn
                )));
            }
            info(order, line.quantity)
        })
        .collect()
}

/// `regionId` from a parent order number: `PO-211-...` is a US order.
pub fn region_of(parent_order_sn: &str) -> Option<u64> {
    parent_order_sn.split('-').nth(1)?.parse().ok()
}

/// A numeric carrier code is Temu's `logisticsServiceProviderId`; a name is looked up among
/// the carriers of the order's region.
async fn carrier_id(
    c: &TemuConnector,
    shipment: &Shipment,
    region: Option<u64>,
) -> Result<u64, MarketplaceError> {
    let code = shipment.carrier_code.trim();
    if !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()) {
        return code
            .parse()
            .map_err(|_| MarketplaceError::permanent("carrier id out of range"));
    }
    let Some(region) = region else {
        return Err(MarketplaceError::permanent(
            "cannot tell the order's region to look the carrier up",
        ));
    };
    let call = Call::new(COMPANIES).param("regionId", &region)?;
    let carriers: Vec<Carrier> = c
        .call(Operation::UploadTracking, LOGISTICS_CLASS, call)
        .await?;
    find_carrier(&carriers, code, shipment.carrier_name.as_deref()).ok_or_else(|| {
        MarketplaceError::permanent(format!(
            "Temu lists no carrier `{code}` for region {region} (bg.logistics.companies.get)"
        ))
    })
}

/// The carrier whose provider or brand name is `code` (else `name`), ignoring case.
pub fn find_carrier(carriers: &[Carrier], code: &str, name: Option<&str>) -> Option<u64> {
    let matches = |wanted: &str| {
        let wanted = wanted.trim();
        carriers
            .iter()
            .find(|c| {
                [&c.logistics_service_provider_name, &c.logistics_brand_name]
                    .into_iter()
                    .flatten()
                    .any(|n| !wanted.is_empty() && n.trim().eq_ignore_ascii_case(wanted))
            })
            .map(|c| c.logistics_service_provider_id)
    };
    matches(code).or_else(|| name.and_then(matches))
}

/// Whether `tracking_number` is already recorded on the order.
async fn recorded(
    c: &TemuConnector,
    parent_sn: &str,
    tracking_number: &str,
) -> Result<bool, MarketplaceError> {
    let call = Call::new(SHIPMENTS).param("parentOrderSn", parent_sn)?;
    let shipments: ShipmentsOfOrder = c
        .call(Operation::UploadTracking, LOGISTICS_CLASS, call)
        .await?;
    Ok(shipments
        .shipment_info_dto
        .iter()
        .any(|s| s.tracking_number.as_deref().map(str::trim) == Some(tracking_number)))
}

fn answer_code(r: &RawResponse) -> Option<i64> {
    #[derive(serde::Deserialize)]
    struct Code {
        #[serde(default, rename = "errorCode")]
        error_code: Option<serde_json::Value>,
    }
    decode_json::<Code>(&r.body)
        .ok()?
        .error_code
        .as_ref()
        .and_then(code_of)
        .filter(|c| *c != SUCCESS)
}

/// Lets the answers that may mean "already confirmed" through; everything else as usual.
#[derive(Debug)]
struct ConfirmClassifier;

impl ResponseClassifier for ConfirmClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        match parse_error(r) {
            Err(e)
                if matches!(
                    answer_code(r),
                    Some(ORDER_ALREADY_SHIPPED | DUPLICATE_TRACKING_NUMBER | TRACKING_NUMBER_USED)
                ) =>
            {
                tracing::info!(
                    platform = "temu",
                    code = e.code(),
                    "shipment answered as a repeat"
                );
                Ok(())
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::ShipmentLine;

    fn resp(body: &str) -> RawResponse {
        RawResponse::new(200, "application/json", body.to_owned())
    }

    #[test]
    fn repeats_pass_the_classifier_and_others_do_not() {
        let shipped = resp(
            r#"{"success":false,"errorCode":120012004,"errorMsg":"The order has been shipped. This submission is not effective for the shipped order.","requestId":"us-1"}"#,
        );
        assert!(ConfirmClassifier.classify(&shipped).is_ok());
        assert_eq!(answer_code(&shipped), Some(ORDER_ALREADY_SHIPPED));
        let used = resp(
            r#"{"success":false,"errorCode":120014004,"errorMsg":"Tracking number has been used"}"#,
        );
        assert!(ConfirmClassifier.classify(&used).is_ok());
        let ok = resp(
            r#"{"success":true,"errorCode":1000000,"errorMsg":"","result":{"warningMessage":[],"assistantAgreementText":""}}"#,
        );
        assert!(ConfirmClassifier.classify(&ok).is_ok());
        assert_eq!(answer_code(&ok), None);
        let invalid = resp(
            r#"{"success":false,"errorCode":120014023,"errorMsg":"Tracking number is invalid: X."}"#,
        );
        assert!(ConfirmClassifier.classify(&invalid).is_err());
    }

    #[test]
    fn carriers_by_id_or_name() {
        let carriers: Vec<Carrier> = serde_json::from_str(
            r#"[{"logisticsServiceProviderId":699272611,"logisticsServiceProviderName":"USPS","logisticsBrandName":"USPS"},
                {"logisticsServiceProviderId":699272612,"logisticsServiceProviderName":"UPS Ground","logisticsBrandName":"UPS"}]"#,
        )
        .unwrap();
        assert_eq!(find_carrier(&carriers, "usps", None), Some(699272611));
        assert_eq!(find_carrier(&carriers, "UPS", None), Some(699272612));
        assert_eq!(
            find_carrier(&carriers, "X", Some("UPS Ground")),
            Some(699272612)
        );
        assert_eq!(find_carrier(&carriers, "DHL", None), None);
        assert_eq!(region_of("PO-211-21905452099192792"), Some(211));
        assert_eq!(region_of("nonsense"), None);
    }

    #[test]
    fn lines_resolve_by_order_sn_or_ext_code() {
        let detail: PageItem = serde_json::from_str(
            r#"{"parentOrderMap":{"parentOrderSn":"PO-211-1","parentOrderStatus":2,"parentOrderTime":1},
            "orderList":[{"orderSn":"211-1","goodsId":11,"skuId":12,"quantity":2,"productList":[{"extCode":"A"}]},
                         {"orderSn":"211-2","goodsId":21,"quantity":1,"productList":[{"productSkuId":22,"extCode":"B"}]}]}"#,
        )
        .unwrap();
        let shipment = |lines: Vec<ShipmentLine>| Shipment {
            platform_order_id: "PO-211-1".into(),
            package_ref: "P1".into(),
            carrier_code: "USPS".into(),
            carrier_name: None,
            shipping_method: None,
            tracking_number: "9400".into(),
            shipped_at: chrono::Utc::now(),
            lines,
        };
        let all = send_infos(&detail, &shipment(vec![])).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!((all[1].goods_id, all[1].sku_id), (21, 22));
        let one = send_infos(
            &detail,
            &shipment(vec![ShipmentLine {
                line_id: None,
                platform_sku: "B".into(),
                quantity: 1,
            }]),
        )
        .unwrap();
        assert_eq!(one[0].order_sn, "211-2");
        let unknown = send_infos(
            &detail,
            &shipment(vec![ShipmentLine {
                line_id: Some("211-9".into()),
                platform_sku: "Z".into(),
                quantity: 1,
            }]),
        );
        assert!(unknown.is_err());
    }
}
