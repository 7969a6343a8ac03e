//! The credentials file of an Amazon store and the region it selects. Secrets stay in
//! `SecretString`s and `Debug` never shows them (nor the LWA client id).

use std::fmt;

use connector_kit::{parse_credentials, ConfigError, CredentialKey};
use secrecy::SecretString;
use serde::Deserialize;

/// The keys of the credentials file, as the README lists them.
pub const CREDENTIAL_KEYS: &[CredentialKey] = &[
    CredentialKey::required("client_id"),
    CredentialKey::required_secret("client_secret"),
    CredentialKey::required_secret("refresh_token"),
    CredentialKey::required("marketplace_ids"),
    CredentialKey::optional("region"),
    CredentialKey::optional_secret("access_token"),
];

/// The SP-API region: picked by the seller account's marketplaces, not by where we run.
/// <https://developer-docs.amazon.com/sp-api/docs/sp-api-endpoints>
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Region {
    #[default]
    #[serde(alias = "NA")]
    Na,
    #[serde(alias = "EU")]
    Eu,
    #[serde(alias = "FE")]
    Fe,
}

impl Region {
    /// The production SP-API host of the region.
    pub fn api_base(self) -> &'static str {
        match self {
            Region::Na => "https://sellingpartnerapi-na.amazon.com",
            Region::Eu => "https://sellingpartnerapi-eu.amazon.com",
            Region::Fe => "https://sellingpartnerapi-fe.amazon.com",
        }
    }
}

/// The Login with Amazon token endpoint; the same for every region.
pub const LWA_TOKEN_URL: &str = "https://api.amazon.com/auth/o2/token";

/// A parsed credentials file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: SecretString,
    pub refresh_token: SecretString,
    pub marketplace_ids: Vec<String>,
    #[serde(default)]
    pub region: Region,
    /// A cached access token; it may have expired, Amazon's 403 then triggers a refresh.
    #[serde(default)]
    pub access_token: Option<SecretString>,
}

// The client id is not a secret to Amazon, but it identifies the app: keep it out of logs too.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("region", &self.region)
            .field("marketplace_ids", &self.marketplace_ids)
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "[REDACTED]"),
            )
            .finish_non_exhaustive()
    }
}

impl Credentials {
    pub fn parse(value: &serde_json::Value) -> Result<Self, ConfigError> {
        let creds: Credentials = parse_credentials(value, CREDENTIAL_KEYS)?;
        if creds.client_id.trim().is_empty() {
            return Err(ConfigError::new("client_id", "must not be empty"));
        }
        // searchOrders accepts at most 50 marketplace ids (orders_2026-01-01.json, maxItems).
        if creds.marketplace_ids.is_empty() || creds.marketplace_ids.len() > 50 {
            return Err(ConfigError::new(
                "marketplace_ids",
                "must list 1 to 50 marketplace ids",
            ));
        }
        if creds
            .marketplace_ids
            .iter()
            .any(|m| m.trim().is_empty() || m.contains(','))
        {
            return Err(ConfigError::new(
                "marketplace_ids",
                "holds an empty or malformed id",
            ));
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
            "client_id": "amzn1.application-oa2-client.test",
            "client_secret": "amzn1.oa2-cs.v1.very-secret",
            "refresh_token": "Atzr|refresh-secret",
            "marketplace_ids": ["ATVPDKIKX0DER"],
            "access_token": "Atza|access-secret"
        }))
        .unwrap();
        assert_eq!(creds.region, Region::Na);
        let shown = format!("{creds:?}");
        for secret in [
            "very-secret",
            "refresh-secret",
            "access-secret",
            "oa2-client",
        ] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn region_and_marketplaces_are_checked() {
        let base = |region: serde_json::Value, ids: serde_json::Value| {
            Credentials::parse(&json!({
                "client_id": "c", "client_secret": "s", "refresh_token": "r",
                "marketplace_ids": ids, "region": region
            }))
        };
        assert_eq!(
            base(json!("eu"), json!(["A1PA6795UKMFR9"])).unwrap().region,
            Region::Eu
        );
        assert_eq!(
            base(json!("FE"), json!(["A1VC38T7YXB528"]))
                .unwrap()
                .region
                .api_base(),
            "https://sellingpartnerapi-fe.amazon.com"
        );
        assert_eq!(base(json!("asia"), json!(["X"])).unwrap_err().key, "region");
        assert_eq!(
            base(json!("na"), json!([])).unwrap_err().key,
            "marketplace_ids"
        );
        assert_eq!(
            base(json!("na"), json!("ATVPDKIKX0DER")).unwrap_err().key,
            "marketplace_ids"
        );
    }
}
