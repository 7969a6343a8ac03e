//! Labels bought through Ship With Walmart (SWW), the seller's optional discounted-shipping
//! program (shipping spec "Ship With Walmart"):
//!
//! 1. `GET /v3/shipping/labels/purchase-orders/{purchaseOrderId}`: a label already bought for
//!    exactly these lines is downloaded again instead of buying a second one;
//! 2. `POST /v3/shipping/labels/shipping-estimates` when the caller named no service: the
//!    cheapest service that keeps the delivery promise, else the cheapest;
//! 3. `POST /v3/shipping/labels` (createLabel, `Accept: application/json`): tracking number and
//!    carrier;
//! 4. `GET /v3/shipping/labels/carriers/{carrierShortName}/trackings/{trackingNo}` with
//!    `Accept: application/json,application/pdf` (or `image/png`): the document.
//!
//! SWW prints PDF or PNG; ZPL is not offered. `LabelSpec.service` is
//! `<carrierShortName>:<carrierServiceType>` (`FedEx:FEDEX_2_DAY`) or just the service type.
//! Parcels go in inches and pounds, as every SWW example does, rounded up to 0.01.

use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use connector_kit::{decode_json, ApiRequest, RawResponse, ResponseClassifier};
use core_model::{
    Label, LabelFormat, LabelSpec, MarketplaceError, Operation, Parcel, Platform, PlatformOrder,
    ShipFrom,
};
use rust_decimal::Decimal;

use crate::error::parse_error;
use crate::model::{
    BoxDimensions, BoxItem, CreateLabelRequest, CreateLabelResponse, Estimate, EstimateAddress,
    EstimateRequest, EstimateResponse, LabelAddress, Order, PurchaseOrderLabels,
};
use crate::orders::decimal;
use crate::{WalmartConnector, LABELS_CLASS};

pub const LABELS_PATH: &str = "/v3/shipping/labels";
pub const ESTIMATES_PATH: &str = "/v3/shipping/labels/shipping-estimates";
const PACKAGE_TYPE: &str = "CUSTOM_PACKAGE";
const CM_PER_INCH: f64 = 2.54;
const GRAMS_PER_POUND: f64 = 453.592_37;

fn permanent(message: impl Into<String>) -> MarketplaceError {
    MarketplaceError::permanent(message)
        .with_platform(Platform::Walmart)
        .with_operation(Operation::FetchLabel)
}

fn malformed(message: impl Into<String>) -> MarketplaceError {
    MarketplaceError::malformed(message)
        .with_platform(Platform::Walmart)
        .with_operation(Operation::FetchLabel)
}

/// The `Accept` header that makes Walmart answer with the document.
fn accept(format: LabelFormat) -> Result<&'static str, MarketplaceError> {
    match format {
        LabelFormat::Pdf => Ok("application/json,application/pdf"),
        LabelFormat::Png => Ok("application/json,image/png"),
        LabelFormat::Zpl => Err(MarketplaceError::unsupported(
            "Ship With Walmart labels come as PDF or PNG only (createLabel: media type by Accept header)",
        )
        .with_platform(Platform::Walmart)
        .with_operation(Operation::FetchLabel)),
    }
}

/// Round up to hundredths: never declare less than the parcel is (the epsilon keeps an exact
/// conversion such as 25.4 cm from becoming 10.01 in).
fn up(v: f64) -> f64 {
    ((v * 100.0) - 1e-9).ceil() / 100.0
}

/// Our centimetres and grams as SWW's inches and pounds.
pub fn box_dimensions(parcel: &Parcel) -> Result<BoxDimensions, MarketplaceError> {
    let sizes = [
        parcel.length_cm,
        parcel.width_cm,
        parcel.height_cm,
        parcel.weight_g,
    ];
    if sizes.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return Err(permanent("the parcel needs positive dimensions and weight"));
    }
    Ok(BoxDimensions {
        box_length: up(parcel.length_cm / CM_PER_INCH),
        box_width: up(parcel.width_cm / CM_PER_INCH),
        box_height: up(parcel.height_cm / CM_PER_INCH),
        box_weight: up(parcel.weight_g / GRAMS_PER_POUND),
        box_dimension_unit: "IN",
        box_weight_unit: "LB",
    })
}

/// The order's lines as SWW box items (the whole order in one box).
pub fn box_items(order: &PlatformOrder) -> Result<Vec<BoxItem>, MarketplaceError> {
    order
        .lines
        .iter()
        .map(|l| {
            Ok(BoxItem {
                sku: l.platform_sku.clone(),
                quantity: l.quantity,
                line_number: l
                    .line_id
                    .clone()
                    .ok_or_else(|| permanent("an order line has no Walmart lineNumber"))?,
            })
        })
        .collect()
}

/// True when a bought label covers exactly these lines and quantities.
fn same_items(a: &[BoxItem], b: &[BoxItem]) -> bool {
    let key = |items: &[BoxItem]| {
        let mut k: Vec<(String, u32)> = items
            .iter()
            .map(|i| (i.line_number.clone(), i.quantity))
            .collect();
        k.sort();
        k
    };
    !a.is_empty() && key(a) == key(b)
}

fn required(value: Option<&String>, what: &str) -> Result<String, MarketplaceError> {
    value
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| permanent(format!("Ship With Walmart needs the {what}")))
}

fn from_address(from: &ShipFrom) -> Result<LabelAddress, MarketplaceError> {
    let a = &from.address;
    let mut lines = a.lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty());
    Ok(LabelAddress {
        contact_name: required(a.name.as_ref().or(a.company.as_ref()), "ship-from name")?,
        company_name: a.company.clone().filter(|c| !c.trim().is_empty()),
        address_line1: lines
            .next()
            .map(str::to_owned)
            .ok_or_else(|| permanent("Ship With Walmart needs a ship-from street line"))?,
        address_line2: lines.next().map(str::to_owned),
        city: required(a.city.as_ref(), "ship-from city")?,
        state: required(a.state.as_ref(), "ship-from state")?,
        postal_code: required(a.postal_code.as_ref(), "ship-from postal code")?,
        country: required(a.country_code.as_ref(), "ship-from country")?,
        phone: required(a.phone.as_ref(), "ship-from phone")?,
        email: from.email.clone().filter(|e| !e.trim().is_empty()),
    })
}

fn estimate_address(
    a: &core_model::Address,
    whose: &str,
) -> Result<EstimateAddress, MarketplaceError> {
    let address_lines: Vec<String> = a
        .lines
        .iter()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    if address_lines.is_empty() {
        return Err(permanent(format!(
            "Ship With Walmart needs the {whose} street"
        )));
    }
    Ok(EstimateAddress {
        address_lines,
        city: required(a.city.as_ref(), &format!("{whose} city"))?,
        state: required(a.state.as_ref(), &format!("{whose} state"))?,
        postal_code: required(a.postal_code.as_ref(), &format!("{whose} postal code"))?,
        country_code: required(a.country_code.as_ref(), &format!("{whose} country"))?,
    })
}

/// SWW's date-time form: `2023-06-05T08:00:00.611Z`.
fn sww_time(ms: Option<i64>, what: &str) -> Result<String, MarketplaceError> {
    ms.and_then(DateTime::<Utc>::from_timestamp_millis)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
        .ok_or_else(|| malformed(format!("the order has no `shippingInfo.{what}`")))
}

/// The service to buy: keeps the delivery promise if any does, then costs least.
pub fn choose_estimate(estimates: Vec<Estimate>, service: Option<&str>) -> Option<Estimate> {
    let rate = |e: &Estimate| {
        e.estimated_rate
            .as_ref()
            .and_then(|r| decimal(&r.amount))
            .unwrap_or(Decimal::MAX)
    };
    estimates
        .into_iter()
        .filter(|e| service.is_none_or(|s| e.name == s))
        .min_by(|a, b| {
            let key = |e: &Estimate| (e.is_delivery_promise_fulfilled != Some(true), rate(e));
            key(a).cmp(&key(b))
        })
}

/// `404` for a purchase order without labels is "none yet", not an error.
#[derive(Debug)]
struct LabelListClassifier;

impl ResponseClassifier for LabelListClassifier {
    fn classify(&self, response: &RawResponse) -> Result<(), MarketplaceError> {
        if response.status.as_u16() == 404 {
            return Ok(());
        }
        parse_error(response)
    }
}

async fn labels_of(
    conn: &WalmartConnector,
    po: &str,
) -> Result<PurchaseOrderLabels, MarketplaceError> {
    let url = conn.api_url_with_segments("/v3/shipping/labels/purchase-orders", &[po])?;
    let response = conn
        .http()
        .send_classified(
            ApiRequest::get(Operation::FetchLabel, LABELS_CLASS, url),
            Some(conn.auth()),
            &LabelListClassifier,
        )
        .await?;
    if response.status.as_u16() == 404 {
        return Ok(PurchaseOrderLabels::default());
    }
    response
        .json()
        .map_err(|e| e.with_platform(Platform::Walmart))
}

/// Buy a label for the whole order; its carrier short name and tracking number.
async fn buy(
    conn: &WalmartConnector,
    order: &PlatformOrder,
    spec: &LabelSpec,
    items: Vec<BoxItem>,
) -> Result<(String, String), MarketplaceError> {
    let from = spec
        .ship_from
        .as_ref()
        .ok_or_else(|| permanent("Ship With Walmart labels need a ship-from address"))?;
    let parcel = spec
        .parcel
        .as_ref()
        .ok_or_else(|| permanent("Ship With Walmart labels need the parcel's size and weight"))?;
    let requested = spec
        .service
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let (carrier, service) = match requested.and_then(|s| s.split_once(':')) {
        Some((carrier, service)) => (carrier.trim().to_owned(), service.trim().to_owned()),
        None => {
            let wire: Order = decode_json(order.raw_json().as_bytes())
                .map_err(|e| e.with_platform(Platform::Walmart))?;
            let body = EstimateRequest {
                package_type: PACKAGE_TYPE,
                purchase_order_id: order.platform_order_id.clone(),
                box_items: items.clone(),
                box_dimensions: box_dimensions(parcel)?,
                ship_by_date: sww_time(
                    wire.shipping_info.estimated_ship_date,
                    "estimatedShipDate",
                )?,
                deliver_by_date: sww_time(
                    wire.shipping_info.estimated_delivery_date,
                    "estimatedDeliveryDate",
                )?,
                from_address: estimate_address(&from.address, "ship-from")?,
                to_address: estimate_address(&order.ship_to, "ship-to")?,
                include_services_not_meeting_delivery_promise: true,
            };
            let request = ApiRequest::post(
                Operation::FetchLabel,
                LABELS_CLASS,
                conn.api_url(ESTIMATES_PATH)?,
            )
            .json(&body)?;
            let response = conn.http().send(request, Some(conn.auth())).await?;
            let estimates: EstimateResponse = response
                .json()
                .map_err(|e| e.with_platform(Platform::Walmart))?;
            let chosen = choose_estimate(
                estimates.data.map(|d| d.estimates).unwrap_or_default(),
                requested,
            )
            .ok_or_else(|| permanent("Ship With Walmart offers no service for this parcel"))?;
            (chosen.carrier_name, chosen.name)
        }
    };
    let body = CreateLabelRequest {
        package_type: PACKAGE_TYPE,
        box_dimensions: box_dimensions(parcel)?,
        box_items: items,
        from_address: from_address(from)?,
        purchase_order_id: order.platform_order_id.clone(),
        carrier_name: carrier,
        carrier_service_type: service,
    };
    let request = ApiRequest::post(
        Operation::FetchLabel,
        LABELS_CLASS,
        conn.api_url(LABELS_PATH)?,
    )
    .json(&body)?;
    let response = conn.http().send(request, Some(conn.auth())).await?;
    let created: CreateLabelResponse = response
        .json()
        .map_err(|e| e.with_platform(Platform::Walmart))?;
    let data = created
        .data
        .ok_or_else(|| malformed("createLabel answered without `data`"))?;
    tracing::info!(order = %order.platform_order_id, "bought a Ship With Walmart label");
    Ok((data.carrier_name, data.tracking_no))
}

/// The document, checked to be what was asked for.
fn document(response: &RawResponse, format: LabelFormat) -> Result<Bytes, MarketplaceError> {
    let body = &response.body;
    let ok = match format {
        LabelFormat::Pdf => body.starts_with(b"%PDF-"),
        LabelFormat::Png => body.starts_with(b"\x89PNG\r\n\x1a\n"),
        LabelFormat::Zpl => false,
    };
    if !ok {
        return Err(malformed(format!(
            "the label download is not a {format:?} document (content type {})",
            response.content_type().unwrap_or("none")
        )));
    }
    Ok(body.clone())
}

/// Buy (or find) and download the label of `order`.
pub async fn fetch(
    conn: &WalmartConnector,
    order: &PlatformOrder,
    spec: &LabelSpec,
) -> Result<Label, MarketplaceError> {
    let format = spec.format.unwrap_or(LabelFormat::Pdf);
    let accept = accept(format)?;
    let items = box_items(order)?;
    let existing = labels_of(conn, &order.platform_order_id).await?;
    let (carrier, tracking) = match existing
        .data
        .into_iter()
        .rev()
        .find(|l| same_items(&l.box_items, &items))
    {
        Some(label) => (label.carrier_name, label.tracking_no),
        None => buy(conn, order, spec, items).await?,
    };
    let url = conn.api_url_with_segments(
        "/v3/shipping/labels/carriers",
        &[&carrier, "trackings", &tracking],
    )?;
    let request = ApiRequest::get(Operation::FetchLabel, LABELS_CLASS, url)
        .header(http::header::ACCEPT, accept);
    let response = conn.http().send(request, Some(conn.auth())).await?;
    let bytes = document(&response, format)?;
    Ok(Label {
        format,
        bytes,
        tracking_number: Some(tracking),
        carrier: Some(carrier),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use core_model::Address;
    use serde_json::json;

    fn estimates() -> Vec<Estimate> {
        // From text, as a response body is: amounts keep their digits ("19.40").
        serde_json::from_str(
            r#"[
            {"name": "PRIORITY_MAIL", "carrierName": "USPS", "isDeliveryPromiseFulfilled": false,
             "estimatedRate": {"amount": 7.2, "currency": "USD"}},
            {"name": "FEDEX_GROUND", "carrierName": "FedEx", "isDeliveryPromiseFulfilled": false,
             "estimatedRate": {"amount": 11.87, "currency": "USD"}},
            {"name": "FEDEX_2_DAY", "carrierName": "FedEx", "isDeliveryPromiseFulfilled": true,
             "estimatedRate": {"amount": 19.40, "currency": "USD"}}
        ]"#,
        )
        .unwrap()
    }

    #[test]
    fn the_delivery_promise_comes_before_the_price() {
        let chosen = choose_estimate(estimates(), None).unwrap();
        assert_eq!(chosen.name, "FEDEX_2_DAY");
        assert_eq!(
            decimal(&chosen.estimated_rate.as_ref().unwrap().amount)
                .unwrap()
                .to_string(),
            "19.40"
        );
        let mut late = estimates();
        late.pop();
        assert_eq!(choose_estimate(late, None).unwrap().name, "PRIORITY_MAIL");
        assert_eq!(
            choose_estimate(estimates(), Some("FEDEX_GROUND"))
                .unwrap()
                .carrier_name,
            "FedEx"
        );
        assert!(choose_estimate(estimates(), Some("UPS_GROUND")).is_none());
    }

    #[test]
    fn parcels_go_in_inches_and_pounds_rounded_up() {
        let d = box_dimensions(&Parcel {
            length_cm: 35.0,
            width_cm: 25.0,
            height_cm: 12.5,
            weight_g: 1840.0,
        })
        .unwrap();
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(
            v,
            json!({"boxLength": 13.78, "boxWidth": 9.85, "boxHeight": 4.93, "boxWeight": 4.06,
                   "boxDimensionUnit": "IN", "boxWeightUnit": "LB"})
        );
        assert!(box_dimensions(&Parcel::default()).is_err());
    }

    #[test]
    fn formats_and_addresses() {
        assert!(accept(LabelFormat::Zpl).is_err());
        assert_eq!(
            accept(LabelFormat::Zpl).unwrap_err().kind(),
            core_model::ErrorKind::Unsupported
        );
        let from = ShipFrom {
            address: Address {
                name: Some("Northgate Fulfillment Dock 4".into()),
                lines: vec!["1850 Depot Rd".into(), "Bay 12".into()],
                city: Some("Reno".into()),
                state: Some("NV".into()),
                postal_code: Some("89502".into()),
                country_code: Some("US".into()),
                phone: Some("7755550100".into()),
                ..Address::default()
            },
            email: None,
        };
        let v = serde_json::to_value(from_address(&from).unwrap()).unwrap();
        assert_eq!(v["addressLine2"], "Bay 12");
        assert!(v.get("email").is_none());
        let mut no_phone = from.clone();
        no_phone.address.phone = None;
        assert!(from_address(&no_phone).is_err());
        assert_eq!(
            sww_time(Some(1_686_000_000_611), "x").unwrap(),
            "2023-06-05T21:20:00.611Z"
        );
        let pdf = RawResponse::new(200, "application/pdf", &b"%PDF-1.4\n"[..]);
        assert!(document(&pdf, LabelFormat::Pdf).is_ok());
        assert!(document(&pdf, LabelFormat::Png).is_err());
    }
}
