//! The adapter around S3: each bucket's calls go to the bucket's own region,
//! through one client per region built once and reused. Reads are one
//! concurrent round; writes re-read the setting they replace immediately
//! before writing it, and write nothing if it changed since the plan was
//! built. Not-found answers become state ("no policy"), a missing bucket
//! becomes `None`, anything else an error naming the call.

use crate::account::AccountBlock;
use crate::calls::{GET_ENCRYPTION, GET_POLICY, GET_PUBLIC_ACCESS_BLOCK, GET_TAGGING};
use crate::encryption::Encryption;
use crate::public_access::PublicAccessBlock;
use crate::{Bucket, BucketGuard, BucketPlan, BucketState};
use aws_config::SdkConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::Region;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::types::ServerSideEncryptionConfiguration;
use serde_json::Value;
use warden_shared::aws::Regional;
use warden_shared::error::{Sorted, sort};
use warden_shared::{Adapter, Applied, AwsCall, GuardError, Snapshot};

/// An S3 client for `region`. Path-style addressing when an endpoint
/// override is set: an emulator on `127.0.0.1` has no per-bucket host names.
pub fn client(config: &SdkConfig, region: &str) -> Client {
    let s3_config = aws_sdk_s3::config::Builder::from(config)
        .region(Region::new(region.to_string()))
        .force_path_style(config.endpoint_url().is_some())
        .build();
    Client::from_conf(s3_config)
}

/// One read: the value, or the bucket is gone.
enum Read<T> {
    Found(T),
    NoBucket,
}

impl<T> Read<T> {
    /// The value found, made into what the rules read; a gone bucket stays
    /// gone.
    fn map<U>(self, f: impl FnOnce(T) -> U) -> Read<U> {
        match self {
            Read::Found(value) => Read::Found(f(value)),
            Read::NoBucket => Read::NoBucket,
        }
    }
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
    clients: Regional<Client>,
    account_block: AccountBlock,
}

impl S3Buckets {
    /// Clients for each bucket's region are built from `config` (its
    /// credentials, retries, `AWS_ENDPOINT_URL`, FIPS) as needed.
    pub fn new(config: &SdkConfig) -> Self {
        Self {
            clients: Regional::new(config, client),
            account_block: AccountBlock::new(config),
        }
    }

    /// The client for `region`, built on first use and kept.
    pub fn client(&self, region: &str) -> Client {
        self.clients.client(region)
    }

    /// Reads encryption, policy, Block Public Access and (unless the
    /// Tagging API listed them) tags concurrently; then, only for a policy
    /// that grants public access on a bucket whose own `BlockPublicPolicy`
    /// is off, the account's Block Public Access ([`AccountBlock`]).
    pub async fn read(&self, bucket: &Bucket) -> Result<Option<Snapshot<BucketState>>, GuardError> {
        let client = self.client(&bucket.region);
        let (encryption, policy, public_access, tags) = tokio::join!(
            self.encryption(&client, bucket),
            self.policy(&client, bucket),
            self.public_access_block(&client, bucket),
            self.tags(&client, bucket),
        );
        let (
            Read::Found((encryption, _)),
            Read::Found(policy),
            Read::Found(public_access_block),
            Read::Found(tags),
        ) = (encryption?, policy?, public_access?, tags?)
        else {
            return Ok(None);
        };
        let bucket_blocks = public_access_block.is_some_and(|b| b.block_public_policy);
        let account_blocks_public_policy = match &policy {
            Some(doc) if !bucket_blocks && crate::policy::is_public(doc) => self
                .account_block
                .read(&bucket.region)
                .await?
                .is_some_and(|b| b.block_public_policy),
            _ => false,
        };
        Ok(Some(Snapshot {
            state: BucketState {
                encryption,
                policy,
                public_access_block,
                account_blocks_public_policy,
            },
            tags,
        }))
    }

    async fn tags(
        &self,
        client: &Client,
        bucket: &Bucket,
    ) -> Result<Read<Vec<(String, String)>>, GuardError> {
        if let Some(listed) = &bucket.listed_tags {
            return Ok(Read::Found(listed.clone()));
        }
        let answer = client
            .get_bucket_tagging()
            .bucket(&bucket.name)
            .send()
            .await;
        Ok(
            read(GET_TAGGING, bucket, "NoSuchTagSet", answer)?.map(|output| {
                output
                    .map(|out| {
                        out.tag_set()
                            .iter()
                            .map(|t| (t.key().to_string(), t.value().to_string()))
                            .collect()
                    })
                    .unwrap_or_default()
            }),
        )
    }

    /// Default encryption as the rules see it, with the configuration as S3
    /// returned it (a raise rewrites only what Warden owns in it).
    async fn encryption(
        &self,
        client: &Client,
        bucket: &Bucket,
    ) -> Result<Read<(Encryption, Option<ServerSideEncryptionConfiguration>)>, GuardError> {
        let answer = client
            .get_bucket_encryption()
            .bucket(&bucket.name)
            .send()
            .await;
        let absent = "ServerSideEncryptionConfigurationNotFoundError";
        Ok(read(GET_ENCRYPTION, bucket, absent, answer)?.map(|output| {
            let configuration = output.and_then(|out| out.server_side_encryption_configuration);
            let encryption = configuration
                .as_ref()
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
            (encryption, configuration)
        }))
    }

    async fn policy(
        &self,
        client: &Client,
        bucket: &Bucket,
    ) -> Result<Read<Option<Value>>, GuardError> {
        let answer = client.get_bucket_policy().bucket(&bucket.name).send().await;
        let Read::Found(output) = read(GET_POLICY, bucket, "NoSuchBucketPolicy", answer)? else {
            return Ok(Read::NoBucket);
        };
        match output.as_ref().and_then(|out| out.policy()) {
            None => Ok(Read::Found(None)),
            Some(text) => serde_json::from_str::<Value>(text)
                .map(|doc| Read::Found(Some(doc)))
                .map_err(|e| {
                    GuardError::unusable(
                        GET_POLICY,
                        &bucket.arn,
                        format!(
                            "the bucket policy S3 returned is not JSON ({e}); nothing was changed"
                        ),
                    )
                }),
        }
    }

    async fn public_access_block(
        &self,
        client: &Client,
        bucket: &Bucket,
    ) -> Result<Read<Option<PublicAccessBlock>>, GuardError> {
        let answer = client
            .get_public_access_block()
            .bucket(&bucket.name)
            .send()
            .await;
        let absent = "NoSuchPublicAccessBlockConfiguration";
        Ok(
            read(GET_PUBLIC_ACCESS_BLOCK, bucket, absent, answer)?.map(|output| {
                output
                    .as_ref()
                    .and_then(|out| out.public_access_block_configuration())
                    .map(|c| PublicAccessBlock {
                        block_public_acls: c.block_public_acls().unwrap_or(false),
                        ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
                        block_public_policy: c.block_public_policy().unwrap_or(false),
                        restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
                    })
            }),
        )
    }

    /// Makes the plan's writes: encryption beside the policy, and the policy
    /// before Block Public Access (turning `BlockPublicPolicy` on first would
    /// make S3 refuse a policy that still grants public access). Every write
    /// is seen to its end, so a failure never leaves another one cut off
    /// half-way; a policy S3 refuses by rule does not keep Block Public
    /// Access off. The first error is returned once all are done.
    pub async fn write(&self, bucket: &Bucket, plan: &BucketPlan) -> Result<Applied, GuardError> {
        let client = self.client(&bucket.region);
        let policy_then_block = async {
            let policy = self.put_policy(&client, bucket, plan).await;
            let go_on = match &policy {
                Ok(Applied::Done) => true,
                Ok(Applied::Changed(_)) => false,
                Err(err) => !err.retryable(),
            };
            let block = if go_on {
                self.put_public_access_block(&client, bucket, plan).await
            } else {
                Ok(Applied::Done)
            };
            (policy, block)
        };
        let (encryption, (policy, block)) = tokio::join!(
            self.put_encryption(&client, bucket, plan),
            policy_then_block
        );
        let mut changed = None;
        for result in [encryption, policy, block] {
            if let Applied::Changed(what) = result? {
                changed.get_or_insert(what);
            }
        }
        Ok(changed.map_or(Applied::Done, Applied::Changed))
    }

    /// Raises default encryption, rewriting only the algorithm, the key and
    /// the bucket key of the rule as read a moment ago: every other field
    /// (`BlockedEncryptionTypes`, further rules) is sent back as it was.
    async fn put_encryption(
        &self,
        client: &Client,
        bucket: &Bucket,
        plan: &BucketPlan,
    ) -> Result<Applied, GuardError> {
        let Some(target) = &plan.encryption else {
            return Ok(Applied::Done);
        };
        let Read::Found((now, configuration)) = self.encryption(client, bucket).await? else {
            return Ok(Applied::Changed(format!("{} was deleted", bucket.arn)));
        };
        if now != plan.read.encryption {
            return Ok(Applied::Changed(format!(
                "default encryption is {} now, not {} as the plan was built on",
                now.to_json(),
                plan.read.encryption.to_json()
            )));
        }
        let configuration = encryption_configuration(bucket, target, configuration)?;
        Writes::fix(client, bucket)
            .put_encryption(configuration)
            .await?;
        Ok(Applied::Done)
    }

    /// Writes the merged policy, if the policy still reads as the merge was
    /// made from: a statement someone added in between is never lost.
    async fn put_policy(
        &self,
        client: &Client,
        bucket: &Bucket,
        plan: &BucketPlan,
    ) -> Result<Applied, GuardError> {
        let Some(merged) = &plan.policy else {
            return Ok(Applied::Done);
        };
        let Read::Found(now) = self.policy(client, bucket).await? else {
            return Ok(Applied::Changed(format!("{} was deleted", bucket.arn)));
        };
        if now != plan.read.policy {
            return Ok(Applied::Changed(
                "the bucket policy changed since it was read".to_string(),
            ));
        }
        Writes::fix(client, bucket).put_policy(merged).await?;
        Ok(Applied::Done)
    }

    /// Turns Block Public Access flags on, if they still read as planned on
    /// (a flag someone turned on meanwhile is kept either way).
    async fn put_public_access_block(
        &self,
        client: &Client,
        bucket: &Bucket,
        plan: &BucketPlan,
    ) -> Result<Applied, GuardError> {
        let Some(target) = plan.public_access_block else {
            return Ok(Applied::Done);
        };
        let Read::Found(now) = self.public_access_block(client, bucket).await? else {
            return Ok(Applied::Changed(format!("{} was deleted", bucket.arn)));
        };
        if now != plan.read.public_access_block {
            return Ok(Applied::Changed(
                "Block Public Access changed since it was read".to_string(),
            ));
        }
        Writes::fix(client, bucket)
            .put_public_access_block(&target)
            .await?;
        Ok(Applied::Done)
    }
}

impl Adapter<BucketGuard> for S3Buckets {
    async fn read(&self, bucket: &Bucket) -> Result<Option<Snapshot<BucketState>>, GuardError> {
        S3Buckets::read(self, bucket).await
    }

    async fn apply(&self, bucket: &Bucket, plan: &BucketPlan) -> Result<Applied, GuardError> {
        self.write(bucket, plan).await
    }
}

mod writes;

pub(crate) use writes::{Writes, encryption_configuration};
