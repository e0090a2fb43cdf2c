//! The SAM template and the code must agree: the EventBridge rule subscribes
//! to exactly the events the guard handles and exists only in us-east-1, the
//! quarantine policy is the document the code (and the README) describe, the
//! function gets every setting the code reads, and its role allows exactly
//! the IAM calls its rules make under each `MfaAction`, attaching and
//! detaching only the quarantine policy. (sam validate --lint and cfn-lint
//! check the rest.)
//!
//! The template is read as JSON by `warden_tests::template` (cfn-lint's own
//! YAML loader), so CloudFormation's short-form tags come back as `Fn::Sub`.
// The helpers below read the template: a shape they do not expect is a failed test.
#![allow(clippy::expect_used)]

use mfa_guard::{HANDLED_EVENTS, MfaAction, MfaGuard, quarantine};
use serde_json::{Value, json};
use std::path::PathBuf;
use warden_shared::Config;
use warden_shared::guard::permissions;
use warden_tests::template::{
    allowed_actions, assert_role_allows_exactly, assert_state_and_sink_statements,
    every_function_variables, function_property, resource, template, variables,
};

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn resolve(value: &Value) -> Value {
    match value {
        Value::Object(map) if map.len() == 1 && map.contains_key("Fn::Sub") => {
            let text = map["Fn::Sub"].as_str().expect("a plain Fn::Sub string");
            json!(
                text.replace("${AWS::Partition}", "aws")
                    .replace("${AWS::AccountId}", "123456789012")
                    .replace("${!", "${")
            )
        }
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), resolve(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(resolve).collect()),
        other => other.clone(),
    }
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        _ => vec![],
    }
}

/// The role's statements, with each `Fn::If` opened: (condition, statement).
fn role_statements() -> Vec<(Option<String>, Value)> {
    let policies = resource("MfaGuardFunctionRole")["Properties"]["Policies"]
        .as_array()
        .expect("inline policies");
    let mut statements = Vec::new();
    for policy in policies {
        for statement in policy["PolicyDocument"]["Statement"]
            .as_array()
            .expect("statements")
        {
            match statement.get("Fn::If") {
                Some(branches) => {
                    let condition = branches[0].as_str().map(str::to_string);
                    assert_eq!(
                        branches[2],
                        json!({"Ref": "AWS::NoValue"}),
                        "a conditional statement grants nothing otherwise"
                    );
                    statements.push((condition, branches[1].clone()));
                }
                None => statements.push((None, statement.clone())),
            }
        }
    }
    statements
}

#[test]
fn the_rule_subscribes_to_exactly_the_handled_events() {
    let pattern = &resource("MfaGuardRule")["Properties"]["EventPattern"];
    assert_eq!(strings(&pattern["detail"]["eventName"]), HANDLED_EVENTS);
    assert_eq!(
        strings(&pattern["detail"]["eventSource"]),
        ["iam.amazonaws.com", "signin.amazonaws.com"]
    );
    assert_eq!(strings(&pattern["source"]), ["aws.iam", "aws.signin"]);
    assert_eq!(
        strings(&pattern["detail-type"]),
        [
            "AWS API Call via CloudTrail",
            "AWS Console Sign In via CloudTrail"
        ]
    );
    // The loop guard: calls by mfa-guard's own role never reach it.
    assert_eq!(
        pattern["detail"]["$or"][0]["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"],
        json!([{"anything-but": {"Fn::GetAtt": ["MfaGuardFunctionRole", "Arn"]}}])
    );
    assert_eq!(
        pattern["detail"]["$or"][1]["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"],
        json!([{"exists": false}])
    );
}

#[test]
fn the_rule_exists_only_in_us_east_1_and_keeps_failed_deliveries() {
    assert_eq!(
        template()["Conditions"]["IsUsEast1"],
        json!({"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]})
    );
    let rule = resource("MfaGuardRule");
    assert_eq!(rule["Condition"], "IsUsEast1");
    let permission = resource("MfaGuardRulePermission");
    assert_eq!(permission["Condition"], "IsUsEast1");
    assert_eq!(
        permission["Properties"]["SourceArn"],
        json!({"Fn::GetAtt": ["MfaGuardRule", "Arn"]})
    );
    let target = &rule["Properties"]["Targets"][0];
    assert_eq!(
        target["Arn"],
        json!({"Fn::GetAtt": ["MfaGuardFunction", "Arn"]})
    );
    assert_eq!(
        target["DeadLetterConfig"]["Arn"],
        json!({"Fn::GetAtt": ["WardenDeadLetterQueue", "Arn"]})
    );
    assert!(target["RetryPolicy"]["MaximumRetryAttempts"].is_number());
    // The dead-letter queue accepts the rule's failed deliveries (the ARN is
    // listed only where the rule exists).
    let queue_statements = resource("WardenDeadLetterQueuePolicy")["Properties"]["PolicyDocument"]
        ["Statement"]
        .as_array()
        .expect("statements");
    let mfa_rule = json!({"Fn::If": ["IsUsEast1", {"Fn::GetAtt": ["MfaGuardRule", "Arn"]}, {"Ref": "AWS::NoValue"}]});
    assert!(
        queue_statements.iter().any(|s| {
            s["Effect"] == "Allow"
                && s["Principal"]["Service"] == "events.amazonaws.com"
                && s["Condition"]["ArnEquals"]["aws:SourceArn"]
                    .as_array()
                    .is_some_and(|arns| arns.contains(&mfa_rule))
        }),
        "{queue_statements:#?}"
    );
    assert_eq!(
        function_property("MfaGuardFunction", "DeadLetterQueue")["TargetArn"],
        json!({"Fn::GetAtt": ["WardenDeadLetterQueue", "Arn"]})
    );
    assert!(
        function_property("MfaGuardFunction", "EventInvokeConfig")["MaximumRetryAttempts"]
            .is_number()
    );
}

#[test]
fn the_function_gets_every_setting_the_code_reads() {
    let function = resource("MfaGuardFunction");
    assert_eq!(
        function["Metadata"]["BuildProperties"]["Binary"],
        "mfa-guard"
    );
    let declared = variables("MfaGuardFunction");
    let variables = &function["Properties"]["Environment"]["Variables"];
    let mut read = vec![
        Config::MODE,
        Config::TOPIC_ARN,
        Config::SELF_ARN,
        Config::EXEMPTION_TAG,
        MfaGuard::ACTION,
        MfaGuard::QUARANTINE_POLICY_ARN,
        "AWS_ENDPOINT_URL",
    ];
    read.extend(every_function_variables());
    read.sort_unstable();
    read.dedup();
    assert_eq!(declared, read);
    assert_eq!(
        variables[MfaGuard::QUARANTINE_POLICY_ARN],
        json!({"Ref": "MfaQuarantinePolicy"})
    );
    assert_eq!(variables[MfaGuard::ACTION], json!({"Ref": "MfaAction"}));
    assert_eq!(
        variables[Config::SELF_ARN],
        json!({"Fn::GetAtt": ["MfaGuardFunctionRole", "Arn"]})
    );
    let parameter = &template()["Parameters"]["MfaAction"];
    assert_eq!(parameter["Default"], "quarantine");
    assert_eq!(
        parameter["AllowedValues"],
        json!(["quarantine", "disable-console"])
    );
}

#[test]
fn the_quarantine_policy_is_the_documented_one() {
    let policy = resource("MfaQuarantinePolicy");
    assert_eq!(policy["Type"], "AWS::IAM::ManagedPolicy");
    assert_eq!(
        resolve(&policy["Properties"]["PolicyDocument"]),
        quarantine::document("aws", "123456789012")
    );
}

#[test]
fn the_role_attaches_and_detaches_only_the_quarantine_policy() {
    let statements = role_statements();
    for (condition, statement) in &statements {
        assert_eq!(statement["Effect"], "Allow");
        assert!(statement.get("NotAction").is_none() && statement.get("NotResource").is_none());
        for action in strings(&statement["Action"]) {
            assert!(
                !action.contains('*'),
                "no wildcard actions: {action} in {statement}"
            );
            assert!(
                ![
                    "iam:AttachRolePolicy",
                    "iam:PutRolePolicy",
                    "iam:PutUserPolicy"
                ]
                .contains(&action.as_str()),
                "{action}"
            );
            if action == "iam:AttachUserPolicy" || action == "iam:DetachUserPolicy" {
                assert_eq!(
                    statement["Condition"],
                    json!({"ArnEquals": {"iam:PolicyARN": {"Ref": "MfaQuarantinePolicy"}}}),
                    "{action} is limited to the quarantine policy"
                );
            }
            if action == "iam:DeleteLoginProfile" {
                assert_eq!(
                    condition.as_deref(),
                    Some("MfaDisablesConsole"),
                    "deleting passwords is allowed only with MfaAction=disable-console"
                );
            }
            if action.starts_with("iam:") {
                assert_eq!(
                    resolve(&statement["Resource"]),
                    json!("arn:aws:iam::123456789012:user/*"),
                    "{action} only on users"
                );
            }
        }
    }
    assert_eq!(
        template()["Conditions"]["MfaDisablesConsole"],
        json!({"Fn::Equals": [{"Ref": "MfaAction"}, "disable-console"]})
    );
}

fn guard(action: MfaAction) -> MfaGuard {
    MfaGuard {
        action,
        quarantine_policy_arn: "arn:aws:iam::123456789012:policy/q".into(),
    }
}

/// The actions the role allows when the stack's conditions are as given
/// (`MfaDisablesConsole` true or false), with the common ones, sorted.
fn allowed_with(disables_console: bool) -> Vec<String> {
    let mut actions: Vec<String> = role_statements()
        .into_iter()
        .filter(|(condition, _)| match condition.as_deref() {
            None => true,
            Some("MfaDisablesConsole") => disables_console,
            // The sinks' statements: the_role_reaches_the_state_table_and_the_sinks_only.
            Some("HasEventBus" | "SecurityHubOn") => false,
            Some(other) => panic!("an unexpected condition {other}"),
        })
        .flat_map(|(_, statement)| strings(&statement["Action"]))
        .collect();
    actions.sort();
    actions.dedup();
    actions
}

/// Each `MfaAction` is a deployment of its own (the parameter sets the
/// `MfaDisablesConsole` condition), so each branch of the role is checked
/// against the rules that setting runs.
#[test]
fn the_role_allows_exactly_the_calls_the_rules_make_under_each_setting() {
    let quarantine = permissions(&guard(MfaAction::Quarantine));
    let disable_console = permissions(&guard(MfaAction::DisableConsole));
    // MfaAction=quarantine: exactly its rules' calls (the shared check reads
    // the unconditional statements).
    assert_role_allows_exactly("MfaGuardFunctionRole", &quarantine);
    assert_eq!(
        allowed_with(false),
        allowed_actions("MfaGuardFunctionRole"),
        "without MfaDisablesConsole the role is its unconditional statements"
    );
    // MfaAction=disable-console: the conditional statement adds exactly the
    // calls its rules make that quarantine's do not (deleting the login
    // profile), and allows every call they make; the attach that only the
    // quarantine setting makes stays allowed.
    let with = allowed_with(true);
    let without = allowed_with(false);
    let added: Vec<&str> = with
        .iter()
        .map(String::as_str)
        .filter(|a| !without.iter().any(|w| w == a))
        .collect();
    let only_disable_console: Vec<&str> = disable_console
        .iter()
        .copied()
        .filter(|a| !quarantine.contains(a))
        .collect();
    assert_eq!(added, only_disable_console);
    assert_eq!(added, ["iam:DeleteLoginProfile"]);
    for action in &disable_console {
        assert!(with.iter().any(|a| a == action), "{action}");
    }
}

/// The README's mfa-guard section shows the quarantine policy; once it does,
/// it must show exactly this document. (`WARDEN_README` points the check at
/// another file, such as a section not yet merged.)
#[test]
fn the_readme_shows_the_quarantine_policy_exactly() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md at the workspace root");
    let documented =
        serde_json::to_string_pretty(&quarantine::document("aws", "ACCOUNT_ID")).expect("JSON");
    assert!(
        readme.contains(&documented),
        "{} must show the quarantine policy as:\n{documented}",
        path.display()
    );
}

/// The state table, the event bus and Security Hub: scoped as the contract
/// says (the table and its indexes; the stack's bus; Security Hub only with
/// SecurityHub=true).
#[test]
fn the_role_reaches_the_state_table_and_the_sinks_only() {
    assert_state_and_sink_statements("MfaGuardFunctionRole");
}
