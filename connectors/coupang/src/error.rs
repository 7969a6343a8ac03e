//! The single `parse_error` of the Coupang connector.
//!
//! Two kinds of error body reach us. The API gateway answers authentication and transport
//! failures itself with `{"code":"ERROR","message":"...","transactionId":"..."}` (401 for a bad,
//! unknown or expired HMAC; 504/521 for timeouts behind it). The Wing APIs answer validation
//! errors with their own `{"code":400,"message":"Invalid vendor ID"}`, where `code` repeats the
//! HTTP status. Per-item results of the acknowledgement and invoice APIs come with HTTP 200 and
//! are read by `tracking.rs`, not here.
//! <https://developers.coupangcorp.com/hc/ko/articles/360022935394> (401),
//! <https://developers.coupangcorp.com/hc/ko/articles/25780974599577> (403),
//! <https://developers.coupangcorp.com/hc/en-us/articles/20414599556889> (rate limit, 429).

use connector_kit::{RawResponse, ResponseClassifier};
use core_model::MarketplaceError;
use serde::Deserialize;

/// Gateway message: the signature does not match the request (wrong secret key, or a path or
/// query signed differently from what was sent).
pub const INVALID_SIGNATURE: &str = "Invalid signature.";
/// Gateway message: `signed-date` is outside the gateway's window (clock skew, a re-sent
/// signature).
pub const SIGNATURE_EXPIRED: &str = "Specified signature is expired.";
/// Gateway message: the `Authorization` header is not in the CEA format.
pub const HMAC_FORMAT_INVALID: &str = "HMAC format is invalid.";
/// Gateway message: no `Authorization` header at all.
pub const NOT_AUTHORIZED: &str = "Request is not authorized.";
/// Gateway message for an access key it does not know (a deleted or expired OPEN API key).
pub const UNKNOWN_KEY: &str =
    "Unknown error occurred, please contact api-gateway channel for the details.";

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<String>,
    /// Some Wing APIs put the detailed reason here (`errorMessage`), beside `message`.
    #[serde(default, rename = "errorMessage")]
    error_message: Option<String>,
    #[serde(default, rename = "transactionId")]
    transaction_id: Option<String>,
}

/// `parse_error` as the kit's classifier for every Wing call.
#[derive(Debug, Default, Clone, Copy)]
pub struct CoupangClassifier;

impl ResponseClassifier for CoupangClassifier {
    fn classify(&self, response: &RawResponse) -> Result<(), MarketplaceError> {
        parse_error(response)
    }
}

/// Success, or the classified error of one Wing response.
pub fn parse_error(r: &RawResponse) -> Result<(), MarketplaceError> {
    let http_status = r.status.as_u16();
    let body: Option<ErrorBody> = serde_json::from_slice(&r.body).ok();
    let body_code = body.as_ref().and_then(|b| b.code.as_ref()).map(code_text);
    let status = if r.status.is_success() {
        // A 2xx whose envelope carries an error code (`"code":400` or `"code":"ERROR"`).
        match body_code.as_deref() {
            Some("ERROR") => 500,
            Some(code) => match code.parse::<u16>() {
                Ok(code) if code >= 400 => code,
                _ => return Ok(()),
            },
            None => return Ok(()),
        }
    } else {
        http_status
    };
    let message = body
        .as_ref()
        .and_then(|b| {
            [b.error_message.as_deref(), b.message.as_deref()]
                .into_iter()
                .flatten()
                .map(str::trim)
                .find(|m| !m.is_empty())
        })
        .map(str::to_owned)
        .unwrap_or_else(|| fallback_message(r));
    let err = match status {
        401 => MarketplaceError::unauthorized(message),
        // The CDN's HTML "Access Denied" is a temporary block after many errors per second;
        // "Not allowed IP" needs the seller to register this host's IP in Wing.
        403 if message.contains("Not allowed IP") => MarketplaceError::permanent(message),
        403 | 429 => MarketplaceError::rate_limited(None, message),
        408 | 500..=599 => MarketplaceError::transient(message),
        // 400 validation, 404, 410 (API retired), 412 (API not deployed), 423, redirects (an
        // IP or vendor blocked by the system answers 302).
        _ => MarketplaceError::permanent(message),
    };
    let err = err.with_status(http_status);
    let err = match body_code {
        Some(code) if code != http_status.to_string() => err.with_code(code),
        _ => err,
    };
    Err(
        match body
            .and_then(|b| b.transaction_id)
            .filter(|t| !t.is_empty())
        {
            Some(id) => err.with_request_id(id),
            None => err,
        },
    )
}

fn code_text(code: &serde_json::Value) -> String {
    match code {
        serde_json::Value::String(s) => s.trim().to_owned(),
        other => other.to_string(),
    }
}

/// A message for bodies that are not a Coupang envelope (the CDN's HTML pages, empty bodies).
fn fallback_message(r: &RawResponse) -> String {
    let status = r.status.as_u16();
    if std::str::from_utf8(&r.body).is_ok_and(|t| t.contains("Access Denied")) {
        format!("HTTP {status} Access Denied (temporarily blocked by the gateway)")
    } else {
        format!("HTTP {status} without a Coupang error body")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::ErrorKind;

    fn resp(status: u16, body: &str) -> RawResponse {
        RawResponse::new(status, "application/json;charset=UTF-8", body.to_owned())
    }

    fn kind(status: u16, body: &str) -> ErrorKind {
        parse_error(&resp(status, body)).unwrap_err().kind()
    }

    #[test]
    fn gateway_auth_errors_are_unauthorized_with_the_transaction_id() {
        for message in [
            INVALID_SIGNATURE,
            SIGNATURE_EXPIRED,
            HMAC_FORMAT_INVALID,
            NOT_AUTHORIZED,
            UNKNOWN_KEY,
        ] {
            let body = serde_json::json!({
                "code": "ERROR",
                "message": message,
                "transactionId": "2d2ccd2b-2e3f-480b-966d-e9ceedaaa91f"
            })
            .to_string();
            let e = parse_error(&resp(401, &body)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Unauthorized);
            assert_eq!(e.message(), message);
            assert_eq!(e.code(), Some("ERROR"));
            assert_eq!(e.status(), Some(401));
            assert_eq!(e.request_id(), Some("2d2ccd2b-2e3f-480b-966d-e9ceedaaa91f"));
        }
    }

    #[test]
    fn wing_validation_errors_are_permanent() {
        let e =
            parse_error(&resp(400, r#"{"code":400,"message":"Invalid vendor ID"}"#)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Permanent);
        assert_eq!(e.message(), "Invalid vendor ID");
        assert_eq!(e.code(), None, "a code that repeats the status is not kept");
        assert_eq!(
            kind(
                400,
                r#"{"code":400,"message":"endTime-startTime range should less than31."}"#
            ),
            ErrorKind::Permanent
        );
        assert_eq!(kind(404, ""), ErrorKind::Permanent);
        assert_eq!(kind(410, ""), ErrorKind::Permanent);
        assert_eq!(kind(302, ""), ErrorKind::Permanent);
        // A 2xx envelope that carries an error code is an error too.
        assert_eq!(
            kind(200, r#"{"code":400,"message":"Invalid vendor ID"}"#),
            ErrorKind::Permanent
        );
        assert!(parse_error(&resp(200, r#"{"code":200,"message":"OK","data":[]}"#)).is_ok());
        assert!(parse_error(&resp(200, r#"{"code":"200","message":"OK","data":{}}"#)).is_ok());
        assert!(parse_error(&resp(200, "")).is_ok());
    }

    #[test]
    fn throttles_blocks_and_server_errors() {
        assert_eq!(
            kind(429, r#"{"code":"ERROR","message":"Too many requests"}"#),
            ErrorKind::RateLimited
        );
        let html = "<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\n</BODY>\n</HTML>\n";
        let e = parse_error(&RawResponse::new(403, "text/html", html)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert!(e.message().contains("Access Denied"));
        assert_eq!(
            kind(
                403,
                r#"{"code":"ERROR","message":"[FORBIDDEN] Not allowed IP"}"#
            ),
            ErrorKind::Permanent
        );
        let e = parse_error(&resp(
            504,
            r#"{"code":"ERROR","message":"Request timed out, if the situation continues consider applying timeout extension."}"#,
        ))
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Transient);
        assert_eq!(
            kind(
                521,
                r#"{"code":"ERROR","message":"connection timed out: aws-openapi.coupang.net/10.211.51.172:80"}"#
            ),
            ErrorKind::Transient
        );
        assert_eq!(kind(500, "Internal Server Error"), ErrorKind::Transient);
        assert_eq!(
            kind(200, r#"{"code":"ERROR","message":"x"}"#),
            ErrorKind::Transient
        );
    }
}
