//! The SAM template and the code must agree: the function gets every setting
//! the code reads, its rule reaches every tagging call of the services table
//! (and nothing of Warden's own roles, nothing from outside AWS, none of the
//! high-volume calls), and its role holds exactly the table's permissions and
//! can only read and rewrite tags. (sam validate --lint and cfn-lint check
//! the rest.)

// Tests and benchmarks: a failed expectation is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use tag_guard::TagGuard;
use tag_guard::services::SERVICES;
use tag_guard::shapes::HIGH_VOLUME;
use warden_tests::template::{allowed_actions, assert_variables, resource};

/// Every Warden function's role, tag-guard's first: read from the template,
/// so a function added later (the sweeper's) must be excluded too.
fn roles() -> Vec<String> {
    let mut roles: Vec<String> = warden_tests::template::template()["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(name, r)| r["Type"] == "AWS::IAM::Role" && name.ends_with("FunctionRole"))
        .map(|(name, _)| name.clone())
        .filter(|name| name != "TagGuardFunctionRole")
        .collect();
    roles.insert(0, "TagGuardFunctionRole".to_string());
    roles
}

#[test]
fn the_function_gets_every_setting_the_code_reads() {
    assert_variables(
        "TagGuardFunction",
        &[
            TagGuard::DETECTORS,
            TagGuard::ALLOW,
            TagGuard::TAG_ACTION,
            TagGuard::ACCOUNT_IDS_IN_ARNS,
        ],
    );
}

#[test]
fn the_function_ignores_the_calls_of_every_warden_role() {
    let env = &resource("TagGuardFunction")["Properties"]["Environment"]["Variables"];
    let roles: Vec<Value> = roles()
        .iter()
        .map(|r| json!({"Fn::GetAtt": [r, "Arn"]}))
        .collect();
    assert_eq!(
        env["WARDEN_SELF_ARN"],
        json!({"Fn::Join": [",", roles]}),
        "WARDEN_SELF_ARN lists every Warden role"
    );
}

/// The rule's pattern, with each `!GetAtt Role.Arn` as the role's ARN.
fn pattern() -> Value {
    fn resolve(value: &Value) -> Value {
        match value {
            Value::Object(map) => match map.get("Fn::GetAtt") {
                Some(Value::Array(att)) if map.len() == 1 => {
                    json!(format!(
                        "arn:aws:iam::123456789012:role/{}",
                        att[0].as_str().unwrap()
                    ))
                }
                _ => Value::Object(map.iter().map(|(k, v)| (k.clone(), resolve(v))).collect()),
            },
            Value::Array(list) => Value::Array(list.iter().map(resolve).collect()),
            other => other.clone(),
        }
    }
    resolve(
        &resource("TagGuardFunction")["Properties"]["Events"]["TagChange"]["Properties"]["Pattern"],
    )
}

/// EventBridge's matching, for the operators the pattern uses: exact
/// strings, `prefix`, `anything-but` (a value or a list; never matches a
/// missing field), `exists`, and `$or` at any level.
fn matches(pattern: &Value, event: &Value) -> bool {
    let Value::Object(fields) = pattern else {
        panic!("a pattern is an object: {pattern}")
    };
    fields.iter().all(|(name, want)| {
        if name == "$or" {
            return want
                .as_array()
                .expect("$or holds a list")
                .iter()
                .any(|branch| matches(branch, event));
        }
        let got = event.get(name);
        match want {
            Value::Object(_) => matches(want, got.unwrap_or(&Value::Null)),
            Value::Array(options) => options.iter().any(|o| leaf(o, got)),
            other => panic!("unexpected pattern value {other}"),
        }
    })
}

fn leaf(option: &Value, got: Option<&Value>) -> bool {
    let got = got.filter(|v| !v.is_null());
    match option {
        Value::String(exact) => got.and_then(Value::as_str) == Some(exact),
        Value::Object(op) => {
            let (kind, arg) = op.iter().next().unwrap();
            match (kind.as_str(), got.and_then(Value::as_str)) {
                ("exists", _) => arg.as_bool().unwrap() == got.is_some(),
                ("prefix", Some(text)) => text.starts_with(arg.as_str().unwrap()),
                ("anything-but", Some(text)) => match arg {
                    Value::Array(list) => !list.iter().any(|v| v.as_str() == Some(text)),
                    Value::String(one) => one != text,
                    other => panic!("anything-but {other}"),
                },
                (_, None) => false,
                (other, _) => panic!("operator {other} is not modelled here"),
            }
        }
        other => panic!("unexpected option {other}"),
    }
}

/// A CloudTrail event for the pattern: `source` from the event source.
fn call(event_source: &str, event_name: &str, issuer: Option<&str>) -> Value {
    let service = event_source
        .strip_suffix(".amazonaws.com")
        .unwrap_or(event_source);
    let source = if service == "tagging" {
        "aws.tag".to_string()
    } else {
        format!("aws.{service}")
    };
    let identity = match issuer {
        Some(arn) => {
            json!({"type": "AssumedRole", "sessionContext": {"sessionIssuer": {"type": "Role", "arn": arn}}})
        }
        None => json!({"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/alice"}),
    };
    json!({"source": source, "detail-type": "AWS API Call via CloudTrail",
           "detail": {"eventSource": event_source, "eventName": event_name, "userIdentity": identity}})
}

#[test]
fn the_rule_matches_every_tagging_call_of_the_services_table() {
    let pattern = pattern();
    for service in SERVICES {
        for (name, _) in service.calls {
            let name = name.replace('*', "20170331v2");
            for issuer in [None, Some("arn:aws:iam::123456789012:role/PlatformAdmin")] {
                assert!(
                    matches(&pattern, &call(service.event_source, &name, issuer)),
                    "{name} from {} ({issuer:?}) is not matched",
                    service.event_source
                );
            }
        }
    }
    // Services outside the table are matched too: tag-guard reports what it
    // cannot rewrite, naming the permission to add.
    assert!(matches(
        &pattern,
        &call("sagemaker.amazonaws.com", "AddTags", None)
    ));
}

/// The calls of `calls`, made by a user, that the rule's pattern matches.
fn matched<'a>(pattern: &Value, calls: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    calls
        .iter()
        .copied()
        .filter(|(source, name)| matches(pattern, &call(source, name, None)))
        .collect()
}

#[test]
fn the_rule_matches_create_and_update_calls_of_every_service() {
    let pattern = pattern();
    let creates_and_updates = [
        ("serverlessrepo.amazonaws.com", "CreateApplication"),
        ("codedeploy.amazonaws.com", "CreateApplication"),
        ("cloudtrail.amazonaws.com", "UpdateTrail"),
        ("sns.amazonaws.com", "CreateTopic"),
        ("sqs.amazonaws.com", "CreateQueue"),
        ("ec2.amazonaws.com", "CreateSecurityGroup"),
        ("ec2.amazonaws.com", "CreateTags"),
        ("ec2.amazonaws.com", "CreateNatGateway"),
        ("ec2.amazonaws.com", "CreateNetworkAcl"),
        ("ec2.amazonaws.com", "CreateNetworkInsightsPath"),
        ("ec2.amazonaws.com", "CreateLaunchTemplate"),
        (
            "ec2.amazonaws.com",
            "UpdateSecurityGroupRuleDescriptionsIngress",
        ),
        ("kms.amazonaws.com", "CreateKey"),
        ("kms.amazonaws.com", "CreateAlias"),
        ("kms.amazonaws.com", "UpdateKeyDescription"),
        ("logs.amazonaws.com", "CreateLogGroup"),
        ("logs.amazonaws.com", "TagLogGroup"),
        ("ssm.amazonaws.com", "CreateDocument"),
        ("ssm.amazonaws.com", "UpdateDocument"),
        ("ssm.amazonaws.com", "UpdateMaintenanceWindow"),
        ("ssm.amazonaws.com", "UpdateServiceSetting"),
    ];
    assert_eq!(matched(&pattern, &creates_and_updates), creates_and_updates);
    let removals_and_reads = [
        ("s3.amazonaws.com", "DeleteBucketTagging"),
        ("sns.amazonaws.com", "UntagResource"),
        ("ec2.amazonaws.com", "DeleteTags"),
        ("ec2.amazonaws.com", "DescribeInstances"),
        ("kms.amazonaws.com", "Decrypt"),
        ("ssm.amazonaws.com", "GetParameter"),
    ];
    assert_eq!(matched(&pattern, &removals_and_reads), []);
}

#[test]
fn the_rule_leaves_out_the_high_volume_calls() {
    for (source, name, why) in HIGH_VOLUME {
        assert!(
            !why.is_empty(),
            "{name} from {source} says why it is left out"
        );
    }
    let calls: Vec<(&str, &str)> = HIGH_VOLUME.iter().map(|(s, n, _)| (*s, *n)).collect();
    assert_eq!(matched(&pattern(), &calls), []);
}

#[test]
fn the_rule_leaves_out_every_warden_role_and_anything_not_from_aws() {
    let pattern = pattern();
    for role in roles() {
        let arn = format!("arn:aws:iam::123456789012:role/{role}");
        for (source, name) in [
            ("cloudtrail.amazonaws.com", "UpdateTrail"),
            ("tagging.amazonaws.com", "TagResources"),
            ("s3.amazonaws.com", "PutBucketTagging"),
            ("iam.amazonaws.com", "TagUser"),
        ] {
            assert!(
                !matches(&pattern, &call(source, name, Some(&arn))),
                "{name} by {role} is matched"
            );
        }
    }
    let mut custom = call("sns.amazonaws.com", "TagResource", None);
    custom["source"] = json!("custom.orders");
    assert!(!matches(&pattern, &custom), "a custom source is matched");
    let mut failed = call("sns.amazonaws.com", "TagResource", None);
    failed["detail"]["errorCode"] = json!("AccessDenied");
    assert!(!matches(&pattern, &failed), "a failed call is matched");
}

#[test]
fn the_rule_matches_every_sample_event_that_succeeded() {
    let pattern = pattern();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/tag-guard");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let event: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let failed = event["detail"].get("errorCode").is_some();
        assert_eq!(
            matches(&pattern, &event),
            !failed,
            "{} (failed: {failed})",
            path.display()
        );
        seen += 1;
    }
    assert!(seen > 10);
}

#[test]
fn the_role_can_only_read_and_rewrite_tags() {
    for action in allowed_actions("TagGuardFunctionRole") {
        let verb = action.split(':').nth(1).unwrap_or_default();
        let tagging = [
            "Tag",
            "Untag",
            "ListTags",
            "ListQueueTags",
            "ListUserTags",
            "ListRoleTags",
            "ListResourceTags",
            "AddTags",
            "RemoveTags",
            "CreateTags",
            "DeleteTags",
            "GetBucketTagging",
            "PutBucketTagging",
            "GetResources",
            "GetTags",
        ]
        .iter()
        .any(|v| verb.starts_with(v));
        // Its logs, the topic, the dead-letter queue and the state table.
        let own = warden_tests::template::COMMON_ACTIONS.contains(&action.as_str());
        let api_gateway = action.starts_with("apigateway:");
        assert!(
            tagging || own || api_gateway,
            "{action} is neither a tagging call nor the function's own"
        );
    }
    // API Gateway's verbs are HTTP methods: only on its /tags resource.
    let statements = resource("TagGuardFunctionRole")["Properties"]["Policies"][0]["PolicyDocument"]
        ["Statement"]
        .as_array()
        .unwrap()
        .clone();
    for statement in statements {
        let actions = statement["Action"].to_string();
        if actions.contains("apigateway:") {
            assert_eq!(
                statement["Resource"],
                json!({"Fn::Sub": "arn:${AWS::Partition}:apigateway:*::/tags/*"}),
                "{statement}"
            );
            assert!(!actions.contains("tag:"), "{statement}");
        }
    }
}

#[test]
fn the_role_allows_exactly_the_services_table() {
    let guard = tag_guard::TagGuard::from_env(&[("WARDEN_TAG_ACTION", "redact")][..]).unwrap();
    warden_tests::template::assert_role_allows_exactly(
        "TagGuardFunctionRole",
        &warden_shared::guard::permissions(&guard),
    );
}

/// The state table, the event bus and Security Hub: scoped as the contract
/// says (the table and its indexes; the stack's bus; Security Hub only with
/// SecurityHub=true).
#[test]
fn the_role_reaches_the_state_table_and_the_sinks_only() {
    warden_tests::template::assert_state_and_sink_statements("TagGuardFunctionRole");
}
