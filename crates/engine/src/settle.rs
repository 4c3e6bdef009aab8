//! Merchant settlement's shell: the journal consumer that records merchant-side facts
//! ([`consume`]), the daily run that settles each merchant's day with the `settlement` core
//! ([`run`]), and the payouts it sends through a provider ([`payouts`]).
//!
//! Nothing here is on the authorization path: the consumer reads the committed journal after
//! its own watermark, like the projector and the outbox scanner, and the run and payouts read
//! and write only settlement's tables. The merchant books are a function of the journal plus
//! settlement's own durable records (pricing, merchants' terms, payouts' outcomes).

pub mod consume;
pub mod payouts;
pub mod run;

pub use consume::consume_once;
pub use payouts::{
    MerchantPayouts, PayoutChanged, PayoutOrder, PayoutRef, PayoutsReport, ProviderDown, SimulatedPayouts, pay_out,
};
pub use run::{Fault, NoSubsidies, RunError, RunReport, Subsidies, run_through};
