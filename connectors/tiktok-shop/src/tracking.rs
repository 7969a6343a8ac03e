//! Tracking upload for seller-shipped orders: the order's current line items and packages
//! (`GET /order/202309/orders`), the carrier's `shipping_provider_id` (`GET /logistics/202309/
//! delivery_options/{id}/shipping_providers` when the carrier is given by name), then either
//! `POST /fulfillment/202309/packages/{package_id}/ship` with `self_shipment` when the shipment
//! is exactly one existing package, or the order-level `POST /fulfillment/202309/orders/
//! {order_id}/packages` (Mark Package As Shipped, US/UK/ES/IE/IT/DE/FR/JP) for a part of one.
//!
//! A repeat is success: for a package that already shipped TikTok answers "Package has
//! already been shipped" (code 21011040; 21023046 from the document API), reported as
//! `already_confirmed: true`.

use connector_kit::{decode_json, ApiRequest, RawResponse, ResponseClassifier};
use core_model::{MarketplaceError, Operation, Shipment, ShipmentLine, TrackingAck};

use crate::error::parse_error;
use crate::model::{
    Envelope, LineItem, MarkShippedBody, Order, SelfShipment, ShipPackageBody, ShippingProviders,
};
use crate::orders::{data_of, order_detail};
use crate::TiktokShopConnector;

/// The endpoint class of the fulfillment and logistics APIs.
pub const FULFILLMENT_CLASS: &str = "fulfillment";

/// "Package has already been shipped": Ship Package (21011040) and the shipping-document API
/// (21023046), as integrators report them.
pub const ALREADY_SHIPPED: &[i64] = &[21011040, 21023046];

const PACKAGES_PATH: &str = "/fulfillment/202309/packages";
const ORDERS_PATH: &str = "/fulfillment/202309/orders";
const DELIVERY_OPTIONS_PATH: &str = "/logistics/202309/delivery_options";

pub async fn upload_tracking(
    c: &TiktokShopConnector,
    shipment: &Shipment,
) -> Result<TrackingAck, MarketplaceError> {
    let tracking_number = shipment.tracking_number.trim();
    if tracking_number.is_empty() {
        return Err(MarketplaceError::permanent(
            "a seller shipment needs a tracking number",
        ));
    }
    let order = order_detail(c, Operation::UploadTracking, &shipment.platform_order_id).await?;
    if order.shipping_type.as_deref() == Some("TIKTOK") {
        return Err(MarketplaceError::unsupported(
            "TikTok Shipping orders carry the platform label's tracking; there is nothing to upload",
        ));
    }
    if order.fulfillment_type.as_deref() == Some("FULFILLMENT_BY_TIKTOK") {
        return Err(MarketplaceError::unsupported(
            "orders fulfilled by TikTok are shipped by TikTok",
        ));
    }
    let units = shipped_units(&order.line_items, &shipment.lines, tracking_number)?;
    let provider_id = shipping_provider_id(c, &order, shipment).await?;
    let already = match whole_package(&order.line_items, &units) {
        Some(package_id) => {
            let body = ShipPackageBody {
                handover_method: None,
                self_shipment: Some(SelfShipment {
                    tracking_number: tracking_number.to_owned(),
                    shipping_provider_id: provider_id,
                }),
            };
            ship_package(c, Operation::UploadTracking, &package_id, &body).await?
        }
        None => {
            let body = MarkShippedBody {
                order_line_item_ids: units.iter().map(|u| u.id.clone()).collect(),
                tracking_number: tracking_number.to_owned(),
                shipping_provider_id: provider_id,
            };
            let url = c.url_with_id(ORDERS_PATH, &order.id, "packages")?;
            let request =
                ApiRequest::post(Operation::UploadTracking, FULFILLMENT_CLASS, url).json(&body)?;
            let response = c
                .http()
                .send_classified(request, Some(c.auth()), &ShipClassifier)
                .await?;
            is_already_shipped(&response)
        }
    };
    Ok(TrackingAck {
        already_confirmed: already,
    })
}

/// Ship one package (`POST /fulfillment/202309/packages/{package_id}/ship`); true when TikTok
/// says it had already shipped. Also the label flow's "arrange shipment" step.
pub async fn ship_package(
    c: &TiktokShopConnector,
    operation: Operation,
    package_id: &str,
    body: &ShipPackageBody,
) -> Result<bool, MarketplaceError> {
    let url = c.url_with_id(PACKAGES_PATH, package_id, "ship")?;
    let request = ApiRequest::post(operation, FULFILLMENT_CLASS, url).json(body)?;
    let response = c
        .http()
        .send_classified(request, Some(c.auth()), &ShipClassifier)
        .await?;
    Ok(is_already_shipped(&response))
}

fn live(item: &LineItem) -> bool {
    item.display_status.as_deref() != Some("CANCELLED")
        && item.package_status.as_deref() != Some("CANCELLED")
}

/// The line items (single units) a shipment covers. A line names its unit group by `line_id`
/// (the first unit's id, see `orders::order_lines`) or by SKU; `quantity` units are taken,
/// those already carrying this tracking number first (so a repeat names the same units), then
/// those not yet shipped. No lines means every live unit of the order.
pub fn shipped_units<'o>(
    items: &'o [LineItem],
    lines: &[ShipmentLine],
    tracking_number: &str,
) -> Result<Vec<&'o LineItem>, MarketplaceError> {
    let live_items: Vec<&LineItem> = items.iter().filter(|i| live(i)).collect();
    if lines.is_empty() {
        if live_items.is_empty() {
            return Err(MarketplaceError::permanent(
                "the order has no unit left to ship",
            ));
        }
        return Ok(live_items);
    }
    let mut chosen: Vec<&LineItem> = Vec::new();
    for line in lines {
        let named = line
            .line_id
            .as_deref()
            .and_then(|id| live_items.iter().find(|i| i.id == id).copied());
        let same_group = |i: &LineItem| match named {
            Some(n) => match (&n.sku_id, &i.sku_id) {
                (Some(a), Some(b)) => a == b && n.sale_price == i.sale_price,
                _ => n.seller_sku == i.seller_sku,
            },
            None => i.seller_sku.as_deref().map(str::trim) == Some(line.platform_sku.trim()),
        };
        let rank = |i: &LineItem| {
            if i.tracking_number.as_deref() == Some(tracking_number) {
                0
            } else if named.is_some_and(|n| n.id == i.id) {
                1
            } else if i.tracking_number.as_deref().is_none_or(str::is_empty) {
                2
            } else {
                3
            }
        };
        let mut candidates: Vec<&LineItem> = live_items
            .iter()
            .copied()
            .filter(|i| same_group(i) && !chosen.iter().any(|c| c.id == i.id))
            .collect();
        candidates.sort_by_key(|i| rank(i));
        let wanted = line.quantity as usize;
        if candidates.len() < wanted {
            return Err(MarketplaceError::permanent(format!(
                "the order has {} unshipped unit(s) of SKU `{}`, the shipment {}",
                candidates.len(),
                line.platform_sku,
                wanted
            )));
        }
        chosen.extend(candidates.into_iter().take(wanted));
    }
    Ok(chosen)
}

/// The package the units make up exactly, when they are all the live units of one package.
fn whole_package(items: &[LineItem], units: &[&LineItem]) -> Option<String> {
    let package = units
        .first()?
        .package_id
        .clone()
        .filter(|p| !p.is_empty())?;
    if units
        .iter()
        .any(|u| u.package_id.as_deref() != Some(package.as_str()))
    {
        return None;
    }
    let in_package = items
        .iter()
        .filter(|i| live(i) && i.package_id.as_deref() == Some(package.as_str()))
        .count();
    (in_package == units.len()).then_some(package)
}

/// `shipping_provider_id` is TikTok's id of the carrier. A numeric `carrier_code` is taken as
/// that id; a name is looked up among the order's delivery option's providers.
async fn shipping_provider_id(
    c: &TiktokShopConnector,
    order: &Order,
    shipment: &Shipment,
) -> Result<String, MarketplaceError> {
    let code = shipment.carrier_code.trim();
    if !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(code.to_owned());
    }
    let option = order
        .delivery_option_id
        .as_deref()
        .filter(|o| !o.is_empty())
        .ok_or_else(|| {
            MarketplaceError::permanent(
                "the order names no delivery option: give carrier_code as a shipping_provider_id",
            )
        })?;
    let url = c.url_with_id(DELIVERY_OPTIONS_PATH, option, "shipping_providers")?;
    let request = ApiRequest::get(Operation::UploadTracking, FULFILLMENT_CLASS, url);
    let response = c.http().send(request, Some(c.auth())).await?;
    let providers = data_of(
        decode_json::<Envelope<ShippingProviders>>(&response.body)?,
        DELIVERY_OPTIONS_PATH,
    )?;
    let wanted: Vec<String> = [Some(code), shipment.carrier_name.as_deref()]
        .into_iter()
        .flatten()
        .map(carrier_key)
        .filter(|k| !k.is_empty())
        .collect();
    providers
        .shipping_providers
        .into_iter()
        .find(|p| {
            p.name
                .as_deref()
                .is_some_and(|n| wanted.contains(&carrier_key(n)))
        })
        .map(|p| p.id)
        .ok_or_else(|| {
            MarketplaceError::permanent(format!(
                "carrier `{code}` is not a shipping provider of delivery option {option}"
            ))
        })
}

/// Carrier names compared without case, spaces or punctuation (`Royal Mail` = `ROYAL_MAIL`).
fn carrier_key(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn is_already_shipped(r: &RawResponse) -> bool {
    decode_json::<Envelope<serde_json::Value>>(&r.body)
        .ok()
        .and_then(|e| e.code)
        .is_some_and(|code| ALREADY_SHIPPED.contains(&code))
}

/// Lets "already shipped" through as success; everything else as usual.
#[derive(Debug)]
struct ShipClassifier;

impl ResponseClassifier for ShipClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        match parse_error(r) {
            Err(_) if is_already_shipped(r) => Ok(()),
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
    fn already_shipped_is_success() {
        let again = resp(
            200,
            r#"{"code":21011040,"message":"Package has already been shipped.","request_id":"r","data":{}}"#,
        );
        assert!(ShipClassifier.classify(&again).is_ok());
        assert!(is_already_shipped(&again));
        let first = resp(
            200,
            r#"{"code":0,"message":"Success","request_id":"r","data":{}}"#,
        );
        assert!(ShipClassifier.classify(&first).is_ok());
        assert!(!is_already_shipped(&first));
        let other = resp(
            200,
            r#"{"code":21008106,"message":"This interface cannot be used in this region or this business type.","request_id":"r"}"#,
        );
        assert!(ShipClassifier.classify(&other).is_err());
    }

    fn item(id: &str, sku: &str, package: &str, tracking: &str) -> LineItem {
        serde_json::from_value(serde_json::json!({
            "id": id, "sku_id": format!("sku-{sku}"), "seller_sku": sku, "sale_price": "1.00",
            "package_id": package, "tracking_number": tracking,
            "package_status": if tracking.is_empty() { "TO_FULFILL" } else { "PROCESSING" }
        }))
        .unwrap()
    }

    fn line(line_id: Option<&str>, sku: &str, quantity: u32) -> ShipmentLine {
        ShipmentLine {
            line_id: line_id.map(str::to_owned),
            platform_sku: sku.to_owned(),
            quantity,
        }
    }

    #[test]
    fn units_by_line_id_or_sku_and_repeats_pick_the_same_units() {
        let items = vec![
            item("a1", "TEE", "P1", ""),
            item("a2", "TEE", "P1", ""),
            item("b1", "CAP", "P1", ""),
        ];
        let ids = |u: Vec<&LineItem>| u.iter().map(|i| i.id.clone()).collect::<Vec<_>>();
        let all = shipped_units(
            &items,
            &[line(Some("a1"), "TEE", 2), line(None, "CAP", 1)],
            "T1",
        )
        .unwrap();
        assert_eq!(whole_package(&items, &all).as_deref(), Some("P1"));
        assert_eq!(ids(all), ["a1", "a2", "b1"]);
        let part = shipped_units(&items, &[line(None, "TEE", 1)], "T1").unwrap();
        assert_eq!(whole_package(&items, &part), None, "a part of a package");
        assert!(shipped_units(&items, &[line(None, "TEE", 3)], "T1").is_err());
        assert_eq!(ids(shipped_units(&items, &[], "T1").unwrap()).len(), 3);

        // a2 already went out with T1: a repeat of that shipment names a2 again, not a1.
        let items = vec![item("a1", "TEE", "P1", ""), item("a2", "TEE", "P2", "T1")];
        assert_eq!(
            ids(shipped_units(&items, &[line(None, "TEE", 1)], "T1").unwrap()),
            ["a2"]
        );
    }

    #[test]
    fn carrier_names_compare_loosely() {
        assert_eq!(carrier_key("Royal Mail"), carrier_key("ROYAL_MAIL"));
        assert_ne!(carrier_key("DPD"), carrier_key("DHL"));
    }
}
