//! The base-URL override: one origin that replaces every host a connector talks to (API,
//! token endpoint, document download) while keeping the paths, so tests and sandboxes can
//! point a connector at wiremock.

use core_model::MarketplaceError;
use url::Url;

#[derive(Debug, Clone, Default)]
pub struct Hosts {
    base: Option<Url>,
}

impl Hosts {
    /// `None` talks to the real hosts.
    pub fn new(base: Option<Url>) -> Self {
        Hosts { base }
    }

    pub fn is_overridden(&self) -> bool {
        self.base.is_some()
    }

    /// The URL to call for the platform's real `url`: unchanged without an override,
    /// otherwise the override's scheme, host and port, its path as a prefix, then the real
    /// path and query.
    pub fn resolve(&self, url: &str) -> Result<Url, MarketplaceError> {
        let real = Url::parse(url).map_err(|e| {
            MarketplaceError::permanent(format!("invalid platform URL `{url}`: {e}"))
        })?;
        self.rebase(real)
    }

    /// Like [`Hosts::resolve`] for a URL that came from the platform (a document download
    /// link), which must also go to the override in tests.
    pub fn rebase(&self, mut real: Url) -> Result<Url, MarketplaceError> {
        let Some(base) = &self.base else {
            return Ok(real);
        };
        let prefix = base.path().trim_end_matches('/');
        let path = format!("{prefix}{}", real.path());
        let bad = |what: &str| MarketplaceError::permanent(format!("cannot rebase URL: {what}"));
        real.set_scheme(base.scheme()).map_err(|()| bad("scheme"))?;
        real.set_host(base.host_str()).map_err(|_| bad("host"))?;
        real.set_port(base.port()).map_err(|()| bad("port"))?;
        real.set_path(&path);
        Ok(real)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_replaces_every_host_and_keeps_paths() {
        let hosts = Hosts::new(Some(Url::parse("http://127.0.0.1:9000").unwrap()));
        for (real, want) in [
            (
                "https://sellingpartnerapi-na.amazon.com/orders/2026-01-01/orders?x=1",
                "http://127.0.0.1:9000/orders/2026-01-01/orders?x=1",
            ),
            (
                "https://api.amazon.com/auth/o2/token",
                "http://127.0.0.1:9000/auth/o2/token",
            ),
            (
                "https://s3.amazonaws.com/bucket/doc.pdf",
                "http://127.0.0.1:9000/bucket/doc.pdf",
            ),
        ] {
            assert_eq!(hosts.resolve(real).unwrap().as_str(), want);
        }
        let prefixed = Hosts::new(Some(Url::parse("http://localhost:1/sandbox/").unwrap()));
        assert_eq!(
            prefixed
                .resolve("https://partner.shopeemobile.com/api/v2/x")
                .unwrap()
                .as_str(),
            "http://localhost:1/sandbox/api/v2/x"
        );
        assert_eq!(
            Hosts::default()
                .resolve("https://a.example/p")
                .unwrap()
                .as_str(),
            "https://a.example/p"
        );
    }
}
