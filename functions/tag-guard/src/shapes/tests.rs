//! Where each service puts its tags, from recorded request shapes.

use super::*;
use serde_json::{Value, json};

fn event(source: &str, name: &str, params: Value) -> CloudTrailEvent {
    CloudTrailEvent::parse(&json!({"id": "e", "account": "123456789012", "region": "us-east-1",
        "detail": {"eventSource": source, "eventName": name, "awsRegion": "us-east-1", "requestParameters": params}}))
    .unwrap()
}

fn arns(t: &Touched) -> Vec<&str> {
    t.resources.iter().map(|r| r.arn.as_str()).collect()
}

#[test]
fn every_listed_shape_names_its_resources() {
    let cases = [
        (
            "ec2.amazonaws.com",
            "CreateTags",
            json!({"resourcesSet": {"items": [{"resourceId": "i-0abc"}, {"resourceId": "ami-1"}]}, "tagSet": {"items": []}}),
            vec![
                "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc",
                "arn:aws:ec2:us-east-1::image/ami-1",
            ],
        ),
        (
            "s3.amazonaws.com",
            "PutBucketTagging",
            json!({"bucketName": "b"}),
            vec!["arn:aws:s3:::b"],
        ),
        (
            "elasticloadbalancing.amazonaws.com",
            "AddTags",
            json!({"resourceArns": ["arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/1"]}),
            vec!["arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/1"],
        ),
        (
            "iam.amazonaws.com",
            "TagUser",
            json!({"userName": "u"}),
            vec!["arn:aws:iam::123456789012:user/u"],
        ),
        (
            "iam.amazonaws.com",
            "TagRole",
            json!({"roleName": "r"}),
            vec!["arn:aws:iam::123456789012:role/r"],
        ),
        (
            "lambda.amazonaws.com",
            "TagResource20170331v2",
            json!({"resource": "arn:aws:lambda:us-east-1:123456789012:function:f"}),
            vec!["arn:aws:lambda:us-east-1:123456789012:function:f"],
        ),
        (
            "sns.amazonaws.com",
            "TagResource",
            json!({"resourceArn": "arn:aws:sns:us-east-1:123456789012:t"}),
            vec!["arn:aws:sns:us-east-1:123456789012:t"],
        ),
        (
            "kms.amazonaws.com",
            "TagResource",
            json!({"keyId": "1234"}),
            vec!["arn:aws:kms:us-east-1:123456789012:key/1234"],
        ),
        (
            "rds.amazonaws.com",
            "AddTagsToResource",
            json!({"resourceName": "arn:aws:rds:us-east-1:123456789012:db:d"}),
            vec!["arn:aws:rds:us-east-1:123456789012:db:d"],
        ),
        (
            "cloudtrail.amazonaws.com",
            "AddTags",
            json!({"resourceId": "arn:aws:cloudtrail:us-east-1:123456789012:trail/t"}),
            vec!["arn:aws:cloudtrail:us-east-1:123456789012:trail/t"],
        ),
        (
            "tagging.amazonaws.com",
            "TagResources",
            json!({"resourceARNList": ["arn:aws:sqs:us-east-1:123456789012:q"], "tags": {"a": "b"}}),
            vec!["arn:aws:sqs:us-east-1:123456789012:q"],
        ),
        (
            "glue.amazonaws.com",
            "TagResource",
            json!({"resourceArn": "arn:aws:glue:us-east-1:123456789012:database/d", "tagsToAdd": {"a": "b"}}),
            vec!["arn:aws:glue:us-east-1:123456789012:database/d"],
        ),
    ];
    for (source, name, params, expected) in cases {
        let touched = touched(&event(source, name, params)).unwrap();
        assert_eq!(arns(&touched), expected, "{name} from {source}");
    }
}

#[test]
fn kinds_follow_the_arn() {
    let touched = touched(&event(
        "iam.amazonaws.com",
        "TagUser",
        json!({"userName": "u"}),
    ))
    .unwrap();
    assert_eq!(touched.resources[0].kind, ResourceKind::IamUser("u".into()));
    let kind = |arn: &str| ResourceRef::from_arn(arn.to_string()).kind;
    assert_eq!(
        kind("arn:aws:iam::123456789012:role/service/ops"),
        ResourceKind::IamRole("ops".into())
    );
    assert_eq!(
        kind("arn:aws:cloudtrail:us-east-1:123456789012:trail/t"),
        ResourceKind::Trail
    );
    assert_eq!(
        kind("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/a/1"),
        ResourceKind::LoadBalancer
    );
    assert_eq!(
        kind("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/classic"),
        ResourceKind::Tagged
    );
    assert_eq!(
        kind("arn:aws:iam::123456789012:policy/p"),
        ResourceKind::Tagged
    );
    assert_eq!(kind("arn:aws:s3:::b"), ResourceKind::Tagged);
}

#[test]
fn partitions_follow_the_region() {
    let mut e = event("iam.amazonaws.com", "TagRole", json!({"roleName": "r"}));
    e.detail.aws_region = "cn-north-1".into();
    assert_eq!(
        arns(&touched(&e).unwrap()),
        vec!["arn:aws-cn:iam::123456789012:role/r"]
    );
}

#[test]
fn generic_tags_in_any_casing_and_maps() {
    let params = json!({"Tags": [{"Key": "a", "Value": "1"}, {"tagKey": "b", "tagValue": "2"}],
                        "other": {"tagging": {"c": "3"}}, "name": "not a tag"});
    assert_eq!(
        tags_in(&params),
        vec![
            ("a".into(), "1".into()),
            ("b".into(), "2".into()),
            ("c".into(), "3".into())
        ]
    );
    let s3 = json!({"Tagging": {"TagSet": {"Tag": {"Key": "k", "Value": "v"}}}});
    assert_eq!(tags_in(&s3), vec![("k".into(), "v".into())]);
    let touched = touched(&event(
        "newsvc.amazonaws.com",
        "TagThing",
        json!({"tags": [{"key": "k", "value": "v"}]}),
    ))
    .unwrap();
    assert_eq!(
        (touched.resources.len(), touched.unresolved_tags),
        (0, vec![("k".into(), "v".into())])
    );
}

#[test]
fn free_form_fields_of_create_and_update_calls() {
    let params = json!({"name": "app", "author": "a", "description": "d", "applicationName": "n", "bucketName": "b",
                        "nested": {"displayName": "x"}, "tags": {"Name": "skip"}, "count": 3});
    let touched = touched(&event(
        "serverlessrepo.amazonaws.com",
        "CreateApplication",
        params,
    ))
    .unwrap();
    let names: Vec<&str> = touched.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "name",
            "author",
            "description",
            "applicationName",
            "nested.displayName"
        ]
    );
    let none = touched_fields("DeleteApplication");
    assert!(none.is_empty(), "only create and update calls");
    assert!(
        is_tagging_call("PutBucketTagging")
            && is_tagging_call("TagResource")
            && is_tagging_call("AddTagsToStream")
    );
    assert!(
        !is_tagging_call("DeleteBucketTagging")
            && !is_tagging_call("UntagResource")
            && !is_tagging_call("ListTags")
    );
}

fn touched_fields(name: &str) -> Vec<FreeFormField> {
    touched(&event(
        "serverlessrepo.amazonaws.com",
        name,
        json!({"name": "x"}),
    ))
    .unwrap()
    .fields
}

#[test]
fn missing_identifiers_name_the_field() {
    let err = touched(&event("iam.amazonaws.com", "TagUser", json!({}))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "event field `detail.requestParameters.userName` is missing"
    );
    let err = touched(&event(
        "ec2.amazonaws.com",
        "CreateTags",
        json!({"resourcesSet": {}}),
    ))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "event field `detail.requestParameters.resourcesSet.items` names no resource"
    );
}
