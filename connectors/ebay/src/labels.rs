//! eBay shipping labels through the Sell Logistics API v1_beta, a Limited Release API (only
//! apps eBay approved, scope `sell.logistics`; USPS rates and labels only):
//! `createShippingQuote` (`POST /sell/logistics/v1_beta/shipping_quote`, 201 with live rates),
//! `createFromShippingQuote` (`POST .../shipment/create_from_shipping_quote`, 201: buys the
//! rate and generates the label) and `downloadLabelFile`
//! (`GET .../shipment/{shipmentId}/download_label_file`, the file itself; PDF is the default
//! format). `X-EBAY-C-MARKETPLACE-ID` is required (eBay KB 5238) and sent on all three.
//! **Each call buys a label**; a retried purchase is safe because eBay refuses to buy the same
//! quote twice (409 errorId 90210).

use std::str::FromStr;

use connector_kit::{decode_json, ApiRequest};
use core_model::{Label, LabelFormat, LabelSpec, MarketplaceError, Operation, PlatformOrder};
use http::HeaderName;
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::model::{
    Address, CreateShipmentFromQuoteRequest, Dimensions, ExtendedContact, LogisticsOrder, Order,
    PackageSpecification, PhoneNumber, Rate, Shipment, ShippingQuote, ShippingQuoteRequest, Weight,
};
use crate::orders::ship_to_contact;
use crate::EbayConnector;

/// The endpoint class of the Logistics API.
pub const LOGISTICS_CLASS: &str = "logistics";

const QUOTE_PATH: &str = "/sell/logistics/v1_beta/shipping_quote";
const CREATE_PATH: &str = "/sell/logistics/v1_beta/shipment/create_from_shipping_quote";
const SHIPMENT_PATH: &str = "/sell/logistics/v1_beta/shipment";

pub const MARKETPLACE_HEADER: &str = "x-ebay-c-marketplace-id";
/// Used when neither the credentials nor the order name a marketplace; the Logistics API only
/// serves USPS anyway.
const DEFAULT_MARKETPLACE: &str = "EBAY_US";
/// "Currently, the only valid value is: 4"x6"".
const LABEL_SIZE: &str = "4\"x6\"";

fn permanent(message: &str) -> MarketplaceError {
    MarketplaceError::permanent(message).with_operation(Operation::FetchLabel)
}

/// A number as the contract's decimal strings want it: at most two decimals, no trailing zeros.
pub fn decimal_string(value: f64) -> Option<String> {
    if !(value.is_finite() && value > 0.0) {
        return None;
    }
    let fixed = format!("{value:.2}");
    Some(fixed.trim_end_matches('0').trim_end_matches('.').to_owned())
}

fn nonblank(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The `shipFrom` contact from the label spec.
fn ship_from(spec: &LabelSpec) -> Result<ExtendedContact, MarketplaceError> {
    let from = spec
        .ship_from
        .as_ref()
        .ok_or_else(|| permanent("an eBay label needs LabelSpec.ship_from"))?;
    let a = &from.address;
    let line1 = a.lines.first().map(|l| l.trim().to_owned());
    let rest: Vec<&str> = a.lines.iter().skip(1).map(|l| l.trim()).collect();
    let contact = ExtendedContact {
        company_name: nonblank(&a.company),
        contact_address: Some(Address {
            address_line1: line1.filter(|l| !l.is_empty()),
            address_line2: Some(rest.join(", ")).filter(|l| !l.is_empty()),
            city: nonblank(&a.city),
            country_code: nonblank(&a.country_code),
            county: nonblank(&a.district),
            postal_code: nonblank(&a.postal_code),
            state_or_province: nonblank(&a.state),
        }),
        full_name: nonblank(&a.name),
        primary_phone: nonblank(&a.phone).map(|p| PhoneNumber {
            phone_number: Some(p),
        }),
        email: None,
    };
    let address = contact.contact_address.as_ref();
    let complete = contact.full_name.is_some()
        && address.is_some_and(|a| {
            a.address_line1.is_some()
                && a.city.is_some()
                && a.postal_code.is_some()
                && a.country_code.is_some()
        });
    if !complete {
        return Err(permanent(
            "LabelSpec.ship_from needs a name, a street, a city, a postal code and a country",
        ));
    }
    Ok(contact)
}

/// `packageSpecification` in centimetres and grams.
fn package(spec: &LabelSpec) -> Result<PackageSpecification, MarketplaceError> {
    let parcel = spec
        .parcel
        .ok_or_else(|| permanent("an eBay label needs LabelSpec.parcel"))?;
    let positive = |v: f64| {
        decimal_string(v).ok_or_else(|| permanent("parcel sizes and weight must be positive"))
    };
    Ok(PackageSpecification {
        dimensions: Dimensions {
            height: positive(parcel.height_cm)?,
            length: positive(parcel.length_cm)?,
            width: positive(parcel.width_cm)?,
            unit: "CENTIMETER".to_owned(),
        },
        weight: Weight {
            unit: "GRAM".to_owned(),
            value: positive(parcel.weight_g)?,
        },
    })
}

/// The rate to buy: the requested service, else the cheapest base cost.
pub fn choose_rate<'a>(rates: &'a [Rate], service: Option<&str>) -> Option<&'a Rate> {
    if let Some(service) = service.map(str::trim).filter(|s| !s.is_empty()) {
        return rates
            .iter()
            .find(|r| r.shipping_service_code.as_deref() == Some(service) || r.rate_id == service);
    }
    let cost = |r: &Rate| {
        r.base_shipping_cost
            .as_ref()
            .and_then(|c| Decimal::from_str(c.value.trim()).ok())
    };
    rates
        .iter()
        .filter(|r| cost(r).is_some())
        .min_by_key(|r| cost(r))
        .or_else(|| rates.first())
}

async fn post<T: DeserializeOwned>(
    conn: &EbayConnector,
    path: &str,
    marketplace: &str,
    body: &impl Serialize,
) -> Result<T, MarketplaceError> {
    let request = ApiRequest::post(Operation::FetchLabel, LOGISTICS_CLASS, conn.api_url(path)?)
        .header(HeaderName::from_static(MARKETPLACE_HEADER), marketplace)
        .json(body)?;
    let response = conn.http().send(request, Some(conn.auth())).await?;
    response.json()
}

pub async fn fetch(
    conn: &EbayConnector,
    order: &PlatformOrder,
    spec: &LabelSpec,
) -> Result<Label, MarketplaceError> {
    if spec.format.is_some_and(|f| f != LabelFormat::Pdf) {
        return Err(MarketplaceError::unsupported(
            "eBay's downloadLabelFile documents PDF as its format; no other Accept value is documented",
        ));
    }
    let detail: Order = decode_json(order.raw_json().as_bytes())?;
    let ship_to = ship_to_contact(&detail)
        .cloned()
        .ok_or_else(|| permanent("the order has no ship-to address to quote a label for"))?;
    let marketplace = conn
        .marketplace_id()
        .map(str::to_owned)
        .or_else(|| {
            detail
                .line_items
                .iter()
                .find_map(|l| l.listing_marketplace_id.clone())
        })
        .unwrap_or_else(|| DEFAULT_MARKETPLACE.to_owned());

    // 1. Live rates for this parcel.
    let quote: ShippingQuote = post(
        conn,
        QUOTE_PATH,
        &marketplace,
        &ShippingQuoteRequest {
            orders: vec![LogisticsOrder {
                channel: "EBAY".to_owned(),
                order_id: detail.order_id.clone(),
            }],
            package_specification: package(spec)?,
            ship_from: ship_from(spec)?,
            ship_to,
        },
    )
    .await?;
    let rate = choose_rate(&quote.rates, spec.service.as_deref()).ok_or_else(|| {
        permanent("eBay quoted no rate for this parcel (or not the requested service)")
    })?;

    // 2. Buy it: creates the shipment and its label.
    let shipment: Shipment = post(
        conn,
        CREATE_PATH,
        &marketplace,
        &CreateShipmentFromQuoteRequest {
            shipping_quote_id: quote.shipping_quote_id.clone(),
            rate_id: rate.rate_id.clone(),
            label_size: LABEL_SIZE.to_owned(),
        },
    )
    .await?;

    // 3. Download the PDF.
    let url = conn.api_url_with_segments(
        SHIPMENT_PATH,
        &[&shipment.shipment_id, "download_label_file"],
    )?;
    let request = ApiRequest::get(Operation::FetchLabel, LOGISTICS_CLASS, url)
        .header(HeaderName::from_static(MARKETPLACE_HEADER), marketplace)
        .header(http::header::ACCEPT, "application/pdf");
    let response = conn.http().send(request, Some(conn.auth())).await?;
    if !response.body.starts_with(b"%PDF-") {
        return Err(MarketplaceError::malformed(
            "downloadLabelFile answered with something that is not a PDF",
        )
        .with_operation(Operation::FetchLabel));
    }
    Ok(Label {
        format: LabelFormat::Pdf,
        bytes: response.body,
        tracking_number: shipment.shipment_tracking_number.clone(),
        carrier: shipment
            .rate
            .as_ref()
            .and_then(|r| r.shipping_carrier_code.clone())
            .or_else(|| rate.shipping_carrier_code.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use core_model::{Parcel, ShipFrom};

    #[test]
    fn numbers_are_short_decimal_strings() {
        assert_eq!(decimal_string(35.0).as_deref(), Some("35"));
        assert_eq!(decimal_string(12.5).as_deref(), Some("12.5"));
        assert_eq!(decimal_string(0.1 + 0.2).as_deref(), Some("0.3"));
        assert_eq!(decimal_string(1840.0).as_deref(), Some("1840"));
        assert_eq!(decimal_string(0.0), None);
        assert_eq!(decimal_string(f64::NAN), None);
    }

    fn rates() -> Vec<Rate> {
        serde_json::from_str(
            r#"[{"rateId": "R-1", "baseShippingCost": {"value": "9.45", "currency": "USD"},
                 "shippingCarrierCode": "USPS", "shippingServiceCode": "USPSPriority"},
                {"rateId": "R-2", "baseShippingCost": {"value": "5.10", "currency": "USD"},
                 "shippingCarrierCode": "USPS", "shippingServiceCode": "USPSGroundAdvantage"},
                {"rateId": "R-3", "shippingCarrierCode": "USPS"}]"#,
        )
        .unwrap()
    }

    #[test]
    fn picks_the_requested_or_the_cheapest_rate() {
        let rates = rates();
        assert_eq!(choose_rate(&rates, None).unwrap().rate_id, "R-2");
        assert_eq!(
            choose_rate(&rates, Some("USPSPriority")).unwrap().rate_id,
            "R-1"
        );
        assert_eq!(choose_rate(&rates, Some("R-3")).unwrap().rate_id, "R-3");
        assert!(choose_rate(&rates, Some("FedExGround")).is_none());
        assert!(choose_rate(&[], None).is_none());
    }

    #[test]
    fn ship_from_and_parcel_become_logistics_types() {
        let spec = LabelSpec {
            ship_from: Some(ShipFrom {
                address: core_model::Address {
                    name: Some("Northgate Fulfillment Dock 4".into()),
                    lines: vec!["1850 Depot Rd".into(), "Bay 12".into()],
                    city: Some("Reno".into()),
                    state: Some("NV".into()),
                    postal_code: Some("89502".into()),
                    country_code: Some("US".into()),
                    phone: Some("7755550100".into()),
                    ..Default::default()
                },
                email: None,
            }),
            parcel: Some(Parcel {
                length_cm: 35.0,
                width_cm: 25.0,
                height_cm: 12.5,
                weight_g: 1840.0,
            }),
            service: None,
            format: None,
        };
        assert_eq!(
            serde_json::to_value(ship_from(&spec).unwrap()).unwrap(),
            serde_json::json!({
                "contactAddress": {"addressLine1": "1850 Depot Rd", "addressLine2": "Bay 12",
                    "city": "Reno", "countryCode": "US", "postalCode": "89502", "stateOrProvince": "NV"},
                "fullName": "Northgate Fulfillment Dock 4",
                "primaryPhone": {"phoneNumber": "7755550100"}
            })
        );
        assert_eq!(
            serde_json::to_value(package(&spec).unwrap()).unwrap(),
            serde_json::json!({
                "dimensions": {"height": "12.5", "length": "35", "width": "25", "unit": "CENTIMETER"},
                "weight": {"unit": "GRAM", "value": "1840"}
            })
        );
        let mut no_city = spec.clone();
        if let Some(f) = no_city.ship_from.as_mut() {
            f.address.city = None;
        }
        assert!(ship_from(&no_city).is_err());
        assert!(package(&LabelSpec::default()).is_err());
    }
}
