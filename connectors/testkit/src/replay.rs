//! Loads `fixtures/<platform>/<scenario>/` and mounts it on a wiremock server. The mock also
//! checks what the platform would check (signatures, access tokens) through the connector's
//! [`ConnectorFactory::check_request`], answering failures as the platform does.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use connector_kit::fixture::{json_contains, Exchange, RequestMatcher, Scenario};
use connector_kit::{ConnectorFactory, MockRejection, WireRequest};
use core_model::{LabelFormat, LabelSpec, Shipment};
use serde::Deserialize;
use wiremock::{Match, Mock, MockServer, Request, Respond, ResponseTemplate};

/// The repository's `fixtures/` directory (override with `OMSYNC_FIXTURES`).
pub fn fixtures_root() -> PathBuf {
    match std::env::var_os("OMSYNC_FIXTURES") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
            dir.canonicalize().unwrap_or(dir)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("fixture scenario {dir}: {reason}")]
    Invalid { dir: PathBuf, reason: String },
}

fn invalid(dir: &Path, reason: impl Into<String>) -> ReplayError {
    ReplayError::Invalid {
        dir: dir.to_owned(),
        reason: reason.into(),
    }
}

/// What the conformance suite should observe in a scenario (`"expect"` in scenario.json).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The window to pull.
    pub window: Option<WindowSpec>,
    /// Every order id the pull returns, in any order.
    #[serde(default)]
    pub orders: Vec<String>,
    /// Ids surfaced as malformed.
    #[serde(default)]
    pub malformed: Vec<String>,
    /// At least this many pages.
    pub min_pages: Option<usize>,
    /// The token endpoint's path and how many times it must be called.
    pub token_path: Option<String>,
    pub token_requests: Option<usize>,
    /// The pull (or the operation under test) fails with this error kind.
    pub error_kind: Option<String>,
    /// Checks on one normalized order.
    pub order: Option<serde_json::Value>,
    pub label: Option<LabelExpect>,
    pub tracking: Option<Shipment>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct WindowSpec {
    pub from: chrono::DateTime<chrono::Utc>,
    pub to: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelExpect {
    /// The order (pulled from the scenario's window) to fetch the label of.
    pub order: String,
    pub format: LabelFormat,
    /// The document the connector must hand back, byte for byte.
    pub document_file: String,
    #[serde(default)]
    pub spec: LabelSpec,
}

/// A scenario read from disk.
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    pub dir: PathBuf,
    pub scenario: Scenario,
    pub credentials: serde_json::Value,
    pub expect: Expect,
}

impl LoadedScenario {
    pub fn load(dir: &Path) -> Result<Self, ReplayError> {
        let read = |name: &str| {
            std::fs::read(dir.join(name)).map_err(|e| invalid(dir, format!("{name}: {e}")))
        };
        let scenario: Scenario = serde_json::from_slice(&read("scenario.json")?)
            .map_err(|e| invalid(dir, format!("scenario.json: {e}")))?;
        let credentials = serde_json::from_slice(&read("credentials.json")?)
            .map_err(|e| invalid(dir, format!("credentials.json: {e}")))?;
        let expect = if scenario.expect.is_null() {
            Expect::default()
        } else {
            Expect::deserialize(&scenario.expect)
                .map_err(|e| invalid(dir, format!("scenario.json expect: {e}")))?
        };
        for x in &scenario.exchanges {
            if let Some(file) = &x.response.body_file {
                if !dir.join(file).is_file() {
                    return Err(invalid(
                        dir,
                        format!("exchange `{}`: missing body file {file}", x.name),
                    ));
                }
            }
        }
        Ok(LoadedScenario {
            dir: dir.to_owned(),
            scenario,
            credentials,
            expect,
        })
    }

    /// The names of the scenarios of one platform.
    pub fn list(platform_dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(platform_dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().join("scenario.json").is_file())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        names
    }
}

/// Load `platform_dir/<name>` and mount it on `server`.
pub async fn mount(
    server: &MockServer,
    factory: Arc<dyn ConnectorFactory>,
    platform_dir: &Path,
    name: &str,
) -> Result<LoadedScenario, ReplayError> {
    let loaded = LoadedScenario::load(&platform_dir.join(name))?;
    mount_loaded(server, factory, &loaded).await?;
    Ok(loaded)
}

/// Mount an already loaded scenario, with its `expect_calls` checked when the server is
/// verified or dropped (tests).
pub async fn mount_loaded(
    server: &MockServer,
    factory: Arc<dyn ConnectorFactory>,
    loaded: &LoadedScenario,
) -> Result<(), ReplayError> {
    mount_with(server, factory, loaded, true, None).await
}

/// Mount a scenario for serving on loopback (`omsync fixtures serve`): the same replay,
/// without call-count expectations, which only a test can judge.
pub async fn mount_for_serving(
    server: &MockServer,
    factory: Arc<dyn ConnectorFactory>,
    loaded: &LoadedScenario,
) -> Result<(), ReplayError> {
    mount_with(server, factory, loaded, false, None).await
}

/// [`mount_for_serving`] with every fixture answer held back by `delay`: a slow platform, so
/// a test can stop a pull between pages.
pub async fn mount_for_serving_slowly(
    server: &MockServer,
    factory: Arc<dyn ConnectorFactory>,
    loaded: &LoadedScenario,
    delay: std::time::Duration,
) -> Result<(), ReplayError> {
    mount_with(server, factory, loaded, false, Some(delay)).await
}

async fn mount_with(
    server: &MockServer,
    factory: Arc<dyn ConnectorFactory>,
    loaded: &LoadedScenario,
    verify_calls: bool,
    delay: Option<std::time::Duration>,
) -> Result<(), ReplayError> {
    let secrets = Arc::new(loaded.scenario.platform_secrets.clone());
    // First: whatever fails the platform's own checks gets the platform's rejection.
    Mock::given(FailsPlatformCheck {
        factory: factory.clone(),
        secrets: secrets.clone(),
    })
    .respond_with(Rejection {
        factory: factory.clone(),
        secrets: secrets.clone(),
    })
    .with_priority(1)
    .named("platform check")
    .mount(server)
    .await;
    for exchange in &loaded.scenario.exchanges {
        mount_exchange(server, &loaded.dir, exchange, verify_calls, delay).await?;
    }
    // Last: say plainly that no exchange matched, naming only the method and path.
    Mock::given(wiremock::matchers::any())
        .respond_with(Unmatched)
        .with_priority(255)
        .named("no fixture matched")
        .mount(server)
        .await;
    Ok(())
}

async fn mount_exchange(
    server: &MockServer,
    dir: &Path,
    x: &Exchange,
    verify_calls: bool,
    delay: Option<std::time::Duration>,
) -> Result<(), ReplayError> {
    let mut response = ResponseTemplate::new(x.response.status);
    if let Some(d) = delay {
        response = response.set_delay(d);
    }
    for (k, v) in &x.response.headers {
        response = response.insert_header(k.as_str(), v.as_str());
    }
    if let Some(file) = &x.response.body_file {
        let bytes =
            std::fs::read(dir.join(file)).map_err(|e| invalid(dir, format!("{file}: {e}")))?;
        let content_type = x
            .response
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| guess_content_type(file).to_owned());
        response = response.set_body_raw(bytes, &content_type);
    }
    let method = x.request.method.to_ascii_uppercase();
    let mut mock = Mock::given(wiremock::matchers::method(method.as_str()))
        .and(wiremock::matchers::path(x.request.path.as_str()))
        .and(Matches(x.request.clone()))
        .respond_with(response)
        .with_priority(x.priority.unwrap_or(5).max(2))
        .named(x.name.clone());
    if let Some(n) = x.times {
        mock = mock.up_to_n_times(n);
    }
    if let (Some(n), true) = (x.expect_calls, verify_calls) {
        mock = mock.expect(n);
    }
    mock.mount(server).await;
    Ok(())
}

fn guess_content_type(file: &str) -> &'static str {
    match file.rsplit('.').next() {
        Some("json") => "application/json",
        Some("pdf") => "application/pdf",
        Some("zpl") => "application/zpl",
        Some("png") => "image/png",
        Some("xml") => "application/xml",
        _ => "application/octet-stream",
    }
}

fn wire(request: &Request) -> WireRequest {
    WireRequest {
        method: request.method.clone(),
        url: request.url.clone(),
        headers: request.headers.clone(),
        body: bytes::Bytes::from(request.body.clone()),
    }
}

/// The rest of an exchange's matcher: query, headers, body.
struct Matches(RequestMatcher);

impl Match for Matches {
    fn matches(&self, request: &Request) -> bool {
        let m = &self.0;
        let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        let query_ok = m
            .query
            .iter()
            .all(|(k, v)| query.iter().any(|(qk, qv)| qk == k && qv == v))
            && m.query_absent
                .iter()
                .all(|k| query.iter().all(|(qk, _)| qk != k));
        let headers_ok = m.headers.iter().all(|(k, v)| {
            request
                .headers
                .get(k.as_str())
                .and_then(|h| h.to_str().ok())
                == Some(v.as_str())
        });
        let json_ok = match &m.body_json {
            None => true,
            Some(expected) => serde_json::from_slice::<serde_json::Value>(&request.body)
                .is_ok_and(|actual| json_contains(&actual, expected)),
        };
        let form_ok = m.body_form.is_empty() || {
            let form: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
                .into_owned()
                .collect();
            m.body_form
                .iter()
                .all(|(k, v)| form.iter().any(|(fk, fv)| fk == k && fv == v))
        };
        let text_ok = m.body_contains.is_empty() || {
            let body = String::from_utf8_lossy(&request.body);
            m.body_contains.iter().all(|t| body.contains(t.as_str()))
        };
        query_ok && headers_ok && json_ok && form_ok && text_ok
    }
}

struct FailsPlatformCheck {
    factory: Arc<dyn ConnectorFactory>,
    secrets: Arc<serde_json::Value>,
}

impl Match for FailsPlatformCheck {
    fn matches(&self, request: &Request) -> bool {
        self.factory
            .check_request(&self.secrets, &wire(request))
            .is_err()
    }
}

struct Rejection {
    factory: Arc<dyn ConnectorFactory>,
    secrets: Arc<serde_json::Value>,
}

impl Respond for Rejection {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        match self.factory.check_request(&self.secrets, &wire(request)) {
            // A string body is the platform's own text (XML, HTML), sent as is.
            Err(MockRejection {
                status,
                body: serde_json::Value::String(text),
            }) => {
                let content_type = if text.trim_start().starts_with('<') {
                    "application/xml"
                } else {
                    "text/plain"
                };
                ResponseTemplate::new(status).set_body_raw(text, content_type)
            }
            Err(rejection) => ResponseTemplate::new(rejection.status).set_body_json(rejection.body),
            Ok(()) => ResponseTemplate::new(500),
        }
    }
}

struct Unmatched;

impl Respond for Unmatched {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        ResponseTemplate::new(404).set_body_json(serde_json::json!({
            "fixture_error": format!("no exchange of this scenario matches {} {}", request.method, request.url.path())
        }))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn request(url: &str, body: &str) -> Request {
        Request {
            url: url::Url::parse(url).unwrap(),
            method: http::Method::POST,
            headers: http::HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn matchers_check_query_and_xml_bodies() {
        let matcher = Matches(RequestMatcher {
            method: "POST".into(),
            path: "/ShoppingWebService/V1/orderInfo".into(),
            query: [("v".to_owned(), "1".to_owned())].into(),
            query_absent: vec!["page".into()],
            body_contains: vec!["<OrderId>7001</OrderId>".into()],
            ..RequestMatcher::default()
        });
        let xml = "<Req><Target><OrderId>7001</OrderId></Target></Req>";
        assert!(matcher.matches(&request("http://m/x?v=1", xml)));
        assert!(!matcher.matches(&request("http://m/x?v=1&page=2", xml)));
        assert!(!matcher.matches(&request("http://m/x?v=2", xml)));
        assert!(!matcher.matches(&request(
            "http://m/x?v=1",
            "<Req><Target><OrderId>7002</OrderId></Target></Req>"
        )));
    }
}
