//! What a detector reports: the detector's id, a confidence and a masked
//! sample. These types are shared by [`crate::detect`] (which finds matches)
//! and [`crate::mask`] (which hides them), so neither depends on the other's
//! internals.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Range;
use std::str::FromStr;

/// The detectors Warden knows, with stable ids used in configuration,
/// outcomes, alerts and metric dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[derive(strum::Display, strum::IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
pub enum DetectorId {
    Email,
    AwsAccountId,
    AwsAccessKeyId,
    AwsSecretAccessKey,
    UrlCredentials,
    PrivateKey,
    PaymentCard,
    PhoneNumber,
    AwsSessionCredentials,
}

impl DetectorId {
    pub const ALL: [DetectorId; 9] = [
        DetectorId::Email,
        DetectorId::AwsAccountId,
        DetectorId::AwsAccessKeyId,
        DetectorId::AwsSecretAccessKey,
        DetectorId::UrlCredentials,
        DetectorId::PrivateKey,
        DetectorId::PaymentCard,
        DetectorId::PhoneNumber,
        DetectorId::AwsSessionCredentials,
    ];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The id from its name, ignoring case and surrounding blanks.
    pub fn parse(s: &str) -> Option<Self> {
        named(&Self::ALL, s)
    }

    /// The marker that replaces a tag value under `WARDEN_TAG_ACTION=redact`:
    /// `redacted:` and the id, for example `redacted:email`.
    ///
    /// Made only of characters that S3 and the Tagging API accept in a tag
    /// value (letters, digits, spaces and `+ - = . _ : / @`), so a redaction
    /// is never refused.
    pub fn redaction_marker(self) -> &'static str {
        match self {
            DetectorId::Email => "redacted:email",
            DetectorId::AwsAccountId => "redacted:aws-account-id",
            DetectorId::AwsAccessKeyId => "redacted:aws-access-key-id",
            DetectorId::AwsSecretAccessKey => "redacted:aws-secret-access-key",
            DetectorId::UrlCredentials => "redacted:url-credentials",
            DetectorId::PrivateKey => "redacted:private-key",
            DetectorId::PaymentCard => "redacted:payment-card",
            DetectorId::PhoneNumber => "redacted:phone-number",
            DetectorId::AwsSessionCredentials => "redacted:aws-session-credentials",
        }
    }

    pub(crate) fn bit(self) -> u16 {
        1 << (self as u16)
    }

    /// Overlap precedence: lower wins (the more specific detector).
    pub(crate) fn rank(self) -> u8 {
        match self {
            DetectorId::PrivateKey => 0,
            DetectorId::UrlCredentials => 1,
            DetectorId::AwsSessionCredentials => 2,
            DetectorId::AwsAccessKeyId => 3,
            DetectorId::AwsSecretAccessKey => 4,
            DetectorId::Email => 5,
            DetectorId::PaymentCard => 6,
            DetectorId::AwsAccountId => 7,
            DetectorId::PhoneNumber => 8,
        }
    }
}

/// The one of `variants` whose name is `s`, ignoring case and surrounding
/// blanks: how every setting that names a variant is read.
pub(crate) fn named<T>(variants: &[T], s: &str) -> Option<T>
where
    T: Copy + Into<&'static str>,
{
    let s = s.trim();
    variants
        .iter()
        .copied()
        .find(|v| Into::<&'static str>::into(*v).eq_ignore_ascii_case(s))
}

impl FromStr for DetectorId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or_else(|| s.trim().to_string())
    }
}

/// How sure a detector is that the match is real sensitive data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[derive(strum::Display, strum::IntoStaticStr)]
#[strum(serialize_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One match: safe to log, serialise and send as it is, since it holds only
/// the masked sample and where the match sits in the scanned value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detection {
    pub detector: DetectorId,
    pub confidence: Confidence,
    /// The masked sample, e.g. `j***@e***.com` (see [`crate::mask::mask`]).
    pub masked: String,
    /// Byte range of the match inside the scanned value.
    pub span: Range<usize>,
    /// The match is part of an AWS identifier (an account id inside an ARN,
    /// an AWS service URL or host, or a name AWS generates): reported only
    /// under [`AccountIdsInIdentifiers::Report`], always with
    /// [`Confidence::Low`], for notification rather than remediation.
    /// Serialised only when true.
    ///
    /// [`AccountIdsInIdentifiers::Report`]: crate::detect::AccountIdsInIdentifiers::Report
    #[serde(default, skip_serializing_if = "is_false")]
    pub in_identifier: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl fmt::Display for Detection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}", self.detector, self.confidence)?;
        if self.in_identifier {
            f.write_str(", in an identifier")?;
        }
        write!(f, "): {}", self.masked)
    }
}

/// Evidence for a finding, made only of the detections' masked samples:
/// `email j***@e***.com (high), aws-account-id ********9012 (low, in an
/// identifier)`. Nothing of the scanned value outside the detections is
/// shown, and each detection shows only its mask, so the result is safe for
/// logs, outcomes and alerts. Empty when there are no detections.
pub fn describe(detections: &[Detection]) -> String {
    let mut out = String::new();
    for (i, d) in detections.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(d.detector.as_str());
        out.push(' ');
        out.push_str(&d.masked);
        out.push_str(" (");
        out.push_str(d.confidence.as_str());
        if d.in_identifier {
            out.push_str(", in an identifier");
        }
        out.push(')');
    }
    out
}

/// The distinct detector ids of some detections, in [`DetectorId::ALL`]
/// order: the `detectors` list of a finding.
pub fn detector_ids(detections: &[Detection]) -> Vec<DetectorId> {
    DetectorId::ALL
        .into_iter()
        .filter(|id| detections.iter().any(|d| d.detector == *id))
        .collect()
}
