//! Temu buy-shipping labels ("Order Fulfillment Guide", Buy-Shipping): the ship-from warehouse
//! (`bg.logistics.warehouse.list.get`), a channel (`bg.logistics.shippingservices.get`), the
//! purchase (`bg.logistics.shipment.create`, asynchronous: it returns package numbers),
//! `bg.logistics.shipment.result.get` until `shippingLabelStatus` is 1 (0 "in application" is
//! classified transient, so the kit's retry budget does the waiting; 2 "failed" is permanent
//! with Temu's reason), `bg.logistics.shipment.document.get` for a signed URL (valid ten
//! minutes) and the GET of that URL with the `toa-*` headers, whose body is the PDF.

use connector_kit::{decode_json, ApiRequest, RawResponse, ResponseClassifier};
use core_model::{
    Label, LabelFormat, LabelSpec, MarketplaceError, Operation, Parcel, PlatformOrder,
};
use rust_decimal::Decimal;
use std::str::FromStr;
use url::Url;

use crate::auth::Call;
use crate::error::{parse_error, ALREADY_REQUESTED};
use crate::model::{
    Channel, CreateResult, CreateSendRequest, Documents, Envelope, OrderSendInfo, PackageResult,
    PageItem, ParcelSize, ShipOrderInfo, ShipmentResults, ShippingServices, WarehouseList,
};
use crate::orders::{DETAIL, ORDERS_CLASS};
use crate::TemuConnector;

/// The endpoint class of the logistics APIs.
pub const LOGISTICS_CLASS: &str = "logistics";
/// The signed document downloads.
pub const DOWNLOAD_CLASS: &str = "download";

pub const WAREHOUSES: &str = "bg.logistics.warehouse.list.get";
pub const SHIPPING_SERVICES: &str = "bg.logistics.shippingservices.get";
pub const CREATE: &str = "bg.logistics.shipment.create";
pub const RESULT: &str = "bg.logistics.shipment.result.get";
pub const DOCUMENT: &str = "bg.logistics.shipment.document.get";

/// `documentType` of a PDF label (`SHIPPING_LABEL_IMAGE` is the other value).
pub const DOCUMENT_TYPE_PDF: &str = "SHIPPING_LABEL_PDF";

/// `regionId` of the United States, where parcels are measured in pounds and inches.
const US_REGION: u64 = 211;

pub async fn fetch_label(
    c: &TemuConnector,
    order: &PlatformOrder,
    spec: &LabelSpec,
) -> Result<Label, MarketplaceError> {
    let op = Operation::FetchLabel;
    if spec.format.is_some_and(|f| f != LabelFormat::Pdf) {
        return Err(MarketplaceError::unsupported(
            "this connector fetches Temu labels as PDF (SHIPPING_LABEL_PDF) only",
        ));
    }
    let Some(parcel) = spec.parcel else {
        return Err(MarketplaceError::permanent(
            "Temu buy shipping needs the parcel's weight and size (LabelSpec.parcel)",
        ));
    };
    let item: PageItem = decode_json(order.raw_json().as_bytes())?;
    let parent_sn = item.parent_order_map.parent_order_sn.clone();
    let lines = send_infos(&item)?;
    let size = parcel_size(&parcel, item.parent_order_map.region_id == Some(US_REGION));

    let warehouse_id = warehouse(c).await?;
    let channel = channel(c, &warehouse_id, &lines, &size, spec.service.as_deref()).await?;
    let package = CreateSendRequest {
        ship_company_id: channel.ship_company_id,
        channel_id: channel.channel_id,
        warehouse_id,
        parcel: size,
        order_send_info_list: lines,
    };
    let call = Call::new(CREATE)
        .param("sendType", &0)?
        .param("shipLater", &false)?
        .param("sendRequestList", &[&package])?;
    let packages = match c.call::<CreateResult>(op, LOGISTICS_CLASS, call).await {
        Ok(created) => created.package_sn_list,
        // Bought before (a lost answer, an earlier try): find the package on the order.
        Err(e) if e.code().and_then(|c| c.parse().ok()) == Some(ALREADY_REQUESTED) => {
            existing_packages(c, &parent_sn).await?
        }
        Err(e) => return Err(e),
    };
    if packages.is_empty() {
        return Err(MarketplaceError::malformed(format!(
            "{CREATE} answered no package number"
        )));
    }

    let call = Call::new(RESULT).param("packageSnList", &packages)?;
    let response = c
        .send(op, LOGISTICS_CLASS, call, Some(&ResultClassifier))
        .await?;
    let results = crate::result_of::<ShipmentResults>(&response, RESULT)?.package_info_result_list;
    let first: Option<&PackageResult> = results.first();

    let call = Call::new(DOCUMENT)
        .param("documentType", DOCUMENT_TYPE_PDF)?
        .param("packageSnList", &packages)?;
    let documents: Documents = c.call(op, LOGISTICS_CLASS, call).await?;
    let Some(document) = documents.shipping_label_url_list.first() else {
        return Err(MarketplaceError::malformed(format!(
            "{DOCUMENT} answered no label URL"
        )));
    };
    let bytes = download(c, &document.url).await?;
    Ok(Label {
        format: LabelFormat::Pdf,
        bytes,
        tracking_number: first.and_then(|p| p.tracking_number.clone()),
        carrier: first
            .and_then(|p| p.shipping_company_name.clone())
            .or(channel.shipping_company_name),
    })
}

/// Every order of the PO still to ship, with the ids Temu wants back.
fn send_infos(item: &PageItem) -> Result<Vec<OrderSendInfo>, MarketplaceError> {
    let parent = &item.parent_order_map.parent_order_sn;
    let lines: Vec<OrderSendInfo> = item
        .order_list
        .iter()
        .filter(|l| l.quantity > 0)
        .map(|l| {
            let missing = |what: &str| {
                MarketplaceError::malformed(format!("order {} has no {what}", l.order_sn))
            };
            Ok(OrderSendInfo {
                parent_order_sn: parent.clone(),
                order_sn: l.order_sn.clone(),
                goods_id: l.goods_id.ok_or_else(|| missing("goodsId"))?,
                sku_id: l
                    .sku_id
                    .or(l.product_list.first().and_then(|p| p.product_sku_id))
                    .ok_or_else(|| missing("skuId"))?,
                quantity: l.quantity,
            })
        })
        .collect::<Result<_, MarketplaceError>>()?;
    if lines.is_empty() {
        return Err(MarketplaceError::permanent(format!(
            "{parent} has nothing left to ship"
        )));
    }
    Ok(lines)
}

/// Weight as a whole number (error 120015521 "The parameter Weight should be integer"),
/// rounded up; sizes rounded up to 0.01. Pounds and inches for US orders, else kg and cm.
pub fn parcel_size(parcel: &Parcel, imperial: bool) -> ParcelSize {
    // The small epsilon keeps binary noise (3.94 * 100 = 393.99999...) from adding a cent.
    let up2 = |x: f64| format!("{:.2}", (x.max(0.0) * 100.0 - 1e-6).ceil().max(0.0) / 100.0);
    let (weight, weight_unit, factor, dimension_unit) = if imperial {
        (parcel.weight_g / 453.592_37, "lb", 1.0 / 2.54, "in")
    } else {
        (parcel.weight_g / 1000.0, "kg", 1.0, "cm")
    };
    ParcelSize {
        weight: format!("{}", (weight.max(0.0) - 1e-9).ceil().max(1.0)),
        weight_unit,
        length: up2(parcel.length_cm * factor),
        width: up2(parcel.width_cm * factor),
        height: up2(parcel.height_cm * factor),
        dimension_unit,
    }
}

/// The store's default warehouse among those that may buy Temu labels.
async fn warehouse(c: &TemuConnector) -> Result<String, MarketplaceError> {
    let call = Call::new(WAREHOUSES).param("returnEnableBuyShippingLabelOnly", &true)?;
    let list: WarehouseList = c.call(Operation::FetchLabel, LOGISTICS_CLASS, call).await?;
    let usable = || {
        list.warehouse_list
            .iter()
            .filter(|w| w.enable_buy_shipping_label != Some(false))
    };
    usable()
        .find(|w| w.default_warehouse == Some(true))
        .or_else(|| usable().next())
        .map(|w| w.warehouse_id.clone())
        .ok_or_else(|| {
            MarketplaceError::permanent("the store has no warehouse that may buy Temu labels")
        })
}

/// The channel `service` names (`channelId`), else the cheapest one Temu offers.
async fn channel(
    c: &TemuConnector,
    warehouse_id: &str,
    lines: &[OrderSendInfo],
    size: &ParcelSize,
    service: Option<&str>,
) -> Result<Channel, MarketplaceError> {
    let orders: Vec<ShipOrderInfo> = lines
        .iter()
        .map(|l| ShipOrderInfo {
            parent_order_sn: l.parent_order_sn.clone(),
            order_sn: l.order_sn.clone(),
            quantity: l.quantity,
        })
        .collect();
    let call = Call::new(SHIPPING_SERVICES)
        .param("warehouseId", warehouse_id)?
        .param("shipOrderInfoList", &orders)?
        .param("weight", &size.weight)?
        .param("weightUnit", size.weight_unit)?
        .param("length", &size.length)?
        .param("width", &size.width)?
        .param("height", &size.height)?
        .param("dimensionUnit", size.dimension_unit)?;
    let services: ShippingServices = c.call(Operation::FetchLabel, LOGISTICS_CLASS, call).await?;
    let channels = services.online_channel_dto_list;
    if let Some(wanted) = service.map(str::trim).filter(|s| !s.is_empty()) {
        return channels
            .into_iter()
            .find(|ch| ch.channel_id.to_string() == wanted)
            .ok_or_else(|| {
                MarketplaceError::permanent(format!(
                    "Temu offers no channel {wanted} for this parcel"
                ))
            });
    }
    let price = |ch: &Channel| {
        ch.estimated_amount
            .as_deref()
            .and_then(|a| Decimal::from_str(a.trim()).ok())
    };
    let mut best: Option<Channel> = None;
    for ch in channels {
        let cheaper = match (&best, price(&ch)) {
            (None, _) => true,
            (Some(b), Some(p)) => price(b).is_none_or(|bp| p < bp),
            (Some(_), None) => false,
        };
        if cheaper {
            best = Some(ch);
        }
    }
    best.ok_or_else(|| MarketplaceError::permanent("Temu offers no channel for this parcel"))
}

/// The packages already bought for the PO (bg.order.detail.v2.get `packageSnInfo`).
async fn existing_packages(
    c: &TemuConnector,
    parent_sn: &str,
) -> Result<Vec<String>, MarketplaceError> {
    let call = Call::new(DETAIL).param("parentOrderSn", parent_sn)?;
    let detail: PageItem = c.call(Operation::FetchLabel, ORDERS_CLASS, call).await?;
    let mut packages: Vec<String> = Vec::new();
    for info in detail.order_list.iter().flat_map(|o| &o.package_sn_info) {
        if let Some(sn) = info.package_sn.clone().filter(|s| !s.is_empty()) {
            if info.call_success != Some(false) && !packages.contains(&sn) {
                packages.push(sn);
            }
        }
    }
    Ok(packages)
}

/// GET the signed label URL (rebased onto the base-URL override) with the `toa-*` headers.
async fn download(c: &TemuConnector, url: &str) -> Result<bytes::Bytes, MarketplaceError> {
    let real = Url::parse(url)
        .map_err(|_| MarketplaceError::malformed(format!("{DOCUMENT} answered an invalid URL")))?;
    // The headers carry the access token: only ever to Temu's own hosts.
    let temu_host = real
        .host_str()
        .is_some_and(|h| h == "temu.com" || h.ends_with(".temu.com"));
    if real.scheme() != "https" || !temu_host {
        return Err(MarketplaceError::permanent(
            "the label URL is not an https URL on a temu.com host; not sending credentials",
        ));
    }
    let target = c.http().hosts().rebase(real)?;
    let request = ApiRequest::get(Operation::FetchLabel, DOWNLOAD_CLASS, target);
    let response = c
        .http()
        .send_classified(request, Some(c.toa()), &DownloadClassifier)
        .await?;
    Ok(response.body)
}

/// bg.logistics.shipment.result.get: every package must reach status 1.
#[derive(Debug)]
struct ResultClassifier;

impl ResponseClassifier for ResultClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        parse_error(r)?;
        let results = decode_json::<Envelope<ShipmentResults>>(&r.body)?
            .result
            .map(|x| x.package_info_result_list)
            .unwrap_or_default();
        if results.is_empty() {
            return Err(MarketplaceError::transient(
                "buy shipping result not available yet",
            ));
        }
        for p in &results {
            match p.shipping_label_status {
                Some(1) => {}
                Some(2) => {
                    let reason = [p.fail_reason_text.as_deref(), p.solution_text.as_deref()]
                        .into_iter()
                        .flatten()
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .collect::<Vec<_>>()
                        .join(" ");
                    return Err(MarketplaceError::permanent(format!(
                        "buying the label of package {} failed: {}",
                        p.package_sn.as_deref().unwrap_or("?"),
                        if reason.is_empty() {
                            "no reason given"
                        } else {
                            &reason
                        }
                    ))
                    .with_code("shippingLabelStatus=2"));
                }
                _ => {
                    return Err(MarketplaceError::transient(
                        "the label is still being applied for (shippingLabelStatus 0)",
                    ))
                }
            }
        }
        Ok(())
    }
}

/// The download's success body is the PDF; a JSON body is an error envelope.
#[derive(Debug)]
struct DownloadClassifier;

impl ResponseClassifier for DownloadClassifier {
    fn classify(&self, r: &RawResponse) -> Result<(), MarketplaceError> {
        parse_error(r)?;
        let json = r.is_json() || r.body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        if json {
            return Err(MarketplaceError::malformed(
                "the label download answered JSON, not a document",
            ));
        }
        if !r.body.starts_with(b"%PDF") {
            return Err(MarketplaceError::malformed(
                "the label download is not a PDF",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::ErrorKind;

    fn result(status: i64) -> RawResponse {
        RawResponse::new(
            200,
            "application/json",
            format!(
                r#"{{"success":true,"errorCode":1000000,"errorMsg":"","result":{{"packageInfoResultList":[{{"packageSn":"PK1","shippingLabelStatus":{status},"failReasonText":"Address not serviceable","solutionText":"Choose another channel"}}]}}}}"#
            ),
        )
    }

    #[test]
    fn result_polls_in_application_and_fails_failed() {
        assert!(ResultClassifier.classify(&result(1)).is_ok());
        assert_eq!(
            ResultClassifier.classify(&result(0)).unwrap_err().kind(),
            ErrorKind::Transient
        );
        let failed = ResultClassifier.classify(&result(2)).unwrap_err();
        assert_eq!(failed.kind(), ErrorKind::Permanent);
        assert!(failed
            .message()
            .contains("Address not serviceable Choose another channel"));
        let error = RawResponse::new(
            200,
            "application/json",
            r#"{"success":false,"errorCode":120018027,"errorMsg":"The packageSn is invalid."}"#,
        );
        assert_eq!(
            ResultClassifier.classify(&error).unwrap_err().code(),
            Some("120018027")
        );
    }

    #[test]
    fn download_must_be_a_pdf() {
        let pdf = RawResponse::new(200, "application/pdf", "%PDF-1.4\n...");
        assert!(DownloadClassifier.classify(&pdf).is_ok());
        let envelope = RawResponse::new(
            200,
            "application/json",
            r#"{"success":false,"errorCode":3000001,"errorMsg":"SIGN_UNVALID"}"#,
        );
        assert_eq!(
            DownloadClassifier.classify(&envelope).unwrap_err().code(),
            Some("3000001")
        );
        let html = RawResponse::new(200, "text/html", "<html>expired</html>");
        assert_eq!(
            DownloadClassifier.classify(&html).unwrap_err().kind(),
            ErrorKind::Malformed
        );
    }

    #[test]
    fn parcels_in_the_units_of_the_region() {
        let p = Parcel {
            length_cm: 30.0,
            width_cm: 20.0,
            height_cm: 10.0,
            weight_g: 1200.0,
        };
        let us = parcel_size(&p, true);
        assert_eq!(
            (
                us.weight.as_str(),
                us.weight_unit,
                us.length.as_str(),
                us.width.as_str(),
                us.height.as_str(),
                us.dimension_unit
            ),
            ("3", "lb", "11.82", "7.88", "3.94", "in")
        );
        let eu = parcel_size(&p, false);
        assert_eq!(
            (
                eu.weight.as_str(),
                eu.weight_unit,
                eu.length.as_str(),
                eu.dimension_unit
            ),
            ("2", "kg", "30.00", "cm")
        );
        let light = parcel_size(
            &Parcel {
                weight_g: 50.0,
                ..p
            },
            false,
        );
        assert_eq!(light.weight, "1");
    }
}
