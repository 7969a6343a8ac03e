//! The admin HTTP API: health, readiness and Prometheus metrics for the supervisor, and under
//! `/v1` stores, sync runs and orders for bearer tokens scoped to one seller or the operator.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use anyhow::Context;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{
    FromRequest, FromRequestParts, MatchedPath, OptionalFromRequest, Request, State,
};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use core_model::platform::UnknownPlatform;
use core_model::store::flow::OrderFlow;
use core_model::store::{
    OrderFilter, OrderId, OrderStore, RunId, StoreError, StoreInfo, StoredOrder, TokenScope,
    TrackingUpload,
};
use core_model::{
    Address, FlowStatus, NeutralStatus, OrderLine, Platform, SellerId, StoreId, Window,
};
use metrics_exporter_prometheus::PrometheusHandle;
use rand::RngCore;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use tracing::Instrument;

use crate::sync::Engine;

mod catalog;
mod csv;
mod flow;
mod stock;

/// Runs or orders listed when the caller gives no `limit`, and the most it may ask for.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 1000;

const TOKEN_PREFIX: &str = "omsync_";

const STARTING: u8 = 0;
const READY: u8 = 1;
const STOPPING: u8 = 2;

/// Readiness: Starting -> Ready -> Stopping. Clones share one state.
#[derive(Debug, Clone, Default)]
pub struct Readiness(Arc<AtomicU8>);

impl Readiness {
    pub fn new() -> Self {
        Readiness::default()
    }

    /// Ready to serve; a daemon already stopping stays stopping.
    pub fn set_ready(&self) {
        let _ = self
            .0
            .compare_exchange(STARTING, READY, Ordering::SeqCst, Ordering::SeqCst);
    }

    /// Shutdown has begun: `/readyz` answers 503 so the balancer stops sending work.
    pub fn set_stopping(&self) {
        self.0.store(STOPPING, Ordering::SeqCst);
    }

    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::SeqCst) == READY
    }

    fn name(&self) -> &'static str {
        match self.0.load(Ordering::SeqCst) {
            STARTING => "starting",
            READY => "ready",
            _ => "stopping",
        }
    }
}

/// What the admin API serves from.
#[derive(Debug, Clone)]
pub struct AdminState {
    pub store: OrderStore,
    pub engine: Engine,
    pub readiness: Readiness,
    /// The installed Prometheus recorder's handle; `/metrics` answers 503 without one.
    pub metrics: Option<PrometheusHandle>,
}

/// The admin API. Only `/healthz`, `/readyz` and `/metrics` answer without a bearer token.
pub fn router(state: AdminState) -> Router {
    let v1 = Router::new()
        .route("/stores", get(list_stores).post(create_store))
        .route("/stores/{id}", get(get_store).delete(delete_store))
        .route("/stores/{id}/sync", post(sync_store))
        .route("/sync", post(sync_all))
        .route("/runs", get(list_runs))
        .route("/runs/{id}", get(get_run))
        .route("/orders", get(list_orders))
        .route("/orders/{id}", get(get_order))
        .merge(catalog::routes())
        .merge(stock::routes())
        .merge(flow::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Applied to the fallback too: without a token even an unknown path answers 401.
        .layer(middleware::from_fn_with_state(state.clone(), authenticate));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .nest("/v1", v1)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(request_span))
        .with_state(state)
}

/// A new random token (32 random bytes, base64url, prefixed `omsync_`); only its SHA-256 is
/// stored. The token itself is returned once, here.
pub async fn create_token(
    store: &OrderStore,
    scope: TokenScope,
    label: &str,
) -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .context("the system random source failed")?;
    let token = format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    store
        .add_api_token(scope, &hash_token(&token), label, Utc::now())
        .await
        .context("storing the api token")?;
    Ok(token)
}

pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

// ---------------------------------------------------------------------------------------------
// Errors and extractors

/// An error answer: `{"error": {"code": "...", "message": "..."}}`. Messages name fields and
/// rules, never a credential or buyer data.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub(crate) fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub(crate) fn not_found(what: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    /// Logged in full; the caller learns only that it failed.
    pub(crate) fn internal(e: &anyhow::Error) -> Self {
        tracing::error!(error = %format!("{e:#}"), "admin request failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::not_found(what),
            StoreError::Invalid(message) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
            }
            StoreError::Refused(message) => ApiError::new(StatusCode::CONFLICT, "refused", message),
            e => ApiError::internal(&anyhow::Error::new(e)),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": { "code": self.code, "message": self.message }
        });
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

/// `Json` whose rejections answer in the API's error shape.
pub(crate) struct ApiJson<T>(pub(crate) T);

fn json_rejection(r: JsonRejection) -> ApiError {
    let code = match r {
        JsonRejection::JsonSyntaxError(_) => "malformed_json",
        JsonRejection::MissingJsonContentType(_) => "unsupported_media_type",
        _ => "invalid_body",
    };
    let status = match r.status() {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        StatusCode::PAYLOAD_TOO_LARGE => StatusCode::PAYLOAD_TOO_LARGE,
        // A body that parses but does not fit is bad input like any other.
        _ => StatusCode::BAD_REQUEST,
    };
    ApiError::new(status, code, r.body_text())
}

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let Json(value) = <Json<T> as FromRequest<S>>::from_request(req, state)
            .await
            .map_err(json_rejection)?;
        Ok(ApiJson(value))
    }
}

/// No body (no `Content-Type`) is `None`.
impl<T, S> OptionalFromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, ApiError> {
        let value = <Json<T> as OptionalFromRequest<S>>::from_request(req, state)
            .await
            .map_err(json_rejection)?;
        Ok(value.map(|Json(v)| ApiJson(v)))
    }
}

/// `Query` whose rejections answer in the API's error shape.
pub(crate) struct ApiQuery<T>(pub(crate) T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state)
                .await
                .map_err(|r: QueryRejection| {
                    ApiError::bad_request("invalid_query", r.body_text())
                })?;
        Ok(ApiQuery(value))
    }
}

/// A numeric id from the path; anything else is a 400.
pub(crate) struct IdPath(pub(crate) i64);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path(id) = axum::extract::Path::<i64>::from_request_parts(parts, state)
            .await
            .map_err(|r: PathRejection| ApiError::bad_request("invalid_path", r.body_text()))?;
        Ok(IdPath(id))
    }
}

pub(crate) fn check_limit(limit: Option<u32>) -> ApiResult<u32> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n @ 1..=MAX_LIMIT) => Ok(n),
        Some(_) => Err(ApiError::bad_request(
            "invalid_query",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method not allowed on this endpoint",
    )
}

// ---------------------------------------------------------------------------------------------
// Middleware

/// One span per request, named by the route template, so neither ids nor query values are
/// recorded.
async fn request_span(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let span = tracing::debug_span!("admin", method = %req.method(), route = %route);
    async move {
        let response = next.run(req).await;
        tracing::debug!(status = response.status().as_u16(), "answered");
        response
    }
    .instrument(span)
    .await
}

/// Resolves the bearer token to its scope, put in the request for the handlers.
async fn authenticate(State(state): State<AdminState>, mut req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "an `Authorization: Bearer <token>` header is required",
        )
        .into_response();
    };
    match state.store.token_scope(&hash_token(token)).await {
        Ok(Some(scope)) => {
            req.extensions_mut().insert(scope);
            next.run(req).await
        }
        Ok(None) => {
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "unknown token").into_response()
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// Who is asking, on the seller-facing endpoints: the operator (every seller) or one seller.
/// A warehouse token is refused here: it only reports on the documents addressed to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Viewer {
    Operator,
    Seller(SellerId),
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        match parts.extensions.get::<TokenScope>() {
            Some(TokenScope::Operator) => Ok(Viewer::Operator),
            Some(TokenScope::Seller(s)) => Ok(Viewer::Seller(*s)),
            Some(TokenScope::Warehouse(_)) => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "a warehouse token may only use the /v1/warehouse endpoints",
            )),
            None => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "an `Authorization: Bearer <token>` header is required",
            )),
        }
    }
}

impl Viewer {
    /// For the warehouse's own steps (audits, approvals, credit limits): `what` completes
    /// "only the operator ...".
    pub(crate) fn operator_only(self, what: &str) -> ApiResult<()> {
        match self {
            Viewer::Operator => Ok(()),
            Viewer::Seller(_) => Err(forbidden(&format!("only the operator {what}"))),
        }
    }

    /// The seller a write is for: a seller token's own, or the one the operator names.
    pub(crate) fn acting_seller(self, named: Option<i64>) -> ApiResult<SellerId> {
        match (self, named.map(SellerId)) {
            (Viewer::Operator, Some(s)) => Ok(s),
            (Viewer::Operator, None) => Err(ApiError::bad_request(
                "invalid_body",
                "seller_id is required with the operator token",
            )),
            (Viewer::Seller(own), None) => Ok(own),
            (Viewer::Seller(own), Some(s)) if s == own => Ok(own),
            (Viewer::Seller(_), Some(_)) => {
                Err(forbidden("a seller token acts only for its own seller"))
            }
        }
    }
}

pub(crate) fn forbidden(message: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
}

/// The seller a viewer limits listings to; `None` for the operator.
pub(crate) fn seller_of(scope: Viewer) -> Option<SellerId> {
    match scope {
        Viewer::Operator => None,
        Viewer::Seller(s) => Some(s),
    }
}

pub(crate) fn sees(scope: Viewer, seller: SellerId) -> bool {
    seller_of(scope).is_none_or(|s| s == seller)
}

/// The store `id` if the caller may see it. Another seller's store is "not found", the same
/// as one that does not exist.
pub(crate) async fn visible_store(
    state: &AdminState,
    scope: Viewer,
    id: i64,
) -> ApiResult<StoreInfo> {
    match state.store.get_store(StoreId(id)).await? {
        Some(info) if sees(scope, info.seller_id) => Ok(info),
        _ => Err(ApiError::not_found("store")),
    }
}

// ---------------------------------------------------------------------------------------------
// Health

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

async fn readyz(State(state): State<AdminState>) -> Response {
    let status = if state.readiness.is_ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(serde_json::json!({ "status": state.readiness.name() })),
    )
        .into_response()
}

async fn metrics(State(state): State<AdminState>) -> Response {
    match &state.metrics {
        Some(handle) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            )],
            handle.render(),
        )
            .into_response(),
        None => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics_unavailable",
            "no metrics recorder is installed",
        )
        .into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// Stores

#[derive(Deserialize)]
struct StoresQuery {
    seller_id: Option<i64>,
}

#[derive(Serialize)]
struct StoresPage {
    stores: Vec<StoreInfo>,
}

async fn list_stores(
    State(state): State<AdminState>,
    scope: Viewer,
    ApiQuery(q): ApiQuery<StoresQuery>,
) -> ApiResult<Json<StoresPage>> {
    let asked = q.seller_id.map(SellerId);
    let stores = match (seller_of(scope), asked) {
        // A seller asking for another seller's stores sees none.
        (Some(own), Some(asked)) if own != asked => Vec::new(),
        (Some(own), _) => state.store.list_stores(Some(own)).await?,
        (None, asked) => state.store.list_stores(asked).await?,
    };
    Ok(Json(StoresPage { stores }))
}

async fn get_store(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
) -> ApiResult<Json<StoreInfo>> {
    Ok(Json(visible_store(&state, scope, id).await?))
}

// No Debug: it holds the store's credentials.
#[derive(Deserialize)]
struct NewStore {
    platform: String,
    name: String,
    credentials: serde_json::Value,
    seller_id: Option<i64>,
}

async fn create_store(
    State(state): State<AdminState>,
    scope: Viewer,
    ApiJson(body): ApiJson<NewStore>,
) -> ApiResult<(StatusCode, Json<StoreInfo>)> {
    let platform: Platform = body
        .platform
        .parse()
        .map_err(|e: UnknownPlatform| ApiError::bad_request("unknown_platform", e.to_string()))?;
    let name = body.name.trim();
    if name.is_empty() {
        return Err(ApiError::bad_request(
            "invalid_body",
            "name must not be empty",
        ));
    }
    let seller = match (scope, body.seller_id.map(SellerId)) {
        (Viewer::Operator, Some(s)) => s,
        (Viewer::Operator, None) => {
            return Err(ApiError::bad_request(
                "invalid_body",
                "seller_id is required with the operator token",
            ))
        }
        (Viewer::Seller(own), None) => own,
        (Viewer::Seller(own), Some(s)) if s == own => own,
        (Viewer::Seller(_), Some(_)) => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "a seller token creates stores only for its own seller",
            ))
        }
    };
    // Refused credentials leave no store behind.
    state
        .engine
        .check_credentials(platform, &body.credentials)
        .map_err(|e| ApiError::bad_request("invalid_credentials", format!("{e:#}")))?;
    let id = match state.store.create_store(seller, platform, name).await {
        Ok(id) => id,
        Err(StoreError::NotFound(_)) => {
            return Err(ApiError::bad_request(
                "unknown_seller",
                "seller_id names no seller",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    if let Err(e) = state.engine.authorize(id, &body.credentials).await {
        // The store itself failing is ours; anything else is the connector refusing the
        // credentials, whose errors name the key and never the value.
        if e.downcast_ref::<StoreError>().is_some() {
            return Err(ApiError::internal(&e));
        }
        return Err(ApiError::bad_request(
            "invalid_credentials",
            format!("{e:#}"),
        ));
    }
    let info = state
        .store
        .get_store(id)
        .await?
        .ok_or_else(|| ApiError::not_found("store"))?;
    tracing::info!(store = id.0, seller = seller.0, platform = %platform, "store added");
    Ok((StatusCode::CREATED, Json(info)))
}

async fn delete_store(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    let info = visible_store(&state, scope, id).await?;
    state
        .store
        .deactivate_store(info.id, state.engine.now())
        .await?;
    state.engine.forget(info.id);
    tracing::info!(store = info.id.0, "store deactivated");
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------------
// Manual sync

#[derive(Deserialize)]
struct SyncWindow {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

#[derive(Serialize)]
struct SyncAccepted {
    store_id: StoreId,
    run_id: RunId,
    created: bool,
}

#[derive(Serialize)]
struct SyncAllAccepted {
    runs: Vec<SyncAccepted>,
}

/// Queues a manual run of an active store, or finds its unfinished one. `None` when the store
/// is not active (never authorized, or removed).
async fn request_sync(
    state: &AdminState,
    store: StoreId,
    window: Option<Window>,
) -> ApiResult<Option<SyncAccepted>> {
    match state.engine.request_sync(store, window).await {
        Ok((run_id, created)) => Ok(Some(SyncAccepted {
            store_id: store,
            run_id,
            created,
        })),
        Err(e) => match e.downcast_ref::<StoreError>() {
            Some(StoreError::NotFound(_)) => Ok(None),
            _ => Err(ApiError::internal(&e)),
        },
    }
}

async fn sync_store(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
    body: Option<ApiJson<SyncWindow>>,
) -> ApiResult<(StatusCode, Json<SyncAccepted>)> {
    let window =
        match body {
            None => None,
            Some(ApiJson(w)) => Some(Window::new(w.from, w.to).ok_or_else(|| {
                ApiError::bad_request("invalid_body", "`from` must be before `to`")
            })?),
        };
    let info = visible_store(&state, scope, id).await?;
    match request_sync(&state, info.id, window).await? {
        Some(accepted) => Ok((StatusCode::ACCEPTED, Json(accepted))),
        None => Err(ApiError::new(
            StatusCode::CONFLICT,
            "store_inactive",
            "the store is not authorized or was removed",
        )),
    }
}

async fn sync_all(
    State(state): State<AdminState>,
    scope: Viewer,
) -> ApiResult<(StatusCode, Json<SyncAllAccepted>)> {
    let mut runs = Vec::new();
    for info in state.store.list_stores(seller_of(scope)).await? {
        if !info.active {
            continue;
        }
        // A store removed since the listing is skipped like any inactive one.
        if let Some(accepted) = request_sync(&state, info.id, None).await? {
            runs.push(accepted);
        }
    }
    Ok((StatusCode::ACCEPTED, Json(SyncAllAccepted { runs })))
}

// ---------------------------------------------------------------------------------------------
// Runs

#[derive(Deserialize)]
struct RunsQuery {
    store_id: Option<i64>,
    limit: Option<u32>,
}

#[derive(Serialize)]
struct RunsPage {
    runs: Vec<core_model::store::SyncRun>,
}

async fn list_runs(
    State(state): State<AdminState>,
    scope: Viewer,
    ApiQuery(q): ApiQuery<RunsQuery>,
) -> ApiResult<Json<RunsPage>> {
    let limit = check_limit(q.limit)?;
    // The seller filter keeps another seller's store_id to an empty list.
    let runs = state
        .store
        .list_runs(q.store_id.map(StoreId), seller_of(scope), limit)
        .await?;
    Ok(Json(RunsPage { runs }))
}

async fn get_run(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
) -> ApiResult<Json<core_model::store::SyncRun>> {
    let run = state
        .store
        .get_run(RunId(id))
        .await?
        .ok_or_else(|| ApiError::not_found("run"))?;
    if let Some(own) = seller_of(scope) {
        let owner = state.store.get_store(run.store_id).await?;
        if owner.is_none_or(|s| s.seller_id != own) {
            return Err(ApiError::not_found("run"));
        }
    }
    Ok(Json(run))
}

// ---------------------------------------------------------------------------------------------
// Orders

#[derive(Deserialize)]
struct OrdersQuery {
    store_id: Option<i64>,
    status: Option<NeutralStatus>,
    flow_status: Option<FlowStatus>,
    updated_from: Option<DateTime<Utc>>,
    updated_to: Option<DateTime<Utc>>,
    limit: Option<u32>,
    after_id: Option<i64>,
}

/// An order as the API shows it. The raw payload only comes with a single order.
#[derive(Serialize)]
struct OrderView<'a> {
    id: OrderId,
    store_id: StoreId,
    platform: Platform,
    platform_order_id: &'a str,
    platform_status: &'a str,
    status: NeutralStatus,
    flow_status: FlowStatus,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    currency: &'a str,
    buyer_name: Option<&'a str>,
    ship_to: &'a Address,
    lines: &'a [OrderLine],
    platform_label_hint: bool,
    first_seen_at: DateTime<Utc>,
    last_changed_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw: Option<&'a RawValue>,
    /// Its shipments' upload status (the tracking outbox); with a single order only.
    #[serde(skip_serializing_if = "Option::is_none")]
    tracking_uploads: Option<Vec<TrackingUpload>>,
    /// Warehouse, channel, exception reason, label fetch and fulfillment orders; with a
    /// single order only.
    #[serde(skip_serializing_if = "Option::is_none")]
    oms: Option<OrderFlow>,
}

impl<'a> OrderView<'a> {
    fn new(o: &'a StoredOrder, with_raw: bool) -> Self {
        OrderView {
            id: o.id,
            store_id: o.order.store,
            platform: o.order.platform,
            platform_order_id: &o.order.platform_order_id,
            platform_status: &o.order.platform_status,
            status: o.order.status,
            flow_status: o.flow_status,
            created_at: o.order.created_at,
            updated_at: o.order.updated_at,
            currency: &o.order.currency,
            buyer_name: o.order.buyer_name.as_deref(),
            ship_to: &o.order.ship_to,
            lines: &o.order.lines,
            platform_label_hint: o.order.platform_label_hint,
            first_seen_at: o.first_seen_at,
            last_changed_at: o.last_changed_at,
            raw: with_raw.then_some(&*o.order.raw),
            tracking_uploads: None,
            oms: None,
        }
    }
}

#[derive(Serialize)]
struct OrdersPage<'a> {
    orders: Vec<OrderView<'a>>,
    /// Pass as `after_id` for the next page; `null` on the last page.
    next_after_id: Option<OrderId>,
}

async fn list_orders(
    State(state): State<AdminState>,
    scope: Viewer,
    ApiQuery(q): ApiQuery<OrdersQuery>,
) -> ApiResult<Response> {
    let limit = check_limit(q.limit)?;
    if let (Some(from), Some(to)) = (q.updated_from, q.updated_to) {
        if from >= to {
            return Err(ApiError::bad_request(
                "invalid_query",
                "updated_from must be before updated_to",
            ));
        }
    }
    let filter = OrderFilter {
        seller: seller_of(scope),
        store: q.store_id.map(StoreId),
        status: q.status,
        flow_status: q.flow_status,
        updated_from: q.updated_from,
        updated_to: q.updated_to,
        after: q.after_id.map(OrderId),
        // One more than asked tells whether another page follows.
        limit: limit + 1,
    };
    let mut orders = state.store.list_orders(&filter).await?;
    let more = orders.len() > limit as usize;
    orders.truncate(limit as usize);
    let next_after_id = if more {
        orders.last().map(|o| o.id)
    } else {
        None
    };
    let page = OrdersPage {
        orders: orders.iter().map(|o| OrderView::new(o, false)).collect(),
        next_after_id,
    };
    Ok(Json(page).into_response())
}

async fn get_order(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let Some(order) = state.store.order_by_id(OrderId(id)).await? else {
        return Err(ApiError::not_found("order"));
    };
    if let Some(own) = seller_of(scope) {
        let owner = state.store.get_store(order.order.store).await?;
        if owner.is_none_or(|s| s.seller_id != own) {
            return Err(ApiError::not_found("order"));
        }
    }
    let uploads = state
        .store
        .tracking_uploads(order.order.store, &order.order.platform_order_id)
        .await?;
    let mut view = OrderView::new(&order, true);
    view.tracking_uploads = Some(uploads);
    view.oms = state.store.order_flow(order.id, None).await?;
    Ok(Json(view).into_response())
}
