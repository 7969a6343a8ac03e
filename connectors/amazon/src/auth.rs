//! Login with Amazon: the refresh-token grant that yields the access token every SP-API call
//! carries in `x-amz-access-token`. SP-API no longer uses SigV4 signing (changelog
//! "SP-API will no longer require AWS IAM or AWS Signature Version 4", 2023-10-02).

use std::fmt;

use async_trait::async_trait;
use connector_kit::{oauth, HttpClient, TokenGrant, TokenSource};
use core_model::MarketplaceError;
use secrecy::SecretString;
use url::Url;

/// The header SP-API reads the LWA access token from (not `Authorization: Bearer`).
pub const ACCESS_TOKEN_HEADER: &str = "x-amz-access-token";

/// Exchanges the store's refresh token at `POST https://api.amazon.com/auth/o2/token`.
pub struct LwaTokenSource {
    http: HttpClient,
    token_url: Url,
    client_id: String,
    client_secret: SecretString,
}

impl LwaTokenSource {
    pub fn new(
        http: HttpClient,
        token_url: Url,
        client_id: String,
        client_secret: SecretString,
    ) -> Self {
        LwaTokenSource {
            http,
            token_url,
            client_id,
            client_secret,
        }
    }
}

impl fmt::Debug for LwaTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LwaTokenSource")
            .field("token_path", &self.token_url.path())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl TokenSource for LwaTokenSource {
    async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenGrant, MarketplaceError> {
        // Form-encoded grant_type, refresh_token, client_id, client_secret, as LWA documents.
        oauth::refresh_token_grant(
            &self.http,
            self.token_url.clone(),
            &self.client_id,
            &self.client_secret,
            refresh_token,
        )
        .await
    }
}
