//! bucket-guard: every S3 bucket keeps default encryption at or above the
//! required level, denies requests without TLS and with TLS older than 1.2,
//! and has Block Public Access on.
//!
//! The rules live in pure functions ([`evaluate`]) over a [`BucketState`];
//! [`s3::S3Buckets`] is the only code that talks to S3.

pub mod encryption;
pub mod policy;
pub mod public_access;
pub mod s3;

use encryption::{Encryption, EncryptionPlan, MinEncryption};
use policy::{BucketResources, MAX_POLICY_BYTES, TlsRule};
use public_access::PublicAccessBlock;
use serde_json::Value;
use warden_shared::config::{self, Env};
use warden_shared::pipeline::{Assessment, Guard, Planned, Snapshot};
use warden_shared::{
    Change, CloudTrailEvent, ConfigError, EventError, Exemption, Finding, GuardError,
};

/// Rule names, as they appear in findings, metrics and exemption tags.
pub mod rule {
    pub const DEFAULT_ENCRYPTION: &str = "default-encryption";
    pub const TLS_REQUIRED: &str = "tls-required";
    pub const TLS_VERSION: &str = "tls-version";
    pub const PUBLIC_ACCESS_BLOCK: &str = "public-access-block";
}

/// The CloudTrail events that can break a bucket rule.
pub const HANDLED_EVENTS: [&str; 7] = [
    "CreateBucket",
    "PutBucketEncryption",
    "DeleteBucketEncryption",
    "PutBucketPolicy",
    "DeleteBucketPolicy",
    "PutBucketPublicAccessBlock",
    "DeleteBucketPublicAccessBlock",
];

/// bucket-guard's own settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketRules {
    pub min_encryption: MinEncryption,
    /// The customer key to use when raising to SSE-KMS or DSSE-KMS; without
    /// one, the AWS-managed key.
    pub kms_key_arn: Option<String>,
    pub require_public_access_block: bool,
}

impl BucketRules {
    pub const MIN_ENCRYPTION: &'static str = "WARDEN_MIN_ENCRYPTION";
    pub const KMS_KEY_ARN: &'static str = "WARDEN_KMS_KEY_ARN";
    pub const REQUIRE_PUBLIC_ACCESS_BLOCK: &'static str = "WARDEN_REQUIRE_PUBLIC_ACCESS_BLOCK";

    pub fn from_env(env: &(impl Env + ?Sized)) -> Result<Self, ConfigError> {
        let kms_key_arn = env.value(Self::KMS_KEY_ARN);
        if let Some(key) = &kms_key_arn
            && !(key.starts_with("arn:") && key.split(':').nth(2) == Some("kms"))
        {
            return Err(ConfigError::Invalid {
                var: Self::KMS_KEY_ARN,
                value: key.clone(),
                allowed: "a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID) or nothing for the AWS-managed key".into(),
            });
        }
        Ok(Self {
            min_encryption: config::choice(
                env,
                Self::MIN_ENCRYPTION,
                &MinEncryption::ALL,
                MinEncryption::SseS3,
            )?,
            kms_key_arn,
            require_public_access_block: config::boolean(
                env,
                Self::REQUIRE_PUBLIC_ACCESS_BLOCK,
                true,
            )?,
        })
    }
}

/// One bucket, named by the event or by the sweeper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub name: String,
    pub arn: String,
}

impl Bucket {
    pub fn new(name: &str, region: &str) -> Self {
        Self {
            name: name.to_string(),
            arn: warden_shared::arn::s3_bucket(region, name),
        }
    }
}

/// What the rules look at, read in one round trip.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BucketState {
    pub encryption: Encryption,
    /// The bucket policy; `None` when the bucket has none.
    pub policy: Option<Value>,
    /// `None` when the bucket has no Block Public Access configuration.
    pub public_access_block: Option<PublicAccessBlock>,
}

/// The writes that fix a bucket. Only safe changes are here.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BucketPlan {
    pub encryption: Option<Encryption>,
    /// The whole merged policy, exactly as it will be written.
    pub policy: Option<String>,
    pub public_access_block: Option<PublicAccessBlock>,
}

/// The pure step: findings and the plan for one bucket.
pub fn evaluate(
    rules: &BucketRules,
    bucket: &Bucket,
    state: &BucketState,
    exemption: &Exemption,
) -> Assessment<BucketPlan> {
    let mut findings = Vec::new();
    let mut plan = BucketPlan::default();
    let policy_doc = state.policy.as_ref();

    if !exemption.covers(rule::DEFAULT_ENCRYPTION) {
        let log_delivery = policy::grants_log_delivery(policy_doc);
        let required = encryption::required_level(
            rules.min_encryption,
            rules.kms_key_arn.as_deref(),
            log_delivery,
        );
        let cap_note = if log_delivery {
            " (capped at SSE-S3: the bucket policy lets a log-delivery service write to it, and those cannot use SSE-KMS)"
        } else {
            ""
        };
        match encryption::plan(&state.encryption, required, rules.kms_key_arn.as_deref()) {
            EncryptionPlan::Keep => {}
            EncryptionPlan::Raise { from, to, target } => {
                let evidence = format!(
                    "default encryption is {from}; required: at least {required}{cap_note}"
                );
                let change = Change {
                    action: "put-bucket-encryption".into(),
                    before: state.encryption.to_json(),
                    after: target.to_json(),
                };
                debug_assert!(to > from);
                findings.push(Planned::fixable(Finding::new(
                    rule::DEFAULT_ENCRYPTION,
                    &bucket.arn,
                    evidence,
                    vec![change],
                )));
                plan.encryption = Some(target);
            }
            EncryptionPlan::Unknown => {
                let algorithm = state.encryption.algorithm.as_deref().unwrap_or_default();
                let evidence = format!(
                    "default encryption uses `{algorithm}`, which Warden does not recognise; required: at least {required}"
                );
                findings.push(Planned::blocked(
                    Finding::new(rule::DEFAULT_ENCRYPTION, &bucket.arn, evidence, vec![]),
                    format!("default encryption `{algorithm}` was left as it is: Warden never replaces a setting it cannot rank"),
                ));
            }
        }
    }

    let resources = BucketResources::new(&bucket.arn);
    let mut tls_findings = Vec::new();
    let mut additions = Vec::new();
    for rule in [TlsRule::Required, TlsRule::MinimumVersion] {
        if exemption.covers(rule.name()) || policy::enforces(policy_doc, &resources, rule) {
            continue;
        }
        let statement = policy::deny_statement(rule, &resources, policy_doc);
        let evidence = format!(
            "the bucket policy does not deny {} on {} and {}",
            rule.describe(),
            resources.bucket,
            resources.objects
        );
        let change = Change {
            action: "add-bucket-policy-statement".into(),
            before: Value::Null,
            after: statement.clone(),
        };
        tls_findings.push(Finding::new(
            rule.name(),
            &bucket.arn,
            evidence,
            vec![change],
        ));
        additions.push(statement);
    }
    if !tls_findings.is_empty() {
        let merged = policy::merge(policy_doc, additions).map(|doc| doc.to_string());
        let blocked = match merged {
            Ok(text) if text.len() > MAX_POLICY_BYTES => Some(format!(
                "the bucket policy would grow to {} bytes, over S3's {MAX_POLICY_BYTES}-byte limit, so it was not written",
                text.len()
            )),
            Ok(text) => {
                plan.policy = Some(text);
                None
            }
            Err(shape) => Some(format!("{shape}; the policy was not rewritten")),
        };
        findings.extend(tls_findings.into_iter().map(|finding| match &blocked {
            Some(why) => Planned::blocked(finding, why.clone()),
            None => Planned::fixable(finding),
        }));
    }

    if rules.require_public_access_block && !exemption.covers(rule::PUBLIC_ACCESS_BLOCK) {
        let current = state.public_access_block.unwrap_or_default();
        let off = current.flags_off();
        if !off.is_empty() {
            let evidence = match state.public_access_block {
                None => "the bucket has no Block Public Access configuration".to_string(),
                Some(_) => format!("Block Public Access flags off: {}", off.join(", ")),
            };
            let target = current.raised_to(PublicAccessBlock::ALL_ON);
            let change = Change {
                action: "put-public-access-block".into(),
                before: state
                    .public_access_block
                    .map_or(Value::Null, PublicAccessBlock::to_json),
                after: target.to_json(),
            };
            findings.push(Planned::fixable(Finding::new(
                rule::PUBLIC_ACCESS_BLOCK,
                &bucket.arn,
                evidence,
                vec![change],
            )));
            plan.public_access_block = Some(target);
        }
    }

    Assessment { findings, plan }
}

/// The guard the pipeline runs.
pub struct BucketGuard {
    buckets: s3::S3Buckets,
    rules: BucketRules,
}

impl BucketGuard {
    pub fn new(client: aws_sdk_s3::Client, rules: BucketRules) -> Self {
        Self {
            buckets: s3::S3Buckets::new(client),
            rules,
        }
    }

    pub fn rules(&self) -> &BucketRules {
        &self.rules
    }
}

impl Guard for BucketGuard {
    const NAME: &'static str = "bucket-guard";
    type Target = Bucket;
    type State = BucketState;
    type Plan = BucketPlan;

    fn handles(&self, event: &CloudTrailEvent) -> bool {
        event.detail.event_source == "s3.amazonaws.com"
            && HANDLED_EVENTS.contains(&event.detail.event_name.as_str())
    }

    fn target(&self, event: &CloudTrailEvent) -> Result<Bucket, EventError> {
        let name = event.request_string(&["bucketName"])?;
        let valid = (3..=255).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !valid {
            return Err(EventError::invalid(
                "detail.requestParameters.bucketName",
                format!("is {name:?}, not an S3 bucket name"),
            ));
        }
        Ok(Bucket::new(&name, &event.detail.aws_region))
    }

    fn resource_arn(&self, bucket: &Bucket) -> String {
        bucket.arn.clone()
    }

    fn may_lag(&self, event: &CloudTrailEvent) -> bool {
        event.detail.event_name == "CreateBucket"
    }

    async fn read(&self, bucket: &Bucket) -> Result<Option<Snapshot<BucketState>>, GuardError> {
        self.buckets.read(bucket).await
    }

    fn evaluate(
        &self,
        bucket: &Bucket,
        state: &BucketState,
        exemption: &Exemption,
    ) -> Assessment<BucketPlan> {
        evaluate(&self.rules, bucket, state, exemption)
    }

    async fn apply(&self, bucket: &Bucket, plan: &BucketPlan) -> Result<(), GuardError> {
        self.buckets.write(bucket, plan).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use encryption::EncryptionLevel;
    use serde_json::json;

    fn rules(min: MinEncryption) -> BucketRules {
        BucketRules {
            min_encryption: min,
            kms_key_arn: None,
            require_public_access_block: true,
        }
    }

    fn bucket() -> Bucket {
        Bucket::new("data", "us-east-1")
    }

    fn compliant_state() -> BucketState {
        let resources = BucketResources::new("arn:aws:s3:::data");
        let statements = vec![
            policy::deny_statement(TlsRule::Required, &resources, None),
            policy::deny_statement(TlsRule::MinimumVersion, &resources, None),
        ];
        BucketState {
            encryption: Encryption {
                algorithm: Some("AES256".into()),
                kms_key: None,
                bucket_key: false,
            },
            policy: Some(policy::merge(None, statements).unwrap()),
            public_access_block: Some(PublicAccessBlock::ALL_ON),
        }
    }

    fn rules_of(assessment: &Assessment<BucketPlan>) -> Vec<(&str, bool)> {
        assessment
            .findings
            .iter()
            .map(|p| (p.finding.rule.as_str(), p.blocked.is_none()))
            .collect()
    }

    #[test]
    fn a_bare_bucket_breaks_every_rule() {
        let a = evaluate(
            &rules(MinEncryption::SseS3),
            &bucket(),
            &BucketState::default(),
            &Exemption::None,
        );
        assert_eq!(
            rules_of(&a),
            vec![
                ("default-encryption", true),
                ("tls-required", true),
                ("tls-version", true),
                ("public-access-block", true)
            ]
        );
        assert_eq!(
            a.findings[0].finding.evidence,
            "default encryption is none; required: at least SSE-S3 (AES256)"
        );
        assert_eq!(
            serde_json::to_value(&a.findings[0].finding.changes).unwrap(),
            json!([{"action": "put-bucket-encryption", "before": null, "after": {"SSEAlgorithm": "AES256", "BucketKeyEnabled": false}}])
        );
        assert_eq!(a.plan.public_access_block, Some(PublicAccessBlock::ALL_ON));
        let written: Value = serde_json::from_str(a.plan.policy.as_deref().unwrap()).unwrap();
        assert_eq!(
            written,
            json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "WardenDenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                 "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
                {"Sid": "WardenDenyTlsBelow12", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                 "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"], "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}}
            ]})
        );
    }

    #[test]
    fn a_compliant_bucket_has_no_findings_and_no_plan() {
        let a = evaluate(
            &rules(MinEncryption::SseS3),
            &bucket(),
            &compliant_state(),
            &Exemption::None,
        );
        assert!(a.findings.is_empty());
        assert_eq!(a.plan, BucketPlan::default());
    }

    #[test]
    fn a_lowered_bucket_is_raised_with_its_bucket_key() {
        let a = evaluate(
            &rules(MinEncryption::SseKms),
            &bucket(),
            &compliant_state(),
            &Exemption::None,
        );
        assert_eq!(rules_of(&a), vec![("default-encryption", true)]);
        assert_eq!(
            a.findings[0].finding.evidence,
            "default encryption is SSE-S3 (AES256); required: at least SSE-KMS with the AWS-managed key"
        );
        assert_eq!(
            a.plan.encryption,
            Some(Encryption {
                algorithm: Some("aws:kms".into()),
                kms_key: None,
                bucket_key: true
            })
        );
    }

    #[test]
    fn log_delivery_buckets_are_capped_at_sse_s3() {
        let mut state = compliant_state();
        let mut doc = state.policy.take().unwrap();
        doc["Statement"].as_array_mut().unwrap().push(json!({
            "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::data/*"
        }));
        state.policy = Some(doc);
        let a = evaluate(
            &rules(MinEncryption::DsseKms),
            &bucket(),
            &state,
            &Exemption::None,
        );
        assert!(a.findings.is_empty(), "SSE-S3 is enough for a log bucket");
        state.encryption = Encryption::default();
        let a = evaluate(
            &rules(MinEncryption::DsseKms),
            &bucket(),
            &state,
            &Exemption::None,
        );
        assert_eq!(
            a.plan.encryption.and_then(|e| e.level()),
            Some(EncryptionLevel::SseS3)
        );
        assert!(a.findings[0].finding.evidence.contains("capped at SSE-S3"));
    }

    #[test]
    fn a_policy_near_the_limit_is_not_written() {
        let mut state = compliant_state();
        // Real statements, added until the policy is within 350 bytes of the
        // limit: too little room for the two TLS denies (~400 bytes).
        let mut doc = json!({"Version": "2012-10-17", "Statement": []});
        for i in 0.. {
            if doc.to_string().len() > MAX_POLICY_BYTES - 350 {
                break;
            }
            doc["Statement"].as_array_mut().unwrap().push(json!({"Sid": format!("Reader{i}"), "Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::123456789012:role/reader-{i:04}")}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}));
        }
        let size = doc.to_string().len();
        assert!(
            size < MAX_POLICY_BYTES && size > MAX_POLICY_BYTES - 400,
            "fixture is near the limit: {size}"
        );
        state.policy = Some(doc);
        let a = evaluate(
            &rules(MinEncryption::SseS3),
            &bucket(),
            &state,
            &Exemption::None,
        );
        assert_eq!(
            rules_of(&a),
            vec![("tls-required", false), ("tls-version", false)]
        );
        assert_eq!(a.plan, BucketPlan::default());
        let why = a.findings[0].blocked.as_deref().unwrap();
        assert!(
            why.starts_with("the bucket policy would grow to ")
                && why.ends_with("over S3's 20480-byte limit, so it was not written"),
            "{why}"
        );
        assert_eq!(
            a.findings[0].finding.changes.len(),
            1,
            "the blocked change is still shown"
        );
    }

    #[test]
    fn a_policy_with_room_keeps_every_statement() {
        let mut state = compliant_state();
        let existing = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "AnalyticsRead", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/analytics"}, "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::data/*"},
            {"Sid": "OldTls", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"], "Condition": {"Bool": {"aws:SecureTransport": false}}}
        ]});
        state.policy = Some(existing.clone());
        let a = evaluate(
            &rules(MinEncryption::SseS3),
            &bucket(),
            &state,
            &Exemption::None,
        );
        assert_eq!(
            rules_of(&a),
            vec![("tls-version", true)],
            "the equivalent deny under another Sid counts"
        );
        let written: Value = serde_json::from_str(a.plan.policy.as_deref().unwrap()).unwrap();
        let statements = written["Statement"].as_array().unwrap();
        assert_eq!(
            &statements[..2],
            existing["Statement"].as_array().unwrap().as_slice()
        );
        assert_eq!(statements[2]["Sid"], "WardenDenyTlsBelow12");
    }

    #[test]
    fn exemptions_switch_off_only_their_rules() {
        let exemption = Exemption::Rules(vec!["tls-version".into(), "public-access-block".into()]);
        let a = evaluate(
            &rules(MinEncryption::SseS3),
            &bucket(),
            &BucketState::default(),
            &exemption,
        );
        assert_eq!(
            rules_of(&a),
            vec![("default-encryption", true), ("tls-required", true)]
        );
        assert_eq!(a.plan.public_access_block, None);
        let written: Value = serde_json::from_str(a.plan.policy.as_deref().unwrap()).unwrap();
        assert_eq!(written["Statement"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn public_access_is_raised_flag_by_flag() {
        let mut state = compliant_state();
        state.public_access_block = Some(PublicAccessBlock {
            block_public_acls: true,
            ignore_public_acls: true,
            ..Default::default()
        });
        let a = evaluate(
            &rules(MinEncryption::SseS3),
            &bucket(),
            &state,
            &Exemption::None,
        );
        assert_eq!(
            a.findings[0].finding.evidence,
            "Block Public Access flags off: BlockPublicPolicy, RestrictPublicBuckets"
        );
        let mut lenient = rules(MinEncryption::SseS3);
        lenient.require_public_access_block = false;
        assert!(
            evaluate(&lenient, &bucket(), &state, &Exemption::None)
                .findings
                .is_empty()
        );
    }

    #[test]
    fn unknown_algorithms_are_reported_not_replaced() {
        let mut state = compliant_state();
        state.encryption.algorithm = Some("aws:future".into());
        let a = evaluate(
            &rules(MinEncryption::SseS3),
            &bucket(),
            &state,
            &Exemption::None,
        );
        assert_eq!(rules_of(&a), vec![("default-encryption", false)]);
        assert_eq!(a.plan.encryption, None);
    }

    #[test]
    fn settings() {
        let empty: [(&str, &str); 0] = [];
        assert_eq!(
            BucketRules::from_env(&empty[..]).unwrap(),
            rules(MinEncryption::SseS3)
        );
        let env = [
            ("WARDEN_MIN_ENCRYPTION", "dsse-kms"),
            (
                "WARDEN_KMS_KEY_ARN",
                "arn:aws:kms:us-east-1:123456789012:key/abc",
            ),
            ("WARDEN_REQUIRE_PUBLIC_ACCESS_BLOCK", "false"),
        ];
        let parsed = BucketRules::from_env(&env[..]).unwrap();
        assert_eq!(parsed.min_encryption, MinEncryption::DsseKms);
        assert_eq!(
            parsed.kms_key_arn.as_deref(),
            Some("arn:aws:kms:us-east-1:123456789012:key/abc")
        );
        assert!(!parsed.require_public_access_block);
        assert_eq!(
            BucketRules::from_env(&[("WARDEN_MIN_ENCRYPTION", "kms")][..])
                .unwrap_err()
                .to_string(),
            r#"WARDEN_MIN_ENCRYPTION="kms" is not valid: use one of sse-s3, sse-kms, dsse-kms"#
        );
        assert!(
            BucketRules::from_env(&[("WARDEN_KMS_KEY_ARN", "alias/mine")][..])
                .unwrap_err()
                .to_string()
                .starts_with("WARDEN_KMS_KEY_ARN=\"alias/mine\"")
        );
    }
}
