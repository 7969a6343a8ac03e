//! "Mark as shipped" for seller-shipped (ME1, custom) shipments through ME1 seller
//! notifications v2: `POST /v2/shipments/{shipment_id}/seller_notifications` with
//! `status: "shipped"`, `substatus: null`, the tracking number and the carrier's tracking page
//! (v2 wants both together; v1 without `/v2` was discontinued on 2026-10-31,
//! https://developers.mercadolibre.cl/estados-de-ordenes-me1).
//!
//! Mercado Envíos 2 needs no upload: Mercado Libre contracts the carrier, its label carries
//! the tracking and the shipment turns `shipped` when the carrier scans it. Those shipments,
//! and Full (fulfillment) ones, answer `Unsupported`.
//!
//! Repeats: the shipment is read first; one already `shipped` (or further) is reported as
//! `already_confirmed` without a second notification, since ME1 states cannot be re-sent.

use connector_kit::{decode_json, ApiRequest};
use core_model::{MarketplaceError, Operation, Shipment, TrackingAck};

use crate::model::{self, NotificationPayload, Order, SellerNotification};
use crate::orders::{fetch_shipment, ml_time, numeric};
use crate::{MercadolibreConnector, ORDERS_CLASS, TRACKING_CLASS};

fn unsupported(message: impl Into<String>) -> MarketplaceError {
    MarketplaceError::unsupported(message).with_operation(Operation::UploadTracking)
}

fn permanent(message: impl Into<String>) -> MarketplaceError {
    MarketplaceError::permanent(message).with_operation(Operation::UploadTracking)
}

/// What a shipment's logistics allow: `Ok` for the modes whose seller reports tracking.
pub fn check_uploadable(shipment: &model::Shipment) -> Result<(), MarketplaceError> {
    if shipment.logistic_type() == Some("fulfillment") {
        return Err(unsupported(
            "Mercado Envíos Full shipments are shipped by Mercado Libre; there is no tracking to upload",
        ));
    }
    match shipment.mode() {
        Some("me1" | "custom") => Ok(()),
        Some("me2") => Err(unsupported(
            "Mercado Envíos 2 shipments are tracked by Mercado Libre's carrier; there is no tracking to upload",
        )),
        Some(other) => Err(unsupported(format!(
            "shipping mode `{other}` has no tracking upload"
        ))),
        None => Err(unsupported("the shipment names no shipping mode")),
    }
}

/// The notification for `shipment`, given the store's ME1 tracking page.
pub fn notification<'a>(shipment: &'a Shipment, tracking_url: String) -> SellerNotification<'a> {
    SellerNotification {
        payload: NotificationPayload {
            // The ME1 carrier service, when the caller names it by its numeric id.
            service_id: shipment.carrier_code.trim().parse().ok(),
            comment: shipment
                .carrier_name
                .as_deref()
                .filter(|c| !c.trim().is_empty()),
            date: ml_time(shipment.shipped_at),
        },
        tracking_number: &shipment.tracking_number,
        tracking_url,
        status: "shipped",
        substatus: None,
    }
}

pub async fn upload(
    conn: &MercadolibreConnector,
    shipment: &Shipment,
) -> Result<TrackingAck, MarketplaceError> {
    if shipment.tracking_number.trim().is_empty() {
        return Err(permanent("a shipment notification needs a tracking number"));
    }
    let order_id = numeric(&shipment.platform_order_id, "order id")?;
    let url = conn.api_url(&format!("/orders/{order_id}"))?;
    let response = conn
        .http()
        .send(
            ApiRequest::get(Operation::UploadTracking, ORDERS_CLASS, url),
            Some(conn.auth()),
        )
        .await?;
    let order: Order = response
        .json()
        .map_err(|e| e.with_operation(Operation::UploadTracking))?;
    let shipment_id = order
        .shipping
        .and_then(|s| s.id)
        .ok_or_else(|| unsupported("the order has no shipment to report"))?;

    let raw = fetch_shipment(conn, &shipment_id, Operation::UploadTracking).await?;
    let current: model::Shipment = decode_json(raw.get().as_bytes())
        .map_err(|e| e.with_operation(Operation::UploadTracking))?;
    check_uploadable(&current)?;
    match current.status.as_deref() {
        Some("shipped" | "delivered" | "not_delivered") => {
            if current.tracking_number.as_deref() != Some(shipment.tracking_number.as_str()) {
                tracing::warn!(platform = "mercadolibre", order = %shipment.platform_order_id,
                    "the shipment was reported shipped with another tracking number");
            }
            return Ok(TrackingAck {
                already_confirmed: true,
            });
        }
        Some("cancelled") => return Err(permanent("the shipment was cancelled")),
        _ => {}
    }

    let tracking_url = conn.me1_tracking_url(&shipment.tracking_number)?;
    let body = notification(shipment, tracking_url);
    let url = conn.api_url(&format!("/v2/shipments/{shipment_id}/seller_notifications"))?;
    let request = ApiRequest::post(Operation::UploadTracking, TRACKING_CLASS, url).json(&body)?;
    conn.http().send(request, Some(conn.auth())).await?;
    tracing::info!(platform = "mercadolibre", order = %shipment.platform_order_id,
        "ME1 shipment reported shipped");
    Ok(TrackingAck {
        already_confirmed: false,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::TimeZone;
    use core_model::ErrorKind;

    fn shipment(json: &str) -> model::Shipment {
        decode_json(json.as_bytes()).unwrap()
    }

    #[test]
    fn only_seller_shipped_modes_upload() {
        let kind = |json: &str| check_uploadable(&shipment(json)).map_err(|e| e.kind());
        assert_eq!(
            kind(r#"{"id": 1, "logistic": {"mode": "me1", "type": "default"}}"#),
            Ok(())
        );
        assert_eq!(kind(r#"{"id": 1, "mode": "custom"}"#), Ok(()));
        assert_eq!(
            kind(r#"{"id": 1, "logistic": {"mode": "me2", "type": "drop_off"}}"#),
            Err(ErrorKind::Unsupported)
        );
        assert_eq!(
            kind(r#"{"id": 1, "logistic": {"mode": "me2", "type": "fulfillment"}}"#),
            Err(ErrorKind::Unsupported)
        );
        assert_eq!(
            kind(r#"{"id": 1, "logistic": {"mode": "not_specified"}}"#),
            Err(ErrorKind::Unsupported)
        );
    }

    #[test]
    fn the_notification_follows_the_me1_example() {
        let s = Shipment {
            platform_order_id: "2000008100000007".into(),
            package_ref: "1".into(),
            carrier_code: "154".into(),
            carrier_name: Some("Transportes Norte".into()),
            shipping_method: None,
            tracking_number: "OP123456789AR".into(),
            shipped_at: chrono::Utc
                .with_ymd_and_hms(2026, 5, 12, 16, 3, 51)
                .unwrap(),
            lines: vec![],
        };
        let body = notification(&s, "https://carrier.example/t/OP123456789AR".into());
        let v = serde_json::to_value(&body).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "payload": {"service_id": 154, "comment": "Transportes Norte",
                            "date": "2026-05-12T16:03:51.000-00:00"},
                "tracking_number": "OP123456789AR",
                "tracking_url": "https://carrier.example/t/OP123456789AR",
                "status": "shipped",
                "substatus": null
            })
        );
        let named = Shipment {
            carrier_code: "ANDREANI".into(),
            carrier_name: None,
            ..s
        };
        let v = serde_json::to_value(notification(&named, String::new())).unwrap();
        assert!(v["payload"].get("service_id").is_none());
    }
}
