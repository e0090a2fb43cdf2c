//! bucket-guard: every S3 bucket keeps default encryption at or above the
//! required level, denies requests without TLS and with TLS older than 1.2,
//! and has Block Public Access on.
//!
//! [`BucketGuard`] is the pure half: settings, the event reading and how the
//! fixes of the four rules ([`rules`]) combine into writes. [`s3::S3Buckets`]
//! is the only code that talks to S3.

pub mod account;
pub mod calls;
pub mod encryption;
pub mod policy;
pub mod public_access;
pub mod restore;
pub mod rules;
pub mod s3;

use encryption::{Encryption, MinEncryption};
use policy::MAX_POLICY_BYTES;
use public_access::PublicAccessBlock;
use serde_json::Value;
use strum::VariantArray;
use warden_shared::arn::Arn;
use warden_shared::aws::SdkConfig;
use warden_shared::config::{self, Env};
use warden_shared::{
    AwsCall, Check, CloudTrailEvent, Composed, ConfigError, EventError, Guard, Input, Reading,
    Resource, Rule,
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

/// bucket-guard's settings and rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketGuard {
    pub min_encryption: MinEncryption,
    /// The customer key to use when raising to SSE-KMS or DSSE-KMS; without
    /// one, the AWS-managed key.
    pub kms_key_arn: Option<String>,
    pub require_public_access_block: bool,
}

impl BucketGuard {
    pub const MIN_ENCRYPTION: &'static str = "WARDEN_MIN_ENCRYPTION";
    pub const KMS_KEY_ARN: &'static str = "WARDEN_KMS_KEY_ARN";
    pub const REQUIRE_PUBLIC_ACCESS_BLOCK: &'static str = "WARDEN_REQUIRE_PUBLIC_ACCESS_BLOCK";

    /// Reads the settings. A customer key must be in the region the stack
    /// runs in (`AWS_REGION`, which Lambda sets): KMS keys are regional, and a
    /// bucket whose default key is in another region refuses uploads.
    pub fn from_env(env: &(impl Env + ?Sized)) -> Result<Self, ConfigError> {
        let kms_key_arn = env.value(Self::KMS_KEY_ARN);
        if let Some(key) = &kms_key_arn {
            let Some(arn) = Arn::parse(key).filter(|arn| arn.service == "kms") else {
                return Err(ConfigError::Invalid {
                    var: Self::KMS_KEY_ARN,
                    value: key.clone(),
                    allowed: "a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID) or nothing for the AWS-managed key".into(),
                });
            };
            if let Some(stack) = env.value("AWS_REGION")
                && arn.region != stack
            {
                return Err(ConfigError::Invalid {
                    var: Self::KMS_KEY_ARN,
                    value: key.clone(),
                    allowed: format!(
                        "a KMS key in {stack}, the region the stack runs in (this key is in {}; KMS keys are regional)",
                        arn.region
                    ),
                });
            }
        }
        Ok(Self {
            min_encryption: config::choice(
                env,
                Self::MIN_ENCRYPTION,
                MinEncryption::VARIANTS,
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

/// One bucket, named by an event or by the sweeper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub name: String,
    pub arn: String,
    /// The bucket's region: every S3 call about it is made there.
    pub region: String,
    /// The bucket's tags as the Tagging API listed them, a hundred buckets
    /// a call; `None` means they are read with `GetBucketTagging`. Only a
    /// sweep that writes nothing sets them: the Tagging API's index can
    /// trail a tag change by a little, and an exemption tag put on a moment
    /// ago must still stop a write.
    pub listed_tags: Option<Vec<(String, String)>>,
}

impl Bucket {
    pub fn new(name: &str, region: &str) -> Self {
        Self {
            name: name.to_string(),
            arn: warden_shared::arn::s3_bucket(region, name),
            region: region.to_string(),
            listed_tags: None,
        }
    }
}

impl Resource for Bucket {
    fn arn(&self) -> &str {
        &self.arn
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
    /// The account's Block Public Access has `BlockPublicPolicy` on. Read
    /// only when the bucket policy grants public access and the bucket's
    /// own flag is off (see [`account`]); `false` otherwise.
    pub account_blocks_public_policy: bool,
}

/// One rule's fix.
#[derive(Debug, Clone, PartialEq)]
pub enum BucketFix {
    /// Raise default encryption to this configuration.
    Encryption(Encryption),
    /// Append this statement to the bucket policy.
    AddStatement(Value),
    /// Turn Block Public Access on to these flags.
    PublicAccessBlock(PublicAccessBlock),
}

/// The writes that fix a bucket. Only safe changes are here.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BucketPlan {
    pub encryption: Option<Encryption>,
    /// The whole merged policy, exactly as it will be written.
    pub policy: Option<String>,
    pub public_access_block: Option<PublicAccessBlock>,
    /// What the plan was built on: each write is made only if the setting
    /// it replaces still reads so immediately before.
    pub read: BucketState,
}

/// Why a TLS deny is not merged into a public policy; `level` is where
/// Block Public Access's `BlockPublicPolicy` is on.
fn public_why(level: &str) -> String {
    format!(
        "the bucket policy grants public access (an Allow to everyone) and Block Public Access's BlockPublicPolicy is on {level}, so S3 refuses to write any policy on it: remove or narrow the public statement, and Warden adds the TLS denies on the next check"
    )
}

impl BucketPlan {
    /// Nothing to write.
    pub fn is_empty(&self) -> bool {
        self.encryption.is_none() && self.policy.is_none() && self.public_access_block.is_none()
    }
}

impl Guard for BucketGuard {
    const NAME: &'static str = "bucket-guard";
    /// The bucket's tags, for exemptions.
    const READS: &'static [AwsCall] = &[calls::GET_TAGGING];
    type Target = Bucket;
    type State = BucketState;
    type Evidence = ();
    type Fix = BucketFix;
    type Plan = BucketPlan;
    type Adapter = s3::S3Buckets;

    fn start(
        env: &(impl Env + ?Sized),
        aws: &SdkConfig,
    ) -> Result<(Self, s3::S3Buckets), ConfigError> {
        Ok((Self::from_env(env)?, s3::S3Buckets::new(aws)))
    }

    fn rules(&self) -> &'static [&'static dyn Rule<Self>] {
        &rules::ALL
    }

    fn read_event(&self, event: &CloudTrailEvent) -> Reading<Bucket, ()> {
        let detail = &event.detail;
        if detail.event_source != "s3.amazonaws.com"
            || !HANDLED_EVENTS.contains(&detail.event_name.as_str())
        {
            return Reading::not_handled(Self::NAME, event);
        }
        let name = match event.request_string(&["bucketName"]) {
            Ok(name) => name,
            Err(err) => return Reading::Malformed(err),
        };
        let valid = (3..=255).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !valid {
            return Reading::Malformed(EventError::invalid(
                "detail.requestParameters.bucketName",
                format!("is {name:?}, not an S3 bucket name"),
            ));
        }
        let bucket = Bucket::new(&name, &detail.aws_region);
        Reading::Check(Check::one(bucket, ()).created(detail.event_name == "CreateBucket"))
    }

    /// The setting `rule`'s fix writes, whole and in the S3 API's shape:
    /// the policy document, the encryption configuration or the Block
    /// Public Access flags (see [`restore`]).
    fn written(&self, rule: &str, state: &BucketState) -> Value {
        restore::written(rule, state)
    }

    /// One write per setting; the TLS statements are merged into one policy,
    /// which is written only if it stays within S3's size limit and S3 would
    /// accept it (Block Public Access refuses a public policy).
    fn plan(&self, input: &Input<'_, Self>, fixes: &[&BucketFix]) -> Composed<BucketPlan> {
        let mut plan = BucketPlan {
            read: input.state.clone(),
            ..BucketPlan::default()
        };
        let mut additions = Vec::new();
        let mut statement_fixes = Vec::new();
        for (index, fix) in fixes.iter().enumerate() {
            match fix {
                BucketFix::Encryption(target) => plan.encryption = Some(target.clone()),
                BucketFix::AddStatement(statement) => {
                    additions.push(statement.clone());
                    statement_fixes.push(index);
                }
                BucketFix::PublicAccessBlock(target) => plan.public_access_block = Some(*target),
            }
        }
        let mut held = Vec::new();
        if !additions.is_empty() {
            // S3 refuses any write of a policy that grants public access
            // while Block Public Access's BlockPublicPolicy is on.
            let state = input.state;
            let blocked_at = if state
                .public_access_block
                .is_some_and(|b| b.block_public_policy)
            {
                Some("for the bucket")
            } else if state.account_blocks_public_policy {
                Some("for the whole account")
            } else {
                None
            };
            let why = match policy::merge(state.policy.as_ref(), additions) {
                Ok(doc) if blocked_at.is_some() && policy::is_public(&doc) => {
                    blocked_at.map(public_why)
                }
                Ok(doc) => {
                    let text = doc.to_string();
                    if text.len() > MAX_POLICY_BYTES {
                        Some(format!(
                            "the bucket policy would grow to {} bytes, over S3's {MAX_POLICY_BYTES}-byte limit, so it was not written",
                            text.len()
                        ))
                    } else {
                        plan.policy = Some(text);
                        None
                    }
                }
                Err(shape) => Some(format!("{shape}; the policy was not rewritten")),
            };
            if let Some(why) = why {
                held.extend(
                    statement_fixes
                        .into_iter()
                        .map(|index| (index, why.clone())),
                );
            }
        }
        Composed { plan, held }
    }
}

#[cfg(test)]
mod tests;
