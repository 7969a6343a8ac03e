//! The OMS flow over HTTP: warehouses and shipping channels, assigning and reviewing platform
//! orders, cancelling and moving back to Pending, fulfillment orders, and the warehouse's own
//! reports (carrier label, shipment) under `/v1/warehouse`.

use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use core_model::fulfillment::{
    ChannelId, ChannelKind, FulfillmentId, FulfillmentStatus, WarehouseId,
};
use core_model::store::flow::{
    FulfillmentFilter, FulfillmentPatch, NewFulfillment, NewFulfillmentLine, ShipReport,
};
use core_model::store::warehouse::NewChannel;
use core_model::store::{OrderId, TokenScope};
use core_model::{Address, SellerId};
use serde::Deserialize;
use serde_json::json;

use super::csv::{CsvBody, ImportFailure, IMPORT_BODY_LIMIT};
use super::{
    check_limit, forbidden, sees, seller_of, AdminState, ApiError, ApiJson, ApiQuery, ApiResult,
    IdPath, Viewer,
};

/// The most ids one bulk review or submission takes.
const MAX_BULK: usize = 10_000;
/// The largest carrier label the warehouse may post, decoded.
const MAX_LABEL_BYTES: usize = 5 * 1024 * 1024;

pub(super) fn routes() -> Router<AdminState> {
    Router::new()
        .route("/warehouses", get(list_warehouses).post(create_warehouse))
        .route("/warehouses/{id}", patch(set_warehouse_address))
        .route(
            "/warehouses/{id}/channels",
            get(list_channels).post(create_channel),
        )
        .route("/orders/{id}/assign", post(assign_order))
        .route("/orders/{id}/review", post(review_one))
        .route("/orders/review", post(review_bulk))
        .route("/orders/{id}/cancel", post(cancel_order))
        .route("/orders/{id}/move-to-pending", post(move_to_pending))
        .route(
            "/sellers/{id}/settings",
            get(get_settings).put(put_settings),
        )
        .route(
            "/fulfillment-orders",
            get(list_fulfillments).post(create_fulfillment),
        )
        .route("/fulfillment-orders/submit", post(submit_bulk))
        .route(
            "/fulfillment-orders/import",
            post(import_fulfillments).layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .route(
            "/fulfillment-orders/{id}",
            get(get_fulfillment).patch(edit_fulfillment),
        )
        .route("/fulfillment-orders/{id}/submit", post(submit_one))
        .route(
            "/fulfillment-orders/{id}/move-to-draft",
            post(move_to_draft),
        )
        .route("/fulfillment-orders/{id}/cancel", post(cancel_fulfillment))
        .route("/fulfillment-orders/{id}/label", get(get_label))
        .route("/warehouse/fulfillment-orders", get(warehouse_work))
        .route(
            "/warehouse/fulfillment-orders/{id}/label",
            post(report_label),
        )
        .route("/warehouse/fulfillment-orders/{id}/ship", post(ship))
}

// ---------------------------------------------------------------------------------------------
// Who may do what

/// The warehouse's own systems (or the operator): the `/v1/warehouse` endpoints.
struct WarehouseCaller(TokenScope);

impl<S: Send + Sync> FromRequestParts<S> for WarehouseCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        match parts.extensions.get::<TokenScope>() {
            Some(s @ (TokenScope::Operator | TokenScope::Warehouse(_))) => Ok(WarehouseCaller(*s)),
            Some(TokenScope::Seller(_)) => Err(forbidden(
                "only a warehouse token (or the operator) may report to /v1/warehouse",
            )),
            None => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "an `Authorization: Bearer <token>` header is required",
            )),
        }
    }
}

fn scope_of(viewer: Viewer) -> TokenScope {
    match viewer {
        Viewer::Operator => TokenScope::Operator,
        Viewer::Seller(s) => TokenScope::Seller(s),
    }
}

// ---------------------------------------------------------------------------------------------
// Warehouses and channels

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewWarehouseBody {
    code: String,
    name: String,
    currency: String,
    /// Where parcels ship from (needed for labels platforms sell).
    address: Option<Address>,
    email: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WarehouseAddressBody {
    address: Address,
    email: Option<String>,
}

async fn list_warehouses(State(state): State<AdminState>, _: Viewer) -> ApiResult<Response> {
    let warehouses = state.store.list_warehouses().await?;
    Ok(Json(json!({ "warehouses": warehouses })).into_response())
}

async fn create_warehouse(
    State(state): State<AdminState>,
    scope: Viewer,
    ApiJson(body): ApiJson<NewWarehouseBody>,
) -> ApiResult<Response> {
    scope.operator_only("may create warehouses and channels")?;
    if let Some(address) = &body.address {
        // Checked before anything is written: a refused address creates no warehouse.
        core_model::store::warehouse::check_address(address, body.email.as_deref())?;
    }
    let id = state
        .store
        .create_warehouse(&body.code, &body.name, &body.currency)
        .await?;
    if let Some(address) = &body.address {
        state
            .store
            .set_warehouse_address(id, address, body.email.as_deref())
            .await?;
    }
    let created = state.store.get_warehouse(id).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewChannelBody {
    code: String,
    name: String,
    kind: ChannelKind,
    carrier_code: Option<String>,
}

async fn set_warehouse_address(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<WarehouseAddressBody>,
) -> ApiResult<Response> {
    scope.operator_only("may change warehouses")?;
    state
        .store
        .set_warehouse_address(WarehouseId(id), &body.address, body.email.as_deref())
        .await?;
    let warehouse = state.store.get_warehouse(WarehouseId(id)).await?;
    Ok(Json(warehouse).into_response())
}

async fn list_channels(
    State(state): State<AdminState>,
    _: Viewer,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    if state.store.get_warehouse(WarehouseId(id)).await?.is_none() {
        return Err(ApiError::not_found("warehouse"));
    }
    let channels = state.store.list_channels(Some(WarehouseId(id))).await?;
    Ok(Json(json!({ "channels": channels })).into_response())
}

async fn create_channel(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<NewChannelBody>,
) -> ApiResult<Response> {
    scope.operator_only("may create warehouses and channels")?;
    let id = state
        .store
        .create_channel(&NewChannel {
            warehouse: WarehouseId(id),
            code: &body.code,
            name: &body.name,
            kind: body.kind,
            carrier_code: body.carrier_code.as_deref(),
        })
        .await?;
    let created = state.store.get_channel(id).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

// ---------------------------------------------------------------------------------------------
// Platform orders

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignBody {
    warehouse_id: i64,
    channel_id: i64,
}

async fn assign_order(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<AssignBody>,
) -> ApiResult<Response> {
    let now = state.engine.now();
    state
        .store
        .assign_order(
            OrderId(id),
            seller_of(scope),
            WarehouseId(body.warehouse_id),
            ChannelId(body.channel_id),
            now,
        )
        .await?;
    order_flow(&state, scope, id).await
}

async fn order_flow(state: &AdminState, scope: Viewer, id: i64) -> ApiResult<Response> {
    let flow = state
        .store
        .order_flow(OrderId(id), seller_of(scope))
        .await?
        .ok_or_else(|| ApiError::not_found("order"))?;
    Ok(Json(flow).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewBody {
    order_ids: Vec<i64>,
    /// Assign this warehouse and channel to every order first (the guide's "Assign Warehouse
    /// & Shipping, then Review").
    warehouse_id: Option<i64>,
    channel_id: Option<i64>,
}

async fn review(
    state: &AdminState,
    scope: Viewer,
    ids: Vec<i64>,
    assign: Option<(i64, i64)>,
) -> ApiResult<Response> {
    if ids.is_empty() || ids.len() > MAX_BULK {
        return Err(ApiError::bad_request(
            "invalid_body",
            format!("order_ids must hold 1 to {MAX_BULK} ids"),
        ));
    }
    let now = state.engine.now();
    let ids: Vec<OrderId> = ids.into_iter().map(OrderId).collect();
    let mut assign_refusals = std::collections::HashMap::new();
    if let Some((warehouse, channel)) = assign {
        let assigned = state
            .store
            .assign_orders(
                &ids,
                seller_of(scope),
                WarehouseId(warehouse),
                ChannelId(channel),
                now,
            )
            .await?;
        for (id, result) in assigned {
            if let Err(e) = result {
                assign_refusals.insert(id, e.to_string());
            }
        }
    }
    let mut outcomes = state
        .store
        .review_orders(&ids, seller_of(scope), now)
        .await?;
    for o in &mut outcomes {
        if let (false, Some(why)) = (o.ok, assign_refusals.get(&o.order_id)) {
            o.detail = Some(why.clone());
        }
    }
    let reviewed = outcomes.iter().filter(|o| o.ok).count();
    Ok(Json(json!({
        "reviewed": reviewed,
        "refused": outcomes.len() - reviewed,
        "outcomes": outcomes,
    }))
    .into_response())
}

/// The warehouse and channel to assign before review: both or neither.
fn assignment(warehouse: Option<i64>, channel: Option<i64>) -> ApiResult<Option<(i64, i64)>> {
    match (warehouse, channel) {
        (Some(w), Some(c)) => Ok(Some((w, c))),
        (None, None) => Ok(None),
        _ => Err(ApiError::bad_request(
            "invalid_body",
            "warehouse_id and channel_id go together",
        )),
    }
}

async fn review_bulk(
    State(state): State<AdminState>,
    scope: Viewer,
    ApiJson(body): ApiJson<ReviewBody>,
) -> ApiResult<Response> {
    let assign = assignment(body.warehouse_id, body.channel_id)?;
    review(&state, scope, body.order_ids, assign).await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ReviewOneBody {
    warehouse_id: Option<i64>,
    channel_id: Option<i64>,
}

async fn review_one(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
    body: Option<ApiJson<ReviewOneBody>>,
) -> ApiResult<Response> {
    let body = body.map(|b| b.0).unwrap_or_default();
    let assign = assignment(body.warehouse_id, body.channel_id)?;
    review(&state, scope, vec![id], assign).await
}

async fn cancel_order(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let now = state.engine.now();
    state
        .store
        .cancel_order(OrderId(id), seller_of(scope), now)
        .await?;
    order_flow(&state, scope, id).await
}

async fn move_to_pending(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let now = state.engine.now();
    state
        .store
        .move_to_pending(OrderId(id), seller_of(scope), now)
        .await?;
    order_flow(&state, scope, id).await
}

// ---------------------------------------------------------------------------------------------
// Seller settings

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsBody {
    auto_submit: bool,
}

async fn get_settings(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    if !sees(scope, SellerId(id)) {
        return Err(ApiError::not_found("seller"));
    }
    let on = state.store.auto_submit(SellerId(id)).await?;
    Ok(Json(json!({ "seller_id": id, "auto_submit": on })).into_response())
}

async fn put_settings(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<SettingsBody>,
) -> ApiResult<Response> {
    if !sees(scope, SellerId(id)) {
        return Err(ApiError::not_found("seller"));
    }
    state
        .store
        .set_auto_submit(SellerId(id), body.auto_submit)
        .await?;
    Ok(Json(json!({ "seller_id": id, "auto_submit": body.auto_submit })).into_response())
}

// ---------------------------------------------------------------------------------------------
// Fulfillment orders

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FulfillmentQuery {
    status: Option<FulfillmentStatus>,
    order_id: Option<i64>,
    warehouse_id: Option<i64>,
    after: Option<i64>,
    limit: Option<u32>,
}

fn filter(q: FulfillmentQuery, seller: Option<SellerId>) -> ApiResult<FulfillmentFilter> {
    Ok(FulfillmentFilter {
        seller,
        warehouse: q.warehouse_id.map(WarehouseId),
        status: q.status,
        order: q.order_id.map(OrderId),
        after: q.after.map(FulfillmentId),
        limit: check_limit(q.limit)?,
    })
}

async fn list_fulfillments(
    State(state): State<AdminState>,
    scope: Viewer,
    ApiQuery(q): ApiQuery<FulfillmentQuery>,
) -> ApiResult<Response> {
    let list = state
        .store
        .list_fulfillments(&filter(q, seller_of(scope))?)
        .await?;
    Ok(Json(json!({ "fulfillment_orders": list })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewFulfillmentBody {
    seller_id: Option<i64>,
    reference: String,
    warehouse_id: i64,
    channel_id: i64,
    ship_to: Address,
    lines: Vec<NewFulfillmentLine>,
}

async fn create_fulfillment(
    State(state): State<AdminState>,
    scope: Viewer,
    ApiJson(body): ApiJson<NewFulfillmentBody>,
) -> ApiResult<Response> {
    let seller = scope.acting_seller(body.seller_id)?;
    let id = state
        .store
        .create_fulfillment(
            &NewFulfillment {
                seller,
                reference: body.reference,
                warehouse: WarehouseId(body.warehouse_id),
                channel: ChannelId(body.channel_id),
                ship_to: body.ship_to,
                lines: body.lines,
            },
            state.engine.now(),
        )
        .await?;
    let created = state.store.get_fulfillment(id, scope_of(scope)).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportQuery {
    seller_id: Option<i64>,
}

/// Manual fulfillment orders from CSV: all or none, every bad line named.
async fn import_fulfillments(
    State(state): State<AdminState>,
    scope: Viewer,
    ApiQuery(q): ApiQuery<ImportQuery>,
    CsvBody(csv): CsvBody,
) -> Result<Response, ImportFailure> {
    let seller = scope.acting_seller(q.seller_id)?;
    let done = state
        .store
        .import_fulfillments(seller, &csv, state.engine.now())
        .await?;
    Ok((StatusCode::CREATED, Json(done)).into_response())
}

async fn get_fulfillment(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let fo = state
        .store
        .get_fulfillment(FulfillmentId(id), scope_of(scope))
        .await?
        .ok_or_else(|| ApiError::not_found("fulfillment order"))?;
    Ok(Json(fo).into_response())
}

async fn edit_fulfillment(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
    ApiJson(patch): ApiJson<FulfillmentPatch>,
) -> ApiResult<Response> {
    let now = state.engine.now();
    state
        .store
        .edit_fulfillment(FulfillmentId(id), scope_of(scope), &patch, now)
        .await?;
    get_fulfillment(State(state), scope, IdPath(id)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitBody {
    ids: Vec<i64>,
}

async fn submit(state: &AdminState, scope: Viewer, ids: Vec<i64>) -> ApiResult<Response> {
    if ids.is_empty() || ids.len() > MAX_BULK {
        return Err(ApiError::bad_request(
            "invalid_body",
            format!("ids must hold 1 to {MAX_BULK} ids"),
        ));
    }
    let ids: Vec<FulfillmentId> = ids.into_iter().map(FulfillmentId).collect();
    let outcomes = state
        .store
        .submit_fulfillments(&ids, scope_of(scope), state.engine.now())
        .await?;
    let submitted = outcomes.iter().filter(|o| o.ok).count();
    Ok(Json(json!({
        "submitted": submitted,
        "failed": outcomes.len() - submitted,
        "outcomes": outcomes,
    }))
    .into_response())
}

async fn submit_bulk(
    State(state): State<AdminState>,
    scope: Viewer,
    ApiJson(body): ApiJson<SubmitBody>,
) -> ApiResult<Response> {
    submit(&state, scope, body.ids).await
}

async fn submit_one(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    // One named order that is not the caller's is "not found", as everywhere else.
    if state
        .store
        .get_fulfillment(FulfillmentId(id), scope_of(scope))
        .await?
        .is_none()
    {
        return Err(ApiError::not_found("fulfillment order"));
    }
    submit(&state, scope, vec![id]).await
}

async fn move_to_draft(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let now = state.engine.now();
    state
        .store
        .fulfillment_to_draft(FulfillmentId(id), scope_of(scope), now)
        .await?;
    get_fulfillment(State(state), scope, IdPath(id)).await
}

async fn cancel_fulfillment(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let now = state.engine.now();
    state
        .store
        .cancel_fulfillment(FulfillmentId(id), scope_of(scope), now)
        .await?;
    get_fulfillment(State(state), scope, IdPath(id)).await
}

/// The label document itself, for printing.
async fn get_label(
    State(state): State<AdminState>,
    parts: TokenScopeOf,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let (format, bytes) = state
        .store
        .fulfillment_label(FulfillmentId(id), parts.0)
        .await?
        .ok_or_else(|| ApiError::not_found("label"))?;
    let content_type = match format.as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "zpl" => "application/zpl",
        _ => "application/octet-stream",
    };
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        bytes,
    )
        .into_response())
}

/// Any token's scope, for reads the warehouse shares with the seller.
struct TokenScopeOf(TokenScope);

impl<S: Send + Sync> FromRequestParts<S> for TokenScopeOf {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<TokenScope>()
            .copied()
            .map(TokenScopeOf)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "a bearer token is required",
                )
            })
    }
}

// ---------------------------------------------------------------------------------------------
// The warehouse's reports

async fn warehouse_work(
    State(state): State<AdminState>,
    WarehouseCaller(scope): WarehouseCaller,
    ApiQuery(q): ApiQuery<FulfillmentQuery>,
) -> ApiResult<Response> {
    let mut f = filter(q, None)?;
    if let TokenScope::Warehouse(own) = scope {
        if f.warehouse.is_some_and(|w| w != own) {
            return Err(forbidden("a warehouse token sees its own warehouse only"));
        }
        f.warehouse = Some(own);
    }
    let list = state.store.list_fulfillments(&f).await?;
    Ok(Json(json!({ "fulfillment_orders": list })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelBody {
    tracking_number: String,
    carrier_code: Option<String>,
    /// The label file, base64.
    label_base64: Option<String>,
    /// pdf | png | zpl
    format: Option<String>,
}

async fn report_label(
    State(state): State<AdminState>,
    WarehouseCaller(scope): WarehouseCaller,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<LabelBody>,
) -> ApiResult<Response> {
    let label = match &body.label_base64 {
        None => None,
        Some(b64) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|e| ApiError::bad_request("invalid_body", format!("label_base64: {e}")))?;
            if bytes.is_empty() || bytes.len() > MAX_LABEL_BYTES {
                return Err(ApiError::bad_request(
                    "invalid_body",
                    "label_base64 must decode to 1 byte .. 5 MB",
                ));
            }
            let format = body.format.as_deref().unwrap_or("pdf");
            if !matches!(format, "pdf" | "png" | "zpl") {
                return Err(ApiError::bad_request(
                    "invalid_body",
                    "format must be pdf, png or zpl",
                ));
            }
            Some((format, bytes))
        }
    };
    state
        .store
        .report_carrier_label(
            FulfillmentId(id),
            scope,
            body.carrier_code.as_deref(),
            &body.tracking_number,
            label.as_ref().map(|(f, b)| (*f, b.as_slice())),
            state.engine.now(),
        )
        .await?;
    let fo = state
        .store
        .get_fulfillment(FulfillmentId(id), scope)
        .await?;
    Ok(Json(fo).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ShipBody {
    tracking_number: Option<String>,
    carrier_code: Option<String>,
    shipped_at: Option<DateTime<Utc>>,
}

async fn ship(
    State(state): State<AdminState>,
    WarehouseCaller(scope): WarehouseCaller,
    IdPath(id): IdPath,
    body: Option<ApiJson<ShipBody>>,
) -> ApiResult<Response> {
    let body = body.map(|b| b.0).unwrap_or_default();
    let report = ShipReport {
        tracking_number: body.tracking_number,
        carrier_code: body.carrier_code,
        shipped_at: body.shipped_at,
    };
    let upload = state
        .store
        .ship_fulfillment(FulfillmentId(id), scope, &report, state.engine.now())
        .await?;
    let fo = state
        .store
        .get_fulfillment(FulfillmentId(id), scope)
        .await?;
    Ok(Json(json!({ "fulfillment_order": fo, "tracking_upload_id": upload })).into_response())
}
