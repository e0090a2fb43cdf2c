//! Any tag or field (`key`, newline, `value`) through the detectors, with
//! every detector on (account ids inside AWS identifiers ignored, then
//! reported) and with each detector alone (so a match that a more specific
//! detector would win is masked by its own rule too).
//!
//! For every detection:
//! - its span lies inside the value on character boundaries; detections are
//!   in value order and never overlap;
//! - its mask is the rule's (masked further only where that showed another
//!   detection's text), is not the matched text and does not contain it,
//!   nor any other detected text, and no run of
//!   4 characters of what the detector's rule hides (the table in
//!   `warden_shared::mask`) shows in the mask unless that same text is also
//!   part of what the rule may show;
//! - the value shown with its detections masked (`mask_spans`, what
//!   tag-guard puts in a finding) and the evidence (`describe`) never contain
//!   any detected text.

use std::ops::Range;
use std::sync::LazyLock;
use warden_shared::detect::{
    AccountIdsInIdentifiers, AllowList, Detection, DetectorId, Detectors, describe,
};
use warden_shared::mask::{mask, mask_spans, shows_detected_text};

struct Sets {
    all: Detectors,
    reporting: Detectors,
    alone: Vec<Detectors>,
}

static SETS: LazyLock<Sets> = LazyLock::new(|| Sets {
    all: Detectors::all(),
    reporting: Detectors::all().with_account_ids_in_identifiers(AccountIdsInIdentifiers::Report),
    alone: DetectorId::ALL
        .iter()
        .map(|d| Detectors::new(vec![*d], AllowList::empty()))
        .collect(),
});

/// The property, for one input.
pub fn check(data: &[u8]) {
    // Tag keys and values are UTF-8 strings.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (key, value) = text.split_once('\n').unwrap_or(("", text));
    let sets = &*SETS;
    for detectors in [&sets.all, &sets.reporting].into_iter().chain(&sets.alone) {
        let detections = detectors.scan(key, value);
        check_detections(value, &detections);
    }
}

fn check_detections(value: &str, detections: &[Detection]) {
    let mut end = 0;
    for d in detections {
        assert!(
            d.span.start >= end && d.span.start < d.span.end,
            "detections out of order or overlapping: {detections:?}"
        );
        end = d.span.end;
        let matched = value
            .get(d.span.clone())
            .unwrap_or_else(|| panic!("span {:?} is not inside {value:?}", d.span));
        // The rule's mask; masked further only where the rule's showed
        // another detection's text (which the checks below rule out).
        let rule = mask(d.detector, matched);
        assert!(
            d.masked == rule || shows_detected_text(&rule, value, detections),
            "the mask {:?} is not the rule's {rule:?}",
            d.masked
        );
        check_mask(d.detector, matched, &d.masked);
        assert!(
            !shows_detected_text(&d.masked, value, detections),
            "{}: the mask {:?} shows a detected text",
            d.detector,
            d.masked
        );
    }
    let shown = mask_spans(value, detections);
    let evidence = describe(detections);
    for d in detections {
        let matched = &value[d.span.clone()];
        assert!(
            !shown.contains(matched),
            "{}: {matched:?} is shown in clear in {shown:?}",
            d.detector
        );
        assert!(
            !evidence.contains(matched),
            "{}: {matched:?} is in the evidence {evidence:?}",
            d.detector
        );
    }
}

/// What the rule may show of `m`, and the text the rule adds itself.
fn check_mask(detector: DetectorId, m: &str, masked: &str) {
    assert_ne!(masked, m, "{detector}: the mask is the matched text");
    assert!(!masked.contains(m), "{detector}: {masked:?} contains {m:?}");
    let hidden = hidden(detector, m);
    let visible = outside(m, &hidden);
    const FIXED: &str =
        "***@***.://***:***@ [redacted]=***[masked]-----BEGIN PRIVATE KEY----- [redacted]";
    for (i, _) in m.char_indices() {
        let Some(window) = m.get(i..).and_then(|rest| {
            let end = rest.char_indices().nth(4).map_or(rest.len(), |(e, _)| e);
            (rest[..end].chars().count() == 4).then(|| &rest[..end])
        }) else {
            continue;
        };
        let range = i..i + window.len();
        if !hidden
            .iter()
            .any(|h| h.start < range.end && range.start < h.end)
        {
            continue;
        }
        if masked.contains(window) {
            // A window may also run from a shown part into the rule's own
            // text or back (`-----BEGIN … KEY-----` then ` [redacted]`,
            // `***@` then the host): split it into the two.
            let shown = |part: &str, at_end: bool| {
                visible.iter().any(|v| {
                    // A shown name without its separator: `SessionToken=`.
                    let name = v.trim_end_matches(['=', ':', '"', '\\', ' ']);
                    if at_end {
                        v.ends_with(part) || name.ends_with(part)
                    } else {
                        v.starts_with(part)
                    }
                })
            };
            let digits = |v: &str| v.chars().filter(char::is_ascii_digit).collect::<String>();
            let explained = visible.iter().any(|v| v.contains(window))
                // The digits a rule keeps, shown without their separators
                // (`4111 … 1 111` is `4111********1111`).
                || visible.iter().any(|v| digits(v).contains(window))
                || FIXED.contains(window)
                || window.chars().all(|c| c == '*')
                // A mask's own stars beside what is shown by design (the
                // URL's host with an account id in it, masked to its last
                // four digits): the stars say nothing of the hidden text.
                || (window.contains('*')
                    && window
                        .split('*')
                        .filter(|part| !part.is_empty())
                        .all(|part| visible.iter().any(|v| v.contains(part))))
                || (1..window.len())
                    .filter(|&k| window.is_char_boundary(k))
                    .map(|k| window.split_at(k))
                    .any(|(a, b)| {
                        (FIXED.contains(a) && shown(b, false))
                            || (shown(a, true) && FIXED.contains(b))
                    });
            assert!(
                explained,
                "{detector}: {window:?}, hidden in {m:?}, shows in {masked:?}"
            );
        }
    }
}

/// The byte ranges of `m` that `detector`'s rule hides (see the table in
/// `warden_shared::mask`).
fn hidden(detector: DetectorId, m: &str) -> Vec<Range<usize>> {
    let digits: Vec<usize> = m
        .bytes()
        .enumerate()
        .filter(|(_, b)| b.is_ascii_digit())
        .map(|(i, _)| i)
        .collect();
    let each = |positions: &[usize]| positions.iter().map(|&i| i..i + 1).collect::<Vec<_>>();
    let after_first_char = |s: usize, e: usize| -> Range<usize> {
        let first = m[s..e].chars().next().map_or(0, char::len_utf8);
        (s + first).min(e)..e
    };
    match detector {
        DetectorId::Email => {
            let Some(at) = m.rfind('@') else {
                return vec![0..m.len()];
            };
            let domain_end = m[at + 1..].rfind('.').map_or(m.len(), |dot| at + 1 + dot);
            vec![
                after_first_char(0, at),
                after_first_char(at + 1, domain_end),
            ]
        }
        DetectorId::AwsAccountId => each(&digits[..digits.len().saturating_sub(4)]),
        DetectorId::AwsAccessKeyId if m.len() >= 12 && m.is_ascii() => vec![4..m.len() - 4],
        DetectorId::PaymentCard => {
            let first = 4.min(digits.len());
            let last = digits.len().saturating_sub(4).max(first);
            each(&digits[first..last])
        }
        DetectorId::PhoneNumber => each(&digits[..digits.len().saturating_sub(2)]),
        DetectorId::UrlCredentials => {
            let Some(scheme_end) = m.find("://") else {
                return vec![0..m.len()];
            };
            let start = scheme_end + 3;
            let authority_end = m[start..]
                .find(['/', '?', '#'])
                .map_or(m.len(), |e| start + e);
            let at = m[start..authority_end]
                .rfind('@')
                .map_or(start, |a| start + a);
            vec![start..at, authority_end..m.len()]
        }
        DetectorId::PrivateKey => {
            // The BEGIN line is shown: up to the `-----` that closes it.
            let body = m
                .find("-----BEGIN ")
                .and_then(|s| m[s + 11..].find("-----").map(|e| s + 11 + e + 5))
                .unwrap_or(0);
            vec![body..m.len()]
        }
        DetectorId::AwsSessionCredentials => {
            let name = m
                .find(['=', ':', '"', '\\'])
                .filter(|&n| (1..=40).contains(&n));
            match name {
                // The name and its separator are shown.
                Some(n) => vec![n + 1..m.len()],
                None if m.len() >= 40 && m.is_char_boundary(4) => vec![4..m.len()],
                None => vec![0..m.len()],
            }
        }
        DetectorId::AwsAccessKeyId | DetectorId::AwsSecretAccessKey => vec![0..m.len()],
    }
}

/// The maximal parts of `m` outside `hidden`.
fn outside<'a>(m: &'a str, hidden: &[Range<usize>]) -> Vec<&'a str> {
    let mut sorted = hidden.to_vec();
    sorted.sort_by_key(|r| r.start);
    let mut parts = Vec::new();
    let mut at = 0;
    for r in sorted {
        if r.start > at {
            parts.extend(m.get(at..r.start));
        }
        at = at.max(r.end);
    }
    if at < m.len() {
        parts.extend(m.get(at..));
    }
    parts
}
