//! The store's one error type, with sqlx errors folded into the few kinds a caller acts on.

use sqlx::error::ErrorKind as DbErrorKind;

/// An order-store failure. Messages name tables and rules, never a value from a row, so they
/// carry no credentials and no buyer data; the database's own error stays reachable as the
/// `source`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The URL names no supported backend. The URL itself is not repeated: it may hold a
    /// password.
    #[error("unsupported database url: expected sqlite://PATH or postgres://...")]
    UnsupportedUrl,
    /// A row the call refers to (a seller, a store, an order) does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The write collided with another writer: a key already taken, or an order changed after
    /// this batch read it. Nothing was written; retrying the whole call is safe.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The request breaks a rule about its own content (a quantity of 0, an unknown SKU in an
    /// import row). The message names the field and the rule; it may repeat codes the caller
    /// sent (SKUs, references), never credentials or buyer data.
    #[error("{0}")]
    Invalid(String),
    /// The request is well formed but the current state forbids it (renaming an approved SKU,
    /// reviewing an order that is not Pending). Worded for the seller, as the warehouse's
    /// guide words it where it has the case.
    #[error("{0}")]
    Refused(String),
    /// Any other database failure, including a stored value that cannot be read back.
    #[error("database error")]
    Database(#[source] sqlx::Error),
    #[error("migration failed")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Names what was missing when a foreign key pointed nowhere; the database only says
    /// which constraint failed.
    pub(crate) fn missing(self, what: &'static str) -> Self {
        match self {
            StoreError::NotFound(_) => StoreError::NotFound(what),
            other => other,
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        StoreError::Invalid(message.into())
    }

    pub(crate) fn refused(message: impl Into<String>) -> Self {
        StoreError::Refused(message.into())
    }

    /// A stored value that does not parse back into its domain type.
    pub(crate) fn corrupt(
        column: &'static str,
        source: impl Into<sqlx::error::BoxDynError>,
    ) -> Self {
        StoreError::Database(sqlx::Error::ColumnDecode {
            index: column.to_owned(),
            source: source.into(),
        })
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound("row"),
            sqlx::Error::Database(db) => match db.kind() {
                DbErrorKind::UniqueViolation => {
                    StoreError::Conflict("a row with the same key already exists")
                }
                DbErrorKind::ForeignKeyViolation => StoreError::NotFound("referenced row"),
                _ => StoreError::Database(e),
            },
            _ => StoreError::Database(e),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migrate(e)
    }
}
