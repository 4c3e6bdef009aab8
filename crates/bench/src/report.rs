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

    /// Each measurement: its short name, its label in the table, its figures.
    fn measurements(&self) -> [(&'static str, &'static str, &Option<Figures>); 4] {
        let http = match self.http_protocol {
            Some(crate::http::Protocol::Http2) => "HTTP/2 on loopback",
            _ => "HTTP/1.1 on loopback",
        };
        [
            ("in-process", "in-process engine", &self.inprocess),
            ("HTTP", http, &self.http),
            ("baseline", "baseline (1 txn per auth)", &self.baseline),
            ("baseline over HTTP", "baseline over HTTP", &self.baseline_http),
        ]
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
        for (_, label, f) in self.measurements().into_iter().filter_map(present) {
            out.push_str(&format!(
                "{label:<28} {:>12.0} {:>9.3} {:>9.3} {:>9.3}\n",
                f.auth_per_s, f.p50_ms, f.p99_ms, f.max_ms
            ));
        }
        for (name, _, f) in self.measurements().into_iter().filter_map(present) {
            if let Some(cpu) = &f.cpu_per_auth {
                out.push_str(&format!("{name}: {}\n", cpu_text(cpu)));
            }
            if let Some(behind) = f.read_models_behind_ms {
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

/// A measured row, without the ones not run.
fn present<'a>((name, label, f): (&'a str, &'a str, &'a Option<Figures>)) -> Option<(&'a str, &'a str, &'a Figures)> {
    f.as_ref().map(|f| (name, label, f))
}

/// "12.5 us of CPU per authorization (iou-writer 4.1, ...)", the split left out when no thread
/// lived through the measurement.
fn cpu_text(cpu: &crate::cpu::CpuPerAuth) -> String {
    let parts: Vec<String> = cpu
        .by_thread_us
        .iter()
        .filter(|(_, us)| **us >= 0.05)
        .map(|(role, us)| format!("{role} {us:.1}"))
        .collect();
    let total = format!("{:.1} us of CPU per authorization", cpu.total_us);
    if parts.is_empty() {
        total
    } else {
        format!("{total} ({})", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::cpu::CpuPerAuth;
    use crate::{Latencies, Load};

    fn figures(auth: u64, cpu: Option<CpuPerAuth>) -> Figures {
        Figures {
            cpu_per_auth: cpu,
            ..Figures::new(Latencies(vec![1_000; 10]), 1.0, auth, 0, 0)
        }
    }

    #[test]
    fn the_text_has_a_row_a_measurement_and_the_like_for_like_ratio() {
        let load = Load {
            accounts: 10,
            in_flight: 4,
            seconds: 1.0,
            partitions: 2,
            writers: 1,
            protocol: crate::http::Protocol::Http1,
        };
        let threads = BTreeMap::from([("iou-writer".to_owned(), 4.04), ("idle".to_owned(), 0.01)]);
        let measured = Measured {
            http: Some(figures(
                30_000,
                Some(CpuPerAuth {
                    total_us: 60.0,
                    by_thread_us: threads,
                }),
            )),
            baseline: Some(figures(4_000, None)),
            baseline_http: Some(figures(
                3_000,
                Some(CpuPerAuth {
                    total_us: 300.0,
                    by_thread_us: BTreeMap::new(),
                }),
            )),
            ..Measured::default()
        };
        let report = Report::new(&load, measured);
        assert_eq!(report.ratio_http_vs_baseline, Some(7.5));
        assert_eq!(report.ratio_http_vs_baseline_http, Some(10.0));
        assert_eq!(report.ratio_inprocess_vs_baseline, None);
        let text = report.text();
        assert!(text.contains("HTTP/1.1 on loopback"), "{text}");
        assert!(!text.contains("in-process engine"), "{text}");
        assert!(
            text.contains("HTTP: 60.0 us of CPU per authorization (iou-writer 4.0)\n"),
            "{text}"
        );
        assert!(
            text.contains("baseline over HTTP: 300.0 us of CPU per authorization\n"),
            "{text}"
        );
        assert!(text.contains("HTTP / baseline over HTTP: 10.0x"), "{text}");
    }
}
