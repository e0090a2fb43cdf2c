//! The dashboard: its `!Sub` body resolved as CloudFormation would, and the
//! widgets an operator reads.

use serde_json::{Value, json};
use warden_tests::template::{resource, template};

use super::functions;

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
