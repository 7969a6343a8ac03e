//! The Walmart Marketplace (US) connector: seller-fulfilled purchase orders pulled with Order
//! Management v3 `getAllOrders` by modification time, labels bought through Ship With Walmart,
//! and shipments confirmed with acknowledge + ship order lines. Auth is the Token API's
//! client-credentials grant; the token travels in `WM_SEC.ACCESS_TOKEN` with the `WM_*`
//! headers on every call. See README.md for credentials and quirks.

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
use core_model::marketplace::RateSpec;
use core_model::{
    Capabilities, Cursor, Label, LabelSpec, Marketplace, MarketplaceError, OrderPage, Platform,
    PlatformOrder, Shipment, StoreRef, TrackingAck, TrackingMode, Window,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use tracing::Instrument;
use url::Url;

use crate::auth::{ClientCredentials, WalmartAuth, WmHeaders, TOKEN_PATH};
use crate::config::{Credentials, Environment, CREDENTIAL_KEYS};
use crate::error::WalmartClassifier;

/// Endpoint classes. Walmart sets limits per API and seller and refills them gradually (a
/// token bucket: "if 20 calls are available every hour, 1 call will be available every 3
/// minutes"); the per-API numbers below come from the rate-limit table third-party clients
/// copied (shared/marketplaces/walmart.md section 7), as Walmart's own table is not public.
pub const ORDERS_LIST_CLASS: &str = "orders.list";
pub const ORDER_GET_CLASS: &str = "orders.get";
pub const ACKNOWLEDGE_CLASS: &str = "orders.acknowledge";
pub const SHIP_CLASS: &str = "orders.shipping";
pub const LABELS_CLASS: &str = "labels";

/// `GET /v3/orders` (and released): 5,000 calls a minute.
const ORDERS_QUOTA: RateSpec = RateSpec {
    per_second: 5000.0 / 60.0,
    burst: 5000,
};

fn rate_limits() -> RateLimits {
    RateLimits::new()
        .with(
            ORDERS_LIST_CLASS,
            ORDERS_QUOTA.per_second,
            ORDERS_QUOTA.burst,
        )
        // getAnOrder has no number of its own in that table; it is an order read like the list.
        .with(ORDER_GET_CLASS, ORDERS_QUOTA.per_second, ORDERS_QUOTA.burst)
        // acknowledge and ship order lines: 60 a minute each.
        .with(ACKNOWLEDGE_CLASS, 1.0, 60)
        .with(SHIP_CLASS, 1.0, 60)
        // Ship With Walmart publishes no quota: one label step a second, a few at once.
        .with(LABELS_CLASS, 1.0, 5)
        // The Token API: about 30 a minute; a store needs one token every 15 minutes.
        .with(TOKEN_CLASS, 0.5, 30)
}

fn capabilities() -> Capabilities {
    Capabilities {
        max_window: Some(orders::MAX_WINDOW),
        page_size: orders::PAGE_SIZE,
        filters_by_update_time: true,
        window_end_lag: Duration::ZERO,
        order_list_quota: Some(ORDERS_QUOTA),
        platform_labels: true,
        tracking: TrackingMode::ConfirmShipment,
        api_version: "orders/v3".to_owned(),
    }
}

/// Builds [`WalmartConnector`]s; registered once in the daemon.
#[derive(Debug, Clone, Copy, Default)]
pub struct WalmartFactory;

/// One Walmart seller account (its client id and secret) as one store.
pub struct WalmartConnector {
    store: StoreRef,
    environment: Environment,
    api_base: Url,
    http: HttpClient,
    auth: WalmartAuth,
    capabilities: Capabilities,
}

impl fmt::Debug for WalmartConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WalmartConnector")
            .field("store", &self.store)
            .field("environment", &self.environment)
            .field("api_base", &self.api_base.as_str())
            .finish_non_exhaustive()
    }
}

impl WalmartConnector {
    pub fn new(
        store: StoreRef,
        creds: Credentials,
        options: ConnectorOptions,
    ) -> Result<Self, MarketplaceError> {
        let http = HttpClient::new(
            Platform::Walmart,
            &options,
            rate_limits(),
            Arc::new(WalmartClassifier),
        )?;
        let api_base = Url::parse(creds.environment.api_base())
            .map_err(|e| MarketplaceError::permanent(format!("invalid host: {e}")))?;
        let headers = Arc::new(WmHeaders::new(
            &creds.client_id,
            &creds.client_secret,
            creds.consumer_channel_type,
        ));
        let token_url = http.url(&format!("{}{TOKEN_PATH}", creds.environment.api_base()))?;
        let source = ClientCredentials::new(http.clone(), token_url, Arc::clone(&headers));
        // The client-credentials grant has no refresh token: the cache's slot stays empty.
        let tokens = TokenCache::new(
            Arc::new(source),
            SecretString::from(String::new()),
            None,
            None,
        );
        Ok(WalmartConnector {
            store,
            environment: creds.environment,
            api_base,
            http,
            auth: WalmartAuth::new(headers, tokens),
            capabilities: capabilities(),
        })
    }

    pub fn store(&self) -> StoreRef {
        self.store
    }

    pub(crate) fn http(&self) -> &HttpClient {
        &self.http
    }

    pub(crate) fn auth(&self) -> &WalmartAuth {
        &self.auth
    }

    /// The environment's URL for `path`, with the base-URL override applied.
    pub(crate) fn api_url(&self, path: &str) -> Result<Url, MarketplaceError> {
        let mut url = self.api_base.clone();
        url.set_path(path);
        self.http
            .hosts()
            .rebase(url)
            .map_err(|e| e.with_platform(Platform::Walmart))
    }

    /// `path` followed by `segments`, each percent-encoded as one path segment.
    pub(crate) fn api_url_with_segments(
        &self,
        path: &str,
        segments: &[&str],
    ) -> Result<Url, MarketplaceError> {
        let mut url = self.api_base.clone();
        url.set_path(path);
        url.path_segments_mut()
            .map_err(|()| MarketplaceError::permanent("the API base URL cannot take a path"))?
            .extend(segments);
        self.http
            .hosts()
            .rebase(url)
            .map_err(|e| e.with_platform(Platform::Walmart))
    }
}

#[async_trait]
impl Marketplace for WalmartConnector {
    fn platform(&self) -> Platform {
        Platform::Walmart
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn pull_orders(
        &self,
        window: Window,
        cursor: Option<&Cursor>,
    ) -> Result<OrderPage, MarketplaceError> {
        let span = tracing::info_span!("walmart_pull", store = %self.store.id);
        orders::pull(self, window, cursor)
            .instrument(span)
            .await
            .map_err(|e| e.with_platform(Platform::Walmart))
    }

    async fn fetch_label(
        &self,
        order: &PlatformOrder,
        spec: &LabelSpec,
    ) -> Result<Label, MarketplaceError> {
        labels::fetch(self, order, spec)
            .await
            .map_err(|e| e.with_platform(Platform::Walmart))
    }

    async fn upload_tracking(&self, shipment: &Shipment) -> Result<TrackingAck, MarketplaceError> {
        tracking::confirm(self, shipment)
            .await
            .map_err(|e| e.with_platform(Platform::Walmart))
    }
}

/// Walmart's gateway answer to a missing or refused token or Basic header (401).
pub fn unauthorized_rejection() -> MockRejection {
    MockRejection {
        status: 401,
        body: json!({"error": [{
            "code": "UNAUTHORIZED.GMP_GATEWAY_API",
            "field": "UNAUTHORIZED",
            "description": "Unauthorized",
            "info": "Unauthorized token or incorrect authorization header. Please verify correct format: \"Authorization: Basic Base64Encode(clientId:clientSecret)\" For more information, see https://developer.walmart.com/#/apicenter/marketPlace/latest#apiAuthentication.",
            "severity": "ERROR",
            "category": "DATA",
            "causes": [],
            "errorIdentifiers": {}
        }]}),
    }
}

/// The answer to a call without a required header. Walmart's exact body for this case is not
/// published; the envelope and fields are the gateway's.
fn missing_header_rejection(header: &str) -> MockRejection {
    MockRejection {
        status: 400,
        body: json!({"error": [{
            "code": "INVALID_REQUEST_HEADER.GMP_GATEWAY_API",
            "field": header,
            "description": format!("Missing required header {header}"),
            "info": "Request header is invalid.",
            "severity": "ERROR",
            "category": "REQUEST",
            "causes": [],
            "errorIdentifiers": {}
        }]}),
    }
}

/// What Walmart checks on every request: the `WM_SVC.NAME` and `WM_QOS.CORRELATION_ID`
/// headers; on `POST /v3/token` the Basic credentials (`platform_secrets.client_id` and
/// `client_secret`) and `grant_type=client_credentials`; on API calls a `WM_SEC.ACCESS_TOKEN`,
/// and correct Basic credentials when the call carries them.
pub fn check_walmart_request(
    platform_secrets: &serde_json::Value,
    request: &WireRequest,
) -> Result<(), MockRejection> {
    let header = |name: &http::HeaderName| {
        request
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    for required in [&auth::SVC_NAME, &auth::CORRELATION_ID] {
        if header(required).is_none() {
            return Err(missing_header_rejection(&required.as_str().to_uppercase()));
        }
    }
    let secret = |key: &str| platform_secrets.get(key).and_then(|v| v.as_str());
    let basic = header(&http::header::AUTHORIZATION);
    let basic_ok = |got: &str| match (secret("client_id"), secret("client_secret")) {
        (Some(id), Some(key)) => {
            let expected = auth::basic_authorization(id, &SecretString::from(key.to_owned()));
            signatures_match(got, expected.expose_secret())
        }
        _ => got.starts_with("Basic "),
    };
    if request.url.path().ends_with(TOKEN_PATH) {
        if !basic.is_some_and(basic_ok) {
            return Err(unauthorized_rejection());
        }
        let form: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
            .into_owned()
            .collect();
        let grant = form
            .iter()
            .find(|(k, _)| k == "grant_type")
            .map(|(_, v)| v.as_str());
        if grant != Some("client_credentials") {
            return Err(MockRejection {
                status: 400,
                body: json!({"error": [{
                    "code": "INVALID_REQUEST_PARAM.GMP_GATEWAY_API",
                    "field": "grant_type",
                    "description": "Invalid grant_type",
                    "info": "Request param is invalid.",
                    "severity": "ERROR",
                    "category": "REQUEST",
                    "causes": [],
                    "errorIdentifiers": {}
                }]}),
            });
        }
        return Ok(());
    }
    if header(&auth::ACCESS_TOKEN).is_none() {
        return Err(unauthorized_rejection());
    }
    if basic.is_some_and(|b| !basic_ok(b)) {
        return Err(unauthorized_rejection());
    }
    Ok(())
}

impl ConnectorFactory for WalmartFactory {
    fn platform(&self) -> Platform {
        Platform::Walmart
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
        let connector = WalmartConnector::new(store, creds, options)
            .map_err(|e| ConfigError::new("(connector)", e.message().to_owned()))?;
        Ok(Arc::new(connector))
    }

    fn check_request(
        &self,
        platform_secrets: &serde_json::Value,
        request: &WireRequest,
    ) -> Result<(), MockRejection> {
        check_walmart_request(platform_secrets, request)
    }

    /// Personal fields of Walmart bodies beyond the recorder's defaults (postal and return
    /// addresses, the relay e-mail, pickup persons).
    fn scrub_keys(&self) -> &'static [&'static str] {
        &[
            "address1",
            "address2",
            "customerEmailId",
            "dayPhone",
            "emailId",
            "completeName",
            "middleName",
            "completeNumber",
            "subscriberNumber",
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::{HeaderMap, HeaderValue, Method};

    const SECRETS: &str = r#"{"client_id": "c1", "client_secret": "s3cret"}"#;

    fn wire(path: &str, headers: &[(&'static str, String)], body: &str) -> WireRequest {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        WireRequest {
            method: Method::POST,
            url: Url::parse(&format!("http://127.0.0.1:1{path}")).unwrap(),
            headers: map,
            body: Bytes::from(body.to_owned()),
        }
    }

    fn basic(id: &str, secret: &str) -> String {
        auth::basic_authorization(id, &SecretString::from(secret.to_owned()))
            .expose_secret()
            .to_owned()
    }

    #[test]
    fn mock_checks_basic_auth_on_the_token_call_and_headers_on_api_calls() {
        let secrets: serde_json::Value = serde_json::from_str(SECRETS).unwrap();
        let wm = |extra: Vec<(&'static str, String)>| {
            let mut h = vec![
                ("wm_svc.name", "Walmart Marketplace".to_owned()),
                ("wm_qos.correlation_id", auth::correlation_id()),
            ];
            h.extend(extra);
            h
        };
        let grant = "grant_type=client_credentials";
        let good = wire(
            "/v3/token",
            &wm(vec![("authorization", basic("c1", "s3cret"))]),
            grant,
        );
        assert!(check_walmart_request(&secrets, &good).is_ok());
        let bad = wire(
            "/v3/token",
            &wm(vec![("authorization", basic("c1", "wrong"))]),
            grant,
        );
        let r = check_walmart_request(&secrets, &bad).unwrap_err();
        assert_eq!(r.status, 401);
        assert_eq!(r.body["error"][0]["code"], "UNAUTHORIZED.GMP_GATEWAY_API");
        let no_basic = wire("/v3/token", &wm(vec![]), grant);
        assert_eq!(
            check_walmart_request(&secrets, &no_basic)
                .unwrap_err()
                .status,
            401
        );
        let other_grant = wire(
            "/v3/token",
            &wm(vec![("authorization", basic("c1", "s3cret"))]),
            "grant_type=refresh_token",
        );
        assert_eq!(
            check_walmart_request(&secrets, &other_grant)
                .unwrap_err()
                .status,
            400
        );

        let token = ("wm_sec.access_token", "eyJraWQiOi.fixture".to_owned());
        let api = wire("/v3/orders", &wm(vec![token.clone()]), "");
        assert!(check_walmart_request(&secrets, &api).is_ok());
        let no_token = wire("/v3/orders", &wm(vec![]), "");
        assert_eq!(
            check_walmart_request(&secrets, &no_token)
                .unwrap_err()
                .status,
            401
        );
        let wrong_basic = wire(
            "/v3/orders",
            &wm(vec![token.clone(), ("authorization", basic("c1", "nope"))]),
            "",
        );
        assert_eq!(
            check_walmart_request(&secrets, &wrong_basic)
                .unwrap_err()
                .status,
            401
        );
        let no_correlation = wire(
            "/v3/orders",
            &[token, ("wm_svc.name", "Walmart Marketplace".to_owned())],
            "",
        );
        let r = check_walmart_request(&secrets, &no_correlation).unwrap_err();
        assert_eq!(r.status, 400);
        assert_eq!(r.body["error"][0]["field"], "WM_QOS.CORRELATION_ID");
    }

    #[test]
    fn capabilities_declare_the_documented_limits() {
        let c = capabilities();
        assert_eq!(c.max_window, Some(Duration::from_secs(86_400)));
        assert_eq!(c.page_size, 200);
        assert!(c.filters_by_update_time);
        assert_eq!(c.tracking, TrackingMode::ConfirmShipment);
        let limits = rate_limits();
        assert_eq!(
            limits.spec(SHIP_CLASS),
            Some(RateSpec {
                per_second: 1.0,
                burst: 60
            })
        );
        assert_eq!(limits.spec(ORDERS_LIST_CLASS), Some(ORDERS_QUOTA));
        assert!(limits.spec(TOKEN_CLASS).is_some());
    }

    #[test]
    fn urls_keep_segments_encoded_and_follow_the_override() {
        let creds = Credentials::parse(&json!({"client_id": "c", "client_secret": "s"})).unwrap();
        let options = ConnectorOptions {
            base_url: Some(Url::parse("http://127.0.0.1:9/mock").unwrap()),
            ..ConnectorOptions::default()
        };
        let store = StoreRef {
            id: core_model::StoreId(1),
            platform: Platform::Walmart,
        };
        let c = WalmartConnector::new(store, creds, options).unwrap();
        assert_eq!(
            c.api_url_with_segments("/v3/shipping/labels/carriers", &["DHL Ecommerce - US", "trackings", "1/2"])
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9/mock/v3/shipping/labels/carriers/DHL%20Ecommerce%20-%20US/trackings/1%2F2"
        );
        assert!(!format!("{c:?}").contains("\"s\""));
    }
}
