//! The single `parse_error` of the Shopee connector.
//!
//! Shopee answers errors in a JSON envelope (`error`, `message`, `request_id`) and the body is
//! authoritative: the HTTP status of business errors is not documented (200 for many, 4xx for
//! gateway checks in practice), so the `error` code decides the kind and the status is only a
//! fallback for bodies that are not Shopee JSON (gateway pages, empty bodies).

use std::time::Duration;

use chrono::{FixedOffset, TimeZone, Utc};
use connector_kit::{RawResponse, ResponseClassifier};
use core_model::MarketplaceError;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::model::DocumentResults;

/// The answer to `ship_order` for a package whose shipment is already arranged
/// (v2.logistics.ship_order error_list).
pub const PACKAGE_ALREADY_SHIPPED: &str = "logistics.package_already_shipped";

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default)]
    response: Option<Box<RawValue>>,
}

/// Classifies every Shopee answer; also used (wrapped) by the label and tracking flows.
#[derive(Debug, Default)]
pub struct ShopeeClassifier;

impl ResponseClassifier for ShopeeClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        parse_error(r)
    }
}

/// Success, or the classified platform error of `r`.
pub fn parse_error(r: &RawResponse) -> Result<(), MarketplaceError> {
    let status = r.status.as_u16();
    if let Some(body) = error_body(r) {
        if let Some(code) = body
            .error
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            let message = body.message.as_deref().unwrap_or_default();
            let mut err = classify_code(code, message, body.response.as_deref())
                .with_code(code)
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
        500..=599 => Err(MarketplaceError::transient("Shopee server error").with_status(status)),
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
    serde_json::from_slice(&r.body).ok()
}

/// The kind of one Shopee error code (common_error_list and the per-API error_list).
fn classify_code(code: &str, message: &str, response: Option<&RawValue>) -> MarketplaceError {
    let text = if message.is_empty() {
        code.to_owned()
    } else {
        message.to_owned()
    };
    match code {
        "error_rate_limit" => MarketplaceError::rate_limited(None, text),
        // The daily cap resets at 00:00 UTC+8: wait for it (the kit fails fast on long waits).
        "error_limit" => MarketplaceError::rate_limited(Some(until_next_reset()), text),
        "error_auth"
        | "invalid_acceess_token"
        | "invalid_access_token"
        | "error_access_token"
        | "shop_access_expired"
        | "shop_no_linked"
        | "partner_shop_no_link"
        | "refresh_token_expired"
        | "error_shop_refresh_token"
        | "invalid_refresh_token" => MarketplaceError::unauthorized(text),
        "error_server"
        | "error_network"
        | "error_busi"
        | "error_config"
        | "logistics.error_network"
        | "logistics.error_other"
        | "logistics.error_timeout"
        | "logistics.error_connection"
        | "logistics.error_core_server"
        | "logistics.error_third_party_server"
        | "logistics.download_later"
        | "logistics.package_print_failed"
        | "logistics.error_too_many_invoke_function"
        | "logistics.logistic_order_is_locked_on_creating" => MarketplaceError::transient(text),
        "common.batch_api_all_failed" => {
            MarketplaceError::permanent(batch_failure(&text, response))
        }
        _ => MarketplaceError::permanent(text),
    }
}

/// A batch call where every element failed: name the first element's own error.
fn batch_failure(message: &str, response: Option<&RawValue>) -> String {
    let first = response
        .and_then(|r| serde_json::from_str::<DocumentResults>(r.get()).ok())
        .and_then(|r| r.result_list.into_iter().find(|x| x.fail_error.is_some()));
    match first {
        Some(x) => format!(
            "{message}: {} {}",
            x.fail_error.unwrap_or_default(),
            x.fail_message.unwrap_or_default()
        )
        .trim_end()
        .to_owned(),
        None => message.to_owned(),
    }
}

fn until_next_reset() -> Duration {
    let Some(utc8) = FixedOffset::east_opt(8 * 3600) else {
        return Duration::from_secs(3600);
    };
    let now = Utc::now().with_timezone(&utc8);
    let next = now
        .date_naive()
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|t| utc8.from_local_datetime(&t).single());
    next.and_then(|n| (n - now).to_std().ok())
        .unwrap_or(Duration::from_secs(3600))
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

    #[test]
    fn body_code_decides_whatever_the_status() {
        let e = parse_error(&resp(
            200,
            r#"{"error":"error_rate_limit","message":"Too many requests.","request_id":"r1"}"#,
        ))
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(
            (e.code(), e.request_id(), e.status()),
            (Some("error_rate_limit"), Some("r1"), Some(200))
        );
        assert_eq!(
            kind(429, r#"{"error":"error_rate_limit","message":""}"#),
            ErrorKind::RateLimited
        );
        assert_eq!(
            kind(
                403,
                r#"{"error":"invalid_acceess_token","message":"Invalid access_token, please have a check."}"#
            ),
            ErrorKind::Unauthorized
        );
        assert_eq!(
            kind(
                200,
                r#"{"error":"error_auth","message":"Invalid access_token."}"#
            ),
            ErrorKind::Unauthorized
        );
        assert_eq!(
            kind(403, r#"{"error":"error_sign","message":"Wrong sign."}"#),
            ErrorKind::Permanent
        );
        assert_eq!(
            kind(
                400,
                r#"{"error":"error_param","message":"Wrong parameters"}"#
            ),
            ErrorKind::Permanent
        );
        assert_eq!(
            kind(
                200,
                r#"{"error":"order.order_list_invalid_time","message":"diff in 15days"}"#
            ),
            ErrorKind::Permanent
        );
        assert_eq!(
            kind(500, r#"{"error":"error_server","message":"System error."}"#),
            ErrorKind::Transient
        );
        assert_eq!(
            kind(
                200,
                r#"{"error":"logistics.download_later","message":"Processing"}"#
            ),
            ErrorKind::Transient
        );
        let daily = parse_error(&resp(
            200,
            r#"{"error":"error_limit","message":"daily cap"}"#,
        ))
        .unwrap_err();
        assert_eq!(daily.kind(), ErrorKind::RateLimited);
        assert!(daily.retry_after().unwrap() <= Duration::from_secs(86_400));
    }

    #[test]
    fn status_is_the_fallback() {
        assert!(parse_error(&resp(200, r#"{"error":"","message":"","response":{}}"#)).is_ok());
        assert_eq!(kind(502, "<html>bad gateway</html>"), ErrorKind::Transient);
        assert_eq!(kind(429, ""), ErrorKind::RateLimited);
        assert_eq!(kind(404, "not found"), ErrorKind::Permanent);
        let mut pdf = resp(200, "%PDF-1.4");
        pdf.headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/pdf"),
        );
        assert!(parse_error(&pdf).is_ok());
    }

    #[test]
    fn batch_failures_name_the_element_error() {
        let e = parse_error(&resp(200, r#"{"error":"common.batch_api_all_failed","message":"Failed, please check result_list for more details.","response":{"result_list":[{"order_sn":"2211289U7C0PUK","fail_error":"logistics.package_can_not_print","fail_message":"The package can not print now."}]},"request_id":"3c8a"}"#)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Permanent);
        assert!(
            e.message().contains("logistics.package_can_not_print"),
            "{}",
            e.message()
        );
    }
}
