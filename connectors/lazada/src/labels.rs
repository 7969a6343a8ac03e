//! The platform AWB, following the fulfillment guide's flow: GetOrderItems (`/order/items/get`)
//! for the order's current item states; for items not yet packed, GetShipmentProvider then Pack
//! (`/order/fulfill/pack`), which assigns the package, carrier and tracking number; then PrintAWB
//! (`/order/package/document/get`, `doc_type=PDF`) and the download of its `pdf_url`. PrintAWB's
//! base64 `file` is, for PDF, an HTML `<iframe>` around that link, so it is used only when it is
//! itself a PDF. Pack is shared with the tracking upload, which must pack first too.

use base64::Engine;
use connector_kit::{decode_json, ApiRequest, RawResponse, ResponseClassifier};
use core_model::{
    ErrorKind, Label, LabelFormat, LabelSpec, MarketplaceError, NeutralStatus, Operation,
    PlatformOrder,
};
use serde::Serialize;

use crate::error::{classify_code, looks_json, parse_error, result_error};
use crate::model::{
    DocumentData, DocumentRequest, Envelope, ItemResult, OrderItem, PackData, PackOrder,
    PackRequest, PackageRef, ProvidersData, ProvidersOrder, ProvidersRequest, ResultEnvelope,
};
use crate::orders::{item_status, non_empty};
use crate::LazadaConnector;

/// The endpoint class of the order-item and fulfillment APIs.
pub const FULFILLMENT_CLASS: &str = "fulfillment";

pub const ORDER_ITEMS_PATH: &str = "/order/items/get";
pub const PROVIDERS_PATH: &str = "/order/shipment/providers/get";
pub const PACK_PATH: &str = "/order/fulfill/pack";
pub const DOCUMENT_PATH: &str = "/order/package/document/get";

/// PrintAWB, Pack and ReadyToShip: "Batch size is limited to 20".
pub const BATCH_LIMIT: usize = 20;

pub async fn fetch_label(
    c: &LazadaConnector,
    order: &PlatformOrder,
    spec: &LabelSpec,
) -> Result<Label, MarketplaceError> {
    if spec.format.is_some_and(|f| f != LabelFormat::Pdf) {
        return Err(MarketplaceError::unsupported(
            "Lazada prints the AWB as PDF (or HTML, which omsync does not take)",
        ));
    }
    let op = Operation::FetchLabel;
    let mut items = order_items(c, op, &order.platform_order_id).await?;
    let live = live_indices(&items, None);
    if live.is_empty() {
        return Err(MarketplaceError::permanent(
            "no item of this order can be shipped (all unpaid, cancelled or returned)",
        ));
    }
    // PrintAWB error 50008: seller-own-fleet (DBS) items have no Lazada AWB.
    let live: Vec<usize> = live
        .into_iter()
        .filter(|&i| items[i].delivery_option_sof != Some(true))
        .collect();
    if live.is_empty() {
        return Err(MarketplaceError::unsupported(
            "seller-own-fleet (DBS) orders have no Lazada AWB",
        ));
    }
    ensure_packed(
        c,
        op,
        &order.platform_order_id,
        &mut items,
        &live,
        spec.service.as_deref(),
    )
    .await?;

    let mut packages: Vec<&OrderItem> = Vec::new();
    for &i in &live {
        let item = &items[i];
        if item.package_id.is_some() && !packages.iter().any(|p| p.package_id == item.package_id) {
            packages.push(item);
        }
    }
    if packages.is_empty() {
        return Err(MarketplaceError::malformed(
            "the packed items carry no package_id",
        ));
    }
    if packages.len() > BATCH_LIMIT {
        return Err(MarketplaceError::unsupported(format!(
            "PrintAWB takes at most {BATCH_LIMIT} packages; this order has {}",
            packages.len()
        )));
    }
    let request = DocumentRequest {
        doc_type: "PDF",
        packages: packages
            .iter()
            .filter_map(|p| p.package_id.clone())
            .map(|package_id| PackageRef { package_id })
            .collect(),
    };
    let document: DocumentData = fulfillment_call(
        c,
        op,
        http::Method::GET,
        DOCUMENT_PATH,
        "getDocumentReq",
        &request,
        &DocumentClassifier,
    )
    .await?;
    let bytes = document_bytes(c, document).await?;
    let first = packages[0];
    Ok(Label {
        format: LabelFormat::Pdf,
        bytes,
        tracking_number: first.tracking_code.clone(),
        carrier: first.shipment_provider.clone(),
    })
}

/// The PDF: from `pdf_url` (valid for ten minutes, so fetched at once), else from `file` when
/// that decodes to a PDF.
async fn document_bytes(
    c: &LazadaConnector,
    document: DocumentData,
) -> Result<bytes::Bytes, MarketplaceError> {
    if let Some(pdf_url) = non_empty(document.pdf_url) {
        let url = url::Url::parse(&pdf_url)
            .map_err(|_| MarketplaceError::malformed("PrintAWB `pdf_url` is not a URL"))?;
        let url = c.http().hosts().rebase(url)?;
        let request = ApiRequest::get(Operation::FetchLabel, "download", url);
        let response = c
            .http()
            .send_classified(request, None, &DownloadClassifier)
            .await?;
        return Ok(response.body);
    }
    let file = non_empty(document.file).ok_or_else(|| {
        MarketplaceError::malformed("PrintAWB answered neither `pdf_url` nor `file`")
    })?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(file.trim())
        .map_err(|_| MarketplaceError::malformed("PrintAWB `file` is not base64"))?;
    if !bytes.starts_with(b"%PDF") {
        return Err(MarketplaceError::malformed(
            "PrintAWB `file` is an HTML page, not a PDF, and no `pdf_url` came with it",
        ));
    }
    Ok(bytes.into())
}

/// GetOrderItems: the order's items as they stand now.
pub(crate) async fn order_items(
    c: &LazadaConnector,
    op: Operation,
    order_id: &str,
) -> Result<Vec<OrderItem>, MarketplaceError> {
    let request = ApiRequest::get(op, FULFILLMENT_CLASS, c.url(ORDER_ITEMS_PATH)?)
        .query("order_id", order_id);
    let response = c.http().send(request, Some(c.auth())).await?;
    let envelope: Envelope<Vec<OrderItem>> = decode_json(&response.body)?;
    let items = envelope.data.unwrap_or_default();
    if items.is_empty() {
        return Err(MarketplaceError::permanent(
            "GetOrderItems returned no items for this order",
        ));
    }
    Ok(items)
}

/// The items on their way to the buyer (to ship or shipped; not unpaid, cancelled or returned),
/// restricted to `only` when given.
pub(crate) fn live_indices(items: &[OrderItem], only: Option<&[String]>) -> Vec<usize> {
    items
        .iter()
        .enumerate()
        .filter(|(_, i)| only.is_none_or(|ids| ids.contains(&i.order_item_id)))
        .filter(|(_, i)| {
            matches!(
                item_status(&i.status),
                NeutralStatus::AwaitingFulfillment | NeutralStatus::Shipped
            )
        })
        .map(|(n, _)| n)
        .collect()
}

/// Items waiting to be packed: to-pack statuses without a package.
fn needs_pack(item: &OrderItem) -> bool {
    matches!(item.status.as_str(), "pending" | "topack") && item.package_id.is_none()
}

/// Pack the items of `live` that are not packed yet, and record the package, carrier and
/// tracking number Lazada assigns them. `provider` is the caller's choice of first-mile
/// provider, needed only when GetShipmentProvider says the seller must choose.
pub(crate) async fn ensure_packed(
    c: &LazadaConnector,
    op: Operation,
    order_id: &str,
    items: &mut [OrderItem],
    live: &[usize],
    provider: Option<&str>,
) -> Result<(), MarketplaceError> {
    let to_pack: Vec<usize> = live
        .iter()
        .copied()
        .filter(|&i| needs_pack(&items[i]))
        .collect();
    if to_pack.is_empty() {
        return Ok(());
    }
    let numeric = |text: &str, what: &str| {
        text.parse::<u64>()
            .map_err(|_| MarketplaceError::permanent(format!("{what} `{text}` is not numeric")))
    };
    let order_number = numeric(order_id, "order id")?;
    let item_ids = to_pack
        .iter()
        .map(|&i| numeric(&items[i].order_item_id, "order item id"))
        .collect::<Result<Vec<u64>, _>>()?;

    let providers: ProvidersData = fulfillment_call(
        c,
        op,
        http::Method::GET,
        PROVIDERS_PATH,
        "getShipmentProvidersReq",
        &ProvidersRequest {
            orders: vec![ProvidersOrder {
                order_id: order_number,
                order_item_ids: item_ids.clone(),
            }],
        },
        &ResultClassifier,
    )
    .await?;
    let shipment_provider_code = choose_provider(&providers, provider)?;
    let pack = PackRequest {
        pack_order_list: vec![PackOrder {
            order_item_list: item_ids,
            order_id: order_number,
        }],
        delivery_type: "dropship",
        shipment_provider_code,
        shipping_allocate_type: non_empty(providers.shipping_allocate_type)
            .unwrap_or_else(|| "TFS".to_owned()),
    };
    let packed: PackData = fulfillment_call(
        c,
        op,
        http::Method::POST,
        PACK_PATH,
        "packReq",
        &pack,
        &PackClassifier,
    )
    .await?;
    for result in packed
        .pack_order_list
        .iter()
        .flat_map(|o| &o.order_item_list)
    {
        let Some(item) = items
            .iter_mut()
            .find(|i| Some(&i.order_item_id) == result.order_item_id.as_ref())
        else {
            continue;
        };
        item.status = "packed".to_owned();
        item.package_id = result.package_id.clone().or(item.package_id.take());
        item.tracking_code = result.tracking_number.clone().or(item.tracking_code.take());
        item.shipment_provider =
            non_empty(result.shipment_provider.clone()).or(item.shipment_provider.take());
    }
    Ok(())
}

/// `shipment_provider_code` for Pack: none when Lazada allocates the carrier
/// (`platform_default` 1, local TFS stores); otherwise the caller's choice, which must be one
/// Lazada offers.
fn choose_provider(
    providers: &ProvidersData,
    wanted: Option<&str>,
) -> Result<Option<String>, MarketplaceError> {
    if providers.platform_default != Some(0) {
        return Ok(None);
    }
    let offered: Vec<&str> = providers
        .shipment_providers
        .iter()
        .filter_map(|p| p.provider_code.as_deref())
        .collect();
    let chosen = wanted.and_then(|w| {
        providers.shipment_providers.iter().find_map(|p| {
            let code = p.provider_code.as_deref()?;
            (code.eq_ignore_ascii_case(w)
                || p.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(w)))
            .then(|| code.to_owned())
        })
    });
    chosen.map(Some).ok_or_else(|| {
        MarketplaceError::permanent(format!(
            "Lazada asks the seller to choose the first-mile provider for this order; pass one of [{}] as the label service or carrier code",
            offered.join(", ")
        ))
    })
}

/// One fulfillment API call with its JSON request parameter; the `result.data` it answers.
pub(crate) async fn fulfillment_call<T: serde::de::DeserializeOwned>(
    c: &LazadaConnector,
    op: Operation,
    method: http::Method,
    path: &str,
    param: &str,
    value: &impl Serialize,
    classifier: &dyn ResponseClassifier,
) -> Result<T, MarketplaceError> {
    let json = serde_json::to_string(value)
        .map_err(|e| MarketplaceError::permanent(format!("cannot encode `{param}`: {e}")))?;
    let url = c.url(path)?;
    let request = if method == http::Method::POST {
        ApiRequest::post(op, FULFILLMENT_CLASS, url).form(vec![(param.to_owned(), json)])
    } else {
        ApiRequest::get(op, FULFILLMENT_CLASS, url).query(param, json)
    };
    let response = c
        .http()
        .send_classified(request, Some(c.auth()), classifier)
        .await?;
    let envelope: ResultEnvelope<T> = decode_json(&response.body)?;
    envelope.result.and_then(|r| r.data).ok_or_else(|| {
        MarketplaceError::malformed(format!("{path} answered without `result.data`"))
    })
}

/// The nested envelope of the fulfillment APIs: `result.success` false is an error.
pub(crate) fn check_result<T: serde::de::DeserializeOwned>(
    r: &RawResponse,
) -> Result<Option<T>, MarketplaceError> {
    parse_error(r)?;
    let envelope: ResultEnvelope<T> = decode_json(&r.body)?;
    match envelope.result {
        Some(result) => {
            result_error(&result)?;
            Ok(result.data)
        }
        None => Ok(None),
    }
}

/// The first element (item or package) a batch call failed, as an error with its code.
pub(crate) fn element_error(results: &[ItemResult]) -> Result<(), MarketplaceError> {
    let Some(failed) = results.iter().find(|r| !r.ok()) else {
        return Ok(());
    };
    let code = failed
        .item_err_code
        .clone()
        .unwrap_or_else(|| "item_err_code missing".to_owned());
    let message = failed.msg.clone().unwrap_or_else(|| code.clone());
    let mut err = classify_code(&code, None, &message).with_code(code);
    if failed.retry == Some(true) && err.kind() == ErrorKind::Permanent {
        err = MarketplaceError::transient(message).with_code(err.code().unwrap_or_default());
    }
    Err(err)
}

/// GetShipmentProvider: the nested envelope only.
#[derive(Debug)]
struct ResultClassifier;

impl ResponseClassifier for ResultClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        check_result::<serde_json::Value>(r).map(|_| ())
    }
}

/// Pack: `success` does not mean every item was packed; each `item_err_code` must be `"0"`.
#[derive(Debug)]
struct PackClassifier;

impl ResponseClassifier for PackClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        let data: Option<PackData> = check_result(r)?;
        let results: Vec<ItemResult> = data
            .map(|d| {
                d.pack_order_list
                    .into_iter()
                    .flat_map(|o| o.order_item_list)
                    .collect()
            })
            .unwrap_or_default();
        element_error(&results)
    }
}

/// PrintAWB: error 700040 "There are no packages that support printing!" and the like.
#[derive(Debug)]
struct DocumentClassifier;

impl ResponseClassifier for DocumentClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        check_result::<DocumentData>(r).map(|_| ())
    }
}

/// The `pdf_url` download answers the document; JSON or HTML there is an error.
#[derive(Debug)]
struct DownloadClassifier;

impl ResponseClassifier for DownloadClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        parse_error(r)?;
        if looks_json(r) || !r.body.starts_with(b"%PDF") {
            return Err(MarketplaceError::malformed(
                "the AWB download did not answer a PDF (the link lives ten minutes)",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::model::Provider;

    fn resp(body: &str) -> RawResponse {
        RawResponse::new(200, "application/json", body.to_owned())
    }

    #[test]
    fn pack_item_failures_surface_even_when_success_is_true() {
        let ok = resp(
            r#"{"result":{"data":{"pack_order_list":[{"order_item_list":[{"order_item_id":560694402292001,"msg":"success","item_err_code":"0","tracking_number":"TH340231JV0W0A","shipment_provider":"Flash Express","package_id":"FP022511752246001","retry":false}],"order_id":560694402192001}]},"success":true,"errorCode":null,"errorMsg":null},"code":"0","request_id":"0ba2887315178178017221014"}"#,
        );
        assert!(PackClassifier.classify(&ok).is_ok());
        let failed = resp(
            r#"{"result":{"data":{"pack_order_list":[{"order_item_list":[{"order_item_id":1,"msg":"item current status not allow to pack","item_err_code":"700026","retry":false}],"order_id":2}]},"success":true},"code":"0"}"#,
        );
        let e = PackClassifier.classify(&failed).unwrap_err();
        assert_eq!((e.kind(), e.code()), (ErrorKind::Permanent, Some("700026")));
        let busy = resp(
            r#"{"result":{"data":{"pack_order_list":[{"order_item_list":[{"order_item_id":1,"msg":"3pl allocation failed","item_err_code":"1003","retry":true}],"order_id":2}]},"success":true},"code":"0"}"#,
        );
        assert_eq!(
            PackClassifier.classify(&busy).unwrap_err().kind(),
            ErrorKind::Transient
        );
    }

    #[test]
    fn document_errors_and_download_checks() {
        let none = resp(
            r#"{"result":{"success":false,"error_code":"700040","error_msg":"There are no packages that support printing!"},"code":"0","request_id":"x"}"#,
        );
        let e = DocumentClassifier.classify(&none).unwrap_err();
        assert_eq!((e.kind(), e.code()), (ErrorKind::Permanent, Some("700040")));
        assert!(DownloadClassifier
            .classify(&RawResponse::new(200, "application/pdf", "%PDF-1.4 x"))
            .is_ok());
        assert_eq!(
            DownloadClassifier
                .classify(&RawResponse::new(200, "text/html", "<html>expired</html>"))
                .unwrap_err()
                .kind(),
            ErrorKind::Malformed
        );
        assert_eq!(
            DownloadClassifier
                .classify(&RawResponse::new(503, "text/html", "busy"))
                .unwrap_err()
                .kind(),
            ErrorKind::Transient
        );
    }

    #[test]
    fn provider_is_chosen_only_when_lazada_asks() {
        let platform = ProvidersData {
            platform_default: Some(1),
            shipment_providers: vec![],
            shipping_allocate_type: Some("TFS".into()),
        };
        assert_eq!(choose_provider(&platform, None).unwrap(), None);
        let seller = ProvidersData {
            platform_default: Some(0),
            shipment_providers: vec![Provider {
                name: Some("Cainiao".into()),
                provider_code: Some("FM50".into()),
            }],
            shipping_allocate_type: Some("NTFS".into()),
        };
        assert_eq!(
            choose_provider(&seller, Some("cainiao"))
                .unwrap()
                .as_deref(),
            Some("FM50")
        );
        assert_eq!(
            choose_provider(&seller, Some("FM50")).unwrap().as_deref(),
            Some("FM50")
        );
        let e = choose_provider(&seller, None).unwrap_err();
        assert!(e.message().contains("FM50"), "{}", e.message());
    }
}
