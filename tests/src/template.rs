//! `template.yaml` as JSON, for tests that check the template against the
//! code. Read through cfn-lint's own YAML loader (from the project's
//! virtualenv), so CloudFormation's short-form tags (`!Sub`, `!If`) come back
//! as `Fn::Sub`, `Fn::If`.

use crate::paths::{venv_bin, workspace_root};
use serde_json::{Value, json};
use std::process::Command;
use std::sync::OnceLock;
use warden_shared::Config;
use warden_shared::sinks::SinkSettings;
use warden_shared::state::{self, StateSettings};

const DECODE: &str = "\
import json, sys
from cfnlint.decode import decode
template, errors = decode(sys.argv[1])
if errors or template is None:
    sys.exit('\\n'.join(str(e) for e in errors) or 'could not read the template')
print(json.dumps(template))
";

/// The whole template, read once per test process.
pub fn template() -> &'static Value {
    static TEMPLATE: OnceLock<Value> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let python = venv_bin("python");
        let output = Command::new(&python)
            .args(["-c", DECODE])
            .arg(workspace_root().join("template.yaml"))
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "running {} (tests/setup creates the virtualenv with cfn-lint): {e}",
                    python.display()
                )
            });
        assert!(
            output.status.success(),
            "cfn-lint could not read template.yaml:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("the decoded template is JSON")
    })
}

/// A resource's definition; panics naming it when it is missing.
/// The names of the template's resources of `kind` (`AWS::IAM::Role`, ...).
pub fn resources_of(kind: &str) -> Vec<&'static str> {
    template()["Resources"]
        .as_object()
        .expect("the template's Resources")
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .map(|(name, _)| name.as_str())
        .collect()
}

pub fn resource(name: &str) -> &'static Value {
    let value = &template()["Resources"][name];
    assert!(value.is_object(), "{name} in template.yaml");
    value
}

/// A function's property as deployed: its own, or the one every function
/// gets from `Globals` (`DeadLetterQueue`, `EventInvokeConfig`, ...).
pub fn function_property(function: &str, key: &str) -> &'static Value {
    let own = &resource(function)["Properties"][key];
    if own.is_null() {
        &template()["Globals"]["Function"][key]
    } else {
        own
    }
}

/// The names of a function's environment variables (its own and those
/// every function gets from `Globals`), sorted.
pub fn variables(function: &str) -> Vec<String> {
    let own = resource(function)["Properties"]["Environment"]["Variables"]
        .as_object()
        .unwrap_or_else(|| panic!("{function} has environment variables"));
    let global = template()["Globals"]["Function"]["Environment"]["Variables"]
        .as_object()
        .into_iter()
        .flatten();
    let mut names: Vec<String> = own.keys().chain(global.map(|(k, _)| k)).cloned().collect();
    names.sort();
    names.dedup();
    names
}

/// The `detail.eventName` list of a SAM function's EventBridge event.
pub fn event_names(function: &str, event: &str) -> Vec<Value> {
    resource(function)["Properties"]["Events"][event]["Properties"]["Pattern"]["detail"]["eventName"]
        .as_array()
        .unwrap_or_else(|| panic!("{function}.{event} matches on detail.eventName"))
        .clone()
}

/// The IAM actions an inline role policy allows, sorted.
pub fn allowed_actions(role: &str) -> Vec<String> {
    let mut actions: Vec<String> = resource(role)["Properties"]["Policies"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| {
            p["PolicyDocument"]["Statement"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|s| s["Effect"] == "Allow")
        .flat_map(|s| match &s["Action"] {
            Value::Array(list) => list
                .iter()
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect(),
            Value::String(one) => vec![one.clone()],
            _ => vec![],
        })
        .collect();
    actions.sort();
    actions
}

/// The state table's calls (claims, change records, suppressions, breaker
/// counters): every function's role allows them on the table and its indexes
/// only.
pub const STATE_TABLE_ACTIONS: [&str; 5] = [
    state::CALLS[0].permission,
    state::CALLS[1].permission,
    state::CALLS[2].permission,
    state::CALLS[3].permission,
    state::CALLS[4].permission,
];

/// What every function's role allows besides its guard's own calls: its log
/// group, the findings topic, the dead-letter queue and the state table.
pub const COMMON_ACTIONS: [&str; 9] = [
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "sns:Publish",
    "sqs:SendMessage",
    STATE_TABLE_ACTIONS[0],
    STATE_TABLE_ACTIONS[1],
    STATE_TABLE_ACTIONS[2],
    STATE_TABLE_ACTIONS[3],
    STATE_TABLE_ACTIONS[4],
];

/// What a role that records findings may do on the event bus (only with an
/// `EventBus`, the `HasEventBus` condition) and in Security Hub (only with
/// `SecurityHub=true`, the `SecurityHubOn` condition): the calls the sinks
/// make.
pub use warden_shared::sinks::{EVENT_BUS_ACTIONS, SECURITY_HUB_ACTIONS};

/// A role's statements with each `Fn::If` opened: (condition, statement).
/// A conditional statement must grant nothing when its condition is false.
pub fn role_statements(role: &str) -> Vec<(Option<String>, Value)> {
    let mut statements = Vec::new();
    for policy in resource(role)["Properties"]["Policies"]
        .as_array()
        .unwrap_or_else(|| panic!("{role} has inline policies"))
    {
        for statement in policy["PolicyDocument"]["Statement"]
            .as_array()
            .unwrap_or_else(|| panic!("{role}: a policy with statements"))
        {
            match statement.get("Fn::If") {
                Some(branches) => {
                    assert_eq!(
                        branches[2],
                        json!({"Ref": "AWS::NoValue"}),
                        "{role}: a conditional statement grants nothing otherwise"
                    );
                    let condition = branches[0].as_str().map(str::to_string);
                    statements.push((condition, branches[1].clone()));
                }
                None => statements.push((None, statement.clone())),
            }
        }
    }
    statements
}

/// A statement's actions, whether one string or a list.
pub fn statement_actions(statement: &Value) -> Vec<String> {
    match &statement["Action"] {
        Value::String(one) => vec![one.clone()],
        Value::Array(list) => list
            .iter()
            .filter_map(|a| a.as_str().map(str::to_string))
            .collect(),
        _ => vec![],
    }
}

/// Asserts what every role that records findings holds besides its guard's
/// calls: the state table's calls on the table and its indexes only (and no
/// other statement allows them); `events:PutEvents` on the stack's bus only,
/// and only with a bus; Security Hub's import on the account's default
/// product and `GetFindings` (which takes no resource but `*`), only under
/// `SecurityHub=true`.
pub fn assert_state_and_sink_statements(role: &str) {
    let statements = role_statements(role);
    let holding = |wanted: &[&str]| -> Vec<(Option<String>, Value)> {
        statements
            .iter()
            .filter(|(_, s)| {
                statement_actions(s)
                    .iter()
                    .any(|a| wanted.contains(&a.as_str()))
            })
            .cloned()
            .collect()
    };
    let state = holding(&STATE_TABLE_ACTIONS);
    assert_eq!(state.len(), 1, "{role}: one statement for the state table");
    let (condition, statement) = &state[0];
    assert_eq!(condition, &None, "{role}: the state table, unconditionally");
    assert_eq!(statement["Effect"], "Allow");
    assert_eq!(
        statement_actions(statement),
        STATE_TABLE_ACTIONS,
        "{role}: exactly the state table's calls"
    );
    assert_eq!(
        statement["Resource"],
        json!([
            {"Fn::GetAtt": ["WardenStateTable", "Arn"]},
            {"Fn::Sub": "${WardenStateTable.Arn}/index/*"}
        ]),
        "{role}: the table and its indexes only"
    );

    let bus = holding(&EVENT_BUS_ACTIONS);
    assert_eq!(bus.len(), 1, "{role}: one statement for the event bus");
    let (condition, statement) = &bus[0];
    assert_eq!(condition.as_deref(), Some("HasEventBus"), "{role}");
    assert_eq!(statement["Effect"], "Allow");
    assert_eq!(statement["Action"], json!(EVENT_BUS_ACTIONS[0]), "{role}");
    assert_eq!(
        statement["Resource"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${EventBus}"}),
        "{role}: the stack's bus only"
    );

    let hub: Vec<(Option<String>, Value)> = statements
        .iter()
        .filter(|(_, s)| {
            statement_actions(s)
                .iter()
                .any(|a| a.starts_with("securityhub:"))
        })
        .cloned()
        .collect();
    let mut granted: Vec<String> = Vec::new();
    for (condition, statement) in &hub {
        assert_eq!(
            condition.as_deref(),
            Some("SecurityHubOn"),
            "{role}: Security Hub only with SecurityHub=true: {statement}"
        );
        assert_eq!(statement["Effect"], "Allow");
        let actions = statement_actions(statement);
        assert_eq!(
            actions.len(),
            1,
            "{role}: one action a statement: {statement}"
        );
        let expected = match actions[0].as_str() {
            // Any region: a sweep imports each bucket's findings in the
            // bucket's own region; only this account's default product.
            "securityhub:BatchImportFindings" => json!({"Fn::Sub":
                "arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:product/${AWS::AccountId}/default"}),
            "securityhub:GetFindings" => json!("*"),
            other => panic!("{role}: {other} is not a call the sinks make"),
        };
        assert_eq!(statement["Resource"], expected, "{role}: {}", actions[0]);
        granted.extend(actions);
    }
    granted.sort();
    let mut needed = SECURITY_HUB_ACTIONS.map(str::to_string).to_vec();
    needed.sort();
    assert_eq!(granted, needed, "{role}");
}

/// Asserts a role allows exactly the guard's calls (its rules' reads and
/// fixes, and what every check reads) and the common ones.
/// Fails if `actions` holds any of `never`, naming it and the list.
pub fn assert_none_of(actions: &[String], never: &[&str]) {
    for action in never {
        assert!(
            !actions.iter().any(|a| a == action),
            "{action}: {actions:?}"
        );
    }
}

pub fn assert_role_allows_exactly(role: &str, guard_actions: &[&str]) {
    let mut expected: Vec<String> = guard_actions
        .iter()
        .chain(COMMON_ACTIONS.iter())
        .map(|a| a.to_string())
        .collect();
    expected.sort();
    expected.dedup();
    assert_eq!(allowed_actions(role), expected, "the actions {role} allows");
}

/// The state table's settings (issue 12), which `Globals` gives every
/// function; the parameter each comes from.
pub const STATE_VARIABLES: [(&str, &str); 8] = [
    (StateSettings::TABLE, "WardenStateTable"),
    (StateSettings::CLAIM_DAYS, "DeduplicationDays"),
    (StateSettings::SUPPRESSION_DAYS, "SuppressionDays"),
    (StateSettings::BREAKER_CHANGES, "BreakerChanges"),
    (
        StateSettings::BREAKER_WINDOW_MINUTES,
        "BreakerWindowMinutes",
    ),
    (
        StateSettings::ACCOUNT_CHANGES_PER_HOUR,
        "AccountChangesPerHour",
    ),
    (Config::IAC_CHANGES, "IacChanges"),
    (StateSettings::AUDIT_DAYS, "AuditRetentionDays"),
];

/// Where findings go besides SNS (issue 13), given to every function by
/// `Globals`; the parameter each comes from.
pub const SINK_VARIABLES: [(&str, &str); 2] = [
    (SinkSettings::SECURITY_HUB, "SecurityHub"),
    (SinkSettings::EVENT_BUS, "EventBus"),
];

/// The settings every function reads (`Globals` passes them, with the
/// state table's and the sinks') besides `WARDEN_SELF_ARN`, which each
/// function gets for its own role.
pub const COMMON_VARIABLES: [&str; 5] = [
    "AWS_ENDPOINT_URL",
    "WARDEN_EXEMPTION_TAG",
    "WARDEN_MODE",
    "WARDEN_SELF_ARN",
    "WARDEN_TOPIC_ARN",
];

/// Every setting a function gets whatever it is: [`COMMON_VARIABLES`], the
/// state table's and the sinks'.
pub fn every_function_variables() -> Vec<&'static str> {
    COMMON_VARIABLES
        .into_iter()
        .chain(STATE_VARIABLES.iter().map(|(v, _)| *v))
        .chain(SINK_VARIABLES.iter().map(|(v, _)| *v))
        .collect()
}

/// Asserts `function` is given exactly the common settings and `own`.
pub fn assert_variables(function: &str, own: &[&str]) {
    let mut expected: Vec<String> = every_function_variables()
        .iter()
        .chain(own)
        .map(|v| v.to_string())
        .collect();
    expected.sort();
    assert_eq!(
        variables(function),
        expected,
        "the settings {function} gets"
    );
}
