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
