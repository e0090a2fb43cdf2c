//! The SAM template and the code must agree: the EventBridge rule subscribes
//! to exactly the events the guard handles, and the function is given every
//! setting the code reads. (sam validate --lint and cfn-lint check the rest.)

use bucket_guard::{BucketRules, HANDLED_EVENTS};
use warden_shared::Config;

fn template() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml");
    std::fs::read_to_string(path).expect("template.yaml at the workspace root")
}

/// The `- item` lines of the YAML list under `key:` at its first occurrence
/// after `anchor`.
fn list_after(text: &str, anchor: &str, key: &str) -> Vec<String> {
    let start = text
        .find(anchor)
        .unwrap_or_else(|| panic!("{anchor} in template.yaml"));
    let mut lines = text[start..]
        .lines()
        .skip_while(|line| line.trim() != format!("{key}:"));
    let header = lines
        .next()
        .unwrap_or_else(|| panic!("{key}: after {anchor}"));
    let indent = header.len() - header.trim_start().len();
    lines
        .take_while(|line| {
            line.len() - line.trim_start().len() > indent || line.trim_start().starts_with("- ")
        })
        .filter_map(|line| line.trim().strip_prefix("- ").map(str::to_string))
        .collect()
}

/// The variable names in the `Variables:` map after `anchor`.
fn variables_after(text: &str, anchor: &str) -> Vec<String> {
    let start = text
        .find(anchor)
        .unwrap_or_else(|| panic!("{anchor} in template.yaml"));
    let mut lines = text[start..]
        .lines()
        .skip_while(|line| line.trim() != "Variables:");
    let header = lines.next().expect("Variables:");
    let indent = header.len() - header.trim_start().len();
    lines
        .take_while(|line| line.len() - line.trim_start().len() > indent)
        .filter(|line| line.len() - line.trim_start().len() == indent + 2)
        .filter_map(|line| {
            line.trim()
                .split_once(':')
                .map(|(name, _)| name.to_string())
        })
        .collect()
}

#[test]
fn the_rule_subscribes_to_exactly_the_handled_events() {
    let subscribed = list_after(&template(), "BucketChange:", "eventName");
    assert_eq!(subscribed, HANDLED_EVENTS.to_vec());
}

#[test]
fn the_function_gets_every_setting_the_code_reads() {
    let mut declared = variables_after(
        &template(),
        "BucketGuardFunction:\n    Type: AWS::Serverless::Function",
    );
    declared.sort();
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
    assert_eq!(declared, read);
}
