//! ESA authentication: `Authorization: ESA Base64(serviceSecret:licenseKey)` on every call.
//!
//! There is no token, no signature and no refresh grant (rakuten.md section 2; the header row of
//! every RMS WEB SERVICE page). The licence key expires 90 days after issue, and only the
//! merchant can issue a new one in RMS; an expired or revoked key is answered with HTTP 401
//! `{"Results":{"errorCode":"ES01-01","message":"Un-Authorised"}}`. There is therefore no token
//! generation: the kit does not re-send a refused request, and the refusal surfaces as
//! `Unauthorized` (with the renewal hint from `error.rs`) at once.

use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::{DateTime, TimeDelta, Utc};
use connector_kit::{ApiRequest, Authorizer};
use core_model::MarketplaceError;
use http::header::AUTHORIZATION;
use secrecy::{ExposeSecret, SecretString};

/// Warn this long before the licence key expires (RMS e-mails the shop about two weeks ahead).
pub const EXPIRY_WARNING: TimeDelta = TimeDelta::days(14);

/// The `Authorization` value: `ESA ` and the standard-alphabet, padded Base64 of the UTF-8
/// bytes of `serviceSecret:licenseKey`.
pub fn esa_header(service_secret: &str, license_key: &str) -> String {
    format!(
        "ESA {}",
        STANDARD.encode(format!("{service_secret}:{license_key}"))
    )
}

/// Puts the shop's ESA header on every call.
pub struct EsaAuth {
    header: SecretString,
}

impl std::fmt::Debug for EsaAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EsaAuth").finish_non_exhaustive()
    }
}

impl EsaAuth {
    pub fn new(service_secret: &SecretString, license_key: &SecretString) -> Self {
        EsaAuth {
            header: esa_header(service_secret.expose_secret(), license_key.expose_secret()).into(),
        }
    }
}

#[async_trait]
impl Authorizer for EsaAuth {
    async fn authorize(&self, request: &mut ApiRequest) -> Result<Option<u64>, MarketplaceError> {
        request.set_header(AUTHORIZATION, self.header.expose_secret());
        // Static credentials: no generation to renew, so a 401 is never blindly re-sent.
        Ok(None)
    }

    async fn invalidate(&self, _generation: u64) {}
}

/// What to tell the operator about a licence key expiring at `expires_at`, seen at `now`.
pub fn expiry_warning(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> Option<String> {
    let at = expires_at.format("%Y-%m-%d %H:%M UTC");
    if now >= expires_at {
        Some(format!(
            "the RMS licence key expired at {at}: RMS refuses it (ES01-01); the shop must issue \
             a new licenseKey in RMS (WEB APIサービス > 利用設定) and update `license_key`"
        ))
    } else if expires_at - now <= EXPIRY_WARNING {
        Some(format!(
            "the RMS licence key expires at {at} ({} days left): issue a new licenseKey in RMS \
             and update `license_key` and `license_key_expires_at` before then",
            (expires_at - now).num_days()
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::Operation;

    /// The worked example of rakuten.md section 2 (invented credentials).
    #[test]
    fn esa_header_known_answer() {
        assert_eq!(
            esa_header("SPexampleServiceSecret0001", "SLexampleLicenseKey0001"),
            "ESA U1BleGFtcGxlU2VydmljZVNlY3JldDAwMDE6U0xleGFtcGxlTGljZW5zZUtleTAwMDE="
        );
        // Padding is kept: 7 bytes encode to 12 characters ending in `=`.
        assert_eq!(esa_header("ab", "cdef"), "ESA YWI6Y2RlZg==");
    }

    #[tokio::test]
    async fn sets_the_header_without_a_generation_and_hides_it() {
        let auth = EsaAuth::new(
            &"SPexampleServiceSecret0001".to_owned().into(),
            &"SLexampleLicenseKey0001".to_owned().into(),
        );
        let mut req = ApiRequest::post(
            Operation::PullOrders,
            "rms.order",
            url::Url::parse("https://api.rms.rakuten.co.jp/es/2.0/order/searchOrder/").unwrap(),
        );
        assert_eq!(auth.authorize(&mut req).await.unwrap(), None);
        let (name, value) = &req.headers[0];
        assert_eq!(name, AUTHORIZATION);
        assert_eq!(
            value,
            "ESA U1BleGFtcGxlU2VydmljZVNlY3JldDAwMDE6U0xleGFtcGxlTGljZW5zZUtleTAwMDE="
        );
        let shown = format!("{auth:?}");
        assert!(
            !shown.contains("U1Bl") && !shown.contains("example"),
            "{shown}"
        );
    }

    #[test]
    fn warns_ahead_of_and_after_expiry() {
        let at: DateTime<Utc> = "2026-08-01T00:00:00Z".parse().unwrap();
        let far = at - TimeDelta::days(30);
        assert_eq!(expiry_warning(at, far), None);
        let soon = expiry_warning(at, at - TimeDelta::days(5)).unwrap();
        assert!(soon.contains("5 days left"), "{soon}");
        let past = expiry_warning(at, at + TimeDelta::hours(1)).unwrap();
        assert!(
            past.contains("expired") && past.contains("new licenseKey"),
            "{past}"
        );
    }
}
