//! "Mark as shipped" with an advance ship notice: `purchaseOrders.shipment(notice:
//! ShipNoticeInput!)`, for POs shipped on the supplier's own carrier account.
//!
//! The notice needs what only the PO knows (the shipping warehouse's supplier id and address,
//! the ship-to address, the ship speed), so the PO is read first with
//! `getDropshipPurchaseOrders(poNumbers: [...])`. One shipment is one package: one
//! `smallParcelShipments` entry coded `TRACKING_NUMBER` with the shipment's lines.
//!
//! The mutation is asynchronous: it answers at once with a transaction (`NEW`, `PROCESSING`,
//! `COMPLETE` or `ERROR`) and processes later. Wayfair documents no refusal of a repeated
//! notice: it is answered with a new transaction like the first, so a repeat upload succeeds
//! (how Wayfair reconciles the duplicate afterwards is not published).

use core_model::{MarketplaceError, Operation, Shipment, TrackingAck};

use crate::error::safe_message;
use crate::model::{
    DropshipOrdersData, GraphQlResponse, Package, PackageCode, PoAddress, PurchaseOrder,
    PurchaseOrderVariables, ShipNoticeAddress, ShipNoticeInput, ShipNoticeItem, ShipmentData,
    ShipmentVariables, SmallParcelShipment, Transaction,
};
use crate::orders::{ship_to_of, wayfair_time};
use crate::{WayfairConnector, GRAPHQL_CLASS};

/// The ship notice mutation, selecting the transaction.
pub const SHIPMENT_MUTATION: &str = "mutation shipment($notice: ShipNoticeInput!) { \
purchaseOrders { shipment(notice: $notice) { \
id handle status submittedAt completedAt errors { key message } \
} } }";

fn present(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A PO address as the notice spells it; `None` when a required part is missing.
pub fn notice_address(a: &PoAddress) -> Option<ShipNoticeAddress> {
    Some(ShipNoticeAddress {
        name: present(&a.name)?,
        street_address1: present(&a.address1)?,
        street_address2: present(&a.address2),
        city: present(&a.city)?,
        state: present(&a.state),
        postal_code: present(&a.postal_code),
        country: present(&a.country)?,
    })
}

/// `supplierId` as a JSON number when the id is numeric.
fn supplier_id(id: &str) -> serde_json::Value {
    id.parse::<u64>()
        .map(serde_json::Value::from)
        .unwrap_or_else(|_| serde_json::Value::from(id))
}

/// `ShipSpeed` values are upper-case words joined by `_`.
fn is_ship_speed(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// The notice for `shipment` of `po`.
pub fn ship_notice(
    po: &PurchaseOrder,
    shipment: &Shipment,
) -> Result<ShipNoticeInput, MarketplaceError> {
    let tracking = shipment.tracking_number.trim();
    let carrier = shipment.carrier_code.trim();
    if tracking.is_empty() || carrier.is_empty() {
        return Err(MarketplaceError::permanent(
            "a ship notice needs the carrier's SCAC and a tracking number",
        ));
    }
    let items: Vec<ShipNoticeItem> = shipment
        .lines
        .iter()
        .filter(|l| l.quantity > 0)
        .map(|l| ShipNoticeItem {
            part_number: l.platform_sku.trim().to_owned(),
            quantity: l.quantity,
        })
        .collect();
    if items.is_empty() || items.iter().any(|i| i.part_number.is_empty()) {
        return Err(MarketplaceError::permanent(
            "a ship notice needs the part number and quantity of every shipped line",
        ));
    }
    let warehouse = po.warehouse.as_ref();
    let supplier = warehouse
        .and_then(|w| w.id.clone())
        .or_else(|| po.supplier_id.clone())
        .ok_or_else(|| MarketplaceError::permanent("the PO names no shipping warehouse"))?;
    let source = warehouse
        .and_then(|w| w.address.as_ref())
        .and_then(notice_address)
        .ok_or_else(|| MarketplaceError::permanent("the PO's warehouse has no complete address"))?;
    let destination = notice_address(&ship_to_of(po))
        .ok_or_else(|| MarketplaceError::permanent("the PO has no complete ship-to address"))?;
    // "The exact ship speed from the purchase order"; the shipment's method only fills a gap.
    let ship_speed = po
        .shipping_info
        .as_ref()
        .and_then(|s| present(&s.ship_speed))
        .or_else(|| {
            shipment
                .shipping_method
                .as_deref()
                .map(str::trim)
                .filter(|m| is_ship_speed(m))
                .map(str::to_owned)
        })
        .ok_or_else(|| MarketplaceError::permanent("the PO names no ship speed"))?;
    Ok(ShipNoticeInput {
        po_number: po.po_number.trim().to_owned(),
        supplier_id: supplier_id(&supplier),
        package_count: 1,
        carrier_code: carrier.to_owned(),
        ship_speed,
        tracking_number: tracking.to_owned(),
        ship_date: wayfair_time(shipment.shipped_at),
        source_address: source,
        destination_address: destination,
        small_parcel_shipments: vec![SmallParcelShipment {
            package: Package {
                code: PackageCode {
                    kind: "TRACKING_NUMBER",
                    value: tracking.to_owned(),
                },
            },
            items,
        }],
    })
}

/// Success unless the transaction failed outright.
pub fn check_transaction(t: &Transaction) -> Result<(), MarketplaceError> {
    if t.status.as_deref() != Some("ERROR") {
        return Ok(());
    }
    let detail: Vec<String> = t
        .errors
        .iter()
        .flatten()
        .flatten()
        .map(|e| {
            let key = e.key.as_deref().unwrap_or("notice");
            let message = e.message.as_deref().map(safe_message).unwrap_or_default();
            format!("{key}: {message}")
        })
        .collect();
    let text = if detail.is_empty() {
        "Wayfair rejected the ship notice".to_owned()
    } else {
        format!("Wayfair rejected the ship notice: {}", detail.join("; "))
    };
    Err(MarketplaceError::permanent(text).with_code("ERROR"))
}

/// The PO `po_number`, read with the connector's purchase-order selection.
async fn purchase_order(
    conn: &WayfairConnector,
    po_number: &str,
) -> Result<PurchaseOrder, MarketplaceError> {
    let variables = PurchaseOrderVariables {
        po_numbers: Some(vec![po_number.to_owned()]),
        ..PurchaseOrderVariables::default()
    };
    let response = conn
        .graphql(
            Operation::UploadTracking,
            GRAPHQL_CLASS,
            conn.po_query(),
            &variables,
        )
        .await?;
    let envelope: GraphQlResponse<DropshipOrdersData> = response.json()?;
    let list = envelope.data.and_then(|d| d.orders).unwrap_or_default();
    for raw in &list {
        let po: PurchaseOrder = connector_kit::decode_json(raw.get().as_bytes())?;
        if po.po_number.trim() == po_number {
            return Ok(po);
        }
    }
    Err(MarketplaceError::permanent(format!(
        "purchase order {po_number} was not found for these credentials"
    )))
}

pub async fn upload(
    conn: &WayfairConnector,
    shipment: &Shipment,
) -> Result<TrackingAck, MarketplaceError> {
    let po_number = shipment.platform_order_id.trim();
    if po_number.is_empty() {
        return Err(MarketplaceError::permanent(
            "the shipment names no PO number",
        ));
    }
    let po = purchase_order(conn, po_number).await?;
    let notice = ship_notice(&po, shipment)?;
    let response = conn
        .graphql(
            Operation::UploadTracking,
            GRAPHQL_CLASS,
            SHIPMENT_MUTATION,
            ShipmentVariables { notice },
        )
        .await?;
    let envelope: GraphQlResponse<ShipmentData> = response.json()?;
    let transaction = envelope
        .data
        .and_then(|d| d.purchase_orders)
        .and_then(|p| p.shipment)
        .ok_or_else(|| {
            MarketplaceError::malformed("the ship notice answered without a transaction")
        })?;
    check_transaction(&transaction)?;
    tracing::info!(po = %po_number, handle = ?transaction.handle, status = ?transaction.status,
        "ship notice accepted");
    Ok(TrackingAck {
        already_confirmed: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use core_model::{ErrorKind, ShipmentLine};

    fn po() -> PurchaseOrder {
        serde_json::from_str(
            r#"{"poNumber": "CS300000001", "poDate": "2026-05-10 08:15:30.000000 -04:00",
                "supplierId": 58211,
                "shippingInfo": {"shipSpeed": "GROUND", "carrierCode": "UPSN"},
                "warehouse": {"id": "58211", "address": {"name": "Reno DC", "address1": "1850 Depot Rd",
                    "address2": null, "city": "Reno", "state": "NV", "country": "USA", "postalCode": "89502"}},
                "products": [{"partNumber": "NG-LAMP-BRS", "quantity": 2, "price": 48.75}],
                "shipTo": {"name": "Priya Achterberg", "address1": "174 Millrace Dr", "address2": "Unit 2",
                    "city": "Tacoma", "state": "WA", "country": "USA", "postalCode": "98402"}}"#,
        )
        .unwrap()
    }

    fn shipment() -> Shipment {
        Shipment {
            platform_order_id: "CS300000001".into(),
            package_ref: "PKG-1".into(),
            carrier_code: "UPSN".into(),
            carrier_name: Some("UPS".into()),
            shipping_method: None,
            tracking_number: " 1Z999AA10123456784 ".into(),
            shipped_at: chrono::Utc.with_ymd_and_hms(2026, 5, 11, 15, 4, 5).unwrap(),
            lines: vec![ShipmentLine {
                line_id: None,
                platform_sku: "NG-LAMP-BRS".into(),
                quantity: 2,
            }],
        }
    }

    #[test]
    fn the_notice_follows_ship_notice_input() {
        let notice = ship_notice(&po(), &shipment()).unwrap();
        let v = serde_json::to_value(&notice).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "poNumber": "CS300000001",
                "supplierId": 58211,
                "packageCount": 1,
                "carrierCode": "UPSN",
                "shipSpeed": "GROUND",
                "trackingNumber": "1Z999AA10123456784",
                "shipDate": "2026-05-11 15:04:05.000000 +00:00",
                "sourceAddress": {"name": "Reno DC", "streetAddress1": "1850 Depot Rd",
                    "city": "Reno", "state": "NV", "postalCode": "89502", "country": "USA"},
                "destinationAddress": {"name": "Priya Achterberg", "streetAddress1": "174 Millrace Dr",
                    "streetAddress2": "Unit 2", "city": "Tacoma", "state": "WA", "postalCode": "98402",
                    "country": "USA"},
                "smallParcelShipments": [{
                    "package": {"code": {"type": "TRACKING_NUMBER", "value": "1Z999AA10123456784"}},
                    "items": [{"partNumber": "NG-LAMP-BRS", "quantity": 2}]
                }]
            })
        );
    }

    #[test]
    fn incomplete_shipments_and_pos_are_refused_before_any_call() {
        let mut no_number = shipment();
        no_number.tracking_number = "  ".into();
        assert_eq!(
            ship_notice(&po(), &no_number).unwrap_err().kind(),
            ErrorKind::Permanent
        );
        let mut no_lines = shipment();
        no_lines.lines.clear();
        assert!(ship_notice(&po(), &no_lines).is_err());

        let mut no_speed = po();
        no_speed.shipping_info = None;
        assert!(ship_notice(&no_speed, &shipment()).is_err());
        let mut with_method = shipment();
        with_method.shipping_method = Some("NEXT_DAY".into());
        assert_eq!(
            ship_notice(&no_speed, &with_method).unwrap().ship_speed,
            "NEXT_DAY"
        );
        with_method.shipping_method = Some("UPS Ground".into());
        assert!(ship_notice(&no_speed, &with_method).is_err());

        let mut no_dock = po();
        no_dock.warehouse = None;
        assert!(ship_notice(&no_dock, &shipment()).is_err());
    }

    #[test]
    fn only_an_error_transaction_fails() {
        let t = |json: &str| serde_json::from_str::<Transaction>(json).unwrap();
        for ok in ["NEW", "PROCESSING", "COMPLETE"] {
            let json = format!(r#"{{"handle": "h", "status": "{ok}"}}"#);
            assert!(check_transaction(&t(&json)).is_ok(), "{ok}");
        }
        assert!(check_transaction(&t(r#"{"status": null}"#)).is_ok());
        let e = check_transaction(&t(
            r#"{"status": "ERROR", "errors": [{"key": "trackingNumber", "message": "Tracking number is required"}, null]}"#,
        ))
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Permanent);
        assert!(e
            .message()
            .contains("trackingNumber: Tracking number is required"));
    }
}
