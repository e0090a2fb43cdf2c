//! The buckets the cases meet, and the emulator's own cost of a case's S3
//! calls (its floor).

use std::time::Duration;

use aws_sdk_s3::types::{
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
};
use serde_json::{Value, json};
use warden_tests::aws::sdk_error;

use super::Case;

/// Replays a case's S3 calls from the bench's own (connected) client, with
/// the function's concurrency: one round of reads, and for a fresh bucket one
/// round of writes and one of read-backs. Bucket creation is not timed.
pub(super) async fn emulator_floor(
    s3: &aws_sdk_s3::Client,
    case: &Case,
    pid: u32,
    run: usize,
) -> Result<Duration, String> {
    let bucket = if case.fresh_bucket {
        let bucket = format!("warden-bench-floor-{}-{pid}-{run}", case.name);
        create_bucket(s3, &bucket).await?;
        bucket
    } else {
        format!("warden-bench-{}-{pid}", case.name)
    };
    let bucket = bucket.as_str();
    let started = std::time::Instant::now();
    read_round(s3, bucket).await;
    if case.fresh_bucket {
        let (encryption, policy, pab) = tokio::join!(
            put_aes256(s3, bucket),
            s3.put_bucket_policy()
                .bucket(bucket)
                .policy(tls_policy(bucket).to_string())
                .send(),
            s3.put_public_access_block()
                .bucket(bucket)
                .public_access_block_configuration(all_blocked())
                .send(),
        );
        encryption?;
        policy.map_err(|e| sdk_error("PutBucketPolicy", bucket, e))?;
        pab.map_err(|e| sdk_error("PutPublicAccessBlock", bucket, e))?;
        read_round(s3, bucket).await;
    }
    Ok(started.elapsed())
}

/// bucket-guard's read: four concurrent GETs. Not-found answers are normal
/// here, so results are not checked.
async fn read_round(s3: &aws_sdk_s3::Client, bucket: &str) {
    let _ = tokio::join!(
        s3.get_bucket_encryption().bucket(bucket).send(),
        s3.get_bucket_policy().bucket(bucket).send(),
        s3.get_public_access_block().bucket(bucket).send(),
        s3.get_bucket_tagging().bucket(bucket).send(),
    );
}

/// A new bucket, as `CreateBucket` alone leaves it.
pub(super) async fn create_bucket(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<(), String> {
    s3.create_bucket()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| sdk_error("CreateBucket", bucket, e))?;
    Ok(())
}

/// A bucket that meets every rule under the default settings: SSE-S3, both
/// TLS denies on the bucket and its objects, all four Block Public Access
/// flags on.
pub(super) async fn create_compliant_bucket(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<(), String> {
    create_bucket(s3, bucket).await?;
    put_aes256(s3, bucket).await?;
    s3.put_bucket_policy()
        .bucket(bucket)
        .policy(tls_policy(bucket).to_string())
        .send()
        .await
        .map_err(|e| sdk_error("PutBucketPolicy", bucket, e))?;
    s3.put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(all_blocked())
        .send()
        .await
        .map_err(|e| sdk_error("PutPublicAccessBlock", bucket, e))?;
    Ok(())
}

async fn put_aes256(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<(), String> {
    let default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::Aes256)
        .build()
        .map_err(|e| e.to_string())?;
    let encryption = ServerSideEncryptionConfiguration::builder()
        .rules(
            ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(default)
                .build(),
        )
        .build()
        .map_err(|e| e.to_string())?;
    s3.put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(encryption)
        .send()
        .await
        .map_err(|e| sdk_error("PutBucketEncryption", bucket, e))?;
    Ok(())
}

/// Both TLS denies, on the bucket and its objects.
fn tls_policy(bucket: &str) -> Value {
    let arn = format!("arn:aws:s3:::{bucket}");
    let resources = json!([arn, format!("{arn}/*")]);
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RequireTls",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": resources,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}
            },
            {
                "Sid": "RequireTls12",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": resources,
                "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}
            }
        ]
    })
}

fn all_blocked() -> PublicAccessBlockConfiguration {
    PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(true)
        .restrict_public_buckets(true)
        .build()
}
