//! Identifiers. The core never invents one: every id arrives in a command.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id!(
    /// A customer's credit account (one per customer).
    AccountId
);
id!(
    /// A transaction: the hold placed by an authorization and, once captured, the purchase. A
    /// purchase plan shares its transaction's id.
    TxnId
);
id!(
    /// A merchant.
    MerchantId
);
id!(
    /// A repayment, payoff, refund or credit cash-out, as the caller names it for its records.
    OpId
);
id!(
    /// An installment plan: a purchase plan has its transaction's id, a bill installment plan is
    /// named by the command that creates it.
    PlanId
);

impl From<TxnId> for PlanId {
    fn from(txn: TxnId) -> PlanId {
        PlanId(txn.0)
    }
}
