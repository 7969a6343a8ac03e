//! `record` mode: capture live exchanges in the fixture format, scrubbed of tokens,
//! signatures and personal data, so operators with sandbox or live credentials can add real
//! recordings next to the hand-written fixtures.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::factory::WireRequest;
use crate::fixture::{Exchange, RequestMatcher, ResponseSpec, Scenario};
use crate::http::RawResponse;

/// What replaces a scrubbed value.
pub const REDACTED: &str = "REDACTED";

/// Query parameters, form fields and JSON keys that carry secrets. Compared lowercase with
/// `_` and `-` removed.
const SECRET_KEYS: &[&str] = &[
    "accesstoken",
    "refreshtoken",
    "clientsecret",
    "clientid",
    "partnerkey",
    "appsecret",
    "appkey",
    "sign",
    "signature",
    "password",
    "token",
    "xamzaccesstoken",
    "authorization",
];

/// Secret only as a request parameter: the OAuth authorization `code`. In response bodies
/// `code` is an error code (`QuotaExceeded`, `error_auth`), which fixtures must keep.
const SECRET_PARAMS: &[&str] = &["code"];

/// Keys whose values are volatile and must not be matched on replay (timestamps, nonces).
const VOLATILE_KEYS: &[&str] = &["timestamp", "nonce", "xamzdate"];

/// Personal data. Coarse location (city, state, postal code, country) is kept so fixtures stay
/// realistic; names, streets, phones and e-mails go.
const PERSONAL_KEYS: &[&str] = &[
    "name",
    "buyername",
    "buyerusername",
    "buyeremail",
    "email",
    "phone",
    "phonenumber",
    "mobile",
    "address",
    "addressline1",
    "addressline2",
    "addressline3",
    "address1",
    "address2",
    "receivername",
    "fulladdress",
    "street",
    "street1",
    "street2",
    "firstname",
    "lastname",
    "recipientname",
    "contactname",
    "companyname",
    "taxid",
    "cpf",
    "buyercpfid",
    "buyertaxinfo",
];

fn normalize(key: &str) -> String {
    key.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_secret(key: &str, extra: &[&str]) -> bool {
    let k = normalize(key);
    SECRET_KEYS.contains(&k.as_str()) || extra.iter().any(|e| normalize(e) == k)
}

fn is_secret_param(key: &str, extra: &[&str]) -> bool {
    is_secret(key, extra) || SECRET_PARAMS.contains(&normalize(key).as_str())
}

fn is_personal(key: &str) -> bool {
    PERSONAL_KEYS.contains(&normalize(key).as_str())
}

/// Places whose `{id, name}` objects name a city or state, not a person (Mercado Libre nests
/// addresses this way): their `name` is coarse location and is kept.
const PLACE_KEYS: &[&str] = &[
    "city",
    "state",
    "country",
    "neighborhood",
    "municipality",
    "region",
    "district",
    "province",
];

/// True when values under `key` are secret or personal and never leave the machine.
pub fn is_sensitive_key(key: &str, extra: &[&str]) -> bool {
    is_secret(key, extra) || is_personal(key)
}

/// Replace the text of secret and personal elements of an XML document (Yahoo Shopping),
/// keeping its shape. `None` when the text is not well-formed XML.
pub fn scrub_xml(xml: &str, extra: &[&str]) -> Option<String> {
    scrub_xml_collecting(xml, extra, &mut Vec::new())
}

/// The texts [`scrub_xml`] would replace (for checks that they never reach a log).
pub fn sensitive_xml_texts(xml: &str, extra: &[&str]) -> Vec<String> {
    let mut texts = Vec::new();
    let _ = scrub_xml_collecting(xml, extra, &mut texts);
    texts
}

fn scrub_xml_collecting(xml: &str, extra: &[&str], removed: &mut Vec<String>) -> Option<String> {
    use quick_xml::events::{BytesText, Event};
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut writer = quick_xml::Writer::new(Vec::new());
    let mut open: Vec<String> = Vec::new();
    loop {
        let event = reader.read_event().ok()?;
        match &event {
            Event::Start(e) => {
                open.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned())
            }
            Event::End(_) => {
                open.pop();
            }
            Event::Text(text) if open.last().is_some_and(|k| is_sensitive_key(k, extra)) => {
                if let Ok(t) = text.decode() {
                    removed.push(t.trim().to_owned());
                }
                writer
                    .write_event(Event::Text(BytesText::new(REDACTED)))
                    .ok()?;
                continue;
            }
            Event::CData(data) if open.last().is_some_and(|k| is_sensitive_key(k, extra)) => {
                removed.push(String::from_utf8_lossy(data).trim().to_owned());
                writer
                    .write_event(Event::Text(BytesText::new(REDACTED)))
                    .ok()?;
                continue;
            }
            Event::Eof => break,
            _ => {}
        }
        writer.write_event(event).ok()?;
    }
    String::from_utf8(writer.into_inner()).ok()
}

/// Replace secret and personal values in a JSON document, keeping its shape.
pub fn scrub_json(value: &mut serde_json::Value, extra: &[&str]) {
    scrub_under(value, extra, false);
}

fn scrub_under(value: &mut serde_json::Value, extra: &[&str], in_place: bool) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                let personal = is_personal(k) && !(in_place && normalize(k) == "name");
                if (is_secret(k, extra) || personal) && !v.is_object() && !v.is_array() {
                    if !v.is_null() {
                        *v = Value::String(REDACTED.to_owned());
                    }
                } else {
                    scrub_under(v, extra, PLACE_KEYS.contains(&normalize(k).as_str()));
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| scrub_under(v, extra, in_place)),
        _ => {}
    }
}

/// Writes exchanges into `dir` as they happen; `finish` writes `scenario.json`.
pub struct Recorder {
    dir: PathBuf,
    extra_keys: Vec<&'static str>,
    exchanges: Mutex<Vec<Exchange>>,
}

impl fmt::Debug for Recorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recorder")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Recorder {
    /// Record into `dir` (created if missing), scrubbing `extra_keys` on top of the defaults.
    pub fn new(dir: impl Into<PathBuf>, extra_keys: &[&'static str]) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(Recorder {
            dir,
            extra_keys: extra_keys.to_vec(),
            exchanges: Mutex::new(Vec::new()),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Capture one exchange. A failure to write is logged, never fails the call.
    pub fn record(&self, request: &WireRequest, response: &RawResponse) {
        if let Err(e) = self.try_record(request, response) {
            tracing::warn!(dir = %self.dir.display(), "could not record exchange: {e}");
        }
    }

    fn try_record(&self, request: &WireRequest, response: &RawResponse) -> std::io::Result<()> {
        let mut exchanges = self
            .exchanges
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?;
        let n = exchanges.len() + 1;
        let slug: String = request
            .url
            .path()
            .rsplit('/')
            .find(|s| !s.is_empty())
            .unwrap_or("root")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let name = format!("{n:03}-{slug}");

        let query = request
            .url
            .query_pairs()
            .filter(|(k, _)| {
                !is_secret_param(k, &self.extra_keys)
                    && !VOLATILE_KEYS.contains(&normalize(k).as_str())
            })
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let mut matcher = RequestMatcher {
            method: request.method.to_string(),
            path: request.url.path().to_owned(),
            query,
            ..RequestMatcher::default()
        };
        if let Ok(mut body) = serde_json::from_slice::<serde_json::Value>(&request.body) {
            scrub_json(&mut body, &self.extra_keys);
            strip_redacted(&mut body);
            matcher.body_json = Some(body);
        } else if !request.body.is_empty() {
            matcher.body_form = url::form_urlencoded::parse(&request.body)
                .filter(|(k, _)| !is_secret_param(k, &self.extra_keys) && !is_personal(k))
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
        }

        let mut headers = BTreeMap::new();
        for keep in [
            "content-type",
            "retry-after",
            "x-amzn-ratelimit-limit",
            "x-amzn-requestid",
        ] {
            if let Some(v) = response.headers.get(keep).and_then(|v| v.to_str().ok()) {
                headers.insert(keep.to_owned(), v.to_owned());
            }
        }
        let body_file = if response.body.is_empty() {
            None
        } else if let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(&response.body) {
            scrub_json(&mut json, &self.extra_keys);
            let file = format!("{name}.json");
            let text = serde_json::to_vec_pretty(&json).map_err(std::io::Error::other)?;
            std::fs::write(self.dir.join(&file), text)?;
            Some(file)
        } else if let Some(xml) = std::str::from_utf8(&response.body)
            .ok()
            .filter(|t| t.trim_start().starts_with('<'))
            .and_then(|t| scrub_xml(t, &self.extra_keys))
        {
            let file = format!("{name}.xml");
            std::fs::write(self.dir.join(&file), xml)?;
            Some(file)
        } else {
            // Documents (PDF, ZPL) are kept as they came.
            let file = format!("{name}.bin");
            std::fs::write(self.dir.join(&file), &response.body)?;
            Some(file)
        };
        exchanges.push(Exchange {
            name,
            request: matcher,
            response: ResponseSpec {
                status: response.status.as_u16(),
                headers,
                body_file,
            },
            times: Some(1),
            priority: Some(u8::try_from(n.min(250)).unwrap_or(250)),
            expect_calls: None,
        });
        Ok(())
    }

    /// Write `scenario.json` with everything recorded so far.
    pub fn finish(&self, description: &str) -> std::io::Result<PathBuf> {
        let exchanges = self
            .exchanges
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .clone();
        let scenario = Scenario {
            description: description.to_owned(),
            source: format!("recorded {}", chrono::Utc::now().format("%Y-%m-%d")),
            exchanges,
            ..Scenario::default()
        };
        let path = self.dir.join("scenario.json");
        let text = serde_json::to_vec_pretty(&scenario).map_err(std::io::Error::other)?;
        std::fs::write(&path, text)?;
        Ok(path)
    }
}

/// A request matcher must not require a redacted value: drop those fields.
fn strip_redacted(value: &mut serde_json::Value) {
    if let serde_json::Value::Object(map) = value {
        map.retain(|_, v| v.as_str() != Some(REDACTED));
        map.values_mut().for_each(strip_redacted);
    } else if let serde_json::Value::Array(items) = value {
        items.iter_mut().for_each(strip_redacted);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scrubs_secrets_and_personal_data_keeping_shape() {
        let mut v = json!({
            "access_token": "tok", "refresh_token": "r", "expire_in": 14400,
            "recipient_address": {"name": "Jane", "phone": "555", "city": "Seattle", "full_address": "1 Lane"},
            "orders": [{"buyer": {"buyerName": "Jane", "buyerEmail": "j@x"}}],
            "receiver_address": {"city": {"id": "AR-A-1", "name": "Cafayate"}, "receiver_name": "Ana", "name": "Ana"},
            "shop_id": 1,
            "errors": [{"code": "QuotaExceeded", "message": "You exceeded your quota"}]
        });
        scrub_json(&mut v, &[]);
        assert_eq!(v["access_token"], "REDACTED");
        assert_eq!(v["refresh_token"], "REDACTED");
        assert_eq!(v["expire_in"], 14400);
        assert_eq!(v["recipient_address"]["name"], "REDACTED");
        assert_eq!(v["recipient_address"]["full_address"], "REDACTED");
        assert_eq!(v["recipient_address"]["city"], "Seattle");
        assert_eq!(v["orders"][0]["buyer"]["buyerName"], "REDACTED");
        assert_eq!(v["shop_id"], 1);
        assert_eq!(v["errors"][0]["code"], "QuotaExceeded");
        assert_eq!(v["receiver_address"]["city"]["name"], "Cafayate");
        assert_eq!(v["receiver_address"]["name"], "REDACTED");
        assert!(is_secret_param("code", &[]));
    }

    #[test]
    fn scrubs_xml_text_of_personal_elements() {
        let xml = r#"<ResultSet><Result><OrderId>7001</OrderId><ShipFirstName>Taro</ShipFirstName><Name>Yamada Taro</Name><City>Shibuya</City></Result></ResultSet>"#;
        let out = scrub_xml(xml, &["ShipFirstName"]).unwrap();
        assert!(out.contains("<OrderId>7001</OrderId>"), "{out}");
        assert!(out.contains("<City>Shibuya</City>"), "{out}");
        assert!(!out.contains("Taro"), "{out}");
        assert!(scrub_xml("<a><b></a>", &[]).is_none());
        let found = sensitive_xml_texts(xml, &["ShipFirstName"]);
        assert_eq!(found, ["Taro", "Yamada Taro"]);
    }
}
