//! Small parsing helpers shared by connectors: ids that platforms treat as numbers, and the
//! `Retry-After` header.

use std::time::Duration;

use http::HeaderMap;
use serde::{Deserialize, Deserializer};

/// Deserialize an id given as a JSON number or a string (`"shop_id": 123` or `"123"`) into its
/// decimal string. Credentials files are written by people, who use either.
pub fn number_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        N(u64),
        S(String),
    }
    match Id::deserialize(d)? {
        Id::N(n) => Ok(n.to_string()),
        Id::S(s) if !s.trim().is_empty() && s.trim().bytes().all(|b| b.is_ascii_digit()) => {
            Ok(s.trim().to_owned())
        }
        Id::S(s) => Err(serde::de::Error::custom(format!(
            "expected a numeric id, got `{s}`"
        ))),
    }
}

/// `Retry-After` as delay-seconds or an HTTP date (RFC 9110 10.2.3).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let delta = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct C {
        #[serde(deserialize_with = "number_or_string")]
        shop_id: String,
    }

    #[test]
    fn ids_accept_numbers_and_strings() {
        let a: C = serde_json::from_str(r#"{"shop_id": 14701711}"#).unwrap();
        let b: C = serde_json::from_str(r#"{"shop_id": "14701711"}"#).unwrap();
        assert_eq!(a.shop_id, "14701711");
        assert_eq!(b.shop_id, "14701711");
        let bad = serde_json::from_str::<C>(r#"{"shop_id": "abc"}"#);
        assert!(bad.is_err());
    }

    #[test]
    fn retry_after_seconds() {
        let mut h = HeaderMap::new();
        h.insert(http::header::RETRY_AFTER, "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(http::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }
}
