//! The platform AWB: `get_tracking_number` per package, then the four shipping-document steps:
//! `get_shipping_document_parameter` (which type), `create_shipping_document` (starts an
//! asynchronous job), `get_shipping_document_result` until READY (the kit's retry budget does
//! the waiting: PROCESSING is classified transient), and `download_shipping_document`, whose
//! success body is the PDF itself and whose JSON body is an error.

use connector_kit::{decode_json, ApiRequest, RawResponse, ResponseClassifier};
use core_model::{Label, LabelFormat, LabelSpec, MarketplaceError, Operation, PlatformOrder};
use serde::Serialize;

use crate::error::parse_error;
use crate::model::{
    DocumentOrder, DocumentRequest, DocumentResults, Envelope, LabelOrder, TrackingNumberResponse,
};
use crate::orders::response_of;
use crate::ShopeeConnector;

/// The endpoint class of the logistics APIs.
pub const LOGISTICS_CLASS: &str = "logistics";

const TRACKING_PATH: &str = "/api/v2/logistics/get_tracking_number";
const PARAMETER_PATH: &str = "/api/v2/logistics/get_shipping_document_parameter";
const CREATE_PATH: &str = "/api/v2/logistics/create_shipping_document";
const RESULT_PATH: &str = "/api/v2/logistics/get_shipping_document_result";
const DOWNLOAD_PATH: &str = "/api/v2/logistics/download_shipping_document";

/// Used when Shopee suggests no type.
const DEFAULT_DOCUMENT_TYPE: &str = "THERMAL_AIR_WAYBILL";

pub async fn fetch_label(
    c: &ShopeeConnector,
    order: &PlatformOrder,
    spec: &LabelSpec,
) -> Result<Label, MarketplaceError> {
    if spec.format.is_some_and(|f| f != LabelFormat::Pdf) {
        return Err(MarketplaceError::unsupported(
            "Shopee shipping documents are PDF only",
        ));
    }
    let detail: LabelOrder = decode_json(order.raw_json().as_bytes())?;
    // An unsplit order may be addressed without a package number; a split one needs each.
    let packages: Vec<Option<String>> = if detail.package_list.is_empty() {
        vec![None]
    } else {
        detail
            .package_list
            .iter()
            .map(|p| Some(p.package_number.clone()))
            .collect()
    };

    let mut documents = Vec::with_capacity(packages.len());
    for package_number in packages {
        let tracking_number =
            tracking_number(c, &detail.order_sn, package_number.as_deref()).await?;
        documents.push(DocumentOrder {
            order_sn: detail.order_sn.clone(),
            package_number,
            tracking_number: Some(tracking_number),
            shipping_document_type: None,
        });
    }
    let keys = |with_tracking: bool, doc_type: Option<&str>| -> Vec<DocumentOrder> {
        documents
            .iter()
            .map(|d| DocumentOrder {
                tracking_number: if with_tracking {
                    d.tracking_number.clone()
                } else {
                    None
                },
                shipping_document_type: doc_type.map(str::to_owned),
                ..d.clone()
            })
            .collect()
    };

    // 1. Which document type: Shopee's suggestion for the first package.
    let parameters: DocumentResults = post(
        c,
        PARAMETER_PATH,
        &DocumentRequest {
            shipping_document_type: None,
            order_list: keys(false, None),
        },
        &BatchClassifier,
    )
    .await?;
    let doc_type = parameters
        .result_list
        .iter()
        .find_map(|r| {
            r.suggest_shipping_document_type
                .clone()
                .filter(|t| !t.is_empty())
        })
        .unwrap_or_else(|| DEFAULT_DOCUMENT_TYPE.to_owned());

    // 2. Start the document job.
    let _: DocumentResults = post(
        c,
        CREATE_PATH,
        &DocumentRequest {
            shipping_document_type: None,
            order_list: keys(true, Some(&doc_type)),
        },
        &BatchClassifier,
    )
    .await?;

    // 3. Wait for READY; the classifier turns PROCESSING into a transient error.
    let _: DocumentResults = post(
        c,
        RESULT_PATH,
        &DocumentRequest {
            shipping_document_type: None,
            order_list: keys(false, Some(&doc_type)),
        },
        &DocumentResultClassifier,
    )
    .await?;

    // 4. Download the file.
    let body = DocumentRequest {
        shipping_document_type: Some(doc_type),
        order_list: keys(false, None),
    };
    let request = ApiRequest::post(
        Operation::FetchLabel,
        LOGISTICS_CLASS,
        c.url(DOWNLOAD_PATH)?,
    )
    .json(&body)?;
    let response = c
        .http()
        .send_classified(request, Some(c.auth()), &DownloadClassifier)
        .await?;
    let first = detail.package_list.first();
    Ok(Label {
        format: LabelFormat::Pdf,
        bytes: response.body,
        tracking_number: documents.first().and_then(|d| d.tracking_number.clone()),
        carrier: first
            .and_then(|p| p.shipping_carrier.clone())
            .or(detail.shipping_carrier),
    })
}

async fn tracking_number(
    c: &ShopeeConnector,
    order_sn: &str,
    package_number: Option<&str>,
) -> Result<String, MarketplaceError> {
    let mut request = ApiRequest::get(
        Operation::FetchLabel,
        LOGISTICS_CLASS,
        c.url(TRACKING_PATH)?,
    )
    .query("order_sn", order_sn);
    if let Some(package) = package_number {
        request = request.query("package_number", package);
    }
    let response = c
        .http()
        .send_classified(request, Some(c.auth()), &TrackingClassifier)
        .await?;
    let tracking = response_of(
        decode_json::<Envelope<TrackingNumberResponse>>(&response.body)?,
        TRACKING_PATH,
    )?;
    tracking
        .tracking_number
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            MarketplaceError::malformed("get_tracking_number answered without a tracking number")
        })
}

async fn post<T: serde::de::DeserializeOwned>(
    c: &ShopeeConnector,
    path: &str,
    body: &impl Serialize,
    classifier: &dyn ResponseClassifier,
) -> Result<T, MarketplaceError> {
    let request =
        ApiRequest::post(Operation::FetchLabel, LOGISTICS_CLASS, c.url(path)?).json(body)?;
    let response = c
        .http()
        .send_classified(request, Some(c.auth()), classifier)
        .await?;
    response_of(decode_json::<Envelope<T>>(&response.body)?, path)
}

fn document_results(r: &RawResponse) -> Result<DocumentResults, MarketplaceError> {
    let envelope: Envelope<DocumentResults> = decode_json(&r.body)?;
    Ok(envelope.response.unwrap_or(DocumentResults {
        result_list: Vec::new(),
    }))
}

/// The first element a batch call failed, as a permanent error with Shopee's own reason.
fn element_failure(results: &DocumentResults) -> Result<(), MarketplaceError> {
    match results
        .result_list
        .iter()
        .find(|x| x.fail_error.as_deref().is_some_and(|e| !e.is_empty()))
    {
        Some(x) => {
            let code = x.fail_error.clone().unwrap_or_default();
            let message = x
                .fail_message
                .clone()
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| code.clone());
            Err(MarketplaceError::permanent(message).with_code(code))
        }
        None => Ok(()),
    }
}

/// Batch answers report per-element failures with `error` empty: surface them.
#[derive(Debug)]
struct BatchClassifier;

impl ResponseClassifier for BatchClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        parse_error(r)?;
        element_failure(&document_results(r)?)
    }
}

/// `get_shipping_document_result`: READY passes, FAILED is permanent with the platform's
/// reason, PROCESSING is transient so the kit's backoff polls again.
#[derive(Debug)]
struct DocumentResultClassifier;

impl ResponseClassifier for DocumentResultClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        parse_error(r)?;
        let results = document_results(r)?;
        for x in &results.result_list {
            match x.status.as_deref() {
                Some("READY") => {}
                Some("FAILED") => {
                    let code = x
                        .fail_error
                        .clone()
                        .filter(|e| !e.is_empty())
                        .unwrap_or_else(|| "FAILED".to_owned());
                    let reason = x
                        .fail_message
                        .clone()
                        .filter(|m| !m.is_empty())
                        .unwrap_or_else(|| code.clone());
                    return Err(MarketplaceError::permanent(format!(
                        "shipping document failed: {reason}"
                    ))
                    .with_code(code));
                }
                Some("PROCESSING") => {
                    return Err(MarketplaceError::transient(
                        "shipping document still PROCESSING",
                    ))
                }
                _ => element_failure(&results)?,
            }
        }
        if results.result_list.is_empty() {
            return Err(MarketplaceError::malformed(
                "get_shipping_document_result answered no result",
            ));
        }
        Ok(())
    }
}

/// `get_tracking_number` answers `""` until the carrier assigns one: poll. With a `hint` the
/// number cannot come (the buyer's store closed, ...): fail with it.
#[derive(Debug)]
struct TrackingClassifier;

impl ResponseClassifier for TrackingClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        parse_error(r)?;
        let tracking = decode_json::<Envelope<TrackingNumberResponse>>(&r.body)?.response;
        let Some(tracking) = tracking else {
            return Ok(());
        };
        if tracking
            .tracking_number
            .as_deref()
            .is_some_and(|t| !t.is_empty())
        {
            return Ok(());
        }
        match tracking.hint.filter(|h| !h.trim().is_empty()) {
            Some(hint) => Err(MarketplaceError::permanent(format!(
                "no tracking number: {hint}"
            ))),
            None => Err(MarketplaceError::transient(
                "tracking number not assigned yet",
            )),
        }
    }
}

/// The download's success body is the document; a JSON body is always an error.
#[derive(Debug)]
struct DownloadClassifier;

impl ResponseClassifier for DownloadClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        parse_error(r)?;
        let json = r.is_json() || r.body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        if json {
            return Err(MarketplaceError::malformed(
                "download_shipping_document answered JSON, not a document",
            ));
        }
        if r.body.is_empty() {
            return Err(MarketplaceError::malformed(
                "download_shipping_document answered an empty body",
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

    fn resp(content_type: &'static str, body: &str) -> RawResponse {
        RawResponse::new(200, content_type, body.to_owned())
    }

    fn result(status: &str) -> RawResponse {
        resp(
            "application/json",
            &format!(
                r#"{{"error":"","message":"","request_id":"r","response":{{"result_list":[{{"order_sn":"A","package_number":"P","status":"{status}","fail_error":"logistics.package_can_not_print","fail_message":"The package can not print now."}}]}}}}"#
            ),
        )
    }

    #[test]
    fn document_result_polls_processing_and_fails_failed() {
        assert!(DocumentResultClassifier.classify(&result("READY")).is_ok());
        assert_eq!(
            DocumentResultClassifier
                .classify(&result("PROCESSING"))
                .unwrap_err()
                .kind(),
            ErrorKind::Transient
        );
        let failed = DocumentResultClassifier
            .classify(&result("FAILED"))
            .unwrap_err();
        assert_eq!(failed.kind(), ErrorKind::Permanent);
        assert_eq!(failed.code(), Some("logistics.package_can_not_print"));
        assert!(failed.message().contains("can not print"));
    }

    #[test]
    fn download_json_is_an_error() {
        assert!(DownloadClassifier
            .classify(&resp("application/pdf", "%PDF-1.4 ..."))
            .is_ok());
        let e = DownloadClassifier
            .classify(&resp("application/json", r#"{"error":"logistics.shipping_document_should_print_first","message":"create it first","request_id":"x"}"#))
            .unwrap_err();
        assert_eq!(
            (e.kind(), e.code()),
            (
                ErrorKind::Permanent,
                Some("logistics.shipping_document_should_print_first")
            )
        );
        assert_eq!(
            DownloadClassifier
                .classify(&resp("application/json", r#"{"error":""}"#))
                .unwrap_err()
                .kind(),
            ErrorKind::Malformed
        );
    }

    #[test]
    fn tracking_number_is_polled_until_assigned() {
        let empty = resp(
            "application/json",
            r#"{"error":"","message":"","response":{"tracking_number":""},"request_id":"r"}"#,
        );
        assert_eq!(
            TrackingClassifier.classify(&empty).unwrap_err().kind(),
            ErrorKind::Transient
        );
        let hint = resp(
            "application/json",
            r#"{"error":"","message":"","response":{"tracking_number":"","hint":"Buyers CVS closed"},"request_id":"r"}"#,
        );
        assert_eq!(
            TrackingClassifier.classify(&hint).unwrap_err().kind(),
            ErrorKind::Permanent
        );
        let ok = resp(
            "application/json",
            r#"{"error":"","message":"","response":{"tracking_number":"SPXSG0123"},"request_id":"r"}"#,
        );
        assert!(TrackingClassifier.classify(&ok).is_ok());
    }

    #[test]
    fn batch_element_failures_surface() {
        let body = r#"{"error":"","message":"","response":{"result_list":[{"order_sn":"A","suggest_shipping_document_type":"THERMAL_AIR_WAYBILL"},{"order_sn":"B","fail_error":"logistics.order_not_exist","fail_message":"The order_sn B you provided is not exist."}]},"warning":[{"order_sn":"B"}],"request_id":"r"}"#;
        let e = BatchClassifier
            .classify(&resp("application/json", body))
            .unwrap_err();
        assert_eq!(e.code(), Some("logistics.order_not_exist"));
    }
}
