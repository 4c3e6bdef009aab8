//! [`Approvals`]: four eyes (maker-checker). An operator's call that moves money or trust
//! beyond what one person may do alone is not applied: it is kept as a [`Proposal`] (the
//! route, its path parameters and its body, who made it and which permissions applying it
//! needs) until a second operator approves or rejects it. Kept in the store's meta table as
//! `approval:<id>` (one JSON record each; every one is loaded at start and kept in memory).
//!
//! A proposal's life: `pending` → `approved` (the checker's decision is stored before the call
//! runs) → `applied` or `failed` (the call's answer, stored); or `pending` → `rejected`; or
//! `pending` → `expired` when no one decided within [`DECIDE_WITHIN`]. An approval that
//! crashed while applying stays `approved`: the same checker approves again and the call runs
//! again under the same idempotency key, so its effect happens once (see
//! `http::routes::approvals`). Which calls need four eyes is `http::four_eyes`'s; a request
//! body holds no personal data (ids, amounts, rule graphs), so a proposal stores it plainly.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::http::error::{ApiError, ErrorCode};
use crate::meta::Meta;

const META_PREFIX: &str = "approval:";
/// How long a proposal waits for a decision.
pub const DECIDE_WITHIN: SignedDuration = SignedDuration::from_hours(72);
/// How long an approved reveal may be used by its maker.
pub const USE_WITHIN: SignedDuration = SignedDuration::from_hours(1);

/// Where a proposal stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    /// A checker approved; the call is being applied (or crashed while it was).
    Approved,
    /// Approved and applied: `result` holds the call's answer.
    Applied,
    /// Approved, but the call was refused when applied: `result` holds the error.
    Failed,
    Rejected,
    /// No one decided within [`DECIDE_WITHIN`].
    Expired,
    /// An approved reveal its maker has used.
    Used,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Applied => "applied",
            Status::Failed => "failed",
            Status::Rejected => "rejected",
            Status::Expired => "expired",
            Status::Used => "used",
        }
    }

    pub fn parse(name: &str) -> Option<Status> {
        use Status::*;
        [Pending, Approved, Applied, Failed, Rejected, Expired, Used]
            .into_iter()
            .find(|s| s.name() == name)
    }
}

/// Who made or decided a proposal: the operator's audit name, and their operator id when
/// they are a person (a session), the API key's id when a service made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub name: String,
    /// The operator account (a session), if a person.
    pub operator: Option<u64>,
    /// The API key, if a service.
    pub api_key: Option<u64>,
    /// The operator who created the API key (a key's maker may not approve its own proposal).
    pub on_behalf_of: Option<String>,
}

/// A call kept until a second operator decides.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proposal {
    pub id: u64,
    pub status: Status,
    /// The route's method and template (`POST`, `/v1/customers/{customer_id}/limit`).
    pub method: String,
    pub route: String,
    /// The request's path (`/v1/customers/17/limit`).
    pub path: String,
    pub params: Vec<(String, String)>,
    /// The request's body as sent (UTF-8 JSON).
    pub body: String,
    /// Permission names applying it needs (the checker must hold each).
    pub permissions: Vec<String>,
    /// Why it needs a second operator, in words.
    pub reason: String,
    pub maker: Person,
    pub checker: Option<Person>,
    /// What the maker or checker wrote (a rejection's reason).
    pub note: Option<String>,
    pub created_at_us: i64,
    pub decided_at_us: Option<i64>,
    /// The applied call's HTTP status and JSON answer.
    pub result_status: Option<u16>,
    pub result: Option<serde_json::Value>,
}

impl Proposal {
    /// Whether it waited past [`DECIDE_WITHIN`] at `now` (still `pending` in the store until
    /// someone looks).
    pub fn lapsed(&self, now: Timestamp) -> bool {
        self.status == Status::Pending
            && now.as_microsecond().saturating_sub(self.created_at_us) > DECIDE_WITHIN.as_micros() as i64
    }
}

/// What a maker proposes (the rest of a [`Proposal`] is filled in by [`Approvals::propose`]).
#[derive(Clone, Debug)]
pub struct NewProposal {
    pub method: String,
    pub route: String,
    pub path: String,
    pub params: Vec<(String, String)>,
    pub body: String,
    pub permissions: Vec<String>,
    pub reason: String,
    pub maker: Person,
}

/// Every proposal, in memory and in the meta table.
#[derive(Debug, Default)]
pub struct Approvals {
    by_id: Mutex<BTreeMap<u64, Proposal>>,
    /// Decisions and creations run one at a time: they are rare, and a decision must see the
    /// status the previous one wrote.
    write: tokio::sync::Mutex<()>,
}

fn meta_key(id: u64) -> String {
    format!("{META_PREFIX}{id:020}")
}

impl Approvals {
    /// Loads every proposal (blocking; at start only).
    pub fn load(meta: &Meta) -> Result<Approvals, String> {
        let mut by_id = BTreeMap::new();
        for (_, text) in meta.with_prefix_blocking(META_PREFIX).map_err(|e| e.to_string())? {
            let proposal: Proposal = serde_json::from_str(&text).map_err(|e| format!("approval record: {e}"))?;
            by_id.insert(proposal.id, proposal);
        }
        Ok(Approvals {
            by_id: Mutex::new(by_id),
            write: tokio::sync::Mutex::new(()),
        })
    }

    fn all(&self) -> MutexGuard<'_, BTreeMap<u64, Proposal>> {
        self.by_id.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// One proposal, as it stands at `now` (a lapsed one reads `expired`).
    pub fn get(&self, id: u64, now: Timestamp) -> Result<Proposal, ApiError> {
        let mut proposal =
            self.all().get(&id).cloned().ok_or_else(|| {
                ApiError::new(ErrorCode::ApprovalNotFound, "no such approval").with_field("approval_id")
            })?;
        if proposal.lapsed(now) {
            proposal.status = Status::Expired;
        }
        Ok(proposal)
    }

    /// Proposals (newest first), of one status if given, at most `limit`.
    pub fn list(&self, status: Option<Status>, limit: usize, now: Timestamp) -> Vec<Proposal> {
        self.all()
            .values()
            .rev()
            .map(|p| {
                let mut p = p.clone();
                if p.lapsed(now) {
                    p.status = Status::Expired;
                }
                p
            })
            .filter(|p| status.is_none_or(|s| p.status == s))
            .take(limit)
            .collect()
    }

    async fn store(&self, meta: &Arc<Meta>, proposal: Proposal) -> Result<Proposal, ApiError> {
        let text = serde_json::to_string(&proposal).map_err(|e| ApiError::internal(e.to_string()))?;
        meta.set(meta_key(proposal.id), text).await?;
        self.all().insert(proposal.id, proposal.clone());
        Ok(proposal)
    }

    /// Keeps a new pending proposal (durable before it returns).
    pub async fn propose(&self, meta: &Arc<Meta>, new: NewProposal, now: Timestamp) -> Result<Proposal, ApiError> {
        let _one = self.write.lock().await;
        let id = self.all().keys().next_back().map_or(1, |last| last + 1);
        let proposal = Proposal {
            id,
            status: Status::Pending,
            method: new.method,
            route: new.route,
            path: new.path,
            params: new.params,
            body: new.body,
            permissions: new.permissions,
            reason: new.reason,
            maker: new.maker,
            checker: None,
            note: None,
            created_at_us: now.as_microsecond(),
            decided_at_us: None,
            result_status: None,
            result: None,
        };
        self.store(meta, proposal).await
    }

    /// Moves proposal `id` on: `decide` sees it as it stands (a lapsed one is `expired`) and
    /// returns the changed proposal to store, or why not. One at a time; durable on return.
    pub async fn decide(
        &self,
        meta: &Arc<Meta>,
        id: u64,
        now: Timestamp,
        decide: impl FnOnce(Proposal) -> Result<Proposal, ApiError>,
    ) -> Result<Proposal, ApiError> {
        let _one = self.write.lock().await;
        let current = self.get(id, now)?;
        let changed = decide(current)?;
        self.store(meta, changed).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_parse_back() {
        for s in [
            Status::Pending,
            Status::Approved,
            Status::Applied,
            Status::Failed,
            Status::Rejected,
            Status::Expired,
            Status::Used,
        ] {
            assert_eq!(Status::parse(s.name()), Some(s));
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.name()));
        }
        assert_eq!(Status::parse("done"), None);
    }

    #[test]
    fn a_pending_proposal_lapses_after_the_window_only() {
        let created = Timestamp::from_second(1_800_000_000).unwrap();
        let proposal = Proposal {
            id: 1,
            status: Status::Pending,
            method: "POST".into(),
            route: "/r".into(),
            path: "/r".into(),
            params: vec![],
            body: "{}".into(),
            permissions: vec![],
            reason: String::new(),
            maker: Person {
                name: "a".into(),
                operator: Some(1),
                api_key: None,
                on_behalf_of: None,
            },
            checker: None,
            note: None,
            created_at_us: created.as_microsecond(),
            decided_at_us: None,
            result_status: None,
            result: None,
        };
        let edge = created + DECIDE_WITHIN;
        assert!(!proposal.lapsed(edge));
        assert!(proposal.lapsed(edge + SignedDuration::from_nanos(1_000)));
        let applied = Proposal {
            status: Status::Applied,
            ..proposal
        };
        assert!(!applied.lapsed(edge + SignedDuration::from_hours(1)));
    }
}
