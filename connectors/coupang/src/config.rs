//! The credentials file of one Coupang Wing seller, parsed once when the connector is built.

use std::fmt;

use connector_kit::{parse_credentials, ConfigError, CredentialKey};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The keys of the credentials file (see README.md).
pub const CREDENTIAL_KEYS: &[CredentialKey] = &[
    CredentialKey::required("vendor_id"),
    CredentialKey::required("access_key"),
    CredentialKey::required_secret("secret_key"),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    vendor_id: String,
    access_key: String,
    secret_key: SecretString,
}

/// A seller's Wing OPEN API key: the vendor code (`A00012345`), the access key that names the
/// key in every `Authorization` header, and the secret key that signs.
pub struct Config {
    pub vendor_id: String,
    /// Sent in clear in every request, but still kept out of `Debug`: it identifies the key.
    pub access_key: String,
    pub secret_key: SecretString,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("vendor_id", &self.vendor_id)
            .finish_non_exhaustive()
    }
}

impl Config {
    pub fn parse(value: &serde_json::Value) -> Result<Self, ConfigError> {
        let raw: Raw = parse_credentials(value, CREDENTIAL_KEYS)?;
        let vendor_id = raw.vendor_id.trim().to_owned();
        // Vendor codes are a letter and digits (`A00012345`, `C00012345`); they go into every
        // path, so anything else is refused here rather than sent.
        let valid_vendor = vendor_id.len() >= 2
            && vendor_id.starts_with(|c: char| c.is_ascii_uppercase())
            && vendor_id[1..].bytes().all(|b| b.is_ascii_digit());
        if !valid_vendor {
            return Err(ConfigError::new(
                "vendor_id",
                "must be the Wing vendor code, like `A00012345`",
            ));
        }
        let access_key = raw.access_key.trim().to_owned();
        if access_key.is_empty() || access_key.contains([',', ' ']) {
            return Err(ConfigError::new(
                "access_key",
                "must be the OPEN API access key issued in Wing",
            ));
        }
        if raw.secret_key.expose_secret().trim().is_empty() {
            return Err(ConfigError::new("secret_key", "must not be empty"));
        }
        Ok(Config {
            vendor_id,
            access_key,
            secret_key: raw.secret_key,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_and_hides_the_keys() {
        let c = Config::parse(&json!({
            "vendor_id": "A00012345",
            "access_key": "0a3a0f34-7852-4ad8-9368-766290b8b1ab",
            "secret_key": "7ffcdf980d908fe7ca3d642868e22f99f0306bf5"
        }))
        .unwrap();
        assert_eq!(c.vendor_id, "A00012345");
        assert_eq!(
            c.secret_key.expose_secret(),
            "7ffcdf980d908fe7ca3d642868e22f99f0306bf5"
        );
        let shown = format!("{c:?}");
        assert!(shown.contains("A00012345"));
        assert!(
            !shown.contains("7ffcdf98") && !shown.contains("0a3a0f34"),
            "{shown}"
        );
    }

    #[test]
    fn errors_name_the_key() {
        let missing = Config::parse(&json!({"vendor_id": "A00012345", "access_key": "k"}));
        assert_eq!(missing.unwrap_err().key, "secret_key");
        let wrong = Config::parse(
            &json!({"vendor_id": "A00012345", "access_key": "k", "secret_key": 12345678}),
        )
        .unwrap_err();
        assert_eq!(wrong.key, "secret_key");
        assert!(!wrong.to_string().contains("12345678"));
        for bad in ["12345", "a00012345", "A0001234X", ""] {
            let e = Config::parse(&json!({"vendor_id": bad, "access_key": "k", "secret_key": "s"}));
            assert_eq!(e.unwrap_err().key, "vendor_id", "{bad}");
        }
        let e = Config::parse(&json!({"vendor_id": "A1", "access_key": "a b", "secret_key": "s"}));
        assert_eq!(e.unwrap_err().key, "access_key");
        let e = Config::parse(&json!({"vendor_id": "A1", "access_key": "k", "secret_key": " "}));
        assert_eq!(e.unwrap_err().key, "secret_key");
        let unknown = Config::parse(
            &json!({"vendor_id": "A1", "access_key": "k", "secret_key": "s", "token": "t"}),
        );
        assert!(unknown.is_err());
    }
}
