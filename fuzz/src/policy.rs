//! Any bucket policy (the text `GetBucketPolicy` returns) through
//! bucket-guard's rules and plan, exactly as a check runs them, with Block
//! Public Access's `BlockPublicPolicy` off and on.
//!
//! Whenever the plan writes a policy:
//! - the written text parses, and is within S3's 20 KB limit;
//! - every statement of the policy as read is there, unchanged and in its
//!   order, followed only by the statements the TLS findings add;
//! - every other top-level field is there, unchanged and in its place;
//! - an added statement never reuses a Sid the policy has;
//! - a second check of the written policy finds no TLS rule broken (so it
//!   adds nothing), and with `BlockPublicPolicy` on the written policy is
//!   not public (S3 would refuse it).
//!
//! And a TLS finding whose fix was not held back always comes with a write.

use bucket_guard::policy::{self, MAX_POLICY_BYTES};
use bucket_guard::public_access::PublicAccessBlock;
use bucket_guard::rule::{TLS_REQUIRED, TLS_VERSION};
use bucket_guard::{Bucket, BucketGuard, BucketState};
use serde_json::Value;
use std::sync::LazyLock;
use warden_shared::rule::assess;
use warden_shared::{Exemption, Input};

static GUARD: LazyLock<BucketGuard> = LazyLock::new(|| {
    BucketGuard::from_env(&[("AWS_REGION", "eu-west-1")][..]).expect("default settings")
});

/// The property, for one input.
pub fn check(data: &[u8]) {
    // A policy that is not JSON is refused when it is read, before any rule.
    let Ok(doc) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let bucket = Bucket::new(&bucket_named_in(&doc), "eu-west-1");
    // BlockPublicPolicy off, on for the bucket, on for the whole account:
    // S3 refuses a public policy under either flag.
    for (bucket_flag, account_flag) in [(false, false), (true, false), (false, true)] {
        let state = BucketState {
            policy: Some(doc.clone()),
            public_access_block: Some(PublicAccessBlock {
                block_public_policy: bucket_flag,
                ..PublicAccessBlock::default()
            }),
            account_blocks_public_policy: account_flag,
            ..BucketState::default()
        };
        check_one(&bucket, &state, bucket_flag || account_flag);
    }
}

fn check_one(bucket: &Bucket, state: &BucketState, block_public_policy: bool) {
    let guard = &*GUARD;
    let input = Input {
        target: bucket,
        state,
        evidence: None,
    };
    let assessment = assess(guard, &input, &Exemption::None);
    let tls: Vec<_> = assessment
        .findings
        .iter()
        .filter(|p| [TLS_REQUIRED, TLS_VERSION].contains(&p.finding.rule.as_str()))
        .collect();
    let unheld = tls.iter().filter(|p| p.blocked.is_none()).count();
    let Some(text) = &assessment.plan.policy else {
        assert_eq!(unheld, 0, "a TLS fix that is neither written nor held back");
        return;
    };
    assert!(unheld > 0, "a policy write without a TLS fix to make");
    assert!(
        text.len() <= MAX_POLICY_BYTES,
        "{} bytes written",
        text.len()
    );
    let written: Value = serde_json::from_str(text).expect("the written policy parses");
    let original = state.policy.as_ref().expect("the state has a policy");

    let before = statements(original);
    let after = written["Statement"]
        .as_array()
        .expect("the written policy's Statement is a list");
    assert!(
        after.len() >= before.len() && after[..before.len()] == before[..],
        "a statement changed, moved or went missing:\nread    {original}\nwritten {written}"
    );
    let added = &after[before.len()..];
    let expected: Vec<&Value> = tls
        .iter()
        .flat_map(|p| &p.finding.changes)
        .map(|c| &c.after)
        .collect();
    assert_eq!(
        added.iter().collect::<Vec<_>>(),
        expected,
        "the statements added are not the findings' own"
    );

    let fields = |doc: &Value| -> Vec<(String, Value)> {
        doc.as_object()
            .expect("a policy object")
            .iter()
            .filter(|(key, _)| *key != "Statement")
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect()
    };
    assert_eq!(
        fields(original),
        fields(&written),
        "a top-level field changed"
    );
    let keys = |doc: &Value| -> Vec<String> { doc.as_object().unwrap().keys().cloned().collect() };
    if original.get("Statement").is_some() {
        assert_eq!(keys(original), keys(&written), "the fields moved");
    }

    let sids = |list: &[Value]| -> Vec<String> {
        list.iter()
            .filter_map(|s| s.get("Sid").and_then(Value::as_str).map(str::to_string))
            .collect()
    };
    let taken = sids(&before);
    let new = sids(added);
    assert!(
        new.iter().all(|sid| !taken.contains(sid)),
        "an added statement reuses a Sid: {new:?} in {taken:?}"
    );
    assert!(
        new.len() < 2 || new[0] != new[1],
        "two added statements share a Sid"
    );

    let again = BucketState {
        policy: Some(written.clone()),
        ..state.clone()
    };
    let input = Input {
        target: bucket,
        state: &again,
        evidence: None,
    };
    let second = assess(&*GUARD, &input, &Exemption::None);
    let still: Vec<&str> = second
        .findings
        .iter()
        .map(|p| p.finding.rule.as_str())
        .filter(|rule| [TLS_REQUIRED, TLS_VERSION].contains(rule))
        .collect();
    assert!(
        still.is_empty(),
        "the written policy still breaks {still:?}: {written}"
    );
    assert!(second.plan.policy.is_none(), "a second check writes again");
    if block_public_policy {
        assert!(
            !policy::is_public(&written),
            "a public policy written while BlockPublicPolicy is on: {written}"
        );
    }
}

/// The statements as bucket-guard reads them: one statement or a list.
fn statements(doc: &Value) -> Vec<Value> {
    match doc.get("Statement") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(list)) => list.clone(),
        Some(other) => vec![other.clone()],
    }
}

/// The bucket the policy is about (the first `arn:aws:s3:::NAME` in it), so
/// that its statements can count for the bucket checked; `logs` if none.
fn bucket_named_in(doc: &Value) -> String {
    let mut texts = Vec::new();
    crate::strings(doc, &mut texts);
    texts
        .iter()
        .filter_map(|s| s.strip_prefix("arn:aws:s3:::"))
        .map(|rest| rest.split(['/', '*', '?']).next().unwrap_or(""))
        .find(|name| {
            (3..=63).contains(&name.len())
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-'))
        })
        .unwrap_or("logs")
        .to_string()
}
