//! The kit's promises, proven end to end through `HttpClient`: one refresh for many callers,
//! `Retry-After` honoured, quotas never exceeded, secrets never shown.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use connector_kit::token::HeaderTokenAuth;
use connector_kit::{
    ApiRequest, ConnectorOptions, HttpClient, RateLimits, RawResponse, ResponseClassifier,
    RetryConfig, SecretString, TokenCache, TokenGrant, TokenSource, Transport,
};
use core_model::{ErrorKind, MarketplaceError, Operation, Platform};
use http::HeaderName;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Classifies like most platforms: 401/403 unauthorized, 429 throttled, 5xx transient.
#[derive(Debug)]
struct StatusClassifier;

impl ResponseClassifier for StatusClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        match r.status.as_u16() {
            200..=299 => Ok(()),
            401 | 403 => Err(MarketplaceError::unauthorized("token refused")),
            429 => Err(MarketplaceError::rate_limited(None, "throttled")),
            500..=599 => Err(MarketplaceError::transient("server error")),
            s => Err(MarketplaceError::permanent(format!("status {s}"))),
        }
    }
}

/// A token endpoint reached through the same kit client, as connectors do.
#[derive(Debug)]
struct WireTokens {
    http: HttpClient,
}

#[async_trait]
impl TokenSource for WireTokens {
    async fn refresh(&self, refresh: &SecretString) -> Result<TokenGrant, MarketplaceError> {
        let url = self.http.url("https://api.example.com/auth/o2/token")?;
        connector_kit::oauth::refresh_token_grant(
            &self.http,
            url,
            "client-id-1",
            &SecretString::from("client-secret-XYZ".to_owned()),
            refresh,
        )
        .await
    }
}

fn client(options: &ConnectorOptions, limits: RateLimits) -> HttpClient {
    HttpClient::new(
        Platform::Amazon,
        options,
        limits,
        Arc::new(StatusClassifier),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_calls_with_an_expired_token_cause_one_refresh() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/o2/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "Atza|fresh", "refresh_token": "Atzr|rotated",
            "token_type": "bearer", "expires_in": 3600
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .and(header("x-amz-access-token", "Atza|fresh"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .expect(50)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .respond_with(ResponseTemplate::new(403).set_body_string(r#"{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied."}]}"#))
        .with_priority(10)
        .mount(&server)
        .await;

    let options = ConnectorOptions {
        base_url: Some(server.uri().parse().unwrap()),
        retry: RetryConfig::fast(),
        ..ConnectorOptions::default()
    };
    let http = client(&options, RateLimits::new());
    let cache = TokenCache::new(
        Arc::new(WireTokens { http: http.clone() }),
        SecretString::from("Atzr|original".to_owned()),
        Some(SecretString::from("Atza|expired".to_owned())),
        None,
    );
    let auth = Arc::new(HeaderTokenAuth::new(
        cache,
        HeaderName::from_static("x-amz-access-token"),
        "",
    ));
    let url = http
        .url("https://sellingpartnerapi-na.amazon.com/orders")
        .unwrap();
    let calls: Vec<_> = (0..50)
        .map(|_| {
            let (http, auth, url) = (http.clone(), auth.clone(), url.clone());
            tokio::spawn(async move {
                http.send(
                    ApiRequest::get(Operation::PullOrders, "orders", url),
                    Some(auth.as_ref()),
                )
                .await
            })
        })
        .collect();
    for c in calls {
        c.await.unwrap().unwrap();
    }
    // `expect(1)` on the token endpoint is checked when the server drops; check now too.
    let token_calls = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/auth/o2/token")
        .count();
    assert_eq!(token_calls, 1);
}

/// A scripted answer: status and headers.
type Answer = (u16, Vec<(&'static str, &'static str)>);

/// A transport that answers from a script and notes the (tokio) time of every request.
#[derive(Debug)]
struct Scripted {
    answers: Mutex<Vec<Answer>>,
    sent_at: Mutex<Vec<tokio::time::Instant>>,
}

impl Scripted {
    fn new(mut answers: Vec<Answer>) -> Arc<Self> {
        answers.reverse();
        Arc::new(Scripted {
            answers: Mutex::new(answers),
            sent_at: Mutex::new(Vec::new()),
        })
    }
}

#[async_trait]
impl Transport for Scripted {
    async fn send(&self, _r: reqwest::Request) -> Result<reqwest::Response, reqwest::Error> {
        self.sent_at
            .lock()
            .unwrap()
            .push(tokio::time::Instant::now());
        let (status, headers) = self.answers.lock().unwrap().pop().unwrap_or((200, vec![]));
        let mut b = http::Response::builder().status(status);
        for (k, v) in headers {
            b = b.header(k, v);
        }
        Ok(reqwest::Response::from(b.body("{}").unwrap()))
    }
}

#[tokio::test(start_paused = true)]
async fn a_429_with_retry_after_2_waits_at_least_2_seconds() {
    let transport = Scripted::new(vec![(429, vec![("retry-after", "2")]), (200, vec![])]);
    let options = ConnectorOptions {
        transport: Some(transport.clone()),
        retry: RetryConfig {
            min_delay: Duration::from_millis(10),
            ..RetryConfig::default()
        },
        ..ConnectorOptions::default()
    };
    let http = client(&options, RateLimits::new());
    let url = http.url("https://api.example.com/orders").unwrap();
    let started = tokio::time::Instant::now();
    http.send(ApiRequest::get(Operation::PullOrders, "orders", url), None)
        .await
        .unwrap();
    let sent = transport.sent_at.lock().unwrap().clone();
    assert_eq!(sent.len(), 2);
    assert!(
        sent[1] - sent[0] >= Duration::from_secs(2),
        "waited {:?}",
        sent[1] - sent[0]
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    let stats = http.stats();
    assert_eq!((stats.requests, stats.throttled, stats.retries), (2, 1, 1));
}

#[tokio::test(start_paused = true)]
async fn errors_that_cannot_succeed_are_not_retried() {
    let transport = Scripted::new(vec![(400, vec![]), (200, vec![])]);
    let options = ConnectorOptions {
        transport: Some(transport.clone()),
        ..ConnectorOptions::default()
    };
    let http = client(&options, RateLimits::new());
    let url = http.url("https://api.example.com/orders").unwrap();
    let err = http
        .send(ApiRequest::get(Operation::PullOrders, "orders", url), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Permanent);
    assert_eq!(err.platform(), Some(Platform::Amazon));
    assert_eq!(transport.sent_at.lock().unwrap().len(), 1);

    // 5xx is retried until the budget is spent, then surfaces as transient.
    let transport = Scripted::new(vec![(503, vec![]); 10]);
    let options = ConnectorOptions {
        transport: Some(transport.clone()),
        retry: RetryConfig {
            max_retries: 3,
            ..RetryConfig::default()
        },
        ..ConnectorOptions::default()
    };
    let http = client(&options, RateLimits::new());
    let url = http.url("https://api.example.com/orders").unwrap();
    let err = http
        .send(ApiRequest::get(Operation::PullOrders, "orders", url), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transient);
    assert_eq!(transport.sent_at.lock().unwrap().len(), 4);
}

#[tokio::test(start_paused = true)]
async fn a_connector_never_exceeds_its_declared_quota() {
    let transport = Scripted::new(vec![]);
    let options = ConnectorOptions {
        transport: Some(transport.clone()),
        ..ConnectorOptions::default()
    };
    // Amazon's sandbox quota: 5 requests a second, burst 15.
    let http = client(&options, RateLimits::new().with("orders", 5.0, 15));
    let url = http.url("https://api.example.com/orders").unwrap();
    let start = tokio::time::Instant::now();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (http, url) = (http.clone(), url.clone());
            tokio::spawn(async move {
                for _ in 0..10 {
                    http.send(
                        ApiRequest::get(Operation::PullOrders, "orders", url.clone()),
                        None,
                    )
                    .await
                    .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let sent: Vec<f64> = transport
        .sent_at
        .lock()
        .unwrap()
        .iter()
        .map(|t| (*t - start).as_secs_f64())
        .collect();
    assert_eq!(sent.len(), 200);
    // 200 requests, 15 at once, then 5 a second: at least 37 simulated seconds.
    let last = sent.iter().cloned().fold(0.0, f64::max);
    assert!(last >= 36.9, "finished after {last}s");
    // A token bucket allows at most its burst plus one second's rate in any one second, and
    // once the burst is spent, no more than the rate.
    for &t0 in &sent {
        let in_window = sent.iter().filter(|&&t| t >= t0 && t < t0 + 1.0).count();
        assert!(
            in_window <= 15 + 5,
            "{in_window} requests in [{t0}, {t0}+1)"
        );
        if t0 >= 3.0 {
            assert!(in_window <= 5, "{in_window} requests in [{t0}, {t0}+1)");
        }
    }
}

/// A `MakeWriter` collecting every log line.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Every log line of this test binary, from every test, at TRACE level. A global subscriber,
/// because thread-local ones miss events whose callsites other test threads registered first.
fn captured_logs() -> &'static Captured {
    static LOGS: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(logs.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber");
        logs
    })
}

#[tokio::test]
async fn no_secret_in_debug_output_or_log_lines() {
    let logs = captured_logs();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/o2/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "Atza|SECRET-ACCESS", "refresh_token": "Atzr|SECRET-ROTATED",
            "token_type": "bearer", "expires_in": 3600
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&server)
        .await;
    let options = ConnectorOptions {
        base_url: Some(server.uri().parse().unwrap()),
        retry: RetryConfig::fast(),
        ..ConnectorOptions::default()
    };
    let http = client(&options, RateLimits::new());
    let cache = TokenCache::new(
        Arc::new(WireTokens { http: http.clone() }),
        SecretString::from("Atzr|SECRET-REFRESH".to_owned()),
        None,
        None,
    );
    let auth = HeaderTokenAuth::new(cache, HeaderName::from_static("x-amz-access-token"), "");
    let url = http
        .url("https://sellingpartnerapi-na.amazon.com/orders")
        .unwrap();
    let request = ApiRequest::get(Operation::PullOrders, "orders", url)
        .query("access_token", "SECRET-IN-QUERY")
        .header(
            HeaderName::from_static("x-amz-access-token"),
            "Atza|SECRET-HEADER",
        );
    let err = http.send(request.clone(), Some(&auth)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);

    let shown = format!(
        "{}\n{err}\n{err:?}\n{request:?}\n{auth:?}\n{http:?}\n{options:?}",
        String::from_utf8_lossy(&logs.0.lock().unwrap())
    );
    assert!(
        shown.contains("platform call"),
        "logging was not captured:\n{shown}"
    );
    for secret in ["SECRET", "client-secret-XYZ"] {
        assert!(!shown.contains(secret), "`{secret}` leaked:\n{shown}");
    }
}

#[tokio::test]
async fn the_token_endpoint_answer_invalid_grant_means_reauthorize() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/o2/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": "invalid_grant", "error_description": "The request has an invalid grant parameter : refresh_token"
        })))
        .mount(&server)
        .await;
    let options = ConnectorOptions {
        base_url: Some(server.uri().parse().unwrap()),
        retry: RetryConfig::fast(),
        ..ConnectorOptions::default()
    };
    let http = client(&options, RateLimits::new());
    let err = WireTokens { http }
        .refresh(&SecretString::from("Atzr|x".to_owned()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(err.code(), Some("invalid_grant"));
    assert_eq!(err.operation(), Some(Operation::RefreshToken));
}

#[tokio::test]
async fn client_credentials_with_basic_auth_and_platform_headers() {
    use connector_kit::oauth::{ClientAuth, OAuthApp};
    use connector_kit::ExposeSecret;
    let server = MockServer::start().await;
    // Basic base64("my-client:my-secret"), as Walmart and eBay expect.
    Mock::given(method("POST"))
        .and(path("/v3/token"))
        .and(header(
            "authorization",
            "Basic bXktY2xpZW50Om15LXNlY3JldA==",
        ))
        .and(header("wm_svc.name", "Walmart Marketplace"))
        .and(wiremock::matchers::body_string_contains(
            "grant_type=client_credentials",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "eyJraWQiOi-app-token", "token_type": "Bearer", "expires_in": 900
        })))
        .expect(1)
        .mount(&server)
        .await;
    let options = ConnectorOptions {
        base_url: Some(server.uri().parse().unwrap()),
        retry: RetryConfig::fast(),
        ..ConnectorOptions::default()
    };
    let http = client(&options, RateLimits::new());
    let secret = SecretString::from("my-secret".to_owned());
    let grant = OAuthApp::new(
        &http,
        http.url("https://marketplace.walmartapis.com/v3/token")
            .unwrap(),
        "my-client",
        &secret,
        ClientAuth::Basic,
    )
    .with_header(
        HeaderName::from_static("wm_svc.name"),
        "Walmart Marketplace",
    )
    .client_credentials(&[])
    .await
    .unwrap();
    assert_eq!(grant.access_token.expose_secret(), "eyJraWQiOi-app-token");
    assert_eq!(grant.expires_in, Some(Duration::from_secs(900)));
    assert!(grant.refresh_token.is_none());
}
