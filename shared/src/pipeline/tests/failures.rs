//! Fixes that fail, are refused or are raced, and what the read-back finds.

use super::*;

fn denied() -> GuardError {
    GuardError::AccessDenied {
        operation: "Fix",
        permission: "fake:Fix",
        resource: arn("thing"),
        message: "not authorized".into(),
    }
}

#[tokio::test]
async fn a_fix_no_retry_can_help_fails_the_check_and_still_reports_its_findings() {
    let store = thing(&["a", "b"]);
    store.faults.lock().unwrap().push(Fault::Fail(denied()));
    let (outcome, store) = handle(store, Mode::Remediate, event("Change")).await;
    assert_eq!(
        summary(&outcome),
        (
            Status::Failed,
            Some(
                "Fix on arn:aws:fake:::thing was denied: grant the function's role `fake:Fix` on it (not authorized): grant the permission to the function's role; Warden checks again on the next change or sweep"
            ),
            vec![("a", false), ("b", false)]
        )
    );
    assert_eq!(
        store.breaks("thing"),
        Some(vec!["a", "b"]),
        "nothing was changed"
    );
}

#[tokio::test]
async fn a_fix_a_retry_may_help_is_an_invocation_error() {
    let store = thing(&["a"]);
    store
        .faults
        .lock()
        .unwrap()
        .push(Fault::Fail(GuardError::Throttled {
            operation: "Fix",
            resource: arn("thing"),
        }));
    let pipeline = pipeline(store, Mode::Remediate);
    let err = pipeline.handle(event("Change")).await.unwrap_err();
    assert_eq!(err.error_type(), "Warden.Throttled");
    assert!(
        err.to_string().starts_with("Fix on arn:aws:fake:::thing"),
        "{err}"
    );
}

#[tokio::test]
async fn a_resource_changed_under_the_fix_is_checked_again_from_a_fresh_read() {
    let store = thing(&["a"]);
    store
        .faults
        .lock()
        .unwrap()
        .push(Fault::ChangedTo(vec!["b"]));
    let (outcome, store) = handle(store, Mode::Remediate, event("Change")).await;
    assert_eq!(
        summary(&outcome),
        (Status::Remediated, None, vec![("b", true)]),
        "the plan was made again from what the resource holds now"
    );
    assert_eq!(*store.applies.lock().unwrap(), 2);

    let store = thing(&["a"]);
    store
        .faults
        .lock()
        .unwrap()
        .extend([Fault::ChangedTo(vec!["a"]), Fault::ChangedTo(vec!["a"])]);
    let (outcome, _) = handle(store, Mode::Remediate, event("Change")).await;
    assert_eq!(outcome.status, Status::Failed);
    assert_eq!(
        outcome.reason.as_deref(),
        Some(
            "arn:aws:fake:::thing changed again while it was being fixed (someone else wrote); nothing more was written: check it by hand"
        )
    );
}

#[tokio::test]
async fn a_violation_found_on_the_read_back_is_reported_and_fixed() {
    let store = thing(&["a"]);
    store.side_effect.lock().unwrap().push("b");
    let (outcome, store) = handle(store, Mode::Remediate, event("Change")).await;
    assert_eq!(
        summary(&outcome),
        (Status::Remediated, None, vec![("a", true), ("b", true)])
    );
    assert_eq!(store.breaks("thing"), Some(vec![]));
    assert_eq!(*store.applies.lock().unwrap(), 2, "one more round for b");
}

#[tokio::test]
async fn a_blocked_violation_found_on_the_read_back_is_reported() {
    let store = thing(&["a"]);
    store.side_effect.lock().unwrap().push("b");
    let (outcome, _) = handle_with(
        Fake { blocked: vec!["b"] },
        store,
        Mode::Remediate,
        event("Change"),
    )
    .await;
    assert_eq!(summary(&outcome), b_held_a_fixed());
}

#[tokio::test]
async fn events_that_are_not_cloudtrail_records_are_skipped_before_any_read() {
    let store = thing(&["a"]);
    *store.invisible_reads.lock().unwrap() = u32::MAX;
    let guardduty = json!({"id": "gd-1", "detail-type": "GuardDuty Finding", "source": "aws.guardduty",
                           "detail": {"id": "f-1", "type": "Recon:EC2/PortProbeUnprotectedPort"}});
    let (outcome, store) = handle(store, Mode::Remediate, guardduty).await;
    assert_eq!(
        serde_json::to_value(&outcome).unwrap(),
        json!({"guard": "fake-guard", "trigger": {"event": {"event_id": "gd-1", "event_name": null}},
               "event_id": "gd-1", "event_name": null, "status": "skipped",
               "reason": "not a CloudTrail event (detail-type `GuardDuty Finding`)", "findings": []})
    );
    assert_eq!(
        *store.invisible_reads.lock().unwrap(),
        u32::MAX,
        "no read was made"
    );
}
