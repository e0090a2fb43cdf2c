//! Partition-aware ARNs: the same code runs in `aws`, `aws-cn` and `aws-us-gov`.

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
}
