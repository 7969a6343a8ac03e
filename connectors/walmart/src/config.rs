//! The credentials file of a Walmart Marketplace (US) seller account. The client secret stays
//! in a `SecretString`; `Debug` shows neither it nor the client id.

use std::fmt;

use connector_kit::{parse_credentials, ConfigError, CredentialKey};
use secrecy::SecretString;
use serde::Deserialize;

/// The keys of the credentials file, as the README lists them.
pub const CREDENTIAL_KEYS: &[CredentialKey] = &[
    CredentialKey::required("client_id"),
    CredentialKey::required_secret("client_secret"),
    CredentialKey::optional("consumer_channel_type"),
    CredentialKey::optional("environment"),
];

/// Which Walmart host the keys belong to: sandbox keys only work on the sandbox host.
/// <https://developer.walmart.com/us-marketplace/docs/api-integration-usage>
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    #[default]
    Production,
    Sandbox,
}

impl Environment {
    pub fn api_base(self) -> &'static str {
        match self {
            Environment::Production => "https://marketplace.walmartapis.com",
            Environment::Sandbox => "https://sandbox.walmartapis.com",
        }
    }
}

/// A parsed credentials file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: SecretString,
    /// `WM_CONSUMER.CHANNEL.TYPE`, given to solution providers at onboarding; optional.
    #[serde(default)]
    pub consumer_channel_type: Option<String>,
    #[serde(default)]
    pub environment: Environment,
}

// The client id is half of the Basic credentials: keep it out of logs as well.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("environment", &self.environment)
            .field(
                "consumer_channel_type",
                &self.consumer_channel_type.is_some(),
            )
            .finish_non_exhaustive()
    }
}

impl Credentials {
    pub fn parse(value: &serde_json::Value) -> Result<Self, ConfigError> {
        let creds: Credentials = parse_credentials(value, CREDENTIAL_KEYS)?;
        if creds.client_id.trim().is_empty() {
            return Err(ConfigError::new("client_id", "must not be empty"));
        }
        // Basic auth joins id and secret with ':'; an id holding one cannot be told apart.
        if creds.client_id.contains(':') {
            return Err(ConfigError::new("client_id", "must not contain `:`"));
        }
        if let Some(channel) = &creds.consumer_channel_type {
            if channel.trim().is_empty() || channel.chars().any(char::is_control) {
                return Err(ConfigError::new(
                    "consumer_channel_type",
                    "must be a non-empty header value",
                ));
            }
        }
        Ok(creds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_and_hides_secrets() {
        let creds = Credentials::parse(&json!({
            "client_id": "8f3c2a71-client-id",
            "client_secret": "very-secret-walmart-key",
            "consumer_channel_type": "0f3e4dd4-0514-4346-b39d-af0e00ea066d"
        }))
        .unwrap();
        assert_eq!(creds.environment, Environment::Production);
        let shown = format!("{creds:?}");
        for hidden in ["very-secret", "8f3c2a71", "0f3e4dd4"] {
            assert!(!shown.contains(hidden), "{shown}");
        }
    }

    #[test]
    fn keys_are_checked() {
        let e = Credentials::parse(&json!({"client_id": "a"})).unwrap_err();
        assert_eq!(e.key, "client_secret");
        let e = Credentials::parse(&json!({"client_id": "a:b", "client_secret": "s"})).unwrap_err();
        assert_eq!(e.key, "client_id");
        let e =
            Credentials::parse(&json!({"client_id": "a", "client_secret": 12345678})).unwrap_err();
        assert!(!e.to_string().contains("12345678"));
        let sandbox = Credentials::parse(
            &json!({"client_id": "a", "client_secret": "s", "environment": "sandbox"}),
        )
        .unwrap();
        assert_eq!(
            sandbox.environment.api_base(),
            "https://sandbox.walmartapis.com"
        );
        let e =
            Credentials::parse(&json!({"client_id": "a", "client_secret": "s", "region": "us"}))
                .unwrap_err();
        assert_eq!(e.key, "region");
    }
}
