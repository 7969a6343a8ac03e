//! "Mark as shipped" on Coupang: read the box (`GET .../ordersheets/{shipmentBoxId}`), move it
//! from ACCEPT to INSTRUCT (`PUT .../ordersheets/acknowledgement`) when nobody has yet, then
//! upload the waybill for every item still in it (`POST .../orders/invoices`), which moves it
//! to DEPARTURE.
//!
//! Both status changes answer HTTP 200 with one result per box; failures are in
//! `responseList[].succeed/resultCode`. A repeat is recognised from Coupang's own answers: the
//! box already reads DEPARTURE (or later) with our waybill, or the invoice call refuses it with
//! `INVALID_STATUS` ("배송진행상태가 유효하지 않습니다", the box is no longer INSTRUCT, e.g. a
//! retried POST whose first try went through) and a fresh read shows our waybill. Either is
//! success with `already_confirmed`.
//! <https://developers.coupangcorp.com/hc/en-us/articles/360033792994>,
//! <https://developers.coupangcorp.com/hc/en-us/articles/360033793014-Uploading-Waybills>

use core_model::{MarketplaceError, Operation, Shipment, TrackingAck};
use http::Method;

use crate::model::{
    AcknowledgeRequest, InvoiceApplyDto, InvoiceRequest, OrderItem, OrderSheet, OrderSheetOne,
    StatusChangeResponse, StatusChangeResult,
};
use crate::orders::ORDERSHEETS;
use crate::CoupangConnector;

pub const ACKNOWLEDGEMENT: &str = "/ordersheets/acknowledgement";
pub const INVOICES: &str = "/orders/invoices";

/// `resultCode`s after which a fresh read of the box tells whether our waybill is already on it.
const MAYBE_ALREADY_UPLOADED: [&str; 3] = [
    "INVALID_STATUS",
    "NOT_ALLOW_INVOICE_NUMBER_RE_UPLOAD",
    "DUPLICATE_INVOICE_NUMBER",
];

/// Statuses in which the box has left with a waybill.
fn has_shipped(status: &str) -> bool {
    matches!(
        status,
        "DEPARTURE" | "DELIVERING" | "FINAL_DELIVERY" | "NONE_TRACKING"
    )
}

/// Courier codes of Coupang's `deliveryCompanyCode` table ("택배사 코드"), as of the portal
/// snapshot the connector follows (merged or closed couriers left out).
pub const COURIER_CODES: &[&str] = &[
    "CJGLS",
    "HANJIN",
    "HYUNDAI",
    "EPOST",
    "KGB",
    "KDEXP",
    "ILYANG",
    "CHUNIL",
    "DAESIN",
    "CVS",
    "HDEXP",
    "KUNYOUNG",
    "HONAM",
    "SLX",
    "NHLOGIS",
    "REGISTPOST",
    "AJOU",
    "CSLOGIS",
    "DADREAM",
    "KGBPS",
    "EMS",
    "DHL",
    "UPS",
    "FEDEX",
    "TNT",
    "USPS",
    "IPARCEL",
    "GSMNTON",
    "SWGEXP",
    "PANTOS",
    "ACIEXPRESS",
    "DAEWOON",
    "AIRBOY",
    "KGLNET",
    "LINEEXPRESS",
    "SFEXPRESS",
    "TWOFASTEXP",
    "ECMS",
    "SELC",
    "WONDERS",
    "YONGMA",
    "SEBANG",
    "LOTTEGLOBAL",
    "GSIEXPRESS",
    "EFS",
    "DHLGLOBALMAIL",
    "DIRECT",
    "COUPANG",
];

/// Names the OMS may use for the main Korean couriers, to Coupang's code. Lotte keeps its
/// legacy `HYUNDAI` code; Logen is `KGB`.
const COURIER_ALIASES: &[(&str, &str)] = &[
    ("CJ", "CJGLS"),
    ("CJLOGISTICS", "CJGLS"),
    ("CJ대한통운", "CJGLS"),
    ("LOTTE", "HYUNDAI"),
    ("LOTTEGLS", "HYUNDAI"),
    ("롯데택배", "HYUNDAI"),
    ("LOGEN", "KGB"),
    ("로젠택배", "KGB"),
    ("KOREAPOST", "EPOST"),
    ("우체국", "EPOST"),
    ("우체국택배", "EPOST"),
    ("한진택배", "HANJIN"),
    ("KYUNGDONG", "KDEXP"),
    ("경동택배", "KDEXP"),
];

fn courier_key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

/// Coupang's `deliveryCompanyCode` for a shipment's carrier: a known code as is, a known
/// alias of the code or the name mapped, anything else passed through uppercased (Coupang
/// adds couriers; it will refuse a code it does not know).
pub fn courier_code(carrier_code: &str, carrier_name: Option<&str>) -> String {
    let lookup = |s: &str| {
        let key = courier_key(s);
        COURIER_CODES
            .iter()
            .find(|c| **c == key)
            .map(|c| (*c).to_owned())
            .or_else(|| {
                COURIER_ALIASES
                    .iter()
                    .find(|(alias, _)| courier_key(alias) == key)
                    .map(|(_, code)| (*code).to_owned())
            })
    };
    lookup(carrier_code)
        .or_else(|| carrier_name.and_then(lookup))
        .unwrap_or_else(|| carrier_code.trim().to_ascii_uppercase())
}

/// Waybill numbers compared without the dashes and spaces people type.
fn same_waybill(a: &str, b: &str) -> bool {
    let norm = |s: &str| -> String { s.chars().filter(|c| c.is_ascii_alphanumeric()).collect() };
    let a = norm(a);
    !a.is_empty() && a == norm(b)
}

pub async fn upload_tracking(
    c: &CoupangConnector,
    shipment: &Shipment,
) -> Result<TrackingAck, MarketplaceError> {
    let box_id: u64 = shipment.platform_order_id.trim().parse().map_err(|_| {
        MarketplaceError::permanent("the platform order id is not a Coupang shipmentBoxId")
    })?;
    let invoice = shipment.tracking_number.trim();
    if invoice.is_empty() {
        return Err(MarketplaceError::permanent(
            "the shipment has no waybill number",
        ));
    }
    let courier = courier_code(&shipment.carrier_code, shipment.carrier_name.as_deref());

    let sheet = read_sheet(c, box_id).await?;
    match sheet.status.as_str() {
        "ACCEPT" => acknowledge(c, box_id).await?,
        "INSTRUCT" => {}
        status if has_shipped(status) => return already_shipped(&sheet, invoice),
        status => {
            return Err(MarketplaceError::permanent(format!(
                "box {box_id} is `{status}`; Coupang takes waybills only for INSTRUCT boxes"
            )))
        }
    }

    // The whole box leaves under one waybill: one DTO per item still to ship (Coupang wants
    // every item of a bundled box; split shipping is not used).
    let items: Vec<&OrderItem> = sheet
        .order_items
        .iter()
        .filter(|i| i.shippable() > 0)
        .collect();
    if items.is_empty() {
        return Err(MarketplaceError::permanent(format!(
            "box {box_id} has nothing left to ship: every item was cancelled"
        )));
    }
    let body = InvoiceRequest {
        vendor_id: c.vendor_id(),
        order_sheet_invoice_apply_dtos: items
            .iter()
            .map(|item| InvoiceApplyDto {
                shipment_box_id: box_id,
                order_id: sheet.order_id,
                vendor_item_id: item.vendor_item_id,
                delivery_company_code: &courier,
                invoice_number: invoice,
                split_shipping: false,
                pre_split_shipped: false,
                estimated_shipping_date: "",
            })
            .collect(),
    };
    let request = c.json(
        Operation::UploadTracking,
        Method::POST,
        c.vendor_url(INVOICES)?,
        &body,
    )?;
    let result = result_for(c.send(request).await?.json()?, box_id)?;
    if result.succeed {
        return Ok(TrackingAck {
            already_confirmed: false,
        });
    }
    let code = result.result_code.as_deref().unwrap_or_default();
    if MAYBE_ALREADY_UPLOADED.contains(&code) {
        let now = read_sheet(c, box_id).await?;
        if has_shipped(&now.status)
            && now
                .invoice_number
                .as_deref()
                .is_some_and(|n| same_waybill(n, invoice))
        {
            tracing::info!(
                platform = "coupang",
                shipment_box_id = box_id,
                result_code = code,
                "waybill already on the box; the upload is a repeat"
            );
            return Ok(TrackingAck {
                already_confirmed: true,
            });
        }
    }
    Err(refused(&result, "invoice upload"))
}

/// ACCEPT -> INSTRUCT. A refusal is checked against a fresh read: a box already in INSTRUCT
/// (a retried PUT whose first try went through, or the seller acting in Wing) is fine.
async fn acknowledge(c: &CoupangConnector, box_id: u64) -> Result<(), MarketplaceError> {
    let body = AcknowledgeRequest {
        vendor_id: c.vendor_id(),
        shipment_box_ids: vec![box_id],
    };
    let request = c.json(
        Operation::UploadTracking,
        Method::PUT,
        c.vendor_url(ACKNOWLEDGEMENT)?,
        &body,
    )?;
    let result = result_for(c.send(request).await?.json()?, box_id)?;
    if result.succeed || read_sheet(c, box_id).await?.status == "INSTRUCT" {
        Ok(())
    } else {
        Err(refused(&result, "acknowledgement"))
    }
}

async fn read_sheet(c: &CoupangConnector, box_id: u64) -> Result<OrderSheet, MarketplaceError> {
    let url = c.vendor_url(&format!("{ORDERSHEETS}/{box_id}"))?;
    let one: OrderSheetOne = c
        .send(c.get(Operation::UploadTracking, url))
        .await?
        .json()?;
    one.data.ok_or_else(|| {
        MarketplaceError::malformed(format!("ordersheets/{box_id} answered without `data`"))
    })
}

fn already_shipped(sheet: &OrderSheet, invoice: &str) -> Result<TrackingAck, MarketplaceError> {
    if sheet
        .invoice_number
        .as_deref()
        .is_some_and(|n| same_waybill(n, invoice))
    {
        Ok(TrackingAck {
            already_confirmed: true,
        })
    } else {
        Err(MarketplaceError::permanent(format!(
            "box {} is already `{}` with another waybill; correct it in Wing (or updateInvoices)",
            sheet.shipment_box_id, sheet.status
        ))
        .with_code("ALREADY_SHIPPED"))
    }
}

/// The result for `box_id` in a status-change answer.
fn result_for(
    response: StatusChangeResponse,
    box_id: u64,
) -> Result<StatusChangeResult, MarketplaceError> {
    let data = response
        .data
        .ok_or_else(|| MarketplaceError::malformed("the status change answered without `data`"))?;
    let mine = data
        .response_list
        .iter()
        .find(|r| r.shipment_box_id == Some(box_id))
        .or_else(|| data.response_list.first())
        .cloned();
    match (mine, data.response_code) {
        (Some(result), _) => Ok(result),
        (None, Some(0)) => Ok(StatusChangeResult {
            shipment_box_id: Some(box_id),
            succeed: true,
            result_code: Some("OK".to_owned()),
            result_message: data.response_message,
            retry_required: false,
        }),
        (None, code) => Err(MarketplaceError::permanent(
            data.response_message
                .unwrap_or_else(|| format!("status change failed (responseCode {code:?})")),
        )),
    }
}

/// A refused item: transient when Coupang says a retry may succeed.
fn refused(result: &StatusChangeResult, what: &str) -> MarketplaceError {
    let code = result
        .result_code
        .clone()
        .unwrap_or_else(|| "UNKNOWN".to_owned());
    let message = match result.result_message.as_deref().map(str::trim) {
        Some(m) if !m.is_empty() => format!("{what} refused: {m}"),
        _ => format!("{what} refused: {code}"),
    };
    let err = if result.retry_required {
        MarketplaceError::transient(message)
    } else {
        MarketplaceError::permanent(message)
    };
    err.with_code(code)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::ErrorKind;

    #[test]
    fn courier_codes_and_aliases() {
        for (code, name, want) in [
            ("CJGLS", None, "CJGLS"),
            ("cjgls", None, "CJGLS"),
            ("CJ Logistics", None, "CJGLS"),
            ("LOTTE", None, "HYUNDAI"),
            ("Logen", None, "KGB"),
            ("korea-post", None, "EPOST"),
            ("", Some("CJ대한통운"), "CJGLS"),
            ("X", Some("우체국택배"), "EPOST"),
            ("DIRECT", None, "DIRECT"),
            ("newcourier", None, "NEWCOURIER"),
        ] {
            assert_eq!(courier_code(code, name), want, "{code} {name:?}");
        }
        assert!(COURIER_CODES.iter().all(|c| courier_key(c) == *c));
    }

    #[test]
    fn waybills_compare_without_separators() {
        assert!(same_waybill("6500-1234-5678", "650012345678"));
        assert!(!same_waybill("650012345678", "650012345679"));
        assert!(!same_waybill("", ""));
    }

    fn response(json: &str) -> StatusChangeResponse {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn per_item_results_decide() {
        let ok = response(
            r#"{"code":"200","message":"OK","data":{"responseCode":0,"responseMessage":"SUCCESS",
            "responseList":[{"shipmentBoxId":606920263,"succeed":true,"resultCode":"OK","retryRequired":false,"resultMessage":null}]}}"#,
        );
        assert!(result_for(ok, 606920263).unwrap().succeed);

        // The acknowledgement sample: one box fine, one not found (retryRequired true).
        let partial = r#"{"code":"200","message":"OK","data":{"responseKey":-7326489997410939972,"responseCode":1,
            "responseMessage":"apply instructStatus result - Partial errors.","responseList":[
            {"shipmentBoxId":102391542,"succeed":true,"resultCode":"OK","retryRequired":false,"resultMessage":"request succeeded."},
            {"shipmentBoxId":102391599,"succeed":false,"resultCode":"NOT_FOUND_SHIPMENT_BOX","retryRequired":true,"resultMessage":"shipmentBoxId (102391599) is not found."}]}}"#;
        assert!(result_for(response(partial), 102391542).unwrap().succeed);
        let r = result_for(response(partial), 102391599).unwrap();
        let e = refused(&r, "acknowledgement");
        assert_eq!(e.kind(), ErrorKind::Transient);
        assert_eq!(e.code(), Some("NOT_FOUND_SHIPMENT_BOX"));
        assert!(e.message().contains("is not found"));

        let invalid = response(
            r#"{"code":"200","message":"OK","data":{"responseCode":99,"responseMessage":"FAILED",
            "responseList":[{"shipmentBoxId":5,"succeed":false,"resultCode":"INVALID_STATUS","retryRequired":false,
            "resultMessage":"배송진행상태가 유효하지 않습니다. [주문번호 : 14101552820428]"}]}}"#,
        );
        let e = refused(&result_for(invalid, 5).unwrap(), "invoice upload");
        assert_eq!(
            (e.kind(), e.code()),
            (ErrorKind::Permanent, Some("INVALID_STATUS"))
        );

        let empty_ok = response(
            r#"{"code":"200","message":"OK","data":{"responseCode":0,"responseList":[]}}"#,
        );
        assert!(result_for(empty_ok, 9).unwrap().succeed);
        let empty_failed = response(
            r#"{"code":"200","message":"OK","data":{"responseCode":99,"responseMessage":"배송상태를 변경할 수 없습니다. 주문내역을 확인해주세요.","responseList":[]}}"#,
        );
        assert_eq!(
            result_for(empty_failed, 9).unwrap_err().kind(),
            ErrorKind::Permanent
        );
        assert_eq!(
            result_for(response(r#"{"code":"200","message":"OK"}"#), 9)
                .unwrap_err()
                .kind(),
            ErrorKind::Malformed
        );
    }

    #[test]
    fn the_invoice_body_follows_the_documented_example() {
        let body = InvoiceRequest {
            vendor_id: "A00012345",
            order_sheet_invoice_apply_dtos: vec![InvoiceApplyDto {
                shipment_box_id: 606920263,
                order_id: 4000019469460,
                vendor_item_id: 3823839899,
                delivery_company_code: "CJGLS",
                invoice_number: "650012345678",
                split_shipping: false,
                pre_split_shipped: false,
                estimated_shipping_date: "",
            }],
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({"vendorId":"A00012345","orderSheetInvoiceApplyDtos":[
                {"shipmentBoxId":606920263,"orderId":4000019469460u64,"vendorItemId":3823839899u64,
                 "deliveryCompanyCode":"CJGLS","invoiceNumber":"650012345678",
                 "splitShipping":false,"preSplitShipped":false,"estimatedShippingDate":""}]})
        );
    }
}
