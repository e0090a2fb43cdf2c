//! tag-guard's own edge cases (the generic suites in `suites.rs` run every
//! event file in every mode): remove mode, stale events, the allow-list,
//! exempt resources, and the leak test: a planted secret must appear nowhere
//! Warden writes.

// Tests and benchmarks: a failed expectation is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture;

use fixture::*;
use serde_json::Value;
use std::path::Path;
use tag_guard::shapes::ResourceRef;
use tag_guard::tagging::Tagging;
use tag_guard::{TagChange, TagPlan, TagTarget, fingerprint};
use warden_shared::{Adapter, Applied};
use warden_tests::fixtures::{function_env, handle, unique_id};
use warden_tests::run_function;

const BINARY: &str = env!("CARGO_BIN_EXE_tag-guard");

/// Asserts the resource's tags as they are now, read back with the SDK.
async fn assert_tags(emu: &Emulator, arn: &str, expected: &[(&str, &str)]) {
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(tags_of(&emu.config, arn).await, expected, "{arn}");
}

/// The settings a case runs with: every guard's, and tag-guard's `own`.
fn settings(mode: &str, own: &[(&str, &str)]) -> Vec<(String, String)> {
    warden_tests::fixtures::settings(mode, SELF_ROLE, own)
}

#[tokio::test]
async fn remove_mode_deletes_only_the_offending_tag() {
    let emu = emulator().await;
    let env = settings("remediate", &[("WARDEN_TAG_ACTION", "remove")]);
    let event = seeded(&emu.endpoint, "iam-tag-user.json");
    let arn = format!(
        "arn:aws:iam::123456789012:user/{}",
        params(&event)["userName"].as_str().unwrap()
    );

    let outcome = handle(&pipeline(&emu, &env), event).await;

    assert_eq!(outcome["status"], "remediated");
    assert_eq!(outcome["findings"][0]["changes"][0]["action"], "remove-tag");
    assert_eq!(outcome["findings"][0]["changes"][0]["after"], Value::Null);
    assert_tags(&emu, &arn, &[("team", "payments")]).await;
}

#[tokio::test]
async fn a_stale_event_is_judged_on_the_tags_as_they_are_now() {
    let emu = emulator().await;
    let event = seeded(&emu.endpoint, "iam-tag-user.json");
    let user = params(&event)["userName"].as_str().unwrap().to_string();
    // Someone fixed the tag by hand before the function ran.
    let iam = aws_sdk_iam::Client::new(&emu.config);
    let tag = aws_sdk_iam::types::Tag::builder()
        .key("phone")
        .value("see the on-call rota")
        .build()
        .unwrap();
    iam.tag_user()
        .user_name(&user)
        .tags(tag)
        .send()
        .await
        .unwrap();

    let outcome = handle(&pipeline(&emu, &settings("remediate", &[])), event.clone()).await;

    assert_eq!(outcome, fixture::outcome(&event, "compliant", None, vec![]));
    let arn = format!("arn:aws:iam::123456789012:user/{user}");
    assert_tags(
        &emu,
        &arn,
        &[("phone", "see the on-call rota"), ("team", "payments")],
    )
    .await;
}

#[tokio::test]
async fn allow_listed_values_are_never_flagged() {
    let emu = emulator().await;
    let env = settings("remediate", &[("WARDEN_ALLOW", "@customer-corp.com")]);
    let event = seeded(&emu.endpoint, "sns-tag-resource.json");
    let outcome = handle(&pipeline(&emu, &env), event.clone()).await;
    assert_eq!(outcome, fixture::outcome(&event, "compliant", None, vec![]));
}

/// A unique secret in a tag, the function run with debug logging in
/// `remediate` mode with alerts on: the secret, and any 8-character run of
/// it, must appear nowhere in the outcome, the logs, the metrics or the
/// alerts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_detected_secret_never_leaks() {
    let emu = emulator().await;
    let token = format!("zq{}", unique_id());
    let email = format!("leak.{token}@customer-corp.com");
    let key_id = format!(
        "AKIA{:0>16}",
        token
            .to_uppercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(16)
            .collect::<String>()
    );
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../events/tag-guard/rgta-tag-resources.json"
    ))
    .unwrap()
    .replace("cto@customer-corp.com", &email)
    .replace("cc-42", &key_id);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let file = dir.join(format!("leak-{token}.json"));
    std::fs::write(&file, text).unwrap();
    let relative = pathdiff(&file);
    let event =
        warden_tests::seed::seed_event(&emu.endpoint, &relative, &unique_id()).expect("seeded");

    // Named apart from the secret: resource names may well be logged.
    let name = format!("leak-alerts-{}", unique_id());
    let alerts = warden_tests::Alerts::subscribe(&emu.config, &name).await;
    let topic = alerts.topic_arn.clone();
    let mut env = function_env(&emu.endpoint, settings("remediate", &[]));
    env.push(("WARDEN_TOPIC_ARN".into(), topic));
    env.push(("AWS_LAMBDA_LOG_LEVEL".into(), "debug".into()));
    env.push(("RUST_LOG".into(), "debug".into()));

    let run = run_function(Path::new(BINARY), &env, std::slice::from_ref(&event))
        .await
        .expect("the function ran");

    let outcome = run.invocations[0]
        .result
        .response()
        .expect("an outcome")
        .clone();
    assert_eq!(outcome["status"], "remediated", "{outcome}");
    assert_eq!(
        outcome["findings"].as_array().unwrap().len(),
        4,
        "the email and the key on both resources"
    );
    let alerts = alerts.received().await;
    assert_eq!(alerts.len(), 4, "one alert per finding");
    assert!(
        run.stdout.lines().count() > 10,
        "debug logging was on:\n{}",
        run.stdout
    );

    let everything = [
        outcome.to_string(),
        run.stdout.clone(),
        run.stderr.clone(),
        alerts.join("\n"),
    ]
    .join("\n");
    for secret in [email.as_str(), key_id.as_str(), token.as_str()] {
        for window in secret.as_bytes().windows(8) {
            let run_of = std::str::from_utf8(window).unwrap();
            let public = "@customer-corp.com";
            if public.contains(run_of)
                || (run_of.starts_with("AKIA") && run_of[4..].chars().all(|c| c == '0'))
            {
                continue; // the public parts of the values: the domain, the key id's fixed prefix
            }
            assert!(
                !everything.contains(run_of),
                "`{run_of}` of a detected secret leaked"
            );
        }
    }
}

/// `path` relative to the workspace root, as the seeder takes it.
fn pathdiff(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap();
    path.canonicalize()
        .unwrap()
        .strip_prefix(&root)
        .expect("inside the workspace")
        .display()
        .to_string()
}

/// The adapter re-reads a tag just before rewriting it: a value that changed
/// since the plan was made is left alone, and the pipeline checks again.
#[tokio::test]
async fn a_tag_changed_since_the_plan_was_made_is_not_overwritten() {
    let emu = emulator().await;
    let event = seeded(&emu.endpoint, "sns-tag-resource.json");
    let arn = params(&event)["resourceArn"].as_str().unwrap().to_string();
    let tagging = Tagging::new(&emu.config);
    let target = TagTarget::Resource(ResourceRef::from_arn(arn.clone()));
    let mut plan = TagPlan {
        changes: vec![TagChange {
            resource: ResourceRef::from_arn(arn.clone()),
            key: "notify".into(),
            replacement: Some("redacted:email".into()),
            seen: fingerprint("someone.else@customer-corp.com"),
        }],
    };
    let applied = tagging.apply(&target, &plan).await.unwrap();
    assert!(matches!(applied, Applied::Changed(_)), "{applied:?}");
    assert_tags(&emu, &arn, &[("notify", "oncall@customer-corp.com")]).await;
    plan.changes[0].seen = fingerprint("oncall@customer-corp.com");
    assert_eq!(tagging.apply(&target, &plan).await.unwrap(), Applied::Done);
    assert_tags(&emu, &arn, &[("notify", "redacted:email")]).await;
}

/// Reporting account ids inside identifiers never reaches AWS-reserved tags:
/// CloudFormation's stack id stays unreported and unchanged.
#[tokio::test]
async fn reported_identifiers_leave_reserved_tags_alone() {
    let emu = emulator().await;
    let env = settings(
        "remediate",
        &[
            ("WARDEN_ACCOUNT_IDS_IN_ARNS", "report"),
            // A CloudFormation change: fixed only with IacChanges=remediate.
            ("WARDEN_IAC_CHANGES", "remediate"),
        ],
    );
    let event = seeded(&emu.endpoint, "cloudformation-create-topic.json");
    let arn = event["detail"]["responseElements"]["topicArn"]
        .as_str()
        .unwrap()
        .to_string();
    let outcome = handle(&pipeline(&emu, &env), event.clone()).await;
    assert_eq!(outcome["status"], "remediated", "{outcome}");
    let findings = outcome["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{outcome}");
    assert_eq!(findings[0]["detectors"], serde_json::json!(["email"]));
    let tags = tags_of(&emu.config, &arn).await;
    let stack = tags
        .iter()
        .find(|(k, _)| k == "aws:cloudformation:stack-id")
        .unwrap();
    assert!(
        stack
            .1
            .starts_with("arn:aws:cloudformation:us-east-1:123456789012:stack/")
    );
}
