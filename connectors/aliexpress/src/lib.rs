//! AliExpress open platform connector (the seller "solution" APIs on the IOP gateway): orders by
//! modified time with their lines and, for orders to ship, the receipt address; the online
//! logistics (Cainiao) label; and the shipment declaration with the seller's tracking number.
//! One connector serves one seller.
//!
//! Business APIs are POSTed to `https://api-sg.aliexpress.com/sync` with `method=<api name>`;
//! the token refresh is the system API `https://api-sg.aliexpress.com/rest/auth/token/refresh`;
//! every call is HMAC-SHA256 signed ([`auth`]). See README.md for credentials and quirks.

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
    ApiRequest, ConfigError, ConnectorFactory, ConnectorOptions, CredentialKey, HttpClient,
    MockRejection, RateLimits, RawResponse, TokenCache, WireRequest,
};
use core_model::{
    Capabilities, Cursor, Label, LabelSpec, Marketplace, MarketplaceError, Operation, OrderPage,
    Platform, PlatformOrder, RateSpec, Shipment, StoreRef, TrackingAck, TrackingMode, Window,
};
use serde_json::json;
use tracing::Instrument;

use crate::auth::{AliexpressTokens, App, SellerAuth};
use crate::config::{Config, GATEWAY};
use crate::error::AliexpressClassifier;
use crate::labels::LOGISTICS_CLASS;
use crate::orders::ORDERS_CLASS;

/// AliExpress sets per-app and per-API frequency limits without publishing the numbers; its
/// throttle answer is `ApiCallLimit` with the ban length (aliexpress.md section 7). A budget of
/// at most 10 requests a second per seller, split between the order and logistics APIs, plus a
/// trickle for token refreshes (**unverified** numbers).
const ORDERS_RATE: RateSpec = RateSpec {
    per_second: 5.0,
    burst: 5,
};
const LOGISTICS_RATE: RateSpec = RateSpec {
    per_second: 5.0,
    burst: 5,
};
const TOKEN_RATE: RateSpec = RateSpec {
    per_second: 1.0,
    burst: 2,
};

/// How far a request's `timestamp` may be from the gateway's clock (IOP family: 7200 s;
/// **unverified** for AliExpress).
const TIMESTAMP_VALIDITY_MS: i64 = 7_200_000;

/// Builds [`AliexpressConnector`]s; registered once in the daemon.
#[derive(Debug, Default, Clone, Copy)]
pub struct AliexpressFactory;

impl ConnectorFactory for AliexpressFactory {
    fn platform(&self) -> Platform {
        Platform::Aliexpress
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
        let connector = AliexpressConnector::new(store, config, options)
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
        // Personal fields of the order APIs not in the recorder's defaults.
        &[
            "buyer_signer_fullname",
            "buyer_signer_first_name",
            "buyer_signer_last_name",
            "buyer_login_id",
            "buyerloginid",
            "login_id",
            "contact_person",
            "detail_address",
            "localized_address",
            "mobile_no",
            "fax_number",
            "cpf_number",
            "memo",
            "buyer_memo",
        ]
    }
}

/// One AliExpress seller.
pub struct AliexpressConnector {
    store: StoreRef,
    http: HttpClient,
    auth: SellerAuth,
    capabilities: Capabilities,
}

impl fmt::Debug for AliexpressConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AliexpressConnector")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl AliexpressConnector {
    pub fn new(
        store: StoreRef,
        config: Config,
        options: ConnectorOptions,
    ) -> Result<Self, MarketplaceError> {
        let limits = RateLimits::new();
        limits.declare(ORDERS_CLASS, ORDERS_RATE);
        limits.declare(LOGISTICS_CLASS, LOGISTICS_RATE);
        limits.declare(TOKEN_CLASS, TOKEN_RATE);
        let http = HttpClient::new(
            Platform::Aliexpress,
            &options,
            limits,
            Arc::new(AliexpressClassifier),
        )?;
        let app = Arc::new(App {
            app_key: config.app_key,
            app_secret: config.app_secret,
        });
        let source = AliexpressTokens::new(http.clone(), Arc::clone(&app))?;
        let tokens = TokenCache::new(
            Arc::new(source),
            config.refresh_token,
            config.access_token,
            options.token_sink.clone(),
        );
        Ok(AliexpressConnector {
            store,
            http,
            auth: SellerAuth::with_tokens(app, tokens),
            capabilities: capabilities(),
        })
    }

    pub(crate) fn store(&self) -> StoreRef {
        self.store
    }

    /// One business API call on `/sync`: `method`, `format=json`, `simplify=false` (lists keep
    /// their wrappers, as the SDKs ask) and the API's own parameters, POSTed as a form and signed
    /// by [`SellerAuth`].
    pub(crate) async fn call(
        &self,
        op: Operation,
        class: &'static str,
        method: &str,
        params: Vec<(String, String)>,
    ) -> Result<RawResponse, MarketplaceError> {
        let url = self.http.url(&format!("{GATEWAY}/sync"))?;
        let mut fields = vec![
            ("method".to_owned(), method.to_owned()),
            ("format".to_owned(), "json".to_owned()),
            ("simplify".to_owned(), "false".to_owned()),
        ];
        fields.extend(params);
        let request = ApiRequest::post(op, class, url).form(fields);
        self.http.send(request, Some(&self.auth)).await
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
        api_version: "iop/sync aliexpress.solution".to_owned(),
    }
}

#[async_trait]
impl Marketplace for AliexpressConnector {
    fn platform(&self) -> Platform {
        Platform::Aliexpress
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn pull_orders(
        &self,
        window: Window,
        cursor: Option<&Cursor>,
    ) -> Result<OrderPage, MarketplaceError> {
        let span = tracing::info_span!("aliexpress_pull", store = %self.store.id);
        orders::pull_orders(self, window, cursor)
            .instrument(span)
            .await
            .map_err(|e| e.with_platform(Platform::Aliexpress))
    }

    async fn fetch_label(
        &self,
        order: &PlatformOrder,
        spec: &LabelSpec,
    ) -> Result<Label, MarketplaceError> {
        labels::fetch_label(self, order, spec).await.map_err(|e| {
            e.with_platform(Platform::Aliexpress)
                .with_operation(Operation::FetchLabel)
        })
    }

    async fn upload_tracking(&self, shipment: &Shipment) -> Result<TrackingAck, MarketplaceError> {
        tracking::upload_tracking(self, shipment)
            .await
            .map_err(|e| {
                e.with_platform(Platform::Aliexpress)
                    .with_operation(Operation::UploadTracking)
            })
    }
}

/// The gateway a request went to.
enum Gateway<'a> {
    /// `/sync`: business APIs named by `method`, signed without a prefix.
    Sync,
    /// `/rest/<path>`: system APIs, signed with their path.
    Rest(&'a str),
}

/// What the IOP gateway checks on every call: the common parameters, the timestamp's age and
/// `sign` recomputed with `platform_secrets.app_secret` over the query and form parameters,
/// answering failures as it does (`error_response` on `/sync`, flat on `/rest`). Requests to
/// other paths pass.
fn check_signature(
    secrets: &serde_json::Value,
    request: &WireRequest,
    now_ms: i64,
) -> Result<(), MockRejection> {
    let path = request.url.path();
    let gateway = if path.ends_with("/sync") {
        Gateway::Sync
    } else if path.contains("/rest/") {
        Gateway::Rest(auth::sign_prefix(&request.url))
    } else {
        return Ok(());
    };
    let params = request.params();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let request_id =
        sha256_hex(format!("{path}{}", get("timestamp").unwrap_or_default()).as_bytes());
    let request_id = &request_id[..25];
    let reject = |code: &str, message: &str| MockRejection {
        status: 200,
        body: match gateway {
            Gateway::Sync => json!({ "error_response": { "type": "ISV", "code": code,
                "msg": message, "request_id": request_id } }),
            Gateway::Rest(_) => json!({ "type": "ISV", "code": code, "message": message,
                "request_id": request_id }),
        },
    };
    // Business APIs need the seller's token (`access_token`; the SDKs' `session` is the same).
    if matches!(gateway, Gateway::Sync)
        && get("access_token")
            .or_else(|| get("session"))
            .is_none_or(|v| v.trim().is_empty())
    {
        return Err(reject(
            "MissingParameter",
            "The input parameter \"access_token\" that is mandatory for processing this request is not supplied",
        ));
    }
    let mut required = vec!["app_key", "timestamp", "sign_method", "sign"];
    let prefix = match gateway {
        Gateway::Sync => {
            required.push("method");
            ""
        }
        Gateway::Rest(api) => {
            if !api.starts_with("/auth/") {
                required.push("access_token");
            }
            api
        }
    };
    let secret = secrets.get("app_secret").and_then(|s| s.as_str());
    iop_verify(
        secret,
        prefix,
        &params,
        &required,
        now_ms,
        TIMESTAMP_VALIDITY_MS,
    )
    .map_err(|(code, message)| reject(code, &message))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bytes::Bytes;
    use connector_kit::Body;
    use core_model::{ErrorKind, NeutralStatus};
    use http::{HeaderMap, HeaderValue, Method};
    use secrecy::SecretString;
    use url::Url;

    fn app() -> App {
        App {
            app_key: "123456".into(),
            app_secret: SecretString::from("helloworld".to_owned()),
        }
    }

    /// A signed request as it goes on the wire.
    fn wire(url: &str, fields: &[(&str, &str)], token: Option<&str>, at: i64) -> WireRequest {
        let mut request = ApiRequest::post(
            Operation::PullOrders,
            ORDERS_CLASS,
            Url::parse(url).unwrap(),
        )
        .form(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        );
        app().sign_into(&mut request, token, at);
        let Body::Form(fields) = &request.body else {
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
        WireRequest {
            method: Method::POST,
            url: request.url.clone(),
            headers,
            body: Bytes::from(body),
        }
    }

    const AT: i64 = 1517820392000;

    #[test]
    fn mock_verifies_sync_and_rest_signatures() {
        let secrets = json!({ "app_secret": "helloworld" });
        let list = wire(
            "http://mock/sync",
            &[
                ("method", "aliexpress.solution.order.get"),
                ("param0", "{}"),
            ],
            Some("test"),
            AT,
        );
        assert_eq!(check_signature(&secrets, &list, AT + 60_000), Ok(()));
        let refresh = wire(
            "http://mock/rest/auth/token/refresh",
            &[("refresh_token", "rt-1")],
            None,
            AT,
        );
        assert_eq!(check_signature(&secrets, &refresh, AT), Ok(()));

        let wrong = check_signature(&json!({ "app_secret": "other" }), &list, AT).unwrap_err();
        assert_eq!(wrong.status, 200);
        assert_eq!(wrong.body["error_response"]["code"], "IncompleteSignature");
        let wrong_rest =
            check_signature(&json!({ "app_secret": "other" }), &refresh, AT).unwrap_err();
        assert_eq!(wrong_rest.body["code"], "IncompleteSignature");
        assert_eq!(wrong_rest.body["type"], "ISV");

        let stale = check_signature(&secrets, &list, AT + TIMESTAMP_VALIDITY_MS).unwrap_err();
        assert_eq!(stale.body["error_response"]["code"], "InvalidParameter");
        let no_token = wire(
            "http://mock/sync",
            &[("method", "aliexpress.solution.order.get")],
            None,
            AT,
        );
        let e = check_signature(&secrets, &no_token, AT).unwrap_err();
        assert_eq!(e.body["error_response"]["code"], "MissingParameter");
        assert!(e.body["error_response"]["msg"]
            .as_str()
            .unwrap()
            .contains("access_token"));
        // A label download or anything else off the gateway is not checked.
        let other = WireRequest {
            method: Method::GET,
            url: Url::parse("http://mock/files/label.pdf").unwrap(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
        };
        assert_eq!(check_signature(&secrets, &other, AT), Ok(()));
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
        let target = connector_testkit::conformance::Target::new(Arc::new(AliexpressFactory));
        let (server, loaded) = target.serve(name).await;
        let options = ConnectorOptions {
            base_url: Some(Url::parse(&server.uri()).unwrap()),
            retry: connector_kit::RetryConfig::fast(),
            token_sink: sink,
            rate_limits: false,
            ..ConnectorOptions::default()
        };
        let store = StoreRef {
            id: core_model::StoreId(1),
            platform: Platform::Aliexpress,
        };
        let connector = AliexpressFactory
            .build(store, &loaded.credentials, options)
            .unwrap();
        (server, loaded, connector)
    }

    #[derive(Debug, Default)]
    struct Rotations(std::sync::Mutex<Vec<String>>);

    #[async_trait]
    impl connector_kit::TokenSink for Rotations {
        async fn rotated(&self, grant: &connector_kit::TokenGrant) -> Result<(), MarketplaceError> {
            use secrecy::ExposeSecret;
            let rotated = grant
                .refresh_token
                .as_ref()
                .map(|r| r.expose_secret().to_owned())
                .unwrap_or_default();
            self.0.lock().unwrap().push(rotated);
            Ok(())
        }
    }

    #[tokio::test]
    async fn the_rotated_refresh_token_reaches_the_sink() {
        let sink = Arc::new(Rotations::default());
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
            sink.0.lock().unwrap().as_slice(),
            ["fixture-ae-refresh-token-rotated-0002"]
        );
    }

    #[tokio::test]
    async fn a_repeated_upload_is_already_confirmed() {
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
    async fn the_label_carries_the_online_logistics_tracking_number() {
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
        assert!(order.platform_label_hint);
        let label = c.fetch_label(order, &LabelSpec::default()).await.unwrap();
        assert_eq!(label.tracking_number.as_deref(), Some("RA260511001CN"));
        assert_eq!(label.carrier.as_deref(), Some("CAINIAO_STANDARD"));
        assert!(label.bytes.starts_with(b"%PDF"));
        let zpl = LabelSpec {
            format: Some(core_model::LabelFormat::Zpl),
            ..LabelSpec::default()
        };
        let e = c.fetch_label(order, &zpl).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
    }

    #[tokio::test]
    async fn the_multi_page_order_is_normalized() {
        let (_server, loaded, c) = replay("multi-page", None).await;
        let w = loaded.expect.window.unwrap();
        let pulled = connector_testkit::conformance::pull_all(
            c.as_ref(),
            Window::new(w.from, w.to).unwrap(),
            None,
        )
        .await
        .unwrap();
        // Open pass: two pages; FINISH pass: one.
        assert_eq!(pulled.pages, 3);
        let cancelled = pulled
            .orders
            .iter()
            .find(|o| o.platform_status == "FINISH")
            .unwrap();
        assert_eq!(cancelled.status, NeutralStatus::Cancelled);
        assert!(cancelled.ship_to.name.is_none(), "no detail call for it");
    }

    #[test]
    fn declares_aliexpress_capabilities() {
        let c = capabilities();
        assert_eq!(c.max_window, Some(Duration::from_secs(7 * 86_400)));
        assert_eq!(c.page_size, 50);
        assert!(c.filters_by_update_time && c.platform_labels);
        assert_eq!(c.tracking, TrackingMode::ConfirmShipment);
    }
}
