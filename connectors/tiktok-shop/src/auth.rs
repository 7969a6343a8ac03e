//! TikTok Shop's request signature, the shop authorizer and the token refresh.
//!
//! Every open-API call carries `app_key`, `timestamp` (Unix seconds), `shop_cipher` and `sign`
//! in the query and the access token in the `x-tts-access-token` header (never in the query
//! since 202309). `sign` is lowercase hex HMAC-SHA256 keyed with the app secret over
//! `app_secret + path + {key}{value}... + body + app_secret`: the query parameters other than
//! `sign` and `access_token` sorted by key, the body exactly as sent unless it is multipart
//! (Partner Center "Sign your API request"; the official Node SDK's `generate-sign.ts`).
//! The authorizer runs once per attempt, so every retry is signed with a fresh timestamp.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use connector_kit::oauth::TOKEN_CLASS;
use connector_kit::sign::hmac_sha256_hex;
use connector_kit::{
    decode_json, ApiRequest, Body, HttpClient, RequestSigner, SignedAuth, TokenGrant, TokenSource,
};
use core_model::{MarketplaceError, Operation};
use http::HeaderName;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::error::TiktokClassifier;
use crate::model::{Envelope, TokenData};

/// Where tokens are granted and refreshed (a different host from the open API).
pub const AUTH_HOST: &str = "https://auth.tiktok-shops.com";
pub const REFRESH_PATH: &str = "/api/v2/token/refresh";
/// The header that carries the access token on 202309+ calls.
pub const ACCESS_TOKEN_HEADER: HeaderName = HeaderName::from_static("x-tts-access-token");

/// The string the HMAC covers, before wrapping it in the secret: the path, then every query
/// parameter except `sign` and `access_token` as `{key}{value}` sorted by key (byte order),
/// then the body.
pub fn string_to_sign(path: &str, query: &[(String, String)], body: &[u8]) -> Vec<u8> {
    let mut params: Vec<&(String, String)> = query
        .iter()
        .filter(|(k, _)| k != "sign" && k != "access_token")
        .collect();
    params.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = Vec::with_capacity(path.len() + body.len() + 64 * params.len());
    out.extend_from_slice(path.as_bytes());
    for (k, v) in params {
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(v.as_bytes());
    }
    out.extend_from_slice(body);
    out
}

/// `sign` for one request: HMAC-SHA256(app_secret, app_secret + string_to_sign + app_secret).
pub fn sign(app_secret: &SecretString, string_to_sign: &[u8]) -> String {
    let secret = app_secret.expose_secret().as_bytes();
    let mut wrapped = Vec::with_capacity(string_to_sign.len() + 2 * secret.len());
    wrapped.extend_from_slice(secret);
    wrapped.extend_from_slice(string_to_sign);
    wrapped.extend_from_slice(secret);
    hmac_sha256_hex(secret, &wrapped)
}

/// Whether a body takes part in the signature: multipart uploads are left out.
pub fn body_is_signed(content_type: Option<&str>) -> bool {
    !content_type.is_some_and(|ct| ct.to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// The app's identity and the shop it acts for: what every signature needs.
pub struct App {
    pub app_key: String,
    pub app_secret: SecretString,
    pub shop_cipher: String,
    /// The path prefix of a base-URL override, stripped so the platform path is what is signed.
    pub path_prefix: String,
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("shop_cipher", &self.shop_cipher)
            .finish_non_exhaustive()
    }
}

impl App {
    /// The platform path of `url`: without the override's prefix.
    pub fn api_path<'u>(&self, url: &'u Url) -> &'u str {
        let path = url.path();
        if self.path_prefix.is_empty() {
            return path;
        }
        path.strip_prefix(self.path_prefix.as_str())
            .filter(|rest| rest.starts_with('/'))
            .unwrap_or(path)
    }

    /// Add the common parameters and `sign` at `timestamp`, freezing a JSON body into the
    /// exact bytes that were signed.
    pub fn sign_into(
        &self,
        request: &mut ApiRequest,
        timestamp: i64,
    ) -> Result<(), MarketplaceError> {
        request.set_query("app_key", self.app_key.clone());
        request.set_query("timestamp", timestamp.to_string());
        request.set_query("shop_cipher", self.shop_cipher.clone());
        request
            .query
            .retain(|(k, _)| k != "sign" && k != "access_token");
        let body: Bytes = match &request.body {
            Body::Empty => Bytes::new(),
            Body::Json(value) => {
                let bytes = Bytes::from(serde_json::to_vec(value).map_err(|e| {
                    MarketplaceError::permanent(format!("cannot encode request body: {e}"))
                })?);
                request.body = Body::Raw {
                    content_type: "application/json".to_owned(),
                    bytes: bytes.clone(),
                };
                bytes
            }
            Body::Raw {
                content_type,
                bytes,
            } if body_is_signed(Some(content_type)) => bytes.clone(),
            Body::Raw { .. } => Bytes::new(),
            Body::Form(_) => {
                return Err(MarketplaceError::permanent(
                    "the TikTok Shop open API takes JSON bodies",
                ))
            }
        };
        let base = string_to_sign(self.api_path(&request.url), &request.query, &body);
        request.set_query("sign", sign(&self.app_secret, &base));
        Ok(())
    }
}

/// Shop API calls are signed and carry the shop's access token in `x-tts-access-token`.
impl RequestSigner for App {
    fn sign(
        &self,
        request: &mut ApiRequest,
        access_token: Option<&str>,
    ) -> Result<(), MarketplaceError> {
        self.sign_into(request, chrono::Utc::now().timestamp())?;
        if let Some(token) = access_token {
            request.set_header(ACCESS_TOKEN_HEADER, token);
        }
        // The gateway wants the content type on every call, GETs included.
        request.set_header(http::header::CONTENT_TYPE, "application/json");
        Ok(())
    }
}

/// Signs shop API calls with the shop's cached access token.
pub type ShopAuth = SignedAuth<App>;

/// Refreshes at `GET auth.tiktok-shops.com/api/v2/token/refresh` (not signed: the app secret
/// travels in the query). TikTok may hand back a new refresh token; the kit's `TokenCache`
/// gives it to the `TokenSink` before the new access token is used.
pub struct TiktokTokens {
    http: HttpClient,
    url: Url,
    app: Arc<App>,
}

impl fmt::Debug for TiktokTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TiktokTokens")
            .field("url", &self.url.path())
            .finish_non_exhaustive()
    }
}

impl TiktokTokens {
    pub fn new(http: HttpClient, app: Arc<App>) -> Result<Self, MarketplaceError> {
        let url = http.url(&format!("{AUTH_HOST}{REFRESH_PATH}"))?;
        Ok(TiktokTokens { http, url, app })
    }
}

#[async_trait]
impl TokenSource for TiktokTokens {
    async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenGrant, MarketplaceError> {
        let request = ApiRequest::get(Operation::RefreshToken, TOKEN_CLASS, self.url.clone())
            .query("app_key", self.app.app_key.clone())
            .query("app_secret", self.app.app_secret.expose_secret())
            .query("refresh_token", refresh_token.expose_secret())
            .query("grant_type", "refresh_token");
        let response = self
            .http
            .send_classified(request, None, &TiktokClassifier)
            .await?;
        let envelope: Envelope<TokenData> = decode_json(&response.body)?;
        grant(envelope.data, refresh_token, chrono::Utc::now().timestamp())
    }
}

/// The grant of a refresh answer received at `now`.
pub fn grant(
    data: Option<TokenData>,
    sent: &SecretString,
    now: i64,
) -> Result<TokenGrant, MarketplaceError> {
    let malformed = || {
        MarketplaceError::malformed("token refresh answered without an access_token")
            .with_operation(Operation::RefreshToken)
    };
    let data = data.ok_or_else(malformed)?;
    let access_token = data
        .access_token
        .filter(|t| !t.expose_secret().is_empty())
        .ok_or_else(malformed)?;
    Ok(TokenGrant {
        access_token,
        expires_in: data.access_token_expire_in.and_then(|at| lifetime(at, now)),
        refresh_token: data
            .refresh_token
            .filter(|t| !t.expose_secret().is_empty() && t.expose_secret() != sent.expose_secret()),
    })
}

/// `access_token_expire_in` is documented as a Unix time; a small value is read as seconds
/// from now so a platform change cannot make every token look expired.
fn lifetime(expire_in: i64, now: i64) -> Option<Duration> {
    const A_YEAR_2001: i64 = 1_000_000_000;
    let secs = if expire_in >= A_YEAR_2001 {
        expire_in - now
    } else {
        expire_in
    };
    u64::try_from(secs).ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// The worked example of shared/marketplaces/tiktok-shop.md section 2.4 (invented secret;
    /// TikTok's own signing page publishes the algorithm but no input/output pair).
    #[test]
    fn signature_known_answer() {
        let query = q(&[
            ("app_key", "6abcd1234ef"),
            ("timestamp", "1717000000"),
            ("shop_cipher", "ROW_aBcDeF123"),
            ("page_size", "20"),
            ("sort_field", "create_time"),
            ("sort_order", "DESC"),
        ]);
        let body = br#"{"order_status":"AWAITING_SHIPMENT","create_time_ge":1716400000,"create_time_lt":1717000000}"#;
        let base = string_to_sign("/order/202309/orders/search", &query, body);
        assert_eq!(
            String::from_utf8(base.clone()).unwrap(),
            r#"/order/202309/orders/searchapp_key6abcd1234efpage_size20shop_cipherROW_aBcDeF123sort_fieldcreate_timesort_orderDESCtimestamp1717000000{"order_status":"AWAITING_SHIPMENT","create_time_ge":1716400000,"create_time_lt":1717000000}"#
        );
        assert_eq!(
            sign(&secret("e59af819cc"), &base),
            "025c9c53bfa09cf6775b9e6f3dd16040954de039f60a663b85f7e8c5f02606d9"
        );
    }

    #[test]
    fn sign_and_access_token_are_left_out_and_get_has_no_body() {
        let query = q(&[
            ("sign", "old"),
            ("access_token", "ROW_token"),
            ("timestamp", "1717000000"),
            ("app_key", "6abcd1234ef"),
            ("ids", "576461413038785752"),
        ]);
        let base = string_to_sign("/order/202309/orders", &query, b"");
        assert_eq!(
            String::from_utf8(base.clone()).unwrap(),
            "/order/202309/ordersapp_key6abcd1234efids576461413038785752timestamp1717000000"
        );
        assert_eq!(
            sign(&secret("e59af819cc"), &base),
            "e9ac38a5c055d8f75f54698870ada37556a65fb3439e93d86b77d4c2040c63b6"
        );
        assert!(!body_is_signed(Some("multipart/form-data; boundary=x")));
        assert!(body_is_signed(Some("application/json")));
    }

    #[test]
    fn signed_body_is_the_body_sent() {
        let app = App {
            app_key: "6abcd1234ef".into(),
            app_secret: secret("e59af819cc"),
            shop_cipher: "ROW_aBcDeF123".into(),
            path_prefix: "/proxy".into(),
        };
        let url = Url::parse("http://127.0.0.1:9/proxy/order/202309/orders/search").unwrap();
        let mut request = ApiRequest::post(Operation::PullOrders, "orders", url)
            .query("page_size", "100")
            .json(&serde_json::json!({"update_time_lt": 2, "update_time_ge": 1}))
            .unwrap();
        app.sign_into(&mut request, 1717000000).unwrap();
        let Body::Raw { bytes, .. } = &request.body else {
            panic!("JSON bodies are frozen before signing");
        };
        let get = |k: &str| {
            request
                .query
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        let query: Vec<_> = request.query.clone();
        let base = string_to_sign("/order/202309/orders/search", &query, bytes);
        assert_eq!(get("sign"), sign(&secret("e59af819cc"), &base));
        assert_eq!(get("shop_cipher"), "ROW_aBcDeF123");
        assert_eq!(get("timestamp"), "1717000000");
    }

    #[test]
    fn grants_read_absolute_expiry_and_rotation() {
        let data: TokenData = serde_json::from_str(
            r#"{"access_token":"ROW_new","access_token_expire_in":1717604800,"refresh_token":"ROW_rt-2","refresh_token_expire_in":1748540800}"#,
        )
        .unwrap();
        let g = grant(Some(data), &secret("ROW_rt-1"), 1717000000).unwrap();
        assert_eq!(g.expires_in, Some(Duration::from_secs(604_800)));
        assert_eq!(g.refresh_token.unwrap().expose_secret(), "ROW_rt-2");
        let same: TokenData =
            serde_json::from_str(r#"{"access_token":"ROW_new","refresh_token":"ROW_rt-1"}"#)
                .unwrap();
        assert!(grant(Some(same), &secret("ROW_rt-1"), 0)
            .unwrap()
            .refresh_token
            .is_none());
        assert_eq!(
            lifetime(604_800, 1717000000),
            Some(Duration::from_secs(604_800))
        );
        assert!(grant(None, &secret("x"), 0).is_err());
    }
}
