//! [`Casework`]: who works a case and what they wrote: the queue a case sits in, its assignee,
//! notes, links to other cases (one ring, many cases) and attachments; and each queue's members,
//! capacity and service level (SLA). The engine owns a case's facts and its resolution; this is
//! the team's work on it, kept API-side in the meta table: `casework:<case>` (one JSON record per
//! case, written before the answer), `case_file:<case>:<n>` (an attachment's bytes, base64) and
//! `case_queue:<name>` (a queue's settings). Records are loaded at start.
//!
//! Assignment: an operator **claims** an unassigned case of a queue they are a member of (a
//! queue without members is open to anyone who may resolve cases); a supervisor **assigns** one
//! to a member with a reason; the sweeper **auto-assigns** each queue's unassigned open cases,
//! oldest first, to the member with the fewest open cases below the queue's capacity
//! ([`plan_assignments`]). Each is in the audit log.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use crate::meta::Meta;

pub const WORK_PREFIX: &str = "casework:";
pub const QUEUE_PREFIX: &str = "case_queue:";
pub const FILE_PREFIX: &str = "case_file:";
/// Limits: a note's length, notes and attachments per case, an attachment's size.
pub const NOTE_CHARS_MAX: usize = 2_000;
pub const NOTES_MAX: usize = 200;
pub const ATTACHMENTS_MAX: usize = 10;
/// An attachment travels base64 in one JSON body (at most 64 KiB: `http::call::BODY_MAX_BYTES`).
pub const ATTACHMENT_BYTES_MAX: usize = 46 * 1024;
pub const LINKS_MAX: usize = 50;

/// How long the team's work on a resolved case (assignment, notes, links, attachments) is kept
/// after the resolution: a year, long enough for a chargeback, a customer's complaint or a
/// ring found later. Then the sweeper deletes it (`http::routes::casework::prune_work`); the
/// case itself (the engine's), its decision and the audit log's record of every claim, note and
/// assignment stay.
pub const WORK_RETENTION_DAYS: i64 = 365;

/// Whether the work on a case resolved at `resolved_at_us` is past retention at `now_us`.
pub fn past_retention(resolved_at_us: i64, now_us: i64) -> bool {
    now_us.saturating_sub(resolved_at_us) > WORK_RETENTION_DAYS * 86_400 * 1_000_000
}

/// The queues cases sit in: by the case's kind.
pub const QUEUES: [&str; 3] = ["theft", "interception", "payment_review"];

pub fn queue_of(kind: engine::CaseKind) -> &'static str {
    match kind {
        engine::CaseKind::Theft => "theft",
        engine::CaseKind::Interception => "interception",
        engine::CaseKind::PaymentReview => "payment_review",
    }
}

/// A queue's settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    pub name: String,
    /// Operator ids; empty: anyone who may resolve cases claims, and nothing is auto-assigned.
    pub members: Vec<u64>,
    /// The most open cases one member holds (auto-assignment stops there).
    pub capacity: u32,
    /// How long a case may wait for its resolution.
    pub sla_minutes: u32,
}

impl QueueConfig {
    /// The defaults: an interception holds a customer's order, so it is answered within hours;
    /// a held payment (its merchant waits to ship, and the review timeout declines it after
    /// 24 h) within two hours; a theft report within a day.
    pub fn default_for(name: &str) -> QueueConfig {
        let sla_minutes = match name {
            "interception" => 4 * 60,
            "payment_review" => 2 * 60,
            _ => 24 * 60,
        };
        QueueConfig {
            name: name.to_owned(),
            members: Vec::new(),
            capacity: 20,
            sla_minutes,
        }
    }
}

/// A note an operator wrote on a case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Note {
    pub author: String,
    pub at_us: i64,
    pub text: String,
}

/// An attachment's description (its bytes are kept apart).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    pub n: u32,
    pub name: String,
    pub media_type: String,
    pub bytes: usize,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    pub author: String,
    pub at_us: i64,
}

/// The team's work on one case.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Work {
    pub case: u64,
    pub assignee: Option<u64>,
    pub assignee_name: Option<String>,
    pub assigned_at_us: Option<i64>,
    /// Who assigned it (`claim` by the assignee, a supervisor's name, `auto`), and why.
    pub assigned_by: Option<String>,
    pub reason: Option<String>,
    pub notes: Vec<Note>,
    pub links: Vec<u64>,
    pub attachments: Vec<Attachment>,
}

/// An open case as assignment sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenCase {
    pub case: u64,
    pub opened_at_us: i64,
    pub assignee: Option<u64>,
}

/// Which unassigned open cases go to whom: oldest first, each to the member holding the fewest
/// open cases (the lowest id on a tie), never past `capacity`. Pure: the sweeper applies it.
pub fn plan_assignments(config: &QueueConfig, open: &[OpenCase]) -> Vec<(u64, u64)> {
    if config.members.is_empty() {
        return Vec::new();
    }
    let mut load: BTreeMap<u64, u32> = config.members.iter().map(|m| (*m, 0)).collect();
    for case in open {
        if let Some(held) = case.assignee.and_then(|a| load.get_mut(&a)) {
            *held += 1;
        }
    }
    let mut waiting: Vec<&OpenCase> = open.iter().filter(|c| c.assignee.is_none()).collect();
    waiting.sort_by_key(|c| (c.opened_at_us, c.case));
    let mut plan = Vec::new();
    for case in waiting {
        let Some((member, held)) = load
            .iter_mut()
            .filter(|(_, held)| **held < config.capacity)
            .min_by_key(|(member, held)| (**held, **member))
        else {
            break;
        };
        *held += 1;
        plan.push((case.case, *member));
    }
    plan
}

/// Every case's work and every queue's settings, in memory, written through to the meta table.
#[derive(Debug)]
pub struct Casework {
    works: Mutex<BTreeMap<u64, Work>>,
    queues: Mutex<BTreeMap<String, QueueConfig>>,
    /// Changes run one at a time (rare; each reads what the previous wrote).
    pub write: tokio::sync::Mutex<()>,
}

impl Casework {
    /// Loads every record (blocking; at start only).
    pub fn load(meta: &Meta) -> Result<Casework, String> {
        let mut works = BTreeMap::new();
        for (_, text) in meta.with_prefix_blocking(WORK_PREFIX).map_err(|e| e.to_string())? {
            let work: Work = serde_json::from_str(&text).map_err(|e| format!("casework record: {e}"))?;
            works.insert(work.case, work);
        }
        let mut queues: BTreeMap<String, QueueConfig> = QUEUES
            .iter()
            .map(|q| (q.to_string(), QueueConfig::default_for(q)))
            .collect();
        for (_, text) in meta.with_prefix_blocking(QUEUE_PREFIX).map_err(|e| e.to_string())? {
            let queue: QueueConfig = serde_json::from_str(&text).map_err(|e| format!("case queue record: {e}"))?;
            queues.insert(queue.name.clone(), queue);
        }
        Ok(Casework {
            works: Mutex::new(works),
            queues: Mutex::new(queues),
            write: tokio::sync::Mutex::new(()),
        })
    }

    fn works(&self) -> MutexGuard<'_, BTreeMap<u64, Work>> {
        self.works.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn queues_locked(&self) -> MutexGuard<'_, BTreeMap<String, QueueConfig>> {
        self.queues.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A case's work (empty when nobody touched it).
    pub fn work(&self, case: u64) -> Work {
        self.works().get(&case).cloned().unwrap_or(Work {
            case,
            ..Work::default()
        })
    }

    pub fn queue(&self, name: &str) -> Option<QueueConfig> {
        self.queues_locked().get(name).cloned()
    }

    pub fn queues(&self) -> Vec<QueueConfig> {
        self.queues_locked().values().cloned().collect()
    }

    /// Keeps a case's work (the caller holds [`Casework::write`]).
    pub async fn put(&self, meta: &std::sync::Arc<Meta>, work: Work) -> Result<(), crate::http::error::ApiError> {
        let text = serde_json::to_string(&work).map_err(|e| crate::http::error::ApiError::internal(e.to_string()))?;
        meta.set(format!("{WORK_PREFIX}{:020}", work.case), text).await?;
        self.works().insert(work.case, work);
        Ok(())
    }

    /// The cases with work kept.
    pub fn worked_cases(&self) -> Vec<u64> {
        self.works().keys().copied().collect()
    }

    /// Deletes a case's work and its attachments' bytes (the caller holds [`Casework::write`]).
    pub async fn forget(&self, meta: &std::sync::Arc<Meta>, case: u64) -> Result<(), crate::http::error::ApiError> {
        let Some(work) = self.works().get(&case).cloned() else {
            return Ok(());
        };
        for attachment in &work.attachments {
            meta.delete(file_key(case, attachment.n)).await?;
        }
        meta.delete(format!("{WORK_PREFIX}{case:020}")).await?;
        self.works().remove(&case);
        Ok(())
    }

    /// Keeps a queue's settings (the caller holds [`Casework::write`]).
    pub async fn put_queue(
        &self,
        meta: &std::sync::Arc<Meta>,
        queue: QueueConfig,
    ) -> Result<(), crate::http::error::ApiError> {
        let text = serde_json::to_string(&queue).map_err(|e| crate::http::error::ApiError::internal(e.to_string()))?;
        meta.set(format!("{QUEUE_PREFIX}{}", queue.name), text).await?;
        self.queues_locked().insert(queue.name.clone(), queue);
        Ok(())
    }
}

pub fn file_key(case: u64, n: u32) -> String {
    format!("{FILE_PREFIX}{case:020}:{n:04}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(case: u64, opened_at_us: i64, assignee: Option<u64>) -> OpenCase {
        OpenCase {
            case,
            opened_at_us,
            assignee,
        }
    }

    #[test]
    fn the_oldest_cases_go_to_the_least_loaded_members_up_to_capacity() {
        let config = QueueConfig {
            members: vec![7, 3],
            capacity: 2,
            ..QueueConfig::default_for("theft")
        };
        let open = [
            case(1, 50, Some(3)),
            case(2, 40, None),
            case(3, 10, None),
            case(4, 30, None),
            case(5, 20, None),
            case(6, 5, Some(99)),
        ];
        // 3 holds one already, 7 none: the oldest (case 3) goes to 7, then 3 and 7 tie at one
        // (the lower id, 3, takes case 5), then 7 takes case 4; both are full, case 2 waits.
        assert_eq!(plan_assignments(&config, &open), vec![(3, 7), (5, 3), (4, 7)]);
    }

    #[test]
    fn work_is_kept_a_year_after_the_resolution() {
        let day = 86_400 * 1_000_000_i64;
        let resolved = 1_000 * day;
        assert!(!past_retention(resolved, resolved + 365 * day));
        assert!(past_retention(resolved, resolved + 365 * day + 1));
        // A clock behind the resolution keeps it.
        assert!(!past_retention(resolved, 0));
    }

    #[test]
    fn a_queue_without_members_assigns_nothing() {
        let config = QueueConfig::default_for("interception");
        assert!(plan_assignments(&config, &[case(1, 1, None)]).is_empty());
    }
}
