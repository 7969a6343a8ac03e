//! Ozon connector: the Seller API (`https://api-seller.ozon.ru`) for FBS/rFBS postings. Orders
//! are postings (`posting_number`), pulled with `POST /v4/posting/fbs/list` and its cursor;
//! labels through the package-label task flow; "shipped" is assembly (`/v4/posting/fbs/ship`)
//! plus the tracking number (`/v2/fbs/posting/tracking-number/set`). Every call carries the
//! seller's `Client-Id` and `Api-Key` headers; there is no token. See README.md.

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
use connector_kit::{
    ApiRequest, Authorizer, ConfigError, ConnectorFactory, ConnectorOptions, CredentialKey,
    HttpClient, MockRejection, RateLimits, RawResponse, ResponseClassifier, WireRequest,
};
use core_model::{
    Capabilities, Cursor, Label, LabelSpec, Marketplace, MarketplaceError, Operation, OrderPage,
    Platform, PlatformOrder, RateSpec, Shipment, StoreRef, TrackingAck, TrackingMode, Window,
};
use serde::Serialize;
use tracing::Instrument;

use crate::auth::{ApiKeyAuth, API_KEY_HEADER, CLIENT_ID_HEADER};
use crate::config::Config;
use crate::error::{OzonClassifier, CODE_UNAUTHENTICATED, INVALID_KEY_MESSAGE};

/// The Seller API host (production; Ozon documents no sandbox).
pub const API_HOST: &str = "api-seller.ozon.ru";
/// The origin every Seller API path is appended to.
pub const API_BASE: &str = "https://api-seller.ozon.ru";

/// Every Seller API method shares one quota per Client-Id.
pub const API_CLASS: &str = "seller-api";

/// "You can send no more than 50 requests a second to all methods from one Client ID"
/// (API reference, "Process" section).
pub const API_RATE: RateSpec = RateSpec {
    per_second: 50.0,
    burst: 50,
};

/// Label file downloads from Ozon's CDN: not a documented quota; kept gentle.
pub const DOWNLOAD_RATE: RateSpec = RateSpec {
    per_second: 5.0,
    burst: 5,
};

/// Builds [`OzonConnector`]s; registered once in the daemon.
#[derive(Debug, Default, Clone, Copy)]
pub struct OzonFactory;

impl ConnectorFactory for OzonFactory {
    fn platform(&self) -> Platform {
        Platform::Ozon
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
        let connector = OzonConnector::new(store, config, &options)
            .map_err(|e| ConfigError::new("(connector)", e.message().to_owned()))?;
        Ok(Arc::new(connector))
    }

    /// What Ozon checks on every Seller API call (paths `/v<N>/...`): both headers present, a
    /// positive integer `Client-Id`, and a key that belongs to it (`platform_secrets.client_id`
    /// and `api_key`). Label files on the CDN carry no credentials and are not checked.
    fn check_request(
        &self,
        platform_secrets: &serde_json::Value,
        request: &WireRequest,
    ) -> Result<(), MockRejection> {
        if !is_api_path(request.url.path()) {
            return Ok(());
        }
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let (Some(client_id), Some(api_key)) = (header(CLIENT_ID_HEADER), header(API_KEY_HEADER))
        else {
            return Err(rejection(
                401,
                CODE_UNAUTHENTICATED,
                "Client-Id and Api-Key headers are required",
            ));
        };
        let positive =
            client_id.bytes().all(|b| b.is_ascii_digit()) && client_id.bytes().any(|b| b != b'0');
        if !positive {
            return Err(rejection(
                400,
                3,
                "Client-Id header value should be positive integer",
            ));
        }
        let secret = |key: &str| match platform_secrets.get(key) {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let matches = |sent: &str, key: &str| {
            secret(key).is_none_or(|want| connector_kit::sign::signatures_match(sent, &want))
        };
        if matches(client_id, "client_id") && matches(api_key, "api_key") {
            Ok(())
        } else {
            Err(rejection(404, 5, INVALID_KEY_MESSAGE))
        }
    }

    /// Buyer data under names the recorder does not know: the street line, the e-mail, the
    /// delivery comment and the coordinates of `customer.address`.
    fn scrub_keys(&self) -> &'static [&'static str] {
        &[
            "address_tail",
            "customer_email",
            "comment",
            "latitude",
            "longitude",
        ]
    }
}

/// Seller API methods are versioned paths (`/v4/posting/fbs/list`).
fn is_api_path(path: &str) -> bool {
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    parts.next().is_some_and(|v| {
        v.len() > 1 && v.starts_with('v') && v[1..].bytes().all(|b| b.is_ascii_digit())
    })
}

/// Ozon's `rpcStatus` refusal.
fn rejection(status: u16, code: i64, message: &str) -> MockRejection {
    MockRejection {
        status,
        body: serde_json::json!({ "code": code, "message": message, "details": [] }),
    }
}

/// One Ozon seller account (one Client-Id).
pub struct OzonConnector {
    store: StoreRef,
    http: HttpClient,
    auth: ApiKeyAuth,
    capabilities: Capabilities,
}

impl fmt::Debug for OzonConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OzonConnector")
            .field("store", &self.store)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl OzonConnector {
    pub fn new(
        store: StoreRef,
        config: Config,
        options: &ConnectorOptions,
    ) -> Result<Self, MarketplaceError> {
        let limits = RateLimits::new()
            .with(API_CLASS, API_RATE.per_second, API_RATE.burst)
            .with(
                labels::DOWNLOAD_CLASS,
                DOWNLOAD_RATE.per_second,
                DOWNLOAD_RATE.burst,
            );
        let http = HttpClient::new(Platform::Ozon, options, limits, Arc::new(OzonClassifier))?;
        Ok(OzonConnector {
            store,
            http,
            auth: ApiKeyAuth::new(config.client_id, config.api_key),
            capabilities: capabilities(),
        })
    }

    pub fn store(&self) -> StoreRef {
        self.store
    }

    pub(crate) fn http(&self) -> &HttpClient {
        &self.http
    }

    pub(crate) fn auth(&self) -> &dyn Authorizer {
        &self.auth
    }

    /// One Seller API call: `POST {API_BASE}{path}` with a JSON body and both headers.
    pub(crate) async fn post(
        &self,
        op: Operation,
        path: &str,
        body: &impl Serialize,
    ) -> Result<RawResponse, MarketplaceError> {
        self.post_classified(op, path, body, &OzonClassifier).await
    }

    /// A Seller API call whose answer needs more than `parse_error` (a task still running).
    pub(crate) async fn post_classified(
        &self,
        op: Operation,
        path: &str,
        body: &impl Serialize,
        classifier: &dyn ResponseClassifier,
    ) -> Result<RawResponse, MarketplaceError> {
        let url = self.http.url(&format!("{API_BASE}{path}"))?;
        let request = ApiRequest::post(op, API_CLASS, url).json(body)?;
        self.http
            .send_classified(request, Some(&self.auth), classifier)
            .await
    }
}

/// What the connector declares.
pub fn capabilities() -> Capabilities {
    Capabilities {
        max_window: Some(orders::MAX_WINDOW),
        page_size: orders::PAGE_SIZE,
        // `filter.since`/`to` select by the start of processing, not by change.
        filters_by_update_time: false,
        window_end_lag: Duration::ZERO,
        order_list_quota: Some(API_RATE),
        platform_labels: true,
        tracking: TrackingMode::ArrangeShipment,
        api_version: "seller-api/v4/posting/fbs/list".to_owned(),
    }
}

#[async_trait]
impl Marketplace for OzonConnector {
    fn platform(&self) -> Platform {
        Platform::Ozon
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn pull_orders(
        &self,
        window: Window,
        cursor: Option<&Cursor>,
    ) -> Result<OrderPage, MarketplaceError> {
        let span = tracing::info_span!("ozon_pull", store = %self.store.id);
        orders::pull_orders(self, window, cursor)
            .instrument(span)
            .await
            .map_err(|e| {
                e.with_platform(Platform::Ozon)
                    .with_operation(Operation::PullOrders)
            })
    }

    async fn fetch_label(
        &self,
        order: &PlatformOrder,
        spec: &LabelSpec,
    ) -> Result<Label, MarketplaceError> {
        labels::fetch_label(self, order, spec).await.map_err(|e| {
            e.with_platform(Platform::Ozon)
                .with_operation(Operation::FetchLabel)
        })
    }

    async fn upload_tracking(&self, shipment: &Shipment) -> Result<TrackingAck, MarketplaceError> {
        tracking::upload_tracking(self, shipment)
            .await
            .map_err(|e| {
                e.with_platform(Platform::Ozon)
                    .with_operation(Operation::UploadTracking)
            })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bytes::Bytes;
    use connector_testkit::conformance::{pull_all, Target};
    use core_model::ErrorKind;
    use http::{HeaderMap, HeaderValue, Method};
    use serde_json::json;
    use url::Url;

    fn wire(path: &str, client_id: Option<&'static str>, key: Option<&'static str>) -> WireRequest {
        let mut headers = HeaderMap::new();
        if let Some(v) = client_id {
            headers.insert(CLIENT_ID_HEADER, HeaderValue::from_static(v));
        }
        if let Some(v) = key {
            headers.insert(API_KEY_HEADER, HeaderValue::from_static(v));
        }
        WireRequest {
            method: Method::POST,
            url: Url::parse(&format!("http://127.0.0.1:1{path}")).unwrap(),
            headers,
            body: Bytes::new(),
        }
    }

    #[test]
    fn mock_checks_both_headers() {
        let f = OzonFactory;
        let secrets = json!({"client_id": "1943288", "api_key": "right-key"});
        let list = "/v4/posting/fbs/list";
        assert!(f
            .check_request(&secrets, &wire(list, Some("1943288"), Some("right-key")))
            .is_ok());
        let numeric = json!({"client_id": 1943288, "api_key": "right-key"});
        assert!(f
            .check_request(&numeric, &wire(list, Some("1943288"), Some("right-key")))
            .is_ok());
        for bad in [
            wire(list, Some("1943288"), Some("wrong-key")),
            wire(list, Some("1943289"), Some("right-key")),
        ] {
            let r = f.check_request(&secrets, &bad).unwrap_err();
            assert_eq!(r.status, 404);
            assert_eq!(
                r.body,
                json!({"code": 5, "message": INVALID_KEY_MESSAGE, "details": []})
            );
        }
        for missing in [
            wire(list, None, Some("right-key")),
            wire(list, Some("1943288"), None),
        ] {
            let r = f.check_request(&secrets, &missing).unwrap_err();
            assert_eq!((r.status, r.body["code"].as_i64()), (401, Some(16)));
        }
        let r = f
            .check_request(&secrets, &wire(list, Some("seller"), Some("right-key")))
            .unwrap_err();
        assert_eq!((r.status, r.body["code"].as_i64()), (400, Some(3)));
        // A CDN label file carries no Seller API credentials.
        assert!(f
            .check_request(&secrets, &wire("/s3/sc-temporary/e6/0c/a.pdf", None, None))
            .is_ok());
    }

    #[test]
    fn api_paths() {
        assert!(is_api_path("/v4/posting/fbs/list"));
        assert!(is_api_path("/v1/posting/fbs/package-label/get"));
        assert!(!is_api_path("/s3/sc-temporary/x.pdf"));
        assert!(!is_api_path("/v/x"));
        assert!(!is_api_path("/"));
    }

    #[test]
    fn declares_ozon_capabilities() {
        let c = capabilities();
        assert_eq!(c.max_window, Some(Duration::from_secs(365 * 86_400)));
        assert_eq!(c.page_size, 100);
        assert!(!c.filters_by_update_time);
        assert!(c.platform_labels);
        assert_eq!(c.tracking, TrackingMode::ArrangeShipment);
        assert_eq!(c.order_list_quota, Some(API_RATE));
    }

    fn window(loaded: &connector_testkit::LoadedScenario) -> Window {
        let w = loaded.expect.window.unwrap();
        Window::new(w.from, w.to).unwrap()
    }

    /// A refused key is never re-sent and no token endpoint exists: one request, `Unauthorized`
    /// with Ozon's own text.
    #[tokio::test]
    async fn a_refused_key_fails_at_once() {
        let target = Target::new(Arc::new(OzonFactory));
        let (server, loaded) = target.serve("rejected-credentials").await;
        let c = target.connector(&server, &loaded);
        let err = pull_all(c.as_ref(), window(&loaded), None)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthorized);
        assert_eq!(err.message(), INVALID_KEY_MESSAGE);
        assert_eq!(server.received_requests().await.unwrap().len(), 1);
        let key = loaded.credentials["api_key"].as_str().unwrap();
        assert!(!format!("{c:?}").contains(key), "{c:?}");
    }

    /// The second upload meets `POSTING_ALREADY_SHIPPED` and reports it.
    #[tokio::test]
    async fn the_second_upload_is_already_confirmed() {
        let target = Target::new(Arc::new(OzonFactory));
        let (server, loaded) = target.serve("tracking").await;
        let c = target.connector(&server, &loaded);
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
    }

    /// The label carries the posting's carrier; other formats are refused before any call.
    #[tokio::test]
    async fn label_details_and_formats() {
        let target = Target::new(Arc::new(OzonFactory));
        let (server, loaded) = target.serve("label").await;
        let c = target.connector(&server, &loaded);
        let pulled = pull_all(c.as_ref(), window(&loaded), None).await.unwrap();
        let order = &pulled.orders[0];
        let zpl = LabelSpec {
            format: Some(core_model::LabelFormat::Zpl),
            ..LabelSpec::default()
        };
        let e = c.fetch_label(order, &zpl).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        let label = c.fetch_label(order, &LabelSpec::default()).await.unwrap();
        assert_eq!(label.carrier.as_deref(), Some("Доставка Ozon"));
    }
}
