//! Coupang's CEA request signature: every call carries
//! `Authorization: CEA algorithm=HmacSHA256, access-key={accessKey}, signed-date={yyMMdd'T'HHmmss'Z'},
//! signature={hex}`, where the signature is lowercase hex HMAC-SHA256 keyed with the secret
//! key's UTF-8 bytes over `signed-date + METHOD + path + query` (no separators, query without
//! `?` exactly as sent, body not signed).
//! <https://developers.coupangcorp.com/hc/en-us/articles/360033461914-Creating-HMAC-Signature>
//!
//! There is no token: the authorizer signs each attempt afresh (the gateway refuses a signature
//! a few minutes old) and reports no token generation, so the kit never re-sends a refused
//! request. The mock platform's check (`verify`) lives here too, beside the signer it mirrors.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use connector_kit::sign::{hmac_sha256_hex, signatures_match};
use connector_kit::{ApiRequest, Authorizer, MockRejection, WireRequest};
use core_model::MarketplaceError;
use http::header::AUTHORIZATION;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::error;

pub const ALGORITHM: &str = "HmacSHA256";
/// `signed-date`: UTC, two-digit year.
pub const SIGNED_DATE_FORMAT: &str = "%y%m%dT%H%M%SZ";
/// How far the mock lets `signed-date` drift from its clock. Coupang documents only that a
/// signature expires "after a certain time"; five minutes is this connector's assumption.
pub const SIGNED_DATE_TOLERANCE: TimeDelta = TimeDelta::minutes(5);

/// `signed-date` for `now`.
pub fn signed_date(now: DateTime<Utc>) -> String {
    now.format(SIGNED_DATE_FORMAT).to_string()
}

/// The signed message: `signed-date + METHOD + path + query`.
pub fn message(signed_date: &str, method: &str, path: &str, query: &str) -> String {
    format!("{signed_date}{method}{path}{query}")
}

/// Lowercase hex HMAC-SHA256 of `message` under the secret key.
pub fn signature(secret_key: &SecretString, message: &str) -> String {
    hmac_sha256_hex(secret_key.expose_secret().as_bytes(), message.as_bytes())
}

/// The `Authorization` header value, in the Wing samples' `, ` separated form.
pub fn authorization(access_key: &str, signed_date: &str, signature: &str) -> String {
    format!(
        "CEA algorithm={ALGORITHM}, access-key={access_key}, signed-date={signed_date}, signature={signature}"
    )
}

/// The path the gateway verifies: from `/v2/providers/` on, so a base-URL override with a path
/// prefix (a proxy, a mock) does not change what is signed.
pub fn signed_path(url: &Url) -> &str {
    let path = url.path();
    path.find("/v2/").map_or(path, |i| &path[i..])
}

/// The query string exactly as the kit will put it on the wire (it appends `query` to the
/// URL with `form_urlencoded`), without the `?`.
pub fn wire_query(request: &ApiRequest) -> String {
    request.wire_url().query().unwrap_or_default().to_owned()
}

/// Signs every Wing call with the seller's OPEN API key.
pub struct CeaSigner {
    access_key: String,
    secret_key: SecretString,
}

impl fmt::Debug for CeaSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CeaSigner").finish_non_exhaustive()
    }
}

impl CeaSigner {
    pub fn new(access_key: String, secret_key: SecretString) -> Self {
        CeaSigner {
            access_key,
            secret_key,
        }
    }

    /// The `Authorization` value for `request` at `now` (a parameter so tests can reproduce
    /// known signatures).
    pub fn authorization_for(&self, request: &ApiRequest, now: DateTime<Utc>) -> String {
        let date = signed_date(now);
        let msg = message(
            &date,
            request.method.as_str(),
            signed_path(&request.url),
            &wire_query(request),
        );
        authorization(&self.access_key, &date, &signature(&self.secret_key, &msg))
    }
}

#[async_trait]
impl Authorizer for CeaSigner {
    async fn authorize(&self, request: &mut ApiRequest) -> Result<Option<u64>, MarketplaceError> {
        let value = self.authorization_for(request, Utc::now());
        request.set_header(AUTHORIZATION, value);
        // No token generation: a refused key cannot be renewed by re-sending.
        Ok(None)
    }

    async fn invalidate(&self, _generation: u64) {}
}

/// The parts of a CEA `Authorization` header.
#[derive(Debug, PartialEq, Eq)]
pub struct CeaHeader<'a> {
    pub algorithm: &'a str,
    pub access_key: &'a str,
    pub signed_date: &'a str,
    pub signature: &'a str,
}

/// Parses `CEA algorithm=..., access-key=..., signed-date=..., signature=...` (with `, ` or `,`
/// between the fields, in any order). `None` when a field is missing.
pub fn parse_header(value: &str) -> Option<CeaHeader<'_>> {
    let fields = value.strip_prefix("CEA ")?;
    let (mut algorithm, mut access_key, mut signed_date, mut signature) = (None, None, None, None);
    for part in fields.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        let slot = match k.trim() {
            "algorithm" => &mut algorithm,
            "access-key" => &mut access_key,
            "signed-date" => &mut signed_date,
            "signature" => &mut signature,
            _ => return None,
        };
        *slot = Some(v.trim());
    }
    Some(CeaHeader {
        algorithm: algorithm?,
        access_key: access_key?,
        signed_date: signed_date?,
        signature: signature?,
    })
}

/// What Coupang's gateway checks on every request, against `secrets.access_key` (optional) and
/// `secrets.secret_key`, at `now`; failures carry the gateway's own 401 bodies.
pub fn verify(
    secrets: &serde_json::Value,
    request: &WireRequest,
    now: DateTime<Utc>,
) -> Result<(), MockRejection> {
    let header = request
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let Some(header) = header.filter(|h| h.starts_with("CEA ")) else {
        return Err(rejection(
            error::NOT_AUTHORIZED,
            "9fa11d4c-bcbd-4702-a994-b699f5968d8a",
        ));
    };
    let format_invalid = || {
        rejection(
            error::HMAC_FORMAT_INVALID,
            "b806c1f1-1b6c-4ca6-9040-0418f695a315",
        )
    };
    let cea = parse_header(header).ok_or_else(format_invalid)?;
    if cea.algorithm != ALGORITHM {
        return Err(format_invalid());
    }
    let signed_at = NaiveDateTime::parse_from_str(cea.signed_date, SIGNED_DATE_FORMAT)
        .map_err(|_| format_invalid())?
        .and_utc();
    let known_key = secrets.get("access_key").and_then(|v| v.as_str());
    if known_key.is_some_and(|k| k != cea.access_key) {
        return Err(rejection(
            error::UNKNOWN_KEY,
            "f57c356c-e3f5-4b71-b45f-3db19f6b092b",
        ));
    }
    if (now - signed_at).abs() > SIGNED_DATE_TOLERANCE {
        return Err(rejection(
            error::SIGNATURE_EXPIRED,
            "2d2ccd2b-2e3f-480b-966d-e9ceedaaa91f",
        ));
    }
    let secret: SecretString = secrets
        .get("secret_key")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned()
        .into();
    let msg = message(
        cea.signed_date,
        request.method.as_str(),
        signed_path(&request.url),
        request.url.query().unwrap_or_default(),
    );
    if signatures_match(&signature(&secret, &msg), cea.signature) {
        Ok(())
    } else {
        Err(rejection(
            error::INVALID_SIGNATURE,
            "78dcba12-7e64-400a-8f1d-0c185a1f3ce1",
        ))
    }
}

fn rejection(message: &str, transaction_id: &str) -> MockRejection {
    MockRejection {
        status: 401,
        body: serde_json::json!({
            "code": "ERROR",
            "message": message,
            "transactionId": transaction_id,
        }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bytes::Bytes;
    use chrono::TimeZone;
    use core_model::Operation;
    use http::{HeaderMap, HeaderValue, Method};

    /// The sample key pair printed in Coupang's own Python example (coupang.md section 2).
    const ACCESS: &str = "0a3a0f34-7852-4ad8-9368-766290b8b1ab";
    const SECRET: &str = "7ffcdf980d908fe7ca3d642868e22f99f0306bf5";

    fn secret() -> SecretString {
        SECRET.to_owned().into()
    }

    fn at_vector() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 7, 15, 1, 30, 0).unwrap()
    }

    #[test]
    fn reproduces_the_get_test_vector() {
        let date = signed_date(at_vector());
        assert_eq!(date, "250715T013000Z");
        let msg = message(
            &date,
            "GET",
            "/v2/providers/openapi/apis/api/v5/vendors/A00012345/ordersheets",
            "createdAtFrom=2025-07-15%2B09:00&createdAtTo=2025-07-16%2B09:00&maxPerPage=50&status=ACCEPT",
        );
        assert_eq!(
            msg,
            "250715T013000ZGET/v2/providers/openapi/apis/api/v5/vendors/A00012345/ordersheetscreatedAtFrom=2025-07-15%2B09:00&createdAtTo=2025-07-16%2B09:00&maxPerPage=50&status=ACCEPT"
        );
        let sig = signature(&secret(), &msg);
        assert_eq!(
            sig,
            "0f4bd1619b57654ce0b764f37188fa1a5ca4c8b1f04ee9b7016eb2711017cf20"
        );
        assert_eq!(
            authorization(ACCESS, &date, &sig),
            "CEA algorithm=HmacSHA256, access-key=0a3a0f34-7852-4ad8-9368-766290b8b1ab, signed-date=250715T013000Z, signature=0f4bd1619b57654ce0b764f37188fa1a5ca4c8b1f04ee9b7016eb2711017cf20"
        );
    }

    #[test]
    fn reproduces_the_post_test_vector_and_ignores_the_body() {
        let signer = CeaSigner::new(ACCESS.to_owned(), secret());
        let url = Url::parse(
            "https://api-gateway.coupang.com/v2/providers/openapi/apis/api/v4/vendors/A00012345/orders/invoices",
        )
        .unwrap();
        let request = ApiRequest::post(Operation::UploadTracking, "wing", url)
            .json(&serde_json::json!({"vendorId": "A00012345"}))
            .unwrap();
        assert_eq!(
            signer.authorization_for(&request, at_vector()),
            "CEA algorithm=HmacSHA256, access-key=0a3a0f34-7852-4ad8-9368-766290b8b1ab, signed-date=250715T013000Z, signature=9380fc2ab0cd9c204205d8c8de4175c3a32d7325457d9aeb1bfa0ccc12bb664e"
        );
    }

    #[test]
    fn signs_the_query_as_the_kit_sends_it_and_the_path_without_prefix() {
        let url = Url::parse(
            "http://127.0.0.1:9/proxy/v2/providers/openapi/apis/api/v4/vendors/A00012345/ordersheets",
        )
        .unwrap();
        let request = ApiRequest::get(Operation::PullOrders, "wing", url)
            .query("createdAtFrom", "2026-05-10")
            .query("nextToken", "a b+c:d");
        assert_eq!(
            signed_path(&request.url),
            "/v2/providers/openapi/apis/api/v4/vendors/A00012345/ordersheets"
        );
        assert_eq!(
            wire_query(&request),
            "createdAtFrom=2026-05-10&nextToken=a+b%2Bc%3Ad"
        );
    }

    #[tokio::test]
    async fn the_signer_sets_the_header_reports_no_generation_and_hides_keys() {
        let signer = CeaSigner::new(ACCESS.to_owned(), secret());
        let url = Url::parse("https://api-gateway.coupang.com/v2/providers/x").unwrap();
        let mut request = ApiRequest::get(Operation::PullOrders, "wing", url);
        assert_eq!(signer.authorize(&mut request).await.unwrap(), None);
        let (name, value) = &request.headers[0];
        assert_eq!(name, AUTHORIZATION);
        let parsed = parse_header(value).unwrap();
        assert_eq!(parsed.access_key, ACCESS);
        assert_eq!(parsed.algorithm, "HmacSHA256");
        let shown = format!("{signer:?}");
        assert!(
            !shown.contains(SECRET) && !shown.contains(ACCESS),
            "{shown}"
        );
    }

    fn wire(authorization: Option<&str>, url: &str) -> WireRequest {
        let mut headers = HeaderMap::new();
        if let Some(a) = authorization {
            headers.insert(AUTHORIZATION, HeaderValue::from_str(a).unwrap());
        }
        WireRequest {
            method: Method::GET,
            url: Url::parse(url).unwrap(),
            headers,
            body: Bytes::new(),
        }
    }

    #[test]
    fn the_mock_recomputes_the_signature_and_checks_the_date() {
        let secrets = serde_json::json!({"access_key": ACCESS, "secret_key": SECRET});
        let url = "http://127.0.0.1:1/v2/providers/openapi/apis/api/v5/vendors/A00012345/ordersheets?createdAtFrom=2025-07-15%2B09:00&createdAtTo=2025-07-16%2B09:00&maxPerPage=50&status=ACCEPT";
        let good = "CEA algorithm=HmacSHA256, access-key=0a3a0f34-7852-4ad8-9368-766290b8b1ab, signed-date=250715T013000Z, signature=0f4bd1619b57654ce0b764f37188fa1a5ca4c8b1f04ee9b7016eb2711017cf20";
        let now = at_vector() + TimeDelta::minutes(2);
        assert_eq!(verify(&secrets, &wire(Some(good), url), now), Ok(()));
        // The Partners sample's `,` separators parse too.
        let compact = good.replace(", ", ",");
        assert_eq!(verify(&secrets, &wire(Some(&compact), url), now), Ok(()));

        let message_of = |r: Result<(), MockRejection>| {
            let r = r.unwrap_err();
            assert_eq!(r.status, 401);
            assert_eq!(r.body["code"], "ERROR");
            r.body["message"].as_str().unwrap().to_owned()
        };
        let late = at_vector() + TimeDelta::minutes(10);
        assert_eq!(
            message_of(verify(&secrets, &wire(Some(good), url), late)),
            error::SIGNATURE_EXPIRED
        );
        let tampered = url.replace("ACCEPT", "INSTRUCT");
        assert_eq!(
            message_of(verify(&secrets, &wire(Some(good), &tampered), now)),
            error::INVALID_SIGNATURE
        );
        let other_secret = serde_json::json!({"secret_key": "another-secret"});
        assert_eq!(
            message_of(verify(&other_secret, &wire(Some(good), url), now)),
            error::INVALID_SIGNATURE
        );
        let other_key = good.replace("access-key=0a3a", "access-key=ffff");
        assert_eq!(
            message_of(verify(&secrets, &wire(Some(&other_key), url), now)),
            error::UNKNOWN_KEY
        );
        assert_eq!(
            message_of(verify(&secrets, &wire(None, url), now)),
            error::NOT_AUTHORIZED
        );
        for bad in [
            "CEA algorithm=HmacSHA1, access-key=a, signed-date=250715T013000Z, signature=00",
            "CEA access-key=a, signed-date=250715T013000Z, signature=00",
            "CEA algorithm=HmacSHA256, access-key=a, signed-date=2025-07-15, signature=00",
        ] {
            assert_eq!(
                message_of(verify(&secrets, &wire(Some(bad), url), now)),
                error::HMAC_FORMAT_INVALID,
                "{bad}"
            );
        }
    }
}
