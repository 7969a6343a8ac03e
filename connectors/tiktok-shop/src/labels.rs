//! The platform label of a TikTok Shipping order: the order's current package
//! (`GET /order/202309/orders`), Ship Package with the shop's handover method when the package
//! is still `TO_FULFILL` (the document API needs the shipment arranged first), then
//! `GET /fulfillment/202309/packages/{package_id}/shipping_documents`, whose `doc_url` (valid
//! 24 hours) is downloaded with a plain GET. A document still being generated (11034037, or no
//! `doc_url` yet) is a transient error, so the kit's retry budget does the waiting.

use connector_kit::{decode_json, ApiRequest, RawResponse, ResponseClassifier};
use core_model::{Label, LabelFormat, LabelSpec, MarketplaceError, Operation, PlatformOrder};
use url::Url;

use crate::error::parse_error;
use crate::model::{Envelope, LineItem, Order, ShipPackageBody, ShippingDocument};
use crate::orders::{data_of, order_detail};
use crate::tracking::{ship_package, FULFILLMENT_CLASS};
use crate::TiktokShopConnector;

/// The class of document downloads from `doc_url` (a file host, not the open API).
pub const DOCUMENTS_CLASS: &str = "documents";

const PACKAGES_PATH: &str = "/fulfillment/202309/packages";

pub async fn fetch_label(
    c: &TiktokShopConnector,
    order: &PlatformOrder,
    spec: &LabelSpec,
) -> Result<Label, MarketplaceError> {
    // ZPL is documented for Brazil; PNG only as a picture of the label.
    let (format, document_format) = match spec.format.unwrap_or(LabelFormat::Pdf) {
        LabelFormat::Pdf => (LabelFormat::Pdf, "PDF"),
        LabelFormat::Zpl => (LabelFormat::Zpl, "ZPL"),
        LabelFormat::Png => {
            return Err(MarketplaceError::unsupported(
                "TikTok Shop shipping labels come as PDF (ZPL in Brazil)",
            ))
        }
    };
    let detail = order_detail(c, Operation::FetchLabel, &order.platform_order_id).await?;
    if detail.shipping_type.as_deref() != Some("TIKTOK")
        || detail.fulfillment_type.as_deref() == Some("FULFILLMENT_BY_TIKTOK")
    {
        return Err(MarketplaceError::unsupported(
            "TikTok prints labels only for TikTok Shipping orders the seller fulfills",
        ));
    }
    let (package_id, to_fulfill) = the_package(&detail)?;
    if to_fulfill
        && !matches!(
            detail.status.as_str(),
            "AWAITING_SHIPMENT" | "PARTIALLY_SHIPPING"
        )
    {
        // ON_HOLD is the buyer's remorse period: the shipment must not be arranged yet.
        return Err(MarketplaceError::permanent(format!(
            "order {} is {}: its shipment cannot be arranged yet",
            detail.id, detail.status
        )));
    }
    if to_fulfill {
        let body = ShipPackageBody {
            handover_method: Some(c.handover_method().to_owned()),
            self_shipment: None,
        };
        ship_package(c, Operation::FetchLabel, &package_id, &body).await?;
    }

    let url = c.url_with_id(PACKAGES_PATH, &package_id, "shipping_documents")?;
    let request = ApiRequest::get(Operation::FetchLabel, FULFILLMENT_CLASS, url)
        .query("document_type", "SHIPPING_LABEL")
        .query("document_size", "A6")
        .query("document_format", document_format);
    let response = c
        .http()
        .send_classified(request, Some(c.auth()), &DocumentUrlClassifier)
        .await?;
    let document = data_of(
        decode_json::<Envelope<ShippingDocument>>(&response.body)?,
        PACKAGES_PATH,
    )?;
    let doc_url = document
        .doc_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| MarketplaceError::malformed("shipping_documents answered no doc_url"))?;
    let doc_url = Url::parse(doc_url).map_err(|_| {
        MarketplaceError::malformed("shipping_documents answered an invalid doc_url")
    })?;
    // A pre-signed file URL: no signature, no token.
    let download = ApiRequest::get(
        Operation::FetchLabel,
        DOCUMENTS_CLASS,
        c.http().hosts().rebase(doc_url)?,
    );
    let file = c
        .http()
        .send_classified(download, None, &DownloadClassifier)
        .await?;

    let package_items: Vec<&LineItem> = detail
        .line_items
        .iter()
        .filter(|i| i.package_id.as_deref() == Some(package_id.as_str()))
        .collect();
    Ok(Label {
        format,
        bytes: file.body,
        tracking_number: non_empty(document.tracking_number)
            .or_else(|| {
                package_items
                    .iter()
                    .find_map(|i| non_empty(i.tracking_number.clone()))
            })
            .or_else(|| non_empty(detail.tracking_number.clone())),
        carrier: package_items
            .iter()
            .find_map(|i| non_empty(i.shipping_provider_name.clone()))
            .or_else(|| non_empty(detail.shipping_provider.clone())),
    })
}

/// The order's one live package and whether it still awaits its shipment being arranged.
/// An order split into several packages has several labels, which one `Label` cannot hold.
fn the_package(order: &Order) -> Result<(String, bool), MarketplaceError> {
    let live = |i: &&LineItem| {
        i.display_status.as_deref() != Some("CANCELLED")
            && i.package_status.as_deref() != Some("CANCELLED")
    };
    let mut packages: Vec<String> = Vec::new();
    for id in order
        .line_items
        .iter()
        .filter(live)
        .filter_map(|i| i.package_id.clone())
        .chain(order.packages.iter().map(|p| p.id.clone()))
        .filter(|p| !p.is_empty())
    {
        if !packages.contains(&id) {
            packages.push(id);
        }
    }
    // Line items name live packages; the `packages` list only helps when they name none.
    if order
        .line_items
        .iter()
        .filter(live)
        .any(|i| i.package_id.is_some())
    {
        packages.retain(|p| {
            order
                .line_items
                .iter()
                .filter(live)
                .any(|i| i.package_id.as_deref() == Some(p.as_str()))
        });
    }
    let package = match packages.as_slice() {
        [one] => one.clone(),
        [] => {
            return Err(MarketplaceError::permanent(format!(
                "order {} has no package to print",
                order.id
            )))
        }
        many => {
            return Err(MarketplaceError::unsupported(format!(
                "order {} ships in {} packages; one label per package is not supported",
                order.id,
                many.len()
            )))
        }
    };
    let statuses: Vec<&str> = order
        .line_items
        .iter()
        .filter(live)
        .filter(|i| i.package_id.as_deref() == Some(package.as_str()))
        .filter_map(|i| i.package_status.as_deref())
        .collect();
    let to_fulfill = if statuses.is_empty() {
        order.status == "AWAITING_SHIPMENT"
    } else {
        statuses.contains(&"TO_FULFILL")
    };
    Ok((package, to_fulfill))
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Success only once the document has a `doc_url`; until then the job is still running.
#[derive(Debug)]
struct DocumentUrlClassifier;

impl ResponseClassifier for DocumentUrlClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        parse_error(r)?;
        let ready = decode_json::<Envelope<ShippingDocument>>(&r.body)?
            .data
            .and_then(|d| d.doc_url)
            .is_some_and(|u| !u.trim().is_empty());
        if ready {
            Ok(())
        } else {
            Err(MarketplaceError::transient(
                "the shipping document has no doc_url yet",
            ))
        }
    }
}

/// The download's body is the document; JSON or an empty body is an error. An expired
/// pre-signed URL (4xx) is permanent: fetching the label again gets a fresh one.
#[derive(Debug)]
struct DownloadClassifier;

impl ResponseClassifier for DownloadClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        let status = r.status.as_u16();
        match status {
            429 => {
                return Err(
                    MarketplaceError::rate_limited(None, "document host throttled")
                        .with_status(status),
                )
            }
            500..=599 => {
                return Err(MarketplaceError::transient("document host failed").with_status(status))
            }
            200..=299 => {}
            _ => {
                return Err(MarketplaceError::permanent(format!(
                    "document download refused with HTTP {status} (the doc_url lasts 24 hours)"
                ))
                .with_status(status))
            }
        }
        let json = r.is_json() || r.body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        if json {
            parse_error(r)?;
            return Err(MarketplaceError::malformed(
                "the document download answered JSON, not a document",
            ));
        }
        if r.body.is_empty() {
            return Err(MarketplaceError::malformed(
                "the document download answered an empty body",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::ErrorKind;

    fn order(json: serde_json::Value) -> Order {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn one_live_package_and_whether_to_ship_it() {
        let o = order(serde_json::json!({
            "id": "1", "status": "AWAITING_SHIPMENT", "create_time": 1, "update_time": 1,
            "line_items": [
                {"id": "a", "sale_price": "1", "package_id": "P1", "package_status": "TO_FULFILL"},
                {"id": "b", "sale_price": "1", "package_id": "P0", "package_status": "CANCELLED"}
            ],
            "packages": [{"id": "P1"}, {"id": "P0"}]
        }));
        assert_eq!(the_package(&o).unwrap(), ("P1".to_owned(), true));
        let arranged = order(serde_json::json!({
            "id": "1", "status": "AWAITING_COLLECTION", "create_time": 1, "update_time": 1,
            "line_items": [{"id": "a", "sale_price": "1", "package_id": "P1", "package_status": "PROCESSING"}]
        }));
        assert_eq!(the_package(&arranged).unwrap(), ("P1".to_owned(), false));
        let split = order(serde_json::json!({
            "id": "1", "status": "AWAITING_SHIPMENT", "create_time": 1, "update_time": 1,
            "line_items": [
                {"id": "a", "sale_price": "1", "package_id": "P1"},
                {"id": "b", "sale_price": "1", "package_id": "P2"}
            ]
        }));
        assert_eq!(
            the_package(&split).unwrap_err().kind(),
            ErrorKind::Unsupported
        );
        let listed_only = order(serde_json::json!({
            "id": "1", "status": "AWAITING_SHIPMENT", "create_time": 1, "update_time": 1,
            "line_items": [{"id": "a", "sale_price": "1"}], "packages": [{"id": "P9"}]
        }));
        assert_eq!(the_package(&listed_only).unwrap(), ("P9".to_owned(), true));
    }

    #[test]
    fn document_url_is_polled_until_present() {
        let json = |body: &str| RawResponse::new(200, "application/json", body.to_owned());
        assert!(DocumentUrlClassifier
            .classify(&json(r#"{"code":0,"message":"Success","data":{"doc_url":"https://x/y.pdf","tracking_number":"TT1"}}"#))
            .is_ok());
        assert_eq!(
            DocumentUrlClassifier
                .classify(&json(
                    r#"{"code":0,"message":"Success","data":{"doc_url":""}}"#
                ))
                .unwrap_err()
                .kind(),
            ErrorKind::Transient
        );
        assert_eq!(
            DocumentUrlClassifier
                .classify(&json(r#"{"code":11034037,"message":"Shipping document is generating, please try again later."}"#))
                .unwrap_err()
                .kind(),
            ErrorKind::Transient
        );
        assert_eq!(
            DocumentUrlClassifier
                .classify(&json(
                    r#"{"code":21023035,"message":"Package not shipped yet."}"#
                ))
                .unwrap_err()
                .kind(),
            ErrorKind::Permanent
        );
    }

    #[test]
    fn download_wants_a_document() {
        assert!(DownloadClassifier
            .classify(&RawResponse::new(200, "application/pdf", "%PDF-1.4"))
            .is_ok());
        let kind = |status: u16, ct: &str, body: &str| {
            DownloadClassifier
                .classify(&RawResponse::new(status, ct, body.to_owned()))
                .unwrap_err()
                .kind()
        };
        assert_eq!(
            kind(200, "application/json", r#"{"code":0}"#),
            ErrorKind::Malformed
        );
        assert_eq!(kind(200, "application/pdf", ""), ErrorKind::Malformed);
        assert_eq!(
            kind(403, "application/xml", "<Error>expired</Error>"),
            ErrorKind::Permanent
        );
        assert_eq!(kind(503, "text/plain", "busy"), ErrorKind::Transient);
    }
}
