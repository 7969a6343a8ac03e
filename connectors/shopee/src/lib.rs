//! Shopee Open Platform API v2 connector: orders by update time, the platform AWB, and
//! arrange-shipment for non-integrated channels. One connector serves one shop.
//!
//! Host `https://partner.shopeemobile.com` unless the credentials name a regional variant;
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
use connector_kit::sign::{sha256_hex, signatures_match};
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

use crate::auth::{Partner, ShopAuth, ShopeeTokens};
use crate::config::Config;
use crate::error::ShopeeClassifier;
use crate::labels::LOGISTICS_CLASS;
use crate::orders::ORDERS_CLASS;

/// Shopee publishes no numeric QPS (`rate_limit` is `[0,0,0]` on the order and logistics doc
/// pages). A conservative budget of at most 10 requests a second per shop, split between the
/// order and logistics endpoints, plus a trickle for token refreshes.
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

/// Timestamps older or newer than this are refused ("Timestamp is expired").
const TIMESTAMP_VALIDITY_SECS: i64 = 300;

/// Builds [`ShopeeConnector`]s; registered once in the daemon.
#[derive(Debug, Default, Clone, Copy)]
pub struct ShopeeFactory;

impl ConnectorFactory for ShopeeFactory {
    fn platform(&self) -> Platform {
        Platform::Shopee
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
        let connector = ShopeeConnector::new(store, config, options)
            .map_err(|e| ConfigError::new("(connector)", e.message().to_owned()))?;
        Ok(Arc::new(connector))
    }

    fn check_request(
        &self,
        platform_secrets: &serde_json::Value,
        request: &WireRequest,
    ) -> Result<(), MockRejection> {
        check_signature(platform_secrets, request, chrono::Utc::now().timestamp())
    }

    fn scrub_keys(&self) -> &'static [&'static str] {
        // Personal fields of get_order_detail / ship_order not in the recorder's defaults.
        &[
            "dropshipper",
            "dropshipper_phone",
            "virtual_contact_number",
            "sender_real_name",
            "message_to_seller",
        ]
    }
}

/// One Shopee shop.
pub struct ShopeeConnector {
    store: StoreRef,
    host: String,
    shop_id: u64,
    http: HttpClient,
    auth: ShopAuth,
    capabilities: Capabilities,
}

impl fmt::Debug for ShopeeConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShopeeConnector")
            .field("store", &self.store)
            .field("host", &self.host)
            .field("shop_id", &self.shop_id)
            .finish_non_exhaustive()
    }
}

impl ShopeeConnector {
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
            Platform::Shopee,
            &options,
            limits,
            Arc::new(ShopeeClassifier),
        )?;
        let partner = Arc::new(Partner {
            partner_id: config.partner_id,
            partner_key: config.partner_key,
            shop_id: config.shop_id,
        });
        let source = ShopeeTokens::new(http.clone(), &config.host, Arc::clone(&partner))?;
        let tokens = TokenCache::new(
            Arc::new(source),
            config.refresh_token,
            config.access_token,
            options.token_sink.clone(),
        );
        Ok(ShopeeConnector {
            store,
            shop_id: config.shop_id,
            auth: ShopAuth::with_tokens(partner, tokens),
            http,
            host: config.host,
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

    /// The URL of an API path on this shop's host, with the base-URL override applied.
    pub(crate) fn url(&self, api_path: &str) -> Result<Url, MarketplaceError> {
        self.http.url(&format!("{}{api_path}", self.host))
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
        tracking: TrackingMode::ArrangeShipment,
        api_version: "v2".to_owned(),
    }
}

#[async_trait]
impl Marketplace for ShopeeConnector {
    fn platform(&self) -> Platform {
        Platform::Shopee
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn pull_orders(
        &self,
        window: Window,
        cursor: Option<&Cursor>,
    ) -> Result<OrderPage, MarketplaceError> {
        let span = tracing::info_span!("shopee_pull", store = %self.store.id);
        orders::pull_orders(self, window, cursor)
            .instrument(span)
            .await
            .map_err(|e| e.with_platform(Platform::Shopee))
    }

    async fn fetch_label(
        &self,
        order: &PlatformOrder,
        spec: &LabelSpec,
    ) -> Result<Label, MarketplaceError> {
        labels::fetch_label(self, order, spec)
            .await
            .map_err(|e| e.with_platform(Platform::Shopee))
    }

    async fn upload_tracking(&self, shipment: &Shipment) -> Result<TrackingAck, MarketplaceError> {
        tracking::upload_tracking(self, shipment)
            .await
            .map_err(|e| e.with_platform(Platform::Shopee))
    }
}

/// What Shopee's gateway checks on every call: the common parameters, the timestamp's age and
/// the signature recomputed with the partner key (`platform_secrets.partner_key`).
pub fn check_signature(
    secrets: &serde_json::Value,
    request: &WireRequest,
    now: i64,
) -> Result<(), MockRejection> {
    let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
    let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let path = auth::api_path(&request.url);
    let request_id =
        sha256_hex(format!("{}{}", path, get("timestamp").unwrap_or_default()).as_bytes());
    let reject = |status: u16, error: &str, message: &str| MockRejection {
        status,
        body: json!({ "request_id": &request_id[..32], "error": error, "message": message }),
    };

    let partner_id = get("partner_id")
        .ok_or_else(|| reject(400, "error_param", "There is no partner_id in query."))?;
    let partner_id: u64 = partner_id.parse().map_err(|_| {
        reject(
            400,
            "error_param",
            "Partner_id is invalid, should be an integer between 0 and 4294967295.",
        )
    })?;
    if let Some(known) = secrets.get("partner_id").and_then(id_of) {
        if known != partner_id {
            return Err(reject(
                403,
                "invalid_partner_id",
                "Invalid partner_id, please have a check.",
            ));
        }
    }
    let timestamp = get("timestamp").ok_or_else(|| reject(400, "error_param", "no timestamp"))?;
    let timestamp: i64 = timestamp.parse().map_err(|_| {
        reject(
            400,
            "error_param",
            "Timestamp is invalid, should be an integer between 0 and 4294967295.",
        )
    })?;
    if (now - timestamp).abs() > TIMESTAMP_VALIDITY_SECS {
        return Err(reject(400, "error_param", "Timestamp is expired."));
    }
    let sign =
        get("sign").ok_or_else(|| reject(400, "error_param", "There is no sign in query."))?;
    let shop = if auth::is_public_path(path) {
        None
    } else {
        let access_token = get("access_token")
            .ok_or_else(|| reject(400, "error_param", "There is no access_token in query."))?;
        let shop_id = get("shop_id")
            .ok_or_else(|| reject(400, "error_param", "There is no shop_id in query."))?;
        let shop_id: u64 = shop_id.parse().map_err(|_| {
            reject(
                400,
                "error_param",
                "shop_id is invalid, should be an integer between 0 and 4294967295.",
            )
        })?;
        Some((access_token, shop_id))
    };
    let Some(key) = secrets.get("partner_key").and_then(|k| k.as_str()) else {
        return Err(reject(403, "error_sign", "Wrong sign."));
    };
    let key = SecretString::from(key.to_owned());
    let expected = auth::sign(&key, &auth::base_string(partner_id, path, timestamp, shop));
    if signatures_match(&expected, sign) {
        Ok(())
    } else {
        Err(reject(403, "error_sign", "Wrong sign."))
    }
}

fn id_of(v: &serde_json::Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bytes::Bytes;
    use http::{HeaderMap, Method};

    const KEY: &str = "shpk4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4";

    fn wire(url: &str) -> WireRequest {
        WireRequest {
            method: Method::GET,
            url: Url::parse(url).unwrap(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    #[test]
    fn mock_verifies_the_worked_example() {
        let secrets = json!({ "partner_key": KEY, "partner_id": 2001887 });
        let shop = "http://mock/api/v2/order/get_order_list?partner_id=2001887&timestamp=1717000000&access_token=4d6f6e6b6579546f6b656e&shop_id=14701711&sign=68c5e189c45fd56f746c0ca86ccf3f9bd4ac1c2f518a130317ddc38642eef707";
        assert_eq!(check_signature(&secrets, &wire(shop), 1717000010), Ok(()));
        let public = "http://mock/api/v2/auth/token/get?partner_id=2001887&timestamp=1717000000&sign=5ff8b53c7218a19453dc160b965e8cac339f11665872e796c5752a04e764d41c";
        assert_eq!(check_signature(&secrets, &wire(public), 1717000010), Ok(()));

        let wrong = check_signature(
            &json!({ "partner_key": "another" }),
            &wire(shop),
            1717000010,
        )
        .unwrap_err();
        assert_eq!(wrong.status, 403);
        assert_eq!(wrong.body["error"], "error_sign");
        assert_eq!(wrong.body["message"], "Wrong sign.");
        let stale = check_signature(&secrets, &wire(shop), 1717000000 + 301).unwrap_err();
        assert_eq!(stale.body["message"], "Timestamp is expired.");
        let no_ts = check_signature(
            &secrets,
            &wire("http://mock/api/v2/order/get_order_list?partner_id=2001887&sign=x"),
            0,
        )
        .unwrap_err();
        assert_eq!(no_ts.body["error"], "error_param");
        let no_token = check_signature(&secrets, &wire("http://mock/api/v2/order/get_order_list?partner_id=2001887&timestamp=5&sign=x&shop_id=1"), 5).unwrap_err();
        assert_eq!(
            no_token.body["message"],
            "There is no access_token in query."
        );
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
        let target = connector_testkit::conformance::Target::new(Arc::new(ShopeeFactory));
        let (server, loaded) = target.serve(name).await;
        let connector = target.connector_with(&server, &loaded, |o| o.token_sink = sink);
        (server, loaded, connector)
    }

    #[tokio::test]
    async fn the_rotated_refresh_token_reaches_the_sink() {
        let sink = Arc::new(connector_testkit::conformance::RotationLog::default());
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
            sink.rotated().as_slice(),
            ["fixture-refresh-token-rotated-0002"]
        );
    }

    #[tokio::test]
    async fn a_repeated_ship_order_is_already_confirmed() {
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
    async fn the_label_carries_tracking_number_and_carrier() {
        let (_server, loaded, c) = replay("label", None).await;
        let w = loaded.expect.window.unwrap();
        let pulled = connector_testkit::conformance::pull_all(
            c.as_ref(),
            Window::new(w.from, w.to).unwrap(),
            None,
        )
        .await
        .unwrap();
        let label = c
            .fetch_label(&pulled.orders[0], &LabelSpec::default())
            .await
            .unwrap();
        assert_eq!(label.tracking_number.as_deref(), Some("SPXSG02651170123B"));
        assert_eq!(label.carrier.as_deref(), Some("Standard Delivery (SPX)"));
        assert!(label.bytes.starts_with(b"%PDF"));
        let zpl = LabelSpec {
            format: Some(core_model::LabelFormat::Zpl),
            ..LabelSpec::default()
        };
        let e = c.fetch_label(&pulled.orders[0], &zpl).await.unwrap_err();
        assert_eq!(e.kind(), core_model::ErrorKind::Unsupported);
    }

    #[test]
    fn declares_shopee_capabilities() {
        let c = capabilities();
        assert_eq!(c.max_window, Some(Duration::from_secs(15 * 86_400)));
        assert_eq!(c.page_size, 100);
        assert!(c.filters_by_update_time && c.platform_labels);
        assert_eq!(c.tracking, TrackingMode::ArrangeShipment);
    }
}
