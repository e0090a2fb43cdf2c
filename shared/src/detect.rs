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
//! | `email` | `local@domain.tld` (letters-only TLD, not a file extension); not URL user-info, not `git@host:repo` / `ssh user@host` | no | high |
//! | `aws-account-id` | 12 digits as a whole word (`1234-5678-9012` / `1234 5678 9012` too, with a keyword); not the last group of a UUID | an account-like key or label (`account`, `acct`), or ARN-like context: the account field of an `arn:aws…` ARN, `<id>.dkr.ecr.`, `amazonaws.com/<id>/` | high |
//! | `aws-access-key-id` | `AKIA`/`ASIA` + 16 of `A-Z0-9`, as a whole word | no | high; medium if the 16 are not all base32 (`A-Z2-7`) |
//! | `aws-secret-access-key` | exactly 40 of `A-Za-z0-9/+` as a whole word (not followed by `=`), with upper and lower case, a digit or `/`/`+`, at least 20 distinct characters, not starting with `/` | a key-like key or label, or an access key id in the same value | high for `secret` / `access…key` names; medium for `key`, `token`, `password`, `credential`… or an access key id nearby |
//! | `url-credentials` | `scheme://user:password@host` with a non-empty password | no | high; low when the password is a placeholder word (`password`, `secret`…); templated or already-masked passwords (`${X}`, `{{x}}`, `<x>`, `***`) are not reported |
//! | `private-key` | `-----BEGIN … PRIVATE KEY-----` (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP … BLOCK) up to the `-----END …-----` line or the end of the value, with some key material (a bare header is not reported) | no | high with 16+ base64 characters of body; medium with less |
//! | `payment-card` | 13–19 digits, plain or in groups of 3–6 separated by one space or `-`, Luhn-valid, with a card-network prefix (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro, Mir, RuPay) | no | high with a card keyword (`card`, `credit`, `payment`, `pan`, `cc`…); medium otherwise |
//! | `phone-number` | 7–15 digits, optional `+`, separators ` -.()`; not a date, IPv4 address or dotted version | a phone-like key or label (`phone`, `mobile`, `tel`, `cell`, `fax`, `sms`, `whatsapp`, `contact`…) | medium |
//!
//! When matches overlap, the more specific detector wins, in this order:
//! private key, URL credentials, access key id, secret access key, email,
//! payment card, account id, phone number. Detections are returned in value
//! order and never overlap. The allow-list is applied after overlaps are
//! resolved, so an allowed value also hides what lies inside it.

use crate::mask::mask;
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::fmt;
use std::ops::Range;
use std::str::FromStr;

/// The detectors Warden knows, with stable ids used in configuration,
/// outcomes, alerts and metric dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DetectorId {
    Email,
    AwsAccountId,
    AwsAccessKeyId,
    AwsSecretAccessKey,
    UrlCredentials,
    PrivateKey,
    PaymentCard,
    PhoneNumber,
}

impl DetectorId {
    pub const ALL: [DetectorId; 8] = [
        DetectorId::Email,
        DetectorId::AwsAccountId,
        DetectorId::AwsAccessKeyId,
        DetectorId::AwsSecretAccessKey,
        DetectorId::UrlCredentials,
        DetectorId::PrivateKey,
        DetectorId::PaymentCard,
        DetectorId::PhoneNumber,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DetectorId::Email => "email",
            DetectorId::AwsAccountId => "aws-account-id",
            DetectorId::AwsAccessKeyId => "aws-access-key-id",
            DetectorId::AwsSecretAccessKey => "aws-secret-access-key",
            DetectorId::UrlCredentials => "url-credentials",
            DetectorId::PrivateKey => "private-key",
            DetectorId::PaymentCard => "payment-card",
            DetectorId::PhoneNumber => "phone-number",
        }
    }

    /// The id from its name, ignoring case and surrounding blanks.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(s))
    }

    /// The marker that replaces a tag value under `WARDEN_TAG_ACTION=redact`,
    /// for example `[redacted:email]`.
    pub fn redaction_marker(self) -> &'static str {
        match self {
            DetectorId::Email => "[redacted:email]",
            DetectorId::AwsAccountId => "[redacted:aws-account-id]",
            DetectorId::AwsAccessKeyId => "[redacted:aws-access-key-id]",
            DetectorId::AwsSecretAccessKey => "[redacted:aws-secret-access-key]",
            DetectorId::UrlCredentials => "[redacted:url-credentials]",
            DetectorId::PrivateKey => "[redacted:private-key]",
            DetectorId::PaymentCard => "[redacted:payment-card]",
            DetectorId::PhoneNumber => "[redacted:phone-number]",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }

    /// Overlap precedence: lower wins (the more specific detector).
    fn rank(self) -> u8 {
        match self {
            DetectorId::PrivateKey => 0,
            DetectorId::UrlCredentials => 1,
            DetectorId::AwsAccessKeyId => 2,
            DetectorId::AwsSecretAccessKey => 3,
            DetectorId::Email => 4,
            DetectorId::PaymentCard => 5,
            DetectorId::AwsAccountId => 6,
            DetectorId::PhoneNumber => 7,
        }
    }
}

impl fmt::Display for DetectorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
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
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
}

impl fmt::Display for Detection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.detector, self.confidence, self.masked
        )
    }
}

/// What tag-guard does with a tag whose value holds a detection
/// (`WARDEN_TAG_ACTION`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TagAction {
    /// Replace the value with the detector's marker, e.g. `[redacted:email]`.
    #[default]
    Redact,
    /// Remove the tag.
    Remove,
}

impl TagAction {
    pub const ALL: [TagAction; 2] = [TagAction::Redact, TagAction::Remove];

    pub fn as_str(self) -> &'static str {
        match self {
            TagAction::Redact => "redact",
            TagAction::Remove => "remove",
        }
    }

    /// `redact` or `remove`, ignoring case and surrounding blanks.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for TagAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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

/// A set of enabled detectors with an allow-list: built once at start-up,
/// then shared by every invocation.
#[derive(Debug, Clone)]
pub struct Detectors {
    enabled: Vec<DetectorId>,
    bits: u16,
    allow: AllowList,
}

impl Default for Detectors {
    fn default() -> Self {
        Self::all()
    }
}

impl Detectors {
    /// The given detectors (duplicates ignored; an empty list detects
    /// nothing) with an allow-list.
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
        }
    }

    /// Every detector, empty allow-list.
    pub fn all() -> Self {
        Self::new(DetectorId::ALL.to_vec(), AllowList::empty())
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
            scan_private_key(v, &mut found);
        }
        if on(DetectorId::UrlCredentials) && stats.at && stats.colon {
            scan_url_credentials(v, &mut found);
        }
        if on(DetectorId::Email) && stats.at {
            scan_email(v, &mut found);
        }
        if on(DetectorId::AwsAccessKeyId) && stats.run20 {
            scan_access_key_id(v, &mut found);
        }
        if on(DetectorId::AwsSecretAccessKey) && stats.run40 {
            scan_secret_key(&cx, &mut found);
        }
        if on(DetectorId::PaymentCard) && stats.digits >= 13 && stats.runs.may_hold_card() {
            scan_card(&cx, &mut found);
        }
        if on(DetectorId::AwsAccountId) && stats.runs.may_hold_account() {
            scan_account_id(&cx, &mut found);
        }
        if on(DetectorId::PhoneNumber) && stats.digits >= 7 {
            scan_phone(&cx, &mut found);
        }
        if found.is_empty() {
            return Vec::new();
        }

        // Resolve overlaps: the more specific detector, then the earlier match.
        found.sort_unstable_by_key(|c| (c.detector.rank(), c.start, c.end));
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
        found.sort_unstable_by_key(|c| c.start);
        found_to_detections(value, found, &self.allow)
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
}

impl Candidate {
    fn new(detector: DetectorId, confidence: Confidence, start: usize, end: usize) -> Self {
        Self {
            detector,
            confidence,
            start,
            end,
        }
    }
}

/// What one pass over the value tells the scanners, so most of them can
/// skip a value without looking at it.
struct Stats {
    digits: usize,
    at: bool,
    colon: bool,
    dash: bool,
    /// A run of exactly 40 base64 characters exists (a secret key's shape).
    run40: bool,
    /// A run of exactly 20 letters and digits exists (an access key id's).
    run20: bool,
    runs: DigitRuns,
}

/// The shapes of the value's runs of digits, enough to tell whether a card
/// number or an account id can be in it at all.
#[derive(Default)]
struct DigitRuns {
    /// A run of exactly 12 (a bare account id).
    twelve: bool,
    /// A run of 13 or more (an ungrouped card number).
    long: bool,
    /// Runs of 3 to 6 (groups of a card number).
    groups: u32,
    /// Runs of exactly 4 (groups of `1234-5678-9012`).
    fours: u32,
}

impl DigitRuns {
    fn end(&mut self, len: usize) {
        match len {
            12 => self.twelve = true,
            13.. => self.long = true,
            3..=6 => {
                self.groups += 1;
                self.fours += u32::from(len == 4);
            }
            _ => {}
        }
    }

    fn may_hold_card(&self) -> bool {
        self.long || self.groups >= 3
    }

    fn may_hold_account(&self) -> bool {
        self.twelve || self.fours >= 3
    }
}

const C_B64: u8 = 1;
const C_ALNUM: u8 = 2;
const C_DIGIT: u8 = 4;
const C_AT: u8 = 8;
const C_COLON: u8 = 16;
const C_DASH: u8 = 32;

/// Character classes for the [`Stats`] pass.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c.is_ascii_digit() {
            C_B64 | C_ALNUM | C_DIGIT
        } else if c.is_ascii_alphabetic() {
            C_B64 | C_ALNUM
        } else {
            match c {
                b'+' | b'/' => C_B64,
                b'@' => C_AT,
                b':' => C_COLON,
                b'-' => C_DASH,
                _ => 0,
            }
        };
        b += 1;
    }
    t
};

impl Stats {
    /// One branch-light pass over the value.
    fn of(v: &[u8]) -> Self {
        let (mut flags, mut digits) = (0u8, 0usize);
        let (mut alnum, mut b64, mut run) = (0usize, 0usize, 0usize);
        let (mut run20, mut run40) = (false, false);
        let mut runs = DigitRuns::default();
        for &b in v {
            let c = CLASS[usize::from(b)];
            flags |= c;
            if c & C_DIGIT != 0 {
                digits += 1;
                run += 1;
            } else if run > 0 {
                runs.end(run);
                run = 0;
            }
            run20 |= c & C_ALNUM == 0 && alnum == 20;
            alnum = if c & C_ALNUM != 0 { alnum + 1 } else { 0 };
            run40 |= c & C_B64 == 0 && b64 == 40;
            b64 = if c & C_B64 != 0 { b64 + 1 } else { 0 };
        }
        if run > 0 {
            runs.end(run);
        }
        Stats {
            digits,
            at: flags & C_AT != 0,
            colon: flags & C_COLON != 0,
            dash: flags & C_DASH != 0,
            run40: run40 || b64 == 40,
            run20: run20 || alnum == 20,
            runs,
        }
    }
}

/// The value and its key, with the key's keyword hints computed on first use.
struct Ctx<'a> {
    v: &'a [u8],
    key: &'a [u8],
    key_hints: Cell<Option<Hints>>,
}

impl Ctx<'_> {
    fn key_hints(&self) -> Hints {
        if let Some(h) = self.key_hints.get() {
            return h;
        }
        let h = Hints::of(self.key);
        self.key_hints.set(Some(h));
        h
    }

    /// The key's hints merged with those of a label just before `start`.
    fn hints_at(&self, start: usize) -> Hints {
        self.key_hints().or(label_hints(self.v, start))
    }
}

/// What a key, field name or in-value label suggests the value holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Hints {
    account: bool,
    /// `High` for `secret` / `access … key` names, `Medium` for other
    /// key-like names.
    secret: Option<Confidence>,
    phone: bool,
    card: bool,
}

impl Hints {
    /// One pass over the lower-cased name: keywords are matched anywhere
    /// (`awsaccountid`, `SecretKey`), short ones only as whole words (`tel`,
    /// `cc`, `key`) so that `hotel` or `monkey` suggest nothing.
    fn of(name: &[u8]) -> Self {
        let n = name.len().min(128);
        if n == 0 {
            return Self::default();
        }
        let mut buf = [0u8; 128];
        for (d, s) in buf.iter_mut().zip(&name[..n]) {
            *d = s.to_ascii_lowercase();
        }
        let low = &buf[..n];
        let (mut account, mut strong, mut access, mut key, mut weak, mut public) =
            (false, false, false, false, false, false);
        let (mut phone, mut card) = (false, false);
        for i in 0..n {
            let r = &low[i..];
            let at = |w: &[u8]| r.starts_with(w);
            match r[0] {
                b'a' => {
                    account |= at(b"account") || at(b"acct");
                    access |= at(b"access");
                    weak |= at(b"apikey");
                    card |= at(b"amex");
                }
                b'c' => {
                    weak |= at(b"credential");
                    phone |= at(b"contact");
                    card |= at(b"card") || at(b"credit");
                }
                b'd' => card |= at(b"debit"),
                b'k' => key |= at(b"key"),
                b'm' => {
                    phone |= at(b"mobile") || at(b"msisdn");
                    card |= at(b"mastercard");
                }
                b'p' => {
                    weak |= at(b"passwd") || at(b"password") || at(b"passphrase");
                    public |= at(b"public");
                    phone |= at(b"phone");
                    card |= at(b"payment");
                }
                b's' => strong |= at(b"secret"),
                b't' => weak |= at(b"token"),
                b'v' => card |= at(b"visa"),
                b'w' => phone |= at(b"whatsapp"),
                _ => {}
            }
        }
        any_word(name, |w| {
            let is = |x: &[u8]| w.eq_ignore_ascii_case(x);
            match w.len() {
                2 => card |= is(b"cc"),
                3 => {
                    weak |= is(b"key") || is(b"pwd");
                    phone |= is(b"tel") || is(b"fax") || is(b"sms") || is(b"mob");
                    card |= is(b"ccn") || is(b"pan");
                }
                4 => {
                    weak |= is(b"pass") || is(b"auth");
                    phone |= is(b"cell") || is(b"call");
                }
                _ => {}
            }
            false
        });
        let secret = if public {
            None
        } else if strong || (access && key) {
            Some(Confidence::High)
        } else if weak {
            Some(Confidence::Medium)
        } else {
            None
        };
        Self {
            account,
            secret,
            phone,
            card,
        }
    }

    fn or(self, other: Hints) -> Hints {
        Hints {
            account: self.account || other.account,
            secret: self.secret.max(other.secret),
            phone: self.phone || other.phone,
            card: self.card || other.card,
        }
    }
}

/// Hints from a label written just before `start` in the value, as in
/// `aws_secret_access_key = …`, `Account ID: …`, `tel:+44…`: up to four
/// separator bytes (` =:"'#`), then up to 40 bytes of words.
fn label_hints(v: &[u8], start: usize) -> Hints {
    let mut i = start;
    let mut skipped = 0;
    while i > 0
        && skipped < 4
        && matches!(v[i - 1], b' ' | b'\t' | b'=' | b':' | b'"' | b'\'' | b'#')
    {
        i -= 1;
        skipped += 1;
    }
    let end = i;
    while i > 0
        && end - i < 40
        && (v[i - 1].is_ascii_alphanumeric() || matches!(v[i - 1], b'_' | b'-' | b' '))
    {
        i -= 1;
    }
    if i == end {
        return Hints::default();
    }
    Hints::of(&v[i..end])
}

/// Calls `f` on each word of a name: split at anything not alphanumeric, at
/// camelCase humps (`AWSAccountId` → `AWS`, `Account`, `Id`) and between
/// letters and digits. Returns whether `f` returned true for any word.
fn any_word(s: &[u8], mut f: impl FnMut(&[u8]) -> bool) -> bool {
    let n = s.len();
    let mut i = 0;
    while i < n {
        while i < n && !s[i].is_ascii_alphanumeric() {
            i += 1;
        }
        if i >= n {
            break;
        }
        let start = i;
        i += 1;
        while i < n && s[i].is_ascii_alphanumeric() {
            let (p, c) = (s[i - 1], s[i]);
            let hump = (p.is_ascii_lowercase() && c.is_ascii_uppercase())
                || (p.is_ascii_uppercase()
                    && c.is_ascii_uppercase()
                    && i + 1 < n
                    && s[i + 1].is_ascii_lowercase())
                || (p.is_ascii_digit() != c.is_ascii_digit());
            if hump {
                break;
            }
            i += 1;
        }
        if f(&s[start..i]) {
            return true;
        }
    }
    false
}

/// The first `needle` in `hay` at or after `from`.
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let last = hay.len().checked_sub(needle.len())?;
    let mut i = from;
    while i <= last {
        i += hay[i..=last].iter().position(|&b| b == needle[0])?;
        if hay[i..].starts_with(needle) {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

fn alnum_at(v: &[u8], i: usize) -> bool {
    v.get(i).is_some_and(u8::is_ascii_alphanumeric)
}

/// A dotted domain name: at least two labels of `A-Za-z0-9-` (1–63 bytes,
/// no leading or trailing `-`), the last one letters only (2+).
fn is_domain(d: &[u8]) -> bool {
    if d.is_empty() || d.len() > 253 {
        return false;
    }
    let mut labels = 0;
    let mut last: &[u8] = &[];
    for label in d.split(|&b| b == b'.') {
        if label.is_empty()
            || label.len() > 63
            || label[0] == b'-'
            || label[label.len() - 1] == b'-'
            || !label
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        {
            return false;
        }
        labels += 1;
        last = label;
    }
    labels >= 2 && last.len() >= 2 && last.iter().all(u8::is_ascii_alphabetic)
}

// ---------------------------------------------------------------------------
// Email

/// Extensions that make `name@2x.png` a file name, not an address (none of
/// them is a real top-level domain).
const FILE_EXTENSIONS: [&[u8]; 24] = [
    b"png", b"jpg", b"jpeg", b"gif", b"svg", b"webp", b"bmp", b"ico", b"pdf", b"txt", b"json",
    b"yaml", b"yml", b"toml", b"csv", b"tgz", b"gz", b"bz2", b"xz", b"js", b"ts", b"css", b"html",
    b"lock",
];

fn is_local_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn scan_email(v: &[u8], out: &mut Vec<Candidate>) {
    let n = v.len();
    let mut floor = 0; // no match may start before the end of the previous one
    let mut at = 0;
    while let Some(pos) = v[at..].iter().position(|&b| b == b'@') {
        at += pos;
        let next = at + 1;
        if let Some(end) = email_at(v, at, floor) {
            out.push(Candidate::new(
                DetectorId::Email,
                Confidence::High,
                end.0,
                end.1,
            ));
            floor = end.1;
            at = end.1;
        } else {
            at = next;
        }
        if at >= n {
            break;
        }
    }
}

/// The span of an email address around the `@` at `at`, if it is one.
fn email_at(v: &[u8], at: usize, floor: usize) -> Option<(usize, usize)> {
    let n = v.len();
    let mut s = at;
    while s > floor && is_local_char(v[s - 1]) {
        s -= 1;
    }
    while s < at && matches!(v[s], b'.' | b'-' | b'+') {
        s += 1;
    }
    if s == at || at - s > 64 || v[at - 1] == b'.' {
        return None;
    }
    let mut e = at + 1;
    while e < n && (v[e].is_ascii_alphanumeric() || matches!(v[e], b'.' | b'-')) {
        e += 1;
    }
    while e > at + 1 && matches!(v[e - 1], b'.' | b'-') {
        e -= 1;
    }
    let domain = &v[at + 1..e];
    if !is_domain(domain) {
        return None;
    }
    let tld = &domain[domain.iter().rposition(|&b| b == b'.')? + 1..];
    if FILE_EXTENSIONS.iter().any(|x| tld.eq_ignore_ascii_case(x)) {
        return None;
    }
    // `git@github.com:org/repo.git`: an scp-style SSH remote.
    if v.get(e) == Some(&b':') && v.get(e + 1).is_some_and(|b| !b.is_ascii_whitespace()) {
        return None;
    }
    // `ssh deploy@bastion.example.com`: a login, not an address.
    let before = &v[..s];
    let before = before.strip_suffix(b" ").unwrap_or(before);
    if before.len() >= 3 && before[before.len() - 3..].eq_ignore_ascii_case(b"ssh") {
        return None;
    }
    // `https://user@host`: URL user-info (credentials are their own detector).
    if in_url_authority(v, s) {
        return None;
    }
    Some((s, e))
}

/// Whether position `i` is inside the authority of a URL: `://` occurs
/// earlier in the same blank-free token, with no `/` in between.
fn in_url_authority(v: &[u8], i: usize) -> bool {
    let mut j = i;
    while j > 0 && !v[j - 1].is_ascii_whitespace() {
        j -= 1;
        if v[j] == b'/' {
            return j >= 2 && v[j - 1] == b'/' && v[j - 2] == b':';
        }
    }
    false
}

// ---------------------------------------------------------------------------
// URL credentials

fn scan_url_credentials(v: &[u8], out: &mut Vec<Candidate>) {
    let n = v.len();
    let mut from = 0;
    while let Some(sep) = find(v, b"://", from) {
        from = sep + 3;
        let mut s = sep;
        while s > 0 && (v[s - 1].is_ascii_alphanumeric() || matches!(v[s - 1], b'+' | b'.' | b'-'))
        {
            s -= 1;
        }
        while s < sep && !v[s].is_ascii_alphabetic() {
            s += 1;
        }
        if s == sep {
            continue;
        }
        let a = sep + 3;
        let mut e = a;
        while e < n
            && !v[e].is_ascii_whitespace()
            && !matches!(v[e], b'/' | b'?' | b'#' | b'"' | b'\'' | b'<' | b'>' | b'`')
        {
            e += 1;
        }
        let Some(at) = v[a..e].iter().rposition(|&b| b == b'@').map(|p| p + a) else {
            continue;
        };
        let Some(colon) = v[a..at].iter().position(|&b| b == b':').map(|p| p + a) else {
            continue;
        };
        // Trailing punctuation belongs to the sentence, not the host.
        while e > at + 1 && matches!(v[e - 1], b'.' | b',' | b';' | b')' | b'!') {
            e -= 1;
        }
        let host = &v[at + 1..e];
        let host_ok = !host.is_empty()
            && (host[0].is_ascii_alphanumeric() || host[0] == b'[')
            && host.iter().all(|&b| {
                b.is_ascii_alphanumeric()
                    || matches!(b, b'.' | b'-' | b'_' | b':' | b'[' | b']' | b'%')
            });
        if !host_ok {
            continue;
        }
        let Some(confidence) = password_confidence(&v[colon + 1..at]) else {
            continue;
        };
        out.push(Candidate::new(DetectorId::UrlCredentials, confidence, s, e));
        from = e;
    }
}

/// `None` for an empty, templated or already-masked password; `Low` for a
/// placeholder word; `High` otherwise.
fn password_confidence(p: &[u8]) -> Option<Confidence> {
    let templated = p.is_empty()
        || matches!(p[0], b'$' | b'{' | b'<' | b'%')
        || p.iter()
            .all(|&b| matches!(b, b'*' | b'x' | b'X' | b'.' | b'#'));
    if templated {
        return None;
    }
    let placeholder = [&b"password"[..], b"pass", b"passwd", b"pwd", b"secret"]
        .iter()
        .any(|w| p.eq_ignore_ascii_case(w));
    Some(if placeholder {
        Confidence::Low
    } else {
        Confidence::High
    })
}

// ---------------------------------------------------------------------------
// Private keys

/// The end of a `-----BEGIN … PRIVATE KEY-----` header starting at `s`.
pub(crate) fn private_key_header_end(v: &[u8], s: usize) -> Option<usize> {
    let rest = v.get(s..)?;
    let label = rest.strip_prefix(b"-----BEGIN ")?;
    let close = find(label, b"-----", 0)?;
    let kind = &label[..close];
    let ok = kind.len() <= 40
        && kind
            .iter()
            .all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ')
        && (kind.ends_with(b"PRIVATE KEY") || kind.ends_with(b"PRIVATE KEY BLOCK"));
    ok.then_some(s + 11 + close + 5)
}

fn scan_private_key(v: &[u8], out: &mut Vec<Candidate>) {
    let mut from = 0;
    while let Some(s) = find(v, b"-----BEGIN ", from) {
        from = s + 11;
        let Some(h) = private_key_header_end(v, s) else {
            continue;
        };
        let (body_end, end) = match find(v, b"-----END ", h) {
            Some(e) => {
                let close = find(v, b"-----", e + 9).map_or(v.len(), |c| c + 5);
                (e, close)
            }
            None => {
                let mut e = v.len();
                while e > h && v[e - 1].is_ascii_whitespace() {
                    e -= 1;
                }
                (e, e)
            }
        };
        // A header with no key material (documentation, a placeholder) is
        // not a key.
        let body = v[h..body_end].iter().filter(|&&b| is_b64(b)).count();
        let confidence = match body {
            0 => continue,
            1..16 => Confidence::Medium,
            _ => Confidence::High,
        };
        out.push(Candidate::new(DetectorId::PrivateKey, confidence, s, end));
        from = end;
    }
}

// ---------------------------------------------------------------------------
// AWS access key ids

fn scan_access_key_id(v: &[u8], out: &mut Vec<Candidate>) {
    let mut i = 0;
    while i + 20 <= v.len() {
        if let Some(confidence) = access_key_at(v, i) {
            out.push(Candidate::new(
                DetectorId::AwsAccessKeyId,
                confidence,
                i,
                i + 20,
            ));
            i += 20;
        } else {
            i += 1;
        }
    }
}

fn access_key_at(v: &[u8], i: usize) -> Option<Confidence> {
    let w = v.get(i..i + 20)?;
    if !(w[0] == b'A' && (w[1] == b'K' || w[1] == b'S') && w[2] == b'I' && w[3] == b'A') {
        return None;
    }
    if (i > 0 && v[i - 1].is_ascii_alphanumeric()) || alnum_at(v, i + 20) {
        return None;
    }
    let tail = &w[4..];
    if !tail
        .iter()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return None;
    }
    let base32 = tail
        .iter()
        .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(b));
    Some(if base32 {
        Confidence::High
    } else {
        Confidence::Medium
    })
}

fn has_access_key_id(v: &[u8]) -> bool {
    (0..v.len().saturating_sub(19)).any(|i| access_key_at(v, i).is_some())
}

// ---------------------------------------------------------------------------
// AWS secret access keys

fn scan_secret_key(cx: &Ctx<'_>, out: &mut Vec<Candidate>) {
    let v = cx.v;
    let n = v.len();
    let mut i = 0;
    let mut near_key_id: Option<bool> = None;
    while i < n {
        if !is_b64(v[i]) {
            i += 1;
            continue;
        }
        let s = i;
        while i < n && is_b64(v[i]) {
            i += 1;
        }
        if i - s != 40 || v.get(i) == Some(&b'=') || !looks_random(&v[s..i]) {
            continue;
        }
        let confidence = match cx.hints_at(s).secret {
            Some(c) => c,
            None if *near_key_id.get_or_insert_with(|| has_access_key_id(v)) => Confidence::Medium,
            None => continue,
        };
        out.push(Candidate::new(
            DetectorId::AwsSecretAccessKey,
            confidence,
            s,
            i,
        ));
    }
}

/// Shaped like a random base64 string rather than a word, path or hex digest:
/// upper and lower case, a digit or `/`/`+`, 20+ distinct characters, not a
/// path starting with `/`. A 40-character git SHA is lower-case hex, so it
/// never passes.
fn looks_random(w: &[u8]) -> bool {
    if w[0] == b'/' {
        return false;
    }
    let (mut upper, mut lower, mut other) = (false, false, false);
    let mut seen = 0u128;
    for &b in w {
        upper |= b.is_ascii_uppercase();
        lower |= b.is_ascii_lowercase();
        other |= b.is_ascii_digit() || b == b'/' || b == b'+';
        seen |= 1u128 << b;
    }
    upper && lower && other && seen.count_ones() >= 20
}

// ---------------------------------------------------------------------------
// Payment cards

fn scan_card(cx: &Ctx<'_>, out: &mut Vec<Candidate>) {
    let v = cx.v;
    let n = v.len();
    let mut i = 0;
    while i < n {
        if !v[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let s = i;
        let left_ok =
            s == 0 || !(v[s - 1].is_ascii_alphanumeric() || matches!(v[s - 1], b'.' | b','));
        // Digit groups separated by one consistent separator (` ` or `-`).
        let mut groups: [(usize, usize); 8] = [(0, 0); 8];
        let mut count = 0;
        let mut sep = 0u8;
        let mut j = s;
        loop {
            let g = j;
            while j < n && v[j].is_ascii_digit() {
                j += 1;
            }
            groups[count] = (g, j);
            count += 1;
            let next_sep = v.get(j).copied();
            match next_sep {
                Some(b @ (b' ' | b'-'))
                    if count < groups.len()
                        && (sep == 0 || sep == b)
                        && v.get(j + 1).is_some_and(u8::is_ascii_digit) =>
                {
                    sep = b;
                    j += 1;
                }
                _ => break,
            }
        }
        let run_end = groups[count - 1].1;
        if left_ok && let Some((end, confidence)) = card_in_groups(cx, &groups[..count], s) {
            out.push(Candidate::new(DetectorId::PaymentCard, confidence, s, end));
            i = end;
            continue;
        }
        i = run_end;
    }
}

/// The longest run of leading groups that forms a card number.
fn card_in_groups(
    cx: &Ctx<'_>,
    groups: &[(usize, usize)],
    s: usize,
) -> Option<(usize, Confidence)> {
    let v = cx.v;
    for k in (1..=groups.len()).rev() {
        let gs = &groups[..k];
        let total: usize = gs.iter().map(|(a, b)| b - a).sum();
        if !(13..=19).contains(&total) {
            continue;
        }
        if k > 1 && !gs.iter().all(|(a, b)| (3..=6).contains(&(b - a))) {
            continue;
        }
        let end = gs[k - 1].1;
        // Not followed by a letter or digit, nor by a decimal part.
        let decimal = matches!(v.get(end), Some(b'.' | b','))
            && v.get(end + 1).is_some_and(u8::is_ascii_digit);
        if alnum_at(v, end) || decimal {
            continue;
        }
        let mut digits = [0u8; 19];
        let mut len = 0;
        for &(a, b) in gs {
            for &d in &v[a..b] {
                digits[len] = d - b'0';
                len += 1;
            }
        }
        let digits = &digits[..len];
        if luhn(digits) && card_network(digits) {
            let confidence = if cx.hints_at(s).card {
                Confidence::High
            } else {
                Confidence::Medium
            };
            return Some((end, confidence));
        }
    }
    None
}

/// The Luhn checksum.
pub(crate) fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Whether the number starts with a card network's prefix and has one of
/// that network's lengths.
fn card_network(d: &[u8]) -> bool {
    let len = d.len();
    let p2 = u32::from(d[0]) * 10 + u32::from(d[1]);
    let p4 = p2 * 100 + u32::from(d[2]) * 10 + u32::from(d[3]);
    match d[0] {
        4 => matches!(len, 13 | 16 | 19),                          // Visa
        5 if (51..=55).contains(&p2) => len == 16,                 // Mastercard
        5 => matches!(p2, 50 | 56..=58) && len >= 13,              // Maestro
        2 if (2221..=2720).contains(&p4) => len == 16,             // Mastercard 2-series
        2 => (2200..=2204).contains(&p4) && len >= 16,             // Mir
        3 if p2 == 34 || p2 == 37 => len == 15,                    // Amex
        3 if p2 == 35 => (3528..=3589).contains(&p4) && len >= 16, // JCB
        3 => matches!(p2, 30 | 36 | 38 | 39) && len >= 14,         // Diners
        6 => len >= 13,                          // Discover, UnionPay, Maestro, RuPay
        8 => matches!(p2, 81 | 82) && len >= 16, // UnionPay, RuPay
        _ => false,
    }
}

// ---------------------------------------------------------------------------
// AWS account ids

fn scan_account_id(cx: &Ctx<'_>, out: &mut Vec<Candidate>) {
    let v = cx.v;
    let n = v.len();
    let mut i = 0;
    while i < n {
        if !v[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let s = i;
        while i < n && v[i].is_ascii_digit() {
            i += 1;
        }
        if s > 0 && v[s - 1].is_ascii_alphanumeric() {
            continue;
        }
        // `1234-5678-9012`, as the console shows it: keyword context only.
        if i - s == 4 && dashed_account_at(v, s) {
            let e = s + 14;
            // Not part of a longer grouped number (a card, a phone).
            let more = (matches!(v.get(e), Some(b'-' | b' ')) && alnum_at(v, e + 1))
                || (s >= 2 && matches!(v[s - 1], b'-' | b' ') && v[s - 2].is_ascii_digit());
            if !alnum_at(v, e) && !more && cx.hints_at(s).account {
                out.push(Candidate::new(
                    DetectorId::AwsAccountId,
                    Confidence::High,
                    s,
                    e,
                ));
                i = e;
            }
            continue;
        }
        if i - s != 12 || alnum_at(v, i) || after_uuid_prefix(v, s) {
            continue;
        }
        if arn_like_context(v, s, i) || cx.hints_at(s).account {
            out.push(Candidate::new(
                DetectorId::AwsAccountId,
                Confidence::High,
                s,
                i,
            ));
        }
    }
}

/// `1234-5678-9012` or `1234 5678 9012` at `s`.
fn dashed_account_at(v: &[u8], s: usize) -> bool {
    let Some(w) = v.get(s..s + 14) else {
        return false;
    };
    let sep = w[4];
    matches!(sep, b'-' | b' ')
        && w.iter().enumerate().all(|(k, b)| {
            if k == 4 || k == 9 {
                *b == sep
            } else {
                b.is_ascii_digit()
            }
        })
}

/// The 12 digits at `s..e` sit where AWS puts an account id: the account
/// field of an ARN (`arn:PARTITION:SERVICE:REGION:ID:…`), an ECR registry
/// host (`ID.dkr.ecr.…`) or a service URL path (`…amazonaws.com/ID/…`).
fn arn_like_context(v: &[u8], s: usize, e: usize) -> bool {
    if v[e..].starts_with(b".dkr.ecr.") || v[..s].ends_with(b"amazonaws.com/") {
        return true;
    }
    if s == 0 || v[s - 1] != b':' || v.get(e) != Some(&b':') {
        return false;
    }
    // Walk back over exactly three `:`-separated fields to `arn:`.
    let mut j = s - 1;
    for _ in 0..3 {
        let Some(c) = v[..j].iter().rposition(|&b| b == b':') else {
            return false;
        };
        if v[c + 1..j].iter().any(|b| b.is_ascii_whitespace()) {
            return false;
        }
        j = c;
    }
    j >= 3
        && v[j - 3..j].eq_ignore_ascii_case(b"arn")
        && (j == 3 || !v[j - 4].is_ascii_alphanumeric())
        && v[j + 1..].starts_with(b"aws")
}

// ---------------------------------------------------------------------------
// Phone numbers

fn scan_phone(cx: &Ctx<'_>, out: &mut Vec<Candidate>) {
    let v = cx.v;
    let n = v.len();
    let mut i = 0;
    while i < n {
        let b = v[i];
        let starts = b.is_ascii_digit()
            || (matches!(b, b'+' | b'(') && v.get(i + 1).is_some_and(u8::is_ascii_digit));
        let left_ok = i == 0
            || !(v[i - 1].is_ascii_alphanumeric()
                || matches!(v[i - 1], b'.' | b'_' | b'/' | b'@' | b'+')
                || (v[i - 1] == b'-' && i >= 2 && v[i - 2].is_ascii_alphanumeric()));
        if !starts || !left_ok {
            i += 1;
            continue;
        }
        let s = i;
        let (end, next) = phone_extent(v, s);
        if let Some(e) = end
            && cx.hints_at(s).phone
        {
            out.push(Candidate::new(
                DetectorId::PhoneNumber,
                Confidence::Medium,
                s,
                e,
            ));
        }
        i = next.max(s + 1);
    }
}

/// The end of a phone number starting at `s` (if it is one), and where to
/// continue scanning.
fn phone_extent(v: &[u8], s: usize) -> (Option<usize>, usize) {
    let n = v.len();
    let mut j = s + usize::from(v[s] == b'+');
    let (mut digits, mut groups, mut last_digit, mut seps_in_row) = (0, 0, s, 0);
    while j < n {
        let b = v[j];
        if b.is_ascii_digit() {
            if seps_in_row > 0 || groups == 0 {
                groups += 1;
            }
            digits += 1;
            last_digit = j;
            seps_in_row = 0;
        } else if matches!(b, b' ' | b'-' | b'.' | b'(' | b')') {
            seps_in_row += 1;
            if seps_in_row > 2 {
                break;
            }
        } else {
            break;
        }
        j += 1;
    }
    let e = last_digit + 1;
    let next = j.max(e);
    if !(7..=15).contains(&digits) || alnum_at(v, e) {
        return (None, next);
    }
    let inner = &v[s..e];
    let count = |c: u8| inner.iter().filter(|&&b| b == c).count();
    let (open, close, dots) = (count(b'('), count(b')'), count(b'.'));
    if open != close || open > 1 {
        return (None, next);
    }
    // Dates (2024-01-15, 15.01.2024), IPv4 addresses, dotted versions.
    if dots >= 3 || (groups == 3 && digits == 8 && !inner.contains(&b' ')) {
        return (None, next);
    }
    (Some(e), next)
}

/// Whether `s` follows the first four groups of a UUID
/// (`xxxxxxxx-xxxx-xxxx-xxxx-`), making the digits at `s` its last group.
fn after_uuid_prefix(v: &[u8], s: usize) -> bool {
    if s < 24 {
        return false;
    }
    v[s - 24..s].iter().enumerate().all(|(k, b)| {
        if matches!(k, 8 | 13 | 18 | 23) {
            *b == b'-'
        } else {
            b.is_ascii_hexdigit()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_at_humps() {
        let mut words = Vec::new();
        any_word(b"AWSAccountId owner-account x9", |w| {
            words.push(String::from_utf8_lossy(w).into_owned());
            false
        });
        assert_eq!(
            words,
            ["AWS", "Account", "Id", "owner", "account", "x", "9"]
        );
    }

    #[test]
    fn key_hints() {
        assert!(Hints::of(b"AccountId").account);
        assert!(Hints::of(b"aws_account").account);
        assert!(!Hints::of(b"OrderNumber").account);
        assert_eq!(
            Hints::of(b"AWS_SECRET_ACCESS_KEY").secret,
            Some(Confidence::High)
        );
        assert_eq!(Hints::of(b"aws_access_key").secret, Some(Confidence::High));
        assert_eq!(Hints::of(b"ApiKey").secret, Some(Confidence::Medium));
        assert_eq!(Hints::of(b"token").secret, Some(Confidence::Medium));
        assert_eq!(Hints::of(b"public-key").secret, None);
        assert_eq!(Hints::of(b"monkey").secret, None);
        assert!(Hints::of(b"MobilePhone").phone);
        assert!(Hints::of(b"tel").phone);
        assert!(!Hints::of(b"hotel").phone);
        assert!(Hints::of(b"CreditCardNumber").card);
        assert!(Hints::of(b"cc").card);
        assert!(!Hints::of(b"").card);
    }

    #[test]
    fn labels_inside_values() {
        let v = b"aws_secret_access_key = X";
        assert_eq!(label_hints(v, v.len() - 1).secret, Some(Confidence::High));
        let v = b"Account ID: 1";
        assert!(label_hints(v, v.len() - 1).account);
        let v = b"tel:+1";
        assert!(label_hints(v, 4).phone);
        assert_eq!(label_hints(b"1", 0), Hints::default());
    }

    #[test]
    fn luhn_and_networks() {
        let d = |s: &str| s.bytes().map(|b| b - b'0').collect::<Vec<_>>();
        assert!(luhn(&d("4111111111111111")));
        assert!(!luhn(&d("4111111111111112")));
        assert!(card_network(&d("4111111111111111")));
        assert!(card_network(&d("378282246310005")));
        assert!(!card_network(&d("1704067200000")));
        assert!(!card_network(&d("0000000000000000")));
    }

    #[test]
    fn arn_context() {
        let v = b"arn:aws:iam::123456789012:role/x";
        assert!(arn_like_context(v, 13, 25));
        let v = b"arn:aws:s3:::b-123456789012:x";
        assert!(!arn_like_context(v, 15, 27));
        let v = b"123456789012.dkr.ecr.us-east-1.amazonaws.com/app";
        assert!(arn_like_context(v, 0, 12));
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
