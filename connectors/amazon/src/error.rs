//! The single `parse_error` of SP-API responses, and the rate hint Amazon sends with them.
//!
//! Every SP-API error body is the `ErrorList` envelope `{"errors":[{code, message, details}]}`.
//! 429 `QuotaExceeded` is a throttle; 401/403 (`Unauthorized`, also sent for an expired access
//! token) lets the kit refresh the token once; 5xx (`InternalFailure`, `ServiceUnavailable`) is
//! transient; any other 4xx is a permanent rejection of the request.

use connector_kit::{RawResponse, ResponseClassifier};
use core_model::MarketplaceError;

use crate::model::ErrorList;

/// Amazon's throttle code (body of a 429).
pub const QUOTA_EXCEEDED: &str = "QuotaExceeded";

/// The usage-plan rate Amazon applied to the call, "when available".
const RATE_LIMIT_HEADER: &str = "x-amzn-ratelimit-limit";
const REQUEST_ID_HEADER: &str = "x-amzn-requestid";

/// `parse_error` as the kit's classifier for every SP-API call.
#[derive(Debug, Default, Clone, Copy)]
pub struct AmazonClassifier;

impl ResponseClassifier for AmazonClassifier {
    fn classify(&self, response: &RawResponse) -> Result<(), MarketplaceError> {
        parse_error(response)
    }

    fn rate_hint(&self, response: &RawResponse) -> Option<f64> {
        rate_limit(response)
    }
}

/// The rate from `x-amzn-RateLimit-Limit`, when it is a usable number.
pub fn rate_limit(response: &RawResponse) -> Option<f64> {
    let rate: f64 = response.header(RATE_LIMIT_HEADER)?.trim().parse().ok()?;
    (rate.is_finite() && rate > 0.0).then_some(rate)
}

/// The first error of the envelope, if the body is one.
pub fn first_error(response: &RawResponse) -> Option<(String, String)> {
    let list: ErrorList = serde_json::from_slice(&response.body).ok()?;
    let e = list.errors.into_iter().next()?;
    let mut message = e.message;
    if let Some(details) = e.details.filter(|d| !d.trim().is_empty()) {
        message = format!("{message} ({details})");
    }
    Some((e.code, message))
}

/// Classify one SP-API response: `Ok` for 2xx, otherwise the error kind the caller acts on.
pub fn parse_error(response: &RawResponse) -> Result<(), MarketplaceError> {
    let status = response.status.as_u16();
    if response.status.is_success() {
        return Ok(());
    }
    let (code, message) = first_error(response).unwrap_or_else(|| {
        (
            String::new(),
            format!("HTTP {status} without an SP-API error body"),
        )
    });
    let mut err = if status == 429 || code == QUOTA_EXCEEDED {
        MarketplaceError::rate_limited(None, message)
    } else if status == 401 || status == 403 {
        MarketplaceError::unauthorized(message)
    } else if response.status.is_server_error() {
        MarketplaceError::transient(message)
    } else {
        MarketplaceError::permanent(message)
    };
    err = err.with_status(status);
    if !code.is_empty() {
        err = err.with_code(code);
    }
    if let Some(id) = response.header(REQUEST_ID_HEADER) {
        err = err.with_request_id(id);
    }
    Err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use core_model::ErrorKind;
    use http::HeaderValue;

    fn response(status: u16, body: &str, headers: &[(&'static str, &'static str)]) -> RawResponse {
        let mut r = RawResponse::new(status, "application/json", body.to_owned());
        for (k, v) in headers {
            r.headers.insert(*k, HeaderValue::from_static(v));
        }
        r
    }

    #[test]
    fn classifies_the_documented_answers() {
        let quota = r#"{"errors":[{"code":"QuotaExceeded","message":"You exceeded your quota for the requested resource.","details":""}]}"#;
        let e = parse_error(&response(429, quota, &[("x-amzn-RequestId", "req-1")])).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(e.code(), Some("QuotaExceeded"));
        assert_eq!(e.request_id(), Some("req-1"));

        let denied = r#"{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":"The access token you provided has expired."}]}"#;
        let e = parse_error(&response(403, denied, &[])).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
        assert_eq!(e.code(), Some("Unauthorized"));
        // An expired-token 403 is still Unauthorized when its body is missing.
        assert_eq!(
            parse_error(&response(403, "", &[])).unwrap_err().kind(),
            ErrorKind::Unauthorized
        );

        let invalid = r#"{"errors":[{"code":"InvalidInput","message":"Invalid Input","details":"Invalid Input"}]}"#;
        let e = parse_error(&response(400, invalid, &[])).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Permanent);
        assert_eq!(e.message(), "Invalid Input (Invalid Input)");

        let internal = r#"{"errors":[{"code":"InternalFailure","message":"We encountered an internal error. Please try again."}]}"#;
        assert_eq!(
            parse_error(&response(500, internal, &[]))
                .unwrap_err()
                .kind(),
            ErrorKind::Transient
        );
        assert_eq!(
            parse_error(&response(503, "<html>", &[]))
                .unwrap_err()
                .kind(),
            ErrorKind::Transient
        );
        assert_eq!(
            parse_error(&response(404, "", &[])).unwrap_err().kind(),
            ErrorKind::Permanent
        );
        assert!(parse_error(&response(204, "", &[])).is_ok());
    }

    #[test]
    fn rate_hint_reads_the_usage_plan_header() {
        let r = response(200, "{}", &[("x-amzn-RateLimit-Limit", "0.0056")]);
        assert_eq!(AmazonClassifier.rate_hint(&r), Some(0.0056));
        assert_eq!(
            rate_limit(&response(200, "{}", &[("x-amzn-RateLimit-Limit", "n/a")])),
            None
        );
        assert_eq!(rate_limit(&response(200, "{}", &[])), None);
    }
}
