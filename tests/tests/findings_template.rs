//! What the template gives issues 12 and 13: the state table and its
//! settings, the findings sinks (the event bus, Security Hub) with scoped
//! permissions, the dashboard, the `Architecture` parameter, and the SAR
//! metadata a public application needs. Read from `template.yaml` through
//! cfn-lint's loader (`warden_tests::template`), and, for the architecture,
//! through the SAM CLI's own function provider (what `sam build` uses).

// Tests: a failed expectation is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "findings_template/architecture.rs"]
mod architecture;
#[path = "findings_template/dashboard.rs"]
mod dashboard;
#[path = "findings_template/publication.rs"]
mod publication;

use serde_json::{Value, json};
use std::collections::BTreeSet;
use warden_shared::Config;
use warden_shared::config::IacChanges;
use warden_shared::sinks::SinkSettings;
use warden_shared::state::StateSettings;
use warden_tests::template::{
    SINK_VARIABLES, STATE_VARIABLES, assert_state_and_sink_statements, resource, resources_of,
    role_statements, statement_actions, template, variables,
};

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
