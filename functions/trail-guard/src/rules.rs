//! trail-guard's six rules, each a unit: a pure check over the trail's state
//! (and, for five of them, what the event did) and a pure fix.
//!
//! Only an event proves that a trail was logging (`StopLogging`), validated
//! or multi-region (`UpdateTrail` turning it off), that its selectors were
//! changed (`PutEventSelectors`) or that it was deleted (`DeleteTrail`):
//! those rules are [`Scope::Event`], so Warden restores what an event took
//! away and never imposes a setting a trail never had. `log-encryption`
//! stands on the trail's state alone and also runs on a sweep.

use crate::calls::{GET_EVENT_SELECTORS, GET_TRAIL, GET_TRAIL_STATUS, START_LOGGING, UPDATE_TRAIL};
use crate::{TrailCall, TrailFix, TrailGuard, TrailSettings, TrailState, rule};
use serde_json::json;
use warden_shared::{Calls, Found, Input, Meta, Remedy, Rule, RuleSpec, Severity};

/// Every rule, in the order findings are reported.
pub static ALL: [&dyn Rule<TrailGuard>; 6] = [
    &TrailLogging,
    &LogFileValidation,
    &MultiRegion,
    &ManagementEvents,
    &TrailDeleted,
    &LogEncryption,
];

pub const DELETED_WHY: &str = "a deleted trail cannot be restored, and Warden never creates a trail of its own: recreate it from its source and review what happened while it was gone";
pub const SELECTORS_WHY: &str = "changed event selectors are not undone: Warden cannot tell which selectors the trail had before (restore them with PutEventSelectors)";
pub const KMS_WHY: &str = "Warden does not choose a KMS key for a trail (the key policy must let CloudTrail use it): set one with UpdateTrail --kms-key-id";

/// What the event did, and the settings of the trail it did it to (none on
/// the resource path, or for a trail that is gone).
fn event_on_live<'a>(
    input: &'a Input<'_, TrailGuard>,
) -> Option<(&'a TrailCall, &'a TrailSettings)> {
    Some((&input.evidence?.call, input.state.live()?))
}

/// A trail that was logging (the `StopLogging` event proves it) is logging;
/// fixed with `StartLogging` on the same trail.
pub struct TrailLogging;

impl RuleSpec<TrailGuard> for TrailLogging {
    type Found = ();
    const META: Meta = Meta::event(
        rule::TRAIL_LOGGING,
        Severity::High,
        Calls::reads(&[GET_TRAIL_STATUS]).fixes(&[START_LOGGING]),
    );

    fn check(&self, _: &TrailGuard, input: &Input<'_, TrailGuard>) -> Vec<Found<()>> {
        match event_on_live(input) {
            Some((TrailCall::StopLogging, settings)) if !settings.is_logging => vec![Found::new(
                "StopLogging stopped the trail: it was logging until then and is not logging now",
                (),
            )],
            _ => vec![],
        }
    }

    fn fix(&self, _: &TrailGuard, _: &Input<'_, TrailGuard>, _: &()) -> Remedy<TrailFix> {
        Remedy::one(
            TrailFix::StartLogging,
            "start-logging",
            json!({"IsLogging": false}),
            json!({"IsLogging": true}),
        )
    }
}

/// Log file validation, turned off by `UpdateTrail`, is on again.
pub struct LogFileValidation;

impl RuleSpec<TrailGuard> for LogFileValidation {
    type Found = ();
    const META: Meta = Meta::event(
        rule::LOG_FILE_VALIDATION,
        Severity::Medium,
        Calls::reads(&[GET_TRAIL]).fixes(&[UPDATE_TRAIL]),
    );

    fn check(&self, _: &TrailGuard, input: &Input<'_, TrailGuard>) -> Vec<Found<()>> {
        match event_on_live(input) {
            Some((
                TrailCall::UpdateTrail {
                    enable_log_file_validation: Some(false),
                    ..
                },
                settings,
            )) if !settings.log_file_validation => vec![Found::new(
                "UpdateTrail turned log file validation off (enableLogFileValidation: false); it is still off",
                (),
            )],
            _ => vec![],
        }
    }

    fn fix(&self, _: &TrailGuard, _: &Input<'_, TrailGuard>, _: &()) -> Remedy<TrailFix> {
        Remedy::one(
            TrailFix::EnableLogFileValidation,
            "update-trail",
            json!({"LogFileValidationEnabled": false}),
            json!({"LogFileValidationEnabled": true}),
        )
    }
}

/// A trail made single-region by `UpdateTrail` is multi-region again, with
/// global service events on (AWS requires them on a multi-region trail).
pub struct MultiRegion;

impl RuleSpec<TrailGuard> for MultiRegion {
    /// Whether the trail includes global service events now.
    type Found = bool;
    const META: Meta = Meta::event(
        rule::MULTI_REGION,
        Severity::High,
        Calls::reads(&[GET_TRAIL]).fixes(&[UPDATE_TRAIL]),
    );

    fn check(&self, _: &TrailGuard, input: &Input<'_, TrailGuard>) -> Vec<Found<bool>> {
        match event_on_live(input) {
            Some((
                TrailCall::UpdateTrail {
                    is_multi_region_trail: Some(false),
                    ..
                },
                settings,
            )) if !settings.is_multi_region => {
                let evidence = format!(
                    "UpdateTrail made the trail single-region (isMultiRegionTrail: false); it now records events in {} only",
                    input.target.region
                );
                vec![Found::new(evidence, settings.include_global_service_events)]
            }
            _ => vec![],
        }
    }

    fn fix(
        &self,
        _: &TrailGuard,
        _: &Input<'_, TrailGuard>,
        global_events: &bool,
    ) -> Remedy<TrailFix> {
        Remedy::one(
            TrailFix::MakeMultiRegion {
                include_global_service_events: !global_events,
            },
            "update-trail",
            json!({"IsMultiRegionTrail": false, "IncludeGlobalServiceEvents": global_events}),
            json!({"IsMultiRegionTrail": true, "IncludeGlobalServiceEvents": true}),
        )
    }
}

/// After `PutEventSelectors` the trail still records write management
/// events; reported only, with the request's selectors summarised.
pub struct ManagementEvents;

impl RuleSpec<TrailGuard> for ManagementEvents {
    type Found = ();
    const META: Meta = Meta::event(
        rule::MANAGEMENT_EVENTS,
        Severity::High,
        Calls::reads(&[GET_EVENT_SELECTORS]),
    );

    fn check(&self, _: &TrailGuard, input: &Input<'_, TrailGuard>) -> Vec<Found<()>> {
        match event_on_live(input) {
            Some((TrailCall::PutEventSelectors { summary }, settings))
                if !settings.selectors.records_write_management_events() =>
            {
                let evidence = format!(
                    "the trail no longer records write management events: PutEventSelectors set {summary}"
                );
                vec![Found::new(evidence, ())]
            }
            _ => vec![],
        }
    }

    fn fix(&self, _: &TrailGuard, _: &Input<'_, TrailGuard>, _: &()) -> Remedy<TrailFix> {
        Remedy::manual(SELECTORS_WHY)
    }
}

/// No trail is deleted: a `DeleteTrail` whose trail is gone is reported;
/// Warden never creates a trail of its own. A trail of that name that exists
/// again is not a deletion.
pub struct TrailDeleted;

impl RuleSpec<TrailGuard> for TrailDeleted {
    type Found = ();
    /// The deletion is read as `GetTrail` finding no trail.
    const META: Meta = Meta::event(
        rule::TRAIL_DELETED,
        Severity::Critical,
        Calls::reads(&[GET_TRAIL]),
    );

    fn check(&self, _: &TrailGuard, input: &Input<'_, TrailGuard>) -> Vec<Found<()>> {
        match (input.evidence, input.state) {
            (Some(evidence), TrailState::Deleted) if evidence.call == TrailCall::DeleteTrail => {
                let evidence = format!(
                    "DeleteTrail deleted the trail (requestParameters.name: {}); nothing is recorded for it any more and its settings are gone",
                    evidence.named_as
                );
                vec![Found::new(evidence, ())]
            }
            _ => vec![],
        }
    }

    fn fix(&self, _: &TrailGuard, _: &Input<'_, TrailGuard>, _: &()) -> Remedy<TrailFix> {
        Remedy::manual(DELETED_WHY)
    }
}

/// The trail's log files are encrypted with a KMS key (SSE-KMS), when
/// `RequireTrailKmsKey`; reported only, Warden never picks a key.
pub struct LogEncryption;

impl RuleSpec<TrailGuard> for LogEncryption {
    type Found = ();
    const META: Meta = Meta::standing(
        rule::LOG_ENCRYPTION,
        Severity::Medium,
        Calls::reads(&[GET_TRAIL]),
    );

    fn check(&self, guard: &TrailGuard, input: &Input<'_, TrailGuard>) -> Vec<Found<()>> {
        match input.state.live() {
            Some(settings) if guard.require_kms_key && settings.kms_key_id.is_none() => {
                vec![Found::new(
                    "the trail's log files are not encrypted with a KMS key (SSE-KMS); they have only the S3 bucket's default encryption",
                    (),
                )]
            }
            _ => vec![],
        }
    }

    fn fix(&self, _: &TrailGuard, _: &Input<'_, TrailGuard>, _: &()) -> Remedy<TrailFix> {
        Remedy::manual(KMS_WHY)
    }
}
