//! Products (system SKUs) with the warehouse's audit, and each store's product mappings,
//! including their CSV imports. A seller sees and changes only its own; the operator acts for
//! any seller and alone approves, rejects and measures.

use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use core_model::fulfillment::{ProductId, ProductStatus};
use core_model::store::catalog::{
    ImportError, Mapping, MappingId, MappingImport, Measurement, NewProduct, Product,
    ProductFilter, ProductImport, ProductPatch,
};
use core_model::store::StoreError;
use core_model::SellerId;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::csv::{CsvBody, ImportFailure, IMPORT_BODY_LIMIT};
use super::{
    check_limit, sees, seller_of, visible_store, AdminState, ApiError, ApiJson, ApiQuery,
    ApiResult, IdPath, Viewer,
};

pub(super) fn routes() -> Router<AdminState> {
    Router::new()
        .route("/products", get(list_products).post(create_product))
        .route(
            "/products/import",
            post(import_products).layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .route(
            "/products/{id}",
            get(get_product)
                .patch(update_product)
                .delete(delete_product),
        )
        .route("/products/{id}/submit", post(submit_product))
        .route("/products/{id}/approve", post(approve_product))
        .route("/products/{id}/reject", post(reject_product))
        .route("/products/{id}/measure", post(measure_product))
        .route(
            "/stores/{id}/mappings",
            get(list_mappings)
                .post(add_mapping)
                .delete(delete_platform_sku),
        )
        .route(
            "/stores/{id}/mappings/import",
            post(import_mappings).layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .route("/stores/{id}/mappings/{mapping_id}", delete(delete_mapping))
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

/// The product `id` if the caller may see it; another seller's is "not found".
async fn visible_product(state: &AdminState, scope: Viewer, id: i64) -> ApiResult<Product> {
    match state.store.get_product(ProductId(id)).await? {
        Some(p) if sees(scope, p.seller_id) => Ok(p),
        _ => Err(ApiError::not_found("product")),
    }
}

fn unknown_seller(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound("seller") => {
            ApiError::bad_request("unknown_seller", "seller_id names no seller")
        }
        e => e.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Products

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductsQuery {
    seller_id: Option<i64>,
    status: Option<ProductStatus>,
    /// Part of the SKU code.
    sku: Option<String>,
    limit: Option<u32>,
    after_id: Option<i64>,
}

#[derive(Serialize)]
struct ProductsPage {
    products: Vec<Product>,
    /// Pass as `after_id` for the next page; `null` on the last page.
    next_after_id: Option<ProductId>,
}

async fn list_products(
    State(state): State<AdminState>,
    scope: Viewer,
    ApiQuery(q): ApiQuery<ProductsQuery>,
) -> ApiResult<Json<ProductsPage>> {
    let limit = check_limit(q.limit)?;
    let asked = q.seller_id.map(SellerId);
    let seller = match (seller_of(scope), asked) {
        // A seller asking for another seller's products sees none.
        (Some(own), Some(asked)) if own != asked => {
            return Ok(Json(ProductsPage {
                products: Vec::new(),
                next_after_id: None,
            }))
        }
        (Some(own), _) => Some(own),
        (None, asked) => asked,
    };
    let filter = ProductFilter {
        seller,
        status: q.status,
        sku: q.sku,
        after: q.after_id.map(ProductId),
        // One more than asked tells whether another page follows.
        limit: limit + 1,
    };
    let mut products = state.store.list_products(&filter).await?;
    let more = products.len() > limit as usize;
    products.truncate(limit as usize);
    let next_after_id = if more {
        products.last().map(|p| p.id)
    } else {
        None
    };
    Ok(Json(ProductsPage {
        products,
        next_after_id,
    }))
}

async fn get_product(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
) -> ApiResult<Json<Product>> {
    Ok(Json(visible_product(&state, scope, id).await?))
}

/// The body is a [`NewProduct`] plus `seller_id` (the operator's).
async fn create_product(
    State(state): State<AdminState>,
    scope: Viewer,
    ApiJson(mut body): ApiJson<Map<String, Value>>,
) -> ApiResult<(StatusCode, Json<Product>)> {
    let named = match body.remove("seller_id") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_i64().ok_or_else(|| {
            ApiError::bad_request("invalid_body", "seller_id must be an integer")
        })?),
    };
    let new: NewProduct = serde_json::from_value(Value::Object(body))
        .map_err(|e| ApiError::bad_request("invalid_body", e.to_string()))?;
    let seller = scope.acting_seller(named)?;
    let product = state
        .store
        .create_product(seller, &new)
        .await
        .map_err(unknown_seller)?;
    tracing::info!(product = product.id.0, seller = seller.0, "product created");
    Ok((StatusCode::CREATED, Json(product)))
}

async fn update_product(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
    ApiJson(patch): ApiJson<ProductPatch>,
) -> ApiResult<Json<Product>> {
    let p = visible_product(&state, scope, id).await?;
    Ok(Json(state.store.update_product(p.id, &patch).await?))
}

async fn delete_product(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    let p = visible_product(&state, scope, id).await?;
    state.store.delete_product(p.id).await?;
    tracing::info!(product = p.id.0, "product deleted");
    Ok(StatusCode::NO_CONTENT)
}

async fn submit_product(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
) -> ApiResult<Json<Product>> {
    let p = visible_product(&state, scope, id).await?;
    Ok(Json(state.store.submit_product(p.id).await?))
}

async fn approve_product(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
) -> ApiResult<Json<Product>> {
    scope.operator_only("(the warehouse) may approve a product")?;
    let p = visible_product(&state, scope, id).await?;
    let p = state.store.approve_product(p.id).await?;
    tracing::info!(product = p.id.0, "product approved");
    Ok(Json(p))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RejectBody {
    reason: String,
}

async fn reject_product(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<RejectBody>,
) -> ApiResult<Json<Product>> {
    scope.operator_only("(the warehouse) may reject a product")?;
    let p = visible_product(&state, scope, id).await?;
    let p = state.store.reject_product(p.id, &body.reason).await?;
    tracing::info!(product = p.id.0, "product rejected");
    Ok(Json(p))
}

/// No body marks it measured; a body may add weight and dimensions.
async fn measure_product(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
    body: Option<ApiJson<Measurement>>,
) -> ApiResult<Json<Product>> {
    scope.operator_only("(the warehouse) may measure a product")?;
    let m = body.map(|ApiJson(m)| m).unwrap_or_default();
    let p = visible_product(&state, scope, id).await?;
    Ok(Json(state.store.set_measured(p.id, &m).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportQuery {
    seller_id: Option<i64>,
}

async fn import_products(
    State(state): State<AdminState>,
    scope: Viewer,
    ApiQuery(q): ApiQuery<ImportQuery>,
    CsvBody(csv): CsvBody,
) -> Result<(StatusCode, Json<ProductImport>), ImportFailure> {
    let seller = scope.acting_seller(q.seller_id)?;
    let done = match state.store.import_products(seller, &csv).await {
        Ok(done) => done,
        Err(ImportError::Store(e)) => return Err(unknown_seller(e).into()),
        Err(e) => return Err(e.into()),
    };
    tracing::info!(
        seller = seller.0,
        created = done.created,
        "products imported"
    );
    Ok((StatusCode::CREATED, Json(done)))
}

// ---------------------------------------------------------------------------------------------
// Mappings

/// `/stores/{id}/mappings/{mapping_id}`.
struct MappingPath(i64, i64);

impl<S: Send + Sync> FromRequestParts<S> for MappingPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path((store, mapping)) =
            axum::extract::Path::<(i64, i64)>::from_request_parts(parts, state)
                .await
                .map_err(|r| ApiError::bad_request("invalid_path", r.body_text()))?;
        Ok(MappingPath(store, mapping))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingsQuery {
    platform_sku: Option<String>,
    limit: Option<u32>,
    after_id: Option<i64>,
}

#[derive(Serialize)]
struct MappingsPage {
    mappings: Vec<Mapping>,
    /// Pass as `after_id` for the next page; `null` on the last page.
    next_after_id: Option<MappingId>,
}

async fn list_mappings(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<MappingsQuery>,
) -> ApiResult<Json<MappingsPage>> {
    let limit = check_limit(q.limit)?;
    let info = visible_store(&state, scope, id).await?;
    let mut mappings = state
        .store
        .list_mappings(
            info.id,
            q.platform_sku.as_deref(),
            q.after_id.map(MappingId),
            limit + 1,
        )
        .await?;
    let more = mappings.len() > limit as usize;
    mappings.truncate(limit as usize);
    let next_after_id = if more {
        mappings.last().map(|m| m.id)
    } else {
        None
    };
    Ok(Json(MappingsPage {
        mappings,
        next_after_id,
    }))
}

/// One component: the product by `system_sku` or by `product_id` (one of them).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewMapping {
    platform_sku: String,
    system_sku: Option<String>,
    product_id: Option<i64>,
    quantity: u32,
}

async fn add_mapping(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<NewMapping>,
) -> ApiResult<(StatusCode, Json<Mapping>)> {
    let info = visible_store(&state, scope, id).await?;
    let product = match (body.system_sku.as_deref().map(str::trim), body.product_id) {
        (Some(sku), None) => {
            let found = state.store.products_by_sku(info.seller_id, &[sku]).await?;
            found.get(sku).map(|p| p.id).ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    format!("unknown system SKU {sku}: the store's seller has no such product"),
                )
            })?
        }
        (None, Some(product)) => ProductId(product),
        _ => {
            return Err(ApiError::bad_request(
                "invalid_body",
                "name the product with exactly one of system_sku or product_id",
            ))
        }
    };
    let mapping = state
        .store
        .add_mapping(info.id, &body.platform_sku, product, body.quantity)
        .await?;
    Ok((StatusCode::CREATED, Json(mapping)))
}

async fn delete_mapping(
    State(state): State<AdminState>,
    scope: Viewer,
    MappingPath(id, mapping): MappingPath,
) -> ApiResult<StatusCode> {
    let info = visible_store(&state, scope, id).await?;
    state
        .store
        .delete_mapping(info.id, MappingId(mapping))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlatformSkuQuery {
    platform_sku: Option<String>,
}

#[derive(Serialize)]
struct Deleted {
    deleted: u64,
}

/// Deletes every component of one platform SKU (`?platform_sku=`, required: never the
/// whole store by accident).
async fn delete_platform_sku(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<PlatformSkuQuery>,
) -> ApiResult<Json<Deleted>> {
    let Some(platform_sku) = q.platform_sku else {
        return Err(ApiError::bad_request(
            "invalid_query",
            "platform_sku is required: the mappings of which platform SKU to delete",
        ));
    };
    let info = visible_store(&state, scope, id).await?;
    let deleted = state
        .store
        .delete_platform_sku(info.id, &platform_sku)
        .await?;
    Ok(Json(Deleted { deleted }))
}

/// Each platform SKU in the file gets exactly the components the file lists (its rows
/// already in the store are replaced); other platform SKUs are untouched.
async fn import_mappings(
    State(state): State<AdminState>,
    scope: Viewer,
    IdPath(id): IdPath,
    CsvBody(csv): CsvBody,
) -> Result<Json<MappingImport>, ImportFailure> {
    let info = visible_store(&state, scope, id).await?;
    let done = state.store.import_mappings(info.id, &csv).await?;
    tracing::info!(
        store = info.id.0,
        platform_skus = done.platform_skus,
        rows = done.rows,
        "mappings imported"
    );
    Ok(Json(done))
}
