//! Manual fulfillment orders from a CSV file (the guide's Pick & Pack "Import"): one line per
//! SKU, lines sharing a reference make one order. All or nothing, every bad line named.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::super::csv_import::{read_csv, ImportError, RowError};
use super::super::{OrderStore, StoreError};
use super::fulfillment::{NewFulfillment, NewFulfillmentLine};
use crate::fulfillment::{ChannelKind, FulfillmentId, ProductStatus};
use crate::order::Address;
use crate::platform::SellerId;

const COLUMNS: &[&str] = &[
    "reference",
    "warehouse",
    "channel",
    "sku",
    "quantity",
    "name",
    "company",
    "address1",
    "address2",
    "city",
    "state",
    "postal_code",
    "country_code",
    "phone",
];
const REQUIRED: &[&str] = &["reference", "warehouse", "channel", "sku", "quantity"];
/// Where the address columns start in [`COLUMNS`].
const ADDRESS: usize = 5;

/// A warehouse's channels by code: id and kind.
type Channels = HashMap<String, (i64, ChannelKind)>;

/// What an import created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FulfillmentImport {
    /// The new drafts, in the order their references first appear.
    pub ids: Vec<FulfillmentId>,
    pub lines: u64,
}

/// One order being assembled from its lines.
struct Draft {
    first_line: u64,
    warehouse: String,
    channel: String,
    address: Vec<String>,
    lines: Vec<NewFulfillmentLine>,
}

fn address(cells: &[String]) -> Address {
    let some = |s: &String| (!s.is_empty()).then(|| s.clone());
    Address {
        name: some(&cells[0]),
        company: some(&cells[1]),
        lines: cells[2..4]
            .iter()
            .filter(|l| !l.is_empty())
            .cloned()
            .collect(),
        city: some(&cells[4]),
        district: None,
        state: some(&cells[5]),
        postal_code: some(&cells[6]),
        country_code: some(&cells[7]),
        phone: some(&cells[8]),
    }
}

impl OrderStore {
    /// Creates the manual fulfillment orders a CSV file describes, as drafts of `seller`
    /// (Draft, Fetching carrier label). Header: `reference,warehouse,channel,sku,quantity`
    /// and optionally `name,company,address1,address2,city,state,postal_code,country_code,
    /// phone`; warehouses and channels by code. Lines sharing a reference are one order; its
    /// address comes from its first line (later lines leave it empty or repeat it). Nothing
    /// is created unless every line is good.
    pub async fn import_fulfillments(
        &self,
        seller: SellerId,
        csv: &[u8],
        now: DateTime<Utc>,
    ) -> Result<FulfillmentImport, ImportError> {
        let (rows, mut errors) = read_csv(csv, COLUMNS, REQUIRED)?;
        let warehouses: HashMap<String, (i64, Channels)> = {
            let channels = self.list_channels(None).await?;
            self.list_warehouses()
                .await?
                .into_iter()
                .map(|w| {
                    let of_w = channels
                        .iter()
                        .filter(|c| c.warehouse_id == w.id)
                        .map(|c| (c.code.clone(), (c.id.0, c.kind)))
                        .collect();
                    (w.code, (w.id.0, of_w))
                })
                .collect()
        };
        let skus: Vec<&str> = rows.iter().map(|r| r.cells[3].as_str()).collect();
        let products = self.products_by_sku(seller, &skus).await?;
        let mut order: Vec<String> = Vec::new();
        let mut drafts: HashMap<String, Draft> = HashMap::new();
        for row in &rows {
            let c = &row.cells;
            let (reference, warehouse, channel, sku) = (&c[0], &c[1], &c[2], &c[3]);
            let mut problems = Vec::new();
            for (name, value) in [
                ("reference", reference),
                ("warehouse", warehouse),
                ("channel", channel),
                ("sku", sku),
            ] {
                if value.is_empty() {
                    problems.push(format!("{name} is empty"));
                }
            }
            let quantity = match c[4].parse::<u32>() {
                Ok(q) if q > 0 => q,
                _ => {
                    problems.push(format!(
                        "quantity `{}` is not a positive whole number",
                        c[4]
                    ));
                    0
                }
            };
            match warehouses.get(warehouse.as_str()) {
                None if !warehouse.is_empty() => {
                    problems.push(format!("unknown warehouse {warehouse}"));
                }
                Some((_, channels)) => match channels.get(channel.as_str()) {
                    None if !channel.is_empty() => {
                        problems.push(format!("warehouse {warehouse} has no channel {channel}"))
                    }
                    Some((_, ChannelKind::PlatformLabel)) => problems.push(format!(
                        "channel {channel} uses platform labels, which need a platform order"
                    )),
                    _ => {}
                },
                None => {}
            }
            match products.get(sku.as_str()) {
                None if !sku.is_empty() => problems.push(format!("unknown SKU {sku}")),
                Some(p) if p.status != ProductStatus::Approved => {
                    problems.push(format!("SKU {sku} is not approved"));
                }
                _ => {}
            }
            let addr: Vec<String> = c[ADDRESS..].to_vec();
            match drafts.get_mut(reference.as_str()) {
                Some(d) => {
                    if (&d.warehouse, &d.channel) != (warehouse, channel) {
                        problems.push(format!(
                            "reference {reference} names another warehouse or channel on line {}",
                            d.first_line
                        ));
                    }
                    if addr.iter().any(|a| !a.is_empty()) && addr != d.address {
                        problems.push(format!(
                            "reference {reference} has another address on line {}",
                            d.first_line
                        ));
                    }
                    if problems.is_empty() {
                        d.lines.push(NewFulfillmentLine {
                            sku: sku.clone(),
                            quantity,
                        });
                    }
                }
                None if problems.is_empty() => {
                    order.push(reference.clone());
                    drafts.insert(
                        reference.clone(),
                        Draft {
                            first_line: row.line,
                            warehouse: warehouse.clone(),
                            channel: channel.clone(),
                            address: addr,
                            lines: vec![NewFulfillmentLine {
                                sku: sku.clone(),
                                quantity,
                            }],
                        },
                    );
                }
                None => {}
            }
            if !problems.is_empty() {
                errors.push(row.error(problems.join("; ")));
            }
        }
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.line);
            return Err(ImportError::Rows(errors));
        }
        let mut news = Vec::with_capacity(order.len());
        let mut first_lines = Vec::with_capacity(order.len());
        for reference in &order {
            let Some(d) = drafts.remove(reference) else {
                continue;
            };
            let Some((warehouse, channels)) = warehouses.get(&d.warehouse) else {
                continue;
            };
            let Some((channel, _)) = channels.get(&d.channel) else {
                continue;
            };
            first_lines.push(d.first_line);
            news.push(NewFulfillment {
                seller,
                reference: reference.clone(),
                warehouse: crate::fulfillment::WarehouseId(*warehouse),
                channel: crate::fulfillment::ChannelId(*channel),
                ship_to: address(&d.address),
                lines: d.lines,
            });
        }
        let lines = rows.len() as u64;
        match self.create_fulfillments(&news, now).await {
            Ok(ids) => Ok(FulfillmentImport { ids, lines }),
            Err(failed) => {
                let mut rows = Vec::with_capacity(failed.len());
                for (i, e) in failed {
                    match e {
                        StoreError::Invalid(m) | StoreError::Refused(m) => rows.push(RowError {
                            line: first_lines.get(i).copied().unwrap_or(0),
                            message: m,
                        }),
                        StoreError::NotFound(what) => rows.push(RowError {
                            line: first_lines.get(i).copied().unwrap_or(0),
                            message: format!("{what} not found"),
                        }),
                        other => return Err(ImportError::Store(other)),
                    }
                }
                Err(ImportError::Rows(rows))
            }
        }
    }
}
