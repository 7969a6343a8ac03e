//! The request path every connector call takes: retry budget -> rate limiter -> auth ->
//! timeout -> transport -> the connector's classifier.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use core_model::{ErrorKind, MarketplaceError, Operation, Platform};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::time::Instant;
use url::Url;

use crate::factory::{ConnectorOptions, WireRequest};
use crate::hosts::Hosts;
use crate::limit::RateLimits;
use crate::record::Recorder;
use crate::retry::RetryConfig;

/// A request body.
#[derive(Clone)]
pub enum Body {
    Empty,
    Json(serde_json::Value),
    Form(Vec<(String, String)>),
    Raw { content_type: String, bytes: Bytes },
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Bodies carry refresh tokens and buyer data: show only the kind.
        f.write_str(match self {
            Body::Empty => "Body::Empty",
            Body::Json(_) => "Body::Json(..)",
            Body::Form(_) => "Body::Form(..)",
            Body::Raw { .. } => "Body::Raw(..)",
        })
    }
}

/// One platform call, before auth. Cloned per attempt so signatures and timestamps are
/// recomputed on every retry.
#[derive(Clone)]
pub struct ApiRequest {
    pub operation: Operation,
    /// The endpoint class whose rate limit applies.
    pub class: &'static str,
    pub method: Method,
    pub url: Url,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(HeaderName, String)>,
    pub body: Body,
}

// Query, headers and body carry tokens and signatures: Debug shows only what was called.
impl fmt::Debug for ApiRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiRequest")
            .field("operation", &self.operation)
            .field("class", &self.class)
            .field("method", &self.method)
            .field("path", &self.url.path())
            .finish_non_exhaustive()
    }
}

impl ApiRequest {
    pub fn new(operation: Operation, class: &'static str, method: Method, url: Url) -> Self {
        ApiRequest {
            operation,
            class,
            method,
            url,
            query: Vec::new(),
            headers: Vec::new(),
            body: Body::Empty,
        }
    }

    pub fn get(operation: Operation, class: &'static str, url: Url) -> Self {
        Self::new(operation, class, Method::GET, url)
    }

    pub fn post(operation: Operation, class: &'static str, url: Url) -> Self {
        Self::new(operation, class, Method::POST, url)
    }

    pub fn query(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((key.into(), value.into()));
        self
    }

    /// Set a query parameter, replacing an earlier value of the same key.
    pub fn set_query(&mut self, key: &str, value: impl Into<String>) {
        self.query.retain(|(k, _)| k != key);
        self.query.push((key.to_owned(), value.into()));
    }

    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.set_header(name, value);
        self
    }

    pub fn set_header(&mut self, name: HeaderName, value: impl Into<String>) {
        self.headers.retain(|(n, _)| n != name);
        self.headers.push((name, value.into()));
    }

    pub fn json(mut self, body: &impl Serialize) -> Result<Self, MarketplaceError> {
        let value = serde_json::to_value(body)
            .map_err(|e| MarketplaceError::permanent(format!("cannot encode request body: {e}")))?;
        self.body = Body::Json(value);
        Ok(self)
    }

    pub fn form(mut self, fields: Vec<(String, String)>) -> Self {
        self.body = Body::Form(fields);
        self
    }

    /// The URL with the query appended exactly as it goes on the wire (for signatures that
    /// cover the encoded query, such as Coupang's CEA).
    pub fn wire_url(&self) -> Url {
        let mut url = self.url.clone();
        if !self.query.is_empty() {
            url.query_pairs_mut().extend_pairs(self.query.iter());
        }
        url
    }

    /// The URL with the query appended, the headers, and the body bytes, as they go on the
    /// wire. A `Content-Type` the connector set itself wins over the body's default.
    fn to_wire(&self) -> Result<WireRequest, MarketplaceError> {
        let url = self.wire_url();
        let mut headers = HeaderMap::new();
        for (name, value) in &self.headers {
            let mut v = HeaderValue::from_str(value).map_err(|_| {
                MarketplaceError::permanent(format!(
                    "header `{name}` has a value that is not valid in HTTP"
                ))
            })?;
            v.set_sensitive(true);
            headers.insert(name.clone(), v);
        }
        let body = match &self.body {
            Body::Empty => Bytes::new(),
            Body::Json(v) => {
                headers
                    .entry(http::header::CONTENT_TYPE)
                    .or_insert(HeaderValue::from_static("application/json"));
                Bytes::from(serde_json::to_vec(v).map_err(|e| {
                    MarketplaceError::permanent(format!("cannot encode request body: {e}"))
                })?)
            }
            Body::Form(fields) => {
                headers
                    .entry(http::header::CONTENT_TYPE)
                    .or_insert(HeaderValue::from_static(
                        "application/x-www-form-urlencoded;charset=UTF-8",
                    ));
                let encoded = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(fields.iter())
                    .finish();
                Bytes::from(encoded)
            }
            Body::Raw {
                content_type,
                bytes,
            } => {
                if let Ok(ct) = HeaderValue::from_str(content_type) {
                    headers.insert(http::header::CONTENT_TYPE, ct);
                }
                bytes.clone()
            }
        };
        Ok(WireRequest {
            method: self.method.clone(),
            url,
            headers,
            body,
        })
    }
}

/// A response read in full.
#[derive(Clone)]
pub struct RawResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl fmt::Debug for RawResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawResponse")
            .field("status", &self.status)
            .field("body_bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl RawResponse {
    /// A response with one content type, as classifiers and mock platforms see it. An invalid
    /// status becomes 500.
    pub fn new(status: u16, content_type: &str, body: impl Into<Bytes>) -> Self {
        let mut headers = HeaderMap::new();
        if let Ok(ct) = HeaderValue::from_str(content_type) {
            headers.insert(http::header::CONTENT_TYPE, ct);
        }
        RawResponse {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers,
            body: body.into(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    pub fn content_type(&self) -> Option<&str> {
        self.header(http::header::CONTENT_TYPE.as_str())
    }

    pub fn is_json(&self) -> bool {
        self.content_type().is_some_and(|ct| ct.contains("json"))
    }

    /// Decode the body. A body that does not fit is `Malformed`; the message names where it
    /// broke, never the payload (which may hold buyer data).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, MarketplaceError> {
        decode_json(&self.body)
    }
}

/// Decode JSON into `T`, reporting the path and position of a failure without echoing values.
pub fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, MarketplaceError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let what = match inner.classify() {
            serde_json::error::Category::Io => "read error",
            serde_json::error::Category::Syntax => "invalid JSON",
            serde_json::error::Category::Data => "unexpected value or missing field",
            serde_json::error::Category::Eof => "truncated JSON",
        };
        MarketplaceError::malformed(format!(
            "{what} at `{path}` (line {}, column {})",
            inner.line(),
            inner.column()
        ))
    })
}

/// The connector's single `parse_error`: turns a response into success or a classified error.
pub trait ResponseClassifier: Send + Sync + fmt::Debug {
    /// `Err` when the response is a platform error, including errors sent with status 200.
    fn classify(&self, response: &RawResponse) -> Result<(), MarketplaceError>;

    /// The rate (requests per second) the platform says applies to this endpoint now.
    fn rate_hint(&self, _response: &RawResponse) -> Option<f64> {
        None
    }
}

/// Adds credentials or a signature to one attempt.
#[async_trait]
pub trait Authorizer: Send + Sync {
    /// Authorize the attempt; returns the token generation used, if the scheme has tokens.
    async fn authorize(&self, request: &mut ApiRequest) -> Result<Option<u64>, MarketplaceError>;

    /// The platform refused the token of `generation`.
    async fn invalidate(&self, generation: u64);
}

/// Sends a built request. `reqwest::Client` in production; tests can substitute their own.
#[async_trait]
pub trait Transport: Send + Sync + fmt::Debug {
    async fn send(&self, request: reqwest::Request) -> Result<reqwest::Response, reqwest::Error>;
}

#[async_trait]
impl Transport for reqwest::Client {
    async fn send(&self, request: reqwest::Request) -> Result<reqwest::Response, reqwest::Error> {
        self.execute(request).await
    }
}

/// The HTTP client connectors use unless given a transport. A daemon shares one among all its
/// stores: one connection pool, instead of one client (and kept-alive connection) per store.
pub fn default_client() -> Result<reqwest::Client, MarketplaceError> {
    reqwest::Client::builder()
        .user_agent(concat!(
            "omsync/",
            env!("CARGO_PKG_VERSION"),
            " (Language=Rust)"
        ))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| MarketplaceError::permanent(format!("cannot build HTTP client: {e}")))
}

/// Counters of one connector's calls, for sync-run records and metrics.
#[derive(Debug, Default)]
pub struct CallStats {
    requests: AtomicU64,
    throttled: AtomicU64,
    retries: AtomicU64,
    failures: AtomicU64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallCounts {
    pub requests: u64,
    pub throttled: u64,
    pub retries: u64,
    pub failures: u64,
}

impl CallStats {
    pub fn snapshot(&self) -> CallCounts {
        CallCounts {
            requests: self.requests.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
        }
    }
}

/// The shared HTTP client of one connector instance.
#[derive(Debug, Clone)]
pub struct HttpClient {
    platform: Platform,
    transport: Arc<dyn Transport>,
    hosts: Hosts,
    retry: RetryConfig,
    limits: RateLimits,
    timeout: Option<Duration>,
    classifier: Arc<dyn ResponseClassifier>,
    recorder: Option<Arc<Recorder>>,
    stats: Arc<CallStats>,
}

impl HttpClient {
    pub fn new(
        platform: Platform,
        options: &ConnectorOptions,
        limits: RateLimits,
        classifier: Arc<dyn ResponseClassifier>,
    ) -> Result<Self, MarketplaceError> {
        let transport: Arc<dyn Transport> = match &options.transport {
            Some(t) => Arc::clone(t),
            None => Arc::new(default_client()?),
        };
        Ok(HttpClient {
            platform,
            transport,
            hosts: Hosts::new(options.base_url.clone()),
            retry: options.retry.clone(),
            // Undeclared classes are not limited: an empty set turns limiting off.
            limits: if options.rate_limits {
                limits
            } else {
                RateLimits::new()
            },
            timeout: options.timeout,
            classifier,
            recorder: options.recorder.clone(),
            stats: options.stats.clone().unwrap_or_default(),
        })
    }

    pub fn platform(&self) -> Platform {
        self.platform
    }

    pub fn hosts(&self) -> &Hosts {
        &self.hosts
    }

    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    pub fn stats(&self) -> CallCounts {
        self.stats.snapshot()
    }

    /// The platform URL `url`, with the base-URL override applied.
    pub fn url(&self, url: &str) -> Result<Url, MarketplaceError> {
        self.hosts
            .resolve(url)
            .map_err(|e| e.with_platform(self.platform))
    }

    /// Send with the connector's classifier.
    pub async fn send(
        &self,
        request: ApiRequest,
        auth: Option<&dyn Authorizer>,
    ) -> Result<RawResponse, MarketplaceError> {
        let classifier = Arc::clone(&self.classifier);
        self.send_classified(request, auth, classifier.as_ref())
            .await
    }

    /// Send with another classifier (a token endpoint speaks OAuth2, not the platform API).
    pub async fn send_classified(
        &self,
        request: ApiRequest,
        auth: Option<&dyn Authorizer>,
        classifier: &dyn ResponseClassifier,
    ) -> Result<RawResponse, MarketplaceError> {
        let operation = request.operation;
        let context =
            |e: MarketplaceError| e.with_platform(self.platform).with_operation(operation);
        let started = Instant::now();
        let mut backoff = self.retry.backoff();
        let mut reauthorized = false;
        loop {
            self.limits.acquire(request.class).await;
            let mut attempt = request.clone();
            let generation = match auth {
                Some(a) => a.authorize(&mut attempt).await.map_err(context)?,
                None => None,
            };
            let err = match self.attempt(&attempt, classifier).await {
                Ok(response) => return Ok(response),
                Err(e) => context(e),
            };
            match err.kind() {
                ErrorKind::Unauthorized if !reauthorized => match (auth, generation) {
                    (Some(a), Some(generation)) => {
                        tracing::info!(platform = %self.platform, operation = operation.as_str(),
                            "credentials refused; refreshing the access token once");
                        a.invalidate(generation).await;
                        reauthorized = true;
                    }
                    _ => return Err(self.failed(err)),
                },
                ErrorKind::RateLimited | ErrorKind::Transient => {
                    let wait = backoff.next_wait(err.retry_after());
                    let Some(wait) = wait.filter(|w| {
                        *w <= self.retry.max_retry_after
                            && started.elapsed() + *w <= self.retry.retry_timeout
                    }) else {
                        return Err(self.failed(err));
                    };
                    tracing::warn!(platform = %self.platform, operation = operation.as_str(),
                        class = request.class, kind = %err.kind(), wait_ms = wait.as_millis() as u64,
                        "retrying after {}", err.message());
                    self.stats.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(wait).await;
                }
                _ => return Err(self.failed(err)),
            }
        }
    }

    fn failed(&self, err: MarketplaceError) -> MarketplaceError {
        self.stats.failures.fetch_add(1, Ordering::Relaxed);
        err
    }

    async fn attempt(
        &self,
        request: &ApiRequest,
        classifier: &dyn ResponseClassifier,
    ) -> Result<RawResponse, MarketplaceError> {
        let wire = request.to_wire()?;
        let mut outgoing = reqwest::Request::new(wire.method.clone(), wire.url.clone());
        *outgoing.headers_mut() = wire.headers.clone();
        if !wire.body.is_empty() {
            *outgoing.body_mut() = Some(reqwest::Body::from(wire.body.clone()));
        }
        let started = Instant::now();
        let exchange = async {
            let response = self.transport.send(outgoing).await?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>(RawResponse {
                status,
                headers,
                body,
            })
        };
        // `None` is a timeout; `Some` a transport error.
        let result: Result<RawResponse, Option<reqwest::Error>> = match self.timeout {
            Some(limit) => match tokio::time::timeout(limit, exchange).await {
                Ok(r) => r.map_err(Some),
                Err(_) => Err(None),
            },
            None => exchange.await.map_err(Some),
        };
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let response = match result {
            Ok(r) => r,
            Err(e) => {
                let message = match e {
                    Some(e) => format!("network error: {}", e.without_url()),
                    None => "request timed out".to_owned(),
                };
                tracing::warn!(platform = %self.platform, class = request.class,
                    method = %wire.method, path = wire.url.path(), "{message}");
                crate::telemetry::platform_call(self.platform, request.operation, "network");
                return Err(MarketplaceError::transient(message));
            }
        };
        tracing::debug!(platform = %self.platform, class = request.class, method = %wire.method,
            path = wire.url.path(), status = response.status.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64, "platform call");
        if let Some(recorder) = &self.recorder {
            recorder.record(&wire, &response);
        }
        if let Some(rate) = classifier.rate_hint(&response) {
            self.limits.adjust(request.class, rate);
        }
        let classified = classifier.classify(&response);
        crate::telemetry::platform_call(
            self.platform,
            request.operation,
            match &classified {
                Ok(()) => "ok",
                Err(e) => crate::telemetry::outcome(e.kind()),
            },
        );
        classified.map_err(|e| {
            if e.kind() == ErrorKind::RateLimited {
                self.stats.throttled.fetch_add(1, Ordering::Relaxed);
                if e.retry_after().is_none() {
                    let wait = crate::ids::retry_after(&response.headers);
                    return e.with_retry_after(wait);
                }
            }
            e
        })?;
        Ok(response)
    }
}
