//! `omsync product ...` and `omsync mapping ...`: products with the warehouse's audit and each
//! store's product mappings, as the operator (the CLI runs on the server).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use core_model::fulfillment::{ProductId, ProductStatus};
use core_model::store::catalog::{
    ImportError, Mapping, MappingId, Measurement, NewProduct, Product, ProductFilter, ProductPatch,
};
use core_model::store::OrderStore;
use core_model::{SellerId, StoreId};

use crate::config::Config;
use crate::daemon;

#[derive(Debug, Subcommand)]
pub enum ProductCommand {
    /// Create a draft product (system SKU) for a seller.
    Add(ProductAddArgs),
    /// List products.
    List(ProductListArgs),
    /// Show one product.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Edit a product. An empty text clears an optional field. Approved products keep their
    /// SKU and hazardous-goods classification.
    Edit(ProductEditArgs),
    /// Submit a draft or rejected product for the warehouse's audit.
    Submit { id: i64 },
    /// Approve a submitted product (the warehouse's audit).
    Approve { id: i64 },
    /// Reject a submitted product, with the reason the seller sees.
    Reject {
        id: i64,
        #[arg(long)]
        reason: String,
    },
    /// Mark a product measured by the warehouse, optionally with its weight and dimensions.
    Measure {
        id: i64,
        #[command(flatten)]
        measures: MeasureArgs,
    },
    /// Delete a draft or rejected product that no mapping uses.
    Delete { id: i64 },
    /// Create draft products from a CSV file (header `sku,name,hazard_class,barcode,weight_g,
    /// length_mm,width_mm,height_mm,declared_value`; only sku and name required), all or
    /// nothing.
    Import {
        file: PathBuf,
        #[arg(long)]
        seller: i64,
    },
}

#[derive(Debug, Args)]
pub struct MeasureArgs {
    #[arg(long)]
    weight_g: Option<i64>,
    #[arg(long)]
    length_mm: Option<i64>,
    #[arg(long)]
    width_mm: Option<i64>,
    #[arg(long)]
    height_mm: Option<i64>,
}

#[derive(Debug, Args)]
pub struct ProductAddArgs {
    #[arg(long)]
    seller: i64,
    #[arg(long)]
    sku: String,
    #[arg(long)]
    name: String,
    #[arg(long)]
    hazard_class: Option<String>,
    #[arg(long)]
    barcode: Option<String>,
    #[command(flatten)]
    measures: MeasureArgs,
    /// A decimal, e.g. 12.50.
    #[arg(long)]
    declared_value: Option<String>,
    /// Print the product as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct ProductListArgs {
    #[arg(long)]
    seller: Option<i64>,
    #[arg(long)]
    status: Option<ProductStatus>,
    /// Part of the SKU code.
    #[arg(long)]
    sku: Option<String>,
    #[arg(long, default_value_t = 100)]
    limit: u32,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct ProductEditArgs {
    id: i64,
    #[arg(long)]
    sku: Option<String>,
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    hazard_class: Option<String>,
    #[arg(long)]
    barcode: Option<String>,
    #[command(flatten)]
    measures: MeasureArgs,
    /// A decimal, e.g. 12.50; empty clears it.
    #[arg(long)]
    declared_value: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum MappingCommand {
    /// Map a platform SKU to a system SKU x quantity in a store (add one component).
    Add {
        #[arg(long)]
        store: i64,
        #[arg(long)]
        platform_sku: String,
        #[arg(long)]
        system_sku: String,
        #[arg(long, default_value_t = 1)]
        quantity: u32,
    },
    /// List a store's mappings.
    List {
        #[arg(long)]
        store: i64,
        #[arg(long)]
        platform_sku: Option<String>,
        #[arg(long, default_value_t = 1000)]
        limit: u32,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Remove one mapping row by id, or every row of a platform SKU.
    Remove {
        #[arg(long)]
        store: i64,
        #[arg(
            required_unless_present = "platform_sku",
            conflicts_with = "platform_sku"
        )]
        id: Option<i64>,
        #[arg(long)]
        platform_sku: Option<String>,
    },
    /// Import a store's mappings from CSV (header `platform_sku,system_sku,quantity`), all or
    /// nothing; each platform SKU in the file gets exactly the file's components.
    Import {
        file: PathBuf,
        #[arg(long)]
        store: i64,
    },
}

impl MeasureArgs {
    fn measurement(&self) -> Measurement {
        Measurement {
            weight_g: self.weight_g,
            length_mm: self.length_mm,
            width_mm: self.width_mm,
            height_mm: self.height_mm,
        }
    }
}

fn decimal<T: std::str::FromStr>(v: &str) -> anyhow::Result<T> {
    v.trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("--declared-value `{v}` is not a decimal number"))
}

pub async fn product(config: &Config, command: ProductCommand) -> anyhow::Result<ExitCode> {
    let store = daemon::open_store(config).await?;
    let result = run_product(&store, command).await;
    store.close().await;
    result
}

async fn run_product(store: &OrderStore, command: ProductCommand) -> anyhow::Result<ExitCode> {
    match command {
        ProductCommand::Add(a) => {
            let m = a.measures.measurement();
            let new = NewProduct {
                sku: a.sku,
                name: a.name,
                hazard_class: a.hazard_class,
                barcode: a.barcode,
                weight_g: m.weight_g,
                length_mm: m.length_mm,
                width_mm: m.width_mm,
                height_mm: m.height_mm,
                declared_value: a.declared_value.as_deref().map(decimal).transpose()?,
            };
            let p = store.create_product(SellerId(a.seller), &new).await?;
            show(&p, a.json)?;
        }
        ProductCommand::List(a) => {
            let filter = ProductFilter {
                seller: a.seller.map(SellerId),
                status: a.status,
                sku: a.sku,
                after: None,
                limit: a.limit,
            };
            let products = store.list_products(&filter).await?;
            if a.json {
                for p in &products {
                    say!("{}", serde_json::to_string(p)?);
                }
            } else {
                say!(
                    "{:<6} {:<7} {:<24} {:<10} {:<9} {:<10} name",
                    "id",
                    "seller",
                    "sku",
                    "status",
                    "measured",
                    "hazard"
                );
                for p in &products {
                    say!(
                        "{:<6} {:<7} {:<24} {:<10} {:<9} {:<10} {}",
                        p.id.0,
                        p.seller_id.0,
                        p.sku,
                        p.status.as_str(),
                        p.measured,
                        p.hazard_class.as_deref().unwrap_or("-"),
                        p.name
                    );
                }
            }
        }
        ProductCommand::Show { id, json } => {
            let p = store
                .get_product(ProductId(id))
                .await?
                .with_context(|| format!("product {id} not found"))?;
            show(&p, json)?;
        }
        ProductCommand::Edit(a) => {
            let m = a.measures.measurement();
            let patch = ProductPatch {
                sku: a.sku,
                name: a.name,
                hazard_class: a.hazard_class.map(Some),
                barcode: a.barcode.map(Some),
                weight_g: m.weight_g.map(Some),
                length_mm: m.length_mm.map(Some),
                width_mm: m.width_mm.map(Some),
                height_mm: m.height_mm.map(Some),
                declared_value: match a.declared_value.as_deref().map(str::trim) {
                    None => None,
                    Some("") => Some(None),
                    Some(v) => Some(Some(decimal(v)?)),
                },
            };
            let p = store.update_product(ProductId(a.id), &patch).await?;
            show(&p, false)?;
        }
        ProductCommand::Submit { id } => {
            let p = store.submit_product(ProductId(id)).await?;
            say!("product {} ({}) submitted for the audit", p.id.0, p.sku);
        }
        ProductCommand::Approve { id } => {
            let p = store.approve_product(ProductId(id)).await?;
            say!("product {} ({}) approved", p.id.0, p.sku);
        }
        ProductCommand::Reject { id, reason } => {
            let p = store.reject_product(ProductId(id), &reason).await?;
            say!("product {} ({}) rejected: {reason}", p.id.0, p.sku);
        }
        ProductCommand::Measure { id, measures } => {
            let p = store
                .set_measured(ProductId(id), &measures.measurement())
                .await?;
            show(&p, false)?;
        }
        ProductCommand::Delete { id } => {
            store.delete_product(ProductId(id)).await?;
            say!("product {id} deleted");
        }
        ProductCommand::Import { file, seller } => {
            let csv = read(&file)?;
            let done = store
                .import_products(SellerId(seller), &csv)
                .await
                .map_err(|e| import_error(&file, e))?;
            say!(
                "{} product(s) created as drafts for seller {seller}",
                done.created
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn show(p: &Product, json: bool) -> anyhow::Result<()> {
    if json {
        say!("{}", serde_json::to_string(p)?);
        return Ok(());
    }
    let num = |v: Option<i64>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
    say!("product {} of seller {}", p.id.0, p.seller_id.0);
    say!("  sku            {}", p.sku);
    say!("  name           {}", p.name);
    say!("  status         {}", p.status);
    if let Some(r) = &p.reject_reason {
        say!("  rejected       {r}");
    }
    say!("  measured       {}", p.measured);
    say!(
        "  hazard class   {}",
        p.hazard_class.as_deref().unwrap_or("-")
    );
    say!("  barcode        {}", p.barcode.as_deref().unwrap_or("-"));
    say!(
        "  weight g       {}   l x w x h mm  {} x {} x {}",
        num(p.weight_g),
        num(p.length_mm),
        num(p.width_mm),
        num(p.height_mm)
    );
    say!(
        "  declared value {}",
        p.declared_value
            .map_or_else(|| "-".to_owned(), |v| v.to_string())
    );
    Ok(())
}

fn read(file: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))
}

/// Every bad line, one per line of the error.
fn import_error(file: &Path, e: ImportError) -> anyhow::Error {
    match e {
        ImportError::Rows(rows) => {
            let mut message = format!(
                "{}: {} bad line(s); nothing was imported",
                file.display(),
                rows.len()
            );
            for r in rows {
                message.push_str(&format!("\n  line {}: {}", r.line, r.message));
            }
            anyhow::anyhow!(message)
        }
        ImportError::Store(e) => e.into(),
    }
}

pub async fn mapping(config: &Config, command: MappingCommand) -> anyhow::Result<ExitCode> {
    let store = daemon::open_store(config).await?;
    let result = run_mapping(&store, command).await;
    store.close().await;
    result
}

async fn run_mapping(store: &OrderStore, command: MappingCommand) -> anyhow::Result<ExitCode> {
    match command {
        MappingCommand::Add {
            store: id,
            platform_sku,
            system_sku,
            quantity,
        } => {
            let info = store
                .get_store(StoreId(id))
                .await?
                .with_context(|| format!("store {id} not found"))?;
            let sku = system_sku.trim();
            let found = store.products_by_sku(info.seller_id, &[sku]).await?;
            let product = found.get(sku).with_context(|| {
                format!(
                    "unknown system SKU {sku}: seller {} has no such product",
                    info.seller_id.0
                )
            })?;
            let m = store
                .add_mapping(info.id, &platform_sku, product.id, quantity)
                .await?;
            say!(
                "mapping {}: store {} platform SKU {} -> {} x {}",
                m.id.0,
                m.store_id.0,
                m.platform_sku,
                m.system_sku,
                m.quantity
            );
        }
        MappingCommand::List {
            store: id,
            platform_sku,
            limit,
            json,
        } => {
            let mappings = store
                .list_mappings(StoreId(id), platform_sku.as_deref(), None, limit)
                .await?;
            if json {
                for m in &mappings {
                    say!("{}", serde_json::to_string(m)?);
                }
            } else {
                say!(
                    "{:<8} {:<32} {:<24} {:>8}",
                    "id",
                    "platform sku",
                    "system sku",
                    "quantity"
                );
                for m in &mappings {
                    say!("{}", mapping_line(m));
                }
            }
        }
        MappingCommand::Remove {
            store: id,
            id: Some(mapping),
            ..
        } => {
            store
                .delete_mapping(StoreId(id), MappingId(mapping))
                .await?;
            say!("mapping {mapping} removed from store {id}");
        }
        MappingCommand::Remove {
            store: id,
            platform_sku: Some(sku),
            ..
        } => {
            let n = store.delete_platform_sku(StoreId(id), &sku).await?;
            say!("{n} mapping row(s) of platform SKU {sku} removed from store {id}");
        }
        MappingCommand::Remove { .. } => {
            anyhow::bail!("name the mapping id or --platform-sku");
        }
        MappingCommand::Import { file, store: id } => {
            let csv = read(&file)?;
            let done = store
                .import_mappings(StoreId(id), &csv)
                .await
                .map_err(|e| import_error(&file, e))?;
            say!(
                "store {id}: {} platform SKU(s) mapped with {} row(s); {} earlier row(s) replaced",
                done.platform_skus,
                done.rows,
                done.replaced
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn mapping_line(m: &Mapping) -> String {
    format!(
        "{:<8} {:<32} {:<24} {:>8}",
        m.id.0, m.platform_sku, m.system_sku, m.quantity
    )
}
