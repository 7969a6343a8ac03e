//! `record` mode against a local server: exchanges captured through the kit come out in the
//! fixture format, scrubbed of tokens, signatures and personal data, and replay as they were.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use connector_kit::{
    ApiRequest, ConnectorFactory, ConnectorOptions, CredentialKey, HttpClient, MockRejection,
    RateLimits, RawResponse, Recorder, ResponseClassifier, RetryConfig, WireRequest,
};
use connector_testkit::replay::{mount_loaded, LoadedScenario};
use core_model::{Marketplace, MarketplaceError, Operation, Platform, StoreRef};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Debug)]
struct Ok2xx;

impl ResponseClassifier for Ok2xx {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        if r.status.is_success() {
            Ok(())
        } else {
            Err(MarketplaceError::permanent(format!("status {}", r.status)))
        }
    }
}

/// A platform that checks nothing; enough to replay a recording.
#[derive(Debug)]
struct Lenient;

impl ConnectorFactory for Lenient {
    fn platform(&self) -> Platform {
        Platform::Shopee
    }
    fn credential_keys(&self) -> &'static [CredentialKey] {
        &[]
    }
    fn build(
        &self,
        _: StoreRef,
        _: &serde_json::Value,
        _: ConnectorOptions,
    ) -> Result<Arc<dyn Marketplace>, connector_kit::ConfigError> {
        Err(connector_kit::ConfigError::new("-", "not a real connector"))
    }
    fn check_request(&self, _: &serde_json::Value, _: &WireRequest) -> Result<(), MockRejection> {
        Ok(())
    }
}

const ORDER_BODY: &str = r#"{"error":"","message":"","request_id":"req-1","response":{"order_list":[
  {"order_sn":"240529AB12CD34","currency":"SGD","recipient_address":{"name":"Tan Ah Kow",
   "phone":"6591234567","city":"Singapore","full_address":"10 Secret Road #01-02","zipcode":"123456"},
   "buyer_username":"tanahkow88"}]}}"#;

const PDF: &[u8] = b"%PDF-1.4\n% label\n%%EOF\n";

#[tokio::test]
async fn recorded_exchanges_are_scrubbed_and_replay() {
    let live = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/order/get_order_detail"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(ORDER_BODY, "application/json"))
        .mount(&live)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/logistics/download_shipping_document"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(PDF, "application/pdf"))
        .mount(&live)
        .await;

    let dir = tempfile::tempdir().unwrap();
    let recorder = Arc::new(Recorder::new(dir.path().join("captured"), &[]).unwrap());
    let options = ConnectorOptions {
        base_url: Some(live.uri().parse().unwrap()),
        recorder: Some(recorder.clone()),
        retry: RetryConfig::fast(),
        ..ConnectorOptions::default()
    };
    let http = HttpClient::new(
        Platform::Shopee,
        &options,
        RateLimits::new(),
        Arc::new(Ok2xx),
    )
    .unwrap();
    let live_detail = http.send(detail(&http), None).await.unwrap();
    http.send(download(&http), None).await.unwrap();
    recorder
        .finish("detail and a label, recorded in a test")
        .unwrap();

    // Nothing secret or personal was written anywhere.
    let mut written = String::new();
    for entry in std::fs::read_dir(recorder.dir()).unwrap() {
        written.push_str(&String::from_utf8_lossy(
            &std::fs::read(entry.unwrap().path()).unwrap(),
        ));
    }
    for leaked in [
        "SECRET",
        "Tan Ah Kow",
        "6591234567",
        "Secret Road",
        "tanahkow88",
        "1717000000",
    ] {
        assert!(
            !written.contains(leaked),
            "`{leaked}` was recorded:\n{written}"
        );
    }
    assert!(written.contains("Singapore"), "coarse location is kept");

    // The recording loads as a scenario and replays both exchanges.
    std::fs::write(recorder.dir().join("credentials.json"), "{}").unwrap();
    let loaded = LoadedScenario::load(recorder.dir()).unwrap();
    assert_eq!(loaded.scenario.exchanges.len(), 2);
    assert!(loaded.scenario.source.starts_with("recorded "));
    let replay = MockServer::start().await;
    mount_loaded(&replay, Arc::new(Lenient), &loaded)
        .await
        .unwrap();
    let options = ConnectorOptions {
        base_url: Some(replay.uri().parse().unwrap()),
        retry: RetryConfig::fast(),
        ..ConnectorOptions::default()
    };
    let http = HttpClient::new(
        Platform::Shopee,
        &options,
        RateLimits::new(),
        Arc::new(Ok2xx),
    )
    .unwrap();
    let replayed = http.send(detail(&http), None).await.unwrap();
    let a: serde_json::Value = live_detail.json().unwrap();
    let b: serde_json::Value = replayed.json().unwrap();
    assert_eq!(
        a["response"]["order_list"][0]["order_sn"],
        b["response"]["order_list"][0]["order_sn"]
    );
    assert_eq!(
        b["response"]["order_list"][0]["recipient_address"]["name"], "REDACTED",
        "{b}"
    );
    let label = http.send(download(&http), None).await.unwrap();
    assert_eq!(label.body.as_ref(), PDF);
    assert_eq!(replay.received_requests().await.unwrap().len(), 2);
}

fn detail(http: &HttpClient) -> ApiRequest {
    ApiRequest::get(
        Operation::PullOrders,
        "orders",
        http.url("https://partner.shopeemobile.com/api/v2/order/get_order_detail")
            .unwrap(),
    )
    .query("partner_id", "2001887")
    .query("timestamp", "1717000000")
    .query("access_token", "SECRET-ACCESS-TOKEN")
    .query("shop_id", "14701711")
    .query("sign", "SECRET-SIGNATURE-0123")
    .query("order_sn_list", "240529AB12CD34")
}

fn download(http: &HttpClient) -> ApiRequest {
    ApiRequest::post(
        Operation::FetchLabel,
        "logistics",
        http.url("https://partner.shopeemobile.com/api/v2/logistics/download_shipping_document")
            .unwrap(),
    )
    .json(
        &serde_json::json!({"shipping_document_type": "THERMAL_AIR_WAYBILL",
        "order_list": [{"order_sn": "240529AB12CD34"}], "refresh_token": "SECRET-REFRESH"}),
    )
    .unwrap()
}
