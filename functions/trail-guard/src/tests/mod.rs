//! The rules and the plan, from fixtures: no I/O. How events are read is
//! in [`reading`].

mod reading;

use super::*;
use rules::{DELETED_WHY, KMS_WHY};
use selectors::{BasicSelector, Selectors};
use serde_json::json;
use warden_shared::{Assessment, Exemption, Scope, Severity, rule::assess};

const ARN: &str = "arn:aws:cloudtrail:us-east-1:123456789012:trail/management";

fn guard() -> TrailGuard {
    TrailGuard {
        require_kms_key: true,
    }
}

fn trail() -> Trail {
    Trail::new("management", "us-east-1", "123456789012")
}

fn evidence(call: TrailCall) -> TrailEvidence {
    TrailEvidence {
        call,
        named_as: "management".into(),
    }
}

/// A trail that meets every rule.
fn healthy() -> TrailSettings {
    TrailSettings {
        is_logging: true,
        log_file_validation: true,
        is_multi_region: true,
        include_global_service_events: true,
        kms_key_id: Some("arn:aws:kms:us-east-1:123456789012:key/k".into()),
        selectors: Selectors::default(),
    }
}

/// A trail that breaks every setting a rule looks at.
fn weakest() -> TrailSettings {
    TrailSettings {
        is_logging: false,
        log_file_validation: false,
        is_multi_region: false,
        include_global_service_events: false,
        kms_key_id: None,
        selectors: Selectors {
            basic: vec![BasicSelector {
                read_write_type: Some("ReadOnly".into()),
                include_management_events: Some(false),
            }],
            advanced: vec![],
        },
    }
}

fn update(validation: Option<bool>, multi_region: Option<bool>) -> TrailCall {
    TrailCall::UpdateTrail {
        enable_log_file_validation: validation,
        is_multi_region_trail: multi_region,
    }
}

/// Every rule in force on `state`, with what the event did (`None`: the
/// resource path), and the plan of their fixes.
fn evaluate(
    guard: &TrailGuard,
    evidence: Option<&TrailEvidence>,
    state: &TrailState,
    exemption: &Exemption,
) -> Assessment<TrailPlan> {
    let target = trail();
    let input = Input {
        target: &target,
        state,
        evidence,
    };
    assess(guard, &input, exemption)
}

fn run(call: TrailCall, settings: TrailSettings) -> Assessment<TrailPlan> {
    evaluate(
        &guard(),
        Some(&evidence(call)),
        &TrailState::Live(settings),
        &Exemption::None,
    )
}

fn summary(a: &Assessment<TrailPlan>) -> Vec<(&str, Option<Severity>, bool)> {
    a.findings
        .iter()
        .map(|p| {
            (
                p.finding.rule.as_str(),
                p.finding.severity,
                p.blocked.is_none(),
            )
        })
        .collect()
}

#[test]
fn a_stopped_trail_is_started_again() {
    let a = run(
        TrailCall::StopLogging,
        TrailSettings {
            is_logging: false,
            ..healthy()
        },
    );
    assert_eq!(
        summary(&a),
        vec![("trail-logging", Some(Severity::High), true)]
    );
    assert_eq!(a.findings[0].finding.resource, ARN);
    assert_eq!(
        serde_json::to_value(&a.findings[0].finding.changes).unwrap(),
        json!([{"action": "start-logging", "before": {"IsLogging": false}, "after": {"IsLogging": true}}])
    );
    assert_eq!(
        a.plan,
        TrailPlan {
            start_logging: true,
            ..Default::default()
        }
    );
    assert!(
        run(TrailCall::StopLogging, healthy()).findings.is_empty(),
        "already logging again: nothing to do"
    );
}

#[test]
fn only_proven_weakenings_are_restored() {
    let weak = TrailSettings {
        is_logging: false,
        log_file_validation: false,
        is_multi_region: false,
        ..healthy()
    };
    assert!(
        run(update(None, None), weak.clone()).findings.is_empty(),
        "an UpdateTrail that did not touch them imposes nothing"
    );
    assert!(
        run(update(Some(true), Some(true)), weak.clone())
            .findings
            .is_empty()
    );
    let a = run(update(Some(false), None), weak.clone());
    assert_eq!(
        summary(&a),
        vec![("log-file-validation", Some(Severity::Medium), true)]
    );
    assert_eq!(
        a.plan,
        TrailPlan {
            enable_log_file_validation: true,
            ..Default::default()
        }
    );
}

#[test]
fn single_region_goes_back_to_multi_region_with_global_events() {
    let a = run(
        update(Some(false), Some(false)),
        TrailSettings {
            log_file_validation: false,
            is_multi_region: false,
            include_global_service_events: false,
            ..healthy()
        },
    );
    assert_eq!(
        summary(&a),
        vec![
            ("log-file-validation", Some(Severity::Medium), true),
            ("multi-region", Some(Severity::High), true)
        ]
    );
    assert_eq!(
        a.findings[1].finding.evidence,
        "UpdateTrail made the trail single-region (isMultiRegionTrail: false); it now records events in us-east-1 only"
    );
    assert_eq!(
        serde_json::to_value(&a.findings[1].finding.changes).unwrap(),
        json!([{"action": "update-trail", "before": {"IsMultiRegionTrail": false, "IncludeGlobalServiceEvents": false},
                "after": {"IsMultiRegionTrail": true, "IncludeGlobalServiceEvents": true}}])
    );
    assert_eq!(
        a.plan,
        TrailPlan {
            start_logging: false,
            enable_log_file_validation: true,
            make_multi_region: true,
            include_global_service_events: true
        }
    );
    let a = run(
        update(None, Some(false)),
        TrailSettings {
            is_multi_region: false,
            ..healthy()
        },
    );
    assert!(
        !a.plan.include_global_service_events,
        "global service events already on are not sent again"
    );
}

#[test]
fn selectors_without_write_management_events_are_reported_only() {
    let call = TrailCall::PutEventSelectors {
        summary: "eventSelectors [readWriteType=ReadOnly]".into(),
    };
    let read_only = TrailSettings {
        selectors: Selectors {
            basic: vec![BasicSelector {
                read_write_type: Some("ReadOnly".into()),
                include_management_events: Some(true),
            }],
            advanced: vec![],
        },
        ..healthy()
    };
    let a = run(call.clone(), read_only);
    assert_eq!(
        summary(&a),
        vec![("management-events", Some(Severity::High), false)]
    );
    assert_eq!(
        a.findings[0].finding.evidence,
        "the trail no longer records write management events: PutEventSelectors set eventSelectors [readWriteType=ReadOnly]"
    );
    assert_eq!(a.plan, TrailPlan::default());
    assert!(run(call, healthy()).findings.is_empty());
}

#[test]
fn a_deleted_trail_is_critical_and_reported_only() {
    let deletion = evidence(TrailCall::DeleteTrail);
    let a = evaluate(
        &guard(),
        Some(&deletion),
        &TrailState::Deleted,
        &Exemption::None,
    );
    assert_eq!(
        summary(&a),
        vec![("trail-deleted", Some(Severity::Critical), false)]
    );
    assert_eq!(a.findings[0].blocked.as_deref(), Some(DELETED_WHY));
    assert_eq!(
        a.findings[0].finding.evidence,
        "DeleteTrail deleted the trail (requestParameters.name: management); nothing is recorded for it any more and its settings are gone"
    );
    assert!(
        run(TrailCall::DeleteTrail, healthy()).findings.is_empty(),
        "a trail of that name exists again"
    );
}

#[test]
fn what_a_missing_trail_means_depends_on_the_event() {
    let g = guard();
    assert_eq!(
        g.missing(Some(&evidence(TrailCall::DeleteTrail))),
        Some(TrailState::Deleted)
    );
    assert_eq!(g.missing(Some(&evidence(TrailCall::StopLogging))), None);
    assert_eq!(g.missing(None), None, "a sweep skips a trail that is gone");
}

#[test]
fn logs_without_a_kms_key_are_a_lower_severity_report() {
    let no_key = TrailSettings {
        kms_key_id: None,
        ..healthy()
    };
    let a = run(TrailCall::StopLogging, no_key.clone());
    assert_eq!(
        summary(&a),
        vec![("log-encryption", Some(Severity::Medium), false)]
    );
    assert_eq!(a.findings[0].blocked.as_deref(), Some(KMS_WHY));
    let lenient = TrailGuard {
        require_kms_key: false,
    };
    assert!(
        evaluate(
            &lenient,
            Some(&evidence(TrailCall::StopLogging)),
            &TrailState::Live(no_key),
            &Exemption::None
        )
        .findings
        .is_empty()
    );
}

#[test]
fn the_resource_path_runs_only_log_encryption() {
    let a = evaluate(
        &guard(),
        None,
        &TrailState::Live(weakest()),
        &Exemption::None,
    );
    assert_eq!(
        summary(&a),
        vec![("log-encryption", Some(Severity::Medium), false)],
        "without an event nothing proves the trail was logging, validated or multi-region"
    );
    assert_eq!(a.plan, TrailPlan::default());
    assert!(
        evaluate(&guard(), None, &TrailState::Deleted, &Exemption::None)
            .findings
            .is_empty()
    );
    let scopes: Vec<(&str, Scope)> = rules::ALL.iter().map(|r| (r.name(), r.scope())).collect();
    assert_eq!(
        scopes,
        vec![
            ("trail-logging", Scope::Event),
            ("log-file-validation", Scope::Event),
            ("multi-region", Scope::Event),
            ("management-events", Scope::Event),
            ("trail-deleted", Scope::Event),
            ("log-encryption", Scope::Standing),
        ]
    );
}

#[test]
fn exemptions_switch_off_only_their_rules() {
    let weak = TrailSettings {
        is_logging: false,
        kms_key_id: None,
        ..healthy()
    };
    let a = evaluate(
        &guard(),
        Some(&evidence(TrailCall::StopLogging)),
        &TrailState::Live(weak),
        &Exemption::Rules(vec!["log-encryption".into()]),
    );
    assert_eq!(
        summary(&a),
        vec![("trail-logging", Some(Severity::High), true)]
    );
    let a = evaluate(
        &guard(),
        Some(&evidence(TrailCall::DeleteTrail)),
        &TrailState::Deleted,
        &Exemption::Rules(vec!["trail-deleted".into()]),
    );
    assert!(a.findings.is_empty());
}

#[test]
fn settings() {
    let empty: [(&str, &str); 0] = [];
    assert_eq!(TrailGuard::from_env(&empty[..]).unwrap(), guard());
    assert!(
        !TrailGuard::from_env(&[("WARDEN_REQUIRE_TRAIL_KMS_KEY", "false")][..])
            .unwrap()
            .require_kms_key
    );
    assert_eq!(
        TrailGuard::from_env(&[("WARDEN_REQUIRE_TRAIL_KMS_KEY", "no")][..])
            .unwrap_err()
            .to_string(),
        r#"WARDEN_REQUIRE_TRAIL_KMS_KEY="no" is not valid: use one of true, false"#
    );
}

#[test]
fn the_role_needs_exactly_these_actions() {
    assert_eq!(
        warden_shared::guard::permissions(&guard()),
        vec![
            "cloudtrail:GetEventSelectors",
            "cloudtrail:GetTrail",
            "cloudtrail:GetTrailStatus",
            "cloudtrail:ListTags",
            "cloudtrail:StartLogging",
            "cloudtrail:UpdateTrail",
        ]
    );
}
