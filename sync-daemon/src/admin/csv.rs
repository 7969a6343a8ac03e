//! CSV uploads shared by the import endpoints: the `text/csv` body and the answer listing every
//! bad line.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use core_model::store::csv_import::{ImportError, RowError};

use super::ApiError;

/// The largest CSV body an import accepts (bigger files: split them, or use the CLI).
pub(super) const IMPORT_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// A `text/csv` body.
pub(super) struct CsvBody(pub(super) Bytes);

impl<S: Send + Sync> FromRequest<S> for CsvBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_csv = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("text/csv"));
        if !is_csv {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the file with `Content-Type: text/csv`",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|r| ApiError::new(r.status(), "invalid_body", r.body_text()))?;
        Ok(CsvBody(bytes))
    }
}

/// A refused import: `{"error": {"code": "invalid_csv", "message", "rows": [{line, message}]}}`
/// (422), or any other error answer.
pub(super) enum ImportFailure {
    Rows(Vec<RowError>),
    Api(ApiError),
}

impl From<ApiError> for ImportFailure {
    fn from(e: ApiError) -> Self {
        ImportFailure::Api(e)
    }
}

impl From<ImportError> for ImportFailure {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Rows(rows) => ImportFailure::Rows(rows),
            ImportError::Store(e) => ImportFailure::Api(e.into()),
        }
    }
}

impl IntoResponse for ImportFailure {
    fn into_response(self) -> Response {
        match self {
            ImportFailure::Api(e) => e.into_response(),
            ImportFailure::Rows(rows) => {
                let body = serde_json::json!({
                    "error": {
                        "code": "invalid_csv",
                        "message": format!(
                            "{} bad line(s) in the CSV; nothing was imported",
                            rows.len()
                        ),
                        "rows": rows,
                    }
                });
                (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
            }
        }
    }
}
