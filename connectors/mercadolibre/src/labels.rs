//! Mercado Envíos labels: `GET /shipment_labels?shipment_ids={id}&response_type=pdf|zpl2`,
//! one call by shipment (cart orders of one pack share their shipment and its label).
//!
//! `pdf` answers the PDF itself; `zpl2` answers a ZIP holding the ZPL II text file, which is
//! unpacked here (stored or deflated entries, CRC checked). A shipment that cannot be printed
//! (not `ready_to_ship`, Full, Flex, ME1) is refused by Mercado Libre with its own error,
//! either as a 4xx envelope or as `failed_shipments` in a JSON answer.

use std::io::Read;

use bytes::Bytes;
use connector_kit::{ApiRequest, RawResponse, ResponseClassifier};
use core_model::{Label, LabelFormat, LabelSpec, MarketplaceError, Operation, PlatformOrder};
use serde::Deserialize;

use crate::error::{describe, error_body, parse_error};
use crate::orders::{numeric, RAW_SHIPMENT_KEY};
use crate::{MercadolibreConnector, LABELS_CLASS};

pub const LABELS_PATH: &str = "/shipment_labels";

fn permanent(message: impl Into<String>) -> MarketplaceError {
    MarketplaceError::permanent(message).with_operation(Operation::FetchLabel)
}

fn malformed(message: impl Into<String>) -> MarketplaceError {
    MarketplaceError::malformed(message).with_operation(Operation::FetchLabel)
}

/// `parse_error`, plus the `failed_shipments` Mercado Libre may send with a 200.
#[derive(Debug)]
struct LabelClassifier;

impl ResponseClassifier for LabelClassifier {
    fn classify(&self, response: &RawResponse) -> Result<(), MarketplaceError> {
        parse_error(response)?;
        if let Some(body) = error_body(response) {
            let failed = body
                .failed_shipments
                .as_ref()
                .is_some_and(|f| f.as_array().is_none_or(|a| !a.is_empty()));
            if failed {
                let reason = body
                    .failed_shipments
                    .as_ref()
                    .and_then(|f| {
                        f.as_array()?
                            .first()?
                            .get("message")?
                            .as_str()
                            .map(str::to_owned)
                    })
                    .unwrap_or_else(|| describe(&body));
                return Err(permanent(format!(
                    "Mercado Libre could not print the label: {reason}"
                )));
            }
        }
        Ok(())
    }
}

/// The shipment id of an order, from its `raw` (`shipping.id`, or the joined shipment).
pub fn shipment_id_of(order: &PlatformOrder) -> Result<String, MarketplaceError> {
    #[derive(Deserialize)]
    struct Ids {
        #[serde(default)]
        shipping: Option<IdOnly>,
    }
    #[derive(Deserialize)]
    struct IdOnly {
        #[serde(default, deserialize_with = "crate::model::optional_id")]
        id: Option<String>,
    }
    let ids: Ids = serde_json::from_str(order.raw_json())
        .map_err(|_| malformed("the order's raw JSON has no readable `shipping`"))?;
    let joined = serde_json::from_str::<serde_json::Value>(order.raw_json())
        .ok()
        .and_then(|v| {
            let id = v.get(RAW_SHIPMENT_KEY)?.get("id")?;
            id.as_u64()
                .map(|n| n.to_string())
                .or_else(|| id.as_str().map(str::to_owned))
        });
    ids.shipping.and_then(|s| s.id).or(joined).ok_or_else(|| {
        MarketplaceError::unsupported(
            "the order has no Mercado Envíos shipment, so no platform label",
        )
        .with_operation(Operation::FetchLabel)
    })
}

pub async fn fetch(
    conn: &MercadolibreConnector,
    order: &PlatformOrder,
    spec: &LabelSpec,
) -> Result<Label, MarketplaceError> {
    let format = spec.format.unwrap_or(LabelFormat::Pdf);
    let response_type = match format {
        LabelFormat::Pdf => "pdf",
        LabelFormat::Zpl => "zpl2",
        LabelFormat::Png => {
            return Err(MarketplaceError::unsupported(
                "Mercado Envíos labels come as PDF or ZPL II, not PNG",
            )
            .with_operation(Operation::FetchLabel))
        }
    };
    let shipment_id = shipment_id_of(order)?;
    let request = ApiRequest::get(
        Operation::FetchLabel,
        LABELS_CLASS,
        conn.api_url(LABELS_PATH)?,
    )
    .query("shipment_ids", numeric(&shipment_id, "shipment id")?)
    .query("response_type", response_type);
    let response = conn
        .http()
        .send_classified(request, Some(conn.auth()), &LabelClassifier)
        .await?;
    let bytes = match format {
        LabelFormat::Zpl => zpl_of(&response.body)?,
        _ => {
            if !response.body.starts_with(b"%PDF") {
                return Err(malformed("the label answer is not a PDF"));
            }
            response.body.clone()
        }
    };
    Ok(Label {
        format,
        bytes,
        tracking_number: None,
        carrier: None,
    })
}

/// The ZPL of a `zpl2` answer: the text of every file in the ZIP, in order; a body that is
/// already ZPL (`^XA`) is taken as it is.
pub fn zpl_of(body: &Bytes) -> Result<Bytes, MarketplaceError> {
    if !body.starts_with(b"PK\x03\x04") {
        if body.windows(3).any(|w| w == b"^XA") {
            return Ok(body.clone());
        }
        return Err(malformed("the ZPL label answer is neither a ZIP nor ZPL"));
    }
    let mut zpl = Vec::new();
    for entry in unzip(body)? {
        zpl.extend_from_slice(&entry);
    }
    if !zpl.windows(3).any(|w| w == b"^XA") {
        return Err(malformed("the label ZIP holds no ZPL"));
    }
    Ok(Bytes::from(zpl))
}

fn u16_at(b: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(u16::from_le_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The files of a ZIP archive, read through its central directory (sizes in local headers
/// may be zero when the writer streamed). Only stored (0) and deflated (8) entries exist in
/// label archives.
fn unzip(zip: &[u8]) -> Result<Vec<Vec<u8>>, MarketplaceError> {
    let bad = || malformed("the label ZIP is damaged");
    // End of central directory: 22 bytes plus a comment of up to 64 KiB, from the end.
    let eocd = (0..=zip.len().saturating_sub(22))
        .rev()
        .take(22 + 65_535)
        .find(|&i| zip[i..].starts_with(b"PK\x05\x06"))
        .ok_or_else(bad)?;
    let entries = u16_at(zip, eocd + 10).ok_or_else(bad)?;
    let mut at = usize::try_from(u32_at(zip, eocd + 16).ok_or_else(bad)?).map_err(|_| bad())?;
    let mut files = Vec::with_capacity(entries);
    for _ in 0..entries {
        if !zip.get(at..).is_some_and(|r| r.starts_with(b"PK\x01\x02")) {
            return Err(bad());
        }
        let method = u16_at(zip, at + 10).ok_or_else(bad)?;
        let crc = u32_at(zip, at + 16).ok_or_else(bad)?;
        let size = usize::try_from(u32_at(zip, at + 24).ok_or_else(bad)?).map_err(|_| bad())?;
        let name_len = u16_at(zip, at + 28).ok_or_else(bad)?;
        let extra_len = u16_at(zip, at + 30).ok_or_else(bad)?;
        let comment_len = u16_at(zip, at + 32).ok_or_else(bad)?;
        let local = usize::try_from(u32_at(zip, at + 42).ok_or_else(bad)?).map_err(|_| bad())?;
        let is_dir = zip
            .get(at + 46..at + 46 + name_len)
            .is_some_and(|n| n.ends_with(b"/"));
        at += 46 + name_len + extra_len + comment_len;
        if is_dir {
            continue;
        }

        if !zip
            .get(local..)
            .is_some_and(|r| r.starts_with(b"PK\x03\x04"))
        {
            return Err(bad());
        }
        let data = local
            + 30
            + u16_at(zip, local + 26).ok_or_else(bad)?
            + u16_at(zip, local + 28).ok_or_else(bad)?;
        files.push(read_entry(zip, method, crc, size, data)?);
    }
    Ok(files)
}

fn read_entry(
    zip: &[u8],
    method: usize,
    crc: u32,
    size: usize,
    data: usize,
) -> Result<Vec<u8>, MarketplaceError> {
    let bad = || malformed("the label ZIP is damaged");
    let rest = zip.get(data..).ok_or_else(bad)?;
    let content = match method {
        0 => rest.get(..size).ok_or_else(bad)?.to_vec(),
        8 => {
            let mut out = Vec::with_capacity(size);
            flate2::read::DeflateDecoder::new(rest)
                .take(u64::try_from(size).map_err(|_| bad())?)
                .read_to_end(&mut out)
                .map_err(|_| bad())?;
            out
        }
        _ => return Err(malformed("the label ZIP uses an unsupported compression")),
    };
    let mut check = flate2::Crc::new();
    check.update(&content);
    if content.len() != size || check.sum() != crc {
        return Err(malformed("the label ZIP fails its CRC check"));
    }
    Ok(content)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use core_model::{ErrorKind, NeutralStatus, Platform, StoreId};

    const ZIP: &[u8] = include_bytes!("../../../fixtures/mercadolibre/label/label-zpl2.zip");
    const ZPL: &[u8] = include_bytes!("../../../fixtures/mercadolibre/label/label.zpl");

    #[test]
    fn the_zpl2_zip_unpacks_to_its_zpl() {
        assert_eq!(zpl_of(&Bytes::from_static(ZIP)).unwrap().as_ref(), ZPL);
        // Plain ZPL is taken as it is; anything else is malformed.
        assert_eq!(zpl_of(&Bytes::from_static(ZPL)).unwrap().as_ref(), ZPL);
        let e = zpl_of(&Bytes::from_static(b"%PDF-1.4")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Malformed);
        // A flipped byte in the compressed data fails the CRC (or the inflate).
        let mut damaged = ZIP.to_vec();
        let data_at = 30 + "Etiqueta de envio.txt".len() + 4;
        damaged[data_at] ^= 0x55;
        assert_eq!(
            zpl_of(&Bytes::from(damaged)).unwrap_err().kind(),
            ErrorKind::Malformed
        );
        assert!(zpl_of(&Bytes::from_static(&ZIP[..ZIP.len() - 30])).is_err());
    }

    fn order(raw: &str) -> PlatformOrder {
        PlatformOrder {
            store: StoreId(1),
            platform: Platform::Mercadolibre,
            platform_order_id: "2000008100000101".into(),
            platform_status: "paid".into(),
            status: NeutralStatus::AwaitingFulfillment,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            currency: "ARS".into(),
            buyer_name: None,
            ship_to: Default::default(),
            lines: vec![],
            platform_label_hint: true,
            raw: serde_json::value::RawValue::from_string(raw.to_owned()).unwrap(),
        }
    }

    #[test]
    fn the_label_is_asked_by_the_orders_shipment() {
        let o = order(r#"{"id": 2000008100000101, "shipping": {"id": 43712345678}}"#);
        assert_eq!(shipment_id_of(&o).unwrap(), "43712345678");
        let joined = order(r#"{"id": 1, "shipping": {}, "shipment": {"id": 43712345679}}"#);
        assert_eq!(shipment_id_of(&joined).unwrap(), "43712345679");
        let none = order(r#"{"id": 1, "shipping": {"id": null}}"#);
        assert_eq!(
            shipment_id_of(&none).unwrap_err().kind(),
            ErrorKind::Unsupported
        );
    }

    #[test]
    fn unprintable_shipments_are_permanent_errors() {
        let classify = |status: u16, body: &str| {
            LabelClassifier
                .classify(&RawResponse::new(
                    status,
                    "application/json",
                    body.to_owned(),
                ))
                .map_err(|e| (e.kind(), e.message().to_owned()))
        };
        let (kind, message) = classify(
            200,
            r#"{"failed_shipments":[{"shipment_id":43712345678,"message":"The shipment is not ready_to_ship"}]}"#,
        )
        .unwrap_err();
        assert_eq!(kind, ErrorKind::Permanent);
        assert!(message.contains("not ready_to_ship"), "{message}");
        let (kind, _) = classify(
            400,
            r#"{"message":"Invalid shipment status","error":"bad_request","status":400,"cause":["43712345678"]}"#,
        )
        .unwrap_err();
        assert_eq!(kind, ErrorKind::Permanent);
        assert!(classify(200, r#"{"failed_shipments":[]}"#).is_ok());
        assert!(LabelClassifier
            .classify(&RawResponse::new(200, "application/pdf", "%PDF-1.4"))
            .is_ok());
    }
}
