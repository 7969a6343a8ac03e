//! The single `parse_error` of eBay REST responses.
//!
//! Every error body is the common envelope `{"errors":[{errorId, domain, category, message,
//! longMessage, ...}]}`. eBay's quotas are daily call limits; going over them answers HTTP 429
//! with errorId 2001 (domain `ACCESS`, "Too many requests." / "The request limit has been
//! reached for the resource.", the common-errors table of "Using eBay RESTful APIs"). No
//! `Retry-After` is documented; the kit's backoff decides, and honours the header if sent.
//! 401 (errorId 1001 "Invalid access token", also sent for an expired token) lets the kit
//! refresh once; 5xx (errorId 30500 "System error") is transient; any other 4xx is a
//! permanent rejection of the request.

use connector_kit::{RawResponse, ResponseClassifier};
use core_model::MarketplaceError;

use crate::model::{ErrorDetail, ErrorResponse};

/// eBay's throttle answer: "Too many requests." (HTTP 429, domain ACCESS).
pub const TOO_MANY_REQUESTS: i64 = 2001;
/// "Invalid access token" (HTTP 401, domain OAuth).
pub const INVALID_ACCESS_TOKEN: i64 = 1001;

/// `parse_error` as the kit's classifier for every eBay API call.
#[derive(Debug, Default, Clone, Copy)]
pub struct EbayClassifier;

impl ResponseClassifier for EbayClassifier {
    fn classify(&self, response: &RawResponse) -> Result<(), MarketplaceError> {
        parse_error(response)
    }
}

/// The first error of the envelope, if the body is one.
pub fn first_error(response: &RawResponse) -> Option<ErrorDetail> {
    serde_json::from_slice::<ErrorResponse>(&response.body)
        .ok()?
        .errors
        .into_iter()
        .next()
}

/// The error's text: `message`, with `longMessage` when it says more.
fn text_of(e: &ErrorDetail) -> String {
    let message = e.message.clone().unwrap_or_default();
    match e.long_message.as_deref().map(str::trim) {
        Some(long) if !long.is_empty() && long != message.trim() => {
            if message.is_empty() {
                long.to_owned()
            } else {
                format!("{message} ({long})")
            }
        }
        _ => message,
    }
}

/// Classify one eBay response: `Ok` for 2xx, otherwise the error kind the caller acts on.
pub fn parse_error(response: &RawResponse) -> Result<(), MarketplaceError> {
    if response.status.is_success() {
        return Ok(());
    }
    let status = response.status.as_u16();
    let detail = first_error(response);
    let code = detail.as_ref().and_then(|e| e.error_id);
    let message = detail
        .as_ref()
        .map(text_of)
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| format!("HTTP {status} without an eBay error body"));
    let mut err = if status == 429 || code == Some(TOO_MANY_REQUESTS) {
        MarketplaceError::rate_limited(None, message)
    } else if status == 401 || code == Some(INVALID_ACCESS_TOKEN) {
        MarketplaceError::unauthorized(message)
    } else if response.status.is_server_error() {
        MarketplaceError::transient(message)
    } else {
        MarketplaceError::permanent(message)
    };
    err = err.with_status(status);
    if let Some(code) = code {
        err = err.with_code(code.to_string());
    }
    Err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use core_model::ErrorKind;

    fn response(status: u16, body: &str) -> RawResponse {
        RawResponse::new(status, "application/json", body.to_owned())
    }

    #[test]
    fn throttle_is_rate_limited_by_status_or_error_id() {
        let body = r#"{"errors":[{"errorId":2001,"domain":"ACCESS","category":"REQUEST","message":"Too many requests.","longMessage":"The request limit has been reached for the resource."}]}"#;
        let e = parse_error(&response(429, body)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(e.code(), Some("2001"));
        assert_eq!(e.status(), Some(429));
        assert_eq!(
            e.message(),
            "Too many requests. (The request limit has been reached for the resource.)"
        );
        assert!(e.retry_after().is_none());
        // The id alone is enough, and a bare 429 too.
        assert_eq!(
            parse_error(&response(400, body)).unwrap_err().kind(),
            ErrorKind::RateLimited
        );
        assert_eq!(
            parse_error(&response(429, "")).unwrap_err().kind(),
            ErrorKind::RateLimited
        );
    }

    #[test]
    fn classifies_the_other_documented_answers() {
        let expired = r#"{"errors":[{"errorId":1001,"domain":"OAuth","category":"REQUEST","message":"Invalid access token","longMessage":"Invalid access token. Check the value of the Authorization HTTP request header."}]}"#;
        let e = parse_error(&response(401, expired)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
        assert_eq!(e.code(), Some("1001"));
        assert_eq!(
            parse_error(&response(401, "")).unwrap_err().kind(),
            ErrorKind::Unauthorized
        );

        let system = r#"{"errors":[{"errorId":30500,"domain":"API_FULFILLMENT","category":"APPLICATION","message":"System error"}]}"#;
        assert_eq!(
            parse_error(&response(500, system)).unwrap_err().kind(),
            ErrorKind::Transient
        );
        assert_eq!(
            parse_error(&response(503, "<html>")).unwrap_err().kind(),
            ErrorKind::Transient
        );

        let filter = r#"{"errors":[{"errorId":30810,"domain":"API_FULFILLMENT","category":"REQUEST","message":"Invalid date format","longMessage":"Invalid date format"}]}"#;
        let e = parse_error(&response(400, filter)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Permanent);
        assert_eq!(e.message(), "Invalid date format");
        assert_eq!(e.code(), Some("30810"));

        let denied = r#"{"errors":[{"errorId":1100,"domain":"ACCESS","category":"REQUEST","message":"Access denied","longMessage":"Insufficient permissions to fulfill the request."}]}"#;
        assert_eq!(
            parse_error(&response(403, denied)).unwrap_err().kind(),
            ErrorKind::Permanent
        );
        assert!(parse_error(&response(201, "")).is_ok());
        assert!(parse_error(&response(204, "")).is_ok());
    }
}
