//! The SAM template and the code must agree: the EventBridge rule subscribes
//! to exactly the events the guard handles, the function is given every
//! setting the code reads, and its role allows only the S3 calls it makes.
//! (sam validate --lint and cfn-lint check the rest.)

use bucket_guard::{BucketRules, HANDLED_EVENTS};
use serde_json::json;
use warden_shared::Config;
use warden_tests::template::{allowed_actions, event_names, variables};

#[test]
fn the_rule_subscribes_to_exactly_the_handled_events() {
    assert_eq!(
        event_names("BucketGuardFunction", "BucketChange"),
        json!(HANDLED_EVENTS).as_array().unwrap().clone()
    );
}

#[test]
fn the_function_gets_every_setting_the_code_reads() {
    let mut read = vec![
        Config::MODE,
        Config::TOPIC_ARN,
        Config::SELF_ARN,
        Config::EXEMPTION_TAG,
        BucketRules::MIN_ENCRYPTION,
        BucketRules::KMS_KEY_ARN,
        BucketRules::REQUIRE_PUBLIC_ACCESS_BLOCK,
        "AWS_ENDPOINT_URL",
    ];
    read.sort();
    assert_eq!(variables("BucketGuardFunction"), read);
}

#[test]
fn the_role_allows_only_the_calls_the_guard_makes() {
    assert_eq!(
        allowed_actions("BucketGuardFunctionRole"),
        vec![
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "s3:GetBucketPolicy",
            "s3:GetBucketPublicAccessBlock",
            "s3:GetBucketTagging",
            "s3:GetEncryptionConfiguration",
            "s3:PutBucketPolicy",
            "s3:PutBucketPublicAccessBlock",
            "s3:PutEncryptionConfiguration",
            "sns:Publish",
            "sqs:SendMessage",
        ]
    );
}
