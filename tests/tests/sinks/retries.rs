//! Sinks that throttle, fail or take only part of a delivery.

use serde_json::json;
use warden_shared::Context;
use warden_shared::outcome::Status;
use warden_shared::sinks::securityhub::{SecurityHub, finding_id};
use warden_tests::aws::REGION;
use warden_tests::fixtures::unique;

use super::{
    ACCOUNT, GUARD, behind_a_fault_proxy, bucket, check, eventbridge_sdk, imports_through,
    pipeline, states, the_finding,
};

/// Throttling or a 5xx from Security Hub or EventBridge never loses a
/// finding: the SDK retries, then the invocation fails with an error Lambda
/// retries (and the dead-letter queue keeps the event after that); the
/// retried check delivers it. A partial `PutEvents` failure is an error too.
#[tokio::test]
async fn throttling_and_partial_failures_fail_the_invocation_retryably() {
    use warden_tests::faults::Effect;
    let (proxy, aws) = behind_a_fault_proxy().await;
    let s3 = warden_tests::s3(&aws);
    let hub = SecurityHub::new(&aws);
    let name = unique("warden-sink-faults");
    let target = bucket(&s3, &name).await;
    let arn = format!("arn:aws:s3:::{name}");
    let context = Context::sweep("sweep-faults", ACCOUNT, REGION);
    let bus = unique("warden-faults");
    eventbridge_sdk::Client::new(&aws)
        .create_event_bus()
        .name(&bus)
        .send()
        .await
        .unwrap();
    let sinks = pipeline(
        &aws,
        &[("WARDEN_SECURITY_HUB", "true"), ("WARDEN_EVENT_BUS", &bus)],
    );

    // Security Hub throttles every attempt: three, then the error.
    proxy.inject_times("POST /findings/import", Effect::Throttle, u32::MAX);
    let err = check(&sinks, &target, &context).await.unwrap_err();
    assert_eq!(err.error_type(), "Warden.Throttled", "{err}");
    assert!(err.retryable());
    assert_eq!(
        err.to_string(),
        "BatchImportFindings on arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default was still throttled after the SDK's retries; Lambda will retry the event"
    );
    let imports = imports_through(&proxy);
    assert_eq!(imports, 3, "{:?}", proxy.seen());
    proxy.clear();

    // A 500 from EventBridge: retryable too, naming the call.
    proxy.inject_times("PutEvents", Effect::ServerError, u32::MAX);
    let err = check(&sinks, &target, &context).await.unwrap_err();
    assert_eq!(err.error_type(), "Warden.AwsError", "{err}");
    assert!(err.retryable());
    assert!(
        err.to_string()
            .starts_with(&format!("PutEvents on {bus} failed")),
        "{err}"
    );
    proxy.clear();

    // One entry EventBridge could not take fails the delivery, naming it.
    proxy.inject(
        "PutEvents",
        Effect::Respond {
            content_type: "application/x-amz-json-1.1".into(),
            body: json!({"FailedEntryCount": 1, "Entries": [
                {"EventId": "e-1"},
                {"ErrorCode": "InternalFailure", "ErrorMessage": "try again"},
                {"EventId": "e-3"}
            ]})
            .to_string(),
        },
    );
    let err = check(&sinks, &target, &context).await.unwrap_err();
    assert!(err.retryable(), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "PutEvents on {bus} failed: 1 of 3 entries failed; the first: InternalFailure: try again"
        )
    );

    // Lambda's retry, with the services answering again, delivers it.
    let outcome = check(&sinks, &target, &context).await.unwrap();
    assert_eq!(outcome.status, Status::Observed);
    let tls = the_finding(&hub, &finding_id(GUARD, "tls-required", &arn)).await;
    assert_eq!(states(&tls).0, "FAILED");
}
