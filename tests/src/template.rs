//! `template.yaml` as JSON, for tests that check the template against the
//! code. Read through cfn-lint's own YAML loader (from the project's
//! virtualenv), so CloudFormation's short-form tags (`!Sub`, `!If`) come back
//! as `Fn::Sub`, `Fn::If`.

use crate::paths::{venv_bin, workspace_root};
use serde_json::Value;
use std::process::Command;
use std::sync::OnceLock;

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

/// What every function's role allows besides its guard's own calls: its log
/// group, the findings topic and the dead-letter queue.
pub const COMMON_ACTIONS: [&str; 4] = [
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "sns:Publish",
    "sqs:SendMessage",
];

/// Asserts a role allows exactly the guard's calls (its rules' reads and
/// fixes, and what every check reads) and the common ones.
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

/// The settings every function reads (`Globals` passes them) besides
/// `WARDEN_SELF_ARN`, which each function gets for its own role.
pub const COMMON_VARIABLES: [&str; 5] = [
    "AWS_ENDPOINT_URL",
    "WARDEN_EXEMPTION_TAG",
    "WARDEN_MODE",
    "WARDEN_SELF_ARN",
    "WARDEN_TOPIC_ARN",
];

/// Asserts `function` is given exactly the common settings and `own`.
pub fn assert_variables(function: &str, own: &[&str]) {
    let mut expected: Vec<String> = COMMON_VARIABLES
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
