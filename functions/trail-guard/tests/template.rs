//! The SAM template and the code must agree: the EventBridge rule subscribes
//! to exactly the events the guard handles, the function is given every
//! setting the code reads, and its role allows only the calls its rules
//! make. (sam validate --lint and cfn-lint check the rest.)

use serde_json::{Value, json};
use trail_guard::{HANDLED_EVENTS, TrailGuard};
use warden_shared::Config;
use warden_shared::guard::permissions;
use warden_shared::sinks::SinkSettings;
use warden_shared::state::StateSettings;
use warden_tests::template::{
    allowed_actions, assert_none_of, assert_role_allows_exactly, assert_state_and_sink_statements,
    event_names, every_function_variables, function_property, resource, variables,
};

fn read_settings() -> Vec<&'static str> {
    let mut read = vec![
        Config::MODE,
        Config::TOPIC_ARN,
        Config::SELF_ARN,
        Config::EXEMPTION_TAG,
        TrailGuard::REQUIRE_KMS_KEY,
        "AWS_ENDPOINT_URL",
    ];
    read.sort();
    read
}

#[test]
fn the_rule_subscribes_to_exactly_the_handled_events() {
    assert_eq!(
        event_names("TrailGuardFunction", "TrailChange"),
        json!(HANDLED_EVENTS).as_array().unwrap().clone()
    );
    let pattern = &resource("TrailGuardFunction")["Properties"]["Events"]["TrailChange"]["Properties"]
        ["Pattern"];
    assert_eq!(pattern["source"], json!(["aws.cloudtrail"]));
    assert_eq!(
        pattern["detail"]["eventSource"],
        json!(["cloudtrail.amazonaws.com"])
    );
}

/// What the code reads, and what every function gets besides (the state
/// table's settings and the findings sinks'); `sam local` runs without them.
#[test]
fn the_function_gets_every_setting_the_code_reads() {
    let mut expected = read_settings();
    expected.extend(every_function_variables());
    expected.sort();
    expected.dedup();
    assert_eq!(variables("TrailGuardFunction"), expected);
}

#[test]
fn the_role_allows_only_the_calls_the_rules_make() {
    let guard = TrailGuard {
        require_kms_key: true,
    };
    assert_role_allows_exactly("TrailGuardFunctionRole", &permissions(&guard));
    // Never CreateTrail, DeleteTrail, StopLogging or PutEventSelectors, and no
    // IAM (the unit tests pin the rules' calls, action by action).
    let allowed = allowed_actions("TrailGuardFunctionRole");
    assert_none_of(
        &allowed,
        &[
            "cloudtrail:CreateTrail",
            "cloudtrail:DeleteTrail",
            "cloudtrail:StopLogging",
            "cloudtrail:PutEventSelectors",
        ],
    );
    assert!(
        allowed
            .iter()
            .all(|a| !a.starts_with("iam:") && !a.contains('*')),
        "{allowed:?}"
    );
}

#[test]
fn failed_deliveries_reach_the_dead_letter_queue() {
    let policy =
        &resource("WardenDeadLetterQueuePolicy")["Properties"]["PolicyDocument"]["Statement"][0];
    let sources = policy["Condition"]["ArnEquals"]["aws:SourceArn"]
        .as_array()
        .expect("a list of rule ARNs");
    assert!(
        sources.contains(&json!({"Fn::GetAtt": ["TrailGuardFunctionTrailChange", "Arn"]})),
        "{sources:?}"
    );
    let function = &resource("TrailGuardFunction")["Properties"];
    assert_eq!(
        function_property("TrailGuardFunction", "DeadLetterQueue")["Type"],
        "SQS"
    );
    assert_eq!(
        function["Events"]["TrailChange"]["Properties"]["DeadLetterConfig"]["Arn"],
        json!({"Fn::GetAtt": ["WardenDeadLetterQueue", "Arn"]})
    );
}

#[test]
fn sam_local_invoke_gets_every_setting() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../events/sam-local-env.json"
    );
    let env: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut names: Vec<&str> = env["TrailGuardFunction"]
        .as_object()
        .expect("TrailGuardFunction in events/sam-local-env.json")
        .keys()
        .map(String::as_str)
        .collect();
    names.sort();
    // The guard's settings, and the state table and the sinks turned off
    // (under sam local the template's table does not exist).
    let mut expected = read_settings();
    expected.extend([
        StateSettings::TABLE,
        SinkSettings::SECURITY_HUB,
        SinkSettings::EVENT_BUS,
    ]);
    expected.sort();
    assert_eq!(names, expected);
    for (off, value) in [
        (StateSettings::TABLE, ""),
        (SinkSettings::SECURITY_HUB, "false"),
        (SinkSettings::EVENT_BUS, ""),
    ] {
        assert_eq!(env["TrailGuardFunction"][off], value, "{off} is off");
    }
    assert_eq!(
        env["TrailGuardFunction"]["WARDEN_SELF_ARN"],
        "arn:aws:iam::123456789012:role/warden-TrailGuardFunctionRole-1A2B3C4D5E6F",
        "the role in events/trail-guard/warden-own-role.json"
    );
}

/// The state table, the event bus and Security Hub: scoped as the contract
/// says (the table and its indexes; the stack's bus; Security Hub only with
/// SecurityHub=true).
#[test]
fn the_role_reaches_the_state_table_and_the_sinks_only() {
    assert_state_and_sink_statements("TrailGuardFunctionRole");
}
