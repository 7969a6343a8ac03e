//! The credentials file of one SHEIN store, parsed once when the connector is built.

use std::fmt;

use connector_kit::{parse_credentials, ConfigError, CredentialKey};
use secrecy::SecretString;
use serde::Deserialize;

/// Self-operated and semi-managed stores (the only ones the order APIs serve) call this host
/// ("API调用说明文档", 1 设置正确的API请求域名).
pub const PRODUCTION_HOST: &str = "https://openapi.sheincorp.com";
/// The test environment; its data is separate from production.
pub const TEST_HOST: &str = "https://openapi-test01.sheincorp.cn";

/// Hosts a credentials file may name by a short name.
const HOST_VARIANTS: &[(&str, &str)] = &[("production", PRODUCTION_HOST), ("test", TEST_HOST)];

/// The keys of the credentials file (see README.md).
pub const CREDENTIAL_KEYS: &[CredentialKey] = &[
    CredentialKey::required("open_key_id"),
    CredentialKey::required_secret("secret_key"),
    CredentialKey::optional("host"),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    open_key_id: String,
    secret_key: SecretString,
    #[serde(default)]
    host: Option<String>,
}

/// A store's keys: the `openKeyId` and the decrypted `secretKey` that
/// `/open-api/auth/get-by-token` handed over at authorization. There is no token: every call
/// is signed with them, and they stay valid until the seller revokes the authorization.
pub struct Config {
    pub open_key_id: String,
    pub secret_key: SecretString,
    /// Scheme and host, no trailing slash.
    pub host: String,
}

// The secret never prints; the openKeyId is not secret but identifies the seller, so it is
// kept out of Debug output as well.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

impl Config {
    pub fn parse(value: &serde_json::Value) -> Result<Self, ConfigError> {
        let raw: Raw = parse_credentials(value, CREDENTIAL_KEYS)?;
        let open_key_id = raw.open_key_id.trim().to_owned();
        if open_key_id.is_empty() {
            return Err(ConfigError::new("open_key_id", "must not be empty"));
        }
        let host = match raw.host.as_deref().map(str::trim) {
            None | Some("") => PRODUCTION_HOST.to_owned(),
            Some(name) => host_of(name).ok_or_else(|| {
                ConfigError::new(
                    "host",
                    "must be `production`, `test` or an https URL such as https://openapi.sheincorp.com",
                )
            })?,
        };
        Ok(Config {
            open_key_id,
            secret_key: raw.secret_key,
            host,
        })
    }
}

/// `production`, `test`, or an `https://` origin.
fn host_of(name: &str) -> Option<String> {
    if let Some((_, host)) = HOST_VARIANTS
        .iter()
        .find(|(short, _)| short.eq_ignore_ascii_case(name))
    {
        return Some((*host).to_owned());
    }
    let url = url::Url::parse(name).ok()?;
    (url.scheme() == "https" && url.host_str().is_some())
        .then(|| name.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use secrecy::ExposeSecret;
    use serde_json::json;

    fn creds() -> serde_json::Value {
        json!({
            "open_key_id": "B96C15416C9240DF96BAA0BC9B367C6D",
            "secret_key": "secret-value-0001",
        })
    }

    #[test]
    fn parses_and_hides_secrets() {
        let c = Config::parse(&creds()).unwrap();
        assert_eq!(c.host, PRODUCTION_HOST);
        assert_eq!(c.secret_key.expose_secret(), "secret-value-0001");
        let shown = format!("{c:?}");
        for hidden in ["secret-value-0001", "B96C1541"] {
            assert!(!shown.contains(hidden), "{shown}");
        }
    }

    #[test]
    fn hosts_by_name_or_url() {
        let mut v = creds();
        v["host"] = json!("test");
        assert_eq!(Config::parse(&v).unwrap().host, TEST_HOST);
        v["host"] = json!("https://openapi.sheincorp.cn/");
        assert_eq!(
            Config::parse(&v).unwrap().host,
            "https://openapi.sheincorp.cn"
        );
        v["host"] = json!("http://insecure.example");
        assert_eq!(Config::parse(&v).unwrap_err().key, "host");
    }

    #[test]
    fn errors_name_the_key() {
        let mut v = creds();
        v["secret_key"] = json!(12345678);
        let e = Config::parse(&v).unwrap_err();
        assert_eq!(e.key, "secret_key");
        assert!(!e.to_string().contains("12345678"));
        let mut v = creds();
        v.as_object_mut().unwrap().remove("open_key_id");
        assert_eq!(Config::parse(&v).unwrap_err().key, "open_key_id");
        let mut v = creds();
        v["open_key_id"] = json!("  ");
        assert_eq!(Config::parse(&v).unwrap_err().key, "open_key_id");
        let mut v = creds();
        v["access_token"] = json!("x");
        assert!(Config::parse(&v).is_err(), "unknown keys are refused");
    }
}
