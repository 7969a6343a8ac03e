//! The single `parse_error` of the AliExpress connector.
//!
//! The IOP gateway answers its errors in one of three shapes, all read here:
//! - `/sync` business APIs: `{"error_response":{"type":"ISV","code":"IllegalAccessToken",
//!   "msg":"..","request_id":".."}}` (TOP-era APIs add `sub_code`/`sub_msg`);
//! - `/rest` system APIs: flat `{"type":"ISV","code":"IllegalRefreshToken","message":"..",
//!   "request_id":".."}`, where `code` "0" is success;
//! - a business result that failed: `<method>_response.result.success` (or `result_success`)
//!   false with `error_code`/`error_message` (`result_error_code`/`result_error_desc` on the
//!   logistics APIs).
//!
//! The body decides; the HTTP status is the fallback for bodies that are not gateway JSON.

use std::time::Duration;

use connector_kit::{RawResponse, ResponseClassifier};
use core_model::MarketplaceError;
use serde_json::{Map, Value};

/// Gateway throttles: per-API and per-app call limits (`7` is the TOP-era "App Call Limited").
const THROTTLE_CODES: &[&str] = &["ApiCallLimit", "AppCallLimit", "7"];
/// The access token is invalid or expired (refresh), or the refresh token is (re-authorize);
/// `27` is the TOP-era "Invalid session".
const TOKEN_CODES: &[&str] = &["IllegalAccessToken", "IllegalRefreshToken", "27"];
/// Platform-side failures worth another try.
const TRANSIENT_CODES: &[&str] = &["ServiceUnavailable", "ServiceTimeout", "SYSTEM_ERROR"];

/// Classifies every AliExpress answer.
#[derive(Debug, Default)]
pub struct AliexpressClassifier;

impl ResponseClassifier for AliexpressClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        parse_error(r)
    }
}

/// Success, or the classified platform error of `r`.
pub fn parse_error(r: &RawResponse) -> Result<(), MarketplaceError> {
    let status = r.status.as_u16();
    if let Some(Value::Object(body)) = json_body(r) {
        if let Some(err) = platform_error(&body) {
            return Err(err.with_status(status));
        }
    }
    match status {
        200..=299 => Ok(()),
        429 => Err(
            MarketplaceError::rate_limited(None, "throttled by the gateway").with_status(status),
        ),
        500..=599 => {
            Err(MarketplaceError::transient("AliExpress server error").with_status(status))
        }
        _ => Err(
            MarketplaceError::permanent(format!("unexpected HTTP status {status}"))
                .with_status(status),
        ),
    }
}

fn json_body(r: &RawResponse) -> Option<Value> {
    let looks_json = r.is_json() || r.body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if !looks_json {
        return None;
    }
    serde_json::from_slice(&r.body).ok()
}

/// A string or number field as text; empty is absent.
fn field(map: &Map<String, Value>, key: &str) -> Option<String> {
    let text = match map.get(key)? {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

fn is_false(map: &Map<String, Value>, key: &str) -> bool {
    match map.get(key) {
        Some(Value::Bool(b)) => !b,
        Some(Value::String(s)) => s.trim().eq_ignore_ascii_case("false"),
        _ => false,
    }
}

/// The error a decoded answer carries, if any.
fn platform_error(body: &Map<String, Value>) -> Option<MarketplaceError> {
    if let Some(Value::Object(e)) = body.get("error_response") {
        let code = field(e, "code").unwrap_or_else(|| "error_response".to_owned());
        let message = field(e, "sub_msg")
            .or_else(|| field(e, "msg"))
            .or_else(|| field(e, "message"));
        return Some(error_of(
            &code,
            field(e, "sub_code").as_deref(),
            field(e, "type").as_deref(),
            message,
            field(e, "request_id"),
        ));
    }
    if let Some(code) = field(body, "code").filter(|c| c != "0") {
        return Some(error_of(
            &code,
            None,
            field(body, "type").as_deref(),
            field(body, "message").or_else(|| field(body, "msg")),
            field(body, "request_id"),
        ));
    }
    let (key, Value::Object(inner)) = body.iter().find(|(k, _)| k.ends_with("_response"))? else {
        return None;
    };
    let request_id = field(inner, "request_id");
    let failed = |m: &Map<String, Value>| is_false(m, "success") || is_false(m, "result_success");
    let result = match inner.get("result") {
        Some(Value::Object(result)) if failed(result) => result,
        _ if failed(inner) => inner,
        _ => return None,
    };
    let code = field(result, "error_code")
        .or_else(|| field(result, "result_error_code"))
        .unwrap_or_else(|| format!("{key}_failed"));
    let message = field(result, "error_message")
        .or_else(|| field(result, "error_msg"))
        .or_else(|| field(result, "result_error_desc"))
        .or_else(|| field(result, "error_desc"));
    Some(error_of(&code, None, None, message, request_id))
}

fn error_of(
    code: &str,
    sub_code: Option<&str>,
    kind: Option<&str>,
    message: Option<String>,
    request_id: Option<String>,
) -> MarketplaceError {
    let message = message.unwrap_or_else(|| sub_code.unwrap_or(code).to_owned());
    let mut err = classify_code(code, sub_code, kind, &message).with_code(sub_code.unwrap_or(code));
    if let Some(id) = request_id {
        err = err.with_request_id(id);
    }
    err
}

/// The kind of one AliExpress error. `kind` is the envelope's `type` (`ISV` caller, `ISP`
/// platform, `SYSTEM` gateway).
pub fn classify_code(
    code: &str,
    sub_code: Option<&str>,
    kind: Option<&str>,
    message: &str,
) -> MarketplaceError {
    let sub = sub_code.unwrap_or_default();
    if THROTTLE_CODES.contains(&code) || sub.starts_with("accesscontrol.") {
        // "Api access frequency exceeds the limit. this ban will last 1 seconds".
        return MarketplaceError::rate_limited(ban_seconds(message), message);
    }
    if TOKEN_CODES.contains(&code) || sub.contains("invalid-sessionkey") {
        return MarketplaceError::unauthorized(message);
    }
    if TRANSIENT_CODES.contains(&code)
        || kind == Some("ISP")
        || sub.starts_with("isp.")
        || code.starts_with("isp.")
    {
        return MarketplaceError::transient(message);
    }
    MarketplaceError::permanent(message)
}

/// Throttle messages say how long the ban lasts ("this ban will last 1 seconds").
fn ban_seconds(message: &str) -> Option<Duration> {
    let lower = message.to_ascii_lowercase();
    let at = lower.find("ban will last")?;
    let digits: String = lower[at + "ban will last".len()..]
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok().map(Duration::from_secs)
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
    fn successes() {
        assert!(parse_error(&resp(
            200,
            r#"{"aliexpress_solution_order_get_response":{"result":{"success":true,"error_code":"1","error_message":"1","total_count":0},"request_id":"x"}}"#
        ))
        .is_ok());
        assert!(parse_error(&resp(
            200,
            r#"{"aliexpress_solution_order_fulfill_response":{"result":{"result_success":true},"request_id":"x"}}"#
        ))
        .is_ok());
        assert!(parse_error(&resp(200, r#"{"access_token":"a","code":"0"}"#)).is_ok());
        assert!(parse_error(&RawResponse::new(200, "application/pdf", "%PDF-1.4")).is_ok());
    }

    #[test]
    fn throttles_are_rate_limited_with_the_ban_length() {
        let e = parse_error(&resp(
            200,
            r#"{"error_response":{"type":"ISV","code":"ApiCallLimit","msg":"Api access frequency exceeds the limit. this ban will last 1 seconds","request_id":"2101e45617170000000001234"}}"#,
        ))
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(e.retry_after(), Some(Duration::from_secs(1)));
        assert_eq!(e.code(), Some("ApiCallLimit"));
        assert_eq!(e.request_id(), Some("2101e45617170000000001234"));
        let top = parse_error(&resp(
            200,
            r#"{"error_response":{"code":7,"msg":"App Call Limited","sub_code":"accesscontrol.limited-by-app-access-count","sub_msg":"This ban will last 2 more seconds"}}"#,
        ))
        .unwrap_err();
        assert_eq!(top.kind(), ErrorKind::RateLimited);
        assert_eq!(top.retry_after(), Some(Duration::from_secs(2)));
    }

    #[test]
    fn token_errors_are_unauthorized() {
        assert_eq!(
            kind(
                r#"{"error_response":{"type":"ISV","code":"IllegalAccessToken","msg":"The specified access token is invalid or expired","request_id":"x"}}"#
            ),
            ErrorKind::Unauthorized
        );
        assert_eq!(
            kind(
                r#"{"type":"ISV","code":"IllegalRefreshToken","message":"The specified refresh token is invalid or expired","request_id":"x"}"#
            ),
            ErrorKind::Unauthorized
        );
        assert_eq!(
            kind(
                r#"{"error_response":{"code":27,"msg":"Invalid session","sub_code":"invalid-sessionkey"}}"#
            ),
            ErrorKind::Unauthorized
        );
    }

    #[test]
    fn other_errors() {
        assert_eq!(
            kind(
                r#"{"error_response":{"type":"ISV","code":"IncompleteSignature","msg":"The request signature does not conform to platform standards"}}"#
            ),
            ErrorKind::Permanent
        );
        assert_eq!(
            kind(
                r#"{"error_response":{"code":50,"msg":"Remote service error","sub_code":"isv.invalid-parameter","sub_msg":"illegal parameter"}}"#
            ),
            ErrorKind::Permanent
        );
        assert_eq!(
            kind(
                r#"{"error_response":{"code":15,"msg":"Remote service error","sub_code":"isp.service-unavailable"}}"#
            ),
            ErrorKind::Transient
        );
        assert_eq!(
            kind(r#"{"error_response":{"type":"ISP","code":"InternalError","msg":"x"}}"#),
            ErrorKind::Transient
        );
    }

    #[test]
    fn failed_business_results_are_errors() {
        let e = parse_error(&resp(
            200,
            r#"{"aliexpress_solution_order_info_get_response":{"result":{"result_success":false,"error_code":"F00-10-10000-001","error_message":"order not found"},"request_id":"r1"}}"#,
        ))
        .unwrap_err();
        assert_eq!(
            (e.kind(), e.code(), e.request_id()),
            (ErrorKind::Permanent, Some("F00-10-10000-001"), Some("r1"))
        );
        let fulfill = parse_error(&resp(
            200,
            r#"{"aliexpress_solution_order_fulfill_response":{"result":{"result_success":"false","result_error_code":"-1","result_error_desc":"System error"}}}"#,
        ))
        .unwrap_err();
        assert_eq!(fulfill.code(), Some("-1"));
        assert_eq!(fulfill.message(), "System error");
        let list = parse_error(&resp(
            200,
            r#"{"aliexpress_solution_order_get_response":{"result":{"success":false,"error_code":"SYSTEM_ERROR","error_message":"system error"}}}"#,
        ))
        .unwrap_err();
        assert_eq!(list.kind(), ErrorKind::Transient);
    }

    #[test]
    fn status_is_the_fallback() {
        for (status, want) in [
            (502, ErrorKind::Transient),
            (429, ErrorKind::RateLimited),
            (404, ErrorKind::Permanent),
        ] {
            let r = RawResponse::new(status, "text/html", "<html>gateway</html>");
            assert_eq!(parse_error(&r).unwrap_err().kind(), want, "{status}");
        }
    }
}
