//! [`Figures`]: what a run measured, in integers (fen, counts, parts per million) except the
//! throughput. Serialized as the `--json` object and drawn by the report.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Who was behind one payment decision, as only the simulator knows: the decision is found in
/// the journal by its customer, its checkpoint time and its amount (a retry after a step-up is
/// another decision, at another time).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroundTruth {
    pub user: u64,
    /// The decision input's `at` (milliseconds since the epoch).
    pub at_ms: i64,
    pub amount_fen: i64,
    pub fraud: bool,
}

/// Every figure of a run. Two runs of one seed and configuration give equal figures except
/// for [`Throughput`], which measures the machine (see [`Figures::deterministic`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Every payment decision's ground truth, in answer order (not in the `--json` object;
    /// `iou simulate --ground-truth FILE` writes it for `scripts/train/train_fraud.py`).
    #[serde(skip)]
    pub ground_truth: Vec<GroundTruth>,
    pub seed: u64,
    pub users: u32,
    pub merchants: u32,
    pub days: u32,
    pub start: String,
    /// The flags besides those above that change the figures, for the replay command:
    /// `--wave-seconds`, `--theft-reports` and `--partitions`.
    #[serde(default)]
    pub wave_seconds: u32,
    #[serde(default)]
    pub theft_reports: u32,
    #[serde(default)]
    pub partitions: u32,
    /// Fraud loss attempted, by ground truth: every fraudulent order's amount (the lines a
    /// fraudulent applicant asked for and was refused are apart: `AttackFigures::lines_refused_fen`).
    pub fraud_loss_attempted_fen: i64,
    /// Of it, stopped: declined, challenged and failed, intercepted before delivery.
    pub fraud_loss_stopped_fen: i64,
    /// Of it, captured: money that left to merchants on fraud.
    pub fraud_loss_lost_fen: i64,
    pub fraud_stopped_ppm: i64,
    /// Genuine payment attempts (a retry after a step-up is the same attempt).
    pub good_payments: u64,
    /// Of them, challenged or declined by risk control at the first try.
    pub good_payments_challenged_or_declined: u64,
    pub good_payments_friction_ppm: i64,
    pub auditor_mismatches: u64,
    pub auditor_checks: u64,
    /// Statements the auditor checked to add up on their face (every one the run closed and
    /// found still kept).
    #[serde(default)]
    pub auditor_statements_checked: u64,
    pub ops_per_s: f64,
    pub applications: Applications,
    pub limits: Limits,
    pub payments: Payments,
    pub installments: Vec<TermMix>,
    pub statements: Statements,
    pub delinquency: Delinquency,
    pub losses: Losses,
    /// Collections (COLLECTIONS.md): the strategy's actions, promises, hardship plans,
    /// recoveries.
    pub collections: Collections,
    /// Vintages, roll-rate matrix, calibration, rule hits, net yield (computed by `crate::analytics`).
    #[serde(default)]
    pub analytics: Analytics,
    /// The credit-bureau file of each month end the run passed (REPORTING.md).
    #[serde(default)]
    pub bureau: Vec<BureauMonth>,
    pub fraud: Vec<AttackFigures>,
    /// The operators' queues: what went through them and what the run left open.
    pub queues: Queues,
    pub daily: Vec<DayFigures>,
    pub throughput: Throughput,
    /// Merchant settlement over the run (in-process runs; `None` over HTTP, which has no
    /// settlement route yet).
    #[serde(default)]
    pub settlement: Option<crate::settlement::SettlementFigures>,
    /// Customer notifications over the run (in-process runs; `None` over HTTP, where the
    /// server's own consumer sends them: `GET /v1/customers/{id}/notifications`).
    #[serde(default)]
    pub notifications: Option<crate::notifications::NotificationFigures>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applications {
    pub total: u64,
    pub approved: u64,
    pub declined: u64,
    /// `outcome:REASON` (e.g. `deny:CREDIT_PD_HIGH`, `review:DEVICE_FARM`) to count.
    pub declines_by_reason: BTreeMap<String, u64>,
    /// Genuine applicants declined (the cost of the gate to good customers).
    pub genuine_declined: u64,
    pub fraudulent: u64,
    pub fraudulent_approved: u64,
}

/// The operators' queues. Theft reports open cases that the fraud team confirms a few days
/// later; the reports of the run's last days are still open at the end, as are interceptions
/// and applications in review nobody decided yet: what an operator opening the console after
/// the run finds waiting.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queues {
    /// Theft reports (each opened a case and froze the line).
    pub theft_reported: u64,
    /// Theft cases an operator confirmed (their transactions exempted).
    pub theft_confirmed: u64,
    /// Theft cases an operator rejected (the customer had made the purchase).
    pub theft_rejected: u64,
    /// Confirmations the engine refused (the exemption failed; the case stayed open).
    pub theft_refused: u64,
    /// Open at the end, as the system lists them (`GET /v1/cases`).
    pub open_theft_cases: u64,
    pub open_interception_cases: u64,
    /// Payments risk decided `review`, held by the engine for the payment-review desk.
    #[serde(default)]
    pub payments_held: u64,
    /// Held payments an analyst released (the merchant then captured or shipped them).
    #[serde(default)]
    pub held_released: u64,
    /// Held payments an analyst declined (the engine voided their holds).
    #[serde(default)]
    pub held_declined: u64,
    /// Held payments nobody decided within the review timeout (declined at a daily advance).
    #[serde(default)]
    pub held_expired: u64,
    /// Held payments open at the end, as the system lists them
    /// (`GET /v1/cases?queue=payment_review&status=open`).
    #[serde(default)]
    pub open_payment_reviews: u64,
    /// Temporary-limit requests left for a credit officer on the run's last evening (over the
    /// application route's server only).
    #[serde(default)]
    pub limit_requests_pending: u64,
    /// Theft-case confirmations proposed on the last evening, waiting for a second operator.
    #[serde(default)]
    pub confirmations_proposed: u64,
    /// The applicant stream through the application route and the analysts' review queue.
    pub applications: ApplicationQueue,
}

/// Applicants who apply through the public application route (`POST /v1/applications`), a
/// stream of their own beside the workload's shoppers (who onboard through engine requests):
/// what the route decided, what analysts decided of the reviews a day or two later, and what
/// the run left in review. All zero when the driver does not reach the route (an in-process
/// run without a server).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationQueue {
    pub applied: u64,
    /// Approved at once (`201`).
    pub approved: u64,
    /// Sent to review (`202`).
    pub review: u64,
    /// Declined at once, by `REASON` (the first code of each decline).
    pub declined: u64,
    pub declines_by_reason: BTreeMap<String, u64>,
    /// Asked for a step-up (the applicant gave up).
    pub challenged: u64,
    /// Answered `429` or `503`: nothing decided.
    pub not_decided: u64,
    /// Reviews an analyst approved (the line opened then).
    pub review_approved: u64,
    pub review_declined: u64,
    /// Decisions the server refused (e.g. the line could not open).
    pub review_refused: u64,
    /// In review at the end, as the system lists them (`GET /v1/applications?status=review`).
    pub left_in_review: u64,
}

/// A histogram bin.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bin {
    pub label: String,
    pub count: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub approved_total_fen: i64,
    pub approved_mean_fen: i64,
    pub histogram: Vec<Bin>,
    /// Principal owed over limit at the end of the run, open lines with a limit.
    pub utilization_mean_ppm: i64,
    pub utilization_histogram: Vec<Bin>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payments {
    pub attempts: u64,
    pub approved: u64,
    pub declined_by_risk: u64,
    pub challenged: u64,
    pub challenges_passed: u64,
    pub declined_by_credit: u64,
    pub reviewed: u64,
    pub captured: u64,
    pub captured_fen: i64,
    pub refunded_fen: i64,
    pub voided: u64,
    pub expired: u64,
    pub good_payments_challenged: u64,
    pub good_payments_declined: u64,
    pub good_payments_declined_by_credit: u64,
    /// Genuine customers who failed the step-up and gave up.
    pub good_payments_abandoned: u64,
    pub offline: u64,
    pub online: u64,
    /// Why good payments were challenged or declined: the first reason code of each.
    pub good_friction_reasons: BTreeMap<String, u64>,
    /// Genuine orders the delivery checkpoint held (review or deny) before shipping: friction
    /// apart from the payment's.
    #[serde(default)]
    pub good_delivery_holds: u64,
    /// Genuine payments the rules decided `review`: held for an analyst (who releases them in
    /// the workload) before the merchant may capture; a delay, apart from friction.
    #[serde(default)]
    pub good_reviewed: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermMix {
    /// `pay_later` or `3`, `6`, `12`, `24` periods.
    pub term: String,
    pub count: u64,
    pub amount_fen: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statements {
    pub closed: u64,
    pub nothing_due: u64,
    pub paid_in_full: u64,
    /// At least the minimum, not the whole balance, by the due date.
    pub minimum_or_more: u64,
    /// Less than the minimum by the due date.
    pub overdue: u64,
    /// Due after the run ended.
    pub not_yet_due: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roll {
    pub from: String,
    pub to: String,
    pub from_accounts: u64,
    pub to_accounts: u64,
    pub ppm: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delinquency {
    /// Accounts that reached each bucket at least once.
    pub entered: BTreeMap<String, u64>,
    pub rolls: Vec<Roll>,
    /// Accounts in each bucket at the end.
    pub at_end: BTreeMap<String, u64>,
}

/// What collections did over the run: the strategy's action per account-day in collections,
/// what the simulated collectors and customers made of them, and money recovered after
/// charge-off.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collections {
    pub reminders: u64,
    pub call_tasks: u64,
    pub hardship_offers: u64,
    /// Account-days in collections the strategy left alone (a promise open, nothing due).
    pub no_action: u64,
    pub calls_reached: u64,
    pub promises_made: u64,
    pub promises_kept: u64,
    pub promises_broken: u64,
    /// Hardship offers accepted and applied (the `HardshipPlan` command).
    pub hardship_plans: u64,
    /// Paid by customers on their promises and hardship cures.
    pub promised_paid_fen: i64,
    /// Repayments after charge-off (`Repaid { recovery: true }`), and what they brought.
    pub recoveries: u64,
    pub recoveries_fen: i64,
    /// The ledger's recoveries account at the end (equals `recoveries_fen` plus refunds of
    /// billed amounts after charge-off).
    pub recoveries_ledger_fen: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Losses {
    pub captured_fen: i64,
    pub charged_off_fen: i64,
    pub charged_off_accounts: u64,
    /// The ledger's fraud loss: principal of confirmed unauthorized use, restated away.
    pub fraud_loss_booked_fen: i64,
    /// Principal owed at the end, and the part of it 30+ days past due.
    pub receivables_end_fen: i64,
    pub receivables_30_plus_fen: i64,
    /// (charge-offs + fraud lost) / captured.
    pub loss_rate_ppm: i64,
    pub fee_income_fen: i64,
    pub interest_income_fen: i64,
    pub penalty_income_fen: i64,
}

/// One month's credit-bureau file as the run produced it on the month's last day: its
/// trailer's figures and its records per account status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BureauMonth {
    /// `YYYY-MM`.
    pub month: String,
    pub records: u64,
    /// Records per account status: `current`, `late_30`, `late_60`, `late_90`, `late_180`,
    /// `charged_off` (every status, zeros included).
    pub by_status: BTreeMap<String, u64>,
    /// Records with the special comment `FE` (theft confirmed, transactions exempted).
    pub fraud_exempt: u64,
    pub current_balance_fen: i64,
    pub past_due_fen: i64,
    pub charge_off_fen: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttackFigures {
    /// `account_takeover`, `device_farm`, `cash_out_ring`.
    pub kind: String,
    pub attacks: u64,
    /// Payment attempts.
    pub attempts: u64,
    /// Fraudulent applications (farms, rings) declined at onboarding, and the lines they asked
    /// for: not in the attempted or stopped loss (a refused line moves no money).
    #[serde(default)]
    pub applications_declined: u64,
    #[serde(default)]
    pub lines_refused_fen: i64,
    pub attempted_fen: i64,
    pub stopped_declined_fen: i64,
    pub stopped_challenged_fen: i64,
    pub stopped_intercepted_fen: i64,
    /// Declined by the credit line itself (limit, freeze after a theft report).
    pub stopped_by_line_fen: i64,
    pub lost_fen: i64,
    /// Of the lost, restated away after the victim's theft report (booked as fraud loss).
    pub exempted_fen: i64,
    pub stopped_ppm: i64,
}

impl AttackFigures {
    pub fn stopped_fen(&self) -> i64 {
        self.stopped_declined_fen
            + self.stopped_challenged_fen
            + self.stopped_intercepted_fen
            + self.stopped_by_line_fen
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayFigures {
    pub day: u32,
    pub date: String,
    pub payments: u64,
    pub captured_fen: i64,
    pub repaid_fen: i64,
    pub receivables_fen: i64,
    pub fraud_attempted_fen: i64,
    pub fraud_lost_fen: i64,
    pub statements: u64,
    pub delinquent_accounts: u64,
}

/// The portfolio analytics of the report (`crate::analytics` computes them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Analytics {
    pub vintages: Vec<Vintage>,
    pub roll_matrix: Vec<RollCell>,
    pub calibration: Vec<ScoreBand>,
    pub rule_hits: Vec<RuleHits>,
    pub net_yield: NetYield,
}

/// Applicants scored in a band: how many were approved, and of the approved, how many were
/// later late (M1+) and how many reached 30+ days past due (M2 or worse).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreBand {
    /// `<500`, `500-549`, ... `700+`.
    pub band: String,
    pub applicants: u64,
    pub approved: u64,
    pub approved_ppm: i64,
    pub late: u64,
    pub late_ppm: i64,
    pub bad: u64,
    pub bad_ppm: i64,
    /// The scorecard's mean probability of default of the band's applicants.
    pub mean_pd_ppm: i64,
}

/// A reason code returned on payments' first attempts, by who was paying.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleHits {
    pub reason: String,
    pub fraud: u64,
    pub genuine: u64,
    /// fraud / (fraud + genuine).
    pub precision_ppm: i64,
}

/// What the book earned and lost over the run, and the annualised net yield on the average
/// principal owed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetYield {
    /// Fee, interest and penalty income booked.
    pub income_fen: i64,
    pub charged_off_fen: i64,
    pub fraud_loss_fen: i64,
    /// Income less charge-offs and fraud loss.
    pub net_fen: i64,
    /// The mean of the daily principal owed.
    pub average_receivables_fen: i64,
    pub days: u32,
    /// `net / average receivables * 365 / days`, in parts per million.
    pub net_yield_ppm: i64,
    /// `(charge-offs + fraud loss) / average receivables * 365 / days`.
    pub loss_rate_ppm: i64,
}

/// How fast the run went: the only figures that depend on the machine.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    pub requests: u64,
    pub wall_s: f64,
    pub ops_per_s: f64,
    pub driver: String,
}

pub use credit::portfolio::{RollCell, Vintage, ppm};

/// `ppm` as a percentage with two decimals, e.g. `"95.31%"`.
pub fn percent(ppm: i64) -> String {
    format!("{}.{:02}%", ppm / 10_000, (ppm % 10_000).abs() / 100)
}

impl Figures {
    /// The command that runs this simulation again with the same figures: every flag that
    /// changes them (the attack rates have no flag; a run with other rates says so).
    pub fn replay_command(&self) -> String {
        format!(
            "iou simulate --seed {} --users {} --merchants {} --days {} --start {} --wave-seconds {} --theft-reports {} --partitions {}",
            self.seed,
            self.users,
            self.merchants,
            self.days,
            self.start,
            self.wave_seconds,
            self.theft_reports,
            self.partitions
        )
    }

    /// The figures without the machine-dependent throughput: what a seed must reproduce.
    pub fn deterministic(&self) -> Figures {
        Figures {
            ops_per_s: 0.0,
            throughput: Throughput::default(),
            ground_truth: Vec::new(),
            ..self.clone()
        }
    }

    /// Totals over the attacks, filling the headline fields.
    pub fn total_fraud(&mut self) {
        for attack in &mut self.fraud {
            attack.stopped_ppm = ppm(attack.stopped_fen(), attack.attempted_fen);
        }
        self.fraud_loss_attempted_fen = self.fraud.iter().map(|a| a.attempted_fen).sum();
        self.fraud_loss_stopped_fen = self.fraud.iter().map(AttackFigures::stopped_fen).sum();
        self.fraud_loss_lost_fen = self.fraud.iter().map(|a| a.lost_fen).sum();
        self.fraud_stopped_ppm = ppm(self.fraud_loss_stopped_fen, self.fraud_loss_attempted_fen);
        self.good_payments_friction_ppm = ppm(
            i64::try_from(self.good_payments_challenged_or_declined).unwrap_or(i64::MAX),
            i64::try_from(self.good_payments).unwrap_or(i64::MAX),
        );
    }
}
