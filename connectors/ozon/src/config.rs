//! The credentials file of one Ozon seller account, parsed once when the connector is built.

use std::fmt;

use connector_kit::ids::number_or_string;
use connector_kit::{parse_credentials, ConfigError, CredentialKey};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The keys of the credentials file (see README.md).
pub const CREDENTIAL_KEYS: &[CredentialKey] = &[
    CredentialKey::required("client_id"),
    CredentialKey::required_secret("api_key"),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(deserialize_with = "number_or_string")]
    client_id: String,
    api_key: SecretString,
}

/// A seller's Seller API credentials: the numeric `Client-Id` of the cabinet and an API key
/// generated in Settings -> Seller API. There is no token and no refresh: a revoked or expired
/// key is replaced by the seller.
pub struct Config {
    /// Decimal digits, sent as the `Client-Id` header.
    pub client_id: String,
    pub api_key: SecretString,
}

// The key never prints; the client id is not secret.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl Config {
    pub fn parse(value: &serde_json::Value) -> Result<Self, ConfigError> {
        let raw: Raw = parse_credentials(value, CREDENTIAL_KEYS)?;
        // Ozon refuses `Client-Id: 0` like a non-numeric one ("should be positive integer").
        if raw.client_id.bytes().all(|b| b == b'0') {
            return Err(ConfigError::new("client_id", "must be a positive integer"));
        }
        if raw.api_key.expose_secret().trim().is_empty() {
            return Err(ConfigError::new("api_key", "must not be empty"));
        }
        Ok(Config {
            client_id: raw.client_id,
            api_key: raw.api_key,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_numbers_or_strings_and_hides_the_key() {
        let a = Config::parse(&json!({"client_id": 1943288, "api_key": "a1b2c3d4-key"})).unwrap();
        let b = Config::parse(&json!({"client_id": "1943288", "api_key": "a1b2c3d4-key"})).unwrap();
        assert_eq!(a.client_id, "1943288");
        assert_eq!(b.client_id, "1943288");
        assert_eq!(a.api_key.expose_secret(), "a1b2c3d4-key");
        let shown = format!("{a:?}");
        assert!(shown.contains("1943288"));
        assert!(!shown.contains("a1b2c3d4"), "{shown}");
    }

    #[test]
    fn errors_name_the_key_and_never_the_secret() {
        let missing = Config::parse(&json!({"client_id": 1})).unwrap_err();
        assert_eq!(missing.key, "api_key");
        let wrong = Config::parse(&json!({"client_id": 1, "api_key": 987654321})).unwrap_err();
        assert_eq!(wrong.key, "api_key");
        assert!(!wrong.to_string().contains("987654321"));
        for bad in [json!("seller-1"), json!(""), json!(-5), json!("0")] {
            let e = Config::parse(&json!({"client_id": bad, "api_key": "k"})).unwrap_err();
            assert_eq!(e.key, "client_id", "{bad}");
        }
        let empty = Config::parse(&json!({"client_id": 1, "api_key": "  "})).unwrap_err();
        assert_eq!(empty.key, "api_key");
        assert!(Config::parse(&json!({"client_id": 1, "api_key": "k", "token": "t"})).is_err());
    }
}
