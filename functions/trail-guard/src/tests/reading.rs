//! Reading an event once: trail names and ARNs, what the call did, skips
//! and malformed requests.

use super::{ARN, evidence, guard, trail, update};
use crate::*;
use serde_json::json;

#[test]
fn trail_names_and_arns() {
    let by_name = Trail::parse("management", "f", "eu-west-1", "123456789012").unwrap();
    assert_eq!(
        by_name,
        Trail {
            name: "management".into(),
            region: "eu-west-1".into(),
            account: "123456789012".into(),
            arn: "arn:aws:cloudtrail:eu-west-1:123456789012:trail/management".into()
        }
    );
    let by_arn = Trail::parse(
        "arn:aws-cn:cloudtrail:cn-north-1:111122223333:trail/org.trail_1",
        "f",
        "us-east-1",
        "123456789012",
    )
    .unwrap();
    assert_eq!(
        (
            by_arn.name.as_str(),
            by_arn.region.as_str(),
            by_arn.account.as_str()
        ),
        ("org.trail_1", "cn-north-1", "111122223333")
    );
    assert_eq!(
        Trail::parse("t-cn", "f", "cn-north-1", "123456789012")
            .unwrap()
            .arn,
        "arn:aws-cn:cloudtrail:cn-north-1:123456789012:trail/t-cn"
    );
    for bad in [
        "ab",
        "-starts-badly",
        "ends-badly_",
        "has space",
        "arn:aws:s3:::bucket",
        "arn:aws:cloudtrail:us-east-1:123:trail/t1",
        "arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/x",
        "arn:aws:cloudtrail::123456789012:trail/t1",
        "arn:aws:cloudtrail:us-east-1:123456789012",
    ] {
        assert!(
            Trail::parse(bad, "f", "us-east-1", "123456789012").is_err(),
            "{bad}"
        );
    }
    assert_eq!(
        Trail::parse("management", "f", "us-east-1", "")
            .unwrap_err()
            .to_string(),
        "event field `account` is \"\", not a 12-digit AWS account id"
    );
}

fn read(name: &str, params: serde_json::Value) -> Reading<Trail, TrailEvidence> {
    let event = json!({"id": "x", "account": "123456789012", "region": "us-east-1", "detail": {
        "eventID": "e", "eventName": name, "eventSource": "cloudtrail.amazonaws.com",
        "awsRegion": "us-east-1", "requestParameters": params}});
    guard().read_event(&CloudTrailEvent::parse(&event).unwrap())
}

#[test]
fn reading_events() {
    assert_eq!(
        read("StopLogging", json!({"name": "management"})),
        Reading::Check(Check::one(trail(), evidence(TrailCall::StopLogging)))
    );
    assert_eq!(
        read(
            "UpdateTrail",
            json!({"name": ARN, "enableLogFileValidation": "false"})
        ),
        Reading::Check(Check::one(
            trail(),
            TrailEvidence {
                call: update(Some(false), None),
                named_as: ARN.into()
            }
        )),
        "the ARN names the same trail; a string boolean is read"
    );
    assert_eq!(
        read(
            "PutEventSelectors",
            json!({"trailName": "management", "eventSelectors": [{"readWriteType": "ReadOnly"}]})
        ),
        Reading::Check(Check::one(
            trail(),
            evidence(TrailCall::PutEventSelectors {
                summary: "eventSelectors [readWriteType=ReadOnly]".into()
            })
        ))
    );
    assert_eq!(
        read("DeleteTrail", json!({"name": "management"})),
        Reading::Check(Check::one(trail(), evidence(TrailCall::DeleteTrail)))
    );
    assert_eq!(
        read("StartLogging", json!({"name": "management"})),
        Reading::NotHandled(
            "StartLogging from cloudtrail.amazonaws.com is not an event trail-guard handles".into()
        )
    );
}

#[test]
fn an_organization_trail_of_another_account_is_skipped_before_its_call_is_read() {
    let org = "arn:aws:cloudtrail:us-east-1:111122223333:trail/org";
    let expected = Reading::Skip(format!(
        "{org} belongs to account 111122223333, not 123456789012: an organization trail seen from a member account is guarded in the account that owns it"
    ));
    assert_eq!(read("StopLogging", json!({"name": org})), expected);
    assert_eq!(
        read("UpdateTrail", json!({"name": org, "isMultiRegionTrail": 3})),
        expected,
        "the skip comes before the rest of the request is read"
    );
}

#[test]
fn malformed_events_name_the_field() {
    let field = |reading| match reading {
        Reading::Malformed(err) => err.to_string(),
        other => panic!("not malformed: {other:?}"),
    };
    assert_eq!(
        field(read("StopLogging", json!({}))),
        "event field `detail.requestParameters.name` is missing"
    );
    assert_eq!(
        field(read("PutEventSelectors", json!({"name": "management"}))),
        "event field `detail.requestParameters.trailName` is missing"
    );
    assert_eq!(
        field(read(
            "UpdateTrail",
            json!({"name": "management", "isMultiRegionTrail": 3})
        )),
        "event field `detail.requestParameters.isMultiRegionTrail` is 3, expected true or false"
    );
    assert_eq!(
        field(read("StopLogging", json!({"name": "x"}))),
        "event field `detail.requestParameters.name` names the trail \"x\", which is not a valid trail name"
    );
}
