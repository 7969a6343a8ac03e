//! The Admin API access token in `X-Shopify-Access-Token` (not `Authorization: Bearer`).
//!
//! Custom-app tokens (`shpat_...`) and offline OAuth tokens do not expire and have no refresh
//! grant: a 401 `[API] Invalid API key or access token` means the app was uninstalled or the
//! token rotated, and only the merchant can fix it. There is therefore no token endpoint call,
//! and no token generation: the kit does not re-send a refused request, the 401 surfaces as
//! `Unauthorized` at once.
//! <https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens>

use async_trait::async_trait;
use connector_kit::{ApiRequest, Authorizer};
use core_model::MarketplaceError;
use http::HeaderName;
use secrecy::{ExposeSecret, SecretString};

/// The header Shopify reads the Admin API access token from.
pub const ACCESS_TOKEN_HEADER: &str = "x-shopify-access-token";

/// Puts the shop's static access token on every call.
pub struct StaticTokenAuth {
    token: SecretString,
}

impl std::fmt::Debug for StaticTokenAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticTokenAuth").finish_non_exhaustive()
    }
}

impl StaticTokenAuth {
    pub fn new(token: SecretString) -> Self {
        StaticTokenAuth { token }
    }
}

#[async_trait]
impl Authorizer for StaticTokenAuth {
    async fn authorize(&self, request: &mut ApiRequest) -> Result<Option<u64>, MarketplaceError> {
        request.set_header(
            HeaderName::from_static(ACCESS_TOKEN_HEADER),
            self.token.expose_secret(),
        );
        // A static token has no generation to renew.
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
    async fn sets_the_header_and_never_shows_the_token() {
        let auth = StaticTokenAuth::new("shpat_secret_value".to_owned().into());
        let mut req = ApiRequest::post(
            Operation::PullOrders,
            "graphql",
            url::Url::parse("https://a.myshopify.com/admin/api/2025-01/graphql.json").unwrap(),
        );
        assert_eq!(auth.authorize(&mut req).await.unwrap(), None);
        let (name, value) = &req.headers[0];
        assert_eq!(name.as_str(), "x-shopify-access-token");
        assert_eq!(value, "shpat_secret_value");
        assert!(!format!("{auth:?}").contains("shpat"));
    }
}
