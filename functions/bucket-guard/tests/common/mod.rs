//! Fixtures shared by the emulator and runtime-loop suites: the event files,
//! how to seed a bucket for each, the exact outcome each must produce, and
//! an independent read-back of bucket state through the SDK.
#![allow(dead_code)]

use aws_config::SdkConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::types::{
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging,
};
use serde_json::{Value, json};
use warden_tests::fixtures::{self, GuardEvents, unique};

pub const SELF_ROLE: &str =
    "arn:aws:iam::123456789012:role/warden-BucketGuardFunctionRole-1A2B3C4D5E6F";
pub const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

pub const EVENTS: GuardEvents = GuardEvents {
    guard: "bucket-guard",
    sample: "warden-demo-bucket",
};

/// An event file with the sample bucket name replaced by `bucket`
/// (in `bucketName`, `Host` and resource ARNs alike).
pub fn event(file: &str, bucket: &str) -> Value {
    EVENTS.load(file, bucket)
}

pub fn outcome(event: &Value, status: &str, reason: Option<&str>, findings: Vec<Value>) -> Value {
    fixtures::outcome("bucket-guard", event, status, reason, findings)
}

/// The settings a case runs with: `mode`, Warden's own role, and the case's own.
pub fn settings(mode: &str, case_env: &[(&str, &str)]) -> Vec<(String, String)> {
    fixtures::settings(mode, SELF_ROLE, case_env)
}

pub struct Emulator {
    pub endpoint: String,
    pub config: SdkConfig,
    pub s3: Client,
}

pub async fn emulator() -> Emulator {
    let endpoint = warden_tests::moto().endpoint().to_string();
    let config = warden_tests::aws::sdk_config(&endpoint).await;
    let s3 = warden_tests::aws::s3(&config);
    Emulator {
        endpoint,
        config,
        s3,
    }
}

pub fn arn(bucket: &str) -> String {
    format!("arn:aws:s3:::{bucket}")
}

// ---- seeding -------------------------------------------------------------

pub async fn create(s3: &Client, bucket: &str) {
    s3.create_bucket()
        .bucket(bucket)
        .send()
        .await
        .expect("CreateBucket");
}

pub async fn set_encryption(s3: &Client, bucket: &str, algorithm: &str, key: Option<&str>) {
    let default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::from(algorithm))
        .set_kms_master_key_id(key.map(str::to_string))
        .build()
        .unwrap();
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(default)
        .build();
    s3.put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(rule)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("PutBucketEncryption");
}

pub async fn set_policy(s3: &Client, bucket: &str, policy: &Value) {
    s3.put_bucket_policy()
        .bucket(bucket)
        .policy(policy.to_string())
        .send()
        .await
        .expect("PutBucketPolicy");
}

pub async fn set_public_access_block(s3: &Client, bucket: &str, on: bool) {
    let config = PublicAccessBlockConfiguration::builder()
        .block_public_acls(on)
        .ignore_public_acls(on)
        .block_public_policy(on)
        .restrict_public_buckets(on)
        .build();
    s3.put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(config)
        .send()
        .await
        .expect("PutPublicAccessBlock");
}

pub async fn set_tags(s3: &Client, bucket: &str, tags: &[(&str, &str)]) {
    let tag_set: Vec<Tag> = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(*k).value(*v).build().unwrap())
        .collect();
    s3.put_bucket_tagging()
        .bucket(bucket)
        .tagging(
            Tagging::builder()
                .set_tag_set(Some(tag_set))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("PutBucketTagging");
}

/// A policy that meets both TLS rules, written the way people write it
/// (not Warden's Sids), so Warden must recognise it semantically.
pub fn tls_policy(bucket: &str) -> Value {
    let resources = json!([arn(bucket), format!("{}/*", arn(bucket))]);
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "AllowSSLRequestsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": resources, "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "EnforceTLSv12orHigher", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": ["s3:*"],
         "Resource": resources, "Condition": {"NumericLessThan": {"s3:TlsVersion": 1.2}}}
    ]})
}

/// The state each bucket is put in before its event runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seed {
    /// A new bucket: none of the four settings (as moto creates it).
    Bare,
    /// Compliant but for default encryption, which is absent.
    NoEncryption,
    /// Compliant but for default encryption, which is AES256.
    Aes256,
    /// Compliant but for the policy, which is the event's own policy.
    EventPolicy,
    /// Compliant but for the policy, which is absent.
    NoPolicy,
    /// Compliant but for Block Public Access, which is absent.
    NoPublicAccessBlock,
    /// No bucket at all.
    Nothing,
}

pub async fn seed(s3: &Client, bucket: &str, seed: Seed, event: &Value) {
    if seed == Seed::Nothing {
        return;
    }
    create(s3, bucket).await;
    if seed == Seed::Bare {
        return;
    }
    if !matches!(seed, Seed::NoEncryption | Seed::Aes256) {
        set_encryption(s3, bucket, "AES256", None).await;
    }
    if seed == Seed::Aes256 {
        set_encryption(s3, bucket, "AES256", None).await;
    }
    match seed {
        Seed::EventPolicy => {
            set_policy(
                s3,
                bucket,
                &event["detail"]["requestParameters"]["bucketPolicy"],
            )
            .await
        }
        Seed::NoPolicy => {}
        _ => set_policy(s3, bucket, &tls_policy(bucket)).await,
    }
    if seed != Seed::NoPublicAccessBlock {
        set_public_access_block(s3, bucket, true).await;
    }
}

// ---- reading back ----------------------------------------------------------

/// A bucket's state as the SDK reports it, independent of the guard's own
/// adapter.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub encryption: Value,
    pub policy: Option<Value>,
    pub public_access_block: Value,
}

pub async fn view(s3: &Client, bucket: &str) -> View {
    let encryption = match s3.get_bucket_encryption().bucket(bucket).send().await {
        Ok(out) => {
            let rule = &out
                .server_side_encryption_configuration()
                .expect("configuration")
                .rules()[0];
            let default = rule
                .apply_server_side_encryption_by_default()
                .expect("default");
            let mut value = json!({"SSEAlgorithm": default.sse_algorithm().as_str()});
            if let Some(key) = default.kms_master_key_id() {
                value["KMSMasterKeyID"] = json!(key);
            }
            value["BucketKeyEnabled"] = json!(rule.bucket_key_enabled().unwrap_or(false));
            value
        }
        Err(e)
            if e.as_service_error()
                .and_then(|s| aws_sdk_s3::error::ProvideErrorMetadata::code(s))
                == Some("ServerSideEncryptionConfigurationNotFoundError") =>
        {
            Value::Null
        }
        Err(e) => panic!("GetBucketEncryption on {bucket}: {e:?}"),
    };
    let policy = match s3.get_bucket_policy().bucket(bucket).send().await {
        Ok(out) => {
            Some(serde_json::from_str(out.policy().expect("policy text")).expect("policy JSON"))
        }
        Err(e)
            if e.as_service_error()
                .and_then(|s| aws_sdk_s3::error::ProvideErrorMetadata::code(s))
                == Some("NoSuchBucketPolicy") =>
        {
            None
        }
        Err(e) => panic!("GetBucketPolicy on {bucket}: {e:?}"),
    };
    let public_access_block = match s3.get_public_access_block().bucket(bucket).send().await {
        Ok(out) => {
            let c = out
                .public_access_block_configuration()
                .expect("configuration");
            json!({
                "BlockPublicAcls": c.block_public_acls().unwrap_or(false),
                "IgnorePublicAcls": c.ignore_public_acls().unwrap_or(false),
                "BlockPublicPolicy": c.block_public_policy().unwrap_or(false),
                "RestrictPublicBuckets": c.restrict_public_buckets().unwrap_or(false),
            })
        }
        Err(e)
            if e.as_service_error()
                .and_then(|s| aws_sdk_s3::error::ProvideErrorMetadata::code(s))
                == Some("NoSuchPublicAccessBlockConfiguration") =>
        {
            Value::Null
        }
        Err(e) => panic!("GetPublicAccessBlock on {bucket}: {e:?}"),
    };
    View {
        encryption,
        policy,
        public_access_block,
    }
}

// ---- expected outcomes --------------------------------------------------------

pub const AES256: fn() -> Value = || json!({"SSEAlgorithm": "AES256", "BucketKeyEnabled": false});
pub const ALL_ON: fn() -> Value = || json!({"BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": true, "RestrictPublicBuckets": true});

pub fn tls_required_statement(bucket: &str) -> Value {
    json!({"Sid": "WardenDenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
           "Resource": [arn(bucket), format!("{}/*", arn(bucket))], "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
}

pub fn tls_version_statement(bucket: &str) -> Value {
    json!({"Sid": "WardenDenyTlsBelow12", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
           "Resource": [arn(bucket), format!("{}/*", arn(bucket))], "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}})
}

pub fn encryption_finding(
    bucket: &str,
    evidence: &str,
    before: Value,
    after: Value,
    applied: bool,
) -> Value {
    json!({"rule": "default-encryption", "resource": arn(bucket), "evidence": evidence,
           "changes": [{"action": "put-bucket-encryption", "before": before, "after": after}], "applied": applied})
}

pub fn tls_findings(bucket: &str, applied: bool) -> Vec<Value> {
    let on = format!("on {} and {}/*", arn(bucket), arn(bucket));
    vec![
        json!({"rule": "tls-required", "resource": arn(bucket),
               "evidence": format!("the bucket policy does not deny requests without TLS (aws:SecureTransport = false) {on}"),
               "changes": [{"action": "add-bucket-policy-statement", "before": null, "after": tls_required_statement(bucket)}], "applied": applied}),
        json!({"rule": "tls-version", "resource": arn(bucket),
               "evidence": format!("the bucket policy does not deny TLS versions below 1.2 (s3:TlsVersion < 1.2) {on}"),
               "changes": [{"action": "add-bucket-policy-statement", "before": null, "after": tls_version_statement(bucket)}], "applied": applied}),
    ]
}

pub fn public_access_finding(bucket: &str, applied: bool) -> Value {
    json!({"rule": "public-access-block", "resource": arn(bucket), "evidence": "the bucket has no Block Public Access configuration",
           "changes": [{"action": "put-public-access-block", "before": null, "after": ALL_ON()}], "applied": applied})
}

/// Seeds the case's bucket under a fresh name and returns (bucket, event,
/// state before); no state when the case seeds nothing.
pub async fn prepare(emu: &Emulator, case: &Case, tag: &str) -> (String, Value, Option<View>) {
    let bucket = unique(tag);
    let event = event(case.file, &bucket);
    seed(&emu.s3, &bucket, case.seed, &event).await;
    let before = if case.seed == Seed::Nothing {
        None
    } else {
        Some(view(&emu.s3, &bucket).await)
    };
    (bucket, event, before)
}

/// One event file: how its bucket is seeded, the settings it runs under,
/// and what must come out in `remediate` mode.
pub struct Case {
    pub file: &'static str,
    pub seed: Seed,
    pub env: Vec<(&'static str, &'static str)>,
    /// Findings (with `applied: true`) and status, given the bucket and event.
    pub expect: fn(&str, &Value) -> Value,
    /// The state after remediation, given the bucket and the state before.
    pub after: fn(&str, &View) -> View,
}

fn unchanged(_: &str, before: &View) -> View {
    before.clone()
}

/// The table every suite runs: one case per file in `events/bucket-guard`.
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            file: "create-bucket.json",
            seed: Seed::Bare,
            env: vec![],
            expect: |b, e| {
                let mut findings = vec![encryption_finding(
                    b,
                    "default encryption is none; required: at least SSE-S3 (AES256)",
                    Value::Null,
                    AES256(),
                    true,
                )];
                findings.extend(tls_findings(b, true));
                findings.push(public_access_finding(b, true));
                outcome(e, "remediated", None, findings)
            },
            after: |b, _| View {
                encryption: AES256(),
                policy: Some(
                    json!({"Version": "2012-10-17", "Statement": [tls_required_statement(b), tls_version_statement(b)]}),
                ),
                public_access_block: ALL_ON(),
            },
        },
        Case {
            file: "delete-bucket-encryption.json",
            seed: Seed::NoEncryption,
            env: vec![],
            expect: |b, e| {
                let evidence = "default encryption is none; required: at least SSE-S3 (AES256)";
                outcome(
                    e,
                    "remediated",
                    None,
                    vec![encryption_finding(b, evidence, Value::Null, AES256(), true)],
                )
            },
            after: |_, before| View {
                encryption: AES256(),
                ..before.clone()
            },
        },
        Case {
            file: "put-bucket-encryption-kms-to-aes256.json",
            seed: Seed::Aes256,
            env: vec![("WARDEN_MIN_ENCRYPTION", "sse-kms")],
            expect: |b, e| {
                let evidence = "default encryption is SSE-S3 (AES256); required: at least SSE-KMS with the AWS-managed key";
                let after = json!({"SSEAlgorithm": "aws:kms", "BucketKeyEnabled": true});
                outcome(
                    e,
                    "remediated",
                    None,
                    vec![encryption_finding(b, evidence, AES256(), after, true)],
                )
            },
            after: |_, before| View {
                encryption: json!({"SSEAlgorithm": "aws:kms", "BucketKeyEnabled": true}),
                ..before.clone()
            },
        },
        Case {
            file: "put-bucket-policy-without-tls.json",
            seed: Seed::EventPolicy,
            env: vec![],
            expect: |b, e| outcome(e, "remediated", None, tls_findings(b, true)),
            after: |b, before| {
                let mut policy = before.policy.clone().expect("the event's policy");
                let statements = policy["Statement"]
                    .as_array_mut()
                    .expect("a statement list");
                statements.push(tls_required_statement(b));
                statements.push(tls_version_statement(b));
                View {
                    policy: Some(policy),
                    ..before.clone()
                }
            },
        },
        Case {
            file: "delete-bucket-policy.json",
            seed: Seed::NoPolicy,
            env: vec![],
            expect: |b, e| outcome(e, "remediated", None, tls_findings(b, true)),
            after: |b, before| View {
                policy: Some(
                    json!({"Version": "2012-10-17", "Statement": [tls_required_statement(b), tls_version_statement(b)]}),
                ),
                ..before.clone()
            },
        },
        Case {
            file: "delete-bucket-public-access-block.json",
            seed: Seed::NoPublicAccessBlock,
            env: vec![],
            expect: |b, e| outcome(e, "remediated", None, vec![public_access_finding(b, true)]),
            after: |_, before| View {
                public_access_block: ALL_ON(),
                ..before.clone()
            },
        },
        Case {
            file: "failed-call-access-denied.json",
            seed: Seed::Bare,
            env: vec![],
            expect: |_, e| {
                outcome(
                    e,
                    "skipped",
                    Some("the call failed (AccessDenied), so nothing changed"),
                    vec![],
                )
            },
            after: unchanged,
        },
        Case {
            file: "warden-own-role.json",
            seed: Seed::Bare,
            env: vec![],
            expect: |_, e| {
                let reason = format!(
                    "caused by Warden itself ({})",
                    e["detail"]["userIdentity"]["arn"].as_str().unwrap()
                );
                outcome(e, "skipped", Some(&reason), vec![])
            },
            after: unchanged,
        },
        Case {
            file: "other-service.json",
            seed: Seed::Nothing,
            env: vec![],
            expect: |_, e| {
                outcome(
                    e,
                    "skipped",
                    Some(
                        "RunInstances from ec2.amazonaws.com is not an event bucket-guard handles",
                    ),
                    vec![],
                )
            },
            after: unchanged,
        },
    ]
}
