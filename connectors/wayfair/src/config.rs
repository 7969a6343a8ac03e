//! The credentials file of a Wayfair supplier app (Partner Home > Developer > Application
//! Management). The client secret stays in a `SecretString`; `Debug` shows neither it nor the
//! client id.

use std::fmt;

use connector_kit::{parse_credentials, ConfigError, CredentialKey};
use secrecy::SecretString;
use serde::Deserialize;

/// The keys of the credentials file, as the README lists them.
pub const CREDENTIAL_KEYS: &[CredentialKey] = &[
    CredentialKey::required("client_id"),
    CredentialKey::required_secret("client_secret"),
    CredentialKey::optional("environment"),
];

/// Which Wayfair environment the app belongs to: sandbox credentials only work against the
/// sandbox host and audience, production ones only against production.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    #[default]
    Production,
    Sandbox,
}

impl Environment {
    /// The host of the GraphQL endpoint and of the document downloads.
    pub fn api_base(self) -> &'static str {
        match self {
            Environment::Production => "https://api.wayfair.com",
            Environment::Sandbox => "https://sandbox.api.wayfair.com",
        }
    }

    /// The `audience` of the client-credentials request; the token host is the same for both.
    pub fn audience(self) -> &'static str {
        match self {
            Environment::Production => "https://api.wayfair.com/",
            Environment::Sandbox => "https://sandbox.api.wayfair.com/",
        }
    }

    /// `products.isCancelled` "is not available for sandbox testing", so the sandbox query
    /// leaves it out.
    pub fn has_cancellation_field(self) -> bool {
        self == Environment::Production
    }
}

/// A parsed credentials file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: SecretString,
    #[serde(default)]
    pub environment: Environment,
}

// The client id is half of the client credentials: keep it out of logs as well.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("environment", &self.environment)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    pub fn parse(value: &serde_json::Value) -> Result<Self, ConfigError> {
        let creds: Credentials = parse_credentials(value, CREDENTIAL_KEYS)?;
        if creds.client_id.trim().is_empty() {
            return Err(ConfigError::new("client_id", "must not be empty"));
        }
        Ok(creds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use serde_json::json;

    #[test]
    fn parses_and_hides_secrets() {
        let creds = Credentials::parse(&json!({
            "client_id": "Wf9kXq2LmN7pR4sT1vY6zA3bC8dE5fG0",
            "client_secret": "very-secret-wayfair-client-secret"
        }))
        .unwrap();
        assert_eq!(creds.environment, Environment::Production);
        assert_eq!(
            creds.client_secret.expose_secret(),
            "very-secret-wayfair-client-secret"
        );
        let shown = format!("{creds:?}");
        for hidden in ["very-secret", "Wf9kXq2"] {
            assert!(!shown.contains(hidden), "{shown}");
        }
    }

    #[test]
    fn keys_are_checked() {
        let e = Credentials::parse(&json!({"client_id": "a"})).unwrap_err();
        assert_eq!(e.key, "client_secret");
        let e = Credentials::parse(&json!({"client_id": " ", "client_secret": "s"})).unwrap_err();
        assert_eq!(e.key, "client_id");
        let e =
            Credentials::parse(&json!({"client_id": "a", "client_secret": 12345678})).unwrap_err();
        assert!(!e.to_string().contains("12345678"));
        let e =
            Credentials::parse(&json!({"client_id": "a", "client_secret": "s", "region": "us"}))
                .unwrap_err();
        assert_eq!(e.key, "region");
        let e = Credentials::parse(
            &json!({"client_id": "a", "client_secret": "s", "environment": "staging"}),
        )
        .unwrap_err();
        assert_eq!(e.key, "environment");

        let sandbox = Credentials::parse(
            &json!({"client_id": "a", "client_secret": "s", "environment": "sandbox"}),
        )
        .unwrap();
        assert_eq!(
            sandbox.environment.api_base(),
            "https://sandbox.api.wayfair.com"
        );
        assert_eq!(
            sandbox.environment.audience(),
            "https://sandbox.api.wayfair.com/"
        );
        assert!(!sandbox.environment.has_cancellation_field());
        assert_eq!(
            Environment::Production.audience(),
            "https://api.wayfair.com/"
        );
    }
}
