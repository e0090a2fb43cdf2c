//! The adapter around the S3 client: one concurrent round of reads, one of
//! writes. Not-found answers become state ("no policy"), a missing bucket
//! becomes `None`, and anything else an error naming the call.

use crate::calls::{
    GET_ENCRYPTION, GET_POLICY, GET_PUBLIC_ACCESS_BLOCK, GET_TAGGING, PUT_ENCRYPTION, PUT_POLICY,
    PUT_PUBLIC_ACCESS_BLOCK,
};
use crate::encryption::Encryption;
use crate::public_access::PublicAccessBlock;
use crate::{Bucket, BucketGuard, BucketPlan, BucketState};
use aws_config::SdkConfig;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::types::{
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
};
use serde_json::Value;
use warden_shared::error::{Sorted, sort};
use warden_shared::{Adapter, Applied, AwsCall, GuardError, Snapshot};

/// An S3 client. Path-style addressing when an endpoint override is set: an
/// emulator on `127.0.0.1` has no per-bucket host names.
pub fn client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let s3_config = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(config.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(s3_config)
}

/// One read: the value, or the bucket is gone.
enum Read<T> {
    Found(T),
    NoBucket,
}

/// Sorts an S3 answer: `absent` is the error code that means "not
/// configured", `NoSuchBucket` a deleted bucket, anything else an error.
fn read<T, E>(
    call: AwsCall,
    bucket: &Bucket,
    absent: &str,
    result: Result<T, SdkError<E, HttpResponse>>,
) -> Result<Read<Option<T>>, GuardError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Ok(output) => Ok(Read::Found(Some(output))),
        Err(err) if err.code() == Some("NoSuchBucket") => Ok(Read::NoBucket),
        Err(err) if sort(&err, &[absent]) == Sorted::NotFound => Ok(Read::Found(None)),
        Err(err) => Err(GuardError::from_sdk(call, &bucket.arn, err)),
    }
}

/// The S3 adapter, built once per cold start.
pub struct S3Buckets {
    client: aws_sdk_s3::Client,
}

impl S3Buckets {
    pub fn new(client: aws_sdk_s3::Client) -> Self {
        Self { client }
    }

    /// Reads encryption, policy, Block Public Access and tags concurrently.
    pub async fn read(&self, bucket: &Bucket) -> Result<Option<Snapshot<BucketState>>, GuardError> {
        let name = bucket.name.as_str();
        let (encryption, policy, public_access, tagging) = tokio::join!(
            self.client.get_bucket_encryption().bucket(name).send(),
            self.client.get_bucket_policy().bucket(name).send(),
            self.client.get_public_access_block().bucket(name).send(),
            self.client.get_bucket_tagging().bucket(name).send(),
        );
        let encryption = read(
            GET_ENCRYPTION,
            bucket,
            "ServerSideEncryptionConfigurationNotFoundError",
            encryption,
        )?;
        let policy = read(GET_POLICY, bucket, "NoSuchBucketPolicy", policy)?;
        let public_access = read(
            GET_PUBLIC_ACCESS_BLOCK,
            bucket,
            "NoSuchPublicAccessBlockConfiguration",
            public_access,
        )?;
        let tagging = read(GET_TAGGING, bucket, "NoSuchTagSet", tagging)?;
        let (
            Read::Found(encryption),
            Read::Found(policy),
            Read::Found(public_access),
            Read::Found(tagging),
        ) = (encryption, policy, public_access, tagging)
        else {
            return Ok(None);
        };

        let encryption = encryption
            .as_ref()
            .and_then(|out| out.server_side_encryption_configuration())
            .and_then(|config| config.rules().first())
            .map(|rule| {
                let default = rule.apply_server_side_encryption_by_default();
                Encryption {
                    algorithm: default.map(|d| d.sse_algorithm().as_str().to_string()),
                    kms_key: default
                        .and_then(|d| d.kms_master_key_id())
                        .map(str::to_string),
                    bucket_key: rule.bucket_key_enabled().unwrap_or(false),
                }
            })
            .unwrap_or_default();
        let policy = match policy.as_ref().and_then(|out| out.policy()) {
            None => None,
            Some(text) => Some(serde_json::from_str::<Value>(text).map_err(|e| {
                GuardError::unusable(
                    GET_POLICY,
                    &bucket.arn,
                    format!("the bucket policy S3 returned is not JSON ({e}); nothing was changed"),
                )
            })?),
        };
        let public_access_block = public_access
            .as_ref()
            .and_then(|out| out.public_access_block_configuration())
            .map(|c| PublicAccessBlock {
                block_public_acls: c.block_public_acls().unwrap_or(false),
                ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
                block_public_policy: c.block_public_policy().unwrap_or(false),
                restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
            });
        let tags = tagging
            .map(|out| {
                out.tag_set()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Some(Snapshot {
            state: BucketState {
                encryption,
                policy,
                public_access_block,
            },
            tags,
        }))
    }

    /// Makes the plan's writes concurrently: they touch separate settings.
    pub async fn write(&self, bucket: &Bucket, plan: &BucketPlan) -> Result<(), GuardError> {
        tokio::try_join!(
            self.put_encryption(bucket, plan.encryption.as_ref()),
            self.put_policy(bucket, plan.policy.as_deref()),
            self.put_public_access_block(bucket, plan.public_access_block),
        )?;
        Ok(())
    }

    async fn put_encryption(
        &self,
        bucket: &Bucket,
        target: Option<&Encryption>,
    ) -> Result<(), GuardError> {
        let Some(target) = target else { return Ok(()) };
        let invalid = |e: aws_sdk_s3::error::BuildError| {
            GuardError::unusable(
                PUT_ENCRYPTION,
                &bucket.arn,
                format!("could not build the request: {e}"),
            )
        };
        let algorithm = target
            .algorithm
            .as_deref()
            .unwrap_or(crate::encryption::AES256);
        let default = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::from(algorithm))
            .set_kms_master_key_id(target.kms_key.clone())
            .build()
            .map_err(invalid)?;
        let rule = ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(default)
            .bucket_key_enabled(target.bucket_key)
            .build();
        let configuration = ServerSideEncryptionConfiguration::builder()
            .rules(rule)
            .build()
            .map_err(invalid)?;
        self.client
            .put_bucket_encryption()
            .bucket(&bucket.name)
            .server_side_encryption_configuration(configuration)
            .send()
            .await
            .map_err(|e| GuardError::from_sdk(PUT_ENCRYPTION, &bucket.arn, e))?;
        Ok(())
    }

    async fn put_policy(&self, bucket: &Bucket, policy: Option<&str>) -> Result<(), GuardError> {
        let Some(policy) = policy else { return Ok(()) };
        self.client
            .put_bucket_policy()
            .bucket(&bucket.name)
            .policy(policy)
            .send()
            .await
            .map_err(|e| GuardError::from_sdk(PUT_POLICY, &bucket.arn, e))?;
        Ok(())
    }

    async fn put_public_access_block(
        &self,
        bucket: &Bucket,
        target: Option<PublicAccessBlock>,
    ) -> Result<(), GuardError> {
        let Some(target) = target else { return Ok(()) };
        let configuration = PublicAccessBlockConfiguration::builder()
            .block_public_acls(target.block_public_acls)
            .ignore_public_acls(target.ignore_public_acls)
            .block_public_policy(target.block_public_policy)
            .restrict_public_buckets(target.restrict_public_buckets)
            .build();
        self.client
            .put_public_access_block()
            .bucket(&bucket.name)
            .public_access_block_configuration(configuration)
            .send()
            .await
            .map_err(|e| GuardError::from_sdk(PUT_PUBLIC_ACCESS_BLOCK, &bucket.arn, e))?;
        Ok(())
    }
}

impl Adapter<BucketGuard> for S3Buckets {
    async fn read(&self, bucket: &Bucket) -> Result<Option<Snapshot<BucketState>>, GuardError> {
        S3Buckets::read(self, bucket).await
    }

    async fn apply(&self, bucket: &Bucket, plan: &BucketPlan) -> Result<Applied, GuardError> {
        self.write(bucket, plan).await?;
        Ok(Applied::Done)
    }
}
