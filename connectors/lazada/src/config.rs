//! The credentials file of one Lazada seller account, parsed once when the connector is built.

use std::fmt;

use chrono::{FixedOffset, Offset, Utc};
use connector_kit::ids::number_or_string;
use connector_kit::{parse_credentials, ConfigError, CredentialKey};
use secrecy::SecretString;
use serde::Deserialize;

/// Token create/refresh host, shared by every country.
pub const AUTH_HOST: &str = "https://auth.lazada.com/rest";

/// The keys of the credentials file (see README.md).
pub const CREDENTIAL_KEYS: &[CredentialKey] = &[
    CredentialKey::required("app_key"),
    CredentialKey::required_secret("app_secret"),
    CredentialKey::optional_secret("access_token"),
    CredentialKey::required_secret("refresh_token"),
    CredentialKey::required("region"),
];

/// A Lazada country. A seller's token only works on its own country's gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    Sg,
    My,
    Th,
    Vn,
    Ph,
    Id,
}

impl Region {
    pub const ALL: [Region; 6] = [
        Region::Sg,
        Region::My,
        Region::Th,
        Region::Vn,
        Region::Ph,
        Region::Id,
    ];

    /// The short name a credentials file uses (`sg`, `my`, ...), as in the token's `country`.
    pub fn code(self) -> &'static str {
        match self {
            Region::Sg => "sg",
            Region::My => "my",
            Region::Th => "th",
            Region::Vn => "vn",
            Region::Ph => "ph",
            Region::Id => "id",
        }
    }

    /// The country's API gateway (GetOrders "Endpoints").
    pub fn api_host(self) -> &'static str {
        match self {
            Region::Sg => "https://api.lazada.sg/rest",
            Region::My => "https://api.lazada.com.my/rest",
            Region::Th => "https://api.lazada.co.th/rest",
            Region::Vn => "https://api.lazada.vn/rest",
            Region::Ph => "https://api.lazada.com.ph/rest",
            Region::Id => "https://api.lazada.co.id/rest",
        }
    }

    /// ISO 3166-1 alpha-2; Lazada's own `country` fields hold country names.
    pub fn country_code(self) -> &'static str {
        match self {
            Region::Sg => "SG",
            Region::My => "MY",
            Region::Th => "TH",
            Region::Vn => "VN",
            Region::Ph => "PH",
            Region::Id => "ID",
        }
    }

    /// The currency orders are in when an item omits `currency`.
    pub fn currency(self) -> &'static str {
        match self {
            Region::Sg => "SGD",
            Region::My => "MYR",
            Region::Th => "THB",
            Region::Vn => "VND",
            Region::Ph => "PHP",
            Region::Id => "IDR",
        }
    }

    /// The country's standard time, used for the `update_after`/`update_before` offsets and for
    /// times Lazada sends without an offset.
    pub fn offset(self) -> FixedOffset {
        let hours = match self {
            Region::Sg | Region::My | Region::Ph => 8,
            Region::Th | Region::Vn | Region::Id => 7,
        };
        FixedOffset::east_opt(hours * 3600).unwrap_or(Utc.fix())
    }

    pub fn parse(text: &str) -> Option<Region> {
        let text = text.trim();
        Region::ALL
            .into_iter()
            .find(|r| r.code().eq_ignore_ascii_case(text))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(deserialize_with = "number_or_string")]
    app_key: String,
    app_secret: SecretString,
    #[serde(default)]
    access_token: Option<SecretString>,
    refresh_token: SecretString,
    region: String,
}

/// A seller account's credentials.
pub struct Config {
    /// Numeric, kept as the decimal text that goes into every signature.
    pub app_key: String,
    pub app_secret: SecretString,
    pub access_token: Option<SecretString>,
    pub refresh_token: SecretString,
    pub region: Region,
}

// Secrets and tokens never print; the app key and region are not secret.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("app_key", &self.app_key)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl Config {
    pub fn parse(value: &serde_json::Value) -> Result<Self, ConfigError> {
        let raw: Raw = parse_credentials(value, CREDENTIAL_KEYS)?;
        let region = Region::parse(&raw.region)
            .ok_or_else(|| ConfigError::new("region", "must be one of sg, my, th, vn, ph, id"))?;
        Ok(Config {
            app_key: raw.app_key,
            app_secret: raw.app_secret,
            access_token: raw.access_token,
            refresh_token: raw.refresh_token,
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
            "app_key": 100231, "app_secret": "lzd-secret-test", "access_token": "at-1",
            "refresh_token": "rt-1", "region": "SG"
        })
    }

    #[test]
    fn parses_and_hides_secrets() {
        let c = Config::parse(&creds()).unwrap();
        assert_eq!(c.app_key, "100231");
        assert_eq!(c.region, Region::Sg);
        assert_eq!(c.refresh_token.expose_secret(), "rt-1");
        let shown = format!("{c:?}");
        assert!(shown.contains("100231"));
        for secret in ["lzd-secret-test", "at-1", "rt-1"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn every_region_has_its_gateway() {
        let hosts: Vec<&str> = Region::ALL.iter().map(|r| r.api_host()).collect();
        assert_eq!(
            hosts,
            [
                "https://api.lazada.sg/rest",
                "https://api.lazada.com.my/rest",
                "https://api.lazada.co.th/rest",
                "https://api.lazada.vn/rest",
                "https://api.lazada.com.ph/rest",
                "https://api.lazada.co.id/rest",
            ]
        );
        for r in Region::ALL {
            assert_eq!(Region::parse(r.code()), Some(r));
        }
        assert_eq!(Region::Th.offset().local_minus_utc(), 7 * 3600);
        assert_eq!(Region::Ph.offset().local_minus_utc(), 8 * 3600);
    }

    #[test]
    fn errors_name_the_key() {
        let mut v = creds();
        v["region"] = json!("jp");
        assert_eq!(Config::parse(&v).unwrap_err().key, "region");
        let mut v = creds();
        v["app_secret"] = json!(12345678);
        let e = Config::parse(&v).unwrap_err();
        assert_eq!(e.key, "app_secret");
        assert!(!e.to_string().contains("12345678"));
        let mut v = creds();
        v.as_object_mut().unwrap().remove("refresh_token");
        assert_eq!(Config::parse(&v).unwrap_err().key, "refresh_token");
        let mut v = creds();
        v.as_object_mut().unwrap().remove("access_token");
        assert!(Config::parse(&v).unwrap().access_token.is_none());
    }
}
