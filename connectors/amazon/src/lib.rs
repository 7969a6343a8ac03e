//! The Amazon Selling Partner API connector: seller-fulfilled (MFN) orders pulled with Orders
//! API v2026-01-01 `searchOrders`, labels bought through the Merchant Fulfillment API v0, and
//! tracking uploaded with Orders API v0 `confirmShipment`. Auth is a Login with Amazon access
//! token in `x-amz-access-token`; there is no request signing.

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
use connector_kit::{
    ConfigError, ConnectorFactory, ConnectorOptions, CredentialKey, HeaderTokenAuth, HttpClient,
    MockRejection, RateLimits, TokenCache, WireRequest,
};
use core_model::marketplace::RateSpec;
use core_model::{
    Capabilities, Cursor, Label, LabelSpec, Marketplace, MarketplaceError, OrderPage, Platform,
    PlatformOrder, Shipment, StoreRef, TrackingAck, TrackingMode, Window,
};
use http::HeaderName;
use url::Url;

use crate::auth::{LwaTokenSource, ACCESS_TOKEN_HEADER};
use crate::config::{Credentials, Region, CREDENTIAL_KEYS, LWA_TOKEN_URL};
use crate::error::AmazonClassifier;

/// Endpoint classes and their default usage plans, from each operation's "Usage Plan" table in
/// the models (orders_2026-01-01.json, ordersV0.json, merchantFulfillmentV0.json).
pub const SEARCH_ORDERS_CLASS: &str = "orders.searchOrders";
pub const GET_ORDER_CLASS: &str = "orders.getOrder";
pub const CONFIRM_SHIPMENT_CLASS: &str = "orders.confirmShipment";
pub const MFN_ELIGIBLE_CLASS: &str = "mfn.getEligibleShipmentServices";
pub const MFN_CREATE_CLASS: &str = "mfn.createShipment";

const SEARCH_ORDERS_QUOTA: RateSpec = RateSpec {
    per_second: 0.0056,
    burst: 20,
};

fn rate_limits() -> RateLimits {
    RateLimits::new()
        .with(
            SEARCH_ORDERS_CLASS,
            SEARCH_ORDERS_QUOTA.per_second,
            SEARCH_ORDERS_QUOTA.burst,
        )
        .with(GET_ORDER_CLASS, 0.5, 30)
        .with(CONFIRM_SHIPMENT_CLASS, 2.0, 10)
        .with(MFN_ELIGIBLE_CLASS, 6.0, 12)
        .with(MFN_CREATE_CLASS, 2.0, 2)
        // LWA publishes no quota for its token endpoint; one refresh an hour per store is the
        // need, so the Tokens API's 1 request/s, burst 10 serves as a polite ceiling.
        .with(TOKEN_CLASS, 1.0, 10)
}

fn capabilities() -> Capabilities {
    Capabilities {
        // searchOrders documents no longest window (only the two-year history limit).
        max_window: None,
        page_size: orders::PAGE_SIZE,
        filters_by_update_time: true,
        window_end_lag: Duration::from_secs(120),
        order_list_quota: Some(SEARCH_ORDERS_QUOTA),
        platform_labels: true,
        tracking: TrackingMode::ConfirmShipment,
        api_version: "orders/2026-01-01".to_owned(),
    }
}

/// Builds [`AmazonConnector`]s; registered once in the daemon.
#[derive(Debug, Clone, Copy, Default)]
pub struct AmazonFactory;

/// One Amazon seller account (the marketplaces of one region) as one store.
pub struct AmazonConnector {
    store: StoreRef,
    region: Region,
    marketplace_ids: Vec<String>,
    api_base: Url,
    http: HttpClient,
    auth: HeaderTokenAuth,
    capabilities: Capabilities,
}

impl fmt::Debug for AmazonConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AmazonConnector")
            .field("store", &self.store)
            .field("region", &self.region)
            .field("marketplace_ids", &self.marketplace_ids)
            .field("api_base", &self.api_base.as_str())
            .finish_non_exhaustive()
    }
}

impl AmazonConnector {
    pub fn store(&self) -> StoreRef {
        self.store
    }

    pub fn marketplace_ids(&self) -> &[String] {
        &self.marketplace_ids
    }

    pub(crate) fn http(&self) -> &HttpClient {
        &self.http
    }

    pub(crate) fn auth(&self) -> &HeaderTokenAuth {
        &self.auth
    }

    /// The region's URL for `path`, with the base-URL override applied.
    pub(crate) fn api_url(&self, path: &str) -> Result<Url, MarketplaceError> {
        let mut url = self.api_base.clone();
        url.set_path(path);
        self.http
            .hosts()
            .rebase(url)
            .map_err(|e| e.with_platform(Platform::Amazon))
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
            .map_err(|e| e.with_platform(Platform::Amazon))
    }
}

#[async_trait]
impl Marketplace for AmazonConnector {
    fn platform(&self) -> Platform {
        Platform::Amazon
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn pull_orders(
        &self,
        window: Window,
        cursor: Option<&Cursor>,
    ) -> Result<OrderPage, MarketplaceError> {
        orders::pull(self, window, cursor).await
    }

    async fn fetch_label(
        &self,
        order: &PlatformOrder,
        spec: &LabelSpec,
    ) -> Result<Label, MarketplaceError> {
        labels::fetch(self, order, spec).await
    }

    async fn upload_tracking(&self, shipment: &Shipment) -> Result<TrackingAck, MarketplaceError> {
        tracking::confirm(self, shipment).await
    }
}

/// LWA's answer to wrong client credentials (RFC 6749 5.2).
fn lwa_rejection(status: u16, error: &str, description: &str) -> MockRejection {
    MockRejection {
        status,
        body: serde_json::json!({ "error_description": description, "error": error }),
    }
}

/// SP-API's answer to a request without a usable access token; the `details` texts are the
/// ones SP-API clients in the wild test for.
fn sp_api_denied(details: &str) -> MockRejection {
    MockRejection {
        status: 403,
        body: serde_json::json!({ "errors": [{
            "code": "Unauthorized",
            "message": "Access to requested resource is denied.",
            "details": details
        }]}),
    }
}

impl ConnectorFactory for AmazonFactory {
    fn platform(&self) -> Platform {
        Platform::Amazon
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
        let http_error =
            |e: MarketplaceError| ConfigError::new("(connector)", e.message().to_owned());
        let http = HttpClient::new(
            Platform::Amazon,
            &options,
            rate_limits(),
            Arc::new(AmazonClassifier),
        )
        .map_err(http_error)?;
        let token_url = http.url(LWA_TOKEN_URL).map_err(http_error)?;
        let api_base = Url::parse(creds.region.api_base())
            .map_err(|e| ConfigError::new("region", format!("invalid host: {e}")))?;
        let source = LwaTokenSource::new(
            http.clone(),
            token_url,
            creds.client_id,
            creds.client_secret,
        );
        let cache = TokenCache::new(
            Arc::new(source),
            creds.refresh_token,
            creds.access_token,
            options.token_sink.clone(),
        );
        let auth = HeaderTokenAuth::new(cache, HeaderName::from_static(ACCESS_TOKEN_HEADER), "");
        Ok(Arc::new(AmazonConnector {
            store,
            region: creds.region,
            marketplace_ids: creds.marketplace_ids,
            api_base,
            http,
            auth,
            capabilities: capabilities(),
        }))
    }

    /// What Amazon checks: LWA checks the client credentials (and the refresh token, when the
    /// mock holds one) on `/auth/o2/token`; SP-API wants an LWA access token (`Atza|...`) in
    /// `x-amz-access-token` on every call.
    fn check_request(
        &self,
        platform_secrets: &serde_json::Value,
        request: &WireRequest,
    ) -> Result<(), MockRejection> {
        let secret = |key: &str| platform_secrets.get(key).and_then(|v| v.as_str());
        if request.url.path().ends_with("/auth/o2/token") {
            let form: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
                .into_owned()
                .collect();
            let field = |key: &str| form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
            let matches = |key: &str| match secret(key) {
                Some(expected) => field(key)
                    .is_some_and(|got| connector_kit::sign::signatures_match(got, expected)),
                None => true,
            };
            if !matches("client_id") || !matches("client_secret") {
                return Err(lwa_rejection(
                    401,
                    "invalid_client",
                    "Client authentication failed",
                ));
            }
            if field("grant_type") != Some("refresh_token") {
                return Err(lwa_rejection(
                    400,
                    "unsupported_grant_type",
                    "The authorization grant type is not supported",
                ));
            }
            if !matches("refresh_token") {
                return Err(lwa_rejection(
                    400,
                    "invalid_grant",
                    "The request has an invalid grant parameter : refresh_token",
                ));
            }
            return Ok(());
        }
        match request
            .headers
            .get(ACCESS_TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
        {
            None => Err(sp_api_denied(
                "Access token is missing in the request header.",
            )),
            Some(t) if t.starts_with("Atza|") && t.len() > "Atza|".len() => Ok(()),
            Some(_) => Err(sp_api_denied(
                "The access token you provided is revoked, malformed or invalid.",
            )),
        }
    }

    /// PII field names of SP-API bodies beyond the recorder's defaults.
    fn scrub_keys(&self) -> &'static [&'static str] {
        &[
            "buyerCompanyName",
            "buyerPurchaseOrderNumber",
            "addressInstruction",
            "dropOffLocation",
            "giftMessage",
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::{HeaderMap, HeaderValue, Method};
    use serde_json::json;

    fn wire(path: &str, token: Option<&'static str>, body: &str) -> WireRequest {
        let mut headers = HeaderMap::new();
        if let Some(t) = token {
            headers.insert(ACCESS_TOKEN_HEADER, HeaderValue::from_static(t));
        }
        WireRequest {
            method: Method::POST,
            url: Url::parse(&format!("http://127.0.0.1:1{path}")).unwrap(),
            headers,
            body: Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn mock_checks_lwa_client_credentials_and_the_access_token_header() {
        let secrets =
            json!({"client_id": "amzn1.application-oa2-client.x", "client_secret": "s3cret"});
        let f = AmazonFactory;
        let good = "grant_type=refresh_token&refresh_token=Atzr%7Cr&client_id=amzn1.application-oa2-client.x&client_secret=s3cret";
        assert!(f
            .check_request(&secrets, &wire("/auth/o2/token", None, good))
            .is_ok());
        let bad = good.replace("s3cret", "wrong");
        let rejection = f
            .check_request(&secrets, &wire("/auth/o2/token", None, &bad))
            .unwrap_err();
        assert_eq!(rejection.status, 401);
        assert_eq!(rejection.body["error"], "invalid_client");

        let orders = "/orders/2026-01-01/orders";
        assert!(f
            .check_request(&secrets, &wire(orders, Some("Atza|abc"), ""))
            .is_ok());
        let missing = f
            .check_request(&secrets, &wire(orders, None, ""))
            .unwrap_err();
        assert_eq!(missing.status, 403);
        assert_eq!(missing.body["errors"][0]["code"], "Unauthorized");
        assert!(f
            .check_request(&secrets, &wire(orders, Some("Bearer abc"), ""))
            .is_err());
    }

    #[test]
    fn capabilities_declare_the_documented_limits() {
        let c = capabilities();
        assert_eq!(c.max_window, None);
        assert_eq!(c.window_end_lag, Duration::from_secs(120));
        assert_eq!(c.page_size, 100);
        assert_eq!(
            c.order_list_quota,
            Some(RateSpec {
                per_second: 0.0056,
                burst: 20
            })
        );
        let limits = rate_limits();
        assert_eq!(
            limits.spec(CONFIRM_SHIPMENT_CLASS),
            Some(RateSpec {
                per_second: 2.0,
                burst: 10
            })
        );
        assert_eq!(
            limits.spec(MFN_CREATE_CLASS),
            Some(RateSpec {
                per_second: 2.0,
                burst: 2
            })
        );
    }
}
