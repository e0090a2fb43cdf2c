//! Block Public Access: four flags, raised one by one and never lowered.

use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    pub const ALL_ON: PublicAccessBlock = PublicAccessBlock {
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    };

    /// Every flag that is on here or in `other`: the union never turns a
    /// flag off.
    pub fn raised_to(self, other: PublicAccessBlock) -> PublicAccessBlock {
        PublicAccessBlock {
            block_public_acls: self.block_public_acls || other.block_public_acls,
            ignore_public_acls: self.ignore_public_acls || other.ignore_public_acls,
            block_public_policy: self.block_public_policy || other.block_public_policy,
            restrict_public_buckets: self.restrict_public_buckets || other.restrict_public_buckets,
        }
    }

    /// The API names of the flags that are off.
    pub fn flags_off(self) -> Vec<&'static str> {
        [
            ("BlockPublicAcls", self.block_public_acls),
            ("IgnorePublicAcls", self.ignore_public_acls),
            ("BlockPublicPolicy", self.block_public_policy),
            ("RestrictPublicBuckets", self.restrict_public_buckets),
        ]
        .into_iter()
        .filter_map(|(name, on)| (!on).then_some(name))
        .collect()
    }

    pub fn to_json(self) -> Value {
        json!({
            "BlockPublicAcls": self.block_public_acls,
            "IgnorePublicAcls": self.ignore_public_acls,
            "BlockPublicPolicy": self.block_public_policy,
            "RestrictPublicBuckets": self.restrict_public_buckets,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raising_keeps_every_flag_that_was_on() {
        let partial = PublicAccessBlock {
            block_public_policy: true,
            ..Default::default()
        };
        assert_eq!(
            partial.raised_to(PublicAccessBlock::ALL_ON),
            PublicAccessBlock::ALL_ON
        );
        assert_eq!(
            PublicAccessBlock::ALL_ON.raised_to(PublicAccessBlock::default()),
            PublicAccessBlock::ALL_ON
        );
        assert_eq!(
            partial.flags_off(),
            vec![
                "BlockPublicAcls",
                "IgnorePublicAcls",
                "RestrictPublicBuckets"
            ]
        );
        assert!(PublicAccessBlock::ALL_ON.flags_off().is_empty());
    }
}
