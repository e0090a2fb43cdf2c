//! Sweeps through the sweep queue and sweeps that run out of time: a tiny
//! budget continues, queued or inline, until every resource is checked
//! once; with the state table, one summary of the whole sweep.

use super::{alerts, count, sweep, topic};
use crate::world::{REGION, World, expected, inline, plant};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Runs shards from `queue` until it is empty; every summary, in order.
async fn consume_all(world: &World, queue: &str, env: &[(String, String)]) -> Vec<Value> {
    let mut summaries = Vec::new();
    for _ in 0..200 {
        let records = world.drain(queue).await;
        if records.is_empty() {
            return summaries;
        }
        let (answers, run) = sweep(env, &[json!({"Records": records})]).await;
        assert_eq!(
            answers[0]["batchItemFailures"],
            json!([]),
            "{:#}\nstderr:\n{}",
            answers[0],
            run.stderr
        );
        summaries.extend(answers[0]["summaries"].as_array().unwrap().iter().cloned());
    }
    panic!("the sweep did not end after 200 rounds");
}

/// A world with the account planted (its names tagged `tag`), and the
/// summary that observing it whole as the sweep `id` comes to.
async fn planted(tag: &str, id: &str) -> (World, Value) {
    let world = World::start().await;
    plant(&world, tag).await;
    let tagged = world.tagged_arns().await.len();
    let full = expected(id, Some("observed"), "observed", tagged);
    (world, full)
}

/// Plans the sweep `id` of `REGION` onto a new queue, in observe mode with
/// `extra` and with all but 30 ms of each invocation's 30 s deadline kept
/// back, so each shard checks a resource or two and sends the rest back to
/// the queue. Returns the queue, the environment and the planning answer.
async fn planned_on_a_tiny_budget(
    world: &World,
    id: &str,
    extra: &[(&str, &str)],
) -> (String, Vec<(String, String)>, Value) {
    let queue = world.queue("sweep").await;
    let mut settings = vec![
        ("WARDEN_SWEEP_QUEUE_URL", queue.as_str()),
        ("WARDEN_SWEEP_RESERVE_MS", "29970"),
    ];
    settings.extend_from_slice(extra);
    let env = world.env("observe", &settings);
    let (answers, _) = sweep(
        &env,
        &[json!({"sweep": {"sweep_id": id, "regions": [REGION]}})],
    )
    .await;
    (queue, env, answers[0].clone())
}

/// Adds up what summaries checked and found.
fn totals(summaries: &[Value]) -> (Value, Value) {
    let mut checked: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_rule: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for s in summaries {
        for (g, n) in s["checked"].as_object().unwrap() {
            *checked.entry(g.clone()).or_default() += n.as_u64().unwrap();
        }
        for (r, statuses) in s["by_rule"].as_object().unwrap() {
            for (st, n) in statuses.as_object().unwrap() {
                *by_rule
                    .entry(r.clone())
                    .or_default()
                    .entry(st.clone())
                    .or_default() += n.as_u64().unwrap();
            }
        }
    }
    (json!(checked), json!(by_rule))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiny_time_budget_continues_until_every_resource_is_checked_once() {
    let (world, full) = planted("budget", "s-budget").await;

    // Queued: the schedule's request plans one shard per (region, type).
    let (queue, env, planned) = planned_on_a_tiny_budget(&world, "s-budget", &[]).await;
    assert_eq!(
        planned,
        json!({"sweep_id": "s-budget", "status": "planned",
            "shards": ["us-east-1/s3-bucket", "us-east-1/iam-user", "us-east-1/cloudtrail-trail", "us-east-1/tagged-resource"]})
    );
    let summaries = consume_all(&world, &queue, &env).await;
    let continued: Vec<&Value> = summaries
        .iter()
        .filter(|s| s["status"] == "continued")
        .collect();
    assert!(!continued.is_empty(), "{summaries:#?}");
    let next = &continued[0]["continuation"];
    assert_eq!(next["sweep_id"], "s-budget");
    assert!(next["cursor"]["pending"].is_array(), "{next:#}");
    assert_eq!(
        totals(&summaries),
        (full["checked"].clone(), full["by_rule"].clone()),
        "each resource checked exactly once"
    );

    // Inline: the continuation comes back in the answer and picks up there.
    world.proxy.clear();
    let env = world.env("observe", &[("WARDEN_SWEEP_RESERVE_MS", "29970")]);
    let mut request = inline("s-budget");
    let mut parts = Vec::new();
    for _ in 0..100 {
        let (answers, run) = sweep(&env, &[request.clone()]).await;
        let summary = answers[0].clone();
        assert_eq!(
            summary["sweep_id"], "s-budget",
            "{summary:#}\nstderr:\n{}",
            run.stderr
        );
        parts.push(summary.clone());
        if summary["status"] == "complete" {
            break;
        }
        assert_eq!(summary["status"], "continued");
        request = json!({"sweep": {"inline": true, "continuation": summary["continuation"]}});
    }
    assert!(parts.len() > 1, "the budget ran out at least once");
    assert_eq!(parts.last().unwrap()["continuation"], Value::Null);
    assert_eq!(
        count(&world, "GetBucketTagging"),
        0,
        "resumed buckets' tags come from the Tagging API too"
    );
    assert_eq!(
        totals(&parts),
        (full["checked"].clone(), full["by_rule"].clone())
    );
}

/// With the state table, a queued sweep keeps its books there: however many
/// shards and continuations it takes, the topic gets one summary, of the
/// whole sweep.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_sweep_with_the_state_table_publishes_one_summary_of_everything() {
    let (world, full) = planted("books", "s-books").await;
    let table = warden_tests::state::create_table(&world.config, "sweep-state").await;
    let (topic_arn, alerts_queue) = topic(&world).await;
    let books = [
        ("WARDEN_STATE_TABLE", table.as_str()),
        ("WARDEN_TOPIC_ARN", topic_arn.as_str()),
    ];
    let (queue, env, planned) = planned_on_a_tiny_budget(&world, "s-books", &books).await;
    assert_eq!(planned["status"], "planned", "{planned:#}");
    let runs = consume_all(&world, &queue, &env).await;

    assert!(
        runs.iter().any(|s| s["status"] == "continued"),
        "the budget ran out at least once: {runs:#?}"
    );
    let published = alerts(&world, &alerts_queue).await;
    assert_eq!(published.len(), 1, "{published:#?}");
    let summary = &published[0];
    assert_eq!(summary["sweep_id"], "s-books");
    assert_eq!(summary["status"], "complete");
    assert_eq!(summary["continuation"], Value::Null);
    assert_eq!(
        (summary["checked"].clone(), summary["by_rule"].clone()),
        (full["checked"].clone(), full["by_rule"].clone()),
        "every shard's every run, once"
    );
}
