//! Tracking upload: `ship_order` with `non_integrated.tracking_number`, the arrange-shipment
//! call for channels whose carrier the seller books. The carrier is fixed by the order's
//! logistics channel, so `carrier_code` is not sent.
//!
//! A repeat is success: for a package already arranged Shopee answers
//! `logistics.package_already_shipped` ("This package has already been arranged shipment and
//! you can't call this API again", v2.logistics.ship_order error_list).

use connector_kit::{decode_json, ApiRequest, RawResponse, ResponseClassifier};
use core_model::{MarketplaceError, Operation, Shipment, TrackingAck};

use crate::error::{parse_error, PACKAGE_ALREADY_SHIPPED};
use crate::labels::LOGISTICS_CLASS;
use crate::model::{Envelope, NonIntegrated, ShipOrderRequest};
use crate::ShopeeConnector;

const SHIP_ORDER_PATH: &str = "/api/v2/logistics/ship_order";

pub async fn upload_tracking(
    c: &ShopeeConnector,
    shipment: &Shipment,
) -> Result<TrackingAck, MarketplaceError> {
    if shipment.tracking_number.trim().is_empty() {
        return Err(MarketplaceError::permanent(
            "a non-integrated shipment needs a tracking number",
        ));
    }
    // `package_number` must be omitted for unsplit orders (`ship_order_not_need_pacakge_number`)
    // and Shipment carries no Shopee package number, so it is left out.
    let body = ShipOrderRequest {
        order_sn: shipment.platform_order_id.clone(),
        package_number: None,
        non_integrated: NonIntegrated {
            tracking_number: shipment.tracking_number.clone(),
        },
    };
    let request = ApiRequest::post(
        Operation::UploadTracking,
        LOGISTICS_CLASS,
        c.url(SHIP_ORDER_PATH)?,
    )
    .json(&body)?;
    let response = c
        .http()
        .send_classified(request, Some(c.auth()), &ShipOrderClassifier)
        .await?;
    Ok(TrackingAck {
        already_confirmed: is_already_shipped(&response),
    })
}

fn is_already_shipped(r: &RawResponse) -> bool {
    decode_json::<Envelope<serde_json::Value>>(&r.body)
        .ok()
        .and_then(|e| e.error)
        .is_some_and(|code| code.trim() == PACKAGE_ALREADY_SHIPPED)
}

/// Lets the "already arranged" answer through as success; everything else as usual.
#[derive(Debug)]
struct ShipOrderClassifier;

impl ResponseClassifier for ShipOrderClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        match parse_error(r) {
            Err(e) if e.code().map(str::trim) == Some(PACKAGE_ALREADY_SHIPPED) => Ok(()),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn resp(status: u16, body: &str) -> RawResponse {
        RawResponse::new(status, "application/json", body.to_owned())
    }

    #[test]
    fn already_arranged_is_success() {
        let again = resp(
            400,
            r#"{"error":"logistics.package_already_shipped","message":"This package has already been arranged shipment and you can't call this API again.","request_id":"r"}"#,
        );
        assert!(ShipOrderClassifier.classify(&again).is_ok());
        assert!(is_already_shipped(&again));
        let first = resp(
            200,
            r#"{"error":"","message":"","request_id":"3dad66f43b8447d282ae6da36626c6b7"}"#,
        );
        assert!(ShipOrderClassifier.classify(&first).is_ok());
        assert!(!is_already_shipped(&first));
        let other = resp(
            200,
            r#"{"error":"logistics.ship_order_unsupport_non_integrated","message":"This order does not support ship with non_integrated.","request_id":"r"}"#,
        );
        assert!(ShipOrderClassifier.classify(&other).is_err());
    }
}
