//! Temu's request signature ("Signature Method for API Request", MD5).
//!
//! Every call is a POST of one JSON object to the region's router: the business parameters,
//! `type` (the API name) and the common parameters `app_key`, `access_token`, `timestamp`
//! (Unix seconds, within 300 s of Temu's clock) and `data_type` (`JSON`). `sign` is the
//! uppercase hex MD5 of `app_secret + k1v1 + k2v2 + ... + app_secret` over every other
//! parameter sorted by key in ASCII order, where a value is its JSON text (compact, as sent)
//! with the quotes of a string removed. The body is written from the very value texts that
//! are signed, so the signature covers exactly the bytes sent. Signed per attempt, so every
//! retry carries a fresh timestamp.
//!
//! Label downloads are GETs signed in `toa-*` headers with the same algorithm
//! ("Order Fulfillment Guide", how to obtain the label after obtaining the URL).

use std::collections::hash_map::RandomState;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use connector_kit::{ApiRequest, Authorizer, Body};
use core_model::{MarketplaceError, Operation};
use http::HeaderName;
use md5::{Digest, Md5};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::value::{to_raw_value, RawValue};
use url::Url;

/// The only `data_type` Temu accepts (case-insensitively).
pub const DATA_TYPE: &str = "JSON";

/// The parameter that carries the signature and is left out of it.
pub const SIGN: &str = "sign";

/// The `toa-*` headers of a signed download.
pub const TOA_APP_KEY: &str = "toa-app-key";
pub const TOA_ACCESS_TOKEN: &str = "toa-access-token";
pub const TOA_RANDOM: &str = "toa-random";
pub const TOA_TIMESTAMP: &str = "toa-timestamp";
pub const TOA_SIGN: &str = "toa-sign";

/// What every signature needs.
pub struct Credentials {
    pub app_key: String,
    pub app_secret: SecretString,
    pub access_token: SecretString,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials").finish_non_exhaustive()
    }
}

/// Uppercase hex MD5.
pub fn md5_upper(text: &str) -> String {
    hex::encode_upper(Md5::digest(text.as_bytes()))
}

/// The text a parameter value contributes to the signature: its JSON text, without the
/// quotes when it is a string (escapes inside stay, as in Temu's Python helper).
pub fn sign_value(raw: &RawValue) -> &str {
    let text = raw.get();
    match text
        .strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
    {
        Some(inner) if text.len() >= 2 => inner,
        _ => text,
    }
}

/// `sign` over `pairs` already sorted by key (the `sign` pair itself is skipped).
pub fn sign_sorted<'a>(
    app_secret: &str,
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> String {
    let mut text = String::from(app_secret);
    for (key, value) in pairs {
        if key == SIGN {
            continue;
        }
        text.push_str(key);
        text.push_str(value);
    }
    text.push_str(app_secret);
    md5_upper(&text)
}

/// `sign` of a request's parameters (a `BTreeMap` iterates in byte, i.e. ASCII, order).
pub fn sign(app_secret: &str, params: &BTreeMap<String, Box<RawValue>>) -> String {
    sign_sorted(
        app_secret,
        params.iter().map(|(k, v)| (k.as_str(), sign_value(v))),
    )
}

fn raw<T: Serialize + ?Sized>(value: &T) -> Result<Box<RawValue>, MarketplaceError> {
    to_raw_value(value)
        .map_err(|e| MarketplaceError::permanent(format!("cannot encode a request parameter: {e}")))
}

/// The business parameters of one router call, each kept as the JSON text that is sent.
#[derive(Clone)]
pub struct Call {
    api_type: &'static str,
    params: BTreeMap<String, Box<RawValue>>,
}

impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("type", &self.api_type)
            .finish_non_exhaustive()
    }
}

impl Call {
    pub fn new(api_type: &'static str) -> Self {
        Call {
            api_type,
            params: BTreeMap::new(),
        }
    }

    pub fn api_type(&self) -> &'static str {
        self.api_type
    }

    /// Add a parameter; `null` values are left out (Temu SDKs drop empty parameters).
    pub fn param<T: Serialize + ?Sized>(
        mut self,
        key: &str,
        value: &T,
    ) -> Result<Self, MarketplaceError> {
        let value = raw(value)?;
        if value.get() != "null" {
            self.params.insert(key.to_owned(), value);
        }
        Ok(self)
    }

    /// The unsigned request: `type` and the business parameters as a JSON object. The
    /// [`RouterAuth`] adds the common parameters and `sign` on every attempt.
    pub fn into_request(
        self,
        operation: Operation,
        class: &'static str,
        router: Url,
    ) -> Result<ApiRequest, MarketplaceError> {
        let mut params = self.params;
        params.insert("type".to_owned(), raw(self.api_type)?);
        let bytes = serde_json::to_vec(&params)
            .map_err(|e| MarketplaceError::permanent(format!("cannot encode the body: {e}")))?;
        let mut request = ApiRequest::post(operation, class, router);
        request.body = Body::Raw {
            content_type: "application/json".to_owned(),
            bytes: Bytes::from(bytes),
        };
        Ok(request)
    }
}

/// The signed body: `params` plus the common parameters and `sign`, keys in ASCII order.
pub fn signed_body(
    creds: &Credentials,
    mut params: BTreeMap<String, Box<RawValue>>,
    timestamp: i64,
) -> Result<Vec<u8>, MarketplaceError> {
    params.insert("app_key".to_owned(), raw(&creds.app_key)?);
    params.insert(
        "access_token".to_owned(),
        raw(creds.access_token.expose_secret())?,
    );
    params.insert("data_type".to_owned(), raw(DATA_TYPE)?);
    params.insert("timestamp".to_owned(), raw(&timestamp)?);
    params.remove(SIGN);
    let signature = sign(creds.app_secret.expose_secret(), &params);
    params.insert(SIGN.to_owned(), raw(&signature)?);
    serde_json::to_vec(&params)
        .map_err(|e| MarketplaceError::permanent(format!("cannot encode the body: {e}")))
}

/// Signs router calls with the store's app and access token.
#[derive(Debug)]
pub struct RouterAuth {
    creds: Arc<Credentials>,
}

impl RouterAuth {
    pub fn new(creds: Arc<Credentials>) -> Self {
        RouterAuth { creds }
    }
}

#[async_trait]
impl Authorizer for RouterAuth {
    async fn authorize(&self, request: &mut ApiRequest) -> Result<Option<u64>, MarketplaceError> {
        let Body::Raw { bytes, .. } = &request.body else {
            return Err(MarketplaceError::permanent(
                "a Temu router call needs its parameters as a JSON object",
            ));
        };
        let params: BTreeMap<String, Box<RawValue>> = serde_json::from_slice(bytes)
            .map_err(|e| MarketplaceError::permanent(format!("unsigned body is not JSON: {e}")))?;
        let body = signed_body(&self.creds, params, chrono::Utc::now().timestamp())?;
        request.body = Body::Raw {
            content_type: "application/json".to_owned(),
            bytes: Bytes::from(body),
        };
        // Temu has no refresh grant, so there is no token generation to renew: a refused token
        // (3000034) surfaces as Unauthorized at once and the seller must re-authorize.
        Ok(None)
    }

    async fn invalidate(&self, _generation: u64) {}
}

/// `toa-sign` of a label download.
pub fn toa_sign(creds: &Credentials, random: &str, timestamp: &str) -> String {
    sign_sorted(
        creds.app_secret.expose_secret(),
        [
            (TOA_ACCESS_TOKEN, creds.access_token.expose_secret()),
            (TOA_APP_KEY, creds.app_key.as_str()),
            (TOA_RANDOM, random),
            (TOA_TIMESTAMP, timestamp),
        ],
    )
}

/// 32 random decimal digits for `toa-random` ("32 random numbers"). Not a secret, only a
/// nonce: std's randomly keyed SipHash over a counter is enough.
pub fn random_digits() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let state = RandomState::new();
    let mut out = String::with_capacity(32);
    while out.len() < 32 {
        let mut h = state.build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u128(chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default() as u128);
        out.push_str(&format!("{:016}", h.finish() % 10_000_000_000_000_000));
    }
    out.truncate(32);
    out
}

/// Puts the `toa-*` headers on a label download.
#[derive(Debug)]
pub struct ToaAuth {
    creds: Arc<Credentials>,
}

impl ToaAuth {
    pub fn new(creds: Arc<Credentials>) -> Self {
        ToaAuth { creds }
    }
}

#[async_trait]
impl Authorizer for ToaAuth {
    async fn authorize(&self, request: &mut ApiRequest) -> Result<Option<u64>, MarketplaceError> {
        let random = random_digits();
        let timestamp = chrono::Utc::now().timestamp().to_string();
        let sign = toa_sign(&self.creds, &random, &timestamp);
        let h = HeaderName::from_static;
        request.set_header(h(TOA_APP_KEY), self.creds.app_key.clone());
        request.set_header(
            h(TOA_ACCESS_TOKEN),
            self.creds.access_token.expose_secret().to_owned(),
        );
        request.set_header(h(TOA_RANDOM), random);
        request.set_header(h(TOA_TIMESTAMP), timestamp);
        request.set_header(h(TOA_SIGN), sign);
        Ok(None)
    }

    async fn invalidate(&self, _generation: u64) {}
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const SECRET: &str = "c7e0a1a63542be4de3cb5488f9fba8149e8fc290";
    const TOKEN: &str = "2nifvmpyymvypwmcms5ct4uqqudrwgpmzbcnmkt1jzjkuaf3x56iixym";
    const APP_KEY: &str = "f9d5cc9313893a20d5aa85c654e8f503";
    /// `sendRequestList` of the official example, as its signing text shows it.
    const SEND_REQUEST_LIST: &str = r#"[{"orderSendInfoList":[{"quantity":1,"orderSn":"211-21905473070712792","parentOrderSn":"PO-211-21905452099192792","goodsId":601099548666279,"skuId":17592352673534}],"carrierId":"699272611","trackingNumber":"270324232756"}]"#;

    fn creds() -> Credentials {
        Credentials {
            app_key: APP_KEY.to_owned(),
            app_secret: SecretString::from(SECRET.to_owned()),
            access_token: SecretString::from(TOKEN.to_owned()),
        }
    }

    fn rv(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).unwrap()
    }

    /// The worked example of "Signature Method for API Request" (bg.logistics.shipment.confirm).
    #[test]
    fn official_signature_example() {
        let mut params = BTreeMap::new();
        params.insert("access_token".to_owned(), rv(&format!("\"{TOKEN}\"")));
        params.insert("app_key".to_owned(), rv(&format!("\"{APP_KEY}\"")));
        params.insert("data_type".to_owned(), rv("\"JSON\""));
        params.insert("sendRequestList".to_owned(), rv(SEND_REQUEST_LIST));
        params.insert("sendType".to_owned(), rv("0"));
        params.insert("timestamp".to_owned(), rv("1711009072"));
        params.insert("type".to_owned(), rv("\"bg.logistics.shipment.confirm\""));
        assert_eq!(sign(SECRET, &params), "4CCF219942D4180C6DDA3CE36C1B838F");
        // `sign` itself never takes part.
        params.insert("sign".to_owned(), rv("\"anything\""));
        assert_eq!(sign(SECRET, &params), "4CCF219942D4180C6DDA3CE36C1B838F");
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Info {
        quantity: u32,
        order_sn: &'static str,
        parent_order_sn: &'static str,
        goods_id: u64,
        sku_id: u64,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Send {
        order_send_info_list: Vec<Info>,
        carrier_id: &'static str,
        tracking_number: &'static str,
    }

    /// The same example built the way the connector builds calls: the body carries the
    /// signed text byte for byte, keys sorted, nested JSON compact and in field order.
    #[test]
    fn signed_body_reproduces_the_official_example() {
        let call = Call::new("bg.logistics.shipment.confirm")
            .param("sendType", &0)
            .unwrap()
            .param(
                "sendRequestList",
                &[Send {
                    order_send_info_list: vec![Info {
                        quantity: 1,
                        order_sn: "211-21905473070712792",
                        parent_order_sn: "PO-211-21905452099192792",
                        goods_id: 601099548666279,
                        sku_id: 17592352673534,
                    }],
                    carrier_id: "699272611",
                    tracking_number: "270324232756",
                }],
            )
            .unwrap()
            .param("shipLater", &None::<bool>)
            .unwrap();
        let url = Url::parse("https://openapi-b-us.temu.com/openapi/router").unwrap();
        let request = call
            .into_request(Operation::UploadTracking, "logistics", url)
            .unwrap();
        let Body::Raw { bytes, .. } = &request.body else {
            panic!("raw body expected")
        };
        let params: BTreeMap<String, Box<RawValue>> = serde_json::from_slice(bytes).unwrap();
        let body = String::from_utf8(signed_body(&creds(), params, 1711009072).unwrap()).unwrap();
        assert_eq!(
            body,
            format!(
                r#"{{"access_token":"{TOKEN}","app_key":"{APP_KEY}","data_type":"JSON","sendRequestList":{SEND_REQUEST_LIST},"sendType":0,"sign":"4CCF219942D4180C6DDA3CE36C1B838F","timestamp":1711009072,"type":"bg.logistics.shipment.confirm"}}"#
            )
        );
    }

    #[test]
    fn string_values_lose_their_quotes_only() {
        assert_eq!(sign_value(&rv("\"JSON\"")), "JSON");
        assert_eq!(sign_value(&rv(r#""a\"b""#)), r#"a\"b"#);
        assert_eq!(sign_value(&rv("\"\"")), "");
        assert_eq!(sign_value(&rv("17")), "17");
        assert_eq!(sign_value(&rv("true")), "true");
        assert_eq!(sign_value(&rv(r#"["x"]"#)), r#"["x"]"#);
    }

    /// `toa-sign`: the same algorithm over the four `toa-*` pairs (value computed
    /// independently with Python's hashlib).
    #[test]
    fn toa_sign_known_answer() {
        assert_eq!(
            toa_sign(&creds(), "12345678901234567890123456789012", "1711009072"),
            "4FD42FDF2F8FDDC8636C58CA9EBF51D9"
        );
        let r = random_digits();
        assert_eq!(r.len(), 32);
        assert!(r.bytes().all(|b| b.is_ascii_digit()));
        assert_ne!(r, random_digits());
    }

    #[tokio::test]
    async fn router_auth_signs_each_attempt() {
        let auth = RouterAuth::new(Arc::new(creds()));
        let url = Url::parse("https://openapi-b-us.temu.com/openapi/router").unwrap();
        let mut request = Call::new("bg.order.list.v2.get")
            .param("pageNumber", &1)
            .unwrap()
            .into_request(Operation::PullOrders, "orders", url)
            .unwrap();
        assert_eq!(auth.authorize(&mut request).await.unwrap(), None);
        let Body::Raw { bytes, .. } = &request.body else {
            panic!("raw body expected")
        };
        let params: BTreeMap<String, Box<RawValue>> = serde_json::from_slice(bytes).unwrap();
        assert_eq!(params["type"].get(), "\"bg.order.list.v2.get\"");
        assert_eq!(params["pageNumber"].get(), "1");
        assert_eq!(params["data_type"].get(), "\"JSON\"");
        let ts: i64 = params["timestamp"].get().parse().unwrap();
        assert!((chrono::Utc::now().timestamp() - ts).abs() < 5);
        assert_eq!(sign_value(&params["sign"]), sign(SECRET, &params));
        assert!(!format!("{request:?}").contains(TOKEN));
    }
}
