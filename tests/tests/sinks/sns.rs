//! SNS: README's filter policies pick findings by their message attributes.

use serde_json::{Value, json};
use std::time::Duration;
use warden_shared::Context;
use warden_shared::outcome::Status;
use warden_tests::alerts::{subscribed_queue, topic};
use warden_tests::aws::REGION;
use warden_tests::fixtures::unique;

use super::{ACCOUNT, aws, bucket, check, pipeline, received};

/// README's SNS filter policies work on the message attributes every
/// finding carries: `guard`, `rule`, `outcome` and `severity`.
#[tokio::test]
async fn sns_filter_policies_pick_findings_by_their_attributes() {
    let aws = aws().await;
    let s3 = warden_tests::s3(&aws);
    let topic = topic(&aws, &unique("warden-filters")).await;
    let queue = |filter: Value| {
        let (aws, topic) = (aws.clone(), topic.clone());
        async move { subscribed_queue(&aws, &topic, &unique("warden-filter"), Some(&filter)).await }
    };
    let one_guard = queue(json!({"guard": ["bucket-guard"]})).await;
    let other_guard = queue(json!({"guard": ["mfa-guard"]})).await;
    let critical = queue(json!({"severity": ["critical"]})).await;
    let high = queue(json!({"severity": ["high", "critical"]})).await;
    let tls_to_act_on =
        queue(json!({"rule": ["tls-required"], "outcome": ["notified", "failed"]})).await;

    let name = unique("warden-sink-sns");
    let target = bucket(&s3, &name).await;
    let notify = pipeline(
        &aws,
        &[("WARDEN_MODE", "notify"), ("WARDEN_TOPIC_ARN", &topic)],
    );
    let context = Context::sweep("sweep-sns", ACCOUNT, REGION);
    let outcome = check(&notify, &target, &context).await.unwrap();
    assert_eq!(outcome.status, Status::Notified);

    let rules = |messages: Vec<Value>| {
        let mut rules: Vec<String> = messages
            .iter()
            .map(|m| m["rule"].as_str().unwrap().to_string())
            .collect();
        rules.sort();
        rules
    };
    let wait = Duration::from_secs(10);
    // Waiting for more than should come: a filter that lets too much
    // through fails.
    let quiet = Duration::from_secs(3);
    assert_eq!(
        rules(received(&aws, &one_guard, 3, wait).await),
        ["public-access-block", "tls-required", "tls-version"]
    );
    assert_eq!(
        rules(received(&aws, &high, 3, quiet).await),
        ["public-access-block"]
    );
    assert_eq!(
        rules(received(&aws, &tls_to_act_on, 3, quiet).await),
        ["tls-required"]
    );
    assert!(received(&aws, &critical, 1, quiet).await.is_empty());
    assert!(received(&aws, &other_guard, 1, quiet).await.is_empty());
}
