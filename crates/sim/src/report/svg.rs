//! Charts drawn as inline SVG: horizontal bars, stacked bars and lines. No script, no fonts to
//! fetch: the page they go in opens offline.

use std::fmt::Write;

use super::escape;

const WIDTH: f64 = 720.0;
const LABEL: f64 = 230.0;
const ROW: f64 = 22.0;

/// A palette that reads on white and in grey.
pub const COLORS: [&str; 6] = ["#2f6fb0", "#e08a2c", "#3a9a5b", "#b8403a", "#7c5bb5", "#8a8a8a"];

/// Horizontal bars, one per item, with the value printed by `show`.
pub fn bars(items: &[(String, f64)], show: impl Fn(f64) -> String) -> String {
    let max = items.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max).max(1e-9);
    let height = ROW * items.len() as f64 + 8.0;
    let mut svg = open(height);
    for (i, (label, value)) in items.iter().enumerate() {
        let y = 4.0 + ROW * i as f64;
        let w = (WIDTH - LABEL - 90.0) * value / max;
        let _ = write!(
            svg,
            r#"<text x="{lx}" y="{ty}" text-anchor="end">{label}</text><rect x="{LABEL}" y="{y}" width="{w:.1}" height="{h}" fill="{c}"/><text x="{vx:.1}" y="{ty}">{v}</text>"#,
            lx = LABEL - 6.0,
            ty = y + 14.0,
            label = escape(label),
            h = ROW - 6.0,
            c = COLORS[0],
            vx = LABEL + w + 5.0,
            v = escape(&show(*value)),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One stacked bar per row; `legend` names the segments in order.
pub fn stacked(rows: &[(String, Vec<f64>)], legend: &[&str], show: impl Fn(f64) -> String) -> String {
    let max = rows
        .iter()
        .map(|(_, v)| v.iter().sum::<f64>())
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    let height = ROW * rows.len() as f64 + 30.0;
    let mut svg = open(height);
    for (i, (label, values)) in rows.iter().enumerate() {
        let y = 4.0 + ROW * i as f64;
        let mut x = LABEL;
        let _ = write!(
            svg,
            r#"<text x="{lx}" y="{ty}" text-anchor="end">{label}</text>"#,
            lx = LABEL - 6.0,
            ty = y + 14.0,
            label = escape(label)
        );
        for (k, value) in values.iter().enumerate() {
            let w = (WIDTH - LABEL - 90.0) * value / max;
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{y}" width="{w:.1}" height="{h}" fill="{c}"><title>{name}: {v}</title></rect>"#,
                h = ROW - 6.0,
                c = COLORS[k % COLORS.len()],
                name = escape(legend.get(k).copied().unwrap_or("")),
                v = escape(&show(*value)),
            );
            x += w;
        }
        let total: f64 = values.iter().sum();
        let _ = write!(
            svg,
            r#"<text x="{vx:.1}" y="{ty}">{v}</text>"#,
            vx = x + 5.0,
            ty = y + 14.0,
            v = escape(&show(total))
        );
    }
    let mut x = 10.0;
    let y = height - 10.0;
    for (k, name) in legend.iter().enumerate() {
        let _ = write!(
            svg,
            r#"<rect x="{x:.1}" y="{ry}" width="10" height="10" fill="{c}"/><text x="{tx:.1}" y="{y}">{n}</text>"#,
            ry = y - 9.0,
            c = COLORS[k % COLORS.len()],
            tx = x + 14.0,
            n = escape(name)
        );
        x += 14.0 + 6.5 * name.len() as f64 + 14.0;
    }
    svg.push_str("</svg>");
    svg
}

/// Horizontal grid lines (and y-axis labels) drawn on a line chart: 0, a quarter, ... the top.
pub const Y_TICKS: usize = 5;
/// At most this many x-axis labels (dates), evenly spaced, the first and the last included.
pub const X_TICKS_MAX: usize = 7;

/// Lines over days; each series is named and drawn on the same scale. `labels` names each
/// point (its date); a grid of [`Y_TICKS`] values and up to [`X_TICKS_MAX`] dates is drawn.
pub fn lines(series: &[(&str, Vec<f64>)], labels: &[String], show: impl Fn(f64) -> String) -> String {
    let height = 220.0;
    let (left, right, top, bottom) = (70.0, WIDTH - 30.0, 10.0, height - 50.0);
    let n = series.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
    let max = series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    let mut svg = open(height);
    for k in 0..Y_TICKS {
        let share = k as f64 / (Y_TICKS - 1) as f64;
        let y = bottom - (bottom - top) * share;
        let _ = write!(
            svg,
            r##"<line class="grid" x1="{left}" y1="{y:.1}" x2="{right}" y2="{y:.1}" stroke="{c}"/><text x="{lx}" y="{ty:.1}" text-anchor="end">{v}</text>"##,
            c = if k == 0 { "#999" } else { "#e3e3e3" },
            lx = left - 4.0,
            ty = y + 4.0,
            v = escape(&show(max * share)),
        );
    }
    let _ = write!(
        svg,
        r##"<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#999"/>"##
    );
    let step = if n > 1 { (right - left) / (n - 1) as f64 } else { 0.0 };
    for i in x_ticks(n.min(labels.len())) {
        let x = left + step * i as f64;
        let _ = write!(
            svg,
            r##"<line class="grid" x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{bottom}" stroke="#f0f0f0"/><text x="{x:.1}" y="{dy}" text-anchor="middle">{d}</text>"##,
            dy = bottom + 16.0,
            d = escape(&labels[i]),
        );
    }
    for (k, (name, values)) in series.iter().enumerate() {
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", left + step * i as f64, bottom - (bottom - top) * v / max))
            .collect();
        let _ = write!(
            svg,
            r#"<polyline fill="none" stroke="{c}" stroke-width="1.8" points="{p}"/><rect x="{rx:.1}" y="{ry}" width="10" height="10" fill="{c}"/><text x="{tx:.1}" y="{ty2}">{n}</text>"#,
            c = COLORS[k % COLORS.len()],
            p = points.join(" "),
            rx = left + 150.0 * k as f64,
            ry = height - 17.0,
            tx = left + 150.0 * k as f64 + 14.0,
            ty2 = height - 8.0,
            n = escape(name),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The points of `n` that get an x label: evenly spaced, the first and the last always.
pub fn x_ticks(n: usize) -> Vec<usize> {
    match n {
        0 => Vec::new(),
        1 => vec![0],
        _ => {
            let ticks = n.min(X_TICKS_MAX);
            let mut at: Vec<usize> = (0..ticks).map(|k| k * (n - 1) / (ticks - 1)).collect();
            at.dedup();
            at
        }
    }
}

fn open(height: f64) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0}" viewBox="0 0 {WIDTH} {height:.0}" font-family="sans-serif" font-size="12">"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_chart_has_a_grid_and_more_than_two_labels_on_each_axis() {
        let labels: Vec<String> = (1..=30).map(|d| format!("2026-03-{d:02}")).collect();
        let values: Vec<f64> = (0..30).map(|i| f64::from(i) * 10.0).collect();
        let svg = lines(&[("x", values)], &labels, |v| format!("{v:.0}"));
        assert_eq!(svg.matches(r#"class="grid""#).count(), Y_TICKS + X_TICKS_MAX);
        for y in ["0", "72", "145", "218", "290"] {
            assert!(svg.contains(&format!(">{y}</text>")), "y label {y}: {svg}");
        }
        for d in ["2026-03-01", "2026-03-05", "2026-03-30"] {
            assert!(svg.contains(&format!(">{d}</text>")), "x label {d}");
        }
    }

    #[test]
    fn x_ticks_are_even_and_keep_both_ends() {
        assert_eq!(x_ticks(0), Vec::<usize>::new());
        assert_eq!(x_ticks(1), vec![0]);
        assert_eq!(x_ticks(3), vec![0, 1, 2]);
        assert_eq!(x_ticks(31), vec![0, 5, 10, 15, 20, 25, 30]);
        assert_eq!(x_ticks(90), vec![0, 14, 29, 44, 59, 74, 89]);
    }
}
