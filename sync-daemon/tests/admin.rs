//! The admin HTTP API through its router (no socket): health, readiness, metrics, bearer
//! tokens and seller scoping, stores, manual sync, runs, orders, and bad input.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, TimeZone, Utc};
use connector_kit::{parse_credentials, CallStats, CredentialKey, TokenSink};
use core_model::store::{OrderStore, RunStatus, TokenScope};
use core_model::{
    Address, Capabilities, Cursor, Label, LabelSpec, Marketplace, MarketplaceError, NeutralStatus,
    OrderLine, OrderPage, Platform, PlatformOrder, SellerId, Shipment, StoreId, StoreRef,
    TrackingAck, TrackingMode, Window,
};
use metrics_exporter_prometheus::PrometheusBuilder;
use serde_json::{json, Value};
use sqlx::{Connection, Executor, PgConnection};
use sync_daemon::admin::{self, AdminState, Readiness};
use sync_daemon::sync::{ConnectorSource, Engine, ManualClock, SyncSettings};
use sync_daemon::vault::Vault;
use tower::ServiceExt;

// ---------------------------------------------------------------------------------------------
// A connector that only checks its credentials: the API never pulls in these tests.

#[derive(Debug)]
struct FakeConnector {
    caps: Capabilities,
}

#[async_trait]
impl Marketplace for FakeConnector {
    fn platform(&self) -> Platform {
        Platform::Shopify
    }

    fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    async fn pull_orders(
        &self,
        _: Window,
        _: Option<&Cursor>,
    ) -> Result<OrderPage, MarketplaceError> {
        Ok(OrderPage {
            orders: Vec::new(),
            malformed: Vec::new(),
            next_cursor: None,
        })
    }

    async fn fetch_label(
        &self,
        _: &PlatformOrder,
        _: &LabelSpec,
    ) -> Result<Label, MarketplaceError> {
        Err(MarketplaceError::unsupported("fake"))
    }

    async fn upload_tracking(&self, _: &Shipment) -> Result<TrackingAck, MarketplaceError> {
        Err(MarketplaceError::unsupported("fake"))
    }
}

const KEYS: &[CredentialKey] = &[
    CredentialKey::required("shop"),
    CredentialKey::required_secret("access_token"),
];

#[derive(serde::Deserialize)]
#[allow(dead_code, reason = "parsed only to check the credentials")]
struct FakeCredentials {
    shop: String,
    access_token: String,
}

/// Checks credentials the way every connector does, with the kit's parser.
#[derive(Debug)]
struct FakeSource;

impl ConnectorSource for FakeSource {
    fn build(
        &self,
        _store: StoreRef,
        credentials: &Value,
        _sink: Arc<dyn TokenSink>,
        _stats: Arc<CallStats>,
    ) -> anyhow::Result<Arc<dyn Marketplace>> {
        parse_credentials::<FakeCredentials>(credentials, KEYS)?;
        Ok(Arc::new(FakeConnector {
            caps: Capabilities {
                max_window: None,
                page_size: 50,
                filters_by_update_time: true,
                window_end_lag: Duration::ZERO,
                order_list_quota: None,
                platform_labels: false,
                tracking: TrackingMode::None,
                api_version: "fake".into(),
            },
        }))
    }
}

fn good_credentials() -> Value {
    json!({ "shop": "acme", "access_token": "shpat-good" })
}

// ---------------------------------------------------------------------------------------------
// Harness

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap()
}

fn at(minute: i64) -> DateTime<Utc> {
    t0() + chrono::Duration::minutes(minute)
}

/// Two sellers (A and B) with a token each, an operator token, and a router over a fresh
/// store.
struct Api {
    router: Router,
    store: OrderStore,
    readiness: Readiness,
    operator: String,
    seller_a: SellerId,
    token_a: String,
    seller_b: SellerId,
    token_b: String,
    _dir: Option<tempfile::TempDir>,
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// The error code of an error answer, after checking its shape.
    fn error_code(&self) -> String {
        let v = self.json();
        assert!(v["error"]["message"].is_string(), "{v}");
        v["error"]["code"].as_str().unwrap().to_owned()
    }
}

impl Api {
    /// Over a fresh SQLite file, without metrics.
    async fn new() -> Self {
        Api::with_metrics(None).await
    }

    async fn with_metrics(metrics: Option<metrics_exporter_prometheus::PrometheusHandle>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("admin.db").display());
        Api::open(&url, Some(dir), metrics).await
    }

    async fn open(
        url: &str,
        dir: Option<tempfile::TempDir>,
        metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    ) -> Self {
        let store = OrderStore::connect(url).await.unwrap();
        store.migrate().await.unwrap();
        let engine = Engine::new(
            store.clone(),
            Arc::new(Vault::from_key([7; 32])),
            Arc::new(FakeSource),
            Arc::new(ManualClock::new(t0())),
            SyncSettings::default(),
            "admin-test",
        );
        let seller_a = store.create_seller("A").await.unwrap();
        let seller_b = store.create_seller("B").await.unwrap();
        let operator = admin::create_token(&store, TokenScope::Operator, "ops")
            .await
            .unwrap();
        let token_a = admin::create_token(&store, TokenScope::Seller(seller_a), "a")
            .await
            .unwrap();
        let token_b = admin::create_token(&store, TokenScope::Seller(seller_b), "b")
            .await
            .unwrap();
        let readiness = Readiness::new();
        let router = admin::router(AdminState {
            store: store.clone(),
            engine,
            readiness: readiness.clone(),
            metrics,
        });
        Api {
            router,
            store,
            readiness,
            operator,
            seller_a,
            token_a,
            seller_b,
            token_b,
            _dir: dir,
        }
    }

    async fn send(&self, req: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(req).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Answer {
            status,
            headers,
            text: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    /// A request with `token` as bearer and `body` as JSON.
    async fn call(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let req = match body {
            Some(body) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => req.body(Body::empty()),
        };
        self.send(req.unwrap()).await
    }

    async fn get(&self, uri: &str, token: &str) -> Answer {
        self.call(Method::GET, uri, Some(token), None).await
    }

    /// A raw JSON text body, for input that is not valid JSON.
    async fn post_text(&self, uri: &str, token: &str, body: &str) -> Answer {
        let req = Request::post(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap();
        self.send(req).await
    }

    /// An authorized store of `seller`, made through the API.
    async fn add_store(&self, token: &str, name: &str) -> StoreId {
        let answer = self
            .call(
                Method::POST,
                "/v1/stores",
                Some(token),
                Some(json!({ "platform": "shopify", "name": name,
                             "credentials": good_credentials() })),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
        StoreId(answer.json()["id"].as_i64().unwrap())
    }

    /// Upserts one order of `store`, returns its order id.
    async fn add_order(
        &self,
        store: StoreId,
        id: &str,
        status: NeutralStatus,
        updated: DateTime<Utc>,
    ) -> i64 {
        self.store
            .upsert_orders(&[order(store, id, status, updated)])
            .await
            .unwrap();
        self.store.get_order(store, id).await.unwrap().unwrap().id.0
    }
}

/// Runs `case` over a fresh SQLite file.
async fn on_sqlite<F, Fut>(case: F)
where
    F: FnOnce(Api) -> Fut,
    Fut: Future<Output = ()>,
{
    case(Api::new().await).await;
}

/// Runs `case` in a PostgreSQL database of its own, created on the server `DATABASE_URL`
/// names and dropped afterwards even when the case fails.
async fn on_postgres<F, Fut>(case: F)
where
    F: FnOnce(Api) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    // Without a server the PostgreSQL twin of each case passes vacuously.
    let Ok(base) = std::env::var("DATABASE_URL") else {
        return;
    };
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "omsync_admintest_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        Utc::now().timestamp_subsec_nanos()
    );
    let mut server = PgConnection::connect(&base).await.unwrap();
    server
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    let mut url = url::Url::parse(&base).unwrap();
    url.set_path(&name);
    let api = Api::open(url.as_str(), None, None).await;
    let store = api.store.clone();
    let outcome = tokio::spawn(case(api)).await;
    store.close().await;
    server
        .execute(format!("DROP DATABASE {name} WITH (FORCE)").as_str())
        .await
        .unwrap();
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// One `#[tokio::test]` per case and backend: `sqlite::<case>` and `postgres::<case>`.
macro_rules! api_tests {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $case() {
                crate::on_sqlite(super::$case).await;
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $case() {
                crate::on_postgres(super::$case).await;
            })*
        }
    };
}

api_tests! {
    v1_needs_a_known_bearer_token,
    created_tokens_are_random_and_only_their_hash_is_kept,
    a_seller_token_never_reaches_another_sellers_data,
    posting_a_store_creates_and_authorizes_it,
    posting_a_store_refuses_bad_scope_platform_and_seller,
    bad_credentials_answer_400_naming_the_key_not_the_value,
    deleting_a_store_deactivates_it_and_cancels_its_run,
    manual_sync_twice_returns_the_same_run,
    manual_sync_takes_a_window_and_refuses_an_empty_one,
    runs_list_newest_first_up_to_the_limit,
    orders_filter_by_store_status_flow_and_time_and_page_by_id,
    malformed_json_is_a_400_in_the_error_shape,
    bad_query_params_and_ids_are_400_in_the_error_shape,
}

fn order(
    store: StoreId,
    id: &str,
    status: NeutralStatus,
    updated_at: DateTime<Utc>,
) -> PlatformOrder {
    PlatformOrder {
        store,
        platform: Platform::Shopify,
        platform_order_id: id.to_owned(),
        platform_status: status.as_str().to_owned(),
        status,
        created_at: t0(),
        updated_at,
        currency: "USD".into(),
        buyer_name: Some("Jane Buyer".into()),
        ship_to: Address::default(),
        lines: vec![OrderLine {
            line_id: None,
            platform_sku: "SKU-1".into(),
            platform_item_id: None,
            platform_variant_id: None,
            title: None,
            quantity: 1,
            unit_price: rust_decimal::Decimal::ONE,
        }],
        platform_label_hint: false,
        raw: serde_json::value::RawValue::from_string(format!(r#"{{"id":"{id}"}}"#)).unwrap(),
    }
}

/// The `key` field of every element of `list`.
fn field(list: &Value, key: &str) -> Vec<Value> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|v| v[key].clone())
        .collect()
}

fn platform_ids(page: &Value) -> Vec<String> {
    field(&page["orders"], "platform_order_id")
        .into_iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Health, readiness, metrics

#[tokio::test]
async fn healthz_answers_without_a_token() {
    let api = Api::new().await;
    let answer = api.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["status"], "ok");
}

#[tokio::test]
async fn readyz_is_503_until_ready_and_again_once_stopping() {
    let api = Api::new().await;
    let readyz = || api.call(Method::GET, "/readyz", None, None);

    let starting = readyz().await;
    assert_eq!(starting.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(starting.json()["status"], "starting");

    api.readiness.set_ready();
    let ready = readyz().await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.json()["status"], "ready");

    api.readiness.set_stopping();
    assert_eq!(readyz().await.status, StatusCode::SERVICE_UNAVAILABLE);
    // Once stopping, nothing makes the daemon ready again.
    api.readiness.set_ready();
    let stopping = readyz().await;
    assert_eq!(stopping.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(stopping.json()["status"], "stopping");
}

#[tokio::test]
async fn metrics_renders_recorded_counters() {
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    metrics::with_local_recorder(&recorder, || {
        sync_daemon::telemetry::run_finished(
            Platform::Shopify,
            core_model::store::RunKind::Manual,
            RunStatus::Succeeded,
        );
    });
    let api = Api::with_metrics(Some(handle)).await;
    let answer = api.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let line = answer
        .text
        .lines()
        .find(|l| l.starts_with("omsync_sync_runs_total{"))
        .unwrap_or_else(|| panic!("no counter in:\n{}", answer.text));
    assert!(line.contains(r#"platform="shopify""#), "{line}");
    assert!(line.ends_with(" 1"), "{line}");

    let without = Api::new().await;
    let answer = without.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.error_code(), "metrics_unavailable");
}

// ---------------------------------------------------------------------------------------------
// Tokens

async fn v1_needs_a_known_bearer_token(api: Api) {
    for token in [None, Some("omsync_not-a-real-token"), Some("")] {
        let answer = api.call(Method::GET, "/v1/stores", token, None).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(answer.error_code(), "unauthorized");
        assert_eq!(answer.headers[header::WWW_AUTHENTICATE], "Bearer");
    }
    // Another scheme with a valid token is still no bearer token.
    let req = Request::get("/v1/stores")
        .header(header::AUTHORIZATION, format!("Basic {}", api.operator))
        .body(Body::empty())
        .unwrap();
    assert_eq!(api.send(req).await.status, StatusCode::UNAUTHORIZED);
    // Unknown paths under /v1 are not revealed to a caller without a token.
    let answer = api.call(Method::GET, "/v1/nothing-here", None, None).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let answer = api.get("/v1/nothing-here", &api.operator).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.error_code(), "not_found");

    assert_eq!(
        api.get("/v1/stores", &api.operator).await.status,
        StatusCode::OK
    );
}

async fn created_tokens_are_random_and_only_their_hash_is_kept(api: Api) {
    let token = admin::create_token(&api.store, TokenScope::Seller(api.seller_a), "x")
        .await
        .unwrap();
    let body = token.strip_prefix("omsync_").unwrap();
    assert_eq!(body.len(), 43, "32 bytes, base64url without padding");
    assert!(body
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    assert_ne!(token, api.token_a);
    assert_eq!(
        api.store
            .token_scope(&admin::hash_token(&token))
            .await
            .unwrap(),
        Some(TokenScope::Seller(api.seller_a))
    );
    // Looked up by hash: the token itself is not a key.
    assert_eq!(api.store.token_scope(token.as_bytes()).await.unwrap(), None);
    // SHA-256("abc"), the FIPS 180-2 test vector.
    assert_eq!(
        hex(&admin::hash_token("abc")),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------------------------
// Seller scoping

async fn a_seller_token_never_reaches_another_sellers_data(api: Api) {
    let a = api.add_store(&api.token_a, "a-shop").await;
    let b = api.add_store(&api.token_b, "b-shop").await;
    let order_a = api
        .add_order(a, "A-1", NeutralStatus::AwaitingFulfillment, at(1))
        .await;
    let order_b = api
        .add_order(b, "B-1", NeutralStatus::AwaitingFulfillment, at(2))
        .await;
    let run_b = api
        .call(
            Method::POST,
            &format!("/v1/stores/{}/sync", b.0),
            Some(&api.token_b),
            None,
        )
        .await
        .json()["run_id"]
        .as_i64()
        .unwrap();
    let run_a = api
        .call(
            Method::POST,
            &format!("/v1/stores/{}/sync", a.0),
            Some(&api.token_a),
            None,
        )
        .await
        .json()["run_id"]
        .as_i64()
        .unwrap();
    let ta = api.token_a.as_str();

    // Lists hold only seller A's own.
    let stores = api.get("/v1/stores", ta).await.json();
    assert_eq!(field(&stores["stores"], "id"), [json!(a.0)]);
    let asked_b = api
        .get(&format!("/v1/stores?seller_id={}", api.seller_b.0), ta)
        .await
        .json();
    assert_eq!(asked_b["stores"], json!([]));
    let runs = api.get("/v1/runs", ta).await.json();
    assert_eq!(field(&runs["runs"], "id"), [json!(run_a)]);
    assert_eq!(
        api.get(&format!("/v1/runs?store_id={}", b.0), ta)
            .await
            .json()["runs"],
        json!([])
    );
    assert_eq!(
        platform_ids(&api.get("/v1/orders", ta).await.json()),
        ["A-1"]
    );
    assert!(platform_ids(
        &api.get(&format!("/v1/orders?store_id={}", b.0), ta)
            .await
            .json()
    )
    .is_empty());

    // Another seller's ids answer exactly as ids that do not exist.
    for (theirs, missing) in [
        (
            format!("/v1/stores/{}", b.0),
            "/v1/stores/999999".to_owned(),
        ),
        (format!("/v1/runs/{run_b}"), "/v1/runs/999999".to_owned()),
        (
            format!("/v1/orders/{order_b}"),
            "/v1/orders/999999".to_owned(),
        ),
    ] {
        let answer = api.get(&theirs, ta).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{theirs}");
        assert_eq!(answer.text, api.get(&missing, ta).await.text, "{theirs}");
    }
    let sync_b = api
        .call(
            Method::POST,
            &format!("/v1/stores/{}/sync", b.0),
            Some(ta),
            None,
        )
        .await;
    assert_eq!(sync_b.status, StatusCode::NOT_FOUND);
    let delete_b = api
        .call(
            Method::DELETE,
            &format!("/v1/stores/{}", b.0),
            Some(ta),
            None,
        )
        .await;
    assert_eq!(delete_b.status, StatusCode::NOT_FOUND);
    assert!(
        api.store.get_store(b).await.unwrap().unwrap().active,
        "B's store untouched"
    );

    // Sync-all queues only the caller's stores.
    let all = api.call(Method::POST, "/v1/sync", Some(ta), None).await;
    assert_eq!(all.status, StatusCode::ACCEPTED);
    assert_eq!(field(&all.json()["runs"], "store_id"), [json!(a.0)]);

    // Seller A's own ids work.
    assert_eq!(
        api.get(&format!("/v1/stores/{}", a.0), ta).await.status,
        StatusCode::OK
    );
    assert_eq!(
        api.get(&format!("/v1/runs/{run_a}"), ta).await.status,
        StatusCode::OK
    );
    let own = api.get(&format!("/v1/orders/{order_a}"), ta).await;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.json()["platform_order_id"], "A-1");
    assert_eq!(own.json()["raw"], json!({ "id": "A-1" }));
    assert_eq!(own.json()["tracking_uploads"], json!([]));
    // A shipment in the outbox shows as the order's upload status.
    let shipment = core_model::Shipment {
        platform_order_id: "A-1".into(),
        package_ref: "pkg-1".into(),
        carrier_code: "UPS".into(),
        carrier_name: None,
        shipping_method: None,
        tracking_number: "1ZA1".into(),
        shipped_at: chrono::Utc::now(),
        lines: Vec::new(),
    };
    api.store
        .enqueue_tracking(a, &shipment, chrono::Utc::now())
        .await
        .unwrap();
    let own = api.get(&format!("/v1/orders/{order_a}"), ta).await.json();
    assert_eq!(own["tracking_uploads"][0]["status"], "pending");
    assert_eq!(
        own["tracking_uploads"][0]["shipment"]["tracking_number"],
        "1ZA1"
    );

    // The operator sees everything.
    let op = api.operator.as_str();
    let stores = api.get("/v1/stores", op).await.json();
    assert_eq!(field(&stores["stores"], "id"), [json!(a.0), json!(b.0)]);
    let only_b = api
        .get(&format!("/v1/stores?seller_id={}", api.seller_b.0), op)
        .await
        .json();
    assert_eq!(field(&only_b["stores"], "id"), [json!(b.0)]);
    let runs = api.get("/v1/runs", op).await.json();
    assert_eq!(
        field(&runs["runs"], "id"),
        [json!(run_a), json!(run_b)],
        "newest first"
    );
    assert_eq!(
        platform_ids(&api.get("/v1/orders", op).await.json()),
        ["A-1", "B-1"]
    );
    for path in [
        format!("/v1/stores/{}", b.0),
        format!("/v1/runs/{run_b}"),
        format!("/v1/orders/{order_b}"),
    ] {
        assert_eq!(api.get(&path, op).await.status, StatusCode::OK, "{path}");
    }
    let all = api.call(Method::POST, "/v1/sync", Some(op), None).await;
    assert_eq!(
        field(&all.json()["runs"], "store_id"),
        [json!(a.0), json!(b.0)]
    );
    let delete_b = api
        .call(
            Method::DELETE,
            &format!("/v1/stores/{}", b.0),
            Some(op),
            None,
        )
        .await;
    assert_eq!(delete_b.status, StatusCode::NO_CONTENT);
}

// ---------------------------------------------------------------------------------------------
// Stores

async fn posting_a_store_creates_and_authorizes_it(api: Api) {
    let answer = api
        .call(
            Method::POST,
            "/v1/stores",
            Some(&api.operator),
            Some(json!({ "platform": "shopify", "name": "Acme US",
                         "credentials": good_credentials(), "seller_id": api.seller_a.0 })),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let store = answer.json();
    assert_eq!(store["platform"], "shopify");
    assert_eq!(store["name"], "Acme US");
    assert_eq!(store["seller_id"], api.seller_a.0);
    assert_eq!(store["authorized"], true);
    assert_eq!(store["active"], true);
    assert!(
        !answer.text.contains("shpat-good"),
        "credentials are never echoed"
    );
    let id = StoreId(store["id"].as_i64().unwrap());
    assert!(api.store.store_credentials(id).await.unwrap().is_some());

    // A seller token may name its own seller, or none.
    let own = api
        .call(
            Method::POST,
            "/v1/stores",
            Some(&api.token_a),
            Some(
                json!({ "platform": "shopify", "name": "A2", "credentials": good_credentials(),
                         "seller_id": api.seller_a.0 }),
            ),
        )
        .await;
    assert_eq!(own.status, StatusCode::CREATED);
}

async fn posting_a_store_refuses_bad_scope_platform_and_seller(api: Api) {
    let api = &api;
    let post = |token: String, body: Value| async move {
        api.call(Method::POST, "/v1/stores", Some(&token), Some(body))
            .await
    };
    let body = |extra: Value| {
        let mut v =
            json!({ "platform": "shopify", "name": "x", "credentials": good_credentials() });
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        v
    };

    let no_seller = post(api.operator.clone(), body(json!({}))).await;
    assert_eq!(no_seller.status, StatusCode::BAD_REQUEST);
    assert!(no_seller.text.contains("seller_id"), "{}", no_seller.text);

    let other_seller = post(
        api.token_a.clone(),
        body(json!({ "seller_id": api.seller_b.0 })),
    )
    .await;
    assert_eq!(other_seller.status, StatusCode::FORBIDDEN);
    assert_eq!(other_seller.error_code(), "forbidden");

    let unknown_seller = post(api.operator.clone(), body(json!({ "seller_id": 424242 }))).await;
    assert_eq!(unknown_seller.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown_seller.error_code(), "unknown_seller");

    let unknown_platform = post(api.token_a.clone(), body(json!({ "platform": "myspace" }))).await;
    assert_eq!(unknown_platform.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown_platform.error_code(), "unknown_platform");
    assert!(unknown_platform.text.contains("myspace"));

    let empty_name = post(api.token_a.clone(), body(json!({ "name": "  " }))).await;
    assert_eq!(empty_name.status, StatusCode::BAD_REQUEST);

    // None of these made a store.
    assert!(api.store.list_stores(None).await.unwrap().is_empty());
}

async fn bad_credentials_answer_400_naming_the_key_not_the_value(api: Api) {
    let secret = "shpat-SECRET-0123456789";
    for credentials in [
        // A secret of the wrong type.
        json!({ "shop": "acme", "access_token": [secret] }),
        // A required key missing, the secret under a wrong name.
        json!({ "shop": "acme", "acess_token": secret }),
    ] {
        let answer = api
            .call(
                Method::POST,
                "/v1/stores",
                Some(&api.token_a),
                Some(json!({ "platform": "shopify", "name": "x", "credentials": credentials })),
            )
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text);
        assert_eq!(answer.error_code(), "invalid_credentials");
        let message = answer.json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains("access_token"), "{message}");
        assert!(!answer.text.contains(secret), "{}", answer.text);
    }
    // Refused credentials leave no store behind.
    assert!(api.store.list_stores(None).await.unwrap().is_empty());
}

async fn deleting_a_store_deactivates_it_and_cancels_its_run(api: Api) {
    let store = api.add_store(&api.token_a, "a").await;
    let run = api
        .call(
            Method::POST,
            &format!("/v1/stores/{}/sync", store.0),
            Some(&api.token_a),
            None,
        )
        .await
        .json()["run_id"]
        .as_i64()
        .unwrap();

    let answer = api
        .call(
            Method::DELETE,
            &format!("/v1/stores/{}", store.0),
            Some(&api.token_a),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    assert!(answer.text.is_empty());

    let info = api
        .get(&format!("/v1/stores/{}", store.0), &api.token_a)
        .await
        .json();
    assert_eq!(info["active"], false);
    assert_eq!(info["authorized"], false);
    let run = api
        .get(&format!("/v1/runs/{run}"), &api.token_a)
        .await
        .json();
    assert_eq!(run["status"], "cancelled");

    // A removed store cannot be synced.
    let sync = api
        .call(
            Method::POST,
            &format!("/v1/stores/{}/sync", store.0),
            Some(&api.token_a),
            None,
        )
        .await;
    assert_eq!(sync.status, StatusCode::CONFLICT);
    assert_eq!(sync.error_code(), "store_inactive");
    let all = api
        .call(Method::POST, "/v1/sync", Some(&api.token_a), None)
        .await;
    assert_eq!(all.json()["runs"], json!([]));
}

// ---------------------------------------------------------------------------------------------
// Manual sync and runs

async fn manual_sync_twice_returns_the_same_run(api: Api) {
    let store = api.add_store(&api.token_a, "a").await;
    let uri = format!("/v1/stores/{}/sync", store.0);

    let first = api.call(Method::POST, &uri, Some(&api.token_a), None).await;
    assert_eq!(first.status, StatusCode::ACCEPTED);
    assert_eq!(first.json()["created"], true);
    let second = api.call(Method::POST, &uri, Some(&api.token_a), None).await;
    assert_eq!(second.status, StatusCode::ACCEPTED);
    assert_eq!(second.json()["created"], false);
    assert_eq!(second.json()["run_id"], first.json()["run_id"]);

    let run = api
        .get(
            &format!("/v1/runs/{}", first.json()["run_id"]),
            &api.token_a,
        )
        .await
        .json();
    assert_eq!(run["kind"], "manual");
    assert_eq!(run["status"], "queued");
    assert_eq!(run["store_id"], store.0);
}

async fn manual_sync_takes_a_window_and_refuses_an_empty_one(api: Api) {
    let store = api.add_store(&api.token_a, "a").await;
    let uri = format!("/v1/stores/{}/sync", store.0);

    let backwards = api
        .call(
            Method::POST,
            &uri,
            Some(&api.token_a),
            Some(json!({ "from": "2026-05-02T00:00:00Z", "to": "2026-05-01T00:00:00Z" })),
        )
        .await;
    assert_eq!(backwards.status, StatusCode::BAD_REQUEST);
    assert!(backwards.text.contains("from"), "{}", backwards.text);
    let equal = api
        .call(
            Method::POST,
            &uri,
            Some(&api.token_a),
            Some(json!({ "from": "2026-05-01T00:00:00Z", "to": "2026-05-01T00:00:00Z" })),
        )
        .await;
    assert_eq!(equal.status, StatusCode::BAD_REQUEST);
    let not_a_time = api
        .call(
            Method::POST,
            &uri,
            Some(&api.token_a),
            Some(json!({ "from": "yesterday", "to": 5 })),
        )
        .await;
    assert_eq!(not_a_time.status, StatusCode::BAD_REQUEST);
    assert_eq!(not_a_time.error_code(), "invalid_body");

    let answer = api
        .call(
            Method::POST,
            &uri,
            Some(&api.token_a),
            Some(json!({ "from": "2026-04-20T00:00:00Z", "to": "2026-04-21T12:00:00Z" })),
        )
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text);
    let run = api
        .get(
            &format!("/v1/runs/{}", answer.json()["run_id"]),
            &api.token_a,
        )
        .await
        .json();
    let window = &run["window"];
    assert_eq!(
        window["from"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap(),
        Utc.with_ymd_and_hms(2026, 4, 20, 0, 0, 0).unwrap()
    );
    assert_eq!(
        window["to"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap(),
        Utc.with_ymd_and_hms(2026, 4, 21, 12, 0, 0).unwrap()
    );
}

async fn runs_list_newest_first_up_to_the_limit(api: Api) {
    let mut runs = Vec::new();
    for name in ["a", "b", "c"] {
        let store = api.add_store(&api.token_a, name).await;
        let answer = api
            .call(
                Method::POST,
                &format!("/v1/stores/{}/sync", store.0),
                Some(&api.token_a),
                None,
            )
            .await;
        runs.push(answer.json()["run_id"].clone());
    }
    runs.reverse();
    let listed = api.get("/v1/runs", &api.token_a).await.json();
    assert_eq!(field(&listed["runs"], "id"), runs);
    let two = api.get("/v1/runs?limit=2", &api.token_a).await.json();
    assert_eq!(field(&two["runs"], "id"), runs[..2]);
    let store_b = listed["runs"][1]["store_id"].as_i64().unwrap();
    let of_b = api
        .get(&format!("/v1/runs?store_id={store_b}"), &api.token_a)
        .await
        .json();
    assert_eq!(field(&of_b["runs"], "id"), [runs[1].clone()]);
}

// ---------------------------------------------------------------------------------------------
// Orders

async fn orders_filter_by_store_status_flow_and_time_and_page_by_id(api: Api) {
    use NeutralStatus::{AwaitingFulfillment as Awaiting, Cancelled, Shipped};
    let s1 = api.add_store(&api.token_a, "one").await;
    let s2 = api.add_store(&api.token_a, "two").await;
    for (store, id, status, minute) in [
        (s1, "o1", Awaiting, 10),
        (s1, "o2", Shipped, 20),
        (s1, "o3", Cancelled, 30),
        (s2, "o4", Awaiting, 40),
        (s2, "o5", Awaiting, 50),
    ] {
        api.add_order(store, id, status, at(minute)).await;
    }
    let list = |query: String| {
        let api = &api;
        async move {
            let answer = api.get(&format!("/v1/orders{query}"), &api.token_a).await;
            assert_eq!(answer.status, StatusCode::OK, "{query}: {}", answer.text);
            answer.json()
        }
    };

    let all = list(String::new()).await;
    assert_eq!(platform_ids(&all), ["o1", "o2", "o3", "o4", "o5"]);
    assert_eq!(all["next_after_id"], Value::Null);
    let first = &all["orders"][0];
    assert_eq!(first["flow_status"], "pending");
    assert_eq!(first["status"], "awaiting_fulfillment");
    assert_eq!(first["lines"][0]["platform_sku"], "SKU-1");
    assert!(
        first.get("raw").is_none(),
        "listed orders come without their raw payload"
    );

    assert_eq!(
        platform_ids(&list(format!("?store_id={}", s2.0)).await),
        ["o4", "o5"]
    );
    assert_eq!(
        platform_ids(&list("?status=awaiting_fulfillment".into()).await),
        ["o1", "o4", "o5"]
    );
    assert_eq!(
        platform_ids(&list("?flow_status=cancelled".into()).await),
        ["o3"]
    );
    assert_eq!(
        platform_ids(&list(format!("?store_id={}&status=shipped", s1.0)).await),
        ["o2"]
    );
    assert_eq!(
        platform_ids(
            &list("?updated_from=2026-05-01T00:20:00Z&updated_to=2026-05-01T00:40:00Z".into())
                .await
        ),
        ["o2", "o3"],
        "from inclusive, to exclusive"
    );
    assert_eq!(
        platform_ids(&list("?updated_from=2026-05-01T00:40:00Z".into()).await),
        ["o4", "o5"]
    );

    // Pages of two, following next_after_id.
    let mut seen = Vec::new();
    let mut query = "?limit=2".to_owned();
    let mut pages = 0;
    loop {
        let page = list(query.clone()).await;
        pages += 1;
        seen.extend(platform_ids(&page));
        match page["next_after_id"].as_i64() {
            Some(after) => {
                assert_eq!(page["orders"].as_array().unwrap().len(), 2);
                assert_eq!(page["orders"][1]["id"], after);
                query = format!("?limit=2&after_id={after}");
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ["o1", "o2", "o3", "o4", "o5"]);
    // A page that ends exactly at the last order says so.
    let exact = list("?status=awaiting_fulfillment&limit=3".into()).await;
    assert_eq!(platform_ids(&exact), ["o1", "o4", "o5"]);
    assert_eq!(exact["next_after_id"], Value::Null);
}

// ---------------------------------------------------------------------------------------------
// Bad input

async fn malformed_json_is_a_400_in_the_error_shape(api: Api) {
    let truncated = api
        .post_text(
            "/v1/stores",
            &api.token_a,
            r#"{"platform": "shopify", "name": "#,
        )
        .await;
    assert_eq!(truncated.status, StatusCode::BAD_REQUEST);
    assert_eq!(truncated.error_code(), "malformed_json");

    let wrong_type = api
        .post_text(
            "/v1/stores",
            &api.token_a,
            r#"{"platform": 5, "name": "x", "credentials": {}}"#,
        )
        .await;
    assert_eq!(wrong_type.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong_type.error_code(), "invalid_body");
    assert!(wrong_type.text.contains("platform"), "{}", wrong_type.text);

    let missing = api
        .post_text("/v1/stores", &api.token_a, r#"{"platform": "shopify"}"#)
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.error_code(), "invalid_body");

    let not_json = Request::post("/v1/stores")
        .header(header::AUTHORIZATION, format!("Bearer {}", api.token_a))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("platform=shopify"))
        .unwrap();
    let answer = api.send(not_json).await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(answer.error_code(), "unsupported_media_type");

    let store = api.add_store(&api.token_a, "a").await;
    let sync = api
        .post_text(&format!("/v1/stores/{}/sync", store.0), &api.token_a, "{")
        .await;
    assert_eq!(sync.status, StatusCode::BAD_REQUEST);
    assert_eq!(sync.error_code(), "malformed_json");
}

async fn bad_query_params_and_ids_are_400_in_the_error_shape(api: Api) {
    for uri in [
        "/v1/orders?limit=abc",
        "/v1/orders?store_id=x",
        "/v1/orders?after_id=1.5",
        "/v1/orders?status=lost",
        "/v1/orders?flow_status=pending_ish",
        "/v1/orders?updated_from=yesterday",
        "/v1/orders?limit=0",
        "/v1/orders?limit=1001",
        "/v1/orders?updated_from=2026-05-02T00:00:00Z&updated_to=2026-05-01T00:00:00Z",
        "/v1/runs?limit=-1",
        "/v1/runs?limit=5000",
        "/v1/stores?seller_id=abc",
    ] {
        let answer = api.get(uri, &api.operator).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{uri}: {}",
            answer.text
        );
        assert_eq!(answer.error_code(), "invalid_query", "{uri}");
    }
    for uri in ["/v1/stores/abc", "/v1/runs/1e3", "/v1/orders/%20"] {
        let answer = api.get(uri, &api.operator).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{uri}: {}",
            answer.text
        );
        assert_eq!(answer.error_code(), "invalid_path", "{uri}");
    }
    let answer = api
        .call(
            Method::POST,
            "/v1/stores/abc/sync",
            Some(&api.operator),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let answer = api
        .call(Method::PUT, "/v1/stores", Some(&api.operator), None)
        .await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.error_code(), "method_not_allowed");
}
