//! "Mark as shipped" with Orders API v0 `confirmShipment`
//! (`POST /orders/v0/orders/{orderId}/shipmentConfirmation`, 204 on success).
//!
//! Repeats: Amazon treats a confirmation with a `packageReferenceId` it already has as an edit
//! of that package ("Confirm the shipment status" guide), so the id is derived from our
//! `package_ref` and a repeat names the same package. When the order is already fully
//! shipped Amazon answers 400 `InvalidInput` "Failed to create package due to not finding a
//! matching package or order already fulfilled. ... errorMetric=PackageToUpdateNotFound"
//! (amzn/selling-partner-api-models#5037 and integrators' handlers); that answer means the
//! shipment is on Amazon already and is reported as `already_confirmed`.

use connector_kit::{sign, ApiRequest, RawResponse, ResponseClassifier};
use core_model::{MarketplaceError, Operation, Platform, Shipment, TrackingAck};

use crate::error::{first_error, rate_limit, AmazonClassifier};
use crate::model::{
    ConfirmShipmentOrderItem, ConfirmShipmentRequest, GetOrderResponse, PackageDetail,
};
use crate::orders::iso;
use crate::{AmazonConnector, CONFIRM_SHIPMENT_CLASS, GET_ORDER_CLASS};

/// What Amazon says when a confirmation finds the order already fulfilled.
const ALREADY_FULFILLED: &[&str] = &[
    "Failed to create package due to not finding a matching package or order already fulfilled",
    "PackageToUpdateNotFound",
];

/// True for Amazon's "already fulfilled" answer to a confirmation.
pub fn is_already_confirmed(response: &RawResponse) -> bool {
    response.status.as_u16() == 400
        && first_error(response).is_some_and(|(code, message)| {
            code == "InvalidInput" && ALREADY_FULFILLED.iter().any(|m| message.contains(m))
        })
}

/// `parse_error`, except that the "already fulfilled" answer is a success.
#[derive(Debug)]
struct ConfirmShipmentClassifier;

impl ResponseClassifier for ConfirmShipmentClassifier {
    fn classify(&self, response: &RawResponse) -> Result<(), MarketplaceError> {
        if is_already_confirmed(response) {
            return Ok(());
        }
        AmazonClassifier.classify(response)
    }

    fn rate_hint(&self, response: &RawResponse) -> Option<f64> {
        rate_limit(response)
    }
}

/// `packageReferenceId`: a positive number, the same for the same `package_ref`. A ref that
/// already is a number of at most nine digits is used as it is; any other is hashed into
/// 1..=2^31-1 (an id only needs to be unique within one order).
pub fn package_reference_id(package_ref: &str) -> String {
    let trimmed = package_ref.trim();
    if (1..=9).contains(&trimmed.len()) && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = trimmed.parse::<u32>() {
            if n > 0 {
                return n.to_string();
            }
        }
    }
    let digest = sign::sha256_hex(trimmed.as_bytes());
    let n = u64::from_str_radix(&digest[..15], 16).unwrap_or(0);
    (n % 0x7fff_ffff + 1).to_string()
}

/// The marketplace the order was placed in: the store's only one, else the order's own.
async fn marketplace_of(
    conn: &AmazonConnector,
    order_id: &str,
) -> Result<String, MarketplaceError> {
    if let [only] = conn.marketplace_ids() {
        return Ok(only.clone());
    }
    let url = conn.api_url_with_segments("/orders/2026-01-01/orders", &[order_id])?;
    let response = conn
        .http()
        .send(
            ApiRequest::get(Operation::UploadTracking, GET_ORDER_CLASS, url),
            Some(conn.auth()),
        )
        .await?;
    let found: GetOrderResponse = response
        .json()
        .map_err(|e| e.with_platform(Platform::Amazon))?;
    found
        .order
        .sales_channel
        .and_then(|c| c.marketplace_id)
        .ok_or_else(|| {
            MarketplaceError::malformed("getOrder answered without salesChannel.marketplaceId")
        })
}

pub async fn confirm(
    conn: &AmazonConnector,
    shipment: &Shipment,
) -> Result<TrackingAck, MarketplaceError> {
    let permanent = |m: &str| {
        MarketplaceError::permanent(m)
            .with_platform(Platform::Amazon)
            .with_operation(Operation::UploadTracking)
    };
    let order_items = shipment
        .lines
        .iter()
        .map(|l| {
            let id = l
                .line_id
                .clone()
                .ok_or_else(|| permanent("confirmShipment needs the orderItemId of every line"))?;
            Ok(ConfirmShipmentOrderItem {
                order_item_id: id,
                quantity: l.quantity,
            })
        })
        .collect::<Result<Vec<_>, MarketplaceError>>()?;
    if order_items.is_empty() {
        return Err(permanent("a shipment confirmation needs at least one line"));
    }
    let body = ConfirmShipmentRequest {
        marketplace_id: marketplace_of(conn, &shipment.platform_order_id).await?,
        package_detail: PackageDetail {
            package_reference_id: package_reference_id(&shipment.package_ref),
            carrier_code: shipment.carrier_code.clone(),
            carrier_name: shipment.carrier_name.clone(),
            shipping_method: shipment.shipping_method.clone(),
            tracking_number: shipment.tracking_number.clone(),
            ship_date: iso(shipment.shipped_at),
            order_items,
        },
    };
    let url = conn.api_url_with_segments(
        "/orders/v0/orders",
        &[&shipment.platform_order_id, "shipmentConfirmation"],
    )?;
    let request =
        ApiRequest::post(Operation::UploadTracking, CONFIRM_SHIPMENT_CLASS, url).json(&body)?;
    let response = conn
        .http()
        .send_classified(request, Some(conn.auth()), &ConfirmShipmentClassifier)
        .await?;
    let already_confirmed = response.status.as_u16() != 204 && is_already_confirmed(&response);
    if already_confirmed {
        tracing::info!(order = %shipment.platform_order_id, "Amazon has this order shipped already");
    }
    Ok(TrackingAck { already_confirmed })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_reference_ids_are_positive_numbers_and_stable() {
        assert_eq!(package_reference_id("17"), "17");
        assert_eq!(package_reference_id("0017"), "17");
        let hashed = package_reference_id("PKG-113-4820193-7715402-1");
        assert_eq!(hashed, package_reference_id("PKG-113-4820193-7715402-1"));
        assert_ne!(hashed, package_reference_id("PKG-113-4820193-7715402-2"));
        for r in ["0", "", "PKG-1", "12345678901234567890", "shipment/9"] {
            let id: u64 = package_reference_id(r).parse().unwrap();
            assert!((1..=0x7fff_ffff).contains(&id), "{r} -> {id}");
        }
    }

    fn response(status: u16, body: &str) -> RawResponse {
        RawResponse::new(status, "application/json", body.to_owned())
    }

    #[test]
    fn only_the_already_fulfilled_answer_counts_as_confirmed() {
        let fulfilled = r#"{"errors":[{"code":"InvalidInput","message":"Failed to create package due to not finding a matching package or order already fulfilled. ErrorMessage(errorCode=GeneralError, errorDescription=Unable to find package to update for order (113-4820193-7715402), errorMetric=PackageToUpdateNotFound, packageIndex=null)","details":""}]}"#;
        assert!(is_already_confirmed(&response(400, fulfilled)));
        assert!(ConfirmShipmentClassifier
            .classify(&response(400, fulfilled))
            .is_ok());

        let bad_item = r#"{"errors":[{"code":"InvalidInput","message":"OrderItemId  is invalid, please obtain the value through the getOrderItems API or Manage Orders page","details":""}]}"#;
        assert!(!is_already_confirmed(&response(400, bad_item)));
        assert!(ConfirmShipmentClassifier
            .classify(&response(400, bad_item))
            .is_err());
        assert!(!is_already_confirmed(&response(500, fulfilled)));
    }
}
