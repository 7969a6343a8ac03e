//! Yahoo! ID連携 (YConnect v2) tokens and the store's public-key authentication.
//!
//! Every order API call carries `Authorization: Bearer <access token>` plus the public-key
//! headers of Yahoo's 公開鍵認証 (webapi/shopping/help/#aboutapipublickey):
//! `X-sws-signature` = Base64 of the RSA **encryption** (PKCS#1 v1.5 padding, not a
//! signature scheme) of the UTF-8 text `{sellerId}:{unix seconds}` under the store's public
//! key, and `X-sws-signature-version` = that key's version number. Without them the order APIs
//! cap the seller's refresh token at 12 hours (28 days with them). PKCS#1 v1.5 encryption is
//! randomised: each attempt gets a fresh value, computed in `authorize`.
//!
//! Tokens come from `POST https://auth.login.yahoo.co.jp/yconnect/v2/token` with
//! `grant_type=refresh_token&refresh_token=...` and the app's `client_id:client_secret` in HTTP
//! Basic auth (required for server-side apps). Yahoo's answer carries `access_token`,
//! `token_type` and `expires_in` (3600) and no new refresh token: refresh tokens do not rotate
//! (Yahoo's own YConnect SDK reads only `access_token` and `expires_in` from it). Should a
//! different refresh token ever come back, the kit hands it to the token sink before use.
//! The public-key headers are sent on the refresh call too, as public clients do.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine as _;
use connector_kit::oauth::{ClientAuth, OAuthApp};
use connector_kit::{
    ApiRequest, Authorizer, ExposeSecret, HttpClient, TokenCache, TokenGrant, TokenSource,
};
use core_model::MarketplaceError;
use http::HeaderName;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::rand_core::OsRng;
use rsa::{Pkcs1v15Encrypt, RsaPublicKey};
use secrecy::SecretString;
use url::Url;

/// The token endpoint's path.
pub const TOKEN_PATH: &str = "/yconnect/v2/token";

/// `X-sws-signature`: Base64 of the RSA-encrypted `sellerId:unixtime`.
pub const SIGNATURE_HEADER: HeaderName = HeaderName::from_static("x-sws-signature");
/// `X-sws-signature-version`: the public key's version in Store Creator Pro.
pub const SIGNATURE_VERSION_HEADER: HeaderName = HeaderName::from_static("x-sws-signature-version");

/// Read the store's public key as Store Creator Pro hands it out: a PEM `PUBLIC KEY`
/// (SubjectPublicKeyInfo), also accepted as PKCS#1 `RSA PUBLIC KEY`, as the bare Base64 body,
/// or with its line breaks written as `\n` (as credentials stored in one-line JSON often are).
pub fn parse_public_key(text: &str) -> Result<RsaPublicKey, String> {
    let text = text.replace("\\n", "\n");
    let text = text.trim();
    let parsed = if text.contains("-----BEGIN PUBLIC KEY-----") {
        RsaPublicKey::from_public_key_pem(text).map_err(|e| e.to_string())
    } else if text.contains("-----BEGIN RSA PUBLIC KEY-----") {
        RsaPublicKey::from_pkcs1_pem(text).map_err(|e| e.to_string())
    } else {
        let body: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|_| "is neither a PEM public key nor its Base64 body".to_owned())?;
        RsaPublicKey::from_public_key_der(&der)
            .or_else(|_| RsaPublicKey::from_pkcs1_der(&der))
            .map_err(|e| e.to_string())
    };
    parsed.map_err(|e| format!("is not an RSA public key: {e}"))
}

/// Computes the public-key authentication headers of one store.
pub struct Signer {
    key: RsaPublicKey,
    seller_id: String,
    version: String,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("seller_id", &self.seller_id)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl Signer {
    pub fn new(key: RsaPublicKey, seller_id: String, version: String) -> Self {
        Signer {
            key,
            seller_id,
            version,
        }
    }

    /// The text that is encrypted: `{sellerId}:{unix seconds}`.
    pub fn plaintext(&self, unix_seconds: i64) -> String {
        format!("{}:{unix_seconds}", self.seller_id)
    }

    /// `X-sws-signature` for the instant `unix_seconds`.
    pub fn signature_at(&self, unix_seconds: i64) -> Result<String, MarketplaceError> {
        let encrypted = self
            .key
            .encrypt(
                &mut OsRng,
                Pkcs1v15Encrypt,
                self.plaintext(unix_seconds).as_bytes(),
            )
            .map_err(|e| {
                MarketplaceError::permanent(format!(
                    "cannot encrypt the X-sws-signature with the store's public key: {e}"
                ))
            })?;
        Ok(base64::engine::general_purpose::STANDARD.encode(encrypted))
    }

    /// Both headers, for now.
    pub fn headers(&self) -> Result<[(HeaderName, String); 2], MarketplaceError> {
        let now = chrono::Utc::now().timestamp();
        Ok([
            (SIGNATURE_HEADER, self.signature_at(now)?),
            (SIGNATURE_VERSION_HEADER, self.version.clone()),
        ])
    }
}

/// Exchanges the store's refresh token at the YConnect v2 token endpoint.
pub struct YahooTokenSource {
    http: HttpClient,
    token_url: Url,
    client_id: String,
    client_secret: SecretString,
    signer: Arc<Signer>,
}

impl YahooTokenSource {
    pub fn new(
        http: HttpClient,
        token_url: Url,
        client_id: String,
        client_secret: SecretString,
        signer: Arc<Signer>,
    ) -> Self {
        YahooTokenSource {
            http,
            token_url,
            client_id,
            client_secret,
            signer,
        }
    }
}

impl fmt::Debug for YahooTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("YahooTokenSource")
            .field("token_path", &self.token_url.path())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl TokenSource for YahooTokenSource {
    async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenGrant, MarketplaceError> {
        let mut app = OAuthApp::new(
            &self.http,
            self.token_url.clone(),
            &self.client_id,
            &self.client_secret,
            ClientAuth::Basic,
        );
        for (name, value) in self.signer.headers()? {
            app = app.with_header(name, value);
        }
        app.refresh(refresh_token).await
    }
}

/// Bearer token plus the public-key headers on every store API attempt.
#[derive(Debug)]
pub struct YahooAuth {
    cache: TokenCache,
    signer: Arc<Signer>,
}

impl YahooAuth {
    pub fn new(cache: TokenCache, signer: Arc<Signer>) -> Self {
        YahooAuth { cache, signer }
    }
}

#[async_trait]
impl Authorizer for YahooAuth {
    async fn authorize(&self, request: &mut ApiRequest) -> Result<Option<u64>, MarketplaceError> {
        let token = self.cache.get().await?;
        request.set_header(
            http::header::AUTHORIZATION,
            format!("Bearer {}", token.secret.expose_secret()),
        );
        for (name, value) in self.signer.headers()? {
            request.set_header(name, value);
        }
        Ok(Some(token.generation))
    }

    async fn invalidate(&self, generation: u64) {
        self.cache.invalidate(generation).await;
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rsa::pkcs8::{EncodePublicKey, LineEnding};
    use rsa::RsaPrivateKey;

    /// A key pair made for one test run and thrown away: (private key, public key PEM).
    pub(crate) fn throwaway_key_pair() -> (RsaPrivateKey, String) {
        let private = RsaPrivateKey::new(&mut OsRng, 1024).unwrap();
        let pem = RsaPublicKey::from(&private)
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        (private, pem)
    }

    #[test]
    fn the_signature_decrypts_to_seller_and_time_with_the_private_half() {
        let (private, pem) = throwaway_key_pair();
        let signer = Signer::new(
            parse_public_key(&pem).unwrap(),
            "kiriya-zakka".into(),
            "2".into(),
        );
        let signature = signer.signature_at(1_778_400_000).unwrap();
        let encrypted = base64::engine::general_purpose::STANDARD
            .decode(&signature)
            .unwrap();
        assert_eq!(encrypted.len(), 128, "one RSA block of the 1024-bit key");
        let plain = private.decrypt(Pkcs1v15Encrypt, &encrypted).unwrap();
        assert_eq!(plain, b"kiriya-zakka:1778400000");
        // Randomised padding: the same input never encrypts the same way twice.
        assert_ne!(signature, signer.signature_at(1_778_400_000).unwrap());

        let headers = signer.headers().unwrap();
        assert_eq!(headers[0].0.as_str(), "x-sws-signature");
        assert_eq!(headers[1], (SIGNATURE_VERSION_HEADER, "2".to_owned()));
        let now = private
            .decrypt(
                Pkcs1v15Encrypt,
                &base64::engine::general_purpose::STANDARD
                    .decode(&headers[0].1)
                    .unwrap(),
            )
            .unwrap();
        let text = String::from_utf8(now).unwrap();
        let (seller, ts) = text.split_once(':').unwrap();
        assert_eq!(seller, "kiriya-zakka");
        let ts: i64 = ts.parse().unwrap();
        assert!((chrono::Utc::now().timestamp() - ts).abs() < 60);
        assert!(!format!("{signer:?}").contains("BEGIN"));
    }

    #[test]
    fn public_keys_are_read_in_the_forms_stores_copy_them() {
        let (private, pem) = throwaway_key_pair();
        let want = RsaPublicKey::from(&private);
        assert_eq!(parse_public_key(&pem).unwrap(), want);
        assert_eq!(
            parse_public_key(&pem.replace('\n', "\\n")).unwrap(),
            want,
            "escaped line breaks"
        );
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        assert_eq!(parse_public_key(&body).unwrap(), want, "bare Base64 body");
        let pkcs1 = rsa::pkcs1::EncodeRsaPublicKey::to_pkcs1_pem(&want, LineEnding::LF).unwrap();
        assert_eq!(parse_public_key(&pkcs1).unwrap(), want, "PKCS#1");
        assert!(parse_public_key("not a key").is_err());
        assert!(
            parse_public_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----").is_err()
        );
    }
}
