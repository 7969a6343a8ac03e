//! "Mark as shipped": `aliexpress.solution.order.fulfill` with the logistics service key
//! (`service_name`), the tracking number (`logistics_no`), the order (`out_ref`) and
//! `send_type` (`all`, or `part` while child orders are left to ship).
//!
//! The order's detail (`aliexpress.solution.order.info.get`) is read first: its
//! `logistic_info_list` is the platform's record of the declared shipments. When it already holds
//! this tracking number the upload was accepted before, and the repeat reports
//! `already_confirmed` without declaring again. The detail's child orders also decide
//! `send_type`.

use core_model::{MarketplaceError, Operation, Shipment, TrackingAck};

use crate::labels::LOGISTICS_CLASS;
use crate::model::{ChildOrder, OrderDetail};
use crate::orders::order_detail;
use crate::AliexpressConnector;

pub const FULFILL_METHOD: &str = "aliexpress.solution.order.fulfill";

pub async fn upload_tracking(
    c: &AliexpressConnector,
    shipment: &Shipment,
) -> Result<TrackingAck, MarketplaceError> {
    let op = Operation::UploadTracking;
    let order_id = shipment.platform_order_id.trim();
    let tracking = shipment.tracking_number.trim();
    let service = shipment.carrier_code.trim();
    if tracking.is_empty() || service.is_empty() {
        return Err(MarketplaceError::permanent(
            "a shipment needs a tracking number and an AliExpress logistics service key",
        ));
    }
    let raw = order_detail(c, op, order_id).await?;
    let detail: OrderDetail = connector_kit::decode_json(raw.get().as_bytes())?;
    if already_declared(&detail, tracking) {
        return Ok(TrackingAck {
            already_confirmed: true,
        });
    }

    let mut params = vec![
        ("service_name".to_owned(), service.to_owned()),
        ("logistics_no".to_owned(), tracking.to_owned()),
        ("out_ref".to_owned(), order_id.to_owned()),
        (
            "send_type".to_owned(),
            send_type(shipment, &detail).to_owned(),
        ),
    ];
    if is_other_carrier(service) {
        params.push(("tracking_website".to_owned(), tracking_website(shipment)?));
    }
    c.call(op, LOGISTICS_CLASS, FULFILL_METHOD, params).await?;
    Ok(TrackingAck {
        already_confirmed: false,
    })
}

/// The platform already lists this tracking number among the order's shipments.
fn already_declared(detail: &OrderDetail, tracking: &str) -> bool {
    detail.logistic_info_list.iter().any(|l| {
        l.logistics_no
            .as_deref()
            .is_some_and(|no| no.trim().eq_ignore_ascii_case(tracking))
    })
}

/// `all` when the shipment leaves no child order still to ship; `part` otherwise. A shipment
/// without lines ships the whole order. Lines name child orders by `line_id` (the child order
/// id), else by SKU.
fn send_type(shipment: &Shipment, detail: &OrderDetail) -> &'static str {
    if shipment.lines.is_empty() {
        return "all";
    }
    let waiting = |child: &&ChildOrder| {
        matches!(
            child.order_status.as_deref(),
            None | Some("WAIT_SELLER_SEND_GOODS" | "SELLER_PART_SEND_GOODS")
        )
    };
    let covered = |child: &ChildOrder| {
        let ids = [child.id.as_deref(), child.child_order_id.as_deref()];
        let by_id: u64 = shipment
            .lines
            .iter()
            .filter(|l| l.line_id.is_some() && ids.contains(&l.line_id.as_deref()))
            .map(|l| u64::from(l.quantity))
            .sum();
        let shipped = if by_id > 0 {
            by_id
        } else {
            shipment
                .lines
                .iter()
                .filter(|l| {
                    child
                        .sku_code
                        .as_deref()
                        .is_some_and(|s| !s.trim().is_empty() && s.trim() == l.platform_sku.trim())
                })
                .map(|l| u64::from(l.quantity))
                .sum()
        };
        shipped >= child.product_count.unwrap_or(1)
    };
    if detail.child_order_list.iter().filter(waiting).all(covered) {
        "all"
    } else {
        "part"
    }
}

/// `OTHER` and the `OTHER_XX_LOCAL` / `OTHER_XX_OVERSEAS` keys need a tracking website.
fn is_other_carrier(service: &str) -> bool {
    let upper = service.to_ascii_uppercase();
    upper == "OTHER" || upper.starts_with("OTHER_")
}

/// The carrier's tracking site for `OTHER` services, taken from `carrier_name` or
/// `shipping_method` when one of them is a web address.
fn tracking_website(shipment: &Shipment) -> Result<String, MarketplaceError> {
    [&shipment.carrier_name, &shipment.shipping_method]
        .into_iter()
        .flatten()
        .map(|s| s.trim())
        .find(|s| {
            !s.contains(char::is_whitespace)
                && (s.starts_with("http://") || s.starts_with("https://") || s.starts_with("www."))
        })
        .map(str::to_owned)
        .ok_or_else(|| {
            MarketplaceError::permanent(
                "AliExpress needs a tracking website for an OTHER carrier: pass it as the shipment's carrier name",
            )
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::ShipmentLine;

    fn detail(json: &str) -> OrderDetail {
        connector_kit::decode_json(json.as_bytes()).unwrap()
    }

    fn shipment(lines: Vec<ShipmentLine>) -> Shipment {
        Shipment {
            platform_order_id: "3041260000030011".into(),
            package_ref: "PKG-1".into(),
            carrier_code: "CAINIAO_STANDARD".into(),
            carrier_name: None,
            shipping_method: None,
            tracking_number: "LP00143017183663".into(),
            shipped_at: chrono::Utc::now(),
            lines,
        }
    }

    fn line(id: Option<&str>, sku: &str, quantity: u32) -> ShipmentLine {
        ShipmentLine {
            line_id: id.map(str::to_owned),
            platform_sku: sku.into(),
            quantity,
        }
    }

    const TWO_CHILDREN: &str = r#"{"child_order_list":{"global_aeop_tp_child_order_dto":[
        {"id":3041260000030012,"sku_code":"TEE-BLK-L","product_count":2,"order_status":"WAIT_SELLER_SEND_GOODS"},
        {"id":3041260000030013,"sku_code":"MUG-WHT","product_count":1,"order_status":"WAIT_SELLER_SEND_GOODS"}]}}"#;

    #[test]
    fn send_type_is_part_while_child_orders_are_left() {
        let d = detail(TWO_CHILDREN);
        assert_eq!(send_type(&shipment(vec![]), &d), "all");
        let both = vec![
            line(Some("3041260000030012"), "TEE-BLK-L", 2),
            line(None, "MUG-WHT", 1),
        ];
        assert_eq!(send_type(&shipment(both), &d), "all");
        let one = vec![line(Some("3041260000030012"), "TEE-BLK-L", 2)];
        assert_eq!(send_type(&shipment(one), &d), "part");
        let short = vec![line(None, "TEE-BLK-L", 1), line(None, "MUG-WHT", 1)];
        assert_eq!(send_type(&shipment(short), &d), "part");
        // The mug went out earlier: the tees finish the order.
        let rest = detail(&TWO_CHILDREN.replacen(
            r#""product_count":1,"order_status":"WAIT_SELLER_SEND_GOODS""#,
            r#""product_count":1,"order_status":"WAIT_BUYER_ACCEPT_GOODS""#,
            1,
        ));
        let tees = vec![line(None, "TEE-BLK-L", 2)];
        assert_eq!(send_type(&shipment(tees), &rest), "all");
    }

    #[test]
    fn a_listed_tracking_number_is_already_declared() {
        let d = detail(
            r#"{"logistic_info_list":{"global_aeop_tp_logistic_info_dto":[{"logistics_no":"lp00143017183663 ","logistics_type_code":"CAINIAO_STANDARD"}]}}"#,
        );
        assert!(already_declared(&d, "LP00143017183663"));
        assert!(!already_declared(&d, "LP00000000000000"));
        assert!(!already_declared(
            &OrderDetail::default(),
            "LP00143017183663"
        ));
    }

    #[test]
    fn other_carriers_need_a_website() {
        assert!(is_other_carrier("OTHER"));
        assert!(is_other_carrier("Other_US_LOCAL"));
        assert!(!is_other_carrier("CAINIAO_STANDARD"));
        let mut s = shipment(vec![]);
        assert!(tracking_website(&s).is_err());
        s.carrier_name = Some("Local Post".into());
        s.shipping_method = Some("https://track.example.com".into());
        assert_eq!(tracking_website(&s).unwrap(), "https://track.example.com");
    }
}
