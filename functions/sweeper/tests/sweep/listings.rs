//! How the sweep lists: buckets' tags a hundred at a time from the Tagging
//! API (and from S3 when it fails), every listing followed to its last
//! page, and throttling retried or reported.

use super::{assert_summary, bucket_tag_listings, count, sweep};
use crate::world::{self, REGION, World, bucket, expected, inline, plant};
use serde_json::{Value, json};
use warden_tests::faults::Effect;

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
    assert_summary(&answers, &run, &summary);
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
    assert_summary(&answers, &run, &summary);
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
    let observed = expected("s-throttled", Some("observed"), "observed", tagged);
    assert_summary(&answers, &run, &observed);

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
