//! What the template gives every function to be operated: an alarm on its
//! errors and one on its throttles, both to the findings topic; a reserved
//! concurrency the stack's user sets; and an alarm on the dead-letter queue.
//! Checked for every `AWS::Serverless::Function`, so a function added later
//! without them fails here.

// Tests and benchmarks: a failed expectation is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use warden_tests::template::{resource, resources_of, template};

fn functions() -> Vec<&'static str> {
    let functions = resources_of("AWS::Serverless::Function");
    assert!(functions.len() >= 4, "{functions:?}");
    functions
}

fn alarms() -> Vec<&'static Value> {
    template()["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::CloudWatch::Alarm")
        .map(|r| &r["Properties"])
        .collect()
}

/// The alarms on `metric` of `namespace` whose one dimension is `value`.
fn alarms_on(namespace: &str, metric: &str, dimension: &str, value: &Value) -> Vec<&'static Value> {
    alarms()
        .into_iter()
        .filter(|a| a["Namespace"] == namespace && a["MetricName"] == metric)
        .filter(|a| a["Dimensions"] == json!([{ "Name": dimension, "Value": value }]))
        .collect()
}

/// Fires on the first occurrence in five minutes, to the findings topic, and
/// stays quiet when there is no data (a function that was not invoked).
fn assert_fires_on_the_first(alarm: &Value, what: &str) {
    for (key, expected) in [
        ("Threshold", json!(0)),
        ("ComparisonOperator", json!("GreaterThanThreshold")),
        ("EvaluationPeriods", json!(1)),
        ("Period", json!(300)),
        ("TreatMissingData", json!("notBreaching")),
        ("AlarmActions", json!([{ "Ref": "WardenTopic" }])),
    ] {
        assert_eq!(alarm[key], expected, "{what}: {key}");
    }
    assert!(
        alarm["AlarmDescription"]
            .as_str()
            .is_some_and(|d| d.len() > 40),
        "{what} says what to do: {alarm}"
    );
}

#[test]
fn every_function_alarms_on_its_errors_and_its_throttles() {
    for function in functions() {
        let name = json!({ "Ref": function });
        for (metric, statistic) in [("Errors", "Sum"), ("Throttles", "Sum")] {
            let found = alarms_on("AWS/Lambda", metric, "FunctionName", &name);
            assert_eq!(found.len(), 1, "one {metric} alarm for {function}");
            assert_eq!(found[0]["Statistic"], statistic);
            assert_fires_on_the_first(found[0], &format!("{function} {metric}"));
        }
    }
}

#[test]
fn every_dead_letter_queue_alarms_on_its_first_message() {
    let queues: Vec<&str> = resources_of("AWS::SQS::Queue")
        .into_iter()
        .filter(|name| name.ends_with("DeadLetterQueue"))
        .collect();
    assert!(queues.contains(&"WardenDeadLetterQueue"), "{queues:?}");
    for queue in queues {
        let name = json!({ "Fn::GetAtt": [queue, "QueueName"] });
        let found = alarms_on(
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            "QueueName",
            &name,
        );
        assert_eq!(found.len(), 1, "one alarm on {queue}");
        assert_eq!(found[0]["Statistic"], "Maximum");
        assert_fires_on_the_first(found[0], queue);
    }
}

#[test]
fn every_function_dead_letters_to_the_queue_the_alarm_watches() {
    let globals = &template()["Globals"]["Function"];
    assert_eq!(
        globals["DeadLetterQueue"],
        json!({ "Type": "SQS", "TargetArn": { "Fn::GetAtt": ["WardenDeadLetterQueue", "Arn"] } })
    );
    for function in functions() {
        assert!(
            resource(function)["Properties"]["DeadLetterQueue"].is_null(),
            "{function} keeps the global dead-letter queue"
        );
    }
}

/// CloudWatch can publish to an encrypted topic only through a key whose
/// policy lets it; the AWS managed aws/sns key's cannot be changed.
#[test]
fn cloudwatch_may_publish_to_the_encrypted_topic() {
    assert_eq!(
        resource("WardenTopic")["Properties"]["KmsMasterKeyId"],
        json!({ "Fn::GetAtt": ["WardenTopicKey", "Arn"] })
    );
    let statements = resource("WardenTopicKey")["Properties"]["KeyPolicy"]["Statement"]
        .as_array()
        .unwrap();
    let cloudwatch = statements
        .iter()
        .find(|s| s["Principal"] == json!({ "Service": "cloudwatch.amazonaws.com" }))
        .expect("a statement for CloudWatch");
    assert_eq!(cloudwatch["Effect"], "Allow");
    assert_eq!(
        cloudwatch["Action"],
        json!(["kms:Decrypt", "kms:GenerateDataKey*"])
    );
    assert_eq!(
        cloudwatch["Condition"],
        json!({ "StringEquals": { "aws:SourceAccount": { "Ref": "AWS::AccountId" } } })
    );
}

/// `<Name>Function` reserves `<Name>Concurrency` executions, or none when
/// the parameter is 0 (0 itself would stop the function).
#[test]
fn every_function_reserves_the_concurrency_its_parameter_says() {
    for function in functions() {
        let name = function.strip_suffix("Function").unwrap();
        let parameter = format!("{name}Concurrency");
        let condition = format!("Reserves{name}Concurrency");
        let declared = &template()["Parameters"][&parameter];
        assert_eq!(declared["Type"], "Number", "{parameter}");
        assert_eq!(declared["Default"], json!(0), "{parameter}");
        assert_eq!(declared["MinValue"], json!(0), "{parameter}");
        assert_eq!(
            template()["Conditions"][&condition],
            json!({ "Fn::Not": [{ "Fn::Equals": [{ "Ref": parameter }, 0] }] }),
            "{condition}"
        );
        assert_eq!(
            resource(function)["Properties"]["ReservedConcurrentExecutions"],
            json!({ "Fn::If": [condition, { "Ref": parameter }, { "Ref": "AWS::NoValue" }] }),
            "{function}"
        );
    }
}
