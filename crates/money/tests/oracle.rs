//! Checks every repayment schedule and APR against the independent oracle in
//! `tests/data/schedules.json`, which numpy-financial and exact Python fractions generated from
//! the written rounding rules (scripts/oracle/schedules.py; see tests/data/README.md).

use money::schedule::{Method, PeriodRate, Schedule, Terms, format_apr};
use money::{Amount, Rate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;

const ORACLE: &str = include_str!("data/schedules.json");
/// The file holds about 300 cases; fewer means it was truncated or regenerated wrongly.
const CASES_MIN: usize = 300;
/// The largest accepted gap between our APR and numpy-financial's float.
const APR_TOLERANCE: f64 = 1e-6;

#[derive(Debug, Deserialize)]
struct OracleFile {
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
struct Case {
    method: String,
    principal: String,
    principal_fen: i64,
    periods_count: u32,
    rate_flag: String,
    rate: String,
    periods: Vec<OraclePeriod>,
    total_cost_fen: i64,
    apr: f64,
}

#[derive(Debug, PartialEq, Eq, Deserialize)]
struct OraclePeriod {
    n: u32,
    principal_fen: i64,
    fee_fen: i64,
    interest_fen: i64,
    payment_fen: i64,
}

impl Case {
    fn name(&self) -> String {
        format!(
            "{} {} yuan x {} at --{} {}",
            self.method, self.principal, self.periods_count, self.rate_flag, self.rate
        )
    }

    fn terms(&self) -> Terms {
        let principal = Amount::parse_yuan(&self.principal).expect("oracle principal parses");
        assert_eq!(
            principal.fen(),
            self.principal_fen,
            "{}: principal text and fen disagree",
            self.name()
        );
        let rate = Rate::parse(&self.rate).expect("oracle rate parses");
        let rate = match self.rate_flag.as_str() {
            "fee-rate" => PeriodRate::per_period(rate),
            "annual-rate" => PeriodRate::annual(rate),
            other => panic!("{}: unknown rate flag {other:?}", self.name()),
        };
        let method: Method = self.method.parse().expect("oracle method parses");
        Terms {
            method,
            principal,
            periods: self.periods_count,
            rate,
        }
    }

    /// Every way `schedule` differs from this case, as sentences.
    fn differences(&self, schedule: &Schedule) -> Vec<String> {
        let mut found = Vec::new();
        let ours: Vec<OraclePeriod> = schedule
            .periods
            .iter()
            .map(|p| OraclePeriod {
                n: p.n,
                principal_fen: p.principal.fen(),
                fee_fen: p.fee.fen(),
                interest_fen: p.interest.fen(),
                payment_fen: p.payment().fen(),
            })
            .collect();
        if ours.len() != self.periods.len() {
            found.push(format!("{} periods, oracle has {}", ours.len(), self.periods.len()));
        }
        for (ours, theirs) in ours.iter().zip(&self.periods) {
            if ours != theirs {
                found.push(format!("period {}: ours {ours:?}, oracle {theirs:?}", theirs.n));
            }
        }
        if schedule.total_cost().fen() != self.total_cost_fen {
            found.push(format!(
                "total cost {} fen, oracle {} fen",
                schedule.total_cost().fen(),
                self.total_cost_fen
            ));
        }
        found.extend(self.apr_differences(schedule.apr()));
        found
    }

    fn apr_differences(&self, apr: Decimal) -> Vec<String> {
        let formatted = format_apr(apr);
        let printed: f64 = formatted.parse().expect("format_apr prints a number");
        let exact = apr.to_f64().expect("an APR fits an f64");
        [("APR", exact, apr.to_string()), ("printed APR", printed, formatted)]
            .into_iter()
            .filter(|(_, value, _)| (value - self.apr).abs() > APR_TOLERANCE)
            .map(|(what, _, text)| format!("{what} {text}, oracle {}", self.apr))
            .collect()
    }
}

fn oracle_cases() -> Vec<Case> {
    let file: OracleFile = serde_json::from_str(ORACLE).expect("schedules.json is valid");
    assert!(file.cases.len() >= CASES_MIN, "only {} oracle cases", file.cases.len());
    file.cases
}

#[test]
fn schedules_match_the_numpy_financial_oracle() {
    let cases = oracle_cases();
    let mut failures = Vec::new();
    for case in &cases {
        match Schedule::build(case.terms()) {
            Ok(schedule) => failures.extend(
                case.differences(&schedule)
                    .into_iter()
                    .map(|d| format!("{}: {d}", case.name())),
            ),
            Err(err) => failures.push(format!("{}: rejected: {err}", case.name())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} oracle cases disagree:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    eprintln!("checked {} oracle schedules", cases.len());
}

#[test]
fn oracle_covers_every_method_and_both_rate_flags() {
    let cases = oracle_cases();
    for method in Method::ALL {
        for flag in ["fee-rate", "annual-rate"] {
            let count = cases
                .iter()
                .filter(|c| c.method == method.as_str() && c.rate_flag == flag)
                .count();
            assert!(count >= 40, "{method} with --{flag}: only {count} cases");
        }
    }
}
