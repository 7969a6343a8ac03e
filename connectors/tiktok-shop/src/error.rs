//! The single `parse_error` of the TikTok Shop connector.
//!
//! Every answer is the envelope `{code, message, request_id, data}` and `code` decides: 0 is
//! success, whatever the HTTP status says, and business errors usually come with status 200.
//! The status is only the fallback for bodies that are not the envelope (gateway pages).
//! Code groups: `105xxx` are access-token errors, `36004xxx` token-endpoint errors,
//! `36009xxx` gateway errors, 8-digit codes from `11`/`21` the fulfillment module.

use connector_kit::{RawResponse, ResponseClassifier};
use core_model::MarketplaceError;
use serde::Deserialize;

/// Too many requests (gateway error table; often with HTTP 429).
pub const TOO_MANY_REQUESTS: i64 = 36009002;
/// Internal error: retry (gateway error table).
pub const INTERNAL_ERROR: i64 = 36009003;
/// "Invalid param error" in the gateway table; also what a bad access token, app key or
/// timestamp gets, which only the message tells apart.
pub const INVALID_PARAMS: i64 = 36009004;
/// The access token is invalid (third-party reports).
pub const INVALID_ACCESS_TOKEN: i64 = 105001;
/// "access token is expired, please refresh it".
pub const ACCESS_TOKEN_EXPIRED: i64 = 105002;
/// "you should apply auth pkg for this api": a scope the seller did not grant.
pub const SCOPE_NOT_GRANTED: i64 = 105005;
/// A wrong `sign` (third-party reports).
pub const INVALID_SIGN: i64 = 106001;
/// Token endpoint: "rt has expired".
pub const REFRESH_TOKEN_EXPIRED: i64 = 36004001;
/// Token endpoint: "can not find related auth record".
pub const AUTH_RECORD_NOT_FOUND: i64 = 36004005;
/// Get Package Shipping Document: the document is still being generated.
pub const DOCUMENT_GENERATING: i64 = 11034037;

#[derive(Deserialize)]
struct ErrorBody {
    code: i64,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
}

/// Classifies every TikTok Shop answer; the label and tracking flows wrap it.
#[derive(Debug, Default)]
pub struct TiktokClassifier;

impl ResponseClassifier for TiktokClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        parse_error(r)
    }
}

/// Success, or the classified platform error of `r`.
pub fn parse_error(r: &RawResponse) -> Result<(), MarketplaceError> {
    let status = r.status.as_u16();
    if let Some(body) = error_body(r) {
        if body.code != 0 {
            let message = body
                .message
                .filter(|m| !m.trim().is_empty())
                .unwrap_or_else(|| format!("TikTok Shop error {}", body.code));
            let mut err = classify_code(body.code, &message)
                .with_code(body.code.to_string())
                .with_status(status);
            if let Some(id) = body.request_id.filter(|id| !id.is_empty()) {
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
        401 => Err(MarketplaceError::unauthorized("credentials refused").with_status(status)),
        500..=599 => {
            Err(MarketplaceError::transient("TikTok Shop server error").with_status(status))
        }
        _ => Err(
            MarketplaceError::permanent(format!("unexpected HTTP status {status}"))
                .with_status(status),
        ),
    }
}

/// The envelope's `code`, when the body is TikTok Shop JSON.
fn error_body(r: &RawResponse) -> Option<ErrorBody> {
    let looks_json = r.is_json() || r.body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if !looks_json {
        return None;
    }
    serde_json::from_slice(&r.body).ok()
}

/// The kind of one non-zero `code`.
pub fn classify_code(code: i64, message: &str) -> MarketplaceError {
    match code {
        TOO_MANY_REQUESTS => MarketplaceError::rate_limited(None, message),
        INTERNAL_ERROR | DOCUMENT_GENERATING => MarketplaceError::transient(message),
        INVALID_ACCESS_TOKEN | ACCESS_TOKEN_EXPIRED => MarketplaceError::unauthorized(message),
        REFRESH_TOKEN_EXPIRED | AUTH_RECORD_NOT_FOUND => {
            MarketplaceError::unauthorized(format!("the seller must re-authorize: {message}"))
        }
        // The gateway uses one code for every bad parameter, the token among them; refreshing
        // helps only when the message names the token.
        INVALID_PARAMS if mentions_access_token(message) => MarketplaceError::unauthorized(message),
        // A missing scope or a wrong signature cannot be fixed by a new access token.
        _ => MarketplaceError::permanent(message),
    }
}

fn mentions_access_token(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("access_token") || m.contains("access token")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::ErrorKind;

    fn resp(status: u16, body: &str) -> RawResponse {
        RawResponse::new(status, "application/json", body.to_owned())
    }

    fn kind(status: u16, body: &str) -> ErrorKind {
        parse_error(&resp(status, body)).unwrap_err().kind()
    }

    #[test]
    fn the_code_decides_whatever_the_status() {
        let e = parse_error(&resp(
            200,
            r#"{"code":105002,"message":"access token is expired, please refresh it","request_id":"20241203004336CF1A955E95622E054EF3","data":{}}"#,
        ))
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
        assert_eq!(
            (e.code(), e.request_id(), e.status()),
            (
                Some("105002"),
                Some("20241203004336CF1A955E95622E054EF3"),
                Some(200)
            )
        );
        assert_eq!(
            kind(429, r#"{"code":36009002,"message":"Too many requests"}"#),
            ErrorKind::RateLimited
        );
        assert_eq!(
            kind(200, r#"{"code":36009003,"message":"Internal error"}"#),
            ErrorKind::Transient
        );
        assert_eq!(
            kind(401, r#"{"code":105001,"message":"Invalid credentials."}"#),
            ErrorKind::Unauthorized
        );
        assert_eq!(
            kind(
                400,
                r#"{"code":36009004,"message":"Invalid credentials. The access_token is invalid or expired."}"#
            ),
            ErrorKind::Unauthorized
        );
        assert_eq!(
            kind(
                400,
                r#"{"code":36009004,"message":"Invalid param error: page_size must be between 1 and 100."}"#
            ),
            ErrorKind::Permanent
        );
        assert_eq!(
            kind(
                200,
                r#"{"code":105005,"message":"you should apply auth pkg for this api"}"#
            ),
            ErrorKind::Permanent
        );
        assert_eq!(
            kind(401, r#"{"code":106001,"message":"Invalid sign."}"#),
            ErrorKind::Permanent
        );
        assert_eq!(
            kind(200, r#"{"code":36004001,"message":"rt has expired"}"#),
            ErrorKind::Unauthorized
        );
        assert_eq!(
            kind(200, r#"{"code":21011001,"message":"Package not found."}"#),
            ErrorKind::Permanent
        );
        assert_eq!(
            kind(
                200,
                r#"{"code":11034037,"message":"Shipping document is generating."}"#
            ),
            ErrorKind::Transient
        );
    }

    #[test]
    fn status_is_the_fallback() {
        assert!(parse_error(&resp(200, r#"{"code":0,"message":"Success","data":{}}"#)).is_ok());
        assert_eq!(kind(502, "<html>bad gateway</html>"), ErrorKind::Transient);
        assert_eq!(kind(503, r#"{"code":0}"#), ErrorKind::Transient);
        assert_eq!(kind(429, ""), ErrorKind::RateLimited);
        assert_eq!(kind(404, "not found"), ErrorKind::Permanent);
        let pdf = RawResponse::new(200, "application/pdf", "%PDF-1.4");
        assert!(parse_error(&pdf).is_ok());
    }
}
