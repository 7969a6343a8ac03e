//! The single `parse_error` of the store APIs' XML answers.
//!
//! Errors come as `<Error><Message/><Code/></Error>` (developer.yahoo.co.jp/appendix/
//! errors.html), token problems also as `WWW-Authenticate: Bearer realm="yahooapis.jp",
//! error="invalid_token", error_description="expired token"` (YConnect v2 api_access.html):
//! - 401, or code `px-04102` ("AccessToken has been expired. This API session is shorter than
//!   another API"): unauthorized, so the kit refreshes the token once;
//! - 403 `insufficient_scope`: unauthorized (the app or the consent lacks the store scope);
//! - 403 `px-04303` (app not approved for the order API), `px-04306` (source IP not
//!   registered), `px-14303`, `px-14304` (business id / seller not allowed): permanent, an
//!   operator must fix the registration;
//! - 403 "Your Request was Forbidden" with no code: the app's daily quota (50,000 requests per
//!   application id, reset at 00:00 JST; developer.yahoo.co.jp/appendix/rate.html) or the
//!   per-second ceiling: rate limited, the kit backs off;
//! - 429: rate limited; 5xx: transient; any other 4xx: permanent.
//!
//! A 2xx whose document is an `<Error>`, or whose `<Status>` is not `OK`, is an error too.

use connector_kit::{RawResponse, ResponseClassifier};
use core_model::MarketplaceError;

use crate::model::{AnyDocument, Document, ErrorBody, Node};

/// Session expired or public-key authentication missing: the token must be renewed.
pub const SESSION_EXPIRED: &str = "px-04102";
/// Codes that need an operator (app approval, source IP, business id, seller).
pub const REGISTRATION_CODES: &[&str] = &["px-04303", "px-04306", "px-14303", "px-14304"];
/// The gateway's answer to an exhausted quota.
pub const FORBIDDEN_MESSAGE: &str = "Your Request was Forbidden";

/// `parse_error` as the kit's classifier for every store API call.
#[derive(Debug, Default, Clone, Copy)]
pub struct YahooClassifier;

impl ResponseClassifier for YahooClassifier {
    fn classify(&self, response: &RawResponse) -> Result<(), MarketplaceError> {
        parse_error(response)
    }
}

/// What an error answer says: the `<Error>` body and the `WWW-Authenticate` error, if any.
#[derive(Debug, Default)]
pub struct ErrorInfo {
    pub message: Option<String>,
    pub code: Option<String>,
    /// `error="..."` of `WWW-Authenticate`.
    pub auth_error: Option<String>,
}

/// `name="value"` from a `WWW-Authenticate` challenge.
fn challenge_param(header: &str, name: &str) -> Option<String> {
    let start = header.find(&format!("{name}=\""))? + name.len() + 2;
    let rest = &header[start..];
    rest.find('"').map(|end| rest[..end].to_owned())
}

fn trimmed(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Read the error parts of a response (any status).
pub fn error_info(response: &RawResponse) -> ErrorInfo {
    let body = match std::str::from_utf8(&response.body)
        .ok()
        .and_then(|text| quick_xml::de::from_str::<Document<Node>>(text).ok())
    {
        Some(Document::Error(body)) => body,
        _ => ErrorBody::default(),
    };
    ErrorInfo {
        message: trimmed(body.message),
        code: trimmed(body.code),
        auth_error: response
            .header(http::header::WWW_AUTHENTICATE.as_str())
            .and_then(|h| challenge_param(h, "error")),
    }
}

/// `<Status>` of a successful-looking document, when it is not `OK`.
fn failed_status(response: &RawResponse) -> Option<String> {
    let text = std::str::from_utf8(&response.body).ok()?;
    let root = match quick_xml::de::from_str::<AnyDocument>(text).ok()? {
        Document::Result(node) => node,
        Document::ResultSet(Node::Element(children)) => children
            .into_iter()
            .find(|(name, _)| name == "Result")
            .map(|(_, node)| node)?,
        _ => return None,
    };
    let status = root.to_json().get("Status")?.as_str()?.trim().to_owned();
    (status != "OK").then_some(status)
}

/// Classify one store API response: `Ok` for a successful document, otherwise the error kind
/// the caller acts on.
pub fn parse_error(response: &RawResponse) -> Result<(), MarketplaceError> {
    let status = response.status.as_u16();
    if response.status.is_success() {
        let info = error_info(response);
        if info.message.is_none() && info.code.is_none() {
            return match failed_status(response) {
                None => Ok(()),
                Some(s) => Err(MarketplaceError::permanent(format!(
                    "the API answered with Status {s}"
                ))
                .with_status(status)),
            };
        }
        return Err(classify(status, info));
    }
    Err(classify(status, error_info(response)))
}

fn classify(status: u16, info: ErrorInfo) -> MarketplaceError {
    let code = info.code.clone().or_else(|| info.auth_error.clone());
    let message = info
        .message
        .clone()
        .unwrap_or_else(|| format!("HTTP {status} without a Yahoo error body"));
    let code_is = |c: &str| info.code.as_deref() == Some(c);
    let mut err = if status == 401 || code_is(SESSION_EXPIRED) {
        MarketplaceError::unauthorized(message)
    } else if status == 429 {
        MarketplaceError::rate_limited(None, message)
    } else if status == 403 {
        if info.auth_error.as_deref() == Some("insufficient_scope") {
            MarketplaceError::unauthorized(format!(
                "the store must re-authorize with the store-operation scope: {message}"
            ))
        } else if REGISTRATION_CODES.iter().any(|c| code_is(c)) {
            MarketplaceError::permanent(format!(
                "the application or server is not registered for the order API: {message}"
            ))
        } else if info.code.is_none() && message == FORBIDDEN_MESSAGE {
            MarketplaceError::rate_limited(
                None,
                "Your Request was Forbidden (request quota of the application id exhausted)",
            )
        } else {
            MarketplaceError::permanent(message)
        }
    } else if (500..600).contains(&status) {
        MarketplaceError::transient(message)
    } else {
        MarketplaceError::permanent(message)
    };
    err = err.with_status(status);
    if let Some(code) = code {
        err = err.with_code(code);
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;
    use core_model::ErrorKind;

    fn xml(status: u16, body: &str) -> RawResponse {
        RawResponse::new(status, "application/xml", body.to_owned())
    }

    const EXPIRED: &str = "<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n<Error>\n<Message>\n\
        Please provide valid credentials. Bearer realm=\"yahooapis.jp\", error=\"invalid_token\", \
        error_description=\"expired token\"\n</Message>\n</Error>";

    #[test]
    fn an_expired_token_is_unauthorized() {
        let mut r = xml(401, EXPIRED);
        r.headers.insert(
            http::header::WWW_AUTHENTICATE,
            http::HeaderValue::from_static(
                "Bearer realm=\"yahooapis.jp\", error=\"invalid_token\", error_description=\"expired token\"",
            ),
        );
        let e = parse_error(&r).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
        assert_eq!(e.code(), Some("invalid_token"));
        assert!(e.message().starts_with("Please provide valid credentials."));

        let session = "<Error><Message>AccessToken has been expired. This API session is shorter \
            than another API.</Message><Code>px-04102</Code></Error>";
        let e = parse_error(&xml(401, session)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
        assert_eq!(e.code(), Some("px-04102"));
        assert_eq!(
            parse_error(&xml(400, session)).unwrap_err().kind(),
            ErrorKind::Unauthorized
        );
        assert_eq!(
            parse_error(&xml(401, "")).unwrap_err().kind(),
            ErrorKind::Unauthorized
        );
    }

    #[test]
    fn forbidden_answers_are_told_apart() {
        let quota = "<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n<Error>\n<Message>\n\
            Your Request was Forbidden\n</Message>\n</Error>\n";
        let e = parse_error(&xml(403, quota)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert!(e.retry_after().is_none());

        let ip = "<Error><Message>Forbidden: source IP address is not registered.</Message>\
            <Code>px-04306</Code></Error>";
        let e = parse_error(&xml(403, ip)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Permanent);
        assert_eq!(e.code(), Some("px-04306"));
        for code in REGISTRATION_CODES {
            let body = format!("<Error><Message>x</Message><Code>{code}</Code></Error>");
            assert_eq!(
                parse_error(&xml(403, &body)).unwrap_err().kind(),
                ErrorKind::Permanent
            );
        }

        let mut scope = xml(
            403,
            "<Error><Message>Please provide valid credentials.</Message></Error>",
        );
        scope.headers.insert(
            http::header::WWW_AUTHENTICATE,
            http::HeaderValue::from_static(
                "Bearer realm=\"yahooapis.jp\", error=\"insufficient_scope\", error_description=\"insufficient scope\"",
            ),
        );
        let e = parse_error(&scope).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
        assert_eq!(e.code(), Some("insufficient_scope"));
        assert_eq!(
            parse_error(&xml(403, "")).unwrap_err().kind(),
            ErrorKind::Permanent
        );
    }

    #[test]
    fn other_statuses() {
        assert_eq!(
            parse_error(&xml(429, "")).unwrap_err().kind(),
            ErrorKind::RateLimited
        );
        let down = "<Error><Message>Service unavailable</Message></Error>";
        assert_eq!(
            parse_error(&xml(503, down)).unwrap_err().kind(),
            ErrorKind::Transient
        );
        assert_eq!(
            parse_error(&xml(500, "<html>")).unwrap_err().kind(),
            ErrorKind::Transient
        );
        let bad = "<Error><Message>Cannot Be Operated : CancelOrder ShipStatus</Message></Error>";
        let e = parse_error(&xml(400, bad)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Permanent);
        assert_eq!(e.message(), "Cannot Be Operated : CancelOrder ShipStatus");
        assert_eq!(
            parse_error(&xml(404, "")).unwrap_err().kind(),
            ErrorKind::Permanent
        );
    }

    #[test]
    fn successful_documents_pass_and_errors_in_them_do_not() {
        let ok = "<ResultSet totalResultsAvailable=\"1\"><Result><Status>OK</Status></Result></ResultSet>";
        assert!(parse_error(&xml(200, ok)).is_ok());
        let list =
            "<Result><Status>OK</Status><Search><TotalCount>0</TotalCount></Search></Result>";
        assert!(parse_error(&xml(200, list)).is_ok());
        let ng = "<ResultSet><Result><Status>NG</Status></Result></ResultSet>";
        assert_eq!(
            parse_error(&xml(200, ng)).unwrap_err().kind(),
            ErrorKind::Permanent
        );
        let hidden =
            "<Error><Message>AccessToken has been expired.</Message><Code>px-04102</Code></Error>";
        assert_eq!(
            parse_error(&xml(200, hidden)).unwrap_err().kind(),
            ErrorKind::Unauthorized
        );
        // Not XML at all: the consumer reports it as malformed.
        assert!(parse_error(&xml(200, "{}")).is_ok());
    }
}
