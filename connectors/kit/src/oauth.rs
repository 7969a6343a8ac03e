//! OAuth2 token requests through the kit's stack, using the `oauth2` crate for the protocol:
//! the refresh-token grant of Amazon LWA, eBay, Mercado Libre and the others.

use std::future::Future;
use std::pin::Pin;

use core_model::{MarketplaceError, Operation};
use http::HeaderName;
use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthType, ClientId, ClientSecret, HttpRequest, HttpResponse, RefreshToken, RequestTokenError,
    TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};

use crate::http::{ApiRequest, Body, HttpClient, RawResponse, ResponseClassifier};
use crate::token::TokenGrant;

/// The endpoint class token requests are limited under.
pub const TOKEN_CLASS: &str = "token";

/// Lets `oauth2` send through an [`HttpClient`]: retries 429 and 5xx, hands every other answer
/// to `oauth2`, which parses RFC 6749 error bodies itself.
#[derive(Debug)]
pub struct KitOAuthClient<'a> {
    http: &'a HttpClient,
    headers: &'a [(HeaderName, String)],
}

#[derive(Debug)]
struct OAuthClassifier;

impl ResponseClassifier for OAuthClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        let status = r.status.as_u16();
        if status == 429 {
            return Err(
                MarketplaceError::rate_limited(None, "token endpoint throttled")
                    .with_status(status),
            );
        }
        if r.status.is_server_error() {
            return Err(MarketplaceError::transient("token endpoint failed").with_status(status));
        }
        Ok(())
    }
}

impl<'c> oauth2::AsyncHttpClient<'c> for KitOAuthClient<'_> {
    type Error = MarketplaceError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, MarketplaceError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let url = url::Url::parse(&parts.uri.to_string())
                .map_err(|e| MarketplaceError::permanent(format!("invalid token URL: {e}")))?;
            let mut api = ApiRequest::new(Operation::RefreshToken, TOKEN_CLASS, parts.method, url);
            let mut content_type = String::from("application/x-www-form-urlencoded");
            for (name, value) in &parts.headers {
                if name == http::header::CONTENT_TYPE {
                    content_type = value.to_str().unwrap_or_default().to_owned();
                    continue;
                }
                if let Ok(v) = value.to_str() {
                    api.headers.push((HeaderName::clone(name), v.to_owned()));
                }
            }
            for (name, value) in self.headers {
                api.set_header(name.clone(), value.clone());
            }
            api.body = Body::Raw {
                content_type,
                bytes: body.into(),
            };
            let r = self
                .http
                .send_classified(api, None, &OAuthClassifier)
                .await?;
            let mut response = http::Response::builder().status(r.status);
            for (name, value) in &r.headers {
                response = response.header(name, value);
            }
            response
                .body(r.body.to_vec())
                .map_err(|e| MarketplaceError::malformed(format!("token response: {e}")))
        })
    }
}

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// `client_id` and `client_secret` in the form body (Amazon LWA, Mercado Libre).
    Body,
    /// HTTP Basic `client_id:client_secret` (eBay, Walmart).
    Basic,
}

/// An OAuth2 client of one platform app, sending through the kit's stack.
pub struct OAuthApp<'a> {
    http: &'a HttpClient,
    token_url: url::Url,
    client_id: String,
    client_secret: &'a SecretString,
    auth: ClientAuth,
    headers: Vec<(HeaderName, String)>,
    params: Vec<(String, String)>,
}

impl std::fmt::Debug for OAuthApp<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthApp")
            .field("token_url", &self.token_url.as_str())
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl<'a> OAuthApp<'a> {
    /// `token_url` must already be resolved through the host override (`HttpClient::url`).
    pub fn new(
        http: &'a HttpClient,
        token_url: url::Url,
        client_id: &str,
        client_secret: &'a SecretString,
        auth: ClientAuth,
    ) -> Self {
        OAuthApp {
            http,
            token_url,
            client_id: client_id.to_owned(),
            client_secret,
            auth,
            headers: Vec::new(),
            params: Vec::new(),
        }
    }

    /// A form parameter the token endpoint requires on top of OAuth2 (Wayfair's `audience`).
    pub fn with_param(mut self, name: &str, value: impl Into<String>) -> Self {
        self.params.push((name.to_owned(), value.into()));
        self
    }

    /// A header the token endpoint requires on top of OAuth2 (Walmart's `WM_SVC.NAME`, ...).
    pub fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn client(
        &self,
    ) -> BasicClient<
        oauth2::EndpointNotSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointSet,
    > {
        BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(
                self.client_secret.expose_secret().to_owned(),
            ))
            .set_token_uri(TokenUrl::from_url(self.token_url.clone()))
            .set_auth_type(match self.auth {
                ClientAuth::Body => AuthType::RequestBody,
                ClientAuth::Basic => AuthType::BasicAuth,
            })
    }

    fn adapter(&self) -> KitOAuthClient<'_> {
        KitOAuthClient {
            http: self.http,
            headers: &self.headers,
        }
    }

    fn context(&self, e: MarketplaceError) -> MarketplaceError {
        e.with_platform(self.http.platform())
            .with_operation(Operation::RefreshToken)
    }

    /// The refresh-token grant. A refresh token the platform rotated comes back in the grant.
    pub async fn refresh(
        &self,
        refresh_token: &SecretString,
    ) -> Result<TokenGrant, MarketplaceError> {
        let refresh = RefreshToken::new(refresh_token.expose_secret().to_owned());
        let client = self.client();
        let mut request = client.exchange_refresh_token(&refresh);
        for (name, value) in &self.params {
            request = request.add_extra_param(name.clone(), value.clone());
        }
        let response = request
            .request_async(&self.adapter())
            .await
            .map_err(|e| self.context(oauth_error(e)))?;
        Ok(grant(&response, Some(refresh_token)))
    }

    /// The client-credentials grant (Walmart, eBay application tokens).
    pub async fn client_credentials(
        &self,
        scopes: &[&str],
    ) -> Result<TokenGrant, MarketplaceError> {
        let client = self.client();
        let mut request = client
            .exchange_client_credentials()
            .add_scopes(scopes.iter().map(|s| oauth2::Scope::new((*s).to_owned())));
        for (name, value) in &self.params {
            request = request.add_extra_param(name.clone(), value.clone());
        }
        let response = request
            .request_async(&self.adapter())
            .await
            .map_err(|e| self.context(oauth_error(e)))?;
        Ok(grant(&response, None))
    }
}

fn grant(response: &oauth2::basic::BasicTokenResponse, sent: Option<&SecretString>) -> TokenGrant {
    TokenGrant {
        access_token: SecretString::from(response.access_token().secret().to_owned()),
        expires_in: response.expires_in(),
        refresh_token: response
            .refresh_token()
            .map(|r| SecretString::from(r.secret().to_owned()))
            .filter(|r| sent.is_none_or(|s| r.expose_secret() != s.expose_secret())),
    }
}

/// Exchange a refresh token at `token_url` (already resolved through the host override).
/// Client credentials go in the form body, as Amazon LWA documents.
pub async fn refresh_token_grant(
    http: &HttpClient,
    token_url: url::Url,
    client_id: &str,
    client_secret: &SecretString,
    refresh_token: &SecretString,
) -> Result<TokenGrant, MarketplaceError> {
    OAuthApp::new(http, token_url, client_id, client_secret, ClientAuth::Body)
        .refresh(refresh_token)
        .await
}

fn oauth_error(
    e: RequestTokenError<MarketplaceError, oauth2::StandardErrorResponse<BasicErrorResponseType>>,
) -> MarketplaceError {
    match e {
        RequestTokenError::ServerResponse(body) => {
            let code = body.error().as_ref().to_owned();
            let message = body
                .error_description()
                .cloned()
                .unwrap_or_else(|| code.clone());
            let kind_error = match body.error() {
                BasicErrorResponseType::InvalidGrant
                | BasicErrorResponseType::InvalidClient
                | BasicErrorResponseType::UnauthorizedClient => MarketplaceError::unauthorized(
                    format!("the seller must re-authorize: {message}"),
                ),
                // Auth0 tenants (Wayfair) refuse bad client credentials with `access_denied`.
                BasicErrorResponseType::Extension(ext) if ext == "access_denied" => {
                    MarketplaceError::unauthorized(format!(
                        "the platform refused the client credentials: {message}"
                    ))
                }
                _ => MarketplaceError::permanent(message),
            };
            kind_error.with_code(code)
        }
        RequestTokenError::Request(e) => e,
        RequestTokenError::Parse(e, _) => {
            MarketplaceError::malformed(format!("token response at `{}`", e.path()))
        }
        RequestTokenError::Other(m) => MarketplaceError::permanent(m),
    }
}
