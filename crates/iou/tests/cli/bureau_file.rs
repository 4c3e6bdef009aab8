//! `iou report credit-bureau` end to end: a store built through the engine on SQLite (a clean
//! account, a delinquent one, a charged-off one, one whose only delinquency came from a theft
//! exempted before the month end, one exempted after it), the real binary run on it, and every
//! field of every record checked: by hand where the rules make it plain, against the engine's
//! own account at the month end for the amounts that accrue interest and penalties.

use std::path::Path;
use std::process::Command as Process;
use std::sync::Arc;

use credit::ledger::LedgerAccount;
use credit::{AccountId, Command, Day, MerchantId, TxnId};
use engine::{Clock, Engine, EngineConfig, ManualClock, Op, Outcome, Payer, Request, TxnAction};
use jiff::{SignedDuration, Timestamp};
use money::Amount;

const CLEAN: u64 = 1;
const LATE: u64 = 2;
const CHARGED_OFF: u64 = 3;
const EXEMPT_BEFORE: u64 = 4;
const EXEMPT_AFTER: u64 = 5;
const LIMIT_FEN: i64 = 1_000_000;

struct Store {
    engine: Engine,
    clock: Arc<ManualClock>,
}

impl Store {
    fn call(&self, request: Request) -> Outcome {
        self.engine
            .submit(request, None)
            .unwrap()
            .blocking_recv()
            .unwrap()
            .outcome
    }

    fn buy(&self, account: u64, fen: i64) -> TxnId {
        let outcome = self.call(Request::Authorize {
            payer: Payer::Account(AccountId(account)),
            merchant: MerchantId(9),
            amount: Amount::from_fen(fen),
            plan: None,
            reference: None,
        });
        let Outcome::Applied {
            op:
                Op::Authorize {
                    command: Command::Authorize { txn, .. },
                    ..
                },
            ..
        } = outcome
        else {
            panic!("{outcome:?}")
        };
        let capture = self.call(Request::Txn {
            merchant: MerchantId(9),
            txn,
            action: TxnAction::Capture {
                amount: Amount::from_fen(fen),
            },
        });
        assert!(matches!(capture, Outcome::Applied { .. }), "{capture:?}");
        txn
    }

    fn exempt(&self, account: u64, txn: TxnId) {
        let outcome = self.call(Request::ExemptFraud {
            account: AccountId(account),
            txns: vec![txn],
        });
        assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
    }

    fn account(&self, account: u64) -> credit::Account {
        *self
            .engine
            .account(AccountId(account))
            .unwrap()
            .blocking_recv()
            .unwrap()
            .unwrap()
    }

    /// Moves to 10:00 on `day` (Asia/Shanghai), running the daily advance of each day passed.
    fn days_until(&self, day: Day) {
        loop {
            let today = self.engine.config().zone.to_datetime(self.clock.now()).date();
            if Day::from_date(today) >= day {
                return;
            }
            self.clock.advance(SignedDuration::from_hours(24));
            for reply in self.engine.advance().unwrap() {
                reply.blocking_recv().unwrap();
            }
        }
    }
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// The store, and the engine's view of the late and charged-off accounts on 2026-07-31.
fn build(data: &Path) -> (credit::Account, credit::Account) {
    let config = EngineConfig {
        partitions: 2,
        schedule: false,
        ..EngineConfig::default()
    };
    let backend = Arc::new(store::sqlite::SqliteBackend::open(data).unwrap());
    let clock = Arc::new(ManualClock::new(at("2026-01-02T10:00:00+08:00")));
    let engine = Engine::start(config, backend, clock.clone()).unwrap();
    let store = Store { engine, clock };
    for account in [CLEAN, LATE, CHARGED_OFF, EXEMPT_BEFORE, EXEMPT_AFTER] {
        let open = Command::OpenAccount {
            account: AccountId(account),
            limit: Amount::from_fen(LIMIT_FEN),
            billing_day: 5,
        };
        let outcome = store.call(Request::from_command(open).unwrap());
        assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
    }
    // Never paid: statement 2026-01-05, due 01-14, DPD 180 on 07-13: charged off.
    store.buy(CHARGED_OFF, 30_000);
    store.days_until(Day::ymd(2026, 6, 1));
    // Statement 06-05, minimum 10% = 100.00 due 06-14, never paid: DPD 47 on 07-31 (M2).
    store.buy(LATE, 100_000);
    let stolen_before = store.buy(EXEMPT_BEFORE, 50_000);
    let stolen_after = store.buy(EXEMPT_AFTER, 70_000);
    store.days_until(Day::ymd(2026, 7, 20));
    store.exempt(EXEMPT_BEFORE, stolen_before);
    store.days_until(Day::ymd(2026, 7, 31));
    let views = (store.account(LATE), store.account(CHARGED_OFF));
    store.days_until(Day::ymd(2026, 8, 3));
    // Confirmed after the month end: the July file, produced now, reports it clean too.
    store.exempt(EXEMPT_AFTER, stolen_after);
    store.engine.shutdown();
    views
}

fn report(data: &Path, month: &str) -> String {
    let out = Process::new(env!("CARGO_BIN_EXE_iou"))
        .args([
            "report",
            "credit-bureau",
            "--month",
            month,
            "--lender",
            "IOU01",
            "--data",
        ])
        .arg(data)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn fen(amount: Amount) -> String {
    format!("{:012}", amount.fen())
}

fn record(account: u64, fields: &[&str]) -> String {
    let reference = format!("{:016X}", seeded::mix64(account));
    let head = [
        "D",
        "IOU01     ",
        &format!("{account:020}"),
        &reference,
        "20260102",
        "000001000000",
    ];
    head.iter().chain(fields).copied().collect::<Vec<_>>().concat()
}

#[test]
fn the_bureau_file_reports_each_account_as_of_the_month_end() {
    let dir = tempfile::tempdir().unwrap();
    let (late, charged_off) = build(dir.path());
    let text = report(dir.path(), "2026-07");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 7, "{text}");
    assert_eq!(lines[0], format!("{:<141}", "HIOU01     20260720260731IB01"));

    assert_eq!(
        lines[1],
        record(
            CLEAN,
            &[
                "000000000000",
                "000000000000",
                "000000000000",
                "000",
                "CUR",
                "11",
                "000000000000",
                "  ",
                "00000000",
                "20260731"
            ]
        )
    );

    // Late: the engine's own balances on 07-31 for what interest and penalties moved.
    let b = late.balances(&credit::Product::default());
    assert_eq!((b.dpd, b.bucket.as_str()), (47, "M2"));
    let late_balance = b.billed + b.principal_unbilled;
    assert!(late_balance > Amount::from_fen(100_000));
    // The first statement's minimum (10% of 1,000.00) is past due, and the second's.
    assert!(b.past_due > Amount::from_fen(10_000), "{b:?}");
    let highest = late
        .statements
        .iter()
        .map(|s| s.balance)
        .fold(late_balance, Amount::max);
    assert_eq!(
        lines[2],
        record(
            LATE,
            &[
                &fen(highest),
                &fen(late_balance),
                &fen(b.past_due),
                "047",
                "M2 ",
                "78",
                "000000000000",
                "  ",
                "20260615",
                "20260731"
            ]
        )
    );

    // Charged off on 07-13 (DPD 180 from the 01-14 due date): the whole balance past due.
    assert_eq!(charged_off.charged_off_on, Some(Day::ymd(2026, 7, 13)));
    let loss = charged_off.ledger.get(LedgerAccount::ChargeOffLoss);
    assert!(
        loss > Amount::from_fen(30_000),
        "principal, interest and penalties: {loss:?}"
    );
    let b = charged_off.balances(&credit::Product::default());
    let owed = b.billed + b.principal_unbilled;
    assert_eq!(owed, loss, "nothing paid since the charge-off");
    let highest = charged_off.statements.iter().map(|s| s.balance).fold(owed, Amount::max);
    assert_eq!(
        lines[3],
        record(
            CHARGED_OFF,
            &[
                &fen(highest),
                &fen(owed),
                &fen(owed),
                &format!("{:03}", b.dpd),
                "CO ",
                "97",
                &fen(loss),
                "  ",
                "20260115",
                "20260731"
            ]
        )
    );
    assert_eq!(b.dpd, 198, "07-31 is 198 days after the 01-14 due date");

    // Exempted before and after the month end: the stolen purchases never happened; current,
    // nothing owed, the special comment FE, no date of first delinquency.
    let clean_exempt = [
        "000000000000",
        "000000000000",
        "000000000000",
        "000",
        "CUR",
        "11",
        "000000000000",
        "FE",
        "00000000",
        "20260731",
    ];
    assert_eq!(lines[4], record(EXEMPT_BEFORE, &clean_exempt));
    assert_eq!(lines[5], record(EXEMPT_AFTER, &clean_exempt));

    let trailer = [
        "T",
        "IOU01     ",
        "000000005",
        &format!("{:015}", (late_balance + owed).fen()),
        &format!(
            "{:015}",
            (late.balances(&credit::Product::default()).past_due + owed).fen()
        ),
        &format!("{:015}", loss.fen()),
        "000000002",
        "000000001",
        "000000002",
    ]
    .concat();
    assert_eq!(lines[6], format!("{trailer:<141}"));
    // A receiver's check passes, and the run is deterministic.
    bureau::parse(&text).unwrap();
    assert_eq!(report(dir.path(), "2026-07"), text);
}

#[test]
fn a_month_before_an_account_opened_does_not_list_it_and_a_bad_month_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let text = report(dir.path(), "2025-12");
    assert_eq!(text.lines().count(), 2, "a header and a trailer: {text}");
    let out = Process::new(env!("CARGO_BIN_EXE_iou"))
        .args(["report", "credit-bureau", "--month", "2026-13", "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("2026-13"));
}

/// The simulator produces each month's file from the live engine's accounts on the month's
/// last day; `iou report credit-bureau` rebuilds it afterwards from the journal. On the same
/// store they must agree record for record: counts, statuses and sums.
#[test]
fn the_simulator_s_month_end_files_match_the_command_s_on_the_same_store() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = Process::new(env!("CARGO_BIN_EXE_iou"))
        .args(["simulate", "--users", "150", "--days", "62", "--json", "--data"])
        .arg(&data)
        .arg("--report")
        .arg(dir.path().join("report.html"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let figures: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let months = figures["bureau"].as_array().unwrap();
    assert_eq!(months.len(), 2, "January and February end inside the run");
    for m in months {
        let text = report(&data, m["month"].as_str().unwrap());
        let file = bureau::parse(&text).unwrap();
        let t = file.trailer();
        assert_eq!(t.records, m["records"].as_u64().unwrap(), "{m}");
        assert_eq!(
            t.current_balance.fen(),
            m["current_balance_fen"].as_i64().unwrap(),
            "{m}"
        );
        assert_eq!(t.past_due.fen(), m["past_due_fen"].as_i64().unwrap(), "{m}");
        assert_eq!(t.charge_off.fen(), m["charge_off_fen"].as_i64().unwrap(), "{m}");
        assert_eq!(t.fraud_exempt, m["fraud_exempt"].as_u64().unwrap(), "{m}");
        for (status, n) in file.counts_by_status() {
            assert_eq!(n, m["by_status"][status.name()].as_u64().unwrap(), "{status:?} in {m}");
        }
    }
}
