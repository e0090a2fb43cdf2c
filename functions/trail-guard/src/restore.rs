//! Undoing one of trail-guard's changes: what each rule writes (the trail
//! settings an audit record keeps as before- and after-state, named as
//! `GetTrail` and `GetTrailStatus` name them) and the exact calls that put a
//! recorded before-state back.
//!
//! | rule | written | restored by |
//! | --- | --- | --- |
//! | `trail-logging` | `{"IsLogging": bool}` | `StopLogging` (trail-guard only ever starts logging) |
//! | `log-file-validation` | `{"LogFileValidationEnabled": bool}` | `UpdateTrail` with `EnableLogFileValidation` |
//! | `multi-region` | `{"IsMultiRegionTrail": bool, "IncludeGlobalServiceEvents": bool}` | `UpdateTrail` with both |
//!
//! The other rules only report (`management-events`, `trail-deleted`,
//! `log-encryption`): they write nothing, so there is nothing to restore.

use crate::calls::{GET_EVENT_SELECTORS, GET_TRAIL, GET_TRAIL_STATUS, LIST_TAGS, UPDATE_TRAIL};
use crate::cloudtrail::Trails;
use crate::{Trail, TrailState, rule};
use serde_json::{Map, Value, json};
use warden_shared::{AwsCall, GuardError};

pub const IS_LOGGING: &str = "IsLogging";
pub const LOG_FILE_VALIDATION: &str = "LogFileValidationEnabled";
pub const MULTI_REGION: &str = "IsMultiRegionTrail";
pub const GLOBAL_EVENTS: &str = "IncludeGlobalServiceEvents";

/// Never made by trail-guard itself: only rollback stops a trail, and only
/// one that was not logging before trail-guard started it.
pub const STOP_LOGGING: AwsCall = AwsCall::new("StopLogging", "cloudtrail:StopLogging");

/// Every call a restore may make.
pub const CALLS: [AwsCall; 2] = [STOP_LOGGING, UPDATE_TRAIL];

/// What a restore reads back through [`Trails::read`].
pub const READS: [AwsCall; 4] = [GET_TRAIL, GET_TRAIL_STATUS, GET_EVENT_SELECTORS, LIST_TAGS];

/// The settings of `state` that `rule`'s fix writes; `Null` for a rule
/// that writes nothing and for a deleted trail.
pub fn written(rule: &str, state: &TrailState) -> Value {
    let Some(settings) = state.live() else {
        return Value::Null;
    };
    match rule {
        rule::TRAIL_LOGGING => json!({ IS_LOGGING: settings.is_logging }),
        rule::LOG_FILE_VALIDATION => json!({ LOG_FILE_VALIDATION: settings.log_file_validation }),
        rule::MULTI_REGION => json!({
            MULTI_REGION: settings.is_multi_region,
            GLOBAL_EVENTS: settings.include_global_service_events,
        }),
        _ => Value::Null,
    }
}

/// The call that puts a trail's settings back as they were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrailRestore {
    StopLogging,
    /// `UpdateTrail` naming only these settings (`None`: left as it is).
    UpdateTrail {
        enable_log_file_validation: Option<bool>,
        is_multi_region_trail: Option<bool>,
        include_global_service_events: Option<bool>,
    },
}

impl TrailRestore {
    /// The call that turns `after` (the settings trail-guard wrote, which
    /// the trail still holds) back into `before`, or why there is none.
    pub fn of(rule: &str, before: &Value, after: &Value) -> Result<Self, String> {
        let flag = |state: &Value, which: &str, key: &str| {
            state.get(key).and_then(Value::as_bool).ok_or_else(|| {
                format!("the recorded {which}-state of {rule} has no {key}: {state}")
            })
        };
        match rule {
            rule::TRAIL_LOGGING => {
                let (was, is) = (
                    flag(before, "before", IS_LOGGING)?,
                    flag(after, "after", IS_LOGGING)?,
                );
                match (was, is) {
                    (false, true) => Ok(Self::StopLogging),
                    _ => Err(format!(
                        "the change left logging {} as it was ({}): nothing to restore",
                        if is { "on" } else { "off" },
                        if was { "on" } else { "off" }
                    )),
                }
            }
            rule::LOG_FILE_VALIDATION => Ok(Self::UpdateTrail {
                enable_log_file_validation: Some(flag(before, "before", LOG_FILE_VALIDATION)?),
                is_multi_region_trail: None,
                include_global_service_events: None,
            }),
            rule::MULTI_REGION => Ok(Self::UpdateTrail {
                enable_log_file_validation: None,
                is_multi_region_trail: Some(flag(before, "before", MULTI_REGION)?),
                include_global_service_events: Some(flag(before, "before", GLOBAL_EVENTS)?),
            }),
            rule::MANAGEMENT_EVENTS | rule::TRAIL_DELETED | rule::LOG_ENCRYPTION => Err(format!(
                "trail-guard's {rule} only reports: it changed nothing that could be restored"
            )),
            other => Err(format!(
                "trail-guard has no rule {other:?} whose change can be restored"
            )),
        }
    }

    pub fn call(&self) -> AwsCall {
        match self {
            Self::StopLogging => STOP_LOGGING,
            Self::UpdateTrail { .. } => UPDATE_TRAIL,
        }
    }

    /// The call as a dry run shows it.
    pub fn describe(&self) -> Value {
        let mut shown = Map::new();
        shown.insert("call".into(), json!(self.call().operation));
        if let Self::UpdateTrail {
            enable_log_file_validation,
            is_multi_region_trail,
            include_global_service_events,
        } = self
        {
            for (key, value) in [
                ("EnableLogFileValidation", enable_log_file_validation),
                ("IsMultiRegionTrail", is_multi_region_trail),
                ("IncludeGlobalServiceEvents", include_global_service_events),
            ] {
                if let Some(value) = value {
                    shown.insert(key.into(), json!(value));
                }
            }
        }
        Value::Object(shown)
    }

    /// Makes the call on `trail`, in its home region.
    pub async fn apply(&self, trails: &Trails, trail: &Trail) -> Result<(), GuardError> {
        let client = trails.client(&trail.region);
        match self {
            Self::StopLogging => client
                .stop_logging()
                .name(&trail.arn)
                .send()
                .await
                .map(drop)
                .map_err(|e| GuardError::from_sdk(STOP_LOGGING, &trail.arn, e)),
            Self::UpdateTrail {
                enable_log_file_validation,
                is_multi_region_trail,
                include_global_service_events,
            } => client
                .update_trail()
                .name(&trail.arn)
                .set_enable_log_file_validation(*enable_log_file_validation)
                .set_is_multi_region_trail(*is_multi_region_trail)
                .set_include_global_service_events(*include_global_service_events)
                .send()
                .await
                .map(drop)
                .map_err(|e| GuardError::from_sdk(UPDATE_TRAIL, &trail.arn, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TrailSettings;
    use crate::selectors::Selectors;

    fn live(is_logging: bool, validation: bool, multi: bool, global: bool) -> TrailState {
        TrailState::Live(TrailSettings {
            is_logging,
            log_file_validation: validation,
            is_multi_region: multi,
            include_global_service_events: global,
            kms_key_id: Some("arn:aws:kms:us-east-1:123456789012:key/k".into()),
            selectors: Selectors::default(),
        })
    }

    #[test]
    fn each_rule_records_the_settings_it_writes() {
        let before = live(false, false, false, false);
        let after = live(true, true, true, true);
        assert_eq!(
            written(rule::TRAIL_LOGGING, &before),
            json!({"IsLogging": false})
        );
        assert_eq!(
            written(rule::LOG_FILE_VALIDATION, &after),
            json!({"LogFileValidationEnabled": true})
        );
        assert_eq!(
            written(rule::MULTI_REGION, &before),
            json!({"IsMultiRegionTrail": false, "IncludeGlobalServiceEvents": false})
        );
        for reported in [
            rule::MANAGEMENT_EVENTS,
            rule::TRAIL_DELETED,
            rule::LOG_ENCRYPTION,
        ] {
            assert_eq!(written(reported, &before), Value::Null, "{reported}");
        }
        assert_eq!(
            written(rule::TRAIL_LOGGING, &TrailState::Deleted),
            Value::Null
        );
    }

    #[test]
    fn the_calls_that_restore_them() {
        let before = live(false, false, false, true);
        let after = live(true, true, true, true);
        let restore =
            |rule: &str| TrailRestore::of(rule, &written(rule, &before), &written(rule, &after));
        let stop = restore(rule::TRAIL_LOGGING).unwrap();
        assert_eq!(stop, TrailRestore::StopLogging);
        assert_eq!(stop.describe(), json!({"call": "StopLogging"}));
        assert_eq!(
            restore(rule::LOG_FILE_VALIDATION).unwrap().describe(),
            json!({"call": "UpdateTrail", "EnableLogFileValidation": false})
        );
        assert_eq!(
            restore(rule::MULTI_REGION).unwrap().describe(),
            json!({"call": "UpdateTrail", "IsMultiRegionTrail": false, "IncludeGlobalServiceEvents": true})
        );
        assert_eq!(
            restore(rule::TRAIL_DELETED),
            Err("trail-guard's trail-deleted only reports: it changed nothing that could be restored".into())
        );
        // A trail that was logging before: trail-guard started nothing.
        assert!(
            TrailRestore::of(
                rule::TRAIL_LOGGING,
                &json!({"IsLogging": true}),
                &json!({"IsLogging": true})
            )
            .unwrap_err()
            .contains("nothing to restore")
        );
        assert!(
            TrailRestore::of(
                rule::MULTI_REGION,
                &json!({"IsMultiRegionTrail": false}),
                &Value::Null
            )
            .unwrap_err()
            .contains("IncludeGlobalServiceEvents")
        );
    }
}
