//! [`FundingOptions`] (what the operator configures) and [`FundingEdge`] (the providers the
//! funding routes share): simulators stand in for what is not configured.

use std::sync::Arc;
use std::time::Duration;

use funding::merchant::MerchantPayoutProvider;
use funding::sim::{SimulatedPayments, SimulatedPayouts};
use funding::{PaymentProvider, PayoutProvider};
use identity::BankCardVerifier;

/// How the server moves money (all optional: the default uses the deterministic simulators,
/// and provider callbacks are refused until a secret is configured).
#[derive(Clone)]
pub struct FundingOptions {
    pub payments: Option<Arc<dyn PaymentProvider>>,
    pub payouts: Option<Arc<dyn PayoutProvider>>,
    /// Verifies a bank card (four elements) before payouts may use it; the simulator if `None`.
    pub bank_card: Option<Arc<dyn BankCardVerifier>>,
    /// The secret providers sign callbacks with (`--funding-callback-secret`).
    pub callback_secret: Option<String>,
    /// How often pending operations are asked about again.
    pub reconcile_every: Duration,
    /// A pending operation the provider has no record of this long after it started is failed
    /// (our call never reached it: no money moved). Longer than any call's retries.
    pub unknown_after: Duration,
    /// Pays merchants their settled days (`--merchant-payouts-url`); without it payouts stay
    /// pending.
    pub merchant_payouts: Option<Arc<dyn MerchantPayoutProvider>>,
    /// The settlement task's tick (`edge::settlement::runs`): after the business day rolls it
    /// settles the day before, and each tick sends pending payouts. `None`: no task (an
    /// operator, `iou settle` or the simulator runs settlement).
    pub settlement_every: Option<Duration>,
}

impl Default for FundingOptions {
    fn default() -> FundingOptions {
        FundingOptions {
            payments: None,
            payouts: None,
            bank_card: None,
            callback_secret: None,
            reconcile_every: Duration::from_secs(30),
            unknown_after: Duration::from_secs(600),
            merchant_payouts: None,
            settlement_every: None,
        }
    }
}

impl std::fmt::Debug for FundingOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FundingOptions")
            .field("payments", &self.payments.as_ref().map(|_| "configured"))
            .field("payouts", &self.payouts.as_ref().map(|_| "configured"))
            .field("callback_secret", &self.callback_secret.as_ref().map(|_| "<redacted>"))
            .field("reconcile_every", &self.reconcile_every)
            .field(
                "merchant_payouts",
                &self.merchant_payouts.as_ref().map(|_| "configured"),
            )
            .field("settlement_every", &self.settlement_every)
            .finish_non_exhaustive()
    }
}

/// What the funding routes share.
pub struct FundingEdge {
    pub payments: Arc<dyn PaymentProvider>,
    pub payouts: Arc<dyn PayoutProvider>,
    pub bank_card: Arc<dyn BankCardVerifier>,
    pub callback_secret: Option<Vec<u8>>,
    pub reconcile_every: Duration,
    pub unknown_after: Duration,
    pub merchant_payouts: Option<Arc<dyn MerchantPayoutProvider>>,
    /// Serializes offline repayments while their external reference is claimed (rare, operator
    /// only), so two uses of one reference cannot both pass the check.
    pub offline: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for FundingEdge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FundingEdge").finish_non_exhaustive()
    }
}

impl FundingEdge {
    /// The edge from its options, with simulators for what is not configured.
    pub fn new(options: &FundingOptions, seed: u64) -> FundingEdge {
        FundingEdge {
            payments: options
                .payments
                .clone()
                .unwrap_or_else(|| Arc::new(SimulatedPayments::new())),
            payouts: options
                .payouts
                .clone()
                .unwrap_or_else(|| Arc::new(SimulatedPayouts::new())),
            bank_card: options
                .bank_card
                .clone()
                .unwrap_or_else(|| Arc::new(identity::sim::SimulatedBankCard::new(seed))),
            callback_secret: options.callback_secret.as_ref().map(|s| s.as_bytes().to_vec()),
            reconcile_every: options.reconcile_every,
            unknown_after: options.unknown_after,
            merchant_payouts: options.merchant_payouts.clone(),
            offline: tokio::sync::Mutex::new(()),
        }
    }
}
