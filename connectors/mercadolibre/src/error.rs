//! The single `parse_error` of Mercado Libre API responses.
//!
//! Errors come in one envelope, `{"message", "error", "status", "cause": []}`, with a
//! meaningful HTTP status: 429 is the throttle (apps are limited per application and
//! resource; back off and retry, https://developers.mercadolivre.com.br/pt_br/rate-limit-erro-429),
//! 401 an invalid or expired access token (the kit refreshes once), 5xx transient, any other
//! 4xx a rejection of the request. `cause` (strings or `{code, message}` objects) refines the
//! message. The request id comes back in `x-request-id`.

use connector_kit::{RawResponse, ResponseClassifier};
use core_model::MarketplaceError;

use crate::model::ErrorBody;

const REQUEST_ID_HEADER: &str = "x-request-id";

/// `error` codes that mean the token, not the request, is the problem.
const TOKEN_ERRORS: &[&str] = &["invalid_token", "expired_token", "invalid_access_token"];
/// `error` codes of a throttle, whatever the status (`local_rate_limited` on the token endpoint).
const THROTTLE_ERRORS: &[&str] = &["local_rate_limited", "too_many_requests"];

/// `parse_error` as the kit's classifier for every API call.
#[derive(Debug, Default, Clone, Copy)]
pub struct MercadolibreClassifier;

impl ResponseClassifier for MercadolibreClassifier {
    fn classify(&self, response: &RawResponse) -> Result<(), MarketplaceError> {
        parse_error(response)
    }
}

/// The envelope of an error response, if the body is one.
pub fn error_body(response: &RawResponse) -> Option<ErrorBody> {
    let first = response.body.iter().find(|b| !b.is_ascii_whitespace());
    if !(response.is_json() || first == Some(&b'{')) {
        return None;
    }
    serde_json::from_slice(&response.body).ok()
}

/// The envelope's text: `message` (or `error_description`), then the first cause.
pub fn describe(body: &ErrorBody) -> String {
    let mut message = body
        .message
        .clone()
        .or_else(|| body.error_description.clone())
        .filter(|m| !m.trim().is_empty())
        .or_else(|| body.error.clone())
        .unwrap_or_default();
    let cause = body.cause.as_ref().and_then(|c| match c {
        serde_json::Value::Array(items) => items.first().and_then(cause_text),
        other => cause_text(other),
    });
    if let Some(cause) = cause.filter(|c| !c.is_empty() && !message.contains(c.as_str())) {
        if message.is_empty() {
            message = cause;
        } else {
            message = format!("{message} ({cause})");
        }
    }
    message
}

fn cause_text(cause: &serde_json::Value) -> Option<String> {
    match cause {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Object(o) => {
            let code = o.get("code").and_then(|v| v.as_str());
            let message = o.get("message").and_then(|v| v.as_str());
            match (code, message) {
                (Some(c), Some(m)) => Some(format!("{c}: {m}")),
                (c, m) => c.or(m).map(str::to_owned),
            }
        }
        _ => None,
    }
}

/// Classify one response: `Ok` for 2xx, otherwise the error kind the caller acts on.
pub fn parse_error(response: &RawResponse) -> Result<(), MarketplaceError> {
    if response.status.is_success() {
        return Ok(());
    }
    let status = response.status.as_u16();
    let body = error_body(response).unwrap_or_default();
    let code = body.error.clone().filter(|c| !c.trim().is_empty());
    let mut message = describe(&body);
    if message.is_empty() {
        message = format!("HTTP {status} without a Mercado Libre error body");
    }
    let code_is = |set: &[&str]| code.as_deref().is_some_and(|c| set.contains(&c));
    let mut err = if status == 429 || code_is(THROTTLE_ERRORS) {
        MarketplaceError::rate_limited(None, message)
    } else if status == 401 || code_is(TOKEN_ERRORS) {
        MarketplaceError::unauthorized(message)
    } else if response.status.is_server_error() {
        MarketplaceError::transient(message)
    } else {
        MarketplaceError::permanent(message)
    };
    err = err.with_status(status);
    if let Some(code) = code {
        err = err.with_code(code);
    }
    if let Some(id) = response.header(REQUEST_ID_HEADER) {
        err = err.with_request_id(id);
    }
    Err(err)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::ErrorKind;
    use http::HeaderValue;

    fn response(status: u16, body: &str) -> RawResponse {
        RawResponse::new(status, "application/json;charset=UTF-8", body.to_owned())
    }

    fn kind(status: u16, body: &str) -> ErrorKind {
        parse_error(&response(status, body)).unwrap_err().kind()
    }

    #[test]
    fn classifies_the_documented_answers() {
        let mut throttled = response(
            429,
            r#"{"message":"Too many requests","error":"too_many_requests","status":429,"cause":[]}"#,
        );
        throttled
            .headers
            .insert("x-request-id", HeaderValue::from_static("c0ffee-01"));
        let e = parse_error(&throttled).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(e.code(), Some("too_many_requests"));
        assert_eq!(e.request_id(), Some("c0ffee-01"));
        assert_eq!(kind(429, ""), ErrorKind::RateLimited);

        assert_eq!(
            kind(
                401,
                r#"{"message":"invalid access token","error":"not_found","status":401,"cause":[]}"#
            ),
            ErrorKind::Unauthorized
        );
        assert_eq!(
            kind(
                403,
                r#"{"message":"expired token","error":"invalid_token","status":403,"cause":[]}"#
            ),
            ErrorKind::Unauthorized
        );
        assert_eq!(
            kind(
                403,
                r#"{"message":"The caller is not authorized to access this resource","error":"forbidden","status":403,"cause":[]}"#
            ),
            ErrorKind::Permanent
        );
        let e = parse_error(&response(
            400,
            r#"{"message":"Invalid filter","error":"bad_request","status":400,"cause":[{"code":"invalid.date","message":"order.date_last_updated.from is not a valid date"}]}"#,
        ))
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Permanent);
        assert_eq!(
            e.message(),
            "Invalid filter (invalid.date: order.date_last_updated.from is not a valid date)"
        );
        assert_eq!(
            kind(
                404,
                r#"{"message":"Order not found","error":"not_found","status":404,"cause":[]}"#
            ),
            ErrorKind::Permanent
        );
        assert_eq!(
            kind(
                500,
                r#"{"message":"Internal server error","error":"internal_error","status":500,"cause":[]}"#
            ),
            ErrorKind::Transient
        );
        assert_eq!(kind(503, "<html>unavailable</html>"), ErrorKind::Transient);
        assert!(parse_error(&response(200, r#"{"status":"OK"}"#)).is_ok());
        assert!(parse_error(&RawResponse::new(200, "application/pdf", "%PDF-1.4")).is_ok());
    }

    #[test]
    fn causes_may_be_plain_strings() {
        let body: ErrorBody = serde_json::from_str(
            r#"{"message":"","error":"bad_request","cause":["shipment_ids is required"]}"#,
        )
        .unwrap();
        assert_eq!(describe(&body), "bad_request (shipment_ids is required)");
    }
}
