//! A store's rotated refresh token is sealed into the order store before the run goes on,
//! and the sealed credentials are bound to their store.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::collections::HashMap;
use std::sync::Arc;

use connector_testkit::{fixtures_root, mount_loaded, LoadedScenario};
use core_model::store::{OrderStore, RunKind, RunStatus};
use core_model::{Platform, StoreId, Window};
use secrecy::ExposeSecret;
use sync_daemon::sync::{Engine, RegistrySource, SyncSettings, SystemClock};
use sync_daemon::vault::Vault;
use wiremock::MockServer;

#[test]
fn a_rotated_refresh_token_is_sealed_into_the_store_before_the_pull_goes_on() {
    // The metrics the daemon serves, recorded on this thread: the runtime below runs every task
    // here.
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    metrics::with_local_recorder(&recorder, || runtime.block_on(rotate_and_sync()));

    let text = handle.render();
    let has = |name: &str, labels: &[&str]| {
        text.lines()
            .any(|l| l.starts_with(name) && labels.iter().all(|want| l.contains(want)))
    };
    let shopee = "platform=\"shopee\"";
    for (name, labels) in [
        (
            "omsync_marketplace_requests_total",
            vec![shopee, "operation=\"pull_orders\"", "outcome=\"ok\""],
        ),
        (
            "omsync_marketplace_requests_total",
            vec![
                shopee,
                "operation=\"pull_orders\"",
                "outcome=\"unauthorized\"",
            ],
        ),
        (
            "omsync_marketplace_requests_total",
            vec![shopee, "operation=\"refresh_token\"", "outcome=\"ok\""],
        ),
        (
            "omsync_orders_ingested_total",
            vec![shopee, "outcome=\"new\""],
        ),
        (
            "omsync_sync_runs_total",
            vec![shopee, "kind=\"manual\"", "status=\"succeeded\""],
        ),
        ("omsync_sync_lag_seconds", vec![shopee, "store=\"1\""]),
        ("omsync_tracking_outbox_backlog", vec![" 0"]),
    ] {
        assert!(
            has(name, &labels),
            "{name} {labels:?} missing from:\n{text}"
        );
    }
}

async fn rotate_and_sync() {
    let loaded =
        LoadedScenario::load(&fixtures_root().join("shopee").join("token-expired")).unwrap();
    let factory = sync_daemon::registry::factory(Platform::Shopee).unwrap();
    let server = MockServer::start().await;
    mount_loaded(&server, factory, &loaded).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let store = OrderStore::connect(&format!("sqlite://{}", dir.path().join("t.db").display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let seller = store.create_seller("s").await.unwrap();
    let id = store
        .create_store(seller, Platform::Shopee, "shop")
        .await
        .unwrap();
    let vault = Arc::new(Vault::from_key([5; 32]));
    let engine = Engine::new(
        store.clone(),
        Arc::clone(&vault),
        Arc::new(
            RegistrySource::new(
                HashMap::from([(Platform::Shopee, server.uri().parse().unwrap())]),
                false,
            )
            .unwrap(),
        ),
        Arc::new(SystemClock),
        SyncSettings {
            rate_limits: false,
            ..SyncSettings::default()
        },
        "replica-a",
    );
    // Not due on schedule: only the run asked for below.
    engine
        .authorize_at(
            id,
            &loaded.credentials,
            engine.now() + chrono::TimeDelta::days(1),
        )
        .await
        .unwrap();
    let sealed_before = store.store_credentials(id).await.unwrap().unwrap();
    let spec = loaded.expect.window.unwrap();
    let (run, _) = engine
        .request_run(
            id,
            RunKind::Manual,
            Window::new(spec.from, spec.to).unwrap(),
        )
        .await
        .unwrap();
    engine.dispatch().await.unwrap();
    engine.wait_idle().await;
    // An upload pass with nothing due reports an empty outbox.
    assert_eq!(engine.upload_due_tracking().await.unwrap(), 0);
    let run = store.get_run(run).await.unwrap().unwrap();
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.error);
    assert_eq!(
        store.count_orders(id).await.unwrap(),
        loaded.expect.orders.len() as u64
    );

    // The refresh token the platform rotated to is what the store now holds, sealed.
    let sealed = store.store_credentials(id).await.unwrap().unwrap();
    assert_ne!(sealed, sealed_before);
    for secret in [
        "fixture-refresh-token-rotated-0002",
        "fixture-access-token-refreshed-0002",
        "shpk_",
    ] {
        assert!(
            !sealed.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} stored in plain text"
        );
    }
    let plain = vault.open(id, &sealed).unwrap();
    let creds: serde_json::Value = serde_json::from_slice(plain.expose_secret()).unwrap();
    assert_eq!(creds["refresh_token"], "fixture-refresh-token-rotated-0002");
    assert_eq!(creds["access_token"], "fixture-access-token-refreshed-0002");
    assert_eq!(creds["partner_id"], loaded.credentials["partner_id"]);
    // Moved to another store's row, the ciphertext does not open.
    assert!(vault.open(StoreId(id.0 + 1), &sealed).is_err());
    store.close().await;
}
