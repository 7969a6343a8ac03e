//! The credentials file of an eBay store. Secrets stay in `SecretString`s and `Debug` never
//! shows them (nor the app's client id).

use std::fmt;

use connector_kit::{parse_credentials, ConfigError, CredentialKey};
use secrecy::SecretString;
use serde::Deserialize;

/// The keys of the credentials file, as the README lists them.
pub const CREDENTIAL_KEYS: &[CredentialKey] = &[
    CredentialKey::required("client_id"),
    CredentialKey::required_secret("client_secret"),
    CredentialKey::required_secret("refresh_token"),
    CredentialKey::optional_secret("access_token"),
    CredentialKey::optional("marketplace_id"),
];

/// The production OAuth token endpoint; the sandbox has the same path on
/// `api.sandbox.ebay.com`, reached through the base-URL override.
/// <https://developer.ebay.com/api-docs/static/oauth-refresh-token-request.html>
pub const TOKEN_URL: &str = "https://api.ebay.com/identity/v1/oauth2/token";

/// The one production host of every Sell API used here, for all eBay marketplaces.
pub const API_HOST: &str = "https://api.ebay.com";

/// A parsed credentials file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// The app's OAuth client id ("App ID").
    pub client_id: String,
    /// The app's OAuth client secret ("Cert ID").
    pub client_secret: SecretString,
    /// The seller's refresh token (about 18 months; eBay does not rotate it on refresh).
    pub refresh_token: SecretString,
    /// A cached user access token; it may have expired, eBay's 401 then triggers a refresh.
    #[serde(default)]
    pub access_token: Option<SecretString>,
    /// The seller's home marketplace (`EBAY_US`, `EBAY_GB`, ...), sent as
    /// `X-EBAY-C-MARKETPLACE-ID` on Logistics API calls. The Fulfillment API needs none.
    #[serde(default)]
    pub marketplace_id: Option<String>,
}

// The client id is not secret to eBay, but it identifies the app: keep it out of logs too.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("marketplace_id", &self.marketplace_id)
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "[REDACTED]"),
            )
            .finish_non_exhaustive()
    }
}

/// `EBAY_` followed by upper-case letters and underscores (`EBAY_US`, `EBAY_MOTORS_US`).
fn is_marketplace_id(id: &str) -> bool {
    id.strip_prefix("EBAY_").is_some_and(|rest| {
        !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
    })
}

impl Credentials {
    pub fn parse(value: &serde_json::Value) -> Result<Self, ConfigError> {
        let creds: Credentials = parse_credentials(value, CREDENTIAL_KEYS)?;
        if creds.client_id.trim().is_empty() {
            return Err(ConfigError::new("client_id", "must not be empty"));
        }
        if let Some(id) = &creds.marketplace_id {
            if !is_marketplace_id(id) {
                return Err(ConfigError::new(
                    "marketplace_id",
                    format!("`{id}` is not an eBay marketplace id such as EBAY_US"),
                ));
            }
        }
        Ok(creds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_and_hides_secrets() {
        let creds = Credentials::parse(&json!({
            "client_id": "OmsyncTe-omsync-PRD-5a1b2c3d4-e5f6a7b8",
            "client_secret": "PRD-very-secret-cert",
            "refresh_token": "v^1.1#i^1#refresh-secret",
            "access_token": "v^1.1#i^1#access-secret",
            "marketplace_id": "EBAY_US"
        }))
        .unwrap();
        assert_eq!(creds.marketplace_id.as_deref(), Some("EBAY_US"));
        let shown = format!("{creds:?}");
        for secret in ["very-secret", "refresh-secret", "access-secret", "OmsyncTe"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn keys_are_checked() {
        let base = json!({"client_id": "c", "client_secret": "s", "refresh_token": "r"});
        assert!(Credentials::parse(&base).unwrap().access_token.is_none());

        let mut bad = base.clone();
        bad["marketplace_id"] = json!("US");
        assert_eq!(Credentials::parse(&bad).unwrap_err().key, "marketplace_id");
        bad["marketplace_id"] = json!("EBAY_MOTORS_US");
        assert!(Credentials::parse(&bad).is_ok());

        let mut unknown = base.clone();
        unknown["region"] = json!("na");
        assert!(Credentials::parse(&unknown).is_err());

        let missing = json!({"client_id": "c", "client_secret": "s"});
        assert_eq!(
            Credentials::parse(&missing).unwrap_err().key,
            "refresh_token"
        );
        let wrong = json!({"client_id": "c", "client_secret": 42, "refresh_token": "r"});
        let e = Credentials::parse(&wrong).unwrap_err();
        assert_eq!(e.key, "client_secret");
        assert!(!e.to_string().contains("42"));
    }
}
