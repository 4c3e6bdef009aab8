//! The HTML report: one self-contained page (inline CSS and SVG, no script, nothing fetched).

use std::fmt::Write;

use super::svg::{bars, lines, stacked};
use super::{FRAUD_STOPPED_TARGET_PPM, FRICTION_TARGET_PPM, count, escape, section, table, yuan};
use crate::figures::{Figures, percent};

/// The section ids, in page order (the tests check every one is there).
pub const SECTIONS: [&str; 13] = [
    "summary",
    "portfolio",
    "approvals",
    "limits",
    "installments",
    "statements",
    "delinquency",
    "bureau",
    "losses",
    "fraud",
    "friction",
    "activity",
    "run",
];

const STYLE: &str = "body{font-family:sans-serif;max-width:800px;margin:2em auto;padding:0 1em;color:#222}\
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}.wide{overflow-x:auto}td,th{padding:2px 10px;text-align:right}\
td:first-child,th:first-child{text-align:left}tr:nth-child(even){background:#f5f5f5}\
.ok{color:#2a7a3a;font-weight:bold}.bad{color:#b03030;font-weight:bold}.note{color:#555;font-size:.9em}";

fn verdict(ok: bool) -> &'static str {
    if ok {
        r#"<span class="ok">target met</span>"#
    } else {
        r#"<span class="bad">target not met</span>"#
    }
}

fn yuan_short(v: f64) -> String {
    yuan((v as i64) / 100 * 100).trim_end_matches(".00").to_owned()
}

/// The whole page.
pub fn html(f: &Figures) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>iou simulation report</title><style>{STYLE}</style></head><body>"
    );
    let _ = write!(
        out,
        "<h1>iou simulation report</h1><p>Seed {} &middot; {} shoppers &middot; {} merchants &middot; {} days from {} &middot; driven through the real engine.</p>",
        f.seed,
        count(u64::from(f.users)),
        count(u64::from(f.merchants)),
        f.days,
        escape(&f.start)
    );
    summary(&mut out, f);
    super::portfolio::portfolio(&mut out, f);
    approvals(&mut out, f);
    limits(&mut out, f);
    installments(&mut out, f);
    statements(&mut out, f);
    delinquency(&mut out, f);
    bureau(&mut out, f);
    losses(&mut out, f);
    collections(&mut out, f);
    fraud(&mut out, f);
    friction(&mut out, f);
    activity(&mut out, f);
    run(&mut out, f);
    out.push_str("</body></html>\n");
    out
}

fn summary(out: &mut String, f: &Figures) {
    section(out, "summary", "Summary");
    let fraud_ok = f.fraud_stopped_ppm >= FRAUD_STOPPED_TARGET_PPM;
    let friction_ok = f.good_payments_friction_ppm <= FRICTION_TARGET_PPM;
    let _ = write!(
        out,
        "<p>Fraud loss stopped: <b>{}</b> of {} yuan attempted ({}; at least 95%). Good payments challenged or declined: <b>{}</b> of {} ({}; at most 1%). Auditor: {} checks, <b>{} mismatches</b>.</p>",
        percent(f.fraud_stopped_ppm),
        yuan(f.fraud_loss_attempted_fen),
        verdict(fraud_ok),
        percent(f.good_payments_friction_ppm),
        count(f.good_payments),
        verdict(friction_ok),
        count(f.auditor_checks),
        f.auditor_mismatches
    );
}

fn approvals(out: &mut String, f: &Figures) {
    let a = &f.applications;
    section(out, "approvals", "Applications: approvals and declines by reason");
    let _ = write!(
        out,
        "<p>{} applications: {} approved, {} declined ({} genuine applicants declined; {} fraudulent applications, {} approved).</p>",
        count(a.total),
        count(a.approved),
        count(a.declined),
        count(a.genuine_declined),
        count(a.fraudulent),
        count(a.fraudulent_approved)
    );
    let mut items: Vec<(String, f64)> = vec![("approved".into(), a.approved as f64)];
    items.extend(a.declines_by_reason.iter().map(|(r, n)| (r.clone(), *n as f64)));
    out.push_str(&bars(&items, |v| count(v as u64)));
    out.push_str("<p class=\"note\">Reasons are the first reason code of the checkpoint that stopped the application: <code>deny:</code> a rule denied, <code>review:</code> referred to an analyst (counted as declined), <code>challenge_failed:</code> the applicant failed the step-up.</p>");
}

fn limits(out: &mut String, f: &Figures) {
    let l = &f.limits;
    section(out, "limits", "Credit limits and utilization");
    let _ = write!(
        out,
        "<p>{} yuan of credit approved, {} yuan per line on average. Mean utilization at the end (principal owed over limit): {}.</p><h3>Approved limits (yuan)</h3>",
        yuan(l.approved_total_fen),
        yuan(l.approved_mean_fen),
        percent(l.utilization_mean_ppm)
    );
    let items: Vec<(String, f64)> = l.histogram.iter().map(|b| (b.label.clone(), b.count as f64)).collect();
    out.push_str(&bars(&items, |v| count(v as u64)));
    out.push_str("<h3>Utilization at the end</h3>");
    let items: Vec<(String, f64)> = l
        .utilization_histogram
        .iter()
        .map(|b| (b.label.clone(), b.count as f64))
        .collect();
    out.push_str(&bars(&items, |v| count(v as u64)));
}

fn installments(out: &mut String, f: &Figures) {
    section(out, "installments", "Installment mix");
    let mut mix = f.installments.clone();
    mix.sort_by_key(|t| t.term.parse::<u32>().unwrap_or(0));
    let items: Vec<(String, f64)> = mix.iter().map(|t| (term_name(&t.term), t.amount_fen as f64)).collect();
    out.push_str(&bars(&items, |v| format!("{} yuan", yuan_short(v))));
    let rows: Vec<Vec<String>> = mix
        .iter()
        .map(|t| vec![term_name(&t.term), count(t.count), yuan(t.amount_fen)])
        .collect();
    table(out, &["term", "purchases", "captured (yuan)"], &rows);
}

fn term_name(term: &str) -> String {
    if term == "pay_later" {
        "pay later".into()
    } else {
        format!("{term} periods")
    }
}

fn statements(out: &mut String, f: &Figures) {
    let s = &f.statements;
    section(out, "statements", "Statement outcomes");
    let items = vec![
        ("paid in full".to_owned(), s.paid_in_full as f64),
        ("minimum or more".to_owned(), s.minimum_or_more as f64),
        ("overdue".to_owned(), s.overdue as f64),
        ("nothing due".to_owned(), s.nothing_due as f64),
        ("not yet due".to_owned(), s.not_yet_due as f64),
    ];
    out.push_str(&bars(&items, |v| count(v as u64)));
    let _ = write!(
        out,
        "<p class=\"note\">{} statements closed. Outcomes are judged the day after the due date from what the customer paid since the statement.</p>",
        count(s.closed)
    );
}

fn delinquency(out: &mut String, f: &Figures) {
    let d = &f.delinquency;
    section(out, "delinquency", "Delinquency and roll rates");
    let rows: Vec<Vec<String>> = d
        .rolls
        .iter()
        .map(|r| {
            vec![
                format!("{} \u{2192} {}", r.from, r.to),
                count(r.from_accounts),
                count(r.to_accounts),
                percent(r.ppm),
            ]
        })
        .collect();
    table(out, &["roll", "accounts in", "rolled on", "roll rate"], &rows);
    let items: Vec<(String, f64)> = ["current", "grace", "M1", "M2", "M3", "M3+", "charged_off"]
        .iter()
        .map(|b| ((*b).to_owned(), d.at_end.get(*b).copied().unwrap_or(0) as f64))
        .collect();
    out.push_str("<h3>Accounts by bucket at the end</h3>");
    out.push_str(&bars(&items, |v| count(v as u64)));
    out.push_str("<p class=\"note\">Charge-off comes at 180 days past due: a run shorter than about seven months cannot reach it.</p>");
}

/// The credit-bureau file of each month end: records per status, the exempted, the sums.
fn bureau(out: &mut String, f: &Figures) {
    section(out, "bureau", "Credit-bureau file by month end");
    if f.bureau.is_empty() {
        out.push_str("<p class=\"note\">The run passed no month end: no file was produced.</p>");
        return;
    }
    let statuses = ["current", "late_30", "late_60", "late_90", "late_180", "charged_off"];
    let rows: Vec<Vec<String>> = f
        .bureau
        .iter()
        .map(|m| {
            let mut row = vec![m.month.clone(), count(m.records)];
            row.extend(
                statuses
                    .iter()
                    .map(|s| count(m.by_status.get(*s).copied().unwrap_or(0))),
            );
            row
        })
        .collect();
    let head = [
        "month",
        "records",
        "11 current",
        "71 M1",
        "78 M2",
        "80 M3",
        "82 M3+",
        "97 charged off",
    ];
    table(out, &head, &rows);
    let rows: Vec<Vec<String>> = f
        .bureau
        .iter()
        .map(|m| {
            vec![
                m.month.clone(),
                count(m.fraud_exempt),
                yuan(m.current_balance_fen),
                yuan(m.past_due_fen),
                yuan(m.charge_off_fen),
            ]
        })
        .collect();
    table(
        out,
        &["month", "FE fraud exempt", "balance", "past due", "charged off"],
        &rows,
    );
    out.push_str("<p class=\"note\">Produced on each month's last day from the accounts as the system holds them, in the layout of REPORTING.md (<code>iou report credit-bureau --month YYYY-MM</code> writes the same file from a data directory), read back and its trailer checked. Grace days (DPD 1-3) report current; a confirmed theft's transactions are restated away, so they never report delinquent (FE).</p>");
}

fn losses(out: &mut String, f: &Figures) {
    let l = &f.losses;
    section(out, "losses", "Losses and income");
    let rows = vec![
        vec!["captured".to_owned(), yuan(l.captured_fen)],
        vec!["charged off".to_owned(), yuan(l.charged_off_fen)],
        vec!["fraud lost (captured on fraud)".to_owned(), yuan(f.fraud_loss_lost_fen)],
        vec![
            "fraud loss booked (theft reports confirmed)".to_owned(),
            yuan(l.fraud_loss_booked_fen),
        ],
        vec![
            "loss rate (charge-off + fraud lost) / captured".to_owned(),
            percent(l.loss_rate_ppm),
        ],
        vec!["principal owed at the end".to_owned(), yuan(l.receivables_end_fen)],
        vec!["of it 30+ days past due".to_owned(), yuan(l.receivables_30_plus_fen)],
        vec!["fee income".to_owned(), yuan(l.fee_income_fen)],
        vec!["interest income".to_owned(), yuan(l.interest_income_fen)],
        vec!["penalty income".to_owned(), yuan(l.penalty_income_fen)],
    ];
    table(out, &["", "yuan"], &rows);
}

fn collections(out: &mut String, f: &Figures) {
    let c = &f.collections;
    section(
        out,
        "collections",
        "Collections: the strategy's actions, promises, hardship plans, recoveries",
    );
    let rows = vec![
        vec!["reminders".to_owned(), c.reminders.to_string()],
        vec![
            "call tasks (reached)".to_owned(),
            format!("{} ({})", c.call_tasks, c.calls_reached),
        ],
        vec!["hardship offers".to_owned(), c.hardship_offers.to_string()],
        vec!["no action".to_owned(), c.no_action.to_string()],
        vec![
            "promises made / kept / broken".to_owned(),
            format!("{} / {} / {}", c.promises_made, c.promises_kept, c.promises_broken),
        ],
        vec!["hardship plans".to_owned(), c.hardship_plans.to_string()],
        vec![
            "paid on promises and cures (yuan)".to_owned(),
            yuan(c.promised_paid_fen),
        ],
        vec![
            "recoveries after charge-off (yuan)".to_owned(),
            format!("{} ({} repayments)", yuan(c.recoveries_fen), c.recoveries),
        ],
    ];
    table(out, &["", ""], &rows);
}

fn fraud(out: &mut String, f: &Figures) {
    section(out, "fraud", "Fraud: attempted, stopped and lost, by attack");
    let legend = [
        "declined",
        "challenged and failed",
        "intercepted",
        "declined by the line",
        "lost",
    ];
    let rows: Vec<(String, Vec<f64>)> = f
        .fraud
        .iter()
        .map(|a| {
            (
                a.kind.replace('_', " "),
                vec![
                    a.stopped_declined_fen as f64,
                    a.stopped_challenged_fen as f64,
                    a.stopped_intercepted_fen as f64,
                    a.stopped_by_line_fen as f64,
                    a.lost_fen as f64,
                ],
            )
        })
        .collect();
    out.push_str(&stacked(&rows, &legend, |v| format!("{} yuan", yuan_short(v))));
    // Three narrow tables, not one of eleven columns that overflowed the page.
    let rows: Vec<Vec<String>> = f
        .fraud
        .iter()
        .map(|a| {
            vec![
                a.kind.replace('_', " "),
                count(a.attacks),
                count(a.attempts),
                yuan(a.attempted_fen),
                yuan(a.stopped_fen()),
                percent(a.stopped_ppm),
                yuan(a.lost_fen),
            ]
        })
        .collect();
    table(
        out,
        &[
            "attack",
            "attacks",
            "attempts",
            "attempted",
            "stopped",
            "stopped %",
            "lost",
        ],
        &rows,
    );
    let rows: Vec<Vec<String>> = f
        .fraud
        .iter()
        .map(|a| {
            vec![
                a.kind.replace('_', " "),
                yuan(a.stopped_declined_fen),
                yuan(a.stopped_challenged_fen),
                yuan(a.stopped_intercepted_fen),
                yuan(a.stopped_by_line_fen),
                yuan(a.exempted_fen),
            ]
        })
        .collect();
    table(
        out,
        &[
            "stopped by",
            "declined",
            "challenged",
            "intercepted",
            "the line",
            "lost, restated",
        ],
        &rows,
    );
    let rows: Vec<Vec<String>> = f
        .fraud
        .iter()
        .filter(|a| a.applications_declined > 0)
        .map(|a| {
            vec![
                a.kind.replace('_', " "),
                count(a.applications_declined),
                yuan(a.lines_refused_fen),
            ]
        })
        .collect();
    if !rows.is_empty() {
        out.push_str("<h3>Fraudulent applications declined at onboarding</h3>");
        table(out, &["attack", "applications", "lines asked for"], &rows);
    }
    let _ = write!(
        out,
        "<p>Overall: {} of {} yuan stopped ({}), {} yuan lost. {}</p><p class=\"note\">Attempted is ground truth: every fraudulent order's amount, and a takeover stopped at login or device binding counts its whole planned burst. The lines fraudulent applicants asked for and were refused are not in it (a refused line moves no money): they are counted apart. Lost is what was captured (paid out to merchants); a victim's theft report, once the fraud team confirms the case, restates it away from the victim as the platform's fraud loss.</p>",
        yuan(f.fraud_loss_stopped_fen),
        yuan(f.fraud_loss_attempted_fen),
        percent(f.fraud_stopped_ppm),
        yuan(f.fraud_loss_lost_fen),
        verdict(f.fraud_stopped_ppm >= FRAUD_STOPPED_TARGET_PPM)
    );
    let q = &f.queues;
    let _ = write!(
        out,
        "<p>Theft reports: {} (each a case and a frozen line): {} confirmed by the fraud team (the stolen orders exempted), {} rejected (the customer had made the purchase), {} confirmations refused. Left open at the end, waiting for an operator: {} theft cases, {} interceptions.</p>",
        count(q.theft_reported),
        count(q.theft_confirmed),
        count(q.theft_rejected),
        count(q.theft_refused),
        count(q.open_theft_cases),
        count(q.open_interception_cases)
    );
    let _ = write!(
        out,
        "<p>Payments held for review (risk decided <code>review</code>; no capture until an analyst decides): {}. The payment-review desk released {} and declined {}; {} timed out (declined by the engine after 24 hours); {} left open at the end.</p>",
        count(q.payments_held),
        count(q.held_released),
        count(q.held_declined),
        count(q.held_expired),
        count(q.open_payment_reviews)
    );
    let a = &q.applications;
    if a.applied > 0 {
        let _ = write!(
            out,
            "<p>Applications through the application route (a stream of applicants of its own): {}. Approved at once {}, declined {}, step-up asked {}, sent to review {}: analysts approved {} and declined {} a day or a few later; {} left in review at the end.</p>",
            count(a.applied),
            count(a.approved),
            count(a.declined),
            count(a.challenged),
            count(a.review),
            count(a.review_approved),
            count(a.review_declined),
            count(a.left_in_review)
        );
    }
}

fn friction(out: &mut String, f: &Figures) {
    let p = &f.payments;
    section(out, "friction", "Good customers: payments challenged or declined");
    let rows = vec![
        vec!["genuine payment attempts".to_owned(), count(f.good_payments)],
        vec![
            "challenged at the first try".to_owned(),
            count(p.good_payments_challenged),
        ],
        vec![
            "declined by risk at the first try".to_owned(),
            count(p.good_payments_declined),
        ],
        vec![
            "challenged or declined".to_owned(),
            count(f.good_payments_challenged_or_declined),
        ],
        vec![
            "gave up after a failed step-up".to_owned(),
            count(p.good_payments_abandoned),
        ],
        vec![
            "declined by the line (limit, freeze)".to_owned(),
            count(p.good_payments_declined_by_credit),
        ],
        vec!["friction rate".to_owned(), percent(f.good_payments_friction_ppm)],
    ];
    table(out, &["", ""], &rows);
    let _ = write!(
        out,
        "<p>{}</p><p class=\"note\">All payments: {} attempts ({} online, {} offline), {} approved, {} challenges ({} passed), {} declined by risk, {} declined by the line, {} held for review, {} voided, {} holds expired.</p>",
        verdict(f.good_payments_friction_ppm <= FRICTION_TARGET_PPM),
        count(p.attempts),
        count(p.online),
        count(p.offline),
        count(p.approved),
        count(p.challenged),
        count(p.challenges_passed),
        count(p.declined_by_risk),
        count(p.declined_by_credit),
        count(p.reviewed),
        count(p.voided),
        count(p.expired)
    );
}

fn activity(out: &mut String, f: &Figures) {
    section(out, "activity", "Day by day");
    let dates: Vec<String> = f.daily.iter().map(|d| d.date.clone()).collect();
    let series = |get: &dyn Fn(&crate::figures::DayFigures) -> f64| f.daily.iter().map(get).collect::<Vec<f64>>();
    out.push_str("<h3>Payment attempts per day</h3>");
    out.push_str(&lines(&[("payments", series(&|d| d.payments as f64))], &dates, |v| {
        count(v as u64)
    }));
    out.push_str("<h3>Captured and repaid per day (yuan)</h3>");
    out.push_str(&lines(
        &[
            ("captured", series(&|d| d.captured_fen as f64)),
            ("repaid", series(&|d| d.repaid_fen as f64)),
        ],
        &dates,
        yuan_short,
    ));
    out.push_str("<h3>Principal owed (yuan)</h3>");
    out.push_str(&lines(
        &[("principal owed", series(&|d| d.receivables_fen as f64))],
        &dates,
        yuan_short,
    ));
    out.push_str("<h3>Fraud attempted and lost per day (yuan)</h3>");
    out.push_str(&lines(
        &[
            ("attempted", series(&|d| d.fraud_attempted_fen as f64)),
            ("lost", series(&|d| d.fraud_lost_fen as f64)),
        ],
        &dates,
        yuan_short,
    ));
    out.push_str("<h3>Accounts past due</h3>");
    out.push_str(&lines(
        &[("delinquent accounts", series(&|d| d.delinquent_accounts as f64))],
        &dates,
        |v| count(v as u64),
    ));
}

fn run(out: &mut String, f: &Figures) {
    let t = &f.throughput;
    section(out, "run", "The run");
    let rows = vec![
        vec!["driver".to_owned(), t.driver.clone()],
        vec!["requests".to_owned(), count(t.requests)],
        vec!["wall time".to_owned(), format!("{:.1} s", t.wall_s)],
        vec!["throughput".to_owned(), format!("{:.0} requests/s", t.ops_per_s)],
        vec!["auditor checks".to_owned(), count(f.auditor_checks)],
        vec!["auditor mismatches".to_owned(), count(f.auditor_mismatches)],
    ];
    table(out, &["", ""], &rows);
    let _ = write!(
        out,
        "<p class=\"note\">Replay this run with <code>{}</code>: the same seed and flags give the same figures (all but this section's timings).</p>",
        escape(&f.replay_command())
    );
}
