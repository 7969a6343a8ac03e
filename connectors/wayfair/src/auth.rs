//! Wayfair auth: the OAuth 2.0 client-credentials grant at Wayfair's Auth0 tenant
//! (`POST https://sso.auth.wayfair.com/oauth/token`, `grant_type=client_credentials`,
//! `client_id`, `client_secret` and the environment's `audience`), and the resulting JWT sent
//! as `Authorization: Bearer <token>` on every API call and document download.
//! <https://developer.wayfair.com/docs/#authentication>
//!
//! There is no refresh token: a new token is requested with the same call when the cached one
//! nears its `expires_in` or an API call answers 401, so the cache's refresh-token slot stays
//! empty. The tenant answers refused credentials with `401 {"error": "access_denied",
//! "error_description": "Unauthorized"}`; `access_denied` is not an RFC 6749 token error code,
//! so it is turned into `Unauthorized` here.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use connector_kit::oauth::{ClientAuth, OAuthApp};
use connector_kit::{HttpClient, TokenGrant, TokenSource};
use core_model::{ErrorKind, MarketplaceError, Operation, Platform};
use secrecy::SecretString;
use url::Url;

/// The token endpoint, the same host for production and the sandbox.
pub const TOKEN_URL: &str = "https://sso.auth.wayfair.com/oauth/token";
pub const TOKEN_PATH: &str = "/oauth/token";

/// Used when a token answer leaves `expires_in` out. Wayfair's tokens are reported to last 12
/// to 24 hours; the shorter keeps a token from being used past its end.
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// Auth0's answer to a wrong client id or secret.
pub const ACCESS_DENIED: &str = "access_denied";

/// Mints access tokens with the app's client credentials.
pub struct ClientCredentials {
    http: HttpClient,
    token_url: Url,
    client_id: String,
    client_secret: SecretString,
    audience: &'static str,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("token_path", &self.token_url.path())
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl ClientCredentials {
    /// `token_url` already resolved through the base-URL override.
    pub fn new(
        http: HttpClient,
        token_url: Url,
        client_id: String,
        client_secret: SecretString,
        audience: &'static str,
    ) -> Self {
        ClientCredentials {
            http,
            token_url,
            client_id,
            client_secret,
            audience,
        }
    }
}

/// `access_denied` (refused client credentials) is the seller's to fix, like `invalid_client`.
pub fn refused_credentials(e: MarketplaceError) -> MarketplaceError {
    if e.kind() == ErrorKind::Permanent && e.code() == Some(ACCESS_DENIED) {
        return MarketplaceError::unauthorized(format!(
            "Wayfair refused the client credentials: {}",
            e.message()
        ))
        .with_code(ACCESS_DENIED)
        .with_platform(Platform::Wayfair)
        .with_operation(Operation::RefreshToken);
    }
    e
}

#[async_trait]
impl TokenSource for ClientCredentials {
    /// A new access token; the grant has no refresh token, so the cache's placeholder is unused.
    async fn refresh(&self, _unused: &SecretString) -> Result<TokenGrant, MarketplaceError> {
        let mut grant = OAuthApp::new(
            &self.http,
            self.token_url.clone(),
            &self.client_id,
            &self.client_secret,
            ClientAuth::Body,
        )
        .with_param("audience", self.audience)
        .client_credentials(&[])
        .await
        .map_err(refused_credentials)?;
        grant.expires_in.get_or_insert(DEFAULT_TOKEN_LIFETIME);
        // Client credentials never come with a refresh token to persist.
        grant.refresh_token = None;
        Ok(grant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_denied_becomes_unauthorized_and_other_errors_pass() {
        let denied = MarketplaceError::permanent("Unauthorized").with_code(ACCESS_DENIED);
        let e = refused_credentials(denied);
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
        assert_eq!(e.code(), Some(ACCESS_DENIED));
        assert!(e.message().contains("Unauthorized"));

        let other = MarketplaceError::permanent("bad audience").with_code("invalid_request");
        assert_eq!(refused_credentials(other).kind(), ErrorKind::Permanent);
        let throttled = MarketplaceError::rate_limited(None, "slow down");
        assert_eq!(
            refused_credentials(throttled).kind(),
            ErrorKind::RateLimited
        );
    }
}
