//! Recognising TLS denies, merging, log delivery and public grants.

use super::*;

fn res() -> BucketResources {
    BucketResources::new("arn:aws:s3:::logs")
}

fn both(policy: &Value) -> (bool, bool) {
    (
        enforces(Some(policy), &res(), TlsRule::Required),
        enforces(Some(policy), &res(), TlsRule::MinimumVersion),
    )
}

fn deny(resource: Value, condition: Value) -> Value {
    json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": resource, "Condition": condition})
}

const SECURE: fn() -> Value = || json!({"Bool": {"aws:SecureTransport": "false"}});

#[test]
fn glob() {
    assert!(glob_match("arn:aws:s3:::logs*", "arn:aws:s3:::logs/"));
    assert!(glob_match("*", ""));
    assert!(glob_match("a?c*", "abcdef"));
    assert!(glob_match("*b*d", "abcbcd"));
    assert!(!glob_match("arn:aws:s3:::logs/x*", "arn:aws:s3:::logs/"));
    assert!(!glob_match("abc", "abcd"));
}

#[test]
fn no_policy_and_other_statements_only() {
    assert!(!enforces(None, &res(), TlsRule::Required));
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::logs/*"}
    ]});
    assert_eq!(both(&policy), (false, false));
}

#[test]
fn equivalent_denies_under_any_sid_and_spelling() {
    let policy = json!({"Statement": [
        {"Sid": "AllowSSLRequestsOnly", "Effect": "Deny", "Principal": {"AWS": ["*"]}, "Action": ["s3:*"],
         "Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"], "Condition": {"Bool": {"aws:securetransport": false}}},
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*", "Resource": "arn:aws:s3:::logs*",
         "Condition": {"NumericLessThan": {"s3:TlsVersion": 1.3}}}
    ]});
    assert_eq!(both(&policy), (true, true));
}

#[test]
fn coverage_may_be_split_across_statements() {
    let policy = json!({"Statement": [
        deny(json!("arn:aws:s3:::logs"), SECURE()),
        deny(json!(["arn:aws:s3:::logs/*"]), SECURE()),
    ]});
    assert_eq!(both(&policy), (true, false));
    let objects_only = json!({"Statement": deny(json!("arn:aws:s3:::logs/*"), SECURE())});
    assert_eq!(
        both(&objects_only),
        (false, false),
        "a single statement object, objects only"
    );
}

#[test]
fn narrower_denies_do_not_count() {
    let narrower = [
        json!({"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "s3:*", "Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"], "Condition": SECURE()}),
        json!({"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"], "Condition": SECURE()}),
        json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/private/*"], "Condition": SECURE()}),
        json!({"Effect": "Deny", "Principal": "*", "NotAction": "s3:GetObject", "Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"], "Condition": SECURE()}),
        json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"],
               "Condition": {"Bool": {"aws:SecureTransport": "false"}, "StringEquals": {"aws:PrincipalAccount": "1"}}}),
        json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"],
               "Condition": {"Bool": {"aws:SecureTransport": "true"}}}),
        json!({"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"], "Condition": SECURE()}),
        json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"],
               "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.1"}}}),
    ];
    for statement in narrower {
        let policy = json!({"Statement": [statement]});
        assert_eq!(both(&policy), (false, false), "{statement}");
    }
}

#[test]
fn stricter_version_forms_count() {
    for condition in [
        json!({"NumericLessThanEquals": {"s3:TlsVersion": "1.1"}}),
        json!({"NumericLessThanIfExists": {"s3:TlsVersion": ["1.2"]}}),
        json!({"NumericLessThan": {"s3:TlsVersion": ["1.0", "1.2"]}}),
    ] {
        let policy = json!({"Statement": [deny(json!(["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"]), condition.clone())]});
        assert!(
            enforces(Some(&policy), &res(), TlsRule::MinimumVersion),
            "{condition}"
        );
    }
}

#[test]
fn merge_keeps_every_statement_and_field() {
    let existing = json!({"Id": "Policy1", "Version": "2012-10-17", "Statement":
        {"Sid": "Read", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/r"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::logs/*"}});
    let addition = deny_statement(TlsRule::Required, &res(), Some(&existing));
    let merged = merge(Some(&existing), vec![addition.clone()]).unwrap();
    assert_eq!(
        merged,
        json!({"Id": "Policy1", "Version": "2012-10-17", "Statement": [existing["Statement"].clone(), addition]})
    );
    assert_eq!(
        serde_json::to_string(&merged).unwrap(),
        r#"{"Id":"Policy1","Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/r"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::logs/*"},{"Sid":"WardenDenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::logs","arn:aws:s3:::logs/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#,
        "field order is kept"
    );
    assert!(enforces(Some(&merged), &res(), TlsRule::Required));
}

/// Found by the `policy_merge` fuzz target: serde_json's default float
/// parsing is not exact, so a number in a policy came back as another one.
#[test]
fn merge_writes_back_every_number_as_it_was() {
    let number =
        "6666666666666666666666666666666666666666666666666666666666666666666666666666666666655";
    let text = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::123456789012:root"}}, "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::logs", "Condition": {{"NumericLessThan": {{"s3:max-keys": {number}}}}}}}]}}"#
    );
    let existing: Value = serde_json::from_str(&text).unwrap();
    let addition = deny_statement(TlsRule::Required, &res(), Some(&existing));
    let merged = merge(Some(&existing), vec![addition]).unwrap();
    let written = serde_json::to_string(&merged).unwrap();
    let again: Value = serde_json::from_str(&written).unwrap();
    let kept = &again["Statement"][0]["Condition"]["NumericLessThan"]["s3:max-keys"];
    let exact: f64 = number.parse().unwrap();
    assert_eq!(
        kept.to_string().parse::<f64>().unwrap().to_bits(),
        exact.to_bits(),
        "{written}"
    );
}

#[test]
fn merge_into_nothing_and_sid_clashes() {
    let merged = merge(
        None,
        vec![deny_statement(TlsRule::MinimumVersion, &res(), None)],
    )
    .unwrap();
    assert_eq!(merged["Version"], "2012-10-17");
    assert!(enforces(Some(&merged), &res(), TlsRule::MinimumVersion));

    // Someone narrowed Warden's own statement: it is kept, and the new one gets a fresh Sid.
    let tampered = json!({"Statement": [{"Sid": "WardenDenyInsecureTransport", "Effect": "Deny", "Principal": "*",
        "Action": "s3:PutObject", "Resource": "arn:aws:s3:::logs/*", "Condition": SECURE()}]});
    assert_eq!(
        deny_statement(TlsRule::Required, &res(), Some(&tampered))["Sid"],
        "WardenDenyInsecureTransport2"
    );
}

#[test]
fn unexpected_shapes_are_refused() {
    assert_eq!(
        merge(Some(&json!({"Statement": "x"})), vec![]).unwrap_err(),
        UnexpectedShape("a string")
    );
    assert_eq!(
        merge(Some(&json!([1])), vec![]).unwrap_err(),
        UnexpectedShape("not inside a JSON object")
    );
}

#[test]
fn log_delivery_grants() {
    let service = json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": ["logging.s3.amazonaws.com"]}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::logs/*"}]});
    let elb = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::127311923021:root"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::logs/*"}]});
    let other = json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::logs/*"}]});
    let denied = json!({"Statement": [{"Effect": "Deny", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::logs/*"}]});
    assert!(grants_log_delivery(Some(&service)));
    assert!(grants_log_delivery(Some(&elb)));
    assert!(!grants_log_delivery(Some(&other)));
    assert!(!grants_log_delivery(Some(&denied)));
    assert!(!grants_log_delivery(None));
}

#[test]
fn public_grants() {
    let allow = |principal: Value, condition: Option<Value>| {
        let mut s = json!({"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::logs/*"});
        if let Some(c) = condition {
            s["Condition"] = c;
        }
        json!({"Statement": [s]})
    };
    assert!(is_public(&allow(json!("*"), None)));
    assert!(is_public(&allow(json!({"AWS": ["*"]}), None)));
    // Public: an Allow to everyone under a condition that does not narrow
    // who may call...
    for condition in [
        json!({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}),
        json!({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}),
        json!({"StringLike": {"aws:PrincipalOrgID": "o-*"}}),
        json!({"StringNotEquals": {"aws:SourceAccount": "111122223333"}}),
    ] {
        assert!(
            is_public(&allow(json!("*"), Some(condition.clone()))),
            "{condition}"
        );
    }
    assert!(is_public(
        &json!({"Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::1:root"}, "Action": "s3:*", "Resource": "*"}]})
    ));

    // ...and not public under one that does.
    for condition in [
        json!({"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}),
        json!({"IpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}}),
        json!({"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c"}}),
    ] {
        assert!(
            !is_public(&allow(json!("*"), Some(condition.clone()))),
            "{condition}"
        );
    }
    assert!(!is_public(&allow(
        json!({"AWS": "arn:aws:iam::111122223333:root"}),
        None
    )));
    assert!(!is_public(
        &json!({"Statement": [deny(json!(["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"]), SECURE())]})
    ));
}
