//! The single `parse_error` of the Ozon connector.
//!
//! Every Seller API error is an `rpcStatus` body, `{"code": <gRPC code>, "message": "...",
//! "details": []}`, with an HTTP status (400, 403, 404, 409, 429, 500 in the reference). The
//! status alone does not decide: 404 code 5 is both `POSTING_NOT_FOUND` and the refusal of an
//! unknown key (`Invalid Api-Key, please check the key and try again`), so the key refusals of
//! the "Errors" section ("Все методы") are recognised by their text first.

use std::time::Duration;

use connector_kit::{RawResponse, ResponseClassifier};
use core_model::MarketplaceError;
use serde::Deserialize;

/// gRPC `RESOURCE_EXHAUSTED`: the rate limit (`You have reached request rate limit per second`).
pub const CODE_RATE_LIMIT: i64 = 8;
/// gRPC `UNAUTHENTICATED`: `Client-Id and Api-Key headers are required`.
pub const CODE_UNAUTHENTICATED: i64 = 16;

/// The documented answer to more than 50 requests a second per Client-Id (HTTP 429).
pub const RATE_LIMIT_MESSAGE: &str = "You have reached request rate limit per second";
/// The documented refusal of an unknown key (HTTP 404, code 5).
pub const INVALID_KEY_MESSAGE: &str = "Invalid Api-Key, please check the key and try again";
/// A method closed for "a few minutes" after heavy load ("Errors": `Circle is open`).
pub const CIRCLE_IS_OPEN: &str = "Circle is open";
/// How long to stay away from a method whose circuit breaker opened.
pub const CIRCLE_WAIT: Duration = Duration::from_secs(60);
/// Labels asked for too early ("Errors", /v2/posting/fbs/package-label): retry later.
pub const NOT_READY_MESSAGE: &str = "The next postings aren't ready";

/// `rpcStatus`.
#[derive(Debug, Deserialize)]
pub struct RpcStatus {
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub message: Option<String>,
}

/// `parse_error` as the kit's classifier for every Seller API call.
#[derive(Debug, Default, Clone, Copy)]
pub struct OzonClassifier;

impl ResponseClassifier for OzonClassifier {
    fn classify(&self, response: &RawResponse) -> Result<(), MarketplaceError> {
        parse_error(response)
    }
}

/// Success, or the classified error of one Seller API response.
pub fn parse_error(r: &RawResponse) -> Result<(), MarketplaceError> {
    let status = r.status.as_u16();
    if r.status.is_success() {
        return Ok(());
    }
    let body: Option<RpcStatus> = serde_json::from_slice(&r.body).ok();
    let code = body.as_ref().and_then(|b| b.code);
    let message = body
        .and_then(|b| b.message)
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| format!("HTTP {status} without an Ozon error body"));
    let err = classify(status, code, message);
    let err = err.with_status(status);
    Err(match code {
        Some(code) => err.with_code(code.to_string()),
        None => err,
    })
}

fn classify(status: u16, code: Option<i64>, message: String) -> MarketplaceError {
    let lower = message.to_ascii_lowercase();
    // "Invalid Api-Key ...", "Api-key is deactivated ...", "Api-Key is missing a required
    // role for a method", "Api-Key is restricted to specific IP addresses", "Client-Id header
    // value should be positive integer", "Client-Id and Api-Key headers are required": only
    // the seller can fix the key, so these refuse the credentials.
    let about_credentials = lower.contains("api-key") || lower.contains("client-id");
    if about_credentials || code == Some(CODE_UNAUTHENTICATED) || status == 401 {
        return MarketplaceError::unauthorized(message);
    }
    if status == 429 || code == Some(CODE_RATE_LIMIT) {
        // The kit reads `Retry-After` when Ozon sends one.
        return MarketplaceError::rate_limited(None, message);
    }
    if message.contains(CIRCLE_IS_OPEN) {
        return MarketplaceError::rate_limited(Some(CIRCLE_WAIT), message);
    }
    if message.contains(NOT_READY_MESSAGE) || (500..=599).contains(&status) {
        return MarketplaceError::transient(message);
    }
    // 400 (INVALID_ARGUMENT, HAS_INCORRECT_STATUS, ...), 403 `Offer not signed`, 404
    // (POSTING_NOT_FOUND), 409: the same request cannot succeed.
    MarketplaceError::permanent(message)
}

/// True when the error says the posting was assembled already (`/v4/posting/fbs/ship`
/// `POSTING_ALREADY_SHIPPED`): a repeated ship is success.
pub fn is_already_shipped(e: &MarketplaceError) -> bool {
    e.message().contains("POSTING_ALREADY_SHIPPED")
}

/// True when `/v4/posting/fbs/ship` refused the posting's status (`HAS_INCORRECT_STATUS`):
/// it is past assembly (handed over, delivering) or not yet assemblable.
pub fn is_incorrect_status(e: &MarketplaceError) -> bool {
    e.message().contains("HAS_INCORRECT_STATUS")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::ErrorKind;

    fn err(status: u16, body: &str) -> MarketplaceError {
        parse_error(&RawResponse::new(
            status,
            "application/json",
            body.to_owned(),
        ))
        .unwrap_err()
    }

    fn kind(status: u16, body: &str) -> ErrorKind {
        err(status, body).kind()
    }

    #[test]
    fn success_is_success() {
        let ok = RawResponse::new(200, "application/json", r#"{"postings":[]}"#);
        assert!(parse_error(&ok).is_ok());
        let pdf = RawResponse::new(200, "application/pdf", "%PDF-1.4");
        assert!(parse_error(&pdf).is_ok());
    }

    #[test]
    fn key_refusals_are_unauthorized_whatever_the_status() {
        let e = err(
            404,
            r#"{"code":5,"message":"Invalid Api-Key, please check the key and try again","details":[]}"#,
        );
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
        assert_eq!(e.message(), INVALID_KEY_MESSAGE);
        assert_eq!((e.code(), e.status()), (Some("5"), Some(404)));
        for (status, body) in [
            (
                403,
                r#"{"code":7,"message":"Api-key is deactivated, use another one or generate a new one","details":[]}"#,
            ),
            (
                403,
                r#"{"code":7,"message":"Api-Key is missing a required role for a method","details":[]}"#,
            ),
            (
                403,
                r#"{"code":7,"message":"Api-Key is restricted to specific IP addresses","details":[]}"#,
            ),
            (
                400,
                r#"{"code":3,"message":"Client-Id header value should be positive integer"}"#,
            ),
            (
                401,
                r#"{"code":16,"message":"Client-Id and Api-Key headers are required"}"#,
            ),
            (401, ""),
        ] {
            assert_eq!(kind(status, body), ErrorKind::Unauthorized, "{body}");
        }
    }

    #[test]
    fn not_found_is_not_a_key_problem() {
        let e = err(
            404,
            r#"{"code":5,"message":"POSTING_NOT_FOUND","details":[]}"#,
        );
        assert_eq!(e.kind(), ErrorKind::Permanent);
        assert_eq!(e.message(), "POSTING_NOT_FOUND");
    }

    #[test]
    fn throttles() {
        let e = err(
            429,
            r#"{"code":8,"message":"You have reached request rate limit per second","details":[]}"#,
        );
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(e.retry_after(), None);
        assert_eq!(e.code(), Some("8"));
        // The code decides even without the status, and a bare 429 too.
        assert_eq!(
            kind(400, r#"{"code":8,"message":"TOO_MANY_REQUESTS"}"#),
            ErrorKind::RateLimited
        );
        assert_eq!(kind(429, "Too Many Requests"), ErrorKind::RateLimited);
        let circle = err(
            500,
            r#"{"code":13,"message":"Circle is open","details":[]}"#,
        );
        assert_eq!(circle.kind(), ErrorKind::RateLimited);
        assert_eq!(circle.retry_after(), Some(CIRCLE_WAIT));
    }

    #[test]
    fn server_side_and_not_ready_are_transient() {
        assert_eq!(
            kind(
                500,
                r#"{"code":13,"message":"Internal error","details":[]}"#
            ),
            ErrorKind::Transient
        );
        assert_eq!(kind(502, "<html>Bad Gateway</html>"), ErrorKind::Transient);
        assert_eq!(
            kind(
                400,
                r#"{"code":3,"message":"The next postings aren't ready: 58213907-0001-1"}"#
            ),
            ErrorKind::Transient
        );
    }

    #[test]
    fn other_client_errors_are_permanent() {
        for (status, body) in [
            (
                400,
                r#"{"code":3,"message":"HAS_INCORRECT_STATUS","details":[]}"#,
            ),
            (
                400,
                r#"{"code":3,"message":"PERIOD_IS_TOO_LONG","details":[]}"#,
            ),
            (
                403,
                r#"{"code":7,"message":"Offer not signed","details":[]}"#,
            ),
            (409, r#"{"code":6,"message":"Conflict","details":[]}"#),
            (400, "not json"),
        ] {
            assert_eq!(kind(status, body), ErrorKind::Permanent, "{body}");
        }
        let bare = err(400, "");
        assert_eq!(bare.message(), "HTTP 400 without an Ozon error body");
        assert_eq!(bare.code(), None);
    }

    #[test]
    fn ship_answers() {
        let shipped = err(
            400,
            r#"{"code":3,"message":"POSTING_ALREADY_SHIPPED","details":[]}"#,
        );
        assert!(is_already_shipped(&shipped));
        assert!(!is_incorrect_status(&shipped));
        let status = err(
            400,
            r#"{"code":3,"message":"HAS_INCORRECT_STATUS","details":[]}"#,
        );
        assert!(is_incorrect_status(&status));
        assert!(!is_already_shipped(&status));
    }
}
