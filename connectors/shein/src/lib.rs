//! SHEIN Open Platform connector (self-operated and semi-managed stores): orders by update
//! time, SHEIN logistics labels (`print-express-info`), and self-shipping waybill upload. One
//! connector serves one store (one `openKeyId`).
//!
//! Every call is a JSON `POST` under `/open-api/`, signed in `x-lt-*` headers ([`auth`]).
//! See README.md for credentials and quirks.

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
use bytes::Bytes;
use connector_kit::sign::signatures_match;
use connector_kit::{
    decode_json, ApiRequest, Body, ConfigError, ConnectorFactory, ConnectorOptions, CredentialKey,
    HttpClient, MockRejection, RateLimits, RawResponse, WireRequest,
};
use core_model::{
    Capabilities, Cursor, Label, LabelSpec, Marketplace, MarketplaceError, Operation, OrderPage,
    Platform, PlatformOrder, RateSpec, Shipment, StoreRef, TrackingAck, TrackingMode, Window,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;
use tracing::Instrument;

use crate::auth::SheinAuth;
use crate::config::Config;
use crate::error::{SheinClassifier, HEADER_ERROR, SIGNATURE_ERROR};
use crate::labels::{DOWNLOAD_CLASS, LOGISTICS_CLASS};
use crate::model::Envelope;
use crate::orders::ORDERS_CLASS;

/// SHEIN documents a quota only for some APIs: "每个店铺限制QPS=5/s" (per store, the return
/// order API, "客单退货退款服务" FAQ); integrators quote a throttle answer "api request limit
/// 10/s". Each endpoint group of a store stays at 5 per second.
const ORDERS_RATE: RateSpec = RateSpec {
    per_second: 5.0,
    burst: 5,
};
const LOGISTICS_RATE: RateSpec = RateSpec {
    per_second: 5.0,
    burst: 5,
};
/// Label PDFs come from an object store, not the API gateway.
const DOWNLOAD_RATE: RateSpec = RateSpec {
    per_second: 2.0,
    burst: 2,
};

/// The content type SHEIN's documents require on every call.
pub const CONTENT_TYPE: &str = "application/json;charset=UTF-8";

/// Builds [`SheinConnector`]s; registered once in the daemon.
#[derive(Debug, Default, Clone, Copy)]
pub struct SheinFactory;

impl ConnectorFactory for SheinFactory {
    fn platform(&self) -> Platform {
        Platform::Shein
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
        let connector = SheinConnector::new(store, config, options)
            .map_err(|e| ConfigError::new("(connector)", e.message().to_owned()))?;
        Ok(Arc::new(connector))
    }

    fn check_request(
        &self,
        platform_secrets: &serde_json::Value,
        request: &WireRequest,
    ) -> Result<(), MockRejection> {
        check_request_at(
            platform_secrets,
            request,
            chrono::Utc::now().timestamp_millis(),
        )
    }

    fn scrub_keys(&self) -> &'static [&'static str] {
        // Personal fields of export-address outside the recorder's defaults.
        &["middleName", "addressExt", "taxNo"]
    }
}

/// One SHEIN store.
pub struct SheinConnector {
    store: StoreRef,
    host: String,
    http: HttpClient,
    auth: SheinAuth,
    capabilities: Capabilities,
}

impl fmt::Debug for SheinConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SheinConnector")
            .field("store", &self.store)
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

impl SheinConnector {
    pub fn new(
        store: StoreRef,
        config: Config,
        options: ConnectorOptions,
    ) -> Result<Self, MarketplaceError> {
        let limits = RateLimits::new();
        limits.declare(ORDERS_CLASS, ORDERS_RATE);
        limits.declare(LOGISTICS_CLASS, LOGISTICS_RATE);
        limits.declare(DOWNLOAD_CLASS, DOWNLOAD_RATE);
        let http = HttpClient::new(Platform::Shein, &options, limits, Arc::new(SheinClassifier))?;
        Ok(SheinConnector {
            store,
            host: config.host,
            http,
            auth: SheinAuth::new(config.open_key_id, config.secret_key),
            capabilities: capabilities(),
        })
    }

    pub(crate) fn store(&self) -> StoreRef {
        self.store
    }

    pub(crate) fn http(&self) -> &HttpClient {
        &self.http
    }

    /// `POST path` with `body`, signed, through the kit; the raw answer.
    pub(crate) async fn post<B: Serialize + ?Sized>(
        &self,
        operation: Operation,
        class: &'static str,
        path: &'static str,
        body: &B,
    ) -> Result<RawResponse, MarketplaceError> {
        let url = self.http.url(&format!("{}{path}", self.host))?;
        let bytes = serde_json::to_vec(body)
            .map_err(|e| MarketplaceError::permanent(format!("cannot encode {path}: {e}")))?;
        let mut request = ApiRequest::post(operation, class, url);
        request.body = Body::Raw {
            content_type: CONTENT_TYPE.to_owned(),
            bytes: Bytes::from(bytes),
        };
        self.http
            .send(request, Some(&self.auth))
            .await
            .inspect_err(|e| {
                // The path and SHEIN's traceId are what its support asks for (kept 3 days).
                tracing::debug!(
                    platform = "shein",
                    path,
                    code = e.code(),
                    trace_id = e.request_id(),
                    "call failed"
                );
            })
    }

    /// `POST path` and its decoded `info`.
    pub(crate) async fn call<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        operation: Operation,
        class: &'static str,
        path: &'static str,
        body: &B,
    ) -> Result<T, MarketplaceError> {
        let response = self.post(operation, class, path, body).await?;
        info_of(&response, path)
    }
}

/// The `info` of a successful envelope.
pub fn info_of<T: DeserializeOwned>(
    response: &RawResponse,
    path: &str,
) -> Result<T, MarketplaceError> {
    let envelope: Envelope<T> = decode_json(&response.body)?;
    envelope
        .info
        .ok_or_else(|| MarketplaceError::malformed(format!("{path} answered without `info`")))
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
        api_version: "open-api/order (order-list, order-detail)".to_owned(),
    }
}

#[async_trait]
impl Marketplace for SheinConnector {
    fn platform(&self) -> Platform {
        Platform::Shein
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn pull_orders(
        &self,
        window: Window,
        cursor: Option<&Cursor>,
    ) -> Result<OrderPage, MarketplaceError> {
        let span = tracing::info_span!("shein_pull", store = %self.store.id);
        orders::pull_orders(self, window, cursor)
            .instrument(span)
            .await
            .map_err(|e| e.with_platform(Platform::Shein))
    }

    async fn fetch_label(
        &self,
        order: &PlatformOrder,
        spec: &LabelSpec,
    ) -> Result<Label, MarketplaceError> {
        labels::fetch_label(self, order, spec)
            .await
            .map_err(|e| e.with_platform(Platform::Shein))
    }

    async fn upload_tracking(&self, shipment: &Shipment) -> Result<TrackingAck, MarketplaceError> {
        tracking::upload_tracking(self, shipment)
            .await
            .map_err(|e| e.with_platform(Platform::Shein))
    }
}

/// The gateway's answer to a request that fails its checks: the usual envelope with HTTP 200.
fn rejection(code: &str, message: &str, seed: &[u8]) -> MockRejection {
    let trace = connector_kit::sign::sha256_hex(seed);
    MockRejection {
        status: 200,
        body: json!({
            "code": code,
            "msg": message,
            "info": null,
            "bbl": null,
            "traceId": &trace[..16],
        }),
    }
}

/// What SHEIN's gateway checks on every `/open-api/` call: the three `x-lt-*` headers, the
/// timestamp's age (five minutes), the `openKeyId` (`platform_secrets.open_key_id`, when
/// given) and the signature recomputed from `platform_secrets.secret_key` with the random key
/// the signature starts with. Label downloads (signed object-store URLs) are not the
/// gateway's and pass.
pub fn check_request_at(
    secrets: &serde_json::Value,
    request: &WireRequest,
    now_ms: i64,
) -> Result<(), MockRejection> {
    let path = request.url.path();
    if !path.contains("/open-api/") {
        return Ok(());
    }
    let seed = [path.as_bytes(), request.body.as_ref()].concat();
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let (Some(open_key_id), Some(timestamp), Some(sig)) = (
        header(auth::OPEN_KEY_ID),
        header(auth::TIMESTAMP),
        header(auth::SIGNATURE),
    ) else {
        return Err(rejection(HEADER_ERROR, "请求头参数异常", &seed));
    };
    let bad_signature = || rejection(SIGNATURE_ERROR, "签名错误:生成的签名不正确", &seed);
    let Ok(ts) = timestamp.parse::<i64>() else {
        return Err(rejection(HEADER_ERROR, "请求头参数异常", &seed));
    };
    // The code SHEIN gives a stale timestamp is not documented; a stale call cannot verify.
    if (now_ms - ts).abs() > auth::TIMESTAMP_VALIDITY_MS {
        return Err(bad_signature());
    }
    let known = secrets.get("open_key_id").and_then(|v| v.as_str());
    if known.is_some_and(|k| k != open_key_id) {
        return Err(bad_signature());
    }
    let Some(random_key) = sig.get(..auth::RANDOM_KEY_LEN) else {
        return Err(bad_signature());
    };
    let secret_key = secrets
        .get("secret_key")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    let expected = auth::signature(
        open_key_id,
        secret_key,
        auth::signed_path(path),
        timestamp,
        random_key,
    );
    if signatures_match(&expected, sig) {
        Ok(())
    } else {
        Err(bad_signature())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::{ErrorKind, LabelFormat, StoreId};
    use http::{HeaderMap, HeaderValue, Method};
    use url::Url;

    const OPEN_KEY: &str = "EED6AEEA6B4741EF94D29FED5A1CE76F";
    const SECRET: &str = "35D01D988EBA46FB9D87CA066FFD1805";
    const PATH: &str = "/open-api/goods/get-custom-attribute-permission-config";
    const TS: i64 = 1753841948096;
    /// The documented request (see `auth::tests::reproduces_the_documented_request`).
    const SIG: &str = "test0ZWYwZGY5N2VjM2M1ZmNkOGI1NDU0M2VjMTM3NWNiNDk0ZjhmY2E3NThkM2NkMzdkM2VjYzEyNGY5Y2QzN2NhNQ==";

    fn request(path: &str, headers: &[(&'static str, &str)]) -> WireRequest {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        WireRequest {
            method: Method::POST,
            url: Url::parse(&format!("http://mock{path}")).unwrap(),
            headers: map,
            body: Bytes::from_static(br#"{"category_id_list":[20039881]}"#),
        }
    }

    fn documented() -> WireRequest {
        request(
            PATH,
            &[
                (auth::OPEN_KEY_ID, OPEN_KEY),
                (auth::TIMESTAMP, "1753841948096"),
                (auth::SIGNATURE, SIG),
            ],
        )
    }

    #[test]
    fn mock_verifies_the_documented_request() {
        let secrets = json!({ "open_key_id": OPEN_KEY, "secret_key": SECRET });
        assert_eq!(check_request_at(&secrets, &documented(), TS + 1000), Ok(()));
        let code = |r: Result<(), MockRejection>| r.unwrap_err().body["code"].clone();
        assert_eq!(
            code(check_request_at(
                &json!({ "secret_key": "another" }),
                &documented(),
                TS
            )),
            SIGNATURE_ERROR
        );
        assert_eq!(
            code(check_request_at(
                &json!({ "open_key_id": "other", "secret_key": SECRET }),
                &documented(),
                TS
            )),
            SIGNATURE_ERROR
        );
        assert_eq!(
            code(check_request_at(
                &secrets,
                &documented(),
                TS + auth::TIMESTAMP_VALIDITY_MS + 1
            )),
            SIGNATURE_ERROR
        );
        // The signature covers the path: the same headers on another path fail.
        let mut moved = documented();
        moved.url = Url::parse("http://mock/open-api/order/order-list").unwrap();
        assert_eq!(
            code(check_request_at(&secrets, &moved, TS)),
            SIGNATURE_ERROR
        );
        let missing = request(PATH, &[(auth::OPEN_KEY_ID, OPEN_KEY)]);
        let r = check_request_at(&secrets, &missing, TS).unwrap_err();
        assert_eq!(
            (r.status, r.body["code"].clone()),
            (200, json!(HEADER_ERROR))
        );
        // Downloads of signed object-store URLs are not the gateway's.
        assert_eq!(
            check_request_at(&secrets, &request("/pdf/label.pdf", &[]), TS),
            Ok(())
        );
    }

    #[test]
    fn declares_shein_capabilities() {
        let c = capabilities();
        assert_eq!(c.max_window, Some(Duration::from_secs(48 * 3600)));
        assert_eq!(c.page_size, 30);
        assert!(c.filters_by_update_time && c.platform_labels);
        assert_eq!(c.tracking, TrackingMode::ConfirmShipment);
    }

    /// Replays a fixture scenario, with `edit` applied to it first.
    async fn replay(
        name: &str,
        edit: impl FnOnce(&mut connector_testkit::LoadedScenario),
    ) -> (
        wiremock::MockServer,
        connector_testkit::LoadedScenario,
        Arc<dyn Marketplace>,
    ) {
        let dir = connector_testkit::fixtures_root().join("shein").join(name);
        let mut loaded = connector_testkit::LoadedScenario::load(&dir).unwrap();
        edit(&mut loaded);
        let server = wiremock::MockServer::start().await;
        connector_testkit::mount_loaded(&server, Arc::new(SheinFactory), &loaded)
            .await
            .unwrap();
        let options = ConnectorOptions {
            base_url: Some(Url::parse(&server.uri()).unwrap()),
            retry: connector_kit::RetryConfig::fast(),
            ..ConnectorOptions::default()
        };
        let store = StoreRef {
            id: StoreId(1),
            platform: Platform::Shein,
        };
        let connector = SheinFactory
            .build(store, &loaded.credentials, options)
            .unwrap();
        (server, loaded, connector)
    }

    fn window(loaded: &connector_testkit::LoadedScenario) -> Window {
        let w = loaded.expect.window.unwrap();
        Window::new(w.from, w.to).unwrap()
    }

    /// No refresh grant: SHEIN's refusal of the keys fails the pull as Unauthorized with its
    /// code, the refused call is sent once, and nothing else is called.
    #[tokio::test]
    async fn refused_keys_surface_unauthorized_without_a_retry() {
        let (server, loaded, c) = replay("token-expired", |_| {}).await;
        let err = connector_testkit::conformance::pull_all(c.as_ref(), window(&loaded), None)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthorized);
        assert_eq!(err.code(), Some(SIGNATURE_ERROR));
        assert!(err.request_id().is_some());
        server.verify().await;
    }

    #[tokio::test]
    async fn a_repeated_upload_is_already_confirmed() {
        let (server, loaded, c) = replay("tracking", |_| {}).await;
        let shipment = loaded.expect.tracking.clone().unwrap();
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
        server.verify().await;
    }

    #[tokio::test]
    async fn the_label_carries_the_waybill() {
        let (_server, loaded, c) = replay("label", |_| {}).await;
        let pulled = connector_testkit::conformance::pull_all(c.as_ref(), window(&loaded), None)
            .await
            .unwrap();
        let order = &pulled.orders[0];
        assert!(order.platform_label_hint);
        let spec = loaded.expect.label.clone().unwrap().spec;
        let label = c.fetch_label(order, &spec).await.unwrap();
        assert_eq!(label.format, LabelFormat::Pdf);
        assert_eq!(
            label.tracking_number.as_deref(),
            Some("9261290339316720004631")
        );
        assert!(label.bytes.starts_with(b"%PDF"));
        let zpl = LabelSpec {
            format: Some(LabelFormat::Zpl),
            ..spec
        };
        let e = c.fetch_label(order, &zpl).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
    }

    #[tokio::test]
    async fn debug_shows_no_keys() {
        let (_server, _loaded, c) = replay("empty", |s| {
            s.scenario
                .exchanges
                .iter_mut()
                .for_each(|x| x.expect_calls = None)
        })
        .await;
        let shown = format!("{c:?}");
        assert!(shown.contains("SheinConnector"));
        assert!(!shown.contains("fixture"), "{shown}");
    }
}
