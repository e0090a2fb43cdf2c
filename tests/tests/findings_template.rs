//! What the template gives issues 12 and 13: the state table and its
//! settings, the findings sinks (the event bus, Security Hub) with scoped
//! permissions, the dashboard, the `Architecture` parameter, and the SAR
//! metadata a public application needs. Read from `template.yaml` through
//! cfn-lint's loader (`warden_tests::template`), and, for the architecture,
//! through the SAM CLI's own function provider (what `sam build` uses).

// Tests: a failed expectation is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::process::Command;
use warden_shared::Config;
use warden_shared::config::IacChanges;
use warden_shared::sinks::SinkSettings;
use warden_shared::state::StateSettings;
use warden_tests::template::{
    SINK_VARIABLES, STATE_VARIABLES, assert_state_and_sink_statements, resource, resources_of,
    role_statements, statement_actions, template, variables,
};
use warden_tests::{venv_bin, workspace_root};

/// Every `AWS::Serverless::Function` of the template.
fn functions() -> Vec<&'static str> {
    let functions = resources_of("AWS::Serverless::Function");
    assert!(functions.len() >= 5, "{functions:?}");
    functions
}

/// The functions that record findings: the four guards and the sweeper.
const RECORDERS: [&str; 5] = [
    "BucketGuardFunction",
    "TagGuardFunction",
    "MfaGuardFunction",
    "TrailGuardFunction",
    "SweeperFunction",
];

fn parameter(name: &str) -> &'static Value {
    let p = &template()["Parameters"][name];
    assert!(p.is_object(), "parameter {name}");
    p
}

#[test]
fn the_state_table_is_the_contracts() {
    let table = resource("WardenStateTable");
    assert_eq!(table["Type"], "AWS::DynamoDB::Table");
    // The index the code queries a change by.
    assert_eq!(
        table["Properties"]["GlobalSecondaryIndexes"][0]["IndexName"],
        warden_shared::state::CHANGE_INDEX
    );
    // The audit trail outlives the stack.
    assert_eq!(table["DeletionPolicy"], "Retain");
    assert_eq!(table["UpdateReplacePolicy"], "Retain");
    assert_eq!(
        table["Properties"],
        json!({
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "change_id", "AttributeType": "S"}
            ],
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"}
            ],
            "GlobalSecondaryIndexes": [{
                "IndexName": "by-change-id",
                "KeySchema": [{"AttributeName": "change_id", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"}
            }],
            "SSESpecification": {"SSEEnabled": true},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true},
            "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": true}
        })
    );
}

/// Each setting of the state table and the sinks comes from its parameter
/// (the table's name from the table), through `Globals`, to every function.
#[test]
fn every_function_gets_the_state_table_and_the_sinks() {
    let globals = &template()["Globals"]["Function"]["Environment"]["Variables"];
    for (variable, source) in STATE_VARIABLES.iter().chain(SINK_VARIABLES.iter()) {
        assert_eq!(globals[variable], json!({"Ref": source}), "{variable}");
    }
    for function in functions() {
        let declared = variables(function);
        for (variable, _) in STATE_VARIABLES.iter().chain(SINK_VARIABLES.iter()) {
            assert!(
                declared.iter().any(|d| d == variable),
                "{function} gets {variable}"
            );
            assert!(
                resource(function)["Properties"]["Environment"]["Variables"][variable].is_null(),
                "{function} keeps the global {variable}"
            );
        }
    }
}

/// The parameters say their defaults (the contract's), their bounds and
/// what they do.
#[test]
fn the_new_parameters_have_the_contracts_defaults_and_bounds() {
    for (name, default, min) in [
        ("DeduplicationDays", 7, 1),
        ("SuppressionDays", 7, 1),
        ("BreakerChanges", 3, 1),
        ("BreakerWindowMinutes", 60, 1),
        ("AccountChangesPerHour", 100, 0),
        ("AuditRetentionDays", 365, 1),
    ] {
        let p = parameter(name);
        assert_eq!(p["Type"], "Number", "{name}");
        assert_eq!(p["Default"], json!(default), "{name}");
        assert_eq!(p["MinValue"], json!(min), "{name}");
        assert!(p["MaxValue"].as_u64().unwrap() > default, "{name}");
    }
    for (name, default, allowed) in [
        ("IacChanges", "notify", json!(["notify", "remediate"])),
        ("SecurityHub", "false", json!(["true", "false"])),
        ("Architecture", "arm64", json!(["arm64", "x86_64"])),
    ] {
        let p = parameter(name);
        assert_eq!(p["Type"], "String", "{name}");
        assert_eq!(p["Default"], default, "{name}");
        assert_eq!(p["AllowedValues"], allowed, "{name}");
    }
    let bus = parameter("EventBus");
    assert_eq!(bus["Default"], "default");
    assert!(bus["AllowedPattern"].as_str().unwrap().starts_with("^$|"));
    for (variable, name) in STATE_VARIABLES.iter().chain(SINK_VARIABLES.iter()) {
        if *name == "WardenStateTable" {
            continue;
        }
        let description = parameter(name)["Description"].as_str().unwrap_or_default();
        assert!(
            description.len() > 60,
            "{name} says what it does: {description:?}"
        );
        assert!(
            description.contains(variable) || *name == "EventBus" || *name == "SecurityHub",
            "{name} names {variable}: {description:?}"
        );
    }
    // Every parameter is in a group of the console's form.
    let grouped: BTreeSet<&str> =
        template()["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["Parameters"].as_array().unwrap())
            .map(|p| p.as_str().unwrap())
            .collect();
    for name in template()["Parameters"].as_object().unwrap().keys() {
        assert!(grouped.contains(name.as_str()), "{name} is in a group");
    }
}

/// The state table's numeric parameters: the template's default is the
/// code's, and the code accepts exactly the template's range (a value the
/// template lets through never fails the start, and the code refuses what
/// the template would).
#[test]
fn the_state_parameters_are_the_codes_defaults_and_ranges() {
    let only_table = [(StateSettings::TABLE, "t")];
    let defaults = StateSettings::from_env(&only_table[..]).unwrap().unwrap();
    for (variable, name, default) in [
        (
            StateSettings::CLAIM_DAYS,
            "DeduplicationDays",
            defaults.claim_days,
        ),
        (
            StateSettings::SUPPRESSION_DAYS,
            "SuppressionDays",
            defaults.suppression_days,
        ),
        (
            StateSettings::BREAKER_CHANGES,
            "BreakerChanges",
            defaults.breaker_changes,
        ),
        (
            StateSettings::BREAKER_WINDOW_MINUTES,
            "BreakerWindowMinutes",
            defaults.breaker_window_minutes,
        ),
        (
            StateSettings::ACCOUNT_CHANGES_PER_HOUR,
            "AccountChangesPerHour",
            defaults.account_changes_per_hour,
        ),
        (
            StateSettings::AUDIT_DAYS,
            "AuditRetentionDays",
            defaults.audit_days,
        ),
    ] {
        let p = parameter(name);
        assert_eq!(p["Default"], json!(default), "{name}: the code's default");
        let min = p["MinValue"].as_u64().unwrap();
        let max = p["MaxValue"].as_u64().unwrap();
        let parses = |value: u64| {
            let text = value.to_string();
            let env = [(StateSettings::TABLE, "t"), (variable, text.as_str())];
            StateSettings::from_env(&env[..]).is_ok()
        };
        assert!(parses(min) && parses(max), "{name}: {min}..={max} accepted");
        assert!(!parses(max + 1), "{name}: above {max} refused");
        if min > 0 {
            assert!(!parses(min - 1), "{name}: below {min} refused");
        }
    }
    // IacChanges: each allowed value is the setting of that name; the
    // default is the code's.
    let iac = parameter("IacChanges");
    for allowed in iac["AllowedValues"].as_array().unwrap() {
        let value = allowed.as_str().unwrap();
        let env = [(Config::IAC_CHANGES, value)];
        let config = Config::from_env(&env[..]).unwrap();
        assert_eq!(config.iac_changes.to_string(), value);
    }
    let none: [(&str, &str); 0] = [];
    let config = Config::from_env(&none[..]).unwrap();
    assert_eq!(config.iac_changes, IacChanges::Notify);
    assert_eq!(iac["Default"], json!(IacChanges::Notify.to_string()));
    let env = [(Config::IAC_CHANGES, "fight")];
    assert!(Config::from_env(&env[..]).is_err());
}

/// What the template passes by default, and every value it allows, is a
/// setting the sinks' code accepts, meaning what the parameter says.
#[test]
fn the_sink_parameters_are_settings_the_code_accepts() {
    let bus = parameter("EventBus")["Default"].as_str().unwrap();
    for allowed in parameter("SecurityHub")["AllowedValues"]
        .as_array()
        .unwrap()
    {
        let value = allowed.as_str().unwrap();
        let env = [
            (SinkSettings::SECURITY_HUB, value),
            (SinkSettings::EVENT_BUS, bus),
        ];
        assert_eq!(
            SinkSettings::from_env(&env[..]).unwrap(),
            SinkSettings {
                security_hub: value == "true",
                event_bus: Some("default".into()),
            }
        );
    }
    // An empty EventBus sends no events (and HasEventBus drops the grant).
    let env = [
        (SinkSettings::SECURITY_HUB, "false"),
        (SinkSettings::EVENT_BUS, ""),
    ];
    assert_eq!(
        SinkSettings::from_env(&env[..]).unwrap(),
        SinkSettings::default()
    );
}

#[test]
fn the_sink_conditions_follow_their_parameters() {
    assert_eq!(
        template()["Conditions"]["SecurityHubOn"],
        json!({"Fn::Equals": [{"Ref": "SecurityHub"}, "true"]})
    );
    assert_eq!(
        template()["Conditions"]["HasEventBus"],
        json!({"Fn::Not": [{"Fn::Equals": [{"Ref": "EventBus"}, ""]}]})
    );
}

#[test]
fn every_role_that_records_findings_is_scoped_to_the_table_the_bus_and_security_hub() {
    for function in RECORDERS {
        let role = resource(function)["Properties"]["Role"]["Fn::GetAtt"][0]
            .as_str()
            .unwrap_or_else(|| panic!("{function} has its own role"));
        assert_eq!(role, format!("{function}Role"));
        assert_state_and_sink_statements(role);
    }
}

/// No role of the stack reaches the state table's items outside the table,
/// and none holds what SAR refuses to publish (`iam:*`,
/// `iam:AttachRolePolicy`, `iam:PutRolePolicy` on every resource).
#[test]
fn no_role_holds_what_sar_refuses_or_reaches_items_elsewhere() {
    let roles = resources_of("AWS::IAM::Role");
    assert!(roles.len() >= 6, "{roles:?}");
    for role in roles {
        for (_, statement) in role_statements(role) {
            for action in statement_actions(&statement) {
                assert!(
                    !["iam:*", "*", "iam:AttachRolePolicy", "iam:PutRolePolicy"]
                        .contains(&action.as_str()),
                    "{role}: {action}"
                );
                if matches!(
                    action.as_str(),
                    "dynamodb:GetItem"
                        | "dynamodb:PutItem"
                        | "dynamodb:UpdateItem"
                        | "dynamodb:DeleteItem"
                        | "dynamodb:Query"
                        | "dynamodb:Scan"
                ) {
                    let resources = match &statement["Resource"] {
                        Value::Array(list) => list.clone(),
                        one => vec![one.clone()],
                    };
                    for r in resources {
                        assert!(
                            r == json!({"Fn::GetAtt": ["WardenStateTable", "Arn"]})
                                || r == json!({"Fn::Sub": "${WardenStateTable.Arn}/index/*"}),
                            "{role}: {action} on {r}"
                        );
                    }
                }
            }
        }
    }
}

/// The dashboard body with `!Sub`'s placeholders replaced as CloudFormation
/// would (a resource's name or attribute, a pseudo parameter; `${!x}` is the
/// literal `${x}`), checking each placeholder names something that exists.
fn dashboard() -> Value {
    let body = resource("WardenDashboard")["Properties"]["DashboardBody"]["Fn::Sub"]
        .as_str()
        .expect("the body is one !Sub string");
    let mut out = String::new();
    let mut rest = body;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("a closed placeholder") + start;
        let name = &rest[start + 2..end];
        if let Some(literal) = name.strip_prefix('!') {
            out.push_str(&format!("${{{literal}}}"));
        } else if let Some(pseudo) = name.strip_prefix("AWS::") {
            assert!(
                ["Region", "StackName", "AccountId", "Partition"].contains(&pseudo),
                "{name}"
            );
            out.push_str(&format!("<{pseudo}>"));
        } else {
            let logical = name.split('.').next().unwrap();
            assert!(
                template()["Resources"][logical].is_object(),
                "the dashboard names {name}, which the template lacks"
            );
            out.push_str(&format!("<{name}>"));
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("the dashboard body is JSON: {e}\n{out}"))
}

fn widget<'a>(dashboard: &'a Value, title: &str) -> &'a Value {
    dashboard["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["properties"]["title"] == title)
        .unwrap_or_else(|| panic!("a widget {title:?}"))
}

#[test]
fn the_dashboard_shows_findings_errors_dead_letters_and_latency() {
    assert_eq!(
        resource("WardenDashboard")["Type"],
        "AWS::CloudWatch::Dashboard"
    );
    let dashboard = dashboard();
    for w in dashboard["widgets"].as_array().unwrap() {
        if w["type"] == "metric" {
            assert_eq!(w["properties"]["region"], "<Region>", "{w}");
        }
    }

    let findings = widget(&dashboard, "Findings by guard, rule and outcome");
    assert_eq!(
        findings["properties"]["metrics"],
        json!([[{"id": "findings",
            "expression": "SEARCH('{Warden,guard,rule,outcome} MetricName=\"Findings\"', 'Sum', 300)"}]])
    );
    let failed = widget(&dashboard, "Fixes that failed (outcome failed)");
    assert_eq!(
        failed["properties"]["metrics"][0][0]["expression"],
        "SEARCH('{Warden,guard,rule,outcome} MetricName=\"Findings\" outcome=\"failed\"', 'Sum', 300)"
    );

    for (title, metric) in [
        ("Function errors", "Errors"),
        ("Function throttles", "Throttles"),
    ] {
        let w = widget(&dashboard, title);
        assert_eq!(w["properties"]["stat"], "Sum");
        let shown: Vec<String> = w["properties"]["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                let m = m.as_array().unwrap();
                assert_eq!(
                    m[0..3],
                    json!(["AWS/Lambda", metric, "FunctionName"])
                        .as_array()
                        .unwrap()[..],
                    "{m:?}"
                );
                let label = m[4]["label"].as_str().unwrap();
                let function = m[3].as_str().unwrap();
                assert!(function.starts_with('<'), "{function}");
                assert!(!label.is_empty(), "{m:?}");
                function.to_string()
            })
            .collect();
        let mut expected: Vec<String> = functions().iter().map(|f| format!("<{f}>")).collect();
        let mut shown_sorted = shown.clone();
        expected.sort();
        shown_sorted.sort();
        assert_eq!(shown_sorted, expected, "{title}: every function, once");
    }

    let queues = widget(&dashboard, "Dead-letter queue depth");
    assert_eq!(queues["properties"]["stat"], "Maximum");
    assert_eq!(
        queues["properties"]["metrics"],
        json!([
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName",
             "<WardenDeadLetterQueue.QueueName>", {"label": "WardenDeadLetterQueue"}],
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName",
             "<SweepDeadLetterQueue.QueueName>", {"label": "SweepDeadLetterQueue"}]
        ])
    );

    let latency = widget(
        &dashboard,
        "Change-to-fix latency (ms, CloudTrail eventTime to confirmed read-back)",
    );
    let expressions: Vec<(&str, &str)> = latency["properties"]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m[0]["expression"].as_str().unwrap(),
                m[0]["label"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        expressions,
        [
            (
                "SEARCH('{Warden,guard,rule} MetricName=\"ChangeToFixMs\"', 'p50', 300)",
                "p50 ${PROP('Dim.guard')} ${PROP('Dim.rule')}"
            ),
            (
                "SEARCH('{Warden,guard,rule} MetricName=\"ChangeToFixMs\"', 'p90', 300)",
                "p90 ${PROP('Dim.guard')} ${PROP('Dim.rule')}"
            ),
            (
                "SEARCH('{Warden,guard,rule} MetricName=\"ChangeToFixMs\"', 'Maximum', 300)",
                "max ${PROP('Dim.guard')} ${PROP('Dim.rule')}"
            ),
        ]
    );
    assert_eq!(
        template()["Outputs"]["DashboardName"]["Value"],
        json!({"Ref": "WardenDashboard"})
    );
}

/// What the SAM CLI resolves for each function (its function provider, as
/// `sam build` does), with the given parameter overrides: (architecture,
/// build method, binary).
fn resolved_functions(overrides: &Value) -> Value {
    const SCRIPT: &str = "\
import json, sys
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider
from samcli.lib.providers.sam_function_provider import SamFunctionProvider
stacks, _ = SamLocalStackProvider.get_stacks(sys.argv[1], parameter_overrides=json.loads(sys.argv[2]))
provider = SamFunctionProvider(stacks, ignore_code_extraction_warnings=True)
print(json.dumps({f.name: [f.architecture, (f.metadata or {}).get('BuildMethod'),
    (f.metadata or {}).get('BuildProperties', {}).get('Binary')] for f in provider.get_all()}))
";
    let output = Command::new(venv_bin("python"))
        .args(["-c", SCRIPT])
        .arg(workspace_root().join("template.yaml"))
        .arg(overrides.to_string())
        .env("SAM_CLI_TELEMETRY", "0")
        .output()
        .expect("the virtualenv's python");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// `Architecture` reaches every function through `Globals`, and the SAM
/// CLI resolves it for each (the architecture `sam build` hands
/// cargo-lambda: `--arm64` or `--x86-64`).
#[test]
fn the_architecture_parameter_reaches_every_function() {
    assert_eq!(
        template()["Globals"]["Function"]["Architectures"],
        json!([{"Ref": "Architecture"}])
    );
    for function in functions() {
        assert!(
            resource(function)["Properties"]["Architectures"].is_null(),
            "{function} keeps the global architecture"
        );
    }
    for (overrides, architecture) in [
        (json!({}), "arm64"),
        (json!({"Architecture": "x86_64"}), "x86_64"),
        (json!({"Architecture": "arm64"}), "arm64"),
    ] {
        let resolved = resolved_functions(&overrides);
        let names: BTreeSet<&str> = resolved
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(names, functions().into_iter().collect(), "{overrides}");
        for function in functions() {
            let binary = &resource(function)["Metadata"]["BuildProperties"]["Binary"];
            assert_eq!(
                resolved[function],
                json!([architecture, "rust-cargolambda", binary]),
                "{function} with {overrides}"
            );
        }
    }
}

/// The version of the workspace (`[workspace.package] version`).
fn workspace_version() -> String {
    let cargo = std::fs::read_to_string(workspace_root().join("Cargo.toml")).unwrap();
    let package = cargo
        .split("[workspace.package]")
        .nth(1)
        .expect("a [workspace.package] table");
    let line = package
        .lines()
        .find(|l| l.trim_start().starts_with("version"))
        .expect("a version");
    let version = line.split('"').nth(1).unwrap().to_string();
    assert_eq!(version, env!("CARGO_PKG_VERSION"), "the tests' own version");
    version
}

#[test]
fn the_sar_metadata_can_go_public_and_matches_the_cargo_version() {
    let sar = &template()["Metadata"]["AWS::ServerlessRepo::Application"];
    assert_eq!(
        sar["SourceCodeUrl"],
        "https://github.com/warden-security/warden"
    );
    assert_eq!(
        sar["HomePageUrl"],
        "https://github.com/warden-security/warden"
    );
    let version = workspace_version();
    assert_eq!(sar["SemanticVersion"], json!(version));
    let parts: Vec<&str> = version.split('.').collect();
    assert!(
        parts.len() == 3 && parts.iter().all(|p| p.parse::<u32>().is_ok()),
        "{version} is MAJOR.MINOR.PATCH"
    );
    for key in ["LicenseUrl", "ReadmeUrl"] {
        let file = sar[key].as_str().unwrap();
        assert!(
            workspace_root().join(file).is_file(),
            "{key} {file} is a file sam package uploads"
        );
    }
    assert_eq!(sar["SpdxLicenseId"], "Apache-2.0");
    assert!(
        std::fs::read_to_string(workspace_root().join("LICENSE"))
            .unwrap()
            .contains("Apache License")
    );
}

/// CHANGELOG.md: Keep a Changelog, an Unreleased section, and a section for
/// the version the template publishes.
#[test]
fn the_changelog_has_the_published_version_and_what_is_unreleased() {
    let changelog = std::fs::read_to_string(workspace_root().join("CHANGELOG.md")).unwrap();
    assert!(changelog.contains("https://keepachangelog.com/"));
    assert!(changelog.contains("https://semver.org/"));
    let version = workspace_version();
    let unreleased = changelog.find("## [Unreleased]").expect("## [Unreleased]");
    let released = changelog
        .find(&format!("## [{version}] - "))
        .unwrap_or_else(|| panic!("## [{version}] - <date>"));
    assert!(unreleased < released, "newest first");
    let unreleased_text = &changelog[unreleased..released];
    for issue in 8..=14 {
        assert!(
            unreleased_text.contains(&format!("(#{issue})")),
            "Unreleased names issue {issue}'s changes"
        );
    }
}

/// The README's publish section names every capability a consumer
/// acknowledges, derived from the resource types the template (and SAM's
/// transform: a function's EventBridge rule comes with a permission)
/// creates.
#[test]
fn the_readme_names_the_capabilities_consumers_acknowledge() {
    let types: BTreeSet<&str> = template()["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|r| r["Type"].as_str())
        .collect();
    let mut capabilities = BTreeSet::new();
    for t in &types {
        if [
            "AWS::IAM::Role",
            "AWS::IAM::Policy",
            "AWS::IAM::ManagedPolicy",
            "AWS::IAM::Group",
            "AWS::IAM::InstanceProfile",
        ]
        .contains(t)
        {
            capabilities.insert("CAPABILITY_IAM");
        }
        if [
            "AWS::Lambda::Permission",
            "AWS::Lambda::LayerVersionPermission",
            "AWS::Events::EventBusPolicy",
            "AWS::IAM::Policy",
            "AWS::ApplicationAutoScaling::ScalingPolicy",
            "AWS::S3::BucketPolicy",
            "AWS::SQS::QueuePolicy",
            "AWS::SNS::TopicPolicy",
        ]
        .contains(t)
        {
            capabilities.insert("CAPABILITY_RESOURCE_POLICY");
        }
        if *t == "AWS::Serverless::Application" || *t == "AWS::CloudFormation::Stack" {
            capabilities.insert("CAPABILITY_AUTO_EXPAND");
        }
    }
    assert!(capabilities.contains("CAPABILITY_RESOURCE_POLICY"));
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).unwrap();
    let publish = readme
        .split("## Publish to the Serverless Application Repository")
        .nth(1)
        .expect("a publish section")
        .split("\n## ")
        .next()
        .unwrap();
    for capability in &capabilities {
        assert!(
            publish.contains(&format!("`{capability}`")),
            "the publish section names {capability}"
        );
    }
    // Every IAM action a role of the stack holds is listed for consumers.
    for (name, r) in template()["Resources"].as_object().unwrap() {
        if r["Type"] != "AWS::IAM::Role" {
            continue;
        }
        for (_, statement) in role_statements(name) {
            for action in statement_actions(&statement) {
                if action.starts_with("iam:") {
                    assert!(
                        publish.contains(&format!("`{action}`")),
                        "the publish section lists {action} ({name})"
                    );
                }
            }
        }
    }
    for step in [
        "sam package",
        "sam publish",
        "aws serverlessrepo put-application-policy",
        "--statements Principals='*',Actions=Deploy",
    ] {
        assert!(publish.contains(step), "the publish section shows {step}");
    }
}
