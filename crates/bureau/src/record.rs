//! One account's record at a month end, and the rules that derive each field.

use credit::delinquency::Bucket;
use credit::ledger::LedgerAccount;
use credit::{Account, Day, Product};
use money::Amount;

use crate::month::Month;

/// The reporting lender: its code at the bureau and the key of its account references.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lender {
    code: String,
    reference_key: u64,
}

/// Why a lender code was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LenderError {
    #[error("a lender code is 1 to 10 characters A-Z and 0-9, not {0:?}")]
    Code(String),
}

impl LenderError {
    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        "lender_code_invalid"
    }
}

impl Lender {
    /// A lender code of 1 to 10 upper-case letters and digits, and the key its references are
    /// mixed with.
    pub fn new(code: &str, reference_key: u64) -> Result<Lender, LenderError> {
        let valid =
            (1..=10).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if !valid {
            return Err(LenderError::Code(code.to_string()));
        }
        Ok(Lender {
            code: code.to_string(),
            reference_key,
        })
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    /// The account's reference: `mix64(account id XOR key)`, stable for a key, so a receiver
    /// matches an account month to month. It is an opaque label, not a secret: anyone with the
    /// key (and one pair) maps references back to ids, which are not personal data either.
    pub fn reference(&self, account: u64) -> u64 {
        seeded::mix64(account ^ self.reference_key)
    }
}

/// The account status code, modelled on Metro 2's (its codes where the meaning is the same).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// `11`: current, or within the grace days (DPD 1 to 3, no penalty, not reported late).
    Current,
    /// `71`: bucket M1, DPD 4 to 30 (Metro 2's 71 starts at 30 days; iou reports from M1).
    Late30,
    /// `78`: bucket M2, DPD 31 to 60.
    Late60,
    /// `80`: bucket M3, DPD 61 to 90.
    Late90,
    /// `82`: bucket M3+, DPD 91 to 179.
    Late180,
    /// `97`: charged off (DPD 180).
    ChargedOff,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Current,
        Status::Late30,
        Status::Late60,
        Status::Late90,
        Status::Late180,
        Status::ChargedOff,
    ];

    pub fn of(bucket: Bucket) -> Status {
        match bucket {
            Bucket::Current | Bucket::Grace => Status::Current,
            Bucket::M1 => Status::Late30,
            Bucket::M2 => Status::Late60,
            Bucket::M3 => Status::Late90,
            Bucket::M3Plus => Status::Late180,
            Bucket::ChargedOff => Status::ChargedOff,
        }
    }

    /// The two-digit code in the file.
    pub fn code(self) -> &'static str {
        match self {
            Status::Current => "11",
            Status::Late30 => "71",
            Status::Late60 => "78",
            Status::Late90 => "80",
            Status::Late180 => "82",
            Status::ChargedOff => "97",
        }
    }

    /// A snake_case name (the simulator's report counts by it).
    pub fn name(self) -> &'static str {
        match self {
            Status::Current => "current",
            Status::Late30 => "late_30",
            Status::Late60 => "late_60",
            Status::Late90 => "late_90",
            Status::Late180 => "late_180",
            Status::ChargedOff => "charged_off",
        }
    }

    pub fn from_code(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Reported as delinquent (a date of first delinquency goes with it).
    pub fn is_delinquent(self) -> bool {
        self != Status::Current
    }
}

/// One account's record as of a month's last day (REPORTING.md, record type `D`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRecord {
    pub account: u64,
    pub reference: u64,
    pub opened_on: Day,
    pub credit_limit: Amount,
    pub highest_balance: Amount,
    pub current_balance: Amount,
    pub past_due: Amount,
    pub dpd: u32,
    pub bucket: Bucket,
    pub status: Status,
    pub charge_off: Amount,
    /// The special comment `FE`: transactions on the account were confirmed as theft and
    /// exempted (restated away; never reported as delinquent).
    pub fraud_exempt: bool,
    /// The special comment `AC` (Metro 2's "paying under a partial payment agreement"): the
    /// account pays a hardship plan that re-aged its delinquent balance (REPORTING.md,
    /// COLLECTIONS.md). `FE` takes the column when both apply.
    pub hardship: bool,
    pub first_delinquency: Option<Day>,
    pub reported_on: Day,
}

/// The record of `account`, which the caller has brought to `month`'s last day (its `day`).
///
/// - current balance: everything owed: billed and unpaid (principal, fees, interest,
///   penalties) plus principal not yet billed; interest and penalties accrued since the last
///   statement are not in it (they are not owed until billed). A credit balance reports 0.
/// - highest balance: the highest of the current balance and the balances of the statements
///   the account keeps (`Product::statements_kept`, the latest ones).
/// - past due: the minimums missed on earlier due dates; once charged off, the whole balance.
/// - days past due and bucket: the account's, as of the day; the status follows the bucket
///   ([`Status::of`]): the grace days report current.
/// - charge-off amount: what the charge-off wrote off (the account's charge-off loss).
/// - date of first delinquency: the day after the due date of the oldest missed minimum
///   (DPD 1), only while the status is delinquent.
pub fn record(account: &Account, product: &Product, lender: &Lender, month: Month) -> AccountRecord {
    let balances = account.balances(product);
    let owed = balances.billed + balances.principal_unbilled;
    let current_balance = owed.max(Amount::ZERO);
    let highest_balance = account
        .statements
        .iter()
        .map(|s| s.balance)
        .fold(current_balance, Amount::max);
    let status = Status::of(balances.bucket);
    let past_due = match status {
        Status::ChargedOff => current_balance,
        _ => balances.past_due,
    };
    let first_delinquency = account
        .delinquency
        .past_due
        .front()
        .map(|p| p.due_date.next())
        .filter(|_| status.is_delinquent());
    let charge_off = match account.charged_off_on {
        Some(_) => account.ledger.get(LedgerAccount::ChargeOffLoss).max(Amount::ZERO),
        None => Amount::ZERO,
    };
    AccountRecord {
        account: account.id.0,
        reference: lender.reference(account.id.0),
        opened_on: account.opened_on,
        credit_limit: account.limit,
        highest_balance,
        current_balance,
        past_due,
        dpd: balances.dpd,
        bucket: balances.bucket,
        status,
        charge_off,
        fraud_exempt: !account.exempt.is_empty(),
        hardship: account.hardship_plan().is_some(),
        first_delinquency,
        reported_on: month.last_day(),
    }
}
