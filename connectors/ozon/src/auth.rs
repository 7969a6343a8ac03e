//! The Seller API's static credentials: `Client-Id` and `Api-Key` headers on every call to
//! `api-seller.ozon.ru` ("Environment" section of the API reference: `Client-Id: <Client-Id>`,
//! `Api-Key: <Api-Key>`). No signing, no token exchange, no refresh: when Ozon refuses the key
//! (`Invalid Api-Key, please check the key and try again`, `Api-key is deactivated, ...`) only
//! the seller can issue a new one, so there is no token generation for the kit to renew and a
//! refused call is never re-sent.

use async_trait::async_trait;
use connector_kit::{ApiRequest, Authorizer};
use core_model::MarketplaceError;
use http::HeaderName;
use secrecy::{ExposeSecret, SecretString};

/// The header naming the seller account.
pub const CLIENT_ID_HEADER: &str = "client-id";
/// The header carrying the secret key.
pub const API_KEY_HEADER: &str = "api-key";

/// Puts the seller's `Client-Id` and `Api-Key` on a Seller API call.
pub struct ApiKeyAuth {
    client_id: String,
    api_key: SecretString,
}

impl std::fmt::Debug for ApiKeyAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Neither header value prints: the mock platform's secrets include the Client-Id.
        f.debug_struct("ApiKeyAuth").finish_non_exhaustive()
    }
}

impl ApiKeyAuth {
    pub fn new(client_id: String, api_key: SecretString) -> Self {
        ApiKeyAuth { client_id, api_key }
    }
}

#[async_trait]
impl Authorizer for ApiKeyAuth {
    async fn authorize(&self, request: &mut ApiRequest) -> Result<Option<u64>, MarketplaceError> {
        request.set_header(
            HeaderName::from_static(CLIENT_ID_HEADER),
            self.client_id.as_str(),
        );
        request.set_header(
            HeaderName::from_static(API_KEY_HEADER),
            self.api_key.expose_secret(),
        );
        // A static key has no generation to renew: the kit surfaces a refusal at once.
        Ok(None)
    }

    async fn invalidate(&self, _generation: u64) {}
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::Operation;

    #[tokio::test]
    async fn sets_both_headers_and_never_shows_the_key() {
        let auth = ApiKeyAuth::new("1943288".into(), "0b7c2f1e-secret-key".to_owned().into());
        let mut req = ApiRequest::post(
            Operation::PullOrders,
            "seller-api",
            url::Url::parse("https://api-seller.ozon.ru/v4/posting/fbs/list").unwrap(),
        );
        assert_eq!(auth.authorize(&mut req).await.unwrap(), None);
        let header = |name: &str| {
            req.headers
                .iter()
                .find(|(n, _)| n.as_str() == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(header("client-id").as_deref(), Some("1943288"));
        assert_eq!(header("api-key").as_deref(), Some("0b7c2f1e-secret-key"));
        let shown = format!("{auth:?}");
        assert!(
            !shown.contains("secret-key") && !shown.contains("1943288"),
            "{shown}"
        );
    }
}
