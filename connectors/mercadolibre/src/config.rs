//! The credentials file of a Mercado Libre store. Secrets stay in `SecretString`s; `Debug`
//! shows the seller id only (not the app's client id, which identifies the app).

use std::fmt;

use connector_kit::ids::number_or_string;
use connector_kit::{parse_credentials, ConfigError, CredentialKey};
use secrecy::SecretString;
use serde::Deserialize;

/// The keys of the credentials file, as the README lists them.
pub const CREDENTIAL_KEYS: &[CredentialKey] = &[
    CredentialKey::required("client_id"),
    CredentialKey::required_secret("client_secret"),
    CredentialKey::required_secret("refresh_token"),
    CredentialKey::required("seller_id"),
    CredentialKey::optional_secret("access_token"),
    CredentialKey::optional("me1_tracking_url"),
];

/// What `me1_tracking_url` must contain: the place the tracking number goes.
pub const TRACKING_NUMBER_PLACEHOLDER: &str = "{tracking_number}";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(deserialize_with = "number_or_string")]
    client_id: String,
    client_secret: SecretString,
    refresh_token: SecretString,
    #[serde(deserialize_with = "number_or_string")]
    seller_id: String,
    #[serde(default)]
    access_token: Option<SecretString>,
    #[serde(default)]
    me1_tracking_url: Option<String>,
}

/// A parsed credentials file.
pub struct Credentials {
    /// The application id (`APP_ID`); Mercado Libre app ids are numbers.
    pub client_id: String,
    pub client_secret: SecretString,
    /// Single use: every refresh rotates it (persist what the `TokenSink` receives).
    pub refresh_token: SecretString,
    /// The seller's user id (`user_id` of the token response); `/orders/search?seller=`.
    pub seller_id: String,
    /// A cached access token (6 h); it may have expired, Mercado Libre's 401 then refreshes it.
    pub access_token: Option<SecretString>,
    /// The seller's ME1 carrier tracking page, with `{tracking_number}` in it: ME1
    /// seller notifications v2 want `tracking_url` whenever `tracking_number` is sent.
    pub me1_tracking_url: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("seller_id", &self.seller_id)
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "[REDACTED]"),
            )
            .field("me1_tracking_url", &self.me1_tracking_url.is_some())
            .finish_non_exhaustive()
    }
}

impl Credentials {
    pub fn parse(value: &serde_json::Value) -> Result<Self, ConfigError> {
        let raw: Raw = parse_credentials(value, CREDENTIAL_KEYS)?;
        if let Some(template) = &raw.me1_tracking_url {
            let probe = template.replace(TRACKING_NUMBER_PLACEHOLDER, "X");
            let valid = template.contains(TRACKING_NUMBER_PLACEHOLDER)
                && url::Url::parse(&probe)
                    .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
            if !valid {
                return Err(ConfigError::new(
                    "me1_tracking_url",
                    "must be an http(s) URL containing {tracking_number}",
                ));
            }
        }
        Ok(Credentials {
            client_id: raw.client_id,
            client_secret: raw.client_secret,
            refresh_token: raw.refresh_token,
            seller_id: raw.seller_id,
            access_token: raw.access_token,
            me1_tracking_url: raw.me1_tracking_url,
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
            "client_id": 5839217460123457u64,
            "client_secret": "ml-secret-value-123",
            "refresh_token": "TG-refresh-value-456",
            "seller_id": "1287654321",
            "access_token": "APP_USR-access-value-789"
        })
    }

    #[test]
    fn ids_as_numbers_or_strings_and_secrets_hidden() {
        let c = Credentials::parse(&creds()).unwrap();
        assert_eq!(c.client_id, "5839217460123457");
        assert_eq!(c.seller_id, "1287654321");
        assert_eq!(c.refresh_token.expose_secret(), "TG-refresh-value-456");
        let shown = format!("{c:?}");
        for hidden in [
            "ml-secret-value",
            "TG-refresh",
            "APP_USR-access",
            "5839217460123457",
        ] {
            assert!(!shown.contains(hidden), "{shown}");
        }
        assert!(shown.contains("1287654321"));
    }

    #[test]
    fn errors_name_the_key() {
        let mut v = creds();
        v.as_object_mut().unwrap().remove("seller_id");
        assert_eq!(Credentials::parse(&v).unwrap_err().key, "seller_id");

        let mut v = creds();
        v["seller_id"] = json!("seller-abc");
        assert_eq!(Credentials::parse(&v).unwrap_err().key, "seller_id");

        let mut v = creds();
        v["client_secret"] = json!(87654321);
        let e = Credentials::parse(&v).unwrap_err();
        assert_eq!(e.key, "client_secret");
        assert!(!e.to_string().contains("87654321"));

        let mut v = creds();
        v["region"] = json!("MLA");
        assert!(Credentials::parse(&v).is_err(), "unknown keys are refused");
    }

    #[test]
    fn the_me1_tracking_page_needs_its_placeholder() {
        let mut v = creds();
        v["me1_tracking_url"] = json!("https://carrier.example/track/{tracking_number}");
        assert!(Credentials::parse(&v).unwrap().me1_tracking_url.is_some());
        for bad in [
            "https://carrier.example/track",
            "ftp://x/{tracking_number}",
            "{tracking_number}",
        ] {
            v["me1_tracking_url"] = json!(bad);
            assert_eq!(
                Credentials::parse(&v).unwrap_err().key,
                "me1_tracking_url",
                "{bad}"
            );
        }
    }
}
