//! `omsync warehouse|order|fulfillment`: the OMS flow from the server's shell, acting as the
//! operator: warehouses and channels; assigning, reviewing, cancelling and re-opening platform
//! orders; fulfillment orders and the warehouse's reports.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use core_model::fulfillment::{
    ChannelId, ChannelKind, FulfillmentId, FulfillmentStatus, WarehouseId,
};
use core_model::store::csv_import::ImportError;
use core_model::store::flow::{
    flow_label, status_label, FulfillmentFilter, FulfillmentOrder, NewFulfillment,
    NewFulfillmentLine, ShipReport,
};
use core_model::store::warehouse::{check_address, NewChannel};
use core_model::store::{OrderFilter, OrderId, OrderStore, TokenScope};
use core_model::{Address, FlowStatus, SellerId, StoreId};

use crate::config::Config;
use crate::daemon;

#[derive(Debug, Subcommand)]
pub enum WarehouseCommand {
    /// Add a warehouse.
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// Its standard transaction currency (ISO 4217).
        #[arg(long, default_value = "USD")]
        currency: String,
        /// Where parcels ship from, as JSON: {"lines": [..], "city": .., "postal_code": ..,
        /// "country_code": ..}; needed for labels the platforms sell.
        #[arg(long)]
        address: Option<String>,
        #[arg(long)]
        email: Option<String>,
    },
    /// Set a warehouse's ship-from address (JSON, as for `add`) and contact email.
    SetAddress {
        id: i64,
        #[arg(long)]
        address: String,
        #[arg(long)]
        email: Option<String>,
    },
    /// List warehouses and their shipping channels.
    List,
    /// Add a shipping channel to a warehouse.
    AddChannel {
        #[arg(long)]
        warehouse: i64,
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// `warehouse` (the warehouse's carrier account) or `platform_label`.
        #[arg(long)]
        kind: ChannelKind,
        /// The carrier code uploaded with tracking numbers (warehouse channels).
        #[arg(long)]
        carrier: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum OrderCommand {
    /// One order's OMS state: warehouse, channel, exception reason, label fetch, fulfillment
    /// orders, tracking uploads and history.
    Show { id: i64 },
    /// Assign a warehouse and shipping channel to Pending orders.
    Assign(AssignArgs),
    /// Review orders: each passes (fulfillment order or label fetch) or is refused with the
    /// guide's message. Exits 1 when any was refused.
    Review(ReviewArgs),
    /// Cancel an order (its fulfillment order too, releasing reserved stock).
    Cancel { id: i64 },
    /// Move a cancelled order back to Pending, to edit and review again.
    MoveToPending { id: i64 },
    /// Turn "Auto-submit to warehouse after review" on or off for a seller.
    AutoSubmit {
        #[arg(long)]
        seller: i64,
        /// `on` or `off`.
        state: OnOff,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Debug, Args)]
pub struct AssignArgs {
    /// Order ids.
    #[arg(required = true)]
    ids: Vec<i64>,
    #[arg(long)]
    warehouse: i64,
    #[arg(long)]
    channel: i64,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// Order ids; or `--pending` for every Pending order (of `--store`).
    ids: Vec<i64>,
    /// Review every Pending order (of `--store` when given).
    #[arg(long, conflicts_with = "ids")]
    pending: bool,
    #[arg(long, requires = "pending")]
    store: Option<i64>,
    /// Assign this warehouse and channel first.
    #[arg(long, requires = "channel")]
    warehouse: Option<i64>,
    #[arg(long, requires = "warehouse")]
    channel: Option<i64>,
    /// Print the outcomes as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum FulfillmentCommand {
    /// List fulfillment orders.
    List(FulfillmentListArgs),
    /// One fulfillment order with its lines.
    Show { id: i64 },
    /// Create a manual fulfillment order (Draft, Fetching carrier label).
    Create(CreateArgs),
    /// Create manual fulfillment orders from a CSV file (header `reference,warehouse,channel,
    /// sku,quantity` and optionally `name,company,address1,address2,city,state,postal_code,
    /// country_code,phone`; lines sharing a reference are one order). All or nothing: every
    /// bad line is printed and nothing is created.
    Import {
        file: PathBuf,
        #[arg(long)]
        seller: i64,
    },
    /// Submit drafts in Pending submit to the warehouse. Exits 1 when any failed.
    Submit {
        #[arg(required = true)]
        ids: Vec<i64>,
    },
    /// Move a fulfillment order in Exception back to Draft.
    MoveToDraft { id: i64 },
    /// Cancel a fulfillment order that has not shipped.
    Cancel { id: i64 },
    /// The warehouse reports the carrier label of a draft: Draft (Pending submit).
    Label {
        id: i64,
        #[arg(long)]
        tracking: String,
        #[arg(long)]
        carrier: Option<String>,
        /// The label file (pdf, png or zpl by extension).
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// The warehouse reports the parcel shipped: stock leaves, tracking upload queued.
    Ship {
        id: i64,
        #[arg(long)]
        tracking: Option<String>,
        #[arg(long)]
        carrier: Option<String>,
        /// When the parcel left (RFC 3339); default now.
        #[arg(long)]
        shipped_at: Option<chrono::DateTime<chrono::Utc>>,
    },
}

#[derive(Debug, Args)]
pub struct FulfillmentListArgs {
    #[arg(long)]
    seller: Option<i64>,
    #[arg(long)]
    warehouse: Option<i64>,
    #[arg(long)]
    status: Option<FulfillmentStatus>,
    #[arg(long)]
    order: Option<i64>,
    #[arg(long, default_value_t = 50)]
    limit: u32,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[arg(long)]
    seller: i64,
    #[arg(long)]
    reference: String,
    #[arg(long)]
    warehouse: i64,
    #[arg(long)]
    channel: i64,
    /// The address as JSON: {"name": .., "lines": [..], "city": .., "postal_code": ..,
    /// "country_code": ..}.
    #[arg(long)]
    ship_to: String,
    /// SKU:QUANTITY, repeated.
    #[arg(long = "line", required = true, value_parser = parse_line)]
    lines: Vec<NewFulfillmentLine>,
}

fn parse_address(json: &str) -> anyhow::Result<Address> {
    serde_json::from_str(json).context("--address is not an address JSON")
}

fn parse_line(s: &str) -> Result<NewFulfillmentLine, String> {
    let (sku, qty) = s
        .rsplit_once(':')
        .ok_or_else(|| format!("`{s}`: expected SKU:QUANTITY"))?;
    let quantity = qty
        .parse()
        .map_err(|_| format!("`{s}`: the quantity must be a positive whole number"))?;
    Ok(NewFulfillmentLine {
        sku: sku.to_owned(),
        quantity,
    })
}

pub async fn warehouse(config: &Config, command: WarehouseCommand) -> anyhow::Result<ExitCode> {
    let store = daemon::open_store(config).await?;
    match command {
        WarehouseCommand::Add {
            code,
            name,
            currency,
            address,
            email,
        } => {
            let address = address.as_deref().map(parse_address).transpose()?;
            if let Some(a) = &address {
                check_address(a, email.as_deref())?;
            }
            let id = store.create_warehouse(&code, &name, &currency).await?;
            if let Some(a) = &address {
                store.set_warehouse_address(id, a, email.as_deref()).await?;
            }
            say!("warehouse {id}: {code}");
        }
        WarehouseCommand::SetAddress { id, address, email } => {
            let address = parse_address(&address)?;
            store
                .set_warehouse_address(WarehouseId(id), &address, email.as_deref())
                .await?;
            say!("warehouse {id}: ship-from address set");
        }
        WarehouseCommand::List => {
            let channels = store.list_channels(None).await?;
            for w in store.list_warehouses().await? {
                say!("{:<5} {:<12} {:<4} {}", w.id, w.code, w.currency, w.name);
                for c in channels.iter().filter(|c| c.warehouse_id == w.id) {
                    say!(
                        "      channel {:<5} {:<14} {:<15} {:<6} {}",
                        c.id,
                        c.code,
                        c.kind,
                        c.carrier_code.as_deref().unwrap_or("-"),
                        c.name
                    );
                }
            }
        }
        WarehouseCommand::AddChannel {
            warehouse,
            code,
            name,
            kind,
            carrier,
        } => {
            let id = store
                .create_channel(&NewChannel {
                    warehouse: WarehouseId(warehouse),
                    code: &code,
                    name: &name,
                    kind,
                    carrier_code: carrier.as_deref(),
                })
                .await?;
            say!("channel {id}: {code} ({kind})");
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn order(config: &Config, command: OrderCommand) -> anyhow::Result<ExitCode> {
    let store = daemon::open_store(config).await?;
    let now = chrono::Utc::now();
    let code = match command {
        OrderCommand::Show { id } => show_order(&store, OrderId(id)).await?,
        OrderCommand::Assign(a) => {
            let ids: Vec<OrderId> = a.ids.iter().copied().map(OrderId).collect();
            let out = store
                .assign_orders(
                    &ids,
                    None,
                    WarehouseId(a.warehouse),
                    ChannelId(a.channel),
                    now,
                )
                .await?;
            let mut refused = 0;
            for (id, result) in out {
                match result {
                    Ok(()) => say!("{id:<8} assigned"),
                    Err(e) => {
                        refused += 1;
                        say!("{id:<8} refused: {e}");
                    }
                }
            }
            exit_for(refused)
        }
        OrderCommand::Review(a) => review(&store, a, now).await?,
        OrderCommand::Cancel { id } => {
            store.cancel_order(OrderId(id), None, now).await?;
            say!("order {id}: cancelled");
            ExitCode::SUCCESS
        }
        OrderCommand::MoveToPending { id } => {
            store.move_to_pending(OrderId(id), None, now).await?;
            say!("order {id}: pending");
            ExitCode::SUCCESS
        }
        OrderCommand::AutoSubmit { seller, state } => {
            let on = matches!(state, OnOff::On);
            store.set_auto_submit(SellerId(seller), on).await?;
            say!(
                "seller {seller}: auto-submit to warehouse after review {}",
                if on { "on" } else { "off" }
            );
            ExitCode::SUCCESS
        }
    };
    store.close().await;
    Ok(code)
}

fn exit_for(failed: usize) -> ExitCode {
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn show_order(store: &OrderStore, id: OrderId) -> anyhow::Result<ExitCode> {
    let order = store
        .order_by_id(id)
        .await?
        .with_context(|| format!("order {} not found", id.0))?;
    let flow = store
        .order_flow(id, None)
        .await?
        .with_context(|| format!("order {} not found", id.0))?;
    let o = &order.order;
    say!(
        "order {}  store {}  {} {}  platform status {}",
        id.0,
        o.store,
        o.platform.slug(),
        o.platform_order_id,
        o.platform_status
    );
    say!("flow: {}", flow_label(flow.flow_status));
    if let Some(reason) = &flow.exception_reason {
        say!("exception reason: {reason}");
    }
    say!(
        "warehouse: {}  channel: {}",
        flow.warehouse_id.map_or("-".into(), |w| w.to_string()),
        flow.channel_id.map_or("-".into(), |c| c.to_string())
    );
    for l in &o.lines {
        say!("  line {} x{}", l.platform_sku, l.quantity);
    }
    if let Some(job) = &flow.label {
        say!(
            "platform label: {} after {} attempt(s){}",
            job.status,
            job.attempts,
            job.last_error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        );
    }
    for fo in &flow.fulfillment_ids {
        if let Some(f) = store.get_fulfillment(*fo, TokenScope::Operator).await? {
            say!("fulfillment {}", fo_line(&f));
        }
    }
    for u in store
        .tracking_uploads(o.store, &o.platform_order_id)
        .await?
    {
        say!(
            "tracking upload {}: {} {} {}{}",
            u.shipment.package_ref,
            u.status.as_str(),
            u.shipment.carrier_code,
            u.shipment.tracking_number,
            u.last_error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        );
    }
    for h in store.order_history(id).await? {
        say!(
            "  {} {:<16} {} -> {}{}",
            h.at.format("%Y-%m-%d %H:%M:%S"),
            h.kind.as_str(),
            h.from_flow_status.map_or("-", FlowStatus::as_str),
            h.to_flow_status.as_str(),
            h.detail.map(|d| format!("  {d}")).unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn review(
    store: &OrderStore,
    a: ReviewArgs,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<ExitCode> {
    let ids: Vec<OrderId> = if a.pending {
        store
            .order_ids(&OrderFilter {
                store: a.store.map(StoreId),
                flow_status: Some(FlowStatus::Pending),
                limit: u32::MAX,
                ..OrderFilter::default()
            })
            .await?
    } else {
        a.ids.iter().copied().map(OrderId).collect()
    };
    anyhow::ensure!(!ids.is_empty(), "no orders to review");
    if let (Some(w), Some(c)) = (a.warehouse, a.channel) {
        store
            .assign_orders(&ids, None, WarehouseId(w), ChannelId(c), now)
            .await?;
    }
    let out = store.review_orders(&ids, None, now).await?;
    let refused = out.iter().filter(|o| !o.ok).count();
    if a.json {
        for o in &out {
            say!("{}", serde_json::to_string(o)?);
        }
    } else {
        for o in &out {
            match (&o.message, o.flow_status) {
                (None, Some(flow)) => say!(
                    "{:<8} ok       {}{}",
                    o.order_id.0,
                    flow_label(flow),
                    o.fulfillment_id
                        .map(|f| format!("  fulfillment {f}"))
                        .unwrap_or_default()
                ),
                (message, _) => say!(
                    "{:<8} refused  {}{}",
                    o.order_id.0,
                    message.as_deref().unwrap_or("refused"),
                    o.detail
                        .as_deref()
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default()
                ),
            }
        }
        say!("{} reviewed, {refused} refused", out.len() - refused);
    }
    Ok(exit_for(refused))
}

fn fo_line(f: &FulfillmentOrder) -> String {
    let lines: Vec<String> = f
        .lines
        .iter()
        .map(|l| format!("{} x{}", l.sku, l.quantity))
        .collect();
    format!(
        "{:<6} {:<24} {:<22} wh {:<4} ch {:<4} {:<10} {:<20} {}{}",
        f.id,
        f.reference,
        status_label(f.status),
        f.warehouse_id,
        f.channel_id,
        f.carrier_code.as_deref().unwrap_or("-"),
        f.tracking_number.as_deref().unwrap_or("-"),
        lines.join(", "),
        f.exception_reason
            .as_deref()
            .map(|r| format!("  [{r}]"))
            .unwrap_or_default()
    )
}

pub async fn fulfillment(config: &Config, command: FulfillmentCommand) -> anyhow::Result<ExitCode> {
    let store = daemon::open_store(config).await?;
    let now = chrono::Utc::now();
    let ops = TokenScope::Operator;
    let code = match command {
        FulfillmentCommand::List(a) => {
            let list = store
                .list_fulfillments(&FulfillmentFilter {
                    seller: a.seller.map(SellerId),
                    warehouse: a.warehouse.map(WarehouseId),
                    status: a.status,
                    order: a.order.map(OrderId),
                    after: None,
                    limit: a.limit,
                })
                .await?;
            for f in &list {
                if a.json {
                    say!("{}", serde_json::to_string(f)?);
                } else {
                    say!("{}", fo_line(f));
                }
            }
            ExitCode::SUCCESS
        }
        FulfillmentCommand::Show { id } => {
            let f = store
                .get_fulfillment(FulfillmentId(id), ops)
                .await?
                .with_context(|| format!("fulfillment order {id} not found"))?;
            say!("{}", serde_json::to_string_pretty(&f)?);
            ExitCode::SUCCESS
        }
        FulfillmentCommand::Create(a) => {
            let ship_to = parse_address(&a.ship_to).context("--ship-to")?;
            let id = store
                .create_fulfillment(
                    &NewFulfillment {
                        seller: SellerId(a.seller),
                        reference: a.reference,
                        warehouse: WarehouseId(a.warehouse),
                        channel: ChannelId(a.channel),
                        ship_to,
                        lines: a.lines,
                    },
                    now,
                )
                .await?;
            say!("fulfillment order {id}: draft (fetching carrier label)");
            ExitCode::SUCCESS
        }
        FulfillmentCommand::Import { file, seller } => {
            let csv =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            match store.import_fulfillments(SellerId(seller), &csv, now).await {
                Ok(done) => {
                    say!(
                        "{} fulfillment order(s) created from {} line(s)",
                        done.ids.len(),
                        done.lines
                    );
                    ExitCode::SUCCESS
                }
                Err(ImportError::Rows(rows)) => {
                    for r in &rows {
                        say!("line {}: {}", r.line, r.message);
                    }
                    say!("{} bad line(s); nothing was imported", rows.len());
                    ExitCode::FAILURE
                }
                Err(ImportError::Store(e)) => return Err(e.into()),
            }
        }
        FulfillmentCommand::Submit { ids } => {
            let ids: Vec<FulfillmentId> = ids.into_iter().map(FulfillmentId).collect();
            let out = store.submit_fulfillments(&ids, ops, now).await?;
            let failed = out.iter().filter(|o| !o.ok).count();
            for o in &out {
                match (&o.message, o.status) {
                    (None, _) => say!("{:<8} submitted", o.fulfillment_id),
                    (Some(m), status) => say!(
                        "{:<8} failed   {m}{}{}",
                        o.fulfillment_id,
                        o.detail
                            .as_deref()
                            .map(|d| format!(" ({d})"))
                            .unwrap_or_default(),
                        status
                            .map(|s| format!("  now {}", status_label(s)))
                            .unwrap_or_default()
                    ),
                }
            }
            exit_for(failed)
        }
        FulfillmentCommand::MoveToDraft { id } => {
            let to = store
                .fulfillment_to_draft(FulfillmentId(id), ops, now)
                .await?;
            say!("fulfillment order {id}: {}", status_label(to));
            ExitCode::SUCCESS
        }
        FulfillmentCommand::Cancel { id } => {
            store
                .cancel_fulfillment(FulfillmentId(id), ops, now)
                .await?;
            say!("fulfillment order {id}: cancelled");
            ExitCode::SUCCESS
        }
        FulfillmentCommand::Label {
            id,
            tracking,
            carrier,
            file,
        } => {
            let label = match &file {
                None => None,
                Some(path) => {
                    let bytes = std::fs::read(path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    let format = match path.extension().and_then(|e| e.to_str()) {
                        Some("png") => "png",
                        Some("zpl") => "zpl",
                        _ => "pdf",
                    };
                    Some((format, bytes))
                }
            };
            store
                .report_carrier_label(
                    FulfillmentId(id),
                    ops,
                    carrier.as_deref(),
                    &tracking,
                    label.as_ref().map(|(f, b)| (*f, b.as_slice())),
                    now,
                )
                .await?;
            say!("fulfillment order {id}: draft (pending submit), tracking {tracking}");
            ExitCode::SUCCESS
        }
        FulfillmentCommand::Ship {
            id,
            tracking,
            carrier,
            shipped_at,
        } => {
            let upload = store
                .ship_fulfillment(
                    FulfillmentId(id),
                    ops,
                    &ShipReport {
                        tracking_number: tracking,
                        carrier_code: carrier,
                        shipped_at,
                    },
                    now,
                )
                .await?;
            match upload {
                Some(u) => say!("fulfillment order {id}: shipped; tracking upload {u} queued"),
                None => say!("fulfillment order {id}: shipped; no upload needed"),
            }
            ExitCode::SUCCESS
        }
    };
    store.close().await;
    Ok(code)
}
