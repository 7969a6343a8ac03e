//! "Mark as shipped" for a posting: assemble it (`POST /v4/posting/fbs/ship`, one package with
//! the shipment's products, which moves it to `awaiting_deliver`), then attach the carrier's
//! number (`POST /v2/fbs/posting/tracking-number/set`). The carrier is not sent: Ozon takes it
//! from the posting's delivery method.
//!
//! A repeat is success by Ozon's own answers: assembling an assembled posting is refused with
//! `POSTING_ALREADY_SHIPPED` (taken as done, `already_confirmed`), and setting the tracking
//! number again replaces it with the same value (`result: true`).

use std::collections::BTreeMap;

use core_model::{MarketplaceError, Operation, Shipment, TrackingAck};

use crate::error::{is_already_shipped, is_incorrect_status};
use crate::model::{
    MoveStatusResponse, PostingGetRequest, PostingGetResponse, ShipPackage, ShipProduct,
    ShipRequest, ShipResponse, TrackingNumber, TrackingNumberSetRequest,
};
use crate::OzonConnector;

pub const SHIP_PATH: &str = "/v4/posting/fbs/ship";
pub const TRACKING_SET_PATH: &str = "/v2/fbs/posting/tracking-number/set";
pub const POSTING_GET_PATH: &str = "/v3/posting/fbs/get";

/// What a ship call found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assembly {
    /// Assembled by this call.
    Assembled,
    /// `POSTING_ALREADY_SHIPPED`: assembled before (a repeat, or by the seller in the cabinet).
    AlreadyAssembled,
    /// `HAS_INCORRECT_STATUS`: past assembly (handed over, delivering) or not assemblable yet;
    /// the next call says which.
    NotAssemblable,
}

/// Assemble `posting_number` as one package of `products`.
pub async fn ship(
    c: &OzonConnector,
    op: Operation,
    posting_number: &str,
    products: Vec<ShipProduct>,
) -> Result<Assembly, MarketplaceError> {
    let body = ShipRequest {
        packages: vec![ShipPackage { products }],
        posting_number,
    };
    match c.post(op, SHIP_PATH, &body).await {
        Ok(response) => {
            // 200 lists the resulting posting numbers; nothing else to act on.
            let _: ShipResponse = response.json()?;
            Ok(Assembly::Assembled)
        }
        Err(e) if is_already_shipped(&e) => Ok(Assembly::AlreadyAssembled),
        Err(e) if is_incorrect_status(&e) => {
            tracing::info!(
                operation = op.as_str(),
                "Ozon refused assembly for the posting's status; going on"
            );
            Ok(Assembly::NotAssemblable)
        }
        Err(e) => Err(e),
    }
}

pub async fn upload_tracking(
    c: &OzonConnector,
    shipment: &Shipment,
) -> Result<TrackingAck, MarketplaceError> {
    let op = Operation::UploadTracking;
    let posting = shipment.platform_order_id.trim();
    let number = shipment.tracking_number.trim();
    if posting.is_empty() || number.is_empty() {
        return Err(MarketplaceError::permanent(
            "an Ozon shipment needs the posting number and a tracking number",
        ));
    }
    let products = ship_products(c, shipment).await?;
    let assembly = ship(c, op, posting, products).await?;

    let body = TrackingNumberSetRequest {
        tracking_numbers: vec![TrackingNumber {
            posting_number: posting,
            tracking_number: number,
        }],
    };
    let response = c.post(op, TRACKING_SET_PATH, &body).await?;
    let answer: MoveStatusResponse = response.json()?;
    let results = answer.result.unwrap_or_default();
    let mine = results
        .iter()
        .find(|r| r.posting_number == posting)
        .or(match results.as_slice() {
            [only] if only.posting_number.is_empty() => Some(only),
            _ => None,
        })
        .ok_or_else(|| {
            MarketplaceError::malformed(format!(
                "{TRACKING_SET_PATH} answered no result for the posting"
            ))
        })?;
    if !mine.result {
        let reason = error_text(&mine.error)
            .unwrap_or_else(|| "the tracking number was not accepted".to_owned());
        return Err(MarketplaceError::permanent(reason));
    }
    Ok(TrackingAck {
        already_confirmed: assembly == Assembly::AlreadyAssembled,
    })
}

/// The products to assemble: the shipment's lines by Ozon SKU (`line_id`, as pulled), or,
/// when a line has none or there are no lines, the posting's products from `/v3/posting/fbs/get`
/// (no lines ships the whole posting; a line without a SKU is found by its `offer_id`).
async fn ship_products(
    c: &OzonConnector,
    shipment: &Shipment,
) -> Result<Vec<ShipProduct>, MarketplaceError> {
    let by_line_id: Option<Vec<ShipProduct>> = shipment
        .lines
        .iter()
        .map(|l| {
            let sku = l.line_id.as_deref()?.trim().parse::<u64>().ok()?;
            Some(ShipProduct {
                product_id: sku,
                quantity: l.quantity,
            })
        })
        .collect();
    let products = match by_line_id {
        Some(products) if !products.is_empty() => products,
        _ => from_posting(c, shipment).await?,
    };
    // One entry per SKU, quantities summed; empty lines left out.
    let mut merged: BTreeMap<u64, u32> = BTreeMap::new();
    for p in products.into_iter().filter(|p| p.quantity > 0) {
        *merged.entry(p.product_id).or_default() += p.quantity;
    }
    if merged.is_empty() {
        return Err(MarketplaceError::permanent(
            "the shipment has no products to assemble",
        ));
    }
    Ok(merged
        .into_iter()
        .map(|(product_id, quantity)| ShipProduct {
            product_id,
            quantity,
        })
        .collect())
}

async fn from_posting(
    c: &OzonConnector,
    shipment: &Shipment,
) -> Result<Vec<ShipProduct>, MarketplaceError> {
    let body = PostingGetRequest {
        posting_number: &shipment.platform_order_id,
    };
    let response = c
        .post(Operation::UploadTracking, POSTING_GET_PATH, &body)
        .await?;
    let detail: PostingGetResponse = response.json()?;
    let products = detail.result.products;
    if shipment.lines.is_empty() {
        return Ok(products
            .iter()
            .map(|p| ShipProduct {
                product_id: p.sku,
                quantity: p.quantity,
            })
            .collect());
    }
    shipment
        .lines
        .iter()
        .map(|line| {
            let by_sku = line
                .line_id
                .as_deref()
                .and_then(|id| id.trim().parse::<u64>().ok());
            let matches: Vec<_> = products
                .iter()
                .filter(|p| match by_sku {
                    Some(sku) => p.sku == sku,
                    None => p.offer_id.as_deref() == Some(line.platform_sku.as_str()),
                })
                .collect();
            match matches.as_slice() {
                [p] => Ok(ShipProduct {
                    product_id: p.sku,
                    quantity: line.quantity,
                }),
                [] => Err(MarketplaceError::permanent(format!(
                    "the posting has no product `{}`",
                    line.platform_sku
                ))),
                _ => Err(MarketplaceError::permanent(format!(
                    "the posting has several products `{}`; name the line by its Ozon SKU",
                    line.platform_sku
                ))),
            }
        })
        .collect()
}

/// The per-posting `error` of a batch answer: a string in the schema, `[]` or `null` in examples.
fn error_text(v: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Array(a) if !a.is_empty() => Some(
            a.iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Value::Object(o) if !o.is_empty() => Some(v.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn ship_request_matches_the_reference_example() {
        let body = ShipRequest {
            packages: vec![ShipPackage {
                products: vec![ShipProduct {
                    product_id: 185479045,
                    quantity: 2,
                }],
            }],
            posting_number: "89491381-0072-1",
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"packages": [{"products": [{"product_id": 185479045, "quantity": 2}]}],
                   "posting_number": "89491381-0072-1"})
        );
    }

    #[test]
    fn batch_error_texts() {
        assert_eq!(error_text(&json!("")), None);
        assert_eq!(error_text(&json!([])), None);
        assert_eq!(error_text(&json!(null)), None);
        assert_eq!(
            error_text(&json!("TRANSITION_IS_NOT_POSSIBLE")).as_deref(),
            Some("TRANSITION_IS_NOT_POSSIBLE")
        );
        assert_eq!(
            error_text(&json!(["HAS_INCORRECT_TPL_INTEGRATION_TYPE"])).as_deref(),
            Some("HAS_INCORRECT_TPL_INTEGRATION_TYPE")
        );
    }
}
