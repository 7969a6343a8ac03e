//! The single `parse_error` of the Lazada connector.
//!
//! Lazada answers HTTP 200 with a JSON envelope whose `code` is `"0"` on success; errors carry
//! `type` (`ISV` caller, `ISP` platform, `SYSTEM` gateway), `code` and `message`
//! (https://open.lazada.com/apps/doc/doc?nodeId=10449&docId=108138). The body decides; the
//! HTTP status is only the fallback for bodies that are not Lazada JSON (gateway pages).
//! The fulfillment APIs nest a second envelope (`result.success`, `result.error_code`), which
//! [`result_error`] classifies with the same table.

use std::time::Duration;

use connector_kit::{RawResponse, ResponseClassifier};
use core_model::MarketplaceError;
use serde::Deserialize;

use crate::model::{opt_text, FulfillResult};

/// Gateway throttles: the per-API call limit, and the server-side speed limit.
const THROTTLE_CODES: &[&str] = &["ApiCallLimit", "AppCallLimit", "901"];
/// The seller's token is invalid or expired (refresh), or the refresh token is (re-authorize).
const TOKEN_CODES: &[&str] = &["IllegalAccessToken", "IllegalRefreshToken"];
/// "System error", "OMS Api Error Occurred", "RPC_ERROR", "GET_LOCK_FAILED": try again later.
const TRANSIENT_CODES: &[&str] = &["6", "21", "40011", "700024"];

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default, deserialize_with = "opt_text")]
    code: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "opt_text")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    message: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    request_id: Option<String>,
}

/// Classifies every Lazada answer; wrapped by the fulfillment and download classifiers.
#[derive(Debug, Default)]
pub struct LazadaClassifier;

impl ResponseClassifier for LazadaClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        parse_error(r)
    }
}

/// Success, or the classified platform error of `r`.
pub fn parse_error(r: &RawResponse) -> Result<(), MarketplaceError> {
    let status = r.status.as_u16();
    if let Some(body) = error_body(r) {
        if let Some(code) = body.code.filter(|c| c != "0") {
            let message = body.message.unwrap_or_default();
            let mut err = classify_code(&code, body.kind.as_deref(), &message)
                .with_code(code)
                .with_status(status);
            if let Some(id) = body.request_id {
                err = err.with_request_id(id);
            }
            return Err(err);
        }
    }
    match status {
        200..=299 => Ok(()),
        429 => Err(
            MarketplaceError::rate_limited(None, "throttled by the gateway").with_status(status),
        ),
        500..=599 => Err(MarketplaceError::transient("Lazada server error").with_status(status)),
        _ => Err(
            MarketplaceError::permanent(format!("unexpected HTTP status {status}"))
                .with_status(status),
        ),
    }
}

pub(crate) fn looks_json(r: &RawResponse) -> bool {
    r.is_json() || r.body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

fn error_body(r: &RawResponse) -> Option<ErrorBody> {
    if !looks_json(r) {
        return None;
    }
    serde_json::from_slice(&r.body).ok()
}

/// The kind of one Lazada error code. `kind` is the envelope's `type`.
pub fn classify_code(code: &str, kind: Option<&str>, message: &str) -> MarketplaceError {
    let text = if message.is_empty() {
        code.to_owned()
    } else {
        message.to_owned()
    };
    if THROTTLE_CODES.contains(&code) {
        // "901: Limit service request speed in server side temporarily": retry after 1 s.
        let wait = ban_seconds(message).or((code == "901").then_some(Duration::from_secs(1)));
        return MarketplaceError::rate_limited(wait, text);
    }
    if TOKEN_CODES.contains(&code) {
        return MarketplaceError::unauthorized(text);
    }
    if TRANSIENT_CODES.contains(&code) || kind == Some("ISP") {
        return MarketplaceError::transient(text);
    }
    MarketplaceError::permanent(text)
}

/// `ApiCallLimit` messages say how long the ban lasts ("... this ban will last 1 seconds").
fn ban_seconds(message: &str) -> Option<Duration> {
    let lower = message.to_ascii_lowercase();
    let at = lower.find("ban will last")?;
    let rest = &lower[at + "ban will last".len()..];
    let digits: String = rest
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok().map(Duration::from_secs)
}

/// A fulfillment `result` whose `success` is false, as an error.
pub fn result_error<T>(result: &FulfillResult<T>) -> Result<(), MarketplaceError> {
    if result.success != Some(false) {
        return Ok(());
    }
    let code = result.code().unwrap_or("result_failed");
    let message = result.message().unwrap_or("the batch was not processed");
    Err(classify_code(code, None, message).with_code(code))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::ErrorKind;

    fn resp(status: u16, body: &str) -> RawResponse {
        RawResponse::new(status, "application/json;charset=UTF-8", body.to_owned())
    }

    fn kind(body: &str) -> ErrorKind {
        parse_error(&resp(200, body)).unwrap_err().kind()
    }

    #[test]
    fn code_zero_is_success() {
        assert!(parse_error(&resp(200, r#"{"code":"0","data":{},"request_id":"x"}"#)).is_ok());
        assert!(parse_error(&resp(200, r#"{"code":0,"data":{}}"#)).is_ok());
        assert!(parse_error(&resp(200, r#"{"access_token":"a","code":"0"}"#)).is_ok());
    }

    #[test]
    fn throttles_are_rate_limited_with_the_ban_length() {
        let e = parse_error(&resp(
            200,
            r#"{"type":"ISV","code":"ApiCallLimit","message":"The request has exceeded the limit, this ban will last 1 seconds","request_id":"0ba2887315178178017221014"}"#,
        ))
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(e.retry_after(), Some(Duration::from_secs(1)));
        assert_eq!(e.code(), Some("ApiCallLimit"));
        assert_eq!(e.request_id(), Some("0ba2887315178178017221014"));
        let speed = parse_error(&resp(
            200,
            r#"{"type":"SYSTEM","code":"901","message":"Limit service request speed in server side temporarily"}"#,
        ))
        .unwrap_err();
        assert_eq!(speed.kind(), ErrorKind::RateLimited);
        assert_eq!(speed.retry_after(), Some(Duration::from_secs(1)));
        assert_eq!(
            kind(
                r#"{"type":"ISV","code":"ApiCallLimit","message":"The request has exceeded the limit"}"#
            ),
            ErrorKind::RateLimited
        );
    }

    #[test]
    fn token_errors_are_unauthorized() {
        assert_eq!(
            kind(
                r#"{"type":"ISV","code":"IllegalAccessToken","message":"The specified access token is invalid or expired","request_id":"0b86d3f015178178026225876"}"#
            ),
            ErrorKind::Unauthorized
        );
        assert_eq!(
            kind(
                r#"{"type":"ISV","code":"IllegalRefreshToken","message":"refresh token is invalid"}"#
            ),
            ErrorKind::Unauthorized
        );
    }

    #[test]
    fn other_codes() {
        assert_eq!(
            kind(
                r#"{"type":"ISV","code":"IncompleteSignature","message":"The request signature does not conform to platform standards"}"#
            ),
            ErrorKind::Permanent
        );
        assert_eq!(
            kind(r#"{"type":"ISV","code":"17","message":"E017: Invalid Date Format"}"#),
            ErrorKind::Permanent
        );
        assert_eq!(
            kind(
                r#"{"type":"ISV","code":"SellerNotVerified","message":"Seller not verified,please check seller status"}"#
            ),
            ErrorKind::Permanent
        );
        assert_eq!(
            kind(r#"{"type":"ISP","code":"6","message":"E006: System Error"}"#),
            ErrorKind::Transient
        );
        assert_eq!(
            kind(r#"{"type":"ISP","code":"ServiceTimeout","message":"timeout"}"#),
            ErrorKind::Transient
        );
    }

    #[test]
    fn status_is_the_fallback() {
        assert_eq!(
            parse_error(&RawResponse::new(
                502,
                "text/html",
                "<html>Bad Gateway</html>"
            ))
            .unwrap_err()
            .kind(),
            ErrorKind::Transient
        );
        assert_eq!(
            parse_error(&RawResponse::new(429, "text/plain", ""))
                .unwrap_err()
                .kind(),
            ErrorKind::RateLimited
        );
        assert_eq!(
            parse_error(&RawResponse::new(404, "text/plain", "not found"))
                .unwrap_err()
                .kind(),
            ErrorKind::Permanent
        );
        assert!(parse_error(&RawResponse::new(200, "application/pdf", "%PDF-1.4")).is_ok());
    }

    #[test]
    fn failed_results_are_errors() {
        let failed: FulfillResult<()> = serde_json::from_str(
            r#"{"success":false,"error_code":"700022","error_msg":"batch size out of limit"}"#,
        )
        .unwrap();
        let e = result_error(&failed).unwrap_err();
        assert_eq!((e.kind(), e.code()), (ErrorKind::Permanent, Some("700022")));
        let busy: FulfillResult<()> =
            serde_json::from_str(r#"{"success":"false","errorCode":"700024","errorMsg":"failed get lock,pls try later"}"#)
                .unwrap();
        assert_eq!(
            result_error(&busy).unwrap_err().kind(),
            ErrorKind::Transient
        );
        let ok: FulfillResult<()> =
            serde_json::from_str(r#"{"success":true,"errorCode":"","errorMsg":""}"#).unwrap();
        assert!(result_error(&ok).is_ok());
    }
}
