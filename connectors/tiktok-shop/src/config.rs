//! The credentials file of one TikTok Shop shop, parsed once when the connector is built.

use std::fmt;

use connector_kit::{parse_credentials, ConfigError, CredentialKey};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The keys of the credentials file (see README.md).
pub const CREDENTIAL_KEYS: &[CredentialKey] = &[
    CredentialKey::required("app_key"),
    CredentialKey::required_secret("app_secret"),
    CredentialKey::optional_secret("access_token"),
    CredentialKey::required_secret("refresh_token"),
    CredentialKey::required("shop_cipher"),
    CredentialKey::optional("handover_method"),
];

/// How TikTok Shipping packages are handed to the carrier when the label flow ships them.
pub const HANDOVER_METHODS: &[&str] = &["PICKUP", "DROP_OFF"];

// A misspelt key is an error, not a silently ignored setting.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    app_key: String,
    app_secret: SecretString,
    #[serde(default)]
    access_token: Option<SecretString>,
    refresh_token: SecretString,
    shop_cipher: String,
    #[serde(default)]
    handover_method: Option<String>,
}

/// One shop's credentials.
pub struct Config {
    pub app_key: String,
    pub app_secret: SecretString,
    pub access_token: Option<SecretString>,
    pub refresh_token: SecretString,
    pub shop_cipher: String,
    /// `PICKUP` (default) or `DROP_OFF`.
    pub handover_method: String,
}

// The app key is checked by the mock platform like a secret, so only the cipher prints.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("shop_cipher", &self.shop_cipher)
            .field("handover_method", &self.handover_method)
            .finish_non_exhaustive()
    }
}

impl Config {
    pub fn parse(value: &serde_json::Value) -> Result<Self, ConfigError> {
        let raw: Raw = parse_credentials(value, CREDENTIAL_KEYS)?;
        let required = |key: &str, text: &str| {
            if text.trim().is_empty() {
                Err(ConfigError::new(key, "must not be empty"))
            } else {
                Ok(text.trim().to_owned())
            }
        };
        if raw.app_secret.expose_secret().is_empty() {
            return Err(ConfigError::new("app_secret", "must not be empty"));
        }
        if raw.refresh_token.expose_secret().is_empty() {
            return Err(ConfigError::new("refresh_token", "must not be empty"));
        }
        let handover_method = match raw.handover_method.as_deref().map(str::trim) {
            None | Some("") => HANDOVER_METHODS[0].to_owned(),
            Some(m) => HANDOVER_METHODS
                .iter()
                .find(|h| h.eq_ignore_ascii_case(m))
                .map(|h| (*h).to_owned())
                .ok_or_else(|| ConfigError::new("handover_method", "must be PICKUP or DROP_OFF"))?,
        };
        Ok(Config {
            app_key: required("app_key", &raw.app_key)?,
            app_secret: raw.app_secret,
            access_token: raw
                .access_token
                .filter(|t| !t.expose_secret().trim().is_empty()),
            refresh_token: raw.refresh_token,
            shop_cipher: required("shop_cipher", &raw.shop_cipher)?,
            handover_method,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn creds() -> serde_json::Value {
        json!({
            "app_key": "6abcd1234ef", "app_secret": "e59af819cc-secret",
            "access_token": "ROW_at-1", "refresh_token": "ROW_rt-1",
            "shop_cipher": "ROW_aBcDeF123"
        })
    }

    #[test]
    fn parses_and_hides_secrets() {
        let c = Config::parse(&creds()).unwrap();
        assert_eq!(c.shop_cipher, "ROW_aBcDeF123");
        assert_eq!(c.handover_method, "PICKUP");
        assert_eq!(c.access_token.unwrap().expose_secret(), "ROW_at-1");
        let c = Config::parse(&creds()).unwrap();
        let shown = format!("{c:?}");
        for secret in ["e59af819cc-secret", "ROW_at-1", "ROW_rt-1", "6abcd1234ef"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn errors_name_the_key() {
        let mut v = creds();
        v.as_object_mut().unwrap().remove("shop_cipher");
        assert_eq!(Config::parse(&v).unwrap_err().key, "shop_cipher");
        let mut v = creds();
        v["app_secret"] = json!(12345678);
        let e = Config::parse(&v).unwrap_err();
        assert_eq!(e.key, "app_secret");
        assert!(!e.to_string().contains("12345678"));
        let mut v = creds();
        v["handover_method"] = json!("drop_off");
        assert_eq!(Config::parse(&v).unwrap().handover_method, "DROP_OFF");
        v["handover_method"] = json!("TELEPORT");
        assert_eq!(Config::parse(&v).unwrap_err().key, "handover_method");
        let mut v = creds();
        v["shop_ciphr"] = json!("typo");
        assert_eq!(Config::parse(&v).unwrap_err().key, "shop_ciphr");
        let mut v = creds();
        v.as_object_mut().unwrap().remove("access_token");
        assert!(Config::parse(&v).unwrap().access_token.is_none());
    }
}
