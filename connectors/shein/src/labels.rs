//! SHEIN logistics labels: `/open-api/order/print-express-info` ("打印面单") with the order
//! number and its package numbers (SHEIN-designated logistics), or the `deliveryNo` of an
//! online logistics order, answers `filePdfUrl`, a time-limited signed URL on an object store;
//! its plain `GET` is the PDF. Packages come from a fresh `/open-api/order/order-detail`
//! (`packageWaybillList`), which also says whether the order can be processed
//! (`printOrderStatus`, `unProcessReason`).
//!
//! Orders the seller ships itself have no SHEIN label. Placing an online logistics order
//! (`/open-api/gsp/place-express-order`, buying the label) is not done here.

use connector_kit::{ApiRequest, RawResponse, ResponseClassifier};
use core_model::{Label, LabelFormat, LabelSpec, MarketplaceError, Operation, PlatformOrder};
use url::Url;

use crate::error::parse_error;
use crate::model::{PackageWaybill, PrintRequest, PrintedLabel};
use crate::orders::{order_detail, ships_with_shein};
use crate::SheinConnector;

/// The endpoint class of the logistics APIs (print, carriers, waybill upload).
pub const LOGISTICS_CLASS: &str = "logistics";
/// Label downloads from the object store.
pub const DOWNLOAD_CLASS: &str = "download";

pub const PRINT_PATH: &str = "/open-api/order/print-express-info";

/// `unProcessReason` values that mean "system processing, try again in 30 minutes".
const PROCESSING: [i64; 4] = [1, 5, 7, 8];

pub async fn fetch_label(
    c: &SheinConnector,
    order: &PlatformOrder,
    spec: &LabelSpec,
) -> Result<Label, MarketplaceError> {
    let op = Operation::FetchLabel;
    if spec.format.is_some_and(|f| f != LabelFormat::Pdf) {
        return Err(MarketplaceError::unsupported(
            "SHEIN prints labels as PDF (filePdfUrl) only",
        ));
    }
    let order_no = order.platform_order_id.as_str();
    let detail = order_detail(c, op, order_no).await?;
    if !ships_with_shein(&detail) {
        return Err(MarketplaceError::unsupported(
            "the order ships with the seller's own carrier: SHEIN prints no label for it",
        ));
    }
    if detail.print_order_status == Some(2) {
        return Err(not_processable(&detail.un_process_reason));
    }
    let packages: Vec<&PackageWaybill> = detail
        .package_waybill_list
        .iter()
        .filter(|p| filled(&p.package_no).is_some() || filled(&p.delivery_no).is_some())
        .collect();
    if packages.is_empty() {
        return Err(MarketplaceError::unsupported(
            "the order has no SHEIN package yet (an online logistics order must be placed first)",
        ));
    }
    let request = print_request(order_no, detail.order_place_type, &packages)?;
    let printed: Vec<PrintedLabel> = c.call(op, LOGISTICS_CLASS, PRINT_PATH, &request).await?;
    let mut urls: Vec<&str> = printed
        .iter()
        .filter_map(|p| filled(&p.file_pdf_url))
        .collect();
    urls.dedup();
    let url = match urls.as_slice() {
        [one] => *one,
        [] => {
            return Err(MarketplaceError::malformed(format!(
                "{PRINT_PATH} answered no filePdfUrl"
            )))
        }
        more => {
            return Err(MarketplaceError::unsupported(format!(
            "the order has {} label documents (one per package); one label per order is supported",
            more.len()
        )))
        }
    };
    let bytes = download(c, url).await?;
    let waybill = packages.iter().find(|p| filled(&p.waybill_no).is_some());
    Ok(Label {
        format: LabelFormat::Pdf,
        bytes,
        tracking_number: waybill
            .and_then(|p| filled(&p.waybill_no))
            .map(str::to_owned),
        carrier: waybill.and_then(|p| filled(&p.carrier)).map(str::to_owned),
    })
}

fn filled(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// SHEIN-designated logistics print by order and package numbers; an online logistics order
/// prints by its `deliveryNo` ("Print express info API" request parameters).
fn print_request<'a>(
    order_no: &'a str,
    order_place_type: Option<i64>,
    packages: &[&'a PackageWaybill],
) -> Result<PrintRequest<'a>, MarketplaceError> {
    let mut deliveries: Vec<&str> = packages
        .iter()
        .filter_map(|p| filled(&p.delivery_no))
        .collect();
    deliveries.dedup();
    let package_nos: Vec<&str> = packages
        .iter()
        .filter_map(|p| filled(&p.package_no))
        .collect();
    if order_place_type != Some(1) && deliveries.len() == 1 {
        return Ok(PrintRequest {
            delivery_no: deliveries.first().copied(),
            ..PrintRequest::default()
        });
    }
    if package_nos.is_empty() {
        return Err(MarketplaceError::unsupported(format!(
            "the order has {} logistics orders (deliveryNo); one label per order is supported",
            deliveries.len()
        )));
    }
    Ok(PrintRequest {
        order_no: Some(order_no),
        package_no: Some(package_nos),
        delivery_no: None,
    })
}

/// The error for `printOrderStatus` 2, from `unProcessReason` ("订单异常处理").
fn not_processable(reasons: &[i64]) -> MarketplaceError {
    let list = reasons
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    if !reasons.is_empty() && reasons.iter().all(|r| PROCESSING.contains(r)) {
        MarketplaceError::transient(format!(
            "SHEIN is still processing the order (unProcessReason {list}); try again in 30 minutes"
        ))
    } else {
        MarketplaceError::permanent(format!(
            "SHEIN says the order cannot be processed (unProcessReason {list})"
        ))
    }
}

/// GET the signed PDF URL (rebased onto the base-URL override). The URL carries its own
/// signature; no SHEIN credentials go with it.
async fn download(c: &SheinConnector, url: &str) -> Result<bytes::Bytes, MarketplaceError> {
    let real = Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "https" | "http"))
        .ok_or_else(|| {
            MarketplaceError::malformed(format!("{PRINT_PATH} answered an invalid URL"))
        })?;
    let target = c.http().hosts().rebase(real)?;
    let request = ApiRequest::get(Operation::FetchLabel, DOWNLOAD_CLASS, target);
    let response = c
        .http()
        .send_classified(request, None, &DownloadClassifier)
        .await?;
    Ok(response.body)
}

/// The object store answers the PDF, or an error page once the link has expired.
#[derive(Debug)]
struct DownloadClassifier;

impl ResponseClassifier for DownloadClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        let status = r.status.as_u16();
        match status {
            200..=299 => {}
            403 | 404 => {
                return Err(MarketplaceError::permanent(
                    "the label link expired or does not exist; fetch the label again",
                )
                .with_status(status))
            }
            _ => return parse_error(r),
        }
        let start = r
            .body
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(0);
        if r.body[start..].starts_with(b"%PDF") {
            return Ok(());
        }
        parse_error(r)?;
        Err(MarketplaceError::malformed("the label download is not a PDF").with_status(status))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::ErrorKind;

    fn package(no: Option<&str>, delivery: Option<&str>) -> PackageWaybill {
        PackageWaybill {
            package_no: no.map(str::to_owned),
            delivery_no: delivery.map(str::to_owned),
            waybill_no: None,
            carrier: None,
            product_inventory_list: vec![],
        }
    }

    #[test]
    fn print_by_package_or_by_delivery() {
        let a = package(Some("GC23111521875392514"), None);
        let req = print_request("GSONAM44T00NWYG", Some(1), &[&a]).unwrap();
        assert_eq!(
            serde_json::to_string(&req).unwrap(),
            r#"{"orderNo":"GSONAM44T00NWYG","packageNo":["GC23111521875392514"]}"#
        );
        let b = package(Some("GU25072532795729922"), Some("GU25072532795729922"));
        let req = print_request("GSO1CL53800M5D4", Some(2), &[&b]).unwrap();
        assert_eq!(
            serde_json::to_string(&req).unwrap(),
            r#"{"deliveryNo":"GU25072532795729922"}"#
        );
        let c1 = package(None, Some("GU1"));
        let c2 = package(None, Some("GU2"));
        assert_eq!(
            print_request("X", Some(2), &[&c1, &c2]).unwrap_err().kind(),
            ErrorKind::Unsupported
        );
    }

    #[test]
    fn unprocessable_orders() {
        assert_eq!(not_processable(&[1, 7]).kind(), ErrorKind::Transient);
        let e = not_processable(&[3, 13]);
        assert_eq!(e.kind(), ErrorKind::Permanent);
        assert!(e.message().contains("3,13"));
        assert_eq!(not_processable(&[]).kind(), ErrorKind::Permanent);
    }

    #[test]
    fn download_must_be_a_pdf() {
        let pdf = RawResponse::new(200, "application/pdf", "%PDF-1.4\n...");
        assert!(DownloadClassifier.classify(&pdf).is_ok());
        let expired = RawResponse::new(
            403,
            "application/xml",
            "<Error><Code>AccessDenied</Code></Error>",
        );
        assert_eq!(
            DownloadClassifier.classify(&expired).unwrap_err().kind(),
            ErrorKind::Permanent
        );
        let html = RawResponse::new(200, "text/html", "<html>oops</html>");
        assert_eq!(
            DownloadClassifier.classify(&html).unwrap_err().kind(),
            ErrorKind::Malformed
        );
        let busy = RawResponse::new(503, "text/plain", "busy");
        assert_eq!(
            DownloadClassifier.classify(&busy).unwrap_err().kind(),
            ErrorKind::Transient
        );
    }
}
