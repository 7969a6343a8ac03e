//! Walmart's Token API (client-credentials grant) and the headers every call carries.
//!
//! `POST /v3/token` with `Authorization: Basic base64(clientId:clientSecret)` and the form
//! `grant_type=client_credentials` returns a 900-second access token, sent back as
//! `WM_SEC.ACCESS_TOKEN` (not `Authorization: Bearer`). Every call, the token call included,
//! also carries `WM_SVC.NAME`, a fresh `WM_QOS.CORRELATION_ID` and `Accept: application/json`
//! (authentication spec `tokenAPI`; orders spec header parameters). The token endpoint answers
//! errors in Walmart's own envelope rather than RFC 6749 JSON, so the grant goes through the
//! kit with [`TokenClassifier`] instead of `oauth2`.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use connector_kit::oauth::TOKEN_CLASS;
use connector_kit::{ApiRequest, Authorizer, HttpClient, TokenCache, TokenGrant, TokenSource};
use core_model::{MarketplaceError, Operation};
use http::HeaderName;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::error::TokenClassifier;
use crate::model::TokenResponse;

pub const TOKEN_PATH: &str = "/v3/token";

pub const ACCESS_TOKEN: HeaderName = HeaderName::from_static("wm_sec.access_token");
pub const SVC_NAME: HeaderName = HeaderName::from_static("wm_svc.name");
pub const CORRELATION_ID: HeaderName = HeaderName::from_static("wm_qos.correlation_id");
pub const CHANNEL_TYPE: HeaderName = HeaderName::from_static("wm_consumer.channel.type");

/// The service name Walmart's guides send (the OpenAPI example says `Walmart Service Name`).
pub const SERVICE_NAME: &str = "Walmart Marketplace";

/// Walmart documents 900 s; used when a token answer leaves `expires_in` out.
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(900);

/// A random version-4 UUID for `WM_QOS.CORRELATION_ID`: "use a random generated GUID".
/// std's `RandomState` draws fresh random keys per instance; a counter keeps ids unique even
/// if two instances ever shared keys.
pub fn correlation_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let half = |salt: u64| {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(n);
        h.write_u64(salt);
        h.finish()
    };
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&half(0x5741_4c4d).to_be_bytes());
    bytes[8..].copy_from_slice(&half(0x4f4d_5359).to_be_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// `Basic base64(clientId:clientSecret)`.
pub fn basic_authorization(client_id: &str, client_secret: &SecretString) -> SecretString {
    let joined = format!("{client_id}:{}", client_secret.expose_secret());
    SecretString::from(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(joined)
    ))
}

/// The headers every Walmart call carries, refreshed per attempt.
pub struct WmHeaders {
    basic: SecretString,
    channel_type: Option<String>,
}

impl fmt::Debug for WmHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WmHeaders")
            .field("channel_type", &self.channel_type.is_some())
            .finish_non_exhaustive()
    }
}

impl WmHeaders {
    pub fn new(
        client_id: &str,
        client_secret: &SecretString,
        channel_type: Option<String>,
    ) -> Self {
        WmHeaders {
            basic: basic_authorization(client_id, client_secret),
            channel_type,
        }
    }

    /// `WM_SVC.NAME`, a new `WM_QOS.CORRELATION_ID`, `WM_CONSUMER.CHANNEL.TYPE` when configured,
    /// `Accept: application/json` unless the call asked for a document, and the Basic
    /// credentials the specs declare as every operation's security scheme (`basicScheme`).
    pub fn apply(&self, request: &mut ApiRequest) {
        request.set_header(SVC_NAME, SERVICE_NAME);
        request.set_header(CORRELATION_ID, correlation_id());
        if let Some(channel) = &self.channel_type {
            request.set_header(CHANNEL_TYPE, channel.clone());
        }
        if !request
            .headers
            .iter()
            .any(|(n, _)| n == http::header::ACCEPT)
        {
            request.set_header(http::header::ACCEPT, "application/json");
        }
        request.set_header(
            http::header::AUTHORIZATION,
            self.basic.expose_secret().to_owned(),
        );
    }
}

/// Adds the WM headers to the token request itself (no access token yet).
#[derive(Debug)]
struct TokenCallHeaders(Arc<WmHeaders>);

#[async_trait]
impl Authorizer for TokenCallHeaders {
    async fn authorize(&self, request: &mut ApiRequest) -> Result<Option<u64>, MarketplaceError> {
        self.0.apply(request);
        Ok(None)
    }

    async fn invalidate(&self, _generation: u64) {}
}

/// The client-credentials grant at `POST /v3/token`.
pub struct ClientCredentials {
    http: HttpClient,
    token_url: Url,
    headers: Arc<WmHeaders>,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("token_path", &self.token_url.path())
            .finish_non_exhaustive()
    }
}

impl ClientCredentials {
    /// `token_url` already resolved through the base-URL override.
    pub fn new(http: HttpClient, token_url: Url, headers: Arc<WmHeaders>) -> Self {
        ClientCredentials {
            http,
            token_url,
            headers,
        }
    }
}

#[async_trait]
impl TokenSource for ClientCredentials {
    /// A new access token; the client-credentials grant has no refresh token, so the cache's
    /// placeholder is ignored.
    async fn refresh(&self, _unused: &SecretString) -> Result<TokenGrant, MarketplaceError> {
        let request =
            ApiRequest::post(Operation::RefreshToken, TOKEN_CLASS, self.token_url.clone()).form(
                vec![("grant_type".to_owned(), "client_credentials".to_owned())],
            );
        let auth = TokenCallHeaders(Arc::clone(&self.headers));
        let response = self
            .http
            .send_classified(request, Some(&auth), &TokenClassifier)
            .await?;
        let token: TokenResponse = response.json().map_err(|e| {
            e.with_platform(self.http.platform())
                .with_operation(Operation::RefreshToken)
        })?;
        if token.access_token.expose_secret().is_empty() {
            return Err(
                MarketplaceError::malformed("the token answer has an empty access_token")
                    .with_platform(self.http.platform())
                    .with_operation(Operation::RefreshToken),
            );
        }
        Ok(TokenGrant {
            access_token: token.access_token,
            expires_in: Some(
                token
                    .expires_in
                    .map_or(DEFAULT_TOKEN_LIFETIME, Duration::from_secs),
            ),
            refresh_token: None,
        })
    }
}

/// Authorizes API calls: the cached access token in `WM_SEC.ACCESS_TOKEN` plus the WM headers.
/// A 401 makes the kit drop the token of that generation and fetch a new one once.
#[derive(Debug)]
pub struct WalmartAuth {
    headers: Arc<WmHeaders>,
    tokens: TokenCache,
}

impl WalmartAuth {
    pub fn new(headers: Arc<WmHeaders>, tokens: TokenCache) -> Self {
        WalmartAuth { headers, tokens }
    }
}

#[async_trait]
impl Authorizer for WalmartAuth {
    async fn authorize(&self, request: &mut ApiRequest) -> Result<Option<u64>, MarketplaceError> {
        let token = self.tokens.get().await?;
        self.headers.apply(request);
        request.set_header(ACCESS_TOKEN, token.secret.expose_secret().to_owned());
        Ok(Some(token.generation))
    }

    async fn invalidate(&self, generation: u64) {
        self.tokens.invalidate(generation).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn correlation_ids_are_v4_uuids_and_unique() {
        let ids: BTreeSet<String> = (0..1000).map(|_| correlation_id()).collect();
        assert_eq!(ids.len(), 1000);
        for id in ids.iter().take(20) {
            let parts: Vec<&str> = id.split('-').collect();
            assert_eq!(
                parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
                [8, 4, 4, 4, 12],
                "{id}"
            );
            assert!(parts[2].starts_with('4'), "{id}");
            assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"), "{id}");
        }
    }

    #[test]
    fn basic_credentials_known_answer() {
        // RFC 7617 section 2's example: "Aladdin" / "open sesame".
        let b = basic_authorization("Aladdin", &SecretString::from("open sesame".to_owned()));
        assert_eq!(b.expose_secret(), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    }

    #[test]
    fn every_call_gets_the_wm_headers() {
        let headers = WmHeaders::new(
            "client",
            &SecretString::from("secret".to_owned()),
            Some("channel-1".to_owned()),
        );
        let url = Url::parse("https://marketplace.walmartapis.com/v3/orders").unwrap();
        let mut a = ApiRequest::get(Operation::PullOrders, "x", url.clone());
        headers.apply(&mut a);
        let mut b = ApiRequest::get(Operation::PullOrders, "x", url)
            .header(http::header::ACCEPT, "application/json,application/pdf");
        headers.apply(&mut b);
        let get = |r: &ApiRequest, n: &HeaderName| {
            r.headers
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(get(&a, &SVC_NAME).as_deref(), Some(SERVICE_NAME));
        assert_eq!(get(&a, &CHANNEL_TYPE).as_deref(), Some("channel-1"));
        assert_eq!(
            get(&a, &http::header::ACCEPT).as_deref(),
            Some("application/json")
        );
        assert_eq!(
            get(&b, &http::header::ACCEPT).as_deref(),
            Some("application/json,application/pdf")
        );
        assert_ne!(get(&a, &CORRELATION_ID), get(&b, &CORRELATION_ID));
        assert!(get(&a, &http::header::AUTHORIZATION).is_some_and(|v| v.starts_with("Basic ")));
        assert!(!format!("{headers:?}").contains("channel-1"));
    }
}
