//! eBay OAuth: the refresh-token grant that mints the user access token every Sell API call
//! carries as `Authorization: Bearer <token>`. No request signing is needed for the calls
//! used here (digital signatures apply only to some EU/UK financial calls).
//!
//! The grant goes to `POST /identity/v1/oauth2/token` with the app's credentials in HTTP Basic
//! auth and `grant_type=refresh_token&refresh_token=...` in the form body. `scope` is left out:
//! eBay then mints a token with every scope the seller consented to (including
//! `sell.logistics` where the app is approved for labels), and a list that is not a subset of
//! the consent is refused with `invalid_scope`. eBay's refresh answer carries no new refresh
//! token: refresh tokens do not rotate (they last about 18 months), so the token sink is
//! never called. <https://developer.ebay.com/api-docs/static/oauth-refresh-token-request.html>

use std::fmt;

use async_trait::async_trait;
use connector_kit::oauth::{ClientAuth, OAuthApp};
use connector_kit::{HttpClient, TokenGrant, TokenSource};
use core_model::MarketplaceError;
use secrecy::SecretString;
use url::Url;

/// The token endpoint's path, the same in production and the sandbox.
pub const TOKEN_PATH: &str = "/identity/v1/oauth2/token";

/// Prefix of every eBay OAuth token (access and refresh alike).
pub const TOKEN_PREFIX: &str = "v^1.1#";

/// Exchanges the store's refresh token for a user access token.
pub struct EbayTokenSource {
    http: HttpClient,
    token_url: Url,
    client_id: String,
    client_secret: SecretString,
}

impl EbayTokenSource {
    pub fn new(
        http: HttpClient,
        token_url: Url,
        client_id: String,
        client_secret: SecretString,
    ) -> Self {
        EbayTokenSource {
            http,
            token_url,
            client_id,
            client_secret,
        }
    }
}

impl fmt::Debug for EbayTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EbayTokenSource")
            .field("token_path", &self.token_url.path())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl TokenSource for EbayTokenSource {
    async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenGrant, MarketplaceError> {
        OAuthApp::new(
            &self.http,
            self.token_url.clone(),
            &self.client_id,
            &self.client_secret,
            ClientAuth::Basic,
        )
        .refresh(refresh_token)
        .await
    }
}
