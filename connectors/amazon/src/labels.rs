//! Buying the shipping label through the Merchant Fulfillment API v0: `POST
//! /mfn/v0/eligibleShippingServices` when the caller named no service, then `POST
//! /mfn/v0/shipments`. The label comes back as `Label.FileContents.Contents`, base64 of a GZIP
//! file; it is decoded, gunzipped (which checks the GZIP CRC) and checked against its file type.
//!
//! Every call to `createShipment` buys a label: callers keep the label they get.

use std::io::Read;
use std::str::FromStr;

use base64::Engine as _;
use bytes::Bytes;
use connector_kit::ApiRequest;
use core_model::{
    Label, LabelFormat, LabelSpec, MarketplaceError, Operation, Parcel, Platform, PlatformOrder,
    ShipFrom,
};
use rust_decimal::Decimal;

use crate::model::{
    CreateShipmentRequest, CreateShipmentResponse, GetEligibleShipmentServicesRequest,
    GetEligibleShipmentServicesResponse, MfnAddress, MfnItem, MfnShipment, PackageDimensions,
    ShipmentRequestDetails, ShippingService, ShippingServiceOptions, Weight,
};
use crate::{AmazonConnector, MFN_CREATE_CLASS, MFN_ELIGIBLE_CLASS};

pub const ELIGIBLE_PATH: &str = "/mfn/v0/eligibleShippingServices";
pub const SHIPMENTS_PATH: &str = "/mfn/v0/shipments";

/// Tracked delivery without a signature: the plain parcel most 3PL shipments are.
const DELIVERY_EXPERIENCE: &str = "DeliveryConfirmationWithoutSignature";

fn permanent(message: impl Into<String>) -> MarketplaceError {
    MarketplaceError::permanent(message)
        .with_platform(Platform::Amazon)
        .with_operation(Operation::FetchLabel)
}

fn malformed(message: impl Into<String>) -> MarketplaceError {
    MarketplaceError::malformed(message)
        .with_platform(Platform::Amazon)
        .with_operation(Operation::FetchLabel)
}

/// The MFN `LabelFormat` asked for.
fn label_format_option(format: LabelFormat) -> &'static str {
    match format {
        LabelFormat::Pdf => "PDF",
        LabelFormat::Png => "PNG",
        LabelFormat::Zpl => "ZPL203",
    }
}

fn required(value: Option<&String>, field: &str) -> Result<String, MarketplaceError> {
    value
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            permanent(format!(
                "the ship-from address needs `{field}` for Amazon Merchant Fulfillment"
            ))
        })
}

fn ship_from_address(from: &ShipFrom) -> Result<MfnAddress, MarketplaceError> {
    let a = &from.address;
    let mut lines = a
        .lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .map(str::to_owned);
    Ok(MfnAddress {
        name: required(a.name.as_ref().or(a.company.as_ref()), "name")?,
        address_line1: lines
            .next()
            .ok_or_else(|| permanent("the ship-from address needs a street line"))?,
        address_line2: lines.next(),
        address_line3: lines.next(),
        district_or_county: a.district.clone(),
        email: required(from.email.as_ref(), "email")?,
        city: required(a.city.as_ref(), "city")?,
        state_or_province_code: a.state.clone(),
        postal_code: required(a.postal_code.as_ref(), "postal_code")?,
        country_code: required(a.country_code.as_ref(), "country_code")?,
        phone: required(a.phone.as_ref(), "phone")?,
    })
}

/// Our parcel is in centimetres and grams, both units MFN's enums allow as they are.
fn parcel_measures(parcel: &Parcel) -> Result<(PackageDimensions, Weight), MarketplaceError> {
    let sizes = [
        parcel.length_cm,
        parcel.width_cm,
        parcel.height_cm,
        parcel.weight_g,
    ];
    if sizes.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return Err(permanent("the parcel needs positive dimensions and weight"));
    }
    Ok((
        PackageDimensions {
            length: parcel.length_cm,
            width: parcel.width_cm,
            height: parcel.height_cm,
            unit: "centimeters",
        },
        Weight {
            value: parcel.weight_g,
            unit: "g",
        },
    ))
}

/// `ShipmentRequestDetails` for the whole order from the spec's ship-from address and parcel.
pub fn request_details(
    order: &PlatformOrder,
    spec: &LabelSpec,
) -> Result<ShipmentRequestDetails, MarketplaceError> {
    let from = spec
        .ship_from
        .as_ref()
        .ok_or_else(|| permanent("Amazon labels need a ship-from address"))?;
    let parcel = spec
        .parcel
        .as_ref()
        .ok_or_else(|| permanent("Amazon labels need the parcel's size and weight"))?;
    let item_list = order
        .lines
        .iter()
        .map(|line| {
            let id = line
                .line_id
                .clone()
                .ok_or_else(|| permanent("an order line has no orderItemId"))?;
            Ok(MfnItem {
                order_item_id: id,
                quantity: line.quantity,
            })
        })
        .collect::<Result<Vec<_>, MarketplaceError>>()?;
    let (package_dimensions, weight) = parcel_measures(parcel)?;
    Ok(ShipmentRequestDetails {
        amazon_order_id: order.platform_order_id.clone(),
        item_list,
        ship_from_address: ship_from_address(from)?,
        package_dimensions,
        weight,
        shipping_service_options: ShippingServiceOptions {
            delivery_experience: DELIVERY_EXPERIENCE,
            carrier_will_pick_up: false,
            label_format: spec.format.map(label_format_option),
        },
    })
}

/// The offer to buy: one that prints the wanted format, needs no extra seller inputs if any
/// such exists, and costs least.
pub fn choose_offer(
    services: Vec<ShippingService>,
    format: Option<LabelFormat>,
) -> Option<ShippingService> {
    let wanted = format.map(label_format_option);
    let rate = |s: &ShippingService| {
        s.rate
            .as_ref()
            .and_then(|r| Decimal::from_str(&r.amount.to_string()).ok())
            .unwrap_or(Decimal::MAX)
    };
    services
        .into_iter()
        .filter(|s| match (wanted, &s.available_label_formats) {
            (Some(w), Some(formats)) => formats.iter().any(|f| f == w),
            _ => true,
        })
        .min_by(|a, b| {
            (a.requires_additional_seller_inputs, rate(a))
                .cmp(&(b.requires_additional_seller_inputs, rate(b)))
        })
}

/// Base64 -> gunzip -> a document whose first bytes match its declared type.
pub fn decode_label(shipment: &MfnShipment) -> Result<(LabelFormat, Bytes), MarketplaceError> {
    let contents = &shipment.label.file_contents;
    let compact: String = contents
        .contents
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let gz = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| malformed("label contents are not base64"))?;
    let mut document = Vec::new();
    flate2::read::GzDecoder::new(gz.as_slice())
        .read_to_end(&mut document)
        .map_err(|e| malformed(format!("label contents are not a valid GZIP file: {e}")))?;
    let format = match contents.file_type.as_str() {
        "application/pdf" => LabelFormat::Pdf,
        "image/png" => LabelFormat::Png,
        "application/zpl" => LabelFormat::Zpl,
        other => match shipment.label.label_format.as_deref() {
            Some("PDF") => LabelFormat::Pdf,
            Some("PNG") => LabelFormat::Png,
            Some("ZPL203" | "ZPL300") => LabelFormat::Zpl,
            _ => return Err(malformed(format!("unknown label file type `{other}`"))),
        },
    };
    let looks_right = match format {
        LabelFormat::Pdf => document.starts_with(b"%PDF-"),
        LabelFormat::Png => document.starts_with(b"\x89PNG\r\n\x1a\n"),
        LabelFormat::Zpl => document.windows(3).any(|w| w == b"^XA"),
    };
    if !looks_right {
        return Err(malformed(format!(
            "the decoded label is not a {format:?} document"
        )));
    }
    Ok((format, Bytes::from(document)))
}

/// Buy and return the label of `order`.
pub async fn fetch(
    conn: &AmazonConnector,
    order: &PlatformOrder,
    spec: &LabelSpec,
) -> Result<Label, MarketplaceError> {
    let details = request_details(order, spec)?;
    let (service_id, offer_id) = match &spec.service {
        Some(id) => (id.clone(), None),
        None => {
            let request = ApiRequest::post(
                Operation::FetchLabel,
                MFN_ELIGIBLE_CLASS,
                conn.api_url(ELIGIBLE_PATH)?,
            )
            .json(&GetEligibleShipmentServicesRequest {
                shipment_request_details: &details,
            })?;
            let response = conn.http().send(request, Some(conn.auth())).await?;
            let eligible: GetEligibleShipmentServicesResponse = response
                .json()
                .map_err(|e| e.with_platform(Platform::Amazon))?;
            let services = eligible
                .payload
                .map(|p| p.shipping_service_list)
                .unwrap_or_default();
            let offer = choose_offer(services, spec.format).ok_or_else(|| {
                permanent("Amazon offers no eligible shipping service for this order and parcel")
            })?;
            (offer.shipping_service_id, offer.shipping_service_offer_id)
        }
    };
    let body = CreateShipmentRequest {
        shipment_request_details: &details,
        shipping_service_id: service_id,
        shipping_service_offer_id: offer_id,
    };
    let request = ApiRequest::post(
        Operation::FetchLabel,
        MFN_CREATE_CLASS,
        conn.api_url(SHIPMENTS_PATH)?,
    )
    .json(&body)?;
    let response = conn.http().send(request, Some(conn.auth())).await?;
    let created: CreateShipmentResponse = response
        .json()
        .map_err(|e| e.with_platform(Platform::Amazon))?;
    let shipment = created
        .payload
        .ok_or_else(|| malformed("createShipment answered without a payload"))?;
    let (format, bytes) = decode_label(&shipment)?;
    tracing::info!(order = %order.platform_order_id, shipment = %shipment.shipment_id, "bought an Amazon MFN label");
    Ok(Label {
        format,
        bytes,
        tracking_number: shipment.tracking_id.clone(),
        carrier: shipment
            .shipping_service
            .as_ref()
            .and_then(|s| s.carrier_name.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CurrencyAmount, FileContents, MfnLabel};
    use core_model::{Address, NeutralStatus, OrderLine, StoreId};
    use std::io::Write;

    fn service(id: &str, amount: &str, formats: &[&str], extra_inputs: bool) -> ShippingService {
        ShippingService {
            shipping_service_id: id.to_owned(),
            shipping_service_offer_id: Some(format!("offer-{id}")),
            carrier_name: Some("UPS".to_owned()),
            rate: Some(CurrencyAmount {
                amount: serde_json::from_str(amount).unwrap(),
                currency_code: "USD".to_owned(),
            }),
            available_label_formats: Some(formats.iter().map(|f| (*f).to_owned()).collect()),
            requires_additional_seller_inputs: extra_inputs,
        }
    }

    #[test]
    fn picks_the_cheapest_offer_that_prints_the_format() {
        let offers = vec![
            service("A", "9.80", &["PDF"], false),
            service("B", "7.15", &["ZPL203"], false),
            service("C", "5.00", &["PDF"], true),
            service("D", "8.25", &["PDF", "PNG"], false),
        ];
        let chosen = choose_offer(offers, Some(LabelFormat::Pdf)).unwrap();
        assert_eq!(chosen.shipping_service_id, "D");
        assert!(choose_offer(
            vec![service("B", "1", &["ZPL203"], false)],
            Some(LabelFormat::Png)
        )
        .is_none());
    }

    fn gzip(bytes: &[u8]) -> String {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(bytes).unwrap();
        base64::engine::general_purpose::STANDARD.encode(enc.finish().unwrap())
    }

    fn shipment(contents: String, file_type: &str) -> MfnShipment {
        MfnShipment {
            shipment_id: "s".into(),
            tracking_id: Some("1Z".into()),
            shipping_service: None,
            label: MfnLabel {
                file_contents: FileContents {
                    contents,
                    file_type: file_type.into(),
                    checksum: None,
                },
                label_format: None,
            },
        }
    }

    #[test]
    fn label_is_base64_of_gzip_and_checked() {
        let pdf = b"%PDF-1.4\n% label\n".to_vec();
        let (format, bytes) = decode_label(&shipment(gzip(&pdf), "application/pdf")).unwrap();
        assert_eq!(format, LabelFormat::Pdf);
        assert_eq!(bytes.as_ref(), pdf.as_slice());
        let zpl =
            decode_label(&shipment(gzip(b"^XA^FO50,50^FDx^FS^XZ"), "application/zpl")).unwrap();
        assert_eq!(zpl.0, LabelFormat::Zpl);
        // Not gzip, not the declared type, not base64: all malformed.
        let plain = base64::engine::general_purpose::STANDARD.encode(&pdf);
        assert!(decode_label(&shipment(plain, "application/pdf")).is_err());
        assert!(decode_label(&shipment(gzip(&pdf), "image/png")).is_err());
        assert!(decode_label(&shipment("***".into(), "application/pdf")).is_err());
    }

    #[test]
    fn request_details_use_centimetres_and_grams() {
        let order = PlatformOrder {
            store: StoreId(1),
            platform: Platform::Amazon,
            platform_order_id: "113-1".into(),
            platform_status: "UNSHIPPED".into(),
            status: NeutralStatus::AwaitingFulfillment,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            currency: "USD".into(),
            buyer_name: None,
            ship_to: Address::default(),
            lines: vec![OrderLine {
                line_id: Some("408".into()),
                platform_sku: "SKU".into(),
                platform_item_id: None,
                platform_variant_id: None,
                title: None,
                quantity: 2,
                unit_price: Decimal::ONE,
            }],
            platform_label_hint: false,
            raw: serde_json::value::RawValue::from_string("{}".into()).unwrap(),
        };
        let from = ShipFrom {
            address: Address {
                name: Some("Dock 4".into()),
                lines: vec!["1 Depot Rd".into()],
                city: Some("Reno".into()),
                state: Some("NV".into()),
                postal_code: Some("89502".into()),
                country_code: Some("US".into()),
                phone: Some("7755550100".into()),
                ..Address::default()
            },
            email: Some("ops@example.com".into()),
        };
        let spec = LabelSpec {
            ship_from: Some(from),
            parcel: Some(Parcel {
                length_cm: 30.0,
                width_cm: 20.0,
                height_cm: 10.5,
                weight_g: 850.0,
            }),
            service: None,
            format: Some(LabelFormat::Pdf),
        };
        let details = serde_json::to_value(request_details(&order, &spec).unwrap()).unwrap();
        assert_eq!(details["PackageDimensions"]["Unit"], "centimeters");
        assert_eq!(details["PackageDimensions"]["Height"], 10.5);
        assert_eq!(
            details["Weight"],
            serde_json::json!({"Value": 850.0, "Unit": "g"})
        );
        assert_eq!(
            details["ItemList"],
            serde_json::json!([{"OrderItemId": "408", "Quantity": 2}])
        );
        assert_eq!(details["ShipFromAddress"]["StateOrProvinceCode"], "NV");
        assert_eq!(details["ShippingServiceOptions"]["LabelFormat"], "PDF");
        assert!(details["ShipFromAddress"].get("AddressLine2").is_none());

        let no_parcel = LabelSpec {
            parcel: None,
            ..spec
        };
        assert_eq!(
            request_details(&order, &no_parcel).unwrap_err().kind(),
            core_model::ErrorKind::Permanent
        );
    }
}
