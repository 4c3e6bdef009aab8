//! The report of a run: [`text`] for the terminal and [`html`] for a self-contained page.

mod html;
mod portfolio;
pub mod svg;

pub use html::{SECTIONS, html};

use std::fmt::Write;

use crate::figures::{Figures, percent};

/// The fraud target: at least this share of the fraud loss attempted is stopped.
pub const FRAUD_STOPPED_TARGET_PPM: i64 = 950_000;
/// The friction target: at most this share of good payments is challenged or declined.
pub const FRICTION_TARGET_PPM: i64 = 10_000;

/// Escapes text for HTML and SVG.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Fen as yuan with thousands separators: `1,234,567.89`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    let whole = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{:02}", abs % 100)
}

/// A count with thousands separators.
pub fn count(n: u64) -> String {
    let fen = i64::try_from(n).unwrap_or(i64::MAX).saturating_mul(100);
    let text = yuan(fen);
    text.trim_end_matches(".00").to_owned()
}

/// A table in a scrolling box; cells are escaped.
pub(crate) fn table(out: &mut String, head: &[&str], rows: &[Vec<String>]) {
    out.push_str("<div class=\"wide\"><table><tr>");
    for h in head {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{}</td>", escape(cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</table></div>");
}

pub(crate) fn section(out: &mut String, id: &str, title: &str) {
    let _ = write!(out, r#"<h2 id="{id}">{}</h2>"#, escape(title));
}

fn mark(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

/// The summary printed at the end of a run.
pub fn text(f: &Figures) -> String {
    let a = &f.applications;
    let p = &f.payments;
    let s = &f.statements;
    let l = &f.losses;
    let mut out = format!(
        "iou simulation: seed {}, {} shoppers, {} merchants, {} days from {}\n",
        f.seed, f.users, f.merchants, f.days, f.start
    );
    out += &format!(
        "  applications     {} ({} approved, {} declined; {} fraudulent, {} of them approved)\n",
        count(a.total),
        count(a.approved),
        count(a.declined),
        count(a.fraudulent),
        count(a.fraudulent_approved)
    );
    out += &format!(
        "  credit limits    {} yuan approved, {} on average; utilization at the end {}\n",
        yuan(f.limits.approved_total_fen),
        yuan(f.limits.approved_mean_fen),
        percent(f.limits.utilization_mean_ppm)
    );
    out += &format!(
        "  payments         {} attempts, {} approved, {} captured for {} yuan, {} refunded\n",
        count(p.attempts),
        count(p.approved),
        count(p.captured),
        yuan(p.captured_fen),
        yuan(p.refunded_fen)
    );
    let mix: Vec<String> = f
        .installments
        .iter()
        .map(|t| format!("{} {}", t.term, count(t.count)))
        .collect();
    out += &format!("  installment mix  {}\n", mix.join(", "));
    out += &format!(
        "  statements       {} closed: {} paid in full, {} minimum or more, {} overdue, {} nothing due, {} not yet due\n",
        count(s.closed),
        count(s.paid_in_full),
        count(s.minimum_or_more),
        count(s.overdue),
        count(s.nothing_due),
        count(s.not_yet_due)
    );
    let rolls: Vec<String> = f
        .delinquency
        .rolls
        .iter()
        .map(|r| format!("{}->{} {}", r.from, r.to, percent(r.ppm)))
        .collect();
    out += &format!("  roll rates       {}\n", rolls.join(", "));
    out += &format!(
        "  losses           charged off {} yuan, fraud lost {} yuan ({} booked as fraud loss); loss rate {}\n",
        yuan(l.charged_off_fen),
        yuan(f.fraud_loss_lost_fen),
        yuan(l.fraud_loss_booked_fen),
        percent(l.loss_rate_ppm)
    );
    let c = &f.collections;
    out += &format!(
        "  collections      actions: {} reminders, {} call tasks ({} reached), {} hardship offers, {} none; \
         promises {} made, {} kept, {} broken; {} hardship plans; {} yuan paid on promises and cures\n",
        count(c.reminders),
        count(c.call_tasks),
        count(c.calls_reached),
        count(c.hardship_offers),
        count(c.no_action),
        count(c.promises_made),
        count(c.promises_kept),
        count(c.promises_broken),
        count(c.hardship_plans),
        yuan(c.promised_paid_fen)
    );
    out += &format!(
        "  recoveries       {} repayments after charge-off, {} yuan (ledger recoveries {} yuan)\n",
        count(c.recoveries),
        yuan(c.recoveries_fen),
        yuan(c.recoveries_ledger_fen)
    );
    for attack in &f.fraud {
        out += &format!(
            "  fraud {:17} {} attacks, {} yuan attempted, {} stopped ({}), {} lost\n",
            attack.kind,
            count(attack.attacks),
            yuan(attack.attempted_fen),
            yuan(attack.stopped_fen()),
            percent(attack.stopped_ppm),
            yuan(attack.lost_fen)
        );
    }
    out += &format!(
        "  fraud stopped    {} of {} yuan attempted: {} (target 95%: {})\n",
        yuan(f.fraud_loss_stopped_fen),
        yuan(f.fraud_loss_attempted_fen),
        percent(f.fraud_stopped_ppm),
        mark(f.fraud_stopped_ppm >= FRAUD_STOPPED_TARGET_PPM)
    );
    out += &format!(
        "  good payments    {} of {} challenged or declined: {} (target at most 1%: {})\n",
        count(f.good_payments_challenged_or_declined),
        count(f.good_payments),
        percent(f.good_payments_friction_ppm),
        mark(f.good_payments_friction_ppm <= FRICTION_TARGET_PPM)
    );
    let reasons: Vec<String> = p
        .good_friction_reasons
        .iter()
        .map(|(r, n)| format!("{r} {}", count(*n)))
        .collect();
    out += &format!("  friction by rule {}\n", reasons.join(", "));
    let q = &f.queues;
    out += &format!(
        "  left open        {} theft cases, {} interceptions (of {} theft reports: {} confirmed, {} rejected, {} refused)\n",
        count(q.open_theft_cases),
        count(q.open_interception_cases),
        count(q.theft_reported),
        count(q.theft_confirmed),
        count(q.theft_rejected),
        count(q.theft_refused)
    );
    out += &format!(
        "  held payments    {} held for review: {} released and {} declined by the desk, {} timed out, {} left open\n",
        count(q.payments_held),
        count(q.held_released),
        count(q.held_declined),
        count(q.held_expired),
        count(q.open_payment_reviews)
    );
    let a = &q.applications;
    if a.applied > 0 {
        out += &format!(
            "  via the route    {} applications: {} approved, {} declined, {} challenged, {} to review ({} approved and {} declined by analysts, {} left in review)\n",
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
    if let Some(m) = &f.settlement {
        out += &format!(
            "  settlement       captured {} - refunded {} - merchant fees {} - campaign subsidies {} = paid out {} + payable {} (receivable {}); fee income yield {}; {} payouts failed and paid again; {} of {} days balanced\n",
            yuan(m.captured_fen),
            yuan(m.refunded_fen),
            yuan(m.merchant_fees_fen),
            yuan(m.subsidies_fen),
            yuan(m.paid_out_fen),
            yuan(m.payable_fen),
            yuan(m.receivable_fen),
            percent(m.fee_yield_ppm),
            count(m.payouts_failed),
            m.days_balanced,
            m.days_settled
        );
    }
    if let Some(n) = &f.notifications {
        out += &notifications_line(n);
    }
    out += &format!(
        "  auditor          {} checks, {} mismatches\n",
        count(f.auditor_checks),
        f.auditor_mismatches
    );
    out += &format!(
        "  throughput       {} requests in {:.1} s: {:.0} ops/s ({})\n",
        count(f.throughput.requests),
        f.throughput.wall_s,
        f.ops_per_s,
        f.throughput.driver
    );
    out
}

/// Notifications: totals, then sent and dead per kind (all channels), then per channel.
fn notifications_line(n: &crate::notifications::NotificationFigures) -> String {
    let mut kinds: std::collections::BTreeMap<&str, (u64, u64)> = std::collections::BTreeMap::new();
    let mut channels: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for (key, count) in &n.by_kind_channel_status {
        let mut parts = key.split('/');
        let (Some(kind), Some(channel), Some(status)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let entry = kinds.entry(kind).or_default();
        if status == "sent" {
            entry.0 += count;
            *channels.entry(channel).or_default() += count;
        } else {
            entry.1 += count;
        }
    }
    let by_kind: Vec<String> = kinds
        .iter()
        .map(|(k, (sent, dead))| format!("{k} {} sent/{} dead", count(*sent), count(*dead)))
        .collect();
    let by_channel: Vec<String> = channels
        .iter()
        .map(|(c, sent)| format!("{c} {}", count(*sent)))
        .collect();
    format!(
        "  notifications    {} intents, {} deliveries ({} held for quiet hours, {} urgent at night, {} switched off by preferences), {} retries, {} dead; by kind: {}; sent by channel: {}\n",
        count(n.intents),
        count(n.deliveries),
        count(n.deferred_by_quiet_hours),
        count(n.urgent_in_quiet_hours),
        count(n.switched_off),
        count(n.retries),
        count(n.dead),
        by_kind.join(", "),
        by_channel.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_a_bank_statement() {
        let cases = [
            (0, "0.00"),
            (5, "0.05"),
            (123_456, "1,234.56"),
            (-100_000_000, "-1,000,000.00"),
            (99_999_999, "999,999.99"),
        ];
        for (fen, want) in cases {
            assert_eq!(yuan(fen), want, "{fen}");
        }
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(7), "7");
        assert_eq!(percent(953_100), "95.31%");
        assert_eq!(percent(1_000_000), "100.00%");
        assert_eq!(escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }
}
