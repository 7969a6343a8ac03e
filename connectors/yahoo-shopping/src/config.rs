//! The credentials file of a Yahoo! Shopping store. Secrets stay in `SecretString`s; `Debug`
//! shows neither them nor the application's client id.

use std::fmt;

use connector_kit::ids::number_or_string;
use connector_kit::{parse_credentials, ConfigError, CredentialKey};
use rsa::RsaPublicKey;
use secrecy::SecretString;
use serde::Deserialize;

use crate::auth::parse_public_key;

/// The keys of the credentials file, as the README lists them.
pub const CREDENTIAL_KEYS: &[CredentialKey] = &[
    CredentialKey::required("client_id"),
    CredentialKey::required_secret("client_secret"),
    CredentialKey::required_secret("refresh_token"),
    CredentialKey::required("seller_id"),
    CredentialKey::required("public_key"),
    CredentialKey::required("public_key_version"),
    CredentialKey::optional_secret("access_token"),
];

/// YConnect v2 token endpoint (developer.yahoo.co.jp/yconnect/v2/authorization_code/token.html).
pub const TOKEN_URL: &str = "https://auth.login.yahoo.co.jp/yconnect/v2/token";

/// Store API base in production.
pub const API_BASE: &str = "https://circus.shopping.yahooapis.jp/ShoppingWebService/V1";

/// Store API base of the test environment, which serves the test stores Yahoo hands out with
/// a test application id.
pub const TEST_API_BASE: &str = "https://test.circus.shopping.yahooapis.jp/ShoppingWebService/V1";

/// Test stores' accounts start with this prefix (as public clients route them; unverified as
/// a rule).
pub const SANDBOX_PREFIX: &str = "snbx-";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCredentials {
    client_id: String,
    client_secret: SecretString,
    refresh_token: SecretString,
    seller_id: String,
    public_key: String,
    #[serde(deserialize_with = "number_or_string")]
    public_key_version: String,
    #[serde(default)]
    access_token: Option<SecretString>,
}

/// A parsed and checked credentials file.
pub struct Credentials {
    /// The application id ("Client ID") of the app registered for the order API.
    pub client_id: String,
    pub client_secret: SecretString,
    /// The store operator's refresh token (28 days with public-key authentication).
    pub refresh_token: SecretString,
    /// The store account (ストアアカウント): `SellerId` in every request and the order ids'
    /// prefix.
    pub seller_id: String,
    /// The store's public key from Store Creator Pro (設定 > 暗号鍵管理), parsed.
    pub public_key: RsaPublicKey,
    /// That key's version number, sent as `X-sws-signature-version`.
    pub public_key_version: String,
    /// A cached access token; it may have expired: the 401 then triggers a refresh.
    pub access_token: Option<SecretString>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("seller_id", &self.seller_id)
            .field("public_key_version", &self.public_key_version)
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "[REDACTED]"),
            )
            .finish_non_exhaustive()
    }
}

/// Store accounts are letters, digits, `-` and `_`; a `:` would also break the signed
/// `sellerId:unixtime` text.
fn is_store_account(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Credentials {
    pub fn parse(value: &serde_json::Value) -> Result<Self, ConfigError> {
        let raw: RawCredentials = parse_credentials(value, CREDENTIAL_KEYS)?;
        if raw.client_id.trim().is_empty() {
            return Err(ConfigError::new("client_id", "must not be empty"));
        }
        if !is_store_account(&raw.seller_id) {
            return Err(ConfigError::new(
                "seller_id",
                "must be the store account (letters, digits, `-`, `_`)",
            ));
        }
        let public_key = parse_public_key(&raw.public_key)
            .map_err(|reason| ConfigError::new("public_key", reason))?;
        Ok(Credentials {
            client_id: raw.client_id.trim().to_owned(),
            client_secret: raw.client_secret,
            refresh_token: raw.refresh_token,
            seller_id: raw.seller_id,
            public_key,
            public_key_version: raw.public_key_version,
            access_token: raw.access_token,
        })
    }

    /// The store API base for this store: test stores (`snbx-...`) use the test host.
    pub fn api_base(&self) -> &'static str {
        if self.seller_id.starts_with(SANDBOX_PREFIX) {
            TEST_API_BASE
        } else {
            API_BASE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) const PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAiKAJ6JN2IG/HWHsp4S3P
-----END PUBLIC KEY-----";

    fn base(key: &str) -> serde_json::Value {
        json!({
            "client_id": "dj00aiZpPWZpeHR1cmVBcHBJZA--",
            "client_secret": "fixture-client-secret-value",
            "refresh_token": "fixture-refresh-token-value",
            "seller_id": "kiriya-zakka",
            "public_key": key,
            "public_key_version": 2,
            "access_token": "fixture-access-token-value"
        })
    }

    #[test]
    fn parses_and_hides_secrets() {
        let key = crate::auth::tests::throwaway_key_pair().1;
        let creds = Credentials::parse(&base(&key)).unwrap();
        assert_eq!(creds.public_key_version, "2");
        assert_eq!(creds.api_base(), API_BASE);
        let shown = format!("{creds:?}");
        for secret in ["client-secret", "refresh-token", "access-token", "dj00"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("kiriya-zakka"));
    }

    #[test]
    fn keys_are_checked() {
        let key = crate::auth::tests::throwaway_key_pair().1;
        let mut bad = base(&key);
        bad["seller_id"] = json!("kiriya:zakka");
        assert_eq!(Credentials::parse(&bad).unwrap_err().key, "seller_id");

        let mut bad = base(&key);
        bad["public_key"] = json!(PUBLIC_KEY);
        assert_eq!(Credentials::parse(&bad).unwrap_err().key, "public_key");

        let mut bad = base(&key);
        bad["region"] = json!("jp");
        assert!(Credentials::parse(&bad).is_err());

        let mut missing = base(&key);
        missing
            .as_object_mut()
            .unwrap()
            .remove("public_key_version");
        assert_eq!(
            Credentials::parse(&missing).unwrap_err().key,
            "public_key_version"
        );

        let mut wrong = base(&key);
        wrong["client_secret"] = json!(424242);
        let e = Credentials::parse(&wrong).unwrap_err();
        assert_eq!(e.key, "client_secret");
        assert!(!e.to_string().contains("424242"));

        let mut sandbox = base(&key);
        sandbox["seller_id"] = json!("snbx-kiriya");
        sandbox["public_key_version"] = json!("1");
        let creds = Credentials::parse(&sandbox).unwrap();
        assert_eq!(creds.api_base(), TEST_API_BASE);
        assert!(creds.access_token.is_some());
    }
}
