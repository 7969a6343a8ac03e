//! The credentials file of one AliExpress seller, parsed once when the connector is built.

use std::fmt;

use connector_kit::ids::number_or_string;
use connector_kit::{parse_credentials, ConfigError, CredentialKey};
use secrecy::SecretString;
use serde::Deserialize;

/// The IOP gateway of the AliExpress open platform: business APIs at `/sync` (dotted `method`
/// names), system APIs under `/rest` (paths such as `/auth/token/refresh`).
pub const GATEWAY: &str = "https://api-sg.aliexpress.com";

/// The keys of the credentials file (see README.md).
pub const CREDENTIAL_KEYS: &[CredentialKey] = &[
    CredentialKey::required("app_key"),
    CredentialKey::required_secret("app_secret"),
    CredentialKey::optional_secret("access_token"),
    CredentialKey::required_secret("refresh_token"),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(deserialize_with = "number_or_string")]
    app_key: String,
    app_secret: SecretString,
    #[serde(default)]
    access_token: Option<SecretString>,
    refresh_token: SecretString,
}

/// A seller's credentials.
pub struct Config {
    /// Numeric, kept as the decimal text that goes into every signature.
    pub app_key: String,
    pub app_secret: SecretString,
    /// Without one the first call refreshes.
    pub access_token: Option<SecretString>,
    pub refresh_token: SecretString,
}

// Secrets and tokens never print; the app key is not secret.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("app_key", &self.app_key)
            .finish_non_exhaustive()
    }
}

impl Config {
    pub fn parse(value: &serde_json::Value) -> Result<Self, ConfigError> {
        let raw: Raw = parse_credentials(value, CREDENTIAL_KEYS)?;
        Ok(Config {
            app_key: raw.app_key,
            app_secret: raw.app_secret,
            access_token: raw.access_token,
            refresh_token: raw.refresh_token,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use secrecy::ExposeSecret;
    use serde_json::json;

    fn creds() -> serde_json::Value {
        json!({
            "app_key": 503217, "app_secret": "ae-secret-test", "access_token": "at-1",
            "refresh_token": "rt-1"
        })
    }

    #[test]
    fn parses_and_hides_secrets() {
        let c = Config::parse(&creds()).unwrap();
        assert_eq!(c.app_key, "503217");
        assert_eq!(c.refresh_token.expose_secret(), "rt-1");
        let shown = format!("{c:?}");
        assert!(shown.contains("503217"));
        for secret in ["ae-secret-test", "at-1", "rt-1"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn errors_name_the_key() {
        let mut v = creds();
        v["app_secret"] = json!(12345678);
        let e = Config::parse(&v).unwrap_err();
        assert_eq!(e.key, "app_secret");
        assert!(!e.to_string().contains("12345678"));
        let mut v = creds();
        v["app_key"] = json!("abc");
        assert_eq!(Config::parse(&v).unwrap_err().key, "app_key");
        let mut v = creds();
        v.as_object_mut().unwrap().remove("refresh_token");
        assert_eq!(Config::parse(&v).unwrap_err().key, "refresh_token");
        let mut v = creds();
        v.as_object_mut().unwrap().remove("access_token");
        assert!(Config::parse(&v).unwrap().access_token.is_none());
    }
}
