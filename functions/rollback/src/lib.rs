//! rollback: undoes one change Warden made, exactly, and keeps it undone
//! for a while.
//!
//! Invoked directly (`sam remote invoke RollbackFunction`, `aws lambda
//! invoke`) with one of:
//!
//! - `{"change_id": "chg-…"}`: restores the change's recorded before-state,
//!   but only if the resource still holds what Warden wrote (its recorded
//!   after-state); otherwise it refuses and shows the difference. The
//!   rollback is recorded as a change of its own (`rollback_of`), the
//!   original is marked `rolled-back` (`rolled_back_by`), and the rule is
//!   suppressed on the resource for `WARDEN_SUPPRESSION_DAYS` days (or the
//!   request's `suppress_days`), so neither the next event nor the next
//!   sweep puts the change back.
//! - `{"change_id": "chg-…", "dry_run": true}`: the same checks, and the
//!   writes it would make, without making them.
//! - `{"resource": "<arn>"}`: the resource's changes, newest first, and the
//!   suppressions in force on it.
//!
//! What "the part a rule writes" is, and the writes that restore it, are each
//! guard's own (`Guard::written` and the guards' `restore` modules); this
//! crate reads the record, compares, and keeps the books.
//!
//! Every answer is JSON with a `status`: `rolled-back`, `would-roll-back`
//! (a dry run), `refused` (with the `reason`, and the `difference` when the
//! resource changed since), `failed` (an AWS error no retry can help, or a
//! read-back that does not show the restore) or `error` (a request or a
//! setting rollback cannot work with). AWS failures a retry may help are
//! returned to the runtime as errors instead, so Lambda's retries apply.

pub mod diff;
pub mod permissions;
pub mod request;
mod roll_back;
pub mod undo;

use request::Request;
use serde_json::{Value, json};
use undo::Guards;
use warden_shared::config::Env;
use warden_shared::state::{self, StateSettings, StateTable};
use warden_shared::{ConfigError, GuardError};

/// The event name a rollback's own change record carries as its trigger.
pub const TRIGGER_NAME: &str = "Rollback";

const DAY_MS: i64 = 86_400_000;

/// rollback's settings, read once at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `None` without `WARDEN_STATE_TABLE`: every request is answered with
    /// an error saying so.
    pub state: Option<StateSettings>,
    /// The stack's quarantine policy, the only policy rollback detaches.
    pub quarantine_policy_arn: Option<String>,
}

impl Settings {
    pub fn from_env(env: &(impl Env + ?Sized)) -> Result<Self, ConfigError> {
        let state = StateSettings::from_env(env)?;
        let quarantine_policy_arn = match env.value(mfa_guard::MfaGuard::QUARANTINE_POLICY_ARN) {
            None => None,
            // mfa-guard's own check of the ARN, and nothing else of its
            // settings: rollback only ever detaches.
            Some(arn) => Some(
                mfa_guard::MfaGuard::from_env(
                    &[(mfa_guard::MfaGuard::QUARANTINE_POLICY_ARN, arn.as_str())][..],
                )?
                .quarantine_policy_arn,
            ),
        };
        Ok(Self {
            state,
            quarantine_policy_arn,
        })
    }
}

/// The function: the state table and every guard's clients, built once.
pub struct Rollback {
    state: Option<StateTable>,
    guards: Guards,
}

/// What one request came to: an answer, or an AWS failure a retry may help
/// (returned to the runtime, so Lambda retries).
pub type Answer = Result<Value, GuardError>;

fn error(reason: impl Into<String>) -> Value {
    json!({"status": "error", "reason": reason.into()})
}

/// An AWS failure: a retry may help (`Err`), or the answer says what to
/// do about it.
fn failed(err: GuardError, context: Value) -> Answer {
    if err.retryable() {
        return Err(err);
    }
    let mut answer = context;
    answer["status"] = json!("failed");
    answer["reason"] = json!(err.to_string());
    answer["remedy"] = json!(err.remedy());
    Ok(answer)
}

impl Rollback {
    pub fn new(settings: Settings, aws: &aws_config::SdkConfig) -> Self {
        Self {
            state: settings
                .state
                .map(|s| StateTable::new(warden_shared::aws::dynamodb(aws), s)),
            guards: Guards::new(aws, settings.quarantine_policy_arn),
        }
    }

    /// Answers one invocation; `invocation` (the Lambda request id) names
    /// the rollback's trigger in its own change record.
    pub async fn handle(&self, payload: Value, invocation: &str) -> Answer {
        let request = match Request::parse(&payload) {
            Ok(request) => request,
            Err(reason) => return Ok(error(reason)),
        };
        let Some(state) = &self.state else {
            return Ok(error(format!(
                "the state table is not configured ({} is unset): without it Warden keeps no change records, so there is nothing to roll back; deploy the template's WardenStateTable",
                StateSettings::TABLE
            )));
        };
        let answer = match request {
            Request::List { resource } => self.list(state, &resource).await,
            Request::Rollback {
                change_id,
                dry_run,
                suppress_days,
                reason,
            } => {
                let ask = Ask {
                    change_id: &change_id,
                    dry_run,
                    suppress_days: suppress_days.unwrap_or(state.settings().suppression_days),
                    reason: reason.as_deref(),
                    invocation,
                };
                self.roll_back(state, &ask).await
            }
        };
        if let Ok(answer) = &answer {
            tracing::info!(answer = %answer, "rollback");
        }
        answer
    }

    /// A resource's changes, newest first, and its suppressions in force.
    async fn list(&self, state: &StateTable, resource: &str) -> Answer {
        let (changes, suppressions) =
            tokio::join!(state.changes_of(resource), state.suppressions_of(resource));
        let context = json!({"resource": resource});
        let (changes, suppressions) = match (changes, suppressions) {
            (Ok(changes), Ok(suppressions)) => (changes, suppressions),
            (Err(err), _) | (_, Err(err)) => return failed(err, context),
        };
        Ok(json!({
            "resource": resource,
            "changes": changes,
            "suppressions": suppressions,
        }))
    }
}

/// One rollback request, resolved against the settings.
struct Ask<'a> {
    change_id: &'a str,
    dry_run: bool,
    suppress_days: u32,
    reason: Option<&'a str>,
    invocation: &'a str,
}

impl Ask<'_> {
    fn reason(&self) -> &str {
        self.reason.unwrap_or("rolled back on request")
    }

    /// When the suppressions of a rollback made at `now_ms` end.
    fn until(&self, now_ms: i64) -> String {
        state::format_time(now_ms + i64::from(self.suppress_days) * DAY_MS)
    }
}

/// `PutBucketPolicy` → `put-bucket-policy`, as change actions are named.
pub fn action_name(operation: &str) -> String {
    let mut name = String::new();
    let mut previous: Option<char> = None;
    for c in operation.chars() {
        if c.is_ascii_uppercase() && previous.is_some_and(|p| !p.is_ascii_uppercase()) {
            name.push('-');
        }
        name.push(c.to_ascii_lowercase());
        previous = Some(c);
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names() {
        for (operation, action) in [
            ("PutBucketPolicy", "put-bucket-policy"),
            ("DetachUserPolicy", "detach-user-policy"),
            ("StopLogging", "stop-logging"),
        ] {
            assert_eq!(action_name(operation), action);
        }
    }

    #[test]
    fn settings_read_once_and_checked() {
        let none: [(&str, &str); 0] = [];
        assert_eq!(
            Settings::from_env(&none[..]),
            Ok(Settings {
                state: None,
                quarantine_policy_arn: None
            })
        );
        let err = Settings::from_env(
            &[
                ("WARDEN_STATE_TABLE", "t"),
                ("WARDEN_QUARANTINE_POLICY_ARN", "warden-quarantine"),
            ][..],
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with(r#"WARDEN_QUARANTINE_POLICY_ARN="warden-quarantine" is not valid"#),
            "{err}"
        );
        let err = Settings::from_env(
            &[
                ("WARDEN_STATE_TABLE", "t"),
                ("WARDEN_SUPPRESSION_DAYS", "a week"),
            ][..],
        )
        .unwrap_err();
        assert!(err.to_string().contains("WARDEN_SUPPRESSION_DAYS"), "{err}");
    }
}
