//! Mercado Libre OAuth 2.0: the refresh-token grant at `POST https://api.mercadolibre.com/oauth/token`
//! (client id and secret in the form body), and the Bearer token on every API call.
//!
//! Refresh tokens are single use: every refresh answers a new one, which the kit's
//! `TokenCache` hands to the `TokenSink` before the new access token is used
//! (https://developers.mercadolivre.com.br/pt_br/autenticacao-e-autorizacao).

use std::fmt;

use async_trait::async_trait;
use connector_kit::oauth::{ClientAuth, OAuthApp};
use connector_kit::{HttpClient, TokenGrant, TokenSource};
use core_model::MarketplaceError;
use secrecy::SecretString;
use url::Url;

/// The token endpoint; the same for every site.
pub const TOKEN_URL: &str = "https://api.mercadolibre.com/oauth/token";
/// The path the mock platform recognises the token endpoint by.
pub const TOKEN_PATH: &str = "/oauth/token";
/// API calls carry `Authorization: Bearer APP_USR-...` (query-string tokens were phased out).
pub const BEARER_PREFIX: &str = "Bearer ";

/// Exchanges the store's refresh token for an access token (6 h) and a new refresh token.
pub struct MercadolibreTokens {
    http: HttpClient,
    token_url: Url,
    client_id: String,
    client_secret: SecretString,
}

impl MercadolibreTokens {
    /// `token_url` must already be resolved through the base-URL override.
    pub fn new(
        http: HttpClient,
        token_url: Url,
        client_id: String,
        client_secret: SecretString,
    ) -> Self {
        MercadolibreTokens {
            http,
            token_url,
            client_id,
            client_secret,
        }
    }
}

impl fmt::Debug for MercadolibreTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MercadolibreTokens")
            .field("token_path", &self.token_url.path())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl TokenSource for MercadolibreTokens {
    async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenGrant, MarketplaceError> {
        // grant_type=refresh_token&client_id=..&client_secret=..&refresh_token=.. (form body).
        OAuthApp::new(
            &self.http,
            self.token_url.clone(),
            &self.client_id,
            &self.client_secret,
            ClientAuth::Body,
        )
        .refresh(refresh_token)
        .await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::Arc;

    use connector_testkit::conformance::{RotationLog, Target};
    use core_model::Window;

    /// The `token-expired` fixture: the 401 on page two refreshes once, and the single-use
    /// refresh token Mercado Libre rotates reaches the sink.
    #[tokio::test]
    async fn the_rotated_refresh_token_reaches_the_sink() {
        let target = Target::new(Arc::new(crate::MercadolibreFactory));
        let (server, loaded) = target.serve("token-expired").await;
        let sink = Arc::new(RotationLog::default());
        let conn = target.connector_with(&server, &loaded, |o| o.token_sink = Some(sink.clone()));
        let w = loaded.expect.window.unwrap();
        let window = Window::new(w.from, w.to).unwrap();
        connector_testkit::conformance::pull_all(conn.as_ref(), window, None)
            .await
            .unwrap();
        assert_eq!(
            sink.rotated().as_slice(),
            ["TG-66a1f3d9e4b0a10001c4d5e6-1287654321"]
        );
    }
}
