//! The services table holds together: each service and event source once,
//! each permission in its service's namespace, every service tag-guard must
//! cover present, versioned call names matched.

use super::*;

#[test]
fn the_table_names_each_service_and_source_once() {
    for (i, s) in SERVICES.iter().enumerate() {
        assert!(
            SERVICES[..i]
                .iter()
                .all(|o| o.namespace != s.namespace && o.event_source != s.event_source),
            "{} twice",
            s.namespace
        );
        assert!(
            !s.calls.is_empty() && !s.writes.is_empty(),
            "{}",
            s.namespace
        );
        for call in s.reads.iter().chain(s.writes) {
            let prefix = call.permission.split(':').next().unwrap_or_default();
            assert!(
                prefix == s.namespace || (s.namespace == "tag" && prefix == "tag"),
                "{} lists {}",
                s.namespace,
                call.permission
            );
        }
    }
    assert_eq!(READS.len(), count(false));
    assert!(WRITES.contains(&tag("sqs:TagQueue")));
    assert!(READS.contains(&GET_RESOURCES));
}

#[test]
fn the_services_the_issue_lists_are_covered() {
    for namespace in [
        "ec2",
        "s3",
        "elasticloadbalancing",
        "iam",
        "lambda",
        "sns",
        "dynamodb",
        "ecs",
        "kms",
        "rds",
        "cloudtrail",
        "sqs",
        "secretsmanager",
        "logs",
        "ecr",
        "apigateway",
        "cloudfront",
        "states",
        "events",
        "kinesis",
        "ssm",
        "glue",
    ] {
        let arn = format!("arn:aws:{namespace}:us-east-1:123456789012:thing/x");
        assert_eq!(
            covering(&arn).map(|s| s.namespace),
            Some(namespace),
            "{namespace}"
        );
    }
    assert_eq!(
        covering("arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/n"),
        None
    );
    assert_eq!(
        missing_permissions("arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/n"),
        "`sagemaker:TagResource` and `sagemaker:UntagResource`"
    );
}

#[test]
fn versioned_call_names() {
    let lambda = by_event_source("lambda.amazonaws.com").unwrap();
    assert!(lambda.shape("TagResource20170331v2").is_some());
    assert!(lambda.shape("UntagResource20170331v2").is_none());
    let sqs = by_event_source("sqs.amazonaws.com").unwrap();
    assert_eq!(sqs.shape("TagQueue"), Some(Shape::SqsQueueUrl));
    assert_eq!(sqs.shape("TagQueues"), None);
}
