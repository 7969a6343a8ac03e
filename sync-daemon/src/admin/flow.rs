//! (filled in by the OMS flow work)

use axum::Router;

use super::AdminState;

pub(super) fn routes() -> Router<AdminState> {
    Router::new()
}
