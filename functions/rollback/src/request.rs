//! What rollback is asked: one of three invocations, read strictly (a
//! misspelt field is an error, not a rollback made with defaults).

use serde::Deserialize;
use serde_json::Value;

/// The longest suppression a request may ask for, in days: the longest
/// `WARDEN_SUPPRESSION_DAYS` accepts.
pub const MAX_SUPPRESS_DAYS: u32 = 365;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `{"change_id": "...", "dry_run"?: bool, "suppress_days"?: N, "reason"?: "..."}`
    Rollback {
        change_id: String,
        dry_run: bool,
        /// `None`: `WARDEN_SUPPRESSION_DAYS`.
        suppress_days: Option<u32>,
        /// Why, in the rollback's own record and its suppression.
        reason: Option<String>,
    },
    /// `{"resource": "<arn>"}`: the resource's changes and suppressions.
    List { resource: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    change_id: Option<String>,
    resource: Option<String>,
    dry_run: Option<bool>,
    suppress_days: Option<u32>,
    reason: Option<String>,
}

const SHAPES: &str = r#"{"change_id": "..."}, {"change_id": "...", "dry_run": true} or {"resource": "<arn>"} (with a change_id, optionally "suppress_days": N and "reason": "...")"#;

impl Request {
    pub fn parse(payload: &Value) -> Result<Self, String> {
        let raw: Raw = serde_json::from_value(payload.clone())
            .map_err(|e| format!("the request is not one rollback reads ({e}): send {SHAPES}"))?;
        let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
        match (raw.change_id, raw.resource) {
            (Some(change_id), None) if !blank(&Some(change_id.clone())) => {
                if let Some(days) = raw.suppress_days
                    && !(1..=MAX_SUPPRESS_DAYS).contains(&days)
                {
                    return Err(format!(
                        "suppress_days is {days}: use a whole number of days from 1 to {MAX_SUPPRESS_DAYS}"
                    ));
                }
                Ok(Request::Rollback {
                    change_id: change_id.trim().to_string(),
                    dry_run: raw.dry_run.unwrap_or(false),
                    suppress_days: raw.suppress_days,
                    reason: raw.reason.filter(|r| !r.trim().is_empty()),
                })
            }
            (None, Some(resource)) if !blank(&Some(resource.clone())) => {
                if raw.dry_run.is_some() || raw.suppress_days.is_some() || raw.reason.is_some() {
                    return Err(
                        "dry_run, suppress_days and reason go with a change_id, not a resource"
                            .into(),
                    );
                }
                Ok(Request::List {
                    resource: resource.trim().to_string(),
                })
            }
            (Some(_), Some(_)) => Err(format!(
                "the request names both a change_id and a resource: send {SHAPES}"
            )),
            _ => Err(format!(
                "the request names no change_id and no resource: send {SHAPES}"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_three_invocations() {
        assert_eq!(
            Request::parse(&json!({"change_id": "chg-1"})),
            Ok(Request::Rollback {
                change_id: "chg-1".into(),
                dry_run: false,
                suppress_days: None,
                reason: None
            })
        );
        assert_eq!(
            Request::parse(
                &json!({"change_id": "chg-1", "dry_run": true, "suppress_days": 2, "reason": "breaks the CDN"})
            ),
            Ok(Request::Rollback {
                change_id: "chg-1".into(),
                dry_run: true,
                suppress_days: Some(2),
                reason: Some("breaks the CDN".into())
            })
        );
        assert_eq!(
            Request::parse(&json!({"resource": "arn:aws:s3:::b"})),
            Ok(Request::List {
                resource: "arn:aws:s3:::b".into()
            })
        );
    }

    #[test]
    fn the_longest_suppression_is_the_one_the_setting_accepts() {
        use warden_shared::state::StateSettings;
        let days = |n: u32| {
            StateSettings::from_env(
                &[
                    ("WARDEN_STATE_TABLE", "t".to_string()),
                    ("WARDEN_SUPPRESSION_DAYS", n.to_string()),
                ][..],
            )
        };
        assert!(days(MAX_SUPPRESS_DAYS).is_ok());
        assert!(days(MAX_SUPPRESS_DAYS + 1).is_err());
        assert!(
            Request::parse(&json!({"change_id": "c", "suppress_days": MAX_SUPPRESS_DAYS})).is_ok()
        );
        assert!(
            Request::parse(&json!({"change_id": "c", "suppress_days": MAX_SUPPRESS_DAYS + 1}))
                .is_err()
        );
    }

    #[test]
    fn anything_else_is_refused_with_the_shapes() {
        for (payload, says) in [
            (json!({}), "names no change_id and no resource"),
            (json!({"change_id": " "}), "names no change_id"),
            (json!({"change_id": "c", "resource": "r"}), "both"),
            (json!({"changeId": "c"}), "unknown field `changeId`"),
            (json!({"change_id": "c", "dry_run": "yes"}), "invalid type"),
            (
                json!({"change_id": "c", "suppress_days": 0}),
                "suppress_days is 0",
            ),
            (
                json!({"resource": "r", "dry_run": true}),
                "go with a change_id",
            ),
            (json!("chg-1"), "not one rollback reads"),
        ] {
            let err = Request::parse(&payload).unwrap_err();
            assert!(err.contains(says), "{payload}: {err}");
        }
    }
}
