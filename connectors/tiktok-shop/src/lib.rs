//! TikTok Shop Partner API (versioned paths, 202309) connector: orders by update time, the
//! TikTok Shipping label, and tracking upload for seller-shipped orders. One connector serves
//! one shop (`shop_cipher`).
//!
//! Open API host `https://open-api.tiktokglobalshop.com` for every region; tokens at
//! `https://auth.tiktok-shops.com`. Every call is HMAC-SHA256 signed ([`auth`]). See README.md
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
use connector_kit::sign::signatures_match;
use connector_kit::{
    ConfigError, ConnectorFactory, ConnectorOptions, CredentialKey, HttpClient, MockRejection,
    RateLimits, TokenCache, WireRequest,
};
use core_model::{
    Capabilities, Cursor, Label, LabelSpec, Marketplace, MarketplaceError, OrderPage, Platform,
    PlatformOrder, RateSpec, Shipment, StoreRef, TrackingAck, TrackingMode, Window,
};
use secrecy::SecretString;
use serde_json::json;
use tracing::Instrument;
use url::Url;

use crate::auth::{App, ShopAuth, TiktokTokens, ACCESS_TOKEN_HEADER, REFRESH_PATH};
use crate::config::Config;
use crate::error::{TiktokClassifier, INVALID_PARAMS, INVALID_SIGN};
use crate::labels::DOCUMENTS_CLASS;
use crate::orders::ORDERS_CLASS;
use crate::tracking::FULFILLMENT_CLASS;

/// The open API host of every region; the shop is chosen by `shop_cipher`.
pub const API_HOST: &str = "https://open-api.tiktokglobalshop.com";

/// TikTok publishes no number: its "API rate limits" page describes per-app, per-shop and
/// per-API QPS limits it adjusts itself and answers 429 / 36009002 when one is hit. The
/// platform note's guidance is at most 10 requests a second per shop and endpoint group.
const ORDERS_RATE: RateSpec = RateSpec {
    per_second: 10.0,
    burst: 10,
};
const FULFILLMENT_RATE: RateSpec = RateSpec {
    per_second: 10.0,
    burst: 10,
};
const TOKEN_RATE: RateSpec = RateSpec {
    per_second: 1.0,
    burst: 2,
};
const DOCUMENTS_RATE: RateSpec = RateSpec {
    per_second: 5.0,
    burst: 5,
};

/// How far a request's `timestamp` may be from the gateway's clock (reported as 5 minutes).
const TIMESTAMP_VALIDITY_SECS: i64 = 300;

/// Builds [`TiktokShopConnector`]s; registered once in the daemon.
#[derive(Debug, Default, Clone, Copy)]
pub struct TiktokShopFactory;

impl ConnectorFactory for TiktokShopFactory {
    fn platform(&self) -> Platform {
        Platform::TiktokShop
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
        let connector = TiktokShopConnector::new(store, config, options)
            .map_err(|e| ConfigError::new("(connector)", e.message().to_owned()))?;
        Ok(Arc::new(connector))
    }

    fn check_request(
        &self,
        platform_secrets: &serde_json::Value,
        request: &WireRequest,
    ) -> Result<(), MockRejection> {
        check_request(platform_secrets, request, chrono::Utc::now().timestamp())
    }

    fn scrub_keys(&self) -> &'static [&'static str] {
        // Personal fields of the 202309 order objects beyond the recorder's defaults.
        &[
            "address_detail",
            "address_line4",
            "first_name_local_script",
            "last_name_local_script",
            "buyer_message",
            "cpf",
            "cpf_name",
        ]
    }
}

/// One TikTok Shop shop.
pub struct TiktokShopConnector {
    store: StoreRef,
    shop_cipher: String,
    handover_method: String,
    http: HttpClient,
    auth: ShopAuth,
    capabilities: Capabilities,
}

impl fmt::Debug for TiktokShopConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TiktokShopConnector")
            .field("store", &self.store)
            .field("shop_cipher", &self.shop_cipher)
            .finish_non_exhaustive()
    }
}

impl TiktokShopConnector {
    pub fn new(
        store: StoreRef,
        config: Config,
        options: ConnectorOptions,
    ) -> Result<Self, MarketplaceError> {
        let limits = RateLimits::new();
        limits.declare(ORDERS_CLASS, ORDERS_RATE);
        limits.declare(FULFILLMENT_CLASS, FULFILLMENT_RATE);
        limits.declare(TOKEN_CLASS, TOKEN_RATE);
        limits.declare(DOCUMENTS_CLASS, DOCUMENTS_RATE);
        let http = HttpClient::new(
            Platform::TiktokShop,
            &options,
            limits,
            Arc::new(TiktokClassifier),
        )?;
        let app = Arc::new(App {
            app_key: config.app_key,
            app_secret: config.app_secret,
            shop_cipher: config.shop_cipher.clone(),
            path_prefix: options
                .base_url
                .as_ref()
                .map(|u| u.path().trim_end_matches('/').to_owned())
                .unwrap_or_default(),
        });
        let source = TiktokTokens::new(http.clone(), Arc::clone(&app))?;
        let tokens = TokenCache::new(
            Arc::new(source),
            config.refresh_token,
            config.access_token,
            options.token_sink.clone(),
        );
        Ok(TiktokShopConnector {
            store,
            shop_cipher: config.shop_cipher,
            handover_method: config.handover_method,
            auth: ShopAuth::with_tokens(app, tokens),
            http,
            capabilities: capabilities(),
        })
    }

    pub(crate) fn store(&self) -> StoreRef {
        self.store
    }

    pub(crate) fn http(&self) -> &HttpClient {
        &self.http
    }

    pub(crate) fn auth(&self) -> &ShopAuth {
        &self.auth
    }

    pub(crate) fn handover_method(&self) -> &str {
        &self.handover_method
    }

    /// The open-API URL of `path`, with the base-URL override applied.
    pub(crate) fn url(&self, path: &str) -> Result<Url, MarketplaceError> {
        self.http.url(&format!("{API_HOST}{path}"))
    }

    /// `{before}/{id}/{after}` with `id` percent-encoded as one path segment.
    pub(crate) fn url_with_id(
        &self,
        before: &str,
        id: &str,
        after: &str,
    ) -> Result<Url, MarketplaceError> {
        let mut url = Url::parse(API_HOST)
            .map_err(|e| MarketplaceError::permanent(format!("invalid API host: {e}")))?;
        url.set_path(before);
        url.path_segments_mut()
            .map_err(|()| MarketplaceError::permanent("the API host cannot take a path"))?
            .push(id)
            .extend(after.split('/').filter(|s| !s.is_empty()));
        self.http.hosts().rebase(url)
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
        tracking: TrackingMode::ConfirmShipment,
        api_version: "order/202309, fulfillment/202309, logistics/202309".to_owned(),
    }
}

#[async_trait]
impl Marketplace for TiktokShopConnector {
    fn platform(&self) -> Platform {
        Platform::TiktokShop
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn pull_orders(
        &self,
        window: Window,
        cursor: Option<&Cursor>,
    ) -> Result<OrderPage, MarketplaceError> {
        let span = tracing::info_span!("tiktok_shop_pull", store = %self.store.id);
        orders::pull_orders(self, window, cursor)
            .instrument(span)
            .await
            .map_err(|e| e.with_platform(Platform::TiktokShop))
    }

    async fn fetch_label(
        &self,
        order: &PlatformOrder,
        spec: &LabelSpec,
    ) -> Result<Label, MarketplaceError> {
        labels::fetch_label(self, order, spec)
            .await
            .map_err(|e| e.with_platform(Platform::TiktokShop))
    }

    async fn upload_tracking(&self, shipment: &Shipment) -> Result<TrackingAck, MarketplaceError> {
        tracking::upload_tracking(self, shipment)
            .await
            .map_err(|e| e.with_platform(Platform::TiktokShop))
    }
}

/// An open-API path: `/{module}/{yyyymm}/...`.
fn is_open_api_path(path: &str) -> bool {
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    let _module = segments.next();
    segments
        .next()
        .is_some_and(|v| v.len() == 6 && v.bytes().all(|b| b.is_ascii_digit()))
}

/// What TikTok checks on every request, against `platform_secrets` (`app_key`, `app_secret`):
/// on the token endpoint the app's key and secret; on the open API the common parameters, the
/// timestamp's age, `sign` recomputed with the app secret, and the `x-tts-access-token`
/// header. Other paths (pre-signed document URLs) are not the gateway's.
pub fn check_request(
    secrets: &serde_json::Value,
    request: &WireRequest,
    now: i64,
) -> Result<(), MockRejection> {
    let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
    let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let secret = |k: &str| secrets.get(k).and_then(|v| v.as_str());
    let path = request.url.path();
    let request_id = format!(
        "{}{:08X}",
        chrono::DateTime::<chrono::Utc>::from_timestamp(now, 0)
            .map(|t| t.format("%Y%m%d%H%M%S").to_string())
            .unwrap_or_default(),
        path.len()
    );
    let reject = |status: u16, code: i64, message: &str| MockRejection {
        status,
        body: json!({ "code": code, "message": message, "request_id": request_id, "data": {} }),
    };
    let matches = |key: &str| match secret(key) {
        Some(expected) => get(key).is_some_and(|got| signatures_match(got, expected)),
        None => get(key).is_some_and(|got| !got.is_empty()),
    };

    if path.ends_with(REFRESH_PATH) {
        if !matches("app_key") || !matches("app_secret") {
            return Err(reject(
                401,
                INVALID_PARAMS,
                "Invalid credentials. The app_key or app_secret is invalid.",
            ));
        }
        if get("grant_type") != Some("refresh_token") || get("refresh_token").is_none() {
            return Err(reject(
                400,
                INVALID_PARAMS,
                "Invalid param error: grant_type or refresh_token.",
            ));
        }
        return Ok(());
    }
    if !is_open_api_path(path) {
        return Ok(());
    }
    if !matches("app_key") {
        return Err(reject(
            401,
            INVALID_PARAMS,
            "Invalid credentials. The app_key is invalid.",
        ));
    }
    let timestamp = get("timestamp")
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or_else(|| reject(400, INVALID_PARAMS, "Invalid param error: timestamp."))?;
    if (now - timestamp).abs() > TIMESTAMP_VALIDITY_SECS {
        return Err(reject(
            400,
            INVALID_PARAMS,
            "Invalid param error: timestamp is expired.",
        ));
    }
    let sign = get("sign").ok_or_else(|| reject(401, INVALID_SIGN, "Invalid sign."))?;
    let Some(app_secret) = secret("app_secret") else {
        return Err(reject(401, INVALID_SIGN, "Invalid sign."));
    };
    let content_type = request
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let body: &[u8] = if auth::body_is_signed(content_type) {
        &request.body
    } else {
        &[]
    };
    let expected = auth::sign(
        &SecretString::from(app_secret.to_owned()),
        &auth::string_to_sign(path, &query, body),
    );
    if !signatures_match(&expected, sign) {
        return Err(reject(401, INVALID_SIGN, "Invalid sign."));
    }
    let token = request
        .headers
        .get(ACCESS_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|t| !t.trim().is_empty());
    if token.is_none() {
        return Err(reject(
            401,
            INVALID_PARAMS,
            "Invalid credentials. The access_token is invalid or expired.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bytes::Bytes;
    use core_model::StoreId;
    use http::{HeaderMap, HeaderValue, Method};

    const SECRET: &str = "e59af819cc";

    fn wire(method: Method, url: &str, token: Option<&str>, body: &str) -> WireRequest {
        let mut headers = HeaderMap::new();
        if let Some(t) = token {
            headers.insert(ACCESS_TOKEN_HEADER, HeaderValue::from_str(t).unwrap());
        }
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        WireRequest {
            method,
            url: Url::parse(url).unwrap(),
            headers,
            body: Bytes::from(body.to_owned()),
        }
    }

    /// The mock recomputes the worked example's signature (tiktok-shop.md section 2.4).
    #[test]
    fn mock_verifies_the_worked_example() {
        let secrets = json!({ "app_key": "6abcd1234ef", "app_secret": SECRET });
        let url = "http://mock/order/202309/orders/search?app_key=6abcd1234ef&timestamp=1717000000&shop_cipher=ROW_aBcDeF123&page_size=20&sort_field=create_time&sort_order=DESC&sign=025c9c53bfa09cf6775b9e6f3dd16040954de039f60a663b85f7e8c5f02606d9";
        let body = r#"{"order_status":"AWAITING_SHIPMENT","create_time_ge":1716400000,"create_time_lt":1717000000}"#;
        let ok = wire(Method::POST, url, Some("ROW_token"), body);
        assert_eq!(check_request(&secrets, &ok, 1717000010), Ok(()));

        let other_body = wire(Method::POST, url, Some("ROW_token"), "{}");
        let e = check_request(&secrets, &other_body, 1717000010).unwrap_err();
        assert_eq!(
            (e.status, e.body["code"].as_i64()),
            (401, Some(INVALID_SIGN))
        );
        let wrong_key = check_request(
            &json!({ "app_key": "6abcd1234ef", "app_secret": "another" }),
            &ok,
            1717000010,
        )
        .unwrap_err();
        assert_eq!(wrong_key.body["message"], "Invalid sign.");
        let stale = check_request(&secrets, &ok, 1717000000 + 301).unwrap_err();
        assert_eq!(stale.body["code"].as_i64(), Some(INVALID_PARAMS));
        let no_token =
            check_request(&secrets, &wire(Method::POST, url, None, body), 1717000010).unwrap_err();
        assert!(no_token.body["message"]
            .as_str()
            .unwrap()
            .contains("access_token"));
        // A pre-signed document URL is not the gateway's to check.
        let doc = wire(
            Method::GET,
            "http://mock/wsos/doc/label.pdf?sign=x",
            None,
            "",
        );
        assert_eq!(check_request(&secrets, &doc, 0), Ok(()));
    }

    #[test]
    fn mock_checks_the_app_on_the_token_endpoint() {
        let secrets = json!({ "app_key": "6abcd1234ef", "app_secret": SECRET });
        let url = |secret: &str| {
            format!("http://mock/api/v2/token/refresh?app_key=6abcd1234ef&app_secret={secret}&refresh_token=ROW_rt&grant_type=refresh_token")
        };
        let ok = wire(Method::GET, &url(SECRET), None, "");
        assert_eq!(check_request(&secrets, &ok, 0), Ok(()));
        let bad = wire(Method::GET, &url("nope"), None, "");
        assert_eq!(check_request(&secrets, &bad, 0).unwrap_err().status, 401);
    }

    #[test]
    fn urls_keep_the_override_prefix_and_encode_ids() {
        let options = ConnectorOptions {
            base_url: Some(Url::parse("http://127.0.0.1:9/proxy/").unwrap()),
            ..ConnectorOptions::default()
        };
        let config = Config::parse(&json!({
            "app_key": "k", "app_secret": "s", "refresh_token": "r", "shop_cipher": "c"
        }))
        .unwrap();
        let store = StoreRef {
            id: StoreId(1),
            platform: Platform::TiktokShop,
        };
        let c = TiktokShopConnector::new(store, config, options).unwrap();
        assert_eq!(
            c.url_with_id(
                "/fulfillment/202309/packages",
                "1153/1",
                "shipping_documents"
            )
            .unwrap()
            .as_str(),
            "http://127.0.0.1:9/proxy/fulfillment/202309/packages/1153%2F1/shipping_documents"
        );
        assert_eq!(
            c.url(orders::SEARCH_PATH).unwrap().as_str(),
            "http://127.0.0.1:9/proxy/order/202309/orders/search"
        );
        assert!(!format!("{c:?}").contains("\"s\""));
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
        let target = connector_testkit::conformance::Target::new(Arc::new(TiktokShopFactory));
        let (server, loaded) = target.serve(name).await;
        let connector = target.connector_with(&server, &loaded, |o| o.token_sink = sink);
        (server, loaded, connector)
    }

    async fn pull(
        loaded: &connector_testkit::LoadedScenario,
        c: &dyn Marketplace,
    ) -> Result<connector_testkit::conformance::Pulled, MarketplaceError> {
        let w = loaded.expect.window.unwrap();
        connector_testkit::conformance::pull_all(c, Window::new(w.from, w.to).unwrap(), None).await
    }

    #[tokio::test]
    async fn the_rotated_refresh_token_reaches_the_sink() {
        let sink = Arc::new(connector_testkit::conformance::RotationLog::default());
        let (_server, loaded, c) = replay("token-expired", Some(sink.clone())).await;
        assert_eq!(pull(&loaded, c.as_ref()).await.unwrap().orders.len(), 3);
        assert_eq!(
            sink.rotated().as_slice(),
            ["ROW_fixture-refresh-token-rotated-0002"]
        );
    }

    #[tokio::test]
    async fn a_wrong_app_secret_is_refused_for_its_sign() {
        let (_server, loaded, c) = replay("rejected-credentials", None).await;
        let e = pull(&loaded, c.as_ref()).await.unwrap_err();
        assert_eq!(e.code(), Some("106001"));
        assert_eq!(e.kind(), core_model::ErrorKind::Permanent);
    }

    #[tokio::test]
    async fn a_repeated_ship_is_already_confirmed() {
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
    async fn part_of_a_package_is_marked_shipped_at_order_level() {
        let (_server, loaded, c) = replay("tracking-partial", None).await;
        let shipment = loaded.expect.tracking.unwrap();
        assert!(
            !c.upload_tracking(&shipment)
                .await
                .unwrap()
                .already_confirmed
        );
    }

    #[tokio::test]
    async fn the_label_carries_tracking_number_and_formats_are_checked() {
        let (_server, loaded, c) = replay("label", None).await;
        let pulled = pull(&loaded, c.as_ref()).await.unwrap();
        let order = &pulled.orders[0];
        assert!(order.platform_label_hint);
        assert_eq!(order.status, core_model::NeutralStatus::AwaitingFulfillment);
        let png = LabelSpec {
            format: Some(core_model::LabelFormat::Png),
            ..LabelSpec::default()
        };
        let e = c.fetch_label(order, &png).await.unwrap_err();
        assert_eq!(e.kind(), core_model::ErrorKind::Unsupported);
        let label = c.fetch_label(order, &LabelSpec::default()).await.unwrap();
        assert_eq!(
            label.tracking_number.as_deref(),
            Some("9400111899223856925486")
        );
        assert!(label.bytes.starts_with(b"%PDF"));
    }

    #[test]
    fn declares_tiktok_capabilities() {
        let c = capabilities();
        assert_eq!(c.max_window, Some(Duration::from_secs(86_400)));
        assert_eq!(c.page_size, 100);
        assert!(c.filters_by_update_time && c.platform_labels);
        assert_eq!(c.tracking, TrackingMode::ConfirmShipment);
        assert_eq!(c.order_list_quota.map(|q| q.per_second), Some(10.0));
    }
}
