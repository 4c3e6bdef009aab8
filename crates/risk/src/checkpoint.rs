//! The eight checkpoints and their typed inputs: [`Checkpoint`], [`CheckpointInput`] (what every
//! checkpoint carries) and [`CheckpointDetail`] (what only one checkpoint carries).

use std::net::IpAddr;

use money::Amount;
use serde::{Deserialize, Serialize};

use crate::ids::{CardToken, Channel, DeviceId, Geo, MerchantId, Timestamp, UserId};

/// A point in the customer's journey where risk decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Checkpoint {
    Login,
    DeviceChange,
    Activation,
    CreditApplication,
    PaymentAuthorization,
    ProfileChange,
    Repayment,
    Delivery,
    /// A customer asks for more credit on an open line: a temporary limit (or an increase).
    /// Appended last: journals hold checkpoints by index.
    LimitRequest,
}

impl Checkpoint {
    pub const ALL: [Checkpoint; 9] = [
        Checkpoint::Login,
        Checkpoint::DeviceChange,
        Checkpoint::Activation,
        Checkpoint::CreditApplication,
        Checkpoint::PaymentAuthorization,
        Checkpoint::ProfileChange,
        Checkpoint::Repayment,
        Checkpoint::Delivery,
        Checkpoint::LimitRequest,
    ];

    /// The snake_case name: the graph file is `rules/<name>.json`, the rules see
    /// `input.checkpoint == "<name>"`.
    pub const fn name(self) -> &'static str {
        match self {
            Checkpoint::Login => "login",
            Checkpoint::DeviceChange => "device_change",
            Checkpoint::Activation => "activation",
            Checkpoint::CreditApplication => "credit_application",
            Checkpoint::PaymentAuthorization => "payment_authorization",
            Checkpoint::ProfileChange => "profile_change",
            Checkpoint::Repayment => "repayment",
            Checkpoint::Delivery => "delivery",
            Checkpoint::LimitRequest => "limit_request",
        }
    }

    pub fn from_name(name: &str) -> Option<Checkpoint> {
        Checkpoint::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Position in [`Checkpoint::ALL`], for per-checkpoint arrays.
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// Facts the shell looked up before calling risk (list membership, device fingerprint checks).
/// Risk never does the lookup itself: lists live in the store.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signals {
    /// The device is on the known-fraud device list.
    pub device_listed: bool,
    /// The IP address is on the known-fraud IP list.
    pub ip_listed: bool,
    /// The bank card (if the checkpoint has one) is on the known-fraud card list.
    pub card_listed: bool,
    /// The device fingerprint says emulator, rooted or hooked.
    pub emulator: bool,
    /// The IP belongs to a data centre, a proxy or an anonymising network.
    pub proxy: bool,
}

/// What every checkpoint carries, plus the checkpoint-specific [`CheckpointDetail`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointInput {
    pub user: UserId,
    pub device: DeviceId,
    pub ip: IpAddr,
    pub geo: Option<Geo>,
    pub channel: Channel,
    /// When the customer acted, by the device's report (an offline payment may reach us later).
    /// Hour-of-day features use it; windows use the `now` of evaluation.
    pub at: Timestamp,
    pub signals: Signals,
    pub detail: CheckpointDetail,
}

/// Which field a profile change touches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileField {
    Phone,
    BankCard,
}

impl ProfileField {
    pub const fn name(self) -> &'static str {
        match self {
            ProfileField::Phone => "phone",
            ProfileField::BankCard => "bank_card",
        }
    }
}

/// The checkpoint-specific part of an input; its variant names the checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckpointDetail {
    Login {
        /// Whether the credential check passed (risk runs after it, to count failures).
        password_ok: bool,
    },
    DeviceChange {
        previous_device: Option<DeviceId>,
    },
    Activation,
    CreditApplication {
        requested_limit: Amount,
        declared_monthly_income: Option<Amount>,
    },
    PaymentAuthorization {
        merchant: MerchantId,
        amount: Amount,
        /// 1 for pay later, else the number of installment periods.
        installments: u8,
    },
    ProfileChange {
        field: ProfileField,
        /// The new card, for a bank-card change.
        card: Option<CardToken>,
    },
    Repayment {
        amount: Amount,
        card: CardToken,
    },
    Delivery {
        merchant: MerchantId,
        order_amount: Amount,
        /// The shipping address changed after authorization.
        address_changed: bool,
        authorized_at: Timestamp,
    },
    /// More credit on an open line: `amount` on top of the permanent limit for `days` days (a
    /// temporary limit), or a permanent increase to `amount` (`days` 0). Appended last.
    LimitRequest {
        amount: Amount,
        days: u16,
    },
}

impl CheckpointInput {
    pub fn checkpoint(&self) -> Checkpoint {
        match self.detail {
            CheckpointDetail::Login { .. } => Checkpoint::Login,
            CheckpointDetail::DeviceChange { .. } => Checkpoint::DeviceChange,
            CheckpointDetail::Activation => Checkpoint::Activation,
            CheckpointDetail::CreditApplication { .. } => Checkpoint::CreditApplication,
            CheckpointDetail::PaymentAuthorization { .. } => Checkpoint::PaymentAuthorization,
            CheckpointDetail::ProfileChange { .. } => Checkpoint::ProfileChange,
            CheckpointDetail::Repayment { .. } => Checkpoint::Repayment,
            CheckpointDetail::Delivery { .. } => Checkpoint::Delivery,
            CheckpointDetail::LimitRequest { .. } => Checkpoint::LimitRequest,
        }
    }

    /// The merchant, for the checkpoints that have one.
    pub fn merchant(&self) -> Option<MerchantId> {
        match self.detail {
            CheckpointDetail::PaymentAuthorization { merchant, .. } | CheckpointDetail::Delivery { merchant, .. } => {
                Some(merchant)
            }
            _ => None,
        }
    }

    /// The bank card, for the checkpoints that have one.
    pub fn card(&self) -> Option<CardToken> {
        match self.detail {
            CheckpointDetail::ProfileChange { card, .. } => card,
            CheckpointDetail::Repayment { card, .. } => Some(card),
            _ => None,
        }
    }

    /// The money amount the checkpoint is about, if any.
    pub fn amount(&self) -> Option<Amount> {
        match self.detail {
            CheckpointDetail::CreditApplication { requested_limit, .. } => Some(requested_limit),
            CheckpointDetail::PaymentAuthorization { amount, .. } | CheckpointDetail::Repayment { amount, .. } => {
                Some(amount)
            }
            CheckpointDetail::Delivery { order_amount, .. } => Some(order_amount),
            CheckpointDetail::LimitRequest { amount, .. } => Some(amount),
            _ => None,
        }
    }

    /// The amount a payment authorization asks for (the only amount the payment features sum).
    pub fn payment_amount(&self) -> Option<Amount> {
        match self.detail {
            CheckpointDetail::PaymentAuthorization { amount, .. } => Some(amount),
            _ => None,
        }
    }

    /// Whether this is a login whose credential check failed.
    pub fn is_failed_login(&self) -> bool {
        matches!(self.detail, CheckpointDetail::Login { password_ok: false })
    }
}
