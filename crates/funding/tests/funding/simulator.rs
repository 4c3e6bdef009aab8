//! The simulators: every fixture amount's outcome, idempotency by funding id, and moving a
//! pending operation by hand.

use funding::sim::{
    DEBIT_FAILS, DEBIT_FAILS_WHEN_ASKED, DEBIT_OUTAGE, DEBIT_PENDING, DEBIT_SETTLES_WHEN_ASKED, PAYOUT_FAILS,
    PAYOUT_FAILS_WHEN_ASKED, PAYOUT_OUTAGE, PAYOUT_PAID_WHEN_ASKED, PAYOUT_PENDING, SimulatedPayments,
    SimulatedPayouts,
};
use funding::{
    DebitRequest, DebitStatus, FundingError, FundingId, PaymentProvider, PayoutProvider, PayoutRequest, PayoutStatus,
};
use identity::BankCard;
use money::Amount;

fn card() -> BankCard {
    BankCard::parse(identity::sim::fixtures::CARD_VERIFIED).unwrap()
}

fn debit(id: u64, fen: i64) -> DebitRequest {
    DebitRequest {
        funding: FundingId(id),
        card: card(),
        amount: Amount::from_fen(fen),
    }
}

fn payout(id: u64, fen: i64) -> PayoutRequest {
    PayoutRequest {
        funding: FundingId(id),
        card: card(),
        amount: Amount::from_fen(fen),
    }
}

#[tokio::test]
async fn debits_follow_their_fixture_amounts() {
    let sim = SimulatedPayments::new();
    let failed = || DebitStatus::Failed("insufficient_funds".into());
    let table = [
        (12_345, DebitStatus::Settled, DebitStatus::Settled),
        (10_000 + DEBIT_PENDING, DebitStatus::Pending, DebitStatus::Pending),
        (DEBIT_SETTLES_WHEN_ASKED, DebitStatus::Pending, DebitStatus::Settled),
        (DEBIT_FAILS, failed(), failed()),
        (DEBIT_FAILS_WHEN_ASKED, DebitStatus::Pending, failed()),
    ];
    for (id, (fen, first, asked)) in table.into_iter().enumerate() {
        let id = id as u64 + 1;
        let answer = sim.debit(&debit(id, fen)).await.unwrap();
        assert_eq!(answer.status, first, "{fen}");
        assert_eq!(answer.provider_ref.as_deref(), Some(format!("sim-debit-{id}").as_str()));
        assert_eq!(sim.debit_status(FundingId(id)).await.unwrap().status, asked, "{fen}");
    }
    assert!(matches!(
        sim.debit(&debit(99, DEBIT_OUTAGE)).await,
        Err(FundingError::Unavailable(_))
    ));
    assert_eq!(
        sim.debit_status(FundingId(99)).await,
        Err(FundingError::Unknown),
        "nothing recorded"
    );
}

#[tokio::test]
async fn a_debit_is_one_debit_per_funding_id() {
    let sim = SimulatedPayments::new();
    let first = sim.debit(&debit(7, DEBIT_PENDING)).await.unwrap();
    // The same id again, even with another amount, answers the first debit.
    let again = sim.debit(&debit(7, 100)).await.unwrap();
    assert_eq!(
        (first.status.clone(), again.status),
        (DebitStatus::Pending, DebitStatus::Pending)
    );
    assert!(sim.complete(FundingId(7), DebitStatus::Settled));
    assert!(!sim.complete(FundingId(7), DebitStatus::Failed("late".into())), "final");
    assert_eq!(
        sim.debit(&debit(7, DEBIT_PENDING)).await.unwrap().status,
        DebitStatus::Settled
    );
}

#[tokio::test]
async fn payouts_follow_their_fixture_amounts_and_a_paid_one_may_come_back() {
    let sim = SimulatedPayouts::new();
    let failed = || PayoutStatus::Failed("account_closed".into());
    let table = [
        (5_000, PayoutStatus::Paid, PayoutStatus::Paid),
        (PAYOUT_PENDING, PayoutStatus::Pending, PayoutStatus::Pending),
        (PAYOUT_PAID_WHEN_ASKED, PayoutStatus::Pending, PayoutStatus::Paid),
        (PAYOUT_FAILS, failed(), failed()),
        (PAYOUT_FAILS_WHEN_ASKED, PayoutStatus::Pending, failed()),
    ];
    for (id, (fen, first, asked)) in table.into_iter().enumerate() {
        let id = id as u64 + 1;
        assert_eq!(sim.payout(&payout(id, fen)).await.unwrap().status, first, "{fen}");
        assert_eq!(sim.payout_status(FundingId(id)).await.unwrap().status, asked, "{fen}");
    }
    assert!(sim.payout(&payout(50, PAYOUT_OUTAGE)).await.is_err());
    let returned = PayoutStatus::Returned("account_closed".into());
    assert!(sim.complete(FundingId(1), returned.clone()), "a paid payout comes back");
    assert_eq!(sim.payout_status(FundingId(1)).await.unwrap().status, returned);
    assert!(!sim.complete(FundingId(1), PayoutStatus::Paid));
}
