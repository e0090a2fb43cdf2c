//! The SAM template and the code must agree: the function gets every setting
//! the code reads, its rule reaches every tagging shape the code knows, and
//! its role can only read and rewrite tags. (sam validate --lint and
//! cfn-lint check the rest.)

// Tests and benchmarks: a failed expectation is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use tag_guard::TagGuard;
use warden_tests::template::{allowed_actions, assert_variables, event_names};

#[test]
fn the_function_gets_every_setting_the_code_reads() {
    assert_variables(
        "TagGuardFunction",
        &[TagGuard::DETECTORS, TagGuard::ALLOW, TagGuard::TAG_ACTION],
    );
}

#[test]
fn the_rule_matches_every_known_tagging_call_and_create_calls() {
    let names = event_names("TagGuardFunction", "TagChange");
    let matches = |event_name: &str| {
        names.iter().any(|n| match n {
            serde_json::Value::String(exact) => exact == event_name,
            other => other["prefix"]
                .as_str()
                .is_some_and(|p| event_name.starts_with(p)),
        })
    };
    for event_name in [
        "CreateTags",
        "PutBucketTagging",
        "AddTags",
        "TagUser",
        "TagRole",
        "TagResource",
        "TagResource20170331v2",
        "AddTagsToResource",
        "TagResources",
        "CreateApplication",
        "UpdateApplication",
    ] {
        assert!(
            matches(event_name),
            "{event_name} is not matched by {names:?}"
        );
    }
    assert!(!matches("DeleteBucketTagging") && !matches("UntagResource"));
    assert_eq!(names[0], json!({"prefix": "Tag"}));
}

#[test]
fn the_role_can_only_read_and_rewrite_tags() {
    for action in allowed_actions("TagGuardFunctionRole") {
        let tagging = [
            "Tag",
            "Untag",
            "ListTags",
            "ListUserTags",
            "ListRoleTags",
            "ListResourceTags",
            "AddTags",
            "RemoveTags",
            "CreateTags",
            "DeleteTags",
            "GetBucketTagging",
            "PutBucketTagging",
            "GetResources",
            "ListTagsOf",
        ]
        .iter()
        .any(|verb| {
            action
                .split(':')
                .nth(1)
                .is_some_and(|a| a.starts_with(verb))
        });
        let own = [
            "sns:Publish",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "sqs:SendMessage",
        ]
        .contains(&action.as_str());
        assert!(
            tagging || own,
            "{action} is neither a tagging call nor the function's own"
        );
    }
}

#[test]
fn the_role_allows_exactly_the_calls_the_rules_make() {
    let guard = tag_guard::TagGuard::from_env(&[("WARDEN_TAG_ACTION", "redact")][..]).unwrap();
    warden_tests::template::assert_role_allows_exactly(
        "TagGuardFunctionRole",
        &warden_shared::guard::permissions(&guard),
    );
}
