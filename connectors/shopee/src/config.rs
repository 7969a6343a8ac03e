//! The credentials file of one Shopee shop, parsed once when the connector is built.

use std::fmt;

use connector_kit::ids::number_or_string;
use connector_kit::{parse_credentials, ConfigError, CredentialKey};
use secrecy::SecretString;
use serde::Deserialize;

/// The global production host; one partner id/key pair serves every shop region.
pub const DEFAULT_HOST: &str = "https://partner.shopeemobile.com";

/// Host variants Shopee documents, by the short name a credentials file may use.
const HOST_VARIANTS: &[(&str, &str)] = &[
    ("global", DEFAULT_HOST),
    ("cn", "https://openplatform.shopee.cn"),
    ("br", "https://openplatform.shopee.com.br"),
    (
        "sandbox",
        "https://openplatform.sandbox.test-stable.shopee.sg",
    ),
    (
        "sandbox-cn",
        "https://openplatform.sandbox.test-stable.shopee.cn",
    ),
];

/// The keys of the credentials file (see README.md).
pub const CREDENTIAL_KEYS: &[CredentialKey] = &[
    CredentialKey::required("partner_id"),
    CredentialKey::required_secret("partner_key"),
    CredentialKey::required("shop_id"),
    CredentialKey::optional_secret("access_token"),
    CredentialKey::required_secret("refresh_token"),
    CredentialKey::optional("host"),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(deserialize_with = "number_or_string")]
    partner_id: String,
    partner_key: SecretString,
    #[serde(deserialize_with = "number_or_string")]
    shop_id: String,
    #[serde(default)]
    access_token: Option<SecretString>,
    refresh_token: SecretString,
    #[serde(default)]
    host: Option<String>,
}

/// A shop's credentials. Ids are kept as their decimal text (they go into the signature base
/// string as text) and as numbers (the token request body wants JSON integers).
pub struct Config {
    pub partner_id: u64,
    pub partner_key: SecretString,
    pub shop_id: u64,
    pub access_token: Option<SecretString>,
    pub refresh_token: SecretString,
    /// Scheme and host, no trailing slash.
    pub host: String,
}

// Keys and tokens never print; ids and the host are not secret.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("partner_id", &self.partner_id)
            .field("shop_id", &self.shop_id)
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

impl Config {
    pub fn parse(value: &serde_json::Value) -> Result<Self, ConfigError> {
        let raw: Raw = parse_credentials(value, CREDENTIAL_KEYS)?;
        let id = |key: &str, text: &str| {
            text.parse::<u64>().map_err(|_| {
                ConfigError::new(key, "must be an id between 0 and 18446744073709551615")
            })
        };
        Ok(Config {
            partner_id: id("partner_id", &raw.partner_id)?,
            partner_key: raw.partner_key,
            shop_id: id("shop_id", &raw.shop_id)?,
            access_token: raw.access_token,
            refresh_token: raw.refresh_token,
            host: resolve_host(raw.host.as_deref())?,
        })
    }
}

/// `host` is a documented variant name (`br`, `cn`, `sandbox`, ...) or an `https://` origin.
fn resolve_host(host: Option<&str>) -> Result<String, ConfigError> {
    let Some(host) = host.map(str::trim).filter(|h| !h.is_empty()) else {
        return Ok(DEFAULT_HOST.to_owned());
    };
    if let Some((_, url)) = HOST_VARIANTS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(host))
    {
        return Ok((*url).to_owned());
    }
    let url = url::Url::parse(host).map_err(|_| {
        ConfigError::new(
            "host",
            "must be an https:// origin or one of global, cn, br, sandbox, sandbox-cn",
        )
    })?;
    if url.scheme() != "https"
        || url.host_str().is_none()
        || !url.path().trim_matches('/').is_empty()
    {
        return Err(ConfigError::new(
            "host",
            "must be an https:// origin without a path",
        ));
    }
    Ok(host.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use secrecy::ExposeSecret;
    use serde_json::json;

    fn creds() -> serde_json::Value {
        json!({
            "partner_id": 2001887, "partner_key": "shpk-test-key", "shop_id": "14701711",
            "access_token": "at-1", "refresh_token": "rt-1"
        })
    }

    #[test]
    fn ids_as_numbers_or_strings_and_default_host() {
        let c = Config::parse(&creds()).unwrap();
        assert_eq!((c.partner_id, c.shop_id), (2001887, 14701711));
        assert_eq!(c.host, DEFAULT_HOST);
        assert_eq!(c.refresh_token.expose_secret(), "rt-1");
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("shpk-test-key") && !shown.contains("at-1") && !shown.contains("rt-1")
        );
    }

    #[test]
    fn host_variants_and_errors() {
        let mut v = creds();
        v["host"] = json!("br");
        assert_eq!(
            Config::parse(&v).unwrap().host,
            "https://openplatform.shopee.com.br"
        );
        v["host"] = json!("https://openplatform.shopee.cn/");
        assert_eq!(
            Config::parse(&v).unwrap().host,
            "https://openplatform.shopee.cn"
        );
        v["host"] = json!("http://insecure.example");
        assert_eq!(Config::parse(&v).unwrap_err().key, "host");
        let mut v = creds();
        v["partner_key"] = json!(12345678);
        let e = Config::parse(&v).unwrap_err();
        assert_eq!(e.key, "partner_key");
        assert!(!e.to_string().contains("12345678"));
        let mut v = creds();
        v.as_object_mut().unwrap().remove("refresh_token");
        assert_eq!(Config::parse(&v).unwrap_err().key, "refresh_token");
    }
}
