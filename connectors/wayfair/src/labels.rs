//! Shipping labels on Wayfair's carrier account: `purchaseOrders.register` registers the PO for
//! pickup from its warehouse and has Wayfair buy the labels, answering with a label-generation
//! event whose `consolidatedShippingLabel.url` (small parcel) or `billOfLading.url` (freight)
//! points at the PDF; that URL is downloaded with the same Bearer token
//! (`GET /v1/shipping_label/{poNumber}`, `/v1/bill_of_lading/{poNumber}`).
//!
//! Package dimensions are not sent: without `packageUnits` Wayfair uses the catalog's carton
//! data, and `requestForPickupDate` defaults to the registration time.

use bytes::Bytes;
use connector_kit::ApiRequest;
use core_model::{Label, LabelFormat, LabelSpec, MarketplaceError, Operation, PlatformOrder};
use serde::Deserialize;
use url::Url;

use crate::model::{
    GraphQlResponse, LabelGenerationEvent, RegisterData, RegisterVariables, RegistrationInput,
};
use crate::{WayfairConnector, DOCUMENTS_CLASS, GRAPHQL_CLASS};

/// The register mutation, selecting the documents and the labels bought.
pub const REGISTER_MUTATION: &str = "mutation register($registrationInput: RegistrationInput!) { \
purchaseOrders { register(registrationInput: $registrationInput) { \
id eventDate pickupDate poNumber \
consolidatedShippingLabel { url } billOfLading { url } customsDocument { required url } \
generatedShippingLabels { poNumber fullPoNumber numberOfLabels carrier carrierCode trackingNumber } \
} } }";

/// The document download paths, each followed by the PO number.
pub const DOCUMENT_PATHS: [&str; 3] = [
    "/v1/shipping_label/",
    "/v1/bill_of_lading/",
    "/v1/packing_slip/",
];

pub fn is_document_path(path: &str) -> bool {
    DOCUMENT_PATHS.iter().any(|p| path.contains(p))
}

/// Only Wayfair's own hosts get the Bearer token.
pub fn is_wayfair_host(url: &Url) -> bool {
    url.scheme() == "https"
        && url
            .host_str()
            .is_some_and(|h| h == "wayfair.com" || h.ends_with(".wayfair.com"))
}

/// The warehouse the PO ships from, as the pulled PO names it.
fn warehouse_id(order: &PlatformOrder) -> Option<String> {
    #[derive(Deserialize)]
    struct Po {
        #[serde(default)]
        warehouse: Option<W>,
    }
    #[derive(Deserialize)]
    struct W {
        #[serde(default, deserialize_with = "crate::model::optional_id")]
        id: Option<String>,
    }
    serde_json::from_str::<Po>(order.raw_json())
        .ok()?
        .warehouse?
        .id
}

/// The document to download: the consolidated label, else the bill of lading, else the
/// shipping-label path of the PO.
pub fn document_url(
    event: &LabelGenerationEvent,
    api_base: &str,
    po_number: &str,
) -> Result<Url, MarketplaceError> {
    let given = [&event.consolidated_shipping_label, &event.bill_of_lading]
        .into_iter()
        .filter_map(|d| d.as_ref()?.url.as_deref())
        .map(str::trim)
        .find(|u| !u.is_empty());
    match given {
        Some(u) => Url::parse(u).map_err(|_| {
            MarketplaceError::malformed("the registration answered with an invalid document URL")
        }),
        None => {
            let mut url = Url::parse(api_base)
                .map_err(|e| MarketplaceError::permanent(format!("invalid API host: {e}")))?;
            url.path_segments_mut()
                .map_err(|()| MarketplaceError::permanent("the API host cannot take a path"))?
                .extend(["v1", "shipping_label", po_number]);
            Ok(url)
        }
    }
}

pub async fn fetch(
    conn: &WayfairConnector,
    order: &PlatformOrder,
    spec: &LabelSpec,
) -> Result<Label, MarketplaceError> {
    if spec.format.is_some_and(|f| f != LabelFormat::Pdf) {
        return Err(MarketplaceError::unsupported(
            "Wayfair's shipping documents are PDF only",
        ));
    }
    let po_number = order.platform_order_id.clone();
    let variables = RegisterVariables {
        registration_input: RegistrationInput {
            po_number: po_number.clone(),
            warehouse_id: warehouse_id(order),
        },
    };
    let response = conn
        .graphql(
            Operation::FetchLabel,
            GRAPHQL_CLASS,
            REGISTER_MUTATION,
            variables,
        )
        .await?;
    let envelope: GraphQlResponse<RegisterData> = response.json()?;
    let event = envelope
        .data
        .and_then(|d| d.purchase_orders)
        .and_then(|p| p.register)
        .ok_or_else(|| MarketplaceError::malformed("the registration answered without an event"))?;
    tracing::debug!(po = %po_number, event = ?event.id, "purchase order registered for pickup");

    let real = document_url(&event, conn.environment().api_base(), &po_number)?;
    let authorize = is_wayfair_host(&real);
    let url = conn.http().hosts().rebase(real)?;
    let request = ApiRequest::get(Operation::FetchLabel, DOCUMENTS_CLASS, url).header(
        http::header::ACCEPT,
        "application/pdf, application/octet-stream",
    );
    let response = if authorize {
        conn.http().send(request, Some(conn.auth())).await?
    } else {
        conn.http().send(request, None).await?
    };
    let bytes: Bytes = response.body;
    if !bytes.starts_with(b"%PDF-") {
        return Err(MarketplaceError::malformed(
            "the shipping document download is not a PDF",
        ));
    }
    let bought = event
        .generated_shipping_labels
        .iter()
        .flatten()
        .flatten()
        .find(|l| {
            l.tracking_number
                .as_deref()
                .is_some_and(|t| !t.trim().is_empty())
        });
    Ok(Label {
        format: LabelFormat::Pdf,
        bytes,
        tracking_number: bought.and_then(|l| l.tracking_number.clone()),
        carrier: bought.and_then(|l| l.carrier_code.clone().or_else(|| l.carrier.clone())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: &str) -> LabelGenerationEvent {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn picks_the_label_then_the_bill_of_lading_then_the_po_path() {
        let both = event(
            r#"{"consolidatedShippingLabel": {"url": "https://api.wayfair.com/v1/shipping_label/CS1"},
                "billOfLading": {"url": "https://api.wayfair.com/v1/bill_of_lading/CS1"}}"#,
        );
        assert_eq!(
            document_url(&both, "https://api.wayfair.com", "CS1")
                .unwrap()
                .path(),
            "/v1/shipping_label/CS1"
        );
        let freight = event(
            r#"{"consolidatedShippingLabel": {"url": ""},
                "billOfLading": {"url": "https://api.wayfair.com/v1/bill_of_lading/CS1"}}"#,
        );
        assert_eq!(
            document_url(&freight, "https://api.wayfair.com", "CS1")
                .unwrap()
                .path(),
            "/v1/bill_of_lading/CS1"
        );
        let none = event(r#"{"consolidatedShippingLabel": null}"#);
        assert_eq!(
            document_url(&none, "https://sandbox.api.wayfair.com", "CS 1")
                .unwrap()
                .as_str(),
            "https://sandbox.api.wayfair.com/v1/shipping_label/CS%201"
        );
        assert!(document_url(
            &event(r#"{"billOfLading": {"url": "not a url"}}"#),
            "https://api.wayfair.com",
            "CS1"
        )
        .is_err());
    }

    #[test]
    fn the_token_goes_to_wayfair_hosts_only() {
        for (url, want) in [
            ("https://api.wayfair.com/v1/shipping_label/CS1", true),
            (
                "https://sandbox.api.wayfair.com/v1/shipping_label/CS1",
                true,
            ),
            ("http://api.wayfair.com/v1/shipping_label/CS1", false),
            ("https://api.wayfair.com.evil.example/x", false),
            ("https://s3.amazonaws.com/labels/CS1.pdf", false),
        ] {
            assert_eq!(is_wayfair_host(&Url::parse(url).unwrap()), want, "{url}");
        }
        assert!(is_document_path("/v1/bill_of_lading/CS1"));
        assert!(!is_document_path("/v1/graphql"));
    }

    #[test]
    fn the_register_mutation_names_its_input() {
        assert!(REGISTER_MUTATION.contains("register(registrationInput: $registrationInput)"));
        assert_eq!(
            REGISTER_MUTATION.matches('{').count(),
            REGISTER_MUTATION.matches('}').count()
        );
        let v = serde_json::to_value(RegisterVariables {
            registration_input: RegistrationInput {
                po_number: "CS1".into(),
                warehouse_id: Some("58211".into()),
            },
        })
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"registrationInput": {"poNumber": "CS1", "warehouseId": "58211"}})
        );
    }
}
