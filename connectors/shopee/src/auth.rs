//! Shopee's request signature and token refresh.
//!
//! Every call carries `partner_id`, `timestamp` and `sign` in the query; shop APIs add
//! `access_token` and `shop_id`. `sign` is lowercase hex HMAC-SHA256, keyed with the partner
//! key's UTF-8 bytes, over the plain concatenation `partner_id + api_path + timestamp`
//! (+ `access_token + shop_id` for shop APIs): https://open.shopee.com/developer-guide/16.
//! The authorizers run once per attempt, so every retry is signed with a fresh timestamp.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use connector_kit::oauth::TOKEN_CLASS;
use connector_kit::sign::hmac_sha256_hex;
use connector_kit::{ApiRequest, HttpClient, RequestSigner, SignedAuth, TokenGrant, TokenSource};
use core_model::{MarketplaceError, Operation};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::model::{RefreshRequest, TokenResponse};

/// The token refresh path; a public API (no access token in its signature).
pub const REFRESH_PATH: &str = "/api/v2/auth/access_token/get";

/// The base string of a signature: shop APIs pass `Some((access_token, shop_id))`.
pub fn base_string(
    partner_id: u64,
    api_path: &str,
    timestamp: i64,
    shop: Option<(&str, u64)>,
) -> String {
    match shop {
        Some((access_token, shop_id)) => {
            format!("{partner_id}{api_path}{timestamp}{access_token}{shop_id}")
        }
        None => format!("{partner_id}{api_path}{timestamp}"),
    }
}

/// `sign` for one request.
pub fn sign(partner_key: &SecretString, base_string: &str) -> String {
    hmac_sha256_hex(
        partner_key.expose_secret().as_bytes(),
        base_string.as_bytes(),
    )
}

/// Public APIs are `/api/v2/auth/*`, `/api/v2/public/*` and the authorization link.
pub fn is_public_path(api_path: &str) -> bool {
    api_path.starts_with("/api/v2/auth/")
        || api_path.starts_with("/api/v2/public/")
        || api_path == "/api/v2/shop/auth_partner"
}

/// The API path a signature covers: the URL's path from `/api/` on, so a base-URL override
/// with a path prefix (a sandbox proxy, a mock) does not change what is signed.
pub fn api_path(url: &Url) -> &str {
    let path = url.path();
    path.find("/api/").map_or(path, |i| &path[i..])
}

/// The partner's identity and the shop it signs for: what every signature needs.
pub struct Partner {
    pub partner_id: u64,
    pub partner_key: SecretString,
    pub shop_id: u64,
}

impl fmt::Debug for Partner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Partner")
            .field("partner_id", &self.partner_id)
            .field("shop_id", &self.shop_id)
            .finish_non_exhaustive()
    }
}

impl Partner {
    fn sign_into(&self, request: &mut ApiRequest, shop: Option<(&str, u64)>) {
        let timestamp = chrono::Utc::now().timestamp();
        let base = base_string(self.partner_id, api_path(&request.url), timestamp, shop);
        request.set_query("partner_id", self.partner_id.to_string());
        request.set_query("timestamp", timestamp.to_string());
        if let Some((access_token, shop_id)) = shop {
            request.set_query("access_token", access_token);
            request.set_query("shop_id", shop_id.to_string());
        }
        request.set_query("sign", sign(&self.partner_key, &base));
    }
}

/// Shop APIs carry the access token and shop id; public APIs (the token refresh) neither.
impl RequestSigner for Partner {
    fn sign(
        &self,
        request: &mut ApiRequest,
        access_token: Option<&str>,
    ) -> Result<(), MarketplaceError> {
        self.sign_into(request, access_token.map(|t| (t, self.shop_id)));
        Ok(())
    }
}

/// Signs public API calls (the token refresh).
pub type PublicAuth = SignedAuth<Partner>;

/// Signs shop API calls with the shop's cached access token.
pub type ShopAuth = SignedAuth<Partner>;

/// Exchanges the shop's refresh token at `/api/v2/auth/access_token/get`. Shopee rotates the
/// refresh token on every refresh (the old one is single use), so the grant always carries
/// the new one and the kit's `TokenCache` hands it to the `TokenSink` before use.
pub struct ShopeeTokens {
    http: HttpClient,
    url: Url,
    auth: PublicAuth,
    partner_id: u64,
    shop_id: u64,
}

impl fmt::Debug for ShopeeTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShopeeTokens")
            .field("shop_id", &self.shop_id)
            .finish_non_exhaustive()
    }
}

impl ShopeeTokens {
    pub fn new(
        http: HttpClient,
        host: &str,
        partner: Arc<Partner>,
    ) -> Result<Self, MarketplaceError> {
        let url = http.url(&format!("{host}{REFRESH_PATH}"))?;
        Ok(ShopeeTokens {
            http,
            url,
            partner_id: partner.partner_id,
            shop_id: partner.shop_id,
            auth: SignedAuth::app_only(partner),
        })
    }
}

#[async_trait]
impl TokenSource for ShopeeTokens {
    async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenGrant, MarketplaceError> {
        let body = RefreshRequest {
            refresh_token: refresh_token.expose_secret(),
            partner_id: self.partner_id,
            shop_id: self.shop_id,
        };
        let request =
            ApiRequest::post(Operation::RefreshToken, TOKEN_CLASS, self.url.clone()).json(&body)?;
        let response = self.http.send(request, Some(&self.auth)).await?;
        let grant: TokenResponse = response.json()?;
        let missing = || {
            MarketplaceError::malformed("token response without access_token")
                .with_operation(Operation::RefreshToken)
        };
        let access_token = grant
            .access_token
            .filter(|t| !t.expose_secret().is_empty())
            .ok_or_else(missing)?;
        Ok(TokenGrant {
            access_token,
            expires_in: grant.expire_in.map(Duration::from_secs),
            refresh_token: grant
                .refresh_token
                .filter(|t| !t.expose_secret().is_empty()),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn key() -> SecretString {
        SecretString::from(
            "shpk4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4".to_owned(),
        )
    }

    /// The worked example of shared/marketplaces/shopee.md section 2.4 (invented key).
    #[test]
    fn shop_signature_known_answer() {
        let base = base_string(
            2001887,
            "/api/v2/order/get_order_list",
            1717000000,
            Some(("4d6f6e6b6579546f6b656e", 14701711)),
        );
        assert_eq!(
            base,
            "2001887/api/v2/order/get_order_list17170000004d6f6e6b6579546f6b656e14701711"
        );
        assert_eq!(
            sign(&key(), &base),
            "68c5e189c45fd56f746c0ca86ccf3f9bd4ac1c2f518a130317ddc38642eef707"
        );
    }

    #[test]
    fn public_signature_known_answer() {
        let base = base_string(2001887, "/api/v2/auth/token/get", 1717000000, None);
        assert_eq!(base, "2001887/api/v2/auth/token/get1717000000");
        assert_eq!(
            sign(&key(), &base),
            "5ff8b53c7218a19453dc160b965e8cac339f11665872e796c5752a04e764d41c"
        );
    }

    /// The official doc's own base string example (get_shop_info); it publishes no key.
    #[test]
    fn official_base_string_example() {
        let base = base_string(
            2001887,
            "/api/v2/shop/get_shop_info",
            1655714431,
            Some(("59777174636562737266615546704c6d", 14701711)),
        );
        assert_eq!(
            base,
            "2001887/api/v2/shop/get_shop_info165571443159777174636562737266615546704c6d14701711"
        );
    }

    #[test]
    fn api_path_ignores_a_proxy_prefix() {
        let url = Url::parse("http://127.0.0.1:9/sandbox/api/v2/order/get_order_list").unwrap();
        assert_eq!(api_path(&url), "/api/v2/order/get_order_list");
        assert!(is_public_path(REFRESH_PATH));
        assert!(!is_public_path("/api/v2/logistics/ship_order"));
    }

    #[tokio::test]
    async fn shop_auth_puts_the_common_parameters_in_the_query() {
        let partner = Arc::new(Partner {
            partner_id: 2001887,
            partner_key: key(),
            shop_id: 14701711,
        });
        #[derive(Debug)]
        struct Never;
        #[async_trait]
        impl TokenSource for Never {
            async fn refresh(&self, _: &SecretString) -> Result<TokenGrant, MarketplaceError> {
                Err(MarketplaceError::unauthorized("no refresh in this test"))
            }
        }
        use connector_kit::{Authorizer, TokenCache};
        let cache = TokenCache::new(
            Arc::new(Never),
            SecretString::from("r".to_owned()),
            Some(SecretString::from("tok-1".to_owned())),
            None,
        );
        let auth = ShopAuth::with_tokens(partner, cache);
        let url =
            Url::parse("https://partner.shopeemobile.com/api/v2/order/get_order_list").unwrap();
        let mut request = ApiRequest::get(Operation::PullOrders, "orders", url);
        assert_eq!(auth.authorize(&mut request).await.unwrap(), Some(0));
        let q = |k: &str| {
            request
                .query
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        let ts: i64 = q("timestamp").parse().unwrap();
        let base = base_string(
            2001887,
            "/api/v2/order/get_order_list",
            ts,
            Some(("tok-1", 14701711)),
        );
        assert_eq!(q("sign"), sign(&key(), &base));
        assert_eq!(
            (
                q("partner_id").as_str(),
                q("shop_id").as_str(),
                q("access_token").as_str()
            ),
            ("2001887", "14701711", "tok-1")
        );
    }
}
