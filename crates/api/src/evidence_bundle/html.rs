//! The evidence bundle as one readable, self-contained HTML page: inline style, no script, no
//! link or image to fetch, every value escaped. It shows what `bundle.json` holds (features and
//! model scores in each decision's detail) and says on top whether personal data is masked or
//! revealed.

use serde_json::Value;

/// Escapes text for HTML content and attribute values (the statement document's escape: one
/// in the crate).
pub use crate::http::routes::statement_document::escape;

/// A JSON value as cell text: strings bare, lists joined, null empty, the rest as JSON.
fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// A table of `rows` (objects) with `columns` (`(key, heading)`).
fn table(out: &mut String, title: &str, rows: &Value, columns: &[(&str, &str)]) {
    let rows = rows.as_array().map(Vec::as_slice).unwrap_or_default();
    out.push_str(&format!("<h2>{} ({})</h2>\n", escape(title), rows.len()));
    if rows.is_empty() {
        out.push_str("<p>none</p>\n");
        return;
    }
    out.push_str("<table>\n<tr>");
    for (_, heading) in columns {
        out.push_str(&format!("<th>{}</th>", escape(heading)));
    }
    out.push_str("</tr>\n");
    for row in rows {
        out.push_str("<tr>");
        for (key, _) in columns {
            let cell = if *key == "." { text(row) } else { text(&row[*key]) };
            out.push_str(&format!("<td>{}</td>", escape(&cell)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

const STYLE: &str = "body{font:14px/1.4 sans-serif;margin:2em;color:#111}table{border-collapse:collapse;margin:.5em 0 1.5em}\
td,th{border:1px solid #999;padding:2px 6px;vertical-align:top;text-align:left}th{background:#eee}\
.banner{padding:.6em 1em;border:2px solid;font-weight:bold}.masked{border-color:#2a6;background:#efe}\
.revealed{border-color:#c00;background:#fee}code{font-size:12px}";

/// The page of a bundle.
pub fn page(bundle: &Value) -> String {
    let mut out = String::new();
    let case = text(&bundle["case_id"]);
    out.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>Evidence bundle, case {}</title><style>{STYLE}</style></head><body>\n",
        escape(&case)
    ));
    out.push_str(&format!("<h1>Evidence bundle: case {}</h1>\n", escape(&case)));
    if bundle["personal_data"] == "revealed" {
        out.push_str(
            "<p class=\"banner revealed\">PERSONAL DATA REVEALED: this bundle was made with --reveal and the \
             store's key file; identities and full IP addresses are in clear. Handle under the data \
             protection rules for police requests.</p>\n",
        );
    } else {
        out.push_str(
            "<p class=\"banner masked\">Personal data masked: identities are left out and IP addresses are \
             cut to their network (x.x.x.x/24).</p>\n",
        );
    }
    out.push_str(&format!(
        "<p>Schema <code>{}</code>; ring: {}; SHA-256 of bundle.json (without its hash): <code>{}</code></p>\n",
        escape(&text(&bundle["schema"])),
        escape(&text(&bundle["ring"])),
        escape(&text(&bundle["hash"]["value"]))
    ));
    table(
        &mut out,
        "Summary",
        &Value::Array(vec![bundle["summary"].clone()]),
        &[
            ("cases", "cases"),
            ("accounts", "accounts"),
            ("devices", "devices"),
            ("ips", "IPs"),
            ("merchants", "merchants"),
            ("transactions", "transactions"),
            ("decisions", "decisions"),
        ],
    );
    table(
        &mut out,
        "Cases",
        &bundle["cases"],
        &[
            ("case_id", "case"),
            ("kind", "kind"),
            ("status", "status"),
            ("account", "account"),
            ("txn_ids", "transactions"),
            ("opened_at", "opened"),
            ("resolved_at", "resolved"),
            ("links", "linked cases"),
        ],
    );
    let notes = notes_of(&bundle["cases"]);
    table(
        &mut out,
        "Case notes",
        &notes,
        &[
            ("case_id", "case"),
            ("at", "at"),
            ("author", "author"),
            ("text", "note"),
        ],
    );
    table(
        &mut out,
        "Accounts",
        &bundle["accounts"],
        &[
            ("account", "account"),
            ("why", "why in the ring"),
            ("identity", "identity"),
        ],
    );
    table(
        &mut out,
        "Devices",
        &bundle["devices"],
        &[("device", "device (hash)"), ("accounts", "accounts")],
    );
    table(
        &mut out,
        "IP addresses",
        &bundle["ips"],
        &[("ip", "IP"), ("accounts", "accounts")],
    );
    let merchants = Value::Array(bundle["merchants"].as_array().cloned().unwrap_or_default());
    table(&mut out, "Merchants", &merchants, &[(".", "merchant")]);
    table(
        &mut out,
        "Transactions",
        &bundle["transactions"],
        &[
            ("txn_id", "transaction"),
            ("account", "account"),
            ("merchant_id", "merchant"),
            ("amount_fen", "amount (fen)"),
            ("authorized_at", "authorized"),
            ("later", "later"),
        ],
    );
    decisions(&mut out, &bundle["decisions"]);
    table(
        &mut out,
        "Timeline",
        &bundle["timeline"],
        &[
            ("at", "at"),
            ("account", "account"),
            ("case_id", "case"),
            ("what", "what"),
            ("outcome", "outcome"),
            ("notices", "notices"),
        ],
    );
    out.push_str("</body></html>\n");
    out
}

fn notes_of(cases: &Value) -> Value {
    let mut notes = Vec::new();
    for case in cases.as_array().map(Vec::as_slice).unwrap_or_default() {
        for note in case["notes"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let mut note = note.clone();
            note["case_id"] = case["case_id"].clone();
            notes.push(note);
        }
    }
    Value::Array(notes)
}

/// Each decision as a row, its features and model scores in a `<details>` beside it.
fn decisions(out: &mut String, decisions: &Value) {
    let rows = decisions.as_array().map(Vec::as_slice).unwrap_or_default();
    out.push_str(&format!("<h2>Risk decisions ({})</h2>\n", rows.len()));
    out.push_str("<table>\n<tr><th>at</th><th>account</th><th>checkpoint</th><th>outcome</th><th>reasons</th>\
                  <th>merchant</th><th>amount (fen)</th><th>device</th><th>IP</th><th>rules</th><th>features and scores</th></tr>\n");
    for d in rows {
        let cells = [
            "at",
            "account",
            "checkpoint",
            "outcome",
            "reasons",
            "merchant_id",
            "amount_fen",
            "device",
            "ip",
            "rules",
        ];
        out.push_str("<tr>");
        for key in cells {
            out.push_str(&format!("<td>{}</td>", escape(&text(&d[key]))));
        }
        let detail = serde_json::json!({"features": d["features"], "models": d["models"]});
        let pretty = serde_json::to_string_pretty(&detail).unwrap_or_default();
        out.push_str(&format!(
            "<td><details><summary>show</summary><pre><code>{}</code></pre></details></td></tr>\n",
            escape(&pretty)
        ));
    }
    out.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_is_escaped_and_the_page_fetches_nothing() {
        let bundle = serde_json::json!({
            "case_id": "7", "schema": "iou.evidence_bundle/1", "personal_data": "masked",
            "cases": [{"case_id": "7", "notes": [{"author": "ann", "text": "<script>alert('x')</script> & co"}]}],
            "accounts": [], "decisions": [{"reasons": ["<b>"], "features": {}, "models": {}}],
        });
        let page = page(&bundle);
        assert!(!page.contains("<script>") && !page.contains("<b>"));
        assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"));
        for fetch in ["src=", "href=", "url(", "@import"] {
            assert!(!page.contains(fetch), "{fetch}");
        }
        assert!(page.contains("Personal data masked"));
        let revealed = super::page(&serde_json::json!({"personal_data": "revealed"}));
        assert!(revealed.contains("PERSONAL DATA REVEALED"));
    }
}
