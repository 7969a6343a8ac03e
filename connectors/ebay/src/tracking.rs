//! "Mark as shipped" with Fulfillment API v1 `createShippingFulfillment`
//! (`POST /sell/fulfillment/v1/order/{orderId}/shipping_fulfillment`, 201 Created with the new
//! fulfillment's URI in `Location`; its id is the tracking number).
//!
//! Repeats: when the package was already uploaded, eBay refuses the second POST. The contract
//! lists two such answers for this call: 400 errorId 34500 "Please use PUT operation for
//! updating shipping fulfillment" (the fulfillment exists) and 409 Conflict. Neither says which
//! fulfillment clashed, so on either one the connector reads the order's fulfillments back
//! (`GET .../shipping_fulfillment`) and reports success with `already_confirmed` only when one
//! of them carries this tracking number for these line items; otherwise the refusal stands.

use connector_kit::{ApiRequest, RawResponse, ResponseClassifier};
use core_model::{MarketplaceError, Operation, Platform, Shipment, TrackingAck};

use crate::error::{first_error, EbayClassifier};
use crate::model::{
    LineItemReference, ShippingFulfillmentDetails, ShippingFulfillmentPagedCollection,
};
use crate::orders::ebay_time;
use crate::{EbayConnector, FULFILLMENT_CLASS};

pub const ORDER_PATH: &str = "/sell/fulfillment/v1/order";

/// "Please use PUT operation for updating shipping fulfillment".
pub const USE_PUT: i64 = 34500;

/// True for the answers that may mean "this fulfillment exists already".
pub fn may_be_repeat(response: &RawResponse) -> bool {
    match response.status.as_u16() {
        409 => true,
        400 => first_error(response).and_then(|e| e.error_id) == Some(USE_PUT),
        _ => false,
    }
}

/// `parse_error`, except that a possible repeat reaches the caller, which checks it.
#[derive(Debug)]
struct CreateFulfillmentClassifier;

impl ResponseClassifier for CreateFulfillmentClassifier {
    fn classify(&self, response: &RawResponse) -> Result<(), MarketplaceError> {
        if may_be_repeat(response) {
            return Ok(());
        }
        EbayClassifier.classify(response)
    }
}

/// eBay accepts only letters and digits in `trackingNumber`: "Do not include a space in the
/// tracking number even if a space appears in the tracking number on the shipping label."
pub fn normalize_tracking_number(tracking: &str) -> String {
    tracking
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// The createShippingFulfillment body for `shipment`.
pub fn request_body(shipment: &Shipment) -> Result<ShippingFulfillmentDetails, MarketplaceError> {
    let line_items = shipment
        .lines
        .iter()
        .map(|l| {
            let id = l
                .line_id
                .clone()
                .filter(|id| !id.is_empty())
                .ok_or_else(|| {
                    MarketplaceError::permanent(
                        "createShippingFulfillment needs the lineItemId of every line",
                    )
                })?;
            Ok(LineItemReference {
                line_item_id: id,
                quantity: l.quantity,
            })
        })
        .collect::<Result<Vec<_>, MarketplaceError>>()?;
    if line_items.is_empty() {
        return Err(MarketplaceError::permanent(
            "a shipping fulfillment needs at least one line item",
        ));
    }
    let tracking_number = normalize_tracking_number(&shipment.tracking_number);
    if tracking_number.is_empty() || shipment.carrier_code.trim().is_empty() {
        // The two fields are mutually dependent; without them eBay marks shipped untracked.
        return Err(MarketplaceError::permanent(
            "a shipping fulfillment needs a carrier code and an alphanumeric tracking number",
        ));
    }
    Ok(ShippingFulfillmentDetails {
        line_items,
        shipped_date: ebay_time(shipment.shipped_at),
        shipping_carrier_code: shipment.carrier_code.trim().to_owned(),
        tracking_number,
    })
}

/// Whether `fulfillments` already holds `body`'s tracking number for all of its line items.
pub fn already_uploaded(
    fulfillments: &ShippingFulfillmentPagedCollection,
    body: &ShippingFulfillmentDetails,
) -> bool {
    fulfillments.fulfillments.iter().any(|f| {
        let same_number = f
            .shipment_tracking_number
            .as_deref()
            .or(f.fulfillment_id.as_deref())
            .is_some_and(|n| normalize_tracking_number(n) == body.tracking_number);
        let covers_lines = f.line_items.is_empty()
            || body.line_items.iter().all(|l| {
                f.line_items
                    .iter()
                    .any(|have| have.line_item_id == l.line_item_id)
            });
        same_number && covers_lines
    })
}

pub async fn upload(
    conn: &EbayConnector,
    shipment: &Shipment,
) -> Result<TrackingAck, MarketplaceError> {
    let context = |e: MarketplaceError| {
        e.with_platform(Platform::Ebay)
            .with_operation(Operation::UploadTracking)
    };
    let body = request_body(shipment).map_err(context)?;
    let url = conn.api_url_with_segments(
        ORDER_PATH,
        &[&shipment.platform_order_id, "shipping_fulfillment"],
    )?;
    let request =
        ApiRequest::post(Operation::UploadTracking, FULFILLMENT_CLASS, url.clone()).json(&body)?;
    let response = conn
        .http()
        .send_classified(request, Some(conn.auth()), &CreateFulfillmentClassifier)
        .await?;
    if response.status.is_success() {
        tracing::debug!(order = %shipment.platform_order_id, "shipping fulfillment created");
        return Ok(TrackingAck {
            already_confirmed: false,
        });
    }

    // 34500 or 409: is this exact package on eBay already?
    let existing = conn
        .http()
        .send(
            ApiRequest::get(Operation::UploadTracking, FULFILLMENT_CLASS, url),
            Some(conn.auth()),
        )
        .await?;
    let fulfillments: ShippingFulfillmentPagedCollection = existing.json().map_err(context)?;
    if already_uploaded(&fulfillments, &body) {
        tracing::info!(order = %shipment.platform_order_id, "eBay has this package shipped already");
        return Ok(TrackingAck {
            already_confirmed: true,
        });
    }
    Err(context(match EbayClassifier.classify(&response) {
        Err(refusal) => refusal,
        Ok(()) => MarketplaceError::permanent("eBay refused the shipping fulfillment"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use core_model::{ErrorKind, ShipmentLine};

    fn shipment() -> Shipment {
        Shipment {
            platform_order_id: "14-11223-44556".into(),
            package_ref: "SHP-1".into(),
            carrier_code: "USPS".into(),
            carrier_name: None,
            shipping_method: None,
            tracking_number: "9400 1118-9922 3197 4284 90".into(),
            shipped_at: chrono::Utc.with_ymd_and_hms(2026, 5, 11, 15, 4, 5).unwrap(),
            lines: vec![ShipmentLine {
                line_id: Some("10061234567801".into()),
                platform_sku: "TSHIRT-BLK-M".into(),
                quantity: 2,
            }],
        }
    }

    #[test]
    fn body_follows_shipping_fulfillment_details() {
        let body = request_body(&shipment()).unwrap();
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({
                "lineItems": [{"lineItemId": "10061234567801", "quantity": 2}],
                "shippedDate": "2026-05-11T15:04:05.000Z",
                "shippingCarrierCode": "USPS",
                "trackingNumber": "9400111899223197428490"
            })
        );
        let mut no_line = shipment();
        no_line.lines[0].line_id = None;
        assert_eq!(
            request_body(&no_line).unwrap_err().kind(),
            ErrorKind::Permanent
        );
        let mut no_number = shipment();
        no_number.tracking_number = " - ".into();
        assert!(request_body(&no_number).is_err());
    }

    fn response(status: u16, body: &str) -> RawResponse {
        RawResponse::new(status, "application/json", body.to_owned())
    }

    #[test]
    fn only_the_documented_refusals_are_checked_as_repeats() {
        let use_put = r#"{"errors":[{"errorId":34500,"domain":"API_FULFILLMENT","category":"REQUEST","message":"Please use PUT operation for updating shipping fulfillment"}]}"#;
        assert!(may_be_repeat(&response(400, use_put)));
        assert!(CreateFulfillmentClassifier
            .classify(&response(400, use_put))
            .is_ok());
        assert!(may_be_repeat(&response(409, "")));
        let bad_line = r#"{"errors":[{"errorId":32200,"domain":"API_FULFILLMENT","category":"REQUEST","message":"Invalid line item id: 1"}]}"#;
        assert!(!may_be_repeat(&response(400, bad_line)));
        assert!(CreateFulfillmentClassifier
            .classify(&response(400, bad_line))
            .is_err());
        assert!(!may_be_repeat(&response(500, use_put)));
    }

    #[test]
    fn a_repeat_needs_the_same_number_on_the_same_lines() {
        let body = request_body(&shipment()).unwrap();
        let list =
            |json: &str| serde_json::from_str::<ShippingFulfillmentPagedCollection>(json).unwrap();
        let same = list(
            r#"{"fulfillments":[{"fulfillmentId":"9400111899223197428490","lineItems":[{"lineItemId":"10061234567801","quantity":2}],
                "shipmentTrackingNumber":"9400111899223197428490","shippingCarrierCode":"USPS"}],"total":1}"#,
        );
        assert!(already_uploaded(&same, &body));
        let other_number = list(
            r#"{"fulfillments":[{"fulfillmentId":"1Z999AA10123456784","lineItems":[{"lineItemId":"10061234567801","quantity":2}],
                "shipmentTrackingNumber":"1Z999AA10123456784"}],"total":1}"#,
        );
        assert!(!already_uploaded(&other_number, &body));
        let other_line = list(
            r#"{"fulfillments":[{"lineItems":[{"lineItemId":"10061234567899","quantity":1}],
                "shipmentTrackingNumber":"9400111899223197428490"}],"total":1}"#,
        );
        assert!(!already_uploaded(&other_line, &body));
        assert!(!already_uploaded(
            &list(r#"{"fulfillments":[],"total":0}"#),
            &body
        ));
    }
}
