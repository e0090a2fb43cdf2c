//! Sensitive-data detectors for tag values and free-form fields (Name,
//! Description, Author): pure, allocation-light scanners with no I/O.
//!
//! A [`Detectors`] set scans one `(key, value)` pair and returns every
//! [`Detection`]: which detector fired, how confident it is, the byte span of
//! the match inside the value and a *masked* sample (see [`crate::mask`]).
//! The matched text itself is never stored: `Debug`, `Display` and `Serialize`
//! of every type here only ever show masked samples, so a detection can be
//! logged, put in an outcome or sent in an alert as it is.
//!
//! The key (tag key or field name) is the keyword context that some
//! detectors need. A few detectors also accept a label written just before
//! the match inside the value (`aws_secret_access_key = …`, `tel: …`,
//! `Account ID: …`).
//!
//! | id | matches | needs context | confidence |
//! | --- | --- | --- | --- |
//! | `email` | `local@domain.tld` (letters-only TLD, not a file extension; digits glued to the TLD, as in `jane@example.com2024`, end the address); not URL user-info, not `git@host:repo`, not an ssh login (`ssh [options] user@host`, also `scp`, `sftp`, `mosh`) | no | high |
//! | `aws-account-id` | 12 digits as a whole word (`1234-5678-9012` / `1234 5678 9012` too); not the last group of a UUID. Not a finding when it is part of an AWS identifier (see below) | an account-like key or label (`account`, `acct`), or an owner-like one as AWS APIs name account fields (`owner`, `OwnerId`, `RequesterId`, `registryId`, `payer`, `Principal`…) unless it also names a phone; labels inside JSON count, escaped or not (`\"awsAccountId\":\"…`) | high |
//! | `aws-access-key-id` | `AKIA`/`ASIA` + 16 of `A-Z0-9`, as a whole word | no | high; medium if the 16 are not all base32 (`A-Z2-7`) |
//! | `aws-secret-access-key` | exactly 40 of `A-Za-z0-9/+` as a whole word (not followed by `=`), with upper and lower case, a digit or `/`/`+`, at least 20 distinct characters, not starting with `/` | a key-like key or label, or an access key id in the same value | high for `secret` / `access…key` names; medium for `key`, `token`, `password`, `credential`… or an access key id nearby |
//! | `aws-session-credentials` | a presigned URL's `X-Amz-Signature`, `X-Amz-Credential` (with its scope) and `X-Amz-Security-Token` parameters, a SigV2 `Signature` beside `AWSAccessKeyId`, a session token after `aws_session_token` / `SessionToken` / `X-Amz-Security-Token` (`=`, `:` or JSON), or a bare STS token (100+ base64 characters starting `IQoJb3JpZ2lu`, `FwoGZXIvYXdz`, `AQoDYXdz`…) | no; a session-token key also makes any 40+ character token-like run one | high |
//! | `url-credentials` | `scheme://user:password@host` with a non-empty password, percent-encoded or not (`p%40ss`, `%21secret`) | no | high; low when the password is a placeholder word (`password`, `secret`…); templated or already-masked passwords (`${X}`, `{{x}}`, `<x>`, `%VAR%`, `***`) are not reported |
//! | `private-key` | `-----BEGIN … PRIVATE KEY-----` (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP … BLOCK) up to the `-----END …-----` line or the end of the value, with some key material (a bare header is not reported) | no | high with 16+ base64 characters of body; medium with less |
//! | `payment-card` | 12–19 digits, plain or in groups of 3–6 separated by one space or `-`, Luhn-valid, with a card-network prefix and length (Visa, Mastercard, Amex, Discover, JCB incl. 15-digit `1800`/`2131`, Diners, UnionPay, Maestro at 12–19 digits, Mir, RuPay); 12 digits only for Maestro, with a card keyword | no (12 digits: a card keyword) | high with a card keyword (`card`, `credit`, `payment`, `paid`, `pan`, `cc`, `jcb`, `maestro`…); medium otherwise |
//! | `phone-number` | 7–15 digits, optional `+`, separators ` -.()`, with an optional extension (`x123`, `ext. 123`, `;ext=123`); not a date, IPv4 address or dotted version (dots are fine after a `+`: `+61.3.1234.5678`) | a phone-like key or label (`phone`, `mobile`, `tel`, `cell`, `fax`, `sms`, `whatsapp`, `contact`…) | medium |
//!
//! **Account ids inside AWS identifiers.** An account id that is part of an
//! ARN (any partition: `aws`, `aws-cn`, `aws-us-gov`, `aws-iso*`; the
//! account field or elsewhere, so `aws:cloudformation:stack-id` values
//! too), an AWS service URL or host (`https://sqs.<region>.amazonaws.com/<id>/q`,
//! `<id>.dkr.ecr.<region>.amazonaws.com`, `<id>.signin.aws.amazon.com`), an
//! `AWSLogs/<id>/` path, or a name AWS generates (an AWS prefix such as
//! `aws-`, `cdk-`, `sagemaker-`, `elasticbeanstalk-`, `StackSet-`, or a
//! region beside the id: `cdk-hnb659fds-assets-<id>-us-east-1`,
//! `aws-cloudtrail-logs-<id>-abcd1234`) identifies a resource: it is not a
//! finding. With [`AccountIdsInIdentifiers::Report`] it is reported as
//! `aws-account-id` with [`Detection::in_identifier`] set and
//! [`Confidence::Low`], whatever the key. Either way its digits are never
//! read as a card or a phone number.
//!
//! When matches overlap, the more specific detector wins, in this order:
//! private key, URL credentials, session credentials (so a presigned URL's
//! `X-Amz-Credential` is one finding, not also an access key id), access key
//! id, secret access key, email, (account id inside an identifier), payment
//! card, account id, phone number. Detections are returned in value order
//! and never overlap. The allow-list is applied after overlaps are
//! resolved, so an allowed value also hides what lies inside it.
//!
//! For evidence, [`describe`] (or [`Detectors::evidence`]) shows only the
//! masked detections, never the rest of the value; [`detector_ids`] gives
//! a finding's `detectors` list.

mod account;
mod card;
mod context;
mod email;
mod keys;
mod phone;
mod session;
mod settings;
mod stats;
mod url;

pub use crate::detection::{Confidence, Detection, DetectorId, describe, detector_ids};
pub use settings::{AccountIdsInIdentifiers, AllowList, TagAction, parse_detector_list};

use crate::mask::mask;
use context::Ctx;
use stats::Stats;
use std::cell::Cell;

/// A set of enabled detectors with an allow-list: built once at start-up,
/// then shared by every invocation.
#[derive(Debug, Clone)]
pub struct Detectors {
    enabled: Vec<DetectorId>,
    bits: u16,
    allow: AllowList,
    identifiers: AccountIdsInIdentifiers,
}

impl Default for Detectors {
    fn default() -> Self {
        Self::all()
    }
}

impl Detectors {
    /// The given detectors (duplicates ignored; an empty list detects
    /// nothing) with an allow-list; account ids inside AWS identifiers are
    /// ignored (see [`Self::with_account_ids_in_identifiers`]).
    pub fn new(enabled: Vec<DetectorId>, allow: AllowList) -> Self {
        let mut list = Vec::with_capacity(enabled.len());
        let mut bits = 0;
        for d in enabled {
            if bits & d.bit() == 0 {
                bits |= d.bit();
                list.push(d);
            }
        }
        Self {
            enabled: list,
            bits,
            allow,
            identifiers: AccountIdsInIdentifiers::default(),
        }
    }

    /// Every detector, empty allow-list.
    pub fn all() -> Self {
        Self::new(DetectorId::ALL.to_vec(), AllowList::empty())
    }

    /// The same set, with what to do about account ids that are part of an
    /// AWS identifier (`WARDEN_ACCOUNT_IDS_IN_ARNS`).
    pub fn with_account_ids_in_identifiers(mut self, setting: AccountIdsInIdentifiers) -> Self {
        self.identifiers = setting;
        self
    }

    pub fn account_ids_in_identifiers(&self) -> AccountIdsInIdentifiers {
        self.identifiers
    }

    pub fn enabled(&self) -> &[DetectorId] {
        &self.enabled
    }

    pub fn is_enabled(&self, detector: DetectorId) -> bool {
        self.bits & detector.bit() != 0
    }

    pub fn allow_list(&self) -> &AllowList {
        &self.allow
    }

    /// Scans one value; `key` is the tag key or field name, used as the
    /// keyword context (account ids, secret keys, phone numbers need it).
    /// Returns every detection, in value order, without overlaps.
    pub fn scan(&self, key: &str, value: &str) -> Vec<Detection> {
        let v = value.as_bytes();
        if v.len() < 5 || self.bits == 0 {
            return Vec::new();
        }
        let stats = Stats::of(v);
        let cx = Ctx {
            v,
            key: key.as_bytes(),
            key_hints: Cell::new(None),
        };
        let mut found: Vec<Candidate> = Vec::new();
        let on = |d: DetectorId| self.bits & d.bit() != 0;

        if on(DetectorId::PrivateKey) && stats.dash && v.len() >= 27 {
            keys::scan_private_key(v, &mut found);
        }
        if on(DetectorId::UrlCredentials) && stats.at && stats.colon {
            url::scan_url_credentials(v, &mut found);
        }
        if on(DetectorId::AwsSessionCredentials) && session::may_hold(&cx, &stats) {
            session::scan_session_credentials(&cx, &mut found);
        }
        if on(DetectorId::Email) && stats.at {
            email::scan_email(v, &mut found);
        }
        if on(DetectorId::AwsAccessKeyId) && stats.run20 {
            keys::scan_access_key_id(v, &mut found);
        }
        if on(DetectorId::AwsSecretAccessKey) && stats.run40 {
            keys::scan_secret_key(&cx, &mut found);
        }
        if on(DetectorId::PaymentCard) && stats.digits >= 12 && stats.runs.may_hold_card() {
            card::scan_card(&cx, &mut found);
        }
        if on(DetectorId::AwsAccountId) && stats.runs.may_hold_account() {
            account::scan_account_id(&cx, &mut found);
        }
        if on(DetectorId::PhoneNumber) && stats.digits >= 7 {
            phone::scan_phone(&cx, &mut found);
        }
        if found.is_empty() {
            return Vec::new();
        }

        // Resolve overlaps: the more specific detector, then the earlier match.
        found.sort_unstable_by_key(|c| (c.rank(), c.start, c.end));
        let mut kept = 0;
        for i in 0..found.len() {
            let c = found[i];
            if !found[..kept]
                .iter()
                .any(|k| k.start < c.end && c.start < k.end)
            {
                found[kept] = c;
                kept += 1;
            }
        }
        found.truncate(kept);
        // An account id inside an identifier has claimed its digits (so no
        // card or phone number is read into an ARN); it is reported only when
        // asked for.
        if self.identifiers == AccountIdsInIdentifiers::Ignore {
            found.retain(|c| !c.in_identifier);
        }
        found.sort_unstable_by_key(|c| c.start);
        let mut detections = found_to_detections(value, found, &self.allow);
        crate::mask::mask_copies_in_masks(value, &mut detections);
        detections
    }

    /// Evidence for one tag or field: `tag `Owner` holds email j***@e***.com
    /// (high)`. `what` says what was scanned (`tag`, `field`), `name` is its
    /// key or field name, shown with any detection inside the name itself
    /// masked; the value is shown only through [`describe`] of its
    /// detections, never in part.
    pub fn evidence(&self, what: &str, name: &str, detections: &[Detection]) -> String {
        let name_found = self.scan("", name);
        let name = crate::mask::mask_spans(name, &name_found);
        format!("{what} `{name}` holds {}", describe(detections))
    }
}

fn found_to_detections(value: &str, kept: Vec<Candidate>, allow: &AllowList) -> Vec<Detection> {
    kept.into_iter()
        .filter_map(|c| {
            let matched = value.get(c.start..c.end)?;
            if allow.allows(matched) {
                return None;
            }
            Some(Detection {
                detector: c.detector,
                confidence: c.confidence,
                masked: mask(c.detector, matched),
                span: c.start..c.end,
                in_identifier: c.in_identifier,
            })
        })
        .collect()
}

/// A match before overlap resolution: only positions, never text.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    detector: DetectorId,
    confidence: Confidence,
    start: usize,
    end: usize,
    in_identifier: bool,
}

impl Candidate {
    fn new(detector: DetectorId, confidence: Confidence, start: usize, end: usize) -> Self {
        Self {
            detector,
            confidence,
            start,
            end,
            in_identifier: false,
        }
    }

    /// An account id inside an AWS identifier: low confidence, flagged.
    fn identifier(start: usize, end: usize) -> Self {
        Self {
            in_identifier: true,
            ..Self::new(DetectorId::AwsAccountId, Confidence::Low, start, end)
        }
    }

    /// Overlap precedence, lower wins. An account id inside an identifier
    /// goes just before payment cards: the digits of an ARN's account field
    /// are never a card or a phone number.
    fn rank(&self) -> u8 {
        if self.in_identifier {
            DetectorId::PaymentCard.rank() * 2 - 1
        } else {
            self.detector.rank() * 2
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by fuzzing (fuzz/regressions/detect_mask): an e-mail whose
    /// top-level domain runs into the next address's local part shows that
    /// part in its mask, and the text after it completed the next address
    /// in clear.
    #[test]
    fn no_detected_text_forms_across_a_mask_and_what_follows() {
        let value = "to bob@example.comresourceArnbob@example.co! or bob@example.co.";
        let found = Detectors::all().scan("Notes", value);
        let texts: Vec<&str> = found.iter().map(|d| &value[d.span.clone()]).collect();
        assert_eq!(texts, ["bob@example.comresourceArnbob", "bob@example.co"]);
        let shown = crate::mask::mask_spans(value, &found);
        assert!(!shown.contains("bob@example.co"), "{shown}");
        assert_eq!(
            shown,
            "to b***@e***.comresourceArnb***@e***.co! or b***@e***.co."
        );
    }

    /// Found by fuzzing (fuzz/regressions/detect_mask): a URL whose host
    /// runs straight into the next URL's scheme hid that URL from the
    /// scanner, and its password was shown in clear.
    #[test]
    fn a_url_run_into_the_next_still_has_both_passwords_found() {
        let value = "redis://app:first-Pw1@cache.localredis://app:second-Pw2@cache.two:6379 end";
        let found = Detectors::all().scan("url", value);
        let spans: Vec<(&str, &str)> = found
            .iter()
            .map(|d| (&value[d.span.clone()], d.masked.as_str()))
            .collect();
        assert_eq!(
            spans,
            [
                (
                    "redis://app:first-Pw1@cache.localredis",
                    "redis://***:***@cache.localredis"
                ),
                (
                    "://app:second-Pw2@cache.two:6379",
                    "***://***:***@cache.two:6379"
                ),
            ]
        );
        let shown = crate::mask::mask_spans(value, &found);
        assert_eq!(
            shown,
            "redis://***:***@cache.localredis***://***:***@cache.two:6379 end"
        );
    }

    /// Found by fuzzing (fuzz/regressions/detect_mask): the URL rule shows
    /// its host, and an account id detected later in the value sat in that
    /// host in clear, in the evidence and in the value shown.
    #[test]
    fn no_mask_shows_another_detection_in_clear() {
        let account = "937248786193";
        let value = format!(
            "https://deploy:Hunter2-pass@build-{account}.example.com/x and again {account}"
        );
        let found = Detectors::all().scan("owner", &value);
        let detectors: Vec<DetectorId> = found.iter().map(|d| d.detector).collect();
        assert_eq!(
            detectors,
            [DetectorId::UrlCredentials, DetectorId::AwsAccountId],
            "{found:?}"
        );
        assert_eq!(
            found[0].masked,
            "https://***:***@build-********6193.example.com"
        );
        assert_eq!(found[1].masked, "********6193");
        let shown = crate::mask::mask_spans(&value, &found);
        let evidence = describe(&found);
        for text in [shown.as_str(), evidence.as_str()] {
            assert!(!text.contains(account), "{text}");
            assert!(!text.contains("Hunter2-pass"), "{text}");
        }
    }

    #[test]
    fn detectors_dedupe_and_report_enabled() {
        let d = Detectors::new(
            vec![
                DetectorId::Email,
                DetectorId::Email,
                DetectorId::PhoneNumber,
            ],
            AllowList::empty(),
        );
        assert_eq!(d.enabled(), [DetectorId::Email, DetectorId::PhoneNumber]);
        assert!(d.is_enabled(DetectorId::Email));
        assert!(!d.is_enabled(DetectorId::PaymentCard));
        let none = Detectors::new(Vec::new(), AllowList::empty());
        assert!(none.scan("email", "jane@example.com").is_empty());
    }
}
