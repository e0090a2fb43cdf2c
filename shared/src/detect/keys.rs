//! Key material: `private-key`, `aws-access-key-id` and
//! `aws-secret-access-key`.

use super::Candidate;
use super::context::{Ctx, alnum_at, find, is_b64, run_from};
use crate::detection::{Confidence, DetectorId};
use crate::mask::private_key_header_end;

pub(super) fn scan_private_key(v: &[u8], out: &mut Vec<Candidate>) {
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

pub(super) fn scan_access_key_id(v: &[u8], out: &mut Vec<Candidate>) {
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

pub(super) fn scan_secret_key(cx: &Ctx<'_>, out: &mut Vec<Candidate>) {
    let v = cx.v;
    let mut near_key_id: Option<bool> = None;
    let mut i = 0;
    while let Some((s, end)) = run_from(v, i, is_b64) {
        i = end;
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
