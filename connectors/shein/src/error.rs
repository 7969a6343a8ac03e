//! The single `parse_error` of the SHEIN connector.
//!
//! SHEIN answers with HTTP 200 and the envelope `{"code", "msg", "info", "bbl", "traceId"}`;
//! `code` is a string and `"0"` means success ("API调用说明文档", 输入结果示例). Errors carry
//! gateway codes (`openapi00001` signature error, `openapi00007` header parameters) or module
//! codes (`spmp0001`, `9999004`); the throttle answer quoted by integrators comes with
//! capitalized keys (`{"Code":99999,"Msg":"api request limit 10/s","Info":{}}`), so keys are
//! read case-insensitively. The HTTP status decides only for bodies that are not the envelope.

use connector_kit::{RawResponse, ResponseClassifier};
use core_model::{ErrorKind, MarketplaceError};
use serde::Deserialize;

/// `code` of a successful call.
pub const SUCCESS: &str = "0";
/// "签名错误:生成的签名不正确": the signature does not verify against the key SHEIN holds for
/// the `openKeyId` (wrong or revoked secretKey).
pub const SIGNATURE_ERROR: &str = "openapi00001";
/// "请求头参数异常": a required `x-lt-*` header is missing or unreadable.
pub const HEADER_ERROR: &str = "openapi00007";

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default, alias = "Code")]
    code: Option<serde_json::Value>,
    #[serde(default, alias = "Msg", alias = "message")]
    msg: Option<String>,
    #[serde(default, rename = "traceId", alias = "TraceId")]
    trace_id: Option<String>,
}

/// Classifies every SHEIN answer; the label download has its own.
#[derive(Debug, Default)]
pub struct SheinClassifier;

impl ResponseClassifier for SheinClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        parse_error(r)
    }
}

/// Success, or the classified platform error of `r`.
pub fn parse_error(r: &RawResponse) -> Result<(), MarketplaceError> {
    let status = r.status.as_u16();
    if let Some(body) = error_body(r) {
        let code = body.code.as_ref().and_then(code_of);
        match code.as_deref() {
            Some(SUCCESS) if (200..300).contains(&status) => return Ok(()),
            Some(SUCCESS) => {}
            Some(code) => {
                let message = body
                    .msg
                    .as_deref()
                    .map(str::trim)
                    .filter(|m| !m.is_empty())
                    .unwrap_or("SHEIN refused the call without a message")
                    .to_owned();
                let mut err = classify_code(code, message)
                    .with_code(code)
                    .with_status(status);
                if let Some(id) = body.trace_id.filter(|id| !id.is_empty()) {
                    err = err.with_request_id(id);
                }
                return Err(err);
            }
            None => {}
        }
    }
    match status {
        200..=299 => Ok(()),
        429 => Err(MarketplaceError::rate_limited(None, "throttled by SHEIN").with_status(status)),
        401 | 403 => Err(
            MarketplaceError::unauthorized("SHEIN refused the store's keys").with_status(status),
        ),
        500..=599 => Err(MarketplaceError::transient("SHEIN server error").with_status(status)),
        _ => Err(
            MarketplaceError::permanent(format!("unexpected HTTP status {status}"))
                .with_status(status),
        ),
    }
}

fn error_body(r: &RawResponse) -> Option<ErrorBody> {
    let looks_json = r.is_json() || r.body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if !looks_json {
        return None;
    }
    serde_json::from_slice::<ErrorBody>(&r.body)
        .ok()
        .filter(|b| b.code.is_some())
}

/// `code` as text: SHEIN sends a string, the throttle sample a number.
pub fn code_of(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.trim().to_owned()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The kind of one SHEIN error code.
pub fn classify_code(code: &str, message: String) -> MarketplaceError {
    let lower = message.to_ascii_lowercase();
    // The throttle answer is told by its message ("api request limit 10/s"), not its code.
    if lower.contains("limit") || message.contains("限流") || message.contains("频繁") {
        return MarketplaceError::rate_limited(None, message);
    }
    if code.eq_ignore_ascii_case(SIGNATURE_ERROR) {
        // With no token to renew, a key SHEIN no longer accepts means the seller must
        // authorize the app again.
        return MarketplaceError::unauthorized(message);
    }
    // Header and parameter errors, and every business refusal: the same request cannot
    // succeed.
    MarketplaceError::permanent(message)
}

/// A module's business refusal about one order (as opposed to a gateway error, `openapi...`,
/// that concerns every call).
pub fn is_business_refusal(e: &MarketplaceError) -> bool {
    e.kind() == ErrorKind::Permanent
        && e.code()
            .is_some_and(|c| !c.to_ascii_lowercase().starts_with("openapi"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn resp(status: u16, body: &str) -> RawResponse {
        RawResponse::new(status, "application/json", body.to_owned())
    }

    fn kind(body: &str) -> ErrorKind {
        parse_error(&resp(200, body)).unwrap_err().kind()
    }

    #[test]
    fn success_envelope_passes() {
        let ok = r#"{"code":"0","msg":"OK","info":{"count":0,"orderList":[]},"bbl":{},"traceId":"f2a1"}"#;
        assert!(parse_error(&resp(200, ok)).is_ok());
        assert!(parse_error(&resp(200, r#"{"code":0,"msg":"OK"}"#)).is_ok());
        let pdf = RawResponse::new(200, "application/pdf", "%PDF-1.4".to_owned());
        assert!(parse_error(&pdf).is_ok());
        // A success code with a failing status is still a failure.
        assert_eq!(
            parse_error(&resp(502, r#"{"code":"0"}"#))
                .unwrap_err()
                .kind(),
            ErrorKind::Transient
        );
    }

    #[test]
    fn codes_have_kinds() {
        assert_eq!(
            kind(
                r#"{"code":"openapi00001","msg":"签名错误:生成的签名不正确","info":null,"traceId":"8d3c"}"#
            ),
            ErrorKind::Unauthorized
        );
        assert_eq!(
            kind(r#"{"code":"openapi00007","msg":"请求头参数异常"}"#),
            ErrorKind::Permanent
        );
        assert_eq!(
            kind(r#"{"Code":99999,"Msg":"api request limit 10/s","Info":{}}"#),
            ErrorKind::RateLimited
        );
        assert_eq!(
            kind(r#"{"code":"spmp0001","msg":"图片下载异常","info":null,"bbl":null}"#),
            ErrorKind::Permanent
        );
        assert_eq!(
            kind(
                r#"{"code":"9999004","msg":"For orders that do not require unpacking, there is no need to confirm unpacking.","info":{}}"#
            ),
            ErrorKind::Permanent
        );
    }

    #[test]
    fn errors_keep_code_message_and_trace_id() {
        let e = parse_error(&resp(
            200,
            r#"{"traceId":"612d85e0a88bdeec","code":"spmp0001","msg":"图片下载异常","info":null}"#,
        ))
        .unwrap_err();
        assert_eq!(
            (e.code(), e.request_id(), e.status()),
            (Some("spmp0001"), Some("612d85e0a88bdeec"), Some(200))
        );
        assert_eq!(e.message(), "图片下载异常");
        assert!(is_business_refusal(&e));
        let gateway = parse_error(&resp(200, r#"{"code":"openapi00007","msg":"x"}"#)).unwrap_err();
        assert!(!is_business_refusal(&gateway));
    }

    #[test]
    fn status_is_the_fallback() {
        let html = RawResponse::new(502, "text/html", "<html>Bad Gateway</html>");
        assert_eq!(parse_error(&html).unwrap_err().kind(), ErrorKind::Transient);
        assert_eq!(
            parse_error(&resp(429, "")).unwrap_err().kind(),
            ErrorKind::RateLimited
        );
        assert_eq!(
            parse_error(&resp(401, "")).unwrap_err().kind(),
            ErrorKind::Unauthorized
        );
        assert_eq!(
            parse_error(&resp(404, r#"{"message":"no route"}"#))
                .unwrap_err()
                .kind(),
            ErrorKind::Permanent
        );
        // The envelope wins over the status.
        assert_eq!(
            parse_error(&resp(401, r#"{"code":"openapi00001","msg":"签名错误"}"#))
                .unwrap_err()
                .kind(),
            ErrorKind::Unauthorized
        );
    }
}
