//! What a security team relies on, where real S3 differs from the emulator
//! or a second writer races Warden: Block Public Access and public policies,
//! fields of the encryption rule Warden does not own, each bucket in its own
//! region, and a resource that changes between Warden's read and its write.
//! The fault proxy (`warden_tests::faults`) stands in for what moto does not
//! model.

// Tests: a failed expectation is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture;

use fixture::*;
use serde_json::{Value, json};
use std::sync::Arc;
use warden_tests::faults::{Effect, FaultProxy};
use warden_tests::fixtures::unique;
use warden_tests::kit::Fixture;

/// A bucket's emulator world behind a fault proxy.
async fn behind_proxy() -> (FaultProxy, Emulator) {
    let proxy = FaultProxy::start(warden_tests::moto().endpoint())
        .await
        .unwrap();
    let emu = Buckets::world(proxy.endpoint()).await;
    (proxy, emu)
}

/// A new bucket `tag-…` seeded as `seed` for the event in `file`, as
/// [`seeded`] makes it but behind a fault proxy that has seen nothing yet:
/// the proxy, the emulator, the bucket's name and the event naming it.
async fn seeded_behind_proxy(
    tag: &str,
    file: &str,
    seed: Seed,
) -> (FaultProxy, Emulator, String, Value) {
    let (proxy, emu) = behind_proxy().await;
    let bucket = unique(tag);
    let event = event(file, &bucket);
    fixture::seed(&emu.s3, &bucket, seed, &event).await;
    proxy.clear();
    (proxy, emu, bucket, event)
}

/// Each finding's rule and whether its fix was made, in outcome order.
fn applied(result: &Value) -> Vec<(&str, bool)> {
    result["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap(), f["applied"] == true))
        .collect()
}

/// A public policy S3 would refuse to rewrite: the TLS denies are held
/// back, every other rule is fixed.
const TLS_HELD_REST_FIXED: [(&str, bool); 4] = [
    ("default-encryption", true),
    ("tls-required", false),
    ("tls-version", false),
    ("public-access-block", true),
];

/// The check was notified for `why` (its reason starts so), the TLS denies
/// were held back and every other rule fixed: the public policy exactly as
/// it was, Block Public Access all on.
async fn assert_tls_held_back(
    emu: &Emulator,
    bucket: &str,
    result: &Value,
    policy: &Value,
    why: &str,
) {
    reason_starting(result, "notified", why);
    assert_eq!(applied(result), TLS_HELD_REST_FIXED);
    let after = view(&emu.s3, bucket).await;
    assert_eq!(
        after.policy.as_ref(),
        Some(policy),
        "the policy is not attempted"
    );
    assert_eq!(after.public_access_block, ALL_ON());
}

/// A new bucket `tag-…` whose policy allows everyone to read: its name
/// and the policy as set.
async fn public_bucket(emu: &Emulator, tag: &str) -> (String, Value) {
    let bucket = unique(tag);
    let policy = json!({"Version": "2012-10-17", "Statement": [public_read(&bucket)]});
    create(&emu.s3, &bucket).await;
    set_policy(&emu.s3, &bucket, &policy).await;
    (bucket, policy)
}

fn public_read(bucket: &str) -> Value {
    json!({"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
           "Resource": format!("{}/*", arn(bucket))})
}

#[tokio::test]
async fn a_public_policy_under_block_public_policy_is_left_and_the_rest_is_fixed() {
    let emu = emulator().await;
    let (bucket, policy) = public_bucket(&emu, "public").await;
    let event = event("create-bucket.json", &bucket);
    let flags = aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
        .block_public_policy(true)
        .build();
    emu.s3
        .put_public_access_block()
        .bucket(&bucket)
        .public_access_block_configuration(flags)
        .send()
        .await
        .unwrap();

    let result = remediate(&emu, &[], event).await;

    let why = "the bucket policy grants public access (an Allow to everyone) and Block Public Access's BlockPublicPolicy is on";
    assert_tls_held_back(&emu, &bucket, &result, &policy, why).await;
    assert_eq!(view(&emu.s3, &bucket).await.encryption, AES256());
}

/// The account's Block Public Access makes S3 refuse a public policy on
/// every bucket, as the bucket's own flag does on one: read (only for a
/// public policy on a bucket whose own flag is off) and honoured the same way.
/// moto keeps no account-level refusal, so the proxy answers S3 Control's
/// read where the account's flag must be on.
#[tokio::test]
async fn the_accounts_block_public_policy_holds_back_a_public_policy_too() {
    let (proxy, emu) = behind_proxy().await;
    let account_reads = |proxy: &FaultProxy| {
        proxy
            .seen()
            .iter()
            .filter(|op| *op == "GetAccountPublicAccessBlock")
            .count()
    };

    // 1. The account's BlockPublicPolicy is on: the TLS denies are held.
    let (bucket, policy) = public_bucket(&emu, "account-blocked").await;
    proxy.clear();
    proxy.inject(
        "GetAccountPublicAccessBlock",
        Effect::Respond {
            content_type: "application/xml".into(),
            body: "<?xml version=\"1.0\" encoding=\"UTF-8\"?><GetPublicAccessBlockOutput><PublicAccessBlockConfiguration><BlockPublicAcls>false</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration></GetPublicAccessBlockOutput>".into(),
        },
    );
    let result = remediate(&emu, &[], event("create-bucket.json", &bucket)).await;
    let why = "the bucket policy grants public access (an Allow to everyone) and Block Public Access's BlockPublicPolicy is on for the whole account, so S3 refuses";
    assert_tls_held_back(&emu, &bucket, &result, &policy, why).await;
    assert_eq!(account_reads(&proxy), 1, "{:?}", proxy.seen());
    assert!(!proxy.seen().contains(&"PutBucketPolicy".to_string()));

    // 2. The account has no configuration (moto's own answer): the denies
    // are merged and written.
    let (bucket, policy) = public_bucket(&emu, "account-open").await;
    proxy.clear();
    let result = remediate(&emu, &[], event("create-bucket.json", &bucket)).await;
    assert_eq!(result["status"], "remediated", "{result}");
    let written = view(&emu.s3, &bucket).await.policy.unwrap();
    assert_eq!(written["Statement"][0], policy["Statement"][0]);
    assert_eq!(written["Statement"].as_array().unwrap().len(), 3);
    assert_eq!(account_reads(&proxy), 1, "{:?}", proxy.seen());

    // 3. No public policy: the account is not asked at all.
    let bucket = unique("account-unasked");
    let event_file = event("delete-bucket-policy.json", &bucket);
    seed(&emu.s3, &bucket, Seed::NoPolicy, &event_file).await;
    proxy.clear();
    let result = remediate(&emu, &[], event_file).await;
    assert_eq!(result["status"], "remediated", "{result}");
    assert_eq!(account_reads(&proxy), 0, "{:?}", proxy.seen());

    // 4. The role may not read the account's setting: like any read that
    // fails, the invocation fails naming the permission (the dead-letter
    // queue's alarm tells a person), and nothing is written on a guess.
    let (bucket, policy) = public_bucket(&emu, "account-denied").await;
    proxy.clear();
    proxy.inject("GetAccountPublicAccessBlock", Effect::Denied);
    let err = pipeline(&emu, &settings("remediate", &[]))
        .handle(event("create-bucket.json", &bucket))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Warden.AccessDenied", "{err}");
    assert!(
        err.to_string().starts_with(
            "GetPublicAccessBlock on account 123456789012 was denied: grant the function's role `s3:GetAccountPublicAccessBlock` on it"
        ),
        "{err}"
    );
    assert_eq!(view(&emu.s3, &bucket).await.policy, Some(policy));
    assert!(
        !proxy.seen().iter().any(|op| op.starts_with("Put")),
        "{:?}",
        proxy.seen()
    );
}

#[tokio::test]
async fn s3_refusing_a_public_policy_is_its_rule_not_a_missing_permission() {
    let (proxy, emu, bucket, event) =
        seeded_behind_proxy("refused", "delete-bucket-policy.json", Seed::NoPolicy).await;
    let message = format!(
        "User: arn:aws:sts::123456789012:assumed-role/warden/bucket-guard is not authorized to perform: s3:PutBucketPolicy on resource: \"arn:aws:s3:::{bucket}\" because public policies are blocked by the BlockPublicPolicy block public access setting."
    );
    proxy.inject(
        "PutBucketPolicy",
        Effect::Answer {
            status: 403,
            code: "AccessDenied".into(),
            message,
        },
    );

    let result = remediate(&emu, &[], event).await;

    let reason = reason_starting(
        &result,
        "failed",
        &format!(
            "PutBucketPolicy on {} was refused: S3 refuses the policy because Block Public Access blocks public policies",
            arn(&bucket)
        ),
    );
    assert!(!reason.contains("grant the function's role"), "{reason}");
}

#[tokio::test]
async fn a_raise_sends_back_every_field_of_the_rule_it_does_not_own() {
    let (proxy, emu, _, event) = seeded_behind_proxy(
        "blocked-types",
        "put-bucket-encryption-kms-to-aes256.json",
        Seed::Aes256,
    )
    .await;
    // New buckets block SSE-C by default; moto does not keep the field, so
    // the proxy answers the reads with it as S3 would.
    let as_read = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled><BlockedEncryptionTypes><EncryptionType>SSE-C</EncryptionType></BlockedEncryptionTypes></Rule></ServerSideEncryptionConfiguration>";
    proxy.inject_times(
        "GetBucketEncryption",
        Effect::Respond {
            content_type: "application/xml".into(),
            body: as_read.into(),
        },
        2,
    );

    let result = remediate(&emu, &[("WARDEN_MIN_ENCRYPTION", "sse-kms")], event).await;

    assert_eq!(result["status"], "remediated", "{result}");
    let put = proxy
        .calls()
        .into_iter()
        .find(|c| c.operation == "PutBucketEncryption")
        .expect("a PutBucketEncryption");
    assert!(
        put.body.contains("<BlockedEncryptionTypes><EncryptionType>SSE-C</EncryptionType></BlockedEncryptionTypes>"),
        "{}",
        put.body
    );
    assert!(
        put.body.contains("<SSEAlgorithm>aws:kms</SSEAlgorithm>"),
        "{}",
        put.body
    );
}

#[tokio::test]
async fn each_bucket_is_called_in_its_own_region() {
    let (proxy, emu) = behind_proxy().await;
    let bucket = unique("eu");
    let mut event = event("create-bucket.json", &bucket);
    event["region"] = json!("eu-west-1");
    event["detail"]["awsRegion"] = json!("eu-west-1");
    let configuration = aws_sdk_s3::types::CreateBucketConfiguration::builder()
        .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
        .build();
    bucket_guard::s3::client(&emu.config, "eu-west-1")
        .create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(configuration)
        .send()
        .await
        .unwrap();
    proxy.clear();

    let result = remediate(&emu, &[], event).await;

    assert_eq!(result["status"], "remediated", "{result}");
    let regions: Vec<String> = proxy
        .calls()
        .into_iter()
        .filter(|c| c.operation.contains("Bucket") || c.operation.contains("PublicAccessBlock"))
        .map(|c| format!("{} {}", c.operation, c.region))
        .filter(|c| !c.ends_with(" eu-west-1"))
        .collect();
    assert!(
        regions.is_empty(),
        "calls outside the bucket's region: {regions:?}"
    );
}

#[tokio::test]
async fn a_statement_added_between_warden_s_read_and_its_write_is_kept() {
    let (proxy, emu, bucket, event) = seeded_behind_proxy(
        "race",
        "put-bucket-policy-without-tls.json",
        Seed::EventPolicy,
    )
    .await;
    let mut theirs = view(&emu.s3, &bucket).await.policy.unwrap();
    let added = json!({"Sid": "AddedMeanwhile", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject",
        "Resource": format!("{}/*", arn(&bucket))});
    theirs["Statement"]
        .as_array_mut()
        .unwrap()
        .push(added.clone());
    // Someone else writes the policy just as Warden re-reads it to write
    // (directly to S3, not through the proxy).
    let (s3, name, policy) = (emulator().await.s3, bucket.clone(), theirs.clone());
    proxy.inject_after(
        "GetBucketPolicy",
        1,
        Effect::Before(Arc::new(move || {
            let (s3, name, policy) = (s3.clone(), name.clone(), policy.clone());
            Box::pin(async move { set_policy(&s3, &name, &policy).await })
        })),
        1,
    );

    let result = remediate(&emu, &[], event).await;

    assert_eq!(result["status"], "remediated", "{result}");
    let written = view(&emu.s3, &bucket).await.policy.unwrap();
    let mut expected = theirs;
    let statements = expected["Statement"].as_array_mut().unwrap();
    statements.push(tls_required_statement(&bucket));
    statements.push(tls_version_statement(&bucket));
    assert_eq!(written, expected, "their statement survives, then Warden's");
}

#[tokio::test]
async fn a_stronger_encryption_set_meanwhile_is_never_lowered() {
    let (proxy, emu, bucket, event) = seeded_behind_proxy(
        "stronger",
        "put-bucket-encryption-kms-to-aes256.json",
        Seed::Aes256,
    )
    .await;
    // The other writer talks to S3 directly, not through the proxy.
    let (s3, name) = (emulator().await.s3, bucket.clone());
    proxy.inject_after(
        "GetBucketEncryption",
        1,
        Effect::Before(Arc::new(move || {
            let (s3, name) = (s3.clone(), name.clone());
            Box::pin(async move { set_encryption(&s3, &name, "aws:kms:dsse", Some(KEY)).await })
        })),
        1,
    );

    let result = remediate(&emu, &[("WARDEN_MIN_ENCRYPTION", "sse-kms")], event.clone()).await;

    let reason = format!(
        "{} changed while it was being fixed (default encryption is {{\"SSEAlgorithm\":\"aws:kms:dsse\",\"KMSMasterKeyID\":\"{KEY}\",\"BucketKeyEnabled\":false}} now, not {{\"SSEAlgorithm\":\"AES256\",\"BucketKeyEnabled\":false}} as the plan was built on); read again, it meets every rule",
        arn(&bucket)
    );
    assert_eq!(
        result,
        outcome(&event, "compliant", Some(&reason), vec![]),
        "checked again from the fresh read, the bucket is stronger than required"
    );
    assert_eq!(
        view(&emu.s3, &bucket).await.encryption,
        json!({"SSEAlgorithm": "aws:kms:dsse", "KMSMasterKeyID": KEY, "BucketKeyEnabled": false})
    );
    assert!(
        !proxy.seen().contains(&"PutBucketEncryption".to_string()),
        "nothing was written"
    );
}
