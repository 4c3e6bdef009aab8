//! The benchmark's report: text for people, one JSON object for scripts.

use serde::Serialize;

use crate::Figures;

#[derive(Debug, Serialize)]
pub struct Report {
    pub cores: usize,
    pub accounts: u64,
    pub in_flight: usize,
    pub partitions: u32,
    /// Writer threads the partitions ran on.
    pub writers: u32,
    pub inprocess: Option<Figures>,
    pub http: Option<Figures>,
    /// How the HTTP measurement's load generator spoke (present with `http`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_protocol: Option<crate::http::Protocol>,
    /// The plain service in-process: one SQLite transaction per authorization.
    pub baseline: Option<Figures>,
    /// The same plain service behind HTTP, driven by the same load generator as `http`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_http: Option<Figures>,
    pub ratio_inprocess_vs_baseline: Option<f64>,
    pub ratio_http_vs_baseline: Option<f64>,
    /// Like for like: iou over HTTP against the plain service over HTTP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio_http_vs_baseline_http: Option<f64>,
}

/// What one `iou bench` run measured.
#[derive(Debug, Default)]
pub struct Measured {
    pub inprocess: Option<Figures>,
    pub http: Option<Figures>,
    pub baseline: Option<Figures>,
    pub baseline_http: Option<Figures>,
}

/// `x` over `base`, to two decimals (none without both, or with a zero base).
fn ratio(x: &Option<Figures>, base: &Option<Figures>) -> Option<f64> {
    match (x, base) {
        (Some(x), Some(b)) if b.auth_per_s > 0.0 => Some((x.auth_per_s / b.auth_per_s * 100.0).round() / 100.0),
        _ => None,
    }
}

impl Report {
    pub fn new(load: &crate::Load, measured: Measured) -> Report {
        let Measured {
            inprocess,
            http,
            baseline,
            baseline_http,
        } = measured;
        Report {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            accounts: load.accounts,
            in_flight: load.in_flight,
            partitions: load.partitions,
            writers: load.writer_threads(),
            ratio_inprocess_vs_baseline: ratio(&inprocess, &baseline),
            ratio_http_vs_baseline: ratio(&http, &baseline),
            ratio_http_vs_baseline_http: ratio(&http, &baseline_http),
            http_protocol: http.as_ref().or(baseline_http.as_ref()).map(|_| load.protocol),
            inprocess,
            http,
            baseline,
            baseline_http,
        }
    }

    pub fn text(&self) -> String {
        let mut out = format!(
            "iou bench: {} cores, {} accounts, {} in flight, {} partitions on {} writer threads\n",
            self.cores, self.accounts, self.in_flight, self.partitions, self.writers
        );
        out.push_str(&format!(
            "{:<28} {:>12} {:>9} {:>9} {:>9}\n",
            "", "auth/s", "p50 ms", "p99 ms", "max ms"
        ));
        let http = match self.http_protocol {
            Some(crate::http::Protocol::Http2) => "HTTP/2 on loopback",
            _ => "HTTP/1.1 on loopback",
        };
        for (name, figures) in [
            ("in-process engine", &self.inprocess),
            (http, &self.http),
            ("baseline (1 txn per auth)", &self.baseline),
            ("baseline over HTTP", &self.baseline_http),
        ] {
            if let Some(f) = figures {
                out.push_str(&format!(
                    "{name:<28} {:>12.0} {:>9.3} {:>9.3} {:>9.3}\n",
                    f.auth_per_s, f.p50_ms, f.p99_ms, f.max_ms
                ));
            }
        }
        for (name, figures) in [
            ("in-process", &self.inprocess),
            ("HTTP", &self.http),
            ("baseline", &self.baseline),
            ("baseline over HTTP", &self.baseline_http),
        ] {
            if let Some(cpu) = figures.as_ref().and_then(|f| f.cpu_per_auth.as_ref()) {
                let parts: Vec<String> = cpu
                    .by_thread_us
                    .iter()
                    .filter(|(_, us)| **us >= 0.05)
                    .map(|(role, us)| format!("{role} {us:.1}"))
                    .collect();
                out.push_str(&format!(
                    "{name}: {:.1} us of CPU per authorization ({})\n",
                    cpu.total_us,
                    parts.join(", ")
                ));
            }
        }
        for (name, figures) in [("in-process", &self.inprocess), ("HTTP", &self.http)] {
            if let Some(behind) = figures.as_ref().and_then(|f| f.read_models_behind_ms) {
                out.push_str(&format!(
                    "{name}: the read models caught up {behind:.0} ms after the load\n"
                ));
            }
        }
        if let Some(r) = self.ratio_inprocess_vs_baseline {
            out.push_str(&format!("in-process / baseline: {r:.1}x\n"));
        }
        if let Some(r) = self.ratio_http_vs_baseline {
            out.push_str(&format!("HTTP / baseline: {r:.1}x\n"));
        }
        if let Some(r) = self.ratio_http_vs_baseline_http {
            out.push_str(&format!("HTTP / baseline over HTTP: {r:.1}x\n"));
        }
        out
    }
}
