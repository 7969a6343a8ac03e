//! Killing `omsync` with SIGKILL in the middle of a multi-page pull, twice, and starting it
//! again: the pull resumes from its last checkpoint, and the store ends with exactly the
//! recording's orders, none lost, none twice, no page skipped.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use connector_testkit::{fixtures_root, mount_for_serving_slowly, LoadedScenario};
use core_model::store::{OrderStore, RunStatus};
use core_model::StoreId;
use support::cli::Omsync;
use wiremock::MockServer;

mod support;

/// Waits until the run has committed `pages` pages, then kills the process outright.
async fn kill_after_pages(child: &mut Child, db: &Path, pages: i64) {
    let store = OrderStore::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "no checkpoint at page {pages}");
        assert!(
            child.try_wait().unwrap().is_none(),
            "omsync ended before the kill"
        );
        let runs = store.list_runs(Some(StoreId(1)), None, 5).await.unwrap();
        if runs.first().is_some_and(|r| r.pages >= pages) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_killed_twice_resumes_and_stores_every_order_once() {
    let platform = "amazon";
    let loaded = LoadedScenario::load(&fixtures_root().join(platform).join("multi-page")).unwrap();
    let factory = sync_daemon::registry::factory(platform.parse().unwrap()).unwrap();
    let server = MockServer::start().await;
    // A slow platform: every answer takes 400 ms, so a kill lands between pages.
    mount_for_serving_slowly(
        &server,
        Arc::clone(&factory),
        &loaded,
        Duration::from_millis(400),
    )
    .await
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("omsync.db");
    let creds = dir.path().join("amazon.json");
    std::fs::write(&creds, serde_json::to_vec(&loaded.credentials).unwrap()).unwrap();
    let key = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
    let env: Vec<(String, String)> = vec![
        (
            "OMSYNC_DATABASE_URL".into(),
            format!("sqlite://{}", db.display()),
        ),
        ("OMSYNC_CREDENTIALS_KEY".into(), key),
        ("OMSYNC_PLATFORMS__AMAZON__BASE_URL".into(), server.uri()),
        ("OMSYNC_SYNC__RATE_LIMITS".into(), "false".into()),
    ];
    let added = Omsync::with_env(&env).ok(&[
        "store",
        "add",
        "--new-seller",
        "Kill Test",
        "--platform",
        platform,
        "--name",
        "A",
        "--credentials",
        creds.to_str().unwrap(),
    ]);
    assert!(added.contains("store 1 added"), "{added}");

    let window = loaded.expect.window.unwrap();
    let (from, to) = (window.from.to_rfc3339(), window.to.to_rfc3339());
    let sync = [
        "sync",
        "--store",
        "1",
        "--from",
        from.as_str(),
        "--to",
        to.as_str(),
    ];
    // Killed after the first page is committed...
    let mut child = Omsync::with_env(&env)
        .command()
        .args(sync)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    kill_after_pages(&mut child, &db, 1).await;
    // ...started again (it finds the run in flight and resumes it), killed after the second...
    let mut child = Omsync::with_env(&env)
        .command()
        .args(["sync", "--store", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    kill_after_pages(&mut child, &db, 2).await;
    // ...and started once more, to the end, logging JSON.
    let out = Omsync::with_env(&env)
        .command()
        .args([
            "--log",
            "info",
            "--log-format",
            "json",
            "sync",
            "--store",
            "1",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("run 1 already in flight"), "{stdout}");
    let log = String::from_utf8(out.stderr).unwrap();
    // Every line of the sync carries its store and platform.
    let sync_lines: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l.get("span").is_some_and(|s| s["name"] == "sync"))
        .collect();
    assert!(sync_lines.len() >= 2, "{log}");
    for line in &sync_lines {
        assert_eq!(line["span"]["store"], 1, "{line}");
        assert_eq!(line["span"]["platform"], platform, "{line}");
    }
    assert!(log.contains("resuming run"), "{log}");

    let store = OrderStore::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let runs = store.list_runs(Some(StoreId(1)), None, 10).await.unwrap();
    assert_eq!(runs.len(), 1, "one run, resumed twice: {runs:?}");
    assert_eq!(runs[0].status, RunStatus::Succeeded);
    assert_eq!(runs[0].pages, 3);
    let mut expected = loaded.expect.orders.clone();
    expected.sort();
    for id in &expected {
        let o = store.get_order(StoreId(1), id).await.unwrap();
        let o = o.unwrap_or_else(|| panic!("order {id} lost")).order;
        // No buyer's name or address reached the log.
        let personal = o
            .buyer_name
            .iter()
            .chain(o.ship_to.name.iter())
            .chain(o.ship_to.lines.iter());
        for value in personal.filter(|v| v.len() > 3) {
            assert!(
                !log.contains(value.as_str()),
                "buyer data in the log: {value}"
            );
        }
    }
    assert_eq!(
        store.count_orders(StoreId(1)).await.unwrap(),
        expected.len() as u64,
        "no order twice, none extra"
    );
    // Each committed page was asked for once: the first page's request (no token) exactly once.
    let requests = server.received_requests().await.unwrap();
    let first_pages = requests
        .iter()
        .filter(|r| {
            r.url.path().ends_with("/orders")
                && !r.url.query().unwrap_or("").contains("paginationToken")
        })
        .count();
    assert_eq!(
        first_pages, 1,
        "page 1 was asked for again after its checkpoint"
    );
    store.close().await;
}
