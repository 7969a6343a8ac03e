//! Coupang connector: the Wing Open API v4 (`https://api-gateway.coupang.com`) for
//! seller-delivered orders in Korea. Orders come from the PO list by day, one call per status;
//! tracking goes back as a waybill upload after acknowledging the PO sheet. Every request is
//! signed with the seller's OPEN API key (CEA HMAC-SHA256, no tokens). There is no label API.
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
use connector_kit::{
    ApiRequest, Body, ConfigError, ConnectorFactory, ConnectorOptions, CredentialKey, HttpClient,
    MockRejection, RateLimits, RawResponse, WireRequest,
};
use core_model::{
    Capabilities, Cursor, Label, LabelSpec, Marketplace, MarketplaceError, Operation, OrderPage,
    Platform, PlatformOrder, RateSpec, Shipment, StoreRef, TrackingAck, TrackingMode, Window,
};
use http::header::CONTENT_TYPE;
use http::{HeaderName, Method};
use serde::Serialize;
use tracing::Instrument;
use url::Url;

use crate::auth::CeaSigner;
use crate::config::Config;
use crate::error::CoupangClassifier;

/// Every Wing Open API lives behind this gateway; there is no sandbox.
pub const BASE_URL: &str = "https://api-gateway.coupang.com";
/// The seller-scoped v4 API root; `{vendorId}` follows.
pub const VENDOR_API: &str = "/v2/providers/openapi/apis/api/v4/vendors/";
pub const API_VERSION: &str = "wing-openapi/v4";

/// Coupang limits each vendorId across all its APIs at once, so there is one class.
pub const WING_CLASS: &str = "wing";

/// Since 2023-07-10 a vendorId making more than 10 calls a second is throttled (HTTP 429), on
/// every API together, and Coupang advises staying well below. Five a second with a burst of
/// five never puts more than ten calls in any one second.
/// <https://developers.coupangcorp.com/hc/en-us/articles/20414599556889-Introduction-of-Open-API-rate-limit-policy>
pub const WING_RATE: RateSpec = RateSpec {
    per_second: 5.0,
    burst: 5,
};

/// The content type of Coupang's samples, on every call.
pub const CONTENT_TYPE_JSON: &str = "application/json;charset=UTF-8";
/// The vendorId, sent on every call as in the Wing FAQ's Java sample.
pub const X_REQUESTED_BY: HeaderName = HeaderName::from_static("x-requested-by");
/// How long the gateway waits for the API behind it, in ms (default 3 s, at most 90 s).
pub const X_EXTENDED_TIMEOUT: HeaderName = HeaderName::from_static("x-extended-timeout");
/// The longest `X-EXTENDED-TIMEOUT` Coupang's samples use.
pub const MAX_EXTENDED_TIMEOUT_MS: u64 = 90_000;

/// Builds [`CoupangConnector`]s; registered once in the daemon.
#[derive(Debug, Default, Clone, Copy)]
pub struct CoupangFactory;

impl ConnectorFactory for CoupangFactory {
    fn platform(&self) -> Platform {
        Platform::Coupang
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
        let connector = CoupangConnector::new(store, config, &options)
            .map_err(|e| ConfigError::new("(connector)", e.message().to_owned()))?;
        Ok(Arc::new(connector))
    }

    /// What the gateway checks on every call: the CEA signature recomputed from
    /// `platform_secrets.secret_key` (and the access key against `platform_secrets.access_key`),
    /// with a recent `signed-date`; failures get the gateway's 401 bodies.
    fn check_request(
        &self,
        platform_secrets: &serde_json::Value,
        request: &WireRequest,
    ) -> Result<(), MockRejection> {
        auth::verify(platform_secrets, request, chrono::Utc::now())
    }

    /// Personal fields of the PO sheet under names the recorder does not know.
    fn scrub_keys(&self) -> &'static [&'static str] {
        &[
            "addr1",
            "addr2",
            "safeNumber",
            "receiverNumber",
            "ordererNumber",
            "ordererSsn",
            "orderersSsn",
            "ordererPhoneNumber",
            "personalCustomsClearanceCode",
        ]
    }
}

/// One Coupang seller (vendorId).
pub struct CoupangConnector {
    store: StoreRef,
    vendor_id: String,
    http: HttpClient,
    signer: CeaSigner,
    /// `X-EXTENDED-TIMEOUT` for the PO list: our own per-attempt timeout, capped.
    extended_timeout_ms: Option<u64>,
    capabilities: Capabilities,
}

impl fmt::Debug for CoupangConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CoupangConnector")
            .field("store", &self.store)
            .field("vendor_id", &self.vendor_id)
            .field("api_version", &API_VERSION)
            .finish_non_exhaustive()
    }
}

impl CoupangConnector {
    pub fn new(
        store: StoreRef,
        config: Config,
        options: &ConnectorOptions,
    ) -> Result<Self, MarketplaceError> {
        let limits = RateLimits::new().with(WING_CLASS, WING_RATE.per_second, WING_RATE.burst);
        let http = HttpClient::new(
            Platform::Coupang,
            options,
            limits,
            Arc::new(CoupangClassifier),
        )?;
        Ok(CoupangConnector {
            store,
            vendor_id: config.vendor_id,
            http,
            signer: CeaSigner::new(config.access_key, config.secret_key),
            extended_timeout_ms: extended_timeout_ms(options.timeout),
            capabilities: capabilities(),
        })
    }

    pub fn store(&self) -> StoreRef {
        self.store
    }

    pub fn vendor_id(&self) -> &str {
        &self.vendor_id
    }

    /// `https://api-gateway.coupang.com/v2/providers/openapi/apis/api/v4/vendors/{vendorId}{suffix}`,
    /// with the base-URL override applied.
    pub fn vendor_url(&self, suffix: &str) -> Result<Url, MarketplaceError> {
        self.http
            .url(&format!("{BASE_URL}{VENDOR_API}{}{suffix}", self.vendor_id))
    }

    /// The gateway timeout to ask for on slow calls (the PO list), if any.
    pub(crate) fn extended_timeout_ms(&self) -> Option<u64> {
        self.extended_timeout_ms
    }

    /// A GET with the headers of Coupang's samples.
    pub(crate) fn get(&self, operation: Operation, url: Url) -> ApiRequest {
        ApiRequest::get(operation, WING_CLASS, url)
            .header(CONTENT_TYPE, CONTENT_TYPE_JSON)
            .header(X_REQUESTED_BY, self.vendor_id.as_str())
    }

    /// A request with a JSON body sent as `application/json;charset=UTF-8`.
    pub(crate) fn json(
        &self,
        operation: Operation,
        method: Method,
        url: Url,
        body: &impl Serialize,
    ) -> Result<ApiRequest, MarketplaceError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| MarketplaceError::permanent(format!("cannot encode request body: {e}")))?;
        let mut request = ApiRequest::new(operation, WING_CLASS, method, url)
            .header(X_REQUESTED_BY, self.vendor_id.as_str());
        request.body = Body::Raw {
            content_type: CONTENT_TYPE_JSON.to_owned(),
            bytes: bytes.into(),
        };
        Ok(request)
    }

    /// Sends one signed call through the kit.
    pub(crate) async fn send(&self, request: ApiRequest) -> Result<RawResponse, MarketplaceError> {
        self.http.send(request, Some(&self.signer)).await
    }
}

/// `X-EXTENDED-TIMEOUT` matching the kit's per-attempt timeout, so the gateway does not give
/// up after its 3-second default on a large PO list while we still wait (Wing FAQ on 504 and
/// timeouts); at most 90 s, none when we wait forever.
pub fn extended_timeout_ms(timeout: Option<Duration>) -> Option<u64> {
    timeout.map(|t| {
        u64::try_from(t.as_millis())
            .unwrap_or(MAX_EXTENDED_TIMEOUT_MS)
            .min(MAX_EXTENDED_TIMEOUT_MS)
    })
}

/// What the connector declares.
pub fn capabilities() -> Capabilities {
    Capabilities {
        // 31 KST calendar days per call; windows are widened to whole KST days and split.
        max_window: Some(orders::MAX_WINDOW),
        page_size: orders::PAGE_SIZE,
        // The PO list filters by creation date only.
        filters_by_update_time: false,
        window_end_lag: Duration::ZERO,
        order_list_quota: Some(WING_RATE),
        platform_labels: false,
        tracking: TrackingMode::ConfirmShipment,
        api_version: API_VERSION.to_owned(),
    }
}

#[async_trait]
impl Marketplace for CoupangConnector {
    fn platform(&self) -> Platform {
        Platform::Coupang
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn pull_orders(
        &self,
        window: Window,
        cursor: Option<&Cursor>,
    ) -> Result<OrderPage, MarketplaceError> {
        let span = tracing::info_span!("coupang_pull", store = %self.store.id);
        orders::pull_orders(self, window, cursor)
            .instrument(span)
            .await
            .map_err(|e| {
                e.with_platform(Platform::Coupang)
                    .with_operation(Operation::PullOrders)
            })
    }

    async fn fetch_label(
        &self,
        order: &PlatformOrder,
        spec: &LabelSpec,
    ) -> Result<Label, MarketplaceError> {
        labels::fetch_label(order, spec).map_err(|e| e.with_platform(Platform::Coupang))
    }

    async fn upload_tracking(&self, shipment: &Shipment) -> Result<TrackingAck, MarketplaceError> {
        let span = tracing::info_span!("coupang_tracking", store = %self.store.id);
        tracking::upload_tracking(self, shipment)
            .instrument(span)
            .await
            .map_err(|e| {
                e.with_platform(Platform::Coupang)
                    .with_operation(Operation::UploadTracking)
            })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use connector_testkit::conformance::{pull_all, Target};
    use connector_testkit::LoadedScenario;
    use core_model::{ErrorKind, StoreId};

    #[test]
    fn declares_coupang_capabilities() {
        let c = capabilities();
        assert_eq!(c.max_window, Some(Duration::from_secs(31 * 86_400)));
        assert_eq!(c.page_size, 50);
        assert!(!c.filters_by_update_time);
        assert!(!c.platform_labels);
        assert_eq!(c.tracking, TrackingMode::ConfirmShipment);
        assert_eq!(c.order_list_quota, Some(WING_RATE));
        assert_eq!(c.api_version, "wing-openapi/v4");
    }

    #[test]
    fn the_gateway_waits_as_long_as_we_do_up_to_90_seconds() {
        assert_eq!(
            extended_timeout_ms(Some(Duration::from_secs(10))),
            Some(10_000)
        );
        assert_eq!(
            extended_timeout_ms(Some(Duration::from_secs(600))),
            Some(90_000)
        );
        assert_eq!(extended_timeout_ms(None), None);
    }

    #[test]
    fn urls_keep_the_override_prefix() {
        let options = ConnectorOptions {
            base_url: Some(Url::parse("http://127.0.0.1:9/proxy/").unwrap()),
            ..ConnectorOptions::default()
        };
        let config = Config::parse(&serde_json::json!({
            "vendor_id": "A00012345", "access_key": "ak-visible", "secret_key": "sk-hidden"
        }))
        .unwrap();
        let store = StoreRef {
            id: StoreId(1),
            platform: Platform::Coupang,
        };
        let c = CoupangConnector::new(store, config, &options).unwrap();
        assert_eq!(
            c.vendor_url("/ordersheets").unwrap().as_str(),
            "http://127.0.0.1:9/proxy/v2/providers/openapi/apis/api/v4/vendors/A00012345/ordersheets"
        );
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("sk-hidden") && !shown.contains("ak-visible"),
            "{shown}"
        );
    }

    fn target() -> Target {
        Target::new(Arc::new(CoupangFactory))
    }

    fn window(loaded: &LoadedScenario) -> Window {
        let w = loaded.expect.window.unwrap();
        Window::new(w.from, w.to).unwrap()
    }

    #[tokio::test]
    async fn the_second_upload_reads_the_waybill_already_on_the_box() {
        let t = target();
        let (server, loaded) = t.serve("tracking").await;
        let c = t.connector(&server, &loaded);
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
    async fn a_retried_invoice_post_refused_as_invalid_status_is_a_repeat() {
        let t = target();
        let (server, loaded) = t.serve("tracking-retried").await;
        let c = t.connector(&server, &loaded);
        let shipment = loaded.expect.tracking.clone().unwrap();
        assert!(
            c.upload_tracking(&shipment)
                .await
                .unwrap()
                .already_confirmed
        );
        server.verify().await;
    }

    #[tokio::test]
    async fn another_waybill_on_a_shipped_box_is_refused() {
        let t = target();
        let (server, loaded) = t.serve("tracking").await;
        let c = t.connector(&server, &loaded);
        let mut shipment = loaded.expect.tracking.clone().unwrap();
        c.upload_tracking(&shipment).await.unwrap();
        shipment.tracking_number = "650099999999".to_owned();
        let e = c.upload_tracking(&shipment).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Permanent);
        assert_eq!(e.code(), Some("ALREADY_SHIPPED"));
        assert_eq!(e.operation(), Some(Operation::UploadTracking));
    }

    #[tokio::test]
    async fn labels_are_unsupported() {
        let t = target();
        let (server, loaded) = t.serve("multi-page").await;
        let c = t.connector(&server, &loaded);
        let pulled = pull_all(c.as_ref(), window(&loaded), None).await.unwrap();
        let e = c
            .fetch_label(&pulled.orders[0], &LabelSpec::default())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert_eq!(e.platform(), Some(Platform::Coupang));
        assert!(e.message().contains("no shipping-label endpoint"));
    }

    #[tokio::test]
    async fn a_wrong_secret_key_gets_the_gateways_invalid_signature() {
        let t = target();
        let (server, loaded) = t.serve("rejected-credentials").await;
        let c = t.connector(&server, &loaded);
        let e = pull_all(c.as_ref(), window(&loaded), None)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
        assert_eq!(e.message(), error::INVALID_SIGNATURE);
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            1,
            "no re-send"
        );
    }

    #[tokio::test]
    async fn an_expired_key_fails_the_pull_without_a_resend() {
        let t = target();
        let (server, loaded) = t.serve("token-expired").await;
        let c = t.connector(&server, &loaded);
        let e = pull_all(c.as_ref(), window(&loaded), None)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
        assert_eq!(e.message(), error::UNKNOWN_KEY);
        assert_eq!(e.request_id(), Some("c3a1e07d-5b0f-4e0a-9d1c-7a4b2e6f9c10"));
        assert_eq!(server.received_requests().await.unwrap().len(), 2);
    }
}
