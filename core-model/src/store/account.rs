//! Seller accounts (the guide's "Account & Billing"): a virtual balance and a credit limit in
//! the warehouse's standard currency, and top-ups the seller requests with proof of an offline
//! payment and the operator approves before the funds count. Every change to the balance or
//! the credit limit is an `account_transactions` row. The fulfillment step reads the available
//! amount through [`ledger::funds`] inside its own transaction.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::ledger::{self, Funds};
use super::tx::{on_tx, Tx};
use super::warehouse::check_currency;
use super::{db_time, on_pool, OrderStore, StoreError};
use crate::fulfillment::{str_enum, DocumentId, TopUpId};
use crate::platform::SellerId;

/// Amounts carry at most this many decimals (cents).
pub const MONEY_DECIMALS: u32 = 2;
/// The largest top-up or credit limit accepted: 10^12 (`Decimal::new` is not const; these are
/// its low and middle 32-bit words).
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0);
/// The largest proof file, in bytes.
pub const MAX_PROOF_BYTES: usize = 5 * 1024 * 1024;
/// Proof file formats accepted.
pub const PROOF_FORMATS: &[&str] = &["pdf", "png", "jpg", "jpeg", "webp"];

/// Parses a money amount written as a decimal string ("12.50"): at most
/// [`MONEY_DECIMALS`] decimals, no exponent, not above [`MAX_AMOUNT`]. `field` names it in
/// the error. Negative amounts parse; callers decide which signs they accept.
pub fn parse_amount(field: &str, text: &str) -> Result<Decimal, StoreError> {
    let text = text.trim();
    let bad = || {
        StoreError::invalid(format!(
            "{field} must be a decimal amount with at most {MONEY_DECIMALS} decimals, such as \
             \"12.50\""
        ))
    };
    if text.is_empty()
        || !text
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return Err(bad());
    }
    let value = Decimal::from_str(text).map_err(|_| bad())?;
    if value.normalize().scale() > MONEY_DECIMALS {
        return Err(bad());
    }
    if value.abs() > MAX_AMOUNT {
        return Err(StoreError::invalid(format!(
            "{field} must not exceed {MAX_AMOUNT}"
        )));
    }
    Ok(value)
}

/// The amount as stored and shown: exactly [`MONEY_DECIMALS`] decimals.
fn money(d: Decimal) -> Decimal {
    let mut d = d.round_dp(MONEY_DECIMALS);
    d.rescale(MONEY_DECIMALS);
    d
}

/// A seller's account; a seller without one has a zero balance and credit limit and no
/// currency yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub seller_id: SellerId,
    /// `None` until the operator opens the account or approves the first top-up.
    pub currency: Option<String>,
    #[serde(with = "rust_decimal::serde::str")]
    pub balance: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub credit_limit: Decimal,
    /// Balance + credit limit: fulfillment orders are submitted only while it is above zero.
    #[serde(with = "rust_decimal::serde::str")]
    pub available: Decimal,
    /// Requested top-ups not yet approved: they do not count.
    #[serde(with = "rust_decimal::serde::str")]
    pub pending_top_ups: Decimal,
    pub updated_at: Option<DateTime<Utc>>,
}

str_enum!(
    /// What changed an account.
    AccountTxKind {
        /// An approved top-up: balance up.
        TopUp = "top_up",
        /// The operator set the credit limit; `amount` is the new limit.
        CreditLimit = "credit_limit",
    }
);

/// One change to an account, newest first in [`OrderStore::account_transactions`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountTransaction {
    pub id: i64,
    pub seller_id: SellerId,
    pub kind: AccountTxKind,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub balance_after: Decimal,
    pub document_type: Option<String>,
    pub document_id: Option<i64>,
    pub at: DateTime<Utc>,
}

str_enum!(
    /// Where a top-up request stands.
    TopUpStatus {
        /// Waiting for the operator: does not count.
        Pending = "pending",
        /// Added to the balance.
        Approved = "approved",
        /// Refused, with a reason.
        Rejected = "rejected",
    }
);

/// A proof file for a top-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// pdf | png | jpg | jpeg | webp
    pub format: String,
    pub content: Vec<u8>,
}

/// A top-up the seller requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopUp {
    pub seller: SellerId,
    pub amount: Decimal,
    pub currency: String,
    /// The payment's reference (bank transfer id, ...): required.
    pub proof_reference: String,
    pub proof: Option<Proof>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopUp {
    pub id: TopUpId,
    pub seller_id: SellerId,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub currency: String,
    pub proof_reference: String,
    pub proof_document_id: Option<DocumentId>,
    pub status: TopUpStatus,
    pub reject_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// Which top-ups to list, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopUpFilter {
    pub seller: Option<SellerId>,
    pub status: Option<TopUpStatus>,
    pub limit: u32,
}

type TopUpRow = (
    i64,
    i64,
    String,
    String,
    String,
    Option<i64>,
    String,
    Option<String>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

const TOP_UP_COLUMNS: &str = "id, seller_id, amount, currency, proof_reference, \
                              proof_document_id, status, reject_reason, created_at, decided_at";

fn decimal(column: &'static str, v: &str) -> Result<Decimal, StoreError> {
    Decimal::from_str(v).map_err(|e| StoreError::corrupt(column, e))
}

fn top_up_from_row(r: TopUpRow) -> Result<TopUp, StoreError> {
    Ok(TopUp {
        id: TopUpId(r.0),
        seller_id: SellerId(r.1),
        amount: decimal("top_ups.amount", &r.2)?,
        currency: r.3,
        proof_reference: r.4,
        proof_document_id: r.5.map(DocumentId),
        status: TopUpStatus::parse(&r.6)
            .ok_or_else(|| StoreError::corrupt("top_ups.status", "unknown status"))?,
        reject_reason: r.7,
        created_at: r.8,
        decided_at: r.9,
    })
}

async fn seller_exists(tx: &mut Tx, seller: SellerId) -> Result<bool, StoreError> {
    let n: i64 = on_tx!(tx, |c| {
        sqlx::query_scalar("SELECT COUNT(*) FROM sellers WHERE id = $1")
            .bind(seller.0)
            .fetch_one(c)
            .await?
    });
    Ok(n > 0)
}

async fn record(
    tx: &mut Tx,
    seller: SellerId,
    kind: AccountTxKind,
    amount: Decimal,
    balance_after: Decimal,
    document: Option<(&str, i64)>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    on_tx!(tx, |c| {
        sqlx::query(
            "INSERT INTO account_transactions (seller_id, kind, amount, balance_after, \
             document_type, document_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(seller.0)
        .bind(kind.as_str())
        .bind(money(amount).to_string())
        .bind(money(balance_after).to_string())
        .bind(document.map(|d| d.0))
        .bind(document.map(|d| d.1))
        .bind(at)
        .execute(c)
        .await?
        .rows_affected()
    });
    Ok(())
}

/// Opens the account in `currency` unless it exists; then reads it, locked.
async fn open_account(
    tx: &mut Tx,
    seller: SellerId,
    currency: &str,
    at: DateTime<Utc>,
) -> Result<Funds, StoreError> {
    on_tx!(&mut *tx, |c| {
        sqlx::query(
            "INSERT INTO seller_accounts (seller_id, currency, balance, credit_limit, updated_at) \
             VALUES ($1, $2, '0.00', '0.00', $3) ON CONFLICT (seller_id) DO NOTHING",
        )
        .bind(seller.0)
        .bind(currency)
        .bind(at)
        .execute(c)
        .await?
        .rows_affected()
    });
    ledger::funds(tx, seller).await
}

fn currency_mismatch(asked: &str, account: &str) -> StoreError {
    StoreError::refused(format!(
        "top-up currency {asked} does not match the account's currency {account}: top up in \
         {account}, or confirm the exchange rate with the warehouse team offline first"
    ))
}

impl OrderStore {
    /// The seller's account (zero, without a currency, if it has none yet).
    pub async fn account(&self, seller: SellerId) -> Result<Account, StoreError> {
        let mut tx = self.read_tx().await?;
        if !seller_exists(&mut tx, seller).await? {
            return Err(StoreError::NotFound("seller"));
        }
        let row: Option<(String, String, String, DateTime<Utc>)> = on_tx!(&mut tx, |c| {
            sqlx::query_as(
                "SELECT currency, balance, credit_limit, updated_at FROM seller_accounts \
                 WHERE seller_id = $1",
            )
            .bind(seller.0)
            .fetch_optional(c)
            .await?
        });
        let pending: Vec<String> = on_tx!(&mut tx, |c| {
            sqlx::query_scalar("SELECT amount FROM top_ups WHERE seller_id = $1 AND status = $2")
                .bind(seller.0)
                .bind(TopUpStatus::Pending.as_str())
                .fetch_all(c)
                .await?
        });
        let mut pending_top_ups = Decimal::ZERO;
        for a in &pending {
            pending_top_ups += decimal("top_ups.amount", a)?;
        }
        let (currency, balance, credit_limit, updated_at) = match row {
            Some((currency, b, l, at)) => (
                Some(currency),
                decimal("seller_accounts.balance", &b)?,
                decimal("seller_accounts.credit_limit", &l)?,
                Some(at),
            ),
            None => (None, Decimal::ZERO, Decimal::ZERO, None),
        };
        Ok(Account {
            seller_id: seller,
            currency,
            balance: money(balance),
            credit_limit: money(credit_limit),
            available: money(balance + credit_limit),
            pending_top_ups: money(pending_top_ups),
            updated_at,
        })
    }

    /// The operator opens the account or changes it: `currency` (required to open one; it can
    /// change only while the balance is zero) and `credit_limit` (>= 0, recorded as an
    /// account transaction).
    pub async fn set_account(
        &self,
        seller: SellerId,
        currency: Option<&str>,
        credit_limit: Option<Decimal>,
        now: DateTime<Utc>,
    ) -> Result<Account, StoreError> {
        if currency.is_none() && credit_limit.is_none() {
            return Err(StoreError::invalid("give currency, credit_limit or both"));
        }
        if let Some(c) = currency {
            check_currency(c)?;
        }
        if let Some(l) = credit_limit {
            if l < Decimal::ZERO || l > MAX_AMOUNT || l.normalize().scale() > MONEY_DECIMALS {
                return Err(StoreError::invalid(format!(
                    "credit_limit must be between 0 and {MAX_AMOUNT} with at most \
                     {MONEY_DECIMALS} decimals"
                )));
            }
        }
        let at = db_time(now);
        let mut tx = self.write_tx().await?;
        if !seller_exists(&mut tx, seller).await? {
            return Err(StoreError::NotFound("seller"));
        }
        let existing = ledger::funds(&mut tx, seller).await?;
        let funds = match (&existing.currency, currency) {
            (None, None) => {
                return Err(StoreError::invalid(
                    "currency is required to open an account (the warehouse's standard \
                     transaction currency)",
                ))
            }
            (None, Some(c)) => open_account(&mut tx, seller, c, at).await?,
            (Some(old), Some(new)) if old != new => {
                if !existing.balance.is_zero() {
                    return Err(StoreError::refused(format!(
                        "the account's currency stays {old} while its balance is not zero"
                    )));
                }
                on_tx!(&mut tx, |c| {
                    sqlx::query(
                        "UPDATE seller_accounts SET currency = $2, updated_at = $3 \
                         WHERE seller_id = $1",
                    )
                    .bind(seller.0)
                    .bind(new)
                    .bind(at)
                    .execute(c)
                    .await?
                    .rows_affected()
                });
                existing
            }
            _ => existing,
        };
        if let Some(limit) = credit_limit {
            if money(limit) != money(funds.credit_limit) {
                on_tx!(&mut tx, |c| {
                    sqlx::query(
                        "UPDATE seller_accounts SET credit_limit = $2, updated_at = $3 \
                         WHERE seller_id = $1",
                    )
                    .bind(seller.0)
                    .bind(money(limit).to_string())
                    .bind(at)
                    .execute(c)
                    .await?
                    .rows_affected()
                });
                record(
                    &mut tx,
                    seller,
                    AccountTxKind::CreditLimit,
                    limit,
                    funds.balance,
                    None,
                    at,
                )
                .await?;
            }
        }
        tx.commit().await?;
        self.account(seller).await
    }

    /// The account's changes, newest first.
    pub async fn account_transactions(
        &self,
        seller: SellerId,
        limit: u32,
    ) -> Result<Vec<AccountTransaction>, StoreError> {
        type Row = (
            i64,
            i64,
            String,
            String,
            String,
            Option<String>,
            Option<i64>,
            DateTime<Utc>,
        );
        let rows: Vec<Row> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, seller_id, kind, amount, balance_after, document_type, document_id, \
                 at FROM account_transactions WHERE seller_id = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(seller.0)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|r| {
                Ok(AccountTransaction {
                    id: r.0,
                    seller_id: SellerId(r.1),
                    kind: AccountTxKind::parse(&r.2).ok_or_else(|| {
                        StoreError::corrupt("account_transactions.kind", "unknown kind")
                    })?,
                    amount: decimal("account_transactions.amount", &r.3)?,
                    balance_after: decimal("account_transactions.balance_after", &r.4)?,
                    document_type: r.5,
                    document_id: r.6,
                    at: r.7,
                })
            })
            .collect()
    }

    /// The seller asks for a top-up, with the payment's reference and optionally a proof
    /// file. Its currency must be the account's (or, before the account exists, a valid
    /// code: the first approved top-up opens the account in it). It does not count until the
    /// operator approves it.
    pub async fn request_top_up(
        &self,
        new: &NewTopUp,
        now: DateTime<Utc>,
    ) -> Result<TopUp, StoreError> {
        if new.amount <= Decimal::ZERO
            || new.amount > MAX_AMOUNT
            || new.amount.normalize().scale() > MONEY_DECIMALS
        {
            return Err(StoreError::invalid(format!(
                "amount must be above 0 and at most {MAX_AMOUNT}, with at most \
                 {MONEY_DECIMALS} decimals"
            )));
        }
        check_currency(&new.currency)?;
        let reference = new.proof_reference.trim();
        if reference.is_empty() || reference.chars().count() > 200 {
            return Err(StoreError::invalid(
                "proof_reference (the payment's reference) is required: 1 to 200 characters",
            ));
        }
        if let Some(p) = &new.proof {
            if !PROOF_FORMATS.contains(&p.format.as_str()) {
                return Err(StoreError::invalid(format!(
                    "proof.format must be one of: {}",
                    PROOF_FORMATS.join(", ")
                )));
            }
            if p.content.is_empty() || p.content.len() > MAX_PROOF_BYTES {
                return Err(StoreError::invalid(
                    "proof.content must hold 1 byte to 5 MB",
                ));
            }
        }
        let at = db_time(now);
        let mut tx = self.write_tx().await?;
        if !seller_exists(&mut tx, new.seller).await? {
            return Err(StoreError::NotFound("seller"));
        }
        let funds = ledger::funds(&mut tx, new.seller).await?;
        if let Some(account) = &funds.currency {
            if *account != new.currency {
                return Err(currency_mismatch(&new.currency, account));
            }
        }
        let document: Option<i64> = match &new.proof {
            Some(p) => Some(on_tx!(&mut tx, |c| {
                sqlx::query_scalar(
                    "INSERT INTO documents (kind, format, content, created_at) \
                     VALUES ('top_up_proof', $1, $2, $3) RETURNING id",
                )
                .bind(&p.format)
                .bind(&p.content)
                .bind(at)
                .fetch_one(c)
                .await?
            })),
            None => None,
        };
        let row: TopUpRow = on_tx!(&mut tx, |c| {
            sqlx::query_as(&format!(
                "INSERT INTO top_ups (seller_id, amount, currency, proof_reference, \
                 proof_document_id, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 RETURNING {TOP_UP_COLUMNS}"
            ))
            .bind(new.seller.0)
            .bind(money(new.amount).to_string())
            .bind(&new.currency)
            .bind(reference)
            .bind(document)
            .bind(TopUpStatus::Pending.as_str())
            .bind(at)
            .fetch_one(c)
            .await?
        });
        tx.commit().await?;
        top_up_from_row(row)
    }

    pub async fn get_top_up(&self, id: TopUpId) -> Result<Option<TopUp>, StoreError> {
        let row: Option<TopUpRow> = on_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {TOP_UP_COLUMNS} FROM top_ups WHERE id = $1"
            ))
            .bind(id.0)
            .fetch_optional(pool)
            .await?
        });
        row.map(top_up_from_row).transpose()
    }

    /// A top-up's proof file: its format and content; `None` when it has none.
    pub async fn top_up_proof(&self, id: TopUpId) -> Result<Option<Proof>, StoreError> {
        let row: Option<(String, Vec<u8>)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT d.format, d.content FROM top_ups t \
                 JOIN documents d ON d.id = t.proof_document_id WHERE t.id = $1",
            )
            .bind(id.0)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|(format, content)| Proof { format, content }))
    }

    pub async fn list_top_ups(&self, f: &TopUpFilter) -> Result<Vec<TopUp>, StoreError> {
        let rows: Vec<TopUpRow> = on_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {TOP_UP_COLUMNS} FROM top_ups \
                 WHERE ($1 IS NULL OR seller_id = $1) AND ($2 IS NULL OR status = $2) \
                 ORDER BY id DESC LIMIT $3"
            ))
            .bind(f.seller.map(|s| s.0))
            .bind(f.status.map(TopUpStatus::as_str))
            .bind(i64::from(f.limit))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(top_up_from_row).collect()
    }

    /// The operator approves a pending top-up: the balance grows by its amount (the account
    /// opens in its currency if there is none), recorded as an account transaction, in one
    /// transaction. A decided top-up is refused.
    pub async fn approve_top_up(
        &self,
        id: TopUpId,
        now: DateTime<Utc>,
    ) -> Result<TopUp, StoreError> {
        let at = db_time(now);
        let mut tx = self.write_tx().await?;
        let top_up = lock_pending(&mut tx, id).await?;
        let funds = open_account(&mut tx, top_up.seller_id, &top_up.currency, at).await?;
        let account = funds.currency.as_deref().unwrap_or(&top_up.currency);
        if account != top_up.currency {
            return Err(currency_mismatch(&top_up.currency, account));
        }
        let balance = money(funds.balance + top_up.amount);
        on_tx!(&mut tx, |c| {
            sqlx::query(
                "UPDATE seller_accounts SET balance = $2, updated_at = $3 WHERE seller_id = $1",
            )
            .bind(top_up.seller_id.0)
            .bind(balance.to_string())
            .bind(at)
            .execute(c)
            .await?
            .rows_affected()
        });
        record(
            &mut tx,
            top_up.seller_id,
            AccountTxKind::TopUp,
            top_up.amount,
            balance,
            Some(("top_up", id.0)),
            at,
        )
        .await?;
        let row = decide(&mut tx, id, TopUpStatus::Approved, None, at).await?;
        tx.commit().await?;
        top_up_from_row(row)
    }

    /// The operator rejects a pending top-up, with the reason the seller sees.
    pub async fn reject_top_up(
        &self,
        id: TopUpId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<TopUp, StoreError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(StoreError::invalid(
                "reason must say why the top-up is rejected (1 to 500 characters)",
            ));
        }
        let at = db_time(now);
        let mut tx = self.write_tx().await?;
        lock_pending(&mut tx, id).await?;
        let row = decide(&mut tx, id, TopUpStatus::Rejected, Some(reason), at).await?;
        tx.commit().await?;
        top_up_from_row(row)
    }
}

/// The top-up, locked; refused unless it is pending.
async fn lock_pending(tx: &mut Tx, id: TopUpId) -> Result<TopUp, StoreError> {
    let lock = tx.for_update();
    let row: Option<TopUpRow> = on_tx!(&mut *tx, |c| {
        sqlx::query_as(&format!(
            "SELECT {TOP_UP_COLUMNS} FROM top_ups WHERE id = $1{lock}"
        ))
        .bind(id.0)
        .fetch_optional(c)
        .await?
    });
    let top_up = top_up_from_row(row.ok_or(StoreError::NotFound("top-up"))?)?;
    if top_up.status != TopUpStatus::Pending {
        return Err(StoreError::refused(format!(
            "top-up {id} was already {}",
            top_up.status
        )));
    }
    Ok(top_up)
}

async fn decide(
    tx: &mut Tx,
    id: TopUpId,
    status: TopUpStatus,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<TopUpRow, StoreError> {
    Ok(on_tx!(tx, |c| {
        sqlx::query_as(&format!(
            "UPDATE top_ups SET status = $2, reject_reason = $3, decided_at = $4 WHERE id = $1 \
             RETURNING {TOP_UP_COLUMNS}"
        ))
        .bind(id.0)
        .bind(status.as_str())
        .bind(reason)
        .bind(at)
        .fetch_one(c)
        .await?
    }))
}
