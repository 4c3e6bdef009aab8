//! The HTML report and the JSON figures.

use super::common::shared;

#[test]
fn the_html_report_is_one_self_contained_page_with_every_section() {
    let html = sim::report::html(shared());
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    for id in sim::report::SECTIONS {
        assert!(html.contains(&format!("id=\"{id}\"")), "section {id} is missing");
    }
    assert!(html.matches("<svg").count() >= 8, "charts");
    assert_eq!(html.matches("<svg").count(), html.matches("</svg>").count());
    assert_eq!(html.matches("<table>").count(), html.matches("</table>").count());
    for forbidden in ["<script", "http://", "https://", "<link", "@import"] {
        let outside_svg_namespace = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        assert!(
            !outside_svg_namespace.contains(forbidden),
            "the page must not fetch or run anything: {forbidden}"
        );
    }
    // Every element opened is closed (a light well-formedness check on the tags we write).
    for tag in ["h2", "h3", "p", "div", "tr", "td", "th", "text", "title", "b", "code"] {
        let open = html.matches(&format!("<{tag}>")).count() + html.matches(&format!("<{tag} ")).count();
        let close = html.matches(&format!("</{tag}>")).count();
        assert_eq!(open, close, "<{tag}> opened {open} times, closed {close}");
    }
}

#[test]
fn the_json_has_the_figures_scripts_read() {
    let json: serde_json::Value = serde_json::to_value(shared()).unwrap();
    for key in [
        "fraud_loss_attempted_fen",
        "fraud_loss_stopped_fen",
        "good_payments",
        "good_payments_challenged_or_declined",
        "auditor_mismatches",
        "ops_per_s",
    ] {
        assert!(
            json.get(key).is_some_and(|v| v.is_number()),
            "{key} missing or not a number"
        );
    }
    assert!(json["ops_per_s"].as_f64().unwrap() > 0.0);
    assert_eq!(json["auditor_mismatches"], 0);
}

#[test]
fn the_summary_names_every_headline_figure() {
    let text = sim::report::text(shared());
    for needle in [
        "applications",
        "installment mix",
        "statements",
        "roll rates",
        "fraud stopped",
        "good payments",
        "left open",
        "auditor",
        "ops/s",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
}

/// Issue 17's report bugs, each guarded where it showed.
#[test]
fn the_daily_charts_end_on_the_run_s_last_day_not_a_spurious_empty_one() {
    let f = shared();
    assert_eq!(f.daily.len(), f.days as usize, "one row per simulated day");
    let last = f.daily.last().unwrap();
    assert_eq!(last.day, f.days - 1);
    assert!(last.payments > 0 && last.receivables_fen > 0, "{last:?}");
    let dates: Vec<&str> = f.daily.iter().map(|d| d.date.as_str()).collect();
    assert!(dates.windows(2).all(|w| w[0] < w[1]), "dates increase, no duplicate");
}

#[test]
fn no_table_is_wider_than_eight_columns() {
    let html = sim::report::html(shared());
    for (i, table) in html.split("<table>").skip(1).enumerate() {
        let head = table.split("</tr>").next().unwrap();
        let columns = head.matches("<th>").count();
        assert!(columns <= 8, "table {i} has {columns} columns: {head}");
    }
}

#[test]
fn the_replay_command_names_every_flag_that_changes_the_figures() {
    let f = shared();
    let command = f.replay_command();
    for flag in [
        format!("--seed {}", f.seed),
        format!("--days {}", f.days),
        format!("--wave-seconds {}", f.wave_seconds),
        format!("--theft-reports {}", f.theft_reports),
        format!("--partitions {}", f.partitions),
    ] {
        assert!(command.contains(&flag), "{flag} missing from {command}");
    }
    assert_eq!(f.wave_seconds, 300);
    assert!(sim::report::html(f).contains(&command));
}

#[test]
fn the_fraud_headline_counts_orders_not_the_lines_farms_asked_for() {
    let f = shared();
    let farm = f.fraud.iter().find(|a| a.kind == "device_farm").unwrap();
    assert!(farm.applications_declined > 0 && farm.lines_refused_fen > 0, "{farm:?}");
    // The headline and the daily chart add up the same orders; no refused line is in either.
    let daily: i64 = f.daily.iter().map(|d| d.fraud_attempted_fen).sum();
    assert_eq!(f.fraud_loss_attempted_fen, daily);
    let by_attack: i64 = f.fraud.iter().map(|a| a.attempted_fen).sum();
    assert_eq!(f.fraud_loss_attempted_fen, by_attack);
    assert!(farm.stopped_fen() + farm.lost_fen <= farm.attempted_fen, "{farm:?}");
}

#[test]
fn the_portfolio_analytics_are_filled_from_the_run() {
    let f = shared();
    let a = &f.analytics;
    // Every approved line is in one vintage, and the curves never fall (cumulative).
    let in_vintages: u64 = a.vintages.iter().map(|v| v.accounts).sum();
    assert_eq!(in_vintages, f.applications.approved, "{:?}", a.vintages);
    for v in &a.vintages {
        assert!(v.ever_late_ppm.windows(2).all(|w| w[0] <= w[1]), "{v:?}");
    }
    // The roll matrix covers every account present at two consecutive month ends.
    let months = f.bureau.len() as u64;
    assert!(months >= 2);
    let moves: u64 = a.roll_matrix.iter().map(|c| c.accounts).sum();
    let pairs: u64 = f.bureau.windows(2).map(|w| w[0].records).sum();
    assert_eq!(
        moves, pairs,
        "accounts are never dropped from one month end to the next"
    );
    assert!(a.roll_matrix.iter().any(|c| c.from == "current" && c.to == "current"));
    // Calibration: every scored applicant in a band; approval rises from the lowest band to the highest.
    let scored: u64 = a.calibration.iter().map(|b| b.applicants).sum();
    assert_eq!(scored, f.applications.total);
    let (low, high) = (a.calibration.first().unwrap(), a.calibration.last().unwrap());
    assert!(low.approved_ppm < high.approved_ppm, "{:?}", a.calibration);
    assert!(low.mean_pd_ppm > high.mean_pd_ppm);
    assert!(a.rule_hits.iter().any(|r| r.fraud > 0), "{:?}", a.rule_hits);
    let y = &a.net_yield;
    assert_eq!(y.days, f.days);
    assert_eq!(
        y.income_fen,
        f.losses.fee_income_fen + f.losses.interest_income_fen + f.losses.penalty_income_fen
    );
    assert_eq!(y.net_fen, y.income_fen - y.charged_off_fen - y.fraud_loss_fen);
    let json = serde_json::to_value(f).unwrap();
    for key in ["vintages", "roll_matrix", "calibration", "rule_hits", "net_yield"] {
        assert!(json["analytics"].get(key).is_some(), "{key}");
    }
    assert!(json["bureau"].as_array().is_some_and(|m| !m.is_empty()));
}
