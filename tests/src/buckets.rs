//! Seeding S3 buckets on the emulator, and reading a policy's text back, for
//! every test that needs a bucket in a given state: bucket-guard's fixture,
//! the rollback tests, the sinks tests and `warden-local`.

use aws_sdk_s3::Client;
use aws_sdk_s3::types::{
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging,
};
use serde_json::Value;

pub async fn create(s3: &Client, bucket: &str) {
    s3.create_bucket()
        .bucket(bucket)
        .send()
        .await
        .expect("CreateBucket");
}

/// Default encryption with one rule: `algorithm` (`AES256`, `aws:kms`, ...)
/// and, for KMS, `key`.
pub async fn set_encryption(s3: &Client, bucket: &str, algorithm: &str, key: Option<&str>) {
    let default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::from(algorithm))
        .set_kms_master_key_id(key.map(str::to_string))
        .build()
        .expect("an encryption default");
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(default)
        .build();
    s3.put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(rule)
                .build()
                .expect("an encryption configuration"),
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

/// The bucket policy's text exactly as S3 returns it; `None` without one.
pub async fn policy_text(s3: &Client, bucket: &str) -> Option<String> {
    match s3.get_bucket_policy().bucket(bucket).send().await {
        Ok(out) => out.policy,
        Err(err) if format!("{err:?}").contains("NoSuchBucketPolicy") => None,
        Err(err) => panic!("GetBucketPolicy: {err:?}"),
    }
}

/// Block Public Access on the bucket, the four flags in S3's order:
/// BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets.
pub async fn set_public_access_block(s3: &Client, bucket: &str, flags: [bool; 4]) {
    let config = PublicAccessBlockConfiguration::builder()
        .block_public_acls(flags[0])
        .ignore_public_acls(flags[1])
        .block_public_policy(flags[2])
        .restrict_public_buckets(flags[3])
        .build();
    s3.put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(config)
        .send()
        .await
        .expect("PutPublicAccessBlock");
}

/// The bucket's tag set, replaced by `tags`.
pub async fn set_tags(s3: &Client, bucket: &str, tags: &[(&str, &str)]) {
    let tag_set: Vec<Tag> = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(*k).value(*v).build().expect("a tag"))
        .collect();
    s3.put_bucket_tagging()
        .bucket(bucket)
        .tagging(
            Tagging::builder()
                .set_tag_set(Some(tag_set))
                .build()
                .expect("a tag set"),
        )
        .send()
        .await
        .expect("PutBucketTagging");
}
