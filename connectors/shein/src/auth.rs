//! SHEIN's request signature ("API调用说明文档" and "签名规则"; the official SDKs'
//! `SheinSignatureGenerator`). There is no access token: every call carries the store's
//! `openKeyId`, a millisecond timestamp (valid five minutes) and a signature in headers.
//!
//! - `VALUE = openKeyId + "&" + timestamp + "&" + path` (the request path only, no query);
//! - `KEY = secretKey + randomKey`, `randomKey` being five random letters or digits;
//! - `signature = randomKey + Base64(lowercase_hex(HMAC-SHA256(KEY, VALUE)))`: Base64 of the
//!   64 hex characters, not of the raw digest.
//!
//! The body and the query are not signed. Signed per attempt, so every retry carries a fresh
//! timestamp.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use base64::Engine as _;
use connector_kit::sign::hmac_sha256_hex;
use connector_kit::{ApiRequest, Authorizer};
use core_model::MarketplaceError;
use http::HeaderName;
use secrecy::{ExposeSecret, SecretString};

/// The headers of a signed call. HTTP header names are case-insensitive; SHEIN's documents
/// spell them `x-lt-openKeyId`, `x-lt-timestamp`, `x-lt-signature`.
pub const OPEN_KEY_ID: &str = "x-lt-openkeyid";
pub const TIMESTAMP: &str = "x-lt-timestamp";
pub const SIGNATURE: &str = "x-lt-signature";
/// Asks for English error messages (the documents' request examples send `language: en`).
pub const LANGUAGE: &str = "language";

/// Length of the random prefix; the gateway splits the signature after five characters.
pub const RANDOM_KEY_LEN: usize = 5;

/// How long a timestamp stays valid ("请求时间戳（5分钟内有效）").
pub const TIMESTAMP_VALIDITY_MS: i64 = 5 * 60 * 1000;

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// The signature of one call.
pub fn signature(
    open_key_id: &str,
    secret_key: &str,
    path: &str,
    timestamp_ms: &str,
    random_key: &str,
) -> String {
    let value = format!("{open_key_id}&{timestamp_ms}&{path}");
    let key = format!("{secret_key}{random_key}");
    let hex = hmac_sha256_hex(key.as_bytes(), value.as_bytes());
    let b64 = base64::engine::general_purpose::STANDARD.encode(hex.as_bytes());
    format!("{random_key}{b64}")
}

/// The path SHEIN signs: from `/open-api/` on, so a base-URL override with a path prefix
/// (a sandbox proxy) still signs the platform's own path.
pub fn signed_path(path: &str) -> &str {
    path.find("/open-api/").map_or(path, |at| &path[at..])
}

/// Five random letters and digits. A nonce, not a secret: std's randomly keyed SipHash over a
/// counter and the clock is enough.
pub fn random_key() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_i64(chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default());
    let mut bits = h.finish();
    let n = ALPHABET.len() as u64;
    (0..RANDOM_KEY_LEN)
        .map(|_| {
            let c = ALPHABET[(bits % n) as usize] as char;
            bits /= n;
            c
        })
        .collect()
}

/// Signs every call of one store.
pub struct SheinAuth {
    open_key_id: String,
    secret_key: SecretString,
}

impl fmt::Debug for SheinAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SheinAuth").finish_non_exhaustive()
    }
}

impl SheinAuth {
    pub fn new(open_key_id: String, secret_key: SecretString) -> Self {
        SheinAuth {
            open_key_id,
            secret_key,
        }
    }

    /// The three headers for `path` at `timestamp_ms` with `random_key`.
    pub fn headers(
        &self,
        path: &str,
        timestamp_ms: &str,
        random_key: &str,
    ) -> [(HeaderName, String); 3] {
        let sig = signature(
            &self.open_key_id,
            self.secret_key.expose_secret(),
            signed_path(path),
            timestamp_ms,
            random_key,
        );
        [
            (
                HeaderName::from_static(OPEN_KEY_ID),
                self.open_key_id.clone(),
            ),
            (HeaderName::from_static(TIMESTAMP), timestamp_ms.to_owned()),
            (HeaderName::from_static(SIGNATURE), sig),
        ]
    }
}

#[async_trait]
impl Authorizer for SheinAuth {
    async fn authorize(&self, request: &mut ApiRequest) -> Result<Option<u64>, MarketplaceError> {
        let timestamp = chrono::Utc::now().timestamp_millis().to_string();
        let path = request.url.path().to_owned();
        for (name, value) in self.headers(&path, &timestamp, &random_key()) {
            request.set_header(name, value);
        }
        request.set_header(HeaderName::from_static(LANGUAGE), "en");
        // No token generation: SHEIN keys have no refresh grant. A refused key surfaces at
        // once and the seller must authorize the app again; the kit never re-sends blindly.
        Ok(None)
    }

    async fn invalidate(&self, _generation: u64) {}
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::Operation;
    use url::Url;

    /// The worked example in SHEIN's own documents (solution "商品属性-自定义属性值新方案",
    /// step 1): the published test store (openKey `EED6AEEA...`, secretKey `35D01D98...`),
    /// its curl call to `/open-api/goods/get-custom-attribute-permission-config` at
    /// `1753841948096` and the `x-lt-signature` it sent.
    #[test]
    fn reproduces_the_documented_request() {
        assert_eq!(
            signature(
                "EED6AEEA6B4741EF94D29FED5A1CE76F",
                "35D01D988EBA46FB9D87CA066FFD1805",
                "/open-api/goods/get-custom-attribute-permission-config",
                "1753841948096",
                "test0",
            ),
            "test0ZWYwZGY5N2VjM2M1ZmNkOGI1NDU0M2VjMTM3NWNiNDk0ZjhmY2E3NThkM2NkMzdkM2VjYzEyNGY5Y2QzN2NhNQ=="
        );
    }

    /// The input vector of the official JS SDK's signature test (`tests/signature.test.ts`,
    /// which checks only the prefix); the expected value was computed independently with
    /// Python's hmac/base64.
    #[test]
    fn sdk_test_vector() {
        assert_eq!(
            signature(
                "B96C15416C9240DF96BAA0BC9B367C6D",
                "6BEC9C4B668B4B14B17EEF106BB98AE5",
                "/open-api/order/purchase-order-info",
                "1740709414000",
                "test1",
            ),
            "test1ZDZjYTJjNzg5ZjUzMDdkZTU2N2Y3NzcxN2ZjZjA5OGIxMTRhZWI0MTU1MzQxNjZlNjFkMGQxOTJiYTk1YWNjYQ=="
        );
    }

    #[test]
    fn random_keys_are_five_alphanumerics() {
        let a = random_key();
        assert_eq!(a.len(), RANDOM_KEY_LEN);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()), "{a}");
        let distinct: std::collections::BTreeSet<String> = (0..20).map(|_| random_key()).collect();
        assert!(distinct.len() > 15);
    }

    #[test]
    fn signs_the_platform_path() {
        assert_eq!(
            signed_path("/open-api/order/order-list"),
            "/open-api/order/order-list"
        );
        assert_eq!(
            signed_path("/sandbox/open-api/order/order-list"),
            "/open-api/order/order-list"
        );
        assert_eq!(signed_path("/other"), "/other");
    }

    #[tokio::test]
    async fn authorize_sets_the_headers_without_a_token_generation() {
        let auth = SheinAuth::new("OPENKEY".into(), SecretString::from("SECRET".to_owned()));
        let url = Url::parse("https://openapi.sheincorp.com/open-api/order/order-list").unwrap();
        let mut request = ApiRequest::post(Operation::PullOrders, "orders", url);
        assert_eq!(auth.authorize(&mut request).await.unwrap(), None);
        let get = |name: &str| {
            request
                .headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(get(OPEN_KEY_ID), "OPENKEY");
        assert_eq!(get(LANGUAGE), "en");
        let ts = get(TIMESTAMP);
        assert!((chrono::Utc::now().timestamp_millis() - ts.parse::<i64>().unwrap()).abs() < 5000);
        let sig = get(SIGNATURE);
        let expected = signature(
            "OPENKEY",
            "SECRET",
            "/open-api/order/order-list",
            &ts,
            &sig[..RANDOM_KEY_LEN],
        );
        assert_eq!(sig, expected);
        assert!(!format!("{auth:?}").contains("SECRET"));
    }
}
