//! The connector author's tools, run as a user runs them: `omsync fixtures serve` on
//! loopback, `omsync pull` against it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// Every registered connector: `omsync pull` and `omsync demo` must work for each.
const PLATFORMS: &[&str] = &[
    "amazon",
    "shopee",
    "tiktok-shop",
    "temu",
    "mercadolibre",
    "walmart",
    "shopify",
    "ebay",
    "lazada",
    "wayfair",
    "shein",
    "rakuten",
    "yahoo-shopping",
    "aliexpress",
    "ozon",
    "coupang",
];

fn omsync() -> Command {
    Command::new(env!("CARGO_BIN_EXE_omsync"))
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// `omsync fixtures serve`, killed on drop.
struct Served {
    child: Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(platform: &str, scenario: &str) -> Served {
    let mut child = omsync()
        .args([
            "fixtures",
            "serve",
            "--platform",
            platform,
            "--scenario",
            scenario,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "serve printed `{url}`"
    );
    Served { child, url }
}

fn window(platform: &str, scenario: &str) -> (String, String) {
    let path = fixtures()
        .join(platform)
        .join(scenario)
        .join("scenario.json");
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let w = &s["expect"]["window"];
    (
        w["from"].as_str().unwrap().to_owned(),
        w["to"].as_str().unwrap().to_owned(),
    )
}

/// A copy of the scenario's credentials: `pull` writes rotated tokens back.
fn credentials(platform: &str, scenario: &str, dir: &Path) -> PathBuf {
    let to = dir.join(format!("{platform}-{scenario}.json"));
    std::fs::copy(
        fixtures()
            .join(platform)
            .join(scenario)
            .join("credentials.json"),
        &to,
    )
    .unwrap();
    to
}

fn pull(platform: &str, scenario: &str, url: &str, creds: &Path) -> Output {
    let (from, to) = window(platform, scenario);
    omsync()
        .args([
            "pull",
            "--platform",
            platform,
            "--base-url",
            url,
            "--credentials",
        ])
        .arg(creds)
        .args(["--from", &from, "--to", &to, "--no-rate-limits"])
        .output()
        .unwrap()
}

fn expected_orders(platform: &str, scenario: &str) -> Vec<String> {
    let path = fixtures()
        .join(platform)
        .join(scenario)
        .join("scenario.json");
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut ids: Vec<String> = s["expect"]["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[test]
fn pull_against_a_served_scenario_prints_every_order_as_a_json_line() {
    let dir = tempfile::tempdir().unwrap();
    for &platform in PLATFORMS {
        let served = serve(platform, "multi-page");
        let creds = credentials(platform, "multi-page", dir.path());
        let out = pull(platform, "multi-page", &served.url, &creds);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{platform}: {stderr}");

        let mut ids = Vec::new();
        for line in String::from_utf8(out.stdout).unwrap().lines() {
            let o: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(o["platform"], platform);
            for key in ["platform_order_id", "platform_status", "currency"] {
                assert!(
                    o[key].as_str().is_some_and(|s| !s.is_empty()),
                    "{key} in {line}"
                );
            }
            assert!(["awaiting_fulfillment", "shipped", "cancelled", "other"]
                .contains(&o["status"].as_str().unwrap()));
            for key in ["created_at", "updated_at"] {
                let t = o[key].as_str().unwrap();
                assert!(t.ends_with('Z'), "{key} `{t}` is not UTC");
                chrono::DateTime::parse_from_rfc3339(t).unwrap();
            }
            for l in o["lines"].as_array().unwrap() {
                assert!(l["platform_sku"].is_string());
                assert!(l["quantity"].as_u64().unwrap() > 0);
                let price = l["unit_price"]
                    .as_str()
                    .expect("unit_price is a decimal string");
                rust_decimal::Decimal::from_str_exact(price).unwrap();
            }
            assert!(o["ship_to"].is_object());
            ids.push(o["platform_order_id"].as_str().unwrap().to_owned());
        }
        ids.sort();
        assert_eq!(ids, expected_orders(platform, "multi-page"), "{platform}");
    }
}

#[test]
fn an_expired_access_token_in_the_credentials_file_is_refreshed_and_written_back() {
    let dir = tempfile::tempdir().unwrap();
    let served = serve("shopee", "token-expired");
    let creds = credentials("shopee", "token-expired", dir.path());
    let before: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&creds).unwrap()).unwrap();
    let out = pull("shopee", "token-expired", &served.url, &creds);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().lines().count(),
        expected_orders("shopee", "token-expired").len()
    );
    let after: serde_json::Value = serde_json::from_slice(&std::fs::read(&creds).unwrap()).unwrap();
    // Shopee's refresh token is single use: the rotated one must be kept.
    assert_ne!(before["refresh_token"], after["refresh_token"]);
    assert_ne!(before["access_token"], after["access_token"]);
    assert_eq!(before["shop_id"], after["shop_id"]);
}

#[test]
fn malformed_orders_go_to_stderr_after_the_good_ones_with_exit_code_3() {
    let dir = tempfile::tempdir().unwrap();
    let served = serve("amazon", "malformed");
    let creds = credentials("amazon", "malformed", dir.path());
    let out = pull("amazon", "malformed", &served.url, &creds);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().lines().count(),
        expected_orders("amazon", "malformed").len()
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("malformed order"));
}

#[test]
fn bad_input_gets_a_clear_error_and_a_non_zero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("creds.json");
    let run = |args: &[&str]| {
        let out = omsync().args(args).output().unwrap();
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(out.stdout.is_empty());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let base = [
        "pull",
        "--base-url",
        "http://127.0.0.1:9",
        "--from",
        "2026-05-01T00:00:00Z",
    ];

    std::fs::write(&creds, r#"{"client_id": "x", "marketplace_ids": ["ATVPDKIKX0DER"], "refresh_token": "Atzr|s3cr3t-value"}"#).unwrap();
    let c = creds.to_str().unwrap();
    let err = run(&[
        &base[..],
        &[
            "--platform",
            "amazon",
            "--credentials",
            c,
            "--to",
            "2026-05-02T00:00:00Z",
        ],
    ]
    .concat());
    assert!(err.contains("client_secret"), "{err}");
    assert!(!err.contains("s3cr3t"), "{err}");

    let err = run(&[
        &base[..],
        &[
            "--platform",
            "amazon",
            "--credentials",
            c,
            "--to",
            "2026-04-01T00:00:00Z",
        ],
    ]
    .concat());
    assert!(err.contains("--from must be before --to"), "{err}");

    let err = run(&[
        &base[..],
        &[
            "--platform",
            "amazonia",
            "--credentials",
            c,
            "--to",
            "2026-05-02T00:00:00Z",
        ],
    ]
    .concat());
    assert!(err.contains("unknown platform"), "{err}");

    std::fs::write(&creds, "{ not json").unwrap();
    let err = run(&[
        &base[..],
        &[
            "--platform",
            "shopee",
            "--credentials",
            c,
            "--to",
            "2026-05-02T00:00:00Z",
        ],
    ]
    .concat());
    assert!(err.contains("not valid JSON"), "{err}");

    let err = run(&[
        "fixtures",
        "serve",
        "--platform",
        "shopee",
        "--scenario",
        "no-such-scenario",
    ]);
    assert!(
        err.contains("multi-page"),
        "the error lists the scenarios that exist: {err}"
    );
}

#[test]
fn the_demo_syncs_every_connector_through_the_engine_and_keeps_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let out = omsync().arg("demo").arg("--db").arg(&db).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for &platform in PLATFORMS {
        let n = expected_orders(platform, "multi-page").len();
        let row = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(platform))
            .unwrap_or_else(|| panic!("no summary row for {platform}:\n{text}"));
        let cols: Vec<&str> = row.split_whitespace().collect();
        // platform, store, orders, runs, pages, then the two runs' counts.
        assert_eq!(cols[2], n.to_string(), "{row}");
        assert_eq!(cols[3], "2", "{row}");
        assert!(row.contains(&format!(" {n} new ")), "initial pull: {row}");
        assert!(
            row.contains(&format!("0 new, 0 changed, {n} unchanged")),
            "the overlapping incremental pull changes nothing: {row}"
        );
    }
    // The OMS flow on the Walmart store ends with the tracking number on the platform.
    assert!(text.contains(", 0 refused"), "{text}");
    assert!(
        text.contains(
            "1Z999AA10123456784, submitted, shipped; tracking upload to walmart: uploaded"
        ),
        "{text}"
    );
    assert!(db.is_file());
    let shipped = omsync()
        .args(["fulfillment", "list", "--status", "shipped"])
        .env("OMSYNC_DATABASE_URL", format!("sqlite://{}", db.display()))
        .output()
        .unwrap();
    let shipped = String::from_utf8(shipped.stdout).unwrap();
    assert!(
        shipped.contains("108921034567812") && shipped.contains("Shipped"),
        "{shipped}"
    );
    // The database stays for the operator's commands.
    let runs = omsync()
        .args(["runs", "--limit", "100", "--json"])
        .env("OMSYNC_DATABASE_URL", format!("sqlite://{}", db.display()))
        .output()
        .unwrap();
    assert!(
        runs.status.success(),
        "{}",
        String::from_utf8_lossy(&runs.stderr)
    );
    let runs: Vec<serde_json::Value> = String::from_utf8(runs.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(runs.len(), 2 * PLATFORMS.len());
    assert!(runs.iter().all(|r| r["status"] == "succeeded"), "{runs:?}");
    assert_eq!(
        runs.iter().filter(|r| r["kind"] == "initial").count(),
        PLATFORMS.len()
    );
}
