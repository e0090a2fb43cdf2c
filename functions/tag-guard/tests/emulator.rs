//! tag-guard end to end against moto, in process: each event file's
//! resources really exist with the event's tags, the real pipeline and
//! tagging adapter run over HTTP, and the tags are read back with the SDK.

mod common;

use common::*;
use serde_json::Value;
use tag_guard::{TagGuard, TagRules, tagging::Tagging};
use warden_shared::{Config, Pipeline};
use warden_tests::fixtures::{handle, unapplied};

fn pipeline(emu: &Emulator, env: &[(String, String)]) -> Pipeline<TagGuard> {
    let config = Config::from_env(env).expect("valid settings");
    let rules = TagRules::from_env(env).expect("valid tag settings");
    Pipeline::build(
        TagGuard::new(Tagging::new(&emu.config), rules),
        config,
        &emu.config,
    )
}

async fn value_of(emu: &Emulator, arn: &str, key: &str) -> Option<String> {
    tags_of(&emu.config, arn)
        .await
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

#[test]
fn every_event_file_has_a_case() {
    EVENTS.assert_cases_cover(cases().iter().map(|c| c.file));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_file_in_remediate_mode() {
    let emu = emulator().await;
    let pipeline = pipeline(&emu, &settings("remediate"));
    // Every file is run and every mismatch reported, not just the first.
    let mut mismatches = Vec::new();
    for case in cases() {
        let event = seeded(&emu.endpoint, case.file);
        let arns = (case.arns)(&event);

        let outcome = match pipeline.handle(event.clone()).await {
            Ok(outcome) => serde_json::to_value(outcome).unwrap(),
            Err(err) => {
                mismatches.push(format!("{}: infrastructure error: {err}", case.file));
                continue;
            }
        };

        let expected = (case.expect)(&event, &arns);
        if outcome != expected {
            mismatches.push(format!(
                "{}:
  got      {outcome}
  expected {expected}",
                case.file
            ));
        }
        for (index, key, value) in &case.after {
            let found = value_of(&emu, &arns[*index], key).await;
            if found.as_deref() != Some(*value) {
                mismatches.push(format!(
                    "{}: tag {key} is {found:?}, expected {value:?}",
                    case.file
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observe_mode_changes_no_tag_and_still_returns_the_plan() {
    let emu = emulator().await;
    let pipeline = pipeline(&emu, &settings("observe"));
    for case in cases() {
        let event = seeded(&emu.endpoint, case.file);
        let arns = (case.arns)(&event);
        let mut before = Vec::new();
        for arn in &arns {
            before.push(tags_of(&emu.config, arn).await);
        }

        let outcome = handle(&pipeline, event.clone()).await;

        let remediated = (case.expect)(&event, &arns);
        let expected = match remediated["status"].as_str() {
            Some("remediated") | Some("notified") => {
                unapplied(without_reason(remediated), "observed")
            }
            _ => remediated,
        };
        assert_eq!(outcome, expected, "{}", case.file);
        for (arn, tags) in arns.iter().zip(before) {
            assert_eq!(
                tags_of(&emu.config, arn).await,
                tags,
                "{}: observe must not change tags",
                case.file
            );
        }
    }
}

fn without_reason(mut outcome: Value) -> Value {
    outcome.as_object_mut().unwrap().remove("reason");
    outcome
}

#[tokio::test]
async fn replaying_an_event_finds_nothing_left_to_fix() {
    let emu = emulator().await;
    let pipeline = pipeline(&emu, &settings("remediate"));
    let event = seeded(&emu.endpoint, "iam-tag-user.json");
    assert_eq!(
        handle(&pipeline, event.clone()).await["status"],
        "remediated"
    );
    assert_eq!(
        handle(&pipeline, event.clone()).await,
        outcome(&event, "compliant", None, vec![])
    );
}

#[tokio::test]
async fn remove_mode_deletes_only_the_offending_tag() {
    let emu = emulator().await;
    let mut env = settings("remediate");
    env.push(("WARDEN_TAG_ACTION".into(), "remove".into()));
    let event = seeded(&emu.endpoint, "iam-tag-user.json");
    let arn = format!(
        "arn:aws:iam::123456789012:user/{}",
        params(&event)["userName"].as_str().unwrap()
    );

    let outcome = handle(&pipeline(&emu, &env), event).await;

    assert_eq!(outcome["status"], "remediated");
    assert_eq!(outcome["findings"][0]["changes"][0]["action"], "remove-tag");
    assert_eq!(outcome["findings"][0]["changes"][0]["after"], Value::Null);
    assert_eq!(
        tags_of(&emu.config, &arn).await,
        vec![("team".to_string(), "payments".to_string())]
    );
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

    let outcome = handle(&pipeline(&emu, &settings("remediate")), event.clone()).await;

    assert_eq!(outcome, common::outcome(&event, "compliant", None, vec![]));
    let arn = format!("arn:aws:iam::123456789012:user/{user}");
    assert_eq!(
        tags_of(&emu.config, &arn).await,
        vec![
            ("phone".to_string(), "see the on-call rota".to_string()),
            ("team".to_string(), "payments".to_string())
        ]
    );
}

#[tokio::test]
async fn allow_listed_values_are_never_flagged() {
    let emu = emulator().await;
    let mut env = settings("remediate");
    env.push(("WARDEN_ALLOW".into(), "@customer-corp.com".into()));
    let event = seeded(&emu.endpoint, "sns-tag-resource.json");
    let outcome = handle(&pipeline(&emu, &env), event.clone()).await;
    assert_eq!(outcome, common::outcome(&event, "compliant", None, vec![]));
}

#[tokio::test]
async fn an_exempt_resource_keeps_its_tags() {
    let emu = emulator().await;
    let event = seeded(&emu.endpoint, "iam-tag-role.json");
    let role = params(&event)["roleName"].as_str().unwrap().to_string();
    let iam = aws_sdk_iam::Client::new(&emu.config);
    let exempt = aws_sdk_iam::types::Tag::builder()
        .key("warden:exempt")
        .value("sensitive-tag until=2999-01-01")
        .build()
        .unwrap();
    iam.tag_role()
        .role_name(&role)
        .tags(exempt)
        .send()
        .await
        .unwrap();

    let outcome = handle(&pipeline(&emu, &settings("remediate")), event.clone()).await;

    assert_eq!(outcome, common::outcome(&event, "compliant", None, vec![]));
    let arn = format!("arn:aws:iam::123456789012:role/{role}");
    let repo = tags_of(&emu.config, &arn)
        .await
        .into_iter()
        .find(|(k, _)| k == "repo")
        .map(|(_, v)| v)
        .unwrap();
    assert!(repo.starts_with("https://deploy:"), "left as it was");
}
