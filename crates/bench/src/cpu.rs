//! CPU time spent by this process during a measurement, in total and by thread role, read from
//! Linux's `/proc/self/stat` and `/proc/self/task/*/stat` (user + system time): where a
//! measurement's CPU went (the server's runtime, the writers, the committer, the projector).
//! On a shared VM it moves with the neighbours much as the rate does (measured: 57 to 96 us per
//! HTTP authorization over one afternoon), so compare runs taken back to back. Elsewhere (no
//! `/proc`) the figures are absent.

use std::collections::BTreeMap;

/// Clock ticks per second of `/proc`'s time fields (`USER_HZ`, 100 on every Linux ABI).
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU time so far: the whole process (threads that exited included) and each live thread's
/// role (its name without a trailing number: `iou-writer-0` is `iou-writer`).
#[derive(Clone, Debug, Default)]
pub struct CpuSample {
    total_ticks: u64,
    by_thread: BTreeMap<u32, (String, u64)>,
}

/// The CPU one measurement spent per authorization, in microseconds.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CpuPerAuth {
    pub total_us: f64,
    /// By thread role (threads that lived through the whole measurement).
    pub by_thread_us: BTreeMap<String, f64>,
}

impl CpuSample {
    /// Now, or `None` without `/proc`.
    pub fn now() -> Option<CpuSample> {
        let total_ticks = ticks(&std::fs::read_to_string("/proc/self/stat").ok()?)?.1;
        let mut by_thread = BTreeMap::new();
        for entry in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
            let Some(tid) = entry.file_name().to_str().and_then(|t| t.parse::<u32>().ok()) else {
                continue;
            };
            if let Some((name, t)) = std::fs::read_to_string(entry.path().join("stat"))
                .ok()
                .and_then(|s| ticks(&s))
            {
                by_thread.insert(tid, (role(&name).to_owned(), t));
            }
        }
        Some(CpuSample { total_ticks, by_thread })
    }

    /// What was spent from `self` to `later`, per authorization of `auths`.
    pub fn per_auth(&self, later: &CpuSample, auths: u64) -> Option<CpuPerAuth> {
        if auths == 0 {
            return None;
        }
        let us = |ticks: u64| round2(ticks as f64 / TICKS_PER_SECOND * 1e6 / auths as f64);
        let mut by_role: BTreeMap<String, u64> = BTreeMap::new();
        for (tid, (name, after)) in &later.by_thread {
            if let Some((_, before)) = self.by_thread.get(tid) {
                *by_role.entry(name.clone()).or_default() += after.saturating_sub(*before);
            }
        }
        Some(CpuPerAuth {
            total_us: us(later.total_ticks.saturating_sub(self.total_ticks)),
            by_thread_us: by_role.into_iter().map(|(k, v)| (k, us(v))).collect(),
        })
    }
}

/// The thread name and its user + system ticks from one `stat` line. The name sits between
/// the first `(` and the last `)` and may hold spaces; `utime` and `stime` are the 12th and
/// 13th fields after it.
fn ticks(stat: &str) -> Option<(String, u64)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = stat.get(open + 1..close)?.to_owned();
    let mut fields = stat.get(close + 1..)?.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((name, utime + stime))
}

fn role(name: &str) -> &str {
    name.trim_end_matches(|c: char| c.is_ascii_digit())
        .trim_end_matches('-')
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_give_name_and_ticks() {
        // A real line's shape: pid (comm) state ppid ... utime stime ...
        let line = "4242 (iou-writer-0) S 1 4242 4242 0 -1 4194624 19 0 0 0 731 269 0 0 20 0 9 0";
        assert_eq!(ticks(line), Some(("iou-writer-0".to_owned(), 1000)));
        let spaced = "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0";
        assert_eq!(ticks(spaced), Some(("a (b) c".to_owned(), 11)));
        assert_eq!(ticks("7 (x) R 1"), None);
    }

    #[test]
    fn roles_drop_the_thread_number() {
        assert_eq!(role("iou-writer-12"), "iou-writer");
        assert_eq!(role("tokio-rt-worker"), "tokio-rt-worker");
        assert_eq!(role("iou-committer"), "iou-committer");
    }

    #[test]
    fn a_measurement_divides_by_its_authorizations() {
        let at = |total, writer| CpuSample {
            total_ticks: total,
            by_thread: BTreeMap::from([(1, ("iou-writer".to_owned(), writer)), (2, ("gone".to_owned(), 5))]),
        };
        let mut later = at(300, 150);
        later.by_thread.remove(&2);
        later.by_thread.insert(3, ("new".to_owned(), 40));
        let per = at(100, 50).per_auth(&later, 10_000).unwrap();
        // 200 ticks = 2 s over 10,000 authorizations = 200 us each.
        assert_eq!(per.total_us, 200.0);
        assert_eq!(per.by_thread_us, BTreeMap::from([("iou-writer".to_owned(), 100.0)]));
        assert!(at(0, 0).per_auth(&later, 0).is_none());
    }
}
