//! The eBay connector: orders pulled with Sell Fulfillment API v1 `getOrders`, tracking
//! uploaded with `createShippingFulfillment`, labels bought through the Sell Logistics API
//! v1_beta (Limited Release). Auth is an OAuth user access token
//! (`Authorization: Bearer`), minted from the seller's refresh token with the app's
//! credentials in HTTP Basic auth. One connector serves one seller account, on every eBay
//! marketplace at once (one global host). See README.md for credentials and quirks.

pub mod auth;
pub mod config;
pub mod error;
pub mod labels;
pub mod model;
pub mod orders;
pub mod tracking;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use connector_kit::oauth::TOKEN_CLASS;
use connector_kit::sign::signatures_match;
use connector_kit::{
    ConfigError, ConnectorFactory, ConnectorOptions, CredentialKey, HeaderTokenAuth, HttpClient,
    MockRejection, RateLimits, TokenCache, WireRequest,
};
use core_model::{
    Capabilities, Cursor, Label, LabelSpec, Marketplace, MarketplaceError, OrderPage, Platform,
    PlatformOrder, RateSpec, Shipment, StoreRef, TrackingAck, TrackingMode, Window,
};
use serde_json::json;
use tracing::Instrument;
use url::Url;

use crate::auth::{EbayTokenSource, TOKEN_PATH, TOKEN_PREFIX};
use crate::config::{Credentials, API_HOST, CREDENTIAL_KEYS, TOKEN_URL};
use crate::error::EbayClassifier;
use crate::labels::{LOGISTICS_CLASS, MARKETPLACE_HEADER};

/// The endpoint class of every Fulfillment API call (orders and shipping fulfillments).
pub const FULFILLMENT_CLASS: &str = "sell.fulfillment";

const SECONDS_PER_DAY: f64 = 86_400.0;

/// eBay quotas are calls per day per application, reset at midnight Pacific time; the
/// Fulfillment API's default is 100,000 a day (eBay's "API Call Limits" table, Sell APIs),
/// spread here evenly over the day with a small burst.
pub const FULFILLMENT_QUOTA: RateSpec = RateSpec {
    per_second: 100_000.0 / SECONDS_PER_DAY,
    burst: 20,
};
/// Logistics API: 2,500,000 a day in copies of the same table (unverified; labels are rare).
pub const LOGISTICS_QUOTA: RateSpec = RateSpec {
    per_second: 2_500_000.0 / SECONDS_PER_DAY,
    burst: 10,
};
/// OAuth endpoint, refresh-token grant: 50,000 requests a day per app
/// (<https://developer.ebay.com/api-docs/static/oauth-rate-limits.html>).
pub const TOKEN_QUOTA: RateSpec = RateSpec {
    per_second: 50_000.0 / SECONDS_PER_DAY,
    burst: 10,
};

fn rate_limits() -> RateLimits {
    RateLimits::new()
        .with(
            FULFILLMENT_CLASS,
            FULFILLMENT_QUOTA.per_second,
            FULFILLMENT_QUOTA.burst,
        )
        .with(
            LOGISTICS_CLASS,
            LOGISTICS_QUOTA.per_second,
            LOGISTICS_QUOTA.burst,
        )
        .with(TOKEN_CLASS, TOKEN_QUOTA.per_second, TOKEN_QUOTA.burst)
}

/// What the connector declares.
pub fn capabilities() -> Capabilities {
    Capabilities {
        // getOrders documents no longest range; only a start older than two years is refused.
        max_window: None,
        page_size: orders::PAGE_SIZE,
        filters_by_update_time: true,
        window_end_lag: Duration::from_secs(orders::END_LAG.num_seconds().unsigned_abs()),
        order_list_quota: Some(FULFILLMENT_QUOTA),
        platform_labels: true,
        tracking: TrackingMode::ConfirmShipment,
        api_version: "sell/fulfillment/v1".to_owned(),
    }
}

/// Builds [`EbayConnector`]s; registered once in the daemon.
#[derive(Debug, Clone, Copy, Default)]
pub struct EbayFactory;

/// One eBay seller account as one store.
pub struct EbayConnector {
    store: StoreRef,
    marketplace_id: Option<String>,
    http: HttpClient,
    auth: HeaderTokenAuth,
    capabilities: Capabilities,
}

impl fmt::Debug for EbayConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EbayConnector")
            .field("store", &self.store)
            .field("marketplace_id", &self.marketplace_id)
            .finish_non_exhaustive()
    }
}

impl EbayConnector {
    pub fn new(
        store: StoreRef,
        creds: Credentials,
        options: &ConnectorOptions,
    ) -> Result<Self, MarketplaceError> {
        let http = HttpClient::new(
            Platform::Ebay,
            options,
            rate_limits(),
            Arc::new(EbayClassifier),
        )?;
        let source = EbayTokenSource::new(
            http.clone(),
            http.url(TOKEN_URL)?,
            creds.client_id,
            creds.client_secret,
        );
        let cache = TokenCache::new(
            Arc::new(source),
            creds.refresh_token,
            creds.access_token,
            options.token_sink.clone(),
        );
        Ok(EbayConnector {
            store,
            marketplace_id: creds.marketplace_id,
            http,
            auth: HeaderTokenAuth::new(cache, http::header::AUTHORIZATION, "Bearer "),
            capabilities: capabilities(),
        })
    }

    pub fn store(&self) -> StoreRef {
        self.store
    }

    pub fn marketplace_id(&self) -> Option<&str> {
        self.marketplace_id.as_deref()
    }

    pub(crate) fn http(&self) -> &HttpClient {
        &self.http
    }

    pub(crate) fn auth(&self) -> &HeaderTokenAuth {
        &self.auth
    }

    /// The API URL for `path`, with the base-URL override applied.
    pub(crate) fn api_url(&self, path: &str) -> Result<Url, MarketplaceError> {
        self.http.url(&format!("{API_HOST}{path}"))
    }

    /// `path` followed by `segments`, each percent-encoded as one path segment.
    pub(crate) fn api_url_with_segments(
        &self,
        path: &str,
        segments: &[&str],
    ) -> Result<Url, MarketplaceError> {
        let mut url = Url::parse(&format!("{API_HOST}{path}"))
            .map_err(|e| MarketplaceError::permanent(format!("invalid API path: {e}")))?;
        url.path_segments_mut()
            .map_err(|()| MarketplaceError::permanent("the API URL cannot take a path"))?
            .extend(segments);
        self.http.hosts().rebase(url)
    }
}

#[async_trait]
impl Marketplace for EbayConnector {
    fn platform(&self) -> Platform {
        Platform::Ebay
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn pull_orders(
        &self,
        window: Window,
        cursor: Option<&Cursor>,
    ) -> Result<OrderPage, MarketplaceError> {
        let span = tracing::info_span!("ebay_pull", store = %self.store.id);
        orders::pull(self, window, cursor)
            .instrument(span)
            .await
            .map_err(|e| e.with_platform(Platform::Ebay))
    }

    async fn fetch_label(
        &self,
        order: &PlatformOrder,
        spec: &LabelSpec,
    ) -> Result<Label, MarketplaceError> {
        let span = tracing::info_span!("ebay_label", store = %self.store.id);
        labels::fetch(self, order, spec)
            .instrument(span)
            .await
            .map_err(|e| e.with_platform(Platform::Ebay))
    }

    async fn upload_tracking(&self, shipment: &Shipment) -> Result<TrackingAck, MarketplaceError> {
        let span = tracing::info_span!("ebay_tracking", store = %self.store.id);
        tracking::upload(self, shipment)
            .instrument(span)
            .await
            .map_err(|e| e.with_platform(Platform::Ebay))
    }
}

impl ConnectorFactory for EbayFactory {
    fn platform(&self) -> Platform {
        Platform::Ebay
    }

    fn credential_keys(&self) -> &'static [CredentialKey] {
        CREDENTIAL_KEYS
    }

    fn build(
        &self,
        store: StoreRef,
        credentials: &serde_json::Value,
        options: ConnectorOptions,
    ) -> Result<Arc<dyn Marketplace>, ConfigError> {
        let creds = Credentials::parse(credentials)?;
        let connector = EbayConnector::new(store, creds, &options)
            .map_err(|e| ConfigError::new("(connector)", e.message().to_owned()))?;
        Ok(Arc::new(connector))
    }

    /// What eBay checks: the token endpoint authenticates the app by HTTP Basic
    /// `client_id:client_secret` and checks the refresh token (`platform_secrets`); every Sell
    /// API call needs `Authorization: Bearer <user access token>`; createShippingQuote needs
    /// `X-EBAY-C-MARKETPLACE-ID`.
    fn check_request(
        &self,
        platform_secrets: &serde_json::Value,
        request: &WireRequest,
    ) -> Result<(), MockRejection> {
        let path = request.url.path();
        if path.ends_with(TOKEN_PATH) {
            return check_token_request(platform_secrets, request);
        }
        if path.contains("/sell/") {
            check_bearer(request)?;
            if path.ends_with("/sell/logistics/v1_beta/shipping_quote")
                && request.headers.get(MARKETPLACE_HEADER).is_none()
            {
                // eBay KB 5238: without the header createShippingQuote fails with 90000.
                return Err(MockRejection {
                    status: 500,
                    body: json!({"errors": [{
                        "errorId": 90000, "domain": "shippingPublicAPIErrorDomain",
                        "subdomain": "Selling", "category": "APPLICATION",
                        "message": "A system error has occurred.",
                        "longMessage": "A system error has occurred."
                    }]}),
                });
            }
        }
        Ok(())
    }

    /// PII field names of Fulfillment API bodies beyond the recorder's defaults.
    fn scrub_keys(&self) -> &'static [&'static str] {
        &[
            "fullName",
            "username",
            "buyerCheckoutNotes",
            "taxpayerId",
            "recipientEmail",
            "senderEmail",
            "senderName",
        ]
    }
}

/// An OAuth error body as eBay's token endpoint sends it (RFC 6749 section 5.2).
fn oauth_rejection(status: u16, error: &str, description: &str) -> MockRejection {
    MockRejection {
        status,
        body: json!({ "error": error, "error_description": description }),
    }
}

/// A REST error envelope with one error of domain `OAuth`.
fn rest_rejection(status: u16, error_id: i64, message: &str, long_message: &str) -> MockRejection {
    MockRejection {
        status,
        body: json!({"errors": [{
            "errorId": error_id, "domain": "OAuth", "category": "REQUEST",
            "message": message, "longMessage": long_message
        }]}),
    }
}

/// The user and password of an HTTP Basic `Authorization` header.
fn basic_credentials(request: &WireRequest) -> Option<(String, String)> {
    let header = request
        .headers
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let encoded = header.strip_prefix("Basic ")?.trim();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// Equal to `expected`, or to its form-urlencoded spelling (RFC 6749 2.3.1 encodes both
/// parts before Basic auth; eBay's ids and secrets need no encoding).
fn credential_matches(got: &str, expected: &str) -> bool {
    let encoded: String = url::form_urlencoded::byte_serialize(expected.as_bytes()).collect();
    signatures_match(got, expected) || signatures_match(got, &encoded)
}

fn check_token_request(
    secrets: &serde_json::Value,
    request: &WireRequest,
) -> Result<(), MockRejection> {
    let secret = |key: &str| secrets.get(key).and_then(|v| v.as_str());
    let client_ok = match basic_credentials(request) {
        Some((id, password)) => {
            secret("client_id").is_none_or(|want| credential_matches(&id, want))
                && secret("client_secret").is_none_or(|want| credential_matches(&password, want))
        }
        None => false,
    };
    if !client_ok {
        return Err(oauth_rejection(
            401,
            "invalid_client",
            "client authentication failed",
        ));
    }
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect();
    let field = |key: &str| form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    if field("grant_type") != Some("refresh_token") {
        return Err(oauth_rejection(
            400,
            "unsupported_grant_type",
            "grant type in request is not supported by the authorization server",
        ));
    }
    let refresh_ok = match (field("refresh_token"), secret("refresh_token")) {
        (Some(got), Some(want)) => signatures_match(got, want),
        (Some(got), None) => !got.is_empty(),
        (None, _) => false,
    };
    if !refresh_ok {
        return Err(oauth_rejection(
            400,
            "invalid_grant",
            "the provided authorization refresh token is invalid or was issued to another client",
        ));
    }
    Ok(())
}

/// The REST gateway's checks of `Authorization` (common errors 1002, 1003, 1001).
fn check_bearer(request: &WireRequest) -> Result<(), MockRejection> {
    let Some(header) = request
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Err(rest_rejection(
            400,
            1002,
            "Missing access token",
            "Access token is missing in the Authorization HTTP request header.",
        ));
    };
    let (scheme, token) = header.split_once(' ').unwrap_or((header, ""));
    if scheme != "Bearer" {
        let message = format!("Token type in the Authorization header is invalid:{scheme}");
        return Err(rest_rejection(400, 1003, &message, &message));
    }
    let token = token.trim();
    if token.len() <= TOKEN_PREFIX.len() || !token.starts_with(TOKEN_PREFIX) {
        return Err(rest_rejection(
            401,
            1001,
            "Invalid access token",
            "Invalid access token. Check the value of the Authorization HTTP request header.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::{HeaderMap, HeaderValue, Method};
    use secrecy::{ExposeSecret, SecretString};

    /// The Basic header value eBay expects for `client_id:client_secret`.
    fn basic_header(client_id: &str, client_secret: &SecretString) -> String {
        let raw = format!("{client_id}:{}", client_secret.expose_secret());
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }

    const CLIENT_ID: &str = "OmsyncTe-omsync-PRD-5a1b2c3d4-e5f6a7b8";
    const CLIENT_SECRET: &str = "PRD-5a1b2c3d4e5f-6a7b-8c9d-0e1f-2a3b";

    fn wire(path: &str, auth: Option<String>, body: &str) -> WireRequest {
        let mut headers = HeaderMap::new();
        if let Some(a) = auth {
            headers.insert(
                http::header::AUTHORIZATION,
                HeaderValue::from_str(&a).unwrap(),
            );
        }
        WireRequest {
            method: Method::POST,
            url: Url::parse(&format!("http://127.0.0.1:1{path}")).unwrap(),
            headers,
            body: Bytes::from(body.to_owned()),
        }
    }

    fn secrets() -> serde_json::Value {
        json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": "v^1.1#i^1#r^1#refresh"})
    }

    #[test]
    fn mock_checks_basic_client_auth_and_the_refresh_token() {
        let f = EbayFactory;
        let good_auth = basic_header(CLIENT_ID, &SecretString::from(CLIENT_SECRET.to_owned()));
        let body = "grant_type=refresh_token&refresh_token=v%5E1.1%23i%5E1%23r%5E1%23refresh";
        assert!(f
            .check_request(&secrets(), &wire(TOKEN_PATH, Some(good_auth.clone()), body))
            .is_ok());

        let wrong = basic_header(CLIENT_ID, &SecretString::from("PRD-wrong".to_owned()));
        let r = f
            .check_request(&secrets(), &wire(TOKEN_PATH, Some(wrong), body))
            .unwrap_err();
        assert_eq!(r.status, 401);
        assert_eq!(r.body["error"], "invalid_client");
        // Client credentials in the body instead of Basic auth are refused too.
        let in_body = format!("{body}&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}");
        assert_eq!(
            f.check_request(&secrets(), &wire(TOKEN_PATH, None, &in_body))
                .unwrap_err()
                .status,
            401
        );

        let other_token = "grant_type=refresh_token&refresh_token=v%5E1.1%23other";
        let r = f
            .check_request(
                &secrets(),
                &wire(TOKEN_PATH, Some(good_auth.clone()), other_token),
            )
            .unwrap_err();
        assert_eq!(r.status, 400);
        assert_eq!(r.body["error"], "invalid_grant");
        let code_grant = "grant_type=authorization_code&code=x";
        assert_eq!(
            f.check_request(&secrets(), &wire(TOKEN_PATH, Some(good_auth), code_grant))
                .unwrap_err()
                .body["error"],
            "unsupported_grant_type"
        );
    }

    #[test]
    fn mock_checks_the_bearer_token_on_api_calls() {
        let f = EbayFactory;
        let orders = "/sell/fulfillment/v1/order";
        assert!(f
            .check_request(
                &secrets(),
                &wire(orders, Some("Bearer v^1.1#i^1#p^3#access".into()), "")
            )
            .is_ok());
        let missing = f
            .check_request(&secrets(), &wire(orders, None, ""))
            .unwrap_err();
        assert_eq!(missing.status, 400);
        assert_eq!(missing.body["errors"][0]["errorId"], 1002);
        let basic = f
            .check_request(&secrets(), &wire(orders, Some("Basic abc".into()), ""))
            .unwrap_err();
        assert_eq!(basic.body["errors"][0]["errorId"], 1003);
        let bogus = f
            .check_request(&secrets(), &wire(orders, Some("Bearer abc".into()), ""))
            .unwrap_err();
        assert_eq!(bogus.status, 401);
        assert_eq!(bogus.body["errors"][0]["errorId"], 1001);

        let quote = "/sell/logistics/v1_beta/shipping_quote";
        let token = Some("Bearer v^1.1#i^1#p^3#access".to_owned());
        let no_marketplace = f
            .check_request(&secrets(), &wire(quote, token.clone(), "{}"))
            .unwrap_err();
        assert_eq!(no_marketplace.body["errors"][0]["errorId"], 90000);
        let mut with = wire(quote, token, "{}");
        with.headers
            .insert(MARKETPLACE_HEADER, HeaderValue::from_static("EBAY_US"));
        assert!(f.check_request(&secrets(), &with).is_ok());
    }

    #[test]
    fn capabilities_declare_the_documented_limits() {
        let c = capabilities();
        assert_eq!(c.max_window, None);
        assert_eq!(c.page_size, 200);
        assert!(c.filters_by_update_time);
        assert!(c.platform_labels);
        assert_eq!(c.tracking, TrackingMode::ConfirmShipment);
        let daily = c.order_list_quota.unwrap().per_second * SECONDS_PER_DAY;
        assert!((daily - 100_000.0).abs() < 1e-6, "{daily}");
        let limits = rate_limits();
        let token = limits.spec(TOKEN_CLASS).unwrap().per_second * SECONDS_PER_DAY;
        assert!((token - 50_000.0).abs() < 1e-6, "{token}");
        assert!(limits.spec(LOGISTICS_CLASS).is_some());
    }

    #[test]
    fn debug_shows_no_credentials() {
        let creds = Credentials::parse(&json!({
            "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "refresh_token": "v^1.1#i^1#r^1#refresh", "access_token": "v^1.1#i^1#p^3#access",
            "marketplace_id": "EBAY_US"
        }))
        .unwrap();
        let store = StoreRef {
            id: core_model::StoreId(3),
            platform: Platform::Ebay,
        };
        let c = EbayConnector::new(store, creds, &ConnectorOptions::default()).unwrap();
        let shown = format!("{c:?}");
        for secret in [CLIENT_ID, CLIENT_SECRET, "refresh", "access"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("EBAY_US"));
    }
}
