//! Modes, read-back, skips, eventual consistency, exemptions, scopes,
//! both ways in, and events that name several resources.

use super::*;

#[tokio::test]
async fn observe_and_notify_report_the_plan_and_change_nothing() {
    for (mode, status) in [
        (Mode::Observe, Status::Observed),
        (Mode::Notify, Status::Notified),
    ] {
        let (outcome, store) = change(&["a", "b"], mode).await;
        assert_eq!(
            summary(&outcome),
            (status, None, vec![("a", false), ("b", false)])
        );
        assert_eq!(*store.applies.lock().unwrap(), 0);
        assert_eq!(store.breaks("thing"), Some(vec!["a", "b"]));
    }
}

#[tokio::test]
async fn the_outcome_says_what_started_the_check() {
    let (outcome, _) = change(&["a"], Mode::Observe).await;
    assert_eq!(
        serde_json::to_value(&outcome).unwrap(),
        json!({"guard": "fake-guard", "trigger": {"event": {"event_id": "e-1", "event_name": "Change"}},
               "event_id": "e-1", "event_name": "Change", "status": "observed",
               "findings": [{"rule": "a", "resource": "arn:aws:fake:::thing", "evidence": "a is broken",
                             "changes": [], "applied": false, "severity": "medium"}]})
    );
}

#[tokio::test]
async fn remediate_confirms_each_fix_by_reading_back() {
    let (outcome, store) = change(&["a", "b"], Mode::Remediate).await;
    assert_eq!(
        summary(&outcome),
        (Status::Remediated, None, vec![("a", true), ("b", true)])
    );
    assert_eq!(store.breaks("thing"), Some(vec![]));
    let (outcome, store) = handle(store, Mode::Remediate, event("Change")).await;
    assert_eq!(summary(&outcome), (Status::Compliant, None, vec![]));
    assert_eq!(
        *store.applies.lock().unwrap(),
        1,
        "a compliant resource is not written"
    );
}

#[tokio::test]
async fn a_fix_that_does_not_hold_is_a_failure() {
    let mut store = thing(&["a"]);
    store.broken_apply = true;
    let (outcome, _) = handle(store, Mode::Remediate, event("Change")).await;
    assert_eq!(
        summary(&outcome),
        (
            Status::Failed,
            Some("read-back after the change still breaks: a"),
            vec![("a", false)]
        )
    );
}

#[tokio::test]
async fn unsafe_fixes_are_notified_and_the_rest_applied() {
    let (outcome, store) = handle_with(
        Fake { blocked: vec!["b"] },
        thing(&["a", "b"]),
        Mode::Remediate,
        event("Change"),
    )
    .await;
    assert_eq!(summary(&outcome), b_held_a_fixed());
    assert_eq!(store.breaks("thing"), Some(vec!["b"]));

    let (outcome, store) = handle_with(
        Fake { blocked: vec!["b"] },
        thing(&["b"]),
        Mode::Remediate,
        event("Change"),
    )
    .await;
    assert_eq!(
        summary(&outcome),
        (
            Status::Notified,
            Some("b needs a human"),
            vec![("b", false)]
        )
    );
    assert_eq!(*store.applies.lock().unwrap(), 0);
}

#[tokio::test]
async fn skips_come_before_any_read() {
    let mut failed = event("Change");
    failed["detail"]["errorCode"] = json!("AccessDenied");
    let mut read_only = event("Change");
    read_only["detail"]["readOnly"] = json!(true);
    let mut own = event("Change");
    own["detail"]["userIdentity"] = json!({"type": "AssumedRole",
        "arn": "arn:aws:sts::123456789012:assumed-role/warden-Fn-1/s",
        "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::123456789012:role/warden-Fn-1"}}});
    let mut own_and_ignored = own.clone();
    own_and_ignored["detail"]["eventName"] = json!("Ignore");
    for (event, reason) in [
        (failed, "the call failed (AccessDenied), so nothing changed"),
        (read_only, "read-only call"),
        (
            super::tests::event("Describe"),
            "Describe is not an event fake-guard handles",
        ),
        (
            own,
            "caused by Warden itself (arn:aws:sts::123456789012:assumed-role/warden-Fn-1/s)",
        ),
        (
            own_and_ignored,
            "caused by Warden itself (arn:aws:sts::123456789012:assumed-role/warden-Fn-1/s)",
        ),
        (super::tests::event("Ignore"), "the guard ignores it"),
    ] {
        let store = thing(&["a"]);
        *store.invisible_reads.lock().unwrap() = u32::MAX;
        let (outcome, store) = handle(store, Mode::Remediate, event).await;
        assert_eq!(summary(&outcome), (Status::Skipped, Some(reason), vec![]));
        assert_eq!(
            *store.invisible_reads.lock().unwrap(),
            u32::MAX,
            "no read was made"
        );
    }
}

#[tokio::test]
async fn a_malformed_event_names_the_field() {
    let mut bad = event("Change");
    bad["detail"]["requestParameters"] = json!({});
    let (outcome, _) = handle(Store::default(), Mode::Remediate, bad).await;
    assert_eq!(
        summary(&outcome),
        (
            Status::Failed,
            Some("malformed event: event field `detail.requestParameters.names` is missing"),
            vec![]
        )
    );
}

#[tokio::test(start_paused = true)]
async fn a_resource_just_created_gets_a_short_retry() {
    let store = thing(&["a"]);
    *store.invisible_reads.lock().unwrap() = 2;
    let (outcome, _) = handle(store, Mode::Observe, event("Create")).await;
    assert_eq!(outcome.status, Status::Observed);

    let store = thing(&["a"]);
    *store.invisible_reads.lock().unwrap() = 4;
    let (outcome, _) = handle(store, Mode::Observe, event("Create")).await;
    assert_eq!(
        summary(&outcome),
        (
            Status::Skipped,
            Some("arn:aws:fake:::thing no longer exists"),
            vec![]
        )
    );

    let store = thing(&["a"]);
    *store.invisible_reads.lock().unwrap() = 1;
    let (outcome, _) = handle(store, Mode::Observe, event("Change")).await;
    assert_eq!(
        outcome.status,
        Status::Skipped,
        "no retry for a change to an existing resource"
    );
}

#[tokio::test]
async fn exemptions() {
    let mut store = thing(&["a", "b"]);
    store.tags = vec![("warden:exempt".into(), "all".into())];
    let (outcome, _) = handle(store, Mode::Remediate, event("Change")).await;
    assert_eq!(
        summary(&outcome),
        (
            Status::Skipped,
            Some("arn:aws:fake:::thing is exempt from every rule (tag warden:exempt)"),
            vec![]
        )
    );

    let mut store = thing(&["a", "b"]);
    store.tags = vec![("warden:exempt".into(), "b".into())];
    let (outcome, _) = handle(store, Mode::Remediate, event("Change")).await;
    assert_eq!(
        summary(&outcome),
        (Status::Remediated, None, vec![("a", true)])
    );

    let mut store = thing(&["a"]);
    store.tags = vec![("warden:exempt".into(), "all until=2001-01-01".into())];
    let (outcome, _) = handle(store, Mode::Observe, event("Change")).await;
    assert_eq!(
        summary(&outcome),
        (Status::Observed, None, vec![("a", false)])
    );
}

#[tokio::test]
async fn event_rules_run_on_the_event_path_only() {
    let (outcome, _) = change(&["a", "e"], Mode::Observe).await;
    assert_eq!(
        summary(&outcome).2,
        vec![("a", false), ("e", false)],
        "an event proves what rule e needs"
    );

    let pipeline = pipeline(thing(&["a", "e"]), Mode::Remediate);
    let context = Context::sweep("sweep-1", "123456789012", "us-east-1");
    let outcome = pipeline
        .check_resource(&Thing { arn: arn("thing") }, &context)
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&outcome).unwrap(),
        json!({"guard": "fake-guard", "trigger": {"sweep": {"sweep_id": "sweep-1"}},
               "event_id": null, "event_name": null, "status": "remediated",
               "findings": [{"rule": "a", "resource": "arn:aws:fake:::thing", "evidence": "a is broken",
                             "changes": [], "applied": true, "severity": "medium"}]}),
        "a sweep runs the standing rules only, through the same apply and read-back"
    );
    assert_eq!(pipeline.adapter.breaks("thing"), Some(vec!["e"]));
}

#[tokio::test]
async fn each_resource_of_an_event_is_checked_on_its_own() {
    let mut store = Store::with(&[("x", &["a"]), ("y", &["b"]), ("z", &[])]);
    store.broken_apply = false;
    let (outcome, store) = handle_with(
        Fake { blocked: vec!["b"] },
        store,
        Mode::Remediate,
        event_on("Change", &["x", "y", "z", "gone"]),
    )
    .await;
    let value = serde_json::to_value(&outcome).unwrap();
    assert_eq!(value["status"], "notified");
    assert_eq!(value["reason"], "b needs a human");
    assert_eq!(
        value["resources"],
        json!([
            {"resource": "arn:aws:fake:::x", "status": "remediated"},
            {"resource": "arn:aws:fake:::y", "status": "notified", "reason": "b needs a human"},
            {"resource": "arn:aws:fake:::z", "status": "compliant"},
            {"resource": "arn:aws:fake:::gone", "status": "skipped", "reason": "arn:aws:fake:::gone no longer exists"}
        ])
    );
    assert_eq!(
        summary(&outcome).2,
        vec![("a", true), ("b", false)],
        "every resource's findings, in order"
    );
    assert_eq!(store.breaks("x"), Some(vec![]));
    assert_eq!(store.breaks("y"), Some(vec!["b"]));
}
