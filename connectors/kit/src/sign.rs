//! Signing helpers for the schemes the platforms use. Keys are borrowed from `secrecy` types
//! by the caller and never stored here.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// HMAC-SHA256 of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return [0; 32],
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// HMAC-SHA256 as lowercase hex (Shopee, TikTok Shop, Lazada use this form).
pub fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    hex::encode(hmac_sha256(key, message))
}

/// HMAC-SHA256 as uppercase hex.
pub fn hmac_sha256_hex_upper(key: &[u8], message: &[u8]) -> String {
    hex::encode_upper(hmac_sha256(key, message))
}

/// SHA-256 as lowercase hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The string Alibaba's IOP gateways (Lazada, AliExpress) sign: `prefix` (the API path of a
/// REST-style call, empty for AliExpress's `/sync` gateway), then every parameter but `sign`
/// as name + value, sorted by name in byte order. Blank names or values are left out, as the
/// official SDKs do.
pub fn iop_string_to_sign(prefix: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params
        .iter()
        .filter(|(k, v)| k != "sign" && !k.trim().is_empty() && !v.trim().is_empty())
        .collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = String::from(prefix);
    for (k, v) in sorted {
        out.push_str(k);
        out.push_str(v);
    }
    out
}

/// An IOP `sign`: uppercase hex HMAC-SHA256 of [`iop_string_to_sign`] under the app secret.
pub fn iop_sign(app_secret: &[u8], prefix: &str, params: &[(String, String)]) -> String {
    hmac_sha256_hex_upper(app_secret, iop_string_to_sign(prefix, params).as_bytes())
}

/// What an IOP gateway (Lazada, AliExpress) checks on a request, for mock platforms: the
/// `required` parameters, `sign_method=sha256`, a timestamp (ms) within `max_age_ms` of `now_ms`,
/// and `sign` recomputed with `app_secret`. `Err` is the gateway's (code, message).
pub fn iop_verify(
    app_secret: Option<&str>,
    prefix: &str,
    params: &[(String, String)],
    required: &[&str],
    now_ms: i64,
    max_age_ms: i64,
) -> Result<(), (&'static str, String)> {
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    for name in required {
        if get(name).is_none_or(|v| v.trim().is_empty()) {
            return Err((
                "MissingParameter",
                format!(
                    "The input parameter \"{name}\" that is mandatory for processing this request is not supplied"
                ),
            ));
        }
    }
    if get("sign_method") != Some("sha256") {
        return Err((
            "InvalidParameter",
            "The specified signature method is not supported".to_owned(),
        ));
    }
    let fresh = get("timestamp")
        .and_then(|t| t.parse::<i64>().ok())
        .is_some_and(|t| (now_ms - t).abs() < max_age_ms);
    if !fresh {
        return Err((
            "InvalidParameter",
            "The specified timestamp is invalid or out of the allowed range".to_owned(),
        ));
    }
    let expected = app_secret.map(|secret| iop_sign(secret.as_bytes(), prefix, params));
    match (expected, get("sign")) {
        (Some(expected), Some(sign)) if signatures_match(&expected, sign) => Ok(()),
        _ => Err((
            "IncompleteSignature",
            "The request signature does not conform to platform standards".to_owned(),
        )),
    }
}

/// Constant-time comparison of two signatures, for mock platforms verifying requests.
pub fn signatures_match(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_matches_rfc4231_case_2() {
        assert_eq!(
            hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(signatures_match("ab", "ab"));

        // The IOP documentation's worked example (secret `helloworld`, API `/order/get`).
        let p = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        let params = [
            p("app_key", "123456"),
            p("access_token", "test"),
            p("timestamp", "1517820392000"),
            p("sign_method", "sha256"),
            p("order_id", "1234"),
            p("sign", "ignored"),
            p("blank", " "),
        ];
        assert_eq!(
            iop_sign(b"helloworld", "/order/get", &params),
            "4190D32361CFB9581350222F345CB77F3B19F0E31D162316848A2C1FFD5FAB4A"
        );
        assert!(!signatures_match("ab", "ac"));
        assert!(!signatures_match("ab", "abc"));
    }
}
