//! [`ApplicationStore`]: every application's record (what was decided, masked), the review
//! queue, and the side table of approved lines (which application opened each, its price tier
//! and score as decided; the engine's credit profile holds the price the engine applies, and
//! the periodic limit review walks these lines).
//!
//! Durable and simple: an append-only log of JSON entries, one per change, each written durably
//! before the call returns, replayed into memory at start. Where the log lives is an
//! [`EntryLog`]: a file of JSON lines ([`FileLog`]; a torn last line, from a crash while
//! writing it, is dropped at replay: its change was never acknowledged), or whatever the shell
//! provides (the API keeps the entries in the store's meta table). Writes are serialized by one
//! mutex held across the durable write: onboarding is not the hot path. No raw PII is stored:
//! names and ID numbers only masked, and the blind index.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use credit::AccountId;
use jiff::Timestamp;
use money::Amount;
use serde::{Deserialize, Serialize};

pub use crate::application::ApplicationId;
use crate::decision::{Decision, Outcome};
use crate::tier::PriceTier;

/// An analyst's answer to an application in review.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    /// `Approved` or `Declined`.
    pub outcome: Outcome,
    pub by: String,
    pub at: Timestamp,
    pub limit: Option<Amount>,
    pub reasons: Vec<String>,
}

/// One application as recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApplicationRecord {
    pub id: ApplicationId,
    pub account: AccountId,
    /// The full blind index (hex), to tell a duplicate from an account-id collision.
    pub blind_index: String,
    pub at: Timestamp,
    pub name_masked: String,
    pub id_masked: String,
    pub decision: Decision,
    pub resolution: Option<Resolution>,
}

impl ApplicationRecord {
    /// Where the application stands now: the analyst's answer once there is one.
    pub fn status(&self) -> Outcome {
        self.resolution.as_ref().map_or(self.decision.outcome, |r| r.outcome)
    }

    pub fn in_review(&self) -> bool {
        self.status() == Outcome::Review
    }
}

/// An approved line as onboarding opened it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LineRecord {
    pub account: AccountId,
    pub application: ApplicationId,
    pub tier: PriceTier,
    pub pd: f64,
    pub score: f64,
    pub band: String,
    pub limit: Amount,
    pub opened_at: Timestamp,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Entry {
    /// A new application, with the line it opened (one entry: one durable write).
    Application {
        record: Box<ApplicationRecord>,
        line: Option<Box<LineRecord>>,
    },
    /// An analyst's answer, with the line it opened.
    Resolved {
        id: ApplicationId,
        resolution: Resolution,
        line: Option<Box<LineRecord>>,
    },
    /// A line's record changed (its limit after a review).
    Line(Box<LineRecord>),
}

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("application store {path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("application store, entry {line}: {error}")]
    Corrupt { line: usize, error: String },
    #[error("application store: {0}")]
    Backend(String),
    #[error("no application {0:?}")]
    NotFound(ApplicationId),
    #[error("application {0:?} is not in review")]
    NotInReview(ApplicationId),
}

#[derive(Default)]
struct State {
    next: u64,
    applications: BTreeMap<ApplicationId, ApplicationRecord>,
    by_account: HashMap<AccountId, Vec<ApplicationId>>,
    lines: BTreeMap<AccountId, LineRecord>,
}

impl State {
    fn put_line(&mut self, line: Option<Box<LineRecord>>) {
        if let Some(line) = line {
            self.lines.insert(line.account, *line);
        }
    }

    fn apply(&mut self, entry: Entry) {
        match entry {
            Entry::Application { record, line } => {
                self.next = self.next.max(record.id.0);
                self.by_account.entry(record.account).or_default().push(record.id);
                self.applications.insert(record.id, *record);
                self.put_line(line);
            }
            Entry::Resolved { id, resolution, line } => {
                if let Some(record) = self.applications.get_mut(&id) {
                    record.resolution = Some(resolution);
                }
                self.put_line(line);
            }
            Entry::Line(line) => {
                self.lines.insert(line.account, *line);
            }
        }
    }
}

/// Where the store's entries are kept, in order.
pub trait EntryLog: Send + Sync {
    /// Every entry written so far, oldest first (a torn last one may be among them).
    fn replay(&self) -> Result<Vec<String>, StoreError>;
    /// Writes entry number `seq` (1, 2, 3 ...) durably.
    fn append(&self, seq: u64, entry: &str) -> Result<(), StoreError>;
}

/// An [`EntryLog`] in a file of JSON lines, synced after each line.
#[derive(Debug)]
pub struct FileLog {
    file: Mutex<File>,
    path: std::path::PathBuf,
}

impl FileLog {
    pub fn open(path: &Path) -> Result<FileLog, StoreError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|error| io(path, error))?;
        Ok(FileLog {
            file: Mutex::new(file),
            path: path.to_owned(),
        })
    }
}

fn io(path: &Path, error: std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.display().to_string(),
        error,
    }
}

impl EntryLog for FileLog {
    fn replay(&self) -> Result<Vec<String>, StoreError> {
        let file = File::open(&self.path).map_err(|e| io(&self.path, e))?;
        BufReader::new(file)
            .lines()
            .collect::<Result<_, _>>()
            .map_err(|e| io(&self.path, e))
    }

    fn append(&self, _seq: u64, entry: &str) -> Result<(), StoreError> {
        let mut file = self.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut line = Vec::with_capacity(entry.len() + 1);
        line.extend_from_slice(entry.as_bytes());
        line.push(b'\n');
        file.write_all(&line).map_err(|e| io(&self.path, e))?;
        file.sync_data().map_err(|e| io(&self.path, e))
    }
}

struct Inner {
    state: State,
    log: Option<Box<dyn EntryLog>>,
    entries: u64,
}

/// The application store. Every method takes `&self`; writes are serialized by one mutex.
pub struct ApplicationStore(Mutex<Inner>);

impl std::fmt::Debug for ApplicationStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApplicationStore { .. }")
    }
}

impl ApplicationStore {
    /// A store that forgets everything when dropped (tests, benchmarks).
    pub fn memory() -> ApplicationStore {
        ApplicationStore(Mutex::new(Inner {
            state: State::default(),
            log: None,
            entries: 0,
        }))
    }

    /// Opens (or creates) a store in a file of JSON lines at `path` and replays it.
    pub fn open(path: &Path) -> Result<ApplicationStore, StoreError> {
        ApplicationStore::with_log(Box::new(FileLog::open(path)?))
    }

    /// A store kept in `log`, replayed now.
    pub fn with_log(log: Box<dyn EntryLog>) -> Result<ApplicationStore, StoreError> {
        let entries = log.replay()?;
        let count = entries.len();
        let mut state = State::default();
        for (i, text) in entries.into_iter().enumerate() {
            match serde_json::from_str::<Entry>(&text) {
                Ok(entry) => state.apply(entry),
                Err(_) if i + 1 == count => {} // a torn last write: never acknowledged
                Err(e) => {
                    return Err(StoreError::Corrupt {
                        line: i + 1,
                        error: e.to_string(),
                    });
                }
            }
        }
        Ok(ApplicationStore(Mutex::new(Inner {
            state,
            log: Some(log),
            entries: count as u64,
        })))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records a new application, giving it the next id (also written into its decision and
    /// into the line it opened, if any).
    pub fn insert(
        &self,
        mut record: ApplicationRecord,
        line: Option<LineRecord>,
    ) -> Result<ApplicationRecord, StoreError> {
        let mut inner = self.lock();
        record.id = ApplicationId(inner.state.next + 1);
        record.decision.application = Some(record.id);
        let line = line.map(|mut l| {
            l.application = record.id;
            Box::new(l)
        });
        inner.write(Entry::Application {
            record: Box::new(record.clone()),
            line,
        })?;
        Ok(record)
    }

    /// Records an analyst's answer to an application in review, with the line it opened.
    pub fn resolve(
        &self,
        id: ApplicationId,
        resolution: Resolution,
        line: Option<LineRecord>,
    ) -> Result<ApplicationRecord, StoreError> {
        let mut inner = self.lock();
        let record = inner.state.applications.get(&id).ok_or(StoreError::NotFound(id))?;
        if !record.in_review() {
            return Err(StoreError::NotInReview(id));
        }
        let line = line.map(Box::new);
        inner.write(Entry::Resolved { id, resolution, line })?;
        Ok(inner.state.applications[&id].clone())
    }

    /// Records (or replaces) an approved line.
    pub fn put_line(&self, line: LineRecord) -> Result<(), StoreError> {
        self.lock().write(Entry::Line(Box::new(line)))
    }

    pub fn get(&self, id: ApplicationId) -> Option<ApplicationRecord> {
        self.lock().state.applications.get(&id).cloned()
    }

    /// The applications of one account, oldest first.
    pub fn of_account(&self, account: AccountId) -> Vec<ApplicationRecord> {
        let inner = self.lock();
        let ids = inner.state.by_account.get(&account).map_or(&[][..], Vec::as_slice);
        ids.iter()
            .filter_map(|id| inner.state.applications.get(id).cloned())
            .collect()
    }

    /// Applications waiting for an analyst, oldest first.
    pub fn reviews(&self) -> Vec<ApplicationRecord> {
        let inner = self.lock();
        inner
            .state
            .applications
            .values()
            .filter(|r| r.in_review())
            .cloned()
            .collect()
    }

    pub fn line(&self, account: AccountId) -> Option<LineRecord> {
        self.lock().state.lines.get(&account).cloned()
    }

    /// Every approved line, by account.
    pub fn lines(&self) -> Vec<LineRecord> {
        self.lock().state.lines.values().cloned().collect()
    }
}

impl Inner {
    /// Writes the entry durably, then applies it in memory (so memory never runs ahead of the
    /// log).
    fn write(&mut self, entry: Entry) -> Result<(), StoreError> {
        if let Some(log) = &self.log {
            let text = serde_json::to_string(&entry).map_err(|e| StoreError::Corrupt {
                line: 0,
                error: e.to_string(),
            })?;
            log.append(self.entries + 1, &text)?;
            self.entries += 1;
        }
        self.state.apply(entry);
        Ok(())
    }
}
