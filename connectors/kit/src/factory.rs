//! How the daemon and the testkit build a connector: one [`ConnectorFactory`] per crate,
//! registered with one line in the daemon.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use core_model::{Marketplace, Platform, StoreRef};
use http::{HeaderMap, Method};
use serde::de::DeserializeOwned;
use url::Url;

use crate::http::{CallStats, Transport};
use crate::record::Recorder;
use crate::retry::RetryConfig;
use crate::token::TokenSink;

/// How a connector instance talks to its platform.
#[derive(Clone)]
pub struct ConnectorOptions {
    /// Replaces every host the connector calls (wiremock, sandboxes).
    pub base_url: Option<Url>,
    pub retry: RetryConfig,
    /// Per attempt; `None` waits forever.
    pub timeout: Option<Duration>,
    pub transport: Option<Arc<dyn Transport>>,
    pub recorder: Option<Arc<Recorder>>,
    pub token_sink: Option<Arc<dyn TokenSink>>,
    /// Enforce the connector's declared quotas. Off only against local mocks (fixture replay,
    /// benchmarks), where waiting out a real platform's quota would only slow the run.
    pub rate_limits: bool,
    /// Counters shared with the caller (the daemon's per-store run records); a fresh set when
    /// absent.
    pub stats: Option<Arc<CallStats>>,
}

impl Default for ConnectorOptions {
    fn default() -> Self {
        ConnectorOptions {
            base_url: None,
            retry: RetryConfig::default(),
            timeout: Some(Duration::from_secs(60)),
            transport: None,
            recorder: None,
            token_sink: None,
            rate_limits: true,
            stats: None,
        }
    }
}

impl fmt::Debug for ConnectorOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectorOptions")
            .field("base_url", &self.base_url.as_ref().map(Url::as_str))
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .field("recording", &self.recorder.is_some())
            .field("rate_limits", &self.rate_limits)
            .finish_non_exhaustive()
    }
}

/// A credentials file that cannot be used: names the key and the reason, never the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("credentials key `{key}`: {reason}")]
pub struct ConfigError {
    pub key: String,
    pub reason: String,
}

impl ConfigError {
    pub fn new(key: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigError {
            key: key.into(),
            reason: reason.into(),
        }
    }
}

/// One key of a connector's credentials file.
#[derive(Debug, Clone, Copy)]
pub struct CredentialKey {
    pub name: &'static str,
    pub required: bool,
    /// Secret values are redacted everywhere and checked absent from logs by the testkit.
    pub secret: bool,
}

impl CredentialKey {
    pub const fn required(name: &'static str) -> Self {
        CredentialKey {
            name,
            required: true,
            secret: false,
        }
    }
    pub const fn optional(name: &'static str) -> Self {
        CredentialKey {
            name,
            required: false,
            secret: false,
        }
    }
    pub const fn required_secret(name: &'static str) -> Self {
        CredentialKey {
            name,
            required: true,
            secret: true,
        }
    }
    pub const fn optional_secret(name: &'static str) -> Self {
        CredentialKey {
            name,
            required: false,
            secret: true,
        }
    }
}

/// Parse a credentials JSON object into the connector's config type. Errors name the key;
/// for secret keys the reason never quotes the value.
pub fn parse_credentials<T: DeserializeOwned>(
    value: &serde_json::Value,
    keys: &[CredentialKey],
) -> Result<T, ConfigError> {
    if !value.is_object() {
        return Err(ConfigError::new(
            "(root)",
            "credentials must be a JSON object",
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let key = e.path().to_string();
        let inner = e.into_inner().to_string();
        // serde names a missing field in its message rather than the path.
        if let Some(missing) = inner.strip_prefix("missing field `") {
            let name = missing.trim_end_matches('`');
            return ConfigError::new(name, "is required but missing");
        }
        let secret = keys
            .iter()
            .any(|k| k.secret && key.split('.').next() == Some(k.name));
        if secret {
            ConfigError::new(key, "has the wrong type or format")
        } else {
            ConfigError::new(key, inner)
        }
    })
}

/// A request as it went on the wire: what the recorder writes and a mock platform checks.
#[derive(Clone)]
pub struct WireRequest {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl WireRequest {
    /// The query parameters, then the form fields of a form body: what form-signing platforms
    /// sign.
    pub fn params(&self) -> Vec<(String, String)> {
        let mut params: Vec<(String, String)> = self.url.query_pairs().into_owned().collect();
        let is_form = self
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.contains("x-www-form-urlencoded"));
        if is_form {
            params.extend(url::form_urlencoded::parse(&self.body).into_owned());
        }
        params
    }
}

impl fmt::Debug for WireRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WireRequest")
            .field("method", &self.method)
            .field("path", &self.url.path())
            .finish_non_exhaustive()
    }
}

/// The answer a platform gives a request that fails its checks (bad signature, no token).
/// A JSON string `body` is sent as is, for platforms that answer in XML or text.
#[derive(Debug, Clone, PartialEq)]
pub struct MockRejection {
    pub status: u16,
    pub body: serde_json::Value,
}

/// Builds one connector; implemented once per connector crate.
pub trait ConnectorFactory: Send + Sync + fmt::Debug {
    fn platform(&self) -> Platform;

    /// The keys of this connector's credentials file (the connector's README lists them).
    fn credential_keys(&self) -> &'static [CredentialKey];

    /// A connector serving `store` with the given credentials file contents.
    fn build(
        &self,
        store: StoreRef,
        credentials: &serde_json::Value,
        options: ConnectorOptions,
    ) -> Result<Arc<dyn Marketplace>, ConfigError>;

    /// What the platform itself checks on every request (signature, access-token header),
    /// given the secrets the mock platform holds. Fixture replay uses it, so a connector that
    /// signs wrongly fails against its fixtures as it would against the platform.
    fn check_request(
        &self,
        platform_secrets: &serde_json::Value,
        request: &WireRequest,
    ) -> Result<(), MockRejection>;

    /// Extra JSON keys the recorder must scrub for this platform.
    fn scrub_keys(&self) -> &'static [&'static str] {
        &[]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Creds {
        client_id: String,
        client_secret: String,
        marketplace_ids: Vec<String>,
    }

    const KEYS: &[CredentialKey] = &[
        CredentialKey {
            name: "client_id",
            required: true,
            secret: false,
        },
        CredentialKey {
            name: "client_secret",
            required: true,
            secret: true,
        },
        CredentialKey {
            name: "marketplace_ids",
            required: true,
            secret: false,
        },
    ];

    #[test]
    fn errors_name_the_key_and_hide_secret_values() {
        let missing = serde_json::json!({"client_id": "a", "marketplace_ids": []});
        let e = parse_credentials::<Creds>(&missing, KEYS).unwrap_err();
        assert_eq!(e.key, "client_secret");

        let wrong =
            serde_json::json!({"client_id": "a", "client_secret": 1234567, "marketplace_ids": []});
        let e = parse_credentials::<Creds>(&wrong, KEYS).unwrap_err();
        assert_eq!(e.key, "client_secret");
        assert!(!e.to_string().contains("1234567"), "{e}");

        let bad_list =
            serde_json::json!({"client_id": "a", "client_secret": "s", "marketplace_ids": "US"});
        let e = parse_credentials::<Creds>(&bad_list, KEYS).unwrap_err();
        assert_eq!(e.key, "marketplace_ids");

        let e = parse_credentials::<Creds>(&serde_json::json!([1]), KEYS).unwrap_err();
        assert_eq!(e.key, "(root)");
    }
}
