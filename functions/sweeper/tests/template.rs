//! The SAM template and the sweeper's code must agree: the role allows
//! exactly the listings, the reads of every guard's adapter, and (only when
//! the sweep remediates) the fixes of the rules a sweep runs, under every
//! setting; the function gets every setting the code reads; the schedule,
//! the queue and the event source mapping are wired to each other.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bucket_guard::BucketGuard;
use mfa_guard::{MfaAction, MfaGuard};
use serde_json::{Value, json};
use sweeper::SweepSettings;
use sweeper::permissions::{own, standing};
use tag_guard::TagGuard;
use trail_guard::TrailGuard;
use warden_tests::template::{
    COMMON_ACTIONS, EVENT_BUS_ACTIONS, SECURITY_HUB_ACTIONS, assert_none_of,
    assert_state_and_sink_statements, assert_variables, function_property, resource, template,
};

/// The conditions a deployment with these parameters sets (with the
/// template's default sinks: the default event bus, no Security Hub).
fn conditions(sweep_mode: &str, mfa_action: &str) -> Vec<(&'static str, bool)> {
    let remediates = sweep_mode == "remediate";
    let disables = mfa_action == "disable-console";
    vec![
        ("SweepRemediates", remediates),
        ("MfaDisablesConsole", disables),
        ("SweepQuarantines", remediates && !disables),
        ("SweepDisablesConsole", remediates && disables),
        ("HasEventBus", true),
        ("SecurityHubOn", false),
    ]
}

/// The role's statements with every `Fn::If` decided.
fn statements(role: &str, conditions: &[(&str, bool)]) -> Vec<Value> {
    resource(role)["Properties"]["Policies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["PolicyDocument"]["Statement"].as_array().unwrap().clone())
        .filter_map(|s| match s.get("Fn::If") {
            None => Some(s),
            Some(branches) => {
                let name = branches[0].as_str().unwrap();
                let holds = conditions
                    .iter()
                    .find(|(c, _)| *c == name)
                    .unwrap_or_else(|| panic!("a condition the test does not know: {name}"))
                    .1;
                let chosen = &branches[if holds { 1 } else { 2 }];
                (chosen.get("Ref") != Some(&json!("AWS::NoValue"))).then(|| chosen.clone())
            }
        })
        .collect()
}

fn actions(statements: &[Value]) -> Vec<String> {
    let mut actions: Vec<String> = statements
        .iter()
        .filter(|s| s["Effect"] == "Allow")
        .flat_map(|s| match &s["Action"] {
            Value::Array(list) => list
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
                .collect(),
            Value::String(one) => vec![one.clone()],
            other => panic!("an Action of {other}"),
        })
        .collect();
    actions.sort();
    actions.dedup();
    actions
}

fn guards(action: MfaAction) -> (BucketGuard, MfaGuard, TrailGuard, TagGuard) {
    let env = [(
        "WARDEN_QUARANTINE_POLICY_ARN",
        "arn:aws:iam::123456789012:policy/q",
    )];
    let mfa = MfaGuard {
        action,
        ..MfaGuard::from_env(&env[..]).unwrap()
    };
    (
        BucketGuard::from_env(&env[..]).unwrap(),
        mfa,
        TrailGuard::from_env(&env[..]).unwrap(),
        TagGuard::from_env(&env[..]).unwrap(),
    )
}

/// What the code needs under these settings.
fn needed(sweep_mode: &str, action: MfaAction) -> Vec<String> {
    let fixes = sweep_mode == "remediate";
    let (bucket, mfa, trail, tag) = guards(action);
    let mut actions: Vec<String> = standing(&bucket, fixes)
        .into_iter()
        .chain(standing(&mfa, fixes))
        .chain(standing(&trail, fixes))
        .chain(standing(&tag, fixes))
        .chain(own())
        .chain(COMMON_ACTIONS)
        .chain(EVENT_BUS_ACTIONS)
        .map(str::to_string)
        .collect();
    actions.sort();
    actions.dedup();
    actions
}

#[test]
fn the_role_allows_exactly_what_the_sweep_needs_under_every_setting() {
    for mode in ["observe", "notify", "remediate"] {
        for (action, name) in [
            (MfaAction::Quarantine, "quarantine"),
            (MfaAction::DisableConsole, "disable-console"),
        ] {
            let allowed = actions(&statements("SweeperFunctionRole", &conditions(mode, name)));
            assert_eq!(
                allowed,
                needed(mode, action),
                "SweepMode={mode}, MfaAction={name}"
            );
        }
    }
    // Reporting sweeps write nothing at all.
    let observe = needed("observe", MfaAction::Quarantine);
    assert_none_of(
        &observe,
        &[
            "s3:PutBucketPolicy",
            "iam:AttachUserPolicy",
            "tag:TagResources",
            "cloudtrail:StartLogging",
        ],
    );
    // Never trail-guard's event-only restores, whatever the mode.
    let remediate = needed("remediate", MfaAction::Quarantine);
    assert_none_of(
        &remediate,
        &[
            "cloudtrail:StartLogging",
            "cloudtrail:UpdateTrail",
            "iam:DeleteLoginProfile",
        ],
    );
}

#[test]
fn the_quarantine_is_the_only_policy_the_role_attaches_or_detaches() {
    for name in ["quarantine", "disable-console"] {
        for s in statements("SweeperFunctionRole", &conditions("remediate", name)) {
            let actions = actions(std::slice::from_ref(&s));
            if actions
                .iter()
                .any(|a| a == "iam:AttachUserPolicy" || a == "iam:DetachUserPolicy")
            {
                let condition = s["Condition"].as_object().unwrap();
                let arn = condition.values().next().unwrap()["iam:PolicyARN"].clone();
                assert_eq!(arn, json!({"Ref": "MfaQuarantinePolicy"}), "{s:#}");
            }
        }
    }
}

#[test]
fn the_function_gets_every_setting_the_code_reads() {
    assert_variables(
        "SweeperFunction",
        &[
            SweepSettings::MODE,
            SweepSettings::CONCURRENCY,
            SweepSettings::REGIONS,
            SweepSettings::QUEUE_URL,
            BucketGuard::MIN_ENCRYPTION,
            BucketGuard::KMS_KEY_ARN,
            BucketGuard::REQUIRE_PUBLIC_ACCESS_BLOCK,
            MfaGuard::ACTION,
            MfaGuard::QUARANTINE_POLICY_ARN,
            TrailGuard::REQUIRE_KMS_KEY,
            TagGuard::TAG_ACTION,
            TagGuard::DETECTORS,
            TagGuard::ALLOW,
        ],
    );
    let variables = &resource("SweeperFunction")["Properties"]["Environment"]["Variables"];
    assert_eq!(variables["WARDEN_SWEEP_MODE"], json!({"Ref": "SweepMode"}));
    assert_eq!(
        variables["WARDEN_SWEEP_QUEUE_URL"],
        json!({"Ref": "SweepQueue"})
    );
    let mode = &template()["Parameters"]["SweepMode"];
    assert_eq!(
        (&mode["Default"], &mode["AllowedValues"]),
        (
            &json!("observe"),
            &json!(["observe", "notify", "remediate"])
        )
    );
    let concurrency = &template()["Parameters"]["SweepConcurrency"];
    assert_eq!(
        concurrency["Default"],
        json!(SweepSettings::DEFAULT_CONCURRENCY)
    );
}

#[test]
fn the_schedule_plans_the_sweep_and_the_queue_feeds_the_function() {
    let parameter = &template()["Parameters"]["SweepSchedule"];
    assert_eq!(parameter["Default"], "rate(1 day)");
    assert_eq!(
        template()["Conditions"]["HasSweepSchedule"],
        json!({"Fn::Not": [{"Fn::Equals": [{"Ref": "SweepSchedule"}, ""]}]}),
        "an empty schedule turns it off"
    );
    let schedule = resource("SweeperSchedule");
    assert_eq!(schedule["Type"], "AWS::Scheduler::Schedule");
    assert_eq!(schedule["Condition"], "HasSweepSchedule");
    assert_eq!(
        schedule["Properties"]["ScheduleExpression"],
        json!({"Ref": "SweepSchedule"})
    );
    let target = &schedule["Properties"]["Target"];
    assert_eq!(
        target["Arn"],
        json!({"Fn::GetAtt": ["SweeperFunction", "Arn"]})
    );
    // What the schedule sends is a plan request the function accepts.
    let input: Value = serde_json::from_str(target["Input"].as_str().unwrap()).unwrap();
    let sweeper::shard::Request::Sweep(request) = sweeper::shard::Request::parse(&input).unwrap()
    else {
        panic!("the schedule's input is a sweep request");
    };
    assert!(
        !request.inline,
        "the schedule plans the sweep onto the queue"
    );
    assert_eq!(
        target["DeadLetterConfig"]["Arn"],
        json!({"Fn::GetAtt": ["SweepDeadLetterQueue", "Arn"]})
    );
    let schedule_role = actions(&statements("SweeperScheduleRole", &[]));
    assert_eq!(schedule_role, ["lambda:InvokeFunction", "sqs:SendMessage"]);

    let queue = resource("SweepQueue")["Properties"].clone();
    assert_eq!(queue["SqsManagedSseEnabled"], true);
    for name in ["SweepQueue", "SweepDeadLetterQueue"] {
        assert_eq!(
            resource(name)["Properties"]["MaximumMessageSize"],
            json!(sweeper::shard::MAX_MESSAGE_BYTES),
            "{name} takes the largest shard"
        );
    }
    assert_eq!(
        queue["RedrivePolicy"]["deadLetterTargetArn"],
        json!({"Fn::GetAtt": ["SweepDeadLetterQueue", "Arn"]})
    );
    let timeout = function_property("SweeperFunction", "Timeout")
        .as_u64()
        .unwrap();
    assert!(
        queue["VisibilityTimeout"].as_u64().unwrap() >= 6 * timeout,
        "{queue:#}"
    );
    assert!(
        timeout * 1000 > SweepSettings::DEFAULT_RESERVE.as_millis() as u64 * 10,
        "the reserve is a small part of the timeout"
    );
    assert_eq!(
        resource("SweepDeadLetterQueue")["Properties"]["SqsManagedSseEnabled"],
        true
    );

    let mapping = &resource("SweeperFunction")["Properties"]["Events"]["Shards"];
    assert_eq!(mapping["Type"], "SQS");
    let props = &mapping["Properties"];
    assert_eq!(props["Queue"], json!({"Fn::GetAtt": ["SweepQueue", "Arn"]}));
    assert_eq!(
        props["FunctionResponseTypes"],
        json!(["ReportBatchItemFailures"])
    );
    assert!(
        props["ScalingConfig"]["MaximumConcurrency"]
            .as_u64()
            .unwrap()
            >= 2
    );
}

/// The state table, the event bus and Security Hub: scoped as the contract
/// says (the table and its indexes; the stack's bus; Security Hub only with
/// SecurityHub=true).
#[test]
fn the_role_reaches_the_state_table_and_the_sinks_only() {
    assert_state_and_sink_statements("SweeperFunctionRole");
}

/// With SecurityHub=true the role gains exactly Security Hub's two calls.
#[test]
fn security_hub_adds_exactly_its_calls() {
    let mut on = conditions("observe", "quarantine");
    for (name, holds) in on.iter_mut() {
        if *name == "SecurityHubOn" {
            *holds = true;
        }
    }
    let with = actions(&statements("SweeperFunctionRole", &on));
    let without = actions(&statements(
        "SweeperFunctionRole",
        &conditions("observe", "quarantine"),
    ));
    let added: Vec<&str> = with
        .iter()
        .map(String::as_str)
        .filter(|a| !without.iter().any(|w| w == a))
        .collect();
    assert_eq!(added, SECURITY_HUB_ACTIONS);
}
