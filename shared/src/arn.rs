//! ARNs: the one parser every guard uses, and partition-aware construction
//! (the same code runs in `aws`, `aws-cn` and `aws-us-gov`).

/// The parts of `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`. The resource
/// part may itself hold `:` and `/` (`trail/name`, `function:f:1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Parses an ARN; `None` unless it starts with `arn:`, has all six parts
    /// and names a partition, a service and a resource.
    pub fn parse(text: &'a str) -> Option<Self> {
        let mut parts = text.splitn(6, ':');
        let (prefix, partition, service, region, account, resource) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        (prefix == "arn" && !partition.is_empty() && !service.is_empty() && !resource.is_empty())
            .then_some(Self {
                partition,
                service,
                region,
                account,
                resource,
            })
    }

    /// The resource's type and the rest, split at the first `/` or `:`
    /// (`trail/t` → `("trail", "t")`); `None` for a resource without a type.
    pub fn typed_resource(&self) -> Option<(&'a str, &'a str)> {
        let at = self.resource.find(['/', ':'])?;
        Some((&self.resource[..at], &self.resource[at + 1..]))
    }

    /// The last path element of the resource (`user/ops/alice` → `alice`).
    pub fn resource_name(&self) -> &'a str {
        self.resource
            .rsplit(['/', ':'])
            .next()
            .unwrap_or(self.resource)
    }

    /// Does the account part hold a 12-digit account id?
    pub fn has_account_id(&self) -> bool {
        is_account_id(self.account)
    }
}

/// A 12-digit AWS account id.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// The partition a region belongs to.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("eu-isoe-") {
        "aws-iso-e"
    } else if region.starts_with("us-isof-") {
        "aws-iso-f"
    } else {
        "aws"
    }
}

/// `arn:PARTITION:s3:::BUCKET`: bucket ARNs carry no region or account.
pub fn s3_bucket(region: &str, bucket: &str) -> String {
    format!("arn:{}:s3:::{bucket}", partition(region))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions() {
        assert_eq!(s3_bucket("us-east-1", "b"), "arn:aws:s3:::b");
        assert_eq!(s3_bucket("cn-north-1", "b"), "arn:aws-cn:s3:::b");
        assert_eq!(s3_bucket("us-gov-west-1", "b"), "arn:aws-us-gov:s3:::b");
        assert_eq!(partition("us-iso-east-1"), "aws-iso");
        assert_eq!(partition("us-isob-east-1"), "aws-iso-b");
        assert_eq!(partition("eu-central-1"), "aws");
    }

    #[test]
    fn parsing() {
        let arn = Arn::parse("arn:aws:cloudtrail:eu-west-1:123456789012:trail/org/t").unwrap();
        assert_eq!(
            (arn.partition, arn.service, arn.region, arn.account),
            ("aws", "cloudtrail", "eu-west-1", "123456789012")
        );
        assert_eq!(arn.typed_resource(), Some(("trail", "org/t")));
        assert_eq!(arn.resource_name(), "t");
        assert!(arn.has_account_id());

        let function = Arn::parse("arn:aws:lambda:us-east-1:123456789012:function:f:1").unwrap();
        assert_eq!(function.typed_resource(), Some(("function", "f:1")));
        let bucket = Arn::parse("arn:aws:s3:::data").unwrap();
        assert_eq!((bucket.account, bucket.resource), ("", "data"));
        assert_eq!(bucket.typed_resource(), None);
        assert!(!bucket.has_account_id());

        for bad in [
            "arn:aws:s3:::",
            "arn::s3:::b",
            "arn:aws:s3",
            "urn:aws:s3:::b",
            "",
        ] {
            assert_eq!(Arn::parse(bad), None, "{bad}");
        }
    }
}
