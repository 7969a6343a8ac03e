//! `omsync run` as a process: one process per SQLite file, and SIGTERM ends it cleanly.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;

fn omsync(db: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_omsync"));
    c.env("OMSYNC_DATABASE_URL", format!("sqlite://{}", db.display()))
        .env(
            "OMSYNC_CREDENTIALS_KEY",
            base64::engine::general_purpose::STANDARD.encode([3u8; 32]),
        )
        .env("OMSYNC_ADMIN__ENABLED", "false")
        .env_remove("OMSYNC_CONFIG");
    c
}

#[test]
fn a_second_daemon_on_one_sqlite_file_refuses_and_sigterm_stops_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("omsync.db");
    let mut first = omsync(&db)
        .args(["run", "--log", "info"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Its log, read as it comes: "omsync running" once the lock is held and it serves.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stderr = first.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut log = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !log.iter().any(|l: &String| l.contains("omsync running")) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => log.push(line),
            Err(_) => panic!("the daemon did not start: {log:?}"),
        }
    }
    // A second daemon on the same file refuses, saying why.
    let mut second = omsync(&db)
        .arg("run")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            second.kill().unwrap();
            panic!("a second daemon started on the same SQLite file");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(!status.success());
    let mut err = String::new();
    std::io::Read::read_to_string(second.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(err.contains("another omsync process is running"), "{err}");
    assert!(err.contains("use PostgreSQL for several replicas"), "{err}");
    let pid = first.id().to_string();
    let stopped = Instant::now();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = first.wait().unwrap();
    assert!(status.success(), "SIGTERM ends with exit 0: {status:?}");
    assert!(stopped.elapsed() < Duration::from_secs(30));
    reader.join().unwrap();
    log.extend(rx.try_iter());
    assert!(log.iter().any(|l| l.contains("stopped")), "{log:?}");
    // The lock went with the process: a new one starts.
    let out = omsync(&db).args(["store", "list"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_missing_or_wrong_credentials_key_is_a_clear_startup_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("omsync.db");
    // The first key used is remembered (a sealed check value), so another key is refused.
    let ok = omsync(&db).args(["store", "list"]).output().unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let creds = dir.path().join("creds.json");
    std::fs::write(
        &creds,
        r#"{"shop_domain": "acme.myshopify.com", "access_token": "shpat_x"}"#,
    )
    .unwrap();
    let added = omsync(&db)
        .args([
            "store",
            "add",
            "--new-seller",
            "s",
            "--platform",
            "shopify",
            "--name",
            "n",
        ])
        .arg("--credentials")
        .arg(&creds)
        .output()
        .unwrap();
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );

    let wrong = base64::engine::general_purpose::STANDARD.encode([4u8; 32]);
    let out = omsync(&db)
        .env("OMSYNC_CREDENTIALS_KEY", &wrong)
        .arg("run")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not the key they were sealed with"), "{err}");
    assert!(!err.contains(&wrong), "the key itself is never printed");

    let out = omsync(&db)
        .env_remove("OMSYNC_CREDENTIALS_KEY")
        .arg("run")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no credentials key"), "{err}");
}

#[test]
fn the_example_config_checks_and_the_running_daemon_answers_its_health_checks() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("omsync.db");
    let example =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/omsync.example.toml");
    // `ExecStartPre`: the example config (key from the environment, database overridden).
    let out = omsync(&db)
        .arg("--config")
        .arg(&example)
        .args(["config", "check"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("config ok"));

    // A free port for the admin API.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut daemon = omsync(&db)
        .env("OMSYNC_ADMIN__ENABLED", "true")
        .env("OMSYNC_ADMIN__LISTEN", format!("127.0.0.1:{port}"))
        .arg("run")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/readyz");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(daemon.try_wait().unwrap().is_none(), "the daemon exited");
        let check = omsync(&db)
            .args(["healthcheck", "--url", &url])
            .status()
            .unwrap();
        if check.success() {
            break;
        }
        assert!(Instant::now() < deadline, "never ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Prometheus text from the real recorder.
    let metrics = omsync(&db)
        .args([
            "healthcheck",
            "--url",
            &format!("http://127.0.0.1:{port}/metrics"),
        ])
        .status()
        .unwrap();
    assert!(metrics.success());
    let wrong = omsync(&db)
        .args([
            "healthcheck",
            "--url",
            &format!("http://127.0.0.1:{port}/v1/stores"),
        ])
        .status()
        .unwrap();
    assert!(!wrong.success(), "the API wants a token");
    assert!(Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status()
        .unwrap()
        .success());
    assert!(daemon.wait().unwrap().success());
}
