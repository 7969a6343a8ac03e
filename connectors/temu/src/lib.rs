//! Temu Partner API connector (local and semi-managed sellers): orders by update time, Temu
//! buy-shipping labels, and self-fulfilled shipment confirmation. One connector serves one
//! store (mall).
//!
//! Every call is a signed JSON POST to the region's router (`openapi-b-{us,eu,global}`),
//! naming the API in `type` ([`auth`]). See README.md for credentials and quirks.

pub mod auth;
pub mod config;
pub mod error;
pub mod labels;
pub mod model;
pub mod orders;
pub mod tracking;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use connector_kit::sign::signatures_match;
use connector_kit::{
    decode_json, ConfigError, ConnectorFactory, ConnectorOptions, CredentialKey, HttpClient,
    MockRejection, RateLimits, RawResponse, ResponseClassifier, WireRequest,
};
use core_model::{
    Capabilities, Cursor, Label, LabelSpec, Marketplace, MarketplaceError, Operation, OrderPage,
    Platform, PlatformOrder, RateSpec, Shipment, StoreRef, TrackingAck, TrackingMode, Window,
};
use serde::de::DeserializeOwned;
use serde_json::json;
use serde_json::value::RawValue;
use tracing::Instrument;
use url::Url;

use crate::auth::{Call, Credentials, RouterAuth, ToaAuth};
use crate::config::{Config, Region};
use crate::error::TemuClassifier;
use crate::labels::{DOWNLOAD_CLASS, LOGISTICS_CLASS};
use crate::model::Envelope;
use crate::orders::ORDERS_CLASS;

/// Temu's documented quota is 20 QPS per app key, shared by every store of the app ("Rate
/// Limiting Rules"); 4000004 answers the excess. This store's share, by endpoint group, stays
/// within the 15 QPS the platform note advises.
const ORDERS_RATE: RateSpec = RateSpec {
    per_second: 10.0,
    burst: 10,
};
const LOGISTICS_RATE: RateSpec = RateSpec {
    per_second: 4.0,
    burst: 4,
};
const DOWNLOAD_RATE: RateSpec = RateSpec {
    per_second: 1.0,
    burst: 2,
};

/// `now - 300 <= timestamp <= now + 300` (common parameters; 3000011 / 3000012).
const TIMESTAMP_VALIDITY_SECS: i64 = 300;

/// Builds [`TemuConnector`]s; registered once in the daemon.
#[derive(Debug, Default, Clone, Copy)]
pub struct TemuFactory;

impl ConnectorFactory for TemuFactory {
    fn platform(&self) -> Platform {
        Platform::Temu
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
        let connector = TemuConnector::new(store, config, options)
            .map_err(|e| ConfigError::new("(connector)", e.message().to_owned()))?;
        Ok(Arc::new(connector))
    }

    fn check_request(
        &self,
        platform_secrets: &serde_json::Value,
        request: &WireRequest,
    ) -> Result<(), MockRejection> {
        check_request_at(platform_secrets, request, chrono::Utc::now().timestamp())
    }

    fn scrub_keys(&self) -> &'static [&'static str] {
        &[
            // Personal fields of bg.order.shippinginfo.v2.get outside the recorder's defaults.
            "receiptName",
            "receiptAdditionalName",
            "backupMobile",
            "mail",
            "addressLineAll",
            "additionalFirstName",
            "additionalLastName",
            "taxCode",
            // The common parameter travels in the JSON body, where the recorder would keep it
            // as a matcher value; it is volatile like a query timestamp.
            "timestamp",
        ]
    }
}

/// One Temu store.
pub struct TemuConnector {
    store: StoreRef,
    region: Region,
    router: Url,
    http: HttpClient,
    auth: RouterAuth,
    toa: ToaAuth,
    capabilities: Capabilities,
}

impl fmt::Debug for TemuConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TemuConnector")
            .field("store", &self.store)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl TemuConnector {
    pub fn new(
        store: StoreRef,
        config: Config,
        options: ConnectorOptions,
    ) -> Result<Self, MarketplaceError> {
        let limits = RateLimits::new();
        limits.declare(ORDERS_CLASS, ORDERS_RATE);
        limits.declare(LOGISTICS_CLASS, LOGISTICS_RATE);
        limits.declare(DOWNLOAD_CLASS, DOWNLOAD_RATE);
        let http = HttpClient::new(Platform::Temu, &options, limits, Arc::new(TemuClassifier))?;
        let router = http.url(&config.region.router_url())?;
        let creds = Arc::new(Credentials {
            app_key: config.app_key,
            app_secret: config.app_secret,
            access_token: config.access_token,
        });
        Ok(TemuConnector {
            store,
            region: config.region,
            router,
            http,
            auth: RouterAuth::new(Arc::clone(&creds)),
            toa: ToaAuth::new(creds),
            capabilities: capabilities(),
        })
    }

    pub(crate) fn store(&self) -> StoreRef {
        self.store
    }

    pub(crate) fn http(&self) -> &HttpClient {
        &self.http
    }

    pub(crate) fn toa(&self) -> &ToaAuth {
        &self.toa
    }

    /// Send one router call through the kit, classified by `classifier` (default: the
    /// connector's `parse_error`).
    pub(crate) async fn send(
        &self,
        operation: Operation,
        class: &'static str,
        call: Call,
        classifier: Option<&dyn ResponseClassifier>,
    ) -> Result<RawResponse, MarketplaceError> {
        let api_type = call.api_type();
        let request = call.into_request(operation, class, self.router.clone())?;
        let sent = match classifier {
            Some(c) => {
                self.http
                    .send_classified(request, Some(&self.auth), c)
                    .await
            }
            None => self.http.send(request, Some(&self.auth)).await,
        };
        // The API name and Temu's request id (region-prefixed) are what its support asks for.
        sent.inspect_err(|e| {
            tracing::debug!(
                platform = "temu",
                api = api_type,
                code = e.code(),
                request_id = e.request_id(),
                "call failed"
            );
        })
    }

    /// One router call and its decoded `result`.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        operation: Operation,
        class: &'static str,
        call: Call,
    ) -> Result<T, MarketplaceError> {
        let api_type = call.api_type();
        let response = self.send(operation, class, call, None).await?;
        result_of(&response, api_type)
    }
}

/// The `result` of a successful envelope.
pub fn result_of<T: DeserializeOwned>(
    response: &RawResponse,
    api_type: &str,
) -> Result<T, MarketplaceError> {
    let envelope: Envelope<T> = decode_json(&response.body)?;
    envelope
        .result
        .ok_or_else(|| MarketplaceError::malformed(format!("{api_type} answered without `result`")))
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
        api_version: "bg.order.list.v2.get".to_owned(),
    }
}

#[async_trait]
impl Marketplace for TemuConnector {
    fn platform(&self) -> Platform {
        Platform::Temu
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn pull_orders(
        &self,
        window: Window,
        cursor: Option<&Cursor>,
    ) -> Result<OrderPage, MarketplaceError> {
        let span = tracing::info_span!("temu_pull", store = %self.store.id);
        orders::pull_orders(self, window, cursor)
            .instrument(span)
            .await
            .map_err(|e| e.with_platform(Platform::Temu))
    }

    async fn fetch_label(
        &self,
        order: &PlatformOrder,
        spec: &LabelSpec,
    ) -> Result<Label, MarketplaceError> {
        labels::fetch_label(self, order, spec)
            .await
            .map_err(|e| e.with_platform(Platform::Temu))
    }

    async fn upload_tracking(&self, shipment: &Shipment) -> Result<TrackingAck, MarketplaceError> {
        tracking::upload_tracking(self, shipment)
            .await
            .map_err(|e| e.with_platform(Platform::Temu))
    }
}

/// The gateway's answer to a request that fails its checks ("Common Error Codes"), in the
/// usual envelope with HTTP 200.
fn rejection(code: i64, message: &str, seed: &[u8]) -> MockRejection {
    let h = auth::md5_upper(&String::from_utf8_lossy(seed)).to_ascii_lowercase();
    let request_id = format!(
        "us-{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    );
    MockRejection {
        status: 200,
        body: json!({
            "success": false,
            "errorCode": code,
            "errorMsg": message,
            "requestId": request_id,
            "result": null
        }),
    }
}

/// What Temu's gateway checks on every call: the common parameters, the timestamp's age and
/// the MD5 `sign` recomputed with the app secret (`platform_secrets.app_secret`) over the
/// body exactly as received. Label downloads (GET) are checked on their `toa-*` headers.
pub fn check_request_at(
    secrets: &serde_json::Value,
    request: &WireRequest,
    now: i64,
) -> Result<(), MockRejection> {
    let seed = request.body.as_ref();
    let reject = |code: i64, message: &str| rejection(code, message, seed);
    let app_secret = secrets
        .get("app_secret")
        .and_then(|s| s.as_str())
        .unwrap_or_default();
    let known_app_key = secrets.get("app_key").and_then(|s| s.as_str());
    let fresh = |ts: Option<&str>| -> Result<(), MockRejection> {
        let ts: i64 = ts
            .and_then(|t| t.trim().parse().ok())
            .ok_or_else(|| reject(3_000_011, "timestamp is invalid."))?;
        if ts > now + TIMESTAMP_VALIDITY_SECS {
            return Err(reject(3_000_011, "timestamp is invalid."));
        }
        if ts < now - TIMESTAMP_VALIDITY_SECS {
            return Err(reject(3_000_012, "timestamp is expired."));
        }
        Ok(())
    };

    if request.method == http::Method::GET {
        let header = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok());
        let (Some(app_key), Some(token), Some(random), Some(ts), Some(sign)) = (
            header(auth::TOA_APP_KEY),
            header(auth::TOA_ACCESS_TOKEN),
            header(auth::TOA_RANDOM),
            header(auth::TOA_TIMESTAMP),
            header(auth::TOA_SIGN),
        ) else {
            return Err(reject(3_000_000, "BAD_PARAMS"));
        };
        if known_app_key.is_some_and(|k| k != app_key) {
            return Err(reject(3_000_026, "app_key not exists."));
        }
        if random.chars().count() != 32 || ts.len() != 10 {
            return Err(reject(3_000_000, "BAD_PARAMS"));
        }
        fresh(Some(ts))?;
        let expected = auth::sign_sorted(
            app_secret,
            [
                (auth::TOA_ACCESS_TOKEN, token),
                (auth::TOA_APP_KEY, app_key),
                (auth::TOA_RANDOM, random),
                (auth::TOA_TIMESTAMP, ts),
            ],
        );
        return if signatures_match(&expected, sign) {
            Ok(())
        } else {
            Err(reject(error::SIGN_INVALID, "SIGN_UNVALID"))
        };
    }

    let Ok(params) = serde_json::from_slice::<BTreeMap<String, Box<RawValue>>>(&request.body)
    else {
        return Err(reject(3_000_000, "BAD_PARAMS"));
    };
    let get = |k: &str| params.get(k).map(|v| auth::sign_value(v));
    if get("type").is_none_or(str::is_empty) {
        return Err(reject(3_000_002, "there is no type in body."));
    }
    let Some(ts) = get("timestamp") else {
        return Err(reject(3_000_010, "there is no timestamp in body."));
    };
    fresh(Some(ts))?;
    match get("data_type") {
        None => return Err(reject(3_000_013, "there is no data_type in body.")),
        Some(t) if !t.eq_ignore_ascii_case(auth::DATA_TYPE) => {
            return Err(reject(3_000_014, "data_type is invalid"))
        }
        Some(_) => {}
    }
    let Some(app_key) = get("app_key").filter(|k| !k.is_empty()) else {
        return Err(reject(3_000_025, "there is no app_key in body."));
    };
    if known_app_key.is_some_and(|k| k != app_key) {
        return Err(reject(3_000_026, "app_key not exists."));
    }
    if get("access_token").is_none_or(str::is_empty) {
        return Err(reject(3_000_030, "there is no access_token in body."));
    }
    let Some(sign) = get(auth::SIGN) else {
        return Err(reject(3_000_040, "there is no sign in body."));
    };
    if signatures_match(&auth::sign(app_secret, &params), sign) {
        Ok(())
    } else {
        Err(reject(error::SIGN_INVALID, "SIGN_UNVALID"))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bytes::Bytes;
    use core_model::{ErrorKind, LabelFormat};
    use http::{HeaderMap, HeaderValue, Method};

    const SECRET: &str = "c7e0a1a63542be4de3cb5488f9fba8149e8fc290";
    /// The body of the official signature example (Step 5), keys as Temu shows them.
    const OFFICIAL_BODY: &str = r#"{"app_key":"f9d5cc9313893a20d5aa85c654e8f503","data_type":"JSON","access_token":"2nifvmpyymvypwmcms5ct4uqqudrwgpmzbcnmkt1jzjkuaf3x56iixym","sendRequestList":[{"orderSendInfoList":[{"quantity":1,"orderSn":"211-21905473070712792","parentOrderSn":"PO-211-21905452099192792","goodsId":601099548666279,"skuId":17592352673534}],"carrierId":"699272611","trackingNumber":"270324232756"}],"sendType":0,"sign":"4CCF219942D4180C6DDA3CE36C1B838F","timestamp":1711009072,"type":"bg.logistics.shipment.confirm"}"#;

    fn post(body: &str) -> WireRequest {
        WireRequest {
            method: Method::POST,
            url: Url::parse("http://mock/openapi/router").unwrap(),
            headers: HeaderMap::new(),
            body: Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn mock_verifies_the_official_example() {
        let secrets =
            json!({ "app_secret": SECRET, "app_key": "f9d5cc9313893a20d5aa85c654e8f503" });
        assert_eq!(
            check_request_at(&secrets, &post(OFFICIAL_BODY), 1711009100),
            Ok(())
        );
        let code = |r: Result<(), MockRejection>| r.unwrap_err().body["errorCode"].clone();
        assert_eq!(
            code(check_request_at(
                &json!({ "app_secret": "another" }),
                &post(OFFICIAL_BODY),
                1711009100
            )),
            3000001
        );
        assert_eq!(
            code(check_request_at(
                &secrets,
                &post(OFFICIAL_BODY),
                1711009072 + 301
            )),
            3000012
        );
        assert_eq!(
            code(check_request_at(
                &secrets,
                &post(OFFICIAL_BODY),
                1711009072 - 301
            )),
            3000011
        );
        // A changed byte of the nested JSON breaks the signature: what is sent is what is signed.
        let tampered = OFFICIAL_BODY.replace("\"quantity\":1", "\"quantity\":2");
        assert_eq!(
            code(check_request_at(&secrets, &post(&tampered), 1711009100)),
            3000001
        );
        let no_type = OFFICIAL_BODY.replace("\"type\"", "\"typo\"");
        assert_eq!(
            code(check_request_at(&secrets, &post(&no_type), 1711009100)),
            3000002
        );
        let no_token = OFFICIAL_BODY.replace("\"access_token\"", "\"accessToken\"");
        assert_eq!(
            code(check_request_at(&secrets, &post(&no_token), 1711009100)),
            3000030
        );
        let other_app = check_request_at(
            &json!({ "app_secret": SECRET, "app_key": "other" }),
            &post(OFFICIAL_BODY),
            1711009100,
        )
        .unwrap_err();
        assert_eq!(other_app.status, 200);
        assert_eq!(other_app.body["errorCode"], 3000026);
        assert_eq!(other_app.body["success"], false);
    }

    #[test]
    fn mock_verifies_toa_headers() {
        let creds = Credentials {
            app_key: "f9d5cc9313893a20d5aa85c654e8f503".into(),
            app_secret: SECRET.to_owned().into(),
            access_token: "token-1".to_owned().into(),
        };
        let now = 1711009072;
        let random = "12345678901234567890123456789012";
        let mut headers = HeaderMap::new();
        let mut put = |k: &'static str, v: &str| {
            headers.insert(k, HeaderValue::from_str(v).unwrap());
        };
        put(auth::TOA_APP_KEY, &creds.app_key);
        put(auth::TOA_ACCESS_TOKEN, "token-1");
        put(auth::TOA_RANDOM, random);
        put(auth::TOA_TIMESTAMP, &now.to_string());
        put(
            auth::TOA_SIGN,
            &auth::toa_sign(&creds, random, &now.to_string()),
        );
        let mut get = WireRequest {
            method: Method::GET,
            url: Url::parse("http://mock/labels/x.pdf").unwrap(),
            headers,
            body: Bytes::new(),
        };
        let secrets = json!({ "app_secret": SECRET });
        assert_eq!(check_request_at(&secrets, &get, now), Ok(()));
        get.headers
            .insert(auth::TOA_SIGN, HeaderValue::from_static("00"));
        assert_eq!(
            check_request_at(&secrets, &get, now).unwrap_err().body["errorCode"],
            3000001
        );
    }

    #[test]
    fn declares_temu_capabilities() {
        let c = capabilities();
        assert_eq!(c.max_window, Some(Duration::from_secs(86_400)));
        assert_eq!(c.page_size, 100);
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
        let dir = connector_testkit::fixtures_root().join("temu").join(name);
        let mut loaded = connector_testkit::LoadedScenario::load(&dir).unwrap();
        edit(&mut loaded);
        let server = wiremock::MockServer::start().await;
        connector_testkit::mount_loaded(&server, Arc::new(TemuFactory), &loaded)
            .await
            .unwrap();
        let target = connector_testkit::conformance::Target::new(Arc::new(TemuFactory));
        let connector = target.connector(&server, &loaded);
        (server, loaded, connector)
    }

    fn window(loaded: &connector_testkit::LoadedScenario) -> Window {
        let w = loaded.expect.window.unwrap();
        Window::new(w.from, w.to).unwrap()
    }

    /// Temu has no refresh grant: a revoked token (3000034) fails the pull as Unauthorized with
    /// Temu's code, sent once, and no token call is ever made: the seller must re-authorize and
    /// share a new token.
    #[tokio::test]
    async fn a_revoked_token_surfaces_unauthorized_without_a_refresh() {
        let (server, loaded, c) = replay("token-expired", |_| {}).await;
        let err = connector_testkit::conformance::pull_all(c.as_ref(), window(&loaded), None)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthorized);
        assert_eq!(err.code(), Some("3000034"));
        assert!(!err.to_string().contains("fixture-access-token"));
        server.verify().await;
    }

    #[tokio::test]
    async fn a_repeated_confirmation_is_already_confirmed() {
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
    async fn the_label_carries_tracking_number_and_carrier() {
        let (_server, loaded, c) = replay("label", |_| {}).await;
        let pulled = connector_testkit::conformance::pull_all(c.as_ref(), window(&loaded), None)
            .await
            .unwrap();
        let spec = loaded.expect.label.clone().unwrap().spec;
        let label = c.fetch_label(&pulled.orders[0], &spec).await.unwrap();
        assert_eq!(label.format, LabelFormat::Pdf);
        assert_eq!(
            label.tracking_number.as_deref(),
            Some("9400150206217651234567")
        );
        assert_eq!(label.carrier.as_deref(), Some("USPS"));
        assert!(label.bytes.starts_with(b"%PDF"));
        let zpl = LabelSpec {
            format: Some(LabelFormat::Zpl),
            ..spec
        };
        let e = c.fetch_label(&pulled.orders[0], &zpl).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
    }

    #[tokio::test]
    async fn multi_page_maps_the_expected_order() {
        // Only the first page is asked for here.
        let (_server, loaded, c) = replay("multi-page", |s| {
            s.scenario
                .exchanges
                .iter_mut()
                .for_each(|x| x.expect_calls = None)
        })
        .await;
        let first = c.pull_orders(window(&loaded), None).await.unwrap();
        assert_eq!(first.orders.len(), 2);
        assert!(first.next_cursor.is_some());
        let shown = format!("{c:?}");
        assert!(!shown.contains("fixture") && !shown.contains(SECRET));
    }
}
