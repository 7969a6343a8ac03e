//! The single `parse_error` of Walmart responses.
//!
//! Walmart's error items (`code`, `field`, `description`, `info`, `severity`, `category`) come
//! in two envelopes: the gateway's `{"error":[...]}` (401 `UNAUTHORIZED.GMP_GATEWAY_API`, 429
//! `REQUEST_THRESHOLD_VIOLATED.GMP_GATEWAY_API`) and the order service's
//! `{"errors":{"error":[...]}}` (`INVALID_REQUEST_CONTENT.GMP_ORDER_API`, ...); Ship With
//! Walmart uses `{"errors":[...]}`. 429 is a throttle (wait until `X-Next-Replenishment-Time`
//! when it is in the future); 401/403 let the kit fetch a new token once; 5xx is transient; any
//! other 4xx is a permanent rejection.

use std::time::Duration;

use chrono::{DateTime, Utc};
use connector_kit::{RawResponse, ResponseClassifier};
use core_model::MarketplaceError;

/// Calls left in the current rate-limit window.
pub const TOKEN_COUNT_HEADER: &str = "x-current-token-count";
/// When the window ends and the count is reset (epoch milliseconds or ISO 8601 seen).
pub const REPLENISHMENT_HEADER: &str = "x-next-replenishment-time";
/// Walmart echoes the request's correlation id; kept as the request id for its support desk.
const CORRELATION_HEADER: &str = "wm_qos.correlation_id";

/// One Walmart error item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WalmartError {
    pub code: String,
    pub field: Option<String>,
    pub description: Option<String>,
    pub info: Option<String>,
    pub severity: Option<String>,
}

impl WalmartError {
    /// `description (info)`, or whichever of them there is.
    pub fn message(&self) -> String {
        let present = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        match (present(&self.description), present(&self.info)) {
            (Some(d), Some(i)) if d != i => format!("{d} ({i})"),
            (Some(d), _) => d,
            (None, Some(i)) => i,
            (None, None) => self.code.clone(),
        }
    }
}

fn item(value: &serde_json::Value) -> Option<WalmartError> {
    let text = |key: &str| value.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    Some(WalmartError {
        code: text("code")?,
        field: text("field"),
        description: text("description"),
        info: text("info"),
        severity: text("severity"),
    })
}

/// The items of `list` when it is an array, or `list` itself when it is one item.
fn items(list: &serde_json::Value) -> Vec<WalmartError> {
    match list {
        serde_json::Value::Array(a) => a.iter().filter_map(item).collect(),
        serde_json::Value::Object(_) => item(list).into_iter().collect(),
        _ => Vec::new(),
    }
}

/// Every error item of a Walmart error body, in any of its envelopes.
pub fn errors(response: &RawResponse) -> Vec<WalmartError> {
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(&response.body) else {
        return Vec::new();
    };
    if let Some(list) = body.get("error") {
        return items(list);
    }
    match body.get("errors") {
        Some(serde_json::Value::Object(o)) => o.get("error").map(items).unwrap_or_default(),
        Some(list) => items(list),
        None => Vec::new(),
    }
}

/// The first error item, if the body is a Walmart error.
pub fn first_error(response: &RawResponse) -> Option<WalmartError> {
    errors(response).into_iter().next()
}

/// True when any error item's description or info contains one of `needles`.
pub fn mentions(response: &RawResponse, needles: &[&str]) -> bool {
    errors(response).iter().any(|e| {
        [&e.description, &e.info]
            .into_iter()
            .flatten()
            .any(|text| needles.iter().any(|n| text.contains(n)))
    })
}

/// How long until `X-Next-Replenishment-Time`, when it names a future instant.
pub fn replenishment_wait(response: &RawResponse, now: DateTime<Utc>) -> Option<Duration> {
    let raw = response.header(REPLENISHMENT_HEADER)?.trim();
    let at = match raw.parse::<i64>() {
        Ok(ms) => DateTime::from_timestamp_millis(ms)?,
        Err(_) => DateTime::parse_from_rfc3339(raw).ok()?.with_timezone(&Utc),
    };
    (at - now).to_std().ok().filter(|d| !d.is_zero())
}

/// Classify one Walmart API response: `Ok` for 2xx, otherwise the kind the caller acts on.
pub fn parse_error(response: &RawResponse) -> Result<(), MarketplaceError> {
    classify(response, false)
}

/// The token endpoint's answers: with a fixed `grant_type=client_credentials` body, any 4xx
/// but 429 means Walmart refused the client id and secret.
pub fn parse_token_error(response: &RawResponse) -> Result<(), MarketplaceError> {
    classify(response, true)
}

fn classify(response: &RawResponse, token_endpoint: bool) -> Result<(), MarketplaceError> {
    if response.status.is_success() {
        return Ok(());
    }
    let status = response.status.as_u16();
    let first = first_error(response);
    let message = first.as_ref().map_or_else(
        || format!("HTTP {status} without a Walmart error body"),
        WalmartError::message,
    );
    let mut err = match status {
        429 => MarketplaceError::rate_limited(replenishment_wait(response, Utc::now()), message),
        401 | 403 => MarketplaceError::unauthorized(message),
        400..=499 if token_endpoint => MarketplaceError::unauthorized(format!(
            "Walmart refused the client credentials: {message}"
        )),
        500..=599 => MarketplaceError::transient(message),
        _ => MarketplaceError::permanent(message),
    }
    .with_status(status);
    if let Some(e) = first {
        err = err.with_code(e.code);
    }
    if let Some(id) = response.header(CORRELATION_HEADER) {
        err = err.with_request_id(id);
    }
    Err(err)
}

/// `parse_error` as the kit's classifier for every Walmart API call.
#[derive(Debug, Default, Clone, Copy)]
pub struct WalmartClassifier;

impl ResponseClassifier for WalmartClassifier {
    fn classify(&self, response: &RawResponse) -> Result<(), MarketplaceError> {
        parse_error(response)
    }
}

/// The token endpoint's classifier.
#[derive(Debug, Default, Clone, Copy)]
pub struct TokenClassifier;

impl ResponseClassifier for TokenClassifier {
    fn classify(&self, response: &RawResponse) -> Result<(), MarketplaceError> {
        parse_token_error(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use core_model::ErrorKind;
    use http::HeaderValue;

    fn response(status: u16, body: &str, headers: &[(&'static str, &'static str)]) -> RawResponse {
        let mut r = RawResponse::new(status, "application/json", body.to_owned());
        for (k, v) in headers {
            r.headers.insert(*k, HeaderValue::from_static(v));
        }
        r
    }

    const UNAUTHORIZED: &str = r#"{"error":[{"code":"UNAUTHORIZED.GMP_GATEWAY_API","field":"UNAUTHORIZED","description":"Unauthorized","info":"Unauthorized token or incorrect authorization header.","severity":"ERROR","category":"DATA","causes":[],"errorIdentifiers":{}}]}"#;

    #[test]
    fn classifies_the_documented_answers() {
        let e = parse_error(&response(
            401,
            UNAUTHORIZED,
            &[("WM_QOS.CORRELATION_ID", "abc-1")],
        ))
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
        assert_eq!(e.code(), Some("UNAUTHORIZED.GMP_GATEWAY_API"));
        assert_eq!(e.request_id(), Some("abc-1"));
        assert_eq!(
            e.message(),
            "Unauthorized (Unauthorized token or incorrect authorization header.)"
        );

        let invalid = r#"{"errors":{"error":[{"code":"INVALID_REQUEST_CONTENT.GMP_ORDER_API","field":"methodCode","description":"Method code is not supported in line number 1","info":"Request content is invalid.","severity":"ERROR","category":"DATA","errorIdentifiers":{"entry":[]}}]}}"#;
        let e = parse_error(&response(400, invalid, &[])).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Permanent);
        assert_eq!(e.code(), Some("INVALID_REQUEST_CONTENT.GMP_ORDER_API"));

        let sww =
            r#"{"errors":[{"code":"400.SHIPPING_LABEL.100","description":"Invalid address"}]}"#;
        assert_eq!(
            first_error(&response(400, sww, &[])).unwrap().code,
            "400.SHIPPING_LABEL.100"
        );

        let system = r#"{"errors":{"error":{"code":"SYSTEM_ERROR.GMP_GATEWAY_API","description":"Internal error"}}}"#;
        let e = parse_error(&response(500, system, &[])).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Transient);
        assert_eq!(e.code(), Some("SYSTEM_ERROR.GMP_GATEWAY_API"));
        assert_eq!(
            parse_error(&response(503, "<html>", &[]))
                .unwrap_err()
                .kind(),
            ErrorKind::Transient
        );
        assert_eq!(
            parse_error(&response(403, "", &[])).unwrap_err().kind(),
            ErrorKind::Unauthorized
        );
        assert_eq!(
            parse_error(&response(404, "", &[])).unwrap_err().kind(),
            ErrorKind::Permanent
        );
        assert!(parse_error(&response(200, "{}", &[])).is_ok());
    }

    #[test]
    fn token_endpoint_refusals_are_unauthorized() {
        for status in [400, 401, 403] {
            let e = parse_token_error(&response(status, UNAUTHORIZED, &[])).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Unauthorized, "{status}");
        }
        assert_eq!(
            parse_token_error(&response(429, "", &[]))
                .unwrap_err()
                .kind(),
            ErrorKind::RateLimited
        );
        assert_eq!(
            parse_token_error(&response(502, "", &[]))
                .unwrap_err()
                .kind(),
            ErrorKind::Transient
        );
    }

    #[test]
    fn throttle_waits_for_the_replenishment_time() {
        let now = Utc.with_ymd_and_hms(2026, 5, 10, 12, 0, 0).unwrap();
        // 2026-05-10T12:00:02Z in epoch milliseconds, and the same instant in ISO 8601.
        let ms = response(429, "", &[(REPLENISHMENT_HEADER, "1778414402000")]);
        assert_eq!(replenishment_wait(&ms, now), Some(Duration::from_secs(2)));
        let iso = response(429, "", &[(REPLENISHMENT_HEADER, "2026-05-10T12:00:02Z")]);
        assert_eq!(replenishment_wait(&iso, now), Some(Duration::from_secs(2)));
        let past = response(429, "", &[(REPLENISHMENT_HEADER, "1778400000000")]);
        assert_eq!(replenishment_wait(&past, now), None);
        let junk = response(429, "", &[(REPLENISHMENT_HEADER, "soon")]);
        assert_eq!(replenishment_wait(&junk, now), None);

        let throttled = r#"{"error":[{"code":"REQUEST_THRESHOLD_VIOLATED.GMP_GATEWAY_API","description":"Too Many Requests"}]}"#;
        let e = parse_error(&response(429, throttled, &[(TOKEN_COUNT_HEADER, "0")])).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(e.code(), Some("REQUEST_THRESHOLD_VIOLATED.GMP_GATEWAY_API"));
    }

    #[test]
    fn mentions_reads_description_and_info() {
        let shipped = r#"{"errors":{"error":[{"code":"INVALID_REQUEST_CONTENT.GMP_ORDER_API","field":"data","description":"Unable to process this request. The Line: 4 of PO: 4576930294354 is in SHIPPED status","info":"Request content is invalid."}]}}"#;
        let r = response(400, shipped, &[]);
        assert!(mentions(&r, &["is in SHIPPED status"]));
        assert!(!mentions(&r, &["higher status"]));
    }
}
