//! The admin API for the OMS suites, through its router (no socket): an operator, two sellers
//! (A with a Shopify store, B with one of its own), and requests that answer JSON.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, TimeZone, Utc};
use core_model::fulfillment::WarehouseId;
use core_model::store::{OrderStore, TokenScope};
use core_model::{Platform, SellerId, StoreId};
use serde_json::Value;
use sqlx::{Connection, Executor, PgConnection};
use sync_daemon::admin::{self, AdminState, Readiness};
use sync_daemon::sync::{ConnectorSource, Engine, ManualClock, SyncSettings};
use sync_daemon::vault::Vault;
use tower::ServiceExt;

use super::FakeSource;

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap()
}

/// An answer: its status and its body as JSON (`Null` for an empty body).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub text: String,
}

impl Answer {
    /// The error message of an error answer, after checking its shape.
    pub fn message(&self) -> &str {
        self.body["error"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("not an error answer: {}", self.text))
    }

    /// Panics unless the status is `want`, showing the body.
    #[track_caller]
    pub fn expect(&self, want: StatusCode) -> &Value {
        assert_eq!(self.status, want, "{}", self.text);
        &self.body
    }
}

pub struct OmsApi {
    pub router: Router,
    pub store: OrderStore,
    pub engine: Engine,
    pub clock: Arc<ManualClock>,
    pub source: Arc<FakeSource>,
    pub operator: String,
    pub seller_a: SellerId,
    pub token_a: String,
    pub store_a: StoreId,
    pub seller_b: SellerId,
    pub token_b: String,
    pub store_b: StoreId,
    _dir: Option<tempfile::TempDir>,
}

impl OmsApi {
    /// Over a fresh SQLite file.
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("oms.db").display());
        OmsApi::open(&url, Some(dir)).await
    }

    pub async fn open(url: &str, dir: Option<tempfile::TempDir>) -> Self {
        OmsApi::open_with(url, dir, None).await
    }

    /// Over a fresh SQLite file, with the connectors `source` builds (the registry's real
    /// ones pointed at a fixture server) instead of the fakes.
    pub async fn with_source(source: Arc<dyn ConnectorSource>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("oms.db").display());
        OmsApi::open_with(&url, Some(dir), Some(source)).await
    }

    async fn open_with(
        url: &str,
        dir: Option<tempfile::TempDir>,
        real: Option<Arc<dyn ConnectorSource>>,
    ) -> Self {
        let store = OrderStore::connect(url).await.unwrap();
        store.migrate().await.unwrap();
        let clock = Arc::new(ManualClock::new(t0()));
        let source = Arc::new(FakeSource::default());
        let engine = Engine::new(
            store.clone(),
            Arc::new(Vault::from_key([7; 32])),
            real.unwrap_or_else(|| Arc::clone(&source) as Arc<dyn ConnectorSource>),
            Arc::clone(&clock) as _,
            SyncSettings {
                rate_limits: false,
                ..SyncSettings::default()
            },
            "oms-test",
        );
        let seller_a = store.create_seller("A").await.unwrap();
        let seller_b = store.create_seller("B").await.unwrap();
        let store_a = store
            .create_store(seller_a, Platform::Shopify, "a-shop")
            .await
            .unwrap();
        let store_b = store
            .create_store(seller_b, Platform::Shopify, "b-shop")
            .await
            .unwrap();
        let operator = admin::create_token(&store, TokenScope::Operator, "ops")
            .await
            .unwrap();
        let token_a = admin::create_token(&store, TokenScope::Seller(seller_a), "a")
            .await
            .unwrap();
        let token_b = admin::create_token(&store, TokenScope::Seller(seller_b), "b")
            .await
            .unwrap();
        let router = admin::router(AdminState {
            store: store.clone(),
            engine: engine.clone(),
            readiness: Readiness::new(),
            metrics: None,
        });
        OmsApi {
            router,
            store,
            engine,
            clock,
            source,
            operator,
            seller_a,
            token_a,
            store_a,
            seller_b,
            token_b,
            store_b,
            _dir: dir,
        }
    }

    /// A token for `warehouse`'s own systems.
    pub async fn warehouse_token(&self, warehouse: WarehouseId) -> String {
        admin::create_token(&self.store, TokenScope::Warehouse(warehouse), "wms")
            .await
            .unwrap()
    }

    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        token: &str,
        body: Option<Value>,
    ) -> Answer {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        let req = match body {
            Some(body) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => req.body(Body::empty()),
        };
        self.send(req.unwrap()).await
    }

    /// A text body with its content type (CSV imports).
    pub async fn post_raw(&self, uri: &str, token: &str, content_type: &str, body: &str) -> Answer {
        let req = Request::post(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body.to_owned()))
            .unwrap();
        self.send(req).await
    }

    /// A GET whose answer is not JSON (a label, a proof): its status and bytes.
    pub async fn get_bytes(&self, uri: &str, token: &str) -> (StatusCode, Vec<u8>) {
        let req = Request::get(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        let response = self.router.clone().oneshot(req).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, bytes.to_vec())
    }

    pub async fn get(&self, uri: &str, token: &str) -> Answer {
        self.call(Method::GET, uri, token, None).await
    }

    pub async fn post(&self, uri: &str, token: &str, body: Value) -> Answer {
        self.call(Method::POST, uri, token, Some(body)).await
    }

    pub async fn patch(&self, uri: &str, token: &str, body: Value) -> Answer {
        self.call(Method::PATCH, uri, token, Some(body)).await
    }

    pub async fn delete(&self, uri: &str, token: &str) -> Answer {
        self.call(Method::DELETE, uri, token, None).await
    }

    async fn send(&self, req: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(req).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
        };
        Answer { status, body, text }
    }
}

// ---------------------------------------------------------------------------------------------
// Each case on both backends

/// Runs `case` with the URL of a fresh SQLite file, removed afterwards.
pub async fn on_sqlite<F, Fut>(case: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("oms.db").display());
    case(url).await;
}

/// Runs `case` with the URL of a fresh database on `DATABASE_URL`'s server, dropped afterwards
/// even when the case fails. Without `DATABASE_URL` it passes vacuously.
pub async fn on_postgres<F, Fut>(case: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Ok(base) = std::env::var("DATABASE_URL") else {
        return;
    };
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "omsync_api_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        Utc::now().timestamp_subsec_nanos()
    );
    let mut admin = PgConnection::connect(&base).await.unwrap();
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    let mut url = url::Url::parse(&base).unwrap();
    url.set_path(&name);
    let outcome = tokio::spawn(case(url.to_string())).await;
    admin
        .execute(format!("DROP DATABASE {name} WITH (FORCE)").as_str())
        .await
        .unwrap();
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// An [`OmsApi`] over `url`, closed after `case`.
pub async fn with_api<F, Fut>(url: String, case: F)
where
    F: FnOnce(OmsApi) -> Fut,
    Fut: Future<Output = ()>,
{
    let api = OmsApi::open(&url, None).await;
    let store = api.store.clone();
    case(api).await;
    store.close().await;
}

/// One `#[tokio::test]` per case and backend, `sqlite::<case>` and `postgres::<case>`. Cases
/// take a ready [`OmsApi`] (`api: a, b;`) or the database URL (`url: c, d;`).
#[macro_export]
macro_rules! both_backends {
    ($(api: $($a:ident),* ;)? $(url: $($u:ident),* ;)?) => {
        mod sqlite {
            $($(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $a() {
                $crate::support::api::on_sqlite(|url| {
                    $crate::support::api::with_api(url, super::$a)
                })
                .await;
            })*)?
            $($(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $u() {
                $crate::support::api::on_sqlite(super::$u).await;
            })*)?
        }
        mod postgres {
            $($(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $a() {
                $crate::support::api::on_postgres(|url| {
                    $crate::support::api::with_api(url, super::$a)
                })
                .await;
            })*)?
            $($(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $u() {
                $crate::support::api::on_postgres(super::$u).await;
            })*)?
        }
    };
}
