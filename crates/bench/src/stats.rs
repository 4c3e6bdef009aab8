//! Latency samples and the figures made from them.

use serde::Serialize;

/// Per-request latencies in microseconds.
#[derive(Debug, Default)]
pub struct Latencies(pub Vec<u32>);

impl Latencies {
    pub fn record(&mut self, elapsed: std::time::Duration) {
        self.0.push(u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX));
    }

    pub fn merge(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }
}

/// What one measurement found.
#[derive(Clone, Debug, Serialize)]
pub struct Figures {
    pub auth_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub approved: u64,
    pub declined: u64,
    pub busy: u64,
    pub seconds: f64,
    /// How long after the load the read models (the projector's `read.db`) had caught up with
    /// the journal: what the measured rate leaves for the projector to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_models_behind_ms: Option<f64>,
    /// CPU this process spent per authorization during the measurement, by thread role (Linux
    /// only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_per_auth: Option<crate::cpu::CpuPerAuth>,
}

impl Figures {
    pub fn new(mut latencies: Latencies, seconds: f64, approved: u64, declined: u64, busy: u64) -> Figures {
        latencies.0.sort_unstable();
        let at = |q: f64| -> f64 {
            if latencies.0.is_empty() {
                return 0.0;
            }
            let i = ((latencies.0.len() - 1) as f64 * q).round() as usize;
            f64::from(latencies.0[i]) / 1000.0
        };
        let done = approved + declined;
        Figures {
            auth_per_s: round2(done as f64 / seconds),
            p50_ms: round3(at(0.50)),
            p99_ms: round3(at(0.99)),
            max_ms: round3(at(1.0)),
            approved,
            declined,
            busy,
            seconds: round2(seconds),
            read_models_behind_ms: None,
            cpu_per_auth: None,
        }
    }

    /// These figures with the CPU spent since `before` (taken when the measurement began).
    pub fn with_cpu_since(self, before: Option<crate::cpu::CpuSample>) -> Figures {
        let auths = self.approved + self.declined;
        let cpu_per_auth = before
            .zip(crate::cpu::CpuSample::now())
            .and_then(|(b, a)| b.per_auth(&a, auths));
        Figures { cpu_per_auth, ..self }
    }

    /// These figures with how long the read models took to catch up after the load.
    pub fn with_read_models_behind(self, behind: std::time::Duration) -> Figures {
        Figures {
            read_models_behind_ms: Some(round3(behind.as_secs_f64() * 1000.0)),
            ..self
        }
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
