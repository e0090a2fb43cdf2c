//! What a function answered, as the local run reports and checks it.

use std::fmt::Write as _;

use serde_json::Value;
use warden_tests::{FunctionRun, InvocationResult};

/// What the function answered for one event.
#[derive(Debug, Clone)]
pub enum Answer {
    Outcome(Value),
    Error(String),
}

impl Answer {
    pub fn status(&self) -> &str {
        match self {
            Answer::Outcome(outcome) => outcome["status"].as_str().unwrap_or("<no status>"),
            Answer::Error(_) => "<error>",
        }
    }

    /// The outcome's findings as (rule, applied).
    pub fn findings(&self) -> Vec<(String, bool)> {
        let Answer::Outcome(outcome) = self else {
            return vec![];
        };
        outcome["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap_or("?").to_string(),
                    f["applied"].as_bool().unwrap_or(false),
                )
            })
            .collect()
    }

    /// The findings' rules, each marked `(applied)` where it was.
    fn rules(&self) -> Vec<String> {
        self.findings()
            .into_iter()
            .map(|(rule, applied)| {
                if applied {
                    format!("{rule} (applied)")
                } else {
                    rule
                }
            })
            .collect()
    }

    /// Status, findings and reason, for the report under a table.
    pub fn describe(&self) -> String {
        match self {
            Answer::Error(message) => format!("error: {message}"),
            Answer::Outcome(outcome) => {
                let mut text = self.status().to_string();
                let rules = self.rules();
                if rules.is_empty() {
                    text.push_str(", no findings");
                } else {
                    let _ = write!(text, ", findings: {}", rules.join(", "));
                }
                if let Some(reason) = outcome["reason"].as_str() {
                    let _ = write!(text, "; reason: {reason}");
                }
                text
            }
        }
    }

    /// Status and findings in one table cell.
    pub fn short(&self) -> String {
        match self {
            Answer::Error(message) => format!("error: {message}"),
            Answer::Outcome(_) => {
                let rules = self.rules();
                if rules.is_empty() {
                    self.status().to_string()
                } else {
                    format!("{}: {}", self.status(), rules.join(", "))
                }
            }
        }
    }

    /// What is wrong with the answer, if it is not `status` with exactly
    /// these findings (rule, applied).
    pub fn problems(&self, status: &str, findings: &[(&str, bool)]) -> Vec<String> {
        if let Answer::Error(error) = self {
            return vec![format!("invocation error: {error}")];
        }
        let mut problems = Vec::new();
        if self.status() != status {
            problems.push(format!("status {} (expected {status})", self.status()));
        }
        let got = self.findings();
        let want: Vec<(String, bool)> = findings.iter().map(|(r, a)| (r.to_string(), *a)).collect();
        if got != want {
            problems.push(format!("findings {got:?} (expected {want:?})"));
        }
        problems
    }
}

/// The answers of a run, one per event; an error, with the function's
/// output, if it did not start or stopped before answering `expected`
/// events.
pub fn answers(
    run: &FunctionRun,
    guard: &str,
    expected: usize,
    mode: &str,
) -> Result<Vec<Answer>, String> {
    if let Some(init_error) = &run.init_error {
        return Err(format!(
            "{guard} failed to start ({mode} mode): {init_error}\n--- its stderr ---\n{}\n--- its stdout ---\n{}",
            run.stderr.trim_end(),
            run.stdout.trim_end()
        ));
    }
    if run.invocations.len() < expected {
        let how = match run.exit_status {
            Some(status) => format!("exited ({status})"),
            None => "stopped answering".into(),
        };
        return Err(format!(
            "{guard} {how} after {} of {expected} events ({mode} mode)\n--- its stderr ---\n{}\n--- its stdout ---\n{}",
            run.invocations.len(),
            run.stderr.trim_end(),
            run.stdout.trim_end()
        ));
    }
    Ok(run
        .invocations
        .iter()
        .map(|invocation| match &invocation.result {
            InvocationResult::Response(value) => Answer::Outcome(value.clone()),
            InvocationResult::Error {
                error_type,
                error_message,
            } => Answer::Error(format!("{error_type}: {error_message}")),
        })
        .collect())
}
