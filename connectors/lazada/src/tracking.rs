//! "Mark as shipped" on Lazada-arranged logistics: ReadyToShip (`/order/package/rts`) for the
//! shipment's packages, packing first (Pack assigns the package and Lazada's own tracking
//! number) where items are still to pack. The carrier and tracking number are Lazada's; the
//! seller does not upload them.
//!
//! A repeat is success: GetOrderItems is read first, and when every item of the shipment is
//! already `ready_to_ship` (or further on: `shipping`, `shipped`, `delivered`) nothing is sent
//! and the upload reports `already_confirmed`. Lazada documents no answer for a repeated
//! ReadyToShip call, so the connector never makes one knowingly.

use connector_kit::{RawResponse, ResponseClassifier};
use core_model::{MarketplaceError, Operation, Shipment, TrackingAck};

use crate::labels::{
    check_result, element_error, ensure_packed, fulfillment_call, live_indices, order_items,
    BATCH_LIMIT,
};
use crate::model::{PackageRef, PackagesData, ReadyToShipRequest};
use crate::LazadaConnector;

pub const RTS_PATH: &str = "/order/package/rts";

pub async fn upload_tracking(
    c: &LazadaConnector,
    shipment: &Shipment,
) -> Result<TrackingAck, MarketplaceError> {
    let op = Operation::UploadTracking;
    let order_id = &shipment.platform_order_id;
    let mut items = order_items(c, op, order_id).await?;

    // The shipment's lines name order items (`OrderLine::line_id`); without any that match,
    // the whole order ships.
    let wanted: Vec<String> = shipment
        .lines
        .iter()
        .filter_map(|l| l.line_id.clone())
        .filter(|id| items.iter().any(|i| &i.order_item_id == id))
        .collect();
    let only = (!wanted.is_empty()).then_some(wanted.as_slice());
    let live = live_indices(&items, only);
    if live.is_empty() {
        return Err(MarketplaceError::permanent(
            "no item of this shipment can ship (unpaid, cancelled or returned)",
        ));
    }
    let to_ship: Vec<usize> = live
        .into_iter()
        .filter(|&i| !is_ready_to_ship(&items[i].status))
        .collect();
    if to_ship.is_empty() {
        return Ok(TrackingAck {
            already_confirmed: true,
        });
    }

    ensure_packed(
        c,
        op,
        order_id,
        &mut items,
        &to_ship,
        Some(shipment.carrier_code.as_str()).filter(|s| !s.is_empty()),
    )
    .await?;
    let mut packages: Vec<String> = Vec::new();
    for &i in &to_ship {
        if let Some(package) = &items[i].package_id {
            if !packages.contains(package) {
                packages.push(package.clone());
            }
        }
    }
    if packages.is_empty() {
        return Err(MarketplaceError::malformed(
            "the packed items carry no package_id",
        ));
    }
    for chunk in packages.chunks(BATCH_LIMIT) {
        let request = ReadyToShipRequest {
            packages: chunk
                .iter()
                .map(|package_id| PackageRef {
                    package_id: package_id.clone(),
                })
                .collect(),
        };
        let _: PackagesData = fulfillment_call(
            c,
            op,
            http::Method::POST,
            RTS_PATH,
            "readyToShipReq",
            &request,
            &ReadyToShipClassifier,
        )
        .await?;
    }

    let assigned: Vec<&str> = to_ship
        .iter()
        .filter_map(|&i| items[i].tracking_code.as_deref())
        .collect();
    let given = shipment.tracking_number.trim();
    if !given.is_empty() && !assigned.contains(&given) {
        tracing::warn!(
            platform = "lazada",
            order_id = %order_id,
            tracking_number = given,
            "the package ships under Lazada's own tracking number, not the one uploaded"
        );
    }
    Ok(TrackingAck {
        already_confirmed: false,
    })
}

/// Ready to ship or further along with the carrier: ReadyToShip is done.
fn is_ready_to_ship(status: &str) -> bool {
    matches!(
        status,
        "ready_to_ship" | "shipping" | "shipped" | "delivered"
    )
}

/// ReadyToShip: `success` does not mean every package went; each `item_err_code` must be "0"
/// (e.g. `600002` "package already cancelled").
#[derive(Debug)]
struct ReadyToShipClassifier;

impl ResponseClassifier for ReadyToShipClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        let data: Option<PackagesData> = check_result(r)?;
        element_error(&data.map(|d| d.packages).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::ErrorKind;

    fn resp(body: &str) -> RawResponse {
        RawResponse::new(200, "application/json", body.to_owned())
    }

    #[test]
    fn ready_to_ship_checks_every_package() {
        let ok = resp(
            r#"{"result":{"data":{"packages":[{"msg":"success","item_err_code":"0","package_id":"FP021111326834107","retry":false}]},"success":true},"code":"0","request_id":"2102ebef16868868897153546"}"#,
        );
        assert!(ReadyToShipClassifier.classify(&ok).is_ok());
        // The doc's response sample.
        let cancelled = resp(
            r#"{"result":{"data":{"packages":[{"msg":"package already cancelled","item_err_code":"600002","package_id":"FP038524014"}]},"success":true,"errorCode":"","errorMsg":""},"code":"0"}"#,
        );
        let e = ReadyToShipClassifier.classify(&cancelled).unwrap_err();
        assert_eq!((e.kind(), e.code()), (ErrorKind::Permanent, Some("600002")));
        assert!(e.message().contains("cancelled"));
    }

    #[test]
    fn ready_to_ship_and_later_statuses_count_as_done() {
        for s in ["ready_to_ship", "shipping", "shipped", "delivered"] {
            assert!(is_ready_to_ship(s), "{s}");
        }
        for s in ["pending", "topack", "packed", "toship"] {
            assert!(!is_ready_to_ship(s), "{s}");
        }
    }
}
