//! The `phone-number` detector.

use super::Candidate;
use super::context::{Ctx, alnum_at};
use crate::detection::{Confidence, DetectorId};

pub(super) fn scan_phone(cx: &Ctx<'_>, out: &mut Vec<Candidate>) {
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
    if !(7..=15).contains(&digits) {
        return (None, next);
    }
    let ext = extension_end(v, e);
    if ext.is_none() && alnum_at(v, e) {
        return (None, next);
    }
    let inner = &v[s..e];
    let count = |c: u8| inner.iter().filter(|&&b| b == c).count();
    let (open, close, dots) = (count(b'('), count(b')'), count(b'.'));
    if open != close || open > 1 {
        return (None, next);
    }
    // Dates (2024-01-15, 15.01.2024), IPv4 addresses, dotted versions; a
    // leading `+` makes dots separators (`+61.3.1234.5678`).
    let plus = v[s] == b'+';
    if (dots >= 3 && !plus) || (groups == 3 && digits == 8 && !inner.contains(&b' ')) {
        return (None, next);
    }
    match ext {
        Some(x) => (Some(x), x),
        None => (Some(e), next),
    }
}

/// The end of an extension right after a number ending at `e`: `x123`,
/// ` ext. 123`, ` extension 12`, `;ext=123`, ` #123` (1–6 digits).
fn extension_end(v: &[u8], e: usize) -> Option<usize> {
    let mut i = e;
    while i < v.len() && i - e < 2 && matches!(v[i], b' ' | b',' | b';') {
        i += 1;
    }
    let rest = &v[i..];
    let word = [&b"extension"[..], b"ext.", b"ext=", b"ext", b"x", b"#"]
        .into_iter()
        .find(|w| rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w))?;
    i += word.len();
    while i < v.len() && matches!(v[i], b' ' | b':' | b'.') && i - e < 16 {
        i += 1;
    }
    let start = i;
    while i < v.len() && v[i].is_ascii_digit() {
        i += 1;
    }
    ((1..=6).contains(&(i - start)) && !alnum_at(v, i)).then_some(i)
}
