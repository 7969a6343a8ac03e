//! Self-shipping waybill upload ("ERP订单履约方案" 5.1): the carrier as SHEIN names it for the
//! order's site (`/open-api/order/express-channel`; free text is not accepted), then
//! `/open-api/order/import-batch-multiple-express` with one `infoList` entry per physical unit
//! (`goodsId`, from a fresh order detail), `expressCode` = the tracking number, `status` 2
//! (add or update). A pending order (status 1) is first moved to "to be shipped" with
//! `/open-api/order/export-address` `handleType` 2, as SHEIN's flow requires.
//!
//! A repeat is success: `status` 2 updates a unit's waybill, and SHEIN accepts it while the
//! unit is to be shipped or waiting for collection (`newGoodsStatus` 2 or 7), answering
//! `code` "0" again. Units already collected with this very waybill are not sent again.

use std::collections::HashSet;

use core_model::{MarketplaceError, Operation, Shipment, TrackingAck};
use serde_json::json;

use crate::labels::LOGISTICS_CLASS;
use crate::model::{
    Envelope, ExportAddressRequest, ExpressChannels, Goods, ImportLine, ImportRequest,
    ImportResult, OrderDetail,
};
use crate::orders::{order_detail, ADDRESS_PATH, ORDERS_CLASS};
use crate::SheinConnector;

pub const CHANNEL_PATH: &str = "/open-api/order/express-channel";
pub const IMPORT_PATH: &str = "/open-api/order/import-batch-multiple-express";

/// `status` 2: add or update the unit's waybill (1 deletes it).
const ADD_OR_UPDATE: i64 = 2;
/// `handleType` 2: export the address and move the order from 1 (pending) to 2.
const EXPORT_AND_ACCEPT: i64 = 2;
/// "Waybill information, up to 100 can be transmitted."
const MAX_LINES: usize = 100;

pub async fn upload_tracking(
    c: &SheinConnector,
    shipment: &Shipment,
) -> Result<TrackingAck, MarketplaceError> {
    let op = Operation::UploadTracking;
    let tracking = shipment.tracking_number.trim();
    if tracking.is_empty() {
        return Err(MarketplaceError::permanent(
            "SHEIN needs a tracking number (expressCode) to record a shipment",
        ));
    }
    let order_no = shipment.platform_order_id.trim();
    let detail = order_detail(c, op, order_no).await?;
    let carried = carrying(&detail, tracking);
    let units = select_units(&detail, shipment, &carried)?;
    let already = units.iter().all(|g| carried.contains(&g.goods_id));
    if already && units.iter().all(|g| !accepts_waybill(g)) {
        // Collected or delivered under this waybill: SHEIN takes no more updates, and there is
        // nothing left to record.
        return Ok(TrackingAck {
            already_confirmed: true,
        });
    }
    if detail.order_status == Some(1) {
        let request = ExportAddressRequest {
            order_no,
            handle_type: EXPORT_AND_ACCEPT,
        };
        // The answer holds the address, which is not needed here.
        c.post(op, ORDERS_CLASS, ADDRESS_PATH, &request).await?;
    }
    let carrier = carrier(c, shipment, detail.sales_site.as_deref()).await?;
    for chunk in units.chunks(MAX_LINES) {
        let request = ImportRequest {
            order_no,
            info_list: chunk
                .iter()
                .map(|g| ImportLine {
                    goods_id: g.goods_id,
                    express_code: tracking,
                    express_id_code: &carrier,
                    status: ADD_OR_UPDATE,
                })
                .collect(),
        };
        let response = c.post(op, LOGISTICS_CLASS, IMPORT_PATH, &request).await?;
        // `code` "0" can still carry per-unit failures in `info` (FAQ 6).
        let envelope: Envelope<Vec<ImportResult>> = connector_kit::decode_json(&response.body)?;
        let failures: Vec<String> = envelope
            .info
            .unwrap_or_default()
            .into_iter()
            .filter_map(|r| {
                let msg = r.error_msg?.trim().to_owned();
                (!msg.is_empty()).then(|| match r.goods_id {
                    Some(id) => format!("goodsId {id}: {msg}"),
                    None => msg,
                })
            })
            .collect();
        if !failures.is_empty() {
            return Err(MarketplaceError::permanent(format!(
                "SHEIN refused the waybill for some units: {}",
                failures.join("; ")
            )));
        }
    }
    Ok(TrackingAck {
        already_confirmed: already,
    })
}

/// The units that already carry `tracking` (a package with that `waybillNo` lists them in
/// `productInventoryList`).
fn carrying(detail: &OrderDetail, tracking: &str) -> HashSet<u64> {
    detail
        .package_waybill_list
        .iter()
        .filter(|p| p.waybill_no.as_deref().map(str::trim) == Some(tracking))
        .flat_map(|p| p.product_inventory_list.iter().map(|i| i.product_id))
        .collect()
}

/// Whether SHEIN takes a waybill for the unit: pending, to be shipped or waiting for
/// collection ("商品必须具体满足哪些条件才可以上传运单成功": 2 or 7; 1 becomes 2 first).
fn accepts_waybill(g: &Goods) -> bool {
    matches!(g.new_goods_status, None | Some(1 | 2 | 7))
}

/// The units of the shipment: by the line's `goodsId`s (`line_id`, comma-separated), else by
/// seller SKU (or SHEIN's `skuCode`), `quantity` of them, those already carrying this
/// waybill first, then unshipped ones. No lines ships every unit that takes a waybill.
fn select_units<'a>(
    detail: &'a OrderDetail,
    shipment: &Shipment,
    carried: &HashSet<u64>,
) -> Result<Vec<&'a Goods>, MarketplaceError> {
    let eligible: Vec<&Goods> = detail
        .order_goods_info_list
        .iter()
        // Exchanged away (2) or a removed exchange (4) need no fulfilment.
        .filter(|g| !matches!(g.goods_exchange_tag, Some(2 | 4)))
        .filter(|g| accepts_waybill(g) || carried.contains(&g.goods_id))
        .collect();
    if shipment.lines.is_empty() {
        if eligible.is_empty() {
            return Err(MarketplaceError::permanent(
                "no unit of the order can take a waybill (refunded, exchanged or shipped)",
            ));
        }
        return Ok(eligible);
    }
    let rank = |g: &Goods| {
        if carried.contains(&g.goods_id) {
            0
        } else if matches!(g.new_goods_status, None | Some(1 | 2)) {
            1
        } else {
            2
        }
    };
    let mut chosen: Vec<&Goods> = Vec::new();
    for line in &shipment.lines {
        let ids: Vec<u64> = line
            .line_id
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .filter_map(|id| id.trim().parse().ok())
            .collect();
        let sku = line.platform_sku.trim();
        let free = |g: &&&Goods| !chosen.iter().any(|c| c.goods_id == g.goods_id);
        let mut candidates: Vec<&Goods> = if ids.is_empty() {
            let by_seller_sku: Vec<&Goods> = eligible
                .iter()
                .filter(free)
                .filter(|g| g.seller_sku.as_deref().map(str::trim) == Some(sku))
                .copied()
                .collect();
            if by_seller_sku.is_empty() && !sku.is_empty() {
                eligible
                    .iter()
                    .filter(free)
                    .filter(|g| g.sku_code.as_deref().map(str::trim) == Some(sku))
                    .copied()
                    .collect()
            } else {
                by_seller_sku
            }
        } else {
            eligible
                .iter()
                .filter(free)
                .filter(|g| ids.contains(&g.goods_id))
                .copied()
                .collect()
        };
        candidates.sort_by_key(|g| rank(g));
        let wanted = line.quantity as usize;
        if candidates.len() < wanted {
            return Err(MarketplaceError::permanent(format!(
                "SKU `{sku}`: {wanted} units to ship, {} of the order can take a waybill",
                candidates.len()
            )));
        }
        chosen.extend(candidates.into_iter().take(wanted));
    }
    Ok(chosen)
}

/// The carrier's `expressIdCode` as SHEIN spells it for the order's site: `carrier_code`,
/// else `carrier_name`, compared without case.
async fn carrier(
    c: &SheinConnector,
    shipment: &Shipment,
    site: Option<&str>,
) -> Result<String, MarketplaceError> {
    let channels: ExpressChannels = c
        .call(
            Operation::UploadTracking,
            LOGISTICS_CLASS,
            CHANNEL_PATH,
            &json!({}),
        )
        .await?;
    let on_site = |s: &Option<String>| match (site, s.as_deref()) {
        (Some(site), Some(s)) => s.trim().eq_ignore_ascii_case(site.trim()),
        _ => true,
    };
    let wanted = [
        Some(shipment.carrier_code.as_str()),
        shipment.carrier_name.as_deref(),
    ];
    wanted
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .find_map(|w| {
            channels
                .express_channels
                .iter()
                .find(|ch| on_site(&ch.site) && ch.express_id_code.trim().eq_ignore_ascii_case(w))
        })
        .map(|ch| ch.express_id_code.trim().to_owned())
        .ok_or_else(|| {
            MarketplaceError::permanent(format!(
                "carrier `{}` is not one of SHEIN's carriers for {} (express-channel)",
                shipment.carrier_code,
                site.unwrap_or("the store")
            ))
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::{ErrorKind, ShipmentLine};

    fn detail() -> OrderDetail {
        serde_json::from_str(
            r#"{"orderNo":"GSON8F44T00000N","orderStatus":7,"salesSite":"shein-us",
            "orderGoodsInfoList":[
              {"goodsId":3000000000065821,"sellerSku":"MUG-11","skuCode":"I1","newGoodsStatus":7},
              {"goodsId":3000000000065822,"sellerSku":"MUG-11","skuCode":"I1","newGoodsStatus":2},
              {"goodsId":3000000000065823,"sellerSku":"MUG-11","skuCode":"I1","newGoodsStatus":6},
              {"goodsId":3000000000065824,"sellerSku":"CAP","skuCode":"I2","newGoodsStatus":2,"goodsExchangeTag":2},
              {"goodsId":3000000000065825,"sellerSku":"","skuCode":"I3","newGoodsStatus":4}],
            "packageWaybillList":[{"packageNo":"GC1","waybillNo":"1Z999AA10123456784",
              "productInventoryList":[{"productId":"3000000000065821"},{"productId":"3000000000065825"}]}]}"#,
        )
        .unwrap()
    }

    fn shipment(lines: Vec<ShipmentLine>) -> Shipment {
        Shipment {
            platform_order_id: "GSON8F44T00000N".into(),
            package_ref: "P1".into(),
            carrier_code: "UPS".into(),
            carrier_name: None,
            shipping_method: None,
            tracking_number: "1Z999AA10123456784".into(),
            shipped_at: chrono::Utc::now(),
            lines,
        }
    }

    fn line(line_id: Option<&str>, sku: &str, quantity: u32) -> ShipmentLine {
        ShipmentLine {
            line_id: line_id.map(str::to_owned),
            platform_sku: sku.into(),
            quantity,
        }
    }

    fn ids(units: &[&Goods]) -> Vec<u64> {
        units.iter().map(|g| g.goods_id).collect()
    }

    #[test]
    fn units_by_sku_prefer_the_ones_already_carrying_the_waybill() {
        let d = detail();
        let carried = carrying(&d, "1Z999AA10123456784");
        assert_eq!(carried, HashSet::from([3000000000065821, 3000000000065825]));
        let s = shipment(vec![line(None, "MUG-11", 1)]);
        assert_eq!(
            ids(&select_units(&d, &s, &carried).unwrap()),
            [3000000000065821]
        );
        let s = shipment(vec![line(None, "MUG-11", 2)]);
        assert_eq!(
            ids(&select_units(&d, &s, &carried).unwrap()),
            [3000000000065821, 3000000000065822]
        );
        // The refunded third unit cannot take a waybill.
        let s = shipment(vec![line(None, "MUG-11", 3)]);
        assert_eq!(
            select_units(&d, &s, &carried).unwrap_err().kind(),
            ErrorKind::Permanent
        );
        // The exchanged-away unit neither.
        let s = shipment(vec![line(None, "CAP", 1)]);
        assert!(select_units(&d, &s, &carried).is_err());
        // An empty seller SKU falls back to SHEIN's skuCode; a shipped unit counts when it
        // carries this waybill.
        let s = shipment(vec![line(None, "I3", 1)]);
        assert_eq!(
            ids(&select_units(&d, &s, &carried).unwrap()),
            [3000000000065825]
        );
    }

    #[test]
    fn units_by_line_id_and_all_units_without_lines() {
        let d = detail();
        let carried = HashSet::new();
        let s = shipment(vec![line(
            Some("3000000000065821,3000000000065822"),
            "MUG-11",
            1,
        )]);
        assert_eq!(
            ids(&select_units(&d, &s, &carried).unwrap()),
            [3000000000065822]
        );
        let s = shipment(vec![]);
        assert_eq!(
            ids(&select_units(&d, &s, &carried).unwrap()),
            [3000000000065821, 3000000000065822]
        );
    }
}
