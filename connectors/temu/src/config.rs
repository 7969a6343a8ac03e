//! The credentials file of one Temu store (mall), parsed once when the connector is built.

use std::fmt;

use connector_kit::{parse_credentials, ConfigError, CredentialKey};
use secrecy::SecretString;
use serde::Deserialize;

/// The keys of the credentials file (see README.md).
pub const CREDENTIAL_KEYS: &[CredentialKey] = &[
    CredentialKey::required("app_key"),
    CredentialKey::required_secret("app_secret"),
    CredentialKey::required_secret("access_token"),
    CredentialKey::required("region"),
];

/// The partner API region of the store: its data stays on that region's router
/// ("Endpoints and request method"; the authorization callback names it in `callback_host`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    Us,
    Eu,
    Global,
}

impl Region {
    /// The router host of the region.
    pub fn host(self) -> &'static str {
        match self {
            Region::Us => "openapi-b-us.temu.com",
            Region::Eu => "openapi-b-eu.temu.com",
            Region::Global => "openapi-b-global.temu.com",
        }
    }

    /// The one POST endpoint every API of the region goes to.
    pub fn router_url(self) -> String {
        format!("https://{}/openapi/router", self.host())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Region::Us => "us",
            Region::Eu => "eu",
            Region::Global => "global",
        }
    }

    /// `us`, `eu`, `global`, or the `callback_host` Temu hands over at authorization
    /// (`openapi-b-us.temu.com`, optionally as an `https://` origin).
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim().to_ascii_lowercase();
        let host = t
            .strip_prefix("https://")
            .unwrap_or(&t)
            .trim_end_matches('/')
            .trim_end_matches("/openapi/router");
        [Region::Us, Region::Eu, Region::Global]
            .into_iter()
            .find(|r| host == r.as_str() || host == r.host())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    app_key: String,
    app_secret: SecretString,
    access_token: SecretString,
    region: String,
}

/// A store's credentials. Temu access tokens are long-lived and have no refresh grant: when
/// one is revoked or expires the seller re-authorizes and shares a new one.
pub struct Config {
    pub app_key: String,
    pub app_secret: SecretString,
    pub access_token: SecretString,
    pub region: Region,
}

// Secrets never print; the app key is not secret but is kept out of logs anyway.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl Config {
    pub fn parse(value: &serde_json::Value) -> Result<Self, ConfigError> {
        let raw: Raw = parse_credentials(value, CREDENTIAL_KEYS)?;
        let app_key = raw.app_key.trim().to_owned();
        if app_key.is_empty() {
            return Err(ConfigError::new("app_key", "must not be empty"));
        }
        let region = Region::parse(&raw.region).ok_or_else(|| {
            ConfigError::new(
                "region",
                "must be us, eu, global or a router host such as openapi-b-us.temu.com",
            )
        })?;
        Ok(Config {
            app_key,
            app_secret: raw.app_secret,
            access_token: raw.access_token,
            region,
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
            "app_key": "f9d5cc9313893a20d5aa85c654e8f503",
            "app_secret": "secret-value-1",
            "access_token": "token-value-1",
            "region": "us"
        })
    }

    #[test]
    fn parses_and_hides_secrets() {
        let c = Config::parse(&creds()).unwrap();
        assert_eq!(c.region, Region::Us);
        assert_eq!(c.access_token.expose_secret(), "token-value-1");
        let shown = format!("{c:?}");
        for hidden in ["secret-value-1", "token-value-1", "f9d5cc93"] {
            assert!(!shown.contains(hidden), "{shown}");
        }
    }

    #[test]
    fn regions_by_name_or_callback_host() {
        for (text, want) in [
            ("US", Region::Us),
            ("eu", Region::Eu),
            ("global", Region::Global),
            ("openapi-b-eu.temu.com", Region::Eu),
            ("https://openapi-b-global.temu.com/", Region::Global),
            ("https://openapi-b-us.temu.com/openapi/router", Region::Us),
        ] {
            assert_eq!(Region::parse(text), Some(want), "{text}");
        }
        assert_eq!(Region::parse("cn"), None);
        assert_eq!(
            Region::Eu.router_url(),
            "https://openapi-b-eu.temu.com/openapi/router"
        );
    }

    #[test]
    fn errors_name_the_key() {
        let mut v = creds();
        v["region"] = json!("mars");
        assert_eq!(Config::parse(&v).unwrap_err().key, "region");
        let mut v = creds();
        v["app_secret"] = json!(12345678);
        let e = Config::parse(&v).unwrap_err();
        assert_eq!(e.key, "app_secret");
        assert!(!e.to_string().contains("12345678"));
        let mut v = creds();
        v.as_object_mut().unwrap().remove("access_token");
        assert_eq!(Config::parse(&v).unwrap_err().key, "access_token");
        let mut v = creds();
        v["refresh_token"] = json!("x");
        assert!(Config::parse(&v).is_err(), "unknown keys are refused");
    }
}
