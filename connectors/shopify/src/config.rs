//! The credentials file of one Shopify shop, parsed once when the connector is built.

use std::fmt;

use connector_kit::{parse_credentials, ConfigError, CredentialKey};
use secrecy::SecretString;
use serde::Deserialize;

/// The keys of the credentials file (see README.md).
pub const CREDENTIAL_KEYS: &[CredentialKey] = &[
    CredentialKey::required("shop_domain"),
    CredentialKey::required_secret("access_token"),
];

/// The suffix of every shop's permanent domain, the only host that serves the Admin API.
const MYSHOPIFY: &str = ".myshopify.com";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    shop_domain: String,
    access_token: SecretString,
}

/// A shop's credentials: its permanent domain and an Admin API access token (a custom app's
/// `shpat_...` or an offline OAuth token; neither expires).
pub struct Config {
    /// `acme-outdoor.myshopify.com`: lowercase, no scheme, no path.
    pub shop_domain: String,
    pub access_token: SecretString,
}

// The token never prints; the shop domain is not secret.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("shop_domain", &self.shop_domain)
            .finish_non_exhaustive()
    }
}

impl Config {
    pub fn parse(value: &serde_json::Value) -> Result<Self, ConfigError> {
        let raw: Raw = parse_credentials(value, CREDENTIAL_KEYS)?;
        {
            use secrecy::ExposeSecret;
            if raw.access_token.expose_secret().trim().is_empty() {
                return Err(ConfigError::new("access_token", "must not be empty"));
            }
        }
        Ok(Config {
            shop_domain: normalize_domain(&raw.shop_domain)?,
            access_token: raw.access_token,
        })
    }
}

/// `acme-outdoor`, `acme-outdoor.myshopify.com` or `https://acme-outdoor.myshopify.com/` all
/// name the shop `acme-outdoor.myshopify.com`. Custom storefront domains do not serve the Admin
/// API, so they are refused.
fn normalize_domain(text: &str) -> Result<String, ConfigError> {
    let bad = || {
        ConfigError::new(
            "shop_domain",
            "must be the shop's permanent domain, like `acme-outdoor.myshopify.com`",
        )
    };
    let t = text.trim().to_ascii_lowercase();
    let t = t.strip_prefix("https://").unwrap_or(&t);
    let t = t.trim_end_matches('/');
    let host = if t.contains('.') {
        t.to_owned()
    } else {
        format!("{t}{MYSHOPIFY}")
    };
    let shop = host.strip_suffix(MYSHOPIFY).ok_or_else(bad)?;
    let valid = !shop.is_empty()
        && !shop.starts_with('-')
        && shop
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(host)
    } else {
        Err(bad())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use secrecy::ExposeSecret;
    use serde_json::json;

    #[test]
    fn parses_and_hides_the_token() {
        let c = Config::parse(&json!({
            "shop_domain": "acme-outdoor.myshopify.com",
            "access_token": "shpat_test_token_value"
        }))
        .unwrap();
        assert_eq!(c.shop_domain, "acme-outdoor.myshopify.com");
        assert_eq!(c.access_token.expose_secret(), "shpat_test_token_value");
        assert!(!format!("{c:?}").contains("shpat_test"));
    }

    #[test]
    fn domain_forms_and_errors() {
        for (given, want) in [
            ("acme-outdoor", "acme-outdoor.myshopify.com"),
            (
                "https://Acme-Outdoor.myshopify.com/",
                "acme-outdoor.myshopify.com",
            ),
            (" shop2.myshopify.com ", "shop2.myshopify.com"),
        ] {
            assert_eq!(normalize_domain(given).unwrap(), want, "{given}");
        }
        for bad in [
            "www.acme.com",
            ".myshopify.com",
            "a/b.myshopify.com",
            "http://x.myshopify.com",
        ] {
            assert_eq!(
                normalize_domain(bad).unwrap_err().key,
                "shop_domain",
                "{bad}"
            );
        }
        let missing = Config::parse(&json!({"shop_domain": "x"})).unwrap_err();
        assert_eq!(missing.key, "access_token");
        let wrong =
            Config::parse(&json!({"shop_domain": "x", "access_token": 12345678})).unwrap_err();
        assert_eq!(wrong.key, "access_token");
        assert!(!wrong.to_string().contains("12345678"));
        let unknown =
            Config::parse(&json!({"shop_domain": "x", "access_token": "t", "api_key": "k"}));
        assert!(unknown.is_err());
        let empty = Config::parse(&json!({"shop_domain": "x", "access_token": " "})).unwrap_err();
        assert_eq!(empty.key, "access_token");
    }
}
