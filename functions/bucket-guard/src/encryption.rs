//! Default encryption: the ladder of levels, and the plan that only ever
//! climbs it.

use serde_json::{Value, json};
use warden_shared::arn::Arn;

/// Encryption at rest, weakest first. The order is the point: remediation
/// moves a bucket up this ladder and never down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, strum::Display)]
pub enum EncryptionLevel {
    #[strum(to_string = "none")]
    None,
    #[strum(to_string = "SSE-S3 (AES256)")]
    SseS3,
    #[strum(to_string = "SSE-KMS with the AWS-managed key")]
    SseKmsAwsManagedKey,
    #[strum(to_string = "SSE-KMS with a customer key")]
    SseKmsCustomerKey,
    #[strum(to_string = "DSSE-KMS")]
    DsseKms,
}

/// The `WARDEN_MIN_ENCRYPTION` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::Display, strum::VariantArray)]
#[strum(serialize_all = "kebab-case")]
pub enum MinEncryption {
    SseS3,
    SseKms,
    DsseKms,
}

pub const AES256: &str = "AES256";
pub const KMS: &str = "aws:kms";
pub const DSSE_KMS: &str = "aws:kms:dsse";
/// The alias S3 shows for the AWS-managed key.
const AWS_MANAGED_ALIAS: &str = "alias/aws/s3";

/// The AWS-managed key in every spelling: no key, `alias/aws/s3`, or its
/// alias ARN (`arn:aws:kms:REGION:ACCOUNT:alias/aws/s3`).
pub fn is_aws_managed(key: &str) -> bool {
    key.is_empty()
        || key == AWS_MANAGED_ALIAS
        || Arn::parse(key)
            .is_some_and(|arn| arn.service == "kms" && arn.resource == AWS_MANAGED_ALIAS)
}

/// The region a KMS key ARN names; `None` for a key id or alias name, which
/// S3 resolves in the bucket's own region.
pub fn key_region(key: &str) -> Option<&str> {
    Arn::parse(key)
        .filter(|arn| arn.service == "kms" && !arn.region.is_empty())
        .map(|arn| arn.region)
}

/// A bucket's default encryption, as `GetBucketEncryption` reports its rule.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Encryption {
    /// `None` when the bucket has no default-encryption configuration.
    pub algorithm: Option<String>,
    pub kms_key: Option<String>,
    pub bucket_key: bool,
}

impl Encryption {
    /// Where this configuration stands on the ladder; `None` for an
    /// algorithm Warden does not know, which it will not touch.
    pub fn level(&self) -> Option<EncryptionLevel> {
        match self.algorithm.as_deref() {
            None => Some(EncryptionLevel::None),
            Some(AES256) => Some(EncryptionLevel::SseS3),
            Some(KMS) if self.customer_key().is_some() => Some(EncryptionLevel::SseKmsCustomerKey),
            Some(KMS) => Some(EncryptionLevel::SseKmsAwsManagedKey),
            Some(DSSE_KMS) => Some(EncryptionLevel::DsseKms),
            Some(_) => None,
        }
    }

    /// The customer-managed key, if one is set. No key, `alias/aws/s3` or
    /// that alias's ARN means the AWS-managed key.
    pub fn customer_key(&self) -> Option<&str> {
        self.kms_key.as_deref().filter(|key| !is_aws_managed(key))
    }

    /// As the API spells it, for plans and alerts.
    pub fn to_json(&self) -> Value {
        match &self.algorithm {
            None => Value::Null,
            Some(algorithm) => {
                let mut value = json!({"SSEAlgorithm": algorithm});
                if let Some(key) = &self.kms_key {
                    value["KMSMasterKeyID"] = json!(key);
                }
                value["BucketKeyEnabled"] = json!(self.bucket_key);
                value
            }
        }
    }
}

/// The level a bucket must reach under the settings.
pub fn required_level(
    min: MinEncryption,
    kms_key: Option<&str>,
    log_delivery: bool,
) -> EncryptionLevel {
    let wanted = match (min, kms_key) {
        (MinEncryption::SseS3, _) => EncryptionLevel::SseS3,
        (MinEncryption::SseKms, None) => EncryptionLevel::SseKmsAwsManagedKey,
        (MinEncryption::SseKms, Some(_)) => EncryptionLevel::SseKmsCustomerKey,
        (MinEncryption::DsseKms, _) => EncryptionLevel::DsseKms,
    };
    // Log-delivery services (S3 server access logs, ELB) cannot write to
    // buckets whose default encryption is SSE-KMS.
    if log_delivery {
        wanted.min(EncryptionLevel::SseS3)
    } else {
        wanted
    }
}

/// What to do about a bucket's default encryption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncryptionPlan {
    Keep,
    /// Raise to this configuration.
    Raise {
        from: EncryptionLevel,
        to: EncryptionLevel,
        target: Encryption,
    },
    /// An algorithm Warden does not recognise: report, never overwrite.
    Unknown,
}

/// Plans the smallest raise that reaches `required`, never lowering and
/// keeping a customer key the bucket already uses.
pub fn plan(
    current: &Encryption,
    required: EncryptionLevel,
    configured_key: Option<&str>,
) -> EncryptionPlan {
    let Some(level) = current.level() else {
        return EncryptionPlan::Unknown;
    };
    if level >= required {
        return EncryptionPlan::Keep;
    }
    let key = current
        .customer_key()
        .or(configured_key)
        .map(str::to_string);
    // Each level's algorithm, key and bucket key.
    let (algorithm, kms_key, bucket_key) = match required {
        EncryptionLevel::None => return EncryptionPlan::Keep,
        EncryptionLevel::SseS3 => (AES256, None, false),
        EncryptionLevel::SseKmsAwsManagedKey => (KMS, None, true),
        EncryptionLevel::SseKmsCustomerKey => (KMS, key, true),
        // S3 Bucket Keys are not supported with DSSE-KMS.
        EncryptionLevel::DsseKms => (DSSE_KMS, key, false),
    };
    let target = Encryption {
        algorithm: Some(algorithm.into()),
        kms_key,
        bucket_key,
    };
    let to = target.level().unwrap_or(required);
    EncryptionPlan::Raise {
        from: level,
        to,
        target,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EncryptionLevel as L;

    const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const OTHER: &str =
        "arn:aws:kms:us-east-1:123456789012:key/9999abcd-12ab-34cd-56ef-1234567890ab";

    fn enc(algorithm: Option<&str>, key: Option<&str>) -> Encryption {
        Encryption {
            algorithm: algorithm.map(Into::into),
            kms_key: key.map(Into::into),
            bucket_key: false,
        }
    }

    #[test]
    fn levels() {
        assert_eq!(enc(None, None).level(), Some(L::None));
        assert_eq!(enc(Some("AES256"), None).level(), Some(L::SseS3));
        assert_eq!(
            enc(Some("aws:kms"), None).level(),
            Some(L::SseKmsAwsManagedKey)
        );
        for managed in [
            "alias/aws/s3",
            "arn:aws:kms:us-east-1:123456789012:alias/aws/s3",
            "arn:aws-us-gov:kms:us-gov-west-1:123456789012:alias/aws/s3",
            "",
        ] {
            assert_eq!(
                enc(Some("aws:kms"), Some(managed)).level(),
                Some(L::SseKmsAwsManagedKey),
                "{managed}"
            );
        }
        assert_eq!(
            enc(
                Some("aws:kms"),
                Some("arn:aws:kms:us-east-1:123456789012:alias/team-key")
            )
            .level(),
            Some(L::SseKmsCustomerKey)
        );
        assert_eq!(
            enc(Some("aws:kms"), Some(KEY)).level(),
            Some(L::SseKmsCustomerKey)
        );
        assert_eq!(enc(Some("aws:kms:dsse"), None).level(), Some(L::DsseKms));
        assert_eq!(enc(Some("aws:fsx"), None).level(), None);
        assert!(L::None < L::SseS3 && L::SseS3 < L::SseKmsAwsManagedKey);
        assert!(L::SseKmsAwsManagedKey < L::SseKmsCustomerKey && L::SseKmsCustomerKey < L::DsseKms);
    }

    #[test]
    fn required_levels() {
        // (minimum, key, log-delivery bucket, required level); log buckets
        // are capped at SSE-S3.
        let cases = [
            (MinEncryption::SseS3, Some(KEY), false, L::SseS3),
            (MinEncryption::SseKms, None, false, L::SseKmsAwsManagedKey),
            (
                MinEncryption::SseKms,
                Some(KEY),
                false,
                L::SseKmsCustomerKey,
            ),
            (MinEncryption::DsseKms, None, false, L::DsseKms),
            (MinEncryption::DsseKms, Some(KEY), true, L::SseS3),
        ];
        for (min, key, log, level) in cases {
            assert_eq!(
                required_level(min, key, log),
                level,
                "{min:?} {key:?} log={log}"
            );
        }
    }

    #[test]
    fn never_lowers() {
        let every = [
            enc(None, None),
            enc(Some("AES256"), None),
            enc(Some("aws:kms"), None),
            enc(Some("aws:kms"), Some(KEY)),
            enc(Some("aws:kms:dsse"), Some(KEY)),
        ];
        let requirements = [
            L::SseS3,
            L::SseKmsAwsManagedKey,
            L::SseKmsCustomerKey,
            L::DsseKms,
        ];
        for current in &every {
            for required in requirements {
                match plan(current, required, Some(OTHER)) {
                    EncryptionPlan::Keep => assert!(current.level().unwrap() >= required),
                    EncryptionPlan::Raise { from, to, target } => {
                        assert!(to > from, "{current:?} -> {target:?}");
                        assert!(to >= required);
                        assert_eq!(target.level(), Some(to));
                    }
                    EncryptionPlan::Unknown => panic!("known algorithm"),
                }
            }
        }
    }

    #[test]
    fn raises_to_exactly_what_is_required() {
        assert_eq!(
            plan(&enc(None, None), L::SseS3, None),
            EncryptionPlan::Raise {
                from: L::None,
                to: L::SseS3,
                target: enc(Some("AES256"), None)
            }
        );
        assert_eq!(
            plan(&enc(Some("AES256"), None), L::SseKmsAwsManagedKey, None),
            EncryptionPlan::Raise {
                from: L::SseS3,
                to: L::SseKmsAwsManagedKey,
                target: Encryption {
                    algorithm: Some("aws:kms".into()),
                    kms_key: None,
                    bucket_key: true
                }
            }
        );
        assert_eq!(
            plan(&enc(Some("AES256"), None), L::SseKmsCustomerKey, Some(KEY)),
            EncryptionPlan::Raise {
                from: L::SseS3,
                to: L::SseKmsCustomerKey,
                target: Encryption {
                    algorithm: Some("aws:kms".into()),
                    kms_key: Some(KEY.into()),
                    bucket_key: true
                }
            }
        );
    }

    #[test]
    fn keeps_the_buckets_own_customer_key() {
        let EncryptionPlan::Raise { target, .. } =
            plan(&enc(Some("aws:kms"), Some(KEY)), L::DsseKms, Some(OTHER))
        else {
            panic!("expected a raise");
        };
        assert_eq!(
            target,
            Encryption {
                algorithm: Some("aws:kms:dsse".into()),
                kms_key: Some(KEY.into()),
                bucket_key: false
            }
        );
    }

    #[test]
    fn unknown_algorithms_are_left_alone() {
        assert_eq!(
            plan(&enc(Some("aws:future"), None), L::DsseKms, None),
            EncryptionPlan::Unknown
        );
    }

    #[test]
    fn json_uses_the_api_names() {
        assert_eq!(enc(None, None).to_json(), Value::Null);
        assert_eq!(
            Encryption {
                algorithm: Some("aws:kms".into()),
                kms_key: Some(KEY.into()),
                bucket_key: true
            }
            .to_json(),
            json!({"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY, "BucketKeyEnabled": true})
        );
    }
}
