//! Inventory, inbound orders (ASN) and seller accounts over the admin API. Sellers read their
//! own products' inventory, inbound orders and account; the operator reads everything, opens
//! accounts, sets credit limits and decides top-ups; a warehouse token reads its warehouse's
//! inventory and work list and posts receipts and adjustments for that warehouse only.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use core_model::fulfillment::{InboundId, InventoryKind, ProductId, TopUpId, WarehouseId};
use core_model::store::account::{
    parse_amount, Account, AccountTransaction, NewTopUp, Proof, TopUp, TopUpFilter, TopUpStatus,
    MAX_PROOF_BYTES,
};
use core_model::store::ledger::DocumentType;
use core_model::store::stock::{
    Adjustment, Inbound, InboundEdit, InboundFilter, InboundKind, InboundStatus, InventoryAge,
    InventoryFilter, InventoryLevel, InventoryTransaction, NewInbound, NewInboundLine,
    ReceivedLine, TransactionFilter,
};
use core_model::store::TokenScope;
use core_model::SellerId;
use serde::{Deserialize, Serialize};

use super::{
    check_limit, forbidden, sees, seller_of, AdminState, ApiError, ApiJson, ApiQuery, ApiResult,
    IdPath, Viewer,
};

/// A top-up's JSON body: the proof file (5 MB) grows by a third in base64.
const TOP_UP_BODY_LIMIT: usize = MAX_PROOF_BYTES / 3 * 4 + 64 * 1024;

/// How many account transactions come with `GET /v1/account`.
const ACCOUNT_HISTORY: u32 = 20;

pub(super) fn routes() -> Router<AdminState> {
    Router::new()
        .route("/inventory", get(list_inventory))
        .route("/inventory/transactions", get(list_transactions))
        .route("/inventory/age", get(inventory_age))
        .route("/inventory/adjustments", post(adjust))
        .route("/inbound", get(list_inbound).post(create_inbound))
        .route(
            "/inbound/{id}",
            get(get_inbound).patch(edit_inbound).delete(delete_inbound),
        )
        .route("/inbound/{id}/submit", post(submit_inbound))
        .route("/inbound/{id}/cancel", post(cancel_inbound))
        .route("/warehouse/inbound", get(warehouse_inbound))
        .route("/warehouse/inbound/{id}/receive", post(receive_inbound))
        .route("/account", get(get_account))
        .route("/accounts/{seller_id}", put(set_account))
        .route(
            "/top-ups",
            get(list_top_ups)
                .post(request_top_up)
                .layer(DefaultBodyLimit::max(TOP_UP_BODY_LIMIT)),
        )
        .route("/top-ups/{id}", get(get_top_up))
        .route("/top-ups/{id}/proof", get(get_top_up_proof))
        .route("/top-ups/{id}/approve", post(approve_top_up))
        .route("/top-ups/{id}/reject", post(reject_top_up))
}

/// Narrows an inventory read to what the token may see: a seller its own products, a
/// warehouse its own warehouse. `None` when the caller asked for something it cannot see
/// (the answer is then an empty list).
fn narrow(
    scope: TokenScope,
    seller: Option<i64>,
    warehouse: Option<i64>,
) -> Option<(Option<SellerId>, Option<WarehouseId>)> {
    let (seller, warehouse) = (seller.map(SellerId), warehouse.map(WarehouseId));
    match scope {
        TokenScope::Operator => Some((seller, warehouse)),
        TokenScope::Seller(own) => match seller {
            Some(s) if s != own => None,
            _ => Some((Some(own), warehouse)),
        },
        TokenScope::Warehouse(own) => match warehouse {
            Some(w) if w != own => None,
            _ => Some((seller, Some(own))),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Inventory

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InventoryQuery {
    seller_id: Option<i64>,
    warehouse_id: Option<i64>,
    kind: Option<InventoryKind>,
    sku: Option<String>,
    /// The age report's "now" (RFC 3339); the daemon's clock when absent.
    at: Option<DateTime<Utc>>,
}

impl InventoryQuery {
    fn filter(&self, scope: TokenScope) -> Option<InventoryFilter> {
        let (seller, warehouse) = narrow(scope, self.seller_id, self.warehouse_id)?;
        Some(InventoryFilter {
            seller,
            warehouse,
            kind: self.kind,
            sku: self.sku.clone(),
        })
    }
}

#[derive(Serialize)]
struct InventoryPage {
    inventory: Vec<InventoryLevel>,
}

async fn list_inventory(
    State(state): State<AdminState>,
    Extension(scope): Extension<TokenScope>,
    ApiQuery(q): ApiQuery<InventoryQuery>,
) -> ApiResult<Json<InventoryPage>> {
    let inventory = match q.filter(scope) {
        Some(f) => state.store.list_inventory(&f).await?,
        None => Vec::new(),
    };
    Ok(Json(InventoryPage { inventory }))
}

#[derive(Serialize)]
struct AgePage {
    at: DateTime<Utc>,
    age: Vec<InventoryAge>,
}

async fn inventory_age(
    State(state): State<AdminState>,
    Extension(scope): Extension<TokenScope>,
    ApiQuery(q): ApiQuery<InventoryQuery>,
) -> ApiResult<Json<AgePage>> {
    let at = q.at.unwrap_or_else(|| state.engine.now());
    let age = match q.filter(scope) {
        Some(f) => state.store.inventory_age(&f, at).await?,
        None => Vec::new(),
    };
    Ok(Json(AgePage { at, age }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransactionsQuery {
    seller_id: Option<i64>,
    warehouse_id: Option<i64>,
    product_id: Option<i64>,
    document_type: Option<DocumentType>,
    document_id: Option<i64>,
    limit: Option<u32>,
}

#[derive(Serialize)]
struct TransactionsPage {
    transactions: Vec<InventoryTransaction>,
}

async fn list_transactions(
    State(state): State<AdminState>,
    Extension(scope): Extension<TokenScope>,
    ApiQuery(q): ApiQuery<TransactionsQuery>,
) -> ApiResult<Json<TransactionsPage>> {
    let limit = check_limit(q.limit)?;
    let document = match (q.document_type, q.document_id) {
        (Some(t), Some(id)) => Some((t, id)),
        (None, None) => None,
        _ => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "document_type and document_id go together",
            ))
        }
    };
    let Some((seller, warehouse)) = narrow(scope, q.seller_id, q.warehouse_id) else {
        return Ok(Json(TransactionsPage {
            transactions: Vec::new(),
        }));
    };
    let transactions = state
        .store
        .inventory_transactions(&TransactionFilter {
            seller,
            warehouse,
            product: q.product_id.map(ProductId),
            document,
            limit,
        })
        .await?;
    Ok(Json(TransactionsPage { transactions }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdjustBody {
    /// Required with the operator token; a warehouse token adjusts its own warehouse.
    warehouse_id: Option<i64>,
    product_id: i64,
    #[serde(default = "product_kind")]
    kind: InventoryKind,
    delta: i64,
    note: String,
}

fn product_kind() -> InventoryKind {
    InventoryKind::Product
}

async fn adjust(
    State(state): State<AdminState>,
    Extension(scope): Extension<TokenScope>,
    ApiJson(body): ApiJson<AdjustBody>,
) -> ApiResult<(StatusCode, Json<Adjustment>)> {
    let warehouse = match (scope, body.warehouse_id.map(WarehouseId)) {
        (TokenScope::Operator, Some(w)) => w,
        (TokenScope::Operator, None) => {
            return Err(ApiError::bad_request(
                "invalid_body",
                "warehouse_id is required with the operator token",
            ))
        }
        (TokenScope::Warehouse(own), None) => own,
        (TokenScope::Warehouse(own), Some(w)) if w == own => own,
        (TokenScope::Warehouse(_), Some(_)) => {
            return Err(forbidden(
                "a warehouse token adjusts only its own warehouse's inventory",
            ))
        }
        (TokenScope::Seller(_), _) => {
            return Err(forbidden(
                "only the warehouse or the operator adjusts inventory",
            ))
        }
    };
    let adjustment = state
        .store
        .adjust_inventory(
            warehouse,
            ProductId(body.product_id),
            body.kind,
            body.delta,
            &body.note,
            state.engine.now(),
        )
        .await?;
    tracing::info!(
        warehouse = warehouse.0,
        product = body.product_id,
        adjustment = adjustment.id,
        "inventory adjusted"
    );
    Ok((StatusCode::CREATED, Json(adjustment)))
}

// ---------------------------------------------------------------------------------------------
// Inbound orders

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InboundQuery {
    seller_id: Option<i64>,
    warehouse_id: Option<i64>,
    status: Option<InboundStatus>,
    limit: Option<u32>,
}

#[derive(Serialize)]
struct InboundPage {
    inbound: Vec<Inbound>,
}

async fn list_inbound(
    State(state): State<AdminState>,
    scope: Viewer,
    ApiQuery(q): ApiQuery<InboundQuery>,
) -> ApiResult<Json<InboundPage>> {
    let limit = check_limit(q.limit)?;
    let asked = q.seller_id.map(SellerId);
    let seller = match (seller_of(scope), asked) {
        (Some(own), Some(asked)) if own != asked => {
            return Ok(Json(InboundPage {
                inbound: Vec::new(),
            }))
        }
        (Some(own), _) => Some(own),
        (None, asked) => asked,
    };
    let inbound = state
        .store
        .list_inbound(&InboundFilter {
            seller,
            warehouse: q.warehouse_id.map(WarehouseId),
            status: q.status,
            limit,
        })
        .await?;
    Ok(Json(InboundPage { inbound }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewInboundBody {
    /// Required with the operator token.
    seller_id: Option<i64>,
    warehouse_id: i64,
    #[serde(default = "standard")]
    kind: InboundKind,
    reference: String,
    lines: Vec<NewInboundLine>,
    /// Submit at once instead of saving a draft.
    #[serde(default)]
    submit: bool,
}

fn standard() -> InboundKind {
    InboundKind::Standard
}

async fn create_inbound(
    State(state): State<AdminState>,
    scope: Viewer,
    ApiJson(body): ApiJson<NewInboundBody>,
) -> ApiResult<(StatusCode, Json<Inbound>)> {
    let seller = scope.acting_seller(body.seller_id)?;
    let inbound = state
        .store
        .create_inbound(
            &NewInbound {
                seller,
                warehouse: WarehouseId(body.warehouse_id),
                kind: body.kind,
                reference: body.reference,
                lines: body.lines,
                submit: body.submit,
            },
            state.engine.now(),
        )
        .await?;
    tracing::info!(
        inbound = inbound.id.0,
        seller = seller.0,
        "inbound order created"
    );
    Ok((StatusCode::CREATED, Json(inbound)))
}

/// The inbound order `id` if the caller may see it; another seller's is "not found".
async fn visible_inbound(state: &AdminState, scope: Viewer, id: i64) -> ApiResult<Inbound> {
    match state.store.get_inbound(InboundId(id)).await? {
        Some(inbound) if sees(scope, inbound.seller_id) => Ok(inbound),
        _ => Err(ApiError::not_found("inbound order")),
    }
}

async fn get_inbound(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
) -> ApiResult<Json<Inbound>> {
    Ok(Json(visible_inbound(&state, scope, id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditInboundBody {
    warehouse_id: Option<i64>,
    kind: Option<InboundKind>,
    reference: Option<String>,
    lines: Option<Vec<NewInboundLine>>,
}

async fn edit_inbound(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<EditInboundBody>,
) -> ApiResult<Json<Inbound>> {
    let inbound = visible_inbound(&state, scope, id).await?;
    let edit = InboundEdit {
        warehouse: body.warehouse_id.map(WarehouseId),
        kind: body.kind,
        reference: body.reference,
        lines: body.lines,
    };
    Ok(Json(state.store.update_inbound(inbound.id, &edit).await?))
}

async fn delete_inbound(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    let inbound = visible_inbound(&state, scope, id).await?;
    state.store.delete_inbound(inbound.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn submit_inbound(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
) -> ApiResult<Json<Inbound>> {
    let inbound = visible_inbound(&state, scope, id).await?;
    Ok(Json(
        state
            .store
            .submit_inbound(inbound.id, state.engine.now())
            .await?,
    ))
}

async fn cancel_inbound(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
) -> ApiResult<Json<Inbound>> {
    let inbound = visible_inbound(&state, scope, id).await?;
    Ok(Json(
        state
            .store
            .cancel_inbound(inbound.id, state.engine.now())
            .await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WarehouseInboundQuery {
    /// The operator's filter; a warehouse token always sees its own warehouse.
    warehouse_id: Option<i64>,
    status: Option<InboundStatus>,
    limit: Option<u32>,
}

/// The warehouse's work list: inbound orders addressed to it.
async fn warehouse_inbound(
    State(state): State<AdminState>,
    Extension(scope): Extension<TokenScope>,
    ApiQuery(q): ApiQuery<WarehouseInboundQuery>,
) -> ApiResult<Json<InboundPage>> {
    let limit = check_limit(q.limit)?;
    let warehouse = match scope {
        TokenScope::Operator => q.warehouse_id.map(WarehouseId),
        TokenScope::Warehouse(own) => match q.warehouse_id.map(WarehouseId) {
            Some(w) if w != own => {
                return Ok(Json(InboundPage {
                    inbound: Vec::new(),
                }))
            }
            _ => Some(own),
        },
        TokenScope::Seller(_) => {
            return Err(forbidden(
                "the warehouse work list is for warehouse and operator tokens; sellers use \
                 /v1/inbound",
            ))
        }
    };
    let inbound = state
        .store
        .list_inbound(&InboundFilter {
            seller: None,
            warehouse,
            status: q.status,
            limit,
        })
        .await?;
    Ok(Json(InboundPage { inbound }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReceiveBody {
    /// Received quantities by line number; a line not named arrived as declared.
    #[serde(default)]
    lines: Vec<ReceivedLine>,
}

async fn receive_inbound(
    State(state): State<AdminState>,
    Extension(scope): Extension<TokenScope>,
    IdPath(id): IdPath,
    body: Option<ApiJson<ReceiveBody>>,
) -> ApiResult<Json<Inbound>> {
    let own = match scope {
        TokenScope::Operator => None,
        TokenScope::Warehouse(w) => Some(w),
        TokenScope::Seller(_) => {
            return Err(forbidden(
                "only the warehouse or the operator receives inbound orders",
            ))
        }
    };
    // Another warehouse's inbound order is "not found", like one that does not exist.
    let inbound = match state.store.get_inbound(InboundId(id)).await? {
        Some(i) if own.is_none_or(|w| w == i.warehouse_id) => i,
        _ => return Err(ApiError::not_found("inbound order")),
    };
    let lines = body.map(|ApiJson(b)| b.lines).unwrap_or_default();
    let received = state
        .store
        .receive_inbound(inbound.id, &lines, state.engine.now())
        .await?;
    tracing::info!(
        inbound = received.id.0,
        warehouse = received.warehouse_id.0,
        "inbound order received"
    );
    Ok(Json(received))
}

// ---------------------------------------------------------------------------------------------
// Accounts and top-ups

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountQuery {
    seller_id: Option<i64>,
}

#[derive(Serialize)]
struct AccountView {
    #[serde(flatten)]
    account: Account,
    /// The latest changes, newest first.
    transactions: Vec<AccountTransaction>,
}

async fn account_view(state: &AdminState, seller: SellerId) -> ApiResult<AccountView> {
    Ok(AccountView {
        account: state.store.account(seller).await?,
        transactions: state
            .store
            .account_transactions(seller, ACCOUNT_HISTORY)
            .await?,
    })
}

async fn get_account(
    State(state): State<AdminState>,
    scope: Viewer,
    ApiQuery(q): ApiQuery<AccountQuery>,
) -> ApiResult<Json<AccountView>> {
    let seller = match (scope, q.seller_id.map(SellerId)) {
        (Viewer::Operator, Some(s)) => s,
        (Viewer::Operator, None) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "seller_id is required with the operator token",
            ))
        }
        (Viewer::Seller(own), None) => own,
        (Viewer::Seller(own), Some(s)) if s == own => own,
        // Another seller's account is "not found".
        (Viewer::Seller(_), Some(_)) => return Err(ApiError::not_found("account")),
    };
    Ok(Json(account_view(&state, seller).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetAccountBody {
    /// ISO 4217; required to open the account.
    currency: Option<String>,
    /// Decimal string, >= 0.
    credit_limit: Option<String>,
}

async fn set_account(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(seller): IdPath,
    ApiJson(body): ApiJson<SetAccountBody>,
) -> ApiResult<Json<AccountView>> {
    scope.operator_only("opens accounts and sets credit limits")?;
    let credit_limit = body
        .credit_limit
        .as_deref()
        .map(|l| parse_amount("credit_limit", l))
        .transpose()?;
    let seller = SellerId(seller);
    state
        .store
        .set_account(
            seller,
            body.currency.as_deref(),
            credit_limit,
            state.engine.now(),
        )
        .await?;
    tracing::info!(seller = seller.0, "account changed");
    Ok(Json(account_view(&state, seller).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TopUpsQuery {
    seller_id: Option<i64>,
    status: Option<TopUpStatus>,
    limit: Option<u32>,
}

#[derive(Serialize)]
struct TopUpsPage {
    top_ups: Vec<TopUp>,
}

async fn list_top_ups(
    State(state): State<AdminState>,
    scope: Viewer,
    ApiQuery(q): ApiQuery<TopUpsQuery>,
) -> ApiResult<Json<TopUpsPage>> {
    let limit = check_limit(q.limit)?;
    let seller = match (seller_of(scope), q.seller_id.map(SellerId)) {
        (Some(own), Some(asked)) if own != asked => {
            return Ok(Json(TopUpsPage {
                top_ups: Vec::new(),
            }))
        }
        (Some(own), _) => Some(own),
        (None, asked) => asked,
    };
    let top_ups = state
        .store
        .list_top_ups(&TopUpFilter {
            seller,
            status: q.status,
            limit,
        })
        .await?;
    Ok(Json(TopUpsPage { top_ups }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProofBody {
    /// pdf | png | jpg | jpeg | webp
    format: String,
    /// The file, base64 (standard alphabet).
    content_base64: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TopUpBody {
    /// Required with the operator token.
    seller_id: Option<i64>,
    /// Decimal string, > 0, at most 2 decimals.
    amount: String,
    currency: String,
    /// The payment's reference (bank transfer id, ...).
    proof_reference: String,
    proof: Option<ProofBody>,
}

async fn request_top_up(
    State(state): State<AdminState>,
    scope: Viewer,
    ApiJson(body): ApiJson<TopUpBody>,
) -> ApiResult<(StatusCode, Json<TopUp>)> {
    let seller = scope.acting_seller(body.seller_id)?;
    let amount = parse_amount("amount", &body.amount)?;
    let proof = match body.proof {
        Some(p) => {
            let content = base64::engine::general_purpose::STANDARD
                .decode(p.content_base64.trim())
                .map_err(|_| {
                    ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid",
                        "proof.content_base64 must be standard base64",
                    )
                })?;
            Some(Proof {
                format: p.format.trim().to_ascii_lowercase(),
                content,
            })
        }
        None => None,
    };
    let top_up = state
        .store
        .request_top_up(
            &NewTopUp {
                seller,
                amount,
                currency: body.currency.trim().to_owned(),
                proof_reference: body.proof_reference,
                proof,
            },
            state.engine.now(),
        )
        .await?;
    tracing::info!(top_up = top_up.id.0, seller = seller.0, "top-up requested");
    Ok((StatusCode::CREATED, Json(top_up)))
}

async fn visible_top_up(state: &AdminState, scope: Viewer, id: i64) -> ApiResult<TopUp> {
    match state.store.get_top_up(TopUpId(id)).await? {
        Some(t) if sees(scope, t.seller_id) => Ok(t),
        _ => Err(ApiError::not_found("top-up")),
    }
}

async fn get_top_up(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
) -> ApiResult<Json<TopUp>> {
    Ok(Json(visible_top_up(&state, scope, id).await?))
}

/// The proof file as uploaded, with its content type.
async fn get_top_up_proof(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let top_up = visible_top_up(&state, scope, id).await?;
    let proof = state
        .store
        .top_up_proof(top_up.id)
        .await?
        .ok_or_else(|| ApiError::not_found("proof file"))?;
    let content_type = match proof.format.as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        _ => "application/octet-stream",
    };
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        proof.content,
    )
        .into_response())
}

async fn approve_top_up(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
) -> ApiResult<Json<TopUp>> {
    scope.operator_only("approves top-ups")?;
    let top_up = state
        .store
        .approve_top_up(TopUpId(id), state.engine.now())
        .await?;
    tracing::info!(top_up = id, seller = top_up.seller_id.0, "top-up approved");
    Ok(Json(top_up))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RejectBody {
    reason: String,
}

async fn reject_top_up(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<RejectBody>,
) -> ApiResult<Json<TopUp>> {
    scope.operator_only("rejects top-ups")?;
    let top_up = state
        .store
        .reject_top_up(TopUpId(id), &body.reason, state.engine.now())
        .await?;
    tracing::info!(top_up = id, seller = top_up.seller_id.0, "top-up rejected");
    Ok(Json(top_up))
}
