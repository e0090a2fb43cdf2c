//! The writes to one bucket, shared by a fix and a rollback's restore, and
//! the encryption configuration a raise or a restore sends.

use crate::Bucket;
use crate::calls::{PUT_ENCRYPTION, PUT_POLICY, PUT_PUBLIC_ACCESS_BLOCK};
use crate::encryption::{AES256, Encryption};
use crate::public_access::PublicAccessBlock;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::types::{
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
};
use warden_shared::{AwsCall, GuardError};

/// The writes to one bucket, shared by a fix and a rollback's restore.
pub(crate) struct Writes<'a> {
    pub(crate) client: &'a Client,
    pub(crate) bucket: &'a Bucket,
    /// What S3's refusal of a public policy under Block Public Access means
    /// for these writes.
    pub(crate) refused: &'static str,
}

impl<'a> Writes<'a> {
    /// A fix's writes.
    pub(crate) fn fix(client: &'a Client, bucket: &'a Bucket) -> Self {
        Self {
            client,
            bucket,
            refused: Self::FIX_REFUSED,
        }
    }

    pub(crate) const FIX_REFUSED: &'static str = "S3 refuses the policy because Block Public Access blocks public policies for this bucket or account, and the policy grants public access: remove or narrow the public statement";
    pub(crate) const RESTORE_REFUSED: &'static str = "S3 refuses the recorded policy because Block Public Access now blocks public policies and the policy grants public access";

    pub(crate) async fn put_encryption(
        &self,
        configuration: ServerSideEncryptionConfiguration,
    ) -> Result<(), GuardError> {
        let answer = self
            .client
            .put_bucket_encryption()
            .bucket(&self.bucket.name)
            .server_side_encryption_configuration(configuration)
            .send()
            .await;
        self.answered(PUT_ENCRYPTION, answer)
    }

    pub(crate) async fn put_policy(&self, text: &str) -> Result<(), GuardError> {
        let answer = self
            .client
            .put_bucket_policy()
            .bucket(&self.bucket.name)
            .policy(text)
            .send()
            .await;
        self.answered(PUT_POLICY, answer)
    }

    pub(crate) async fn put_public_access_block(
        &self,
        flags: &PublicAccessBlock,
    ) -> Result<(), GuardError> {
        let configuration = PublicAccessBlockConfiguration::builder()
            .block_public_acls(flags.block_public_acls)
            .ignore_public_acls(flags.ignore_public_acls)
            .block_public_policy(flags.block_public_policy)
            .restrict_public_buckets(flags.restrict_public_buckets)
            .build();
        let answer = self
            .client
            .put_public_access_block()
            .bucket(&self.bucket.name)
            .public_access_block_configuration(configuration)
            .send()
            .await;
        self.answered(PUT_PUBLIC_ACCESS_BLOCK, answer)
    }

    /// A write's answer. S3 refuses a public policy while Block Public
    /// Access is on with an `AccessDenied` whose message says so: that is
    /// S3's rule, not a permission the role lacks.
    pub(crate) fn answered<T, E>(
        &self,
        call: AwsCall,
        result: Result<T, SdkError<E, HttpResponse>>,
    ) -> Result<(), GuardError>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let arn = &self.bucket.arn;
        match result {
            Ok(_) => Ok(()),
            Err(err)
                if err.message().is_some_and(|m| {
                    m.contains("BlockPublicPolicy") || m.contains("public policies are blocked")
                }) =>
            {
                let message = format!("{} ({})", self.refused, err.message().unwrap_or_default());
                Err(GuardError::unusable(call, arn, message))
            }
            Err(err) => Err(GuardError::from_sdk(call, arn, err)),
        }
    }
}

/// `now` with Warden's three fields (algorithm, key, bucket key) set in its
/// first rule and every other field (`BlockedEncryptionTypes`, further
/// rules) sent back as it was: what a raise writes, and what a rollback
/// restores.
pub(crate) fn encryption_configuration(
    bucket: &Bucket,
    encryption: &Encryption,
    now: Option<ServerSideEncryptionConfiguration>,
) -> Result<ServerSideEncryptionConfiguration, GuardError> {
    let invalid = |e: aws_sdk_s3::error::BuildError| {
        GuardError::unusable(
            PUT_ENCRYPTION,
            &bucket.arn,
            format!("could not build the request: {e}"),
        )
    };
    let default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::from(
            encryption.algorithm.as_deref().unwrap_or(AES256),
        ))
        .set_kms_master_key_id(encryption.kms_key.clone())
        .build()
        .map_err(invalid)?;
    let mut rules: Vec<ServerSideEncryptionRule> = now.map(|c| c.rules).unwrap_or_default();
    let first = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(default)
        .bucket_key_enabled(encryption.bucket_key)
        .set_blocked_encryption_types(
            rules
                .first()
                .and_then(|r| r.blocked_encryption_types.clone()),
        )
        .build();
    match rules.first_mut() {
        Some(rule) => *rule = first,
        None => rules.push(first),
    }
    ServerSideEncryptionConfiguration::builder()
        .set_rules(Some(rules))
        .build()
        .map_err(invalid)
}
