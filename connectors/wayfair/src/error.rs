//! The single `parse_error` of Wayfair API responses.
//!
//! The API is GraphQL: most errors come with HTTP 200 as `{"errors": [{"message", "locations",
//! "path", "extensions": {"category": ...}}], "data": ...}`, so a 200 with a non-empty `errors`
//! array is an error, classified by `extensions.category` / `classification` / `code` and,
//! for throttling, by the message. Transport answers classify by status: 429 throttled, 401
//! refused token (the kit then mints a new one once), 5xx transient, any other 4xx permanent.
//! Wayfair publishes no rate-limit headers, so the kit's backoff decides (it honours
//! `Retry-After` if one is sent).
//!
//! GraphQL validation messages can quote a variable's value (an address of the ship notice),
//! so such messages are cut before the value.

use connector_kit::{RawResponse, ResponseClassifier};
use core_model::MarketplaceError;

use crate::model::{GatewayError, GraphQlError, GraphQlResponse};

/// `parse_error` as the kit's classifier for every Wayfair API call.
#[derive(Debug, Default, Clone, Copy)]
pub struct WayfairClassifier;

impl ResponseClassifier for WayfairClassifier {
    fn classify(&self, response: &RawResponse) -> Result<(), MarketplaceError> {
        parse_error(response)
    }
}

/// The GraphQL errors of a body, if it is a GraphQL response carrying any.
pub fn graphql_errors(response: &RawResponse) -> Vec<GraphQlError> {
    let trimmed = response.body.trim_ascii_start();
    if !trimmed.starts_with(b"{") {
        return Vec::new();
    }
    serde_json::from_slice::<GraphQlResponse<serde::de::IgnoredAny>>(trimmed)
        .ok()
        .and_then(|r| r.errors)
        .unwrap_or_default()
}

/// What an error's extensions say, upper-cased: `category`, `classification` (string or
/// `{type}`), `code` and `errorType`.
fn labels(e: &GraphQlError) -> Vec<String> {
    let Some(x) = &e.extensions else {
        return Vec::new();
    };
    let classification = match &x.classification {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Object(o)) => {
            o.get("type").and_then(|t| t.as_str()).map(str::to_owned)
        }
        _ => None,
    };
    [
        x.category.clone(),
        classification,
        x.code.clone(),
        x.error_type.clone(),
    ]
    .into_iter()
    .flatten()
    .map(|s| s.to_ascii_uppercase())
    .collect()
}

/// The message, cut before any quoted input value, at most 300 characters.
pub fn safe_message(message: &str) -> String {
    let lower = message.to_ascii_lowercase();
    let cut = ["invalid value", "got invalid value", "value \""]
        .iter()
        .filter_map(|m| lower.find(m).map(|i| i + m.len()))
        .min();
    let kept = match cut {
        Some(i) => format!(
            "{} (value not shown)",
            message[..i].trim_end_matches([':', ' '])
        ),
        None => message.to_owned(),
    };
    kept.chars().take(300).collect()
}

fn is_throttle(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    [
        "throttl",
        "too many requests",
        "rate limit",
        "rate_limit",
        "ratelimit",
    ]
    .iter()
    .any(|m| t.contains(m))
}

/// One GraphQL error, classified.
pub fn classify_graphql(e: &GraphQlError) -> MarketplaceError {
    let labels = labels(e);
    let raw = e.message.clone().unwrap_or_default();
    let message = if raw.trim().is_empty() {
        "Wayfair answered with a GraphQL error".to_owned()
    } else {
        safe_message(&raw)
    };
    let has = |names: &[&str]| labels.iter().any(|l| names.contains(&l.as_str()));
    let err = if is_throttle(&raw) || labels.iter().any(|l| is_throttle(l)) {
        MarketplaceError::rate_limited(None, message)
    } else if has(&["UNAUTHENTICATED", "UNAUTHORIZED", "AUTHENTICATION"]) {
        MarketplaceError::unauthorized(message)
    } else if has(&[
        "INTERNAL",
        "INTERNAL_ERROR",
        "INTERNAL_SERVER_ERROR",
        "SERVICE_UNAVAILABLE",
        "UNAVAILABLE",
        "TIMEOUT",
    ]) {
        MarketplaceError::transient(message)
    } else {
        // `graphql` (validation), `request`, `BAD_REQUEST`, `ValidationError`,
        // `PERMISSION_DENIED`, business errors: the same request cannot succeed.
        MarketplaceError::permanent(message)
    };
    match labels.into_iter().next() {
        Some(code) => err.with_code(code),
        None => err,
    }
}

/// Classify one Wayfair response: `Ok` for a 2xx without GraphQL errors, otherwise the error
/// kind the caller acts on.
pub fn parse_error(response: &RawResponse) -> Result<(), MarketplaceError> {
    let status = response.status.as_u16();
    let errors = graphql_errors(response);
    if response.status.is_success() {
        return match errors.first() {
            None => Ok(()),
            Some(first) => Err(classify_graphql(first).with_status(status)),
        };
    }
    let message = errors
        .first()
        .and_then(|e| e.message.as_deref())
        .map(safe_message)
        .or_else(|| {
            serde_json::from_slice::<GatewayError>(&response.body)
                .ok()
                .and_then(|g| g.error_description.or(g.message).or(g.error))
                .map(|m| safe_message(&m))
        })
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| format!("HTTP {status} from Wayfair"));
    let err = match status {
        429 => MarketplaceError::rate_limited(None, message),
        401 => MarketplaceError::unauthorized(message),
        408 => MarketplaceError::transient(message),
        _ if response.status.is_server_error() => MarketplaceError::transient(message),
        _ if errors
            .first()
            .is_some_and(|e| is_throttle(e.message.as_deref().unwrap_or(""))) =>
        {
            MarketplaceError::rate_limited(None, message)
        }
        _ => MarketplaceError::permanent(message),
    };
    Err(err.with_status(status))
}

#[cfg(test)]
mod tests {
    use super::*;
    use core_model::ErrorKind;

    fn json(status: u16, body: &str) -> RawResponse {
        RawResponse::new(status, "application/json", body.to_owned())
    }

    #[test]
    fn graphql_errors_with_200_are_errors() {
        let not_found = r#"{"errors":[{"message":"Purchase order CS123456789 was not found for supplier 12345","locations":[{"line":3,"column":5}],"path":["purchaseOrders","accept"],"extensions":{"category":"graphql"}}],"data":{"purchaseOrders":{"accept":null}}}"#;
        let e = parse_error(&json(200, not_found)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Permanent);
        assert_eq!(e.code(), Some("GRAPHQL"));
        assert_eq!(e.status(), Some(200));
        assert!(e.message().contains("CS123456789 was not found"));

        let internal = r#"{"errors":[{"message":"Internal server error","extensions":{"category":"internal"}}]}"#;
        assert_eq!(
            parse_error(&json(200, internal)).unwrap_err().kind(),
            ErrorKind::Transient
        );
        let denied =
            r#"{"errors":[{"message":"Forbidden","extensions":{"category":"PERMISSION_DENIED"}}]}"#;
        assert_eq!(
            parse_error(&json(200, denied)).unwrap_err().kind(),
            ErrorKind::Permanent
        );
        let unauthenticated = r#"{"errors":[{"message":"Token expired","extensions":{"classification":{"type":"UNAUTHENTICATED"}}}]}"#;
        assert_eq!(
            parse_error(&json(200, unauthenticated)).unwrap_err().kind(),
            ErrorKind::Unauthorized
        );
        let throttled = r#"{"errors":[{"message":"Request was throttled, please slow down"}]}"#;
        assert_eq!(
            parse_error(&json(200, throttled)).unwrap_err().kind(),
            ErrorKind::RateLimited
        );
        let no_message = r#"{"errors":[{}],"data":null}"#;
        assert!(!parse_error(&json(200, no_message))
            .unwrap_err()
            .message()
            .is_empty());
    }

    #[test]
    fn successes_pass_including_pdfs_and_empty_error_lists() {
        assert!(parse_error(&json(200, r#"{"data":{"getDropshipPurchaseOrders":[]}}"#)).is_ok());
        assert!(parse_error(&json(200, r#"{"data":{"x":1},"errors":[]}"#)).is_ok());
        assert!(parse_error(&json(200, r#"{"data":{"x":1},"errors":null}"#)).is_ok());
        assert!(parse_error(&RawResponse::new(
            200,
            "application/pdf",
            &b"%PDF-1.4\n"[..]
        ))
        .is_ok());
    }

    #[test]
    fn transport_statuses() {
        let e = parse_error(&json(429, r#"{"message":"Too Many Requests"}"#)).unwrap_err();
        assert_eq!((e.kind(), e.status()), (ErrorKind::RateLimited, Some(429)));
        assert!(e.retry_after().is_none());
        let e = parse_error(&json(401, r#"{"message":"Unauthorized"}"#)).unwrap_err();
        assert_eq!(
            (e.kind(), e.message()),
            (ErrorKind::Unauthorized, "Unauthorized")
        );
        assert_eq!(
            parse_error(&RawResponse::new(503, "text/html", "<html>busy</html>"))
                .unwrap_err()
                .kind(),
            ErrorKind::Transient
        );
        assert_eq!(
            parse_error(&json(
                400,
                r#"{"errors":[{"message":"Syntax Error: Unexpected Name"}]}"#
            ))
            .unwrap_err()
            .kind(),
            ErrorKind::Permanent
        );
        let e = parse_error(&json(404, "")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Permanent);
        assert_eq!(e.message(), "HTTP 404 from Wayfair");
    }

    #[test]
    fn quoted_input_values_are_not_repeated() {
        let body = r#"{"errors":[{"message":"Variable \"$notice\" got invalid value {\"destinationAddress\":{\"name\":\"Priya Achterberg\"}}; Field \"city\" is required.","extensions":{"category":"graphql"}}]}"#;
        let e = parse_error(&json(200, body)).unwrap_err();
        assert!(!e.message().contains("Priya"), "{}", e.message());
        assert!(e.message().contains("$notice"), "{}", e.message());
        assert!(safe_message(&"x".repeat(1000)).len() <= 300);
    }
}
