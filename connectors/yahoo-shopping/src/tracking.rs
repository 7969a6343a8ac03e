//! Marking an order shipped with `orderShipStatusChange` (出荷ステータス変更API):
//! `ShipStatus` 3 (出荷済み), the carrier's `ShipCompanyCode`, the tracking number as
//! `ShipInvoiceNumber1` and `ShipDate` (`YYYYMMDD`, JST), with `IsPointFix` true as the
//! documented examples send it. Yahoo's answer is `<ResultSet><Result><Status>OK</Status>`,
//! possibly with non-fatal `<Warning>`s.
//!
//! A repeat of the same change sets the same values again; Yahoo documents no special answer
//! for it. Should Yahoo refuse it anyway (an order the store meanwhile completed, say), the
//! connector reads the order back with orderInfo and reports success, `already_confirmed`,
//! when the order is shipped (3) or delivered (4) with this tracking number.
//!
//! Completing the order (`orderStatusChange`, `OrderStatus` 5) fixes points and bills the
//! card; stores do it on their own schedule, so it is not part of "mark as shipped".

use core_model::{MarketplaceError, Operation, Shipment, TrackingAck};

use crate::model::{
    to_xml, ChangeOrder, ChangeResultSet, ChangeTarget, Document, OrderInfoResultSet, ShipChange,
    ShipStatusChangeRequest,
};
use crate::orders::{body_text, order_info_xml, JST, ORDER_INFO};
use crate::YahooShoppingConnector;

/// `.../V1/orderShipStatusChange`.
pub const SHIP_STATUS_CHANGE: &str = "orderShipStatusChange";
/// 出荷済み.
pub const SHIPPED: u8 = 3;
/// What the read-back asks of orderInfo.
const READBACK_FIELDS: &str =
    "OrderId,OrderStatus,ShipStatus,ShipInvoiceNumber1,ShipInvoiceNumber2";

/// `ShipCompanyCode` for the shipment's carrier: Yahoo's numeric code as given (1000 その他,
/// 1001 ヤマト運輸, 1002 佐川急便, the rest per orderInfo.html#shipcompanycode), or one of the
/// documented carriers by name.
pub fn ship_company_code(shipment: &Shipment) -> Result<String, MarketplaceError> {
    let code = shipment.carrier_code.trim();
    if !code.is_empty() && code.len() <= 4 && code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(code.to_owned());
    }
    let names = [Some(code), shipment.carrier_name.as_deref()];
    for name in names.into_iter().flatten() {
        let key: String = name
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        let mapped = match key.as_str() {
            "yamato" | "yamatotransport" | "kuronekoyamato" | "ヤマト運輸" => "1001",
            "sagawa" | "sagawaexpress" | "佐川急便" => "1002",
            "other" | "その他" => "1000",
            _ => continue,
        };
        return Ok(mapped.to_owned());
    }
    Err(MarketplaceError::permanent(format!(
        "carrier `{code}` has no Yahoo ShipCompanyCode here: give the numeric code \
         (1000 other, 1001 Yamato, 1002 Sagawa, others per orderInfo.html#shipcompanycode)"
    )))
}

/// `postage1`..`postage16`: a delivery method of the store's settings, sent as `ShipMethod`.
fn ship_method(shipment: &Shipment) -> Option<&str> {
    let method = shipment.shipping_method.as_deref()?.trim();
    method
        .strip_prefix("postage")
        .and_then(|n| n.parse::<u8>().ok())
        .filter(|n| (1..=16).contains(n))
        .map(|_| method)
}

/// The orderShipStatusChange `<Req>` for `shipment`.
pub fn ship_status_change_xml(
    seller_id: &str,
    shipment: &Shipment,
) -> Result<String, MarketplaceError> {
    let tracking = shipment.tracking_number.trim();
    if tracking.is_empty() {
        return Err(MarketplaceError::permanent(
            "the shipment has no tracking number",
        ));
    }
    let company = ship_company_code(shipment)?;
    to_xml(&ShipStatusChangeRequest {
        target: ChangeTarget {
            order_id: shipment.platform_order_id.trim(),
            is_point_fix: true,
            operation_user: None,
        },
        order: ChangeOrder {
            ship: ShipChange {
                ship_status: SHIPPED,
                ship_method: ship_method(shipment),
                ship_company_code: Some(&company),
                ship_invoice_number1: tracking,
                ship_date: shipment
                    .shipped_at
                    .with_timezone(&JST)
                    .format("%Y%m%d")
                    .to_string(),
            },
        },
        seller_id,
    })
    .map_err(|e| {
        MarketplaceError::permanent(format!(
            "cannot write the orderShipStatusChange request: {e}"
        ))
    })
}

/// Tracking numbers compared as the carrier prints them, without spaces or hyphens.
fn same_tracking(a: &str, b: &str) -> bool {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect()
    };
    !norm(a).is_empty() && norm(a) == norm(b)
}

/// Upload `shipment`; a refused repeat of an accepted change is success.
pub async fn upload(
    conn: &YahooShoppingConnector,
    shipment: &Shipment,
) -> Result<TrackingAck, MarketplaceError> {
    let body = ship_status_change_xml(conn.seller_id(), shipment)?;
    let refusal = match conn
        .post_xml(Operation::UploadTracking, SHIP_STATUS_CHANGE, body)
        .await
    {
        Ok(response) => {
            let warnings = body_text(SHIP_STATUS_CHANGE, &response)
                .ok()
                .and_then(|t| quick_xml::de::from_str::<Document<ChangeResultSet>>(t).ok())
                .and_then(|doc| match doc {
                    Document::ResultSet(set) => set.result,
                    _ => None,
                })
                .map_or(0, |outcome| outcome.warnings.len());
            if warnings > 0 {
                tracing::warn!(warnings, "orderShipStatusChange accepted with warnings");
            }
            return Ok(TrackingAck {
                already_confirmed: false,
            });
        }
        Err(e) if e.kind() == core_model::ErrorKind::Permanent => e,
        Err(e) => return Err(e),
    };
    if already_shipped(conn, shipment).await? {
        tracing::info!("orderShipStatusChange refused, but the order is already shipped with this tracking number");
        return Ok(TrackingAck {
            already_confirmed: true,
        });
    }
    Err(refusal)
}

/// Whether orderInfo shows the order shipped or delivered with this tracking number.
async fn already_shipped(
    conn: &YahooShoppingConnector,
    shipment: &Shipment,
) -> Result<bool, MarketplaceError> {
    let body = order_info_xml(
        conn.seller_id(),
        shipment.platform_order_id.trim(),
        READBACK_FIELDS,
    )?;
    let response = conn
        .post_xml(Operation::UploadTracking, ORDER_INFO, body)
        .await?;
    let text = body_text(ORDER_INFO, &response)?;
    let Ok(Document::ResultSet(set)) =
        quick_xml::de::from_str::<Document<OrderInfoResultSet>>(text)
    else {
        return Ok(false);
    };
    let Some(ship) = set.result.order.ship else {
        return Ok(false);
    };
    let shipped = matches!(ship.ship_status.as_deref().map(str::trim), Some("3" | "4"));
    let tracked = [&ship.ship_invoice_number1, &ship.ship_invoice_number2]
        .into_iter()
        .flatten()
        .any(|n| same_tracking(n, &shipment.tracking_number));
    Ok(shipped && tracked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn shipment(carrier: &str) -> Shipment {
        Shipment {
            platform_order_id: "kiriya-zakka-10000101".into(),
            package_ref: "PKG-1".into(),
            carrier_code: carrier.into(),
            carrier_name: None,
            shipping_method: Some("postage1".into()),
            tracking_number: " 4321-0987-6543 ".into(),
            // 2026-05-11 23:30 JST: the ship date is the Japanese calendar day.
            shipped_at: Utc.with_ymd_and_hms(2026, 5, 11, 14, 30, 0).unwrap(),
            lines: vec![],
        }
    }

    #[test]
    fn the_change_is_the_documented_req() {
        assert_eq!(
            ship_status_change_xml("kiriya-zakka", &shipment("1001")).unwrap(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Req><Target>\
             <OrderId>kiriya-zakka-10000101</OrderId><IsPointFix>true</IsPointFix></Target>\
             <Order><Ship><ShipStatus>3</ShipStatus><ShipMethod>postage1</ShipMethod>\
             <ShipCompanyCode>1001</ShipCompanyCode>\
             <ShipInvoiceNumber1>4321-0987-6543</ShipInvoiceNumber1>\
             <ShipDate>20260511</ShipDate></Ship></Order><SellerId>kiriya-zakka</SellerId></Req>"
        );
        let mut late = shipment("1002");
        late.shipped_at = Utc.with_ymd_and_hms(2026, 5, 11, 15, 30, 0).unwrap();
        late.shipping_method = Some("Takkyubin".into());
        let xml = ship_status_change_xml("kiriya-zakka", &late).unwrap();
        assert!(xml.contains("<ShipDate>20260512</ShipDate>"), "{xml}");
        assert!(!xml.contains("ShipMethod"), "{xml}");
        let mut empty = shipment("1001");
        empty.tracking_number = "  ".into();
        assert!(ship_status_change_xml("kiriya-zakka", &empty).is_err());
    }

    #[test]
    fn carriers_by_code_or_documented_name() {
        assert_eq!(ship_company_code(&shipment("1001")).unwrap(), "1001");
        assert_eq!(ship_company_code(&shipment("1003")).unwrap(), "1003");
        assert_eq!(ship_company_code(&shipment("YAMATO")).unwrap(), "1001");
        assert_eq!(
            ship_company_code(&shipment("Sagawa Express")).unwrap(),
            "1002"
        );
        assert_eq!(ship_company_code(&shipment("佐川急便")).unwrap(), "1002");
        let mut named = shipment("custom");
        named.carrier_name = Some("ヤマト運輸".into());
        assert_eq!(ship_company_code(&named).unwrap(), "1001");
        let e = ship_company_code(&shipment("JAPAN_POST")).unwrap_err();
        assert_eq!(e.kind(), core_model::ErrorKind::Permanent);
    }

    #[test]
    fn tracking_numbers_compare_as_printed() {
        assert!(same_tracking("432109876543", " 4321-0987-6543 "));
        assert!(!same_tracking("432109876543", "432109876544"));
        assert!(!same_tracking("", " - "));
    }
}
