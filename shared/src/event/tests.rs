use super::*;
use serde_json::json;

fn minimal() -> Value {
    json!({
        "id": "env-1",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.s3",
        "account": "123456789012",
        "region": "eu-west-1",
        "detail": {
            "eventName": "CreateBucket",
            "eventSource": "s3.amazonaws.com",
            "requestParameters": {"bucketName": "b"}
        }
    })
}

#[test]
fn missing_optional_fields_parse() {
    let event = CloudTrailEvent::parse(&minimal()).unwrap();
    assert_eq!(
        event.detail.event_id, "env-1",
        "falls back to the envelope id"
    );
    assert_eq!(
        event.detail.aws_region, "eu-west-1",
        "falls back to the envelope region"
    );
    assert_eq!(event.detail.request_id, None);
    assert_eq!(event.detail.response_elements, Value::Null);
    assert_eq!(event.detail.user_identity, UserIdentity::default());
    assert_eq!(event.request_string(&["bucketName"]).unwrap(), "b");
}

#[test]
fn numbers_and_string_booleans_are_accepted() {
    let mut e = minimal();
    e["detail"]["eventID"] = json!(12345);
    e["detail"]["readOnly"] = json!("false");
    e["account"] = json!(123456789012u64);
    let event = CloudTrailEvent::parse(&e).unwrap();
    assert_eq!(event.detail.event_id, "12345");
    assert_eq!(event.detail.read_only, Some(false));
    assert_eq!(event.account, "123456789012");
}

#[test]
fn errors_name_the_field() {
    let mut e = minimal();
    e["detail"].as_object_mut().unwrap().remove("eventName");
    assert_eq!(
        CloudTrailEvent::parse(&e).unwrap_err().to_string(),
        "event field `detail.eventName` is missing"
    );

    let mut e = minimal();
    e["detail"]["eventSource"] = json!(["s3"]);
    assert_eq!(
        CloudTrailEvent::parse(&e).unwrap_err().to_string(),
        "event field `detail.eventSource` is an array, expected a string"
    );

    let mut e = minimal();
    e["detail"]["readOnly"] = json!(1);
    assert_eq!(
        CloudTrailEvent::parse(&e).unwrap_err().to_string(),
        "event field `detail.readOnly` is a number, expected true or false"
    );

    assert_eq!(
        CloudTrailEvent::parse(&json!({"id": "x"}))
            .unwrap_err()
            .to_string(),
        "event field `detail` is missing"
    );
    assert_eq!(
        CloudTrailEvent::parse(&json!([1])).unwrap_err().to_string(),
        "event field `(event)` is an array, expected a JSON object"
    );
    let e = CloudTrailEvent::parse(&minimal()).unwrap();
    assert_eq!(
        e.request_string(&["Tagging", "TagSet"])
            .unwrap_err()
            .to_string(),
        "event field `detail.requestParameters.Tagging.TagSet` is missing"
    );
}

#[test]
fn cloudformation_calls_are_recognised() {
    let identity = |identity: Value| {
        let mut e = minimal();
        e["detail"]["userIdentity"] = identity;
        CloudTrailEvent::parse(&e).unwrap().detail.user_identity
    };
    assert!(
        identity(json!({"type": "AWSService", "invokedBy": "cloudformation.amazonaws.com"}))
            .is_cloudformation()
    );
    assert!(
        identity(json!({"type": "AssumedRole",
        "arn": "arn:aws:sts::123456789012:assumed-role/deploy-role/AWSCloudFormation"}))
        .is_cloudformation()
    );
    assert!(
        !identity(json!({"type": "AssumedRole",
        "arn": "arn:aws:sts::123456789012:assumed-role/deploy-role/jane"}))
        .is_cloudformation()
    );
    assert!(
        !identity(json!({"type": "IAMUser", "invokedBy": "s3.amazonaws.com"})).is_cloudformation()
    );
}

#[test]
fn event_time_is_read_from_the_record_or_the_envelope() {
    let time = |e: &Value| CloudTrailEvent::parse(e).unwrap().detail.event_time;
    let mut e = minimal();
    e["time"] = json!("2026-12-01T10:00:01Z");
    assert_eq!(time(&e).as_deref(), Some("2026-12-01T10:00:01Z"));
    e["detail"]["eventTime"] = json!("2026-12-01T10:00:00Z");
    assert_eq!(time(&e).as_deref(), Some("2026-12-01T10:00:00Z"));
}

#[test]
fn session_issuer_is_read() {
    let mut e = minimal();
    e["detail"]["userIdentity"] = json!({
        "type": "AssumedRole",
        "arn": "arn:aws:sts::123456789012:assumed-role/r/s",
        "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::123456789012:role/r"}}
    });
    let identity = CloudTrailEvent::parse(&e).unwrap().detail.user_identity;
    assert_eq!(
        identity.session_issuer_arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/r")
    );
    assert_eq!(
        identity.principal(),
        Some("arn:aws:sts::123456789012:assumed-role/r/s")
    );
}

#[test]
fn what_is_not_checked_at_all() {
    let check = |event: Value| CloudTrailEvent::not_to_check(&event);
    assert_eq!(check(minimal()), None);
    assert_eq!(
        check(json!({"detail": {"errorCode": "AccessDenied", "eventSource": ["broken"]}})),
        Some("the call failed (AccessDenied), so nothing changed".into()),
        "a failed call is skipped however broken the rest"
    );
    assert_eq!(
        check(
            json!({"detail-type": "GuardDuty Finding", "source": "aws.guardduty", "detail": {"type": "Recon"}})
        ),
        Some("not a CloudTrail event (detail-type `GuardDuty Finding`)".into())
    );
    assert_eq!(
        check(
            json!({"detail-type": "EC2 Instance State-change Notification", "detail": {"state": "running"}})
        ),
        Some(
            "not a CloudTrail event (detail-type `EC2 Instance State-change Notification`)".into()
        )
    );
    assert_eq!(
        check(json!({"id": "x", "detail": {"eventSource": "s3.amazonaws.com"}})),
        Some("not a CloudTrail event (no detail.eventName)".into())
    );
    assert_eq!(
        check(json!({"id": "x", "detail": "nonsense"})),
        Some("not a CloudTrail event (`detail` is a string)".into())
    );
    assert_eq!(
        check(json!([1, 2])),
        Some("not a CloudTrail event (no `detail`)".into())
    );
    let mut sign_in = minimal();
    sign_in["detail-type"] = json!("AWS Console Sign In via CloudTrail");
    assert_eq!(check(sign_in), None);
}

#[test]
fn identify_recovers_what_it_can() {
    assert_eq!(
        CloudTrailEvent::identify(&json!({"id": "e", "detail": {"eventName": "X"}})),
        (Some("e".into()), Some("X".into()))
    );
    assert_eq!(CloudTrailEvent::identify(&json!("nonsense")), (None, None));
}
