//! The single `parse_error` of the Rakuten connector.
//!
//! Two envelopes answer errors. The ESA gateway in front of every RMS API refuses credentials
//! and disabled APIs with `{"Results":{"errorCode":"ES01-01","message":"Un-Authorised"}}` (HTTP
//! 401 for ES01-01; `ES04-01` "Bad Request" when the API is not enabled for the shop). The
//! order API itself answers `MessageModelList` items with `messageType` INFO, WARNING or ERROR,
//! on HTTP 400 for validation and sometimes 200: any ERROR that is not scoped to one order is a
//! failure whatever the status. Order-scoped items (`orderNumber` set) are left to the caller,
//! which knows which orders it asked for. Statuses documented on every page: 200, 400, 404,
//! 405, 500, 503; public clients also report 429 (rakuten.md sections 7 and 8).

use connector_kit::{RawResponse, ResponseClassifier};
use core_model::MarketplaceError;

use crate::model::{GatewayError, MessageModel, MessagesOnly};

/// The gateway code of refused credentials: a wrong, revoked or expired (90 days) licence key.
pub const UNAUTHORISED: &str = "ES01-01";
/// The gateway code of an API the shop has not enabled in RMS.
pub const API_NOT_ENABLED: &str = "ES04-01";

/// What an `Unauthorized` says, so the operator knows what to do.
pub const RENEW_LICENCE: &str = "RMS licence keys expire every 90 days: the shop must issue a \
new licenseKey in RMS (店舗様向け情報・サービス > WEB APIサービス > 利用設定) and update \
`license_key` (a new key takes up to ~30 minutes to be accepted); also check `service_secret`";

/// `parse_error` as the kit's classifier for every order API call.
#[derive(Debug, Default, Clone, Copy)]
pub struct RakutenClassifier;

impl ResponseClassifier for RakutenClassifier {
    fn classify(&self, response: &RawResponse) -> Result<(), MarketplaceError> {
        parse_error(response)
    }
}

/// For calls that answer per order (`confirmOrder`): a 200 or 400 whose ERROR items all name
/// an order goes to the caller, which tells "already confirmed" from a real refusal.
#[derive(Debug, Default, Clone, Copy)]
pub struct PerOrderClassifier;

impl ResponseClassifier for PerOrderClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        if matches!(r.status.as_u16(), 200 | 400) && gateway_error(r).is_none() {
            let m = messages(r);
            let mut errors = m.iter().filter(|m| m.is_error()).peekable();
            if errors.peek().is_some() && errors.all(|m| m.order_number.is_some()) {
                return Ok(());
            }
        }
        parse_error(r)
    }
}

/// Success, or the classified error of one RMS response.
pub fn parse_error(r: &RawResponse) -> Result<(), MarketplaceError> {
    let status = r.status.as_u16();
    if let Some(gateway) = gateway_error(r) {
        return Err(gateway.with_status(status));
    }
    if status == 401 {
        return Err(unauthorised(None, "HTTP 401").with_status(status));
    }
    let messages = messages(r);
    let failures: Vec<&MessageModel> = messages
        .iter()
        .filter(|m| m.is_error() && m.order_number.is_none())
        .collect();
    let text = if failures.is_empty() {
        messages
            .iter()
            .filter(|m| m.is_error())
            .map(MessageModel::describe)
            .collect::<Vec<_>>()
            .join("; ")
    } else {
        failures
            .iter()
            .map(|m| m.describe())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let code = failures
        .first()
        .map(|m| m.message_code.clone())
        .filter(|c| !c.is_empty());
    let text = if text.is_empty() {
        format!("HTTP {status} without an RMS message")
    } else {
        text
    };
    let err = match status {
        200..=299 if failures.is_empty() => return Ok(()),
        200..=299 => MarketplaceError::permanent(text),
        429 => MarketplaceError::rate_limited(None, text),
        500..=599 => MarketplaceError::transient(text),
        // 400 validation, 404, 405, ...: the same request cannot succeed.
        _ => MarketplaceError::permanent(text),
    };
    let err = err.with_status(status);
    Err(match code {
        Some(code) => err.with_code(code),
        None => err,
    })
}

/// The `MessageModelList` of a response, empty when the body has none.
pub fn messages(r: &RawResponse) -> Vec<MessageModel> {
    serde_json::from_slice::<MessagesOnly>(&r.body)
        .ok()
        .and_then(|m| m.message_model_list)
        .unwrap_or_default()
}

fn unauthorised(code: Option<&str>, message: &str) -> MarketplaceError {
    let err = MarketplaceError::unauthorized(format!(
        "RMS refused the credentials ({}{message}): {RENEW_LICENCE}",
        code.map(|c| format!("{c} ")).unwrap_or_default()
    ));
    match code {
        Some(c) => err.with_code(c),
        None => err,
    }
}

/// The gateway's `Results` envelope, classified.
fn gateway_error(r: &RawResponse) -> Option<MarketplaceError> {
    let g: GatewayError = serde_json::from_slice(&r.body).ok()?;
    let code = g
        .results
        .error_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())?;
    let message = g.results.message.unwrap_or_default();
    let status = r.status.as_u16();
    Some(match code {
        UNAUTHORISED => unauthorised(Some(code), &message),
        _ if status == 401 => unauthorised(Some(code), &message),
        API_NOT_ENABLED => MarketplaceError::permanent(format!(
            "{code} {message}: the RakutenPay Order API is not enabled for this shop; enable \
             it in RMS (WEB APIサービス > 利用機能編集)"
        ))
        .with_code(code),
        _ => {
            let text = format!("{code} {message}");
            match status {
                429 => MarketplaceError::rate_limited(None, text),
                500..=599 => MarketplaceError::transient(text),
                _ => MarketplaceError::permanent(text),
            }
            .with_code(code)
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::ErrorKind;

    fn resp(status: u16, body: &str) -> RawResponse {
        RawResponse::new(status, "application/json;charset=utf-8", body.to_owned())
    }

    fn kind(status: u16, body: &str) -> ErrorKind {
        parse_error(&resp(status, body)).unwrap_err().kind()
    }

    #[test]
    fn an_expired_licence_says_it_must_be_renewed() {
        let e = parse_error(&resp(
            401,
            r#"{"Results":{"errorCode":"ES01-01","message":"Un-Authorised"}}"#,
        ))
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
        assert_eq!(e.code(), Some("ES01-01"));
        assert_eq!(e.status(), Some(401));
        assert!(e.message().contains("Un-Authorised"), "{}", e.message());
        assert!(
            e.message().contains("expire every 90 days"),
            "{}",
            e.message()
        );
        assert!(e.message().contains("new licenseKey"), "{}", e.message());
        // A bare 401 is the same refusal.
        let bare = parse_error(&resp(401, "")).unwrap_err();
        assert_eq!(bare.kind(), ErrorKind::Unauthorized);
        assert!(bare.message().contains("90 days"));
    }

    #[test]
    fn gateway_codes() {
        let e = parse_error(&resp(
            400,
            r#"{"Results":{"errorCode":"ES04-01","message":"Bad Request"}}"#,
        ))
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Permanent);
        assert!(e.message().contains("利用機能編集"));
        assert_eq!(
            kind(
                503,
                r#"{"Results":{"errorCode":"ES99-99","message":"Service Unavailable"}}"#
            ),
            ErrorKind::Transient
        );
    }

    #[test]
    fn order_api_messages() {
        // The searchOrder page's 400 sample.
        let e = parse_error(&resp(400, r#"{"orderNumberList":null,"MessageModelList":[
            {"messageType":"ERROR","messageCode":"ORDER_EXT_API_SEARCH_ORDER_ERROR_009","message":"dateTypeの項目を指定して下さい。"},
            {"messageType":"ERROR","messageCode":"ORDER_EXT_API_SEARCH_ORDER_ERROR_011","message":"startDatetimeの書式が不正です。"}],
            "PaginationResponseModel":null}"#)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Permanent);
        assert_eq!(e.code(), Some("ORDER_EXT_API_SEARCH_ORDER_ERROR_009"));
        assert!(e
            .message()
            .contains("ERROR_011: startDatetimeの書式が不正です。"));
        // ERROR on HTTP 200 is still a failure.
        assert_eq!(
            kind(
                200,
                r#"{"MessageModelList":[{"messageType":"ERROR","messageCode":"ORDER_EXT_API_UPDATE_ORDERSHIPPING_ERROR_011","message":"deliveryCompanyの書式が不正です。","dataNumber":1,"shippingDetailId":null}]}"#
            ),
            ErrorKind::Permanent
        );
        // INFO and WARNING are success; so are errors scoped to one order (the caller decides).
        assert!(parse_error(&resp(
            200,
            r#"{"orderNumberList":[],"MessageModelList":[{"messageType":"INFO","messageCode":"ORDER_EXT_API_SEARCH_ORDER_INFO_102","message":"注文検索に成功しました。(検索結果０件)"}]}"#
        ))
        .is_ok());
        assert!(parse_error(&resp(
            200,
            r#"{"MessageModelList":[{"messageType":"ERROR","messageCode":"ORDER_EXT_API_CONFIRM_ORDER_ERROR_103","message":"x","orderNumber":"1-2-3"}]}"#
        ))
        .is_ok());
    }

    #[test]
    fn per_order_answers_go_to_the_caller() {
        let already = r#"{"MessageModelList":[{"messageType":"ERROR","messageCode":"ORDER_EXT_API_CONFIRM_ORDER_ERROR_103","message":"x","orderNumber":"1-2-3"}]}"#;
        assert!(PerOrderClassifier.classify(&resp(400, already)).is_ok());
        assert!(PerOrderClassifier.classify(&resp(200, already)).is_ok());
        // Anything else is the ordinary classification.
        let general =
            r#"{"MessageModelList":[{"messageType":"ERROR","messageCode":"E","message":"x"}]}"#;
        assert!(PerOrderClassifier.classify(&resp(400, general)).is_err());
        assert!(PerOrderClassifier.classify(&resp(500, already)).is_err());
        let unauth = r#"{"Results":{"errorCode":"ES01-01","message":"Un-Authorised"}}"#;
        assert_eq!(
            PerOrderClassifier
                .classify(&resp(401, unauth))
                .unwrap_err()
                .kind(),
            ErrorKind::Unauthorized
        );
    }

    #[test]
    fn http_statuses() {
        assert_eq!(kind(429, ""), ErrorKind::RateLimited);
        assert_eq!(kind(500, ""), ErrorKind::Transient);
        assert_eq!(
            kind(503, "<html>Service Unavailable</html>"),
            ErrorKind::Transient
        );
        assert_eq!(kind(404, ""), ErrorKind::Permanent);
        assert_eq!(kind(405, ""), ErrorKind::Permanent);
        let e = parse_error(&resp(500, "")).unwrap_err();
        assert_eq!(e.message(), "HTTP 500 without an RMS message");
    }
}
