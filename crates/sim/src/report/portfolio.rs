//! The report's portfolio section, read first by a risk manager and a CFO: net yield and
//! losses, vintage curves, the month-end roll-rate matrix with cures, calibration by score
//! band, and rule hits split into fraud and genuine (`crate::analytics` computes them).

use std::fmt::Write;

use super::{count, section, table, yuan};
use crate::figures::{Figures, percent};

/// Months on book shown in the vintage table (more would widen it past the page).
const MOB_SHOWN: usize = 6;
/// Reason codes shown, most hits first.
const RULES_SHOWN: usize = 15;
const BUCKETS: [&str; 7] = ["current", "grace", "M1", "M2", "M3", "M3+", "charged_off"];

pub(super) fn portfolio(out: &mut String, f: &Figures) {
    let a = &f.analytics;
    section(
        out,
        "portfolio",
        "Portfolio: yield, vintages, roll rates, calibration, rules",
    );
    let y = &a.net_yield;
    let rows = vec![
        vec!["income (fees, interest, penalties)".to_owned(), yuan(y.income_fen)],
        vec!["charged off".to_owned(), yuan(y.charged_off_fen)],
        vec!["fraud loss booked".to_owned(), yuan(y.fraud_loss_fen)],
        vec!["net".to_owned(), yuan(y.net_fen)],
        vec!["average principal owed".to_owned(), yuan(y.average_receivables_fen)],
        vec!["net yield (annualised)".to_owned(), percent(y.net_yield_ppm)],
        vec!["loss rate (annualised)".to_owned(), percent(y.loss_rate_ppm)],
    ];
    out.push_str("<h3>Loss and net yield</h3>");
    table(out, &["", ""], &rows);
    let _ = write!(
        out,
        "<p class=\"note\">Over {} days: net = income - charge-offs - fraud loss booked; yields are on the mean of the daily principal owed, times 365 / days.</p>",
        y.days
    );

    out.push_str("<h3>Vintages: share ever late (M1+) by month on book</h3>");
    let mut head = vec!["opened".to_owned(), "accounts".to_owned()];
    head.extend((0..MOB_SHOWN).map(|m| format!("MOB {m}")));
    let rows: Vec<Vec<String>> = a
        .vintages
        .iter()
        .map(|v| {
            let mut row = vec![v.cohort.clone(), count(v.accounts)];
            row.extend(v.ever_late_ppm.iter().take(MOB_SHOWN).map(|p| percent(*p)));
            row.resize(MOB_SHOWN + 2, String::new());
            row
        })
        .collect();
    let head: Vec<&str> = head.iter().map(String::as_str).collect();
    table(out, &head, &rows);

    out.push_str("<h3>Roll rates between month ends (row: bucket at a month end; column: at the next)</h3>");
    let rows: Vec<Vec<String>> = BUCKETS
        .iter()
        .filter(|from| a.roll_matrix.iter().any(|c| c.from == **from))
        .map(|from| {
            let mut row = vec![(*from).to_owned()];
            row.extend(BUCKETS.iter().map(|to| {
                a.roll_matrix
                    .iter()
                    .find(|c| c.from == *from && c.to == *to)
                    .map_or(String::new(), |c| format!("{} ({})", percent(c.ppm), count(c.accounts)))
            }));
            row
        })
        .collect();
    let mut head = vec!["from \\ to"];
    head.extend(BUCKETS);
    table(out, &head, &rows);
    let cures: u64 = a.roll_matrix.iter().filter(|c| c.cure).map(|c| c.accounts).sum();
    let _ = write!(
        out,
        "<p class=\"note\">Cures (to a better bucket, left of the diagonal): {} account-months. From the credit-bureau file's buckets at each month end.</p>",
        count(cures)
    );

    out.push_str("<h3>Calibration: approval and realised delinquency by score band</h3>");
    let rows: Vec<Vec<String>> = a
        .calibration
        .iter()
        .map(|b| {
            vec![
                b.band.clone(),
                count(b.applicants),
                percent(b.approved_ppm),
                percent(b.mean_pd_ppm),
                percent(b.late_ppm),
                percent(b.bad_ppm),
            ]
        })
        .collect();
    table(
        out,
        &[
            "score",
            "applicants",
            "approved",
            "mean PD",
            "late (M1+)",
            "30+ DPD (M2+)",
        ],
        &rows,
    );
    out.push_str("<p class=\"note\">Late and 30+ are shares of the approved, realised within the run: a PD is a 12-month probability, so a short run shows less.</p>");

    out.push_str("<h3>Rule hits on payments' first attempts</h3>");
    let rows: Vec<Vec<String>> = a
        .rule_hits
        .iter()
        .take(RULES_SHOWN)
        .map(|r| {
            vec![
                r.reason.clone(),
                count(r.fraud),
                count(r.genuine),
                percent(r.precision_ppm),
            ]
        })
        .collect();
    table(out, &["reason", "on fraud", "on genuine", "fraud share"], &rows);
}
