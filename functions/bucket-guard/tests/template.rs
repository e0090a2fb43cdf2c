//! The SAM template and the code must agree: the EventBridge rule subscribes
//! to exactly the events the guard handles, the function is given every
//! setting the code reads, and its role allows only the calls its rules
//! make. (sam validate --lint and cfn-lint check the rest.)

// Tests and benchmarks: a failed expectation is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bucket_guard::encryption;
use bucket_guard::{BucketGuard, HANDLED_EVENTS};
use encryption::MinEncryption;
use serde_json::json;
use warden_shared::guard::permissions;
use warden_tests::template::{
    assert_role_allows_exactly, assert_state_and_sink_statements, assert_variables, event_names,
};

#[test]
fn the_rule_subscribes_to_exactly_the_handled_events() {
    assert_eq!(
        event_names("BucketGuardFunction", "BucketChange"),
        json!(HANDLED_EVENTS).as_array().unwrap().clone()
    );
}

#[test]
fn the_function_gets_every_setting_the_code_reads() {
    assert_variables(
        "BucketGuardFunction",
        &[
            BucketGuard::MIN_ENCRYPTION,
            BucketGuard::KMS_KEY_ARN,
            BucketGuard::REQUIRE_PUBLIC_ACCESS_BLOCK,
        ],
    );
}

#[test]
fn the_role_allows_only_the_calls_the_rules_make() {
    let guard = BucketGuard {
        min_encryption: MinEncryption::DsseKms,
        kms_key_arn: None,
        require_public_access_block: true,
    };
    assert_role_allows_exactly("BucketGuardFunctionRole", &permissions(&guard));
}

/// The state table, the event bus and Security Hub: scoped as the contract
/// says (the table and its indexes; the stack's bus; Security Hub only with
/// SecurityHub=true).
#[test]
fn the_role_reaches_the_state_table_and_the_sinks_only() {
    assert_state_and_sink_statements("BucketGuardFunctionRole");
}
