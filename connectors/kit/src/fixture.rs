//! The fixture format: `fixtures/<platform>/<scenario>/scenario.json` lists HTTP exchanges
//! (a request matcher and the response to give), response bodies sit beside it in files, and
//! `credentials.json` holds the credentials a connector needs to replay the scenario.
//! The recorder writes this format and the testkit replays it on wiremock.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub description: String,
    /// Which platform doc or spec example the bodies follow, or "recorded <date>".
    #[serde(default)]
    pub source: String,
    /// The secrets the mock platform checks signatures and tokens against.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub platform_secrets: serde_json::Value,
    pub exchanges: Vec<Exchange>,
    /// What the conformance suite should observe; read by the testkit.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub expect: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exchange {
    pub name: String,
    pub request: RequestMatcher,
    pub response: ResponseSpec,
    /// Answer at most this many times, then let lower-priority exchanges answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    /// Lower answers first (wiremock priority, 1..=255; default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u8>,
    /// The replay fails unless this exchange was matched exactly this many times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_calls: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestMatcher {
    pub method: String,
    pub path: String,
    /// Query parameters that must be present with exactly these values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub query: BTreeMap<String, String>,
    /// Query parameters that must be absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query_absent: Vec<String>,
    /// Headers that must be present with exactly these values (names case-insensitive).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// A JSON body that must contain these fields with these values (a partial match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_json: Option<serde_json::Value>,
    /// Form fields that must be present with exactly these values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub body_form: BTreeMap<String, String>,
    /// Texts the raw body must contain (XML bodies: `<OrderId>123</OrderId>`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub body_contains: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseSpec {
    pub status: u16,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// A file beside `scenario.json`; absent for an empty body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_file: Option<String>,
}

/// True when `actual` contains every field of `expected` with an equal value, recursively.
/// Arrays must match element by element.
pub fn json_contains(actual: &serde_json::Value, expected: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => e
            .iter()
            .all(|(k, ev)| a.get(k).is_some_and(|av| json_contains(av, ev))),
        (Value::Array(a), Value::Array(e)) => {
            a.len() == e.len() && a.iter().zip(e).all(|(av, ev)| json_contains(av, ev))
        }
        (a, e) => a == e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn partial_json_match() {
        let actual = json!({"order_list": [{"order_sn": "A", "package_number": "P"}], "x": 1});
        assert!(json_contains(
            &actual,
            &json!({"order_list": [{"order_sn": "A"}]})
        ));
        assert!(!json_contains(
            &actual,
            &json!({"order_list": [{"order_sn": "B"}]})
        ));
        assert!(!json_contains(&actual, &json!({"y": 1})));
    }
}
