//! The deploy files are checked here because the container cannot be built on CI machines: the
//! example config must load and document every key, the unit must stay hardened and valid for
//! systemd, and the compose file must keep its PostgreSQL-plus-two-replicas shape.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sync_daemon::config::Config;

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy")
}

fn read(relative: &str) -> String {
    let path = deploy_dir().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn example_config_loads_validates_and_shows_the_defaults() {
    let path = deploy_dir().join("omsync.example.toml");
    let config = Config::load_with_env(Some(&path), []).unwrap();
    config.validate().unwrap();

    assert_eq!(config.database_url, "sqlite://omsync.db");
    assert_eq!(config.sync.interval, Duration::from_secs(15 * 60));
    assert_eq!(
        config.sync.initial_lookback,
        Duration::from_secs(5 * 86_400)
    );
    assert_eq!(
        config.sync.incremental_lookback,
        Duration::from_secs(2 * 86_400)
    );
    assert_eq!(
        config.credentials.key_file.as_deref(),
        Some(Path::new("/etc/omsync/credentials.key"))
    );

    // Apart from the key file, the example claims to show the defaults: hold it to that.
    let mut expected = Config::default();
    expected.credentials.key_file = Some(PathBuf::from("/etc/omsync/credentials.key"));
    assert_eq!(config, expected);
}

#[test]
fn example_config_mentions_every_key() {
    let text = read("omsync.example.toml");
    let defaults = serde_json::to_value(Config::default()).unwrap();
    let mut keys = Vec::new();
    collect_keys(&defaults, "", &mut keys);
    // `key_file` defaults to None, which serde_json keeps as null: it is still listed.
    assert!(keys.contains(&"credentials.key_file".to_owned()));

    let mut missing = Vec::new();
    for key in &keys {
        let (table, leaf) = match key.rsplit_once('.') {
            Some((table, leaf)) => (table, leaf),
            None => ("", key.as_str()),
        };
        if !table_has_key(&text, table, leaf) {
            missing.push(key.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "keys missing from the example: {missing:?}"
    );
}

fn collect_keys(value: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
    if let serde_json::Value::Object(map) = value {
        for (k, v) in map {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            if v.is_object() {
                collect_keys(v, &key, out);
            } else {
                out.push(key);
            }
        }
    }
}

/// Whether `leaf = ...` appears, set or commented out, under `[table]` (or before any table).
fn table_has_key(text: &str, table: &str, leaf: &str) -> bool {
    let mut current = "";
    for line in text.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name;
            continue;
        }
        let assignment = line.trim_start_matches('#').trim_start();
        let is_key = assignment
            .split_once('=')
            .is_some_and(|(k, _)| k.trim() == leaf);
        if current == table && is_key {
            return true;
        }
    }
    false
}

/// `Key=Value` lines of a unit file, in order; a key may repeat (`Environment=`).
fn unit_entries(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(';'))
        .filter(|l| !l.starts_with('['))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

#[test]
fn systemd_unit_is_hardened() {
    let text = read("systemd/omsync.service");
    let entries = unit_entries(&text);
    let values = |key: &str| -> Vec<&str> {
        entries
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let value = |key: &str| -> String {
        let found = values(key);
        assert_eq!(found.len(), 1, "{key}= should appear once, found {found:?}");
        found[0].to_owned()
    };

    assert_eq!(value("Type"), "notify");
    assert!(value("ExecStartPre").contains("config check"));
    assert!(value("ExecStart").contains(" run "));
    assert_eq!(value("DynamicUser"), "yes");
    assert_eq!(value("StateDirectory"), "omsync");
    assert_eq!(value("ProtectSystem"), "strict");
    assert_eq!(value("ProtectHome"), "yes");
    assert_eq!(value("PrivateTmp"), "yes");
    assert_eq!(value("NoNewPrivileges"), "yes");
    assert_eq!(value("ProtectKernelTunables"), "yes");
    assert_eq!(value("ProtectKernelModules"), "yes");
    assert_eq!(value("ProtectKernelLogs"), "yes");
    assert_eq!(value("RestrictAddressFamilies"), "AF_UNIX AF_INET AF_INET6");
    assert_eq!(value("MemoryDenyWriteExecute"), "yes");
    assert_eq!(value("SystemCallFilter"), "@system-service");
    assert_eq!(value("CapabilityBoundingSet"), "");
    assert_eq!(value("Restart"), "on-failure");
    assert_eq!(value("KillSignal"), "SIGTERM");
    assert_eq!(value("TimeoutStopSec"), "45");
    assert!(
        values("WatchdogSec").is_empty(),
        "the daemon sends no watchdog pings"
    );
    assert_eq!(
        value("LoadCredential"),
        "credentials.key:/etc/omsync/credentials.key"
    );
    let env = values("Environment");
    assert!(env.contains(&"OMSYNC_DATABASE_URL=sqlite:///var/lib/omsync/omsync.db"));
    assert!(env.contains(&"OMSYNC_CREDENTIALS__KEY_FILE=%d/credentials.key"));
}

#[test]
fn systemd_accepts_the_unit() {
    let Ok(status) = Command::new("systemd-analyze").arg("--version").output() else {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("systemd-analyze not on PATH: skipping `systemd-analyze verify`");
        }
        return;
    };
    assert!(status.status.success());

    // verify insists the executables exist; the binary is not installed here.
    let unit: String = read("systemd/omsync.service")
        .lines()
        .map(|line| match line.split_once('=') {
            Some((key, _)) if key.starts_with("Exec") => format!("{key}=/bin/true\n"),
            _ => format!("{line}\n"),
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("omsync.service");
    std::fs::write(&path, unit).unwrap();

    let output = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    // verify exits 0 on unknown keys and bad values, which it only warns about, naming the file.
    let about_unit: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("omsync.service"))
        .collect();
    assert!(about_unit.is_empty(), "{about_unit:#?}");
}

#[test]
fn compose_runs_postgres_and_two_replicas() {
    let text = read("compose.yaml");
    assert!(text.contains("image: postgres:16"));
    assert!(text.contains("pg_isready"));
    assert!(text.contains("\n  omsync-1:\n"));
    assert!(text.contains("\n  omsync-2:\n"));
    assert!(text.contains("OMSYNC_INSTANCE_ID: omsync-1"));
    assert!(text.contains("OMSYNC_INSTANCE_ID: omsync-2"));
    assert!(text.contains("\n  migrate:\n"));
    assert!(text.contains(r#"entrypoint: ["/usr/local/bin/omsync", "migrate"]"#));
    assert!(text.contains("@postgres:5432/"));
    assert!(text.contains("OMSYNC_ADMIN__LISTEN: 0.0.0.0:8080"));
    assert!(text.contains("OMSYNC_CREDENTIALS__KEY_FILE: /run/secrets/credentials_key"));
    assert!(text.contains("condition: service_healthy"));
    assert!(text.contains("condition: service_completed_successfully"));
}

#[test]
fn container_runs_unprivileged_with_a_healthcheck() {
    let text = read("container/Dockerfile");
    assert!(text.contains("FROM rust:1-bookworm AS builder"));
    assert!(text.contains("cargo build --release -p sync-daemon --locked"));
    assert!(text.contains("FROM debian:bookworm-slim"));
    assert!(text.contains("ca-certificates"));
    assert!(text.contains("USER 10001"));
    assert!(text.contains(
        r#"CMD ["/usr/local/bin/omsync", "healthcheck", "--url", "http://127.0.0.1:8080/readyz"]"#
    ));
    assert!(text.contains("EXPOSE 8080"));
    assert!(text.contains(r#"ENTRYPOINT ["/usr/local/bin/omsync", "run"]"#));
}
