//! The credentials file of one Rakuten Ichiba shop, parsed once when the connector is built.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use connector_kit::{parse_credentials, ConfigError, CredentialKey};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::JST;

/// The keys of the credentials file (see README.md).
pub const CREDENTIAL_KEYS: &[CredentialKey] = &[
    CredentialKey::required_secret("service_secret"),
    CredentialKey::required_secret("license_key"),
    CredentialKey::optional("license_key_expires_at"),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    service_secret: SecretString,
    license_key: SecretString,
    #[serde(default)]
    license_key_expires_at: Option<String>,
}

/// A shop's RMS WEB SERVICE credentials: the `serviceSecret` and the `licenseKey` issued in RMS
/// (WEB APIサービス > 利用設定). The licence key expires 90 days after issue.
pub struct Config {
    pub service_secret: SecretString,
    pub license_key: SecretString,
    /// When the licence key expires, if the operator wrote it down: the connector warns ahead.
    pub license_key_expires_at: Option<DateTime<Utc>>,
}

// Neither key ever prints; the expiry date is not secret.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("license_key_expires_at", &self.license_key_expires_at)
            .finish_non_exhaustive()
    }
}

impl Config {
    pub fn parse(value: &serde_json::Value) -> Result<Self, ConfigError> {
        let raw: Raw = parse_credentials(value, CREDENTIAL_KEYS)?;
        for (key, secret) in [
            ("service_secret", &raw.service_secret),
            ("license_key", &raw.license_key),
        ] {
            let s = secret.expose_secret();
            if s.trim().is_empty() {
                return Err(ConfigError::new(key, "must not be empty"));
            }
            // RMS compares the keys exactly; a pasted space is a classic cause of ES01-01.
            if s.trim() != s || s.contains(':') {
                return Err(ConfigError::new(
                    key,
                    "must not contain `:` or leading/trailing spaces",
                ));
            }
        }
        let license_key_expires_at = raw
            .license_key_expires_at
            .as_deref()
            .map(parse_expiry)
            .transpose()?;
        Ok(Config {
            service_secret: raw.service_secret,
            license_key: raw.license_key,
            license_key_expires_at,
        })
    }
}

/// `2026-08-01` (the date RMS shows, read as the start of that day in JST: warn early rather
/// than late) or an RFC 3339 time.
fn parse_expiry(text: &str) -> Result<DateTime<Utc>, ConfigError> {
    let t = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        return Ok(at.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|d| d.and_local_timezone(JST).single())
        .map(|d| d.with_timezone(&Utc))
        .ok_or_else(|| {
            ConfigError::new(
                "license_key_expires_at",
                "must be a date like `2026-08-01` or an RFC 3339 time",
            )
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_and_hides_both_keys() {
        let c = Config::parse(&json!({
            "service_secret": "SP391402_fixtureServiceSecret",
            "license_key": "SL391402_fixtureLicenseKey",
            "license_key_expires_at": "2026-08-01"
        }))
        .unwrap();
        assert_eq!(
            c.service_secret.expose_secret(),
            "SP391402_fixtureServiceSecret"
        );
        assert_eq!(c.license_key.expose_secret(), "SL391402_fixtureLicenseKey");
        assert_eq!(
            c.license_key_expires_at.unwrap().to_rfc3339(),
            "2026-07-31T15:00:00+00:00"
        );
        let shown = format!("{c:?}");
        assert!(!shown.contains("fixture"), "{shown}");
    }

    #[test]
    fn errors_name_the_key_and_hide_values() {
        let missing = Config::parse(&json!({"service_secret": "SPx"})).unwrap_err();
        assert_eq!(missing.key, "license_key");
        let wrong =
            Config::parse(&json!({"service_secret": 12345678, "license_key": "SLx"})).unwrap_err();
        assert_eq!(wrong.key, "service_secret");
        assert!(!wrong.to_string().contains("12345678"));
        for bad in [" SLx", "SLx ", "", "SL:x"] {
            let e =
                Config::parse(&json!({"service_secret": "SPx", "license_key": bad})).unwrap_err();
            assert_eq!(e.key, "license_key", "{bad:?}");
        }
        let unknown = Config::parse(&json!({
            "service_secret": "SPx", "license_key": "SLx", "shop_url": "x"
        }));
        assert!(unknown.is_err());
        let date = Config::parse(&json!({
            "service_secret": "SPx", "license_key": "SLx", "license_key_expires_at": "soon"
        }))
        .unwrap_err();
        assert_eq!(date.key, "license_key_expires_at");
        let rfc = Config::parse(&json!({
            "service_secret": "SPx", "license_key": "SLx",
            "license_key_expires_at": "2026-08-01T12:00:00+09:00"
        }))
        .unwrap();
        assert_eq!(
            rfc.license_key_expires_at.unwrap().to_rfc3339(),
            "2026-08-01T03:00:00+00:00"
        );
    }
}
