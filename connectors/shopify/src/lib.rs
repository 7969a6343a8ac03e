//! Shopify connector: the Admin GraphQL API pinned at 2025-01 (`POST
//! https://{shop}.myshopify.com/admin/api/2025-01/graphql.json`), orders by update time,
//! tracking through fulfillment orders and `fulfillmentCreate`. No platform labels. One
//! connector serves one shop; the static Admin API token goes in `X-Shopify-Access-Token`.
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
    ApiRequest, ConfigError, ConnectorFactory, ConnectorOptions, CredentialKey, HttpClient,
    MockRejection, RateLimits, WireRequest,
};
use core_model::{
    Capabilities, Cursor, Label, LabelSpec, Marketplace, MarketplaceError, Operation, OrderPage,
    Platform, PlatformOrder, RateSpec, Shipment, StoreRef, TrackingAck, TrackingMode, Window,
};
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use crate::auth::{StaticTokenAuth, ACCESS_TOKEN_HEADER};
use crate::config::Config;
use crate::error::ShopifyClassifier;
use crate::model::{GraphqlRequest, GraphqlResponse};

/// The pinned Admin API version (supported for at least twelve months after release).
pub const API_VERSION: &str = "2025-01";

/// Every call goes to the one GraphQL endpoint and spends from the one cost bucket Shopify
/// keeps per app and shop, so there is one class.
pub const GRAPHQL_CLASS: &str = "admin.graphql";

/// Shopify limits by query cost, not by request count: a leaky bucket per app and shop that
/// restores 100 points/s on standard plans (50 on older ones, up to 2,000 on Enterprise). An
/// order page requests 763 points and is charged far less (the actual cost, typically 50-250),
/// so about one request a second stays within the restore rate of every plan; THROTTLED
/// answers carry the exact wait when a burst outruns it.
/// <https://shopify.dev/docs/api/usage/limits#graphql-admin-api-rate-limits>
pub const GRAPHQL_RATE: RateSpec = RateSpec {
    per_second: 1.0,
    burst: 2,
};

/// The answer Shopify gives a request with a missing or unknown access token (HTTP 401).
pub const INVALID_TOKEN: &str =
    "[API] Invalid API key or access token (unrecognized login or wrong password)";

/// Builds [`ShopifyConnector`]s; registered once in the daemon.
#[derive(Debug, Default, Clone, Copy)]
pub struct ShopifyFactory;

impl ConnectorFactory for ShopifyFactory {
    fn platform(&self) -> Platform {
        Platform::Shopify
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
        let connector = ShopifyConnector::new(store, config, &options)
            .map_err(|e| ConfigError::new("(connector)", e.message().to_owned()))?;
        Ok(Arc::new(connector))
    }

    /// What Shopify checks on every Admin API call: `X-Shopify-Access-Token` holds the shop's
    /// token (`platform_secrets.access_token`); otherwise HTTP 401 with its REST-style body.
    fn check_request(
        &self,
        platform_secrets: &serde_json::Value,
        request: &WireRequest,
    ) -> Result<(), MockRejection> {
        let sent = request
            .headers
            .get(ACCESS_TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|t| !t.is_empty());
        let expected = platform_secrets
            .get("access_token")
            .and_then(|v| v.as_str());
        let ok = match (sent, expected) {
            (Some(sent), Some(expected)) => connector_kit::sign::signatures_match(sent, expected),
            (Some(_), None) => true,
            (None, _) => false,
        };
        if ok {
            Ok(())
        } else {
            Err(MockRejection {
                status: 401,
                body: serde_json::json!({ "errors": INVALID_TOKEN }),
            })
        }
    }

    /// `MailingAddress` street lines, personal data under names the recorder does not know.
    /// (`company` is not scrubbed: `trackingInfo.company` is the carrier, which recordings keep.)
    fn scrub_keys(&self) -> &'static [&'static str] {
        &["address1", "address2"]
    }
}

/// One Shopify shop.
pub struct ShopifyConnector {
    store: StoreRef,
    shop_domain: String,
    endpoint: Url,
    http: HttpClient,
    auth: StaticTokenAuth,
    capabilities: Capabilities,
}

impl fmt::Debug for ShopifyConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShopifyConnector")
            .field("store", &self.store)
            .field("shop_domain", &self.shop_domain)
            .field("api_version", &API_VERSION)
            .finish_non_exhaustive()
    }
}

impl ShopifyConnector {
    pub fn new(
        store: StoreRef,
        config: Config,
        options: &ConnectorOptions,
    ) -> Result<Self, MarketplaceError> {
        let limits =
            RateLimits::new().with(GRAPHQL_CLASS, GRAPHQL_RATE.per_second, GRAPHQL_RATE.burst);
        let http = HttpClient::new(
            Platform::Shopify,
            options,
            limits,
            Arc::new(ShopifyClassifier),
        )?;
        let endpoint = http.url(&format!(
            "https://{}/admin/api/{API_VERSION}/graphql.json",
            config.shop_domain
        ))?;
        Ok(ShopifyConnector {
            store,
            shop_domain: config.shop_domain,
            endpoint,
            http,
            auth: StaticTokenAuth::new(config.access_token),
            capabilities: capabilities(),
        })
    }

    pub fn store(&self) -> StoreRef {
        self.store
    }

    /// One GraphQL operation: its `data`, or the classified error.
    pub(crate) async fn graphql<T: DeserializeOwned>(
        &self,
        operation: Operation,
        name: &str,
        query: &str,
        variables: serde_json::Value,
    ) -> Result<T, MarketplaceError> {
        let body = GraphqlRequest {
            query,
            operation_name: name,
            variables,
        };
        let request =
            ApiRequest::post(operation, GRAPHQL_CLASS, self.endpoint.clone()).json(&body)?;
        let response = self.http.send(request, Some(&self.auth)).await?;
        let envelope: GraphqlResponse<T> = response.json().map_err(|e| {
            MarketplaceError::malformed(format!("{name}: {}", e.message()))
                .with_operation(operation)
        })?;
        envelope.data.ok_or_else(|| {
            MarketplaceError::malformed(format!("{name} answered without `data`"))
                .with_operation(operation)
        })
    }
}

/// What the connector declares.
pub fn capabilities() -> Capabilities {
    Capabilities {
        // The orders query takes any `updated_at` range.
        max_window: None,
        page_size: orders::PAGE_SIZE,
        filters_by_update_time: true,
        window_end_lag: Duration::ZERO,
        order_list_quota: Some(GRAPHQL_RATE),
        platform_labels: false,
        tracking: TrackingMode::ConfirmShipment,
        api_version: format!("admin-graphql/{API_VERSION}"),
    }
}

#[async_trait]
impl Marketplace for ShopifyConnector {
    fn platform(&self) -> Platform {
        Platform::Shopify
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn pull_orders(
        &self,
        window: Window,
        cursor: Option<&Cursor>,
    ) -> Result<OrderPage, MarketplaceError> {
        let span = tracing::info_span!("shopify_pull", store = %self.store.id);
        orders::pull_orders(self, window, cursor)
            .instrument(span)
            .await
            .map_err(|e| {
                e.with_platform(Platform::Shopify)
                    .with_operation(Operation::PullOrders)
            })
    }

    async fn fetch_label(
        &self,
        order: &PlatformOrder,
        spec: &LabelSpec,
    ) -> Result<Label, MarketplaceError> {
        labels::fetch_label(order, spec).map_err(|e| e.with_platform(Platform::Shopify))
    }

    async fn upload_tracking(&self, shipment: &Shipment) -> Result<TrackingAck, MarketplaceError> {
        tracking::upload_tracking(self, shipment)
            .await
            .map_err(|e| {
                e.with_platform(Platform::Shopify)
                    .with_operation(Operation::UploadTracking)
            })
    }
}

/// A test-only estimate of Shopify's requested query cost, following the documented rules:
/// scalars and enums 0, objects 1, connections 2 + `first` x (node cost), lists `first` x
/// (element cost). Used to prove every query stays under the single-query limit.
#[cfg(test)]
pub(crate) mod cost {
    use std::collections::HashMap;

    pub const SINGLE_QUERY_LIMIT: u64 = 1000;

    #[derive(Debug, Clone)]
    struct Field {
        name: String,
        first: Option<u64>,
        children: Vec<Field>,
    }

    struct Parser<'a> {
        tokens: Vec<&'a str>,
        at: usize,
        vars: &'a [(&'a str, u32)],
    }

    fn tokenize(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut start = None;
        for (i, ch) in text.char_indices() {
            let word = ch.is_alphanumeric() || ch == '_' || ch == '$' || ch == '.';
            match (word, start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    out.push(&text[s..i]);
                    start = None;
                }
                _ => {}
            }
            if !word && "{}():!".contains(ch) {
                out.push(&text[i..i + ch.len_utf8()]);
            }
        }
        if let Some(s) = start {
            out.push(&text[s..]);
        }
        out
    }

    impl<'a> Parser<'a> {
        fn next(&mut self) -> &'a str {
            let t = self.tokens.get(self.at).copied().unwrap_or("");
            self.at += 1;
            t
        }
        fn peek(&self) -> &'a str {
            self.tokens.get(self.at).copied().unwrap_or("")
        }
        fn value(&self, token: &str) -> Option<u64> {
            match token.strip_prefix('$') {
                Some(var) => self
                    .vars
                    .iter()
                    .find(|(k, _)| *k == var)
                    .map(|(_, v)| u64::from(*v)),
                None => token.parse().ok(),
            }
        }
        fn selection(&mut self) -> Vec<Field> {
            let mut fields = Vec::new();
            loop {
                let t = self.next();
                if t == "}" || t.is_empty() {
                    return fields;
                }
                let mut field = Field {
                    name: t.to_owned(),
                    first: None,
                    children: Vec::new(),
                };
                if self.peek() == "(" {
                    self.next();
                    while self.peek() != ")" && !self.peek().is_empty() {
                        let key = self.next();
                        if key == "first" && self.next() == ":" {
                            field.first = self.value(self.peek());
                        }
                    }
                    self.next();
                }
                if self.peek() == "{" {
                    self.next();
                    field.children = self.selection();
                }
                fields.push(field);
            }
        }
    }

    fn cost(fields: &[Field], fragments: &HashMap<String, Vec<Field>>) -> u64 {
        fields.iter().map(|f| field_cost(f, fragments)).sum()
    }

    fn field_cost(f: &Field, fragments: &HashMap<String, Vec<Field>>) -> u64 {
        if let Some(name) = f.name.strip_prefix("...") {
            return fragments.get(name).map_or(0, |s| cost(s, fragments));
        }
        if f.children.is_empty() {
            return 0;
        }
        match f.first {
            Some(n) => match f.children.iter().find(|c| c.name == "nodes") {
                Some(nodes) => {
                    let others: Vec<Field> = f
                        .children
                        .iter()
                        .filter(|c| c.name != "nodes")
                        .cloned()
                        .collect();
                    2 + n * (1 + cost(&nodes.children, fragments)) + cost(&others, fragments)
                }
                None => n * (1 + cost(&f.children, fragments)),
            },
            None => 1 + cost(&f.children, fragments),
        }
    }

    /// The requested cost of the operation in `document`, with `vars` for `first: $var`.
    pub fn estimate(document: &str, vars: &[(&str, u32)]) -> u64 {
        let mut p = Parser {
            tokens: tokenize(document),
            at: 0,
            vars,
        };
        let mut fragments = HashMap::new();
        let mut operation = Vec::new();
        while !p.peek().is_empty() {
            match p.next() {
                "fragment" => {
                    let name = p.next().to_owned();
                    while p.next() != "{" {}
                    fragments.insert(name, p.selection());
                }
                "query" => {
                    while p.next() != "{" {}
                    operation = p.selection();
                }
                _ => {}
            }
        }
        cost(&operation, &fragments)
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

    fn wire(token: Option<&'static str>) -> WireRequest {
        let mut headers = HeaderMap::new();
        if let Some(t) = token {
            headers.insert(ACCESS_TOKEN_HEADER, HeaderValue::from_static(t));
        }
        WireRequest {
            method: Method::POST,
            url: Url::parse("http://127.0.0.1:1/admin/api/2025-01/graphql.json").unwrap(),
            headers,
            body: Bytes::new(),
        }
    }

    #[test]
    fn mock_checks_the_access_token_header() {
        let secrets = json!({ "access_token": "shpat_right" });
        let f = ShopifyFactory;
        assert!(f
            .check_request(&secrets, &wire(Some("shpat_right")))
            .is_ok());
        for bad in [wire(Some("shpat_wrong")), wire(None)] {
            let r = f.check_request(&secrets, &bad).unwrap_err();
            assert_eq!(r.status, 401);
            assert_eq!(r.body, json!({ "errors": INVALID_TOKEN }));
        }
    }

    #[test]
    fn declares_shopify_capabilities() {
        let c = capabilities();
        assert_eq!(c.max_window, None);
        assert_eq!(c.page_size, 10);
        assert!(c.filters_by_update_time);
        assert!(!c.platform_labels);
        assert_eq!(c.tracking, TrackingMode::ConfirmShipment);
        assert_eq!(c.api_version, "admin-graphql/2025-01");
        assert_eq!(c.order_list_quota, Some(GRAPHQL_RATE));
    }

    fn window(loaded: &connector_testkit::LoadedScenario) -> Window {
        let w = loaded.expect.window.unwrap();
        Window::new(w.from, w.to).unwrap()
    }

    /// The token never expires and has no refresh: a refused token surfaces as Unauthorized at
    /// once, with no re-send and no call to any token endpoint.
    #[tokio::test]
    async fn a_refused_token_surfaces_as_unauthorized_without_a_token_request() {
        let target = Target::new(Arc::new(ShopifyFactory));
        let (server, loaded) = target.serve("rejected-credentials").await;
        let err = pull_all(
            target.connector(&server, &loaded).as_ref(),
            window(&loaded),
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthorized);
        assert_eq!(err.message(), INVALID_TOKEN);
        let received = server.received_requests().await.unwrap();
        assert_eq!(received.len(), 1, "one request, no re-send");
        assert!(received
            .iter()
            .all(|r| r.url.path() == "/admin/api/2025-01/graphql.json"));
    }

    #[tokio::test]
    async fn the_second_upload_is_already_confirmed_without_a_mutation() {
        let target = Target::new(Arc::new(ShopifyFactory));
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

    #[tokio::test]
    async fn labels_are_unsupported() {
        let target = Target::new(Arc::new(ShopifyFactory));
        let (server, loaded) = target.serve("long-window").await;
        let c = target.connector(&server, &loaded);
        let pulled = pull_all(c.as_ref(), window(&loaded), None).await.unwrap();
        let e = c
            .fetch_label(&pulled.orders[0], &LabelSpec::default())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert!(e.message().contains("2026-07"));
    }

    #[test]
    fn the_cost_estimate_follows_the_documented_example() {
        // shopify.md section 4: `lineItems(first: 100)` inside `fulfillmentOrders(first: 10)`
        // requests about 2,000 points on its own.
        let q = "query { order(id: $id) { fulfillmentOrders(first: 10) { nodes { id
            lineItems(first: 100) { nodes { id lineItem { id } } } } } } }";
        assert_eq!(cost::estimate(q, &[]), 1 + 2 + 10 * (1 + 2 + 100 * 2));
    }
}
