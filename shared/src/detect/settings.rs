//! The detectors' settings: which detectors run, the tag action and the
//! allow-list of known-safe values.

use super::context::is_domain;
use crate::detection::{DetectorId, named};
use serde::{Deserialize, Serialize};
use strum::VariantArray;

/// (`WARDEN_TAG_ACTION`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[derive(strum::Display, strum::IntoStaticStr, strum::VariantArray)]
#[strum(serialize_all = "lowercase")]
pub enum TagAction {
    /// Replace the value with the detector's marker, e.g. `[redacted:email]`.
    #[default]
    Redact,
    /// Remove the tag.
    Remove,
}

impl TagAction {
    /// Every action, for crates without `strum`'s trait in scope.
    pub const ALL: &'static [Self] = Self::VARIANTS;

    /// `redact` or `remove`, ignoring case and surrounding blanks.
    pub fn parse(s: &str) -> Option<Self> {
        named(Self::VARIANTS, s)
    }
}

/// What the `aws-account-id` detector does with an account id that is part
/// of an AWS identifier: the account field of an ARN (any partition), an AWS
/// service URL or host (`https://sqs.<region>.amazonaws.com/<id>/queue`,
/// `<id>.dkr.ecr.<region>.amazonaws.com`), or a resource name that AWS
/// generates with the account inside (`cdk-hnb659fds-assets-<id>-<region>`,
/// `aws-cloudtrail-logs-<id>-<suffix>`, `AWSLogs/<id>/`).
///
/// Such an id identifies a resource; it is not a leak. tag-guard maps
/// `WARDEN_ACCOUNT_IDS_IN_ARNS` to it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[derive(strum::Display, strum::IntoStaticStr, strum::VariantArray)]
#[strum(serialize_all = "lowercase")]
pub enum AccountIdsInIdentifiers {
    /// Not a finding (the default).
    #[default]
    Ignore,
    /// Reported as a distinct detection: [`Detection::in_identifier`] set and
    /// [`Confidence::Low`](crate::detection::Confidence::Low).
    ///
    /// [`Detection::in_identifier`]: crate::detection::Detection::in_identifier
    Report,
}

impl AccountIdsInIdentifiers {
    /// Every choice, for crates without `strum`'s trait in scope.
    pub const ALL: &'static [Self] = Self::VARIANTS;

    /// `ignore` or `report`, ignoring case and surrounding blanks.
    pub fn parse(s: &str) -> Option<Self> {
        named(Self::VARIANTS, s)
    }
}

/// Parses `WARDEN_DETECTORS`: comma-separated ids (any case, blanks ignored,
/// duplicates dropped); empty, blank or `all` means every detector. Returns
/// the offending entry on error.
pub fn parse_detector_list(list: &str) -> Result<Vec<DetectorId>, String> {
    let list = list.trim();
    if list.is_empty() || list.eq_ignore_ascii_case("all") {
        return Ok(DetectorId::ALL.to_vec());
    }
    let mut out = Vec::new();
    for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let id = DetectorId::parse(entry).ok_or_else(|| entry.to_string())?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    if out.is_empty() {
        // Only commas: almost certainly a templating mistake, not "none".
        return Err(list.to_string());
    }
    Ok(out)
}

/// Known-safe values that are never reported (`WARDEN_ALLOW`).
///
/// Entries are comma-separated:
/// - `@example.com` (or `*@example.com`): any email address at
///   `example.com` **or any of its subdomains** (`a@mail.example.com`).
///   Domain entries apply to emails only, never to credentials in URLs.
/// - anything else: that exact value. Emails compare case-insensitively;
///   numbers (account ids, cards, phones) compare by their digits, so
///   `123456789012` also allows `1234-5678-9012`; other values compare
///   exactly.
///
/// The allow-list holds configuration, not findings, so its `Debug` shows the
/// entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    /// Lower-case domains, without the `@`.
    domains: Vec<String>,
    /// Canonical values (see [`canonical`]).
    values: Vec<String>,
}

impl AllowList {
    /// An allow-list that allows nothing.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Parses a comma-separated list; blank entries are ignored. Returns the
    /// offending entry: a domain entry that is not a dotted domain name, or
    /// an entry with control characters.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut allow = Self::default();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if entry.chars().any(char::is_control) {
                return Err(entry.to_string());
            }
            let domain = entry.strip_prefix("*@").or_else(|| entry.strip_prefix('@'));
            match domain {
                Some(domain) => {
                    if !is_domain(domain.as_bytes()) {
                        return Err(entry.to_string());
                    }
                    allow.domains.push(domain.to_ascii_lowercase());
                }
                None => allow.values.push(canonical(entry)),
            }
        }
        Ok(allow)
    }

    pub fn is_empty(&self) -> bool {
        self.domains.is_empty() && self.values.is_empty()
    }

    /// Whether a matched value is allowed (never reported).
    pub fn allows(&self, matched: &str) -> bool {
        if self.is_empty() {
            return false;
        }
        let matched = matched.trim();
        if !self.domains.is_empty()
            && is_email_shaped(matched)
            && let Some((_, domain)) = matched.rsplit_once('@')
        {
            let domain = domain.as_bytes();
            let allowed = self.domains.iter().any(|d| {
                let d = d.as_bytes();
                domain.eq_ignore_ascii_case(d)
                    || (domain.len() > d.len()
                        && domain[domain.len() - d.len() - 1] == b'.'
                        && domain[domain.len() - d.len()..].eq_ignore_ascii_case(d))
            });
            if allowed {
                return true;
            }
        }
        !self.values.is_empty() && {
            let c = canonical(matched);
            self.values.contains(&c)
        }
    }
}

fn is_email_shaped(s: &str) -> bool {
    s.contains('@') && !s.contains("://") && !s.bytes().any(|b| b.is_ascii_whitespace())
}

/// The form values are compared in: emails in lower case; numbers (digits
/// with `+ -.()` and blanks, at least 7 digits) as their digits; anything
/// else as it is.
fn canonical(s: &str) -> String {
    let s = s.trim();
    if is_email_shaped(s) {
        return s.to_ascii_lowercase();
    }
    let numeric = s
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b' ' | b'-' | b'.' | b'(' | b')' | b'+'));
    if numeric && s.bytes().filter(u8::is_ascii_digit).count() >= 7 {
        return s.chars().filter(char::is_ascii_digit).collect();
    }
    s.to_string()
}
