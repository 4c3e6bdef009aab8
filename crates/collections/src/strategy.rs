//! [`Strategy`]: the collections strategy table, a JDM decision graph compiled once by
//! zen-engine and evaluated synchronously through `risk::rules::zen` (the graph calls nothing,
//! so its future is ready at once), and the [`Decision`] it takes on a [`Situation`].
//!
//! The graph's contract (rules/collections/README.md): the input is the situation's fields
//! (`bucket`, `dpd`, `past_due_fen`, `balance_fen`, `open_promise`, `broken_promises`,
//! `hardship_eligible`, `hardship_active`), the output `action` (one of [`Action`]'s names) and
//! `reason` (a stable upper-case code). An output outside that contract is an error, never a
//! guess.

use std::sync::Arc;

use risk::rules::zen;
use serde::{Deserialize, Serialize};
use zen_engine::model::DecisionContent;
use zen_expression::variable::Variable;

use crate::situation::Situation;

/// What collections do next on an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A reminder to pay (message content and delivery are notifications' work).
    Reminder,
    /// A call by a collector, recorded with its outcome.
    CallTask,
    /// Offer a hardship plan (`credit::hardship`), which an operator proposes under four eyes.
    HardshipOffer,
    /// Nothing today (a promise is open, or nothing is due).
    None,
}

impl Action {
    pub const ALL: [Action; 4] = [Action::Reminder, Action::CallTask, Action::HardshipOffer, Action::None];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Reminder => "reminder",
            Action::CallTask => "call_task",
            Action::HardshipOffer => "hardship_offer",
            Action::None => "none",
        }
    }
}

/// The table's answer, with the table's version (`strategy@v<n>`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub action: Action,
    pub reason: String,
    pub strategy: String,
}

/// Why a strategy could not be loaded or evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StrategyError {
    #[error("strategy: needs \"metadata\": {{\"table\": \"strategy\", \"version\": <positive integer>}}: {0}")]
    Metadata(String),
    #[error("strategy: {0}")]
    Invalid(String),
    #[error("strategy: evaluation failed: {0}")]
    Evaluation(String),
    #[error("strategy: output outside the contract (action, reason): {0}")]
    Output(String),
}

#[derive(Deserialize)]
struct Header {
    metadata: Metadata,
}

#[derive(Deserialize)]
struct Metadata {
    table: String,
    version: std::num::NonZeroU32,
}

#[derive(Deserialize)]
struct Output {
    action: Action,
    reason: String,
}

/// A compiled strategy table.
#[derive(Debug)]
pub struct Strategy {
    version: u32,
    decision: zen_engine::Decision,
}

impl Strategy {
    /// Parses, validates and compiles `json`, whose `metadata.table` must be `strategy`.
    pub fn from_json(json: &str) -> Result<Strategy, StrategyError> {
        let header: Header = serde_json::from_str(json).map_err(|e| StrategyError::Metadata(e.to_string()))?;
        if header.metadata.table != "strategy" {
            let says = format!("the file says it is {:?}", header.metadata.table);
            return Err(StrategyError::Metadata(says));
        }
        let content: DecisionContent = serde_json::from_str(json).map_err(|e| StrategyError::Invalid(e.to_string()))?;
        let decision = zen::compile(Arc::new(content)).map_err(StrategyError::Invalid)?;
        Ok(Strategy {
            version: header.metadata.version.get(),
            decision,
        })
    }

    /// The shipped table (`rules/collections/strategy.json`).
    pub fn shipped() -> Strategy {
        Strategy::from_json(crate::SHIPPED_STRATEGY).expect("the shipped strategy compiles (tested)")
    }

    /// `strategy@v<version>`, recorded with every decision.
    pub fn version(&self) -> String {
        format!("strategy@v{}", self.version)
    }

    /// The next action on an account in `situation`.
    pub fn decide(&self, situation: &Situation) -> Result<Decision, StrategyError> {
        let input = serde_json::to_value(situation.input()).map_err(|e| StrategyError::Evaluation(e.to_string()))?;
        let response =
            zen::evaluate(&self.decision, Variable::from(input), false).map_err(StrategyError::Evaluation)?;
        let value = serde_json::to_value(&response.result).map_err(|e| StrategyError::Output(e.to_string()))?;
        let output: Output = serde_json::from_value(value).map_err(|e| StrategyError::Output(e.to_string()))?;
        Ok(Decision {
            action: output.action,
            reason: output.reason,
            strategy: self.version(),
        })
    }
}
