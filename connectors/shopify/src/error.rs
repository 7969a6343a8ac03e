//! The single `parse_error` of the Shopify connector.
//!
//! The Admin GraphQL API answers most errors with HTTP 200 and a top-level `errors` array whose
//! `extensions.code` says what happened (`THROTTLED`, `MAX_COST_EXCEEDED`, `ACCESS_DENIED`,
//! `INTERNAL_SERVER_ERROR`, validation codes). Transport-level refusals use the HTTP status with
//! a REST-style body, `{"errors": "<text>"}`: 401 for a bad token, 402 for a frozen shop, 404
//! for an unknown shop, 423 for a locked one, 429 and 5xx.
//! <https://shopify.dev/docs/api/usage/response-codes>,
//! <https://shopify.dev/docs/api/admin-graphql#rate-limits>

use std::time::Duration;

use connector_kit::{RawResponse, ResponseClassifier};
use core_model::MarketplaceError;
use serde::Deserialize;

use crate::model::QueryCost;

/// Shopify's request id header, for its support desk.
const REQUEST_ID_HEADER: &str = "x-request-id";

/// `errors[].extensions.code` of a throttled query (HTTP 200).
pub const THROTTLED: &str = "THROTTLED";

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    errors: Option<serde_json::Value>,
    #[serde(default)]
    extensions: Option<Extensions>,
}

#[derive(Deserialize)]
struct Extensions {
    #[serde(default)]
    cost: Option<QueryCost>,
}

#[derive(Deserialize)]
struct GraphqlError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    extensions: Option<ErrorExtensions>,
}

#[derive(Deserialize)]
struct ErrorExtensions {
    #[serde(default)]
    code: Option<String>,
}

/// `parse_error` as the kit's classifier for every Admin API call.
#[derive(Debug, Default, Clone, Copy)]
pub struct ShopifyClassifier;

impl ResponseClassifier for ShopifyClassifier {
    fn classify(&self, response: &RawResponse) -> Result<(), MarketplaceError> {
        parse_error(response)
    }
}

/// Success, or the classified error of one Admin API response.
pub fn parse_error(r: &RawResponse) -> Result<(), MarketplaceError> {
    let status = r.status.as_u16();
    let envelope: Option<Envelope> = serde_json::from_slice(&r.body).ok();
    let result = if r.status.is_success() {
        match envelope {
            Some(Envelope {
                errors: Some(errors),
                extensions,
            }) if has_errors(&errors) => Err(graphql_error(&errors, extensions)),
            _ => return Ok(()),
        }
    } else {
        let message = envelope
            .and_then(|e| e.errors)
            .map(|e| error_text(&e))
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| format!("HTTP {status} without a Shopify error body"));
        Err(match status {
            401 => MarketplaceError::unauthorized(message),
            429 => MarketplaceError::rate_limited(None, message),
            500..=599 => MarketplaceError::transient(message),
            // 400, 402 (frozen shop), 403, 404 (unknown shop or version), 423 (locked shop), ...
            _ => MarketplaceError::permanent(message),
        })
    };
    result.map_err(|e| {
        let e = e.with_status(status);
        match r.header(REQUEST_ID_HEADER) {
            Some(id) => e.with_request_id(id),
            None => e,
        }
    })
}

fn has_errors(errors: &serde_json::Value) -> bool {
    match errors {
        serde_json::Value::Array(a) => !a.is_empty(),
        serde_json::Value::Null => false,
        _ => true,
    }
}

/// A top-level GraphQL error: its first entry's `extensions.code` decides the kind.
fn graphql_error(errors: &serde_json::Value, extensions: Option<Extensions>) -> MarketplaceError {
    let first: Option<GraphqlError> = errors
        .as_array()
        .and_then(|a| a.first())
        .and_then(|e| serde_json::from_value(e.clone()).ok());
    let (code, message) = match first {
        Some(e) => (e.extensions.and_then(|x| x.code), e.message),
        None => (None, error_text(errors)),
    };
    let message = if message.is_empty() {
        "GraphQL error without a message".to_owned()
    } else {
        message
    };
    let err = match code.as_deref() {
        Some(THROTTLED) => {
            let wait = extensions
                .and_then(|x| x.cost)
                .and_then(|c| throttle_wait(&c));
            MarketplaceError::rate_limited(wait, message)
        }
        Some("INTERNAL_SERVER_ERROR") => MarketplaceError::transient(message),
        // MAX_COST_EXCEEDED (the query itself is too expensive), ACCESS_DENIED (a missing scope
        // or protected-customer-data approval: the merchant or Shopify must act), validation
        // codes: the same request cannot succeed.
        _ => MarketplaceError::permanent(message),
    };
    match code {
        Some(code) => err.with_code(code),
        None => err,
    }
}

/// The time until the bucket holds the points the throttled query asked for:
/// `(requestedQueryCost - currentlyAvailable) / restoreRate` seconds, at least one point's
/// worth. `None` when the figures are unusable (the kit's backoff decides then).
pub fn throttle_wait(cost: &QueryCost) -> Option<Duration> {
    let t = &cost.throttle_status;
    let rate = t.restore_rate;
    if !(rate.is_finite() && rate > 0.0) {
        return None;
    }
    let deficit = (cost.requested_query_cost - t.currently_available).max(1.0);
    let seconds = deficit / rate;
    // The kit refuses waits longer than its `max_retry_after`, so no cap is needed here.
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
}

/// The text of an `errors` value: a string (`"[API] Invalid API key ..."`), a GraphQL error
/// list, or a REST validation object.
fn error_text(errors: &serde_json::Value) -> String {
    use serde_json::Value;
    match errors {
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .filter_map(|e| match e {
                Value::String(s) => Some(s.clone()),
                Value::Object(o) => o.get("message").and_then(Value::as_str).map(str::to_owned),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("; "),
        Value::Object(o) => o
            .iter()
            .map(|(k, v)| format!("{k}: {}", error_text(v)))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::ErrorKind;
    use http::HeaderValue;

    fn resp(status: u16, body: &str) -> RawResponse {
        RawResponse::new(status, "application/json", body.to_owned())
    }

    fn kind(status: u16, body: &str) -> ErrorKind {
        parse_error(&resp(status, body)).unwrap_err().kind()
    }

    const THROTTLED_BODY: &str = r#"{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED","documentation":"https://shopify.dev/api/usage/rate-limits"}}],"extensions":{"cost":{"requestedQueryCost":752,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":2000.0,"currentlyAvailable":552,"restoreRate":100.0}}}}"#;

    #[test]
    fn throttled_waits_for_the_points_it_asked_for() {
        let mut r = resp(200, THROTTLED_BODY);
        r.headers.insert(
            "x-request-id",
            HeaderValue::from_static("8a5b0c1d-throttle"),
        );
        let e = parse_error(&r).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(e.code(), Some("THROTTLED"));
        assert_eq!(e.request_id(), Some("8a5b0c1d-throttle"));
        // (752 - 552) / 100 = 2 s.
        assert_eq!(e.retry_after(), Some(Duration::from_secs(2)));

        // Without cost figures the kit's backoff decides.
        let bare = r#"{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}]}"#;
        let e = parse_error(&resp(200, bare)).unwrap_err();
        assert_eq!((e.kind(), e.retry_after()), (ErrorKind::RateLimited, None));
    }

    #[test]
    fn throttle_wait_arithmetic() {
        let cost = |requested: f64, available: f64, rate: f64| QueryCost {
            requested_query_cost: requested,
            throttle_status: crate::model::ThrottleStatus {
                maximum_available: 1000.0,
                currently_available: available,
                restore_rate: rate,
            },
        };
        assert_eq!(
            throttle_wait(&cost(772.0, 770.0, 100.0)),
            Some(Duration::from_millis(20))
        );
        assert_eq!(
            throttle_wait(&cost(500.0, 250.0, 50.0)),
            Some(Duration::from_secs(5))
        );
        // Already enough points (a race): one point's worth, never zero.
        assert_eq!(
            throttle_wait(&cost(10.0, 900.0, 100.0)),
            Some(Duration::from_millis(10))
        );
        assert_eq!(throttle_wait(&cost(10.0, 0.0, 0.0)), None);
        assert_eq!(throttle_wait(&cost(10.0, 0.0, f64::NAN)), None);
    }

    #[test]
    fn graphql_error_codes() {
        assert_eq!(
            kind(
                200,
                r#"{"errors":[{"message":"Query cost is 2001, which exceeds the single query max cost limit (1000).","extensions":{"code":"MAX_COST_EXCEEDED","cost":2001,"maxCost":1000}}]}"#
            ),
            ErrorKind::Permanent
        );
        assert_eq!(
            kind(
                200,
                r#"{"errors":[{"message":"Access denied for orders field. Required access: `read_orders` access scope.","extensions":{"code":"ACCESS_DENIED"}}],"data":null}"#
            ),
            ErrorKind::Permanent
        );
        let internal = parse_error(&resp(200, r#"{"errors":[{"message":"Internal error. Looks like something went wrong on our end.\nRequest ID: 3f0c (include this in support requests).","extensions":{"code":"INTERNAL_SERVER_ERROR","requestId":"3f0c"}}]}"#)).unwrap_err();
        assert_eq!(internal.kind(), ErrorKind::Transient);
        assert_eq!(internal.code(), Some("INTERNAL_SERVER_ERROR"));
        assert_eq!(
            kind(
                200,
                r#"{"errors":[{"message":"Field 'foo' doesn't exist on type 'Order'","locations":[{"line":3,"column":5}],"path":["query Orders","orders","nodes","foo"],"extensions":{"code":"undefinedField","typeName":"Order","fieldName":"foo"}}]}"#
            ),
            ErrorKind::Permanent
        );
        // `data` with an empty `errors` list, or none, is success.
        assert!(parse_error(&resp(
            200,
            r#"{"data":{"orders":{"nodes":[]}},"errors":[]}"#
        ))
        .is_ok());
        assert!(parse_error(&resp(200, r#"{"data":{}}"#)).is_ok());
    }

    #[test]
    fn http_statuses() {
        let e = parse_error(&resp(
            401,
            r#"{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}"#,
        ))
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
        assert_eq!(
            e.message(),
            "[API] Invalid API key or access token (unrecognized login or wrong password)"
        );
        assert_eq!(e.status(), Some(401));
        assert_eq!(
            kind(402, r#"{"errors":"Unavailable Shop"}"#),
            ErrorKind::Permanent
        );
        assert_eq!(kind(404, r#"{"errors":"Not Found"}"#), ErrorKind::Permanent);
        assert_eq!(
            kind(422, r#"{"errors":{"base":["Invalid input"]}}"#),
            ErrorKind::Permanent
        );
        assert_eq!(
            kind(
                429,
                r#"{"errors":"Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}"#
            ),
            ErrorKind::RateLimited
        );
        assert_eq!(
            kind(503, "<html>Service Unavailable</html>"),
            ErrorKind::Transient
        );
        assert_eq!(kind(500, ""), ErrorKind::Transient);
    }
}
