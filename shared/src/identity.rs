//! Recognising Warden's own calls, so that a fix never triggers another fix.
//!
//! `WARDEN_SELF_ARN` lists the ARNs of Warden's roles. A call made by a role
//! shows up in CloudTrail in three spellings, and all are matched:
//! the role ARN (`arn:aws:iam::111:role/path/name`), the session issuer
//! (`sessionContext.sessionIssuer.arn`, the same role ARN), and the
//! assumed-role session (`arn:aws:sts::111:assumed-role/name/session`), which
//! drops the role's path.

use crate::arn::Arn;
use crate::event::UserIdentity;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelfArns {
    patterns: Vec<ArnPattern>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct ArnPattern {
    /// Text before a trailing `*`, or the whole ARN.
    text: String,
    prefix: bool,
}

impl ArnPattern {
    fn matches(&self, arn: &str) -> bool {
        if self.prefix {
            arn.starts_with(&self.text)
        } else {
            arn == self.text
        }
    }
}

impl SelfArns {
    /// Parses a comma-separated list; a trailing `*` matches a prefix.
    /// Returns the offending entry when one is not an ARN.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut patterns = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if !entry.starts_with("arn:") {
                return Err(entry.to_string());
            }
            let (text, prefix) = match entry.strip_suffix('*') {
                Some(stem) => (stem, true),
                None => (entry, false),
            };
            if text.contains('*') {
                return Err(entry.to_string());
            }
            patterns.push(ArnPattern {
                text: text.to_string(),
                prefix,
            });
        }
        Ok(Self { patterns })
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The spelling of the caller that matched, if the caller is Warden.
    pub fn matching<'a>(&self, identity: &'a UserIdentity) -> Option<&'a str> {
        let candidates = [
            identity.arn.as_deref(),
            identity.session_issuer_arn.as_deref(),
        ];
        candidates
            .into_iter()
            .flatten()
            .find(|arn| self.matches(arn))
    }

    fn matches(&self, arn: &str) -> bool {
        let as_role = assumed_role_as_role(arn);
        self.patterns.iter().any(|p| {
            p.matches(arn)
                || as_role.as_ref().is_some_and(|(partition, account, name)| {
                    role_pattern_matches_name(p, partition, account, name)
                })
        })
    }
}

/// `arn:P:sts::A:assumed-role/NAME/SESSION` → `(P, A, NAME)`.
fn assumed_role_as_role(arn: &str) -> Option<(&str, &str, &str)> {
    let arn = Arn::parse(arn).filter(|arn| arn.service == "sts")?;
    let (name, _session) = arn
        .resource
        .strip_prefix("assumed-role/")?
        .split_once('/')?;
    Some((arn.partition, arn.account, name))
}

/// Does a role-ARN pattern cover the role called `name`? The session ARN has
/// no path, so the pattern's path is ignored: `role/ops/warden-*` covers a
/// session of `warden-bucket` in the same account and partition.
fn role_pattern_matches_name(
    pattern: &ArnPattern,
    partition: &str,
    account: &str,
    name: &str,
) -> bool {
    let prefix = format!("arn:{partition}:iam::{account}:role/");
    let Some(path_and_name) = pattern.text.strip_prefix(&prefix) else {
        return false;
    };
    let pattern_name = path_and_name.rsplit('/').next().unwrap_or(path_and_name);
    if pattern.prefix {
        // A prefix that ends inside the path (`role/ops/`) covers any name under it.
        path_and_name.ends_with('/') || name.starts_with(pattern_name)
    } else {
        name == pattern_name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(arn: &str, issuer: Option<&str>) -> UserIdentity {
        UserIdentity {
            arn: Some(arn.into()),
            session_issuer_arn: issuer.map(Into::into),
            ..Default::default()
        }
    }

    const ROLE: &str = "arn:aws:iam::123456789012:role/warden-BucketGuardFunctionRole-1A2B";
    const SESSION: &str =
        "arn:aws:sts::123456789012:assumed-role/warden-BucketGuardFunctionRole-1A2B/bucket-guard";

    #[test]
    fn exact_role_matches_all_three_spellings() {
        let me = SelfArns::parse(ROLE).unwrap();
        assert_eq!(me.matching(&identity(ROLE, None)), Some(ROLE));
        assert_eq!(me.matching(&identity(SESSION, None)), Some(SESSION));
        assert_eq!(
            me.matching(&identity(
                "arn:aws:sts::123456789012:assumed-role/other/x",
                Some(ROLE)
            )),
            Some(ROLE)
        );
    }

    #[test]
    fn prefix_patterns() {
        let me = SelfArns::parse(
            " arn:aws:iam::123456789012:role/warden-* ,arn:aws:iam::123456789012:role/ops/",
        )
        .unwrap();
        assert!(me.matching(&identity(SESSION, None)).is_some());
        assert!(
            me.matching(&identity("arn:aws:iam::123456789012:role/wardenX", None))
                .is_none()
        );
        assert!(
            me.matching(&identity(
                "arn:aws:iam::123456789012:user/warden-alice",
                None
            ))
            .is_none()
        );
    }

    #[test]
    fn path_is_ignored_for_sessions_only() {
        let me = SelfArns::parse("arn:aws:iam::123456789012:role/security/warden").unwrap();
        assert!(
            me.matching(&identity(
                "arn:aws:sts::123456789012:assumed-role/warden/s",
                None
            ))
            .is_some()
        );
        assert!(
            me.matching(&identity("arn:aws:iam::123456789012:role/warden", None))
                .is_none()
        );
        let prefixed = SelfArns::parse("arn:aws:iam::123456789012:role/security/*").unwrap();
        assert!(
            prefixed
                .matching(&identity(
                    "arn:aws:sts::123456789012:assumed-role/anything/s",
                    None
                ))
                .is_some()
        );
    }

    #[test]
    fn other_accounts_partitions_and_users_do_not_match() {
        let me = SelfArns::parse(ROLE).unwrap();
        for arn in [
            "arn:aws:sts::999999999999:assumed-role/warden-BucketGuardFunctionRole-1A2B/bucket-guard",
            "arn:aws-cn:sts::123456789012:assumed-role/warden-BucketGuardFunctionRole-1A2B/bucket-guard",
            "arn:aws:sts::123456789012:assumed-role/warden-BucketGuardFunctionRole-1A2BC/bucket-guard",
            "arn:aws:iam::123456789012:user/alice",
        ] {
            assert_eq!(me.matching(&identity(arn, None)), None, "{arn}");
        }
        assert_eq!(SelfArns::default().matching(&identity(ROLE, None)), None);
    }

    #[test]
    fn rejects_non_arns_and_inner_wildcards() {
        assert_eq!(SelfArns::parse("warden-role").unwrap_err(), "warden-role");
        assert_eq!(
            SelfArns::parse("arn:aws:iam::*:role/x").unwrap_err(),
            "arn:aws:iam::*:role/x"
        );
        assert!(SelfArns::parse("").unwrap().is_empty());
    }
}
