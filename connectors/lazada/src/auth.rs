//! Lazada's request signature and token refresh.
//!
//! Every call carries `app_key`, `timestamp` (Unix milliseconds), `sign_method=sha256` and, for
//! seller APIs, `access_token`; `sign` is uppercase hex HMAC-SHA256, keyed with the app secret,
//! over the API path followed by every other parameter sorted by name as `name` + `value`
//! (https://open.lazada.com/apps/doc/doc?nodeId=10450&docId=108068). GET sends all parameters in
//! the query; POST sends them as a form body, as the official `lazop` SDK does. Authorizers run
//! once per attempt, so every retry is signed with a fresh timestamp.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use connector_kit::oauth::TOKEN_CLASS;
use connector_kit::{
    ApiRequest, Body, HttpClient, RequestSigner, SignedAuth, TokenGrant, TokenSource,
};
use core_model::{MarketplaceError, Operation};
use http::Method;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::config::AUTH_HOST;
use crate::error::LazadaClassifier;
use crate::model::TokenResponse;

/// The refresh API, on the auth host.
pub const REFRESH_PATH: &str = "/auth/token/refresh";

/// The IOP gateway's signing, shared with the other IOP connector through the kit.
pub use connector_kit::sign::iop_string_to_sign as string_to_sign;

/// `sign` for one request.
pub fn sign(app_secret: &SecretString, prefix: &str, params: &[(String, String)]) -> String {
    connector_kit::sign::iop_sign(app_secret.expose_secret().as_bytes(), prefix, params)
}

/// The API path a signature covers: the URL path after `/rest`, so a base-URL override with a
/// path prefix (a proxy, a mock) does not change what is signed.
pub fn api_path(url: &Url) -> &str {
    let path = url.path();
    match path.find("/rest/") {
        Some(i) => &path[i + "/rest".len()..],
        None => path,
    }
}

/// Token APIs are signed without an access token.
pub fn is_auth_path(api_path: &str) -> bool {
    api_path.starts_with("/auth/")
}

/// The app's identity: what every signature needs.
pub struct App {
    pub app_key: String,
    pub app_secret: SecretString,
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("app_key", &self.app_key)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Add the common parameters and `sign` where the request carries its parameters.
    pub fn sign_into(
        &self,
        request: &mut ApiRequest,
        access_token: Option<&str>,
        timestamp_ms: i64,
    ) {
        let mut system = vec![
            ("app_key".to_owned(), self.app_key.clone()),
            ("timestamp".to_owned(), timestamp_ms.to_string()),
            ("sign_method".to_owned(), "sha256".to_owned()),
        ];
        if let Some(token) = access_token {
            system.push(("access_token".to_owned(), token.to_owned()));
        }
        let in_body = request.method == Method::POST;
        if in_body {
            let mut fields = match std::mem::replace(&mut request.body, Body::Empty) {
                Body::Form(fields) => fields,
                _ => Vec::new(),
            };
            for (k, v) in system {
                fields.retain(|(n, _)| *n != k);
                fields.push((k, v));
            }
            fields.retain(|(n, _)| n != "sign");
            let all: Vec<(String, String)> =
                request.query.iter().chain(fields.iter()).cloned().collect();
            let signature = sign(&self.app_secret, api_path(&request.url), &all);
            fields.push(("sign".to_owned(), signature));
            request.body = Body::Form(fields);
        } else {
            for (k, v) in system {
                request.set_query(&k, v);
            }
            request.query.retain(|(n, _)| n != "sign");
            let signature = sign(&self.app_secret, api_path(&request.url), &request.query);
            request.set_query("sign", signature);
        }
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl RequestSigner for App {
    fn sign(
        &self,
        request: &mut ApiRequest,
        access_token: Option<&str>,
    ) -> Result<(), MarketplaceError> {
        self.sign_into(request, access_token, now_ms());
        Ok(())
    }
}

/// Signs the token APIs (no access token).
pub type AppAuth = SignedAuth<App>;

/// Signs seller API calls with the seller's cached access token.
pub type SellerAuth = SignedAuth<App>;

/// Exchanges the seller's refresh token at `https://auth.lazada.com/rest/auth/token/refresh`.
/// The answer carries a refresh token every time; when it differs from the one sent, it is the
/// rotated one, and the kit's `TokenCache` hands it to the `TokenSink` before the new access
/// token is used.
pub struct LazadaTokens {
    http: HttpClient,
    url: Url,
    auth: AppAuth,
}

impl fmt::Debug for LazadaTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LazadaTokens")
            .field("url", &self.url.path())
            .finish_non_exhaustive()
    }
}

impl LazadaTokens {
    pub fn new(http: HttpClient, app: Arc<App>) -> Result<Self, MarketplaceError> {
        let url = http.url(&format!("{AUTH_HOST}{REFRESH_PATH}"))?;
        Ok(LazadaTokens {
            http,
            url,
            auth: SignedAuth::app_only(app),
        })
    }
}

#[async_trait]
impl TokenSource for LazadaTokens {
    async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenGrant, MarketplaceError> {
        let request = ApiRequest::post(Operation::RefreshToken, TOKEN_CLASS, self.url.clone())
            .form(vec![(
                "refresh_token".to_owned(),
                refresh_token.expose_secret().to_owned(),
            )]);
        let response = self
            .http
            .send_classified(request, Some(&self.auth), &LazadaClassifier)
            .await?;
        let grant: TokenResponse = response.json()?;
        let access_token = grant
            .access_token
            .filter(|t| !t.expose_secret().is_empty())
            .ok_or_else(|| {
                MarketplaceError::malformed("token response without access_token")
                    .with_operation(Operation::RefreshToken)
            })?;
        Ok(TokenGrant {
            access_token,
            expires_in: grant.expires_in.map(Duration::from_secs),
            refresh_token: grant.refresh_token.filter(|t| {
                !t.expose_secret().is_empty() && t.expose_secret() != refresh_token.expose_secret()
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// The worked example of the official signature article (docId 108068/108069): app secret
    /// `helloworld`, GetOrder with `order_id=1234`.
    #[test]
    fn official_signature_example() {
        let params = pairs(&[
            ("app_key", "123456"),
            ("access_token", "test"),
            ("timestamp", "1517820392000"),
            ("sign_method", "sha256"),
            ("order_id", "1234"),
        ]);
        assert_eq!(
            string_to_sign("/order/get", &params),
            "/order/getaccess_tokentestapp_key123456order_id1234sign_methodsha256timestamp1517820392000"
        );
        let secret = SecretString::from("helloworld".to_owned());
        assert_eq!(
            sign(&secret, "/order/get", &params),
            "4190D32361CFB9581350222F345CB77F3B19F0E31D162316848A2C1FFD5FAB4A"
        );
    }

    #[test]
    fn sort_is_by_byte_order_and_sign_is_excluded() {
        // The article's own sorting example: foo=1, bar=2, foo_bar=3, foobar=4.
        let params = pairs(&[
            ("foo", "1"),
            ("bar", "2"),
            ("foo_bar", "3"),
            ("foobar", "4"),
            ("sign", "ignored"),
            ("empty", ""),
        ]);
        assert_eq!(
            string_to_sign("/test/api", &params),
            "/test/apibar2foo1foo_bar3foobar4"
        );
    }

    #[test]
    fn api_path_is_what_follows_rest() {
        let real = Url::parse("https://api.lazada.sg/rest/orders/items/get?x=1").unwrap();
        assert_eq!(api_path(&real), "/orders/items/get");
        let mock = Url::parse("http://127.0.0.1:9/proxy/rest/auth/token/refresh").unwrap();
        assert_eq!(api_path(&mock), "/auth/token/refresh");
        assert!(is_auth_path(api_path(&mock)));
        assert!(!is_auth_path("/order/package/rts"));
    }

    fn app() -> App {
        App {
            app_key: "123456".into(),
            app_secret: SecretString::from("helloworld".to_owned()),
        }
    }

    #[test]
    fn get_puts_everything_in_the_query() {
        let url = Url::parse("https://api.lazada.sg/rest/order/get").unwrap();
        let mut request =
            ApiRequest::get(Operation::PullOrders, "orders", url).query("order_id", "1234");
        app().sign_into(&mut request, Some("test"), 1517820392000);
        let q = |k: &str| {
            request
                .query
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(q("sign_method"), "sha256");
        assert_eq!(q("timestamp"), "1517820392000");
        assert_eq!(
            q("sign"),
            "4190D32361CFB9581350222F345CB77F3B19F0E31D162316848A2C1FFD5FAB4A"
        );
    }

    #[test]
    fn post_signs_the_form_fields() {
        let url = Url::parse("https://auth.lazada.com/rest/auth/token/refresh").unwrap();
        let mut request = ApiRequest::post(Operation::RefreshToken, TOKEN_CLASS, url)
            .form(pairs(&[("refresh_token", "rt-1")]));
        app().sign_into(&mut request, None, 1517820392000);
        let Body::Form(fields) = &request.body else {
            panic!("form body expected");
        };
        let field = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(field("access_token"), None);
        assert!(request.query.is_empty());
        let expected = sign(
            &app().app_secret,
            "/auth/token/refresh",
            &pairs(&[
                ("app_key", "123456"),
                ("refresh_token", "rt-1"),
                ("sign_method", "sha256"),
                ("timestamp", "1517820392000"),
            ]),
        );
        assert_eq!(field("sign"), Some(expected));
    }
}
