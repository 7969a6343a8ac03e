//! The Wayfair connector: a drop-ship supplier's purchase orders (POs) pulled with the
//! supplier GraphQL API's `getDropshipPurchaseOrders` walked forward by `fromDate`, shipping
//! labels bought on Wayfair's carrier account with `purchaseOrders.register` and downloaded
//! from the document URL it returns, and ship notices (ASN) with tracking sent with
//! `purchaseOrders.shipment`. Auth is an OAuth client-credentials token from Wayfair's SSO with
//! the environment's `audience`, sent as `Authorization: Bearer`. See README.md.

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
    ApiRequest, ConfigError, ConnectorFactory, ConnectorOptions, CredentialKey, HeaderTokenAuth,
    HttpClient, MockRejection, RateLimits, RawResponse, TokenCache, WireRequest,
};
use core_model::{
    Capabilities, Cursor, Label, LabelSpec, Marketplace, MarketplaceError, Operation, OrderPage,
    Platform, PlatformOrder, Shipment, StoreRef, TrackingAck, TrackingMode, Window,
};
use secrecy::SecretString;
use serde::Serialize;
use serde_json::json;
use tracing::Instrument;
use url::Url;

use crate::auth::{ClientCredentials, ACCESS_DENIED, TOKEN_PATH, TOKEN_URL};
use crate::config::{Credentials, Environment, CREDENTIAL_KEYS};
use crate::error::WayfairClassifier;
use crate::model::GraphQlRequest;

/// The GraphQL endpoint's path, on the environment's API host.
pub const GRAPHQL_PATH: &str = "/v1/graphql";

/// Endpoint classes. Wayfair publishes no quotas (no numbers, no rate-limit headers), so these
/// are the connector's own conservative budgets per app: GraphQL queries and mutations, the
/// PDF downloads, and the token endpoint (one token lasts hours).
pub const GRAPHQL_CLASS: &str = "graphql";
pub const DOCUMENTS_CLASS: &str = "documents";

fn rate_limits() -> RateLimits {
    RateLimits::new()
        .with(GRAPHQL_CLASS, 2.0, 10)
        .with(DOCUMENTS_CLASS, 2.0, 5)
        .with(TOKEN_CLASS, 0.2, 3)
}

/// What the connector declares.
pub fn capabilities() -> Capabilities {
    Capabilities {
        // `fromDate` has no end date to bound: a window of any length is one walk.
        max_window: None,
        page_size: orders::PAGE_SIZE,
        // POs expose only `poDate`.
        filters_by_update_time: false,
        window_end_lag: Duration::ZERO,
        // Not published.
        order_list_quota: None,
        platform_labels: true,
        tracking: TrackingMode::ConfirmShipment,
        api_version: "supplier-api/v1 graphql".to_owned(),
    }
}

/// Builds [`WayfairConnector`]s; registered once in the daemon.
#[derive(Debug, Clone, Copy, Default)]
pub struct WayfairFactory;

/// One Wayfair supplier app (its client id and secret) as one store.
pub struct WayfairConnector {
    store: StoreRef,
    environment: Environment,
    http: HttpClient,
    auth: HeaderTokenAuth,
    graphql_url: Url,
    po_query: String,
    capabilities: Capabilities,
}

impl fmt::Debug for WayfairConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WayfairConnector")
            .field("store", &self.store)
            .field("environment", &self.environment)
            .field("graphql_url", &self.graphql_url.as_str())
            .finish_non_exhaustive()
    }
}

impl WayfairConnector {
    pub fn new(
        store: StoreRef,
        creds: Credentials,
        options: &ConnectorOptions,
    ) -> Result<Self, MarketplaceError> {
        let http = HttpClient::new(
            Platform::Wayfair,
            options,
            rate_limits(),
            Arc::new(WayfairClassifier),
        )?;
        let environment = creds.environment;
        let source = ClientCredentials::new(
            http.clone(),
            http.url(TOKEN_URL)?,
            creds.client_id,
            creds.client_secret,
            environment.audience(),
        );
        // The client-credentials grant has no refresh token: the cache's slot stays empty.
        let cache = TokenCache::new(
            Arc::new(source),
            SecretString::from(String::new()),
            None,
            None,
        );
        let graphql_url = http.url(&format!("{}{GRAPHQL_PATH}", environment.api_base()))?;
        Ok(WayfairConnector {
            store,
            environment,
            http,
            auth: HeaderTokenAuth::new(cache, http::header::AUTHORIZATION, "Bearer "),
            graphql_url,
            po_query: orders::purchase_order_query(environment.has_cancellation_field()),
            capabilities: capabilities(),
        })
    }

    pub fn store(&self) -> StoreRef {
        self.store
    }

    pub fn environment(&self) -> Environment {
        self.environment
    }

    pub(crate) fn http(&self) -> &HttpClient {
        &self.http
    }

    pub(crate) fn auth(&self) -> &HeaderTokenAuth {
        &self.auth
    }

    pub(crate) fn po_query(&self) -> &str {
        &self.po_query
    }

    /// One GraphQL call: `{"query", "variables"}` to `/v1/graphql` with the Bearer token,
    /// classified by [`error::parse_error`].
    pub(crate) async fn graphql<V: Serialize>(
        &self,
        operation: Operation,
        class: &'static str,
        query: &str,
        variables: V,
    ) -> Result<RawResponse, MarketplaceError> {
        let request = ApiRequest::post(operation, class, self.graphql_url.clone())
            .header(http::header::ACCEPT, "application/json")
            .json(&GraphQlRequest { query, variables })?;
        self.http.send(request, Some(&self.auth)).await
    }
}

#[async_trait]
impl Marketplace for WayfairConnector {
    fn platform(&self) -> Platform {
        Platform::Wayfair
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn pull_orders(
        &self,
        window: Window,
        cursor: Option<&Cursor>,
    ) -> Result<OrderPage, MarketplaceError> {
        let span = tracing::info_span!("wayfair_pull", store = %self.store.id);
        orders::pull(self, window, cursor)
            .instrument(span)
            .await
            .map_err(|e| {
                e.with_platform(Platform::Wayfair)
                    .with_operation(Operation::PullOrders)
            })
    }

    async fn fetch_label(
        &self,
        order: &PlatformOrder,
        spec: &LabelSpec,
    ) -> Result<Label, MarketplaceError> {
        let span = tracing::info_span!("wayfair_label", store = %self.store.id);
        labels::fetch(self, order, spec)
            .instrument(span)
            .await
            .map_err(|e| {
                e.with_platform(Platform::Wayfair)
                    .with_operation(Operation::FetchLabel)
            })
    }

    async fn upload_tracking(&self, shipment: &Shipment) -> Result<TrackingAck, MarketplaceError> {
        let span = tracing::info_span!("wayfair_tracking", store = %self.store.id);
        tracking::upload(self, shipment)
            .instrument(span)
            .await
            .map_err(|e| {
                e.with_platform(Platform::Wayfair)
                    .with_operation(Operation::UploadTracking)
            })
    }
}

impl ConnectorFactory for WayfairFactory {
    fn platform(&self) -> Platform {
        Platform::Wayfair
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
        let connector = WayfairConnector::new(store, creds, &options)
            .map_err(|e| ConfigError::new("(connector)", e.message().to_owned()))?;
        Ok(Arc::new(connector))
    }

    /// What Wayfair checks: the SSO token endpoint authenticates the app by `client_id` and
    /// `client_secret` (against `platform_secrets`) for `grant_type=client_credentials` and a
    /// known `audience`; every API call and document download needs `Authorization: Bearer`.
    fn check_request(
        &self,
        platform_secrets: &serde_json::Value,
        request: &WireRequest,
    ) -> Result<(), MockRejection> {
        let path = request.url.path();
        if path.ends_with(TOKEN_PATH) {
            return check_token_request(platform_secrets, request);
        }
        if path.ends_with(GRAPHQL_PATH) || labels::is_document_path(path) {
            return check_bearer(request);
        }
        Ok(())
    }

    /// Personal fields of Wayfair bodies beyond the recorder's defaults: the PO's flat
    /// `customer*` fields, the third address line, the VAT number and the ASN's streets.
    fn scrub_keys(&self) -> &'static [&'static str] {
        &[
            "customerName",
            "customerAddress1",
            "customerAddress2",
            "customerEmail",
            "address3",
            "vatNumber",
            "streetAddress1",
            "streetAddress2",
        ]
    }
}

/// An Auth0 token-endpoint error body.
fn oauth_rejection(status: u16, error: &str, description: &str) -> MockRejection {
    MockRejection {
        status,
        body: json!({ "error": error, "error_description": description }),
    }
}

/// The token request's fields, from a form body or (as Wayfair's examples send it) JSON.
fn token_fields(request: &WireRequest) -> Vec<(String, String)> {
    if let Ok(serde_json::Value::Object(map)) =
        serde_json::from_slice::<serde_json::Value>(&request.body)
    {
        return map
            .into_iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned())))
            .collect();
    }
    url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect()
}

fn check_token_request(
    secrets: &serde_json::Value,
    request: &WireRequest,
) -> Result<(), MockRejection> {
    let fields = token_fields(request);
    let field = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let secret = |key: &str| secrets.get(key).and_then(|v| v.as_str());
    let matches = |key: &str| match (field(key), secret(key)) {
        (Some(got), Some(want)) => signatures_match(got, want),
        (Some(got), None) => !got.is_empty(),
        (None, _) => false,
    };
    if !(matches("client_id") && matches("client_secret")) {
        return Err(oauth_rejection(401, ACCESS_DENIED, "Unauthorized"));
    }
    let grant = field("grant_type").unwrap_or_default();
    if grant != "client_credentials" {
        return Err(oauth_rejection(
            403,
            "unsupported_grant_type",
            &format!("Grant type '{grant}' not allowed for the client."),
        ));
    }
    let audience = field("audience").unwrap_or_default();
    let known = match secret("audience") {
        Some(want) => audience == want,
        None => [Environment::Production, Environment::Sandbox]
            .iter()
            .any(|e| e.audience() == audience),
    };
    if !known {
        return Err(oauth_rejection(
            403,
            ACCESS_DENIED,
            &format!("Service not enabled within domain: {audience}"),
        ));
    }
    Ok(())
}

/// The API gateway's answer to a call without a usable Bearer token.
pub fn unauthorized_rejection() -> MockRejection {
    MockRejection {
        status: 401,
        body: json!({ "message": "Unauthorized" }),
    }
}

fn check_bearer(request: &WireRequest) -> Result<(), MockRejection> {
    let token = request
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or_default();
    if token.is_empty() {
        return Err(unauthorized_rejection());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::{HeaderMap, HeaderValue, Method};

    const SECRETS: &str = r#"{"client_id": "wf-client-7Qm2", "client_secret": "wf-secret-9Xk4"}"#;

    fn wire(path: &str, auth: Option<&str>, body: &str) -> WireRequest {
        let mut headers = HeaderMap::new();
        if let Some(a) = auth {
            headers.insert(
                http::header::AUTHORIZATION,
                HeaderValue::from_str(a).unwrap(),
            );
        }
        WireRequest {
            method: Method::POST,
            url: Url::parse(&format!("http://127.0.0.1:1{path}")).unwrap(),
            headers,
            body: Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn mock_checks_client_credentials_on_the_token_call() {
        let secrets: serde_json::Value = serde_json::from_str(SECRETS).unwrap();
        let f = WayfairFactory;
        let ok = "grant_type=client_credentials&client_id=wf-client-7Qm2&client_secret=wf-secret-9Xk4&audience=https%3A%2F%2Fapi.wayfair.com%2F";
        assert!(f
            .check_request(&secrets, &wire(TOKEN_PATH, None, ok))
            .is_ok());
        let json_body = r#"{"grant_type":"client_credentials","client_id":"wf-client-7Qm2","client_secret":"wf-secret-9Xk4","audience":"https://sandbox.api.wayfair.com/"}"#;
        assert!(f
            .check_request(&secrets, &wire(TOKEN_PATH, None, json_body))
            .is_ok());

        let wrong = ok.replace("9Xk4", "0000");
        let r = f
            .check_request(&secrets, &wire(TOKEN_PATH, None, &wrong))
            .unwrap_err();
        assert_eq!(r.status, 401);
        assert_eq!(r.body["error"], ACCESS_DENIED);
        let grant = ok.replace("client_credentials", "password");
        assert_eq!(
            f.check_request(&secrets, &wire(TOKEN_PATH, None, &grant))
                .unwrap_err()
                .body["error"],
            "unsupported_grant_type"
        );
        let audience = ok.replace("api.wayfair.com", "evil.example");
        assert_eq!(
            f.check_request(&secrets, &wire(TOKEN_PATH, None, &audience))
                .unwrap_err()
                .status,
            403
        );
    }

    #[test]
    fn mock_checks_the_bearer_token_on_api_calls_and_downloads() {
        let secrets: serde_json::Value = serde_json::from_str(SECRETS).unwrap();
        let f = WayfairFactory;
        for path in [
            GRAPHQL_PATH,
            "/v1/shipping_label/CS1",
            "/v1/bill_of_lading/CS1",
        ] {
            assert_eq!(
                f.check_request(&secrets, &wire(path, None, "{}"))
                    .unwrap_err(),
                unauthorized_rejection(),
                "{path}"
            );
            assert!(f
                .check_request(&secrets, &wire(path, Some("Bearer "), "{}"))
                .is_err());
            assert!(f
                .check_request(&secrets, &wire(path, Some("Bearer eyJ.fixture"), "{}"))
                .is_ok());
        }
        assert!(f
            .check_request(&secrets, &wire("/elsewhere", None, ""))
            .is_ok());
    }

    #[test]
    fn capabilities_and_quotas() {
        let c = capabilities();
        assert_eq!(c.max_window, None);
        assert_eq!(c.page_size, orders::PAGE_SIZE);
        assert!(c.platform_labels);
        assert_eq!(c.tracking, TrackingMode::ConfirmShipment);
        let limits = rate_limits();
        for class in [GRAPHQL_CLASS, DOCUMENTS_CLASS, TOKEN_CLASS] {
            assert!(limits.spec(class).is_some(), "{class}");
        }
    }

    #[test]
    fn debug_shows_no_credentials() {
        let creds = Credentials::parse(&json!({
            "client_id": "wf-client-7Qm2", "client_secret": "wf-secret-9Xk4"
        }))
        .unwrap();
        let store = StoreRef {
            id: core_model::StoreId(3),
            platform: Platform::Wayfair,
        };
        let c = WayfairConnector::new(store, creds, &ConnectorOptions::default()).unwrap();
        let shown = format!("{c:?}");
        for secret in ["wf-client-7Qm2", "wf-secret-9Xk4"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("https://api.wayfair.com/v1/graphql"));
    }
}
