//! Masking: the only form in which a detected value ever leaves a detector.
//!
//! Each rule keeps at most a short, non-secret prefix or suffix and replaces
//! everything else with `*`; a mask is never equal to its input and never
//! contains a run of 4 or more characters of the matched text outside that
//! prefix or suffix.
//!
//! | detector | rule | example |
//! | --- | --- | --- |
//! | `email` | first character of the local part and of the domain, and the top-level domain | `jane.doe@example.com` → `j***@e***.com` |
//! | `aws-account-id` | last 4 digits | `123456789012` → `********9012` |
//! | `aws-access-key-id` | the `AKIA`/`ASIA` prefix and the last 4 characters | `AKIAIOSFODNN7EXAMPLE` → `AKIA************MPLE` |
//! | `aws-secret-access-key` | nothing: one `*` per character | `wJalr…EXAMPLEKEY` → `****************************************` |
//! | `url-credentials` | scheme and host (with port); user and password fully hidden; path and query dropped | `https://bob:s3cr3t@db.example.com:5432/x` → `https://***:***@db.example.com:5432` |
//! | `private-key` | the `BEGIN` line | `-----BEGIN RSA PRIVATE KEY-----\nMIIE…` → `-----BEGIN RSA PRIVATE KEY----- [redacted]` |
//! | `payment-card` | first 4 and last 4 digits, separators dropped | `4111 1111 1111 1234` → `4111********1234` |
//! | `phone-number` | a leading `+` and the last 2 digits | `+44 20 7946 0958` → `+**********58` |
//! | `aws-session-credentials` | the parameter or label name, value hidden; a bare token keeps only its 4-character format prefix | `X-Amz-Signature=9f86d0…` → `X-Amz-Signature=***`; `IQoJb3JpZ2luX2Vj…` → `IQoJ***` |
//!
//! [`mask_spans`] shows a value with its detections masked and the rest kept;
//! [`crate::detection::describe`] shows only the masked detections, which is
//! what evidence should use when the rest of the value may hold more.

use crate::detection::{Detection, DetectorId};

/// The masked sample of a value matched by `detector`.
///
/// Safe on any input, including text the detector would not have matched:
/// what cannot be parsed for the rule is hidden entirely.
pub fn mask(detector: DetectorId, matched: &str) -> String {
    let out = match detector {
        DetectorId::Email => email(matched),
        DetectorId::AwsAccountId => digits_keep(matched, 0, 4, 8),
        DetectorId::AwsAccessKeyId => access_key_id(matched),
        DetectorId::AwsSecretAccessKey => stars(matched.chars().count()),
        DetectorId::UrlCredentials => url_credentials(matched),
        DetectorId::PrivateKey => private_key(matched),
        DetectorId::PaymentCard => digits_keep(matched, 4, 4, 12),
        DetectorId::PhoneNumber => phone(matched),
        DetectorId::AwsSessionCredentials => session_credentials(matched),
    };
    if out == matched {
        // Only reachable when the input is itself a mask.
        if matched == "[redacted]" {
            "[masked]"
        } else {
            "[redacted]"
        }
        .to_string()
    } else {
        out
    }
}

/// The value with every detection's span replaced by its masked sample, for
/// showing a free-form field as evidence (`Contact j***@e***.com`). Spans
/// must come from scanning this same value (as [`Detectors::scan`] returns
/// them: ordered, non-overlapping); a span that does not fit is masked whole.
///
/// Note that the text around the detections is kept as it is: whatever no
/// detector matched stays in clear. For evidence, prefer
/// [`crate::detection::describe`].
///
/// [`Detectors::scan`]: crate::detect::Detectors::scan
pub fn mask_spans(value: &str, detections: &[Detection]) -> String {
    let mut out = String::with_capacity(value.len());
    let mut at = 0;
    for d in detections {
        let fits =
            d.span.start >= at && d.span.start <= d.span.end && value.get(d.span.clone()).is_some();
        if !fits {
            return stars(value.chars().count().clamp(3, 16));
        }
        out.push_str(&value[at..d.span.start]);
        out.push_str(&d.masked);
        at = d.span.end;
    }
    out.push_str(&value[at..]);
    // Copies of a detected text outside its span, also ones that form
    // across a mask and the text after it (an e-mail rule that shows a long
    // top-level domain `.comresourceArnbob`, then `@example.co`), are masked
    // over the whole; if a detected text is still there, nothing of the
    // value is shown.
    let out = mask_copies(&out, value, detections);
    if shows_detected_text(&out, value, detections) {
        return stars(value.chars().count().clamp(3, 16));
    }
    out
}

/// Each detection's mask with every other detection's text in it masked
/// too: a rule that shows part of its match (the host of a URL with a
/// password) would otherwise show in clear an account id detected after
/// it in the same value, in the finding's evidence and in the value shown.
pub fn mask_copies_in_masks(value: &str, detections: &mut [Detection]) {
    if detections.len() < 2 {
        return;
    }
    let as_found = detections.to_vec();
    for d in detections.iter_mut() {
        let masked = mask_copies(&d.masked, value, &as_found);
        // A repetitive value can spell a detected text again out of a mask
        // and its neighbours (`6666*****6666` then `666666666`): stars then.
        d.masked = if shows_detected_text(&masked, value, &as_found) {
            stars(masked.chars().count().clamp(3, 16))
        } else {
            masked
        };
    }
}

/// Each detection's mask with `texts` (what was detected anywhere else in
/// the same check: another tag, a field) masked in it too, longest first;
/// stars if one still shows. A rule that shows part of its match (a URL's
/// host) could otherwise show in clear a secret found in another value.
pub fn mask_texts_in_masks(detections: &mut [Detection], texts: &[(String, String)]) {
    let mut texts: Vec<&(String, String)> = texts.iter().filter(|(t, _)| !t.is_empty()).collect();
    texts.sort_by_key(|(text, _)| std::cmp::Reverse(text.len()));
    for d in detections.iter_mut() {
        let mut masked = d.masked.clone();
        for (text, mask) in &texts {
            if masked.contains(text.as_str()) {
                masked = masked.replace(text.as_str(), mask);
            }
        }
        d.masked = if texts.iter().any(|(text, _)| masked.contains(text.as_str())) {
            stars(masked.chars().count().clamp(3, 16))
        } else {
            masked
        };
    }
}

/// Does `text` hold any detection's text (of `value`) in clear?
pub fn shows_detected_text(text: &str, value: &str, detections: &[Detection]) -> bool {
    detections.iter().any(|d| {
        value
            .get(d.span.clone())
            .is_some_and(|found| !found.is_empty() && text.contains(found))
    })
}

/// `kept` with every other copy of a detected text masked too: a detector
/// may report a value once (a repeated e-mail whose second copy sits where
/// its pattern does not match), and the copy left in clear would show the
/// secret itself. Longest texts first, so a text inside another is not
/// masked half-way.
pub fn mask_copies(kept: &str, value: &str, detections: &[Detection]) -> String {
    let mut found: Vec<(&str, &str)> = detections
        .iter()
        .filter_map(|d| {
            value
                .get(d.span.clone())
                .map(|text| (text, d.masked.as_str()))
        })
        .filter(|(text, _)| !text.is_empty())
        .collect();
    found.sort_by_key(|(text, _)| std::cmp::Reverse(text.len()));
    let mut kept = kept.to_string();
    for (text, masked) in found {
        if kept.contains(text) {
            kept = kept.replace(text, masked);
        }
    }
    kept
}

fn stars(n: usize) -> String {
    "*".repeat(n.max(1))
}

/// `j***@e***.com`: one character of the local part and of the domain, and
/// the top-level domain when it is letters only.
fn email(m: &str) -> String {
    let Some((local, domain)) = m.rsplit_once('@') else {
        return stars(m.chars().count());
    };
    let mut out = String::with_capacity(16);
    out.extend(local.chars().next());
    out.push_str("***@");
    out.extend(domain.chars().next());
    out.push_str("***");
    if let Some((head, tld)) = domain.rsplit_once('.')
        && !head.is_empty()
        && tld.len() >= 2
        && tld.bytes().all(|b| b.is_ascii_alphabetic())
    {
        out.push('.');
        out.push_str(tld);
    }
    out
}

/// The first `head` and last `tail` digits, one `*` per digit between; all
/// stars when there are fewer than `min` digits. Separators are dropped.
fn digits_keep(m: &str, head: usize, tail: usize, min: usize) -> String {
    let digits = m.bytes().filter(u8::is_ascii_digit);
    let n = digits.clone().count();
    if n < min {
        return stars(m.chars().count());
    }
    digits
        .enumerate()
        .map(|(i, d)| {
            if i < head || i >= n - tail {
                char::from(d)
            } else {
                '*'
            }
        })
        .collect()
}

/// `AKIA************MPLE`.
fn access_key_id(m: &str) -> String {
    let n = m.len();
    if n < 12 || !m.is_ascii() {
        return stars(m.chars().count());
    }
    let mut out = String::with_capacity(n);
    out.push_str(&m[..4]);
    out.extend(std::iter::repeat_n('*', n - 8));
    out.push_str(&m[n - 4..]);
    out
}

/// `https://***:***@host:port`: the scheme and host are kept, the user and
/// password hidden, and the path and query (which may hold tokens) dropped.
fn url_credentials(m: &str) -> String {
    let Some((scheme, rest)) = m.split_once("://") else {
        return stars(m.chars().count());
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or("", |(_, h)| h);
    let scheme_ok = !scheme.is_empty()
        && scheme.len() <= 16
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-'));
    let host_ok = !host.is_empty()
        && host.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':' | b'[' | b']' | b'%')
        });
    format!(
        "{}://***:***@{}",
        if scheme_ok { scheme } else { "***" },
        if host_ok { host } else { "***" }
    )
}

/// `-----BEGIN RSA PRIVATE KEY----- [redacted]`.
fn private_key(m: &str) -> String {
    let header = m
        .find("-----BEGIN ")
        .and_then(|s| private_key_header_end(m.as_bytes(), s).map(|e| &m[s..e]))
        .unwrap_or("-----BEGIN PRIVATE KEY-----");
    format!("{header} [redacted]")
}

/// `X-Amz-Signature=***`: the name of the parameter or label, if the match
/// starts with one (up to 40 letters, digits, `-` or `_` before `=`, `:` or
/// a quote), and nothing of the value; a bare token of 40 or more
/// characters keeps its first 4 (a format prefix such as `IQoJ`).
fn session_credentials(m: &str) -> String {
    let b = m.as_bytes();
    let name_len = b
        .iter()
        .position(|&c| matches!(c, b'=' | b':' | b'"' | b'\\'))
        .filter(|&n| {
            (1..=40).contains(&n)
                && b[..n]
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_'))
        });
    match name_len {
        Some(n) => format!("{}=***", &m[..n]),
        None if b.len() >= 40 && b[..4].iter().all(u8::is_ascii_alphanumeric) => {
            format!("{}***", &m[..4])
        }
        None => stars(m.chars().count().min(8)),
    }
}

/// The end of a `-----BEGIN … PRIVATE KEY-----` header starting at `s`.
pub(crate) fn private_key_header_end(v: &[u8], s: usize) -> Option<usize> {
    let rest = v.get(s..)?;
    let label = rest.strip_prefix(b"-----BEGIN ")?;
    let close = label.windows(5).position(|w| w == b"-----")?;
    let kind = &label[..close];
    let ok = kind.len() <= 40
        && kind
            .iter()
            .all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ')
        && (kind.ends_with(b"PRIVATE KEY") || kind.ends_with(b"PRIVATE KEY BLOCK"));
    ok.then_some(s + 11 + close + 5)
}

/// `+**********58`: a leading `+` and the last 2 digits.
fn phone(m: &str) -> String {
    let plus = m.trim_start().starts_with('+');
    let n = m.bytes().filter(u8::is_ascii_digit).count();
    if n < 4 {
        return stars(m.chars().count());
    }
    let mut out = String::with_capacity(n + 1);
    if plus {
        out.push('+');
    }
    out.extend(std::iter::repeat_n('*', n - 2));
    out.extend(
        m.bytes()
            .filter(u8::is_ascii_digit)
            .skip(n - 2)
            .map(char::from),
    );
    out
}

#[cfg(test)]
mod tests;
