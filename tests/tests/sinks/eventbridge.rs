//! EventBridge: each finding reaches a rule on the findings bus as the
//! record SNS and the logs carry, matching the shipped sample events.

use serde_json::{Value, json};
use std::time::Duration;
use warden_shared::config::Mode;
use warden_shared::outcome::Status;
use warden_shared::record::FindingRecord;
use warden_shared::{CloudTrailEvent, Context};
use warden_tests::alerts::queue;
use warden_tests::fixtures::unique;

use super::{GUARD, aws, bucket, eventbridge_sdk, pipeline, received};

/// A queue that an EventBridge rule on `bus` with `pattern` sends to.
async fn rule_to_queue(
    aws: &aws_config::SdkConfig,
    bus: &str,
    name: &str,
    pattern: &Value,
) -> String {
    let events = eventbridge_sdk::Client::new(aws);
    let (queue_url, queue_arn) = queue(&aws_sdk_sqs::Client::new(aws), name).await;
    events
        .put_rule()
        .name(name)
        .event_bus_name(bus)
        .event_pattern(pattern.to_string())
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule(name)
        .event_bus_name(bus)
        .targets(
            eventbridge_sdk::types::Target::builder()
                .id("queue")
                .arn(queue_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    queue_url
}

#[tokio::test]
async fn findings_reach_an_eventbridge_rule() {
    let aws = aws().await;
    let s3 = warden_tests::s3(&aws);
    let events = eventbridge_sdk::Client::new(&aws);
    let bus = unique("warden-findings");
    events.create_event_bus().name(&bus).send().await.unwrap();
    let all = rule_to_queue(
        &aws,
        &bus,
        &unique("warden-all"),
        &json!({"source": ["warden"]}),
    )
    .await;
    // README's "only critical" pattern: nothing here is critical.
    let critical = rule_to_queue(
        &aws,
        &bus,
        &unique("warden-critical"),
        &json!({"source": ["warden"], "detail-type": ["Warden Finding"], "detail": {"severity": ["critical"]}}),
    )
    .await;

    let name = unique("warden-sink-bus");
    bucket(&s3, &name).await;
    let arn = format!("arn:aws:s3:::{name}");
    let text = include_str!("../../../events/bucket-guard/delete-bucket-policy.json")
        .replace("warden-demo-bucket", &name);
    let raw: Value = serde_json::from_str(&text).unwrap();
    let observe = pipeline(&aws, &[("WARDEN_EVENT_BUS", bus.as_str())]);
    let outcome = Box::pin(observe.handle(raw.clone())).await.unwrap();
    assert_eq!(outcome.status, Status::Observed);
    let mut rules: Vec<&str> = outcome.findings.iter().map(|f| f.rule.as_str()).collect();
    rules.sort_unstable();
    assert_eq!(
        rules,
        ["public-access-block", "tls-required", "tls-version"]
    );

    let delivered = received(&aws, &all, 3, Duration::from_secs(20)).await;
    assert_eq!(delivered.len(), 3, "{delivered:#?}");
    // Each detail is exactly the finding record SNS and the logs carry.
    let event = CloudTrailEvent::parse(&raw).unwrap();
    let context = Context::of_event(&event);
    for finding in &outcome.findings {
        let expected = serde_json::to_value(FindingRecord::new(
            GUARD,
            finding,
            &context,
            Mode::Observe,
            (outcome.status, None),
        ))
        .unwrap();
        let got = delivered
            .iter()
            .find(|e| e["detail"]["rule"] == json!(finding.rule))
            .unwrap_or_else(|| panic!("no event for {}", finding.rule));
        assert_eq!(got["source"], json!("warden"));
        assert_eq!(got["detail-type"], json!("Warden Finding"));
        assert_eq!(got["resources"], json!([arn]));
        assert_eq!(got["detail"], expected);
    }
    let tls = delivered
        .iter()
        .find(|e| e["detail"]["rule"] == json!("tls-required"))
        .unwrap();
    assert_eq!(tls["detail"]["guard"], json!("bucket-guard"));
    assert_eq!(tls["detail"]["event_name"], json!("DeleteBucketPolicy"));
    assert_eq!(
        tls["detail"]["event_id"],
        json!("4f0d8a5c-6e1b-4c9d-8a57-0b3d6c1e8f54")
    );
    assert_eq!(tls["detail"]["outcome"], json!("observed"));
    assert_eq!(tls["detail"]["mode"], json!("observe"));
    assert_eq!(tls["detail"]["severity"], json!("medium"));
    assert_eq!(tls["detail"]["applied"], json!(false));

    // The shipped sample is what Warden puts, down to the byte: only
    // the bucket, the mode and the outcome differ.
    let sample: Value = serde_json::from_str(
        &include_str!("../../../events/findings/tls-required-notified.json")
            .replace("warden-demo-bucket", &name),
    )
    .unwrap();
    let mut detail = sample["detail"].clone();
    detail["mode"] = json!("observe");
    detail["outcome"] = json!("observed");
    assert_eq!(tls["detail"], detail);
    for key in ["version", "detail-type", "source", "resources"] {
        assert_eq!(tls[key], sample[key], "{key}");
    }

    assert!(
        received(&aws, &critical, 1, Duration::from_secs(2))
            .await
            .is_empty()
    );
}

/// The remediated sample is the notified one with the fix made and
/// confirmed: the rule patterns in README tell them apart by these fields.
#[test]
fn the_sample_events_differ_by_their_outcome() {
    let notified: Value = serde_json::from_str(include_str!(
        "../../../events/findings/tls-required-notified.json"
    ))
    .unwrap();
    let remediated: Value = serde_json::from_str(include_str!(
        "../../../events/findings/tls-required-remediated.json"
    ))
    .unwrap();
    let mut expected = notified["detail"].clone();
    expected["mode"] = json!("remediate");
    expected["outcome"] = json!("remediated");
    expected["applied"] = json!(true);
    assert_eq!(remediated["detail"], expected);
    for sample in [&notified, &remediated] {
        assert_eq!(sample["source"], json!("warden"));
        assert_eq!(sample["detail-type"], json!("Warden Finding"));
        assert_eq!(sample["resources"], json!([sample["detail"]["resource"]]));
    }
}
