//! The single `parse_error` of the Temu connector.
//!
//! Temu answers every router call with the envelope
//! `{"success", "errorCode", "errorMsg", "requestId", "result"}`; success is `success: true`
//! with `errorCode` 1000000. Gateway errors ("Common Error Codes") and business errors
//! (9-digit codes per API) come in the same envelope, with HTTP 200 as far as the docs show,
//! so the code decides the kind and the HTTP status is only the fallback for bodies that are
//! not the envelope (load balancer pages, empty bodies).

use connector_kit::{RawResponse, ResponseClassifier};
use core_model::MarketplaceError;
use serde::Deserialize;

/// `errorCode` of a successful call.
pub const SUCCESS: i64 = 1_000_000;
/// RATE_LIMIT_EXCEED_EXCEPTION: over the app's QPS ("Rate Limiting Rules").
pub const RATE_LIMITED: i64 = 4_000_004;
/// "access_token is expired or have been refreshed, please contact seller to share the new
/// access_token with you."
pub const TOKEN_EXPIRED: i64 = 3_000_034;
/// SIGN_UNVALID.
pub const SIGN_INVALID: i64 = 3_000_001;
/// bg.logistics.shipment.create: "You have already requested by Temu integrated logistics.
/// Please check whether request is successful by bg.logistics.shipment.result.get."
pub const ALREADY_REQUESTED: i64 = 120_012_013;
/// bg.logistics.shipment.v2.confirm: "The order has been shipped. This submission is not
/// effective for the shipped order."
pub const ORDER_ALREADY_SHIPPED: i64 = 120_012_004;
/// bg.logistics.shipment.v2.confirm: "Duplicate tracking number".
pub const DUPLICATE_TRACKING_NUMBER: i64 = 120_014_003;
/// bg.logistics.shipment.v2.confirm: "Tracking number has been used".
pub const TRACKING_NUMBER_USED: i64 = 120_014_004;

/// The envelope's error part; `result` is decoded by the caller.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    success: Option<bool>,
    #[serde(default, rename = "errorCode")]
    error_code: Option<serde_json::Value>,
    #[serde(default, rename = "errorMsg")]
    error_msg: Option<String>,
    #[serde(default, rename = "requestId")]
    request_id: Option<String>,
}

/// Classifies every Temu answer; the label and tracking flows wrap it.
#[derive(Debug, Default)]
pub struct TemuClassifier;

impl ResponseClassifier for TemuClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        parse_error(r)
    }
}

/// Success, or the classified platform error of `r`.
pub fn parse_error(r: &RawResponse) -> Result<(), MarketplaceError> {
    let status = r.status.as_u16();
    if let Some(body) = error_body(r) {
        let code = body.error_code.as_ref().and_then(code_of);
        let failed = body.success == Some(false) || code.is_some_and(|c| c != SUCCESS);
        if failed {
            let message = body
                .error_msg
                .as_deref()
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(str::to_owned)
                .unwrap_or_else(|| "Temu refused the call without a message".to_owned());
            let mut err = match code {
                Some(code) => classify_code(code, message).with_code(code.to_string()),
                None => MarketplaceError::permanent(message),
            }
            .with_status(status);
            if let Some(id) = body.request_id.filter(|id| !id.is_empty()) {
                err = err.with_request_id(id);
            }
            return Err(err);
        }
        if (200..300).contains(&status) {
            return Ok(());
        }
    }
    match status {
        200..=299 => Ok(()),
        429 => Err(
            MarketplaceError::rate_limited(None, "throttled by the gateway").with_status(status),
        ),
        500..=599 => Err(MarketplaceError::transient("Temu server error").with_status(status)),
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
    let body: ErrorBody = serde_json::from_slice(&r.body).ok()?;
    // Only the envelope counts: a JSON object without its fields is not an answer we know.
    (body.success.is_some() || body.error_code.is_some()).then_some(body)
}

/// `errorCode` as a number (Temu sends an integer; a numeric string is accepted too).
pub fn code_of(v: &serde_json::Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// A per-API business refusal (9-digit codes such as 140020002 "Order not found"), as opposed
/// to a gateway error (7-digit, about the app, token or request) that concerns every call.
pub fn is_business_refusal(e: &MarketplaceError) -> bool {
    e.kind() == core_model::ErrorKind::Permanent
        && e.code()
            .and_then(|c| c.parse::<i64>().ok())
            .is_some_and(|c| c >= 100_000_000)
}

/// The kind of one Temu error code.
pub fn classify_code(code: i64, message: String) -> MarketplaceError {
    match code {
        RATE_LIMITED => MarketplaceError::rate_limited(None, message),
        // SYSTEM_EXCEPTION, BUSINESS_SERVICE_ERROR, BUSINESS_EXCEPTION ("Call Internal API
        // failed": the guide says retry cautiously, the kit's budget bounds it), and the
        // per-API "try again later" answers.
        4_000_000 | 7_000_000 | 2_000_000
        // bg.order.amount.query: amounts still being calculated.
        | 140_020_008
        // bg.order.detail.v2.get: order fields still being calculated.
        | 140_020_009
        // bg.logistics.shipment.v2.confirm: "System abnormality, please try again later".
        | 120_014_006
        // bg.logistics.shipment.create: "Verification timed out, please try again."
        | 120_011_107
        // bg.logistics.shipment.create: "COD package transaction is ongoing, please try again later."
        | 120_018_036
        // bg.open.accesstoken.create: "System error, please try again."
        | 110_020_001 => MarketplaceError::transient(message),
        // The token does not exist, is not this app's, lacks the API's scope, expired or was
        // replaced, or the merchant's authorization failed: the seller must re-authorize.
        3_000_031 | 3_000_032 | 3_000_033 | TOKEN_EXPIRED | 5_000_000 => {
            MarketplaceError::unauthorized(message)
        }
        // Sign, timestamp, app key, IP allow-list and parameter errors, and every business
        // error: the same request cannot succeed.
        _ => MarketplaceError::permanent(message),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::ErrorKind;

    fn resp(status: u16, body: &str) -> RawResponse {
        RawResponse::new(status, "application/json", body.to_owned())
    }

    fn envelope(code: i64, msg: &str) -> String {
        format!(
            r#"{{"success":false,"errorCode":{code},"errorMsg":"{msg}","requestId":"us-0b1c","result":null}}"#
        )
    }

    fn kind(code: i64) -> ErrorKind {
        parse_error(&resp(200, &envelope(code, "m")))
            .unwrap_err()
            .kind()
    }

    #[test]
    fn success_envelope_passes() {
        let ok = r#"{"success":true,"errorCode":1000000,"errorMsg":"","requestId":"us-1","result":{"totalItemNum":0,"pageItems":[]}}"#;
        assert!(parse_error(&resp(200, ok)).is_ok());
        let pdf = RawResponse::new(200, "application/pdf", "%PDF-1.4".to_owned());
        assert!(parse_error(&pdf).is_ok());
    }

    #[test]
    fn every_documented_gateway_code_has_a_kind() {
        use ErrorKind::*;
        for (code, want) in [
            (2000000, Transient),
            (3000000, Permanent),
            (3000001, Permanent),
            (3000002, Permanent),
            (3000003, Permanent),
            (3000004, Permanent),
            (3000010, Permanent),
            (3000011, Permanent),
            (3000012, Permanent),
            (3000013, Permanent),
            (3000014, Permanent),
            (3000019, Permanent),
            (3000020, Permanent),
            (3000021, Permanent),
            (3000022, Permanent),
            (3000025, Permanent),
            (3000026, Permanent),
            (3000027, Permanent),
            (3000028, Permanent),
            (3000030, Permanent),
            (3000031, Unauthorized),
            (3000032, Unauthorized),
            (3000033, Unauthorized),
            (3000034, Unauthorized),
            (3000040, Permanent),
            (4000000, Transient),
            (4000004, RateLimited),
            (5000000, Unauthorized),
            (5000001, Permanent),
            (5000002, Permanent),
            (5000003, Permanent),
            (6000001, Permanent),
            (7000000, Transient),
            (140020001, Permanent),
            (140020008, Transient),
            (140020009, Transient),
            (140020014, Permanent),
            (120012004, Permanent),
            (120014006, Transient),
        ] {
            assert_eq!(kind(code), want, "{code}");
        }
    }

    #[test]
    fn errors_keep_code_message_and_request_id() {
        let e = parse_error(&resp(
            200,
            &envelope(3000034, "access_token is expired or have been refreshed"),
        ))
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
        assert_eq!(
            (e.code(), e.request_id(), e.status()),
            (Some("3000034"), Some("us-0b1c"), Some(200))
        );
        assert!(e.message().contains("expired"));
        let string_code = parse_error(&resp(
            200,
            r#"{"success":false,"errorCode":"4000004","errorMsg":"RATE_LIMIT_EXCEED_EXCEPTION"}"#,
        ))
        .unwrap_err();
        assert_eq!(string_code.kind(), ErrorKind::RateLimited);
        let no_code = parse_error(&resp(200, r#"{"success":false}"#)).unwrap_err();
        assert_eq!(no_code.kind(), ErrorKind::Permanent);
        assert!(!is_business_refusal(&no_code));
        let business =
            parse_error(&resp(200, &envelope(140020002, "Order not found"))).unwrap_err();
        assert!(is_business_refusal(&business));
        let gateway = parse_error(&resp(200, &envelope(3000027, "no permission"))).unwrap_err();
        assert!(!is_business_refusal(&gateway));
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
            parse_error(&resp(429, "")).unwrap_err().kind(),
            ErrorKind::RateLimited
        );
        assert_eq!(
            parse_error(&resp(404, r#"{"message":"no route"}"#))
                .unwrap_err()
                .kind(),
            ErrorKind::Permanent
        );
        // The envelope wins over the status.
        assert_eq!(
            parse_error(&resp(
                500,
                &envelope(4000004, "RATE_LIMIT_EXCEED_EXCEPTION")
            ))
            .unwrap_err()
            .kind(),
            ErrorKind::RateLimited
        );
    }
}
