//! The sweeper end to end: its real binary through the local Runtime API,
//! against a private moto holding an account planted before any event.
//! State is read back with the SDK, independently of the guards' adapters.
//! How listings page, batch and fail is in `sweep/listings.rs`; queued
//! sweeps and continuations are in `sweep/queue.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "sweep/listings.rs"]
mod listings;
#[path = "sweep/queue.rs"]
mod queue;
mod world;

use serde_json::{Value, json};
use std::collections::BTreeMap;
use warden_tests::FunctionRun;
use world::{REGION, World, bucket, expected, inline, plant, snapshot, timeless};

/// The sweeper binary Cargo built for these tests, over `events`.
async fn sweep(env: &[(String, String)], events: &[Value]) -> (Vec<Value>, FunctionRun) {
    world::sweep_with(
        std::path::Path::new(env!("CARGO_BIN_EXE_sweeper")),
        env,
        events,
    )
    .await
}

/// The first answer is `summary`, its duration aside; the run's stderr
/// shows why when it is not.
#[track_caller]
fn assert_summary(answers: &[Value], run: &FunctionRun, summary: &Value) {
    assert_eq!(
        timeless(answers[0].clone()),
        *summary,
        "stderr:\n{}",
        run.stderr
    );
}

/// The proxy has seen no write since it was last cleared.
#[track_caller]
fn assert_wrote_nothing(world: &World, why: &str) {
    assert_eq!(world.writes(), Vec::<String>::new(), "{why}");
}

/// Every message the alerts queue holds, parsed.
async fn alerts(world: &World, queue: &str) -> Vec<Value> {
    world
        .drain(queue)
        .await
        .iter()
        .map(|r| serde_json::from_str(r["body"].as_str().unwrap()).unwrap())
        .collect()
}

/// A topic with a queue subscribed (raw delivery): what the sweep publishes.
async fn topic(world: &World) -> (String, String) {
    let alerts = warden_tests::Alerts::subscribe(&world.config, "sweep-alerts").await;
    let queue = world
        .sqs
        .get_queue_url()
        .queue_name("sweep-alerts")
        .send()
        .await
        .unwrap();
    (
        alerts.topic_arn.clone(),
        queue.queue_url().unwrap().to_string(),
    )
}

/// How many calls of `operation` the proxy has seen since it was cleared.
fn count(world: &World, operation: &str) -> usize {
    world
        .proxy
        .seen()
        .iter()
        .filter(|op| *op == operation)
        .count()
}

/// The ARN lists of the `GetResources` calls that named buckets (the
/// sweep's reads of buckets' tags, and tag-guard's of a tagged bucket).
fn bucket_tag_listings(world: &World) -> Vec<Vec<String>> {
    world
        .proxy
        .calls()
        .into_iter()
        .filter(|c| c.operation == "GetResources" && c.body.contains("arn:aws:s3:::"))
        .map(|c| {
            let body: Value = serde_json::from_str(&c.body).unwrap();
            body["ResourceARNList"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
                .collect()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planted_account_swept_in_each_mode_through_the_runtime_loop() {
    let world = World::start().await;
    let planted = plant(&world, "modes").await;
    let (topic_arn, alerts_queue) = topic(&world).await;
    let tagged = world.tagged_arns().await;
    let topic_arn_pii = format!("arn:aws:sns:{REGION}:123456789012:{}", planted.pii_topic);
    assert!(tagged.contains(&topic_arn_pii), "{tagged:?}");
    let before = snapshot(&world, &planted).await;
    let with_topic = [("WARDEN_TOPIC_ARN", topic_arn.as_str())];

    // observe: the findings, nothing written, nothing published but the summary.
    let (answers, run) = sweep(&world.env("observe", &with_topic), &[inline("s-observe")]).await;
    let observed = expected("s-observe", Some("observed"), "observed", tagged.len());
    assert_summary(&answers, &run, &observed);
    assert_wrote_nothing(&world, "observe writes nothing");
    assert_eq!(snapshot(&world, &planted).await, before);
    // A sweep that writes nothing has the Tagging API say the buckets' tags,
    // all in one call.
    assert_eq!(count(&world, "GetBucketTagging"), 0);
    let bad = format!("arn:aws:s3:::{}", planted.violating[0]);
    let lists: Vec<Vec<String>> = bucket_tag_listings(&world)
        .into_iter()
        .filter(|l| l.contains(&bad))
        .collect();
    assert_eq!(lists.len(), 1, "{lists:?}");
    for b in planted.compliant.iter().chain(&planted.violating) {
        assert!(
            lists[0].contains(&format!("arn:aws:s3:::{b}")),
            "{b}: {lists:?}"
        );
    }
    let published = alerts(&world, &alerts_queue).await;
    assert_eq!(published.len(), 1, "{published:#?}");
    assert_eq!(timeless(published[0].clone()), timeless(answers[0].clone()));
    // Each finding is logged with the sweep as its trigger, and counted.
    let lines = run.log_lines();
    let findings: Vec<&Value> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "finding")
        .collect();
    assert_eq!(findings.len(), 17);
    let finding: Value =
        serde_json::from_str(findings[0]["fields"]["finding"].as_str().unwrap()).unwrap();
    assert_eq!(
        finding["trigger"],
        json!({"sweep": {"sweep_id": "s-observe"}})
    );
    assert_eq!(finding["event_id"], Value::Null);
    let emf: Vec<Value> = warden_tests::parse_log_lines(&run.stdout)
        .into_iter()
        .filter(|l| l.get("SweepFindings").is_some())
        .collect();
    assert_eq!(emf.len(), 7, "one metric per rule and status");
    assert!(emf.contains(&json!({"_aws": emf[0]["_aws"], "rule": "tls-required", "status": "observed", "SweepFindings": 3})));

    // notify: every finding published, and the summary once.
    world.proxy.clear();
    let (answers, run) = sweep(&world.env("notify", &with_topic), &[inline("s-notify")]).await;
    let notified = expected("s-notify", Some("notified"), "notified", tagged.len());
    assert_summary(&answers, &run, &notified);
    assert_wrote_nothing(&world, "notify writes nothing");
    let publishes = world
        .proxy
        .seen()
        .iter()
        .filter(|op| *op == "Publish")
        .count();
    assert_eq!(publishes, 18, "17 findings and the summary");
    assert_eq!(snapshot(&world, &planted).await, before);
    let published = alerts(&world, &alerts_queue).await;
    let summaries: Vec<&Value> = published
        .iter()
        .filter(|m| m.get("sweep_id").is_some())
        .collect();
    assert_eq!(summaries.len(), 1);
    let mut rules: BTreeMap<String, usize> = BTreeMap::new();
    for m in published.iter().filter(|m| m.get("rule").is_some()) {
        assert_eq!(m["trigger"], json!({"sweep": {"sweep_id": "s-notify"}}));
        *rules
            .entry(m["rule"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(
        rules,
        BTreeMap::from([
            ("console-mfa".to_string(), 1),
            ("default-encryption".to_string(), 4),
            ("log-encryption".to_string(), 1),
            ("public-access-block".to_string(), 4),
            ("sensitive-tag".to_string(), 1),
            ("tls-required".to_string(), 3),
            ("tls-version".to_string(), 3),
        ])
    );

    // remediate: every fixable finding fixed and read back; the trail's KMS
    // key is a person's to choose. Each bucket's tags come from S3 itself.
    world.proxy.clear();
    let (answers, run) = sweep(&world.env("remediate", &with_topic), &[inline("s-fix")]).await;
    let remediated = expected("s-fix", Some("remediated"), "notified", tagged.len());
    assert_summary(&answers, &run, &remediated);
    for b in &planted.violating {
        let view = bucket::view(&world.s3, b).await;
        assert_eq!(view.encryption, bucket::AES256());
        assert_eq!(view.public_access_block, bucket::ALL_ON());
        assert_eq!(
            view.policy,
            Some(
                json!({"Version": "2012-10-17", "Statement": [bucket::tls_required_statement(b), bucket::tls_version_statement(b)]})
            )
        );
    }
    let exempt = bucket::view(&world.s3, &planted.exempt).await;
    assert_eq!(
        (exempt.encryption, exempt.policy),
        (bucket::AES256(), None),
        "the TLS rules are exempt"
    );
    assert!(
        bucket_tag_listings(&world).iter().all(|l| l.len() == 1),
        "only tag-guard's read of the tagged bucket names one"
    );
    assert!(count(&world, "GetBucketTagging") >= 6);
    let after = snapshot(&world, &planted).await;
    assert_eq!(after["quarantined"], json!([world.quarantine_policy]));
    assert_eq!(after["pii_tags"], json!({"owner": "redacted:email"}));
    for b in &planted.compliant {
        assert_eq!(
            after["buckets"][b], before["buckets"][b],
            "a compliant bucket is left alone"
        );
    }
    alerts(&world, &alerts_queue).await;

    // A second sweep of the unchanged account writes nothing.
    world.proxy.clear();
    let (answers, run) = sweep(&world.env("remediate", &[]), &[inline("s-again")]).await;
    let unchanged = expected("s-again", None, "notified", tagged.len());
    assert_summary(&answers, &run, &unchanged);
    assert_wrote_nothing(&world, "the unchanged account needs no fix");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_setting_stops_the_start_and_a_bad_request_names_what_is_expected() {
    let world = World::start().await;
    let (_, run) = sweep(
        &world.env("observe", &[("WARDEN_SWEEP_CONCURRENCY", "lots")]),
        &[inline("s")],
    )
    .await;
    let init = run.init_error.expect("an init error");
    assert_eq!(init["errorType"], "Warden.InvalidConfiguration");
    assert_eq!(
        init["errorMessage"],
        r#"WARDEN_SWEEP_CONCURRENCY="lots" is not valid: use a whole number from 1 to 256"#
    );

    let (answers, _) = sweep(
        &world.env("observe", &[]),
        &[
            json!({"sweep": {"inline": true, "resource_types": ["buckets"]}}),
            json!({"sweep": {}}),
        ],
    )
    .await;
    assert!(
        answers[0]["message"]
            .as_str()
            .unwrap()
            .contains("s3-bucket, iam-user, cloudtrail-trail, tagged-resource"),
        "{}",
        answers[0]
    );
    assert_eq!(
        answers[1]["message"],
        "WARDEN_SWEEP_QUEUE_URL is not set: planning a sweep needs the sweep queue; run a sweep in one invocation with {\"sweep\": {\"inline\": true}}"
    );
}
