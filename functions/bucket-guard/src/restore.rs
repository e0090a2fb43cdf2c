//! Undoing one of bucket-guard's changes: what each rule writes (the part of
//! a bucket's state an audit record keeps as before- and after-state, in the
//! S3 API's own shape) and the exact writes that put a recorded before-state
//! back.
//!
//! | rule | written | restored by |
//! | --- | --- | --- |
//! | `default-encryption` | `{"ServerSideEncryptionConfiguration": {"Rules": [...]}}` or `null` | `PutBucketEncryption` with that rule (every other field of the configuration kept as it reads), or `DeleteBucketEncryption` |
//! | `tls-required`, `tls-version` | `{"Policy": "<the whole policy document>"}` or `null` | `PutBucketPolicy` with that text, or `DeleteBucketPolicy` |
//! | `public-access-block` | `{"PublicAccessBlockConfiguration": {the four flags}}` or `null` | `PutPublicAccessBlock` with those flags, or `DeletePublicAccessBlock` |
//!
//! The policy is the document as read (key order and numbers exactly as S3
//! returned them), written without insignificant whitespace, as Warden's own
//! merge writes it: what rollback compares is the document, and what it puts
//! back is that text, byte for byte.

use crate::calls::{GET_ENCRYPTION, PUT_ENCRYPTION, PUT_POLICY, PUT_PUBLIC_ACCESS_BLOCK};
use crate::encryption::{AES256, Encryption};
use crate::public_access::PublicAccessBlock;
use crate::s3::{S3Buckets, Writes};
use crate::{Bucket, BucketState, rule};
use serde_json::{Map, Value, json};
use warden_shared::error::found;
use warden_shared::{AwsCall, GuardError};

/// The keys of [`written`]'s object, as the S3 API names each setting.
pub const POLICY: &str = "Policy";
pub const ENCRYPTION: &str = "ServerSideEncryptionConfiguration";
pub const PUBLIC_ACCESS_BLOCK: &str = "PublicAccessBlockConfiguration";

pub const DELETE_POLICY: AwsCall = AwsCall::new("DeleteBucketPolicy", "s3:DeleteBucketPolicy");
/// S3 authorises `DeleteBucketEncryption` as `s3:PutEncryptionConfiguration`.
pub const DELETE_ENCRYPTION: AwsCall =
    AwsCall::new("DeleteBucketEncryption", "s3:PutEncryptionConfiguration");
/// S3 authorises `DeletePublicAccessBlock` as `s3:PutBucketPublicAccessBlock`.
pub const DELETE_PUBLIC_ACCESS_BLOCK: AwsCall =
    AwsCall::new("DeletePublicAccessBlock", "s3:PutBucketPublicAccessBlock");

/// Every call a restore may make: the writes, and the read of the
/// encryption configuration whose other fields a restore keeps.
pub const CALLS: [AwsCall; 7] = [
    GET_ENCRYPTION,
    PUT_ENCRYPTION,
    DELETE_ENCRYPTION,
    PUT_POLICY,
    DELETE_POLICY,
    PUT_PUBLIC_ACCESS_BLOCK,
    DELETE_PUBLIC_ACCESS_BLOCK,
];

/// The part of `state` that `rule`'s fix writes, whole: `Null` for a rule
/// bucket-guard does not know.
pub fn written(rule: &str, state: &BucketState) -> Value {
    match rule {
        rule::DEFAULT_ENCRYPTION => {
            json!({ ENCRYPTION: encryption_configuration(&state.encryption) })
        }
        rule::TLS_REQUIRED | rule::TLS_VERSION => {
            json!({ POLICY: state.policy.as_ref().map(Value::to_string) })
        }
        rule::PUBLIC_ACCESS_BLOCK => {
            json!({ PUBLIC_ACCESS_BLOCK: state.public_access_block.map(PublicAccessBlock::to_json) })
        }
        _ => Value::Null,
    }
}

/// Default encryption in `GetBucketEncryption`'s shape; `null` when the
/// bucket has no configuration.
fn encryption_configuration(encryption: &Encryption) -> Value {
    let Some(algorithm) = &encryption.algorithm else {
        return Value::Null;
    };
    let mut default = Map::new();
    default.insert("SSEAlgorithm".into(), json!(algorithm));
    if let Some(key) = &encryption.kms_key {
        default.insert("KMSMasterKeyID".into(), json!(key));
    }
    json!({"Rules": [{
        "ApplyServerSideEncryptionByDefault": default,
        "BucketKeyEnabled": encryption.bucket_key,
    }]})
}

/// The write that puts one setting back as it was.
#[derive(Debug, Clone, PartialEq)]
pub enum BucketRestore {
    /// The policy text to write; `None`: delete the policy.
    Policy(Option<String>),
    /// The default encryption to write; `None`: delete the configuration.
    Encryption(Option<Encryption>),
    /// The flags to write; `None`: delete the configuration.
    PublicAccessBlock(Option<PublicAccessBlock>),
}

impl BucketRestore {
    /// The write that restores `before` (a [`written`] value of `rule`), or
    /// why there is none.
    pub fn of(rule: &str, before: &Value) -> Result<Self, String> {
        let part = |key: &str| {
            before.get(key).ok_or_else(|| {
                format!("the recorded before-state of {rule} has no {key}: {before}")
            })
        };
        match rule {
            rule::TLS_REQUIRED | rule::TLS_VERSION => match part(POLICY)? {
                Value::Null => Ok(Self::Policy(None)),
                Value::String(text) => Ok(Self::Policy(Some(text.clone()))),
                other => Err(format!("the recorded policy is {other}, not a text")),
            },
            rule::DEFAULT_ENCRYPTION => match part(ENCRYPTION)? {
                Value::Null => Ok(Self::Encryption(None)),
                config => parse_encryption(config).map(|e| Self::Encryption(Some(e))),
            },
            rule::PUBLIC_ACCESS_BLOCK => match part(PUBLIC_ACCESS_BLOCK)? {
                Value::Null => Ok(Self::PublicAccessBlock(None)),
                flags => parse_flags(flags).map(|f| Self::PublicAccessBlock(Some(f))),
            },
            other => Err(format!(
                "bucket-guard has no rule {other:?} whose change can be restored"
            )),
        }
    }

    /// The call this restore makes.
    pub fn call(&self) -> AwsCall {
        match self {
            Self::Policy(Some(_)) => PUT_POLICY,
            Self::Policy(None) => DELETE_POLICY,
            Self::Encryption(Some(_)) => PUT_ENCRYPTION,
            Self::Encryption(None) => DELETE_ENCRYPTION,
            Self::PublicAccessBlock(Some(_)) => PUT_PUBLIC_ACCESS_BLOCK,
            Self::PublicAccessBlock(None) => DELETE_PUBLIC_ACCESS_BLOCK,
        }
    }

    /// The write as a dry run shows it: the call and what it sends.
    pub fn describe(&self) -> Value {
        let call = self.call().operation;
        match self {
            Self::Policy(Some(text)) => json!({"call": call, POLICY: text}),
            Self::Encryption(Some(encryption)) => {
                json!({"call": call, ENCRYPTION: encryption_configuration(encryption)})
            }
            Self::PublicAccessBlock(Some(flags)) => {
                json!({"call": call, PUBLIC_ACCESS_BLOCK: flags.to_json()})
            }
            Self::Policy(None) | Self::Encryption(None) | Self::PublicAccessBlock(None) => {
                json!({"call": call})
            }
        }
    }

    /// Whether `now` (a [`written`] value read back after the restore)
    /// shows `before` restored. S3 has applied SSE-S3 to every bucket
    /// since 2023: a deleted configuration reads back as plain AES256 there,
    /// which is the bucket without a configuration of its own.
    pub fn holds(&self, before: &Value, now: &Value) -> bool {
        if now == before {
            return true;
        }
        match self {
            Self::Encryption(None) => {
                let s3_default = Encryption {
                    algorithm: Some(AES256.into()),
                    kms_key: None,
                    bucket_key: false,
                };
                now == &json!({ ENCRYPTION: encryption_configuration(&s3_default) })
            }
            _ => false,
        }
    }

    /// Makes the write on `bucket`.
    pub async fn apply(&self, s3: &S3Buckets, bucket: &Bucket) -> Result<(), GuardError> {
        let client = &s3.client(&bucket.region);
        let name = bucket.name.as_str();
        let writes = Writes {
            client,
            bucket,
            refused: Writes::RESTORE_REFUSED,
        };
        match self {
            Self::Policy(Some(text)) => writes.put_policy(text).await,
            Self::Policy(None) => {
                let answer = client.delete_bucket_policy().bucket(name).send().await;
                writes.answered(DELETE_POLICY, answer)
            }
            Self::Encryption(Some(encryption)) => put_encryption(&writes, encryption).await,
            Self::Encryption(None) => {
                let answer = client.delete_bucket_encryption().bucket(name).send().await;
                writes.answered(DELETE_ENCRYPTION, answer)
            }
            Self::PublicAccessBlock(Some(flags)) => writes.put_public_access_block(flags).await,
            Self::PublicAccessBlock(None) => {
                let answer = client
                    .delete_public_access_block()
                    .bucket(name)
                    .send()
                    .await;
                writes.answered(DELETE_PUBLIC_ACCESS_BLOCK, answer)
            }
        }
    }
}

fn parse_encryption(config: &Value) -> Result<Encryption, String> {
    let rule = &config["Rules"][0];
    let default = &rule["ApplyServerSideEncryptionByDefault"];
    let Some(algorithm) = default["SSEAlgorithm"].as_str() else {
        return Err(format!(
            "the recorded encryption configuration has no SSEAlgorithm: {config}"
        ));
    };
    Ok(Encryption {
        algorithm: Some(algorithm.to_string()),
        kms_key: default["KMSMasterKeyID"].as_str().map(str::to_string),
        bucket_key: rule["BucketKeyEnabled"].as_bool().unwrap_or(false),
    })
}

fn parse_flags(flags: &Value) -> Result<PublicAccessBlock, String> {
    let flag = |name: &str| {
        flags[name].as_bool().ok_or_else(|| {
            format!("the recorded Block Public Access configuration has no {name}: {flags}")
        })
    };
    Ok(PublicAccessBlock {
        block_public_acls: flag("BlockPublicAcls")?,
        ignore_public_acls: flag("IgnorePublicAcls")?,
        block_public_policy: flag("BlockPublicPolicy")?,
        restrict_public_buckets: flag("RestrictPublicBuckets")?,
    })
}

/// Puts the recorded algorithm, key and bucket key back into the first
/// rule of the configuration as it reads now, keeping every other field
/// (`BlockedEncryptionTypes`, further rules) as it is: those are the three
/// fields bucket-guard's raise wrote.
async fn put_encryption(writes: &Writes<'_>, encryption: &Encryption) -> Result<(), GuardError> {
    let bucket = writes.bucket;
    let answer = writes
        .client
        .get_bucket_encryption()
        .bucket(&bucket.name)
        .send()
        .await;
    let absent = ["ServerSideEncryptionConfigurationNotFoundError"];
    let now = found(GET_ENCRYPTION, &bucket.arn, &absent, answer)?
        .and_then(|out| out.server_side_encryption_configuration);
    let configuration = crate::s3::encryption_configuration(bucket, encryption, now)?;
    writes.put_encryption(configuration).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> BucketState {
        BucketState::default()
    }

    #[test]
    fn the_policy_is_kept_whole_and_byte_for_byte() {
        // Key order, a Sid-less statement, numbers as written, unicode.
        let text = r#"{"Version":"2012-10-17","Id":"mine","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/*","Condition":{"NumericLessThan":{"s3:TlsVersion":1.2},"StringEquals":{"aws:PrincipalTag/team":"données"}}}]}"#;
        let state = BucketState {
            policy: Some(serde_json::from_str(text).unwrap()),
            ..state()
        };
        let written = written(rule::TLS_REQUIRED, &state);
        assert_eq!(written, json!({"Policy": text}));
        assert_eq!(written, super::written(rule::TLS_VERSION, &state));
        assert_eq!(
            BucketRestore::of(rule::TLS_REQUIRED, &written),
            Ok(BucketRestore::Policy(Some(text.to_string())))
        );
        // No policy: null, restored by deleting the policy.
        let none = super::written(rule::TLS_VERSION, &BucketState::default());
        assert_eq!(none, json!({"Policy": null}));
        let delete = BucketRestore::of(rule::TLS_VERSION, &none).unwrap();
        assert_eq!(delete, BucketRestore::Policy(None));
        assert_eq!(delete.describe(), json!({"call": "DeleteBucketPolicy"}));
    }

    #[test]
    fn the_encryption_configuration_in_the_api_shape() {
        let kms = BucketState {
            encryption: Encryption {
                algorithm: Some("aws:kms".into()),
                kms_key: Some("arn:aws:kms:us-east-1:123456789012:key/k".into()),
                bucket_key: true,
            },
            ..state()
        };
        let written = written(rule::DEFAULT_ENCRYPTION, &kms);
        assert_eq!(
            written,
            json!({"ServerSideEncryptionConfiguration": {"Rules": [{
                "ApplyServerSideEncryptionByDefault": {
                    "SSEAlgorithm": "aws:kms",
                    "KMSMasterKeyID": "arn:aws:kms:us-east-1:123456789012:key/k"
                },
                "BucketKeyEnabled": true
            }]}})
        );
        let restore = BucketRestore::of(rule::DEFAULT_ENCRYPTION, &written).unwrap();
        assert_eq!(restore, BucketRestore::Encryption(Some(kms.encryption)));
        assert_eq!(restore.call().operation, "PutBucketEncryption");

        let aes = BucketState {
            encryption: Encryption {
                algorithm: Some(AES256.into()),
                kms_key: None,
                bucket_key: false,
            },
            ..state()
        };
        assert_eq!(
            super::written(rule::DEFAULT_ENCRYPTION, &aes),
            json!({"ServerSideEncryptionConfiguration": {"Rules": [{
                "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                "BucketKeyEnabled": false
            }]}})
        );
        let none = super::written(rule::DEFAULT_ENCRYPTION, &state());
        assert_eq!(none, json!({"ServerSideEncryptionConfiguration": null}));
        let delete = BucketRestore::of(rule::DEFAULT_ENCRYPTION, &none).unwrap();
        assert_eq!(delete.describe(), json!({"call": "DeleteBucketEncryption"}));
        // After the delete, real S3 reads SSE-S3 (its default since 2023).
        let aes_written = super::written(rule::DEFAULT_ENCRYPTION, &aes);
        assert!(delete.holds(&none, &aes_written));
        assert!(delete.holds(&none, &none));
        assert!(!delete.holds(&none, &written));
        assert!(!restore.holds(&written, &aes_written));
    }

    #[test]
    fn block_public_access_flags_or_none() {
        let partial = PublicAccessBlock {
            block_public_acls: true,
            ..PublicAccessBlock::default()
        };
        let state = BucketState {
            public_access_block: Some(partial),
            ..state()
        };
        let written = written(rule::PUBLIC_ACCESS_BLOCK, &state);
        assert_eq!(
            written,
            json!({"PublicAccessBlockConfiguration": {
                "BlockPublicAcls": true,
                "IgnorePublicAcls": false,
                "BlockPublicPolicy": false,
                "RestrictPublicBuckets": false
            }})
        );
        let restore = BucketRestore::of(rule::PUBLIC_ACCESS_BLOCK, &written).unwrap();
        assert_eq!(restore, BucketRestore::PublicAccessBlock(Some(partial)));
        assert_eq!(
            restore.describe(),
            json!({"call": "PutPublicAccessBlock", "PublicAccessBlockConfiguration": partial.to_json()})
        );
        let none = super::written(rule::PUBLIC_ACCESS_BLOCK, &BucketState::default());
        assert_eq!(none, json!({"PublicAccessBlockConfiguration": null}));
        assert_eq!(
            BucketRestore::of(rule::PUBLIC_ACCESS_BLOCK, &none)
                .unwrap()
                .call(),
            DELETE_PUBLIC_ACCESS_BLOCK
        );
    }

    #[test]
    fn other_rules_and_malformed_records() {
        assert_eq!(written("no-such-rule", &state()), Value::Null);
        assert!(BucketRestore::of("no-such-rule", &json!({})).is_err());
        assert_eq!(
            BucketRestore::of(rule::TLS_REQUIRED, &json!({"Encryption": 1})),
            Err(
                r#"the recorded before-state of tls-required has no Policy: {"Encryption":1}"#
                    .into()
            )
        );
        assert!(
            BucketRestore::of(
                rule::PUBLIC_ACCESS_BLOCK,
                &json!({"PublicAccessBlockConfiguration": {"BlockPublicAcls": true}})
            )
            .unwrap_err()
            .contains("IgnorePublicAcls")
        );
    }
}
