//! What a small run exercises, and the targets: asserted where a small run meets them
//! robustly, printed otherwise (see the report of the sim crate's engineer for the figures).

use super::common::shared;

#[test]
fn a_small_run_exercises_the_whole_product_and_the_auditor_finds_nothing() {
    let f = shared();
    eprint!("{}", sim::report::text(f));
    eprintln!("statements checked on their face: {}", f.auditor_statements_checked);
    assert_eq!(f.auditor_mismatches, 0);
    assert!(f.auditor_checks > 10_000, "{}", f.auditor_checks);
    // Every statement the run closed added up on its face (the auditor stops at one that does
    // not); each was checked once, and most of the run's statements are still kept.
    assert!(
        f.auditor_statements_checked * 10 >= f.statements.closed * 9,
        "{} statements checked of {} closed",
        f.auditor_statements_checked,
        f.statements.closed
    );
    let a = &f.applications;
    assert!(a.approved > 250 && a.declined > 20, "{a:?}");
    assert!(
        a.declines_by_reason.keys().any(|r| r.contains("CREDIT_PD")),
        "credit declines: {a:?}"
    );
    let p = &f.payments;
    assert!(p.attempts > 2_000 && p.captured > 1_500, "{p:?}");
    assert!(
        p.challenged > 0 && p.challenges_passed > 0 && p.declined_by_risk > 0,
        "{p:?}"
    );
    assert!(
        p.online > 0 && p.offline > 0 && p.refunded_fen > 0 && p.voided > 0,
        "{p:?}"
    );
    assert!(f.installments.len() >= 4, "{:?}", f.installments);
    let s = &f.statements;
    assert!(s.paid_in_full > 50 && s.minimum_or_more > 20 && s.overdue > 10, "{s:?}");
    assert!(f.delinquency.entered["M1"] > 5, "{:?}", f.delinquency);
    for attack in f.fraud.iter().filter(|a| ORIGINAL.contains(&a.kind.as_str())) {
        assert!(attack.attacks > 0 && attack.attempted_fen > 0, "{attack:?}");
        assert!(
            attack.stopped_fen() > 0,
            "nothing of {} was stopped: {attack:?}",
            attack.kind
        );
    }
    assert!(f.fraud_loss_stopped_fen <= f.fraud_loss_attempted_fen);
    assert!(f.good_payments > 2_000);
}

/// The families `small` runs (the five of issue 16 are off there).
const ORIGINAL: [&str; 3] = ["account_takeover", "device_farm", "cash_out_ring"];

#[test]
fn every_attack_is_mostly_stopped_and_good_shoppers_are_rarely_bothered() {
    // Guards the shipped payment rules (v2): cash-out rings were 27% stopped and 6% of good
    // payments were challenged before the combined amount-spike and cash-out rules. The small
    // run gives 98-100% per attack and 0.25% friction; the bars leave room for other seeds.
    let f = shared();
    for kind in ORIGINAL {
        let attack = f.fraud.iter().find(|a| a.kind == kind).unwrap();
        assert!(attack.stopped_ppm >= 900_000, "{kind}: {attack:?}");
    }
    let stopped = f.fraud_loss_stopped_fen as f64 / f.fraud_loss_attempted_fen as f64;
    assert!(stopped >= 0.95, "fraud stopped {stopped}");
    let friction = f.good_payments_challenged_or_declined as f64 / f.good_payments as f64;
    assert!(friction <= 0.01, "good payments challenged or declined {friction}");
}

#[test]
fn theft_goes_through_cases_and_the_run_leaves_the_last_days_open() {
    // Victims report through the theft-report request (a case opens, the line freezes); the
    // fraud team confirms days later, which exempts the stolen orders, and rejects the reports
    // of shoppers who had made the purchase; the reports of the last days are still open when
    // the run ends, and the system lists them.
    let f = shared();
    let q = &f.queues;
    eprintln!("{q:?}");
    assert!(q.theft_reported > 3 && q.theft_rejected > 0, "{q:?}");
    // Since an OTP challenge escalates to liveness on takeover signals (a new device), a
    // takeover with the victim's OTP stops at the challenge: a confirmation is owed only to a
    // victim whose money was taken.
    let takeover = f.fraud.iter().find(|a| a.kind == "account_takeover").unwrap();
    assert!(q.theft_confirmed > 0 || takeover.lost_fen == 0, "{q:?} {takeover:?}");
    assert!(q.open_theft_cases > 0, "no theft case left open: {q:?}");
    assert_eq!(
        q.open_theft_cases,
        q.theft_reported - q.theft_confirmed - q.theft_rejected,
        "the cases the system lists open are the reports not confirmed: {q:?}"
    );
    // What the simulator counts as exempted (the captured amount of every stolen order of a
    // confirmed case) is what the ledger booked as fraud loss.
    let exempted: i64 = f.fraud.iter().map(|a| a.exempted_fen).sum();
    assert!(takeover.exempted_fen > 0 || takeover.lost_fen == 0, "{takeover:?}");
    assert_eq!(exempted, f.losses.fraud_loss_booked_fen, "{:?}", f.losses);
}

#[test]
fn the_bureau_file_is_produced_at_every_month_end_and_adds_up() {
    let f = shared();
    let start = jiff::civil::Date::strptime("%Y-%m-%d", &f.start).unwrap();
    let last = start
        .checked_add(jiff::Span::new().days(i64::from(f.days) - 1))
        .unwrap();
    // One file per month end inside the run.
    let mut month_ends = Vec::new();
    let mut day = start;
    while day <= last {
        if day.tomorrow().unwrap().day() == 1 {
            month_ends.push(day.strftime("%Y-%m").to_string());
        }
        day = day.tomorrow().unwrap();
    }
    let months: Vec<&str> = f.bureau.iter().map(|m| m.month.as_str()).collect();
    assert_eq!(months, month_ends);
    assert!(months.len() >= 2, "{months:?}");
    let mut records = 0;
    for m in &f.bureau {
        assert_eq!(m.by_status.values().sum::<u64>(), m.records, "{m:?}");
        assert!(m.records >= records, "accounts are never dropped: {m:?}");
        records = m.records;
        // Reported late (M1 and worse) never exceeds the accounts out of current that day.
        let late: u64 = m.records - m.by_status["current"];
        let end = f.daily.iter().rev().find(|d| d.date.starts_with(&m.month)).unwrap();
        assert!(late <= end.delinquent_accounts, "{m:?} vs {end:?}");
        assert!(m.past_due_fen <= m.current_balance_fen, "{m:?}");
    }
    let last = f.bureau.last().unwrap();
    assert!(last.records > 250, "{last:?}");
    assert!(last.by_status["late_30"] + last.by_status["late_60"] > 0, "{last:?}");
    if f.queues.theft_confirmed > 0 {
        assert!(last.fraud_exempt > 0, "confirmed thefts report FE: {last:?}");
    }
}
