//! Rakuten Ichiba connector: the RMS WEB SERVICE RakutenPay Order API (楽天ペイ受注API,
//! `POST https://api.rms.rakuten.co.jp/es/2.0/order/{function}/`, JSON). Orders by order date
//! (`searchOrder`, then `getOrder` version 10), tracking through `confirmOrder` and
//! `updateOrderShipping`; no platform labels. One connector serves one shop, authenticated by
//! the static ESA header ([`auth`]). See README.md for credentials and quirks.

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
use chrono::{DateTime, FixedOffset, Utc};
use connector_kit::sign::signatures_match;
use connector_kit::{
    ApiRequest, Body, ConfigError, ConnectorFactory, ConnectorOptions, CredentialKey, HttpClient,
    MockRejection, RateLimits, RawResponse, ResponseClassifier, WireRequest,
};
use core_model::{
    Capabilities, Cursor, Label, LabelSpec, Marketplace, MarketplaceError, Operation, OrderPage,
    Platform, PlatformOrder, RateSpec, Shipment, StoreRef, TrackingAck, TrackingMode, Window,
};
use serde::Serialize;
use tracing::Instrument;

use crate::auth::{esa_header, EsaAuth};
use crate::config::Config;
use crate::error::RakutenClassifier;
use crate::orders::ORDER_CLASS;

/// Japan Standard Time: every RMS date and time is JST (`+0900`).
pub const JST: FixedOffset = match FixedOffset::east_opt(9 * 3600) {
    Some(offset) => offset,
    None => panic!("+09:00 is a valid offset"),
};

/// The one host of every RMS WEB SERVICE JSON API.
pub const API_HOST: &str = "https://api.rms.rakuten.co.jp";

/// What the API version is: the `es/2.0` order API with getOrder's response model 10.
pub const API_VERSION: &str = "es/2.0/order (getOrder version 10)";

/// RMS asks for at most one request a second per shop (the scope, shop or licence, is not
/// published; public clients pace 1-2 s apart). One class: every order call shares it.
pub const ORDER_RATE: RateSpec = RateSpec {
    per_second: 1.0,
    burst: 1,
};

/// The body `content-type` the RMS pages list (`Body::Json` would send no charset).
const JSON_UTF8: &str = "application/json; charset=utf-8";

/// Builds [`RakutenConnector`]s; registered once in the daemon.
#[derive(Debug, Default, Clone, Copy)]
pub struct RakutenFactory;

impl ConnectorFactory for RakutenFactory {
    fn platform(&self) -> Platform {
        Platform::Rakuten
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
        let connector = RakutenConnector::new(store, config, &options)
            .map_err(|e| ConfigError::new("(connector)", e.message().to_owned()))?;
        Ok(Arc::new(connector))
    }

    /// What the ESA gateway checks on every call: `Authorization` is `ESA ` + Base64 of
    /// `platform_secrets.service_secret:license_key`; otherwise HTTP 401
    /// `{"Results":{"errorCode":"ES01-01","message":"Un-Authorised"}}`.
    fn check_request(
        &self,
        platform_secrets: &serde_json::Value,
        request: &WireRequest,
    ) -> Result<(), MockRejection> {
        let secret = |k: &str| platform_secrets.get(k).and_then(|v| v.as_str());
        let sent = request
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let ok = match (sent, secret("service_secret"), secret("license_key")) {
            (Some(sent), Some(s), Some(k)) => signatures_match(sent, &esa_header(s, k)),
            (Some(sent), _, _) => sent.starts_with("ESA "),
            (None, _, _) => false,
        };
        if ok {
            Ok(())
        } else {
            Err(MockRejection {
                status: 401,
                body: serde_json::json!({
                    "Results": {"errorCode": error::UNAUTHORISED, "message": "Un-Authorised"}
                }),
            })
        }
    }

    /// RMS's personal fields under names the recorder does not know (`firstName`, `email`,
    /// `phone`, `name` it does).
    fn scrub_keys(&self) -> &'static [&'static str] {
        &[
            "familyName",
            "familyNameKana",
            "firstNameKana",
            "subAddress",
            "phoneNumber1",
            "phoneNumber2",
            "phoneNumber3",
            "emailAddress",
            "receiverEmailAddress",
            "ordererMailAddress",
            "birthYear",
            "birthMonth",
            "birthDay",
            "cardOwner",
            "cardNumber",
            "remarks",
            "noshi",
        ]
    }
}

/// One Rakuten Ichiba shop.
pub struct RakutenConnector {
    store: StoreRef,
    http: HttpClient,
    auth: EsaAuth,
    license_key_expires_at: Option<DateTime<Utc>>,
    capabilities: Capabilities,
}

impl fmt::Debug for RakutenConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RakutenConnector")
            .field("store", &self.store)
            .field("api_version", &API_VERSION)
            .field("license_key_expires_at", &self.license_key_expires_at)
            .finish_non_exhaustive()
    }
}

impl RakutenConnector {
    pub fn new(
        store: StoreRef,
        config: Config,
        options: &ConnectorOptions,
    ) -> Result<Self, MarketplaceError> {
        let limits = RateLimits::new().with(ORDER_CLASS, ORDER_RATE.per_second, ORDER_RATE.burst);
        let http = HttpClient::new(
            Platform::Rakuten,
            options,
            limits,
            Arc::new(RakutenClassifier),
        )?;
        Ok(RakutenConnector {
            store,
            auth: EsaAuth::new(&config.service_secret, &config.license_key),
            license_key_expires_at: config.license_key_expires_at,
            http,
            capabilities: capabilities(),
        })
    }

    pub fn store(&self) -> StoreRef {
        self.store
    }

    /// POST a JSON body to an order API function, classified by `parse_error`.
    pub(crate) async fn post(
        &self,
        operation: Operation,
        path: &str,
        body: &impl Serialize,
    ) -> Result<RawResponse, MarketplaceError> {
        self.post_with(operation, path, body, &RakutenClassifier)
            .await
    }

    /// POST with another classifier (per-order answers).
    pub(crate) async fn post_with(
        &self,
        operation: Operation,
        path: &str,
        body: &impl Serialize,
        classifier: &dyn ResponseClassifier,
    ) -> Result<RawResponse, MarketplaceError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| MarketplaceError::permanent(format!("cannot encode request body: {e}")))?;
        let mut request = ApiRequest::post(
            operation,
            ORDER_CLASS,
            self.http.url(&format!("{API_HOST}{path}"))?,
        );
        request.body = Body::Raw {
            content_type: JSON_UTF8.to_owned(),
            bytes: Bytes::from(bytes),
        };
        self.http
            .send_classified(request, Some(&self.auth), classifier)
            .await
    }

    /// Tell the operator when the licence key is about to expire or has expired.
    fn warn_on_expiry(&self) {
        if let Some(warning) = self
            .license_key_expires_at
            .and_then(|at| auth::expiry_warning(at, Utc::now()))
        {
            tracing::warn!(platform = "rakuten", store = %self.store.id, "{warning}");
        }
    }
}

/// What the connector declares (quota: see [`ORDER_RATE`]).
pub fn capabilities() -> Capabilities {
    Capabilities {
        max_window: Some(orders::MAX_WINDOW),
        page_size: orders::PAGE_SIZE,
        // searchOrder has no update-time search (dateType 1-6 name other dates).
        filters_by_update_time: false,
        window_end_lag: Duration::ZERO,
        order_list_quota: Some(ORDER_RATE),
        platform_labels: false,
        tracking: TrackingMode::ConfirmShipment,
        api_version: API_VERSION.to_owned(),
    }
}

#[async_trait]
impl Marketplace for RakutenConnector {
    fn platform(&self) -> Platform {
        Platform::Rakuten
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn pull_orders(
        &self,
        window: Window,
        cursor: Option<&Cursor>,
    ) -> Result<OrderPage, MarketplaceError> {
        if cursor.is_none() {
            self.warn_on_expiry();
        }
        let span = tracing::info_span!("rakuten_pull", store = %self.store.id);
        orders::pull_orders(self, window, cursor)
            .instrument(span)
            .await
            .map_err(|e| {
                e.with_platform(Platform::Rakuten)
                    .with_operation(Operation::PullOrders)
            })
    }

    async fn fetch_label(
        &self,
        order: &PlatformOrder,
        spec: &LabelSpec,
    ) -> Result<Label, MarketplaceError> {
        labels::fetch_label(order, spec).map_err(|e| e.with_platform(Platform::Rakuten))
    }

    async fn upload_tracking(&self, shipment: &Shipment) -> Result<TrackingAck, MarketplaceError> {
        self.warn_on_expiry();
        let span = tracing::info_span!("rakuten_tracking", store = %self.store.id);
        tracking::upload_tracking(self, shipment)
            .instrument(span)
            .await
            .map_err(|e| {
                e.with_platform(Platform::Rakuten)
                    .with_operation(Operation::UploadTracking)
            })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use connector_testkit::conformance::{pull_all, Target};
    use core_model::ErrorKind;
    use http::{HeaderMap, HeaderValue, Method};
    use serde_json::json;
    use url::Url;

    fn wire(auth: Option<&str>) -> WireRequest {
        let mut headers = HeaderMap::new();
        if let Some(a) = auth {
            headers.insert(
                http::header::AUTHORIZATION,
                HeaderValue::from_str(a).unwrap(),
            );
        }
        WireRequest {
            method: Method::POST,
            url: Url::parse("http://127.0.0.1:1/es/2.0/order/searchOrder/").unwrap(),
            headers,
            body: Bytes::new(),
        }
    }

    #[test]
    fn mock_recomputes_the_esa_header() {
        let secrets = json!({
            "service_secret": "SPexampleServiceSecret0001",
            "license_key": "SLexampleLicenseKey0001"
        });
        let f = RakutenFactory;
        let right = "ESA U1BleGFtcGxlU2VydmljZVNlY3JldDAwMDE6U0xleGFtcGxlTGljZW5zZUtleTAwMDE=";
        assert!(f.check_request(&secrets, &wire(Some(right))).is_ok());
        let wrong = esa_header("SPexampleServiceSecret0001", "SLexpiredLicenseKey0000");
        for bad in [wire(Some(&wrong)), wire(Some("Bearer x")), wire(None)] {
            let r = f.check_request(&secrets, &bad).unwrap_err();
            assert_eq!(r.status, 401);
            assert_eq!(
                r.body,
                json!({"Results": {"errorCode": "ES01-01", "message": "Un-Authorised"}})
            );
        }
    }

    #[test]
    fn declares_rakuten_capabilities() {
        let c = capabilities();
        assert_eq!(c.max_window, Some(Duration::from_secs(63 * 86_400)));
        assert_eq!(c.page_size, 100);
        assert!(!c.filters_by_update_time);
        assert!(!c.platform_labels);
        assert_eq!(c.tracking, TrackingMode::ConfirmShipment);
        assert_eq!(c.order_list_quota, Some(ORDER_RATE));
        assert!(c.api_version.contains("version 10"));
    }

    fn window(loaded: &connector_testkit::LoadedScenario) -> Window {
        let w = loaded.expect.window.unwrap();
        Window::new(w.from, w.to).unwrap()
    }

    /// Static credentials: the refusal is Unauthorized at once, says the licence key must be
    /// renewed, and is sent once.
    #[tokio::test]
    async fn a_refused_licence_key_asks_for_renewal_without_a_resend() {
        let target = Target::new(Arc::new(RakutenFactory));
        let (server, loaded) = target.serve("rejected-credentials").await;
        let err = pull_all(
            target.connector(&server, &loaded).as_ref(),
            window(&loaded),
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthorized);
        assert_eq!(err.code(), Some("ES01-01"));
        assert!(err.message().contains("new licenseKey"), "{err}");
        assert_eq!(server.received_requests().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn the_second_upload_updates_the_registered_row() {
        let target = Target::new(Arc::new(RakutenFactory));
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
        let sent = server.received_requests().await.unwrap();
        let content_types: Vec<_> = sent
            .iter()
            .filter_map(|r| {
                r.headers
                    .get("content-type")?
                    .to_str()
                    .ok()
                    .map(str::to_owned)
            })
            .collect();
        assert!(
            content_types.iter().all(|ct| ct == JSON_UTF8),
            "{content_types:?}"
        );
    }

    #[tokio::test]
    async fn labels_are_unsupported() {
        let target = Target::new(Arc::new(RakutenFactory));
        let (server, loaded) = target.serve("long-window").await;
        let c = target.connector(&server, &loaded);
        let pulled = pull_all(c.as_ref(), window(&loaded), None).await.unwrap();
        let e = c
            .fetch_label(&pulled.orders[0], &LabelSpec::default())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert!(e.message().contains("no shipping-label"));
    }
}
