//! `omsync inventory`, `omsync inbound` and `omsync account`: inventory levels, movements and
//! age, adjustments, inbound orders (ASN) and seller accounts, run on the server as the
//! operator. `--json` prints one JSON object per line.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use core_model::fulfillment::{InboundId, InventoryKind, ProductId, TopUpId, WarehouseId};
use core_model::store::account::{parse_amount, NewTopUp, Proof, TopUp, TopUpFilter, TopUpStatus};
use core_model::store::ledger::DocumentType;
use core_model::store::stock::{
    Inbound, InboundFilter, InboundKind, InboundStatus, InventoryFilter, NewInbound,
    NewInboundLine, ReceivedLine, TransactionFilter,
};
use core_model::store::OrderStore;
use core_model::SellerId;
use serde::Serialize;

use crate::config::Config;
use crate::daemon;

// ---------------------------------------------------------------------------------------------
// inventory

#[derive(Debug, Subcommand)]
pub enum InventoryCommand {
    /// Available and reserved counts per warehouse, SKU and kind.
    List(InventoryArgs),
    /// Movements, newest first, each with the document behind it.
    Transactions(TransactionsArgs),
    /// What is on the shelf by days since receipt (0-30, 31-60, 61-90, 91-180, >180).
    Age(AgeArgs),
    /// Correct a count (stocktake, damage, returns received) with an adjustment document.
    Adjust(AdjustArgs),
}

#[derive(Debug, Args)]
pub struct InventoryArgs {
    #[arg(long)]
    seller: Option<i64>,
    #[arg(long)]
    warehouse: Option<i64>,
    /// product | carton | return
    #[arg(long)]
    kind: Option<InventoryKind>,
    #[arg(long)]
    sku: Option<String>,
    #[arg(long)]
    json: bool,
}

impl InventoryArgs {
    fn filter(&self) -> InventoryFilter {
        InventoryFilter {
            seller: self.seller.map(SellerId),
            warehouse: self.warehouse.map(WarehouseId),
            kind: self.kind,
            sku: self.sku.clone(),
        }
    }
}

#[derive(Debug, Args)]
pub struct AgeArgs {
    #[command(flatten)]
    filter: InventoryArgs,
    /// Age at this time (RFC 3339); now when absent.
    #[arg(long)]
    at: Option<DateTime<Utc>>,
}

#[derive(Debug, Args)]
pub struct TransactionsArgs {
    #[arg(long)]
    seller: Option<i64>,
    #[arg(long)]
    warehouse: Option<i64>,
    #[arg(long)]
    product: Option<i64>,
    /// inbound | fulfillment | adjustment (with --document-id)
    #[arg(long, requires = "document_id")]
    document_type: Option<DocumentType>,
    #[arg(long, requires = "document_type")]
    document_id: Option<i64>,
    #[arg(long, default_value_t = 50)]
    limit: u32,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct AdjustArgs {
    #[arg(long)]
    warehouse: i64,
    #[arg(long)]
    product: i64,
    /// product | carton | return
    #[arg(long, default_value = "product")]
    kind: InventoryKind,
    /// Units (cartons for carton inventory) to add; negative to take out.
    #[arg(long, allow_negative_numbers = true)]
    delta: i64,
    /// Why the count changed.
    #[arg(long)]
    note: String,
}

fn print_json(value: &impl Serialize) -> anyhow::Result<()> {
    say!("{}", serde_json::to_string(value)?);
    Ok(())
}

pub async fn inventory(config: &Config, command: InventoryCommand) -> anyhow::Result<ExitCode> {
    let store = daemon::open_store(config).await?;
    let result = run_inventory(&store, command).await;
    store.close().await;
    result
}

async fn run_inventory(store: &OrderStore, command: InventoryCommand) -> anyhow::Result<ExitCode> {
    match command {
        InventoryCommand::List(args) => {
            let rows = store.list_inventory(&args.filter()).await?;
            if args.json {
                for r in &rows {
                    print_json(r)?;
                }
            } else {
                say!(
                    "{:<10} {:<8} {:<24} {:<8} {:>10} {:>10}",
                    "warehouse",
                    "seller",
                    "sku",
                    "kind",
                    "available",
                    "reserved"
                );
                for r in &rows {
                    say!(
                        "{:<10} {:<8} {:<24} {:<8} {:>10} {:>10}",
                        r.warehouse_id.0,
                        r.seller_id.0,
                        r.sku,
                        r.kind.as_str(),
                        r.available,
                        r.reserved
                    );
                }
            }
        }
        InventoryCommand::Transactions(args) => {
            let document = args.document_type.zip(args.document_id);
            let rows = store
                .inventory_transactions(&TransactionFilter {
                    seller: args.seller.map(SellerId),
                    warehouse: args.warehouse.map(WarehouseId),
                    product: args.product.map(ProductId),
                    document,
                    limit: args.limit,
                })
                .await?;
            if args.json {
                for r in &rows {
                    print_json(r)?;
                }
            } else {
                say!(
                    "{:<8} {:<20} {:<10} {:<24} {:<8} {:<8} {:>8} {:>8} {:>9} {:>9} document",
                    "id",
                    "at",
                    "warehouse",
                    "sku",
                    "kind",
                    "reason",
                    "avail+",
                    "resv+",
                    "avail",
                    "resv"
                );
                for r in &rows {
                    say!(
                        "{:<8} {:<20} {:<10} {:<24} {:<8} {:<8} {:>8} {:>8} {:>9} {:>9} {} {}",
                        r.id,
                        r.at.format("%Y-%m-%d %H:%M:%S"),
                        r.warehouse_id.0,
                        r.sku,
                        r.kind.as_str(),
                        r.reason.as_str(),
                        r.available_delta,
                        r.reserved_delta,
                        r.available_after,
                        r.reserved_after,
                        r.document_type.as_str(),
                        r.document_id
                    );
                }
            }
        }
        InventoryCommand::Age(args) => {
            let at = args.at.unwrap_or_else(Utc::now);
            let rows = store.inventory_age(&args.filter.filter(), at).await?;
            if args.filter.json {
                for r in &rows {
                    print_json(r)?;
                }
            } else {
                say!(
                    "{:<10} {:<24} {:<8} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} oldest",
                    "warehouse",
                    "sku",
                    "kind",
                    "0-30",
                    "31-60",
                    "61-90",
                    "91-180",
                    ">180",
                    "total"
                );
                for r in &rows {
                    say!(
                        "{:<10} {:<24} {:<8} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} {}",
                        r.warehouse_id.0,
                        r.sku,
                        r.kind.as_str(),
                        r.days_0_30,
                        r.days_31_60,
                        r.days_61_90,
                        r.days_91_180,
                        r.days_over_180,
                        r.total,
                        r.oldest_received_at.format("%Y-%m-%d")
                    );
                }
            }
        }
        InventoryCommand::Adjust(args) => {
            let a = store
                .adjust_inventory(
                    WarehouseId(args.warehouse),
                    ProductId(args.product),
                    args.kind,
                    args.delta,
                    &args.note,
                    Utc::now(),
                )
                .await?;
            say!(
                "adjustment {}: warehouse {} product {} {} {:+} -> available {}",
                a.id,
                a.warehouse_id.0,
                a.product_id.0,
                a.kind.as_str(),
                a.delta,
                a.level.available
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------------
// inbound

#[derive(Debug, Subcommand)]
pub enum InboundCommand {
    /// Create an inbound order (a draft, or submitted with --submit).
    Create(InboundCreateArgs),
    List(InboundListArgs),
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Announce a draft to the warehouse.
    Submit {
        id: i64,
    },
    /// Cancel a submitted inbound order the warehouse has not received.
    Cancel {
        id: i64,
    },
    /// Delete a draft.
    Delete {
        id: i64,
    },
    /// Record the warehouse's receipt: the inventory goes on the shelf.
    Receive(InboundReceiveArgs),
}

#[derive(Debug, Args)]
pub struct InboundCreateArgs {
    #[arg(long)]
    seller: i64,
    #[arg(long)]
    warehouse: i64,
    /// standard (units -> product inventory) | transfer (cartons -> carton inventory)
    #[arg(long, default_value = "standard")]
    kind: InboundKind,
    #[arg(long)]
    reference: String,
    /// SKU:UNITS (standard) or SKU:CARTONS:UNITS_PER_CARTON (transfer); repeat per line.
    #[arg(long = "line", required = true)]
    lines: Vec<String>,
    /// Submit at once instead of saving a draft.
    #[arg(long)]
    submit: bool,
}

#[derive(Debug, Args)]
pub struct InboundListArgs {
    #[arg(long)]
    seller: Option<i64>,
    #[arg(long)]
    warehouse: Option<i64>,
    /// draft | submitted | received | cancelled
    #[arg(long)]
    status: Option<InboundStatus>,
    #[arg(long, default_value_t = 50)]
    limit: u32,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct InboundReceiveArgs {
    id: i64,
    /// LINE_NO:RECEIVED for a line that did not arrive as declared; repeat per line.
    #[arg(long = "line")]
    lines: Vec<String>,
}

fn number(what: &str, text: &str) -> anyhow::Result<i64> {
    text.trim()
        .parse()
        .with_context(|| format!("{what} `{text}` is not a whole number"))
}

fn parse_line(kind: InboundKind, text: &str) -> anyhow::Result<NewInboundLine> {
    match kind {
        InboundKind::Standard => {
            let (sku, qty) = text
                .rsplit_once(':')
                .with_context(|| format!("--line `{text}`: expected SKU:UNITS"))?;
            Ok(NewInboundLine {
                sku: sku.to_owned(),
                quantity: number("units", qty)?,
                units_per_carton: None,
            })
        }
        InboundKind::Transfer => {
            let mut parts = text.rsplitn(3, ':');
            let (Some(per), Some(cartons), Some(sku)) = (parts.next(), parts.next(), parts.next())
            else {
                anyhow::bail!("--line `{text}`: expected SKU:CARTONS:UNITS_PER_CARTON");
            };
            Ok(NewInboundLine {
                sku: sku.to_owned(),
                quantity: number("cartons", cartons)?,
                units_per_carton: Some(number("units per carton", per)?),
            })
        }
    }
}

fn print_inbound(i: &Inbound) -> anyhow::Result<()> {
    say!(
        "inbound {} ({}) seller {} warehouse {} {} {}; created {}{}{}",
        i.id.0,
        i.reference,
        i.seller_id.0,
        i.warehouse_id.0,
        i.kind.as_str(),
        i.status.as_str(),
        i.created_at.format("%Y-%m-%d %H:%M:%S"),
        i.submitted_at
            .map(|t| format!(", submitted {}", t.format("%Y-%m-%d %H:%M:%S")))
            .unwrap_or_default(),
        i.received_at
            .map(|t| format!(", received {}", t.format("%Y-%m-%d %H:%M:%S")))
            .unwrap_or_default()
    );
    for l in &i.lines {
        let unit = match l.units_per_carton {
            Some(per) => format!("cartons of {per}"),
            None => "units".to_owned(),
        };
        let received = l
            .received
            .map(|r| format!(", received {r}"))
            .unwrap_or_default();
        say!(
            "  line {}: {} x{} {unit}{received}",
            l.line_no,
            l.sku,
            l.quantity
        );
    }
    Ok(())
}

pub async fn inbound(config: &Config, command: InboundCommand) -> anyhow::Result<ExitCode> {
    let store = daemon::open_store(config).await?;
    let result = run_inbound(&store, command).await;
    store.close().await;
    result
}

async fn run_inbound(store: &OrderStore, command: InboundCommand) -> anyhow::Result<ExitCode> {
    let now = Utc::now();
    match command {
        InboundCommand::Create(args) => {
            let lines = args
                .lines
                .iter()
                .map(|l| parse_line(args.kind, l))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let created = store
                .create_inbound(
                    &NewInbound {
                        seller: SellerId(args.seller),
                        warehouse: WarehouseId(args.warehouse),
                        kind: args.kind,
                        reference: args.reference,
                        lines,
                        submit: args.submit,
                    },
                    now,
                )
                .await?;
            print_inbound(&created)?;
        }
        InboundCommand::List(args) => {
            let list = store
                .list_inbound(&InboundFilter {
                    seller: args.seller.map(SellerId),
                    warehouse: args.warehouse.map(WarehouseId),
                    status: args.status,
                    limit: args.limit,
                })
                .await?;
            if args.json {
                for i in &list {
                    print_json(i)?;
                }
            } else {
                say!(
                    "{:<8} {:<8} {:<10} {:<9} {:<10} {:<6} reference",
                    "inbound",
                    "seller",
                    "warehouse",
                    "kind",
                    "status",
                    "lines"
                );
                for i in &list {
                    say!(
                        "{:<8} {:<8} {:<10} {:<9} {:<10} {:<6} {}",
                        i.id.0,
                        i.seller_id.0,
                        i.warehouse_id.0,
                        i.kind.as_str(),
                        i.status.as_str(),
                        i.lines.len(),
                        i.reference
                    );
                }
            }
        }
        InboundCommand::Show { id, json } => {
            let i = store
                .get_inbound(InboundId(id))
                .await?
                .with_context(|| format!("inbound order {id} not found"))?;
            if json {
                print_json(&i)?;
            } else {
                print_inbound(&i)?;
            }
        }
        InboundCommand::Submit { id } => {
            print_inbound(&store.submit_inbound(InboundId(id), now).await?)?;
        }
        InboundCommand::Cancel { id } => {
            print_inbound(&store.cancel_inbound(InboundId(id), now).await?)?;
        }
        InboundCommand::Delete { id } => {
            store.delete_inbound(InboundId(id)).await?;
            say!("inbound {id} deleted");
        }
        InboundCommand::Receive(args) => {
            let received = args
                .lines
                .iter()
                .map(|l| {
                    let (line, qty) = l
                        .split_once(':')
                        .with_context(|| format!("--line `{l}`: expected LINE_NO:RECEIVED"))?;
                    Ok(ReceivedLine {
                        line_no: number("line number", line)?,
                        received: number("received", qty)?,
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            print_inbound(
                &store
                    .receive_inbound(InboundId(args.id), &received, now)
                    .await?,
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------------
// account

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Balance, credit limit, available amount and the latest changes.
    Show {
        #[arg(long)]
        seller: i64,
        #[arg(long)]
        json: bool,
    },
    /// Open the account (--currency) or set its credit limit.
    Set(AccountSetArgs),
    /// Record a seller's top-up request with the payment's reference and proof.
    TopUp(TopUpArgs),
    /// Approve a pending top-up: the balance grows.
    Approve { id: i64 },
    /// Reject a pending top-up.
    Reject {
        id: i64,
        #[arg(long)]
        reason: String,
    },
    /// Write a top-up's proof file to --out, to check it before approving.
    Proof {
        id: i64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Top-up requests, newest first.
    TopUps {
        #[arg(long)]
        seller: Option<i64>,
        /// pending | approved | rejected
        #[arg(long)]
        status: Option<TopUpStatus>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("change").required(true).multiple(true)))]
pub struct AccountSetArgs {
    #[arg(long)]
    seller: i64,
    /// ISO 4217 (the warehouse's standard transaction currency); required to open.
    #[arg(long, group = "change")]
    currency: Option<String>,
    /// Decimal, at most 2 decimals, >= 0.
    #[arg(long, group = "change")]
    credit_limit: Option<String>,
}

#[derive(Debug, Args)]
pub struct TopUpArgs {
    #[arg(long)]
    seller: i64,
    /// Decimal, > 0, at most 2 decimals.
    #[arg(long)]
    amount: String,
    #[arg(long)]
    currency: String,
    /// The payment's reference (bank transfer id, ...).
    #[arg(long)]
    reference: String,
    /// The proof file (pdf, png, jpg, jpeg, webp; at most 5 MB).
    #[arg(long)]
    proof: Option<PathBuf>,
}

fn top_up_line(t: &TopUp) -> String {
    let mut line = format!(
        "{:<8} {:<8} {:>14} {:<4} {:<9} {:<20} {}",
        t.id.0,
        t.seller_id.0,
        t.amount.to_string(),
        t.currency,
        t.status.as_str(),
        t.created_at.format("%Y-%m-%d %H:%M:%S"),
        t.proof_reference
    );
    if let Some(reason) = &t.reject_reason {
        line.push_str("  rejected: ");
        line.push_str(reason);
    }
    line
}

pub async fn account(config: &Config, command: AccountCommand) -> anyhow::Result<ExitCode> {
    let store = daemon::open_store(config).await?;
    let result = run_account(&store, command).await;
    store.close().await;
    result
}

async fn run_account(store: &OrderStore, command: AccountCommand) -> anyhow::Result<ExitCode> {
    let now = Utc::now();
    match command {
        AccountCommand::Show { seller, json } => {
            let a = store.account(SellerId(seller)).await?;
            let history = store.account_transactions(SellerId(seller), 20).await?;
            if json {
                print_json(&serde_json::json!({ "account": a, "transactions": history }))?;
            } else {
                say!(
                    "seller {}: currency {}, balance {}, credit limit {}, available {}, pending \
                     top-ups {}",
                    seller,
                    a.currency.as_deref().unwrap_or("-"),
                    a.balance,
                    a.credit_limit,
                    a.available,
                    a.pending_top_ups
                );
                for h in &history {
                    say!(
                        "  {} {:<12} {:>14} balance after {}",
                        h.at.format("%Y-%m-%d %H:%M:%S"),
                        h.kind.as_str(),
                        h.amount.to_string(),
                        h.balance_after
                    );
                }
            }
        }
        AccountCommand::Set(args) => {
            let limit = args
                .credit_limit
                .as_deref()
                .map(|l| parse_amount("--credit-limit", l))
                .transpose()?;
            let a = store
                .set_account(SellerId(args.seller), args.currency.as_deref(), limit, now)
                .await?;
            say!(
                "seller {}: currency {}, credit limit {}, available {}",
                args.seller,
                a.currency.as_deref().unwrap_or("-"),
                a.credit_limit,
                a.available
            );
        }
        AccountCommand::TopUp(args) => {
            let proof = match &args.proof {
                Some(path) => {
                    let format = path
                        .extension()
                        .and_then(|e| e.to_str())
                        .map(str::to_ascii_lowercase)
                        .with_context(|| {
                            format!("{}: the proof file needs an extension", path.display())
                        })?;
                    let content = std::fs::read(path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    Some(Proof { format, content })
                }
                None => None,
            };
            let t = store
                .request_top_up(
                    &NewTopUp {
                        seller: SellerId(args.seller),
                        amount: parse_amount("--amount", &args.amount)?,
                        currency: args.currency,
                        proof_reference: args.reference,
                        proof,
                    },
                    now,
                )
                .await?;
            say!(
                "top-up {} requested: {} {} for seller {}; pending approval",
                t.id.0,
                t.amount,
                t.currency,
                t.seller_id.0
            );
        }
        AccountCommand::Approve { id } => {
            let t = store.approve_top_up(TopUpId(id), now).await?;
            let a = store.account(t.seller_id).await?;
            say!(
                "top-up {} approved: seller {} balance {} {}, available {}",
                id,
                t.seller_id.0,
                a.balance,
                t.currency,
                a.available
            );
        }
        AccountCommand::Proof { id, out } => {
            let proof = store
                .top_up_proof(TopUpId(id))
                .await?
                .with_context(|| format!("top-up {id} has no proof file"))?;
            std::fs::write(&out, &proof.content)
                .with_context(|| format!("cannot write {}", out.display()))?;
            say!(
                "top-up {id}: {} proof, {} bytes, written to {}",
                proof.format,
                proof.content.len(),
                out.display()
            );
        }
        AccountCommand::Reject { id, reason } => {
            let t = store.reject_top_up(TopUpId(id), &reason, now).await?;
            say!("top-up {} rejected for seller {}", id, t.seller_id.0);
        }
        AccountCommand::TopUps {
            seller,
            status,
            limit,
            json,
        } => {
            let list = store
                .list_top_ups(&TopUpFilter {
                    seller: seller.map(SellerId),
                    status,
                    limit,
                })
                .await?;
            if json {
                for t in &list {
                    print_json(t)?;
                }
            } else {
                say!(
                    "{:<8} {:<8} {:>14} {:<4} {:<9} {:<20} reference",
                    "top-up",
                    "seller",
                    "amount",
                    "cur",
                    "status",
                    "requested"
                );
                for t in &list {
                    say!("{}", top_up_line(t));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
