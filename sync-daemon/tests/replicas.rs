//! Two daemons on one PostgreSQL database share the stores through leases: no store is ever
//! pulled by both at once, every store is pulled every cycle, and a stopped replica's stores
//! are taken over when its leases expire. Runs when `DATABASE_URL` names a PostgreSQL server.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use core_model::store::{OrderStore, RunKind, RunStatus};
use core_model::{Platform, StoreId};
use sqlx::{Connection, Executor, PgConnection};
use sync_daemon::sync::scheduler::{self, Heartbeat};
use sync_daemon::sync::{Clock, Engine, SyncSettings, SystemClock};
use sync_daemon::vault::Vault;

mod support;

use support::{caps, FakePlatform, FakeSource};

/// A fresh database on the server `DATABASE_URL` names, dropped by [`drop_db`].
async fn fresh_db(name: &str) -> Option<(String, String)> {
    let base = std::env::var("DATABASE_URL").ok()?;
    let mut admin = PgConnection::connect(&base).await.unwrap();
    let db = format!("omsync_{name}_{}", std::process::id());
    admin
        .execute(format!("DROP DATABASE IF EXISTS {db}").as_str())
        .await
        .unwrap();
    admin
        .execute(format!("CREATE DATABASE {db}").as_str())
        .await
        .unwrap();
    let mut url = url::Url::parse(&base).unwrap();
    url.set_path(&db);
    Some((url.to_string(), db))
}

async fn drop_db(db: &str) {
    let base = std::env::var("DATABASE_URL").unwrap();
    let mut admin = PgConnection::connect(&base).await.unwrap();
    admin
        .execute(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)").as_str())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_the_stores_and_never_pull_one_at_once() {
    let Some((url, db)) = fresh_db("replicas").await else {
        eprintln!("DATABASE_URL not set: the PostgreSQL replica test is skipped");
        return;
    };
    let setup = OrderStore::connect(&url).await.unwrap();
    setup.migrate().await.unwrap();
    let seller = setup.create_seller("s").await.unwrap();
    let source = Arc::new(FakeSource::default());
    let vault = Arc::new(Vault::from_key([1; 32]));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let settings = SyncSettings {
        interval: Duration::from_secs(2),
        tick: Duration::from_millis(200),
        lease_ttl: Duration::from_secs(3),
        rate_limits: false,
        concurrency: 4,
        ..SyncSettings::default()
    };
    // Each replica with its own connection pool, as two processes would have.
    let mut replicas = Vec::new();
    for owner in ["replica-a", "replica-b"] {
        let store = OrderStore::connect(&url).await.unwrap();
        replicas.push(Engine::new(
            store,
            Arc::clone(&vault),
            source.clone(),
            Arc::clone(&clock),
            settings.clone(),
            owner,
        ));
    }
    let mut stores = Vec::new();
    for _ in 0..24 {
        let id = setup
            .create_store(seller, Platform::Shopify, "s")
            .await
            .unwrap();
        let mut fake = FakePlatform::new(caps(5, None));
        // Slow pages, so a second puller of the same store would overlap the first.
        fake.busy = Duration::from_millis(15);
        let fake = Arc::new(fake);
        for k in 0..12 {
            fake.upsert(
                &format!("{}-{k}", id.0),
                Utc::now() - TimeDelta::minutes(k + 1),
            );
        }
        source.platforms.lock().unwrap().insert(id, fake.clone());
        replicas[0]
            .authorize(id, &serde_json::json!({ "token": "fake" }))
            .await
            .unwrap();
        stores.push((id, fake));
    }

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let tasks: Vec<_> = replicas
        .iter()
        .map(|e| tokio::spawn(scheduler::run(e.clone(), Heartbeat::Timer, stop_rx.clone())))
        .collect();
    tokio::time::sleep(Duration::from_secs(9)).await;
    stop_tx.send(true).unwrap();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    for e in &replicas {
        e.wait_idle().await;
    }

    let mut owners = std::collections::BTreeSet::new();
    for (id, fake) in &stores {
        assert_eq!(
            fake.active.lock().unwrap().1,
            1,
            "store {} pulled by two at once",
            id.0
        );
        let runs = setup.list_runs(Some(*id), None, 100).await.unwrap();
        assert!(runs
            .iter()
            .any(|r| r.kind == RunKind::Initial && r.status == RunStatus::Succeeded));
        // Cycles of 2 s for ~9 s: the initial pull and at least two incremental ones.
        let incremental = runs
            .iter()
            .filter(|r| r.kind == RunKind::Incremental)
            .count();
        assert!(
            incremental >= 2,
            "store {}: {incremental} incremental runs",
            id.0
        );
        owners.extend(runs.iter().filter_map(|r| r.owner.clone()));
        assert_eq!(setup.count_orders(*id).await.unwrap(), 12);
    }
    assert_eq!(owners.len(), 2, "both replicas pulled: {owners:?}");

    // A replica that dies holding leases: its stores are taken over once the leases expire.
    let dead = OrderStore::connect(&url).await.unwrap();
    let held = dead
        .claim_due_stores(
            "replica-dead",
            Utc::now() + TimeDelta::hours(1),
            TimeDelta::seconds(2),
            100,
        )
        .await
        .unwrap();
    assert_eq!(held.len(), stores.len());
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let taken = replicas[1]
        .store()
        .claim_due_stores(
            "replica-b",
            Utc::now() + TimeDelta::hours(1),
            TimeDelta::seconds(30),
            100,
        )
        .await
        .unwrap();
    let mut taken: Vec<StoreId> = taken;
    taken.sort();
    let mut all: Vec<StoreId> = stores.iter().map(|(id, _)| *id).collect();
    all.sort();
    assert_eq!(taken, all);

    for e in &replicas {
        e.store().close().await;
    }
    dead.close().await;
    setup.close().await;
    drop_db(&db).await;
}
