//! The IOP request signature and the seller's token refresh.
//!
//! Every call carries `app_key`, `timestamp` (Unix milliseconds), `sign_method=sha256` and, for
//! seller APIs, `access_token`; `sign` is uppercase hex HMAC-SHA256 keyed with the app secret
//! over every other parameter sorted by name as `name` + `value`. System APIs (paths under
//! `/rest`, such as `/auth/token/refresh`) prefix that string with their path; business APIs on
//! `/sync` (dotted `method` names) do not, and `method` is an ordinary sorted parameter there
//! (openservice.aliexpress.com "Signature algorithm", open.alitrip.com articleId 120692/120693;
//! the official IOP SDKs sign the API name only when it contains `/`). Everything is POSTed as a
//! form, as the SDKs do. Authorizers run once per attempt, so every retry is signed anew.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use connector_kit::oauth::TOKEN_CLASS;
use connector_kit::{
    ApiRequest, Body, HttpClient, RequestSigner, SignedAuth, TokenGrant, TokenSource,
};
use core_model::{MarketplaceError, Operation};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::config::GATEWAY;
use crate::error::AliexpressClassifier;
use crate::model::TokenResponse;

/// The refresh API (a system API under `/rest`).
pub const REFRESH_PATH: &str = "/auth/token/refresh";

/// The IOP gateway's signing, shared with the other IOP connector through the kit.
pub use connector_kit::sign::iop_string_to_sign as string_to_sign;

/// `sign` for one request.
pub fn sign(app_secret: &SecretString, prefix: &str, params: &[(String, String)]) -> String {
    connector_kit::sign::iop_sign(app_secret.expose_secret().as_bytes(), prefix, params)
}

/// The prefix a URL's signature takes: the system API path after `/rest` (so a base-URL
/// override with a path prefix does not change it), nothing for the `/sync` gateway.
pub fn sign_prefix(url: &Url) -> &str {
    let path = url.path();
    match path.find("/rest/") {
        Some(i) => &path[i + "/rest".len()..],
        None => "",
    }
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
    /// Add the common parameters and `sign` to the request's form body.
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
        let signature = sign(&self.app_secret, sign_prefix(&request.url), &all);
        fields.push(("sign".to_owned(), signature));
        request.body = Body::Form(fields);
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

/// Exchanges the seller's refresh token at
/// `https://api-sg.aliexpress.com/rest/auth/token/refresh`. The answer carries a refresh token;
/// when it differs from the one sent it is the rotated one, and the kit's `TokenCache` hands it
/// to the `TokenSink` before the new access token is used.
pub struct AliexpressTokens {
    http: HttpClient,
    url: Url,
    auth: AppAuth,
}

impl fmt::Debug for AliexpressTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AliexpressTokens")
            .field("url", &self.url.path())
            .finish_non_exhaustive()
    }
}

impl AliexpressTokens {
    pub fn new(http: HttpClient, app: Arc<App>) -> Result<Self, MarketplaceError> {
        let url = http.url(&format!("{GATEWAY}/rest{REFRESH_PATH}"))?;
        Ok(AliexpressTokens {
            http,
            url,
            auth: SignedAuth::app_only(app),
        })
    }
}

#[async_trait]
impl TokenSource for AliexpressTokens {
    async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenGrant, MarketplaceError> {
        let request = ApiRequest::post(Operation::RefreshToken, TOKEN_CLASS, self.url.clone())
            .form(vec![(
                "refresh_token".to_owned(),
                refresh_token.expose_secret().to_owned(),
            )]);
        let response = self
            .http
            .send_classified(request, Some(&self.auth), &AliexpressClassifier)
            .await?;
        let grant: TokenResponse = response.json()?;
        let access_token = grant
            .access_token
            .filter(|t| !t.expose_secret().is_empty())
            .ok_or_else(|| {
                MarketplaceError::malformed("token response without access_token")
                    .with_operation(Operation::RefreshToken)
            })?;
        if let Some(left) = grant.refresh_expires_in {
            tracing::debug!(
                platform = "aliexpress",
                refresh_expires_in_s = left,
                "access token refreshed"
            );
        }
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

    /// The worked example of the platform's "HTTP request sample" (articleId 120693): app
    /// secret `helloworld`, a system API path, `order_id=1234`.
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

    /// A `/sync` business call: no prefix, `method` sorted with the rest (aliexpress.md 2.4,
    /// recomputed independently).
    #[test]
    fn sync_calls_are_signed_without_a_prefix() {
        let param0 = r#"{"current_page":1,"page_size":20,"order_status_list":["WAIT_SELLER_SEND_GOODS"],"create_date_start":"2024-05-20 00:00:00","create_date_end":"2024-05-29 00:00:00"}"#;
        let params = pairs(&[
            ("app_key", "500123"),
            ("method", "aliexpress.solution.order.get"),
            ("session", "50000a01b2c3"),
            ("sign_method", "sha256"),
            ("timestamp", "1717000000000"),
            ("param0", param0),
        ]);
        assert_eq!(
            string_to_sign("", &params),
            format!("app_key500123methodaliexpress.solution.order.getparam0{param0}session50000a01b2c3sign_methodsha256timestamp1717000000000")
        );
        let secret = SecretString::from("0123456789abcdef0123456789abcdef".to_owned());
        assert_eq!(
            sign(&secret, "", &params),
            "A00A0DF4B85EE3BD8C326984778EA2487C044251429D96DE122C624C125F521D"
        );
    }

    #[test]
    fn sort_is_by_byte_order_and_sign_and_empties_are_excluded() {
        // The signature article's own sorting example: foo=1, bar=2, foo_bar=3, foobar=4.
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
    fn only_system_apis_take_a_prefix() {
        let sync = Url::parse("https://api-sg.aliexpress.com/sync").unwrap();
        assert_eq!(sign_prefix(&sync), "");
        let rest = Url::parse("https://api-sg.aliexpress.com/rest/auth/token/refresh").unwrap();
        assert_eq!(sign_prefix(&rest), "/auth/token/refresh");
        let proxied = Url::parse("http://127.0.0.1:9/p/rest/auth/token/refresh").unwrap();
        assert_eq!(sign_prefix(&proxied), "/auth/token/refresh");
    }

    fn app() -> App {
        App {
            app_key: "123456".into(),
            app_secret: SecretString::from("helloworld".to_owned()),
        }
    }

    #[test]
    fn sync_requests_carry_the_common_parameters_in_the_form() {
        let url = Url::parse("https://api-sg.aliexpress.com/sync").unwrap();
        let mut request = ApiRequest::post(Operation::PullOrders, "orders", url).form(pairs(&[
            ("method", "aliexpress.solution.order.get"),
            ("param0", "{}"),
        ]));
        app().sign_into(&mut request, Some("test"), 1517820392000);
        let Body::Form(fields) = &request.body else {
            panic!("form body expected");
        };
        let field = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(field("sign_method").as_deref(), Some("sha256"));
        assert_eq!(field("access_token").as_deref(), Some("test"));
        assert_eq!(field("timestamp").as_deref(), Some("1517820392000"));
        let expected = sign(
            &app().app_secret,
            "",
            &pairs(&[
                ("access_token", "test"),
                ("app_key", "123456"),
                ("method", "aliexpress.solution.order.get"),
                ("param0", "{}"),
                ("sign_method", "sha256"),
                ("timestamp", "1517820392000"),
            ]),
        );
        assert_eq!(field("sign"), Some(expected));
        assert!(request.query.is_empty());
    }

    #[test]
    fn the_refresh_is_signed_with_its_path_and_no_token() {
        let url = Url::parse("https://api-sg.aliexpress.com/rest/auth/token/refresh").unwrap();
        let mut request = ApiRequest::post(Operation::RefreshToken, TOKEN_CLASS, url)
            .form(pairs(&[("refresh_token", "rt-1")]));
        app().sign_into(&mut request, None, 1517820392000);
        let Body::Form(fields) = &request.body else {
            panic!("form body expected");
        };
        let field = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(field("access_token"), None);
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
