//! One transaction on whichever backend the store holds, for the OMS steps that read, decide
//! and write several tables at once. Each statement runs through `on_tx!`, which expands it
//! once per backend, as `on_pool!` does for single statements.

use sqlx::{Postgres, Sqlite, Transaction};

use super::{Backend, Begin, OrderStore, StoreError};

/// An open transaction. Dropped without [`Tx::commit`], it rolls back.
pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Runs `$body` with `$conn` bound to the transaction's connection (`&mut` the backend's own
/// connection type).
macro_rules! on_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx {
            crate::store::tx::Tx::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            crate::store::tx::Tx::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}
pub(crate) use on_tx;

impl Tx {
    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    /// `FOR UPDATE OF <alias>`: [`Tx::for_update`] for a query that joins, locking only the
    /// rows of the table named `alias`.
    pub(crate) fn for_update_of(&self, alias: &str) -> String {
        match self {
            Tx::Sqlite(_) => String::new(),
            Tx::Postgres(_) => format!(" FOR UPDATE OF {alias}"),
        }
    }

    /// `FOR UPDATE` where the backend locks rows a transaction reads before it writes them;
    /// SQLite's transaction already holds the one write lock.
    pub(crate) fn for_update(&self) -> &'static str {
        match self {
            Tx::Sqlite(_) => "",
            Tx::Postgres(_) => " FOR UPDATE",
        }
    }
}

impl OrderStore {
    /// A transaction that reads, then writes (SQLite takes its write lock at BEGIN).
    pub(crate) async fn write_tx(&self) -> Result<Tx, StoreError> {
        Ok(match &self.backend {
            Backend::Sqlite(pool) => Tx::Sqlite(pool.begin_write().await?),
            Backend::Postgres(pool) => Tx::Postgres(pool.begin_write().await?),
        })
    }

    /// A transaction whose reads all see one snapshot.
    pub(crate) async fn read_tx(&self) -> Result<Tx, StoreError> {
        Ok(match &self.backend {
            Backend::Sqlite(pool) => Tx::Sqlite(pool.begin_read().await?),
            Backend::Postgres(pool) => Tx::Postgres(pool.begin_read().await?),
        })
    }
}
