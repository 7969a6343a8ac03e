//! Lazada Open Platform (LazOP) connector: orders by update time with their items, the platform
//! AWB, and pack / ready-to-ship on Lazada-arranged logistics. One connector serves one seller
//! account in one country.
//!
//! Each country has its own gateway (`https://api.lazada.sg/rest`, ...); tokens are refreshed at
//! `https://auth.lazada.com/rest`; every call is HMAC-SHA256 signed ([`auth`]). See README.md
//! for credentials and quirks.

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
use connector_kit::sign::{iop_verify, sha256_hex};
use connector_kit::{
    ConfigError, ConnectorFactory, ConnectorOptions, CredentialKey, HttpClient, MockRejection,
    RateLimits, TokenCache, WireRequest,
};
use core_model::{
    Capabilities, Cursor, Label, LabelSpec, Marketplace, MarketplaceError, OrderPage, Platform,
    PlatformOrder, RateSpec, Shipment, StoreRef, TrackingAck, TrackingMode, Window,
};
use serde_json::json;
use tracing::Instrument;
use url::Url;

use crate::auth::{App, LazadaTokens, SellerAuth};
use crate::config::{Config, Region};
use crate::error::LazadaClassifier;
use crate::labels::FULFILLMENT_CLASS;
use crate::orders::ORDERS_CLASS;

/// Lazada publishes app-level daily quotas (about 10,000 calls a day for test apps, 10 million
/// online) and per-API limits of about 10 requests a second per seller (lazada.md section 7,
/// **unverified** per API). A budget of at most 10 a second per seller, split between the order
/// and fulfillment APIs, plus a trickle for token refreshes.
const ORDERS_RATE: RateSpec = RateSpec {
    per_second: 5.0,
    burst: 5,
};
const FULFILLMENT_RATE: RateSpec = RateSpec {
    per_second: 5.0,
    burst: 5,
};
const TOKEN_RATE: RateSpec = RateSpec {
    per_second: 1.0,
    burst: 2,
};

/// "timestamp ... with less than 7200s difference from UTC time" (common parameters).
const TIMESTAMP_VALIDITY_MS: i64 = 7_200_000;

/// Builds [`LazadaConnector`]s; registered once in the daemon.
#[derive(Debug, Default, Clone, Copy)]
pub struct LazadaFactory;

impl ConnectorFactory for LazadaFactory {
    fn platform(&self) -> Platform {
        Platform::Lazada
    }

    fn credential_keys(&self) -> &'static [CredentialKey] {
        config::CREDENTIAL_KEYS
    }

    fn build(
        &self,
        store: StoreRef,
        credentials: &serde_json::Value,
        options: ConnectorOptions,
    ) -> Result<Arc<dyn Marketplace>, ConfigError> {
        let config = Config::parse(credentials)?;
        let connector = LazadaConnector::new(store, config, options)
            .map_err(|e| ConfigError::new("(connector)", e.message().to_owned()))?;
        Ok(Arc::new(connector))
    }

    fn check_request(
        &self,
        platform_secrets: &serde_json::Value,
        request: &WireRequest,
    ) -> Result<(), MockRejection> {
        check_signature(
            platform_secrets,
            request,
            chrono::Utc::now().timestamp_millis(),
        )
    }

    fn scrub_keys(&self) -> &'static [&'static str] {
        // Personal fields of GetOrders not in the recorder's defaults (`address1` is the street,
        // `recipient_info` holds ids and the full address).
        &[
            "customer_first_name",
            "customer_last_name",
            "address1",
            "address2",
            "phone2",
            "detail_address",
            "identify_no",
            "passport_no",
            "national_registration_number",
            "tax_code",
            "buyer_note",
            "gift_message",
        ]
    }
}

/// One Lazada seller account.
pub struct LazadaConnector {
    store: StoreRef,
    region: Region,
    http: HttpClient,
    auth: SellerAuth,
    capabilities: Capabilities,
}

impl fmt::Debug for LazadaConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LazadaConnector")
            .field("store", &self.store)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl LazadaConnector {
    pub fn new(
        store: StoreRef,
        config: Config,
        options: ConnectorOptions,
    ) -> Result<Self, MarketplaceError> {
        let limits = RateLimits::new();
        limits.declare(ORDERS_CLASS, ORDERS_RATE);
        limits.declare(FULFILLMENT_CLASS, FULFILLMENT_RATE);
        limits.declare(TOKEN_CLASS, TOKEN_RATE);
        let http = HttpClient::new(
            Platform::Lazada,
            &options,
            limits,
            Arc::new(LazadaClassifier),
        )?;
        let app = Arc::new(App {
            app_key: config.app_key,
            app_secret: config.app_secret,
        });
        let source = LazadaTokens::new(http.clone(), Arc::clone(&app))?;
        let tokens = TokenCache::new(
            Arc::new(source),
            config.refresh_token,
            config.access_token,
            options.token_sink.clone(),
        );
        Ok(LazadaConnector {
            store,
            region: config.region,
            http,
            auth: SellerAuth::with_tokens(app, tokens),
            capabilities: capabilities(),
        })
    }

    pub(crate) fn store(&self) -> StoreRef {
        self.store
    }

    pub(crate) fn region(&self) -> Region {
        self.region
    }

    pub(crate) fn http(&self) -> &HttpClient {
        &self.http
    }

    pub(crate) fn auth(&self) -> &SellerAuth {
        &self.auth
    }

    /// The URL of an API path on the seller's country gateway, with the base-URL override.
    pub(crate) fn url(&self, api_path: &str) -> Result<Url, MarketplaceError> {
        self.http
            .url(&format!("{}{api_path}", self.region.api_host()))
    }
}

/// What the connector declares (quotas: see [`ORDERS_RATE`]).
pub fn capabilities() -> Capabilities {
    Capabilities {
        max_window: Some(orders::MAX_WINDOW),
        page_size: orders::PAGE_SIZE,
        filters_by_update_time: true,
        window_end_lag: Duration::ZERO,
        order_list_quota: Some(ORDERS_RATE),
        platform_labels: true,
        tracking: TrackingMode::ArrangeShipment,
        api_version: "lazop/rest".to_owned(),
    }
}

#[async_trait]
impl Marketplace for LazadaConnector {
    fn platform(&self) -> Platform {
        Platform::Lazada
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn pull_orders(
        &self,
        window: Window,
        cursor: Option<&Cursor>,
    ) -> Result<OrderPage, MarketplaceError> {
        let span = tracing::info_span!("lazada_pull", store = %self.store.id);
        orders::pull_orders(self, window, cursor)
            .instrument(span)
            .await
            .map_err(|e| e.with_platform(Platform::Lazada))
    }

    async fn fetch_label(
        &self,
        order: &PlatformOrder,
        spec: &LabelSpec,
    ) -> Result<Label, MarketplaceError> {
        labels::fetch_label(self, order, spec)
            .await
            .map_err(|e| e.with_platform(Platform::Lazada))
    }

    async fn upload_tracking(&self, shipment: &Shipment) -> Result<TrackingAck, MarketplaceError> {
        tracking::upload_tracking(self, shipment)
            .await
            .map_err(|e| e.with_platform(Platform::Lazada))
    }
}

/// What the LazOP gateway checks on every API call (paths under `/rest/`): the common
/// parameters, the timestamp's age, and `sign` recomputed with `platform_secrets.app_secret`
/// over the query and form parameters. Other requests (the AWB download) pass.
pub fn check_signature(
    secrets: &serde_json::Value,
    request: &WireRequest,
    now_ms: i64,
) -> Result<(), MockRejection> {
    if !request.url.path().contains("/rest/") {
        return Ok(());
    }
    let api_path = auth::api_path(&request.url);
    let params = request.params();
    let timestamp = params
        .iter()
        .find(|(k, _)| k == "timestamp")
        .map(|(_, v)| v.as_str());
    let request_id = sha256_hex(format!("{api_path}{}", timestamp.unwrap_or_default()).as_bytes());
    let mut required = vec!["app_key", "timestamp", "sign_method", "sign"];
    if !auth::is_auth_path(api_path) {
        required.push("access_token");
    }
    let secret = secrets.get("app_secret").and_then(|s| s.as_str());
    iop_verify(
        secret,
        api_path,
        &params,
        &required,
        now_ms,
        TIMESTAMP_VALIDITY_MS,
    )
    .map_err(|(code, message)| MockRejection {
        status: 200,
        body: json!({ "type": "ISV", "code": code, "message": message,
                "request_id": &request_id[..25] }),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bytes::Bytes;
    use core_model::{ErrorKind, NeutralStatus};
    use http::{HeaderMap, HeaderValue, Method};
    use secrecy::SecretString;

    const OFFICIAL: &str = "http://mock/rest/order/get?app_key=123456&access_token=test&timestamp=1517820392000&sign_method=sha256&order_id=1234&sign=4190D32361CFB9581350222F345CB77F3B19F0E31D162316848A2C1FFD5FAB4A";

    fn wire(url: &str) -> WireRequest {
        WireRequest {
            method: Method::GET,
            url: Url::parse(url).unwrap(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    #[test]
    fn mock_verifies_the_official_example() {
        let secrets = json!({ "app_secret": "helloworld" });
        let now = 1517820392000 + 60_000;
        assert_eq!(check_signature(&secrets, &wire(OFFICIAL), now), Ok(()));

        let wrong =
            check_signature(&json!({ "app_secret": "other" }), &wire(OFFICIAL), now).unwrap_err();
        assert_eq!(wrong.status, 200);
        assert_eq!(wrong.body["code"], "IncompleteSignature");
        assert_eq!(wrong.body["type"], "ISV");
        let stale = check_signature(&secrets, &wire(OFFICIAL), now + 7_200_000).unwrap_err();
        assert_eq!(stale.body["code"], "InvalidParameter");
        let no_token = check_signature(
            &secrets,
            &wire("http://mock/rest/order/get?app_key=1&timestamp=1517820392000&sign_method=sha256&sign=X"),
            now,
        )
        .unwrap_err();
        assert_eq!(no_token.body["code"], "MissingParameter");
        assert!(no_token.body["message"]
            .as_str()
            .unwrap()
            .contains("access_token"));
        // The AWB download is not a LazOP call.
        assert_eq!(
            check_signature(
                &secrets,
                &wire("http://mock/oss/proxy/x.pdf?Expires=1"),
                now
            ),
            Ok(())
        );
    }

    #[test]
    fn mock_reads_form_bodies() {
        let mut request = connector_kit::ApiRequest::post(
            core_model::Operation::RefreshToken,
            TOKEN_CLASS,
            Url::parse("http://mock/rest/auth/token/refresh").unwrap(),
        )
        .form(vec![("refresh_token".into(), "rt-1".into())]);
        let app = App {
            app_key: "123456".into(),
            app_secret: SecretString::from("helloworld".to_owned()),
        };
        app.sign_into(&mut request, None, 1517820392000);
        let connector_kit::Body::Form(fields) = &request.body else {
            panic!("form body expected");
        };
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields.iter())
            .finish();
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded;charset=UTF-8"),
        );
        let wire = WireRequest {
            method: Method::POST,
            url: request.url.clone(),
            headers,
            body: Bytes::from(body),
        };
        let secrets = json!({ "app_secret": "helloworld" });
        assert_eq!(check_signature(&secrets, &wire, 1517820392000), Ok(()));
        assert!(check_signature(&json!({ "app_secret": "x" }), &wire, 1517820392000).is_err());
    }

    /// Replays a fixture scenario against a connector built with `sink`.
    async fn replay(
        name: &str,
        sink: Option<Arc<dyn connector_kit::TokenSink>>,
    ) -> (
        impl Drop,
        connector_testkit::LoadedScenario,
        Arc<dyn Marketplace>,
    ) {
        let target = connector_testkit::conformance::Target::new(Arc::new(LazadaFactory));
        let (server, loaded) = target.serve(name).await;
        let connector = target.connector_with(&server, &loaded, |o| o.token_sink = sink);
        (server, loaded, connector)
    }

    #[tokio::test]
    async fn the_rotated_refresh_token_reaches_the_sink() {
        let sink = Arc::new(connector_testkit::conformance::RotationLog::default());
        let (_server, loaded, c) = replay("token-expired", Some(sink.clone())).await;
        let w = loaded.expect.window.unwrap();
        let pulled = connector_testkit::conformance::pull_all(
            c.as_ref(),
            Window::new(w.from, w.to).unwrap(),
            None,
        )
        .await
        .unwrap();
        assert_eq!(pulled.orders.len(), 3);
        assert_eq!(
            sink.rotated().as_slice(),
            ["fixture-refresh-token-rotated-0002"]
        );
    }

    #[tokio::test]
    async fn a_repeated_ready_to_ship_is_already_confirmed() {
        let (_server, loaded, c) = replay("tracking", None).await;
        let shipment = loaded.expect.tracking.unwrap();
        assert!(
            !c.upload_tracking(&shipment)
                .await
                .unwrap()
                .already_confirmed
        );
        assert!(
            c.upload_tracking(&shipment)
                .await
                .unwrap()
                .already_confirmed
        );
    }

    #[tokio::test]
    async fn the_label_packs_first_and_carries_lazadas_tracking_number() {
        let (_server, loaded, c) = replay("label", None).await;
        let w = loaded.expect.window.unwrap();
        let pulled = connector_testkit::conformance::pull_all(
            c.as_ref(),
            Window::new(w.from, w.to).unwrap(),
            None,
        )
        .await
        .unwrap();
        let order = &pulled.orders[0];
        assert_eq!(order.status, NeutralStatus::AwaitingFulfillment);
        let label = c.fetch_label(order, &LabelSpec::default()).await.unwrap();
        assert_eq!(label.tracking_number.as_deref(), Some("LXSG0052601234567"));
        assert_eq!(label.carrier.as_deref(), Some("LEX SG"));
        assert!(label.bytes.starts_with(b"%PDF"));
        let zpl = LabelSpec {
            format: Some(core_model::LabelFormat::Zpl),
            ..LabelSpec::default()
        };
        let e = c.fetch_label(order, &zpl).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
    }

    #[test]
    fn declares_lazada_capabilities() {
        let c = capabilities();
        assert_eq!(c.max_window, Some(Duration::from_secs(7 * 86_400)));
        assert_eq!(c.page_size, 100);
        assert!(c.filters_by_update_time && c.platform_labels);
        assert_eq!(c.tracking, TrackingMode::ArrangeShipment);
    }
}
