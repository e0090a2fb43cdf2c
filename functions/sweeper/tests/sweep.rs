//! The sweeper end to end: its real binary through the local Runtime API,
//! against a private moto holding an account planted before any event.
//! State is read back with the SDK, independently of the guards' adapters.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod world;

use serde_json::{Value, json};
use std::collections::BTreeMap;
use warden_tests::FunctionRun;
use warden_tests::faults::Effect;
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
    assert_eq!(
        timeless(answers[0].clone()),
        expected("s-observe", Some("observed"), "observed", tagged.len()),
        "stderr:\n{}",
        run.stderr
    );
    assert_eq!(
        world.writes(),
        Vec::<String>::new(),
        "observe writes nothing"
    );
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
    let (answers, _) = sweep(&world.env("notify", &with_topic), &[inline("s-notify")]).await;
    assert_eq!(
        timeless(answers[0].clone()),
        expected("s-notify", Some("notified"), "notified", tagged.len())
    );
    assert_eq!(
        world.writes(),
        Vec::<String>::new(),
        "notify writes nothing"
    );
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
    assert_eq!(
        timeless(answers[0].clone()),
        expected("s-fix", Some("remediated"), "notified", tagged.len()),
        "stderr:\n{}",
        run.stderr
    );
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
    let (answers, _) = sweep(&world.env("remediate", &[]), &[inline("s-again")]).await;
    assert_eq!(
        timeless(answers[0].clone()),
        expected("s-again", None, "notified", tagged.len())
    );
    assert_eq!(world.writes(), Vec::<String>::new());
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
async fn buckets_tags_come_a_hundred_at_a_time_and_from_s3_when_the_tagging_api_fails() {
    let world = World::start().await;
    let names: Vec<String> = (0..103).map(|i| format!("sw-bulk-{i:03}")).collect();
    for b in &names {
        bucket::create(&world.s3, b).await;
    }
    // One exempt from the TLS rules at each end of the listing, and one
    // with a tag that exempts nothing.
    for b in [&names[0], &names[102]] {
        bucket::set_tags(
            &world.s3,
            b,
            &[("warden:exempt", "tls-required+tls-version")],
        )
        .await;
    }
    bucket::set_tags(&world.s3, &names[50], &[("team", "data")]).await;
    let request = json!({"sweep": {"inline": true, "sweep_id": "s-bulk", "regions": [REGION], "resource_types": ["s3-bucket"]}});
    let summary = json!({
        "sweep_id": "s-bulk", "status": "complete", "duration_ms": 0,
        "checked": {"bucket-guard": 103},
        "by_rule": {
            "default-encryption": {"observed": 103},
            "public-access-block": {"observed": 103},
            "tls-required": {"observed": 101},
            "tls-version": {"observed": 101},
        },
        "errors": [],
        "continuation": null,
    });

    let (answers, run) = sweep(&world.env("observe", &[]), std::slice::from_ref(&request)).await;
    assert_eq!(
        timeless(answers[0].clone()),
        summary,
        "stderr:\n{}",
        run.stderr
    );
    let listings = bucket_tag_listings(&world);
    assert_eq!(listings.len(), 2, "103 buckets: a call for 100, one for 3");
    let mut asked: Vec<String> = listings.concat();
    asked.sort();
    let every: Vec<String> = names.iter().map(|b| format!("arn:aws:s3:::{b}")).collect();
    assert_eq!(asked, every);
    assert_eq!(count(&world, "GetBucketTagging"), 0);

    // The Tagging API refuses: S3 says each bucket's tags, and the
    // exemptions hold as before.
    world.proxy.clear();
    world.proxy.inject_times("GetResources", Effect::Denied, 2);
    let (answers, run) = sweep(&world.env("observe", &[]), &[request]).await;
    assert_eq!(
        timeless(answers[0].clone()),
        summary,
        "stderr:\n{}",
        run.stderr
    );
    assert_eq!(count(&world, "GetBucketTagging"), 103);
    assert_eq!(count(&world, "GetResources"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_listing_is_followed_to_its_last_page() {
    let world = World::start().await;
    let names: Vec<String> = (1..=4).map(|i| format!("sw-pages-{i}")).collect();
    for b in &names {
        world::compliant_bucket(&world.s3, b).await;
    }
    let users: Vec<String> = (1..=3).map(|i| format!("sw-pages-user-{i}")).collect();
    for u in &users {
        world.iam.create_user().user_name(u).send().await.unwrap();
    }
    let trails = ["sw-pages-trail-1", "sw-pages-trail-2"];
    for t in trails {
        world
            .cloudtrail
            .create_trail()
            .name(t)
            .s3_bucket_name(&names[0])
            .send()
            .await
            .unwrap();
    }
    // GetResources pages for real in moto (100 a page); its reads of one
    // resource's tags share the operation name, so it is not faked.
    let queues: Vec<String> = (1..=105).map(|i| format!("sw-pages-q{i:03}")).collect();
    for q in &queues {
        world
            .sqs
            .create_queue()
            .queue_name(q)
            .tags("team", "a")
            .send()
            .await
            .unwrap();
    }
    let tagged_count = world.tagged_arns().await.len();
    assert!(tagged_count > 100, "{tagged_count}");
    // moto hands each listing out in one page; these are the pages AWS
    // would, each naming the token of the next.
    let xml = "application/xml".to_string();
    let buckets_page = |names: &[String], token: Option<&str>| {
        let buckets: String = names
            .iter()
            .map(|n| format!("<Bucket><Name>{n}</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate><BucketRegion>us-east-1</BucketRegion></Bucket>"))
            .collect();
        let token = token
            .map(|t| format!("<ContinuationToken>{t}</ContinuationToken>"))
            .unwrap_or_default();
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Owner><ID>x</ID></Owner><Buckets>{buckets}</Buckets>{token}</ListAllMyBucketsResult>"
        )
    };
    let users_page = |names: &[String], marker: Option<&str>| {
        let members: String = names
            .iter()
            .map(|n| format!("<member><Path>/</Path><UserName>{n}</UserName><UserId>AIDA{n}</UserId><Arn>arn:aws:iam::123456789012:user/{n}</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate></member>"))
            .collect();
        let more = marker.map_or("<IsTruncated>false</IsTruncated>".to_string(), |m| {
            format!("<IsTruncated>true</IsTruncated><Marker>{m}</Marker>")
        });
        format!(
            "<ListUsersResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ListUsersResult><Users>{members}</Users>{more}</ListUsersResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListUsersResponse>"
        )
    };
    let trail = |n: &str| json!({"TrailARN": format!("arn:aws:cloudtrail:us-east-1:123456789012:trail/{n}"), "Name": n, "HomeRegion": "us-east-1"});
    let json_type = "application/x-amz-json-1.1".to_string();
    let respond = |op: &str, content_type: &String, body: String| {
        world.proxy.inject(
            op,
            Effect::Respond {
                content_type: content_type.clone(),
                body,
            },
        );
    };
    respond(
        "ListBuckets",
        &xml,
        buckets_page(&names[..3], Some("buckets-2")),
    );
    respond("ListBuckets", &xml, buckets_page(&names[3..], None));
    respond(
        "ListUsers",
        &"text/xml".to_string(),
        users_page(&users[..2], Some("users-2")),
    );
    respond(
        "ListUsers",
        &"text/xml".to_string(),
        users_page(&users[2..], None),
    );
    respond(
        "ListTrails",
        &json_type,
        json!({"Trails": [trail(trails[0])], "NextToken": "trails-2"}).to_string(),
    );
    respond(
        "ListTrails",
        &json_type,
        json!({"Trails": [trail(trails[1])]}).to_string(),
    );

    let (answers, run) = sweep(&world.env("observe", &[]), &[inline("s-pages")]).await;
    let summary = &answers[0];
    assert_eq!(
        summary["checked"],
        json!({"bucket-guard": 4, "mfa-guard": 3, "tag-guard": tagged_count, "trail-guard": 2}),
        "{summary:#}\nstderr:\n{}",
        run.stderr
    );
    assert_eq!(summary["errors"], json!([]));
    // The second page of each was asked for with the first page's token.
    let calls = world.proxy.calls();
    let second = |op: &str| {
        calls
            .iter()
            .filter(|c| c.operation == op)
            .nth(1)
            .map(|c| c.body.clone())
            .unwrap_or_default()
    };
    assert!(
        second("ListUsers").contains("Marker=users-2"),
        "{}",
        second("ListUsers")
    );
    assert!(
        second("ListTrails").contains("trails-2"),
        "{}",
        second("ListTrails")
    );
    let listings: Vec<&String> = calls
        .iter()
        .filter(|c| c.operation == "GetResources" && c.body.contains("ResourcesPerPage"))
        .map(|c| &c.body)
        .collect();
    assert_eq!(listings.len(), 2, "{listings:?}");
    assert!(listings[1].contains("PaginationToken"), "{}", listings[1]);
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.operation == "ListBuckets")
            .count(),
        2
    );
}

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
    let world = World::start().await;
    plant(&world, "budget").await;
    let tagged = world.tagged_arns().await.len();
    let full = expected("s-budget", Some("observed"), "observed", tagged);

    // Queued: the schedule's request plans one shard per (region, type);
    // with all but 30 ms of the 30 s deadline kept back, each shard checks a
    // resource or two and sends the rest back to the queue.
    let queue = world.queue("sweep").await;
    let env = world.env(
        "observe",
        &[
            ("WARDEN_SWEEP_QUEUE_URL", queue.as_str()),
            ("WARDEN_SWEEP_RESERVE_MS", "29970"),
        ],
    );
    let (answers, _) = sweep(
        &env,
        &[json!({"sweep": {"sweep_id": "s-budget", "regions": [REGION]}})],
    )
    .await;
    assert_eq!(
        answers[0],
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_is_retried_and_what_stays_throttled_is_reported() {
    let world = World::start().await;
    plant(&world, "throttle").await;
    let tagged = world.tagged_arns().await.len();

    // Throttled twice, then answered: the adaptive retries absorb it.
    world
        .proxy
        .inject_times("GetBucketPolicy", Effect::Throttle, 2);
    world.proxy.inject_times("ListUsers", Effect::Throttle, 1);
    let (answers, run) = sweep(&world.env("observe", &[]), &[inline("s-throttled")]).await;
    assert_eq!(
        timeless(answers[0].clone()),
        expected("s-throttled", Some("observed"), "observed", tagged),
        "stderr:\n{}",
        run.stderr
    );

    // Throttled past every retry: that listing, and that resource, are
    // error lines naming the call; the sweep goes on with the rest.
    world.proxy.clear();
    world.proxy.inject_times("ListUsers", Effect::Throttle, 20);
    world.proxy.inject_times("GetTrail", Effect::Throttle, 20);
    let request = json!({"sweep": {"inline": true, "sweep_id": "s-stuck", "regions": [REGION],
        "resource_types": ["iam-user", "cloudtrail-trail", "s3-bucket"]}});
    let (answers, run) = sweep(&world.env("observe", &[]), &[request]).await;
    let summary = &answers[0];
    assert_eq!(
        summary["checked"],
        json!({"bucket-guard": 6, "mfa-guard": 0, "trail-guard": 0}),
        "{summary:#}\nstderr:\n{}",
        run.stderr
    );
    let errors = summary["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{summary:#}");
    assert_eq!(
        (
            &errors[0]["resource_type"],
            &errors[0]["region"],
            &errors[0]["resource"]
        ),
        (&json!("iam-user"), &json!(REGION), &Value::Null)
    );
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("ListUsers on IAM users was still throttled"),
        "{}",
        errors[0]
    );
    assert_eq!(errors[1]["resource_type"], "cloudtrail-trail");
    assert_eq!(
        errors[1]["resource"],
        "arn:aws:cloudtrail:us-east-1:123456789012:trail/sw-throttle-trail"
    );
    assert!(
        errors[1]["message"]
            .as_str()
            .unwrap()
            .starts_with("GetTrail on arn:aws:cloudtrail"),
        "{}",
        errors[1]
    );
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

/// With the state table, a queued sweep keeps its books there: however many
/// shards and continuations it takes, the topic gets one summary, of the
/// whole sweep.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_sweep_with_the_state_table_publishes_one_summary_of_everything() {
    let world = World::start().await;
    plant(&world, "books").await;
    let tagged = world.tagged_arns().await.len();
    let full = expected("s-books", Some("observed"), "observed", tagged);
    let table = warden_tests::state::create_table(&world.config, "sweep-state").await;
    let (topic_arn, alerts_queue) = topic(&world).await;
    let queue = world.queue("sweep").await;
    let env = world.env(
        "observe",
        &[
            ("WARDEN_SWEEP_QUEUE_URL", queue.as_str()),
            ("WARDEN_SWEEP_RESERVE_MS", "29970"),
            ("WARDEN_STATE_TABLE", table.as_str()),
            ("WARDEN_TOPIC_ARN", topic_arn.as_str()),
        ],
    );

    let (answers, _) = sweep(
        &env,
        &[json!({"sweep": {"sweep_id": "s-books", "regions": [REGION]}})],
    )
    .await;
    assert_eq!(answers[0]["status"], "planned", "{:#}", answers[0]);
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
