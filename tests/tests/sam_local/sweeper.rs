//! Every file in `events/sweeper/` through `SweeperFunction` under
//! `sam local`, against a private emulator holding the account the
//! sweeper's own tests plant (buckets, users, trails, tagged resources, all
//! there before any event): the schedule's request plans the shards onto
//! the sweep queue, a queued shard is swept, and the inline sweeps come to
//! the exact summaries of `sweep_world::expected`, in observe mode (nothing
//! changes) and in remediate mode (every fixable finding fixed, read back).
//! That a second sweep writes nothing is the sweeper's own runtime-loop
//! test's to show.

use std::time::Instant;

use serde_json::{Value, json};
use tokio::task::block_in_place;
use warden_tests::fixtures::GuardEvents;
use warden_tests::sam_local::SamLocal;
use warden_tests::sam_local::suite::{
    Report, answer, compare, record_every_file_sent, start_lambda,
};

use super::sweep_world::{REGION, World, bucket, expected, plant, snapshot, timeless};

pub(crate) const FUNCTION: &str = "SweeperFunction";
const LABEL: &str = "sweeper";
const EVENTS: GuardEvents = GuardEvents {
    guard: "sweeper",
    sample: "",
};

/// `full` narrowed to what one part of the sweep checks: `guard`'s count
/// and `rules`' findings.
fn part(full: &Value, id: &str, guard: &str, rules: &[&str]) -> Value {
    let by_rule: serde_json::Map<String, Value> = rules
        .iter()
        .map(|r| (r.to_string(), full["by_rule"][r].clone()))
        .collect();
    json!({"sweep_id": id, "status": "complete", "duration_ms": 0,
        "checked": {guard: full["checked"][guard]},
        "by_rule": by_rule, "errors": [], "continuation": null})
}

/// An answer's summary with its duration zeroed.
fn settled(got: Result<Value, String>) -> Result<Value, String> {
    got.map(timeless)
}

/// Every file of `events/sweeper/` through `SweeperFunction` under `sam`
/// (which must have prepared it), against a private moto on `address` (the
/// Docker bridge's gateway).
pub(crate) async fn every_event_file(sam: &SamLocal, address: &str) -> Report {
    let mut report = Report::default();
    let world = World::start_on(address).await;
    let planted = plant(&world, "sam").await;
    let tagged = world.tagged_arns().await.len();
    let before = snapshot(&world, &planted).await;
    let queue = world.queue("sam-sweep").await;
    let endpoint = world.moto.endpoint().to_string();
    let regions = [("WARDEN_SWEEP_REGIONS", REGION)];
    let mut covered: Vec<&str> = Vec::new();

    // observe, in one warm container: the schedule's plan, a queued shard,
    // and both inline sweeps.
    let observe = world.env_at(
        &endpoint,
        "observe",
        &[regions[0], ("WARDEN_SWEEP_QUEUE_URL", queue.as_str())],
    );
    let Some(server) = start_lambda(sam, FUNCTION, observe, LABEL, &mut report) else {
        return report;
    };

    covered.push("scheduled.json");
    let started = Instant::now();
    let got = answer(block_in_place(|| {
        server.invoke_with_aws_cli(FUNCTION, &EVENTS.as_shipped("scheduled.json"))
    }));
    let took = started.elapsed();
    let mut problems = Vec::new();
    // The sweep is named after the invocation's request id.
    let sweep_id = got
        .as_ref()
        .ok()
        .and_then(|a| a["sweep_id"].as_str())
        .unwrap_or_default()
        .to_string();
    let types = [
        "s3-bucket",
        "iam-user",
        "cloudtrail-trail",
        "tagged-resource",
    ];
    compare(
        &mut problems,
        "the plan",
        &got,
        &json!({"sweep_id": sweep_id, "status": "planned",
            "shards": types.iter().map(|t| format!("{REGION}/{t}")).collect::<Vec<_>>()}),
    );
    if sweep_id.is_empty() {
        problems.push("the plan names no sweep_id".into());
    }
    let mut queued: Vec<Value> = world
        .drain(&queue)
        .await
        .iter()
        .map(|r| serde_json::from_str(r["body"].as_str().unwrap_or_default()).unwrap_or_default())
        .collect();
    queued.sort_by_key(|s| s["resource_type"].to_string());
    let mut want: Vec<Value> = types
        .iter()
        .map(
            |t| json!({"sweep_id": sweep_id, "region": REGION, "resource_type": t, "cursor": null}),
        )
        .collect();
    want.sort_by_key(|s| s["resource_type"].to_string());
    if queued != want {
        problems.push(format!(
            "the sweep queue holds\n  got      {queued:?}\n  expected {want:?}"
        ));
    }
    report.record(
        LABEL,
        "scheduled.json",
        "observe, start-lambda + aws lambda invoke",
        took,
        problems,
    );

    let observed = expected("-", Some("observed"), "observed", tagged);
    let how = "observe, start-lambda";
    // An event file as shipped, over start-lambda's own HTTP call: the
    // answer and how long the call took.
    let mut send = |file: &'static str| {
        covered.push(file);
        let started = Instant::now();
        let got = answer(block_in_place(|| {
            server.call(FUNCTION, &EVENTS.as_shipped(file))
        }));
        (got, started.elapsed())
    };
    let (got, took) = send("shard-iam-users.json");
    let got = got.map(|mut a| {
        for s in a["summaries"].as_array_mut().into_iter().flatten() {
            *s = timeless(s.clone());
        }
        a
    });
    let mut problems = Vec::new();
    compare(
        &mut problems,
        "the batch response",
        &got,
        &json!({"batchItemFailures": [],
            "summaries": [part(&observed, "sweep-demo-queued", "mfa-guard", &["console-mfa"])]}),
    );
    report.record(LABEL, "shard-iam-users.json", how, took, problems);

    let (got, took) = send("inline-buckets.json");
    let got = settled(got);
    let mut problems = Vec::new();
    let bucket_rules = [
        "default-encryption",
        "tls-required",
        "tls-version",
        "public-access-block",
    ];
    compare(
        &mut problems,
        "the summary",
        &got,
        &part(
            &observed,
            "sweep-demo-buckets",
            "bucket-guard",
            &bucket_rules,
        ),
    );
    report.record(LABEL, "inline-buckets.json", how, took, problems);

    let (got, took) = send("inline.json");
    let got = settled(got);
    let mut problems = Vec::new();
    compare(
        &mut problems,
        "the summary",
        &got,
        &expected("sweep-demo", Some("observed"), "observed", tagged),
    );
    if snapshot(&world, &planted).await != before {
        problems.push("observe mode changed the planted account".into());
    }
    report.record(LABEL, "inline.json", how, took, problems);
    drop(server);

    // remediate, through `sam local invoke`: every fixable finding fixed
    // and read back.
    let remediate = world.env_at(&endpoint, "remediate", &regions);
    let started = Instant::now();
    let got = settled(answer(block_in_place(|| {
        sam.run(FUNCTION, &EVENTS.as_shipped("inline.json"), &remediate)
            .map(|run| run.result)
    })));
    let mut problems = Vec::new();
    compare(
        &mut problems,
        "the summary",
        &got,
        &expected("sweep-demo", Some("remediated"), "notified", tagged),
    );
    for b in &planted.violating {
        let view = bucket::view(&world.s3, b).await;
        let fixed = (
            view.encryption == bucket::AES256(),
            view.public_access_block == bucket::ALL_ON(),
            view.policy
                == Some(json!({"Version": "2012-10-17", "Statement": [
                    bucket::tls_required_statement(b), bucket::tls_version_statement(b)]})),
        );
        if fixed != (true, true, true) {
            problems.push(format!(
                "{b} is not fixed (encryption, Block Public Access, policy): {fixed:?}"
            ));
        }
    }
    let after = snapshot(&world, &planted).await;
    if after["quarantined"] != json!([world.quarantine_policy]) {
        problems.push(format!(
            "the user without MFA is not quarantined: {}",
            after["quarantined"]
        ));
    }
    if after["pii_tags"] != json!({"owner": "redacted:email"}) {
        problems.push(format!(
            "the e-mail address tag is not redacted: {}",
            after["pii_tags"]
        ));
    }
    for b in &planted.compliant {
        if after["buckets"][b] != before["buckets"][b] {
            problems.push(format!("the compliant bucket {b} was changed"));
        }
    }
    report.record(
        LABEL,
        "inline.json",
        "remediate, sam local invoke",
        started.elapsed(),
        problems,
    );

    record_every_file_sent(&mut report, LABEL, &EVENTS, &covered);
    report
}
