//! The access-token cache: one refresh at a time per store, no matter how many tasks ask, and
//! the rotated refresh token handed to the caller to persist before the token is used.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use core_model::MarketplaceError;
use secrecy::SecretString;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// What a token endpoint granted.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub access_token: SecretString,
    pub expires_in: Option<Duration>,
    /// Present when the platform rotated the refresh token (Shopee: every refresh).
    pub refresh_token: Option<SecretString>,
}

/// Exchanges a refresh token for an access token at the platform.
#[async_trait]
pub trait TokenSource: Send + Sync + fmt::Debug {
    async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenGrant, MarketplaceError>;
}

/// Persists a rotated refresh token. Called before the new access token is handed out, so a
/// crash can never lose a single-use refresh token the platform already rotated.
#[async_trait]
pub trait TokenSink: Send + Sync + fmt::Debug {
    async fn rotated(&self, grant: &TokenGrant) -> Result<(), MarketplaceError>;
}

/// An access token and the cache generation that issued it.
#[derive(Clone)]
pub struct AccessToken {
    pub secret: SecretString,
    pub generation: u64,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("secret", &"[REDACTED]")
            .field("generation", &self.generation)
            .finish()
    }
}

#[derive(Debug)]
struct State {
    access: Option<(SecretString, Option<Instant>)>,
    refresh: SecretString,
    generation: u64,
}

pub struct TokenCache {
    state: Mutex<State>,
    source: Arc<dyn TokenSource>,
    sink: Option<Arc<dyn TokenSink>>,
    /// Refresh this long before the platform's expiry.
    skew: Duration,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl TokenCache {
    /// A cache holding `refresh`, and `access` when the caller already has one (it may have
    /// expired: the platform's invalid-token answer triggers a refresh).
    pub fn new(
        source: Arc<dyn TokenSource>,
        refresh: SecretString,
        access: Option<SecretString>,
        sink: Option<Arc<dyn TokenSink>>,
    ) -> Self {
        TokenCache {
            state: Mutex::new(State {
                access: access.map(|a| (a, None)),
                refresh,
                generation: 0,
            }),
            source,
            sink,
            skew: Duration::from_secs(60),
        }
    }

    /// A valid access token, refreshing first when there is none or it is about to expire.
    /// Concurrent callers wait for the one refresh in flight.
    pub async fn get(&self) -> Result<AccessToken, MarketplaceError> {
        let mut state = self.state.lock().await;
        if let Some((secret, expires)) = &state.access {
            let fresh = expires.is_none_or(|at| Instant::now() + self.skew < at);
            if fresh {
                return Ok(AccessToken {
                    secret: secret.clone(),
                    generation: state.generation,
                });
            }
        }
        let grant = self.source.refresh(&state.refresh).await?;
        if grant.refresh_token.is_some() {
            if let Some(sink) = &self.sink {
                sink.rotated(&grant).await?;
            }
        }
        if let Some(rotated) = &grant.refresh_token {
            state.refresh = rotated.clone();
        }
        state.generation += 1;
        let expires = grant.expires_in.map(|d| Instant::now() + d);
        state.access = Some((grant.access_token.clone(), expires));
        tracing::debug!(generation = state.generation, "access token refreshed");
        Ok(AccessToken {
            secret: grant.access_token,
            generation: state.generation,
        })
    }

    /// The platform refused the token of `generation`. Only the first report of a generation
    /// drops it, so fifty requests failing together cause one refresh.
    pub async fn invalidate(&self, generation: u64) {
        let mut state = self.state.lock().await;
        if state.generation == generation {
            state.access = None;
        }
    }
}

/// Signs one attempt of a platform call (fresh timestamp, signature over what is sent), with
/// the access token when the call is made for a seller.
pub trait RequestSigner: Send + Sync + fmt::Debug {
    fn sign(
        &self,
        request: &mut crate::http::ApiRequest,
        access_token: Option<&str>,
    ) -> Result<(), MarketplaceError>;
}

/// The authorizer of signing platforms (Shopee, TikTok Shop, Lazada, AliExpress): every
/// attempt is signed afresh; seller calls carry the cached access token, whose generation the
/// kit invalidates when the platform refuses it.
#[derive(Debug)]
pub struct SignedAuth<S> {
    signer: Arc<S>,
    tokens: Option<TokenCache>,
}

impl<S> SignedAuth<S> {
    /// App-level calls (token refresh) that carry no access token.
    pub fn app_only(signer: Arc<S>) -> Self {
        SignedAuth {
            signer,
            tokens: None,
        }
    }

    /// Seller calls, signed with the cached access token.
    pub fn with_tokens(signer: Arc<S>, tokens: TokenCache) -> Self {
        SignedAuth {
            signer,
            tokens: Some(tokens),
        }
    }
}

#[async_trait]
impl<S: RequestSigner + 'static> crate::http::Authorizer for SignedAuth<S> {
    async fn authorize(
        &self,
        request: &mut crate::http::ApiRequest,
    ) -> Result<Option<u64>, MarketplaceError> {
        use secrecy::ExposeSecret;
        let token = match &self.tokens {
            Some(cache) => Some(cache.get().await?),
            None => None,
        };
        self.signer
            .sign(request, token.as_ref().map(|t| t.secret.expose_secret()))?;
        Ok(token.map(|t| t.generation))
    }

    async fn invalidate(&self, generation: u64) {
        if let Some(cache) = &self.tokens {
            cache.invalidate(generation).await;
        }
    }
}

/// Puts the cached access token in one header: `x-amz-access-token: <token>`,
/// `Authorization: Bearer <token>`, ...
#[derive(Debug)]
pub struct HeaderTokenAuth {
    cache: TokenCache,
    header: http::HeaderName,
    prefix: &'static str,
}

impl HeaderTokenAuth {
    pub fn new(cache: TokenCache, header: http::HeaderName, prefix: &'static str) -> Self {
        HeaderTokenAuth {
            cache,
            header,
            prefix,
        }
    }

    pub fn cache(&self) -> &TokenCache {
        &self.cache
    }
}

#[async_trait]
impl crate::http::Authorizer for HeaderTokenAuth {
    async fn authorize(
        &self,
        request: &mut crate::http::ApiRequest,
    ) -> Result<Option<u64>, MarketplaceError> {
        use secrecy::ExposeSecret;
        let token = self.cache.get().await?;
        request.set_header(
            self.header.clone(),
            format!("{}{}", self.prefix, token.secret.expose_secret()),
        );
        Ok(Some(token.generation))
    }

    async fn invalidate(&self, generation: u64) {
        self.cache.invalidate(generation).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Debug, Default)]
    struct Counting {
        calls: AtomicUsize,
    }

    #[async_trait]
    impl TokenSource for Counting {
        async fn refresh(&self, refresh: &SecretString) -> Result<TokenGrant, MarketplaceError> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::task::yield_now().await;
            Ok(TokenGrant {
                access_token: format!("access-{n}").into(),
                expires_in: Some(Duration::from_secs(3600)),
                refresh_token: Some(format!("{}-rotated", refresh.expose_secret()).into()),
            })
        }
    }

    #[derive(Debug, Default)]
    struct Recording(std::sync::Mutex<Vec<String>>);

    #[async_trait]
    impl TokenSink for Recording {
        async fn rotated(&self, grant: &TokenGrant) -> Result<(), MarketplaceError> {
            if let (Ok(mut v), Some(r)) = (self.0.lock(), &grant.refresh_token) {
                v.push(r.expose_secret().to_owned());
            }
            Ok(())
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_refresh_for_many_waiters_and_rotation_is_persisted() {
        let source = Arc::new(Counting::default());
        let sink = Arc::new(Recording::default());
        let cache = Arc::new(TokenCache::new(
            source.clone(),
            "r0".to_owned().into(),
            None,
            Some(sink.clone()),
        ));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let c = cache.clone();
                tokio::spawn(
                    async move { c.get().await.map(|t| t.secret.expose_secret().to_owned()) },
                )
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), "access-1");
        }
        assert_eq!(source.calls.load(Ordering::SeqCst), 1);
        assert_eq!(sink.0.lock().unwrap().as_slice(), ["r0-rotated"]);

        // Fifty failures of generation 1 drop it once; the next get refreshes once more.
        for _ in 0..50 {
            cache.invalidate(1).await;
        }
        let t = cache.get().await.unwrap();
        assert_eq!(t.generation, 2);
        cache.invalidate(1).await; // stale report: ignored
        assert_eq!(cache.get().await.unwrap().generation, 2);
        assert_eq!(source.calls.load(Ordering::SeqCst), 2);
        assert_eq!(
            sink.0.lock().unwrap().last().map(String::as_str),
            Some("r0-rotated-rotated")
        );
        assert!(!format!("{t:?}").contains("access-2"));
    }

    /// Signs by putting the token (or `none`) in a query parameter.
    #[derive(Debug)]
    struct Marking;

    impl RequestSigner for Marking {
        fn sign(
            &self,
            request: &mut crate::http::ApiRequest,
            access_token: Option<&str>,
        ) -> Result<(), MarketplaceError> {
            request.set_query("signed_with", access_token.unwrap_or("none"));
            Ok(())
        }
    }

    #[tokio::test]
    async fn signed_auth_signs_with_the_cached_token_and_invalidates_it() {
        use crate::http::Authorizer;
        let url = url::Url::parse("https://api.example.com/x").unwrap();
        let request = || {
            crate::http::ApiRequest::get(core_model::Operation::PullOrders, "orders", url.clone())
        };
        let source = Arc::new(Counting::default());
        let seller = SignedAuth::with_tokens(
            Arc::new(Marking),
            TokenCache::new(source.clone(), "r".to_owned().into(), None, None),
        );
        let mut r = request();
        assert_eq!(seller.authorize(&mut r).await.unwrap(), Some(1));
        assert!(r
            .query
            .contains(&("signed_with".to_owned(), "access-1".to_owned())));
        seller.invalidate(1).await;
        let mut r = request();
        assert_eq!(seller.authorize(&mut r).await.unwrap(), Some(2));
        assert!(r
            .query
            .contains(&("signed_with".to_owned(), "access-2".to_owned())));

        let app = SignedAuth::app_only(Arc::new(Marking));
        let mut r = request();
        assert_eq!(app.authorize(&mut r).await.unwrap(), None);
        assert!(r
            .query
            .contains(&("signed_with".to_owned(), "none".to_owned())));
        assert_eq!(source.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn refreshes_before_expiry() {
        let source = Arc::new(Counting::default());
        let cache = TokenCache::new(source.clone(), "r".to_owned().into(), None, None);
        cache.get().await.unwrap();
        tokio::time::advance(Duration::from_secs(3000)).await;
        assert_eq!(cache.get().await.unwrap().generation, 1);
        tokio::time::advance(Duration::from_secs(560)).await; // within the 60 s skew
        assert_eq!(cache.get().await.unwrap().generation, 2);
    }
}
