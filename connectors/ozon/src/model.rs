//! Wire types of the Seller API calls this connector makes, with Ozon's own field names. Only
//! the fields the connector reads are modelled; `PlatformOrder::raw` keeps the whole posting.
//!
//! Sources: `POST /v4/posting/fbs/list` (`posting.v4.PostingFbsListRequest` /
//! `posting.v4.PostingFbsListResponse`), `/v4/posting/fbs/ship`
//! (`fbsv4FbsPostingShipV4Request`), `/v3/posting/fbs/package-label/create`
//! (`v2CreateLabelBatchResponse`), `/v2/posting/fbs/package-label/get`
//! (`v1GetLabelBatchResponse`), `/v2/fbs/posting/tracking-number/set`
//! (`postingFbsPostingTrackingNumberSetRequest`, `postingFbsPostingMoveStatusResponse`) and
//! `/v3/posting/fbs/get` (`v3GetFbsPostingResponseV3`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// `POST /v4/posting/fbs/list` body.
#[derive(Debug, Serialize)]
pub struct PostingListRequest<'a> {
    pub filter: PostingListFilter,
    /// 1..=100.
    pub limit: u32,
    /// Empty on the first page, then the previous answer's `cursor`.
    pub cursor: &'a str,
    /// `ASC` or `DESC`.
    pub sort_dir: &'static str,
    pub with: PostingWith,
}

/// `filter`: `since` and `to` are required and may span one year at most.
#[derive(Debug, Serialize)]
pub struct PostingListFilter {
    pub since: String,
    pub to: String,
}

/// `with`: the optional blocks of each posting, so no per-posting call is needed.
#[derive(Debug, Serialize)]
pub struct PostingWith {
    pub analytics_data: bool,
    pub barcodes: bool,
    pub financial_data: bool,
    pub legal_info: bool,
}

/// `posting.v4.PostingFbsListResponse`: no `result` wrapper in v4.
#[derive(Debug, Deserialize)]
pub struct PostingListResponse {
    #[serde(default)]
    pub postings: Option<Vec<Box<RawValue>>>,
    #[serde(default)]
    pub cursor: Option<String>,
    #[serde(default)]
    pub has_next: bool,
}

/// One FBS/rFBS posting: the unit Ozon assembles, labels and ships.
#[derive(Debug, Deserialize)]
pub struct Posting {
    pub posting_number: String,
    #[serde(default)]
    pub order_number: Option<String>,
    pub status: String,
    #[serde(default)]
    pub substatus: Option<String>,
    /// Start of processing; FBS postings have no other creation time.
    pub in_process_at: DateTime<Utc>,
    #[serde(default)]
    pub tracking_number: Option<String>,
    /// `ozon`, `3pl_tracking`, `non_integrated`, `aggregator`, `hybryd`.
    #[serde(default)]
    pub tpl_integration_type: Option<String>,
    #[serde(default)]
    pub delivery_method: Option<DeliveryMethod>,
    #[serde(default)]
    pub customer: Option<Customer>,
    #[serde(default)]
    pub addressee: Option<Addressee>,
    pub products: Vec<Product>,
    #[serde(default)]
    pub available_actions: Option<Vec<String>>,
}

impl Posting {
    pub fn can(&self, action: &str) -> bool {
        self.available_actions
            .as_deref()
            .is_some_and(|a| a.iter().any(|x| x == action))
    }
}

/// `posting.v4.PostingFbsListResponse.Postings.Products`.
#[derive(Debug, Deserialize)]
pub struct Product {
    /// The Ozon SKU (`product_id` in ship requests).
    pub sku: u64,
    /// The seller's article: the platform SKU.
    #[serde(default)]
    pub offer_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    pub quantity: u32,
    pub price: Money,
}

/// `money.postingMoney`: a decimal string and its currency.
#[derive(Debug, Deserialize)]
pub struct Money {
    pub amount: String,
    pub currency: String,
}

#[derive(Debug, Deserialize)]
pub struct DeliveryMethod {
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub tpl_provider: Option<String>,
    #[serde(default)]
    pub tpl_provider_id: Option<u64>,
}

/// `customer`: mostly filled for rFBS; `null` for most FBS postings.
#[derive(Debug, Deserialize)]
pub struct Customer {
    #[serde(default)]
    pub address: Option<CustomerAddress>,
    #[serde(default)]
    pub name: Option<String>,
    /// A substitute number; lists often send `""`.
    #[serde(default)]
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CustomerAddress {
    #[serde(default)]
    pub address_tail: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub district: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    /// A country name (`Россия`), not a code.
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub zip_code: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Addressee {
    #[serde(default)]
    pub name: Option<String>,
}

/// `POST /v4/posting/fbs/ship`: one package holding every product ships the posting whole.
#[derive(Debug, Serialize)]
pub struct ShipRequest<'a> {
    pub packages: Vec<ShipPackage>,
    pub posting_number: &'a str,
}

#[derive(Debug, Serialize)]
pub struct ShipPackage {
    pub products: Vec<ShipProduct>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ShipProduct {
    /// The Ozon SKU, not the seller's `offer_id`.
    pub product_id: u64,
    pub quantity: u32,
}

/// `fbsv4FbsPostingShipV4Response`: the posting numbers after assembly.
#[derive(Debug, Deserialize)]
pub struct ShipResponse {
    #[serde(default)]
    pub result: Option<Vec<String>>,
}

/// `POST /v3/posting/fbs/package-label/create` (the v1/v2 create and v1 get were switched off
/// on 2026-11-02; ozon.md section 5).
#[derive(Debug, Serialize)]
pub struct LabelCreateRequest<'a> {
    pub posting_numbers: Vec<&'a str>,
}

#[derive(Debug, Deserialize)]
pub struct LabelCreateResponse {
    #[serde(default)]
    pub tasks: Vec<LabelTask>,
}

#[derive(Debug, Deserialize)]
pub struct LabelTask {
    pub task_id: u64,
    /// `big_label` (the regular label) or `small_label`.
    #[serde(default)]
    pub task_type: Option<String>,
}

/// `POST /v2/posting/fbs/package-label/get`.
#[derive(Debug, Serialize)]
pub struct LabelGetRequest {
    pub task_id: u64,
}

#[derive(Debug, Deserialize)]
pub struct LabelGetResponse {
    #[serde(default)]
    pub status: Option<LabelTaskStatus>,
    #[serde(default)]
    pub file_url: Option<String>,
    #[serde(default)]
    pub error: Option<LabelTaskError>,
}

#[derive(Debug, Deserialize)]
pub struct LabelTaskStatus {
    /// `pending`, `in_progress`, `completed`, `error`.
    #[serde(default)]
    pub code: String,
}

#[derive(Debug, Deserialize)]
pub struct LabelTaskError {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

/// `POST /v2/fbs/posting/tracking-number/set` (up to 20 pairs).
#[derive(Debug, Serialize)]
pub struct TrackingNumberSetRequest<'a> {
    pub tracking_numbers: Vec<TrackingNumber<'a>>,
}

#[derive(Debug, Serialize)]
pub struct TrackingNumber<'a> {
    pub posting_number: &'a str,
    pub tracking_number: &'a str,
}

/// `postingFbsPostingMoveStatusResponse`: one result per posting inside an HTTP 200.
#[derive(Debug, Deserialize)]
pub struct MoveStatusResponse {
    #[serde(default)]
    pub result: Option<Vec<MoveStatus>>,
}

#[derive(Debug, Deserialize)]
pub struct MoveStatus {
    #[serde(default)]
    pub posting_number: String,
    #[serde(default)]
    pub result: bool,
    /// A string in the schema; examples show `""`, `[]` and `null`.
    #[serde(default)]
    pub error: serde_json::Value,
}

/// `POST /v3/posting/fbs/get`.
#[derive(Debug, Serialize)]
pub struct PostingGetRequest<'a> {
    pub posting_number: &'a str,
}

#[derive(Debug, Deserialize)]
pub struct PostingGetResponse {
    pub result: PostingDetail,
}

#[derive(Debug, Deserialize)]
pub struct PostingDetail {
    pub posting_number: String,
    #[serde(default)]
    pub status: Option<String>,
    pub products: Vec<DetailProduct>,
}

/// `v3FbsPostingProduct` (v3 shape: `price` is a string, not read here).
#[derive(Debug, Deserialize)]
pub struct DetailProduct {
    pub sku: u64,
    #[serde(default)]
    pub offer_id: Option<String>,
    pub quantity: u32,
}
