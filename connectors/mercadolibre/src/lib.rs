//! The Mercado Libre / Mercado Livre connector: a seller's orders from `GET /orders/search`
//! (by last update), their Mercado Envíos shipments, ME2 labels from `/shipment_labels`, and
//! "shipped" for ME1/custom shipments through seller notifications v2. One connector serves
//! one seller account on any site (MLA, MLB, MLM, ...); every call goes to
//! `https://api.mercadolibre.com` with an OAuth Bearer token. See README.md.

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
use url::Url;

use crate::auth::{MercadolibreTokens, BEARER_PREFIX, TOKEN_PATH, TOKEN_URL};
use crate::config::{Credentials, CREDENTIAL_KEYS, TRACKING_NUMBER_PLACEHOLDER};
use crate::error::MercadolibreClassifier;

/// The REST host of every site.
pub const API_BASE: &str = "https://api.mercadolibre.com";

/// Endpoint classes. Mercado Libre publishes no numeric quotas (limits are per application
/// and resource; 429 says when they are hit), so each class gets a conservative per-seller
/// budget: a page of orders may need up to 50 shipment reads.
pub const ORDERS_CLASS: &str = "orders";
pub const SHIPMENTS_CLASS: &str = "shipments";
pub const LABELS_CLASS: &str = "shipment_labels";
pub const TRACKING_CLASS: &str = "seller_notifications";

const ORDERS_QUOTA: RateSpec = RateSpec {
    per_second: 2.0,
    burst: 5,
};

fn rate_limits() -> RateLimits {
    RateLimits::new()
        .with(ORDERS_CLASS, ORDERS_QUOTA.per_second, ORDERS_QUOTA.burst)
        .with(SHIPMENTS_CLASS, 5.0, 10)
        .with(LABELS_CLASS, 1.0, 2)
        .with(TRACKING_CLASS, 1.0, 2)
        .with(TOKEN_CLASS, 1.0, 2)
}

fn capabilities() -> Capabilities {
    Capabilities {
        // No documented longest range; slices are narrowed at run time to stay under the
        // offset ceiling instead.
        max_window: None,
        page_size: orders::PAGE_SIZE,
        filters_by_update_time: true,
        window_end_lag: Duration::ZERO,
        order_list_quota: Some(ORDERS_QUOTA),
        platform_labels: true,
        tracking: TrackingMode::ConfirmShipment,
        api_version: "orders/search + shipments x-format-new + seller_notifications v2".to_owned(),
    }
}

/// Builds [`MercadolibreConnector`]s; registered once in the daemon.
#[derive(Debug, Clone, Copy, Default)]
pub struct MercadolibreFactory;

/// One Mercado Libre seller account.
pub struct MercadolibreConnector {
    store: StoreRef,
    seller_id: String,
    me1_tracking_url: Option<String>,
    http: HttpClient,
    auth: HeaderTokenAuth,
    capabilities: Capabilities,
}

impl fmt::Debug for MercadolibreConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MercadolibreConnector")
            .field("store", &self.store)
            .field("seller_id", &self.seller_id)
            .finish_non_exhaustive()
    }
}

impl MercadolibreConnector {
    pub fn store(&self) -> StoreRef {
        self.store
    }

    pub fn seller_id(&self) -> &str {
        &self.seller_id
    }

    pub(crate) fn http(&self) -> &HttpClient {
        &self.http
    }

    pub(crate) fn auth(&self) -> &HeaderTokenAuth {
        &self.auth
    }

    /// `API_BASE` + `path`, with the base-URL override applied.
    pub(crate) fn api_url(&self, path: &str) -> Result<Url, MarketplaceError> {
        self.http.url(&format!("{API_BASE}{path}"))
    }

    /// The carrier's tracking page for `tracking_number`, from `me1_tracking_url`.
    pub(crate) fn me1_tracking_url(
        &self,
        tracking_number: &str,
    ) -> Result<String, MarketplaceError> {
        let template = self.me1_tracking_url.as_deref().ok_or_else(|| {
            MarketplaceError::permanent(
                "ME1 notifications need the carrier's tracking page: set `me1_tracking_url` in the store's credentials",
            )
        })?;
        let encoded: String =
            url::form_urlencoded::byte_serialize(tracking_number.trim().as_bytes()).collect();
        Ok(template.replace(TRACKING_NUMBER_PLACEHOLDER, &encoded))
    }
}

#[async_trait]
impl Marketplace for MercadolibreConnector {
    fn platform(&self) -> Platform {
        Platform::Mercadolibre
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn pull_orders(
        &self,
        window: Window,
        cursor: Option<&Cursor>,
    ) -> Result<OrderPage, MarketplaceError> {
        orders::pull(self, window, cursor)
            .await
            .map_err(|e| e.with_platform(Platform::Mercadolibre))
    }

    async fn fetch_label(
        &self,
        order: &PlatformOrder,
        spec: &LabelSpec,
    ) -> Result<Label, MarketplaceError> {
        labels::fetch(self, order, spec)
            .await
            .map_err(|e| e.with_platform(Platform::Mercadolibre))
    }

    async fn upload_tracking(&self, shipment: &Shipment) -> Result<TrackingAck, MarketplaceError> {
        tracking::upload(self, shipment)
            .await
            .map_err(|e| e.with_platform(Platform::Mercadolibre))
    }
}

/// An error body as Mercado Libre sends it.
fn rejection(status: u16, error: &str, message_key: &str, message: &str) -> MockRejection {
    let mut body = json!({ "error": error, "status": status, "cause": [] });
    body[message_key] = json!(message);
    MockRejection { status, body }
}

impl ConnectorFactory for MercadolibreFactory {
    fn platform(&self) -> Platform {
        Platform::Mercadolibre
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
        let http_error =
            |e: MarketplaceError| ConfigError::new("(connector)", e.message().to_owned());
        let http = HttpClient::new(
            Platform::Mercadolibre,
            &options,
            rate_limits(),
            Arc::new(MercadolibreClassifier),
        )
        .map_err(http_error)?;
        let token_url = http.url(TOKEN_URL).map_err(http_error)?;
        let source = MercadolibreTokens::new(
            http.clone(),
            token_url,
            creds.client_id,
            creds.client_secret,
        );
        let cache = TokenCache::new(
            Arc::new(source),
            creds.refresh_token,
            creds.access_token,
            options.token_sink.clone(),
        );
        Ok(Arc::new(MercadolibreConnector {
            store,
            seller_id: creds.seller_id,
            me1_tracking_url: creds.me1_tracking_url,
            http,
            auth: HeaderTokenAuth::new(cache, http::header::AUTHORIZATION, BEARER_PREFIX),
            capabilities: capabilities(),
        }))
    }

    /// What Mercado Libre checks: the OAuth endpoint checks the app's `client_id` and
    /// `client_secret` (and the refresh token, when the mock holds one); every API call needs
    /// `Authorization: Bearer APP_USR-...`.
    fn check_request(
        &self,
        platform_secrets: &serde_json::Value,
        request: &WireRequest,
    ) -> Result<(), MockRejection> {
        let secret = |key: &str| platform_secrets.get(key).and_then(|v| v.as_str());
        if request.url.path().ends_with(TOKEN_PATH) {
            let form: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
                .into_owned()
                .collect();
            let field = |key: &str| form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
            let matches = |key: &str| match secret(key) {
                Some(expected) => field(key).is_some_and(|got| signatures_match(got, expected)),
                None => field(key).is_some_and(|got| !got.is_empty()),
            };
            if !matches("client_id") || !matches("client_secret") {
                return Err(rejection(
                    400,
                    "invalid_client",
                    "error_description",
                    "invalid client_id or client_secret.",
                ));
            }
            if field("grant_type") != Some("refresh_token") {
                return Err(rejection(
                    400,
                    "unsupported_grant_type",
                    "error_description",
                    "the grant_type is not supported",
                ));
            }
            if !matches("refresh_token") {
                return Err(rejection(
                    400,
                    "invalid_grant",
                    "error_description",
                    "Error validating grant. Your authorization code or refresh token may be expired or it was already used",
                ));
            }
            return Ok(());
        }
        let authorization = request
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        match authorization {
            None => Err(rejection(
                401,
                "unauthorized",
                "message",
                "authorization value not present",
            )),
            Some(value)
                if value
                    .strip_prefix(BEARER_PREFIX)
                    .is_some_and(|t| t.starts_with("APP_USR-") && t.len() > "APP_USR-".len()) =>
            {
                Ok(())
            }
            Some(_) => Err(rejection(
                401,
                "invalid_token",
                "message",
                "invalid access token",
            )),
        }
    }

    /// Personal fields of orders and shipments beyond the recorder's defaults.
    fn scrub_keys(&self) -> &'static [&'static str] {
        &[
            "nickname",
            "receiver_name",
            "receiver_phone",
            "address_line",
            "street_name",
            "street_number",
            "comment",
            "comments",
            "doc_number",
            "number",
            "area_code",
            "latitude",
            "longitude",
        ]
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bytes::Bytes;
    use http::{HeaderMap, HeaderValue, Method};

    fn wire(path: &str, token: Option<&'static str>, body: &str) -> WireRequest {
        let mut headers = HeaderMap::new();
        if let Some(t) = token {
            headers.insert(http::header::AUTHORIZATION, HeaderValue::from_static(t));
        }
        WireRequest {
            method: Method::POST,
            url: Url::parse(&format!("http://127.0.0.1:1{path}")).unwrap(),
            headers,
            body: Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn mock_checks_the_app_on_the_token_endpoint_and_the_bearer_token_elsewhere() {
        let secrets = json!({"client_id": "5839217460123457", "client_secret": "s3cret"});
        let f = MercadolibreFactory;
        let good = "grant_type=refresh_token&refresh_token=TG-1&client_id=5839217460123457&client_secret=s3cret";
        assert!(f
            .check_request(&secrets, &wire("/oauth/token", None, good))
            .is_ok());
        let bad = f
            .check_request(
                &secrets,
                &wire("/oauth/token", None, &good.replace("s3cret", "nope")),
            )
            .unwrap_err();
        assert_eq!(bad.status, 400);
        assert_eq!(bad.body["error"], "invalid_client");
        let grant = f
            .check_request(
                &secrets,
                &wire(
                    "/oauth/token",
                    None,
                    &good.replace("refresh_token&", "password&"),
                ),
            )
            .unwrap_err();
        assert_eq!(grant.body["error"], "unsupported_grant_type");

        let orders = "/orders/search";
        assert!(f
            .check_request(&secrets, &wire(orders, Some("Bearer APP_USR-123-abc"), ""))
            .is_ok());
        let missing = f
            .check_request(&secrets, &wire(orders, None, ""))
            .unwrap_err();
        assert_eq!(missing.status, 401);
        assert_eq!(missing.body["message"], "authorization value not present");
        for wrong in [
            "APP_USR-123",
            "Bearer ",
            "Bearer TG-123",
            "bearer APP_USR-1",
        ] {
            let e = f
                .check_request(&secrets, &wire(orders, Some(wrong), ""))
                .unwrap_err();
            assert_eq!(e.body["error"], "invalid_token", "{wrong}");
        }
    }

    #[test]
    fn capabilities_and_quotas() {
        let c = capabilities();
        assert_eq!(c.page_size, 50);
        assert!(c.filters_by_update_time);
        assert_eq!(c.max_window, None);
        assert_eq!(c.tracking, TrackingMode::ConfirmShipment);
        let limits = rate_limits();
        for class in [
            ORDERS_CLASS,
            SHIPMENTS_CLASS,
            LABELS_CLASS,
            TRACKING_CLASS,
            TOKEN_CLASS,
        ] {
            assert!(limits.spec(class).is_some(), "{class}");
        }
    }

    #[test]
    fn tracking_pages_and_debug() {
        let conn = MercadolibreFactory
            .build(
                StoreRef {
                    id: core_model::StoreId(3),
                    platform: Platform::Mercadolibre,
                },
                &json!({"client_id": "5839217460123457", "client_secret": "s3cret-value",
                        "refresh_token": "TG-refresh-value", "seller_id": 1287654321,
                        "me1_tracking_url": "https://carrier.example/t/{tracking_number}"}),
                ConnectorOptions::default(),
            )
            .unwrap();
        let shown = format!("{conn:?}");
        assert!(shown.contains("1287654321"));
        for hidden in ["5839217460123457", "s3cret-value", "TG-refresh-value"] {
            assert!(!shown.contains(hidden), "{shown}");
        }
    }
}
