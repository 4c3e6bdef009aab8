//! [`Operators`]: operators as people. Each has an id, a login name, a set of roles, an argon2id
//! password hash ([`password`]), a TOTP second factor ([`totp`]) and a disabled flag, kept in
//! the store's meta table as `operator:<id>` (one JSON record; every operator is loaded at start
//! and kept in memory). A login with name, password and a current code opens a session
//! ([`sessions`]); service callers use API keys with scopes ([`api_keys`]).
//!
//! The TOTP secret is sealed by the vault (`keys`; the AAD is `operator_totp`/id, so one
//! operator's sealed secret does not open as another's) and opened only to check a code. Failed logins count per operator: after [`LOCK_AFTER`] in a row the
//! operator is locked for [`LOCKED_FOR`] (by the server's clock), and every login is refused
//! meanwhile, right password or not; each failure also spends the source's auth-failure
//! budget (the route does that). Changes run one at a time (a tokio mutex): they are rare.

pub mod api_keys;
pub mod password;
pub mod sessions;
pub mod totp;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::http::auth::permissions::{Grants, Role};
use crate::http::error::{ApiError, ErrorCode};
use crate::meta::Meta;

/// Consecutive failed logins that lock an operator.
pub const LOCK_AFTER: u32 = 5;
/// How long a lock lasts.
pub const LOCKED_FOR: SignedDuration = SignedDuration::from_mins(15);

const META_PREFIX: &str = "operator:";
/// The name the bootstrap token acts as (no operator may take it).
pub const BOOTSTRAP_NAME: &str = "bootstrap";

/// An operator's stored record.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub id: u64,
    pub name: String,
    pub roles: BTreeSet<Role>,
    /// The argon2id PHC string.
    password: String,
    /// The base32 secret, sealed by the vault (`keys::seal_json`, kind [`TOTP_KIND`]).
    totp_secret: String,
    pub disabled: bool,
    failed_logins: u32,
    locked_until_us: Option<i64>,
    /// The last TOTP step a login used (a code works once).
    last_totp_step: u64,
    pub created_at_us: i64,
    pub created_by: String,
}

/// Why a login was refused (the caller answers every one alike; the audit log keeps which).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginRefusal {
    UnknownOperator,
    Disabled,
    Locked,
    WrongPassword,
    WrongTotp,
}

impl LoginRefusal {
    pub fn name(self) -> &'static str {
        match self {
            LoginRefusal::UnknownOperator => "unknown_operator",
            LoginRefusal::Disabled => "disabled",
            LoginRefusal::Locked => "locked",
            LoginRefusal::WrongPassword => "wrong_password",
            LoginRefusal::WrongTotp => "wrong_totp",
        }
    }
}

/// A new operator, as the admin asked for it.
#[derive(Debug)]
pub struct NewOperator {
    pub name: String,
    pub roles: BTreeSet<Role>,
    pub password: String,
}

/// The operators.
#[derive(Debug)]
pub struct Operators {
    accounts: Mutex<BTreeMap<u64, Account>>,
    /// One change at a time.
    write: tokio::sync::Mutex<()>,
    /// Checked against when the name is unknown, so that costs what a wrong password costs.
    decoy: String,
    pub sessions: sessions::Sessions,
    pub keys: api_keys::ApiKeys,
    /// Seals and opens the TOTP secrets.
    vault: Arc<vault::Vault>,
}

/// The vault's record kind of a sealed TOTP secret.
const TOTP_KIND: &str = "operator_totp";

fn meta_key(id: u64) -> String {
    format!("{META_PREFIX}{id}")
}

/// Checks a login name: the audit log's operator-name characters, not a reserved name.
pub fn parse_name(name: &str) -> Result<String, ApiError> {
    let invalid = |why: String| ApiError::new(ErrorCode::InvalidField, why).with_field("name");
    audit::Actor::operator(name).map_err(|e| invalid(e.to_string()))?;
    if name == BOOTSTRAP_NAME || name.starts_with("apikey-") {
        return Err(invalid(format!("{name} is reserved")));
    }
    Ok(name.to_owned())
}

impl Operators {
    /// Loads every operator and API key (blocking; at start only).
    pub fn load(meta: &Meta, vault: Arc<vault::Vault>, session_hours: u32) -> Result<Operators, String> {
        let mut accounts = BTreeMap::new();
        for (_, text) in meta.with_prefix_blocking(META_PREFIX).map_err(|e| e.to_string())? {
            let account: Account = serde_json::from_str(&text).map_err(|e| format!("operator record: {e}"))?;
            accounts.insert(account.id, account);
        }
        Ok(Operators {
            accounts: Mutex::new(accounts),
            write: tokio::sync::Mutex::new(()),
            decoy: password::decoy().map_err(|e| e.message)?,
            sessions: sessions::Sessions::new(session_hours),
            keys: api_keys::ApiKeys::load(meta)?,
            vault,
        })
    }

    fn accounts(&self) -> MutexGuard<'_, BTreeMap<u64, Account>> {
        self.accounts.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether any operator exists (then the bootstrap token is retired).
    pub fn any(&self) -> bool {
        !self.accounts().is_empty()
    }

    pub fn get(&self, id: u64) -> Option<Account> {
        self.accounts().get(&id).cloned()
    }

    pub fn list(&self) -> Vec<Account> {
        self.accounts().values().cloned().collect()
    }

    fn by_name(&self, name: &str) -> Option<Account> {
        self.accounts().values().find(|a| a.name == name).cloned()
    }

    /// What a session of operator `id` may do now, and its name: 401 for a disabled or
    /// deleted operator.
    pub fn grants(&self, id: u64) -> Result<(Grants, String), ApiError> {
        match self.get(id) {
            Some(a) if !a.disabled => Ok((Grants::of_roles(a.roles.iter().copied()), a.name)),
            Some(_) => Err(ApiError::new(ErrorCode::OperatorDisabled, "this operator is disabled")),
            None => Err(ApiError::new(ErrorCode::BadToken, "the bearer token is not valid")),
        }
    }

    async fn store(&self, meta: &Arc<Meta>, account: Account) -> Result<Account, ApiError> {
        let text = serde_json::to_string(&account).map_err(|e| ApiError::internal(e.to_string()))?;
        meta.set(meta_key(account.id), text).await?;
        self.accounts().insert(account.id, account.clone());
        Ok(account)
    }

    /// Creates an operator; returns it with its TOTP secret (shown once). `first_only`: refuse
    /// if any operator exists (the bootstrap).
    pub async fn create(
        &self,
        meta: &Arc<Meta>,
        new: NewOperator,
        created_by: &str,
        now: Timestamp,
        first_only: bool,
    ) -> Result<(Account, totp::Secret), ApiError> {
        let hash = password::hash(new.password).await?;
        let _one = self.write.lock().await;
        if first_only && self.any() {
            return Err(ApiError::new(
                ErrorCode::AlreadyBootstrapped,
                "an operator exists: the bootstrap token no longer creates operators",
            ));
        }
        if self.by_name(&new.name).is_some() {
            return Err(
                ApiError::new(ErrorCode::OperatorExists, "an operator has this name already").with_field("name"),
            );
        }
        let id = self.accounts().keys().next_back().map_or(1, |last| last + 1);
        let secret = totp::Secret::generate()?;
        let account = Account {
            id,
            name: new.name,
            roles: new.roles,
            password: hash,
            totp_secret: crate::keys::seal_json(&self.vault, TOTP_KIND, &id.to_string(), &secret.base32())?,
            disabled: false,
            failed_logins: 0,
            locked_until_us: None,
            last_totp_step: 0,
            created_at_us: now.as_microsecond(),
            created_by: created_by.to_owned(),
        };
        Ok((self.store(meta, account).await?, secret))
    }

    /// Changes operator `id` with `change` and stores it.
    pub async fn update(
        &self,
        meta: &Arc<Meta>,
        id: u64,
        change: impl FnOnce(&mut Account),
    ) -> Result<Account, ApiError> {
        let _one = self.write.lock().await;
        let mut account = self.get(id).ok_or_else(|| {
            ApiError::new(ErrorCode::OperatorNotFound, "no operator has this id").with_field("operator_id")
        })?;
        change(&mut account);
        self.store(meta, account).await
    }

    /// Checks a login; counts a failure against the operator, locking it after
    /// [`LOCK_AFTER`] in a row.
    pub async fn login(
        &self,
        meta: &Arc<Meta>,
        name: &str,
        password: String,
        code: &str,
        now: Timestamp,
    ) -> Result<Account, LoginRefusal> {
        let Some(account) = self.by_name(name) else {
            // The same work as a wrong password, so a name's existence does not show in timing.
            let _ = password::verify(password, self.decoy.clone()).await;
            return Err(LoginRefusal::UnknownOperator);
        };
        let right = password::verify(password, account.password.clone())
            .await
            .unwrap_or(false);
        let _one = self.write.lock().await;
        let Some(mut account) = self.get(account.id) else {
            return Err(LoginRefusal::UnknownOperator);
        };
        let now_us = now.as_microsecond();
        let refusal = if account.disabled {
            Some(LoginRefusal::Disabled)
        } else if account.locked_until_us.is_some_and(|until| now_us < until) {
            Some(LoginRefusal::Locked)
        } else if !right {
            Some(LoginRefusal::WrongPassword)
        } else {
            let opened: Option<String> =
                crate::keys::open_json(&self.vault, TOTP_KIND, &account.id.to_string(), &account.totp_secret).ok();
            match opened
                .as_deref()
                .and_then(totp::Secret::from_base32)
                .and_then(|s| totp::check(&s, code, now, account.last_totp_step))
            {
                Some(step) => {
                    account.last_totp_step = step;
                    None
                }
                None => Some(LoginRefusal::WrongTotp),
            }
        };
        match refusal {
            None => {
                account.failed_logins = 0;
                account.locked_until_us = None;
            }
            Some(LoginRefusal::WrongPassword | LoginRefusal::WrongTotp) => {
                account.failed_logins += 1;
                if account.failed_logins >= LOCK_AFTER {
                    account.failed_logins = 0;
                    account.locked_until_us = now.checked_add(LOCKED_FOR).ok().map(|t| t.as_microsecond());
                }
            }
            // Nothing to count: a disabled or locked operator's tries change nothing.
            Some(other) => return Err(other),
        }
        if self.store(meta, account.clone()).await.is_err() {
            tracing::error!(operator = account.id, "an operator's login counters were not stored");
        }
        match refusal {
            None => Ok(account),
            Some(refusal) => Err(refusal),
        }
    }
}
