//! Killing `omsync run` at the worst moment of "mark as shipped": the platform (Walmart, on
//! its fixtures) has accepted the shipment, the outbox has not recorded it. Started again, the
//! daemon uploads the same shipment once more; the platform answers that the line is shipped
//! already, and the upload counts as done: no second shipment, no failure, nothing lost. The
//! whole flow before it runs through the CLI, as an operator would.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use connector_testkit::{fixtures_root, mount_for_serving, LoadedScenario};
use core_model::store::{OrderStore, UploadStatus};
use core_model::{Platform, StoreId};
use support::cli::Omsync;
use wiremock::MockServer;

mod support;

const ORDER: &str = "108921034567812";

async fn upload_status(db: &Path) -> Option<(UploadStatus, Option<bool>, i64)> {
    let store = OrderStore::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let uploads = store.tracking_uploads(StoreId(1), ORDER).await.unwrap();
    store.close().await;
    uploads
        .first()
        .map(|u| (u.status, u.already_confirmed, u.attempts))
}

/// Waits for the daemon to end on its own (the failpoint aborts it).
fn wait_for_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "the daemon did not reach the failpoint"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_the_platforms_ack_and_the_commit_is_harmless() {
    let factory = sync_daemon::registry::factory(Platform::Walmart).unwrap();
    let dir = fixtures_root().join("walmart");
    let pull = LoadedScenario::load(&dir.join("multi-page")).unwrap();
    let tracking = LoadedScenario::load(&dir.join("tracking")).unwrap();
    let server = MockServer::start().await;
    mount_for_serving(&server, Arc::clone(&factory), &pull)
        .await
        .unwrap();
    mount_for_serving(&server, factory, &tracking)
        .await
        .unwrap();

    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("omsync.db");
    let creds = tmp.path().join("walmart.json");
    std::fs::write(&creds, serde_json::to_vec(&pull.credentials).unwrap()).unwrap();
    let key = base64::engine::general_purpose::STANDARD.encode([5u8; 32]);
    let env: Vec<(String, String)> = vec![
        (
            "OMSYNC_DATABASE_URL".into(),
            format!("sqlite://{}", db.display()),
        ),
        ("OMSYNC_CREDENTIALS_KEY".into(), key),
        ("OMSYNC_PLATFORMS__WALMART__BASE_URL".into(), server.uri()),
        ("OMSYNC_SYNC__RATE_LIMITS".into(), "false".into()),
        // Only the OMS workers run: no scheduled pulls, no admin port.
        ("OMSYNC_SYNC__ENABLED".into(), "false".into()),
        ("OMSYNC_ADMIN__ENABLED".into(), "false".into()),
    ];
    let cli = Omsync::with_env(&env);
    let run = |args: &[&str]| cli.ok(args);
    run(&[
        "store",
        "add",
        "--new-seller",
        "Crash Test",
        "--platform",
        "walmart",
        "--name",
        "W",
        "--credentials",
        creds.to_str().unwrap(),
    ]);
    let w = pull.expect.window.unwrap();
    let (from, to) = (w.from.to_rfc3339(), w.to.to_rfc3339());
    run(&["sync", "--store", "1", "--from", &from, "--to", &to]);

    // The flow, as the operator runs it from the shell.
    run(&[
        "warehouse",
        "add",
        "--code",
        "LAX-1",
        "--name",
        "Los Angeles",
        "--currency",
        "USD",
    ]);
    run(&[
        "warehouse",
        "add-channel",
        "--warehouse",
        "1",
        "--code",
        "UPS-GROUND",
        "--name",
        "UPS Ground",
        "--kind",
        "warehouse",
        "--carrier",
        "UPS",
    ]);
    run(&[
        "product", "add", "--seller", "1", "--sku", "MUG-12", "--name", "Blue mug",
    ]);
    run(&["product", "submit", "1"]);
    run(&["product", "approve", "1"]);
    run(&["product", "measure", "1", "--weight-g", "410"]);
    run(&[
        "mapping",
        "add",
        "--store",
        "1",
        "--platform-sku",
        "MUG-BLUE-12OZ",
        "--system-sku",
        "MUG-12",
    ]);
    run(&[
        "inbound",
        "create",
        "--seller",
        "1",
        "--warehouse",
        "1",
        "--reference",
        "ASN-1",
        "--line",
        "MUG-12:5",
        "--submit",
    ]);
    run(&["inbound", "receive", "1"]);
    run(&[
        "account",
        "set",
        "--seller",
        "1",
        "--currency",
        "USD",
        "--credit-limit",
        "100.00",
    ]);
    let store = OrderStore::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let order = store
        .get_order(StoreId(1), ORDER)
        .await
        .unwrap()
        .unwrap()
        .id;
    store.close().await;
    let review = run(&[
        "order",
        "review",
        &order.to_string(),
        "--warehouse",
        "1",
        "--channel",
        "1",
    ]);
    assert!(review.contains("1 reviewed, 0 refused"), "{review}");
    run(&[
        "fulfillment",
        "label",
        "1",
        "--tracking",
        "1Z999AA10123456784",
        "--carrier",
        "UPS",
    ]);
    run(&["fulfillment", "submit", "1"]);
    let shipped = run(&[
        "fulfillment",
        "ship",
        "1",
        "--shipped-at",
        "2026-05-11T15:04:05Z",
    ]);
    assert!(shipped.contains("tracking upload 1 queued"), "{shipped}");
    assert_eq!(
        upload_status(&db).await.map(|u| u.0),
        Some(UploadStatus::Pending)
    );

    // The daemon uploads, the platform accepts, and the process dies before recording it.
    let mut crash = env.clone();
    crash.push(("OMSYNC_FAILPOINT".into(), "abort-after-tracking-ack".into()));
    let mut child = Omsync::with_env(&crash)
        .command()
        .arg("run")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status = wait_for_exit(&mut child);
    assert_eq!(status.code(), Some(86), "the failpoint's exit: {status:?}");
    let shipping = |reqs: &[wiremock::Request]| {
        reqs.iter()
            .filter(|r| r.url.path().ends_with("/shipping"))
            .count()
    };
    assert_eq!(
        shipping(&server.received_requests().await.unwrap()),
        1,
        "the platform has it"
    );
    let (status, _, _) = upload_status(&db).await.unwrap();
    assert_eq!(status, UploadStatus::Pending, "the outbox does not know");

    // Started again: the claim of the dead process is dropped, the upload repeats, the
    // platform says "already shipped", and that is success.
    let mut child = cli
        .command()
        .arg("run")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let done = loop {
        assert!(child.try_wait().unwrap().is_none(), "the daemon ended");
        match upload_status(&db).await {
            Some((UploadStatus::Pending, _, _)) | None => {}
            Some(other) => break other,
        }
        assert!(Instant::now() < deadline, "no second upload");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    assert!(child.wait().unwrap().success());
    assert_eq!(
        done,
        (UploadStatus::Uploaded, Some(true), 1),
        "uploaded, already confirmed"
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(shipping(&requests), 2, "asked twice, shipped once");
    let acks = requests
        .iter()
        .filter(|r| r.url.path().ends_with("/acknowledge"))
        .count();
    assert_eq!(
        acks, 1,
        "the repeat saw the line shipped and did not acknowledge again"
    );

    let shown = run(&["order", "show", &order.to_string()]);
    assert!(
        shown.contains("tracking upload fo-1: uploaded UPS 1Z999AA10123456784"),
        "{shown}"
    );
    assert!(shown.contains("flow: Shipped"), "{shown}");
}
