//! Package labels. Ozon prints labels only for assembled postings (`awaiting_deliver`), so a
//! posting still `awaiting_packaging` is assembled first (`/v4/posting/fbs/ship`, one package
//! with every product). Then the asynchronous flow: `/v3/posting/fbs/package-label/create`
//! answers task ids (`big_label`, `small_label`); `/v2/posting/fbs/package-label/get` is polled
//! for the regular (`big_label`) task, its `pending`/`in_progress` answers classified transient
//! so the kit's retry budget does the waiting; the `completed` answer's `file_url` (a temporary
//! CDN link) is downloaded through the base-URL override. The Seller API credentials are only
//! sent to the Seller API host, never to the CDN (public clients fetch `file_url` bare).
//! Right after the connector assembled the posting, label refusals that mean "not ready yet"
//! are transient too ([`LabelCreateClassifier`]).

use bytes::Bytes;
use connector_kit::{decode_json, ApiRequest, RawResponse, ResponseClassifier};
use core_model::{
    ErrorKind, Label, LabelFormat, LabelSpec, MarketplaceError, NeutralStatus, Operation,
    PlatformOrder,
};
use url::Url;

use crate::error::parse_error;
use crate::model::{
    LabelCreateRequest, LabelCreateResponse, LabelGetRequest, LabelGetResponse, Posting,
    ShipProduct,
};
use crate::orders::neutral_status;
use crate::tracking::{ship, Assembly};
use crate::OzonConnector;

pub const LABEL_CREATE_PATH: &str = "/v3/posting/fbs/package-label/create";
pub const LABEL_GET_PATH: &str = "/v2/posting/fbs/package-label/get";
/// The label file downloads (CDN, not the Seller API quota).
pub const DOWNLOAD_CLASS: &str = "label-file";
/// The regular label task; `small_label` is the small format.
pub const BIG_LABEL: &str = "big_label";

pub async fn fetch_label(
    c: &OzonConnector,
    order: &PlatformOrder,
    spec: &LabelSpec,
) -> Result<Label, MarketplaceError> {
    let op = Operation::FetchLabel;
    if spec.format.is_some_and(|f| f != LabelFormat::Pdf) {
        return Err(MarketplaceError::unsupported(
            "Ozon package labels are PDF files",
        ));
    }
    let posting: Posting = decode_json(order.raw_json().as_bytes())?;
    let number = posting.posting_number.as_str();
    let status = neutral_status(&posting.status, posting.substatus.as_deref());
    if status == NeutralStatus::Cancelled {
        return Err(MarketplaceError::permanent(
            "the posting is cancelled: Ozon prints no label",
        ));
    }
    let mut assembled_now = false;
    if posting.status == "awaiting_packaging" || posting.can("ship") {
        let products = posting
            .products
            .iter()
            .filter(|p| p.quantity > 0)
            .map(|p| ShipProduct {
                product_id: p.sku,
                quantity: p.quantity,
            })
            .collect();
        assembled_now = ship(c, op, number, products).await? == Assembly::Assembled;
    }

    let body = LabelCreateRequest {
        posting_numbers: vec![number],
    };
    let create = LabelCreateClassifier { assembled_now };
    let response = c
        .post_classified(op, LABEL_CREATE_PATH, &body, &create)
        .await?;
    let created: LabelCreateResponse = response.json()?;
    let tasks = created.tasks;
    let task = tasks
        .iter()
        .find(|t| t.task_type.as_deref() == Some(BIG_LABEL))
        .or(tasks.first())
        .ok_or_else(|| {
            MarketplaceError::malformed(format!("{LABEL_CREATE_PATH} answered no task"))
        })?;

    let body = LabelGetRequest {
        task_id: task.task_id,
    };
    let response = c
        .post_classified(op, LABEL_GET_PATH, &body, &LabelTaskClassifier)
        .await?;
    let url = file_url(&response)?;
    let bytes = download(c, url).await?;
    Ok(Label {
        format: LabelFormat::Pdf,
        bytes,
        tracking_number: posting.tracking_number.filter(|t| !t.trim().is_empty()),
        carrier: posting
            .delivery_method
            .and_then(|d| d.tpl_provider)
            .filter(|t| !t.trim().is_empty()),
    })
}

/// The label file of a `completed` task.
fn file_url(r: &RawResponse) -> Result<Url, MarketplaceError> {
    let answer: LabelGetResponse = r.json()?;
    let url = answer
        .file_url
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| {
            MarketplaceError::malformed(format!("{LABEL_GET_PATH} completed without `file_url`"))
        })?;
    Url::parse(url.trim()).map_err(|_| {
        MarketplaceError::malformed(format!("{LABEL_GET_PATH} `file_url` is not a URL"))
    })
}

async fn download(c: &OzonConnector, real: Url) -> Result<Bytes, MarketplaceError> {
    if !matches!(real.scheme(), "https" | "http") {
        return Err(MarketplaceError::malformed(
            "the label `file_url` is not an HTTP link",
        ));
    }
    // The key goes only where it belongs: a link on the Seller API host itself gets it.
    let own_host = real.host_str() == Some(crate::API_HOST);
    let target = c.http().hosts().rebase(real)?;
    let request = ApiRequest::get(Operation::FetchLabel, DOWNLOAD_CLASS, target);
    let auth = own_host.then_some(c.auth());
    let response = c
        .http()
        .send_classified(request, auth, &DownloadClassifier)
        .await?;
    Ok(response.body)
}

/// `/v3/posting/fbs/package-label/create`. Right after this connector assembled the posting it
/// may still be on its way to `awaiting_deliver`, and Ozon refuses labels for it with
/// `INVALID_ARGUMENT` or `NO_POSTINGS_FOR_BATCH_DOWNLOAD` ("Errors" section,
/// /v2/posting/fbs/package-label; Ozon advises asking 45-60 s after assembly): then those are
/// transient and the kit's backoff waits. Otherwise they are the permanent errors they say.
#[derive(Debug)]
pub struct LabelCreateClassifier {
    pub assembled_now: bool,
}

impl ResponseClassifier for LabelCreateClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        match parse_error(r) {
            Err(e)
                if self.assembled_now
                    && e.kind() == ErrorKind::Permanent
                    && (e.message().contains("INVALID_ARGUMENT")
                        || e.message().contains("NO_POSTINGS_FOR_BATCH_DOWNLOAD")) =>
            {
                Err(MarketplaceError::transient(format!(
                    "the posting is not ready for labels yet: {}",
                    e.message()
                )))
            }
            other => other,
        }
    }
}

/// `/v2/posting/fbs/package-label/get`: ready only when `completed`.
#[derive(Debug)]
pub struct LabelTaskClassifier;

impl ResponseClassifier for LabelTaskClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        parse_error(r)?;
        let answer: LabelGetResponse = decode_json(&r.body)?;
        let Some(status) = answer.status else {
            return Err(MarketplaceError::malformed(format!(
                "{LABEL_GET_PATH} answered without `status`"
            )));
        };
        match status.code.as_str() {
            "completed" => Ok(()),
            "pending" | "in_progress" => Err(MarketplaceError::transient(format!(
                "the label task is {}",
                status.code
            ))),
            "error" => {
                let reason = answer
                    .error
                    .and_then(|e| e.message.or(e.code))
                    .filter(|e| !e.trim().is_empty())
                    .unwrap_or_else(|| "no reason given".to_owned());
                Err(MarketplaceError::permanent(format!(
                    "Ozon could not make the label: {reason}"
                )))
            }
            other => Err(MarketplaceError::malformed(format!(
                "{LABEL_GET_PATH} answered the unknown status `{other}`"
            ))),
        }
    }
}

/// The label file: a PDF, or an error from the CDN (an expired link is permanent: a new task
/// makes a new one).
#[derive(Debug)]
pub struct DownloadClassifier;

impl ResponseClassifier for DownloadClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        let status = r.status.as_u16();
        if r.status.is_success() {
            if r.body.starts_with(b"%PDF") {
                return Ok(());
            }
            return Err(MarketplaceError::malformed("the label file is not a PDF"));
        }
        let message = format!("the label file download answered HTTP {status}");
        Err(match status {
            429 => MarketplaceError::rate_limited(None, message),
            500..=599 => MarketplaceError::transient(message),
            _ => MarketplaceError::permanent(message),
        }
        .with_status(status))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn task(body: &str) -> Result<(), MarketplaceError> {
        LabelTaskClassifier.classify(&RawResponse::new(200, "application/json", body.to_owned()))
    }

    #[test]
    fn the_task_is_polled_until_completed() {
        assert!(task(r#"{"status":{"code":"completed"},"file_url":"https://cdn1.ozone.ru/s3/sc-temporary/e6/0c/x.pdf"}"#).is_ok());
        for waiting in ["pending", "in_progress"] {
            let e = task(&format!(
                r#"{{"status":{{"code":"{waiting}"}},"file_url":""}}"#
            ))
            .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Transient, "{waiting}");
        }
        let e = task(r#"{"status":{"code":"error"},"file_url":"","error":{"code":"POSTING_NOT_READY","message":"POSTING_NOT_READY"}}"#)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Permanent);
        assert!(e.message().contains("POSTING_NOT_READY"));
        assert_eq!(
            task(r#"{"status":{"code":"queued"}}"#).unwrap_err().kind(),
            ErrorKind::Malformed
        );
        assert_eq!(task(r#"{}"#).unwrap_err().kind(), ErrorKind::Malformed);
        // Platform errors keep their own kind.
        let throttled = LabelTaskClassifier
            .classify(&RawResponse::new(
                429,
                "application/json",
                r#"{"code":8,"message":"You have reached request rate limit per second"}"#,
            ))
            .unwrap_err();
        assert_eq!(throttled.kind(), ErrorKind::RateLimited);
    }

    #[test]
    fn labels_refused_right_after_assembly_are_awaited() {
        let refused = |message: &str| {
            RawResponse::new(
                400,
                "application/json",
                format!(r#"{{"code":3,"message":"{message}","details":[]}}"#),
            )
        };
        let fresh = LabelCreateClassifier {
            assembled_now: true,
        };
        let earlier = LabelCreateClassifier {
            assembled_now: false,
        };
        for message in ["INVALID_ARGUMENT", "NO_POSTINGS_FOR_BATCH_DOWNLOAD"] {
            let r = refused(message);
            assert_eq!(fresh.classify(&r).unwrap_err().kind(), ErrorKind::Transient);
            assert_eq!(
                earlier.classify(&r).unwrap_err().kind(),
                ErrorKind::Permanent
            );
        }
        let cancelled = refused("POSTING_ALREADY_CANCELLED");
        assert_eq!(
            fresh.classify(&cancelled).unwrap_err().kind(),
            ErrorKind::Permanent
        );
        let ok = RawResponse::new(200, "application/json", r#"{"tasks":[]}"#);
        assert!(fresh.classify(&ok).is_ok());
    }

    #[test]
    fn the_download_must_be_a_pdf() {
        let ok = RawResponse::new(200, "application/pdf", "%PDF-1.4\n...");
        assert!(DownloadClassifier.classify(&ok).is_ok());
        let html = RawResponse::new(200, "text/html", "<html>");
        assert_eq!(
            DownloadClassifier.classify(&html).unwrap_err().kind(),
            ErrorKind::Malformed
        );
        for (status, kind) in [
            (403, ErrorKind::Permanent),
            (404, ErrorKind::Permanent),
            (429, ErrorKind::RateLimited),
            (503, ErrorKind::Transient),
        ] {
            let r = RawResponse::new(status, "application/xml", "<Error/>");
            assert_eq!(DownloadClassifier.classify(&r).unwrap_err().kind(), kind);
        }
    }

    #[test]
    fn file_urls() {
        let r = RawResponse::new(
            200,
            "application/json",
            r#"{"status":{"code":"completed"},"file_url":"https://cdn1.ozone.ru/s3/sc-temporary/e6/0c/e60cdfd7.pdf"}"#,
        );
        assert_eq!(
            file_url(&r).unwrap().as_str(),
            "https://cdn1.ozone.ru/s3/sc-temporary/e6/0c/e60cdfd7.pdf"
        );
        let r = RawResponse::new(
            200,
            "application/json",
            r#"{"result":{"status":"completed"}}"#,
        );
        assert_eq!(file_url(&r).unwrap_err().kind(), ErrorKind::Malformed);
    }
}
