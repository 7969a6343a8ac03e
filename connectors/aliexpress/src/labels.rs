//! The AliExpress online-logistics label: the order's logistics (warehouse) order from
//! `aliexpress.logistics.querylogisticsorderdetail` (`trade_order_id`), then its label from
//! `aliexpress.logistics.redefining.getprintinfo` (`international_logistics_id` = the
//! international tracking number), a Base64 PDF inside the `result` string.
//!
//! The logistics order itself is created in Seller Center or with
//! `aliexpress.logistics.createwarehouseorder` (sender, pickup and refund address ids,
//! customs declaration); this connector does not create one, so an order without one has no
//! label yet.

use base64::Engine;
use bytes::Bytes;
use core_model::{Label, LabelFormat, LabelSpec, MarketplaceError, Operation, PlatformOrder};

use crate::model::{
    response_of, LogisticsOrder, LogisticsOrdersResponse, PrintBody, PrintInfoResponse,
};
use crate::AliexpressConnector;

/// The endpoint class of the logistics and fulfillment APIs.
pub const LOGISTICS_CLASS: &str = "logistics";

pub const QUERY_METHOD: &str = "aliexpress.logistics.querylogisticsorderdetail";
pub const PRINT_METHOD: &str = "aliexpress.logistics.redefining.getprintinfo";

pub async fn fetch_label(
    c: &AliexpressConnector,
    order: &PlatformOrder,
    spec: &LabelSpec,
) -> Result<Label, MarketplaceError> {
    if spec.format.is_some_and(|f| f != LabelFormat::Pdf) {
        return Err(MarketplaceError::unsupported(
            "AliExpress online logistics labels are PDF only",
        ));
    }
    let op = Operation::FetchLabel;
    let response = c
        .call(
            op,
            LOGISTICS_CLASS,
            QUERY_METHOD,
            vec![
                (
                    "trade_order_id".to_owned(),
                    order.platform_order_id.trim().to_owned(),
                ),
                ("current_page".to_owned(), "1".to_owned()),
                ("page_size".to_owned(), "20".to_owned()),
            ],
        )
        .await?;
    let found: LogisticsOrdersResponse = response_of(&response.body, QUERY_METHOD)?;
    let chosen = choose(&found.result.result_list, spec.service.as_deref())?;
    let tracking = chosen
        .international_logistics_num
        .clone()
        .unwrap_or_default();

    let response = c
        .call(
            op,
            LOGISTICS_CLASS,
            PRINT_METHOD,
            vec![("international_logistics_id".to_owned(), tracking.clone())],
        )
        .await?;
    let print: PrintInfoResponse = response_of(&response.body, PRINT_METHOD)?;
    Ok(Label {
        format: LabelFormat::Pdf,
        bytes: label_bytes(print.result.as_deref())?,
        tracking_number: Some(tracking),
        carrier: chosen.international_logistics_type.clone(),
    })
}

/// The logistics order to print: one with an international tracking number that is not closed,
/// of the service the caller asked for if any, else the newest.
fn choose<'a>(
    orders: &'a [LogisticsOrder],
    service: Option<&str>,
) -> Result<&'a LogisticsOrder, MarketplaceError> {
    let live: Vec<&LogisticsOrder> = orders
        .iter()
        .filter(|o| o.international_logistics_num.is_some())
        .filter(|o| {
            let status = o
                .logistics_status
                .as_deref()
                .unwrap_or_default()
                .to_ascii_uppercase();
            !(status.contains("CLOSE") || status.contains("CANCEL"))
        })
        .collect();
    let wanted = service.map(str::trim).filter(|s| !s.is_empty());
    let of_service = |o: &&&LogisticsOrder| {
        wanted.is_none_or(|w| {
            o.international_logistics_type
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case(w))
        })
    };
    live.iter()
        .filter(of_service)
        .max_by(|a, b| a.gmt_create.cmp(&b.gmt_create))
        .copied()
        .ok_or_else(|| {
            MarketplaceError::permanent(match wanted {
                Some(w) => format!(
                    "the order has no open online logistics order of service {w} with a tracking number"
                ),
                None => "the order has no open online logistics order with a tracking number; create one in Seller Center (or with aliexpress.logistics.createwarehouseorder) first".to_owned(),
            })
        })
}

/// getprintinfo's `result`: JSON text whose `body` is the Base64 PDF (the shape the logistics
/// print APIs use), or the Base64 itself.
fn label_bytes(result: Option<&str>) -> Result<Bytes, MarketplaceError> {
    let text = result.map(str::trim).unwrap_or_default();
    if text.is_empty() {
        return Err(MarketplaceError::malformed(
            "getprintinfo answered no label",
        ));
    }
    let encoded = if text.starts_with('{') {
        let body: PrintBody = connector_kit::decode_json(text.as_bytes())?;
        if let Some(code) = body.status_code.filter(|c| *c != 200) {
            return Err(MarketplaceError::transient(format!(
                "the label service answered status {code}"
            )));
        }
        body.body
            .ok_or_else(|| MarketplaceError::malformed("getprintinfo's result has no `body`"))?
    } else {
        text.to_owned()
    };
    let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| MarketplaceError::malformed("the label is not Base64"))?;
    if !bytes.starts_with(b"%PDF") {
        return Err(MarketplaceError::malformed("the label is not a PDF"));
    }
    Ok(Bytes::from(bytes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::ErrorKind;

    fn logistics(num: Option<&str>, kind: &str, status: &str, created: &str) -> LogisticsOrder {
        LogisticsOrder {
            international_logistics_num: num.map(str::to_owned),
            international_logistics_type: Some(kind.to_owned()),
            logistics_order_id: Some("5043788595".to_owned()),
            logistics_status: Some(status.to_owned()),
            gmt_create: Some(created.to_owned()),
        }
    }

    #[test]
    fn the_newest_open_logistics_order_is_printed() {
        let orders = [
            logistics(
                Some("LP1"),
                "CAINIAO_STANDARD",
                "closed",
                "2026-05-11 09:00:00",
            ),
            logistics(
                Some("LP2"),
                "CAINIAO_STANDARD",
                "init",
                "2026-05-10 09:00:00",
            ),
            logistics(
                Some("LP3"),
                "AE_CN_SUPER_ECONOMY",
                "init",
                "2026-05-10 10:00:00",
            ),
            logistics(None, "CAINIAO_STANDARD", "init", "2026-05-12 10:00:00"),
        ];
        let pick = |service| {
            choose(&orders, service)
                .unwrap()
                .international_logistics_num
                .clone()
        };
        assert_eq!(pick(None).as_deref(), Some("LP3"));
        assert_eq!(pick(Some("cainiao_standard")).as_deref(), Some("LP2"));
        let e = choose(&orders, Some("UPS")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Permanent);
        assert!(choose(&[], None)
            .unwrap_err()
            .message()
            .contains("Seller Center"));
    }

    #[test]
    fn the_label_is_the_base64_body() {
        let pdf = base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.4 label");
        let wrapped =
            format!(r#"{{"StatusCode":200,"Content-Type":"application/pdf","body":"{pdf}"}}"#);
        assert_eq!(
            label_bytes(Some(&wrapped)).unwrap().as_ref(),
            b"%PDF-1.4 label"
        );
        assert_eq!(label_bytes(Some(&pdf)).unwrap().as_ref(), b"%PDF-1.4 label");
        assert_eq!(
            label_bytes(Some("")).unwrap_err().kind(),
            ErrorKind::Malformed
        );
        let text = base64::engine::general_purpose::STANDARD.encode(b"<html>");
        assert_eq!(
            label_bytes(Some(&text)).unwrap_err().kind(),
            ErrorKind::Malformed
        );
        let failed = format!(r#"{{"StatusCode":500,"body":"{pdf}"}}"#);
        assert_eq!(
            label_bytes(Some(&failed)).unwrap_err().kind(),
            ErrorKind::Transient
        );
    }
}
