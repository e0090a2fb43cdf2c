//! The SAM template and rollback's code must agree: its role allows exactly
//! the actions the code calls (`rollback::permissions::ACTIONS`), each
//! scoped (the state table and its indexes, the quarantine policy only),
//! the function gets the settings it reads, is built like the guards and is
//! subscribed to no event.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rollback::permissions::ACTIONS;
use serde_json::{Value, json};
use warden_tests::template::{allowed_actions, assert_none_of, resource, template, variables};

fn statements() -> Vec<Value> {
    resource("RollbackFunctionRole")["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .expect("the role's statements")
        .clone()
}

fn statement(sid: &str) -> Value {
    statements()
        .into_iter()
        .find(|s| s["Sid"] == sid)
        .unwrap_or_else(|| panic!("statement {sid} in RollbackFunctionRole"))
}

#[test]
fn the_role_allows_exactly_what_the_code_calls() {
    let mut expected: Vec<String> = ACTIONS
        .iter()
        .chain(&[
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "sqs:SendMessage",
        ])
        .map(|a| a.to_string())
        .collect();
    expected.sort();
    assert_eq!(allowed_actions("RollbackFunctionRole"), expected);
    let allowed = allowed_actions("RollbackFunctionRole");
    assert_none_of(
        &allowed,
        &[
            "iam:AttachUserPolicy",
            "iam:CreateLoginProfile",
            "iam:DeleteLoginProfile",
            "cloudtrail:StartLogging",
            "cloudtrail:DeleteTrail",
            "tag:TagResources",
            "sns:Publish",
        ],
    );
    assert!(allowed.iter().all(|a| !a.contains('*')), "{allowed:?}");
}

#[test]
fn each_statement_is_scoped() {
    let table = statement("ChangeRecordsAndSuppressions");
    assert_eq!(
        table["Resource"],
        json!([
            {"Fn::GetAtt": ["WardenStateTable", "Arn"]},
            {"Fn::Sub": "${WardenStateTable.Arn}/index/*"}
        ])
    );
    let mut dynamodb: Vec<&str> = ACTIONS
        .iter()
        .copied()
        .filter(|a| a.starts_with("dynamodb:"))
        .collect();
    dynamodb.sort();
    let mut granted: Vec<&str> = table["Action"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    granted.sort();
    assert_eq!(granted, dynamodb);

    let detach = statement("DetachOnlyTheQuarantinePolicy");
    assert_eq!(detach["Action"], "iam:DetachUserPolicy");
    assert_eq!(
        detach["Resource"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:user/*"})
    );
    assert_eq!(
        detach["Condition"],
        json!({"ArnEquals": {"iam:PolicyARN": {"Ref": "MfaQuarantinePolicy"}}})
    );
    // No other statement grants it.
    let detaching = statements()
        .into_iter()
        .filter(|s| s.to_string().contains("iam:DetachUserPolicy"))
        .count();
    assert_eq!(detaching, 1);

    assert_eq!(
        statement("ReadAndRestoreBucketSettings")["Resource"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:s3:::*"})
    );
    assert_eq!(
        statement("ReadAndRestoreTrails")["Resource"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:cloudtrail:*:${AWS::AccountId}:trail/*"})
    );
    assert_eq!(
        statement("ReadUsers")["Resource"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:user/*"})
    );
    assert_eq!(
        statement("WriteOwnLogs")["Resource"],
        json!({"Fn::GetAtt": ["RollbackLogGroup", "Arn"]})
    );
}

#[test]
fn the_function_is_built_like_the_guards_and_gets_its_settings() {
    let function = resource("RollbackFunction");
    assert_eq!(function["Type"], "AWS::Serverless::Function");
    assert_eq!(
        function["Metadata"],
        json!({"BuildMethod": "rust-cargolambda", "BuildProperties": {"Binary": "rollback"}})
    );
    let properties = &function["Properties"];
    assert_eq!(
        properties["Role"],
        json!({"Fn::GetAtt": ["RollbackFunctionRole", "Arn"]})
    );
    assert!(
        properties["Events"].is_null(),
        "rollback is invoked by hand, never by an event"
    );
    assert_eq!(
        properties["LoggingConfig"]["LogGroup"],
        json!({"Ref": "RollbackLogGroup"})
    );
    assert_eq!(
        properties["ReservedConcurrentExecutions"],
        json!({"Fn::If": ["ReservesRollbackConcurrency", {"Ref": "RollbackConcurrency"}, {"Ref": "AWS::NoValue"}]})
    );
    assert_eq!(
        properties["Environment"]["Variables"]["WARDEN_QUARANTINE_POLICY_ARN"],
        json!({"Ref": "MfaQuarantinePolicy"})
    );
    // What the code reads: the state table's settings (from Globals) and
    // the quarantine policy.
    let vars = variables("RollbackFunction");
    for read in [
        "WARDEN_STATE_TABLE",
        "WARDEN_SUPPRESSION_DAYS",
        "WARDEN_AUDIT_DAYS",
        "WARDEN_QUARANTINE_POLICY_ARN",
        "AWS_ENDPOINT_URL",
    ] {
        assert!(vars.iter().any(|v| v == read), "{read}: {vars:?}");
    }
    assert_eq!(
        template()["Globals"]["Function"]["Environment"]["Variables"]["WARDEN_STATE_TABLE"],
        json!({"Ref": "WardenStateTable"})
    );
}

#[test]
fn logs_alarms_concurrency_and_output() {
    let logs = &resource("RollbackLogGroup")["Properties"];
    assert_eq!(logs["RetentionInDays"], json!({"Ref": "LogRetentionDays"}));
    for (alarm, metric) in [
        ("RollbackErrorsAlarm", "Errors"),
        ("RollbackThrottlesAlarm", "Throttles"),
    ] {
        let properties = &resource(alarm)["Properties"];
        assert_eq!(properties["MetricName"], metric);
        assert_eq!(
            properties["Dimensions"],
            json!([{"Name": "FunctionName", "Value": {"Ref": "RollbackFunction"}}])
        );
        assert_eq!(properties["AlarmActions"], json!([{"Ref": "WardenTopic"}]));
    }
    let parameter = &template()["Parameters"]["RollbackConcurrency"];
    assert_eq!(
        (
            &parameter["Type"],
            &parameter["Default"],
            &parameter["MinValue"]
        ),
        (&json!("Number"), &json!(0), &json!(0))
    );
    assert_eq!(
        template()["Outputs"]["RollbackFunctionArn"]["Value"],
        json!({"Fn::GetAtt": ["RollbackFunction", "Arn"]})
    );
}
