//! Statements older than the latest ones the engine keeps in memory (`Product::statements_kept`,
//! 24 by default), served from the read models' `statements` rows (`store::views::statements`).
//!
//! What an archived statement shows, and how it differs from a kept one:
//! - **as closed:** its number, statement date, due date, balance and minimum (as lowered by a
//!   bill installment, with the plan it was converted into), and its previous balance (the
//!   balance of the statement before it);
//! - **now:** where it stands today (`now`), computed exactly as for a kept statement from the
//!   account's dues and unmet minimums, which the engine keeps whatever a statement's age;
//! - **not available:** the lines and the totals summed from them (purchases, plan principal,
//!   fees, interest, penalties, payments, credits): the credit events carry no statement lines
//!   and the read models keep none, so these are `null` and the lines empty (`archived: true`).
//!   The account's costs per year still count every statement (`credit::Totals`).
//!
//! The read models trail the journal by about a second; a statement leaves memory only once 24
//! newer ones closed, long after its row was written. A store without read models (the memory
//! backend) serves the kept statements only.

use credit::{Account, Day};
use money::Amount;
use store::StoreError;
use store::views::StatementRow;

use crate::http::error::ApiError;
use crate::state::AppState;

/// The most archived statements one answer reads (a century of monthly statements).
const ARCHIVED_MAX: usize = 1_200;

/// An archived statement: its row and the balance of the statement before it.
#[derive(Clone, Debug)]
pub struct Archived {
    pub row: StatementRow,
    /// The balance of the statement before it (0 for the first; `None` if the read models miss
    /// that row).
    pub previous_balance: Option<Amount>,
    pub due_date: Day,
}

impl Archived {
    pub fn balance(&self) -> Amount {
        Amount::from_fen(self.row.balance_fen)
    }

    pub fn minimum(&self) -> Amount {
        Amount::from_fen(self.row.minimum_fen)
    }
}

/// The first statement the engine still keeps (one past the latest if none is kept): every
/// statement before it is archived.
pub fn first_kept(account: &Account) -> u32 {
    account
        .statements
        .front()
        .map_or(account.last_seq.saturating_add(1), |s| s.seq)
}

/// The account's archived statements numbered `from..=to` (clipped to the archived ones),
/// oldest first. Empty on a store without read models.
pub async fn archived(state: &AppState, account: &Account, from: u32, to: u32) -> Result<Vec<Archived>, ApiError> {
    let to = to.min(first_kept(account).saturating_sub(1));
    let from = from.max(1);
    if from > to {
        return Ok(Vec::new());
    }
    let backend = state.backend().clone();
    let id = account.id.0;
    // The statement before `from` too, for its balance.
    let read_from = from - 1;
    let rows = tokio::task::spawn_blocking(move || -> Result<Vec<StatementRow>, StoreError> {
        let mut read = backend.read_models()?;
        store::views::statements(read.as_mut(), id, read_from, to, ARCHIVED_MAX + 1)
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?;
    let rows = match rows {
        Ok(rows) => rows,
        Err(StoreError::Unsupported { .. }) => return Ok(Vec::new()),
        Err(error) => {
            tracing::error!(%error, "reading archived statements failed");
            return Err(ApiError::unavailable("the read models could not be read"));
        }
    };
    let mut out = Vec::new();
    let mut previous: Option<(u32, Amount)> = None;
    for row in rows {
        let (seq, balance) = (row.seq, Amount::from_fen(row.balance_fen));
        if seq >= from {
            let due_date = row
                .due_date
                .parse::<Day>()
                .map_err(|e| ApiError::internal(e.to_string()))?;
            let previous_balance = match previous {
                _ if seq == 1 => Some(Amount::ZERO),
                Some((p, amount)) if p + 1 == seq => Some(amount),
                _ => None,
            };
            out.push(Archived {
                previous_balance,
                due_date,
                row,
            });
        }
        previous = Some((seq, balance));
    }
    Ok(out)
}
