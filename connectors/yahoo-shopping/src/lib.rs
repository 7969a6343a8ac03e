//! The Yahoo!ショッピング (Yahoo! Shopping Japan) connector: orders pulled with the store API's
//! `orderList` (注文検索API) and `orderInfo` (注文詳細API), tracking uploaded with
//! `orderShipStatusChange` (出荷ステータス変更API); no platform labels. Requests and answers
//! are XML (`POST https://circus.shopping.yahooapis.jp/ShoppingWebService/V1/{api}`), written and
//! read with quick-xml's serde support. Auth is a YConnect v2 bearer token minted from the store
//! operator's refresh token, plus the store's public-key authentication headers
//! (`X-sws-signature`, `X-sws-signature-version`) on every call. One connector serves one store
//! account. See README.md for credentials and quirks.

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
use base64::Engine as _;
use bytes::Bytes;
use connector_kit::http::Body;
use connector_kit::oauth::TOKEN_CLASS;
use connector_kit::sign::signatures_match;
use connector_kit::{
    ApiRequest, ConfigError, ConnectorFactory, ConnectorOptions, CredentialKey, HttpClient,
    MockRejection, RateLimits, RawResponse, TokenCache, WireRequest,
};
use core_model::{
    Capabilities, Cursor, Label, LabelSpec, Marketplace, MarketplaceError, Operation, OrderPage,
    Platform, PlatformOrder, RateSpec, Shipment, StoreRef, TrackingAck, TrackingMode, Window,
};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Pkcs1v15Encrypt, RsaPrivateKey};
use serde_json::json;
use tracing::Instrument;
use url::Url;

use crate::auth::{
    Signer, YahooAuth, YahooTokenSource, SIGNATURE_HEADER, SIGNATURE_VERSION_HEADER, TOKEN_PATH,
};
use crate::config::{Credentials, CREDENTIAL_KEYS, TOKEN_URL};
use crate::error::{YahooClassifier, SESSION_EXPIRED};

/// The endpoint class of every store API call: they share the application id's quota.
pub const STORE_API_CLASS: &str = "shopping.store";

const SECONDS_PER_DAY: f64 = 86_400.0;

/// 50,000 requests per application id per day across Yahoo! JAPAN's APIs, reset at 00:00 JST
/// (developer.yahoo.co.jp/appendix/rate.html), spread evenly over the day. The burst stays
/// within the 10 requests per second Yahoo names as the per-API ceiling (shopping/help.html).
pub const STORE_API_QUOTA: RateSpec = RateSpec {
    per_second: 50_000.0 / SECONDS_PER_DAY,
    burst: 10,
};
/// The YConnect token endpoint documents no quota; refreshes are rare (hourly per store).
pub const TOKEN_QUOTA: RateSpec = RateSpec {
    per_second: 1.0,
    burst: 5,
};

fn rate_limits() -> RateLimits {
    RateLimits::new()
        .with(
            STORE_API_CLASS,
            STORE_API_QUOTA.per_second,
            STORE_API_QUOTA.burst,
        )
        .with(TOKEN_CLASS, TOKEN_QUOTA.per_second, TOKEN_QUOTA.burst)
}

/// What the connector declares.
pub fn capabilities() -> Capabilities {
    Capabilities {
        // orderList documents no longest order-time range.
        max_window: None,
        page_size: orders::PAGE_SIZE,
        // orderList filters by order time only.
        filters_by_update_time: false,
        window_end_lag: Duration::ZERO,
        order_list_quota: Some(STORE_API_QUOTA),
        platform_labels: false,
        tracking: TrackingMode::ConfirmShipment,
        api_version: "ShoppingWebService/V1".to_owned(),
    }
}

/// Builds [`YahooShoppingConnector`]s; registered once in the daemon.
#[derive(Debug, Clone, Copy, Default)]
pub struct YahooShoppingFactory;

/// One Yahoo! Shopping store account as one store.
pub struct YahooShoppingConnector {
    store: StoreRef,
    seller_id: String,
    api_base: &'static str,
    http: HttpClient,
    auth: YahooAuth,
    capabilities: Capabilities,
}

impl fmt::Debug for YahooShoppingConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("YahooShoppingConnector")
            .field("store", &self.store)
            .field("seller_id", &self.seller_id)
            .finish_non_exhaustive()
    }
}

impl YahooShoppingConnector {
    pub fn new(
        store: StoreRef,
        creds: Credentials,
        options: &ConnectorOptions,
    ) -> Result<Self, MarketplaceError> {
        let http = HttpClient::new(
            Platform::YahooShopping,
            options,
            rate_limits(),
            Arc::new(YahooClassifier),
        )?;
        let api_base = creds.api_base();
        let signer = Arc::new(Signer::new(
            creds.public_key,
            creds.seller_id.clone(),
            creds.public_key_version,
        ));
        let source = YahooTokenSource::new(
            http.clone(),
            http.url(TOKEN_URL)?,
            creds.client_id,
            creds.client_secret,
            signer.clone(),
        );
        let cache = TokenCache::new(
            Arc::new(source),
            creds.refresh_token,
            creds.access_token,
            options.token_sink.clone(),
        );
        Ok(YahooShoppingConnector {
            store,
            seller_id: creds.seller_id,
            api_base,
            http,
            auth: YahooAuth::new(cache, signer),
            capabilities: capabilities(),
        })
    }

    pub fn store(&self) -> StoreRef {
        self.store
    }

    /// The store account, `SellerId` of every request.
    pub fn seller_id(&self) -> &str {
        &self.seller_id
    }

    /// The URL of store API `api` (`orderList`, ...), with the base-URL override applied.
    pub fn api_url(&self, api: &str) -> Result<Url, MarketplaceError> {
        self.http.url(&format!("{}/{api}", self.api_base))
    }

    /// POST one `<Req>` document to store API `api` with token and public-key headers.
    pub(crate) async fn post_xml(
        &self,
        operation: Operation,
        api: &str,
        xml: String,
    ) -> Result<RawResponse, MarketplaceError> {
        let mut request = ApiRequest::post(operation, STORE_API_CLASS, self.api_url(api)?);
        request.body = Body::Raw {
            content_type: "application/xml; charset=UTF-8".to_owned(),
            bytes: Bytes::from(xml),
        };
        self.http.send(request, Some(&self.auth)).await
    }
}

#[async_trait]
impl Marketplace for YahooShoppingConnector {
    fn platform(&self) -> Platform {
        Platform::YahooShopping
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn pull_orders(
        &self,
        window: Window,
        cursor: Option<&Cursor>,
    ) -> Result<OrderPage, MarketplaceError> {
        let span = tracing::info_span!("yahoo_shopping_pull", store = %self.store.id);
        orders::pull(self, window, cursor)
            .instrument(span)
            .await
            .map_err(|e| {
                e.with_platform(Platform::YahooShopping)
                    .with_operation(Operation::PullOrders)
            })
    }

    async fn fetch_label(
        &self,
        order: &PlatformOrder,
        spec: &LabelSpec,
    ) -> Result<Label, MarketplaceError> {
        labels::fetch_label(order, spec).map_err(|e| e.with_platform(Platform::YahooShopping))
    }

    async fn upload_tracking(&self, shipment: &Shipment) -> Result<TrackingAck, MarketplaceError> {
        let span = tracing::info_span!("yahoo_shopping_tracking", store = %self.store.id);
        tracking::upload(self, shipment)
            .instrument(span)
            .await
            .map_err(|e| {
                e.with_platform(Platform::YahooShopping)
                    .with_operation(Operation::UploadTracking)
            })
    }
}

impl ConnectorFactory for YahooShoppingFactory {
    fn platform(&self) -> Platform {
        Platform::YahooShopping
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
        let connector = YahooShoppingConnector::new(store, creds, &options)
            .map_err(|e| ConfigError::new("(connector)", e.message().to_owned()))?;
        Ok(Arc::new(connector))
    }

    /// What Yahoo checks. The token endpoint: HTTP Basic `client_id:client_secret`, the grant
    /// type and the refresh token (`platform_secrets`). Every store API call: a Bearer token
    /// and the public-key headers, whose `X-sws-signature` must decrypt, with the store's
    /// private key (a test-only key in `platform_secrets.private_key_pem_test_only`), to
    /// `{SellerId of the request}:{unix seconds within 10 minutes of now}`, and whose version
    /// must be the key's (`platform_secrets.public_key_version`).
    fn check_request(
        &self,
        platform_secrets: &serde_json::Value,
        request: &WireRequest,
    ) -> Result<(), MockRejection> {
        let path = request.url.path();
        if path.ends_with(TOKEN_PATH) {
            return check_token_request(platform_secrets, request);
        }
        if path.contains("/ShoppingWebService/V1/") {
            check_bearer(request)?;
            check_signature(platform_secrets, request)?;
        }
        Ok(())
    }

    /// Personal-data element names of orderInfo beyond the recorder's defaults.
    fn scrub_keys(&self) -> &'static [&'static str] {
        &[
            "ShipFirstName",
            "ShipLastName",
            "ShipFirstNameKana",
            "ShipLastNameKana",
            "ShipAddress1",
            "ShipAddress2",
            "ShipAddress1Kana",
            "ShipAddress2Kana",
            "ShipPhoneNumber",
            "ShipEmgPhoneNumber",
            "ShipSection1Value",
            "ShipSection2Value",
            "BillFirstName",
            "BillLastName",
            "BillFirstNameKana",
            "BillLastNameKana",
            "BillAddress1",
            "BillAddress2",
            "BillAddress1Kana",
            "BillAddress2Kana",
            "BillPhoneNumber",
            "BillEmgPhoneNumber",
            "BillMailAddress",
            "BillSection1Value",
            "BillSection2Value",
            "CardHolderName",
            "BuyerComments",
            "GiftWrapName",
        ]
    }
}

/// Allowed distance between the signed unix time and now, in the mock.
const SIGNATURE_CLOCK_SKEW_SECONDS: i64 = 600;

/// An RFC 6749 error body as the YConnect token endpoint sends it.
fn oauth_rejection(status: u16, error: &str, description: &str) -> MockRejection {
    MockRejection {
        status,
        body: json!({ "error": error, "error_description": description }),
    }
}

/// Yahoo's `<Error>` document, as the order APIs answer it.
fn api_rejection(status: u16, message: &str, code: Option<&str>) -> MockRejection {
    let code = code
        .map(|c| format!("<Code>{}</Code>", xml_text(c)))
        .unwrap_or_default();
    MockRejection {
        status,
        body: json!(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Message>{}</Message>{code}</Error>",
            xml_text(message)
        )),
    }
}

/// `text` escaped for an XML element.
fn xml_text(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

/// What the order APIs answer once a session lacks valid public-key authentication.
fn session_expired() -> MockRejection {
    api_rejection(
        401,
        "AccessToken has been expired. This API session is shorter than another API.",
        Some(SESSION_EXPIRED),
    )
}

fn header<'a>(request: &'a WireRequest, name: &str) -> Option<&'a str> {
    request.headers.get(name)?.to_str().ok()
}

/// The user and password of an HTTP Basic `Authorization` header.
fn basic_credentials(request: &WireRequest) -> Option<(String, String)> {
    let encoded = header(request, http::header::AUTHORIZATION.as_str())?
        .strip_prefix("Basic ")?
        .trim();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

fn secret<'a>(secrets: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    secrets.get(key).and_then(|v| v.as_str())
}

fn check_token_request(
    secrets: &serde_json::Value,
    request: &WireRequest,
) -> Result<(), MockRejection> {
    let client_ok = basic_credentials(request).is_some_and(|(id, password)| {
        secret(secrets, "client_id").is_none_or(|want| signatures_match(&id, want))
            && secret(secrets, "client_secret").is_none_or(|want| signatures_match(&password, want))
    });
    if !client_ok {
        return Err(oauth_rejection(
            401,
            "invalid_client",
            "client authentication failed",
        ));
    }
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect();
    let field = |key: &str| form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    if field("grant_type") != Some("refresh_token") {
        return Err(oauth_rejection(
            400,
            "unsupported_grant_type",
            "unsupported grant type",
        ));
    }
    let refresh_ok = match (field("refresh_token"), secret(secrets, "refresh_token")) {
        (Some(got), Some(want)) => signatures_match(got, want),
        (Some(got), None) => !got.is_empty(),
        (None, _) => false,
    };
    if !refresh_ok {
        return Err(oauth_rejection(
            400,
            "invalid_grant",
            "invalid refresh token",
        ));
    }
    // Public-key headers are optional here; when sent they must decrypt.
    if header(request, SIGNATURE_HEADER.as_str()).is_some()
        && decrypted_signature(secrets, request).is_none()
    {
        return Err(oauth_rejection(400, "invalid_request", "invalid signature"));
    }
    Ok(())
}

fn check_bearer(request: &WireRequest) -> Result<(), MockRejection> {
    let token = header(request, http::header::AUTHORIZATION.as_str())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or_default();
    if token.is_empty() {
        return Err(api_rejection(
            401,
            "Please provide valid credentials. Bearer realm=\"yahooapis.jp\", \
             error=\"invalid_request\", error_description=\"access token is empty\"",
            None,
        ));
    }
    Ok(())
}

/// `X-sws-signature` decrypted with the mock's private key: `(sellerId, unixtime)`, when the
/// version header names the key and the text has the documented form.
fn decrypted_signature(
    secrets: &serde_json::Value,
    request: &WireRequest,
) -> Option<(String, i64)> {
    let version = header(request, SIGNATURE_VERSION_HEADER.as_str())?.trim();
    if let Some(want) = secrets.get("public_key_version") {
        let want = match want {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if version != want {
            return None;
        }
    }
    let pem = secret(secrets, "private_key_pem_test_only")?;
    let key = RsaPrivateKey::from_pkcs8_pem(pem)
        .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem))
        .ok()?;
    let encrypted = base64::engine::general_purpose::STANDARD
        .decode(header(request, SIGNATURE_HEADER.as_str())?.trim())
        .ok()?;
    let plain = String::from_utf8(key.decrypt(Pkcs1v15Encrypt, &encrypted).ok()?).ok()?;
    let (seller, time) = plain.split_once(':')?;
    let time = time.parse::<i64>().ok()?;
    (!seller.is_empty()).then(|| (seller.to_owned(), time))
}

fn check_signature(
    secrets: &serde_json::Value,
    request: &WireRequest,
) -> Result<(), MockRejection> {
    #[derive(serde::Deserialize)]
    struct ReqSeller {
        #[serde(rename = "SellerId", default)]
        seller_id: Option<String>,
    }
    let Some((seller, time)) = decrypted_signature(secrets, request) else {
        return Err(session_expired());
    };
    let body_seller = std::str::from_utf8(&request.body)
        .ok()
        .and_then(|text| quick_xml::de::from_str::<ReqSeller>(text).ok())
        .and_then(|r| r.seller_id);
    let fresh = (chrono::Utc::now().timestamp() - time).abs() <= SIGNATURE_CLOCK_SKEW_SECONDS;
    if body_seller.as_deref().map(str::trim) != Some(seller.as_str()) || !fresh {
        return Err(session_expired());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::parse_public_key;
    use crate::auth::tests::throwaway_key_pair;
    use http::{HeaderMap, HeaderValue, Method};
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};

    const BODY: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Req><Target>\
        <OrderId>kiriya-zakka-1</OrderId><Field>OrderId</Field></Target>\
        <SellerId>kiriya-zakka</SellerId></Req>";

    fn api_request(headers: &[(&str, String)], body: &str) -> WireRequest {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        WireRequest {
            method: Method::POST,
            url: Url::parse("http://127.0.0.1:1/ShoppingWebService/V1/orderInfo").unwrap(),
            headers: map,
            body: Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn the_mock_decrypts_the_signature_and_checks_the_seller() {
        let (private, public_pem) = throwaway_key_pair();
        let secrets = json!({
            "public_key_version": 2,
            "private_key_pem_test_only": private.to_pkcs8_pem(LineEnding::LF).unwrap().as_str(),
        });
        let signer = |seller: &str, version: &str| {
            Signer::new(
                parse_public_key(&public_pem).unwrap(),
                seller.to_owned(),
                version.to_owned(),
            )
        };
        let signed = |s: Signer, at: i64| {
            vec![
                ("authorization", "Bearer fixture-token".to_owned()),
                ("x-sws-signature", s.signature_at(at).unwrap()),
                ("x-sws-signature-version", s.headers().unwrap()[1].1.clone()),
            ]
        };
        let now = chrono::Utc::now().timestamp();
        let f = YahooShoppingFactory;
        let good = api_request(&signed(signer("kiriya-zakka", "2"), now), BODY);
        assert!(f.check_request(&secrets, &good).is_ok());

        for (what, request) in [
            (
                "another store",
                api_request(&signed(signer("someone", "2"), now), BODY),
            ),
            (
                "another version",
                api_request(&signed(signer("kiriya-zakka", "1"), now), BODY),
            ),
            (
                "a stale time",
                api_request(&signed(signer("kiriya-zakka", "2"), now - 3600), BODY),
            ),
            (
                "no signature",
                api_request(&[("authorization", "Bearer t".to_owned())], BODY),
            ),
        ] {
            let r = f.check_request(&secrets, &request).unwrap_err();
            assert_eq!(r.status, 401, "{what}");
            let xml = r.body.as_str().unwrap_or_default();
            assert!(xml.contains("<Code>px-04102</Code>"), "{what}: {xml}");
        }
        let (_, other_pem) = throwaway_key_pair();
        let foreign = Signer::new(
            parse_public_key(&other_pem).unwrap(),
            "kiriya-zakka".into(),
            "2".into(),
        );
        assert!(f
            .check_request(&secrets, &api_request(&signed(foreign, now), BODY))
            .is_err());

        let mut no_token = signed(signer("kiriya-zakka", "2"), now);
        no_token.remove(0);
        assert_eq!(
            f.check_request(&secrets, &api_request(&no_token, BODY))
                .unwrap_err()
                .status,
            401
        );
    }

    #[test]
    fn the_token_call_is_checked_for_client_and_refresh_token() {
        let secrets = json!({"client_id": "app", "client_secret": "s3cret", "refresh_token": "r1"});
        let basic = |id: &str, pw: &str| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{id}:{pw}"))
            )
        };
        let token = |auth: String, body: &str| WireRequest {
            url: Url::parse("http://127.0.0.1:1/yconnect/v2/token").unwrap(),
            ..api_request(&[("authorization", auth)], body)
        };
        let f = YahooShoppingFactory;
        assert!(f
            .check_request(
                &secrets,
                &token(
                    basic("app", "s3cret"),
                    "grant_type=refresh_token&refresh_token=r1"
                )
            )
            .is_ok());
        let e = f
            .check_request(
                &secrets,
                &token(
                    basic("app", "wrong"),
                    "grant_type=refresh_token&refresh_token=r1",
                ),
            )
            .unwrap_err();
        assert_eq!(
            (e.status, e.body["error"].as_str()),
            (401, Some("invalid_client"))
        );
        let e = f
            .check_request(
                &secrets,
                &token(
                    basic("app", "s3cret"),
                    "grant_type=refresh_token&refresh_token=r2",
                ),
            )
            .unwrap_err();
        assert_eq!(
            (e.status, e.body["error"].as_str()),
            (400, Some("invalid_grant"))
        );
        let e = f
            .check_request(
                &secrets,
                &token(basic("app", "s3cret"), "grant_type=authorization_code"),
            )
            .unwrap_err();
        assert_eq!(e.body["error"], "unsupported_grant_type");
    }

    #[test]
    fn declares_yahoo_capabilities() {
        let c = capabilities();
        assert_eq!(c.max_window, None);
        assert_eq!(c.page_size, 20);
        assert!(!c.filters_by_update_time);
        assert!(!c.platform_labels);
        assert_eq!(c.tracking, TrackingMode::ConfirmShipment);
        let daily = c.order_list_quota.unwrap().per_second * SECONDS_PER_DAY;
        assert!((daily - 50_000.0).abs() < 1e-6, "{daily}");
        assert!(rate_limits().spec(TOKEN_CLASS).is_some());
    }

    fn connector(seller: &str) -> YahooShoppingConnector {
        let (_, pem) = throwaway_key_pair();
        let creds = Credentials::parse(&json!({
            "client_id": "dj00aiZpPWZpeHR1cmVBcHBJZA--", "client_secret": "fixture-client-secret",
            "refresh_token": "fixture-refresh-token", "seller_id": seller,
            "public_key": pem, "public_key_version": "2", "access_token": "fixture-access-token"
        }))
        .unwrap();
        let options = ConnectorOptions {
            base_url: Some(Url::parse("http://127.0.0.1:9/mock").unwrap()),
            ..ConnectorOptions::default()
        };
        let store = StoreRef {
            id: core_model::StoreId(3),
            platform: Platform::YahooShopping,
        };
        YahooShoppingConnector::new(store, creds, &options).unwrap()
    }

    #[test]
    fn debug_shows_no_credentials_and_urls_follow_the_store() {
        let c = connector("kiriya-zakka");
        let shown = format!("{c:?}");
        for secret in ["client-secret", "refresh-token", "access-token", "dj00"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert_eq!(
            c.api_url("orderList").unwrap().as_str(),
            "http://127.0.0.1:9/mock/ShoppingWebService/V1/orderList"
        );
        assert_eq!(connector("snbx-kiriya").api_base, config::TEST_API_BASE);
    }

    #[tokio::test]
    async fn labels_are_unsupported() {
        let c = connector("kiriya-zakka");
        let order = PlatformOrder {
            store: core_model::StoreId(3),
            platform: Platform::YahooShopping,
            platform_order_id: "kiriya-zakka-1".into(),
            platform_status: "2/1".into(),
            status: core_model::NeutralStatus::AwaitingFulfillment,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            currency: "JPY".into(),
            buyer_name: None,
            ship_to: core_model::Address::default(),
            lines: vec![],
            platform_label_hint: false,
            raw: serde_json::value::RawValue::from_string("{}".into()).unwrap(),
        };
        let e = c
            .fetch_label(&order, &LabelSpec::default())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), core_model::ErrorKind::Unsupported);
        assert_eq!(e.platform(), Some(Platform::YahooShopping));
    }

    #[tokio::test]
    async fn a_refused_repeat_is_confirmed_by_reading_the_order_back() {
        let target = connector_testkit::conformance::Target::new(Arc::new(YahooShoppingFactory));
        let (server, loaded) = target.serve("tracking-readback").await;
        let c = target.connector(&server, &loaded);
        let shipment = loaded.expect.tracking.clone().unwrap();
        let ack = c.upload_tracking(&shipment).await.unwrap();
        assert!(ack.already_confirmed);
        server.verify().await;
    }

    #[tokio::test]
    async fn the_refresh_token_does_not_rotate() {
        let target = connector_testkit::conformance::Target::new(Arc::new(YahooShoppingFactory));
        let (server, loaded) = target.serve("token-expired").await;
        let sink = Arc::new(connector_testkit::conformance::RotationLog::default());
        let c = target.connector_with(&server, &loaded, |o| o.token_sink = Some(sink.clone()));
        let w = loaded.expect.window.unwrap();
        let pulled = connector_testkit::conformance::pull_all(
            c.as_ref(),
            Window::new(w.from, w.to).unwrap(),
            None,
        )
        .await
        .unwrap();
        assert_eq!(pulled.orders.len(), 21);
        // YConnect answers a refresh without a new refresh token: nothing to persist.
        assert!(sink.rotated().is_empty());
    }

    /// The suite's secret check reads JSON bodies only; this one covers the XML fixtures:
    /// no personal value of any orderInfo answer reaches a log line or a Debug output.
    #[tokio::test]
    async fn personal_data_of_xml_answers_stays_out_of_logs_and_debug() {
        use connector_kit::record::{scrub_json, REDACTED};
        connector_testkit::logs::capture();
        let target = connector_testkit::conformance::Target::new(Arc::new(YahooShoppingFactory));
        let (server, loaded) = target.serve("multi-page").await;
        let mut personal = std::collections::BTreeSet::new();
        for entry in std::fs::read_dir(&loaded.dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("xml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let Ok(model::Document::ResultSet(node)) =
                quick_xml::de::from_str::<model::AnyDocument>(&text)
            else {
                continue;
            };
            let original = node.to_json();
            let mut scrubbed = original.clone();
            scrub_json(&mut scrubbed, YahooShoppingFactory.scrub_keys());
            let (o, s) = (
                &original["Result"]["OrderInfo"],
                &scrubbed["Result"]["OrderInfo"],
            );
            for group in ["Pay", "Ship"] {
                for (k, v) in o[group].as_object().unwrap() {
                    if s[group][k] == REDACTED && v.as_str().is_some_and(|v| v.len() >= 6) {
                        personal.insert(v.as_str().unwrap().to_owned());
                    }
                }
            }
        }
        assert!(personal.len() > 20, "{}", personal.len());
        let c = target.connector(&server, &loaded);
        let w = loaded.expect.window.unwrap();
        let pulled = connector_testkit::conformance::pull_all(
            c.as_ref(),
            Window::new(w.from, w.to).unwrap(),
            None,
        )
        .await
        .unwrap();
        let shown = format!("{c:?}\n{pulled:?}\n{}", connector_testkit::logs::captured());
        for value in &personal {
            assert!(!shown.contains(value.as_str()), "`{value}` leaked");
        }
    }
}
