//! The conformance suite: one behaviour, every connector. Each case mounts a named scenario
//! from `fixtures/<platform>/` and asserts what DESIGN.md promises of every connector.
//!
//! Scenario names a connector must provide: `empty`, `multi-page`, `long-window`, `throttled`,
//! `token-expired`, `server-error`, `client-error`, `malformed`, `label`, `tracking`,
//! `rejected-credentials`. See `fixtures/README.md`.

// This module is test code run inside connector crates' test binaries: a failed expectation
// is a failed test, so `expect` here is an assertion with a message.
#![allow(clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use connector_kit::fixture::json_contains;
use connector_kit::record::{scrub_json, REDACTED};
use connector_kit::{ConnectorFactory, ConnectorOptions, RetryConfig};
use core_model::{
    Cursor, ErrorKind, MalformedOrder, Marketplace, MarketplaceError, PlatformOrder, StoreId,
    StoreRef, Window,
};
use wiremock::MockServer;

use crate::replay::{fixtures_root, mount, LoadedScenario};

/// The store id every conformance connector serves.
pub const STORE: StoreId = StoreId(1);

/// A connector under test and its fixtures.
#[derive(Debug, Clone)]
pub struct Target {
    pub factory: Arc<dyn ConnectorFactory>,
    pub dir: PathBuf,
}

impl Target {
    pub fn new(factory: Arc<dyn ConnectorFactory>) -> Self {
        let dir = fixtures_root().join(factory.platform().slug());
        Target { factory, dir }
    }

    /// A mock platform serving scenario `name`.
    pub async fn serve(&self, name: &str) -> (MockServer, LoadedScenario) {
        let server = MockServer::start().await;
        let loaded = mount(&server, self.factory.clone(), &self.dir, name)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        (server, loaded)
    }

    /// A fresh connector (as a restarted daemon would build) pointed at `server`.
    pub fn connector(&self, server: &MockServer, loaded: &LoadedScenario) -> Arc<dyn Marketplace> {
        self.connector_with(server, loaded, |_| {})
    }

    /// [`Target::connector`] with its options adjusted first (a token sink, a recorder).
    pub fn connector_with(
        &self,
        server: &MockServer,
        loaded: &LoadedScenario,
        adjust: impl FnOnce(&mut ConnectorOptions),
    ) -> Arc<dyn Marketplace> {
        let mut options = ConnectorOptions {
            base_url: Some(
                server
                    .uri()
                    .parse()
                    .unwrap_or_else(|e| panic!("mock uri: {e}")),
            ),
            retry: RetryConfig::fast(),
            timeout: Some(Duration::from_secs(10)),
            // The kit's own tests prove quotas hold; replaying fixtures need not wait them out.
            rate_limits: false,
            ..ConnectorOptions::default()
        };
        adjust(&mut options);
        let store = StoreRef {
            id: STORE,
            platform: self.factory.platform(),
        };
        self.factory
            .build(store, &loaded.credentials, options)
            .unwrap_or_else(|e| panic!("{}: credentials.json: {e}", loaded.dir.display()))
    }
}

fn window(loaded: &LoadedScenario) -> Window {
    let spec = loaded
        .expect
        .window
        .unwrap_or_else(|| panic!("{}: expect.window is required", loaded.dir.display()));
    Window::new(spec.from, spec.to)
        .unwrap_or_else(|| panic!("{}: empty window", loaded.dir.display()))
}

/// A token sink that keeps every rotated refresh token, for tests of token rotation.
#[derive(Debug, Default)]
pub struct RotationLog(std::sync::Mutex<Vec<String>>);

impl RotationLog {
    /// The rotated refresh tokens, oldest first.
    pub fn rotated(&self) -> Vec<String> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

#[async_trait::async_trait]
impl connector_kit::TokenSink for RotationLog {
    async fn rotated(&self, grant: &connector_kit::TokenGrant) -> Result<(), MarketplaceError> {
        use connector_kit::ExposeSecret;
        if let (Ok(mut log), Some(r)) = (self.0.lock(), &grant.refresh_token) {
            log.push(r.expose_secret().to_owned());
        }
        Ok(())
    }
}

/// Everything a pull of `window` returned, page by page.
#[derive(Debug, Default)]
pub struct Pulled {
    pub orders: Vec<PlatformOrder>,
    pub malformed: Vec<MalformedOrder>,
    pub pages: usize,
}

/// Pull `window` to its end, starting at `cursor`.
pub async fn pull_all(
    connector: &dyn Marketplace,
    window: Window,
    mut cursor: Option<Cursor>,
) -> Result<Pulled, MarketplaceError> {
    let mut pulled = Pulled::default();
    loop {
        let page = connector.pull_orders(window, cursor.as_ref()).await?;
        pulled.pages += 1;
        pulled.orders.extend(page.orders);
        pulled.malformed.extend(page.malformed);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(pulled),
        }
        assert!(pulled.pages < 500, "the pull did not end after 500 pages");
    }
}

fn ids(orders: &[PlatformOrder]) -> Vec<String> {
    orders.iter().map(|o| o.platform_order_id.clone()).collect()
}

/// Every id once, and the set the scenario expects.
fn assert_exact_set(loaded: &LoadedScenario, got: &[String]) {
    let unique: BTreeSet<&String> = got.iter().collect();
    assert_eq!(unique.len(), got.len(), "duplicate orders in {got:?}");
    let want: BTreeSet<&String> = loaded.expect.orders.iter().collect();
    assert_eq!(
        unique,
        want,
        "{}: orders pulled differ from expect.orders",
        loaded.dir.display()
    );
}

fn assert_well_formed(target: &Target, loaded: &LoadedScenario, orders: &[PlatformOrder]) {
    let window = window(loaded);
    for o in orders {
        let at = format!("{}: order {}", loaded.dir.display(), o.platform_order_id);
        assert_eq!(o.store, STORE, "{at}: store");
        assert_eq!(o.platform, target.factory.platform(), "{at}: platform");
        assert!(!o.platform_order_id.is_empty(), "{at}: empty id");
        assert!(!o.platform_status.is_empty(), "{at}: empty platform status");
        assert!(o.created_at <= o.updated_at, "{at}: created after updated");
        assert!(
            window.contains(o.created_at) || window.contains(o.updated_at),
            "{at}: neither created nor updated inside the window"
        );
        assert_eq!(
            o.currency.len(),
            3,
            "{at}: currency `{}` is not ISO 4217",
            o.currency
        );
        assert!(!o.lines.is_empty(), "{at}: no lines");
        for l in &o.lines {
            assert!(l.quantity > 0, "{at}: line with quantity 0");
            assert!(
                l.unit_price >= rust_decimal_zero(),
                "{at}: negative unit price"
            );
        }
        let raw: serde_json::Value = serde_json::from_str(o.raw_json())
            .unwrap_or_else(|e| panic!("{at}: raw is not JSON: {e}"));
        assert!(raw.is_object(), "{at}: raw is not the order object");
    }
    if let Some(expected) = &loaded.expect.order {
        let id = expected
            .get("platform_order_id")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let order = orders
            .iter()
            .find(|o| o.platform_order_id == id)
            .unwrap_or_else(|| panic!("{}: expect.order {id} not pulled", loaded.dir.display()));
        let actual = serde_json::to_value(order).unwrap_or_default();
        assert!(
            json_contains(&actual, expected),
            "{}: order {id} normalized as\n{actual:#}\nexpected to contain\n{expected:#}",
            loaded.dir.display()
        );
    }
}

fn rust_decimal_zero() -> rust_decimal::Decimal {
    rust_decimal::Decimal::ZERO
}

fn expected_kind(loaded: &LoadedScenario) -> ErrorKind {
    let kind = loaded.expect.error_kind.as_deref().unwrap_or("permanent");
    [
        ErrorKind::RateLimited,
        ErrorKind::Unauthorized,
        ErrorKind::Transient,
        ErrorKind::Permanent,
        ErrorKind::Malformed,
        ErrorKind::Unsupported,
    ]
    .into_iter()
    .find(|k| k.as_str() == kind)
    .unwrap_or_else(|| {
        panic!(
            "{}: unknown expect.error_kind `{kind}`",
            loaded.dir.display()
        )
    })
}

/// Checks wiremock's `expect_calls` now rather than when the server drops.
async fn verify(server: &MockServer) {
    server.verify().await;
}

/// Requests the mock received for `path`.
async fn requests_to(server: &MockServer, path: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == path)
        .count()
}

pub async fn empty_window(t: &Target) {
    let (server, loaded) = t.serve("empty").await;
    let pulled = pull_all(
        t.connector(&server, &loaded).as_ref(),
        window(&loaded),
        None,
    )
    .await
    .unwrap_or_else(|e| panic!("empty window: {e}"));
    assert!(
        pulled.orders.is_empty() && pulled.malformed.is_empty(),
        "{pulled:?}"
    );
    verify(&server).await;
}

pub async fn several_pages_without_gaps_or_duplicates(t: &Target) {
    let (server, loaded) = t.serve("multi-page").await;
    let pulled = pull_all(
        t.connector(&server, &loaded).as_ref(),
        window(&loaded),
        None,
    )
    .await
    .unwrap_or_else(|e| panic!("multi-page: {e}"));
    assert!(
        pulled.pages >= loaded.expect.min_pages.unwrap_or(2),
        "only {} pages",
        pulled.pages
    );
    assert!(pulled.malformed.is_empty(), "{:?}", pulled.malformed);
    assert_exact_set(&loaded, &ids(&pulled.orders));
    assert_well_formed(t, &loaded, &pulled.orders);
    verify(&server).await;
}

pub async fn long_window_is_split(t: &Target) {
    let (server, loaded) = t.serve("long-window").await;
    let connector = t.connector(&server, &loaded);
    let window = window(&loaded);
    if let Some(max) = connector.capabilities().max_window {
        let max = chrono::TimeDelta::from_std(max).unwrap_or(chrono::TimeDelta::MAX);
        assert!(
            window.len() > max,
            "long-window: the window must be longer than max_window"
        );
    }
    let pulled = pull_all(connector.as_ref(), window, None)
        .await
        .unwrap_or_else(|e| panic!("long-window: {e}"));
    assert_exact_set(&loaded, &ids(&pulled.orders));
    // Each slice's exchange carries `expect_calls`: every slice was asked for exactly once.
    verify(&server).await;
}

pub async fn resume_from_a_saved_cursor(t: &Target) {
    let (server, loaded) = t.serve("multi-page").await;
    let window = window(&loaded);
    let first = t
        .connector(&server, &loaded)
        .pull_orders(window, None)
        .await
        .unwrap_or_else(|e| panic!("multi-page first page: {e}"));
    let cursor = first
        .next_cursor
        .clone()
        .expect("multi-page: the first page must have a cursor");
    // Persist and reload the cursor as the daemon does, then continue on a new instance.
    let saved = serde_json::to_string(&cursor).unwrap_or_default();
    let restored: Cursor = serde_json::from_str(&saved).unwrap_or_else(|e| panic!("cursor: {e}"));
    let rest = pull_all(
        t.connector(&server, &loaded).as_ref(),
        window,
        Some(restored),
    )
    .await
    .unwrap_or_else(|e| panic!("resume: {e}"));
    let mut all = ids(&first.orders);
    all.extend(ids(&rest.orders));
    assert_exact_set(&loaded, &all);
}

pub async fn throttled_then_success(t: &Target) {
    let (server, loaded) = t.serve("throttled").await;
    let pulled = pull_all(
        t.connector(&server, &loaded).as_ref(),
        window(&loaded),
        None,
    )
    .await
    .unwrap_or_else(|e| panic!("throttled: the throttle was not retried: {e}"));
    assert_exact_set(&loaded, &ids(&pulled.orders));
    verify(&server).await;
}

pub async fn token_expired_mid_pagination_refreshes_once(t: &Target) {
    let (server, loaded) = t.serve("token-expired").await;
    let connector = t.connector(&server, &loaded);
    let window = window(&loaded);
    if loaded.expect.error_kind.is_some() {
        // A platform with no refresh grant (static or long-lived tokens): after the first page
        // the refused token surfaces as the expected kind, sent once, with nothing refreshed.
        let first = connector
            .pull_orders(window, None)
            .await
            .unwrap_or_else(|e| panic!("token-expired: first page: {e}"));
        let cursor = first
            .next_cursor
            .expect("token-expired: the expiry must come mid-pagination");
        let err = pull_all(connector.as_ref(), window, Some(cursor))
            .await
            .expect_err("token-expired: a refused token must fail the pull");
        assert_eq!(err.kind(), expected_kind(&loaded), "{err}");
    } else {
        let pulled = pull_all(connector.as_ref(), window, None)
            .await
            .unwrap_or_else(|e| panic!("token-expired: {e}"));
        assert!(
            pulled.pages >= 2,
            "token-expired: the expiry must come mid-pagination"
        );
        assert_exact_set(&loaded, &ids(&pulled.orders));
    }
    let want = loaded
        .expect
        .token_requests
        .expect("token-expired: expect.token_requests");
    if let Some(path) = loaded.expect.token_path.as_deref() {
        assert_eq!(
            requests_to(&server, path).await,
            want,
            "token endpoint calls"
        );
    } else {
        assert_eq!(
            want, 0,
            "token-expired: expect.token_path names the token endpoint"
        );
    }
    // The refused exchange carries `expect_calls`: how often the stale token was sent.
    verify(&server).await;
}

pub async fn server_errors_are_retried(t: &Target) {
    let (server, loaded) = t.serve("server-error").await;
    let pulled = pull_all(
        t.connector(&server, &loaded).as_ref(),
        window(&loaded),
        None,
    )
    .await
    .unwrap_or_else(|e| panic!("server-error: a 5xx was not retried: {e}"));
    assert_exact_set(&loaded, &ids(&pulled.orders));
    verify(&server).await;
}

pub async fn client_errors_are_not_retried(t: &Target) {
    let (server, loaded) = t.serve("client-error").await;
    let err = pull_all(
        t.connector(&server, &loaded).as_ref(),
        window(&loaded),
        None,
    )
    .await
    .expect_err("client-error: the pull must fail");
    assert_eq!(err.kind(), expected_kind(&loaded), "{err}");
    assert!(!err.message().is_empty());
    // The failing exchange carries `expect_calls: 1`: it was sent once, not retried.
    verify(&server).await;
}

pub async fn malformed_order_keeps_the_rest_of_the_page(t: &Target) {
    let (server, loaded) = t.serve("malformed").await;
    let pulled = pull_all(
        t.connector(&server, &loaded).as_ref(),
        window(&loaded),
        None,
    )
    .await
    .unwrap_or_else(|e| panic!("malformed: one bad order failed the page: {e}"));
    assert_exact_set(&loaded, &ids(&pulled.orders));
    let bad: BTreeSet<String> = pulled
        .malformed
        .iter()
        .filter_map(|m| m.platform_order_id.clone())
        .collect();
    let want: BTreeSet<String> = loaded.expect.malformed.iter().cloned().collect();
    assert!(!want.is_empty(), "malformed: expect.malformed is required");
    assert_eq!(bad, want, "malformed ids");
    for m in &pulled.malformed {
        assert_eq!(m.error.kind(), ErrorKind::Malformed);
        assert!(!m.raw.is_empty(), "the raw payload must be kept");
    }
}

pub async fn label_is_fetched(t: &Target) {
    let (server, loaded) = t.serve("label").await;
    let connector = t.connector(&server, &loaded);
    if !connector.capabilities().platform_labels {
        return;
    }
    let spec = loaded.expect.label.clone().expect("label: expect.label");
    let pulled = pull_all(connector.as_ref(), window(&loaded), None)
        .await
        .unwrap_or_else(|e| panic!("label: pull: {e}"));
    let order = pulled
        .orders
        .iter()
        .find(|o| o.platform_order_id == spec.order)
        .unwrap_or_else(|| panic!("label: order {} not pulled", spec.order));
    let label = connector
        .fetch_label(order, &spec.spec)
        .await
        .unwrap_or_else(|e| panic!("label: {e}"));
    let want = std::fs::read(loaded.dir.join(&spec.document_file))
        .unwrap_or_else(|e| panic!("label: {}: {e}", spec.document_file));
    assert_eq!(label.format, spec.format);
    assert!(
        label.bytes.as_ref() == want.as_slice(),
        "label bytes differ from {}",
        spec.document_file
    );
    verify(&server).await;
}

pub async fn tracking_upload_is_idempotent(t: &Target) {
    let (server, loaded) = t.serve("tracking").await;
    let connector = t.connector(&server, &loaded);
    let shipment = loaded
        .expect
        .tracking
        .clone()
        .expect("tracking: expect.tracking");
    let first = connector
        .upload_tracking(&shipment)
        .await
        .unwrap_or_else(|e| panic!("tracking: first upload: {e}"));
    let second = connector
        .upload_tracking(&shipment)
        .await
        .unwrap_or_else(|e| panic!("tracking: a repeated upload must succeed: {e}"));
    assert!(!first.already_confirmed || second.already_confirmed);
    verify(&server).await;
}

pub async fn the_mock_checks_what_the_platform_checks(t: &Target) {
    let (server, loaded) = t.serve("rejected-credentials").await;
    let err = pull_all(
        t.connector(&server, &loaded).as_ref(),
        window(&loaded),
        None,
    )
    .await
    .expect_err("rejected-credentials: the platform must refuse these credentials");
    assert_eq!(err.kind(), expected_kind(&loaded), "{err}");
    verify(&server).await;
}

/// Secret and personal values of a scenario: secret credential keys, the mock platform's
/// secrets, and every value the recorder would scrub from the response bodies.
fn sensitive_values(t: &Target, loaded: &LoadedScenario) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for key in t.factory.credential_keys().iter().filter(|k| k.secret) {
        if let Some(v) = loaded.credentials.get(key.name).and_then(|v| v.as_str()) {
            out.insert(v.to_owned());
        }
    }
    collect_strings(&loaded.scenario.platform_secrets, &mut out);
    for x in &loaded.scenario.exchanges {
        let Some(file) = &x.response.body_file else {
            continue;
        };
        let Ok(bytes) = std::fs::read(loaded.dir.join(file)) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        if text.trim_start().starts_with('<') {
            let extra = t.factory.scrub_keys();
            out.extend(connector_kit::record::sensitive_xml_texts(&text, extra));
            continue;
        }
        let Ok(original) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
            continue;
        };
        let mut scrubbed = original.clone();
        scrub_json(&mut scrubbed, t.factory.scrub_keys());
        collect_scrubbed(&original, &scrubbed, &mut out);
    }
    // Short values ("1", "US") would match by accident; ours are long enough to be unique.
    out.retain(|v| v.len() >= 6 && v != REDACTED);
    out
}

fn collect_strings(v: &serde_json::Value, out: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::String(s) => {
            out.insert(s.clone());
        }
        serde_json::Value::Object(m) => m.values().for_each(|v| collect_strings(v, out)),
        serde_json::Value::Array(a) => a.iter().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

fn collect_scrubbed(
    original: &serde_json::Value,
    scrubbed: &serde_json::Value,
    out: &mut BTreeSet<String>,
) {
    use serde_json::Value;
    match (original, scrubbed) {
        (Value::String(o), Value::String(s)) if s == REDACTED && o != REDACTED => {
            out.insert(o.clone());
        }
        (Value::Object(o), Value::Object(s)) => {
            for (k, ov) in o {
                if let Some(sv) = s.get(k) {
                    collect_scrubbed(ov, sv, out);
                }
            }
        }
        (Value::Array(o), Value::Array(s)) => {
            o.iter()
                .zip(s)
                .for_each(|(ov, sv)| collect_scrubbed(ov, sv, out));
        }
        _ => {}
    }
}

pub async fn secrets_stay_out_of_debug_and_logs(t: &Target) {
    crate::logs::capture();
    let mut shown = String::new();
    let mut sensitive = BTreeSet::new();
    for name in ["token-expired", "rejected-credentials", "multi-page"] {
        let (server, loaded) = t.serve(name).await;
        sensitive.extend(sensitive_values(t, &loaded));
        let connector = t.connector(&server, &loaded);
        shown.push_str(&format!("{connector:?}\n"));
        match pull_all(connector.as_ref(), window(&loaded), None).await {
            Ok(pulled) => shown.push_str(&format!("{pulled:?}\n")),
            Err(e) => shown.push_str(&format!("{e}\n{e:?}\n")),
        }
    }
    assert!(
        !sensitive.is_empty(),
        "the scenarios hold no secrets to look for"
    );
    shown.push_str(&crate::logs::captured());
    for value in &sensitive {
        assert!(
            !shown.contains(value.as_str()),
            "`{value}` appears in Debug output or logs"
        );
    }
}

/// Generates one `#[tokio::test]` per conformance case for a connector crate's
/// `tests/conformance.rs`: `connector_testkit::conformance_suite!(connector_x::Factory);`.
#[macro_export]
macro_rules! conformance_suite {
    ($factory:expr) => {
        fn __conformance_target() -> $crate::conformance::Target {
            $crate::conformance::Target::new(::std::sync::Arc::new($factory))
        }
        $crate::conformance_suite!(@cases
            empty_window,
            several_pages_without_gaps_or_duplicates,
            long_window_is_split,
            resume_from_a_saved_cursor,
            throttled_then_success,
            token_expired_mid_pagination_refreshes_once,
            server_errors_are_retried,
            client_errors_are_not_retried,
            malformed_order_keeps_the_rest_of_the_page,
            label_is_fetched,
            tracking_upload_is_idempotent,
            the_mock_checks_what_the_platform_checks,
            secrets_stay_out_of_debug_and_logs
        );
    };
    (@cases $($case:ident),*) => {
        $(
            #[tokio::test]
            async fn $case() {
                $crate::conformance::$case(&__conformance_target()).await;
            }
        )*
    };
}
