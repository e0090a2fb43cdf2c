//! bucket-guard's four rules, each a unit: a pure check over the bucket's
//! state and a pure fix. All four stand on the bucket's state alone, so they
//! run on an event and on a sweep alike.

use crate::calls::{
    GET_ACCOUNT_PUBLIC_ACCESS_BLOCK, GET_ENCRYPTION, GET_POLICY, GET_PUBLIC_ACCESS_BLOCK,
    PUT_ENCRYPTION, PUT_POLICY, PUT_PUBLIC_ACCESS_BLOCK,
};
use crate::encryption::{self, EncryptionPlan};
use crate::policy::{self, BucketResources, TlsRule};
use crate::public_access::PublicAccessBlock;
use crate::{BucketFix, BucketGuard, rule};
use serde_json::Value;
use warden_shared::{Calls, Found, Input, Meta, Remedy, Rule, RuleSpec, Severity};

/// Every rule, in the order findings are reported.
pub static ALL: [&dyn Rule<BucketGuard>; 4] = [
    &DefaultEncryption,
    &TlsDeny::<true>,
    &TlsDeny::<false>,
    &PublicAccessBlockOn,
];

/// Default encryption at or above the configured minimum; raised, never
/// lowered, keeping a customer key the bucket already uses.
pub struct DefaultEncryption;

impl RuleSpec<BucketGuard> for DefaultEncryption {
    type Found = EncryptionPlan;
    /// The policy is read to cap log-delivery buckets at SSE-S3.
    const META: Meta = Meta::standing(
        rule::DEFAULT_ENCRYPTION,
        Severity::Medium,
        Calls::reads(&[GET_ENCRYPTION, GET_POLICY]).fixes(&[PUT_ENCRYPTION]),
    );

    fn check(
        &self,
        guard: &BucketGuard,
        input: &Input<'_, BucketGuard>,
    ) -> Vec<Found<EncryptionPlan>> {
        let state = input.state;
        let log_delivery = policy::grants_log_delivery(state.policy.as_ref());
        let required = encryption::required_level(
            guard.min_encryption,
            guard.kms_key_arn.as_deref(),
            log_delivery,
        );
        let cap_note = if log_delivery {
            " (capped at SSE-S3: the bucket policy lets a log-delivery service write to it, and those cannot use SSE-KMS)"
        } else {
            ""
        };
        let plan = encryption::plan(&state.encryption, required, guard.kms_key_arn.as_deref());
        let evidence = match &plan {
            EncryptionPlan::Keep => return vec![],
            EncryptionPlan::Raise { from, .. } => {
                format!("default encryption is {from}; required: at least {required}{cap_note}")
            }
            EncryptionPlan::Unknown => format!(
                "default encryption uses `{}`, which Warden does not recognise; required: at least {required}",
                state.encryption.algorithm.as_deref().unwrap_or_default()
            ),
        };
        vec![Found::new(evidence, plan)]
    }

    fn fix(
        &self,
        _: &BucketGuard,
        input: &Input<'_, BucketGuard>,
        plan: &EncryptionPlan,
    ) -> Remedy<BucketFix> {
        let bucket_region = input.target.region.as_str();
        match plan {
            // Never a key of another region as a bucket's default: S3 would
            // refuse every upload that uses it.
            EncryptionPlan::Raise { target, .. }
                if target
                    .kms_key
                    .as_deref()
                    .and_then(encryption::key_region)
                    .is_some_and(|key_region| key_region != bucket_region) =>
            {
                Remedy::manual(format!(
                    "the KMS key {} is in another region than the bucket ({bucket_region}), and a bucket's default key must be in its own region: raise this bucket by hand with a key in {bucket_region}",
                    target.kms_key.as_deref().unwrap_or_default()
                ))
            }
            EncryptionPlan::Raise { target, .. } => Remedy::one(
                BucketFix::Encryption(target.clone()),
                "put-bucket-encryption",
                input.state.encryption.to_json(),
                target.to_json(),
            ),
            EncryptionPlan::Keep | EncryptionPlan::Unknown => Remedy::manual(format!(
                "default encryption `{}` was left as it is: Warden never replaces a setting it cannot rank",
                input
                    .state
                    .encryption
                    .algorithm
                    .as_deref()
                    .unwrap_or_default()
            )),
        }
    }
}

/// A TLS rule: the bucket policy denies every principal `s3:*` on the
/// bucket and every object without TLS (`TlsDeny<true>`, `tls-required`) or
/// with TLS older than 1.2 (`TlsDeny<false>`, `tls-version`).
pub struct TlsDeny<const WITHOUT_TLS: bool>;

pub type TlsRequired = TlsDeny<true>;
pub type TlsVersion = TlsDeny<false>;

impl<const WITHOUT_TLS: bool> TlsDeny<WITHOUT_TLS> {
    const RULE: TlsRule = if WITHOUT_TLS {
        TlsRule::Required
    } else {
        TlsRule::MinimumVersion
    };
}

impl<const WITHOUT_TLS: bool> RuleSpec<BucketGuard> for TlsDeny<WITHOUT_TLS> {
    /// The statement to add.
    type Found = Value;
    const META: Meta = Meta::standing(Self::RULE.name(), Severity::Medium, TLS_CALLS);

    /// The deny the policy lacks, if it lacks it.
    fn check(&self, _: &BucketGuard, input: &Input<'_, BucketGuard>) -> Vec<Found<Value>> {
        let policy = input.state.policy.as_ref();
        let resources = BucketResources::new(input.arn());
        if policy::enforces(policy, &resources, Self::RULE) {
            return vec![];
        }
        let evidence = format!(
            "the bucket policy does not deny {} on {} and {}",
            Self::RULE.describe(),
            resources.bucket,
            resources.objects
        );
        let statement = policy::deny_statement(Self::RULE, &resources, policy);
        vec![Found::new(evidence, statement)]
    }

    /// Statements are added by merge (see [`crate::BucketGuard`]'s plan).
    fn fix(
        &self,
        _: &BucketGuard,
        _: &Input<'_, BucketGuard>,
        statement: &Value,
    ) -> Remedy<BucketFix> {
        Remedy::one(
            BucketFix::AddStatement(statement.clone()),
            "add-bucket-policy-statement",
            Value::Null,
            statement.clone(),
        )
    }
}

/// The account's Block Public Access is read too when the policy grants
/// public access (S3 would refuse to write it).
const TLS_CALLS: Calls =
    Calls::reads(&[GET_POLICY, GET_ACCOUNT_PUBLIC_ACCESS_BLOCK]).fixes(&[PUT_POLICY]);

/// All four Block Public Access flags on (`RequirePublicAccessBlock`),
/// turned on flag by flag and never off.
pub struct PublicAccessBlockOn;

impl RuleSpec<BucketGuard> for PublicAccessBlockOn {
    type Found = PublicAccessBlock;
    const META: Meta = Meta::standing(
        rule::PUBLIC_ACCESS_BLOCK,
        Severity::High,
        Calls::reads(&[GET_PUBLIC_ACCESS_BLOCK]).fixes(&[PUT_PUBLIC_ACCESS_BLOCK]),
    );

    fn check(
        &self,
        guard: &BucketGuard,
        input: &Input<'_, BucketGuard>,
    ) -> Vec<Found<PublicAccessBlock>> {
        if !guard.require_public_access_block {
            return vec![];
        }
        let current = input.state.public_access_block;
        let off = current.unwrap_or_default().flags_off();
        if off.is_empty() {
            return vec![];
        }
        let evidence = match current {
            None => "the bucket has no Block Public Access configuration".to_string(),
            Some(_) => format!("Block Public Access flags off: {}", off.join(", ")),
        };
        let target = current
            .unwrap_or_default()
            .raised_to(PublicAccessBlock::ALL_ON);
        vec![Found::new(evidence, target)]
    }

    fn fix(
        &self,
        _: &BucketGuard,
        input: &Input<'_, BucketGuard>,
        target: &PublicAccessBlock,
    ) -> Remedy<BucketFix> {
        Remedy::one(
            BucketFix::PublicAccessBlock(*target),
            "put-public-access-block",
            input
                .state
                .public_access_block
                .map_or(Value::Null, PublicAccessBlock::to_json),
            target.to_json(),
        )
    }
}
