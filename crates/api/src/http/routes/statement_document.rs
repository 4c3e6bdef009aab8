//! A statement as a document a customer would recognise (`GET /v1/customers/{customer_id}/
//! statements/{seq}/document`): one HTML page laid out like a card statement: the payment box
//! (new balance, minimum payment, due date), the account summary that adds up on its face,
//! where the statement stands today, and its lines. Every value written into the page goes
//! through [`escape`], numbers included, so nothing an account holds can become markup; the
//! page loads nothing (its Content-Security-Policy allows no source but its own inline style).

use std::fmt::Write;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use credit::statement::Statement;
use credit::{Account, StatementFigures};
use money::Amount;

use crate::http::call::Call;
use crate::http::error::{ApiError, Refusals, Unavailable};
use crate::http::routes::customers::customer_of;
use crate::http::routes::statement_archive::Archived;
use crate::http::routes::statements::{Found, LineView, find, line, seq_of};
use crate::http::submit::account;
use crate::state::AppState;

/// No script, no outside resource, no frame; the inline style only.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; \
frame-ancestors 'none'";

const STYLE: &str = "body{font-family:sans-serif;max-width:46rem;margin:2rem auto;color:#222}\
h1{font-size:1.4rem;margin:0}table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}\
td,th{padding:.3rem .5rem;border-bottom:1px solid #ddd;text-align:left}\
td.amount,th.amount{text-align:right;font-variant-numeric:tabular-nums}\
.box{border:2px solid #222;padding:.8rem 1rem;margin:1rem 0}.memo{color:#777;font-style:italic}\
tr.total td{font-weight:bold;border-top:2px solid #222}";

/// HTML-escapes text for an element's content or a quoted attribute.
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

/// Yuan with a thousands separator and the sign in front: `¥1,234.56`, `-¥0.05`.
pub fn yuan(amount: Amount) -> String {
    let text = amount.to_string();
    let (sign, digits) = text.strip_prefix('-').map_or(("", text.as_str()), |d| ("-", d));
    let (whole, cents) = digits.split_once('.').unwrap_or((digits, "00"));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}¥{grouped}.{cents}")
}

/// What a line is, in words.
fn describe(line: &LineView) -> String {
    let id = |v: &Option<String>| v.clone().unwrap_or_default();
    let period = line.period.map(|n| n.to_string()).unwrap_or_default();
    match line.kind {
        "purchase" => format!(
            "Purchase, merchant {} (transaction {})",
            id(&line.merchant_id),
            id(&line.txn_id)
        ),
        "plan_principal" => format!("Installment {period}, plan {}: principal", id(&line.plan_id)),
        "plan_fee" => format!("Installment {period}, plan {}: fee", id(&line.plan_id)),
        "plan_interest" => format!("Installment {period}, plan {}: interest", id(&line.plan_id)),
        "plan_accelerated" => format!("Plan {}: remaining principal due at charge-off", id(&line.plan_id)),
        "revolving_interest" => "Interest charged".to_owned(),
        "penalty" => "Late payment penalty".to_owned(),
        "payment" => format!("Payment, thank you (reference {})", id(&line.op_id)),
        "refund" => format!("Refund (transaction {})", id(&line.txn_id)),
        "fee_waiver" => format!("Fees waived, purchase refunded (transaction {})", id(&line.txn_id)),
        "bill_installment" => format!("Moved into installment plan {}", id(&line.plan_id)),
        "credit_applied" => "Credit balance applied".to_owned(),
        "payment_unbilled" => "Memo: payment toward amounts not yet billed".to_owned(),
        "payment_to_credit" => "Memo: payment kept as credit balance".to_owned(),
        "refund_unbilled" => format!(
            "Memo: refund of amounts not yet billed (transaction {})",
            id(&line.txn_id)
        ),
        "refund_to_credit" => format!("Memo: refund kept as credit balance (transaction {})", id(&line.txn_id)),
        "fee_waiver_to_credit" => format!("Memo: paid fees returned as credit (transaction {})", id(&line.txn_id)),
        "credit_cash_out" => "Memo: credit balance paid out to you".to_owned(),
        other => other.to_owned(),
    }
}

fn row(out: &mut String, label: &str, amount: Amount, class: &str) {
    let _ = write!(
        out,
        "<tr class=\"{}\"><td>{}</td><td class=\"amount\">{}</td></tr>",
        escape(class),
        escape(label),
        escape(&yuan(amount))
    );
}

fn payment_box(out: &mut String, s: &Statement) {
    let _ = write!(
        out,
        "<div class=\"box\"><table><tr><th>New balance</th><th>Minimum payment due</th>\
         <th>Payment due date</th></tr><tr><td>{}</td><td>{}</td><td>{}</td></tr></table>\
         <p>Pay the new balance by the due date and no interest is charged on it. If you pay less, \
         interest is charged on the unpaid principal from the statement date; if you pay less than \
         the minimum, a late payment penalty may follow.</p></div>",
        escape(&yuan(s.balance)),
        escape(&yuan(s.minimum)),
        escape(&s.due_date.to_string())
    );
}

fn summary(out: &mut String, s: &Statement) {
    out.push_str("<h2>Account summary</h2><table>");
    row(out, "Previous balance", s.previous_balance, "");
    row(out, "Payments", -s.payments, "");
    row(out, "Credits", -s.credits, "");
    row(out, "Purchases", s.new_purchases, "");
    row(out, "Installment principal", s.plan_principal, "");
    row(out, "Installment fees", s.plan_fees, "");
    row(out, "Installment interest", s.plan_interest, "");
    row(out, "Interest charged", s.interest, "");
    row(out, "Penalties", s.penalties, "");
    row(out, "New balance", s.balance, "total");
    out.push_str("</table>");
}

fn today(out: &mut String, account: &Account, f: &StatementFigures) {
    let _ = write!(
        out,
        "<h2>Where this statement stands on {}</h2><table>",
        escape(&account.day.to_string())
    );
    row(out, "Paid or credited since the statement date", f.paid_since_close, "");
    row(out, "Still to pay of this statement", f.remaining, "");
    row(out, "Still to pay of the minimum", f.minimum_remaining, "");
    row(out, "Past due", f.past_due, "");
    out.push_str("</table>");
}

fn lines(out: &mut String, s: &Statement) {
    out.push_str(
        "<h2>Transactions</h2><table><tr><th>Date</th><th>Description</th>\
         <th class=\"amount\">Amount</th></tr>",
    );
    for view in s.lines.iter().map(line) {
        let class = if view.memo { "memo" } else { "" };
        let _ = write!(
            out,
            "<tr class=\"{}\"><td>{}</td><td>{}</td><td class=\"amount\">{}</td></tr>",
            escape(class),
            escape(&view.on),
            escape(&describe(&view)),
            escape(&yuan(Amount::from_fen(view.amount_fen)))
        );
    }
    out.push_str(
        "</table><p class=\"memo\">Memo lines show activity that did not change this statement's balance.</p>",
    );
}

/// The whole page of statement `s`.
pub fn render(account: &Account, s: &Statement) -> String {
    let figures = account.statement_figures(s.seq).unwrap_or_default();
    let mut out = String::with_capacity(4096);
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Statement {} of account {}</title>\
         <style>{STYLE}</style></head><body><h1>iou credit statement</h1>\
         <p>Account {} &middot; statement {} &middot; statement date {}</p>",
        escape(&s.seq.to_string()),
        escape(&account.id.to_string()),
        escape(&account.id.to_string()),
        escape(&s.seq.to_string()),
        escape(&s.date.to_string())
    );
    payment_box(&mut out, s);
    summary(&mut out, s);
    today(&mut out, account, &figures);
    lines(&mut out, s);
    out.push_str("</body></html>");
    out
}

/// The page of an archived statement (older than the latest 24): the payment box and the
/// summary as it closed (previous and new balance, what was billed and paid between them in
/// one line), where it stands today, and a note that its lines are not kept.
pub fn render_archived(account: &Account, a: &Archived) -> String {
    let figures = account.closed_statement_figures(a.row.seq, a.balance(), a.due_date);
    let mut out = String::with_capacity(2048);
    let seq = a.row.seq.to_string();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Statement {} of account {}</title>\
         <style>{STYLE}</style></head><body><h1>iou credit statement</h1>\
         <p>Account {} &middot; statement {} &middot; statement date {}</p>",
        escape(&seq),
        escape(&account.id.to_string()),
        escape(&account.id.to_string()),
        escape(&seq),
        escape(&a.row.date)
    );
    let _ = write!(
        out,
        "<div class=\"box\"><table><tr><th>New balance</th><th>Minimum payment due</th>\
         <th>Payment due date</th></tr><tr><td>{}</td><td>{}</td><td>{}</td></tr></table></div>",
        escape(&yuan(a.balance())),
        escape(&yuan(a.minimum())),
        escape(&a.row.due_date)
    );
    out.push_str("<h2>Account summary</h2><table>");
    if let Some(previous) = a.previous_balance {
        row(&mut out, "Previous balance", previous, "");
        row(
            &mut out,
            "Charges less payments and credits",
            a.balance() - previous,
            "",
        );
    }
    row(&mut out, "New balance", a.balance(), "total");
    out.push_str("</table>");
    today(&mut out, account, &figures);
    out.push_str(
        "<p class=\"memo\">This statement is older than the latest 24 we keep in full: its \
         transactions are on the statement as it was issued. The figures above are as it closed, \
         and where it stands today.</p></body></html>",
    );
    out
}

/// A statement as an HTML document to read, print or keep (the customer or an operator, as for
/// the statement's JSON; an archived one, older than the latest 24, with its figures as closed
/// and without its lines).
#[utoipa::path(operation_id = "get_statement_document", get, path = "/v1/customers/{customer_id}/statements/{seq}/document", tag = "statements",
    params(("customer_id" = String, Path), ("seq" = String, Path, description = "1 for the first statement")),
    security(("bearer" = [])),
    responses((status = 200, description = "the statement as one self-contained HTML page (`no-store`)", content_type = "text/html", body = String), Refusals, Unavailable))]
pub async fn document(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let id = customer_of(&call)?;
    let seq = seq_of(&call)?;
    let account = account(&state, id).await?;
    let page = match find(&state, &account, seq).await? {
        Found::Kept(statement) => render(&account, statement),
        Found::Archived(old) => render_archived(&account, &old),
    };
    let disposition = format!("inline; filename=\"statement-{id}-{seq}.html\"");
    let mut response = (StatusCode::OK, page).into_response();
    let headers = response.headers_mut();
    let set = |v: &str| header::HeaderValue::from_str(v).map_err(|_| ApiError::internal("a header value"));
    headers.insert(header::CONTENT_TYPE, set("text/html; charset=utf-8")?);
    headers.insert(header::CACHE_CONTROL, set("no-store")?);
    headers.insert(header::CONTENT_SECURITY_POLICY, set(CSP)?);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, set("nosniff")?);
    headers.insert(header::CONTENT_DISPOSITION, set(&disposition)?);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_markup_character() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn yuan_groups_thousands_and_keeps_the_sign() {
        let cases = [
            (0, "¥0.00"),
            (5, "¥0.05"),
            (-5, "-¥0.05"),
            (123_456_789, "¥1,234,567.89"),
            (100_000, "¥1,000.00"),
        ];
        for (fen, want) in cases {
            assert_eq!(yuan(Amount::from_fen(fen)), want);
        }
    }
}
