//! The account's own Block Public Access (S3 Control's
//! `GetPublicAccessBlock`). Its `BlockPublicPolicy` makes S3 refuse a
//! policy that grants public access on every bucket of the account, as the
//! bucket's own flag does on one: a TLS deny merged into such a policy
//! would be refused, so Warden does not attempt it.
//!
//! Read only for a bucket whose policy grants public access and whose own
//! flag is off, the only case where it changes what Warden does, and kept
//! for a minute, so a sweep of many such buckets asks once. A value up to a
//! minute old can only be wrong one way that matters: the account's flag
//! turned on since, and then S3 refuses the write, which is reported as a
//! refusal by rule with what to do (`failed`), as before this read existed.
//!
//! Through the signed client: S3 Control's SDK would add a whole SDK to the
//! function for four flags. The account is the credentials' own
//! (`GetCallerIdentity`, which needs no permission), asked once per cold
//! start.

use crate::calls::GET_ACCOUNT_PUBLIC_ACCESS_BLOCK;
use crate::public_access::PublicAccessBlock;
use aws_config::SdkConfig;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
use warden_shared::GuardError;
use warden_shared::error::{Sorted, sort};
use warden_shared::signed::{Call, DualStack, Service, SignedClient, xml_text};

/// S3 Control as the SDK names it. Its requests are signed for `s3`.
pub const S3_CONTROL: Service = Service {
    name: "s3",
    endpoint_prefix: "s3-control",
    dual_stack: DualStack::Dualstack,
    content_sha256: true,
    service_id: "S3 Control",
    endpoint_env: "AWS_ENDPOINT_URL_S3_CONTROL",
    profile_key: "s3_control",
};
pub const PATH: &str = "/v20180820/configuration/publicAccessBlock";
/// How long an answer is reused.
pub const KEPT_FOR: Duration = Duration::from_secs(60);

/// The account's Block Public Access, read as needed.
pub struct AccountBlock {
    control: SignedClient,
    sts: aws_sdk_sts::Client,
    account: OnceLock<String>,
    /// The last answer, and when it was read.
    kept: Mutex<Option<(Instant, Option<PublicAccessBlock>)>>,
}

impl std::fmt::Debug for AccountBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountBlock")
            .field("account", &self.account.get())
            .finish_non_exhaustive()
    }
}

impl AccountBlock {
    pub fn new(aws: &SdkConfig) -> Self {
        Self {
            control: SignedClient::new(aws, S3_CONTROL),
            sts: aws_sdk_sts::Client::new(aws),
            account: OnceLock::new(),
            kept: Mutex::new(None),
        }
    }

    /// The account's configuration (`None` when it has none), asked in
    /// `region` (S3 Control answers for the whole account in any region).
    pub async fn read(&self, region: &str) -> Result<Option<PublicAccessBlock>, GuardError> {
        if let Some((at, kept)) = *self
            .kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            && at.elapsed() < KEPT_FOR
        {
            return Ok(kept);
        }
        let account = self.account().await?;
        let resource = format!("account {account}");
        let headers = [("x-amz-account-id", account.as_str())];
        let host_prefix = format!("{account}.");
        let call = Call {
            method: "GET",
            path: PATH,
            host_prefix: &host_prefix,
            content_type: None,
            headers: &headers,
            body: &[],
        };
        let read = match self.control.send(region, &call).await {
            Ok(answer) => Some(parse(&answer.body).map_err(|why| {
                GuardError::unusable(GET_ACCOUNT_PUBLIC_ACCESS_BLOCK, &resource, why)
            })?),
            Err(err)
                if sort(&err, &["NoSuchPublicAccessBlockConfiguration"]) == Sorted::NotFound =>
            {
                None
            }
            Err(err) => {
                return Err(GuardError::from_sdk(
                    GET_ACCOUNT_PUBLIC_ACCESS_BLOCK,
                    &resource,
                    err,
                ));
            }
        };
        *self
            .kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((Instant::now(), read));
        Ok(read)
    }

    /// The credentials' account, asked once per cold start (two checks at
    /// once may both ask; the first answer is kept).
    async fn account(&self) -> Result<String, GuardError> {
        if let Some(account) = self.account.get() {
            return Ok(account.clone());
        }
        let identity = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| GuardError::from_sdk(GET_CALLER_IDENTITY, "the credentials", e))?;
        let account = identity
            .account()
            .filter(|a| !a.is_empty())
            .ok_or_else(|| {
                GuardError::unusable(
                    GET_CALLER_IDENTITY,
                    "the credentials",
                    "STS named no account",
                )
            })?;
        Ok(self.account.get_or_init(|| account.to_string()).clone())
    }
}

/// Needs no permission; named for its errors.
const GET_CALLER_IDENTITY: warden_shared::AwsCall =
    warden_shared::AwsCall::new("GetCallerIdentity", "sts:GetCallerIdentity");

/// The four flags of a `GetPublicAccessBlock` answer; a flag that is
/// missing is off, as S3 treats it. Anything but `true` or `false` makes the
/// answer unusable rather than guessed.
pub fn parse(body: &[u8]) -> Result<PublicAccessBlock, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the answer is not UTF-8".to_string())?;
    if !text.contains("<PublicAccessBlockConfiguration") {
        return Err(format!(
            "the answer has no PublicAccessBlockConfiguration: {}",
            text.chars().take(200).collect::<String>()
        ));
    }
    let flag = |name: &str| match xml_text(text, name) {
        None => Ok(false),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => Err(format!("{name} is {other:?}, not true or false")),
    };
    Ok(PublicAccessBlock {
        block_public_acls: flag("BlockPublicAcls")?,
        ignore_public_acls: flag("IgnorePublicAcls")?,
        block_public_policy: flag("BlockPublicPolicy")?,
        restrict_public_buckets: flag("RestrictPublicBuckets")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_flags_of_an_answer() {
        let answer = br#"<?xml version="1.0" encoding="UTF-8"?>
<GetPublicAccessBlockOutput xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><PublicAccessBlockConfiguration><BlockPublicAcls>false</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy></PublicAccessBlockConfiguration></GetPublicAccessBlockOutput>"#;
        assert_eq!(
            parse(answer),
            Ok(PublicAccessBlock {
                block_public_acls: false,
                ignore_public_acls: true,
                block_public_policy: true,
                restrict_public_buckets: false,
            })
        );
        let odd = b"<PublicAccessBlockConfiguration><BlockPublicPolicy>yes</BlockPublicPolicy></PublicAccessBlockConfiguration>";
        assert_eq!(
            parse(odd),
            Err("BlockPublicPolicy is \"yes\", not true or false".to_string())
        );
        assert!(parse(b"<Other/>").is_err());
        assert!(parse(&[0xff, 0xfe]).is_err());
    }
}
